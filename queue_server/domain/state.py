"""The live state of one site, and `apply`, the only function that changes it (event by event)."""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, TypeVar

from queue_server.domain import events as ev
from queue_server.domain.booking import ACTIVE_BOOKINGS, Booking, BookingState
from queue_server.domain.catalogue import Site
from queue_server.domain.events import Event
from queue_server.domain.issuing_pause import IssuingPause
from queue_server.domain.model import EXPIRING_STATES, CounterState, CounterStatus, Ticket, TicketState, idle_dated
from queue_server.domain.service_times import ServiceTimes


@dataclass(frozen=True)
class Configuration:
    """Where the site's configuration stands: its version (0: the site file as started, never changed), who made
    it ("file" or "web"), the site file it descends from, and the document itself (the site file's structure)."""

    version: int = 0
    source: str = "file"
    file_hash: str = ""
    document: dict[str, Any] = field(default_factory=dict, compare=False)

    def event_data(self) -> dict[str, Any]:
        return {"version": self.version, "source": self.source, "file_hash": self.file_hash, "document": self.document}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Configuration:
        return cls(int(data["version"]), str(data["source"]), str(data["file_hash"]), dict(data["document"]))


@dataclass
class SiteState:
    site: Site
    tickets: dict[str, Ticket] = field(default_factory=dict)
    counters: dict[str, CounterStatus] = field(default_factory=dict)
    last_number: dict[tuple[str, date], int] = field(default_factory=dict)
    issued: dict[tuple[str, date], int] = field(default_factory=dict)
    walk_ins: dict[tuple[str, date], int] = field(default_factory=dict)  # issued without a booking
    last_walk_in: dict[tuple[str, date], datetime] = field(default_factory=dict)  # when the latest walk-in was issued
    bookings: dict[str, Booking] = field(default_factory=dict)
    closed_days: set[date] = field(default_factory=set)
    closed_reasons: dict[date, str] = field(default_factory=dict)  # why a closed day was closed, where it was said
    running_text: str | None = None  # set by a supervisor; None: the site file's text
    # A mirrored mall's running text withheld here since then, for naming a citizen (TEXT_WITHHELD); None: shown.
    running_text_withheld: datetime | None = None
    # A mirrored mall's configuration in force, since then, with texts naming a citizen withheld here (their places).
    configuration_withheld: tuple[datetime, tuple[str, ...]] | None = None
    paused_at: dict[str, datetime] = field(default_factory=dict)  # counter -> when it last paused (the forecast)
    # service -> its issuing paused, with why (domain/issuing_pause.py); of its own day only (`issuing_pause`).
    issuing_paused: dict[str, IssuingPause] = field(default_factory=dict)
    # counter -> the local times its long break usually began and ended on this weekday in the last weeks (the
    # engine reads them each morning; the forecast expects the counter away then, not 'some time in the window').
    usual_breaks: dict[str, tuple[time, time]] = field(default_factory=dict)
    # The latest priority tickets issued, (when, service): the forecast's rate of citizens who will go ahead.
    priority_issued: deque[tuple[datetime, str]] = field(default_factory=lambda: deque(maxlen=1000))
    # Derived indexes, kept by `apply`.
    waiting: dict[str, dict[str, None]] = field(default_factory=dict)  # service -> ordered set of ticket ids
    waiting_priority: dict[str, int] = field(default_factory=dict)  # service -> waiting tickets with a priority group
    by_label: dict[tuple[date, str], str] = field(default_factory=dict)  # (day, label) -> newest leg id
    by_token: dict[str, str] = field(default_factory=dict)  # a citizen's token -> the live leg's id
    # Waiting tickets whose citizen left a number for messages ("N people before you" looks at these only).
    contacts_waiting: set[str] = field(default_factory=set)
    times: ServiceTimes = field(init=False)  # how long a counter is taken per ticket (the wait forecast's model)
    version: int = 0  # events applied: a forecast made from this state is current while it holds
    # Events applied other than a regular ticket joining the back of a line: a forecast older than this one has
    # someone's place wrong; one older only by such joins can still place them (domain/wait.py).
    moves: int = 0
    # Moves other than the everyday ones a forecast can follow for a while (a call, a start, a finish, a no-show,
    # a cancellation: someone leaves the line, a counter's timing slips): a counter opening or pausing, a priority
    # citizen, a transfer. A forecast older than one of these must be made again.
    reshapes: int = 0
    # Tickets that left the line (called, cancelled ...), in order: a forecast followed past calls counts who of
    # those it put ahead is gone (domain/wait.py). Cleared with the past days.
    departed: list[str] = field(default_factory=list)
    forecast_cache: object = field(default=None, compare=False, repr=False)  # application/forecasts.py keeps it
    booking_codes: dict[str, str] = field(default_factory=dict)  # code -> booking id
    online_booked: dict[tuple[str, date], int] = field(default_factory=dict)  # active bookings per service/day
    slot_booked: dict[tuple[str, date, time], int] = field(default_factory=dict)
    nik_booked: set[tuple[str, str, date]] = field(default_factory=set)  # (nik_hash, service, day), active
    phone_booked: dict[tuple[str, str, date], int] = field(default_factory=dict)  # (phone_hash, service, day), active
    # How many tickets and bookings of each day are held: forgetting past days checks a few days, not every ticket.
    ticket_days: dict[date, int] = field(default_factory=dict)
    booking_days: dict[date, int] = field(default_factory=dict)
    configuration: Configuration = field(default_factory=Configuration)
    # A mall that runs on its own box, shown here from the log it sends up (domain/relay.py): it takes no command
    # but its log, and `relayed_head` is the newest seq of the mall's log applied.
    mirrored: bool = False
    relayed_head: int = 0

    def __post_init__(self) -> None:
        self.times = ServiceTimes({s.id: float(s.default_service_minutes) for s in self.site.services.values()})
        for counter_id in self.site.counters:
            self.counters.setdefault(counter_id, CounterStatus(counter_id))
        for ticket in list(self.tickets.values()):
            self._index(None, ticket)
        for booking in list(self.bookings.values()):
            self._index_booking(None, booking)

    def reconfigure(self, site: Site, configuration: Configuration) -> None:
        """A new configuration, live: new services get their default time, new counters start closed, removed
        counters go (decide refused removing one that is not closed), learned service times stay."""
        self.site = site
        self.configuration = configuration
        self.times.set_defaults({s.id: float(s.default_service_minutes) for s in site.services.values()})
        for counter_id in site.counters:
            self.counters.setdefault(counter_id, CounterStatus(counter_id))
        for gone in [c for c in self.counters if c not in site.counters]:
            del self.counters[gone]
            self.paused_at.pop(gone, None)

    def check_in_offered(self, day: date) -> bool:
        """Whether a kiosk's check-in can serve anyone on `day`: a service a counter serves takes online bookings (a
        citizen may book a later slot and come), or a booking of the day still waits for its check-in (its service's
        online places may have been taken away since). Else "Lapor hadir" would only lead to "not found"."""
        site = self.site
        if any(s.online_quota > 0 and site.counters_serving(s.id) for s in site.services.values()):
            return True
        return any(b.day == day and b.state is BookingState.BOOKED for b in self.bookings.values())

    def put_booking(self, booking: Booking) -> None:
        old = self.bookings.get(booking.id)
        self.bookings[booking.id] = booking
        if old is None:
            self.booking_days[booking.day] = self.booking_days.get(booking.day, 0) + 1
        self._index_booking(old, booking)

    def _index_booking(self, old: Booking | None, new: Booking) -> None:
        self.booking_codes[new.code] = new.id
        was = old is not None and old.state in ACTIVE_BOOKINGS
        now = new.state in ACTIVE_BOOKINGS
        if was == now:
            return
        delta = 1 if now else -1
        day_key = (new.service, new.day)
        slot_key = (new.service, new.day, new.slot)
        self.online_booked[day_key] = self.online_booked.get(day_key, 0) + delta
        self.slot_booked[slot_key] = self.slot_booked.get(slot_key, 0) + delta
        if now:
            self.nik_booked.add((new.nik_hash, new.service, new.day))
        else:
            self.nik_booked.discard((new.nik_hash, new.service, new.day))
        if new.phone_hash is not None:
            phone_key = (new.phone_hash, new.service, new.day)
            self.phone_booked[phone_key] = self.phone_booked.get(phone_key, 0) + delta

    def count_issued(self, ticket: Ticket) -> None:
        """Numbering and quota bookkeeping for a newly issued ticket (not for transfer legs)."""
        key = (ticket.series, ticket.day)
        self.last_number[key] = max(self.last_number.get(key, 0), ticket.number)
        self.issued[key] = self.issued.get(key, 0) + 1
        if ticket.booked_slot is None:
            self.walk_ins[key] = self.walk_ins.get(key, 0) + 1
            latest = self.last_walk_in.get(key)
            self.last_walk_in[key] = ticket.issued_at if latest is None else max(latest, ticket.issued_at)
        if ticket.priority:
            self.priority_issued.append((ticket.issued_at, ticket.service))

    def walk_ins_left(self, service_id: str, day: date, now: datetime | None = None) -> int | None:
        """Walk-in tickets the service may still issue on `day` (None: it has no quota). At `now`, the online places
        no booking can take any more are the walk-ins' too (`online_places_freed`)."""
        quota = self.site.services[service_id].walk_in_quota
        if quota is None:
            return None
        left = quota - self.walk_ins.get((service_id, day), 0)
        if left <= 0 and now is not None:  # only worked out once the walk-ins' own share is spent
            left += self.online_places_freed(service_id, day, now)
        return max(0, left)

    def online_places_left(self, service_id: str, day: date) -> int:
        """Online places of `day` that no booking holds (a released or cancelled booking gives its place back)."""
        return max(0, self.site.services[service_id].online_quota - self.online_booked.get((service_id, day), 0))

    def online_places_freed(self, service_id: str, day: date, now: datetime) -> int:
        """Once the last booking slot of `day` has begun nobody can book it any more (a slot is booked before it
        begins), so the online places no booking holds go to walk-ins instead of standing empty (an outside review
        saw walk-ins refused all afternoon while all 10 online places of a service were unused)."""
        slots = self.site.slots(day)
        if slots and now < slots[-1][0]:
            return 0
        return self.online_places_left(service_id, day)

    def walk_ins_spent_at(self, service_id: str, day: date, now: datetime | None = None) -> datetime | None:
        """When the service's walk-in quota of `day` ran out: the issue of the walk-in ticket that took its last
        place (None: it has no quota, or a place is left, or it takes no walk-ins at all: a quota all online). A quota
        lowered below what was already issued counts from the latest walk-in too."""
        quota = self.site.services[service_id].walk_in_quota
        if not quota or self.walk_ins_left(service_id, day, now) != 0:
            return None
        return self.last_walk_in.get((service_id, day))

    def issuing_pause(self, service_id: str, day: date) -> IssuingPause | None:
        """The service's issuing paused on `day`, or None (a pause of an earlier day ended with it)."""
        pause = self.issuing_paused.get(service_id)
        return pause if pause is not None and pause.holds_on(day) else None

    @property
    def current_running_text(self) -> str:
        return self.site.running_text if self.running_text is None else self.running_text

    def counter(self, counter_id: str) -> CounterStatus:
        return self.counters[counter_id]

    def waiting_tickets(self, service_id: str) -> list[Ticket]:
        return [self.tickets[t] for t in self.waiting.get(service_id, {})]

    def holds_only(self, day: date) -> bool:
        """Are all the tickets in memory of `day`? The usual case (no past day's left waiting until it is closed),
        in which a service's waiting line is that day's as it stands: a look at the few days held."""
        return all(held == day for held in self.ticket_days)

    def waiting_on(self, service_id: str, day: date) -> list[Ticket]:
        """The service's tickets waiting on `day`, in the order they joined. A past day's left waiting are not its
        queue (no counter calls them: routing.py): they stay until that day is closed, by the server's housekeeping
        up to a minute after the mall's midnight, or by hand while its clock is in doubt."""
        if self.holds_only(day):
            return self.waiting_tickets(service_id)
        return [ticket for ticket in self.waiting_tickets(service_id) if ticket.day == day]

    def waiting_count(self, service_id: str, day: date) -> int:
        """How many wait for the service on `day` (waiting_on), in O(1) when no past day is held."""
        if self.holds_only(day):
            return len(self.waiting.get(service_id, {}))
        return sum(1 for ticket in self.waiting_tickets(service_id) if ticket.day == day)

    def _index(self, old: Ticket | None, new: Ticket) -> None:
        if old is not None and old.state is TicketState.WAITING:
            bucket = self.waiting.get(old.service, {})
            if old.id in bucket:
                del bucket[old.id]
                if old.priority:
                    self.waiting_priority[old.service] -= 1
                if new.state is not TicketState.WAITING:
                    self.departed.append(old.id)
        if new.state is TicketState.WAITING:
            self.waiting.setdefault(new.service, {})[new.id] = None
            if new.priority:
                self.waiting_priority[new.service] = self.waiting_priority.get(new.service, 0) + 1
        if new.contact is not None and new.state is TicketState.WAITING:
            self.contacts_waiting.add(new.id)
        elif old is not None and old.contact is not None:
            self.contacts_waiting.discard(new.id)
        self.by_label[(new.day, new.label)] = new.id
        if new.state is not TicketState.TRANSFERRED and new.token:  # transfer legs share a token: the live leg's
            self.by_token[new.token] = new.id  # (a mirrored mall's tickets have none: domain/relay.withheld)
        if new.state in (TicketState.DONE, TicketState.NO_SHOW) and (old is None or old.state is not new.state):
            self.times.observe(new)

    def put_ticket(self, ticket: Ticket) -> None:
        old = self.tickets.get(ticket.id)
        self.tickets[ticket.id] = ticket
        if old is None:
            self.ticket_days[ticket.day] = self.ticket_days.get(ticket.day, 0) + 1
        self._index(old, ticket)

    def holds_days_before(self, day: date) -> bool:
        """Is anything of a day before `day` still in memory? (Cheap: a look at a few days, not at every ticket.)"""
        return any(
            d < day
            for d in itertools.chain(
                self.ticket_days, self.booking_days, self.closed_days, (k[1] for k in self.last_number)
            )
        )

    def forget_days_before(self, day: date) -> bool:
        """Drop every ticket and booking of past days from memory, and each index entry that names one (they stay
        in the database). What is still open is kept: it may still be acted on until its day is closed. True if
        anything of a past day was held."""
        if not self.holds_days_before(day):
            return False
        past = [t for t in self.tickets.values() if t.day < day and t.state not in EXPIRING_STATES]
        for ticket in past:
            del self.tickets[ticket.id]
            _count_down(self.ticket_days, ticket.day)
            if self.by_label.get((ticket.day, ticket.label)) == ticket.id:
                del self.by_label[(ticket.day, ticket.label)]
            if self.by_token.get(ticket.token) == ticket.id:
                del self.by_token[ticket.token]
        for counts in (self.last_number, self.issued, self.walk_ins):
            for key in [k for k in counts if k[1] < day]:
                del counts[key]
        for key in [k for k in self.last_walk_in if k[1] < day]:
            del self.last_walk_in[key]
        for booking in [b for b in self.bookings.values() if b.day < day and b.state not in ACTIVE_BOOKINGS]:
            del self.bookings[booking.id]
            _count_down(self.booking_days, booking.day)
            if self.booking_codes.get(booking.code) == booking.id:
                del self.booking_codes[booking.code]
        for key in [k for k, n in self.online_booked.items() if k[1] < day and n <= 0]:
            del self.online_booked[key]
        for slot in [k for k, n in self.slot_booked.items() if k[1] < day and n <= 0]:
            del self.slot_booked[slot]
        self.closed_days.difference_update([d for d in self.closed_days if d < day])
        for service_id in [s for s, pause in self.issuing_paused.items() if pause.day < day]:
            del self.issuing_paused[service_id]
        for closed in [d for d in self.closed_reasons if d < day]:
            del self.closed_reasons[closed]
        self.departed.clear()  # a new day's forecast follows nothing of the day before
        return True


