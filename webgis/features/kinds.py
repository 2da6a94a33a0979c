"""Field kinds: what each kind of layer field is, written once.

A layer's :class:`~layers.FieldSpec` names its kind ("text", "choice", "hours", …).
The object registered here under that name knows everything about that kind: how
to clean a submitted value, turn a stored value back into form values, offer its
choices, write a value as text, compare two values for the history and describe its
type to outputs (a JSON Schema). Templates ask the kind which input
(``templates/features/widgets/<widget>.html``) and which display
(``templates/features/values/<display>.html``) to use. Imports and exports ask it
too: :meth:`FieldKind.cell_to_form` reads a spreadsheet cell (a key or a label in any
interface language, a date as ``01.05.2013``, a list split on ``;`` or ``,``) into
form values, which are then cleaned like a form, and :meth:`FieldKind.to_cell` writes
a stored value as one typed cell. A new kind is one class here and, when it needs
them, one widget and one display template.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, ClassVar, Protocol

from flask_babel import gettext as _

from layers import FieldSpec, LayerRegistryError, LayerSpec
from webgis.core.text import fold, translated
from webgis.core.text import lazy_text as _l
from webgis.features import contacts
from webgis.features import hours as osm_hours

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_LABELS = (
    _l("poniedziałek"),
    _l("wtorek"),
    _l("środa"),
    _l("czwartek"),
    _l("piątek"),
    _l("sobota"),
    _l("niedziela"),
)
URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.I)
MAX_TEXT, MAX_TEXTAREA = 300, 5000
TRUE = ("y", "yes", "on", "true", "1")
#: How spreadsheets say yes and no in the interface languages (compared folded).
CELL_YES = frozenset({"tak", "t", "y", "yes", "true", "1", "x", "prawda", "так"})
CELL_NO = frozenset({"nie", "n", "no", "false", "0", "falsz", "ні", "ni"})
#: A day written the Polish way (01.05.2013) and an ISO day with a midnight time.
DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
ISO_DAY = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[T ]00:00(?::00(?:\.0+)?)?)?$")
WHOLE = re.compile(r"^(\d[\d ]*)(?:[.,]0+)?$")
#: A member as a cell writes it: "Fundacja X (organizacja pozarządowa)".
MEMBER = re.compile(r"^(.*?)\s*\(([^()]*)\)\s*$")
#: A day of opening hours in a cell: "poniedziałek 08:00-16:00, 17:00-19:00".
DAY_HOURS = re.compile(r"^([^\d]+?)\s*:?\s*(\d.*)$")


class OptionSource(Protocol):
    """Where choice-like fields find what a city offers (see ``editing``)."""

    def vocabulary(self, name: str) -> list[tuple[str, str]]:
        """A vocabulary's (key, label) pairs in the reader's language."""

    def service_areas(self) -> list[tuple[str, str]]:
        """The city's (code, name) pairs."""

    def features(self, layer: str) -> list[tuple[str, str]]:
        """(id, title) of the layer's features the reader may see."""


class CellLookup(Protocol):
    """How an import turns what a cell names into a stored key (see ``importing``)."""

    def key(self, spec_field: FieldSpec, text: str) -> str | None:
        """The key named by ``text`` (a key, or a label in pl/en/uk), or None."""


def _digits(value: str) -> bool:
    # str.isdigit() also accepts "²" and "٣", which int() refuses.
    return value.isascii() and value.isdigit()


def cell_text(value) -> str:
    """A spreadsheet cell as text: whole numbers without ``.0``, days in ISO form."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        midnight = value.time() == datetime.min.time()
        return value.date().isoformat() if midnight else value.isoformat(" ", "minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "; ".join(filter(None, (cell_text(v) for v in value)))
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value).strip()


def cell_items(value) -> list:
    """The values of a list cell: a list, a JSON array, or text split on ``;``/``,``."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except ValueError:
                value = text
        else:
            value = text.split(";" if ";" in text else ",")
    items = value if isinstance(value, list | tuple) else [value]
    return [v if isinstance(v, dict) else cell_text(v) for v in items if v is not None]


def _unknown(values) -> ValueError:
    return ValueError(_l("Nieznane wartości: %(v)s.", v=", ".join(values)))


def _whole_number(value) -> str:
    """A whole number's text ("1 200", 12.0 and "12,0" are 12); anything else as is."""
    text = cell_text(value)
    match = WHOLE.match(text)
    return match.group(1).replace(" ", "") if match else text


