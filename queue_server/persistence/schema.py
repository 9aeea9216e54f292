"""The database schema: numbered migrations, and the runner that brings a database up to the newest of them.

A migration is a numbered step with its SQL in one file per dialect: migrations/NNNN_what.DIALECT.sql, e.g.
0001_initial.sqlite.sql (SQLite today; a PostgreSQL adapter adds NNNN_what.postgresql.sql for every number). The
numbers are the schema's versions: a database at version N has had migrations 1 to N, and records N in the
`schema_version` row of its `meta` table. Migration 0001 is the schema as the releases before migrations created
it, and they wrote that row as "1": their databases are at version 1 and are not touched.

migrate() runs in the writer process when Storage opens the database (sqlite_writer._open), which is also how
`queue-server migrate` applies them: it is the one place that creates or changes the schema. Each migration
runs in a transaction of its own together with its version bump, so a migration that fails is rolled back and
leaves the database at the version before it (MigrationFailed says which one and why). A database at a version
newer than this code knows was written by a newer release: it is refused, untouched (SchemaTooNew). A database
already at the newest version costs one read.

Never edit a migration a release has shipped (a database that has it would not get the change): add the next.

This module is imported by the writer process: the standard library only.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
DIALECTS = ("sqlite", "postgresql")
_FILE_NAME = re.compile(r"(\d{4})_([a-z0-9_]+)\.([a-z]+)\.sql")
_READ_VERSION = "SELECT value FROM meta WHERE key = 'schema_version'"
_WRITE_VERSION = (
    "INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
)


@dataclass(frozen=True)
class Migration:
    number: int
    name: str  # "0001_initial": how messages and `queue-server migrate` name it
    path: Path

    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")


@dataclass(frozen=True)
class Outcome:
    """What migrate() found and did (it crosses the writer process's pipe: plain values only)."""

    before: int
    after: int
    applied: tuple[str, ...] = ()


class SchemaError(ValueError):
    """The schema cannot be brought to this code's version. A ValueError: the CLI shows it as 'error: ...'."""


class SchemaTooNew(SchemaError):
    def __init__(self, database: str, found: int, known: int) -> None:
        super().__init__(database, found, known)  # exactly the arguments: it pickles across the writer's pipe
        self.database = database
        self.found = found
        self.known = known

    def __str__(self) -> str:
        return (
            f"the database {self.database} is at schema version {self.found}, but this queue-server knows versions"
            f" up to {self.known} only: a newer release wrote it. Run that release or a newer one, or restore a"
            " backup this release made."
        )


class MigrationFailed(SchemaError):
    def __init__(self, database: str, migration: str, version: int, reason: str, applied: tuple[str, ...]) -> None:
        super().__init__(database, migration, version, reason, applied)
        self.database = database
        self.migration = migration
        self.version = version  # where the database stays
        self.reason = reason
        self.applied = applied  # the ones before it in the same run, which stay applied

    def __str__(self) -> str:
        return (
            f"migration {self.migration} failed and was rolled back; the database {self.database} stays at"
            f" schema version {self.version}: {self.reason}"
        )


class ServersRunning(SchemaError):
    """Migrations are due, and server processes are using the database (PostgreSQL, where several may): a migration
    would change the schema under them. Refused unless forced (`queue-server migrate --force`)."""

    def __init__(self, database: str, pending: tuple[str, ...], servers: tuple[str, ...]) -> None:
        super().__init__(database, pending, servers)
        self.database = database
        self.pending = pending  # the migrations that would have been applied
        self.servers = servers  # each server process, or each machine's, as far as the database knows it

    def __str__(self) -> str:
        plural = "s" if len(self.pending) > 1 else ""
        return (
            f"server processes are using the database {self.database}: {'; '.join(self.servers)}. Migration{plural}"
            f" {', '.join(self.pending)} would change its schema under them (a migration can hold a table for"
            " seconds while their kiosks wait, and a process of the earlier release may fail to save what it"
            " decided), so nothing was changed. Stop every server process of this database first, on every machine"
            " (systemctl stop queue-server), then run `queue-server migrate` or start the new release"
            " (docs/deployment.md, Upgrading). If those processes are gone (a machine cut off keeps its connections"
            " open until PostgreSQL notices), or may fail while it runs, `queue-server migrate --force` migrates"
            " anyway."
        )


def migrations(dialect: str = "sqlite", directory: Path = MIGRATIONS) -> tuple[Migration, ...]:
    """The dialect's migrations in order. They must be numbered 1, 2, 3, ... with neither a gap nor a duplicate:
    anything else is a broken release, refused before it touches a database."""
    if dialect not in DIALECTS:
        raise ValueError(f"unknown SQL dialect {dialect!r}; known: {', '.join(DIALECTS)}")
    found: list[Migration] = []
    for path in directory.iterdir():
        if path.suffix != ".sql":
            continue
        match = _FILE_NAME.fullmatch(path.name)
        if match is None or match[3] not in DIALECTS:
            raise ValueError(f"{path}: a migration is named NNNN_what.DIALECT.sql, DIALECT one of {DIALECTS}")
        if match[3] == dialect:
            found.append(Migration(int(match[1]), f"{match[1]}_{match[2]}", path))
    found.sort(key=lambda m: m.number)
    numbers = [m.number for m in found]
    if numbers != list(range(1, len(found) + 1)):
        raise ValueError(f"the {dialect} migrations in {directory} are numbered {numbers}, not 1, 2, 3, ...")
    return tuple(found)


def latest_version(dialect: str = "sqlite") -> int:
    return len(migrations(dialect))


def schema_version(conn: sqlite3.Connection) -> int:
    """The database's version; 0 for a new one (no meta table, or no version in it yet)."""
    try:
        row = conn.execute(_READ_VERSION).fetchone()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return 0
        raise
    if row is None:
        return 0
    try:
        return int(row[0])
    except (TypeError, ValueError):
        raise SchemaError(f"the database {_database(conn)} has schema_version {row[0]!r}, not a number") from None


def migrate(conn: sqlite3.Connection, available: Sequence[Migration] | None = None) -> Outcome:
    """Bring the database of `conn` (in autocommit mode: isolation_level=None) to the newest version."""
    available = migrations() if available is None else available
    before = schema_version(conn)
    if before == len(available):
        return Outcome(before, before)
    if before > len(available):
        raise SchemaTooNew(_database(conn), before, len(available))
    version = before
    applied: list[str] = []
    for migration in available[before:]:
        try:
            if _apply(conn, migration):
                applied.append(migration.name)
            version = migration.number
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}"
            raise MigrationFailed(_database(conn), migration.name, version, reason, tuple(applied)) from exc
    return Outcome(before, version, tuple(applied))


