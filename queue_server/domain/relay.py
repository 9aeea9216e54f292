"""A mall that runs on its own box sends its event log up to a server that mirrors it (outbound/uplink.py sends,
`serve --mirror SITE` receives). The mall decided every event; the mirror only applies them, so it is an exact
copy that reports, dashboards and the national view read like any hosted site.

The rules that keep it exact: a batch continues where the last one ended, counted in the mall's own seqs (a batch
sent twice, or after a lost answer, is refused with the seq the mirror expects, and nothing is applied twice); every
event is of this site, of a known type and carries the snapshots its type needs; a mirrored site takes no other
command (what happens there is decided at the mall)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from queue_server.domain import commands as c
from queue_server.domain import events as ev
from queue_server.domain.booking import Booking
from queue_server.domain.catalogue import Site
from queue_server.domain.events import Event
from queue_server.domain.model import CounterStatus, Ticket
from queue_server.domain.refusal import Refusal
from queue_server.domain.state import SOURCE_SEQ, SiteState

MAX_EVENTS = 1000  # per batch: a day's log goes up in a few requests, none too large to retry

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
        raise Refusal("uplink_event_invalid", seq=cmd.events[MAX_EVENTS].seq, why=f"more than {MAX_EVENTS} events")
    relayed: list[Event] = []
    previous = cmd.after
    site = state.site  # as configured at each event: a configuration relayed in this batch counts from there on
    for event in cmd.events:
        if event.seq <= previous:
            _invalid(event, f"seq {event.seq} does not follow {previous}")
        previous = event.seq
        relayed.append(_checked(site, event))
        configured = relayed[-1].objects.get("site")
        if event.type == ev.SITE_CONFIGURED and isinstance(configured, Site):
            site = configured
    return relayed


def _checked(site: Site, event: Event) -> Event:
    """The event as the mirror logs it: its snapshots parsed and of the site as it is configured (so that applying
    cannot fail half-way through a batch, and no dashboard meets a service or counter it does not know), its seq at
    the mall kept in its data."""
    if event.site != site.id:
        _invalid(event, f"it is of site {event.site!r}, not {site.id!r}")
    if event.type not in ev.EVENT_TYPES:
        _invalid(event, f"unknown type {event.type!r}")
    if event.at.tzinfo is None:
        _invalid(event, "its time has no UTC offset")
    data = event.data
    for prefix, key in _NEEDS.items():
        if event.type.startswith(prefix) and not isinstance(data.get(key), dict):
            _invalid(event, f"a {event.type} event carries a {key!r} object")
    objects: dict[str, Any] = dict(event.objects)
    for key, kind in _SNAPSHOTS.items():
        value = data.get(key)
        if key in data and (isinstance(value, dict) or key != "counter"):  # a counter may be named, not a snapshot
            try:
                objects[key] = kind.from_dict(value if isinstance(value, dict) else {})
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                _invalid(event, f"its {key!r} cannot be read ({type(exc).__name__}: {exc})")
    if event.type in (ev.DAY_CLOSED, ev.DAY_REOPENED):
        try:
            date.fromisoformat(data["day"])
        except (KeyError, TypeError, ValueError):
            _invalid(event, "its 'day' is not a date (YYYY-MM-DD)")
    if event.type == ev.SITE_RUNNING_TEXT and not isinstance(data.get("text"), (str, type(None))):
        _invalid(event, "its 'text' is not text")
    if event.type == ev.SITE_CONFIGURED and not isinstance(objects.get("site"), Site):
        _invalid(event, "its configuration cannot be read")
    _known(site, event, objects)
    return Event(event.type, event.site, event.at, {**data, SOURCE_SEQ: event.seq}, objects=objects)


def _known(site: Site, event: Event, objects: dict[str, Any]) -> None:
    """Every service and counter the event's snapshots name is one of the site's."""
    for key in ("ticket", "new_ticket", "booking"):
        found = objects.get(key)
        if found is not None and found.service not in site.services:
            _invalid(event, f"its {key} is of service {found.service!r}, which {site.id} does not have")
    for key in ("ticket", "new_ticket"):
        found = objects.get(key)
        if found is not None and found.counter is not None and found.counter not in site.counters:
            _invalid(event, f"its {key} is at counter {found.counter!r}, which {site.id} does not have")
    counter = objects.get("counter")
    if counter is not None and counter.id not in site.counters:
        _invalid(event, f"it is of counter {counter.id!r}, which {site.id} does not have")


def _invalid(event: Event, why: str) -> None:
    raise Refusal("uplink_event_invalid", seq=event.seq, why=why, details={"seq": event.seq})
