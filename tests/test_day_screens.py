"""Close and reopen as the hall sees it (issue 16), in Debian's Chromium: the lobby TV says the day is over (not "no
calls yet") after "Tutup hari", also when opened afterwards, and goes back to work when the supervisor reopens the
day from the dashboard; the kiosk refuses on its start screen and comes back."""

from __future__ import annotations

import copy
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser

from .display_support import board_page, hero_shows, until
from .helpers import KIOSK, Server, running_server
from .test_supervisor_pages import answer, signed_in

ROOT = Path(__file__).resolve().parent.parent
CONFIGURATION = "/api/v1/sites/tegal/configuration"
CLOSED = "() => document.body.classList.contains('day-closed')"
CLOSED_SHOWN = "() => getComputedStyle(document.querySelector('.hero-closed')).display !== 'none'"


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Server]:
    async with running_server(tmp_path / "queue.sqlite3", ignore_hours=True, dashboard_seconds=0.3) as s:
        yield s


async def test_the_tv_and_the_kiosk_follow_close_and_reopen(browser: Browser, server: Server) -> None:
    operator = await server.login("op-disdukcapil")
    ticket = await server.issue("ktp")
    await server.command(operator, "1", "open")
    await server.command(operator, "1", "call_next")
    kiosk_context = await browser.new_context(viewport={"width": 1280, "height": 1024})
    kiosk = await kiosk_context.new_page()
    await kiosk.goto(f"{server.url}/kiosk/tegal#token={KIOSK}")
    try:
        async with board_page(browser, server) as tv:
            await hero_shows(tv, ticket["ticket"]["label"])
            assert not await tv.evaluate(CLOSED)
            async with signed_in(browser, server, "/supervisor/tegal") as dashboard:
                await until(dashboard, "() => !document.getElementById('actions').hidden")
                await dashboard.click("#close-day")
                # what will expire is said before it is confirmed, and what did after (an outside review: only
                # "Selesai.")
                expiring = "() => document.getElementById('close-day-expiring').textContent"
                assert await until(dashboard, expiring) == (
                    "1 tiket yang belum selesai dilayani (menunggu, dipanggil, sedang dilayani, atau disisihkan) akan "
                    "kedaluwarsa."
                )
                assert await dashboard.is_hidden("#close-day-told"), "a mall without a gateway tells nobody"
                await dashboard.fill("dialog[open] input[name=confirm]", "TUTUP")
                await dashboard.click("dialog[open] button[type=submit]")
                await until(dashboard, "() => document.getElementById('toasts').textContent.includes('Hari ditutup')")
                assert "Hari ditutup: 1 tiket kedaluwarsa." in (await dashboard.text_content("#toasts") or "")
                # the hall is told the day is over
                await until(tv, CLOSED)
                await until(tv, CLOSED_SHOWN)
                assert "sudah selesai" in (await tv.text_content(".hero-closed") or "")
                assert await tv.is_hidden("#counters-none"), "not 'Belum ada loket yang buka' once the day is over"
                # a TV opened now says the same
                async with board_page(browser, server) as late_tv:
                    await until(late_tv, CLOSED_SHOWN)
                await until(kiosk, "() => document.body.dataset.current === 'notice'", timeout_ms=90_000)
                # the supervisor reopens today from the dashboard, which says first that the day is closed
                await until(dashboard, "() => !document.getElementById('reopen-day').hidden")
                closed = "() => document.querySelector('#alerts .alert.day-closed')?.textContent"
                assert await until(dashboard, closed) == "Pelayanan hari ini sudah ditutup."
                await dashboard.click("#reopen-day")
                assert (await answer(dashboard)).startswith("Buka kembali hari ini?")
                await until(tv, "() => !document.body.classList.contains('day-closed')")
                await until(dashboard, "() => document.getElementById('reopen-day').hidden")
                await until(kiosk, "() => document.body.dataset.current === 'start'", timeout_ms=90_000)
        r = await server.http.get(f"/api/v1/tickets/{ticket['ticket']['token']}")
        assert r.json()["ticket"]["state"] == "waiting"
    finally:
        await kiosk_context.close()


