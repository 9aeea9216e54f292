"""Benchmark: a national day. Many generated malls on one PostgreSQL database, served by several processes, their
day's traffic played at a speed-up, with counters calling and a lobby display per mall.

    .venv/bin/python bench/national_day.py [--malls 300] [--speedup 5] [--hours 8] [--start-hour 8] [--workers 2]
                                           [--national-pages 3 --national-every 1]

1. bench/generate_malls.py writes the malls (the first the busiest, 13,000 tickets a day; the others ~3,000).
2. A throwaway PostgreSQL cluster (fsync on) and `queue-server serve --db URL --workers N` with every mall.
3. One display per mall (a websocket following its lobby screen) records every ticket.called it is shown.
4. Each mall's arrivals follow an intraday profile (the morning peak 09-11); the window played is --hours hours
   from --start-hour, at --speedup times real time. Each arrival is a ticket issued at the kiosk. Each counter
   is an operator: when its services have someone waiting it presses call_next, then start, serves for an
   exponential time (mean: the service's minutes), then finish. Every command's latency is measured.
5. Afterwards: every ticket answered 201 is in the database, numbers are unique and gapless per series, every
   call answered 200 is a ticket.called event, each mall's display was shown each of its calls exactly once,
   and the national API's figures equal counts made in the database.

6. With --national-pages N, N national pages are open through the played window, each reading GET /api/v1/national
   every --national-every seconds (the page polls every 5 s; at a speed-up of 5, 1 s keeps the same ratio of
   reads to the malls' traffic), each read timed: what the ministry's view costs the malls' commands.

"Sustained" means: the requests left on schedule (lateness p99 under a second) and p99 command latency <= 100 ms.
Result: bench/results/national_day.json.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import gc
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg  # noqa: E402
from _common import (  # noqa: E402
    QUEUE_SERVER,
    SystemCpu,
    cpu_sample,
    free_port,
    have_uvloop,
    other_cpu,
    percentile,
    save_result,
    table,
    verdict,
)
from _http import Http  # noqa: E402
from generate_malls import mall  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402

from queue_server.settings.runtime import GC_THRESHOLDS  # noqa: E402
from queue_server.supervision.national import STALE_SECONDS  # noqa: E402
from tests.pg_support import new_database, throwaway_cluster_handle  # noqa: E402

TARGET_P99_MS = 100.0
HOURLY = [0.10, 0.16, 0.17, 0.15, 0.12, 0.10, 0.11, 0.09]  # 08-16 local: share of the day's arrivals per hour
PASSWORD = "bench-national-2026"


class Mall:
    def __init__(self, plan: dict[str, Any], services: dict[str, list[str]]) -> None:
        self.id: str = plan["site"]
        self.tickets: int = plan["tickets"]
        self.services: list[str] = plan["services"]
        self.counters = services  # counter id -> its services
        self.waiting: Counter[str] = Counter()
        # One condition per set of services (an agency's counters share theirs): an arrival wakes only the
        # counters that could serve it.
        self.groups = {frozenset(s) for s in services.values()}
        self.changed = {g: asyncio.Condition() for g in self.groups}
        self.shown: Counter[str] = Counter()  # ticket id -> times its call reached the display


class Day:
    def __init__(self, args: argparse.Namespace, http: Http, token: str, malls: list[Mall]) -> None:
        self.args = args
        self.http = http
        self.token = token
        self.malls = malls
        self.latency: dict[str, list[float]] = {"issue": [], "open": [], "call_next": [], "start": [], "finish": []}
        self.late: list[float] = []
        self.refused: Counter[str] = Counter()
        self.errors: list[str] = []
        self.issued: dict[str, str] = {}  # ticket id -> site
        self.called: dict[str, str] = {}
        self.t0 = 0.0
        self.stop = asyncio.Event()
        self.opened = 0  # counters open: the day starts once they all are (they open before the doors do)

    def at(self, sim_seconds: float) -> float:
        return self.t0 + sim_seconds / self.args.speedup

    async def command(self, kind: str, path: str, body: Any) -> tuple[int, dict[str, Any]]:
        sent = time.perf_counter()
        try:
            status, answer = await self.http.request("POST", path, body, self.token)
        except Exception as exc:  # noqa: BLE001 - counted, the day goes on
            self.errors.append(f"{kind}: {type(exc).__name__}: {exc}")
            return 0, {}
        self.latency[kind].append((time.perf_counter() - sent) * 1000)
        if status >= 500:
            self.errors.append(f"{kind}: {status} {answer}")
        return status, answer

    async def arrivals(self, mall: Mall, rng: random.Random) -> None:
        hours = HOURLY[self.args.start_hour - 8 : self.args.start_hour - 8 + self.args.hours]
        cumulative = [sum(hours[: k + 1]) for k in range(len(hours))]
        n = round(mall.tickets * cumulative[-1])
        times = []
        for _ in range(n):
            u = rng.random() * cumulative[-1]
            hour = bisect.bisect_right(cumulative, u)
            start = cumulative[hour - 1] if hour else 0.0
            times.append((hour + (u - start) / hours[hour]) * 3600)
        for sim in sorted(times):
            delay = self.at(sim) - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            self.late.append(max(0.0, -delay))
            service = rng.choice(mall.services)
            status, answer = await self.command("issue", f"/api/v1/sites/{mall.id}/tickets", {"service": service})
            if status == 201:
                self.issued[answer["ticket"]["id"]] = mall.id
                mall.waiting[service] += 1
                for group, condition in mall.changed.items():
                    if service in group:
                        async with condition:
                            condition.notify_all()
            elif status:
                self.refused[answer.get("error", {}).get("code", str(status))] += 1

    async def counter(self, mall: Mall, counter: str, rng: random.Random) -> None:
        base = f"/api/v1/sites/{mall.id}/counters/{counter}/commands"
        mine = mall.counters[counter]
        changed = mall.changed[frozenset(mine)]
        await self.command("open", base, {"command": "open"})
        self.opened += 1
        while not self.stop.is_set():
            async with changed:
                while not any(mall.waiting[s] for s in mine) and not self.stop.is_set():
                    await changed.wait()
                if self.stop.is_set():
                    return
                for s in mine:  # the server picks the ticket; this only keeps the model's count
                    if mall.waiting[s]:
                        mall.waiting[s] -= 1
                        break
            status, answer = await self.command("call_next", base, {"command": "call_next"})
            if status != 200:
                if status:
                    self.refused[f"call_next {answer.get('error', {}).get('code')}"] += 1
                continue
            self.called[answer["ticket"]["id"]] = mall.id
            await self.command("start", base, {"command": "start"})
            serving = rng.expovariate(1 / (6 * 60)) / self.args.speedup
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), serving)
            if self.stop.is_set():  # the play ends here: no stampede of "finish" that no real day has
                return
            await self.command("finish", base, {"command": "finish"})


async def display(url: str, mall: Mall, token: str, ready: asyncio.Event, done: asyncio.Event) -> None:
    async with connect(url, max_queue=None) as ws:
        await ws.send(json.dumps({"type": "hello", "role": "display", "site": mall.id, "screen": "lobi",
                                  "token": token}))  # fmt: skip
        ready.set()
        async for text in ws:
            frame = json.loads(text)
            if frame["type"] == "ping":
                await ws.send(json.dumps({"type": "pong", "seq": frame.get("seq", 0)}))
            elif frame["type"] == "ticket.called":
                mall.shown[frame["data"]["ticket"]["id"]] += 1
            if done.is_set():
                return


class CpuMeter:
    """Where the machine's two cores went during the play: the server (supervisor and workers), PostgreSQL (the
    postmaster and its backends), this load generator, and anything else on the machine."""

    def __init__(self, server_pid: int, postmaster_pid: int) -> None:
        self.pids = {"server": server_pid, "postgresql": postmaster_pid}
        self.before = self._sample()

    def _sample(self) -> dict[str, Any]:
        own = resource.getrusage(resource.RUSAGE_SELF)
        sample: dict[str, Any] = {name: cpu_sample(pid).process for name, pid in self.pids.items()}
        sample["load_generator"] = own.ru_utime + own.ru_stime
        sample["machine"] = SystemCpu.sample()
        sample["wall"] = time.monotonic()
        return sample

    def percent(self) -> dict[str, float]:
        """Percent of ONE core for each, since the meter was made (200 = both cores busy)."""
        after, before = self._sample(), self.before
        wall = max(after["wall"] - before["wall"], 1e-9)
        shares = {name: round(100 * (after[name] - before[name]) / wall, 1) for name in (*self.pids, "load_generator")}
        machine = after["machine"].busy_percent_since(before["machine"])
        return {**shares, "machine": machine, "other": other_cpu(machine, *shares.values())}


async def loop_lag(samples: list[float], stop: asyncio.Event) -> None:
    """How late this generator's own event loop wakes: a reply waits that long before it is read, so it is part
    of every latency measured here without being the server's."""
    while not stop.is_set():
        asked = time.perf_counter()
        await asyncio.sleep(0.05)
        samples.append((time.perf_counter() - asked - 0.05) * 1000)