class FieldKind:
    """A kind of field; subclasses override what differs from one line of text."""

    name: ClassVar[str] = ""
    #: The input and the display templates (by file name, without ``.html``).
    widget: ClassVar[str] = "line"
    display: ClassVar[str] = "plain"
    #: An ``<input type>`` for one-line inputs.
    input_type: ClassVar[str] = "text"
    #: Several inputs under one legend (a fieldset) rather than one labelled input.
    grouped: ClassVar[bool] = False

    def check(self, layer: LayerSpec, spec_field: FieldSpec) -> None:
        """Refuse a declaration this kind cannot work with (at start-up)."""

    def clean(self, spec_field: FieldSpec, form, allowed) -> Any:
        """The stored value of what was submitted, or ValueError with a message."""
        return form.text(spec_field.name)

    def form_values(self, spec_field: FieldSpec, value) -> dict[str, list[str]]:
        """The form inputs that show a stored value again."""
        return {spec_field.name: [str(value)]}

    def options(self, spec_field: FieldSpec, source: OptionSource):
        """The (value, label) pairs offered, or None for kinds without choices."""
        return None

    def text(self, spec_field: FieldSpec, value, options: Mapping[str, str]) -> str:
        """The value as plain text in the reader's language (history, exports)."""
        return str(value)

    def same(self, before, after) -> bool:
        """Whether two stored values mean the same (so the history shows no change)."""
        return before == after

    def schema(self, spec_field: FieldSpec) -> dict:
        """A JSON Schema of the stored value, for APIs and typed exports."""
        return {"type": "string"}

    #: Keys that mean something only in their own city (feature ids): an import
    #: prefers the labels written beside them.
    keys_are_local: ClassVar[bool] = False

    def cell_type(self, spec_field: FieldSpec) -> str:
        """How a table holds the value: "integer", "date", "boolean" or "text".

        Read from :meth:`schema`, so a new kind is typed in exports at once.
        """
        schema = self.schema(spec_field)
        if schema.get("format") == "date":
            return "date"
        return {"integer": "integer", "boolean": "boolean"}.get(schema["type"], "text")

    def cell_choices(self, spec_field: FieldSpec) -> list[tuple[str, str]] | None:
        """(key, label) pairs a cell may name besides the :meth:`options`, if any."""
        return None

    def cell_to_form(
        self, spec_field: FieldSpec, value, lookup: CellLookup
    ) -> dict[str, list[str]]:
        """The form values of a spreadsheet cell, cleaned afterwards like a form.

        Raises ``ValueError`` with a message when the cell cannot mean a value.
        """
        return {spec_field.name: [cell_text(value)]}

    def to_cell(self, spec_field: FieldSpec, value) -> Any:
        """A stored value as one typed table cell (a number, a day, yes/no, text)."""
        return str(value)


class Text(FieldKind):
    """One line of text."""

    name = "text"
    limit: ClassVar[int] = MAX_TEXT

    def clean(self, spec_field, form, allowed):
        """The trimmed text, at most :attr:`limit` characters."""
        value = form.text(spec_field.name)
        if len(value) > self.limit:
            raise ValueError(_l("Najwyżej %(n)s znaków.", n=self.limit))
        return value

    def schema(self, spec_field):
        """A string of at most :attr:`limit` characters."""
        return {"type": "string", "maxLength": self.limit}


class Textarea(Text):
    """Several lines of text."""

    name = "textarea"
    widget = "textarea"
    display = "lines"
    limit = MAX_TEXTAREA


class Pattern(Text):
    """Text of a fixed shape: a URL, an e-mail address, a phone number."""

    pattern: ClassVar[re.Pattern]
    message: ClassVar[Any]
    format: ClassVar[str | None] = None

    def clean(self, spec_field, form, allowed):
        """The text in its stored form (see :meth:`normalise`); "" when empty."""
        value = super().clean(spec_field, form, allowed)
        return self.normalise(value, translated(spec_field.label)) if value else value

    def normalise(self, value: str, label: str) -> str:
        """The stored form of ``value``, else ValueError with a message.

        ``label`` names the field in the message (organisations use it too).
        """
        if not self.pattern.match(value):
            raise ValueError(self.message)
        return value

    def schema(self, spec_field):
        """A string, of :attr:`format` where JSON Schema names one."""
        schema = super().schema(spec_field)
        return {**schema, "format": self.format} if self.format else schema


