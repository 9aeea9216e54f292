"""How good is the wait a citizen is told at the kiosk? Simulated busy days at the demo mall, run through the REAL
domain core, comparing each ticket's estimate at issue with its real wait, against two simple baselines.

    .venv/bin/python bench/wait_estimate.py [--days 8] [--seed 1] [--load 0.6] [--follow 30]

The simulation (discrete events, no clock of its own, no database):
- the demo site file (MPP Kabupaten Tegal: 28 services, 26 counters, several shared between services, opening
  07:30-15:30); --days Mondays in a row, each learning from the Mondays before it (the service-time prior);
- arrivals: a Poisson process per service whose rate follows the hour, with a morning peak (09:00-10:00 is four
  times 07:30-08:00 and seven times 15:00-15:30); a day's demand per service is 90 % of its walk-in quota (60 for
  services without a quota), times --load (0.6: a busy day the counters can just about finish); 8 % of citizens
  belong to a UU 25/2009 priority group; services with an online quota also get booked citizens (a fifth of their
  online quota), who come 0-25 minutes before their slot and check in (a booked ticket goes ahead of walk-ins
  once its slot begins);
- counters: each opens at 07:30 or up to 30 minutes late, takes a 45-minute break between 11:45 and 13:15 (two
  shifts, so not every counter of an agency pauses at once; a counter keeps its shift from Monday to Monday, and
  the forecast learns it from the Mondays before as the server does, unless --no-break-habits), stops calling at
  15:30 and finishes who it has;
  counters differ in speed (0.8-1.25 times the service's time);
- service: the citizen reaches the counter 0.3-1.5 minutes after being called (5 % never come: no-show after 3
  minutes); the service takes a log-normal time with the service's configured mean and a coefficient of variation
  of 0.6 (a few very long cases, as at a real counter).
Every step is a domain command through queue_server.domain.decide.decide and .state.apply, with time passed in,
exactly as the engine runs them. At each issue (and check-in) the estimate is computed as the server computes it
(application.forecasts.forecast_for: a forecast followed past everyday moves for --follow seconds of the site's
clock, as the server does, or made afresh for every ticket with --follow 0; then domain.wait.estimate); the real wait is called_at - issued_at of the
ticket's first call. Tickets never called (the day ended) have no real wait and are left out.

The error no estimator can avoid (--oracle-every N --replicas R): every Nth ticket also gets the median of R replicas
of the rest of the day played from its issue with everything the simulation knows then, only later draws made
afresh. With --fair-oracle the replicas know the mall (each counter's pace, its breaks, who booked) but not what
nobody can: the rest of each service under way (drawn again given how long it has run) and the walk-ins still to
come (drawn again from the same rates); without it they know those too, a bound no server could reach.

Baselines: LES (the wait of the last ticket of the service to be called) and QL (people ahead in the service's
line x the mean of today's service times, or the configured one, / counters open, at least one).
Result: bench/results/wait_estimate.json, and a table on stdout, with the same figures for the services whose
expected citizens fit their counters' hours (application/capacity.py, the administration page's check). Targets (issue "Wait estimates citizens can
trust"): MAE <= 5 min over the day and <= 8 min at the peak (tickets issued 10:00-12:00); bias within +-2 min;
<= 10 % told more than 10 minutes too short; >= 60 % of real waits inside the range; better than both baselines.
"""

from __future__ import annotations

import argparse
import copy
import heapq
import itertools
import json
import math
import random
import sys
import time as wall
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from statistics import mean, median
from typing import Any

from queue_server.domain.refusal import Refusal

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import save_result, table  # noqa: E402

from queue_server.application import forecasts  # noqa: E402
from queue_server.application.capacity import shortfalls  # noqa: E402
from queue_server.domain import commands as c  # noqa: E402
from queue_server.domain import events as ev  # noqa: E402
from queue_server.domain.break_habits import usual_breaks  # noqa: E402
from queue_server.domain.catalogue import PRIORITY_GROUPS, Site  # noqa: E402
from queue_server.domain.decide import decide  # noqa: E402
from queue_server.domain.model import CounterState, TicketState  # noqa: E402
from queue_server.domain.service_times import robust_mean  # noqa: E402
from queue_server.domain.state import (  # noqa: E402
    SiteState,
    apply,
    open_counters_for,  # noqa: E402
)
from queue_server.domain.wait import estimate, same_service_ahead  # noqa: E402
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


