"""PostgreSQL, the system of record of a deployment larger than one box (issue "Beyond one box").

The driver is asyncpg: asyncio-native (no thread hop per statement, unlike aiosqlite), prepared statements cached per
connection, binary protocol, and LISTEN/NOTIFY through `add_listener`, which the cross-process event feed needs.
psycopg 3 was the other candidate (sync and async, richer typing, pipeline mode); asyncpg's lower cost per
statement on the issuing path and its maturity under asyncio decided it.

What is here: connecting, and the schema's migrations for PostgreSQL: the same numbered steps as SQLite's
(`migrations/NNNN_what.postgresql.sql` beside `NNNN_what.sqlite.sql`), the same `meta.schema_version`, the same
refusal of a newer database. Several server processes may start at once against one database: each migration runs
in a transaction of its own, and a session-level advisory lock lets one process migrate at a time: the others find
it applied. The storage adapter (the engine's reads and writes) is postgresql_storage.py.

Every connection names itself (`application_name`, seen in `pg_stat_activity`): `queue-server serve PID HOST` for a
serving process's, `queue-server migrate ...` for the one migrating, `queue-server command ...` for the command
line's. A migration is refused while server processes are using the database (ServersRunning): on SQLite the lock
file refuses a second process, here nothing else would stop `queue-server migrate`, or a newer release's `serve`,
from changing the schema under processes that serve (an outside review saw migration 0014 hold `tickets` for 8 s
under a live process, its kiosks waiting and answered 503, and that process's tickets never saved). Processes of a
release before the names are found by their LISTEN connection instead (see live_servers).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import asyncpg

from queue_server.persistence import deadlines
from queue_server.persistence.schema import (
    Migration,
    MigrationFailed,
    Outcome,
    SchemaError,
    SchemaTooNew,
    ServersRunning,
    migrations,
)
from queue_server.settings.config import without_password as without_password  # its callers' name for it

DIALECT = "postgresql"
# pg_advisory_xact_lock key of "the schema is being changed": one number for the whole database (b"mppschem").
SCHEMA_LOCK = 0x6D7070736368656D
_READ_VERSION = "SELECT value FROM meta WHERE key = 'schema_version'"
_WRITE_VERSION = (
    "INSERT INTO meta (key, value) VALUES ('schema_version', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
)


def is_postgresql(database: str) -> bool:
    """Whether a `--db` value names a PostgreSQL database (a URL) rather than a SQLite file."""
    return database.startswith(("postgresql://", "postgres://"))


SERVE, MIGRATE, COMMAND = "serve", "migrate", "command"  # what a connection is for, in its application_name
_NAMED = "queue-server"
CHANNEL = "queue_events"  # LISTENed to by every serving process (postgresql_storage.Notifications)


def application_name(role: str) -> str:
    """`queue-server ROLE PID HOST`, as PostgreSQL keeps it: ASCII, at most 63 bytes (a long host name is cut)."""
    name = f"{_NAMED} {role} {os.getpid()} {socket.gethostname()}"
    return name.encode("ascii", "replace").decode("ascii")[:63]


async def connect(
    dsn: str,
    server_settings: dict[str, str] | None = None,
    *,
    role: str = COMMAND,
    command_timeout: float | None = None,
) -> asyncpg.Connection[Any]:
    """A connection named for `role` (an application_name in the URL is replaced: it is how migrate finds servers),
    made within deadlines.CONNECT_SECONDS, with TCP keepalives on both ends. `command_timeout`: each statement's
    deadline (asyncpg's); none for a migration or a command of the command line, which may rightly take minutes."""
    settings = {**(server_settings or {}), **server_keepalives(), "application_name": application_name(role)}
    # Cancelled while connecting (a server stopping, a follower's task cancelled), asyncpg can leave the connection
    # it was making open for the garbage collector (asyncpg issue 464): the connect runs shielded, and what it makes
    # after a cancel is closed.
    making = asyncio.ensure_future(
        asyncpg.connect(
            dsn, server_settings=settings, timeout=deadlines.CONNECT_SECONDS, command_timeout=command_timeout
        )
    )
    try:
        connection: asyncpg.Connection[Any] = await asyncio.shield(making)
    except asyncio.CancelledError:
        making.add_done_callback(_close_unwanted)
        raise
    except TimeoutError:
        raise deadlines.DatabaseTimeout("a new connection", deadlines.CONNECT_SECONDS) from None
    keep_alive(connection)
    return connection


def server_keepalives() -> dict[str, str]:
    """The server's side of the keepalives (deadlines.KEEPALIVE_*): it notices a vanished client and ends its
    session, locks and all. Ignored by PostgreSQL on a Unix socket."""
    return {
        "tcp_keepalives_idle": str(deadlines.KEEPALIVE_IDLE_SECONDS),
        "tcp_keepalives_interval": str(deadlines.KEEPALIVE_INTERVAL_SECONDS),
        "tcp_keepalives_count": str(deadlines.KEEPALIVE_COUNT),
    }


def keep_alive(connection: asyncpg.Connection[Any]) -> None:
    """Our side: keepalives and TCP_USER_TIMEOUT on the connection's TCP socket, so a peer gone silent ends the
    connection instead of leaving it waiting (deadlines.py). A Unix socket has no such options and needs none: the
    same machine's kernel tells of a server gone.

    Through asyncpg's private `_transport`, as there is no public way (asyncpg 0.32): connect() takes no socket
    options nor a socket factory, and what libpq reads from the URL for its own socket is sent to PostgreSQL as
    settings of the session instead: `keepalives*` are refused as unknown, and `tcp_user_timeout` sets the server's
    socket, not ours (asyncpg issue 606, open). So the guard: an asyncpg without `_transport` leaves the socket as
    it is, and the deadlines still hold; tests/test_pg_deadlines.py checks the options are set with the asyncpg
    installed."""
    transport = getattr(connection, "_transport", None)
    sock = transport.get_extra_info("socket") if transport is not None else None
    if sock is None or sock.family not in (socket.AF_INET, socket.AF_INET6):
        return
    with contextlib.suppress(OSError, AttributeError):  # an option this system lacks: the deadlines still hold
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, deadlines.KEEPALIVE_IDLE_SECONDS)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, deadlines.KEEPALIVE_INTERVAL_SECONDS)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, deadlines.KEEPALIVE_COUNT)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, deadlines.UNACKNOWLEDGED_SECONDS * 1000)


