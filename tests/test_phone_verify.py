"""A citizen's phone number verified by a one-time code before an online booking (docs/citizen.md, "Online
booking"): the code sent through the site's gateway (a real HTTP receiver here) and read from what it received, then
booked with; wrong, expired, used-up and reused codes; the limits per number and per address; a mall that does not
verify. On both databases: the codes and their tries are the database's, shared by every process."""

from __future__ import annotations

import asyncio
import re
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Page

from queue_server.settings.sitefile import DEMO_SITE

from .helpers import Server, eventually, running_server, ticking
from .receiver import Receiver
from .test_citizen_booking import every_log_line
from .test_citizen_support import bounded, chromium, open_page, shot, text, until
from .test_invariants import write_site

BOTH_DATABASES = True
# Quick retries and pauses of the gateway's breaker; the limit per address raised (each test sets its own).
FAST = {
    "outbox_retry_seconds": 0.2,
    "outbox_retry_cap_seconds": 1.0,
    "outbox_breaker_seconds": 1.0,
    "bookings_per_minute": 1000,
}
PHONE = "0812-3456-7890"
NIKS = ("3328014101900007", "3328014101900015", "3328014101900023", "3328014101900031")
BOOKING = {"service": "ktp", "day": "2026-11-24", "slot": "09:00", "phone": PHONE}
CODE_SENT = re.compile(r"Kode verifikasi pemesanan MPP Kabupaten Tegal: (\d{6})\. Berlaku 10 menit\. Jangan berikan")


def gateway_site(tmp_path: Path, receiver: Receiver, booking: str = "") -> Path:
    """The demo mall with a WhatsApp/SMS gateway at the receiver, and `booking` lines added to its [booking]."""
    path = tmp_path / "tegal_gateway.toml"
    path.write_text(
        DEMO_SITE.read_text().replace("[booking]\n", f"[booking]\n{booking}", 1)
        + f"""
[notify]
public_url = "http://antrean.mpp.test"

[notify.gateway]
url = "{receiver.url}/send"
body = {{ target = "{{phone}}", message = "{{text}}", ref = "{{message_id}}" }}
"""
    )
    return path


def codes_received(receiver: Receiver, target: str = "6281234567890") -> list[str]:
    return [
        found.group(1)
        for body in receiver.bodies("/send")
        if body["target"] == target and (found := CODE_SENT.search(body["message"]))
    ]


async def send_code(s: Server, receiver: Receiver, phone: str = PHONE, **extra: Any) -> str:
    """Asks for a code and returns it as the citizen's phone received it."""
    target = "62" + re.sub(r"\D", "", phone)[1:]
    before = len(codes_received(receiver, target))
    r = await s.http.post("/api/v1/sites/tegal/bookings/phone-code", json={"phone": phone, **extra})
    assert r.status_code == 201, r.text
    await eventually(lambda: len(codes_received(receiver, target)) > before, "the code reaches the phone")
    return codes_received(receiver, target)[-1]


async def book(s: Server, nik: str = NIKS[0], **body: Any) -> httpx.Response:
    return await s.http.post("/api/v1/sites/tegal/bookings", json={**BOOKING, "nik": nik, **body})


def error(r: httpx.Response) -> dict[str, Any]:
    found: dict[str, Any] = r.json()["error"]
    return found


async def fill_booking(page: Page, nik: str, phone: str, service: str = "ktp") -> None:
    """The booking page's form as a citizen fills it: the service, 24 November, its 09.00 slot, a NIK and a number."""
    await page.check(f"input[name=service][value={service}]")
    await page.check("input[name=day][value='2026-11-24']")
    await page.wait_for_selector("input[name=slot][value='09:00']", state="attached")
    await page.click("label.b-slot:has(input[value='09:00'])")
    await page.fill("#nik", nik)
    await page.fill("#phone", phone)


