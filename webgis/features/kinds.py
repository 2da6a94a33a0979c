"""Field kinds: what each kind of layer field is, written once.

A layer's :class:`~layers.FieldSpec` names its kind ("text", "choice", "hours", …).
The object registered here under that name knows everything about that kind: how
to clean a submitted value, turn a stored value back into form values, offer its
choices, write a value as text, compare two values for the history and describe its
type to outputs (a JSON Schema). Templates ask the kind which input
(``templates/features/widgets/<widget>.html``) and which display
(``templates/features/values/<display>.html``) to use. A new kind is one class here
and, when it needs them, one widget and one display template.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any, ClassVar, Protocol

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from layers import FieldSpec, LayerRegistryError, LayerSpec
from webgis.core.text import translated

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
TIME = r"([01]\d|2[0-3]):[0-5]\d|24:00"
INTERVAL = re.compile(rf"^\s*({TIME})\s*[-–]\s*({TIME})\s*$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[\d\s()\-]{6,20}$")
URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.I)
MAX_TEXT, MAX_TEXTAREA = 300, 5000
TRUE = ("y", "yes", "on", "true", "1")


class OptionSource(Protocol):
    """Where choice-like fields find what a city offers (see ``editing``)."""

    def vocabulary(self, name: str) -> list[tuple[str, str]]:
        """A vocabulary's (key, label) pairs in the reader's language."""

    def service_areas(self) -> list[tuple[str, str]]:
        """The city's (code, name) pairs."""

    def features(self, layer: str) -> list[tuple[str, str]]:
        """(id, title) of the layer's features the reader may see."""


def _digits(value: str) -> bool:
    # str.isdigit() also accepts "²" and "٣", which int() refuses.
    return value.isascii() and value.isdigit()


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
        """The text when it has the shape, else ValueError with :attr:`message`."""
        value = super().clean(spec_field, form, allowed)
        if value and not self.pattern.match(value):
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
    """An e-mail address."""

    name = "email"
    input_type = "email"
    display = "email"
    pattern = EMAIL
    message = _l("Podaj poprawny adres e-mail.")
    format = "email"


class Phone(Pattern):
    """A phone number as people write it."""

    name = "phone"
    input_type = "tel"
    pattern = PHONE
    message = _l("Podaj numer telefonu (cyfry, spacje, +, -).")


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


class Hours(FieldKind):
    """Opening hours per weekday: ``{"mon": [["08:00", "16:00"]], …}``."""

    name = "hours"
    widget = "hours"
    display = "hours"
    grouped = True

    def clean(self, spec_field, form, allowed):
        """Each day's intervals, ordered and not overlapping."""
        hours = {}
        for day in WEEKDAYS:
            text = form.text(f"{spec_field.name}-{day}")
            if text:
                hours[day] = parse_hours(text)
        return hours

    def form_values(self, spec_field, value):
        """One input per weekday, like "08:00-12:00, 13:00-16:00"."""
        return {
            f"{spec_field.name}-{day}": [
                ", ".join(
                    "-".join(map(str, interval)) for interval in value.get(day) or []
                )
            ]
            for day in WEEKDAYS
        }

    def text(self, spec_field, value, options):
        """The open days with their hours, e.g. "poniedziałek 08:00–16:00"."""
        return "; ".join(
            f"{label} " + ", ".join(f"{a}–{b}" for a, b in value[day])
            for day, label in zip(WEEKDAYS, WEEKDAY_LABELS, strict=True)
            if value.get(day)
        )

    def schema(self, spec_field):
        """An object of weekdays, each a list of [start, end] times."""
        interval = {"type": "array", "items": {"type": "string"}}
        return {
            "type": "object",
            "properties": {
                day: {"type": "array", "items": interval} for day in WEEKDAYS
            },
        }


def parse_hours(text: str) -> list[list[str]]:
    """Parse "08:00-12:00, 13:00-16:00" into ordered, non-overlapping intervals."""
    intervals = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        match = INTERVAL.match(part)
        if not match:
            raise ValueError(_l("Zapisz godziny jak 08:00-16:00, 17:00-19:00."))
        start, end = match.group(1), match.group(3)
        if start >= end:
            raise ValueError(_l("Koniec musi być później niż początek: %(p)s.", p=part))
        intervals.append([start, end])
    intervals.sort()
    for (_s1, end1), (start2, _e2) in zip(intervals, intervals[1:], strict=False):
        if start2 < end1:
            raise ValueError(_l("Przedziały godzin nakładają się."))
    return intervals


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
