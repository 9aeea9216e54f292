"""A holiday, shorter hours or a day closed over days that already have bookings (an outside review: accepted without
a word, the bookings stayed "Terjadwal" for a closed mall and were later released as if their citizens had not
come). The change is refused with how many bookings on which days and what to do; confirmed, the mall cancels them
(a reason of its own, shown on the citizen's booking page), tells the citizens who left a number, and the audit log
says so. A site file at start-up is refused the same way, and waits. Real servers on SQLite files (the first test on
PostgreSQL too), real HTTP, websocket and gateway clients, and Chromium for the pages."""

from __future__ import annotations

import asyncio
import copy
import json
import tomllib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser
from websockets.asyncio.client import connect

from queue_server.settings.sitefile import DEMO_SITE, site_file_text

from .display_support import until
from .helpers import KIOSK, Clock, Server, bearer, eventually, running_server, ticking
from .receiver import Receiver, notify_site
from .test_accessibility import need_axe, violations
from .test_configuration import alerts_of
from .test_outbox import FAST
from .test_supervisor_pages import answer, question, signed_in

BOTH_DATABASES = True  # the tests that use `database` run on SQLite and on PostgreSQL (conftest.py)
URL = "/api/v1/sites/tegal/configuration"
WEDNESDAY, THURSDAY, FRIDAY, SATURDAY = "2026-11-25", "2026-11-26", "2026-11-27", "2026-11-28"  # the clock: Monday


def nik(n: int) -> str:
    return f"332801410190{n:04d}"


async def book(s: Server, n: int, day: str, slot: str, service: str = "ktp", **extra: Any) -> str:
    r = await s.http.post("/api/v1/sites/tegal/bookings", json={
        "service": service, "day": day, "slot": slot, "nik": nik(n), "phone": f"0812-34{n:02d}-7890", **extra})  # fmt: skip
    assert r.status_code == 201, r.text
    return str(r.json()["booking"]["code"])


async def booking(s: Server, code: str) -> dict[str, Any]:
    r = await s.http.get(f"/api/v1/bookings/{code}", headers={"X-Forwarded-For": f"198.51.100.{len(code)}"})
    assert r.status_code == 200, r.text
    return r.json()["booking"]  # type: ignore[no-any-return]


async def configuration(s: Server, headers: dict[str, str]) -> dict[str, Any]:
    r = await s.http.get(URL, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def with_hours(document: dict[str, Any], holidays: tuple[str, ...] = (), **weekly: list[str]) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    hours = changed["site"]["hours"]
    hours["holidays"] = sorted({*hours.get("holidays", []), *holidays})
    for day, ranges in weekly.items():
        if ranges:
            hours[day] = ranges
        else:
            hours.pop(day, None)  # a weekday the week does not name is closed
    return changed


async def put(
    s: Server, headers: dict[str, str], version: int, document: dict[str, Any], **extra: Any
) -> httpx.Response:
    return await s.http.put(URL, json={"version": version, "document": document, **extra}, headers=headers)


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Server]:
    async with running_server(tmp_path / "db.sqlite3", bookings_per_minute=1000) as s:
        yield s


