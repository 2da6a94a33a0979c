"""What a page needs to show a folium map: this site's Leaflet, the CSP nonce."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, request, url_for
from flask_babel import get_locale

from webgis.core.caching import RecentlyUsed
from webgis.core.extensions import db
from webgis.geography.models import City
from webgis.web import maps

#: Maps drawn from boundaries alone a process keeps: a few pages of a few cities,
#: in three languages.
BOUNDARY_MAP_CACHE_SIZE = 32


def map_assets() -> maps.MapAssets:
    """Leaflet from our own static files; tiles as configured."""
    return maps.MapAssets(
        vendor=url_for("static", filename="vendor/"),
        scripts=url_for("static", filename="js/"),
        tiles_url=current_app.config["WEBGIS_TILES_URL"],
        tiles_attribution=current_app.config["WEBGIS_TILES_ATTRIBUTION"],
    )


def render_map(fmap) -> maps.RenderedMap:
    """A folium map's pieces, its inline scripts carrying this page's CSP nonce."""
    return maps.render(fmap, nonce=getattr(request, "csp_nonce", ""))


def boundary_map(
    city: City, page: str, build: Callable[[], tuple[Any, Any]]
) -> tuple[maps.RenderedMap, Any]:
    """A map drawn from the city's boundaries alone, rendered once per their version.

    ``build`` returns the folium map and what the page shows beside it (a legend).
    Drawing Wrocław's 48 osiedla with their tooltips took about 100 ms a page;
    kept, a page costs a lookup. The key is what such a map may depend on: the
    boundaries' version, the city's words for its units and areas, the reader's
    language and this site's addresses; each page then gets its own nonce.
    """
    cache = current_app.extensions.setdefault(
        "webgis.boundary_maps", RecentlyUsed(BOUNDARY_MAP_CACHE_SIZE)
    )
    key = (
        page,
        str(db.engine.url),
        city.id,
        city.boundaries_version,
        city.name,
        city.unit_kind,
        city.area_kind,
        str(get_locale()),
        map_assets(),
    )

    def make():
        fmap, beside = build()
        return maps.render(fmap), beside

    rendered, beside = cache.get_or_make(key, make)
    return maps.with_nonce(rendered, getattr(request, "csp_nonce", "")), beside
