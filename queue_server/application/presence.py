"""What each server process has connected (and found amiss), shared between the processes of one PostgreSQL database.

A display, or an operator's page, is connected to one process; the national view's "screens down" must count the
displays of every process, a site's dashboard and Settings page must show every TV whichever process it is on, and
a counter's page and the supervisor's `counter_held` alert must know every colleague signed in at the counter, and
every dashboard must show what any process found amiss with the site's configuration.
Each process rewrites its own rows every SHARE_SECONDS, and within SOON_SECONDS of a screen or an operator's page
coming or going (storage.share_screens: which screens are shown;
storage.share_devices: its registry's entries of devices with a token; storage.share_desks: who is signed in at
each counter through it; storage.share_alerts: what it found amiss with its sites' configuration), and reads the
others' rows not older than FRESH_SECONDS (the devices into its registry, application/health.py; the seats into its
desks, application/desks.py, telling a counter's followers when its line of names changed; the alerts into
application/process_alerts.py, for every dashboard): the rows of a process that stopped without a word (kill -9)
stop counting within FRESH_SECONDS, and its clients reconnect to another process; they are deleted, by whichever
process shares next, once older than KEEP (a process deletes its own rows only when it stops cleanly). On SQLite
(one process) nothing is shared and nothing is read. A row is dated, and its age judged, by the database's clock:
the processes' own clocks may differ by more than FRESH_SECONDS.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from datetime import timedelta
from typing import Any

from queue_server.application.context import Context
from queue_server.common import background

log = logging.getLogger(__name__)

SHARE_SECONDS = 5.0
FRESH_SECONDS = 15.0
# A TV or an operator's page came or went here: this process shares that after this long rather than at its next
# round (up to SHARE_SECONDS later), gathering a burst of them (a hall's TVs reconnecting at once) into one round.
SOON_SECONDS = 1.0
KEEP = timedelta(hours=1)  # rows older than this are deleted: an hour to look into a process that died, no longer
FORGET_EVERY = 60.0  # seconds: rows an hour old need no deleting every few seconds


class Presence:
    def __init__(self, ctx: Context, share_seconds: float = SHARE_SECONDS) -> None:
        self.ctx = ctx
        self.share_seconds = share_seconds
        self.process = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._soon: asyncio.TimerHandle | None = None
        self._forgotten: float | None = None  # this process's last deletion of old rows (time.monotonic)

    @property
    def shared(self) -> bool:
        return self.ctx.storage.shared

    def start(self) -> None:
        if self.shared:
            said = background.Outage(log, "sharing what this process has connected", self.ctx.storage.unavailable)
            rounds = background.every(self.share_seconds, self.share, said, wake=self._wake)
            self._task = background.start(rounds, "presence")
            self.ctx.devices.changed = self.ctx.desks.changed = self.soon

    def soon(self) -> None:
        """Something this process shares changed: a round within SOON_SECONDS, so the other processes can read it
        at their next round, not one later."""
        if self._soon is None:
            self._soon = asyncio.get_running_loop().call_later(SOON_SECONDS, self._woken)

    def _woken(self) -> None:
        self._soon = None
        self._wake.set()

    async def stop(self) -> None:
        if self._task is None:
            return
        await background.stop(self._task)
        if self._soon is not None:
            self._soon.cancel()
        with contextlib.suppress(Exception):  # a clean stop says so at once; otherwise the rows age out
            await self.ctx.storage.share_screens(self.process, set())
            await self.ctx.storage.share_devices(self.process, [])
            await self.ctx.storage.share_desks(self.process, [])
            await self.ctx.storage.share_alerts(self.process, {})

    async def share(self) -> None:
        # Dated and judged by the database's clock (storage): two processes whose clocks differ by more than
        # FRESH_SECONDS saw each other's screens as gone, or kept a killed one's for longer.
        storage, desks = self.ctx.storage, self.ctx.desks
        await storage.share_screens(self.process, self.ctx.devices.connected_screens())
        await storage.share_devices(self.process, self.ctx.devices.shareable())
        await storage.share_desks(self.process, desks.shareable())
        await storage.share_alerts(self.process, self._alerts_here())
        self.ctx.devices.seen_elsewhere(await storage.devices_elsewhere(self.process, FRESH_SECONDS))
        for site, counter in desks.seen_elsewhere(await storage.desks_elsewhere(self.process, FRESH_SECONDS)):
            desks.tell(self.ctx.hub, site, counter)
        self.ctx.process_alerts.seen_elsewhere(await storage.alerts_elsewhere(self.process, FRESH_SECONDS))
        now = time.monotonic()  # this process's own pace only
        if self._forgotten is None or now - self._forgotten >= FORGET_EVERY:
            self._forgotten = now
            await storage.forget_presence_older_than(KEEP)

    def _alerts_here(self) -> dict[str, dict[str, dict[str, Any]]]:
        """This process's configuration alerts, by site (application/process_alerts.py)."""
        found = {site: self.ctx.configuration_alerts_here(site) for site in self.ctx.sites}
        return {site: kinds for site, kinds in found.items() if kinds}

    async def elsewhere(self) -> set[tuple[str, str]]:
        """(site, screen) with a display connected to another process."""
        if not self.shared:
            return set()
        return await self.ctx.storage.screens_shown_elsewhere(self.process, FRESH_SECONDS)
