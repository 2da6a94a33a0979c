"""Local partnerships (partnerstwa lokalne): who works together for a neighbourhood."""

from layers import N_, FieldSpec, LayerSpec, description_field, name_field

LAYER = LayerSpec(
    key="partnerships",
    title=N_("Partnerstwa lokalne"),
    geometry_type="Polygon",
    colour="#6a3d9a",
    symbol="◆",
    fields=(
        name_field(),
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
            role="category",
        ),
        FieldSpec("coordinating_team", N_("Zespół koordynujący"), "service_area"),
        FieldSpec("members", N_("Członkowie"), "members", vocabulary="partner_sector"),
        description_field(),
    ),
)
