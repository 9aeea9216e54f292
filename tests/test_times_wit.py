"""Every time a person reads, in a mall in Jayapura (WIT, UTC+9), from a server running in UTC and browsers whose
own clock is UTC: at 07.30 WIT on Monday 7 December 2026 it is 22.30 on Sunday 6 December in UTC, so a time or a
date taken in UTC, in the server's zone or in the browser's, is off by nine hours and a day. The mall opens at
07.30. A real server on a SQLite file, a real WhatsApp/SMS gateway receiver, and Chromium for every page."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from queue_server.settings.sitefile import DEMO_SITE

from .display_support import WAIT_MS, until
from .helpers import KIOSK, LOBBY, Clock, Server, bearer, eventually, free_socket, running_server, ticking
from .receiver import Receiver
from .test_counter_web import connected, sign_in

MONDAY = "Senin, 7 Desember 2026"  # the mall's day; in UTC it is still Sunday 6 December
BEFORE_OPENING = datetime(2026, 12, 6, 22, 0, tzinfo=UTC)  # 07.00 WIT
FAST = {"outbox_retry_seconds": 0.2, "outbox_retry_cap_seconds": 1.0, "outbox_breaker_seconds": 0.5}


def jayapura_site(tmp_path: Path, gateway: Receiver | None = None) -> Path:
    """The demo mall moved to Jayapura (Papua, WIT); its phone numbers not verified (booking needs no code), and
    its messages sent to `gateway` where given."""
    text = DEMO_SITE.read_text(encoding="utf-8")
    for old, new in (('timezone = "Asia/Jakarta"', 'timezone = "Asia/Jayapura"'),
                     ('province = "Jawa Tengah"', 'province = "Papua"'),
                     ('regency = "Kabupaten Tegal"', 'regency = "Kota Jayapura"'),
                     ("[booking]\n", "[booking]\nverify_phone = false\n")):  # fmt: skip
        assert old in text, old
        text = text.replace(old, new, 1)
    if gateway is not None:
        text += f"""
[notify]
public_url = "http://antrean.mpp.test"

[notify.gateway]
url = "{gateway.url}/send"
body = {{ target = "{{phone}}", message = "{{text}}", ref = "{{message_id}}" }}
"""
    path = tmp_path / "jayapura.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Server]:
    async with running_server(tmp_path / "queue.sqlite3", site_files=[jayapura_site(tmp_path)],
                              clock=Clock(BEFORE_OPENING), dashboard_seconds=0.3) as s:  # fmt: skip
        assert s.ctx.sites["tegal"].timezone == "Asia/Jayapura"
        yield s


async def book(s: Server, day: str, slot: str, n: int = 1, **extra: Any) -> dict[str, Any]:
    r = await s.http.post("/api/v1/sites/tegal/bookings", json={
        "service": "ktp", "day": day, "slot": slot, "nik": f"332801410190{n:04d}", "phone": f"0812345678{n:02d}",
        **extra})  # fmt: skip
    assert r.status_code == 201, r.text
    return r.json()["booking"]  # type: ignore[no-any-return]


async def in_utc(browser: Browser) -> BrowserContext:
    """A browser whose own clock is UTC: nine hours and, before 09.00 WIT, a day behind the mall's."""
    return await browser.new_context(viewport={"width": 1366, "height": 900}, locale="id-ID", timezone_id="UTC")


async def page_of(context: BrowserContext, url: str, errors: list[str]) -> Page:
    page = await context.new_page()
    page.on("pageerror", lambda exc: errors.append(f"{url}: {exc}"))
    await page.goto(url)
    assert await page.evaluate("() => Intl.DateTimeFormat().resolvedOptions().timeZone") == "UTC"
    return page


async def supervisor_page(context: BrowserContext, url: str, errors: list[str]) -> Page:
    page = await page_of(context, url, errors)
    await page.fill("input[name=username]", "supervisor")
    await page.fill("input[name=password]", "demo-supervisor")
    await page.click("#login-form button[type=submit]")
    return page


