"""Needs and resources (mapa zasobów i potrzeb) of a neighbourhood."""

from layers import (
    N_,
    FieldSpec,
    LayerSpec,
    NeedsAndResources,
    description_field,
    name_field,
)

NEED = ("kind", "need")
RESOURCE = ("kind", "resource")

LAYER = LayerSpec(
    key="needs_resources",
    title=N_("Zasoby i potrzeby"),
    geometry_type="Geometry",
    colour="#e31a1c",
    symbol="✚",
    # Needs are internal until their organiser marks them public; resources are
    # public once published.
    public_when=("public", True),
    # A resource (a place that helps) is a service too; needs are not.
    finder=True,
    finder_when=RESOURCE,
    # The gap analysis pairs needs with resources of their category.
    needs=NeedsAndResources("kind", "need", "resource"),
    # Residents suggest needs and resources from the public site.
    suggestions=("source_kind", "public_suggestion"),
    fields=(
        FieldSpec(
            "kind",
            N_("Rodzaj"),
            "choice",
            required=True,
            listed=True,
            choices=(("need", N_("potrzeba")), ("resource", N_("zasób"))),
        ),
        name_field("title", N_("Tytuł")),
        FieldSpec(
            "category",
            N_("Obszar życia"),
            "choice",
            required=True,
            vocabulary="category",
            listed=True,
            role="category",
        ),
        description_field(),
        FieldSpec(
            "source_kind", N_("Źródło informacji"), "choice", vocabulary="need_source"
        ),
        FieldSpec("observed_on", N_("Data obserwacji"), "date", listed=True),
        FieldSpec(
            "priority",
            N_("Priorytet"),
            "choice",
            when=NEED,
            choices=(
                ("low", N_("niski")),
                ("medium", N_("średni")),
                ("high", N_("wysoki")),
            ),
        ),
        FieldSpec(
            "need_state",
            N_("Stan potrzeby"),
            "choice",
            when=NEED,
            listed=True,
            choices=(
                ("reported", N_("zgłoszona")),
                ("confirmed", N_("potwierdzona")),
                ("being_addressed", N_("w realizacji")),
                ("met", N_("zaspokojona")),
            ),
        ),
        FieldSpec(
            "public",
            N_("Pokazuj publicznie"),
            "bool",
            when=NEED,
            help=N_("Potrzeby są domyślnie wewnętrzne."),
        ),
        FieldSpec(
            "offered_by",
            N_("Kto oferuje"),
            when=RESOURCE,
            searchable=True,
            role="operator",
            help=N_("Instytucja, organizacja lub grupa; osobę wpisz niżej."),
        ),
        FieldSpec(
            "contact",
            N_("Osoba kontaktowa"),
            when=RESOURCE,
            consent="contact_consent_on",
            help=N_(
                "Imię, telefon lub e-mail. Publicznie tylko po wpisaniu daty zgody "
                "tej osoby."
            ),
        ),
        FieldSpec(
            "contact_consent_on",
            N_("Zgoda na publikację kontaktu z dnia"),
            "date",
            when=RESOURCE,
            public=False,
        ),
        FieldSpec("terms", N_("Na jakich zasadach"), "textarea", when=RESOURCE),
        FieldSpec(
            "answers",
            N_("Odpowiada na potrzeby"),
            "links",
            link_layer="needs_resources",
            when=RESOURCE,
        ),
    ),
)
