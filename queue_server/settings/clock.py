"""The server's clock: the machine's, or a simulated one that starts at a chosen time and may run faster.

Every decision (a ticket's issue time, its day, a day's close, wait figures) and every idempotency record's age is
read from this one clock. A simulated clock lets a benchmark play a week of a mall in minutes
(bench/soak_days.py) or a trainer show a busy morning at night; it is never the default. Sessions, device tokens
and screen presence keep the machine's clock: they are about real connections.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]

MAX_SPEED = 10_000.0  # a week in about a minute: faster than any server could keep up with


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class SimulatedClock:
    """Reads `start` at the machine's time `anchor` (POSIX seconds) and runs `speed` times faster from there.
    Every process of one server is given the same anchor, so they all read the same time."""

    start: datetime
    speed: float
    anchor: float

    def __call__(self) -> datetime:
        return (self.start + timedelta(seconds=(time.time() - self.anchor) * self.speed)).astimezone(UTC)


def parse_start(text: str) -> datetime:
    """An ISO 8601 time with its UTC offset ("2026-12-07T06:30:00+07:00"); a clear ValueError otherwise."""
    try:
        start = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"clock start must be an ISO time such as 2026-12-07T06:30:00+07:00, got {text!r}") from None
    if start.tzinfo is None:
        raise ValueError(f"clock start needs its UTC offset (e.g. +07:00 for WIB), got {text!r}")
    return start


def check_speed(speed: float) -> None:
    if not 0 < speed <= MAX_SPEED:
        raise ValueError(f"clock speed must be above 0 and at most {MAX_SPEED:g}, got {speed:g}")
