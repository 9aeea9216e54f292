"""Benchmark: a sign-in storm. N operators sign in at once (the morning, or every client reconnecting after a
restart); how much memory does the server take meanwhile, and does it keep answering?

    .venv/bin/python bench/login_storm.py [--logins 100] [--tree PATH]

The demo server (SQLite), its RSS sampled every 10 ms from before the storm until its end; N concurrent
POST /api/v1/auth/login with the right password (each one argon2 verification: ~64 MiB and ~50 ms of all cores
with argon2-cffi's defaults), and meanwhile a GET /healthz every 50 ms, whose latency shows whether the event
loop was free. `--tree PATH` runs another checkout's server (e.g. `git worktree add /tmp/before <commit>`), to
compare. Result: bench/results/login_storm.json (or login_storm_<name of PATH>.json).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import OPERATOR_PASSWORD, machine_info, percentile, proc_status_kb, save_result, start_server  # noqa: E402
from _http import Http  # noqa: E402


def sample_rss(pid: int, samples: list[float], stop: threading.Event) -> None:
    while not stop.is_set():
        samples.append(proc_status_kb(pid, "VmRSS") / 1024)
        time.sleep(0.01)


async def storm(port: int, logins: int) -> dict[str, Any]:
    http = Http(port, logins + 1)
    await http.open()
    health: list[float] = []
    done = asyncio.Event()

    async def probe() -> None:
        while not done.is_set():
            sent = time.perf_counter()
            await http.request("GET", "/healthz", None, "")
            health.append((time.perf_counter() - sent) * 1000)
            await asyncio.sleep(0.05)

    async def login() -> int:
        status, _ = await http.request(
            "POST", "/api/v1/auth/login", {"username": "op-disdukcapil", "password": OPERATOR_PASSWORD}, ""
        )
        return status

    prober = asyncio.create_task(probe())
    started = time.perf_counter()
    statuses = await asyncio.gather(*(login() for _ in range(logins)))
    elapsed = time.perf_counter() - started
    done.set()
    await prober
    await http.close()
    health.sort()
    return {
        "logins": logins,
        "ok": sum(s == 200 for s in statuses),
        "seconds": round(elapsed, 2),
        "healthz_p50_ms": round(percentile(health, 50), 1),
        "healthz_max_ms": round(health[-1], 1),
        "healthz_answered": len(health),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--logins", type=int, default=100)
    p.add_argument("--tree", help="another checkout whose server to run")
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="storm-") as tmp:
        server = start_server(Path(tmp), mode="demo", extra_path=args.tree)
        try:
            server.wait_ready(timeout=120)
            time.sleep(2)  # start-up settles
            samples: list[float] = []
            stop = threading.Event()
            sampler = threading.Thread(target=sample_rss, args=(server.pid, samples, stop))
            sampler.start()
            time.sleep(0.5)
            before = max(samples)
            outcome = asyncio.run(storm(server.port, args.logins))
            stop.set()
            sampler.join()
        finally:
            server.stop()
    result = {**outcome, "rss_before_mib": round(before, 1), "rss_peak_mib": round(max(samples), 1),
              "rss_peak_growth_mib": round(max(samples) - before, 1), "tree": args.tree or "this one",
              "machine": machine_info()}  # fmt: skip
    for key, value in result.items():
        if key != "machine":
            print(f"{key}: {value}")
    name = "login_storm" if not args.tree else f"login_storm_{Path(args.tree).name}"
    print(f"saved {save_result(name, result)}")


if __name__ == "__main__":
    main()
