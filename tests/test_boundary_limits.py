"""Size limits of imported units, and simplifying them so they fit.

Every feature saved later is intersected with the units, so a unit of a million
vertices slowed every save to 24 s. Units over the limits are refused, and
``--simplify METRES`` brings them under the limits without opening gaps between
neighbours.
"""

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon

from tests.conftest import BOUNDARIES_DIR, WROCLAW_X, WROCLAW_Y, two_units, write
from webgis.core.errors import ImportRefused
from webgis.core.extensions import db
from webgis.geography import boundaries
from webgis.geography.boundaries import prepare_units, read_boundary_file
from webgis.geography.models import Unit


def circle(x: float, y: float, vertices: int, radius: float = 400) -> Polygon:
    """A round unit with exactly ``vertices`` coordinates (the closing one included)."""
    angles = np.linspace(0, 2 * math.pi, vertices - 1, endpoint=False)
    return Polygon(
        np.column_stack([x + radius * np.cos(angles), y + radius * np.sin(angles)])
    )


def units(*geometries) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "unit_no": list(range(1, len(geometries) + 1)),
            "name": [f"Jednostka {n}" for n in range(1, len(geometries) + 1)],
        },
        geometry=list(geometries),
        crs="EPSG:2180",
    )


def detailed_unit() -> gpd.GeoDataFrame:
    """A round unit just over the limit beside an ordinary square one."""
    frame = units(
        circle(WROCLAW_X, WROCLAW_Y, 25_001),
        two_units().geometry.iloc[1],
    )
    frame["name"] = ["Koło", "Kwadrat"]
    return frame


def vertices(frame: gpd.GeoDataFrame) -> np.ndarray:
    return shapely.get_num_coordinates(frame.geometry.values)


@pytest.mark.parametrize(
    ("file", "largest", "total"),
    [
        ("wroclaw-osiedla.geojson", 1_780, 28_883),
        ("krakow-dzielnice.geojson", 1_651, 8_200),
    ],
)
def test_reference_boundaries_pass_the_limits_untouched(file, largest, total):
    result = prepare_units(read_boundary_file(BOUNDARIES_DIR / file))
    counts = vertices(result.units)
    assert counts.max() == largest and counts.sum() == total
    assert not any("Uproszczono" in note for note in result.notes)


def test_unit_over_the_vertex_limit_is_refused_naming_it_and_the_limit():
    with pytest.raises(ImportRefused) as excinfo:
        prepare_units(detailed_unit())
    message = str(excinfo.value)
    assert "obiekt 1 (Koło): 25 001 wierzchołków, limit 20 000 na jednostkę" in message
    assert "--simplify METRY" in message
    assert "Kwadrat" not in message


def test_every_unit_over_the_limit_is_named():
    frame = units(
        circle(WROCLAW_X, WROCLAW_Y, 20_001),
        circle(WROCLAW_X + 1000, WROCLAW_Y, 20_000),
        circle(WROCLAW_X + 2000, WROCLAW_Y, 30_000),
    )
    with pytest.raises(ImportRefused) as excinfo:
        prepare_units(frame)
    assert excinfo.value.problems == [
        "obiekt 1 (Jednostka 1): 20 001 wierzchołków, limit 20 000 na jednostkę; "
        "uprość granice opcją --simplify METRY (np. --simplify 1)",
        "obiekt 3 (Jednostka 3): 30 000 wierzchołków, limit 20 000 na jednostkę; "
        "uprość granice opcją --simplify METRY (np. --simplify 1)",
    ]


