"""The counter page's sign-out holds when the server cannot be reached (a shared PC at a counter), in Debian's
Chromium against a real server: the session is revoked as soon as the server answers again, on that page or at the
next load of any counter page of the browser, and the sign-in screen says so meanwhile; "Keluar?" asked before the
link dropped still signs out. And the waiting counts are said to a screen reader when they change, once settled."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, Route, expect

from .display_support import CHROMIUM, WAIT_MS, chromium, read_out, until
from .helpers import Server
from .test_counter_client import CuttableProxy
from .test_counter_web import connected, operator_page, sign_in

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")

NOT_RECORDED = "Keluar belum tercatat di server; akan dicatat begitu tersambung kembali."
# counter.js tries again after 2, 4, 8, 15 and 30 s: room for the backoff and a slow, shared machine
REVOKED_MS = 90_000


async def token_of(page: Page) -> str:
    token = await page.evaluate("() => sessionStorage.getItem('counter-token:tegal')")
    assert token, "signed in"
    return str(token)


async def session_status(server: Server, token: str) -> int:
    """What the server answers the token now, asked directly (not through the page's broken link)."""
    return (await server.http.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})).status_code


async def test_keluar_asked_before_the_link_dropped_signs_out_and_the_server_records_it_once_back(
    server: Server,
) -> None:
    port = int(server.url.rsplit(":", 1)[1])
    async with CuttableProxy(port) as proxy, chromium() as browser:
        async with operator_page(browser, f"{proxy.url}/counter/tegal/1") as page:
            await sign_in(page)
            await connected(page)
            await page.click("#btn-pause")  # opens the counter: signing out is asked first
            await expect(page.locator("#counter-state")).to_have_text("BUKA")
            token = await token_of(page)
            await page.click("#signout")
            question = page.locator("#question-dialog")
            await expect(question).to_contain_text("Loket ini masih buka. Keluar tanpa menutup loket?")
            proxy.refuse = True
            await proxy.cut()  # the link drops while "Keluar?" is open: it stays asked, and "yes" still signs out
            await expect(page.locator("#connection")).not_to_have_attribute("data-state", "connected", timeout=WAIT_MS)
            await expect(question).to_be_visible()
            await page.click("#question-yes")
            await expect(page.locator("#signin")).to_be_visible()
            await expect(page.locator("#signout-pending")).to_have_text(NOT_RECORDED, timeout=WAIT_MS)
            assert await session_status(server, token) == 200, "the server never heard of it"
            stored = await page.evaluate("() => localStorage.getItem('counter-revoke')")
            assert stored == f'["{token}"]', "the token alone is kept to revoke"
            await page.click("[data-lang=en]")
            await expect(page.locator("#signout-pending")).to_have_text(
                "Signing out is not recorded on the server yet; it will be as soon as the connection is back."
            )
            await page.click("[data-lang=id]")
            proxy.refuse = False  # the server answers again: revoked, and the note goes
            await expect(page.locator("#signout-pending")).to_have_text("", timeout=REVOKED_MS)
            assert await session_status(server, token) == 401
            assert await page.evaluate("() => localStorage.getItem('counter-revoke')") is None


async def test_a_sign_out_the_page_could_not_send_is_recorded_at_the_next_load_of_any_counter_page(
    server: Server, browser: Browser
) -> None:
    context = await browser.new_context(viewport={"width": 1366, "height": 768})
    try:
        page = await context.new_page()

        async def unreachable(route: Route) -> None:
            await route.abort("internetdisconnected")

        await page.route("**/api/v1/auth/logout", unreachable)
        await page.goto(f"{server.url}/counter/tegal/1")
        await sign_in(page)
        await connected(page)
        token = await token_of(page)
        await page.click("#signout")  # the counter is closed: nothing is asked
        await expect(page.locator("#signout-pending")).to_have_text(NOT_RECORDED, timeout=WAIT_MS)
        assert await session_status(server, token) == 200
        await page.close()  # the browser stays, as on the shared PC; the next counter page revokes it
        later = await context.new_page()
        await later.goto(f"{server.url}/counter/tegal/2")
        await until(later, "() => localStorage.getItem('counter-revoke') === null", timeout_ms=REVOKED_MS)
        assert await session_status(server, token) == 401
        await expect(later.locator("#signout-pending")).to_have_text("")
        # a sign-out the server answers is recorded at once, and no note is shown
        await sign_in(later)
        await connected(later)
        second = await token_of(later)
        await later.click("#signout")
        await expect(later.locator("#signin")).to_be_visible()
        await until(later, "() => localStorage.getItem('counter-revoke') === null")
        assert await session_status(server, second) == 401
        assert await later.text_content("#signout-pending") == ""
    finally:
        await context.close()


async def test_the_waiting_counts_are_said_politely_once_settled_not_at_every_refresh(
    server: Server, browser: Browser
) -> None:
    async with operator_page(browser, f"{server.url}/counter/tegal/1") as page:
        await sign_in(page)
        await connected(page)
        news = page.locator("#waiting-news")
        assert await news.get_attribute("role") == "status" and await news.get_attribute("aria-live") == "polite"
        # every change of its words, as a screen reader would hear them
        await page.evaluate(
            """() => { window.said = []; new MutationObserver(() => window.said.push(
                document.getElementById('waiting-news').textContent)).observe(
                document.getElementById('waiting-news'), { childList: true, characterData: true, subtree: true }); }"""
        )
        await page.evaluate("() => { document.querySelector('#waiting li').dataset.kept = 'yes'; }")
        for _ in range(3):
            await server.issue("ktp")
        said = "() => document.getElementById('waiting-news').textContent"
        assert "KTP Elektronik 3" in await until(page, f"() => ({said})().includes('KTP Elektronik 3') && ({said})()")
        assert (await news.text_content() or "").startswith("Menunggu sekarang: ")
        assert any(name.startswith("Menunggu sekarang: KTP Elektronik 3") for _, name in await read_out(page))
        # once per settled change, never at each second's redraw (three tickets: at most three, usually one)
        await page.wait_for_timeout(2500)  # a few of the page's redraws
        assert 1 <= len(await page.evaluate("() => window.said")) <= 3
        # the list is redrawn when its counts change only: the row under a screen reader's cursor stays
        await page.evaluate("() => { document.querySelector('#waiting li').dataset.kept = 'again'; }")
        await page.wait_for_timeout(2500)
        assert await page.evaluate("() => document.querySelector('#waiting li').dataset.kept") == "again"
