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
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from queue_server.persistence.schema import (
    Migration,
    MigrationFailed,
    Outcome,
    SchemaError,
    SchemaTooNew,
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


async def connect(dsn: str, server_settings: dict[str, str] | None = None) -> asyncpg.Connection[Any]:
    connection: asyncpg.Connection[Any] = await asyncpg.connect(dsn, server_settings=server_settings)
    return connection


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
    conn: asyncpg.Connection[Any], name: str = "postgresql", available: Sequence[Migration] | None = None
) -> Outcome:
    """Bring the database to the newest version, one migration per transaction, safe against other processes
    migrating at the same time. `name` says which database in messages (see without_password)."""
    available = migrations(DIALECT) if available is None else available
    # One migrator at a time, for the whole run: a lock taken inside each migration's transaction is not enough,
    # because a transaction that waited for it still sees the catalogue as it was when it began (measured: four
    # processes starting together each applied 0001). Every read of the version below starts a new transaction.
    await conn.execute("SELECT pg_advisory_lock($1)", SCHEMA_LOCK)
    try:
        before = await schema_version(conn, name)
        if before > len(available):
            raise SchemaTooNew(name, before, len(available))
        version = before
        applied: list[str] = []
        for migration in available[before:]:
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