class Url(Pattern):
    """A web address (http or https only: never ``javascript:``)."""

    name = "url"
    input_type = "url"
    display = "url"
    pattern = URL
    message = _l("Podaj adres zaczynający się od http:// lub https://.")
    format = "uri"


class Email(Pattern):
    """An e-mail address, checked by the validator WTForms uses; domain lowercased."""

    name = "email"
    input_type = "email"
    display = "email"
    format = "email"

    def normalise(self, value, label):
        """The address with its domain in lower case (:mod:`contacts`)."""
        try:
            return contacts.email_address(value)
        except ValueError:
            raise ValueError(
                _l(
                    "Pole „%(field)s”: podaj poprawny adres e-mail, "
                    "np. biuro@mops.example.pl.",
                    field=label,
                )
            ) from None

    def same(self, before, after):
        """The same address, whatever the case of its domain."""
        return contacts.same_email(before, after)


class Phone(Pattern):
    """A phone number: stored as E.164, shown as people write it in Poland."""

    name = "phone"
    input_type = "tel"
    display = "phone"

    def normalise(self, value, label):
        """The number in E.164 ("+48713456789"); Polish unless it says otherwise."""
        try:
            return contacts.phone_number(value)
        except ValueError:
            raise ValueError(
                _l(
                    "Pole „%(field)s”: to nie jest numer telefonu. Wpisz cały numer, "
                    "np. 71 345 67 89, 601 234 567 albo +48 601 234 567.",
                    field=label,
                )
            ) from None

    def form_values(self, spec_field, value):
        """The number as people write it, so the form shows what they would type."""
        return {spec_field.name: [contacts.shown_phone(value)]}

    def text(self, spec_field, value, options):
        """The number as people write it."""
        return contacts.shown_phone(value)

    def same(self, before, after):
        """The same number, however either was written."""
        return contacts.same_phone(before, after)


class Integer(FieldKind):
    """A whole number from 0 to the field's ``maximum``."""

    name = "int"
    input_type = "number"

    def clean(self, spec_field, form, allowed):
        """The number, refused outside 0 … maximum (one absurd entry breaks sums)."""
        value = form.text(spec_field.name).replace(" ", "")
        if not value:
            return None
        if not _digits(value) or int(value) > spec_field.maximum:
            raise ValueError(
                _l("Podaj liczbę całkowitą od 0 do %(max)s.", max=spec_field.maximum)
            )
        return int(value)

    def schema(self, spec_field):
        """An integer from 0 to the field's maximum."""
        return {"type": "integer", "minimum": 0, "maximum": spec_field.maximum}

    def cell_to_form(self, spec_field, value, lookup):
        """The number, also when a spreadsheet wrote it as 12.0."""
        return {spec_field.name: [_whole_number(value)]}

    def to_cell(self, spec_field, value):
        """An integer."""
        return int(value)


class Year(FieldKind):
    """A year, such as 2013, from 1989 to ten years ahead."""

    name = "year"
    input_type = "number"

    def clean(self, spec_field, form, allowed):
        """The year as a number."""
        value = form.text(spec_field.name)
        if not value:
            return None
        last = allowed.today.year + 10
        if not _digits(value) or not 1989 <= int(value) <= last:
            raise ValueError(_l("Podaj rok między 1989 a %(last)s.", last=last))
        return int(value)

    def schema(self, spec_field):
        """An integer year."""
        return {"type": "integer", "minimum": 1989}

    def cell_to_form(self, spec_field, value, lookup):
        """The year, also of a day (a cell formatted as a date)."""
        if isinstance(value, date):
            return {spec_field.name: [str(value.year)]}
        return {spec_field.name: [_whole_number(value)]}

    def to_cell(self, spec_field, value):
        """An integer."""
        return int(value)


