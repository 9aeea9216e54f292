"""The live state of one site, and `apply`, the only function that changes it (event by event)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import date

from . import events as ev
from .catalogue import Site
from .events import Event
from .model import CounterState, CounterStatus, Ticket, TicketState

# How many recent counter occupancy times (call to finish) feed the wait estimate, per service.
RECENT_SERVICE_TIMES = 30


@dataclass
class SiteState:
    site: Site
    tickets: dict[str, Ticket] = field(default_factory=dict)
    counters: dict[str, CounterStatus] = field(default_factory=dict)
    last_number: dict[tuple[str, date], int] = field(default_factory=dict)
    issued: dict[tuple[str, date], int] = field(default_factory=dict)
    closed_days: set[date] = field(default_factory=set)
    # Derived indexes, kept by `apply`.
    waiting: dict[str, dict[str, None]] = field(default_factory=dict)  # service -> ordered set of ticket ids
    by_label: dict[tuple[date, str], str] = field(default_factory=dict)  # (day, label) -> newest leg id
    service_seconds: dict[str, deque[float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for counter_id in self.site.counters:
            self.counters.setdefault(counter_id, CounterStatus(counter_id))
        for ticket in list(self.tickets.values()):
            self._index(None, ticket)

    def counter(self, counter_id: str) -> CounterStatus:
        return self.counters[counter_id]

    def waiting_tickets(self, service_id: str) -> list[Ticket]:
        return [self.tickets[t] for t in self.waiting.get(service_id, {})]

    def _index(self, old: Ticket | None, new: Ticket) -> None:
        if old is not None and old.state is TicketState.WAITING:
            self.waiting.get(old.service, {}).pop(old.id, None)
        if new.state is TicketState.WAITING:
            self.waiting.setdefault(new.service, {})[new.id] = None
        self.by_label[(new.day, new.label)] = new.id
        if new.state is TicketState.DONE and new.called_at and new.finished_at:
            times = self.service_seconds.setdefault(new.service, deque(maxlen=RECENT_SERVICE_TIMES))
            times.append((new.finished_at - new.called_at).total_seconds())

    def put_ticket(self, ticket: Ticket) -> None:
        old = self.tickets.get(ticket.id)
        self.tickets[ticket.id] = ticket
        self._index(old, ticket)

    def forget_days_before(self, day: date) -> None:
        """Drop finished tickets of past days from memory (they stay in the database)."""
        for ticket_id, ticket in list(self.tickets.items()):
            if ticket.day < day and ticket.state not in (TicketState.WAITING, TicketState.CALLED):
                del self.tickets[ticket_id]
                self.by_label.pop((ticket.day, ticket.label), None)
        for key in [k for k in self.last_number if k[1] < day]:
            del self.last_number[key]
        for key in [k for k in self.issued if k[1] < day]:
            del self.issued[key]


def apply(state: SiteState, event: Event) -> None:
    """Fold one event into the state. Events carry snapshots, so this never re-decides anything."""
    data = event.data
    for key in ("ticket", "new_ticket"):
        if key in data:
            ticket = Ticket.from_dict(data[key])
            state.put_ticket(ticket)
            if event.type == ev.TICKET_ISSUED or (key == "new_ticket" and ticket.parent is None):
                series_day = (ticket.series, ticket.day)
                state.last_number[series_day] = max(state.last_number.get(series_day, 0), ticket.number)
                state.issued[series_day] = state.issued.get(series_day, 0) + 1
    if "counter" in data and isinstance(data["counter"], dict):
        counter = CounterStatus.from_dict(data["counter"])
        state.counters[counter.id] = counter
    if event.type == ev.DAY_CLOSED:
        day = date.fromisoformat(data["day"])
        state.closed_days.add(day)
        state.forget_days_before(day)


def open_counters_for(state: SiteState, service_id: str) -> int:
    return sum(
        1
        for counter in state.site.counters_serving(service_id)
        if state.counters[counter.id].state is CounterState.OPEN
    )
