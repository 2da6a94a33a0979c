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
FIELD_KINDS = (
    "text",  # one line
    "textarea",  # several lines
    "int",  # a whole number, never negative
    "date",  # YYYY-MM-DD
    "year",  # a year such as 2013
    "bool",
    "url",
    "email",
    "phone",
    "choice",  # one of ``choices`` or of a vocabulary's terms
    "multichoice",  # several of them
    "service_area",  # the code of one of the city's service areas
    "members",  # organisations with their sector: [{"name", "sector"}]
    "hours",  # opening hours per weekday: {"mon": [["08:00", "16:00"]], ...}
    "links",  # ids of features of ``link_layer``
)


def N_(text: str) -> str:  # noqa: N802 (the gettext convention for "mark only")
    """Mark a Polish source string for translation without translating it here."""
    return text


class LayerRegistryError(ValueError):
    """A layer module that is malformed or reuses another layer's key."""


@dataclass(frozen=True)
class FieldSpec:
    """One attribute of a layer's features.

    ``vocabulary`` names a controlled vocabulary for choice fields; ``choices`` gives
    fixed ``(value, label)`` pairs instead. ``when`` limits a field to features whose
    other field has a value, e.g. ``("kind", "need")``.
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

    def __post_init__(self):
        if self.kind not in FIELD_KINDS:
            raise LayerRegistryError(
                f"field {self.name!r}: kind should be one of {FIELD_KINDS}, "
                f"got {self.kind!r}"
            )
        if self.maximum < 0:
            raise LayerRegistryError(f"field {self.name!r}: maximum must be >= 0")
        if self.kind in ("choice", "multichoice") and not (
            self.choices or self.vocabulary
        ):
            raise LayerRegistryError(
                f"field {self.name!r} needs choices or a vocabulary"
            )


@dataclass(frozen=True)
class LayerSpec:
    """Everything the app needs to know about one thematic layer.

    ``title_field`` names the field that titles a feature; ``category_field`` the one
    lists filter by; ``public_when`` a boolean field that must be true for the public
    to see a feature (needs are internal unless marked public); ``colour`` and
    ``symbol`` style the map. ``finder`` puts the layer's public features in the
    public service finder, limited by ``finder_when`` (a field and the value it must
    have, e.g. only resources of the needs-and-resources layer).
    """

    key: str
    title: str
    geometry_type: str
    fields: tuple[FieldSpec, ...] = ()
    title_field: str = "name"
    category_field: str | None = None
    public_when: tuple[str, object] | None = None
    colour: str = "#3366cc"
    symbol: str = "●"
    description: str = ""
    finder: bool = False
    finder_when: tuple[str, object] | None = None

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
        if self.fields and self.title_field not in names:
            raise LayerRegistryError(
                f"layer {self.key!r}: title_field {self.title_field!r} is not a field"
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

    def applies(self, spec_field: FieldSpec, properties: dict) -> bool:
        """Whether a field belongs to a feature with these properties (its ``when``)."""
        if spec_field.when is None:
            return True
        other, wanted = spec_field.when
        return properties.get(other) == wanted


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
