"""What every connected screen says about itself (connected, audio ready or blocked, last call received), so
supervisors can see every display in the hall. Kept in memory: it describes live connections, not history."""

from __future__ import annotations

import itertools
from collections import deque
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
    client: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class DeviceRegistry:
    def __init__(self, keep_disconnected: int = 200) -> None:
        self._devices: dict[int, DeviceHealth] = {}
        self._ids = itertools.count(1)
        self._by_key: dict[tuple[str, str, str, str | None], DeviceHealth] = {}
        self._gone: deque[int] = deque()  # disconnected entries, oldest first
        self.keep_disconnected = keep_disconnected

    def connected(
        self, site: str, kind: str, name: str, screen: str | None, at: datetime, client: str | None
    ) -> DeviceHealth:
        # A screen that reconnects replaces its own earlier entry rather than piling up (indexed: a hall of
        # ten thousand screens reconnecting at once must not scan them all for each).
        key = (site, kind, name, screen)
        old = self._by_key.get(key)
        if old is not None and not old.connected:
            self._devices.pop(old.id, None)
        device = DeviceHealth(next(self._ids), site, kind, name, screen, connected_at=at.isoformat(),
                              last_seen=at.isoformat(), client=client)  # fmt: skip
        self._devices[device.id] = device
        self._by_key[key] = device
        return device

    def report(
        self,
        device: DeviceHealth,
        at: datetime,
        audio: Any = None,
        last_call_seq: Any = None,
        last_call_label: Any = None,
    ) -> None:
        device.last_seen = at.isoformat()
        if audio in AUDIO_STATES:
            device.audio = audio
        if isinstance(last_call_seq, int) and not isinstance(last_call_seq, bool):
            device.last_call_seq = last_call_seq
        if isinstance(last_call_label, str):
            device.last_call_label = last_call_label[:16]

    def seen(self, device: DeviceHealth, at: datetime) -> None:
        device.last_seen = at.isoformat()

    def disconnected(self, device: DeviceHealth, at: datetime) -> None:
        device.connected = False
        device.last_seen = at.isoformat()
        self._gone.append(device.id)
        while len(self._gone) > self.keep_disconnected:
            old = self._devices.get(self._gone.popleft())
            if old is not None and not old.connected:
                del self._devices[old.id]

    def connected_screens(self) -> set[tuple[str, str]]:
        """(site, screen) of every display connected now."""
        return {(d.site, d.screen) for d in self._devices.values() if d.connected and d.kind == "display" and d.screen}

    def for_site(self, site: str) -> list[dict[str, Any]]:
        return [asdict(d) for d in self._devices.values() if d.site == site]
