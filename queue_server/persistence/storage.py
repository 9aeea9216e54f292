"""Every database connection: this module, and the writer process it starts (sqlite_writer.py).

One writer connection serialises every write (WAL mode, BEGIN IMMEDIATE); a separate reader connection (aiosqlite)
serves replays and reports. A whole batch of commands is one transaction that appends events and updates the
projections (tickets, counters, idempotency records) together, so the log and the state can never disagree.

The writer connection lives in a process of its own (sqlite_writer.py: no GIL shared with the event loop), and a
whole transaction (BEGIN, a multi-row INSERT per table, COMMIT) is ONE request to it. Awaited statement by
statement, a batch was 4-6 round trips, and each waited its turn behind every HTTP request the loop had ready:
the batch's latency, and so the throughput of a closed loop of kiosks, grew with the load (docs/benchmarks.md).

Checkpoints (copying the WAL back into the database file, with an fsync) run in the writer process on a connection
of their own every `checkpoint_seconds`, never inside a write: SQLite's automatic checkpoint ran every 1,000 pages
in the committing transaction and held the writer for tens of milliseconds each time (1,740 -> 2,020 tickets/s,
p99 43 -> 23 ms). A passive checkpoint does not block the writer; how the WAL is kept from growing without end
under steady writes is in sqlite_writer._Checkpointer.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from queue_server.common import jsontext
from queue_server.domain.booking import Booking
from queue_server.domain.events import Event
from queue_server.domain.model import OPEN_STATES, CounterStatus, Ticket
from queue_server.persistence.sqlite_writer import WriterProcess

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    site TEXT NOT NULL,
    type TEXT NOT NULL,
    at TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_site_seq ON events (site, seq);
CREATE TABLE IF NOT EXISTS tickets (
    id TEXT PRIMARY KEY,
    site TEXT NOT NULL,
    service TEXT NOT NULL,
    agency TEXT NOT NULL,
    series TEXT NOT NULL,
    day TEXT NOT NULL,
    number INTEGER NOT NULL,
    label TEXT NOT NULL,
    state TEXT NOT NULL,
    priority TEXT,
    channel TEXT NOT NULL,
    token TEXT NOT NULL,
    parent TEXT,
    issued_at TEXT NOT NULL,
    called_at TEXT,
    started_at TEXT,
    finished_at TEXT,
    counter TEXT,
    seq INTEGER NOT NULL,
    doc TEXT NOT NULL
);
-- A number is issued once per series per local day; transfer legs share their first leg's number.
CREATE UNIQUE INDEX IF NOT EXISTS tickets_number ON tickets (site, day, series, number) WHERE parent IS NULL;
CREATE INDEX IF NOT EXISTS tickets_token ON tickets (token);
CREATE INDEX IF NOT EXISTS tickets_open ON tickets (site, state);
CREATE INDEX IF NOT EXISTS tickets_day ON tickets (site, day);
CREATE TABLE IF NOT EXISTS counters (
    site TEXT NOT NULL,
    id TEXT NOT NULL,
    doc TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (site, id)
);
CREATE TABLE IF NOT EXISTS closed_days (
    site TEXT NOT NULL,
    day TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (site, day)
);
CREATE TABLE IF NOT EXISTS bookings (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    site TEXT NOT NULL,
    service TEXT NOT NULL,
    day TEXT NOT NULL,
    slot TEXT NOT NULL,
    nik_hash TEXT NOT NULL,
    state TEXT NOT NULL,
    seq INTEGER NOT NULL,
    doc TEXT NOT NULL
);
-- One active booking per NIK per service per day, whatever the code path.
CREATE UNIQUE INDEX IF NOT EXISTS bookings_one_per_nik ON bookings (site, service, day, nik_hash)
    WHERE state IN ('booked', 'checked_in');
CREATE INDEX IF NOT EXISTS bookings_day ON bookings (site, day);
CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);
-- The supervisor's side (docs/supervisor.md): the running text set live, who operated the counter that
-- handled each ticket, the audit log of privileged actions, and satisfaction survey answers.
CREATE TABLE IF NOT EXISTS site_settings (
    site TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (site, key)
);
CREATE TABLE IF NOT EXISTS ticket_facts (
    ticket TEXT PRIMARY KEY,
    site TEXT NOT NULL,
    operator TEXT,  -- who operated the counter that handled the ticket
    requeued_at TEXT  -- a late arrival put back in the queue waits from here (the doc's queue_key, unparsed)
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    site TEXT NOT NULL,
    at TEXT NOT NULL,  -- UTC, fixed width, so text order is time order
    actor TEXT NOT NULL,
    role TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    details TEXT NOT NULL,
    seq INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_site_at ON audit (site, at);
CREATE TABLE IF NOT EXISTS survey_responses (
    ticket TEXT PRIMARY KEY,  -- one answer per ticket, whatever the path (tablet or phone)
    site TEXT NOT NULL,
    day TEXT NOT NULL,
    service TEXT NOT NULL,
    agency TEXT NOT NULL,
    counter TEXT,
    channel TEXT NOT NULL,
    answered_at TEXT NOT NULL,
    answers TEXT NOT NULL,  -- JSON list of nine answers, kept for export
    a1 INTEGER NOT NULL CHECK (a1 BETWEEN 1 AND 4), a2 INTEGER NOT NULL CHECK (a2 BETWEEN 1 AND 4),
    a3 INTEGER NOT NULL CHECK (a3 BETWEEN 1 AND 4), a4 INTEGER NOT NULL CHECK (a4 BETWEEN 1 AND 4),
    a5 INTEGER NOT NULL CHECK (a5 BETWEEN 1 AND 4), a6 INTEGER NOT NULL CHECK (a6 BETWEEN 1 AND 4),
    a7 INTEGER NOT NULL CHECK (a7 BETWEEN 1 AND 4), a8 INTEGER NOT NULL CHECK (a8 BETWEEN 1 AND 4),
    a9 INTEGER NOT NULL CHECK (a9 BETWEEN 1 AND 4)
);
CREATE INDEX IF NOT EXISTS survey_site_day ON survey_responses (site, day);
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    site TEXT,
    agency TEXT,
    display_name TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS devices (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    site TEXT NOT NULL,
    name TEXT NOT NULL,
    screen TEXT,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
"""


