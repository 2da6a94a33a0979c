"""Day-support centres and other support facilities: where people find help."""

from layers import N_, FieldSpec, LayerSpec

LAYER = LayerSpec(
    key="day_centres",
    title=N_("Placówki wsparcia"),
    geometry_type="Point",
    colour="#1f78b4",
    symbol="■",
    category_field="facility_type",
    finder=True,
    fields=(
        FieldSpec("name", N_("Nazwa"), required=True, listed=True, searchable=True),
        FieldSpec(
            "facility_type",
            N_("Typ placówki"),
            "choice",
            required=True,
            vocabulary="facility_type",
            listed=True,
        ),
        FieldSpec("operator", N_("Prowadzący"), required=True, searchable=True),
        FieldSpec(
            "operator_kind",
            N_("Rodzaj prowadzącego"),
            "choice",
            choices=(("public", N_("publiczny")), ("non_public", N_("niepubliczny"))),
        ),
        FieldSpec("capacity", N_("Liczba miejsc"), "int", listed=True, maximum=10_000),
        FieldSpec(
            "target_groups",
            N_("Grupy docelowe"),
            "multichoice",
            vocabulary="target_group",
        ),
        FieldSpec("opening_hours", N_("Godziny otwarcia"), "hours"),
        FieldSpec("phone", N_("Telefon"), "phone"),
        FieldSpec("email", N_("E-mail"), "email"),
        FieldSpec("website", N_("Strona internetowa"), "url"),
        FieldSpec(
            "accessibility", N_("Dostępność"), "multichoice", vocabulary="accessibility"
        ),
        FieldSpec("languages", N_("Języki obsługi"), help=N_("np. polski, ukraiński")),
        FieldSpec(
            "verified_on",
            N_("Dane sprawdzone dnia"),
            "date",
            listed=True,
            help=N_("Dane niesprawdzane od 12 miesięcy są oznaczane „do weryfikacji”."),
        ),
        FieldSpec("description", N_("Opis"), "textarea", searchable=True),
    ),
)
