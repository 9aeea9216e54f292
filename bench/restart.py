"""Benchmark 4: restart time with 1,000,000 events in the log.

    .venv/bin/python bench/restart.py [--events 1000000] [--repeat 3] [--keep-db PATH]

Builds a database directly with sqlite3, in the server's own schema (the migrations of queue_server/persistence/ and its
ticket row layout): the demo site's history over as many past days as it takes to reach --events events, each
day with 1,200 tickets (issued -> called -> started -> finished, 5% no-shows expired at the day's close, 3%
cancellations, counters opened and closed, the day closed), and today (in the site's time zone) with 3,000 tickets: 2,000 done, 1,000
still waiting. Events carry the same snapshots the server writes, and the tickets/counters/closed_days
projections match them, so size and indexes are realistic. Then `queue-server serve --site demo_tegal.toml`
is started --repeat times on that database (which start-up does not change: the check is last_seq == events) and
the time from spawning the process to the first successful GET /healthz is measured; then once more after
evicting the database file from the page cache (posix_fadvise DONTNEED: a cold start without disturbing other
files); and --repeat times on an empty database, to separate Python start-up from loading.
Target: ready in <= 3 s. Result: bench/results/restart.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import (  # noqa: E402
    DEMO_SITE,
    http_json,
    save_result,
    start_server,
    table,
    verdict,
    wait_for_quiet,
)

from queue_server.domain.model import CounterState, CounterStatus, Ticket, TicketState, format_label  # noqa: E402
from queue_server.persistence import schema  # noqa: E402
from queue_server.persistence.storage import _TICKET_UPSERT, _ticket_row  # noqa: E402
from queue_server.settings.sitefile import load_site  # noqa: E402

TARGET_SECONDS = 3.0
PER_DAY = 1200
TODAY_DONE = 2000
TODAY_WAITING = 1000


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class Builder:
    def __init__(self, con: sqlite3.Connection, seed: int = 7) -> None:
        self.con = con
        self.site = load_site(DEMO_SITE)
        self.rng = random.Random(seed)
        self.seq = 0
        self.events: list[tuple[Any, ...]] = []
        self.tickets: dict[str, tuple[Any, ...]] = {}
        self.counters: dict[str, CounterStatus] = {c: CounterStatus(c) for c in self.site.counters}
        self.services = list(self.site.services.values())
        self.serving = {s.id: [c.id for c in self.site.counters.values() if s.id in c.services] for s in self.services}

    def event(self, type_: str, at: datetime, **data: Any) -> None:
        self.seq += 1
        self.events.append((self.seq, self.site.id, type_, at.isoformat(), _dumps(data)))
        for key in ("ticket", "new_ticket"):
            if key in data:
                self.tickets[data[key]["id"]] = _ticket_row(data[key], self.seq)
        if len(self.events) >= 50_000:
            self.flush()

    def flush(self) -> None:
        self.con.executemany("INSERT INTO events (seq, site, type, at, data) VALUES (?,?,?,?,?)", self.events)
        self.con.executemany(_TICKET_UPSERT, list(self.tickets.values()))
        self.events.clear()
        self.tickets.clear()

    def counter_event(self, type_: str, at: datetime, status: CounterStatus) -> None:
        self.counters[status.id] = status
        self.event(type_, at, counter=status.to_dict())

    def day(self, day: date, n_tickets: int, waiting: int = 0, close: bool = True) -> None:
        tz = self.site.tz
        opening = datetime.combine(day, datetime.min.time(), tzinfo=tz).replace(hour=7, minute=30).astimezone(UTC)
        for cid in self.site.counters:
            self.counter_event(
                "counter.opened",
                opening,
                CounterStatus(cid, CounterState.OPEN, operator=f"Operator {self.site.counters[cid].agency}"),
            )
        numbers: dict[str, int] = {}
        no_shows: list[Ticket] = []  # open until the day is closed, which expires them (as the server does)
        span = 7 * 3600
        for i in range(n_tickets):
            service = self.services[self.rng.randrange(len(self.services))]
            numbers[service.id] = numbers.get(service.id, 0) + 1
            issued = opening + timedelta(seconds=span * i / max(n_tickets, 1) + self.rng.random())
            ticket = Ticket(
                id=uuid.UUID(int=self.rng.getrandbits(128)).hex,
                site=self.site.id,
                service=service.id,
                agency=service.agency,
                series=service.id,
                day=day,
                number=numbers[service.id],
                label=format_label(service.prefix, numbers[service.id]),
                state=TicketState.WAITING,
                priority="lansia" if self.rng.random() < 0.05 else None,
                channel="kiosk",
                token=f"t{self.rng.getrandbits(120):030x}",
                issued_at=issued,
                queue_key=issued,
            )
            self.event("ticket.issued", issued, ticket=ticket.to_dict())
            if i >= n_tickets - waiting:
                continue
            roll = self.rng.random()
            if roll < 0.03:
                done = ticket.moved_to(TicketState.CANCELLED, finished_at=issued + timedelta(minutes=20))
                self.event("ticket.cancelled", done.finished_at or issued, ticket=done.to_dict(), reason=None)
                continue
            counter_id = self.rng.choice(self.serving[service.id] or list(self.site.counters))
            status = self.counters[counter_id]
            called_at = issued + timedelta(minutes=self.rng.randint(5, 60))
            called = ticket.moved_to(TicketState.CALLED, counter=counter_id, called_at=called_at)
            busy = CounterStatus(counter_id, CounterState.OPEN, called.id, 0, status.operator)
            self.counters[counter_id] = busy
            self.event("ticket.called", called_at, ticket=called.to_dict(), counter=busy.to_dict(), out_of_order=False)
            idle = CounterStatus(counter_id, CounterState.OPEN, None, 0, status.operator)
            if roll < 0.08:
                gone = called.moved_to(TicketState.NO_SHOW, finished_at=called_at + timedelta(minutes=3))
                self.counters[counter_id] = idle
                self.event(
                    "ticket.no_show", gone.finished_at or called_at, ticket=gone.to_dict(), counter=idle.to_dict()
                )
                no_shows.append(gone)
                continue
            started = called.moved_to(TicketState.SERVING, started_at=called_at + timedelta(minutes=1))
            self.event(
                "ticket.started", started.started_at or called_at, ticket=started.to_dict(), counter=busy.to_dict()
            )
            finished_at = called_at + timedelta(minutes=self.rng.randint(3, 15))
            done = started.moved_to(TicketState.DONE, finished_at=finished_at)
            self.counters[counter_id] = idle
            self.event("ticket.finished", finished_at, ticket=done.to_dict(), counter=idle.to_dict())
        if close:
            closing = opening + timedelta(hours=8, minutes=30)
            for ticket in no_shows:
                expired = ticket.moved_to(TicketState.EXPIRED, finished_at=closing)
                self.event("ticket.expired", closing, ticket=expired.to_dict())
            for cid in self.site.counters:
                self.counter_event("counter.closed", closing, CounterStatus(cid))
            self.event("day.closed", closing, day=day.isoformat(), expired=len(no_shows))
            self.con.execute(
                "INSERT INTO closed_days (site, day, seq) VALUES (?,?,?)", (self.site.id, day.isoformat(), self.seq)
            )

    def finish(self) -> None:
        self.flush()
        self.con.executemany(
            "INSERT INTO counters (site, id, doc, seq) VALUES (?,?,?,?)",
            [(self.site.id, c.id, _dumps(c.to_dict()), self.seq) for c in self.counters.values()],
        )


def build(path: Path, target_events: int) -> dict[str, Any]:
    started = time.monotonic()
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    schema.migrate(con)
    con.execute("BEGIN")
    b = Builder(con)
    today = datetime.now(b.site.tz).date()
    per_day_events = PER_DAY * 3.9 + 2 * len(b.site.counters) + 1  # measured average of Builder.day
    today_events = TODAY_DONE * 3.85 + TODAY_WAITING + len(b.site.counters)
    past_days = max(1, round((target_events - today_events) / per_day_events))
    for k in range(past_days, 0, -1):
        b.day(today - timedelta(days=k), PER_DAY)
    b.day(today, TODAY_DONE + TODAY_WAITING, waiting=TODAY_WAITING, close=False)
    b.finish()
    con.execute("COMMIT")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    counts = {
        "events": con.execute("SELECT COUNT(*) FROM events").fetchone()[0],
        "tickets": con.execute("SELECT COUNT(*) FROM tickets").fetchone()[0],
        "tickets_today": con.execute("SELECT COUNT(*) FROM tickets WHERE day = ?", (today.isoformat(),)).fetchone()[0],
        "tickets_waiting": con.execute("SELECT COUNT(*) FROM tickets WHERE state = 'waiting'").fetchone()[0],
        "days": past_days + 1,
    }
    con.close()
    return {**counts, "build_seconds": round(time.monotonic() - started, 1)}


def load_query_seconds(path: Path) -> float:
    """The server's start-up read (storage.load_site), timed on its own with sqlite3."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    started = time.perf_counter()
    latest = con.execute("SELECT MAX(day) FROM tickets WHERE site = 'tegal'").fetchone()[0]
    open_states = ("waiting", "called", "serving", "no_show")
    rows = con.execute(
        "SELECT doc FROM tickets WHERE site = ? AND (day = ? OR state IN (?,?,?,?))", ("tegal", latest, *open_states)
    ).fetchall()
    con.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()
    elapsed = time.perf_counter() - started
    con.close()
    assert rows
    return elapsed


