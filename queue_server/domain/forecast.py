"""Who is called before whom, and when: the routing rule (routing.py) run forward over today's queue.

Every counter that is open or on a break becomes free at an expected time (the one serving someone: after the
mean residual of a service that has run so long, `residual`; the one on a break: when a break should end). The
counter free first takes the ticket the routing rule would give it (its services, booked tickets whose slot has
begun, priority groups and the anti-starvation streak, "service_order" counters), and is taken for that service's
expected time at that counter (service_times.py); repeat until nobody is left. One run gives every waiting ticket
its expected call and the tickets called before it at the counters that can serve it ("people ahead"), and gives
each service its tail: when a ticket issued now would be called. A shared counter's other services count, and a
counter serving only another service does not.

Breaks: a counter is expected away at its usual break (learnt from the weeks before, break_habits.py), else at the
break rule's average share inside its window. What it cannot know: who arrives later (a priority citizen goes
ahead of waiting regular ones), how long a break really lasts, who does not come. The range (wait.py) is there
for that.
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from statistics import NormalDist

from queue_server.domain.booking import BookingState
from queue_server.domain.model import CounterState, Ticket
from queue_server.domain.service_times import OUTLIER_CAP, ServiceTimes
from queue_server.domain.state import SiteState

BREAK_MINUTES = 30.0  # a pause's expected length when the site file sets no break rule
BREAK_LEFT_MIN = 3.0  # a pause longer than expected: still this many minutes to go
RESIDUAL_FLOOR = 0.3  # a service under way has at least this share of its mean still to go
_NORMAL = NormalDist()


@dataclass(frozen=True)
class Call:
    minutes: float  # after the forecast's time
    index: int  # the order of calls (and of counters running dry) across the site
    counter: str


@dataclass
class Forecast:
    at: datetime
    version: int  # the state's version it was made from
    moves: int  # and its count of moves (SiteState.moves)
    calls: dict[str, Call]  # waiting ticket id -> its expected call
    runs: dict[str, list[Call]]  # counter -> its calls in order, then the moment it runs dry
    active: dict[str, tuple[str, ...]]  # counters open or on a break -> their services
    priority_calls: list[tuple[int, str]] = field(default_factory=list)  # (index, service) of each priority call
    # Who will come and go ahead of a regular ticket: booked citizens not checked in yet (their slots, minutes after
    # `at`, per service) and priority citizens (per service, per minute, over the last hour).
    booked_slots: dict[str, list[float]] = field(default_factory=dict)
    priority_rate: dict[str, float] = field(default_factory=dict)
    reshapes: int = 0  # the state's count of reshapes (SiteState.reshapes)
    departed_mark: int = 0  # len(SiteState.departed) when made: who left the line since is after it
    _by_service: dict[str, list[int]] = field(default_factory=dict)  # service -> sorted indexes of its counters' calls
    _serving: dict[str, list[str]] = field(default_factory=dict)  # cache of counters_for()

    def counters_for(self, service: str) -> list[str]:
        """The counters open or on a break that serve `service` (asked several times per estimate: kept)."""
        counters = self._serving.get(service)
        if counters is None:
            counters = self._serving[service] = [c for c, services in self.active.items() if service in services]
        return counters

    def due(self, elapsed: float) -> int:
        """The calls expected within `elapsed` minutes of the forecast, at every counter (each counter's run is in
        time order: only its first few are looked at)."""
        due = 0
        for run in self.runs.values():
            for call in run[:-1]:
                if call.minutes > elapsed:
                    break
                due += 1
        return due

    def ahead(self, service: str, index: int) -> int:
        """Calls made before `index` at the counters that serve `service`."""
        indexes = self._by_service.get(service)
        if indexes is None:
            counters = self.counters_for(service)
            indexes = sorted(call.index for c in counters for call in self.runs[c][:-1])
            self._by_service[service] = indexes
        return bisect_left(indexes, index)

    def gone_ahead(self, service: str, index: int, departed: list[str]) -> int:
        """Of the tickets that left the line since the forecast (`departed`: SiteState.departed), those it
        counted among the calls before `index` at the counters that serve `service` (O(departures since))."""
        serving = set(self.counters_for(service))
        gone = 0
        for ticket_id in departed[self.departed_mark :]:
            call = self.calls.get(ticket_id)
            gone += call is not None and call.index < index and call.counter in serving
        return gone

    def tail(self, service: str, priority: bool) -> Call | None:
        """When a ticket of `service` issued now would be called (None: no counter open or on a break serves it).

        A regular ticket is the newest: the first of its counters to run dry calls it. A priority ticket goes
        behind the priority tickets waiting for its counters' services only: each counter calls it at its first
        call after the last of those."""
        best: Call | None = None
        for counter in self.counters_for(service):
            run = self.runs[counter]
            if priority:
                services = self.active[counter]
                last = max((i for i, s in self.priority_calls if s in services), default=-1)
                candidate = next(call for call in run if call.index > last)
            else:
                candidate = run[-1]
            if best is None or (candidate.minutes, candidate.index) < (best.minutes, best.index):
                best = candidate
        return best


@dataclass(order=True)
class _Entry:
    key: tuple[object, ...]
    ticket: Ticket = field(compare=False)


def simulate(state: SiteState, now: datetime, times: ServiceTimes) -> Forecast:
    site = state.site
    active = {
        c: site.counters[c].services
        for c, status in state.counters.items()
        if c in site.counters and status.state is not CounterState.CLOSED
    }
    if not active:  # nobody will be called: nothing to run
        return Forecast(now, state.version, state.moves, {}, {}, {}, reshapes=state.reshapes,
                        departed_mark=len(state.departed))  # fmt: skip
    today = site.service_day(now)
    policy = site.routing
    merged = policy.priority_max_streak <= 0  # priority groups not preferred: one line
    regular: dict[str, list[_Entry]] = {}
    booked: dict[str, list[_Entry]] = {}
    priority: dict[str, list[_Entry]] = {}
    for service in {s for services in active.values() for s in services}:
        regular[service], booked[service], priority[service] = [], [], []
        for ticket_id in state.waiting.get(service, {}):
            ticket = state.tickets[ticket_id]
            if ticket.day != today:
                continue
            order = (ticket.queue_key, ticket.number, ticket.id)
            if ticket.priority and not merged:
                priority[service].append(_Entry(order, ticket))
                continue
            regular[service].append(_Entry(order, ticket))
            if ticket.booked_slot is not None:
                booked[service].append(_Entry((ticket.booked_slot, *order), ticket))
        for heap in (regular[service], booked[service], priority[service]):
            heapq.heapify(heap)
    taken: set[str] = set()

    def head(heap: list[_Entry]) -> _Entry | None:
        while heap and heap[0].ticket.id in taken:
            heapq.heappop(heap)
        return heap[0] if heap else None

    def first(heaps: dict[str, list[_Entry]], services: tuple[str, ...]) -> _Entry | None:
        found = [e for e in (head(heaps[s]) for s in services) if e is not None]
        return min(found) if found else None

    def first_regular(services: tuple[str, ...], at: datetime) -> _Entry | None:
        due = [e for e in (head(booked[s]) for s in services) if e is not None and e.key[0] <= at]  # type: ignore[operator]
        return min(due) if due else first(regular, services)

    streak = {c: state.counters[c].priority_streak for c in active}

    def pick(counter: str, at: datetime) -> Ticket | None:
        services = active[counter]
        if policy.order == "service_order":
            services = next(((s,) for s in services if head(regular[s]) or head(priority[s])), ())
        top_priority = first(priority, services)
        if top_priority is None:
            chosen = first_regular(services, at)
        elif first(regular, services) is None:
            chosen = top_priority
        elif streak[counter] >= policy.priority_max_streak:
            chosen = first_regular(services, at)
        else:
            chosen = top_priority
        if chosen is None:
            return None
        streak[counter] = streak[counter] + 1 if chosen.ticket.priority and not merged else 0
        taken.add(chosen.ticket.id)
        return chosen.ticket

    breaks = _Breaks(state, now, today)
    free: list[tuple[float, int, str]] = []
    for n, counter in enumerate(active):
        status = state.counters[counter]
        at = 0.0
        current = state.tickets.get(status.current) if status.current else None
        if current is not None and current.called_at is not None:
            expected = times.at_counter(current.service, counter)
            elapsed = (now - current.called_at).total_seconds() / 60
            left = expected * residual(elapsed / expected, times.spread(current.service)) if expected > 0 else 0.0
            at = breaks.finish(counter, 0.0, left)
        if status.state is CounterState.PAUSED:
            at = max(at, breaks.left(counter))
        free.append((at, n, counter))
    heapq.heapify(free)
    calls: dict[str, Call] = {}
    runs: dict[str, list[Call]] = {c: [] for c in active}
    priority_calls: list[tuple[int, str]] = []
    index = 0
    while free:
        at, n, counter = heapq.heappop(free)
        back = breaks.pause(counter, at)
        if back is not None:  # free at the time it usually takes its break: it calls again when that ends
            heapq.heappush(free, (back, n, counter))
            continue
        called = pick(counter, now + timedelta(minutes=at))
        call = Call(at, index, counter)
        index += 1
        runs[counter].append(call)
        if called is None:
            continue  # ran dry: its last entry says when
        calls[called.id] = call
        if called.priority and not merged:
            priority_calls.append((call.index, called.service))
        took = times.at_counter(called.service, counter)
        heapq.heappush(free, (breaks.finish(counter, at, took), n, counter))
    booked_slots: dict[str, list[float]] = {}
    for booking in state.bookings.values():
        if booking.state is BookingState.BOOKED and booking.day == today and booking.service in regular:
            booked_slots.setdefault(booking.service, []).append((booking.slot_start - now).total_seconds() / 60)
    for slots in booked_slots.values():
        slots.sort()
    hour_ago = now - timedelta(hours=1)
    priority_rate: dict[str, float] = {}
    for issued_at, service in reversed(state.priority_issued):
        if issued_at < hour_ago:
            break
        if state.issuing_pause(service, today) is not None:
            continue  # its issuing paused: no priority citizen of it comes later to go ahead (bookings still do)
        priority_rate[service] = priority_rate.get(service, 0.0) + 1 / 60
    return Forecast(
        now, state.version, state.moves, calls, runs, dict(active), priority_calls, booked_slots, priority_rate,
        reshapes=state.reshapes, departed_mark=len(state.departed),
    )  # fmt: skip


def residual(elapsed: float, cv: float) -> float:
    """How much of a counter's occupancy is still to go, on average, when `elapsed` (a share of its mean) has
    passed: the mean residual life of a log-normal occupancy with that spread. Longer than "mean minus elapsed":
    a service still running is more likely one of the long ones (at the mean, with a spread of 0.6, 56 % of the
    mean is still to go, not none)."""
    if elapsed <= 0:
        return 1.0
    if elapsed >= OUTLIER_CAP:  # longer than real services take (service_times.py): a finish forgotten, soon pressed
        return RESIDUAL_FLOOR
    sigma = math.sqrt(math.log(1 + cv * cv))
    z = (math.log(elapsed) + sigma * sigma / 2) / sigma
    surviving = 1 - _NORMAL.cdf(z)
    if surviving < 1e-9:
        return RESIDUAL_FLOOR
    return max(RESIDUAL_FLOOR, (1 - _NORMAL.cdf(z - sigma)) / surviving - elapsed)


class _Breaks:
    """The site's break rule (catalogue.BreakRule) as the forecast sees it. A counter with a usual break
    (SiteState.usual_breaks, domain/break_habits.py) is expected away then and works at full pace around it; one
    without that has not had its break today works at the rule's working share inside the window (it will pause
    for its turn, nobody knows exactly when); a counter on a pause comes back when its break should end."""

    def __init__(self, state: SiteState, now: datetime, today: date) -> None:
        self.state = state
        self.now = now
        self.rule = state.site.breaks
        self.start = self.end = 0.0  # the window, in minutes after `now`
        self.rate = 1.0
        self.taken: set[str] = set()  # counters that have had their break today
        self.habits: dict[str, tuple[float, float]] = {}  # counter -> its usual break, minutes after `now`
        self.usual: dict[str, tuple[float, float]] = {}  # the habits of counters yet to take today's break
        if self.rule is not None:
            tz = state.site.tz
            start = datetime.combine(today, self.rule.start, tzinfo=tz)
            end = datetime.combine(today, self.rule.end, tzinfo=tz)
            self.start = (start - now).total_seconds() / 60
            self.end = (end - now).total_seconds() / 60
            self.rate = self.rule.working_share
            # A pause today since the window opened was the break; one earlier (a form, a phone call) was not.
            self.taken = {c for c, at in state.paused_at.items() if at >= start and state.site.service_day(at) == today}
            for counter, (begins, ends) in state.usual_breaks.items():
                away = (datetime.combine(today, begins, tzinfo=tz) - now).total_seconds() / 60
                back = (datetime.combine(today, ends, tzinfo=tz) - now).total_seconds() / 60
                self.habits[counter] = (away, back)
                if counter not in self.taken and back > 0:
                    self.usual[counter] = (away, back)
        self.known = set(self.usual)

    def pause(self, counter: str, at: float) -> float | None:
        """When a counter free at `at` calls again: a counter at or past its usual break's start pauses, and is back
        at its usual end (in a rota a counter busy past its start has a shorter break). None: at once."""
        usual = self.usual.get(counter)
        if usual is None or at < usual[0]:
            return None
        del self.usual[counter]
        return usual[1] if usual[1] > at else None

    def left(self, counter: str) -> float:
        """Minutes until a paused counter calls again: at its usual return when this is its usual break, else when
        a break of the rule's length would end."""
        paused = self.state.paused_at.get(counter)
        expected = float(self.rule.minutes) if self.rule is not None else BREAK_MINUTES
        elapsed = (self.now - paused).total_seconds() / 60 if paused is not None else 0.0
        habit = self.habits.get(counter)
        if habit is not None and habit[0] - expected / 2 <= -elapsed < habit[1]:
            return max(habit[1], BREAK_LEFT_MIN)
        return max(expected - elapsed, BREAK_LEFT_MIN)

    def finish(self, counter: str, at: float, work: float) -> float:
        """When `work` minutes started at `at` are done, counting the break still to come."""
        if self.rule is None or counter in self.taken or counter in self.known or at >= self.end:
            return at + work
        if at < self.start:
            if at + work <= self.start:
                return at + work
            work -= self.start - at
            at = self.start
        capacity = (self.end - at) * self.rate
        if work <= capacity and self.rate > 0:
            return at + work / self.rate
        return self.end + (work - capacity)
