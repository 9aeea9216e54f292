"""A mall that runs on its own box sends its event log up to a server that mirrors it (outbound/uplink.py sends,
`serve --mirror SITE` receives). The mall decided every event; the mirror only applies them, so it is an exact
copy that reports, dashboards and the national view read like any hosted site.

The rules that keep it exact: a batch continues where the last one ended, counted in the mall's own seqs (a batch
sent twice, or after a lost answer, is refused with the seq the mirror expects, and nothing is applied twice); every
event is of this site, of a known type and carries the snapshots its type needs; a mirrored site takes no other
command (what happens there is decided at the mall)."""

from __future__ import annotations

import copy
import hashlib
import json
import math
import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from queue_server.domain import commands as c
from queue_server.domain import events as ev
from queue_server.domain.booking import Booking
from queue_server.domain.catalogue import CHANNELS, PRIORITY_GROUPS, Site
from queue_server.domain.events import Event
from queue_server.domain.issuing_pause import IssuingPause
from queue_server.domain.model import CounterStatus, Ticket, TicketState
from queue_server.domain.refusal import Refusal
from queue_server.domain.shown_texts import shown_texts
from queue_server.domain.snapshot import specs
from queue_server.domain.state import SOURCE_SEQ, TEXT_WITHHELD, Configuration, SiteState

MAX_EVENTS = 1000  # per batch: a day's log goes up in a few requests, none too large to retry
MAX_SEQ = 2**53  # what JSON carries exactly, and a database column takes
MAX_INT = 2**31 - 1  # a snapshot's whole numbers (a ticket's number, recalls): an integer column
MAX_TEXT = 20_000  # any text of an event (a site file's document holds the longest)
MAX_FIELD = 500  # any text field of a snapshot (a note holds 200, the running text 500)
MAX_DEPTH = 16
# The times a mall writes: after 2000, its events not ahead of this server's clock by more than a clock's error, its
# snapshots' times (a booking's slot) within a year. A time near year 9999 broke the pages converting it.
FIRST_TIME = datetime(2000, 1, 1, tzinfo=UTC)
AHEAD, LATEST = timedelta(days=1), timedelta(days=366)
FIRST_DAY = date(2000, 1, 1)
LABEL = re.compile(r"^[A-Z]{1,3}-[0-9]{3,6}$")  # format_label: the service's prefix (1-3 capitals), the number

# The snapshots each kind of event carries, by the prefix of its type.
_NEEDS = {"ticket.": "ticket", "counter.": "counter", "booking.": "booking"}
_SNAPSHOTS: dict[str, type[Ticket] | type[CounterStatus] | type[Booking]] = {
    "ticket": Ticket,
    "new_ticket": Ticket,
    "counter": CounterStatus,
    "booking": Booking,
}


def relay(state: SiteState, cmd: c.Relay, now: datetime) -> list[Event]:
    if not state.mirrored:
        raise Refusal("site_not_mirrored", site=state.site.name)
    if cmd.after != state.relayed_head:
        raise Refusal("uplink_out_of_step", after=cmd.after, expected=state.relayed_head,
                      details={"expected_after": state.relayed_head})  # fmt: skip
    if len(cmd.events) > MAX_EVENTS:
        raise invalid_event(cmd.events[MAX_EVENTS].seq, f"more than {MAX_EVENTS} events")
    relayed: list[Event] = []
    previous = cmd.after
    site = state.site  # as configured at each event: a configuration relayed in this batch counts from there on
    batch = _Batch(state)
    for event in cmd.events:
        if not previous < event.seq <= MAX_SEQ:
            raise invalid_event(
                event.seq, f"seq {event.seq} does not follow {previous}" if event.seq <= previous else "seq too large"
            )
        previous = event.seq
        relayed.append(_checked(site, event, now))
        batch.add(relayed[-1], event.seq)
        configured = relayed[-1].objects.get("site")
        if event.type == ev.SITE_CONFIGURED and isinstance(configured, Site):
            if configured.id != state.site.id:
                raise invalid_event(event.seq, f"its configuration is of site {configured.id!r}, not {state.site.id!r}")
            site = configured
    return relayed


