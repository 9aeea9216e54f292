"""What both storage adapters are to the layers above: one base class, the SQL they share, and the rows a write
makes. SQLite (storage.py, the embedded default) and PostgreSQL (postgresql_storage.py, several processes) differ
in how they connect, number events and lock; the statements here are written once, with `?` placeholders, in the
SQL both dialects accept (postgresql_storage.py turns `?` into `$1, $2 ...`).
"""

from __future__ import annotations

import abc
import contextlib
import json
import secrets
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from queue_server.common import jsontext
from queue_server.domain import events as ev
from queue_server.domain.booking import Booking
from queue_server.domain.events import Event
from queue_server.domain.model import DAY_OVER_STATES, EXPIRING_STATES, CounterStatus, Ticket, idle_dated
from queue_server.domain.relay import WITHHELD_MARK
from queue_server.domain.service_times import robust_mean
from queue_server.domain.snapshot import FieldSpec, columns
from queue_server.domain.state import SOURCE_SEQ, TEXT_WITHHELD
from queue_server.persistence.rows import AuditEntry, Leg, SurveySums, legs_from_rows
from queue_server.persistence.schema import Outcome
from queue_server.settings.site_history import AppliedFile


@dataclass(frozen=True)
class AuditRecord:
    """Who did a privileged action to what; written in the same transaction as the action's events."""

    actor: str
    role: str
    action: str
    target: str
    details: dict[str, Any]


@dataclass(frozen=True)
class OutboxRow:
    """One message to send, written in the transaction of the event that caused it (outbound/, docs/notifications.md).
    `payload` is JSON: a webhook's body, or a citizen message's parameters (never the number: that is `contact`'s)."""

    id: str
    site: str
    endpoint: str  # a webhook endpoint's id, or GATEWAY
    kind: str
    key: str  # messages of one key go out in order
    payload: str
    due_at: datetime
    created_at: datetime
    contact: str | None = None
    dedupe: str | None = None  # at most one message with this text, whoever writes it (several processes)


@dataclass(frozen=True)
class ContactRow:
    """A citizen's number for messages, encrypted (outbound/vault.py), kept until `purge_after`."""

    ref: str
    site: str
    lang: str
    cipher: str
    masked: str
    purge_after: datetime


@dataclass
class LoadedSite:
    tickets: list[Ticket]
    counters: list[CounterStatus]
    closed_days: set[date]
    bookings: list[Booking]
    running_text: str | None = None
    configuration: dict[str, Any] | None = None  # the latest site.configured event's data; None: the site file
    head: int = 0  # the seq of the site's newest event when this was read (the state is as of that event)
    # The site file's document last served while no configuration was stored: a changed file is checked against it
    # (engine._files_take_over), as it is against a stored configuration.
    site_file: dict[str, Any] | None = None
    relayed_head: int = 0  # a mirrored mall: the newest seq of its own log held here (domain/relay.py)
    running_text_withheld: datetime | None = None  # a mirrored mall's running text withheld since (SiteState's)
    # service -> its issuing pause as the latest service.paused event wrote it (domain/issuing_pause.py); a pause of
    # an earlier day is loaded too and holds for nothing (SiteState.issuing_pause).
    issuing_paused: dict[str, dict[str, Any]] = field(default_factory=dict)
    closed_reasons: dict[date, str] = field(default_factory=dict)  # why those closed days were closed (SiteState's)


@dataclass
class Batch:
    """Everything one transaction writes."""

    events: list[Event]
    idempotency: list[tuple[str, int, str]]  # (key, status, body)
    audit: list[tuple[int, AuditRecord]] = field(default_factory=list)  # (index of the action's first event, entry)
    made_at: datetime = field(default_factory=lambda: datetime.now(UTC))  # the server's clock: idempotency records
    outbox: list[OutboxRow] = field(default_factory=list)  # messages the events cause (outbound/policy.py)
    contacts: list[ContactRow] = field(default_factory=list)  # numbers citizens left with these commands

    def __bool__(self) -> bool:
        return bool(self.events or self.idempotency)


Statements = list[tuple[str, list[tuple[Any, ...]]]]


@dataclass(frozen=True)
class MirrorRow:
    """What the database holds of a mirrored mall's box (mirror_status): UTC ISO times as written."""

    synced_at: str | None
    refused_code: str | None
    refused_at: str | None
    screens_shown: list[str] | None  # the screen ids with a display connected at the mall, as its box last said
    screens_at: str | None
    stopped_at: str | None = None  # when its box last said it was stopping (a clean stop)


@dataclass(frozen=True)
class TakenOver:
    """What `take_over` did with the codes handed over: how many bookings got theirs back, the ids of those whose
    code another mall's booking here holds (kept withheld), and the ids the copy here holds no withheld booking of."""

    given: int
    clashing: list[str]
    unknown: list[str]


class SitesBusy(Exception):
    """Shared storage: a site's lock was not had within the writer's lock wait (another process holds it: stalled,
    or cut off mid-transaction). Nothing was read or written."""

    def __init__(self, sites: Sequence[str]) -> None:
        super().__init__(f"the lock of {', '.join(sites)} is held elsewhere")
        self.sites = tuple(sites)


class LockedSites(Protocol):
    """A transaction holding some sites' locks (shared storage only: StoragePort.locked)."""

    heads: dict[str, int]

    async def events_after(self, site_id: str, after: int) -> list[Event]: ...

    async def idempotent_results(self, keys: Sequence[str]) -> dict[str, tuple[int, str]]: ...

    async def write(self, batch: Batch) -> list[Event]: ...


class Role(Protocol):
    """A role taken with StoragePort.exclusive: `held` when taken; `still_held()` until it is lost (on shared
    storage, the connection holding it dropped: another process may have it now). `answered`: the database
    answered the try, held or not (not held and answered: another process has it; not answered: it is away)."""

    held: bool
    answered: bool

    async def still_held(self) -> bool: ...


class _Always:
    held = True
    answered = True

    async def still_held(self) -> bool:
        return True


class Notified(Protocol):
    """Which sites other processes wrote (shared storage only: StoragePort.notifications)."""

    async def get(self, quiet: float) -> dict[str, int]: ...


