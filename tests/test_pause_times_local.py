"""A service's issuing pause, its times said in the mall's own time. The mall is in Makassar (WITA, UTC+8) and every
browser reading it is set to WIB, so the mall's clock, the browser's and UTC all differ: a page formatting a pause's
time in the browser's zone would say 12.00, in UTC 05.00, for the 13.00 the supervisor typed. The API gives both
`since` and `until` with the mall's offset (`since` was UTC, beside an `until` of +08:00). A real server on a SQLite
file, the real websockets client and Chromium, as the pages are used."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect
from websockets.asyncio.client import connect

from queue_server.settings.sitefile import DEMO_SITE

from .display_support import WAIT_MS, until
from .helpers import KIOSK, Server, running_server
from .test_citizen_kiosk_live import kiosk_hello, next_frame
from .test_counter_web import connected, sign_in
from .test_desk_live import KTP_WHY, signed_in_desk
from .test_issuing_pause import pause

# The test clock's 02:00 UTC is 10.00 in Makassar (09.00 in the browser's WIB).
PAUSED_AT = "2026-11-23T10:00:00+08:00"
UNTIL = "2026-11-23T13:00:00+08:00"
KTP_TILE = "Sementara berhenti: Blangko habis. Perkiraan dibuka kembali pukul 13.00"


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Server]:
    text = DEMO_SITE.read_text(encoding="utf-8")
    makassar = text.replace('timezone = "Asia/Jakarta"', 'timezone = "Asia/Makassar"', 1).replace(
        'province = "Jawa Tengah"', 'province = "Sulawesi Selatan"', 1
    )
    assert makassar.count("Asia/Makassar") == 1 and "Sulawesi Selatan" in makassar
    site = tmp_path / "makassar.toml"
    site.write_text(makassar, encoding="utf-8")
    async with running_server(tmp_path / "queue.sqlite3", site_files=[site], ignore_hours=True,
                              dashboard_seconds=0.3) as s:  # fmt: skip
        assert s.ctx.sites["tegal"].timezone == "Asia/Makassar"
        yield s


async def in_wib(browser: Browser) -> BrowserContext:
    """A browser whose own clock is WIB (Asia/Jakarta), an hour behind the mall's."""
    return await browser.new_context(
        viewport={"width": 1366, "height": 900}, locale="id-ID", timezone_id="Asia/Jakarta"
    )


async def page_of(context: BrowserContext, url: str) -> tuple[Page, list[str]]:
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(url)
    assert await page.evaluate("() => Intl.DateTimeFormat().resolvedOptions().timeZone") == "Asia/Jakarta"
    return page, errors


async def test_the_api_gives_a_pause_s_times_with_the_mall_s_offset(server: Server) -> None:
    """Every view of a pause (the command's answer, the waits, the kiosk's notice, the dashboard's figures, a staff
    snapshot, the `service.paused` event) says `since` and `until` in WITA: the moment the pause was made is 10.00
    there, not "02:00:00+00:00"."""
    sup = await server.login("supervisor")
    op = await server.login("op-disdukcapil")
    waiting = await server.issue("ktp")
    ws = await connect(server.ws_url)
    token = op["Authorization"].removeprefix("Bearer ")
    await ws.send(json.dumps({"type": "hello", "role": "counter", "site": "tegal", "counter": "1", "token": token}))
    kiosk, _ = await kiosk_hello(server.ws_url, KIOSK)
    async with ws, kiosk:
        assert json.loads(await ws.recv())["type"] == "welcome"
        r = await pause(server, sup, service="ktp", reason="Blangko habis", until="13:00")
        assert r.status_code == 200, r.text
        expected = {"reason": "Blangko habis", "since": PAUSED_AT, "until": UNTIL}
        assert r.json()["paused"]["ktp"] == expected, r.json()
        event = await next_frame(ws, lambda f: f["type"] == "service.paused")
        (told,) = event["data"]["pauses"]
        assert (told["since"], told["until"], told["day"]) == (PAUSED_AT, UNTIL, "2026-11-23"), told
        assert event["at"].endswith("+08:00"), event["at"]
        notice = await next_frame(kiosk, lambda f: f["type"] == "kiosk" and f["data"]["services"]["ktp"]["paused"])
        assert notice["data"]["services"]["ktp"]["paused"] == expected
    waits = (await server.http.get("/api/v1/sites/tegal/waits")).json()["services"]
    assert waits["ktp"]["paused"] == expected
    status = (await server.http.get(waiting["status_url"])).json()
    assert status["issuing_paused"] == expected
    state = (await server.http.get("/api/v1/sites/tegal/state", headers=sup)).json()
    assert state["issuing_paused"]["ktp"] == expected
    slots = await server.http.get("/api/v1/sites/tegal/bookings/slots", params={"service": "ktp", "day": "2026-11-23"})
    assert slots.json()["paused"] == expected
    taken = await server.http.post("/api/v1/sites/tegal/tickets", json={"service": "ktp"},
                                   headers={"Authorization": f"Bearer {KIOSK}"})  # fmt: skip
    error = taken.json()["error"]
    assert "pukul 13.00" in error["message"] and error["details"]["until"] == UNTIL, error