def test_import_over_the_total_vertex_limit_is_refused():
    # Sixteen units each under the per-unit limit, 304,000 vertices together.
    frame = units(
        *(
            circle(WROCLAW_X + 1000 * (i % 4), WROCLAW_Y + 1000 * (i // 4), 19_000)
            for i in range(16)
        )
    )
    with pytest.raises(ImportRefused) as excinfo:
        prepare_units(frame)
    assert excinfo.value.problems == [
        "razem 304 000 wierzchołków, limit 300 000 na import; "
        "uprość granice opcją --simplify METRY (np. --simplify 1)"
    ]


def test_simplify_brings_a_detailed_unit_under_the_limit_and_reports_the_counts():
    result = prepare_units(detailed_unit(), simplify=1)
    assert vertices(result.units).max() <= boundaries.MAX_UNIT_VERTICES
    note = next(n for n in result.notes if n.startswith("Uproszczono"))
    assert note.startswith("Uproszczono granice (tolerancja 1 m): 25 006 → ")
    assert "największa jednostka 25 001 → " in note
    circle_km2 = math.pi * 0.4**2
    assert result.units["area_km2"].iloc[0] == pytest.approx(circle_km2, rel=0.001)


def test_simplify_keeps_the_border_between_neighbours_shared():
    # Two units meet along a wiggly border of 2,000 vertices.
    x, y = WROCLAW_X, WROCLAW_Y
    xs = np.linspace(x, x + 1000, 2000)
    ys = y + 500 + 3 * np.sin(xs / 7) + np.where(np.arange(2000) % 2, 0.4, -0.4)
    border = list(zip(xs, ys, strict=True))
    south = Polygon([(x, y), (x + 1000, y), *border[::-1]])
    north = Polygon([*border, (x + 1000, y + 1000), (x, y + 1000)])
    result = prepare_units(units(south, north), simplify=5)
    assert vertices(result.units).sum() < 200
    metric = result.units.geometry.to_crs("EPSG:2180")
    a, b = metric.iloc[0], metric.iloc[1]
    assert a.intersection(b).area < 1  # no overlap, in m²
    together = shapely.union_all([a, b])
    assert together.area == pytest.approx(1_000_000, abs=1)  # and no gap
    assert together.geom_type == "Polygon" and not together.interiors


def test_units_still_too_detailed_after_simplifying_ask_for_more():
    with pytest.raises(ImportRefused) as excinfo:
        prepare_units(detailed_unit(), simplify=0.0001)
    assert "obiekt 1 (Koło)" in str(excinfo.value)
    assert "zwiększ tolerancję --simplify (teraz 0.0001 m)" in str(excinfo.value)


@pytest.mark.parametrize("metres", [-1, 0, 100.5, 1e9, math.nan, math.inf])
def test_negative_or_absurd_simplify_tolerance_is_refused(metres):
    with pytest.raises(ImportRefused, match="Tolerancja --simplify musi być większa"):
        prepare_units(two_units(), simplify=metres)


def test_the_largest_allowed_tolerance_is_accepted():
    result = prepare_units(two_units(), simplify=boundaries.MAX_SIMPLIFY_METRES)
    assert len(result.units) == 2


# -- through the command a person types -----------------------------------------------


def import_file(runner, path, *options):
    runner.invoke(args=["cities", "add", "testowo", "Testowo"])
    return runner.invoke(args=["boundaries", "import", "testowo", str(path), *options])


def test_cli_refuses_a_too_detailed_file_and_stores_nothing(runner, tmp_path):
    result = import_file(runner, write(detailed_unit(), tmp_path / "koło.gpkg"))
    assert result.exit_code == 1
    assert "obiekt 1 (Koło): 25 001 wierzchołków" in result.output
    assert "--simplify" in result.output
    assert "Traceback" not in result.output
    assert db.session.query(Unit).count() == 0


def test_cli_simplify_option_imports_it_and_reports_the_counts(runner, tmp_path):
    path = write(detailed_unit(), tmp_path / "koło.gpkg")
    result = import_file(runner, path, "--simplify", "1")
    assert result.exit_code == 0, result.output
    assert "Uproszczono granice (tolerancja 1 m): 25 006 → " in result.output
    stored = db.session.query(Unit).order_by(Unit.number).all()
    assert [u.name for u in stored] == ["Koło", "Kwadrat"]
    assert shapely.get_num_coordinates(stored[0].geometry) <= 20_000


@pytest.mark.parametrize("metres", ["-5", "500", "nan"])
def test_cli_refuses_a_bad_tolerance_and_stores_nothing(runner, two_units_file, metres):
    result = import_file(runner, two_units_file, "--simplify", metres)
    assert result.exit_code == 1
    assert "Tolerancja --simplify musi być większa od 0" in result.output
    assert db.session.query(Unit).count() == 0
