"""Storage on a real SQLite file: whole batches as one transaction in the writer process, WAL checkpoints kept out
of the writes (they run on a connection of their own, in the background), and a writer process that dies. The
background work is waited for, with limits only a broken mechanism reaches: these tests assert what happens, not how
soon on a busy machine."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from queue_server.domain.events import Event
from queue_server.persistence.storage import Batch, Storage

from .helpers import eventually, running_server

AT = datetime(2026, 11, 23, 2, tzinfo=UTC)
PATIENCE = 60.0  # seconds: the longest anything here is waited for


def _database_file_alone_holds(tmp_path: Path, tickets: int) -> bool:
    """Whether a copy of the database file, without its WAL, holds every ticket and event committed."""
    alone = tmp_path / "copy.sqlite3"
    shutil.copyfile(tmp_path / "queue.sqlite3", alone)
    con = sqlite3.connect(alone)
    try:
        events = con.execute("SELECT COUNT(*), MAX(seq) FROM events").fetchone()
        rows = con.execute("SELECT COUNT(*) FROM tickets").fetchone()
        return bool(events == (tickets, tickets) and rows == (tickets,))
    except sqlite3.DatabaseError:  # copied while a checkpoint was writing it
        return False
    finally:
        con.close()
        alone.unlink()


def _wal_restarts(wal: Path) -> int:
    """How many times SQLite has started this WAL over from its beginning: the checkpoint sequence number of the WAL
    header (bytes 12-15, big-endian), which each restart increments (sqlite.org/fileformat.html#wal_file_format)."""
    try:
        with open(wal, "rb") as f:
            header = f.read(16)
    except FileNotFoundError:
        return 0
    return int.from_bytes(header[12:16], "big") if len(header) == 16 else 0


def issued(n: int) -> Event:
    ticket: dict[str, Any] = {
        "id": f"t{n}", "site": "tegal", "service": "pkb", "agency": "samsat", "series": "pkb", "day": "2026-11-23",
        "number": n, "label": f"C-{n:03d}", "state": "waiting", "priority": None, "channel": "kiosk",
        "token": f"token-{n}", "issued_at": AT.isoformat(), "queue_key": AT.isoformat(), "called_at": None,
        "started_at": None, "finished_at": None, "counter": None, "recalls": 0, "parent": None, "note": None,
    }  # fmt: skip
    return Event("ticket.issued", "tegal", AT, {"ticket": ticket})


async def test_checkpoints_copy_the_wal_into_the_database_file_in_the_background(tmp_path: Path) -> None:
    storage = Storage(tmp_path / "queue.sqlite3", checkpoint_seconds=0.05)
    await storage.open()
    try:
        assert await storage.fetch_one("PRAGMA wal_autocheckpoint") == (0,)  # never inside a write
        for batch in range(120):  # ~2,000 pages of WAL: SQLite's own checkpoint would have run inside writes
            numbered = await storage.write(Batch([issued(batch * 20 + i) for i in range(20)], []))
            assert [e.seq for e in numbered] == list(range(batch * 20 + 1, batch * 20 + 21))
        # No writes from now on: the background checkpoint catches up, and then the database file alone, without
        # its WAL, holds every committed ticket.
        await eventually(
            lambda: _database_file_alone_holds(tmp_path, 2400),
            "the database file caught up with the WAL",
            seconds=PATIENCE,
        )
        deadline = time.monotonic() + PATIENCE
        while (result := await storage.checkpoint())[0]:  # busy: the background one held the lock at that moment
            assert time.monotonic() < deadline, "a checkpoint never got the lock"
            await asyncio.sleep(0.01)
        _busy, wal_pages, done = result
        assert wal_pages == done  # nothing left to copy
    finally:
        await storage.close()
    assert not (tmp_path / "queue.sqlite3-wal").exists() or (tmp_path / "queue.sqlite3-wal").stat().st_size == 0


async def test_a_batch_is_all_or_nothing_even_when_it_is_split_into_several_statements(tmp_path: Path) -> None:
    """More rows than fit one statement's variables: several INSERTs, still one transaction."""
    storage = Storage(tmp_path / "queue.sqlite3")
    await storage.open()
    try:
        limit = sqlite3.connect(":memory:").getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        rows = limit // 20 + 50  # tickets have 20 columns: this needs two statements
        await storage.write(Batch([issued(n) for n in range(rows)], []))
        assert await storage.fetch_one("SELECT COUNT(*) FROM tickets") == (rows,)
        # The same ids again, and one duplicate ticket number at the very end: the unique index refuses it and
        # nothing of the batch stays, neither the events nor the ticket updates of the first statement.
        again = [issued(n) for n in range(rows)]
        duplicate = issued(rows + 1)
        duplicate.data["ticket"]["number"] = 0
        before = storage.last_seq
        try:
            await storage.write(Batch([*again, duplicate], []))
        except sqlite3.IntegrityError:
            pass
        else:
            raise AssertionError("a duplicate number was written")
        assert storage.last_seq == before
        assert await storage.fetch_one("SELECT COUNT(*), MAX(seq) FROM events") == (rows, rows)
        assert await storage.fetch_one("SELECT COUNT(*) FROM tickets WHERE seq > ?", (rows,)) == (0,)
    finally:
        await storage.close()


async def test_the_wal_starts_over_under_a_steady_stream_of_writes(tmp_path: Path) -> None:
    """A passive checkpoint never catches up with a writer that never pauses, and SQLite only starts the WAL over
    from its beginning after one has: the WAL grew to 1.3 GB before. Now the writer itself checkpoints between two
    transactions once the WAL is large, and the next transaction starts it over. How many batches that takes depends
    on when the checkpoint thread gets to run, so the WAL's size is not asserted, only that it keeps starting over
    while the writes go on back to back, and that an idle moment lets it start over too."""
    storage = Storage(tmp_path / "queue.sqlite3", checkpoint_seconds=0.02, wal_restart_pages=256)
    wal = tmp_path / "queue.sqlite3-wal"
    await storage.open()
    try:
        batches = 0
        # Without the writer's own checkpoint the WAL started over about once in 1,200 batches here; with it, every
        # 20 to 130 batches (more often on a busy machine, where the writes pause while the test waits for a CPU).
        while _wal_restarts(wal) < 3:
            assert batches < 2000, f"the WAL started over only {_wal_restarts(wal)} times in {batches} batches"
            await storage.write(Batch([issued(batches * 20 + i) for i in range(20)], []))
            batches += 1
        assert await storage.fetch_one("SELECT COUNT(*) FROM tickets") == (batches * 20,)

        # Idle: the background checkpoint copies the whole WAL, and the next write goes to its beginning, so the
        # file does not grow. (A write that comes before that appends, and the next idle moment is awaited.)
        before, deadline = _wal_restarts(wal), time.monotonic() + PATIENCE
        while True:
            await asyncio.sleep(0.1)  # five checkpoint periods without a write
            size = wal.stat().st_size
            await storage.write(Batch([issued(batches * 20)], []))
            batches += 1
            if _wal_restarts(wal) > before:
                break
            assert time.monotonic() < deadline, "the WAL never started over after the writer went idle"
        assert wal.stat().st_size <= size
    finally:
        await storage.close()


async def test_the_writer_is_a_process_of_its_own_and_a_new_one_takes_over_if_it_dies(tmp_path: Path) -> None:
    storage = Storage(tmp_path / "queue.sqlite3")
    await storage.open()
    try:
        first = storage.writer.pid
        assert first is not None and first != os.getpid()
        await storage.write(Batch([issued(1)], []))
        os.kill(first, signal.SIGKILL)  # a crash, or the OOM killer
        await eventually(
            lambda: storage.writer.pid is None, "the server noticed that its writer died", seconds=PATIENCE
        )
        numbered = await storage.write(Batch([issued(2)], []))  # a new writer process, the same database
        assert storage.writer.pid not in (None, first)
        assert [e.seq for e in numbered] == [2]
        assert await storage.fetch_all("SELECT label FROM tickets ORDER BY number") == [("C-001",), ("C-002",)]
    finally:
        await storage.close()


async def test_a_request_in_flight_when_the_writer_dies_fails_and_nothing_half_written_remains(tmp_path: Path) -> None:
    storage = Storage(tmp_path / "queue.sqlite3")
    await storage.open()
    holder = sqlite3.connect(tmp_path / "queue.sqlite3", isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # the writer's transaction waits for this lock ...
        pending = asyncio.ensure_future(storage.write(Batch([issued(1), issued(2)], [])))
        await asyncio.sleep(0.2)
        assert not pending.done()
        pid = storage.writer.pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)  # ... and dies while waiting
        try:
            await pending
        except sqlite3.OperationalError as exc:
            assert "writer process ended" in str(exc)
        else:
            raise AssertionError("a write whose writer died was reported as done")
        holder.execute("ROLLBACK")
        assert storage.last_seq == 0
        assert (await storage.write(Batch([issued(1)], [])))[0].seq == 1
        assert await storage.fetch_all("SELECT seq FROM events") == [(1,)]
    finally:
        holder.close()
        await storage.close()


def _children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(p) for p in f.read().split()]


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_the_writer_process_does_not_outlive_a_killed_server(tmp_path: Path) -> None:
    if not Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").exists():
        pytest.skip("needs Linux's /proc to find the child process")
    script = (
        "import asyncio, sys\n"
        "from queue_server.persistence.storage import Storage\n"
        "async def main():\n"
        "    storage = Storage(sys.argv[1])\n"
        "    await storage.open()\n"
        "    print(storage.writer.pid, flush=True)\n"
        "    await asyncio.sleep(60)\n"
        "asyncio.run(main())\n"
    )
    server = subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "q.sqlite3")], stdout=subprocess.PIPE)
    try:
        assert server.stdout is not None
        writer = int(server.stdout.readline())
        assert writer in _children(server.pid)
        server.kill()  # SIGKILL: no clean-up code runs in the server
        server.wait()
        deadline = time.monotonic() + 5
        while _alive(writer) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not _alive(writer), "the writer process outlived its server"
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        if server.stdout is not None:
            server.stdout.close()


async def test_a_read_sees_every_write_answered_before_it_while_other_reads_run(tmp_path: Path) -> None:
    """A ticket answered 201 is found by its own link at once, however many reads share the reader connection:
    one read's snapshot (its SELECT stepped at execute, its rows fetched later) is never another read's. 15 of 150
    tickets were "not found" with three long reads running beside them."""
    async with running_server(tmp_path / "queue.sqlite3") as s:
        for _ in range(20):
            await s.issue("pkb")  # a service without a quota
        reading = True

        async def read_all() -> None:
            while reading:
                await s.ctx.storage.events_after("tegal", 0, 10_000)  # a replay from the start, on the reader

        readers = [asyncio.create_task(read_all()) for _ in range(3)]
        missed: list[str] = []
        try:
            for _ in range(150):
                ticket = (await s.issue("pkb"))["ticket"]
                if await s.ctx.storage.ticket_by_token(ticket["token"]) is None:
                    missed.append(ticket["label"])
        finally:
            reading = False
            await asyncio.gather(*readers)
        assert missed == []
