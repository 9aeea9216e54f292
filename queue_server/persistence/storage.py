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

The schema is made by numbered migrations (schema.py, migrations/), which the writer process applies when it
opens the database: a new database is created at the newest version, an older one migrated, a newer one refused.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import sqlite3
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
from queue_server.domain.snapshot import FieldSpec, columns
from queue_server.persistence.rows import AuditEntry, Leg, SurveySums, legs_from_rows
from queue_server.persistence.schema import Outcome
from queue_server.persistence.sqlite_writer import WriterProcess

log = logging.getLogger(__name__)


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
        self.migrated: Outcome | None = None  # the schema's version as opened, and the migrations that took

    # --- lifecycle -----------------------------------------------------------------------------------

    async def open(self) -> None:
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._writer = WriterProcess(
            self.path,
            self.synchronous,
            checkpoint_seconds=self.checkpoint_seconds,
            wal_restart_pages=self.wal_restart_pages,
        )
        await self._writer.start()  # creates or migrates the schema; schema.SchemaError if it cannot
        self.migrated = self._writer.migrated
        if self.migrated is not None and self.migrated.applied:
            log.log(
                logging.INFO if self.migrated.before == 0 else logging.WARNING,  # an upgrade, not a new file, is news
                "database %s: schema version %d -> %d (applied %s)",
                self.path,
                self.migrated.before,
                self.migrated.after,
                ", ".join(self.migrated.applied),
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
                    booking = event.data["booking"]
                    bookings[booking["id"]] = _booking_row(booking, seq)
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

    # --- the supervisor's reads and the survey (reports, audit log, IKM) ------------------------------

    async def report_legs(self, site_id: str, start: date, end: date, agency: str | None) -> list[Leg]:
        """Every ticket leg of a site issued on the local days start..end (inclusive), of one agency or all.
        One scan on the reports connection: a year of a busy mall is hundreds of thousands of rows."""
        sql, params = _LEGS, [site_id, start.isoformat(), end.isoformat()]
        if agency is not None:
            sql += " AND t.agency = ?"
            params.append(agency)
        return legs_from_rows(await self.query(sql, params))

    async def audit_entries(
        self, site_id: str, start: datetime, end: datetime, limit: int, before: int | None
    ) -> list[AuditEntry]:
        """A site's audit entries from `start` (inclusive) to `end`, newest first; `before` pages back by entry id."""
        rows = await self.query(
            "SELECT id, at, actor, role, action, target, details, seq FROM audit "
            "WHERE site = ? AND at >= ? AND at < ? AND id < ? ORDER BY id DESC LIMIT ?",
            (site_id, utc_iso(start), utc_iso(end), before if before is not None else 2**62, limit),
        )
        return [
            AuditEntry(r[0], datetime.fromisoformat(r[1]), r[2], r[3], r[4], r[5], json.loads(r[6]), r[7]) for r in rows
        ]

    async def ticket_of_any_day(self, site_id: str, ticket_id: str) -> Ticket | None:
        """A ticket by id whatever its day (memory holds only the open ones and the latest day's)."""
        rows = await self.query("SELECT doc FROM tickets WHERE id = ? AND site = ?", (ticket_id, site_id))
        return Ticket.from_dict(json.loads(rows[0][0])) if rows else None

    async def survey_answered(self, ticket_id: str) -> bool:
        return bool(await self.query("SELECT 1 FROM survey_responses WHERE ticket = ?", (ticket_id,)))

    async def add_survey_answers(self, ticket: Ticket, channel: str, answered_at: datetime, answers: list[int]) -> bool:
        """Keep a ticket's answers with its service, agency, counter and day; False if the ticket has answered
        already (the primary key refuses a second answer even when two arrive at once: tablet and phone)."""
        try:
            await self.execute(
                "INSERT INTO survey_responses (ticket, site, day, service, agency, counter, channel, answered_at, "
                "answers, a1, a2, a3, a4, a5, a6, a7, a8, a9) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (ticket.id, ticket.site, ticket.day.isoformat(), ticket.service, ticket.agency, ticket.counter,
                 channel, utc_iso(answered_at), json.dumps(answers), *answers),
            )  # fmt: skip
        except sqlite3.IntegrityError:
            return False
        return True

    async def survey_sums(
        self, site_id: str, start: date, end: date, agency: str | None, service: str | None
    ) -> list[SurveySums]:
        """The answers of the local days start..end (inclusive) summed per service and agency, by agency then
        service; only one agency's or one service's when given."""
        sql = (
            "SELECT service, agency, COUNT(*), SUM(a1), SUM(a2), SUM(a3), SUM(a4), SUM(a5), SUM(a6), SUM(a7), "
            "SUM(a8), SUM(a9) FROM survey_responses WHERE site = ? AND day >= ? AND day <= ?"
        )
        params: list[Any] = [site_id, start.isoformat(), end.isoformat()]
        if agency:
            sql += " AND agency = ?"
            params.append(agency)
        if service:
            sql += " AND service = ?"
            params.append(service)
        rows = await self.query(sql + " GROUP BY service, agency ORDER BY agency, service", params)
        return [SurveySums(r[0], r[1], int(r[2]), tuple(int(s) for s in r[3:12])) for r in rows]

    # --- statements on the writer connection: accounts.py's, and any read that must see the writes ---

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
_IDEMPOTENCY_INSERT = "INSERT INTO idempotency (key, status, body, created_at) VALUES (?,?,?,?)"


def _upsert(table: str, key: str, fields: tuple[FieldSpec, ...]) -> str:
    """The one statement that writes a snapshot: its columns (declared on the snapshot's fields), the event's seq and
    the whole snapshot as JSON; a newer snapshot of the same row updates what may change."""
    names = [f.name for f in fields]
    updates = [f"{f.name} = excluded.{f.name}" for f in fields if f.column == "mutable"]
    return (
        f"INSERT INTO {table} ({', '.join(names)}, seq, doc) VALUES ({', '.join('?' * (len(names) + 2))}) "  # noqa: S608
        f"ON CONFLICT ({key}) DO UPDATE SET {', '.join([*updates, 'seq = excluded.seq', 'doc = excluded.doc'])}"
    )


TICKET_COLUMNS = tuple(f.name for f in columns(Ticket))
_TICKET_UPSERT = _upsert("tickets", "id", columns(Ticket))
BOOKING_COLUMNS = tuple(f.name for f in columns(Booking))
_BOOKING_UPSERT = _upsert("bookings", "id", columns(Booking))


def _ticket_row(d: dict[str, Any], seq: int) -> tuple[Any, ...]:
    return (*[d[name] for name in TICKET_COLUMNS], seq, jsontext.dumps(d))


def _booking_row(d: dict[str, Any], seq: int) -> tuple[Any, ...]:
    return (*[d[name] for name in BOOKING_COLUMNS], seq, jsontext.dumps(d))


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

# The report scan (report_legs). A ticket's place in the queue (queue_key) is its issue unless it was requeued
# (ticket_facts keeps when), so a report never has to parse the JSON documents of twenty thousand tickets.
_LEGS = """
SELECT t.id, t.service, t.agency, t.state, t.counter, f.operator, t.parent, t.issued_at,
       COALESCE(f.requeued_at, t.issued_at), t.called_at, t.started_at, t.finished_at, p.finished_at
FROM tickets t
LEFT JOIN tickets p ON p.id = t.parent
LEFT JOIN ticket_facts f ON f.ticket = t.id
WHERE t.site = ? AND t.day >= ? AND t.day <= ?
"""
