"""How long a counter is taken per ticket, per service and per counter: learnt from today, with a prior.

What a wait forecast needs is the counter's occupancy per ticket it calls: from the call to the next time it is free
(the citizen walking up, the service, a no-show's minutes of waiting). A ticket finished straight from "called"
(nobody pressed start; decide.py records its start at the finish, so reports see a 0-second service) counts from
its call to its finish like any other: that is how long the counter was taken. A call and finish at the same
moment (an operator clearing a number) measures nothing and is left out.

The estimate for a service blends a prior with today's measurements, the prior fading as they arrive:

    mean = (PRIOR_WEIGHT x prior + n x robust_mean(today's last n)) / (PRIOR_WEIGHT + n)

The prior is the robust mean occupancy of the same weekday in the previous weeks when the database has enough of
them (`history`, given by the engine), else the site file's `service_minutes`. A wait is a sum of occupancies, so
what is wanted is their mean, and service times are skewed (a few very long cases): a median or a symmetric trimmed
mean of them is well below the mean (by 14 % and 8 % at the spread of a real counter), which made every wait too
short. The robust mean caps each value at OUTLIER_CAP times the median instead (1.5 % below the mean at that
spread): one forgotten "finish" after lunch still cannot double a service's time. A counter's speed is the robust
mean of the ratios of its occupancies to its service's mean, shrunk towards 1 the same way, within 0.5-2; how many
ratios the prior counts as comes from how much today's counters differ (`counter_weight`, empirical Bayes).
"""

from __future__ import annotations

import statistics
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from queue_server.domain.model import Ticket, TicketState

RECENT = 60  # occupancies kept per service (today)
PRIOR_WEIGHT = 6.0  # the prior counts as this many of today's measurements
COUNTER_RECENT = 30
COUNTER_PRIOR_WEIGHT = 5.0  # a counter's prior speed (1.0) counts as this many of its ratios until measured:
COUNTER_WEIGHT_BOUNDS = (2.0, 50.0)  # then from how much today's counters differ (counter_weight), within these
SPREAD_MIN_COUNTERS = 3  # counters with SPREAD_MIN_RATIOS ratios each before their spread is measured
SPREAD_MIN_RATIOS = 5
HISTORY_MIN_SAMPLES = 10  # fewer on the same weekday before: the site file's figure is the prior
DEFAULT_CV = 0.6  # spread of one occupancy (sd / mean) before today has measured it
OUTLIER_CAP = 3.0  # a value counts for at most this many times the median (robust_mean)


