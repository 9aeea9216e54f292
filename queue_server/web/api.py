"""The HTTP JSON API under /api/v1/ (documented in docs/api.md and served as OpenAPI)."""

from __future__ import annotations

import os
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from queue_server import __version__
from queue_server.application import known_devices
from queue_server.application import validation as v
from queue_server.application.actions import (
    booking_slots,
    booking_status,
    cancel_booking,
    cancel_by_citizen,
    check_in,
    close_day,
    counter_command,
    create_booking,
    issue_ticket,
    look_before_check_in,
    public_status,
    reopen_day,
    reprint_ticket,
    ticket_action,
)
from queue_server.application.auth import Principal, device_token_refusal, person_name, require
from queue_server.application.context import Context
from queue_server.application.phone_codes import send_code
from queue_server.application.views import site_state_view, waits_view
from queue_server.common.calls import call_of
from queue_server.common.jsontext import JSONResponse
from queue_server.domain.catalogue import PRIORITY_GROUPS, Site
from queue_server.domain.decide import find_ticket, issuing_refusal
from queue_server.domain.refusal import Refusal
from queue_server.live import wire
from queue_server.web.administration_api import ROUTES as ADMINISTRATION_ROUTES
from queue_server.web.configuration_api import ROUTES as CONFIGURATION_ROUTES
from queue_server.web.errors import error_body
from queue_server.web.openapi import openapi_document
from queue_server.web.outbox_api import ROUTES as OUTBOX_ROUTES
from queue_server.web.pairing_api import ROUTES as PAIRING_ROUTES
from queue_server.web.requests import (
    bearer,
    client_address,
    ctx_of,
    limit_bookings,
    limit_check_ins,
    limit_code_lookups,
    outcome_response,
    principal_of,
    read_json,
    server_of,
)
from queue_server.web.supervision_api import ROUTES as SUPERVISION_ROUTES
from queue_server.web.uplink_api import ROUTES as UPLINK_ROUTES

# --- handlers ----------------------------------------------------------------------------------------


async def healthz(request: Request) -> Response:
    ctx = ctx_of(request)
    failure = await ctx.storage_failure()
    return JSONResponse(
        {
            # "storage_failing" while this process cannot write its database (a full disk): every command is
            # refused 503 meanwhile. Still 200: the process is alive, its screens are served, and a balancer
            # taking every process out over a shared database's outage would leave the TVs dark too.
            # "sites_left_out" while a mall this server was started with is not served (settings/left_out.py): the
            # others are, so still 200; `left_out` names each and the kind of reason (the log says it whole).
            "status": "storage_failing" if failure is not None else "sites_left_out" if ctx.left_out else "ok",
            "storage": _storage_view(failure),
            "version": __version__,
            "sites": sorted(ctx.sites),
            "left_out": [leaving.public() for _, leaving in sorted(ctx.left_out.items())],
            "last_seq": ctx.storage.last_seq,
            "websocket_clients": ctx.hub.count,
            "process": os.getpid(),  # which of `serve --workers N`'s processes answered
            "time": ctx.now().isoformat(),  # the server's clock (UTC): a wrong date shows here first
            # Each site's log going up to the server that mirrors it: how far the mirror is behind, and why not.
            "uplink": await ctx.uplink.report() if ctx.uplink is not None else None,
        }
    )


def _storage_view(failure: dict[str, Any] | None) -> dict[str, Any] | None:
    if failure is None:
        return None
    # The error's kind, not its text: /healthz is public, and the text may name a path or the database's host and
    # port (the log and the supervisor's dashboard say it whole).
    return {"failing_since": failure["since"].isoformat(), "error": failure["kind"], "disk_full": failure["full"]}


async def openapi(request: Request) -> Response:
    return JSONResponse(openapi_document(server_of(request.app).page_openapi))


