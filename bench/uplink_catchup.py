"""Benchmark: a mall's day sent up at once to the server that mirrors it (docs/deployment.md, "Malls on their own
boxes"), as after a day without internet.

    .venv/bin/python bench/uplink_catchup.py [--tickets 3000] [--mirror sqlite,postgresql]

1. A demo mall (its own SQLite file, no uplink) lives a busy day's worth of events: --tickets tickets issued over
   HTTP at its kiosk, and three counters calling, starting and finishing about two thirds of them.
2. For each mirror (a `serve --mirror tegal` on SQLite, or on a throwaway PostgreSQL cluster with fsync on), an
   uplink token is made, the mall is started again with QUEUE_UPLINK_URL/QUEUE_UPLINK_TOKEN, and the time is
   taken until the mirror's copy ends where the mall's log ends (GET .../uplink).
3. Checked: the mirror's events are the mall's, seq for seq (`source_seq`), none twice, and its tickets the same.

Reported: events and tickets per second applied at the mirror, and the whole catch-up's time.
Result: bench/results/uplink_catchup.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import (  # noqa: E402
    DEMO_SITE,
    KIOSK_TOKEN,
    QUEUE_SERVER,
    http_json,
    login,
    save_result,
    start_server,
    table,
)

from tests.pg_support import new_database, throwaway_cluster_handle  # noqa: E402

SERVICES = ("pkb", "npwp", "spt", "jkn_daftar", "jkn_ubah")  # the demo's services without a daily quota
COUNTERS = {"7": "op-samsat", "11": "op-pajak", "13": "op-bpjs-kesehatan"}  # counter -> its operator


def live_a_day(port: int, tickets: int) -> None:
    """Tickets issued by 8 kiosks at once; three counters serve what they can of two thirds of them."""

    def issue(i: int) -> int:
        status, _ = http_json(port, "POST", "/api/v1/sites/tegal/tickets", {"service": SERVICES[i % len(SERVICES)]},
                              {"Authorization": f"Bearer {KIOSK_TOKEN}"})  # fmt: skip
        return status

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(issue, range(tickets)))
    refused = sum(1 for s in statuses if s != 201)
    if refused > tickets // 10:
        raise RuntimeError(f"{refused} of {tickets} tickets refused")

    def serve(counter: str) -> None:
        headers = {"Authorization": f"Bearer {login(port, COUNTERS[counter])}"}
        http_json(port, "POST", f"/api/v1/sites/tegal/counters/{counter}/commands", {"command": "open"}, headers)
        for _ in range(tickets * 2 // 3 // len(COUNTERS)):
            for command in ("call_next", "start", "finish"):
                status, body = http_json(port, "POST", f"/api/v1/sites/tegal/counters/{counter}/commands",
                                         {"command": command}, headers)  # fmt: skip
                if status != 200:
                    return  # this counter's services are served out

    with ThreadPoolExecutor(len(COUNTERS)) as pool:
        list(pool.map(serve, COUNTERS))


def mall_log(db: Path) -> list[tuple[int, str, str]]:
    with sqlite3.connect(db) as conn:
        return [(int(r[0]), r[1], r[2]) for r in conn.execute("SELECT seq, type, data FROM events WHERE site = 'tegal' "
                                                             "ORDER BY seq")]  # fmt: skip


def mirror_log(database: Path | str) -> list[tuple[int, str, str]]:
    sql = "SELECT seq, type, data FROM events WHERE site = 'tegal' ORDER BY seq"
    if isinstance(database, Path):
        with sqlite3.connect(database) as conn:
            rows = conn.execute(sql).fetchall()
    else:
        rows = asyncio.run(_pg_rows(database, sql))
    out = []
    for _seq, kind, text in rows:
        data = json.loads(text)
        source = data.pop("source_seq")
        out.append((int(source), kind, json.dumps(data, sort_keys=True)))
    return out


async def _pg_rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        return [tuple(r) for r in await conn.fetch(sql)]
    finally:
        await conn.close()


def catch_up(workdir: Path, mall_db: Path, mirror_db: Path | str, label: str) -> dict[str, Any]:
    db_arg = str(mirror_db)
    made = subprocess.run([QUEUE_SERVER, "device", "add", "--kind", "uplink", "--site-id", "tegal", "--name", "Bench",
                           "--db", db_arg, "--site", str(DEMO_SITE)], capture_output=True, text=True, check=True)  # fmt: skip
    token = made.stdout.strip().splitlines()[-1]
    mirror = start_server(workdir, mode="serve", db=mirror_db, extra_args=["--mirror", "tegal"],
                          log_name=f"mirror-{label}.log")  # fmt: skip
    mirror.wait_ready(60)
    newest = mall_log(mall_db)[-1][0]
    os.environ["QUEUE_UPLINK_URL"] = mirror.base
    os.environ["QUEUE_UPLINK_TOKEN"] = token
    try:
        started = time.monotonic()
        mall = start_server(workdir, db=mall_db, log_name=f"mall-{label}.log")
        mall.wait_ready(60)
        auth = {"Authorization": f"Bearer {token}"}
        while True:
            _, head = http_json(mirror.port, "GET", "/api/v1/sites/tegal/uplink", headers=auth)
            if head["after"] >= newest:
                break
            if time.monotonic() - started > 600:
                raise TimeoutError(f"{label}: the mirror holds {head['after']} of {newest} after 10 minutes")
            time.sleep(0.05)
        took = time.monotonic() - started - (mall.ready_seconds or 0.0)
        mall.stop()
    finally:
        del os.environ["QUEUE_UPLINK_URL"], os.environ["QUEUE_UPLINK_TOKEN"]
        mirror.stop()
    expected = [(seq, kind, json.dumps(json.loads(data), sort_keys=True)) for seq, kind, data in mall_log(mall_db)]
    copied = mirror_log(mirror_db)
    same = copied == expected
    tickets = sum(1 for _, kind, _ in expected if kind == "ticket.issued")
    return {"mirror": label, "events": len(expected), "tickets": tickets, "seconds": round(took, 2),
            "events_per_s": round(len(expected) / took), "tickets_per_s": round(tickets / took),
            "same_log": same, "no_duplicate": len({s for s, _, _ in copied}) == len(copied)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=3000)
    parser.add_argument("--mirror", default="sqlite,postgresql")
    args = parser.parse_args()
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-uplink-") as tmp:
        workdir = Path(tmp)
        mall_db = workdir / "mall.sqlite3"
        mall = start_server(workdir, db=mall_db, log_name="mall-day.log")
        mall.wait_ready(60)
        live_a_day(mall.port, args.tickets)
        mall.stop()
        print(f"the mall's day: {len(mall_log(mall_db))} events", flush=True)
        if "sqlite" in args.mirror:
            runs.append(catch_up(workdir, mall_db, workdir / "mirror.sqlite3", "sqlite"))
        if "postgresql" in args.mirror:
            with throwaway_cluster_handle(fsync=True) as cluster:
                url = asyncio.run(new_database(cluster.url))
                runs.append(catch_up(workdir, mall_db, url, "postgresql"))
    headers = ["mirror", "events", "tickets", "seconds", "events/s", "tickets/s", "same log", "none twice"]
    print(table([[r["mirror"], r["events"], r["tickets"], r["seconds"], r["events_per_s"], r["tickets_per_s"],
                  r["same_log"], r["no_duplicate"]] for r in runs], headers))  # fmt: skip
    if not all(r["same_log"] and r["no_duplicate"] for r in runs):
        raise SystemExit("the mirror's copy differs from the mall's log")
    save_result("uplink_catchup", {"tickets_asked": args.tickets, "runs": runs})


if __name__ == "__main__":
    main()
