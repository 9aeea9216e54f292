"""The kiosk hears at once what concerns it, over the websocket's `kiosk` role (docs/protocol.md): its token revoked
(the socket is closed with the reason, and the page leaves its tiles), a quota spent, the day closed or reopened, a
configuration saved. With a real server, the real websockets client, Chromium, and two server processes on one
PostgreSQL database. The page tests make the kiosk's poll an hour long: only the push can explain what they see."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from queue_server.common import messages
from queue_server.settings.sitefile import DEMO_SITE

from .helpers import KIOSK, LOBBY, Server, bearer, running_server
from .pg_support import new_database
from .test_citizen_support import bounded, chromium, fast, kiosk_page, screen, text, until
from .test_invariants import write_site

HOUR = 3600
KK = ".k-service[data-service='kk']"


async def new_kiosk(server: Server, name: str) -> tuple[str, int]:
    """A kiosk's token made on Settings -> Perangkat, and its device id."""
    admin = await server.login("admin")
    r = await server.http.post("/api/v1/sites/tegal/device-tokens", json={"kind": "kiosk", "name": name}, headers=admin)
    assert r.status_code == 201, r.text
    return r.json()["token"], r.json()["device"]["id"]


async def revoke(server: Server, device: int) -> None:
    admin = await server.login("admin")
    r = await server.http.post(f"/api/v1/sites/tegal/device-tokens/{device}/revoke", json={}, headers=admin)
    assert r.status_code == 200, r.text


async def take(server: Server, service: str, token: str = KIOSK) -> int:
    r = await server.http.post("/api/v1/sites/tegal/tickets", json={"service": service}, headers=bearer(token))
    return r.status_code


async def kiosk_hello(url: str, token: str) -> tuple[ClientConnection, dict[str, Any]]:
    """A kiosk's socket: its welcome, and its snapshot (the kiosk's view)."""
    ws = await connect(url)
    await ws.send(json.dumps({"type": "hello", "role": "kiosk", "site": "tegal", "token": token}))
    welcome = json.loads(await ws.recv())
    assert welcome["type"] == "welcome" and welcome["resume"] == "snapshot", welcome
    snapshot = json.loads(await ws.recv())
    assert snapshot["type"] == "snapshot", snapshot
    return ws, snapshot


async def next_frame(ws: ClientConnection, wanted: Callable[[dict[str, Any]], bool] | None = None) -> dict[str, Any]:
    """The next frame that is not a heartbeat (and is `wanted`, when given)."""
    async with asyncio.timeout(30):
        while True:
            frame = json.loads(await ws.recv())
            if frame["type"] in ("ping", "pong"):
                continue
            if wanted is None or wanted(frame):
                return frame


async def closed_with(ws: ClientConnection) -> tuple[list[dict[str, Any]], int | None, str | None]:
    """Every frame until the server closes the socket, and its close code and reason."""
    frames = []
    with pytest.raises(ConnectionClosed) as closed:
        async with asyncio.timeout(30):
            while True:
                frames.append(json.loads(await ws.recv()))
    received = closed.value.rcvd
    assert received is not None, "closed without a close frame"
    return frames, received.code, received.reason


# --- the socket ---------------------------------------------------------------------------------------------------


async def test_a_kiosk_is_told_its_view_and_when_it_changes_never_a_ticket(server: Server) -> None:
    for _ in range(9):  # the demo kk service: 10 walk-ins a day (20, of which 10 are kept for online bookings)
        assert await take(server, "kk") == 201
    ws, snapshot = await kiosk_hello(server.ws_url, KIOSK)
    async with ws:
        view = snapshot["data"]
        assert set(view) == {"issuing", "configuration_version", "services"}, "the kiosk's view, no ticket"
        assert view["issuing"] is None
        assert view["services"]["kk"] == {"open": False, "quota_spent": False, "paused": None}
        assert set(view["services"]) == set(server.ctx.sites["tegal"].services)
        assert await take(server, "ktp") == 201  # changes nothing the kiosk shows: no change is said
        assert await take(server, "kk") == 201  # the last walk-in place
        frame = await next_frame(ws, lambda f: f.get("data") != view)  # (a process's first may repeat the view)
        assert frame["type"] == "kiosk", "a kiosk gets no event of the log, and no change for the ktp ticket"
        assert frame["data"]["services"]["kk"] == {"open": False, "quota_spent": True, "paused": None}
        assert frame["data"]["services"]["ktp"]["quota_spent"] is False
        assert "ticket" not in json.dumps(frame), frame
        op = await server.login("op-disdukcapil")
        r = await server.command(op, "1", "open")  # counter 1 serves Disdukcapil's services
        assert r.status_code == 200, r.text
        frame = await next_frame(ws)
        assert frame["data"]["services"]["ktp"]["open"] is True
        sup = await server.login("supervisor")
        assert (await server.http.post("/api/v1/sites/tegal/close-day", json={}, headers=sup)).status_code == 200
        frame = await next_frame(ws, lambda f: f["type"] == "kiosk" and f["data"]["issuing"] is not None)
        assert frame["data"]["issuing"] == "day_closed"
        assert (await server.http.post("/api/v1/sites/tegal/reopen-day", json={}, headers=sup)).status_code == 200
        frame = await next_frame(ws, lambda f: f["type"] == "kiosk" and f["data"]["issuing"] is None)
        version = frame["data"]["configuration_version"]
        admin = await server.login("admin")
        r = await server.http.get("/api/v1/sites/tegal/configuration", headers=admin)
        assert r.status_code == 200, r.text
        current = r.json()
        agency = next(a for a in current["document"]["agencies"] if a["id"] == "disdukcapil")
        kk = next(s for s in agency["services"] if s["id"] == "kk")
        kk["daily_quota"] += 2  # two more walk-in places
        body = {"version": current["version"], "document": current["document"]}
        r = await server.http.put("/api/v1/sites/tegal/configuration", json=body, headers=admin)
        assert r.status_code == 200, r.text
        frame = await next_frame(ws, lambda f: f["type"] == "kiosk" and f["data"]["configuration_version"] != version)
        assert frame["data"]["services"]["kk"]["quota_spent"] is False, "two more places, said with the version"