def evict_from_page_cache(db: Path) -> None:
    """Drop the database's (clean) pages from the page cache: a cold start without touching anyone else's files."""
    for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        if path.exists():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def time_starts(workdir: Path, db: Path, repeat: int, label: str, cold: bool = False) -> list[dict[str, Any]]:
    out = []
    for i in range(repeat):
        if cold:
            evict_from_page_cache(db)
        server = start_server(workdir, mode="serve", site_file=DEMO_SITE, db=db, log_name=f"{label}{i}.log")
        try:
            ready = server.wait_ready(timeout=60)
            _, health = http_json(server.port, "GET", "/healthz")
            rss = server.rss_kb()
        finally:
            server.stop()
        out.append(
            {
                "ready_seconds": round(ready, 3),
                "last_seq": health["last_seq"],
                "rss_mb": round(rss / 1024, 1),
                "cold": cold,
            }
        )
        print(f"  {label} start {i + 1}: ready in {ready:.3f} s (last_seq {health['last_seq']})", flush=True)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--events", type=int, default=1_000_000)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--keep-db", help="also copy the built database here")
    p.add_argument("--max-quiet-wait", type=float, default=60.0)
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-restart-") as tmp:
        workdir = Path(tmp)
        db = workdir / "big.sqlite3"
        print(f"[restart] building a database with ~{args.events:,} events ...", flush=True)
        built = build(db, args.events)
        size = db.stat().st_size
        print(f"  built in {built['build_seconds']} s: {built['events']:,} events, {built['tickets']:,} tickets, "
              f"{size / 2**20:.0f} MiB")  # fmt: skip
        query = load_query_seconds(db)
        quiet = wait_for_quiet(args.max_quiet_wait)
        empty = time_starts(workdir, workdir / "empty.sqlite3", args.repeat, "empty-db")
        big = time_starts(workdir, db, args.repeat, "1M-events")
        cold = time_starts(workdir, db, 1, "1M-events-cold-cache", cold=True)
        size_after = db.stat().st_size
        if args.keep_db:
            import shutil

            shutil.copy(db, args.keep_db)
    worst = max(r["ready_seconds"] for r in big)
    worst_cold = cold[0]["ready_seconds"]
    rows = [
        ["empty database", *[r["ready_seconds"] for r in empty], "-"],
        [f"{built['events']:,} events", *[r["ready_seconds"] for r in big], f"{size / 2**20:.0f} MiB"],
        ["same, DB evicted from page cache", worst_cold, *["-"] * (args.repeat - 1), ""],
    ]
    print()
    print(table(rows, ["", *[f"start {i + 1} s" for i in range(args.repeat)], "DB size"]))
    print(f"\ntarget: ready <= {TARGET_SECONDS:.0f} s: worst {worst:.3f} s ({verdict(worst, TARGET_SECONDS)}); "
          f"cold page cache {worst_cold:.3f} s ({verdict(worst_cold, TARGET_SECONDS)})")  # fmt: skip
    path = save_result(
        "restart",
        {
            "parameters": {"events_target": args.events, "repeat": args.repeat, "command": "queue-server serve"},
            "machine_before_start": quiet,
            "database": {
                **built,
                "size_bytes": size,
                "size_mib": round(size / 2**20, 1),
                "size_after_starts": size_after,
            },
            "load_query_seconds_sqlite3": round(query, 3),
            "targets": {
                "ready_seconds": {
                    "target": f"<= {TARGET_SECONDS:.0f}",
                    "measured_worst": worst,
                    "verdict": verdict(worst, TARGET_SECONDS),
                    "measured_cold_page_cache": worst_cold,
                    "verdict_cold": verdict(worst_cold, TARGET_SECONDS),
                }
            },
            "starts_empty_db": empty,
            "starts_1m_events": big,
            "start_1m_events_cold_page_cache": cold,
        },
    )
    print(f"result: {path}")


if __name__ == "__main__":
    main()
