"""PostgreSQL that does not answer at all: paused (SIGSTOP), or a network that drops packets without a reset. A chaos
run (bench/chaos.py) saw every request wait as long as the pause lasted, and asyncpg's pool log a traceback for each
connection it failed to reopen. Now the pool, each statement and each write transaction have a deadline
(persistence/deadlines.py): a kiosk gets 503 storage_unavailable and a counter page its refusal frame while the
database is still paused, /healthz says storage_failing, and once it continues the server serves again by itself,
nothing lost or doubled. No assertion on how fast: only that the answers came before the pause was ended (each
pause ends by itself after PAUSE_SECONDS, far beyond any deadline, so a busy machine has room)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import signal
import socket
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from websockets.asyncio.client import ClientConnection

from queue_server.persistence import deadlines, postgresql
from queue_server.persistence.postgresql_storage import PostgresStorage

from .helpers import KIOSK, Server, bearer, eventually, running_server
from .pg_support import Cluster, bindir, new_database, throwaway_cluster_handle
from .test_processes import counter_page, rows

pytestmark = pytest.mark.postgresql

PAUSE_SECONDS = 90.0  # a pause ends by itself after this (the deadlines are 5-8 s; a busy machine gets the rest)


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            found += [int(child) for child in (task / "children").read_text().split()]
    return found


def cluster_pids(cluster: Cluster) -> list[int]:
    """The postmaster and every process it started (backends, checkpointer, WAL writer ...)."""
    postmaster = int((cluster.data / "postmaster.pid").read_text().split()[0])
    return [postmaster, *_children(postmaster)]


class Pause:
    """SIGSTOP of some processes of the cluster, SIGCONT after PAUSE_SECONDS or when `end()` is called, whichever
    first; `over` says whether it has ended (an answer that came while not `over` came during the pause)."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.over = False
        self._timer: asyncio.TimerHandle | None = None

    def start(self) -> None:
        for pid in self.pids:
            os.kill(pid, signal.SIGSTOP)
        self._timer = asyncio.get_running_loop().call_later(PAUSE_SECONDS, self.end)

    def end(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if not self.over:
            self.over = True
            for pid in self.pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGCONT)


@contextlib.asynccontextmanager
async def paused(pids: list[int]) -> AsyncIterator[Pause]:
    pause = Pause(pids)
    pause.start()
    try:
        yield pause
    finally:
        pause.end()


@pytest.fixture
def own_cluster() -> Iterator[Cluster]:
    """A cluster of this test's own: it is paused mid-test."""
    with throwaway_cluster_handle() as cluster:
        yield cluster


def _command(counter: str, command: str, command_id: str) -> str:
    return json.dumps({"type": "command", "command_id": command_id, "counter": counter, "command": command})


async def _answer(ws: ClientConnection, command_id: str) -> dict[str, Any]:
    """The page's answer to its command: a command_result or an error frame with its command_id."""
    while True:
        frame = json.loads(await ws.recv())
        if frame.get("command_id") == command_id and frame["type"] in ("command_result", "error"):
            return dict(frame)


async def _issue(http: httpx.AsyncClient, key: str) -> httpx.Response:
    headers = {**bearer(KIOSK), "Idempotency-Key": key}
    return await http.post("/api/v1/sites/tegal/tickets", json={"service": "ktp"}, headers=headers)


def _refused_as_unavailable(r: httpx.Response) -> None:
    assert r.status_code == 503, r.text
    error = r.json()["error"]
    assert error["code"] == "storage_unavailable", error
    assert error["message"].startswith("Penyimpanan sedang bermasalah"), error


async def _served_again(http: httpx.AsyncClient, key: str) -> httpx.Response:
    """The kiosk's retry with the same key, as its page does after a 503, until the server takes it."""
    answers: list[httpx.Response] = []

    async def taken() -> bool:
        answers.append(await _issue(http, key))
        if answers[-1].status_code != 201:
            _refused_as_unavailable(answers[-1])
        return answers[-1].status_code == 201

    await eventually(taken, "the kiosk's retry taken once PostgreSQL continues", seconds=90, every=0.5)
    return answers[-1]