async def test_a_booking_needs_the_code_its_number_received_and_the_number_stays_verified_a_while(
    database: Path | str, tmp_path: Path
) -> None:
    with Receiver() as receiver, every_log_line() as log_lines:
        receiver.start()
        site = gateway_site(tmp_path, receiver)
        async with running_server(database, site_files=[site], access_log=True, **FAST) as s:
            r = await book(s)
            assert r.status_code == 422 and error(r)["code"] == "phone_code_required", r.text
            assert error(r)["details"] == {"field": "phone_code"}
            assert "Kirim kode" in error(r)["message"] and "Send code" in error(r)["message_en"]

            storage = s.app.state.server.ctx.storage
            events = "SELECT COUNT(*) FROM events"
            events_before = await storage.fetch_all(events)
            r = await s.http.post("/api/v1/sites/tegal/bookings/phone-code", json={"phone": PHONE, "lang": "id"})
            assert r.status_code == 201, r.text
            sent = r.json()
            assert sent["phone"] == "0812*****890" and sent["valid_minutes"] == 10 and sent["resend_after"] == 60
            assert sent["expires_at"] == "2026-11-23T09:10:00+07:00"
            await eventually(lambda: codes_received(receiver), "the code reaches the phone")
            code = codes_received(receiver)[0]
            assert receiver.bodies("/send")[0]["message"] == (
                f"Kode verifikasi pemesanan MPP Kabupaten Tegal: {code}. Berlaku 10 menit. Jangan berikan kode ini "
                "kepada siapa pun."
            )
            # The request made no event (the code is in no event nor frame), and the database holds the code only
            # as a keyed hash, and in the outbox only encrypted.
            assert await storage.fetch_all(events) == events_before
            rows = await storage.fetch_all("SELECT id, site, phone_hash, code_hash, tries FROM phone_codes")
            assert len(rows) == 1 and rows[0][4] == 0
            assert all(code not in str(value) and "81234567890" not in str(value) for value in rows[0])
            payloads = await storage.fetch_all("SELECT payload FROM outbox WHERE kind = 'phone_code'")
            assert len(payloads) == 1 and code not in payloads[0][0] and '"sealed_code"' in payloads[0][0]

            r = await book(s, phone_code=str((int(code) + 1) % 1_000_000).zfill(6))
            assert r.status_code == 422 and error(r)["code"] == "phone_code_wrong", r.text
            assert error(r)["details"] == {"field": "phone_code", "tries_left": 4}
            assert "sisa 4 kali" in error(r)["message"] and "4 tries left" in error(r)["message_en"]
            r = await book(s, phone_code="12a")  # not a code at all: said so, and no try spent
            assert r.status_code == 422 and error(r)["message"] == "Kode verifikasi terdiri dari 6 angka.", r.text
            r = await book(s, phone_code=f" {code[:3]} {code[3:]} ")  # as copied from the message, with spaces
            assert r.status_code == 201, r.text
            assert r.json()["booking"]["phone"] == "0812*****890"
            proof = r.json()["phone_proof"]
            assert isinstance(proof, str) and len(proof) >= 40
            rows = await storage.fetch_all("SELECT proof_hash, sender FROM phone_codes")
            assert rows[0][0] and proof not in str(rows) and "127.0.0.1" not in str(rows)  # keyed hashes only

            # A family books its other members with the same number and the proof: no other code for 30 minutes.
            r = await book(s, NIKS[1], phone_proof=proof)
            assert r.status_code == 201 and "phone_proof" not in r.json(), r.text
            s.clock.advance(minutes=29)
            r = await book(s, NIKS[2], phone_code="000000", phone_proof=proof)  # a code given too is not looked at
            assert r.status_code == 201, r.text
            s.clock.advance(minutes=2)
            r = await book(s, NIKS[3], slot="10:00", phone_proof=proof)
            assert r.status_code == 422 and error(r)["code"] == "phone_code_required", r.text
            r = await book(s, NIKS[3], slot="10:00", phone_code=code)  # used once: not again
            assert r.status_code == 422 and error(r)["code"] == "phone_code_expired", r.text
    logged = "\n".join(log_lines)
    assert proof not in logged
    assert code not in logged and "Kode verifikasi pemesanan" not in logged


async def test_a_code_lasts_ten_minutes_and_five_wrong_tries_void_it(database: Path | str, tmp_path: Path) -> None:
    with Receiver() as receiver:
        receiver.start()
        async with running_server(database, site_files=[gateway_site(tmp_path, receiver)], **FAST) as s:
            r = await book(s, phone_code="123456")  # none was asked for
            assert r.status_code == 422 and error(r)["code"] == "phone_code_expired", r.text
            code = await send_code(s, receiver)
            wrong = str((int(code) + 7) % 1_000_000).zfill(6)
            for left in (4, 3, 2, 1):
                r = await book(s, phone_code=wrong)
                assert error(r)["details"]["tries_left"] == left, r.text
            r = await book(s, phone_code=wrong)
            assert r.status_code == 422 and error(r)["code"] == "phone_code_wrong", r.text
            assert error(r)["details"]["tries_left"] == 0
            assert "tidak berlaku lagi" in error(r)["message"] and "now void" in error(r)["message_en"]
            r = await book(s, phone_code=code)  # the right code, after five wrong ones: void
            assert r.status_code == 422 and error(r)["code"] == "phone_code_expired", r.text
            assert "Kirim ulang kode" in error(r)["message"]

            code = await send_code(s, receiver)  # a new code is a new start
            s.clock.advance(minutes=10, seconds=1)
            r = await book(s, phone_code=code)
            assert r.status_code == 422 and error(r)["code"] == "phone_code_expired", r.text
            code = await send_code(s, receiver)
            s.clock.advance(minutes=9)
            r = await book(s, phone_code=code)
            assert r.status_code == 201, r.text


