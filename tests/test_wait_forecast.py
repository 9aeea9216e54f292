"""The wait a citizen is told: people ahead as the routing rule sees them at shared counters, a service-time model
that learns, a range, and plain words when no counter is open. Pure domain: no database, no loop."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from queue_server.domain import commands as c
from queue_server.domain.forecast import RESIDUAL_FLOOR, residual, simulate
from queue_server.domain.model import TicketState
from queue_server.domain.refusal import Refusal
from queue_server.domain.service_times import PRIOR_WEIGHT, ServiceTimes
from queue_server.domain.wait import MAX_LATE_LOAD, estimate, if_joined_now
from queue_server.settings.sitefile import DEMO_SITE, load_site

from .domain_fixtures import Driver, make_site


def told(d: Driver, ticket_id: str):  # type: ignore[no-untyped-def]
    return estimate(d.state, simulate(d.state, d.now, d.state.times), d.ticket(ticket_id), d.now)


def demo() -> Driver:
    return Driver(replace(load_site(DEMO_SITE), enforce_hours=False))


def test_a_ticket_at_a_shared_counter_counts_the_other_service_waiting_there() -> None:
    """The demo mall: Loket 2 is the only counter for KIA and also serves KTP. With 8 KTP tickets waiting and
    only Loket 2 open, a new KIA ticket has 8 people before it (it used to be told 0 and "soon")."""
    d = demo()
    assert [c.id for c in d.state.site.counters_serving("kia")] == ["2"]
    for _ in range(8):
        d.issue("ktp")
    d.open("2")
    kia = d.issue("kia")
    wait = told(d, kia.id)
    ktp_minutes = d.state.site.services["ktp"].default_service_minutes
    assert wait.people_ahead == 8 and wait.minutes == 8 * ktp_minutes and wait.counters_open == 1
    assert d.call_next("2").service == "ktp", "and indeed the counter calls a KTP ticket next"

    d.open("1")  # Loket 1 serves KTP only: it takes about half of them, Loket 2 the other half
    wait = told(d, kia.id)
    assert 3 <= wait.people_ahead <= 5 and wait.minutes is not None and wait.minutes < 8 * ktp_minutes


def test_people_ahead_counts_only_counters_that_can_serve_the_ticket() -> None:
    d = Driver()  # counter 1: ktp; 2: ktp+kk; 3: kk+ktp; 5: skck
    for _ in range(5):
        d.issue("skck")
    d.open("1", "5")
    ktp = d.issue("ktp")
    assert told(d, ktp.id).people_ahead == 0, "SKCK tickets go to counter 5, never before a KTP ticket"


def test_no_counter_open_is_said_plainly_with_the_line_still_counted() -> None:
    d = Driver()
    first = d.issue("ktp")
    second = d.issue("ktp")
    wait = told(d, second.id)
    assert wait.minutes is None and wait.status == "no_counter_open" and wait.people_ahead == 1
    assert told(d, first.id).people_ahead == 0
    d.open("5")  # a counter of another service changes nothing
    assert told(d, second.id).status == "no_counter_open"


def test_the_wait_if_joined_now_is_what_the_next_ticket_is_told() -> None:
    """The kiosk's tile says what a ticket taken now would be told: the next ticket is told exactly that, from the
    same forecast (tickets issued since it was made go first) and from a fresh one."""
    d = demo()
    for _ in range(6):
        d.issue("ktp")
    d.issue("kia")
    d.open("1", "2")
    forecast = simulate(d.state, d.now, d.state.times)
    d.issue("ktp")  # joined after the forecast was made
    d.issue("ktp", priority="lansia")
    for service in ("ktp", "kia"):
        now = d.now
        said = if_joined_now(d.state, forecast, service, now)
        ticket = d.issue(service)  # (the driver's clock moves 6 seconds on)
        then = estimate(d.state, forecast, d.ticket(ticket.id), now)
        assert (then.people_ahead, then.minutes, then.low, then.high) == (
            said.people_ahead,
            said.minutes,
            said.low,
            said.high,
        ), service
    now = d.now  # and from a fresh forecast, in which the next ticket is called at the service's tail
    said = if_joined_now(d.state, simulate(d.state, now, d.state.times), "ktp", now)
    ticket = d.issue("ktp")
    fresh = estimate(d.state, simulate(d.state, now, d.state.times), d.ticket(ticket.id), now)
    assert (fresh.people_ahead, fresh.minutes, fresh.low, fresh.high) == (
        said.people_ahead,
        said.minutes,
        said.low,
        said.high,
    )
    assert said.people_ahead >= 10 and said.minutes is not None and said.minutes > 0
    d.issue("skck")
    d.issue("skck")
    nobody = if_joined_now(d.state, simulate(d.state, d.now, d.state.times), "skck", d.now)
    assert nobody.status == "no_counter_open" and nobody.minutes is None and nobody.people_ahead == 2


def test_a_counter_on_a_break_counts_as_coming_back() -> None:
    d = Driver()
    d.open("1")
    d.run(c.PauseCounter("1"))
    wait = told(d, d.issue("ktp").id)
    assert wait.status == "estimated" and wait.minutes is not None and wait.minutes >= 10


def test_the_forecast_calls_in_the_order_the_counter_really_calls() -> None:
    """Run the forecast, then call everyone with the real routing rule (priority groups and their streak,
    booked tickets whose slot has begun, shared counters): the same order, ticket for ticket."""
    for seed in range(20):
        rng = random.Random(seed)
        d = Driver(make_site(streak=rng.choice((0, 1, 2, 3)), order=rng.choice(("fifo", "service_order"))))
        for _ in range(rng.randint(5, 25)):
            service = rng.choice(("ktp", "kk"))
            d.issue(service, priority="lansia" if rng.random() < 0.3 else None)
        d.open("2")  # one counter: the order is the rule's alone
        forecast = simulate(d.state, d.now, d.state.times)
        expected = sorted(forecast.calls, key=lambda t: forecast.calls[t].index)
        called = []
        while True:
            try:
                called.append(d.call_next("2").id)
            except Refusal:
                break
            d.run(c.StartService("2"))
            d.run(c.FinishService("2"))
        assert called == expected, f"seed {seed}"


def test_a_priority_ticket_waits_only_behind_priority_tickets() -> None:
    d = Driver()
    for _ in range(6):
        d.issue("ktp")
    d.issue("ktp", priority="lansia")
    d.open("1")
    wait = told(d, d.issue("ktp", priority="ibu_hamil").id)
    assert wait.people_ahead == 1, "behind the other priority ticket, before six regular ones"


def test_a_service_time_comes_from_the_prior_then_from_today() -> None:
    d = Driver()
    times = d.state.times
    assert times.minutes("ktp") == 10 and times.basis("ktp") == "default"
    times.history = {"ktp": (20.0, 50)}
    times.new_day()
    assert times.minutes("ktp") == 20 and times.basis("ktp") == "history", "the same weekday before: the prior"
    d.open("1")
    for _ in range(30):
        d.issue("ktp")
    for _ in range(30):
        d.serve("1", minutes=4)
    assert 4 < times.minutes("ktp") < 7 and times.basis("ktp") == "today", "today's measurements take over"


def test_a_ticket_finished_straight_from_called_is_not_a_zero_minute_service() -> None:
    d = Driver()
    d.open("1")
    for _ in range(10):
        d.issue("ktp")
    for _ in range(10):
        d.call_next("1")
        d.run(c.FinishService("1"))  # nobody pressed start
    assert d.state.times.minutes("ktp") == 10, "still the prior: nothing measured"


def test_a_service_finished_without_pressing_start_counts_from_call_to_finish() -> None:
    d = Driver()
    d.open("1")
    for _ in range(30):
        d.issue("ktp")
    for _ in range(30):
        d.call_next("1")
        d.tick(4)
        d.run(c.FinishService("1"))  # nobody pressed start: reports see a 0-second service
    assert 4 < d.state.times.minutes("ktp") < 7, "four minutes of the counter's time each, not zero"


def test_one_very_long_service_does_not_double_the_estimate() -> None:
    times = ServiceTimes({"ktp": 10.0})
    d = Driver()
    d.open("1")
    for _ in range(21):
        d.issue("ktp")
    for _ in range(20):
        d.serve("1", minutes=10)
    d.serve("1", minutes=240)  # a finish forgotten over lunch
    assert d.state.times.minutes("ktp") < 11
    assert times.minutes("ktp") == 10 and PRIOR_WEIGHT > 0


def test_a_slow_counter_is_known_to_be_slow() -> None:
    d = Driver()
    d.open("1", "2")
    for _ in range(24):
        d.issue("ktp")
    for _ in range(12):
        d.serve("1", minutes=5)
        d.serve("2", minutes=15)
    assert d.state.times.speed("2") > 1.2 > 0.9 > d.state.times.speed("1")


def test_how_fast_a_counter_s_own_pace_takes_over_depends_on_how_much_counters_differ() -> None:
    """Empirical Bayes: counters that work alike keep a strong prior (a few long services are luck); counters that
    differ a lot (a new operator at a third of the pace) have their own measurements take over at once."""
    rng = random.Random(7)

    def day(paces: dict[str, float]) -> Driver:
        d = Driver()  # counters 1, 2 and 3 serve KTP
        d.open(*paces)
        for _ in range(12 * len(paces)):
            d.issue("ktp")
        for _ in range(12):
            for counter, pace in paces.items():
                d.serve(counter, minutes=pace * rng.lognormvariate(-0.15, 0.55))  # a real counter's spread
        return d

    alike = day({"1": 6.0, "2": 6.0, "3": 6.0})
    assert alike.state.times.counter_weight() >= 10
    assert 0.8 < alike.state.times.speed("3") < 1.2, "luck is not taken for a slow counter"
    apart = day({"1": 3.0, "2": 6.0, "3": 18.0})
    assert apart.state.times.counter_weight() <= 3
    assert apart.state.times.speed("3") > 1.4 > 0.7 > apart.state.times.speed("1"), "the pace learnt, not shrunk"


def test_two_citizens_a_minute_apart_with_the_same_line_are_told_nearly_the_same() -> None:
    d = Driver()
    d.open("1", "2")
    for _ in range(20):
        d.issue("ktp")
    d.tick(1)
    a = told(d, d.issue("ktp").id)
    d.tick(1)
    d.run(c.CancelTicket(next(t.id for t in d.state.tickets.values() if t.state is TicketState.WAITING), "left"))
    b = told(d, d.issue("ktp").id)
    assert a.minutes is not None and b.minutes is not None and abs(a.minutes - b.minutes) <= 6
    assert a.low is not None and a.high is not None and a.low < a.minutes < a.high


def test_the_phone_estimate_counts_down_as_time_passes() -> None:
    d = Driver()
    d.open("1")
    for _ in range(5):
        d.issue("ktp")
    mine = d.issue("ktp")
    forecast = simulate(d.state, d.now, d.state.times)
    before = estimate(d.state, forecast, mine, d.now)
    later = estimate(d.state, forecast, mine, d.now + timedelta(minutes=7))
    assert before.minutes is not None and later.minutes is not None and later.minutes == before.minutes - 7


def test_a_stale_forecast_still_places_a_new_ticket_behind_the_ones_it_has_not_seen() -> None:
    d = Driver()
    d.open("1")
    for _ in range(3):
        d.issue("ktp")
    forecast = simulate(d.state, d.now, d.state.times)
    for _ in range(2):
        d.issue("ktp")
    newest = d.issue("ktp")
    wait = estimate(d.state, forecast, newest, d.now)
    assert wait.people_ahead == 5 and wait.minutes == 50


def test_forecast_time_is_aware() -> None:
    assert simulate(Driver().state, datetime(2026, 11, 23, 2, tzinfo=UTC), ServiceTimes({})).calls == {}


def test_a_followed_forecast_moves_a_phone_up_at_each_call() -> None:
    """A forecast is followed past everyday moves for a few seconds (a busy site would otherwise make one for
    nearly every ticket issued), yet a phone is told its place after every call: who left the line since the
    forecast is taken off "people ahead" at once, and the count is what a fresh forecast says."""
    from queue_server.application.forecasts import forecast_for

    d = Driver()
    d.open("1", "2")
    tickets = [d.issue("ktp") for _ in range(6)]
    before = forecast_for(d.state, d.now)
    assert estimate(d.state, before, tickets[5], d.now).people_ahead == 5
    d.call_next("1")
    d.call_next("2")
    d.run(c.CancelTicket(tickets[3].id, "left"))
    followed = forecast_for(d.state, d.now)
    assert followed is before, "followed, not made again"
    fresh = simulate(d.state, d.now, d.state.times)
    for ticket in (tickets[2], tickets[4], tickets[5]):
        assert (
            estimate(d.state, followed, ticket, d.now).people_ahead
            == estimate(d.state, fresh, ticket, d.now).people_ahead
        )
    assert estimate(d.state, followed, tickets[5], d.now).people_ahead == 2
    newest = d.issue("ktp")
    assert estimate(d.state, forecast_for(d.state, d.now), newest, d.now).people_ahead == 3


def test_a_burst_of_quick_services_makes_a_new_forecast() -> None:
    """An outside review: four services finished within seconds left a phone told "0 ahead" with the forecast's
    hour still. More leaving the line than the followed forecast expected by now makes a new one; the everyday
    pace of calls is followed still."""
    from queue_server.application.forecasts import forecast_for

    d = Driver()
    d.open("1")
    tickets = [d.issue("ktp") for _ in range(5)]
    before = forecast_for(d.state, d.now)
    long_before = estimate(d.state, before, tickets[4], d.now).minutes
    assert long_before is not None and long_before >= 20
    d.call_next("1")  # the call it expected at once: followed
    assert forecast_for(d.state, d.now) is before
    d.run(c.FinishService("1"))
    for _ in range(3):  # three more citizens served in seconds (each found their papers incomplete, say)
        d.call_next("1")
        d.run(c.FinishService("1"))
    d.tick(0.2)
    after = forecast_for(d.state, d.now)
    assert after is not before, "more left than expected: made again"
    told_now = estimate(d.state, after, tickets[4], d.now)
    assert told_now.people_ahead == 0 and told_now.minutes is not None and told_now.minutes <= 2, told_now


def test_a_forecast_is_made_again_after_a_reshape_or_when_old() -> None:
    """A counter opening or pausing, a priority citizen, a transfer: the forecast's picture is wrong, so it is
    made again; an everyday move is followed for FOLLOW_SECONDS of the site's clock only."""
    from queue_server.application.forecasts import FOLLOW_SECONDS, forecast_for

    d = Driver()
    d.open("1")
    tickets = [d.issue("ktp") for _ in range(4)]
    first = forecast_for(d.state, d.now)
    d.open("2")
    second = forecast_for(d.state, d.now)
    assert second is not first and estimate(d.state, second, tickets[3], d.now).counters_open == 2
    d.issue("ktp", priority="lansia")
    third = forecast_for(d.state, d.now)
    assert third is not second
    d.call_next("1")
    d.tick(FOLLOW_SECONDS / 60 + 0.1)
    assert forecast_for(d.state, d.now) is not third


