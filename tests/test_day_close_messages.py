"""A supervisor's "Tutup hari" tells the citizens it leaves waiting who left a number (docs/notifications.md, "A
closed day"): each ticket it expires, and each booking of today still to check in; "Buka kembali" tells those
bookings their booking stands (the tickets are told by `day_reopened`). The rules on the policy, no server; the
real server with a real gateway below."""

from __future__ import annotations

import itertools
import json
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

from queue_server.domain import commands as c
from queue_server.domain.catalogue import Gateway, NotifyPolicy, OpeningHours, Site
from queue_server.domain.events import Event
from queue_server.outbound import policy as p
from queue_server.outbound.policy import Policy, Subscriptions
from queue_server.persistence.port import OutboxRow

from .domain_fixtures import Driver, make_site

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
    t.d.now = datetime(2026, 11, 23, 4, 30, tzinfo=UTC)  # 11:30: both released while the day is closed
    events = t.d.run(c.ReleaseLateBookings())
    assert [e.type for e in events] == ["booking.released"] * 2
    assert t.policy(events, t.d.state) == [], "they could not check in: no 'dilepas karena tidak lapor hadir'"
    assert t.run(c.ReopenDay(MONDAY)) == [], "released meanwhile: nothing stands to be told of"


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
