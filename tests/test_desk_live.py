"""The front-office desk hears a service paused or resumed and the day closed at once: the websocket's `desk` role
(docs/protocol.md), the kiosk's view for staff who may issue tickets. A real server, the real websockets client and
Chromium; the page tests make the desk's poll an hour long, so only the push can explain what they see, and one
severs the socket to show the poll still tells the desk."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from playwright.async_api import Page
from websockets.asyncio.client import ClientConnection, connect

from .helpers import KIOSK, LOBBY, Server
from .test_citizen_kiosk_live import HOUR, closed_with, next_frame
from .test_citizen_support import bounded, chromium, fast, open_page, text, until
from .test_day import close as close_day
from .test_issuing_pause import pause, resume

KTP = "input[name=service][value=ktp]"
KTP_WHY = ".d-choice:has(input[value=ktp]) .d-paused"


def token_of(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


async def desk_hello(url: str, token: str | None) -> tuple[ClientConnection, dict[str, Any]]:
    """A desk's socket: its welcome and its snapshot, or the error frame that refused it."""
    ws = await connect(url)
    hello = {"type": "hello", "role": "desk", "site": "tegal"} | ({"token": token} if token else {})
    await ws.send(json.dumps(hello))
    first = json.loads(await ws.recv())
    if first["type"] == "error":
        return ws, first
    assert first["type"] == "welcome" and first["resume"] == "snapshot", first
    return ws, json.loads(await ws.recv())


async def told_until(ws: ClientConnection, wanted: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
    """The frames up to the `kiosk` notice whose view is `wanted`: notices only, never an event of a ticket."""
    frames = []
    while not frames or not wanted(frames[-1]["data"]):
        frames.append(await next_frame(ws))
        assert frames[-1]["type"] == "kiosk", frames[-1]
    return frames


async def test_staff_who_may_issue_follow_the_kiosk_s_view_and_nothing_of_any_ticket(server: Server) -> None:
    op = await server.login("op-polres")  # an operator issues any agency's service at the desk
    sup = await server.login("supervisor")
    ws, snapshot = await desk_hello(server.ws_url, token_of(op))
    async with ws:
        assert snapshot["type"] == "snapshot" and set(snapshot["data"]) == {
            "issuing", "configuration_version", "services"
        }, snapshot  # fmt: skip
        assert snapshot["data"]["services"]["ktp"]["paused"] is None and snapshot["data"]["issuing"] is None
        await server.issue("ktp")  # a ticket taken: no event reaches the desk (a notice at most: the view)
        assert (await pause(server, sup, service="ktp", reason="Blangko habis", until="13:00")).status_code == 200
        frames = await told_until(ws, lambda view: view["services"]["ktp"]["paused"] is not None)
        assert frames[-1]["data"]["services"]["ktp"]["paused"]["reason"] == "Blangko habis"
        assert (await resume(server, sup, service="ktp")).status_code == 200
        await told_until(ws, lambda view: view["services"]["ktp"]["paused"] is None)
        closed = await close_day(server, sup, reason="Gangguan listrik")
        assert closed.status_code == 200, closed.text
        await told_until(ws, lambda view: view["issuing"] == "day_closed")
        # signed out: the socket ends at once, as the desk's next call would be refused
        assert (await server.http.post("/api/v1/auth/logout", headers=op)).status_code == 200
        frames, code, reason = await closed_with(ws)
        assert code == 4003 and reason == "unauthenticated" and frames[-1]["code"] == "unauthenticated", frames


async def test_a_desk_hello_is_refused_without_a_staff_session_that_may_issue(server: Server) -> None:
    regional = await server.login("nasional")
    for token, code in ((None, "unauthenticated"), ("s_not-a-session", "unauthenticated"), (LOBBY, "forbidden"),
                        (token_of(regional), "forbidden")):  # fmt: skip
        ws, refused = await desk_hello(server.ws_url, token)
        async with ws:
            assert refused["type"] == "error" and refused["code"] == code, (token, refused)
            _, closed, _ = await closed_with(ws)
            assert closed == 4003
    ws, snapshot = await desk_hello(server.ws_url, KIOSK)  # a kiosk may issue: its own view, as on its own role
    async with ws:
        assert snapshot["type"] == "snapshot" and "services" in snapshot["data"]


async def signed_in_desk(page: Page, username: str = "op-disdukcapil") -> None:
    await page.fill("#login [name=username]", username)
    await page.fill("#login [name=password]", "demo-operator")
    await page.click("#login [type=submit]")
    await until(page, "() => !document.getElementById('issue').hidden")


@bounded(120)
async def test_an_open_desk_hears_a_pause_a_resumption_and_the_closed_day_without_its_poll(server: Server) -> None:
    fast(server, desk_poll_seconds=HOUR)
    sup = await server.login("supervisor")
    async with chromium() as browser, open_page(browser, f"{server.url}/desk/tegal", size=(1366, 900)) as page:
        await signed_in_desk(page)
        await until(page, "() => window.__desk.live", timeout_ms=30_000)
        await page.check(KTP)
        assert (await pause(server, sup, service="ktp", reason="Blangko habis", until="13:00")).status_code == 200
        # No reload, no click, and no poll for an hour: the push is what marks it, unchecks it and says why.
        await until(page, f"() => document.querySelector('{KTP}').disabled", timeout_ms=30_000)
        assert not await page.is_checked(KTP)
        assert await text(page, KTP_WHY) == "Sementara berhenti: Blangko habis. Perkiraan dibuka kembali pukul 13.00"
        assert await text(page, "#issue-error") == (
            "A · KTP Elektronik — Sementara berhenti: Blangko habis. Perkiraan dibuka kembali pukul 13.00"
        )
        assert (await resume(server, sup, service="ktp")).status_code == 200
        await until(page, f"() => !document.querySelector('{KTP}').disabled", timeout_ms=30_000)
        assert await page.locator(KTP_WHY).count() == 0
        assert await page.is_hidden("#not-issuing")
        closed = await close_day(server, sup, reason="Gangguan listrik")
        assert closed.status_code == 200, closed.text
        await until(page, "() => !document.getElementById('not-issuing').hidden", timeout_ms=30_000)
        said = await text(page, "#not-issuing")
        assert said.startswith("Pelayanan MPP Kabupaten Tegal tutup hari ini: Gangguan listrik."), said
        await page.click("#lang")  # the server's sentence in the page's language
        said = await text(page, "#not-issuing")
        assert said.startswith("Service at MPP Kabupaten Tegal has closed for today: Gangguan listrik."), said
        await page.click("#lang")
        reopened = await server.http.post("/api/v1/sites/tegal/reopen-day", json={}, headers=sup)
        assert reopened.status_code == 200, reopened.text
        await until(page, "() => document.getElementById('not-issuing').hidden", timeout_ms=30_000)


@bounded(120)
async def test_with_its_socket_down_the_desk_still_learns_a_pause_from_its_poll(server: Server) -> None:
    fast(server, desk_poll_seconds=1)
    sup = await server.login("supervisor")
    page_url = f"{server.url}/desk/tegal"
    async with chromium() as browser, open_page(browser, page_url, size=(1366, 900), socket=False) as page:
        await signed_in_desk(page)
        assert (await pause(server, sup, service="ktp", reason="Blangko habis")).status_code == 200
        await until(page, f"() => document.querySelector('{KTP}').disabled", timeout_ms=30_000)
        assert await text(page, KTP_WHY) == "Sementara berhenti: Blangko habis"
        assert not await page.evaluate("() => window.__desk.live"), "the poll, not the socket"
