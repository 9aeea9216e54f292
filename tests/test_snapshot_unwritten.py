"""A screen never keeps showing what was never written.

The engine decides a command on its live state and applies its events before they are written (group commit), and a
screen that connects meanwhile gets its snapshot from that state. When the write then fails (a full disk, the
database gone), the state is read back from the database, but such a screen went on showing the call that exists
nowhere (a lobby TV's "now serving", a counter's ticket that cannot be acted on) until it reconnected. Now every
screen of the site is sent a fresh snapshot once the state is read back.

The write is held open for real while the screens connect (SQLite: another connection holds the write lock;
PostgreSQL: a trigger waits for the test's word), then fails for real (a trigger raises, as a full disk would)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect
from websockets.asyncio.client import ClientConnection, connect

from .display_support import WAIT_MS, board_page, bounded, chromium, hero_shows, until
from .helpers import KIOSK, LOBBY, Server, bearer, eventually
from .test_counter_web import connected, operator_page, sign_in

BOTH_DATABASES = True  # run on SQLite and on PostgreSQL (conftest.py)

WAIT = 20.0  # generous: the machine is shared; what is asserted is what the screen ends up showing


class Screen:
    """What a live client shows, kept as docs/protocol.md says: a snapshot replaces everything, an event is an upsert
    of its ticket and counter."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.seq = 0
        self.tickets: dict[str, str] = {}  # label -> state, today's open tickets
        self.counters: dict[str, str | None] = {}  # counter id -> the label of the ticket it calls or serves
        self.snapshots = 0

    def shows(self) -> tuple[dict[str, str], dict[str, str | None]]:
        return dict(self.tickets), dict(self.counters)

    def take(self, frame: dict[str, Any]) -> None:
        if frame["type"] == "snapshot":
            data = frame["data"]
            self.seq, self.snapshots = frame["seq"], self.snapshots + 1
            self.tickets = {t["label"]: t["state"] for t in data["tickets"]}
            self.counters = {c["id"]: (c["ticket"] or {}).get("label") for c in data["counters"]}
        elif "." in frame["type"] and frame.get("seq", 0) > self.seq:
            self.seq = frame["seq"]
            ticket, counter = frame["data"].get("ticket"), frame["data"].get("counter")
            if ticket is not None:
                self.tickets[ticket["label"]] = ticket["state"]
            if counter is not None:
                self.counters[counter["id"]] = ticket["label"] if counter.get("current") and ticket else None

    async def until(self, wanted: Callable[[], bool], what: str) -> None:
        """Frames are taken until `wanted()`; AssertionError, with what it shows, if not within WAIT."""
        try:
            async with asyncio.timeout(WAIT):
                while not wanted():
                    self.take(json.loads(await self.ws.recv()))
        except TimeoutError:
            raise AssertionError(f"not within {WAIT:g} s: {what}; it shows {self.shows()}") from None


@asynccontextmanager
async def screen(server: Server, **hello: Any) -> AsyncIterator[Screen]:
    async with connect(server.ws_url, ping_interval=None, open_timeout=WAIT, close_timeout=2) as ws:
        await ws.send(json.dumps({"type": "hello", "site": "tegal", **hello}))
        shown = Screen(ws)
        assert json.loads(await ws.recv())["type"] == "welcome"
        await shown.until(lambda: shown.snapshots == 1, "a snapshot")
        yield shown


