"""Coverage analysis on a square city whose answers can be worked out by hand.

Two 1 km square units side by side: A (1,000 residents) and B (3,000 residents). With
500 m cells each unit has four cells, centred 250 m from its edges. One facility with
10 places stands at A's centre.
"""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from webgis.analysis import choropleth, methods

X, Y = 360_000, 360_000  # central Wrocław in EPSG:2180


@pytest.fixture
def units():
    return gpd.GeoDataFrame(
        {"number": [1, 2], "name": ["A", "B"], "population": [1000, 3000]},
        geometry=[box(X, Y, X + 1000, Y + 1000), box(X + 1000, Y, X + 2000, Y + 1000)],
        crs="EPSG:2180",
    )


@pytest.fixture
def centre_of_a():
    return gpd.GeoDataFrame(
        {"capacity": [10]}, geometry=[Point(X + 500, Y + 500)], crs="EPSG:2180"
    )


def test_grid_spreads_each_units_residents_evenly(units):
    grid = methods.population_grid(units, cell=500)
    assert len(grid) == 8
    assert grid.groupby("unit")["residents"].sum().to_dict() == {1: 1000, 2: 3000}
    assert sorted(grid.loc[grid["unit"] == 2, "residents"]) == [750] * 4


def test_coverage_within_400_m_is_unit_a_only(units, centre_of_a):
    # A's cell centres are 353.6 m from the facility; B's nearest are 790.6 m away.
    table = methods.unit_indicators(units, centre_of_a, radius=400, cell=500)
    rows = table.set_index("name")
    assert rows.loc["A", "coverage_share"] == 1.0
    assert rows.loc["B", "coverage_share"] == 0.0
    assert table["covered"].sum() / table["population"].sum() == 0.25
    assert list(methods.unserved_units(table)["name"]) == ["B"]


def test_coverage_within_300_m_is_nobody(units, centre_of_a):
    table = methods.unit_indicators(units, centre_of_a, radius=300, cell=500)
    assert table["coverage_share"].tolist() == [0.0, 0.0]


def test_two_step_fca_by_hand(units, centre_of_a):
    # R = 1000 m reaches A's four cells (250 residents each) and B's two western
    # cells (750 each, 790.6 m away): 10 places / 2,500 residents = 0.004 each.
    # Per 1,000 residents: A 4.0; B has half its people in reach, so 2.0.
    table = methods.unit_indicators(units, centre_of_a, radius=1000, cell=500)
    rows = table.set_index("name")
    assert rows.loc["A", "access_2sfca_per_1k"] == pytest.approx(4.0)
    assert rows.loc["B", "access_2sfca_per_1k"] == pytest.approx(2.0)


def test_counts_per_resident_and_places(units, centre_of_a):
    rows = methods.unit_indicators(units, centre_of_a, 400, cell=500).set_index("name")
    assert rows.loc["A", "facilities"] == 1 and rows.loc["B", "facilities"] == 0
    assert rows.loc["A", "per_10k"] == pytest.approx(10.0)  # 1 per 1,000 residents
    assert rows.loc["A", "places_per_1k"] == pytest.approx(10.0)


def test_unknown_population_is_no_data_not_zero(units, centre_of_a):
    units.loc[1, "population"] = None
    table = methods.unit_indicators(units, centre_of_a, 400, cell=500)
    b = table.set_index("name").loc["B"]
    assert np.isnan(b["coverage_share"]) and np.isnan(b["per_10k"])


def test_service_area_sums_its_units(units, centre_of_a):
    table = methods.unit_indicators(units, centre_of_a, radius=1000, cell=500)
    areas = methods.area_indicators(table, {1: "Z1", 2: "Z1"}).set_index("area")
    assert areas.loc["Z1", "population"] == 4000
    assert areas.loc["Z1", "covered"] == 1000 + 1500
    assert areas.loc["Z1", "access_2sfca_per_1k"] == pytest.approx(
        (4.0 * 1000 + 2.0 * 3000) / 4000
    )


