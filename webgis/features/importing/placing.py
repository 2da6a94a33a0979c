"""Where an imported row's feature lies, and which stored feature it may repeat."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import shapely
from shapely.geometry import MultiPolygon, Point
from shapely.geometry.base import BaseGeometry

from layers import LayerSpec
from webgis.core.registry import layer_registry
from webgis.core.text import fold, translated
from webgis.core.text import lazy_text as _l
from webgis.features import store
from webgis.features.importing.mapping import PLACE, reader
from webgis.features.kinds import cell_text
from webgis.features.models import Feature
from webgis.geography import geocoding
from webgis.geography.boundaries import metric_transformer
from webgis.geography.models import City

#: A feature this close (metres) with the same title is taken for the same one.
DUPLICATE_METRES = 50.0


class Misplaced(ValueError):
    """A row whose place cannot be found; ``column`` says where it was looked for."""

    def __init__(self, column: str, message):
        super().__init__(message)
        self.column = column


@dataclass(frozen=True)
class Placed:
    """A row's place, the precision it implies ("" if exact) and its columns."""

    geometry: BaseGeometry
    precision: str
    column: str


class Placer:
    """Where each row's feature is: from its geometry, coordinates, unit or address."""

    def __init__(self, city: City, spec: LayerSpec, within, mapping, columns, user):
        self.city, self.spec, self.within, self.user = city, spec, within, user
        self.index = {
            target[len(PLACE) :]: index
            for index, target in mapping.items()
            if target.startswith(PLACE)
        }
        self.columns = columns
        self._units: dict[str, BaseGeometry] | None = None
        self._addresses: dict[str, BaseGeometry] | None = None

    def place(self, cells: list, geometry, address: str) -> Placed:
        """Where the row's feature is, from the first way the row gives it."""
        if geometry is not None:
            return Placed(_single(geometry), "", str(_l("geometria")))
        wkt, lon, lat, x, y, unit = (
            self._cell(cells, key) for key in ("wkt", "lon", "lat", "x", "y", "unit")
        )
        if wkt is not None:
            return Placed(self._wkt(wkt), "", self._name("wkt"))
        if lon is not None and lat is not None:
            point = self._point(lon, lat, "lon", "lat", metric=False)
            return Placed(point, "", self._name("lon", "lat"))
        if x is not None and y is not None:
            point = self._point(x, y, "x", "y", metric=True)
            return Placed(point, "", self._name("x", "y"))
        if unit is not None:
            return Placed(self._unit(cell_text(unit)), "unit", self._name("unit"))
        if address:
            label = translated(self.spec.get_field("address").label)
            return Placed(*self._address(address), label)
        raise Misplaced(
            str(_l("miejsce")),
            _l(
                "Brak miejsca: podaj współrzędne (lon, lat), WKT, jednostkę albo adres "
                "znany w tym mieście."
            ),
        )

    def _cell(self, cells, key):
        index = self.index.get(key)
        return None if index is None else cells[index]

    def _name(self, *keys) -> str:
        return ", ".join(self.columns[self.index[k]] for k in keys)

    def _wkt(self, text) -> BaseGeometry:
        try:
            geometry = shapely.from_wkt(str(text))
        except shapely.errors.GEOSException:
            raise Misplaced(
                self._name("wkt"), _l("Nie udało się odczytać geometrii.")
            ) from None
        west, south, east, north = geometry.bounds
        if max(abs(west), abs(east)) > 180 or max(abs(south), abs(north)) > 90:
            # Metres: the Polish CS92 (EPSG:2180) a municipal GIS writes.
            geometry = shapely.transform(geometry, _to_storage, interleaved=False)
        return _single(geometry)

    def _point(self, first, second, *keys, metric: bool) -> Point:
        try:
            a, b = (_number(v) for v in (first, second))
        except ValueError:
            raise Misplaced(
                self._name(*keys),
                _l("Niepoprawne współrzędne: %(v)s.", v=f"{first}, {second}"),
            ) from None
        points = [(a, b), (b, a)]
        if metric:
            points = [_to_storage(*p) for p in points]
        # Columns written the other way round are read the way that lies in the city.
        found = [Point(p) for p in points if all(map(math.isfinite, p))]
        inside = [p for p in found if self.within.covers(p)]
        if not found:
            raise Misplaced(self._name(*keys), _l("Współrzędne są poza zakresem."))
        return (inside or found)[0]

    def _unit(self, text: str) -> BaseGeometry:
        if self._units is None:
            self._units = {}
            for unit in self.city.units:
                self._units.setdefault(str(unit.number), unit.geometry)
                self._units.setdefault(fold(unit.name), unit.geometry)
        names = [text] if self.spec.geometry_type == "Point" else text.split(";")
        found = [self._units.get(fold(n.strip())) for n in names]
        if not all(found):
            raise Misplaced(
                self._name("unit"), _l("Miasto nie ma jednostki %(unit)s.", unit=text)
            )
        if self.spec.geometry_type == "Polygon":
            return _single(shapely.union_all(found))
        return found[0].representative_point()

    def _address(self, address: str) -> tuple[BaseGeometry, str]:
        """Where an address is, and how exactly, as the forms and the finder find it.

        The city's address register first (an address, else its street's middle),
        then the addresses of the city's features, then a unit of that name.
        """
        located = geocoding.geocode(self.city, address, units=False)
        if located is not None:
            return located.point, located.precision
        if self._addresses is None:
            self._addresses = _known_addresses(self.city, reader(self.user))
        point = self._addresses.get(fold(address))
        if point is not None:
            return point, "address"
        located = geocoding.unit_named(self.city, address)
        if located is not None:
            return located.point, located.precision
        raise Misplaced(
            translated(self.spec.get_field("address").label),
            _l(
                "Nie znaleziono adresu „%(address)s” w rejestrze adresów miasta ani "
                "wśród jego obiektów i jednostek; podaj współrzędne albo jednostkę.",
                address=address,
            ),
        )


