"""The geography every layer builds on: cities, their units and service areas."""

from __future__ import annotations

import uuid

from shapely.geometry.base import BaseGeometry
from sqlalchemy import ForeignKey, String, UniqueConstraint, event, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from webgis.core.extensions import db
from webgis.core.geometry_column import GeometryColumn


def _new_version() -> str:
    return uuid.uuid4().hex


class City(db.Model):
    """A municipality; everything else belongs to exactly one city.

    ``unit_kind`` and ``area_kind`` name what the city calls its units (osiedle,
    dzielnica) and the teams' areas (ZTPS, Filia), so a third city is only data.
    """

    __tablename__ = "cities"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    unit_kind: Mapped[str] = mapped_column(String(60), default="jednostka")
    area_kind: Mapped[str] = mapped_column(String(60), default="obszar")
    #: Changes whenever a unit or service area of the city does (see
    #: :func:`stamp_changed_boundaries`): pages cache what they draw of the city's
    #: boundaries under it, in every process, without reading the boundaries.
    boundaries_version: Mapped[str] = mapped_column(
        String(32), default=_new_version, server_default=""
    )

    units: Mapped[list[Unit]] = relationship(
        back_populates="city", cascade="all, delete-orphan", order_by="Unit.number"
    )
    service_areas: Mapped[list[ServiceArea]] = relationship(
        back_populates="city",
        cascade="all, delete-orphan",
        order_by="ServiceArea.sort_key",
    )


class ServiceArea(db.Model):
    """The area of a field team (ZTPS) or branch (Filia): the union of its units."""

    __tablename__ = "service_areas"
    __table_args__ = (UniqueConstraint("city_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    # Natural order of codes such as ZTPS-2 < ZTPS-10 (see geography.natural_key).
    sort_key: Mapped[str] = mapped_column(String(80), default="")
    geometry: Mapped[BaseGeometry | None] = mapped_column(
        GeometryColumn("MULTIPOLYGON")
    )

    city: Mapped[City] = relationship(back_populates="service_areas")
    units: Mapped[list[Unit]] = relationship(
        back_populates="service_area", order_by="Unit.number"
    )

    @property
    def population(self) -> int | None:
        """Residents of the area, or None when no unit has a population."""
        known = [u.population for u in self.units if u.population is not None]
        return sum(known) if known else None

    @property
    def units_without_population(self) -> list[Unit]:
        """Units whose residents are unknown, so the total is a lower bound."""
        return [u for u in self.units if u.population is None]

    @property
    def area_km2(self) -> float:
        """Area of the service area as the sum of its units' areas."""
        return round(sum(u.area_km2 for u in self.units), 3)


class Unit(db.Model):
    """An auxiliary unit of a city (osiedle, dzielnica) with its residents."""

    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("city_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id", ondelete="CASCADE"))
    number: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    population: Mapped[int | None]
    area_km2: Mapped[float]
    geometry: Mapped[BaseGeometry] = mapped_column(GeometryColumn("MULTIPOLYGON"))
    service_area_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_areas.id", ondelete="SET NULL")
    )
    # How sure the assignment to a service area is ("confirmed", "approximate").
    assignment_status: Mapped[str | None] = mapped_column(String(40))

    city: Mapped[City] = relationship(back_populates="units")
    service_area: Mapped[ServiceArea | None] = relationship(back_populates="units")


#: A city's collections whose change (a unit removed, say) changes its boundaries.
_PARTS = ("units", "service_areas")


@event.listens_for(Session, "before_flush")
def stamp_changed_boundaries(session: Session, _context, _instances) -> None:
    """Give a new ``boundaries_version`` to every city whose units or areas change.

    Every write of the ORM passes here (imports, the admin's reassignment, tests),
    so no code path can change a boundary and leave a stale drawing behind.
    """
    dirty = session.dirty  # worked out anew at each use of the property: once here
    parts = [
        thing
        for thing in dirty
        if isinstance(thing, Unit | ServiceArea) and session.is_modified(thing)
    ]
    changed: set[City] = set()
    for thing in (*session.new, *parts, *session.deleted):
        if isinstance(thing, Unit | ServiceArea):
            city_id = inspect(thing).attrs.city_id.value
            city = thing.city or (city_id and session.get(City, city_id))
            if city:
                changed.add(city)
    for city in (thing for thing in dirty if isinstance(thing, City)):
        state = inspect(city)
        if any(state.attrs[n].history.has_changes() for n in _PARTS):
            changed.add(city)
    for city in changed:
        city.boundaries_version = _new_version()
