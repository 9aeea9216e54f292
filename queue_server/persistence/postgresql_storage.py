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
import hashlib
import json
import logging
import re
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import asyncpg

from queue_server.common import background
from queue_server.domain.events import Event
from queue_server.domain.model import Ticket
from queue_server.persistence import deadlines, postgresql
from queue_server.persistence.deadlines import DatabaseTimeout
from queue_server.persistence.port import (
    SURVEY_INSERT,
    Batch,
    LoadedSite,
    Role,
    SitesBusy,
    Statements,
    StoragePort,
    _event,
    batch_statements,
    survey_row,
)

log = logging.getLogger(__name__)

CHANNEL = postgresql.CHANNEL
POOL_SIZE = 8  # per process: one connection writes at a time; the others serve replays, tokens and reports
# What each process says of itself, rewritten every few seconds (application/presence.py); each has `seen_at`, indexed.
PRESENCE_TABLES = ("screen_presence", "device_presence", "desk_presence", "process_alerts")
# A presence row's `seen_at` is the database's clock, and so is the moment its freshness is judged against: the
# processes' own clocks may differ by more than the freshness itself (a process 20 s ahead saw every other's rows as
# 20 s old, its screens down and its colleagues gone; one behind kept a killed process's TVs on). The text is
# utc_iso's (fixed-width UTC with microseconds), as the rows of earlier releases have it, so the two compare.
_UTC_TEXT = "to_char(({}) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"')"
_SAID_NOW = _UTC_TEXT.format("statement_timestamp()")


def _said_since(param: str) -> str:
    """The database's clock less `param` (an interval: how long a row stays fresh, or is kept), as seen_at's text."""
    return _UTC_TEXT.format(f"statement_timestamp() - {param}::interval")


_SAID_SINCE = _said_since("$2")

_pinned: contextvars.ContextVar[asyncpg.Connection[Any] | None] = contextvars.ContextVar("pinned", default=None)
# Under unhurried(): LONG_SECONDS for a pooled connection's use, instead of the storage's own deadline.
_patience: contextvars.ContextVar[float | None] = contextvars.ContextVar("patience", default=None)


@functools.lru_cache(maxsize=512)
def dollar(sql: str) -> str:
    """`?` placeholders (the statements both adapters share) as PostgreSQL's numbered `$1, $2 ...`. Our
    statements never hold a `?` inside a string literal."""
    counter = iter(range(1, 100_000))
    return re.sub(r"\?", lambda _: f"${next(counter)}", sql)


