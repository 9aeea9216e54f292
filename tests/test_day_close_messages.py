"""A supervisor's "Tutup hari" tells the citizens it leaves waiting who left a number (docs/notifications.md, "A
closed day"): each ticket it expires, and each booking of today still to check in; "Buka kembali" tells those
bookings their booking stands (the tickets are told by `day_reopened`). The rules on the policy, no server; the
real server with a real gateway below."""

from __future__ import annotations

import asyncio
import itertools
import json
import subprocess
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser

from queue_server.domain import commands as c
from queue_server.domain.catalogue import Gateway, NotifyPolicy, OpeningHours, Site
from queue_server.domain.events import Event
from queue_server.outbound import policy as p
from queue_server.outbound.policy import Policy, Subscriptions
from queue_server.persistence.port import OutboxRow

from .display_support import until
from .domain_fixtures import Driver, make_site
from .helpers import KIOSK, Clock, Server, bearer, eventually, running_server, ticking
from .pg_support import server_env
from .receiver import Receiver, notify_site
from .test_cli import QS
from .test_outbox import FAST
from .test_supervisor_pages import signed_in

MONDAY = date(2026, 11, 23)
HOURS = OpeningHours({"mon": ((time(8), time(16)),), "tue": ((time(8), time(16)),)})


def mall(notify: bool = True) -> Site:
    site = make_site(hours=HOURS)
    services = {**site.services, "ktp": replace(site.services["ktp"], online_quota=20, slot_capacity=4)}
    gateway = NotifyPolicy(Gateway("http://gateway.test/send", (), {"t": "{text}"}), "http://antrean.test")
    return replace(site, services=services, notify=gateway if notify else NotifyPolicy())


class Told:
    """A driver of the domain and the policy the engine asks after each command: the messages each one writes."""

    def __init__(self, notify: bool = True) -> None:
        self.d = Driver(mall(notify), now=datetime(2026, 11, 23, 3, 0, tzinfo=UTC))  # Monday 10:00 WIB
        ids = itertools.count(1)
        self.policy = Policy(Subscriptions(), lambda state, at, ticket: None, new_id=lambda: f"m{next(ids)}")

    def run(self, command: object) -> list[OutboxRow]:
        return self.policy(self.d.run(command), self.d.state)

    def book(self, n: int, slot: time, contact: bool = True) -> str:
        code = f"BK-{n:06d}"
        self.run(
            c.BookSlot("ktp", MONDAY, slot, f"nik-{n}", "0812****789", f"b{n}", code, f"b:{n}" if contact else None)
        )
        return code

    def issue(self, n: int, contact: bool = True) -> None:
        self.run(c.IssueTicket("ktp", f"t{n}", f"token{n}", contact=f"t:{n}" if contact else None))


def said(rows: list[OutboxRow]) -> list[tuple[str, str | None, dict[str, object]]]:
    return [(r.kind, r.contact, {k: v for k, v in json.loads(r.payload).items() if k in ("code", "ticket", "reason")})
            for r in rows]  # fmt: skip


def test_a_close_tells_each_ticket_it_expires_and_each_booking_still_to_check_in_once() -> None:
    t = Told()
    t.book(1, time(14))  # told
    t.book(2, time(15), contact=False)  # no number: nobody to tell
    t.run(c.CancelBooking(t.book(3, time(13))))  # cancelled by its citizen: not told
    t.d.now += timedelta(minutes=1)
    checked = t.book(4, time(10, 30))
    t.run(c.CheckIn(checked, "t4", "token4"))  # checked in: its ticket is told, not the booking
    t.issue(5)
    t.issue(6, contact=False)
    t.d.now = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)  # 11:00
    rows = t.run(c.CloseDay(reason="Gangguan listrik"))
    assert sorted(said(rows)) == [
        (p.BOOKING_DAY_CLOSED, "b:1", {"code": "BK-000001", "reason": "Gangguan listrik"}),
        (p.DAY_CLOSED, "b:4", {"ticket": "A-001", "reason": "Gangguan listrik"}),
        (p.DAY_CLOSED, "t:5", {"ticket": "A-002", "reason": "Gangguan listrik"}),
    ]
    booking = json.loads(next(r.payload for r in rows if r.kind == p.BOOKING_DAY_CLOSED))
    assert booking["link"] == "http://antrean.test/booking/s" and booking["slot"] == "14:00"
    assert all(r.due_at == t.d.now and r.key in ("b:b1", "t:token4", "t:token5") for r in rows)


