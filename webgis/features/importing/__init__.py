"""Bulk import of a layer's features from spreadsheets and GIS files: all or nothing.

:func:`read_source` reads a file into columns and cells (:mod:`.reading`) and
refuses one it cannot read, naming what is wrong. :func:`propose_mapping` matches
the columns with the layer's fields by name or label in any interface language
(:mod:`.mapping`). :func:`plan` turns every row into a feature as the form would
(each cell through its field kind, then the form's cleaning), places it (a
geometry, lon/lat, x/y in EPSG:2180, WKT, a unit, a known address; :mod:`.placing`)
and finds duplicates of stored features, reporting every problem by row and column
before anything is written. :func:`run` writes the rows through
:func:`store.save_many`: all of them or none. :func:`template` is a workbook to fill.
"""

from __future__ import annotations

from dataclasses import dataclass

from layers import FieldSpec, LayerSpec
from webgis.accounts import permissions
from webgis.core.text import lazy_text as _l
from webgis.core.text import translated
from webgis.features import store, validation
from webgis.features.importing.mapping import (
    PLACE,
    PLACES,
    Lookup,
    propose_mapping,
    targets,
)
from webgis.features.importing.placing import Duplicates, Misplaced, Placer
from webgis.features.importing.reading import Source, read_source, refused
from webgis.features.importing.template import template
from webgis.features.kinds import kind_of
from webgis.features.models import Feature
from webgis.geography.models import City

__all__ = [
    "PLACE",
    "PLACES",
    "Plan",
    "Problem",
    "Source",
    "plan",
    "preview",
    "propose_mapping",
    "read_source",
    "run",
    "summary",
    "targets",
    "template",
]
#: Rows the preview shows as they will be saved.
PREVIEW_ROWS = 10


