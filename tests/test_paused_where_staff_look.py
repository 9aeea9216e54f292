"""A service's issuing paused and a closed day's reason, where staff and citizens look that the first pages did not:
the counter page of a counter serving the paused service (live from its websocket, gone on resume, and from the
snapshot after a reload), the front-office desk's list of services (marked with why, not offered as if it worked),
and a booking's status page on a day a supervisor closed with a reason. A real server, Chromium and axe."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.async_api import Browser, Page, expect

from .display_support import WAIT_MS, until
from .helpers import Server
from .test_accessibility import need_axe, violations
from .test_citizen_support import shot, text
from .test_counter_web import connected, sign_in
from .test_issuing_pause import pause, resume, take

KTP_PAUSED = (
    "Pengambilan nomor KTP Elektronik dihentikan: Blangko habis. Perkiraan dibuka kembali pukul 13.00. Yang sudah menunggu "
    "tetap dipanggil."
)


async def staff_page(browser: Browser, url: str) -> tuple[Any, Page, list[str]]:
    # The pages' Content-Security-Policy forbids inline scripts; axe is injected by the test, not the page.
    context = await browser.new_context(viewport={"width": 1366, "height": 768}, bypass_csp=True, locale="id-ID")
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(url)
    return context, page, errors


async def test_the_counter_page_says_its_service_is_paused_and_why_until_it_is_resumed(
    server: Server, browser: Browser, tmp_path: Path
) -> None:
    need_axe()
    sup = await server.login("supervisor")
    await server.issue("ktp")
    context, page, errors = await staff_page(browser, f"{server.url}/counter/tegal/1")  # Loket 1 serves KTP Elektronik
    try:
        await sign_in(page)
        await connected(page)
        notice = page.locator("#issuing-paused")
        await expect(notice).to_have_text("")
        # another service's pause (Kartu Keluarga, not served here) is not this counter's news
        assert (await pause(server, sup, service="kk", reason="Gangguan jaringan/sistem pusat")).status_code == 200
        assert (await pause(server, sup, service="ktp", reason="Blangko habis", until="13:00")).status_code == 200
        await expect(notice).to_have_text(KTP_PAUSED, timeout=WAIT_MS)  # pushed: service.paused
        assert await page.get_attribute("#waiting li[data-service='ktp']", "class") == "paused"
        assert await text(page, "#waiting li[data-service='ktp'] strong") == "1", "the line still stands"
        await page.screenshot(path=tmp_path / "counter-paused.png")
        shot(tmp_path / "counter-paused.png")
        assert await violations(page) == []
        await page.click("[data-lang=en]")
        await expect(notice).to_have_text(
            "Issuing of KTP Elektronik tickets is paused: Blangko habis. Expected to resume at 13:00. Those already "
            "waiting are still called."
        )
        await page.click("[data-lang=id]")
        await page.reload()  # from the snapshot's issuing_paused, after a reload (the session stays in the tab)
        await connected(page)
        await expect(notice).to_have_text(KTP_PAUSED, timeout=WAIT_MS)
        # 13.00 gone by and nobody resumed: still said, as past (it used to read as if still expected)
        server.clock.advance(hours=4, minutes=30)  # 13.30
        await page.reload()  # the page's clock is the server's, as its snapshot says it
        await connected(page)
        await expect(notice).to_have_text(KTP_PAUSED.replace("13.00.", "13.00, sudah lewat."), timeout=WAIT_MS)
        await page.click("[data-lang=en]")
        await expect(notice).to_have_text(
            "Issuing of KTP Elektronik tickets is paused: Blangko habis. Expected to resume at 13:00, now past. Those "
            "already waiting are still called."
        )
        await page.click("[data-lang=id]")
        assert (await resume(server, sup, service="ktp")).status_code == 200
        await expect(notice).to_have_text("", timeout=WAIT_MS)  # pushed: service.resumed
        assert await page.get_attribute("#waiting li[data-service='ktp']", "class") in ("", None)
        assert not errors, errors
    finally:
        await context.close()


async def test_the_desk_marks_a_paused_service_with_why_and_does_not_offer_it(
    server: Server, browser: Browser, tmp_path: Path
) -> None:
    need_axe()
    sup = await server.login("supervisor")
    assert (await pause(server, sup, service="ktp", reason="Blangko habis", until="13:00")).status_code == 200
    context, page, errors = await staff_page(browser, f"{server.url}/desk/tegal")
    try:
        await page.fill("input[name=username]", "op-disdukcapil")
        await page.fill("input[name=password]", "demo-operator")
        await page.click("#login button[type=submit]")
        await page.wait_for_selector("#issue", state="visible")  # signed in: the services to issue for
        ktp, kk = "input[name=service][value=ktp]", "input[name=service][value=kk]"
        await until(page, f"() => document.querySelector('{ktp}').disabled")
        choice = ".d-choice:has(input[value=ktp])"
        assert (
            await text(page, f"{choice} .d-paused")
            == "Sementara berhenti: Blangko habis. Perkiraan dibuka kembali pukul 13.00"
        )
        await page.screenshot(path=tmp_path / "desk-paused.png")
        shot(tmp_path / "desk-paused.png")
        assert await violations(page) == []
        await page.click("#lang")
        assert await text(page, f"{choice} .d-paused") == "Paused for now: Blangko habis. Expected to resume at 13:00"
        await page.click("#lang")
        # resumed: re-read when staff pick a service, and it can be chosen and issued again
        assert (await resume(server, sup, service="ktp")).status_code == 200
        await page.check(kk)
        await until(page, f"() => !document.querySelector('{ktp}').disabled")
        assert await page.locator(f"{choice} .d-paused").count() == 0
        # chosen, then paused before it is issued: refused with the server's sentence, then marked and unchecked
        await page.check(ktp)
        assert (await pause(server, sup, service="ktp", reason="Blangko habis")).status_code == 200
        await page.click("#issue-button")
        await until(page, f"() => document.querySelector('{ktp}').disabled")
        assert not await page.is_checked(ktp)
        assert "Blangko habis" in await text(page, "#issue-error")
        # chosen, then paused, and read by the desk's own poll first: unchecked and said
        assert (await resume(server, sup, service="ktp")).status_code == 200
        await page.check(kk)
        await until(page, f"() => !document.querySelector('{ktp}').disabled")
        await page.check(ktp)
        await page.evaluate("() => { document.getElementById('issue-error').hidden = true; }")
        assert (await pause(server, sup, service="ktp", reason="Blangko habis")).status_code == 200
        await until(page, f"() => document.querySelector('{ktp}').disabled", timeout_ms=40_000)  # the 15 s poll
        assert not await page.is_checked(ktp)
        assert await text(page, "#issue-error") == "A · KTP Elektronik — Sementara berhenti: Blangko habis"
        assert (await take(server, "kk")).status_code == 201, "other services issue as before"
        assert not errors, errors
    finally:
        await context.close()


async def test_a_booking_of_a_day_the_supervisor_closed_says_why_on_its_status_page(
    server: Server, browser: Browser, tmp_path: Path
) -> None:
    need_axe()
    r = await server.http.post("/api/v1/sites/tegal/bookings", json={
        "service": "ktp", "day": "2026-11-23", "slot": "14:00", "nik": "3328014101900001", "phone": "0812-3400-7890"})  # fmt: skip
    assert r.status_code == 201, r.text
    code = r.json()["booking"]["code"]
    sup = await server.login("supervisor")
    closed = await server.http.post("/api/v1/sites/tegal/close-day", json={"reason": "Gangguan listrik"}, headers=sup)
    assert closed.status_code == 200, closed.text
    context, page, errors = await staff_page(browser, f"{server.url}/b/{code}")
    try:
        assert await text(page, "#s-state") == "Terjadwal"
        assert await text(page, "#s-day-closed") == (
            "Pelayanan MPP hari ini sudah ditutup: Gangguan listrik. Pemesanan ini tidak dapat dipakai untuk lapor "
            "hadir hari ini."
        )
        assert await page.is_visible("#s-closed a[href='/booking/tegal']"), "where to book again"
        assert await page.is_hidden("#s-qr"), "no QR to check in with today"
        assert await page.is_hidden("#s-window"), "nor a check-in window"
        await page.screenshot(path=tmp_path / "booking-day-closed.png", full_page=True)
        shot(tmp_path / "booking-day-closed.png")
        assert await violations(page) == []
        await page.click("#lang")
        assert await text(page, "#s-day-closed") == (
            "The mall has closed for today: Gangguan listrik. This booking cannot be used to check in today."
        )
        assert not errors, errors
    finally:
        await context.close()