async def test_postgresql_paused_is_answered_503_and_a_refusal_frame_before_it_continues(
    own_cluster: Cluster, caplog: pytest.LogCaptureFixture
) -> None:
    """The whole cluster stopped (the postmaster and its backends), as bench/chaos.py pauses it: a ticket and a
    counter's command are refused while it is still paused, /healthz says so, and after SIGCONT the retries with the
    same key and command_id are taken, each once."""
    caplog.set_level(logging.WARNING)
    database = await new_database(own_cluster.url)
    async with running_server(database) as s, httpx.AsyncClient(base_url=s.url, timeout=PAUSE_SECONDS * 2) as http:
        before = (await _issue(http, f"k-{uuid.uuid4().hex}")).json()["ticket"]["id"]
        ws = await counter_page(s, await s.login("op-disdukcapil"), "1")
        opening = f"open-{uuid.uuid4().hex}"
        await ws.send(_command("1", "open", opening))
        assert (await _answer(ws, opening))["ok"] is True
        key, calling = f"k-{uuid.uuid4().hex}", f"call-{uuid.uuid4().hex}"

        async with paused(cluster_pids(own_cluster)) as pause:
            probed = await http.get("/healthz")  # no write failed yet: its own probe's deadline says it
            await ws.send(_command("1", "call_next", calling))
            r, frame = await asyncio.gather(_issue(http, key), _answer(ws, calling))
            written = await http.get("/healthz")  # now a write's deadline has
            assert not pause.over, "answered while PostgreSQL was still paused, not once it went on"
        _refused_as_unavailable(r)
        assert frame["type"] == "error" and frame["code"] == "storage_unavailable", frame
        assert frame["message"].startswith("Penyimpanan sedang bermasalah"), frame
        for health in (probed, written):  # one cause, one kind (the probe's said TimeoutError)
            assert health.json()["status"] == "storage_failing", health.text
            assert health.json()["storage"]["error"] == "DatabaseTimeout", health.text
            _names_no_place(health.text, own_cluster)

        issued = await _served_again(http, key)
        assert (await _issue(http, key)).json()["ticket"]["id"] == issued.json()["ticket"]["id"], "the same ticket"
        called = await _retried(ws, _command("1", "call_next", calling), calling)
        assert called["ok"] is True, called
        assert called["result"]["counter"]["current"] == before, "the first in line called, once"
        await eventually(lambda: _ok(http), "/healthz says ok again", seconds=30, every=0.5)
        await ws.close()

    stored = await rows(database, "SELECT id, number FROM tickets ORDER BY number")
    assert [tid for tid, _ in stored] == [before, issued.json()["ticket"]["id"]], stored
    assert [number for _, number in stored] == [1, 2], "numbered on, none lost or doubled"
    calls = await rows(database, "SELECT count(*) FROM events WHERE type = 'ticket.called'")
    assert calls == [(1,)], "called once"
    pool_said = [r for r in caplog.records if r.name == "asyncpg.pool"]
    assert pool_said == [], [r.getMessage() for r in pool_said]
    ours = [r for r in caplog.records if "connection pool cannot open a connection" in r.getMessage()]
    assert len(ours) <= 1 and all(r.exc_info is None for r in ours), [r.getMessage() for r in ours]


async def _retried(ws: ClientConnection, command: str, command_id: str) -> dict[str, Any]:
    """The page's retries of a command refused storage_unavailable (the same command_id) until it is taken."""
    async with asyncio.timeout(PAUSE_SECONDS):
        while True:
            await ws.send(command)
            answer = await _answer(ws, command_id)
            if answer["type"] == "command_result":
                return answer
            assert answer["code"] == "storage_unavailable", answer
            await asyncio.sleep(0.5)


async def _ok(http: httpx.AsyncClient) -> bool:
    return bool((await http.get("/healthz")).json()["status"] == "ok")


