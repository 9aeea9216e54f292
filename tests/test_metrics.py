"""GET /metrics, scraped and parsed by prometheus_client's own parser: the live figures and the counted ones."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import websockets
from prometheus_client.parser import text_string_to_metric_families

from .helpers import LOBBY, Server, bearer
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
