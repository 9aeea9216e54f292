"""The citizen's phone page, /t/{token}, in Chromium with a phone's viewport: the place in the queue goes down live
as others are called, "your turn" comes with the announcement and a vibration, and the citizen can cancel (after
confirming). Nothing personal on it."""

from __future__ import annotations

import asyncio
import json
from contextlib import AsyncExitStack
from pathlib import Path

from playwright.async_api import Route

from .display_support import call_next
from .helpers import Server, eventually, running_server
from .test_citizen_support import bounded, chromium, fast, open_page, shot, text, until, wifi_site

PHONE = (390, 844)


@bounded(90)
async def test_the_phone_follows_the_queue_live_and_announces_the_turn(server: Server, tmp_path: Path) -> None:
    fast(server, status_refresh_seconds=600)  # every change below comes pushed, none from the page's own re-read
    for _ in range(2):
        await server.issue("ktp")
    mine = await server.issue("ktp")
    token = mine["ticket"]["token"]
    op = await server.login("op-disdukcapil")
    assert (await server.command(op, "1", "open")).status_code == 200
    async with chromium() as browser, open_page(browser, f"{server.url}/t/{token}", size=PHONE, mobile=True) as page:
        await until(page, "() => document.body.dataset.link === 'live'")
        assert await text(page, "#label") == "A-003"
        assert await text(page, "#service") == "KTP Elektronik"
        assert await text(page, "#ahead") == "2"
        # Two people, 6 minutes each, one counter open: 12 minutes, said as its p25-p75 range.
        assert (await text(page, "#wait")).replace("\u2060", "") == "sekitar 8–16 menit"  # the range kept on one line
        shot_path = tmp_path / "mobile-waiting.png"
        await page.screenshot(path=shot_path)
        shot(shot_path)

        await call_next(server, op, "1")
        await until(page, "() => document.getElementById('ahead').textContent === '1'", timeout_ms=5000)
        server.clock.advance(minutes=4)
        await call_next(server, op, "1")
        await until(page, "() => document.getElementById('ahead').textContent === '0'", timeout_ms=5000)
        assert await page.is_hidden("#turn")

        await page.click("#sound")  # a touch unlocks sound on a phone
        assert await text(page, "#sound") == "Suara panggilan aktif"
        called = await call_next(server, op, "1")  # my turn
        assert called["ticket"]["label"] == "A-003"
        await until(page, "() => !document.getElementById('turn').hidden")
        # the demo mall's counters are on two floors: the floor is named, as on the lobby TV
        assert await text(page, "#turn") == "Giliran Anda! Silakan menuju Loket 1, Lantai 1"
        await until(page, "() => window.__vibrations.length === 1")
        assert await page.evaluate("() => document.body.dataset.alerted") == "announcement"
        played = await page.evaluate("() => window.__played")
        assert len(played) == 1 and "/api/v1/sites/tegal/announcements/" in played[0] and played[0].endswith(".wav")
        assert await page.is_visible("#cancel")  # a called citizen may still give up their place
        shot_path = tmp_path / "mobile-your-turn.png"
        await page.screenshot(path=shot_path)
        shot(shot_path)

        # A recall alerts again; then service starts and ends.
        assert (await server.command(op, "1", "recall")).status_code == 200
        await until(page, "() => window.__vibrations.length === 2")
        assert (await server.command(op, "1", "start")).status_code == 200
        await until(page, "() => document.getElementById('main').dataset.state === 'serving'")
        assert await text(page, "#state-line") == "Sedang dilayani di Loket 1, Lantai 1"
        assert await page.is_hidden("#cancel")
        assert (await server.command(op, "1", "finish")).status_code == 200
        await until(page, "() => document.getElementById('main').dataset.state === 'done'")
        assert await text(page, "#state-line") == "Layanan selesai. Terima kasih."
        assert await page.is_hidden("#sound") and await page.is_hidden("#cancel"), "a ticket that is over"
        assert await page.evaluate("() => window.__vibrations.length") == 2

        await page.click("#lang")
        assert await text(page, "#state-line") == "Service finished. Thank you."
        await page.click("#lang")