async def _writer_backend(server: Server) -> int:
    """The PostgreSQL backend of the engine's write connection (made by a first write)."""
    storage = server.ctx.storage
    assert isinstance(storage, PostgresStorage) and storage._writer is not None
    return int(storage._writer.get_server_pid())


async def test_a_write_whose_backend_stops_answering_is_a_failed_write(
    own_cluster: Cluster, caplog: pytest.LogCaptureFixture
) -> None:
    """Only the write connection's backend paused (a network cut mid-transaction looks the same): the token and the
    state are read as usual, so the command reaches the write pipeline, whose transaction ends at its deadline as a
    failed write (said on /healthz, the state read back), answered storage_unavailable on the websocket and 503 over
    HTTP; the server writes again on a new connection while the old backend is still stopped."""
    caplog.set_level(logging.WARNING)
    database = await new_database(own_cluster.url)
    async with running_server(database) as s, httpx.AsyncClient(base_url=s.url, timeout=PAUSE_SECONDS * 2) as http:
        first = (await _issue(http, f"k-{uuid.uuid4().hex}")).json()["ticket"]["id"]
        ws = await counter_page(s, await s.login("op-disdukcapil"), "1")
        opening = f"open-{uuid.uuid4().hex}"
        async with paused([await _writer_backend(s)]) as pause:
            await ws.send(_command("1", "open", opening))
            frame = await _answer(ws, opening)
            health = (await http.get("/healthz")).json()
            alerts = s.app.state.server.monitor.figures("tegal")["alerts"]
            opened = await _retried(ws, _command("1", "open", opening), opening)  # on a new connection
            assert not pause.over, "answered while the old backend was still stopped"
        assert frame["type"] == "error" and frame["code"] == "storage_unavailable", frame
        assert health["status"] == "storage_failing" and health["storage"]["error"] == "DatabaseTimeout", health
        # The supervisor is sent to the database server, not to a disk (it said "periksa ruang disk").
        (alert,) = [a for a in alerts if a["kind"] == "storage_failing"]
        assert "basis data tidak menjawab" in alert["message"] and "ruang disk" not in alert["message"], alert
        assert "the database does not answer" in alert["message_en"], alert
        assert opened["type"] == "command_result" and opened["ok"] is True, opened

        key = f"k-{uuid.uuid4().hex}"
        async with paused([await _writer_backend(s)]) as pause:
            r = await _issue(http, key)
            again = await _served_again(http, key)
            assert not pause.over, "answered while the old backend was still stopped"
        _refused_as_unavailable(r)
        assert (await http.get("/healthz")).json()["status"] == "ok"
        await ws.close()
    said = [r.getMessage() for r in caplog.records if r.name == "queue_server.pipeline.engine"]
    assert any("write failed" in m for m in said) and any("written again" in m for m in said), said
    stored = [tid for (tid,) in await rows(database, "SELECT id FROM tickets ORDER BY number")]
    assert stored == [first, again.json()["ticket"]["id"]], "the refused write left nothing; its retry one ticket"
    opens = await rows(database, "SELECT count(*) FROM events WHERE type = 'counter.opened'")
    assert opens == [(1,)], "the refused open left nothing; its retry opened once"


async def test_slow_by_nature_gets_the_long_deadline_and_a_request_does_not(pg_cluster: str) -> None:
    """A statement longer than a request's deadline is cut there (DatabaseTimeout, which is storage unavailable) but
    goes through under unhurried(), as a year's report or retention does; the pool serves on after the cut."""
    storage = PostgresStorage(await new_database(pg_cluster), serving=True)  # a request's deadline
    await storage.open()
    try:
        longer = deadlines.READ_SECONDS + 2
        with pytest.raises(deadlines.DatabaseTimeout) as cut:
            await storage.query("SELECT pg_sleep(?)", [float(longer)])
        assert storage.unavailable(cut.value)
        assert await storage.query("SELECT 1") == [(1,)]
        with storage.unhurried():
            assert await storage.query("SELECT pg_sleep(?)::text", [float(longer)]) == [("",)]
    finally:
        await storage.close()


