"""Online booking rules: slots, one per NIK, slot capacity, the online/walk-in quota split, check-in windows,
release of absent bookings, and booked tickets ahead of walk-ins once their slot begins."""

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest

from queue_server.common.messages import refusal_messages
from queue_server.domain import commands as c
from queue_server.domain.booking import BookingState
from queue_server.domain.catalogue import OpeningHours, Site
from queue_server.domain.events import Event
from queue_server.domain.refusal import Refusal
from queue_server.domain.state import SiteState, apply

from .domain_fixtures import Driver, make_site

MONDAY = date(2026, 11, 23)
HOURS = OpeningHours({"mon": ((time(8), time(12)),), "tue": ((time(8), time(12)),),
                      "fri": ((time(8), time(11)), (time(13), time(15)))})  # fmt: skip


def driver(quota: int | None = 10, online: int = 4, capacity: int = 2) -> Driver:
    site = make_site(quota=quota, hours=HOURS)
    services = dict(site.services)
    services["ktp"] = replace(services["ktp"], online_quota=online, slot_capacity=capacity)
    return Driver(replace(site, services=services), now=datetime(2026, 11, 23, 0, 30, tzinfo=UTC))  # 07:30 WIB


def book(d: Driver, nik: str = "nik-a", slot: time = time(9), day: date = MONDAY, service: str = "ktp") -> str:
    code = f"BK-{nik.upper()}{slot.hour}{day.day}"
    d.run(c.BookSlot(service, day, slot, nik, "0812****789", f"id-{code}", code))
    return code


def refused(d: Driver, command: object) -> str:
    with pytest.raises(Refusal) as info:
        d.run(command)
    return info.value.code