async def national_pages(day: Day, latencies: list[float], every: float, offset: float) -> None:
    """A national page open through the played window (the ministry's, a province's): GET /api/v1/national every
    `every` seconds, as the page polls, each answer timed. Its cost is the server's: the commands measured
    meanwhile show what it takes from the malls."""
    await asyncio.sleep(max(0.0, day.t0 - time.perf_counter()) + offset)
    while not day.stop.is_set():
        sent = time.perf_counter()
        status, answer = await day.http.request("GET", "/api/v1/national", None, day.token)
        latencies.append((time.perf_counter() - sent) * 1000)
        if status != 200:
            day.errors.append(f"national: {status} {answer}")
        await asyncio.sleep(max(0.0, every - (time.perf_counter() - sent)))


async def play(
    args: argparse.Namespace, port: int, plans: list[dict[str, Any]], sites: dict[str, Any], pids: tuple[int, int]
) -> dict[str, Any]:
    http = Http(port, args.connections)
    await http.open()
    status, body = await http.request("POST", "/api/v1/auth/login", {"username": "bench", "password": PASSWORD}, "")
    assert status == 200, body
    token = body["token"]
    malls = [Mall(p, sites[p["site"]]) for p in plans]
    day = Day(args, http, token, malls)
    done = asyncio.Event()
    readies = [asyncio.Event() for _ in malls]
    displays = [asyncio.create_task(display(f"ws://127.0.0.1:{port}/ws", m, token, r, done))
                for m, r in zip(malls, readies, strict=True)]  # fmt: skip
    await asyncio.gather(*(r.wait() for r in readies))
    await asyncio.sleep(2)
    rng = random.Random(7)
    counters = [asyncio.create_task(day.counter(m, c, random.Random(rng.random()))) for m in malls for c in m.counters]
    while day.opened < len(counters):  # noqa: ASYNC110 - a count the counter tasks grow
        await asyncio.sleep(0.1)
    await asyncio.sleep(1)
    # The generator's collector as the server's (settings/runtime.py): what is set up lives to the end, and its
    # full collections (12,379 counter tasks, 300 displays, every latency) stopped its loop for up to 0.7 s, time
    # that counted in every latency measured while the server was not at fault.
    gc.set_threshold(*GC_THRESHOLDS)
    gc.collect()
    gc.freeze()
    day.t0 = time.perf_counter() + 1
    wall = time.perf_counter()
    meter = CpuMeter(*pids)
    lags: list[float] = []
    lagging = asyncio.create_task(loop_lag(lags, day.stop))
    pages: list[float] = []
    pollers = [asyncio.create_task(national_pages(day, pages, args.national_every, k * args.national_every / max(1, args.national_pages)))
               for k in range(args.national_pages)]  # fmt: skip
    await asyncio.gather(*(day.arrivals(m, random.Random(rng.random())) for m in malls))
    played = time.perf_counter() - wall
    cpu = meter.percent()
    # The day's last citizens are served (at the same pace), then the counters stop.
    deadline = time.perf_counter() + 600 / args.speedup + 30
    while any(m.waiting.total() for m in malls) and time.perf_counter() < deadline:  # noqa: ASYNC110 - a count
        await asyncio.sleep(0.5)
    day.stop.set()
    for m in malls:
        for condition in m.changed.values():
            async with condition:
                condition.notify_all()
    await asyncio.gather(*counters, lagging, *pollers)
    # The last frames reach the displays, and no mall's national row is recent enough to be reused (a view over
    # hundreds of busy malls may show figures up to STALE_SECONDS old: supervision/national.py).
    await asyncio.sleep(max(3.0, STALE_SECONDS + 1))
    done.set()
    for task in displays:
        task.cancel()
    await asyncio.gather(*displays, return_exceptions=True)
    status, national = await http.request("GET", "/api/v1/national", None, token)
    await http.close()
    return {"day": day, "malls": malls, "played_seconds": played, "national": national if status == 200 else None,
            "cpu_percent_of_one_core": cpu, "generator_loop_lag_ms": _dist(lags),
            "national_page_ms": _dist(pages), "national_pages_read": len(pages)}  # fmt: skip


