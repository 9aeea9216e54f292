"""The websocket client every page shares (/static/shared/live-client.js), run in Debian's Chromium against a real
server: it connects and receives a call; after the server goes away it reconnects, with pauses drawn anew under a
doubling, bounded ceiling, and resumes from its last seq with nothing lost and nothing twice; a silent link is
pinged, then given up and replaced; a server with a new database gets a snapshot; a refused hello reaches the status
callback in the server's words and is not retried forever; close() is final until start() resumes.

The client runs in a page of the server's own origin under the pages' Content-Security-Policy (the display's "no
such screen" page, which has no client of its own). Nothing here asserts how fast anything happens."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websockets
from playwright.async_api import Browser, Page, WebSocket

from .display_support import bounded, call_next, chromium, until
from .helpers import LOBBY, Clock, Server, eventually, running_server
from .test_counter_client import CuttableProxy

LOBBY_HELLO = {"role": "display", "site": "tegal", "screen": "lobby", "token": LOBBY, "client": "live-client-test"}
QUICK = {"baseDelayMs": 50, "maxDelayMs": 400}  # a short backoff: many attempts while a server is away

START = """([hello, options]) => import("/static/shared/live-client.js").then(({ LiveClient }) => {
  const log = (window.__log = { statuses: [], frames: [] });
  window.__client = new LiveClient({
    hello,
    ...options,
    onMessage: (frame) => log.frames.push(frame),
    onStatus: (status, detail) => log.statuses.push({ status, ...detail }),
  });
  window.__client.start();
})"""


@dataclass
class Wire:
    """What the page's websockets carried, as Chromium saw it."""

    sockets: list[WebSocket] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)

    def watch(self, ws: WebSocket) -> None:
        self.sockets.append(ws)
        ws.on("framesent", lambda text: self.sent.append(json.loads(text)))

    def hellos(self) -> list[dict[str, Any]]:
        return [f for f in self.sent if f["type"] == "hello"]


@asynccontextmanager
async def client_page(
    browser: Browser, server: Server, hello: dict[str, Any], options: dict[str, Any] | None = None
) -> AsyncIterator[tuple[Page, Wire]]:
    context = await browser.new_context()
    try:
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        wire = Wire()
        page.on("websocket", wire.watch)
        await page.goto(f"{server.url}/display/tegal/no-such-screen")
        await page.evaluate(START, [hello, options or {}])
        yield page, wire
        assert not errors, f"errors on the page: {errors}"
    finally:
        await context.close()


async def statuses(page: Page, status: str) -> list[dict[str, Any]]:
    return await page.evaluate("(s) => window.__log.statuses.filter((x) => x.status === s)", status)  # type: ignore[no-any-return]


async def connections(page: Page, n: int, timeout_ms: float = 10_000) -> None:
    js = "(n) => window.__log.statuses.filter((s) => s.status === 'connected').length >= n"
    await until(page, js, n, timeout_ms)


async def events(page: Page) -> list[dict[str, Any]]:
    return await page.evaluate("() => window.__log.frames.filter((f) => f.type.includes('.'))")  # type: ignore[no-any-return]


async def received(page: Page, type_: str, ticket_id: str, timeout_ms: float = 10_000) -> None:
    js = "([t, id]) => window.__log.frames.some((f) => f.type === t && f.data.ticket.id === id)"
    await until(page, js, [type_, ticket_id], timeout_ms)


async def refusal(server: Server, hello: dict[str, Any]) -> dict[str, Any]:
    """What the server answers this hello, asked directly: the page must get exactly this."""
    async with websockets.connect(server.ws_url) as ws:
        await ws.send(json.dumps({"type": "hello", **hello}))
        frame = json.loads(await ws.recv())
    assert frame["type"] == "error", frame
    return frame  # type: ignore[no-any-return]


