"""The storage adapter a `--db` value names: a postgresql:// URL or a SQLite file."""

from __future__ import annotations

from pathlib import Path

from queue_server.persistence.port import StoragePort


def storage_for(database: Path | str, *, synchronous: str = "NORMAL") -> StoragePort:
    if isinstance(database, str) and database.startswith(("postgresql://", "postgres://")):
        from queue_server.persistence.postgresql_storage import PostgresStorage  # asyncpg only when asked for

        return PostgresStorage(database)
    from queue_server.persistence.storage import Storage

    return Storage(database, synchronous=synchronous)
