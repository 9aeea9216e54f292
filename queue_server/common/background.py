"""The server's background watchers: the dashboard monitor, the announcement status, the screen watch and presence,
retention, the credentials and endpoints watches, the uplink. Each runs rounds until the server stops, and each
stops the same way: cancelled, then waited for, so that none is still reading when the storage closes under it.

A round that fails (the database away for a moment, a figure that cannot be computed) is said in the log and the
next round tries again: one error never stops a watcher for the rest of the day. A database that stays away is said
once by each watcher, and its return once (Outage): a PostgreSQL outage of minutes made a line or a traceback per
round of every watcher, burying the lines that say what to do."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, NoReturn


def start(work: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
    """A background task, named for the task list of a stuck server's dump."""
    return asyncio.create_task(work, name=name)


async def stop(task: asyncio.Task[Any] | None) -> None:
    """Cancel `task` (None: never started) and wait until it has stopped. Cancelled again while it runs on: a loop
    whose cancellation was swallowed (Python 3.11's `asyncio.wait_for` returns its result instead when what it waits
    for is done at the same moment) would otherwise run for good and this wait never end; seen once under load, a
    test's `notifications.stop()` waited an hour while the deliverer went on."""
    if task is None:
        return
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=1.0)
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def woken(event: asyncio.Event, seconds: float) -> bool:
    """Waits until `event` is set or `seconds` have passed; whether it was set. A cancellation is never swallowed,
    as `asyncio.wait_for` may swallow it in Python 3.11 (the event set as the task is cancelled): a loop idling
    here stops when asked."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await event.wait()
    return event.is_set()


class Outage:
    """What one background loop says of its failures: the database going away in one line, with the error, and its
    return in another, however many rounds fail in between; any other failure (a bug) in full, with its traceback,
    and again only once another failure or a round that went through came between (a loop of a second would
    otherwise repeat one traceback all day). `unavailable` tells the database's failures from the rest
    (StoragePort.unavailable, which the loop's layer can reach and this one cannot)."""

    def __init__(self, log: logging.Logger, what: str, unavailable: Callable[[BaseException], bool]) -> None:
        self.log, self.what, self.unavailable = log, what, unavailable
        self.away = False  # the database failed this loop, and no round has gone through since
        self._last_bug: str | None = None

    def failed(self, exc: Exception) -> None:
        if self.unavailable(exc):
            self._last_bug = None
            if not self.away:
                self.away = True
                self.log.warning("%s: the database does not answer (%s: %s); trying again, and saying so once it "
                                 "answers", self.what, type(exc).__name__, exc)  # fmt: skip
            return
        bug = f"{type(exc).__name__}: {exc}"
        if bug != self._last_bug:
            self.log.error("%s failed", self.what, exc_info=exc)
        self._last_bug = bug

    def went_through(self) -> None:
        self._last_bug = None
        if self.away:
            self.away = False
            self.log.warning("%s: the database answers again", self.what)


async def every(
    seconds: float,
    round_: Callable[[], Awaitable[object] | object],
    failed: Callable[[Exception], object] | Outage,
    *,
    wait_first: bool = False,
    wake: asyncio.Event | None = None,
) -> NoReturn:
    """`round_()` (a function or a coroutine function), then a pause of `seconds`, for ever; `wait_first`: the
    pause first. A round that raises is told to `failed` (an Outage is also told of each round that goes through)
    and the next round runs. `wake`, once set, ends the pause at once (set while a round runs, it brings one more
    round right after): for a watcher with news to tell sooner than its next round."""
    said, through = (failed.failed, failed.went_through) if isinstance(failed, Outage) else (failed, None)
    if wait_first:
        await _pause(seconds, wake)
    while True:
        if wake is not None:
            wake.clear()  # what set it is in this round
        try:
            result = round_()
            if inspect.isawaitable(result):
                await result
        except Exception as exc:  # asyncio.CancelledError is not an Exception: a stop still stops the loop
            said(exc)
        else:
            if through is not None:
                through()
        await _pause(seconds, wake)


async def _pause(seconds: float, wake: asyncio.Event | None) -> None:
    if wake is None:
        await asyncio.sleep(seconds)
        return
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await wake.wait()
