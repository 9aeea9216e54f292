"""The Settings page's "Panggilan & antrean" tab in Debian's Chromium against a real server: how calls are said (with
"Dengar contoh", the call the lobby TVs would play with the form as it is), the calling rule, the breaks and online
booking, each said in words, changed by pressing the page's buttons, refused at its field in the server's words, and
used at once: a lobby TV open all along says the next call as saved. What the page did is checked against the
server's configuration and audit log."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page

from sounds.phrase import Phrase

from .display_support import board_page, until
from .helpers import Server, running_server
from .test_accessibility import need_axe
from .test_admin_page import save_and_wait, version
from .test_supervisor_a11y import opened
from .test_supervisor_pages import signed_in
from .test_supervisor_phone_tables import NOT_IN_VIEW, PHONE, SIDEWAYS, axe_clean

URL = "/api/v1/sites/tegal/configuration"
CAPTION = """() => !document.getElementById('caption').hidden && document.getElementById('caption-text').textContent"""


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Server]:
    async with running_server(tmp_path / "queue.sqlite3", ignore_hours=True) as s:
        yield s


async def said(page: Page, setting: str) -> str:
    return (await page.text_content(f"#panel dd[data-setting={setting}]") or "").strip()


async def audit_changes(server: Server) -> list[str]:
    admin = await server.login("admin")
    entries = (await server.http.get("/api/v1/sites/tegal/audit", headers=admin)).json()["entries"]
    return [e["details"]["changes"] for e in entries if e["action"] == "site.configure"]


async def hear(page: Page) -> Any:
    """ "Dengar contoh" pressed: the sample's answer (its status)."""
    async with page.expect_response(lambda r: r.url.endswith("/announcements/sample")) as answered:
        await page.click("#hear-sample")
    return await answered.value


async def heard_seconds(page: Page) -> float:
    """ "Dengar contoh" pressed: how long the sample the page plays lasts."""
    assert (await hear(page)).status == 200
    seconds = await until(page, "() => document.getElementById('sample-state').dataset.seconds")
    return float(seconds)


async def test_calls_are_said_as_changed_on_the_tab_heard_before_saving_and_a_tv_says_the_next_call_so(
    browser: Browser, server: Server
) -> None:
    async with board_page(browser, server) as tv:
        await tv.evaluate("() => { window.__marker = 1; }")
        async with signed_in(browser, server, "/supervisor/tegal/admin#calls", user="supervisor") as page:
            await until(page, "() => !!document.getElementById('announcements-settings')")
            assert await page.get_attribute("#tab-calls", "aria-selected") == "true"
            assert await page.text_content("#tab-calls") == "Panggilan & antrean"
            assert await said(page, "languages") == "Bahasa Indonesia saja"
            assert await said(page, "reading") == "Sebagai bilangan: A-123 dibaca “A seratus dua puluh tiga”"
            assert await said(page, "repeat") == "1 kali setiap panggilan"
            await page.click("#edit-announcements")
            # the sample of the form as it is: heard before anything is saved, longer as more is said
            once = await heard_seconds(page)
            assert await page.text_content("#sample-state") in (
                "Memutar contoh panggilan ...",
                "Contoh selesai diputar.",
            )
            await page.fill("#f-repeat", "2")
            twice = await heard_seconds(page)
            await page.select_option("#f-languages", "id,en")
            english = await heard_seconds(page)
            assert twice > 2 * once and english > twice + 2, (once, twice, english)
            assert await version(server) == 0, "hearing saves nothing"
            # a wrong sentence: the sample and the save say it at its field, in the page's words
            await page.fill("#f-template_id", "Silakan ke {counter}")
            refused = await hear(page)
            assert refused.status == 422
            await until(page, "() => document.getElementById('f-template_id').getAttribute('aria-invalid') === 'true'")
            error = await page.text_content("#editor-error") or ""
            assert "kalimat panggilan (Indonesia): harus berupa teks yang memuat {ticket} dan {counter}" in error, error
            assert await page.evaluate("() => document.activeElement.id") == "f-template_id"
            await page.click("#editor-save")
            await until(page, "() => document.getElementById('editor-error').textContent.includes('Perbaiki dulu')")
            assert await version(server) == 0
            await page.fill("#f-template_id", "Nomor antrean {ticket}, silakan menuju {counter}")
            await page.select_option("#f-reading", "digits")
            await save_and_wait(page, 1)
            assert "suara panggilan diubah" in (await page.text_content("#toasts") or "")
            assert await said(page, "languages") == "Bahasa Indonesia, lalu diulang dalam bahasa Inggris"
            assert await said(page, "reading") == "Angka per angka: A-123 dibaca “A satu dua tiga”"
            assert await said(page, "repeat") == "2 kali setiap panggilan"
            assert await page.evaluate("() => document.activeElement.id") == "edit-announcements"
        settings = server.ctx.sites["tegal"].announcements
        assert (settings.languages, settings.reading, settings.repeat) == (("id", "en"), "digits", 2)
        document = (await server.http.get(URL, headers=await server.login("admin"))).json()["document"]
        assert document["announcements"]["reading"] == "digits"
        assert await audit_changes(server) == ["~announcements"]
        # the TV, open all along, says the next call digit by digit, with its English, without a reload
        ticket = (await server.issue("ktp"))["ticket"]
        operator = await server.login("op-disdukcapil")
        assert (await server.command(operator, "1", "open")).status_code == 200
        assert (await server.command(operator, "1", "call_next")).status_code == 200
        caption = await until(tv, CAPTION, timeout_ms=30_000)
        assert caption.startswith(Phrase(ticket["label"], "Loket 1", "id", "digits").text()), caption
        assert await tv.evaluate("() => window.__marker") == 1