async def test_the_pools_failed_reconnects_are_one_line_per_outage(
    own_cluster: Cluster, caplog: pytest.LogCaptureFixture
) -> None:
    """PostgreSQL stopped: asyncpg's pool logged a warning with a full traceback each time it failed to reopen the
    connections it keeps ready (~20 per outage in bench/chaos.py). Now the outage is one line in our words, with
    the error, and its end another; asyncpg's own lines are not passed on."""
    caplog.set_level(logging.WARNING)
    database = await new_database(own_cluster.url)
    async with running_server(database) as s, httpx.AsyncClient(base_url=s.url, timeout=PAUSE_SECONDS * 2) as http:
        await _issue(http, f"k-{uuid.uuid4().hex}")
        await asyncio.to_thread(own_cluster.stop)
        try:
            _refused_as_unavailable(await _issue(http, f"k-{uuid.uuid4().hex}"))
            health = await http.get("/healthz")
            assert health.json()["status"] == "storage_failing", health.text
            _names_no_place(health.text, own_cluster)
            await eventually(lambda: _said(caplog, "cannot open a connection"), "the outage said", seconds=60)
            await asyncio.sleep(4)  # the pool tries again meanwhile (after 1 s, 2 s ...), said no more
        finally:
            await asyncio.to_thread(own_cluster.start)
        await _served_again(http, f"k-{uuid.uuid4().hex}")
        await eventually(lambda: _said(caplog, "opens connections again"), "the outage's end said", seconds=60)
    outage = [r for r in caplog.records if "cannot open a connection" in r.getMessage()]
    assert len(outage) == 1 and outage[0].exc_info is None, [r.getMessage() for r in outage]
    assert "Error: " in outage[0].getMessage(), "the error named"
    pool_said = [r for r in caplog.records if r.name == "asyncpg.pool"]
    assert pool_said == [], [r.getMessage() for r in pool_said]


def _names_no_place(public: str, cluster: Cluster) -> None:
    """/healthz is public: its storage error is a kind (one word), never the error's sentence, which names the
    database's socket folder, host or address (the log and the supervisor's dashboard say it whole)."""
    error = json.loads(public)["storage"]["error"]
    assert re.fullmatch(r"[A-Za-z]+", error), public
    for place in (str(cluster.data.parent), "postgresql://", "Errno", "127.0.0.1", "localhost", ".s.PGSQL"):
        assert place not in public, (place, public)


def _said(caplog: pytest.LogCaptureFixture, words: str) -> bool:
    return any(words in r.getMessage() for r in caplog.records)


OUTAGE_SECONDS = 20.0  # presence, the phone codes and the outbox's watch each try 4 times meanwhile (every 5 s)


async def test_every_background_loop_says_an_outage_once_and_its_end_once(
    own_cluster: Cluster, caplog: pytest.LogCaptureFixture
) -> None:
    """PostgreSQL stopped under a running server for OUTAGE_SECONDS: the outbox's deliverer, presence, the phone codes'
    watch and every other loop said a line (or a traceback) per try. Now each says the outage once and its end once,
    in one line without a traceback; no line is said twice."""
    caplog.set_level(logging.INFO)
    database = await new_database(own_cluster.url)
    async with running_server(database) as s, httpx.AsyncClient(base_url=s.url, timeout=PAUSE_SECONDS * 2) as http:
        await _issue(http, f"k-{uuid.uuid4().hex}")
        deliverer = s.ctx.notifications.deliverer if s.ctx.notifications is not None else None
        await eventually(lambda: deliverer is not None and deliverer.delivering, "the outbox taken", seconds=60)
        caplog.clear()
        await asyncio.to_thread(own_cluster.stop)
        try:
            await asyncio.sleep(OUTAGE_SECONDS)
        finally:
            await asyncio.to_thread(own_cluster.start)
        loops = ("presence", "phone_codes", "deliverer")
        await eventually(lambda: all(_back(caplog, name) for name in loops), "each loop says it is back", seconds=60)
        await _served_again(http, f"k-{uuid.uuid4().hex}")
    said = [(r.name, r.getMessage()) for r in caplog.records if r.levelno >= logging.WARNING]
    away = [(name, m) for name, m in said if "the database does not answer" in m]
    for name in loops:
        assert len([n for n, _ in away if n.endswith(name)]) == 1, said
    assert len(said) == len(set(said)), f"a line said twice: {said}"
    assert [r.getMessage() for r in caplog.records if r.exc_info is not None] == [], "a storage failure in full"


