"""Fan-out to many live clients at once: the hub frames each message once and writes the same bytes to every
caught-up connection (queue_server/live/wsframes.py), and falls back to each client's queue when it is not caught up or
the server offers no direct writer. Both ways must give every client exactly the events it follows, in seq order,
each once; these tests run the same traffic through both. The traffic is concurrent, so its interleaving changes
from run to run, but which commands succeed and which events are written does not, and that is what is asserted."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import AsyncExitStack
from pathlib import Path

import pytest

from queue_server.domain.events import Event

from .helpers import LOBBY, Server, running_server
from .test_ws import DISDUKCAPIL_SCREEN, Client, disdukcapil_screen_shows, follow, is_event, logged

LOBBIES = 24
AGENCY_SCREENS = 8
KIOSKS, TICKETS_PER_KIOSK = 4, 8  # each kiosk issues ktp, pkb, kk and npwp in turn
ROUNDS = 6  # call, start and finish, by each of the two operators
# What the traffic writes, whatever its interleaving: two counters opened; the tickets issued before, during and
# after the calls; and each operator's rounds.
TRAFFIC = Counter(
    {
        "counter.opened": 2,
        "ticket.issued": 2 * ROUNDS + KIOSKS * TICKETS_PER_KIOSK + 1,
        "ticket.called": 2 * ROUNDS,
        "ticket.started": 2 * ROUNDS,
        "ticket.finished": 2 * ROUNDS,
    }
)
# Of which the Disdukcapil screen shows: counter 1 opened, the ktp tickets waiting for it, the kiosks' ktp and kk
# (half of theirs), the last ticket, and counter 1's rounds.
DISDUKCAPIL_TRAFFIC = 1 + ROUNDS + KIOSKS * TICKETS_PER_KIOSK // 2 + 1 + 3 * ROUNDS


async def traffic(server: Server, between: Callable[[], None] = lambda: None) -> int:
    """Kiosks issuing while two operators call, start and finish, all at once; returns the seq of the last event.
    Each operator's line holds ROUNDS tickets before the kiosks and the operators start, so every call finds someone
    however the tasks interleave (calling an empty line would be refused, and the events would depend on timing).
    `between` runs after each operator's command."""
    disdukcapil, samsat = await server.login("op-disdukcapil"), await server.login("op-samsat")
    for op, counter in ((disdukcapil, "1"), (samsat, "7")):
        assert (await server.command(op, counter, "open")).status_code == 200
    for service in ("ktp", "pkb"):  # the only services of counters 1 and 7
        for _ in range(ROUNDS):
            await server.issue(service)

    async def kiosk(n: int) -> None:
        for i in range(TICKETS_PER_KIOSK):
            await server.issue(("ktp", "pkb", "kk", "npwp")[(n + i) % 4])

    async def operator(op: dict[str, str], counter: str) -> None:
        for _ in range(ROUNDS):
            for command in ("call_next", "start", "finish"):
                r = await server.command(op, counter, command)
                assert r.status_code == 200, r.text
                between()
            await asyncio.sleep(0)

    await asyncio.gather(*(kiosk(n) for n in range(KIOSKS)), operator(disdukcapil, "1"), operator(samsat, "7"))
    await server.issue("pindah")  # a Disdukcapil ticket, so every screen here ends on the same last event
    return int(server.ctx.storage.last_seq)


def record_batches(server: Server, monkeypatch: pytest.MonkeyPatch) -> list[list[Event]]:
    """Every batch the hub is given from now on (one per commit: how many commands share one depends on timing)."""
    batches: list[list[Event]] = []
    publish = server.ctx.hub.publish

    def recording(events: Iterable[Event]) -> None:
        batch = list(events)
        batches.append(batch)
        publish(batch)

    monkeypatch.setattr(server.ctx.hub, "publish", recording)
    return batches


async def event_seqs(client: Client, last: int) -> list[int]:
    seqs: list[int] = []
    while not seqs or seqs[-1] < last:
        frame = await client.recv()
        if is_event(frame):
            seqs.append(frame["seq"])
    return seqs


@pytest.mark.parametrize("ws_protocol", [None, "websockets-sansio"], ids=["framed-once", "asgi-send-per-client"])
async def test_every_screen_gets_exactly_what_it_follows_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ws_protocol: str | None
) -> None:
    async with running_server(tmp_path / "queue.sqlite3", ws_protocol=ws_protocol) as server, AsyncExitStack() as stack:
        lobbies = [await stack.enter_async_context(follow(server, token=LOBBY)) for _ in range(LOBBIES)]
        screens = [
            await stack.enter_async_context(follow(server, token=DISDUKCAPIL_SCREEN)) for _ in range(AGENCY_SCREENS)
        ]
        start = server.ctx.storage.last_seq
        batches = record_batches(server, monkeypatch)
        last = await traffic(server)
        async with asyncio.timeout(60):
            got = await asyncio.gather(*(event_seqs(c, last) for c in [*lobbies, *screens]))

        log = await logged(server, start)
        assert Counter(e.type for e in log) == TRAFFIC
        everything = [e.seq for e in log]
        disdukcapil = [e.seq for e in log if disdukcapil_screen_shows(e)]
        assert len(disdukcapil) == DISDUKCAPIL_TRAFFIC
        for seqs in got[:LOBBIES]:
            assert seqs == everything  # each once, in order, none missing
        for seqs in got[LOBBIES:]:
            assert seqs == disdukcapil
        assert [e.seq for batch in batches for e in batch] == everything
        hub = server.ctx.hub
        if ws_protocol is None:
            # Every client had caught up (read its snapshot) before the traffic, and nothing else was queued for
            # it: each batch went straight to every client that follows any of its events.
            screen_batches = sum(any(disdukcapil_screen_shows(e) for e in batch) for batch in batches)
            assert hub.direct_writes == len(batches) * LOBBIES + screen_batches * AGENCY_SCREENS
        else:
            assert hub.direct_writes == 0  # no writer offered: every batch went through the clients' queues
        assert hub.dropped == 0


async def test_a_dashboard_between_queued_notices_and_direct_events_keeps_seq_order(tmp_path: Path) -> None:
    """A supervisor's dashboard gets notices through its queue (here after every operator's command, besides the
    monitor's own), so its events keep switching between the queue and direct writes: they must still come in
    order, each once."""
    async with running_server(tmp_path / "queue.sqlite3", dashboard_seconds=0.005) as server:
        headers = await server.login("supervisor")
        token = headers["Authorization"].removeprefix("Bearer ")
        async with follow(server, "supervisor", token=token, dashboard=True) as dashboard:
            start = server.ctx.storage.last_seq
            hub = server.ctx.hub
            sent = 0

            def notice() -> None:  # as the monitor pushes its figures, but at known moments
                nonlocal sent
                sent += 1
                hub.notify("tegal", lambda follow: '{"type": "dashboard", "site": "tegal", "data": {}}')

            last = await traffic(server, between=notice)
            seqs: list[int] = []
            notices = 0
            async with asyncio.timeout(60):
                while notices < sent or not seqs or seqs[-1] < last:
                    frame = await dashboard.recv()
                    if is_event(frame):
                        seqs.append(frame["seq"])
                    elif frame["type"] == "dashboard":
                        notices += 1
        log = await logged(server, start)
        assert Counter(e.type for e in log) == TRAFFIC
        assert seqs == [e.seq for e in log]
        assert sent == 3 * 2 * ROUNDS and notices >= sent  # the monitor's own come on top, as time allows
        assert hub.direct_writes > 0  # queued are only the events that came while a notice was on its way
        assert hub.dropped == 0
