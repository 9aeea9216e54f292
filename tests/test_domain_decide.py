"""Every command of the domain core, against a site built in code. Pure: no database, no loop, no clock."""

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from queue_server.common.messages import refusal_messages
from queue_server.domain import commands as c
from queue_server.domain.catalogue import Agency, OpeningHours, Service, Site
from queue_server.domain.events import Event
from queue_server.domain.model import CounterState, IllegalTransition, TicketState
from queue_server.domain.refusal import Refusal
from queue_server.domain.state import SiteState, apply

from .domain_fixtures import ALL_DAY, Driver, make_site, with_site

S = TicketState


def refused(driver: Driver, command: object) -> Refusal:
    before = (dict(driver.state.tickets), dict(driver.state.counters))
    with pytest.raises(Refusal) as info:
        driver.run(command)
    assert (driver.state.tickets, driver.state.counters) == before, "a refused command changes nothing"
    message_id, message_en = refusal_messages(info.value)
    assert message_id and message_en and "…" not in message_id + message_en, "every parameter its sentence needs"
    return info.value


# --- issuing and numbering ---------------------------------------------------------------------------------


def test_numbers_restart_per_service_and_never_repeat() -> None:
    d = Driver()
    labels = [d.issue("ktp").label for _ in range(3)] + [d.issue("kk").label, d.issue("ktp").label]
    assert labels == ["A-001", "A-002", "A-003", "B-001", "A-004"]


@pytest.mark.parametrize(
    ("timezone", "last_minute_utc"),
    [("Asia/Jakarta", datetime(2026, 11, 23, 16, 59, tzinfo=UTC)),  # 23:59 WIB
     ("Asia/Makassar", datetime(2026, 11, 23, 15, 59, tzinfo=UTC)),  # 23:59 WITA
     ("Asia/Jayapura", datetime(2026, 11, 23, 14, 59, tzinfo=UTC))],  # 23:59 WIT
)  # fmt: skip
def test_service_day_follows_local_midnight(timezone: str, last_minute_utc: datetime) -> None:
    d = Driver(make_site(timezone), now=last_minute_utc)
    before = d.issue()
    d.now = last_minute_utc + timedelta(minutes=1)  # local midnight
    after = d.issue()
    assert before.day == date(2026, 11, 23) and before.label == "A-001"
    assert after.day == date(2026, 11, 24) and after.label == "A-001", "numbering restarts at LOCAL midnight"


def test_morning_in_wib_is_still_the_local_day_not_the_utc_one() -> None:
    # 06:30 WIB on the 24th is 23:30 UTC on the 23rd: a UTC day would file it under "yesterday".
    d = Driver(now=datetime(2026, 11, 23, 23, 30, tzinfo=UTC))
    assert d.issue().day == date(2026, 11, 24)


def test_quota_spent_refuses_clearly_and_breaks_nothing_else() -> None:
    d = Driver(make_site(quota=2))
    d.issue("ktp")
    d.issue("ktp")
    err = refused(d, c.IssueTicket("ktp", "x", "y"))
    assert err.code == "quota_exhausted" and err.details["quota"] == 2
    assert "Kuota" in refusal_messages(err)[0]
    assert d.issue("kk").label == "B-001", "other services still issue"
    d.open("1")
    assert d.call_next("1").label == "A-001", "the queue still works"
    d.now += timedelta(days=1)
    assert d.issue("ktp").label == "A-001", "the quota is per local day"


def test_transfer_into_a_service_does_not_spend_its_quota() -> None:
    d = Driver(make_site(quota=1))
    d.issue("ktp")
    kk = d.issue("kk")
    d.run(c.TransferTicket("ktp", "leg2", ticket=kk.id))
    assert d.state.issued[("ktp", kk.day)] == 1


def test_unknown_service_priority_and_channel_are_refused() -> None:
    d = Driver()
    assert isinstance(refused(d, c.IssueTicket("nope", "x", "y")), Refusal)
    assert refused(d, c.IssueTicket("ktp", "x", "y", priority="vip")).code == "unknown_priority_group"
    assert refused(d, c.IssueTicket("ktp", "x", "y", channel="fax")).code == "unknown_channel"


def test_opening_hours_holidays_and_friday_prayer() -> None:
    weekly = {"mon": ((time(7, 30), time(15, 30)),),
              "fri": ((time(7, 30), time(11, 0)), (time(13, 0), time(15, 30)))}  # fmt: skip
    hours = OpeningHours(weekly, frozenset({date(2026, 11, 30)}))
    d = Driver(make_site(hours=hours), now=datetime(2026, 11, 23, 0, 0, tzinfo=UTC))  # Mon 07:00 WIB
    err = refused(d, c.IssueTicket("ktp", "x", "y"))
    assert err.code == "site_closed" and err.details["next_opening"].startswith("2026-11-23T07:30:00+07:00")
    # the same day: "today", not the date written out (an outside review)
    assert refusal_messages(err) == ("MPP Uji sedang tutup. Buka hari ini pukul 07.30.",
                                     "MPP Uji is closed now. It opens today at 07:30.")  # fmt: skip
    d.now = datetime(2026, 11, 23, 0, 30, tzinfo=UTC)  # 07:30 WIB
    d.issue()
    d.now = datetime(2026, 11, 27, 5, 0, tzinfo=UTC)  # Friday 12:00 WIB, prayer break
    prayer = refused(d, c.IssueTicket("ktp", "x2", "y2"))
    assert prayer.details["next_opening"].startswith("2026-11-27T13:00")
    assert refusal_messages(prayer)[0] == "MPP Uji sedang tutup. Buka hari ini pukul 13.00."
    d.now = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # Friday 16:00 WIB: the next opening is on another day
    assert refusal_messages(refused(d, c.IssueTicket("ktp", "x4", "y4")))[0] == (
        "MPP Uji sedang tutup. Buka kembali Jumat, 4 Desember 2026 pukul 07.30."  # Monday 30th: a holiday
    )
    d.now = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # a Monday holiday
    assert refused(d, c.IssueTicket("ktp", "x3", "y3")).code == "site_closed"