async def login(request: Request) -> Response:
    body = await read_json(request)
    v.only(body, {"username", "password"})
    # No account's name holds a control character; PostgreSQL refused a NUL in one (a 500) while counting failures.
    username = v.required_text(body, "username", max_len=64, shown=True)
    password = v.required_text(body, "password", max_len=256)
    address = request.client.host if request.client else "unknown"
    ctx = ctx_of(request)
    accounts, known = ctx.accounts, request.cookies.get(known_devices.COOKIE)
    try:
        token, expires, principal, remembered = await accounts.login(username, password, address, known)
    except Exception as exc:
        # A sign-in saves a session (and a wrong password's count): on a full disk it cannot, and "Coba lagi" sent
        # the supervisor back to retry what cannot work (outside review). Said as it is, with what the technician
        # does; right and wrong passwords alike, so it tells nobody which was typed.
        refusal = ctx.storage_refusal(exc, "storage_unavailable.sign_in", "storage_unavailable.sign_in_full")
        if refusal is None:
            raise
        raise refusal from None
    ctx.storage_written()  # room again: the sign-in form and /healthz stop saying it at once
    response = JSONResponse({"token": token, "expires_at": expires.isoformat(), "user": _principal_view(principal)})
    response.set_cookie(
        known_devices.COOKIE, remembered,
        max_age=known_devices.KEEP_SECONDS, path=known_devices.PATH, httponly=True, samesite="strict",
        secure=request.url.scheme == "https",
    )  # fmt: skip
    return response


async def logout(request: Request) -> Response:
    token = bearer(request)
    if token is None or await principal_of(request) is None:
        raise Refusal("unauthenticated")
    await ctx_of(request).accounts.logout(token)
    return JSONResponse({"ok": True})


async def me(request: Request) -> Response:
    principal = await principal_of(request)
    if principal is None:
        raise Refusal("unauthenticated")
    return JSONResponse(_principal_view(principal))


def _principal_view(p: Principal) -> dict[str, Any]:
    view: dict[str, Any] = {
        "kind": p.kind, "role": p.role, "name": p.name, "site": p.site, "agency": p.agency, "screen": p.screen,
        "display_name": person_name(p.name, p.display_name),  # a page's header shows the person, not the login name
    }  # fmt: skip
    if p.role == "regional":
        view["sites"] = sorted(p.sites) if p.sites is not None else None  # None: every site
    return view


async def list_sites(request: Request) -> Response:
    ctx = ctx_of(request)
    return JSONResponse({"sites": [{"id": s.id, "name": s.name, "timezone": s.timezone} for s in ctx.sites.values()]})


def _today(ctx: Context, site: Site) -> dict[str, Any]:
    """What changes in a catalogue from one minute to the next, and what a kiosk reads every 15 s: whether the day
    is closed and whether tickets can be issued now (`issuing`: why not, before opening time say; the kiosk says so
    before a citizen picks anything), the server's time (a kiosk on a LAN without internet often has a wrong clock,
    and shows this one), the configuration's version (a new one: redraw the tiles), and whether messages can be
    offered now (`notify.available`: not while the gateway is paused by its breaker), when opening hours next
    open or close the site (`changes_at`), and whether checking in a booking can serve anyone today (`check_in`:
    the kiosk offers its "Lapor hadir" only then)."""
    today = ctx.today(site)
    state = ctx.state(site.id)
    closed = today in state.closed_days
    refusal = issuing_refusal(state, ctx.now())
    # the day closed says when it opens again, as `issuing` does (docs/api.md)
    shut = refusal if refusal is not None and refusal.code == "day_closed" else Refusal("day_closed", site=site.name)
    day = {
        "day": today.isoformat(),
        "closed": closed,
        "reason": state.closed_reasons.get(today) if closed else None,  # why, where the supervisor said it
        "error": error_body(shut) if closed else None,
    }
    # When opening hours alone next change whether tickets can be taken: the kiosk reads this again then, so it
    # starts at opening time to the second (a crowd waits at the door), not at its next 15-s poll.
    changes = site.hours.next_change(site.local(ctx.now())) if site.enforce_hours else None
    return {
        "today": day,
        "issuing": None if refusal is None else error_body(refusal),
        "changes_at": changes.isoformat() if changes is not None else None,
        "now": ctx.now().isoformat(),
        "configuration_version": state.configuration.version,
        "notify": {"offered": site.notify.offered, "available": ctx.messages_available(site)},
        "check_in": state.check_in_offered(today),
    }


async def site_today(request: Request) -> Response:
    """The few hundred bytes of the catalogue that change (`_today`), for a kiosk's poll: at national scale the whole
    catalogue every 15 s from every kiosk is ~10 KB and a millisecond of the server each time."""
    ctx = ctx_of(request)
    site = ctx.site(request.path_params["site"])
    token = bearer(request)
    if token:  # a kiosk polling with its token: heard from (the Settings page's "tersambung")
        principal = await principal_of(request)
        if principal is None and token.startswith("d_"):
            # revoked (or never known): the kiosk stops offering numbers at its next poll and says what to do,
            # rather than show its tiles until a citizen's tap is refused
            raise device_token_refusal(token)
        if principal is not None and principal.kind == "device" and principal.site == site.id:
            await ctx.accounts.device_seen(principal)
    return JSONResponse(_today(ctx, site))