async def database_counts(url: str) -> dict[str, Any]:
    conn = await asyncpg.connect(url)
    try:
        per_site = {
            r["site"]: dict(r)
            for r in await conn.fetch(
                "SELECT site, COUNT(*) FILTER (WHERE parent IS NULL) AS issued, "
                "COUNT(*) FILTER (WHERE state = 'done') AS served, COUNT(*) FILTER (WHERE state = 'waiting') AS waiting "
                "FROM tickets GROUP BY site"
            )
        }
        ids = {r[0] for r in await conn.fetch("SELECT id FROM tickets")}
        duplicates = await conn.fetchval(
            "SELECT COUNT(*) FROM (SELECT 1 FROM tickets WHERE parent IS NULL GROUP BY site, day, series, number "
            "HAVING COUNT(*) > 1) AS d"
        )
        gaps = await conn.fetchval(
            "SELECT COUNT(*) FROM (SELECT 1 FROM tickets WHERE parent IS NULL GROUP BY site, day, series "
            "HAVING MAX(number) != COUNT(*)) AS g"
        )
        calls = Counter(r[0] for r in await conn.fetch(
            "SELECT data::json->'ticket'->>'id' FROM events WHERE type = 'ticket.called'"))  # fmt: skip
        events = await conn.fetchval("SELECT COUNT(*) FROM events")
    finally:
        await conn.close()
    return {"per_site": per_site, "ids": ids, "duplicates": duplicates, "gaps": gaps, "calls": calls, "events": events}