async def test_a_request_during_an_outage_is_one_line_of_the_log_without_a_traceback(
    own_cluster: Cluster, caplog: pytest.LogCaptureFixture
) -> None:
    """An outside review: with PostgreSQL stopped, every request that read the database (the national view polled
    every 5 s, a citizen's ticket page, the IKM report) was answered 503 and said in one line ("database unavailable
    on GET ..."), and then the same error again as uvicorn's "Exception in ASGI application" with a whole traceback:
    Starlette's last-resort handler answers and raises the exception once more for the server to log. Each is one
    line now, and an error that is a bug is still said in full once (test_api.py); a ticket's token or a booking code
    in the address is said as its parameter's name."""
    caplog.set_level(logging.WARNING)
    database = await new_database(own_cluster.url)
    async with running_server(database) as s, httpx.AsyncClient(base_url=s.url, timeout=PAUSE_SECONDS * 2) as http:
        token = (await _issue(http, f"k-{uuid.uuid4().hex}")).json()["ticket"]["token"]
        code = "BK-7Q3M2X"  # a booking code is looked up in the database, as a ticket's link is
        national = await s.login("nasional")
        caplog.clear()
        uvicorn_said = logging.getLogger("uvicorn.error")  # uvicorn's own loggers do not reach the root's handlers
        uvicorn_said.addHandler(caplog.handler)
        await asyncio.to_thread(own_cluster.stop)
        try:
            paths = ["/api/v1/national", "/api/v1/national/ikm", f"/api/v1/tickets/{token}", f"/api/v1/bookings/{code}"]
            for path in paths:
                _refused_as_unavailable(await http.get(path, headers=national))
        finally:
            uvicorn_said.removeHandler(caplog.handler)
            await asyncio.to_thread(own_cluster.start)
        await _served_again(http, f"k-{uuid.uuid4().hex}")
    said = [r.getMessage() for r in caplog.records if "database unavailable on GET" in r.getMessage()]
    assert len(said) == len(paths), said
    assert [r.getMessage() for r in caplog.records if r.exc_info is not None] == [], "a request's outage in full"
    assert "Exception in ASGI application" not in caplog.text
    # A ticket's token and a booking code are capabilities: not in the log (docs/citizen.md, "Privacy").
    assert token not in caplog.text and code not in caplog.text, said
    assert "database unavailable on GET /api/v1/tickets/{token} " in caplog.text, said


