"""A city's address register in the database: the only module that queries it.

The register comes from the national register's export (PRG address points) or a
municipality's own, through ``webgis addresses import``; geocoding
(:mod:`webgis.geography.geocoding`) reads it with no internet. Points keep the
street and number as the register writes them, beside folded keys to look them up.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import (
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    delete,
    func,
    insert,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column

from webgis.core import audit
from webgis.core.extensions import db
from webgis.core.transaction import transaction
from webgis.geography.models import City

#: What the columns hold: a street name, a house number ("43a", "12/14"), a postcode.
MAX_STREET_LENGTH = 200
MAX_NUMBER_LENGTH = 20


class AddressPoint(db.Model):
    """One address of the register: a street, a house number and where it is."""

    __tablename__ = "address_points"
    __table_args__ = (
        # Geocoding: one street's numbers.
        Index("ix_address_points_street", "city_id", "street_key", "number_key"),
        # Reverse geocoding: the points in a box around a clicked place.
        Index("ix_address_points_place", "city_id", "x", "y"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id", ondelete="CASCADE"))
    street: Mapped[str] = mapped_column(String(MAX_STREET_LENGTH))  # as written
    street_key: Mapped[str] = mapped_column(String(MAX_STREET_LENGTH))
    number: Mapped[str] = mapped_column(String(MAX_NUMBER_LENGTH))  # as written
    number_key: Mapped[str] = mapped_column(String(MAX_NUMBER_LENGTH))
    postcode: Mapped[str] = mapped_column(String(6), default="")
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    x: Mapped[float] = mapped_column(Float)  # EPSG:2180 metres
    y: Mapped[float] = mapped_column(Float)


class AddressStreet(db.Model):
    """A name a street is typed by, and the street's middle.

    A street has one row per name people use for it: its full name ("ludwika
    rydygiera") and its last words ("rydygiera"), so a typed name is found by an
    index and a misspelt one among the names of about its length.
    """

    __tablename__ = "address_streets"
    __table_args__ = (
        Index("ix_address_streets_name", "city_id", "name_key"),
        Index("ix_address_streets_length", "city_id", "name_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id", ondelete="CASCADE"))
    street: Mapped[str] = mapped_column(String(MAX_STREET_LENGTH))  # as written
    street_key: Mapped[str] = mapped_column(String(MAX_STREET_LENGTH))
    name_key: Mapped[str] = mapped_column(String(MAX_STREET_LENGTH))
    name_length: Mapped[int] = mapped_column(Integer)
    # The street's address point nearest to the mean of its points: on the street.
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)


@dataclass(frozen=True)
class StreetName:
    """A street found by one of its names."""

    street: str
    street_key: str
    name_key: str
    lon: float
    lat: float


@dataclass(frozen=True)
class Address:
    """An address point as geocoding returns it."""

    street: str
    number: str
    postcode: str
    lon: float
    lat: float
    x: float
    y: float


POINT_COLUMNS = ("street", "street_key", "number", "number_key", "postcode")
POINT_COLUMNS += ("lon", "lat", "x", "y")
STREET_COLUMNS = ("street", "street_key", "name_key", "name_length", "lon", "lat")


def replace_addresses(city: City, points: pd.DataFrame, streets: pd.DataFrame) -> int:
    """Make the city's register exactly ``points`` and ``streets``, atomically.

    ``points`` and ``streets`` hold the columns of :data:`POINT_COLUMNS` and
    :data:`STREET_COLUMNS` (see :func:`~webgis.geography.address_files.prepare`).
    Returns the number of points stored.
    """
    with transaction():
        for model in (AddressPoint, AddressStreet):
            db.session.execute(delete(model).where(model.city_id == city.id))
        _insert(AddressPoint, city, points, POINT_COLUMNS)
        _insert(AddressStreet, city, streets, STREET_COLUMNS)
        audit.record("addresses.import", city.code, f"{len(points)} address points")
    return len(points)


def _insert(model, city: City, frame: pd.DataFrame, columns) -> None:
    rows = [
        {"city_id": city.id, **dict(zip(columns, values, strict=True))}
        for values in frame[list(columns)].itertuples(index=False, name=None)
    ]
    # In slices, so a city's 60,000 points do not become one statement.
    for start in range(0, len(rows), 5_000):
        db.session.execute(insert(model), rows[start : start + 5_000])


def count(city: City) -> int:
    """How many address points the city's register has."""
    return db.session.scalar(
        select(func.count())
        .select_from(AddressPoint)
        .where(AddressPoint.city_id == city.id)
    )


def streets_named(city: City, name_key: str) -> list[StreetName]:
    """The streets one of whose names is ``name_key`` (folded)."""
    rows = db.session.execute(
        select(*_street_columns()).where(
            AddressStreet.city_id == city.id, AddressStreet.name_key == name_key
        )
    )
    return [StreetName(*row) for row in rows]


def street_names_near(city: City, key: str) -> list[StreetName]:
    """The street names that may be ``key`` with one typing mistake.

    Such a name is at most a letter shorter or longer and keeps either the first
    or the last (n - 2) / 2 letters of ``key`` (one mistake cannot touch both
    halves): the index on lengths and these ends leave a handful of names for
    :func:`~webgis.geography.geocoding.within_one_edit` to check.
    """
    keep = max(1, (len(key) - 2) // 2)
    name = AddressStreet.name_key
    rows = db.session.execute(
        select(*_street_columns()).where(
            AddressStreet.city_id == city.id,
            AddressStreet.name_length.between(len(key) - 1, len(key) + 1),
            or_(
                func.substr(name, 1, keep) == key[:keep],
                func.substr(name, AddressStreet.name_length - keep + 1) == key[-keep:],
            ),
        )
    )
    return [StreetName(*row) for row in rows]


def _street_columns():
    return (
        AddressStreet.street,
        AddressStreet.street_key,
        AddressStreet.name_key,
        AddressStreet.lon,
        AddressStreet.lat,
    )


def numbered(city: City, street_key: str, number_keys: list[str]) -> Address | None:
    """The street's address with the first of ``number_keys`` it has, if any."""
    rows = db.session.execute(
        select(*_address_columns(), AddressPoint.number_key).where(
            AddressPoint.city_id == city.id,
            AddressPoint.street_key == street_key,
            AddressPoint.number_key.in_(number_keys),
        )
    ).all()
    by_key = {row[-1]: Address(*row[:-1]) for row in rows}
    return next((by_key[key] for key in number_keys if key in by_key), None)


def nearest(city: City, x: float, y: float, metres: float) -> Address | None:
    """The address point nearest to (x, y) in EPSG:2180, if one is within ``metres``.

    Asks a box around the place of the index, widening it step by step, so a
    click in a dense city reads a few dozen points, not the whole register.
    """
    distance = (AddressPoint.x - x) * (AddressPoint.x - x) + (AddressPoint.y - y) * (
        AddressPoint.y - y
    )
    for reach in _reaches(metres):
        row = db.session.execute(
            select(*_address_columns(), distance)
            .where(
                AddressPoint.city_id == city.id,
                AddressPoint.x.between(x - reach, x + reach),
                AddressPoint.y.between(y - reach, y + reach),
            )
            .order_by(distance, AddressPoint.id)
            .limit(1)
        ).first()
        # Only a point inside the circle is surely the nearest: one in the box's
        # corner may have a nearer one just outside the box.
        if row is not None and row[-1] <= reach * reach:
            return Address(*row[:-1])
    return None


def _reaches(metres: float) -> list[float]:
    steps = [r for r in (30.0, 100.0) if r < metres]
    return [*steps, metres]


def _address_columns():
    return (
        AddressPoint.street,
        AddressPoint.number,
        AddressPoint.postcode,
        AddressPoint.lon,
        AddressPoint.lat,
        AddressPoint.x,
        AddressPoint.y,
    )
