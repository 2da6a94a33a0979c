"""Who may do what: roles, and organisers' service areas.

Every view and API call that reads drafts or changes data goes through these checks on
the server; hiding a button is never the protection.
"""

from __future__ import annotations

from functools import wraps

from flask_login import current_user
from shapely.geometry.base import BaseGeometry

from webgis.core.errors import Forbidden
from webgis.core.extensions import login_manager
from webgis.core.text import lazy_text as _l
from webgis.geography import cities
from webgis.geography.models import City, ServiceArea


def role_required(*roles: str):
    """View decorator: sign in first (anonymous), or 403 when the role does not fit."""

    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                raise Forbidden(_l("Twoja rola nie pozwala na to działanie."))
            return view(*args, **kwargs)

        return guarded

    return decorate


def works_in(user, area: ServiceArea | None) -> bool:
    """Whether the user may edit and moderate in this service area."""
    if user is None or not user.is_authenticated:
        return False
    if user.sees_everything:
        return True
    return area is not None and area in user.areas


def check_area(user, area: ServiceArea | None) -> None:
    """Refuse work in an area that is not the user's, naming the user's areas."""
    if not works_in(user, area):
        raise Forbidden(
            _l(
                "To nie jest Twój obszar; możesz działać w: %(areas)s.",
                areas=_area_names(user),
            )
        )


def works_on(user, city: City, geometry: BaseGeometry) -> bool:
    """Whether the user may place or edit a feature with this geometry.

    Planners and admins work everywhere; an organiser where the feature belongs to
    one of their areas (see :func:`webgis.geography.areas_of`), so a shared border
    is not enough to edit a neighbouring team's work.
    """
    if user is None or not user.is_authenticated:
        return False
    if user.sees_everything:
        return True
    return bool(set(cities.areas_of(city, geometry)) & set(user.areas))


def check_placement(user, city: City, geometry: BaseGeometry) -> None:
    """Refuse a geometry that belongs to none of the user's areas, naming them."""
    if not works_on(user, city, geometry):
        raise Forbidden(
            _l(
                "Ta lokalizacja leży poza Twoimi obszarami (%(areas)s).",
                areas=_area_names(user),
            )
        )


def _area_names(user) -> str:
    return ", ".join(a.name for a in getattr(user, "areas", [])) or "—"
