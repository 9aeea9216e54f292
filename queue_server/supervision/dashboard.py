"""The live figures of a supervisor's dashboard, computed from the engine's in-memory state (today's tickets, the
counters) and the device registry, with the same definitions as the reports (domain/measures.py).

Per service: people waiting, the longest current wait, mean wait and service time today, served in the last hour,
the walk-in quota issued and left (and when it ran out), and what a ticket taken now would be told (the wait as a
range, or that its call falls after closing: a supervisor opens a counter or stops issuing before citizens wait in
vain).
Per counter: closed, paused, idle (since when, and who waits for its services meanwhile), called or serving, with
the ticket, since when, and the service's usual time. The tickets parked at counters. Per display: connected, audio,
last call. And the alerts those figures raise (alerts.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from queue_server.application import audit_trail
from queue_server.application.forecasts import waits_if_joined_now
from queue_server.domain.catalogue import Site
from queue_server.domain.decide import expired_by_closing
from queue_server.domain.issuing_pause import pause_view
from queue_server.domain.measures import queued_at
from queue_server.domain.model import CounterState, CounterStatus, Ticket, TicketState
from queue_server.domain.state import SiteState
from queue_server.live import wire
from queue_server.outbound import policy
from queue_server.supervision import alerts
from queue_server.supervision.today import Today

THROUGHPUT_WINDOW = timedelta(hours=1)


def _queued_at(state: SiteState, ticket: Ticket) -> datetime:
    parent = state.tickets.get(ticket.parent) if ticket.parent else None
    return queued_at(ticket, parent.finished_at if parent else None)


def _oldest(state: SiteState, service_id: str, now: datetime) -> tuple[Ticket | None, float | None]:
    """The service's ticket waiting longest today, and for how many seconds (None, None: nobody waits). A past day's
    ticket left waiting until its day is closed is no one waiting now (SiteState.waiting_on)."""
    day = state.site.service_day(now)
    oldest = min(state.waiting_on(service_id, day), key=lambda t: _queued_at(state, t), default=None)
    if oldest is None:
        return None, None
    return oldest, max(0.0, (now - _queued_at(state, oldest)).total_seconds())


def _services(state: SiteState, now: datetime, today: Today) -> list[dict[str, Any]]:
    site = state.site
    out = []
    new_ticket = waits_if_joined_now(state, now)
    day = site.service_day(now)
    for sid, service in site.services.items():
        oldest, longest = _oldest(state, sid, now)
        totals = today.of(sid)
        spent_at = state.walk_ins_spent_at(sid, day, now)
        out.append(
            {
                "id": sid,
                "name": service.name,
                "agency": service.agency,
                "prefix": service.prefix,
                "target_wait_minutes": service.target_wait_minutes,
                "waiting": state.waiting_count(sid, day),
                "longest_wait": longest,
                "longest_label": oldest.label if oldest else None,
                "mean_wait": totals.mean_wait(),
                "mean_service": totals.mean_service(),
                "tickets": totals.tickets,
                "served": totals.served,
                "no_show": totals.no_show,
                "served_last_hour": totals.served_since(now - THROUGHPUT_WINDOW),
                "counters_open": sum(
                    1 for c in site.counters_serving(sid) if state.counters[c.id].state is CounterState.OPEN
                ),
                "new_ticket": new_ticket[sid].to_dict(),
                # The walk-in share of the daily quota (the engine's own count, the one issuing is refused by):
                # None when the service has no quota.
                "quota": service.walk_in_quota,
                "quota_issued": state.walk_ins.get((sid, day), 0),
                "quota_left": state.walk_ins_left(sid, day, now),
                "quota_spent_at": wire.local_iso(spent_at, site) if spent_at else None,
                # its issuing paused today, with why (None: issuing): the row says it and offers "Lanjutkan"
                "paused": pause_view(pause, site.tz) if (pause := state.issuing_pause(sid, day)) else None,
            }
        )
    return out


def counter_activity(status_state: CounterState, ticket: Ticket | None) -> str:
    """closed, paused, idle (open, nobody at the counter), called (waiting for the citizen) or serving."""
    if status_state is CounterState.CLOSED:
        return "closed"
    if status_state is CounterState.PAUSED:
        return "paused"
    if ticket is None:
        return "idle"
    return "serving" if ticket.state is TicketState.SERVING else "called"


def _counters(state: SiteState, now: datetime, today: Today, people: wire.People | None) -> list[dict[str, Any]]:
    site = state.site
    named = wire.accounts_named([], [status.to_dict() for status in state.counters.values()])
    names = people(named) if people is not None else {account: account for account in named}
    out = []
    oldest = {sid: _oldest(state, sid, now) for sid in site.services}
    for cid, counter in site.counters.items():
        status = state.counters[cid]
        ticket = state.tickets.get(status.current) if status.current else None
        since = (ticket.started_at or ticket.called_at) if ticket else None
        seconds = max(0.0, (now - since).total_seconds()) if since else None
        idle = counter_activity(status.state, ticket) == "idle" and status.idle_since is not None
        # The service's usual time per citizen (what the wait estimate has learnt today, else the configured one):
        # a service running well past it is marked, then an alert (alerts.overrun).
        usual = state.times.minutes(ticket.service) * 60 if ticket else None
        out.append(
            {
                "id": cid,
                "name": counter.name,
                "agency": counter.agency,
                "services": list(counter.services),  # where a parked ticket may be called back
                "state": status.state.value,
                "activity": counter_activity(status.state, ticket),
                "operator": status.operator,
                # the person, as the counter pages and the server's sentences name them (auth.person_name)
                "operator_name": names.get(status.operator) if status.operator else None,
                "ticket": ticket.label if ticket else None,
                "ticket_id": ticket.id if ticket else None,
                "service": ticket.service if ticket else None,
                "since": wire.local_iso(since, site) if since else None,
                "seconds": seconds,
                "usual_seconds": usual,
                "overrun": alerts.overrun(seconds, usual, site.alerts),
                "served_today": today.served_at_counter.get(cid, 0),
                # Open with nobody called, since when (from the events: the same after a restart, on every process).
                "idle_since": wire.local_iso(status.idle_since, site) if idle and status.idle_since else None,
                "idle_seconds": max(0.0, (now - status.idle_since).total_seconds())
                if idle and status.idle_since
                else None,
                **_waiting_for(state, counter.services, oldest, status.idle_since if idle else None, now),
                "released": _released(status, site) if status.state is CounterState.CLOSED else None,
                "left": _left(status, site, now, names),
            }
        )
    return out


def _waiting_for(
    state: SiteState,
    services: Sequence[str],
    oldest: Mapping[str, tuple[Ticket | None, float | None]],
    idle_since: datetime | None,
    now: datetime,
) -> dict[str, Any]:
    """For an idle counter: how many wait for its services, the one waiting longest, and how long that citizen has
    waited while the counter stood idle (the `counter_idle` alert); nothing for a counter at work."""
    if idle_since is None:
        return {"waiting_for": None, "waiting_label": None, "idle_while_waiting": None}
    day = state.site.service_day(now)
    waiting = sum(state.waiting_count(sid, day) for sid in services)
    found = [(ticket, waited) for ticket, waited in (oldest.get(sid, (None, None)) for sid in services)
             if ticket is not None and waited is not None]  # fmt: skip
    if not found:
        return {"waiting_for": waiting, "waiting_label": None, "idle_while_waiting": None}
    ticket, waited = max(found, key=lambda pair: pair[1])
    overlap = min(waited, (now - idle_since).total_seconds())
    return {"waiting_for": waiting, "waiting_label": ticket.label, "idle_while_waiting": max(0.0, overlap)}


def _parked(state: SiteState, now: datetime) -> list[dict[str, Any]]:
    """Tickets set aside at a counter (the citizen fetches a document), the longest parked first: a supervisor calls
    one back to a counter or sends it back to its line ("Tindakan tiket"). The note is left out: staff's free text."""
    site = state.site
    parked = sorted((t for t in state.tickets.values() if t.state is TicketState.PARKED),
                    key=lambda t: (t.parked_at or t.called_at or t.issued_at, t.id))  # fmt: skip
    out = []
    for t in parked:
        counter = site.counters.get(t.counter or "")
        service = site.services.get(t.service)
        out.append(
            {
                "id": t.id,
                "label": t.label,
                "service": t.service,
                "service_name": service.name if service else t.service,
                "agency": t.agency,
                "counter": t.counter,
                "counter_name": counter.name if counter else t.counter,
                "since": wire.local_iso(t.parked_at, site) if t.parked_at else None,
                "seconds": max(0.0, (now - t.parked_at).total_seconds()) if t.parked_at else None,
            }
        )
    return out


