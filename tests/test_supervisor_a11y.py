"""The staff pages for people who use a keyboard, a screen reader, a zoomed page or forced colours, in Debian's
Chromium against a real server (an outside accessibility review of the dashboard, Settings, messages out, reports
and the front page): the focus stays on a control while the page redraws around it, the alerts are said once and
shown whole with their kind in words, a zoomed dashboard scrolls, a refusal marks the field it is about, a printed
report keeps its lines apart."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page

from .display_support import until
from .helpers import Server, running_server
from .test_supervisor_pages import signed_in


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Server]:
    async with running_server(tmp_path / "queue.sqlite3", ignore_hours=True, dashboard_seconds=0.3) as s:
        yield s


@asynccontextmanager
async def opened(
    browser: Browser, server: Server, path: str, user: str = "supervisor", **options: Any
) -> AsyncIterator[Page]:
    """A page signed in, in a browser context of its own (a size, a zoom, forced colours)."""
    options = {"viewport": {"width": 1366, "height": 768}, "locale": "id-ID", **options}
    context = await browser.new_context(**options)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        await page.goto(server.url + path)
        await page.fill("input[name=username]", user)
        password = {"supervisor": "demo-supervisor", "admin": "demo-admin", "nasional": "demo-regional"}[user]
        await page.fill("input[name=password]", password)
        await page.click("#login-form button[type=submit]")
        await until(page, "() => document.getElementById('login').hidden")
        yield page
        assert not errors, errors
    finally:
        await context.close()


FOCUSED = """() => { const e = document.activeElement;
  return e.getAttribute('aria-label') || e.getAttribute('role') || e.tagName; }"""


def waiting_is(n: int) -> str:
    return f"() => document.getElementById('kpi-waiting').textContent === '{n}'"


# --- the front page; every page: its bar, its focus ring -------------------------------------------------------------


async def test_the_bar_wraps_at_200_percent_zoom(browser: Browser, server: Server) -> None:
    """The review: the bar's tools did not wrap above 600 px, so at 200 % zoom of a 1366 px screen (683 px, less a
    scrollbar) the English dashboard scrolled sideways and "Sign out" was cut off."""
    async with signed_in(browser, server, "/supervisor/tegal", "supervisor", (683, 384)) as page:
        await until(page, "() => !document.getElementById('logout').hidden")
        for lang in ("id", "en"):
            if lang == "en":
                await page.click("#lang")
                await until(page, "() => document.documentElement.lang === 'en'")
            for width in (620, 660, 668, 683):
                await page.set_viewport_size({"width": width, "height": 384})
                edge, sideways = await page.evaluate("""() => [document.getElementById('logout')
                    .getBoundingClientRect().right, document.documentElement.scrollWidth - innerWidth]""")
                assert edge <= width and sideways <= 0, (lang, width, edge, sideways)


async def test_the_focus_ring_is_two_toned(browser: Browser, server: Server) -> None:
    """The review: the yellow ring alone was 1.8:1 on white. A dark ring next to the control, the yellow around it."""
    async with signed_in(browser, server, "/supervisor/tegal/reports") as page:
        await until(page, "() => document.getElementById('report').getAttribute('aria-busy') === 'false'")
        await page.focus("#print")
        await page.keyboard.press("Shift+Tab")
        await page.keyboard.press("Tab")
        ring = await page.evaluate("""() => { const s = getComputedStyle(document.activeElement);
            return [document.activeElement.id, s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow]; }""")
        assert ring[:4] == ["print", "solid", "2px", "rgb(31, 41, 51)"] and "rgb(255, 179, 0)" in ring[4], ring