class Date(FieldKind):
    """A day (YYYY-MM-DD), not in the future."""

    name = "date"
    input_type = "date"

    def clean(self, spec_field, form, allowed):
        """The day in ISO form."""
        value = form.text(spec_field.name)
        if not value:
            return None
        try:
            parsed = date.fromisoformat(value)
        except ValueError:
            raise ValueError(_l("Podaj datę w postaci RRRR-MM-DD.")) from None
        if parsed > allowed.today:
            raise ValueError(_l("Data nie może być z przyszłości."))
        if parsed.year < 1945:
            raise ValueError(_l("Data jest zbyt odległa."))
        return parsed.isoformat()

    def schema(self, spec_field):
        """An ISO date."""
        return {"type": "string", "format": "date"}

    def cell_to_form(self, spec_field, value, lookup):
        """The day of a date cell, of ``2013-05-01`` or of ``01.05.2013``."""
        text = cell_text(value)
        polish = DAY_MONTH_YEAR.match(text)
        iso = ISO_DAY.match(text)
        if polish:
            day, month, year = polish.groups()
            text = f"{year}-{int(month):02d}-{int(day):02d}"
        elif iso:
            text = iso.group(1)
        return {spec_field.name: [text]}

    def to_cell(self, spec_field, value):
        """A day."""
        return date.fromisoformat(value)


class Boolean(FieldKind):
    """Yes or no (a checkbox); "no" is not stored."""

    name = "bool"
    widget = "checkbox"
    display = "yes_no"

    def clean(self, spec_field, form, allowed):
        """True when ticked, else None."""
        return form.text(spec_field.name).lower() in TRUE or None

    def form_values(self, spec_field, value):
        """A ticked checkbox, or none."""
        return {spec_field.name: ["y"] if value else []}

    def text(self, spec_field, value, options):
        """Yes or no in the reader's language."""
        return _("tak") if value else _("nie")

    def schema(self, spec_field):
        """A boolean."""
        return {"type": "boolean"}

    def cell_to_form(self, spec_field, value, lookup):
        """Yes for true, 1, "tak", "yes", "так"…; no for their opposites or nothing."""
        if isinstance(value, bool | int | float):
            yes = bool(value)
        else:
            word = fold(cell_text(value))
            if word and word not in CELL_YES | CELL_NO:
                raise ValueError(_l("Wpisz „tak” albo „nie”."))
            yes = word in CELL_YES
        return {spec_field.name: ["y"] if yes else []}

    def to_cell(self, spec_field, value):
        """True or false."""
        return bool(value)


class Choice(FieldKind):
    """One of fixed ``choices`` or of a vocabulary's terms."""

    name = "choice"
    widget = "select"
    display = "label"

    def check(self, layer, spec_field):
        """A choice needs ``choices`` or a ``vocabulary`` to choose from."""
        if not (spec_field.choices or spec_field.vocabulary):
            raise LayerRegistryError(
                f"layer {layer.key!r}: field {spec_field.name!r} needs choices or a "
                "vocabulary"
            )

    def allowed_values(self, spec_field, allowed) -> set[str]:
        """The keys a submission may hold."""
        if spec_field.vocabulary:
            return set(allowed.vocabularies.get(spec_field.vocabulary, ()))
        return {value for value, _label in spec_field.choices}

    def clean(self, spec_field, form, allowed):
        """The chosen key, which must be offered."""
        value = form.text(spec_field.name)
        if value and value not in self.allowed_values(spec_field, allowed):
            raise ValueError(_l("Wybierz jedną z podanych możliwości."))
        return value

    def options(self, spec_field, source):
        """Vocabulary terms, or the fixed choices translated from their source."""
        if spec_field.vocabulary:
            return source.vocabulary(spec_field.vocabulary)
        return [(value, translated(label)) for value, label in spec_field.choices]

    def text(self, spec_field, value, options):
        """The label of the key (the key itself when it is no longer offered)."""
        return str(options.get(str(value), value))

    def schema(self, spec_field):
        """A string, one of the fixed choices when there are such."""
        if spec_field.choices:
            return {"type": "string", "enum": [v for v, _label in spec_field.choices]}
        return {"type": "string"}

    def cell_to_form(self, spec_field, value, lookup):
        """The key the cell names by its key or by a label in any language."""
        text = cell_text(value)
        if not text:
            return {}
        key = lookup.key(spec_field, text)
        if key is None:
            raise _unknown([text])
        return {spec_field.name: [key]}


