"""Messages are offered only while they can be sent: while a site's WhatsApp/SMS gateway is out of reach (a mobile
unit's box without internet), its circuit breaker pauses it, and the kiosk, the desk, the phone page and the booking
page stop offering to take a number until a probe reaches the gateway again. A real gateway (tests/receiver.py) that
is down, then up; on both databases, and across two processes of one PostgreSQL database, where only the process
that delivers has tried the gateway."""

from __future__ import annotations

import asyncio
import json
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from queue_server.application import notifications as notifications_module
from queue_server.outbound.deliverer import gateway_breaker
from queue_server.persistence.port import utc_iso

from .helpers import KIOSK, Server, bearer, eventually, running_server, ticking
from .pg_support import new_database
from .receiver import Receiver, notify_server, notify_site
from .test_citizen_support import bounded, chromium, kiosk_page, open_page, shot, text, until
from .test_outbox import FAST, PHONE, add_webhook, deliveries

BOTH_DATABASES = True
# A message that fails once is dead at once: nothing is left to probe the gateway with but the HEAD of an idle probe.
DEAD_AT_ONCE = {**FAST, "outbox_max_attempts": 1}


async def offered(http: httpx.AsyncClient) -> dict[str, Any]:
    r = await http.get("/api/v1/sites/tegal/today")
    assert r.status_code == 200, r.text
    return r.json()["notify"]  # type: ignore[no-any-return]


async def trip(s: Server) -> str:
    """Five numbers left while the gateway is down: five failures in a row open its breaker. Returns a ticket's
    token."""
    token = ""
    for _ in range(5):
        r = await s.http.post("/api/v1/sites/tegal/tickets", headers=bearer(KIOSK),
                              json={"service": "ktp", "notify": {"phone": PHONE, "consent": True}})  # fmt: skip
        assert r.status_code == 201, r.text
        token = r.json()["ticket"]["token"]
    return token


async def trip_the_deliverer(processes: list[Server], *keys: str) -> Server:
    """Five numbers left at a process that does not deliver (its messages go through the outbox), and five more
    whenever the outbox changes hands, until the process that delivers has opened the breakers `keys`; returns it.
    Breakers are each process's own: on a busy machine the outbox may move to another process (the holder's lock
    connection slow to answer), whose breakers start closed, and with one try a message the failures meant to trip
    them were spent before it held the outbox."""
    tripped_for: tuple[int, int] | None = None  # the deliverer, and its hold of the outbox, tripped for
    sender: Server | None = None

    async def opened() -> bool:
        nonlocal tripped_for, sender
        senders = [p for p in processes if p.ctx.notifications.deliverer.delivering]
        if len(senders) != 1:
            return False
        sender, deliverer = senders[0], senders[0].ctx.notifications.deliverer
        if set(keys) <= set(deliverer.opened()):
            return True
        if tripped_for != (id(deliverer), deliverer.taken):
            tripped_for = (id(deliverer), deliverer.taken)
            await trip(next(p for p in processes if p is not sender))
        return False

    await eventually(opened, f"the process that delivers opened {', '.join(keys)}", seconds=60, every=0.1)
    assert sender is not None
    return sender


