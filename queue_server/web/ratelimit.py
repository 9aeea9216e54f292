"""A small in-memory rate limit for public endpoints (online booking), so one address cannot hoard slots.
Touts hoarding numbers is a known MPP complaint; per-NIK uniqueness is the main guard, this is the second."""

from __future__ import annotations

import time
from collections import deque


class RateLimit:
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
