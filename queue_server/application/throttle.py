"""Sign-in throttling: too many wrong passwords for one account, or from one client address, within a window, and
further attempts are refused with `429 too_many_requests` and how long to wait, without checking the password (a
guess costs the attacker nothing, and the server no argon2 hash). The window slides, so the real user is never
locked out for longer than it; a right password does not clear an account's failures (or a guesser could mix in
their own account's).

The failures are kept in the database (migration 0009), not in the process: with `serve --workers N` every process
counts the same ones, so a guesser spreading attempts over the processes gets one allowance, not N. Times are the
server's clock (the wall clock, which all processes share; tests drive their own); a failure dated ahead of it (a
clock set back) holds an account for no longer than one window.

Guesses sent together count before their hashes are done: each attempt holds a place against both limits while its
password is checked (an outside review sent 60 wrong passwords at once and all 60 were hashed, none refused), and
no more than `HASHING_AT_ONCE` attempts wait for a hash in a process, so a burst cannot hold every sign-in up behind
it. Those places are the process's own: across processes a burst gets at most one allowance each.

A browser that signed in as the account before (known_devices.py) is held by neither: it has an allowance of its own
for the account (`per_account` wrong passwords in the window), so a guesser elsewhere cannot lock the operator out.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from queue_server.domain.refusal import Refusal
from queue_server.persistence.accounts import AccountStore

WINDOW_SECONDS = 300.0
PER_ACCOUNT = 10  # wrong passwords for one account in the window
PER_ADDRESS = 30  # wrong passwords from one client address in the window (a desk or a NAT serves many people)
HASHING_AT_ONCE = 64  # sign-ins waiting for their hash (~50 ms each): a whole shift signing in at 07.30 fits
BUSY_SECONDS = 2  # what a sign-in refused for attempts still being checked is told to wait


def _wall() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")  # one length: text order is time order


class LoginThrottle:
    def __init__(
        self,
        store: AccountStore,
        per_account: int = PER_ACCOUNT,
        per_address: int = PER_ADDRESS,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], datetime] = _wall,
    ) -> None:
        self.store = store
        self.limits = {"account": per_account, "address": per_address, "device": per_account}
        self.window = window
        self.clock = clock
        self._next_forgetting = 0.0  # time.monotonic() of this process's next deletion of aged failures
        self._checking: Counter[str] = Counter()  # attempts of this process whose password is being checked, by key

    @asynccontextmanager
    async def attempt(self, username: str, address: str, device: str | None = None) -> AsyncIterator[None]:
        """Refuse before the password is checked when the account or the address (or, from a known browser
        `device`, that browser's allowance for the account) is over its limit, counting the attempts still being
        checked; hold a place for this one until its outcome (and failure) is recorded."""
        keys = _keys(username, address, device)
        await self.check(keys)
        for key in keys:
            self._checking[key] += 1
        self._checking["*"] += 1
        try:
            yield
        finally:
            for key in (*keys, "*"):
                self._checking[key] -= 1
                if not self._checking[key]:
                    del self._checking[key]

    async def check(self, keys: tuple[str, ...]) -> None:
        now = self.clock()
        seen = await self.store.login_failures(keys, _iso(now - timedelta(seconds=self.window)))
        wait = 0.0
        for key in keys:
            times = [at for k, at in seen if k == key]
            limit = self.limits[key.split(":", 1)[0]]
            if len(times) >= limit:  # until the oldest failure leaves the window
                oldest = datetime.fromisoformat(times[0])
                wait = max(wait, min(self.window, (oldest - now).total_seconds() + self.window))
            elif len(times) + self._checking[key] >= limit:  # the attempts being checked may fill it: ask again soon
                wait = max(wait, BUSY_SECONDS)
        if self._checking["*"] >= HASHING_AT_ONCE:
            wait = max(wait, BUSY_SECONDS)
        if wait > 0:
            seconds = math.ceil(wait)
            raise Refusal("too_many_requests.sign_in", seconds=seconds, details={"retry_after": seconds})

    async def failed(self, username: str, address: str, device: str | None = None) -> bool:
        """Count a wrong password; True when this failure reached a limit (worth one audit entry, not one each)."""
        now = self.clock()
        at, keys = _iso(now), _keys(username, address, device)
        await self.store.add_login_failures(keys, at)
        seen = await self.store.login_failures(keys, _iso(now - timedelta(seconds=self.window)))
        reached = False
        for key in keys:  # counted up to this failure: one that other processes add at the same time is not it
            count = sum(1 for k, when in seen if k == key and when <= at)
            reached |= count == self.limits[key.split(":", 1)[0]]
        if time.monotonic() >= self._next_forgetting:
            self._next_forgetting = time.monotonic() + self.window
            await self.store.forget_login_failures(_iso(now - timedelta(seconds=self.window)))
        return reached


def _keys(username: str, address: str, device: str | None) -> tuple[str, ...]:
    if device is not None:  # a known browser: its own allowance for this account, apart from everyone else's
        return (f"device:{device[:16]}:{username.lower()[:64]}",)
    return f"account:{username.lower()[:64]}", f"address:{address[:64]}"
