"""Every date and slot a citizen cannot book says why, and what to do next (docs/api.md, the slots' `why`): a day past
or beyond the booking horizon names the last day that can be booked; a refusal of what the citizen chose is said
before the number's code is looked at (and uses no code); a booking whose day a supervisor closed is not released
as a no-show but cancelled by the mall, said so on its status page. A real server, real SQLite, Chromium for the
pages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from .helpers import Server, running_server
from .receiver import Receiver
from .test_booking import kk_served_by
from .test_citizen_support import bounded, chromium, open_page, text, until
from .test_phone_verify import FAST, NIKS, error, fill_booking, gateway_site, send_code

SLOTS = "/api/v1/sites/tegal/bookings/slots"
BOOKINGS = "/api/v1/sites/tegal/bookings"
PHONE = "081234567890"


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Server]:
    async with running_server(tmp_path / "db.sqlite3", bookings_per_minute=1000) as s:
        yield s  # the demo mall, Monday 23 November 2026 at 09.00; 14 days ahead: up to Monday 7 December


async def slots(s: Server, day: str, service: str = "ktp") -> dict[str, Any]:
    r = await s.http.get(SLOTS, params={"service": service, "day": day})
    assert r.status_code == 200, r.text
    answer: dict[str, Any] = r.json()
    return answer


async def book(s: Server, day: str, slot: str = "09:00", nik: str = NIKS[0], **body: Any) -> httpx.Response:
    booking = {"service": "ktp", "day": day, "slot": slot, "nik": nik, "phone": PHONE, **body}
    return await s.http.post(BOOKINGS, json=booking)


async def test_a_day_without_slots_says_why_and_the_last_day_that_can_be_booked(site: Server) -> None:
    s = site
    tuesday = await slots(s, "2026-11-24")
    assert tuesday["why"] is None and tuesday["slots"] and tuesday["last_day"] == "2026-12-07"
    for day, why in (("2026-11-22", "past"), ("2026-12-08", "too_far"), ("2031-01-06", "too_far"),
                     ("2026-11-29", "closed"), ("2026-12-07", None)):  # fmt: skip
        answer = await slots(s, day)
        assert (answer["why"], answer["last_day"]) == (why, "2026-12-07"), (day, answer)
        assert bool(answer["slots"]) == (why is None), (day, answer)
    s.clock.now = datetime(2026, 12, 21, 2, 0, tzinfo=UTC)  # Monday 21 December: Christmas within the horizon
    christmas = await slots(s, "2026-12-25")
    assert (christmas["why"], christmas["holiday"], christmas["slots"]) == ("holiday", "Hari Natal", [])
    s.clock.now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)

    sup = await s.login("supervisor")
    r = await s.http.post("/api/v1/sites/tegal/close-day", json={"reason": "Gangguan listrik"}, headers=sup)
    assert r.status_code == 200, r.text
    today = await slots(s, "2026-11-23")
    assert (today["why"], today["reason"], today["slots"]) == ("closed_day", "Gangguan listrik", [])

    admin = await s.login("admin")
    url = "/api/v1/sites/tegal/configuration"
    current = (await s.http.get(url, headers=admin)).json()
    r = await s.http.put(url, json={"version": 0, "document": kk_served_by(current["document"])}, headers=admin)
    assert r.status_code == 200, r.text
    assert (await slots(s, "2026-11-24", "kk"))["why"] == "not_served"


async def test_a_day_that_cannot_be_booked_is_refused_with_the_last_day_named(site: Server) -> None:
    s = site
    r = await book(s, "2026-11-20")
    assert r.status_code == 409 and error(r)["code"] == "slot_unavailable", r.text
    assert error(r)["details"] == {"days_ahead": 14, "why": "past", "last_day": "2026-12-07"}
    assert error(r)["message"] == (
        "Tanggal Jumat, 20 November 2026 sudah lewat. Pilih tanggal lain, dari hari ini sampai Senin, 7 Desember 2026."
    )
    assert error(r)["message_en"] == (
        "Friday, 20 November 2026 has passed. Choose another date, from today up to Monday, 7 December 2026."
    )
    r = await book(s, "2026-12-08")
    assert r.status_code == 409 and error(r)["details"]["why"] == "too_far", r.text
    assert error(r)["message"] == (
        "Tanggal Selasa, 8 Desember 2026 belum dapat dipesan: pemesanan dibuka paling jauh 14 hari ke depan. Pilih "
        "tanggal sampai Senin, 7 Desember 2026."
    )
    sup = await s.login("supervisor")
    await s.http.post("/api/v1/sites/tegal/close-day", json={"reason": "Gangguan listrik"}, headers=sup)
    r = await book(s, "2026-11-23", "14:00")
    assert r.status_code == 409 and error(r)["details"]["why"] == "closed_day", r.text
    assert error(r)["details"]["reason"] == "Gangguan listrik"
    assert error(r)["message"] == (
        "Pelayanan MPP pada Senin, 23 November 2026 sudah ditutup: Gangguan listrik. Pilih tanggal lain."
    )
    assert not s.ctx.state("tegal").bookings


async def test_bad_dates_are_refused_at_their_field_never_a_500(site: Server) -> None:
    s = site
    for day in ("2026-02-30", "0000-01-01", "0001-01-01", "9999-12-31", "2026-11-24T00", "24-11-2026", "",
                "２０２６-11-24", "2026-11-24 ", "1e308", "2026-1-24", "x" * 500):  # fmt: skip
        for r in (
            await s.http.get(SLOTS, params={"service": "ktp", "day": day}),
            await book(s, day),
        ):
            assert r.status_code == 422, (day, r.status_code, r.text)
            assert error(r)["code"] == "invalid_field" and error(r)["details"]["field"] == "day", (day, r.text)
            assert error(r)["message"] and error(r)["message_en"], (day, r.text)
    for slot in ("25:00", "9", "", "09:00:00", "09:15"):  # "09:15" is no slot of the day: refused as such
        r = await book(s, "2026-11-24", slot)
        assert r.status_code in (409, 422) and error(r)["message"], (slot, r.text)


async def test_what_was_chosen_is_refused_before_the_code_and_uses_none_of_it(tmp_path: Path) -> None:
    """A citizen who typed the code right but chose a full slot or a closed day learns of the slot first; their code
    is neither tried nor used by that refusal, and books the slot they choose next (once only)."""
    with Receiver() as receiver:
        receiver.start()
        async with running_server(tmp_path / "db.sqlite3", site_files=[gateway_site(tmp_path, receiver)],
                                  **FAST) as s:  # fmt: skip
            code = await send_code(s, receiver, "081300000001")
            first = await book(s, "2026-11-24", nik=NIKS[0], phone="081300000001", phone_code=code, service="kk")
            assert first.status_code == 201, first.text
            proof = first.json()["phone_proof"]
            second = await book(s, "2026-11-24", nik=NIKS[1], phone="081300000001", phone_proof=proof, service="kk")
            assert second.status_code == 201, second.text  # kk's 09.00 slot holds 2: full now

            code = await send_code(s, receiver)
            full = {"service": "kk", "day": "2026-11-24", "slot": "09:00", "nik": NIKS[2]}
            r = await book(s, **full, phone_code="000000")  # the wrong code, and a full slot: the slot is said
            assert r.status_code == 409 and error(r)["code"] == "slot_full", r.text
            r = await book(s, **full, phone_code=code)  # the right code: still the slot, and the code is not used
            assert r.status_code == 409 and error(r)["code"] == "slot_full", r.text
            assert "phone_proof" not in error(r)["details"]
            r = await book(s, "2026-11-20", nik=NIKS[2], phone_code=code)  # a day past: said, code not used
            assert r.status_code == 409 and error(r)["details"]["why"] == "past", r.text
            r = await book(s, "2026-11-24", nik=NIKS[2], phone_code="000000")  # a slot free: now the code is tried
            assert r.status_code == 422 and error(r)["code"] == "phone_code_wrong", r.text
            assert error(r)["details"]["tries_left"] == 4, "the refusals of the slot took no try"
            r = await book(s, "2026-11-24", nik=NIKS[2], phone_code=code)
            assert r.status_code == 201 and r.json()["phone_proof"], r.text
            r = await book(s, "2026-11-24", "10:00", nik=NIKS[3], phone_code=code)
            assert r.status_code == 422 and error(r)["code"] == "phone_code_expired", "a code books once: " + r.text


async def test_a_booking_of_a_closed_day_is_not_a_no_show_and_a_reopened_day_s_is(site: Server) -> None:
    s = site
    closed = (await book(s, "2026-11-23", "10:00", nik=NIKS[0])).json()["booking"]["code"]
    reopened = (await book(s, "2026-11-23", "13:00", nik=NIKS[1])).json()["booking"]["code"]
    sup = await s.login("supervisor")
    r = await s.http.post("/api/v1/sites/tegal/close-day", json={"reason": "Gangguan listrik"}, headers=sup)
    assert r.status_code == 200, r.text
    s.clock.now = datetime(2026, 11, 23, 3, 20, tzinfo=UTC)  # 10.20: the 10.00 booking's window ended at 10.15
    await s.ctx.engine.release_late_bookings()
    booking = (await s.http.get(f"/api/v1/bookings/{closed}")).json()["booking"]
    assert (booking["state"], booking["cancel_reason"]) == ("cancelled", "day_closed"), booking

    async with chromium() as browser, open_page(browser, f"{s.url}/b/{closed}", size=(390, 844)) as page:
        state = await text(page, "#s-state")
        assert state == "Dibatalkan oleh MPP: pelayanan MPP ditutup pada hari itu, bukan karena Anda tidak datang"
        await until(page, "() => !document.getElementById('s-day-closed').hidden")
        assert await text(page, "#s-day-closed") == "Alasan dari MPP: Gangguan listrik."
        assert "Silakan pesan jadwal lain" in await text(page, "#s-closed")
        assert await page.is_hidden("#s-cancel") and await page.is_hidden("#s-qr")
        assert "Dilepas" not in await text(page, "main")
        await page.click("#lang")
        assert await text(page, "#s-state") == (
            "Cancelled by the mall: the mall closed its service that day, not because you did not come"
        )
        assert "released" not in await text(page, "main")

    assert (await s.http.post("/api/v1/sites/tegal/reopen-day", json={}, headers=sup)).status_code == 200
    s.clock.now = datetime(2026, 11, 23, 6, 20, tzinfo=UTC)  # 13.20: the reopened day's booking nobody came for
    await s.ctx.engine.release_late_bookings()
    assert (await s.http.get(f"/api/v1/bookings/{reopened}")).json()["booking"]["state"] == "released"
    booking = (await s.http.get(f"/api/v1/bookings/{closed}")).json()["booking"]
    assert booking["cancel_reason"] == "day_closed", "over while the day was closed: stays so"
    states = await s.ctx.storage.fetch_all("SELECT state FROM bookings ORDER BY day, slot")
    assert [r[0] for r in states] == ["cancelled", "released"], "one no-show, the one of the reopened day"


@bounded(120)
async def test_the_booking_page_says_why_a_date_has_no_time_and_the_last_day_to_book(site: Server) -> None:
    """A page opened on Monday and still open on Tuesday offers Monday: its times ask the server, which says the day
    is past; the page says so with the last day that can be booked, in the citizen's words, and in English when
    switched. A horizon shortened meanwhile says the same of a day now too far ahead."""
    s = site
    async with chromium() as browser, open_page(browser, f"{s.url}/booking/tegal", size=(390, 844)) as page:
        await page.check("input[name=service][value=ktp]")
        s.clock.now = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # Tuesday 09.00
        await page.check("input[name=day][value='2026-11-23']")
        await until(page, "() => !document.getElementById('slots-why').hidden")
        assert await text(page, "#slots-why") == (
            "Tanggal ini sudah lewat. Silakan pilih tanggal lain, dari hari ini sampai Selasa, 8 Desember 2026."
        )
        assert await page.is_hidden("#slots-none") and not await page.query_selector_all("input[name=slot]")
        await page.click("#lang")
        await until(page, "() => document.getElementById('slots-why').textContent.startsWith('This date')")
        said = await text(page, "#slots-why")
        assert said.startswith("This date has passed. Please choose another date, from today up to Tuesday"), said
        assert said.endswith("8 December 2026."), said
        await page.click("#lang")

        admin = await s.login("admin")
        url = "/api/v1/sites/tegal/configuration"
        current = (await s.http.get(url, headers=admin)).json()
        document = {**current["document"], "booking": {**current["document"].get("booking", {}), "days_ahead": 7}}
        r = await s.http.put(url, json={"version": current["version"], "document": document}, headers=admin)
        assert r.status_code == 200, r.text
        await page.check("input[name=day][value='2026-12-04']")
        await until(page, "() => document.getElementById('slots-why').textContent.includes('paling jauh')")
        assert await text(page, "#slots-why") == (
            "Tanggal ini belum dapat dipesan: pemesanan dibuka paling jauh 7 hari ke depan. Silakan pilih tanggal "
            "lain, paling lambat Selasa, 1 Desember 2026."
        )
        await page.check("input[name=day][value='2026-11-25']")  # a day that can be booked: its times, no why
        await until(page, "() => document.querySelectorAll('input[name=slot]').length > 0")
        assert await page.is_hidden("#slots-why")


@bounded(150)
async def test_the_booking_page_says_the_slot_taken_first_and_the_code_still_books(tmp_path: Path) -> None:
    """The slot a citizen chose fills up while they wait for their code; they type the code wrong, and send: the
    page says the slot is full, at the slots (read again: "Penuh"), not that the code is wrong. The right code then
    books another slot."""
    with Receiver() as receiver:
        receiver.start()
        async with (
            running_server(tmp_path / "db.sqlite3", site_files=[gateway_site(tmp_path, receiver)], **FAST) as s,
            chromium() as browser,
            open_page(browser, f"{s.url}/booking/tegal", size=(390, 844), mobile=True) as page,
        ):
            await fill_booking(page, NIKS[2], PHONE, service="kk")
            await page.click("#send-code")
            await until(page, "() => !document.getElementById('code-status').hidden")
            code = await send_code(s, receiver, "081300000001")  # meanwhile, a family takes kk's 09.00 (2 places)
            family = {"phone": "081300000001", "service": "kk"}
            r = await book(s, "2026-11-24", nik=NIKS[0], phone_code=code, **family)
            assert r.status_code == 201, r.text
            r = await book(s, "2026-11-24", nik=NIKS[1], phone_proof=r.json()["phone_proof"], **family)
            assert r.status_code == 201, r.text
            mine = await send_code(s, receiver)  # the citizen's own code, as their phone got it (the newest)

            await page.fill("#phone-code", "000000")
            await page.click("#submit")
            await until(page, "() => !document.getElementById('slot-error').hidden")
            assert await text(page, "#slot-error") == "Jadwal 09.00 sudah penuh. Pilih jadwal lain."
            assert await page.is_hidden("#phone-code-error")
            await until(
                page, "() => document.querySelector(`.b-slot:has(input[value='09:00'])`)?.classList.contains('is-full')"
            )
            assert await text(page, ".b-slot:has(input[value='09:00']) small") == "Penuh"

            await page.click("label.b-slot:has(input[value='09:30'])")
            await page.fill("#phone-code", mine)
            await page.click("#submit")
            await until(page, "() => !document.getElementById('result').hidden")
            assert (await text(page, "#r-code")).startswith("BK-")
            assert "09.30" in await text(page, "#r-when")