COUNTER_MOVES = (ev.COUNTER_PAUSED, ev.COUNTER_OPENED, ev.COUNTER_CLOSED)
PEAK = (10, 11)  # tickets issued 10:00-12:00
BOOKED_SHARE = 0.2  # of a service's online quota


@dataclass
class Issued:
    ticket: str
    service: str
    hour: int
    issued_at: datetime
    estimate: float | None  # minutes, as the citizen is told (None: no counter open, nothing promised)
    low: float | None
    high: float | None
    les: float  # baseline: the wait of the last ticket of the service to be called
    ql: float  # baseline: people ahead in line x mean service time / counters open
    ahead: int
    called_at: datetime | None = None
    oracle: float | None = None  # the oracle's median wait (only for sampled tickets)


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
    history: dict[str, tuple[float, int]] = field(default_factory=dict)
    breaks: dict[str, tuple[time, time]] = field(default_factory=dict)  # counter -> its usual break (weeks before)
    moves: list[tuple[datetime, str, str]] = field(default_factory=list)  # the counters' pauses and openings
    refused: int = 0
    commands: int = 0
    oracle_every: int = 0  # every Nth ticket also gets the oracle's figure (0: none)
    fair_oracle: bool = False  # the oracle draws the rest of services under way and the arrivals to come again
    replicas: int = 0
    target: str | None = None  # in a replica: the ticket whose call ends the run
    target_called: datetime | None = None
    last_wait: dict[str, float] = field(default_factory=dict)  # service -> wait of its last ticket called (LES)
    speed: dict[str, float] = field(default_factory=dict)  # counter -> how slow it is (1.0: the service's mean)

    def __post_init__(self) -> None:
        self.state = SiteState(self.site)
        self.state.times.history = dict(self.history)
        self.state.usual_breaks = dict(self.breaks)

    def at(self, local: time, minutes: float = 0.0) -> datetime:
        start = datetime.combine(DAY, local, tzinfo=self.site.tz).astimezone(UTC)
        return start + timedelta(minutes=minutes)

    def schedule(self, when: datetime, kind: str, payload: Any = None) -> None:
        heapq.heappush(self.queue, (when, next(self.order), kind, payload))

    def run_command(self, command: Any, now: datetime) -> list[Any]:
        events = decide(self.state, command, now)
        for event in events:
            apply(self.state, event)
            if event.type in COUNTER_MOVES:
                self.moves.append((event.at, event.type, event.data["counter"]["id"]))
        self.commands += 1
        return events

    # --- the day ------------------------------------------------------------------------------------------

    def plan(self) -> None:
        for service in self.site.services.values():
            self._plan_arrivals(service.id, self.demand(service.id))
            self._plan_bookings(service.id, self.booked(service.id))
        for i, counter in enumerate(self.site.counters.values()):
            self.speed[counter.id] = self.rng.uniform(0.8, 1.25)
            late = self.rng.choice((0, 0, 0, 5, 10, 30))
            self.schedule(self.at(OPEN, late), "open", counter.id)
            shift = 0 if i % 2 == 0 else 45 + self.rng.uniform(0, 15)
            pause = self.at(time(11, 45), shift + self.rng.uniform(0, 10))
            self.schedule(pause, "break", counter.id)
            self.schedule(pause + timedelta(minutes=BREAK_MINUTES), "resume", counter.id)
            self.schedule(self.at(CLOSE), "stop", counter.id)

    def _plan_arrivals(self, service: str, demand: float, after: float = 0.0) -> None:
        """Arrivals from `after` minutes past opening to closing (a fair replica draws them again from now)."""
        weights = {h: w * (0.5 if h in (7, 15) else 1.0) for h, w in HOURLY.items()}  # half hours at both ends
        per_weight = demand / sum(weights.values())
        now = after  # minutes after opening
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

    def demand(self, service: str) -> float:
        """Walk-ins expected in a day: 90 % of the walk-in quota (60 without one), times the load."""
        quota = self.site.services[service].walk_in_quota
        return (0.9 * quota if quota is not None else 60) * self.load

    def booked(self, service: str) -> int:
        """Citizens who book a slot of the day: a fifth of the online quota on a busy day (load 0.6)."""
        return round(self.site.services[service].online_quota * BOOKED_SHARE * self.load / 0.6)

    def _plan_bookings(self, service: str, count: int) -> None:
        """Citizens who booked a slot (the evening before): they come 0-25 minutes before it and check in."""
        slots = [s[0] for s in self.site.slots(DAY)]
        booked_at = self.at(OPEN) - timedelta(hours=12)
        for n in range(count):
            slot = self.rng.choice(slots)
            code = f"{service[:3].upper()}{n:05d}"
            try:
                self.run_command(c.BookSlot(service, DAY, slot.astimezone(self.site.tz).time(), f"nik-{service}-{n}",
                                            "08xx", f"b-{service}-{n}", code), booked_at)  # fmt: skip
            except Refusal:
                continue  # that slot is full: this citizen books no more
            self.schedule(slot - timedelta(minutes=self.rng.uniform(0, 25)), "check_in", code)

    def simulate(self) -> None:
        self.plan()
        self.run()
        self.run_command(c.CloseDay(DAY), self.at(time(23, 0)))

    def run(self) -> None:
        while self.queue and self.target_called is None:
            now, _, kind, payload = heapq.heappop(self.queue)
            getattr(self, f"on_{kind}")(now, payload)

    def oracle(self, ticket_id: str, now: datetime) -> float | None:
        """The best any estimate could do here: the median wait over replicas of the rest of the day that know
        everything this simulation knows at this moment (every counter's speed, breaks and opening, even the
        arrivals still to come and the end of each service under way) and draw only what nobody can know: how
        long each later service takes, each walk to the counter, who does not come. Its error against the real
        wait is the error no estimator can avoid."""
        waits = []
        for r in range(self.replicas):
            replica = copy.deepcopy(self)
            replica.rng = random.Random(hash((ticket_id, r)))
            replica.oracle_every = 0
            if self.fair_oracle:
                replica.forget_the_future(now)
            replica.target = ticket_id
            replica.call_idle(self.state.tickets[ticket_id].service, now)  # as the real day goes on from here
            replica.run()
            if replica.target_called is not None:
                waits.append((replica.target_called - now).total_seconds() / 60)
        return median(waits) if len(waits) > self.replicas // 2 else None

    def forget_the_future(self, now: datetime) -> None:
        """A fair replica knows the mall (each counter's pace, its breaks, who booked) but not what no one can:
        the rest of each service under way is drawn again given how long it has run, and the walk-ins still to
        come are drawn again from the same hourly rates."""
        kept = []
        for when, order, kind, payload in self.queue:
            if kind == "arrive":
                continue
            if kind == "finish":
                when = self._finish_given_elapsed(payload, now)
            kept.append((when, order, kind, payload))
        self.queue = kept
        heapq.heapify(self.queue)
        after = (now - self.at(OPEN)).total_seconds() / 60
        for service in self.site.services:
            self._plan_arrivals(service, self.demand(service), after)

    def _finish_given_elapsed(self, counter: str, now: datetime) -> datetime:
        ticket = self.state.tickets[self.state.counters[counter].current or ""]
        started = ticket.started_at or now
        elapsed = (now - started).total_seconds() / 60
        mean_min = self.site.services[ticket.service].default_service_minutes * self.speed[counter]
        sigma = math.sqrt(math.log(1 + SERVICE_CV**2))
        for _ in range(1000):  # a log-normal draw longer than what has already passed
            minutes = self.rng.lognormvariate(math.log(mean_min) - sigma**2 / 2, sigma)
            if minutes > elapsed:
                return started + timedelta(minutes=minutes)
        return now + timedelta(minutes=1)  # far in the tail: about to end

    # --- handlers -----------------------------------------------------------------------------------------

    def on_arrive(self, now: datetime, service: str) -> None:
        n = len(self.tickets) + self.refused + 1
        priority = self.rng.choice(list(PRIORITY_GROUPS)) if self.rng.random() < PRIORITY_SHARE else None
        try:
            event = self.run_command(c.IssueTicket(service, f"t{n}", f"token{n}", priority), now)[0]
        except Refusal:
            self.refused += 1  # quota spent: the kiosk says so, nobody waits
            return
        self.told(now, event.data["ticket"]["id"])

    def on_check_in(self, now: datetime, code: str) -> None:
        n = len(self.tickets) + self.refused + 1
        try:
            event = self.run_command(c.CheckIn(code, f"t{n}", f"token{n}"), now)[0]
        except Refusal:
            self.refused += 1  # outside its check-in window
            return
        self.told(now, event.data["ticket"]["id"])

    def told(self, now: datetime, ticket_id: str) -> None:
        """What the server answers at issue, and what the baselines would have said."""
        ticket = self.state.tickets[ticket_id]
        service = ticket.service
        if self.target is not None:  # a replica tells nobody anything: it only plays the day on
            self.tickets[ticket.id] = Issued(ticket.id, service, 0, now, None, None, None, 0.0, 0.0, 0)
            self.call_idle(service, now)
            return
        said = estimate(self.state, forecasts.forecast_for(self.state, now), ticket, now)
        ahead = same_service_ahead(self.state, ticket)
        recent = self.state.times._recent.get(service)  # noqa: SLF001 - the baseline's plain mean of today
        per_ticket = mean(recent) if recent else self.site.services[service].default_service_minutes
        ql = ahead * per_ticket / max(1, open_counters_for(self.state, service))
        self.tickets[ticket.id] = Issued(ticket.id, service, self.site.local(now).hour, now, said.minutes, said.low,
                                         said.high, self.last_wait.get(service, 0.0), ql, said.people_ahead)  # fmt: skip
        if self.oracle_every and len(self.tickets) % self.oracle_every == 0:
            self.tickets[ticket.id].oracle = self.oracle(ticket.id, now)
        self.call_idle(service, now)

    def call_idle(self, service: str, now: datetime) -> None:
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
        if ticket_id == self.target:
            self.target_called = now
        if issued.called_at is None:
            issued.called_at = now
            self.last_wait[issued.service] = (now - issued.issued_at).total_seconds() / 60
        if self.rng.random() < NO_SHOW:
            self.schedule(now + timedelta(minutes=3), "no_show", counter)
            return
        self.schedule(now + timedelta(minutes=self.rng.uniform(*WALK_MIN)), "start", counter)

    def on_start(self, now: datetime, counter: str) -> None:
        self.run_command(c.StartService(counter), now)
        ticket = self.state.tickets[self.state.counters[counter].current or ""]
        mean_min = self.site.services[ticket.service].default_service_minutes * self.speed[counter]
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


