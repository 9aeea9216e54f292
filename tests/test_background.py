"""The background watchers' loop (queue_server/common/background.py): a failed round is told and the next one runs;
a stop cancels and waits; the database away is said once, and its return once, a bug in full."""

from __future__ import annotations

import asyncio
import logging

import pytest

from queue_server.common import background


async def test_a_failed_round_is_told_and_the_next_one_runs() -> None:
    rounds: list[int] = []
    failures: list[str] = []
    enough = asyncio.Event()

    async def round_() -> None:
        rounds.append(len(rounds))
        if len(rounds) == 2:
            raise RuntimeError("the database away")
        if len(rounds) == 4:
            enough.set()

    task = background.start(background.every(0.001, round_, lambda exc: failures.append(str(exc))), "test-rounds")
    await asyncio.wait_for(enough.wait(), 30)
    await background.stop(task)
    assert task.cancelled() and failures == ["the database away"] and len(rounds) >= 4


async def test_a_plain_function_and_a_pause_first() -> None:
    calls: list[float] = []
    called = asyncio.Event()
    loop = asyncio.get_running_loop()
    started = loop.time()

    def round_() -> None:
        calls.append(loop.time())
        called.set()

    task = background.start(background.every(0.05, round_, print, wait_first=True), "t")
    await asyncio.wait_for(called.wait(), 30)
    await background.stop(task)
    await background.stop(None)  # never started: nothing to do
    assert calls[0] - started >= 0.05, "the pause came first"


async def test_a_wake_ends_the_pause_at_once_and_one_set_during_a_round_brings_one_more() -> None:
    loop = asyncio.get_running_loop()
    wake = asyncio.Event()
    rounds: list[float] = []
    round_began = asyncio.Event()

    async def round_() -> None:
        rounds.append(loop.time())
        round_began.set()
        if len(rounds) == 2:
            wake.set()  # news while this round runs: one more round, without the pause

    task = background.start(background.every(60, round_, print, wake=wake), "t")
    await asyncio.wait_for(round_began.wait(), 30)
    assert len(rounds) == 1, "then a pause of a minute"
    await asyncio.sleep(0.05)
    assert len(rounds) == 1
    wake.set()
    for _ in range(200):
        if len(rounds) >= 3:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)
    await background.stop(task)
    assert len(rounds) == 3, "woken: the second round at once, and the third brought by the wake it set"
    assert rounds[2] - rounds[0] < 30


async def test_an_outage_is_one_line_and_its_end_another_and_a_bug_is_said_in_full(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Rounds failing with the database away (an OSError here, as StoragePort.unavailable counts it) say so once,
    whatever their number; the first round through says it is back; a bug is said with its traceback, and once only
    while it repeats, round after round."""
    caplog.set_level(logging.INFO)
    log = logging.getLogger("tests.outage")
    plan = ["away"] * 6 + ["ok", "ok", "bug", "bug", "bug", "ok", "bug", "away", "ok"]
    done = asyncio.Event()

    def round_() -> None:
        step = plan.pop(0)
        if not plan:
            done.set()
        if step == "away":
            raise ConnectionRefusedError("connect call failed")
        if step == "bug":
            raise KeyError("site")

    said = background.Outage(log, "sharing what this process has connected", lambda exc: isinstance(exc, OSError))
    task = background.start(background.every(0.001, round_, said), "test-outage")
    await asyncio.wait_for(done.wait(), 30)
    await background.stop(task)
    lines = [(r.levelname, r.getMessage(), r.exc_info is not None) for r in caplog.records if r.name == log.name]
    away = (
        "WARNING",
        "sharing what this process has connected: the database does not answer (ConnectionRefusedError: connect "
        "call failed); trying again, and saying so once it answers",
        False,
    )
    back = ("WARNING", "sharing what this process has connected: the database answers again", False)
    bug = ("ERROR", "sharing what this process has connected failed", True)
    assert lines == [away, back, bug, bug, away, back], lines


async def test_a_stop_ends_a_task_that_swallowed_its_first_cancellation() -> None:
    """A loop whose cancellation is swallowed once (as Python 3.11's `asyncio.wait_for` may) is cancelled again: a
    test's `notifications.stop()` once waited an hour on the outbox's deliverer running on under load."""
    swallowed = asyncio.Event()

    async def stubborn() -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            swallowed.set()
        await asyncio.sleep(3600)

    task = background.start(stubborn(), "test-stubborn")
    await asyncio.sleep(0)
    async with asyncio.timeout(60):  # a guard against the old hang, not a speed bound
        await background.stop(task)
    assert swallowed.is_set() and task.cancelled()


async def test_a_loop_idling_on_a_wake_stops_when_cancelled_as_it_is_woken() -> None:
    """The wake set in the same turn as the cancel: the cancel wins (asyncio.wait_for returned the wake instead)."""
    wake, rounds = asyncio.Event(), []

    async def loop() -> None:
        while True:
            wake.clear()
            rounds.append(await background.woken(wake, 3600))

    task = background.start(loop(), "test-idle")
    await asyncio.sleep(0.01)
    wake.set()
    task.cancel()
    async with asyncio.timeout(60):
        with pytest.raises(asyncio.CancelledError):
            await task
    assert rounds == []


async def test_woken_says_whether_the_event_came_or_the_time_passed() -> None:
    wake = asyncio.Event()
    assert await background.woken(wake, 0.01) is False
    wake.set()
    assert await background.woken(wake, 3600) is True