async def test_the_deliverer_says_the_database_is_back_when_another_process_took_the_outbox_meanwhile(
    own_cluster: Cluster, caplog: pytest.LogCaptureFixture
) -> None:
    """An outside review: after an outage, the process that had delivered said "the database does not answer" and,
    when another process took the outbox on the database's return, never that it answers again (it only says so
    after a round of its own). Here another process (this test's connection) holds the outbox when PostgreSQL is
    back: the outage's line ends all the same, and neither server delivers meanwhile."""
    from queue_server.persistence.postgresql_storage import _lock_key

    caplog.set_level(logging.INFO)
    database = await new_database(own_cluster.url)
    async with running_server(database) as a, running_server(database, clock=a.clock) as b:
        servers = (a, b)
        await eventually(lambda: sum(s.ctx.notifications.deliverer.delivering for s in servers) == 1, "one sender", 60)
        caplog.clear()
        await asyncio.to_thread(own_cluster.stop)
        try:
            await eventually(lambda: _said_by_deliverer(caplog, "the database does not answer"), "the outage said", 60)
        finally:
            other = _started_with_lock_held(own_cluster, database, _lock_key("outbox"))
        try:
            await eventually(lambda: _said_by_deliverer(caplog, "the database answers again"), "its end said", 60)
            assert not any(s.ctx.notifications.deliverer.delivering for s in servers)
        finally:
            other.communicate(timeout=30)  # its input closed: psql ends, and the lock with it
        await eventually(lambda: sum(s.ctx.notifications.deliverer.delivering for s in servers) == 1, "taken", 60)
    away = _said_by_deliverer(caplog, "the database does not answer")
    assert away == _said_by_deliverer(caplog, "the database answers again") == 1, caplog.text


def _started_with_lock_held(cluster: Cluster, database: str, key: int) -> subprocess.Popen[str]:
    """Starts the cluster again with another process (psql) holding the advisory lock `key` before anything else can
    reach it: done without giving the event loop a turn, so this test's servers (in this loop) cannot take it first.
    Polling for the lock after the start lost that race on a busy machine (a server's retry came first, and held
    it). Closing the psql's input ends it, and the lock with it."""
    cluster.start()
    holder = subprocess.Popen([str(bindir() / "psql"), "-X", "-w", "-q", "-A", "-t", database],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert holder.stdin is not None and holder.stdout is not None
    holder.stdin.write(f"SELECT pg_try_advisory_lock({key});\n")
    holder.stdin.flush()
    assert holder.stdout.readline().strip() == "t", "psql did not take the lock"
    return holder


def _said_by_deliverer(caplog: pytest.LogCaptureFixture, words: str) -> int:
    return sum(r.name.endswith("deliverer") and words in r.getMessage() for r in caplog.records)


def test_a_connection_the_server_ended_while_idle_is_the_database_away() -> None:
    """PostgreSQL stopping sends each idle session a FATAL, then closes it; a statement given such a connection in
    between raises asyncpg's InternalClientError in its "error consume" state (2), seen once in a few runs of the test
    above as a traceback. It is the database going away; the same error in any other state is a bug, said in full."""
    storage = PostgresStorage("postgresql://nobody@/nowhere")
    ended = asyncpg.exceptions.InternalClientError("cannot switch to state 11; another operation (2) is in progress")
    misused = asyncpg.exceptions.InternalClientError("cannot switch to state 12; another operation (11) is in progress")
    assert storage.unavailable(ended) and not storage.unavailable(misused)
    # Leaving the transaction then fails on the closed connection: that error replaces the first, and is the outage.
    closing = asyncpg.exceptions.InterfaceError(
        "cannot call Transaction.__aexit__(): the underlying connection is closed"
    )
    for cause, away in ((ended, True), (misused, False), (None, False)):
        closing.__context__ = cause
        assert storage.unavailable(closing) is away, cause


async def test_a_write_on_a_writer_the_server_ended_is_the_database_away_and_the_next_write_goes_through(
    pg_cluster: str,
) -> None:
    """The writer connection (Storage.locked) ended by PostgreSQL while idle (its backend terminated, as a shutdown
    does) is in asyncpg's "error consume" state until the close arrives: a write given it meanwhile raises the
    InternalClientError that the pool's readers already count as the database away. Here the close is held back
    (a relay keeps the socket open), so the write surely meets that state: the write fails as storage unavailable
    (a 503, never a 500), and the next write gets a connection of its own and goes through."""
    database = await new_database(pg_cluster)
    folder = pg_cluster.split("host=", 1)[1].split("&", 1)[0]
    name = database.split("?", 1)[0].rsplit("/", 1)[1]
    hold: list[asyncio.StreamWriter] | None = None  # while a list: the client's side is not closed, but kept here

    async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_unix_connection(f"{folder}/.s.PGSQL.5432")

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter, to_client: bool) -> None:
            with contextlib.suppress(OSError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            if to_client and hold is not None:
                hold.append(sink)
            else:
                sink.close()

        await asyncio.gather(pipe(reader, upstream_writer, False), pipe(upstream_reader, writer, True))

    server = await asyncio.start_server(relay, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    storage = PostgresStorage(f"postgresql://postgres@127.0.0.1:{port}/{name}", serving=True)
    await storage.open()
    try:
        async with storage.locked(["uji"]):
            pass
        assert storage._writer is not None
        backend = storage._writer.get_server_pid()
        hold = []
        await rows(database, "SELECT pg_terminate_backend($1)", backend)
        await eventually(lambda: hold, "the backend's end reached the relay", seconds=30)
        with pytest.raises(Exception) as failed:
            async with storage.locked(["uji"]):
                pass
        assert storage.unavailable(failed.value), repr(failed.value)
        async with storage.locked(["uji"]) as tx:
            assert await tx.events_after("uji", 0) == []
        assert storage._writer is not None and storage._writer.get_server_pid() != backend
    finally:
        for sink in hold or []:
            sink.close()
        hold = None
        await storage.close()
        server.close()


def _back(caplog: pytest.LogCaptureFixture, module: str) -> bool:
    return any(r.name.endswith(module) and "the database answers again" in r.getMessage() for r in caplog.records)


async def test_a_tcp_connection_carries_our_keepalives(pg_cluster: str) -> None:
    """asyncpg has no public way to set them (postgresql.keep_alive says why): they are set through its transport,
    and this says so with the asyncpg installed, on a real TCP connection (a loopback relay to the cluster's socket:
    the cluster listens on no port)."""
    folder = pg_cluster.split("host=", 1)[1].split("&", 1)[0]

    async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_unix_connection(f"{folder}/.s.PGSQL.5432")

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.close()

        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))

    server = await asyncio.start_server(relay, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        conn = await postgresql.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres")
        try:
            sock = conn._transport.get_extra_info("socket")
            assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == deadlines.KEEPALIVE_IDLE_SECONDS
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL) == deadlines.KEEPALIVE_INTERVAL_SECONDS
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT) == deadlines.KEEPALIVE_COUNT
            assert (
                sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT) == deadlines.UNACKNOWLEDGED_SECONDS * 1000
            )
            assert await conn.fetchval("SELECT 1") == 1, "a working connection through the relay"
        finally:
            await postgresql.close(conn)
    finally:
        server.close()


