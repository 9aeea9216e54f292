"""HTTP endpoints for printing: a kiosk reads its settings, prints (and reprints) a ticket on its ESC/POS printer;
a supervisor or admin changes a kiosk's printer from the kiosk's hidden panel and prints a test slip.

Who is who: the kiosk is named by its device token (Authorization: Bearer d_..., or X-Kiosk-Token when a staff
session is the bearer). A printer fault answers 503 `printer_fault` and is recorded for supervisors; the ticket
already exists, so nothing is lost and the kiosk offers a reprint by the ticket's token.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from queue_server.web.kit import (
    JSONResponse,
    Principal,
    Refusal,
    bearer,
    config_of,
    ctx_of,
    device_token_refusal,
    read_json,
)
from queue_server.web.kit import validation as v

from ..common import app_value, settings_of
from ..qr import base_url, follow_url
from ..store import store_of
from .config import PrinterConfig, check_network_printer, parse_printer, parse_public_url
from .devices import PrinterAddressRefused, PrinterFault, describe, print_slip, printer_addresses
from .health import PrinterHealth
from .slip import Slip, slip_for

log = logging.getLogger(__name__)


async def _kiosk(request: Request, site_id: str, token: str | None) -> Principal:
    principal = await ctx_of(request).accounts.authenticate(token)
    if principal is None:
        raise device_token_refusal(token)
    if principal.role != "kiosk":
        raise Refusal("not_a_kiosk")
    if principal.site != site_id:
        raise Refusal("wrong_site")
    return principal


async def _staff(request: Request, site_id: str) -> Principal:
    principal = await ctx_of(request).accounts.authenticate(bearer(request))
    if principal is None or principal.kind != "user":
        raise Refusal("unauthenticated.staff")
    if principal.role not in ("admin", "supervisor") or principal.site not in (None, site_id):
        raise Refusal("forbidden.kiosk_settings")  # fmt: skip
    return principal


async def _settings_view(request: Request, site_id: str, kiosk: Principal) -> dict[str, Any]:
    store = store_of(request)
    return {
        "kiosk": {"id": kiosk.id, "name": kiosk.name, "site": kiosk.site},
        "printer": (await store.printer(kiosk.id)).to_dict(),
        "public_url": await store.public_url(site_id),
        "qr_base": await base_url(request, site_id),
    }


async def kiosk_settings(request: Request) -> Response:
    site_id = request.path_params["site"]
    ctx_of(request).site(site_id)
    kiosk = await _kiosk(request, site_id, bearer(request))
    return JSONResponse(await _settings_view(request, site_id, kiosk))


async def save_kiosk_settings(request: Request) -> Response:
    site_id = request.path_params["site"]
    ctx_of(request).site(site_id)
    staff = await _staff(request, site_id)
    kiosk = await _kiosk(request, site_id, request.headers.get("x-kiosk-token"))
    body = await read_json(request)
    v.only(body, {"printer", "public_url"})
    printer = parse_printer(v.require_object(body.get("printer", {})))
    check_network_printer(printer, loopback=_loopback(request))
    public_url = parse_public_url(body.get("public_url"))
    if public_url != await store_of(request).public_url(site_id) and staff.role != "admin":
        # The QR codes of every ticket lead there: an admin's decision, as the messages' public address is.
        raise Refusal("forbidden.public_url", details={"field": "public_url"})
    await store_of(request).save(kiosk.id, printer, site_id, public_url, staff.name)
    log.info("kiosk %s printer set to %s by %s", kiosk.name, printer.mode, staff.name)
    return JSONResponse(await _settings_view(request, site_id, kiosk))


def _loopback(request: Request) -> bool:
    """The lab setting that lets a printer be on this machine (docs/configuration.md)."""
    return config_of(request).allow_loopback_targets


async def _send(request: Request, config: PrinterConfig, slip: Slip, kiosk: Principal) -> None:
    """Print in a thread (python-escpos blocks), one slip at a time per printer; a fault is recorded for the
    supervisors and answered as 503 printer_fault."""
    ctx = ctx_of(request)
    site_id = kiosk.site or ""
    health = app_value(request, "citizen_printer_health", lambda: PrinterHealth(ctx.devices))
    where = describe(config)
    now: datetime = ctx.now()
    timeout = settings_of(request).print_timeout_seconds
    try:
        async with _printer_lock(request, where):
            printing = asyncio.to_thread(print_slip, config, slip, timeout, loopback=_loopback(request))
            await asyncio.wait_for(printing, timeout * 2)
    except (PrinterFault, TimeoutError) as exc:
        error = str(exc) or f"{where}: no answer within {timeout:g} s"
        health.fault(site_id, kiosk.id, kiosk.name, where, now, error, slip.label)
        log.warning("printer fault at kiosk %s (%s): %s", kiosk.name, where, error)
        raise Refusal(
            "printer_fault", ticket=slip.label, details={"printer": where, "error": error, "label": slip.label}
        ) from None
    health.ok(site_id, kiosk.id, kiosk.name, where, now)


def _printer_lock(request: Request, where: str) -> asyncio.Lock:
    """One slip at a time per printer (two would interleave their bytes); kept per application."""
    locks: dict[str, asyncio.Lock] = app_value(request, "citizen_print_locks", dict)
    return locks.setdefault(where, asyncio.Lock())


async def print_ticket(request: Request) -> Response:
    """Print a ticket on the kiosk's ESC/POS printer; the same call reprints it (by the ticket's token)."""
    ctx = ctx_of(request)
    site_id = request.path_params["site"]
    ctx.site(site_id)
    kiosk = await _kiosk(request, site_id, bearer(request))
    body = await read_json(request)
    v.only(body, {"token", "lang"})
    token = v.required_text(body, "token", max_len=64)
    lang = v.text(body, "lang", required=False, choices=("id", "en")) or "id"  # as the citizen chose at the kiosk
    ticket = await ctx.storage.ticket_by_token(token)
    if ticket is None or ticket.site != site_id:
        raise Refusal("unknown_ticket", details={"field": "token"})
    config = await store_of(request).printer(kiosk.id)
    if not config.escpos:
        raise Refusal("not_an_escpos_printer", mode=config.mode)  # fmt: skip
    await _send(request, config, slip_for(ctx, ticket, await follow_url(request, site_id, token), lang), kiosk)
    return JSONResponse({"ok": True, "label": ticket.label, "printer": describe(config)})


async def test_print(request: Request) -> Response:
    """A sample slip on the printer given (not yet saved) or the kiosk's saved one, from the staff panel."""
    ctx = ctx_of(request)
    site_id = request.path_params["site"]
    site = ctx.site(site_id)
    await _staff(request, site_id)
    kiosk = await _kiosk(request, site_id, request.headers.get("x-kiosk-token"))
    body = await read_json(request)
    v.only(body, {"printer"})
    saved = await store_of(request).printer(kiosk.id)
    config = parse_printer(v.require_object(body["printer"])) if "printer" in body else saved
    if not config.escpos:
        raise Refusal("not_an_escpos_printer", mode=config.mode)  # fmt: skip
    if config.mode == "network":  # where the name leads, before anything is sent (and again as it is sent)
        check_network_printer(config, loopback=_loopback(request))
        try:
            await asyncio.to_thread(printer_addresses, config, loopback=_loopback(request))
        except PrinterAddressRefused:
            raise Refusal("invalid_field.printer_address", host=config.host, details={"field": "host"}) from None
        except PrinterFault:
            pass  # a name not known on this network: answered as the fault it is, below
    kiosk_page = f"{await base_url(request, site_id)}/kiosk/{site_id}"
    sample = Slip(site.name, "Cetak uji / Test print", kiosk.name, "A-000", site.local(ctx.now()), 0, 0,
                  kiosk_page, wifi_name=site.wifi.name if site.wifi else None,
                  wifi_password=site.wifi.password if site.wifi else None)  # fmt: skip
    await _send(request, config, sample, kiosk)
    return JSONResponse({"ok": True, "printer": describe(config)})