async def test_a_revoked_kiosk_s_socket_is_closed_at_once_with_the_reason(server: Server) -> None:
    token, device = await new_kiosk(server, "Kios lantai 2")
    ws, _ = await kiosk_hello(server.ws_url, token)
    await revoke(server, device)
    frames, code, reason = await closed_with(ws)
    errors = [f for f in frames if f["type"] == "error"]
    assert len(errors) == 1 and errors[0]["details"] == {"device_token": "refused"}, frames
    assert "daftarkan perangkat ini lagi" in errors[0]["message"], "says how to pair it again"
    assert (code, reason) == (4003, errors[0]["code"])


@pytest.mark.parametrize(
    ("hello", "code", "details"),
    [
        ({"token": "d_kiosk_wrong"}, "unauthenticated", {"device_token": "refused"}),
        ({}, "unauthenticated", {"device_token": "missing"}),
        ({"token": LOBBY}, "not_a_kiosk", None),  # a TV's token is not a kiosk's
        ({"token": "s_not-a-session"}, "unauthenticated", {"device_token": "refused"}),
        ({"token": KIOSK, "site": "nowhere"}, "unknown_site", {"sites": ["tegal"]}),
        ({"token": KIOSK, "screen": "lobby"}, None, None),  # a display's field: accepted and ignored
        ({"token": KIOSK, "kiosk": "1"}, "invalid_field", {"field": "kiosk"}),
    ],
)
async def test_a_wrong_hello_for_a_kiosk_gets_a_reason_and_close_4003(
    server: Server, hello: dict[str, Any], code: str | None, details: dict[str, Any] | None
) -> None:
    async with connect(server.ws_url) as ws:
        await ws.send(json.dumps({"type": "hello", "role": "kiosk", "site": "tegal", **hello}))
        if code is None:
            assert json.loads(await ws.recv())["type"] == "welcome"
            return
        frames, close, reason = await closed_with(ws)
    assert [f["code"] for f in frames] == [code], frames
    assert frames[0].get("details") == details
    assert frames[0]["message"] and frames[0]["message_en"]
    assert (close, reason) == (4003, code)


async def test_a_kiosk_of_another_mall_is_refused_wrong_site(tmp_path: Path) -> None:
    uji = write_site(tmp_path / "uji.toml", 2)
    async with running_server(tmp_path / "q.sqlite3", site_files=[DEMO_SITE, uji]) as s, connect(s.ws_url) as ws:
        await ws.send(json.dumps({"type": "hello", "role": "kiosk", "site": "uji", "token": KIOSK}))
        frames, close, reason = await closed_with(ws)
    assert [f["code"] for f in frames] == ["wrong_site"] and (close, reason) == (4003, "wrong_site")


# --- the page -----------------------------------------------------------------------------------------------------