def refuse_newer(path: Path | str) -> None:
    """SchemaTooNew if the database file exists at a version newer than this code: a clear refusal before the
    server starts (from inside the server's start-up it would come wrapped in a traceback). Reads only; a missing
    file is a new database, and is not created here."""
    try:
        conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=rw", uri=True)
    except sqlite3.OperationalError:
        return  # no such file (yet): Storage creates it
    try:
        found = schema_version(conn)
    finally:
        conn.close()
    known = latest_version()
    if found > known:
        raise SchemaTooNew(str(path), found, known)


def statements(script: str) -> list[str]:
    """A script's statements, one by one: sqlite3's executescript() would first COMMIT the transaction the
    migration must run in. sqlite3.complete_statement is SQLite's own tokenizer: it knows a ';' inside a string,
    a comment or a trigger's body from one that ends a statement."""
    found: list[str] = []
    start = 0
    for end in (i + 1 for i, char in enumerate(script) if char == ";"):
        if sqlite3.complete_statement(script[start:end]):
            found.append(script[start:end])
            start = end
    if script[start:].strip():
        found.append(script[start:])  # a last statement without ';', or comments (which execute as nothing)
    return found


def _apply(conn: sqlite3.Connection, migration: Migration) -> bool:
    """One migration and its version bump in one transaction; False if another process applied it meanwhile."""
    script = migration.sql()
    conn.execute("BEGIN IMMEDIATE")
    try:
        if schema_version(conn) >= migration.number:  # read again under the write lock
            conn.execute("ROLLBACK")
            return False
        for statement in statements(script):
            conn.execute(statement)
        conn.execute(_WRITE_VERSION, (str(migration.number),))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
        raise
    return True


def _database(conn: sqlite3.Connection) -> str:
    """The file of the connection's main database, for messages."""
    for _seq, name, file in conn.execute("PRAGMA database_list"):
        if name == "main":
            return str(file) or ":memory:"
    return "?"
