"""GET /metrics, scraped and parsed by prometheus_client's own parser: the live figures and the counted ones."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import websockets
from prometheus_client.parser import text_string_to_metric_families

from .helpers import LOBBY, Server, bearer
from .test_invariants import _start
from .test_outbox import add_webhook


async def scrape(server: Server) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    r = await server.http.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(r.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_metrics_show_the_queue_the_calls_the_screens_the_refusals_and_the_outbox(server: Server) -> None:
    for _ in range(3):
        await server.issue("ktp")
    op = await server.login("op-disdukcapil")
    assert (await server.command(op, "1", "open")).status_code == 200
    server.clock.advance(minutes=7)
    assert (await server.command(op, "1", "call_next")).status_code == 200
    refused = await server.http.post("/api/v1/sites/tegal/tickets", json={"service": "nope"}, headers=bearer(LOBBY))
    assert refused.status_code in (403, 404)
    hook = (await add_webhook(server, "http://127.0.0.1:9/hook", ["ticket.issued"]))["endpoint"]["id"]  # nobody listens
    await server.issue("kk")
    async with websockets.connect(server.ws_url) as display:
        await display.send(json.dumps({"type": "hello", "role": "display", "site": "tegal", "token": LOBBY}))
        await display.recv()
        samples = await scrape(server)
        assert value(samples, "mpp_websocket_clients") == 1
    assert value(samples, "mpp_tickets_waiting", site="tegal", service="ktp") == 2
    assert value(samples, "mpp_tickets_issued_today", site="tegal", service="ktp") == 3
    assert value(samples, "mpp_counters_open", site="tegal") == 1
    assert value(samples, "mpp_events_total", site="tegal", type="ticket.issued") == 4
    assert value(samples, "mpp_events_total", site="tegal", type="ticket.called") == 1
    assert value(samples, "mpp_wait_seconds_count", site="tegal") == 1
    assert value(samples, "mpp_wait_seconds_bucket", site="tegal", le="300.0") == 0  # waited 7 minutes
    assert value(samples, "mpp_wait_seconds_bucket", site="tegal", le="600.0") == 1
    assert value(samples, "mpp_write_seconds_count") >= 6
    assert value(samples, "mpp_refusals_total", code=refused.json()["error"]["code"]) == 1

    for _ in range(120):  # the outbox's figures are read every 5 s: within 30 s
        found = await scrape(server)
        if value(found, "mpp_outbox_waiting", site="tegal", endpoint=hook) >= 1:
            break
        await asyncio.sleep(0.25)
    else:
        raise AssertionError("the message nobody receives never showed as waiting")


def test_json_logs_are_one_object_per_line_from_start_to_stop(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    proc, url = _start(tmp_path / "q.sqlite3", None, "--log-format", "json", command="demo", log=log)
    try:
        assert httpx.get(f"{url}/healthz", timeout=5).status_code == 200
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    others = [line for line in log.read_text().splitlines() if line.strip() and not line.startswith("{")]
    assert lines and all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    assert any(line["message"] == "Application startup complete." for line in lines)
    assert any("Shutting down" in line["message"] or "Finished server process" in line["message"] for line in lines)
    assert all(not o.startswith(("INFO", "WARNING", "ERROR")) for o in others), others  # the demo's banner only
    bad = subprocess.run([sys.executable, "-m", "queue_server", "serve", "--db", str(tmp_path / "x.sqlite3")],
                         env={**os.environ, "QUEUE_LOG_FORMAT": "yaml"}, capture_output=True, text=True, check=False)  # fmt: skip
    assert bad.returncode != 0 and "log format must be one of text, json, got 'yaml'" in bad.stderr
