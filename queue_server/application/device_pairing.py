"""Pairing a TV or kiosk with a short code, for a device without a keyboard friendly enough for a long token address
(a TV's remote control), where the Settings page's QR code helps only a phone or tablet (docs/administration.md).

1. The device's page, opened with no token (`/display/{site}/{screen}`, `/kiosk/{site}`), or the one start
   address of any new device (`/perangkat`, whose code belongs to no mall until it is paired), asks for a code
   (`offer`); a mall's page says what it is (a TV of its screen, or a kiosk), the start address says nothing (its
   admin chooses). The server draws a device token the page keeps to itself and a 6-symbol code from an alphabet without
   look-alikes (no 0/O, 1/I/L, 2/Z, 5/S, 6/G, 8/B), stores the code and the token's hash, and answers both. The page
   shows the code ("ACD-EFH") and asks every few seconds whether its token is a device's yet (`status`).
2. An admin or supervisor of that site (of any site, for a code of the start address) types the code on Settings
   -> Perangkat with the device's kind, name and screen, or picks an existing device entry (`pair`): the entry is
   made with the waiting token's hash, or the existing entry takes it in place of its own (its old token is refused
   from then on). The form asks what the code is (`look_up`) and fixes kind and screen to the page's; pairing a
   page's code as another kind or screen, or onto an entry of another, is refused (a kiosk page would otherwise be
   sent to a board, a TV to another screen).
3. The page's next question is answered with where to go; it keeps its token and opens its board or kiosk.

The code alone grants nothing: it only names which waiting token an authorised admin's action makes a device's,
and the token never leaves the page that drew it (nor is it logged, or stored but as a hash). A code serves once and
expires after 10 minutes (the page then asks for another by itself); it pairs only a device of the site whose page
asked for it, or, asked for at the start address, a device of the first site where it is typed (one wins when two
sites type it at once). Asking for codes is limited per client address, and at most WAITING_MAX wait at once;
typing them (and looking them up) is limited per account (web/pairing_api.py). Everything is in the database
(migrations 0023, 0024, 0026): the
code typed on one server process pairs the device waiting on another.
"""

from __future__ import annotations

import json
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from queue_server.application import validation as v
from queue_server.application.administration import WEB_DEVICE_KINDS, device_fields, find_device, page_of
from queue_server.application.auth import Principal, device_token_refusal, require, token_hash
from queue_server.application.context import Context
from queue_server.common import messages
from queue_server.domain.refusal import Refusal
from queue_server.persistence.device_pairings import AuditRow, DevicePairingStore, Pairing

# Letters and digits a person reads off a TV across a room and types without doubt: no 0/O/Q, 1/I/L, 2/Z, 5/S,
# 6/G, 8/B. 22 symbols, 6 of them: 113 million codes.
ALPHABET = "ACDEFHJKMNPRTUVWXY3479"
LENGTH = 6
LIFETIME = timedelta(minutes=10)
POLL_SECONDS = 2  # how often a waiting page asks whether it is paired yet
WAITING_MAX = 500  # codes waiting at once on a server (every mall's): more is a flood, refused until some expire
FORGOTTEN_AFTER = timedelta(days=1)
# The page's words ([pairing] of messages.toml), both languages in the answer; `refused` goes above the code of a
# page whose own token was refused, in place of the refusal's sentence (which sends the technician to a new address).
SAYS = ("title", "how", "valid", "refused")


def shown(code: str) -> str:
    """A code as the page shows it and people read it out: two halves, "ACD-EFH"."""
    half = LENGTH // 2
    return f"{code[:half]}-{code[half:]}"


def typed(text: str) -> str | None:
    """A code as a person typed it ("acd efh", "ACD-EFH") as stored; None when it cannot be one."""
    code = "".join(ch for ch in text.upper() if ch not in " -")
    if len(code) != LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    return code


