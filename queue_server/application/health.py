"""What every connected screen says about itself (connected, audio ready or blocked, last call received), so
supervisors can see every display in the hall. Kept in memory: it describes live connections, not history.

With several server processes (PostgreSQL), each process holds the screens connected to it; what the others hold
of the screens with a device token reaches this registry every few seconds (application/presence.py), and a
site's list merges both: a TV connected anywhere is connected, one connected nowhere shows when it was last seen.
Until the others' word has been read twice since this process started, or since a TV of a screen left it (it may
be connecting to another process), "connected nowhere" is not known here (`knows_elsewhere`).
"""

from __future__ import annotations

import itertools
import math
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

AUDIO_STATES = ("ready", "blocked", "off", "unknown")


@dataclass
class DeviceHealth:
    id: int
    site: str
    kind: str
    name: str
    screen: str | None
    connected: bool = True
    connected_at: str = ""
    last_seen: str = ""
    audio: str = "unknown"
    last_call_seq: int | None = None
    last_call_label: str | None = None
    said_seq: int | None = None  # the last call it finished saying (None: it does not report it)
    speech_queue: int | None = None  # calls waiting to be said there, the one being said included
    # The seq of the snapshot its page last started from (a TV switched on or reloaded): the calls at or before it
    # were never said there, whatever its said_seq says (application/heard.py). None: it resumed by a replay.
    heard_from: int | None = None
    client: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    sockets: int = 1  # open connections of this device (a second tab, a reconnect before the old socket closed)


class DeviceRegistry:
    def __init__(self, keep_disconnected: int = 200) -> None:
        self._devices: dict[int, DeviceHealth] = {}
        self._ids = itertools.count(1)
        self._by_key: dict[tuple[str, str, str, str | None], DeviceHealth] = {}
        self._gone: deque[int] = deque()  # disconnected entries, oldest first
        self.keep_disconnected = keep_disconnected
        self._elsewhere: dict[str, list[dict[str, Any]]] = {}  # site -> the other processes' entries (presence.py)
        self._started = time.monotonic()
        self._read_at: deque[float] = deque(maxlen=2)  # the last two reads of the others' entries (monotonic)
        self._left_at: dict[tuple[str, str], float] = {}  # (site, screen) -> when a display last left this process
        self.changed: Callable[[], None] = _nothing  # a screen came or went (presence.py: share it soon)

    def connected(
        self,
        site: str,
        kind: str,
        name: str,
        screen: str | None,
        at: datetime,
        client: str | None,
        device_id: int | None = None,
    ) -> DeviceHealth:
        """A screen connected. A device (its token) has one entry, keyed by its own id (the id of `queue-server
        device list`, so an alert's "device:3" names the device an admin would revoke), however many sockets it
        opens; a screen opened with a staff session gets an entry of its own, with a negative id."""
        if device_id is not None:
            device = self._devices.get(device_id)
            if device is not None:
                if device.connected:
                    device.sockets += 1
                else:
                    device.connected, device.sockets, device.connected_at = True, 1, at.isoformat()
                    self.changed()
                device.last_seen, device.client = at.isoformat(), client or device.client
                return device
            entry_id = device_id
        else:
            # A screen that reconnects replaces its own earlier entry rather than piling up (indexed: a hall of
            # ten thousand screens reconnecting at once must not scan them all for each).
            key = (site, kind, name, screen)
            old = self._by_key.get(key)
            if old is not None and not old.connected:
                self._devices.pop(old.id, None)
            entry_id = -next(self._ids)
        device = DeviceHealth(entry_id, site, kind, name, screen, connected_at=at.isoformat(),
                              last_seen=at.isoformat(), client=client)  # fmt: skip
        self._devices[device.id] = device
        if device_id is None:
            self._by_key[(site, kind, name, screen)] = device
        self.changed()
        return device

    def report(
        self,
        device: DeviceHealth,
        at: datetime,
        audio: str | None = None,
        last_call_seq: int | None = None,
        last_call_label: str | None = None,
        said_seq: int | None = None,
        speech_queue: int | None = None,
    ) -> None:
        """A screen's health frame, its values already checked (web/websocket.py); what it leaves out stays."""
        device.last_seen = at.isoformat()
        if said_seq is not None:
            device.said_seq = said_seq
        if speech_queue is not None:
            device.speech_queue = speech_queue
        if audio is not None:
            device.audio = audio
        if last_call_seq is not None:
            device.last_call_seq = last_call_seq
        if last_call_label is not None:
            device.last_call_label = last_call_label

    def seen(self, device: DeviceHealth, at: datetime) -> None:
        device.last_seen = at.isoformat()

    def disconnected(self, device: DeviceHealth, at: datetime) -> None:
        device.last_seen = at.isoformat()
        device.sockets -= 1
        if device.sockets > 0:  # another socket of the same device is still open: it is not gone
            return
        device.connected = False
        if device.kind == "display" and device.screen:
            self._left_at[(device.site, device.screen)] = time.monotonic()
        self.changed()
        self._gone.append(device.id)
        while len(self._gone) > self.keep_disconnected:
            old = self._devices.get(self._gone.popleft())
            if old is not None and not old.connected:
                del self._devices[old.id]

    def connected_screens(self) -> set[tuple[str, str]]:
        """(site, screen) of every display connected now."""
        return {(d.site, d.screen) for d in self._devices.values() if d.connected and d.kind == "display" and d.screen}

    def for_site(self, site: str) -> list[dict[str, Any]]:
        """The site's screens: this process's, and the other processes' devices merged in by id (a device connected
        somewhere is connected; connected nowhere, the entry seen last says when)."""
        entries = {d.id: asdict(d) for d in self._devices.values() if d.site == site}
        for other in self._elsewhere.get(site, ()):
            mine = entries.get(other["id"])
            if mine is None or _fresher(other, mine):
                entries[other["id"]] = other
        return list(entries.values())

    def screens_shown(self, site: str) -> frozenset[str]:
        """The site's screens with a display connected now, here or (shared storage) on another process: what its
        uplink tells the mirror (the national view's "screens not connected", as `dashboard.headline` counts them)."""
        return frozenset(d["screen"] for d in self.for_site(site) if d.get("connected") and d.get("screen"))

    def shareable(self) -> list[dict[str, Any]]:
        """What other processes may merge in: the entries of devices with a token (a staff session's screen has a
        number of this process only)."""
        return [asdict(d) for d in self._devices.values() if d.id > 0]

    def seen_elsewhere(self, entries: list[dict[str, Any]]) -> None:
        by_site: dict[str, list[dict[str, Any]]] = {}
        for entry in entries:
            by_site.setdefault(entry["site"], []).append(entry)
        self._elsewhere = by_site
        self._read_at.append(time.monotonic())

    def knows_elsewhere(self, site: str, screens: Iterable[str]) -> bool:
        """Whether what the other processes hold of these screens is known here: their word read twice since this
        process started and since a display of one of them last left it. Once is not enough: a TV that connected to
        another process (or moved there) a moment before the read is in that process's next word, at most one
        sharing round later. Only asked on shared storage."""
        since = max([self._started, *(self._left_at.get((site, screen), -math.inf) for screen in screens)])
        return len(self._read_at) == 2 and self._read_at[0] >= since


def _nothing() -> None:
    pass


def _fresher(other: dict[str, Any], mine: dict[str, Any]) -> bool:
    """Whether another process's entry of a device tells more than this one's: connected there and not here, or
    neither connected and seen there last."""
    if other["connected"] != mine["connected"]:
        return bool(other["connected"])
    return not mine["connected"] and str(other["last_seen"]) > str(mine["last_seen"])