@bounded(150)
async def test_a_call_arrives_and_after_a_restart_the_client_resumes_with_no_gap_and_no_duplicate(
    tmp_path: Path,
) -> None:
    database = tmp_path / "queue.sqlite3"
    clock = Clock()
    async with chromium() as browser, AsyncExitStack() as stack:
        async with running_server(database, clock=clock) as first:
            port = first.config.port
            op = await first.login("op-disdukcapil")
            for _ in range(4):
                await first.issue("ktp")
            assert (await first.command(op, "1", "open")).status_code == 200
            page, wire = await stack.enter_async_context(client_page(browser, first, LOBBY_HELLO, QUICK))
            await connections(page, 1)
            snapshot = await until(page, "() => window.__log.frames.find((f) => f.type === 'snapshot')")
            call = (await call_next(first, op, "1"))["ticket"]
            await received(page, "ticket.called", call["id"])
            before = await page.evaluate("window.__client.lastSeq")
            assert before == first.ctx.storage.last_seq

        # The server is gone. The client keeps trying; meanwhile the hall goes on (through a server on the same
        # database that the client cannot reach).
        await until(page, "() => window.__log.statuses.filter((s) => s.status === 'reconnecting').length >= 6")
        async with running_server(database, clock=clock) as meanwhile:
            op = await meanwhile.login("op-disdukcapil")
            missed = [(await call_next(meanwhile, op, "1"))["ticket"]["label"] for _ in range(2)]
            kia = (await meanwhile.issue("kia"))["ticket"]

        async with running_server(database, port=port, clock=clock) as back:
            await connections(page, 2, timeout_ms=30_000)
            await received(page, "ticket.issued", kia["id"])
            expected = [e.seq for e in await back.ctx.storage.events_after("tegal", snapshot["seq"], 100_000)]
            got = await events(page)
            assert [e["seq"] for e in got] == expected  # every event once, in order: no gap, no duplicate
            assert [e["data"]["ticket"]["label"] for e in got if e["type"] == "ticket.called"] == [
                call["label"],
                *missed,
            ]
            assert await page.evaluate("window.__client.lastSeq") == back.ctx.storage.last_seq

        hellos = wire.hellos()
        assert len(hellos) == 2
        assert "last_seq" not in hellos[0] and hellos[1]["last_seq"] == before
        assert hellos[1]["client"] == "live-client-test"  # the page's own fields, on every hello
        assert [c["resume"] for c in await statuses(page, "connected")] == ["snapshot", "replay"]

        # Each pause drawn anew between 0 and a ceiling that doubles from 50 ms and stops at 400 ms.
        waits = await statuses(page, "reconnecting")
        assert len(waits) >= 6
        assert [w["ceilingMs"] for w in waits] == [min(400, 50 * 2**n) for n in range(len(waits))]
        assert all(0 <= w["delayMs"] <= w["ceilingMs"] for w in waits)
        assert all(w["seconds"] == -(-w["delayMs"] // 1000) for w in waits)  # "reconnecting in N s"
        assert len({w["delayMs"] for w in waits}) > 1 and any(w["delayMs"] < w["ceilingMs"] for w in waits)


@bounded(90)
async def test_a_silent_link_is_pinged_then_given_up_and_the_client_resumes(tmp_path: Path) -> None:
    async with (
        running_server(tmp_path / "queue.sqlite3", ws_heartbeat_seconds=0.3) as server,
        CuttableProxy(server.config.port) as proxy,
        chromium() as browser,
    ):
        await server.issue("ktp")  # so that the client has a seq to resume from
        url = proxy.url.replace("http://", "ws://") + "/ws"
        async with client_page(browser, server, LOBBY_HELLO, {**QUICK, "url": url}) as (page, wire):
            await connections(page, 1)
            await eventually(lambda: sum(f["type"] == "pong" for f in wire.sent) >= 2, "the server's pings answered")
            before = await page.evaluate("window.__client.lastSeq")
            assert before == server.ctx.storage.last_seq > 0

            proxy.blackhole_down = True  # nothing from the server arrives any more, and nothing closes
            quiet_from = len(wire.sent)
            await until(page, "() => window.__log.statuses.some((s) => s.status === 'reconnecting')")
            assert {"type": "ping"} in wire.sent[quiet_from:]  # it asked the quiet server first
            assert (await statuses(page, "reconnecting"))[0]["code"] == 1006
            ticket = (await server.issue("ktp"))["ticket"]  # while the client cannot hear

            proxy.blackhole_down = False
            await connections(page, 2, timeout_ms=20_000)
            await received(page, "ticket.issued", ticket["id"])
            got = await events(page)
            assert [e["data"]["ticket"]["id"] for e in got] == [ticket["id"]]  # replayed once
            assert (await statuses(page, "connected"))[-1]["resume"] == "replay"
            assert wire.hellos()[-1]["last_seq"] == before


@bounded(90)
async def test_a_server_with_a_new_database_gets_a_snapshot_and_its_lower_seqs_are_taken(tmp_path: Path) -> None:
    async with chromium() as browser, AsyncExitStack() as stack:
        async with running_server(tmp_path / "old.sqlite3") as old:
            port = old.config.port
            for _ in range(5):
                await old.issue("ktp")
            page, wire = await stack.enter_async_context(client_page(browser, old, LOBBY_HELLO, QUICK))
            await connections(page, 1)
            old_seq = old.ctx.storage.last_seq
            await until(page, "(seq) => window.__client.lastSeq === seq", old_seq)

        async with running_server(tmp_path / "new.sqlite3", port=port) as new:
            await connections(page, 2, timeout_ms=30_000)
            ticket = (await new.issue("kk"))["ticket"]
            await received(page, "ticket.issued", ticket["id"])
            assert wire.hellos()[-1]["last_seq"] == old_seq
            assert (await statuses(page, "connected"))[-1]["resume"] == "snapshot"
            new_seq = new.ctx.storage.last_seq
            assert new_seq < old_seq  # numbered below what the client had: taken, not dropped as a duplicate
            assert await page.evaluate("window.__client.lastSeq") == new_seq


@bounded(60)
async def test_a_refused_hello_reaches_the_status_callback_and_is_not_retried_forever(server: Server) -> None:
    headers = await server.login("supervisor")
    revoked = headers["Authorization"].removeprefix("Bearer ")
    assert (await server.http.post("/api/v1/auth/logout", headers=headers)).status_code < 300
    hello = {"role": "supervisor", "site": "tegal", "token": revoked}
    expected = await refusal(server, hello)
    assert expected["code"] == "unauthenticated"

    async with chromium() as browser:
        # Retried slowly a given number of times, then never again.
        retry = {"refusedRetryMs": 100, "refusedRetries": 2}
        async with client_page(browser, server, hello, retry) as (page, wire):
            await until(page, "() => window.__log.statuses.filter((s) => s.status === 'refused').length >= 3")
            await asyncio.sleep(1.0)  # ten retry pauses: room for a fourth attempt, had there been one
            refused = await statuses(page, "refused")
            assert [r["retryMs"] for r in refused] == [100, 100, None]
            for r in refused:
                assert (r["error"]["code"], r["error"]["message"], r["error"]["message_en"]) == (
                    expected["code"],
                    expected["message"],
                    expected["message_en"],
                )
            assert await statuses(page, "connected") == [] and await statuses(page, "reconnecting") == []
            assert len(wire.sockets) == 3 and all(ws.is_closed() for ws in wire.sockets)
            assert await page.evaluate("window.__client.status") == "refused"
            assert await page.evaluate("window.__log.frames") == []  # the refusal is a status, not a message

        # By default a refusal is final at once.
        wrong = {**LOBBY_HELLO, "token": "d_not_a_device_of_this_mall"}
        expected = await refusal(server, wrong)
        async with client_page(browser, server, wrong) as (page, wire):
            await until(page, "() => window.__log.statuses.some((s) => s.status === 'refused')")
            await asyncio.sleep(0.5)
            refused = await statuses(page, "refused")
            assert len(refused) == 1 and refused[0]["retryMs"] is None
            assert refused[0]["error"]["message"] == expected["message"]
            assert len(wire.sockets) == 1


@bounded(60)
async def test_a_connection_refused_after_its_welcome_is_refused_at_once_not_after_a_reconnect(server: Server) -> None:
    """A session signed out (a token revoked) while its page is connected: the server sends the refusal and closes
    with 4003; the client reports it from that frame, with no reconnect whose hello would be refused alike. An error
    frame the connection outlives (a frame refused) refuses nothing: a drop after it reconnects as ever."""
    headers = await server.login("supervisor")
    hello = {"role": "supervisor", "site": "tegal", "token": headers["Authorization"].removeprefix("Bearer ")}
    async with chromium() as browser, client_page(browser, server, hello, QUICK) as (page, wire):
        await connections(page, 1)
        assert await page.evaluate("() => window.__client.send({type: 'no_such_frame'})") is True
        await until(page, "() => window.__log.frames.some((f) => f.type === 'error')")
        await page.evaluate("() => window.__client.drop()")  # a network drop just after that error frame
        await connections(page, 2)
        assert await statuses(page, "refused") == [] and len(await statuses(page, "reconnecting")) == 1

        assert (await server.http.post("/api/v1/auth/logout", headers=headers)).status_code < 300
        await until(page, "() => window.__log.statuses.some((s) => s.status === 'refused')")
        [refused] = await statuses(page, "refused")
        expected = await refusal(server, hello)
        assert refused["error"]["code"] == expected["code"] == "unauthenticated"
        assert refused["error"]["message"] == expected["message"] and refused["retryMs"] is None
        assert len(await statuses(page, "reconnecting")) == 1  # the drop's only: a reconnect would come before
        assert len(wire.hellos()) == 2 and await page.evaluate("window.__client.status") == "refused"


@bounded(60)
async def test_backoff_is_bounded_and_close_is_final_until_start_resumes(server: Server) -> None:
    async with chromium() as browser, client_page(browser, server, LOBBY_HELLO) as (page, wire):
        bounds = await page.evaluate(
            """async () => {
              const { backoffDelay } = await import("/static/shared/live-client.js");
              return [0, 1, 2, 5, 6, 7, 50, 5000].map((n) => [backoffDelay(n, {}, () => 0).delayMs,
                                                             backoffDelay(n, {}, () => 1).delayMs]);
            }"""
        )
        assert bounds == [[0, 500], [0, 1000], [0, 2000], [0, 16000], [0, 30000], [0, 30000], [0, 30000],
                          [0, 30000]]  # fmt: skip

        await connections(page, 1)
        first = (await server.issue("ktp"))["ticket"]
        await received(page, "ticket.issued", first["id"])
        seq = await page.evaluate("window.__client.lastSeq")
        await page.evaluate("window.__client.close()")
        assert (await page.evaluate("window.__log.statuses.at(-1)"))["status"] == "closed"
        assert await page.evaluate("window.__client.connected") is False
        second = (await server.issue("ktp"))["ticket"]  # while closed: nothing comes, nothing reconnects
        await asyncio.sleep(0.5)
        assert len(wire.sockets) == 1 and wire.sockets[0].is_closed()
        assert await statuses(page, "reconnecting") == []
        assert not any(e["data"]["ticket"]["id"] == second["id"] for e in await events(page))

        await page.evaluate("window.__client.start()")  # e.g. signing in again: resumes where it stopped
        await connections(page, 2)
        await received(page, "ticket.issued", second["id"])
        assert wire.hellos()[-1]["last_seq"] == seq
        assert (await statuses(page, "connected"))[-1]["resume"] == "replay"
        assert [e["data"]["ticket"]["id"] for e in await events(page)] == [first["id"], second["id"]]
