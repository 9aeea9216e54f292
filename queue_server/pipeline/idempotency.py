"""Which idempotency keys have a stored answer, known in memory so that a new key costs no database read."""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Iterable
from datetime import timedelta

from queue_server.common import jsontext

# How long a key is honoured. A kiosk or a counter retries within seconds or minutes; docs/api.md promises 48 hours.
RETENTION = timedelta(hours=48)


def keyed(scope: str, request: object) -> str:
    """The key stored for a request: the caller's key in its scope (whose device or account), and a fingerprint
    of what it asks (the operation, its target and body). A retry asks the same and is answered from the record; the
    same key for another request is refused (`reused`), never answered with the first request's result, which
    would pass a finish, a cancel or another service's ticket as done."""
    digest = hashlib.sha256(jsontext.dumps(request).encode()).hexdigest()[:16]
    return f"{scope}#{digest}"


def split(key: str) -> tuple[str, str | None]:
    """(scope, fingerprint) of a stored key; a key recorded before fingerprints has none."""
    scope, sep, fingerprint = key.rpartition("#")
    return (scope, fingerprint) if sep else (key, None)


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
        self._prints: dict[str, str] = {}  # scope -> the fingerprint recorded with it
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
            scope, fingerprint = split(key)
            if fingerprint is not None:
                self._prints[scope] = fingerprint

    def reused(self, key: str) -> bool:
        """Whether `key`'s scope was recorded for another request."""
        scope, fingerprint = split(key)
        recorded = self._prints.get(scope)
        return fingerprint is not None and recorded is not None and recorded != fingerprint

    def forget_before(self, at: float) -> None:
        """Forget keys recorded before `at`; call it only once their records are deleted. A wall clock set back
        only keeps some keys longer."""
        while self._order and self._order[0][0] < at:
            key = self._order.popleft()[1]
            self._keys.discard(key)
            scope, fingerprint = split(key)
            if fingerprint is not None and self._prints.get(scope) == fingerprint:
                del self._prints[scope]