class MultiChoice(Choice):
    """Several of the choices, in the order chosen."""

    name = "multichoice"
    widget = "checks"
    display = "labels"
    grouped = True

    def clean(self, spec_field, form, allowed):
        """The chosen keys, each once."""
        values = [v for v in (x.strip() for x in form.getlist(spec_field.name)) if v]
        unknown = set(values) - self.allowed_values(spec_field, allowed)
        if unknown:
            raise ValueError(
                _l("Nieznane wartości: %(v)s.", v=", ".join(sorted(unknown)))
            )
        return sorted(set(values), key=values.index)

    def form_values(self, spec_field, value):
        """One ticked box per key."""
        return {spec_field.name: [str(v) for v in value]}

    def text(self, spec_field, value, options):
        """The labels, comma-separated."""
        return ", ".join(str(options.get(str(v), v)) for v in value)

    def same(self, before, after):
        """The same keys in any order: reordering is not a change."""
        return set(before or []) == set(after or [])

    def schema(self, spec_field):
        """An array of keys."""
        return {"type": "array", "items": super().schema(spec_field)}

    def cell_to_form(self, spec_field, value, lookup):
        """The keys the cell names, split on ``;`` or ``,``.

        A whole cell that names one value is that value, even with a comma in it.
        """
        whole = isinstance(value, str) and lookup.key(spec_field, value.strip())
        if whole:
            return {spec_field.name: [whole]}
        items = [str(v) for v in cell_items(value) if str(v).strip()]
        keys = [lookup.key(spec_field, item.strip()) for item in items]
        unknown = [item for item, key in zip(items, keys, strict=True) if key is None]
        if unknown:
            raise _unknown(unknown)
        return {spec_field.name: keys}

    def to_cell(self, spec_field, value):
        """The keys, separated by semicolons."""
        return "; ".join(str(v) for v in value)


class ServiceArea(Choice):
    """The code of one of the city's service areas (a ZTPS, a Filia)."""

    name = "service_area"

    def check(self, layer, spec_field):
        """Service areas come from the city, not from choices."""

    def clean(self, spec_field, form, allowed):
        """A code of one of the city's areas."""
        value = form.text(spec_field.name)
        if value and value not in allowed.service_areas:
            raise ValueError(_l("Miasto nie ma obszaru %(code)s.", code=value))
        return value

    def options(self, spec_field, source):
        """The city's areas by name."""
        return source.service_areas()

    def schema(self, spec_field):
        """A service-area code."""
        return {"type": "string"}


class Links(MultiChoice):
    """Ids of features of the field's ``link_layer`` (a resource answers needs)."""

    name = "links"
    display = "links"
    # A feature's id means nothing in another city; its title does.
    keys_are_local = True

    def check(self, layer, spec_field):
        """A link names the layer it links to."""
        if not spec_field.link_layer:
            raise LayerRegistryError(
                f"layer {layer.key!r}: field {spec_field.name!r} needs a link_layer"
            )

    def clean(self, spec_field, form, allowed):
        """Ids of existing features the field may link to."""
        values = [str(v).strip() for v in form.getlist(spec_field.name)]
        values = [v for v in values if v]
        if not all(_digits(v) and len(v) < 12 for v in values):
            raise ValueError(_l("Niepoprawne powiązanie."))
        ids = list(dict.fromkeys(int(v) for v in values))
        known = allowed.known_links(spec_field.link_layer or "", set(ids))
        unknown = set(ids) - known
        if unknown:
            raise ValueError(
                _l(
                    "Nie można powiązać z: %(v)s.",
                    v=", ".join(map(str, sorted(unknown))),
                )
            )
        return ids

    def options(self, spec_field, source):
        """The titles of the features the reader may see."""
        return source.features(spec_field.link_layer)

    def schema(self, spec_field):
        """An array of feature ids."""
        return {"type": "array", "items": {"type": "integer"}}


