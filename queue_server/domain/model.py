"""Tickets and counters, and the one table of allowed ticket transitions."""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from queue_server.domain import events as ev
from queue_server.domain.refusal import Refusal
from queue_server.domain.snapshot import Snapshot, snap


class TicketState(enum.StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    PARKED = "parked"  # set aside at a counter (the citizen fetches a document), called back later
    DONE = "done"
    NO_SHOW = "no_show"
    TRANSFERRED = "transferred"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


S = TicketState

# Every allowed change of a ticket's state. CALLED -> CALLED is a recall; NO_SHOW -> WAITING is a late
# arrival put back in the queue; CALLED -> WAITING returns a called ticket when its counter closes; PARKED is a
# ticket set aside by its counter (a missing document) that a counter calls back when the citizen is ready, or that a
# supervisor sends back to its line (PARKED -> WAITING).
TRANSITIONS: dict[TicketState, frozenset[TicketState]] = {
    S.WAITING: frozenset({S.CALLED, S.TRANSFERRED, S.CANCELLED, S.EXPIRED}),
    S.CALLED: frozenset({S.CALLED, S.SERVING, S.NO_SHOW, S.WAITING, S.PARKED, S.TRANSFERRED, S.CANCELLED, S.EXPIRED}),
    S.SERVING: frozenset({S.DONE, S.PARKED, S.TRANSFERRED, S.CANCELLED, S.EXPIRED}),
    S.PARKED: frozenset({S.CALLED, S.WAITING, S.TRANSFERRED, S.CANCELLED, S.EXPIRED}),
    S.NO_SHOW: frozenset({S.WAITING, S.CALLED, S.CANCELLED, S.EXPIRED}),
    S.DONE: frozenset(),
    S.TRANSFERRED: frozenset(),
    S.CANCELLED: frozenset(),
    S.EXPIRED: frozenset({S.WAITING}),  # only when the day that expired it is reopened (closed by mistake)
}

# Where a ticket's day of work ends. An expired ticket comes back only with its day reopened.
FINAL_STATES = frozenset({S.DONE, S.TRANSFERRED, S.CANCELLED, S.EXPIRED})
OPEN_STATES = frozenset(TicketState) - FINAL_STATES
# What a day's close expires: every ticket still in play. Not a no-show: the citizen did not come, and the day's
# reports count them so; once its day is over a no-show can no longer come back (a late arrival is today's only).
EXPIRING_STATES = OPEN_STATES - {S.NO_SHOW}
DAY_OVER_STATES = frozenset(TicketState) - EXPIRING_STATES  # where a ticket of a past day ends


class CounterState(enum.StrEnum):
    OPEN = "open"
    PAUSED = "paused"
    CLOSED = "closed"


class IllegalTransition(Refusal):
    """A ticket asked to move where the transition table does not allow, naming the state found and the states
    it would have to be in."""

    def __init__(self, ticket: Ticket, target: TicketState) -> None:
        expected = sorted(s.value for s in TICKET_SOURCES[target])
        super().__init__(
            "illegal_transition",
            ticket=ticket.label,
            target=target.value,
            details={"ticket": ticket.id, "found": ticket.state.value, "expected": expected},
        )


TICKET_SOURCES: dict[TicketState, frozenset[TicketState]] = {
    target: frozenset(src for src, targets in TRANSITIONS.items() if target in targets) for target in TicketState
}


@dataclass(frozen=True)
class Ticket(Snapshot):
    # audience: who sees a field on the wire; column: kept in a column of the tickets table (domain/snapshot.py)
    id: str = snap(audience="public", column="fixed")
    site: str = snap(column="fixed")
    service: str = snap(audience="public", column="mutable")  # a transfer moves the ticket to another service
    agency: str = snap(audience="public", column="mutable")
    series: str = snap(column="fixed")  # the service whose number series issued it; a transferred leg keeps it
    day: date = snap(audience="public", column="fixed")
    number: int = snap(column="fixed")
    label: str = snap(audience="public", column="fixed")
    state: TicketState = snap(audience="public", column="mutable")
    priority: str | None = snap(audience="public", column="fixed", wire_as="flag")  # the group: staff only
    channel: str = snap(column="fixed")
    token: str = snap(audience="private", column="fixed")  # the citizen's link; handed out once, when issued
    issued_at: datetime = snap(audience="public", column="fixed")
    queue_key: datetime = snap()  # the citizen's place in time; kept across a transfer
    called_at: datetime | None = snap(audience="public", column="mutable", default=None)
    started_at: datetime | None = snap(column="mutable", default=None)
    finished_at: datetime | None = snap(column="mutable", default=None)
    counter: str | None = snap(audience="public", column="mutable", default=None)
    recalls: int = snap(audience="public", default=0)
    parent: str | None = snap(column="fixed", default=None)
    note: str | None = snap(default=None)
    parked_at: datetime | None = snap(default=None)  # when its counter set it aside (staff: "parked since 09.05")
    booked_slot: datetime | None = snap(default=None)  # checked in from an online booking: ahead of walk-ins from then
    # The account whose command made the ticket's latest change (an operator, a supervisor; None: a kiosk, the
    # system), so that a colleague's screen at the same counter can say "B-001 diselesaikan oleh sari". Staff only.
    by: str | None = snap(default=None)
    # The citizen left a number for messages (outbound/): the contacts row naming it (t:<id> or b:<booking id>).
    # Never the number itself, and never on the wire.
    contact: str | None = snap(audience="private", default=None)

    def moved_to(self, target: TicketState, **changes: Any) -> Ticket:
        """The ticket in its new state; the only way a ticket's state changes."""
        if target not in TRANSITIONS[self.state]:
            raise IllegalTransition(self, target)
        return replace(self, state=target, **changes)


@dataclass(frozen=True)
class CounterStatus(Snapshot):
    id: str = snap(audience="public")
    state: CounterState = snap(audience="public", default=CounterState.CLOSED)
    current: str | None = snap(audience="public", default=None)  # the ticket called or being served here
    priority_streak: int = snap(default=0)
    operator: str | None = snap(default=None)  # who signs in at this counter: staff business
    # Open with nobody called since then (decide.py stamps it on every counter snapshot; None otherwise): carried by
    # the events and the stored counter, so a restart and every process say the same "Kosong 12 mnt".
    idle_since: datetime | None = snap(default=None)
    # Closed by the server because the account it was open under may no longer work it (disabled, removed, moved to
    # another agency): why, whose, when and what became of its ticket, for the dashboard until it opens again.
    released: str | None = snap(default=None)  # disabled, removed, agency
    released_from: str | None = snap(default=None)
    released_at: datetime | None = snap(default=None)
    released_ticket: str | None = snap(default=None)  # the label of the ticket it had
    released_parked: bool = snap(default=False)  # that ticket was being served, so it was parked (else requeued)
    # Who paused or closed it last, and when: a refusal on a paused or closed counter names them, and a console tells a
    # colleague's pause from the echo of its own. Staff business (never on a lobby screen); None in events written
    # before these fields existed, and for a close by the server (a day's close, a release: `released` says why).
    paused_by: str | None = snap(default=None)
    paused_at: datetime | None = snap(default=None)
    closed_by: str | None = snap(default=None)
    closed_at: datetime | None = snap(default=None)


# The events after which a counter stands open with nobody called where it did not before (it opened, or let its
# citizen go): decide.py carries an open, idle counter's snapshot in no other.
BECAME_IDLE = frozenset({ev.COUNTER_OPENED, ev.TICKET_FINISHED, ev.TICKET_NO_SHOW, ev.TICKET_PARKED,
                         ev.TICKET_TRANSFERRED, ev.TICKET_CANCELLED})  # fmt: skip


def idle_dated(
    status: CounterStatus, at: datetime, *, before: CounterStatus | None = None, event_type: str | None = None
) -> CounterStatus:
    """A counter's snapshot written by a release before `idle_since` (a mirrored mall's box still on one, a database
    it wrote), dated where the log makes it knowable, as decide.py would have stamped it: idle after the event of
    `at` and not `before` it, since then; idle before it too, since whenever that was (None: not known); not idle,
    None. Without `before` (a counter read back from the database), by the kind of event that wrote it last."""
    idle = status.state is CounterState.OPEN and status.current is None
    if not idle or status.idle_since is not None:
        return status if idle or status.idle_since is None else replace(status, idle_since=None)
    if before is not None:
        was_idle = before.state is CounterState.OPEN and before.current is None
        since = before.idle_since if was_idle else at
    else:
        since = at if event_type in BECAME_IDLE else None
    return replace(status, idle_since=since)


def format_label(prefix: str, number: int) -> str:
    """A-001 style: the prefix, a dash, at least three digits."""
    return f"{prefix}-{number:03d}"
