"""Sign-in throttling: too many wrong passwords for one account, or from one client address, within a window, and
further attempts are refused with `429 too_many_requests` and how long to wait, without checking the password (a
guess costs the attacker nothing, and the server no argon2 hash). The window slides, so the real user is never
locked out for longer than it; a right password does not clear an account's failures (or a guesser could mix in
their own account's)."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

from queue_server.domain.refusal import Refusal

WINDOW_SECONDS = 300.0
PER_ACCOUNT = 10  # wrong passwords for one account in the window
PER_ADDRESS = 30  # wrong passwords from one client address in the window (a desk or a NAT serves many people)
MAX_KEYS = 10_000  # tracked accounts and addresses: a flood of made-up names cannot grow memory without end


class LoginThrottle:
    def __init__(
        self,
        per_account: int = PER_ACCOUNT,
        per_address: int = PER_ADDRESS,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limits = {"account": per_account, "address": per_address}
        self.window = window
        self.clock = clock
        self._failures: dict[tuple[str, str], deque[float]] = {}

    def check(self, username: str, address: str) -> None:
        """Refuse before the password is checked when either the account or the address is over its limit."""
        now = self.clock()
        waits = [self._wait(("account", username.lower()), now), self._wait(("address", address), now)]
        wait = max(waits)
        if wait > 0:
            seconds = math.ceil(wait)
            raise Refusal("too_many_requests.sign_in", seconds=seconds, details={"retry_after": seconds})

    def failed(self, username: str, address: str) -> bool:
        """Count a wrong password; True when this failure reached a limit (worth one audit entry, not one each)."""
        now = self.clock()
        reached = False
        for key in (("account", username.lower()), ("address", address)):
            failures = self._failures.get(key)
            if failures is None:
                if len(self._failures) >= MAX_KEYS:
                    self._forget_old(now)
                failures = self._failures[key] = deque()
            self._expire(failures, now)
            failures.append(now)
            reached |= len(failures) == self.limits[key[0]]
        return reached

    def _wait(self, key: tuple[str, str], now: float) -> float:
        failures = self._failures.get(key)
        if not failures:
            return 0.0
        self._expire(failures, now)
        if len(failures) < self.limits[key[0]]:
            return 0.0
        return failures[0] + self.window - now  # until the oldest failure leaves the window

    def _expire(self, failures: deque[float], now: float) -> None:
        while failures and failures[0] <= now - self.window:
            failures.popleft()

    def _forget_old(self, now: float) -> None:
        self._failures = {k: v for k, v in self._failures.items() if v and v[-1] > now - self.window}
        while len(self._failures) >= MAX_KEYS:  # all recent: drop the oldest (a flood, not a person)
            oldest = min(self._failures, key=lambda k: self._failures[k][-1])
            del self._failures[oldest]
