"""A choropleth of units: classes (mapclassify), colours, tooltips and a legend.

The one place where values are classed: shared by the interactive map and the PNG
for reports, so both show the same classes. A unit without a value (no population
data) gets the grey "no data" class, never the lowest colour.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from markupsafe import Markup


@dataclass(frozen=True)
class LegendEntry:
    """One line of a map legend: a colour and what it stands for."""

    colour: str
    label: str
    is_layer: bool = False


#: Sequential colours (ColorBrewer YlGnBu) for 2-7 classes, light = low; and the
#: grey of "no data", which must never look like a low value.
SEQUENTIAL = {
    2: ("#edf8b1", "#2c7fb8"),
    3: ("#edf8b1", "#7fcdbb", "#2c7fb8"),
    4: ("#ffffcc", "#a1dab4", "#41b6c4", "#225ea8"),
    5: ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"),
    6: ("#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494"),
    7: ("#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84"),
}
NO_DATA_COLOUR = "#bdbdbd"


def class_colours(count: int) -> tuple[str, ...]:
    """The colours of ``count`` classes, low to high."""
    if count <= 1:
        return SEQUENTIAL[2][1:] if count else ()
    return SEQUENTIAL[min(count, 7)]


#: Classification schemes offered to planners, by the name of their mapclassify
#: class. Fisher-Jenks is the exact (deterministic) form of natural breaks.
SCHEMES = {
    "quantiles": "Quantiles",
    "natural_breaks": "FisherJenks",
    "equal_interval": "EqualInterval",
}


@dataclass(frozen=True)
class Classes:
    """A classification of values: class bounds and each value's class.

    ``of_value[i]`` is the class of the i-th value, or -1 for a missing value ("no
    data"); class ``c`` covers ``lower[c]`` to ``upper[c]``.
    """

    lower: list[float]
    upper: list[float]
    of_value: np.ndarray

    @property
    def count(self) -> int:
        """The number of classes."""
        return len(self.upper)


def classify(
    values: pd.Series, scheme: str, k: int, basis: pd.Series | None = None
) -> Classes:
    """Classes of ``values`` by a mapclassify ``scheme``; NaN stays "no data".

    With fewer distinct values than ``k`` there are only as many classes as values.
    When no value is negative, zeros get a class of their own ("nobody covered",
    "no facility") and the other values share the remaining classes: otherwise
    quantiles of a city where most units have 0 would show classes like 0 – 0.

    ``basis`` holds the values the class bounds are computed on, when they are not
    ``values`` alone: maps that are read side by side (now and "what if") class
    their values by the bounds of the union of both, so one colour means one range.
    """
    if basis is not None:
        shared = classify(basis, scheme, k)
        return Classes(shared.lower, shared.upper, _class_of(values, shared.upper))
    if scheme not in SCHEMES:
        raise ValueError(f"unknown scheme {scheme!r}; use one of {sorted(SCHEMES)}")
    values = pd.to_numeric(values, errors="coerce").astype(float)
    known = values.dropna()
    if (known >= 0).all() and (known == 0).any() and (known > 0).any() and k > 2:
        rest = _classify(values.where(values != 0), scheme, k - 1)
        shifted = np.where(rest.of_value >= 0, rest.of_value + 1, -1)
        of_value = np.where(values.to_numpy() == 0, 0, shifted)
        return Classes([0.0, *rest.lower], [0.0, *rest.upper], of_value)
    return _classify(values, scheme, k)


def _class_of(values: pd.Series, upper: list[float]) -> np.ndarray:
    """The class of each value by class upper bounds (inclusive, as mapclassify's).

    A value above the last bound (none, when the bounds come from a union holding
    it) falls in the last class; a missing value gets -1.
    """
    numbers = pd.to_numeric(values, errors="coerce").astype(float).to_numpy()
    of_value = np.full(len(numbers), -1)
    known = ~np.isnan(numbers)
    if upper:
        found = np.searchsorted(np.asarray(upper), numbers[known], side="left")
        of_value[known] = np.minimum(found, len(upper) - 1)
    return of_value


def _classify(values: pd.Series, scheme: str, k: int) -> Classes:
    known = values.dropna()
    of_value = np.full(len(values), -1)
    if known.empty:
        return Classes([], [], of_value)
    k = min(k, known.nunique())
    if k < 2:
        of_value[values.notna().to_numpy()] = 0
        return Classes([float(known.min())], [float(known.max())], of_value)
    # Imported here: mapclassify (with scipy and scikit-learn) takes a second to
    # import, and the maps import this module for its legend entries.
    import mapclassify

    # Ties can leave a quantile class empty; mapclassify then says so in a warning
    # and returns the classes that exist, which is what the legend should show.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        classifier = getattr(mapclassify, SCHEMES[scheme])(known.to_numpy(), k=k)
    upper = [float(b) for b in classifier.bins]
    of_value[values.notna().to_numpy()] = classifier.yb
    return Classes([float(known.min()), *upper[:-1]], upper, of_value)


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
    basis: pd.Series | None = None,
) -> Choropleth:
    """Classify ``values`` (indexed by unit number) over the unit ``shapes``.

    ``labels`` gives the translated ``indicator`` name and ``no_data`` text; ``fmt``
    formats a value for the reader (a percentage, a number). ``basis``: the values
    of every map compared with this one (see :func:`classify`).
    """
    units = shapes.copy()
    units["value"] = values.reindex(units["number"]).to_numpy()
    classes = classify(units["value"], scheme, k, basis)
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
        LegendEntry(colour, label)
        for colour, label in zip(colours, legend_labels(classes, fmt), strict=True)
    ]
    if (classes.of_value < 0).any():
        legend.append(LegendEntry(NO_DATA_COLOUR, labels["no_data"]))
    return Choropleth(units, legend)


def legend_labels(classes: Classes, fmt: Callable[[float], str]) -> list[str]:
    """A label per class, "low – high"; none reads like the class of zeros.

    After a class of zeros the next class starts above 0, yet its smallest value
    may round to 0 (0.04% reads "0,0%"): it then reads "> 0 – high", so the two
    legend lines never show the same number for different colours.
    """
    zero = fmt(0.0)
    labels = []
    for number, (low, high) in enumerate(
        zip(classes.lower, classes.upper, strict=True)
    ):
        after_zeros = number > 0 and classes.upper[number - 1] == 0 == classes.lower[0]
        if after_zeros and fmt(low) == zero:
            labels.append(f"> {zero} – {fmt(high)}")
        else:
            labels.append(_range(fmt(low), fmt(high)))
    return labels


def _range(low: str, high: str) -> str:
    return low if low == high else f"{low} – {high}"
