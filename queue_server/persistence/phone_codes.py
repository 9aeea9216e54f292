"""The SQL of the one-time codes that verify a citizen's phone number before an online booking (migrations 0019 and
0022; application/phone_codes.py keeps the rules). Only keyed hashes are stored: the number's, the code's, the
client address's that asked for it and the proof's that the booking using it was answered with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from queue_server.persistence.port import (
    CONTACT_UPSERT,
    OUTBOX_INSERT,
    ContactRow,
    OutboxRow,
    StoragePort,
    outbox_values,
    utc_iso,
)


@dataclass(frozen=True)
class PhoneCode:
    id: str
    site: str
    phone_hash: str
    code_hash: str
    created_at: datetime
    expires_at: datetime
    sender: str  # keyed hash of the client address that asked for it


@dataclass(frozen=True)
class Sent:
    """Codes made in the last hour, by what the limits count: to the number (over every site), at the request of
    the client address (of the site) and by the site in all; each as (how many, when the oldest was made)."""

    number: tuple[int, datetime | None]
    sender: tuple[int, datetime | None]
    site: tuple[int, datetime | None]


@dataclass(frozen=True)
class Limits:
    """At most so many codes in the hour: per number, per client address, per site."""

    number: int
    sender: int
    site: int


@dataclass(frozen=True)
class Try:
    """A try taken on a number's newest code: which code, its keyed hash, and how many tries it has had now."""

    id: str
    code_hash: str
    tries: int


_COUNT = "SELECT COUNT(*), MIN(created_at) FROM phone_codes WHERE {where} AND created_at > ?"
_BY_NUMBER, _BY_SENDER, _BY_SITE = "phone_hash = ?", "site = ? AND sender = ?", "site = ?"
# A new code, written only while each count stays below its limit (the counts as in `sent`).
_INSERT = (
    "INSERT INTO phone_codes (id, site, phone_hash, code_hash, created_at, expires_at, tries, sender) "
    "SELECT ?,?,?,?,?,?,0,? "
    "WHERE (SELECT COUNT(*) FROM phone_codes WHERE phone_hash = ? AND created_at > ?) < ? "
    "AND (SELECT COUNT(*) FROM phone_codes WHERE site = ? AND sender = ? AND created_at > ?) < ? "
    "AND (SELECT COUNT(*) FROM phone_codes WHERE site = ? AND created_at > ?) < ?"
)
_UNLESS_CODE = "DELETE FROM {table} WHERE {key} = ? AND NOT EXISTS (SELECT 1 FROM phone_codes WHERE id = ?)"


