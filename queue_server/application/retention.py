"""Retention: a site's events older than the configured number of days are archived to a compressed file, then
deleted from the database, which otherwise grows ~5 MB a day at a busy mall (docs/deployment.md, "Retention").

Only the event log goes: reports, the IKM, the audit log and citizens' old links read the tickets, bookings, survey
answers and audit tables, which stay, so every report of an archived day reads the same afterwards. What an event
log is still needed for is recent: a screen resuming after a drop (a snapshot once its events are gone) and the
site's newest event, which is never deleted (the log's numbering and each site's head are read from it).

The archive is one gzip JSON-lines file per site and run (`{seq, site, type, at, data}` per line), written and
synced before anything is deleted; a run stopped half way leaves the rest for the next run (seq tells repeated
lines apart). The files hold tickets' tokens and booking NIK hashes, never a number or a name: mode 0600.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from queue_server.persistence.port import StoragePort

log = logging.getLogger(__name__)

CHUNK = 5000  # events read, and deleted, at a time: the writer is never held long
CHECK_SECONDS = 3600.0


@dataclass(frozen=True)
class Archived:
    site: str
    events: int
    path: Path | None
    first_at: datetime | None = None
    last_at: datetime | None = None


async def archive_events(storage: StoragePort, site_id: str, before: datetime, directory: Path) -> Archived:
    """Every event of the site before `before` (UTC instant), except its newest, into a new file, then deleted."""
    newest = await storage.newest_seq(site_id)
    rows: list[tuple[int, str, str, str]] = []
    after = 0
    while True:
        chunk = await storage.event_rows_after(site_id, after, CHUNK)
        done = False
        for row in chunk:
            if row[0] >= newest or datetime.fromisoformat(row[2]) >= before:
                done = True
                break
            rows.append(row)
        if done or len(chunk) < CHUNK:
            break
        after = chunk[-1][0]
    if not rows:
        return Archived(site_id, 0, None)
    first_at, last_at = datetime.fromisoformat(rows[0][2]), datetime.fromisoformat(rows[-1][2])
    name = f"{site_id}-events-{first_at:%Y%m%d}-{last_at:%Y%m%d}-{rows[0][0]}-{rows[-1][0]}.jsonl.gz"
    path = directory / name
    await asyncio.to_thread(_write, path, site_id, rows)
    previous = 0
    for start in range(0, len(rows), CHUNK):
        upto = rows[min(start + CHUNK, len(rows)) - 1][0]
        await storage.forget_events(site_id, previous, upto)
        previous = upto
    log.info("site %s: %d events before %s archived to %s and deleted", site_id, len(rows), before.date(), path)
    return Archived(site_id, len(rows), path, first_at, last_at)


def _write(path: Path, site_id: str, rows: list[tuple[int, str, str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb") as out:
            for seq, kind, at, data in rows:
                line = {"seq": seq, "site": site_id, "type": kind, "at": at, "data": json.loads(data)}
                out.write(json.dumps(line, ensure_ascii=False).encode() + b"\n")
        raw.flush()
        os.fsync(raw.fileno())
    os.replace(partial, path)  # a file with the final name is always whole


class Retention:
    """Once a day (looked at hourly): each site's events older than `days` days, archived and deleted."""

    def __init__(
        self, storage: StoragePort, sites: list[str], days: int, directory: Path, clock: Callable[[], datetime]
    ) -> None:
        self.storage, self.sites, self.days, self.directory = storage, sites, days, directory
        self.clock = clock
        self._task: asyncio.Task[None] | None = None
        self._last: str | None = None  # the UTC date of the last run

    def start(self) -> None:
        if self.days > 0:
            self._task = asyncio.create_task(self._run(), name="retention")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def run_once(self) -> list[Archived]:
        """On shared storage one process archives at a time (the others find the role taken and skip the day)."""
        before = (self.clock() - timedelta(days=self.days)).astimezone(UTC)
        async with self.storage.exclusive("retention") as role:
            if not role.held:
                return []
            return [await archive_events(self.storage, site, before, self.directory) for site in self.sites]

    async def _run(self) -> None:
        while True:
            today = f"{self.clock():%Y-%m-%d}"
            if today != self._last:
                try:
                    await self.run_once()
                    self._last = today
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # the database or the disk: tried again at the next check
                    log.warning("archiving old events failed (%s: %s)", type(exc).__name__, exc)
            await asyncio.sleep(CHECK_SECONDS)
