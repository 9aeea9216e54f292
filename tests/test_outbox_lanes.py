"""Messages out with one slow, hanging or rate-limiting receiver (an outside review of citizens' messages): each
endpoint sends in a lane of its own, so a gateway taking 8 s per answer or a webhook that never answers holds back no
other endpoint's message ("giliran Anda" came 24 s after its call behind a delivery round that waited for the
slowest); a request has a deadline, so a hanging endpoint holds its own line for a bounded time; a 429's Retry-After
is honoured for its endpoint. Each ticket's messages stay in order and each goes once, on several processes too.
Real receivers on 127.0.0.1, a real server, both databases."""

from __future__ import annotations

import re
import time
from email.utils import formatdate
from pathlib import Path
from typing import Any

import pytest

from .helpers import eventually, running_server, ticking
from .receiver import Receiver, notify_server
from .test_outbox import FAST, add_webhook, deliveries
from .test_outbox_late import phone, texts

BOTH_DATABASES = True
HANGING = 600.0  # a receiver that answers after ten minutes: never, within a test


def types_per_ticket(hooks: Receiver) -> dict[str, list[str]]:
    order: dict[str, list[str]] = {}
    for body in hooks.bodies("/hook"):
        order.setdefault(body["ticket"]["id"], []).append(body["type"])
    return order


