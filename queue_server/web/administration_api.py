"""The HTTP routes of a site's staff accounts and device tokens (docs/administration.md): admins, and a site's
supervisors for its operators. Each handler authorises and hands over to application/administration.py."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from queue_server.application import administration
from queue_server.common.jsontext import JSONResponse
from queue_server.domain.refusal import Refusal
from queue_server.web import device_address
from queue_server.web.requests import config_of, ctx_of, principal_of, read_json


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _port(request: Request) -> int:
    """The port this request came in on: the one the server listens on (the configured one over a Unix socket)."""
    server = request.scope.get("server")
    return int(server[1]) if server and server[1] else config_of(request).port


def _device_id(request: Request) -> int:
    raw = request.path_params["device"]
    if not raw.isdigit() or len(raw) > 12:
        raise Refusal("unknown_device", device=raw[:20], site=request.path_params["site"])
    return int(raw)


async def get_accounts(request: Request) -> Response:
    accounts = await administration.list_accounts(
        ctx_of(request), await principal_of(request), request.path_params["site"]
    )
    return _no_store(JSONResponse({"accounts": accounts}))


async def post_account(request: Request) -> Response:
    ctx, principal = ctx_of(request), await principal_of(request)
    account = await administration.add_account(ctx, principal, request.path_params["site"], await read_json(request))
    return JSONResponse({"account": account}, status_code=201)


async def patch_account(request: Request) -> Response:
    ctx, principal, site = ctx_of(request), await principal_of(request), request.path_params["site"]
    username, body = request.path_params["username"], await read_json(request)
    account = await administration.change_account(ctx, principal, site, username, body)
    return JSONResponse({"account": account, "released": account.pop("released")})


async def delete_account(request: Request) -> Response:
    ctx, principal, site = ctx_of(request), await principal_of(request), request.path_params["site"]
    released = await administration.remove_account(ctx, principal, site, request.path_params["username"])
    return JSONResponse({"ok": True, "removed": request.path_params["username"], "released": released})


async def get_device_tokens(request: Request) -> Response:
    devices = await administration.list_devices(
        ctx_of(request), await principal_of(request), request.path_params["site"]
    )
    return _no_store(JSONResponse({"devices": devices}))


async def post_device_token(request: Request) -> Response:
    ctx, principal = ctx_of(request), await principal_of(request)
    site_id = request.path_params["site"]
    issued = await administration.issue_device(ctx, principal, site_id, await read_json(request))
    # where a TV reaches this server: what it is bound to and the port the request came in on, not the browser's
    reach = device_address.reach(config_of(request), ctx.site(site_id), _port(request))
    address = f"{reach['base']}{issued['path']}#token={issued['token']}"
    answer = {**issued, "address": address, "reach": reach, "qr_svg": device_address.qr_svg(address)}
    return _no_store(JSONResponse(answer, status_code=201))


async def patch_device_token(request: Request) -> Response:
    ctx, principal, site = ctx_of(request), await principal_of(request), request.path_params["site"]
    device = await administration.rename_device(ctx, principal, site, _device_id(request), await read_json(request))
    return JSONResponse({"device": device})


async def revoke_device_token(request: Request) -> Response:
    ctx, principal, site = ctx_of(request), await principal_of(request), request.path_params["site"]
    return JSONResponse({"device": await administration.revoke_device(ctx, principal, site, _device_id(request))})


ROUTES = [
    Route("/api/v1/sites/{site}/accounts", get_accounts, methods=["GET"]),
    Route("/api/v1/sites/{site}/accounts", post_account, methods=["POST"]),
    Route("/api/v1/sites/{site}/accounts/{username}", patch_account, methods=["PATCH"]),
    Route("/api/v1/sites/{site}/accounts/{username}", delete_account, methods=["DELETE"]),
    Route("/api/v1/sites/{site}/device-tokens", get_device_tokens, methods=["GET"]),
    Route("/api/v1/sites/{site}/device-tokens", post_device_token, methods=["POST"]),
    Route("/api/v1/sites/{site}/device-tokens/{device}", patch_device_token, methods=["PATCH"]),
    Route("/api/v1/sites/{site}/device-tokens/{device}/revoke", revoke_device_token, methods=["POST"]),
]