# --- the report -----------------------------------------------------------------------------------------------


def _figures(told: list[float], real: list[float], ranges: list[tuple[float, float]] | None) -> dict[str, Any]:
    errors = [t - r for t, r in zip(told, real, strict=True)]
    figures = {
        "mae": round(mean(abs(e) for e in errors), 1),
        "bias": round(mean(errors), 1),  # negative: citizens are told too short a wait
        "short_by_10_plus_pct": round(100 * sum(e < -10 for e in errors) / len(errors), 1),
        "within_5_min_pct": round(100 * sum(abs(e) <= 5 for e in errors) / len(errors), 1),
    }
    if ranges is not None:
        inside = sum(low <= r <= high for (low, high), r in zip(ranges, real, strict=True))
        figures["inside_range_pct"] = round(100 * inside / len(real), 1)
        figures["mean_range_width"] = round(mean(high - low for low, high in ranges), 1)
    return figures


def stats(group: list[Issued]) -> dict[str, Any]:
    """The domain's estimate and the two baselines over the same tickets: those called, with an estimate."""
    group = [t for t in group if t.called_at is not None and t.estimate is not None]
    if not group:
        return {"tickets": 0}
    real = [(t.called_at - t.issued_at).total_seconds() / 60 for t in group]  # type: ignore[operator]
    ranges = [(t.low or 0.0, t.high or 0.0) for t in group]  # every estimate has its range
    result = {
        "tickets": len(group),
        "mean_real_wait": round(mean(real), 1),
        "forecast": _figures([t.estimate or 0.0 for t in group], real, ranges),
        "les": _figures([t.les for t in group], real, None),
        "ql": _figures([t.ql for t in group], real, None),
    }
    sample = [(t, r) for t, r in zip(group, real, strict=True) if t.oracle is not None]
    if sample:  # the oracle and the forecast on the same sampled tickets
        sample_real = [r for _, r in sample]
        result["oracle_sample"] = {
            "tickets": len(sample),
            "mean_real_wait": round(mean(sample_real), 1),
            "oracle": _figures([t.oracle for t, _ in sample], sample_real, None),  # type: ignore[misc]
            "forecast": _figures([t.estimate for t, _ in sample], sample_real, None),  # type: ignore[misc]
        }
    return result


