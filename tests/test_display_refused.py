"""A screen the server does not accept says so plainly, in the server's own words, instead of staying blank."""

from __future__ import annotations

import json
from typing import Any

import pytest
import websockets
from playwright.async_api import Page

from queue_server.application import device_pairing
from queue_server.application.demo import demo_display_token
from queue_server.common import messages

from .display_support import WAIT_MS, board_page, bounded, chromium, until
from .helpers import Server


async def refusal(server: Server, screen: str, token: str | None) -> dict[str, Any]:
    """What the server answers this hello, asked directly (the page must show exactly this)."""
    hello = {"type": "hello", "role": "display", "site": "tegal", "screen": screen, "token": token}
    async with websockets.connect(server.ws_url) as ws:
        await ws.send(json.dumps(hello))
        frame = json.loads(await ws.recv())
    assert frame["type"] == "error", frame
    return frame  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("case", "token", "code"),
    [
        ("wrong token", "d_not_a_device_of_this_mall", "unauthenticated"),
        ("another screen's token", demo_display_token("tegal", "lantai2"), "wrong_screen"),
    ],
)
@bounded(60)
async def test_a_refused_screen_shows_the_servers_message(server: Server, case: str, token: str, code: str) -> None:
    expected = await refusal(server, "lobby", token or None)
    assert expected["code"] == code
    async with chromium() as browser, board_page(browser, server, token=token, wait_live=False) as page:
        await page.wait_for_selector("#refused", state="visible", timeout=WAIT_MS)
        assert await page.text_content("#refused h1") == "Layar ini ditolak oleh server"
        assert await page.text_content("#refused-message") == expected["message"]
        assert await page.text_content("#refused-message-en") == expected["message_en"]
        assert await page.text_content("#refused-code") == code
        assert await page.is_hidden("#banner-offline")  # refused is not "connection lost"
        assert await page.evaluate("document.body.dataset.link") == "refused"
        # a token refused or missing: the server's sentence says what to do, the page's own hint is not repeated
        assert await page.is_hidden("#refused-hint") == (code == "unauthenticated")
    if code == "unauthenticated":  # the words of the API's refusal of a device token, for the technician
        assert expected["details"] == {"device_token": "refused"}
        assert "daftarkan perangkat ini lagi (Pengaturan, tab Perangkat)" in expected["message"]


async def test_a_hello_without_a_token_is_told_what_the_technician_does(server: Server) -> None:
    """The page itself, with no token, shows a pairing code and says no hello (tests/test_pairing_pages.py); a
    client that says one anyway is told that the address has no device token, not to sign in."""
    expected = await refusal(server, "lobby", None)
    assert expected["code"] == "unauthenticated" and expected["details"] == {"device_token": "missing"}
    assert expected["message"].startswith("Alamat perangkat ini tidak berisi token perangkat")


@bounded(90)
async def test_a_revoked_screen_stops_at_once_and_says_what_to_do(server: Server) -> None:
    """Revocation takes effect at once: the TV's connection is closed with the refusal, and the board gives way to
    the technician's sentence (both languages), not to "connection lost". The TV takes the refusal it was told as
    final: no reconnect to hear it again (one hello on the wire, no reconnect pause)."""
    admin = await server.login("admin")
    r = await server.http.post("/api/v1/sites/tegal/device-tokens", headers=admin,
                               json={"kind": "display", "name": "TV uji", "screen": "lobby"})  # fmt: skip
    assert r.status_code == 201, r.text
    token, device = r.json()["token"], r.json()["device"]["id"]
    hellos: list[str] = []

    def watch(page: Page) -> None:
        page.on("websocket", lambda ws: ws.on("framesent", lambda text: hellos.append(text) if '"hello"' in text
                                              else None))  # fmt: skip

    async with chromium() as browser, board_page(browser, server, token=token, before_load=watch) as page:
        assert len(hellos) == 1
        r = await server.http.post(f"/api/v1/sites/tegal/device-tokens/{device}/revoke", json={}, headers=admin)
        assert r.status_code == 200
        await page.wait_for_selector("#refused", state="visible", timeout=WAIT_MS)
        expected = await refusal(server, "lobby", token)
        assert await page.text_content("#refused-message") == expected["message"]
        assert await page.text_content("#refused-message-en") == expected["message_en"]
        assert await page.evaluate("document.body.dataset.link") == "refused"
        await page.wait_for_selector("#pairing-code", timeout=WAIT_MS)  # a new code, to pair it again
        # Above the code, the code's way back (type it on Settings -> Perangkat), not the API's new #token address.
        assert await reason_lines(page) == [messages.text("pairing", "refused", lang, {}) for lang in ("id", "en")]
        assert "ketik kode di bawah ini di Pengaturan, tab Perangkat" in (await reason_lines(page))[0]
        assert "#token=" not in await page.text_content("#pairing")
        # The refusal notice under the code is out of reach: a screen reader reads the code's sentence alone.
        reachable = "() => [...document.body.children].filter((e) => !e.inert).map((e) => e.id)"
        assert await page.evaluate(reachable) == ["pairing"]
        assert "#token=" in expected["message"] and "#token=" in expected["message_en"]  # an API client's words
        assert await page.evaluate("() => window.__display.waits.length") == 0  # never "reconnecting"
        assert await page.evaluate("() => window.__display.connection.status") == "closed"
        assert len(hellos) == 1, hellos


@bounded(90)
async def test_a_refused_screen_that_gets_no_code_keeps_the_address_way(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No code to show (the server holds as many waiting codes as it allows: 429 pairing_busy): the page says the
    server's sentence as it is, with the new #token=... address, since there is no code to type."""
    monkeypatch.setattr(device_pairing, "WAITING_MAX", 0)
    expected = await refusal(server, "lobby", "d_not_a_device_of_this_mall")
    async with chromium() as browser, board_page(browser, server, token="d_not_a_device_of_this_mall",
                                                 wait_live=False) as page:  # fmt: skip
        await until(page, "() => document.body.dataset.pairing === 'retrying'", timeout_ms=WAIT_MS)
        assert await reason_lines(page) == [expected["message"], expected["message_en"]]
        assert "Terlalu banyak perangkat sedang menunggu dipasangkan" in await page.text_content("#pairing")
        assert await page.query_selector("#pairing-code") is None


async def reason_lines(page: Page) -> list[str]:
    """The sentences above the pairing code (or in place of it): why this page shows one."""
    return await page.eval_on_selector_all(".pairing-reason", "lines => lines.map(line => line.textContent)")  # type: ignore[no-any-return]


@bounded(30)
async def test_an_unknown_screen_page_lists_the_screens_that_exist(server: Server) -> None:
    r = await server.http.get("/display/tegal/lobi")
    assert r.status_code == 404
    async with chromium() as browser, board_page(browser, server, "lobi", wait_live=False) as page:
        await page.wait_for_selector("h1", timeout=WAIT_MS)
        assert await page.text_content("h1") == "Layar tidak ditemukan"
        listed = await page.eval_on_selector_all(".notice-list code", "codes => codes.map(c => c.textContent)")
        assert listed == [f"/display/tegal/{s}" for s in ("lobby", "lantai1", "lantai2", "disdukcapil")]
        assert "d_display" not in await page.content()  # no token is ever listed
