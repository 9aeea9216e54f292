"""Retention (issue 16): the event log older than a day is archived to gzip JSON lines and deleted; every report of
the archived days reads the same afterwards, the site's newest event stays, and numbering goes on after a restart;
`queue-server archive` does it from the command line, `retention_days` every day by itself."""

from __future__ import annotations

import asyncio
import gzip
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from queue_server.application.retention import Retention, archive_events, archive_tickets
from queue_server.persistence.factory import storage_for

from .helpers import Clock, Server, running_server

BOTH_DATABASES = True
REPORT = "/api/v1/sites/tegal/reports?from=2026-11-23&to=2026-11-23"


async def busy_monday(server: Server) -> None:
    operator = await server.login("op-disdukcapil")
    await server.command(operator, "1", "open")
    for _ in range(4):
        await server.issue("ktp")
    for _ in range(3):
        server.clock.advance(minutes=5)
        await server.command(operator, "1", "call_next")
        server.clock.advance(minutes=6)
        await server.command(operator, "1", "finish")


async def count_events(database: Path | str) -> tuple[int, int]:
    storage = storage_for(database)
    await storage.open()
    try:
        rows = await storage.query("SELECT COUNT(*), COALESCE(MAX(seq), 0) FROM events")
        return int(rows[0][0]), int(rows[0][1])
    finally:
        await storage.close()