def test_a_call_expected_after_closing_is_said() -> None:
    """At 14:00 (the demo mall closes at 15:30 on Mondays), one KTP counter open: the first tickets will be called
    today, the fortieth is expected after closing and is told so; a site that does not keep hours says nothing."""
    d = Driver(replace(load_site(DEMO_SITE), enforce_hours=True), now=datetime(2026, 11, 23, 7, 0, tzinfo=UTC))
    d.open("1")
    tickets = [d.issue("ktp") for _ in range(40)]
    first, last = told(d, tickets[0].id), told(d, tickets[-1].id)
    assert not first.after_closing and first.to_dict()["after_closing"] is False
    assert last.minutes is not None and last.minutes > 90 and last.after_closing
    d.state.site = replace(d.state.site, enforce_hours=False)
    assert not told(d, tickets[-1].id).after_closing


def test_a_counter_alone_with_its_service_is_not_counted_slow_twice() -> None:
    """Loket 5 alone serves SKCK and takes 15 minutes each: the service's mean already is Loket 5's pace, so the
    forecast takes 15 minutes there, not the service's mean times the counter's (learnt) slowness on top."""
    d = Driver()
    d.open("5")
    for _ in range(20):
        d.issue("skck")
    for _ in range(20):
        d.serve("5", minutes=15)
    times = d.state.times
    twice = times.minutes("skck") * times.speed("5")
    assert twice > 15.5 and abs(times.at_counter("skck", "5") - 15) < 1, (twice, times.at_counter("skck", "5"))