async def test_the_reason_for_closing_is_said_on_the_kiosk_the_tv_a_phone_and_the_booking_page(
    browser: Browser, server: Server
) -> None:
    """ "Tutup hari" with a reason picked among the dialog's suggestions: the kiosk's closed screen, the lobby TV, the
    expired ticket's phone page, the booking page's today and the dashboard's banner all say it."""
    ticket = await server.issue("ktp")
    context = await browser.new_context(viewport={"width": 1280, "height": 1024})
    kiosk, phone = await context.new_page(), await context.new_page()
    await kiosk.goto(f"{server.url}/kiosk/tegal#token={KIOSK}")
    await phone.goto(f"{server.url}/t/{ticket['ticket']['token']}")
    try:
        async with board_page(browser, server) as tv, signed_in(browser, server, "/supervisor/tegal") as dashboard:
            await until(dashboard, "() => !document.getElementById('actions').hidden")
            await dashboard.click("#close-day")
            suggestions = "() => [...document.querySelectorAll('#close-day-reasons option')].map((o) => o.value)"
            assert "Gangguan listrik" in await dashboard.evaluate(suggestions)
            await dashboard.fill("dialog[open] input[name=reason]", "Gangguan listrik")
            await dashboard.fill("dialog[open] input[name=confirm]", "TUTUP")
            await dashboard.click("dialog[open] button[type=submit]")
            banner = "() => document.querySelector('#alerts .alert.day-closed')?.textContent"
            assert await until(dashboard, banner) == "Pelayanan hari ini sudah ditutup: Gangguan listrik."
            reason = (
                "() => { const r = document.getElementById('hero-closed-reason'); return !r.hidden && r.textContent; }"
            )
            assert await until(tv, reason) == "Tutup hari ini: Gangguan listrik"
            line = "() => document.getElementById('state-line').textContent"
            said = await until(phone, f"() => ({line})().includes('Gangguan')")
            assert said and await phone.evaluate(line) == (
                "Antrean ditutup hari ini: Gangguan listrik. Tiket ini sudah tidak berlaku."
            )
            await until(kiosk, "() => document.body.dataset.current === 'notice'", timeout_ms=90_000)
            assert await kiosk.text_content("#n-title") == "Pelayanan hari ini sudah ditutup"
            assert (await kiosk.text_content("#n-message") or "").startswith(
                "Pelayanan MPP Kabupaten Tegal tutup hari ini: Gangguan listrik."
            )
        booking = await context.new_page()
        await booking.goto(f"{server.url}/booking/tegal")
        today = booking.locator(".b-pill").first
        assert (await today.locator("small").text_content() or "").strip() == "Tutup: Gangguan listrik"
    finally:
        await context.close()


async def test_a_reason_with_a_dollar_sign_is_said_as_typed_on_the_tv_and_the_dashboard(
    browser: Browser, server: Server
) -> None:
    """The reason went into the sentence with String.replace, which reads "$&", "$$", "$'" in the inserted text as
    patterns: "Tarif $& $$" came out "Tarif {reason} $" on the lobby TV and the dashboard's banner."""
    typed = "Tarif $& $$ $' naik"
    async with board_page(browser, server) as tv, signed_in(browser, server, "/supervisor/tegal") as dashboard:
        sup = await server.login("supervisor")
        r = await server.http.post("/api/v1/sites/tegal/close-day", json={"reason": typed}, headers=sup)
        assert r.status_code == 200 and r.json()["reason"] == typed, r.text
        reason = "() => { const r = document.getElementById('hero-closed-reason'); return !r.hidden && r.textContent; }"
        assert await until(tv, reason) == f"Tutup hari ini: {typed}"
        banner = "() => document.querySelector('#alerts .alert.day-closed')?.textContent"
        assert await until(dashboard, banner) == f"Pelayanan hari ini sudah ditutup: {typed}."


async def test_a_name_with_a_dollar_sign_is_said_as_typed_on_the_dashboard(browser: Browser, server: Server) -> None:
    """The same String.replace patterns in names: an agency called "A$$B" was offered as "Semua layanan A$B" in the
    dashboard's pause form ("$$" read as one "$"), "$&" as the placeholder itself."""
    admin = await server.login("admin")
    current = (await server.http.get(CONFIGURATION, headers=admin)).json()
    document = copy.deepcopy(current["document"])
    next(a for a in document["agencies"] if a["id"] == "disdukcapil")["short_name"] = "A$$B $& C"
    r = await server.http.put(CONFIGURATION, json={"version": current["version"], "document": document},
                              headers=admin)  # fmt: skip
    assert r.status_code == 200, r.text
    async with signed_in(browser, server, "/supervisor/tegal") as dashboard:
        option = "() => document.querySelector('option[value=\"agency:disdukcapil\"]')?.textContent"
        assert await until(dashboard, option, timeout_ms=30_000) == "Semua layanan A$$B $& C"


def test_no_page_script_puts_a_value_into_a_text_with_a_string_replacement() -> None:
    """`text.replace("{name}", value)` reads "$&", "$$", "$'" in `value` as patterns; a value goes in by a function
    (`() => value`), which is taken as it is. Every page script, so a new one does not bring the bug back."""
    call = re.compile(r"""\.replace(?:All)?\(\s*(?:"[^"]*"|'[^']*'|`[^`$]*`)\s*,\s*(?=(.*))""")  # what follows
    literal = re.compile(r"""(?:"[^"$]*"|'[^'$]*'|`[^`$]*`|-?\d+)\s*\)""")
    found = []
    for folder in ("supervisor", "citizen", "display", "counter_client"):
        for script in sorted((ROOT / folder / "static").rglob("*.js")):
            for number, line in enumerate(script.read_text(encoding="utf-8").splitlines(), 1):
                for value in call.findall(line):
                    if not value.startswith(("() =>", "(_", "function")) and not literal.match(value):
                        found.append(f"{script.relative_to(ROOT)}:{number}: {value[:60]}")
    assert not found, "\n".join(found)