class StoragePort(abc.ABC):
    """The engine's and the supervisors' storage, whichever database is behind it."""

    # Several server processes may write this database at once (PostgreSQL). The engine then decides a site's
    # commands only inside a transaction holding the site's lock (Engine._run_locked), and follows the other
    # processes' events (Engine.follow_forever).
    shared = False

    def __init__(self) -> None:
        self.last_seq = 0  # the newest event this process knows of (wrote, or read back)
        self.migrated: Outcome | None = None  # the schema's version as opened, and the migrations that took

    # --- what each adapter does its own way ------------------------------------------------------------

    @abc.abstractmethod
    async def open(self) -> None: ...

    @abc.abstractmethod
    async def close(self) -> None: ...

    @abc.abstractmethod
    async def _read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """A short read (replays, tokens, idempotency keys, loading a site)."""

    @abc.abstractmethod
    async def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """A read for reports, on a connection of its own: a long report holds up neither a write nor a replay."""

    @abc.abstractmethod
    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        """A read that sees every write made before it (accounts.py's)."""

    @abc.abstractmethod
    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    @abc.abstractmethod
    async def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        """One small write outside the event log (accounts, sessions, devices)."""

    @abc.abstractmethod
    async def run(self, statements: Statements, lock: str | Sequence[str] | None = None) -> None:
        """Several statements (each with its rows, run per row) in one transaction: all of them or none. `lock`:
        on shared storage, a lock of that name (or each of several names) taken first and held to the commit, so
        transactions naming it run one after another in every process (a count and the row it allows, as one);
        SQLite's one writer runs every transaction one after another already."""

    @abc.abstractmethod
    async def write_one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        """One write that returns a row (`UPDATE ... RETURNING`), committed before it answers: atomic across
        processes, so that two requests never both take the last of something (a phone code's last try)."""

    def unhurried(self) -> contextlib.AbstractContextManager[None]:
        """Within this context, reads and writes that are slow by nature (a year's report, the national view, the
        audit log, a chunk of retention) get deadlines.LONG_SECONDS instead of a request's deadline (PostgreSQL; a
        SQLite read has no deadline)."""
        return contextlib.nullcontext()

    def unavailable(self, exc: BaseException) -> bool:
        """Whether `exc` says the database cannot be reached or used just now (a retry later may work), not a bug:
        the caller is told 503 storage_unavailable, as for a failed write, rather than 500."""
        return isinstance(exc, OSError)

    def exclusive(self, name: str) -> AbstractAsyncContextManager[Role]:
        """Whether this process holds the role `name` (e.g. sending the outbox) while the context lasts. One process
        (SQLite) always does; on shared storage, one process at a time (postgresql_storage.py)."""
        return _always()

    @abc.abstractmethod
    async def write(self, batch: Batch) -> list[Event]:
        """Append the batch's events (numbering them) and update projections, in one transaction. Returns the
        events with their `seq`. On any failure nothing is written or numbered, and the exception propagates."""

    @abc.abstractmethod
    async def idempotency_keys(self) -> list[tuple[str, float]]:
        """Every stored key, oldest first, with when it was recorded (POSIX seconds). The table holds only the
        retention period's records (Engine.forget_old_idempotency_keys), so this is a couple of days of keys."""

    @abc.abstractmethod
    async def forget_idempotency_before(self, before: datetime) -> None:
        """Delete the records of keys older than `before`."""

    @abc.abstractmethod
    async def add_survey_answers(self, ticket: Ticket, channel: str, answered_at: datetime, answers: list[int]) -> bool:
        """Keep a ticket's answers with its service, agency, counter and day; False if the ticket has answered
        already (the primary key refuses a second answer even when two arrive at once: tablet and phone)."""

    # --- shared storage only (several processes; PostgreSQL) ----------------------------------------------

    def locked(self, sites: Sequence[str]) -> AbstractAsyncContextManager[LockedSites]:
        """A transaction holding the locks of `sites` until it ends."""
        raise NotImplementedError(f"{type(self).__name__} is written by one process only")

    def notifications(self) -> AbstractAsyncContextManager[Notified]:
        raise NotImplementedError(f"{type(self).__name__} is written by one process only")

    async def heads(self) -> dict[str, int]:
        """Every site's newest seq, as committed."""
        raise NotImplementedError(f"{type(self).__name__} is written by one process only")

    # What each process says of itself (application/presence.py) is dated, and judged fresh, by the database's own
    # clock: never by a process's, which may differ from another's by more than the freshness itself.

    async def share_screens(self, process: str, shown: set[tuple[str, str]]) -> None:
        """Say which (site, screen) have a display connected to this process, replacing what it said before.
        One process (SQLite) has no one to tell."""
        return None

    async def screens_shown_elsewhere(self, process: str, fresh: float) -> set[tuple[str, str]]:
        """The (site, screen) other processes said, within the last `fresh` seconds, have a display connected to
        them."""
        return set()

    async def share_devices(self, process: str, devices: Sequence[dict[str, Any]]) -> None:
        """Say what this process knows of the devices with a token (application/health.py entries, each with `id`
        and `site`), replacing what it said before. One process (SQLite) has no one to tell."""
        return None

    async def devices_elsewhere(self, process: str, fresh: float) -> list[dict[str, Any]]:
        """What other processes said of their devices within the last `fresh` seconds (share_devices)."""
        return []

    async def share_desks(self, process: str, seats: Sequence[tuple[str, str, str, str | None]]) -> None:
        """Say who is signed in at each counter through this process ((site, counter, account, display name):
        application/desks.py), replacing what it said before. One process (SQLite) has no one to tell."""
        return None

    async def desks_elsewhere(self, process: str, fresh: float) -> list[tuple[str, str, str, str | None]]:
        """Who other processes said, within the last `fresh` seconds, is signed in at each counter through them
        (share_desks)."""
        return []

    async def share_alerts(self, process: str, alerts: dict[str, dict[str, dict[str, Any]]]) -> None:
        """Say what this process found amiss with its sites' configuration ({site: {kind: facts}}), replacing what
        it said before; nothing when empty. One process (SQLite) has no one to tell."""
        return None

    async def alerts_elsewhere(self, process: str, fresh: float) -> list[tuple[str, dict[str, Any]]]:
        """What other processes said, within the last `fresh` seconds, of their sites' configuration: (process,
        {site: {kind: facts}}) (share_alerts)."""
        return []

    async def forget_presence_older_than(self, keep: timedelta) -> None:
        """Delete every presence row said more than `keep` ago, whichever process said it (a process killed without
        a word leaves its rows behind). One process (SQLite) keeps none."""
        return None

    async def share_uplink(self, statuses: dict[str, dict[str, Any]]) -> None:
        """Say where each site's uplink stands (the process that sends it: outbound/uplink.py), dated by the
        database's clock. One process (SQLite) has no one to tell."""
        return None

    async def uplink_said(self) -> dict[str, tuple[dict[str, Any], timedelta]]:
        """Per site, where its uplink stands and how long ago that was said, by the database's clock
        (share_uplink): the processes' own clocks may differ."""
        return {}

    async def count_request(self, name: str, key: str, minute: int, carried: float, limit: int) -> bool:
        """Count one request of `key` against the limit `name` in `minute` (whole minutes since the epoch) and say
        True, or say False and count nothing when the minute's requests so far, plus the previous minute's times
        `carried`, plus this one would pass `limit` (web/ratelimit.py). Atomic across processes. One process
        (SQLite) counts in its own memory instead."""
        raise NotImplementedError(f"{type(self).__name__} is served by one process only")

    async def forget_requests(self, minute: int) -> None:
        """Delete the counts of count_request() but those of `minute` and the minutes just before and after it."""
        raise NotImplementedError(f"{type(self).__name__} is served by one process only")

    # --- the event log and projections, read the same way on both ---------------------------------------

    async def load_site(self, site_id: str, today: date) -> LoadedSite:
        """The state a site needs in memory: its tickets and bookings of `today` and later, and whatever of an
        earlier day is still open (so that it can be closed). Nothing else of a past day."""
        open_states = tuple(s.value for s in EXPIRING_STATES)
        marks = ",".join("?" * len(open_states))
        head = await self._read("SELECT COALESCE(MAX(seq), 0) FROM events WHERE site = ?", (site_id,))
        latest = today.isoformat()
        query = f"SELECT doc FROM tickets WHERE site = ? AND (day >= ? OR state IN ({marks}))"  # noqa: S608
        tickets = [Ticket.from_dict(json.loads(r[0])) for r in await self._read(query, (site_id, latest, *open_states))]
        # With the event that wrote each counter last: a counter a release before `idle_since` left open and idle is
        # dated by it where it can be (domain/model.idle_dated), rather than shown idle since an unknown time.
        rows = await self._read(
            "SELECT c.doc, e.type, e.at FROM counters c LEFT JOIN events e ON e.seq = c.seq WHERE c.site = ?",
            (site_id,),
        )
        counters = [_counter_read(json.loads(doc), kind, at) for doc, kind, at in rows]
        # With the event that closed each day: why, where the supervisor said it (the kiosk and phones say it).
        rows = await self._read(
            "SELECT d.day, e.data FROM closed_days d LEFT JOIN events e ON e.seq = d.seq "
            "WHERE d.site = ? AND d.reopened = 0",
            (site_id,),
        )
        closed = {date.fromisoformat(day) for day, _ in rows}
        reasons = {date.fromisoformat(day): reason for day, data in rows if (reason := _closed_reason(data))}
        rows = await self._read(
            "SELECT doc FROM bookings WHERE site = ? AND (day >= ? OR state = 'booked')", (site_id, latest)
        )
        bookings = [Booking.from_dict(json.loads(r[0])) for r in rows]
        settings = dict(
            await self._read(
                "SELECT key, value FROM site_settings WHERE site = ? "
                "AND key IN ('running_text', 'running_text_withheld', 'configuration', 'site_file', 'relayed_head')",
                (site_id,),
            )
        )
        configuration = json.loads(settings["configuration"]) if "configuration" in settings else None
        site_file = json.loads(settings["site_file"]) if "site_file" in settings else None
        running_text = settings.get("running_text")
        relayed = int(settings.get("relayed_head") or 0)
        withheld = settings.get("running_text_withheld")
        rows = await self._read(
            "SELECT key, value FROM site_settings WHERE site = ? AND key LIKE ? AND value <> ''",
            (site_id, f"{PAUSE_KEY}%"),
        )
        paused = {str(key)[len(PAUSE_KEY) :]: json.loads(value) for key, value in rows}
        loaded = LoadedSite(
            tickets,
            counters,
            closed,
            bookings,
            running_text,
            configuration,
            int(head[0][0]),
            site_file,
            relayed,
            datetime.fromisoformat(withheld) if withheld else None,
            closed_reasons=reasons,
        )
        loaded.issuing_paused = paused
        return loaded

    async def relayed_head(self, site_id: str) -> int:
        """A mirrored mall: the newest seq of its own log held here (0: none, or taken over)."""
        row = await self._read("SELECT value FROM site_settings WHERE site = ? AND key = 'relayed_head'", (site_id,))
        return int(row[0][0]) if row else 0

    async def codes_to_hand_over(self, site_id: str) -> dict[str, str]:
        """At a mall's own server: the codes of its bookings still to be checked in, by booking id (queue-server
        mirror hand-over, for the server that takes the mall over)."""
        rows = await self._read("SELECT id, code FROM bookings WHERE site = ? AND state = 'booked'", (site_id,))
        return {booking_id: code for booking_id, code in rows}

    async def take_over(self, site_id: str, codes: Mapping[str, str] | None = None) -> TakenOver:
        """A mirrored mall served here from now on (queue-server mirror take-over): its log here, sent up from its
        own server until now, goes on as this server's own. `codes`: its bookings' codes by booking id, as its own
        server handed them over (queue-server mirror hand-over there): each booking still withheld here
        (domain/relay.withheld) gets its code back in the same transaction, so that it is checked in, shown and
        cancelled by it here; one whose code another mall's booking here holds already keeps it withheld."""
        given, clashing = [], []
        if codes:
            rows = await self._read("SELECT id, code, doc FROM bookings WHERE site = ?", (site_id,))
            held = {booking_id: doc for booking_id, code, doc in rows if code == WITHHELD_MARK + booking_id}
            for booking_id, code in codes.items():
                if booking_id not in held:
                    continue
                if await self._read("SELECT 1 FROM bookings WHERE code = ?", (code,)):
                    clashing.append(booking_id)  # the unique index would refuse the whole take-over
                    continue
                given.append((code, jsontext.dumps({**json.loads(held[booking_id]), "code": code}), booking_id))
        await self.run([
            (_SETTING_UPSERT, [(site_id, "relayed_head", "0", await self.newest_seq(site_id))]),
            ("UPDATE bookings SET code = ?, doc = ? WHERE id = ?", given),
        ])  # fmt: skip
        return TakenOver(len(given), clashing, sorted(set(codes or ()) - {row[2] for row in given} - set(clashing)))

    async def forget_copy(self, site_id: str) -> None:
        """A mirrored mall's copy gone, in one transaction, to be sent again from its own server (queue-server mirror
        forget): its log, its tickets, bookings, counters, days, settings, survey answers and what was known of its
        uplink. The audit log stays."""
        await self.run([(f"DELETE FROM {table} WHERE site = ?", [(site_id,)]) for table in _COPY_TABLES])  # noqa: S608

    async def mirror_synced(self, site_id: str, at: datetime) -> None:
        """A mirrored mall's copy was complete or moved on at `at` (application/mirror_watch.py); never moved back."""
        await self.execute(
            "INSERT INTO mirror_status (site, synced_at) VALUES (?, ?) ON CONFLICT (site) DO UPDATE SET "
            "synced_at = excluded.synced_at WHERE mirror_status.synced_at IS NULL "
            "OR mirror_status.synced_at < excluded.synced_at",
            (site_id, utc_iso(at)),
        )

    async def mirror_refused(self, site_id: str, code: str, at: datetime) -> None:
        """A mirrored mall's box was refused at `at`, with `code`; an older refusal does not replace a newer one."""
        await self.execute(
            "INSERT INTO mirror_status (site, refused_code, refused_at) VALUES (?, ?, ?) ON CONFLICT (site) DO UPDATE "
            "SET refused_code = excluded.refused_code, refused_at = excluded.refused_at "
            "WHERE mirror_status.refused_at IS NULL OR mirror_status.refused_at <= excluded.refused_at",
            (site_id, code, utc_iso(at)),
        )

    async def mirror_screens(self, site_id: str, screens: list[str], at: datetime) -> None:
        """The screens a mirrored mall's box said at `at` have a display connected there; an older word does not
        replace a newer one."""
        await self.execute(
            "INSERT INTO mirror_status (site, screens_shown, screens_at) VALUES (?, ?, ?) ON CONFLICT (site) DO UPDATE "
            "SET screens_shown = excluded.screens_shown, screens_at = excluded.screens_at "
            "WHERE mirror_status.screens_at IS NULL OR mirror_status.screens_at <= excluded.screens_at",
            (site_id, json.dumps(sorted(screens)), utc_iso(at)),
        )

    async def mirror_stopped(self, site_id: str, at: datetime) -> None:
        """A mirrored mall's box said at `at` that it is stopping; an older word does not replace a newer one."""
        await self.execute(
            "INSERT INTO mirror_status (site, stopped_at) VALUES (?, ?) ON CONFLICT (site) DO UPDATE "
            "SET stopped_at = excluded.stopped_at "
            "WHERE mirror_status.stopped_at IS NULL OR mirror_status.stopped_at <= excluded.stopped_at",
            (site_id, utc_iso(at)),
        )

    async def mirror_statuses(self) -> dict[str, MirrorRow]:
        """Per mirrored mall, as mirror_synced, mirror_refused, mirror_screens and mirror_stopped wrote it."""
        rows = await self.fetch_all(
            "SELECT site, synced_at, refused_code, refused_at, screens_shown, screens_at, stopped_at FROM mirror_status"
        )
        return {str(r[0]): MirrorRow(r[1], r[2], r[3], json.loads(r[4]) if r[4] else None, r[5], r[6]) for r in rows}

    async def holds_sealed(self) -> bool:
        """Whether anything here was encrypted with the notification key: a citizen's number, a webhook's secret."""
        for sql in HOLDS_SEALED:
            if await self._read(sql):
                return True
        return False

    async def sealed_samples(self) -> list[str]:
        """A few of the values sealed with the notification key (webhook secrets, citizens' numbers): whether a key
        file opens any of them tells whether it is the key that sealed them (outbound/vault.py, `checked_vault`)."""
        return [str(row[0]) for sql in SEALED_SAMPLES for row in await self._read(sql)]

    async def key_check(self) -> str | None:
        """A known text sealed with the notification key in use (None: not written yet, an earlier release)."""
        row = await self.fetch_one("SELECT value FROM meta WHERE key = ?", (KEY_CHECK,))
        return None if row is None else str(row[0])

    async def set_key_check(self, sealed: str) -> None:
        await self.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (KEY_CHECK, sealed),
        )

    async def remember_site_file(self, site_id: str, document: dict[str, Any], head: int) -> None:
        """The site file's document being served while no configuration is stored (LoadedSite.site_file)."""
        await self.execute(_SETTING_UPSERT, (site_id, "site_file", jsontext.dumps(document), head))

    async def record_site_file(self, applied: AppliedFile) -> None:
        """A site file put into service (settings/site_history.py): added to the site's history."""
        await self.execute(SITE_FILE_INSERT, site_file_row(applied))

    async def site_file_history(self, site_id: str | None = None) -> list[AppliedFile]:
        """The site files put into service, oldest first: a site's, or (None) every site's."""
        where, params = ("WHERE site = ? ", (site_id,)) if site_id is not None else ("", ())
        return [AppliedFile(*row) for row in await self._read(SITE_FILE_SELECT.format(where=where), params)]

    # --- retention: the oldest events of a site, archived then forgotten (application/retention.py) -----------

    async def event_rows_after(self, site_id: str, after: int, limit: int) -> list[tuple[int, str, str, str]]:
        """(seq, type, at, data) as stored, oldest first."""
        rows = await self._read(
            "SELECT seq, type, at, data FROM events WHERE site = ? AND seq > ? ORDER BY seq LIMIT ?",
            (site_id, after, limit),
        )
        return [(int(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in rows]

    async def newest_seq(self, site_id: str) -> int:
        rows = await self._read("SELECT COALESCE(MAX(seq), 0) FROM events WHERE site = ?", (site_id,))
        return int(rows[0][0])

    async def ticket_documents_before(self, site_id: str, day: date, after: str, limit: int) -> list[tuple[str, str]]:
        """(id, doc) of the site's closed tickets of days before `day` not archived yet, by id, after `after`."""
        finals = ",".join("?" * len(DAY_OVER_STATES))
        rows = await self._read(
            f"SELECT id, doc FROM tickets WHERE site = ? AND day < ? AND doc <> '' AND id > ? "  # noqa: S608
            f"AND state IN ({finals}) ORDER BY id LIMIT ?",
            (site_id, day.isoformat(), after, *sorted(s.value for s in DAY_OVER_STATES), limit),
        )
        return [(str(r[0]), str(r[1])) for r in rows]

    async def forget_ticket_documents(self, site_id: str, day: date, after: str, upto: str) -> None:
        """Archived: the tickets keep the columns reports read; their document and link (token) go."""
        finals = ",".join("?" * len(DAY_OVER_STATES))
        await self.execute(
            f"UPDATE tickets SET doc = '', token = '' WHERE site = ? AND day < ? AND id > ? AND id <= ? "  # noqa: S608
            f"AND doc <> '' AND state IN ({finals})",
            (site_id, day.isoformat(), after, upto, *sorted(s.value for s in DAY_OVER_STATES)),
        )

    async def forget_events(self, site_id: str, after: int, upto: int) -> None:
        """Delete the site's events with after < seq <= upto (archived first). Never the site's newest one: the
        log's numbering and a site's head are read from what is left."""
        await self.execute("DELETE FROM events WHERE site = ? AND seq > ? AND seq <= ?", (site_id, after, upto))

    async def events_after(self, site_id: str, after: int, limit: int) -> list[Event]:
        rows = await self._read(
            "SELECT seq, site, type, at, data FROM events WHERE site = ? AND seq > ? ORDER BY seq LIMIT ?",
            (site_id, after, limit),
        )
        return [_event(r) for r in rows]

    async def call_seq(self, site_id: str, ticket_id: str, scan: int = 20_000) -> int | None:
        """The seq of the newest event that called `ticket_id`, looked for among the site's last `scan` events only
        (through the (site, seq) index: a call is at most minutes old, and a log of months costs nothing here);
        None if not there (application/heard.py, for a call made before this process started)."""
        rows = await self._read(
            "SELECT seq, data FROM (SELECT seq, type, data FROM events WHERE site = ? ORDER BY seq DESC LIMIT ?) "
            "AS recent WHERE type = 'ticket.called' ORDER BY seq DESC",
            (site_id, scan),
        )
        for seq, data in rows:
            ticket = json.loads(data).get("ticket")
            if isinstance(ticket, dict) and ticket.get("id") == ticket_id:
                return int(seq)
        return None

    async def event(self, site_id: str, seq: int) -> Event | None:
        rows = await self._read(
            "SELECT seq, site, type, at, data FROM events WHERE site = ? AND seq = ?", (site_id, seq)
        )
        return _event(rows[0]) if rows else None

    async def count_events_after(self, site_id: str, after: int, cap: int) -> int:
        rows = await self._read(
            "SELECT COUNT(*) FROM (SELECT 1 FROM events WHERE site = ? AND seq > ? LIMIT ?) AS e", (site_id, after, cap)
        )
        return int(rows[0][0]) if rows else 0

    async def answers(self) -> None:
        """Raises when the database cannot answer a read at all (PostgreSQL stopped or out of reach): /healthz."""
        await self.fetch_one("SELECT 1")

    async def secret(self, name: str) -> bytes:
        """A random key kept in the database (e.g. for keyed NIK hashes), made on first use and never shown."""
        key = f"secret:{name}"
        row = await self.fetch_one("SELECT value FROM meta WHERE key = ?", (key,))
        if row is None:
            await self.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", (key, secrets.token_hex(32))
            )
            row = await self.fetch_one("SELECT value FROM meta WHERE key = ?", (key,))
        assert row is not None
        return bytes.fromhex(row[0])

    async def booking_by_code(self, code: str) -> Booking | None:
        """The booking with this code. A mall mirrored here has no booking page here: its bookings' codes stay at
        the mall (domain/relay.withheld; migration 0021 took those a copy held from before)."""
        if never_stored(code):
            return None
        rows = await self._read(
            "SELECT doc FROM bookings WHERE code = ? AND site NOT IN (SELECT site FROM site_settings WHERE "
            "key = 'relayed_head' AND value <> '0')",
            (code,),
        )
        return Booking.from_dict(json.loads(rows[0][0])) if rows else None

    async def ticket_by_token(self, token: str) -> Ticket | None:
        """The live leg of the ticket with this public token. A token of a length no ticket has (they are 24
        characters) is not looked up: links and QR codes come from anyone."""
        if not 10 <= len(token) <= 64 or never_stored(token):
            return None
        rows = await self._read(
            # Transfer legs share the token; the live leg is the one not transferred away. A mall mirrored here
            # (its log sent up from its own server) has no ticket page here, also for a link its copy still holds
            # from before links were withheld (domain/relay.withheld).
            "SELECT doc FROM tickets WHERE token = ? AND site NOT IN (SELECT site FROM site_settings WHERE "
            "key = 'relayed_head' AND value <> '0') ORDER BY state = 'transferred', seq DESC LIMIT 1",
            (token,),
        )
        return Ticket.from_dict(json.loads(rows[0][0])) if rows else None

    async def idempotent_results(self, keys: Sequence[str]) -> dict[str, tuple[int, str]]:
        """The stored answers (status, body) of those keys whose command committed; one query for a whole batch."""
        rows = await self._in_chunks("SELECT key, status, body FROM idempotency WHERE key IN ({marks})", keys)
        return {str(key): (int(status), str(body)) for key, status, body in rows}

    # --- the supervisor's reads and the survey (reports, audit log, IKM) ----------------------------------

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
        if never_stored(ticket_id):
            return None
        rows = await self.query(
            "SELECT doc FROM tickets WHERE id = ? AND site = ? AND doc <> ''", (ticket_id, site_id)
        )  # an archived ticket keeps only its report columns (forget_ticket_documents)
        return Ticket.from_dict(json.loads(rows[0][0])) if rows else None

    async def service_history(
        self, site_id: str, days: Sequence[date], limit: int = 3000
    ) -> dict[str, tuple[float, int]]:
        """Per service, the robust mean minutes a counter was taken per ticket (call to finish, or to no-show) on
        `days`, and how many tickets that is: the prior of the wait forecast (domain/service_times.py). The newest
        `limit` tickets only, so a start-up with hundreds of malls reads a bounded amount."""
        if not days:
            return {}
        marks = ",".join("?" * len(days))
        rows = await self._read(
            "SELECT service, called_at, finished_at FROM tickets WHERE site = ? "  # noqa: S608
            f"AND day IN ({marks}) AND called_at IS NOT NULL AND finished_at IS NOT NULL "
            "AND state IN ('done', 'no_show') "
            "ORDER BY finished_at DESC LIMIT ?",
            (site_id, *(d.isoformat() for d in days), limit),
        )
        minutes: dict[str, list[float]] = {}
        for service, called, finished in rows:
            taken = (datetime.fromisoformat(finished) - datetime.fromisoformat(called)).total_seconds() / 60
            if taken > 0:
                minutes.setdefault(service, []).append(taken)
        return {service: (robust_mean(values), len(values)) for service, values in minutes.items()}

    async def counter_moves(
        self, site_id: str, spans: Sequence[tuple[datetime, datetime]]
    ) -> list[tuple[datetime, str, str]]:
        """The counters' pauses, openings and closings within `spans` (start inclusive, end exclusive), as (at,
        event type, counter id): domain/break_habits.py learns each counter's usual break from them. Read through
        the partial index of migration 0008, so a log of months costs nothing here."""
        moves: list[tuple[datetime, str, str]] = []
        for start, end in spans:
            rows = await self._read(
                "SELECT at, type, data FROM events WHERE site = ? "
                "AND type IN ('counter.paused', 'counter.opened', 'counter.closed') AND at >= ? AND at < ?",
                (site_id, utc_iso(start), utc_iso(end)),
            )
            for at, kind, data in rows:
                counter = json.loads(data).get("counter")
                if isinstance(counter, dict) and isinstance(counter.get("id"), str):
                    moves.append((datetime.fromisoformat(at), kind, counter["id"]))
        return moves

    # --- a mall's survey answers going up to its mirror (outbound/uplink.py, supervision/survey.py) -----------

    async def survey_rows_since(self, site_id: str, since: str, limit: int) -> list[tuple[Any, ...]]:
        """(ticket, day, service, agency, counter, channel, answered_at, answers) of the site's answers given at or
        after `since` (UTC ISO, as stored), oldest first. The day bound lets the (site, day) index do the work."""
        first_day = (datetime.fromisoformat(since).date() - timedelta(days=1)).isoformat() if since else ""
        return await self._read(
            "SELECT ticket, day, service, agency, counter, channel, answered_at, answers FROM survey_responses "
            "WHERE site = ? AND day >= ? AND answered_at >= ? ORDER BY answered_at, ticket LIMIT ?",
            (site_id, first_day, since, limit),
        )

    async def newest_survey(self, site_id: str) -> tuple[str, str] | None:
        """(answered_at, ticket) of the site's newest answer."""
        rows = await self._read(
            "SELECT answered_at, ticket FROM survey_responses WHERE site = ? ORDER BY answered_at DESC, ticket DESC "
            "LIMIT 1",
            (site_id,),
        )
        return (str(rows[0][0]), str(rows[0][1])) if rows else None

    async def rows_named(
        self, ticket_ids: Sequence[str], booking_ids: Sequence[str], codes: Sequence[str]
    ) -> list[tuple[str, str, str, str | None]]:
        """(table, id, site, booking code) of the tickets and bookings with these ids or booking codes, whatever
        their site: a mirrored mall's batch may not touch another site's (domain/relay.py checks its own). A
        relayed ticket's link is not kept (domain/relay.withheld), so none can be another's."""
        out: list[tuple[str, str, str, str | None]] = []
        rows = await self._in_chunks("SELECT id, site FROM tickets WHERE id IN ({marks})", ticket_ids)
        out += [("tickets", str(r[0]), str(r[1]), None) for r in rows]
        sql = "SELECT id, site, code FROM bookings WHERE id IN ({marks}) OR code IN ({marks})"
        rows = await self._in_chunks(sql, [*booking_ids, *codes], repeat=2)
        out += [("bookings", str(r[0]), str(r[1]), str(r[2])) for r in rows]
        return out

    async def tickets_answered_for(self, site_id: str, ticket_ids: Sequence[str]) -> dict[str, tuple[Any, ...]]:
        """Per ticket of the site among `ticket_ids`: (day, service, agency, counter), as a survey answer keeps them,
        then its state and when its service ended (finished_at, as stored; None while it has not)."""
        sql = "SELECT id, day, service, agency, counter, state, finished_at, site FROM tickets WHERE id IN ({marks})"
        return {str(r[0]): tuple(r[1:7]) for r in await self._in_chunks(sql, ticket_ids) if r[7] == site_id}

    async def _in_chunks(self, sql: str, values: Sequence[str], repeat: int = 1) -> list[tuple[Any, ...]]:
        """The rows of `sql` for `values`, read in chunks well under SQLite's limit of bound parameters; `{marks}`
        in `sql` stands for a chunk's placeholders, `repeat` times the same chunk."""
        rows: list[tuple[Any, ...]] = []
        unique = list(dict.fromkeys(values))
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            rows += await self._read(sql.format(marks=",".join("?" * len(chunk))), chunk * repeat)
        return rows

    async def add_relayed_surveys(self, rows: list[tuple[Any, ...]]) -> None:
        """Answers given at a mirrored mall, as survey_row made them there; one already here is left as it is."""
        await self.run([(SURVEY_INSERT + " ON CONFLICT (ticket) DO NOTHING", rows)])

    async def survey_answered(self, ticket_id: str) -> bool:
        return bool(await self.query("SELECT 1 FROM survey_responses WHERE ticket = ?", (ticket_id,)))

    async def survey_sums(
        self, site_id: str, start: date, end: date, agency: str | None, service: str | None
    ) -> list[SurveySums]:
        """The answers of the local days start..end (inclusive) summed per service and agency, by agency then
        service; only one agency's or one service's when given."""
        sql = (
            "SELECT service, agency, COUNT(*), SUM(a1), SUM(a2), SUM(a3), SUM(a4), SUM(a5), SUM(a6), SUM(a7), "
            "SUM(a8), SUM(a9) FROM survey_responses WHERE site = ? AND day >= ? AND day <= ?"
        )
        where, params = _narrowed([site_id, start.isoformat(), end.isoformat()], agency, service)
        rows = await self.query(sql + where + " GROUP BY service, agency ORDER BY agency, service", params)
        return [SurveySums(r[0], r[1], int(r[2]), tuple(int(s) for s in r[3:12])) for r in rows]

    async def served_counts(
        self, site_id: str, start: date, end: date, agency: str | None, service: str | None
    ) -> list[tuple[str, str, int]]:
        """Served (done) ticket legs of the local days start..end (inclusive) per service and agency: the
        population an index's sample is measured against (each served leg may answer the survey once)."""
        sql = "SELECT service, agency, COUNT(*) FROM tickets WHERE site = ? AND day >= ? AND day <= ? AND state = ?"
        where, params = _narrowed([site_id, start.isoformat(), end.isoformat(), "done"], agency, service)
        rows = await self.query(sql + where + " GROUP BY service, agency", params)
        return [(r[0], r[1], int(r[2])) for r in rows]


def _narrowed(params: list[Any], agency: str | None, service: str | None) -> tuple[str, list[Any]]:
    """The conditions (and their parameters, after `params`) that keep one agency's or one service's rows only."""
    where = ""
    if agency:
        where += " AND agency = ?"
        params.append(agency)
    if service:
        where += " AND service = ?"
        params.append(service)
    return where, params


@contextlib.asynccontextmanager
async def _always() -> AsyncIterator[Role]:
    yield _Always()


def never_stored(key: str) -> bool:
    """A key no row holds, so not looked up: one with a NUL. A citizen's link, a booking code or an id in a staff
    page's address comes from whoever types it (%00), and PostgreSQL refuses a NUL in text with an error, which was
    answered 500 where SQLite found nothing."""
    return "\x00" in key


def _event(row: Sequence[Any]) -> Event:
    return Event(row[2], row[1], datetime.fromisoformat(row[3]), json.loads(row[4]), row[0])


SURVEY_INSERT = (
    "INSERT INTO survey_responses (ticket, site, day, service, agency, counter, channel, answered_at, "
    "answers, a1, a2, a3, a4, a5, a6, a7, a8, a9) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
)


def survey_row(ticket: Ticket, channel: str, answered_at: datetime, answers: list[int]) -> tuple[Any, ...]:
    return (ticket.id, ticket.site, ticket.day.isoformat(), ticket.service, ticket.agency, ticket.counter,
            channel, utc_iso(answered_at), json.dumps(answers), *answers)  # fmt: skip


# --- the rows of one write -------------------------------------------------------------------------------------


def batch_statements(batch: Batch, seqs: Iterable[int], now: datetime) -> tuple[list[Event], Statements]:
    """The batch's events numbered with `seqs` (in order), and every statement (with its rows) the transaction runs:
    the log, the projections, the supervisor's records and the idempotency records. `now`: when the records were
    made (idempotency retention)."""
    numbered: list[Event] = []
    event_rows: list[tuple[Any, ...]] = []
    tickets: dict[str, tuple[Any, ...]] = {}
    relayed: dict[str, tuple[Any, ...]] = {}  # a mirrored mall's, from its own server's log
    counters: dict[tuple[str, str], tuple[Any, ...]] = {}
    days: dict[tuple[str, str], tuple[str, int]] = {}  # (site, day) -> the last close or reopen, its seq
    bookings: dict[str, tuple[Any, ...]] = {}
    for event, seq in zip(batch.events, seqs, strict=False):
        numbered.append(Event(event.type, event.site, event.at, event.data, seq))
        event_rows.append((seq, event.site, event.type, event.at.isoformat(), jsontext.dumps(event.data)))
        for key in ("ticket", "new_ticket"):
            if key in event.data and SOURCE_SEQ in event.data:
                relayed[event.data[key]["id"]] = (*_ticket_row(event.data[key], seq), "relayed")
            elif key in event.data:
                tickets[event.data[key]["id"]] = _ticket_row(event.data[key], seq)
        if isinstance(event.data.get("counter"), dict):
            counter = event.data["counter"]
            counters[(event.site, counter["id"])] = (event.site, counter["id"], jsontext.dumps(counter), seq)
        if event.type in ("day.closed", "day.reopened"):  # the last of a batch wins
            days[(event.site, event.data["day"])] = (event.type, seq)
        if "booking" in event.data:
            booking = event.data["booking"]
            bookings[booking["id"]] = _booking_row(booking, seq)
    assert len(numbered) == len(batch.events), "a number for every event"
    statements: Statements = [
        ("INSERT INTO events (seq, site, type, at, data) VALUES (?,?,?,?,?)", event_rows),
        (_TICKET_UPSERT, list(tickets.values())),
        (_RELAYED_TICKET_UPSERT, list(relayed.values())),
        (_COUNTER_UPSERT, list(counters.values())),
        (_BOOKING_UPSERT, list(bookings.values())),
        *_records(batch, numbered),
        (
            _CLOSED_DAY_UPSERT,
            [(site, day, seq, int(kind == "day.reopened")) for (site, day), (kind, seq) in days.items()],
        ),
    ]
    if batch.contacts:
        contacts = {r.ref: (r.ref, r.site, r.lang, r.cipher, r.masked, utc_iso(r.purge_after)) for r in batch.contacts}
        statements.append((CONTACT_UPSERT, list(contacts.values())))
    if batch.outbox:
        statements.append((OUTBOX_INSERT, [outbox_values(r) for r in batch.outbox]))
    if batch.idempotency:
        made = now.isoformat()
        statements.append((_IDEMPOTENCY_INSERT, [(k, st, b, made) for k, st, b in batch.idempotency]))
    return numbered, [(sql, rows) for sql, rows in statements if rows]


CONTACT_UPSERT = (
    "INSERT INTO contacts (ref, site, lang, cipher, masked, purge_after) VALUES (?,?,?,?,?,?) "
    "ON CONFLICT (ref) DO UPDATE SET lang = excluded.lang, cipher = excluded.cipher, masked = excluded.masked, "
    "purge_after = excluded.purge_after"
)
# A message whose dedupe text is taken already (another process wrote it first) is simply not written again.
OUTBOX_INSERT = (
    "INSERT INTO outbox (id, dedupe, site, endpoint, kind, key, contact, payload, state, attempts, due_at, "
    "created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING"
)


def outbox_values(r: OutboxRow) -> tuple[Any, ...]:
    return (r.id, r.dedupe, r.site, r.endpoint, r.kind, r.key, r.contact, r.payload, "pending", 0,
            utc_iso(r.due_at), utc_iso(r.created_at))  # fmt: skip


def _counter_read(doc: dict[str, Any], kind: str | None, at: str | None) -> CounterStatus:
    """A stored counter; one written before `idle_since` was, dated by the event that wrote it (`kind`, `at`: none when
    the log of that day has been archived)."""
    counter = CounterStatus.from_dict(doc)
    if "idle_since" in doc or kind is None or at is None:
        return counter
    return idle_dated(counter, datetime.fromisoformat(at), event_type=kind)


def _closed_reason(data: Any) -> str | None:
    """The reason a day.closed event's data (JSON text, or an object where the driver decodes it) says, or None."""
    if isinstance(data, str):
        data = json.loads(data)
    reason = data.get("reason") if isinstance(data, dict) else None
    return reason if isinstance(reason, str) and reason else None


_COUNTER_UPSERT = (
    "INSERT INTO counters (site, id, doc, seq) VALUES (?,?,?,?) "
    "ON CONFLICT (site, id) DO UPDATE SET doc = excluded.doc, seq = excluded.seq"
)
_IDEMPOTENCY_INSERT = "INSERT INTO idempotency (key, status, body, created_at) VALUES (?,?,?,?)"
_CLOSED_DAY_UPSERT = (
    "INSERT INTO closed_days (site, day, seq, reopened) VALUES (?,?,?,?) "
    "ON CONFLICT (site, day) DO UPDATE SET seq = excluded.seq, reopened = excluded.reopened"
)


def _upsert(table: str, key: str, fields: tuple[FieldSpec, ...], stored: tuple[str, ...] = ()) -> str:
    """The one statement that writes a snapshot: its columns (declared on the snapshot's fields), the event's seq and
    the whole snapshot as JSON; a newer snapshot of the same row updates what may change. `stored`: columns of the
    database's own, not the snapshot's, after `doc` in a row, written with a new row only."""
    names = [f.name for f in fields]
    updates = [f"{f.name} = excluded.{f.name}" for f in fields if f.column == "mutable"]
    columns = ", ".join([*names, "seq", "doc", *stored])
    return (
        f"INSERT INTO {table} ({columns}) VALUES ({', '.join('?' * (len(names) + 2 + len(stored)))}) "  # noqa: S608
        f"ON CONFLICT ({key}) DO UPDATE SET {', '.join([*updates, 'seq = excluded.seq', 'doc = excluded.doc'])}"
    )


TICKET_COLUMNS = tuple(f.name for f in columns(Ticket))
_TICKET_UPSERT = _upsert("tickets", "id", columns(Ticket))
# A mirrored mall's tickets as its own server numbered them, left out of the unique index of labels (tickets_label,
# migration 0014): the mall's server holds its labels unique; a box of an earlier release may have issued one twice,
# and the mirror keeps what the mall issued rather than refuse the mall's log over it for ever.
_RELAYED_TICKET_UPSERT = _upsert("tickets", "id", columns(Ticket), stored=("label_exempt",))
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
        if isinstance(counter, dict) and isinstance(ticket, dict) and ticket.get("counter") == counter["id"]:
            # The operator follows the counter: at a counter with nobody signed in, no one else's name stays.
            operators[ticket["id"]] = (ticket["id"], event.site, counter.get("operator"))
        elif event.type in _LEFT_COUNTER and isinstance(ticket, dict) and ticket.get("counter") is None:
            # Back in the queue (a late arrival requeued, a call returned when its counter closed, a reopened day):
            # the counter that called it no longer handles it, so neither does its operator.
            operators[ticket["id"]] = (ticket["id"], event.site, None)
        if event.type == "ticket.requeued" and isinstance(ticket, dict):
            requeues[ticket["id"]] = (ticket["id"], event.site, ticket["queue_key"])
        if event.type == "site.running_text":
            settings[(event.site, "running_text")] = (event.site, "running_text", event.data["text"], event.seq)
            withheld = utc_iso(event.at) if TEXT_WITHHELD in event.data else ""  # "": shown (domain/relay.py)
            settings[(event.site, "running_text_withheld")] = (event.site, "running_text_withheld", withheld, event.seq)
        if SOURCE_SEQ in event.data:  # kept apart from the log's own newest event, which a local event could be
            settings[(event.site, "relayed_head")] = (
                event.site,
                "relayed_head",
                str(event.data[SOURCE_SEQ]),
                event.seq,
            )
        if event.type == ev.SERVICE_PAUSED:  # each service's latest pause, read at start-up ("": resumed)
            for pause in event.data["pauses"]:
                key = f"{PAUSE_KEY}{pause['service']}"
                settings[(event.site, key)] = (event.site, key, jsontext.dumps(pause), event.seq)
        if event.type == ev.SERVICE_RESUMED:
            for service_id in event.data["services"]:
                key = f"{PAUSE_KEY}{service_id}"
                settings[(event.site, key)] = (event.site, key, "", event.seq)
        if event.type == "site.configured":  # the current one, read at start-up (the log keeps every version)
            value = jsontext.dumps(event.data)
            settings[(event.site, "configuration")] = (event.site, "configuration", value, event.seq)
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
        out.append((AUDIT_INSERT, audit))
    return out


KEY_CHECK = "notification_key_check"  # a row of `meta`: a known text sealed with the notification key
# What tells whether a key file is the one that sealed a database's values (outbound/vault.checked_vault at a start,
# backup.sealed_in_sqlite at a restore): whether anything is sealed, and a few sealed values to try it on.
HOLDS_SEALED = ("SELECT 1 FROM contacts LIMIT 1", "SELECT 1 FROM webhook_endpoints WHERE active = 1 LIMIT 1")
SEALED_SAMPLES = (
    "SELECT secret FROM webhook_endpoints WHERE active = 1 ORDER BY created_at DESC LIMIT 5",
    "SELECT cipher FROM contacts LIMIT 5",
)
PAUSE_KEY = "issuing_paused:"  # + a service id: a site_settings key holding its issuing pause

# Events that put a ticket back in the queue, away from the counter that had it (tickets.counter becomes NULL).
_LEFT_COUNTER = frozenset({ev.TICKET_REQUEUED, ev.TICKET_RETURNED})
_OPERATOR_UPSERT = (
    "INSERT INTO ticket_facts (ticket, site, operator) VALUES (?,?,?) "
    "ON CONFLICT (ticket) DO UPDATE SET operator = excluded.operator"
)
_REQUEUE_UPSERT = (
    "INSERT INTO ticket_facts (ticket, site, requeued_at) VALUES (?,?,?) "
    "ON CONFLICT (ticket) DO UPDATE SET requeued_at = excluded.requeued_at"
)
_COPY_TABLES = (
    "events", "tickets", "ticket_facts", "bookings", "counters", "closed_days", "site_settings", "survey_responses",
    "mirror_status",
)  # fmt: skip
_SETTING_UPSERT = (
    "INSERT INTO site_settings (site, key, value, seq) VALUES (?,?,?,?) "
    "ON CONFLICT (site, key) DO UPDATE SET value = excluded.value, seq = excluded.seq"
)
SITE_FILE_INSERT = (
    "INSERT INTO site_file_history (site, digest, version, applied_at, host, pid, path) VALUES (?,?,?,?,?,?,?)"
)
SITE_FILE_SELECT = (
    "SELECT site, digest, version, applied_at, host, pid, path FROM site_file_history {where}ORDER BY site, id"
)


def site_file_row(applied: AppliedFile) -> tuple[Any, ...]:
    return (applied.site, applied.digest, applied.version, applied.applied_at, applied.host, applied.pid,
            applied.path)  # fmt: skip


AUDIT_INSERT = "INSERT INTO audit (site, at, actor, role, action, target, details, seq) VALUES (?,?,?,?,?,?,?,?)"

# The report scan (report_legs). A ticket's place in the queue (queue_key) is its issue unless it was requeued
# (ticket_facts keeps when), so a report never has to parse the JSON documents of twenty thousand tickets.
# A ticket at no counter has no operator: rows written before the operator followed the counter back into the
# queue may still name the first counter's.
_LEGS = """
SELECT t.id, t.service, t.agency, t.state, t.counter, CASE WHEN t.counter IS NULL THEN NULL ELSE f.operator END,
       t.parent, t.issued_at,
       COALESCE(f.requeued_at, t.issued_at), t.called_at, t.started_at, t.finished_at, p.finished_at, p.agency
FROM tickets t
LEFT JOIN tickets p ON p.id = t.parent
LEFT JOIN ticket_facts f ON f.ticket = t.id
WHERE t.site = ? AND t.day >= ? AND t.day <= ?
"""
