"""Numbered schema migrations (queue_server/persistence/schema.py) on real SQLite files and a real server.

fixtures/db_main_45c7957.sqlite3 was written by the code of commit 45c7957, the last before migrations
(fixtures/make_db_main_45c7957.py made it): every test works on a copy of it, never on the fixture itself.
"""

from __future__ import annotations

import json
import pickle
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from queue_server.persistence import schema
from queue_server.persistence.schema import MigrationFailed, Outcome, SchemaTooNew
from queue_server.persistence.storage import Storage

from .helpers import KIOSK, Clock, bearer, free_socket, running_server

FIXTURE = Path(__file__).parent / "fixtures" / "db_main_45c7957.sqlite3"
QS = [sys.executable, "-m", "queue_server"]
# The tables whose every row must survive an upgrade (all of them, in fact: see snapshot()).
KEPT = ("tickets", "events", "bookings", "survey_responses", "users", "devices", "audit", "idempotency", "sessions")

Rows = dict[str, list[tuple[Any, ...]]]


@pytest.fixture
def old_db(tmp_path: Path) -> Path:
    copy = tmp_path / "queue.sqlite3"
    shutil.copyfile(FIXTURE, copy)
    return copy


def snapshot(path: Path, columns: dict[str, list[str]] | None = None) -> Rows:
    """Every row of every table, read with plain sqlite3, in a stable order; with `columns`, only those tables and
    columns (what an older schema had: a later migration may add a column, as 0003 added users.sites)."""
    con = sqlite3.connect(path)
    try:
        tables = [name for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        if columns is not None:
            return {
                t: sorted(con.execute(f'SELECT {", ".join(columns[t])} FROM "{t}"').fetchall(), key=repr)  # noqa: S608
                for t in tables
                if t in columns
            }
        return {t: sorted(con.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables}  # noqa: S608
    finally:
        con.close()


def columns_of(path: Path) -> dict[str, list[str]]:
    con = sqlite3.connect(path)
    try:
        tables = [name for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: [row[1] for row in con.execute(f'PRAGMA table_info("{t}")')] for t in tables}
    finally:
        con.close()


def version_of(path: Path) -> int:
    con = sqlite3.connect(path)
    try:
        return schema.schema_version(con)
    finally:
        con.close()


def set_version(path: Path, version: int) -> None:
    con = sqlite3.connect(path)
    with con:
        con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(version),))
    con.close()


def missing_rows(before: Rows, after: Rows) -> dict[str, list[tuple[Any, ...]]]:
    """The rows of `before` that `after` no longer has, exactly as they were, table by table."""
    missing = {}
    for table, rows in before.items():
        kept = set(after.get(table, []))
        gone = [row for row in rows if row not in kept]
        if gone:
            missing[table] = gone
    return missing


def lost_rows(before: Rows, after: Rows) -> dict[str, list[tuple[Any, ...]]]:
    """missing_rows, but for the schema_version row: a migration moves that one on."""
    missing = missing_rows(before, after)
    rest = [row for row in missing.get("meta", []) if row[0] != "schema_version"]
    missing.pop("meta", None)
    return {**missing, **({"meta": rest} if rest else {})}


def up_to_date(path: Path) -> Path:
    """The old database migrated to this release's version: where a later release's migrations start from."""
    run_migrations(path, schema.MIGRATIONS)
    assert version_of(path) == schema.latest_version()
    return path


def extra_migrations(tmp_path: Path, **sql: str) -> Path:
    """A migrations directory: the real ones, and more (name -> SQL) as if a later release had added them."""
    directory = tmp_path / "migrations"
    directory.mkdir()
    for migration in schema.migrations():
        shutil.copyfile(migration.path, directory / migration.path.name)
    for name, text in sql.items():
        (directory / f"{name}.sqlite.sql").write_text(text, encoding="utf-8")
    return directory


def run_migrations(path: Path, directory: Path) -> Outcome:
    con = sqlite3.connect(path, isolation_level=None)
    try:
        return schema.migrate(con, schema.migrations(directory=directory))
    finally:
        con.close()


# --- the fixture and migration 0001 ------------------------------------------------------------------------------


def test_the_fixture_holds_every_kind_of_row(old_db: Path) -> None:
    rows = snapshot(old_db)
    for table in KEPT:
        assert rows[table], f"the fixture has no {table}: regenerate it (fixtures/make_db_main_45c7957.py)"
    assert {r[8] for r in rows["tickets"]} >= {"waiting", "serving", "done", "cancelled", "expired", "transferred"}
    assert ("schema_version", "1") in rows["meta"]
    assert FIXTURE.stat().st_size < 512 * 1024


