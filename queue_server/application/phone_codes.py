"""A citizen's phone number verified by a one-time code before an online booking (docs/citizen.md, "Online
booking"): without it, `[booking] per_phone` was beaten by made-up numbers.

A code is 6 random digits sent over the site's WhatsApp/SMS gateway, through the outbox like every citizen message
(so a gateway that is down is retried the same way, and one known out of reach is said so instead). The database
keeps only keyed hashes (of the number, as bookings count it, and of the code, bound to the number), the expiry and
the tries: the code itself is in no log, event or frame, and in the outbox only encrypted (outbound/vault.py). A code
lasts CODE_MINUTES and is compared at most MAX_TRIES times. The booking that gives the right one is answered with a
`phone_proof` (a random token; only its keyed hash is stored): with it, the number books without a code for
VERIFIED_MINUTES, so a family booking three members asks for one code, and someone else who knows the number does
not (the window used to serve anyone).

What a code costs is bounded three ways, all counted in the database (every process of a PostgreSQL database counts
the same codes) and with the new code as one step: at most PER_HOUR codes go to one number in an hour (nobody can
make the mall message a stranger's phone over and over), counted over every site of the server (a server hosting
many malls would otherwise send PER_HOUR from each); at most `[booking] codes_per_address` a site sends at the
request of one client address in an hour (one address asked codes for a stream of numbers: thousands of messages a
day, the mall's WhatsApp number blocked as spam); and at most `[booking] codes_per_hour` a site sends in all, which
only an attack from many addresses reaches: the citizen is told to come to the mall or try later, and the
supervisor's dashboard says so (`sites_capped`). Per client address the booking limit per minute counts them too."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import secrets
import unicodedata
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from queue_server.application import validation as v
from queue_server.application.context import Context
from queue_server.application.personal import mask_phone, phone_hash
from queue_server.common import background
from queue_server.common.ids import time_ordered_id
from queue_server.domain.catalogue import Site
from queue_server.domain.refusal import Refusal
from queue_server.outbound.policy import PHONE_CODE
from queue_server.persistence.outbox import GATEWAY
from queue_server.persistence.phone_codes import Limits, PhoneCode, PhoneCodeStore, Sent
from queue_server.persistence.port import OutboxRow

log = logging.getLogger(__name__)

CODE_MINUTES = 10
MAX_TRIES = 5
VERIFIED_MINUTES = 30
PER_HOUR = 3
RESEND_SECONDS = 60  # the booking page offers "Kirim ulang" after this long
PROOF_LENGTH = 64  # a proof is 43 characters (32 random bytes); anything longer is none
WATCH_SECONDS = 5.0  # how often every process reads which sites have reached codes_per_hour (the alert)
KEEP = timedelta(hours=3)  # a code's row (and its verification) is deleted after this


def required(site: Site) -> bool:
    """Whether bookings of `site` need a verified number: `[booking] verify_phone` (on by default) and a gateway to
    send the code with (the demo's inbox counts). A mall without a gateway books as before."""
    return site.booking.verify_phone and site.notify.offered


def _code_hash(key: bytes, number_hash: str, code: str) -> str:
    return hmac.new(key, f"code:{number_hash}:{code}".encode(), hashlib.sha256).hexdigest()


def _proof_hash(key: bytes, number_hash: str, proof: str) -> str:
    return hmac.new(key, f"proof:{number_hash}:{proof}".encode(), hashlib.sha256).hexdigest()


def _sender_hash(key: bytes, address: str) -> str:
    """The client address as the limit per address counts it: keyed, so the table names no address."""
    return hmac.new(key, f"sender:{address}".encode(), hashlib.sha256).hexdigest()


def limits(site: Site) -> Limits:
    return Limits(PER_HOUR, site.booking.codes_per_address, site.booking.codes_per_hour)


async def send_code(ctx: Context, site_id: str, body: dict[str, Any], sender: str) -> dict[str, Any]:
    """{"phone": "0812...", "lang": "id"} -> a code sent to the number, and what the page says of it. `sender`: the
    client address that asks."""
    site = ctx.site(site_id)
    v.only(body, {"phone", "lang"})
    number = v.required_text(body, "phone", max_len=24)
    lang = v.text(body, "lang", required=False, choices=("id", "en")) or "id"
    masked = mask_phone(number)  # refuses a number that is not an Indonesian mobile one (invalid_phone)
    if not required(site):
        raise Refusal("phone_code_off", site=site.name)
    if not ctx.messages_available(site):  # the gateway is paused: a code promised now would not arrive
        raise Refusal("phone_code_unavailable", site=site.name)
    store = PhoneCodeStore(ctx.storage)
    now = ctx.now()
    digest = phone_hash(number, ctx.nik_key)
    hour_ago = now - timedelta(hours=1)
    code = f"{secrets.randbelow(1_000_000):06d}"
    expires = now + timedelta(minutes=CODE_MINUTES)
    record = PhoneCode(time_ordered_id(), site.id, digest, _code_hash(ctx.nik_key, digest, code), now, expires,
                       _sender_hash(ctx.nik_key, sender))  # fmt: skip
    if (refusal := _over(site, await store.sent(record, hour_ago), now)) is not None:
        raise refusal
    # The number, encrypted as every citizen's number for messages, is deleted once the code has expired.
    contact = replace(ctx.outbox.sealed(site, f"v:{record.id}", number, lang, site.service_day(now)),
                      purge_after=expires)  # fmt: skip
    params = {"site": site.name, "minutes": CODE_MINUTES, "expires_at": expires.isoformat(),
              "sealed_code": ctx.outbox.vault.seal(code)}  # fmt: skip
    message = OutboxRow(time_ordered_id(), site.id, GATEWAY, PHONE_CODE, f"v:{record.id}", json.dumps(params), now,
                        now, contact.ref)  # fmt: skip
    if not await store.add(record, contact, message, now - KEEP, limits(site), hour_ago):  # others sent meanwhile
        raise _over(site, await store.sent(record, hour_ago), now) or _number_limit(None, now)
    ctx.outbox.wake()
    return {
        "sent": True,
        "phone": masked,
        "expires_at": site.local(expires).isoformat(timespec="seconds"),
        "valid_minutes": CODE_MINUTES,
        "resend_after": RESEND_SECONDS,
    }


def _over(site: Site, sent: Sent, now: datetime) -> Refusal | None:
    """The refusal of a limit reached, if any: the site's first (nothing else the citizen does helps, and it is the
    one the page must explain), then the client address's, then the number's."""
    count, oldest = sent.site
    if count >= site.booking.codes_per_hour:
        wait = _wait(oldest, now)
        return Refusal("phone_code_site_limit", site=site.name, minutes=_minutes(wait),
                       details={"retry_after": wait})  # fmt: skip
    count, oldest = sent.sender
    if count >= site.booking.codes_per_address:
        wait = _wait(oldest, now)
        return Refusal("too_many_requests.phone_code_address", limit=site.booking.codes_per_address,
                       minutes=_minutes(wait), details={"retry_after": wait, "limit": "address"})  # fmt: skip
    count, oldest = sent.number
    return _number_limit(oldest, now) if count >= PER_HOUR else None


def _number_limit(oldest: datetime | None, now: datetime) -> Refusal:
    wait = _wait(oldest, now)
    return Refusal("too_many_requests.phone_code", limit=PER_HOUR, minutes=_minutes(wait),
                   details={"retry_after": wait, "field": "phone"})  # fmt: skip


def _wait(oldest: datetime | None, now: datetime) -> int:
    """Seconds until the oldest code of the hour leaves it, and another may go (at least a minute)."""
    return max(60, int((oldest + timedelta(hours=1) - now).total_seconds()) + 1) if oldest else 60


def _minutes(wait: int) -> int:
    """`wait` in whole minutes as a person reads it: the second `_wait` adds to be past the hour's edge is not a
    61st minute ("coba lagi dalam 60 menit" just after the limit, not 61)."""
    return max(1, -(-(wait - 1) // 60))


async def sites_capped(ctx: Context) -> dict[str, dict[str, Any]]:
    """The sites that sent `[booking] codes_per_hour` codes in the last hour, so refuse every new one now: the
    supervisor's alert (a sign of an attack: codes asked for numbers from many addresses). Facts: how many, the
    limit, and until when (the oldest code leaves the hour)."""
    now = ctx.now()
    sent = await PhoneCodeStore(ctx.storage).sites_sent(now - timedelta(hours=1))
    out = {}
    for site_id, (count, oldest) in sent.items():
        site = ctx.sites.get(site_id)
        if site is not None and count >= site.booking.codes_per_hour:
            out[site_id] = {"sent": count, "limit": site.booking.codes_per_hour, "until": oldest + timedelta(hours=1)}
    return out


def _typed_code(value: Any) -> str | None:
    """The code as typed: digits only, full-width ones read as plain ("１２３ ４５６"); None if that is not 6 digits."""
    if not isinstance(value, str):
        return None
    digits = "".join(unicodedata.normalize("NFKC", value).split()).replace("-", "")
    return digits if len(digits) == 6 and digits.isascii() and digits.isdigit() else None


async def check_code(ctx: Context, site: Site, number_hash: str, body: dict[str, Any]) -> str | None:
    """Before a booking of `site` is submitted: the number is verified (by `phone_proof`, the token a booking that
    gave the right code was answered with, within VERIFIED_MINUTES; or by `phone_code` now), or the booking is
    refused with what to do. Returns the new proof when the code was used here: the booking's answer carries it,
    a refusal too (the code is used, whatever the booking's own rules say of the slot)."""
    store = PhoneCodeStore(ctx.storage)
    now = ctx.now()
    proof = v.text(body, "phone_proof", required=False, max_len=PROOF_LENGTH)
    if proof and await store.verified(site.id, number_hash, _proof_hash(ctx.nik_key, number_hash, proof), now):
        return None
    typed = body.get("phone_code")
    if typed is None or typed == "":
        raise Refusal("phone_code_required", details={"field": "phone_code"})
    code = _typed_code(typed)
    if code is None:  # a slip of the thumb costs no try
        raise Refusal("phone_code_wrong.format", details={"field": "phone_code"})
    taken = await store.take_try(site.id, number_hash, now, MAX_TRIES)
    if taken is None:
        raise Refusal("phone_code_expired", minutes=CODE_MINUTES, details={"field": "phone_code"})
    if not hmac.compare_digest(taken.code_hash, _code_hash(ctx.nik_key, number_hash, code)):
        left = MAX_TRIES - taken.tries
        raise Refusal("phone_code_wrong" if left else "phone_code_wrong.last", tries_left=left,
                      details={"field": "phone_code", "tries_left": left})  # fmt: skip
    proof = secrets.token_urlsafe(32)
    if not await store.verify(
        taken.id, now + timedelta(minutes=VERIFIED_MINUTES), _proof_hash(ctx.nik_key, number_hash, proof)
    ):
        raise Refusal("phone_code_expired", minutes=CODE_MINUTES, details={"field": "phone_code"})  # used meanwhile
    return proof


class CodeWatch:
    """In every process, every few seconds: the sites that reached `[booking] codes_per_hour` (sites_capped), for
    the dashboards it serves (supervision/monitor.py): the codes are the database's, so every process sees them."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.capped: dict[str, dict[str, Any]] = {}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        said = background.Outage(log, "reading the sites' phone codes", self.ctx.storage.unavailable)
        self._task = background.start(background.every(WATCH_SECONDS, self._read, said), "phone-codes-watch")

    async def stop(self) -> None:
        await background.stop(self._task)

    async def _read(self) -> None:
        self.capped = await sites_capped(self.ctx)
