"""Limits per client and minute on the endpoints a guesser or a hoarder would hammer: online bookings and messages
asked from a phone (per address; touts hoarding numbers is a known MPP complaint, per-NIK uniqueness is the main
guard and this the second), booking-code lookups and cancels (per address: a code is all it takes to see and cancel
a booking), and check-ins by code (per kiosk or staff account).

One process (SQLite) counts in its own memory, over a sliding minute (RateLimit). Several processes on one
PostgreSQL database count in the database (RequestLimit.share; migration 0015, `request_counts`), or each would
allow the whole limit and N processes behind a load balancer N times it: one row per limit, client and minute of
the server's clock, a request let through while the minute's count plus the previous minute's, weighted by the part
of it still within the last 60 seconds, stays within the limit (so a burst at the turn of a minute gets no second
allowance). A refused request is not counted, as in memory. Each process deletes the rows of older minutes once a
minute.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from datetime import datetime

from queue_server.persistence.port import StoragePort

KEY_LENGTH = 64  # an address or a principal is shorter; anything longer is cut, not stored whole


class RateLimit:
    """In this process's memory: at most `limit` requests per key in any `per_seconds`."""

    def __init__(self, limit: int, per_seconds: float, max_keys: int = 10_000) -> None:
        self.limit = limit
        self.per_seconds = per_seconds
        self.max_keys = max_keys
        self._hits: dict[str, deque[float]] = {}

    def allow(self, key: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        hits = self._hits.get(key)
        if hits is None:
            if len(self._hits) >= self.max_keys:  # bounded memory: forget the oldest address
                self._hits.pop(next(iter(self._hits)))
            hits = self._hits[key] = deque()
        while hits and now - hits[0] > self.per_seconds:
            hits.popleft()
        if len(hits) >= self.limit:
            return False
        hits.append(now)
        return True


class RequestLimit:
    """One named limit of `limit` requests per client a minute: in memory until share() is given storage that
    several processes share, in that storage from then on."""

    def __init__(self, name: str, limit: int) -> None:
        self.name = name  # request_counts.name
        self.limit = limit
        self.here = RateLimit(limit, 60)
        self._shared: StoragePort | None = None
        self._clock: Callable[[], datetime] | None = None
        self._forgotten = -1  # the minute of this process's last deletion of older counts

    def share(self, storage: StoragePort, clock: Callable[[], datetime]) -> None:
        """Count in `storage` if several processes share it (PostgreSQL), by the minutes of `clock` (the server's:
        every process reads the same one); on SQLite go on counting in memory."""
        self._shared, self._clock = (storage, clock) if storage.shared else (None, None)

    async def allow(self, key: str) -> bool:
        """Count a request of `key` and say whether it is within the limit (a refused one is not counted)."""
        key = key[:KEY_LENGTH]
        if self._shared is None or self._clock is None:
            return self.here.allow(key)
        minute, into = divmod(self._clock().timestamp(), 60)
        allowed = await self._shared.count_request(self.name, key, int(minute), 1 - into / 60, self.limit)
        if int(minute) != self._forgotten:  # about once a minute per process and limit: a delete on a small table
            self._forgotten = int(minute)
            await self._shared.forget_requests(int(minute))
        return allowed
