"""The SQL of what staff set from a kiosk's panel (migration 0030; application/kiosk_settings.py keeps the rules):
each kiosk's printer, as a JSON object the citizen package checks, and each site's public address for QR codes.
Both tables are a few rows (a kiosk or two per mall), read whole."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from queue_server.persistence.port import StoragePort, utc_iso

_SAVE_PRINTER = (
    "INSERT INTO kiosk_printers (device, site, printer, updated_at, updated_by) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (device) DO UPDATE SET site = excluded.site, printer = excluded.printer, "
    "updated_at = excluded.updated_at, updated_by = excluded.updated_by"
)
_SAVE_URL = (
    "INSERT INTO site_public_urls (site, url, updated_at, updated_by) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (site) DO UPDATE SET url = excluded.url, updated_at = excluded.updated_at, "
    "updated_by = excluded.updated_by"
)
_FORGET_URL = "DELETE FROM site_public_urls WHERE site = ?"
# An import never replaces what is in the database already (saved from a panel since).
_IMPORT_PRINTER = (
    "INSERT INTO kiosk_printers (device, site, printer, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (device) DO NOTHING"
)
_IMPORT_URL = "INSERT INTO site_public_urls (site, url, updated_at) VALUES (?, ?, ?) ON CONFLICT (site) DO NOTHING"


@dataclass(frozen=True)
class KioskSettingsRows:
    """Everything both tables hold: printers by kiosk device id, public addresses by site."""

    printers: dict[int, dict[str, Any]] = field(default_factory=dict)
    public_urls: dict[str, str] = field(default_factory=dict)


class KioskSettingsStore:
    def __init__(self, storage: StoragePort) -> None:
        self.storage = storage

    async def read(self) -> KioskSettingsRows:
        printers: dict[int, dict[str, Any]] = {}
        for device, text in await self.storage.fetch_all("SELECT device, printer FROM kiosk_printers"):
            printer = json.loads(text)
            if isinstance(printer, dict):
                printers[int(device)] = printer
        rows = await self.storage.fetch_all("SELECT site, url FROM site_public_urls")
        urls = {str(site): str(url) for site, url in rows}
        return KioskSettingsRows(printers, urls)

    async def save(
        self, device: int, site: str, printer: dict[str, Any], public_url: str | None, at: datetime, by: str
    ) -> None:
        """A kiosk's printer and its site's public address (None: no address, the request's own), in one
        transaction."""
        when = utc_iso(at)
        url = [(_SAVE_URL, [(site, public_url, when, by)])] if public_url else [(_FORGET_URL, [(site,)])]
        await self.storage.run([(_SAVE_PRINTER, [(device, site, _json(printer), when, by)]), *url])

    async def kiosks(self) -> dict[int, str]:
        """The kiosks' device entries, revoked or not, by id: their sites (an import keeps only these)."""
        rows = await self.storage.fetch_all("SELECT id, site FROM devices WHERE kind = 'kiosk'")
        return {int(device): str(site) for device, site in rows}

    async def add_missing(
        self, printers: dict[int, tuple[str, dict[str, Any]]], urls: dict[str, str], at: datetime
    ) -> None:
        """Printers (device -> (site, printer)) and addresses where none is stored yet, in one transaction."""
        when = utc_iso(at)
        statements: list[tuple[str, list[tuple[Any, ...]]]] = [
            (_IMPORT_PRINTER, [(device, site, _json(printer), when) for device, (site, printer) in printers.items()]),
            (_IMPORT_URL, [(site, url, when) for site, url in urls.items()]),
        ]
        await self.storage.run([(sql, rows) for sql, rows in statements if rows])


def _json(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