def schema_of(path: Path) -> list[tuple[str, ...]]:
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name").fetchall()
    finally:
        con.close()


def test_migration_0001_is_the_schema_the_old_code_made(old_db: Path, tmp_path: Path) -> None:
    first = schema.migrations()[0]
    assert first.name == "0001_initial"
    con = sqlite3.connect(tmp_path / "v1.sqlite3", isolation_level=None)
    assert schema.migrate(con, [first]) == Outcome(0, 1, ("0001_initial",))
    con.close()
    assert schema_of(tmp_path / "v1.sqlite3") == schema_of(old_db)
    # And whatever comes after 0001: the old database upgraded ends with the schema of a new one.
    latest = schema.latest_version()
    new = tmp_path / "new.sqlite3"
    assert run_migrations(new, schema.MIGRATIONS) == Outcome(0, latest, tuple(m.name for m in schema.migrations()))
    assert run_migrations(old_db, schema.MIGRATIONS).after == latest
    assert schema_of(old_db) == schema_of(new)


async def test_storage_opens_the_old_database_without_losing_a_row(old_db: Path) -> None:
    before, old_columns = snapshot(old_db), columns_of(old_db)
    storage = Storage(old_db)
    await storage.open()
    try:
        assert storage.migrated is not None and storage.migrated.after == schema.latest_version()
        assert storage.migrated.before == 1
        waiting = next(row for row in before["tickets"] if row[8] == "waiting")  # columns: id 0, state 8, token 11
        ticket = await storage.ticket_by_token(waiting[11])
        assert ticket is not None and ticket.id == waiting[0]
    finally:
        await storage.close()
    after = snapshot(old_db, old_columns)
    assert lost_rows(before, after) == {}, "no row lost; only the version moved on"
    assert version_of(old_db) == schema.latest_version()
    if schema.latest_version() == 1:
        assert after == before, "a database already at the newest version is not touched"


async def test_a_real_server_serves_the_old_database(old_db: Path) -> None:
    before, old_columns = snapshot(old_db), columns_of(old_db)
    con = sqlite3.connect(old_db)
    waiting = con.execute(
        "SELECT token, label, id FROM tickets WHERE day = '2026-11-24' AND state = 'waiting' AND service = 'ktp'"
        " AND channel = 'kiosk'"
    ).fetchone()
    serving_label = con.execute("SELECT label FROM tickets WHERE state = 'serving'").fetchone()[0]
    booking = con.execute("SELECT code, state FROM bookings WHERE day = '2026-11-25' AND state = 'booked'").fetchone()
    con.close()
    tuesday = Clock(datetime(2026, 11, 24, 2, 30, tzinfo=UTC))  # 09:30 WIB, the fixture's open day
    async with running_server(old_db, clock=tuesday) as server:
        r = await server.http.get(f"/api/v1/tickets/{waiting[0]}")
        assert r.status_code == 200, r.text
        assert r.json()["ticket"]["label"] == waiting[1] and r.json()["ticket"]["state"] == "waiting"
        state = await server.http.get("/api/v1/sites/tegal/state", headers=await server.login("admin"))
        assert state.status_code == 200, state.text
        assert waiting[2] in state.text and serving_label in state.text
        r = await server.http.get(f"/api/v1/bookings/{booking[0]}")
        assert r.status_code == 200 and r.json()["booking"]["state"] == "booked"
        # The account and the device tokens the old code stored still sign in.
        await server.login("kepala", "kepala-mpp-2026")
        r = await server.http.post("/api/v1/sites/tegal/tickets", json={"service": "ktp"}, headers=bearer(KIOSK))
        assert r.status_code == 201 and r.json()["ticket"]["label"] == "A-003", "numbering goes on from the old day"
    after = snapshot(old_db, old_columns)
    assert lost_rows(before, after) == {}, "every row the old code wrote is still there, unchanged"
    assert version_of(old_db) == schema.latest_version()


# --- refusals and failures -----------------------------------------------------------------------------------------


async def test_a_database_newer_than_the_code_is_refused_untouched(old_db: Path) -> None:
    newer = schema.latest_version() + 1
    set_version(old_db, newer)
    before = snapshot(old_db)
    storage = Storage(old_db)
    with pytest.raises(SchemaTooNew) as refused:
        await storage.open()
    message = str(refused.value)
    assert f"schema version {newer}" in message and f"up to {schema.latest_version()}" in message
    assert snapshot(old_db) == before
    with pytest.raises(SchemaTooNew):
        schema.refuse_newer(old_db)