async def test_a_holiday_over_bookings_is_refused_with_their_count_then_cancels_them_once_confirmed(
    database: Path | str,
) -> None:
    async with running_server(database, bookings_per_minute=1000) as s:
        codes = [await book(s, 1, WEDNESDAY, "09:00"), await book(s, 2, WEDNESDAY, "10:00"),
                 await book(s, 3, WEDNESDAY, "10:00", service="kk")]  # fmt: skip
        own = await book(s, 4, WEDNESDAY, "11:00")
        assert (await s.http.post(f"/api/v1/bookings/{own}/cancel")).status_code == 200  # its citizen's own
        kept = await book(s, 5, THURSDAY, "09:00")
        supervisor = await s.login("supervisor")
        document = (await configuration(s, supervisor))["document"]
        holiday = with_hours(document, holidays=(WEDNESDAY,))

        r = await put(s, supervisor, 0, holiday)
        assert r.status_code == 409, r.text
        error = r.json()["error"]
        assert error["code"] == "bookings_closed"
        assert error["details"] == {"bookings": 3, "days": [{"day": WEDNESDAY, "bookings": 3}]}
        assert error["message"].startswith("Perubahan ini menutup MPP pada jadwal yang sudah dipesan warga: 3 pemesanan "
                                           "(3 pada Rabu, 25 November 2026). Jika disimpan, pemesanan itu dibatalkan "
                                           "oleh MPP")  # fmt: skip
        assert "Simpan lagi dengan konfirmasi" in error["message"]
        assert error["message_en"].startswith("This change closes the mall at times citizens have booked: 3 bookings "
                                              "(3 on Wednesday, 25 November 2026).")  # fmt: skip
        assert not any(code in r.text for code in codes), "a refusal names no booking's code"
        # nothing changed: the version, the bookings, the slots of that day
        assert (await configuration(s, supervisor))["version"] == 0
        assert {(await booking(s, code))["state"] for code in codes} == {"booked"}
        slots = await s.http.get("/api/v1/sites/tegal/bookings/slots", params={"service": "ktp", "day": WEDNESDAY})
        assert slots.json()["slots"] and slots.json()["online_booked"] == 2

        for bad in (-1, "3", True, 2.5, [3], {"n": 3}):  # what a confirmation is not
            r = await put(s, supervisor, 0, holiday, cancel_bookings=bad)
            assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_field", (bad, r.text)
            assert r.json()["error"]["details"] == {"field": "cancel_bookings"}, (bad, r.text)
        for wrong in (0, 2, 4):  # not the number the refusal named: asked again
            r = await put(s, supervisor, 0, holiday, cancel_bookings=wrong)
            assert r.status_code == 409 and r.json()["error"]["details"]["bookings"] == 3, (wrong, r.text)
        # a citizen books that day meanwhile: confirming the three cancels no fourth unasked
        codes.append(await book(s, 6, WEDNESDAY, "13:00"))
        r = await put(s, supervisor, 0, holiday, cancel_bookings=3)
        assert r.status_code == 409 and r.json()["error"]["details"]["bookings"] == 4, r.text
        assert (await configuration(s, supervisor))["version"] == 0

        async with connect(s.ws_url, ping_interval=None) as ws:
            await ws.send(json.dumps({"type": "hello", "role": "supervisor", "site": "tegal",
                                      "token": supervisor["Authorization"].removeprefix("Bearer ")}))  # fmt: skip
            r = await put(s, supervisor, 0, holiday, cancel_bookings=4)
            assert r.status_code == 200, r.text
            frames = []
            async with asyncio.timeout(20):
                while len([f for f in frames if f["type"] == "booking.cancelled"]) < 4:
                    frames.append(json.loads(await ws.recv()))
        answer = r.json()
        assert answer["version"] == 1 and answer["bookings_cancelled"] == 4
        assert answer["changes_text"]["id"] == ["jam buka diubah"]
        cancelled = [f["data"]["booking"] for f in frames if f["type"] == "booking.cancelled"]
        assert {b["cancel_reason"] for b in cancelled} == {"holiday"} and all("code" not in b for b in cancelled)
        for code in codes:
            shown = await booking(s, code)
            assert (shown["state"], shown["cancel_reason"]) == ("cancelled", "holiday"), shown
        mine = await booking(s, own)
        assert (mine["state"], mine["cancel_reason"]) == ("cancelled", None), "the citizen's own cancel stays theirs"
        assert (await booking(s, kept))["state"] == "booked" and "cancel_reason" not in await booking(s, kept)
        slots = await s.http.get("/api/v1/sites/tegal/bookings/slots", params={"service": "ktp", "day": WEDNESDAY})
        assert slots.json()["slots"] == [] and slots.json()["online_booked"] == 0, "their places are given back"
        # the audit log: what changed, and the bookings it cancelled
        log = (await s.http.get("/api/v1/sites/tegal/audit", headers=await s.login("admin"))).json()["entries"]
        entry = next(e for e in log if e["action"] == "site.configure")
        assert entry["actor"] == "supervisor" and entry["details"]["bookings_cancelled"] == 4
        assert entry["summary"]["id"] == (
            "Konfigurasi diganti ke versi 1: jam buka diubah; 4 pemesanan pada waktu MPP tutup dibatalkan oleh MPP "
            "(4 pada Rabu, 25 November 2026), 0 warga diberi tahu lewat WhatsApp/SMS"
        )
        assert "4 bookings at times the mall is closed were cancelled by the mall" in entry["summary"]["en"]
        assert not any(code in json.dumps(log) for code in codes), "the audit log names no booking's code"
        # the same again: nothing left to cancel, nothing changes
        r = await put(s, supervisor, 1, holiday)
        assert r.status_code == 200 and r.json()["version"] == 1 and r.json()["bookings_cancelled"] == 0, r.text
        # the kiosk on that day says so (not "opens at 08.30")
        s.clock.now = datetime(2026, 11, 25, 1, 45, tzinfo=UTC)
        r = await s.http.post(f"/api/v1/sites/tegal/bookings/{codes[0]}/check-in", headers=bearer(KIOSK))
        assert r.status_code == 409 and r.json()["error"]["code"] == "booking_cancelled", r.text


