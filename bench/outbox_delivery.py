"""Benchmark: the outbox. Deliver N signed webhooks to a local receiver: messages per second, and the issuing p99
while deliveries run, beside the issuing p99 of the same load with no webhook at all.

    .venv/bin/python bench/outbox_delivery.py [--messages 10000] [--kiosks 8] [--rate 100] [--seconds 30]

Two runs of the demo server (SQLite, a fresh database each): A with no endpoint, B with one endpoint subscribed
to `ticket.issued`. Each run has two phases:
1. flat out: N tickets from `--kiosks` concurrent kiosks (a closed loop), each ticket's latency recorded. In B every
   ticket is one message; the receiver (a separate process, bench/_receiver.py: plain asyncio, 200 to everything,
   it counts) is up throughout, and the phase ends when it has N messages. Delivery rate = N / (first ticket ->
   last message received).
2. at a steady `--rate` tickets a second for `--seconds` (an open loop: a ticket is sent on time whether or not the
   one before was answered), the issuing p50/p99 with and without deliveries running beside it.
Result: bench/results/outbox_delivery.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import PYTHON, UNLIMITED_SERVICES, free_port, machine_info, percentile, save_result, start_server  # noqa: E402
from _http import Http  # noqa: E402

KIOSK = "d_kiosk_demo_tegal"
ADMIN_PASSWORD = "demo-admin"


async def issue(port: int, n: int, kiosks: int) -> tuple[list[float], float, float]:
    http = Http(port, kiosks)
    await http.open()
    took: list[float] = []
    left = iter(range(n))

    async def kiosk(k: int) -> None:
        for i in left:
            sent = time.perf_counter()
            status, body = await http.request("POST", "/api/v1/sites/tegal/tickets",
                                              {"service": UNLIMITED_SERVICES[(i + k) % len(UNLIMITED_SERVICES)]}, KIOSK)  # fmt: skip
            if status != 201:
                raise RuntimeError(f"issuing answered {status}: {body}")
            took.append((time.perf_counter() - sent) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(kiosk(k) for k in range(kiosks)))
    ended = time.perf_counter()
    await http.close()
    return sorted(took), started, ended


async def steady(port: int, rate: float, seconds: float) -> list[float]:
    """Open loop: one ticket every 1/rate s, whatever the answers; the latencies, sorted."""
    http = Http(port, 64)
    await http.open()
    took: list[float] = []

    async def one(i: int) -> None:
        sent = time.perf_counter()
        status, body = await http.request("POST", "/api/v1/sites/tegal/tickets",
                                          {"service": UNLIMITED_SERVICES[i % len(UNLIMITED_SERVICES)]}, KIOSK)  # fmt: skip
        if status != 201:
            raise RuntimeError(f"issuing answered {status}: {body}")
        took.append((time.perf_counter() - sent) * 1000)

    tasks = []
    start = time.perf_counter()
    for i in range(int(rate * seconds)):
        await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
        tasks.append(asyncio.create_task(one(i)))
    await asyncio.gather(*tasks)
    await http.close()
    return sorted(took)


def received(port: int) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/count", timeout=5) as r:  # noqa: S310 - loopback
        return int(json.loads(r.read())["count"])


def run(tmp: Path, n: int, kiosks: int, receiver_port: int | None, rate: float, seconds: float) -> dict[str, Any]:
    # The receiver listens on this machine: a lab's setting, refused for a mall (docs/configuration.md).
    os.environ["QUEUE_ALLOW_LOOPBACK_TARGETS"] = "1"
    server = start_server(tmp, mode="demo", db=tmp / ("with.sqlite3" if receiver_port else "without.sqlite3"),
                          log_name="with.log" if receiver_port else "without.log")  # fmt: skip
    try:
        server.wait_ready(timeout=120)
        time.sleep(1)
        if receiver_port:
            token = login(server.port)
            body = json.dumps({"url": f"http://127.0.0.1:{receiver_port}/hook", "events": ["ticket.issued"]}).encode()
            request = urllib.request.Request(f"{server.base}/api/v1/sites/tegal/webhooks", data=body, method="POST",
                                             headers={"Authorization": f"Bearer {token}",
                                                      "Content-Type": "application/json"})  # fmt: skip
            with urllib.request.urlopen(request, timeout=10) as r:  # noqa: S310 - loopback
                assert r.status == 201
        took, started, ended = asyncio.run(issue(server.port, n, kiosks))
        out: dict[str, Any] = {
            "tickets": n,
            "tickets_per_s": round(n / (ended - started)),
            "issue_p50_ms": round(percentile(took, 50), 2),
            "issue_p99_ms": round(percentile(took, 99), 2),
        }
        if receiver_port:
            at_end_of_issuing = received(receiver_port)
            deadline = time.perf_counter() + 600
            while (count := received(receiver_port)) < n and time.perf_counter() < deadline:
                time.sleep(0.05)
            done = time.perf_counter()
            out |= {
                "messages": count,
                "delivered_while_issuing": at_end_of_issuing,
                "seconds_to_deliver_all": round(done - started, 2),
                "messages_per_s": round(count / (done - started)),
                "messages_per_s_after_issuing": round((count - at_end_of_issuing) / max(done - ended, 1e-9)),
            }
        time.sleep(1)
        took = asyncio.run(steady(server.port, rate, seconds))
        out |= {"steady_rate": rate, "steady_issue_p50_ms": round(percentile(took, 50), 2),
                "steady_issue_p99_ms": round(percentile(took, 99), 2)}  # fmt: skip
        if receiver_port:
            deadline = time.perf_counter() + 120
            while (count := received(receiver_port)) < n + len(took) and time.perf_counter() < deadline:
                time.sleep(0.05)
            out["steady_messages_delivered"] = count - n
        return out
    finally:
        server.stop()


def login(port: int) -> str:
    body = json.dumps({"username": "admin", "password": ADMIN_PASSWORD}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/auth/login", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as r:  # noqa: S310 - loopback
        return str(json.loads(r.read())["token"])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--messages", type=int, default=10_000)
    p.add_argument("--kiosks", type=int, default=8)
    p.add_argument("--rate", type=float, default=100.0, help="steady phase: tickets a second")
    p.add_argument("--seconds", type=float, default=30.0, help="steady phase: how long")
    args = p.parse_args()
    port = free_port()
    receiver = subprocess.Popen([PYTHON, str(Path(__file__).with_name("_receiver.py")), str(port)])  # noqa: S603
    try:
        time.sleep(1)
        with tempfile.TemporaryDirectory(prefix="outbox-") as tmp:
            without = run(Path(tmp), args.messages, args.kiosks, None, args.rate, args.seconds)
            print("without webhooks:", without)
            with_hooks = run(Path(tmp), args.messages, args.kiosks, port, args.rate, args.seconds)
            print("with a webhook:  ", with_hooks)
    finally:
        receiver.terminate()
        receiver.wait()
    result = {"without_webhooks": without, "with_webhook": with_hooks, "kiosks": args.kiosks,
              "machine": machine_info()}  # fmt: skip
    print(f"saved {save_result('outbox_delivery', result)}")


if __name__ == "__main__":
    main()
