"""Maps as PNG images for reports, drawn on the server by matplotlib without tiles.

Only matplotlib's object API is used (no pyplot), so rendering keeps no global state
between requests and needs no display.
"""

from __future__ import annotations

import io

import geopandas as gpd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from webgis.analysis.choropleth import LegendEntry
from webgis.geography.boundaries import METRIC_CRS

#: (colour, marker size) of existing and of hypothetical facilities.
POINT_STYLES = (("#222222", 8), ("#d95f02", 60))


def choropleth_png(
    units: gpd.GeoDataFrame,
    legend: list[LegendEntry],
    title: str,
    note: str = "",
    points: list[tuple[gpd.GeoDataFrame, str]] = (),
) -> bytes:
    """Units filled by their ``colour`` column, a legend, a title and a source note.

    ``points`` are point frames with their legend label: the existing facilities
    (dark dots) first, then hypothetical ones (orange).
    """
    metric = units.to_crs(METRIC_CRS)
    west, south, east, north = metric.total_bounds
    # The figure takes the city's shape, so a report page has no empty band.
    height = min(max(8 * (north - south) / max(east - west, 1), 4), 11)
    figure = Figure(figsize=(8, height + 1), dpi=150)
    axes = figure.add_subplot()
    metric.plot(
        ax=axes, color=units["colour"].to_numpy(), edgecolor="#555555", linewidth=0.4
    )
    handles = [
        Patch(facecolor=e.colour, edgecolor="#555555", label=e.label) for e in legend
    ]
    for (frame, label), (colour, size) in zip(points, POINT_STYLES, strict=False):
        if len(frame):
            frame.to_crs(METRIC_CRS).plot(ax=axes, color=colour, markersize=size)
            handles.append(
                Line2D([], [], marker="o", linestyle="", color=colour, label=label)
            )
    axes.set_axis_off()
    axes.set_title(title, fontsize=11)
    axes.legend(handles=handles, loc="lower left", fontsize=7, frameon=True)
    if note:
        figure.text(0.01, 0.01, note, fontsize=6, color="#333333")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    return buffer.getvalue()
