"""Every database connection: this module, and the writer process it starts (sqlite_writer.py).

One writer connection serialises every write (WAL mode, BEGIN IMMEDIATE); a separate reader connection (aiosqlite)
serves replays and reports. A whole batch of commands is one transaction that appends events and updates the
projections (tickets, counters, idempotency records) together, so the log and the state can never disagree.

The writer connection lives in a process of its own (sqlite_writer.py: no GIL shared with the event loop), and a
whole transaction (BEGIN, a multi-row INSERT per table, COMMIT) is ONE request to it. Awaited statement by
statement, a batch was 4-6 round trips, and each waited its turn behind every HTTP request the loop had ready:
the batch's latency, and so the throughput of a closed loop of kiosks, grew with the load (docs/benchmarks.md).

Checkpoints (copying the WAL back into the database file, with an fsync) run in the writer process on a connection
of their own every `checkpoint_seconds`, never inside a write: SQLite's automatic checkpoint ran every 1,000 pages
in the committing transaction and held the writer for tens of milliseconds each time (1,740 -> 2,020 tickets/s,
p99 43 -> 23 ms). A passive checkpoint does not block the writer; how the WAL is kept from growing without end
under steady writes is in sqlite_writer._Checkpointer.

The schema is made by numbered migrations (schema.py, migrations/), which the writer process applies when it
opens the database: a new database is created at the newest version, an older one migrated, a newer one refused.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import aiosqlite

from queue_server.domain.events import Event
from queue_server.domain.model import Ticket
from queue_server.persistence.port import (
    BOOKING_COLUMNS,
    SURVEY_INSERT,
    TICKET_COLUMNS,
    AuditRecord,
    Batch,
    LoadedSite,
    Statements,
    StoragePort,
    batch_statements,
    survey_row,
    utc_iso,
)
from queue_server.persistence.private_files import private_database, private_folder
from queue_server.persistence.sqlite_writer import WriterProcess

__all__ = ["BOOKING_COLUMNS", "TICKET_COLUMNS", "AuditRecord", "Batch", "LoadedSite", "Storage", "utc_iso"]

log = logging.getLogger(__name__)


CHECKPOINT_SECONDS = 0.1
# A passive checkpoint every 0.1 s, and the WAL started over once it holds 1,024 pages (4 MiB): the writer's pass
# that makes it start over costs ~2.5 us per page in the WAL, so a small WAL keeps it short (sqlite_writer.py).
WAL_RESTART_PAGES = 1024


class Storage(StoragePort):
    """SQLite: one server process, one writer connection (in a process of its own), readers beside it."""

    def __init__(
        self,
        path: Path | str,
        *,
        synchronous: str = "FULL",
        checkpoint_seconds: float = CHECKPOINT_SECONDS,
        wal_restart_pages: int = WAL_RESTART_PAGES,
    ) -> None:
        self.path = str(path)
        self.synchronous = synchronous
        self.checkpoint_seconds = checkpoint_seconds
        self.wal_restart_pages = wal_restart_pages
        super().__init__()
        self._writer: WriterProcess | None = None
        self._reader: aiosqlite.Connection | None = None  # short reads: replays, tokens, idempotency keys
        self._reports: aiosqlite.Connection | None = None  # long reads: a report's scan never holds up the others
        self._write_lock = asyncio.Lock()
        # One read at a time on each read connection, from its execute to its last row. Python's sqlite3 steps a
        # SELECT at execute, so its read transaction stays open until its rows are fetched; aiosqlite runs the two as
        # separate jobs, and another read slipped in between ran in that older snapshot: a ticket answered 201 a
        # moment before was "not found" by its own link (15 of 150 with three reads running beside them).
        self._reading = asyncio.Lock()
        self._reporting = asyncio.Lock()

    # --- lifecycle -----------------------------------------------------------------------------------

    def unavailable(self, exc: BaseException) -> bool:
        # The file locked by another program, its disk full or failing, its folder gone.
        return isinstance(exc, (OSError, sqlite3.OperationalError))

    async def open(self) -> None:
        if self.path != ":memory:":
            private_folder(Path(self.path).parent)  # as docs/deployment.md makes it
            private_database(Path(self.path))
        self._writer = WriterProcess(
            self.path,
            self.synchronous,
            checkpoint_seconds=self.checkpoint_seconds,
            wal_restart_pages=self.wal_restart_pages,
        )
        await self._writer.start()  # creates or migrates the schema; schema.SchemaError if it cannot
        self.migrated = self._writer.migrated
        if self.migrated is not None and self.migrated.applied:
            log.log(
                logging.INFO if self.migrated.before == 0 else logging.WARNING,  # an upgrade, not a new file, is news
                "database %s: schema version %d -> %d (applied %s)",
                self.path,
                self.migrated.before,
                self.migrated.after,
                ", ".join(self.migrated.applied),
            )
        self._reader = await aiosqlite.connect(self.path, isolation_level=None)
        await self._reader.execute("PRAGMA busy_timeout=5000")
        await self._reader.execute("PRAGMA query_only=1")
        self._reports = await aiosqlite.connect(self.path, isolation_level=None)
        await self._reports.execute("PRAGMA query_only=1")
        row = await self.fetch_one("SELECT COALESCE(MAX(seq), 0) FROM events")
        self.last_seq = int(row[0]) if row else 0

    async def close(self) -> None:
        # An unclosed aiosqlite connection keeps a non-daemon thread alive and hangs process exit.
        for conn in (self._reports, self._reader):
            if conn is not None:
                await conn.close()
        if self._writer is not None:
            await self._writer.close()
        self._reader = self._reports = None
        self._writer = None

    async def checkpoint(self, mode: str = "PASSIVE") -> tuple[int, int, int]:
        """A checkpoint now, by the writer (they also run by themselves: sqlite_writer._Checkpointer).
        Returns SQLite's (busy, pages in the WAL, pages checkpointed)."""
        result: tuple[int, int, int] = await self.writer.call("checkpoint", mode)
        return result

    @property
    def writer(self) -> WriterProcess:
        if self._writer is None:
            raise RuntimeError("storage is not open")
        return self._writer

    @property
    def reader(self) -> aiosqlite.Connection:
        if self._reader is None:
            raise RuntimeError("storage is not open")
        return self._reader

    # --- the event log and projections ---------------------------------------------------------------

    async def write(self, batch: Batch) -> list[Event]:
        async with self._write_lock:
            seqs = range(self.last_seq + 1, self.last_seq + 1 + len(batch.events))
            numbered, statements = batch_statements(batch, seqs, batch.made_at)
            await self.writer.call("transaction", statements)
            if numbered:
                self.last_seq = numbered[-1].seq
            return numbered

    async def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """A read for reports, on a connection of its own: a long report holds up neither a write nor a replay."""
        if self._reports is None:
            raise RuntimeError("storage is not open")
        async with self._reporting, self._reports.execute(sql, params) as cur:
            return [tuple(row) for row in await cur.fetchall()]

    async def _read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        async with self._reading, self.reader.execute(sql, params) as cur:
            return [tuple(row) for row in await cur.fetchall()]

    async def idempotency_keys(self) -> list[tuple[str, float]]:
        sql = "SELECT key, (julianday(created_at) - 2440587.5) * 86400.0 AS t FROM idempotency ORDER BY t"
        async with self._reading, self.reader.execute(sql) as cur:
            return [(str(key), float(t)) async for key, t in cur]

    async def forget_idempotency_before(self, before: datetime) -> None:
        # created_at carries its UTC offset; julianday reads it.
        await self.writer.call(
            "execute", "DELETE FROM idempotency WHERE julianday(created_at) < julianday(?)", (before.isoformat(),)
        )

    async def add_survey_answers(self, ticket: Ticket, channel: str, answered_at: datetime, answers: list[int]) -> bool:
        try:
            await self.execute(SURVEY_INSERT, survey_row(ticket, channel, answered_at, answers))
        except sqlite3.IntegrityError:
            return False
        return True

    # --- statements on the writer connection: accounts.py's, and any read that must see the writes ---

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        """A read on the writer connection: it sees every write already committed or queued before it."""
        row: tuple[Any, ...] | None = await self.writer.call("fetch_one", sql, tuple(params))
        return row

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = await self.writer.call("fetch_all", sql, tuple(params))
        return rows

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        await self.writer.call("execute", sql, tuple(params))

    async def run(self, statements: Statements, lock: str | Sequence[str] | None = None) -> None:
        await self.writer.call("statements", statements)  # one writer: `lock` is never needed

    async def write_one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        row: tuple[Any, ...] | None = await self.writer.call("write_one", sql, tuple(params))
        return row