@bounded(90)
async def test_a_revoked_kiosk_leaves_its_tiles_without_waiting_for_its_poll(server: Server) -> None:
    fast(server, kiosk_poll_seconds=HOUR)
    token, device = await new_kiosk(server, "Kios 9")
    said = (await server.http.get("/api/v1/sites/tegal/today", headers=bearer("d_kiosk_wrong"))).json()["error"]
    async with chromium() as browser, kiosk_page(browser, server, token=token) as page:
        await until(page, "() => window.__kiosk.live")
        await page.click(".k-agency[data-agency='disdukcapil']")
        assert await screen(page) == "services"
        await revoke(server, device)
        # No tap, and no poll for an hour: the socket's close is what leaves the tiles.
        await until(page, "() => window.__kiosk.screen === 'setup'", timeout_ms=30_000)
        assert await text(page, "[data-screen='setup'] .k-title") == "Kios belum disiapkan. Silakan hubungi petugas."
        assert await text(page, "#setup-detail") == said["message"], "the words of a refused poll"
        assert await text(page, "#setup-detail-other") == said["message_en"]
        assert await page.is_hidden(".k-services")
        await until(page, "() => document.getElementById('pairing-code') !== null")  # a code to pair it again
        # Above the code, the code's way back (type it on Settings -> Perangkat), not the API's new #token address.
        reason = await page.eval_on_selector_all(".pairing-reason", "lines => lines.map(line => line.textContent)")
        assert reason == [messages.text("pairing", "refused", lang, {}) for lang in ("id", "en")]
        assert "ketik kode di bawah ini di Pengaturan, tab Perangkat" in reason[0] and "#token=" not in reason[0]
        assert "type the code below on Settings, Devices tab" in reason[1] and "#token=" not in reason[1]
        assert "#token=" in said["message"], "an API client, with no code to type, is told the address way"
        # The "not set up" screen under the code is out of reach: a screen reader reads the code's sentence alone.
        reachable = "() => [...document.body.children].filter((e) => !e.inert).map((e) => e.id)"
        assert await page.evaluate(reachable) == ["pairing"]
        await page.evaluate("() => window.__kiosk.show('start')")  # what the idle timer does
        assert await screen(page) == "setup"
        assert not await page.evaluate("() => window.__kiosk.live")


@bounded(120)
async def test_a_quota_taken_by_another_kiosk_or_a_closed_day_reaches_the_kiosk_at_once(server: Server) -> None:
    fast(server, kiosk_poll_seconds=HOUR)
    token, _ = await new_kiosk(server, "Kios 2")
    for _ in range(9):
        assert await take(server, "kk") == 201
    async with chromium() as browser, kiosk_page(browser, server, token=token) as page:
        await until(page, "() => window.__kiosk.live")
        await page.click(".k-agency[data-agency='disdukcapil']")
        await until(page, f"() => document.querySelector(\"{KK} .k-wait\").textContent !== ''")
        assert not await page.is_disabled(KK)
        assert await take(server, "kk") == 201  # the last place, at the demo's other kiosk
        # The citizen reading the tiles sees it before tapping: the tile says so and leads nowhere.
        await until(page, f'() => document.querySelector("{KK}").disabled', timeout_ms=30_000)
        assert await text(page, f"{KK} .k-wait") == "Kuota hari ini habis"
        assert not await page.is_disabled(".k-service[data-service='ktp']")

        await page.click("[data-screen='services'] [data-back='start']")
        assert await screen(page) == "start"
        sup = await server.login("supervisor")
        assert (await server.http.post("/api/v1/sites/tegal/close-day", json={}, headers=sup)).status_code == 200
        await until(page, "() => window.__kiosk.screen === 'notice'", timeout_ms=30_000)
        assert await text(page, "#n-title") == "Pelayanan hari ini sudah ditutup"
        assert (await server.http.post("/api/v1/sites/tegal/reopen-day", json={}, headers=sup)).status_code == 200
        await until(page, "() => window.__kiosk.screen === 'start'", timeout_ms=30_000)
        assert await page.is_visible(".k-agency[data-agency='disdukcapil']")


# --- several server processes (PostgreSQL) ------------------------------------------------------------------------


@pytest.mark.postgresql
async def test_a_kiosk_on_one_process_is_told_what_another_process_did(pg_cluster: str) -> None:
    """As a TV's: a revocation made through another process closes the kiosk's socket (every process reads the
    credentials' version every half second and checks its sockets again), and a quota spent there reaches it too
    (every process publishes what the others committed)."""
    database = await new_database(pg_cluster)
    async with running_server(database) as a, running_server(database) as b:
        for _ in range(9):
            assert await take(b, "kk") == 201
        token, device = await new_kiosk(b, "Kios lantai 3")
        ws, snapshot = await kiosk_hello(a.ws_url, token)
        assert snapshot["data"]["services"]["kk"]["quota_spent"] is False
        assert await take(b, "kk") == 201
        frame = await next_frame(ws, lambda f: f["type"] == "kiosk")
        assert frame["data"]["services"]["kk"]["quota_spent"] is True
        await revoke(b, device)
        frames, code, reason = await closed_with(ws)
        assert [f["details"] for f in frames if f["type"] == "error"] == [{"device_token": "refused"}], frames
        assert (code, reason) == (4003, "unauthenticated")