async def site_waits(request: Request) -> Response:
    """Each service's wait for a ticket taken now and its quota left, and why nothing can be issued now if so:
    public like the lobby screen (counts and minutes), for the kiosk's tiles and citizens at home."""
    ctx = ctx_of(request)
    site = ctx.site(request.path_params["site"])
    refusal = issuing_refusal(ctx.state(site.id), ctx.now())
    return JSONResponse({**waits_view(ctx, site.id), "issuing": None if refusal is None else error_body(refusal)})


async def site_config(request: Request) -> Response:
    """The catalogue (agencies, services, counters, screens, hours): public, it is what the kiosk shows."""
    ctx = ctx_of(request)
    site = ctx.site(request.path_params["site"])
    return JSONResponse(
        {
            **_today(ctx, site),
            "id": site.id,
            "name": site.name,
            "timezone": site.timezone,
            "running_text": ctx_of(request).state(site.id).current_running_text,
            "routing": {"order": site.routing.order, "priority_max_streak": site.routing.priority_max_streak},
            "hours": {day: [f"{a:%H:%M}-{b:%H:%M}" for a, b in ranges] for day, ranges in site.hours.weekly.items()},
            "holidays": sorted(d.isoformat() for d in site.hours.holidays),
            # special periods (e.g. Ramadan) with their own weekly hours; a weekday they do not name is closed
            "periods": [
                {
                    "name": p.name,
                    "from": p.start.isoformat(),
                    "to": p.end.isoformat(),
                    "hours": {day: [f"{a:%H:%M}-{b:%H:%M}" for a, b in r] for day, r in p.weekly.items() if r},
                }
                for p in site.hours.periods
            ],  # fmt: skip
            # whether citizens may leave a WhatsApp/SMS number for messages (`available`: now, the gateway not paused by
            # its breaker), and when "N people before you" goes
            "notify": {
                "offered": site.notify.offered,
                "available": ctx.messages_available(site),
                "people_ahead": site.notify.people_ahead,
            },
            # the UU 25/2009 groups a priority ticket may belong to, named for staff screens in both languages
            "priority_groups": {group: {"id": ind, "en": eng} for group, (ind, eng) in PRIORITY_GROUPS.items()},
            "agencies": [
                {
                    "id": a.id,
                    "name": a.name,
                    "short_name": a.short_name,
                    "colour": a.colour,
                    "services": [s.id for s in site.services.values() if s.agency == a.id],
                    "counters": [c.id for c in site.counters.values() if c.agency == a.id],
                }
                for a in site.agencies.values()
            ],
            "services": [
                {
                    "id": s.id,
                    "agency": s.agency,
                    "name": s.name,
                    "prefix": s.prefix,
                    "daily_quota": s.daily_quota,
                    "target_wait_minutes": s.target_wait_minutes,
                }
                for s in site.services.values()
            ],
            "counters": [
                {"id": c.id, "name": c.name, "agency": c.agency, "services": list(c.services), "zone": c.zone}
                for c in site.counters.values()
            ],
            "screens": [
                {"id": s.id, "name": s.name, "agencies": list(s.agencies), "zones": list(s.zones), "speaker": s.speaker}
                for s in site.screens.values()
            ],
        }
    )


async def site_state(request: Request) -> Response:
    ctx = ctx_of(request)
    site_id = request.path_params["site"]
    ctx.site(site_id)
    principal = require(await principal_of(request), "site.read_state", site_id)
    audience = wire.PUBLIC if principal.kind == "device" else wire.STAFF
    agency = principal.agency if principal.role == "operator" else None  # an operator sees their own agency's
    return JSONResponse(site_state_view(ctx, site_id, audience, agency))


async def post_ticket(request: Request) -> Response:
    ctx = ctx_of(request)
    site_id = request.path_params["site"]
    ctx.site(site_id)
    principal = await principal_of(request)
    body = await read_json(request)
    outcome = await issue_ticket(ctx, principal, site_id, body, request.headers.get("idempotency-key"))
    return outcome_response(outcome)


async def get_ticket(request: Request) -> Response:
    ctx = ctx_of(request)
    site_id = request.path_params["site"]
    state = ctx.state(site_id)
    ref = request.path_params["ticket"]
    principal = require(await principal_of(request), "site.read_state", site_id)
    ticket = find_ticket(state, ref, state.site.service_day(ctx.now()))
    require(principal, "ticket.manage", site_id, ticket.agency)
    return JSONResponse(wire.ticket_view(ticket, wire.STAFF))