async def offer(ctx: Context, site_id: str | None, body: dict[str, Any]) -> dict[str, Any]:
    """A new code and its token for a device page of `site_id`, or of the start address (None: the code is no
    mall's until it is paired). A mall's page says what it is in `body`: `{"kind": "display", "screen": ...}` or
    `{"kind": "kiosk"}` (`{}`: a page of an earlier release, paired as the admin chooses); the start address's body
    is not read (what it becomes is chosen where it is paired). Anyone may ask: the code grants nothing by itself;
    the caller limits how often an address asks."""
    kind: str | None = None
    screen: str | None = None
    if site_id is not None:
        ctx.site(site_id)
        ctx.served_here(site_id)  # a mirrored mall's TVs and kiosks are its own server's
        kind, screen = _page_kind(ctx, site_id, body)
    store = DevicePairingStore(ctx.storage)
    now = ctx.now()
    for _ in range(5):  # a code drawn twice: another
        code = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
        token = "d_" + secrets.token_urlsafe(32)
        pairing = Pairing(code, token_hash(token), site_id, now, now + LIFETIME, None, None, None, kind, screen)
        if await store.offer(pairing, WAITING_MAX, now - FORGOTTEN_AFTER):
            break
        if await store.waiting_count(now) >= WAITING_MAX:
            raise Refusal("pairing_busy", details={"retry_after": 60})
    else:  # five draws all taken: not chance any more
        raise Refusal("pairing_busy", details={"retry_after": 60})
    return {
        "code": shown(code),
        "token": token,
        "expires_at": pairing.expires_at.isoformat(),
        "expires_in": int(LIFETIME.total_seconds()),
        "poll_seconds": POLL_SECONDS,
        "says": {key: {lang: messages.text("pairing", key, lang, {}) for lang in ("id", "en")} for key in SAYS},
    }


def _page_kind(ctx: Context, site_id: str, body: dict[str, Any]) -> tuple[str | None, str | None]:
    """What the asking page is: a TV of one of the mall's screens, or a kiosk, or not said (None, None)."""
    v.only(body, {"kind", "screen"})
    if not body:
        return None, None
    kind = v.required_text(body, "kind", choices=WEB_DEVICE_KINDS)  # a screen alone: kind wanted
    if kind == "kiosk":
        if "screen" in body:
            raise Refusal("invalid_field.unknown_fields", unknown=["screen"], allowed=["kind"],
                          details={"field": "screen"})  # fmt: skip
        return kind, None
    site = ctx.site(site_id)
    screen = v.required_text(body, "screen", max_len=40)
    if screen not in site.screens:
        raise Refusal("unknown_screen", screen=screen, site=site.name, details={"field": "screen"})
    return kind, screen


async def status(ctx: Context, site_id: str | None, token: str | None) -> dict[str, Any]:
    """Whether the waiting page's token is a device's now: where to go if so; else until when its code holds.
    `site_id` None: the start address's page, which goes to whichever mall paired it. Refused: a code that expired
    (the page asks for another), a token that was never a waiting page's, or one paired and revoked since (the
    technician's sentence, as for any device token refused)."""
    if site_id is not None:
        ctx.site(site_id)
    if not token or not token.startswith("d_") or len(token) > 200:
        raise device_token_refusal(token)
    key = token_hash(token)
    # The code first, then the device it made. Read the other way round, an admin pairing it between the two reads
    # found no device yet and then a used code: the page was refused, drew a new code and never started.
    pairing = await DevicePairingStore(ctx.storage).by_token(key)
    if pairing is None or pairing.paired_at is not None:  # paired: a moment ago, or long since (its code forgotten)
        device = await ctx.accounts.store.live_device(key)
        if device is not None and site_id in (None, device.site) and device.kind in WEB_DEVICE_KINDS:
            return {"paired": True, "kind": device.kind, "name": device.name, "screen": device.screen,
                    "path": page_of(device.site, device.kind, device.screen)}  # fmt: skip
        raise device_token_refusal(token)  # revoked since, or never a waiting page's
    if pairing.site != site_id:
        raise device_token_refusal(token)
    if pairing.expires_at <= ctx.now():
        raise Refusal("pairing_code_expired", code=shown(pairing.code))
    return {"paired": False, "code": shown(pairing.code), "expires_at": pairing.expires_at.isoformat()}