# --- counters ----------------------------------------------------------------------------------------------


def test_call_next_needs_an_open_idle_counter_and_someone_waiting() -> None:
    d = Driver()
    assert refused(d, c.CallNext("1")).code == "counter_closed"
    d.open("1")
    assert refused(d, c.CallNext("1")).code == "queue_empty"
    d.issue()
    d.issue()
    d.call_next("1")
    assert refused(d, c.CallNext("1")).code == "counter_busy"
    d.run(c.FinishService("1"))
    d.run(c.PauseCounter("1"))
    assert refused(d, c.CallNext("1")).code == "counter_paused"
    assert refused(d, c.CallNext("9")).code == "unknown_counter"


def test_a_whole_ticket_life() -> None:
    d = Driver()
    d.open("1")
    t = d.issue()
    called = d.call_next("1")
    assert called.state is S.CALLED and called.counter == "1" and called.called_at == d.now
    d.run(c.Recall("1"))
    assert d.ticket(t.id).recalls == 1 and d.ticket(t.id).state is S.CALLED
    d.run(c.StartService("1"))
    d.tick(7)
    d.run(c.FinishService("1"))
    done = d.ticket(t.id)
    assert done.state is S.DONE and done.finished_at == d.now
    assert d.state.counters["1"].current is None
    assert [e.type for e in d.log] == ["counter.opened", "ticket.issued", "ticket.called", "ticket.recalled",
                                        "ticket.started", "ticket.finished"]  # fmt: skip


def test_finish_straight_from_called_records_the_start() -> None:
    d = Driver()
    d.open("1")
    t = d.issue()
    d.call_next("1")
    events = d.run(c.FinishService("1"))
    assert [e.type for e in events] == ["ticket.started", "ticket.finished"]
    assert d.ticket(t.id).state is S.DONE


def test_commands_without_a_current_ticket_are_refused() -> None:
    d = Driver()
    d.open("1")
    for command in (c.Recall("1"), c.StartService("1"), c.FinishService("1"), c.MarkNoShow("1")):
        assert refused(d, command).code == "no_current_ticket"


def test_illegal_transition_names_what_it_found() -> None:
    d = Driver()
    d.open("1")
    d.issue()
    d.call_next("1")
    d.run(c.StartService("1"))
    with pytest.raises(Refusal) as info:
        d.run(c.MarkNoShow("1"))  # serving -> no_show is not allowed
    assert info.value.code == "illegal_transition" and info.value.details["found"] == "serving"
    assert info.value.details["expected"] == ["called"]
    assert refusal_messages(info.value) == (
        "A-001 sudah mulai dilayani di Loket 1 pukul 09.00. Tiket ini tidak lagi dapat ditandai tidak hadir.",
        "A-001 is already being served at Loket 1 since 09:00. It can no longer be marked as a no-show.",
    )
    assert d.state.tickets[d.state.counters["1"].current or ""].state is S.SERVING


def test_two_operators_at_one_counter_never_act_on_each_others_citizen_by_surprise() -> None:
    """An outside review: operator budi pressed 0 (start B-001), sari a moment later pressed 0 too; her page, which
    had shown B-001 called, sent "finish" and ended the service budi had just begun. A command names the ticket the
    operator saw (`expected`); the counter's ticket changed since, it is refused, naming what changed and who."""
    d = Driver()
    d.open("1")
    first, second = d.issue(), d.issue()
    d.call_next("1")
    d.run(c.StartService("1", expected="A-001", by="budi"))
    assert d.ticket(first.id).by == "budi", "the ticket records who started it"
    said = refused(d, c.StartService("1", expected="A-001", by="sari"))  # sari saw it called: a start, refused
    assert said.code == "already_serving" and said.details["by"] == "budi"
    assert refusal_messages(said) == ("A-001 sudah mulai dilayani di Loket 1 oleh budi pukul 09.00. Tidak perlu dimulai lagi.",
                                      "A-001 is already being served at Loket 1 by budi since 09:00. No need to start it again.")  # fmt: skip
    d.run(c.FinishService("1", expected="a1", by="budi"))  # a label as typed names the same ticket
    for command in (c.FinishService("1", expected="A-001", by="sari"), c.MarkNoShow("1", expected="A-001"),
                    c.Recall("1", expected="A-001"), c.ParkTicket("1", expected="A-001"),
                    c.TransferTicket("kk", "t99", counter="1", expected="A-001")):  # fmt: skip
        said = refused(d, command)
        assert said.code == "ticket_changed", command
        assert said.details == {"counter": "1", "ticket": first.id, "found": "done", "by": "budi"}
        assert refusal_messages(said)[0].startswith("A-001 sudah selesai dilayani di Loket 1 oleh budi pukul 09.00. ")
    assert refusal_messages(refused(d, c.Recall("1", expected="A-001"))) == (
        "A-001 sudah selesai dilayani di Loket 1 oleh budi pukul 09.00. Tidak perlu dipanggil ulang.",
        "A-001 has already been served at Loket 1 by budi at 09:00. No need to call it again.",
    )
    d.call_next("1")  # A-002 now
    said = refused(d, c.FinishService("1", expected="A-001", by="sari"))
    assert said.details["current"] == second.id
    assert refusal_messages(said)[0] == ("A-001 sudah selesai dilayani di Loket 1 oleh budi pukul 09.00. "
                                         "Loket 1 kini menangani A-002. Tidak ada yang perlu diselesaikan.")  # fmt: skip
    assert refused(d, c.FinishService("1", expected="Z-999")).code == "unknown_ticket"
    d.run(c.FinishService("1", expected=second.id))  # by id too; and without `by` (a kiosk, the system): None
    assert d.ticket(second.id).by is None and d.ticket(second.id).state is S.DONE


