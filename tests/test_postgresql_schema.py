"""The schema's migrations on PostgreSQL (a throwaway cluster of this test run): the same versions, tables and
columns as on SQLite, applied once even when several server processes start at the same moment."""

from __future__ import annotations

import asyncio
import gc
import os
import socket
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from queue_server.persistence import postgresql, schema
from queue_server.persistence.port import utc_iso
from queue_server.persistence.postgresql_storage import PRESENCE_TABLES
from queue_server.persistence.schema import Migration, MigrationFailed, SchemaTooNew, ServersRunning

from .pg_support import new_database, throwaway_cluster

pytestmark = pytest.mark.postgresql


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    with throwaway_cluster() as url:
        yield url


async def _columns(url: str) -> dict[str, list[str]]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' "
            "ORDER BY table_name, ordinal_position"
        )
    finally:
        await conn.close()
    tables: dict[str, list[str]] = {}
    for row in rows:
        tables.setdefault(row["table_name"], []).append(row["column_name"])
    return tables


def _sqlite_columns() -> dict[str, list[str]]:
    con = sqlite3.connect(":memory:")
    schema.migrate(con)
    names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    return {name: [r[1] for r in con.execute(f"PRAGMA table_info({name})")] for name in names}


def test_both_dialects_have_the_same_numbered_migrations() -> None:
    sqlite = [(m.number, m.name) for m in schema.migrations("sqlite")]
    postgres = [(m.number, m.name) for m in schema.migrations("postgresql")]
    assert sqlite == postgres and sqlite, "every migration is written for both dialects"


async def test_a_new_database_gets_the_same_tables_and_columns_as_sqlite(cluster: str) -> None:
    url = await new_database(cluster)
    conn = await postgresql.connect(url)
    try:
        outcome = await postgresql.migrate(conn)
        assert outcome.before == 0 and outcome.after == schema.latest_version("postgresql")
        assert outcome.applied == tuple(m.name for m in schema.migrations("postgresql"))
        assert await postgresql.schema_version(conn) == outcome.after
        again = await postgresql.migrate(conn)
        assert again.before == again.after == outcome.after and again.applied == ()
    finally:
        await conn.close()
    # The same tables and columns, but for what only several processes need (0002_site_heads, 0004_screen_presence,
    # 0010_device_presence, 0011_uplink_status, 0015_request_counts, 0017_desk_presence, 0018_process_alerts).
    only_shared = {
        "site_heads": ["site", "seq"],
        "screen_presence": ["process", "site", "screen", "seen_at"],
        "device_presence": ["process", "device", "site", "health", "seen_at"],
        "uplink_status": ["site", "status", "said_at"],
        "request_counts": ["minute", "name", "key", "hits"],
        "desk_presence": ["process", "site", "counter", "account", "display_name", "seen_at"],
        "process_alerts": ["process", "alerts", "seen_at"],
    }
    assert await _columns(url) == {**_sqlite_columns(), **only_shared}


async def test_processes_starting_together_apply_each_migration_once(cluster: str) -> None:
    url = await new_database(cluster)
    conns = [await postgresql.connect(url) for _ in range(4)]
    try:
        outcomes = await asyncio.gather(*(postgresql.migrate(c) for c in conns))
    finally:
        for conn in conns:
            await conn.close()
    applied = [name for outcome in outcomes for name in outcome.applied]
    assert sorted(applied) == sorted(m.name for m in schema.migrations("postgresql")), "each once, by one process"
    assert {outcome.after for outcome in outcomes} == {schema.latest_version("postgresql")}


