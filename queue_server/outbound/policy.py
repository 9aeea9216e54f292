"""Which messages an event causes: a signed webhook to each endpoint that follows it, and a message to the citizen
who left a number. The engine asks this for every decided command and writes the rows in the command's own
transaction (pipeline/engine.py), so a message exists if and only if its event does. Sending happens later, off the
issuing and calling path (deliverer.py).

"N people before you" is caused by whichever event moves the line past the citizen's threshold (a call on any
counter that serves the ticket, a cancellation ahead, a counter opening): after such an event the policy asks the
wait forecast how many are ahead of each waiting ticket with a contact, and writes the message once per ticket (a
dedupe text, so also once across restarts and processes).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Any

from queue_server.common.ids import time_ordered_id
from queue_server.common.jsontext import dumps
from queue_server.domain import events as ev
from queue_server.domain.booking import DAY_CLOSED_REASON, Booking, BookingState
from queue_server.domain.catalogue import Site
from queue_server.domain.decide import checkin_window, expired_by_closing
from queue_server.domain.events import Event
from queue_server.domain.model import Ticket, TicketState
from queue_server.domain.state import SiteState
from queue_server.outbound import payloads
from queue_server.persistence.outbox import GATEWAY, Endpoint
from queue_server.persistence.port import OutboxRow

log = logging.getLogger(__name__)

# The citizen messages (templates: [message.*] of common/messages.toml).
TICKET_ISSUED = "ticket_issued"
PEOPLE_AHEAD = "people_ahead"
NEXT_UP = "next_up"  # "N people before you" with nobody left before: "you are next"
TRANSFERRED = "transferred"
RETURNED = "returned"  # the counter that called the ticket closed: back at the old place
DAY_REOPENED = "day_reopened"
YOUR_TURN = "your_turn"
NO_SHOW = "no_show"
SURVEY = "survey"
# Cancelled by staff (a citizen who cancels it from their link knows): where to go now, never who or why (the reason
# is staff's free text, which may name someone)
CANCELLED = "cancelled"
BOOKING_CONFIRMED = "booking_confirmed"
BOOKING_REMINDER_DAY = "booking_reminder_day"
BOOKING_REMINDER_HOUR = "booking_reminder_hour"
BOOKING_RELEASED = "booking_released"
BOOKING_CLOSED = "booking_closed"  # cancelled by the mall: a new configuration closes it at the booked time
# A supervisor closed today ("Tutup hari"): a ticket it expired is told, and so is a booking of today still to check
# in (not cancelled: the day may be reopened, and then it is told again that its booking stands).
DAY_CLOSED = "day_closed"
BOOKING_DAY_CLOSED = "booking_day_closed"
BOOKING_DAY_REOPENED = "booking_day_reopened"
# A one-time code verifying a number before it books (application/phone_codes.py writes it, not an event: the code
# is in no event; its payload holds it encrypted, `sealed_code`, opened only to send).
PHONE_CODE = "phone_code"
# A test message an admin sends from Settings to check the site's gateway (application/gateway_test.py; no event).
GATEWAY_TEST = "gateway_test"
KINDS = (TICKET_ISSUED, PEOPLE_AHEAD, NEXT_UP, TRANSFERRED, RETURNED, DAY_REOPENED, YOUR_TURN, NO_SHOW, SURVEY,
         CANCELLED, BOOKING_CONFIRMED, BOOKING_REMINDER_DAY, BOOKING_REMINDER_HOUR, BOOKING_RELEASED, BOOKING_CLOSED,
         DAY_CLOSED, BOOKING_DAY_CLOSED, BOOKING_DAY_REOPENED, PHONE_CODE, GATEWAY_TEST)  # fmt: skip
# The messages that are true only while their ticket waits in the line (the deliverer skips them otherwise).
WHILE_WAITING = (PEOPLE_AHEAD, NEXT_UP, TRANSFERRED, RETURNED, DAY_REOPENED)

# Events after which anyone may have come near the front of the line (every waiting ticket with a number is looked
# at), and events after which only their own ticket may be near already (it joined, or its citizen just asked).
LINE_MOVED = frozenset({ev.TICKET_CALLED, ev.TICKET_CANCELLED, ev.TICKET_TRANSFERRED, ev.TICKET_EXPIRED,
                        ev.TICKET_NO_SHOW, ev.COUNTER_OPENED})  # fmt: skip
JOINED = frozenset({ev.TICKET_ISSUED, ev.BOOKING_CHECKED_IN, ev.TICKET_CONTACT_LEFT})
# How many are ahead of a waiting ticket (the wait forecast's count; application/notifications.py); None: unknown.
PeopleAhead = Callable[[SiteState, datetime, Ticket], "int | None"]

REMINDER_EVENING = time(19, 0)  # the day-before reminder goes out at this local time
REMINDER_BEFORE = timedelta(hours=1)  # ... and the second this long before the slot


class Subscriptions:
    """The active webhook endpoints by site, as the policy matches events to them. Replaced whole when the
    endpoints change (here, or read again every few seconds: the CLI or another process changed them)."""

    def __init__(self, endpoints: Iterable[Endpoint] = ()) -> None:
        self.by_site: dict[str, list[Endpoint]] = {}
        self.replace(endpoints)

    def replace(self, endpoints: Iterable[Endpoint]) -> None:
        by_site: dict[str, list[Endpoint]] = {}
        for endpoint in endpoints:
            if endpoint.active:
                by_site.setdefault(endpoint.site, []).append(endpoint)
        self.by_site = by_site

    def matching(self, site: str, agency: str | None, event_type: str) -> list[Endpoint]:
        return [
            e for e in self.by_site.get(site, ()) if event_type in e.events and (e.agency is None or e.agency == agency)
        ]


class Policy:
    """events -> outbox rows, for the engine (`Engine(effects=...)`)."""

    def __init__(
        self, subscriptions: Subscriptions, people_ahead: PeopleAhead, new_id: Callable[[], str] = time_ordered_id
    ) -> None:
        self.subscriptions = subscriptions
        self.people_ahead = people_ahead
        self.new_id = new_id
        self._told: dict[str, set[str]] = {}  # per site: tickets told "N people before you"

    def __call__(self, events: list[Event], state: SiteState) -> list[OutboxRow]:
        site = state.site
        rows: list[OutboxRow] = []
        hooks = site.id in self.subscriptions.by_site
        try:
            reopened = any(e.type == ev.DAY_REOPENED for e in events)
            closed = next((e for e in events if e.type == ev.DAY_CLOSED and _closes_today(e, site)), None)
            for event in events:
                if hooks and event.type in payloads.EVENT_TYPES:
                    rows.extend(self._webhooks(event, site))
                if site.notify.offered:
                    rows.extend(self._citizen(event, state, reopened=reopened, closed=closed))
                if site.notify.offered and event.type in (ev.DAY_CLOSED, ev.DAY_REOPENED):
                    rows.extend(self._bookings_of_the_day(event, state, closed=event is closed))
            if site.notify.offered and state.contacts_waiting:
                rows.extend(self._near(events, state))
        except Exception:  # a bug here must not refuse a citizen's ticket; it is logged loudly instead
            log.exception("building the messages of %s failed; none is sent for it", events[0].type)
        return rows

    def _near(self, events: list[Event], state: SiteState) -> list[OutboxRow]:
        """ "N people before you" for whoever the events brought near: after a move of the line, every waiting
        ticket with a number (each an O(1) look at the forecast); after a join, the joining ticket only."""
        if any(e.type in LINE_MOVED for e in events):
            which = None
        else:
            which = {e.data["ticket"]["id"] for e in events if e.type in JOINED and e.data["ticket"].get("contact")}
            if not which:
                return []
        told = self._told.setdefault(state.site.id, set())
        if len(told) > 2 * len(state.tickets) + 100:  # a past day's tickets are gone from the state
            told.intersection_update(state.tickets)
        at = events[-1].at
        return near_messages(state, told, partial(self.people_ahead, state, at), at, self.new_id, which)

    def _webhooks(self, event: Event, site: Site) -> list[OutboxRow]:
        agency = payloads.agency_of(event, site)
        rows = []
        for endpoint in self.subscriptions.matching(site.id, agency, event.type):
            message_id = self.new_id()
            rows.append(
                OutboxRow(
                    message_id,
                    site.id,
                    endpoint.id,
                    event.type,
                    _key(event),
                    dumps(payloads.body(message_id, event, site)),
                    event.at,
                    event.at,
                )
            )
        return rows

    def _bookings_of_the_day(self, event: Event, state: SiteState, *, closed: bool) -> list[OutboxRow]:
        """Today closed by a supervisor, or reopened: each booking of today still to check in whose citizen left a
        number, and whose check-in window has not ended (one that has is a no-show being released), is told. A close
        of a day closed already (`again`: a counter the first close missed) tells nobody again; nor does the close of
        a past day (the server's own at midnight: its bookings are over)."""
        if event.type == ev.DAY_CLOSED and (not closed or event.data.get("again")):
            return []
        site, at, day = state.site, event.at, date.fromisoformat(event.data["day"])
        kind = BOOKING_DAY_CLOSED if event.type == ev.DAY_CLOSED else BOOKING_DAY_REOPENED
        link = f"{site.notify.public_url}/booking/{site.id}"  # to book another time
        out = []
        for booking in bookings_to_tell(state, day, at):
            assert booking.contact is not None
            params = {"site": site.name, "booking": booking.id, "code": booking.code,
                      "service": _service_name(site, booking.service), "day": booking.day.isoformat(),
                      "slot": booking.slot.strftime("%H:%M"), "link": link}  # fmt: skip
            if kind == BOOKING_DAY_CLOSED:
                params["reason"] = event.data.get("reason") or ""
            out.append(OutboxRow(self.new_id(), site.id, GATEWAY, kind, f"b:{booking.id}", json.dumps(params), at, at,
                                 booking.contact))  # fmt: skip
        return out

    def _citizen(
        self, event: Event, state: SiteState, reopened: bool = False, closed: Event | None = None
    ) -> list[OutboxRow]:
        site, data, at = state.site, event.data, event.at
        ticket, booking = data.get("ticket"), data.get("booking")
        out: list[OutboxRow] = []

        def message(kind: str, contact: str, key: str, due: datetime = at, **params: Any) -> None:
            params["site"] = site.name
            out.append(OutboxRow(self.new_id(), site.id, GATEWAY, kind, key, json.dumps(params), due, at, contact))

        if isinstance(booking, dict) and booking.get("contact") and event.type != ev.BOOKING_CHECKED_IN:
            contact, key = booking["contact"], f"b:{booking['id']}"
            about = _booking_params(booking, site)
            if event.type == ev.BOOKING_CREATED:
                message(BOOKING_CONFIRMED, contact, key, **about)
                slot = datetime.fromisoformat(booking["slot_start"])
                evening = datetime.combine(site.local(slot).date() - timedelta(days=1), REMINDER_EVENING, site.tz)
                if evening > at:
                    message(BOOKING_REMINDER_DAY, contact, key, evening, **about)
                if slot - REMINDER_BEFORE > at + timedelta(minutes=10):
                    message(BOOKING_REMINDER_HOUR, contact, key, slot - REMINDER_BEFORE, **about)
            elif event.type == ev.BOOKING_RELEASED and date.fromisoformat(booking["day"]) not in state.closed_days:
                # (its day closed by a supervisor: it could not check in, and was told so; not blamed as a no-show)
                message(BOOKING_RELEASED, contact, key, **about)
            elif event.type == ev.BOOKING_CANCELLED and booking.get("cancel_reason") not in (None, DAY_CLOSED_REASON):
                # by the mall, not its citizen (one of a day a supervisor closed was told at the close: not again)
                link = f"{site.notify.public_url}/booking/{site.id}"  # to book another time
                message(BOOKING_CLOSED, contact, key, reason=booking["cancel_reason"], link=link, **about)
        if not isinstance(ticket, dict) or not ticket.get("contact"):
            return out
        contact, key = ticket["contact"], f"t:{ticket['token']}"
        about = {"ticket": ticket["label"], "service": _service_name(site, ticket["service"])}
        link = f"{site.notify.public_url}/t/{ticket['token']}"
        if event.type in (ev.TICKET_ISSUED, ev.BOOKING_CHECKED_IN, ev.TICKET_CONTACT_LEFT):
            message(TICKET_ISSUED, contact, key, link=link, ticket_id=ticket["id"], **about)
        elif event.type in (ev.TICKET_CALLED, ev.TICKET_RECALLED):
            # "Loket 9, Lantai 2" where the mall's counters are on more than one floor
            # counter_id: a "your turn" sent late names a counter the citizen may no longer be called to (deliverer)
            message(YOUR_TURN, contact, key, ticket_id=ticket["id"], counter=site.counter_place(ticket["counter"]),
                    counter_id=ticket["counter"], **about)  # fmt: skip
        elif event.type == ev.TICKET_NO_SHOW:
            message(NO_SHOW, contact, key, ticket_id=ticket["id"], **about)
        elif event.type == ev.TICKET_EXPIRED and closed is not None:  # expired by today's close, not at midnight's
            message(DAY_CLOSED, contact, key, ticket_id=ticket["id"], reason=closed.data.get("reason") or "", **about)
        elif event.type == ev.TICKET_CANCELLED and ticket.get("by"):  # by staff: a citizen's own has no `by`
            message(CANCELLED, contact, key, ticket_id=ticket["id"], **about)
        elif event.type == ev.TICKET_TRANSFERRED and isinstance(data.get("new_ticket"), dict):
            leg = data["new_ticket"]  # the citizen's place is the new leg now: told where, and near again from it
            message(TRANSFERRED, contact, key, link=link, ticket_id=leg["id"], ticket=leg["label"],
                    service=_service_name(site, leg["service"]))  # fmt: skip
        elif event.type == ev.TICKET_RETURNED:
            message(DAY_REOPENED if reopened else RETURNED, contact, key, link=link, ticket_id=ticket["id"], **about)
        elif event.type == ev.TICKET_FINISHED and site.notify.survey and ticket["state"] == TicketState.DONE.value:
            message(SURVEY, contact, key, link=link, **about)
        return out


def near_messages(
    state: SiteState,
    told: set[str],
    people_ahead: Callable[[Ticket], int | None],
    now: datetime,
    new_id: Callable[[], str] = time_ordered_id,
    which: set[str] | None = None,
) -> list[OutboxRow]:
    """ "N people before you" for each waiting ticket with a contact (of `which`, or all) that has come that near
    and was not told yet (`told`: ticket ids, kept by the caller; the row's dedupe text keeps it once across
    restarts and processes)."""
    site = state.site
    if not site.notify.offered:
        return []
    out = []
    for ticket_id in list(state.contacts_waiting if which is None else which & state.contacts_waiting):
        ticket = state.tickets.get(ticket_id)
        if ticket is None or ticket.state is not TicketState.WAITING or ticket.id in told:
            continue
        ahead = people_ahead(ticket)
        if ahead is None or ahead > site.notify.people_ahead:
            continue
        told.add(ticket.id)
        kind = PEOPLE_AHEAD if ahead > 0 else NEXT_UP  # "0 more before number ..." reads wrong
        link = f"{site.notify.public_url}/t/{ticket.token}"
        params = {"site": site.name, "ticket": ticket.label, "service": _service_name(site, ticket.service),
                  "people": ahead, "ticket_id": ticket.id, "link": link}  # fmt: skip
        out.append(
            OutboxRow(
                new_id(),
                site.id,
                GATEWAY,
                kind,
                f"t:{ticket.token}",
                json.dumps(params),
                now,
                now,
                ticket.contact,
                dedupe=f"near:{ticket.id}",
            )  # fmt: skip
        )
    return out


def bookings_to_tell(state: SiteState, day: date, at: datetime) -> list[Booking]:
    """The bookings of `day` a close or reopen at `at` tells: still to check in, with a number, their check-in window
    not over (one that is over is a no-show being released)."""
    return sorted(
        (b for b in state.bookings.values() if b.day == day and b.state is BookingState.BOOKED and b.contact
         and checkin_window(state, b)[1] >= at),
        key=lambda b: (b.slot_start, b.code),
    )  # fmt: skip


def told_if_closed(state: SiteState, now: datetime) -> int | None:
    """How many messages closing today now would send (the "Tutup hari" dialog says it): one to each ticket it
    would expire (domain/decide.py's close) whose citizen left a number, one to each booking `bookings_to_tell`;
    None where the site sends no messages."""
    if not state.site.notify.offered:
        return None
    day = state.site.service_day(now)
    tickets = sum(1 for t in expired_by_closing(state, day) if t.contact)
    return tickets + len(bookings_to_tell(state, day, now))


def _closes_today(event: Event, site: Site) -> bool:
    """A close of the day it happens on (a supervisor's "Tutup hari"), not of a past one (the server's own at
    midnight, or a supervisor closing yesterday late): only then is anyone still waiting to be told."""
    return bool(event.data["day"] == site.service_day(event.at).isoformat())


def _key(event: Event) -> str:
    """Messages of one citizen's ticket (every leg: they share the token) or booking go out in order."""
    ticket = event.data.get("ticket")
    if isinstance(ticket, dict):
        return f"t:{ticket['token']}"
    booking = event.data.get("booking")
    return f"b:{booking['id']}" if isinstance(booking, dict) else event.type


def _service_name(site: Site, service_id: str) -> str:
    service = site.services.get(service_id)
    return service.name if service else service_id


def _booking_params(booking: dict[str, Any], site: Site) -> dict[str, Any]:
    return {"code": booking["code"], "service": _service_name(site, booking["service"]), "day": booking["day"],
            "slot": booking["slot"][:5], "booking": booking["id"]}  # fmt: skip


# The messages that tell a booked citizen to check in: they say until when (a booking not checked in by then is
# released), from the site's policy as it is when the message goes out (DeliveryWorker, `window`).
TELLS_CHECKIN = (BOOKING_CONFIRMED, BOOKING_REMINDER_DAY, BOOKING_REMINDER_HOUR, BOOKING_DAY_REOPENED)


def checkin_window_said(state: SiteState, booking_id: str) -> dict[str, str]:
    """The booking's check-in window in local wall-clock time ({"from": "08:30", "until": "09:15"}), for the
    sentence's `checkin_window` format; {} when the booking is not known here (a message written by an earlier
    release, its booking gone): the sentence then says "when you arrive", as it did."""
    booking = state.bookings.get(booking_id)
    if booking is None:
        return {}
    opens, closes = checkin_window(state, booking)
    site = state.site
    return {"from": site.local(opens).strftime("%H:%M"), "until": site.local(closes).strftime("%H:%M")}
