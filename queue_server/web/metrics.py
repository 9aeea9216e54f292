"""`GET /metrics`: the server in Prometheus's text format (prometheus-client), for the mall's or the ministry's
monitoring. Nothing personal: counts, waits and latencies by site, service and code.

Two kinds of figures. What the live state already knows (people waiting, tickets issued today, counters open,
websocket clients, messages waiting to be sent) is read when scraped, so keeping it costs nothing between scrapes.
What happens (events committed, each call's wait, each write's latency, refusals by code) is counted as it happens,
by this process since it started: with several processes (PostgreSQL), each counts its own; scrape each, or sum.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from queue_server.domain import events as ev
from queue_server.domain.events import Event
from queue_server.domain.model import CounterState

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
WAIT_BUCKETS = (60, 300, 600, 900, 1200, 1800, 2700, 3600, 5400, 7200, 10800, 14400)  # seconds: 1 min .. 4 h
WRITE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Metrics:
    """One per application (tests run many in one process): its own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.events = Counter("mpp_events", "Events committed by this process, by type", ["site", "type"],
                              registry=self.registry)  # fmt: skip
        self.waits = Histogram("mpp_wait_seconds", "From joining the queue to being called, per call made here",
                               ["site"], buckets=WAIT_BUCKETS, registry=self.registry)  # fmt: skip
        self.writes = Histogram("mpp_write_seconds", "One transaction of the command pipeline (group commit)",
                                buckets=WRITE_BUCKETS, registry=self.registry)  # fmt: skip
        self.refusals = Counter("mpp_refusals", "Requests refused, by code (HTTP and websocket)", ["code"],
                                registry=self.registry)  # fmt: skip
        self.ctx: Any = None  # the server's Context, once started
        self._live: _Live | None = None

    def attach(self, ctx: Any) -> None:
        self.ctx = ctx
        self._live = _Live(ctx)
        self.registry.register(self._live)

    def committed(self, events: list[Event], seconds: float) -> None:
        """After a commit (the engine's observer): count the events, each call's wait, the write's time."""
        self.writes.observe(seconds)
        for event in events:
            self.events.labels(event.site, event.type).inc()
            if event.type == ev.TICKET_CALLED:
                ticket = event.data["ticket"]
                called, joined = ticket.get("called_at"), ticket.get("queue_key")
                if called and joined:
                    self.waits.labels(event.site).observe(_seconds_between(joined, called))

    def refused(self, code: str) -> None:
        self.refusals.labels(code).inc()

    async def scrape(self) -> bytes:
        """The text, with the database asked first: its probe awaits, and prometheus-client's collectors cannot."""
        if self._live is not None:
            self._live.storage_failing = await self.ctx.storage_failure() is not None
        return generate_latest(self.registry)


def _seconds_between(start: str, end: str) -> float:
    from datetime import datetime

    return max(0.0, (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds())


class _Live(Collector):
    """The figures read from the live state when scraped."""

    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx
        self.storage_failing = False  # as found by Metrics.scrape, just before

    def collect(self) -> Iterator[Any]:
        waiting = GaugeMetricFamily("mpp_tickets_waiting", "Tickets waiting now (today's queue)",
                                    labels=["site", "service"])  # fmt: skip
        issued = GaugeMetricFamily("mpp_tickets_issued_today", "Tickets issued today (the site's local day)",
                                   labels=["site", "service"])  # fmt: skip
        counters = GaugeMetricFamily("mpp_counters_open", "Counters open now", labels=["site"])
        now = self.ctx.now()
        for site_id, state in self.ctx.states().items():
            site = state.site
            today = site.service_day(now)
            for service in site.services:
                waiting.add_metric([site_id, service], state.waiting_count(service, today))
                issued.add_metric([site_id, service], state.issued.get((service, today), 0))
            counters.add_metric([site_id], sum(1 for c in state.counters.values() if c.state is CounterState.OPEN))
        yield waiting
        yield issued
        yield counters
        hub = self.ctx.hub
        yield GaugeMetricFamily("mpp_websocket_clients", "Websocket clients connected to this process", value=hub.count)
        yield CounterMetricFamily("mpp_websocket_dropped", "Clients dropped as too slow, by this process",
                                  value=hub.dropped)  # fmt: skip
        backlog = GaugeMetricFamily("mpp_outbox_waiting", "Messages out not sent yet (waiting or being retried)",
                                    labels=["site", "endpoint"])  # fmt: skip
        dead = GaugeMetricFamily("mpp_outbox_dead", "Messages out given up (dead letters)", labels=["site", "endpoint"])
        notifications = self.ctx.notifications
        for (site_id, endpoint), (pending, failed) in (notifications.backlog if notifications else {}).items():
            backlog.add_metric([site_id, endpoint], pending)
            dead.add_metric([site_id, endpoint], failed)
        yield backlog
        yield dead
        # Every mall this server was started with: 1 for one left out at start-up (settings/left_out.py), which
        # answers 503 and runs nothing until a restart with its site file corrected; 0 for one served.
        left_out = GaugeMetricFamily("mpp_site_left_out", "1 for a mall left out at start-up (its site file or its "
                                     "day refused it): not served by this server",
                                     labels=["site", "reason"])  # fmt: skip
        for site_id in self.ctx.sites:
            left_out.add_metric([site_id, ""], 0)
        for leaving in self.ctx.left_out.values():
            left_out.add_metric([leaving.site, leaving.reason], 1)
        yield left_out
        yield GaugeMetricFamily("mpp_storage_failing", "1 while this process cannot write its database (a full disk, "
                                "the database away or stopped): every command is refused",
                                value=int(self.storage_failing))  # fmt: skip


async def metrics(request: Request) -> Response:
    found: Metrics = request.app.state.server.metrics
    return Response(await found.scrape(), media_type=CONTENT_TYPE)


ROUTES = [Route("/metrics", metrics, methods=["GET"])]