async def test_a_lock_asked_for_while_the_process_stops_leaves_no_connection_open(
    pg_cluster: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A background loop (the deliverer, the uplink, retention) cancelled while its one-process lock is being asked
    for (a server stopping) cuts the connection it had just opened. It was left to the garbage collector, whose
    ResourceWarning failed whichever test ran next (seen in a parallel run under load)."""
    storage = PostgresStorage(await new_database(pg_cluster))
    await storage.open()
    made: list[asyncpg.Connection[Any]] = []
    connect = postgresql.connect

    async def noted(*args: Any, **kwargs: Any) -> asyncpg.Connection[Any]:
        conn = await connect(*args, **kwargs)
        made.append(conn)
        return conn

    asking = asyncio.Event()

    async def never_answered(self: asyncpg.Connection[Any], *args: Any, **kwargs: Any) -> Any:
        asking.set()
        await asyncio.Event().wait()

    monkeypatch.setattr(postgresql, "connect", noted)
    monkeypatch.setattr(asyncpg.Connection, "fetchval", never_answered)

    async def hold() -> None:
        async with storage.exclusive("outbox"):
            raise AssertionError("the lock was never answered")

    try:
        task = asyncio.create_task(hold())
        await asyncio.wait_for(asking.wait(), 30)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert len(made) == 1 and made[0].is_closed()
    finally:
        monkeypatch.undo()
        await storage.close()
