"""The HTTP routes of pairing a TV or kiosk with a short code (application/device_pairing.py, docs/administration.md):
the device page asks for a code and then whether its token is a device's yet; an admin or supervisor types the code
on the Settings page. The start address of any new device (/perangkat) asks at /api/v1/pairing, for a code of no mall
until one pairs it. Tokens travel only in bodies and the Authorization header, never in a path or a query, so no
access log holds one."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from queue_server.application import device_pairing
from queue_server.common.jsontext import JSONResponse
from queue_server.web.requests import (
    bearer,
    ctx_of,
    limit_pairing_codes,
    limit_pairing_tries,
    principal_of,
    read_json,
)


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


async def post_pairing(request: Request) -> Response:
    """A device page with no token asks for a code (public; limited per address)."""
    ctx = ctx_of(request)
    ctx.site(request.path_params["site"])  # an unknown site is a 404, counted as nothing
    await limit_pairing_codes(request)
    body = await read_json(request)  # what the page is: a TV of its screen, or a kiosk
    offered = await device_pairing.offer(ctx, request.path_params["site"], body)
    return _no_store(JSONResponse(offered, status_code=201))


async def get_pairing(request: Request) -> Response:
    """The waiting page asks, with the token it drew, whether it is a device's yet."""
    answer = await device_pairing.status(ctx_of(request), request.path_params["site"], bearer(request))
    return _no_store(JSONResponse(answer))


async def post_start_pairing(request: Request) -> Response:
    """The start address (/perangkat) asks for a code that is no mall's until paired (public; limited per address,
    counted with the device pages' codes)."""
    await limit_pairing_codes(request)
    offered = await device_pairing.offer(ctx_of(request), None, {})  # what it becomes is chosen where it is paired
    return _no_store(JSONResponse(offered, status_code=201))


async def get_start_pairing(request: Request) -> Response:
    """The start address asks whether its token is a device's yet, and of which mall's page."""
    answer = await device_pairing.status(ctx_of(request), None, bearer(request))
    return _no_store(JSONResponse(answer))


async def post_device_pair(request: Request) -> Response:
    """An admin or supervisor types the code a device shows (limited per account)."""
    ctx, principal = ctx_of(request), await principal_of(request)
    body = await read_json(request)
    await limit_pairing_tries(request, principal)
    paired = await device_pairing.pair(ctx, principal, request.path_params["site"], body)
    return _no_store(JSONResponse(paired, status_code=201))


async def post_device_pair_lookup(request: Request) -> Response:
    """The Settings form asks what a typed code is (a TV of which screen, a kiosk, or the start address's), to fix
    the device's kind and screen; counted with the codes typed (it tells as much about a code)."""
    ctx, principal = ctx_of(request), await principal_of(request)
    body = await read_json(request)
    await limit_pairing_tries(request, principal)
    found = await device_pairing.look_up(ctx, principal, request.path_params["site"], body)
    return _no_store(JSONResponse(found))


ROUTES = [
    Route("/api/v1/pairing", post_start_pairing, methods=["POST"]),
    Route("/api/v1/pairing", get_start_pairing, methods=["GET"]),
    Route("/api/v1/sites/{site}/pairing", post_pairing, methods=["POST"]),
    Route("/api/v1/sites/{site}/pairing", get_pairing, methods=["GET"]),
    Route("/api/v1/sites/{site}/device-tokens/pair", post_device_pair, methods=["POST"]),
    Route("/api/v1/sites/{site}/device-tokens/pair/lookup", post_device_pair_lookup, methods=["POST"]),
]