async def test_a_migration_due_is_refused_while_a_server_process_is_connected(cluster: str) -> None:
    """An outside review ran a newer release's migration under a live process: 0014 held `tickets` for 8 s, kiosks
    waited and were answered 503, and that process's tickets were never saved. Now a migration due is refused while a
    server's connection is there, naming its machine and process; --force applies it; nothing due, nothing asked."""
    url = await new_database(cluster)
    available = schema.migrations("postgresql")
    conn = await postgresql.connect(url, role=postgresql.MIGRATE)
    await postgresql.migrate(conn, "test", available[:-1])  # the previous release's schema
    serving = await postgresql.connect(url, role=postgresql.SERVE)  # a server process's connection (its pool's)
    try:
        with pytest.raises(ServersRunning) as refused:
            await postgresql.migrate(conn, postgresql.without_password(url))
        said = str(refused.value)
        assert f"{socket.gethostname()[:40]}" in said and f"(pid {os.getpid()})" in said, said
        assert refused.value.pending == (available[-1].name,) and available[-1].name in said
        assert "Stop every server process" in said and "queue-server migrate --force" in said
        assert await postgresql.schema_version(conn) == len(available) - 1, "nothing applied"
        forced = await postgresql.migrate(conn, "test", force=True)
        assert forced.applied == (available[-1].name,) and forced.after == len(available)
        again = await postgresql.migrate(conn, "test")  # the server still there, nothing due: no refusal
        assert again.applied == () and again.after == len(available)
    finally:
        await serving.close()
        await conn.close()


async def test_a_server_of_an_earlier_release_is_found_by_its_listen_connection(cluster: str) -> None:
    """A release before the connections were named: each of its server processes keeps a connection LISTENing for
    the others' events. Other connections (the command line, a migration waiting its turn, psql) are no server."""
    url = await new_database(cluster)
    available = schema.migrations("postgresql")
    conn = await postgresql.connect(url, role=postgresql.MIGRATE)
    others = [
        await postgresql.connect(url),  # `queue-server user add`, say
        await postgresql.connect(url, role=postgresql.MIGRATE),  # another release's start, waiting for the lock
        await asyncpg.connect(url, server_settings={"application_name": "psql"}),
    ]
    earlier = await asyncpg.connect(url)  # named nothing, as asyncpg leaves it
    try:
        await postgresql.migrate(conn, "test", available[:-1])
        assert await postgresql.live_servers(conn) == ()
        await earlier.add_listener("queue_events", lambda *_: None)
        servers = await postgresql.live_servers(conn)
        assert len(servers) == 1, servers
        assert servers[0].startswith("a server of an earlier release connected on the database's machine (local")
        assert "since 20" in servers[0] and "UTC" in servers[0], servers
        with pytest.raises(ServersRunning):
            await postgresql.migrate(conn, "test")
        await earlier.close()
        await asyncio.sleep(0.2)  # the backend goes with its connection
        assert (await postgresql.migrate(conn, "test")).applied == (available[-1].name,)
    finally:
        for other in [*others, earlier]:
            await other.close()
        await conn.close()


def test_a_connection_is_named_within_postgresql_s_limit() -> None:
    name = postgresql.application_name(postgresql.SERVE)
    assert name.startswith(f"queue-server serve {os.getpid()} ") and len(name.encode()) <= 63


async def test_a_newer_database_is_refused_untouched(cluster: str) -> None:
    url = await new_database(cluster)
    conn = await postgresql.connect(url)
    try:
        await postgresql.migrate(conn)
        newer = schema.latest_version("postgresql") + 1
        await conn.execute("UPDATE meta SET value = $1 WHERE key = 'schema_version'", str(newer))
        with pytest.raises(SchemaTooNew) as refused:
            await postgresql.migrate(conn, postgresql.without_password(url))
        assert f"schema version {newer}" in str(refused.value)
        assert await postgresql.schema_version(conn) == newer
    finally:
        await conn.close()