def test_needs_without_a_nearby_resource_of_their_category(units):
    needs = gpd.GeoDataFrame(
        {"title": ["n1", "n2"], "category": ["housing", "health"]},
        geometry=[Point(X + 100, Y + 100), Point(X + 1900, Y + 900)],
        crs="EPSG:2180",
    )
    resources = gpd.GeoDataFrame(
        {"category": ["housing", "housing"]},
        geometry=[Point(X + 200, Y + 100), Point(X + 1900, Y + 800)],
        crs="EPSG:2180",
    )
    unmet = methods.unmet_needs(needs, resources, radius=500)
    assert list(unmet["title"]) == ["n2"]  # a housing resource is no help for health


def test_frames_without_crs_are_refused(units, centre_of_a):
    with pytest.raises(ValueError, match="no CRS"):
        methods.unit_indicators(
            units.set_crs(None, allow_override=True), centre_of_a, 400
        )
    with pytest.raises(TypeError, match="GeoDataFrame"):
        methods.population_grid(units.drop(columns="geometry"))


def test_demo_sanity_shares_and_totals(demo_app):
    from webgis.geography import cities

    with demo_app.app_context():
        units = cities.units_frame(cities.get_city("wroclaw"))
    facilities = gpd.GeoDataFrame(
        {"capacity": [20, 30]},
        geometry=[Point(17.0309, 51.1202), Point(17.0450, 51.1230)],
        crs="EPSG:4326",
    )
    table = methods.unit_indicators(units, facilities, radius=1000, cell=250)
    known = table[table["population"].notna()]
    assert known["coverage_share"].between(0, 1).all()
    assert (
        known["covered"] + known["uncovered"] - known["population"]
    ).abs().max() < 1e-6
    assert sorted(table.loc[table["population"].isna(), "name"]) == [
        "Ołtaszyn",
        "Wojszyce",
    ]


def test_cli_writes_the_ranked_unit_table(staff_app, tmp_path):
    import pandas as pd

    from tests.conftest import new_feature

    new_feature(staff_app, name="Analiza A", capacity=25)
    out = tmp_path / "coverage.csv"
    result = staff_app.test_cli_runner().invoke(
        args=[
            "analyse",
            "coverage",
            "--city",
            "wroclaw",
            "--layer",
            "day_centres",
            "--radius",
            "1000",
            "--out",
            str(out),
        ]
    )
    assert result.exit_code == 0, result.output
    assert "mieszkańcy w zasięgu 1000 m" in result.output
    assert "Ołtaszyn, Wojszyce" in result.output
    table = pd.read_csv(out)
    assert len(table) == 48 and table["coverage_share"].dropna().between(0, 1).all()
    assert table["coverage_share"].dropna().is_monotonic_increasing  # worst first
    nadodrze = table.set_index("name").loc["Nadodrze"]
    assert nadodrze["service_area"] == "ZTPS-7" and nadodrze["places"] >= 25


def test_cli_date_reads_the_state_from_history(staff_app, tmp_path):
    import pandas as pd

    out = tmp_path / "then.csv"
    result = staff_app.test_cli_runner().invoke(
        args=[
            "analyse",
            "coverage",
            "--city",
            "wroclaw",
            "--date",
            "2001-01-01",
            "--out",
            str(out),
        ]
    )
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out)["facilities"].sum() == 0  # nothing was mapped in 2001


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--layer", "benches"], "Nie ma warstwy 'benches'"),
        (["--type", "casino"], "Nie ma obiektów kategorii 'casino'"),
        (["--radius", "-5"], "--radius"),
        (["--date", "2020-13-01"], "--date"),
        (["--city", "gdansk"], "Nie ma miasta"),
    ],
)
def test_cli_refuses_bad_input_and_writes_nothing(staff_app, tmp_path, args, message):
    out = tmp_path / "x.csv"
    base = ["analyse", "coverage", "--out", str(out)]
    if "--city" not in args:
        base += ["--city", "wroclaw"]
    result = staff_app.test_cli_runner().invoke(args=base + args)
    assert result.exit_code != 0 and message in result.output
    assert not out.exists()