async def pair(ctx: Context, principal: Principal | None, site_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """The admin's or supervisor's action: the code shown on a device of this site makes that device a new entry
    (`kind`, `name`, `screen` as "Daftarkan perangkat" takes them) or gives an existing entry (`device`, its id) the
    device's token. Answers the entry and the page the device opens."""
    site = ctx.site(site_id)
    principal = require(principal, "site.devices", site_id)
    ctx.served_here(site_id)
    v.only(body, {"code", "device", "kind", "name", "screen"})
    raw = v.required_text(body, "code", max_len=20)
    code = typed(raw)
    if code is None:
        raise Refusal("invalid_field.pairing_code", length=LENGTH, details={"field": "code"})
    existing: dict[str, Any] | None = None
    if body.get("device") is not None:
        if body.keys() & {"kind", "name", "screen"}:  # one or the other: a new entry, or an existing one's token
            raise Refusal("invalid_field.pairing_target", details={"field": "device"})
        device_id = body["device"]
        if isinstance(device_id, bool) or not isinstance(device_id, int):
            raise Refusal("unknown_device", device=str(device_id)[:20], site=site.name, details={"field": "device"})
        existing = await find_device(ctx, principal, site_id, device_id)
        if existing["kind"] not in WEB_DEVICE_KINDS:  # an uplink's token is made on the command line only
            raise Refusal("unknown_device", device=str(device_id), site=site.name, details={"field": "device"})
        kind, name, screen = existing["kind"], existing["name"], existing["screen"]
    else:
        kind, name, screen = device_fields(ctx, site_id, body)
    store, now = DevicePairingStore(ctx.storage), ctx.now()
    pairing = await store.by_code(code)
    _refuse_unless_waiting(pairing, code, site_id, now)
    assert pairing is not None
    _refuse_another_kind(pairing, site_id, kind, screen, "device" if existing is not None else None)
    claim = uuid.uuid4().hex
    details = json.dumps({"name": name, "kind": kind, "replaced": existing is not None})
    audit = AuditRow(site_id, principal.name, principal.role, details, ctx.storage.last_seq)
    if existing is not None:
        paired = await store.pair_existing(code, claim, audit, existing["id"], now)
    else:
        paired = await store.pair_new(code, claim, audit, kind, name, screen, now)
    if not paired:  # another admin paired it a moment before (at this mall, or at another: a start-page code)
        _refuse_unless_waiting(await store.by_code(code), code, site_id, ctx.now())  # or it expired meanwhile
        raise Refusal("pairing_code_used", code=shown(code), details={"field": "code"})
    done = await store.by_code(code)
    assert done is not None and done.paired_device is not None
    if existing is not None:
        await ctx.accounts.token_replaced()  # its old token: refused at once, its screens closed, on every process
    return {"device": await find_device(ctx, principal, site_id, done.paired_device),
            "path": page_of(site_id, kind, screen), "replaced": existing is not None}  # fmt: skip


async def look_up(ctx: Context, principal: Principal | None, site_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """What a code typed on Settings is, before it is paired: the page that asked for it, a TV of `screen` or a
    kiosk (`kind` None: the start address's code, any kind). The form shows it and fixes kind and screen. Authorised
    and refused as `pair` is (the caller counts it with the codes typed: it tells as much about a code)."""
    ctx.site(site_id)
    require(principal, "site.devices", site_id)
    ctx.served_here(site_id)
    v.only(body, {"code"})
    code = typed(v.required_text(body, "code", max_len=20))
    if code is None:
        raise Refusal("invalid_field.pairing_code", length=LENGTH, details={"field": "code"})
    pairing = await DevicePairingStore(ctx.storage).by_code(code)
    _refuse_unless_waiting(pairing, code, site_id, ctx.now())
    assert pairing is not None
    return {"code": shown(code), "kind": pairing.kind, "screen": pairing.screen,
            "expires_at": pairing.expires_at.isoformat()}  # fmt: skip


def _refuse_another_kind(pairing: Pairing, site_id: str, kind: str, screen: str | None, field: str | None) -> None:
    """A code of a TV's page pairs only a TV of its screen, a kiosk page's only a kiosk: else that page would open a
    board on a kiosk, or another screen's board. Said with what to do: open the right page on the device, or the
    start address, whose code pairs as anything. `field`: where the form went wrong ("device": the entry picked)."""
    if pairing.kind is None or (pairing.kind, pairing.screen) == (kind, screen):
        return
    if field is None:
        field = "kind" if pairing.kind != kind else "screen"
    said = "pairing_kind_mismatch.display" if pairing.kind == "display" else "pairing_kind_mismatch.kiosk"
    found = {"field": field, "kind": pairing.kind, "screen": pairing.screen}
    raise Refusal(said, code=shown(pairing.code), site=site_id, screen=pairing.screen or "", details=found)


def _refuse_unless_waiting(pairing: Pairing | None, code: str, site_id: str, now: datetime) -> None:
    """A code that is not waiting to be paired, said so: never seen (or another mall's page's: the same words, which
    tell nobody that it exists), paired already, or expired. A code of the start address (no site) is any mall's
    until paired, and said to be used at every mall once one paired it (it was shown in public: nothing to hide)."""
    if pairing is None or pairing.site not in (None, site_id):
        raise Refusal("pairing_code_unknown", code=shown(code), details={"field": "code"})
    if pairing.paired_at is not None:
        raise Refusal("pairing_code_used", code=shown(code), details={"field": "code"})
    if pairing.expires_at <= now:
        raise Refusal("pairing_code_expired", code=shown(code), details={"field": "code"})
