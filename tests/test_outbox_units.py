"""The delivery worker's small parts, without a server: the circuit breaker, the scrubbing of errors, the gateway's
body, phone numbers as gateways take them, and where a citizen is told to go."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

import pytest

from queue_server.application.personal import mask_phone, normalise_phone
from queue_server.domain.catalogue import Gateway
from queue_server.domain.model import TicketState
from queue_server.domain.refusal import Refusal
from queue_server.outbound.deliverer import Breaker, gateway_up, retry_after, scrub
from queue_server.outbound.gateway import render

from .domain_fixtures import make_site


def test_the_breaker_opens_after_failures_in_a_row_then_lets_one_probe_through() -> None:
    breaker = Breaker(failures=3, pause=0.05)
    assert breaker.state == "closed"
    for _ in range(2):
        assert breaker.allows()
        assert not breaker.failed()
    assert breaker.failed() and breaker.state == "open"
    assert not breaker.allows()
    time.sleep(0.06)
    assert breaker.state == "half_open"
    assert breaker.allows() and not breaker.allows()  # one probe at a time
    assert breaker.failed() and breaker.state == "open"  # the probe failed: open again, for twice as long
    assert breaker.trips == 2  # paused 0.1 s this time
    time.sleep(0.11)
    assert breaker.allows()
    breaker.succeeded()
    assert breaker.state == "closed" and breaker.allows() and breaker.allows()


def test_a_429_holds_its_endpoint_without_opening_its_breaker() -> None:
    """Asked to wait, the endpoint takes nothing until then, but it is up: closed, so the pages still offer it."""
    breaker = Breaker(failures=3, pause=30)
    breaker.hold(0.05)
    assert not breaker.allows() and breaker.blocked() and breaker.state == "closed"
    time.sleep(0.06)
    assert breaker.allows() and not breaker.blocked()


def _later(breaker: Breaker, seconds: float) -> None:
    """The breaker as it is `seconds` later (its times are time.monotonic()'s: moved back instead of waited for)."""
    breaker.open_until -= seconds
    breaker.held_until -= seconds


def test_a_503_that_says_for_how_long_holds_its_endpoint_and_counts_as_a_failure() -> None:
    """A short Retry-After (below the first pause) holds the endpoint and is counted like any failure; one at least as
    long as the first pause opens the breaker at once, for as long as it asked (the receiver says it is down)."""
    breaker = Breaker(failures=3, pause=30)
    assert not breaker.failed(down_for=5)
    assert breaker.failures == 1 and breaker.state == "closed" and breaker.blocked() and not breaker.allows()
    _later(breaker, 6)
    assert breaker.allows() and not breaker.failed() and breaker.failed(down_for=1), "the third in a row trips it"
    assert breaker.state == "open"

    at_once = Breaker(failures=5, pause=30)
    assert at_once.failed(down_for=120), "down for longer than a pause: opened by the first one"
    assert at_once.state == "open" and at_once.trips == 1
    _later(at_once, 60)  # the first pause is over, but not the time it asked for
    assert at_once.state == "open" and at_once.blocked() and not at_once.allows() and not at_once.idle_probe_due()
    _later(at_once, 61)
    assert at_once.state == "half_open" and at_once.allows()


def test_a_paused_breaker_asks_once_a_pause_for_a_waiting_message_to_probe_with() -> None:
    """A webhook's breaker whose pause is over, with none of its messages due: the deliverer brings one forward to
    probe it, once a pause; a message let through that turned out no probe (skipped) lets it ask again."""
    breaker = Breaker(failures=1, pause=30)
    assert not breaker.idle_probe_due(), "closed: nothing to probe"
    assert breaker.failed()
    assert not breaker.idle_probe_due(), "still pausing"
    _later(breaker, 31)
    assert breaker.idle_probe_due() and not breaker.idle_probe_due(), "once a pause"
    assert breaker.allows(), "the message brought forward probes it"
    breaker.no_probe()  # skipped (its endpoint removed, say)
    assert breaker.idle_probe_due(), "another may be brought forward"
    assert breaker.allows() and breaker.failed() and breaker.trips == 2
    assert not breaker.idle_probe_due()
    _later(breaker, 61)
    assert breaker.idle_probe_due(), "the next pause, again once"
    assert breaker.allows()
    assert breaker.succeeded() and not breaker.idle_probe_due() and breaker.state == "closed"


def test_a_gateway_s_breaker_is_probed_by_head_never_by_a_message_and_a_head_up_puts_it_on_trial() -> None:
    """A gateway's half-open probe is the HEAD: no message goes meanwhile (the oldest waiting one may be one its
    gateway delivered late). A HEAD answered closes the breaker on trial: one message at a time, whose failure
    opens it again at once (a HEAD that says up while POSTs fail costs one message's try a pause, not five)."""
    breaker = Breaker(failures=5, pause=30, probe_by_head=True)
    for _ in range(4):
        assert breaker.allows() and not breaker.failed()
    assert breaker.allows() and breaker.failed() and breaker.state == "open"
    assert not breaker.head_probe_due(), "still pausing"
    _later(breaker, 31)
    assert breaker.state == "half_open" and breaker.blocked() and not breaker.allows(), "no message probes it"
    assert breaker.head_probe_due() and not breaker.head_probe_due(), "one HEAD at a time"
    breaker.reached()  # the HEAD was answered by the gateway's own server
    assert breaker.state == "closed" and breaker.trial()
    assert breaker.allows() and breaker.blocked() and not breaker.allows(), "one message on trial"
    assert breaker.failed() and breaker.state == "open" and breaker.trips == 2, "its failure reopens at once"
    _later(breaker, 61)
    assert breaker.head_probe_due()
    breaker.reached()
    assert breaker.allows()
    breaker.no_probe()  # the trial message asked to wait (a 429) or was skipped: the next one is the trial
    assert breaker.allows() and not breaker.succeeded(), "closed already: nothing to bring forward again"
    assert breaker.state == "closed" and not breaker.trial() and breaker.allows() and breaker.allows()
    assert breaker.trips == 0


def test_retry_after_is_read_in_seconds_or_as_an_http_date() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
    assert retry_after("120", now) == 120.0
    assert retry_after(" 7 ", now) == 7.0
    assert retry_after("Mon, 07 Dec 2026 02:01:30 GMT", now) == 90.0
    assert retry_after("Mon, 07 Dec 2026 01:00:00 GMT", now) == 0.0  # already past: at once (bounded to 1 s after)
    assert retry_after("soon", now) is None and retry_after("", now) is None and retry_after(None, now) is None
    assert retry_after("-5", now) is None
    # bad input: none of these is a time to wait; the ordinary backoff applies
    for bad in (
        "1.5",
        "\u00b2",
        "\u0663",
        "120 s",
        "120, 60",
        "Mon, 32 Dec 2026 02:00:00 GMT",
        "Mon, 07 Dec 99999 02:00:00 GMT",
        "Mon, 07 Dec 2026 25:00:00 GMT",
        "   ",
    ):
        assert retry_after(bad, now) is None, bad
    assert retry_after("9" * 400, now) == float("inf")  # bounded to 10 minutes where it is used (Deliverer._asked)


def test_a_probe_that_reaches_the_server_closes_the_breaker_but_keeps_the_doubling() -> None:
    """An outside review: a probe's answer reset the doubling, so a gateway that answers the probe and fails every
    message was paused for the first pause over and over. Only a message that goes through resets it."""
    breaker = Breaker(failures=1, pause=0.02)
    assert breaker.failed() and breaker.trips == 1
    time.sleep(0.03)
    assert breaker.allows()  # the probe
    breaker.reached()
    assert breaker.state == "closed" and breaker.trips == 1 and breaker.allows()
    assert breaker.failed() and breaker.trips == 2, "paused again, for twice as long"
    assert breaker.open_until - time.monotonic() > 0.03
    time.sleep(0.05)
    assert breaker.allows()
    breaker.succeeded()
    assert breaker.state == "closed" and breaker.trips == 0


@pytest.mark.parametrize(
    ("status", "up"),
    [(200, True), (204, True), (301, True), (401, True), (403, True), (404, True), (405, True), (429, True),
     (501, True), (500, False), (502, False), (503, False), (504, False), (520, False), (599, False)],
)  # fmt: skip
def test_the_probe_counts_an_answer_of_the_gateway_s_own_server_only(status: int, up: bool) -> None:
    """A 5xx is the gateway failing, or the proxy in front of it saying it is down; 501 is a live server that does
    not do HEAD; below 500, a live server answered (a HEAD without the gateway's headers and body is refused)."""
    assert gateway_up(status) is up


def test_an_error_kept_or_shown_never_holds_a_number() -> None:
    said = scrub("HTTP 400: invalid target 6281234567890 (+62 812-3456-7890)\n\n  retry later")
    assert "81234567890" not in said and "812-3456-7890" not in said and "\n" not in said
    assert said.startswith("HTTP 400: invalid target")
    assert scrub("ConnectError: 127.0.0.1:41749 refused") == "ConnectError: 127.0.0.1:41749 refused"
    assert len(scrub("x" * 1000)) == 300


def test_the_gateway_body_fills_each_string_once() -> None:
    gateway = Gateway(
        "https://gw", (), {"to": "{phone_local}", "msg": {"body": "{text}"}, "refs": ["{message_id}"], "n": 1}
    )
    body = render(gateway, "6281234567890", 'He said "{phone}" & {text}', "m1")
    assert body == {"to": "081234567890", "msg": {"body": 'He said "{phone}" & {text}'}, "refs": ["m1"], "n": 1}


@pytest.mark.parametrize(
    "typed",
    ["081234567890", "0812-3456-7890", "+62 812 3456 7890", "6281234567890",
     # an outside review: the trunk 0 after the country code and an en dash between groups were refused
     "+62 (0)812 3456 7890", "+620812-3456-7890", "620812 3456 7890", "0812\u20133456\u20137890",
     "+62 812\u20143456 7890"],
)  # fmt: skip
def test_numbers_are_taken_as_gateways_want_them(typed: str) -> None:
    assert normalise_phone(typed) == "6281234567890"
    assert mask_phone(typed) == "0812*****890"


@pytest.mark.parametrize(
    "typed",
    ["", "12345", "0212345678", "08123", "0812345678901234", "62 21 555 1234", "+62 (0)21 555 1234", "+6200812345678"],
)
def test_a_number_that_is_not_an_indonesian_mobile_is_refused(typed: str) -> None:
    with pytest.raises(Refusal) as refused:
        normalise_phone(typed)
    assert refused.value.key == "invalid_phone"


def test_a_counter_is_named_with_its_floor_only_in_a_mall_of_several_floors() -> None:
    """ "Silakan menuju Loket 5, Lantai 2" (the message and the phone page) where the counters are on more than one
    floor, as the lobby TV names it; "Loket 1" alone in a mall of one floor, or whose counters name none."""
    site = make_site()
    assert (site.counter_place("1"), site.counter_zone("1")) == ("Loket 1", None)
    one_floor = replace(site, counters={k: replace(c, zone="Lantai 1") for k, c in site.counters.items()})
    assert (one_floor.counter_place("1"), one_floor.counter_zone("1")) == ("Loket 1", None)
    two = replace(one_floor, counters={**one_floor.counters, "5": replace(one_floor.counters["5"], zone="Lantai 2")})
    assert (two.counter_place("5"), two.counter_zone("5")) == ("Loket 5, Lantai 2", "Lantai 2")
    assert two.counter_place("1") == "Loket 1, Lantai 1"
    assert two.counter_place("99") == "" and two.counter_zone(None) is None


async def test_a_message_that_cannot_be_built_is_kept_as_failed_and_holds_nothing_up() -> None:
    from datetime import UTC, datetime

    from queue_server.outbound.deliverer import Deliverer
    from queue_server.persistence.outbox import Pending

    class Store:
        storage = None

        async def contact(self, ref: str) -> tuple[str, str]:
            raise KeyError(ref)  # a bug, say

    now = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
    from dataclasses import replace

    from queue_server.domain.catalogue import Gateway, NotifyPolicy
    from queue_server.settings.sitefile import DEMO_SITE, load_site

    site = load_site(DEMO_SITE)
    site = replace(
        site, notify=NotifyPolicy(Gateway("http://127.0.0.1:9/", (), {"t": "{text}", "p": "{phone}"}), "http://x")
    )
    deliverer = Deliverer(Store(), None, {site.id: site}, dict, lambda: now)  # type: ignore[arg-type]
    message = Pending(1, "m1", site.id, "gateway", "ticket_issued", "t:x", "t:abc", '{"ticket": "A-001"}', 0, now)
    attempt = await deliverer._deliver(message)  # noqa: SLF001
    assert attempt.outcome == "dead" and attempt.error == "could not be built: KeyError"


async def test_a_message_about_a_ticket_not_known_here_is_judged_again_once_caught_up_and_waits_if_it_cannot_be() -> (
    None
):
    """On shared storage a message may be read before this process has followed the event that wrote it: before it
    is skipped as no longer true, the state is caught up and the message judged again; a catch-up that fails keeps
    the message for a later try (the database away is no reason to give it up)."""
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from queue_server.domain.catalogue import NotifyPolicy
    from queue_server.outbound.deliverer import Deliverer
    from queue_server.persistence.outbox import Pending
    from queue_server.settings.sitefile import DEMO_SITE, load_site

    class Store:
        async def contact(self, ref: str) -> None:
            return None  # the number deleted: what is asked once the message is judged worth sending

    now = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
    site = load_site(DEMO_SITE)
    site = replace(site, notify=NotifyPolicy(Gateway("http://127.0.0.1:9/", (), {"t": "{text}"}), "http://x"))
    state = SimpleNamespace(tickets={})  # as a process behind the others knows the site: without the ticket

    async def away(site_id: str) -> None:
        raise ConnectionError("the database is away")

    async def follows(site_id: str) -> None:
        state.tickets["t1"] = SimpleNamespace(state=TicketState.WAITING)

    message = Pending(1, "m1", site.id, "gateway", "ticket_issued", "t:x", "c1", '{"ticket_id": "t1"}', 0, now)
    deliverer = Deliverer(Store(), None, {site.id: site}, lambda: {site.id: state}, lambda: now,  # type: ignore[arg-type]
                          catch_up=away)  # fmt: skip
    attempt = await deliverer._deliver(message)  # noqa: SLF001
    assert (attempt.outcome, attempt.problem and attempt.problem["kind"]) == ("retry", "internal"), attempt
    assert attempt.retry_at is not None and "ConnectionError" in (attempt.error or "")
    assert not deliverer.breaker("gateway:tegal").probing
    deliverer.catch_up = follows
    attempt = await deliverer._deliver(message)  # noqa: SLF001
    assert (attempt.outcome, attempt.error) == ("skipped", "the number was deleted (its day is over)"), attempt
    deliverer.catch_up = None  # one storage, one process: the state is the newest there is
    state.tickets.clear()
    attempt = await deliverer._deliver(message)  # noqa: SLF001
    assert (attempt.outcome, attempt.error) == ("skipped", "no longer true: the ticket is over"), attempt


async def test_a_message_whose_catch_up_or_sending_keeps_failing_is_dead_after_its_tries_not_tried_for_ever() -> None:
    """A try lost to a catch-up that fails (the newest state cannot be read) or to a bug while sending counts as a
    try, with the usual backoff: before, each was tried again 5 s later whatever its count, so a message whose
    catch-up kept failing (or whose sending kept raising) was tried every 5 s for ever and never became a dead
    letter a supervisor sees and may resend."""
    from datetime import UTC, datetime, timedelta
    from types import SimpleNamespace

    from queue_server.domain.catalogue import NotifyPolicy
    from queue_server.outbound.deliverer import Deliverer, DeliverySettings
    from queue_server.persistence.outbox import Pending
    from queue_server.settings.sitefile import DEMO_SITE, load_site

    now = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
    site = load_site(DEMO_SITE)
    site = replace(site, notify=NotifyPolicy(Gateway("http://127.0.0.1:9/", (), {"t": "{text}"}), "http://x"))
    state = SimpleNamespace(tickets={})  # the ticket not known here, and the catch-up never gets it

    async def away(site_id: str) -> None:
        raise ConnectionError("the database is away")

    settings = DeliverySettings(retry_base=5.0, retry_cap=600.0, max_attempts=4)
    deliverer = Deliverer(None, None, {site.id: site}, lambda: {site.id: state}, lambda: now, settings,  # type: ignore[arg-type]
                          catch_up=away)  # fmt: skip

    def message(attempts: int) -> Pending:
        return Pending(1, "m1", site.id, "gateway", "ticket_issued", "t:x", "c1", '{"ticket_id": "t1"}', attempts, now)

    for attempts in range(3):
        attempt = await deliverer._deliver(message(attempts))  # noqa: SLF001
        assert attempt.outcome == "retry" and attempt.retry_at is not None, attempt
        wait = (attempt.retry_at - now).total_seconds()
        assert 5.0 * 2**attempts / 2 <= wait <= 5.0 * 2**attempts, (attempts, wait)  # the backoff grows
    attempt = await deliverer._deliver(message(3))  # noqa: SLF001 - the fourth try of four
    assert (attempt.outcome, attempt.problem and attempt.problem["kind"]) == ("dead", "internal"), attempt
    assert "the newest state could not be read (ConnectionError)" in (attempt.error or "")
    assert not deliverer.breaker("gateway:tegal").opened  # the endpoint failed nothing

    async def bug(message: Pending, read: int | None = None) -> None:
        raise RuntimeError("a bug")

    deliverer._deliver = bug  # type: ignore[method-assign,assignment]  # noqa: SLF001
    await deliverer._send(message(1))  # noqa: SLF001
    await deliverer._send(message(3))  # noqa: SLF001
    retried, dead = deliverer._finished  # noqa: SLF001
    assert (
        retried.outcome == "retry" and retried.retry_at is not None and retried.retry_at - now >= timedelta(seconds=5)
    )
    assert (dead.outcome, dead.error) == ("dead", "failed: RuntimeError"), dead


async def test_a_round_of_messages_about_tickets_not_known_here_catches_up_once_per_site() -> None:
    """Before a message is skipped as no longer true, the state is caught up (shared storage): once per site for a
    round's messages, not once per message (each a read of everything the other processes committed). A catch-up
    begun after a round read its messages serves them all, even those judged after it ended; the next round's
    messages, read after it began, get one of their own."""
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from queue_server.domain.catalogue import NotifyPolicy
    from queue_server.outbound.deliverer import Deliverer
    from queue_server.persistence.outbox import Attempt, Pending
    from queue_server.settings.sitefile import DEMO_SITE, load_site

    now = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
    base = load_site(DEMO_SITE)
    sites = {name: replace(base, id=name, notify=NotifyPolicy(Gateway("http://127.0.0.1:9/", (), {"t": "{text}"}),
                                                              "http://x"))
             for name in ("tegal", "brebes")}  # fmt: skip
    states = {name: SimpleNamespace(tickets={}) for name in sites}  # as a process behind the others knows them
    committed: dict[str, list[str]] = {name: [] for name in sites}  # ticket ids, as the other processes wrote them

    class Store:
        def __init__(self) -> None:
            self.due_next: list[Pending] = []
            self.recorded: list[Attempt] = []

        async def endpoints(self) -> list[object]:
            return []

        async def due(self, *args: object, **kwargs: object) -> list[Pending]:
            found, self.due_next = self.due_next, []
            return found

        async def record(self, attempts: list[Attempt]) -> None:
            self.recorded.extend(attempts)

        async def contact(self, ref: str) -> None:
            return None  # the number deleted: what is asked once a message is judged worth sending

    caught_up: list[str] = []

    async def catch_up(site_id: str) -> None:
        caught_up.append(site_id)
        await asyncio.sleep(0.01)  # the round's other messages are judged meanwhile, and wait for this one
        for ticket_id in committed[site_id]:
            states[site_id].tickets[ticket_id] = SimpleNamespace(state=TicketState.WAITING)

    store = Store()
    deliverer = Deliverer(store, None, sites, lambda: states, lambda: now, catch_up=catch_up)  # type: ignore[arg-type]

    def written(n: int, site: str) -> Pending:
        committed[site].append(f"t{n}")
        return Pending(n, f"m{n}", site, "gateway", "ticket_issued", f"t:{n}", f"c{n}", f'{{"ticket_id": "t{n}"}}', 0,
                       now)  # fmt: skip

    async def one_round(messages: list[Pending]) -> None:
        store.due_next = messages
        await deliverer.round()
        await asyncio.gather(*deliverer._sending)  # noqa: SLF001 - the round's sends, done
        await deliverer.round()  # their outcomes recorded

    await one_round([written(n, "tegal") for n in range(1, 7)] + [written(n, "brebes") for n in range(7, 9)])
    assert sorted(caught_up) == ["brebes", "tegal"], caught_up
    assert [(a.outcome, a.error) for a in store.recorded] == [
        ("skipped", "the number was deleted (its day is over)")
    ] * 8
    await one_round([written(n, "tegal") for n in range(9, 12)])
    assert sorted(caught_up) == ["brebes", "tegal", "tegal"], caught_up
    assert len(store.recorded) == 11 and {a.error for a in store.recorded} == {
        "the number was deleted (its day is over)"
    }


async def test_each_site_s_gateway_has_a_breaker_of_its_own() -> None:
    """One server hosts many malls, each with its own gateway: five failures of one mall's gateway pause its
    messages (and withdraw its pages' offer), not another mall's."""
    from datetime import UTC, datetime

    from queue_server.domain.catalogue import NotifyPolicy
    from queue_server.outbound.deliverer import Deliverer
    from queue_server.persistence.outbox import Pending
    from queue_server.settings.sitefile import DEMO_SITE, load_site

    now = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
    base = load_site(DEMO_SITE)
    sites = {
        name: replace(base, id=name, notify=NotifyPolicy(Gateway(f"http://{name}.invalid/send", (), {}), "http://x"))
        for name in ("tegal", "brebes")
    }
    deliverer = Deliverer(None, None, sites, dict, lambda: now)  # type: ignore[arg-type]

    def message(site: str, endpoint: str = "gateway") -> Pending:
        return Pending(1, "m", site, endpoint, "ticket_issued", "t:x", None, "{}", 0, now)

    assert deliverer.paused_gateways() == frozenset()
    for _ in range(5):
        deliverer._breaker_of(message("tegal")).failed()  # noqa: SLF001
    deliverer._breaker_of(message("brebes", "wh_1")).failed()  # noqa: SLF001 - a webhook: not a gateway
    assert deliverer.paused_gateways() == frozenset({"tegal"})
    assert not deliverer._breaker_of(message("tegal")).allows()  # noqa: SLF001
    assert deliverer._breaker_of(message("brebes")).allows()  # noqa: SLF001


async def test_a_process_taking_the_outbox_goes_by_the_last_holder_s_breakers_not_its_own_memory() -> None:
    """On shared storage the breakers of a process taking the outbox are those another holder said a moment ago:
    each it had opened is open here, its pause over (probed at once); any other closed, whatever this process opened
    before it lost the outbox. The last word its own (the outbox lost a moment ago, nobody else said anything since),
    its breakers are kept. A word older than BREAKERS_FRESH is void. On SQLite (one process) they are kept."""
    from datetime import UTC, datetime, timedelta
    from types import SimpleNamespace

    from queue_server.outbound.deliverer import BREAKERS_FRESH, Deliverer
    from queue_server.persistence.outbox import BreakersSaid

    said_at, said_by = datetime.now(UTC), "another process"

    class Store:  # a word without the breakers' state (an earlier release's): each said open is probed at once
        storage = SimpleNamespace(shared=True)

        async def breakers_said(self) -> BreakersSaid:
            return BreakersSaid({"gateway:tegal": "open", "wh_1": "half_open"}, said_at, said_by, {})

    deliverer = Deliverer(Store(), None, {}, dict, lambda: said_at)  # type: ignore[arg-type]
    for _ in range(9):  # opened here long ago, and failing on: its pause grown, four failures counted since
        deliverer.breaker("wh_2").failed()
    deliverer.breaker("gateway:brebes").failed()
    await deliverer._take_breakers()  # noqa: SLF001
    assert deliverer.opened() == {"gateway:tegal": "half_open", "wh_1": "half_open"}
    assert deliverer.paused_gateways() == frozenset({"tegal"})  # the pages go on not offering messages
    assert deliverer.breaker("gateway:tegal").head_probe_due()  # probed at once, by a HEAD
    assert deliverer.breaker("wh_1").allows() and not deliverer.breaker("wh_1").allows()  # one message probes it
    assert deliverer.breaker("wh_2").failures == 0 and deliverer.breaker("gateway:brebes").failures == 0
    deliverer.breaker("wh_1").failed()  # its probe fails: paused twice the first pause
    assert deliverer.breaker("wh_1").open_until - time.monotonic() > 1.5 * deliverer.settings.breaker_seconds

    said_by = deliverer.me  # its own word, a moment ago: what it knows now is newer
    kept = deliverer.breaker("wh_1")
    await deliverer._take_breakers()  # noqa: SLF001
    assert deliverer.breaker("wh_1") is kept and deliverer.opened() == {"gateway:tegal": "half_open", "wh_1": "open"}

    said_at = datetime.now(UTC) - BREAKERS_FRESH - timedelta(seconds=1)  # its own word, long ago: void
    await deliverer._take_breakers()  # noqa: SLF001
    assert deliverer.opened() == {}

    Store.storage = SimpleNamespace(shared=False)  # SQLite: this process alone tries the endpoints
    for _ in range(5):
        deliverer.breaker("wh_2").failed()
    await deliverer._take_breakers()  # noqa: SLF001
    assert deliverer.opened() == {"wh_2": "open"}


def test_a_breaker_handed_over_goes_on_where_it_was_its_trips_pause_and_trial() -> None:
    """A breaker's whole state, as the delivering process says it (`said`, times on the machine's clock), taken by
    the next one (`adopt`): tripped four times, paused 4 s of which some is left, it stays open until then, and a
    failed probe pauses it twice as long (8 s), not the first pause again. A breaker on trial stays on trial; a pause
    said longer than this process would ever pause (another machine's clock ahead) is cut to that; a word that
    cannot be read is refused, the breaker unchanged."""
    from datetime import UTC, datetime, timedelta

    old = Breaker(failures=1, pause=0.5)
    old.failed()
    for _ in range(3):  # each pause cut short, its probe failing
        old.open_until = 0.0
        assert old.allows() and old.failed()
    now = datetime.now(UTC)
    said = old.said(now)
    assert (said["opened"], said["trips"], said["pause"]) == (True, 4, 4.0)
    assert now < datetime.fromisoformat(said["until"]) <= now + timedelta(seconds=4)

    new = Breaker(failures=1, pause=0.5)
    assert new.adopt(said, now, 300.0)
    assert new.state == "open" and new.trips == 4 and not new.allows()
    assert 0 < new.open_until - time.monotonic() <= 4.0
    new.open_until = 0.0  # its pause over: the probe goes, and fails
    assert new.allows() and new.failed()
    assert new.trips == 5 and new.paused_for == 8.0 and new.open_until - time.monotonic() > 4.0

    on_trial = Breaker(failures=1, pause=0.5)
    on_trial.failed()
    on_trial.reached()
    taken = Breaker(failures=1, pause=0.5)
    assert taken.adopt(on_trial.said(now), now, 300.0)
    assert taken.state == "closed" and taken.on_trial and taken.trips == 1
    assert taken.allows() and not taken.allows()  # one message at a time

    far = {**said, "pause": 10_000.0, "until": (now + timedelta(days=1)).isoformat()}
    assert new.adopt(far, now, 300.0) and new.open_until - time.monotonic() <= 300.0
    for bad in ({}, {**said, "trips": "many"}, {**said, "until": "soon"}, {**said, "until": "2026-12-07T10:00:00"}):
        before = new.memory()
        assert not new.adopt(bad, now, 300.0) and new.memory() == before, bad


def test_a_gateway_s_key_is_filled_in_only_to_send_and_put_back_in_any_error() -> None:
    from queue_server.outbound.gateway import address, hidden

    gw = Gateway("https://gw.example.id/send?key=${GW_KEY}", (), {"k": "${GW_KEY}", "t": "{text}", "p": "{phone}"},
                 (("GW_KEY", "a&b+c"),))  # fmt: skip
    assert address(gw) == "https://gw.example.id/send?key=a%26b%2Bc"
    assert render(gw, "6281234567890", "${GW_KEY} {phone}", "m1") == {
        "k": "a&b+c", "t": "${GW_KEY} {phone}", "p": "6281234567890"}  # fmt: skip
    error = "InvalidURL: https://gw.example.id/send?key=a%26b%2Bc (a&b+c)"
    assert hidden(gw, error) == "InvalidURL: https://gw.example.id/send?key=${GW_KEY} (${GW_KEY})"


def test_the_documented_messages_say_what_the_templates_say() -> None:
    """docs/notifications.md's examples of citizens' messages: every word of theirs (a value such as a date, a code
    or a counter aside) is in the Indonesian template of their kind ("booking BK-..." where the message says
    "pemesanan")."""
    import re
    import tomllib
    from pathlib import Path

    root = Path(__file__).parent.parent
    templates = tomllib.loads((root / "queue_server/common/messages.toml").read_text())["message"]
    docs = (root / "docs/notifications.md").read_text()
    rows = re.findall(r'^\| `(\w+)` \| [^\n]*?\| "([^"\n]+)"', docs, re.M)
    assert {kind for kind, _ in rows} == set(templates), rows
    values = {"perekaman", "ktp", "el", "surat", "keterangan", "catatan", "kepolisian", "skck", "hari", "libur",
              "gangguan", "listrik"}  # fmt: skip
    from queue_server.common import messages

    window = messages.text(
        "message", "booking_reminder_hour", "id", {"slot": "10:00", "window": {"from": "09:30", "until": "10:15"}}
    )
    for kind, example in rows:
        words = set(re.findall(r"[a-z]+", templates[kind]["id"].lower()))
        if "checkin_window" in templates[kind]["id"]:  # said by its format: "antara pukul 09.30 dan 10.15"
            words |= set(re.findall(r"[a-z]+", window.lower()))
        said = [w for w in re.findall(r"\b[a-z]+\b", re.sub(r"https?://\S+", "", example)) if w not in values]
        assert all(w in words for w in said), (kind, [w for w in said if w not in words])