def test_what_if_a_facility_in_b_by_hand(units, centre_of_a):
    # A second facility with 30 places at B's centre, R = 400 m: each reaches only
    # its own unit's four cells, so both units are fully covered, and 2SFCA gives
    # 10 / 1,000 and 30 / 3,000 places per resident = 10 per 1,000 in both.
    centre_of_b = gpd.GeoDataFrame(
        {"capacity": [30]}, geometry=[Point(X + 1500, Y + 500)], crs="EPSG:2180"
    )
    grid = methods.population_grid(units, cell=500)
    now = methods.unit_indicators(units, centre_of_a, 400, cell=500, grid=grid)
    what_if = methods.unit_indicators(
        units, pd.concat([centre_of_a, centre_of_b]), 400, cell=500, grid=grid
    )
    assert what_if["access_2sfca_per_1k"].tolist() == pytest.approx([10.0, 10.0])
    compared = methods.side_by_side(now, what_if, ["coverage_share"])
    assert compared["coverage_share_change"].tolist() == [0.0, 1.0]
    before, after = methods.city_summary(now), methods.city_summary(what_if)
    assert (before["residents"], before["covered"], before["uncovered"]) == (
        4000,
        1000,
        3000,
    )
    assert (before["coverage_share"], after["coverage_share"]) == (0.25, 1.0)
    assert (before["unserved_units"], after["unserved_units"]) == (1, 0)
    assert after["places"] == 40


def test_city_summary_counts_units_without_population_apart(units, centre_of_a):
    units.loc[1, "population"] = None
    summary = methods.city_summary(
        methods.unit_indicators(units, centre_of_a, 400, cell=500)
    )
    assert summary["residents"] == 1000 and summary["units_without_data"] == 1
    assert summary["coverage_share"] == 1.0


@pytest.mark.parametrize(
    ("scheme", "k", "lower", "upper", "classes"),
    [
        # ten values 1..10 in three equal intervals of width 3
        ("equal_interval", 3, [1, 4, 7], [4, 7, 10], [0] * 4 + [1] * 3 + [2] * 3),
        ("quantiles", 2, [1, 5.5], [5.5, 10], [0] * 5 + [1] * 5),
    ],
)
def test_classification_by_hand(scheme, k, lower, upper, classes):
    found = choropleth.classify(pd.Series(range(1, 11)), scheme, k)
    assert found.lower == pytest.approx(lower) and found.upper == pytest.approx(upper)
    assert found.of_value.tolist() == classes


def test_natural_breaks_find_the_gap():
    values = pd.Series([1, 1, 2, 10, 11, 12])
    found = choropleth.classify(values, "natural_breaks", 2)
    assert found.of_value.tolist() == [0, 0, 0, 1, 1, 1]
    assert found.upper == [2, 12]


def test_missing_values_are_no_data_and_classes_shrink_to_the_values():
    found = choropleth.classify(pd.Series([5.0, np.nan, 5.0]), "quantiles", 5)
    assert found.of_value.tolist() == [0, -1, 0] and found.count == 1
    assert choropleth.classify(pd.Series([np.nan]), "quantiles", 5).count == 0
    with pytest.raises(ValueError, match="unknown scheme"):
        choropleth.classify(pd.Series([1.0]), "jenks", 3)


def test_zeros_get_a_class_of_their_own():
    # Most units often have 0 (nobody covered): they are one class, and the other
    # values share the rest, here quantiles of 1..4 in two classes.
    found = choropleth.classify(pd.Series([0, 0, 0, 1, 2, 3, 4]), "quantiles", 3)
    assert found.of_value.tolist() == [0, 0, 0, 1, 1, 2, 2]
    assert found.lower == [0, 1, 2.5] and found.upper == [0, 2.5, 4]
    # a change map has losses too: no separate zero class then
    change = choropleth.classify(pd.Series([-2, 0, 0, 3]), "equal_interval", 3)
    assert change.upper == pytest.approx([-0.3333333, 1.3333333, 3])


# -- 2SFCA and coverage without the pair table --------------------------------------


def scattered(count: int, seed: int, **columns) -> gpd.GeoDataFrame:
    """``count`` seeded random points in a 3 km square around (X, Y)."""
    rng = np.random.default_rng(seed)
    xs, ys = rng.uniform(X, X + 3000, count), rng.uniform(Y, Y + 3000, count)
    values = {name: make(rng, count) for name, make in columns.items()}
    return gpd.GeoDataFrame(
        values, geometry=gpd.points_from_xy(xs, ys), crs="EPSG:2180"
    )


