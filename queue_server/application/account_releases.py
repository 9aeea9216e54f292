"""Counters left open under an account the command line disabled, closed by the server as the Settings page's change
closes them (actions.release_counters: a called citizen back in the queue at their place, one being served parked,
a counter a colleague is signed in at kept in the colleague's hands, `counter.release` in the audit log).

The command line cannot decide that itself: on SQLite the running server alone writes the mall's event log and holds
its state, on PostgreSQL the counter may be worked through any process. So `queue-server user disable` asks, through
the database (`account_releases`, migration 0023): it writes a request, then moves the credentials version on, which
every server process reads every half second (auth.Accounts); the process that takes the request (one of several, by
one atomic UPDATE) closes the counters and writes its answer, which the command line waits for and prints. A request
made while no server runs is taken at the next start, unless the account was enabled again meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from queue_server.application import actions
from queue_server.application.auth import Principal
from queue_server.application.context import Context
from queue_server.common import background
from queue_server.persistence.account_releases import AccountReleaseStore, ReleaseRequest
from queue_server.persistence.accounts import AccountStore
from queue_server.persistence.port import StoragePort

log = logging.getLogger(__name__)

# Whoever may run the command line on the server's machine may do what an admin may; the audit log says "cli".
COMMAND_LINE = Principal(kind="user", role="admin", name="cli", id=0)
ROUND_SECONDS = 60.0  # a request whose wake-up was missed (the database away a moment) is taken at the next round
STALLED = timedelta(minutes=2)  # taken and not answered this long: its process stopped halfway; taken again
KEEP = timedelta(days=7)  # answered requests go after this
ANSWER_EVERY = 0.2  # how often the command line looks for the answer


async def ask(storage: StoragePort, account: str, reason: str, sites: list[str]) -> str:
    """A request to close the counters left open under `account` at `sites`, made known to every server process at
    once (the credentials version moves on after it is written). Returns its id, to wait for the answer."""
    request_id = uuid.uuid4().hex
    await AccountReleaseStore(storage).ask(request_id, account, reason, sites, datetime.now(UTC))
    await AccountStore(storage).credentials_changed()  # the wake-up: read by every server within half a second
    return request_id


async def answered(storage: StoragePort, request_id: str, seconds: float) -> list[dict[str, Any]] | None:
    """The counters a server closed for the request (as the Settings page's change answers them), or None when none
    has answered within `seconds`."""
    store = AccountReleaseStore(storage)
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        request = await store.find(request_id)
        if request is not None and request.released is not None:
            return request.released
        if asyncio.get_running_loop().time() >= deadline:
            return None
        await asyncio.sleep(ANSWER_EVERY)


class ReleaseRequests:
    """The server's side: takes the waiting requests at start-up, whenever the credentials change (the command line's
    wake-up) and every ROUND_SECONDS, and answers each."""

    def __init__(self, ctx: Context, round_seconds: float = ROUND_SECONDS) -> None:
        self.ctx = ctx
        self.store = AccountReleaseStore(ctx.storage)
        self.round_seconds = round_seconds
        self.process = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.ctx.accounts.on_change.append(self._wake.set)
        said = background.Outage(log, "closing counters the command line asked for", self.ctx.storage.unavailable)
        self._task = background.start(background.every(self.round_seconds, self.round, said, wake=self._wake),
                                      "account-releases")  # fmt: skip

    async def stop(self) -> None:
        await background.stop(self._task)

    async def round(self) -> None:
        now = datetime.now(UTC)  # the machine's clock: how long a request waited is about processes, not the day
        for request in await self.store.waiting(now - STALLED):
            if await self.store.take(request.id, self.process, now, now - STALLED):
                await self.store.answer(request.id, await self._release(request), datetime.now(UTC))
        await self.store.forget_answered(now - KEEP)

    async def _release(self, request: ReleaseRequest) -> list[dict[str, Any]]:
        if request.reason == "disabled" and request.account in await self._active():
            return []  # enabled again before a server took the request: its counters are its own again
        released: list[dict[str, Any]] = []
        for site_id in request.sites:
            if site_id in self.ctx.sites:  # a mall this server hosts (release_counters leaves a mirrored one alone)
                released += await actions.release_counters(
                    self.ctx, COMMAND_LINE, site_id, request.account, request.reason
                )
        return released

    async def _active(self) -> set[str]:
        return {user.username for user in await self.ctx.accounts.store.users() if user.active}
