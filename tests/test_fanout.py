"""Fan-out to many live clients at once: the hub frames each message once and writes the same bytes to every
caught-up connection (queue_server/live/wsframes.py), and falls back to each client's queue when it is not caught up or
the server offers no direct writer. Both ways must give every client exactly the events it follows, in seq order,
each once; these tests run the same traffic through both."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from pathlib import Path

import pytest

from .helpers import LOBBY, Server, running_server
from .test_ws import DISDUKCAPIL_SCREEN, Client, disdukcapil_screen_shows, follow, is_event, logged

LOBBIES = 24
AGENCY_SCREENS = 8


async def traffic(server: Server) -> int:
    """Kiosks issuing while two operators call, start and finish; returns the seq of the last event."""
    disdukcapil, samsat = await server.login("op-disdukcapil"), await server.login("op-samsat")
    for op, counter in ((disdukcapil, "1"), (samsat, "7")):
        assert (await server.command(op, counter, "open")).status_code == 200

    async def kiosk(n: int) -> None:
        for i in range(8):
            await server.issue(("ktp", "pkb", "kk", "npwp")[(n + i) % 4])

    async def operator(op: dict[str, str], counter: str) -> None:
        for _ in range(6):
            r = await server.command(op, counter, "call_next")
            if r.status_code == 200:
                await server.command(op, counter, "start")
                await server.command(op, counter, "finish")
            await asyncio.sleep(0)

    await asyncio.gather(*(kiosk(n) for n in range(4)), operator(disdukcapil, "1"), operator(samsat, "7"))
    await server.issue("pindah")  # a Disdukcapil ticket, so every screen here ends on the same last event
    return int(server.ctx.storage.last_seq)


async def event_seqs(client: Client, last: int) -> list[int]:
    seqs: list[int] = []
    while not seqs or seqs[-1] < last:
        frame = await client.recv()
        if is_event(frame):
            seqs.append(frame["seq"])
    return seqs


@pytest.mark.parametrize("ws_protocol", [None, "websockets-sansio"], ids=["framed-once", "asgi-send-per-client"])
async def test_every_screen_gets_exactly_what_it_follows_in_order(tmp_path: Path, ws_protocol: str | None) -> None:
    async with running_server(tmp_path / "queue.sqlite3", ws_protocol=ws_protocol) as server, AsyncExitStack() as stack:
        lobbies = [await stack.enter_async_context(follow(server, token=LOBBY)) for _ in range(LOBBIES)]
        screens = [
            await stack.enter_async_context(follow(server, token=DISDUKCAPIL_SCREEN)) for _ in range(AGENCY_SCREENS)
        ]
        start = server.ctx.storage.last_seq
        last = await traffic(server)
        async with asyncio.timeout(30):
            got = await asyncio.gather(*(event_seqs(c, last) for c in [*lobbies, *screens]))

        log = await logged(server, start)
        everything = [e.seq for e in log]
        disdukcapil = [e.seq for e in log if disdukcapil_screen_shows(e)]
        assert len(everything) > 60 and len(disdukcapil) > 20
        for seqs in got[:LOBBIES]:
            assert seqs == everything  # each once, in order, none missing
        for seqs in got[LOBBIES:]:
            assert seqs == disdukcapil
        hub = server.ctx.hub
        if ws_protocol is None:
            assert hub.direct_writes > len(everything) * LOBBIES // 2  # the direct path really carried the load
        else:
            assert hub.direct_writes == 0  # no writer offered: every batch went through the clients' queues
        assert hub.dropped == 0


async def test_a_dashboard_between_queued_notices_and_direct_events_keeps_seq_order(tmp_path: Path) -> None:
    """A supervisor's dashboard gets notices through its queue every few milliseconds here, so its events keep
    switching between the queue and direct writes: they must still come in order, each once."""
    async with running_server(tmp_path / "queue.sqlite3", dashboard_seconds=0.005) as server:
        headers = await server.login("supervisor")
        token = headers["Authorization"].removeprefix("Bearer ")
        async with follow(server, "supervisor", token=token, dashboard=True) as dashboard:
            start = server.ctx.storage.last_seq
            last = await traffic(server)
            seqs: list[int] = []
            notices = 0
            async with asyncio.timeout(30):
                while not seqs or seqs[-1] < last:
                    frame = await dashboard.recv()
                    if is_event(frame):
                        seqs.append(frame["seq"])
                    elif frame["type"] == "dashboard":
                        notices += 1
        assert seqs == [e.seq for e in await logged(server, start)]
        assert notices >= 2
        assert server.ctx.hub.direct_writes > 0
