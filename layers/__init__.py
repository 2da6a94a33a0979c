"""Thematic layers: each module of this package declares one ``LAYER = LayerSpec(...)``.

Nothing else registers a layer. The app discovers the modules here at start-up; forms,
validation, lists, the API, popups and map toggles are generated from the specs, so a
new layer is one new module (and maybe one popup template). Specs hold no framework
code: labels are Polish source strings marked with :func:`N_` and translated where
they are shown.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from types import ModuleType

GEOMETRY_TYPES = ("Point", "Polygon", "Geometry")

#: What a field can mean to the rest of the app. The core asks a layer for the field
#: with a role, never for a field by its name, so a new layer with places or a
#: verification date takes part in the analysis and the "to verify" badges at once.
ROLES = (
    "title",  # names a feature in lists, popups, the finder and moderation
    "category",  # what lists filter by and analyses count by (a type, an area of life)
    "description",  # free text a moderator may correct
    "capacity",  # places: per-resident figures and 2SFCA in the analysis
    "verified_on",  # when the data were last confirmed ("to verify" after a year)
    "operator",  # who runs it (the finder, schema.org)
    "phone",
    "email",
    "website",
    "languages",  # languages spoken, as free text (the finder's language filter)
    "partners",  # partner organisations, one a line or separated by ";" (records)
)


def N_(text: str) -> str:  # noqa: N802 (the gettext convention for "mark only")
    """Mark a Polish source string for translation without translating it here."""
    return text


class LayerRegistryError(ValueError):
    """A layer module that is malformed or reuses another layer's key."""


@dataclass(frozen=True)
class FieldSpec:
    """One attribute of a layer's features.

    ``kind`` names a field kind of :mod:`webgis.features.kinds` ("text", "choice",
    "hours", …). ``vocabulary`` names a controlled vocabulary for choice fields;
    ``choices`` gives fixed ``(value, label)`` pairs instead. ``when`` limits a field
    to features whose other field has a value, e.g. ``("kind", "need")``.
    """

    name: str
    label: str
    kind: str = "text"
    required: bool = False
    choices: tuple[tuple[str, str], ...] = ()
    vocabulary: str | None = None
    when: tuple[str, str] | None = None
    listed: bool = False
    searchable: bool = False
    public: bool = True
    link_layer: str | None = None
    help: str = ""
    #: A field naming a person (a contact) is shown to the public only when the field
    #: named here (the date the person consented) is filled in (RODO/GDPR).
    consent: str | None = None
    #: The largest value a number field takes (the smallest is 0): one absurd entry
    #: must not break every page that adds or formats the numbers.
    maximum: int = 1_000_000
    #: What the field means to the rest of the app (one of :data:`ROLES`).
    role: str | None = None
    #: Another field this one may not come before (a programme's last year).
    after: str | None = None

    def __post_init__(self):
        # The kind itself is checked by the app, which knows the kinds (kinds.py).
        if self.maximum < 0:
            raise LayerRegistryError(f"field {self.name!r}: maximum must be >= 0")
        if self.role is not None and self.role not in ROLES:
            raise LayerRegistryError(
                f"field {self.name!r}: role should be one of {ROLES}, got {self.role!r}"
            )


@dataclass(frozen=True)
class NeedsAndResources:
    """A layer that maps needs and the resources answering them (the gap analysis).

    ``field`` tells them apart: ``need`` and ``resource`` are its two values.
    """

    field: str
    need: str
    resource: str