def _to_storage(x, y):
    return metric_transformer().transform(x, y, direction="INVERSE")


def _number(value) -> float:
    if isinstance(value, int | float):
        return float(value)
    return float(str(value).replace(" ", "").replace(",", "."))


def _single(geometry: BaseGeometry) -> BaseGeometry:
    """A one-part multipolygon as the polygon it is (GIS files promote them)."""
    if isinstance(geometry, MultiPolygon) and len(geometry.geoms) == 1:
        return geometry.geoms[0]
    return geometry


def _known_addresses(city: City, reader) -> dict[str, BaseGeometry]:
    """The addresses of the city's features (every layer), folded, with a point."""
    found: dict[str, BaseGeometry] = {}
    for spec in layer_registry().values():
        for feature in store.visible(city, spec, reader):
            address = (feature.properties or {}).get("address")
            if address:
                found.setdefault(fold(address), feature.geometry.representative_point())
    return found


class Duplicates:
    """Stored features of the layer, by folded title, with their place in metres."""

    def __init__(self, city: City, spec: LayerSpec, user):
        self.spec = spec
        self.by_title: dict[str, list[tuple[Feature, float, float]]] = defaultdict(list)
        for feature in store.visible(city, spec, reader(user)):
            title = spec.value_of("title", feature.properties)
            if title:
                x, y = _metres(feature.geometry)
                self.by_title[fold(str(title))].append((feature, x, y))

    def of(self, properties: dict, geometry) -> tuple[Feature | None, float | None]:
        """The nearest stored feature with the same title within 50 m, if any."""
        title = self.spec.value_of("title", properties)
        if not title or geometry is None:
            return None, None
        x, y = _metres(geometry)
        near = sorted(
            (math.hypot(x - fx, y - fy), feature.id, feature)
            for feature, fx, fy in self.by_title.get(fold(str(title)), [])
        )
        if near and near[0][0] <= DUPLICATE_METRES:
            return near[0][2], near[0][0]
        return None, None


def _metres(geometry: BaseGeometry) -> tuple[float, float]:
    point = geometry.representative_point()
    return metric_transformer().transform(point.x, point.y)