class PhoneCodeStore:
    def __init__(self, storage: StoragePort) -> None:
        self.storage = storage

    async def sent(self, code: PhoneCode, since: datetime) -> Sent:
        """The codes made since `since` that the limits count for a new code like `code`: the number's by every site
        of the database (the phone is one, however many malls a server hosts), the sender's and the site's by the
        code's site (its gateway, which each message costs)."""
        after = utc_iso(since)
        out = []
        for where, params in ((_BY_NUMBER, (code.phone_hash,)), (_BY_SENDER, (code.site, code.sender)),
                              (_BY_SITE, (code.site,))):  # fmt: skip
            row = await self.storage.fetch_one(_COUNT.format(where=where), (*params, after))
            count, oldest = (int(row[0]), row[1]) if row is not None else (0, None)
            out.append((count, datetime.fromisoformat(oldest) if oldest else None))
        return Sent(*out)

    async def sites_sent(self, since: datetime) -> dict[str, tuple[int, datetime]]:
        """Each site's codes made since `since`: how many, and when the oldest was made (the supervisor's alert)."""
        rows = await self.storage.fetch_all(
            "SELECT site, COUNT(*), MIN(created_at) FROM phone_codes WHERE created_at > ? GROUP BY site",
            (utc_iso(since),),
        )
        return {str(r[0]): (int(r[1]), datetime.fromisoformat(r[2])) for r in rows}

    async def add(
        self, code: PhoneCode, contact: ContactRow, message: OutboxRow, forget_before: datetime, limits: Limits,
        since: datetime,
    ) -> bool:  # fmt: skip
        """The code, the number it goes to (encrypted, as every citizen's number for messages) and its message, in
        one transaction, if each count of `sent` since `since` is below its limit: False (nothing written)
        otherwise. The counts and the code are one step, under the number's lock and the site's: requests sent
        together, to one process or several, get no more codes than requests sent one by one. The message exists if
        and only if its code does. Codes made before `forget_before` go."""
        after = utc_iso(since)
        await self.storage.run(
            [
                ("DELETE FROM phone_codes WHERE created_at < ?", [(utc_iso(forget_before),)]),
                (
                    _INSERT,
                    [
                        (
                            code.id,
                            code.site,
                            code.phone_hash,
                            code.code_hash,
                            utc_iso(code.created_at),
                            utc_iso(code.expires_at),
                            code.sender,
                            code.phone_hash,
                            after,
                            limits.number,
                            code.site,
                            code.sender,
                            after,
                            limits.sender,
                            code.site,
                            after,
                            limits.site,
                        )
                    ],
                ),  # fmt: skip
                (
                    CONTACT_UPSERT,
                    [
                        (
                            contact.ref,
                            contact.site,
                            contact.lang,
                            contact.cipher,
                            contact.masked,
                            utc_iso(contact.purge_after),
                        )
                    ],
                ),  # fmt: skip
                (OUTBOX_INSERT, [outbox_values(message)]),
                # Over the limit: the message and the number, written above for want of a conditional INSERT of
                # every type, go again before anything is committed.
                (_UNLESS_CODE.format(table="outbox", key="id"), [(message.id, code.id)]),
                (_UNLESS_CODE.format(table="contacts", key="ref"), [(contact.ref, code.id)]),
            ],
            lock=(f"phone_codes:{code.phone_hash}", f"phone_codes_site:{code.site}"),
        )
        return await self.storage.fetch_one("SELECT 1 FROM phone_codes WHERE id = ?", (code.id,)) is not None

    async def verified(self, site: str, phone_hash: str, proof_hash: str, now: datetime) -> bool:
        """Whether the number gave a right code recently enough to need none now, and the booking that gave it was
        answered with the proof whose hash this is (a window open to anyone who knew the number is none)."""
        row = await self.storage.fetch_one(
            "SELECT 1 FROM phone_codes WHERE site = ? AND phone_hash = ? AND proof_hash = ? AND verified_until > ? "
            "LIMIT 1",
            (site, phone_hash, proof_hash, utc_iso(now)),
        )
        return row is not None

    async def take_try(self, site: str, phone_hash: str, now: datetime, max_tries: int) -> Try | None:
        """One try on the number's newest code, counted before the code is compared, in one statement: however
        many requests (and processes) try at once, a code is compared at most `max_tries` times. None when the
        number has no code still open (none sent, expired, tried `max_tries` times, or used already)."""
        row = await self.storage.write_one(
            "UPDATE phone_codes SET tries = tries + 1 WHERE id = (SELECT id FROM phone_codes WHERE site = ? "
            "AND phone_hash = ? ORDER BY created_at DESC LIMIT 1) AND tries < ? AND expires_at > ? "
            "AND verified_until IS NULL RETURNING id, code_hash, tries",
            (site, phone_hash, max_tries, utc_iso(now)),
        )
        return Try(str(row[0]), str(row[1]), int(row[2])) if row is not None else None

    async def verify(self, code_id: str, until: datetime, proof_hash: str) -> bool:
        """The right code was given: the number needs no other code until `until` with the proof of this hash. False
        when another request gave the same code a moment before (used: the first one's proof stands)."""
        row = await self.storage.write_one(
            "UPDATE phone_codes SET verified_until = ?, proof_hash = ? WHERE id = ? AND verified_until IS NULL "
            "RETURNING id",
            (utc_iso(until), proof_hash, code_id),
        )
        return row is not None
