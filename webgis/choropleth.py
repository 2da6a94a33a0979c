"""A choropleth of units: classes (mapclassify), colours, tooltips and a legend.

Shared by the interactive map and the PNG for reports, so both show the same classes.
A unit without a value (no population data) gets the grey "no data" class, never the
lowest colour.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
from markupsafe import Markup

from webgis.analysis import classify
from webgis.maps import NO_DATA_COLOUR, LegendEntry, class_colours


@dataclass(frozen=True)
class Choropleth:
    """Units with ``value``, ``colour`` and escaped ``tooltip``, and the legend."""

    units: gpd.GeoDataFrame
    legend: list[LegendEntry]


def build(
    shapes: gpd.GeoDataFrame,
    values: pd.Series,
    scheme: str,
    k: int,
    fmt: Callable[[float], str],
    labels: dict[str, str],
) -> Choropleth:
    """Classify ``values`` (indexed by unit number) over the unit ``shapes``.

    ``labels`` gives the translated ``indicator`` name and ``no_data`` text; ``fmt``
    formats a value for the reader (a percentage, a number).
    """
    units = shapes.copy()
    units["value"] = values.reindex(units["number"]).to_numpy()
    classes = classify(units["value"], scheme, k)
    colours = class_colours(classes.count)
    units["colour"] = [
        colours[c] if c >= 0 else NO_DATA_COLOUR for c in classes.of_value
    ]
    units["tooltip"] = [
        str(
            Markup("<strong>{}. {}</strong><br>{}: {}").format(
                row.number,
                row.name,
                labels["indicator"],
                labels["no_data"] if pd.isna(row.value) else fmt(row.value),
            )
        )
        for row in units.itertuples()
    ]
    legend = [
        LegendEntry(colour, _range(fmt(low), fmt(high)))
        for colour, low, high in zip(colours, classes.lower, classes.upper, strict=True)
    ]
    if (classes.of_value < 0).any():
        legend.append(LegendEntry(NO_DATA_COLOUR, labels["no_data"]))
    return Choropleth(units, legend)


def _range(low: str, high: str) -> str:
    return low if low == high else f"{low} – {high}"
