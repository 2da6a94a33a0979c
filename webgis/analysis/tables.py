"""The analysis's tables as a reader sees them: titles, headings and values.

Shared by the page and the CSV/XLSX downloads, in the reader's language.
"""

from __future__ import annotations

import math

from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _

from layers import N_
from webgis.analysis import coverage
from webgis.core.text import translated

#: The maps' titles by what they show: current values, change since the comparison
#: date, and the values with the hypothetical facilities.
VIEW_TITLES = {
    "current": N_("obecnie"),
    "earlier": N_("w porównywanym dniu"),
    "change": N_("zmiana od porównywanej daty"),
    "what_if": N_("z hipotetycznymi placówkami"),
}
TABLE_TITLES = {
    "units": N_("Jednostki (najsłabiej obsłużone najpierw)"),
    "areas": N_("Obszary"),
    "gaps": N_("Jednostki bez placówki w zasięgu R"),
    "needs": N_("Potrzeby bez zasobu tej samej kategorii w zasięgu R"),
    "change": N_("Zmiana między datami"),
    "what_if": N_("Co jeśli: obecnie i z hipotetycznymi placówkami"),
}


#: Columns that count people or things: whole numbers in tables and legends.
COUNTS = {"population", "residents", "covered", "uncovered", "facilities", "places"}


def formatter(indicator: str):
    """How values of an indicator read: a percentage, a whole count or a decimal."""
    if indicator.endswith("share"):
        return lambda value: format_percent(value, "#,##0.0%")
    if indicator in COUNTS:
        return lambda value: format_decimal(round(value), "#,##0")
    return lambda value: format_decimal(value, "#,##0.##")


#: The city summary's rows, in the order a planner reads them.
SUMMARY_ROWS = {
    "residents": N_("Mieszkańcy (z danymi)"),
    "covered": N_("Mieszkańcy w zasięgu"),
    "uncovered": N_("Mieszkańcy poza zasięgiem"),
    "coverage_share": N_("Udział mieszkańców w zasięgu"),
    "facilities": N_("Liczba placówek"),
    "places": N_("Miejsca"),
    "access_2sfca_per_1k": N_("Dostępność 2SFCA (miejsca na 1000 mieszkańców)"),
    "unserved_units": N_("Jednostki bez placówki w zasięgu R"),
    "units_without_data": N_("Jednostki bez danych o mieszkańcach"),
}
TEXT_COLUMNS = {"unit", "name", "service_area", "area", "title", "category"}


def cell(column: str, value) -> str:
    """A table value as a reader sees it; a missing one is "no data", never 0."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return _("brak danych")
    if column in TEXT_COLUMNS or isinstance(value, str):
        return str(value)
    base = column.rsplit("_", 1)[0] if column.endswith(COMPARED_SUFFIXES) else column
    return formatter(base)(value)


COMPARED_SUFFIXES = ("_before", "_after", "_change")


def heading(column: str) -> str:
    """A column's heading in the reader's language, e.g. "Udział … (przed)"."""
    words = (_("przed"), _("po"), _("zmiana"))
    for suffix, word in zip(COMPARED_SUFFIXES, words, strict=True):
        if column.endswith(suffix) and column[: -len(suffix)] in coverage.COLUMNS:
            return f"{translated(coverage.COLUMNS[column[: -len(suffix)]])} ({word})"
    return (
        translated(coverage.COLUMNS[column]) if column in coverage.COLUMNS else column
    )