def lines_of(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


async def test_archived_events_leave_every_report_as_it_was(database: Path | str, tmp_path: Path) -> None:
    clock = Clock()  # Monday 23 November 2026, 09:00 WIB
    async with running_server(database, clock=clock) as server:
        await busy_monday(server)
        clock.advance(days=9)
        await server.issue("ktp")  # Wednesday 2 December: the newest events are recent
    async with running_server(database, clock=clock) as server:  # Monday closed at start-up (its ticket left open)
        before = (await server.http.get(REPORT, headers=await server.login("supervisor"))).json()
        before.pop("generated_at")
    total, newest = await count_events(database)
    storage = storage_for(database)
    await storage.open()
    try:
        cutoff = datetime(2026, 11, 30, tzinfo=UTC)
        archived = await archive_events(storage, "tegal", cutoff, tmp_path / "archive")
        again = await archive_events(storage, "tegal", cutoff, tmp_path / "archive")
        tickets = await archive_tickets(storage, "tegal", cutoff.date(), tmp_path / "archive")
        assert (await archive_tickets(storage, "tegal", cutoff.date(), tmp_path / "archive")).count == 0
    finally:
        await storage.close()
    assert archived.count > 10 and again.count == 0, "archived once; a second run finds nothing"
    assert archived.path is not None and (archived.path.stat().st_mode & 0o777) == 0o600
    lines = lines_of(archived.path)
    assert len(lines) == archived.count and {line["site"] for line in lines} == {"tegal"}
    assert lines[0]["type"] == "counter.opened" and all(line["at"] < "2026-11-30" for line in lines)
    assert [line["seq"] for line in lines] == sorted(line["seq"] for line in lines)
    assert tickets.count == 4 and tickets.path is not None
    docs = lines_of(tickets.path)
    assert sorted(d["label"] for d in docs) == ["A-001", "A-002", "A-003", "A-004"]
    assert {d["day"] for d in docs} == {"2026-11-23"}
    left, still_newest = await count_events(database)
    assert left == total - archived.count and still_newest == newest
    async with running_server(database, clock=clock) as server:
        after = (await server.http.get(REPORT, headers=await server.login("supervisor"))).json()
        after.pop("generated_at")
        assert before["totals"]["tickets"] == 4 and before["totals"]["served"] == 3
        assert after == before, "a report of an archived day reads the same"
        issued = await server.issue("ktp")
        assert issued["ticket"]["label"] == "A-002"
        old_link = docs[0]["token"]  # an archived ticket's link is unknown now; the report still counts it
        assert (await server.http.get(f"/api/v1/tickets/{old_link}")).status_code == 404
    assert (await count_events(database))[1] > newest, "numbering goes on after the newest kept event"


async def test_the_newest_event_of_a_quiet_site_is_kept(database: Path | str, tmp_path: Path) -> None:
    clock = Clock()
    async with running_server(database, clock=clock) as server:
        await server.issue("ktp")
    storage = storage_for(database)
    await storage.open()
    try:
        retention = Retention(storage, ["tegal"], 7, tmp_path / "archive", lambda: clock.now + timedelta(days=60))
        results = await retention.run_once()
    finally:
        await storage.close()
    assert [r.kind for r in results] == ["events", "tickets"]
    left, newest = await count_events(database)
    assert left == 1 and newest > 0, "a site idle for months keeps its newest event: its numbering goes on"


def test_the_command_line_archives_with_the_server_stopped(tmp_path: Path) -> None:
    db = tmp_path / "q.sqlite3"

    async def fill() -> None:
        clock = Clock()
        async with running_server(db, clock=clock) as server:
            await busy_monday(server)
            clock.advance(days=9)
            await server.issue("ktp")

    asyncio.run(fill())
    out = subprocess.run(
        [sys.executable, "-m", "queue_server", "archive", "--before", "2026-12-01", "--db", str(db),
         "--to", str(tmp_path / "arch")],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "events archived to" in out.stdout and "tickets archived to" in out.stdout
    files = list((tmp_path / "arch").glob("tegal-events-20261123-*.jsonl.gz"))
    assert len(files) == 1 and lines_of(files[0])
    tickets = list((tmp_path / "arch").glob("tegal-tickets-20261123-20261123-*.jsonl.gz"))
    # three served; the fourth is still open (its day was never closed: no server ran since) and stays whole
    assert len(tickets) == 1 and len(lines_of(tickets[0])) == 3
    bad = subprocess.run(
        [sys.executable, "-m", "queue_server", "archive", "--before", "1 Desember", "--db", str(db)],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert bad.returncode != 0 and "not a date" in bad.stderr
    ahead = subprocess.run(
        [sys.executable, "-m", "queue_server", "archive", "--before", "2099-01-01", "--db", str(db)],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert ahead.returncode != 0 and "only past days are archived" in ahead.stderr, ahead.stderr
    again = subprocess.run(
        [sys.executable, "-m", "queue_server", "archive", "--before", "2026-12-01", "--db", str(db)],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert again.stdout.count("tegal: no events before 2026-12-01") == 1, again.stdout
    assert again.stdout.count("tegal: no tickets before 2026-12-01") == 1, again.stdout


def test_a_wit_mall_s_archives_are_named_by_its_own_days(tmp_path: Path) -> None:
    """A mall in Jayapura: its Monday 7 December began at 15.00 UTC on the 6th, and its events of 07.30 WIT are of
    the 6th in UTC. Archived by the server's daily run and by the command line, the events' file is named by the
    mall's day, 20261207, as its tickets' file is (it was named 20261206, a day its tickets' file does not name)."""
    from .test_times_wit import jayapura_site

    site = jayapura_site(tmp_path)

    async def fill(database: Path) -> Clock:
        clock = Clock(datetime(2026, 12, 6, 22, 30, tzinfo=UTC))  # 07.30 WIT, Monday 7 December
        async with running_server(database, clock=clock, site_files=[site]) as server:
            assert server.ctx.sites["tegal"].timezone == "Asia/Jayapura"
            await busy_monday(server)
            clock.advance(days=2)
            await server.issue("ktp")  # Wednesday: the newest events are recent
        return clock

    async def by_the_server(database: Path) -> None:
        clock = await fill(database)
        storage = storage_for(database)
        await storage.open()
        try:
            retention = Retention(storage, ["tegal"], 7, tmp_path / "auto", lambda: clock.now + timedelta(days=60),
                                  zone_of=lambda _: ZoneInfo("Asia/Jayapura"))  # fmt: skip
            await retention.run_once()
        finally:
            await storage.close()

    asyncio.run(by_the_server(tmp_path / "auto.sqlite3"))
    asyncio.run(fill(tmp_path / "cli.sqlite3"))
    out = subprocess.run(
        [sys.executable, "-m", "queue_server", "archive", "--before", "2026-12-08", "--db", str(tmp_path / "cli.sqlite3"),
         "--site", str(site), "--to", str(tmp_path / "cli")],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    for directory in ("auto", "cli"):
        names = sorted(p.name for p in (tmp_path / directory).glob("tegal-*.jsonl.gz"))
        assert len(names) == 2, names
        assert names[0].startswith("tegal-events-20261207-") and names[1].startswith("tegal-tickets-20261207-"), names
