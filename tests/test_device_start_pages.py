"""The start address of any new TV or kiosk, in Debian's Chromium against a real server: /perangkat shows a code
readable across a room, an admin types it on Settings -> Perangkat choosing a lobby screen (or a kiosk), and the
device lands on its live board (its kiosk) by itself; opened at /perangkat again it goes straight there. The API's
side is in tests/test_device_start.py."""

from __future__ import annotations

from playwright.async_api import Browser

from .display_support import bounded, until
from .helpers import Server
from .test_pairing_pages import code_shown, device, live, once_there
from .test_supervisor_pages import signed_in


@bounded(150)
async def test_a_tv_started_at_perangkat_is_paired_at_settings_and_lands_on_its_live_board(
    browser: Browser, server: Server
) -> None:
    async with device(browser, server, "/perangkat") as tv:
        code = await code_shown(tv)
        assert await tv.text_content(".pairing-title") == "Perangkat ini belum terdaftar"
        said = await tv.text_content("#pairing") or ""
        assert "This device is not registered yet" in said  # English under the Indonesian
        assert "buka Pengaturan, tab Perangkat, tekan “Pasangkan dengan kode”" in said
        # readable from 3 m: the code's letters are at least a tenth of the screen's height
        height = await tv.evaluate(
            "() => parseFloat(getComputedStyle(document.getElementById('pairing-code')).fontSize)"
        )
        assert height >= 1080 / 10, height

        async with signed_in(browser, server, "/supervisor/tegal/admin", "admin", (1400, 1000)) as admin:
            # the page started (its tabs laid out where the sign-in form was): a tab pressed sooner can miss
            await until(admin, "() => document.body.dataset.loaded === 'true'")
            await admin.click("[data-tab=devices]")
            await until(admin, "() => !!document.getElementById('pair-device')")
            await admin.click("#pair-device")
            await admin.fill("#f-code", code)
            await admin.fill("#f-name", "TV lobi dari perangkat")
            await admin.select_option("#f-screen", "lobby")
            await admin.click("#editor-save")
            await until(admin, "() => !document.getElementById('editor').open")

        await live(tv)  # on its board, by itself, with its own token, kept and out of the address bar
        assert tv.url == server.url + "/display/tegal/lobby"
        assert (await tv.evaluate("() => JSON.parse(localStorage.getItem('mpp-device')).token")).startswith("d_")
        assert await tv.query_selector("#pairing") is None

        # started again at the one start address: straight to its board, no code
        await tv.goto(server.url + "/perangkat")
        await live(tv)
        assert "/display/tegal/lobby" in tv.url
        assert await tv.query_selector("#pairing") is None


@bounded(150)
async def test_a_kiosk_started_at_device_is_paired_and_serves_citizens(browser: Browser, server: Server) -> None:
    async with device(browser, server, "/device") as kiosk:
        assert kiosk.url.endswith("/perangkat")
        code = await code_shown(kiosk)
        async with signed_in(browser, server, "/supervisor/tegal/admin", "supervisor", (1400, 1000)) as sup:
            # the page started (its tabs laid out where the sign-in form was): a tab pressed sooner can miss
            await until(sup, "() => document.body.dataset.loaded === 'true'")
            await sup.click("[data-tab=devices]")
            await until(sup, "() => !!document.getElementById('pair-device')")
            await sup.click("#pair-device")
            await sup.fill("#f-code", code.lower())
            await sup.select_option("#f-kind", "kiosk")
            await sup.fill("#f-name", "Kios pintu barat")
            await sup.click("#editor-save")
            await until(sup, "() => !document.getElementById('editor').open")
        await once_there(kiosk, "() => document.body?.dataset.ready === 'true'")
        assert "/kiosk/tegal" in kiosk.url
        await kiosk.click(".k-agency[data-agency='disdukcapil']")  # it serves citizens with its own token
        assert await kiosk.evaluate("() => window.__kiosk.screen") == "services"


@bounded(150)
async def test_the_code_stays_on_one_line_on_every_screen(browser: Browser, server: Server) -> None:
    """A portrait kiosk (1080 wide) broke "JVM-DHA" after its hyphen: the code is one line, inside the screen, on a
    landscape TV, a portrait kiosk, a small kiosk tablet and a laptop."""
    for size in ((1920, 1080), (1080, 1920), (800, 1280), (1366, 768)):
        async with device(browser, server, "/perangkat", size) as page:
            await code_shown(page)
            lines, inside, height = await page.evaluate(
                """() => {
                    const code = document.getElementById('pairing-code');
                    const range = document.createRange();
                    range.selectNodeContents(code);
                    const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
                    const box = code.getBoundingClientRect();
                    return [tops.size, box.left >= 0 && box.right <= innerWidth, parseFloat(getComputedStyle(code).fontSize)];
                }"""
            )
            assert lines == 1 and inside, (size, lines, inside)
            assert height >= min(size) / 10, (size, height)  # still read from across the hall