class _Batch:
    """What the events of a batch so far make known, beside the mirror's state: the tickets a counter may hold, and
    each ticket number's ticket (a number is one ticket's, as the mall's database keeps it). A booking's code and NIK
    hash are not kept here (withheld): each is its own booking's, and no two bookings can share one."""

    def __init__(self, state: SiteState) -> None:
        self.state = state
        self.tickets: dict[str, Ticket] = {}  # the latest snapshot of each ticket the batch carries
        self._numbers: dict[tuple[Any, str, int], str] | None = None

    def add(self, event: Event, seq: int) -> None:
        for key in ("ticket", "new_ticket"):
            ticket = event.objects.get(key)
            if isinstance(ticket, Ticket):
                self._own_number(seq, ticket)
                self.tickets[ticket.id] = ticket
        counter = event.objects.get("counter")
        if isinstance(counter, CounterStatus) and counter.current is not None:
            held = self.tickets.get(counter.current) or self.state.tickets.get(counter.current)
            if held is None or held.state not in (TicketState.CALLED, TicketState.SERVING):
                raise invalid_event(
                    seq, f"its counter holds ticket {counter.current!r}, which the mall never sent as called"
                )

    def _own_number(self, seq: int, ticket: Ticket) -> None:
        """A ticket keeps its number, and a number is one ticket's (the database keeps both)."""
        known = self.tickets.get(ticket.id) or self.state.tickets.get(ticket.id)
        if known is not None and (known.day, known.series, known.number) != (ticket.day, ticket.series, ticket.number):
            raise invalid_event(seq, f"its ticket {ticket.id} changed its number")
        if ticket.parent is not None:
            return
        if self._numbers is None:  # built once per batch, only for a batch with tickets
            held = self.state.tickets.values()
            self._numbers = {(t.day, t.series, t.number): t.id for t in held if t.parent is None}
        owner = self._numbers.setdefault((ticket.day, ticket.series, ticket.number), ticket.id)
        if owner != ticket.id:
            raise invalid_event(seq, f"its ticket {ticket.label} of {ticket.day} has the number of another ticket")


def _checked(site: Site, event: Event, now: datetime) -> Event:
    """The event as the mirror logs it: its snapshots parsed and of the site as it is configured (so that applying
    cannot fail half-way through a batch, and no dashboard meets a service or counter it does not know), its seq at
    the mall kept in its data."""
    if event.site != site.id:
        raise invalid_event(event.seq, f"it is of site {event.site!r}, not {site.id!r}")
    if event.type not in ev.EVENT_TYPES:
        raise invalid_event(event.seq, f"unknown type {event.type!r}")
    if event.at.tzinfo is None:
        raise invalid_event(event.seq, "its time has no UTC offset")
    if not FIRST_TIME <= event.at <= now + AHEAD:
        raise invalid_event(
            event.seq, f"its time is before 2000 or more than {AHEAD} after this server's clock (the mall's clock?)"
        )
    data = withheld(event.data)  # whatever an earlier release's box still sends
    for prefix, key in _NEEDS.items():
        if event.type.startswith(prefix) and not isinstance(data.get(key), dict):
            raise invalid_event(event.seq, f"a {event.type} event carries a {key!r} object")
    problem = unkeepable(data)
    if problem is not None:
        raise invalid_event(event.seq, problem)
    objects: dict[str, Any] = dict(event.objects)
    for key, kind in _SNAPSHOTS.items():
        value = data.get(key)
        if key in data and (isinstance(value, dict) or key != "counter"):  # a counter may be named, not a snapshot
            try:
                objects[key] = kind.from_dict(value if isinstance(value, dict) else {})
            except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
                raise invalid_event(event.seq, f"its {key!r} cannot be read ({type(exc).__name__}: {exc})") from None
            problem = _typed(objects[key], site, now)
            if problem is not None:
                raise invalid_event(event.seq, f"its {key!r}: {problem}")
    if "counter" in data and not isinstance(data["counter"], (dict, str)):
        raise invalid_event(event.seq, "its 'counter' is a counter's snapshot or id")
    if event.type in (ev.DAY_CLOSED, ev.DAY_REOPENED):
        try:
            date.fromisoformat(data["day"])
        except (KeyError, TypeError, ValueError):
            raise invalid_event(event.seq, "its 'day' is not a date (YYYY-MM-DD)") from None
    if event.type == ev.DAY_CLOSED and not isinstance(data.get("reason"), (str, type(None))):
        raise invalid_event(event.seq, "its 'reason' is not text")
    if event.type == ev.SITE_RUNNING_TEXT and not isinstance(data.get("text"), (str, type(None))):
        raise invalid_event(event.seq, "its 'text' is not text")
    if event.type in (ev.SERVICE_PAUSED, ev.SERVICE_RESUMED):
        _check_pauses(site, event, data, now)
    if event.type == ev.SITE_CONFIGURED:
        try:
            Configuration.from_data(data)
        except (KeyError, TypeError, ValueError):
            raise invalid_event(
                event.seq, "a configuration carries its version, source, file_hash and document"
            ) from None
        if not isinstance(objects.get("site"), Site):
            raise invalid_event(event.seq, "its configuration cannot be read")
    _known(site, event, objects)
    return Event(event.type, event.site, event.at, {**data, SOURCE_SEQ: event.seq}, objects=objects)