def test_a_close_without_a_reason_says_none_and_a_second_close_tells_nobody_again() -> None:
    t = Told()
    t.book(1, time(14))
    t.issue(2)
    t.d.open("1")
    held = t.d.state.counters.pop("1")  # a counter the first close did not know of (added on the web)
    rows = t.run(c.CloseDay())
    assert sorted(said(rows)) == [(p.BOOKING_DAY_CLOSED, "b:1", {"code": "BK-000001", "reason": ""}),
                                  (p.DAY_CLOSED, "t:2", {"ticket": "A-001", "reason": ""})]  # fmt: skip
    t.d.state.counters["1"] = held
    events = t.d.run(c.CloseDay(reason="Gangguan listrik"))  # closes that counter: the day was closed already
    assert events[-1].data == {"day": "2026-11-23", "expired": 0, "reason": "Gangguan listrik", "again": True}
    assert t.policy(events, t.d.state) == [], "told once"


def test_a_reopen_tells_the_bookings_again_and_the_tickets_come_back_with_their_own_message() -> None:
    t = Told()
    t.book(1, time(14))
    t.issue(2)
    t.run(c.CloseDay(reason="Gangguan listrik"))
    t.d.now += timedelta(minutes=30)
    rows = t.run(c.ReopenDay(MONDAY))
    assert sorted(said(rows)) == [(p.BOOKING_DAY_REOPENED, "b:1", {"code": "BK-000001"}),
                                  (p.DAY_REOPENED, "t:2", {"ticket": "A-001"})]  # fmt: skip
    rows = t.run(c.CloseDay())  # closed again later (the power is out again): told again, as it is true again
    assert sorted(r.kind for r in rows) == [p.BOOKING_DAY_CLOSED, p.DAY_CLOSED]


def test_a_booking_whose_check_in_ended_is_not_told_nor_blamed_for_not_coming_on_a_closed_day() -> None:
    t = Told()
    t.d.now = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 08:00
    t.book(1, time(10))  # its check-in window ends at 10.15
    t.book(2, time(11))
    t.d.now = datetime(2026, 11, 23, 3, 20, tzinfo=UTC)  # 10:20, the first not released yet
    rows = t.run(c.CloseDay())
    assert [(r.kind, r.contact) for r in rows] == [(p.BOOKING_DAY_CLOSED, "b:2")]
    t.d.now = datetime(2026, 11, 23, 4, 30, tzinfo=UTC)  # 11:30: both past their window while the day is closed
    events = t.d.run(c.ReleaseLateBookings())
    # not released (a no-show): cancelled by the mall for its closed day, and not told again (told at the close)
    assert [(e.type, e.data["booking"]["state"], e.data["booking"]["cancel_reason"]) for e in events] == [
        ("booking.cancelled", "cancelled", "day_closed")
    ] * 2
    assert t.policy(events, t.d.state) == [], "they could not check in: no 'dilepas karena tidak lapor hadir'"
    assert t.run(c.ReopenDay(MONDAY)) == [], "over meanwhile: nothing stands to be told of"


