"""Moments are stored in UTC and shown in Warsaw time, with the zone's name."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from tests.conftest import client_as, new_feature
from webgis.core import audit
from webgis.core.extensions import db
from webgis.core.times import local_time
from webgis.features.models import Revision

WINTER_NOON_UTC = datetime(2026, 1, 15, 12, 0)
SUMMER_NOON_UTC = datetime(2026, 7, 15, 12, 0)


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        (WINTER_NOON_UTC, "2026-01-15 13:00 CET"),
        (SUMMER_NOON_UTC, "2026-07-15 14:00 CEST"),
        # An aware moment is converted too.
        (datetime(2026, 7, 15, 12, 0, tzinfo=UTC), "2026-07-15 14:00 CEST"),
        # The clocks go forward at 01:00 UTC on the last Sunday of March.
        (datetime(2026, 3, 29, 0, 59), "2026-03-29 01:59 CET"),
        (datetime(2026, 3, 29, 1, 0), "2026-03-29 03:00 CEST"),
    ],
)
def test_a_stored_moment_is_shown_in_warsaw_time(stored, shown):
    assert local_time(stored) == shown


def test_the_day_is_the_day_in_warsaw():
    # 23:30 UTC on the last day of June is already July in Warsaw.
    assert local_time(datetime(2026, 6, 30, 23, 30), "date") == "2026-07-01"
    assert local_time(datetime(2026, 12, 7, 18, 30, 5), "seconds") == (
        "2026-12-07 19:30:05 CET"
    )
    assert local_time(date(2026, 5, 1)) == "2026-05-01"
    assert local_time(None) == "—"


def _set_revision_time(app, revision_id: int, moment: datetime) -> None:
    with app.app_context():
        db.session.execute(
            sa.update(Revision).where(Revision.id == revision_id).values(at=moment)
        )
        db.session.commit()


@pytest.mark.parametrize(
    ("stored", "shown", "not_shown"),
    [
        (WINTER_NOON_UTC, "2026-01-15 13:00 CET", "2026-01-15 12:00"),
        (SUMMER_NOON_UTC, "2026-07-15 14:00 CEST", "2026-07-15 12:00"),
    ],
)
def test_history_shows_a_revision_in_warsaw_time(staff_app, stored, shown, not_shown):
    feature_id, revision_id = new_feature(staff_app)
    _set_revision_time(staff_app, revision_id, stored)
    client = client_as(staff_app, "planner")
    response = client.get(f"/wroclaw/layers/day_centres/{feature_id}/history")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert shown in page
    assert not_shown not in page


def test_the_audit_log_shows_warsaw_time(staff_app):
    with staff_app.app_context():
        entry = audit.record("test.clock", "zegar", actor="cli")
        db.session.commit()
        db.session.execute(
            sa.update(audit.AuditEntry)
            .where(audit.AuditEntry.id == entry.id)
            .values(at=datetime(2026, 12, 7, 18, 30, 5))
        )
        db.session.commit()
    page = client_as(staff_app, "admin").get("/admin/audit?action=test.clock")
    text = page.get_data(as_text=True)
    assert "2026-12-07 19:30:05 CET" in text
    assert "18:30:05" not in text
    assert "(UTC)" not in text
