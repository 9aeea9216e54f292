"""Benchmark: a week of one busy mall, to show that the server's memory stays flat from day to day.

    .venv/bin/python bench/soak_days.py [--days 7] [--tickets 10000] [--speed 480] [--phones 100]

The demo mall (26 counters, 4 lobby screens) on SQLite, started as `queue-server demo` on a simulated clock
(`--clock-start`, `--clock-speed`: settings/clock.py) that begins on a Monday at 06:00 WIB and runs --speed times
faster than the machine's. Each simulated day:

- 07:30 every counter's operator signs in and opens it; 08:00-16:00 --tickets arrivals at the kiosk (a morning
  peak; each with an Idempotency-Key, as the kiosk sends), over the services, never past a daily quota;
- each counter calls the next ticket it can serve, starts, serves an exponential time whose mean lets 26 counters
  clear the day (--tickets is far above the demo mall's real day: this is a memory soak, not a day to study),
  finishes; a counter with nobody to call waits for the next arrival; once the doors close and its queue is empty
  it closes and its operator signs out;
- the 4 lobby screens stay connected all week (as TVs do) and count the calls they are shown; --phones citizens'
  phones follow a recent ticket each for 5-30 simulated minutes, then another;
- nothing happens at night: the server closes and forgets the day by itself (its housekeeping runs every minute of
  its clock).

The RSS of the server process and of its SQLite writer process is read every simulated hour; the figure compared
is each day's at 07:00, before the doors open (the day before is over and forgotten by then). Target (issue
"Memory flat over weeks"): from day 2 on, each day-start RSS within 10 % of day 2's, for both processes; no
traceback in the server's log. Also checked: every ticket answered 201 is in the database, and the displays
were shown every call. Result: bench/results/soak_days.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import sqlite3
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    DEMO_SITE,
    KIOSK_TOKEN,
    OPERATOR_PASSWORD,
    child_pids,
    have_uvloop,
    machine_info,
    proc_status_kb,
    save_result,
    start_server,
    table,
    verdict,
)
from _http import Http  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402

from queue_server.settings.sitefile import load_site  # noqa: E402

WIB = ZoneInfo("Asia/Jakarta")
FIRST_DAY = datetime(2026, 12, 7, tzinfo=WIB)  # a Monday
HOURLY = [0.10, 0.16, 0.17, 0.15, 0.12, 0.10, 0.11, 0.09]  # 08-16 local: share of the day's arrivals per hour
SCREENS = ("lobby", "lantai1", "lantai2", "disdukcapil")
TARGET_GROWTH = 0.10


class SimClock:
    """The server's simulated time, read off its /healthz once and then followed locally."""

    def __init__(self, server_time: datetime, speed: float) -> None:
        self.base_sim = server_time
        self.base_real = time.monotonic()
        self.speed = speed

    def now(self) -> datetime:
        return self.base_sim + timedelta(seconds=(time.monotonic() - self.base_real) * self.speed)

    async def until(self, at: datetime) -> None:
        delay = (at - self.now()).total_seconds() / self.speed
        if delay > 0:
            await asyncio.sleep(delay)


class Mall:
    """The demo mall as the server reads it (queue_server's site-file loader)."""

    def __init__(self) -> None:
        site = load_site(DEMO_SITE)
        self.quota = {s.id: s.walk_in_quota for s in site.services.values()}  # None: no daily quota
        self.counters = {c.id: (c.agency, c.services) for c in site.counters.values()}
        served = {s for _, services in self.counters.values() for s in services}
        self.services = [s for s in self.quota if s in served]


