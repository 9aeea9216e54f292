"""The command pipeline under a real storage failure: nothing changes, nothing is published, and it recovers."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect

from queue_server.domain.events import Event
from queue_server.persistence.storage import Batch, Storage

from .helpers import KIOSK, LOBBY, Server, bearer, eventually

BOTH_DATABASES = True  # every test here that uses a server runs on SQLite and on PostgreSQL (conftest.py)


async def _fail_writes(server: Server, on: bool) -> None:
    """A real database error inside the transaction, as a full disk or a broken file would give."""
    storage = server.ctx.storage
    if storage.shared:  # PostgreSQL
        if on:
            await storage.execute("CREATE FUNCTION fail() RETURNS trigger LANGUAGE plpgsql AS "
                                  "$$ BEGIN RAISE EXCEPTION 'simulated disk failure'; END $$")  # fmt: skip
            await storage.execute(
                "CREATE TRIGGER fail_events BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION fail()"
            )
        else:
            await storage.execute("DROP TRIGGER fail_events ON events")
            await storage.execute("DROP FUNCTION fail()")
    elif on:
        await storage.execute("CREATE TRIGGER fail_events BEFORE INSERT ON events BEGIN "
                              "SELECT RAISE(ABORT, 'simulated disk failure'); END")  # fmt: skip
    else:
        await storage.execute("DROP TRIGGER fail_events")


async def test_failed_write_changes_nothing_publishes_nothing_and_recovers(server: Server) -> None:
    first = await server.issue("ktp")
    async with connect(server.ws_url) as ws:
        await ws.send(json.dumps({"type": "hello", "role": "display", "site": "tegal", "token": LOBBY}))
        assert json.loads(await ws.recv())["type"] == "welcome"
        assert json.loads(await ws.recv())["type"] == "snapshot"
        seq_before = server.ctx.storage.last_seq
        await _fail_writes(server, True)
        r = await server.http.post("/api/v1/sites/tegal/tickets", json={"service": "ktp"}, headers=bearer(KIOSK))
        assert r.status_code == 503 and r.json()["error"]["code"] == "storage_unavailable"
        assert server.ctx.storage.last_seq == seq_before
        state = server.ctx.state("tegal")
        assert [t.label for t in state.tickets.values()] == ["A-001"], "in-memory state was restored"
        await _fail_writes(server, False)
        second = await server.issue("ktp")
        assert second["ticket"]["label"] == "A-002", "the failed attempt consumed no number"
        # The site's screens are given the state read back (one may have been shown the lost ticket): what is
        # stored; then the ticket after it.
        frame = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert frame["type"] == "snapshot" and [t["label"] for t in frame["data"]["tickets"]] == ["A-001"], frame
        frame = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert frame["type"] == "ticket.issued" and frame["data"]["ticket"]["label"] == "A-002"
        assert frame["seq"] > seq_before, "nothing of the failed write was ever sent"
        if not server.ctx.storage.shared:  # PostgreSQL's sequence does not give back a number a rollback took
            assert frame["seq"] == seq_before + 1
    assert first["ticket"]["label"] == "A-001"


async def test_a_label_twice_in_a_day_is_refused_by_the_database_if_the_domain_lets_it_pass(server: Server) -> None:
    """Migration 0014's unique index of (site, day, label): a bug that got past the domain (here, Kartu Identitas
    Anak given Kartu Keluarga's letter B behind its back, as a release before the letter check let a configuration
    do) issues B-001 a second time; the write is refused whole, nothing of it is stored or sent, the state is read
    back from the database (the letter D again) and issuing goes on."""
    assert (await server.issue("kk"))["ticket"]["label"] == "B-001"
    state = server.ctx.state("tegal")
    services = state.site.services
    state.site = replace(state.site, services={**services, "kia": replace(services["kia"], prefix="B")})
    seq_before = server.ctx.storage.last_seq
    r = await server.http.post("/api/v1/sites/tegal/tickets", json={"service": "kia"}, headers=bearer(KIOSK))
    assert r.status_code == 503 and r.json()["error"]["code"] == "storage_unavailable", r.text
    stored = await server.ctx.storage.query("SELECT label, series FROM tickets ORDER BY series")
    assert [tuple(row) for row in stored] == [("B-001", "kk")]
    assert server.ctx.state("tegal").site.services["kia"].prefix == "D", "the state read back from the database"
    if not server.ctx.storage.shared:
        assert server.ctx.storage.last_seq == seq_before
    assert (await server.issue("kia"))["ticket"]["label"] == "D-001"


async def test_after_a_failed_write_and_a_failed_reload_nothing_is_decided_until_the_state_is_read_back(
    server: Server,
) -> None:
    """An outside review (PostgreSQL restarted mid-traffic; a migration holding a table): a write failed, the reload
    after it failed too, and the process went on deciding on a state holding what never reached the database: a call
    nobody made (the counter then refused its next call, 409 counter_busy), the next ticket's number after ones that
    exist nowhere. Now every command is refused until the state is read back; then it goes on from what is stored."""
    storage = server.ctx.storage
    op = await server.login("op-disdukcapil")
    assert (await server.issue("ktp"))["ticket"]["label"] == "A-001"
    assert (await server.command(op, "1", "open")).status_code == 200
    await _fail_writes(server, True)
    await storage.execute("ALTER TABLE bookings RENAME TO bookings_away")  # and the reload's read fails too
    try:
        r = await server.command(op, "1", "call_next")
        assert r.status_code == 503 and r.json()["error"]["code"] == "storage_unavailable", r.text
        r = await server.http.post("/api/v1/sites/tegal/tickets", json={"service": "ktp"}, headers=bearer(KIOSK))
        assert r.status_code == 503 and r.json()["error"]["code"] == "storage_unavailable", r.text
        r = await server.command(op, "1", "call_next")
        assert r.status_code == 503, "not decided on the state the failed write left"
    finally:
        await storage.execute("ALTER TABLE bookings_away RENAME TO bookings")
        await _fail_writes(server, False)

    async def once_read_back(send: Callable[[], Awaitable[httpx.Response]]) -> httpx.Response:
        for _ in range(200):  # a reload is tried again every second; 503 until then, with nothing changed
            r = await send()
            if r.status_code != 503:
                return r
            await asyncio.sleep(0.1)
        raise AssertionError("the state was never read back")

    r = await once_read_back(lambda: server.command(op, "1", "call_next"))
    assert r.status_code == 200 and r.json()["ticket"]["label"] == "A-001", r.text
    assert (await server.issue("ktp"))["ticket"]["label"] == "A-002", "no number after tickets that exist nowhere"
    stored = await storage.query("SELECT label, state FROM tickets ORDER BY label")
    held = sorted((t.label, t.state.value) for t in server.ctx.state("tegal").tickets.values())
    assert [tuple(row) for row in stored] == held == [("A-001", "called"), ("A-002", "waiting")]


async def _labels_become(server: Server, labels: list[str]) -> None:
    state = server.ctx.state("tegal")
    await eventually(lambda: [t.label for t in state.tickets.values()] == labels, f"the engine reached {labels}")


@pytest.mark.sqlite_only  # the SQLite pipeline: decided while the previous batch is written
async def test_a_failed_write_also_refuses_the_batch_decided_on_top_of_it(server: Server) -> None:
    """The engine decides new commands while batch N is being written. If N then fails, they were decided on a
    state that never reached the disk (the number after N's): they must fail too, or numbers would have a gap."""
    storage = server.ctx.storage
    assert (await server.issue("ktp"))["ticket"]["label"] == "A-001"
    await storage.execute("CREATE TRIGGER fail_a002 BEFORE INSERT ON events WHEN NEW.data LIKE '%\"A-002\"%' "
                          "BEGIN SELECT RAISE(ABORT, 'simulated disk failure'); END")  # fmt: skip
    # Another connection holds the database's write lock, as a backup or a sqlite3 shell would: the engine's
    # writes wait for it (busy timeout), so batches pile up behind the first one.
    holder = sqlite3.connect(server.config.database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        post = server.http.post
        first = asyncio.create_task(post("/api/v1/sites/tegal/tickets", json={"service": "ktp"}, headers=bearer(KIOSK)))
        await _labels_become(server, ["A-001", "A-002"])  # decided, its write waiting for the lock
        second = asyncio.create_task(
            post("/api/v1/sites/tegal/tickets", json={"service": "ktp"}, headers=bearer(KIOSK))
        )
        await _labels_become(server, ["A-001", "A-002", "A-003"])  # decided on top of the write still pending
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    answers = [await first, await second]
    assert [r.status_code for r in answers] == [503, 503], [r.text for r in answers]
    assert [t.label for t in server.ctx.state("tegal").tickets.values()] == ["A-001"]
    await storage.execute("DROP TRIGGER fail_a002")
    assert (await server.issue("ktp"))["ticket"]["label"] == "A-002", "the refused batches consumed no number"
    stored = await storage.query("SELECT label FROM tickets ORDER BY number")
    assert [row[0] for row in stored] == ["A-001", "A-002"]
    issued = [
        e.data["ticket"]["label"] for e in await storage.events_after("tegal", 0, 100) if e.type == "ticket.issued"
    ]
    assert issued == ["A-001", "A-002"]


@pytest.mark.sqlite_only  # the SQLite pipeline: decided while the previous batch is written
async def test_a_batch_decided_while_the_state_is_being_reloaded_is_refused(server: Server) -> None:
    """After a failed write the state is reloaded from the database, which takes awaits; meanwhile the writer task
    can decide the next batch on the old state (still holding the lost ticket's number). That batch must be
    refused, not pass for one decided on the reloaded state."""
    engine, storage = server.ctx.engine, server.ctx.storage
    assert (await server.issue("ktp"))["ticket"]["label"] == "A-001"
    await storage.execute("CREATE TRIGGER fail_a002 BEFORE INSERT ON events WHEN NEW.data LIKE '%\"A-002\"%' "
                          "BEGIN SELECT RAISE(ABORT, 'simulated disk failure'); END")  # fmt: skip
    reloading, gate = asyncio.Event(), asyncio.Event()
    reload = engine._load  # noqa: SLF001 - held open to decide the next batch at the dangerous moment

    async def slow_reload() -> None:
        reloading.set()
        await gate.wait()
        await reload()

    engine._load = slow_reload  # noqa: SLF001
    try:
        post = server.http.post
        first = asyncio.create_task(post("/api/v1/sites/tegal/tickets", json={"service": "ktp"}, headers=bearer(KIOSK)))
        await asyncio.wait_for(reloading.wait(), 5)  # the write of A-002 failed; the reload waits at the gate
        second = asyncio.create_task(
            post("/api/v1/sites/tegal/tickets", json={"service": "ktp"}, headers=bearer(KIOSK))
        )
        await _labels_become(server, ["A-001", "A-002", "A-003"])  # decided on the old state
    finally:
        gate.set()
    answers = [await first, await second]
    engine._load = reload  # noqa: SLF001
    assert [r.status_code for r in answers] == [503, 503], [r.text for r in answers]
    await storage.execute("DROP TRIGGER fail_a002")
    assert (await server.issue("ktp"))["ticket"]["label"] == "A-002", "no gap in the numbers"


@pytest.mark.sqlite_only  # the SQLite pipeline: decided while the previous batch is written
async def test_a_batch_decided_while_the_reloaded_state_is_still_being_read_leaves_nothing_in_it(
    server: Server,
) -> None:
    """The reload reads each site's day in turn, with awaits after the site's new state was put in place (its newest
    event, its service history). A batch the writer decided then landed on the NEW state while still counting as
    decided before the reload: refused (503), yet its ticket stayed in the state, so the next ticket skipped its
    number and every screen's snapshot showed a ticket that exists nowhere. Now the states are swapped in and the
    generation moves on in one step, once all is read: what is decided meanwhile lands on the old state, discarded."""
    storage = server.ctx.storage
    assert (await server.issue("ktp"))["ticket"]["label"] == "A-001"
    await storage.execute("CREATE TRIGGER fail_a002 BEFORE INSERT ON events WHEN NEW.data LIKE '%\"A-002\"%' "
                          "BEGIN SELECT RAISE(ABORT, 'simulated disk failure'); END")  # fmt: skip
    reading, gate = asyncio.Event(), asyncio.Event()
    history = storage.service_history

    async def slow_history(*args: Any, **kwargs: Any) -> Any:  # the real read, once the test has decided a batch
        reading.set()
        await gate.wait()
        return await history(*args, **kwargs)

    post = server.http.post
    storage.service_history = slow_history
    try:
        first = asyncio.create_task(post("/api/v1/sites/tegal/tickets", json={"service": "ktp"}, headers=bearer(KIOSK)))
        await asyncio.wait_for(reading.wait(), 10)  # the write of A-002 failed; the reload reads the site's history
        second = asyncio.create_task(
            post("/api/v1/sites/tegal/tickets", json={"service": "ktp"}, headers=bearer(KIOSK))
        )
        engine = server.ctx.engine  # decided and applied, waiting for the write under way to end:
        await eventually(lambda: engine._unwritten, "the second ticket decided")  # noqa: SLF001
    finally:
        gate.set()
    answers = [await first, await second]
    del storage.service_history
    assert [r.status_code for r in answers] == [503, 503], [r.text for r in answers]
    assert [t.label for t in server.ctx.state("tegal").tickets.values()] == ["A-001"], "nothing but what is stored"
    await storage.execute("DROP TRIGGER fail_a002")
    assert (await server.issue("ktp"))["ticket"]["label"] == "A-002", "no gap in the numbers"


@pytest.mark.sqlite_only  # the SQLite pipeline: decided while the previous batch is written
async def test_commands_arriving_during_a_write_go_together_into_the_next_one(server: Server) -> None:
    """Group commit: what is decided while a transaction is being written waits for the next transaction, all of
    it together, which starts as soon as the first ends (not one transaction per command, not two writes away)."""
    engine = server.ctx.engine
    written: list[list[str]] = []
    write = engine.storage.write

    async def recording_write(batch: Batch) -> list[Event]:
        numbered = await write(batch)  # the real write; only what it wrote is noted
        written.append([e.data["ticket"]["label"] for e in numbered])
        return numbered

    engine.storage.write = recording_write  # type: ignore[method-assign]
    holder = sqlite3.connect(server.config.database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # the first write waits for this lock (busy timeout)
    try:
        post = server.http.post
        first = asyncio.create_task(post("/api/v1/sites/tegal/tickets", json={"service": "ktp"}, headers=bearer(KIOSK)))
        await _labels_become(server, ["A-001"])
        later = []
        for n in range(2, 7):  # one after another, each decided at once while the first write still waits
            later.append(
                asyncio.create_task(post("/api/v1/sites/tegal/tickets", json={"service": "ktp"}, headers=bearer(KIOSK)))
            )
            await _labels_become(server, [f"A-{i:03d}" for i in range(1, n + 1)])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    answers = [await first, *[await task for task in later]]
    del engine.storage.write
    assert [r.status_code for r in answers] == [201] * 6, [r.text for r in answers]
    assert written == [["A-001"], ["A-002", "A-003", "A-004", "A-005", "A-006"]]
    stored = await engine.storage.query("SELECT label FROM tickets ORDER BY number")
    assert [row[0] for row in stored] == ["A-001", "A-002", "A-003", "A-004", "A-005", "A-006"]


async def test_unique_index_refuses_a_duplicate_number(tmp_path: Path) -> None:
    storage = Storage(tmp_path / "db.sqlite3")
    await storage.open()
    try:
        ticket = {"id": "t1", "site": "s", "service": "ktp", "agency": "a", "series": "ktp", "day": "2026-11-23",
                  "number": 1, "label": "A-001", "state": "waiting", "priority": None, "channel": "kiosk",
                  "token": "tok1", "issued_at": "2026-11-23T02:00:00+00:00", "queue_key": "2026-11-23T02:00:00+00:00",
                  "called_at": None, "started_at": None, "finished_at": None, "counter": None, "recalls": 0,
                  "parent": None, "note": None}  # fmt: skip
        from datetime import UTC, datetime

        at = datetime(2026, 11, 23, 2, tzinfo=UTC)
        await storage.write(Batch([Event("ticket.issued", "s", at, {"ticket": ticket})], []))
        clash = {**ticket, "id": "t2", "token": "tok2"}
        try:
            await storage.write(Batch([Event("ticket.issued", "s", at, {"ticket": clash})], []))
        except sqlite3.IntegrityError:
            pass
        else:
            raise AssertionError("a second ticket with the same number was stored")
        assert storage.last_seq == 1
        assert len(await storage.events_after("s", 0, 10)) == 1, "the failed batch left no event behind"
    finally:
        await storage.close()