def _dist(values: list[float]) -> dict[str, float]:
    values = sorted(values)
    if not values:
        return {}
    return {"n": len(values), "p50": round(percentile(values, 50), 1), "p99": round(percentile(values, 99), 1),
            "max": round(values[-1], 1)}  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--malls", type=int, default=300)
    p.add_argument("--speedup", type=float, default=5.0)
    p.add_argument("--hours", type=int, default=8, help="hours of the day played, from --start-hour")
    p.add_argument("--start-hour", type=int, default=8, choices=range(8, 16))
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--connections", type=int, default=48)
    p.add_argument("--national-pages", type=int, default=0, help="national pages open, each polling (default none)")
    p.add_argument("--national-every", type=float, default=5.0, help="seconds between one page's polls (as the page)")
    p.add_argument("--result-name", default="national_day")
    args = p.parse_args()
    args.hours = min(args.hours, 16 - args.start_hour)
    with tempfile.TemporaryDirectory(prefix="bench-national-") as tmp, throwaway_cluster_handle(fsync=True) as pg:
        work = Path(tmp)
        rng = random.Random(1)
        plans, sites, files = [], {}, []
        for number in range(1, args.malls + 1):
            tickets = 13_000 if number == 1 else max(500, round(rng.gauss(3_000, 900)))
            text, plan = mall(number, tickets, rng)
            path = work / f"{plan['site']}.toml"
            path.write_text(text, encoding="utf-8")
            files.append(str(path))
            plans.append(plan)
            sites[plan["site"]] = _counters_of(text)
        url = asyncio.run(new_database(pg.url))
        env = {**os.environ, "QUEUE_SITE_FILES": os.pathsep.join(files), "QUEUE_DATABASE": url}
        subprocess.run([QUEUE_SERVER, "user", "add", "bench", "--role", "admin", "--password-stdin"], input=PASSWORD,
                       text=True, env=env, check=True, capture_output=True)  # fmt: skip
        port = free_port()
        log = open(work / "server.log", "wb")  # noqa: SIM115 - closed below
        server = subprocess.Popen([QUEUE_SERVER, "serve", "--port", str(port), "--workers", str(args.workers)],
                                  env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        try:
            _wait_ready(port, server)
            rss_start = _rss(server.pid)
            postmaster = int((pg.data / "postmaster.pid").read_text().split()[0])
            outcome = _run(play(args, port, plans, sites, (server.pid, postmaster)))
            rss_end = _rss(server.pid)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, 2)
            server.wait(60)
            log.close()
        counts = asyncio.run(database_counts(url))
        outcome["pauses"] = _pauses(
            (work / "server.log").read_text(errors="replace"), pg.log.read_text(errors="replace")
        )
    report(args, plans, outcome, counts, rss_start, rss_end)


