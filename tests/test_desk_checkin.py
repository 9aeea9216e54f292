"""A citizen who booked online checked in at the front-office desk by their booking code, as at the kiosk: the desk
had no way to, and gave them an ordinary ticket that lost the booking's place. The booking's ticket is shown and
printed as an issued one is, and says which booking it came from; each refusal is the server's sentence and then what
staff do next, in Indonesian and in English. A real server (two malls where a booking of the other is met), the real
HTTP client and Debian's Chromium, with axe-core."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

from playwright.async_api import Browser, Page

from queue_server.application.demo import DEMO_PASSWORD
from queue_server.settings.sitefile import DEMO_SITE

from .helpers import KIOSK, Server, bearer, running_server
from .test_accessibility import need_axe, violations
from .test_citizen_support import RECORDERS, bounded, chromium, shot, text, until
from .test_national import brebes_site

MONDAY = "2026-11-23"  # the test clock's day: 09.00 in Tegal
WAIT = 30_000  # ms: what a page is given to show what it was asked (the machine is shared)


async def book(server: Server, n: int, slot: str) -> str:
    """A KTP booking of today (Monday) at `slot`, by citizen n; its code."""
    r = await server.http.post("/api/v1/sites/tegal/bookings", json={
        "service": "ktp", "day": MONDAY, "slot": slot, "nik": f"332801410190{n:04d}", "phone": f"0812-34{n:02d}-7890"})  # fmt: skip
    assert r.status_code == 201, r.text
    return r.json()["booking"]["code"]  # type: ignore[no-any-return]


async def booking_state(server: Server, code: str) -> str:
    r = await server.http.get(f"/api/v1/bookings/{code}")
    assert r.status_code == 200, r.text
    return r.json()["booking"]["state"]  # type: ignore[no-any-return]


@asynccontextmanager
async def desk(
    browser: Browser, server: Server, site: str = "tegal", user: str = "op-disdukcapil"
) -> AsyncIterator[Page]:
    """The desk signed in, its print recorded (window.__printed); axe may be injected (the page's CSP allows no inline
    script); an error on the page fails the test."""
    context = await browser.new_context(viewport={"width": 1366, "height": 900}, bypass_csp=True, locale="id-ID")
    try:
        await context.add_init_script(RECORDERS)
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        await page.goto(f"{server.url}/desk/{site}")
        assert await page.is_hidden("#checkin-form"), "not before signing in"
        await page.fill("#login [name=username]", user)
        role = "admin" if user == "admin" else "operator"
        await page.fill("#login [name=password]", DEMO_PASSWORD[role])
        await page.click("#login [type=submit]")
        await until(page, "() => !document.getElementById('checkin-form').hidden", timeout_ms=WAIT)
        yield page
        assert not errors, errors
    finally:
        await context.close()


async def check_in(page: Page, typed: str, label: str = "Kode pemesanan") -> None:
    """Typed in the booking code's field and sent with Enter, as staff do at a keyboard. The field is found by its
    label, as a screen reader finds it."""
    field = page.get_by_role("textbox", name=label, exact=True)
    await field.fill(typed)
    await field.press("Enter")


async def refused(page: Page, typed: str, label: str = "Kode pemesanan") -> str:
    await check_in(page, typed, label)
    await until(page, "() => !document.getElementById('checkin-error').hidden", timeout_ms=WAIT)
    return await text(page, "#checkin-error")


@bounded(150)
async def test_a_booking_is_checked_in_at_the_desk_shown_and_printed_as_an_issued_ticket(
    server: Server, tmp_path: Path
) -> None:
    need_axe()
    code = await book(server, 1, "09:30")  # check-in opens at 09.00: now
    async with chromium() as browser, desk(browser, server) as page:
        # The keyboard alone reaches the field (before the services: a few Tabs from the top), and Enter sends it;
        # typed as a citizen reads it out: lower case, a space for the dash.
        await page.evaluate("() => document.activeElement.blur()")
        for _ in range(8):
            await page.keyboard.press("Tab")
            if await page.evaluate("() => document.activeElement.id") == "checkin-code":
                break
        assert await page.evaluate("() => document.activeElement.id") == "checkin-code"
        await page.keyboard.type(code.lower().replace("-", " "))
        await page.keyboard.press("Enter")
        await until(page, "() => !document.getElementById('issued').hidden", timeout_ms=WAIT)
        label = await text(page, "#d-label")
        assert label.startswith("A-"), label
        assert await text(page, "#d-issued-line") == "Lapor hadir berhasil: tiket pemesanan diterbitkan"
        assert (await text(page, "#d-service")).startswith("KTP Elektronik · ")
        assert await text(page, "#d-priority") == "Bukan prioritas", "the group it carries: none chosen"
        assert await text(page, "#d-booking") == f"Dari pemesanan {code}, jadwal 09.30–10.00"
        assert (await text(page, "#d-wait")).startswith("Di depan Anda: 0 orang · Perkiraan tunggu: ")
        assert await page.input_value("#checkin-code") == "", "the field is ready for the next citizen"
        await until(page, "() => window.__printed === 1", timeout_ms=WAIT)
        slip = await page.frame_locator("#print-frame").locator("body").inner_text()
        assert label in slip and f"Pemesanan {code}" in slip, slip
        assert await violations(page) == []
        await page.screenshot(path=tmp_path / "desk-checked-in.png")
        shot(tmp_path / "desk-checked-in.png")

        # the booking is checked in, its ticket the one shown (an `online` one: it came from the booking)
        assert await booking_state(server, code) == "checked_in"
        admin = await server.login("admin")
        ticket = (await server.http.get(f"/api/v1/sites/tegal/tickets/{label}", headers=admin)).json()
        assert ticket["channel"] == "online" and ticket["state"] == "waiting", ticket

        # Checked in again (the slip jammed): the same ticket, said so, printed again; no second ticket.
        await check_in(page, code)
        await until(page, "() => window.__printed === 2", timeout_ms=WAIT)
        assert await text(page, "#d-label") == label
        said = "Pemesanan ini sudah lapor hadir sebelumnya: tiket yang sama dicetak lagi"
        assert await text(page, "#d-issued-line") == said
        assert len([t for t in server.ctx.state("tegal").tickets.values() if t.booked_slot]) == 1

        # In English, the ticket as it is shown
        await page.click("#lang")
        again = "This booking had already checked in: the same ticket is printed again"
        assert await text(page, "#d-issued-line") == again
        assert await text(page, "#d-booking") == f"From booking {code}, slot 09:30–10:00"
        assert await text(page, "#d-priority") == "Not priority"
        assert await page.get_by_role("button", name="Check in and print").is_visible()
        await page.click("#lang")

        # An ordinary ticket issued next says nothing of a booking, and shows the group staff chose for it, as they
        # name it in either language; the slip does not (a citizen's health or family is not printed).
        await page.check("input[name=service][value=ktp]")
        await page.locator("#issue").get_by_role("radio", name="Ibu hamil").check()
        await page.click("#issue-button")
        await until(page, "() => window.__printed === 3", timeout_ms=WAIT)
        assert await text(page, "#d-issued-line") == "Tiket diterbitkan"
        assert await page.is_hidden("#d-booking")
        assert await text(page, "#d-priority") == "Prioritas: Ibu hamil"
        slip = await page.frame_locator("#print-frame").locator("body").inner_text()
        assert "hamil" not in slip.lower() and "prioritas" not in slip.lower(), slip
        await page.click("#lang")
        assert await text(page, "#d-priority") == "Priority: Pregnant women"
        assert await violations(page) == []


@bounded(180)
async def test_each_refusal_at_the_desk_says_what_staff_do_next(tmp_path: Path) -> None:
    need_axe()
    async with running_server(tmp_path / "q.sqlite3", site_files=[DEMO_SITE, brebes_site(tmp_path)]) as server:
        early = await book(server, 1, "11:00")  # check-in opens at 10.30
        cancelled = await book(server, 2, "09:30")
        assert (await server.http.post(f"/api/v1/bookings/{cancelled}/cancel")).status_code == 200
        used = await book(server, 3, "09:30")  # checked in at the kiosk, then called
        r = await server.http.post(f"/api/v1/sites/tegal/bookings/{used}/check-in", headers=bearer(KIOSK))
        assert r.status_code == 201, r.text
        operator = await server.login("op-disdukcapil")
        assert (await server.command(operator, "1", "open")).status_code == 200
        called = await server.command(operator, "1", "call_next")
        assert called.json()["ticket"]["id"] == r.json()["ticket"]["id"], called.text
        late = await book(server, 4, "09:30")  # its check-in closes at 09.45

        async with chromium() as browser, desk(browser, server) as page:
            sent: list[str] = []
            page.on("request", lambda request: sent.append(request.url) if "/check-in" in request.url else None)
            # Not a code's form: said on the page, nothing asked of the server.
            for typed in ("", "   ", "BK-12345", "hello world", "x" * 40, "<script>alert(1)</script>"):
                said = await refused(page, typed)
                assert said == (
                    "Kode pemesanan adalah BK- dan 6 huruf atau angka, contoh: BK-7Q3M2X. "
                    "Periksa kode pada pesan WhatsApp/SMS atau halaman pemesanan warga."
                ), (typed, said)
            assert sent == []
            assert await page.get_attribute("#checkin-code", "aria-invalid") == "true"

            said = await refused(page, "BK-ZZZZZZ")
            assert said == (
                "Kode pemesanan 'BK-ZZZZZZ' tidak ditemukan. Periksa kode pada pesan WhatsApp/SMS atau halaman "
                "pemesanan warga, lalu ketik lagi. Bila tetap tidak ditemukan, terbitkan antrean biasa."
            ), said
            said = await refused(page, early)
            assert said == (
                f"Lapor hadir untuk pemesanan {early} dibuka Senin, 23 November 2026 pukul 10.30. "
                "Minta warga menunggu sampai waktu itu, lalu lapor hadir lagi di sini atau di kios."
            ), said
            said = await refused(page, cancelled)
            assert said == (
                f"Pemesanan {cancelled} sudah dibatalkan. "
                "Pemesanan ini tidak dapat dipakai lagi: terbitkan antrean biasa untuk warga ini."
            ), said
            said = await refused(page, used)
            assert said == (
                f"Pemesanan {used} sudah lapor hadir. Nomor antreannya sudah dipanggil atau tidak berlaku lagi. "
                "Bila warga terlewat panggilan, minta petugas layanannya memasukkannya kembali ke antrean; bila tidak, "
                "terbitkan antrean biasa."
            ), said
            assert await violations(page) == []
            await page.screenshot(path=tmp_path / "desk-checkin-refused.png")
            shot(tmp_path / "desk-checkin-refused.png")

            server.clock.advance(hours=1)  # 10.00: the late one's check-in closed at 09.45
            said = await refused(page, late)
            assert said == (
                f"Pemesanan {late} sudah dilepas karena melewati batas lapor hadir pukul 09.45. Silakan ambil "
                "antrean biasa. Terbitkan antrean biasa untuk warga ini: pilih layanannya di bawah."
            ), said
            # Switched to English: the refusal on the page is said again in English.
            await page.click("#lang")
            said = await text(page, "#checkin-error")
            assert said == (
                f"Booking {late} was released: check-in closed at 09:45. Please take a regular ticket. "
                "Issue a regular ticket for this citizen: choose the service below."
            ), said
            said = await refused(page, "BK-ZZZZZZ", label="Booking code")
            assert said == (
                "Booking code 'BK-ZZZZZZ' was not found. Check the code in the citizen's WhatsApp/SMS message or "
                "on their booking page and type it again. If it is still not found, issue a regular ticket."
            ), said
            assert len(sent) == 6, sent
            states = {c: await booking_state(server, c) for c in (early, cancelled, late)}
            assert states == {early: "booked", cancelled: "cancelled", late: "booked"}, "a refusal changed nothing"

        # At another mall of the server (Kabupaten Brebes): where the booking is for, and what to do here.
        async with chromium() as browser, desk(browser, server, site="brebes", user="admin") as page:
            said = await refused(page, early)
            assert said == (
                f"Pemesanan {early} terdaftar di MPP Kabupaten Tegal, bukan di MPP ini. Silakan lapor hadir di kios "
                "MPP Kabupaten Tegal. Bila warga ingin dilayani di MPP ini, terbitkan antrean biasa."
            ), said
        assert await booking_state(server, early) == "booked"


async def test_a_check_in_code_of_any_shape_is_refused_with_words_never_a_500(server: Server) -> None:
    """What a desk or another client may send as a code: a 4xx whose sentence a person can read, in both languages."""
    staff = await server.login("op-disdukcapil")
    for typed in (" ", "x" * 13, "x" * 3000, "BK-ZZZZZZ", "bk zzzzzz", "%", "%00", "🙂", "<b>", "'; drop table", "..."):
        url = f"/api/v1/sites/tegal/bookings/{quote(typed, safe='')}/check-in"
        r = await server.http.post(url, headers=staff)
        assert r.status_code == 404, (typed, r.status_code, r.text)
        error = r.json()["error"]
        assert error["code"] == "unknown_booking" and error["message"] and error["message_en"], (typed, error)
        assert len(error["message"]) < 80, "a long code is not said back in full"
    for path in ("/api/v1/sites/tegal/bookings//check-in", "/api/v1/sites/tegal/bookings/a%2Fb/check-in"):
        r = await server.http.post(path, headers=staff)
        assert r.status_code == 404 and r.json()["error"]["message"], (path, r.text)
    r = await server.http.post("/api/v1/sites/tegal/bookings/BK-ZZZZZZ/check-in")
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthenticated", "signed in first"


@bounded(150)
async def test_a_booked_citizen_of_a_priority_group_is_checked_in_with_it_at_the_desk(
    server: Server, tmp_path: Path
) -> None:
    """The desk's check-in took no priority group: an elderly citizen who booked online lost the priority an
    ordinary ticket would have had. The check-in form offers the issuing form's groups, reached by the keyboard,
    named in Indonesian and in English; the ticket carries the group, and the next citizen starts as not priority.
    A second check-in (a reprint) keeps the ticket's own group, whatever is chosen then."""
    need_axe()
    code = await book(server, 1, "09:30")  # check-in opens at 09.00: now
    async with chromium() as browser, desk(browser, server) as page:
        form = page.locator("#checkin-form")
        group = form.get_by_role("group", name="Kelompok prioritas warga ini (UU 25/2009)")
        names = [await label.inner_text() for label in await group.locator("label").all()]
        assert names == ["Bukan prioritas", "Penyandang disabilitas", "Lanjut usia", "Ibu hamil", "Anak-anak",
                         "Korban bencana alam", "Korban bencana sosial"], names  # fmt: skip
        assert await form.get_by_role("radio", name="Bukan prioritas").is_checked()
        # The keyboard alone: the code, Tab to the group, arrows to "Lanjut usia", Enter sends the form.
        field = page.get_by_role("textbox", name="Kode pemesanan", exact=True)
        await field.fill(code)
        await page.keyboard.press("Tab")
        assert await page.evaluate("() => document.activeElement.name") == "checkin-priority"
        for _ in range(2):
            await page.keyboard.press("ArrowDown")
        assert await form.get_by_role("radio", name="Lanjut usia").is_checked()
        assert await page.evaluate("() => document.activeElement.value") == "lansia"
        assert await violations(page) == []
        await page.keyboard.press("Enter")
        await until(page, "() => !document.getElementById('issued').hidden", timeout_ms=WAIT)
        await until(page, "() => window.__printed === 1", timeout_ms=WAIT)
        label = await text(page, "#d-label")
        assert await text(page, "#d-issued-line") == "Lapor hadir berhasil: tiket pemesanan diterbitkan"
        assert await text(page, "#d-priority") == "Prioritas: Lanjut usia", "staff see the group they chose"
        assert await form.get_by_role("radio", name="Bukan prioritas").is_checked(), "the next citizen: none"
        admin = await server.login("admin")
        ticket = (await server.http.get(f"/api/v1/sites/tegal/tickets/{label}", headers=admin)).json()
        assert ticket["channel"] == "online" and ticket["priority"] == "lansia", ticket
        assert server.ctx.state("tegal").tickets[ticket["id"]].priority == "lansia"
        await page.screenshot(path=tmp_path / "desk-checked-in-priority.png")
        shot(tmp_path / "desk-checked-in-priority.png")

        # In English, the same choices in English.
        await page.click("#lang")
        group = form.get_by_role("group", name="This citizen's priority group (Law 25/2009)")
        assert await group.get_by_role("radio", name="Persons with disabilities").count() == 1
        # Checked in again with another group chosen: the same ticket, printed again, its group as it was.
        await group.get_by_role("radio", name="Persons with disabilities").check()
        await check_in(page, code, label="Booking code")
        await until(page, "() => window.__printed === 2", timeout_ms=WAIT)
        assert await text(page, "#d-label") == label
        assert await text(page, "#d-priority") == "Priority: Elderly", "the group the ticket kept, not the one chosen"
        assert server.ctx.state("tegal").tickets[ticket["id"]].priority == "lansia"
        assert len([t for t in server.ctx.state("tegal").tickets.values() if t.booked_slot]) == 1
        assert await violations(page) == []