def test_a_service_under_way_still_has_the_mean_residual_of_its_kind_to_go() -> None:
    """A service still running at its mean time is more likely one of the long ones: with a spread of 0.6 about
    56 % of the mean is still to go (a log-normal's mean residual life), not "nothing" or a fixed 30 %. One that
    passed three times the mean (a finish forgotten) is expected to end soon."""
    assert residual(0.0, 0.6) == 1.0
    assert residual(1.0, 0.6) == pytest.approx(0.559, abs=0.005)
    assert residual(0.5, 0.6) == pytest.approx(0.622, abs=0.005) and residual(0.5, 0.6) > 0.5
    assert residual(0.5, 0.1) == pytest.approx(0.5, abs=0.03), "an even service: mean minus elapsed"
    assert residual(5.0, 0.6) == residual(50.0, 0.6) == RESIDUAL_FLOOR

    d = Driver()
    d.open("1")
    d.issue("ktp")
    d.call_next("1")
    waiting = d.issue("ktp")
    mean = d.state.times.at_counter("ktp", "1")
    d.tick(mean - 0.1)  # issue() moved the clock 0.1 minute; now the service under way has lasted its mean
    forecast = simulate(d.state, d.now, d.state.times)
    assert forecast.calls[waiting.id].minutes == pytest.approx(mean * residual(1.0, d.state.times.spread("ktp")))


