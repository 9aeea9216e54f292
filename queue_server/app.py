"""The Starlette application: routes, error handlers, and start-up/shutdown through lifespan."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import datetime
from functools import partial
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from . import runtime, wire
from .actions import Context, status_message
from .announcements import Announcer, check_speakable
from .api import ROUTES
from .auth import Accounts, AuthError
from .config import Config
from .domain.catalogue import Site
from .domain.model import DomainError
from .engine import Engine, StorageUnavailable, utc_now
from .errors import ApiError
from .hub import Hub
from .jsontext import JSONResponse
from .monitor import Monitor
from .ratelimit import RateLimit
from .sitefile import load_site
from .storage import Storage
from .ws import WS_ROUTES

log = logging.getLogger(__name__)


def load_sites(config: Config) -> dict[str, Site]:
    """Every configured site file, refusing a wrong one (SiteFileError names the field) or a repeated site id."""
    sites: dict[str, Site] = {}
    for path in config.site_files:
        site = load_site(path)
        if site.id in sites:
            raise ValueError(f"{path}: site id {site.id!r} is already used by another site file")
        if config.ignore_hours:
            site = replace(site, enforce_hours=False)
        check_speakable(site)
        sites[site.id] = site
    return sites


def _error(
    status: int, code: str, message_id: str, message_en: str, details: dict[str, object] | None = None
) -> JSONResponse:
    return JSONResponse({"error": wire.error_body(code, message_id, message_en, **(details or {}))}, status_code=status)


async def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    return _error(exc.status, exc.code, exc.message_id, exc.message_en, exc.details)


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return _error(exc.status, exc.code, exc.message_id, exc.message_en, exc.details)


async def _auth_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AuthError)
    response = _error(exc.status, exc.code, exc.message_id, exc.message_en)
    if exc.status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


async def _storage_error(request: Request, exc: Exception) -> Response:
    return _error(
        503,
        "storage_unavailable",
        "Penyimpanan sedang bermasalah; tidak ada yang berubah. Coba lagi.",
        "Storage is unavailable; nothing changed. Retry with the same Idempotency-Key or command_id.",
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return _error(404, "not_found", "Alamat tidak ditemukan.", f"No such path: {request.url.path}")
    if exc.status_code == 405:
        return _error(
            405,
            "method_not_allowed",
            "Metode tidak diizinkan untuk alamat ini.",
            f"{request.method} is not allowed on {request.url.path}",
        )
    return _error(exc.status_code, "http_error", str(exc.detail), str(exc.detail))


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return _error(500, "internal_error", "Terjadi kesalahan di server.", "Internal server error.")


def create_app(
    config: Config,
    *,
    clock: Callable[[], datetime] = utc_now,
    extra_routes: list[BaseRoute] | None = None,
    tune_gc: bool = False,
) -> Starlette:
    """`tune_gc` (the real server process only, not a test running servers in its own process): see runtime.py."""
    sites = load_sites(config)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        storage = Storage(config.database, synchronous=config.synchronous)
        await storage.open()
        hub = Hub(sites, config.ws_queue_size)
        engine = Engine(sites, storage, hub, clock)
        accounts = Accounts(storage, sites, config.session_hours)
        announcer = Announcer(sites, config.sound_cache or Path(config.database).parent / "sound-cache")
        monitor: Monitor | None = None
        try:
            await announcer.prepare()
            await engine.start()
            app.state.ctx = Context(sites, engine, accounts, announcer=announcer, nik_key=await storage.secret("nik"))
            hub.status_renderer = partial(status_message, app.state.ctx)
            monitor = app.state.monitor = Monitor(app.state.ctx, config.dashboard_seconds)
            monitor.start()
            if config.demo:
                from .demo import seed_demo

                await seed_demo(accounts, sites)
            if tune_gc:
                runtime.tune_gc()
            yield
        finally:
            if monitor is not None:
                await monitor.stop()
            await engine.stop()
            await storage.close()
            announcer.close()

    from citizen.web import ROUTES as CITIZEN_PAGES
    from counter_client.web import ROUTES as COUNTER_PAGES
    from display.web import ROUTES as DISPLAY_PAGES
    from supervisor.web import ROUTES as SUPERVISOR_PAGES

    app = Starlette(
        routes=[*ROUTES, *WS_ROUTES, *DISPLAY_PAGES, *COUNTER_PAGES, *CITIZEN_PAGES, *SUPERVISOR_PAGES]
        + [*(extra_routes or [])],
        lifespan=lifespan,
        exception_handlers={
            DomainError: _domain_error,
            ApiError: _api_error,
            AuthError: _auth_error,
            StorageUnavailable: _storage_error,
            HTTPException: _http_error,
            Exception: _unexpected,
        },
    )
    app.state.config = config
    app.state.booking_limit = RateLimit(config.bookings_per_minute, 60)
    app.state.sites = sites
    return app
