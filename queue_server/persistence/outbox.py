"""The SQL of the outbox, the webhook endpoints and citizens' contacts (outbound/ keeps the rules). The rows
themselves are written with the events that cause them (port.batch_statements); this is what the delivery worker
and the people managing endpoints read and change afterwards."""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from queue_server.persistence.port import (
    AUDIT_INSERT,
    CONTACT_UPSERT,
    OUTBOX_INSERT,
    ContactRow,
    OutboxRow,
    Statements,
    StoragePort,
    never_stored,
    outbox_values,
    utc_iso,
)

GATEWAY = "gateway"  # the endpoint of citizen messages: the site's WhatsApp/SMS gateway
# The `meta` row of the breakers the delivering process has opened (say_breakers). Its name is from when it held the
# paused gateways alone; kept, so that a row an earlier release wrote is still read (breakers_said).
BREAKERS_KEY = "gateways_paused"


class BreakersSaid(NamedTuple):
    """The delivering process's last word on its breakers (OutboxStore.say_breakers)."""

    opened: dict[str, str]  # by key, each breaker not closed: open or half_open (what the pages show)
    at: datetime
    by: str | None  # the process that said it (None: a row of an earlier release)
    kept: dict[str, dict[str, Any]]  # by key, each breaker's whole state (Breaker.said); {}: an earlier release's


@dataclass(frozen=True)
class Pending:
    """A message to try now."""

    n: int
    id: str
    site: str
    endpoint: str
    kind: str
    key: str
    contact: str | None
    payload: str
    attempts: int
    created_at: datetime
    overtaken: bool = False  # a later message of its endpoint and key was sent already (a dead letter resent late)
    unknown: bool = False  # its last try's outcome is unknown: it may have been delivered (Attempt.unknown)


@dataclass(frozen=True)
class Attempt:
    """What became of one try: sent, to be tried again at `retry_at`, dead (given up), or skipped (no longer worth
    sending: the endpoint is gone, the number deleted, the turn passed)."""

    n: int
    outcome: str  # sent, retry, dead, skipped
    at: datetime
    error: str | None = None
    retry_at: datetime | None = None
    # The request reached the receiver and no answer was read (no answer in time, the connection dropped): it may
    # have been delivered. Kept with a retried or dead message (`outcome_unknown`), cleared once it is sent.
    unknown: bool = False
    # The error's kind and figures ({"kind": "receiver_error", "status": 503}: common/delivery_problems.py), kept
    # beside its text (`last_problem`), so that a supervisor reads it in words
    problem: dict[str, Any] | None = None


@dataclass(frozen=True)
class Endpoint:
    id: str
    site: str
    agency: str | None
    url: str
    secret: str  # encrypted (outbound/vault.py)
    events: tuple[str, ...]
    description: str
    active: bool
    created_at: datetime
    created_by: str

    def public(self) -> dict[str, Any]:
        """As shown to admins: everything but the secret."""
        return {
            "id": self.id,
            "site": self.site,
            "agency": self.agency,
            "url": self.url,
            "events": list(self.events),
            "description": self.description,
            "active": self.active,
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
        }


@dataclass(frozen=True)
class EndpointStatus:
    """An endpoint's deliveries as a supervisor sees them."""

    endpoint: str
    pending: int = 0  # waiting for their first try
    retrying: int = 0  # tried and failed, to be tried again
    sent: int = 0
    dead: int = 0  # given up: resend them once the receiver is mended
    skipped: int = 0
    oldest_retrying: datetime | None = None
    last_sent_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    last_problem: dict[str, Any] | None = None  # the last error's kind and figures (None: a row of an earlier release)
    unknown: int = 0  # retrying or dead whose last try's outcome is unknown: they may have been delivered