def test_priority_citizens_are_expected_only_while_tickets_are_issued() -> None:
    """Later priority citizens lengthen a regular ticket's wait, but none come after the site stops issuing: at
    14:00 with 15:30 closing, a wait of several hours grows by what 90 minutes of them bring, not by its whole
    length's worth."""
    d = Driver(replace(load_site(DEMO_SITE), enforce_hours=True), now=datetime(2026, 11, 23, 7, 0, tzinfo=UTC))
    d.open("1")
    for _ in range(5):
        d.issue("ktp", priority="lansia")  # the last hour's priority citizens: the rate the forecast expects
    tickets = [d.issue("ktp") for _ in range(40)]
    forecast = simulate(d.state, d.now, d.state.times)
    call = forecast.calls[tickets[-1].id].minutes
    said = estimate(d.state, forecast, tickets[-1], d.now).minutes
    assert said is not None and call > 180
    grown = said - call
    assert 0 < grown < 0.6 * (call / (1 - MAX_LATE_LOAD) - call), "arrivals counted until 15:30 only"

    d.state.site = replace(d.state.site, enforce_hours=False)  # hours not kept: arrivals all along
    said = estimate(d.state, forecast, tickets[-1], d.now).minutes
    assert said == round(call / (1 - MAX_LATE_LOAD))