def _count_down(counts: dict[date, int], day: date) -> None:
    left = counts.get(day, 0) - 1
    if left > 0:
        counts[day] = left
    else:
        counts.pop(day, None)


# Events that move nobody in line ahead of anyone (a regular ticket joins at the back; a citizen leaves a number).
SOURCE_SEQ = "source_seq"  # in a relayed event's data: its seq in the mall's own log (domain/relay.py)
# In a mirrored mall's running-text event whose text named a citizen (application/actions.py): the text is kept as ""
# and this holds the fingerprints of the event as the mall's log has it, by protocol (domain/relay.fingerprint_for).
TEXT_WITHHELD = "text_withheld"


def configuration_withheld(data: dict[str, Any] | None) -> tuple[datetime, tuple[str, ...]] | None:
    """When a mirrored mall's configuration (a site.configured event's data, as logged or stored) had texts naming a
    citizen withheld here, and their places (domain/relay.configuration_withheld); None: none were."""
    kept = data.get(TEXT_WITHHELD) if data is not None else None
    if not isinstance(kept, dict) or not isinstance(kept.get("fields"), list) or not isinstance(kept.get("at"), str):
        return None
    return datetime.fromisoformat(kept["at"]), tuple(str(place) for place in kept["fields"])


_NOT_MOVES = frozenset({ev.TICKET_ISSUED, ev.TICKET_CONTACT_LEFT, ev.TICKET_CONTACT_REMOVED})
# Moves a forecast can follow for a while: someone leaves the line, or a counter's timing slips by a little.
_FOLLOWED = frozenset({ev.TICKET_CALLED, ev.TICKET_RECALLED, ev.TICKET_STARTED, ev.TICKET_FINISHED,
                       ev.TICKET_NO_SHOW, ev.TICKET_CANCELLED, ev.TICKET_EXPIRED})  # fmt: skip