async def test_a_failing_migration_leaves_the_database_as_it_was(cluster: str, tmp_path: Path) -> None:
    url = await new_database(cluster)
    n = schema.latest_version("postgresql") + 1
    broken = tmp_path / f"{n:04d}_broken.postgresql.sql"
    broken.write_text("CREATE TABLE extra (id BIGINT PRIMARY KEY);\nINSERT INTO no_such_table VALUES (1);\n")
    available = (*schema.migrations("postgresql"), Migration(n, f"{n:04d}_broken", broken))
    conn = await postgresql.connect(url)
    try:
        with pytest.raises(MigrationFailed) as failed:
            await postgresql.migrate(conn, "test", available)
        assert failed.value.migration == f"{n:04d}_broken" and "no_such_table" in str(failed.value)
        assert await postgresql.schema_version(conn) == n - 1
        assert await conn.fetchval("SELECT to_regclass('extra')") is None, "rolled back whole"
    finally:
        await conn.close()


def test_a_password_never_reaches_a_message() -> None:
    shown = postgresql.without_password("postgresql://queue:s3cret@db.example:5432/mpp")
    assert shown == "postgresql://queue:***@db.example:5432/mpp"
    assert postgresql.is_postgresql("postgresql://x/y") and not postgresql.is_postgresql("var/queue.sqlite3")


async def test_0014_keeps_labels_issued_twice_and_refuses_any_more(cluster: str) -> None:
    """As tests/test_migrations.py on SQLite: a database holding twins of the old bug (a service took the letter of
    another's tickets of the day) is upgraded, no label changes, the later twin is marked, and no other ticket of any
    day may take a label of its day again."""
    url = await new_database(cluster)
    conn = await postgresql.connect(url)
    columns = ("id", "site", "service", "agency", "series", "day", "number", "label", "state", "channel", "token",
               "parent", "issued_at", "seq", "doc")  # fmt: skip
    insert = f"INSERT INTO tickets ({', '.join(columns)}) VALUES ({', '.join(f'${i}' for i in range(1, 16))})"  # noqa: S608

    def ticket(id_: str, series: str, number: int, label: str, minute: int, **more: Any) -> list[Any]:
        row = {"id": id_, "site": "tegal", "service": series, "agency": "disdukcapil", "series": series,
               "day": "2026-11-24", "number": number, "label": label, "state": "waiting", "channel": "kiosk",
               "token": f"tok-{id_}", "parent": None, "issued_at": f"2026-11-24T01:{minute:02d}:00+00:00", "seq": 1,
               "doc": "{}", **more}  # fmt: skip
        return [row[c] for c in columns]

    try:
        await postgresql.migrate(conn, "test", schema.migrations("postgresql")[:13])
        await conn.executemany(insert, [
            ticket("kia-1", "kia", 1, "D-001", 0),
            ticket("kk-1", "kk", 1, "D-001", 5),  # KK took the letter D: the same label again
            ticket("kk-1-leg", "kk", 1, "D-001", 5, service="akta", parent="kk-1"),  # moved on: a transfer leg
            ticket("kia-monday", "kia", 1, "D-001", 0, day="2026-11-23"),  # another day's D-001
        ])  # fmt: skip
        outcome = await postgresql.migrate(conn)
        assert "0014_ticket_labels" in outcome.applied and outcome.after == schema.latest_version("postgresql")
        rows = {r["id"]: (r["label"], r["label_exempt"]) for r in await conn.fetch("SELECT * FROM tickets")}
        assert rows == {"kia-1": ("D-001", None), "kk-1": ("D-001", "repeated"), "kk-1-leg": ("D-001", None),
                        "kia-monday": ("D-001", None)}, "no label changed; the later twin marked"  # fmt: skip
        with pytest.raises(asyncpg.UniqueViolationError, match="tickets_label"):
            await conn.execute(insert, *ticket("akta-7", "akta", 7, "D-001", 9))
        await conn.execute(insert, *ticket("kia-tuesday", "kia", 1, "D-001", 0, day="2026-11-25"))
    finally:
        await conn.close()


