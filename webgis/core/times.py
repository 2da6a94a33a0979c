"""Moments as readers see them: stored in UTC, shown in Warsaw time with the zone.

Every stored moment (revisions, audit entries, created and updated columns) is a
naive datetime in UTC. Pages show it in Europe/Warsaw with the zone's name, so
"13:00 CET" in winter and "14:00 CEST" in summer are both noon UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

WARSAW = ZoneInfo("Europe/Warsaw")

#: How much of a moment a page shows.
FORMATS = {
    "minutes": "%Y-%m-%d %H:%M %Z",
    "seconds": "%Y-%m-%d %H:%M:%S %Z",
    "date": "%Y-%m-%d",
}


def local_time(moment: datetime | date | None, precision: str = "minutes") -> str:
    """``moment`` (naive means UTC) in Warsaw time, e.g. ``2026-12-07 19:30 CET``.

    ``precision`` is ``minutes``, ``seconds`` or ``date`` (the day in Warsaw, as
    the moment fell there). A plain date is shown as it is; nothing as "—".
    """
    if moment is None:
        return "—"
    if not isinstance(moment, datetime):
        return moment.isoformat()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(WARSAW).strftime(FORMATS[precision])
