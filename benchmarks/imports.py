"""Benchmark: importing 10,000 day-support centres into Wrocław, all or nothing.

Loads the demo geography into a fresh database, writes a CSV and an XLSX of
``--rows`` facilities at random places inside Wrocław (seeded), and times reading,
planning (every row checked as the form checks it, placed, compared with stored
features for duplicates) and writing through the feature store, plus the refusal of
the same file with one bad row. Not a test: run it by hand,
    .venv/bin/python benchmarks/imports.py [--rows 10000] [--database URL]
``--database`` takes an empty PostgreSQL/PostGIS database; SQLite by default.
"""

import argparse
import csv
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import openpyxl

from benchmarks.finder import demo_app, random_points
from webgis.core.errors import ImportRefused
from webgis.core.extensions import db
from webgis.features import importing, vocabularies
from webgis.geography import cities

COLUMNS = ["Nazwa", "Typ placówki", "Prowadzący", "lon", "lat"]


def facility_rows(count: int) -> list[list]:
    """``count`` facilities at random places in Wrocław (seeded)."""
    city = cities.get_city("wroclaw")
    points = random_points(city, count, np.random.default_rng(7))
    types = [term.key for term in vocabularies.terms("facility_type")]
    return [
        [f"Placówka {i}", types[i % len(types)], f"Fundacja {i % 97}", p.x, p.y]
        for i, p in enumerate(points)
    ]


def write_files(directory: Path, rows: list[list]) -> dict[str, Path]:
    """The rows as a semicolon CSV and as a workbook."""
    paths = {"csv": directory / "placowki.csv", "xlsx": directory / "placowki.xlsx"}
    with paths["csv"].open("w", encoding="utf-8", newline="") as out:
        csv.writer(out, delimiter=";").writerows([COLUMNS, *rows])
    book = openpyxl.Workbook()
    for row in [COLUMNS, *rows]:
        book.active.append(row)
    book.save(paths["xlsx"])
    return paths


def timed_import(app, path: Path, *, write: bool) -> dict[str, float]:
    """Seconds to read, plan and (``write``) save ``path``; peak Python memory."""
    figures = {}
    with app.test_request_context():
        city = cities.get_city("wroclaw")
        spec = app.extensions["webgis.layers"]["day_centres"]
        tracemalloc.start()
        start = time.perf_counter()
        source = importing.read_source(path, path.name)
        figures["read"] = time.perf_counter() - start
        mapping = importing.propose_mapping(spec, source.columns)
        start = time.perf_counter()
        plan = importing.plan(None, city, spec, source, mapping)
        figures["plan"] = time.perf_counter() - start
        start = time.perf_counter()
        try:
            saved = importing.run(None, city, spec, plan) if write else []
            figures["saved"] = len(saved)
        except ImportRefused as refusal:
            figures["refused"] = str(refusal.problems[0])
        figures["write"] = time.perf_counter() - start
        figures["peak MiB"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        db.session.remove()
    return figures


def main():
    """Build the database, then print the figures of each import."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--database", help="an empty PostGIS database (URL)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        url = args.database or f"sqlite:///{directory}/bench.sqlite"
        app = demo_app(url)
        with app.app_context():
            rows = facility_rows(args.rows)
            db.session.remove()
        folder = Path(directory)
        bad = [row[:] for row in rows]
        bad[len(bad) * 7 // 9][1] = "nieznany"
        print(f"{args.rows} rows, {url.split(':')[0]}")
        paths = write_files(folder, bad)
        for fmt in ("csv", "xlsx"):
            figures = timed_import(app, paths[fmt], write=True)
            print(f"  {fmt}, one bad row (refused): {_format(figures)}")
        paths = write_files(folder, rows)
        for fmt in ("csv", "xlsx"):
            # The second import finds every row a duplicate of the first.
            figures = timed_import(app, paths[fmt], write=True)
            print(f"  {fmt}: {_format(figures)}")


def _format(figures: dict) -> str:
    return ", ".join(
        f"{k} {v:.2f} s"
        if k in ("read", "plan", "write")
        else f"{k} {v}"
        if k != "peak MiB"
        else f"peak Python memory {v:.0f} MiB"
        for k, v in figures.items()
    )


if __name__ == "__main__":
    main()
