"""Coverage analysis pages for planners: indicators, choropleths, change, what-if.

Everything is computed on request from the query string and nothing is saved, so a
result (a what-if included) is a URL a planner can share with a colleague. A result
stays in memory for a while (see :func:`coverage.run`), so the page's CSV, XLSX and
PNG downloads reuse it instead of computing it again.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from wtforms import SelectChoice

from webgis.accounts.permissions import role_required
from webgis.analysis import choropleth, coverage, tables
from webgis.core.errors import NotFound, WebgisError
from webgis.core.registry import layer_registry
from webgis.core.text import translated
from webgis.features import editing, export
from webgis.geography import cities
from webgis.geography.models import City
from webgis.web import maps as map_builder
from webgis.web.forms import AnalysisForm
from webgis.web.map_pages import map_assets, render_map

bp = Blueprint("analysis", __name__)

#: The maps a page can draw (see tables.VIEW_TITLES).
MAP_VIEWS = ("current", "earlier", "change", "what_if")


#: What a first visit shows (the layer: the one counted as facilities by default).
DEFAULTS = {
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
    args = MultiDict({**DEFAULTS, "layer": coverage.facilities_layer().key})
    for key in request.args:
        args.setlist(key, request.args.getlist(key))
    form = AnalysisForm(args)
    form.layer.choices = [
        SelectChoice(key, translated(spec.title))
        for key, spec in layer_registry().items()
    ]
    # An unknown layer is reported by the form; its categories are then the default's.
    spec = layer_registry().get(form.layer.data) or coverage.facilities_layer()
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


def _map_values(result: coverage.AnalysisResult, indicator: str, view: str):
    """The values a map shows, by unit number, or None when there are none."""
    if view == "change" and "change" in result.tables:
        change = result.tables["change"]
        return change.set_index("unit")[f"{indicator}_change"]
    if view == "what_if" and result.what_if is not None:
        return result.what_if.set_index("unit")[indicator]
    if view == "earlier" and result.earlier is not None:
        return result.earlier.set_index("unit")[indicator]
    if view == "current":
        return result.units.set_index("unit")[indicator]
    return None


#: Maps of the same quantity, read side by side: they share their class bounds.
#: The change map shows differences (another quantity, often negative): its own.
COMPARED_VIEWS = ("current", "earlier", "what_if")


def _shared_basis(result: coverage.AnalysisResult, indicator: str):
    """The union of the values of the maps in :data:`COMPARED_VIEWS`."""
    shown = [_map_values(result, indicator, view) for view in COMPARED_VIEWS]
    return pd.concat([values for values in shown if values is not None])


def _choropleth(result, form: AnalysisForm, view: str):
    indicator = form.indicator.data
    values = _map_values(result, indicator, view)
    if values is None or values.isna().all():
        return None
    label = translated(coverage.INDICATORS[indicator])
    basis = _shared_basis(result, indicator) if view in COMPARED_VIEWS else None
    return choropleth.build(
        result.shapes,
        values,
        form.scheme.data,
        form.classes.data,
        tables.formatter(indicator),
        {"indicator": label, "no_data": _("brak danych")},
        basis,
    )


def _counted_types(form: AnalysisForm) -> list[str]:
    """Labels of the categories the layer counts as facilities (none: all count)."""
    spec = layer_registry().get(form.layer.data)
    if spec is None or spec.facilities_when is None or form.category.data:
        return []
    counted = set(spec.facilities_when[1])
    return [c.label for c in form.category.choices if c.value in counted]


def _points(result: coverage.AnalysisResult, view: str) -> list:
    """Point frames a map shows with their labels: facilities, then what-if ones."""
    if view == "earlier":
        return [(result.earlier_facilities, _("Placówki"))]
    points = [(result.facilities, _("Placówki"))]
    if view == "what_if" and result.hypothetical is not None:
        points.append((result.hypothetical, _("Hipotetyczne placówki")))
    return points


@bp.get("/<city_code>/analysis")
def page(city_code: str):
    """The analysis form with its results: summary, maps and tables."""
    city = cities.get_city(city_code)
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
        titles=tables.TABLE_TITLES,
        view_titles=tables.VIEW_TITLES,
        indicators=coverage.INDICATORS,
        summary_rows=[
            (key, translated(label)) for key, label in tables.SUMMARY_ROWS.items()
        ],
        without_capacity=int(result.facilities["capacity"].isna().sum()),
        places_known=coverage.places_known(result.facilities),
        places_indicators=coverage.PLACES_INDICATORS,
        counted_types=_counted_types(form),
        missing_names=result.units.loc[result.units["population"].isna(), "name"],
        heading=tables.heading,
        cell=tables.cell,
        text_columns=tables.TEXT_COLUMNS,
        query=request.args.to_dict(),
        shared_classes=sum(view in maps for view in COMPARED_VIEWS) > 1,
    )


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
    city = cities.get_city(city_code)
    if fmt not in export.TABLE_FORMATS:
        raise NotFound(_("Nieznany format %(fmt)s; są: csv, xlsx.", fmt=fmt))
    _form_, result = _result_or_400(city)
    if name not in result.tables:
        raise NotFound(_("Ta analiza nie ma tabeli %(name)s.", name=name))
    table = result.tables[name].rename(columns=tables.heading)
    data = export.table_file(table, fmt, translated(tables.TABLE_TITLES[name]))
    return Response(
        data,
        mimetype=export.TABLE_FORMATS[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{city.code}-{name}.{fmt}"'
        },
    )


@bp.get("/<city_code>/analysis/map.png")
def map_png(city_code: str):
    """The map of the chosen indicator as a PNG for a report; no tiles needed."""
    from webgis.analysis.report_maps import choropleth_png  # matplotlib: on demand

    city = cities.get_city(city_code)
    form, result = _result_or_400(city)
    view = request.args.get("view", "current")
    built = _choropleth(result, form, view) if view in MAP_VIEWS else None
    if built is None:
        raise NotFound(_("Tej mapy nie ma w tej analizie: %(view)s.", view=view))
    title = f"{city.name}: {translated(coverage.INDICATORS[form.indicator.data])}"
    if view != "current":
        title += f" ({translated(tables.VIEW_TITLES[view])})"
    note = _(
        "Promień R = %(radius)s m; stan na %(when)s; źródło: Mapa Zasobów.",
        radius=form.radius.data,
        when=_shown_date(form, view),
    )
    png = choropleth_png(built.units, built.legend, title, note, _points(result, view))
    name = _png_name(city, form, view)
    return Response(
        png,
        mimetype="image/png",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _png_name(city: City, form: AnalysisForm, view: str) -> str:
    """What the PNG shows, as its file name: indicator, view, city and date."""
    when = _shown_date(form, view)
    return f"{city.code}-{form.indicator.data}-{view}-{when.isoformat()}.png"


def _shown_date(form: AnalysisForm, view: str) -> date:
    """The day a map shows: the compared day for the earlier map, else the date."""
    if view == "earlier" and form.compare_to.data:
        return form.compare_to.data
    return form.when.data or date.today()
