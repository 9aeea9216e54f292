"""Shared test helpers: a real uvicorn server on a loopback port, a clock the test moves, and clients. (The browser
helpers are in tests/display_support.py, which imports Playwright.)"""

from __future__ import annotations

import asyncio
import inspect
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from queue_server.application.demo import DEMO_PASSWORD, demo_display_token, demo_kiosk_token
from queue_server.cli import build_uvicorn_config
from queue_server.settings.config import Config
from queue_server.settings.sitefile import DEMO_SITE
from queue_server.web.app import create_app
from queue_server.web.requests import server_of

from .pg_support import files_of

KIOSK = demo_kiosk_token("tegal")
LOBBY = demo_display_token("tegal", "lobby")


@dataclass
class Clock:
    """Time the test controls; defaults to a Monday 09:00 WIB, inside the demo mall's opening hours."""

    now: datetime = field(default_factory=lambda: datetime(2026, 11, 23, 2, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@dataclass
class Server:
    url: str
    ws_url: str
    config: Config
    clock: Clock
    app: Any
    http: httpx.AsyncClient

    @property
    def ctx(self) -> Any:
        ctx = server_of(self.app).ctx
        assert ctx is not None
        return ctx

    async def login(self, username: str, password: str | None = None) -> dict[str, str]:
        if password is None:
            roles = {"admin": "admin", "supervisor": "supervisor", "nasional": "regional"}
            role = roles.get(username, "operator")
            password = DEMO_PASSWORD[role]
        r = await self.http.post("/api/v1/auth/login", json={"username": username, "password": password})
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['token']}"}

    async def issue(self, service: str = "ktp", **body: Any) -> dict[str, Any]:
        r = await self.http.post(
            "/api/v1/sites/tegal/tickets", json={"service": service, **body}, headers=bearer(KIOSK)
        )
        assert r.status_code == 201, r.text
        return r.json()  # type: ignore[no-any-return]

    async def command(self, headers: dict[str, str], counter: str, command: str, **body: Any) -> httpx.Response:
        return await self.http.post(
            f"/api/v1/sites/tegal/counters/{counter}/commands",
            json={"command": command, "command_id": uuid.uuid4().hex, **body},
            headers=headers,
        )


@asynccontextmanager
async def ticking(clock: Clock) -> AsyncIterator[None]:
    """The test's clock runs with the machine's (retries fall due on the server's clock)."""

    async def tick() -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.05)
            now = time.monotonic()
            clock.advance(seconds=now - last)
            last = now

    task = asyncio.create_task(tick())
    try:
        yield
    finally:
        task.cancel()


async def eventually(
    check: Callable[[], object], what: str | Callable[[], str], seconds: float = 20.0, every: float = 0.01
) -> None:
    """Waits until `check()` (or, for a coroutine function, its awaited result) is truthy. The bound is generous on
    purpose: these machines are shared and slow at times, and a test asserts on what happened, not on how fast.
    `what` may be a function, asked at the failure: what was awaited, with what was seen instead."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not within {seconds:g} s: {what if isinstance(what, str) else what()}")
        await asyncio.sleep(every)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def free_socket() -> socket.socket:
    """A listening socket on an ephemeral loopback port (test_ws swaps this one for one with small buffers)."""
    return _socket_on(0)


def _socket_on(port: int) -> socket.socket:
    # IPPROTO_TCP explicitly: with protocol 0 asyncio does not set TCP_NODELAY on accepted sockets (Nagle adds
    # ~40 ms to each small request).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    return sock


@asynccontextmanager
async def running_server(
    database: Path | str,
    *,
    port: int = 0,
    clock: Clock | None = None,
    site_files: list[Path] | None = None,
    ws_protocol: str | None = None,
    **settings: Any,
) -> AsyncIterator[Server]:
    """A real uvicorn server in this event loop, listening on a loopback port: `port`, or any free one when 0 (a test
    can stop a server and start another where its clients expect it). `ws_protocol` names another uvicorn websocket
    implementation than the server's own (e.g. "websockets-sansio"). Printers and webhook receivers may be on this
    machine (`allow_loopback_targets`, off for a mall): the tests' fake ones listen on 127.0.0.1; a test of the
    refusal passes `allow_loopback_targets=False`."""
    sys.audit("tests.live", "running_server")
    settings.setdefault(
        "allow_loopback_targets", True
    )  # a test that starts one must be marked live (tests/conftest.py)
    clock = clock or Clock()
    for setting, path in files_of(database).items():  # on PostgreSQL: not var/ of the checkout
        settings.setdefault(setting, path)
    if port:  # known before the app is made: the demo inbox's gateway address names it (web/demo_inbox.py)
        settings.setdefault("port", port)
    config = Config(database=database, site_files=site_files or [DEMO_SITE], demo=True, **settings)
    config.log_level = "warning"
    app = create_app(config, clock=clock)
    sock = _socket_on(port) if port else free_socket()
    config.port = sock.getsockname()[1]
    server = uvicorn.Server(build_uvicorn_config(app, config, ws=ws_protocol))
    task = asyncio.create_task(_serving(server, sock, app))
    try:
        await _started(server, task)
        url = f"http://127.0.0.1:{config.port}"
        async with httpx.AsyncClient(base_url=url, timeout=10) as http:
            yield Server(url, f"ws://127.0.0.1:{config.port}/ws", config, clock, app, http)
    finally:
        server.should_exit = True
        try:
            await task
        finally:
            sock.close()


class StartFailed(Exception):
    """The server stopped during its start-up, as uvicorn does (sys.exit): with what it said, `error: ...`, when
    it refused to start for a reason a person can act on (pipeline/engine.StartRefused)."""


async def _serving(server: uvicorn.Server, sock: socket.socket, app: Any) -> None:
    try:
        await server.serve(sockets=[sock])
    except SystemExit as exc:  # out of the task, it would stop the test's event loop itself
        raise StartFailed(server_of(app).start_refused or f"exit status {exc.code}") from None


async def _started(server: uvicorn.Server, task: asyncio.Task[None]) -> None:
    # Start-up renders any missing spoken words first; the limit is generous for a busy machine, and a server
    # that fails to start says so at once.
    deadline = asyncio.get_running_loop().time() + 60
    while not server.started:
        if task.done():
            task.result()
            raise AssertionError("server stopped during start-up")
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("server did not start within 60 s")
        await asyncio.sleep(0.01)


@contextmanager
def tmpfs(folder: Path, size: str) -> Iterator[Path]:
    """A real file system of `size` (tmpfs: "2m") mounted on the new folder `folder`, to fill or remount read-only;
    unmounted after. Mounting one needs root: elsewhere the test is skipped."""
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],  # noqa: S607
                             capture_output=True, text=True, check=False)  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)  # noqa: S607