@pytest.mark.sqlite_only
async def test_shorter_hours_and_a_closed_day_say_their_own_reason_and_other_changes_pass(site: Server) -> None:
    s = site
    admin = await s.login("admin")
    late = await book(s, 1, THURSDAY, "14:30")
    early = await book(s, 2, THURSDAY, "09:00")
    saturday = await book(s, 3, SATURDAY, "09:00", service="kk")
    document = (await configuration(s, admin))["document"]
    # a holiday on a day nobody booked, a new running text: no word about bookings
    quiet = with_hours(document, holidays=(FRIDAY,))
    quiet["site"]["running_text"] = "Libur Jumat"
    r = await put(s, admin, 0, quiet)
    assert r.status_code == 200 and r.json()["bookings_cancelled"] == 0, r.text

    closing = with_hours(quiet, thu=["07:30-12:00"], sat=[])
    r = await put(s, admin, 1, closing)
    assert r.status_code == 409 and r.json()["error"]["code"] == "bookings_closed", r.text
    assert r.json()["error"]["details"]["days"] == [{"day": THURSDAY, "bookings": 1}, {"day": SATURDAY, "bookings": 1}]
    assert (
        "2 pemesanan (1 pada Kamis, 26 November 2026; 1 pada Sabtu, 28 November 2026)" in r.json()["error"]["message"]
    )
    r = await put(s, admin, 1, closing, cancel_bookings=2)
    assert r.status_code == 200 and r.json()["bookings_cancelled"] == 2, r.text
    assert (await booking(s, late))["cancel_reason"] == "hours"
    assert (await booking(s, saturday))["cancel_reason"] == "closed_day"
    assert (await booking(s, early))["state"] == "booked", "09.00 is still open on Thursday"

    # Today (Monday, 09.50): a booking whose check-in is over (09.30, until 09.45) is being released, not asked about
    today = [await book(s, 4, "2026-11-23", "09:30"), await book(s, 5, "2026-11-23", "10:00")]
    s.clock.now = datetime(2026, 11, 23, 2, 50, tzinfo=UTC)
    r = await put(s, admin, 2, with_hours(closing, mon=["07:30-09:30"]))
    assert r.status_code == 409 and r.json()["error"]["details"]["bookings"] == 1, r.text
    assert "1 pemesanan (1 pada Senin, 23 November 2026)" in r.json()["error"]["message"]
    r = await put(s, admin, 2, with_hours(closing, mon=["07:30-09:30"]), cancel_bookings=1)
    assert r.status_code == 200, r.text
    assert [(await booking(s, code))["state"] for code in today] == ["booked", "cancelled"]


