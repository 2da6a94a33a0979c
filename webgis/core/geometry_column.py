"""A geometry column that works on plain SQLite and on PostGIS through the same code.

PostGIS gets a real ``geometry(<type>, 4326)`` column with a spatial index
(GeoAlchemy2);
SQLite, which needs no extension for the embedded default, stores the same geometry as
WKB. Python code always sees shapely geometries in EPSG:4326.
"""

from geoalchemy2 import Geometry, WKBElement
from geoalchemy2.shape import to_shape
from shapely import wkb
from shapely.geometry.base import BaseGeometry
from sqlalchemy import LargeBinary
from sqlalchemy.types import TypeDecorator

SRID = 4326


class GeometryColumn(TypeDecorator):
    """Shapely geometries in EPSG:4326, stored natively where the database can."""

    impl = LargeBinary
    cache_ok = True
    # What GeoAlchemy2 reads off a geometry column type when it creates the PostGIS
    # column and its GiST index.
    srid = SRID
    dimension = 2
    spatial_index = True
    use_N_D_index = False
    use_typmod = None

    def __init__(self, geometry_type: str = "GEOMETRY"):
        super().__init__()
        self.geometry_type = geometry_type

    def load_dialect_impl(self, dialect):
        """Use a PostGIS geometry on PostgreSQL, a WKB blob elsewhere."""
        # GeoAlchemy2 also asks without a dialect (probing for rasters): not spatial.
        if dialect is None:
            return LargeBinary()
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Geometry(self.geometry_type, srid=SRID))
        return dialect.type_descriptor(LargeBinary())

    def process_bind_param(self, value: BaseGeometry | None, dialect):
        """Turn a shapely geometry into what the column stores."""
        if value is None:
            return None
        if not isinstance(value, BaseGeometry):
            raise TypeError(f"expected a shapely geometry, got {type(value)}")
        if dialect.name == "postgresql":
            return f"SRID={SRID};{value.wkt}"
        return wkb.dumps(value)

    def process_result_value(self, value, dialect):
        """Turn a stored value back into a shapely geometry."""
        if value is None:
            return None
        if isinstance(value, WKBElement):
            return to_shape(value)
        return wkb.loads(bytes(value))