def _check_pauses(site: Site, event: Event, data: dict[str, Any], now: datetime) -> None:
    """A service.paused event carries readable pauses, typed as the mall writes them, a service.resumed one a list
    of service ids; of known services both (domain/state.apply reads them as they are). A pause's time without its
    UTC offset was taken, and every page comparing it with now failed (a waiting citizen's phone page, a 500)."""
    if event.type == ev.SERVICE_PAUSED:
        pauses = data.get("pauses")
        try:
            read = [IssuingPause.from_dict(p) for p in pauses] if isinstance(pauses, list) else None
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError):
            read = None
        for pause in read or ():
            problem = _typed(pause, site, now)
            if problem is not None:
                raise invalid_event(event.seq, f"its pause of {pause.service!r}: {problem}")
        services = [pause.service for pause in read] if read is not None else None
    else:
        named = data.get("services")
        services = named if isinstance(named, list) and all(isinstance(s, str) for s in named) else None
    if services is None:
        raise invalid_event(event.seq, f"a {event.type} event carries its services' pauses or ids")
    for service_id in services:
        if service_id not in site.services:
            raise invalid_event(event.seq, f"it is of service {service_id!r}, which {site.id} does not have")


def unkeepable(value: Any, depth: int = 0) -> str | None:
    """Why a value of an event's data cannot be kept as it is (every database and screen takes what passes), or
    None: text without NUL or a lone surrogate and not too long, whole numbers within 2**53, no NaN, not too deep."""
    if depth > MAX_DEPTH:
        return f"nested more than {MAX_DEPTH} levels deep"
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            return f"a text longer than {MAX_TEXT} characters"
        if "\x00" in value or (not value.isascii() and not _encodable(value)):
            return "a text with a NUL character or a lone surrogate"
    elif isinstance(value, bool) or value is None:
        return None
    elif isinstance(value, int):
        return f"a number beyond {MAX_SEQ}" if abs(value) > MAX_SEQ else None
    elif isinstance(value, float):
        return "a number that is not finite" if not math.isfinite(value) else None
    elif isinstance(value, dict):
        for key, item in value.items():
            found = unkeepable(key, depth + 1) or unkeepable(item, depth + 1)
            if found is not None:
                return found
    elif isinstance(value, list):
        for item in value:
            found = unkeepable(item, depth + 1)
            if found is not None:
                return found
    else:
        return f"a value of type {type(value).__name__}"
    return None


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _typed(snapshot: Ticket | CounterStatus | Booking | IssuingPause, site: Site, now: datetime) -> str | None:
    """Why a parsed snapshot is not what the mall writes (its fields' types, its site, a ticket's channel and
    priority group, a number from 1), or None."""
    for spec in specs(type(snapshot)):
        value = getattr(snapshot, spec.name)
        if value is None:
            if not spec.optional:
                return f"{spec.name} is missing"
        elif spec.kind == "integer" and (isinstance(value, bool) or not isinstance(value, int) or abs(value) > MAX_INT):
            return f"{spec.name} is not a whole number up to {MAX_INT}"
        elif spec.kind == "boolean" and not isinstance(value, bool):
            return f"{spec.name} is not true or false"
        elif spec.kind == "string" and spec.format is None and spec.enum is None and not isinstance(value, str):
            return f"{spec.name} is not text"
        elif isinstance(value, str) and len(value) > MAX_FIELD:
            return f"{spec.name} is longer than {MAX_FIELD} characters"
        elif isinstance(value, datetime) and value.tzinfo is None:
            return f"{spec.name} has no UTC offset"
        elif isinstance(value, datetime) and not FIRST_TIME <= value <= now + LATEST:
            return f"{spec.name} is before 2000 or more than a year ahead"
        elif (
            isinstance(value, date)
            and not isinstance(value, datetime)
            and not FIRST_DAY <= value <= (now + LATEST).date()
        ):
            return f"{spec.name} is before 2000 or more than a year ahead"
    if isinstance(snapshot, (Ticket, Booking)) and snapshot.site != site.id:
        return f"it is of site {snapshot.site!r}, not {site.id!r}"
    if isinstance(snapshot, (Ticket, Booking)) and not snapshot.id:
        return "its id is empty"
    if isinstance(snapshot, Ticket):
        if snapshot.number < 1:
            return "its number is below 1"
        if not LABEL.match(snapshot.label):
            return f"its label {snapshot.label[:20]!r} is not a ticket number (A-001)"
        if snapshot.channel not in CHANNELS or (
            snapshot.priority is not None and snapshot.priority not in PRIORITY_GROUPS
        ):
            return f"channel {snapshot.channel!r} or priority group {snapshot.priority!r} is not one there is"
    return None