async def test_at_most_three_codes_an_hour_go_to_one_number(database: Path | str, tmp_path: Path) -> None:
    with Receiver() as receiver:
        receiver.start()
        async with running_server(database, site_files=[gateway_site(tmp_path, receiver)], **FAST) as s:
            first = await send_code(s, receiver)
            s.clock.advance(minutes=20)
            await send_code(s, receiver)
            latest = await send_code(s, receiver)
            r = await s.http.post("/api/v1/sites/tegal/bookings/phone-code", json={"phone": "+62 812 3456 7890"})
            assert r.status_code == 429 and error(r)["code"] == "too_many_requests", r.text
            assert error(r)["details"]["field"] == "phone" and r.headers["Retry-After"] == "2401"
            assert error(r)["message"] == (
                "Sudah 3 kode verifikasi dikirim ke nomor ini dalam satu jam terakhir. Coba lagi dalam 40 menit, atau "
                "pakai kode yang sudah diterima."
            )
            assert len(codes_received(receiver)) == 3
            r = await book(s, phone_code=first)  # only the newest code counts
            assert r.status_code == 422 and error(r)["code"] == "phone_code_wrong", r.text
            assert (await book(s, phone_code=latest)).status_code == 201
            s.clock.advance(minutes=41)  # the first code's hour is over
            await send_code(s, receiver)
            assert len(codes_received(receiver)) == 4


async def test_codes_asked_together_for_one_number_are_still_three(database: Path | str, tmp_path: Path) -> None:
    """An outside review sent 30 requests at once for one number, in six of its forms, from 30 addresses (over two
    processes on PostgreSQL): all 30 codes went to the phone, each request counting the codes sent before it while
    the others were not written yet. The count and the code are one step under the number's lock: three go."""
    forms = ("0812-3456-7890", "+62 812 3456 7890", "62812.3456.7890", "+62 (0)812 3456 7890",
             "\uff10\uff18\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19\uff10", "+620812-3456-7890")  # fmt: skip
    with Receiver() as receiver:
        receiver.start()
        site = gateway_site(tmp_path, receiver)
        processes = 2 if isinstance(database, str) else 1  # a SQLite database has one server process
        async with AsyncExitStack() as stack:
            servers = [await stack.enter_async_context(running_server(database, site_files=[site], **FAST))
                       for _ in range(processes)]  # fmt: skip

            async def ask(i: int) -> httpx.Response:
                return await servers[i % processes].http.post(
                    "/api/v1/sites/tegal/bookings/phone-code", json={"phone": forms[i % len(forms)]},
                    headers={"X-Forwarded-For": f"198.51.100.{i + 1}"},
                )  # fmt: skip

            answers = list(await asyncio.gather(*(ask(i) for i in range(30))))
            # On a busy machine a request may wait for the number's lock past its deadline: refused 503, nothing
            # changed, and asked again as a client does. What is asserted is what went: three codes, never more.
            for _ in range(10):
                again = [i for i, r in enumerate(answers) if r.status_code == 503]
                if not again:
                    break
                assert all(error(answers[i])["code"] == "storage_unavailable" for i in again), answers
                for i in again:
                    answers[i] = await ask(i)
            assert sorted(r.status_code for r in answers) == [201] * 3 + [429] * 27, [r.text for r in answers]
            assert {error(r)["details"]["field"] for r in answers if r.status_code == 429} == {"phone"}
            await eventually(lambda: len(codes_received(receiver)) == 3, "three codes sent")
            storage = servers[0].app.state.server.ctx.storage
            assert await storage.fetch_all("SELECT COUNT(*) FROM phone_codes") == [(3,)]
            # Nothing of the refused ones stays behind: no message, no (encrypted) number.
            assert await storage.fetch_all("SELECT COUNT(*) FROM outbox WHERE kind = 'phone_code'") == [(3,)]
            assert await storage.fetch_all("SELECT COUNT(*) FROM contacts WHERE ref LIKE 'v:%'") == [(3,)]


