"""What staff set from a kiosk's hidden panel, kept in the database (migration 0030): each kiosk's printer and each
site's public address for QR codes. The citizen package checks a printer's fields (citizen/printing/config.py) and
reads them through `Context.kiosk_settings`.

Read on every print and every QR drawn, so read from memory: both tables whole, read again after a save here and,
when other processes share the database (PostgreSQL), at most every REFRESH_SECONDS as a read asks, so that a save
made through one process is used by the others within seconds. A read that fails then keeps the last copy: a
database that stalls does not stop a kiosk printing.

Releases before this one kept them in `citizen.json` beside a SQLite database: `import_citizen_json` takes what it
holds once, at start, and renames it so it is never read again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from queue_server.persistence.kiosk_settings import KioskSettingsRows, KioskSettingsStore
from queue_server.persistence.port import StoragePort

log = logging.getLogger(__name__)
REFRESH_SECONDS = 2.0
OLD_FILE_NAME = "citizen.json"
IMPORTED_SUFFIX = ".imported"
# What an address in citizen.json may be, as the panel let it in (citizen/printing/config.py checks it in full).
_PUBLIC_URL = re.compile(r"^https?://[A-Za-z0-9.\-\[\]:]+(?:/[A-Za-z0-9._~/-]*)?$")


class KioskSettings:
    def __init__(self, storage: StoragePort) -> None:
        self.store = KioskSettingsStore(storage)
        self.shared = storage.shared  # other processes may save too
        self._rows: KioskSettingsRows | None = None
        self._read_at = float("-inf")  # time.monotonic() of the last read
        self._lock = asyncio.Lock()  # one read at a time, however many requests find the copy stale

    async def printer(self, device: int) -> dict[str, Any] | None:
        """The kiosk's printer as saved (a JSON object), or None: none saved."""
        return (await self._current()).printers.get(device)

    async def public_url(self, site: str) -> str | None:
        return (await self._current()).public_urls.get(site)

    async def save(
        self, device: int, site: str, printer: dict[str, Any], public_url: str | None, at: datetime, by: str
    ) -> None:
        await self.store.save(device, site, printer, public_url, at, by)
        async with self._lock:
            await self._read()

    async def _current(self) -> KioskSettingsRows:
        rows = self._rows
        if rows is not None and not (self.shared and time.monotonic() - self._read_at >= REFRESH_SECONDS):
            return rows
        async with self._lock:
            if self._rows is None:
                return await self._read()  # the first read: a failure is the request's
            if time.monotonic() - self._read_at >= REFRESH_SECONDS:
                try:
                    await self._read()
                except Exception:  # the database away: the last copy serves meanwhile
                    log.debug("reading the kiosk settings failed; the last copy is used", exc_info=True)
            return self._rows

    async def _read(self) -> KioskSettingsRows:
        self._rows = await self.store.read()
        self._read_at = time.monotonic()
        return self._rows


async def import_citizen_json(storage: StoragePort, database: Path | str, at: datetime) -> None:
    """The settings of `citizen.json` beside the SQLite `database`, if there is one: its valid entries go into the
    database (never over a setting stored there already), each invalid one is logged and skipped, and the file is
    renamed citizen.json.imported. A file that cannot be read is logged and left as it is: the server starts, with
    the browser's printing at its kiosks, until it is mended (imported at the next start) or deleted.

    On PostgreSQL an earlier release wrote it "beside" the database's address taken as a path: in a folder named
    after the URL under the server's working folder. It is taken from there too, and named in the log without that
    folder, whose name holds the URL's password."""
    path = Path(str(database)).parent / OLD_FILE_NAME
    shown = (
        str(path) if isinstance(database, Path) else f"the {OLD_FILE_NAME} an earlier release wrote for this database"
    )
    if not path.is_file():
        return
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError, RecursionError) as exc:  # RecursionError: nested deeper than the parser goes
        log.error("%s cannot be read (%s): not imported; mend or delete it, then restart", shown, _why(exc))
        return
    store = KioskSettingsStore(storage)
    kiosks = await store.kiosks()
    printers: dict[int, tuple[str, dict[str, Any]]] = {}
    for key, printer in _entries(data, "printers", shown):
        device = int(key) if key.isascii() and key.isdecimal() else None  # "²" is a digit int() refuses
        if device is None or device not in kiosks or not isinstance(printer, dict):
            log.warning("%s: printer of kiosk %r skipped: %s", shown, key,
                        "not a printer (a JSON object)" if device in kiosks else "no such kiosk")  # fmt: skip
            continue
        printers[device] = (kiosks[device], printer)
    urls: dict[str, str] = {}
    for site, url in _entries(data, "public_url", shown):
        if not isinstance(url, str) or len(url) > 200 or not _PUBLIC_URL.match(url.strip()):
            log.warning("%s: public address of site %s skipped: not an http(s) address", shown, site)
            continue
        urls[site] = url.strip().rstrip("/")
    await store.add_missing(printers, urls, at)
    done = path.with_name(OLD_FILE_NAME + IMPORTED_SUFFIX)
    try:
        path.replace(done)
    except OSError as exc:  # imported all the same; the next start imports it again, which changes nothing
        log.error("%s imported, but not renamed (%s): rename or delete it", shown, _why(exc))
        return
    log.warning("%s imported into the database (printers: %d, public addresses: %d) and renamed %s; the kiosks' "
                "settings now live in the database", shown, len(printers), len(urls), done.name)  # fmt: skip


def _why(exc: Exception) -> str:
    """What went wrong, without the file names an OSError's text holds: on PostgreSQL the folder is named after the
    database's address, password and all."""
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    return str(exc)


def _entries(data: dict[str, Any], key: str, shown: str) -> list[tuple[str, Any]]:
    section = data.get(key, {})
    if not isinstance(section, dict):
        log.warning("%s: %s skipped: not a JSON object", shown, key)
        return []
    return [(str(k), v) for k, v in section.items()]