async def test_the_server_s_sentences_say_the_mall_s_times_and_days(server: Server) -> None:
    """Refusals with a time or a day: closed before opening, check-in not yet open, a counter paused or closed by
    someone at a time, a ticket already served at a time, the day closed until tomorrow's opening."""
    r = await server.http.post("/api/v1/sites/tegal/tickets", json={"service": "ktp"}, headers=bearer(KIOSK))
    assert r.json()["error"]["message"] == "MPP Kabupaten Tegal sedang tutup. Buka hari ini pukul 07.30.", r.text
    booking = await book(server, "2026-12-07", "08:30")
    assert (booking["checkin_from"], booking["checkin_until"]) == ("2026-12-07T08:00:00.000+09:00",
                                                                   "2026-12-07T08:45:00.000+09:00")  # fmt: skip
    r = await server.http.post(f"/api/v1/sites/tegal/bookings/{booking['code']}/check-in", json={},
                               headers=bearer(KIOSK))  # fmt: skip
    assert r.json()["error"]["message"] == (
        f"Lapor hadir untuk pemesanan {booking['code']} dibuka {MONDAY} pukul 08.00."
    ), r.text
    server.clock.advance(minutes=30)  # 07.30 WIT, 22.30 UTC the day before
    ticket = await server.issue("ktp")
    assert ticket["ticket"]["day"] == "2026-12-07" and ticket["ticket"]["label"] == "A-001"
    op = await server.login("op-disdukcapil")
    for command in ("open", "call_next", "start"):
        assert (await server.command(op, "1", command)).status_code == 200
    server.clock.advance(minutes=14)
    assert (await server.command(op, "1", "finish")).status_code == 200
    r = await server.command(op, "1", "finish", ticket="A-001")
    assert r.json()["error"]["message"] == (
        "A-001 sudah selesai dilayani di Loket 1 oleh Operator Disdukcapil pukul 07.44. Tidak ada yang perlu "
        "diselesaikan."
    ), r.text
    assert (await server.command(op, "1", "pause")).status_code == 200
    r = await server.command(op, "1", "call_next")
    assert r.json()["error"]["message"] == (
        "Loket 1 dijeda oleh Operator Disdukcapil pukul 07.44. Lanjutkan loket terlebih dahulu."
    ), r.text
    sup = await server.login("supervisor")
    r = await server.http.post("/api/v1/sites/tegal/close-day", json={"reason": "Gangguan listrik"}, headers=sup)
    assert r.status_code == 200 and r.json()["day"] == "2026-12-07", r.text
    r = await server.http.post("/api/v1/sites/tegal/tickets", json={"service": "ktp"}, headers=bearer(KIOSK))
    assert r.json()["error"]["message"] == (
        "Pelayanan MPP Kabupaten Tegal tutup hari ini: Gangguan listrik. Buka kembali Selasa, 8 Desember 2026 pukul "
        "07.30."
    ), r.text
    audit = (await server.http.get("/api/v1/sites/tegal/audit", headers=sup)).json()
    assert audit["period"] == {"from": "2026-12-07", "to": "2026-12-07", "days": 1}, audit["period"]
    assert [e["when"]["id"] for e in audit["entries"]][-1] == f"{MONDAY} pukul 07.30", audit["entries"]
    report = (await server.http.get("/api/v1/sites/tegal/reports", headers=sup)).json()
    assert report["period"]["from"] == report["period"]["to"] == "2026-12-07", report["period"]
    assert report["arrivals"]["by_day_hour"] == [{"day": "2026-12-07", "hour": 7, "count": 1}], report["arrivals"]
    excel = (await server.http.get("/api/v1/sites/tegal/reports.csv", headers=sup, params={"excel": 1})).text
    assert "2026-12-07;07.00;1" in excel, excel


