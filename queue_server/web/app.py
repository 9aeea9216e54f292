"""The Starlette application: routes, error handlers, and start-up/shutdown through lifespan."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import html
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from queue_server.application.account_releases import ReleaseRequests
from queue_server.application.actions import status_message
from queue_server.application.announcements import Announcer, check_speakable
from queue_server.application.auth import Accounts, device_token_refusal
from queue_server.application.context import Context
from queue_server.application.heard import Heard
from queue_server.application.kiosk_settings import import_citizen_json
from queue_server.application.kiosk_view import KioskNotices
from queue_server.application.notifications import Notifications
from queue_server.application.phone_codes import CodeWatch
from queue_server.application.presence import Presence
from queue_server.application.retention import Retention
from queue_server.application.screen_watch import ScreenWatch
from queue_server.common.jsontext import JSONResponse
from queue_server.common.messages import refusal_messages
from queue_server.domain.catalogue import Site
from queue_server.domain.refusal import Refusal
from queue_server.live.hub import Hub
from queue_server.outbound.deliverer import DeliverySettings
from queue_server.outbound.uplink import Uplink
from queue_server.outbound.vault import checked_vault
from queue_server.persistence.factory import storage_for
from queue_server.persistence.port import StoragePort
from queue_server.persistence.schema import SchemaError
from queue_server.pipeline.engine import Engine, StartRefused, StorageUnavailable
from queue_server.settings import left_out, runtime
from queue_server.settings.config import CONFIG_VARIABLE, Config
from queue_server.settings.left_out import LeftOut
from queue_server.settings.sitefile import AnyVariable, parse_site, read_document
from queue_server.supervision.monitor import Monitor
from queue_server.supervision.national import National
from queue_server.web.api import ROUTES, post_ticket
from queue_server.web.demo_inbox import ROUTES as DEMO_INBOX_ROUTES
from queue_server.web.demo_inbox import with_demo_gateway
from queue_server.web.error_page import a_person_asks, error_page
from queue_server.web.errors import error_body, http_response, status_of
from queue_server.web.metrics import ROUTES as METRICS_ROUTES
from queue_server.web.pages import Assets
from queue_server.web.ratelimit import RequestLimit
from queue_server.web.requests import ServerState, bearer, server_of
from queue_server.web.websocket import WS_ROUTES

log = logging.getLogger(__name__)


def load_sites(config: Config, *, sends_messages: bool = True) -> dict[str, Site]:
    """Every configured site file, refusing a wrong one (SiteFileError names the field) or a repeated site id.
    `sends_messages` False: for a command that sends none (accounts, devices, webhooks, archive ...), the gateway's
    ${VARIABLE}s, its secrets, need not be set in the shell it runs in."""
    return load_site_files(config, sends_messages=sends_messages)[0]


def load_site_files(
    config: Config, *, sends_messages: bool = True, leave_out: list[LeftOut] | None = None
) -> tuple[dict[str, Site], dict[str, dict[str, Any]], dict[str, Path]]:
    """Every configured site file, each one's document (what a stored configuration is compared with) and path.
    `leave_out` (the server's start): a file that cannot be used is added there rather than refused, when others can
    be served (settings/left_out.py); one mall, or none usable, is refused as before (its first file's error)."""
    sites: dict[str, Site] = {}
    documents: dict[str, dict[str, Any]] = {}
    paths: dict[str, Path] = {}
    refused: list[tuple[Path, ValueError]] = []
    for path in config.site_files:
        try:
            document = read_document(path)
            site = site_of(config, document, str(path), env=None if sends_messages else AnyVariable())
            check_speakable(site)
        except ValueError as exc:  # SiteFileError, VocabularyError: the file's own problem, named
            refused.append((path, exc))
            continue
        if site.id in sites:
            raise ValueError(f"{path}: site id {site.id!r} is already used by another site file")
        sites[site.id] = site
        documents[site.id] = document
        paths[site.id] = path
    if refused and (leave_out is None or not sites):
        raise refused[0][1]
    for path, problem in refused:
        assert leave_out is not None
        leaving = left_out.from_file(path, left_out.readable(path), str(problem))
        if leaving.site in sites or any(other.site == leaving.site for other in leave_out):
            raise ValueError(f"{path}: site id {leaving.site!r} is already used by another site file")
        leave_out.append(leaving)
    return sites, documents, paths


def site_of(
    config: Config,
    document: dict[str, Any],
    source: str = "configuration",
    env: Mapping[str, str] | None = None,
    *,
    in_force: bool = False,
) -> Site:
    """A site file's document (or a configuration made on the web) as the server runs it: --ignore-hours and the
    demo's stand-in gateway apply to both alike. `in_force`: a document accepted already (settings/sitefile.py)."""
    site = parse_site(document, source, env=env, in_force=in_force)
    if config.ignore_hours:
        site = replace(site, enforce_hours=False)
    if config.demo_inbox:
        site = with_demo_gateway(site, config.host, config.port)
    return site


def command_line_engine(config: Config, storage: StoragePort) -> Engine:
    """The engine a command run with the server stopped decides on (close-day), or reads the sites through
    (accounts, devices, webhooks: Engine.configured_sites): each site's configuration in force as `serve` builds it,
    the one stored (saved on the Settings page, say) before its site file, never the site files alone. A changed site
    file is left to the server's next start. Nothing is sent from here: a gateway's ${VARIABLE}s need not be set."""
    sites, documents, paths = load_site_files(config, sends_messages=False)
    stored = partial(site_of, config, env=AnyVariable(), in_force=True)
    engine = Engine(sites, storage, Hub(sites), files=documents, parse=stored, mirrored=config.mirrored,
                    paths={site_id: str(path.resolve()) for site_id, path in paths.items()})  # fmt: skip
    engine.applies_files = False
    return engine


PAGES_ENTRY_POINTS = "queue_server.pages"
OPENAPI_ENTRY_POINTS = "queue_server.openapi"
# Scripts every page shares (the one websocket client of docs/protocol.md), served from this package.
SHARED_ASSETS = Mount("/static/shared", Assets(directory=Path(__file__).parent / "static"), name="shared-static")


def page_routes() -> list[BaseRoute]:
    """The routes of every installed page package (display, citizen, counter, supervisor ...), found through the
    `queue_server.pages` entry points of pyproject.toml. The server never imports a page package by name: the
    pages depend on the server (through `web/kit.py`), not the other way round."""
    routes: list[BaseRoute] = []
    for entry in sorted(entry_points(group=PAGES_ENTRY_POINTS), key=lambda e: e.name):
        routes.extend(entry.load())
    return routes


def page_openapi() -> dict[str, Any]:
    """The OpenAPI paths the installed page packages document (`queue_server.openapi` entry points)."""
    paths: dict[str, Any] = {}
    for entry in sorted(entry_points(group=OPENAPI_ENTRY_POINTS), key=lambda e: e.name):
        paths.update(entry.load())
    return paths


async def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Refusal)
    server_of(request.app).metrics.refused(exc.code)
    if exc.code == "site_not_served" and a_person_asks(request):  # a ticket's or a booking's link of that mall
        return _not_served_page(exc)
    if exc.key == "unauthenticated" and (bearer(request) or "").startswith("d_"):
        # a device's token refused (revoked, mistyped): said to the technician as that, never "please sign in",
        # which is for people and sends them to look for a sign-in form a kiosk does not have
        exc = device_token_refusal(bearer(request))
    return http_response(exc)


def _allow(exc: HTTPException) -> dict[str, str]:
    """A 405's headers, its Allow in one order: starlette joins a route's methods from a set, so the same path said
    "GET, HEAD" or "HEAD, GET" from one start of the server to the next."""
    headers = dict(exc.headers or {})
    if "Allow" in headers:
        headers["Allow"] = ", ".join(sorted(m.strip() for m in headers["Allow"].split(",")))
    return headers


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code in (404, 405) and a_person_asks(request):  # a wrong address typed or followed: a page
        page = error_page(request, exc.status_code)
        page.headers.update(_allow(exc))
        return page
    if exc.status_code == 404:
        return http_response(Refusal("not_found", path=request.url.path))
    if exc.status_code == 405:  # with its Allow header, as HTTP asks of a 405 (the page above has it too)
        answer = http_response(Refusal("method_not_allowed", method=request.method, path=request.url.path))
        answer.headers.update(_allow(exc))
        return answer
    refusal = Refusal("http_error", detail=str(exc.detail))
    return JSONResponse({"error": error_body(refusal)}, status_code=exc.status_code)


# The not-served page asks for its own address again every 30 seconds and reloads once it is no longer refused.
# Not a <meta refresh>: a kiosk's or a TV's address ends in #token=..., and a refresh to an address with a fragment
# is a jump within the page, never a reload; and a plain reload that fell in the seconds of the restart would leave
# the device on the browser's own error page, which asks again never.
_ASK_AGAIN = (
    "setInterval(async()=>{try{const r=await fetch(location.pathname+location.search,"
    '{headers:{Accept:"text/html"},cache:"no-store"});if(r.status!==503)location.reload()}catch(e){}},30000);'
)
_ASK_AGAIN_HASH = "sha256-" + base64.b64encode(hashlib.sha256(_ASK_AGAIN.encode()).digest()).decode()


def _not_served_page(refusal: Refusal) -> Response:
    """A mall left out at start-up, asked for in a browser (its kiosk, a TV, the sign-in of its staff): why, in both
    languages. The page asks again by itself, so a kiosk or a TV left on it comes back once the server serves the
    mall again."""
    said_id, said_en = (html.escape(text) for text in refusal_messages(refusal))
    body = (
        '<!doctype html><html lang="id"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Mal tidak dilayani saat ini · Mall not served now</title>"
        "<style>body{font:20px/1.5 system-ui,sans-serif;max-width:46em;margin:8vh auto;padding:0 24px;color:#1f2933}"
        "h1{font-size:30px;color:#8a1c1c}p[lang=en]{color:#3e4c59}</style></head><body>"
        f"<h1>Mal tidak dilayani saat ini</h1><p>{said_id}</p>"
        f'<h2 lang="en">Mall not served now</h2><p lang="en">{said_en}</p><script>{_ASK_AGAIN}</script></body></html>'
    )
    response = HTMLResponse(body, status_code=status_of(refusal))
    response.headers["Retry-After"] = "30"
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; style-src 'unsafe-inline'; script-src '{_ASK_AGAIN_HASH}'; connect-src 'self'"
    )
    return response


