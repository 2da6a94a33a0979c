"""Local partnerships (partnerstwa lokalne): who works together for a neighbourhood."""

from layers import N_, FieldSpec, LayerSpec

LAYER = LayerSpec(
    key="partnerships",
    title=N_("Partnerstwa lokalne"),
    geometry_type="Polygon",
    colour="#6a3d9a",
    symbol="◆",
    category_field="partnership_status",
    fields=(
        FieldSpec("name", N_("Nazwa"), required=True, listed=True, searchable=True),
        FieldSpec(
            "formal",
            N_("Forma"),
            "choice",
            required=True,
            choices=(("formal", N_("formalne")), ("informal", N_("nieformalne"))),
            listed=True,
        ),
        FieldSpec("founded_on", N_("Data zawiązania"), "date", listed=True),
        FieldSpec(
            "partnership_status",
            N_("Stan"),
            "choice",
            required=True,
            choices=(
                ("active", N_("działa")),
                ("dormant", N_("uśpione")),
                ("ended", N_("zakończone")),
            ),
            listed=True,
        ),
        FieldSpec("coordinating_team", N_("Zespół koordynujący"), "service_area"),
        FieldSpec("members", N_("Członkowie"), "members"),
        FieldSpec("description", N_("Opis"), "textarea", searchable=True),
    ),
)