class Week:
    def __init__(self, args: argparse.Namespace, http: Http, clock: SimClock, mall: Mall) -> None:
        self.args = args
        self.http = http
        self.clock = clock
        self.mall = mall
        self.rng = random.Random(2026)
        self.issued: dict[str, str] = {}  # ticket id -> token
        self.recent: list[str] = []  # tokens of the latest tickets, for phones to follow
        self.called: set[str] = set()
        self.shown: Counter[str] = Counter()
        self.statuses: Counter[str] = Counter()
        self.errors: list[str] = []
        self.phone_frames = 0
        self.waiting: Counter[str] = Counter()
        self.changed = asyncio.Condition()
        self.doors_closed = False

    async def post(self, path: str, body: Any, token: str, headers: dict[str, str] | None = None) -> Any:
        try:
            status, answer = await self.http.request("POST", path, body, token, headers)
        except Exception as exc:  # noqa: BLE001 - counted, the week goes on
            self.errors.append(f"{path}: {type(exc).__name__}: {exc}")
            return 0, {}
        self.statuses[str(status)] += 1
        if status >= 500:
            self.errors.append(f"{path}: {status} {answer}")
        return status, answer

    async def arrivals(self, day: datetime) -> None:
        cumulative = [sum(HOURLY[: k + 1]) for k in range(len(HOURLY))]
        times = []
        for _ in range(self.args.tickets):
            u = self.rng.random()
            hour = min(sum(1 for c in cumulative if c <= u), len(HOURLY) - 1)
            times.append(day.replace(hour=8) + timedelta(hours=hour + self.rng.random()))
        issued: Counter[str] = Counter()
        for at in sorted(times):
            await self.clock.until(at)
            open_services = [
                s for s in self.mall.services if (quota := self.mall.quota[s]) is None or issued[s] < quota
            ]
            service = self.rng.choice(open_services)
            headers = {"Idempotency-Key": uuid.uuid4().hex}
            status, answer = await self.post("/api/v1/sites/tegal/tickets", {"service": service}, KIOSK_TOKEN, headers)
            if status == 201:
                issued[service] += 1
                self.issued[answer["ticket"]["id"]] = answer["ticket"]["token"]
                self.recent = [*self.recent[-199:], answer["ticket"]["token"]]
                self.waiting[service] += 1
                async with self.changed:
                    self.changed.notify_all()
        self.doors_closed = True
        async with self.changed:
            self.changed.notify_all()

    async def counter(self, day: datetime, counter: str) -> None:
        agency, services = self.mall.counters[counter]
        await self.clock.until(day.replace(hour=7, minute=30))
        status, body = await self.post("/api/v1/auth/login", {"username": f"op-{agency}".replace("_", "-"),
                                                               "password": OPERATOR_PASSWORD}, "")  # fmt: skip
        if status != 200:
            self.errors.append(f"login op-{agency}: {status} {body}")
            return
        token = body["token"]
        base = f"/api/v1/sites/tegal/counters/{counter}/commands"
        await self.post(base, {"command": "open"}, token)
        # Mean service time that lets the counters clear the day: 26 counters x 8 hours / tickets.
        mean = len(self.mall.counters) * 8 * 3600 / self.args.tickets * 0.8
        while True:
            async with self.changed:
                while not any(self.waiting[s] for s in services) and not self.doors_closed:
                    await self.changed.wait()
                mine = next((s for s in services if self.waiting[s]), None)
                if mine is not None:  # a guess: the server's routing rule picks the ticket
                    self.waiting[mine] -= 1
            status, answer = await self.post(base, {"command": "call_next"}, token)
            if status != 200:
                if self.doors_closed:
                    break  # nobody left for this counter
                continue  # another counter called that ticket first
            self.called.add(answer["ticket"]["id"])
            await self.post(base, {"command": "start"}, token)
            await asyncio.sleep(self.rng.expovariate(1 / mean) / self.args.speed)
            await self.post(base, {"command": "finish"}, token)
        await self.post(base, {"command": "close"}, token)
        await self.post("/api/v1/auth/logout", None, token)

    async def display(self, url: str, screen: str, stop: asyncio.Event) -> None:
        token = f"d_display_demo_tegal_{screen}"
        while not stop.is_set():
            try:
                async with connect(url, max_queue=None) as ws:
                    hello = {"type": "hello", "role": "display", "site": "tegal", "screen": screen, "token": token}
                    await ws.send(json.dumps(hello))
                    while not stop.is_set():
                        with contextlib.suppress(TimeoutError):
                            frame = json.loads(await asyncio.wait_for(ws.recv(), 1.0))
                            if frame["type"] == "ping":
                                await ws.send(json.dumps({"type": "pong", "seq": frame.get("seq", 0)}))
                            elif frame["type"] == "ticket.called" and screen == "lobby":
                                self.shown[frame["data"]["ticket"]["id"]] += 1
            except Exception as exc:  # noqa: BLE001 - a dropped screen reconnects, as the page does
                self.errors.append(f"display {screen}: {type(exc).__name__}: {exc}")
                await asyncio.sleep(1)

    async def phone(self, url: str, stop: asyncio.Event) -> None:
        while not stop.is_set():
            if not self.recent:
                await asyncio.sleep(0.5)
                continue
            token = self.rng.choice(self.recent[-50:])
            follow = self.rng.uniform(5, 30) * 60 / self.args.speed
            try:
                async with connect(url, max_queue=None) as ws:
                    await ws.send(json.dumps({"type": "hello", "role": "ticket", "ticket": token}))
                    deadline = time.monotonic() + follow
                    while time.monotonic() < deadline and not stop.is_set():
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(ws.recv(), max(0.01, deadline - time.monotonic()))
                            self.phone_frames += 1
            except Exception as exc:  # noqa: BLE001
                self.errors.append(f"phone: {type(exc).__name__}: {exc}")
                await asyncio.sleep(1)


def rss_mib(pid: int) -> float:
    return proc_status_kb(pid, "VmRSS") / 1024


async def sampler(clock: SimClock, pids: dict[str, int], samples: list[dict[str, Any]], stop: asyncio.Event) -> None:
    at = clock.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    while not stop.is_set():
        await clock.until(at)
        samples.append({"at": at.isoformat(), **{name: round(rss_mib(pid), 1) for name, pid in pids.items()}})
        at += timedelta(hours=1)


