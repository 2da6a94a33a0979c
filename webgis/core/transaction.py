"""One transaction per change: all of it is committed, or none of it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from webgis.core.extensions import db


@contextmanager
def transaction() -> Iterator[None]:
    """Commit what the block did, or roll all of it back and re-raise."""
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