async def test_the_calling_rule_breaks_and_booking_are_changed_on_the_tab_and_refused_at_their_field(
    browser: Browser, server: Server
) -> None:
    message = "(id) => document.getElementById(id).validationMessage"
    async with signed_in(browser, server, "/supervisor/tegal/admin#calls", user="supervisor") as page:
        await until(page, "() => !!document.getElementById('routing-settings')")
        # the calling rule: 0 turns priority off, and says so
        assert (await said(page, "priority_max_streak")).startswith("Kelompok prioritas")
        await page.click("#edit-routing")
        await page.fill("#f-priority_max_streak", "101")
        await page.click("#editor-save")
        assert await page.evaluate(message, "f-priority_max_streak") == "Isi bilangan bulat dari 0 sampai 100."
        await page.fill("#f-priority_max_streak", "0")
        await page.select_option("#f-order", "service_order")
        await save_and_wait(page, 1)
        assert await said(page, "priority_max_streak") == "Mati: kelompok prioritas tidak didahulukan"
        assert (await said(page, "order")).startswith("Menurut urutan layanan loket")
        routing = server.ctx.sites["tegal"].routing
        assert (routing.order, routing.priority_max_streak) == ("service_order", 0)
        # breaks: a window in Indonesian notation; minutes longer than the window refused at its field by the server
        assert (await said(page, "breaks")).startswith("Setiap loket istirahat sekali selama 45 menit")
        await page.click("#edit-breaks")
        await page.fill("#f-window", "12.00-13.00")
        await page.fill("#f-minutes", "90")
        await page.click("#editor-save")
        await until(page, "() => document.getElementById('f-minutes').getAttribute('aria-invalid') === 'true'")
        error = await page.text_content("#editor-error") or ""
        assert "lama (menit): harus bilangan bulat dari 1 sampai 60" in error, error
        assert await version(server) == 1
        await page.fill("#f-minutes", "30")
        await save_and_wait(page, 2)
        assert await said(page, "breaks") == (
            "Setiap loket istirahat sekali selama 30 menit antara pukul 12.00 dan 13.00, bergantian"
        )
        breaks = server.ctx.sites["tegal"].breaks
        assert breaks is not None and (f"{breaks.start:%H:%M}", breaks.minutes) == ("12:00", 30)
        # no breaks at all: the window is not asked
        await page.click("#edit-breaks")
        await page.uncheck("#f-has_breaks")
        assert await page.is_disabled("#f-window") and await page.is_disabled("#f-minutes")
        await save_and_wait(page, 3)
        assert await said(page, "breaks") == "Tidak ada jadwal istirahat"
        assert server.ctx.sites["tegal"].breaks is None
        # booking: 7 days ahead instead of 14, bounds said at the field before anything is sent
        assert await said(page, "days_ahead") == "Sampai 14 hari ke depan"
        await page.click("#edit-booking")
        await page.fill("#f-days_ahead", "91")
        await page.fill("#f-per_phone", "0")
        await page.click("#editor-save")
        assert await page.evaluate(message, "f-days_ahead") == "Isi bilangan bulat dari 0 sampai 90."
        assert await page.evaluate(message, "f-per_phone") == "Isi bilangan bulat dari 1 sampai 20."
        assert await version(server) == 3
        await page.fill("#f-days_ahead", "7")
        await page.fill("#f-per_phone", "2")
        await save_and_wait(page, 4)
        assert "pemesanan daring diubah" in (await page.text_content("#toasts") or "")
        assert await said(page, "days_ahead") == "Sampai 7 hari ke depan"
        assert await said(page, "per_phone") == "Paling banyak 2 pemesanan untuk satu layanan per hari"
    booking = server.ctx.sites["tegal"].booking
    assert (booking.days_ahead, booking.per_phone, booking.slot_minutes) == (7, 2, 30)
    document = (await server.http.get(URL, headers=await server.login("admin"))).json()["document"]
    assert document["booking"]["days_ahead"] == 7 and document["routing"]["priority_max_streak"] == 0
    assert "breaks" not in document["site"]
    assert await audit_changes(server) == ["~booking", "~site.breaks", "~site.breaks", "~routing"]  # newest first