def access_scores(grid, facilities, radius) -> np.ndarray:
    """2SFCA of each cell as PySAL access computes it from the whole pair table."""
    from access import Access

    demand = grid.assign(cell=np.arange(len(grid)))
    supply = facilities.assign(
        facility=np.arange(len(facilities)),
        capacity=facilities["capacity"].fillna(0).astype(float),
    )
    cells, sites = supply.sindex.query(
        demand.geometry, predicate="dwithin", distance=radius
    )
    costs = pd.DataFrame(
        {
            "origin": cells,
            "dest": sites,
            "metres": demand.geometry.iloc[cells].distance(
                supply.geometry.iloc[sites], align=False
            ),
        }
    )
    model = Access(
        demand_df=demand,
        demand_index="cell",
        demand_value="residents",
        supply_df=supply,
        supply_index="facility",
        supply_value="capacity",
        cost_df=costs,
        cost_origin="origin",
        cost_dest="dest",
        cost_name="metres",
    )
    result = model.two_stage_fca(name="2sfca", cost="metres", max_cost=radius)
    return result["2sfca_capacity"].reindex(range(len(grid))).fillna(0).to_numpy()


def test_two_step_fca_in_small_chunks_equals_pysal_access():
    # Some cells have nobody and some facilities no known capacity; a budget of 40
    # pairs forces hundreds of chunks.
    grid = scattered(400, 1, residents=lambda rng, n: rng.integers(0, 50, n) * 1.0)
    facilities = scattered(
        30,
        2,
        capacity=lambda rng, n: np.where(
            rng.random(n) < 0.2, np.nan, rng.integers(1, 30, n)
        ),
    )
    expected = access_scores(grid, facilities, 700)
    found = methods.two_step_fca(grid, facilities, 700, budget=40)
    people = grid["residents"].to_numpy() > 0
    assert people.sum() > 300 and (found > 0).sum() > 100
    assert found[people] == pytest.approx(expected[people], rel=1e-12)


def test_pairs_are_never_held_beyond_the_budget():
    cells = np.array(scattered(300, 3).geometry.get_coordinates())
    sites = np.array(scattered(20, 4).geometry.get_coordinates())
    chunks = list(methods.pairs_in_reach(cells, sites, 1000, budget=100))
    assert len(chunks) > 1 and max(len(c) for c, _s in chunks) <= 100
    found = {
        (int(c), int(s))
        for cell, site in chunks
        for c, s in zip(cell, site, strict=True)
    }
    apart = np.hypot(*(cells[:, None, :] - sites[None, :, :]).transpose(2, 0, 1))
    assert found == {tuple(map(int, p)) for p in np.argwhere(apart <= 1000)}


@pytest.mark.parametrize(("radius", "covered"), [(500, True), (499.9999, False)])
def test_a_cell_exactly_at_r_counts_as_covered(radius, covered):
    # 300 m east and 400 m north: exactly 500 m from the facility.
    grid = gpd.GeoDataFrame(
        {"unit": [1], "residents": [100.0]},
        geometry=[Point(X + 300, Y + 400)],
        crs="EPSG:2180",
    )
    facility = gpd.GeoDataFrame(
        {"capacity": [5]}, geometry=[Point(X, Y)], crs="EPSG:2180"
    )
    assert methods.covered_cells(grid, facility, radius).tolist() == [covered]
    score = methods.two_step_fca(grid, facility, radius).tolist()
    assert score == ([0.05] if covered else [0.0])


def test_no_facilities_or_no_cells_mean_nobody_covered(units, centre_of_a):
    grid = methods.population_grid(units, cell=500)
    none = centre_of_a.iloc[0:0]
    assert not methods.covered_cells(grid, none, 1000).any()
    assert not methods.two_step_fca(grid, none, 1000).any()
    assert len(methods.two_step_fca(grid.iloc[0:0], centre_of_a, 1000)) == 0


def test_the_cache_forgets_the_least_recently_used():
    from webgis.core.caching import RecentlyUsed

    made = []
    cache = RecentlyUsed(2)
    for key in ["a", "b", "a", "c", "a", "b"]:
        cache.get_or_make(key, lambda key=key: made.append(key) or key.upper())
    # "b" was forgotten for "c" (the least recently used), and made again.
    assert made == ["a", "b", "c", "b"] and len(cache) == 2
