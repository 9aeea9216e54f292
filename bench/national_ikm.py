"""Benchmark: the ministry's IKM report (GET /api/v1/national/ikm) over many malls and a month of answers.

    .venv/bin/python bench/national_ikm.py [--malls 300] [--days 30] [--served 400] [--answered 0.25] [--repeat 5]
                                           [--postgresql]

1. bench/generate_malls.py's malls (each with a province and its agencies' kinds), one SQLite database, or with
   --postgresql a database of a throwaway PostgreSQL cluster (tests/pg_support.py, fsync on, as production has it).
2. The server is started once (migrations, accounts) and stopped; then a month is written straight into the
   tables the report reads: per mall and day, `--served` finished tickets (the population of its sample) spread
   over its services, and `--answered` of them with nine answers. (Playing a month through the engine would take
   hours; the report reads only these rows.)
3. The server again; the report per mall, per province and per kind of agency is asked `--repeat` times each
   (the first read of each is cold: the database's pages are not in memory yet), and its totals are checked
   against counts made in the database.

Result: bench/results/national_ikm.json. The machine is shared: the figures are a time per report, not a target.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg  # noqa: E402
from _common import QUEUE_SERVER, free_port, http_json, percentile, save_result, serve_sites, table  # noqa: E402
from generate_malls import mall  # noqa: E402

from tests.pg_support import new_database, throwaway_cluster_handle  # noqa: E402

TICKET_COLUMNS = ["id", "site", "service", "agency", "series", "day", "number", "label", "state", "channel", "token",
                  "issued_at", "seq", "doc"]  # fmt: skip
ANSWER_COLUMNS = ["ticket", "site", "day", "service", "agency", "channel", "answered_at", "answers",
                  *[f"a{n}" for n in range(1, 10)]]  # fmt: skip

PASSWORD = "bench-nasional-2026"


def _month(
    sites: dict[str, list[tuple[str, str]]], args: argparse.Namespace
) -> list[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
    """Per mall, a month of finished tickets and their survey answers, as rows of the two tables."""
    rng = random.Random(7)
    out = []
    for site, services in sites.items():
        tickets, answers = [], []
        for day in range(1, args.days + 1):
            iso = f"2026-11-{day:02d}"
            for n in range(args.served):
                service, agency = services[n % len(services)]
                ticket = f"{site}-{day}-{n}"
                tickets.append((ticket, site, service, agency, service, iso, n + 1, f"X-{n + 1:03d}", "done", "kiosk",
                                ticket, f"{iso}T02:00:00+00:00", 0, "{}"))  # fmt: skip
                if rng.random() < args.answered:
                    values = [min(4, max(1, round(rng.gauss(3.2, 0.6)))) for _ in range(9)]
                    answers.append((ticket, site, iso, service, agency, "tablet", f"{iso}T03:00:00+00:00",
                                    json.dumps(values), *values))  # fmt: skip
        out.append((tickets, answers))
    return out


def _fill(db: Path | str, sites: dict[str, list[tuple[str, str]]], args: argparse.Namespace) -> dict[str, int]:
    """A month of finished tickets and survey answers, written straight into the tables (PostgreSQL: COPY)."""
    served = answered = 0
    if isinstance(db, str):
        asyncio.run(_copy(db, _month(sites, args)))
    else:
        conn = sqlite3.connect(db)
        for tickets, answers in _month(sites, args):
            conn.executemany(f"INSERT INTO tickets ({', '.join(TICKET_COLUMNS)}) VALUES "  # noqa: S608
                             f"({', '.join('?' * len(TICKET_COLUMNS))})", tickets)  # fmt: skip
            conn.executemany(f"INSERT INTO survey_responses ({', '.join(ANSWER_COLUMNS)}) VALUES "  # noqa: S608
                             f"({', '.join('?' * len(ANSWER_COLUMNS))})", answers)  # fmt: skip
        conn.commit()
        conn.close()
    for tickets, answers in _month(sites, args):
        served += len(tickets)
        answered += len(answers)
    return {"served": served, "answered": answered}


async def _copy(url: str, month: list[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]]) -> None:
    conn = await asyncpg.connect(url)
    try:
        for tickets, answers in month:
            await conn.copy_records_to_table("tickets", records=tickets, columns=TICKET_COLUMNS)
            await conn.copy_records_to_table("survey_responses", records=answers, columns=ANSWER_COLUMNS)
        await conn.execute("ANALYZE tickets; ANALYZE survey_responses")
    finally:
        await conn.close()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--malls", type=int, default=300)
    p.add_argument("--days", type=int, default=30, choices=range(1, 31))
    p.add_argument("--served", type=int, default=400, help="finished tickets per mall and day")
    p.add_argument("--answered", type=float, default=0.25, help="the share of them answering the survey")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--postgresql", action="store_true", help="a throwaway PostgreSQL cluster instead of SQLite")
    args = p.parse_args()
    with contextlib.ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-ikm-")))
        db: Path | str = work / "national.sqlite3"
        if args.postgresql:
            db = asyncio.run(new_database(stack.enter_context(throwaway_cluster_handle(fsync=True)).url))
        rng = random.Random(1)
        files: list[str] = []
        sites: dict[str, list[tuple[str, str]]] = {}
        for number in range(1, args.malls + 1):
            text, plan = mall(number, 3_000, rng)
            path = work / f"{plan['site']}.toml"
            path.write_text(text, encoding="utf-8")
            files.append(str(path))
            data = tomllib.loads(text)
            sites[str(plan["site"])] = [(s["id"], a["id"]) for a in data["agencies"] for s in a["services"]]
        port, log = free_port(), work / "server.log"
        subprocess.run([QUEUE_SERVER, "user", "add", "ministry", "--role", "regional", "--db", str(db),  # noqa: S603
                        "--password-stdin", *[x for f in files for x in ("--site", f)]],
                       input=PASSWORD, text=True, check=True, capture_output=True)  # fmt: skip
        server = serve_sites(files, db, port, log)
        server.terminate()
        server.wait(60)
        started = time.monotonic()
        rows = _fill(db, sites, args)
        fill_seconds = time.monotonic() - started
        server = serve_sites(files, db, port, log)
        try:
            status, body = http_json(port, "POST", "/api/v1/auth/login", {"username": "ministry", "password": PASSWORD})
            assert status == 200, body
            auth = {"Authorization": f"Bearer {body['token']}"}
            timings: dict[str, list[float]] = {}
            checked: dict[str, Any] = {}
            for by in ("site", "province", "kind"):
                for _ in range(args.repeat):
                    began = time.perf_counter()
                    status, report = http_json(port, "GET", f"/api/v1/national/ikm?by={by}&from=2026-11-01&"
                                               f"to=2026-11-{args.days:02d}", headers=auth, timeout=600)  # fmt: skip
                    timings.setdefault(by, []).append(time.perf_counter() - began)
                    assert status == 200, report
                total = report["total"]
                assert total["respondents"] == rows["answered"] and total["population"] == rows["served"], total
                checked[by] = {"groups": len(report["rows"]), "respondents": total["respondents"],
                               "score": total["score"]}  # fmt: skip
        finally:
            server.terminate()
            server.wait(60)
    result = {
        "database": "postgresql" if args.postgresql else "sqlite",
        "malls": args.malls,
        "days": args.days,
        "rows": rows,
        "fill_seconds": round(fill_seconds, 1),
        "seconds": {
            by: {"first": round(t[0], 3), "median_after": round(percentile(sorted(t[1:]), 50), 3)}
            for by, t in timings.items()
        },  # fmt: skip
        "checked": checked,
    }
    print(table([[by, s["first"], s["median_after"], checked[by]["groups"]] for by, s in result["seconds"].items()],
                ["by", "first read (s)", "median of the rest (s)", "groups"]))  # fmt: skip
    print(f"{rows['served']:,} tickets served, {rows['answered']:,} answers; totals equal to the database's")
    save_result("national_ikm_postgresql" if args.postgresql else "national_ikm", result)


if __name__ == "__main__":
    main()
