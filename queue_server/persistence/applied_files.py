"""What a database says of the site files put into service, read without changing anything (`queue-server
check-site --db` and `queue-server site-history`, which may run beside the servers or before a restart): per site,
the configuration in force, the site file it descends from, and the history of files applied (migration 0020)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from queue_server.persistence.port import SITE_FILE_SELECT
from queue_server.settings.site_history import AppliedFile
from queue_server.settings.sitefile import document_digest, normalised_document

_SETTINGS = "SELECT site, key, value FROM site_settings WHERE key IN ('configuration', 'site_file')"


@dataclass
class SiteFiles:
    """A site as its database holds it: the configuration version in force, the digest of the site file it
    descends from (`last`: the file last applied), and the files applied, oldest first."""

    version: int = 0
    last: str = ""
    history: list[AppliedFile] = field(default_factory=list)
    source: str = "file"  # where the version in force was made: "file", or "web" (saved on the Settings page)


class NoDatabase(Exception):
    """The database named does not exist (a SQLite file not there): nothing to compare with."""


def applied_files(database: Path | str) -> dict[str, SiteFiles]:
    """Every site's, from a thread of its own (so that it may be asked inside a running event loop too). A database
    older than migration 0020 has no history: only its configurations are known."""
    if isinstance(database, Path):
        return _sqlite(database)
    with ThreadPoolExecutor(1) as apart:
        return apart.submit(asyncio.run, _postgresql(database)).result()


def _sqlite(database: Path) -> dict[str, SiteFiles]:
    if not database.is_file():
        raise NoDatabase(str(database))
    conn = sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True)
    try:
        sites = _sites(conn.execute(_SETTINGS).fetchall())
        try:
            history = conn.execute(SITE_FILE_SELECT.format(where="")).fetchall()
        except sqlite3.OperationalError:  # before migration 0020
            history = []
    finally:
        conn.close()
    return _with_history(sites, history)


async def _postgresql(dsn: str) -> dict[str, SiteFiles]:
    from queue_server.persistence import postgresql

    conn = await postgresql.connect(dsn)
    try:
        if await conn.fetchval("SELECT to_regclass('site_settings')") is None:
            return {}
        sites = _sites([tuple(row) for row in await conn.fetch(_SETTINGS)])
        history: list[tuple[Any, ...]] = []
        if await conn.fetchval("SELECT to_regclass('site_file_history')") is not None:
            history = [tuple(row) for row in await conn.fetch(SITE_FILE_SELECT.format(where=""))]
    finally:
        await conn.close()
    return _with_history(sites, history)


def _sites(settings: list[tuple[Any, ...]]) -> dict[str, SiteFiles]:
    """The stored configuration's version and file_hash; with none stored, the site file served (version 0)."""
    sites: dict[str, SiteFiles] = {}
    for site, key, value in sorted(settings, key=lambda row: row[1] != "site_file"):  # a configuration last: it wins
        data = json.loads(value)
        if key == "configuration":
            source = str(data.get("source", "file"))
            sites[site] = SiteFiles(int(data["version"]), str(data["file_hash"]), source=source)
        else:
            sites[site] = SiteFiles(0, document_digest(normalised_document(data)))
    return sites


def _with_history(sites: dict[str, SiteFiles], rows: list[tuple[Any, ...]]) -> dict[str, SiteFiles]:
    for row in rows:
        applied = AppliedFile(*row)
        sites.setdefault(applied.site, SiteFiles()).history.append(applied)
    return sites
