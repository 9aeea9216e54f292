"""Read views of a site's live state, shared by the HTTP API and the websocket snapshots."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from queue_server.application.context import Context
from queue_server.application.forecasts import waits_if_joined_now
from queue_server.domain.issuing_pause import pause_view
from queue_server.domain.model import OPEN_STATES, Ticket, TicketState
from queue_server.domain.state import SiteState
from queue_server.live import wire

COUNTER_TOTALS = ("done", "no_show", "transferred")


def site_state_view(
    ctx: Context,
    site_id: str,
    audience: str,
    agency: str | None = None,
    calls_of: Callable[[Ticket], bool] | None = None,
) -> dict[str, Any]:
    """Live state: counters, today's open tickets, waiting counts, recent calls. Shared with websocket snapshots.
    `agency`: an operator's; another agency's tickets are shown as a lobby screen sees them (a ticket's note and
    priority group are health or family information its own agency's staff need, nobody else). `calls_of`: which
    calls the client follows (a screen of some agencies or floors, a counter): its ten latest are chosen among those,
    not cut from the site's ten (where a busy agency's calls left a quiet one's screen none)."""
    state = ctx.state(site_id)

    def shown(ticket: Ticket) -> dict[str, Any]:
        return wire.ticket_view(ticket, audience if agency in (None, ticket.agency) else wire.PUBLIC)

    today = state.site.service_day(ctx.now())
    today_tickets = [t for t in state.tickets.values() if t.day == today]
    open_tickets = sorted((t for t in today_tickets if t.state in OPEN_STATES), key=lambda t: (t.queue_key, t.id))
    called = (t for t in today_tickets if t.called_at and (calls_of is None or calls_of(t)))
    recent = sorted(called, key=lambda t: t.called_at or t.issued_at, reverse=True)
    waiting = {sid: n for sid, ids in state.waiting.items() if ids and (n := state.waiting_count(sid, today))}
    issued = {sid: n for (sid, day), n in state.issued.items() if day == today}
    done: dict[str, int] = {}
    # Per counter, what it finished today (an operator's screen shows these; they cannot be rebuilt from events
    # by a client that starts from a snapshot).
    totals = {counter_id: dict.fromkeys(COUNTER_TOTALS, 0) for counter_id in state.counters}
    for t in today_tickets:
        if t.state is TicketState.DONE:
            done[t.service] = done.get(t.service, 0) + 1
        if t.counter in totals and t.state.value in COUNTER_TOTALS:
            totals[t.counter][t.state.value] += 1
    closed = today in state.closed_days
    if closed and audience == wire.PUBLIC:
        recent = []  # a lobby screen opened after the day was closed shows no call of it (as one that saw the close)
    return {
        "site": site_id,
        "day": today.isoformat(),
        "time": state.site.local(ctx.now()).strftime("%H:%M"),  # the mall's clock (Settings: closed right now?)
        "day_closed": closed,
        "day_closed_reason": state.closed_reasons.get(today) if closed else None,  # the lobby says why, as the kiosk
        "seq": ctx.seq(site_id),
        "running_text": state.current_running_text,
        # services whose issuing is paused today, with why (the kiosk and the phones say it; the dashboard resumes)
        "issuing_paused": {s: view for s in state.site.services if (view := paused_of(state, s, today)) is not None},
        "counters": [
            {
                **wire.counter_view(status.to_dict(), audience),
                # .get: a mirrored mall's counter may hold a ticket of a day its log has not sent yet
                "ticket": shown(held) if (held := state.tickets.get(status.current or "")) else None,
                "today": totals[status.id],
            }
            for status in state.counters.values()
        ],
        "waiting": waiting,
        "issued_today": issued,
        "done_today": done,
        "tickets": [shown(t) for t in open_tickets],
        "recent_calls": [shown(t) for t in recent[:10]],
    }


def paused_of(
    state: SiteState, service_id: str, day: date, now: datetime | None = None
) -> dict[str, str | None] | None:
    """The service's issuing paused today, as pages show it (reason, since, until), or None. With `now`, an expected
    time already past is left out (`until` None), as the kiosk, the refusal and a citizen's phone leave it out: a
    hope past is not said (nobody resumed yet)."""
    pause = state.issuing_pause(service_id, day)
    if pause is None:
        return None
    view = pause_view(pause, state.site.tz)
    return view | {"until": None} if now is not None and pause.until is not None and pause.until <= now else view


def waits_view(ctx: Context, site_id: str) -> dict[str, Any]:
    """Per service, what a regular ticket taken now would be told (people ahead, the wait as a range, or no counter
    open) and the walk-in quota left today (None: no quota): the kiosk's tiles and a citizen deciding at home read
    it before anyone takes a number. Counts and minutes only, nothing personal."""
    state = ctx.state(site_id)
    now = ctx.now()
    day = state.site.service_day(now)
    waits = waits_if_joined_now(state, now)
    services = {
        service: {
            **wait.to_dict(),
            "quota_left": state.walk_ins_left(service, day, now),
            "paused": paused_of(state, service, day, now),  # the desk and a citizen at home read it
        }
        for service, wait in waits.items()
    }
    return {"now": now.isoformat(), "services": services}
