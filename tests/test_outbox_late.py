"""Messages out that go late (an outside review of citizens' messages): a gateway or a webhook receiver down for a
while, then back. What was waiting goes as soon as it answers again, and what it says is true when it arrives: how
many are before the citizen now, the counter they are called to now, no "tomorrow" on the day itself. A real
receiver on 127.0.0.1, a real server, both databases."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from .helpers import eventually, running_server, ticking
from .receiver import Receiver, notify_server
from .test_outbox import FAST, PHONE, add_webhook, deliveries

BOTH_DATABASES = True
# Every failed message waits 150 to 300 s before its next try; the breaker's pause is short. A message that goes
# within the tests' minute went because the endpoint answered again, not because its backoff ran out.
LONG_BACKOFF = {"outbox_retry_seconds": 300.0, "outbox_retry_cap_seconds": 600.0, "outbox_breaker_seconds": 0.5}


def phone(n: int) -> dict[str, Any]:
    return {"phone": f"0812-3456-78{n:02d}", "consent": True}


def texts(gateway: Receiver) -> list[str]:
    return [body["message"] for body in gateway.bodies("/send")]


async def retrying(s: Any, endpoint: str, n: int) -> None:
    async def enough() -> bool:
        return bool((await deliveries(s))[endpoint]["retrying"] >= n)

    await eventually(enough, f"{n} messages failed and waiting for a later try", seconds=60, every=0.1)


async def test_a_gateway_back_after_an_outage_sends_what_waited_at_once_and_a_call_goes_out_behind_it(
    database: Path | str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: the messages that failed waited out their own backoff (up to 10 minutes) after the gateway answered
    again, and every later message of their ticket waited behind them: "your turn" minutes after the call."""
    monkeypatch.setenv("TEST_GATEWAY_TOKEN", "x")
    with Receiver() as gateway:
        gateway.status = 503
        gateway.start()
        async with notify_server(database, tmp_path, gateway, people_ahead=1, **LONG_BACKOFF) as s:
            tickets = [(await s.issue("ktp", notify=phone(n)))["ticket"] for n in range(5)]
            await retrying(s, "gateway", 5)  # five failures in a row: the breaker opens
            gateway.status = 200  # back: the bare HEAD probe finds it (no message is due for minutes)
            op = await s.login("op-disdukcapil")
            assert (await s.command(op, "1", "open")).status_code == 200
            assert (await s.command(op, "1", "call_next")).json()["ticket"]["label"] == tickets[0]["label"]
            called = f"nomor {tickets[0]['label']}, giliran Anda sekarang"
            await eventually(lambda: any(called in t for t in texts(gateway)), "'your turn' soon after", 60, 0.1)
            sent = texts(gateway)
            for ticket in tickets:
                assert sum(f"nomor antrean Anda {ticket['label']} " in t for t in sent) == 1, sent
            first = [t for t in sent if tickets[0]["label"] in t]
            assert "nomor antrean Anda" in first[0] and called in first[-1], first  # in order, once each


async def test_a_webhook_receiver_back_after_an_outage_gets_what_waited_at_once_in_order(
    database: Path | str,
) -> None:
    receiver = Receiver()
    receiver.status = 503
    receiver.start()
    with receiver:
        async with running_server(database, **LONG_BACKOFF) as s, ticking(s.clock):
            hook = (await add_webhook(s, receiver.url + "/hook"))["endpoint"]["id"]
            issued = [(await s.issue("ktp"))["ticket"]["id"] for _ in range(5)]
            await retrying(s, hook, 5)
            receiver.status = 200
            issued.append((await s.issue("ktp"))["ticket"]["id"])  # due now: it probes the receiver, and goes
            op = await s.login("op-disdukcapil")
            assert (await s.command(op, "1", "open")).status_code == 200
            assert (await s.command(op, "1", "call_next")).status_code == 200

            def types(ticket: str) -> list[str]:
                return [b["type"] for b in receiver.bodies("/hook") if b["ticket"]["id"] == ticket]

            await eventually(lambda: all(types(t) for t in issued) and len(types(issued[0])) == 2,
                             "every message that waited, then the call", 60, 0.1)  # fmt: skip
            assert types(issued[0]) == ["ticket.issued", "ticket.called"]
            assert all(types(t) == ["ticket.issued"] for t in issued[1:])