async def test_messages_to_citizens_say_the_mall_s_times(tmp_path: Path) -> None:
    """A booking's confirmation, its reminders (the evening before at 19.00 WIT, an hour before the slot), and the
    message of a day closed over a booking: each time and day as the mall's clock reads it."""
    with Receiver().start() as gateway:
        clock = Clock(BEFORE_OPENING)
        site = jayapura_site(tmp_path, gateway)
        async with running_server(tmp_path / "q.sqlite3", site_files=[site], clock=clock, **FAST) as s, ticking(clock):
            texts = lambda: [b["message"] for b in gateway.bodies()]  # noqa: E731
            tuesday = await book(s, "2026-12-08", "08:30", 1, notify=True, lang="id")
            today = await book(s, "2026-12-07", "08:30", 2, notify=True, lang="id")
            confirmed = [
                f"MPP Kabupaten Tegal: pemesanan {tuesday['code']} untuk KTP Elektronik pada Selasa, 8 Desember 2026 "
                "pukul 08.30 tercatat. Lapor hadir di kios dengan kode ini antara pukul 08.00 dan 08.45.",
                f"MPP Kabupaten Tegal: pemesanan {today['code']} untuk KTP Elektronik pada {MONDAY} pukul 08.30 "
                "tercatat. Lapor hadir di kios dengan kode ini antara pukul 08.00 dan 08.45.",
            ]
            await eventually(lambda: texts() == confirmed, lambda: f"the confirmations, got {texts()}", 30)
            clock.advance(minutes=30)  # 07.30 WIT: an hour before today's slot
            hour = (f"MPP Kabupaten Tegal: satu jam lagi, pukul 08.30, jadwal Anda untuk KTP Elektronik (pemesanan "
                    f"{today['code']}). Lapor hadir di kios antara pukul 08.00 dan 08.45.")  # fmt: skip
            await eventually(lambda: hour in texts(), lambda: f"the reminder, got {texts()}", 30)
            sup = await s.login("supervisor")
            r = await s.http.post("/api/v1/sites/tegal/close-day", json={"reason": "Gangguan listrik"}, headers=sup)
            assert r.status_code == 200, r.text
            closed = (f"MPP Kabupaten Tegal: mohon maaf, pelayanan hari ini sudah ditutup: Gangguan listrik. "
                      f"Pemesanan {today['code']} untuk KTP Elektronik pukul 08.30 tidak dapat dipakai untuk lapor "
                      "hadir hari ini. Jika dibuka kembali hari ini, kami kabari. Silakan pesan jadwal lain: "
                      "http://antrean.mpp.test/booking/tegal")  # fmt: skip
            await eventually(lambda: closed in texts(), lambda: f"the day closed, got {texts()}", 30)
            evening = (f"MPP Kabupaten Tegal: pengingat, besok Selasa, 8 Desember 2026 pukul 08.30 jadwal Anda untuk "
                       f"KTP Elektronik (pemesanan {tuesday['code']}). Lapor hadir di kios antara pukul 08.00 dan "
                       "08.45.")  # fmt: skip
            assert evening not in texts(), "not due before 19.00 WIT"
            sent = len(texts())
            clock.advance(hours=11, minutes=31)  # 19.01 WIT, 10.01 UTC: the evening before Tuesday's slot
            await eventually(lambda: evening in texts(), lambda: f"the evening reminder, got {texts()[sent:]}", 30)


