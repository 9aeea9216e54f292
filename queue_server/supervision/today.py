"""Today's running totals per service and counter, for the live dashboard, kept up to date cheaply.

A ticket in the engine's state is an immutable value: a change replaces it with a new object. So each look
compares identities, and only the tickets that changed since the last look are measured again (their old share
is taken out, the new one put in). A push at the end of a 20,000-ticket day costs a scan of identities, not the
measurement of every wait of the day. Times are kept in whole microseconds, so taking a share out and putting
it back never drifts, and a mean is the same as the report's (domain/measures.py defines what is measured).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import date, datetime

from queue_server.domain.measures import service_seconds, wait_seconds
from queue_server.domain.model import Ticket, TicketState
from queue_server.domain.state import SiteState

MICRO = 1_000_000


@dataclass(frozen=True)
class Share:
    """What one ticket leg adds to the totals of today."""

    service: str
    counter: str | None
    state: TicketState
    wait_us: int | None
    service_us: int | None
    finished_at: datetime | None


@dataclass
class ServiceTotals:
    tickets: int = 0
    served: int = 0
    no_show: int = 0
    waits: int = 0
    wait_us: int = 0
    services: int = 0
    service_us: int = 0
    done_at: list[datetime] = field(default_factory=list)  # when served tickets finished, in order

    def mean_wait(self) -> float | None:
        return self.wait_us / self.waits / MICRO if self.waits else None

    def mean_service(self) -> float | None:
        return self.service_us / self.services / MICRO if self.services else None

    def served_since(self, since: datetime) -> int:
        return len(self.done_at) - bisect.bisect_right(self.done_at, since)


def _us(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds * MICRO)


def share(state: SiteState, ticket: Ticket) -> Share:
    parent = state.tickets.get(ticket.parent) if ticket.parent else None
    transferred_at = parent.finished_at if parent else None
    return Share(
        ticket.service,
        ticket.counter,
        ticket.state,
        _us(wait_seconds(ticket, transferred_at)),
        _us(service_seconds(ticket)),
        ticket.finished_at,
    )


class Today:
    def __init__(self) -> None:
        self.day: date | None = None
        self._reset()

    def _reset(self) -> None:
        self._seen: dict[str, tuple[Ticket, Share | None]] = {}
        self.services: dict[str, ServiceTotals] = {}
        self.served_at_counter: dict[str, int] = {}

    def update(self, state: SiteState, today: date) -> None:
        if today != self.day:  # a new day starts from nothing
            self._reset()
            self.day = today
        tickets = state.tickets
        seen = self._seen
        for ticket_id, ticket in tickets.items():
            known = seen.get(ticket_id)
            if known is not None and known[0] is ticket:
                continue
            if known is not None and known[1] is not None:
                self._apply(known[1], -1)
            new = share(state, ticket) if ticket.day == today else None
            seen[ticket_id] = (ticket, new)
            if new is not None:
                self._apply(new, +1)
        if len(seen) > len(tickets):  # tickets dropped from memory (a day closed): take their share out
            for ticket_id in [t for t in seen if t not in tickets]:
                gone = seen.pop(ticket_id)[1]
                if gone is not None:
                    self._apply(gone, -1)

    def _apply(self, s: Share, sign: int) -> None:
        totals = self.services.get(s.service)
        if totals is None:
            totals = self.services[s.service] = ServiceTotals()
        totals.tickets += sign
        if s.state is TicketState.DONE:
            totals.served += sign
            if s.counter is not None:
                self.served_at_counter[s.counter] = self.served_at_counter.get(s.counter, 0) + sign
            if s.finished_at is not None:
                if sign > 0:
                    bisect.insort(totals.done_at, s.finished_at)
                else:
                    del totals.done_at[bisect.bisect_left(totals.done_at, s.finished_at)]
        elif s.state is TicketState.NO_SHOW:
            totals.no_show += sign
        if s.wait_us is not None:
            totals.waits += sign
            totals.wait_us += sign * s.wait_us
        if s.service_us is not None:
            totals.services += sign
            totals.service_us += sign * s.service_us

    def of(self, service: str) -> ServiceTotals:
        return self.services.get(service) or ServiceTotals()