class PostgresStorage(StoragePort):
    shared = True

    def __init__(self, dsn: str, *, pool_size: int = POOL_SIZE, serving: bool = False) -> None:
        """`serving`: a server process's storage, its connections named so (`queue-server serve PID HOST`) that a
        migration finds it live (postgresql.live_servers); the command line's are not."""
        super().__init__()
        self.dsn = dsn
        self.name = postgresql.without_password(dsn)  # for messages and logs
        self.pool_size = pool_size
        self.role = postgresql.SERVE if serving else postgresql.COMMAND
        # A serving process answers kiosks and counters: READ_SECONDS and WRITE_SECONDS. A command of the command
        # line (a take-over, `mirror forget`, `archive`) may rightly work on a whole mall's log, and a person
        # watches it: LONG_SECONDS for everything.
        self.read_seconds = deadlines.READ_SECONDS if serving else deadlines.LONG_SECONDS
        self.write_seconds = deadlines.WRITE_SECONDS if serving else deadlines.LONG_SECONDS
        self._pool: asyncpg.Pool[Any] | None = None
        # The engine's write transactions run one at a time on a connection of their own: no pool hand-over.
        self._writer: asyncpg.Connection[Any] | None = None
        self._writing = asyncio.Lock()
        self._types: dict[str, dict[str, str]] = {}  # table -> column -> PostgreSQL type (for unnest casts)

    # --- lifecycle -----------------------------------------------------------------------------------

    async def open(self) -> None:
        conn = await postgresql.connect(self.dsn, role=postgresql.MIGRATE)
        try:
            self.migrated = await postgresql.migrate(conn, self.name)
        finally:
            await postgresql.close(conn)
        if self.migrated.applied:
            log.log(
                logging.INFO if self.migrated.before == 0 else logging.WARNING,
                "database %s: schema version %d -> %d (applied %s)",
                self.name,
                self.migrated.before,
                self.migrated.after,
                ", ".join(self.migrated.applied),
            )
        _reconnects.install()
        self._pool = await asyncpg.create_pool(
            self.dsn,
            min_size=2,
            max_size=self.pool_size,
            connection_class=_PooledConnection,
            timeout=deadlines.CONNECT_SECONDS,
            init=_made,
            server_settings={
                **postgresql.server_keepalives(),
                "idle_in_transaction_session_timeout": deadlines.IDLE_IN_TRANSACTION,
                "application_name": postgresql.application_name(self.role),
            },
        )
        rows = await self._fetch(
            "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'public'"
        )
        for row in rows:
            self._types.setdefault(row[0], {})[row[1]] = row[2]
        self.last_seq = int(await self._fetchval("SELECT COALESCE(MAX(seq), 0) FROM site_heads"))

    async def close(self) -> None:
        if self._writer is not None and not self._writer.is_closed():
            await postgresql.close(self._writer)
        if self._pool is not None:
            await self._pool.close()
        self._pool = self._writer = None

    @property
    def pool(self) -> asyncpg.Pool[Any]:
        if self._pool is None:
            raise RuntimeError("storage is not open")
        return self._pool

    # --- deadlines ---------------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _connection(self, what: str = "a read") -> AsyncIterator[asyncpg.Connection[Any]]:
        """A pooled connection, given back within its deadline (read_seconds, LONG_SECONDS under unhurried())
        counted from the wait for a free one. Past it, the connection is cut, which ends the statement
        waiting on it, and DatabaseTimeout is raised: a cancel request would wait on the same silent server. A use
        cancelled (/healthz's probe giving up) cuts it too, for the same reason: asyncpg would otherwise give it
        back only once the server acknowledged the cancel."""
        seconds = _patience.get() or self.read_seconds
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            conn = await self.pool.acquire(timeout=seconds)
        except TimeoutError:
            raise DatabaseTimeout(f"{what} (no connection free or made)", seconds) from None
        watch = _Watch(loop, started + seconds, conn)
        try:
            yield conn
        except BaseException as exc:
            if watch.ran:
                raise DatabaseTimeout(what, seconds) from exc
            if isinstance(exc, (asyncio.CancelledError, TimeoutError)):
                _cut(conn)
            raise
        finally:
            watch.cancel()
            await self.pool.release(conn)  # at once for a connection cut

    def unhurried(self) -> contextlib.AbstractContextManager[None]:
        return _unhurried()

    async def _fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        async with self._connection() as conn:
            rows: list[asyncpg.Record] = await conn.fetch(sql, *args)
            return rows

    async def _fetchval(self, sql: str, *args: Any) -> Any:
        async with self._connection() as conn:
            return await conn.fetchval(sql, *args)

    async def _execute(self, sql: str, *args: Any) -> None:
        async with self._connection("a write") as conn:
            await conn.execute(sql, *args)

    # --- reads and small writes ------------------------------------------------------------------------

    async def _read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        conn = _pinned.get()
        rows = await (conn.fetch(dollar(sql), *params) if conn is not None else self._fetch(dollar(sql), *params))
        return [tuple(row) for row in rows]

    async def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return await self._read(sql, params)

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        async with self._connection() as conn:
            row = await conn.fetchrow(dollar(sql), *params)
        return tuple(row) if row is not None else None

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return await self._read(sql, params)

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        await self._execute(dollar(sql), *params)

    async def write_one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        return await self.fetch_one(sql, params)  # one statement on the pool: its own transaction, committed

    async def run(self, statements: Statements, lock: str | Sequence[str] | None = None) -> None:
        names = [lock] if isinstance(lock, str) else list(lock or ())
        async with self._connection("a write") as conn, conn.transaction():
            # Released by the commit or rollback; several are taken in one order in every process (no deadlock).
            for key in sorted({_lock_key(name) for name in names}):
                await conn.execute("SELECT pg_advisory_xact_lock($1)", key)
            for sql, rows in statements:
                await conn.executemany(dollar(sql), rows)

    @contextlib.asynccontextmanager
    async def exclusive(self, name: str) -> AsyncIterator[Role]:
        """One process at a time holds `name`: a session advisory lock on a connection of its own, taken without
        waiting. It is let go when the context ends or the process dies (its connection ends with it), so another
        process takes over within its next try; `still_held()` asks the connection, so a holder whose connection
        dropped (a PostgreSQL restart) stops and tries again rather than go on beside a new holder."""
        conn: asyncpg.Connection[Any] | None = None
        try:
            conn = await postgresql.connect(self.dsn, role=self.role, command_timeout=deadlines.READ_SECONDS)
            held = bool(await conn.fetchval("SELECT pg_try_advisory_lock($1)", _lock_key(name)))
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
            if conn is not None:
                conn.terminate()
            conn = None
        except BaseException:  # cancelled while asking (a stop): cut, never left to the garbage collector
            if conn is not None:
                conn.terminate()
            raise
        if conn is None:
            yield _AdvisoryLock(None, False)
            return
        try:
            yield _AdvisoryLock(conn, held)
        finally:
            await postgresql.close(conn)

    async def load_site(self, site_id: str, today: date) -> LoadedSite:
        """As StoragePort's, in one snapshot: the state and its head are of the same moment."""
        async with (
            self._connection("a site's state") as conn,
            conn.transaction(isolation="repeatable_read", readonly=True),
        ):
            token = _pinned.set(conn)
            try:
                return await super().load_site(site_id, today)
            finally:
                _pinned.reset(token)

    def unavailable(self, exc: BaseException) -> bool:
        # Refused or lost connections, a server shutting down or starting (class 57: a statement_timeout too), out
        # of connections, memory or disk (class 53), no answer within a deadline (deadlines.py: paused, out of reach).
        transient = (
            OSError,
            TimeoutError,
            asyncpg.PostgresConnectionError,
            asyncpg.exceptions.ConnectionDoesNotExistError,
            asyncpg.exceptions.OperatorInterventionError,
            asyncpg.exceptions.InsufficientResourcesError,
        )
        if isinstance(exc, transient) or _ended_by_the_server(exc):
            return True
        # Leaving `async with conn.transaction()` after such an error tries a ROLLBACK on the dead connection, whose
        # InterfaceError ("the underlying connection is closed") then replaces it: the same outage, not a bug (seen
        # as a traceback of presence's round while a cluster stopped).
        cause = exc.__context__
        return isinstance(exc, asyncpg.InterfaceError) and cause is not None and self.unavailable(cause)

    async def heads(self) -> dict[str, int]:
        """Every site's newest seq, as committed: how a follower finds what it missed."""
        return {row[0]: int(row[1]) for row in await self._fetch("SELECT site, seq FROM site_heads")}

    async def share_screens(self, process: str, shown: set[tuple[str, str]]) -> None:
        rows = [(process, site, screen) for site, screen in sorted(shown)]
        await self._say_again("screen_presence", process, "(process, site, screen)", rows)

    async def _say_again(self, table: str, process: str, columns: str, rows: Sequence[tuple[Any, ...]]) -> None:
        """Replace what this process said in a presence table (screens, devices) with `rows`, in one transaction,
        each dated by the database's clock (`seen_at`, _SAID_NOW)."""
        marks = ", ".join(f"${n}" for n in range(1, columns.count(",") + 2))
        dated = f"{columns[:-1]}, seen_at)"
        async with self._connection("a write") as conn, conn.transaction():
            await conn.execute(f"DELETE FROM {table} WHERE process = $1", process)  # noqa: S608
            if rows:
                await conn.executemany(f"INSERT INTO {table} {dated} VALUES ({marks}, {_SAID_NOW})", rows)  # noqa: S608

    async def screens_shown_elsewhere(self, process: str, fresh: float) -> set[tuple[str, str]]:
        rows = await self._fetch(
            f"SELECT DISTINCT site, screen FROM screen_presence WHERE process <> $1 AND seen_at >= {_SAID_SINCE}",  # noqa: S608
            process,
            timedelta(seconds=fresh),
        )
        return {(row[0], row[1]) for row in rows}

    async def share_devices(self, process: str, devices: Sequence[dict[str, Any]]) -> None:
        rows = [(process, d["id"], d["site"], json.dumps(d)) for d in devices]
        await self._say_again("device_presence", process, "(process, device, site, health)", rows)

    async def devices_elsewhere(self, process: str, fresh: float) -> list[dict[str, Any]]:
        rows = await self._fetch(
            f"SELECT health FROM device_presence WHERE process <> $1 AND seen_at >= {_SAID_SINCE}",  # noqa: S608
            process,
            timedelta(seconds=fresh),
        )
        return [json.loads(row[0]) for row in rows]

    async def share_desks(self, process: str, seats: Sequence[tuple[str, str, str, str | None]]) -> None:
        rows = [(process, *seat) for seat in seats]
        await self._say_again("desk_presence", process, "(process, site, counter, account, display_name)", rows)

    async def desks_elsewhere(self, process: str, fresh: float) -> list[tuple[str, str, str, str | None]]:
        rows = await self._fetch(
            "SELECT DISTINCT site, counter, account, display_name FROM desk_presence "  # noqa: S608
            f"WHERE process <> $1 AND seen_at >= {_SAID_SINCE}",
            process,
            timedelta(seconds=fresh),
        )
        return [(row[0], row[1], row[2], row[3]) for row in rows]

    async def share_alerts(self, process: str, alerts: dict[str, dict[str, dict[str, Any]]]) -> None:
        rows = [(process, json.dumps(alerts, sort_keys=True))] if alerts else []
        await self._say_again("process_alerts", process, "(process, alerts)", rows)

    async def alerts_elsewhere(self, process: str, fresh: float) -> list[tuple[str, dict[str, Any]]]:
        rows = await self._fetch(
            f"SELECT process, alerts FROM process_alerts WHERE process <> $1 AND seen_at >= {_SAID_SINCE} "  # noqa: S608
            "ORDER BY process",
            process,
            timedelta(seconds=fresh),
        )
        return [(row[0], json.loads(row[1])) for row in rows]

    async def forget_presence_older_than(self, keep: timedelta) -> None:
        before = _said_since("$1")
        async with self._connection("a write") as conn, conn.transaction():
            for table in PRESENCE_TABLES:
                await conn.execute(f"DELETE FROM {table} WHERE seen_at < {before}", keep)  # noqa: S608

    async def share_uplink(self, statuses: dict[str, dict[str, Any]]) -> None:
        """Dated by the database's clock (said_at, _SAID_NOW), as presence is: the processes' clocks may differ by
        more than the silence that makes a sender look stuck (uplink.ALERT_AFTER)."""
        rows = [(site, json.dumps(status)) for site, status in sorted(statuses.items())]
        async with self._connection("a write") as conn:
            await conn.executemany(
                f"INSERT INTO uplink_status (site, status, said_at) VALUES ($1, $2, {_SAID_NOW}) "  # noqa: S608
                "ON CONFLICT (site) DO UPDATE SET status = EXCLUDED.status, said_at = EXCLUDED.said_at",
                rows,
            )

    async def uplink_said(self) -> dict[str, tuple[dict[str, Any], timedelta]]:
        """Aged by the database's clock: a row of an earlier release (said_at by its process's clock, the same text)
        reads so too."""
        rows = await self._fetch(
            "SELECT site, status, EXTRACT(EPOCH FROM statement_timestamp() - said_at::timestamptz)::float8 "
            "FROM uplink_status"
        )
        return {row[0]: (json.loads(row[1]), timedelta(seconds=float(row[2]))) for row in rows}

    async def count_request(self, name: str, key: str, minute: int, carried: float, limit: int) -> bool:
        return await self._fetchval(_COUNT_REQUEST, minute, name, key, carried, limit) is not None

    async def forget_requests(self, minute: int) -> None:
        await self._execute("DELETE FROM request_counts WHERE minute < $1 OR minute > $2", minute - 1, minute + 1)

    async def idempotency_keys(self) -> list[tuple[str, float]]:
        rows = await self._fetch(
            "SELECT key, EXTRACT(EPOCH FROM created_at::timestamptz)::float8 AS t FROM idempotency ORDER BY t"
        )
        return [(str(row[0]), float(row[1])) for row in rows]

    async def forget_idempotency_before(self, before: datetime) -> None:
        await self._execute("DELETE FROM idempotency WHERE created_at::timestamptz < $1", before)

    async def add_survey_answers(self, ticket: Ticket, channel: str, answered_at: datetime, answers: list[int]) -> bool:
        sql = dollar(SURVEY_INSERT) + " ON CONFLICT (ticket) DO NOTHING RETURNING ticket"
        return await self._fetchval(sql, *survey_row(ticket, channel, answered_at, answers)) is not None

    # --- writing -----------------------------------------------------------------------------------------

    async def write(self, batch: Batch) -> list[Event]:
        async with self.locked(sorted({e.site for e in batch.events})) as tx:
            return await tx.write(batch)

    def notifications(self) -> Notifications:
        return Notifications(self.dsn, self.role)

    @contextlib.asynccontextmanager
    async def locked(self, sites: Sequence[str]) -> AsyncIterator[SiteTransaction]:
        """A transaction holding the locks of `sites` until it commits (or rolls back, on any exception).

        Every round trip of the transaction waits for a turn of an event loop busy with HTTP, so the transaction
        is kept to five: BEGIN, the locks, the event numbers, one statement writing everything, COMMIT."""
        ordered = sorted(set(sites))
        async with self._writing:
            conn = await self._writer_connection()
            # The whole transaction within WRITE_SECONDS: past it the connection is cut (nothing committed) and the
            # engine treats it as any failed write.
            watch = _Watch(
                asyncio.get_running_loop(), asyncio.get_running_loop().time() + deadlines.WRITE_SECONDS, conn
            )
            try:
                async with conn.transaction():
                    try:
                        rows = await conn.fetch(_LOCK, ordered)
                        if len(rows) < len(ordered):  # a site's first write: its row, then the lock
                            await conn.execute(_NEW_HEADS, ordered)
                            rows = await conn.fetch(_LOCK, ordered)
                    except asyncpg.exceptions.LockNotAvailableError:  # waited LOCK_WAIT (lock_timeout)
                        raise SitesBusy(ordered) from None
                    tx = SiteTransaction(conn, {row[0]: int(row[1]) for row in rows}, self._types)
                    yield tx
            except (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError) as exc:
                await self._drop_writer()  # a new connection for the next transaction
                if watch.ran:
                    raise DatabaseTimeout("a write", self.write_seconds) from exc
                raise
            except asyncio.CancelledError:
                await self._drop_writer()  # its transaction's end unknown: not used again
                raise
            finally:
                watch.cancel()
        if tx.written:  # committed
            self.last_seq = max(self.last_seq, tx.written[-1].seq)

    async def _writer_connection(self) -> asyncpg.Connection[Any]:
        if self._writer is None or self._writer.is_closed():
            # A site's lock held elsewhere (a stalled process, a partition) is waited for LOCK_WAIT, not for ever:
            # this process's other sites are written by the same connection. And a transaction of this process
            # left open (the process paused mid-way) is ended by the server, so the others get the lock back.
            settings = {
                "lock_timeout": f"{LOCK_WAIT_MS}ms",
                "idle_in_transaction_session_timeout": deadlines.IDLE_IN_TRANSACTION,
            }
            self._writer = await postgresql.connect(self.dsn, server_settings=settings, role=self.role)
        return self._writer

    async def _drop_writer(self) -> None:
        if self._writer is not None:
            self._writer.terminate()
        self._writer = None


