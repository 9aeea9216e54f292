"""The PostgreSQL adapter: the system of record when several server processes share one database.

How several processes keep one truth (docs/architecture.md, "Several processes, one truth"):
- Each site has a row in `site_heads` holding the seq of its newest event. A write transaction first locks the
  rows of the sites it writes (`SELECT ... FOR UPDATE`, in site order so two processes never deadlock), reads the
  events other processes committed since it last looked, and only then decides (Engine._run_locked). One site's
  commands are therefore decided one transaction at a time, on the newest state, whichever process runs them: a
  number is issued once, a ticket called once, a quota never overbooked, a retried idempotency key found.
- Event numbers come from one sequence (`events_seq`). A number is taken before commit, so the events of two
  DIFFERENT sites may commit out of order; those of one site cannot (the second transaction waits for the first's
  lock). Readers therefore follow each site by its own cursor (`events_after(site, seq)`), never the log as a
  whole: a cursor never skips an event that commits later.
- After commit, `NOTIFY queue_events, 'site:seq'` wakes the other processes (Notifications). A notification is
  at most once and may be lost with its connection, so followers also compare every site's head periodically
  and after reconnecting: a lost notification costs a short delay, never an event.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import logging
import re
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

import asyncpg

from queue_server.domain.events import Event
from queue_server.domain.model import Ticket
from queue_server.persistence import postgresql
from queue_server.persistence.port import (
    SURVEY_INSERT,
    Batch,
    LoadedSite,
    StoragePort,
    _event,
    batch_statements,
    survey_row,
)

log = logging.getLogger(__name__)

CHANNEL = "queue_events"
POOL_SIZE = 8  # per process: one connection writes at a time; the others serve replays, tokens and reports

_pinned: contextvars.ContextVar[asyncpg.Connection[Any] | None] = contextvars.ContextVar("pinned", default=None)


@functools.lru_cache(maxsize=512)
def dollar(sql: str) -> str:
    """`?` placeholders (the statements both adapters share) as PostgreSQL's numbered `$1, $2 ...`. Our
    statements never hold a `?` inside a string literal."""
    counter = iter(range(1, 100_000))
    return re.sub(r"\?", lambda _: f"${next(counter)}", sql)


class PostgresStorage(StoragePort):
    shared = True

    def __init__(self, dsn: str, *, pool_size: int = POOL_SIZE) -> None:
        super().__init__()
        self.dsn = dsn
        self.name = postgresql.without_password(dsn)  # for messages and logs
        self.pool_size = pool_size
        self._pool: asyncpg.Pool[Any] | None = None

    # --- lifecycle -----------------------------------------------------------------------------------

    async def open(self) -> None:
        conn = await postgresql.connect(self.dsn)
        try:
            self.migrated = await postgresql.migrate(conn, self.name)
        finally:
            await conn.close()
        if self.migrated.applied:
            log.log(
                logging.INFO if self.migrated.before == 0 else logging.WARNING,
                "database %s: schema version %d -> %d (applied %s)",
                self.name,
                self.migrated.before,
                self.migrated.after,
                ", ".join(self.migrated.applied),
            )
        self._pool = await asyncpg.create_pool(self.dsn, min_size=2, max_size=self.pool_size)
        self.last_seq = int(await self.pool.fetchval("SELECT COALESCE(MAX(seq), 0) FROM site_heads"))

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
        self._pool = None

    @property
    def pool(self) -> asyncpg.Pool[Any]:
        if self._pool is None:
            raise RuntimeError("storage is not open")
        return self._pool

    # --- reads and small writes ------------------------------------------------------------------------

    async def _read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        conn = _pinned.get()
        rows = await (conn or self.pool).fetch(dollar(sql), *params)
        return [tuple(row) for row in rows]

    async def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return await self._read(sql, params)

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        row = await self.pool.fetchrow(dollar(sql), *params)
        return tuple(row) if row is not None else None

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return await self._read(sql, params)

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        await self.pool.execute(dollar(sql), *params)

    async def load_site(self, site_id: str) -> LoadedSite:
        """As StoragePort's, in one snapshot: the state and its head are of the same moment."""
        async with self.pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            token = _pinned.set(conn)
            try:
                return await super().load_site(site_id)
            finally:
                _pinned.reset(token)

    async def heads(self) -> dict[str, int]:
        """Every site's newest seq, as committed: how a follower finds what it missed."""
        return {row[0]: int(row[1]) for row in await self.pool.fetch("SELECT site, seq FROM site_heads")}

    async def idempotency_keys(self) -> list[tuple[str, float]]:
        rows = await self.pool.fetch(
            "SELECT key, EXTRACT(EPOCH FROM created_at::timestamptz)::float8 AS t FROM idempotency ORDER BY t"
        )
        return [(str(row[0]), float(row[1])) for row in rows]

    async def forget_idempotency_before(self, before: datetime) -> None:
        await self.pool.execute("DELETE FROM idempotency WHERE created_at::timestamptz < $1", before)

    async def add_survey_answers(self, ticket: Ticket, channel: str, answered_at: datetime, answers: list[int]) -> bool:
        sql = dollar(SURVEY_INSERT) + " ON CONFLICT (ticket) DO NOTHING RETURNING ticket"
        return await self.pool.fetchval(sql, *survey_row(ticket, channel, answered_at, answers)) is not None

    # --- writing -----------------------------------------------------------------------------------------

    async def write(self, batch: Batch) -> list[Event]:
        async with self.locked(sorted({e.site for e in batch.events})) as tx:
            return await tx.write(batch)

    def notifications(self) -> Notifications:
        return Notifications(self.dsn)

    @contextlib.asynccontextmanager
    async def locked(self, sites: Sequence[str]) -> AsyncIterator[SiteTransaction]:
        """A transaction holding the locks of `sites` until it commits (or rolls back, on any exception)."""
        ordered = sorted(set(sites))
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "INSERT INTO site_heads (site, seq) SELECT unnest($1::text[]), 0 ON CONFLICT (site) DO NOTHING", ordered
            )
            rows = await conn.fetch(
                "SELECT site, seq FROM site_heads WHERE site = ANY($1::text[]) ORDER BY site FOR UPDATE", ordered
            )
            tx = SiteTransaction(conn, {row[0]: int(row[1]) for row in rows})
            yield tx
        if tx.written:  # committed
            self.last_seq = max(self.last_seq, tx.written[-1].seq)


