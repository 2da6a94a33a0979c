"""The public service finder and what goes with it.

The full page, a lobby kiosk, an embeddable finder, one page per service, and a form
to suggest a need or a resource.
"""

from types import SimpleNamespace
from urllib.parse import urlencode

from flask import (
    Blueprint,
    current_app,
    flash,
    get_template_attribute,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from markupsafe import Markup
from wtforms import SelectChoice

from webgis.core.errors import WebgisError
from webgis.core.extensions import limiter, talisman
from webgis.core.registry import layer_registry
from webgis.core.text import translated
from webgis.features import editing, moderation, vocabularies
from webgis.features.hours import describe as describe_hours
from webgis.finder import questions, schema_org, search
from webgis.geography import cities
from webgis.web import maps
from webgis.web.forms import NEED_OR_RESOURCE, SuggestionForm, checks_own_token
from webgis.web.map_pages import boundary_map, map_assets, render_map
from webgis.web.security import CONTENT_SECURITY_POLICY

bp = Blueprint("finder", __name__)
#: Only the embeddable finder may be framed, by any site; everything else stays DENY.
EMBED_POLICY = {**CONTENT_SECURITY_POLICY, "frame-ancestors": "*"}
MODES = ("page", "kiosk", "embed")


def _vocabulary_terms() -> dict[str, list]:
    return vocabularies.active_terms(list(questions.VOCABULARY_FILTERS.values()))


def _finder(city_code: str, template: str, mode: str):
    """Search with the URL's filters and render one of the finder's faces."""
    city = cities.get_city(city_code)
    terms = _vocabulary_terms()
    result = search.find(
        city,
        layer_registry(),
        request.args,
        {v: {t.key for t in ts} for v, ts in terms.items()},
    )
    query = result.query
    shown, page, last = result.hits, result.page, result.last
    first = (page - 1) * search.PAGE_SIZE
    h = _helpers(terms)
    fmap = maps.finder_map(
        [_pin(city, hit, first + i + 1, h, mode) for i, hit in enumerate(shown)],
        map_assets(),
        search.city_bounds(city),
        query.origin,
        search.area_outlines(city),
    )
    page = render_template(
        template,
        city=city,
        mode=mode,
        result=result,
        query=query,
        shown=shown,
        first=first,
        page=page,
        last=last,
        h=h,
        rendered=render_map(fmap),
        idle_seconds=_idle_seconds(),
    )
    return page, 400 if result.errors else 200


def _helpers(terms: dict) -> SimpleNamespace:
    """What templates use to offer filters and show a service's terms and hours."""
    registry = layer_registry()
    labels = {v: {t.key: t.label for t in ts} for v, ts in terms.items()}

    def terms_of(service, vocabulary):
        return search.term_labels(
            service, registry[service.layer], vocabulary, labels.get(vocabulary, {})
        )

    def hours_on(service, day):
        return search.hours_on(service, registry[service.layer], day)

    def page_url(number: int) -> str:
        args = [(k, v) for k, v in request.args.items(multi=True) if k != "page"]
        return request.path + "?" + urlencode([*args, ("page", number)])

    now = search.now_in_warsaw()
    today = now.date()

    def hours_of(service):
        return search.service_hours(service, registry[service.layer])

    options = {
        name: [(t.key, t.label) for t in terms[vocabulary]]
        for name, vocabulary in questions.VOCABULARY_FILTERS.items()
    }
    options["lang_spoken"] = [
        (k, translated(v[0])) for k, v in questions.LANGUAGES.items()
    ]
    return SimpleNamespace(
        options=options,
        terms_of=terms_of,
        hours_on=hours_on,
        today=today,
        page_url=page_url,
        spec_of=lambda service: registry[service.layer],
        unit_names=cities.unit_names,
        area_names=cities.area_names,
        is_open_now=lambda service: search.is_open(hours_of(service), now),
        hours_text=lambda service: describe_hours(hours_of(service) or ""),
    )


def _pin(city, hit, number: int, h: SimpleNamespace, mode: str) -> maps.Pin:
    service = hit.service
    kind = h.terms_of(service, "facility_type") + h.terms_of(service, "category")
    popup = get_template_attribute("finder/_popup.html", "popup")(
        city, service, number, ", ".join(kind), mode
    )
    return maps.Pin(
        service.lat,
        service.lon,
        str(number),
        service.title,
        Markup(popup),
        h.spec_of(service).colour,
        service.precision != "address",
    )


def _idle_seconds() -> int:
    """The kiosk's idle time: configured, or ``?idle=`` (1 to 3600 s) for one visit."""
    asked = questions.positive_number(request.args.get("idle", ""), 3600)
    return asked or current_app.config["WEBGIS_KIOSK_IDLE_SECONDS"]


@bp.get("/<city_code>/services")
def index(city_code: str):
    """Map and list of services with filters; the URL carries the filters."""
    return _finder(city_code, "finder/index.html", "page")


@bp.get("/kiosk/<city_code>")
def kiosk(city_code: str):
    """The finder for a lobby terminal: large targets, no way off the site."""
    return _finder(city_code, "finder/kiosk.html", "kiosk")


@bp.get("/embed/<city_code>")
@talisman(frame_options=None, content_security_policy=EMBED_POLICY)
def embed(city_code: str):
    """A compact finder other sites may frame; links open the full site."""
    return _finder(city_code, "finder/embed.html", "embed")


def _service_page(city_code: str, service_id: int, template: str, mode: str):
    city = cities.get_city(city_code)
    service = search.get_service(city, layer_registry(), service_id)
    spec = layer_registry()[service.layer]
    url = url_for(
        "finder.service", city_code=city.code, service_id=service.id, _external=True
    )
    fmap = maps.feature_map(service.geometry, spec.colour, map_assets())
    return render_template(
        template,
        city=city,
        mode=mode,
        service=service,
        spec=spec,
        structured=schema_org.structured_data(service, spec, url, city),
        rendered=render_map(fmap),
        areas=cities.areas_of(city, service.geometry),
        # The public's labels: links only to features the public may see.
        options=editing.field_options(city, spec, None),
        idle_seconds=_idle_seconds(),
        h=_helpers(_vocabulary_terms()),
    )


@bp.get("/<city_code>/services/<int:service_id>")
def service(city_code: str, service_id: int):
    """Everything the public may know about one service, with a small map."""
    return _service_page(city_code, service_id, "finder/service.html", "page")


@bp.get("/kiosk/<city_code>/services/<int:service_id>")
def kiosk_service(city_code: str, service_id: int):
    """One service on the lobby terminal (contacts as text, not links)."""
    return _service_page(city_code, service_id, "finder/kiosk_service.html", "kiosk")


def suggest_limit() -> str:
    """Suggestions allowed per address (read per request so tests can set it)."""
    return current_app.config["WEBGIS_SUGGEST_LIMIT"]


def _name(unit) -> str:
    return unit.name


def _suggestion_form(city) -> SuggestionForm:
    """The form, offering what the layer residents suggest features of takes."""
    spec = moderation.suggestion_layer()
    form = SuggestionForm()
    if spec.needs is not None:
        form.kind.choices = [
            SelectChoice(value, label)
            for value, label in zip(
                (spec.needs.need, spec.needs.resource), NEED_OR_RESOURCE, strict=True
            )
        ]
    options = editing.field_options(city, spec, None, names={spec.category_field})
    form.category.choices = [SelectChoice("", "—")] + [
        SelectChoice(value, label)
        for value, label in options.get(spec.category_field, [])
    ]
    form.unit.choices = [SelectChoice("", "—")] + [
        SelectChoice(str(u.number), u.name) for u in sorted(city.units, key=_name)
    ]
    return form


@bp.route("/<city_code>/suggest", methods=["GET", "POST"])
@checks_own_token
@limiter.limit(suggest_limit, methods=["POST"])
def suggest(city_code: str):
    """Suggest a need or a resource; it waits for moderation, invisible until then."""
    city = cities.get_city(city_code)
    form = _suggestion_form(city)
    errors: list[str] = []
    if form.validate_on_submit():
        try:
            # A bot fills the hidden field: it is thanked, and nothing is stored.
            stored = None
            if not form.website.data:
                stored = moderation.submit_public(city, _suggested(form))
        except WebgisError as problem:
            errors.append(str(problem))
        else:
            flash(
                _("Dziękujemy. Propozycja pojawi się po sprawdzeniu przez MOPS."),
                "success",
            )
            if stored is None:
                return redirect(url_for("finder.index", city_code=city.code), 303)
            # The thank-you page is the status page: its address is the link.
            return redirect(_status_url(city, stored.status_token, fresh=True), 303)
    elif form.is_submitted():
        errors.append(_("Popraw zaznaczone pola; nic nie zostało zapisane."))
    rendered, _nothing = boundary_map(
        city,
        "suggest",
        lambda: (maps.suggestion_map(cities.units_frame(city), map_assets()), None),
    )
    status = 422 if errors else 200
    return render_template(
        "finder/suggest.html", city=city, form=form, errors=errors, rendered=rendered
    ), status


def _suggested(form: SuggestionForm) -> moderation.PublicSuggestion:
    return moderation.PublicSuggestion(
        kind=form.kind.data,
        title=form.title.data,
        category=form.category.data or "",
        description=form.description.data or "",
        unit=int(form.unit.data) if (form.unit.data or "").isdigit() else None,
        latitude=form.latitude.data,
        longitude=form.longitude.data,
    )


def _status_url(city, token: str, **args) -> str:
    return url_for("finder.suggestion_status", city_code=city.code, token=token, **args)


@bp.get("/<city_code>/suggest/status/<token>")
def suggestion_status(city_code: str, token: str):
    """What became of a resident's suggestion: waiting, accepted or rejected.

    Its address is the resident's only key (no account, no personal data); an
    unknown one is a 404 like any missing page.
    """
    city = cities.get_city(city_code)
    status = moderation.suggestion_status(city, token)
    public_url = None
    if status.public_id is not None:
        public_url = url_for(
            "features.detail",
            city_code=city.code,
            layer_key=status.layer,
            feature_id=status.public_id,
        )
    response = make_response(
        render_template(
            "finder/suggestion_status.html",
            city=city,
            status=status,
            public_url=public_url,
            link=_status_url(city, token, _external=True),
            fresh=bool(request.args.get("fresh")),
        )
    )
    # The address is a key: kept out of caches and search engines (and, by the
    # page's referrer policy, out of the requests it makes).
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