async def test_a_server_of_many_malls_sends_one_number_three_codes_an_hour_in_all(
    database: Path | str, tmp_path: Path
) -> None:
    """The number's three codes an hour were counted per mall: a server hosting many malls (a regency's, a
    province's) sent three from each to a stranger's phone. The phone is one, and so is its count."""
    with Receiver() as receiver:
        receiver.start()
        tegal = gateway_site(tmp_path, receiver)
        uji = tmp_path / "uji_gateway.toml"  # another mall of the server, with a gateway of its own
        uji.write_text(
            write_site(tmp_path / "uji.toml", 1).read_text() + tegal.read_text()[tegal.read_text().index("[notify]") :]
        )
        async with running_server(database, site_files=[tegal, uji], **FAST) as s:
            for _ in range(3):
                await send_code(s, receiver)
            r = await s.http.post("/api/v1/sites/uji/bookings/phone-code", json={"phone": PHONE})
            assert r.status_code == 429 and error(r)["details"]["field"] == "phone", r.text
            assert len(codes_received(receiver)) == 3


async def test_codes_asked_from_one_address_count_with_its_bookings(database: Path | str, tmp_path: Path) -> None:
    """Someone sending codes to many numbers (a stranger's each) is held by the limit per client address."""
    with Receiver() as receiver:
        receiver.start()
        site = gateway_site(tmp_path, receiver)
        async with running_server(database, site_files=[site], **{**FAST, "bookings_per_minute": 3}) as s:
            assert (await book(s)).status_code == 422  # a booking counts
            for phone in ("081300000001", "081300000002"):
                r = await s.http.post("/api/v1/sites/tegal/bookings/phone-code", json={"phone": phone})
                assert r.status_code == 201, r.text
            r = await s.http.post("/api/v1/sites/tegal/bookings/phone-code", json={"phone": "081300000003"})
            assert r.status_code == 429 and error(r)["message"] == "Terlalu banyak permintaan. Coba beberapa saat lagi."
            assert error(r)["details"] == {"retry_after": 60}  # not the number's limit (field: phone): the address's
            await eventually(lambda: len(receiver.bodies()) == 2, "two codes sent")


def numbers(count: int, first: int = 0) -> list[str]:
    return [f"08130000{i:04d}" for i in range(first, first + count)]


async def ask_code(s: Server, phone: str, address: str) -> httpx.Response:
    """A code asked for from the client address `address` (the server believes the proxy header from 127.0.0.1)."""
    return await s.http.post("/api/v1/sites/tegal/bookings/phone-code", json={"phone": phone},
                             headers={"X-Forwarded-For": address})  # fmt: skip


async def test_one_address_gets_codes_per_address_an_hour_whatever_the_numbers(
    database: Path | str, tmp_path: Path
) -> None:
    """One address used to make the mall send `bookings_per_minute` codes a minute, each to another number (each a
    stranger's): thousands of messages a day. `[booking] codes_per_address` holds it to so many an hour."""
    with Receiver() as receiver:
        receiver.start()
        site = gateway_site(tmp_path, receiver, booking="codes_per_address = 4\n")
        async with running_server(database, site_files=[site], **FAST) as s:
            for phone in numbers(3):
                assert (await ask_code(s, phone, "198.51.100.7")).status_code == 201
            s.clock.advance(minutes=20)
            assert (await ask_code(s, numbers(1, 3)[0], "198.51.100.7")).status_code == 201
            r = await ask_code(s, numbers(1, 4)[0], "198.51.100.7")
            assert r.status_code == 429 and error(r)["code"] == "too_many_requests", r.text
            assert (
                error(r)["details"] == {"retry_after": 2401, "limit": "address"} and r.headers["Retry-After"] == "2401"
            )
            assert error(r)["message"] == (
                "Sudah 4 kode verifikasi diminta dari jaringan ini dalam satu jam terakhir. Coba lagi dalam 40 menit, "
                "atau pakai kode yang sudah diterima."
            )
            assert "from this network" in error(r)["message_en"]
            assert (await ask_code(s, numbers(1, 4)[0], "198.51.100.8")).status_code == 201  # another address
            s.clock.advance(minutes=41)  # the address's first three codes have left the hour
            assert (await ask_code(s, numbers(1, 5)[0], "198.51.100.7")).status_code == 201
            # Six codes made (each sent unless it expired first: the clock moved on), the address kept only as a
            # keyed hash.
            rows = await s.ctx.storage.fetch_all("SELECT sender FROM phone_codes")
            assert len(rows) == 6 and len({r[0] for r in rows}) == 2 and "198.51.100" not in str(rows)