def overloaded(site: Site, load: float) -> set[str]:
    """The services whose simulated Monday asks more of their counters than the counters' hours give (the
    administration page's check, application/capacity.py, on the day's expected citizens rather than the quotas)."""
    probe = Sim(site, random.Random(0), load)
    asked = {s.id: replace(s, daily_quota=max(1, round(probe.demand(s.id)) + probe.booked(s.id)))
             for s in site.services.values()}  # fmt: skip
    return {s for short in shortfalls(replace(site, services=asked)) if "mon" in short.days for s in short.services}


def summarise(all_tickets: list[Issued], heavy: Collection[str] = ()) -> dict[str, Any]:
    by_hour = {h: stats([t for t in all_tickets if t.hour == h]) for h in sorted(HOURLY)}
    by_service: dict[str, list[Issued]] = defaultdict(list)
    for t in all_tickets:
        by_service[t.service].append(t)
    ranked = [(s, stats(g)) for s, g in by_service.items()]
    worst = sorted((x for x in ranked if x[1]["tickets"]), key=lambda x: -x[1]["forecast"]["mae"])[:6]
    return {
        "overall": stats(all_tickets),
        "peak": stats([t for t in all_tickets if t.hour in PEAK]),
        "by_hour": by_hour,
        "worst_services": dict(worst),
        "overloaded_services": sorted(heavy),
        "fitting": stats([t for t in all_tickets if t.service not in heavy]),
        "fitting_peak": stats([t for t in all_tickets if t.service not in heavy and t.hour in PEAK]),
        "never_called": sum(t.called_at is None for t in all_tickets),
        "no_estimate": sum(t.estimate is None for t in all_tickets),
    }