def test_serve_refuses_a_newer_database_with_a_message_not_a_traceback(old_db: Path) -> None:
    newer = schema.latest_version() + 1
    set_version(old_db, newer)
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    for command in (["serve", "--port", str(port)], ["migrate"]):
        result = subprocess.run([*QS, *command, "--db", str(old_db)], capture_output=True, text=True, timeout=60)
        assert result.returncode == 1, result
        assert f"schema version {newer}" in result.stderr and f"up to {schema.latest_version()}" in result.stderr
        assert "Traceback" not in result.stderr
    assert version_of(old_db) == newer


def test_a_failing_migration_leaves_the_version_and_the_data_as_they_were(old_db: Path, tmp_path: Path) -> None:
    up_to_date(old_db)
    n = schema.latest_version() + 1
    directory = extra_migrations(
        tmp_path,
        **{
            f"{n:04d}_broken": """
                CREATE TABLE notes (ticket TEXT PRIMARY KEY, text TEXT NOT NULL);
                ALTER TABLE tickets ADD COLUMN note TEXT;
                UPDATE tickets SET state = 'lost';
                DELETE FROM audit;
                INSERT INTO no_such_table VALUES (1);
            """
        },
    )
    before = snapshot(old_db)
    with pytest.raises(MigrationFailed) as failed:
        run_migrations(old_db, directory)
    error = failed.value
    assert error.migration == f"{n:04d}_broken" and error.version == n - 1 and error.applied == ()
    assert f"migration {n:04d}_broken failed" in str(error) and "no such table: no_such_table" in str(error)
    assert f"stays at schema version {n - 1}" in str(error)
    assert snapshot(old_db) == before, "nothing of the failed migration remains, the version included"
    # It reaches the server from the writer process through a pipe: it must pickle, message and all.
    assert str(pickle.loads(pickle.dumps(error))) == str(error)  # noqa: S301 - our own bytes


def test_migrations_before_a_failing_one_stay_applied(old_db: Path, tmp_path: Path) -> None:
    up_to_date(old_db)
    n = schema.latest_version() + 1
    directory = extra_migrations(
        tmp_path,
        **{f"{n:04d}_notes": "CREATE TABLE notes (ticket TEXT PRIMARY KEY, text TEXT NOT NULL);",
           f"{n + 1:04d}_broken": "ALTER TABLE notes ADD COLUMN x TEXT; SELECT * FROM no_such_table;"},
    )  # fmt: skip
    with pytest.raises(MigrationFailed) as failed:
        run_migrations(old_db, directory)
    assert failed.value.applied == (f"{n:04d}_notes",) and failed.value.version == n
    assert version_of(old_db) == n
    con = sqlite3.connect(old_db)
    assert [row[1] for row in con.execute("PRAGMA table_info(notes)")] == ["ticket", "text"]
    con.close()


def test_a_later_migration_upgrades_the_old_database_keeping_every_row(old_db: Path, tmp_path: Path) -> None:
    up_to_date(old_db)
    n = schema.latest_version() + 1
    directory = extra_migrations(
        tmp_path,
        **{
            f"{n:04d}_ticket_notes": """
                -- A comment; with a semicolon, and a string with one too.
                ALTER TABLE tickets ADD COLUMN note TEXT NOT NULL DEFAULT 'a; b';
                CREATE TABLE note_log (ticket TEXT NOT NULL, note TEXT NOT NULL);
                CREATE TRIGGER note_logged AFTER UPDATE OF note ON tickets BEGIN
                    INSERT INTO note_log VALUES (new.id, new.note);
                    SELECT 1;
                END;
            """
        },
    )
    before = snapshot(old_db)
    outcome = run_migrations(old_db, directory)
    assert outcome == Outcome(n - 1, n, (f"{n:04d}_ticket_notes",))
    assert version_of(old_db) == n
    con = sqlite3.connect(old_db)
    columns = [row[1] for row in con.execute("PRAGMA table_info(tickets)")]
    old_columns = ", ".join(columns[:-1])
    tickets = sorted(con.execute(f"SELECT {old_columns} FROM tickets").fetchall(), key=repr)  # noqa: S608
    assert tickets == before["tickets"]
    assert {note for (note,) in con.execute("SELECT note FROM tickets")} == {"a; b"}
    with con:
        con.execute("UPDATE tickets SET note = 'x' WHERE rowid = 1")
    assert con.execute("SELECT COUNT(*) FROM note_log").fetchone()[0] == 1
    con.close()
    after = snapshot(old_db)
    del before["tickets"], after["tickets"]
    assert missing_rows(before, after) == {"meta": [("schema_version", str(n - 1))]}, "only the version moved"
    assert run_migrations(old_db, directory) == Outcome(n, n), "a second run has nothing to do"


