"""Fan-out of committed events to live clients, through one bounded queue per client.

A client that cannot keep up (its queue is full) is marked overflowed and dropped by its connection, which
then resynchronises from its last `seq`; nobody else waits for it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field

from . import wire
from .domain.catalogue import Site
from .domain.events import Event

DEFAULT_QUEUE_SIZE = 512


@dataclass(frozen=True)
class Follow:
    """What a client follows. None means "everything of the site" for that dimension."""

    site: str
    audience: str
    services: frozenset[str] | None = None
    counters: frozenset[str] | None = None
    ticket_ids: frozenset[str] | None = None  # a citizen following their own ticket (and its transfer legs)
    token: str | None = None

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
        return event.type == "day.closed"


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
        for sub in list(self._subscriptions):
            if sub.overflowed.is_set():
                continue
            batch: list[tuple[int, str]] = []
            for event in events:
                if not sub.follow.matches(event):
                    continue
                key = (event.seq, sub.follow.audience)
                text = texts.get(key)
                if text is None:
                    site = self.sites.get(event.site)
                    text = wire.dumps(wire.event_message(event, sub.follow.audience, site))
                    texts[key] = text
                batch.append((event.seq, text))
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
