"""Each counter's usual long break (ISHOMA), learnt from the same weekday of the last weeks, and the wait forecast
expecting the counter away then (domain/break_habits.py, forecast.py, engine._learn_history)."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest

from queue_server.domain import commands as c
from queue_server.domain import events as ev
from queue_server.domain.break_habits import usual_breaks
from queue_server.domain.catalogue import BreakRule
from queue_server.domain.forecast import simulate
from queue_server.settings.sitefile import DEMO_SITE, load_site

from .domain_fixtures import Driver
from .helpers import Clock, running_server

BOTH_DATABASES = True  # the engine test runs on SQLite and on PostgreSQL (conftest.py)
RULE = BreakRule(time(11, 45), time(13, 45), 45)
WIB = load_site(DEMO_SITE).tz


def at(day: int, hour: int, minute: int) -> datetime:
    """November `day`, 2026, local time in WIB."""
    return datetime(2026, 11, day, hour, minute, tzinfo=WIB)


def pause(
    counter: str, start: datetime, minutes: float, end: str = ev.COUNTER_OPENED
) -> list[tuple[datetime, str, str]]:
    return [(start, ev.COUNTER_PAUSED, counter), (start + timedelta(minutes=minutes), end, counter)]


def test_a_counter_s_usual_break_is_the_median_start_and_end_of_its_long_pauses_in_the_window() -> None:
    moves = [
        *pause("1", at(2, 12, 0), 45), *pause("1", at(9, 12, 10), 44), *pause("1", at(16, 12, 5), 45, ev.COUNTER_CLOSED),
        *pause("2", at(16, 11, 50), 45),  # one day only: not a habit yet
        *pause("3", at(9, 12, 0), 5), *pause("3", at(16, 12, 0), 4),  # a few minutes for a form: not the break
        *pause("4", at(9, 10, 0), 45), *pause("4", at(16, 10, 0), 45),  # before the window: not the break
        (at(9, 12, 30), ev.COUNTER_PAUSED, "5"), (at(16, 12, 30), ev.COUNTER_PAUSED, "5"),  # never came back
        *pause("6", at(9, 9, 0), 3), *pause("6", at(9, 12, 30), 45), *pause("6", at(16, 12, 40), 40),
    ]  # fmt: skip
    assert usual_breaks(moves, RULE, WIB) == {"1": (time(12, 5), time(12, 50)), "6": (time(12, 35), time(13, 17))}
    assert usual_breaks([], RULE, WIB) == {}


def test_the_forecast_expects_a_counter_away_at_its_usual_break() -> None:
    """Loket 1 (KTP only) at 11:30 with eight KTP tickets: it usually pauses at 11:50. It is expected to call at
    full pace until then, and the first call after that only when the break ends (12:35), instead of working at
    the window's average share from 11:45."""
    d = Driver(replace(load_site(DEMO_SITE), enforce_hours=False), now=at(23, 11, 30).astimezone(UTC))
    tickets = [d.issue("ktp") for _ in range(8)]
    d.open("1")
    d.now = at(23, 11, 30).astimezone(UTC)
    minutes = d.state.times.at_counter("ktp", "1")
    fluid = simulate(d.state, d.now, d.state.times)

    d.state.usual_breaks = {"1": (time(11, 50), time(12, 35))}
    learnt = simulate(d.state, d.now, d.state.times)
    calls = [learnt.calls[t.id].minutes for t in tickets]
    before = [m for m in calls if m < 20]
    assert before == pytest.approx([n * minutes for n in range(len(before))]), "full pace before its break"
    assert calls[len(before)] == 65, "the first call after 11:50 waits for the break to end at 12:35"
    assert fluid.calls[tickets[len(before)].id].minutes < 65, "the window's average share alone hid the break"

    d.now = at(23, 11, 52).astimezone(UTC)
    d.run(c.PauseCounter("1"))  # today's break, taken: back at its usual return (12:35), no second one expected
    paused = simulate(d.state, d.now, d.state.times)
    calls = sorted(paused.calls[t.id].minutes for t in tickets)
    assert calls[:2] == pytest.approx([43, 43 + minutes])

    d.state.usual_breaks = {}  # no habit: a break of the rule's length from the pause
    calls = sorted(simulate(d.state, d.now, d.state.times).calls[t.id].minutes for t in tickets)
    assert calls[0] == RULE.minutes


async def test_the_engine_learns_each_counter_s_break_from_the_same_weekday_before(database: Path | str) -> None:
    clock = Clock()  # Monday 23 November; the Mondays before: 16, 9 and 2 November
    for day, start, length in [(2, time(11, 50), 5), (9, time(12, 0), 45), (16, time(12, 10), 45)]:
        clock.now = at(day, 8, 0).astimezone(UTC)
        async with running_server(database, clock=clock) as server:
            op = await server.login("op-disdukcapil")
            r = await server.command(op, "1", "open")
            assert r.status_code == 200, (day, r.text)
            clock.now = at(day, start.hour, start.minute).astimezone(UTC)
            assert (await server.command(op, "1", "pause")).status_code == 200
            clock.advance(minutes=length)
            assert (await server.command(op, "1", "resume")).status_code == 200
            assert (await server.command(op, "1", "close")).status_code == 200
    clock.now = Clock().now
    async with running_server(database, clock=clock) as server:
        state = server.ctx.engine.states["tegal"]
        assert state.usual_breaks == {"1": (time(12, 5), time(12, 50))}, "12:10 and 12:00 for 45 minutes; 11:50 for 5"


def test_the_morning_read_of_breaks_uses_its_index_not_the_whole_log(tmp_path: Path) -> None:
    from queue_server.persistence.schema import migrate

    conn = sqlite3.connect(tmp_path / "q.sqlite3")
    migrate(conn)
    plan = conn.execute(
        "EXPLAIN QUERY PLAN SELECT at, type, data FROM events WHERE site = ? "
        "AND type IN ('counter.paused', 'counter.opened', 'counter.closed') AND at >= ? AND at < ?",
        ("tegal", "a", "b"),
    ).fetchall()
    conn.close()
    assert "events_counter_moves" in str(plan)
