"""Cyclic garbage collection between requests, not in the middle of one.

On CPython 3.11 the cyclic collector may start inside any allocation, also inside
C code of an extension that is half-way through building its objects. Under a
few dozen concurrent requests (32 clients on the finder, gzip on) that crashed
the server with a segmentation fault, on SQLite and on PostgreSQL alike. The
crash never came with the collector switched off, nor when it ran only between
requests, nor on CPython 3.12, which runs the collector only at safe points of
the interpreter loop. So on 3.11 the served app does what 3.12 does by itself:
the automatic collector is off, and each request, once answered, collects the
generations whose thresholds were passed.
"""

from __future__ import annotations

import gc
import sys

from flask import Flask

#: CPython 3.12 and newer collect only at safe points (see the module docstring).
NEEDED = sys.version_info < (3, 12)


def collect_between_requests(app: Flask) -> bool:
    """Move cyclic garbage collection of a served ``app`` to the end of requests.

    Returns whether it did (only on interpreters that need it). Call it once, in
    the process that serves the app; the collector's thresholds stay as they were.
    """
    if not NEEDED:
        return False
    gc.disable()
    app.teardown_request(_collect)
    return True


def _collect(_error: BaseException | None = None) -> None:
    counts, thresholds = gc.get_count(), gc.get_threshold()
    if counts[0] <= thresholds[0]:
        return
    generation = 0
    for older in (1, 2):
        if counts[older] > thresholds[older]:
            generation = older
    gc.collect(generation)
