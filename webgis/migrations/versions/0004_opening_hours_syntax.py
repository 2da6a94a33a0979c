"""Opening hours in OpenStreetMap's opening_hours syntax.

Revision ID: 0004
Revises: 0003
Created: 2026-12-08

Until this revision a field of the "hours" kind stored each weekday's intervals
({"mon": [["08:00", "16:00"]], …}); from it, one expression ("Mo-Fr 08:00-16:00"),
which can also say nights, 24/7, public holidays and comments. Every stored value
is rewritten without loss (the same hours each weekday): in the features, in the
public items the API serves and in the history. The finder's weekly index is
recomputed from the expressions, and a new column holds the same of a week of
public holidays (``PH off``).

Going back drops the holiday index and leaves the expressions as they are: no
value is lost (a later upgrade finds them as it left them), but the older code
shows them as empty forms and its finder does not find them until they are
upgraded again.
"""

import json
from types import SimpleNamespace

import sqlalchemy as sa
from alembic import op

from webgis.core.registry import layer_registry
from webgis.features import hours, indexing, store

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

FEATURES = sa.table(
    "features",
    sa.column("id", sa.Integer),
    sa.column("layer", sa.String),
    sa.column("properties", sa.JSON),
    sa.column("public_item", sa.Text),
    sa.column("open_days", sa.String),
    sa.column("open_hours", sa.String),
    sa.column("holiday_hours", sa.String),
)
REVISIONS = sa.table(
    "revisions",
    sa.column("id", sa.Integer),
    sa.column("feature_id", sa.Integer),
    sa.column("properties", sa.JSON),
)
BATCH = 1_000


def upgrade():
    """Add the holiday index, convert the values, recompute the indexes."""
    # Added in place, not by copying the table (SQLite's batch mode would lose the
    # triggers that keep the features' R*Tree).
    op.add_column(
        "features",
        sa.Column(
            "holiday_hours", sa.String(length=168), nullable=False, server_default=""
        ),
    )
    connection = op.get_bind()
    _rewrite(connection, _to_expression, index=True)


def downgrade():
    """Drop the holiday index; the expressions stay (see above)."""
    # SQLite drops a column in place since 3.35 (no copy, so the triggers stay).
    op.execute("ALTER TABLE features DROP COLUMN holiday_hours")


def _hours_fields() -> dict[str, list[str]]:
    fields = {
        key: [f.name for f in spec.all_fields if f.kind == "hours"]
        for key, spec in layer_registry().items()
    }
    return {key: names for key, names in fields.items() if names}


def _to_expression(value):
    """The expression of structured hours; anything else as it is."""
    return hours.from_days(value) if isinstance(value, dict) else value


def _converted(properties: dict, names: list[str], convert) -> dict:
    """The properties whose hours ``convert`` changes, with their new values."""
    changed = {}
    for name in names:
        value = properties.get(name)
        if value:
            new = convert(value)
            if new != value:
                changed[name] = new
    return changed


def _rewrite(connection, convert, index: bool) -> None:
    """Convert every feature's and revision's hours; with ``index``, reindex them."""
    fields = _hours_fields()
    if not fields:
        return
    registry, last = layer_registry(), 0
    while True:
        rows = connection.execute(
            sa.select(FEATURES)
            .where(FEATURES.c.layer.in_(list(fields)), FEATURES.c.id > last)
            .order_by(FEATURES.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        for row in rows:
            spec = registry[row.layer]
            _feature(connection, row, spec, fields[row.layer], convert, index)
        _revisions(connection, [row.id for row in rows], fields, rows, convert)
        last = rows[-1].id


def _feature(connection, row, spec, names: list[str], convert, index: bool) -> None:
    """Convert one feature's hours; with ``index``, recompute its finder index."""
    properties = dict(row.properties or {})
    changed = _converted(properties, names, convert)
    properties.update(changed)
    shown = store.shown_properties(spec, SimpleNamespace(properties=properties))
    expressions = [
        expr
        for name in names
        if name in shown and (expr := hours.expression(shown[name]))
    ]
    values = {}
    if index:
        values = {
            "open_days": _open_days(expressions),
            "open_hours": indexing.week_hours(expressions),
            "holiday_hours": indexing.week_hours(expressions, holidays=True),
        }
        values = {k: v for k, v in values.items() if getattr(row, k) != v}
    if changed:
        values["properties"] = properties
        if row.public_item:
            item = json.loads(row.public_item)
            public = item.get("properties", {})
            public.update({k: v for k, v in changed.items() if public.get(k)})
            # As the feature store writes it (webgis.features.indexing).
            values["public_item"] = json.dumps(
                item, ensure_ascii=False, separators=(",", ":")
            )
    if values:
        connection.execute(
            FEATURES.update().where(FEATURES.c.id == row.id).values(**values)
        )


def _open_days(expressions: list[str]) -> str:
    days = {day for expr in expressions for day in hours.open_days(expr)}
    return "".join(f"|{day}|" for day in hours.WEEKDAYS if day in days)


def _revisions(connection, ids: list[int], fields, features, convert) -> None:
    """The history of these features, in the same shape as the features."""
    layers = {row.id: row.layer for row in features}
    found = connection.execute(
        sa.select(REVISIONS).where(REVISIONS.c.feature_id.in_(ids))
    ).all()
    for revision_row in found:
        properties = dict(revision_row.properties or {})
        changed = _converted(
            properties, fields[layers[revision_row.feature_id]], convert
        )
        if changed:
            connection.execute(
                REVISIONS.update()
                .where(REVISIONS.c.id == revision_row.id)
                .values(properties={**properties, **changed})
            )
