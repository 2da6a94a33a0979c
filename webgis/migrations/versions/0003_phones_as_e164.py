"""Phone numbers stored as E.164.

Revision ID: 0003
Revises: 0002
Created: 2026-12-08

Until this revision a phone was stored as it was typed ("71 345 67 89"); from it,
fields of the "phone" kind and organisations store E.164 ("+48713456789", numbers
without a country code being Polish), and pages show them the Polish way again.
Each stored number the library reads is rewritten, with the public item the API
serves; a value it cannot read stays as it was, is still shown as written, and is
reported here so that someone corrects it (the next save of its feature asks to).
The history keeps what was written at the time. Nothing changes in the schema, and
going back needs no change either: E.164 is a phone as the older code took it.
"""

import json

import sqlalchemy as sa
from alembic import context, op

from webgis.core.registry import layer_registry
from webgis.features.contacts import phone_number

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

FEATURES = sa.table(
    "features",
    sa.column("id", sa.Integer),
    sa.column("layer", sa.String),
    sa.column("properties", sa.JSON),
    sa.column("public_item", sa.Text),
)
ORGANISATIONS = sa.table(
    "organizations",
    sa.column("id", sa.Integer),
    sa.column("name", sa.String),
    sa.column("phone", sa.String),
)
BATCH = 1_000


def upgrade():
    """Rewrite the phones the library reads; report the others."""
    connection = op.get_bind()
    kept = _features(connection) + _organisations(connection)
    if kept:
        # upgrade_db shows these lines after its own.
        context.config.attributes.setdefault("notes", []).append(
            f"Numery telefonów pozostawione bez zmian ({len(kept)}), bo nie są "
            "poprawnymi numerami; popraw je: " + "; ".join(kept)
        )


def downgrade():
    """Nothing to undo: the previous revision reads E.164 numbers as they are."""


def _e164(value):
    """The E.164 form of a stored value, or None when there is none to give."""
    try:
        return phone_number(str(value))
    except ValueError:
        return None


def _features(connection) -> list[str]:
    """Rewrite phone fields of every feature; the values left as they were."""
    fields = {
        key: [f.name for f in spec.all_fields if f.kind == "phone"]
        for key, spec in layer_registry().items()
    }
    fields = {key: names for key, names in fields.items() if names}
    kept, last = [], 0
    while fields:
        rows = connection.execute(
            sa.select(FEATURES)
            .where(FEATURES.c.layer.in_(list(fields)), FEATURES.c.id > last)
            .order_by(FEATURES.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        for row in rows:
            kept += _feature(connection, row, fields[row.layer])
        last = rows[-1].id
    return kept


def _feature(connection, row, names: list[str]) -> list[str]:
    properties, changed, kept = dict(row.properties or {}), {}, []
    for name in names:
        value = properties.get(name)
        if not value:
            continue
        number = _e164(value)
        if number is None:
            kept.append(f"obiekt {row.id} ({row.layer}), {name}: {value}")
        elif number != value:
            changed[name] = number
    if not changed:
        return kept
    values = {"properties": {**properties, **changed}}
    if row.public_item:
        item = json.loads(row.public_item)
        shown = item.get("properties", {})
        shown.update({k: v for k, v in changed.items() if shown.get(k)})
        # As the feature store writes it (webgis.features.indexing).
        values["public_item"] = json.dumps(
            item, ensure_ascii=False, separators=(",", ":")
        )
    connection.execute(
        FEATURES.update().where(FEATURES.c.id == row.id).values(**values)
    )
    return kept


def _organisations(connection) -> list[str]:
    kept = []
    rows = connection.execute(
        sa.select(ORGANISATIONS).where(ORGANISATIONS.c.phone != "")
    ).all()
    for row in rows:
        number = _e164(row.phone)
        if number is None:
            kept.append(f"organizacja {row.id} ({row.name}): {row.phone}")
        elif number != row.phone:
            connection.execute(
                ORGANISATIONS.update()
                .where(ORGANISATIONS.c.id == row.id)
                .values(phone=number)
            )
    return kept
