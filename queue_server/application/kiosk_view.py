"""What a kiosk is told over its websocket (the `kiosk` role, docs/protocol.md): the few facts its start screen and
tiles show that an event can change, and nothing about any ticket or citizen.

The view is whether tickets can be taken now (the day closed by a supervisor, outside opening hours), the
configuration's version (a new one: new tiles), and per service whether a counter serving it is open, whether its
walk-in quota is spent and whether its issuing is paused (with the reason, public: the tile says it). A kiosk gets it
as its snapshot, then as a `kiosk` notice whenever it differs from the one last told: a ticket that takes the last
place, a counter closing, a service paused or resumed, a day closed or reopened, a configuration saved, on this
process or (PostgreSQL) on any other, since every process publishes every committed batch. The kiosk then reads its
tiles and its day again over HTTP; a busy mall's calls and finishes, which change neither, tell it nothing."""

from __future__ import annotations

from typing import Any

from queue_server.application.context import Context
from queue_server.application.views import paused_of
from queue_server.domain.decide import issuing_refusal
from queue_server.domain.model import CounterState
from queue_server.live import wire


def kiosk_view(ctx: Context, site_id: str) -> dict[str, Any]:
    state = ctx.state(site_id)
    site = state.site
    now = ctx.now()
    day = site.service_day(now)
    refusal = issuing_refusal(state, now)
    services = {
        service: {
            "open": any(state.counters[c.id].state is not CounterState.CLOSED for c in site.counters_serving(service)),
            "quota_spent": state.walk_ins_left(service, day, now) == 0,
            "paused": paused_of(
                state, service, day
            ),  # issuing paused today, with why: its tile says it (GET .../waits)
        }
        for service in site.services
    }
    return {
        "issuing": None if refusal is None else refusal.code,  # why not: `day_closed`, `site_closed`
        "configuration_version": state.configuration.version,
        "services": services,
    }


class KioskNotices:
    """Renders the `kiosk` notice for a site's kiosks after a committed batch (the hub's kiosk_renderer), or None
    when their view is what they were last told. Called once per batch and site (a site's kiosks share one follow)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._told: dict[str, dict[str, Any]] = {}

    def render(self, site_id: str) -> str | None:
        view = kiosk_view(self.ctx, site_id)
        if self._told.get(site_id) == view:
            return None
        self._told[site_id] = view
        site = self.ctx.sites.get(site_id)
        return wire.dumps({"type": "kiosk", "site": site_id, "at": wire.local_iso(self.ctx.now(), site), "data": view})