def test_a_current_database_costs_one_read(old_db: Path) -> None:
    up_to_date(old_db)
    con = sqlite3.connect(old_db, isolation_level=None)
    statements: list[str] = []
    con.set_trace_callback(statements.append)
    assert schema.migrate(con) == Outcome(schema.latest_version(), schema.latest_version())
    con.close()
    assert len(statements) == 1 and statements[0].startswith("SELECT")


# --- the command line ----------------------------------------------------------------------------------------------


def test_migrate_command(old_db: Path, tmp_path: Path) -> None:
    def migrate(db: Path) -> str:
        result = subprocess.run([*QS, "migrate", "--db", str(db)], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result
        return result.stdout

    before, old_columns = snapshot(old_db), columns_of(old_db)
    latest = schema.latest_version()
    out = migrate(old_db)
    if latest == 1:
        assert out == f"database {old_db} at version 1, nothing to do\n"
    else:
        assert out.startswith("applied 0002_") and out.endswith(f"now at version {latest} (was 1)\n")
    assert lost_rows(before, snapshot(old_db, old_columns)) == {}
    new = tmp_path / "var" / "new.sqlite3"
    names = "".join(f"applied {m.name}\n" for m in schema.migrations())
    assert migrate(new) == f"{names}database {new} now at version {latest} (was 0)\n"
    assert migrate(new) == f"database {new} at version {latest}, nothing to do\n"


# --- the migrations themselves -------------------------------------------------------------------------------------


def test_migration_files_are_numbered_without_gaps(tmp_path: Path) -> None:
    assert [m.number for m in schema.migrations()] == list(range(1, schema.latest_version() + 1))
    (tmp_path / "0002_a.sqlite.sql").write_text("SELECT 1;")
    with pytest.raises(ValueError, match=r"numbered \[2\], not 1, 2, 3"):
        schema.migrations(directory=tmp_path)
    (tmp_path / "0001_b.sqlite.sql").write_text("SELECT 1;")
    assert [m.name for m in schema.migrations(directory=tmp_path)] == ["0001_b", "0002_a"]
    (tmp_path / "0002_c.sqlite.sql").write_text("SELECT 1;")
    with pytest.raises(ValueError, match=r"numbered \[1, 2, 2\]"):
        schema.migrations(directory=tmp_path)
    (tmp_path / "0002_c.sqlite.sql").unlink()
    (tmp_path / "0003_d.postgresql.sql").write_text("SELECT 1;")  # another dialect's files are not these
    assert [m.name for m in schema.migrations(directory=tmp_path)] == ["0001_b", "0002_a"]
    with pytest.raises(ValueError, match=r"postgresql migrations .* numbered \[3\]"):  # each dialect on its own
        schema.migrations("postgresql", directory=tmp_path)
    (tmp_path / "2_misnamed.sql").write_text("SELECT 1;")
    with pytest.raises(ValueError, match="NNNN_what.DIALECT.sql"):
        schema.migrations(directory=tmp_path)


def test_statements_are_split_where_sqlite_ends_them() -> None:
    script = """
        -- a comment; not a statement
        CREATE TABLE t (a TEXT DEFAULT ';');
        CREATE TRIGGER g AFTER INSERT ON t BEGIN UPDATE t SET a = 'x;y'; DELETE FROM t WHERE 0; END;
        /* a block comment; too */
        INSERT INTO t VALUES ('1'); INSERT INTO t VALUES ('2')
    """
    parts = [" ".join(s.split()) for s in schema.statements(script)]
    assert parts == [
        "-- a comment; not a statement CREATE TABLE t (a TEXT DEFAULT ';');",
        "CREATE TRIGGER g AFTER INSERT ON t BEGIN UPDATE t SET a = 'x;y'; DELETE FROM t WHERE 0; END;",
        "/* a block comment; too */ INSERT INTO t VALUES ('1');",
        "INSERT INTO t VALUES ('2')",
    ]


# --- 0014: one ticket per label and day ----------------------------------------------------------------------------


def twin_of(con: sqlite3.Connection, ticket_id: str, **changes: Any) -> str:
    """A copy of a ticket's row with `changes` (a new id and token, issued a minute later): a label issued twice, as
    a release before 0014 did when a service took a letter on today's tickets of another."""
    columns = [row[1] for row in con.execute("PRAGMA table_info(tickets)")]
    row = dict(zip(columns, con.execute("SELECT * FROM tickets WHERE id = ?", (ticket_id,)).fetchone(), strict=True))
    issued = datetime.fromisoformat(row["issued_at"]) + timedelta(minutes=1)
    doc = {**json.loads(row["doc"]), **changes, "id": f"twin-{ticket_id}", "token": f"twin-token-{ticket_id}"}
    doc["issued_at"] = doc["queue_key"] = issued.isoformat()
    row.update({**{k: v for k, v in changes.items() if k in row}, "id": doc["id"], "token": doc["token"],
                "issued_at": doc["issued_at"], "doc": json.dumps(doc)})  # fmt: skip
    con.execute(f"INSERT INTO tickets ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values()))  # noqa: S608
    return str(doc["id"])


async def test_0014_keeps_labels_issued_twice_and_refuses_any_more(old_db: Path, tmp_path: Path) -> None:
    """A database holding twins of the old bug: the upgrade does not fail, no ticket's label changes (they are
    printed), the later twin is marked and every other label of every day is held unique from then on; a real
    server serves both twins and issues on."""
    directory = tmp_path / "up-to-0013"
    directory.mkdir()
    for migration in schema.migrations()[:13]:
        shutil.copyfile(migration.path, directory / migration.path.name)
    run_migrations(old_db, directory)
    con = sqlite3.connect(old_db)
    with con:
        kia = con.execute("SELECT id FROM tickets WHERE label = 'D-001'").fetchone()[0]  # Tuesday, KIA, serving
        kk = con.execute("SELECT id FROM tickets WHERE label = 'B-001'").fetchone()[0]  # Monday, KK
        today = twin_of(con, kia, service="kk", series="kk", state="waiting", counter=None)  # KK took the letter D
        monday = twin_of(con, kk, service="kia", series="kia")  # and on Monday KIA took B
    before = {r[0]: r for r in con.execute("SELECT id, label, state, day FROM tickets")}
    con.close()

    assert "0014_ticket_labels" in run_migrations(old_db, schema.MIGRATIONS).applied
    con = sqlite3.connect(old_db)
    assert {r[0]: r for r in con.execute("SELECT id, label, state, day FROM tickets")} == before, "no label changed"
    marked = dict(con.execute("SELECT id, label_exempt FROM tickets WHERE label_exempt IS NOT NULL").fetchall())
    assert marked == {today: "repeated", monday: "repeated"}, "the later of each pair, nothing else"
    columns = [row[1] for row in con.execute("PRAGMA table_info(tickets)")]
    kk_row = dict(zip(columns, con.execute("SELECT * FROM tickets WHERE id = ?", (kk,)).fetchone(), strict=True))
    insert = f"INSERT INTO tickets ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"  # noqa: S608
    third = {**kk_row, "id": "third", "token": "third-token", "series": "akta", "number": 7}  # B-001 a third time
    with pytest.raises(
        sqlite3.IntegrityError, match="UNIQUE constraint failed: tickets.site, tickets.day, tickets.label"
    ):
        con.execute(insert, list(third.values()))
    with con:  # a transfer leg keeps its first leg's label, as ever; another day may have its own B-001
        con.execute(insert, list({**third, "parent": kk}.values()))
        con.execute(insert, list({**third, "id": "fourth", "day": "2026-11-25"}.values()))
        con.execute("DELETE FROM tickets WHERE id IN ('third', 'fourth')")
    con.close()

    tuesday = Clock(datetime(2026, 11, 24, 2, 30, tzinfo=UTC))  # 09:30 WIB, the fixture's open day
    async with running_server(old_db, clock=tuesday) as server:
        for twin in (kia, today):
            token = con_token(old_db, twin)
            r = await server.http.get(f"/api/v1/tickets/{token}")
            assert r.status_code == 200 and r.json()["ticket"]["label"] == "D-001", r.text
        r = await server.http.post("/api/v1/sites/tegal/tickets", json={"service": "kk"}, headers=bearer(KIOSK))
        assert r.status_code == 201 and r.json()["ticket"]["label"] == "B-002", r.text


def con_token(path: Path, ticket_id: str) -> str:
    con = sqlite3.connect(path)
    try:
        return str(con.execute("SELECT token FROM tickets WHERE id = ?", (ticket_id,)).fetchone()[0])
    finally:
        con.close()