async def test_the_mall_sends_codes_per_hour_in_all_says_so_and_alerts_the_supervisor(
    database: Path | str, tmp_path: Path
) -> None:
    """Codes asked from many addresses (a bot on many networks) meet the mall's own hourly limit: the citizen is told
    it is the mall's limit and what to do, and the supervisor's dashboard says codes are being refused."""
    with Receiver() as receiver:
        receiver.start()
        site = gateway_site(tmp_path, receiver, booking="codes_per_hour = 10\n")
        async with running_server(database, site_files=[site], **FAST) as s:
            sup = await s.login("supervisor")
            for i, phone in enumerate(numbers(10)):
                assert (await ask_code(s, phone, f"203.0.113.{i + 1}")).status_code == 201
                s.clock.advance(minutes=1)
            r = await ask_code(s, numbers(1, 10)[0], "203.0.113.99")
            assert r.status_code == 429 and error(r)["code"] == "phone_code_site_limit", r.text
            assert error(r)["details"] == {"retry_after": 3001} and r.headers["Retry-After"] == "3001"
            assert error(r)["message"] == (
                "MPP Kabupaten Tegal sudah mengirim kode verifikasi sebanyak batasnya untuk satu jam ini (batas MPP, "
                "bukan kesalahan Anda). Silakan datang langsung ke MPP dan ambil nomor antrean di kios, atau coba "
                "pesan lagi dalam 50 menit."
            )
            assert "the mall's limit" in error(r)["message_en"]

            async def alerts() -> list[dict[str, Any]]:
                found = (await s.http.get("/api/v1/sites/tegal/dashboard", headers=sup)).json()["alerts"]
                return [a for a in found if a["kind"] == "phone_codes_capped"]

            async def alerted() -> bool:
                return bool(await alerts())

            await eventually(alerted, "the dashboard says the mall's codes are capped")
            alert = (await alerts())[0]
            assert alert["sent"] == 10 and alert["limit"] == 10 and alert["agencies"] == []
            assert "10 kode dikirim dalam satu jam terakhir (batas 10)" in alert["message"]
            assert "pukul 10.00" in alert["message"] and "from 10:00" in alert["message_en"]
            assert "0813" not in str(alert) and "203.0.113" not in str(alert)  # nothing of whom
            s.clock.advance(minutes=51)  # the first code has left the hour

            async def cleared() -> bool:
                return not await alerts()

            await eventually(cleared, "the alert clears once codes may go again")
            assert (await ask_code(s, numbers(1, 10)[0], "203.0.113.99")).status_code == 201
            assert await s.ctx.storage.fetch_all("SELECT COUNT(*) FROM phone_codes") == [(11,)]


async def test_codes_asked_together_hold_the_address_and_mall_limits_exactly(
    database: Path | str, tmp_path: Path
) -> None:
    """Many requests at once (over two processes on PostgreSQL): the counts and the code are one step under the
    site's lock, so one address gets exactly its codes_per_address, and all addresses together exactly the mall's
    codes_per_hour, as requests sent one by one would."""
    with Receiver() as receiver:
        receiver.start()
        site = gateway_site(tmp_path, receiver, booking="codes_per_address = 5\ncodes_per_hour = 12\n")
        processes = 2 if isinstance(database, str) else 1  # a SQLite database has one server process
        async with AsyncExitStack() as stack:
            servers = [await stack.enter_async_context(running_server(database, site_files=[site], **FAST))
                       for _ in range(processes)]  # fmt: skip
            phones = numbers(60)
            one = await asyncio.gather(
                *(ask_code(servers[i % processes], phones[i], "198.51.100.1") for i in range(20))
            )
            assert sorted(r.status_code for r in one) == [201] * 5 + [429] * 15, [r.text for r in one]
            assert {error(r)["details"].get("limit") for r in one if r.status_code == 429} == {"address"}
            many = await asyncio.gather(
                *(ask_code(servers[i % processes], phones[20 + i], f"203.0.113.{i + 1}") for i in range(30))
            )
            assert sorted(r.status_code for r in many) == [201] * 7 + [429] * 23, [r.text for r in many]
            assert {error(r)["code"] for r in many if r.status_code == 429} == {"phone_code_site_limit"}
            storage = servers[0].ctx.storage
            assert await storage.fetch_all("SELECT COUNT(*) FROM phone_codes") == [(12,)]
            assert await storage.fetch_all("SELECT COUNT(*) FROM outbox WHERE kind = 'phone_code'") == [(12,)]
            assert await storage.fetch_all("SELECT COUNT(*) FROM contacts WHERE ref LIKE 'v:%'") == [(12,)]
            await eventually(lambda: len(receiver.bodies("/send")) == 12, "twelve codes sent")