async def test_a_webhook_receiver_back_with_no_new_event_is_probed_and_gets_what_waited_once(
    database: Path | str,
) -> None:
    """Before: once its breaker had opened, a webhook was tried again only when one of its messages fell due by itself,
    after its backoff (150 to 300 s here, up to 10 minutes by default), or when a new event came; a receiver back
    after a minute on a quiet afternoon waited for that with every message. Now the breaker's pause over (0.5 s
    here), its first waiting message is brought forward and probes it: every message arrives within the minute, each
    once (its id), the oldest first as the probe. The others then go together in the endpoint's lane, so only each
    ticket's own messages keep their order (these are five tickets': a loaded machine delivered the fifth before
    the fourth)."""
    with Receiver() as receiver:
        receiver.status = 503
        receiver.start()
        async with running_server(database, **LONG_BACKOFF) as s, ticking(s.clock):
            hook = (await add_webhook(s, receiver.url + "/hook"))["endpoint"]["id"]
            issued = [(await s.issue("ktp"))["ticket"]["id"] for _ in range(5)]
            await retrying(s, hook, 5)  # five failures in a row: the breaker opens
            refused = len(receiver.refused)
            receiver.status = 200  # back; and no new event from here on

            def delivered() -> list[str]:
                return [b["ticket"]["id"] for b in receiver.bodies("/hook")]

            await eventually(lambda: len(delivered()) >= 5, "every waiting message, with no new event", 60, 0.1)

            async def settled() -> bool:
                row = (await deliveries(s))[hook]
                return row["breaker"] == "closed" and not row["retrying"] and not row["pending"]

            await eventually(settled, "the breaker closed, nothing left waiting", 30, 0.1)
    assert delivered()[0] == issued[0], "the oldest waiting message probes the receiver, alone"
    assert sorted(delivered()) == sorted(issued), "each once"
    assert len({b["id"] for b in receiver.bodies()}) == 5, "a message went twice"
    assert len(receiver.refused) == refused, "nothing was refused after the receiver came back"


async def test_a_gateway_back_with_no_new_message_is_probed_without_a_citizen_s_message_and_sends_each_once(
    database: Path | str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The gateway's probe while its messages wait out their backoffs is a bare HEAD (no citizen is sent anything to
    probe with): then every waiting message goes, each once."""
    monkeypatch.setenv("TEST_GATEWAY_TOKEN", "x")
    with Receiver() as gateway:
        gateway.status = 503
        gateway.start()
        async with notify_server(database, tmp_path, gateway, **LONG_BACKOFF) as s:
            tickets = [(await s.issue("ktp", notify=phone(n)))["ticket"] for n in range(5)]
            await retrying(s, "gateway", 5)
            gateway.status = 200
            await eventually(lambda: len(texts(gateway)) >= 5, "every waiting message, with no new one", 60, 0.1)
            assert gateway.heads and gateway.heads[0].at < gateway.requests[0].at, "probed by a HEAD first"
            assert not gateway.heads[0].body and "Authorization" not in gateway.heads[0].headers
    sent = texts(gateway)
    assert len(sent) == 5, sent
    for ticket in tickets:
        assert sum(f"nomor antrean Anda {ticket['label']} " in t for t in sent) == 1, sent


async def test_a_late_message_says_how_many_are_ahead_now_and_names_the_counter_the_citizen_is_called_to_now(
    database: Path | str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: after an outage "1 orang lagi sebelum nomor A-002" reached the citizen who was next by then, and
    "giliran Anda ... Loket 1" came after they had been called to Loket 2 instead."""
    monkeypatch.setenv("TEST_GATEWAY_TOKEN", "x")
    with Receiver() as gateway:
        gateway.status = 503
        gateway.start()
        async with notify_server(database, tmp_path, gateway, people_ahead=2, outbox_max_attempts=100, **FAST) as s:
            a, b, c = [(await s.issue("ktp", notify=phone(n)))["ticket"]["label"] for n in range(3)]
            op = await s.login("op-disdukcapil")
            assert (await s.command(op, "1", "open")).status_code == 200  # "1 more", A-003: "2 more"
            assert (await s.command(op, "1", "call_next")).json()["ticket"]["label"] == a  # at Loket 1
            assert (await s.command(op, "1", "close")).status_code == 200  # back at its place
            assert (await s.command(op, "2", "open")).status_code == 200
            assert (await s.command(op, "2", "call_next")).json()["ticket"]["label"] == a  # at Loket 2 now
            await retrying(s, "gateway", 3)
            gateway.status = 200

            async def settled() -> bool:
                row = (await deliveries(s))["gateway"]
                return not row["pending"] and not row["retrying"]

            await eventually(settled, "every waiting message sent or skipped", seconds=60, every=0.1)
            sent = texts(gateway)
            assert any(f"Anda berikutnya, nomor {b}." in t for t in sent), sent
            assert any(f"1 orang lagi sebelum nomor {c}." in t for t in sent), sent
            assert not any(f"sebelum nomor {b}." in t or f"2 orang lagi sebelum nomor {c}" in t for t in sent), sent
            turns = [t for t in sent if f"nomor {a}, giliran Anda" in t]
            assert len(turns) == 1 and turns[0].endswith("Silakan menuju Loket 2, Lantai 1."), turns
            assert not any("ditutup" in t for t in sent), sent  # "back at your place": not true any more


