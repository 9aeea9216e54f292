"""When each counter usually takes its long break (ISHOMA), learnt from the same weekday of the last weeks.

The site's break rule (catalogue.BreakRule) says that counters pause in turns within a window; it cannot say who
goes when. Counters usually keep their turn (the same operator, the same rota), so the wait forecast (forecast.py)
expects a counter away from the time it paused to the time it came back on the last same weekdays (the medians),
instead of working at the window's average share. Both ends are learnt: in a rota the break ends at the slot's end,
however late the counter's last citizen made it start. A pause is the long break when it begins inside the window
and lasts at least half the rule's minutes (a pause for a form or a phone call is not); a counter without one on
MIN_DAYS of the days read keeps the average.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta, tzinfo
from statistics import median

from queue_server.domain import events as ev
from queue_server.domain.catalogue import BreakRule, minute_of_day

MIN_DAYS = 2  # a counter's break seen on fewer of the days read is not a habit


def usual_breaks(
    moves: Iterable[tuple[datetime, str, str]], rule: BreakRule, tz: tzinfo
) -> dict[str, tuple[time, time]]:
    """counter -> the local times its long break usually begins and ends (the medians over the days), from
    `moves`: the counters' pauses, openings and closings of the days read, as (at, event type, counter id)."""
    window = (minute_of_day(rule.start), minute_of_day(rule.end))
    paused: dict[str, datetime] = {}  # counter -> when its pause under way began
    first: dict[tuple[str, object], tuple[int, int]] = {}  # (counter, local day) -> its break, minutes of the day
    for at, kind, counter in sorted(moves):
        if kind == ev.COUNTER_PAUSED:
            paused.setdefault(counter, at)
            continue
        began = paused.pop(counter, None)
        if began is None or at - began < timedelta(minutes=rule.minutes / 2):
            continue
        local = began.astimezone(tz)
        begins = minute_of_day(local.time())
        if window[0] <= begins < window[1]:
            first.setdefault((counter, local.date()), (begins, begins + round((at - began).total_seconds() / 60)))
    breaks: dict[str, list[tuple[int, int]]] = {}
    for (counter, _), minutes in first.items():
        breaks.setdefault(counter, []).append(minutes)
    return {
        counter: (_time(median(b for b, _ in seen)), _time(median(e for _, e in seen)))
        for counter, seen in breaks.items()
        if len(seen) >= MIN_DAYS
    }


def _time(minutes: float) -> time:
    return time(*divmod(min(int(minutes), 24 * 60 - 1), 60))
