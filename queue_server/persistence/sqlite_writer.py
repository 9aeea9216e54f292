"""The one SQLite writer connection, in a process of its own.

Every write (and every read that must see the writes before it) is one request to this process, answered in the
order it was sent. In a thread of the server process, the writer and the event loop fought over the GIL: the
sqlite3 module lets go of it while SQLite works and must get it back from a loop that is busy answering HTTP,
so a batch's 1.5 ms of work took 3-4 ms, and the loop in turn waited for the writer's Python work. As a process,
the writer holds no lock the loop needs; a batch costs the loop one pickled message each way.

Requests and answers are pickled frames with a 4-byte length, on the child's stdin and stdout. The child stops
when its stdin closes, so it never outlives the server (also after SIGKILL: the kernel closes the pipe); on Linux
it also asks to be killed with its parent. A transaction the server never saw answered was never acknowledged to
anyone, so stopping mid-transaction loses nothing that was promised.

The child also keeps the WAL in check (see _Checkpointer): a passive checkpoint every second on a connection
of its own, and, when the WAL has grown large, one more by the writer itself between two transactions.

The child creates the schema, or migrates it to this code's version, when it opens the database (schema.py):
the one place that does.

This module is imported by the child: it needs nothing but the standard library (and schema.py, likewise).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import logging
import os
import pickle
import signal
import sqlite3
import struct
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any, BinaryIO

from queue_server.persistence import schema

log = logging.getLogger(__name__)
_LENGTH = struct.Struct(">I")
WAL_SIZE_LIMIT = 64 * 1024 * 1024  # after a checkpoint, a WAL file larger than this is truncated back to it
TAIL_INTERVAL = 0.05  # seconds between two checkpoints by the writer itself (see _Checkpointer)


class WriterProcessError(sqlite3.OperationalError):
    """The writer process is gone (killed, crashed); nothing of the request in flight was acknowledged."""


class WriterProcess:
    """The server's side: start the child, send it requests, await its answers in order."""

    def __init__(self, path: str, synchronous: str, *, checkpoint_seconds: float, wal_restart_pages: int) -> None:
        self._open_args = (path, synchronous, checkpoint_seconds, wal_restart_pages)
        self.migrated: schema.Outcome | None = None  # what the last start found and applied (schema.migrate)
        self._proc: asyncio.subprocess.Process | None = None
        self._pending: collections.deque[asyncio.Future[Any]] = collections.deque()
        self._reader_task: asyncio.Task[None] | None = None
        self._starting = asyncio.Lock()

    async def start(self) -> None:
        async with self._starting:
            if self._proc is not None:
                return
            for attempt in range(2):
                # A session of its own: a Ctrl+C in the terminal, sent to the server's process group, does not
                # reach it. It ignores one once it runs (main), but one in the half second it takes to load killed
                # it, with a traceback, and the server's start with it (an installer's walk). Between its fork and
                # its own session a Ctrl+C still reaches it: the server's signal, which stops the server once
                # started (uvicorn holds it), so the writer is made once more.
                proc = self._proc = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "queue_server.persistence.sqlite_writer", stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE, limit=2**20, start_new_session=True,
                )  # fmt: skip
                self._reader_task = asyncio.create_task(self._read_answers(proc), name="sqlite-writer-answers")
                try:
                    self.migrated = await self._send(proc, ("open", self._open_args))
                    return
                except WriterProcessError:
                    await self._kill()
                    if attempt or proc.returncode not in (-signal.SIGINT, -signal.SIGTERM):
                        raise
                except BaseException:
                    await self._kill()
                    raise

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs (`ps` shows it as queue_server.persistence.sqlite_writer)."""
        return self._proc.pid if self._proc is not None and self._proc.returncode is None else None

    async def call(self, op: str, *args: Any) -> Any:
        """Run one operation ("transaction", "statements", "fetch_one", "fetch_all", "execute", "write_one",
        "checkpoint") in the writer."""
        if self._proc is None:
            await self.start()  # first use, or the child died: a new one (the database is the same)
        assert self._proc is not None
        return await self._send(self._proc, (op, args))

    async def close(self) -> None:
        proc = self._proc
        if proc is None:
            return
        with contextlib.suppress(WriterProcessError):
            await self._send(proc, ("close", ()))
        if proc.stdin is not None:
            proc.stdin.close()
        await proc.wait()
        if self._reader_task is not None:
            await self._reader_task
        self._proc = self._reader_task = None

    async def _send(self, proc: asyncio.subprocess.Process, request: tuple[str, tuple[Any, ...]]) -> Any:
        assert proc.stdin is not None
        if proc.returncode is not None or proc.stdin.is_closing():
            raise WriterProcessError("the database writer process has stopped")
        payload = pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending.append(future)
        proc.stdin.write(_LENGTH.pack(len(payload)) + payload)  # one write: frames never interleave
        try:
            await proc.stdin.drain()
        except ConnectionError as exc:  # BrokenPipeError among them: the child is gone
            future.cancel()  # still in the queue of answers, in its place; nobody waits for it
            raise WriterProcessError(f"the database writer process has stopped: {exc}") from None
        return await future

    async def _read_answers(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None
        try:
            while True:
                (size,) = _LENGTH.unpack(await proc.stdout.readexactly(_LENGTH.size))
                ok, value = pickle.loads(await proc.stdout.readexactly(size))  # noqa: S301 - our own child, a private pipe
                future = self._pending.popleft()
                if future.done():
                    continue
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the child is gone
        except Exception:  # an answer that cannot be read: the two sides no longer agree, start again
            log.exception("unreadable answer from the database writer process; stopping it")
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
        code = await proc.wait()
        if self._proc is proc:
            self._proc = None
        while self._pending:
            future = self._pending.popleft()
            if not future.done():
                future.set_exception(WriterProcessError(f"the database writer process ended (exit code {code})"))

    async def _kill(self) -> None:
        if self._proc is not None:
            with contextlib.suppress(ProcessLookupError):
                self._proc.kill()
            await self._proc.wait()
        self._proc = None


# --- the child ---------------------------------------------------------------------------------------------


def main() -> None:
    _die_with_parent()
    # systemd's stop (KillMode=control-group) signals every process of the service, this one too (a Ctrl+C in the
    # terminal does not: it runs in a session of its own, see start). The writer must not die first: the server
    # finishes its last transaction and answers its callers, then closes this process's stdin, which is the one way
    # it ends (and if the server is killed, the kernel ends it).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    requests = sys.stdin.buffer
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    sys.stdout = sys.stderr  # nothing but answers may reach the pipe
    conn: sqlite3.Connection | None = None
    checkpointer: _Checkpointer | None = None
    while True:
        request = _read_frame(requests)
        if request is None:
            break
        op, args = request
        try:
            if op == "open":
                path, synchronous, checkpoint_seconds, wal_restart_pages = args
                conn, migrated = _open(path, synchronous)
                checkpointer = _Checkpointer(path, checkpoint_seconds, wal_restart_pages)
                value: Any = migrated
            elif op == "close":
                value = None
            elif conn is None:
                raise sqlite3.OperationalError("the writer connection is not open")
            else:
                value = _OPERATIONS[op](conn, *args)
            answer = (True, value)
        except Exception as exc:
            answer = (False, _picklable(exc))
        payload = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        answers.write(_LENGTH.pack(len(payload)) + payload)
        answers.flush()
        if op == "close":
            break
        if conn is not None and checkpointer is not None and checkpointer.tail_wanted.is_set():
            checkpointer.checkpoint_tail(conn)  # after the answer: nobody waits for it
    if checkpointer is not None:
        checkpointer.stop()
    if conn is not None:
        conn.close()


class _Checkpointer:
    """Copies the WAL back into the database file, never inside a transaction and never holding the writer up.

    A thread of the writer process runs a PASSIVE checkpoint every `period` seconds on a connection of its own
    (with the fsync of the database file). SQLite starts the WAL over from its beginning only when a write
    begins after a checkpoint that copied every frame, which a checkpoint running beside a writer that never
    pauses never does: under the issuing benchmark the WAL grew to 1.3 GB in a minute. So when the WAL holds more
    than `restart_pages`, the thread makes a second pass at once and the writer itself, between two
    transactions (no other writer can add frames then), runs one more passive checkpoint; the next transaction
    starts the WAL over. The writer's pass costs about 2.5 us per frame in the WAL, even with only the last few
    milliseconds left to copy (17-29 ms at ~8,000 frames, >100 ms at ~33,000: the p99 of issuing), so the WAL is
    kept small instead: a pass every 0.1 s and a restart at 1,024 frames (4 MiB) make it a few milliseconds.
    A RESTART checkpoint from another connection did the same but held the writer's next BEGIN back in SQLite's
    busy handler (sleeps of up to 25 ms) on top."""

    def __init__(self, path: str, period: float, restart_pages: int) -> None:
        self.period = period
        self.restart_pages = restart_pages
        self.tail_wanted = threading.Event()
        self._last_tail = 0.0
        self._stopping = threading.Event()
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._conn.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
        self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopping.wait(self.period):
            try:
                _busy, wal_pages, _done = self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            except sqlite3.Error as exc:  # a full disk, say: the WAL keeps every commit meanwhile; try again later
                print(f"WAL checkpoint failed: {exc}", file=sys.stderr, flush=True)
                continue
            if wal_pages > self.restart_pages:
                # Once more at once: the first pass copied up to a second of frames, this one only what came
                # in meanwhile, so the writer's own pass below has next to nothing left to copy.
                with contextlib.suppress(sqlite3.Error):
                    self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                self.tail_wanted.set()

    def checkpoint_tail(self, conn: sqlite3.Connection) -> None:
        now = time.monotonic()
        if now - self._last_tail < TAIL_INTERVAL:
            return  # a reader still holds frames back: no need to try after every transaction
        self._last_tail = now
        try:
            busy, wal_pages, done = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error:
            return  # tried again after the next transaction
        if not busy and done == wal_pages:
            self.tail_wanted.clear()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()
        self._conn.close()


def _read_frame(stream: BinaryIO) -> Any:
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        return None  # the server closed the pipe, or is gone
    (size,) = _LENGTH.unpack(head)
    body = stream.read(size)
    return pickle.loads(body) if len(body) == size else None  # noqa: S301 - from the server, a private pipe


def _picklable(exc: Exception) -> Exception:
    try:
        pickle.loads(pickle.dumps(exc))  # noqa: S301 - our own bytes
    except Exception:
        return sqlite3.OperationalError(f"{type(exc).__name__}: {exc}")
    return exc


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        with contextlib.suppress(Exception):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _open(path: str, synchronous: str) -> tuple[sqlite3.Connection, schema.Outcome]:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={synchronous}")
        conn.execute("PRAGMA busy_timeout=5000")
        conn.execute("PRAGMA wal_autocheckpoint=0")  # _Checkpointer does it, never inside a transaction
        conn.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
        migrated = schema.migrate(conn)
    except BaseException:
        conn.close()
        raise
    return conn, migrated


def _transaction(conn: sqlite3.Connection, statements: list[tuple[str, list[tuple[Any, ...]]]]) -> None:
    """One transaction: all of it, or (on any error) none of it. Rows go in as multi-row INSERTs: a few
    statements per table instead of one per row."""
    with _immediate(conn):
        limit = conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        for sql, rows in statements:
            per_statement = max(1, limit // len(rows[0]))
            for start in range(0, len(rows), per_statement):
                chunk = rows[start : start + per_statement]
                conn.execute(_multi_row(sql, len(chunk)), [value for row in chunk for value in row])


def _statements(conn: sqlite3.Connection, statements: list[tuple[str, list[tuple[Any, ...]]]]) -> None:
    """Any statements (UPDATE, DELETE ...), each run once per row, in one transaction."""
    with _immediate(conn):
        for sql, rows in statements:
            conn.executemany(sql, rows)


@contextlib.contextmanager
def _immediate(conn: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):  # the failed statement may already have ended the transaction
            conn.execute("ROLLBACK")
        raise


@functools.lru_cache(maxsize=512)
def _multi_row(sql: str, rows: int) -> str:
    """`INSERT ... VALUES (?,?) [tail]` for one row -> the same statement with `rows` rows of placeholders."""
    head, _, rest = sql.partition("VALUES ")
    end = rest.index(")") + 1
    return f"{head}VALUES {','.join([rest[:end]] * rows)}{rest[end:]}"


def _execute(conn: sqlite3.Connection, sql: str, params: Sequence[Any]) -> int:
    with _immediate(conn):
        return conn.execute(sql, params).lastrowid or 0


def _fetch_one(conn: sqlite3.Connection, sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
    row = conn.execute(sql, params).fetchone()
    return tuple(row) if row is not None else None


def _write_one(conn: sqlite3.Connection, sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
    """A write returning a row (`UPDATE ... RETURNING`): read to its end inside its own transaction, so it is
    committed before the answer (a statement left unfinished would hold the transaction open)."""
    with _immediate(conn):
        rows = conn.execute(sql, params).fetchall()
    return tuple(rows[0]) if rows else None


def _fetch_all(conn: sqlite3.Connection, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in conn.execute(sql, params).fetchall()]


def _checkpoint(conn: sqlite3.Connection, mode: str) -> tuple[int, int, int]:
    if mode not in ("PASSIVE", "FULL", "RESTART", "TRUNCATE"):
        raise ValueError(f"unknown checkpoint mode {mode!r}")
    busy, wal_pages, done = conn.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
    return int(busy), int(wal_pages), int(done)


_OPERATIONS: dict[str, Any] = {
    "checkpoint": _checkpoint,
    "transaction": _transaction,
    "statements": _statements,
    "execute": _execute,
    "fetch_one": _fetch_one,
    "fetch_all": _fetch_all,
    "write_one": _write_one,
}


if __name__ == "__main__":
    main()