@dataclass(frozen=True)
class AuditRecord:
    """Who did a privileged action to what; written in the same transaction as the action's events."""

    actor: str
    role: str
    action: str
    target: str
    details: dict[str, Any]


@dataclass
class LoadedSite:
    tickets: list[Ticket]
    counters: list[CounterStatus]
    closed_days: set[date]
    bookings: list[Booking]
    running_text: str | None = None


@dataclass
class Batch:
    """Everything one transaction writes."""

    events: list[Event]
    idempotency: list[tuple[str, int, str]]  # (key, status, body)
    audit: list[tuple[int, AuditRecord]] = field(default_factory=list)  # (index of the action's first event, entry)

    def __bool__(self) -> bool:
        return bool(self.events or self.idempotency)


CHECKPOINT_SECONDS = 0.1
# A passive checkpoint every 0.1 s, and the WAL started over once it holds 1,024 pages (4 MiB): the writer's pass
# that makes it start over costs ~2.5 us per page in the WAL, so a small WAL keeps it short (sqlite_writer.py).
WAL_RESTART_PAGES = 1024


class Storage:
    def __init__(
        self,
        path: Path | str,
        *,
        synchronous: str = "NORMAL",
        checkpoint_seconds: float = CHECKPOINT_SECONDS,
        wal_restart_pages: int = WAL_RESTART_PAGES,
    ) -> None:
        self.path = str(path)
        self.synchronous = synchronous
        self.checkpoint_seconds = checkpoint_seconds
        self.wal_restart_pages = wal_restart_pages
        self._writer: WriterProcess | None = None
        self._reader: aiosqlite.Connection | None = None  # short reads: replays, tokens, idempotency keys
        self._reports: aiosqlite.Connection | None = None  # long reads: a report's scan never holds up the others
        self._write_lock = asyncio.Lock()
        self.last_seq = 0

    # --- lifecycle -----------------------------------------------------------------------------------

    async def open(self) -> None:
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._writer = WriterProcess(
            self.path,
            self.synchronous,
            SCHEMA,
            checkpoint_seconds=self.checkpoint_seconds,
            wal_restart_pages=self.wal_restart_pages,
        )
        await self._writer.start()
        await self.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
        )
        self._reader = await aiosqlite.connect(self.path, isolation_level=None)
        await self._reader.execute("PRAGMA busy_timeout=5000")
        await self._reader.execute("PRAGMA query_only=1")
        self._reports = await aiosqlite.connect(self.path, isolation_level=None)
        await self._reports.execute("PRAGMA query_only=1")
        row = await self.fetch_one("SELECT COALESCE(MAX(seq), 0) FROM events")
        self.last_seq = int(row[0]) if row else 0

    async def close(self) -> None:
        # An unclosed aiosqlite connection keeps a non-daemon thread alive and hangs process exit.
        for conn in (self._reports, self._reader):
            if conn is not None:
                await conn.close()
        if self._writer is not None:
            await self._writer.close()
        self._reader = self._reports = None
        self._writer = None

    async def checkpoint(self, mode: str = "PASSIVE") -> tuple[int, int, int]:
        """A checkpoint now, by the writer (they also run by themselves: sqlite_writer._Checkpointer).
        Returns SQLite's (busy, pages in the WAL, pages checkpointed)."""
        result: tuple[int, int, int] = await self.writer.call("checkpoint", mode)
        return result

    @property
    def writer(self) -> WriterProcess:
        if self._writer is None:
            raise RuntimeError("storage is not open")
        return self._writer

    @property
    def reader(self) -> aiosqlite.Connection:
        if self._reader is None:
            raise RuntimeError("storage is not open")
        return self._reader

    # --- the event log and projections ---------------------------------------------------------------

    async def load_site(self, site_id: str) -> LoadedSite:
        """The state a site needs in memory: open tickets of any day plus every ticket of the latest day."""
        open_states = tuple(s.value for s in OPEN_STATES)
        marks = ",".join("?" * len(open_states))
        async with self.reader.execute("SELECT MAX(day) FROM tickets WHERE site = ?", (site_id,)) as cur:
            row = await cur.fetchone()
        latest = row[0] if row and row[0] else ""
        query = f"SELECT doc FROM tickets WHERE site = ? AND (day = ? OR state IN ({marks}))"  # noqa: S608
        async with self.reader.execute(query, (site_id, latest, *open_states)) as cur:
            tickets = [Ticket.from_dict(json.loads(r[0])) async for r in cur]
        async with self.reader.execute("SELECT doc FROM counters WHERE site = ?", (site_id,)) as cur:
            counters = [CounterStatus.from_dict(json.loads(r[0])) async for r in cur]
        async with self.reader.execute("SELECT day FROM closed_days WHERE site = ?", (site_id,)) as cur:
            closed = {date.fromisoformat(r[0]) async for r in cur}
        async with self.reader.execute(
            "SELECT doc FROM bookings WHERE site = ? AND (day >= ? OR state = 'booked')", (site_id, latest)
        ) as cur:
            bookings = [Booking.from_dict(json.loads(r[0])) async for r in cur]
        async with self.reader.execute(
            "SELECT value FROM site_settings WHERE site = ? AND key = 'running_text'", (site_id,)
        ) as cur:
            text = await cur.fetchone()
        return LoadedSite(tickets, counters, closed, bookings, text[0] if text else None)

    async def write(self, batch: Batch) -> list[Event]:
        """Append the batch's events (numbering them) and update projections, in one transaction.

        Returns the events with their `seq`. On any failure the transaction is rolled back, nothing is
        numbered, and the exception propagates.
        """
        async with self._write_lock:
            seq = self.last_seq
            numbered: list[Event] = []
            event_rows: list[tuple[Any, ...]] = []
            tickets: dict[str, tuple[Any, ...]] = {}
            counters: dict[tuple[str, str], tuple[Any, ...]] = {}
            days: list[tuple[str, str, int]] = []
            bookings: dict[str, tuple[Any, ...]] = {}
            for event in batch.events:
                seq += 1
                numbered.append(Event(event.type, event.site, event.at, event.data, seq))
                event_rows.append((seq, event.site, event.type, event.at.isoformat(), jsontext.dumps(event.data)))
                for key in ("ticket", "new_ticket"):
                    if key in event.data:
                        tickets[event.data[key]["id"]] = _ticket_row(event.data[key], seq)
                if isinstance(event.data.get("counter"), dict):
                    counter = event.data["counter"]
                    counters[(event.site, counter["id"])] = (event.site, counter["id"], jsontext.dumps(counter), seq)
                if event.type == "day.closed":
                    days.append((event.site, event.data["day"], seq))
                if "booking" in event.data:
                    b = event.data["booking"]
                    bookings[b["id"]] = (b["id"], b["code"], b["site"], b["service"], b["day"], b["slot"],
                                         b["nik_hash"], b["state"], seq, jsontext.dumps(b))  # fmt: skip
            statements: list[tuple[str, list[tuple[Any, ...]]]] = [
                ("INSERT INTO events (seq, site, type, at, data) VALUES (?,?,?,?,?)", event_rows),
                (_TICKET_UPSERT, list(tickets.values())),
                (_COUNTER_UPSERT, list(counters.values())),
                (_BOOKING_UPSERT, list(bookings.values())),
                *_records(batch, numbered),
                ("INSERT OR REPLACE INTO closed_days (site, day, seq) VALUES (?,?,?)", days),
            ]
            if batch.idempotency:
                now = datetime.now().astimezone().isoformat()
                statements.append((_IDEMPOTENCY_INSERT, [(k, st, b, now) for k, st, b in batch.idempotency]))
            await self.writer.call("transaction", [(sql, rows) for sql, rows in statements if rows])
            self.last_seq = seq
            return numbered

    async def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """A read for reports, on a connection of its own: a long report holds up neither a write nor a replay."""
        if self._reports is None:
            raise RuntimeError("storage is not open")
        async with self._reports.execute(sql, params) as cur:
            return [tuple(row) for row in await cur.fetchall()]

    async def events_after(self, site_id: str, after: int, limit: int) -> list[Event]:
        async with self.reader.execute(
            "SELECT seq, site, type, at, data FROM events WHERE site = ? AND seq > ? ORDER BY seq LIMIT ?",
            (site_id, after, limit),
        ) as cur:
            return [Event(r[2], r[1], datetime.fromisoformat(r[3]), json.loads(r[4]), r[0]) async for r in cur]

    async def event(self, site_id: str, seq: int) -> Event | None:
        async with self.reader.execute(
            "SELECT seq, site, type, at, data FROM events WHERE site = ? AND seq = ?", (site_id, seq)
        ) as cur:
            row = await cur.fetchone()
        return Event(row[2], row[1], datetime.fromisoformat(row[3]), json.loads(row[4]), row[0]) if row else None

    async def count_events_after(self, site_id: str, after: int, cap: int) -> int:
        async with self.reader.execute(
            "SELECT COUNT(*) FROM (SELECT 1 FROM events WHERE site = ? AND seq > ? LIMIT ?)", (site_id, after, cap)
        ) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def secret(self, name: str) -> bytes:
        """A random key kept in the database (e.g. for keyed NIK hashes), made on first use and never shown."""
        key = f"secret:{name}"
        row = await self.fetch_one("SELECT value FROM meta WHERE key = ?", (key,))
        if row is None:
            await self.execute("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", (key, secrets.token_hex(32)))
            row = await self.fetch_one("SELECT value FROM meta WHERE key = ?", (key,))
        assert row is not None
        return bytes.fromhex(row[0])

    async def booking_by_code(self, code: str) -> Booking | None:
        async with self.reader.execute("SELECT doc FROM bookings WHERE code = ?", (code,)) as cur:
            row = await cur.fetchone()
        return Booking.from_dict(json.loads(row[0])) if row else None

    async def ticket_by_token(self, token: str) -> Ticket | None:
        """The live leg of the ticket with this public token. A token of a length no ticket has (they are 24
        characters) is not looked up: links and QR codes come from anyone."""
        if not 10 <= len(token) <= 64:
            return None
        async with self.reader.execute(
            # Transfer legs share the token; the live leg is the one not transferred away.
            "SELECT doc FROM tickets WHERE token = ? ORDER BY state = 'transferred', seq DESC LIMIT 1",
            (token,),
        ) as cur:
            row = await cur.fetchone()
        return Ticket.from_dict(json.loads(row[0])) if row else None

    async def idempotent_results(self, keys: Sequence[str]) -> dict[str, tuple[int, str]]:
        """The stored answers (status, body) of those keys whose command committed; one query for a whole batch.
        On the reader, not queued behind the writes: a command still running is the engine's to know (it keeps
        keys in flight until their answer is stored)."""
        found: dict[str, tuple[int, str]] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), 500):  # well under SQLite's limit of bound parameters
            chunk = unique[start : start + 500]
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT key, status, body FROM idempotency WHERE key IN ({marks})"  # noqa: S608 - placeholders
            async with self.reader.execute(sql, chunk) as cur:
                async for key, status, body in cur:
                    found[str(key)] = (int(status), str(body))
        return found

    async def idempotency_keys(self) -> list[tuple[str, float]]:
        """Every stored key, oldest first, with when it was recorded (POSIX seconds). The table holds only the
        retention period's records (Engine.forget_old_idempotency_keys), so this is a couple of days of keys."""
        sql = "SELECT key, (julianday(created_at) - 2440587.5) * 86400.0 AS t FROM idempotency ORDER BY t"
        async with self.reader.execute(sql) as cur:
            return [(str(key), float(t)) async for key, t in cur]

    async def forget_idempotency_before(self, before: datetime) -> None:
        """Delete the records of keys older than `before` (created_at carries its UTC offset; julianday reads it)."""
        await self.writer.call(
            "execute", "DELETE FROM idempotency WHERE julianday(created_at) < julianday(?)", (before.isoformat(),)
        )

    # --- small helpers for accounts (auth owns the rules; this owns the SQL) -------------------------

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        """A read on the writer connection: it sees every write already committed or queued before it."""
        row: tuple[Any, ...] | None = await self.writer.call("fetch_one", sql, tuple(params))
        return row

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = await self.writer.call("fetch_all", sql, tuple(params))
        return rows

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """One small write outside the event log (accounts, sessions); returns the last row id."""
        rowid: int = await self.writer.call("execute", sql, tuple(params))
        return rowid


