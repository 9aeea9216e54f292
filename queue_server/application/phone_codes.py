"""A citizen's phone number verified by a one-time code before an online booking (docs/citizen.md, "Online
booking"): without it, `[booking] per_phone` was beaten by made-up numbers.

A code is 6 random digits sent over the site's WhatsApp/SMS gateway, through the outbox like every citizen message
(so a gateway that is down is retried the same way, and one known out of reach is said so instead). The database
keeps only keyed hashes (of the number, as bookings count it, and of the code, bound to the number), the expiry and
the tries: the code itself is in no log, event or frame, and in the outbox only encrypted (outbound/vault.py). A code
lasts CODE_MINUTES and is compared at most MAX_TRIES times; the right one verifies the number for VERIFIED_MINUTES,
so a family booking three members asks for one code. At most PER_HOUR codes go to one number in an hour (nobody can
make the mall message a stranger's phone over and over), counted over every site of the server (a server hosting
many malls would otherwise send PER_HOUR from each); per client address the booking limit counts them too."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import unicodedata
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from queue_server.application import validation as v
from queue_server.application.context import Context
from queue_server.application.personal import mask_phone, phone_hash
from queue_server.common.ids import time_ordered_id
from queue_server.domain.catalogue import Site
from queue_server.domain.refusal import Refusal
from queue_server.outbound.policy import PHONE_CODE
from queue_server.persistence.outbox import GATEWAY
from queue_server.persistence.phone_codes import PhoneCode, PhoneCodeStore
from queue_server.persistence.port import OutboxRow

CODE_MINUTES = 10
MAX_TRIES = 5
VERIFIED_MINUTES = 30
PER_HOUR = 3
RESEND_SECONDS = 60  # the booking page offers "Kirim ulang" after this long
KEEP = timedelta(hours=3)  # a code's row (and its verification) is deleted after this


def required(site: Site) -> bool:
    """Whether bookings of `site` need a verified number: `[booking] verify_phone` (on by default) and a gateway to
    send the code with (the demo's inbox counts). A mall without a gateway books as before."""
    return site.booking.verify_phone and site.notify.offered


def _code_hash(key: bytes, number_hash: str, code: str) -> str:
    return hmac.new(key, f"code:{number_hash}:{code}".encode(), hashlib.sha256).hexdigest()


async def send_code(ctx: Context, site_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """{"phone": "0812...", "lang": "id"} -> a code sent to the number, and what the page says of it."""
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
    if len(sent := await store.sent_since(digest, hour_ago)) >= PER_HOUR:
        raise _too_many(sent, now)
    code = f"{secrets.randbelow(1_000_000):06d}"
    expires = now + timedelta(minutes=CODE_MINUTES)
    record = PhoneCode(time_ordered_id(), site.id, digest, _code_hash(ctx.nik_key, digest, code), now, expires)
    # The number, encrypted as every citizen's number for messages, is deleted once the code has expired.
    contact = replace(ctx.outbox.sealed(site, f"v:{record.id}", number, lang, site.service_day(now)),
                      purge_after=expires)  # fmt: skip
    params = {"site": site.name, "minutes": CODE_MINUTES, "expires_at": expires.isoformat(),
              "sealed_code": ctx.outbox.vault.seal(code)}  # fmt: skip
    message = OutboxRow(time_ordered_id(), site.id, GATEWAY, PHONE_CODE, f"v:{record.id}", json.dumps(params), now,
                        now, contact.ref)  # fmt: skip
    if not await store.add(record, contact, message, now - KEEP, PER_HOUR, hour_ago):  # others sent meanwhile
        raise _too_many(await store.sent_since(digest, hour_ago), now)
    ctx.outbox.wake()
    return {
        "sent": True,
        "phone": masked,
        "expires_at": site.local(expires).isoformat(timespec="seconds"),
        "valid_minutes": CODE_MINUTES,
        "resend_after": RESEND_SECONDS,
    }


def _too_many(sent: list[datetime], now: datetime) -> Refusal:
    """PER_HOUR codes went to the number in the last hour: when the oldest leaves the hour, another may go."""
    wait = max(60, int((sent[0] + timedelta(hours=1) - now).total_seconds()) + 1) if sent else 60
    return Refusal("too_many_requests.phone_code", limit=PER_HOUR, minutes=-(-wait // 60),
                   details={"retry_after": wait, "field": "phone"})  # fmt: skip


def _typed_code(value: Any) -> str | None:
    """The code as typed: digits only, full-width ones read as plain ("１２３ ４５６"); None if that is not 6 digits."""
    if not isinstance(value, str):
        return None
    digits = "".join(unicodedata.normalize("NFKC", value).split()).replace("-", "")
    return digits if len(digits) == 6 and digits.isascii() and digits.isdigit() else None


async def check_code(ctx: Context, site: Site, number_hash: str, body: dict[str, Any]) -> None:
    """Before a booking of `site` is submitted: the number is verified (recently, or by `phone_code` now), or the
    booking is refused with what to do."""
    store = PhoneCodeStore(ctx.storage)
    now = ctx.now()
    if await store.verified(site.id, number_hash, now):
        return
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
    await store.verify(taken.id, now + timedelta(minutes=VERIFIED_MINUTES))