def test_the_server_s_own_close_of_a_past_day_and_a_mall_without_a_gateway_tell_nobody() -> None:
    t = Told()
    t.book(1, time(14))
    t.issue(2)
    t.d.now += timedelta(days=1)  # Tuesday: Monday is closed by the server itself at midnight
    rows = t.run(c.CloseDay(MONDAY))
    assert rows == [] and MONDAY in t.d.state.closed_days
    silent = Told(notify=False)
    silent.book(1, time(14))
    silent.issue(2)
    events: list[Event] = silent.d.run(c.CloseDay(reason="Gangguan listrik"))
    assert [e.type for e in events][-1] == "day.closed" and silent.policy(events, silent.d.state) == []


# --- the real server, a real gateway -------------------------------------------------------------------------------

BOTH_DATABASES = True
PHONES = {n: f"0812-34{n:02d}-7890" for n in range(1, 10)}  # as the citizens typed them
CLOSED = ("sudah ditutup", "service is closed")
REOPENED = ("hari ini dibuka kembali", "is open again")  # (a close says "Jika dibuka kembali hari ini")


def booking_site(tmp_path: Path, gateway: Receiver) -> Path:
    """The demo mall with its gateway at `gateway`, booking without a code sent first (test_phone_verify.py)."""
    site_file = notify_site(tmp_path, gateway)
    site_file.write_text(site_file.read_text().replace("[booking]\n", "[booking]\nverify_phone = false\n", 1))
    return site_file


async def book(s: Server, n: int, slot: str, **extra: Any) -> str:
    r = await s.http.post("/api/v1/sites/tegal/bookings", json={"service": "ktp", "day": "2026-11-23", "slot": slot,
                          "nik": f"332801410190{n:04d}", "phone": PHONES[n], **extra})  # fmt: skip
    assert r.status_code == 201, r.text
    return str(r.json()["booking"]["code"])


async def issue_told(s: Server, n: int) -> dict[str, Any]:
    return await s.issue("ktp", notify={"phone": PHONES[n], "lang": "id", "consent": True})


def texts(gateway: Receiver, words: tuple[str, ...]) -> list[str]:
    return [str(b["message"]) for b in gateway.bodies("/send") if any(w in str(b["message"]) for w in words)]


