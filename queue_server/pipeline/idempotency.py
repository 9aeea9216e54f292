"""Which idempotency keys have a stored answer, known in memory so that a new key costs no database read."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from datetime import timedelta

# How long a key is honoured. A kiosk or a counter retries within seconds or minutes; docs/api.md promises 48 hours.
RETENTION = timedelta(hours=48)


class StoredKeys:
    """The keys with a record in the idempotency table, with when each was recorded (POSIX seconds).

    Every command with a key used to wait for a read of that table before it could be decided (one query per
    batch, the engine waiting for the reader thread), although almost every key is new. The engine now asks the
    database only about keys listed here: real retries. Must never miss a key that has a record (that retry would
    be decided again, and its record's INSERT would fail the whole transaction); may list a key whose record is
    gone (a read that finds nothing).
    """

    def __init__(self, entries: Iterable[tuple[str, float]] = ()) -> None:
        self._keys: set[str] = set()
        self._order: deque[tuple[float, str]] = deque()  # oldest first
        for key, at in entries:
            self.add(key, at)

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def __len__(self) -> int:
        return len(self._keys)

    def add(self, key: str, at: float) -> None:
        if key not in self._keys:
            self._keys.add(key)
            self._order.append((at, key))

    def forget_before(self, at: float) -> None:
        """Forget keys recorded before `at`; call it only once their records are deleted. A wall clock set back
        only keeps some keys longer."""
        while self._order and self._order[0][0] < at:
            self._keys.discard(self._order.popleft()[1])
