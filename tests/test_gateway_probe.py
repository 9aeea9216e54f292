"""A slow or half-broken WhatsApp/SMS gateway never makes a citizen get one message twice, nor wastes its tries.

A gateway that answers after the request's deadline has delivered the message all the same: every try of one message
carries the same Idempotency-Key (and {message_id} in the body), so a gateway that drops a key it has seen delivers
it once; a paused gateway is probed with a HEAD, and the one message that goes on trial after it is one whose
outcome is known, not one the gateway may have delivered already. A gateway whose HEAD says up while its POSTs fail
costs one message's try per pause. Real receivers on 127.0.0.1 (tests/receiver.py), a real server, both databases.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from queue_server.outbound.deliverer import gateway_breaker

from .helpers import eventually
from .receiver import Receiver, notify_server
from .test_outbox import FAST, deliveries
from .test_outbox_late import phone

BOTH_DATABASES = True
LATE = 3.0  # the slow gateway's answer comes this long after the request: after its 1 s deadline
SETTINGS = {**FAST, "outbox_timeout_seconds": 1.0}


def posts_between_heads(gateway: Receiver) -> list[list[str | None]]:
    """The POSTs' keys that arrived after each HEAD, before the next one."""
    segments: list[list[str | None]] = []
    for method, key in gateway.arrivals:
        if method == "HEAD":
            segments.append([])
        elif segments:
            segments[-1].append(key)
    return segments


async def test_a_gateway_that_answers_too_late_delivers_each_message_once_by_its_key_and_is_probed_without_them(
    database: Path | str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three numbers to which the gateway delivers, but answers after the deadline (their outcome unknown), and one
    it refuses at once (500: not delivered). Before, the half-open probe was the oldest waiting message, so the
    citizen whose message had been delivered late got it again at every probe. Now the probe is a HEAD; the message on
    trial after it is the refused one each time; the supervisor sees three messages whose outcome is unknown; and once
    the gateway mends, each message is delivered once by its key (a repeat carries the key it had)."""
    monkeypatch.setenv("TEST_GATEWAY_TOKEN", "x")
    refused = phone(4)["phone"].replace("-", "")[1:]  # in the body as 62812..., in whatever form it was typed

    def answer(body: bytes) -> tuple[float, int]:
        return (0.0, 500) if refused in body.decode() else (LATE, 200)

    with Receiver() as gateway:
        gateway.answer = answer
        gateway.start()
        async with notify_server(database, tmp_path, gateway, **SETTINGS) as s:
            for n in (1, 2, 3, 4):
                r = await s.issue("ktp", notify=phone(n))
                assert r["ticket"]["label"], r
            breaker = s.ctx.notifications.deliverer.breaker(gateway_breaker("tegal"))
            await eventually(lambda: breaker.trips >= 3, "three pauses, each ended by a probe and a failed trial", 120,
                             0.05)  # fmt: skip

            async def unknown_marked() -> bool:
                return bool((await deliveries(s))["gateway"]["outcome_unknown"] == 3)

            await eventually(unknown_marked, "the three late answers marked unknown for the supervisor", 30, 0.05)
            gateway.answer = None  # mended: every message answered at once
            await eventually(lambda: len({k for m, k in gateway.arrivals if m == "POST"}) == 4, "every message", 60)

            async def all_sent() -> bool:
                return bool((await deliveries(s))["gateway"]["sent"] == 4)

            await eventually(all_sent, "every message recorded as sent", 60, 0.05)
            status = (await deliveries(s))["gateway"]
            assert status["outcome_unknown"] == 0 and status["breaker"] == "closed", status

    posts = [r for r in gateway.requests if r.path == "/send"]
    for r in posts:  # the key a gateway drops repeats by is the message's id, in the header and in the body
        assert r.headers["Idempotency-Key"] == r.json()["ref"], r.headers
    keys = [k for m, k in gateway.arrivals if m == "POST"]
    refused_key = next(r.headers["Idempotency-Key"] for r in posts if refused in r.body.decode())
    late = {k for k in keys if k != refused_key}
    assert len(late) == 3
    # A gateway that drops a key it has seen delivers each message once: four citizens, four messages.
    delivered = {r.headers["Idempotency-Key"]: r.json()["message"] for r in posts}
    assert len(delivered) == 4 and all("nomor antrean Anda" in text for text in delivered.values()), delivered
    segments = posts_between_heads(gateway)[:-1]  # the last HEAD's trial went through: the rest followed it
    assert len(segments) >= 2, gateway.arrivals
    for segment in segments:  # after each HEAD one message on trial, and it is the refused one, never a late one
        assert segment == [refused_key], (segment, gateway.arrivals)


async def test_a_gateway_whose_head_says_up_while_its_posts_fail_costs_one_try_per_pause(
    database: Path | str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before, a HEAD answered 200 closed the breaker outright: up to eight messages went at once and five had to
    fail again to pause the gateway, every pause. Now the HEAD puts it on trial: one message goes, and its failure
    pauses the gateway again at once, for twice as long. Once the POSTs go through, each message is sent once."""
    monkeypatch.setenv("TEST_GATEWAY_TOKEN", "x")
    with Receiver() as gateway:
        gateway.status, gateway.head_status = 503, 200
        gateway.start()
        async with notify_server(database, tmp_path, gateway, **SETTINGS) as s:
            for n in range(8):
                await s.issue("ktp", notify=phone(10 + n))
            breaker = s.ctx.notifications.deliverer.breaker(gateway_breaker("tegal"))
            await eventually(lambda: breaker.trips >= 4, "four pauses", 120, 0.05)
            segments = posts_between_heads(gateway)  # the last may be a HEAD whose trial has not arrived yet
            assert len(segments) >= 3 and len(segments[-1]) <= 1, gateway.arrivals
            assert [len(segment) for segment in segments[:-1]] == [1] * (len(segments) - 1), gateway.arrivals
            gateway.status = 200
            await eventually(lambda: len(gateway.requests) == 8, "every message once the POSTs go through", 60)

            async def all_sent() -> bool:
                return bool((await deliveries(s))["gateway"]["sent"] == 8)

            await eventually(all_sent, "recorded as sent", 60, 0.05)
    keys = [r.headers["Idempotency-Key"] for r in gateway.requests]
    assert len(set(keys)) == 8, keys