async def test_closing_today_tells_each_citizen_left_waiting_once_and_reopening_tells_the_bookings(
    database: Path | str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("TEST_GATEWAY_TOKEN", "x")
    caplog.set_level("DEBUG")
    with Receiver() as gateway:
        gateway.start()
        site = booking_site(tmp_path, gateway)
        async with (
            running_server(database, site_files=[site], bookings_per_minute=1000, **FAST) as s,
            ticking(s.clock),
        ):
            # Monday 09:00: a citizen at counter 1, one waiting, one checked in with a booking; three bookings
            # still to check in (one without a number), one cancelled by its citizen.
            called = await issue_told(s, 1)
            op = await s.login("op-disdukcapil")
            assert (await s.command(op, "1", "open")).status_code == 200
            assert (await s.command(op, "1", "call_next")).json()["ticket"]["id"] == called["ticket"]["id"]
            waiting = await issue_told(s, 2)
            arrived = await book(s, 3, "09:30", notify=True)
            r = await s.http.post(f"/api/v1/sites/tegal/bookings/{arrived}/check-in", headers=bearer(KIOSK))
            assert r.status_code == 201, r.text
            afternoon = await book(s, 4, "14:00", notify=True)
            english = await book(s, 5, "15:00", notify=True, lang="en")
            silent = await book(s, 6, "13:00")
            cancelled = await book(s, 7, "14:30", notify=True)
            r = await s.http.post(f"/api/v1/bookings/{cancelled}/cancel")
            assert r.status_code == 200, r.text
            await eventually(lambda: len(texts(gateway, ("tercatat", "is confirmed"))) == 4, "confirmations", 30)

            sup = await s.login("supervisor")
            # the dialog says beforehand how many will be told
            figures = (await s.http.get("/api/v1/sites/tegal/dashboard", headers=sup)).json()
            assert figures["totals"]["expiring"] == 3 and figures["totals"]["told_if_closed"] == 5
            r = await s.http.post("/api/v1/sites/tegal/close-day", json={"reason": "Gangguan listrik"}, headers=sup)
            assert r.status_code == 200 and r.json()["expired"] == 3, r.text
            await eventually(lambda: len(texts(gateway, CLOSED)) == 5, "three tickets and two bookings told", 30)
            said = texts(gateway, CLOSED)
            assert (
                f"MPP Kabupaten Tegal: mohon maaf, pelayanan hari ini sudah ditutup: Gangguan listrik. Pemesanan "
                f"{afternoon} untuk KTP Elektronik pukul 14.00 tidak dapat dipakai untuk lapor hadir hari ini. Jika "
                "dibuka kembali hari ini, kami kabari. Silakan pesan jadwal lain: http://antrean.mpp.test/booking/tegal"
            ) in said
            assert (
                f"MPP Kabupaten Tegal: mohon maaf, pelayanan hari ini sudah ditutup: Gangguan listrik. Nomor antrean "
                f"{called['ticket']['label']} (KTP Elektronik) tidak dapat dilayani hari ini. Silakan datang kembali "
                "pada hari layanan berikutnya."
            ) in said
            assert any(waiting["ticket"]["label"] in m for m in said)
            assert any(english in m and "today's service is closed: Gangguan listrik" in m for m in said)
            assert not any(code in m for m in said for code in (arrived, silent, cancelled)), said
            by_target = {b["target"]: b["message"] for b in gateway.bodies("/send") if b["message"] in said}
            assert set(by_target) == {"62" + PHONES[n].replace("-", "")[1:] for n in (1, 2, 3, 4, 5)}, by_target

            # Pressed again: refused, nobody told twice.
            r = await s.http.post("/api/v1/sites/tegal/close-day", json={}, headers=sup)
            assert r.status_code == 409 and r.json()["error"]["code"] == "day_already_closed"
            await asyncio.sleep(1.5)
            assert len(texts(gateway, CLOSED)) == 5

            r = await s.http.post("/api/v1/sites/tegal/reopen-day", json={}, headers=sup)
            assert r.status_code == 200 and r.json()["restored"] == 3, r.text
            await eventually(lambda: len(texts(gateway, REOPENED)) == 5, "the bookings and the tickets told", 30)
            reopened = texts(gateway, REOPENED)
            assert (
                f"MPP Kabupaten Tegal: pelayanan hari ini dibuka kembali. Pemesanan {afternoon} untuk KTP Elektronik "
                "pukul 14.00 tetap berlaku. Lapor hadir di kios dengan kode ini antara pukul 13.30 dan 14.15."
            ) in reopened
            assert any(english in m and "today's service is open again" in m for m in reopened)
            assert sum("kembali ke antrean di urutan semula" in m for m in reopened) == 3, reopened

            # Closed again at the end of the afternoon, without a reason: told again, as it is true again.
            s.clock.advance(hours=1)
            r = await s.http.post("/api/v1/sites/tegal/close-day", json={}, headers=sup)
            assert r.status_code == 200, r.text
            await eventually(lambda: len(texts(gateway, CLOSED)) == 10, "told of the second close", 30)
            assert any(m.endswith(f"sudah ditutup. Nomor antrean {waiting['ticket']['label']} (KTP Elektronik) "
                                  "tidak dapat dilayani hari ini. Silakan datang kembali pada hari layanan berikutnya.")
                       for m in texts(gateway, CLOSED))  # fmt: skip
            ids = [b["ref"] for b in gateway.bodies("/send")]
            assert len(ids) == len(set(ids)), "no message twice"
            logged = json.dumps([e.data for e in await s.ctx.storage.events_after("tegal", 0, 10_000)])
    for n, phone in PHONES.items():
        digits = phone.replace("-", "")[1:]
        assert digits not in logged and digits not in caplog.text, f"number {n} in the event log or the log"


@pytest.mark.sqlite_only
async def test_on_a_closed_day_a_booking_gets_no_reminder_to_come(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_GATEWAY_TOKEN", "x")
    with Receiver() as gateway:
        gateway.start()
        site = booking_site(tmp_path, gateway)
        async with (
            running_server(tmp_path / "db.sqlite3", site_files=[site], bookings_per_minute=1000, **FAST) as s,
            ticking(s.clock),
        ):
            code = await book(s, 1, "14:00", notify=True)
            await eventually(lambda: texts(gateway, ("tercatat",)), "the confirmation", 30)
            r = await s.http.post("/api/v1/sites/tegal/close-day", json={}, headers=await s.login("supervisor"))
            assert r.status_code == 200, r.text
            await eventually(lambda: texts(gateway, CLOSED), "told of the close", 30)
            s.clock.advance(hours=4, minutes=1)  # 13:01: its "satu jam lagi" was due at 13:00

            async def kinds() -> list[tuple[str, str]]:
                rows = await s.ctx.storage.fetch_all("SELECT kind, state FROM outbox ORDER BY created_at, kind")
                return [(str(row[0]), str(row[1])) for row in rows]

            async def judged() -> bool:
                return ("booking_reminder_hour", "skipped") in await kinds()

            await eventually(judged, "the reminder judged", 30)
            assert await kinds() == [("booking_confirmed", "sent"), ("booking_reminder_hour", "skipped"),
                                     ("booking_day_closed", "sent")]  # fmt: skip
            sent = [str(b["message"]) for b in gateway.bodies("/send")]
            assert len(sent) == 2 and code in sent[1] and not any("satu jam lagi" in m for m in sent), sent
            # (released later as its window ends, it is not told "dilepas": the policy's test above)


async def test_a_mall_without_a_gateway_closes_and_reopens_and_sends_nothing(database: Path | str) -> None:
    async with running_server(database) as s:
        await s.issue("ktp")
        sup = await s.login("supervisor")
        figures = (await s.http.get("/api/v1/sites/tegal/dashboard", headers=sup)).json()
        assert figures["totals"]["told_if_closed"] is None, "nobody to tell: the dialog does not say it"
        r = await s.http.post("/api/v1/sites/tegal/close-day", json={"reason": "Gangguan listrik"}, headers=sup)
        assert r.status_code == 200 and r.json()["expired"] == 1, r.text
        r = await s.http.post("/api/v1/sites/tegal/reopen-day", json={}, headers=sup)
        assert r.status_code == 200 and r.json()["restored"] == 1, r.text
        assert await s.ctx.storage.fetch_all("SELECT kind FROM outbox") == []


async def test_two_processes_pressing_close_at_once_tell_each_citizen_once(
    pg_cluster: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two supervisors behind a load balancer press "Tutup hari" together, on two server processes of one
    PostgreSQL database: one close is decided (under the site's lock), the other refused, and each citizen gets
    one message, whichever process delivers."""
    from .pg_support import new_database

    monkeypatch.setenv("TEST_GATEWAY_TOKEN", "x")
    database = await new_database(pg_cluster)
    with Receiver() as gateway:
        gateway.start()
        site = booking_site(tmp_path, gateway)
        async with (
            running_server(database, site_files=[site], bookings_per_minute=1000, **FAST) as a,
            ticking(a.clock),
            running_server(database, site_files=[site], clock=a.clock, bookings_per_minute=1000, **FAST) as b,
        ):
            await book(a, 1, "14:00", notify=True)
            await book(b, 2, "15:00", notify=True)
            await issue_told(a, 3)
            await issue_told(b, 4)
            await eventually(lambda: len(texts(gateway, ("tercatat", "nomor antrean Anda"))) == 4, "confirmed", 30)
            heads = [await a.login("supervisor"), await b.login("supervisor")]
            answers = await asyncio.gather(*(s.http.post("/api/v1/sites/tegal/close-day", json={"reason": "Banjir"},
                                                         headers=h) for s, h in zip((a, b), heads, strict=True)))  # fmt: skip
            assert sorted(r.status_code for r in answers) == [200, 409], [r.text for r in answers]
            await eventually(lambda: len(texts(gateway, CLOSED)) == 4, "each citizen told", 30)
            await asyncio.sleep(2)
            said = texts(gateway, CLOSED)
            assert len(said) == 4 and all("sudah ditutup: Banjir." in m for m in said), said
            assert len({b["ref"] for b in gateway.bodies("/send")}) == len(gateway.bodies("/send"))


@pytest.mark.sqlite_only
async def test_the_close_dialog_says_how_many_citizens_will_be_told(
    browser: Browser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_GATEWAY_TOKEN", "x")
    with Receiver() as gateway:
        gateway.start()
        site = booking_site(tmp_path, gateway)
        async with running_server(tmp_path / "db.sqlite3", site_files=[site], bookings_per_minute=1000,
                                  dashboard_seconds=0.3, **FAST) as s, ticking(s.clock):  # fmt: skip
            await issue_told(s, 1)
            await s.issue("ktp")  # no number
            await book(s, 2, "14:00", notify=True)
            async with signed_in(browser, s, "/supervisor/tegal") as dashboard:
                await until(dashboard, "() => !document.getElementById('actions').hidden")
                await dashboard.click("#close-day")
                told = (
                    "() => { const p = document.getElementById('close-day-told'); return !p.hidden && p.textContent; }"
                )
                assert await until(dashboard, told, timeout_ms=30_000) == (
                    "2 pesan WhatsApp/SMS akan dikirim kepada warga yang meninggalkan nomor (tiket yang kedaluwarsa dan "
                    "pemesanan hari ini yang belum lapor hadir), dengan alasannya bila diisi."
                )
                await dashboard.fill("dialog[open] input[name=reason]", "Gangguan listrik")
                await dashboard.fill("dialog[open] input[name=confirm]", "TUTUP")
                await dashboard.click("dialog[open] button[type=submit]")
                await eventually(lambda: len(texts(gateway, CLOSED)) == 2, "both told", 30)


@pytest.mark.sqlite_only
async def test_a_close_from_the_command_line_tells_them_once_a_server_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`queue-server close-day` with the server stopped (the server down in the power cut, say) writes the same
    messages; the server sends them when it is back. On the machine's clock: the command has no other (a run in the
    minute of the mall's midnight may see the day change under it)."""
    monkeypatch.setenv("TEST_GATEWAY_TOKEN", "x")
    database = tmp_path / "db.sqlite3"
    with Receiver() as gateway:
        gateway.start()
        site = booking_site(tmp_path, gateway)
        async with running_server(database, site_files=[site], clock=Clock(datetime.now(UTC)), ignore_hours=True) as s:
            ticket = await issue_told(s, 1)
            await eventually(lambda: texts(gateway, ("nomor antrean Anda",)), "the ticket's first message", 30)
        command = [*QS, "close-day", "--site-id", "tegal", "--db", str(database), "--site", str(site),
                   "--reason", "Gangguan listrik"]  # fmt: skip
        done = await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True, timeout=120,
                                       env=server_env(*command))  # fmt: skip
        assert done.returncode == 0 and "1 unserved tickets expired" in done.stdout, done.stderr
        async with (
            running_server(database, site_files=[site], clock=Clock(datetime.now(UTC)), ignore_hours=True, **FAST) as s,
            ticking(s.clock),
        ):
            await eventually(lambda: texts(gateway, CLOSED), "told once a server runs", 30)
            assert texts(gateway, CLOSED) == [
                f"MPP Kabupaten Tegal: mohon maaf, pelayanan hari ini sudah ditutup: Gangguan listrik. Nomor antrean "
                f"{ticket['ticket']['label']} (KTP Elektronik) tidak dapat dilayani hari ini. Silakan datang kembali "
                "pada hari layanan berikutnya."
            ]