@dataclass(frozen=True)
class Problem:
    """What is wrong with one row, and in which column."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return str(
            _l(
                "wiersz %(row)s, %(column)s: %(message)s",
                row=self.row,
                column=self.column,
                message=self.message,
            )
        )


@dataclass
class Planned:
    """A row ready to be saved, and the stored feature it duplicates, if any."""

    number: int
    row: store.Row
    duplicate: Feature | None = None
    distance: float | None = None


@dataclass
class Plan:
    """Everything an import would write, and everything that stops it."""

    name: str
    planned: list[Planned]
    problems: list[Problem]
    rows: int
    update_duplicates: bool

    @property
    def duplicates(self) -> list[Planned]:
        """Rows with the title of a stored feature within 50 m."""
        return [p for p in self.planned if p.duplicate is not None]

    @property
    def to_save(self) -> list[Planned]:
        """The rows to write: new ones, and duplicates when they update."""
        return [
            p for p in self.planned if p.duplicate is None or self.update_duplicates
        ]


def plan(
    user,
    city: City,
    spec: LayerSpec,
    source: Source,
    mapping: dict[int, str],
    *,
    publish: bool = False,
    update_duplicates: bool = False,
) -> Plan:
    """What importing ``source`` with ``mapping`` would write; nothing is written.

    Each mapped cell goes through its field kind and the row through the form's
    cleaning; the place must lie in the city and, for an organiser, in their
    areas. A row with the title of a stored feature within 50 m is a duplicate:
    skipped, or an update of that feature with ``update_duplicates``.
    """
    checker = store.Checker(city, spec)
    converter = _Converter(user, city, spec, source, mapping, checker)
    planned, problems = [], []
    for number, cells in source.rows:
        geometry = source.geometries[number - 1] if source.geometries else None
        row, found = converter.row(number, cells, geometry, publish, update_duplicates)
        problems += found
        if row is not None and not found:
            planned.append(row)
    return Plan(source.name, planned, problems, len(source.rows), update_duplicates)


class _Converter:
    """Turns one row after another into a feature, with what is prepared once."""

    def __init__(self, user, city, spec, source, mapping, checker):
        self.user, self.city, self.spec, self.source = user, city, spec, source
        self.checker = checker
        self.fields = {
            index: spec.get_field(target)
            for index, target in mapping.items()
            if not target.startswith(PLACE)
        }
        self.column_of = {f.name: source.columns[i] for i, f in self.fields.items()}
        self.lookup = Lookup(city, spec, user)
        self.placer = Placer(city, spec, checker.within, mapping, source.columns, user)
        self.duplicates = Duplicates(city, spec, user)

    def column(self, name: str) -> str:
        """The file's column of a field, or the field's label when none is mapped."""
        if name in self.column_of:
            return self.column_of[name]
        return translated(self.spec.get_field(name).label)

    def row(self, number, cells, geometry, publish, update):
        """(the planned row or None, the row's problems)."""
        values, problems = {}, []
        for index, spec_field in self.fields.items():
            try:
                kind = kind_of(spec_field)
                values.update(kind.cell_to_form(spec_field, cells[index], self.lookup))
            except ValueError as problem:
                message = str(problem.args[0])
                problems.append(Problem(number, self.column(spec_field.name), message))
        # A cell that could not be read is named once, not again as missing.
        broken = {p.column for p in problems}
        try:
            address = validation.Form(values).text("address")
            placed = self.placer.place(cells, geometry, address)
        except Misplaced as problem:
            problems.append(Problem(number, problem.column, str(problem.args[0])))
            placed = None
        precision = placed.precision if placed else ""
        if precision or not validation.Form(values).text("location_precision"):
            values["location_precision"] = [precision or "address"]
        properties, errors = validation.clean_properties(
            self.spec, validation.Form(values), self.checker.allowed
        )
        problems += [
            Problem(number, self.column(name), message)
            for name, message in errors.items()
            if self.column(name) not in broken
        ]
        geometry = placed and self._checked_place(number, placed, problems)
        if problems:
            return None, problems
        return self._planned(number, properties, geometry, publish, update), []

    def _checked_place(self, number, placed, problems):
        """The place checked like a form's, and against an organiser's areas."""
        try:
            geometry = validation.check_geometry(
                self.spec, placed.geometry, self.checker.outline, self.checker.within
            )
        except ValueError as problem:
            problems.append(Problem(number, placed.column, str(problem.args[0])))
            return None
        if self.user is not None and not permissions.works_on(
            self.user, self.city, geometry
        ):
            message = str(_l("Poza Twoimi obszarami."))
            problems.append(Problem(number, placed.column, message))
        return geometry

    def _planned(self, number, properties, geometry, publish, update) -> Planned:
        duplicate, distance = self.duplicates.of(properties, geometry)
        status = "published" if publish else "draft"
        source_note = str(_l("Import: %(name)s", name=self.source.name))
        if duplicate is not None and update:
            kept = {
                k: v
                for k, v in (duplicate.properties or {}).items()
                if k not in self.column_of
            }
            properties = {**kept, **properties}
            status = "published" if publish else duplicate.status
        properties.setdefault("data_source", source_note)
        row = store.Row(geometry, properties, status, duplicate if update else None)
        return Planned(number, row, duplicate, distance)


def run(user, city: City, spec: LayerSpec, planned: Plan) -> list[Feature]:
    """Write the plan's rows in one transaction, or refuse them all naming each problem.

    Each row becomes a revision with the action "import"; ``user`` None is the
    command line.
    """
    if planned.problems:
        raise refused(
            _l(
                "Nic nie zostało zapisane: plik %(name)s ma błędy (%(n)s); popraw je "
                "i wczytaj plik ponownie.",
                name=planned.name,
                n=len(planned.problems),
            ),
            planned.problems,
        )
    rows = planned.to_save
    try:
        return store.save_many(user, city, spec, [p.row for p in rows])
    except store.RowsInvalid as invalid:
        raise refused(
            invalid.message,
            [
                Problem(rows[index].number, name, message)
                for index, fields in invalid.errors.items()
                for name, message in fields.items()
            ],
        ) from invalid


# -- what the preview shows ------------------------------------------------------------


def preview(planned: Plan, spec: LayerSpec, options: dict) -> tuple[list, list]:
    """The first rows as they will be saved: field labels and, per row, the texts.

    Values are shown as a reader sees them (labels, not keys); the columns are the
    fields any of these rows fills.
    """
    shown = planned.to_save[:PREVIEW_ROWS]
    labels = {name: dict(pairs) for name, pairs in options.items()}
    fields = [
        f
        for f in spec.all_fields
        if any(p.row.properties.get(f.name) not in (None, "", []) for p in shown)
    ]
    rows = [
        (
            p.number,
            [
                _shown(f, p.row.properties.get(f.name), labels.get(f.name, {}))
                for f in fields
            ],
        )
        for p in shown
    ]
    return fields, rows


def _shown(spec_field: FieldSpec, value, labels: dict) -> str:
    if value in (None, "", []):
        return ""
    return kind_of(spec_field).text(spec_field, value, labels)


def summary(planned: Plan) -> list[str]:
    """The plan in a few lines (the command line prints them)."""
    lines = [
        str(
            _l(
                "Wierszy: %(rows)s; do zapisania: %(save)s; duplikaty: %(dup)s; "
                "z błędami: %(bad)s.",
                rows=planned.rows,
                save=len(planned.to_save),
                dup=len(planned.duplicates),
                bad=len({p.row for p in planned.problems}),
            )
        )
    ]
    for p in planned.duplicates:
        lines.append(
            str(
                _l(
                    "wiersz %(row)s: ten sam tytuł co obiekt %(id)s (%(m)s m dalej)",
                    row=p.number,
                    id=p.duplicate.id,
                    m=round(p.distance),
                )
            )
        )
    return lines
