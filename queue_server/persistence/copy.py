"""Moving a mall up without losing history: `queue-server db copy SOURCE DEST` copies a whole SQLite database
(tickets, events, bookings, survey answers, accounts, sessions, devices, audit, idempotency records, settings, the
NIK key) into a PostgreSQL database.

The target is brought to the same schema version first and must be empty (a copy never merges into or overwrites
data). Everything is copied in one PostgreSQL transaction with COPY, the identity counters are moved past the copied
ids, and every table's row count is compared before the commit: a copy is whole or not there at all. The source
is opened read-only and must be at this release's version (`queue-server migrate --db SOURCE` first), with its
server stopped (the caller holds the server's lock on it).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from queue_server.persistence import postgresql, schema
from queue_server.persistence.schema import SchemaError

CHUNK = 5000  # rows per COPY batch: bounded memory for a year of events
# Copied first: sessions refer to users.
FIRST = ("meta", "users")


class CopyRefused(SchemaError):
    """The copy cannot be made as asked; nothing was written."""


def copy_sqlite_to_postgresql(
    source: Path, target: str, progress: Callable[[str], None] = lambda line: None
) -> dict[str, int]:
    """Copy every table of the SQLite database `source` into the empty PostgreSQL database `target`; the number
    of rows copied per table. A batch job with the server stopped: it reads SQLite on its own event loop."""
    if not source.is_file():
        raise CopyRefused(f"{source}: no such database file")
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return asyncio.run(_copy(src, source, target, progress))
    finally:
        src.close()


async def _copy(src: sqlite3.Connection, source: Path, target: str, progress: Callable[[str], None]) -> dict[str, int]:
    shown = postgresql.without_password(target)
    version, latest = schema.schema_version(src), schema.latest_version("sqlite")
    if version != latest:
        raise CopyRefused(
            f"{source} is at schema version {version}, this release at {latest}: "
            f"run `queue-server migrate --db {source}` first"
        )
    tables = [r[0] for r in src.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    tables = [*[t for t in FIRST if t in tables], *[t for t in tables if t not in FIRST]]
    conn = await postgresql.connect(target)
    try:
        await postgresql.migrate(conn, shown)
        types = await _column_types(conn)
        missing = sorted(set(tables) - set(types))
        if missing:
            raise CopyRefused(f"{shown} has no table {', '.join(missing)}: the schemas differ")
        await _refuse_non_empty(conn, tables, shown)
        counts: dict[str, int] = {}
        async with conn.transaction():
            for table in tables:
                counts[table] = await _copy_table(src, conn, table, types[table])
                progress(f"{table}: {counts[table]} rows")
            await _move_identities_on(conn)
            await _move_event_numbers_on(conn)
            for table in tables:
                copied = await conn.fetchval(f"SELECT count(*) FROM {table}")  # noqa: S608 - our table names
                expected = counts[table] + (1 if table == "meta" else 0)  # the target's own schema_version
                if copied != expected:
                    raise CopyRefused(f"{table}: {counts[table]} rows read, {copied} in {shown}; nothing kept")
        return counts
    finally:
        await conn.close()


async def _column_types(conn: Any) -> dict[str, dict[str, str]]:
    rows = await conn.fetch(
        "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'public'"
    )
    types: dict[str, dict[str, str]] = {}
    for row in rows:
        types.setdefault(row["table_name"], {})[row["column_name"]] = row["data_type"]
    return types


async def _refuse_non_empty(conn: Any, tables: list[str], shown: str) -> None:
    for table in tables:
        where = " WHERE key <> 'schema_version'" if table == "meta" else ""
        if await conn.fetchval(f"SELECT EXISTS (SELECT 1 FROM {table}{where})"):  # noqa: S608 - our table names
            raise CopyRefused(f"{shown} is not empty ({table} has rows): a copy goes into a new, empty database")


async def _copy_table(src: sqlite3.Connection, conn: Any, table: str, types: dict[str, str]) -> int:
    """One table by COPY, each value turned into its PostgreSQL column's type (SQLite's columns are loosely
    typed: a TEXT column may hold a number)."""
    columns = [r[1] for r in src.execute(f"PRAGMA table_info({table})")]
    convert = [_converter(types[c]) for c in columns]
    where = " WHERE key <> 'schema_version'" if table == "meta" else ""
    cursor = src.execute(f"SELECT {', '.join(columns)} FROM {table}{where}")  # noqa: S608 - our table names
    copied = 0
    while chunk := cursor.fetchmany(CHUNK):
        records = [tuple(None if v is None else f(v) for f, v in zip(convert, row, strict=True)) for row in chunk]
        await conn.copy_records_to_table(table, records=records, columns=columns)
        copied += len(records)
    return copied


def _converter(data_type: str) -> Callable[[Any], Any]:
    if data_type in ("bigint", "integer", "smallint"):
        return int
    return str


async def _move_event_numbers_on(conn: Any) -> None:
    """Each site's head and the next event number after the copied log (postgresql_storage.py reads both)."""
    await conn.execute("INSERT INTO site_heads (site, seq) SELECT site, MAX(seq) FROM events GROUP BY site")
    await conn.execute("SELECT setval('events_seq', COALESCE((SELECT MAX(seq) FROM events), 0) + 1, false)")


async def _move_identities_on(conn: Any) -> None:
    """The next id of every identity column after the largest copied one (COPY does not move them)."""
    rows = await conn.fetch(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = 'public' AND is_identity = 'YES'"
    )
    for row in rows:
        table, column = row["table_name"], row["column_name"]
        await conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "  # noqa: S608 - catalogue names
            f"COALESCE((SELECT max({column}) FROM {table}), 0) + 1, false)"
        )
