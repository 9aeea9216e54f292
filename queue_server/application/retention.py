"""Retention: what a site keeps older than the configured number of days is archived to compressed files, then
taken out of the database, which otherwise grows ~5 MB a day at a busy mall (docs/deployment.md, "Retention").

- The event log goes: what it is still needed for is recent (a screen resuming after a drop gets a snapshot once
  its events are gone). The site's newest event is never deleted: the log's numbering and each site's head are
  read from it.
- A closed ticket keeps the columns every report reads (service, agency, counter, state, times) and loses its
  document and its link (token): an old ticket link then says "unknown ticket", and every report, IKM and audit
  entry of an archived day reads the same afterwards (the survey answers and audit log stay whole).

The archive is one gzip JSON-lines file per site, kind and run (an event `{seq, site, type, at, data}` or a ticket's
document per line), written and synced before anything is taken out; a run stopped half way leaves the rest for the
next run. The files hold ticket links and booking NIK hashes, never a number or a name: mode 0600.
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
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path

from queue_server.common import background
from queue_server.persistence.port import StoragePort
from queue_server.persistence.private_files import private_folder

log = logging.getLogger(__name__)

CHUNK = 5000  # events read, and deleted, at a time: the writer is never held long
CHECK_SECONDS = 3600.0


@dataclass(frozen=True)
class Archived:
    site: str
    count: int  # events, or tickets
    path: Path | None
    first_at: datetime | None = None
    last_at: datetime | None = None
    kind: str = "events"


class _ArchiveFile:
    """One archive file written chunk by chunk as the rows are read (a first run over a year of a busy mall is
    gigabytes: never held in memory), under a temporary name until it is whole and synced; mode 0600."""

    def __init__(self, directory: Path) -> None:
        private_folder(directory)  # its files' names say which malls and days
        self.directory = directory
        self.partial = directory / f".archive-{os.getpid()}-{id(self)}.partial"
        fd = os.open(self.partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        self.raw = os.fdopen(fd, "wb")
        self.out = gzip.GzipFile(fileobj=self.raw, mode="wb")

    async def write(self, lines: list[str]) -> None:
        await asyncio.to_thread(self.out.write, "".join(line + "\n" for line in lines).encode())

    async def finish(self, name: str) -> Path:
        def close() -> Path:
            self.out.close()
            self.raw.flush()
            os.fsync(self.raw.fileno())
            self.raw.close()
            path = self.directory / name
            os.replace(self.partial, path)  # a file with the final name is always whole
            return path

        return await asyncio.to_thread(close)

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            self.out.close()
            self.raw.close()
            self.partial.unlink()


async def archive_events(
    storage: StoragePort,
    site_id: str,
    before: datetime,
    directory: Path,
    kept_after: int | None = None,
    zone: tzinfo = UTC,
) -> Archived:
    """Every event of the site before `before` (UTC instant), except its newest, into a new file, then deleted.
    `kept_after`: no event after this seq goes (those the mirror of an uplink has not acknowledged yet). The file is
    named by the days of its first and last events in `zone`, the mall's: as its tickets' file is named, and as
    whoever looks for a day of the mall reads it (07.30 WIT on 7 December is 22.30 UTC on the 6th)."""
    newest = await storage.newest_seq(site_id)
    if kept_after is not None:
        newest = min(newest, kept_after + 1)
    archive = _ArchiveFile(directory)
    bounds: list[int] = []  # the last seq of each chunk written: what is deleted afterwards, chunk by chunk
    count, first, last = 0, None, None
    try:
        while True:
            chunk = await storage.event_rows_after(site_id, bounds[-1] if bounds else 0, CHUNK)
            rows = []
            for row in chunk:
                if row[0] >= newest or datetime.fromisoformat(row[2]) >= before:
                    break
                rows.append(row)
            if rows:
                await archive.write([json.dumps({"seq": seq, "site": site_id, "type": kind, "at": at,
                                                 "data": json.loads(data)}, ensure_ascii=False)
                                     for seq, kind, at, data in rows])  # fmt: skip
                first, last = first or rows[0], rows[-1]
                count += len(rows)
                bounds.append(rows[-1][0])
            if len(rows) < CHUNK:
                break
        if first is None or last is None:
            archive.discard()
            return Archived(site_id, 0, None)
        first_at, last_at = datetime.fromisoformat(first[2]), datetime.fromisoformat(last[2])
        path = await archive.finish(
            f"{site_id}-events-{first_at.astimezone(zone):%Y%m%d}-{last_at.astimezone(zone):%Y%m%d}-{first[0]}-"
            f"{last[0]}.jsonl.gz"
        )
    except BaseException:
        archive.discard()
        raise
    previous = 0
    for upto in bounds:
        await storage.forget_events(site_id, previous, upto)
        previous = upto
    log.info("site %s: %d events before %s archived to %s and deleted", site_id, count, before.date(), path)
    return Archived(site_id, count, path, first_at, last_at)


async def archive_tickets(storage: StoragePort, site_id: str, before: date, directory: Path) -> Archived:
    """The documents of the site's closed tickets of days before `before` into a new file, then taken out (their
    report columns stay)."""
    archive = _ArchiveFile(directory)
    bounds: list[str] = []  # the last ticket id of each chunk written
    count, days, first_id = 0, set[str](), ""
    try:
        while True:
            chunk = await storage.ticket_documents_before(site_id, before, bounds[-1] if bounds else "", CHUNK)
            if chunk:
                await archive.write([doc for _, doc in chunk])
                days.update(json.loads(doc)["day"] for _, doc in chunk)
                first_id = first_id or chunk[0][0]
                count += len(chunk)
                bounds.append(chunk[-1][0])
            if len(chunk) < CHUNK:
                break
        if not count:
            archive.discard()
            return Archived(site_id, 0, None, kind="tickets")
        span = f"{min(days).replace('-', '')}-{max(days).replace('-', '')}"
        path = await archive.finish(f"{site_id}-tickets-{span}-{first_id}.jsonl.gz")
    except BaseException:
        archive.discard()
        raise
    previous = ""
    for upto in bounds:
        await storage.forget_ticket_documents(site_id, before, previous, upto)
        previous = upto
    log.info("site %s: %d tickets before %s archived to %s", site_id, count, before, path)
    return Archived(site_id, count, path, kind="tickets")


class Retention:
    """Once a day (looked at hourly): each site's events older than `days` days, archived and deleted."""

    def __init__(
        self,
        storage: StoragePort,
        sites: list[str],
        days: int,
        directory: Path,
        clock: Callable[[], datetime],
        zone_of: Callable[[str], tzinfo] | None = None,
    ) -> None:
        self.storage, self.sites, self.days, self.directory = storage, sites, days, directory
        self.clock = clock
        self.zone_of = zone_of  # a site's time zone as configured now: its archives are named by its own days
        # With an uplink (outbound/uplink.py): per site, the newest seq its mirror holds; later events are kept.
        self.kept_after: Callable[[str], int] | None = None
        self._task: asyncio.Task[None] | None = None
        self._last: str | None = None  # the UTC date of the last run

    def start(self) -> None:
        if self.days > 0:
            # The database or the archive's disk (an OSError, which unavailable() counts): tried at the next check.
            said = background.Outage(log, "archiving old events", self.storage.unavailable)
            self._task = background.start(background.every(CHECK_SECONDS, self._round, said), "retention")

    async def stop(self) -> None:
        await background.stop(self._task)

    async def run_once(self) -> list[Archived]:
        """On shared storage one process archives at a time (the others find the role taken and skip the day)."""
        before = (self.clock() - timedelta(days=self.days)).astimezone(UTC)
        # Each chunk (5,000 events read, archived or deleted) gets the long deadline: nobody waits on it, and a
        # big deletion on a busy database is slow by nature.
        with self.storage.unhurried():
            return await self._run_once(before)

    async def _run_once(self, before: datetime) -> list[Archived]:
        async with self.storage.exclusive("retention") as role:
            if not role.held:
                return []
            out = []
            for site in self.sites:
                kept = self.kept_after(site) if self.kept_after is not None else None
                zone = self.zone_of(site) if self.zone_of is not None else UTC
                out.append(await archive_events(self.storage, site, before, self.directory, kept, zone))
                out.append(await archive_tickets(self.storage, site, before.date(), self.directory))
            return out

    async def _round(self) -> None:
        """Once a day (UTC): a failed run is tried again at the next check."""
        today = f"{self.clock():%Y-%m-%d}"
        if today != self._last:
            await self.run_once()
            self._last = today