async def test_the_verified_window_serves_only_the_client_that_gave_the_code(
    database: Path | str, tmp_path: Path
) -> None:
    """For 30 minutes after a citizen gave the right code, anyone who knew the number booked with it. Now only the
    `phone_proof` the citizen's booking was answered with does; a booking refused after the code was used (by its own
    rules) carries the proof too, so the citizen books again without a new code; a slot or day refused is said before
    the code is used, so the code still books; the same right code sent twice at once books once."""
    with Receiver() as receiver:
        receiver.start()
        async with running_server(database, site_files=[gateway_site(tmp_path, receiver)], **FAST) as s:
            code = await send_code(s, receiver)
            r = await book(s, slot="07:00", phone_code=code)  # before opening: refused before the code is used
            assert r.status_code == 409 and error(r)["code"] == "slot_unavailable", r.text
            assert "phone_proof" not in error(r)["details"], "the code was not used by a refusal of the slot"
            r = await book(s, phone_code=code)  # the same code books the slot that can be booked
            assert r.status_code == 201, r.text
            code = await send_code(s, receiver)
            r = await book(s, phone_code=code)  # the same NIK again: refused by its rules once the code is used
            assert r.status_code == 409 and error(r)["code"] == "duplicate_booking", r.text
            proof = error(r)["details"]["phone_proof"]
            r = await book(s, NIKS[1], phone_code=code)  # used: never twice
            assert r.status_code == 422 and error(r)["code"] == "phone_code_expired", r.text
            r = await book(s)  # someone else, knowing the number: no proof, no code
            assert r.status_code == 422 and error(r)["code"] == "phone_code_required", r.text
            for made_up in ("x" * 43, proof[:-1], ""):
                r = await book(s, phone_proof=made_up)
                assert r.status_code == 422 and error(r)["code"] == "phone_code_required", (made_up, r.text)
            r = await book(s, phone_proof=proof, phone="081300009999")  # the proof of another number
            assert r.status_code == 422 and error(r)["code"] == "phone_code_required", r.text
            for bad in (12345, ["x"], "y" * 65):
                r = await book(s, phone_proof=bad)
                assert r.status_code == 422 and error(r)["code"] == "invalid_field", (bad, r.text)
                assert error(r)["details"]["field"] == "phone_proof" and error(r)["message"]
            r = await book(s, NIKS[1], phone_proof=proof)  # the citizen's family: no new code
            assert r.status_code == 201 and "phone_proof" not in r.json(), r.text

            code = await send_code(s, receiver, "081300000077")
            at_once = await asyncio.gather(
                *(book(s, nik, day="2026-11-25", phone="081300000077", phone_code=code) for nik in NIKS)
            )
            assert sorted(r.status_code for r in at_once) == [201, 422, 422, 422], [r.text for r in at_once]
            assert {error(r)["code"] for r in at_once if r.status_code == 422} == {"phone_code_expired"}
            assert sum("phone_proof" in r.json() for r in at_once if r.status_code == 201) == 1


async def test_bad_input_is_refused_with_a_sentence_never_a_500(database: Path | str, tmp_path: Path) -> None:
    with Receiver() as receiver:
        receiver.start()
        async with running_server(database, site_files=[gateway_site(tmp_path, receiver)], **FAST) as s:
            url = "/api/v1/sites/tegal/bookings/phone-code"
            for body, status, code, field in (
                ({"phone": "0812"}, 422, "invalid_phone", "phone"),
                ({}, 422, "invalid_field", "phone"),
                ({"phone": 812345678}, 422, "invalid_field", "phone"),
                ({"phone": PHONE, "lang": "fr"}, 422, "invalid_field", "lang"),
                ({"phone": PHONE, "nik": "1"}, 422, "invalid_field", "nik"),
            ):
                r = await s.http.post(url, json=body)
                assert (r.status_code, error(r)["code"], error(r)["details"].get("field")) == (status, code, field), (
                    r.text
                )
                assert error(r)["message"] and error(r)["message_en"]
            r = await s.http.post(url, content=b"phone=0812", headers={"Content-Type": "text/plain"})
            assert r.status_code == 415, r.text
            r = await s.http.post(url, content=b"{", headers={"Content-Type": "application/json"})
            assert r.status_code == 400, r.text
            r = await s.http.post("/api/v1/sites/nowhere/bookings/phone-code", json={"phone": PHONE})
            assert r.status_code == 404 and error(r)["code"] == "unknown_site", r.text
            for typed in (123456, ["123456"], "１２３４５", "1234567"):
                r = await book(s, phone_code=typed)
                assert r.status_code == 422 and error(r)["code"] == "phone_code_wrong", (typed, r.text)
                assert error(r)["details"] == {"field": "phone_code"}
            assert receiver.bodies() == []