@pytest.mark.sqlite_only
async def test_citizens_who_left_a_number_are_told_by_whatsapp_and_their_reminders_stop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_GATEWAY_TOKEN", "x")
    with Receiver() as gateway:
        gateway.start()
        site_file = notify_site(tmp_path, gateway)
        # The numbers are not what this tests: the mall does not verify them by a code (test_phone_verify.py does).
        site_file.write_text(site_file.read_text().replace("[booking]\n", "[booking]\nverify_phone = false\n", 1))
        async with (
            running_server(tmp_path / "db.sqlite3", site_files=[site_file], bookings_per_minute=1000, **FAST) as s,
            ticking(s.clock),
        ):
            told_id = await book(s, 1, WEDNESDAY, "09:00", notify=True)
            told_en = await book(s, 2, WEDNESDAY, "10:00", notify=True, lang="en")
            silent = await book(s, 3, WEDNESDAY, "10:30")  # no number left for messages

            def sent() -> list[str]:
                return [str(b["message"]) for b in gateway.bodies("/send")]

            await eventually(lambda: len(sent()) == 2, "the two confirmations", 30)
            admin = await s.login("admin")
            holiday = with_hours((await configuration(s, admin))["document"], holidays=(WEDNESDAY,))
            assert (await put(s, admin, 0, holiday)).status_code == 409
            r = await put(s, admin, 0, holiday, cancel_bookings=3)
            assert r.status_code == 200 and r.json()["bookings_cancelled"] == 3, r.text
            await eventually(lambda: len(sent()) == 4, "a message to each citizen who left a number", 30)
            said = sent()[2:]
            indonesian = next(m for m in said if told_id in m)
            assert indonesian == (
                f"MPP Kabupaten Tegal: mohon maaf, pemesanan {told_id} untuk KTP Elektronik pada Rabu, 25 November "
                "2026 pukul 09.00 dibatalkan oleh MPP: hari libur. Silakan pesan jadwal lain: "
                "http://antrean.mpp.test/booking/tegal"
            )
            english = next(m for m in said if told_en in m)
            assert "was cancelled by the mall: a holiday. Please book another time:" in english
            assert not any(silent in m for m in sent()), "nobody to tell"
            assert not any("dilepas" in m for m in sent()), "not blamed as a no-show"
            log = (await s.http.get("/api/v1/sites/tegal/audit", headers=admin)).json()["entries"]
            entry = next(e for e in log if e["action"] == "site.configure")
            assert entry["summary"]["id"].endswith("(3 pada Rabu, 25 November 2026), 2 warga diberi tahu lewat "
                                                   "WhatsApp/SMS")  # fmt: skip
            # Tuesday 19.01: the evening reminders of the cancelled bookings are not sent
            s.clock.now = datetime(2026, 11, 24, 12, 1, tzinfo=UTC)
            await asyncio.sleep(3)
            assert len(sent()) == 4 and not any("pengingat" in m or "reminder" in m for m in sent()), sent()


@pytest.mark.sqlite_only
async def test_a_site_file_closing_booked_days_waits_and_says_what_to_do(tmp_path: Path) -> None:
    site_file = tmp_path / "tegal.toml"
    site_file.write_bytes(DEMO_SITE.read_bytes())
    database, clock = tmp_path / "queue.sqlite3", Clock()
    async with running_server(database, site_files=[site_file], clock=clock) as s:
        code = await book(s, 1, WEDNESDAY, "09:00")
    edited = tomllib.loads(DEMO_SITE.read_text())
    edited["site"]["hours"]["holidays"].append(WEDNESDAY)
    site_file.write_text(site_file_text(edited))
    async with running_server(database, site_files=[site_file], clock=clock) as s:
        admin = await s.login("admin")
        current = await configuration(s, admin)
        assert current["version"] == 0 and WEDNESDAY not in current["document"]["site"]["hours"]["holidays"]
        assert (await booking(s, code))["state"] == "booked"
        waiting = (await alerts_of(s))["site_file_waiting"]
        assert waiting["message"].startswith(
            "Berkas situs yang diubah belum diterapkan: Berkas situs ini menutup MPP pada jadwal yang sudah dipesan "
            "warga: 1 pemesanan (1 pada Rabu, 25 November 2026). Pemesanan tidak dibatalkan tanpa konfirmasi: buat "
            "perubahan yang sama di Pengaturan"
        ), waiting
        assert "make the same change in Settings, which asks for one" in waiting["message_en"], waiting
        # what it says to do: the same change in Settings, confirmed
        holiday = with_hours(current["document"], holidays=(WEDNESDAY,))
        assert (await put(s, admin, 0, holiday)).status_code == 409
        assert (await put(s, admin, 0, holiday, cancel_bookings=1)).status_code == 200
        assert (await booking(s, code))["cancel_reason"] == "holiday"
    async with running_server(database, site_files=[site_file], clock=clock) as s:  # the file takes over now
        current = await configuration(s, await s.login("admin"))
        assert (current["version"], current["source"]) == (2, "file")
        assert "site_file_waiting" not in await alerts_of(s)


