"""The HTTP routes of messages out (docs/notifications.md): a citizen asking for messages from their phone page,
admins' webhook endpoints, and the deliveries supervisors watch and resend."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from queue_server.application import gateway_test
from queue_server.application.actions import leave_contact, remove_contact
from queue_server.application.auth import allowed
from queue_server.common.jsontext import JSONResponse
from queue_server.web.requests import (
    ctx_of,
    limit_bookings,
    limit_gateway_tests,
    outcome_response,
    principal_of,
    read_json,
)


async def post_notify(request: Request) -> Response:
    """A citizen leaves a number for messages about their ticket; holding its link is the authority. From a phone
    it is limited per client address like bookings (the gateway costs the mall money); a kiosk or a desk, signed
    in with its own token, is one address serving every citizen, and is not."""
    ctx = ctx_of(request)
    token = request.path_params["token"]
    principal = await principal_of(request) if "authorization" in request.headers else None
    staffed = principal is not None and allowed(principal, "ticket.issue", (await ctx.ticket_by_token(token)).site)
    if not staffed:
        await limit_bookings(request)
    body = await read_json(request)
    return outcome_response(await leave_contact(ctx, token, body))


async def delete_notify(request: Request) -> Response:
    """A citizen stops the messages about their ticket; holding its link is the authority."""
    return outcome_response(await remove_contact(ctx_of(request), request.path_params["token"]))


async def list_webhooks(request: Request) -> Response:
    ctx = ctx_of(request)
    site = ctx.site(request.path_params["site"])
    return JSONResponse({"endpoints": await ctx.outbox.endpoints(await principal_of(request), site)})


async def add_webhook(request: Request) -> Response:
    ctx = ctx_of(request)
    site = ctx.site(request.path_params["site"])
    principal = await principal_of(request)
    body = await read_json(request)
    ctx.served_here(site.id)
    answer = await ctx.outbox.add_endpoint(principal, site, body, ctx.now(), ctx.seq(site.id))
    return JSONResponse(answer, status_code=201)


async def remove_webhook(request: Request) -> Response:
    ctx = ctx_of(request)
    site = ctx.site(request.path_params["site"])
    principal = await principal_of(request)
    endpoint = request.path_params["endpoint"]
    return JSONResponse(await ctx.outbox.remove_endpoint(principal, site, endpoint, ctx.now(), ctx.seq(site.id)))


async def rotate_webhook(request: Request) -> Response:
    ctx = ctx_of(request)
    site = ctx.site(request.path_params["site"])
    principal = await principal_of(request)
    endpoint = request.path_params["endpoint"]
    return JSONResponse(await ctx.outbox.rotate_secret(principal, site, endpoint, ctx.now(), ctx.seq(site.id)))


async def deliveries(request: Request) -> Response:
    ctx = ctx_of(request)
    site = ctx.site(request.path_params["site"])
    return JSONResponse(await ctx.outbox.status(await principal_of(request), site, ctx.now()))


async def dead_letters(request: Request) -> Response:
    ctx = ctx_of(request)
    site = ctx.site(request.path_params["site"])
    endpoint = request.query_params.get("endpoint")
    return JSONResponse(
        await ctx.outbox.dead_letters(await principal_of(request), site, endpoint[:40] if endpoint else None)
    )


async def resend(request: Request) -> Response:
    ctx = ctx_of(request)
    site = ctx.site(request.path_params["site"])
    principal = await principal_of(request)
    body = await read_json(request)
    return JSONResponse(await ctx.outbox.resend(principal, site, body, ctx.now(), ctx.seq(site.id)))


async def send_gateway_test(request: Request) -> Response:
    """An admin checks the site's gateway: one test message to the number typed (application/gateway_test.py)."""
    ctx = ctx_of(request)
    site = ctx.site(request.path_params["site"])
    principal = await principal_of(request)
    body = await read_json(request)
    answer = await gateway_test.send(ctx, principal, site, body, before=lambda: limit_gateway_tests(request, principal))
    return JSONResponse(answer, status_code=202)


async def gateway_test_state(request: Request) -> Response:
    ctx = ctx_of(request)
    site = ctx.site(request.path_params["site"])
    principal = await principal_of(request)
    return JSONResponse(await gateway_test.state(ctx, principal, site, request.path_params["message"]))


ROUTES = [
    Route("/api/v1/tickets/{token}/notify", post_notify, methods=["POST"]),
    Route("/api/v1/tickets/{token}/notify", delete_notify, methods=["DELETE"]),
    Route("/api/v1/sites/{site}/webhooks", list_webhooks, methods=["GET"]),
    Route("/api/v1/sites/{site}/webhooks", add_webhook, methods=["POST"]),
    Route("/api/v1/sites/{site}/webhooks/{endpoint}", remove_webhook, methods=["DELETE"]),
    Route("/api/v1/sites/{site}/webhooks/{endpoint}/rotate", rotate_webhook, methods=["POST"]),
    Route("/api/v1/sites/{site}/deliveries", deliveries, methods=["GET"]),
    Route("/api/v1/sites/{site}/deliveries/dead", dead_letters, methods=["GET"]),
    Route("/api/v1/sites/{site}/deliveries/resend", resend, methods=["POST"]),
    Route("/api/v1/sites/{site}/gateway/test", send_gateway_test, methods=["POST"]),
    Route("/api/v1/sites/{site}/gateway/test/{message}", gateway_test_state, methods=["GET"]),
]