def _left(status: CounterStatus, site: Site, now: datetime, names: dict[str, str]) -> dict[str, Any] | None:
    """Who paused or closed the counter (`by`, the account; `by_name`, the person as every staff screen names them),
    and when ("Dijeda oleh Sari Dewi sejak 10.02"): staff data, never the lobby's.
    None when its state names nobody (an event an earlier release wrote; a close by the server, which `released`
    explains), or for a close on an earlier day: "sejak 16.00" would read as today's."""
    if status.state is CounterState.PAUSED:
        by, at = status.paused_by, status.paused_at
    elif status.state is CounterState.CLOSED:
        by, at = status.closed_by, status.closed_at
    else:
        return None
    if not by or at is None or site.service_day(at) != site.service_day(now):
        return None
    return {"by": by, "by_name": names.get(by, by), "at": wire.local_iso(at, site)}


def _released(status: CounterStatus, site: Site) -> dict[str, Any] | None:
    """Why the server closed the counter by itself, in both languages (the audit log's sentence)."""
    if not status.released:
        return None
    at = status.released_at
    said = audit_trail.release_said(site.counters[status.id].name, status.released_from, status.released,
                                    status.released_ticket, status.released_parked)  # fmt: skip
    return {"at": wire.local_iso(at, site) if at else None, **said}