async def test_the_pages_say_a_pause_s_expected_time_in_the_mall_s_time(server: Server, browser: Browser) -> None:
    """The kiosk's tile, a waiting citizen's phone, the front-office desk, the counter page and the dashboard, each
    in a browser on WIB: "13.00", the mall's, never the browser's 12.00 or UTC's 05.00."""
    waiting = await server.issue("ktp")
    sup = await server.login("supervisor")
    assert (await pause(server, sup, service="ktp", reason="Blangko habis", until="13:00")).status_code == 200
    context = await in_wib(browser)
    try:
        kiosk, kiosk_errors = await page_of(context, f"{server.url}/kiosk/tegal#token={KIOSK}")
        await until(kiosk, "() => document.body.dataset.ready === 'true'")
        await kiosk.click(".k-agency[data-agency='disdukcapil']")
        tile = kiosk.locator(".k-service[data-service='ktp'] .k-wait")
        await expect(tile).to_have_text(KTP_TILE, timeout=WAIT_MS)

        phone, phone_errors = await page_of(context, f"{server.url}/t/{waiting['ticket']['token']}")
        await expect(phone.locator("#paused")).to_have_text(
            "Pengambilan nomor baru untuk layanan ini sementara berhenti: Blangko habis. Perkiraan dibuka kembali "
            "pukul 13.00. Nomor Anda tetap berlaku dan tetap dipanggil.",
            timeout=WAIT_MS,
        )

        desk, desk_errors = await page_of(context, f"{server.url}/desk/tegal")
        await signed_in_desk(desk)
        await expect(desk.locator(KTP_WHY)).to_have_text(KTP_TILE, timeout=WAIT_MS)

        counter, counter_errors = await page_of(context, f"{server.url}/counter/tegal/1")
        await sign_in(counter)
        await connected(counter)
        await expect(counter.locator("#issuing-paused")).to_have_text(
            "Pengambilan nomor KTP Elektronik dihentikan: Blangko habis. Perkiraan dibuka kembali pukul 13.00. Yang "
            "sudah menunggu tetap dipanggil.",
            timeout=WAIT_MS,
        )

        dashboard, dashboard_errors = await page_of(context, f"{server.url}/supervisor/tegal")
        await dashboard.fill("input[name=username]", "supervisor")
        await dashboard.fill("input[name=password]", "demo-supervisor")
        await dashboard.click("#login-form button[type=submit]")
        note = dashboard.locator("#services tr[data-service='ktp'] .paused-text")
        await expect(note).to_have_text("Berhenti: Blangko habis · perkiraan dibuka pukul 13.00", timeout=WAIT_MS)
        # 12.30 in Makassar is 11.30 in the browser's WIB: the expected time is not yet past there either
        server.clock.advance(hours=2, minutes=30)
        await dashboard.reload()
        await expect(note).to_have_text("Berhenti: Blangko habis · perkiraan dibuka pukul 13.00", timeout=WAIT_MS)
        # 13.10 in Makassar (12.10 WIB): past, said so, by the mall's clock and not the browser's
        server.clock.advance(minutes=40)
        await expect(note).to_have_text(
            "Berhenti: Blangko habis · perkiraan dibuka pukul 13.00, sudah lewat", timeout=WAIT_MS
        )
        assert not (kiosk_errors or phone_errors or desk_errors or counter_errors or dashboard_errors)
    finally:
        await context.close()
