"""The supervisor's side under a big day: a report over a day of 20,000 tickets, and the live dashboard while
counters call 50 tickets a second.

    .venv/bin/python bench/dashboard_report.py [--tickets 20000] [--rate 50] [--seconds 30] [--max-seconds 300]

1. A site file is written (20 agencies, 40 services, 160 counters, no quotas, hours not enforced, WIB); the server
   runs on a simulated clock that starts at 16:00 WIB today, so the generated day (07:30-15:30, today) has just
   ended and is the server's today at any hour the bench is run (a site's time zone is one of Indonesia's three).
2. The day is generated THROUGH THE ENGINE in this process (the real decide, apply, group commit and event log):
   --tickets arrivals over the day with a morning peak, counters calling, starting and finishing (2-6 minutes of
   service), 4 % no-shows, 1 % transfers to another agency; then satisfaction answers for a quarter of the served
   tickets are inserted straight into the `survey_responses` table of storage.py's schema.
3. The server is started on that database (`queue-server serve`, a subprocess) and it loads the day.
   Report: GET /reports, /reports.csv, /ikm and two charts for the day, each 7 times; wall time per request.
4. Live: a site dashboard and an agency dashboard follow over the websocket ("dashboard": true). 2,000 tickets are
   issued, then 50 counters each call a ticket once a second (call_next, then finish: --rate calls/s and twice as
   many commands) for --seconds. For every finish the lag is measured from its acknowledgement to the first
   dashboard notice that counts it (served total), with the server's CPU and the machine's load.
Result: bench/results/dashboard_report.json; docs/supervisor.md quotes it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
from _common import (  # noqa: E402
    QUEUE_SERVER,
    SystemCpu,
    cpu_sample,
    http_json,
    percentile,
    save_result,
    start_server,
    table,
    wait_for_quiet,
)
from websockets.asyncio.client import connect  # noqa: E402

from counter_client.client import CommandRefused, CounterClient  # noqa: E402
from queue_server.domain import commands as c  # noqa: E402
from queue_server.domain.model import Refusal  # noqa: E402
from queue_server.live.hub import Hub  # noqa: E402
from queue_server.persistence.storage import Storage  # noqa: E402
from queue_server.pipeline.engine import Engine, StorageUnavailable  # noqa: E402
from queue_server.settings.sitefile import load_site  # noqa: E402
from queue_server.supervision import (
    dashboard,
    reports,  # noqa: E402
)
from queue_server.supervision.today import Today  # noqa: E402

AGENCIES, COUNTERS_PER_AGENCY = 20, 8
PASSWORD = "bench-supervisor"
REPORT_TARGET_S = 1.0


ZONE = "Asia/Jakarta"


def bench_now(real: datetime) -> datetime:
    """16:00 WIB on today's date in WIB: a 07:30-15:30 day generated for today has just ended (the server is started
    on a simulated clock from this time)."""
    return datetime.combine(real.astimezone(ZoneInfo(ZONE)).date(), dtime(16, 0), tzinfo=ZoneInfo(ZONE))


def write_site(path: Path, zone: str) -> dict[str, list[str]]:
    lines = [
        f'[site]\nid = "uji"\nname = "MPP Uji Laporan"\ntimezone = "{zone}"\nenforce_hours = false\n',
        '[site.hours]\nmon = ["00:00-24:00"]\n',
    ]
    owned: dict[str, list[str]] = {}
    for a in range(AGENCIES):
        agency = f"a{a + 1:02d}"
        lines.append(f'[[agencies]]\nid = "{agency}"\nname = "Instansi {agency}"\n')
        for suffix, letter in (("a", 2 * a), ("b", 2 * a + 1)):
            prefix = chr(ord("A") + letter // 26) + chr(ord("A") + letter % 26)
            lines.append(f'  [[agencies.services]]\n  id = "s{agency}{suffix}"\n  name = "Layanan {agency}{suffix}"\n'
                         f'  prefix = "{prefix}"\n  target_wait_minutes = 30\n')  # fmt: skip
        owned[agency] = []
        for n in range(COUNTERS_PER_AGENCY):
            counter = str(a * COUNTERS_PER_AGENCY + n + 1)
            owned[agency].append(counter)
            lines.append(f'  [[agencies.counters]]\n  id = "{counter}"\n  services = ["s{agency}a", "s{agency}b"]\n')
    path.write_text("\n".join(lines))
    return owned


# --- 2. the day, through the engine --------------------------------------------------------------------------


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def arrival_weights() -> list[float]:
    """Weight of each minute from 07:30 to 15:30: a morning peak around 09:30, a lunch dip, a smaller afternoon."""
    weights = []
    for minute in range(480):
        hour = 7.5 + minute / 60
        peak = 2.2 * max(0.0, 1 - abs(hour - 9.5) / 2.5) + 0.9 * max(0.0, 1 - abs(hour - 13.5) / 1.5)
        weights.append(0.35 + peak - (0.4 if 12 <= hour < 13 else 0.0))
    return weights


async def generate(db: Path, site_file: Path, tickets: int, day: date, zone: str) -> dict[str, Any]:
    site = load_site(site_file)
    rnd = random.Random(20261123)
    start = datetime.combine(day, dtime(7, 30), tzinfo=ZoneInfo(zone))
    clock = Clock(start)
    storage = Storage(db)
    await storage.open()
    engine = Engine({"uji": site}, storage, Hub({"uji": site}), clock)
    await engine.start()
    services = list(site.services)
    counters = list(site.counters)
    busy_until: dict[str, datetime | None] = dict.fromkeys(counters)
    refused: dict[str, int] = {}
    n = 0

    async def run(command: c.Command) -> bool:
        try:
            await engine.submit("uji", command, lambda events, state: {})
            return True
        except StorageUnavailable:
            raise  # a failed write is not a refusal of the rules
        except Refusal as exc:
            refused[exc.code] = refused.get(exc.code, 0) + 1
            return False

    started = time.perf_counter()
    await asyncio.gather(*(run(c.OpenCounter(cid, operator=f"petugas-{cid}")) for cid in counters))
    weights = arrival_weights()
    per_minute = [tickets * w / sum(weights) for w in weights]
    carry = 0.0
    for minute in range(480):
        clock.at = start + timedelta(minutes=minute)
        carry += per_minute[minute]
        count, carry = int(carry), carry - int(carry)
        issues = []
        for _ in range(count):
            n += 1
            issues.append(run(c.IssueTicket(rnd.choice(services), f"t{n:06d}", f"tok{n:06d}x", None, "kiosk")))
        await asyncio.gather(*issues)
        ends, calls = [], []
        state = engine.states["uji"]
        for cid in counters:
            due = busy_until[cid]
            if due is not None and due <= clock.at:
                if rnd.random() < 0.01:
                    other = rnd.choice([s for s in services if site.services[s].agency != site.counters[cid].agency])
                    ends.append(run(c.TransferTicket(other, f"t{n:06d}-{cid}-{minute}", counter=cid)))
                else:
                    ends.append(run(c.FinishService(cid)))
                busy_until[cid] = None
            # Call only where someone waits: an idle counter pressing "next" at an empty queue is refused anyway.
            if busy_until[cid] is None and any(state.waiting.get(s) for s in site.counters[cid].services):
                calls.append(cid)
        await asyncio.gather(*ends)
        called = await asyncio.gather(*(run(c.CallNext(cid)) for cid in calls))
        clock.at += timedelta(seconds=20)  # the citizen walks to the counter, or does not come
        absent = {cid for cid, ok in zip(calls, called, strict=True) if ok and rnd.random() < 0.04}
        present = [cid for cid, ok in zip(calls, called, strict=True) if ok and cid not in absent]
        await asyncio.gather(*(run(c.MarkNoShow(cid)) for cid in absent))
        await asyncio.gather(*(run(c.StartService(cid)) for cid in present))
        for cid in present:
            busy_until[cid] = clock.at + timedelta(seconds=rnd.uniform(120, 360))
    seconds = time.perf_counter() - started
    last_seq = storage.last_seq
    await engine.stop()
    await storage.close()

    # Satisfaction answers for a quarter of the served tickets, straight into storage.py's schema.
    with sqlite3.connect(db) as conn:
        served = conn.execute("SELECT id, day, service, agency, counter, finished_at FROM tickets "
                              "WHERE state = 'done' ORDER BY id").fetchall()  # fmt: skip
        rows = []
        for ticket_id, tday, service, agency, counter, finished in served:
            if rnd.random() < 0.25:
                answers = [rnd.choices((2, 3, 4), (1, 5, 4))[0] for _ in range(9)]
                rows.append((ticket_id, "uji", tday, service, agency, counter, "phone", finished,
                             json.dumps(answers), *answers))  # fmt: skip
        conn.executemany("INSERT INTO survey_responses VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
        states = dict(conn.execute("SELECT state, COUNT(*) FROM tickets GROUP BY state").fetchall())
        legs = conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0]
    return {
        "seconds": round(seconds, 1),
        "events": last_seq,
        "ticket_legs": legs,
        "states": states,
        "survey_responses": len(rows),
        "refused": refused,
    }


# --- 3. the report -------------------------------------------------------------------------------------------


def time_requests(port: int, token: str, paths: list[str], repeat: int) -> list[list[Any]]:
    """Wall time of each request, cold: a write before each one (a running-text change, a real event) means the
    report is computed afresh rather than served from the report cache, which a write invalidates."""
    headers = {"Authorization": f"Bearer {token}"}
    rows = []
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=30)
    try:
        for path in paths:
            times, size = [], 0
            for i in range(repeat):
                client.post("/api/v1/sites/uji/running-text", json={"text": f"Selamat datang ({i})"}).raise_for_status()
                started = time.perf_counter()
                r = client.get(path)
                times.append(time.perf_counter() - started)
                if r.status_code != 200:
                    raise RuntimeError(f"{path}: {r.status_code} {r.text[:300]}")
                size = len(r.content)
            times.sort()
            rows.append([path.split("?")[0].removeprefix("/api/v1/sites/uji/"), percentile(times, 50) * 1000,
                         times[-1] * 1000, size // 1024])  # fmt: skip
        # The report page: the report, the index and three charts at once, sharing one report computation.
        client.post("/api/v1/sites/uji/running-text", json={"text": "Selamat datang"}).raise_for_status()
        query = paths[0].split("?")[1]
        page = [paths[0], f"/api/v1/sites/uji/ikm?{query}"] + [
            f"/api/v1/sites/uji/reports/charts/{chart}.svg?{query}" for chart in ("arrivals", "days", "waits")
        ]
        started = time.perf_counter()
        for path in page:
            client.get(path).raise_for_status()
        rows.append(["report page (5 requests)", (time.perf_counter() - started) * 1000, None, None])
    finally:
        client.close()
    return rows


async def in_process_breakdown(db: Path, site_file: Path, day: date, now: datetime) -> dict[str, float]:
    """Where a report's time goes, on a reader of the same database while the server runs."""
    site = load_site(site_file)
    storage = Storage(db)
    await storage.open()
    try:
        period = reports.Period(day, day)
        t0 = time.perf_counter()
        legs = await reports.load_legs(storage, "uji", period, None)
        t1 = time.perf_counter()
        data = reports.build(site, period, legs, None, now)
        t2 = time.perf_counter()
        json.dumps(data)
        t3 = time.perf_counter()
        # The dashboard's figures over the same day in memory (what the monitor computes per push).
        engine = Engine({"uji": site}, storage, Hub({"uji": site}))
        await engine._load()  # noqa: SLF001 - the state only; no writer task is started
        state = engine.states["uji"]
        today = Today()
        t4 = time.perf_counter()
        dashboard.figures(state, now, [], today)  # the first push of the day counts everything
        t5 = time.perf_counter()
        for _ in range(5):  # later pushes look at what changed
            dashboard.figures(state, now, [], today)
        t6 = time.perf_counter()
    finally:
        await storage.close()
    return {
        "query_ms": round((t1 - t0) * 1000, 1),
        "aggregate_ms": round((t2 - t1) * 1000, 1),
        "json_ms": round((t3 - t2) * 1000, 1),
        "legs": len(legs),
        "tickets_in_memory": len(state.tickets),
        "dashboard_figures_first_ms": round((t5 - t4) * 1000, 1),
        "dashboard_figures_ms": round((t6 - t5) / 5 * 1000, 1),
    }