async def _client_gone(request: Request, exc: Exception) -> Response:
    # Closed before its body was whole: nothing was done, and nobody is left to read an answer (uvicorn drops it).
    # Not an error of ours, so not logged with a traceback as one.
    return Response(status_code=400)


async def _unexpected(request: Request, exc: Exception) -> Response:
    ctx = server_of(request.app).ctx
    if ctx is not None and ctx.storage.unavailable(exc):  # e.g. a token looked up while PostgreSQL restarts
        log.warning("database unavailable on %s %s (%s: %s)", request.method, _path_said(request), type(exc).__name__,
                    exc)  # fmt: skip
        return http_response(StorageUnavailable(f"{type(exc).__name__}: {exc}"))
    log.exception("unexpected error on %s %s", request.method, _path_said(request))
    return http_response(Refusal("internal_error"))


# A ticket's token and a booking code in an address are capabilities (docs/citizen.md, "Privacy"): kept out of the
# log, as the access log is off for them. A PostgreSQL outage logged each citizen's ticket page and booking look-up
# with its token or code ("database unavailable on GET /api/v1/bookings/BK-7Q3M2X"), enough to cancel the booking.
_CAPABILITIES = ("token", "code")


def _path_said(request: Request) -> str:
    """The request's path for the log, a token or a code in it as its parameter's name ("/t/{token}")."""
    path = request.url.path
    params = request.scope.get("path_params") or {}
    for name in _CAPABILITIES:
        value = params.get(name)
        if isinstance(value, str) and value:
            path = path.replace(value, f"{{{name}}}")
    return path