class SiteTransaction:
    """What the engine does while it holds sites' locks: catch up, look up keys, write."""

    def __init__(self, conn: asyncpg.Connection[Any], heads: dict[str, int]) -> None:
        self.conn = conn
        self.heads = heads  # site -> the seq of its newest committed event
        self.written: list[Event] = []

    async def events_after(self, site_id: str, after: int) -> list[Event]:
        """The site's events after `after`, up to its head: everything another process committed meanwhile."""
        if self.heads.get(site_id, 0) <= after:
            return []  # nothing new (nearly always, when one process serves the site): no read at all
        rows = await self.conn.fetch(
            "SELECT seq, site, type, at, data FROM events WHERE site = $1 AND seq > $2 ORDER BY seq", site_id, after
        )
        return [_event(tuple(row)) for row in rows]

    async def idempotent_results(self, keys: Sequence[str]) -> dict[str, tuple[int, str]]:
        rows = await self.conn.fetch(
            "SELECT key, status, body FROM idempotency WHERE key = ANY($1::text[])", list(keys)
        )
        return {str(row[0]): (int(row[1]), str(row[2])) for row in rows}

    async def write(self, batch: Batch) -> list[Event]:
        outside = {e.site for e in batch.events} - set(self.heads)
        if outside:
            raise RuntimeError(f"writing events of {sorted(outside)} without their lock")
        n = len(batch.events)
        seqs = [row[0] for row in await self.conn.fetch("SELECT nextval('events_seq') FROM generate_series(1, $1)", n)]
        numbered, statements = batch_statements(batch, sorted(seqs), datetime.now().astimezone())
        for sql, rows in statements:
            await self.conn.executemany(dollar(sql), rows)
        newest: dict[str, int] = {}
        for event in numbered:
            newest[event.site] = event.seq
        if newest:
            await self.conn.executemany(
                "UPDATE site_heads SET seq = $2 WHERE site = $1", [(site, seq) for site, seq in newest.items()]
            )
            # Delivered at commit, and only if it commits.
            await self.conn.execute(
                "SELECT pg_notify($1, payload) FROM unnest($2::text[]) AS payload",
                CHANNEL,
                [f"{site}:{seq}" for site, seq in newest.items()],
            )
            self.heads.update(newest)
        self.written.extend(numbered)
        return numbered


class Notifications:
    """`LISTEN queue_events` on a connection of its own: which sites have new events. get() raises ConnectionError
    once the connection is lost; the follower then opens a new one and re-reads everything since its cursors."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self._conn: asyncpg.Connection[Any] | None = None
        self._pending: dict[str, int] = {}
        self._wake = asyncio.Event()
        self._lost = False

    async def __aenter__(self) -> Notifications:
        self._conn = await postgresql.connect(self.dsn)
        self._conn.add_termination_listener(self._terminated)
        await self._conn.add_listener(CHANNEL, self._notified)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._conn is not None and not self._conn.is_closed():
            with contextlib.suppress(Exception):
                await self._conn.close()
        self._conn = None

    def _notified(self, conn: object, pid: int, channel: str, payload: str) -> None:
        site, _, seq = payload.rpartition(":")
        if site and seq.isdigit():
            self._pending[site] = max(self._pending.get(site, 0), int(seq))
            self._wake.set()

    def _terminated(self, conn: object) -> None:
        self._lost = True
        self._wake.set()

    async def get(self, quiet: float) -> dict[str, int]:
        """The sites notified since the last call, with their newest seq; {} after `quiet` seconds without one."""
        if not self._pending and not self._lost:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), quiet)
        self._wake.clear()
        if self._lost or self._conn is None or self._conn.is_closed():
            raise ConnectionError("the LISTEN connection to PostgreSQL was lost")
        pending, self._pending = self._pending, {}
        return pending
