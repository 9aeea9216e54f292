"""Commands: what someone asks the queue to do (imperative names). Identifiers for new tickets are chosen by
the caller, so deciding stays pure and a retried command can be recognised."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from typing import Any

from queue_server.domain.catalogue import Site
from queue_server.domain.events import Event


@dataclass(frozen=True)
class IssueTicket:
    service: str
    ticket_id: str
    token: str
    priority: str | None = None
    channel: str = "kiosk"
    contact: str | None = None  # the citizen left a number for messages: its contacts row


# Commands an account gives carry `by`, its name: each ticket the command changes records it (Ticket.by).
# Commands on the counter's current ticket may carry `expected`: the ticket the operator saw there (an id or a
# label). When the counter holds another ticket now, or none, they are refused, naming what changed: a colleague
# at the same counter may have acted on it a moment before.


@dataclass(frozen=True)
class CallNext:
    counter: str
    by: str | None = None


@dataclass(frozen=True)
class CallTicket:
    """Call a specific ticket out of order (by id or label), e.g. a late arrival standing at the counter."""

    counter: str
    ticket: str
    by: str | None = None


@dataclass(frozen=True)
class Recall:
    counter: str
    expected: str | None = None
    by: str | None = None


@dataclass(frozen=True)
class ParkTicket:
    """Set the counter's ticket aside (the citizen must fetch a document): the counter is free for the next one,
    and the ticket waits, off the queue, to be called back by `UnparkTicket`."""

    counter: str
    note: str | None = None
    expected: str | None = None
    by: str | None = None


@dataclass(frozen=True)
class UnparkTicket:
    """Call a parked ticket back to this counter (announced like any call)."""

    counter: str
    ticket: str
    by: str | None = None


@dataclass(frozen=True)
class ReturnParked:
    """Send a parked ticket back to its line, at its old place in time (a supervisor: its counter may have closed, or
    another counter should take the citizen); the next counter of its service that calls next calls it."""

    ticket: str
    by: str | None = None


@dataclass(frozen=True)
class StartService:
    counter: str
    expected: str | None = None
    by: str | None = None


@dataclass(frozen=True)
class FinishService:
    counter: str
    expected: str | None = None
    by: str | None = None


@dataclass(frozen=True)
class MarkNoShow:
    counter: str
    expected: str | None = None
    by: str | None = None


@dataclass(frozen=True)
class RequeueTicket:
    """Put a no-show back in the queue (a late arrival)."""

    ticket: str
    by: str | None = None


@dataclass(frozen=True)
class TransferTicket:
    """Move a ticket to another service (any agency); the citizen keeps their place in time.

    Either `counter` (its current ticket) or `ticket` names what moves.
    """

    target_service: str
    new_ticket_id: str
    counter: str | None = None
    ticket: str | None = None
    note: str | None = None
    expected: str | None = None  # with `counter`: the ticket the operator saw there
    by: str | None = None


@dataclass(frozen=True)
class CancelTicket:
    ticket: str
    reason: str | None = None
    by: str | None = None


@dataclass(frozen=True)
class OpenCounter:
    counter: str
    operator: str | None = None


@dataclass(frozen=True)
class PauseCounter:
    counter: str
    by: str | None = None


@dataclass(frozen=True)
class CloseCounter:
    counter: str
    by: str | None = None


@dataclass(frozen=True)
class ReleaseCounters:
    """Close the counters left open under an account that may no longer work them: disabled or removed (`agency`
    None), or an operator moved to `agency`, whose counters of other agencies are no longer theirs. `spared`: counters
    a colleague is signed in at, who has them in hand."""

    operator: str
    reason: str  # disabled, removed, agency
    agency: str | None = None
    spared: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ReopenDay:
    """Open again today, closed by mistake: its expired tickets go back to the queue at their old places."""

    day: date


@dataclass(frozen=True)
class CloseDay:
    """Expire every unserved ticket of `day` (and earlier) and close all counters. `reason`: why, in a few words the
    kiosk, the lobby screens and the citizens' phones say ("Gangguan listrik"), as checked by the application's one rule
    of a reason said to citizens (one line, no closing full stop, no citizen named); None: not said."""

    day: date | None = None
    reason: str | None = None


@dataclass(frozen=True)
class SetRunningText:
    """The line of text that scrolls along the bottom of every display; an empty text shows none."""

    text: str


@dataclass(frozen=True)
class PauseIssuing:
    """Stop issuing tickets of one service, or of every service of an agency, for the rest of today, with why (said
    on the kiosk and the phones of its waiting citizens) and, optionally, when it is expected to resume. Waiting
    tickets stay; a pause already there takes the new reason. `reason` as the application's one rule of a reason
    said to citizens checked it, as a closed day's."""

    reason: str
    service: str | None = None
    agency: str | None = None
    until: time | None = None  # local time today
    by: str | None = None