async def test_the_pages_say_the_mall_s_times_in_a_browser_on_utc(server: Server, browser: Browser) -> None:
    """The kiosk (closed before opening, then its clock), a booking's status page, the lobby TV's clock and its
    last calls, the counter page's clock, the dashboard's clock and the report and audit pages: 07.30 and Monday,
    never the browser's 22.30 Sunday."""
    context = await in_utc(browser)
    errors: list[str] = []
    try:
        kiosk = await page_of(context, f"{server.url}/kiosk/tegal#token={KIOSK}", errors)
        await until(kiosk, "() => document.body.dataset.ready === 'true'")
        await expect(kiosk.locator("#clock")).to_have_text("07.00", timeout=WAIT_MS)
        booking_page = await page_of(context, f"{server.url}/booking/tegal", errors)
        first_day = booking_page.locator("input[name=day]").first
        assert await first_day.get_attribute("value") == "2026-12-07"  # the mall's today, not the browser's 6th
        booking = await book(server, "2026-12-07", "08:30")
        status = await page_of(context, f"{server.url}/b/{booking['code']}", errors)
        await expect(status.locator("#s-when")).to_contain_text(f"{MONDAY}, 08.30", timeout=WAIT_MS)
        await expect(status.locator("#s-window")).to_contain_text("08.00", timeout=WAIT_MS)
        await expect(status.locator("#s-window")).to_contain_text("08.45", timeout=WAIT_MS)

        server.clock.advance(minutes=30)  # 07.30 WIT
        op = await server.login("op-disdukcapil")
        await server.issue("ktp")
        await server.issue("ktp")
        assert (await server.command(op, "1", "open")).status_code == 200
        tv = await page_of(context, f"{server.url}/display/tegal/lobby#token={LOBBY}", errors)
        await until(tv, "() => document.body.dataset.link === 'live'")
        await expect(tv.locator("#clock-date")).to_have_text(MONDAY, timeout=WAIT_MS)
        await expect(tv.locator("#clock-time")).to_have_text("07.30", timeout=WAIT_MS)
        assert (await server.command(op, "1", "call_next")).status_code == 200
        server.clock.advance(minutes=5)
        assert (await server.command(op, "1", "finish")).status_code == 200
        assert (await server.command(op, "1", "call_next")).status_code == 200  # 07.35 WIT
        times = "() => [...document.querySelectorAll('.recent-time')].map((e) => e.textContent).filter(Boolean)"
        seen: list[str] = []

        async def recent() -> bool:
            seen[:] = await tv.evaluate(times)
            return seen == ["07.30"]  # the call before the one on the hero

        await eventually(recent, lambda: f"the last calls' times, got {seen}", 30)

        for command in ("open", "pause"):  # Loket 2 paused at 07.35: "since" when, on its page and the dashboard
            assert (await server.command(op, "2", command)).status_code == 200
        counter = await page_of(context, f"{server.url}/counter/tegal/2", errors)
        await sign_in(counter)
        await connected(counter)
        await expect(counter.locator("#clock")).to_contain_text("07.35", timeout=WAIT_MS)
        await expect(counter.locator("#counter-left")).to_contain_text("sejak 07.35", timeout=WAIT_MS)

        dashboard = await supervisor_page(context, f"{server.url}/supervisor/tegal", errors)
        await expect(dashboard.locator("#clock")).to_contain_text("07.35", timeout=WAIT_MS)
        left = dashboard.locator("#counters article[data-counter='2'] .note.left")
        await expect(left).to_have_text("Dijeda oleh Operator Disdukcapil sejak 07.35", timeout=WAIT_MS)
        reports = await supervisor_page(context, f"{server.url}/supervisor/tegal/reports", errors)
        await expect(reports.locator("#generated")).to_contain_text(f"{MONDAY} pukul 07.35 WIT", timeout=WAIT_MS)
        audit = await supervisor_page(context, f"{server.url}/supervisor/tegal/audit", errors)
        rows = audit.locator("#entries tr")
        await expect(rows.first).to_contain_text(f"{MONDAY} pukul 07.35", timeout=WAIT_MS)  # Loket 2 paused
        await expect(rows.last).to_contain_text(f"{MONDAY} pukul 07.30", timeout=WAIT_MS)  # Loket 1 opened
        assert not errors, errors
    finally:
        await context.close()