def apply(state: SiteState, event: Event) -> None:
    """Fold one event into the state. Events carry snapshots, so this never re-decides anything."""
    state.version += 1
    data = event.data
    if event.type not in _NOT_MOVES or data["ticket"].get("priority"):
        state.moves += 1
        if event.type not in _FOLLOWED:
            state.reshapes += 1
    for key in ("ticket", "new_ticket"):
        if key in data:
            ticket = _object(event, key, Ticket)
            state.put_ticket(ticket)
            if event.type in (ev.TICKET_ISSUED, ev.BOOKING_CHECKED_IN) and key == "ticket":
                state.count_issued(ticket)
    if "booking" in data:
        state.put_booking(_object(event, "booking", Booking))
    if "counter" in data and isinstance(data["counter"], dict):
        counter = _object(event, "counter", CounterStatus)
        if "idle_since" not in data["counter"]:  # a mirrored mall's box of a release before it: dated here, the same
            # on every process that applies the event (the relayed event itself stays as the mall wrote it)
            counter = idle_dated(counter, event.at, before=state.counters.get(counter.id))
        state.counters[counter.id] = counter
        if event.type == ev.COUNTER_PAUSED:
            state.paused_at[counter.id] = event.at
    if SOURCE_SEQ in data:
        state.relayed_head = data[SOURCE_SEQ]
    if event.type == ev.SITE_RUNNING_TEXT:
        state.running_text = data["text"]
        state.running_text_withheld = event.at if TEXT_WITHHELD in data else None
    if event.type == ev.SITE_CONFIGURED:
        site = event.objects.get("site")
        if not isinstance(site, Site):  # the engine parses a logged configuration before applying it
            raise ValueError("a site.configured event is applied with its parsed Site in event.objects['site']")
        state.reconfigure(site, Configuration.from_data(data))
        state.configuration_withheld = configuration_withheld(data)
    if event.type == ev.SERVICE_PAUSED:
        for pause in data["pauses"]:
            state.issuing_paused[pause["service"]] = IssuingPause.from_dict(pause)
    if event.type == ev.SERVICE_RESUMED:
        for service_id in data["services"]:
            state.issuing_paused.pop(service_id, None)
    if event.type == ev.DAY_REOPENED:
        state.closed_days.discard(date.fromisoformat(data["day"]))
        state.closed_reasons.pop(date.fromisoformat(data["day"]), None)
    if event.type == ev.DAY_CLOSED:
        day = date.fromisoformat(data["day"])
        state.closed_days.add(day)
        if isinstance(data.get("reason"), str) and data["reason"]:
            state.closed_reasons[day] = data["reason"]
        state.forget_days_before(day)


_Snapshot = TypeVar("_Snapshot", Ticket, Booking, CounterStatus)


def _object(event: Event, key: str, kind: type[_Snapshot]) -> _Snapshot:
    """The object behind `event.data[key]`: the one decided in this process if the event carries it, else parsed
    back from its snapshot (an event read from the log)."""
    known = event.objects.get(key)
    return known if isinstance(known, kind) else kind.from_dict(event.data[key])


def open_counters_for(state: SiteState, service_id: str) -> int:
    return sum(
        1
        for counter in state.site.counters_serving(service_id)
        if state.counters[counter.id].state is CounterState.OPEN
    )