async def test_a_booking_reminder_that_could_not_go_in_time_is_not_sent_too_late_to_be_true(
    database: Path | str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: the evening reminder, held by a gateway down all night, said "besok" on the booking's day, and the
    hour's reminder "satu jam lagi, pukul 10.00" at 09.45."""
    monkeypatch.setenv("TEST_GATEWAY_TOKEN", "x")
    with Receiver() as gateway:
        gateway.start()
        async with notify_server(database, tmp_path, gateway, outbox_max_attempts=100, **FAST) as s:
            # Monday 09:00 WIB: a booking for Tuesday 10:00, its number verified by a code first.
            r = await s.http.post("/api/v1/sites/tegal/bookings/phone-code", json={"phone": PHONE})
            assert r.status_code == 201, r.text
            await eventually(lambda: gateway.bodies("/send"), "the phone code", 30)
            phone_code = re.findall(r": (\d{6})\.", texts(gateway)[0])[0]
            r = await s.http.post("/api/v1/sites/tegal/bookings", json={
                "service": "ktp", "day": "2026-11-24", "slot": "10:00", "nik": "3328015507900001", "phone": PHONE,
                "phone_code": phone_code, "notify": True})  # fmt: skip
            assert r.status_code == 201, r.text
            await eventually(lambda: any("tercatat" in t for t in texts(gateway)), "the confirmation", 30)
            gateway.status = 503
            s.clock.advance(hours=10, minutes=1)  # Monday 19:01: the evening's reminder fails, and again
            await retrying(s, "gateway", 1)
            # Tuesday 09:45 only while no try is under way (nothing awaited between the look and the move): a try
            # judged on Monday evening, when "besok" was true, and answered after the gateway came back was delivered
            # as judged, the clock having moved 14 hours while it was in flight (a real try has at most 10 s).
            deliverer = s.ctx.notifications.deliverer
            await eventually(lambda: deliverer.in_flight == 0, "no try under way", 60, 0.01)
            s.clock.advance(hours=14, minutes=44)  # Tuesday 09:45: the hour's reminder (09:00) waits behind it
            gateway.status = 200

            seen: list[object] = []

            async def settled() -> bool:
                row = (await deliveries(s))["gateway"]
                seen[:] = [row]
                return not row["pending"] and not row["retrying"] and row["skipped"] == 2

            said = lambda: f"both reminders skipped, neither sent; the gateway's row: {seen}; sent: {texts(gateway)}"  # noqa: E731
            await eventually(settled, said, seconds=60, every=0.1)
            assert not any("besok" in t or "satu jam lagi" in t for t in texts(gateway)), texts(gateway)


async def test_a_ticket_cancelled_by_staff_is_told_to_its_citizen_in_their_language_without_who_or_why(
    database: Path | str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Staff cancelling a ticket sent nothing: the citizen waited for a call that would not come. Now a short message
    in the citizen's language says the number was cancelled and where to go, naming neither the staff member nor the
    reason staff wrote (free text, which may name someone else). A citizen who cancels from their own link gets none."""
    monkeypatch.setenv("TEST_GATEWAY_TOKEN", "x")
    with Receiver() as gateway:
        gateway.start()
        async with notify_server(database, tmp_path, gateway, **FAST) as s:
            by_staff = (await s.issue("ktp", notify=phone(1)))["ticket"]
            english = (await s.issue("ktp", notify={**phone(2), "lang": "en"}))["ticket"]
            own = await s.issue("ktp", notify=phone(3))
            sup = await s.login("supervisor")
            reason = "dobel, sama dengan berkas loket lain"
            for ticket in (by_staff, english):
                r = await s.http.post(f"/api/v1/sites/tegal/tickets/{ticket['label']}/actions", headers=sup,
                                      json={"action": "cancel", "reason": reason})  # fmt: skip
                assert r.status_code == 200, r.text
            r = await s.http.post(f"/api/v1/tickets/{own['ticket']['token']}/cancel")
            assert r.status_code == 200, r.text
            told = f"nomor antrean {by_staff['label']} (KTP Elektronik) dibatalkan oleh petugas"
            await eventually(lambda: any(told in t for t in texts(gateway)), "the citizen told", 60, 0.1)
            told_en = f"queue number {english['label']} (KTP Elektronik) was cancelled by the staff"
            await eventually(lambda: any(told_en in t for t in texts(gateway)), "in English", 60, 0.1)
            await eventually(lambda: len(texts(gateway)) >= 3 + 2, "the numbers' first messages too", 60, 0.1)

            async def settled() -> bool:
                status = (await deliveries(s))["gateway"]
                return status["pending"] == status["retrying"] == 0

            await eventually(settled, "nothing left to send", 60, 0.1)
        sent = texts(gateway)
        cancelled = [t for t in sent if "dibatalkan" in t or "cancelled" in t]
        assert len(cancelled) == 2, sent
        assert all("meja informasi" in t or "information desk" in t for t in cancelled)
        assert not any(word in t for t in cancelled for word in ("supervisor", "dobel", "berkas")), cancelled
        assert not any(own["ticket"]["label"] in t and "dibatalkan" in t for t in sent)