async def test_a_mall_that_does_not_verify_books_as_before(database: Path | str, tmp_path: Path) -> None:
    with Receiver() as receiver:
        receiver.start()
        off = gateway_site(tmp_path, receiver, booking="verify_phone = false\n")
        async with running_server(database, site_files=[off], **FAST) as s:
            assert (await book(s)).status_code == 201
            r = await s.http.post("/api/v1/sites/tegal/bookings/phone-code", json={"phone": PHONE})
            assert r.status_code == 409 and error(r)["code"] == "phone_code_off", r.text
            assert error(r)["message"] == (
                "MPP Kabupaten Tegal tidak memakai kode verifikasi nomor ponsel; silakan langsung pesan jadwal."
            )
    # Without a gateway (the demo mall's file as it is) nothing can be sent: booking is as it was.
    async with running_server(tmp_path / "plain.sqlite3") as s:
        assert (await book(s)).status_code == 201
        r = await s.http.post("/api/v1/sites/tegal/bookings/phone-code", json={"phone": PHONE})
        assert r.status_code == 409 and error(r)["code"] == "phone_code_off", r.text


async def test_a_gateway_out_of_reach_is_said_plainly_and_a_late_code_is_not_sent(
    database: Path | str, tmp_path: Path
) -> None:
    receiver = Receiver()  # not listening: every message fails to connect
    site = gateway_site(tmp_path, receiver)
    async with running_server(database, site_files=[site], **FAST) as s, ticking(s.clock):
        r = await s.http.post("/api/v1/sites/tegal/bookings/phone-code", json={"phone": PHONE})
        assert r.status_code == 201, r.text  # not known to be down yet: sent, and retried like any message
        ctx = s.app.state.server.ctx
        await eventually(lambda: not ctx.messages_available(ctx.sites["tegal"]), "the gateway's breaker opens")
        r = await s.http.post("/api/v1/sites/tegal/bookings/phone-code", json={"phone": "081300000009"})
        assert r.status_code == 503 and error(r)["code"] == "phone_code_unavailable", r.text
        assert "sedang tidak terjangkau" in error(r)["message"] and "out of reach" in error(r)["message_en"]
        # The gateway back after the code expired: the code is not sent (it would only confuse), it is skipped.
        s.clock.advance(minutes=11)
        receiver.start()
        try:
            rows = "SELECT state, last_error FROM outbox WHERE kind = 'phone_code'"
            storage = ctx.storage

            async def skipped() -> bool:
                return (await storage.fetch_all(rows)) == [("skipped", "no longer true: the code has expired")]

            await eventually(skipped, "the late code is skipped", seconds=90)
            assert receiver.bodies() == []
        finally:
            receiver.stop()


# --- the booking page, in Chromium ----------------------------------------------------------------------------------


@pytest.mark.sqlite_only
@bounded(180)
async def test_the_booking_page_sends_the_code_and_books_with_it(tmp_path: Path) -> None:
    """At 360x740: the number, "Kirim kode", the code read from what the gateway received; a wrong code is said under
    the code field, which takes the focus; the right one books. The resend button counts down."""
    with Receiver() as receiver:
        receiver.start()
        site = gateway_site(tmp_path, receiver)
        async with (
            running_server(tmp_path / "page.sqlite3", site_files=[site], **FAST) as s,
            chromium() as browser,
            open_page(browser, f"{s.url}/booking/tegal", size=(360, 740), mobile=True) as page,
        ):
            await fill_booking(page, NIKS[0], "0812")
            await page.click("#send-code")
            await until(page, "() => !document.getElementById('phone-error').hidden")
            assert "08 atau +628" in await text(page, "#phone-error")
            assert await page.evaluate("() => document.activeElement.id") == "phone"
            await page.fill("#phone", PHONE)
            await page.click("#submit")  # no code yet
            await until(page, "() => !document.getElementById('phone-code-error').hidden")
            assert 'tekan "Kirim kode"' in await text(page, "#phone-code-error")
            assert await page.evaluate("() => document.activeElement.id") == "phone-code"

            await page.click("#send-code")
            await until(page, "() => !document.getElementById('code-status').hidden")
            assert await text(page, "#code-status") == "Kode dikirim ke 0812*****890. Berlaku 10 menit."
            assert await page.evaluate("() => document.activeElement.id") == "phone-code"
            assert await page.is_disabled("#send-code")
            assert re.fullmatch(r"Kirim ulang \((60|59|58|57)\)", await text(page, "#send-code"))
            await eventually(lambda: codes_received(receiver), "the code reaches the phone")
            code = codes_received(receiver)[0]

            await page.fill("#phone-code", str((int(code) + 1) % 1_000_000).zfill(6))
            await page.click("#submit")
            await until(page, "() => document.getElementById('phone-code-error').textContent.includes('salah')")
            assert await text(page, "#phone-code-error") == (
                "Kode verifikasi salah. Periksa pesan terbaru dan coba lagi (sisa 4 kali)."
            )
            assert await page.evaluate("() => document.activeElement.id") == "phone-code"
            shot_path = tmp_path / "booking-code-wrong.png"
            await page.screenshot(path=shot_path, full_page=True)
            shot(shot_path)
            await page.click("#lang")  # the sentence sent and the countdown follow the language
            assert await text(page, "#code-status") == "Code sent to 0812*****890. Valid for 10 minutes."
            assert (await text(page, "#send-code")).startswith("Resend (")
            await page.click("#lang")
            # The language switch reloads the slots in its words: the slot stays chosen, the NIK and number step open
            # (it was closed, the slot to be chosen again), what was typed kept.
            await until(
                page,
                "() => document.querySelector(`.b-slot:has(input[value='09:00']) small`).textContent.includes('tersisa')",
            )
            assert await page.is_checked("input[name=slot][value='09:00']")
            assert await page.is_visible("#step-identity") and await page.input_value("#phone") == PHONE

            await page.fill("#phone-code", code)
            await page.click("#submit")
            await until(page, "() => !document.getElementById('result').hidden")
            assert (await text(page, "#r-code")).startswith("BK-")
            assert await text(page, "#r-phone") == "Nomor ponsel: 0812*****890"
            assert await page.input_value("#phone-code") == ""  # the form forgot it
            shot_path = tmp_path / "booking-code-done.png"
            await page.screenshot(path=shot_path, full_page=True)
            shot(shot_path)


