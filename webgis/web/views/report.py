"""The district report: one printable page for a team's annual plan.

Staff only: it lists needs that are not public and who changed what, so organisers
read the report of their own areas, planners and admins of every area and the city.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from webgis.accounts.permissions import check_area, role_required
from webgis.analysis import district, tables
from webgis.geography import cities

bp = Blueprint("report", __name__)

#: The earliest "since" date a report accepts: older history does not exist.
EARLIEST = date(2000, 1, 1)


def since_date(text: str | None) -> tuple[date, str | None]:
    """The "since" date of the form and a message when it was not usable.

    Missing means one year ago; a malformed, too early or future date falls back
    to that default and says why, so a typo never breaks the page.
    """
    default = date.today() - timedelta(days=365)
    if not text:
        return default, None
    try:
        chosen = date.fromisoformat(text.strip())
    except ValueError:
        return default, _(
            "Nie rozumiem daty „%(text)s”; podaj ją jako RRRR-MM-DD. "
            "Pokazuję zmiany od %(default)s.",
            text=text[:40],
            default=default.isoformat(),
        )
    if not EARLIEST <= chosen <= date.today():
        return default, _(
            "Data musi leżeć między %(first)s a dziś. Pokazuję zmiany od %(default)s.",
            first=EARLIEST.isoformat(),
            default=default.isoformat(),
        )
    return chosen, None


def _render(city, area):
    since, problem = since_date(request.args.get("since"))
    report = district.build(city, area, since)
    return render_template(
        "report/district.html",
        report=report,
        city=city,
        area=area,
        since_text=request.args.get("since", since.isoformat())[:40],
        since_problem=problem,
        cell=tables.cell,
        today=date.today(),
    )


@bp.get("/<city_code>/areas/<area_code>/report")
@role_required("organiser", "planner", "admin")
def area_report(city_code: str, area_code: str):
    """The report of one service area: its team's organisers, planners, admins."""
    city = cities.get_city(city_code)
    area = cities.get_service_area(city, area_code)
    check_area(current_user, area)
    return _render(city, area)


@bp.get("/<city_code>/report")
@role_required("planner", "admin")
def city_report(city_code: str):
    """The same report for the whole city: planners and admins."""
    return _render(cities.get_city(city_code), None)