@dataclass(frozen=True)
class LayerSpec:
    """Everything the app needs to know about one thematic layer.

    Fields say what they mean through their ``role`` (the title, the category, the
    places…). The layer says what it takes part in:

    - ``public_when``: a boolean field that must be true for the public to see a
      feature (needs are internal unless marked public);
    - ``finder``: its public features are services in the public finder, limited by
      ``finder_when`` (a field and the value it must have);
    - ``facilities``: the analysis counts its features as facilities by default,
      only those whose field has one of the values of ``facilities_when`` (a field
      and a tuple of values) when it is given;
    - ``needs``: it maps needs and resources (:class:`NeedsAndResources`), which the
      gap analysis pairs by category;
    - ``suggestions``: residents may suggest features of it; the pair names the field
      and value that record a public suggestion as the source.

    ``colour`` and ``symbol`` style the map.
    """

    key: str
    title: str
    geometry_type: str
    fields: tuple[FieldSpec, ...] = ()
    public_when: tuple[str, object] | None = None
    colour: str = "#3366cc"
    symbol: str = "●"
    description: str = ""
    finder: bool = False
    finder_when: tuple[str, object] | None = None
    facilities: bool = False
    facilities_when: tuple[str, tuple[str, ...]] | None = None
    needs: NeedsAndResources | None = None
    suggestions: tuple[str, str] | None = None

    def __post_init__(self):
        if not self.key.isidentifier():
            raise LayerRegistryError(f"layer key {self.key!r} is not an identifier")
        if self.geometry_type not in GEOMETRY_TYPES:
            raise LayerRegistryError(
                f"layer {self.key!r}: geometry_type should be one of "
                f"{GEOMETRY_TYPES}, got {self.geometry_type!r}"
            )
        names = [f.name for f in self.all_fields]
        if len(set(names)) != len(names):
            raise LayerRegistryError(f"layer {self.key!r} declares a field twice")
        roles = [f.role for f in self.all_fields if f.role]
        doubled = {role for role in roles if roles.count(role) > 1}
        if doubled:
            raise LayerRegistryError(
                f"layer {self.key!r}: more than one field has the role "
                f"{', '.join(sorted(doubled))}"
            )
        if self.fields and "title" not in roles:
            raise LayerRegistryError(
                f"layer {self.key!r}: one field must have role='title'"
            )
        for spec_field in self.all_fields:
            if spec_field.after and spec_field.after not in names:
                raise LayerRegistryError(
                    f"layer {self.key!r}: field {spec_field.name!r} comes after "
                    f"{spec_field.after!r}, which is not a field"
                )
        for spec_field in self.all_fields:
            if spec_field.consent and spec_field.consent not in names:
                raise LayerRegistryError(
                    f"layer {self.key!r}: field {spec_field.name!r} waits for consent "
                    f"in {spec_field.consent!r}, which is not a field"
                )
            if spec_field.consent and (spec_field.listed or spec_field.searchable):
                # Lists and searches show one column for all rows; consent is per row.
                raise LayerRegistryError(
                    f"layer {self.key!r}: field {spec_field.name!r} needs consent, so "
                    "it cannot be listed or searchable"
                )

    @property
    def all_fields(self) -> tuple[FieldSpec, ...]:
        """The layer's own fields followed by those every layer has."""
        return self.fields + COMMON_FIELDS

    def get_field(self, name: str) -> FieldSpec:
        """The field called ``name``."""
        return next(f for f in self.all_fields if f.name == name)

    def field_for(self, role: str) -> FieldSpec | None:
        """The field with this role, or None when the layer has none."""
        return next((f for f in self.all_fields if f.role == role), None)

    def value_of(self, role: str, properties: dict):
        """The value a feature's properties hold in the field with ``role``."""
        spec_field = self.field_for(role)
        return (properties or {}).get(spec_field.name) if spec_field else None

    @property
    def title_field(self) -> str:
        """The name of the field that titles a feature."""
        spec_field = self.field_for("title")
        return spec_field.name if spec_field else "name"

    @property
    def category_field(self) -> str | None:
        """The name of the field lists filter by, if the layer has one."""
        spec_field = self.field_for("category")
        return spec_field.name if spec_field else None

    def applies(self, spec_field: FieldSpec, properties: dict) -> bool:
        """Whether a field belongs to a feature with these properties (its ``when``)."""
        if spec_field.when is None:
            return True
        other, wanted = spec_field.when
        return properties.get(other) == wanted


def name_field(name: str = "name", label: str = N_("Nazwa"), **details) -> FieldSpec:
    """The usual title of a feature: required, listed first and searchable."""
    return FieldSpec(
        name,
        label,
        required=True,
        listed=True,
        searchable=True,
        role="title",
        **details,
    )


def description_field(**details) -> FieldSpec:
    """The usual free description, searchable, which moderators may correct."""
    return FieldSpec(
        "description",
        N_("Opis"),
        "textarea",
        searchable=True,
        role="description",
        **details,
    )


#: Where a feature is and how sure that is: many addresses are known only roughly at
#: first, and organisers correct the markers flagged as approximate.
PRECISIONS = (
    ("address", N_("adres")),
    ("street", N_("ulica")),
    ("unit", N_("jednostka (osiedle, dzielnica)")),
)
COMMON_FIELDS = (
    FieldSpec("address", N_("Adres"), searchable=True),
    FieldSpec(
        "location_precision",
        N_("Dokładność lokalizacji"),
        "choice",
        required=True,
        choices=PRECISIONS,
    ),
    FieldSpec("sample", N_("Przykład (dane nieprawdziwe)"), "bool"),
    # Notes on where the data came from are for staff, never public.
    FieldSpec("data_source", N_("Źródło danych"), "textarea", public=False),
)


def discover(package: ModuleType | None = None) -> dict[str, LayerSpec]:
    """Import every module of ``package`` (this one by default) and collect its LAYER.

    Raises
    ------
    LayerRegistryError
        A module without a ``LayerSpec`` named ``LAYER``, or two modules with one key.
    """
    package = package or importlib.import_module(__name__)
    found: dict[str, LayerSpec] = {}
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        spec = getattr(module, "LAYER", None)
        if not isinstance(spec, LayerSpec):
            raise LayerRegistryError(
                f"{module.__name__} should define LAYER = LayerSpec(...), "
                f"got {type(spec).__name__}"
            )
        if spec.key in found:
            raise LayerRegistryError(
                f"layer key {spec.key!r} is declared twice (again in {module.__name__})"
            )
        found[spec.key] = spec
    return found
