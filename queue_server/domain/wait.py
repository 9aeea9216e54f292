"""What a citizen is told: how many people go before them and how long until they are called, as a range.

From a forecast (forecast.py: the routing rule run forward) of the state. The point estimate is the forecast's
expected call; the range is its spread: the sum of the occupancies before the call varies with each service's
measured spread (service_times.py), and what a forecast cannot see (later priority arrivals, breaks, no-shows)
adds a share of the wait itself. With no counter open or on a break for the service, there is no estimate, and
the citizen is told so rather than "soon". A call expected after the site's last opening hour of the day is said
too (`after_closing`): the citizen may not be served today, and should know before they wait for hours.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from queue_server.domain.forecast import Call, Forecast
from queue_server.domain.model import Ticket
from queue_server.domain.state import SiteState

Z_QUARTILE = 0.674  # p25 and p75 of a normal spread
UNSEEN_SHARE = 0.25  # what the forecast cannot see, as a share of the wait (sd)
ROUND_ABOVE = 30  # minutes: a longer range is said in fives
# Later priority arrivals lengthen a regular ticket's wait by 1 / (1 - load), the load never above this: the
# queueing formula alone made waits too long on simulated days (bench/wait_estimate.py: +3.9 minutes on average
# with 0.5 here), and 0.1 leaves no bias on two independent sets of days (seeds 1 and 101).
MAX_LATE_LOAD = 0.1
BOOKED_SHOW = 0.8  # of booked citizens not checked in yet, the share expected to come


@dataclass(frozen=True)
class WaitEstimate:
    people_ahead: int
    minutes: int | None  # None: no counter open (or on a break) serves the service
    low: int | None
    high: int | None
    counters_open: int  # counters open or on a break that serve the service
    basis: str  # where the service time comes from: "today", "history" or "default"
    after_closing: bool = False  # the expected call falls after today's opening hours end

    @property
    def status(self) -> str:
        return "no_counter_open" if self.minutes is None else "estimated"

    def to_dict(self) -> dict[str, object]:
        return {
            "status": self.status,
            "minutes": self.minutes,
            "low": self.low,
            "high": self.high,
            "people_ahead": self.people_ahead,
            "counters_open": self.counters_open,
            "basis": self.basis,
            "after_closing": self.after_closing,
        }


def estimate(state: SiteState, forecast: Forecast, ticket: Ticket, now: datetime) -> WaitEstimate:
    """The wait of a waiting ticket, from a forecast of the state (made at or a little before `now`)."""
    service = ticket.service
    counters = forecast.counters_for(service)
    if not counters:
        return no_counter_open(state, ticket)
    call = forecast.calls.get(ticket.id)
    extra = 0
    if call is None:  # issued after the forecast was made: behind its service's tail and the others since
        call = forecast.tail(service, bool(ticket.priority))
        extra = _issued_since(state, forecast, ticket)
        if call is None:
            return no_counter_open(state, ticket)
    return _told(state, forecast, service, bool(ticket.priority), call, extra, now)


def if_joined_now(state: SiteState, forecast: Forecast, service: str, now: datetime) -> WaitEstimate:
    """What a regular ticket of `service` taken now would be told: the kiosk shows it on the service's tile and a
    citizen at home reads it, before anyone takes a number (the same figures the ticket then gets)."""
    counters = forecast.counters_for(service)
    call = forecast.tail(service, False) if counters else None
    day = state.site.service_day(now)
    if call is None:  # nobody to call it: everyone in today's line is ahead
        return _no_time(state, service, state.waiting_count(service, day))
    return _told(state, forecast, service, False, call, sum(1 for _ in _unseen(state, forecast, service, day)), now)


def _told(
    state: SiteState, forecast: Forecast, service: str, priority: bool, call: Call, extra: int, now: datetime
) -> WaitEstimate:
    """The wait to `call` (a forecast's call, `extra` tickets it has not seen going first), with who comes later
    and goes ahead, as people ahead and a range."""
    counters = forecast.counters_for(service)
    elapsed = (now - forecast.at).total_seconds() / 60
    mean = state.times.minutes(service)
    minutes = max(0.0, call.minutes - elapsed + extra * mean / len(counters))
    issuing = _issuing_left(state, now)
    if not priority:
        minutes = _with_later_arrivals(forecast, counters, minutes, mean, elapsed, issuing)
    ahead = forecast.ahead(service, call.index) + extra - forecast.gone_ahead(service, call.index, state.departed)
    low, high = _range(minutes, mean, state.times.spread(service), len(counters))
    late = issuing is not None and minutes > issuing  # the call is expected after closing: say so
    return WaitEstimate(ahead, round(minutes), low, high, len(counters), state.times.basis(service), late)


def _issuing_left(state: SiteState, now: datetime) -> float | None:
    """Minutes until today's last opening range ends, when tickets stop being issued (None: a site that does not
    keep its hours, or no hours today)."""
    site = state.site
    if not site.enforce_hours:
        return None
    local = site.local(now)
    ranges = site.hours.ranges_on(local.date())
    if not ranges:
        return None
    closing = datetime.combine(local.date(), ranges[-1][1], tzinfo=site.tz)
    return (closing - now).total_seconds() / 60


def no_counter_open(state: SiteState, ticket: Ticket) -> WaitEstimate:
    """No counter open or on a break serves the ticket's service: its place in its line, and no time."""
    return _no_time(state, ticket.service, _ahead_in_line(state, ticket))


