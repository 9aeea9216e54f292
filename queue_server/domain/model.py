"""Tickets and counters, and the one table of allowed ticket transitions."""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any


class TicketState(enum.StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    DONE = "done"
    NO_SHOW = "no_show"
    TRANSFERRED = "transferred"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


S = TicketState

# Every allowed change of a ticket's state. CALLED -> CALLED is a recall; NO_SHOW -> WAITING is a late
# arrival put back in the queue; CALLED -> WAITING returns a called ticket when its counter closes.
TRANSITIONS: dict[TicketState, frozenset[TicketState]] = {
    S.WAITING: frozenset({S.CALLED, S.TRANSFERRED, S.CANCELLED, S.EXPIRED}),
    S.CALLED: frozenset({S.CALLED, S.SERVING, S.NO_SHOW, S.WAITING, S.TRANSFERRED, S.CANCELLED, S.EXPIRED}),
    S.SERVING: frozenset({S.DONE, S.TRANSFERRED, S.CANCELLED, S.EXPIRED}),
    S.NO_SHOW: frozenset({S.WAITING, S.CALLED, S.CANCELLED, S.EXPIRED}),
    S.DONE: frozenset(),
    S.TRANSFERRED: frozenset(),
    S.CANCELLED: frozenset(),
    S.EXPIRED: frozenset(),
}

FINAL_STATES = frozenset(state for state, targets in TRANSITIONS.items() if not targets)
OPEN_STATES = frozenset(TicketState) - FINAL_STATES


class CounterState(enum.StrEnum):
    OPEN = "open"
    PAUSED = "paused"
    CLOSED = "closed"


class DomainError(Exception):
    """A command that the rules refuse. `code` is stable for clients; messages are for people."""

    status = 409

    def __init__(self, code: str, message_id: str, message_en: str, **details: Any) -> None:
        super().__init__(message_en)
        self.code = code
        self.message_id = message_id
        self.message_en = message_en
        self.details = details


class NotFound(DomainError):
    status = 404


class InvalidCommand(DomainError):
    status = 422


class IllegalTransition(DomainError):
    def __init__(self, ticket: Ticket, target: TicketState) -> None:
        expected = sorted(s.value for s in TICKET_SOURCES[target])
        super().__init__(
            "illegal_transition",
            f"Tiket {ticket.label} berstatus '{ticket.state.value}'; untuk menjadi '{target.value}' "
            f"statusnya harus salah satu dari: {', '.join(expected)}.",
            f"Ticket {ticket.label} is '{ticket.state.value}'; to become '{target.value}' it must be one of: "
            f"{', '.join(expected)}.",
            ticket=ticket.id,
            found=ticket.state.value,
            expected=expected,
        )


TICKET_SOURCES: dict[TicketState, frozenset[TicketState]] = {
    target: frozenset(src for src, targets in TRANSITIONS.items() if target in targets) for target in TicketState
}


@dataclass(frozen=True)
class Ticket:
    id: str
    site: str
    service: str
    agency: str
    series: str  # the service whose number series issued it; a transferred leg keeps it
    day: date
    number: int
    label: str
    state: TicketState
    priority: str | None
    channel: str
    token: str
    issued_at: datetime
    queue_key: datetime  # the citizen's place in time; kept across a transfer
    called_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    counter: str | None = None
    recalls: int = 0
    parent: str | None = None
    note: str | None = None
    booked_slot: datetime | None = None  # checked in from an online booking: ahead of walk-ins from this time

    def moved_to(self, target: TicketState, **changes: Any) -> Ticket:
        """The ticket in its new state; the only way a ticket's state changes."""
        if target not in TRANSITIONS[self.state]:
            raise IllegalTransition(self, target)
        return replace(self, state=target, **changes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "site": self.site,
            "service": self.service,
            "agency": self.agency,
            "series": self.series,
            "day": self.day.isoformat(),
            "number": self.number,
            "label": self.label,
            "state": self.state.value,
            "priority": self.priority,
            "channel": self.channel,
            "token": self.token,
            "issued_at": self.issued_at.isoformat(),
            "queue_key": self.queue_key.isoformat(),
            "called_at": _iso(self.called_at),
            "started_at": _iso(self.started_at),
            "finished_at": _iso(self.finished_at),
            "counter": self.counter,
            "recalls": self.recalls,
            "parent": self.parent,
            "note": self.note,
            "booked_slot": _iso(self.booked_slot),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Ticket:
        return cls(
            id=d["id"],
            site=d["site"],
            service=d["service"],
            agency=d["agency"],
            series=d["series"],
            day=date.fromisoformat(d["day"]),
            number=int(d["number"]),
            label=d["label"],
            state=TicketState(d["state"]),
            priority=d["priority"],
            channel=d["channel"],
            token=d["token"],
            issued_at=datetime.fromisoformat(d["issued_at"]),
            queue_key=datetime.fromisoformat(d["queue_key"]),
            called_at=_dt(d.get("called_at")),
            started_at=_dt(d.get("started_at")),
            finished_at=_dt(d.get("finished_at")),
            counter=d.get("counter"),
            recalls=int(d.get("recalls") or 0),
            parent=d.get("parent"),
            note=d.get("note"),
            booked_slot=_dt(d.get("booked_slot")),
        )


@dataclass(frozen=True)
class CounterStatus:
    id: str
    state: CounterState = CounterState.CLOSED
    current: str | None = None  # id of the ticket called or being served here
    priority_streak: int = 0
    operator: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "state": self.state.value,
            "current": self.current,
            "priority_streak": self.priority_streak,
            "operator": self.operator,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CounterStatus:
        return cls(
            id=d["id"],
            state=CounterState(d["state"]),
            current=d.get("current"),
            priority_streak=int(d.get("priority_streak") or 0),
            operator=d.get("operator"),
        )


def format_label(prefix: str, number: int) -> str:
    """A-001 style: the prefix, a dash, at least three digits."""
    return f"{prefix}-{number:03d}"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