@dataclass
class ServiceTimes:
    defaults: dict[str, float]  # service -> the site file's minutes
    history: dict[str, tuple[float, int]] = field(default_factory=dict)  # service -> (robust mean minutes, samples)
    _recent: dict[str, deque[float]] = field(default_factory=dict)  # service -> today's occupancies, minutes
    _ratios: dict[str, deque[float]] = field(default_factory=dict)  # counter -> occupancy / service mean
    _pairs: dict[tuple[str, str], deque[float]] = field(default_factory=dict)  # (counter, service) -> occupancies
    _means: dict[str, float] = field(default_factory=dict)  # cache of minutes(), cleared by observe()
    _at: dict[tuple[str, str], float] = field(default_factory=dict)  # cache of at_counter(), cleared by observe()
    _spreads: dict[str, float] = field(default_factory=dict)  # cache of spread(), cleared by observe()
    _weight: float | None = None  # cache of counter_weight(), cleared by observe()

    def observe(self, ticket: Ticket) -> None:
        """A ticket left its counter (done or no-show): learn how long the counter was taken."""
        if ticket.called_at is None or ticket.finished_at is None or ticket.counter is None:
            return
        if ticket.state not in (TicketState.DONE, TicketState.NO_SHOW):
            return
        minutes = (ticket.finished_at - ticket.called_at).total_seconds() / 60
        if minutes <= 0:
            return  # called and finished at once: not a service
        expected = self.minutes(ticket.service)
        self._recent.setdefault(ticket.service, deque(maxlen=RECENT)).append(minutes)
        self._ratios.setdefault(ticket.counter, deque(maxlen=COUNTER_RECENT)).append(minutes / expected)
        self._pairs.setdefault((ticket.counter, ticket.service), deque(maxlen=COUNTER_RECENT)).append(minutes)
        self._means.pop(ticket.service, None)
        self._spreads.pop(ticket.service, None)
        self._weight = None
        self._at.clear()  # a counter's speed and a service's mean both moved: any pair may have

    def set_defaults(self, defaults: dict[str, float]) -> None:
        """The site's configured minutes changed (web administration): today's measurements stay."""
        self.defaults = defaults
        self._means.clear()
        self._at.clear()

    def set_history(self, history: dict[str, tuple[float, int]]) -> None:
        """The same weekday's figures of the last weeks (the engine reads them each morning): a new prior."""
        self.history = history
        self._means.clear()
        self._at.clear()

    def prior(self, service: str) -> tuple[float, str]:
        mean, samples = self.history.get(service, (0.0, 0))
        if samples >= HISTORY_MIN_SAMPLES and mean > 0:
            return mean, "history"
        return self.defaults.get(service, 10.0), "default"

    def minutes(self, service: str) -> float:
        """The expected occupancy of one ticket of `service` at an average counter."""
        known = self._means.get(service)
        if known is not None:
            return known
        prior, _ = self.prior(service)
        recent = self._recent.get(service)
        if not recent:
            value = prior
        else:
            n = len(recent)
            value = (PRIOR_WEIGHT * prior + n * robust_mean(recent)) / (PRIOR_WEIGHT + n)
        self._means[service] = value
        return value

    def basis(self, service: str) -> str:
        """Where the figure mostly comes from: "today", "history" or "default"."""
        recent = self._recent.get(service)
        if recent and len(recent) >= PRIOR_WEIGHT:
            return "today"
        return self.prior(service)[1]

    def speed(self, counter: str) -> float:
        """How long this counter takes relative to an average one (1.0: average; 1.5: half as fast again)."""
        ratios = self._ratios.get(counter)
        if not ratios:
            return 1.0
        n = len(ratios)
        weight = self.counter_weight()
        shrunk = (weight + n * robust_mean(ratios)) / (weight + n)
        return min(2.0, max(0.5, shrunk))

    def counter_weight(self) -> float:
        """How many of a counter's own ratios its prior speed (1.0) counts as: the variance of one ratio over the
        variance of the counters' true speeds (empirical Bayes, from today's counters: the spread of their means
        less what their own noise explains). Where counters are alike, a counter's few long services are luck and
        its speed moves little; where they differ a lot, its own measurements take over at once."""
        if self._weight is not None:
            return self._weight
        groups = [_capped(r) for r in self._ratios.values() if len(r) >= SPREAD_MIN_RATIOS]
        weight = COUNTER_PRIOR_WEIGHT
        if len(groups) >= SPREAD_MIN_COUNTERS:
            noise = statistics.fmean(statistics.variance(g) for g in groups)  # one ratio, within its counter
            means = [statistics.fmean(g) for g in groups]
            between = statistics.variance(means) - statistics.fmean(noise / len(g) for g in groups)
            low, high = COUNTER_WEIGHT_BOUNDS
            weight = high if between <= noise / high else max(low, noise / between)
        self._weight = weight
        return weight

    def at_counter(self, service: str, counter: str) -> float:
        """The expected occupancy of one ticket of `service` at `counter`: what this counter measured for this
        service today, with the service's mean times the counter's speed as the prior (it fades as measurements
        arrive). A counter alone with a service has that service's mean already in its own pace; multiplying it by
        the counter's speed again would count its slowness twice."""
        known = self._at.get((counter, service))
        if known is not None:
            return known
        value = self.minutes(service) * self.speed(counter)
        own = self._pairs.get((counter, service))
        if own:
            n = len(own)
            value = (PRIOR_WEIGHT * value + n * robust_mean(own)) / (PRIOR_WEIGHT + n)
        self._at[(counter, service)] = value
        return value

    def spread(self, service: str) -> float:
        """The coefficient of variation of one occupancy (robust: from the quartiles), DEFAULT_CV until measured.
        Cached until the service's next measurement: a forecast asks it for every counter serving someone."""
        known = self._spreads.get(service)
        if known is not None:
            return known
        recent = self._recent.get(service)
        if not recent or len(recent) < 8:
            return DEFAULT_CV
        q1, _, q3 = statistics.quantiles(recent, n=4)
        middle = statistics.median(recent)
        cv = (q3 - q1) / 1.349 / middle if middle > 0 else DEFAULT_CV
        n = len(recent)
        value = self._spreads[service] = (PRIOR_WEIGHT * DEFAULT_CV + n * cv) / (PRIOR_WEIGHT + n)
        return value

    def new_day(self) -> None:
        """Today's measurements become history's business (the engine reloads `history` from the database)."""
        self._recent.clear()
        self._ratios.clear()
        self._pairs.clear()
        self._at.clear()
        self._means.clear()
        self._spreads.clear()
        self._weight = None


def _capped(values: Iterable[float]) -> list[float]:
    """The values with each capped at OUTLIER_CAP times their median, as robust_mean counts them."""
    values = list(values)
    cap = OUTLIER_CAP * statistics.median(values)
    return [min(v, cap) for v in values]


def robust_mean(values: Iterable[float]) -> float:
    """The mean with each value capped at OUTLIER_CAP times the median: close to the mean of skewed service times,
    and one absurd value (a finish forgotten for hours) moves it by little. Not empty."""
    capped = _capped(values)
    return sum(capped) / len(capped)