async def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    start = FIRST_DAY.replace(hour=6)
    server = start_server(workdir, mode="demo", extra_args=["--clock-start", start.isoformat(),
                                                            "--clock-speed", str(args.speed)],
                          patches=["object_counts"] if args.trace else None)  # fmt: skip
    try:
        server.wait_ready(timeout=120)
        http = Http(server.port, 40)
        await http.open()
        status, health = await http.request("GET", "/healthz", None, "")
        clock = SimClock(datetime.fromisoformat(health["time"]).astimezone(WIB), args.speed)
        writers = child_pids(server.pid)
        pids = {"server": server.pid, **({"writer": writers[0]} if writers else {})}
        week = Week(args, http, clock, Mall())
        samples: list[dict[str, Any]] = []
        stop = asyncio.Event()
        ws_url = f"ws://127.0.0.1:{server.port}/ws"
        background = [asyncio.create_task(sampler(clock, pids, samples, stop))]
        background += [asyncio.create_task(week.display(ws_url, screen, stop)) for screen in SCREENS]
        background += [asyncio.create_task(week.phone(ws_url, stop)) for _ in range(args.phones)]
        day_starts: list[dict[str, Any]] = []
        started = time.monotonic()
        for n in range(args.days + 1):
            day = FIRST_DAY + timedelta(days=n)
            await clock.until(day.replace(hour=7))
            day_starts.append({"day": n + 1, **{name: round(rss_mib(pid), 1) for name, pid in pids.items()},
                               "server_anon": round(proc_status_kb(server.pid, "RssAnon") / 1024, 1)})  # fmt: skip
            if args.trace:
                os.kill(server.pid, signal.SIGUSR1)
            print(f"day {n + 1} {day.date()} 07:00  " + "  ".join(f"{k} {v} MiB" for k, v in day_starts[-1].items()
                                                                   if k != "day"), flush=True)  # fmt: skip
            if n == args.days:
                break  # the morning after the last day: its figure closes the week
            week.doors_closed = False
            await asyncio.gather(week.arrivals(day), *(week.counter(day, c) for c in week.mall.counters))
        stop.set()
        await asyncio.gather(*background, return_exceptions=True)
        await asyncio.sleep(1)  # the last calls reach the screens
        await http.close()
        elapsed = time.monotonic() - started
    finally:
        code = server.stop()
    log = server.log.read_text(errors="replace")
    with sqlite3.connect(server.db) as db:
        in_db = {row[0] for row in db.execute("SELECT id FROM tickets")}
        days_held = db.execute("SELECT COUNT(DISTINCT day) FROM tickets").fetchone()[0]
    lost = [t for t in week.issued if t not in in_db]
    unshown = [t for t in week.called if week.shown[t] == 0]
    twice = [t for t, n in week.shown.items() if n > 1]
    return {
        "day_starts": day_starts,
        "hourly": samples,
        "issued": len(week.issued),
        "called": len(week.called),
        "statuses": dict(week.statuses),
        "lost": len(lost),
        "calls_not_shown": len(unshown),
        "calls_shown_twice": len(twice),
        "phone_frames": week.phone_frames,
        "days_in_database": days_held,
        "client_errors": week.errors[:20],
        "client_error_count": len(week.errors),
        "tracebacks": log.count("Traceback"),
        "first_traceback": log[log.find("Traceback") - 300 : log.find("Traceback") + 3000]
        if "Traceback" in log
        else None,
        "server_exit": code,
        "elapsed_s": round(elapsed, 1),
    }


def report(args: argparse.Namespace, outcome: dict[str, Any]) -> dict[str, Any]:
    starts = outcome["day_starts"]
    base = starts[1] if len(starts) > 1 else starts[0]
    checks: dict[str, Any] = {}
    for name in ("server", "writer"):
        if name not in base:
            continue
        worst = max(abs(s[name] - base[name]) / base[name] for s in starts[1:])
        checks[f"{name}_worst_vs_day2"] = round(worst, 3)
        checks[f"{name}_verdict"] = verdict(worst, TARGET_GROWTH)
    rows = [[s["day"], s.get("server"), s.get("writer")] for s in starts]
    print(table(rows, ["day (07:00)", "server MiB", "writer MiB"]))
    for key in ("issued", "called", "lost", "calls_not_shown", "calls_shown_twice", "tracebacks", "elapsed_s"):
        print(f"{key}: {outcome[key]}")
    print(json.dumps(checks))
    return {"args": vars(args), "checks": checks, **outcome, "machine": machine_info()}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--days", type=int, default=7)
    p.add_argument("--tickets", type=int, default=10_000, help="arrivals per day")
    p.add_argument("--speed", type=float, default=480.0, help="the simulated clock's speed-up")
    p.add_argument("--phones", type=int, default=100)
    p.add_argument(
        "--trace", metavar="FILE", help="count the server's objects each morning; the kinds that grew go to FILE"
    )
    args = p.parse_args()
    if args.trace:
        os.environ["BENCH_OBJECTS_FILE"] = os.path.abspath(args.trace)  # the server's environment
    if have_uvloop():
        import uvloop

        uvloop.install()
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
        outcome = asyncio.run(run(args, Path(tmp)))
    result = report(args, outcome)
    print(f"saved {save_result('soak_days', result)}")


if __name__ == "__main__":
    main()