@bounded(90)
async def test_the_survey_link_leads_to_the_nine_questions_on_the_phone(server: Server, tmp_path: Path) -> None:
    """The messages' survey link opens the ticket page: once served, it asks the nine SKM questions one at a time
    (it used to say only "Layanan selesai", the link leading nowhere), sends them once, and says so on reload."""
    mine = await server.issue("ktp")
    token = mine["ticket"]["token"]
    op = await server.login("op-disdukcapil")
    assert (await server.command(op, "1", "open")).status_code == 200
    await call_next(server, op, "1")
    assert (await server.command(op, "1", "finish")).status_code == 200
    async with chromium() as browser, open_page(browser, f"{server.url}/t/{token}", size=PHONE, mobile=True) as page:
        await until(page, "() => !document.getElementById('survey').hidden")
        assert await text(page, "#survey-title") == "Survei Kepuasan Masyarakat"
        await page.click("#survey-start")
        answers = [4, 3, 4, 4, 2, 4, 3, 4, 4]
        for n, value in enumerate(answers, start=1):
            assert await text(page, "#survey-progress") == f"Pertanyaan {n} dari 9"
            if n == 1:
                await page.screenshot(path=tmp_path / "mobile-survey-question.png")
                shot(tmp_path / "mobile-survey-question.png")
            if n == 2:  # back once, and the first answer is still marked
                await page.click("#survey-back")
                assert await page.get_attribute("#survey-choices button[data-value='4']", "aria-pressed") == "true"
                await page.click("#survey-choices button[data-value='4']")
            await page.click(f"#survey-choices button[data-value='{value}']")
        await until(page, "() => document.getElementById('survey-said').textContent.startsWith('Terima kasih atas')")
        shot_path = tmp_path / "mobile-survey-thanks.png"
        await page.screenshot(path=shot_path)
        shot(shot_path)
        rows = await server.ctx.storage.query("SELECT channel, answers FROM survey_responses")
        assert [(r[0], json.loads(r[1])) for r in rows] == [("phone", answers)], rows
        await page.reload()
        await until(page, "() => document.getElementById('survey-said').textContent.includes('sudah diisi')")
        assert await page.is_hidden("#survey-start")


@bounded(60)
async def test_the_citizen_cancels_after_confirming(server: Server) -> None:
    answer = await server.issue("skck", priority="disabilitas")
    token = answer["ticket"]["token"]
    async with chromium() as browser, open_page(browser, f"{server.url}/t/{token}", size=PHONE, mobile=True) as page:
        await until(page, "() => document.body.dataset.link === 'live'")
        html = await page.content()
        for secret in ("disabilitas", "Penyandang", "priority_group"):
            assert secret not in html  # nothing personal: the priority group is health information
        await page.click("#cancel")
        assert (
            await text(page, "#confirm-text")
            == "Batalkan nomor F-001? Jika datang lagi, Anda harus mengambil nomor baru."
        )
        # the shared question dialog: modal, named by its title, the focus on "Tidak"; Esc and "Tidak" send nothing
        assert await page.get_by_role("dialog", name="Batalkan antrean").count() == 1
        assert await page.evaluate("() => document.activeElement.id") == "confirm-no"
        assert await text(page, "#confirm-yes") == "Ya, batalkan"
        await page.keyboard.press("Escape")
        await until(page, "() => !document.getElementById('confirm').open")
        await page.click("#cancel")
        await page.click("#confirm-no")
        assert await page.is_hidden("#confirm")
        status = (await server.http.get(f"/api/v1/tickets/{token}")).json()
        assert status["ticket"]["state"] == "waiting"
        await page.click("#cancel")
        await page.click("#confirm-yes")
        await until(page, "() => document.getElementById('main').dataset.state === 'cancelled'")
        assert await text(page, "#state-line") == "Antrean ini sudah dibatalkan."
        assert await page.is_hidden("#cancel") and await page.is_hidden("#waiting")
    status = (await server.http.get(f"/api/v1/tickets/{token}")).json()
    assert status["ticket"]["state"] == "cancelled"