# A message written over its site's limit of its kind goes again (add_message); its audit entry is written only
# with it.
_OVER_LIMIT = (
    "DELETE FROM outbox WHERE id = ? AND (SELECT COUNT(*) FROM outbox o WHERE o.site = ? AND o.kind = ? "
    "AND o.created_at > ?) > ?"
)
_AUDIT_IF_WRITTEN = (
    "INSERT INTO audit (site, at, actor, role, action, target, details, seq) SELECT ?,?,?,?,?,?,?,? "
    "WHERE EXISTS (SELECT 1 FROM outbox WHERE id = ?)"
)
_ENDPOINT_COLUMNS = "id, site, agency, url, secret, events, description, active, created_at, created_by"


def _endpoint(row: tuple[Any, ...]) -> Endpoint:
    return Endpoint(row[0], row[1], row[2], row[3], row[4], tuple(json.loads(row[5])), row[6], bool(row[7]),
                    datetime.fromisoformat(row[8]), row[9])  # fmt: skip


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _problem(attempt: Attempt) -> str | None:
    return json.dumps(attempt.problem) if attempt.problem else None


def _loaded(text: str | None) -> dict[str, Any] | None:
    """A stored problem; None for a row of an earlier release (its text alone) or one that cannot be read."""
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) and isinstance(value.get("kind"), str) else None


