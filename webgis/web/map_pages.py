"""What a page needs to show a folium map: this site's Leaflet, the CSP nonce."""

from __future__ import annotations

from flask import current_app, request, url_for

from webgis.web import maps


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
