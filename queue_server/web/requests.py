"""What every HTTP handler needs from a request: the server's context, the caller, and a JSON body read strictly.
Shared by the API routes, the supervisor's routes and the page packages (through `web.kit`)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import ClientDisconnect, Request

from queue_server.application import validation as v
from queue_server.application.auth import Principal
from queue_server.application.configuration import Parse
from queue_server.application.context import Context
from queue_server.application.heard import Heard
from queue_server.common import jsontext
from queue_server.common.jsontext import JSONResponse
from queue_server.domain.catalogue import Site
from queue_server.domain.refusal import Refusal
from queue_server.pipeline.engine import Outcome
from queue_server.settings.config import Config
from queue_server.settings.left_out import LeftOut
from queue_server.supervision.monitor import Monitor
from queue_server.supervision.national import National
from queue_server.web.metrics import Metrics
from queue_server.web.ratelimit import RequestLimit

CODE_LOOKUPS_PER_MINUTE = 30
PAIRING_CODES_PER_MINUTE = 10
PAIRING_TRIES_PER_MINUTE = 10
GATEWAY_TESTS_PER_MINUTE = 3  # test messages an admin sends through the gateway (application/gateway_test.py)


@dataclass
class ServerState:
    """What the application keeps between requests, in one typed object (`app.state.server`) instead of loose
    string keys. `ctx`, `monitor` and `national` exist from start-up (lifespan) on."""

    config: Config
    sites: dict[str, Site]
    booking_limit: RequestLimit  # bookings, and messages asked from a phone, per address
    page_openapi: dict[str, Any]
    parse_site: Parse  # a configuration document from the web into a Site, as the site files were
    # A booking code (30 bits) is enough to see and cancel a booking: lookups and cancels by code, per address.
    code_lookups: RequestLimit = field(default_factory=lambda: RequestLimit("booking_codes", CODE_LOOKUPS_PER_MINUTE))
    check_ins: RequestLimit = field(default_factory=lambda: RequestLimit("check_ins", CODE_LOOKUPS_PER_MINUTE))
    # Pairing codes (application/device_pairing.py): asked for by device pages, per address (a page asks one every
    # 10 minutes, and at each reload), and typed on the Settings page, per account (a guesser with an account).
    pairing_codes: RequestLimit = field(default_factory=lambda: RequestLimit("pairing_codes", PAIRING_CODES_PER_MINUTE))
    pairing_tries: RequestLimit = field(default_factory=lambda: RequestLimit("pairing_tries", PAIRING_TRIES_PER_MINUTE))
    # Test messages through the site's gateway, per account (each costs the mall a message).
    gateway_tests: RequestLimit = field(default_factory=lambda: RequestLimit("gateway_tests", GATEWAY_TESTS_PER_MINUTE))
    ctx: Context | None = None
    metrics: Metrics = field(default_factory=Metrics)
    monitor: Monitor | None = None
    national: National | None = None
    start_refused: str | None = (
        None  # why start-up was refused (pipeline/engine.StartRefused), said without a traceback
    )
    heard: Heard | None = None  # each counter's called ticket: said yet by a speaker screen?
    # The malls left out at start-up, by id (settings/left_out.py): their routes answer 503 site_not_served.
    left_out: dict[str, LeftOut] = field(default_factory=dict)

    def limits(self) -> tuple[RequestLimit, ...]:
        return (self.booking_limit, self.code_lookups, self.check_ins, self.pairing_codes, self.pairing_tries,
                self.gateway_tests)  # fmt: skip


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def limit_code_lookups(request: Request) -> None:
    """Refuses (429) an address that tries more booking codes than a citizen ever would: guessing codes at the
    server's speed would otherwise find live bookings within minutes. Counted across processes (ratelimit.py)."""
    if not await server_of(request.app).code_lookups.allow(client_address(request)):
        raise _too_many()


async def limit_bookings(request: Request) -> None:
    """Refuses (429) an address that books, or asks for messages from a phone, more than `bookings_per_minute`."""
    if not await server_of(request.app).booking_limit.allow(client_address(request)):
        raise _too_many()


async def limit_check_ins(request: Request, principal: Principal | None) -> None:
    """Refuses (429) a kiosk or staff account that tries more booking codes at check-in than a kiosk's line of
    citizens ever could, as `limit_code_lookups` does for an address: a kiosk token (on a public screen) would
    otherwise guess codes at the server's speed. Unauthenticated calls are refused (401) before any code is read."""
    if principal is not None and not await server_of(request.app).check_ins.allow(f"{principal.kind}:{principal.id}"):
        raise _too_many()


async def limit_pairing_codes(request: Request) -> None:
    """Refuses (429) an address that asks for more pairing codes than a few device pages behind it ever would."""
    if not await server_of(request.app).pairing_codes.allow(client_address(request)):
        raise _too_many()


async def limit_pairing_tries(request: Request, principal: Principal | None) -> None:
    """Refuses (429) an account that types more pairing codes than a person pairing devices one by one could."""
    limit = server_of(request.app).pairing_tries
    if principal is not None and not await limit.allow(f"{principal.kind}:{principal.id}"):
        raise _too_many()


async def limit_gateway_tests(request: Request, principal: Principal | None) -> None:
    """Refuses (429) an account that sends more test messages through the gateway than one person checking it
    would."""
    limit = server_of(request.app).gateway_tests
    if principal is not None and not await limit.allow(f"{principal.kind}:{principal.id}"):
        raise Refusal("too_many_requests.gateway_test_account", limit=limit.limit,
                      details={"retry_after": 60, "limit": "account"})  # fmt: skip


def _too_many() -> Refusal:
    """A limit per minute: a minute from now the client is within it again whatever it sent (`Retry-After`)."""
    return Refusal("too_many_requests", details={"retry_after": 60})


def server_of(app: Any) -> ServerState:
    state: ServerState = app.state.server
    return state


def ctx_of(request: Request) -> Context:
    ctx = server_of(request.app).ctx
    assert ctx is not None, "requests are served only after start-up"
    return ctx


def config_of(request: Request) -> Config:
    return server_of(request.app).config


def sites_of(request: Request) -> dict[str, Site]:
    """The hosted sites, known before start-up (a page may render while the server starts)."""
    return server_of(request.app).sites


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def principal_of(request: Request) -> Principal | None:
    return await ctx_of(request).accounts.authenticate(bearer(request))


async def read_json(request: Request, limit: int | None = None) -> dict[str, Any]:
    """The body as a JSON object, refusing wrong content types, oversize bodies and malformed JSON. `limit`: a
    route's own size limit (authorised before reading), else the server's."""
    limit = limit or config_of(request).max_body_bytes
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise Refusal("unsupported_media_type")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    raw = await _read_body(request, limit)
    if not raw.strip():
        return {}
    try:
        value = jsontext.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Refusal("malformed_json", exc=exc) from None
    return v.require_object(value)


async def _read_body(request: Request, limit: int) -> bytes:
    """The whole body, refused once past `limit` bytes. The ASGI messages are read directly, not through the async
    generator behind Request.stream() (with orjson parsing, -3.6 % of the app's instructions per issued ticket).
    read_json is the only reader of a request's body."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _too_large(limit: int) -> Refusal:
    return Refusal("body_too_large", limit=limit)


def outcome_response(outcome: Outcome) -> JSONResponse:
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else None
    return JSONResponse(outcome.body, status_code=outcome.status, headers=headers)