async def post_ticket_action(request: Request) -> Response:
    ctx = ctx_of(request)
    site_id = request.path_params["site"]
    ctx.site(site_id)
    principal = await principal_of(request)
    body = await read_json(request)
    return outcome_response(await ticket_action(ctx, principal, site_id, request.path_params["ticket"], body))


async def post_reprint(request: Request) -> Response:
    ctx = ctx_of(request)
    site_id = request.path_params["site"]
    ctx.site(site_id)
    principal = await principal_of(request)
    return JSONResponse(await reprint_ticket(ctx, principal, site_id, request.path_params["ticket"]))


async def post_counter_command(request: Request) -> Response:
    ctx = ctx_of(request)
    site_id = request.path_params["site"]
    ctx.site(site_id)
    principal = await principal_of(request)
    body = await read_json(request)
    outcome = await counter_command(ctx, principal, site_id, request.path_params["counter"], body)
    return outcome_response(outcome)


async def post_reopen_day(request: Request) -> Response:
    ctx = ctx_of(request)
    principal = await principal_of(request)
    return outcome_response(await reopen_day(ctx, principal, request.path_params["site"], await read_json(request)))


async def post_close_day(request: Request) -> Response:
    ctx = ctx_of(request)
    site_id = request.path_params["site"]
    ctx.site(site_id)
    principal = await principal_of(request)
    body = await read_json(request)
    return outcome_response(await close_day(ctx, principal, site_id, body))


async def ticket_status(request: Request) -> Response:
    ctx = ctx_of(request)
    return JSONResponse(public_status(ctx, await ctx.ticket_by_token(request.path_params["token"])))


async def ticket_cancel_by_citizen(request: Request) -> Response:
    """A citizen cancels their own ticket; holding the unguessable token is the authority."""
    return outcome_response(await cancel_by_citizen(ctx_of(request), request.path_params["token"]))


async def announcement_wav(request: Request) -> Response:
    """The spoken call of one call event, as one WAV (chime + words). Public like the lobby screen it plays on:
    it says only a ticket label and a counter name. Built from pre-rendered clips in milliseconds and cached.
    `?zone=1`: with the counter's floor; `?brief=1`: the short form, without the chime (a busy hall)."""
    ctx = ctx_of(request)
    site = ctx.site(request.path_params["site"])
    seq_text = request.path_params["seq"]
    event = await ctx.storage.event(site.id, int(seq_text)) if seq_text.isdigit() and len(seq_text) < 19 else None
    call = call_of(site, event) if event is not None else None
    if call is None or ctx.announcer is None:
        raise Refusal("unknown_announcement", seq=seq_text[:20], site=site.name)
    query = request.query_params
    announcement = await ctx.announcer.build(
        site, call, with_zone=query.get("zone") == "1", brief=query.get("brief") == "1"
    )
    return FileResponse(
        announcement.path, media_type="audio/wav", headers={"Cache-Control": "public, max-age=86400, immutable"}
    )


async def get_booking_slots(request: Request) -> Response:
    ctx = ctx_of(request)
    site_id = request.path_params["site"]
    ctx.site(site_id)
    service = request.query_params.get("service", "")
    day = request.query_params.get("day", "")
    if not service or not day:
        raise Refusal("invalid_field.slots_query", details={"field": "service" if not service else "day"})
    # The day is checked whole: cut to 10 characters, "2026-12-08T00" or "2026-12-08 junk" answered that day's slots.
    return JSONResponse(booking_slots(ctx, site_id, service[:40], day[:40]))


async def post_booking(request: Request) -> Response:
    ctx = ctx_of(request)
    site_id = request.path_params["site"]
    ctx.site(site_id)
    await limit_bookings(request)
    body = await read_json(request)
    return outcome_response(await create_booking(ctx, site_id, body))


async def post_phone_code(request: Request) -> Response:
    """A one-time code to the number a citizen is booking with (application/phone_codes.py). Limited per client
    address with the bookings (a code is a message asked from a phone, and costs the mall money)."""
    ctx = ctx_of(request)
    site_id = request.path_params["site"]
    ctx.site(site_id)
    await limit_bookings(request)
    body = await read_json(request)
    return JSONResponse(await send_code(ctx, site_id, body, client_address(request)), status_code=201)


async def get_booking(request: Request) -> Response:
    await limit_code_lookups(request)
    return JSONResponse(await booking_status(ctx_of(request), request.path_params["code"]))


async def post_booking_cancel(request: Request) -> Response:
    await limit_code_lookups(request)
    return outcome_response(await cancel_booking(ctx_of(request), request.path_params["code"]))


