"""Fan-out of committed events to live clients, through one bounded queue per client.

A client that cannot keep up (its queue is full, or the bytes written directly to it pile up unsent) is marked
overflowed and dropped by its connection, which then resynchronises from its last `seq`; nobody else waits for it.
A client that has caught up and has nothing queued gets each batch written at once, framed once for all the
clients that follow the same thing (queue_server/wsframes.py); otherwise it goes through its queue.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace

from queue_server.domain.catalogue import Site
from queue_server.domain.events import SERVICE_PAUSED, SERVICE_RESUMED, SITE_WIDE, Event
from queue_server.live import wire, wsframes

DEFAULT_QUEUE_SIZE = 512
# A client written to directly is too slow once this many bytes wait unsent for it (~500 lobby frames).
DEFAULT_BUFFER_LIMIT = 512 * 1024
NOTICE = 0  # the seq of a notice: not an event of the log, never replayed, never counted as seen
RESYNC = -1  # in place of a seq: the connection sends a fresh snapshot here (Hub.resync)


@dataclass(frozen=True)
class Follow:
    """What a client follows. None means "everything of the site" for that dimension."""

    site: str
    audience: str
    services: frozenset[str] | None = None
    counters: frozenset[str] | None = None
    token: str | None = None
    notices: bool = False  # a supervisor's dashboard: also wants notices (live figures, alerts)

    def matches(self, event: Event) -> bool:
        if event.site != self.site or self.audience == wire.KIOSK:  # a kiosk is told its view, no event
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
    last_sent: int = 0  # the last event seq this client was given (by its pump or written directly)
    # Set by the connection once it has caught up: writes pre-encoded frames at once, returns the bytes still
    # buffered, or -1 when the connection is closing (queue_server/wsframes.py).
    direct: Callable[[bytes], int] | None = None
    pumping: bool = False  # the connection's pump is sending queued items; direct writes must queue behind them

    def can_write_now(self) -> bool:
        return self.direct is not None and not self.pumping and self.queue.empty()


class Hub:
    def __init__(
        self, sites: dict[str, Site], queue_size: int = DEFAULT_QUEUE_SIZE, buffer_limit: int = DEFAULT_BUFFER_LIMIT
    ) -> None:
        self.sites = sites
        self.queue_size = queue_size
        self.buffer_limit = buffer_limit
        # Grouped by what they follow: every lobby display of a screen has the same Follow, so each event is
        # matched, rendered and framed once per group, not once per display. Indexed by site: a server with 300
        # malls matches an event against its own mall's groups only.
        self._sites: dict[str, dict[Follow, set[Subscription]]] = {}
        self.dropped = 0  # clients disconnected for being too slow, since start
        self.direct_writes = 0  # batches written straight to a connection, since start (the rest were queued)
        # Renders a citizen's public ticket status by token; set by the app, which owns the live state.
        self.status_renderer: Callable[[str], str | None] | None = None
        # Renders a site's `kiosk` notice after a batch, or None when its kiosks' view has not changed; set by the app.
        self.kiosk_renderer: Callable[[str], str | None] | None = None
        # Names the accounts a staff frame names (wire.People); set by the app, which owns the accounts.
        self.people: wire.People | None = None
        # Told of every committed batch this process publishes (its own and, on shared storage, the other
        # processes'), before any client: e.g. which event called each counter's ticket (application/heard.py).
        self.observers: list[Callable[[list[Event]], None]] = []

    def subscribe(self, follow: Follow) -> Subscription:
        sub = Subscription(follow, asyncio.Queue(self.queue_size))
        self._sites.setdefault(follow.site, {}).setdefault(follow, set()).add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        groups = self._sites.get(sub.follow.site, {})
        group = groups.get(sub.follow)
        if group is not None:
            group.discard(sub)
            if not group:
                del groups[sub.follow]
                if not groups:
                    del self._sites[sub.follow.site]

    @property
    def count(self) -> int:
        return sum(len(group) for groups in self._sites.values() for group in groups.values())

    def publish(self, events: Iterable[Event]) -> None:
        """Called only after the events' transaction committed. Never blocks."""
        events = list(events)
        for observer in self.observers:
            observer(events)
        by_site: dict[str, list[Event]] = {}
        for event in events:
            if event.site in self._sites:
                by_site.setdefault(event.site, []).append(event)
        for site, site_events in by_site.items():
            self._follow_transfers(site_events)
            self._publish(site_events, list(self._sites.get(site, {}).items()))

    def _places_moved(self, events: list[Event]) -> set[str]:
        """The services whose waiting citizens' place or wait may have changed: those of the tickets in the events,
        every service of a counter that opened, paused or closed, those whose issuing was paused or resumed (their
        phones say it), and every service sharing a counter with those
        (a shared counter calling another service's ticket moves this one's line too)."""
        site = self.sites.get(events[0].site) if events else None
        touched = {t["service"] for e in events for k in ("ticket", "new_ticket") if (t := e.data.get(k))}
        for event in events:  # a service's issuing paused or resumed: its waiting citizens' phones say why, at once
            touched.update(p["service"] for p in event.data.get("pauses", ()) if event.type == SERVICE_PAUSED)
            touched.update(event.data.get("services", ()) if event.type == SERVICE_RESUMED else ())
        if site is None:
            return touched
        for event in events:
            counter = event.data.get("counter")
            config = site.counters.get(str(counter.get("id"))) if isinstance(counter, dict) else None
            if config is not None:
                touched.update(config.services)
        return {
            shared for service in touched for c in site.counters_serving(service) for shared in c.services
        } | touched

    def _publish(self, events: list[Event], groups: list[tuple[Follow, set[Subscription]]]) -> None:
        """One site's events to that site's groups."""
        texts: dict[tuple[int, str], str] = {}
        frames: dict[tuple[int, str], bytes] = {}
        touched: set[str] | None = None  # worked out for the first citizen's phone among the groups, if any
        for follow, group in groups:
            batch: list[tuple[int, str]] = []
            keys: list[tuple[int, str]] = []
            for event in events:
                if not follow.matches(event):
                    continue
                key = (event.seq, follow.audience)
                text = texts.get(key)
                if text is None:
                    message = wire.event_message(event, follow.audience, self.sites.get(event.site), self.people)
                    text = texts[key] = wire.dumps(message)
                batch.append((event.seq, text))
                keys.append(key)
            notice = None
            if follow.token is not None and self.status_renderer is not None:
                if touched is None:
                    touched = self._places_moved(events)
                if touched & (follow.services or set()):
                    # Someone ahead was called, or joined ahead: the citizen's place changed, push it.
                    notice = self.status_renderer(follow.token)
                    if notice is not None:
                        batch.append((NOTICE, notice))
            elif follow.audience == wire.KIOSK and self.kiosk_renderer is not None:
                notice = self.kiosk_renderer(follow.site)
                if notice is not None:
                    batch.append((NOTICE, notice))
            if not batch:
                continue
            encoded: bytes | None = None
            last_seq = max((seq for seq, _ in batch), default=NOTICE)
            first = keys[0][0] if keys else None
            for sub in list(group):
                if sub.overflowed.is_set():
                    continue
                # Events older than what a connection was given (a reload sending what its screens missed, to one
                # that resumed from the log meanwhile) go through its queue, whose pump drops those it had.
                if sub.can_write_now() and (first is None or first > sub.last_sent):
                    if encoded is None:
                        for key in keys:
                            if key not in frames:
                                frames[key] = wsframes.encode_text(texts[key])
                        encoded = b"".join(frames[key] for key in keys)
                        if notice is not None:
                            encoded += wsframes.encode_text(notice)
                    assert sub.direct is not None
                    buffered = sub.direct(encoded)
                    if buffered < 0:
                        continue  # closing: its connection is ending and unsubscribes itself
                    sub.last_sent = max(sub.last_sent, last_seq)
                    self.direct_writes += 1
                    if buffered > self.buffer_limit:  # the socket is not being read: as good as a full queue
                        self._overflow(sub)
                    continue
                # The bound counts commits, not events: closing a day with a thousand open tickets is one item,
                # so it cannot push every healthy screen over the limit at once.
                try:
                    sub.queue.put_nowait(batch)
                except asyncio.QueueFull:
                    self._overflow(sub)

    def _overflow(self, sub: Subscription) -> None:
        self.dropped += 1
        sub.overflowed.set()
        self.unsubscribe(sub)

    def _follow_transfers(self, events: list[Event]) -> None:
        """A citizen's ticket moved to another service: its followers follow the line of that service from now on."""
        for event in events:
            new = event.data.get("new_ticket")
            if not isinstance(new, dict) or new.get("token") is None:
                continue
            token = new["token"]
            groups = self._sites.get(event.site, {})
            for follow in [f for f in groups if f.token == token]:
                moved = replace(follow, services=frozenset({new["service"]}))
                for sub in groups.pop(follow):
                    sub.follow = moved
                    groups.setdefault(moved, set()).add(sub)

    def resync(self, heads: Mapping[str, int]) -> None:
        """Every client of these sites gets a fresh snapshot, in its place among the batches: what it was given may
        hold what was never written (a snapshot or a notice rendered from a state whose write then failed; the
        engine read the state back since). The marker carries the site's seq now (`heads`): the batches queued
        after it are sent after the snapshot whatever it already shows (a call committed meanwhile is still said by
        the TVs). Queued, never written directly; a full queue drops the client, which then starts again from a
        snapshot anyway."""
        for site, head in heads.items():
            for group in list(self._sites.get(site, {}).values()):
                for sub in list(group):
                    if sub.overflowed.is_set():
                        continue
                    try:
                        sub.queue.put_nowait([(RESYNC, str(head))])
                    except asyncio.QueueFull:
                        self._overflow(sub)

    def watching(self, site: str) -> int:
        """How many clients of a site want notices."""
        return sum(len(group) for follow, group in self._sites.get(site, {}).items() if follow.notices)

    def tell(self, site: str, render: Callable[[Follow], str | None]) -> None:
        """Send a notice to the clients of a site whose follow `render` gives a text for (None: not for them),
        whether or not they asked for the dashboard's notices: e.g. a counter's page, who else is signed in at it."""
        for follow, group in list(self._sites.get(site, {}).items()):
            text = render(follow)
            if text is None:
                continue
            for sub in list(group):
                if not sub.overflowed.is_set():
                    with contextlib.suppress(asyncio.QueueFull):
                        sub.queue.put_nowait([(NOTICE, text)])

    def notify(self, site: str, render: Callable[[Follow], str | None]) -> None:
        """Send a notice (rendered per follower, e.g. one agency's share of the figures) to the clients of a site
        that want notices. A notice is superseded by the next one, so a full queue just skips it."""
        self.tell(site, lambda follow: render(follow) if follow.notices else None)