_COUNTER_UPSERT = (
    "INSERT INTO counters (site, id, doc, seq) VALUES (?,?,?,?) "
    "ON CONFLICT (site, id) DO UPDATE SET doc = excluded.doc, seq = excluded.seq"
)
_BOOKING_UPSERT = (
    "INSERT INTO bookings (id, code, site, service, day, slot, nik_hash, state, seq, doc) "
    "VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT (id) DO UPDATE SET state = excluded.state, "
    "seq = excluded.seq, doc = excluded.doc"
)
_IDEMPOTENCY_INSERT = "INSERT INTO idempotency (key, status, body, created_at) VALUES (?,?,?,?)"

_TICKET_UPSERT = """
INSERT INTO tickets (id, site, service, agency, series, day, number, label, state, priority, channel, token, parent,
                     issued_at, called_at, started_at, finished_at, counter, seq, doc)
VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
ON CONFLICT (id) DO UPDATE SET
    service = excluded.service, agency = excluded.agency, state = excluded.state, called_at = excluded.called_at,
    started_at = excluded.started_at, finished_at = excluded.finished_at, counter = excluded.counter,
    seq = excluded.seq, doc = excluded.doc
"""


def _ticket_row(d: dict[str, Any], seq: int) -> tuple[Any, ...]:
    return (
        d["id"], d["site"], d["service"], d["agency"], d["series"], d["day"], d["number"], d["label"], d["state"],
        d["priority"], d["channel"], d["token"], d["parent"], d["issued_at"], d["called_at"], d["started_at"],
        d["finished_at"], d["counter"], seq, jsontext.dumps(d),
    )  # fmt: skip