# A pooled connection PostgreSQL ended while it sat idle (the server shutting down sends each session a FATAL, then
# closes): asyncpg keeps it in its "error consume" state (2) until the close arrives, and a statement given it
# meanwhile raises InternalClientError naming that state. Seen under tests/test_pg_deadlines.py's stopped cluster as a
# background loop's traceback (a request would have been a 500) for the database going away; any other
# InternalClientError stays a bug.
_ERROR_CONSUME = re.compile(r"another operation \(2\) is in progress")


def _ended_by_the_server(exc: BaseException) -> bool:
    return isinstance(exc, asyncpg.exceptions.InternalClientError) and bool(_ERROR_CONSUME.search(str(exc)))


class _Watch:
    """Cuts a connection at a moment (a deadline), and remembers having done so."""

    def __init__(self, loop: asyncio.AbstractEventLoop, when: float, conn: asyncpg.Connection[Any]) -> None:
        self.ran = False
        self._conn = conn
        self._timer = loop.call_at(when, self._run)

    def _run(self) -> None:
        self.ran = True
        _cut(self._conn)

    def cancel(self) -> None:
        self._timer.cancel()


def _cut(conn: asyncpg.Connection[Any]) -> None:
    """End a connection at once, without a word to the server (which may not be listening)."""
    with contextlib.suppress(Exception):  # given back to the pool already, or cut before
        conn.terminate()