class Members(FieldKind):
    """Organisations with their sector: ``[{"name", "sector"}]`` (``vocabulary``)."""

    name = "members"
    widget = "members"
    display = "members"
    grouped = True

    def check(self, layer, spec_field):
        """Members' sectors come from a vocabulary."""
        if not spec_field.vocabulary:
            raise LayerRegistryError(
                f"layer {layer.key!r}: field {spec_field.name!r} needs a vocabulary "
                "of sectors"
            )

    def clean(self, spec_field, form, allowed):
        """Named members, each with a known sector."""
        names = form.getlist(f"{spec_field.name}-name")
        sectors = form.getlist(f"{spec_field.name}-sector")
        known = set(allowed.vocabularies.get(spec_field.vocabulary, ()))
        members = []
        for name, sector in zip(names, sectors + [""] * len(names), strict=False):
            name, sector = name.strip(), sector.strip()
            if not name:
                continue
            if sector not in known:
                raise ValueError(_l("Wybierz sektor dla: %(name)s.", name=name))
            if len(name) > MAX_TEXT:
                raise ValueError(_l("Najwyżej %(n)s znaków.", n=MAX_TEXT))
            members.append({"name": name, "sector": sector})
        return members

    def form_values(self, spec_field, value):
        """A name input and a sector select per member."""
        members = [m for m in value if isinstance(m, dict)]
        return {
            f"{spec_field.name}-name": [str(m.get("name", "")) for m in members],
            f"{spec_field.name}-sector": [str(m.get("sector", "")) for m in members],
        }

    def options(self, spec_field, source):
        """The sectors."""
        return source.vocabulary(spec_field.vocabulary)

    def text(self, spec_field, value, options):
        """Each member as "name (sector)", separated by semicolons."""
        return "; ".join(
            f"{m.get('name', '')} ({options.get(m.get('sector'), m.get('sector'))})"
            for m in value
        )

    def same(self, before, after):
        """The same members in any order."""
        key = lambda m: (m.get("name"), m.get("sector"))  # noqa: E731
        return sorted(before or [], key=key) == sorted(after or [], key=key)

    def schema(self, spec_field):
        """An array of {name, sector}."""
        return {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "sector": {"type": "string"},
                },
            },
        }

    def cell_to_form(self, spec_field, value, lookup):
        """Members written "name (sector); …" (sector by key or label), or a list."""
        if isinstance(value, str) and not value.strip().startswith("["):
            value = value.split(";")
        names, sectors = [], []
        for item in cell_items(value):
            if isinstance(item, dict):
                name = cell_text(item.get("name"))
                sector = cell_text(item.get("sector"))
            else:
                match = MEMBER.match(item)
                name, sector = match.groups() if match else (item.strip(), "")
            if not name:
                continue
            key = lookup.key(spec_field, sector) if sector else None
            if key is None:
                raise ValueError(_l("Wybierz sektor dla: %(name)s.", name=name))
            names.append(name)
            sectors.append(key)
        return {f"{spec_field.name}-name": names, f"{spec_field.name}-sector": sectors}

    def to_cell(self, spec_field, value):
        """Each member as "name (sector key)", separated by semicolons."""
        return "; ".join(f"{m['name']} ({m['sector']})" for m in value)


class Hours(FieldKind):
    """Opening hours in OpenStreetMap's syntax: ``"Mo-Fr 08:00-16:00; PH off"``.

    The form has the expression and a per-day editor (rows of times, "closed on
    public holidays", a note) that writes it: in the browser as it is typed, and
    here when the rows were changed without a script (:meth:`clean`). See
    :mod:`webgis.features.hours`.
    """

    name = "hours"
    widget = "hours"
    display = "hours"
    grouped = True

    def clean(self, spec_field, form, allowed):
        """The normal form of the expression, or of the editor's rows if changed.

        The form carries the editor as it was shown (``-shown``); rows that differ
        from it were edited and win, else the typed expression is read.
        """
        name = spec_field.name
        label = translated(spec_field.label)
        state = _editor_state(form, name)
        if state != form.text(f"{name}-shown"):
            rows = {}
            for day, day_label in zip(WEEKDAYS, WEEKDAY_LABELS, strict=True):
                try:
                    rows[day] = osm_hours.row_text(form.text(f"{name}-{day}"))
                except ValueError as problem:
                    raise ValueError(f"{label}, {day_label}: {problem}") from None
            closed = form.text(f"{name}-ph").lower() in TRUE
            return osm_hours.from_rows(rows, closed, form.text(f"{name}-note"))
        try:
            return osm_hours.normalise(form.text(name))
        except ValueError as problem:
            raise ValueError(f"{label}: {problem}") from None

    def form_values(self, spec_field, value):
        """The expression, and the per-day editor's rows, holidays and note."""
        name = spec_field.name
        expr = osm_hours.expression(value)
        rows, closed, note, complete = osm_hours.editor(expr)
        values = {f"{name}-{day}": [rows[day]] for day in WEEKDAYS}
        values.update(
            {
                name: [expr],
                f"{name}-ph": ["y"] if closed else [],
                f"{name}-note": [note],
                f"{name}-partial": [] if complete else ["y"],
            }
        )
        values[f"{name}-shown"] = [_editor_state(values, name)]
        return values

    def text(self, spec_field, value, options):
        """The hours in words: "pon.–pt. 8:00–16:00; w święta zamknięte"."""
        return osm_hours.describe(osm_hours.expression(value))

    def same(self, before, after):
        """The same expression (structured hours of old compare by theirs)."""
        return osm_hours.expression(before) == osm_hours.expression(after)

    def schema(self, spec_field):
        """A string in OpenStreetMap's opening_hours syntax."""
        return {
            "type": "string",
            "description": "OpenStreetMap opening_hours, e.g. Mo-Fr 08:00-16:00",
        }

    def cell_choices(self, spec_field):
        """The weekdays, which a cell of per-day hours names by key or by name."""
        labels = zip(WEEKDAYS, WEEKDAY_LABELS, strict=True)
        return [(day, str(label)) for day, label in labels]

    def cell_to_form(self, spec_field, value, lookup):
        """The syntax as written, an object of days, or "mon 08:00-16:00; wtorek …"."""
        if isinstance(value, str) and value.strip().startswith("{"):
            try:
                value = json.loads(value)
            except ValueError:
                message = _l("Zapisz godziny jak Mo-Fr 08:00-16:00; Sa 10:00-13:00.")
                raise ValueError(message) from None
        if isinstance(value, dict):
            return {spec_field.name: [osm_hours.expression(value)]}
        text = cell_text(value)
        values = {}
        for part in filter(None, re.split(r"[;\n]", text)):
            match = DAY_HOURS.match(part.strip())
            day = lookup.key(spec_field, match.group(1)) if match else None
            if day is None:
                # Not days named one by one: the opening_hours syntax.
                return {spec_field.name: [text]}
            values[f"{spec_field.name}-{day}"] = [match.group(2)]
        return values

    def to_cell(self, spec_field, value):
        """The expression in OpenStreetMap's syntax."""
        return osm_hours.expression(value)


