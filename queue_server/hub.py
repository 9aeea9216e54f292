"""Fan-out of committed events to live clients, through one bounded queue per client.

A client that cannot keep up (its queue is full) is marked overflowed and dropped by its connection, which
then resynchronises from its last `seq`; nobody else waits for it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from . import wire
from .domain.catalogue import Site
from .domain.events import SITE_WIDE, Event

DEFAULT_QUEUE_SIZE = 512
NOTICE = 0  # the seq of a notice: not an event of the log, never replayed, never counted as seen


@dataclass(frozen=True)
class Follow:
    """What a client follows. None means "everything of the site" for that dimension."""

    site: str
    audience: str
    services: frozenset[str] | None = None
    counters: frozenset[str] | None = None
    ticket_ids: frozenset[str] | None = None  # a citizen following their own ticket (and its transfer legs)
    token: str | None = None
    notices: bool = False  # a supervisor's dashboard: also wants notices (live figures, alerts)

    def matches(self, event: Event) -> bool:
        if event.site != self.site:
            return False
        data = event.data
        tickets = [data[k] for k in ("ticket", "new_ticket") if k in data]
        if self.token is not None:
            return any(t.get("token") == self.token for t in tickets)
        if self.services is None and self.counters is None:
            return True
        if self.services is not None and any(t["service"] in self.services for t in tickets):
            return True
        counter = data.get("counter")
        counter_id = counter.get("id") if isinstance(counter, dict) else None
        if self.counters is not None and (
            counter_id in self.counters or any(t.get("counter") in self.counters for t in tickets)
        ):
            return True
        return event.type in SITE_WIDE


@dataclass(eq=False)
class Subscription:
    follow: Follow
    queue: asyncio.Queue[list[tuple[int, str]]]  # one item per committed batch: [(seq, text), ...]
    overflowed: asyncio.Event = field(default_factory=asyncio.Event)


class Hub:
    def __init__(self, sites: dict[str, Site], queue_size: int = DEFAULT_QUEUE_SIZE) -> None:
        self.sites = sites
        self.queue_size = queue_size
        self._subscriptions: set[Subscription] = set()
        self.dropped = 0  # clients disconnected for being too slow, since start
        # Renders a citizen's public ticket status by token; set by the app, which owns the live state.
        self.status_renderer: Callable[[str], str | None] | None = None

    def subscribe(self, follow: Follow) -> Subscription:
        sub = Subscription(follow, asyncio.Queue(self.queue_size))
        self._subscriptions.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self._subscriptions.discard(sub)

    @property
    def count(self) -> int:
        return len(self._subscriptions)

    def publish(self, events: Iterable[Event]) -> None:
        """Called only after the events' transaction committed. Never blocks."""
        events = list(events)
        if not events or not self._subscriptions:
            return
        texts: dict[tuple[int, str], str] = {}
        touched = {t["service"] for e in events for k in ("ticket", "new_ticket") if (t := e.data.get(k))}
        for sub in list(self._subscriptions):
            if sub.overflowed.is_set():
                continue
            batch: list[tuple[int, str]] = []
            for event in events:
                self._follow_transfer(sub, event)
                if not sub.follow.matches(event):
                    continue
                key = (event.seq, sub.follow.audience)
                text = texts.get(key)
                if text is None:
                    site = self.sites.get(event.site)
                    text = wire.dumps(wire.event_message(event, sub.follow.audience, site))
                    texts[key] = text
                batch.append((event.seq, text))
            if (
                sub.follow.token is not None
                and self.status_renderer is not None
                and touched & (sub.follow.services or set())
            ):
                # Someone ahead was called, or joined ahead: the citizen's place changed, push it.
                status = self.status_renderer(sub.follow.token)
                if status is not None:
                    batch.append((NOTICE, status))
            if not batch:
                continue
            # The bound counts commits, not events: closing a day with a thousand open tickets is one item,
            # so it cannot push every healthy screen over the limit at once.
            try:
                sub.queue.put_nowait(batch)
            except asyncio.QueueFull:
                self.dropped += 1
                sub.overflowed.set()
                self.unsubscribe(sub)

    @staticmethod
    def _follow_transfer(sub: Subscription, event: Event) -> None:
        """A citizen's ticket moved to another service: follow the line of that service from now on."""
        new = event.data.get("new_ticket")
        if sub.follow.token is not None and new and new.get("token") == sub.follow.token:
            sub.follow = replace(sub.follow, services=frozenset({new["service"]}))

    def watching(self, site: str) -> int:
        """How many clients of a site want notices."""
        return sum(1 for sub in self._subscriptions if sub.follow.notices and sub.follow.site == site)

    def notify(self, site: str, render: Callable[[Follow], str | None]) -> None:
        """Send a notice (rendered per follower, e.g. one agency's share of the figures) to the clients of a site
        that want notices. A notice is superseded by the next one, so a full queue just skips it."""
        for sub in list(self._subscriptions):
            if not sub.follow.notices or sub.follow.site != site or sub.overflowed.is_set():
                continue
            text = render(sub.follow)
            if text is not None:
                with contextlib.suppress(asyncio.QueueFull):
                    sub.queue.put_nowait([(NOTICE, text)])
