"""What search engines read: ``robots.txt`` and a sitemap of the public pages."""

from __future__ import annotations

from xml.etree import ElementTree

from flask import Blueprint, Response, abort, request, url_for

from webgis.finder import search
from webgis.finder.questions import positive_number
from webgis.geography import cities

bp = Blueprint("site", __name__)

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
#: The most addresses one sitemap file may list (sitemaps.org protocol).
MOST_URLS = 50_000
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
    service's. The protocol allows :data:`MOST_URLS` addresses in one file, so past
    that this is an index of pages (``?page=1``, ``?page=2``, …) of that size.
    """
    entries = list(_entries())
    pages = max(1, -(-len(entries) // MOST_URLS))
    wanted = request.args.get("page")
    if wanted is None and pages > 1:
        root = ElementTree.Element("sitemapindex", xmlns=SITEMAP_NS)
        for number in range(1, pages + 1):
            page = ElementTree.SubElement(root, "sitemap")
            location = url_for("site.sitemap", page=number, _external=True)
            ElementTree.SubElement(page, "loc").text = location
    else:
        number = 1 if wanted is None else _page_number(wanted, pages)
        root = ElementTree.Element("urlset", xmlns=SITEMAP_NS)
        for location, changed in entries[(number - 1) * MOST_URLS :][:MOST_URLS]:
            _url(root, location, changed)
    body = ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
    response = Response(body, mimetype="application/xml")
    response.add_etag()
    return response.make_conditional(request)


def _page_number(text: str, pages: int) -> int:
    number = positive_number(text, pages)
    if number is None:
        abort(404)
    return number


def _entries():
    """(address, last change or None) of every page the sitemap lists, in order."""
    yield url_for("main.index", _external=True), None
    for city in cities.list_cities():
        services = search.listed_changes(city)
        newest = max((changed for _id, changed in services), default=None)
        yield url_for("main.city_map", city_code=city.code, _external=True), None
        yield url_for("finder.index", city_code=city.code, _external=True), newest
        # The finder's address with the id put in: url_for for each of 50,000
        # services cost most of the sitemap's time.
        pattern = url_for(
            "finder.service", city_code=city.code, service_id=1, _external=True
        ).removesuffix("/1")
        for service_id, changed in services:
            yield f"{pattern}/{service_id}", changed


def _url(urlset: ElementTree.Element, location: str, changed=None) -> None:
    url = ElementTree.SubElement(urlset, "url")
    ElementTree.SubElement(url, "loc").text = location
    if changed is not None:
        ElementTree.SubElement(url, "lastmod").text = changed.date().isoformat()
