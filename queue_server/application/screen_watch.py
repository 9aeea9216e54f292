"""Screens the hall counts on, watched across restarts (issue 16): when each device was last connected is written
to the database about once a minute, and a TV screen that has worked before but has not connected since its site
opened today (a TV that never came up in the morning) is reported, until it connects. A token never used yet (a
screen not installed) is not.

The live health of a connected screen (audio, last call) stays in application/health.py, in memory: it describes
connections. This module keeps the one fact that must outlive them, and the one alert no connection can raise.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from queue_server.application.context import Context
from queue_server.common import background

log = logging.getLogger(__name__)

WATCH_SECONDS = 30.0


class ScreenWatch:
    """The grace after opening before a screen is missing is each site's (`[alerts] screen_missing_minutes`, 10 unless
    set: a TV switched on with the hall's lights may take a few minutes, and some malls light the hall later), read
    from the site as configured at each round, so a change on the Settings page applies at the next one."""

    def __init__(self, ctx: Context, seconds: float = WATCH_SECONDS) -> None:
        self.ctx = ctx
        self.seconds = seconds
        self.missing: dict[str, list[dict[str, Any]]] = {}  # site -> screens not seen since opening today
        self._task: asyncio.Task[None] | None = None
        self.elsewhere: Any = None  # a coroutine function: (site, screen) shown on another process (presence.py)

    def start(self) -> None:
        said = background.Outage(log, "watching the screens", self.ctx.storage.unavailable)
        self._task = background.start(background.every(self.seconds, self.round, said), "screen-watch")

    async def stop(self) -> None:
        await background.stop(self._task)
        with contextlib.suppress(Exception):  # what was seen last, before the process goes
            await self.record()

    async def round(self) -> None:
        await self.record()
        await self.check()

    async def record(self) -> None:
        """Each device connected now (by its token) was seen now."""
        seen = {
            d["id"]: _utc(d["last_seen"])
            for site in self.ctx.sites
            for d in self.ctx.devices.for_site(site)
            if d["id"] > 0 and d["connected"] and d["last_seen"]
        }
        if seen:
            await self.ctx.accounts.store.mark_seen(seen)

    async def check(self) -> None:
        """Which registered TV screens have not connected since their site opened today."""
        now = self.ctx.now()
        devices = [d for d in await self.ctx.accounts.store.devices() if d.kind == "display" and d.revoked_at is None]
        shown: set[tuple[str, str]] = set(self.ctx.devices.connected_screens())
        if self.elsewhere is not None:
            shown |= await self.elsewhere()
        connected = {d["id"] for s in self.ctx.sites for d in self.ctx.devices.for_site(s) if d["connected"]}
        missing: dict[str, list[dict[str, Any]]] = {}
        for site_id, site in self.ctx.sites.items():
            local = site.local(now)
            ranges = site.hours.ranges_on(local.date())
            if not ranges:
                continue  # closed today: nobody expects the screens on
            opened = local.replace(hour=ranges[0][0].hour, minute=ranges[0][0].minute, second=0, microsecond=0)
            if local < opened + timedelta(minutes=site.alerts.screen_missing_minutes):
                continue
            for device in devices:
                if device.site != site_id or device.id in connected or (site_id, device.screen or "") in shown:
                    continue
                if device.last_seen_at is None:
                    continue  # registered but never installed: nobody expects it yet
                last = datetime.fromisoformat(device.last_seen_at)
                if last >= opened:
                    continue  # it came up today and went down later: that is the "disconnected" alert's
                screen = site.screens.get(device.screen or "")
                missing.setdefault(site_id, []).append(
                    {"id": device.id, "name": device.name, "screen": device.screen,
                     "screen_name": screen.name if screen else device.screen,
                     "agencies": list(screen.agencies) if screen else [], "opened": opened.isoformat(),
                     "last_seen": last.isoformat()}
                )  # fmt: skip
        self.missing = missing


def _utc(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(UTC).isoformat(timespec="seconds")