def test_a_ticket_the_counter_never_held_is_said_to_be_none_of_its_own_with_nothing_of_its_handling() -> None:
    """An outside review: an operator of Disdukcapil naming F-001 (Polres's ticket, called at Loket 5) on Loket 1 was
    told "F-001 tidak lagi ditangani Loket 1 (kini dipanggil, oleh sup-tegal)": it never was there, and the answer
    named who handled another agency's citizen and gave its internal id. A ticket the counter never held, of any
    agency, is said to be no ticket of this counter, without its state, its handler or its id."""
    d = Driver()
    d.open("1", "2", "5")
    police = d.issue("skck")
    d.run(c.CallNext("5", by="sup-tegal"))
    ours, theirs = d.issue("ktp"), d.issue("ktp")
    for command in (c.StartService("1", expected="F-001", by="budi"), c.FinishService("1", expected=police.id),
                    c.MarkNoShow("1", expected="f1")):  # fmt: skip
        said = refused(d, command)
        assert said.code == "ticket_changed" and said.details == {"counter": "1"}, command
        assert refusal_messages(said) == ("F-001 bukan nomor antrean yang ditangani Loket 1. Perintah tidak dijalankan.",
                                          "F-001 is not a ticket at Loket 1. Nothing was done.")  # fmt: skip
    # the same for a ticket of this agency another counter called: never at Loket 1, said so, nothing "no longer"
    d.run(c.CallNext("2", by="sari"))
    said = refused(d, c.StartService("1", expected=ours.label, by="budi"))
    assert said.details == {"counter": "1"} and refusal_messages(said)[0] == (
        "A-001 bukan nomor antrean yang ditangani Loket 1. Perintah tidak dijalankan."
    )
    d.run(c.CallNext("1", by="budi"))  # Loket 1 has A-002 now
    said = refused(d, c.FinishService("1", expected="F-001", by="budi"))
    assert said.details == {"counter": "1", "current": theirs.id} and "by" not in said.params
    assert refusal_messages(said) == ("Loket 1 menangani A-002, bukan F-001. Perintah tidak dijalankan.",
                                      "Loket 1 has A-002, not F-001. Nothing was done.")  # fmt: skip
    # a ticket of this counter transferred away (its new leg named by the label): still "no longer", and who did it
    d.run(c.TransferTicket("kk", "t-kk", counter="1", by="budi"))
    said = refused(d, c.FinishService("1", expected="A-002", by="sari"))
    assert said.details == {"counter": "1", "ticket": "t-kk", "found": "waiting", "by": "budi"}
    assert refusal_messages(said)[0] == (
        "A-002 sudah dialihkan ke KK di Loket 1 oleh budi pukul 09.00. Tidak ada yang perlu diselesaikan."
    )
    # transferred to another agency, it is that agency's ticket now: nothing of what becomes of it is said
    moved = d.issue("ktp")
    d.run(c.CallNext("1", by="budi"))
    d.run(c.TransferTicket("skck", "t-skck", counter="1", by="budi"))
    d.run(c.FinishService("5", by="sup-tegal"))
    d.run(c.CallNext("5", by="sup-tegal"))  # Polres calls it
    assert d.state.counters["5"].current == "t-skck"
    said = refused(d, c.FinishService("1", expected=moved.label, by="sari"))
    assert said.details == {"counter": "1"} and refusal_messages(said)[0] == (
        f"{moved.label} bukan nomor antrean yang ditangani Loket 1. Perintah tidak dijalankan."
    )


def test_no_show_then_late_arrival_goes_to_the_back() -> None:
    d = Driver()
    d.open("1")
    late = d.issue()
    d.call_next("1")
    d.run(c.MarkNoShow("1"))
    assert d.ticket(late.id).state is S.NO_SHOW
    on_time = d.issue()
    d.run(c.RequeueTicket(late.label))
    assert d.ticket(late.id).state is S.WAITING
    assert d.call_next("1").id == on_time.id, "the late arrival does not jump people who came on time"
    d.run(c.FinishService("1"))
    assert d.call_next("1").id == late.id
    assert refused(d, c.RequeueTicket(on_time.id)).code == "not_no_show"


