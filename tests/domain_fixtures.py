"""A small site built in code, and a tiny driver, for the domain tests (no database, no loop)."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from typing import Any

from queue_server.domain import commands as c
from queue_server.domain.catalogue import Agency, Counter, OpeningHours, RoutingPolicy, Service, Site
from queue_server.domain.decide import decide
from queue_server.domain.events import Event
from queue_server.domain.model import Ticket
from queue_server.domain.state import SiteState, apply

ALL_DAY = ((time(0, 0), time(23, 59, 59, 999999)),)


def make_site(
    timezone: str = "Asia/Jakarta",
    *,
    quota: int | None = None,
    streak: int = 2,
    order: str = "fifo",
    hours: OpeningHours | None = None,
) -> Site:
    agencies = {
        "dukcapil": Agency("dukcapil", "Disdukcapil", "Disdukcapil", "#123456"),
        "polres": Agency("polres", "Polres", "Polres", "#654321"),
    }
    services = {
        "ktp": Service("ktp", "dukcapil", "KTP", "A", quota, 30, 10),
        "kk": Service("kk", "dukcapil", "KK", "B", None, 30, 10),
        "skck": Service("skck", "polres", "SKCK", "F", None, 30, 10),
    }
    counters = {
        "1": Counter("1", "Loket 1", "dukcapil", ("ktp",)),
        "2": Counter("2", "Loket 2", "dukcapil", ("ktp", "kk")),
        "3": Counter("3", "Loket 3", "dukcapil", ("kk", "ktp")),
        "5": Counter("5", "Loket 5", "polres", ("skck",)),
    }
    weekly = {d: ALL_DAY for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    return Site("s", "MPP Uji", timezone, hours or OpeningHours(weekly), agencies, services, counters,
                routing=RoutingPolicy(order, streak))  # fmt: skip


class Driver:
    """Runs commands like the engine does (decide, then apply), with time that the test moves."""

    def __init__(self, site: Site | None = None, now: datetime | None = None) -> None:
        self.state = SiteState(site or make_site())
        self.now = now or datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 09:00 WIB
        self.ids = itertools.count(1)
        self.log: list[Event] = []

    def run(self, command: Any) -> list[Event]:
        events = decide(self.state, command, self.now)
        for event in events:
            apply(self.state, event)
        self.log.extend(events)
        return events

    def tick(self, minutes: float = 1) -> None:
        self.now += timedelta(minutes=minutes)

    def issue(self, service: str = "ktp", priority: str | None = None) -> Ticket:
        n = next(self.ids)
        event = self.run(c.IssueTicket(service, f"t{n}", f"token{n}", priority))[0]
        self.tick(0.1)
        return self.state.tickets[event.data["ticket"]["id"]]

    def open(self, *counters: str) -> None:
        for counter in counters:
            self.run(c.OpenCounter(counter, "op"))

    def call_next(self, counter: str) -> Ticket:
        event = self.run(c.CallNext(counter))[0]
        return self.state.tickets[event.data["ticket"]["id"]]

    def serve(self, counter: str, minutes: float = 5) -> Ticket:
        ticket = self.call_next(counter)
        self.run(c.StartService(counter))
        self.tick(minutes)
        self.run(c.FinishService(counter))
        return self.state.tickets[ticket.id]

    def ticket(self, ticket_id: str) -> Ticket:
        return self.state.tickets[ticket_id]


def with_site(driver: Driver, **changes: Any) -> None:
    driver.state.site = replace(driver.state.site, **changes)
