"""Live runs on a shared server: at most `capacity` sessions play at once, the others wait in line.

A session that plays holds a lease and renews it on every frame; one that pauses or ends releases it, and one whose
browser is gone simply stops renewing, so its lease expires after `lease_s` seconds and the next in line gets the
slot. A waiting session keeps its place in line the same way. No thread of its own: every change happens inside
acquire, renew or release, under one lock, and expiry is judged against `clock` (time.monotonic by default).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

CAPACITY = 2  # concurrent playing runs per server process, on a 2-core machine
LEASE_S = 15.0  # a lease not renewed for this long has lost its session


class Slots:
    def __init__(self, capacity: int = CAPACITY, lease_s: float = LEASE_S, clock: Callable[[], float] = time.monotonic):
        if capacity < 1 or lease_s <= 0:
            raise ValueError(f"slots need capacity >= 1 and lease_s > 0, got {capacity} and {lease_s}")
        self.capacity, self.lease_s, self.clock = capacity, lease_s, clock
        self._lock = threading.Lock()
        self._held: dict[str, float] = {}  # owner -> expiry
        self._waiting: dict[str, float] = {}  # owner -> expiry, in order of arrival

    def _expire(self, now: float) -> None:
        for table in (self._held, self._waiting):
            for owner in [o for o, expiry in table.items() if expiry <= now]:
                del table[owner]

    def acquire(self, owner: str) -> int:
        """0 when `owner` holds a slot (granted now or renewed), else its place in line (1 is next)."""
        with self._lock:
            now = self.clock()
            self._expire(now)
            expiry = now + self.lease_s
            if owner in self._held:
                self._held[owner] = expiry
                return 0
            self._waiting[owner] = expiry  # keeps its place when already waiting
            line = list(self._waiting)
            place = line.index(owner)
            if place < self.capacity - len(self._held):  # the first in line take the free slots
                del self._waiting[owner]
                self._held[owner] = expiry
                return 0
            return place + 1  # those ahead of it in line take the next free slots first

    def release(self, owner: str) -> None:
        """Frees `owner`'s slot or its place in line; nothing when it has neither."""
        with self._lock:
            self._held.pop(owner, None)
            self._waiting.pop(owner, None)

    def holds(self, owner: str) -> bool:
        with self._lock:
            self._expire(self.clock())
            return owner in self._held

    def counts(self) -> tuple[int, int]:
        """(live runs, sessions waiting) now."""
        with self._lock:
            self._expire(self.clock())
            return len(self._held), len(self._waiting)