def verdicts(summary: dict[str, Any]) -> dict[str, bool]:
    o, p = summary["overall"], summary["peak"]
    f = o["forecast"]
    better = all(
        f[k] < o[b][k] if k != "bias" else abs(f[k]) < abs(o[b][k])
        for b in ("les", "ql")
        for k in ("mae", "bias", "short_by_10_plus_pct")
    ) and all(p["forecast"]["mae"] < p[b]["mae"] for b in ("les", "ql"))
    return {
        "mae_day_le_5": f["mae"] <= 5,
        "mae_peak_le_8": p["forecast"]["mae"] <= 8,
        "bias_within_2": abs(f["bias"]) <= 2,
        "short_by_10_le_10pct": f["short_by_10_plus_pct"] <= 10,
        "inside_range_ge_60pct": f["inside_range_pct"] >= 60,
        "better_than_both_baselines": better,
    }


def learnt(state: SiteState) -> dict[str, list[float]]:
    """Each service's occupancies of the day, as the server's history query reads them (service_history)."""
    minutes: dict[str, list[float]] = defaultdict(list)
    for t in state.tickets.values():
        if t.called_at and t.finished_at and t.state in (TicketState.DONE, TicketState.NO_SHOW):
            minutes[t.service].append((t.finished_at - t.called_at).total_seconds() / 60)
    return minutes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=8, help="simulated Mondays in a row (different random seeds)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--load", type=float, default=0.6, help="demand multiplier (1.0: 90%% of walk-in quotas)")
    parser.add_argument("--oracle-every", type=int, default=0, help="every Nth ticket also gets the oracle's bound")
    parser.add_argument("--replicas", type=int, default=15, help="replicas of the rest of the day per oracle ticket")
    parser.add_argument(
        "--fair-oracle",
        action="store_true",
        help="the oracle does not know the end of each service under way nor the walk-ins still to come",
    )
    parser.add_argument(
        "--follow",
        type=float,
        default=forecasts.FOLLOW_SECONDS,
        help="seconds a forecast is followed past calls and finishes (the server's rule; 0: never)",
    )
    parser.add_argument(
        "--no-break-habits",
        dest="break_habits",
        action="store_false",
        help="do not tell the forecast when each counter took its break the weeks before",
    )
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args()
    forecasts.FOLLOW_SECONDS = args.follow

    site = replace(load_site(DEMO_SITE), enforce_hours=True)
    started = wall.perf_counter()
    tickets: list[Issued] = []
    refused = commands = 0
    weeks: list[dict[str, list[float]]] = []  # the Mondays before: the service-time prior
    moves: list[list[tuple[datetime, str, str]]] = []  # the Mondays before: the counters' pauses and openings
    for day in range(args.days):
        history = {}
        for service in site.services:
            values = [m for week in weeks[-4:] for m in week.get(service, [])]
            if values:
                history[service] = (robust_mean(values), len(values))  # as the server's history query
        breaks = {}
        if args.break_habits and site.breaks is not None:  # as the server reads them (engine._learn_history)
            weeks_before = [
                (at - timedelta(weeks=len(moves) - w), kind, counter)  # a distinct date per Monday
                for w, week in enumerate(moves)
                if w >= len(moves) - 4
                for at, kind, counter in week
            ]
            breaks = usual_breaks(weeks_before, site.breaks, site.tz)
        sim = Sim(site, random.Random(args.seed + day), args.load, history=history, breaks=breaks,
                  oracle_every=args.oracle_every, replicas=args.replicas, fair_oracle=args.fair_oracle)  # fmt: skip
        sim.simulate()
        weeks.append(learnt(sim.state))
        moves.append(sim.moves)
        tickets.extend(sim.tickets.values())
        refused += sim.refused
        commands += sim.commands
        assert all(t.state not in (TicketState.WAITING, TicketState.CALLED) for t in sim.state.tickets.values())
    elapsed = wall.perf_counter() - started
    summary = summarise(tickets, overloaded(site, args.load))
    summary["verdicts"] = verdicts(summary)

    print(f"{args.days} simulated Mondays, {len(tickets):,} tickets ({summary['never_called']} never called, "
          f"{summary['no_estimate']} issued with no counter open), {refused} refused, {commands:,} domain commands "
          f"in {elapsed:.1f} s\n")  # fmt: skip
    rows = []
    for label, s in [("all day", summary["overall"]), ("peak 10-12", summary["peak"]),
                     *((f"{h:02d}h", st) for h, st in summary["by_hour"].items())]:  # fmt: skip
        if s["tickets"]:
            f = s["forecast"]
            rows.append([label, s["tickets"], s["mean_real_wait"], f["mae"], f["bias"], f["short_by_10_plus_pct"],
                         f["inside_range_pct"], f["mean_range_width"], s["les"]["mae"], s["les"]["bias"],
                         s["les"]["short_by_10_plus_pct"], s["ql"]["mae"], s["ql"]["bias"],
                         s["ql"]["short_by_10_plus_pct"]])  # fmt: skip
    headers = ["issued", "tickets", "real wait", "MAE", "bias", "% short>10", "% in range", "range width",
               "LES MAE", "LES bias", "LES %short", "QL MAE", "QL bias", "QL %short"]  # fmt: skip
    print(table(rows, headers))
    print("\nworst services (MAE, minutes):",
          ", ".join(f"{k} {v['forecast']['mae']}" for k, v in summary["worst_services"].items()))  # fmt: skip
    for label, s in [("all day", summary["overall"]), ("peak 10-12", summary["peak"])]:
        if "oracle_sample" in s:
            o = s["oracle_sample"]
            print(f"oracle, {label}: {o['tickets']} sampled tickets (real wait {o['mean_real_wait']}): oracle MAE "
                  f"{o['oracle']['mae']} bias {o['oracle']['bias']} short>10 {o['oracle']['short_by_10_plus_pct']} %;"
                  f" forecast MAE {o['forecast']['mae']} bias {o['forecast']['bias']}")  # fmt: skip
    fit, fit_peak = summary["fitting"], summary["fitting_peak"]
    if summary["overloaded_services"] and fit["tickets"]:
        print(f"services whose day fits their counters ({fit['tickets']:,} tickets; not "
              f"{', '.join(summary['overloaded_services'])}): MAE {fit['forecast']['mae']} (peak "
              f"{fit_peak['forecast']['mae']}), bias {fit['forecast']['bias']}, short>10 "
              f"{fit['forecast']['short_by_10_plus_pct']} %, in range {fit['forecast']['inside_range_pct']} %")  # fmt: skip
    print("targets:", json.dumps(summary["verdicts"]))
    if not args.no_save:
        path = save_result("wait_estimate", {
            "method": __doc__.split("\n\n")[1:4],
            "parameters": {"days": args.days, "seed": args.seed, "load": args.load, "hourly": HOURLY,
                           "oracle_every": args.oracle_every, "replicas": args.replicas,
                           "fair_oracle": args.fair_oracle, "follow": args.follow,
                           "priority_share": PRIORITY_SHARE, "no_show": NO_SHOW, "service_cv": SERVICE_CV,
                           "booked_share": BOOKED_SHARE},
            "tickets": len(tickets), "refused": refused, "commands": commands, "seconds": round(elapsed, 2),
            **summary,
        })  # fmt: skip
        print(f"\nsaved {path}")


if __name__ == "__main__":
    main()