# --- 4. live ---------------------------------------------------------------------------------------------------


async def live(port: int, pid: int, token: str, kiosk: str, owned: dict[str, list[str]], rate: int,
               seconds: float, deadline: float) -> dict[str, Any]:  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    staff = {"Authorization": f"Bearer {token}"}
    notices: list[tuple[float, int, int]] = []  # (received, served total, waiting total) of the site dashboard
    agency_notices = 0
    closed: list[str] = []

    async def follow(agency: str | None) -> None:
        nonlocal agency_notices
        hello = {"type": "hello", "role": "supervisor", "site": "uji", "token": token, "dashboard": True}
        if agency:
            hello["agency"] = agency
        async with connect(f"ws://127.0.0.1:{port}/ws", ping_interval=None, max_size=2**24) as ws:
            await ws.send(json.dumps(hello))
            try:
                async for raw in ws:
                    frame = json.loads(raw)
                    if frame["type"] == "ping":
                        await ws.send(json.dumps({"type": "pong"}))
                    elif frame["type"] == "dashboard":
                        if agency:
                            agency_notices += 1
                        else:
                            t = frame["data"]["totals"]
                            notices.append((time.perf_counter(), t["served"], t["waiting"]))
                    elif frame["type"] == "error":
                        closed.append(frame["code"])
            except Exception as exc:  # noqa: BLE001 - a dropped dashboard is a result, reported below
                closed.append(type(exc).__name__)

    watchers = [asyncio.create_task(follow(None)), asyncio.create_task(follow("a01"))]
    drive_counters = [cid for ids in owned.values() for cid in ids][:rate]
    services = {cid: f"s{agency}a" for agency, ids in owned.items() for cid in ids}
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=httpx.Limits(max_connections=64)) as http:
        # Counters still serving from the generated day finish first, so every counter starts idle.
        for cid in drive_counters:
            await http.post(f"/api/v1/sites/uji/counters/{cid}/commands", json={"command": "finish"}, headers=staff)
        sem = asyncio.Semaphore(32)

        async def issue(service: str) -> None:
            async with sem:
                for attempt in range(3):  # a connection reset by a busy machine is retried, not fatal
                    try:
                        r = await http.post("/api/v1/sites/uji/tickets", json={"service": service},
                                            headers={"Authorization": f"Bearer {kiosk}"})  # fmt: skip
                        r.raise_for_status()
                        return
                    except httpx.TransportError:
                        if attempt == 2:
                            raise
                        await asyncio.sleep(0.5)

        per_counter = int(seconds) + 5
        await asyncio.gather(*(issue(services[cid]) for cid in drive_counters for _ in range(per_counter)))
        await asyncio.sleep(2.5)  # the dashboards settle on the new queue
        base_served = notices[-1][1] if notices else 0
        acks: list[float] = []
        call_times: list[float] = []
        presses: list[float] = []
        failures: dict[str, int] = {}

        # The counters are counter clients, one websocket each, as on the hall floor.
        clients = [CounterClient(base, "uji", cid, token=token) for cid in drive_counters]
        await asyncio.gather(*(client.connect() for client in clients))

        async def work(client: CounterClient, offset: float) -> None:
            await asyncio.sleep(offset)
            tick = time.perf_counter()
            while time.perf_counter() - started < seconds and time.perf_counter() < deadline:
                pressed = time.perf_counter()
                presses.append(pressed)
                try:
                    await client.command("call_next")
                    call_times.append(time.perf_counter() - pressed)
                    await client.command("finish")
                    acks.append(time.perf_counter())
                except CommandRefused as exc:
                    failures[exc.code] = failures.get(exc.code, 0) + 1
                tick += 1.0
                await asyncio.sleep(max(0.0, tick - time.perf_counter()))

        cpu0 = cpu_sample(pid)
        sys0, started = SystemCpu.sample(), time.perf_counter()
        try:
            await asyncio.gather(*(work(client, i / len(clients)) for i, client in enumerate(clients)))
        finally:
            await asyncio.gather(*(client.aclose() for client in clients))
        drive_seconds = time.perf_counter() - started
        cpu = cpu_sample(pid).percent_since(cpu0)
        machine = SystemCpu.sample().busy_percent_since(sys0)
        await asyncio.sleep(2.0)  # the last pushes arrive
    for task in watchers:
        task.cancel()
    await asyncio.gather(*watchers, return_exceptions=True)

    acks.sort()
    lags = []
    j = 0
    for k, acked in enumerate(acks, start=1):
        while j < len(notices) and (notices[j][0] < acked or notices[j][1] < base_served + k):
            j += 1
        if j == len(notices):
            break
        lags.append(notices[j][0] - acked)
    lags.sort()
    call_times.sort()
    during = [t for t, _, _ in notices if started <= t <= started + drive_seconds]
    return {
        "counters": len(drive_counters),
        "seconds": round(drive_seconds, 1),
        "calls": len(call_times),
        # from the first press to the last: the counters start one after the other within the first second
        "calls_per_second": round((len(presses) - 1) / (max(presses) - min(presses)), 1) if len(presses) > 1 else 0,
        "finishes_acknowledged": len(acks),
        "refused": failures,
        "call_ms_p50": round(percentile(call_times, 50) * 1000, 1),
        "call_ms_p99": round(percentile(call_times, 99) * 1000, 1),
        "dashboard_notices_per_second": round(len(during) / drive_seconds, 2),
        "agency_dashboard_notices": agency_notices,
        "lag_ms_p50": round(percentile(lags, 50) * 1000) if lags else None,
        "lag_ms_p95": round(percentile(lags, 95) * 1000) if lags else None,
        "lag_ms_max": round(lags[-1] * 1000) if lags else None,
        "finishes_seen_on_dashboard": len(lags),
        "dashboard_closed": closed,
        "server_cpu": cpu,
        "machine_busy_percent_of_one_core": machine,
    }


