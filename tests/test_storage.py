"""Storage on a real SQLite file: whole batches as one transaction on the writer's thread, and WAL checkpoints
kept out of the writes (they run on a connection of their own, in the background)."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from queue_server.domain.events import Event
from queue_server.storage import Batch, Storage

AT = datetime(2026, 11, 23, 2, tzinfo=UTC)


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
        await asyncio.sleep(0.3)  # a few checkpoint periods, no writes meanwhile
        # The database file alone, without its WAL, already holds every committed ticket.
        alone = tmp_path / "copy.sqlite3"
        shutil.copyfile(tmp_path / "queue.sqlite3", alone)
        con = sqlite3.connect(alone)
        try:
            assert con.execute("SELECT COUNT(*), MAX(seq) FROM events").fetchone() == (2400, 2400)
            assert con.execute("SELECT COUNT(*) FROM tickets").fetchone() == (2400,)
        finally:
            con.close()
        busy, wal_pages, done = await storage.checkpoint()
        assert busy == 0 and wal_pages == done  # nothing left to copy
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