async def close(connection: asyncpg.Connection[Any]) -> None:
    """Close `connection` politely; failing, not done within deadlines.CONNECT_SECONDS (a silent server), or
    cancelled meanwhile (a stop), cut it (terminate): never left open for the garbage collector, whose warning would
    land on whatever runs next."""
    try:
        await connection.close(timeout=deadlines.CONNECT_SECONDS)
    except asyncio.CancelledError:
        connection.terminate()
        raise
    except Exception:  # the server gone already: nothing to say goodbye to
        connection.terminate()


def _close_unwanted(making: asyncio.Future[asyncpg.Connection[Any]]) -> None:
    if not making.cancelled() and making.exception() is None:
        making.result().terminate()  # at once, without a round trip: nobody waits for it


# The server processes using the database, but this session: by name, and (a release before the names) by the
# LISTEN connection every serving process keeps. A `migrate` connection waiting for the schema lock is not one.
_LIVE = f"""
SELECT application_name, client_addr::text, backend_start, pid FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid()
  AND (application_name LIKE '{_NAMED} {SERVE} %'
       OR (application_name NOT LIKE '{_NAMED} %' AND query ILIKE 'LISTEN %{CHANNEL}%'))
ORDER BY backend_start, pid
"""  # noqa: S608 - constants only


async def live_servers(conn: asyncpg.Connection[Any]) -> tuple[str, ...]:
    """The server processes connected to the database, as a person can find them: this release's and later ones'
    by host and process id (`mpp-box-1 (pid 4211, 4212)`); an earlier release's, which do not name their
    connections, by their LISTEN connection: where from and since when. That last one needs the same role as theirs
    (or pg_read_all_stats): PostgreSQL hides another role's queries."""
    found: dict[str, list[str]] = {}
    earlier: list[str] = []
    for name, address, since, backend in await conn.fetch(_LIVE):
        if name.startswith(f"{_NAMED} {SERVE} "):
            _, _, pid, *host = name.split(" ", 3)
            pids = found.setdefault(host[0] if host else "?", [])
            if pid not in pids:
                pids.append(pid)
            continue
        where = f"from {address}" if address else "on the database's machine (local socket)"
        earlier.append(
            f"a server of an earlier release connected {where} since {_when(since)} (its PostgreSQL backend {backend})"
        )
    named = [f"{host} (pid {', '.join(pids)})" for host, pids in found.items()]
    return (*named, *earlier)


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


async def schema_version(conn: asyncpg.Connection[Any], name: str = "postgresql") -> int:
    """The database's version; 0 for a new one (no meta table, or no version in it yet)."""
    if await conn.fetchval("SELECT to_regclass('meta')") is None:
        return 0
    value = await conn.fetchval(_READ_VERSION)
    if value is None:
        return 0
    try:
        return int(value)
    except ValueError:
        raise SchemaError(f"the database {name} has schema_version {value!r}, not a number") from None


async def migrate(
    conn: asyncpg.Connection[Any],
    name: str = "postgresql",
    available: Sequence[Migration] | None = None,
    *,
    force: bool = False,
) -> Outcome:
    """Bring the database to the newest version, one migration per transaction, safe against other processes
    migrating at the same time. `name` says which database in messages (see without_password). With migrations due
    and server processes using the database, nothing is applied (ServersRunning) unless `force`; with none due,
    nothing is asked (several processes start together every morning)."""
    available = migrations(DIALECT) if available is None else available
    # One migrator at a time, for the whole run: a lock taken inside each migration's transaction is not enough,
    # because a transaction that waited for it still sees the catalogue as it was when it began (measured: four
    # processes starting together each applied 0001). Every read of the version below starts a new transaction.
    await conn.execute("SELECT pg_advisory_lock($1)", SCHEMA_LOCK)
    try:
        before = await schema_version(conn, name)
        if before > len(available):
            raise SchemaTooNew(name, before, len(available))
        due = available[before:]
        if due and not force:
            servers = await live_servers(conn)
            if servers:
                raise ServersRunning(name, tuple(m.name for m in due), servers)
        version = before
        applied: list[str] = []
        for migration in due:
            try:
                await _apply(conn, migration)
                applied.append(migration.name)
                version = migration.number
            except Exception as exc:
                reason = f"{type(exc).__name__}: {exc}"
                raise MigrationFailed(name, migration.name, version, reason, tuple(applied)) from exc
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", SCHEMA_LOCK)
    return Outcome(before, version, tuple(applied))


async def _apply(conn: asyncpg.Connection[Any], migration: Migration) -> None:
    """One migration and its version bump in one transaction."""
    async with conn.transaction():
        await conn.execute(migration.sql())  # several statements: the simple query protocol runs them in order
        await conn.execute(_WRITE_VERSION, str(migration.number))
