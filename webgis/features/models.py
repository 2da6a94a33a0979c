"""One table for the features of every thematic layer (the spec says which fields).

The generic parts (status, who and when, optimistic version, moderation of public
suggestions) live here once; layers add only their properties.
"""

from __future__ import annotations

from datetime import UTC, datetime

from shapely.geometry.base import BaseGeometry
from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webgis.core.extensions import db
from webgis.core.geometry_column import GeometryColumn
from webgis.core.registry import layer_registry
from webgis.geography.models import City, ServiceArea

STATUSES = ("draft", "published", "archived")
MODERATION_STATES = ("pending", "accepted", "rejected")


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Feature(db.Model):
    """A feature of one layer in one city."""

    __tablename__ = "features"

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id", ondelete="CASCADE"))
    layer: Mapped[str] = mapped_column(String(40), index=True)
    geometry: Mapped[BaseGeometry] = mapped_column(GeometryColumn("GEOMETRY"))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    properties: Mapped[dict] = mapped_column(JSON, default=dict)
    # Saving over a version someone else changed meanwhile fails (StaleDataError).
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=_now)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(default=_now, onupdate=_now)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    # Public suggestions wait, as drafts owned by no one, in the queue of the service
    # area that contains them.
    moderation: Mapped[str | None] = mapped_column(String(20), index=True)
    moderation_note: Mapped[str] = mapped_column(Text, default="")
    queue_area_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_areas.id", ondelete="SET NULL")
    )

    city: Mapped[City] = relationship()
    queue_area: Mapped[ServiceArea | None] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def title(self) -> str:
        """What lists and queues call the feature."""
        spec = layer_registry().get(self.layer)
        title = spec.value_of("title", self.properties) if spec else None
        return str(title or f"#{self.id}")

    def title_for(self, spec) -> str:
        """The feature's title as its layer defines it."""
        return str(spec.value_of("title", self.properties) or f"#{self.id}")

    @property
    def precision(self) -> str:
        """How exactly the place is known: address, street or unit."""
        return (self.properties or {}).get("location_precision") or "address"


class Revision(db.Model):
    """A feature as it was after one change: the history and what restores use."""

    __tablename__ = "revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    feature_id: Mapped[int] = mapped_column(
        ForeignKey("features.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int]
    at: Mapped[datetime] = mapped_column(default=_now)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    actor: Mapped[str] = mapped_column(String(254), default="")
    action: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    properties: Mapped[dict] = mapped_column(JSON, default=dict)
    geometry: Mapped[BaseGeometry] = mapped_column(GeometryColumn("GEOMETRY"))
