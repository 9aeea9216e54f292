"""The wire format: the one place that decides what a message on the websocket (or in an API answer) looks like.

Two audiences of events: "public" (lobby displays, a citizen's phone) sees ticket labels, services and counters, and
never a token, a note or a priority group (the group is health or family information); "staff" (counters,
supervisors) sees the whole ticket except its public token. A third, "kiosk", gets no event at all: only the
kiosk's own view of the site (application/kiosk_view.py), less than the lobby's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from queue_server.common import jsontext
from queue_server.common.calls import describe
from queue_server.domain.booking import Booking
from queue_server.domain.catalogue import Site
from queue_server.domain.events import ANNOUNCED, DAY_CLOSED, SERVICE_PAUSED, SITE_CONFIGURED, Event
from queue_server.domain.model import CounterStatus, Ticket
from queue_server.domain.snapshot import view_fields

# How staff frames name people: the accounts a frame names -> each one's name as staff read it (the person's name,
# else the account: application/auth.person_name). Set by the app from its accounts; never used for a public frame.
People = Callable[[Iterable[str]], dict[str, str]]
# The fields that name an account: a ticket's last hand, and who opened (operates), paused, closed or was released
# from a counter. Staff fields all (domain/model.py), so a lobby frame names nobody.
TICKET_ACCOUNTS = ("by",)
COUNTER_ACCOUNTS = ("operator", "paused_by", "closed_by", "released_from")

PUBLIC = "public"
STAFF = "staff"
KIOSK = "kiosk"  # a kiosk and the front-office desk: no event at all, only the view (application/kiosk_view.py)

# What each audience sees, derived from the snapshot classes' field declarations (domain/snapshot.py).
PUBLIC_TICKET_FIELDS = tuple(f.name for f in view_fields(Ticket, "public"))
_FLAGGED = frozenset(f.name for f in view_fields(Ticket, "public") if f.wire_as == "flag")
STAFF_TICKET_FIELDS = tuple(f.name for f in view_fields(Ticket, "staff"))
PUBLIC_COUNTER_FIELDS = tuple(f.name for f in view_fields(CounterStatus, "public"))
# A booking's masked number is the citizen's: staff see it, a lobby screen never does. Its code (it alone cancels
# the booking), the NIK hash and the contact are sent to nobody: the citizen's own answers add the code
# (application/actions.booking_answer).
BOOKING_FIELDS = tuple(f.name for f in view_fields(Booking, "staff"))
PUBLIC_BOOKING_FIELDS = tuple(f.name for f in view_fields(Booking, "public"))


def public_ticket(d: dict[str, Any]) -> dict[str, Any]:
    out = {k: d.get(k) for k in PUBLIC_TICKET_FIELDS}
    for name in _FLAGGED:
        out[name] = bool(out[name])
    return out


def staff_ticket(d: dict[str, Any]) -> dict[str, Any]:
    return {k: d[k] for k in STAFF_TICKET_FIELDS if k in d}


def counter_view(d: dict[str, Any], audience: str) -> dict[str, Any]:
    """Displays see a counter's state and ticket; who operates it is staff business."""
    return d if audience == STAFF else {k: v for k, v in d.items() if k in PUBLIC_COUNTER_FIELDS}


def booking_view(d: dict[str, Any], audience: str = STAFF) -> dict[str, Any]:
    """A booking as its citizen and the staff see it (never the NIK hash), or as a lobby screen does."""
    fields = BOOKING_FIELDS if audience == STAFF else PUBLIC_BOOKING_FIELDS
    return {k: v for k, v in d.items() if k in fields}


def ticket_view(ticket: Ticket | dict[str, Any], audience: str) -> dict[str, Any]:
    d = ticket.to_dict() if isinstance(ticket, Ticket) else ticket
    return public_ticket(d) if audience == PUBLIC else staff_ticket(d)


def event_data(event: Event, audience: str) -> dict[str, Any]:
    if event.type == SITE_CONFIGURED:  # the document is the administrators' (GET .../configuration), not the screens'
        return {"version": event.data["version"]}
    data: dict[str, Any] = {}
    for key, value in event.data.items():
        if key in ("ticket", "new_ticket"):
            data[key] = ticket_view(value, audience)
        elif key == "counter" and isinstance(value, dict):
            data[key] = counter_view(value, audience)
        elif key == "reason" and audience == PUBLIC and event.type != DAY_CLOSED:
            continue  # staff's words about a ticket; a closed day's reason is for the hall (checked as a lobby text)
        elif key == "booking":
            data[key] = booking_view(value, audience)
        else:
            data[key] = value
    return data


def local_iso(at: datetime, site: Site | None) -> str:
    """ISO 8601 with the site's own offset (+07:00 in WIB), so clients show local time without guessing."""
    return (at.astimezone(site.tz) if site else at).isoformat(timespec="milliseconds")


def _local_pause(pause: Any, site: Site) -> Any:
    """A pause of a `service.paused` event with its times in the mall's offset, as the snapshot's `issuing_paused`
    gives them (domain/issuing_pause.pause_view): the event keeps `since` in UTC."""
    if not isinstance(pause, dict):
        return pause
    out = dict(pause)
    for key in ("since", "until"):
        if isinstance(out.get(key), str):
            out[key] = datetime.fromisoformat(out[key]).astimezone(site.tz).isoformat()
    return out


def event_message(event: Event, audience: str, site: Site | None, people: People | None = None) -> dict[str, Any]:
    """An event as its audience reads it. A staff frame (with `people`) also carries `people`: the name of every
    account it names, so a counter page says "oleh Sari Dewi" without knowing every account, and says it again
    after a reconnect. Names are added here, as the frame is made: the event log keeps accounts only."""
    data = event_data(event, audience)
    if site is not None and event.type == SERVICE_PAUSED and isinstance(data.get("pauses"), list):
        data["pauses"] = [_local_pause(p, site) for p in data["pauses"]]
    if site is not None and event.type in ANNOUNCED:
        data["announcement"] = describe(site, event)
    message = {
        "type": event.type,
        "seq": event.seq,
        "at": local_iso(event.at, site),
        "site": event.site,
        "data": data,
    }
    if audience == STAFF and people is not None:
        named = accounts_named([data.get("ticket"), data.get("new_ticket")], [data.get("counter")])
        if named:
            message["people"] = people(named)
    return message


def accounts_named(tickets: Iterable[Any], counters: Iterable[Any]) -> list[str]:
    """The accounts named by these tickets' and counters' staff views (dicts; anything else is skipped), each once."""
    found: dict[str, None] = {}
    for items, fields in ((tickets, TICKET_ACCOUNTS), (counters, COUNTER_ACCOUNTS)):
        for item in items:
            if isinstance(item, dict):
                for name in fields:
                    if isinstance(item.get(name), str) and item[name]:
                        found[item[name]] = None
    return list(found)


def dumps(message: dict[str, Any]) -> str:
    return jsontext.dumps(message)


def error_body(code: str, message_id: str, message_en: str, **details: Any) -> dict[str, Any]:
    """The error shape shared by HTTP answers and websocket error frames."""
    body: dict[str, Any] = {"code": code, "message": message_id, "message_en": message_en}
    if details:
        body["details"] = details
    return body