def _editor_state(form, name: str) -> str:
    """The per-day editor's inputs as one text, to tell whether they were changed."""
    get = form.text if hasattr(form, "text") else lambda key: (form.get(key) or [""])[0]
    parts = [get(f"{name}-{day}").strip() for day in WEEKDAYS]
    parts += [get(f"{name}-ph").strip(), get(f"{name}-note").strip()]
    # An empty editor is "" whether or not the form had one.
    return "|".join(parts) if any(parts) else ""


#: Every kind by the name a FieldSpec uses.
KINDS: dict[str, FieldKind] = {
    kind.name: kind()
    for kind in (
        Text,
        Textarea,
        Integer,
        Date,
        Year,
        Boolean,
        Url,
        Email,
        Phone,
        Choice,
        MultiChoice,
        ServiceArea,
        Members,
        Hours,
        Links,
    )
}


def kind_of(spec_field: FieldSpec) -> FieldKind:
    """The kind object of a field."""
    return KINDS[spec_field.kind]


def check_layers(registry: Mapping[str, LayerSpec]) -> None:
    """Refuse at start-up a layer whose fields name an unknown kind or misuse one."""
    for spec in registry.values():
        for spec_field in spec.all_fields:
            kind = KINDS.get(spec_field.kind)
            if kind is None:
                raise LayerRegistryError(
                    f"layer {spec.key!r}: field {spec_field.name!r} has kind "
                    f"{spec_field.kind!r}; the kinds are {', '.join(KINDS)}"
                )
            kind.check(spec, spec_field)
            if spec_field.kind == "links" and spec_field.link_layer not in registry:
                raise LayerRegistryError(
                    f"layer {spec.key!r}: field {spec_field.name!r} links to "
                    f"{spec_field.link_layer!r}, which is not a layer"
                )


def public_schema(spec: LayerSpec) -> dict:
    """A JSON Schema of the properties the public gets of the layer's features.

    Only public fields, each typed by its kind and titled in the reader's language;
    a field that applies to some features only (``when``) says so.
    """
    properties = {}
    for spec_field in spec.all_fields:
        if not spec_field.public:
            continue
        schema = {
            **KINDS[spec_field.kind].schema(spec_field),
            "title": translated(spec_field.label),
        }
        if spec_field.when:
            other, wanted = spec_field.when
            schema["description"] = f"{other} = {wanted}"
        properties[spec_field.name] = schema
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": translated(spec.title),
        "type": "object",
        "properties": properties,
        "required": [
            f.name for f in spec.all_fields if f.public and f.required and not f.when
        ],
    }