def cli(*args: str, db: Path, site: Path, stdin: str | None = None) -> str:
    out = subprocess.run(
        [QUEUE_SERVER, *args, "--db", str(db), "--site", str(site)],
        input=stdin, capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    return out.stdout


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tickets", type=int, default=20_000)
    p.add_argument("--rate", type=int, default=50, help="calls per second (one per counter per second)")
    p.add_argument("--seconds", type=float, default=30.0)
    p.add_argument("--max-seconds", type=float, default=300.0)
    args = p.parse_args()
    deadline = time.perf_counter() + args.max_seconds
    quiet = wait_for_quiet(max_wait=30)
    now = bench_now(datetime.now(UTC))
    zone, day = ZONE, now.date()
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as tmp:
        workdir = Path(tmp)
        site_file, db = workdir / "site.toml", workdir / "bench.sqlite3"
        owned = write_site(site_file, zone)
        print(f"generating {args.tickets} tickets through the engine (day {day}, zone {zone}) ...", flush=True)
        generated = asyncio.run(generate(db, site_file, args.tickets, day, zone))
        print(json.dumps(generated), flush=True)
        cli("user", "add", "kepala", "--role", "supervisor", "--site-id", "uji", "--password-stdin",
            db=db, site=site_file, stdin=PASSWORD + "\n")  # fmt: skip
        kiosk = cli("device", "add", "--kind", "kiosk", "--site-id", "uji", "--name", "Kios", db=db,
                    site=site_file).strip().splitlines()[-1]  # fmt: skip
        server = start_server(workdir, mode="serve", site_file=site_file, db=db,
                              extra_args=["--clock-start", now.isoformat()])  # fmt: skip
        try:
            ready = server.wait_ready(timeout=60)
            status, body = http_json(server.port, "POST", "/api/v1/auth/login",
                                     {"username": "kepala", "password": PASSWORD})  # fmt: skip
            assert status == 200, body
            token = body["token"]
            q = f"from={day}&to={day}"
            paths = [f"/api/v1/sites/uji/reports?{q}", f"/api/v1/sites/uji/reports.csv?{q}",
                     f"/api/v1/sites/uji/ikm?{q}", f"/api/v1/sites/uji/reports/charts/arrivals.svg?{q}",
                     f"/api/v1/sites/uji/reports/charts/waits.svg?{q}"]  # fmt: skip
            report_rows = time_requests(server.port, token, paths, 7)
            breakdown = asyncio.run(in_process_breakdown(db, site_file, day, now))
            print(table(report_rows, ["request", "p50 ms", "max ms", "KiB"]), flush=True)
            print(json.dumps(breakdown), flush=True)
            live_result = asyncio.run(
                live(server.port, server.pid, token, kiosk, owned, args.rate, args.seconds, deadline)
            )
            print(json.dumps(live_result, indent=1), flush=True)
        finally:
            server.stop()
    report_ms = report_rows[0][1]
    result = {
        "parameters": vars(args),
        "machine_before": quiet,
        "zone": zone,
        "generated": generated,
        "server_ready_seconds": round(ready, 2),
        "report": [dict(zip(["request", "p50_ms", "max_ms", "kib"], row, strict=True)) for row in report_rows],
        "report_breakdown": breakdown,
        "report_target_seconds": REPORT_TARGET_S,
        "report_verdict": "met" if report_ms / 1000 <= REPORT_TARGET_S else "MISSED",
        "live": live_result,
    }
    path = save_result("dashboard_report", result)
    print(f"saved {path}")


if __name__ == "__main__":
    main()