@bounded(60)
async def test_a_cancel_question_is_withdrawn_once_the_citizen_is_being_served(server: Server) -> None:
    """The citizen opened "Batalkan nomor A-001?" and walked to the counter meanwhile: once the operator starts
    serving the ticket, the question goes by itself and nothing is sent (a late "yes" met a refusal before)."""
    token = (await server.issue("ktp"))["ticket"]["token"]
    async with chromium() as browser, open_page(browser, f"{server.url}/t/{token}", size=PHONE, mobile=True) as page:
        await until(page, "() => document.body.dataset.link === 'live'")
        op = await server.login("op-disdukcapil")
        assert (await server.command(op, "1", "open")).status_code == 200
        await call_next(server, op, "1")
        await until(page, "() => document.getElementById('main').dataset.state === 'called'")
        await page.click("#cancel")
        await until(page, "() => document.getElementById('confirm').open")
        r = await server.command(op, "1", "start")
        assert r.status_code == 200, r.text
        await until(page, "() => document.getElementById('main').dataset.state === 'serving'")
        await until(page, "() => !document.getElementById('confirm').open")
        assert await page.is_hidden("#cancel")
    status = (await server.http.get(f"/api/v1/tickets/{token}")).json()
    assert status["ticket"]["state"] == "serving"


async def test_an_unknown_ticket_page_is_a_plain_404(server: Server) -> None:
    for token in ("short", "x" * 30, "x" * 80):
        r = await server.http.get(f"/t/{token}")
        assert r.status_code == 404
        assert "Tiket tidak ditemukan" in r.text and "Ticket not found" in r.text
    r = await server.http.get("/citizen/qr/t/" + "x" * 30 + ".svg")
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_ticket"


async def test_the_phone_page_shows_the_status_without_scripts(server: Server) -> None:
    await server.issue("ktp")
    token = (await server.issue("ktp"))["ticket"]["token"]
    r = await server.http.get(f"/t/{token}")
    assert r.status_code == 200
    assert "A-002" in r.text and "KTP Elektronik" in r.text
    assert r.headers["content-security-policy"].startswith("default-src 'self'")
    assert r.headers["cache-control"] == "no-store"
    assert '<meta name="referrer" content="no-referrer">' in r.text


@bounded(60)
async def test_a_late_answer_to_an_old_status_request_does_not_undo_a_newer_event(server: Server) -> None:
    """The page re-reads its status after every ticket event; the browser does not keep that request and the
    websocket in order. Here the answer to the request sent after the recall (state "called") is held back until
    service has started and the page has had its newer answer: the page must stay at "serving"."""
    mine = await server.issue("ktp")
    op = await server.login("op-disdukcapil")
    assert (await server.command(op, "1", "open")).status_code == 200
    await call_next(server, op, "1")
    url = f"{server.url}/t/{mine['ticket']['token']}"
    async with chromium() as browser, open_page(browser, url, size=PHONE, mobile=True) as page:
        await until(page, "() => document.getElementById('main').dataset.state === 'called'")
        held: list[str] = []  # the ticket state in each answer, in the order the server gave them
        delivered: list[str] = []  # ... and in the order the page received them
        release = asyncio.Event()

        async def hold(route: Route) -> None:
            response = await route.fetch()  # answered by the server now, with the state of now ...
            state = (await response.json())["ticket"]["state"]
            held.append(state)
            if len(held) == 1:
                await release.wait()  # ... and the first one handed to the page only after the newer one
            await route.fulfill(response=response)
            delivered.append(state)

        await page.route("**/api/v1/tickets/*", hold)
        assert (await server.command(op, "1", "recall")).status_code == 200
        try:
            await eventually(lambda: held, "the page re-read its status after the recall")
        except AssertionError:  # the recall came in a snapshot (its link reconnected on a busy machine): no re-read
            await until(page, "() => window.__ticket.status.ticket.recalls === 1")
            await page.evaluate("() => { window.__ticket.refresh(); }")  # the same request, asked by hand
            await eventually(lambda: held, "the page re-read its status when asked")
        assert held == ["called"], held
        assert (await server.command(op, "1", "start")).status_code == 200
        await until(page, "() => document.getElementById('main').dataset.state === 'serving'")
        await eventually(lambda: delivered, "the page had the answer to its request after the start")
        assert delivered == ["serving"], delivered
        release.set()
        await eventually(lambda: len(delivered) == 2, "the old answer reached the page")
        await asyncio.sleep(0.5)  # time for the page to act on it, were it to
        assert await page.evaluate("() => document.getElementById('main').dataset.state") == "serving"
        assert await text(page, "#state-line") == "Sedang dilayani di Loket 1, Lantai 1"


