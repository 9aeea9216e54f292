"""How good is the wait a citizen is told at the kiosk? A simulated busy day at the demo mall, run through the REAL
domain core, comparing each ticket's estimate at issue with its real wait.

    .venv/bin/python bench/wait_estimate.py [--days 5] [--seed 1] [--load 0.6]

The simulation (discrete events, no clock of its own, no database):
- the demo site file (MPP Kabupaten Tegal: 28 services, 26 counters, opening 07:30-15:30 on a Monday);
- arrivals: a Poisson process per service whose rate follows the hour, with a morning peak (09:00-10:00 is four
  times 07:30-08:00 and seven times 15:00-15:30); a day's demand per service is 90 % of its walk-in quota (60 for
  services without a quota), times --load (default 0.6: a busy day the counters can just about finish; 1.0 is an
  overloaded one, with a fifth of the tickets never called); 8 % of citizens belong to a UU 25/2009 priority group;
- counters: each opens at 07:30 or up to 30 minutes late, takes a 45-minute break between 11:45 and 13:15 (two
  shifts, so not every counter of an agency pauses at once), stops calling at 15:30 and finishes who it has;
- service: the citizen reaches the counter 0.3-1.5 minutes after being called (5 % never come: no-show after 3
  minutes); the service takes a log-normal time with the service's configured mean and a coefficient of variation
  of 0.6 (a few very long cases, as at a real counter).
Every step is a domain command through queue_server.domain.decide.decide and .state.apply, with time passed in,
exactly as the engine runs them. At each issue, the estimate is computed as the server's answer does
(queue_server.application.actions.issue_answer: people_ahead, then estimate_wait); the real wait is called_at - issued_at of
the ticket's first call. Tickets never called (the day ended) are counted but have no real wait.

Two other estimators, computed here only (not in the domain), show what an improvement could gain:
`shared_estimate` and `dispatch_estimate`. Result: bench/results/wait_estimate.json, and a table on stdout.
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import math
import random
import sys
import time as wall
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from statistics import mean
from typing import Any

from queue_server.domain.refusal import Refusal

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import save_result, table  # noqa: E402

from queue_server.domain import commands as c  # noqa: E402
from queue_server.domain.catalogue import PRIORITY_GROUPS, Site  # noqa: E402
from queue_server.domain.decide import decide  # noqa: E402
from queue_server.domain.model import CounterState, TicketState  # noqa: E402
from queue_server.domain.state import SiteState, apply  # noqa: E402
from queue_server.domain.wait import estimate_wait, people_ahead  # noqa: E402
from queue_server.settings.sitefile import DEMO_SITE, load_site  # noqa: E402

DAY = date(2026, 11, 23)  # a Monday
OPEN, CLOSE = time(7, 30), time(15, 30)
# Relative arrival rate by local hour (07 means 07:30-08:00, 15 means 15:00-15:30): the morning peak.
HOURLY = {7: 0.5, 8: 1.4, 9: 2.0, 10: 1.7, 11: 1.2, 12: 0.6, 13: 0.9, 14: 0.7, 15: 0.3}
PRIORITY_SHARE = 0.08
NO_SHOW = 0.05
SERVICE_CV = 0.6
WALK_MIN = (0.3, 1.5)
BREAK_MINUTES = 45


@dataclass
class Issued:
    ticket: str
    service: str
    hour: int
    issued_at: datetime
    estimate: int  # minutes, as the citizen is told
    shared: float  # minutes, alternative 1: shared counters counted by their share
    dispatch: float  # minutes, alternative 2: the routing rule run forward with mean service times
    ahead: int
    called_at: datetime | None = None


@dataclass
class Sim:
    site: Site
    rng: random.Random
    load: float
    state: SiteState = field(init=False)
    queue: list[tuple[datetime, int, str, Any]] = field(default_factory=list)
    order: itertools.count = field(default_factory=itertools.count)  # type: ignore[type-arg]
    tickets: dict[str, Issued] = field(default_factory=dict)
    idle: set[str] = field(default_factory=set)  # open counters with nobody called
    calling: set[str] = field(default_factory=set)  # counters still calling (not past closing or on a break)
    breaking: set[str] = field(default_factory=set)  # counters that pause once their current citizen is done
    refused: int = 0
    commands: int = 0

    def __post_init__(self) -> None:
        self.state = SiteState(self.site)

    def at(self, local: time, minutes: float = 0.0) -> datetime:
        start = datetime.combine(DAY, local, tzinfo=self.site.tz).astimezone(UTC)
        return start + timedelta(minutes=minutes)

    def schedule(self, when: datetime, kind: str, payload: Any = None) -> None:
        heapq.heappush(self.queue, (when, next(self.order), kind, payload))

    def run_command(self, command: Any, now: datetime) -> list[Any]:
        events = decide(self.state, command, now)
        for event in events:
            apply(self.state, event)
        self.commands += 1
        return events

    # --- the day ------------------------------------------------------------------------------------------

    def plan(self) -> None:
        for service in self.site.services.values():
            quota = service.walk_in_quota
            demand = (0.9 * quota if quota is not None else 60) * self.load
            self._plan_arrivals(service.id, demand)
        for i, counter in enumerate(self.site.counters.values()):
            late = self.rng.choice((0, 0, 0, 5, 10, 30))
            self.schedule(self.at(OPEN, late), "open", counter.id)
            shift = 0 if i % 2 == 0 else 45 + self.rng.uniform(0, 15)
            pause = self.at(time(11, 45), shift + self.rng.uniform(0, 10))
            self.schedule(pause, "break", counter.id)
            self.schedule(pause + timedelta(minutes=BREAK_MINUTES), "resume", counter.id)
            self.schedule(self.at(CLOSE), "stop", counter.id)

    def _plan_arrivals(self, service: str, demand: float) -> None:
        weights = {h: w * (0.5 if h in (7, 15) else 1.0) for h, w in HOURLY.items()}  # half hours at both ends
        per_weight = demand / sum(weights.values())
        now = 0.0  # minutes after opening
        end = (CLOSE.hour * 60 + CLOSE.minute) - (OPEN.hour * 60 + OPEN.minute)
        peak = max(HOURLY.values()) * per_weight / 60  # arrivals per minute at the peak: thinning bound
        while True:
            now += self.rng.expovariate(peak)
            if now >= end:
                return
            hour = (OPEN.hour * 60 + OPEN.minute + int(now)) // 60
            rate = HOURLY[hour] * per_weight / 60
            if self.rng.random() < rate / peak:
                self.schedule(self.at(OPEN, now), "arrive", service)

    def simulate(self) -> None:
        self.plan()
        while self.queue:
            now, _, kind, payload = heapq.heappop(self.queue)
            getattr(self, f"on_{kind}")(now, payload)
        self.run_command(c.CloseDay(DAY), self.at(time(23, 0)))

    # --- handlers -----------------------------------------------------------------------------------------

    def on_arrive(self, now: datetime, service: str) -> None:
        n = len(self.tickets) + self.refused + 1
        priority = self.rng.choice(list(PRIORITY_GROUPS)) if self.rng.random() < PRIORITY_SHARE else None
        try:
            event = self.run_command(c.IssueTicket(service, f"t{n}", f"token{n}", priority), now)[0]
        except Refusal:
            self.refused += 1  # quota spent: the kiosk says so, nobody waits
            return
        ticket = self.state.tickets[event.data["ticket"]["id"]]
        ahead = people_ahead(self.state, ticket)  # exactly what the server answers at issue
        told = estimate_wait(self.state, service, ahead=ahead)
        hour = self.site.local(now).hour
        self.tickets[ticket.id] = Issued(ticket.id, service, hour, now, told.minutes,
                                         shared_estimate(self.state, service, ahead),
                                         dispatch_estimate(self.state, ticket.id, now), ahead)  # fmt: skip
        for counter in sorted(self.idle):
            if service in self.site.counters[counter].services:
                self.try_call(counter, now)
                break

    def try_call(self, counter: str, now: datetime) -> None:
        if counter not in self.calling:
            return
        try:
            event = self.run_command(c.CallNext(counter), now)[0]
        except Refusal as exc:
            if exc.code == "queue_empty":
                self.idle.add(counter)
                return
            raise
        self.idle.discard(counter)
        ticket_id = event.data["ticket"]["id"]
        issued = self.tickets[ticket_id]
        issued.called_at = issued.called_at or now
        if self.rng.random() < NO_SHOW:
            self.schedule(now + timedelta(minutes=3), "no_show", counter)
            return
        self.schedule(now + timedelta(minutes=self.rng.uniform(*WALK_MIN)), "start", counter)

    def on_start(self, now: datetime, counter: str) -> None:
        self.run_command(c.StartService(counter), now)
        ticket = self.state.tickets[self.state.counters[counter].current or ""]
        mean_min = self.site.services[ticket.service].default_service_minutes
        sigma = math.sqrt(math.log(1 + SERVICE_CV**2))
        minutes = self.rng.lognormvariate(math.log(mean_min) - sigma**2 / 2, sigma)
        self.schedule(now + timedelta(minutes=minutes), "finish", counter)

    def on_finish(self, now: datetime, counter: str) -> None:
        self.run_command(c.FinishService(counter), now)
        self.after_ticket(counter, now)

    def on_no_show(self, now: datetime, counter: str) -> None:
        self.run_command(c.MarkNoShow(counter), now)
        self.after_ticket(counter, now)

    def after_ticket(self, counter: str, now: datetime) -> None:
        """The counter is free: call the next, or take the break or close that waited for this citizen."""
        status = self.state.counters[counter]
        if counter in self.calling:
            self.try_call(counter, now)
        elif status.state is CounterState.OPEN and counter in self.breaking:
            self.run_command(c.PauseCounter(counter), now)
        elif status.state is CounterState.OPEN:
            self.run_command(c.CloseCounter(counter), now)

    def on_open(self, now: datetime, counter: str) -> None:
        self.run_command(c.OpenCounter(counter, "op"), now)
        self.calling.add(counter)
        self.try_call(counter, now)

    def on_break(self, now: datetime, counter: str) -> None:
        self.breaking.add(counter)
        self.calling.discard(counter)
        if counter in self.idle:
            self.idle.discard(counter)
            self.run_command(c.PauseCounter(counter), now)

    def on_resume(self, now: datetime, counter: str) -> None:
        self.breaking.discard(counter)
        if self.state.counters[counter].state is CounterState.CLOSED:
            return
        if self.state.counters[counter].state is CounterState.PAUSED:
            self.run_command(c.OpenCounter(counter, "op"), now)
        self.calling.add(counter)
        if self.state.counters[counter].current is None:
            self.try_call(counter, now)

    def on_stop(self, now: datetime, counter: str) -> None:
        self.calling.discard(counter)
        self.breaking.discard(counter)
        status = self.state.counters[counter]
        if status.current is None and status.state is not CounterState.CLOSED:
            self.idle.discard(counter)
            self.run_command(c.CloseCounter(counter), now)


def shared_estimate(state: SiteState, service_id: str, ahead: int) -> float:
    """An alternative (not the domain's): a counter that also serves other services gives this service only its
    share of its time (by how many wait for each), counters on a break count as coming back, and the first of
    the people ahead is already half-way through a service on average (M/G/c residual)."""
    service = state.site.services[service_id]
    recent = state.service_seconds.get(service_id)
    per_ticket = mean(recent) / 60 if recent else service.default_service_minutes
    waiting = {s: len(ids) for s, ids in state.waiting.items()}
    capacity = 0.0
    for counter in state.site.counters_serving(service_id):
        status = state.counters[counter.id]
        if status.state is CounterState.CLOSED:
            continue
        total = sum(waiting.get(s, 0) for s in counter.services)
        share = waiting.get(service_id, 0) / total if total else 1.0
        capacity += share * (0.5 if status.state is CounterState.PAUSED else 1.0)
    capacity = max(capacity, 0.5)
    return max(0.0, (ahead + 0.5) * per_ticket / capacity)


def _per_ticket(state: SiteState, service_id: str) -> float:
    recent = state.service_seconds.get(service_id)
    return mean(recent) / 60 if recent else state.site.services[service_id].default_service_minutes


def dispatch_estimate(state: SiteState, ticket_id: str, now: datetime) -> float:
    """An alternative (not the domain's): run the routing forward. Every counter that is open (or on a break)
    becomes free at an expected time; the counter free first takes its next waiting ticket (priority first, then
    by place in time, across all its services), and is busy for that service's mean time; repeat until it is
    this ticket's turn. This counts what a shared counter does for other services and when busy counters free up."""
    free: dict[str, float] = {}
    for counter in state.site.counters.values():
        status = state.counters[counter.id]
        if status.state is CounterState.CLOSED:
            continue
        at = 0.0
        if status.current is not None:
            current = state.tickets[status.current]
            elapsed = (now - (current.called_at or now)).total_seconds() / 60
            at = max(0.5, _per_ticket(state, current.service) - elapsed)
        if status.state is CounterState.PAUSED:
            at = max(at, BREAK_MINUTES / 2)  # half a break left, on average
        free[counter.id] = at
    queue = sorted(
        (t for ids in state.waiting.values() for t in (state.tickets[i] for i in ids)),
        key=lambda t: (not t.priority, t.queue_key, t.number),
    )
    if not free:
        return float(estimate_wait(state, state.tickets[ticket_id].service).minutes)
    heap = [(at, counter_id) for counter_id, at in free.items()]
    heapq.heapify(heap)
    taken: set[str] = set()
    while heap:
        at, counter_id = heapq.heappop(heap)
        services = state.site.counters[counter_id].services
        ticket = next((t for t in queue if t.service in services and t.id not in taken), None)
        if ticket is None:
            continue  # nothing left for this counter
        if ticket.id == ticket_id:
            return at
        taken.add(ticket.id)
        heapq.heappush(heap, (at + _per_ticket(state, ticket.service), counter_id))
    return float(estimate_wait(state, state.tickets[ticket_id].service).minutes)


# --- the report -----------------------------------------------------------------------------------------------


def summarise(all_tickets: list[Issued]) -> dict[str, Any]:
    called = [t for t in all_tickets if t.called_at is not None]

    def stats(group: list[Issued]) -> dict[str, Any]:
        if not group:
            return {"tickets": 0}
        real = [(t.called_at - t.issued_at).total_seconds() / 60 for t in group]  # type: ignore[operator]
        told = [t.estimate for t in group]
        alt = [t.shared for t in group]
        alt2 = [t.dispatch for t in group]
        errors = [e - r for e, r in zip(told, real, strict=True)]
        return {
            "tickets": len(group),
            "mean_real_wait": round(mean(real), 1),
            "mean_estimate": round(mean(told), 1),
            "mae": round(mean(abs(e) for e in errors), 1),
            "bias": round(mean(errors), 1),  # negative: citizens are told too short a wait
            "within_5_min": round(100 * sum(abs(e) <= 5 for e in errors) / len(errors), 1),
            "told_too_short_by_15_plus": round(100 * sum(e < -15 for e in errors) / len(errors), 1),
            "mae_shared": round(mean(abs(a - r) for a, r in zip(alt, real, strict=True)), 1),
            "bias_shared": round(mean(a - r for a, r in zip(alt, real, strict=True)), 1),
            "mae_dispatch": round(mean(abs(a - r) for a, r in zip(alt2, real, strict=True)), 1),
            "bias_dispatch": round(mean(a - r for a, r in zip(alt2, real, strict=True)), 1),
        }

    by_hour = {h: stats([t for t in called if t.hour == h]) for h in sorted(HOURLY)}
    by_service: dict[str, list[Issued]] = defaultdict(list)
    for t in called:
        by_service[t.service].append(t)
    worst = sorted(((s, stats(g)) for s, g in by_service.items()), key=lambda x: -x[1]["mae"])[:6]
    return {
        "overall": stats(called),
        "by_hour": by_hour,
        "worst_services": dict(worst),
        "never_called": len(all_tickets) - len(called),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=5, help="simulated days (different random seeds)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--load", type=float, default=0.6, help="demand multiplier (1.0: 90%% of walk-in quotas)")
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args()

    site = replace(load_site(DEMO_SITE), enforce_hours=True)
    started = wall.perf_counter()
    tickets: list[Issued] = []
    refused = commands = 0
    for day in range(args.days):
        sim = Sim(site, random.Random(args.seed + day), args.load)
        sim.simulate()
        tickets.extend(sim.tickets.values())
        refused += sim.refused
        commands += sim.commands
        assert all(t.state not in (TicketState.WAITING, TicketState.CALLED) for t in sim.state.tickets.values())
    elapsed = wall.perf_counter() - started
    summary = summarise(tickets)

    o = summary["overall"]
    print(f"{args.days} simulated days, {len(tickets):,} tickets ({summary['never_called']} never called, "
          f"{refused} refused by quota), {commands:,} domain commands in {elapsed:.1f} s\n")  # fmt: skip
    columns = ("tickets", "mean_real_wait", "mean_estimate", "mae", "bias", "within_5_min", "told_too_short_by_15_plus",
               "mae_shared", "bias_shared", "mae_dispatch", "bias_dispatch")  # fmt: skip
    rows = [["all day", *(o[k] for k in columns)]]
    for hour, s in summary["by_hour"].items():
        if s["tickets"]:
            label = f"{hour:02d}:{'30' if hour == 7 else '00'}-{hour + 1 if hour != 15 else 15:02d}:{'30' if hour == 15 else '00'}"
            rows.append([label, *(s[k] for k in columns)])
    headers = ["issued", "tickets", "real wait", "told", "MAE", "bias", "% within 5", "% short >15", "MAE share",
               "bias share", "MAE dispatch", "bias dispatch"]  # fmt: skip
    print(table(rows, headers))
    print(
        "\nworst services (MAE, minutes):", ", ".join(f"{k} {v['mae']}" for k, v in summary["worst_services"].items())
    )
    if not args.no_save:
        path = save_result("wait_estimate", {
            "method": __doc__.split("\n\n")[1:4],
            "parameters": {"days": args.days, "seed": args.seed, "load": args.load, "hourly": HOURLY,
                           "priority_share": PRIORITY_SHARE, "no_show": NO_SHOW, "service_cv": SERVICE_CV},
            "tickets": len(tickets), "refused": refused, "commands": commands, "seconds": round(elapsed, 2),
            **summary,
        })  # fmt: skip
        print(f"\nsaved {path}")


if __name__ == "__main__":
    main()
