"""Pairing a TV or kiosk with a short code, in Debian's Chromium against a real server: a TV opened with no token
shows a code, an admin types it on Settings -> Perangkat in another browser, and the TV starts showing the board; it
comes back by itself when opened again without a token; a revoked one shows the server's sentence and a new code,
and is paired again onto its own entry. The API's refusals are in tests/test_pairing.py."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from playwright.async_api import Browser, Page, Route
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
    try:  # what the page shows instead, for whoever reads the failure
        seen = await page.evaluate(SEEN)
    except PlaywrightError as exc:
        seen = f"(not readable: {exc})"
    raise AssertionError(f"not true within {seconds:g} s: {js}; the page: {seen}")


SEEN = """() => ({url: location.href, body: {...document.body?.dataset},
    code: document.getElementById('pairing-code')?.textContent ?? null,
    says: document.getElementById('pairing')?.innerText?.slice(0, 300) ?? null})"""


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
            # the page started (its tabs laid out where the sign-in form was): a tab pressed sooner can miss
            await until(admin, "() => document.body.dataset.loaded === 'true'")
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


@bounded(120)
async def test_a_question_left_unanswered_does_not_keep_a_paired_kiosk_waiting(
    browser: Browser, server: Server
) -> None:
    """The page's first "paired yet?" never gets an answer (a request hung on the TV's Wi-Fi): it is given up and
    asked again, and the kiosk starts once paired."""
    hung: list[Route] = []
    asked = asyncio.Event()

    async def hang_first(route: Route) -> None:
        if route.request.method == "GET" and not hung:
            hung.append(route)  # never answered
            asked.set()
        else:
            await route.continue_()

    async with device(browser, server, "/kiosk/tegal") as kiosk:
        await kiosk.route("**/api/v1/sites/tegal/pairing", hang_first)
        code = await code_shown(kiosk)
        sup = await server.login("supervisor")
        await until(kiosk, "() => document.body.dataset.pairing === 'waiting'")
        await asyncio.wait_for(asked.wait(), 30)  # the page has asked, and waits on that question
        r = await server.http.post("/api/v1/sites/tegal/device-tokens/pair", headers=sup,
                                   json={"code": code, "kind": "kiosk", "name": "Kios lantai 2"})  # fmt: skip
        assert r.status_code == 201, r.text
        await once_there(kiosk, "() => document.body?.dataset.ready === 'true'", seconds=60)


@bounded(150)
async def test_settings_knows_a_kiosk_pages_code_and_pairs_it_as_a_kiosk(browser: Browser, server: Server) -> None:
    """The admin types a kiosk page's code: the form says it is a kiosk's and fixes the kind (a TV is no longer a
    choice, nor a TV's entry); a TV page's code fixes kind and screen; paired, the kiosk page opens its kiosk."""
    async with (
        device(browser, server, "/kiosk/tegal") as kiosk,
        device(browser, server, "/display/tegal/lantai2") as tv,
    ):
        code, tv_code = await code_shown(kiosk), await code_shown(tv)
        async with signed_in(browser, server, "/supervisor/tegal/admin", "admin", (1400, 1000)) as admin:
            # the page started (its tabs laid out where the sign-in form was): a tab pressed sooner can miss
            await until(admin, "() => document.body.dataset.loaded === 'true'")
            await admin.click("[data-tab=devices]")
            await until(admin, "() => !!document.getElementById('pair-device')")
            await admin.click("#pair-device")
            await admin.select_option("#f-kind", "display")  # what the admin chose before typing the code
            await admin.fill("#f-code", tv_code.lower())
            await until(admin, "() => document.getElementById('pairing-origin')?.dataset.kind === 'display'")
            assert await admin.text_content("#pairing-origin") == (
                "Kode dari layar TV “lantai2”: jenis dan tampilannya mengikuti halaman itu."
            )
            assert await admin.evaluate("() => [document.getElementById('f-kind').value, "
                                        "document.getElementById('f-screen').value]") == ["display", "lantai2"]  # fmt: skip
            assert await admin.is_disabled("#f-kind") and await admin.is_disabled("#f-screen")

            # the kiosk's code, its look-up lost on the way (a network blip): said, and the same code typed again is asked
            lost: list[str] = []

            async def lose_once(route: Route) -> None:
                if lost:
                    await route.continue_()
                else:
                    lost.append(route.request.url)
                    await route.abort()

            await admin.route("**/device-tokens/pair/lookup", lose_once)
            await admin.fill("#f-code", code)
            await until(admin, "() => document.getElementById('pairing-origin')?.dataset.kind === 'refused'")
            await admin.fill("#f-code", code.replace("-", " "))  # the same code, its look-up not answered yet
            await until(admin, "() => document.getElementById('pairing-origin')?.dataset.kind === 'kiosk'")
            assert len(lost) == 1
            assert await admin.text_content("#pairing-origin") == "Kode dari kios: dipasangkan sebagai kios."
            assert await admin.evaluate("() => document.getElementById('f-kind').value") == "kiosk"
            assert await admin.is_disabled("#f-kind") and await admin.is_hidden("#f-screen")
            displays = await admin.evaluate(
                "() => [...document.querySelectorAll('#f-target option')].filter(o => o.textContent.includes('Layar TV'))"
                ".map(o => o.disabled)"
            )
            assert displays and all(displays), displays  # a TV's entry cannot be picked for a kiosk's code
            kiosks = await admin.evaluate(
                "() => [...document.querySelectorAll('#f-target option')].filter(o => o.textContent.includes('Kios'))"
                ".map(o => o.disabled)"
            )
            assert kiosks and not any(kiosks), kiosks
            await admin.fill("#f-name", "Kios pintu barat")
            await admin.click("#editor-save")
            await until(admin, "() => !document.getElementById('editor').open")
            await until(admin, "() => [...document.querySelectorAll('tr[data-device] strong')]"
                               ".some(s => s.textContent === 'Kios pintu barat')")  # fmt: skip

            # a code of /perangkat: any kind, as the admin chooses
            await admin.click("#pair-device")
            start = (await server.http.post("/api/v1/pairing", json={})).json()["code"]
            await admin.fill("#f-code", start)
            await until(admin, "() => document.getElementById('pairing-origin')?.dataset.kind === 'any'")
            assert await admin.text_content("#pairing-origin") == "Kode dari /perangkat: pilih jenis perangkatnya."
            assert not await admin.is_disabled("#f-kind")
            assert (
                await admin.evaluate("() => [...document.querySelectorAll('#f-target option')].some(o => o.disabled)")
                is False
            )

            # a mistyped code is said at once, under the field, before the rest is filled in
            await admin.fill("#f-code", "ACD-EFH" if code != "ACD-EFH" else "ACD-EFJ")
            await until(admin, "() => document.getElementById('pairing-origin')?.dataset.kind === 'refused'")
            assert "tidak dikenal di mal ini" in (await admin.text_content("#pairing-origin") or "")

        await once_there(kiosk, "() => document.body?.dataset.ready === 'true'")  # the kiosk page opened its kiosk
        assert kiosk.url == server.url + "/kiosk/tegal"
        assert await kiosk.evaluate("() => window.__kiosk.screen") == "start"
        r = await server.http.get("/api/v1/sites/tegal/device-tokens", headers=await server.login("admin"))
        [paired] = [d for d in r.json()["devices"] if d["name"] == "Kios pintu barat"]
        assert paired["kind"] == "kiosk"
        assert await tv.query_selector("#pairing-code") is not None  # the TV's code was only looked up
