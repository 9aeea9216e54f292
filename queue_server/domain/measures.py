"""What a wait and a service time are, and how they are summed up: one definition for the live dashboard and the
reports, so the two can never disagree.

A ticket leg (a ticket, or the new leg a transfer made) is measured in its own service:
- queued at: when it joined the queue it was called from: its issue; for a late arrival put back, the requeue;
  for a transfer leg, the transfer (the citizen keeps their place in line, but the time before it was spent in
  another service and is counted there);
- wait = called - queued at (the last call, for a ticket called more than once);
- service time = finished - started, for a served ticket (finishing straight from "called" counts as 0).
Percentiles are nearest-rank: the smallest value with at least p% of the values at or below it, so every
figure is one of the measured values and can be checked by hand.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any, Protocol

from queue_server.domain.model import OPEN_STATES, TicketState

PERCENTILES = (50, 90)


class Timed(Protocol):
    """The fields of a ticket leg that timing needs; `Ticket` and report rows both have them."""

    @property
    def state(self) -> TicketState: ...
    @property
    def parent(self) -> str | None: ...
    @property
    def issued_at(self) -> datetime: ...
    @property
    def queue_key(self) -> datetime: ...
    @property
    def called_at(self) -> datetime | None: ...
    @property
    def started_at(self) -> datetime | None: ...
    @property
    def finished_at(self) -> datetime | None: ...


def queued_at(leg: Timed, transferred_at: datetime | None = None) -> datetime:
    """When the leg joined its queue. `transferred_at`: when its parent leg was transferred (None for a first leg)."""
    if leg.parent is not None and transferred_at is not None:
        return max(leg.queue_key, transferred_at)
    return leg.queue_key


def wait_seconds(leg: Timed, transferred_at: datetime | None = None) -> float | None:
    if leg.called_at is None:
        return None
    return max(0.0, (leg.called_at - queued_at(leg, transferred_at)).total_seconds())


def service_seconds(leg: Timed) -> float | None:
    if leg.state is not TicketState.DONE or leg.started_at is None or leg.finished_at is None:
        return None
    return max(0.0, (leg.finished_at - leg.started_at).total_seconds())


def percentile(ordered: list[float], p: int) -> float | None:
    """Nearest-rank percentile of values sorted ascending: the value at rank ceil(p/100 x n)."""
    if not ordered:
        return None
    rank = max(1, math.ceil(p * len(ordered) / 100))
    return ordered[rank - 1]


def local_day_hour(at: datetime, tz: tzinfo) -> tuple[date, int]:
    """The site's local date and hour of an instant: a ticket at 23:30 WIB belongs to 23:00 of its own day."""
    local = at.astimezone(tz)
    return local.date(), local.hour


@dataclass
class Tally:
    """Counts and times of a group of legs (an agency, a service, a counter, an operator, or everything)."""

    states: dict[TicketState, int] = field(default_factory=dict)
    waits: list[float] = field(default_factory=list)
    services: list[float] = field(default_factory=list)

    def add(self, state: TicketState, wait: float | None, service: float | None) -> None:
        self.states[state] = self.states.get(state, 0) + 1
        if wait is not None:
            self.waits.append(wait)
        if service is not None:
            self.services.append(service)

    def add_leg(self, leg: Timed, transferred_at: datetime | None = None) -> None:
        self.add(leg.state, wait_seconds(leg, transferred_at), service_seconds(leg))

    def count(self, *states: TicketState) -> int:
        return sum(self.states.get(s, 0) for s in states)

    def summary(self) -> dict[str, Any]:
        return {
            "tickets": sum(self.states.values()),
            "served": self.count(TicketState.DONE),
            "no_show": self.count(TicketState.NO_SHOW),
            "cancelled": self.count(TicketState.CANCELLED),
            "transferred": self.count(TicketState.TRANSFERRED),
            "expired": self.count(TicketState.EXPIRED),
            "open": self.count(*OPEN_STATES) - self.count(TicketState.NO_SHOW),
            "wait": describe(self.waits),
            "service": describe(self.services),
        }


def describe(values: Iterable[float]) -> dict[str, Any]:
    """Count, mean and percentiles of durations in seconds (None when there are none)."""
    ordered = sorted(values)
    out: dict[str, Any] = {"count": len(ordered), "mean": sum(ordered) / len(ordered) if ordered else None}
    for p in PERCENTILES:
        out[f"p{p}"] = percentile(ordered, p)
    out["max"] = ordered[-1] if ordered else None
    return out
