"""Shared helpers for the citizen page tests (no tests here): pages opened in Debian Chromium on a real server,
stubs that record what a page asked of the printer, the speaker and the vibration motor, and screenshots kept for
people to look at (set CITIZEN_SHOTS=/some/dir)."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, Page, WebSocketRoute

from citizen.common import CitizenSettings

from .display_support import WAIT_MS, bounded, chromium, until
from .helpers import KIOSK, Server

__all__ = ["WAIT_MS", "bounded", "chromium", "until", "open_page", "kiosk_page", "shot", "RECORDERS", "fast",
           "wifi_site"]  # fmt: skip

# Records window.print(), navigator.vibrate() and audio playback instead of doing them (headless has no printer,
# no motor and no speaker), in every frame of the page.
RECORDERS = """
window.__printed = 0;
window.print = () => { window.__printed += 1; if (window.top !== window) window.top.__printed = (window.top.__printed || 0) + 1; };
window.__vibrations = [];
navigator.vibrate = (pattern) => { window.__vibrations.push(pattern); return true; };
window.__played = [];
HTMLMediaElement.prototype.play = function () { window.__played.push(this.src); return Promise.resolve(); };
"""


def fast(server: Server, **changes: Any) -> None:
    """Shorter timings for a test (kiosk idle, ticket screen, the phone's refresh)."""
    base = {"idle_seconds": 60, "ticket_seconds": 30, "status_refresh_seconds": 1, "print_timeout_seconds": 2.0}
    server.app.state.citizen_settings = CitizenSettings(**{**base, **changes})


@asynccontextmanager
async def open_page(
    browser: Browser,
    url: str,
    *,
    size: tuple[int, int] = (1080, 1920),
    mobile: bool = False,
    touch: bool = False,
    errors_ok: bool = False,
    socket: bool = True,
) -> AsyncIterator[Page]:
    """`socket` False: every websocket the page opens is closed at once (a network that lets only plain HTTP through),
    for what a page does when its push is down."""
    context = await browser.new_context(
        viewport={"width": size[0], "height": size[1]}, is_mobile=mobile, has_touch=mobile or touch, locale="id-ID"
    )
    try:
        if not socket:
            await context.route_web_socket("**/ws", _sever)
        await context.add_init_script(RECORDERS)
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        # the pages ask in their own dialog (dialog.js): a browser's confirm or alert box is a failure
        browser_boxes: list[str] = []
        page.on("dialog", lambda box: (browser_boxes.append(box.message), asyncio.ensure_future(box.dismiss())))
        await page.goto(url)
        yield page
        assert errors_ok or not errors, f"errors on the page: {errors}"
        assert not browser_boxes, f"the browser's own dialogs: {browser_boxes}"
    finally:
        await context.close()


@asynccontextmanager
async def kiosk_page(
    browser: Browser,
    server: Server,
    *,
    token: str = KIOSK,
    size: tuple[int, int] = (1920, 1080),
    ready: bool = True,
    touch: bool = False,
    socket: bool = True,
    site: str = "tegal",
) -> AsyncIterator[Page]:
    url = f"{server.url}/kiosk/{site}#token={token}"
    async with open_page(browser, url, size=size, touch=touch, socket=socket) as page:
        if ready:
            await until(page, "() => document.body.dataset.ready === 'true'")
        yield page


async def _sever(ws: WebSocketRoute) -> None:
    await ws.close(code=1011, reason="severed by the test")


async def screen(page: Page) -> str:
    return await page.evaluate("() => window.__kiosk.screen")  # type: ignore[no-any-return]


async def text(page: Page, selector: str) -> str:
    return " ".join((await page.text_content(selector) or "").split())


def shot(path: Path) -> Path:
    """Keeps a copy of a screenshot or PDF where a person can look at it, if CITIZEN_SHOTS says where."""
    target = os.environ.get("CITIZEN_SHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(target) / path.name)
    return path


def wifi_site(directory: Path, name: str = "MPP-Keliling", password: str | None = "antrean123") -> Path:  # noqa: S107
    """The demo mall as a mobile unit would run it: its own box on its own Wi-Fi, named in the site file."""
    from queue_server.settings.sitefile import DEMO_SITE

    lines = f'wifi = "{name}"\n' + (f'wifi_password = "{password}"\n' if password else "")
    path = directory / "tegal_wifi.toml"
    path.write_text(DEMO_SITE.read_text().replace("timezone = ", lines + "timezone = ", 1))
    return path
