"""A small bounded cache for what pages derive from slowly changing data."""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable


class RecentlyUsed:
    """A bounded map that forgets the least recently used entry; thread-safe.

    Two threads asking for the same missing key may both compute it; the result is
    the same, and no lock is held while computing.
    """

    def __init__(self, size: int):
        self.size = size
        self._entries: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get_or_make(self, key: Hashable, make: Callable):
        """The value stored under ``key``, made by ``make()`` when missing."""
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        value = make()
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._entries)
