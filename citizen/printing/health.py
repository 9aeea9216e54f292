"""Printer health in the server's device registry (queue_server.health), next to the displays, so a supervisor
sees a broken kiosk printer in GET /api/v1/sites/{site}/devices: kind "printer", named after its kiosk, with
`extra.status` "ok" or "fault", the error, since when, and the last ticket it could not print."""

from __future__ import annotations

from datetime import datetime

from queue_server.web.kit import DeviceHealth, DeviceRegistry


class PrinterHealth:
    def __init__(self, registry: DeviceRegistry) -> None:
        self.registry = registry
        self._entries: dict[int, DeviceHealth] = {}  # kiosk device id -> its printer's entry

    def _entry(self, site: str, kiosk_id: int, kiosk_name: str, where: str, at: datetime) -> DeviceHealth:
        entry = self._entries.get(kiosk_id)
        if entry is None or entry.site != site:
            entry = self.registry.connected(site, "printer", f"{kiosk_name} · printer", None, at, where)
            self._entries[kiosk_id] = entry
        entry.client = where
        self.registry.seen(entry, at)
        return entry

    def ok(self, site: str, kiosk_id: int, kiosk_name: str, where: str, at: datetime) -> None:
        entry = self._entry(site, kiosk_id, kiosk_name, where, at)
        entry.extra = {"status": "ok", "last_printed": at.isoformat()}

    def fault(self, site: str, kiosk_id: int, kiosk_name: str, where: str, at: datetime, error: str,
              label: str | None) -> None:  # fmt: skip
        entry = self._entry(site, kiosk_id, kiosk_name, where, at)
        since = entry.extra.get("since") if entry.extra.get("status") == "fault" else at.isoformat()
        entry.extra = {"status": "fault", "error": error[:300], "since": since, "unprinted": label}
