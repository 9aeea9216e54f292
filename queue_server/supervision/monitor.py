"""Pushes the supervisors' dashboards: live figures and alert changes, as notices over their websocket.

One task for the server. It looks at each site a few times a second and, for a site someone is watching,
recomputes the figures when something was committed (the log's last seq moved), when a dashboard joined, or at
least every `dashboard_seconds` (waits grow and screens drop with nothing committed). So a dashboard follows
50 calls a second with at most a few recomputations a second, never one per event, and a site nobody watches
costs nothing. Times come from the engine's clock, the same `now` the queue itself uses.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from queue_server.common import background
from queue_server.domain.model import CounterState
from queue_server.live import wire
from queue_server.live.hub import Follow
from queue_server.supervision import alerts, dashboard
from queue_server.supervision.today import Today

if TYPE_CHECKING:
    from queue_server.application.context import Context
    from queue_server.application.phone_codes import CodeWatch
    from queue_server.application.screen_watch import ScreenWatch

log = logging.getLogger(__name__)

CHECK_SECONDS = 0.2  # how often each site is looked at; also the longest delay between a commit and its push
# How often the database is asked, as /healthz asks it, while a dashboard is open: with PostgreSQL stopped and no
# command reaching the pipeline, no write fails, and the dashboard said "Tidak ada peringatan" while /healthz said
# storage_failing (outside review).
PROBE_SECONDS = 5.0


@dataclass
class _Watch:
    seq: int = -1
    watchers: int = 0
    pushed_at: float = 0.0
    alerts: dict[str, dict[str, Any]] = field(default_factory=dict)


class Monitor:
    def __init__(self, ctx: Context, every_seconds: float, screens: ScreenWatch | None = None) -> None:
        self.ctx = ctx
        self.screens = screens  # registered TV screens not seen since opening today (an alert each)
        self.codes: CodeWatch | None = None  # sites that sent their verification codes' hourly limit (an alert)
        self.every_seconds = every_seconds
        self._watch: dict[str, _Watch] = {}
        self._today = {site_id: Today() for site_id in ctx.sites}
        self._task: asyncio.Task[None] | None = None
        self._probe_task: asyncio.Task[None] | None = None
        self.probed: dict[str, Any] | None = None  # the database's last probe failed: since when and why

    def figures(self, site_id: str, agency: str | None = None) -> dict[str, Any]:
        """The figures as of now, for one site or one agency of it."""
        state, registry = self.ctx.state(site_id), self.ctx.devices.for_site(site_id)
        failing = self.ctx.notifications.failing.get(site_id, []) if self.ctx.notifications is not None else []
        doubt = self.ctx.clock_doubt(site_id)
        missing = self.screens.missing.get(site_id, []) if self.screens is not None else []
        uplink = self.ctx.uplink.failing(site_id, self.ctx.now()) if self.ctx.uplink is not None else None
        configuration = self.ctx.configuration_alerts(site_id)
        codes_capped = self.codes.capped.get(site_id) if self.codes is not None else None
        data = dashboard.figures(state, self.ctx.now(), registry, self._today[site_id], failing, doubt, missing,
                                 uplink, self.held(site_id), configuration=configuration,
                                 storage=self.storage(),
                                 codes_capped=codes_capped, people=self.ctx.accounts.names)  # fmt: skip
        if state.mirrored:
            data["totals"] |= self._mirrored_screens(site_id)
        return dashboard.for_agency(data, agency) if agency else data

    def _mirrored_screens(self, site_id: str) -> dict[str, Any]:
        """A mirrored mall's screens are connected to its own server, not here: counted as its box last said them
        (application/mirror_watch.py), or not known (null) when it has not lately."""
        site, seen = self.ctx.state(site_id).site, self.ctx.mirror.known(site_id)
        said = seen.screens_now(self.ctx.now())
        if said is None or seen.screens_at is None:
            return {"screens_down": None, "screens_total": None, "screens_at": None}
        return {"screens_down": sum(1 for screen in site.screens if screen not in said),
                "screens_total": len(site.screens), "screens_at": seen.screens_at.isoformat()}  # fmt: skip

    def storage(self) -> dict[str, Any] | None:
        """What /healthz says of the database (Context.storage_failure): this process's writes failing, else the
        last probe's failure, kept since its first failing round."""
        return self.ctx.write_failure() or self.probed

    async def probe(self) -> None:
        """Asks the database as /healthz does, while any dashboard is open."""
        watched = [site_id for site_id in self.ctx.sites if self.ctx.hub.watching(site_id)]
        if not watched:
            return
        if any(self.ctx.state(site_id).mirrored for site_id in watched):
            with contextlib.suppress(Exception):  # what its box said last (another process may have taken it)
                await self.ctx.mirror.read()
        failure = await self.ctx.storage_failure()
        if failure is None or self.ctx.write_failure() is not None:
            self.probed = None  # answered, or said by the writes' own failure
        elif self.probed is None:
            self.probed = failure
        else:
            self.probed = {**failure, "since": self.probed["since"]}

    def held(self, site_id: str) -> list[dict[str, Any]]:
        """Counters open or paused under an account disabled since (it opened them), with no other account signed
        in at them (through any process: application/desks.py): nobody is there, yet the counter counts as open in
        every wait estimate and its called citizen stays on every screen (an outside review: the operator was
        disabled mid-shift)."""
        disabled = self.ctx.accounts.disabled
        if not disabled:
            return []
        state, out = self.ctx.state(site_id), []
        for status in state.counters.values():
            if status.state is CounterState.CLOSED or status.operator not in disabled:
                continue
            if {seat["name"] for seat in self.ctx.desks.at(site_id, status.id)} - disabled:
                continue  # a colleague is signed in at it: it is in hand
            ticket = state.tickets.get(status.current) if status.current else None
            out.append({"counter": status.id, "account": status.operator, "state": status.state.value,
                        "ticket": ticket.label if ticket else None,
                        "ticket_state": ticket.state.value if ticket else None})  # fmt: skip
        return out

    def headline(self, site_id: str) -> dict[str, Any]:
        """The figures of the site's row in the national view (dashboard.headline)."""
        registry = self.ctx.devices.for_site(site_id)
        return dashboard.headline(self.ctx.state(site_id), self.ctx.now(), registry, self._today[site_id])

    def start(self) -> None:
        self._task = background.start(background.every(CHECK_SECONDS, self._round, _failed, wait_first=True),
                                      "dashboard-monitor")  # fmt: skip
        self._probe_task = background.start(background.every(PROBE_SECONDS, self.probe, _failed, wait_first=True),
                                            "dashboard-storage-probe")  # fmt: skip

    async def stop(self) -> None:
        await background.stop(self._probe_task)
        await background.stop(self._task)

    def _round(self) -> None:
        for site_id in self.ctx.sites:
            try:
                self.check(site_id)
            except Exception:  # a bad figure must not stop the dashboards of every site
                log.exception("dashboard update of %s failed", site_id)

    def check(self, site_id: str) -> None:
        hub = self.ctx.hub
        watch = self._watch.setdefault(site_id, _Watch())
        watchers = hub.watching(site_id)
        if not watchers:
            self._watch[site_id] = _Watch()  # start afresh (alerts included) when someone watches again
            return
        seq = self.ctx.seq(site_id)
        due = time.monotonic() - watch.pushed_at >= self.every_seconds
        if seq == watch.seq and watchers <= watch.watchers and not due:
            return
        watch.seq, watch.watchers, watch.pushed_at = seq, watchers, time.monotonic()
        self.push(site_id, watch)

    def push(self, site_id: str, watch: _Watch) -> None:
        data = self.figures(site_id)
        at = wire.local_iso(self.ctx.now(), self.ctx.sites[site_id])
        changed = alerts.changes(watch.alerts, data["alerts"])
        watch.alerts = {a["id"]: a for a in data["alerts"]}
        texts: dict[tuple[str, str | None], str | None] = {}  # rendered once per message and agency

        def message(kind: str, body: dict[str, Any], agency: str | None) -> str | None:
            key = (f"{kind}:{body.get('id', '')}", agency)
            if key not in texts:
                if kind == "alert" and not alerts.visible(body, agency):
                    texts[key] = None
                else:
                    shown = dashboard.for_agency(body, agency) if kind == "dashboard" and agency else body
                    texts[key] = wire.dumps({"type": kind, "at": at, "site": site_id, "data": shown})
            return texts[key]

        hub = self.ctx.hub
        for alert in changed:

            def render_alert(follow: Follow, alert: dict[str, Any] = alert) -> str | None:
                return message("alert", alert, _agency_of(self.ctx, follow))

            hub.notify(site_id, render_alert)
        hub.notify(site_id, lambda f: message("dashboard", data, _agency_of(self.ctx, f)))


def _agency_of(ctx: Context, follow: Follow) -> str | None:
    """The agency a scoped dashboard follows (its services all belong to it); None for the whole site."""
    if not follow.services:
        return None
    services = ctx.sites[follow.site].services
    return next((services[s].agency for s in follow.services if s in services), None)


def _failed(exc: Exception) -> None:
    log.error("dashboard update failed", exc_info=exc)