async def test_a_hanging_webhook_holds_back_no_citizen_s_message(
    database: Path | str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The webhook's first request is still unanswered (its deadline is a minute) when the citizen has had both
    "your number" and "your turn": the gateway's lane did not wait for it."""
    monkeypatch.setenv("TEST_GATEWAY_TOKEN", "x")
    with Receiver() as gateway, Receiver() as hooks:
        gateway.start()
        hooks.delay = HANGING
        hooks.start()
        async with notify_server(database, tmp_path, gateway, tick=False, outbox_timeout_seconds=60.0, **FAST) as s:
            hook = (await add_webhook(s, hooks.url + "/hook"))["endpoint"]["id"]
            ticket = (await s.issue("ktp", notify=phone(1)))["ticket"]
            await eventually(lambda: hooks.started_requests >= 1, "the webhook's request hangs", 30)
            op = await s.login("op-disdukcapil")
            assert (await s.command(op, "1", "open")).status_code == 200
            assert (await s.command(op, "1", "call_next")).json()["ticket"]["label"] == ticket["label"]
            called = f"nomor {ticket['label']}, giliran Anda sekarang"
            await eventually(
                lambda: any(called in t for t in texts(gateway)), "'your turn' while the webhook hangs", 50
            )
            status = (await deliveries(s))[hook]
            assert status["sent"] == 0 and status["retrying"] == 0 and status["pending"] >= 1, status
            sent = texts(gateway)
            assert "nomor antrean Anda" in sent[0] and called in sent[-1], sent


async def test_a_slow_gateway_holds_back_no_webhook_and_sends_each_ticket_s_messages_in_order_once(
    database: Path | str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A gateway slow to answer: the agency's webhook gets every ticket's events while the gateway has answered none;
    then, the gateway slow but answering, every citizen gets each message once, "your number" before "your turn"."""
    monkeypatch.setenv("TEST_GATEWAY_TOKEN", "x")
    with Receiver() as gateway, Receiver() as hooks:
        gateway.delay = 8.0
        gateway.start()
        hooks.start()
        async with notify_server(
            database, tmp_path, gateway, people_ahead=1, tick=False, outbox_timeout_seconds=60.0, **FAST
        ) as s:
            await add_webhook(s, hooks.url + "/hook", ["ticket.issued", "ticket.called"])
            tickets = [(await s.issue("ktp", notify=phone(n)))["ticket"] for n in range(3)]
            op = await s.login("op-disdukcapil")
            assert (await s.command(op, "1", "open")).status_code == 200
            assert (await s.command(op, "1", "call_next")).status_code == 200
            first = tickets[0]["id"]
            await eventually(lambda: types_per_ticket(hooks).get(first) == ["ticket.issued", "ticket.called"]
                             and len(types_per_ticket(hooks)) == 3, "the webhook's events", 30)  # fmt: skip
            assert not gateway.requests, "the gateway answered: not slow enough to tell"
            gateway.delay = 0.5
            called = f"nomor {tickets[0]['label']}, giliran Anda sekarang"
            await eventually(lambda: any(called in t for t in texts(gateway)), "'your turn' through the gateway", 90)
            for ticket in tickets:
                await eventually(lambda t=ticket: any(f"Anda {t['label']} " in m for m in texts(gateway)),
                                 f"{ticket['label']}'s number", 90)  # fmt: skip
    ids = [body["ref"] for body in gateway.bodies("/send")]
    assert len(ids) == len(set(ids)), "a message went twice"
    mine = [t for t in texts(gateway) if tickets[0]["label"] in t]
    assert "nomor antrean Anda" in mine[0] and called in mine[-1], mine


async def test_a_hanging_webhook_holds_its_own_line_only_until_its_deadline_then_gets_everything_once_in_order(
    database: Path | str,
) -> None:
    """A request not answered within outbox_timeout_seconds is a failed try ("no answer in time"): the endpoint's
    next messages are not held behind it for good. Once it answers, each message arrives once, in order per ticket."""
    with Receiver() as hooks:
        hooks.delay = HANGING
        hooks.start()
        async with running_server(database, outbox_timeout_seconds=1.0, **FAST) as s, ticking(s.clock):
            hook = (await add_webhook(s, hooks.url + "/hook", ["ticket.issued", "ticket.called"]))["endpoint"]["id"]
            issued = [(await s.issue("ktp"))["ticket"]["id"] for _ in range(3)]

            async def timed_out() -> bool:
                return (await deliveries(s))[hook]["last_error"] == "no answer in time"

            await eventually(timed_out, "a try ended by its deadline", 60, 0.1)
            hooks.delay = 0.0
            op = await s.login("op-disdukcapil")
            assert (await s.command(op, "1", "open")).status_code == 200
            assert (await s.command(op, "1", "call_next")).status_code == 200
            await eventually(lambda: types_per_ticket(hooks).get(issued[0]) == ["ticket.issued", "ticket.called"]
                             and all(t in types_per_ticket(hooks) for t in issued), "everything, once answered", 90)  # fmt: skip
    order = types_per_ticket(hooks)
    assert order == {issued[0]: ["ticket.issued", "ticket.called"], issued[1]: ["ticket.issued"],
                     issued[2]: ["ticket.issued"]}, order  # fmt: skip
    assert len({body["id"] for body in hooks.bodies()}) == len(hooks.bodies()), "a message went twice"


@pytest.mark.parametrize("form", ["seconds", "http-date"])
async def test_a_429_s_retry_after_is_honoured_for_its_endpoint_and_does_not_pause_the_offer(
    database: Path | str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, form: str
) -> None:
    """Before, a 429 was an ordinary failure: tried again after the backoff (0.1 to 0.2 s here), and five of them
    paused the gateway and withdrew the pages' offer. Now nothing goes to that gateway before the time it asked for
    (2 s; an HTTP date 3 s ahead, whole seconds), and the gateway stays offered: it is up, it limits how fast it is
    sent to."""
    monkeypatch.setenv("TEST_GATEWAY_TOKEN", "x")
    with Receiver() as gateway:
        gateway.status = 429
        gateway.start()
        async with notify_server(database, tmp_path, gateway, **FAST) as s:
            gateway.retry_after = "2" if form == "seconds" else lambda: formatdate(time.time() + 3, usegmt=True)
            for n in range(6):
                if n == 0:
                    await s.issue("ktp", notify=phone(2))
                await eventually(lambda n=n: len(gateway.refused) > n, f"refusal {n + 1}", 60, 0.05)
            gaps = [later - earlier for earlier, later in zip(gateway.refused, gateway.refused[1:], strict=False)]
            assert min(gaps) >= 1.95, gaps
            status = (await deliveries(s))["gateway"]
            assert status["breaker"] == "closed" and "HTTP 429" in status["last_error"], status
            assert "asked to wait" in status["last_error"], status
            assert status["error_kind"] == "rate_limited", status  # the seconds asked for, in words
            assert re.search(r"Penerima meminta menunggu [1-9]\d* detik\.$", status["error_words"]["id"]), status
            r = await s.http.get("/api/v1/sites/tegal/today", headers={"Authorization": "Bearer d_kiosk_demo_tegal"})
            assert r.json()["notify"]["available"] is True, r.text
            gateway.status = 200
            await eventually(lambda: any("nomor antrean Anda" in t for t in texts(gateway)), "sent once taken", 60)
            assert sum("nomor antrean Anda" in t for t in texts(gateway)) == 1


async def _offered(s: Any) -> bool:
    r = await s.http.get("/api/v1/sites/tegal/today", headers={"Authorization": "Bearer d_kiosk_demo_tegal"})
    assert r.status_code == 200, r.text
    return bool(r.json()["notify"]["available"])


@pytest.mark.parametrize("form", ["seconds", "http-date"])
async def test_a_503_s_retry_after_is_honoured_and_five_of_them_still_pause_the_gateway(
    database: Path | str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, form: str
) -> None:
    """Before, a 503's Retry-After was ignored: the message was tried again after the backoff (0.1 to 0.2 s here),
    whatever the gateway had said. Now nothing goes to it before the time it asked for (2 s; an HTTP date 3 s ahead,
    whole seconds), and the 503 is still a failure: the gateway says it cannot send, so five in a row pause it and
    the pages stop offering messages, as before; the first one does not (2 s is less than the breaker's pause)."""
    monkeypatch.setenv("TEST_GATEWAY_TOKEN", "x")
    with Receiver() as gateway:
        gateway.status = 503
        gateway.retry_after = "2" if form == "seconds" else lambda: formatdate(time.time() + 3, usegmt=True)
        gateway.start()
        settings = {**FAST, "outbox_breaker_seconds": 4.0}
        async with notify_server(database, tmp_path, gateway, **settings) as s:
            await s.issue("ktp", notify=phone(3))
            await eventually(lambda: gateway.refused, "the first refusal", 60, 0.05)

            async def recorded() -> bool:
                return "asked to wait" in ((await deliveries(s))["gateway"]["last_error"] or "")

            await eventually(recorded, "the refusal recorded, with the time asked for", 30, 0.05)
            assert (await deliveries(s))["gateway"]["breaker"] == "closed"
            assert await _offered(s), "one 503 does not withdraw the offer"
            await eventually(lambda: len(gateway.refused) >= 5, "five refusals", 90, 0.05)
            gaps = [later - earlier for earlier, later in zip(gateway.refused, gateway.refused[1:], strict=False)]
            assert min(gaps) >= 1.95, gaps

            async def paused() -> bool:
                return (await deliveries(s))["gateway"]["breaker"] != "closed"

            await eventually(paused, "five 503s in a row pause the gateway", 30, 0.05)
            assert not await _offered(s), "the pages no longer offer messages"
            gateway_status = (await deliveries(s))["gateway"]
            assert "HTTP 503" in gateway_status["last_error"] and gateway_status["error_kind"] == "receiver_error"
            gateway.status = 200
            await eventually(lambda: any("nomor antrean Anda" in t for t in texts(gateway)), "sent once back", 60)
            await eventually(lambda: _offered(s), "offered again", 30, 0.1)
    assert sum("nomor antrean Anda" in t for t in texts(gateway)) == 1


async def test_a_503_that_says_it_is_down_for_longer_than_a_pause_pauses_the_gateway_at_once(
    database: Path | str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A gateway that answers 503 with Retry-After: 5 says it is down for 5 s: counting five of them would take half a
    minute of offering messages it cannot send. The breaker (a first pause of 1 s here) opens at once, for the 5 s it
    asked, and nothing goes to the gateway before then, neither a message nor a probe."""
    monkeypatch.setenv("TEST_GATEWAY_TOKEN", "x")
    with Receiver() as gateway:
        gateway.status = 503
        gateway.retry_after = "5"
        gateway.start()
        async with notify_server(database, tmp_path, gateway, **{**FAST, "outbox_breaker_seconds": 1.0}) as s:
            await s.issue("ktp", notify=phone(4))
            await eventually(lambda: gateway.refused, "the first refusal", 60, 0.05)
            gateway.status = 200

            async def opened() -> bool:
                return (await deliveries(s))["gateway"]["breaker"] == "open"

            await eventually(opened, "the breaker opened by the one 503", 30, 0.05)
            assert not await _offered(s), "withdrawn by the one 503"
            await eventually(lambda: texts(gateway), "sent once the time asked for is over", 60, 0.05)
    assert len(gateway.refused) == 1 and len(texts(gateway)) == 1
    assert gateway.requests[0].at - gateway.refused[0] >= 4.95
    assert not [h for h in gateway.heads if h.at - gateway.refused[0] < 4.95], "not even a probe before then"


async def test_a_503_whose_retry_after_cannot_be_read_is_an_ordinary_failure(
    database: Path | str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bad input from a receiver: "soon", a fraction, a date that is none. The usual backoff applies, and five
    failures pause the endpoint as any five would; the error says nothing was asked."""
    with Receiver() as hooks:
        hooks.status = 503
        hooks.start()
        async with running_server(database, **FAST) as s, ticking(s.clock):
            hook = (await add_webhook(s, hooks.url + "/hook"))["endpoint"]["id"]
            for n, value in enumerate(["soon", "1.5", "Mon, 32 Dec 2026 02:00:00 GMT", "-5", "\u00b2"]):
                hooks.retry_after = value
                if n == 0:
                    await s.issue("ktp")
                await eventually(lambda n=n: len(hooks.refused) > n, f"refusal {n + 1} ({value})", 60, 0.01)

            async def paused() -> bool:
                return (await deliveries(s))[hook]["breaker"] != "closed"

            await eventually(paused, "five failures pause it", 30, 0.05)
            status = (await deliveries(s))[hook]
            assert status["last_error"] == "HTTP 503 Service Unavailable", status


async def test_two_processes_on_postgresql_with_a_slow_receiver_send_each_message_once_in_order(
    pg_cluster: str,
) -> None:
    """Deliveries no longer wait for each other, and the outbox is still one process's at a time: every event of
    every ticket, whichever process wrote it, reaches a slow receiver once, in order per ticket."""
    from .pg_support import new_database

    database = await new_database(pg_cluster)
    with Receiver() as hooks:
        hooks.delay = 0.3
        hooks.start()
        async with running_server(database, **FAST) as a, ticking(a.clock):
            async with running_server(database, clock=a.clock, **FAST) as b:
                await add_webhook(a, hooks.url + "/hook", ["ticket.issued", "ticket.called"])
                await eventually(lambda: "tegal" in b.ctx.notifications.subscriptions.by_site, "b knows it", 30)
                issued = [(await s.issue("kk"))["ticket"]["id"] for s in (a, b) * 4]
                for s, counter in ((a, "3"), (b, "4")):
                    op = await s.login("op-disdukcapil")
                    assert (await s.command(op, counter, "open")).status_code == 200
                    assert (await s.command(op, counter, "call_next")).status_code == 200
                await eventually(lambda: sum(map(len, types_per_ticket(hooks).values())) >= len(issued) + 2,
                                 "every event delivered", 60)  # fmt: skip
                assert sum(s.ctx.notifications.deliverer.delivering for s in (a, b)) == 1
    order = types_per_ticket(hooks)
    assert set(order) == set(issued)
    assert sorted(order.values()) == sorted([["ticket.issued", "ticket.called"]] * 2 + [["ticket.issued"]] * 6), order
    assert len({body["id"] for body in hooks.bodies()}) == len(hooks.bodies()), "a message went twice"