async def test_the_demo_inbox_says_when_a_message_came_on_the_mall_s_clock(tmp_path: Path, browser: Browser) -> None:
    """The demo's WhatsApp inbox stamps each message with the server's clock in the mall's zone, as every other screen
    of the demo reads it: a demo run on a simulated clock (`--clock-start`, a trainer's morning shown at night) said
    the machine's time beside the kiosk's 07.00."""
    clock = Clock(BEFORE_OPENING)
    with free_socket() as sock:  # the demo's gateway is this server's own inbox, at its port
        port = sock.getsockname()[1]
    async with running_server(tmp_path / "q.sqlite3", port=port, site_files=[jayapura_site(tmp_path)], clock=clock,
                              demo_inbox=True, **FAST) as s, ticking(clock):  # fmt: skip
        booking = await book(s, "2026-12-07", "08:30", 7, notify=True, lang="id")

        async def received() -> list[dict[str, Any]]:
            inbox = await s.http.get("/demo/whatsapp", headers={"Accept": "application/json"})
            return [m for m in inbox.json()["messages"] if booking["code"] in m["text"]]

        await eventually(received, "the confirmation in the demo inbox", 30)
        (message,) = await received()
        assert message["shown_at"] == "07.00", message
        assert message["at"].startswith("2026-12-06T22:00"), message  # the server's clock, in UTC
        context = await in_utc(browser)
        try:
            errors: list[str] = []
            page = await page_of(context, f"{s.url}/demo/whatsapp", errors)
            box = page.locator(".msg", has_text=booking["code"])
            await expect(box.locator(".at")).to_have_text("07.00", timeout=WAIT_MS)
            assert not errors, errors
        finally:
            await context.close()


async def test_a_wit_mall_s_day_turns_at_its_own_midnight(tmp_path: Path) -> None:
    """00.00 WIT is 15.00 UTC the day before: a ticket taken at 23.58 WIT is Monday's, one at 00.01 is Tuesday's
    A-001, Monday's left waiting is expired by the server's own close of the past day, and Tuesday's report and
    audit periods start then (hours not enforced, as a mall trying the system out in the evening runs it)."""
    clock = Clock(datetime(2026, 12, 7, 14, 58, tzinfo=UTC))  # 23.58 WIT Monday
    async with running_server(tmp_path / "q.sqlite3", site_files=[jayapura_site(tmp_path)], clock=clock,
                              ignore_hours=True) as s:  # fmt: skip
        late = await s.issue("ktp")
        assert (late["ticket"]["day"], late["ticket"]["label"]) == ("2026-12-07", "A-001"), late
        s.clock.advance(minutes=3)  # 00.01 WIT Tuesday, 15.01 UTC Monday
        early = await s.issue("ktp")
        assert (early["ticket"]["day"], early["ticket"]["label"]) == ("2026-12-08", "A-001"), early

        await s.ctx.engine.close_past_days()  # the housekeeping's round, due each minute

        async def expired() -> bool:
            status = (await s.http.get(late["status_url"])).json()
            return bool(status["ticket"]["state"] == "expired")

        await eventually(expired, "Monday's ticket expired by the close of its day", 30)
        sup = await s.login("supervisor")
        today = (await s.http.get("/api/v1/sites/tegal/today")).json()["today"]
        assert today["day"] == "2026-12-08", today
        report = (await s.http.get("/api/v1/sites/tegal/reports", headers=sup)).json()
        assert report["period"]["from"] == "2026-12-08" and report["totals"]["tickets"] == 1, report["period"]
        assert report["arrivals"]["by_day_hour"] == [{"day": "2026-12-08", "hour": 0, "count": 1}], report["arrivals"]
        dashboard = (await s.http.get("/api/v1/sites/tegal/dashboard", headers=sup)).json()
        assert dashboard["day"] == "2026-12-08" and dashboard["totals"]["waiting"] == 1, dashboard["totals"]


async def test_an_alert_says_since_when_on_the_mall_s_clock(server: Server) -> None:
    """The supervisor's alert of a long service: "sejak pukul 07.30", the WIT time its service began (22.30 UTC)."""
    server.clock.advance(minutes=30)  # 07.30 WIT
    op, sup = await server.login("op-disdukcapil"), await server.login("supervisor")
    await server.issue("ktp")
    for command in ("open", "call_next", "start"):
        assert (await server.command(op, "1", command)).status_code == 200
    server.clock.advance(minutes=100)
    alerts = (await server.http.get("/api/v1/sites/tegal/dashboard", headers=sup)).json()["alerts"]
    (long,) = [a for a in alerts if a["kind"] == "service_long"]
    assert long["since"] == "2026-12-07T07:30:00.000+09:00", long
    assert long["message"].startswith("Loket 1 melayani satu warga KTP Elektronik sejak pukul 07.30 (100 menit;"), long
