"""Settings that staff change from a kiosk's panel, kept on the server in one small JSON file beside the database
(`citizen.json`): each kiosk's printer, keyed by its device id, and each site's public address for QR codes.

A JSON file rather than a table: the lead owns the schema, the file is readable and editable by hand, and it is
written atomically (a temporary file renamed over the old one), so a crash never leaves half a file.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from pathlib import Path
from typing import Any

from starlette.requests import Request

from queue_server.web.kit import Refusal, config_of

from .common import app_value
from .printing.config import PrinterConfig

log = logging.getLogger(__name__)
FILE_NAME = "citizen.json"


class CitizenStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = asyncio.Lock()
        self._data = self._read()

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {"printers": {}, "public_url": {}}
        except (OSError, ValueError):
            # A broken file must not stop the kiosks: they fall back to the browser's printing, and the panel
            # shows the defaults until someone saves again.
            log.exception("cannot read %s; using defaults", self.path)
            return {"printers": {}, "public_url": {}}
        data.setdefault("printers", {})
        data.setdefault("public_url", {})
        return data if isinstance(data, dict) else {"printers": {}, "public_url": {}}

    def printer(self, device_id: int) -> PrinterConfig:
        raw = self._data["printers"].get(str(device_id))
        if not isinstance(raw, dict):
            return PrinterConfig()
        try:
            return PrinterConfig.from_dict(raw)
        except Refusal:
            log.warning("printer of kiosk %s in %s is invalid; using the browser's printing", device_id, self.path)
            return PrinterConfig()

    def public_url(self, site_id: str) -> str | None:
        value = self._data["public_url"].get(site_id)
        return value if isinstance(value, str) and value else None

    async def save(self, device_id: int, printer: PrinterConfig, site_id: str, public_url: str | None) -> None:
        async with self._lock:
            self._data["printers"][str(device_id)] = printer.to_dict()
            if public_url:
                self._data["public_url"][site_id] = public_url
            else:
                self._data["public_url"].pop(site_id, None)
            text = json.dumps(self._data, indent=2, ensure_ascii=False, sort_keys=True)
            await asyncio.to_thread(_write_atomically, self.path, text)


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def store_of(request: Request) -> CitizenStore:
    """One store per application, beside the database whose devices it configures."""
    database = Path(config_of(request).database)
    return app_value(request, "citizen_store", lambda: CitizenStore(database.parent / FILE_NAME))