def _pauses(server_log: str, postgresql_log: str) -> dict[str, list[str]]:
    """What can stop commands for a while, from the logs: the server's slow garbage collections
    (settings/runtime.py logs each over 100 ms) and PostgreSQL's checkpoints (their write and sync times)."""
    return {
        "server_slow_collections": [line.strip()[-120:] for line in server_log.splitlines() if "garbage collection" in line],
        "postgresql_checkpoints": [line.split("checkpoint complete: ", 1)[1][-160:]
                                   for line in postgresql_log.splitlines() if "checkpoint complete" in line],
    }  # fmt: skip


def _run(main: Any) -> Any:
    """The generator on uvloop when it is there (a dependency of the server): it shares the two cores with
    the server and PostgreSQL, so the less it costs, the more of the measure is the server's."""
    if have_uvloop():
        import uvloop

        return uvloop.run(main)
    return asyncio.run(main)


def _counters_of(text: str) -> dict[str, list[str]]:
    import tomllib

    data = tomllib.loads(text)
    return {c["id"]: c["services"] for a in data["agencies"] for c in a.get("counters", [])}


def _wait_ready(port: int, server: subprocess.Popen[bytes]) -> None:
    import http.client

    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not start")


def _rss(pid: int) -> float:
    """MiB resident, the server's whole process group."""
    out = subprocess.run(["ps", "-o", "rss=", "-g", str(os.getpgid(pid))], capture_output=True, text=True).stdout
    return round(sum(int(x) for x in out.split()) / 1024, 1)


