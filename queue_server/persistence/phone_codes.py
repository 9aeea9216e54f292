"""The SQL of the one-time codes that verify a citizen's phone number before an online booking (migration 0019;
application/phone_codes.py keeps the rules). Only keyed hashes are stored: the number's and the code's."""

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


@dataclass(frozen=True)
class Try:
    """A try taken on a number's newest code: which code, its keyed hash, and how many tries it has had now."""

    id: str
    code_hash: str
    tries: int


_UNLESS_CODE = "DELETE FROM {table} WHERE {key} = ? AND NOT EXISTS (SELECT 1 FROM phone_codes WHERE id = ?)"


class PhoneCodeStore:
    def __init__(self, storage: StoragePort) -> None:
        self.storage = storage

    async def sent_since(self, phone_hash: str, since: datetime) -> list[datetime]:
        """When the codes sent to the number since `since` were made, oldest first: by every site of the database
        (the phone is one, however many malls a server hosts)."""
        rows = await self.storage.fetch_all(
            "SELECT created_at FROM phone_codes WHERE phone_hash = ? AND created_at > ? ORDER BY created_at",
            (phone_hash, utc_iso(since)),
        )
        return [datetime.fromisoformat(r[0]) for r in rows]

    async def add(
        self, code: PhoneCode, contact: ContactRow, message: OutboxRow, forget_before: datetime, limit: int,
        since: datetime,
    ) -> bool:  # fmt: skip
        """The code, the number it goes to (encrypted, as every citizen's number for messages) and its message, in
        one transaction, if fewer than `limit` codes went to the number since `since` (from any site, as
        sent_since counts them): False (nothing written)
        otherwise. The count and the code are one step, under the number's lock: requests sent together, to one
        process or several, get no more codes than requests sent one by one. The message exists if and only if its
        code does. Codes made before `forget_before` go."""
        await self.storage.run(
            [
                ("DELETE FROM phone_codes WHERE created_at < ?", [(utc_iso(forget_before),)]),
                (
                    "INSERT INTO phone_codes (id, site, phone_hash, code_hash, created_at, expires_at, tries) "
                    "SELECT ?,?,?,?,?,?,0 WHERE (SELECT COUNT(*) FROM phone_codes WHERE phone_hash = ? "
                    "AND created_at > ?) < ?",
                    [
                        (
                            code.id,
                            code.site,
                            code.phone_hash,
                            code.code_hash,
                            utc_iso(code.created_at),
                            utc_iso(code.expires_at),
                            code.phone_hash,
                            utc_iso(since),
                            limit,
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
            lock=f"phone_codes:{code.phone_hash}",
        )
        return await self.storage.fetch_one("SELECT 1 FROM phone_codes WHERE id = ?", (code.id,)) is not None

    async def verified(self, site: str, phone_hash: str, now: datetime) -> bool:
        """Whether the number gave a right code recently enough to need none now."""
        row = await self.storage.fetch_one(
            "SELECT 1 FROM phone_codes WHERE site = ? AND phone_hash = ? AND verified_until > ? LIMIT 1",
            (site, phone_hash, utc_iso(now)),
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

    async def verify(self, code_id: str, until: datetime) -> None:
        """The right code was given: the number needs no other code until `until`."""
        await self.storage.execute("UPDATE phone_codes SET verified_until = ? WHERE id = ?", (utc_iso(until), code_id))
