"""The storage adapter a `--db` value names: a postgresql:// URL or a SQLite file."""

from __future__ import annotations

import asyncio
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from queue_server.persistence.port import StoragePort


def storage_for(database: Path | str, *, synchronous: str = "FULL", serving: bool = False) -> StoragePort:
    """`serving`: the storage of a server process (a PostgreSQL migration then finds it live), not a command's."""
    if isinstance(database, str) and database.startswith(("postgresql://", "postgres://")):
        from queue_server.persistence.postgresql_storage import PostgresStorage  # asyncpg only when asked for

        return PostgresStorage(database, serving=serving)
    from queue_server.persistence.storage import Storage

    return Storage(database, synchronous=synchronous)


def sites_held(database: Path | str) -> set[str]:
    """The sites a database holds data of (a site served once has a row of settings); none for a new database, or
    one that cannot be read now (whatever opens it next says why). For the command line, before it serves: from a
    thread of its own, so it may be asked inside a running event loop too."""
    if isinstance(database, Path):
        if not database.is_file():
            return set()
        conn = sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True)
        try:
            return {str(row[0]) for row in conn.execute("SELECT DISTINCT site FROM site_settings")}
        except sqlite3.DatabaseError:
            return set()
        finally:
            conn.close()
    with ThreadPoolExecutor(1) as apart:
        return apart.submit(asyncio.run, _postgresql_sites(database)).result()


async def _postgresql_sites(dsn: str) -> set[str]:
    from queue_server.persistence import postgresql

    try:
        conn = await postgresql.connect(dsn)
    except Exception:  # unreachable, refused: serve says so itself
        return set()
    try:
        if await conn.fetchval("SELECT to_regclass('site_settings')") is None:
            return set()
        return {str(row[0]) for row in await conn.fetch("SELECT DISTINCT site FROM site_settings")}
    finally:
        await conn.close()