class OutboxStore:
    def __init__(self, storage: StoragePort) -> None:
        self.storage = storage

    # --- delivering ------------------------------------------------------------------------------------------

    async def due(
        self,
        now: datetime,
        limit: int,
        held: Collection[str] = (),
        busy_endpoints: Collection[str] = (),
        busy_gateways: Collection[str] = (),
    ) -> list[Pending]:
        """Pending messages due now, oldest first, each the first of its key still to go: a message waits while an
        earlier one of the same endpoint and key is due or being retried (a ticket's "called" never overtakes its
        "issued"); one scheduled for later (a booking's reminder) holds nothing up. `held`: sites whose messages
        are not taken now (left out at start-up), which must not fill the batch either; nor must the messages of
        webhooks (`busy_endpoints`) and sites' gateways (`busy_gateways`) that take none now (full, paused)."""
        at = utc_iso(now)
        kept = sorted(held)
        others = f"AND o.site NOT IN ({', '.join('?' * len(kept))}) " if kept else ""
        hooks, gateways = list(busy_endpoints), list(busy_gateways)
        if hooks:
            others += f"AND o.endpoint NOT IN ({', '.join('?' * len(hooks))}) "
        if gateways:
            others += f"AND NOT (o.endpoint = '{GATEWAY}' AND o.site IN ({', '.join('?' * len(gateways))})) "
        kept += hooks + gateways
        rows = await self.storage._read(  # noqa: SLF001 - the short-read connection, as the engine's replays
            "SELECT o.n, o.id, o.site, o.endpoint, o.kind, o.key, o.contact, o.payload, o.attempts, o.created_at, "  # noqa: S608 - placeholders only
            "EXISTS (SELECT 1 FROM outbox q WHERE q.endpoint = o.endpoint AND q.key = o.key AND q.n > o.n "
            "AND q.state = 'sent'), o.outcome_unknown "
            f"FROM outbox o WHERE o.state = 'pending' AND o.due_at <= ? {others}AND NOT EXISTS ("
            "SELECT 1 FROM outbox p WHERE p.endpoint = o.endpoint AND p.key = o.key AND p.n < o.n "
            "AND p.state = 'pending' AND (p.due_at <= ? OR p.attempts > 0)) ORDER BY o.n LIMIT ?",
            (at, *kept, at, limit),
        )
        return [
            Pending(
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                r[5],
                r[6],
                r[7],
                r[8],
                datetime.fromisoformat(r[9]),
                bool(r[10]),
                bool(r[11]),
            )  # fmt: skip
            for r in rows
        ]

    async def next_due(self) -> datetime | None:
        """When the earliest pending message falls due (the worker sleeps until then, or until woken)."""
        rows = await self.storage._read("SELECT MIN(due_at) FROM outbox WHERE state = 'pending'")  # noqa: SLF001
        return _time(rows[0][0]) if rows else None

    async def record(self, attempts: list[Attempt]) -> None:
        """Every outcome of a round, in one transaction."""
        sent, retry, dead, skipped = [], [], [], []
        for a in attempts:
            if a.outcome == "sent":
                sent.append((utc_iso(a.at), a.n))
            elif a.outcome == "retry":
                assert a.retry_at is not None
                retry.append((utc_iso(a.retry_at), a.error, int(a.unknown), _problem(a), a.n))
            elif a.outcome == "dead":
                dead.append((a.error, int(a.unknown), _problem(a), a.n))
            else:
                skipped.append((a.error, a.n))
        tried = "attempts = attempts + 1, last_error = ?, outcome_unknown = ?, last_problem = ?"
        statements: Statements = [
            (
                "UPDATE outbox SET state = 'sent', attempts = attempts + 1, sent_at = ?, outcome_unknown = 0 "
                "WHERE n = ?",
                sent,
            ),
            (f"UPDATE outbox SET due_at = ?, {tried} WHERE n = ?", retry),  # noqa: S608 - no input in the text
            (f"UPDATE outbox SET state = 'dead', {tried} WHERE n = ?", dead),  # noqa: S608
            ("UPDATE outbox SET state = 'skipped', last_error = ? WHERE n = ?", skipped),
        ]
        statements = [(sql, rows) for sql, rows in statements if rows]
        if statements:
            await self.storage.run(statements)

    async def retry_now(self, endpoint: str, site: str | None, now: datetime) -> None:
        """The endpoint's messages waiting for a later try (it was failing) fall due now: it answers again. A
        message's own backoff may reach 10 minutes, and every later message of its ticket waits behind it ("your
        turn" behind "your number is"), so waiting it out after the endpoint mended would hold a call up that long.
        `site`: a gateway's (every site's gateway is the endpoint `gateway`); None for a webhook."""
        sql = "UPDATE outbox SET due_at = ? WHERE state = 'pending' AND attempts > 0 AND endpoint = ? AND due_at > ?"
        params: tuple[Any, ...] = (utc_iso(now), endpoint, utc_iso(now))
        if site is not None:
            sql, params = sql + " AND site = ?", (*params, site)
        await self.storage.execute(sql, params)

    async def due_now(self, endpoint: str, now: datetime) -> bool:
        """A webhook's first message waiting for a later try (the oldest: the first of its ticket, so nothing is
        overtaken) falls due now, to probe the endpoint whose breaker's pause is over: waited out, its backoff may be
        10 minutes. False when none waits, or the first is due already (asked twice, it moves nothing more)."""
        row = await self.storage.write_one(
            "UPDATE outbox SET due_at = ? WHERE n = (SELECT MIN(n) FROM outbox WHERE state = 'pending' "
            "AND attempts > 0 AND endpoint = ?) AND due_at > ? RETURNING n",
            (utc_iso(now), endpoint, utc_iso(now)),
        )
        return row is not None

    async def contact(self, ref: str) -> tuple[str, str] | None:
        """A contact's (language, encrypted number), or None once it is deleted."""
        rows = await self.storage._read("SELECT lang, cipher FROM contacts WHERE ref = ?", (ref,))  # noqa: SLF001
        return (str(rows[0][0]), str(rows[0][1])) if rows else None

    async def forget_contact(self, ref: str) -> None:
        """A citizen withdrew their consent: their number goes now, not at the end of the day. A message still
        waiting for it is skipped ("the number was deleted")."""
        await self.storage.execute("DELETE FROM contacts WHERE ref = ?", (ref,))

    async def purge_contacts(self, now: datetime) -> None:
        """Delete the numbers whose time is up (their ticket's day or booking has ended, plus the retention)."""
        await self.storage.execute("DELETE FROM contacts WHERE purge_after < ?", (utc_iso(now),))

    async def forget_before(self, before: datetime) -> None:
        """Delete the record of messages sent or skipped before `before` (dead letters stay until resent)."""
        await self.storage.execute(
            "DELETE FROM outbox WHERE state IN ('sent', 'skipped') AND created_at < ?", (utc_iso(before),)
        )

    # --- the breakers opened, as the delivering process tells the others (shared storage) ---------------------

    async def say_breakers(
        self, opened: dict[str, str], at: datetime, by: str | None = None, kept: dict[str, dict[str, Any]] | None = None
    ) -> None:
        """The breakers the delivering process has opened (by key: a webhook's id, `gateway:<site>`; each with its
        state, open or half_open), when it said so, and which process it is (`by`: a token of its own): a row of
        `meta`, so that no migration is needed for a few bytes rewritten every few seconds. `kept`: each breaker's
        whole state by key (outbound/deliverer.py, `Breaker.said`), so that the process taking the outbox next goes
        on where this one was (its trips, its pause and when that ends)."""
        word = {"breakers": dict(sorted(opened.items())), "at": utc_iso(at), "by": by, "kept": kept or {}}
        await self.storage.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (BREAKERS_KEY, json.dumps(word, sort_keys=True)),
        )

    async def breakers_said(self) -> BreakersSaid | None:
        """What `say_breakers` last said; None if nothing was. A row of an earlier release named only the sites
        whose gateway was paused: read as their gateways' breakers open (and no process, no state kept)."""
        rows = await self.storage.query("SELECT value FROM meta WHERE key = ?", (BREAKERS_KEY,))
        if not rows:
            return None
        said = json.loads(rows[0][0])
        opened = said.get("breakers", {f"{GATEWAY}:{site}": "open" for site in said.get("sites", [])})
        by = said.get("by")
        states = {str(key): str(state) for key, state in opened.items()}
        kept = said.get("kept") if isinstance(said.get("kept"), dict) else {}
        whole = {str(key): state for key, state in kept.items() if isinstance(state, dict)}
        return BreakersSaid(states, datetime.fromisoformat(said["at"]), str(by) if by is not None else None, whole)

    # --- supervisors: status, dead letters, resending --------------------------------------------------------

    async def status(self, site: str) -> dict[str, EndpointStatus]:
        """Per endpoint of the site (the gateway among them): how many messages are in each state, the oldest one
        being retried, when one was last sent, and the last error."""
        rows = await self.storage.query(
            "SELECT endpoint, state, attempts > 0, COUNT(*), MIN(created_at), MAX(sent_at), SUM(outcome_unknown) "
            "FROM outbox WHERE site = ? GROUP BY endpoint, state, attempts > 0",
            (site,),
        )
        found: dict[str, dict[str, Any]] = {}
        for endpoint, state, tried, count, oldest, last_sent, unknown in rows:
            entry = found.setdefault(endpoint, {"endpoint": endpoint})
            if state in ("pending", "dead") and unknown:
                entry["unknown"] = entry.get("unknown", 0) + int(unknown)
            name = "retrying" if state == "pending" and tried else state
            entry[name] = entry.get(name, 0) + int(count)
            if name == "retrying":
                entry["oldest_retrying"] = _time(oldest)
            if last_sent and (entry.get("last_sent_at") is None or _time(last_sent) > entry["last_sent_at"]):
                entry["last_sent_at"] = _time(last_sent)
        errors = await self.storage.query(
            "SELECT endpoint, last_error, due_at, last_problem FROM outbox WHERE site = ? AND last_error IS NOT NULL "
            "AND state IN ('pending', 'dead') ORDER BY n DESC LIMIT 200",
            (site,),
        )
        for endpoint, error, at, problem in errors:
            entry = found.setdefault(endpoint, {"endpoint": endpoint})
            if "last_error" not in entry:
                entry["last_error"], entry["last_error_at"] = error, _time(at)
                entry["last_problem"] = _loaded(problem)
        return {endpoint: EndpointStatus(**values) for endpoint, values in found.items()}

    async def backlog(self) -> dict[tuple[str, str], tuple[int, int]]:
        """Per site and endpoint: messages not sent yet, and dead letters."""
        rows = await self.storage.query(
            "SELECT site, endpoint, SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN state = 'dead' THEN 1 ELSE 0 END) FROM outbox WHERE state IN ('pending', 'dead') "
            "GROUP BY site, endpoint"
        )
        return {(r[0], r[1]): (int(r[2] or 0), int(r[3] or 0)) for r in rows}

    async def troubles(self) -> list[tuple[str, str, datetime | None, int, str | None, dict[str, Any] | None]]:
        """Per site and endpoint with messages failing (being retried, or dead): (site, endpoint, the oldest
        failing message's time, how many are dead, the newest error, its kind and figures). One query for every site,
        for the alerts."""
        rows = await self.storage.query(
            "SELECT site, endpoint, MIN(created_at), SUM(CASE WHEN state = 'dead' THEN 1 ELSE 0 END), MAX(n) "
            "FROM outbox WHERE state IN ('pending', 'dead') AND last_error IS NOT NULL GROUP BY site, endpoint"
        )
        out = []
        for site, endpoint, oldest, dead, newest in rows:
            error = await self.storage.query("SELECT last_error, last_problem FROM outbox WHERE n = ?", (newest,))
            text, problem = error[0] if error else (None, None)
            out.append((site, endpoint, _time(oldest), int(dead or 0), text, _loaded(problem)))
        return out

    async def dead_letters(self, site: str, endpoint: str | None, limit: int) -> list[dict[str, Any]]:
        sql = (
            "SELECT id, endpoint, kind, key, attempts, created_at, last_error, outcome_unknown, last_problem "
            "FROM outbox WHERE site = ? AND state = 'dead'"
        )
        params: list[Any] = [site]
        if endpoint is not None:
            sql += " AND endpoint = ?"
            params.append(endpoint)
        rows = await self.storage.query(sql + " ORDER BY n DESC LIMIT ?", (*params, limit))
        return [
            {
                "id": r[0],
                "endpoint": r[1],
                "kind": r[2],
                "attempts": int(r[4]),
                "created_at": r[5],
                "last_error": r[6],
                "outcome_unknown": bool(r[7]),
                "problem": _loaded(r[8]),
            }  # fmt: skip
            for r in rows
        ]

    async def resend(self, site: str, message_id: str, now: datetime) -> bool:
        """A dead letter back in line, its tries counted from zero; False if the site has no such dead letter."""
        rows = await self.storage.fetch_one(
            "SELECT n FROM outbox WHERE id = ? AND site = ? AND state = 'dead'", (message_id, site)
        )
        if rows is None:
            return False
        await self.storage.execute(
            "UPDATE outbox SET state = 'pending', attempts = 0, due_at = ? WHERE n = ?", (utc_iso(now), rows[0])
        )
        return True

    async def resend_all(self, site: str, endpoint: str, now: datetime) -> int:
        rows = await self.storage.fetch_all(
            "SELECT n FROM outbox WHERE site = ? AND endpoint = ? AND state = 'dead'", (site, endpoint)
        )
        if rows:
            await self.storage.run(
                [
                    (
                        "UPDATE outbox SET state = 'pending', attempts = 0, due_at = ? WHERE n = ?",
                        [(utc_iso(now), r[0]) for r in rows],
                    )
                ]  # fmt: skip
            )
        return len(rows)

    async def audit(self, entry: tuple[Any, ...]) -> None:
        """An audit entry of an action outside the event log (a resend): (site, at, actor, role, action, target,
        details, seq)."""
        await self.storage.execute(AUDIT_INSERT, entry)

    # --- a gateway's test messages (application/gateway_test.py) ------------------------------------------------

    async def add_message(
        self, contact: ContactRow, message: OutboxRow, audit: tuple[Any, ...], since: datetime, limit: int
    ) -> bool:
        """A message not caused by an event (an admin's test of the gateway), its number (encrypted) and its audit
        entry, in one transaction, if the site has written fewer than `limit` messages of its kind since `since`:
        False (nothing written) otherwise. The count and the message are one step under the site's lock, so requests
        sent together, to one process or several, get no more than requests sent one by one."""
        number = (contact.ref, contact.site, contact.lang, contact.cipher, contact.masked, utc_iso(contact.purge_after))
        over = (message.id, message.site, message.kind, utc_iso(since), limit)
        await self.storage.run(
            [
                (CONTACT_UPSERT, [number]),
                (OUTBOX_INSERT, [outbox_values(message)]),
                # Over the limit (itself counted): the message and its number, written above for want of a
                # conditional INSERT of every type, go again before anything is committed.
                (_OVER_LIMIT, [over]),
                ("DELETE FROM contacts WHERE ref = ? AND NOT EXISTS (SELECT 1 FROM outbox WHERE id = ?)",
                 [(contact.ref, message.id)]),
                (_AUDIT_IF_WRITTEN, [(*audit, message.id)]),
            ],
            lock=f"outbox_limit:{message.site}:{message.kind}",
        )  # fmt: skip
        return await self.storage.fetch_one("SELECT 1 FROM outbox WHERE id = ?", (message.id,)) is not None

    async def written(self, site: str, kind: str, since: datetime) -> tuple[int, datetime | None]:
        """How many messages of `kind` the site has written since `since`, and when the oldest of them was."""
        row = await self.storage.fetch_one(
            "SELECT COUNT(*), MIN(created_at) FROM outbox WHERE site = ? AND kind = ? AND created_at > ?",
            (site, kind, utc_iso(since)),
        )
        return (int(row[0]), _time(row[1])) if row is not None else (0, None)

    async def message(self, site: str, kind: str, message_id: str) -> dict[str, Any] | None:
        """One message of the site and kind as the Pengiriman page knows it: its state, tries, when it was written,
        sent or is due, its last error (text, kind and figures), whether its outcome is unknown, and its payload."""
        if never_stored(message_id):
            return None
        row = await self.storage.fetch_one(
            "SELECT state, attempts, created_at, sent_at, due_at, last_error, last_problem, outcome_unknown, payload "
            "FROM outbox WHERE site = ? AND kind = ? AND id = ?",
            (site, kind, message_id),
        )
        if row is None:
            return None
        return {
            "state": row[0],
            "attempts": int(row[1]),
            "created_at": _time(row[2]),
            "sent_at": _time(row[3]),
            "due_at": _time(row[4]),
            "last_error": row[5],
            "problem": _loaded(row[6]),
            "outcome_unknown": bool(row[7]),
            "payload": json.loads(row[8]),
        }

    # --- endpoints -------------------------------------------------------------------------------------------

    async def endpoints(self, site: str | None = None) -> list[Endpoint]:
        sql = f"SELECT {_ENDPOINT_COLUMNS} FROM webhook_endpoints"  # noqa: S608
        rows = await (
            self.storage.fetch_all(sql + " WHERE site = ? ORDER BY created_at", (site,))
            if site is not None
            else self.storage.fetch_all(sql + " ORDER BY site, created_at")
        )
        return [_endpoint(r) for r in rows]

    async def endpoint(self, endpoint_id: str) -> Endpoint | None:
        if never_stored(endpoint_id):
            return None
        row = await self.storage.fetch_one(
            f"SELECT {_ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = ?",  # noqa: S608
            (endpoint_id,),
        )
        return _endpoint(row) if row is not None else None

    async def add_endpoint(self, e: Endpoint, audit: tuple[Any, ...]) -> None:
        await self.storage.run(
            [
                (
                    f"INSERT INTO webhook_endpoints ({_ENDPOINT_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)",  # noqa: S608
                    [
                        (
                            e.id,
                            e.site,
                            e.agency,
                            e.url,
                            e.secret,
                            json.dumps(list(e.events)),
                            e.description,
                            1 if e.active else 0,
                            e.created_at.isoformat(),
                            e.created_by,
                        )
                    ],  # fmt: skip
                ),
                (AUDIT_INSERT, [audit]),
            ]
        )

    async def change_endpoint(self, endpoint_id: str, audit: tuple[Any, ...], **values: Any) -> None:
        """Set some of an endpoint's columns (active, secret), with the audit entry, in one transaction."""
        names = sorted(values)
        sets = ", ".join(f"{name} = ?" for name in names)
        await self.storage.run(
            [
                (f"UPDATE webhook_endpoints SET {sets} WHERE id = ?", [(*(values[n] for n in names), endpoint_id)]),  # noqa: S608
                (AUDIT_INSERT, [audit]),
            ]
        )
