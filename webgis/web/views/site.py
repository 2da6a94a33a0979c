"""What search engines read: ``robots.txt`` and a sitemap of the public pages."""

from __future__ import annotations

from xml.etree import ElementTree

from flask import Blueprint, Response, request, url_for

from webgis.core.registry import layer_registry
from webgis.finder import search
from webgis.geography import cities

bp = Blueprint("site", __name__)

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
#: Pages only staff use (they answer the public with the login page) and lists or
#: exports of drafts and archived features (``status=``, which only staff may set).
DISALLOWED = (
    "/admin/",
    "/moderation/",
    "/account",
    "/login",
    "/logout",
    "/*/analysis",
    "/*/layers/*/new",
    "/*/layers/*/edit",
    "/*/layers/*/history",
    "/*status=draft",
    "/*status=archived",
)


@bp.get("/robots.txt")
def robots():
    """Public pages may be crawled; staff pages and drafts may not."""
    lines = ["User-agent: *", "Allow: /"]
    lines += [f"Disallow: {path}" for path in DISALLOWED]
    lines += ["", f"Sitemap: {url_for('site.sitemap', _external=True)}"]
    return Response("\n".join(lines) + "\n", mimetype="text/plain")


@bp.get("/sitemap.xml")
def sitemap():
    """The home page, each city's map and finder, and every public service's page.

    A service page's ``lastmod`` is its last change; the finder's is its newest
    service's.
    """
    urlset = ElementTree.Element("urlset", xmlns=SITEMAP_NS)
    _url(urlset, url_for("main.index", _external=True))
    registry = layer_registry()
    for city in cities.list_cities():
        services = sorted(search.services(city, registry), key=lambda s: s.id)
        newest = max((s.updated_at for s in services), default=None)
        _url(urlset, url_for("main.city_map", city_code=city.code, _external=True))
        _url(
            urlset,
            url_for("finder.index", city_code=city.code, _external=True),
            newest,
        )
        for service in services:
            page = url_for(
                "finder.service",
                city_code=city.code,
                service_id=service.id,
                _external=True,
            )
            _url(urlset, page, service.updated_at)
    body = ElementTree.tostring(urlset, encoding="utf-8", xml_declaration=True)
    response = Response(body, mimetype="application/xml")
    response.add_etag()
    return response.make_conditional(request)


def _url(urlset: ElementTree.Element, location: str, changed=None) -> None:
    url = ElementTree.SubElement(urlset, "url")
    ElementTree.SubElement(url, "loc").text = location
    if changed is not None:
        ElementTree.SubElement(url, "lastmod").text = changed.date().isoformat()