@contextlib.contextmanager
def _unhurried() -> Iterator[None]:
    token = _patience.set(deadlines.LONG_SECONDS)
    try:
        yield
    finally:
        _patience.reset(token)


class _Reconnects(logging.Filter):
    """asyncpg's pool logs a warning with a full traceback each time it fails to reopen a connection it keeps ready
    ("Failed to restore the pool connection floor; retrying"): ~20 per outage in bench/chaos.py, burying the
    server's own one-line messages. Each outage is said once here instead, in our words with the error, and its end
    once a connection opens again (_made). One filter for the process: its pools (the tests run several) share the
    database's outages."""

    FLOOR = "Failed to restore the pool connection floor"

    def __init__(self) -> None:
        super().__init__()
        self.failing = False

    def install(self) -> None:
        pool_log = logging.getLogger("asyncpg.pool")
        if self not in pool_log.filters:
            pool_log.addFilter(self)

    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith(self.FLOOR):
            return True
        if not self.failing:
            self.failing = True
            error = record.exc_info[1] if record.exc_info else None
            said = str(error) or f"no answer within {deadlines.CONNECT_SECONDS:g} s"  # a TimeoutError says nothing
            log.warning("PostgreSQL: the connection pool cannot open a connection (%s: %s); it keeps trying, and "
                        "says so again once one opens", type(error).__name__, said)  # fmt: skip
        return False

    def connected(self) -> None:
        if self.failing:
            self.failing = False
            log.warning("PostgreSQL: the connection pool opens connections again")