def test_a_paused_service_expects_no_later_priority_citizen_and_its_line_is_still_called() -> None:
    """Issuing paused (its central system down): those waiting are still called at its counters' pace, and no priority
    citizen of it comes later to go ahead of them, so the last hour's priority rate no longer lengthens their wait."""
    d = Driver(load_site(DEMO_SITE))
    d.open("1")
    for n in range(12):
        d.issue("ktp", "lansia" if n % 3 == 0 else None)
        d.tick(3)
    last = max((t for t in d.state.tickets.values() if not t.priority), key=lambda t: t.issued_at)
    before = estimate(d.state, simulate(d.state, d.now, d.state.times), last, d.now)
    d.run(c.PauseIssuing("Blangko habis", service="ktp"))
    paused = estimate(d.state, simulate(d.state, d.now, d.state.times), last, d.now)
    assert paused.people_ahead == before.people_ahead and paused.counters_open == 1
    assert paused.minutes is not None and before.minutes is not None and paused.minutes < before.minutes
    d.run(c.ResumeIssuing(service="ktp"))
    assert estimate(d.state, simulate(d.state, d.now, d.state.times), last, d.now) == before
    assert d.call_next("1").service == "ktp", "the line is called as before"


def test_just_after_midnight_yesterday_s_tickets_left_waiting_are_nobody_ahead() -> None:
    """A mall open round the clock: until the server closes yesterday (its housekeeping round, up to a minute after
    midnight; hours while its clock is in doubt) yesterday's tickets still wait, though no counter calls them
    (routing.py). The first ticket of the day was told they were all ahead of it, with no counter open and with one."""
    d = Driver(now=datetime(2026, 11, 23, 16, 55, tzinfo=UTC))  # Monday 23.55 WIB
    for _ in range(5):
        d.issue("ktp")
    d.issue("ktp", "lansia")
    d.tick(6)  # Tuesday 00.01
    assert if_joined_now(d.state, simulate(d.state, d.now, d.state.times), "ktp", d.now).people_ahead == 0
    first = d.issue("ktp")
    assert told(d, first.id).people_ahead == 0, "no counter open: its place in today's line"
    elder = d.issue("ktp", "lansia")
    assert told(d, elder.id).people_ahead == 0, "a priority ticket: ahead of today's regular one"
    forecast = simulate(d.state, d.now, d.state.times)
    d.open("1")
    later = d.issue("ktp")  # after the forecast: placed behind the tickets issued since, today's only
    assert estimate(d.state, forecast, later, d.now).people_ahead == 2
    assert if_joined_now(d.state, forecast, "ktp", d.now).people_ahead == 3
