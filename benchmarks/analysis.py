"""Benchmark: a full Wrocław coverage + 2SFCA analysis on a 100 m grid.

Prints the time and peak memory for 100, 1,000 and 10,000 random facilities placed
inside the city (seeded, so runs are comparable). Not a test: run it by hand,
    .venv/bin/python benchmarks/analysis.py [--sizes 100 1000 10000] [--radius 1000]
Target on the project's 2-core machine: under 2 s with 1,000 facilities.
"""

import argparse
import resource
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from webgis.analysis import methods
from webgis.geography.boundaries import prepare_units, read_boundary_file

BOUNDARIES = Path(__file__).resolve().parents[2] / "shared" / "boundaries"


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


def main():
    """Run the analysis for each size and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--radius", type=float, default=1000)
    parser.add_argument("--cell", type=float, default=100)
    args = parser.parse_args()
    units = prepare_units(
        read_boundary_file(BOUNDARIES / "wroclaw-osiedla.geojson"),
        population_field="population_approx",
    ).units
    grid = f"grid {args.cell:.0f} m, radius {args.radius:.0f} m"
    print(f"Wrocław: {len(units)} units, {grid}")
    for size in args.sizes:
        facilities = random_facilities(units, size)
        start = time.perf_counter()
        table = methods.unit_indicators(units, facilities, args.radius, args.cell)
        seconds = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        share = table["covered"].sum() / table["population"].sum()
        print(
            f"{size:>6} facilities: {seconds:6.2f} s, peak RSS {peak:7.0f} MiB, "
            f"city coverage {share:.1%}"
        )


if __name__ == "__main__":
    main()