async def test_the_presence_reads_and_the_hourly_deletion_find_their_rows_by_index(cluster: str) -> None:
    """Every process reads the others' presence rows of the last 15 seconds every 5 seconds, and deletes the rows
    older than an hour: on tables a national deployment's screens and counters fill (here 20,000 rows said over the
    last hour by 50 processes), the planner takes the `seen_at` indexes (migrations 0016, 0017), not a scan of every
    row."""
    url = await new_database(cluster)
    conn = await postgresql.connect(url)
    try:
        await postgresql.migrate(conn)
        now = datetime.now(UTC)

        def said(n: int) -> str:  # spread over the last hour
            return utc_iso(now - timedelta(seconds=n % 3600))

        await conn.executemany(
            "INSERT INTO device_presence (process, device, site, health, seen_at) VALUES ($1, $2, $3, '{}', $4)",
            [(f"host:{n % 50}:x", n, f"site-{n % 300}", said(n)) for n in range(20_000)],
        )
        await conn.executemany(
            "INSERT INTO screen_presence (process, site, screen, seen_at) VALUES ($1, $2, $3, $4)",
            [(f"host:{n % 50}:x", f"site-{n % 300}", f"screen-{n}", said(n)) for n in range(20_000)],
        )
        await conn.executemany(
            "INSERT INTO desk_presence (process, site, counter, account, display_name, seen_at) "
            "VALUES ($1, $2, $3, $4, NULL, $5)",
            [(f"host:{n % 50}:x", f"site-{n % 300}", str(n % 30), f"op-{n}", said(n)) for n in range(20_000)],
        )
        await conn.execute("ANALYZE device_presence; ANALYZE screen_presence; ANALYZE desk_presence")
        fresh, old = utc_iso(now - timedelta(seconds=15)), utc_iso(now - timedelta(hours=1))
        # As postgresql_storage.py asks them, with the times as parameters.
        statements = {
            "device_presence_seen": ("SELECT health FROM device_presence WHERE process <> $1 AND seen_at >= $2", fresh),
            "screen_presence_seen": (
                "SELECT DISTINCT site, screen FROM screen_presence WHERE process <> $1 AND seen_at >= $2",
                fresh,
            ),
            "desk_presence_seen": (
                "SELECT DISTINCT site, counter, account, display_name FROM desk_presence WHERE process <> $1 "
                "AND seen_at >= $2",
                fresh,
            ),
        }
        for index, (sql, since) in statements.items():
            plan = "\n".join(row[0] for row in await conn.fetch(f"EXPLAIN {sql}", "me", since))
            assert index in plan, plan
        indexed = await conn.fetch("SELECT tablename FROM pg_indexes WHERE indexname = tablename || '_seen'")
        assert sorted(row[0] for row in indexed) == sorted(PRESENCE_TABLES), "every presence table, by seen_at"
        for table in ("device_presence", "screen_presence", "desk_presence"):
            deletion = f"EXPLAIN DELETE FROM {table} WHERE seen_at < $1"  # noqa: S608 - a name of this test's
            plan = "\n".join(row[0] for row in await conn.fetch(deletion, old))
            assert f"{table}_seen" in plan, plan
    finally:
        await conn.close()


async def test_a_connection_cancelled_while_it_is_made_is_not_left_open(pg_cluster: str) -> None:
    """A server stopping cancels its tasks, some of them connecting: asyncpg could leave the connection it was making
    to the garbage collector, whose ResourceWarning then failed whichever test ran next (a flaky suite). Cancelled at
    any point, postgresql.connect leaves nothing open, here or on the server."""
    db = await new_database(pg_cluster)
    for delay in (0, 0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.05):
        task = asyncio.create_task(postgresql.connect(db))
        await asyncio.sleep(delay)
        task.cancel()
        try:
            await postgresql.close(await task)  # made before the cancel came
        except asyncio.CancelledError:
            pass
    await asyncio.sleep(0.2)
    gc.collect()  # a connection left to the collector warns here (filterwarnings = error)
    watcher = await asyncpg.connect(db)
    try:
        for _ in range(100):
            others = await watcher.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            if others == 0:
                break
            await asyncio.sleep(0.05)
        assert others == 0, "a connection left open on the server"
    finally:
        await watcher.close()
