"""The HTTP routes of a site's configuration (docs/administration.md): read it, replace it (applied live to every
screen and counter), and export it as a site file. Admins, and supervisors for their own site."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from queue_server.application import configuration
from queue_server.application.actions import configure_site
from queue_server.application.auth import require
from queue_server.application.call_sample import BODY_LIMIT, sample_call
from queue_server.common.jsontext import JSONResponse
from queue_server.web.requests import ctx_of, outcome_response, principal_of, read_json, server_of


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


async def get_configuration(request: Request) -> Response:
    ctx = ctx_of(request)
    body = configuration.read(ctx, await principal_of(request), request.path_params["site"])
    return _no_store(JSONResponse(body))


async def put_configuration(request: Request) -> Response:
    ctx = ctx_of(request)
    principal = await principal_of(request)
    parse = server_of(request.app).parse_site
    outcome = await configure_site(ctx, principal, request.path_params["site"], await read_json(request), parse)
    return outcome_response(outcome)


async def get_site_file(request: Request) -> Response:
    ctx = ctx_of(request)
    site_id = request.path_params["site"]
    text = configuration.export(ctx, await principal_of(request), site_id)
    headers = {"Content-Disposition": f'attachment; filename="{site_id}.toml"', "Cache-Control": "no-store"}
    return Response(text, media_type="application/toml; charset=utf-8", headers=headers)


async def post_announcement_sample(request: Request) -> Response:
    """A sample call's WAV with the announcement settings sent (not saved), as the lobby TVs would play it."""
    ctx = ctx_of(request)
    principal = await principal_of(request)
    site_id = request.path_params["site"]
    ctx.site(site_id)
    require(principal, "site.configure", site_id)  # before the body is read: a stranger's is not
    wav = await sample_call(ctx, principal, site_id, await read_json(request, limit=BODY_LIMIT))
    return Response(wav, media_type="audio/wav", headers={"Cache-Control": "no-store"})


ROUTES = [
    Route("/api/v1/sites/{site}/configuration", get_configuration, methods=["GET"]),
    Route("/api/v1/sites/{site}/configuration", put_configuration, methods=["PUT"]),
    Route("/api/v1/sites/{site}/configuration/site-file", get_site_file, methods=["GET"]),
    Route("/api/v1/sites/{site}/announcements/sample", post_announcement_sample, methods=["POST"]),
]
