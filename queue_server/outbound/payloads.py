"""What agency systems receive: the body of each webhook (docs/notifications.md lists every field, and
tests/test_outbox.py holds the docs to it). Built from the event's snapshots, with names beside ids and every time
in the site's own offset, so a receiver can compute its own waits and service times (called_at - issued_at,
finished_at - started_at) without another call. Never a token or a booking code, a transfer note, a NIK hash or a
number."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from queue_server.domain import events as ev
from queue_server.domain.catalogue import Site
from queue_server.domain.events import Event

TICKET_EVENTS = (
    ev.TICKET_ISSUED,
    ev.TICKET_CALLED,
    ev.TICKET_RECALLED,
    ev.TICKET_STARTED,
    ev.TICKET_FINISHED,
    ev.TICKET_NO_SHOW,
    ev.TICKET_REQUEUED,
    ev.TICKET_RETURNED,
    ev.TICKET_TRANSFERRED,
    ev.TICKET_CANCELLED,
    ev.TICKET_EXPIRED,
    ev.TICKET_PARKED,
)
BOOKING_EVENTS = (ev.BOOKING_CREATED, ev.BOOKING_CANCELLED, ev.BOOKING_CHECKED_IN, ev.BOOKING_RELEASED)
EVENT_TYPES = TICKET_EVENTS + BOOKING_EVENTS  # what a webhook endpoint may subscribe to


def _local(value: str | None, site: Site) -> str | None:
    return datetime.fromisoformat(value).astimezone(site.tz).isoformat(timespec="seconds") if value else None


def ticket_fields(d: dict[str, Any], site: Site) -> dict[str, Any]:
    service = site.services.get(d["service"])
    agency = site.agencies.get(d["agency"])
    counter = site.counters.get(d["counter"]) if d.get("counter") else None
    return {
        "id": d["id"],
        "label": d["label"],
        "service": d["service"],
        "service_name": service.name if service else d["service"],
        "agency": d["agency"],
        "agency_name": agency.name if agency else d["agency"],
        "state": d["state"],
        "channel": d["channel"],
        "priority": bool(d.get("priority")),
        "booked": d.get("booked_slot") is not None,
        "day": d["day"],
        "issued_at": _local(d["issued_at"], site),
        "called_at": _local(d.get("called_at"), site),
        "started_at": _local(d.get("started_at"), site),
        "finished_at": _local(d.get("finished_at"), site),
        "counter": d.get("counter"),
        "counter_name": counter.name if counter else None,
        "recalls": d.get("recalls", 0),
        "previous_leg": d.get("parent"),
    }


def booking_fields(d: dict[str, Any], site: Site) -> dict[str, Any]:
    service = site.services.get(d["service"])
    return {
        "id": d["id"],  # never its code: whoever holds that can see and cancel the booking, like a ticket's token
        "service": d["service"],
        "service_name": service.name if service else d["service"],
        "agency": service.agency if service else None,
        "day": d["day"],
        "slot": d["slot"][:5],
        "state": d["state"],
        "cancel_reason": d.get("cancel_reason"),
        "created_at": _local(d["created_at"], site),
        "ticket": d.get("ticket"),
    }


def agency_of(event: Event, site: Site) -> str | None:
    """The agency an event concerns (an endpoint may follow one agency of its site)."""
    ticket = event.data.get("ticket")
    if isinstance(ticket, dict):
        return str(ticket["agency"])
    booking = event.data.get("booking")
    if isinstance(booking, dict) and booking["service"] in site.services:
        return site.services[booking["service"]].agency
    return None


def body(message_id: str, event: Event, site: Site) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": message_id,
        "type": event.type,
        "site": site.id,
        "site_name": site.name,
        "occurred_at": event.at.astimezone(site.tz).isoformat(timespec="milliseconds"),
    }
    data = event.data
    if isinstance(data.get("ticket"), dict):
        out["ticket"] = ticket_fields(data["ticket"], site)
    if isinstance(data.get("new_ticket"), dict):
        out["new_ticket"] = ticket_fields(data["new_ticket"], site)
    if isinstance(data.get("booking"), dict):
        out["booking"] = booking_fields(data["booking"], site)
    return out
