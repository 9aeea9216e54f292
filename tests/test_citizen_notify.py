"""Leaving a WhatsApp number, in Chromium: at the kiosk (a phone keypad and a consent the citizen presses), on the
phone page, at the staff desk and on the booking page; each states the purpose, and the message reaches the
gateway (a real receiver). A site without a gateway offers none of it."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from .helpers import Server, eventually, ticking
from .receiver import Receiver, notify_server
from .test_citizen_support import bounded, chromium, fast, kiosk_page, open_page, shot, text, until

PHONE = (390, 844)


@bounded(120)
async def test_a_citizen_leaves_a_number_at_the_kiosk_and_on_the_phone_and_is_messaged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_GATEWAY_TOKEN", "x")
    with Receiver() as gateway:
        gateway.start()
        async with notify_server(tmp_path / "q.sqlite3", tmp_path, gateway, tick=False) as server:
            fast(server)
            async with ticking(server.clock), chromium() as browser, kiosk_page(browser, server) as page:
                await page.click(".k-agency[data-agency='disdukcapil']")
                await page.click(".k-service[data-service='ktp']")
                await page.click("#priority-none")
                await until(page, "() => window.__kiosk.screen === 'ticket'")
                assert await page.is_visible("#notify-open")
                await page.click("#notify-open")
                assert (await text(page, "[data-screen='notify'] .k-sub")).startswith("Kami kirim pesan saat giliran")
                for key in "081234567890":
                    await page.click(f"#digits [data-key='{key}']")
                await page.click("#notify-submit")  # without consent: refused, said plainly
                await until(page, "() => !document.getElementById('notify-error').hidden")
                assert "persetujuan" in await text(page, "#notify-error")
                await page.click("#notify-consent")
                assert await page.get_attribute("#notify-consent", "aria-pressed") == "true"
                shot_path = tmp_path / "kiosk-notify.png"
                await page.screenshot(path=shot_path)
                shot(shot_path)
                await page.click("#notify-submit")
                await until(page, "() => window.__kiosk.screen === 'ticket'")
                assert await text(page, "#t-notify") == "Pesan akan dikirim ke 0812*****890."
                assert await page.is_hidden("#notify-open")
                assert await page.input_value("#notify-phone") == ""  # the number left the screen
                await eventually(lambda: any(b["target"] == "6281234567890" for b in gateway.bodies("/send")),
                                 "the kiosk's citizen messaged", 30)  # fmt: skip

            token = (await server.issue("ktp"))["ticket"]["token"]
            async with chromium() as browser, open_page(browser, f"{server.url}/t/{token}", size=PHONE,
                                                        mobile=True) as phone:  # fmt: skip
                await until(phone, "() => !document.getElementById('notify').hidden")
                assert "dihapus setelah hari ini" in await text(phone, "#notify")
                await phone.fill("#notify-phone", "0813 1111 2222")
                await phone.check("#notify-consent")
                await phone.click("#notify-submit")
                # The ticket's own websocket may say "on" a moment before the answer names the (masked) number.
                await until(phone, "() => document.getElementById('notify-on').textContent.includes('0813*****222')")
                assert await text(phone, "#notify-on") == "Pesan akan dikirim ke 0813*****222."
                assert await phone.is_hidden("#notify")
                shot_path = tmp_path / "mobile-notify.png"
                await phone.screenshot(path=shot_path)
                shot(shot_path)
                await phone.reload()  # after a reload: on, and never the number
                await until(phone, "() => !document.getElementById('notify-on').hidden")
                assert await text(phone, "#notify-on") == "Pemberitahuan lewat pesan aktif untuk tiket ini."
                assert "1111" not in await phone.inner_text("body")  # what a person reads holds no part of it
                markup = await phone.content()
                assert not any(form in markup for form in ("81311112222", "813 1111 2222"))
                await eventually(lambda: any(b["target"] == "6281311112222" for b in gateway.bodies("/send")),
                                 "the phone's citizen messaged", 30)  # fmt: skip
                assert "berhenti menerima pesan" in next(
                    b["message"] for b in gateway.bodies("/send") if b["target"] == "6281311112222"
                )
                # Consent withdrawn as easily as given: the number is deleted at once, nothing more is sent to it.
                ref = ticket_contact(server, token)
                assert ref is not None and (ref,) in await server.ctx.storage.query("SELECT ref FROM contacts")
                await phone.click("#notify-stop")
                # The page's own answer, not a status the server pushed meanwhile (which says "off" too).
                await until(phone, "() => document.getElementById('state-line').textContent !== ''")
                await until(phone, "() => !document.getElementById('notify').hidden")
                assert await phone.is_hidden("#notify-on") and await phone.is_hidden("#notify-stop")
                assert await text(phone, "#state-line") == "Pesan dihentikan; nomor Anda sudah dihapus."
                assert ticket_contact(server, token) is None
                assert (ref,) not in await server.ctx.storage.query("SELECT ref FROM contacts")
                before = len(gateway.bodies("/send"))
                op = await server.login("op-disdukcapil")
                assert (await server.command(op, "1", "open")).status_code == 200
                for _ in range(3):
                    await server.command(op, "1", "call_next")
                    await server.command(op, "1", "finish")
                await asyncio.sleep(1)  # what would have gone out by now: "N orang lagi", "giliran Anda"
                assert not any(b["target"] == "6281311112222" for b in gateway.bodies("/send")[before:])


@bounded(120)
async def test_the_desk_and_the_booking_page_take_a_number_with_consent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_GATEWAY_TOKEN", "x")
    with Receiver() as gateway:
        gateway.start()
        async with notify_server(tmp_path / "q.sqlite3", tmp_path, gateway, tick=False) as server:
            async with ticking(server.clock), chromium() as browser:
                async with open_page(browser, f"{server.url}/desk/tegal", size=(1366, 768)) as desk:
                    await desk.fill("input[name=username]", "op-disdukcapil")
                    await desk.fill("input[name=password]", "demo-operator")
                    await desk.click("#login button[type=submit]")
                    await until(desk, "() => !document.getElementById('issue').hidden")
                    await desk.check("input[name=service][value=ktp]")
                    await desk.fill("input[name=phone]", "081298765432")
                    await desk.check("input[name=consent]")
                    await desk.click("#issue-button")
                    await until(desk, "() => !document.getElementById('issued').hidden")
                    assert await desk.input_value("input[name=phone]") == ""
                await eventually(lambda: any(b["target"] == "6281298765432" for b in gateway.bodies("/send")),
                                 "the desk's citizen messaged", 30)  # fmt: skip
                async with open_page(browser, f"{server.url}/booking/tegal", size=PHONE, mobile=True) as booking:
                    await booking.check("input[name=service][value=ktp]", force=True)
                    await until(booking, "() => !document.getElementById('step-day').hidden")
                    await booking.locator("input[name=day]:not([disabled])").nth(1).check(force=True)
                    await until(booking, "() => document.querySelectorAll('#slots input:not([disabled])').length > 0")
                    await booking.locator("#slots input:not([disabled])").first.check(force=True)
                    await booking.fill("#nik", "3328015507900001")
                    await booking.fill("#phone", "081377788899")
                    await booking.click("#send-code")  # the number verified by a code (test_phone_verify.py)
                    sent = "Kode verifikasi pemesanan"
                    await eventually(lambda: any(sent in b["message"] for b in gateway.bodies("/send")), "the code", 30)
                    message = next(b["message"] for b in gateway.bodies("/send") if sent in b["message"])
                    await booking.fill("#phone-code", re.findall(r": (\d{6})\.", message)[0])
                    assert "konfirmasi dan pengingat" in await text(booking, "label:has(#notify)")
                    await booking.check("#notify")
                    await booking.click("#submit")
                    await until(booking, "() => !document.getElementById('result').hidden")
            await eventually(lambda: any(b["target"] == "6281377788899" and "pemesanan" in b["message"]
                                         for b in gateway.bodies("/send")), "the booking confirmed", 30)  # fmt: skip


@bounded(60)
async def test_without_a_gateway_no_page_asks_for_a_number(server: Server) -> None:
    token = (await server.issue("ktp"))["ticket"]["token"]
    async with chromium() as browser, open_page(browser, f"{server.url}/t/{token}", size=PHONE, mobile=True) as page:
        await until(page, "() => document.body.dataset.link === 'live'")
        assert await page.is_hidden("#notify") and await page.is_hidden("#notify-on")
    for path in ("/kiosk/tegal", "/desk/tegal", "/booking/tegal"):
        html = (await server.http.get(path)).text
        assert (
            "notify-" not in html
            and 'name="phone" type="tel" inputmode="tel" maxlength="24" autocomplete="off"' not in html
        )


def ticket_contact(server: Server, token: str) -> str | None:
    """The contact row a ticket names (kept while it was on, None once withdrawn)."""
    state = server.ctx.state("tegal")
    ticket = state.tickets.get(state.by_token.get(token, ""))
    return ticket.contact if ticket else None


@bounded(120)
async def test_a_call_from_another_floor_names_the_floor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An outside review: the lobby TV showed "Loket 9 · Lantai 2" while the phone and the WhatsApp message said only
    "Loket 9", in a mall whose counters are on two floors. Both name the floor now; neither holds anything personal."""
    monkeypatch.setenv("TEST_GATEWAY_TOKEN", "x")
    with Receiver() as gateway:
        gateway.start()
        async with notify_server(tmp_path / "q.sqlite3", tmp_path, gateway, tick=False) as server:
            issued = await server.issue("paspor_baru", notify={"phone": "081355566677", "consent": True})
            token = issued["ticket"]["token"]
            async with ticking(server.clock), chromium() as browser:
                async with open_page(browser, f"{server.url}/t/{token}", size=PHONE, mobile=True) as phone:
                    await until(phone, "() => document.body.dataset.link === 'live'")
                    op = await server.login("op-imigrasi")
                    assert (await server.command(op, "9", "open")).status_code == 200  # Loket 9, Lantai 2
                    assert (await server.command(op, "9", "call_next")).status_code == 200
                    await until(phone, "() => !document.getElementById('turn').hidden")
                    assert await text(phone, "#turn") == "Giliran Anda! Silakan menuju Loket 9, Lantai 2"
                    await phone.click("#lang")
                    assert await text(phone, "#turn-where") == "Please go to Loket 9, Lantai 2"

            def your_turn() -> list[str]:
                return [b["message"] for b in gateway.bodies("/send") if "giliran Anda sekarang" in b["message"]]

            await eventually(your_turn, "the your-turn message", 30)
            assert your_turn() == [f"MPP Kabupaten Tegal: nomor {issued['ticket']['label']}, giliran Anda sekarang. "
                                   "Silakan menuju Loket 9, Lantai 2."]  # fmt: skip
            status = (await server.http.get(f"/api/v1/tickets/{token}")).json()
            assert (status["counter_name"], status["counter_zone"]) == ("Loket 9", "Lantai 2")
