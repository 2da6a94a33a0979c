"""Local activity programmes (PAL): a team's programme for a neighbourhood."""

from layers import N_, FieldSpec, LayerSpec, description_field, name_field

LAYER = LayerSpec(
    key="pal",
    title=N_("Programy aktywności lokalnej"),
    geometry_type="Polygon",
    colour="#33a02c",
    symbol="▲",
    fields=(
        name_field(),
        FieldSpec(
            "service_area",
            N_("Zespół / obszar"),
            "service_area",
            required=True,
            listed=True,
        ),
        FieldSpec("years_from", N_("Od roku"), "year", required=True, listed=True),
        FieldSpec("years_to", N_("Do roku"), "year", listed=True, after="years_from"),
        FieldSpec(
            "target_groups",
            N_("Grupy docelowe"),
            "multichoice",
            vocabulary="target_group",
            role="category",
        ),
        FieldSpec(
            "instruments", N_("Instrumenty"), "multichoice", vocabulary="pal_instrument"
        ),
        FieldSpec("participants", N_("Liczba uczestników"), "int", maximum=100_000),
        FieldSpec("animators", N_("Animatorzy"), "text"),
        FieldSpec(
            "partnerships", N_("Partnerstwa"), "links", link_layer="partnerships"
        ),
        FieldSpec(
            "partner_organisations",
            N_("Organizacje partnerskie"),
            "textarea",
            role="partners",
            help=N_("Jedna organizacja w wierszu (albo oddzielone średnikami)."),
        ),
        description_field(),
    ),
)