_reconnects = _Reconnects()


async def _made(conn: asyncpg.Connection[Any]) -> None:
    """Every new pooled connection: keepalives on its socket, and an outage's end said."""
    postgresql.keep_alive(conn)
    _reconnects.connected()


def _lock_key(name: str) -> int:
    """An advisory lock's number for a name."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


LOCK_WAIT_MS = 3000  # how long a write waits for a site's lock held by another process (then SitesBusy)
_LOCK = "SELECT site, seq FROM site_heads WHERE site = ANY($1::text[]) ORDER BY site FOR UPDATE"
_NEW_HEADS = "INSERT INTO site_heads (site, seq) SELECT unnest($1::text[]), 0 ON CONFLICT (site) DO NOTHING"
_INSERT = re.compile(r"INSERT INTO (\w+) \(([^)]*)\) VALUES \([?,\s]*\)(.*)", re.S)

# One request counted, in one statement (count_request): let through, and a row returned, only if the minute's count
# so far, plus the previous minute's weighted by the part of it still within the last 60 seconds, leaves room for
# it. Concurrent requests of one client wait for each other on its row (ON CONFLICT locks it and judges its newest
# count), so the limit holds across processes.
_COUNT_REQUEST = """
WITH earlier AS (
    SELECT COALESCE(MAX(hits), 0) * $4::float8 AS n
    FROM request_counts WHERE minute = $1::bigint - 1 AND name = $2 AND key = $3
)
INSERT INTO request_counts AS r (minute, name, key, hits)
SELECT $1::bigint, $2, $3, 1 FROM earlier WHERE earlier.n + 1 <= $5::int
ON CONFLICT (minute, name, key) DO UPDATE SET hits = r.hits + 1 WHERE r.hits + 1 + (SELECT n FROM earlier) <= $5::int
RETURNING hits
"""


class _AdvisoryLock:
    """A role held by a session advisory lock (PostgresStorage.exclusive)."""

    def __init__(self, conn: asyncpg.Connection[Any] | None, held: bool) -> None:
        self.conn = conn
        self.held = held
        self.answered = conn is not None

    async def still_held(self) -> bool:
        if self.conn is None or self.conn.is_closed():
            return False
        try:
            await self.conn.fetchval("SELECT 1", timeout=5)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
            return False
        return True


class _PooledConnection(asyncpg.Connection):  # type: ignore[misc]
    """No reset query when a connection goes back to the pool (a round trip per read): the pool's connections
    never change session state (no LISTEN, no advisory lock, no SET); asyncpg still ends an open transaction."""

    def get_reset_query(self) -> str:
        return ""


class SiteTransaction:
    """What the engine does while it holds sites' locks: catch up, look up keys, write."""

    def __init__(self, conn: asyncpg.Connection[Any], heads: dict[str, int], types: dict[str, dict[str, str]]) -> None:
        self.conn = conn
        self.heads = heads  # site -> the seq of its newest committed event
        self.types = types
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
        """The records of these keys' scopes (migration 0012's index), so that a key another process recorded for
        a different request is seen: the engine replays the same request and refuses another."""
        scopes = sorted({key.split("#", 1)[0] for key in keys})  # a scope holds no '#' (validation.COMMAND_ID)
        rows = await self.conn.fetch(
            "SELECT key, status, body FROM idempotency WHERE split_part(key, '#', 1) = ANY($1::text[])", scopes
        )
        return {str(row[0]): (int(row[1]), str(row[2])) for row in rows}

    async def write(self, batch: Batch) -> list[Event]:
        outside = {e.site for e in batch.events} - set(self.heads)
        if outside:
            raise RuntimeError(f"writing events of {sorted(outside)} without their lock")
        n = len(batch.events)
        seqs = [row[0] for row in await self.conn.fetch("SELECT nextval('events_seq') FROM generate_series(1, $1)", n)]
        numbered, statements = batch_statements(batch, sorted(seqs), batch.made_at)
        newest: dict[str, int] = {}
        for event in numbered:
            newest[event.site] = event.seq
        for sql, args in self._combined(statements, newest):
            await self.conn.execute(sql, *args)
        self.heads.update(newest)
        self.written.extend(numbered)
        return numbered

    def _combined(self, statements: Statements, newest: dict[str, int]) -> list[tuple[str, list[Any]]]:
        """The batch's statements as few as possible: each INSERT reads its rows from arrays (unnest), and they go
        together as data-modifying WITH clauses into one statement that also moves the heads and notifies (at
        commit, and only if it commits). A table written twice (a ticket's operator and its requeue time, both in
        ticket_facts) is written again in a statement of its own: one statement must not change a row twice."""
        parts: list[str] = []
        args: list[Any] = []
        later: list[tuple[str, list[Any]]] = []
        tables: set[str] = set()
        for sql, rows in statements:
            table, clause, clause_args = self._from_arrays(sql, rows, len(args))
            if table in tables:
                table, clause, clause_args = self._from_arrays(sql, rows, 0)
                later.append((clause, clause_args))
                continue
            tables.add(table)
            parts.append(f"w{len(parts)} AS ({clause})")
            args.extend(clause_args)
        if newest:
            k = len(args)
            parts.append(
                f"h AS (UPDATE site_heads SET seq = v.seq FROM unnest(${k + 1}::text[], ${k + 2}::bigint[]) "  # noqa: S608
                "AS v(site, seq) WHERE site_heads.site = v.site)"
            )
            args += [list(newest), list(newest.values())]
            notify = f"SELECT pg_notify('{CHANNEL}', p) FROM unnest(${k + 3}::text[]) AS p"  # noqa: S608
            args.append([f"{site}:{seq}" for site, seq in newest.items()])
        else:
            notify = "SELECT 1"
        first = (f"WITH {', '.join(parts)} {notify}" if parts else notify, args)
        return [first, *later]

    def _from_arrays(self, sql: str, rows: list[tuple[Any, ...]], offset: int) -> tuple[str, str, list[Any]]:
        """`INSERT INTO t (a, b) VALUES (?, ?) ...` as `INSERT INTO t (a, b) SELECT * FROM unnest($1::text[],
        $2::bigint[]) ...`, with one array per column."""
        match = _INSERT.fullmatch(sql.strip())
        if match is None:
            raise ValueError(f"not a multi-row INSERT: {sql[:60]}")
        table, names, rest = match.group(1), [c.strip() for c in match.group(2).split(",")], match.group(3)
        types = self.types[table]
        arrays = ", ".join(f"${offset + i + 1}::{types[name]}[]" for i, name in enumerate(names))
        columns = [list(column) for column in zip(*rows, strict=True)]
        clause = f"INSERT INTO {table} ({', '.join(names)}) SELECT * FROM unnest({arrays}){rest}"  # noqa: S608
        return table, clause, columns