IN_VIEW = """(id) => { const b = document.getElementById(id).getBoundingClientRect();
  return b.height > 0 && b.top >= 0 && b.bottom <= innerHeight; }"""


@bounded(90)
async def test_on_a_small_phone_the_call_brings_the_turn_banner_into_view(server: Server) -> None:
    """320x568: the banner "Giliran Anda!" is far below the number and the facts; a call scrolls to it."""
    fast(server, status_refresh_seconds=600)
    token = (await server.issue("ktp"))["ticket"]["token"]
    op = await server.login("op-disdukcapil")
    assert (await server.command(op, "1", "open")).status_code == 200
    async with (
        chromium() as browser,
        open_page(browser, f"{server.url}/t/{token}", size=(320, 568), mobile=True) as page,
    ):
        await until(page, "() => document.body.dataset.link === 'live'")
        await page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")  # reading the page's end
        await call_next(server, op, "1")
        await until(page, "() => !document.getElementById('turn').hidden")
        await until(page, IN_VIEW, "turn")


@bounded(90)
async def test_offline_the_notice_is_in_view_and_the_figures_are_marked_not_live(tmp_path: Path) -> None:
    """390x844, the link lost: "Koneksi terputus" is at the top of the screen wherever the citizen scrolled (it
    used to be the page's last element, far below the fold) and the figures are struck through meanwhile."""
    struck = "() => getComputedStyle(document.getElementById('ahead')).textDecorationLine"
    async with chromium() as browser, AsyncExitStack() as stack:
        async with running_server(tmp_path / "q.sqlite3") as first:
            token = (await first.issue("ktp"))["ticket"]["token"]
            url = f"{first.url}/t/{token}"
            page = await stack.enter_async_context(open_page(browser, url, size=PHONE, mobile=True, errors_ok=True))
            await until(page, "() => document.body.dataset.link === 'live'")
            assert await page.evaluate(struck) == "none" and await page.is_hidden("#offline")
            await page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
        await until(page, "() => document.body.dataset.link === 'offline'")
        assert await text(page, "#offline") == "Koneksi terputus, menyambung ulang… Angka di bawah belum diperbarui."
        assert await page.evaluate(IN_VIEW, "offline")
        await page.evaluate("() => window.scrollTo(0, 0)")
        assert await page.evaluate(IN_VIEW, "offline") and await page.evaluate(IN_VIEW, "ahead")
        assert await page.evaluate(struck) == "line-through"
        assert await page.get_attribute("#waiting", "aria-busy") == "true"


@bounded(90)
async def test_at_a_mobile_unit_the_lost_connection_asks_the_phone_back_onto_its_wifi(tmp_path: Path) -> None:
    """A mobile unit's box is only on its own Wi-Fi, which has no internet, and a phone leaves such a Wi-Fi for
    mobile data by itself: when the page loses the server it says which Wi-Fi to go back to (the name only: the
    phone joined it once already)."""
    async with chromium() as browser, AsyncExitStack() as stack:
        async with running_server(tmp_path / "q.sqlite3", site_files=[wifi_site(tmp_path)]) as first:
            token = (await first.issue("ktp"))["ticket"]["token"]
            html = (await first.http.get(f"/t/{token}")).text
            assert "antrean123" not in html, "the password is the slip's and the kiosk's, not the phone page's"
            url = f"{first.url}/t/{token}"
            page = await stack.enter_async_context(open_page(browser, url, size=PHONE, mobile=True, errors_ok=True))
            await until(page, "() => document.body.dataset.link === 'live'")
        await until(page, "() => document.body.dataset.link === 'offline'")
        assert await text(page, "#offline") == (
            "Koneksi terputus, menyambung ulang… Angka di bawah belum diperbarui. "
            "Pastikan ponsel tetap tersambung ke Wi-Fi MPP-Keliling."
        )
        await page.click("#lang")
        assert await text(page, "#offline-wifi") == "Make sure your phone is still on the Wi-Fi MPP-Keliling."
        path = tmp_path / "phone-offline-wifi.png"
        await page.screenshot(path=path)
        shot(path)