def _known(site: Site, event: Event, objects: dict[str, Any]) -> None:
    """Every service and counter the event's snapshots name is one of the site's."""
    for key in ("ticket", "new_ticket", "booking"):
        found = objects.get(key)
        if found is not None and found.service not in site.services:
            raise invalid_event(event.seq, f"its {key} is of service {found.service!r}, which {site.id} does not have")
    for key in ("ticket", "new_ticket"):
        found = objects.get(key)
        if found is not None and found.counter is not None and found.counter not in site.counters:
            raise invalid_event(event.seq, f"its {key} is at counter {found.counter!r}, which {site.id} does not have")
    counter = objects.get("counter")
    if counter is not None and counter.id not in site.counters:
        raise invalid_event(event.seq, f"it is of counter {counter.id!r}, which {site.id} does not have")


# What a mall's server never sends up (withheld): in a ticket's snapshot, in a booking's, and in an event's data.
_WITHHELD_TICKET: dict[str, Any] = {"token": "", "note": None}
_WITHHELD_BOOKING: dict[str, Any] = {"phone_masked": "", "contact": None, "phone_hash": None}
_WITHHELD_EVENT: dict[str, Any] = {"reason": None}
# A withheld booking's `code` and `nik_hash` read "withheld:<its id>": each booking's own (the mirror's database keeps
# a code once, and one active booking per NIK hash, service and day), nothing of the citizen's, and never the form of
# a code (BK-XXXXXX), so no look-up by code finds one.
WITHHELD_MARK = "withheld:"


def withheld(data: Mapping[str, Any]) -> dict[str, Any]:
    """An event's data as a mall's server sends it up and its mirror keeps it: without what none of the mirror's
    figures need and nobody there may hold. A ticket's `token` is the citizen's link (whoever holds it can cancel
    the ticket, answer its survey, leave a phone number for it): sent as "" (the mirror serves no ticket page, and
    a ticket's shape stays); its `note` and a cancellation's `reason` are staff's free text about a citizen: sent as
    null. A booking's `code` is as much a bearer secret (it shows and cancels the booking), its `nik_hash` and
    `phone_hash` stand for the citizen's NIK and number (the mall's one-booking rules count them), its `contact`
    names the citizen's number for messages and its `phone_masked` shows part of it: the mirror counts bookings by
    service, day, slot and state only, so the code and NIK hash go as WITHHELD_MARK and the booking's id, the rest
    as "" or null. The mall's own log keeps them. The same again gives the same."""
    out = dict(data)
    for key in ("ticket", "new_ticket"):
        ticket = out.get(key)
        if isinstance(ticket, dict) and (ticket.get("token") or ticket.get("note") is not None):
            out[key] = {**ticket, **{k: v for k, v in _WITHHELD_TICKET.items() if k in ticket}}
    booking = out.get("booking")
    if isinstance(booking, dict) and isinstance(booking.get("id"), str):
        mark = WITHHELD_MARK + booking["id"]
        kept = {"code": mark, "nik_hash": mark, **_WITHHELD_BOOKING}
        out["booking"] = {**booking, **{k: v for k, v in kept.items() if k in booking}}
    for key, value in _WITHHELD_EVENT.items():
        if out.get(key) is not None:
            out[key] = value
    return out