async def test_the_offer_goes_while_the_gateway_is_out_of_reach_and_comes_back_with_it(
    database: Path | str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_GATEWAY_TOKEN", "gw-token-123")
    with Receiver() as gateway:  # not started: nothing listens at its address
        async with notify_server(database, tmp_path, gateway, **DEAD_AT_ONCE) as s:
            assert await offered(s.http) == {"offered": True, "available": True}
            token = await trip(s)

            async def paused() -> bool:
                return (await offered(s.http))["available"] is False

            await eventually(paused, "the offer withdrawn once the gateway's breaker opened", seconds=30, every=0.1)
            assert (await deliveries(s))["gateway"]["breaker"] in ("open", "half_open")
            catalogue = (await s.http.get("/api/v1/sites/tegal")).json()
            assert catalogue["notify"] == {"offered": True, "available": False, "people_ahead": 2}
            status = (await s.http.get(f"/api/v1/tickets/{token}")).json()
            assert status["messages"] == {"offered": True, "available": False, "on": True}
            assert gateway.heads == [], "nothing answered a probe yet"

            # Back on the internet: every message is dead (nothing is due to probe with), so a bare HEAD probes it.
            gateway.start()

            async def back() -> bool:
                return (await offered(s.http))["available"] is True

            await eventually(back, "the offer back once a probe reached the gateway", seconds=40, every=0.1)
            assert (await deliveries(s))["gateway"]["breaker"] == "closed"
            probe = gateway.heads[0]
            assert probe.path == "/send" and probe.body == b""
            assert "Authorization" not in probe.headers, "a probe carries none of the gateway's headers"
            assert gateway.requests == [], "and no message: nothing was sent to anyone"


async def test_a_gateway_answering_5xx_stays_paused_and_one_refusing_the_head_is_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An outside review: the probe took any answer, 502 included, as "reachable again", so behind a proxy during an
    outage the offer came back at every pause while nothing could be sent. A real gateway whose messages fail (500):
    while its probe is answered 502, 503, 504 or 500 the offer stays withdrawn; once its own server answers (405: a
    HEAD without its headers and body refused), the offer is back, and the pauses keep doubling until a message
    goes through."""
    monkeypatch.setenv("TEST_GATEWAY_TOKEN", "gw-token-123")
    with Receiver() as gateway:
        gateway.status, gateway.head_status = 500, 502
        gateway.start()
        async with notify_server(tmp_path / "q.sqlite3", tmp_path, gateway, **DEAD_AT_ONCE) as s:
            await trip(s)
            await eventually(lambda: _paused(s), "the offer withdrawn after five failures", seconds=30, every=0.1)
            breaker = s.ctx.notifications.deliverer.breaker(gateway_breaker("tegal"))
            for status in (502, 503, 504, 500):  # the pause doubles each time: 0.5, 1, 2, 4 s
                gateway.head_status = status
                seen = len(gateway.heads)
                while len(gateway.heads) == seen:
                    assert await _paused(s), f"the offer came back on a probe answered {gateway.head_status}"
                    await asyncio.sleep(0.1)
                await asyncio.sleep(0.3)  # the probe's answer counted
                assert await _paused(s), f"the offer came back on a probe answered {status}"
                assert (await deliveries(s))["gateway"]["breaker"] in ("open", "half_open")
            # The five failed messages tripped it once; each probe since (a probe may already have gone before the
            # loop began, answered 502 too) was answered 5xx and tripped it again: the pause doubled each time.
            await eventually(lambda: breaker.trips == 1 + len(gateway.heads), "each 5xx answer a failed probe", 30)
            assert len(gateway.heads) >= 4
            assert gateway.requests == [], "no message went through"

            tripped = breaker.trips
            gateway.head_status = 405  # the gateway's own server answers again (its messages still fail)
            await eventually(lambda: _available(s), "the offer back once the server itself answered", seconds=30,
                             every=0.1)  # fmt: skip
            assert (await deliveries(s))["gateway"]["breaker"] == "closed"
            assert breaker.trips == tripped, "no message has gone through: the next pause is twice as long again"


@bounded(150)
async def test_the_kiosk_the_desk_the_phone_and_the_booking_page_stop_offering_while_the_gateway_is_paused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_GATEWAY_TOKEN", "gw-token-123")
    with Receiver() as gateway:
        site = notify_site(tmp_path, gateway)
        async with (
            running_server(tmp_path / "q.sqlite3", site_files=[site], **DEAD_AT_ONCE) as s,
            ticking(s.clock),
            chromium() as browser,
            kiosk_page(browser, s) as kiosk,
        ):
            await until(kiosk, "() => document.body.dataset.current")  # the kiosk has shown its own first screen
            await kiosk.click(".k-agency[data-agency='disdukcapil']")
            await kiosk.click(".k-service[data-service='ktp']")
            await kiosk.click("#priority-none")
            await until(kiosk, "() => window.__kiosk.screen === 'ticket'")
            assert await kiosk.is_visible("#notify-open") and await kiosk.is_hidden("#t-notify-off")

            await trip(s)
            await eventually(lambda: _paused(s), "the gateway paused", seconds=30, every=0.1)
            await kiosk.wait_for_timeout(2100)  # the kiosk's reads are at least 2 s apart
            await kiosk.evaluate("() => window.__kiosk.checkDay()")  # its next read (every 15 s) says so
            await until(kiosk, "() => document.getElementById('notify-open').hidden")
            assert await text(kiosk, "#t-notify-off") == "Pemberitahuan lewat WhatsApp/SMS sedang tidak tersedia."
            path = tmp_path / "kiosk-ticket-notify-unavailable.png"
            await kiosk.screenshot(path=path)
            shot(path)

            other = await s.issue("ktp")
            async with open_page(
                browser, f"{s.url}/t/{other['ticket']['token']}", size=(390, 844), mobile=True
            ) as phone:
                assert await phone.is_hidden("#notify")
                assert await text(phone, "#notify-off") == "Pemberitahuan lewat WhatsApp/SMS sedang tidak tersedia."
            async with open_page(browser, f"{s.url}/desk/tegal", size=(1366, 768)) as desk:
                await until(desk, "() => document.getElementById('notify-fields').hidden")
                assert not await desk.evaluate("() => document.getElementById('notify-off').hidden")
            booking = (await s.http.get("/booking/tegal")).text
            assert 'id="notify-off"' in booking and 'id="notify"' not in booking

            gateway.start()
            await eventually(lambda: _available(s), "the gateway reached again", seconds=40, every=0.1)
            await kiosk.wait_for_timeout(2100)
            await kiosk.evaluate("() => window.__kiosk.checkDay()")
            await until(kiosk, "() => !document.getElementById('notify-open').hidden")
            assert await kiosk.is_hidden("#t-notify-off")
            async with open_page(
                browser, f"{s.url}/t/{other['ticket']['token']}", size=(390, 844), mobile=True
            ) as phone:
                assert await phone.is_visible("#notify") and await phone.is_hidden("#notify-off")
            async with open_page(browser, f"{s.url}/desk/tegal", size=(1366, 768)) as desk:
                await until(desk, "() => document.getElementById('notify-off').hidden")
            assert 'id="notify"' in (await s.http.get("/booking/tegal")).text


async def _paused(s: Server) -> bool:
    return (await offered(s.http))["available"] is False


async def _available(s: Server) -> bool:
    return (await offered(s.http))["available"] is True


@pytest.mark.postgresql
async def test_on_several_processes_the_breaker_of_the_process_that_delivers_counts_on_every_one(
    pg_cluster: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only one process delivers, so only its breakers have tried the gateway: it says which it has paused and the
    others answer the same. When it stops, the next one to deliver takes its word with the outbox: the gateway
    paused, probed at once (still out of reach: the offer stays withdrawn), and the offer back once it answers.
    (Before, the next one started with closed breakers: the offer came back while the gateway was still down.)"""
    monkeypatch.setenv("TEST_GATEWAY_TOKEN", "gw-token-123")
    monkeypatch.setattr(notifications_module, "WATCH_SECONDS", 0.3)
    database = await new_database(pg_cluster)
    with Receiver() as gateway:
        site = notify_site(tmp_path, gateway)
        async with AsyncExitStack() as first_stack, AsyncExitStack() as second_stack:
            first = await first_stack.enter_async_context(running_server(database, site_files=[site], **DEAD_AT_ONCE))
            second = await second_stack.enter_async_context(running_server(database, site_files=[site], **DEAD_AT_ONCE))
            await first_stack.enter_async_context(ticking(first.clock))
            await second_stack.enter_async_context(ticking(second.clock))
            processes = [first, second]

            # Numbers left on the process that does not deliver: their messages go through the outbox.
            sender = await trip_the_deliverer(processes, gateway_breaker("tegal"))
            other = next(p for p in processes if p is not sender)

            async def said_by_all(available: bool) -> bool:
                said = [(await offered(p.http))["available"] for p in processes]
                return said == [available] * len(processes)

            await eventually(lambda: said_by_all(False), "both processes withdraw the offer", seconds=30, every=0.1)
            if not other.ctx.notifications.deliverer.taken:  # it never held the outbox
                assert not other.ctx.notifications.deliverer.paused_gateways(), "its breakers never tried the gateway"

            # The process that delivers stops: the other one takes the outbox over, and the last holder's word.
            taken = other.ctx.notifications.deliverer.taken
            await (first_stack if sender is first else second_stack).aclose()
            processes = [other]
            deliverer = other.ctx.notifications.deliverer
            await eventually(lambda: deliverer.delivering and deliverer.taken > taken, "the outbox taken over", 40)
            await eventually(lambda: gateway.heads or deliverer.breaker(gateway_breaker("tegal")).failures,
                             "the gateway probed at once", 40)  # fmt: skip
            assert await said_by_all(False), "the gateway still out of reach: the offer stays withdrawn"
            gateway.start()
            await eventually(lambda: said_by_all(True), "the offer back on the process left", seconds=40, every=0.1)


@pytest.mark.postgresql
async def test_on_several_processes_the_deliveries_page_shows_the_breakers_of_the_process_that_delivers(
    pg_cluster: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An outside review: on every process but the one delivering, the deliveries page said the gateway's breaker was
    "closed" while the gateway was paused (the page read that process's own breakers, which never tried it). Every
    process now answers with the breakers of the process that delivers, the gateway's and a webhook's alike, and
    closed again once they close there."""
    monkeypatch.setenv("TEST_GATEWAY_TOKEN", "gw-token-123")
    monkeypatch.setattr(notifications_module, "WATCH_SECONDS", 0.3)
    database = await new_database(pg_cluster)
    with Receiver() as gateway, Receiver() as hook:
        hook.status = 503  # answers, but fails every message
        hook.start()
        site = notify_site(tmp_path, gateway)
        async with AsyncExitStack() as stack:
            processes = [
                await stack.enter_async_context(running_server(database, site_files=[site], **DEAD_AT_ONCE))
                for _ in range(2)
            ]
            for process in processes:
                await stack.enter_async_context(ticking(process.clock))
            webhook = (await add_webhook(processes[0], f"{hook.url}/hook", events=["ticket.issued"]))["endpoint"]["id"]

            def known(process: Server) -> bool:  # its tickets' events go to the webhook: every process reads it again
                return any(e.id == webhook for e in process.ctx.notifications.subscriptions.by_site.get("tegal", ()))

            await eventually(lambda: all(known(p) for p in processes), "both processes know the webhook", seconds=30)
            # Five numbers and five tickets: the gateway and the webhook fail five times each.
            sender = await trip_the_deliverer(processes, gateway_breaker("tegal"), webhook)
            other = next(p for p in processes if p is not sender)

            async def breakers_on(process: Server) -> tuple[str, str]:
                rows = await deliveries(process)
                return rows["gateway"]["breaker"], rows[webhook]["breaker"]

            async def paused_on_both() -> bool:
                said = [await breakers_on(p) for p in processes]
                return all(g != "closed" and w != "closed" for g, w in said)

            await eventually(paused_on_both, "both breakers open, on both processes", seconds=30, every=0.1)
            if not other.ctx.notifications.deliverer.taken:  # it never held the outbox
                assert not other.ctx.notifications.deliverer.opened(), "its own breakers never tried an endpoint"
            for state in await breakers_on(other):
                assert state in ("open", "half_open")

            # Mended: a probe reaches the gateway, the next ticket's webhook goes through; closed on both again.
            gateway.start()
            hook.status = 200

            async def closed_on_both() -> bool:
                await other.issue("ktp")
                return [await breakers_on(p) for p in processes] == [("closed", "closed")] * len(processes)

            await eventually(closed_on_both, "both breakers closed again, on both processes", seconds=40, every=0.5)


@pytest.mark.postgresql
async def test_a_process_that_does_not_deliver_reads_the_breakers_as_last_said_and_not_a_stale_word(
    pg_cluster: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the process that delivers said of its breakers counts for 15 seconds: an older word is of a process that
    stopped without a word (the next one starts with closed breakers). A word of an earlier release, which named only
    the sites whose gateway was paused, still reads as their gateways' breakers open."""
    monkeypatch.setenv("TEST_GATEWAY_TOKEN", "gw-token-123")
    database = await new_database(pg_cluster)
    with Receiver() as gateway:
        site = notify_site(tmp_path, gateway)
        async with AsyncExitStack() as stack:
            processes = [
                await stack.enter_async_context(running_server(database, site_files=[site], **DEAD_AT_ONCE))
                for _ in range(2)
            ]
            await eventually(lambda: sum(p.ctx.notifications.deliverer.delivering for p in processes) == 1,
                             "one process delivers")  # fmt: skip
            other = next(p for p in processes if not p.ctx.notifications.deliverer.delivering)
            connection = await asyncpg.connect(database)
            try:

                async def say(value: dict[str, Any]) -> str:
                    await connection.execute("UPDATE meta SET value = $1 WHERE key = 'gateways_paused'",
                                             json.dumps(value))  # fmt: skip
                    return str((await deliveries(other))["gateway"]["breaker"])

                await connection.execute("INSERT INTO meta (key, value) VALUES ('gateways_paused', '{}')")
                now = datetime.now(UTC)
                assert await say({"breakers": {"gateway:tegal": "half_open"}, "at": utc_iso(now)}) == "half_open"
                stale = now - timedelta(seconds=20)
                assert await say({"breakers": {"gateway:tegal": "open"}, "at": utc_iso(stale)}) == "closed"
                assert await say({"sites": ["tegal"], "at": utc_iso(now)}) == "open", "an earlier release's word"
            finally:
                await connection.close()
