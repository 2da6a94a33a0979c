"""Coverage analysis pages for planners: indicators, choropleths, change, what-if.

Everything is computed on request from the query string and nothing is saved, so a
result (a what-if included) is a URL a planner can share with a colleague.
"""

from __future__ import annotations

import math
from datetime import date

from flask import Blueprint, Response, render_template, request
from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from wtforms import SelectChoice

from layers import N_
from webgis import choropleth, coverage, editing, export, geography, layer_registry
from webgis import maps as map_builder
from webgis.errors import NotFound, WebgisError
from webgis.forms import AnalysisForm
from webgis.models import City
from webgis.permissions import role_required
from webgis.report_maps import choropleth_png
from webgis.text import translated
from webgis.views.main import map_assets, render_map

bp = Blueprint("analysis", __name__)

#: The maps a page can draw: current values, change since the comparison date, and
#: the values with the hypothetical facilities.
MAP_VIEWS = ("current", "change", "what_if")
VIEW_TITLES = {
    "current": N_("obecnie"),
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


DEFAULTS = {
    "layer": "day_centres",
    "radius": "1000",
    "indicator": "coverage_share",
    "scheme": "quantiles",
    "classes": "5",
}


@bp.before_request
@role_required("planner", "admin")
def _planners_only():
    """Analyses read drafts' history and whole-city figures: planners and admins."""


def _form(city: City) -> AnalysisForm:
    # What the URL leaves out takes its default, so a first visit (or a short link)
    # shows an analysis rather than an empty form.
    args = MultiDict(DEFAULTS)
    for key in request.args:
        args.setlist(key, request.args.getlist(key))
    form = AnalysisForm(args)
    form.layer.choices = [
        SelectChoice(key, translated(spec.title))
        for key, spec in layer_registry().items()
    ]
    # An unknown layer is reported by the form; its categories are then the default's.
    spec = layer_registry().get(form.layer.data) or layer_registry()[DEFAULTS["layer"]]
    options = (
        editing.field_options(city, spec, None, names={spec.category_field})
        if spec.category_field
        else {}
    )
    form.category.choices = [SelectChoice("", _("wszystkie"))] + [
        SelectChoice(value, label)
        for value, label in options.get(spec.category_field, [])
    ]
    return form


def _analyse(city: City, form: AnalysisForm):
    """The analysis the form asks for, or None when the form has errors."""
    if not form.validate():
        return None
    query = coverage.AnalysisQuery(
        layer=form.layer.data,
        category=form.category.data or None,
        radius=float(form.radius.data),
        when=form.when.data,
        compare_to=form.compare_to.data,
        hypothetical=form.hypothetical_facilities(),
    )
    try:
        return coverage.run(city, query)
    except coverage.OutsideCity as outside:
        form.hypothetical.errors.append(
            _(
                "Punkt w wierszu %(lines)s leży poza miastem.",
                lines=", ".join(map(str, outside.lines)),
            )
        )
        return None


#: Columns that count people or things: whole numbers in tables and legends.
COUNTS = {"population", "residents", "covered", "uncovered", "facilities", "places"}


def _formatter(indicator: str):
    """How values of an indicator read: a percentage, a whole count or a decimal."""
    if indicator.endswith("share"):
        return lambda value: format_percent(value, "#,##0.0%")
    if indicator in COUNTS:
        return lambda value: format_decimal(round(value), "#,##0")
    return lambda value: format_decimal(value, "#,##0.##")


def _map_values(result: coverage.AnalysisResult, indicator: str, view: str):
    """The values a map shows, by unit number, or None when there are none."""
    if view == "change" and "change" in result.tables:
        change = result.tables["change"]
        return change.set_index("unit")[f"{indicator}_change"]
    if view == "what_if" and result.what_if is not None:
        return result.what_if.set_index("unit")[indicator]
    if view == "current":
        return result.units.set_index("unit")[indicator]
    return None


def _choropleth(result, form: AnalysisForm, view: str):
    values = _map_values(result, form.indicator.data, view)
    if values is None:
        return None
    label = translated(coverage.INDICATORS[form.indicator.data])
    return choropleth.build(
        result.shapes,
        values,
        form.scheme.data,
        form.classes.data,
        _formatter(form.indicator.data),
        {"indicator": label, "no_data": _("brak danych")},
    )


def _points(result: coverage.AnalysisResult, view: str) -> list:
    """Point frames a map shows with their labels: facilities, then what-if ones."""
    points = [(result.facilities, _("Placówki"))]
    if view == "what_if" and result.hypothetical is not None:
        points.append((result.hypothetical, _("Hipotetyczne placówki")))
    return points


@bp.get("/<city_code>/analysis")
def page(city_code: str):
    """The analysis form with its results: summary, maps and tables."""
    city = geography.get_city(city_code)
    form = _form(city)
    result = _analyse(city, form)
    if result is None:
        page = render_template("analysis/page.html", city=city, form=form, maps={})
        return page, 400
    maps = {}
    for view in MAP_VIEWS:
        built = _choropleth(result, form, view)
        if built is None:
            continue
        frames = [frame for frame, _label in _points(result, view)]
        fmap = map_builder.choropleth_map(built.units, map_assets(), *frames)
        maps[view] = (render_map(fmap), built.legend)
    return render_template(
        "analysis/page.html",
        city=city,
        form=form,
        result=result,
        maps=maps,
        map_header=map_builder.merged_header([r for r, _legend in maps.values()]),
        titles=TABLE_TITLES,
        view_titles=VIEW_TITLES,
        indicators=coverage.INDICATORS,
        summary_rows=[(key, translated(label)) for key, label in SUMMARY_ROWS.items()],
        without_capacity=int(result.facilities["capacity"].isna().sum()),
        missing_names=result.units.loc[result.units["population"].isna(), "name"],
        heading=_heading,
        cell=_cell,
        text_columns=TEXT_COLUMNS,
        query=request.args.to_dict(),
    )


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


def _cell(column: str, value) -> str:
    """A table value as a reader sees it; a missing one is "no data", never 0."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return _("brak danych")
    if column in TEXT_COLUMNS or isinstance(value, str):
        return str(value)
    base = column.rsplit("_", 1)[0] if column.endswith(_COMPARED_SUFFIXES) else column
    return _formatter(base)(value)


_COMPARED_SUFFIXES = ("_before", "_after", "_change")


def _result_or_400(city: City):
    form = _form(city)
    result = _analyse(city, form)
    if result is None:
        problems = "; ".join(
            f"{form[name].label.text}: {' '.join(map(str, errors))}"
            for name, errors in form.errors.items()
        )
        raise WebgisError(
            _("Popraw parametry analizy: %(problems)s", problems=problems)
        )
    return form, result


@bp.get("/<city_code>/analysis/tables/<name>.<fmt>")
def table_export(city_code: str, name: str, fmt: str):
    """One table of the analysis as CSV or XLSX, with translated headings."""
    city = geography.get_city(city_code)
    if fmt not in export.TABLE_FORMATS:
        raise NotFound(_("Nieznany format %(fmt)s; są: csv, xlsx.", fmt=fmt))
    _form_, result = _result_or_400(city)
    if name not in result.tables:
        raise NotFound(_("Ta analiza nie ma tabeli %(name)s.", name=name))
    table = result.tables[name].rename(columns=_heading)
    data = export.table_file(table, fmt, translated(TABLE_TITLES[name]))
    return Response(
        data,
        mimetype=export.TABLE_FORMATS[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{city.code}-{name}.{fmt}"'
        },
    )


def _heading(column: str) -> str:
    """A column's heading in the reader's language, e.g. "Udział … (przed)"."""
    words = (_("przed"), _("po"), _("zmiana"))
    for suffix, word in zip(_COMPARED_SUFFIXES, words, strict=True):
        if column.endswith(suffix) and column[: -len(suffix)] in coverage.COLUMNS:
            return f"{translated(coverage.COLUMNS[column[: -len(suffix)]])} ({word})"
    return (
        translated(coverage.COLUMNS[column]) if column in coverage.COLUMNS else column
    )


@bp.get("/<city_code>/analysis/map.png")
def map_png(city_code: str):
    """The map of the chosen indicator as a PNG for a report; no tiles needed."""
    city = geography.get_city(city_code)
    form, result = _result_or_400(city)
    view = request.args.get("view", "current")
    built = _choropleth(result, form, view) if view in MAP_VIEWS else None
    if built is None:
        raise NotFound(_("Tej mapy nie ma w tej analizie: %(view)s.", view=view))
    title = f"{city.name}: {translated(coverage.INDICATORS[form.indicator.data])}"
    if view != "current":
        title += f" ({translated(VIEW_TITLES[view])})"
    note = _(
        "Promień R = %(radius)s m; stan na %(when)s; źródło: Mapa Zasobów.",
        radius=form.radius.data,
        when=form.when.data or date.today(),
    )
    png = choropleth_png(built.units, built.legend, title, note, _points(result, view))
    return Response(png, mimetype="image/png")
