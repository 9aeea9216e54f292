"""Whether a site's daily quotas fit its counters' hours: a configuration check for administrators.

A service's quota asks for (daily quota x its configured minutes) of counter time a day; a counter gives its
opening hours less the break rule's minutes, shared among the services it serves as they need it. Whether every
quota fits is a flow problem (services -> the counters serving them), and the maximum flow's minimum cut names the
services whose quotas cannot all be served before closing, together with their counters, whatever the counters'
order of work. Services without a quota ask for nothing here (nobody knows how many will come).

It assumes every counter open all day: a shortfall found here is certain, no shortfall is not a promise. The
citizens left unserved is the missing time over the services' average minutes. Quotas the counters cannot serve
are what makes waits run past closing (the kiosk's "mungkin tidak terlayani hari ini"); the administration page
shows these so they are corrected before the citizens find out.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from queue_server.domain.catalogue import WEEKDAYS, Site, minute_of_day


@dataclass(frozen=True)
class Shortfall:
    services: tuple[str, ...]  # service ids, in site-file order
    counters: tuple[str, ...]  # the counters serving them (none: no counter serves them at all)
    quota: int  # the services' daily quotas together
    needed: int  # counter-minutes a day those quotas need
    available: int  # what their counters give on the longest of `days`
    days: tuple[str, ...]  # the weekdays (catalogue.WEEKDAYS) with opening hours it falls short on

    @property
    def citizens(self) -> int:
        """About how many of the quotas' citizens would not be served before closing."""
        return round((self.needed - self.available) * self.quota / self.needed) if self.needed else 0


def counter_minutes(site: Site, weekday: str) -> int:
    """What one counter gives on a usual `weekday`: the opening hours less its break where the break's window
    falls inside them (a half day ending at noon has little of it; 0: closed that day)."""
    ranges = [(minute_of_day(start), minute_of_day(end)) for start, end in site.hours.weekly.get(weekday, ())]
    opened = sum(end - start for start, end in ranges)
    if opened <= 0 or site.breaks is None:
        return max(0, opened)
    window = (minute_of_day(site.breaks.start), minute_of_day(site.breaks.end))
    inside = sum(max(0, min(end, window[1]) - max(start, window[0])) for start, end in ranges)
    return opened - min(site.breaks.minutes, inside)


def shortfalls(site: Site) -> list[Shortfall]:
    """Every group of services whose quotas need more counter time than their counters have, on the usual week's
    days (special periods and holidays aside), the same group on several days listed once."""
    minutes = {weekday: counter_minutes(site, weekday) for weekday in WEEKDAYS}
    short_on = {m: _short_on(site, m) for m in set(minutes.values()) if m > 0}  # Monday-Thursday alike: one flow
    found: dict[tuple[tuple[str, ...], tuple[str, ...]], list[tuple[str, int, int, int]]] = {}
    for weekday in WEEKDAYS:
        for services, counters, quota, needed, available in short_on.get(minutes[weekday], []):
            found.setdefault((services, counters), []).append((weekday, quota, needed, available))
    out = []
    for (services, counters), days in found.items():
        _, quota, needed, available = max(days, key=lambda d: d[3])
        out.append(Shortfall(services, counters, quota, needed, available, tuple(d[0] for d in days)))
    return out


def _short_on(site: Site, minutes: int) -> list[tuple[tuple[str, ...], tuple[str, ...], int, int, int]]:
    """(services, counters, quota, needed, available) of each connected group that falls short when every counter
    gives `minutes`: the source side of the minimum cut (the smallest one), split where no counter joins it."""
    asked = {
        s.id: (s.daily_quota, round(s.daily_quota * s.default_service_minutes))
        for s in site.services.values()
        if s.daily_quota
    }
    graph = nx.DiGraph()
    graph.add_node("source")
    graph.add_node("sink")
    for service, (_, needed) in asked.items():
        graph.add_edge("source", ("service", service), capacity=needed)
    for counter in site.counters.values():
        graph.add_edge(("counter", counter.id), "sink", capacity=minutes)
        for service in counter.services:
            if service in asked:
                graph.add_edge(("service", service), ("counter", counter.id))  # no capacity: unbounded
    _, (short, _) = nx.minimum_cut(graph, "source", "sink")
    groups = nx.connected_components(graph.subgraph(short - {"source"}).to_undirected())
    out = []
    for group in groups:
        services = tuple(s for s in site.services if ("service", s) in group)
        counters = tuple(c for c in site.counters if ("counter", c) in group)
        needed = sum(asked[s][1] for s in services)
        available = minutes * len(counters)
        if services and needed > available:
            out.append((services, counters, sum(asked[s][0] for s in services), needed, available))
    return out