class _AnsweredHere:
    """A request's error that no other handler takes is answered here by `_unexpected`, and that is the end of it.
    Starlette gives the handler of `Exception` to its ServerErrorMiddleware, which sends the answer and then raises
    the error again for the server to log: each request that read PostgreSQL while it was away (the national view
    polled every 5 s, a citizen's ticket page) said its one line "database unavailable on GET ..." and then uvicorn's
    "Exception in ASGI application" with a whole traceback, and a bug was logged in full twice. An error once the
    answer has begun goes on as before (nothing else can be answered)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as exc:
            if started:
                raise
            response = await _unexpected(Request(scope, receive), exc)
            await response(scope, receive, send)


_ISSUING_HEAD, _ISSUING_TAIL = "/api/v1/sites/", "/tickets"


def _issuing_site(path: str) -> str | None:
    """The site of `POST /api/v1/sites/{site}/tickets`, matched as Starlette's route would match it; else None."""
    if path.startswith(_ISSUING_HEAD) and path.endswith(_ISSUING_TAIL):
        site = path[len(_ISSUING_HEAD) : -len(_ISSUING_TAIL)]
        if site and "/" not in site:
            return site
    return None


class QueueServerApp(Starlette):
    """Starlette, with ticket issuing taken straight to its endpoint.

    Every kiosk print and desk ticket is `POST /api/v1/sites/{site}/tickets`. Through Starlette it passed two
    middlewares, the router's regular expressions and two exception-handling wrappers, with closures made for
    each request: ~9 % of the event loop's time per ticket. Here the same endpoint gets the same Request and its
    errors go through the same exception handlers (`exception_handlers` of create_app); every other request goes
    through Starlette unchanged. Measured in docs/benchmarks.md.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await super().__call__(scope, receive, self._refusal_said(send))
            return
        if self.state.server.left_out and scope["type"] in ("http", "websocket"):
            refusal = self._left_out(scope)
            if refusal is not None:
                await self._refuse(refusal, scope, receive, send)
                return
        if scope["type"] == "http" and scope["method"] == "POST":
            site = _issuing_site(scope["path"])
            if site is not None:
                scope["app"] = self
                scope["path_params"] = {"site": site}
                await self._issue(scope, receive, send)
                return
        await super().__call__(scope, receive, send)

    def _left_out(self, scope: Scope) -> Refusal | None:
        """The refusal of a route naming a mall left out at start-up (`{site}` in its path), matched as the router
        would match it: every page and API route of that mall, whichever package serves it, says why it is not
        served rather than fail deeper in or look like a mistyped address. Only while some mall is left out."""
        left_out = self.state.server.left_out
        if not any(part in left_out for part in scope["path"].split("/")):  # most requests: no route to match
            return None
        for route in self.router.routes:
            match, child = route.matches(scope)
            if match is Match.FULL:
                site = child.get("path_params", {}).get("site")
                return left_out[site].refusal() if site in left_out else None
        return None

    async def _refuse(self, refusal: Refusal, scope: Scope, receive: Receive, send: Send) -> None:
        server_of(self).metrics.refused(refusal.code)
        if scope["type"] == "websocket":  # closed before it is accepted: the browser's socket reports the refusal
            await send({"type": "websocket.close", "code": 1008, "reason": refusal.code})
            return
        request = Request(scope, receive)
        response = _not_served_page(refusal) if a_person_asks(request) else http_response(refusal)
        await response(scope, receive, send)

    def _refusal_said(self, send: Send) -> Send:
        """A start-up refused for a reason a person can act on (StartRefused: a site's configuration the live day
        refuses) is said in its own words, one line of the server's log, where Starlette would give a traceback."""

        async def said(message: Message) -> None:
            refused = self.state.server.start_refused
            if message["type"] == "lifespan.startup.failed" and refused:
                message = {**message, "message": refused}
            await send(message)

        return said

    async def _issue(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            response = await post_ticket(request)
        except Exception as exc:
            response = await self._handler_for(exc)(request, exc)
        await response(scope, receive, send)

    def _handler_for(self, exc: Exception) -> Callable[[Request, Exception], Awaitable[Response]]:
        for cls in type(exc).__mro__:  # the most specific handler, as Starlette picks it
            handler = self.exception_handlers.get(cls)
            if handler is not None:
                return handler  # type: ignore[no-any-return]
        return _unexpected  # not reached: Exception has a handler


def app_from_environment() -> QueueServerApp:
    """The app of one worker of `queue-server serve --workers N`: its configuration comes in the environment."""
    return create_app(Config.from_json(os.environ[CONFIG_VARIABLE]), tune_gc=True)


def create_app(
    config: Config,
    *,
    clock: Callable[[], datetime] | None = None,
    extra_routes: list[BaseRoute] | None = None,
    tune_gc: bool = False,
) -> QueueServerApp:
    """`tune_gc` (the real server process only, not a test running servers in its own process): see runtime.py."""
    leave_out: list[LeftOut] = []  # the malls left out at start-up (settings/left_out.py): files here, days below
    sites, documents, paths = load_site_files(config, leave_out=leave_out)
    uplink_tokens = config.uplink_tokens(list(sites)) if config.uplink_url else {}
    unknown = [site for site in config.mirrored if site not in sites and all(m.site != site for m in leave_out)]
    if unknown:
        raise ValueError(f"--mirror {unknown[0]}: no site file given has that id (sites: {', '.join(sites)}); "
                         "a mirrored mall needs its site file here too")  # fmt: skip
    # A document already in force (the log, another process, a mirrored mall's box): read with the environment's
    # variables, and its running text not judged again (settings/sitefile.parse_site).
    stored = partial(site_of, config, in_force=True)

    def parse(document: dict[str, Any], env: Mapping[str, str]) -> Site:
        """A configuration made on the web: `env` holds only the gateway variables it may expand (configuration.py)."""
        return site_of(config, document, env=env)

    if config.demo_inbox:
        extra_routes = [*(extra_routes or []), *DEMO_INBOX_ROUTES]
    simulated = clock is None and config.clock_start is not None
    real_clock = clock is None and config.clock_start is None
    clock = clock or config.clock()
    # Housekeeping (closing and forgetting past days) every minute of the server's clock, however fast it runs.
    housekeeping_seconds = 60.0 / config.clock_speed if simulated else 60.0

    @contextlib.asynccontextmanager
    async def lifespan(app: QueueServerApp) -> AsyncIterator[None]:
        for leaving in leave_out:  # its site file refused: said once the log is set up, before anything else
            log.error("%s", leaving.said)
        storage = storage_for(config.database, synchronous=config.synchronous, serving=True)
        try:
            await storage.open()
        except SchemaError as exc:  # a newer database, or migrations due under other live processes: in one line
            server.start_refused = str(exc)
            raise
        hub = Hub(sites, config.ws_queue_size)
        if simulated:
            log.warning(
                "simulated clock: %s now, running %gx (not for a mall's real day)",
                clock().isoformat(),
                config.clock_speed,
            )
        notifications = Notifications(
            storage,
            await checked_vault(storage, config.notification_key),
            config.contact_retention_hours,
            DeliverySettings(
                retry_base=config.outbox_retry_seconds,
                retry_cap=config.outbox_retry_cap_seconds,
                max_attempts=config.outbox_max_attempts,
                breaker_seconds=config.outbox_breaker_seconds,
                timeout=config.outbox_timeout_seconds,
                loopback_targets=config.allow_loopback_targets,
            ),
        )
        engine = Engine(
            sites, storage, hub, clock, housekeeping_seconds=housekeeping_seconds, effects=notifications.policy,
            sent_to_outbox=notifications.wake, files=documents, parse=stored, mirrored=config.mirrored,
            paths={site_id: str(path.resolve()) for site_id, path in paths.items()},
        )  # fmt: skip
        engine.max_event_gap = timedelta(hours=config.clock_jump_hours) if config.clock_jump_hours > 0 else None
        engine.watch_clock = real_clock  # a simulated or a test's clock runs apart from the machine's on purpose
        accounts = Accounts(storage, sites, config.session_hours, config.login_window_seconds, clock)
        announcer = Announcer(sites, config.sound_cache or config.data_directory / "sound-cache")
        monitor: Monitor | None = None
        heard: Heard | None = None
        presence: Presence | None = None
        screens: ScreenWatch | None = None
        codes: CodeWatch | None = None
        releases: ReleaseRequests | None = None
        retention: Retention | None = None
        uplink: Uplink | None = None
        try:
            try:
                await engine.start()  # first: the sites as last configured (perhaps on the web) replace the files'
            except StartRefused as exc:
                server.start_refused = str(exc)
                raise
            for leaving in engine.left_out:  # said as a refused start says it
                log.error("%s", leaving.said)
                server.left_out[leaving.site] = leaving
            accounts.left_out = server.left_out
            await announcer.prepare()
            engine.reconfigured.append(announcer.refresh)
            await import_citizen_json(storage, config.database, clock())  # an earlier release's settings file, once
            server.ctx = ctx = Context(
                sites, engine, storage, hub, accounts, announcer=announcer, nik_key=await storage.secret("nik"),
                notifications=notifications, left_out=server.left_out,
            )  # fmt: skip
            for limit in server.limits():  # on PostgreSQL every process counts the same requests
                limit.share(storage, clock)
            await notifications.start(ctx)
            accounts.start()
            hub.status_renderer = partial(status_message, ctx)
            hub.kiosk_renderer = KioskNotices(ctx).render
            hub.people = accounts.names  # staff frames name people by the one rule (auth.person_name)
            server.metrics.attach(ctx)
            engine.observers.append(server.metrics.committed)
            monitor = server.monitor = Monitor(ctx, config.dashboard_seconds)
            monitor.start()
            heard = server.heard = Heard(ctx)
            heard.start()
            presence = Presence(ctx)
            presence.start()
            screens = ScreenWatch(ctx, config.screen_watch_seconds)
            screens.elsewhere = presence.elsewhere
            screens.start()
            monitor.screens = screens
            codes = monitor.codes = CodeWatch(ctx)
            codes.start()
            releases = ReleaseRequests(ctx)  # the command line's `user disable`: its counters closed here
            releases.start()
            for site_id in sorted(set(sites) - set(uplink_tokens) if config.uplink_url else ()):
                log.warning("site %s: QUEUE_UPLINK_TOKEN has no token for it; its log is not sent up", site_id)
            sending = {site_id: token for site_id, token in uplink_tokens.items() if site_id in sites}
            if config.uplink_url and sending:
                uplink = ctx.uplink = Uplink(storage, sending, config.uplink_url, clock, ctx.devices.screens_shown)
                engine.observers.append(uplink.wake)
                uplink.start()
            retention = Retention(storage, list(sites), config.retention_days, config.archives, clock,
                                  zone_of=lambda s: ctx.sites[s].tz if s in ctx.sites else UTC)  # fmt: skip
            retention.kept_after = uplink.acknowledged if uplink is not None else None
            retention.start()
            server.national = National(ctx, monitor, presence=presence)
            if config.demo:
                from queue_server.application.demo import seed_demo

                await seed_demo(accounts, sites)
            if tune_gc:
                runtime.tune_gc()
            yield
        finally:
            if heard is not None:
                await heard.stop()
            if monitor is not None:
                await monitor.stop()
            if presence is not None:
                await presence.stop()
            if screens is not None:
                await screens.stop()
            if codes is not None:
                await codes.stop()
            if releases is not None:
                await releases.stop()
            if retention is not None:
                await retention.stop()
            if uplink is not None:
                await uplink.stop()
            await notifications.stop()
            await accounts.stop()
            await engine.stop()
            await storage.close()
            announcer.close()

    app = QueueServerApp(
        routes=[*ROUTES, *METRICS_ROUTES, *WS_ROUTES, SHARED_ASSETS, *page_routes(), *(extra_routes or [])],
        lifespan=lifespan,
        exception_handlers={
            Refusal: _refused,  # StorageUnavailable included
            HTTPException: _http_error,
            ClientDisconnect: _client_gone,
            Exception: _unexpected,  # the last resort, outside _AnsweredHere
        },
        middleware=[Middleware(_AnsweredHere)],
    )
    bookings = RequestLimit("bookings", config.bookings_per_minute)
    server = app.state.server = ServerState(config, sites, bookings, page_openapi=page_openapi(), parse_site=parse)
    server.left_out = {leaving.site: leaving for leaving in leave_out}  # known before start-up, as `sites` is
    return app