def device_health(device: dict[str, Any]) -> str:
    """down: not connected; warning: connected but its sound is blocked or unknown; ok otherwise."""
    if not device.get("connected"):
        return "down"
    return "warning" if device.get("audio") in ("blocked", "unknown") else "ok"


def _devices(site: Site, registry: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for d in registry:
        screen = site.screens.get(d.get("screen") or "")
        out.append(
            {
                "id": d["id"],
                "name": d["name"],
                "screen": d.get("screen"),
                "screen_name": screen.name if screen else d.get("screen"),
                "agencies": list(screen.agencies) if screen else [],
                "connected": d["connected"],
                "audio": d["audio"],
                "last_call_label": d.get("last_call_label"),
                "last_seen": d.get("last_seen"),
                "health": device_health(d),
            }
        )
    return sorted(out, key=lambda d: (d["health"] != "down", d["screen_name"] or "", d["name"]))


def _totals(
    services: list[dict[str, Any]],
    counters: list[dict[str, Any]],
    devices: list[dict[str, Any]],
    screens: list[dict[str, Any]],
    expiring: int | None = None,
    told: int | None = None,
) -> dict[str, Any]:
    waits = [s["longest_wait"] for s in services if s["longest_wait"] is not None]
    # As the national view counts them: a screen of the site file with no display connected now, one whose TV never
    # came on too (counting only displays that dropped said "0" while no TV was on at all).
    shown = {d["screen"] for d in devices if d["health"] != "down"}
    return {
        "waiting": sum(s["waiting"] for s in services),
        "served": sum(s["served"] for s in services),
        "served_last_hour": sum(s["served_last_hour"] for s in services),
        "longest_wait": max(waits) if waits else None,
        "counters_open": sum(1 for c in counters if c["state"] == "open"),
        "devices_down": sum(1 for d in devices if d["health"] == "down"),
        "screens_down": sum(1 for s in screens if s["id"] not in shown),
        "screens_total": len(screens),
        "expiring": expiring,
        "told_if_closed": told,
    }


def figures(
    state: SiteState,
    now: datetime,
    registry: list[dict[str, Any]],
    today: Today | None = None,
    deliveries: Sequence[dict[str, Any]] = (),
    clock_doubt: dict[str, Any] | None = None,
    missing: Sequence[dict[str, Any]] = (),
    uplink: dict[str, Any] | None = None,
    held: Sequence[dict[str, Any]] = (),
    *,
    configuration: Mapping[str, dict[str, Any]] | None = None,
    storage: dict[str, Any] | None = None,
    codes_capped: dict[str, Any] | None = None,
    people: wire.People | None = None,
) -> dict[str, Any]:
    """Everything the site's dashboard shows, as of `now` (the server's clock). `today` carries the day's totals
    from one call to the next (monitor.py keeps one per site); without it they are counted afresh. `held`: counters
    left open by a disabled account (monitor.py, alerts.py). `people`: how staff read the accounts named (the
    server's accounts; without it, by the account)."""
    site = state.site
    today = today or Today()
    today.update(state, site.service_day(now))
    services = _services(state, now, today)
    counters = _counters(state, now, today, people)
    devices = _devices(site, registry)
    screens = [{"id": s.id, "name": s.name, "agencies": list(s.agencies)} for s in site.screens.values()]
    # What closing the day now would expire (domain/decide.py's close): the "Tutup hari" dialog says how many.
    day = site.service_day(now)
    expiring = sum(1 for _ in expired_by_closing(state, day))
    told = policy.told_if_closed(state, now)  # ... and how many citizens it would tell by WhatsApp/SMS
    return {
        "site": site.id,
        "site_name": site.name,
        "day": site.service_day(now).isoformat(),
        "day_closed": site.service_day(now) in state.closed_days,
        "day_closed_reason": state.closed_reasons.get(day),  # said in the banner, as citizens are told it
        "configuration_version": state.configuration.version,  # a new one: the page reads the catalogue again
        "server_time": wire.local_iso(now, site),
        "running_text": state.current_running_text,
        "agency": None,
        "totals": _totals(services, counters, devices, screens, expiring, told),
        "services": services,
        "counters": counters,
        "devices": devices,
        "screens": screens,
        "parked": _parked(state, now),
        "alerts": alerts.detect(
            site,
            services,
            devices,
            deliveries,
            clock_doubt,
            missing,
            uplink,
            configuration,
            held,
            storage,
            codes_capped,
            counters,
            state.running_text_withheld,
            state.configuration_withheld,
            alerts.hours_switched_off(state.configuration.document),
        ),
    }


def headline(
    state: SiteState, now: datetime, registry: list[dict[str, Any]], today: Today | None = None
) -> dict[str, Any]:
    """The few figures of a mall's row in the national view: the day, the totals, how many services raise the
    "past closing" alert, how many have spent their walk-in quota (the "quota spent" alert) and the screens with a
    display on them. The same definitions as `figures` (a test holds
    them equal) without what a row does not show (each counter, each display, the alerts' texts): a national page
    over 300 busy malls makes hundreds of these a second."""
    site = state.site
    day = site.service_day(now)
    today = today or Today()
    today.update(state, day)
    waits = [wait for sid in site.services if (wait := _oldest(state, sid, now)[1]) is not None]
    return {
        "day": day.isoformat(),
        "day_closed": day in state.closed_days,
        "waiting": sum(state.waiting_count(sid, day) for sid in site.services),
        "longest_wait": max(waits) if waits else None,
        "served": sum(today.of(sid).served for sid in site.services),
        "counters_open": sum(1 for cid in site.counters if state.counters[cid].state is CounterState.OPEN),
        "past_closing": sum(1 for wait in waits_if_joined_now(state, now).values() if alerts.past_closing(wait)),
        "quota_spent": sum(1 for sid in site.services if state.walk_ins_spent_at(sid, day, now) is not None),
        "screens_shown": {d.get("screen") for d in registry if device_health(d) != "down"} - {None},
    }


def for_agency(data: dict[str, Any], agency: str) -> dict[str, Any]:
    """The part of the figures one agency's staff may see: its services and counters, its own screens and the
    whole-hall screens, and the alerts about those."""
    services = [s for s in data["services"] if s["agency"] == agency]
    counters = [c for c in data["counters"] if c["agency"] == agency]
    devices = [d for d in data["devices"] if not d["agencies"] or agency in d["agencies"]]
    screens = [s for s in data["screens"] if not s["agencies"] or agency in s["agencies"]]
    return {
        **data,
        "agency": agency,
        "totals": _totals(services, counters, devices, screens),
        "services": services,
        "counters": counters,
        "devices": devices,
        "screens": screens,
        "parked": [t for t in data["parked"] if t["agency"] == agency],
        "alerts": [a for a in data["alerts"] if alerts.visible(a, agency)],
    }