async def post_check_in(request: Request) -> Response:
    ctx = ctx_of(request)
    site_id = request.path_params["site"]
    ctx.site(site_id)
    principal = await principal_of(request)
    await limit_check_ins(request, principal)
    # The body is optional (a check-in without a priority group needs none): read when one is sent.
    sent = request.headers.get("content-type") or request.headers.get("content-length", "0") != "0"
    body = await read_json(request) if sent else {}
    return outcome_response(await check_in(ctx, principal, site_id, request.path_params["code"], body))


async def get_check_in(request: Request) -> Response:
    """Whether a booking's code can be checked in now, changing nothing: authorised and counted as the check-in is
    (a look tells a code from a guess just as a check-in does)."""
    ctx = ctx_of(request)
    site_id = request.path_params["site"]
    ctx.site(site_id)
    principal = await principal_of(request)
    await limit_check_ins(request, principal)
    return JSONResponse(await look_before_check_in(ctx, principal, site_id, request.path_params["code"]))


async def site_devices(request: Request) -> Response:
    """Every screen that is or was recently connected, with what it last said about its health."""
    ctx = ctx_of(request)
    site_id = request.path_params["site"]
    ctx.site(site_id)
    require(await principal_of(request), "site.follow", site_id)
    return JSONResponse({"devices": ctx.devices.for_site(site_id)})


# Starlette tries routes in order, a regular expression each, so the busiest come first: issuing, counter commands
# and the citizen's status page. Issuing was the 16th route: ~4 % of its time went to matching the 15 before it.
ROUTES = [
    Route("/api/v1/sites/{site}/tickets", post_ticket, methods=["POST"]),
    Route("/api/v1/sites/{site}/counters/{counter}/commands", post_counter_command, methods=["POST"]),
    Route("/api/v1/tickets/{token}", ticket_status, methods=["GET"]),
    Route("/healthz", healthz, methods=["GET"]),
    Route("/api/v1/openapi.json", openapi, methods=["GET"]),
    Route("/api/v1/auth/login", login, methods=["POST"]),
    Route("/api/v1/auth/logout", logout, methods=["POST"]),
    Route("/api/v1/me", me, methods=["GET"]),
    Route("/api/v1/sites", list_sites, methods=["GET"]),
    Route("/api/v1/sites/{site}", site_config, methods=["GET"]),
    Route("/api/v1/sites/{site}/today", site_today, methods=["GET"]),
    Route("/api/v1/sites/{site}/waits", site_waits, methods=["GET"]),
    Route("/api/v1/sites/{site}/state", site_state, methods=["GET"]),
    Route("/api/v1/sites/{site}/devices", site_devices, methods=["GET"]),
    Route("/api/v1/sites/{site}/bookings/slots", get_booking_slots, methods=["GET"]),
    Route("/api/v1/sites/{site}/bookings", post_booking, methods=["POST"]),
    Route("/api/v1/sites/{site}/bookings/phone-code", post_phone_code, methods=["POST"]),
    Route("/api/v1/sites/{site}/bookings/{code}/check-in", post_check_in, methods=["POST"]),
    Route("/api/v1/sites/{site}/bookings/{code}/check-in", get_check_in, methods=["GET"]),
    Route("/api/v1/bookings/{code}", get_booking, methods=["GET"]),
    Route("/api/v1/bookings/{code}/cancel", post_booking_cancel, methods=["POST"]),
    Route("/api/v1/sites/{site}/announcements/{seq}.wav", announcement_wav, methods=["GET"]),
    Route("/api/v1/sites/{site}/tickets/{ticket}", get_ticket, methods=["GET"]),
    Route("/api/v1/sites/{site}/tickets/{ticket}/actions", post_ticket_action, methods=["POST"]),
    Route("/api/v1/sites/{site}/tickets/{ticket}/reprint", post_reprint, methods=["POST"]),
    Route("/api/v1/sites/{site}/close-day", post_close_day, methods=["POST"]),
    Route("/api/v1/sites/{site}/reopen-day", post_reopen_day, methods=["POST"]),
    Route("/api/v1/tickets/{token}/cancel", ticket_cancel_by_citizen, methods=["POST"]),
    *SUPERVISION_ROUTES,
    *OUTBOX_ROUTES,
    *CONFIGURATION_ROUTES,
    *PAIRING_ROUTES,  # before /device-tokens/{device}: "pair" is not a device's id
    *ADMINISTRATION_ROUTES,
    *UPLINK_ROUTES,
]
