"""Benchmark: issuing tickets over HTTP on PostgreSQL with 1 and 2 server processes, SQLite side by side.

    .venv/bin/python bench/postgresql_issue.py [--duration 20] [--warmup 3] [--connections 32]

A throwaway PostgreSQL cluster is started for the run (tests/pg_support.py: initdb in a temporary directory,
a Unix socket only, stopped at the end; fsync stays ON here, unlike the tests', so commits cost what they cost in
production). For each variant a fresh demo server is started (`queue-server demo --db ... [--workers N]`) and wrk
POSTs /api/v1/sites/tegal/tickets as the demo kiosk from 32 connections, as bench/issue_http.py does. Afterwards the
database is checked: every ticket answered 201 is in it exactly once, numbers are unique and without gaps per
series, one ticket.issued event per ticket.

Targets (issue "Beyond one box"): PostgreSQL with 1 and with 2 processes >= 1,000 tickets/s, p99 <= 50 ms.
Result: bench/results/postgresql_issue.json.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg  # noqa: E402
from _common import save_result, start_server, table, verdict, wait_for_quiet  # noqa: E402
from issue_http import run_wrk  # noqa: E402

from tests.pg_support import new_database, throwaway_cluster_handle  # noqa: E402

TARGET_RATE = 1000.0
TARGET_P99_MS = 50.0

CHECKS = {
    "tickets": "SELECT COUNT(*) FROM tickets",
    "issued_events": "SELECT COUNT(*) FROM events WHERE type = 'ticket.issued'",
    "duplicate_numbers": "SELECT COUNT(*) FROM (SELECT 1 FROM tickets WHERE parent IS NULL "
    "GROUP BY site, day, series, number HAVING COUNT(*) > 1) AS d",
    "series_with_gaps": "SELECT COUNT(*) FROM (SELECT series FROM tickets WHERE parent IS NULL "
    "GROUP BY site, day, series HAVING MAX(number) != COUNT(*) OR MIN(number) != 1) AS g",
}


async def _pg_checks(url: str) -> tuple[dict[str, int], set[str]]:
    conn = await asyncpg.connect(url)
    try:
        counts = {name: int(await conn.fetchval(sql)) for name, sql in CHECKS.items()}
        ids = {row[0] for row in await conn.fetch("SELECT id FROM tickets")}
    finally:
        await conn.close()
    return counts, ids


def _sqlite_checks(db: Path) -> tuple[dict[str, int], set[str]]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        counts = {name: int(con.execute(sql).fetchone()[0]) for name, sql in CHECKS.items()}
        ids = {row[0] for row in con.execute("SELECT id FROM tickets")}
    finally:
        con.close()
    return counts, ids


def run_variant(name: str, db: str | Path, workers: int, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    extra = ["--workers", str(workers)] if workers > 1 else []
    server = start_server(work, db=db, log_name=f"{name}.log", extra_args=extra)
    try:
        server.wait_ready(timeout=90)
        wait_for_quiet()
        run_wrk(server.port, args.warmup, args.connections, "plain", f"{name}-warm", work / f"{name}-warm.json")
        result = run_wrk(server.port, args.duration, args.connections, "plain", name, work / f"{name}.json")
    finally:
        server.stop()
    time.sleep(0.5)
    counts, ids = asyncio.run(_pg_checks(db)) if isinstance(db, str) else _sqlite_checks(db)
    answered = set(result["ids"])
    problems = []
    if counts["duplicate_numbers"] or counts["series_with_gaps"]:
        problems.append("duplicate or missing numbers")
    if counts["issued_events"] != counts["tickets"]:
        problems.append("ticket.issued events != tickets")
    if answered - ids:
        problems.append(f"{len(answered - ids)} answered tickets missing from the database")
    rate = result["status"].get("201", 0) / args.duration
    return {
        "variant": name,
        "workers": workers,
        "tickets_per_s": round(rate, 1),
        "p50_ms": round(result["latency_us"]["p50"] / 1000, 1),
        "p99_ms": round(result["latency_us"]["p99"] / 1000, 1),
        "non_201": {k: v for k, v in result["status"].items() if k != "201"},
        "checks": counts,
        "problems": problems,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=20)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-pg-") as tmp, throwaway_cluster_handle(fsync=True) as cluster:
        work = Path(tmp)
        rows.append(run_variant("sqlite", work / "bench.sqlite3", 1, args, work))
        for workers in (1, 2):
            url = asyncio.run(new_database(cluster.url))
            rows.append(run_variant(f"postgresql-{workers}", url, workers, args, work))
    print(
        table(
            [
                [r["variant"], r["tickets_per_s"], r["p50_ms"], r["p99_ms"], r["non_201"] or "-", r["problems"] or "ok"]
                for r in rows
            ],  # fmt: skip
            ["variant", "tickets/s", "p50 ms", "p99 ms", "non-201", "checks"],
        )
    )
    for r in rows:
        if r["variant"].startswith("postgresql"):
            rate = verdict(r["tickets_per_s"], TARGET_RATE, lower_is_better=False)
            p99 = verdict(r["p99_ms"], TARGET_P99_MS)
            print(f"{r['variant']}: {rate} (target >= {TARGET_RATE:g}/s), p99 {p99} (target <= {TARGET_P99_MS:g} ms)")
    path = save_result("postgresql_issue", {"runs": rows, "duration_s": args.duration, "connections": args.connections})
    print(f"saved {path}")


if __name__ == "__main__":
    main()