@dataclass(frozen=True)
class ResumeIssuing:
    """Issue tickets again: of one service, or of every paused service of an agency."""

    service: str | None = None
    agency: str | None = None
    by: str | None = None


@dataclass(frozen=True)
class Configure:
    """A new configuration of the site: agencies, services, counters, screens, hours. `site` is `document` parsed
    and checked as a site file is (settings/sitefile.py); the rules here are the ones the live day adds."""

    site: Site
    document: dict[str, Any]  # the site file's structure, as JSON
    source: str  # "web": an administrator's change; "file": a changed site file taking over at start-up
    file_hash: str  # the site file this configuration descends from (a changed file takes over at start-up)
    expected_version: int | None  # the version the change was made on; None: a site file, whatever is current
    # The bookings (ids) its administrator confirmed cancelling: those it leaves at a time the mall is closed
    # (decide.bookings_closed). Refused unless they are exactly these; none: refused if it leaves any.
    cancel_bookings: frozenset[str] = frozenset()


@dataclass(frozen=True)
class BookSlot:
    service: str
    day: date
    slot: time
    nik_hash: str
    phone_masked: str
    booking_id: str
    code: str
    contact: str | None = None
    phone_hash: str | None = None  # keyed: how many bookings one number holds (BookingPolicy.per_phone)


@dataclass(frozen=True)
class CancelBooking:
    code: str


@dataclass(frozen=True)
class CheckIn:
    """The citizen arrives with a booking: a ticket is issued that goes ahead of walk-ins once its slot begins."""

    code: str
    ticket_id: str
    token: str
    priority: str | None = None  # a UU 25/2009 group, as IssueTicket's: the booked citizen keeps their priority


@dataclass(frozen=True)
class LeaveContact:
    """A citizen asks, from their phone, to be told by message as their turn nears (an open ticket only)."""

    token: str
    contact: str


@dataclass(frozen=True)
class RemoveContact:
    """A citizen, from their phone, stops the messages about their ticket (withdraws their consent)."""

    token: str


@dataclass(frozen=True)
class ReleaseLateBookings:
    """Release every booking whose check-in window has ended."""


@dataclass(frozen=True)
class Relay:
    """Events of a mall that runs on its own box, as its log holds them (seq, type, site, time, data), continuing
    from the mall's seq `after`: applied as they are by a server that mirrors the mall (domain/relay.py)."""

    events: tuple[Event, ...]  # numbered with the mall's seqs
    after: int


Command = (
    IssueTicket
    | CallNext
    | CallTicket
    | Recall
    | StartService
    | FinishService
    | MarkNoShow
    | RequeueTicket
    | TransferTicket
    | CancelTicket
    | OpenCounter
    | PauseCounter
    | CloseCounter
    | CloseDay
    | BookSlot
    | CancelBooking
    | CheckIn
    | LeaveContact
    | RemoveContact
    | ReleaseLateBookings
    | SetRunningText
    | PauseIssuing
    | ResumeIssuing
    | ParkTicket
    | ReleaseCounters
    | ReopenDay
    | UnparkTicket
    | ReturnParked
    | Configure
    | Relay
)