def test_call_a_specific_ticket_out_of_order() -> None:
    d = Driver()
    d.open("1", "2", "5")
    first = d.issue("ktp")
    second = d.issue("ktp")
    events = d.run(c.CallTicket("1", "a2"))  # labels are forgiving: a2, A2, A-002
    assert events[0].data["ticket"]["id"] == second.id and events[0].data["out_of_order"] is True
    assert refused(d, c.CallTicket("2", second.label)).code == "already_called"
    assert refused(d, c.CallTicket("5", first.label)).code == "not_served_here"
    assert refused(d, c.CallTicket("2", "Z-999")).code == "unknown_ticket"


def test_a_parked_ticket_frees_the_counter_and_is_called_back_when_ready() -> None:
    d = Driver()
    d.open("1", "2")
    first, second = d.issue(), d.issue()
    d.call_next("1")
    d.run(c.StartService("1"))
    parked = d.run(c.ParkTicket("1", note="fotokopi KK"))[0]
    assert parked.type == "ticket.parked"
    assert d.ticket(first.id).state is S.PARKED and d.ticket(first.id).counter == "1"
    assert d.ticket(first.id).note == "fotokopi KK"
    assert d.state.counters["1"].current is None, "the counter is free for the next citizen"
    assert first.id not in d.state.waiting.get("ktp", {}), "a parked ticket is not in the queue"
    assert d.call_next("1").id == second.id
    assert refused(d, c.UnparkTicket("1", first.label)).code == "counter_busy"
    d.run(c.FinishService("1"))
    back = d.run(c.UnparkTicket("2", first.label))[0]  # any counter serving the service may call it back
    assert back.type == "ticket.called" and back.data["ticket"]["counter"] == "2"
    assert d.ticket(first.id).state is S.CALLED
    assert refused(d, c.UnparkTicket("1", second.label)).code == "not_parked"
    assert refused(d, c.ParkTicket("1")).code == "no_current_ticket"
    d.run(c.ParkTicket("2"))
    d.open("5")
    assert refused(d, c.UnparkTicket("5", first.label)).code == "not_served_here"


def test_call_a_no_show_directly_when_they_turn_up() -> None:
    d = Driver()
    d.open("1")
    t = d.issue()
    d.call_next("1")
    d.run(c.MarkNoShow("1"))
    d.run(c.CallTicket("1", t.label))
    assert d.ticket(t.id).state is S.CALLED


def test_transfer_keeps_the_place_in_time_and_the_number() -> None:
    d = Driver()
    d.open("1", "5")
    early = d.issue("ktp")
    later_skck = [d.issue("skck") for _ in range(3)]
    d.call_next("1")
    d.run(c.StartService("1"))
    events = d.run(c.TransferTicket("skck", "leg2", counter="1", note="Butuh SKCK dulu"))
    old, new = events[0].data["ticket"], events[0].data["new_ticket"]
    assert old["state"] == "transferred" and new["state"] == "waiting"
    assert new["label"] == early.label and new["parent"] == early.id and new["agency"] == "polres"
    assert new["queue_key"] == early.queue_key.isoformat()
    assert d.state.counters["1"].current is None
    assert d.call_next("5").id == "leg2", "the transferred citizen is ahead of those who came later"
    d.run(c.FinishService("5"))
    assert d.call_next("5").id == later_skck[0].id


def test_transfer_refusals() -> None:
    d = Driver()
    t = d.issue("ktp")
    assert refused(d, c.TransferTicket("ktp", "leg", ticket=t.id)).code == "same_service"
    assert refused(d, c.TransferTicket("nope", "leg", ticket=t.id)).code == "unknown_service"
    assert refused(d, c.TransferTicket("kk", "leg", ticket=t.id, note="x" * 201)).code == "note_too_long"
    assert refused(d, c.TransferTicket("kk", "leg")).code == "missing_ticket"
    d.open("1")
    assert refused(d, c.TransferTicket("kk", "leg", counter="1")).code == "no_current_ticket"


def test_cancel_frees_the_counter() -> None:
    d = Driver()
    d.open("1")
    t = d.issue()
    d.call_next("1")
    d.run(c.CancelTicket(t.id, "citizen left"))
    assert d.ticket(t.id).state is S.CANCELLED and d.state.counters["1"].current is None
    with pytest.raises(IllegalTransition):
        d.run(c.CancelTicket(t.id))


def test_counter_open_pause_close() -> None:
    d = Driver()
    assert refused(d, c.PauseCounter("1")).code == "counter_closed"
    d.open("1")
    assert refused(d, c.OpenCounter("1")).code == "counter_already_open"
    d.run(c.PauseCounter("1"))
    assert d.state.counters["1"].state is CounterState.PAUSED
    d.open("1")  # resume
    t = d.issue()
    d.call_next("1")
    assert refused(d, c.PauseCounter("1")).code == "counter_busy"
    # Closing with a called (not started) ticket puts it back in the queue at its old place.
    events = d.run(c.CloseCounter("1"))
    assert [e.type for e in events] == ["ticket.returned", "counter.closed"]
    assert d.ticket(t.id).state is S.WAITING and d.ticket(t.id).queue_key == t.queue_key
    assert refused(d, c.CloseCounter("1")).code == "counter_already_closed"
    d.open("1")
    d.call_next("1")
    d.run(c.StartService("1"))
    assert refused(d, c.CloseCounter("1")).code == "counter_busy"


