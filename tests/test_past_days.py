"""A day that is over leaves memory, whether or not it had tickets still open; it stays in the database, and a
citizen's link to one of its tickets still works. The server's clock may be simulated (settings/clock.py)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from queue_server.application.demo import DEMO_PASSWORD
from queue_server.domain.state import SiteState
from queue_server.settings.clock import SimulatedClock
from queue_server.settings.config import Config
from queue_server.settings.sitefile import DEMO_SITE, load_site

from .helpers import KIOSK, Clock, Server, bearer, eventually, running_server
from .test_invariants import _start

BOTH_DATABASES = True  # every test here that uses a database runs on SQLite and on PostgreSQL (conftest.py)

MONDAY = date(2026, 11, 23)
WIB = ZoneInfo("Asia/Jakarta")


def _held(state: SiteState, day: date) -> dict[str, int]:
    """What of `day` is still in memory, index by index."""
    ids = {t.id for t in state.tickets.values() if t.day == day}
    return {
        "tickets": len(ids),
        "by_token": sum(1 for i in state.by_token.values() if i in ids),
        "by_label": sum(1 for d, _ in state.by_label if d == day),
        "ticket_days": state.ticket_days.get(day, 0),
        "numbers": sum(1 for _, d in state.last_number if d == day),
    }


async def _serve_everyone(s: Server, service: str, counter: str, operator: str, n: int) -> list[dict[str, Any]]:
    tickets = [(await s.issue(service))["ticket"] for _ in range(n)]
    op = await s.login(operator)
    assert (await s.command(op, counter, "open")).status_code == 200
    for _ in tickets:
        for step in ("call_next", "start", "finish"):
            r = await s.command(op, counter, step)
            assert r.status_code == 200, r.text
    assert (await s.command(op, counter, "close")).status_code == 200
    return tickets


async def test_a_day_with_nothing_left_open_is_forgotten_and_stays_in_the_database(database: Path | str) -> None:
    clock = Clock()
    async with running_server(database, clock=clock) as s:
        served = await _serve_everyone(s, "ktp", "1", "op-disdukcapil", 3)
        state = s.ctx.engine.states["tegal"]
        assert _held(state, MONDAY)["tickets"] == 3

        await s.ctx.engine.close_past_days()  # still Monday: nothing to forget
        assert _held(state, MONDAY)["tickets"] == 3

        clock.advance(days=1)
        await s.ctx.engine.close_past_days()
        assert _held(state, MONDAY) == dict.fromkeys(_held(state, MONDAY), 0), "nothing of Monday in any index"
        assert not state.holds_days_before(clock.now.date())
        rows = await s.ctx.storage.query("SELECT state FROM tickets WHERE day = ?", (MONDAY.isoformat(),))
        assert sorted(r[0] for r in rows) == ["done"] * 3, "still in the database"
        events = await s.ctx.storage.query("SELECT COUNT(*) FROM events WHERE type = 'day.closed'")
        assert events[0][0] == 0, "no day to close: nothing was open"

        # The citizen's link of a forgotten ticket still answers, from the database.
        r = await s.http.get(f"/api/v1/tickets/{served[0]['token']}")
        assert r.status_code == 200 and r.json()["ticket"]["state"] == "done", r.text
        page = await s.http.get(f"/t/{served[0]['token']}")
        assert page.status_code == 200 and served[0]["label"] in page.text

        # Tuesday starts afresh: numbering from 1 again.
        assert (await s.issue("ktp"))["ticket"]["label"] == served[0]["label"]


async def test_a_day_left_open_is_closed_then_forgotten(database: Path | str) -> None:
    clock = Clock()
    async with running_server(database, clock=clock) as s:
        waiting = (await s.issue("pkb"))["ticket"]
        state = s.ctx.engine.states["tegal"]
        clock.advance(days=1)
        await s.ctx.engine.close_past_days()
        assert _held(state, MONDAY)["tickets"] == 0
        rows = await s.ctx.storage.query("SELECT state FROM tickets WHERE id = ?", (waiting["id"],))
        assert rows[0][0] == "expired"
        r = await s.http.get(f"/api/v1/tickets/{waiting['token']}")
        assert r.status_code == 200 and r.json()["ticket"]["state"] == "expired"


async def test_a_server_started_on_a_later_day_loads_nothing_of_a_finished_day(database: Path | str) -> None:
    clock = Clock()
    async with running_server(database, clock=clock) as s:
        await _serve_everyone(s, "pkb", "7", "op-samsat", 2)
    clock.advance(days=1)
    async with running_server(database, clock=clock) as s:
        state = s.ctx.engine.states["tegal"]
        assert _held(state, MONDAY)["tickets"] == 0 and not state.holds_days_before(clock.now.date())
        rows = await s.ctx.storage.query("SELECT COUNT(*) FROM tickets WHERE day = ?", (MONDAY.isoformat(),))
        assert rows[0][0] == 2


def test_a_simulated_clock_runs_from_its_start_at_its_speed() -> None:
    start = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
    anchor = time.time() - 2.0  # started two seconds ago
    clock = SimulatedClock(start, speed=3600.0, anchor=anchor)
    hours = (clock() - start).total_seconds() / 3600
    assert hours >= 2.0 and hours - (time.time() - anchor) <= 0.01, "an hour of the clock per second of the machine"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"QUEUE_CLOCK_START": "7 December 2026"}, "ISO time"),
        ({"QUEUE_CLOCK_START": "2026-12-07T07:00:00"}, "UTC offset"),
        ({"QUEUE_CLOCK_START": "2026-12-07T07:00:00+07:00", "QUEUE_CLOCK_SPEED": "0"}, "above 0"),
        ({"QUEUE_CLOCK_START": "2026-12-07T07:00:00+07:00", "QUEUE_CLOCK_SPEED": "fast"}, "a number"),
        ({"QUEUE_CLOCK_SPEED": "60"}, "needs a clock start"),
    ],
)
def test_a_wrong_clock_setting_is_refused_with_a_reason(env: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Config.from_env(env)


def test_the_workers_of_one_server_share_one_simulated_clock() -> None:
    config = Config.from_env({"QUEUE_CLOCK_START": "2026-12-07T07:00:00+07:00", "QUEUE_CLOCK_SPEED": "60"})
    again = Config.from_json(config.to_json())  # what a worker process is given
    assert again.clock_anchor == config.clock_anchor is not None
    assert abs((again.clock()() - config.clock()()).total_seconds()) < 5


def test_the_demo_on_a_simulated_clock_issues_on_that_day(tmp_path: Path) -> None:
    """As a new user would start it: the command line, a real process, a real request."""
    log = tmp_path / "server.log"
    clock = ("--clock-start", "2026-12-07T08:00:00+07:00", "--clock-speed", "60")
    proc, url = _start(tmp_path / "sim.sqlite3", None, *clock, command="demo", log=log, wait=60)
    try:
        r = httpx.post(f"{url}/api/v1/sites/tegal/tickets", json={"service": "pkb"}, headers=bearer(KIOSK))
        assert r.status_code == 201, r.text
        issued = datetime.fromisoformat(r.json()["ticket"]["issued_at"]).astimezone(WIB)
        assert issued.date() == date(2026, 12, 7) and 8 <= issued.hour < 12, issued
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
    assert "simulated clock" in log.read_text(), "the log says the clock is not the machine's"


def test_the_command_line_refuses_a_wrong_clock_start(tmp_path: Path) -> None:
    run = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "queue_server", "serve", "--db", str(tmp_path / "x.sqlite3"), "--clock-start", "noon"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ},
    )
    assert run.returncode != 0 and "clock start must be an ISO time" in run.stderr and "Traceback" not in run.stderr


async def test_sign_ins_are_hashed_off_the_event_loop_one_at_a_time(database: Path | str) -> None:
    """Operators signing in at once: each is answered, and the server answers other requests meanwhile (argon2
    used to run on the event loop, and unbounded would take 64 MiB per hash at once). Twenty, over the operators of
    every agency (one account's attempts being checked at once are limited); each may wait for the others' hashes
    for long on a busy machine."""
    operators = [f"op-{agency.replace('_', '-')}" for agency in load_site(DEMO_SITE).agencies]
    async with running_server(database) as s:
        done: list[str] = []

        async def sign_in(i: int) -> None:
            body = {"username": operators[i % len(operators)], "password": DEMO_PASSWORD["operator"]}
            r = await s.http.post("/api/v1/auth/login", json=body, timeout=300)
            assert r.status_code == 200, r.text
            done.append(f"login {i}")

        async def health() -> None:
            await eventually(lambda: len(done) >= 1, "a first sign-in")
            r = await s.http.get("/healthz", timeout=300)
            assert r.status_code == 200
            done.append("healthz")

        await asyncio.gather(*(sign_in(i) for i in range(20)), health())
        assert len(done) == 21
        assert done.index("healthz") < 20, f"the event loop waited for every hash: {done}"
