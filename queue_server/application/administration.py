"""A site's staff accounts and device tokens, managed on the web (docs/administration.md): admins manage the site's
operators and supervisors, a supervisor the operators of their own site. Devices (TV screens, kiosks) get tokens,
never passwords. Every change is audited, and takes effect on the account's or device's next request and on its
open websockets at once (application/auth.py's credentials version).

`auth.Accounts` keeps the rules the command line shares (what a username and a password must be); here they are
checked first, so a person gets a sentence they can act on instead of an exception's text."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from queue_server.application import actions, audit_trail
from queue_server.application import validation as v
from queue_server.application.auth import USERNAME_MAX, Accounts, Principal, require, token_hash
from queue_server.application.context import Context
from queue_server.application.passwords import LENGTH_MIN, weakness
from queue_server.domain.refusal import Refusal
from queue_server.persistence.port import utc_iso

USERNAME = re.compile(rf"^[A-Za-z0-9._-]{{1,{USERNAME_MAX}}}$")
NAME_MAX = 80
# A mall's uplink token lets a server write a mirrored site's whole log: made on the command line of the server
# that mirrors (docs/deployment.md), not on a site's web page. Its row is listed and revocable there like any.
WEB_DEVICE_KINDS = ("display", "kiosk")


def _roles_for(principal: Principal) -> tuple[str, ...]:
    """Which accounts of a site this principal may manage."""
    return ("operator", "supervisor") if principal.role == "admin" else ("operator",)


async def audit_command_line(
    accounts: Accounts, site_ids: Iterable[str], action: str, target: str, **details: Any
) -> None:
    """The entry the Settings page writes for the same change, made on the server's command line (queue-server
    user / device): by "cli" as admin, as the command line's webhook and close-day entries are (whoever may run it
    on the server's machine may do what an admin may). In each site's log the change concerns."""
    at = utc_iso(datetime.now(UTC))
    for site_id in site_ids:
        seq = await accounts.storage.newest_seq(site_id)  # no engine runs here: the site's newest event in the log
        await accounts.store.audit((site_id, at, "cli", "admin", action, target, json.dumps(details), seq))


# --- accounts -------------------------------------------------------------------------------------------------------


async def list_accounts(ctx: Context, principal: Principal | None, site_id: str) -> list[dict[str, Any]]:
    ctx.site(site_id)
    principal = require(principal, "site.accounts", site_id)
    roles = _roles_for(principal)
    return [
        {"username": u.username, "display_name": u.display_name, "role": u.role, "agency": u.agency,
         "active": bool(u.active)}
        for u in await ctx.accounts.store.users()
        if u.site == site_id and u.role in roles
    ]  # fmt: skip


async def _managed(ctx: Context, principal: Principal, site_id: str, username: str) -> dict[str, Any]:
    for account in await list_accounts(ctx, principal, site_id):
        if account["username"] == username:
            return account
    raise Refusal("unknown_account", username=username[:64], site=ctx.site(site_id).name)


def _role_and_agency(ctx: Context, principal: Principal, site_id: str, body: dict[str, Any], current: dict[str, Any]
                     ) -> tuple[str, str | None]:  # fmt: skip
    roles = _roles_for(principal)
    role: str = v.required_text(body, "role", choices=roles) if "role" in body else current["role"]
    if role not in roles:
        raise Refusal("invalid_field.choice", choices=list(roles), details={"field": "role"})
    agency = body.get("agency", current.get("agency")) if role == "operator" else None
    if role == "operator" and agency in (None, ""):  # never a default: an operator of the wrong agency calls its line
        raise Refusal("invalid_field.agency_missing", details={"field": "agency"})
    if role == "operator" and (not isinstance(agency, str) or agency not in ctx.site(site_id).agencies):
        raise Refusal("invalid_field.agency", details={"field": "agency"})
    return role, agency


def _name(body: dict[str, Any], key: str) -> str:
    """A name screens and pages show (an account's, a device's): refused when blank, which left a row with no name
    to find it by (an outside review renamed a TV to "" through the API), and kept without the spaces around it."""
    name = v.required_text(body, key, max_len=NAME_MAX, shown=True).strip()
    if not name:
        raise Refusal("invalid_field.required", details={"field": key})
    return name


def _password(body: dict[str, Any], *own_words: str) -> str | None:
    """The password of a form, if any: long enough, and not one a guesser tries early (application/passwords.py)."""
    password = body.get("password")
    if password is None:
        return None
    if not isinstance(password, str):
        raise Refusal("invalid_field.password", min_len=LENGTH_MIN, details={"field": "password"})
    why = weakness(password, own_words)
    if why == "length":
        raise Refusal("invalid_field.password", min_len=LENGTH_MIN, details={"field": "password"})
    if why is not None:
        raise Refusal("invalid_field.password_guessable", details={"field": "password"})
    return password


async def add_account(ctx: Context, principal: Principal | None, site_id: str, body: dict[str, Any]) -> dict[str, Any]:
    ctx.site(site_id)
    principal = require(principal, "site.accounts", site_id)
    v.only(body, {"username", "display_name", "role", "agency", "password"})
    username = v.required_text(body, "username", max_len=USERNAME_MAX)
    if not USERNAME.match(username):
        raise Refusal("invalid_field.username", details={"field": "username"})
    if await ctx.accounts.store.user_exists(username):  # the form's fields in their order: the username first
        raise Refusal("account_exists", username=username, details={"field": "username"})
    display_name = _name(body, "display_name")
    role, agency = _role_and_agency(ctx, principal, site_id, body, {"role": "operator"})
    password = _password(body, username, display_name, site_id, ctx.site(site_id).name)
    if password is None:
        raise Refusal("invalid_field.required", details={"field": "password"})
    await ctx.accounts.create_user(username, password, role, site=site_id, agency=agency, display_name=display_name)
    await audit_trail.write(ctx, principal, site_id, "account.add", f"account {username}", role=role, agency=agency)
    return await _managed(ctx, principal, site_id, username)


async def change_account(
    ctx: Context, principal: Principal | None, site_id: str, username: str, body: dict[str, Any]
) -> dict[str, Any]:
    """Name, role, agency, a new password (signs the account out everywhere), or active (disable / enable). Every
    field is checked before any is applied: a form refused for its name had already set the new password and signed
    the operator out (an outside review), so a refused change now changes nothing."""
    ctx.site(site_id)
    principal = require(principal, "site.accounts", site_id)
    v.only(body, {"display_name", "role", "agency", "password", "active"})
    account = await _managed(ctx, principal, site_id, username)
    active = v.boolean(body, "active") if "active" in body else None
    if active is False and username == principal.name:
        raise Refusal("not_yourself")
    password = _password(body, username, str(account.get("display_name") or ""), site_id, ctx.site(site_id).name)
    display_name = _name(body, "display_name") if "display_name" in body else account["display_name"]
    role, agency = (account["role"], account["agency"])
    if body.keys() & {"role", "agency"}:
        role, agency = _role_and_agency(ctx, principal, site_id, body, account)
    if active is not None and active != account["active"]:
        await ctx.accounts.set_active(username, active)
        await audit_trail.write(ctx, principal, site_id, "account.enable" if active else "account.disable",
                                f"account {username}")  # fmt: skip
    if password is not None:
        await ctx.accounts.set_password(username, password)
        await audit_trail.write(ctx, principal, site_id, "account.password", f"account {username}")
    if (role, agency, display_name) != (account["role"], account["agency"], account["display_name"]):
        await ctx.accounts.change_user(username, role, agency, display_name)
        await audit_trail.write(
            ctx, principal, site_id, "account.change", f"account {username}", role=role, agency=agency
        )
    released = await _release(ctx, principal, site_id, username, active, role, agency, account)
    return {**await _managed(ctx, principal, site_id, username), "released": released}


async def _release(
    ctx: Context, principal: Principal, site_id: str, username: str, active: bool | None, role: str,
    agency: str | None, was: dict[str, Any],
) -> list[dict[str, Any]]:  # fmt: skip
    """An operator disabled, or moved to another agency, leaves no counter open under their name: a supervisor
    expects the counter closed, not open with nobody allowed at it (an outside review)."""
    if active is False and was["active"]:
        return await actions.release_counters(ctx, principal, site_id, username, "disabled")
    if role == "operator" and agency != was["agency"]:
        return await actions.release_counters(ctx, principal, site_id, username, "agency", agency=agency)
    return []


async def remove_account(
    ctx: Context, principal: Principal | None, site_id: str, username: str
) -> list[dict[str, Any]]:
    """The account goes; counters left open under it are closed (answered: which, and what became of their ticket)."""
    ctx.site(site_id)
    principal = require(principal, "site.accounts", site_id)
    await _managed(ctx, principal, site_id, username)
    if username == principal.name:
        raise Refusal("not_yourself")
    await ctx.accounts.remove_user(username)
    await audit_trail.write(ctx, principal, site_id, "account.remove", f"account {username}")
    return await actions.release_counters(ctx, principal, site_id, username, "removed")


# --- devices --------------------------------------------------------------------------------------------------------


async def list_devices(ctx: Context, principal: Principal | None, site_id: str) -> list[dict[str, Any]]:
    """Every device token of the site (revoked ones too), with what the screens say now: connected, last seen."""
    ctx.site(site_id)
    require(principal, "site.devices", site_id)
    health = {d["id"]: d for d in ctx.devices.for_site(site_id)}
    out = []
    for device in await ctx.accounts.store.devices():
        if device.site != site_id:
            continue
        seen = health.get(device.id, {})
        connected = bool(seen.get("connected")) or _heard_lately(device.kind, device.last_seen_at, ctx.now())
        out.append({
            "id": device.id, "kind": device.kind, "name": device.name, "screen": device.screen,
            "created_at": device.created_at, "revoked_at": device.revoked_at,
            "connected": connected,
            "last_seen_at": seen.get("last_seen") or device.last_seen_at,
        })  # fmt: skip
    return out


# A device without a websocket (a kiosk polls every 15 s, an uplink says it is there every minute) is connected while
# heard from this recently: its last-seen time is written at most every 30 s (auth.SEEN_SECONDS).
HEARD_WITHIN = {"kiosk": timedelta(seconds=90), "uplink": timedelta(minutes=3)}


def _heard_lately(kind: str, last_seen_at: str | None, now: datetime) -> bool:
    within = HEARD_WITHIN.get(kind)
    return within is not None and last_seen_at is not None and now - datetime.fromisoformat(last_seen_at) <= within


async def find_device(ctx: Context, principal: Principal, site_id: str, device_id: int) -> dict[str, Any]:
    """A device entry of the site as the Settings page lists it, or unknown_device."""
    for device in await list_devices(ctx, principal, site_id):
        if device["id"] == device_id:
            return device
    raise Refusal("unknown_device", device=str(device_id), site=ctx.site(site_id).name, details={"field": "device"})


def device_fields(ctx: Context, site_id: str, body: dict[str, Any]) -> tuple[str, str, str | None]:
    """A new TV's or kiosk's kind, name and screen (a display's only), as the Settings page's form gives them."""
    site = ctx.site(site_id)
    kind = v.required_text(body, "kind", choices=WEB_DEVICE_KINDS)
    name = _name(body, "name")
    screen = None
    if kind == "display":
        screen = v.required_text(body, "screen", max_len=40)
        if screen not in site.screens:
            raise Refusal("unknown_screen", screen=screen, site=site.name, details={"field": "screen"})
    return kind, name, screen


def page_of(site_id: str, kind: str, screen: str | None) -> str:
    """The page a TV or kiosk opens (its token goes after it, in the fragment)."""
    return f"/display/{site_id}/{screen}" if kind == "display" else f"/kiosk/{site_id}"


async def issue_device(ctx: Context, principal: Principal | None, site_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """A new device token, answered once with the address to open on the device."""
    ctx.site(site_id)
    principal = require(principal, "site.devices", site_id)
    ctx.served_here(site_id)  # a mirrored mall's kiosks and TVs are its own server's
    v.only(body, {"kind", "name", "screen"})
    kind, name, screen = device_fields(ctx, site_id, body)
    token = await ctx.accounts.create_device(kind, site_id, name, screen)
    key = await ctx.accounts.store.live_device(token_hash(token))  # this token's record, whoever issued one meanwhile
    assert key is not None
    issued = await find_device(ctx, principal, site_id, key.id)
    await audit_trail.write(ctx, principal, site_id, "device.issue", f"device {issued['id']}", name=name, kind=kind)
    return {"device": issued, "token": token, "path": page_of(site_id, kind, screen)}


async def rename_device(
    ctx: Context, principal: Principal | None, site_id: str, device_id: int, body: dict[str, Any]
) -> dict[str, Any]:
    ctx.site(site_id)
    principal = require(principal, "site.devices", site_id)
    v.only(body, {"name"})
    name = _name(body, "name")
    device = await find_device(ctx, principal, site_id, device_id)
    await ctx.accounts.rename_device(device_id, name)
    await audit_trail.write(
        ctx, principal, site_id, "device.rename", f"device {device_id}", name=name, was=device["name"]
    )
    return await find_device(ctx, principal, site_id, device_id)


async def revoke_device(ctx: Context, principal: Principal | None, site_id: str, device_id: int) -> dict[str, Any]:
    """The device is refused at its next request and its websockets are closed, on every process."""
    ctx.site(site_id)
    principal = require(principal, "site.devices", site_id)
    device = await find_device(ctx, principal, site_id, device_id)
    if device["revoked_at"] is None:
        await ctx.accounts.revoke_device(device_id)
        await audit_trail.write(ctx, principal, site_id, "device.revoke", f"device {device_id}", name=device["name"])
    return await find_device(ctx, principal, site_id, device_id)