def report(args: argparse.Namespace, plans: list[dict[str, Any]], outcome: dict[str, Any], counts: dict[str, Any],
           rss_start: float, rss_end: float) -> None:  # fmt: skip
    day: Day = outcome["day"]
    malls: list[Mall] = outcome["malls"]
    # The day's commands; the counters' "open" all at once before the first arrival is set-up, reported apart.
    everything = [x for kind, values in day.latency.items() if kind != "open" for x in values]
    lost_tickets = [t for t in day.issued if t not in counts["ids"]]
    not_called_in_log = [t for t in day.called if counts["calls"].get(t, 0) == 0]
    called_twice = [t for t, n in counts["calls"].items() if n > 1]
    shown = {t: n for m in malls for t, n in m.shown.items()}
    display_lost = [t for t in day.called if shown.get(t, 0) == 0]
    display_double = [t for t, n in shown.items() if n > 1]
    mismatches = []
    national = outcome["national"]
    if national is not None:
        for row in national["sites"]:
            db = counts["per_site"].get(row["site"], {"served": 0, "waiting": 0})
            if row.get("served_today") != db["served"] or row.get("waiting") != db["waiting"]:
                mismatches.append({"site": row["site"], "page": [row.get("served_today"), row.get("waiting")],
                                   "database": [db["served"], db["waiting"]]})  # fmt: skip
    simulated = args.hours * 3600
    result = {
        "parameters": vars(args),
        "malls": len(plans),
        "tickets_planned_in_window": sum(
            round(p["tickets"] * sum(HOURLY[args.start_hour - 8 :][: args.hours])) for p in plans
        ),  # fmt: skip
        "busiest_mall_tickets_a_day": max(p["tickets"] for p in plans),
        "played_seconds": round(outcome["played_seconds"], 1),
        "speedup_achieved": round(simulated / outcome["played_seconds"], 2),
        "schedule_lateness_ms": _dist([x * 1000 for x in day.late]),
        "latency_ms": {kind: _dist(values) for kind, values in day.latency.items()},
        "latency_ms_all_commands": _dist(everything),  # issue, call_next, start, finish
        "model_waiting_at_end": {m.id: {k: v for k, v in m.waiting.items() if v} for m in malls if m.waiting.total()},
        "issued": len(day.issued),
        "called": len(day.called),
        "events_in_log": counts["events"],
        "refused": dict(day.refused),
        "errors": day.errors[:20],
        "error_count": len(day.errors),
        "lost_tickets": len(lost_tickets),
        "duplicate_numbers": counts["duplicates"],
        "series_with_gaps": counts["gaps"],
        "calls_missing_from_log": len(not_called_in_log),
        "tickets_called_twice": len(called_twice),
        "display_calls_lost": len(display_lost),
        "display_calls_double": len(display_double),
        "national_page_vs_database_mismatches": mismatches[:10] if national is not None else "national API missing",
        "server_rss_mib": {"start": rss_start, "end": rss_end},
        "cpu_percent_of_one_core": outcome["cpu_percent_of_one_core"],
        "generator_loop": "uvloop" if have_uvloop() else "asyncio",
        "generator_loop_lag_ms": outcome["generator_loop_lag_ms"],
        "national_page_ms": outcome["national_page_ms"],
        "national_pages_read": outcome["national_pages_read"],
        "pauses": outcome["pauses"],
    }
    p99 = result["latency_ms_all_commands"].get("p99", float("inf"))
    lateness = result["schedule_lateness_ms"].get("p99", float("inf"))
    clean = not (lost_tickets or counts["duplicates"] or counts["gaps"] or not_called_in_log or called_twice
                 or display_lost or display_double or mismatches or day.errors)  # fmt: skip
    result["sustained"] = bool(p99 <= TARGET_P99_MS and lateness < 1000 and clean)
    print(table([[k, json.dumps(v) if isinstance(v, dict | list) else v] for k, v in result.items() if k != "parameters"],
                ["measure", "value"]))  # fmt: skip
    print(f"\np99 of every command {p99} ms: {verdict(p99, TARGET_P99_MS)}; schedule lateness p99 {lateness} ms; "
          f"{'clean' if clean else 'PROBLEMS'}; speed-up {args.speedup}x {'sustained' if result['sustained'] else 'NOT sustained'}")  # fmt: skip
    print(f"saved {save_result(args.result_name, result)}")


if __name__ == "__main__":
    main()
