"""Whether a counter's current call has been said yet by a speaker screen that shows it ("announced"), for its
operator.

During a burst a lobby TV says one call at a time (~8 s each): a call can wait a minute or more to be said, and an
operator who sees only "Memanggil A-031" may mark a no-show before the citizen ever heard the number (an outside
review). So the counter's page and console are told, for the ticket they have called:

- `announced`: a speaker screen that shows this counter has said the call: its health report's `said_seq` (the
  last call it finished saying; calls are said in the order of their seq) has reached the seq of the event that
  called the ticket here. A screen that fell far behind drops its oldest calls unsaid and moves past them: that
  counts as said here too. One screen is enough: the citizen may be waiting under any of them. A screen whose page
  started after the call (switched on, reloaded: `heard_from`, the seq of its snapshot) never said it, whatever its
  `said_seq`; and a call once announced stays so when its screen reloads afterwards.
- `waiting`: such screens are connected and report what they say, and none has said it yet; `speech_queue` is the
  shortest queue of calls among them (the number of calls that screen still has to say, the one it is saying
  included): roughly how many calls, of ~8 s each, before the citizen hears theirs.
- `no_speaker`: the site has speaker screens that show this counter, but none of them is connected with sound it may
  play (off, blocked by the browser, or not connected at all): nobody will say the call.
- `unknown`: the screens connected do not report what they have said (a display page of an earlier release), or the
  event that made the call is not known yet: nothing is claimed. A call made before this server process started
  is looked up in the event log at the first check (StoragePort.call_seq), and said from then on. With several
  server processes, also instead of `no_speaker` while this process does not know yet what the others hold
  (DeviceRegistry.knows_elsewhere): their word not read twice since it started, or since a speaker TV left it (it
  may be reconnecting to another process). An outside review saw "Tidak ada TV bersuara yang tersambung" for a few
  seconds on a counter page while the lobby TV was on another process.

No status (null) for a counter with no ticket called, or when no screen that shows the counter is a speaker screen
(a mall without sound). What the screens said comes from their `health` frames (docs/protocol.md); with several
server processes, a TV connected to another process is known here through the shared presence rows (a few seconds
late, and only a TV with a device token; application/presence.py).

The status is recomputed every CHECK_SECONDS for the counters followed on this process and told to their
operators' connections as an `announcement` notice when it changes (and to a new connection at once).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from queue_server.application.desks import for_counter
from queue_server.common import background
from queue_server.domain import events as ev
from queue_server.domain.catalogue import Screen, Site
from queue_server.domain.events import Event
from queue_server.domain.model import TicketState
from queue_server.live import wire

if TYPE_CHECKING:
    from queue_server.application.context import Context

log = logging.getLogger(__name__)

CHECK_SECONDS = 0.5
PLAYS = frozenset({"ready", "unknown"})  # audio a screen may be playing with (unknown: the check is under way)


@dataclass(frozen=True)
class _Call:
    ticket: str
    seq: int


def covers(site: Site, screen: Screen, counter: str, service: str) -> bool:
    """Whether a screen shows (and so says) a call of `service` to `counter`: as its follow matches events
    (web/websocket.py, screen_scope)."""
    if not screen.agencies and not screen.zones:
        return True
    config = site.counters.get(counter)
    if config is not None and (config.agency in screen.agencies or config.zone in screen.zones):
        return True
    owner = site.services.get(service)
    if owner is not None and owner.agency in screen.agencies:
        return True
    served_there = {c.id for c in site.counters.values() if c.agency in screen.agencies or c.zone in screen.zones}
    return any(service in site.counters[c].services for c in served_there)


def speakers_of(site: Site, counter: str, service: str) -> set[str]:
    """The speaker screens that say a call of `service` to `counter`."""
    return {s.id for s in site.screens.values() if s.speaker and covers(site, s, counter, service)}


def status(
    site: Site, ticket: dict[str, Any], call_seq: int | None, devices: list[dict[str, Any]], known: bool = True
) -> dict[str, Any]:
    """The announcement status of a called ticket (see the module's docstring). `devices`: the site's screens as
    the registry lists them (application/health.py); `known`: whether they are known to be all there is (on shared
    storage, whether the other processes' word has been read since it could have changed)."""
    speakers = speakers_of(site, ticket["counter"], ticket["service"])
    playing = [
        d
        for d in devices
        if d.get("kind") == "display" and d.get("connected") and d.get("screen") in speakers and d.get("audio") in PLAYS
    ]
    # a screen whose page started after the call (its snapshot's seq at or past it) reports nothing of it
    reporting = [
        d
        for d in playing
        if isinstance(d.get("said_seq"), int) and not (call_seq is not None and (d.get("heard_from") or 0) >= call_seq)
    ]
    out: dict[str, Any] = {"ticket": ticket["id"], "label": ticket["label"], "call_seq": call_seq,
                           "speech_queue": None, "screens": len(playing)}  # fmt: skip
    if not playing:
        return {**out, "status": "no_speaker" if known else "unknown"}
    if not reporting or call_seq is None:
        return {**out, "status": "unknown"}
    if any(d["said_seq"] >= call_seq for d in reporting):
        return {**out, "status": "announced"}
    queues = [d["speech_queue"] for d in reporting if isinstance(d.get("speech_queue"), int)]
    return {**out, "status": "waiting", "speech_queue": min(queues) if queues else None}


class Heard:
    def __init__(self, ctx: Context, every_seconds: float = CHECK_SECONDS) -> None:
        self.ctx = ctx
        self.every_seconds = every_seconds
        self._calls: dict[tuple[str, str], _Call] = {}  # (site, counter) -> the event that called its ticket
        self._told: dict[tuple[str, str], str] = {}  # (site, counter) -> the notice last told
        self._announced: dict[tuple[str, str], int] = {}  # (site, counter) -> the call seq found announced there
        self._looked_up: set[tuple[str, str, str]] = set()  # (site, counter, ticket) looked for in the event log
        self._lookups: set[asyncio.Task[None]] = set()
        self._task: asyncio.Task[None] | None = None

    def observe(self, events: list[Event]) -> None:
        """Committed events (Hub.observers): which event called each counter's ticket."""
        for event in events:
            if event.type != ev.TICKET_CALLED:
                continue
            counter, ticket = event.data.get("counter"), event.data.get("ticket")
            if isinstance(counter, dict) and isinstance(ticket, dict):
                self._calls[(event.site, str(counter["id"]))] = _Call(str(ticket["id"]), event.seq)

    def of(self, site_id: str, counter_id: str, devices: list[dict[str, Any]] | None = None) -> dict[str, Any] | None:
        """The counter's announcement status now, or None (no ticket called there, or no speaker screen shows it).
        `devices`: the site's screens (DeviceRegistry.for_site), when the caller has them already."""
        state = self.ctx.state(site_id)
        holder = state.counters.get(counter_id)
        ticket = state.tickets.get(holder.current) if holder is not None and holder.current else None
        if ticket is None or ticket.state is not TicketState.CALLED:
            return None
        site = state.site
        speakers = speakers_of(site, counter_id, ticket.service)
        if not speakers:
            return None
        call = self._calls.get((site_id, counter_id))
        seq = call.seq if call is not None and call.ticket == ticket.id else None
        known = not self.ctx.storage.shared or self.ctx.devices.knows_elsewhere(site_id, speakers)
        devices = self.ctx.devices.for_site(site_id) if devices is None else devices
        found = status(site, ticket.to_dict(), seq, devices, known)
        # Said once is said: the screen that said it may reload later and then report nothing of it.
        if seq is not None and self._announced.get((site_id, counter_id)) == seq and found["status"] != "announced":
            return {**found, "status": "announced", "speech_queue": None}
        if found["status"] == "announced" and seq is not None:
            self._announced[(site_id, counter_id)] = seq
        return found

    def _calling(self, site_id: str, counter_id: str) -> bool:
        holder = self.ctx.state(site_id).counters.get(counter_id)
        return holder is not None and holder.current is not None

    def joined(self, site_id: str, counter_id: str) -> None:
        """A connection began following the counter: it is told at the next check, whatever was told before."""
        self._told.pop((site_id, counter_id), None)

    def check(self) -> None:
        followed = set(self.ctx.desks.counters())
        for key in [k for k in self._told if k not in followed]:
            del self._told[key]
        devices: dict[str, list[dict[str, Any]]] = {}  # each site's screens, listed once per check
        for site_id, counter_id in sorted(followed):
            if site_id not in self.ctx.sites:
                continue
            if site_id not in devices and self._calling(site_id, counter_id):
                devices[site_id] = self.ctx.devices.for_site(site_id)
            now = self.of(site_id, counter_id, devices.get(site_id, []))
            if now is not None and now["call_seq"] is None:
                self._look_up(site_id, counter_id, now["ticket"])
            text = wire.dumps({"type": "announcement", "site": site_id, "counter": counter_id, "data": now})
            if self._told.get((site_id, counter_id)) == text:
                continue
            self._told[(site_id, counter_id)] = text
            self.ctx.hub.tell(site_id, for_counter(counter_id, text))

    def start(self) -> None:
        self.ctx.hub.observers.append(self.observe)
        # a bad status must not stop the others: the next check runs
        checks = background.every(self.every_seconds, self.check, _failed, wait_first=True)
        self._task = background.start(checks, "announcement-watch")

    async def stop(self) -> None:
        await background.stop(self._task)
        for lookup in list(self._lookups):
            await background.stop(lookup)

    def _look_up(self, site_id: str, counter_id: str, ticket_id: str) -> None:
        """A ticket called before this process started (or by another process, before its event reached here): the
        event that called it, from the log, once."""
        key = (site_id, counter_id, ticket_id)
        if key in self._looked_up:
            return
        self._looked_up = {k for k in self._looked_up if k[:2] != key[:2]} | {key}  # the counter's earlier tickets go
        task = asyncio.get_running_loop().create_task(self._read_call(*key))
        self._lookups.add(task)
        task.add_done_callback(self._lookups.discard)

    async def _read_call(self, site_id: str, counter_id: str, ticket_id: str) -> None:
        try:
            seq = await self.ctx.storage.call_seq(site_id, ticket_id)
        except Exception as exc:  # the database away (alerted on its own): tried again at the next check
            self._looked_up.discard((site_id, counter_id, ticket_id))
            log.debug("looking up the call of %s failed (%s: %s)", ticket_id, type(exc).__name__, exc)
            return
        holder = self.ctx.state(site_id).counters.get(counter_id) if site_id in self.ctx.sites else None
        known = self._calls.get((site_id, counter_id))
        if seq is None or holder is None or holder.current != ticket_id:  # not found, or the counter moved on
            return
        if known is None or known.ticket != ticket_id or known.seq < seq:
            self._calls[(site_id, counter_id)] = _Call(ticket_id, seq)


def _failed(exc: Exception) -> None:
    log.error("announcement status check failed", exc_info=exc)