@asynccontextmanager
async def calls_held_then_failed(server: Server) -> AsyncIterator[Callable[[], Awaitable[None]]]:
    """Every write of a call waits until the function given is awaited, then fails as a full disk would."""
    storage = server.ctx.storage
    if storage.shared:  # PostgreSQL: the trigger waits inside the engine's transaction, then raises
        await storage.execute("CREATE TABLE held (open boolean NOT NULL)")
        await storage.execute("INSERT INTO held VALUES (false)")
        await storage.execute(
            "CREATE FUNCTION held_then_failed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "WHILE NOT (SELECT open FROM held) LOOP PERFORM pg_sleep(0.02); END LOOP; "
            "RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = '53100'; END $$"
        )
        await storage.execute("CREATE TRIGGER held_then_failed BEFORE INSERT ON events FOR EACH ROW "
                              "WHEN (NEW.type = 'ticket.called') EXECUTE FUNCTION held_then_failed()")  # fmt: skip

        async def release() -> None:
            await storage.execute("UPDATE held SET open = true")

        try:
            yield release
        finally:
            await storage.execute("DROP TRIGGER held_then_failed ON events")
            await storage.execute("DROP FUNCTION held_then_failed()")
            await storage.execute("DROP TABLE held")
        return
    # SQLite: another connection holds the write lock (a backup, a sqlite3 shell would), so the write waits for it
    # (busy timeout), and the trigger refuses it once it is let through.
    await storage.execute("CREATE TRIGGER held_then_failed BEFORE INSERT ON events WHEN NEW.type = 'ticket.called' "
                          "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END")  # fmt: skip
    holder = sqlite3.connect(server.config.database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")

    async def let_go() -> None:
        if holder.in_transaction:
            holder.execute("ROLLBACK")

    try:
        yield let_go
    finally:
        await let_go()
        holder.close()
        await storage.execute("DROP TRIGGER held_then_failed")


async def stored(server: Server) -> tuple[dict[str, str], set[str]]:
    """What the database holds: today's open tickets by label, and the counters calling or serving one."""
    rows = await server.ctx.storage.query("SELECT label, state, counter FROM tickets")
    open_ = {row[0]: row[1] for row in rows if row[1] not in ("done", "cancelled", "transferred", "expired")}
    return open_, {row[2] for row in rows if row[1] in ("called", "serving")}


async def test_a_call_whose_write_failed_leaves_no_screen_showing_it(server: Server) -> None:
    """A TV and a counter page connect while a call is being written: their snapshots show it (the state is ahead of
    the log). The write fails; both are sent a fresh snapshot and show what the database holds: nobody called."""
    op = await server.login("op-disdukcapil")
    assert (await server.issue("ktp"))["ticket"]["label"] == "A-001"
    assert (await server.command(op, "1", "open")).status_code == 200
    async with screen(server, role="display", token=LOBBY, screen="lobby"):
        pass  # the TV was on before: its token is known (on SQLite a first look-up would wait for the held write)
    async with calls_held_then_failed(server) as release:
        call = asyncio.create_task(server.command(op, "1", "call_next"))
        await eventually(lambda: server.ctx.state("tegal").counters["1"].current is not None, "the call decided")
        token = op["Authorization"].removeprefix("Bearer ")
        async with (
            screen(server, role="display", token=LOBBY, screen="lobby") as tv,
            screen(server, role="counter", token=token, counter="1") as desk,
        ):
            for shown in (tv, desk):  # the window: decided, not yet written
                assert shown.tickets.get("A-001") == "called" and shown.counters.get("1") == "A-001", shown.shows()
            await release()
            answer = await call
            assert answer.status_code == 503, answer.text
            assert await stored(server) == ({"A-001": "waiting"}, set())
            for shown in (tv, desk):
                await shown.until(
                    lambda shown=shown: shown.tickets == {"A-001": "waiting"} and not any(shown.counters.values()),
                    "the screen shows what the database holds: A-001 waiting, no counter calling",
                )
    called = await server.command(op, "1", "call_next")  # the day goes on from what is stored
    assert called.status_code == 200 and called.json()["ticket"]["label"] == "A-001", called.text
    async with screen(server, role="display", token=LOBBY, screen="lobby") as tv:
        assert tv.counters.get("1") == "A-001", tv.shows()


@pytest.mark.sqlite_only  # the other connection holding the lock also renames a table in its transaction
async def test_a_screen_shown_a_lost_call_is_corrected_once_a_failed_reload_works(server: Server) -> None:
    """The reload after the failed write fails too (a table away, as under a migration): the state stays unsure, and
    may hold the lost call, until it can be read back. Then the screens are corrected, as after a reload that works."""
    storage = server.ctx.storage
    op = await server.login("op-disdukcapil")
    assert (await server.issue("ktp"))["ticket"]["label"] == "A-001"
    assert (await server.command(op, "1", "open")).status_code == 200
    async with screen(server, role="display", token=LOBBY, screen="lobby"):
        pass  # the TV was on before: its token is known
    await storage.execute("CREATE TRIGGER fail_calls BEFORE INSERT ON events WHEN NEW.type = 'ticket.called' "
                          "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END")  # fmt: skip
    holder = sqlite3.connect(server.config.database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        call = asyncio.create_task(server.command(op, "1", "call_next"))
        await eventually(lambda: server.ctx.state("tegal").counters["1"].current is not None, "the call decided")
        async with screen(server, role="display", token=LOBBY, screen="lobby") as tv:
            assert tv.counters.get("1") == "A-001", tv.shows()  # the window
            holder.execute("ALTER TABLE bookings RENAME TO bookings_away")  # the reload's read will fail too
            holder.execute("COMMIT")
            assert (await call).status_code == 503
            assert server.ctx.engine.write_failure is not None
            await storage.execute("ALTER TABLE bookings_away RENAME TO bookings")
            await storage.execute("DROP TRIGGER fail_calls")
            for _ in range(200):  # read back at the next command from a second after the failed reload on
                r = await server.http.post("/api/v1/sites/tegal/tickets", json={"service": "kk"},
                                           headers=bearer(KIOSK))  # fmt: skip
                if r.status_code != 503:
                    break
                await asyncio.sleep(0.1)
            assert r.status_code == 201, r.text
            await tv.until(
                lambda: tv.tickets == {"A-001": "waiting", "B-001": "waiting"} and not any(tv.counters.values()),
                "the TV shows what the database holds: A-001 and B-001 waiting, no counter calling",
            )
    finally:
        if holder.in_transaction:
            holder.execute("ROLLBACK")
        holder.close()
    assert await stored(server) == ({"A-001": "waiting", "B-001": "waiting"}, set())


@pytest.mark.sqlite_only  # the page's part: one database is enough
@bounded(120)
async def test_the_lobby_tv_page_drops_the_call_whose_write_failed(server: Server, tmp_path: Path) -> None:
    """The lobby TV in Chromium: it starts over from a snapshot while a call is being written (as after a reconnect)
    and shows it in its hero, "now serving"; the write fails, and the page replaces what it shows with the fresh
    snapshot the server sends mid-connection: nobody is called."""
    op = await server.login("op-disdukcapil")
    assert (await server.issue("ktp"))["ticket"]["label"] == "A-001"
    assert (await server.command(op, "1", "open")).status_code == 200
    async with chromium() as browser, board_page(browser, server) as page:
        assert await page.is_visible(".hero-none")
        async with calls_held_then_failed(server) as release:
            call = asyncio.create_task(server.command(op, "1", "call_next"))
            await eventually(lambda: server.ctx.state("tegal").counters["1"].current is not None, "the call decided")
            await page.evaluate("() => window.__display.connection.resync()")  # a fresh snapshot, in the window
            await hero_shows(page, "A-001")
            await page.screenshot(path=str(tmp_path / "phantom-call.png"))
            await release()
            assert (await call).status_code == 503
        await until(page, "() => document.getElementById('hero').classList.contains('is-empty')")
        assert await page.is_visible(".hero-none"), "nobody called"
        assert await page.text_content("[data-counter='1'] .tile-ticket") == "Siap melayani"
        assert await page.text_content("[data-service='ktp'] .chip-count") == "1", "A-001 waits again"
        await page.screenshot(path=str(tmp_path / "corrected.png"))


@pytest.mark.sqlite_only  # the page's part: one database is enough
@bounded(120)
async def test_the_counter_page_drops_the_call_whose_write_failed(server: Server) -> None:
    """The counter page in Chromium, reloaded while a call of its counter (made on another of the operator's devices)
    is being written, shows that ticket as its own, with its buttons; the write fails, and the page starts over from
    the fresh snapshot the server sends: no ticket at the counter, A-001 waiting."""
    op = await server.login("op-disdukcapil")
    assert (await server.issue("ktp"))["ticket"]["label"] == "A-001"
    assert (await server.command(op, "1", "open")).status_code == 200
    async with chromium() as browser, operator_page(browser, f"{server.url}/counter/tegal/1") as page:
        await sign_in(page)
        await connected(page)
        none = "Belum ada tiket yang dipanggil."
        await expect(page.locator("#current-label")).to_have_text(none)
        async with calls_held_then_failed(server) as release:
            call = asyncio.create_task(server.command(op, "1", "call_next"))
            await eventually(lambda: server.ctx.state("tegal").counters["1"].current is not None, "the call decided")
            await page.reload()  # a fresh snapshot, in the window
            await connected(page)
            await expect(page.locator("#current-label")).to_have_text("A-001")
            await release()
            assert (await call).status_code == 503
        await expect(page.locator("#current-label")).to_have_text(none, timeout=WAIT_MS)
        await expect(page.locator("#waiting li[data-service=ktp] strong")).to_have_text("1")
        assert await page.is_disabled("#btn-recall") and await page.is_disabled("#btn-start-finish"), (
            "nothing to act on"
        )
