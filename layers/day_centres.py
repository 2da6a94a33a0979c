"""Day-support centres and other support facilities: where people find help."""

from layers import N_, FieldSpec, LayerSpec, description_field, name_field

#: The facility types that are day support (placówki wsparcia dziennego and ośrodki
#: wsparcia in the acts on family support and on social assistance): the analysis
#: counts only these as facilities. A MOPS office, a vocational activation point
#: (PASZ), an integration club or centre, counselling and shelters are on the map
#: but are not places where people spend the day in support.
DAY_SUPPORT_TYPES = (
    "day_support_care",
    "day_support_specialist",
    "day_support_street_work",
    "sds",
    "ddp",
    "self_help_club",
    "support_centre",
)

LAYER = LayerSpec(
    key="day_centres",
    title=N_("Placówki wsparcia"),
    geometry_type="Point",
    colour="#1f78b4",
    symbol="■",
    finder=True,
    # The analysis counts these as facilities by default.
    facilities=True,
    facilities_when=("facility_type", DAY_SUPPORT_TYPES),
    fields=(
        name_field(),
        FieldSpec(
            "facility_type",
            N_("Typ placówki"),
            "choice",
            required=True,
            vocabulary="facility_type",
            listed=True,
            role="category",
        ),
        FieldSpec(
            "operator",
            N_("Prowadzący"),
            required=True,
            searchable=True,
            role="operator",
        ),
        FieldSpec(
            "operator_kind",
            N_("Rodzaj prowadzącego"),
            "choice",
            choices=(("public", N_("publiczny")), ("non_public", N_("niepubliczny"))),
        ),
        FieldSpec(
            "capacity",
            N_("Liczba miejsc"),
            "int",
            listed=True,
            maximum=10_000,
            role="capacity",
        ),
        FieldSpec(
            "target_groups",
            N_("Grupy docelowe"),
            "multichoice",
            vocabulary="target_group",
        ),
        FieldSpec("opening_hours", N_("Godziny otwarcia"), "hours"),
        FieldSpec("phone", N_("Telefon"), "phone", role="phone"),
        FieldSpec("email", N_("E-mail"), "email", role="email"),
        FieldSpec("website", N_("Strona internetowa"), "url", role="website"),
        FieldSpec(
            "accessibility", N_("Dostępność"), "multichoice", vocabulary="accessibility"
        ),
        FieldSpec(
            "languages",
            N_("Języki obsługi"),
            help=N_("np. polski, ukraiński"),
            role="languages",
        ),
        FieldSpec(
            "verified_on",
            N_("Dane sprawdzone dnia"),
            "date",
            listed=True,
            role="verified_on",
            help=N_("Dane niesprawdzane od 12 miesięcy są oznaczane „do weryfikacji”."),
        ),
        description_field(),
    ),
)