@pytest.mark.parametrize("serving", [False, True])
def test_a_counter_closed_after_its_day_never_brings_its_expired_ticket_back(serving: bool) -> None:
    # A day closed without one of its counters (the command line's close-day read the site file, and the counter
    # was added on the web): the counter still points at its citizen, expired with the day. Closing it (a supervisor,
    # or its operator's account disabled) must leave that ticket expired, not put it back in a closed day's line.
    for close in (c.CloseCounter("1"), c.ReleaseCounters("op", "disabled")):
        d = Driver()
        d.open("1")
        d.issue()
        ticket = d.call_next("1")
        if serving:
            d.run(c.StartService("1"))
        unknown = d.state.counters.pop("1")
        d.run(c.CloseDay())
        d.state.counters["1"] = unknown
        events = d.run(close)
        assert [e.type for e in events] == ["counter.closed"], close
        assert d.ticket(ticket.id).state is S.EXPIRED
        assert d.state.counters["1"].state is CounterState.CLOSED and d.state.counters["1"].current is None


def test_close_day_expires_everything_open_and_stops_issuing() -> None:
    d = Driver()
    d.open("1", "2")
    d.issue()
    served = d.serve("1")
    waiting = d.issue()
    called = d.issue()
    d.call_next("2")
    events = d.run(c.CloseDay())
    assert d.ticket(waiting.id).state is S.EXPIRED and d.ticket(called.id).state is S.EXPIRED
    assert d.ticket(served.id).state is S.DONE
    assert all(s.state is CounterState.CLOSED and s.current is None for s in d.state.counters.values())
    assert events[-1].type == "day.closed" and events[-1].data["expired"] == 2
    assert refused(d, c.IssueTicket("ktp", "x", "y")).code == "day_closed"
    d.now += timedelta(days=1)
    assert d.issue().label == "A-001"
    assert refused(d, c.CloseDay(d.now.date() + timedelta(days=3))).code == "day_in_future"
    assert "reason" not in events[-1].data, "none given: the event is as every earlier release wrote it"


def test_a_day_closed_with_a_reason_says_it_when_refusing_and_forgets_it_when_reopened() -> None:
    d = Driver()
    d.issue()
    events = d.run(c.CloseDay(reason="Gangguan listrik"))  # checked before (tests/test_validation.py)
    assert events[-1].data["reason"] == "Gangguan listrik"
    refusal = refused(d, c.IssueTicket("ktp", "x", "y"))
    assert refusal.key.startswith("day_closed.reason") and refusal.details["closed_reason"] == "Gangguan listrik"
    d.run(c.ReopenDay(d.state.site.service_day(d.now)))
    assert d.state.closed_reasons == {}
    d.run(c.CloseDay())  # closed again without one: not said
    assert refused(d, c.IssueTicket("ktp", "x", "y")).key in ("day_closed", "day_closed.until")


def test_an_agency_without_services_has_nothing_to_pause() -> None:
    """An agency added before its services recorded an empty pause (the dashboard offers "Semua layanan" of every
    agency). A reason's closing full stop is the application's rule (tests/test_validation.py)."""
    site = make_site()
    site = replace(site, agencies=site.agencies | {"bpn": Agency("bpn", "BPN", "BPN", "#000000")})
    d = Driver(site)
    assert d.run(c.PauseIssuing("Blangko habis", service="ktp"))[0].data["pauses"][0]["reason"] == "Blangko habis"
    with pytest.raises(Refusal) as info:
        d.run(c.PauseIssuing("Gangguan jaringan", agency="bpn"))
    assert info.value.key == "invalid_field.agency_without_services" and info.value.details == {"field": "agency"}
    assert "BPN belum punya layanan" in refusal_messages(info.value)[0]


# --- routing -------------------------------------------------------------------------------------------


def test_priority_first_but_regulars_are_not_starved() -> None:
    d = Driver(make_site(streak=2))
    d.open("1")
    r1, r2 = d.issue(), d.issue()
    p1, p2, p3 = (d.issue(priority="lansia"), d.issue(priority="ibu_hamil"), d.issue(priority="disabilitas"))
    order = []
    for _ in range(5):
        order.append(d.serve("1").id)
    assert order == [p1.id, p2.id, r1.id, p3.id, r2.id]


def test_priority_streak_continues_when_no_regular_waits() -> None:
    d = Driver(make_site(streak=1))
    d.open("1")
    ps = [d.issue(priority="anak") for _ in range(3)]
    assert [d.serve("1").id for _ in range(3)] == [p.id for p in ps]


def test_priority_can_be_switched_off() -> None:
    d = Driver(make_site(streak=0))
    d.open("1")
    r = d.issue()
    p = d.issue(priority="lansia")
    assert [d.serve("1").id, d.serve("1").id] == [r.id, p.id]


def test_fifo_across_services_vs_service_order() -> None:
    d = Driver(make_site(order="fifo"))
    d.open("3")  # serves kk, then ktp
    ktp = d.issue("ktp")
    kk = d.issue("kk")
    assert d.serve("3").id == ktp.id, "fifo: the oldest of all the counter's services"
    d2 = Driver(make_site(order="service_order"))
    d2.open("3")
    ktp = d2.issue("ktp")
    kk = d2.issue("kk")
    assert d2.serve("3").id == kk.id, "service_order: the counter's first service with anyone waiting"
    assert d2.serve("3").id == ktp.id


def test_tickets_of_an_earlier_day_are_not_called() -> None:
    d = Driver()
    d.issue()
    d.now += timedelta(days=1)
    d.open("1")
    assert refused(d, c.CallNext("1")).code == "queue_empty"


