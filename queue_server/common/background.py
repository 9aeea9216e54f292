"""The server's background watchers: the dashboard monitor, the announcement status, the screen watch and presence,
retention, the credentials and endpoints watches, the uplink. Each runs rounds until the server stops, and each
stops the same way: cancelled, then waited for, so that none is still reading when the storage closes under it.

A round that fails (the database away for a moment, a figure that cannot be computed) is said in the log and the
next round tries again: one error never stops a watcher for the rest of the day."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, NoReturn


def start(work: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
    """A background task, named for the task list of a stuck server's dump."""
    return asyncio.create_task(work, name=name)


async def stop(task: asyncio.Task[Any] | None) -> None:
    """Cancel `task` (None: never started) and wait until it has stopped."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def every(
    seconds: float,
    round_: Callable[[], Awaitable[object] | object],
    failed: Callable[[Exception], object],
    *,
    wait_first: bool = False,
    wake: asyncio.Event | None = None,
) -> NoReturn:
    """`round_()` (a function or a coroutine function), then a pause of `seconds`, for ever; `wait_first`: the
    pause first. A round that raises is told to `failed` and the next round runs. `wake`, once set, ends the pause
    at once (set while a round runs, it brings one more round right after): for a watcher with news to tell sooner
    than its next round."""
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
            failed(exc)
        await _pause(seconds, wake)


async def _pause(seconds: float, wake: asyncio.Event | None) -> None:
    if wake is None:
        await asyncio.sleep(seconds)
        return
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await wake.wait()