@pytest.mark.sqlite_only
@bounded(120)
async def test_the_booking_page_without_verification_is_as_it_was(tmp_path: Path) -> None:
    async with (
        running_server(tmp_path / "plain.sqlite3") as s,
        chromium() as browser,
        open_page(browser, f"{s.url}/booking/tegal", size=(360, 740), mobile=True) as page,
    ):
        assert await page.locator("#send-code").count() == 0 and await page.locator("#phone-code").count() == 0
        await fill_booking(page, NIKS[0], PHONE)
        await page.click("#submit")
        await until(page, "() => !document.getElementById('result').hidden")


@pytest.mark.sqlite_only
@bounded(180)
async def test_the_booking_page_books_a_family_with_one_code_and_says_the_limit_per_address(tmp_path: Path) -> None:
    """At 360x740: the first member books with the code; the page keeps the proof it was answered with for its tab,
    so the second member, after a reload, books with the number alone. Another number's code from the same network
    over `codes_per_address` is refused under the code field with the minutes to wait."""
    with Receiver() as receiver:
        receiver.start()
        site = gateway_site(tmp_path, receiver, booking="codes_per_address = 1\n")
        async with (
            running_server(tmp_path / "family.sqlite3", site_files=[site], **FAST) as s,
            chromium() as browser,
            open_page(browser, f"{s.url}/booking/tegal", size=(360, 740), mobile=True) as page,
        ):
            await fill_booking(page, NIKS[0], PHONE)
            await page.click("#send-code")
            await eventually(lambda: codes_received(receiver), "the code reaches the phone")
            await page.fill("#phone-code", codes_received(receiver)[0])
            await page.click("#submit")
            await until(page, "() => !document.getElementById('result').hidden")
            first = await text(page, "#r-code")

            await page.reload()
            await fill_booking(page, NIKS[1], PHONE)  # no code typed: the tab's proof books
            await page.click("#submit")
            await until(page, "() => !document.getElementById('result').hidden")
            assert (await text(page, "#r-code")).startswith("BK-") and await text(page, "#r-code") != first
            assert len(codes_received(receiver)) == 1
            shot_path = tmp_path / "booking-family-second.png"
            await page.screenshot(path=shot_path, full_page=True)
            shot(shot_path)

            await page.reload()
            await fill_booking(page, NIKS[2], "081300000001")  # another number, from the same network: over the limit
            await page.click("#send-code")
            await until(page, "() => !document.getElementById('phone-code-error').hidden")
            assert re.fullmatch(
                r"Sudah 1 kode verifikasi diminta dari jaringan ini dalam satu jam terakhir\. Coba lagi dalam "
                r"60 menit, atau pakai kode yang sudah diterima\.",
                await text(page, "#phone-code-error"),
            )
            shot_path = tmp_path / "booking-address-limit.png"
            await page.screenshot(path=shot_path, full_page=True)
            shot(shot_path)