def test_fifty_counters_call_every_ticket_exactly_once() -> None:
    site = make_site()
    counters = {f"c{i}": replace(site.counters["2"], id=f"c{i}", name=f"Loket {i}") for i in range(50)}
    d = Driver(replace(site, counters=counters))
    issued = {d.issue("ktp" if i % 2 else "kk").id for i in range(500)}
    d.open(*counters)
    called: list[str] = []
    while True:
        progressed = False
        for counter in counters:
            try:
                called.append(d.call_next(counter).id)
                d.run(c.FinishService(counter))
                progressed = True
            except Refusal as exc:
                assert exc.code == "queue_empty"
        if not progressed:
            break
    assert sorted(called) == sorted(issued)


def test_decide_needs_an_aware_time() -> None:
    d = Driver()
    d.now = datetime(2026, 11, 23, 9, 0)
    with pytest.raises(ValueError, match="timezone-aware"):
        d.issue()


def test_demo_hours_are_all_day_in_these_tests() -> None:
    assert make_site().hours.weekly["sun"] == ALL_DAY
    d = Driver()
    with_site(d, enforce_hours=False)
    assert d.issue().label == "A-001"


def test_applying_the_decided_objects_gives_the_same_state_as_applying_the_stored_snapshots() -> None:
    """`apply` uses the objects `decide` made (Event.objects) instead of parsing the snapshots back; a server that
    restarts or replays only has the snapshots. Both must give exactly the same state."""
    d = Driver()
    d.open("1", "2", "5")
    tickets = [d.issue(service) for service in ("ktp", "kk", "ktp", "skck", "ktp")]
    d.issue("ktp", priority="lansia")
    d.serve("1")
    d.call_next("2")
    d.run(c.Recall("2"))
    d.run(c.StartService("2"))
    d.run(c.TransferTicket("skck", "leg2", counter="2", note="Butuh SKCK"))
    d.call_next("5")
    d.run(c.MarkNoShow("5"))
    d.run(c.CancelTicket(tickets[4].id, "pulang"))
    d.run(c.PauseCounter("1"))
    d.tick(60 * 24)
    d.run(c.CloseDay(d.state.site.service_day(d.now) - timedelta(days=1)))
    assert all(e.objects for e in d.log if "ticket" in e.data or "counter" in e.data)
    replayed = SiteState(d.state.site)
    for event in d.log:
        apply(replayed, Event(event.type, event.site, event.at, event.data, event.seq))  # snapshots only
    assert replayed.tickets == d.state.tickets
    assert replayed.counters == d.state.counters
    assert replayed.waiting == d.state.waiting and replayed.by_token == d.state.by_token
    assert replayed.issued == d.state.issued and replayed.closed_days == d.state.closed_days


def test_a_counter_cannot_be_opened_once_the_day_is_closed() -> None:
    d = Driver()
    d.open("1")
    d.run(c.CloseDay(d.state.site.service_day(d.now)))  # closes the open counter too
    with pytest.raises(Refusal) as refused:
        d.open("1")
    assert refused.value.key == "day_closed.counter"
    d.tick(24 * 60)  # the next day
    d.open("1")


def test_a_no_show_is_not_put_back_in_the_queue_of_a_closed_day() -> None:
    """Found at the counter page: "Antrekan ulang" on a day the supervisor had closed put the citizen back in a queue
    no counter could open for (and no kiosk issues into). Refused in words; once the day is reopened it is taken."""
    d = Driver()
    d.open("1")
    late = d.issue()
    d.call_next("1")
    d.run(c.MarkNoShow("1"))
    today = d.state.site.service_day(d.now)
    d.run(c.CloseDay(today, "Gangguan listrik"))
    said = refused(d, c.RequeueTicket(late.label))
    assert said.key == "day_closed.requeue" and said.code == "day_closed"
    assert refusal_messages(said)[0].startswith(f"Hari layanan MPP Uji sudah ditutup; {late.label} tidak")
    d.run(c.ReopenDay(today))
    d.run(c.RequeueTicket(late.label))
    assert d.ticket(late.id).state is S.WAITING


# --- configuration -----------------------------------------------------------------------------------------------


def configure(d: Driver, site: Site) -> list[Event]:
    """A new configuration of the driver's site (each one a document of its own, as a web save would be)."""
    return d.run(c.Configure(site, {"version": d.state.configuration.version + 1}, "web", "", None))


def with_services(site: Site, **changes: dict[str, Any]) -> Site:
    services = {sid: replace(s, **changes.get(sid, {})) for sid, s in site.services.items()}
    return replace(site, services=services)


