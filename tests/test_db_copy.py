"""`queue-server db copy`: a whole SQLite database into PostgreSQL, compared row by row, refused into a non-empty
target, all or nothing. The source is the demo mall's database after a simulated day (tests/fixtures: written by
the server itself; tickets in every state, events, bookings, survey answers, accounts, sessions, devices, audit)."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from queue_server.persistence import schema
from queue_server.persistence.copy import CopyRefused, copy_sqlite_to_postgresql

from .pg_support import new_database, throwaway_cluster

pytestmark = pytest.mark.postgresql

FIXTURE = Path(__file__).parent / "fixtures" / "db_main_45c7957.sqlite3"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    with throwaway_cluster() as url:
        yield url


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """The fixture, migrated to this release (as `queue-server migrate` would)."""
    path = tmp_path / "mall.sqlite3"
    shutil.copy(FIXTURE, path)
    con = sqlite3.connect(path, isolation_level=None)
    schema.migrate(con)
    # What staff set from a kiosk's panel (migration 0030), which the fixture predates.
    con.execute("INSERT INTO kiosk_printers VALUES (2, 'tegal', '{\"mode\":\"network\",\"host\":\"192.168.1.50\"}', "
                "'2026-11-23T02:00:00.000000+00:00', 'admin')")  # fmt: skip
    con.execute("INSERT INTO site_public_urls VALUES ('tegal', 'https://antrean.tegalkab.go.id', "
                "'2026-11-23T02:00:00.000000+00:00', NULL)")  # fmt: skip
    con.close()
    return path


def _sqlite_rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    con = sqlite3.connect(path)
    tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    rows = {t: sorted(con.execute(f"SELECT * FROM {t}"), key=repr) for t in tables}  # noqa: S608
    con.close()
    return rows


async def _pg_rows(url: str, tables: list[str]) -> dict[str, list[tuple[Any, ...]]]:
    conn = await asyncpg.connect(url)
    try:
        return {t: sorted((tuple(r) for r in await conn.fetch(f"SELECT * FROM {t}")), key=repr) for t in tables}  # noqa: S608
    finally:
        await conn.close()


async def _next_audit_id(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        new_id: int = await conn.fetchval(
            "INSERT INTO audit (site, at, actor, role, action, target, details, seq) "
            "VALUES ('tegal', 'x', 'a', 'admin', 'day.close', 'day x', '{}', 1) RETURNING id"
        )
        return new_id
    finally:
        await conn.close()


# The copy runs its own event loop (a batch job), so these tests are plain functions.
def test_a_whole_database_is_copied_row_by_row(cluster: str, source: Path) -> None:
    before = _sqlite_rows(source)
    assert len(before["tickets"]) > 10 and before["survey_responses"] and before["audit"] and before["devices"]
    assert before["kiosk_printers"] and before["site_public_urls"]
    target = asyncio.run(new_database(cluster))
    lines: list[str] = []
    counts = copy_sqlite_to_postgresql(source, target, progress=lines.append)
    assert counts == {t: len(rows) - (1 if t == "meta" else 0) for t, rows in before.items()}
    assert any(line.startswith("tickets: ") for line in lines)
    after = asyncio.run(_pg_rows(target, list(before)))
    assert after == before, "every row of every table, value for value"
    assert _sqlite_rows(source) == before, "the source is only read"
    assert asyncio.run(_next_audit_id(target)) == max(row[0] for row in before["audit"]) + 1, "ids go on"


def test_a_target_with_data_is_refused_and_left_as_it_was(cluster: str, source: Path) -> None:
    target = asyncio.run(new_database(cluster))
    copy_sqlite_to_postgresql(source, target)
    tables = list(_sqlite_rows(source))
    before = asyncio.run(_pg_rows(target, tables))
    with pytest.raises(CopyRefused, match="not empty"):
        copy_sqlite_to_postgresql(source, target)
    assert asyncio.run(_pg_rows(target, tables)) == before


def test_a_source_behind_this_release_is_refused(cluster: str, tmp_path: Path) -> None:
    old = tmp_path / "old.sqlite3"
    shutil.copy(FIXTURE, old)
    con = sqlite3.connect(old, isolation_level=None)
    con.execute("UPDATE meta SET value = '0' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(CopyRefused, match="queue-server migrate"):
        copy_sqlite_to_postgresql(old, asyncio.run(new_database(cluster)))
    with pytest.raises(CopyRefused, match="no such database file"):
        copy_sqlite_to_postgresql(tmp_path / "missing.sqlite3", asyncio.run(new_database(cluster)))


def test_the_command_copies_and_says_what_it_did(cluster: str, source: Path) -> None:
    target = asyncio.run(new_database(cluster))
    cmd = [sys.executable, "-m", "queue_server", "db", "copy", str(source), target]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    assert "tickets: " in done.stdout and "every count checked" in done.stdout
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=ROOT, check=False)
    assert again.returncode != 0 and "not empty" in again.stderr and "Traceback" not in again.stderr
    wrong = subprocess.run([*cmd[:-1], "var/other.sqlite3"], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert wrong.returncode != 0 and "postgresql://" in wrong.stderr