def utc_iso(at: datetime) -> str:
    """UTC with microseconds: fixed width, so comparing the text compares the time."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def _records(batch: Batch, numbered: list[Event]) -> list[tuple[str, list[tuple[Any, ...]]]]:
    """The supervisor's records a batch writes beside the log: who operated the counter handling each ticket
    (reports per operator), when a requeued ticket rejoined the queue (its wait), the running text, and the
    audit entries of the batch's privileged actions."""
    operators: dict[str, tuple[Any, ...]] = {}
    requeues: dict[str, tuple[Any, ...]] = {}
    settings: dict[tuple[str, str], tuple[Any, ...]] = {}
    for event in numbered:
        counter, ticket = event.data.get("counter"), event.data.get("ticket")
        if isinstance(counter, dict) and counter.get("operator") and isinstance(ticket, dict):
            if ticket.get("counter") == counter["id"]:
                operators[ticket["id"]] = (ticket["id"], event.site, counter["operator"])
        if event.type == "ticket.requeued" and isinstance(ticket, dict):
            requeues[ticket["id"]] = (ticket["id"], event.site, ticket["queue_key"])
        if event.type == "site.running_text":
            settings[(event.site, "running_text")] = (event.site, "running_text", event.data["text"], event.seq)
    audit = [
        (numbered[i].site, utc_iso(numbered[i].at), r.actor, r.role, r.action, r.target, jsontext.dumps(r.details),
         numbered[i].seq)
        for i, r in batch.audit
    ]  # fmt: skip
    out: list[tuple[str, list[tuple[Any, ...]]]] = []
    for sql, rows in ((_OPERATOR_UPSERT, operators), (_REQUEUE_UPSERT, requeues), (_SETTING_UPSERT, settings)):
        if rows:
            out.append((sql, list(rows.values())))
    if audit:
        out.append((_AUDIT_INSERT, audit))
    return out


_OPERATOR_UPSERT = (
    "INSERT INTO ticket_facts (ticket, site, operator) VALUES (?,?,?) "
    "ON CONFLICT (ticket) DO UPDATE SET operator = excluded.operator"
)
_REQUEUE_UPSERT = (
    "INSERT INTO ticket_facts (ticket, site, requeued_at) VALUES (?,?,?) "
    "ON CONFLICT (ticket) DO UPDATE SET requeued_at = excluded.requeued_at"
)
_SETTING_UPSERT = (
    "INSERT INTO site_settings (site, key, value, seq) VALUES (?,?,?,?) "
    "ON CONFLICT (site, key) DO UPDATE SET value = excluded.value, seq = excluded.seq"
)
_AUDIT_INSERT = "INSERT INTO audit (site, at, actor, role, action, target, details, seq) VALUES (?,?,?,?,?,?,?,?)"