def test_a_letter_on_todays_tickets_goes_to_another_service_only_the_next_day() -> None:
    """An outside review: KK (D-001..D-003) took the letter K and KIA the freed D; the kiosk issued D-001 .. again
    while KK's D-002 still waited, the TV called "D-002" for two citizens and "D2" at a counter found the wrong one."""
    d = Driver()
    kk = d.issue("kk")
    assert kk.label == "B-001"
    configure(d, with_services(d.state.site, kk={"prefix": "K"}))  # a service changes its own letter: its numbers go on
    assert d.issue("kk").label == "K-002"
    before = d.state.site
    err = refused(d, c.Configure(with_services(before, kk={"prefix": "K"}, ktp={"prefix": "B"}), {"v": "ktp B"},
                                 "web", "", None))  # fmt: skip
    assert err.code == "prefix_in_use" and err.details == {"service": "ktp", "prefix": "B", "used_by": "kk"}
    message_id, message_en = refusal_messages(err)
    assert "Awalan B sudah dipakai hari ini oleh KK (misalnya B-001)" in message_id and "besok" in message_id
    assert "from tomorrow" in message_en
    assert d.state.site is before and d.issue("ktp").label == "A-001", "nothing changed"
    added = Service("kk2", "dukcapil", "KK Baru", "B", None, 30, 10)  # a new service asking for the letter too
    fresh = replace(before, services={**before.services, "kk2": added})
    assert refused(d, c.Configure(fresh, {"v": "kk2 B"}, "web", "", None)).code == "prefix_in_use"
    assert d.state.tickets[kk.id].label == "B-001", "issued tickets keep their labels"
    configure(d, with_services(d.state.site, kk={"prefix": "B"}))  # KK takes its own letter back: numbers go on
    assert d.issue("kk").label == "B-003"
    configure(d, with_services(d.state.site, kk={"prefix": "K"}))
    d.tick(24 * 60)  # the next day: B is free (KK's tickets of yesterday keep their labels)
    configure(d, with_services(d.state.site, ktp={"prefix": "B"}))
    assert d.issue("ktp").label == "B-001" and d.issue("kk").label == "K-001"
    labels = [(t.day, t.label) for t in d.state.tickets.values()]
    assert len(labels) == len(set(labels)), "no label twice in a day"


def with_counters(site: Site, **services: tuple[str, ...]) -> Site:
    counters = {cid: replace(k, services=services.get(cid, k.services)) for cid, k in site.counters.items()}
    return replace(site, counters=counters)


def test_a_service_with_open_tickets_keeps_a_counter_to_call_them() -> None:
    """An outside review unticked a service on its only counter while one of its tickets waited: accepted, and the
    citizen waited for a call that could not come."""
    d = Driver()
    d.open("2")
    kk = d.issue("kk")
    unserved = with_counters(d.state.site, **{"2": ("ktp",), "3": ("ktp",)})  # KK was on Loket 2 and Loket 3
    err = refused(d, c.Configure(unserved, {"v": "no kk"}, "web", "", None))
    assert err.code == "service_unserved" and err.details == {"service": "kk"}
    assert refusal_messages(err)[0].startswith("Layanan KK masih punya 1 antrean terbuka")
    configure(d, with_counters(d.state.site, **{"2": ("ktp",)}))  # Loket 3 still serves it
    d.open("3")
    d.run(c.CallTicket("3", kk.id))
    d.run(c.FinishService("3"))
    configure(d, unserved)  # its line done: nobody is left waiting for it
    assert d.state.site.counters_serving("kk") == ()


def test_a_configuration_served_at_start_up_is_checked_against_the_day_alone() -> None:
    """At start-up the configuration the day ran under may not be known (nothing remembered, or it cannot be read):
    the site file served in its place passes the same checks as a change, judged from the day itself (its open
    tickets, counters, bookings and labels), with every letter looked up."""
    from queue_server.domain.decide import check_live_day

    d = Driver()
    d.open("5")
    kk = d.issue("kk")  # B-001, waiting
    site = d.state.site
    # The state as start-up builds it: already on the candidate (here the same site), nothing to compare with.
    check_live_day(d.state, site, d.now)
    cases = {
        "service_in_use": replace(site, services={k: v for k, v in site.services.items() if k != "kk"},
                                  counters={k: replace(v, services=tuple(s for s in v.services if s != "kk") or ("ktp",))
                                            for k, v in site.counters.items()}),
        "counter_in_use": replace(site, counters={k: v for k, v in site.counters.items() if k != "5"}),
        "service_unserved": with_counters(site, **{"2": ("ktp",), "3": ("ktp",)}),
        "prefix_in_use": with_services(site, kk={"prefix": "K"}, ktp={"prefix": "B"}),
    }  # fmt: skip
    for code, candidate in cases.items():
        with pytest.raises(Refusal) as info:
            check_live_day(d.state, candidate, d.now)
        assert info.value.code == code, (code, info.value)
        assert all(refusal_messages(info.value)), code
    d.run(c.CancelTicket(kk.id))
    d.run(c.CloseCounter("5"))
    for code, candidate in cases.items():
        if code != "prefix_in_use":  # B-001 stays on today's tickets, cancelled or not
            check_live_day(d.state, candidate, d.now)
    d.tick(24 * 60)
    check_live_day(d.state, cases["prefix_in_use"], d.now)


def test_a_day_holding_a_label_twice_does_not_block_the_configuration_it_ran_under() -> None:
    """A release before the letter check let KTP take KK's letter B: both issued B-001. Judged without the
    configuration in force (start-up), each service keeps the letter its own numbers carry today; a third service
    taking B is still refused."""
    from queue_server.domain.decide import check_live_day

    d = Driver()
    assert d.issue("kk").label == "B-001"
    with_site(d, services={**d.state.site.services, "ktp": replace(d.state.site.services["ktp"], prefix="B")})
    assert d.issue("ktp").label == "B-001", "the old bug, for the test"
    check_live_day(d.state, d.state.site, d.now)
    with pytest.raises(Refusal) as info:
        check_live_day(d.state, with_services(d.state.site, skck={"prefix": "B"}), d.now)
    assert info.value.code == "prefix_in_use" and info.value.details["service"] == "skck"