class Notifications:
    """`LISTEN queue_events` on a connection of its own: which sites have new events. get() raises ConnectionError
    once the connection is lost; the follower then opens a new one and re-reads everything since its cursors."""

    def __init__(self, dsn: str, role: str = postgresql.COMMAND) -> None:
        self.dsn = dsn
        self.role = role
        self._conn: asyncpg.Connection[Any] | None = None
        self._pending: dict[str, int] = {}
        self._wake = asyncio.Event()
        self._lost = False

    async def __aenter__(self) -> Notifications:
        # LISTEN within READ_SECONDS; an idle connection whose server went silent is told by the follower's reads
        # of the heads every second failing, and by the keepalives (deadlines.py).
        self._conn = await postgresql.connect(self.dsn, role=self.role, command_timeout=deadlines.READ_SECONDS)
        try:
            self._conn.add_termination_listener(self._terminated)
            await self._conn.add_listener(CHANNEL, self._notified)
        except BaseException:  # cancelled or failed before the context began: __aexit__ will not close it
            await self.__aexit__()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._conn is not None and not self._conn.is_closed():
            await postgresql.close(self._conn)
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
            await background.woken(self._wake, quiet)
        self._wake.clear()
        if self._lost or self._conn is None or self._conn.is_closed():
            raise ConnectionError("the LISTEN connection to PostgreSQL was lost")
        pending, self._pending = self._pending, {}
        return pending
