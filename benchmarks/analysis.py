"""Benchmark: Wrocław coverage and 2SFCA with many facilities and a wide radius.

Prints, for ``--facilities`` random facilities placed inside Wrocław (seeded, so runs
are comparable) and radius R on a 100 m grid:

- the wall time and the peak memory of each step on GeoDataFrames (population
  grid, coverage, 2SFCA, the unit table with both); the peak is what tracemalloc
  saw allocated during the step (numpy arrays included), in a second run of it;
- the analysis page's whole analysis on SQLite with that many published facilities
  (the demo loaded into a temporary database), first and again (then reused);
- how long ``webgis --help`` takes, i.e. the command's start.

Not a test: run it by hand,
    .venv/bin/python benchmarks/analysis.py [--facilities 10000] [--radius 3000]
Targets on the project's 2-core machine: coverage + 2SFCA under 3 s and 1 GiB at
R = 3,000 m with 10,000 facilities; ``webgis --help`` under 1 s.
"""

import argparse
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import geopandas as gpd
import numpy as np
import scipy.spatial  # noqa: F401  (imported lazily by the analysis; not timed)
import shapely

from webgis.analysis import coverage, methods
from webgis.geography.boundaries import prepare_units, read_boundary_file

BOUNDARIES = Path(__file__).resolve().parents[2] / "shared" / "boundaries"
TARGET_SECONDS, TARGET_MIB, TARGET_HELP = 3.0, 1024, 1.0


def random_facilities(units: gpd.GeoDataFrame, count: int, seed: int = 1):
    """``count`` points uniformly inside the city, with 10–40 places each."""
    city = shapely.union_all(units.to_crs("EPSG:2180").geometry)
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = city.bounds
    points = []
    while len(points) < count:
        xs = rng.uniform(x0, x1, count * 2)
        ys = rng.uniform(y0, y1, count * 2)
        candidates = shapely.points(xs, ys)
        points.extend(
            candidates[shapely.contains(city, candidates)][: count - len(points)]
        )
    return gpd.GeoDataFrame(
        {"capacity": rng.integers(10, 41, count)}, geometry=points, crs="EPSG:2180"
    )


def measured(name: str, step, again: bool = True):
    """(seconds, peak MiB, result) of ``step()``, printed as soon as known.

    Timed alone, then traced in a second run (tracemalloc slows it down), unless
    ``again`` is false (a second run would not do the same work).
    """
    if not again:
        tracemalloc.start()
    start = time.perf_counter()
    result = step()
    seconds = time.perf_counter() - start
    if again:
        tracemalloc.start()
        step()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    print(f"  {name:<26} {seconds:6.2f} s   peak {peak:7.0f} MiB (traced)", flush=True)
    return seconds, peak, result


def methods_figures(facility_count: int, radius: float, cell: float) -> dict:
    """Each step of the analysis on GeoDataFrames read from the boundary file."""
    units = prepare_units(
        read_boundary_file(BOUNDARIES / "wroclaw-osiedla.geojson"),
        population_field="population_approx",
    ).units
    facilities = random_facilities(units, facility_count)
    grid = methods.population_grid(units, cell)
    print(f"Wrocław: {len(units)} units, {len(grid):,} cells of {cell:.0f} m")
    steps = {
        "population grid": lambda: methods.population_grid(units, cell),
        "coverage": lambda: methods.covered_cells(grid, facilities, radius),
        "2SFCA": lambda: methods.two_step_fca(grid, facilities, radius),
        "unit table (both)": lambda: methods.unit_indicators(
            units, facilities, radius, cell, grid
        ),
    }
    return {name: measured(name, step) for name, step in steps.items()}


def add_facilities(count: int) -> None:
    """Publish ``count`` day centres with 10–40 places at random places in Wrocław."""
    from finder import random_points

    from webgis.core.registry import layer_registry
    from webgis.features import store, vocabularies
    from webgis.geography import cities

    city = cities.get_city("wroclaw")
    spec = layer_registry()["day_centres"]
    rng = np.random.default_rng(1)
    types = [term.key for term in vocabularies.terms("facility_type")]
    rows = [
        store.Row(
            point,
            {
                "name": f"Placówka {i}",
                "facility_type": types[i % len(types)],
                "operator": f"Fundacja {i % 97}",
                "capacity": int(rng.integers(10, 41)),
                "location_precision": "address",
            },
            "published",
        )
        for i, point in enumerate(random_points(city, count, rng))
    ]
    store.save_many(None, city, spec, rows)


def sqlite_figures(facility_count: int, radius: float) -> dict:
    """The page's analysis (``coverage.run``) on SQLite, first and again."""
    from finder import demo_app

    from webgis.geography import cities

    figures = {}
    with tempfile.TemporaryDirectory() as directory:
        app = demo_app(f"sqlite:///{directory}/analysis.sqlite")
        with app.app_context():
            add_facilities(facility_count)
        query = coverage.AnalysisQuery(radius=radius)

        def first():
            # As on a first visit: nothing computed before (the traced run too).
            app.extensions.pop("webgis.analysis_cache", None)
            return coverage.run(cities.get_city("wroclaw"), query)

        with app.test_request_context():
            figures["page analysis, first"] = measured("page analysis, first", first)
            figures["page analysis, again"] = measured(
                "page analysis, again",
                lambda: coverage.run(cities.get_city("wroclaw"), query),
                again=False,
            )
    return figures


def help_seconds(repeat: int = 3) -> float:
    """The fastest of ``repeat`` runs of ``webgis --help``, in seconds."""
    command = [sys.executable, "-c", "from webgis import main; main()", "--help"]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        # Not from this checkout's directory: the installed (or PYTHONPATH) webgis.
        subprocess.run(command, check=True, capture_output=True, cwd=Path.home())
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    """Run every measurement and print the figures with their targets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facilities", type=int, default=10_000)
    parser.add_argument("--radius", type=float, default=3000)
    parser.add_argument("--cell", type=float, default=100)
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    print(f"{args.facilities:,} facilities, R = {args.radius:.0f} m")
    figures = methods_figures(args.facilities, args.radius, args.cell)
    if not args.skip_sqlite:
        figures.update(sqlite_figures(args.facilities, args.radius))
    both = figures["coverage"][0] + figures["2SFCA"][0]
    peak = max(figures["coverage"][1], figures["2SFCA"][1])
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"Peak RSS of the whole benchmark: {rss:.0f} MiB")
    verdict = "met" if both < TARGET_SECONDS and peak < TARGET_MIB else "MISSED"
    print(
        f"Target coverage + 2SFCA < {TARGET_SECONDS:.0f} s and < {TARGET_MIB} MiB: "
        f"{both:.2f} s, {peak:.0f} MiB — {verdict}"
    )
    start = help_seconds()
    verdict = "met" if start < TARGET_HELP else "MISSED"
    print(f"Target `webgis --help` < {TARGET_HELP:.0f} s: {start:.2f} s — {verdict}")


if __name__ == "__main__":
    main()
