"""A service's issuing paused, said where citizens and staff still met it unwarned: the kiosk's agency tile when all
its services are paused, the booking page's slots of today (not offered, with why), the transfer into a paused
service (accepted, but the answer and the counter's dialog say it) and the front-office desk's issue button (held
while the day is closed). A real server, the real HTTP client and Chromium."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, expect

from .display_support import WAIT_MS
from .helpers import KIOSK, Server, running_server
from .test_accessibility import need_axe, violations
from .test_citizen_kiosk_live import HOUR
from .test_citizen_support import bounded, fast, shot, text, until
from .test_counter_web import connected, sign_in
from .test_day import close as close_day
from .test_desk_live import signed_in_desk
from .test_issuing_pause import pause, resume
from .test_paused_where_staff_look import staff_page

MONDAY = "2026-11-23"  # the test clock's day (09.00 in Tegal)
TUESDAY = "2026-11-24"


async def slots(server: Server, service: str = "ktp", day: str = MONDAY) -> Any:
    return await server.http.get("/api/v1/sites/tegal/bookings/slots", params={"service": service, "day": day})


async def test_todays_slots_of_a_paused_service_are_not_offered_and_the_answer_says_why(server: Server) -> None:
    before = (await slots(server)).json()
    assert before["paused"] is None and any(s["available"] > 0 for s in before["slots"])
    sup = await server.login("supervisor")
    assert (await pause(server, sup, service="ktp", reason="Blangko habis", until="13:00")).status_code == 200
    today = (await slots(server)).json()
    assert today["slots"] == [], "no slot of today offered"
    assert today["paused"]["reason"] == "Blangko habis" and today["paused"]["until"] == "2026-11-23T13:00:00+07:00"
    tomorrow = (await slots(server, day=TUESDAY)).json()
    assert tomorrow["paused"] is None and any(s["available"] > 0 for s in tomorrow["slots"]), "other days stay"
    other = (await slots(server, service="kk")).json()
    assert other["paused"] is None and other["slots"], "another service of the agency is not paused"
    # an expected time past is not said, as the kiosk leaves it out
    server.clock.advance(hours=5)
    assert (await slots(server)).json()["paused"] == {"reason": "Blangko habis", "since": today["paused"]["since"],
                                                       "until": None}  # fmt: skip
    assert (await resume(server, sup, service="ktp")).status_code == 200
    again = (await slots(server)).json()
    assert again["paused"] is None and any(s["available"] > 0 for s in again["slots"])


async def test_the_slots_of_a_bad_day_or_service_are_refused_with_a_message(server: Server) -> None:
    sup = await server.login("supervisor")
    assert (await pause(server, sup, service="ktp", reason="Blangko habis")).status_code == 200
    for day in ("23-11-2026", "2026-13-01", ""):
        r = await slots(server, day=day)
        assert r.status_code == 422, (day, r.text)
        assert r.json()["error"]["details"]["field"] == "day" and r.json()["error"]["message"]
    r = await slots(server, service="nope")
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_service", r.text


async def test_a_transfer_into_a_paused_service_is_accepted_and_its_answer_says_so(server: Server) -> None:
    sup = await server.login("supervisor")
    op = await server.login("op-disdukcapil")
    assert (await server.command(op, "1", "open")).status_code == 200
    await server.issue("ktp")
    await server.issue("ktp")
    assert (await server.command(op, "1", "call_next")).status_code == 200
    assert (await pause(server, sup, service="kk", reason="Gangguan jaringan/sistem pusat")).status_code == 200
    moved = await server.command(op, "1", "transfer", target_service="kk")
    assert moved.status_code == 200, moved.text
    assert moved.json()["target_paused"]["reason"] == "Gangguan jaringan/sistem pusat"
    assert moved.json()["events"] == ["ticket.transferred"], "accepted: a citizen in the mall is still served"
    # the dashboard's transfer of a waiting ticket (POST .../tickets/{id}/actions) says it the same way
    waiting = (await server.issue("ktp"))["ticket"]
    r = await server.http.post(f"/api/v1/sites/tegal/tickets/{waiting['id']}/actions",
                               json={"action": "transfer", "target_service": "kk"}, headers=sup)  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["target_paused"]["reason"] == "Gangguan jaringan/sistem pusat"
    assert (await resume(server, sup, service="kk")).status_code == 200
    assert (await server.command(op, "1", "call_next")).status_code == 200
    plain = await server.command(op, "1", "transfer", target_service="kk")
    assert plain.status_code == 200 and plain.json()["target_paused"] is None, plain.text
    # a command that moves no ticket carries no such field
    assert "target_paused" not in (await server.command(op, "1", "call_next")).json()


SAMSAT = ".k-agency[data-agency='samsat']"
# Whether a tile's short name and its paused line are each shown whole inside it (neither cut by its edges).
FITS = """tile => { const t = tile.getBoundingClientRect();
  return [".k-tile-main", ".k-wait"].map((s) => { const r = tile.querySelector(s).getBoundingClientRect();
    return r.height > 0 && r.top >= t.top - 1 && r.left >= t.left - 1 && r.right <= t.right + 1 && r.bottom <= t.bottom + 1; }); }"""


@pytest.mark.sqlite_only
@bounded(120)
async def test_the_kiosk_says_an_agency_all_paused_on_its_own_tile(
    server: Server, browser: Browser, tmp_path: Path
) -> None:
    need_axe()
    sup = await server.login("supervisor")
    # The Content-Security-Policy forbids inline scripts; axe is injected by the test, not the page.
    context = await browser.new_context(viewport={"width": 1920, "height": 1080}, bypass_csp=True, locale="id-ID")
    try:
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        await page.goto(f"{server.url}/kiosk/tegal#token={KIOSK}")
        await until(page, "() => document.body.dataset.ready === 'true' && window.__kiosk.live", timeout_ms=30_000)
        # Samsat: both its services, one reason; BPN: both, two reasons; Polres: one of two (its tile unchanged).
        r = await pause(server, sup, agency="samsat", reason="Gangguan jaringan/sistem pusat", until="13:00")
        assert r.status_code == 200, r.text
        assert (await pause(server, sup, service="sertifikat", reason="Blangko habis")).status_code == 200
        assert (await pause(server, sup, service="info_tanah", reason="Petugas sedang rapat")).status_code == 200
        assert (await pause(server, sup, service="skck", reason="Blangko habis")).status_code == 200
        # pushed over the kiosk's socket: no tap, no reload
        await until(page, f'() => document.querySelector("{SAMSAT}").disabled', timeout_ms=30_000)
        await until(page, "() => document.querySelector(\".k-agency[data-agency='bpn']\").disabled", timeout_ms=30_000)
        assert await text(page, f"{SAMSAT} .k-wait") == "Sementara berhenti: Gangguan jaringan/sistem pusat"
        assert await text(page, ".k-agency[data-agency='bpn'] .k-wait") == "Sementara berhenti"
        assert await text(page, f"{SAMSAT} .k-tile-main") == "Samsat", "the agency is still named"
        polres = ".k-agency[data-agency='polres']"
        assert not await page.is_disabled(polres)
        assert await page.locator(f"{polres} .k-wait:visible").count() == 0, "one paused of two: unchanged"
        assert await page.locator(".k-agency.k-paused").count() == 2
        # Large type and high contrast, at a kiosk's usual sizes: the name and the words stay whole inside the tile.
        for mode in ("large", "contrast"):
            await page.click(f"[data-mode='{mode}']")
        for width, height in ((1920, 1080), (1366, 768), (1024, 768), (1080, 1920)):
            await page.set_viewport_size({"width": width, "height": height})
            for tile in (SAMSAT, ".k-agency[data-agency='bpn']"):
                inside = await page.eval_on_selector(tile, FITS)
                assert inside == [True, True], (width, height, tile, inside)
        await page.set_viewport_size({"width": 1920, "height": 1080})
        await page.screenshot(path=tmp_path / "kiosk-agency-paused.png")
        shot(tmp_path / "kiosk-agency-paused.png")
        assert await violations(page) == []
        for mode in ("large", "contrast"):
            await page.click(f"[data-mode='{mode}']")
        await page.click("#lang")
        assert await text(page, f"{SAMSAT} .k-wait") == "Paused for now: Gangguan jaringan/sistem pusat"
        assert await text(page, ".k-agency[data-agency='bpn'] .k-wait") == "Paused for now"
        await page.click("#lang")
        # One of Samsat's services resumed: its tile works again at once, and leads to its services.
        assert (await resume(server, sup, service="stnk")).status_code == 200
        await until(page, f'() => !document.querySelector("{SAMSAT}").disabled', timeout_ms=30_000)
        assert await page.locator(f"{SAMSAT} .k-wait:visible").count() == 0
        await page.click(SAMSAT)
        await until(page, "() => window.__kiosk.screen === 'services'")
        # its other service still paused (the tiles' line is read as the agency is chosen)
        await until(page, "() => document.querySelector(\".k-service[data-service='pkb']\").disabled")
        assert not await page.is_disabled(".k-service[data-service='stnk']")
        assert not errors, errors
    finally:
        await context.close()


@pytest.mark.sqlite_only
@bounded(120)
async def test_the_booking_page_offers_no_slot_of_today_for_a_paused_service_and_says_why(
    server: Server, browser: Browser, tmp_path: Path
) -> None:
    need_axe()
    sup = await server.login("supervisor")
    assert (await pause(server, sup, service="ktp", reason="Blangko habis")).status_code == 200
    context = await browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True, locale="id-ID")
    try:
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        await page.goto(f"{server.url}/booking/tegal")
        await page.check("input[name=service][value=ktp]")
        await page.check(f"input[name=day][value='{MONDAY}']")
        paused = page.locator("#slots-paused")
        await expect(paused).to_have_text(
            "Pemesanan untuk hari ini sementara berhenti: Blangko habis. Hari lain tetap dapat dipesan; silakan pilih "
            "tanggal lain.",
            timeout=WAIT_MS,
        )
        assert await page.locator("#slots .b-slot").count() == 0, "no slot of today offered"
        assert await page.is_hidden("#slots-none"), "said once, with why, not as 'no times'"
        await page.screenshot(path=tmp_path / "booking-paused-today.png")
        shot(tmp_path / "booking-paused-today.png")
        assert await violations(page) == []
        await page.click("#lang")
        await expect(paused).to_have_text(
            "Booking for today is paused for now: Blangko habis. Other days can still be booked; please choose "
            "another date.",
            timeout=WAIT_MS,
        )
        # another day: its slots, as before
        await page.check(f"input[name=day][value='{TUESDAY}']")
        await expect(paused).to_be_hidden(timeout=WAIT_MS)
        await expect(page.locator("#slots .b-slot:not(.is-full)").first).to_be_visible(timeout=WAIT_MS)
        # another service today: its slots, as before
        await page.check("input[name=service][value=kk]")
        await page.check(f"input[name=day][value='{MONDAY}']")
        await expect(page.locator("#slots .b-slot:not(.is-full)").first).to_be_visible(timeout=WAIT_MS)
        assert await page.is_hidden("#slots-paused")
        assert not errors, errors
    finally:
        await context.close()


@pytest.mark.sqlite_only
@bounded(120)
async def test_the_transfer_dialog_says_a_target_is_paused_before_the_operator_confirms(
    server: Server, browser: Browser, tmp_path: Path
) -> None:
    need_axe()
    sup = await server.login("supervisor")
    await server.issue("ktp")
    assert (await pause(server, sup, service="kk", reason="Blangko habis", until="13:00")).status_code == 200
    context, page, errors = await staff_page(browser, f"{server.url}/counter/tegal/1")  # Loket 1: KTP Elektronik
    try:
        await sign_in(page)
        await connected(page)
        await page.click("#btn-pause")  # opens the counter
        await expect(page.locator("#counter-state")).to_have_text("BUKA")
        await page.evaluate("() => document.activeElement.blur()")
        await page.keyboard.press("Enter")
        await expect(page.locator("#message")).to_have_text("Memanggil A-001.")
        await page.keyboard.press("/")
        dialog = page.locator("#transfer-dialog")
        await expect(dialog).to_be_visible()
        kk = page.locator("#transfer-target option[value=kk]")
        assert await kk.text_content() == "Kartu Keluarga (B) — sementara berhenti"
        assert (
            await page.locator("#transfer-target option[value=akta]").text_content()
            == "Akta Kelahiran dan Kematian (C)"
        )
        line = page.locator("#transfer-paused")
        await expect(line).to_be_hidden()
        await page.select_option("#transfer-target", "kk")
        await expect(line).to_have_text(
            "Pengambilan nomor Kartu Keluarga sementara berhenti: Blangko habis. Perkiraan dibuka kembali pukul 13.00. "
            "Tiket yang dialihkan ke sana tetap menunggu dan dapat dipanggil."
        )
        await page.screenshot(path=tmp_path / "counter-transfer-paused.png")
        shot(tmp_path / "counter-transfer-paused.png")
        assert await violations(page) == []
        # resumed while the dialog is open: said at once; paused again: said again
        assert (await resume(server, sup, service="kk")).status_code == 200
        await expect(line).to_be_hidden(timeout=WAIT_MS)
        await expect(kk).to_have_text("Kartu Keluarga (B)")
        assert (await pause(server, sup, service="kk", reason="Petugas sedang rapat")).status_code == 200
        await expect(line).to_contain_text("Petugas sedang rapat", timeout=WAIT_MS)
        # in English too (the dialog is modal: cancelled, the language switched, opened again)
        english = (
            "Issuing of Kartu Keluarga tickets is paused for now: Petugas sedang rapat. A ticket transferred there "
            "still waits and can be called."
        )
        for lang, said in (("en", english), ("id", None)):
            await page.click("#transfer-cancel")
            await page.click(f"[data-lang={lang}]")
            await page.evaluate("() => document.activeElement.blur()")
            await page.keyboard.press("/")
            await expect(dialog).to_be_visible()
            await page.select_option("#transfer-target", "kk")
            if said:
                await expect(line).to_have_text(said)
        # confirmed: accepted, and the answer says where it went and that the line there is paused
        await page.click("#transfer-send")
        await expect(dialog).to_be_hidden(timeout=WAIT_MS)
        await expect(page.locator("#message")).to_have_text(
            "A-001 dialihkan ke Kartu Keluarga. Pengambilan nomor baru di sana sementara berhenti (Petugas sedang "
            "rapat); tiket ini tetap menunggu dan dapat dipanggil.",
            timeout=WAIT_MS,
        )
        assert any(t.service == "kk" for t in server.ctx.state("tegal").tickets.values())
        assert not errors, errors
    finally:
        await context.close()


@pytest.mark.sqlite_only
@bounded(120)
async def test_the_desk_holds_its_issue_button_while_the_day_is_closed_and_releases_it_on_reopening(
    server: Server, browser: Browser, tmp_path: Path
) -> None:
    need_axe()
    fast(server, desk_poll_seconds=HOUR)  # the socket says it, not the poll
    sup = await server.login("supervisor")
    context, page, errors = await staff_page(browser, f"{server.url}/desk/tegal")
    try:
        await signed_in_desk(page)
        await until(page, "() => window.__desk.live", timeout_ms=30_000)
        button, held = page.locator("#issue-button"), page.locator("#issue-held")
        await expect(button).to_be_enabled()
        await expect(held).to_be_hidden()
        closed = await close_day(server, sup, reason="Gangguan listrik")
        assert closed.status_code == 200, closed.text
        await expect(button).to_be_disabled(timeout=WAIT_MS)
        said = await text(page, "#issue-held")
        assert said.startswith("Pelayanan MPP Kabupaten Tegal tutup hari ini: Gangguan listrik."), said
        assert await button.get_attribute("aria-describedby") == "issue-held"
        # Enter in a field does not send it either: nothing issued, nothing refused
        await page.check("input[name=service][value=ktp]")
        await page.focus("input[name=service][value=ktp]")
        await page.keyboard.press("Enter")
        assert await page.is_hidden("#issued") and await page.is_hidden("#issue-error")
        await page.screenshot(path=tmp_path / "desk-day-closed.png")
        shot(tmp_path / "desk-day-closed.png")
        assert await violations(page) == []
        await page.click("#lang")
        said = await text(page, "#issue-held")
        assert said.startswith("Service at MPP Kabupaten Tegal has closed for today: Gangguan listrik."), said
        await page.click("#lang")
        reopened = await server.http.post("/api/v1/sites/tegal/reopen-day", json={}, headers=sup)
        assert reopened.status_code == 200, reopened.text
        await expect(button).to_be_enabled(timeout=WAIT_MS)
        await expect(held).to_be_hidden()
        await button.click()
        await expect(page.locator("#issued")).to_be_visible(timeout=WAIT_MS)
        assert await text(page, "#d-label") == "A-001"
        assert not errors, errors
    finally:
        await context.close()


@pytest.mark.sqlite_only
@bounded(120)
async def test_the_dashboards_transfer_says_a_target_is_paused_before_it_is_confirmed(
    database: Path | str, browser: Browser, tmp_path: Path
) -> None:
    need_axe()
    async with running_server(database, dashboard_seconds=0.3) as server:
        waiting = (await server.issue("ktp"))["ticket"]
        sup = await server.login("supervisor")
        assert (await pause(server, sup, service="kk", reason="Blangko habis")).status_code == 200
        context, page, errors = await staff_page(browser, f"{server.url}/supervisor/tegal")
        try:
            await page.fill("input[name=username]", "supervisor")
            await page.fill("input[name=password]", "demo-supervisor")
            await page.click("#login-form button[type=submit]")
            await until(page, "() => !document.getElementById('actions').hidden", timeout_ms=30_000)
            await page.click("[data-dialog=dlg-ticket]")
            await page.fill("#dlg-ticket input[name=ticket]", waiting["label"])
            await page.select_option("#dlg-ticket select[name=action]", "transfer")
            kk = page.locator("#dlg-ticket select[name=target_service] option[value=kk]")
            await expect(kk).to_have_text("B · Kartu Keluarga — berhenti", timeout=WAIT_MS)
            line = page.locator("#dlg-ticket-paused")
            await page.select_option("#dlg-ticket select[name=target_service]", "akta")
            await expect(line).to_be_hidden()
            await page.select_option("#dlg-ticket select[name=target_service]", "kk")
            await expect(line).to_have_text(
                "Pengambilan nomor Kartu Keluarga sementara berhenti: Blangko habis. Tiket yang dipindahkan ke sana "
                "tetap menunggu dan dapat dipanggil."
            )
            await page.screenshot(path=tmp_path / "dashboard-transfer-paused.png")
            shot(tmp_path / "dashboard-transfer-paused.png")
            assert await violations(page) == []
            # resumed while the dialog is open: the figures say it, and the line goes
            assert (await resume(server, sup, service="kk")).status_code == 200
            await expect(line).to_be_hidden(timeout=WAIT_MS)
            await expect(kk).to_have_text("B · Kartu Keluarga")
            assert not errors, errors
        finally:
            await context.close()
