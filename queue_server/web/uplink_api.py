"""Where a mirrored mall's own server sends its event log (outbound/uplink.py sends; domain/relay.py checks and
applies; docs/deployment.md, "Malls on their own boxes")."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from queue_server.application.actions import relay_events, uplink_head
from queue_server.application.auth import require
from queue_server.common.jsontext import JSONResponse
from queue_server.domain.refusal import Refusal
from queue_server.settings.sitefile import ID
from queue_server.supervision import survey
from queue_server.web.requests import ctx_of, outcome_response, principal_of, read_json

# A batch of up to 1,000 events (a configuration event holds a whole site file): read only once its sender is known.
BODY_BYTES = 4 * 1024 * 1024
SCREENS_MAX = 500  # screen ids in a heartbeat (a mall has a handful)


async def get_uplink(request: Request) -> Response:
    """Where this server's copies of the mall's log and of its survey answers end. `?newest=`: where the box's own
    log ends (a box of protocol 2 on says it); `?protocol=`: what the box speaks (this release's box says it);
    `?screens=`: which of its screens have a display connected (this release's box says it); `?stopping=1`: its last
    heartbeat, on a clean stop (this release's box says it)."""
    ctx = ctx_of(request)
    site_id = request.path_params["site"]
    newest = _whole_number(request, "newest")
    said = _whole_number(request, "protocol")
    theirs = request.query_params.get("fingerprint")  # of the box's event `newest` ("3:...", "2:...")
    theirs = theirs if theirs is not None and len(theirs) <= 64 else None
    screens = _screen_ids(request)
    stopping = _stopping(request)
    head = await uplink_head(ctx, await principal_of(request), site_id, newest, theirs, said, screens, stopping)
    return JSONResponse({**head, "surveys": await survey.relay_cursor(ctx.storage, site_id)})


def _screen_ids(request: Request) -> frozenset[str] | None:
    """`?screens=lobby,loket-a`: the screens with a display connected at the mall (a box of this release says it
    in its heartbeat; empty: none); None when not said."""
    text = request.query_params.get("screens")
    if text is None:
        return None
    ids = [part for part in text.split(",") if part]
    if len(ids) > SCREENS_MAX or not all(ID.match(screen) for screen in ids):
        raise Refusal("invalid_field.screen_ids", high=SCREENS_MAX, details={"field": "screens"})
    return frozenset(ids)


def _stopping(request: Request) -> bool:
    """`?stopping=1`: the box is stopping cleanly (its last heartbeat); anything else said is refused, naming it."""
    text = request.query_params.get("stopping")
    if text is not None and text != "1":
        raise Refusal("invalid_field.choice", choices=["1"], details={"field": "stopping"})
    return text == "1"


def _whole_number(request: Request, key: str) -> int | None:
    text = request.query_params.get(key)
    if text is None:
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > 16:
        raise Refusal("invalid_field.whole_number", low=0, details={"field": key})
    return int(text)


async def post_uplink(request: Request) -> Response:
    ctx = ctx_of(request)
    site_id = request.path_params["site"]
    ctx.site(site_id)
    principal = require(await principal_of(request), "site.relay", site_id)
    return outcome_response(await relay_events(ctx, principal, site_id, lambda: read_json(request, BODY_BYTES)))


async def post_uplink_surveys(request: Request) -> Response:
    """The mall's survey answers (kept beside its log, not in it), after its events."""
    ctx = ctx_of(request)
    site_id = request.path_params["site"]
    site = ctx.site(site_id)
    principal = require(await principal_of(request), "site.relay", site_id)
    if not ctx.state(site_id).mirrored:
        raise Refusal("site_not_mirrored", site=site.name)
    await ctx.accounts.device_seen(principal)
    body = await read_json(request, BODY_BYTES)
    return JSONResponse(await survey.relay_answers(ctx.storage, site, body, ctx.now()))


ROUTES = [
    Route("/api/v1/sites/{site}/uplink", get_uplink, methods=["GET"]),
    Route("/api/v1/sites/{site}/uplink", post_uplink, methods=["POST"]),
    Route("/api/v1/sites/{site}/uplink/surveys", post_uplink_surveys, methods=["POST"]),
]