def test_a_counter_snapshot_of_an_earlier_release_is_dated_where_the_log_knows_when_it_became_idle() -> None:
    """A mirrored mall's box of a release before `idle_since` sends counters without it, and a database it wrote holds
    them so: the dashboard said "Kosong —" for ever. Applied, such a snapshot is dated as decide would have stamped it
    (idle from this event, or since the idle time known before it); read back from the database, by the kind of event
    that wrote it last; where neither tells, it stays unknown (None), never guessed."""
    from queue_server.domain.model import CounterStatus, idle_dated

    d = Driver()
    d.open("1")
    opened = d.log[-1]
    assert "idle_since" in opened.data["counter"], "this release stamps every counter snapshot"
    at = d.now
    old = {k: v for k, v in opened.data["counter"].items() if k != "idle_since"}  # as an earlier box wrote it
    mirror = Driver()
    apply(mirror.state, Event(opened.type, opened.site, at, {"counter": old}))
    assert mirror.state.counters["1"].idle_since == at
    later = at + timedelta(minutes=3)  # the same counter, still idle, in a later snapshot of that box: still since `at`
    apply(mirror.state, Event("counter.opened", opened.site, later, {"counter": old}))
    assert mirror.state.counters["1"].idle_since == at
    calling = CounterStatus("1", CounterState.OPEN, current="t1")
    assert idle_dated(calling, later).idle_since is None
    assert idle_dated(calling, later, before=mirror.state.counters["1"]).idle_since is None, "calling: not idle"
    unknown = CounterStatus("1", CounterState.OPEN)  # idle since a time nobody recorded
    assert idle_dated(CounterStatus("1", CounterState.OPEN), later, before=unknown).idle_since is None
    # read back from the database: the event that wrote it last says when, if it is one that leaves a counter idle
    for kind in ("counter.opened", "ticket.finished", "ticket.no_show", "ticket.parked", "ticket.transferred"):
        assert idle_dated(unknown, later, event_type=kind).idle_since == later, kind
    assert idle_dated(unknown, later, event_type="ticket.called").idle_since is None
    assert idle_dated(unknown, later).idle_since is None, "the log of that day archived: not known"
    paused = CounterStatus("1", CounterState.PAUSED)
    assert idle_dated(paused, later, event_type="counter.paused") == paused


def test_a_paused_or_closed_counter_says_who_left_it_so_and_when() -> None:
    """Refusals on a paused or closed counter name the account and the local time of the pause or close the
    counter's state keeps (codes unchanged); the public view of the counter does not gain them."""
    from queue_server.domain.model import CounterStatus
    from queue_server.domain.snapshot import view_fields

    d = Driver()  # 09.00 WIB
    d.open("1")
    d.tick(62)
    d.run(c.PauseCounter("1", by="sari"))
    paused = d.state.counters["1"]
    assert (paused.paused_by, paused.paused_at) == ("sari", d.now)
    d.tick(3)
    refusal = refused(d, c.CallNext("1", by="budi"))
    assert refusal.code == "counter_paused"
    assert refusal.details == {"counter": "1", "by": "sari", "at": d.now.replace(minute=2).isoformat()}
    said = refusal_messages(refusal)
    assert said == (
        "Loket 1 dijeda oleh sari pukul 10.02. Lanjutkan loket terlebih dahulu.",
        "Loket 1 was paused by sari at 10:02. Resume the counter first.",
    )
    assert refused(d, c.PauseCounter("1", by="budi")).code == "counter_paused"
    assert "dijeda oleh sari pukul 10.02" in refusal_messages(refused(d, c.PauseCounter("1", by="budi")))[0]
    d.open("1")
    d.tick(10)
    d.run(c.CloseCounter("1", by="budi"))
    assert refusal_messages(refused(d, c.CallNext("1", by="sari"))) == (
        "Loket 1 ditutup oleh budi pukul 10.15. Buka loket terlebih dahulu.",
        "Loket 1 was closed by budi at 10:15. Open the counter first.",
    )
    again = refused(d, c.CloseCounter("1", by="sari"))
    assert again.code == "counter_already_closed" and "oleh budi pukul 10.15" in refusal_messages(again)[0]
    public = {spec.name for spec in view_fields(CounterStatus, "public")}
    assert not public & {"paused_by", "paused_at", "closed_by", "closed_at"}, "staff business, never on a lobby screen"


def test_a_pause_and_close_an_earlier_release_wrote_replay_and_are_refused_as_before() -> None:
    """Events of a release before `paused_by`/`closed_by`: their counter snapshots load, and a refusal says what is
    so without a who it cannot know."""
    d = Driver()
    d.open("1")
    for type_, state in (("counter.paused", "paused"), ("counter.opened", "open"), ("counter.closed", "closed")):
        old = {"id": "1", "state": state, "current": None, "priority_streak": 0, "operator": "op", "idle_since": None}
        apply(d.state, Event(type_, d.state.site.id, d.now, {"counter": old}))
        assert d.state.counters["1"].state.value == state
    assert d.state.counters["1"].closed_by is None and d.state.counters["1"].paused_by is None
    refusal = refused(d, c.CallNext("1"))
    assert refusal.code == "counter_closed" and refusal.details == {"counter": "1"}
    assert refusal_messages(refusal)[0] == "Loket 1 tutup. Buka loket terlebih dahulu."
