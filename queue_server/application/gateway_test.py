"""An admin checks the site's WhatsApp/SMS gateway from the Settings page (docs/notifications.md, "Checking the
gateway"): one test message to a number they type, sent through the outbox like every citizen message (the number
sealed with the notification key, the same lane, breaker, retries and words for a failure), and its state read back
as the Pengiriman page knows it. No event is written (the message concerns no ticket); the audit entry names the
message, never the number.

What it may cost the mall is bounded: PER_ACCOUNT_MINUTE per account a minute (web/requests.py counts it, across
processes on PostgreSQL) and PER_SITE_DAY per site in 24 hours, counted in the outbox itself."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from queue_server.application import validation as v
from queue_server.application.auth import Principal, require
from queue_server.application.context import Context
from queue_server.application.notifications import LANGUAGES, error_words
from queue_server.application.personal import mask_phone
from queue_server.common import jsontext
from queue_server.common.ids import time_ordered_id
from queue_server.domain.catalogue import Site
from queue_server.domain.refusal import Refusal
from queue_server.outbound.policy import GATEWAY_TEST
from queue_server.persistence.outbox import GATEWAY
from queue_server.persistence.port import OutboxRow, utc_iso

PER_ACCOUNT_MINUTE = 3
PER_SITE_DAY = 30
DAY = timedelta(hours=24)
KEEP_NUMBER = timedelta(hours=2)  # the typed number is deleted after this (a try still waiting is then skipped)
ACTION = "gateway.test"


async def send(
    ctx: Context, principal: Principal | None, site: Site, body: dict[str, Any],
    before: Callable[[], Awaitable[None]] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """{"phone": "0812...", "lang": "id"} -> one test message queued to the number: its id and state. `before`: the
    limit per account (the web's), counted once the request is known to be a test that can be sent (a mistyped
    number, a mall without a gateway or one over its day's tests spends nothing of it)."""
    principal = require(principal, ACTION, site.id)
    v.only(body, {"phone", "lang"})
    number = v.required_text(body, "phone", max_len=24)
    lang = v.text(body, "lang", required=False, choices=LANGUAGES) or "id"
    masked = mask_phone(number)  # refuses a number that is not an Indonesian mobile one (invalid_phone, 422)
    if not site.notify.offered:
        raise Refusal("gateway_missing", site=site.name)
    now = ctx.now()
    count, oldest = await ctx.outbox.store.written(site.id, GATEWAY_TEST, now - DAY)
    if count >= PER_SITE_DAY:
        raise _site_limit(count, oldest, now)
    if before is not None:
        await before()
    message_id = time_ordered_id()
    ref = f"g:{message_id}"
    contact = replace(ctx.outbox.sealed(site, ref, number, lang, site.service_day(now)), purge_after=now + KEEP_NUMBER)
    payload = {"site": site.name, "phone": masked}
    message = OutboxRow(message_id, site.id, GATEWAY, GATEWAY_TEST, ref, json.dumps(payload), now, now, ref)
    details = jsontext.dumps({"message": message_id})
    audit = (site.id, utc_iso(now), principal.name, principal.role, ACTION, "gateway", details, ctx.seq(site.id))
    if not await ctx.outbox.store.add_message(contact, message, audit, now - DAY, PER_SITE_DAY):
        raise _site_limit(*await ctx.outbox.store.written(site.id, GATEWAY_TEST, now - DAY), now)  # others meanwhile
    ctx.outbox.wake()
    return {"id": message_id, "phone": masked, **await _said(ctx, site, message_id)}


async def state(ctx: Context, principal: Principal | None, site: Site, message_id: str) -> dict[str, Any]:
    """A test message's state: queued, retrying (with the problem's words), sent, dead, skipped; whether its outcome
    is unknown, and whether the gateway is paused by its breaker."""
    require(principal, ACTION, site.id)
    return {"id": message_id[:64], **await _said(ctx, site, message_id[:64])}


async def _said(ctx: Context, site: Site, message_id: str) -> dict[str, Any]:
    found = await ctx.outbox.store.message(site.id, GATEWAY_TEST, message_id)
    if found is None:
        raise Refusal("unknown_gateway_test", message=message_id)
    name = found["state"]
    if name == "pending":
        name = "retrying" if found["attempts"] else "queued"
    problem = found["problem"]
    return {
        "state": name,
        "phone": found["payload"].get("phone"),
        "attempts": found["attempts"],
        "created_at": _local(found["created_at"], site),
        "sent_at": _local(found["sent_at"], site),
        "next_try_at": _local(found["due_at"], site) if name == "retrying" else None,
        # the technical text of the last failure, or why it was skipped ("the number was deleted")
        "last_error": found["last_error"] if name != "sent" else None,
        **(error_words(problem, found["last_error"]) if name in ("retrying", "dead") else _no_words()),
        "outcome_unknown": found["outcome_unknown"],
        "gateway_paused": site.id in ctx.outbox.paused_gateways(),
    }


def _site_limit(count: int, oldest: datetime | None, now: datetime) -> Refusal:
    """The site has sent its PER_SITE_DAY tests in the last 24 hours: another may go once the oldest leaves them."""
    wait = max(60, int(((oldest or now) + DAY - now).total_seconds()) + 1)
    # whole hours as a person reads them: the second added to be past the day's edge is no 25th hour
    return Refusal("too_many_requests.gateway_test", limit=PER_SITE_DAY, hours=max(1, -(-(wait - 1) // 3600)),
                   details={"retry_after": wait, "limit": "site"})  # fmt: skip


def _no_words() -> dict[str, Any]:
    return {"error_kind": None, "error_words": None}


def _local(at: datetime | None, site: Site) -> str | None:
    return at.astimezone(site.tz).isoformat(timespec="seconds") if at else None
