"""Pairing a TV or kiosk with a short code, in Debian's Chromium against a real server: a TV opened with no token
shows a code, an admin types it on Settings -> Perangkat in another browser, and the TV starts showing the board; it
comes back by itself when opened again without a token; a revoked one shows the server's sentence and a new code,
and is paired again onto its own entry. The API's refusals are in tests/test_pairing.py."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from playwright.async_api import Browser, Page
from playwright.async_api import Error as PlaywrightError

from .display_support import WAIT_MS, bounded, until
from .helpers import Server, bearer
from .test_supervisor_pages import signed_in

CODE = re.compile(r"^[ACDEFHJKMNPRTUVWXY3479]{3}-[ACDEFHJKMNPRTUVWXY3479]{3}$")


@asynccontextmanager
async def device(
    browser: Browser, server: Server, path: str, size: tuple[int, int] = (1920, 1080)
) -> AsyncIterator[Page]:
    """A device's browser (its own context: its own storage), at `path`, on a screen of `size`."""
    context = await browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        await page.goto(server.url + path)
        yield page
        assert not errors, errors
    finally:
        await context.close()


async def code_shown(page: Page) -> str:
    await page.wait_for_selector("#pairing-code", timeout=WAIT_MS)
    code = await page.text_content("#pairing-code") or ""
    assert CODE.match(code), code
    return code


async def once_there(page: Page, js: str, seconds: float = 20) -> None:
    """Until the page function `js` is true, across the page's own navigation once it is paired (a reload, or
    another page), during which the page cannot be asked anything."""
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        try:
            if await page.evaluate(js):
                return
        except PlaywrightError:  # the page navigating: asked again in a moment
            pass
        await asyncio.sleep(0.05)
    raise AssertionError(f"not true within {seconds:g} s: {js}")


async def live(page: Page) -> None:
    await once_there(page, "() => document.body?.dataset.link === 'live'")


@bounded(120)
async def test_a_tv_shows_a_code_an_admin_types_it_and_the_tv_starts(browser: Browser, server: Server) -> None:
    async with device(browser, server, "/display/tegal/lobby") as tv:
        code = await code_shown(tv)
        assert await tv.text_content(".pairing-title") == "Perangkat ini belum terdaftar"
        said = await tv.text_content("#pairing") or ""
        assert "buka Pengaturan, tab Perangkat, tekan “Pasangkan dengan kode”" in said
        assert "open Settings, Devices tab, press “Pair with a code”" in said
        assert await tv.evaluate("() => window.__display.connection.status") != "connected"  # no token, no link

        async with signed_in(browser, server, "/supervisor/tegal/admin", "admin", (1400, 1000)) as admin:
            await admin.click("[data-tab=devices]")
            await until(admin, "() => !!document.getElementById('pair-device')")
            await admin.click("#pair-device")
            # a mistyped code is refused at its field, in words, and pairs nothing
            await admin.fill("#f-code", "ACD-EFH" if code != "ACD-EFH" else "ACD-EFJ")
            await admin.fill("#f-name", "TV lobi baru")
            await admin.click("#editor-save")
            await until(admin, "() => document.getElementById('f-code').getAttribute('aria-invalid') === 'true'")
            assert "tidak dikenal di mal ini" in (await admin.text_content("#editor-error") or "")
            # the code as a person types it from across the room
            await admin.fill("#f-code", code.lower().replace("-", " "))
            assert await admin.is_visible("#f-screen")
            await admin.click("#editor-save")
            await until(admin, "() => !document.getElementById('editor').open")
            await until(admin, "() => [...document.querySelectorAll('tr[data-device] strong')]"
                               ".some(s => s.textContent === 'TV lobi baru')")  # fmt: skip

        await live(tv)  # the TV started by itself with its own token, kept and out of the address bar
        assert tv.url == server.url + "/display/tegal/lobby"
        assert (await tv.evaluate("() => JSON.parse(localStorage.getItem('mpp-device')).token")).startswith("d_")
        assert await tv.query_selector("#pairing") is None

        # switched off and on at its address without a token: it comes back with the token it kept
        await tv.goto(server.url + "/display/tegal/lobby")
        await live(tv)
        assert await tv.query_selector("#pairing") is None


@bounded(120)
async def test_a_revoked_tv_shows_why_and_a_new_code_and_is_paired_again_onto_its_entry(
    browser: Browser, server: Server
) -> None:
    admin = await server.login("admin")
    r = await server.http.post("/api/v1/sites/tegal/device-tokens", headers=admin,
                               json={"kind": "display", "name": "TV lantai 1", "screen": "lantai1"})  # fmt: skip
    token, entry = r.json()["token"], r.json()["device"]["id"]
    async with device(browser, server, f"/display/tegal/lantai1#token={token}") as tv:
        await live(tv)
        r = await server.http.post(f"/api/v1/sites/tegal/device-tokens/{entry}/revoke", json={}, headers=admin)
        assert r.status_code == 200
        code = await code_shown(tv)  # at once: the server closed its link with the refusal
        reasons = [await p.text_content() for p in await tv.query_selector_all(".pairing-reason")]
        assert reasons[0] is not None and reasons[0].startswith("Token perangkat ini tidak dikenal atau sudah dicabut")
        assert reasons[1] is not None and reasons[1].startswith("This device's token is unknown or revoked")
        assert await tv.evaluate("() => localStorage.getItem('mpp-device')") is None  # the refused token forgotten

        # paired again onto its own entry (Settings -> "Pasangkan dengan kode" -> the entry): same id, live again
        r = await server.http.post("/api/v1/sites/tegal/device-tokens/pair", json={"code": code, "device": entry},
                                   headers=admin)  # fmt: skip
        assert r.status_code == 201 and r.json()["device"]["id"] == entry and r.json()["replaced"] is True
        await live(tv)
        assert token not in tv.url  # its new token, not the revoked one
        r = await server.http.get("/api/v1/sites/tegal/state", headers=bearer(token))
        assert r.status_code == 401


@bounded(120)
async def test_a_kiosk_opened_without_a_token_is_paired_and_starts(browser: Browser, server: Server) -> None:
    async with device(browser, server, "/kiosk/tegal") as kiosk:
        code = await code_shown(kiosk)
        assert not await kiosk.query_selector_all(".pairing-reason")  # no token was refused: nothing to explain
        sup = await server.login("supervisor")
        r = await server.http.post("/api/v1/sites/tegal/device-tokens/pair", headers=sup,
                                   json={"code": code, "kind": "kiosk", "name": "Kios pintu timur"})  # fmt: skip
        assert r.status_code == 201, r.text
        await once_there(kiosk, "() => document.body?.dataset.ready === 'true'")
        assert await kiosk.evaluate("() => window.__kiosk.screen") == "start"
        await kiosk.click(".k-agency[data-agency='disdukcapil']")  # it serves citizens with its own token
        assert await kiosk.evaluate("() => window.__kiosk.screen") == "services"
