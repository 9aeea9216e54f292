"""The wait forecast of each site, made again when its state has changed, but never so often that it takes more
than a small share of the server's time: issuing stays close to O(1) with thousands waiting.

A forecast is a run of the routing rule over the whole queue (domain/forecast.py), O(waiting). It is made again
when asked and the state has changed since, unless
- only regular tickets joined since and the last one was made less than COST_RATIO times its own cost ago: then
  the last one answers, and a ticket issued since is placed behind its service's tail and behind the tickets
  issued since (domain/wait.py), which is what a fresh run would say too; or
- only everyday moves happened since (calls, starts, finishes, no-shows, cancellations: SiteState.reshapes is
  unchanged), no more of them than it expected by now (and one), and it is less than FOLLOW_SECONDS old on the
  site's clock: then the last one answers with those who left the line since taken off everyone's "people ahead"
  (wait.py), so a phone sees each call move it up at once. What it misses for those seconds is a counter finishing
  a little earlier or later than expected; a burst of quick services or no-shows is not missed (a phone told "0
  ahead" with the forecast's hour still, an outside review found), it makes a new one.

Without the second rule a busy site made a forecast for nearly every ticket issued (a call or a finish comes
between two tickets): 35 % of a server's time in the national benchmark (docs/benchmarks.md).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from queue_server.domain.forecast import Forecast, simulate
from queue_server.domain.model import CounterState, Ticket, TicketState
from queue_server.domain.state import SiteState
from queue_server.domain.wait import WaitEstimate, estimate, if_joined_now, no_counter_open

COST_RATIO = 20.0  # a forecast is reused for 20 times what it cost to make: at most ~5 % of the time
FOLLOW_SECONDS = 30.0  # a forecast followed past everyday moves this long (bench/wait_estimate.py --follow)


@dataclass
class _Made:
    forecast: Forecast
    at: float  # time.perf_counter() when made
    cost: float  # seconds it took


def forecast_for(state: SiteState, now: datetime) -> Forecast:
    made = state.forecast_cache
    if isinstance(made, _Made):
        if made.forecast.version == state.version:
            return made.forecast
        # Only regular tickets joined since (wait.py places them behind the tail): reused within its cost budget.
        if made.forecast.moves == state.moves and time.perf_counter() - made.at < COST_RATIO * made.cost:
            return made.forecast
        # Only everyday moves since: followed for FOLLOW_SECONDS, with who left the line taken off "people ahead"
        # (wait.py), so a phone still moves up at each call.
        followed = made.forecast
        age = (now - followed.at).total_seconds()
        if followed.reshapes == state.reshapes and age < FOLLOW_SECONDS:
            left = len(state.departed) - followed.departed_mark
            if left <= followed.due(age / 60) + 1:
                return followed
    started = time.perf_counter()
    forecast = simulate(state, now, state.times)
    finished = time.perf_counter()
    state.forecast_cache = _Made(forecast, finished, finished - started)
    return forecast


def wait_of(state: SiteState, ticket: Ticket, now: datetime) -> WaitEstimate | None:
    """A waiting ticket's estimate; None once it is called or gone."""
    if ticket.state is not TicketState.WAITING:
        return None
    if not any(
        state.counters[c.id].state is not CounterState.CLOSED for c in state.site.counters_serving(ticket.service)
    ):
        return no_counter_open(state, ticket)  # before the counters open: no forecast to make or to read
    return estimate(state, forecast_for(state, now), ticket, now)


def waits_if_joined_now(state: SiteState, now: datetime) -> dict[str, WaitEstimate]:
    """Each service's wait for a regular ticket taken now, from the one forecast that answers the tickets too."""
    forecast = forecast_for(state, now)
    return {service: if_joined_now(state, forecast, service, now) for service in state.site.services}