# What this release's uplink speaks (the box sends it, the mirror answers it): 3 withholds a booking's code, hashes
# and contact besides a ticket's link and staff's notes (2), and fingerprints "3:". Each fingerprint is of the event
# as this release sends it (withheld); its prefix is the protocol of the side it is compared with.
PROTOCOL = 3
FINGERPRINT_PREFIX = "3:"


def fingerprint(type_: str, data: Mapping[str, Any]) -> str:
    """One event of a mall's log as its own server and its mirror both hold it (the mirror's with SOURCE_SEQ added),
    counted without what is withheld from the mirror (so the mall's whole event and the mirror's copy agree).
    Where the copy ends, the two must agree: a box restored from an older backup and written on since has other
    events under the same numbers (other tickets, with other random ids), and its log would be spliced into the
    copy."""
    return _fingerprint(FINGERPRINT_PREFIX, type_, data)


def fingerprint_for(protocol: int, type_: str, data: Mapping[str, Any]) -> str | None:
    """The fingerprint of an event as the other side speaks it: this release's (3), or an earlier release's (2:
    counted the same, without the booking's secrets, so only of an event carrying no booking: the two sides hold a
    booking otherwise, and it is left unchecked), or none (1: that release fingerprints nothing)."""
    kept = data.get(TEXT_WITHHELD)
    if isinstance(kept, dict):  # the text the copy withholds: the fingerprints of the mall's event, made on receipt
        found = kept.get(str(min(protocol, PROTOCOL)))
        return found if isinstance(found, str) else None
    if protocol >= PROTOCOL:
        return fingerprint(type_, data)
    if protocol == 2 and not isinstance(data.get("booking"), dict):
        return _fingerprint("2:", type_, data)
    return None