@pytest.mark.sqlite_only
async def test_the_settings_page_asks_before_cancelling_and_the_citizen_s_page_says_why(
    browser: Browser, site: Server
) -> None:
    need_axe()
    s = site
    codes = [await book(s, 1, WEDNESDAY, "09:00"), await book(s, 2, WEDNESDAY, "10:00")]
    own = await book(s, 3, WEDNESDAY, "11:00")
    assert (await s.http.post(f"/api/v1/bookings/{own}/cancel")).status_code == 200
    async with signed_in(browser, s, "/supervisor/tegal/admin", user="admin") as page:
        await until(page, "() => document.body.dataset.loaded === 'true'")
        await page.click("[data-tab=hours]")
        await page.click("#add-holiday")
        await page.fill("#f-day", WEDNESDAY)
        await page.click("#editor-save")
        asked = await question(page)
        assert asked["title"] == "Pemesanan warga dibatalkan"
        assert asked["yes"] == "Ya, batalkan 2 pemesanan dan simpan" and asked["no"] == "Batal"
        assert asked["text"].startswith("Perubahan ini menutup MPP pada jadwal yang sudah dipesan warga: 2 pemesanan (2 "
                                        "pada Rabu, 25 November 2026).")  # fmt: skip
        assert asked["text"].endswith("Batalkan 2 pemesanan itu dan simpan perubahan ini? Warganya melihat pembatalan "
                                      "di halaman pemesanannya, dan yang meninggalkan nomor diberi tahu lewat "
                                      "WhatsApp/SMS.")  # fmt: skip
        await answer(page, yes=False)
        await until(page, "() => document.getElementById('editor-error').textContent.includes('2 pemesanan')")
        assert await page.evaluate("() => document.getElementById('editor').open"), "said no: nothing saved"
        assert (await configuration(s, await s.login("admin")))["version"] == 0
        assert (await booking(s, codes[0]))["state"] == "booked"
        await page.click("#editor-save")
        await answer(page)
        await until(page, "() => document.body.dataset.version === '1'")
        toast = await page.text_content("#toasts") or ""
        assert "Tersimpan sebagai versi 1: jam buka diubah; 2 pemesanan dibatalkan oleh MPP" in toast
        assert "Rabu, 25 November 2026" in (await page.text_content("#panel") or "")

    # The citizen's booking page: why, Indonesian first, English a touch away, and where to book again
    context = await browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True, locale="id-ID")
    page = await context.new_page()
    await page.goto(f"{s.url}/b/{codes[0]}")
    assert (await page.text_content("#s-state") or "").strip() == "Dibatalkan oleh MPP: hari libur"
    assert (await page.text_content("#s-closed") or "").split() == (
        "Mohon maaf, MPP tutup pada jadwal Anda. Silakan pesan jadwal lain. Pesan jadwal lain".split()
    )
    assert await page.get_attribute("#s-closed a", "href") == "/booking/tegal"
    assert await page.is_hidden("#s-cancel") and await page.is_hidden("#s-qr") and await page.is_hidden("#s-window")
    assert not await violations(page), "WCAG A/AA: no serious violation"
    await page.click("#lang")
    assert (await page.text_content("#s-state") or "").strip() == "Cancelled by the mall: a holiday"
    assert "We are sorry: the mall is closed at your booked time." in (await page.text_content("#s-closed") or "")
    await page.goto(f"{s.url}/b/{own}")  # a citizen's own cancel: theirs, no apology from the mall
    assert (await page.text_content("#s-state") or "").strip() == "Dibatalkan"
    assert await page.is_hidden("#s-closed")
    await context.close()