async def test_verify_phone_says_whether_the_mall_has_a_gateway_to_send_the_codes(
    browser: Browser, server: Server, tmp_path: Path
) -> None:
    """Verifying a phone number takes a WhatsApp/SMS gateway: a mall without one is told its citizens book without
    codes, whatever the box says."""
    async with signed_in(browser, server, "/supervisor/tegal/admin#calls", user="admin") as page:
        await until(page, "() => !!document.getElementById('booking-settings')")
        assert "belum punya gateway WhatsApp/SMS" in await said(page, "verify_phone")
        await page.click("#edit-booking")
        hint = await page.text_content("#f-verify_phone-hint") or ""
        assert "Hanya berlaku bila MPP punya gateway WhatsApp/SMS" in hint, hint
    async with running_server(tmp_path / "inbox.sqlite3", ignore_hours=True, demo_inbox=True) as with_gateway:
        async with signed_in(browser, with_gateway, "/supervisor/tegal/admin#calls", user="admin") as page:
            await until(page, "() => !!document.getElementById('booking-settings')")
            assert await said(page, "verify_phone") == "Ya, dengan kode lewat WhatsApp/SMS"


async def test_the_tab_and_its_forms_fit_a_phone_and_axe_finds_no_serious_violation(
    browser: Browser, server: Server
) -> None:
    """At 375 px each setting is said under its name (a column of two or three words a line read badly), nothing
    scrolls sideways, every button is in view; axe on the tab and on each of its forms, "Dengar contoh" included."""
    need_axe()
    async with opened(
        browser, server, "/supervisor/tegal/admin#calls", "admin", viewport=PHONE, bypass_csp=True
    ) as page:
        await until(page, "() => !!document.getElementById('booking-settings')")
        assert await page.evaluate(SIDEWAYS) <= 0
        columns = await page.evaluate(
            "() => getComputedStyle(document.getElementById('announcements-settings')).gridTemplateColumns"
        )
        assert len(columns.split()) == 1, columns
        await axe_clean(page, "Settings, Panggilan & antrean, at 375x740")
        for form in ("announcements", "routing", "breaks", "booking"):
            await page.click(f"#edit-{form}")
            await until(page, "() => document.getElementById('editor').open")
            assert await page.evaluate(NOT_IN_VIEW, ["#editor"]) == {"sideways": 0, "out": []}, form
            await axe_clean(page, f"Settings, Panggilan & antrean, the {form} form, at 375x740")
            await page.keyboard.press("Escape")
            await until(page, "() => !document.getElementById('editor').open")