def _fingerprint(prefix: str, type_: str, data: Mapping[str, Any]) -> str:
    body = {key: value for key, value in withheld(data).items() if key != SOURCE_SEQ}
    text = json.dumps([type_, body], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return prefix + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def text_withheld(type_: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """A running-text event whose text names a citizen, as a mirror keeps it (a box of an earlier release set it
    before texts were checked; this release's refuses one): the text "" (no screen or page served here shows it, no
    table keeps it) and, under TEXT_WITHHELD, the fingerprints of the event as the mall's log holds it, of each
    protocol that makes one, so the box and the copy still agree where the copy ends."""
    return {**data, "text": "", TEXT_WITHHELD: _fingerprints_kept(type_, data)}


def part_withheld(type_: str, data: Mapping[str, Any], kept: dict[str, Any]) -> dict[str, Any]:
    """An event with part of it withheld by a mirror (`kept`: the data as the copy keeps it; a day.closed event's
    reason left out, a service.paused event's reasons replaced), and, under TEXT_WITHHELD, the fingerprints of the
    event as the mall's log holds it: so the box and the copy still agree where the copy ends, as for a running text."""
    return {**kept, TEXT_WITHHELD: _fingerprints_kept(type_, data)}


def _fingerprints_kept(type_: str, data: Mapping[str, Any]) -> dict[str, str]:
    """The fingerprints of an event as the mall's log holds it, of each protocol that makes one (fingerprint_for
    returns them for the copy that withholds part of it)."""
    return {"2": _fingerprint("2:", type_, data), str(PROTOCOL): fingerprint(type_, data)}


def configuration_withheld(
    data: Mapping[str, Any], names_citizen: Callable[[str], bool], at: datetime
) -> tuple[dict[str, Any], list[str]]:
    """A relayed configuration (a `site.configured` event's data) as a mirror keeps it, and the places of the texts
    withheld from it as a site file's problem names them ("site.running_text", 'agencies[0 "disdukcapil"].counters[2
    "3"].name'; never the texts), or the data as it is and []. A box of an earlier release took any text;
    `names_citizen` (the API's check: a NIK, a phone number, an e-mail address, a birth date, a name as staff write
    one) finds the free texts of the document that a screen or a page shows which name a citizen (domain/shown_texts,
    the list this release's box refuses them by). Each is replaced by what a site file without it reads (an optional
    text left out, a name with a default by that default), or by its own id where a name is required; so the
    document still reads (names and zones stay each their own) and holds nothing of the mall's text. Under
    TEXT_WITHHELD: the fingerprints of the event as the mall's log holds it (text_withheld), the places and the
    event's time `at` (state.configuration_withheld reads them: the alert, also at start from the stored one)."""
    document = data.get("document")
    if not isinstance(document, dict):
        return dict(data), []
    out = copy.deepcopy(document)
    fields: list[str] = []
    counters = [t for t in shown_texts(out) if t.kind == "counter.name"]
    names = {" ".join(t.text.casefold().split()) for t in counters}
    zones = {t.text for t in shown_texts(out) if t.kind == "counter.zone"}
    zone_for: dict[str, str] = {}
    withheld_wifi = False
    for shown in list(shown_texts(out)):
        table, key, kind = shown.table, shown.key, shown.kind
        if kind == "counter.zone":  # a zone named anywhere is renamed everywhere, alike
            if shown.text in zone_for or names_citizen(shown.text):
                fields.append(shown.place)
                table[key] = zone_for.setdefault(shown.text, _unused(f"Zona {len(zone_for) + 1}", zones))
            continue
        if not names_citizen(shown.text) or (kind == "site.wifi_password" and withheld_wifi):
            continue
        fields.append(shown.place)
        if kind == "site.name":
            table[key] = str(table.get("id"))
        elif kind == "site.wifi":  # the password opens that network only, and without its name is refused
            withheld_wifi = True
            table.pop("wifi_password", None)
            table.pop(key)
        elif kind == "period.name":
            table[key] = f"Periode {shown.position + 1}"
        elif kind in ("agency.name", "service.name"):  # a required name: its id
            table[key] = str(table.get("id"))
        elif kind == "counter.name":  # its default, "Loket <id>", unless another counter is so named
            table[key] = _unused(f"Loket {table.get('id')}", names)
        elif kind == "site.running_text":
            table[key] = ""
        else:  # an optional text: its default (the regency none, the call's template, the agency's name, the id)
            table.pop(key)
    screens = out.get("screens")
    for screen in screens if isinstance(screens, list) else []:
        listed = screen.get("zones") if isinstance(screen, dict) else None
        if zone_for and isinstance(listed, (list, str)):  # the same zone, under the name it has here
            listed = [listed] if isinstance(listed, str) else listed
            screen["zones"] = [zone_for.get(z, z) if isinstance(z, str) else z for z in listed]
    if not fields:
        return dict(data), []
    kept = _fingerprints_kept(ev.SITE_CONFIGURED, data)
    return {**data, "document": out, TEXT_WITHHELD: {**kept, "fields": fields, "at": at.isoformat()}}, fields


def _unused(wanted: str, taken: set[Any]) -> str:
    """`wanted`, or it with a number after it where that is taken (compared as the site file compares names)."""
    candidate, n = wanted, 1
    while " ".join(candidate.casefold().split()) in taken or candidate in taken:
        n += 1
        candidate = f"{wanted}-{n}"
    taken.add(" ".join(candidate.casefold().split()))
    taken.add(candidate)
    return candidate


def invalid_event(seq: int, why: str) -> Refusal:
    """An event of a mall's log that cannot be taken, named by its seq at the mall (in the message and details)."""
    return Refusal("uplink_event_invalid", seq=seq, why=why, details={"seq": seq})