def test_slots_are_cut_from_opening_hours() -> None:
    site = make_site(hours=HOURS)
    monday = [s.strftime("%H:%M") for s, _ in site.slots(MONDAY)]
    assert monday == ["08:00", "08:30", "09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]
    friday = [s.strftime("%H:%M") for s, _ in site.slots(date(2026, 11, 27))]
    assert "11:00" not in friday and "13:00" in friday, "no slots during Friday prayer"
    assert site.slots(date(2026, 11, 22)) == [], "closed on Sunday"
    assert site.slots(MONDAY)[0][0].utcoffset() == timedelta(hours=7)


def test_one_booking_per_nik_per_service_per_day() -> None:
    d = driver()
    book(d, "nik-a")
    assert refused(d, c.BookSlot("ktp", MONDAY, time(10), "nik-a", "x", "id2", "BK-2")) == "duplicate_booking"
    book(d, "nik-a", day=date(2026, 11, 24))  # another day is fine
    d.run(c.CancelBooking(book(d, "nik-b")))
    book(d, "nik-b", slot=time(10))  # a cancelled booking frees the NIK again


def test_slot_capacity_and_online_quota() -> None:
    d = driver(online=3, capacity=2)
    book(d, "a")
    book(d, "b")
    assert refused(d, c.BookSlot("ktp", MONDAY, time(9), "c", "x", "id3", "BK-3")) == "slot_full"
    book(d, "c", slot=time(10))
    assert refused(d, c.BookSlot("ktp", MONDAY, time(11), "e", "x", "id4", "BK-4")) == "online_quota_exhausted"


def test_walk_ins_cannot_drain_the_online_share_nor_the_reverse() -> None:
    d = driver(quota=5, online=2)
    d.now = datetime(2026, 11, 23, 1, 5, tzinfo=UTC)  # 08:05, open
    for _ in range(3):
        d.issue("ktp")
    assert refused(d, c.IssueTicket("ktp", "w4", "tok")) == "quota_exhausted"
    book(d, "a")
    book(d, "b", slot=time(10))
    assert refused(d, c.BookSlot("ktp", MONDAY, time(11), "c", "x", "i", "BK-C")) == "online_quota_exhausted"


def test_unavailable_slots() -> None:
    d = driver()
    for slot, day in ((time(7), MONDAY), (time(9, 15), MONDAY), (time(9), date(2026, 11, 22)),
                      (time(9), MONDAY + timedelta(days=15))):  # fmt: skip
        assert refused(d, c.BookSlot("ktp", day, slot, "n", "x", "i", "BK-X")) == "slot_unavailable"
    d.now = datetime(2026, 11, 23, 2, 30, tzinfo=UTC)  # 09:30 WIB: the 09:00 slot has begun
    assert refused(d, c.BookSlot("ktp", MONDAY, time(9), "n", "x", "i", "BK-X")) == "slot_unavailable"
    assert refused(d, c.BookSlot("kk", MONDAY, time(10), "n", "x", "i", "BK-X")) == "booking_not_offered"


def test_check_in_window() -> None:
    d = driver()
    code = book(d)  # 09:00 slot: check-in 08:30 - 09:15
    d.now = datetime(2026, 11, 23, 1, 29, tzinfo=UTC)  # 08:29
    assert refused(d, c.CheckIn(code, "t1", "tok1")) == "checkin_too_early"
    d.now = datetime(2026, 11, 23, 1, 30, tzinfo=UTC)  # 08:30
    events = d.run(c.CheckIn(code, "t1", "tok1"))
    assert events[0].type == "booking.checked_in"
    ticket = d.state.tickets["t1"]
    assert ticket.channel == "online" and ticket.label == "A-001" and ticket.booked_slot is not None
    assert d.state.bookings[f"id-{code}"].state is BookingState.CHECKED_IN
    assert refused(d, c.CheckIn(code, "t2", "tok2")) == "already_checked_in"
    assert d.state.walk_ins.get(("ktp", MONDAY), 0) == 0, "a booked ticket does not spend the walk-in quota"


def test_late_bookings_are_released_and_free_their_place() -> None:
    d = driver(online=1)
    code = book(d)
    d.now = datetime(2026, 11, 23, 2, 16, tzinfo=UTC)  # 09:16: the window closed at 09:15
    assert refused(d, c.CheckIn(code, "t1", "tok1")) == "booking_released"
    events = d.run(c.ReleaseLateBookings())
    assert [e.type for e in events] == ["booking.released"]
    assert d.run(c.ReleaseLateBookings()) == []
    book(d, "other", slot=time(10))  # the online quota came back


def test_booked_citizen_goes_ahead_of_walk_ins_once_the_slot_begins() -> None:
    d = driver()
    code = book(d)
    d.now = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 08:00
    d.open("1")
    early_walk_in = d.issue("ktp")
    d.now = datetime(2026, 11, 23, 1, 40, tzinfo=UTC)  # 08:40: checks in 20 minutes early
    d.run(c.CheckIn(code, "booked", "tok"))
    later_walk_in = d.issue("ktp")
    assert d.serve("1").id == early_walk_in.id, "before 09:00 the booking has no precedence"
    d.now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 09:00, the slot begins
    elder = d.issue("ktp", priority="lansia")
    assert d.serve("1").id == elder.id, "priority groups of UU 25/2009 still go first"
    assert d.serve("1").id == "booked"
    assert d.serve("1").id == later_walk_in.id


def test_a_booked_citizen_of_a_priority_group_keeps_their_priority() -> None:
    """A booking's check-in took no priority group: an elderly citizen who booked online lost the priority an
    ordinary ticket would have had. Checked in with one, the ticket is a priority ticket like any other: among the
    priority tickets by when it was issued (its slot does not hold it back, as it does not hold back a walk-in's),
    ahead of walk-ins and of bookings whose slot has begun, and counted in the counter's run of priority calls."""
    d = driver()
    elder_code = book(d, "nik-a", slot=time(9))
    due_code = book(d, "nik-b", slot=time(8, 30))
    assert refused(d, c.CheckIn(elder_code, "x", "tokx", "vip")) == "unknown_priority_group"
    d.now = datetime(2026, 11, 23, 1, 30, tzinfo=UTC)  # 08:30
    d.open("1")
    walk_in = d.issue("ktp")
    d.run(c.CheckIn(due_code, "due", "tok-due"))  # its slot (08:30) has begun: ahead of walk-ins
    d.tick(1)
    d.run(c.CheckIn(elder_code, "elder", "tok-elder", "lansia"))  # 08:31, its slot (09:00) not begun yet
    assert d.state.tickets["elder"].priority == "lansia" and d.state.tickets["elder"].booked_slot is not None
    pregnant = d.issue("ktp", priority="ibu_hamil")  # a walk-in priority ticket issued after it
    assert d.serve("1").id == "elder", "a priority ticket, oldest first among them"
    assert d.serve("1").id == pregnant.id
    assert d.serve("1").id == "due", "then the booking whose slot has begun"
    assert d.serve("1").id == walk_in.id
    assert d.state.counter("1").priority_streak == 0
    assert [e.data["ticket"]["priority"] for e in d.log if e.type == "booking.checked_in"] == [None, "lansia"]


def test_a_cancelled_booking_is_said_to_be_cancelled_before_its_window_too() -> None:
    """An outside review: before the window a cancelled booking was told "check-in opens at 08.30", and its citizen
    waited for a booking that no longer existed."""
    d = driver()
    code = book(d)  # 09:00 slot: check-in 08:30 - 09:15
    d.run(c.CancelBooking(code))
    for hour, minute in ((0, 31), (1, 45), (2, 30)):  # 07:31 (before the window), 08:45 (in it), 09:30 (after it)
        d.now = datetime(2026, 11, 23, hour, minute, tzinfo=UTC)
        assert refused(d, c.CheckIn(code, "t1", "tok1")) == "booking_cancelled", (hour, minute)
    assert not d.state.tickets


def test_cancel_only_a_live_booking() -> None:
    d = driver()
    code = book(d)
    d.run(c.CancelBooking(code))
    assert refused(d, c.CancelBooking(code)) == "booking_cancelled"
    assert refused(d, c.CancelBooking("BK-NOPE")) == "unknown_booking"


def test_bookings_applied_from_objects_and_from_snapshots_agree() -> None:
    """As for tickets (test_domain_decide): the objects `decide` made and the stored snapshots give one state."""
    d = driver()
    code = book(d)
    book(d, "nik-b", slot=time(10))
    book(d, "nik-c", slot=time(11))
    d.run(c.CancelBooking(f"BK-NIK-C{11}{MONDAY.day}"))
    d.now = datetime(2026, 11, 23, 1, 40, tzinfo=UTC)
    d.run(c.CheckIn(code, "booked", "tok"))
    d.now = datetime(2026, 11, 23, 3, 16, tzinfo=UTC)  # 10:16: nik-b's window has closed
    d.run(c.ReleaseLateBookings())
    assert {e.type for e in d.log} >= {"booking.created", "booking.cancelled", "booking.checked_in", "booking.released"}
    replayed = SiteState(d.state.site)
    for event in d.log:
        apply(replayed, Event(event.type, event.site, event.at, event.data, event.seq))  # snapshots only
    assert replayed.bookings == d.state.bookings and replayed.booking_codes == d.state.booking_codes
    assert replayed.tickets == d.state.tickets


def test_the_check_in_window_opens_no_earlier_than_the_mall() -> None:
    """An outside review: a slot at opening time was told "check in from 30 minutes before", when the kiosk still
    refused as closed; a slot after the Friday break likewise during the break."""
    from queue_server.domain.decide import checkin_window

    d = driver()
    opening = d.state.bookings[d.state.booking_codes[book(d, "nik-a", slot=time(8))]]
    later = d.state.bookings[d.state.booking_codes[book(d, "nik-b", slot=time(9))]]
    friday = d.state.bookings[d.state.booking_codes[book(d, "nik-c", slot=time(13), day=date(2026, 11, 27))]]
    wib = timedelta(hours=7)
    assert checkin_window(d.state, opening)[0] == datetime(2026, 11, 23, 8, 0, tzinfo=UTC) - wib
    assert checkin_window(d.state, later)[0] == datetime(2026, 11, 23, 8, 30, tzinfo=UTC) - wib, "as before"
    assert checkin_window(d.state, friday)[0] == datetime(2026, 11, 27, 13, 0, tzinfo=UTC) - wib


def without_a_counter_for(site: Site, service: str) -> Site:
    """The site with `service` unticked on every counter (a counter left serving nothing goes)."""
    counters = {
        cid: replace(k, services=tuple(s for s in k.services if s != service)) for cid, k in site.counters.items()
    }
    return replace(site, counters={cid: k for cid, k in counters.items() if k.services})


def configure(d: Driver, site: Site) -> None:
    d.run(c.Configure(site, {"version": d.state.configuration.version + 1}, "web", "", None))


def test_a_booking_for_a_service_no_counter_serves_is_not_checked_in_and_stays_booked() -> None:
    """Issuing and transferring into a service no counter serves were refused; checking in a booking for it was
    not, and made a ticket nobody would ever call. A booking of today still to check in also keeps the service's
    last counter (as its open tickets do); one of a later day does not: its check-in is refused if nothing serves
    the service by then."""
    d = driver()
    today = book(d, "nik-a")  # Monday 09:00: check-in 08:30-09:15
    tuesday = book(d, "nik-b", day=date(2026, 11, 24))
    unserved = without_a_counter_for(d.state.site, "ktp")
    with pytest.raises(Refusal) as info:
        configure(d, unserved)
    assert info.value.key == "service_unserved.bookings" and info.value.details == {"service": "ktp"}
    said_id, said_en = refusal_messages(info.value)
    assert said_id.startswith("Layanan KTP masih punya 0 antrean terbuka dan 1 pemesanan hari ini yang belum lapor")
    assert "1 bookings of today not checked in yet" in said_en
    assert d.state.site.counters_serving("ktp"), "nothing changed"

    d.run(c.CancelBooking(today))
    configure(d, unserved)  # only a booking of a later day is left: that is the check-in's to refuse
    assert not d.state.site.counters_serving("ktp")

    d.now = datetime(2026, 11, 24, 1, 45, tzinfo=UTC)  # Tuesday 08:45, in the window
    with pytest.raises(Refusal) as info:
        d.run(c.CheckIn(tuesday, "t1", "tok1"))
    assert info.value.code == "service_not_served" and info.value.key == "service_not_served.checkin"
    said_id, said_en = refusal_messages(info.value)
    assert f"pemesanan {tuesday} belum dapat ditukar" in said_id and "sampai pukul 09.15" in said_id
    assert "Pengaturan" in said_id and "valid until 09:15" in said_en
    booking = d.state.bookings[d.state.booking_codes[tuesday]]
    assert booking.state is BookingState.BOOKED and "t1" not in d.state.tickets, "the booking waits, nothing issued"

    configure(d, driver().state.site)  # KTP ticked on its counters again
    d.run(c.CheckIn(tuesday, "t1", "tok1"))
    assert d.state.tickets["t1"].label == "A-001" and d.state.tickets["t1"].channel == "online"


def test_a_booking_whose_check_in_is_over_does_not_hold_a_counter() -> None:
    d = driver()
    book(d, "nik-a")  # check-in until 09:15, released at the next round after it
    d.now = datetime(2026, 11, 23, 2, 16, tzinfo=UTC)  # 09:16, not released yet
    configure(d, without_a_counter_for(d.state.site, "ktp"))
    assert not d.state.site.counters_serving("ktp")


def test_a_configuration_closing_booked_times_cancels_them_only_as_confirmed_and_says_why() -> None:
    """decide.bookings_closed: a special period without the booked weekday closes the day ("closed_day"), a holiday
    is "holiday", hours ending earlier are "hours"; booked times still open are not touched, and a source of "file"
    is told to use Settings (it cannot confirm)."""
    from queue_server.domain.catalogue import SpecialPeriod
    from queue_server.domain.decide import bookings_closed

    d = driver(online=10, capacity=5)
    monday_late = book(d, "nik-a", slot=time(11))
    tuesday = book(d, "nik-b", day=date(2026, 11, 24))
    friday = book(d, "nik-c", day=date(2026, 11, 27), slot=time(14))
    kept = book(d, "nik-d", slot=time(10))
    hours = replace(HOURS, holidays=frozenset({date(2026, 11, 24)}),
                    weekly={**HOURS.weekly, "mon": ((time(8), time(10, 30)),)},
                    periods=(SpecialPeriod("Ramadan", date(2026, 11, 26), date(2026, 11, 30),
                                           {"thu": ((time(8), time(12)),)}),))  # fmt: skip
    closing = replace(d.state.site, hours=hours)
    reasons = {b.code: why for b, why in bookings_closed(d.state, closing, d.now)}
    assert reasons == {monday_late: "hours", tuesday: "holiday", friday: "closed_day"}
    with pytest.raises(Refusal) as info:
        configure(d, closing)
    assert info.value.key == "bookings_closed" and info.value.details["bookings"] == 3
    said_id, said_en = refusal_messages(info.value)
    assert (
        "3 pemesanan (1 pada Senin, 23 November 2026; 1 pada Selasa, 24 November 2026; 1 pada Jumat, 27 November"
        in said_id
    )
    with pytest.raises(Refusal) as info:
        d.run(c.Configure(closing, {"v": 2}, "file", "", None))
    assert info.value.key == "bookings_closed.site_file" and "Pengaturan" in refusal_messages(info.value)[0]
    ids = frozenset(d.state.bookings[d.state.booking_codes[code]].id for code in reasons)
    events = d.run(c.Configure(closing, {"v": 2}, "web", "", None, ids))
    assert [e.type for e in events] == ["site.configured", *["booking.cancelled"] * 3]
    for code, why in reasons.items():
        cancelled = d.state.bookings[d.state.booking_codes[code]]
        assert (cancelled.state, cancelled.cancel_reason) == (BookingState.CANCELLED, why)
    assert d.state.bookings[d.state.booking_codes[kept]].state is BookingState.BOOKED


def test_a_paused_service_still_checks_its_bookings_in_and_booking_ahead_goes_on() -> None:
    """Its issuing paused (its central system down): no walk-in, but a booked citizen holds a place for today and is
    checked in (refused, the booking would be released at the end of its window as if they had not come), and
    booking another day is unaffected."""
    d = driver()
    code = book(d)
    d.now = datetime(2026, 11, 23, 1, 30, tzinfo=UTC)  # 08:30
    d.run(c.PauseIssuing("Gangguan jaringan/sistem pusat", service="ktp", until=time(10)))
    assert refused(d, c.IssueTicket("ktp", "w1", "wtok1")) == "issuing_paused"
    assert d.run(c.CheckIn(code, "t1", "tok1"))[0].type == "booking.checked_in"
    assert d.state.tickets["t1"].state.value == "waiting"
    book(d, "nik-b", time(9), date(2026, 11, 24))
    # a booking for later today would be a new ticket of the paused line at its check-in (an outside review)
    later = c.BookSlot("ktp", MONDAY, time(11), "nik-c", "0812****789", "id-c", "BK-C")
    assert refused(d, later) == "issuing_paused"
    assert refused(d, c.PauseIssuing("Blangko habis", service="ktp", until=time(8))) == "issuing_pause_until_past"
    assert refused(d, c.ResumeIssuing(service="kk")) == "issuing_not_paused"
    d.now = datetime(2026, 11, 23, 3, 30, tzinfo=UTC)  # 10:30: the time hoped for is past, and is no longer said
    with pytest.raises(Refusal) as info:
        d.run(c.IssueTicket("ktp", "w1", "wtok1"))
    assert info.value.key == "issuing_paused" and info.value.details.get("until") is None
    d.run(c.ResumeIssuing(service="ktp"))
    assert d.run(c.IssueTicket("ktp", "w1", "wtok1"))[0].type == "ticket.issued"
    d.run(c.BookSlot("ktp", MONDAY, time(11), "nik-c", "0812****789", "id-c", "BK-C"))  # resumed: booked again