def _no_time(state: SiteState, service: str, ahead: int) -> WaitEstimate:
    return WaitEstimate(ahead, None, None, None, 0, state.times.basis(service))


def _with_later_arrivals(
    forecast: Forecast, counters: list[str], minutes: float, mean: float, elapsed: float, issuing: float | None
) -> float:
    """A regular ticket also waits for those who come later and go ahead: priority citizens (at the rate of the
    last hour, while tickets are still issued: `issuing` minutes, None for all day) and booked citizens whose slot
    begins before its call (they check in and go first)."""
    # Each service's newcomers, shared among the counters that serve it: those counters of mine take my share.
    mine = set(counters)
    share = {}
    for s in {s for c in counters for s in forecast.active[c]}:
        serving = forecast.counters_for(s)
        share[s] = len(mine.intersection(serving)) / len(serving)
    rate = sum(forecast.priority_rate.get(s, 0.0) * part for s, part in share.items())  # per minute
    load = min(MAX_LATE_LOAD, rate * mean / len(counters))
    arriving = minutes if issuing is None else min(minutes, max(0.0, issuing))
    minutes += arriving * load / (1 - load)
    for _ in range(2):  # the longer wait lets more slots begin: twice is close enough
        start, end = elapsed, elapsed + minutes
        booked = sum(
            part
            * (
                bisect_right(forecast.booked_slots.get(s, []), end)
                - bisect_right(forecast.booked_slots.get(s, []), start)
            )
            for s, part in share.items()
        )
        minutes_with = minutes + BOOKED_SHOW * booked * mean / len(counters)
        if round(minutes_with) == round(minutes):
            break
        minutes = minutes_with
    return minutes


def _range(minutes: float, mean: float, cv: float, counters: int) -> tuple[int, int]:
    """p25-p75 of the wait: the occupancies before the call (about minutes x counters / mean of them, shared
    among the counters) each vary by `cv`; what the forecast cannot see adds UNSEEN_SHARE of the wait."""
    variance = cv**2 * minutes * mean / counters + (UNSEEN_SHARE * minutes) ** 2
    half = Z_QUARTILE * math.sqrt(variance)
    low, high = max(0, math.floor(minutes - half)), math.ceil(minutes + half)
    if high > ROUND_ABOVE:  # "sekitar 20-30 menit" reads better than "sekitar 22-31 menit"
        low, high = low // 5 * 5, -(-high // 5) * 5
    return low, max(high, low + 1)


def _issued_since(state: SiteState, forecast: Forecast, ticket: Ticket) -> int:
    """Tickets of the service the forecast has not seen that go before `ticket` (O(tickets since the forecast))."""
    count = 0
    seen_ticket = False
    for other_id in _unseen(state, forecast, ticket.service, ticket.day):
        if other_id == ticket.id:
            seen_ticket = True
            continue
        other = state.tickets[other_id]
        if seen_ticket and (other.priority or not ticket.priority):
            count += 1
    return count


def _unseen(state: SiteState, forecast: Forecast, service: str, day: date) -> Iterator[str]:
    """Waiting tickets of `service` on `day` the forecast has not seen (issued since it was made), newest first: all
    go before a newcomer. A past day's left waiting until that day is closed are not: no counter calls them (the
    forecast, made of today's queue, has none of them)."""
    for ticket_id in reversed(state.waiting.get(service, {})):
        if ticket_id in forecast.calls:
            return
        if state.tickets[ticket_id].day == day:
            yield ticket_id


def _ahead_in_line(state: SiteState, ticket: Ticket) -> int:
    """same_service_ahead, in O(1) for the newest ticket of its service (every ticket just issued): a regular one
    waits behind everyone, a priority one behind every other priority ticket. Issuing stays fast when thousands
    wait and no counter is open yet."""
    waiting = state.waiting.get(ticket.service, {})
    if waiting and next(reversed(waiting)) == ticket.id and state.holds_only(ticket.day):
        return state.waiting_priority.get(ticket.service, 0) - 1 if ticket.priority else len(waiting) - 1
    return same_service_ahead(state, ticket)


def same_service_ahead(state: SiteState, ticket: Ticket) -> int:
    """Waiting tickets of the same service called before this one by the routing rule's priority order: what can
    be said with no counter open."""
    mine = (ticket.queue_key, ticket.number)
    ahead = 0
    for other in state.waiting_on(ticket.service, ticket.day):
        if other.id == ticket.id:
            continue
        if ticket.priority:
            ahead += bool(other.priority) and (other.queue_key, other.number) < mine
        else:
            ahead += bool(other.priority) or (other.queue_key, other.number) < mine
    return ahead
