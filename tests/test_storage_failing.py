"""A server whose database cannot be written (its disk full): every command is refused 503 and nothing is lost, as
before, and now it is also said where someone looks: /healthz, /metrics and the supervisor's dashboard, until a
write goes through again. An outside review filled the disk: /healthz said "ok" and the dashboard nothing.

The writer process's file size limit (RLIMIT_FSIZE, set on the running process) makes its writes fail as on a full
disk: once the database or its WAL must grow past it, SQLite's write fails (EFBIG) and the transaction is rolled
back. Writes that fit in room the files already have still go through, as on a real disk with a few pages free."""

from __future__ import annotations

import asyncio
import errno
import json
import resource
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from playwright.async_api import Browser

from queue_server.settings.sitefile import DEMO_SITE

from .helpers import KIOSK, Server, bearer, eventually, running_server, tmpfs
from .pg_support import new_database, throwaway_cluster_handle
from .test_metrics import scrape, value
from .test_supervisor_api import Live, follow, token_of

QS = [sys.executable, "-m", "queue_server"]


def _size(path: Path) -> int:
    return path.stat().st_size


async def _dashboard_alerts(server: Server, headers: dict[str, str]) -> list[dict[str, Any]]:
    r = await server.http.get("/api/v1/sites/tegal/dashboard", headers=headers)
    assert r.status_code == 200, r.text
    return [a for a in r.json()["alerts"] if a["kind"] == "storage_failing"]


async def _issue(server: Server) -> httpx.Response:
    return await server.http.post("/api/v1/sites/tegal/tickets", json={"service": "ktp"}, headers=bearer(KIOSK))


async def test_a_database_that_cannot_be_written_is_said_on_healthz_metrics_and_the_dashboard(tmp_path: Path) -> None:
    db = tmp_path / "q.sqlite3"
    async with running_server(db) as s:
        supervisor = await s.login("supervisor")
        assert (await _issue(s)).status_code == 201
        healthy = (await s.http.get("/healthz")).json()
        assert healthy["status"] == "ok" and healthy["storage"] is None
        assert value(await scrape(s), "mpp_storage_failing") == 0

        writer = s.ctx.storage.writer.pid
        # Either file growing past the smaller of the two fails the write. The larger (a WAL grown on a busy machine,
        # its checkpoints late) left room for more tickets than the service's daily quota: 409, not a full disk.
        room = min(_size(db), _size(Path(f"{db}-wal")))
        usual = resource.prlimit(writer, resource.RLIMIT_FSIZE)
        resource.prlimit(writer, resource.RLIMIT_FSIZE, (room, usual[1]))  # the soft limit: raised again below
        try:
            issued = 0
            while (r := await _issue(s)).status_code == 201:  # until the database or its WAL must grow
                issued += 1
                assert issued < 5000, "the writer never ran out of room"
            assert r.status_code == 503 and r.json()["error"]["code"] == "storage_unavailable", r.text
            # No command more until it is looked at: one that fits in room the WAL already has (a checkpoint may
            # have just made some) would go through, rightly clearing what is said.

            health = (await s.http.get("/healthz")).json()
            assert health["status"] == "storage_failing", health
            assert health["storage"]["failing_since"] and health["storage"]["error"], health
            assert value(await scrape(s), "mpp_storage_failing") == 1
            (alert,) = await _dashboard_alerts(s, supervisor)
            assert alert["message"].startswith("Server tidak dapat menyimpan data sejak pukul "), alert
            assert "Hubungi teknisi server" in alert["message"] and "nothing saved is lost" in alert["message_en"]
            waiting = len(s.ctx.state("tegal").waiting.get("ktp", ()))
        finally:
            resource.prlimit(writer, resource.RLIMIT_FSIZE, usual)

        again = await _issue(s)  # room again: the next command goes through and clears what was said
        assert again.status_code == 201, again.text
        assert len(s.ctx.state("tegal").waiting["ktp"]) == waiting + 1, "nothing acknowledged was lost"
        assert (await s.http.get("/healthz")).json()["status"] == "ok"
        assert value(await scrape(s), "mpp_storage_failing") == 0
        assert await _dashboard_alerts(s, supervisor) == []


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real filesystem of 2 MB (tmpfs), to be filled: mounting one needs root, elsewhere the test is skipped."""
    with tmpfs(tmp_path / "disk", "2m") as disk:
        yield disk


def test_serve_on_a_full_disk_says_the_disk_is_full(small_disk: Path, tmp_path: Path) -> None:
    """A full disk at start-up: SQLite says "disk I/O error" (it cannot make its -shm file), read as a failing disk;
    the command now names the disk, how little is free there and what to do, and starts once there is room."""
    made = tmp_path / "q.sqlite3"
    assert subprocess.run([*QS, "migrate", "--db", str(made)], capture_output=True, check=False).returncode == 0
    db = small_disk / "q.sqlite3"
    shutil.copyfile(made, db)
    filler = small_disk / "filler"
    with filler.open("wb", buffering=0) as f:  # the rest of the disk, to the last block
        try:
            while True:
                f.write(b"\0" * 4096)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    assert shutil.disk_usage(small_disk).free < 8192

    for command in (["serve", "--port", "0"], ["migrate"]):
        failed = subprocess.run([*QS, *command, "--db", str(db)], capture_output=True, text=True, timeout=60,
                                check=False)  # fmt: skip
        assert failed.returncode == 6 and "Traceback" not in failed.stderr, failed.stderr  # a full disk's own status
        assert f"The disk of {small_disk} is full" in failed.stderr, failed.stderr
        assert "free some space on it" in failed.stderr and "'A full disk'" in failed.stderr

    filler.unlink()
    done = subprocess.run([*QS, "migrate", "--db", str(db)], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and "nothing to do" in done.stdout, done.stderr


def test_serve_of_a_new_database_on_a_full_disk_leaves_nothing_behind(small_disk: Path) -> None:
    """A first start on a full disk left an empty lock file (its record of where the server listens could not be
    written) in a folder made for it, and a first account an empty database file: each is said as a full disk
    (status 6), and what it made goes again."""
    filler = _fill(small_disk)
    db = small_disk / "var" / "queue.sqlite3"
    failed = subprocess.run([*QS, "serve", "--port", "0", "--db", str(db), "--site", str(DEMO_SITE)],
                            capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert failed.returncode == 6 and "Traceback" not in failed.stderr, failed.stderr
    assert f"The disk of {small_disk} is full" in failed.stderr, failed.stderr
    assert sorted(p.name for p in small_disk.iterdir()) == [filler.name]
    # A first account made before the first start (README): its empty database file stayed, as a mall's database.
    first = subprocess.run([*QS, "user", "add", "kepala", "--role", "admin", "--site-id", "tegal", "--password-stdin",
                            "--db", str(db), "--site", str(DEMO_SITE)], input="sandi-yang-panjang\n",
                           capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert first.returncode == 6 and "Traceback" not in first.stderr, first.stderr
    assert "removed again" in first.stderr and sorted(p.name for p in small_disk.iterdir()) == [filler.name]


def _fill(disk: Path) -> Path:
    """The rest of the disk, to the last block, in a file that gives the room back when removed."""
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 4096)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return filler


async def _sign_in(server: Server, password: str) -> httpx.Response:
    return await server.http.post("/api/v1/auth/login", json={"username": "supervisor", "password": password})


async def test_signing_in_on_a_full_disk_says_why_and_what_the_technician_does(small_disk: Path) -> None:
    """A sign-in saves a session: on a full disk it cannot, and said only 'Penyimpanan sedang bermasalah ... Coba
    lagi' (outside review). Now it says the disk is full and what the technician does, for a right password and a
    wrong one alike, and /healthz says it too; once there is room the same sign-in goes through."""
    # Room set aside before the server starts, given back at the end: the filler alone may give back almost nothing,
    # as the write-ahead log grows into the disk's last pages while the sign-ins below fill it (more so on a loaded
    # machine, where checkpoints lag: the disk was still full after the filler went, and every sign-in refused).
    reserve = small_disk / "reserve"
    reserve.write_bytes(b"\0" * 512 * 1024)
    async with running_server(small_disk / "q.sqlite3") as s:
        filler = _fill(small_disk)
        for _ in range(200):  # until the writes no longer fit in the room the database's files already have
            if (await _sign_in(s, "demo-supervisor")).status_code != 200:
                break
        for password in ("demo-supervisor", "not-the-password"):
            # A checkpoint of the write-ahead log may give pages back between two sign-ins (more so on a loaded
            # machine): a sign-in then goes through, and takes the room again; what is asserted is the refusal's words.
            for _ in range(200):
                r = await _sign_in(s, password)
                if r.status_code == 503:
                    break
                assert r.status_code in (200, 401), r.text
            assert r.status_code == 503, r.text
            error = r.json()["error"]
            assert error["code"] == "storage_unavailable", error
            assert error["message"].startswith("Belum bisa masuk: disk server penuh"), error
            assert "kosongkan ruang di disk server" in error["message"] and "/healthz" in error["message"]
            assert "free space on the server's disk" in error["message_en"], error
        health = (await s.http.get("/healthz")).json()
        assert health["status"] == "storage_failing" and health["storage"]["disk_full"] is True, health

        filler.unlink()
        reserve.unlink()
        assert (await _sign_in(s, "demo-supervisor")).status_code == 200, "room again: signing in works"
        assert (await s.http.get("/healthz")).json()["status"] == "ok", "and the session written says it is over"


async def test_the_sign_in_page_says_it_before_anyone_types_on_a_full_disk(small_disk: Path, browser: Browser) -> None:
    """The dashboard's alert reaches only those signed in: the sign-in form says it itself (from /healthz), and a
    sign-in tried anyway shows the server's sentence once, in place of the notice."""
    async with running_server(small_disk / "q.sqlite3") as s:
        page = await browser.new_page(locale="id-ID")
        await page.goto(f"{s.url}/supervisor/tegal")
        await page.wait_for_selector("#login-form")
        assert await page.is_hidden("#login-storage"), "no notice while the server saves"
        filler = _fill(small_disk)
        for _ in range(200):
            if (await _sign_in(s, "demo-supervisor")).status_code != 200:
                break
        await page.reload()
        await page.wait_for_selector("#login-storage", state="visible")
        notice = await page.text_content("#login-storage") or ""
        assert "tidak dapat menyimpan data" in notice and "kosongkan ruang di disk server" in notice, notice
        # A session is small: a sign-in may still find room a moment after another was refused (SQLite reuses the
        # write-ahead log's pages once checkpointed; on a busy machine a checkpoint can land in between). Tried
        # again until one is refused, as a supervisor would: what is tested is what the refusal says.
        for _ in range(20):
            await page.fill("input[name=username]", "supervisor")
            await page.fill("input[name=password]", "demo-supervisor")
            await page.click("#login-form button[type=submit]")
            await page.wait_for_function(REFUSED_OR_IN)
            if await page.is_visible("#login-error"):
                break
            await page.evaluate("() => { localStorage.clear(); sessionStorage.clear(); }")  # signed in: out again
            await page.reload()
            await page.wait_for_selector("#login-form")
        await page.locator("#login-error", has_text="disk server").wait_for()
        assert await page.is_hidden("#login-storage"), "said once"
        assert "Belum bisa masuk: disk server penuh" in (await page.text_content("#login-error") or "")
        await page.screenshot(path=str(small_disk.parent / "sign-in-full-disk.png"))
        await page.click("#lang")
        assert "free space on the server's disk" in (await page.text_content("#login-storage") or "")
        filler.unlink()


# The sign-in answered: refused (its error shown) or signed in (the form gone).
REFUSED_OR_IN = """() => {
  const error = document.getElementById("login-error"), form = document.getElementById("login-form");
  return (error && !error.hidden && error.textContent.trim() !== "") || !form || form.offsetParent === null;
}"""


FULL_DISK_TRIGGER = """
CREATE FUNCTION disk_full() RETURNS trigger AS $$ BEGIN
  RAISE EXCEPTION 'could not extend file "/var/lib/postgresql/16/main/base/16384/16397": No space left on device'
    USING ERRCODE = '53100';
END $$ LANGUAGE plpgsql;
CREATE TRIGGER disk_full BEFORE INSERT ON events FOR EACH STATEMENT EXECUTE FUNCTION disk_full();
"""


async def test_a_postgresql_database_that_cannot_be_written_is_said_too(pg_cluster: str) -> None:
    """PostgreSQL's disk full (53100; a trigger raises it here, on every insert of an event): the writes of a
    shared database were refused 503 while /healthz said "ok", as SQLite's were. Said now, on /healthz by the
    error's kind alone (it is public: the error's text names the server's files), whole on the dashboard."""
    database = await new_database(pg_cluster)
    async with running_server(database) as s:
        supervisor = await s.login("supervisor")
        assert (await _issue(s)).status_code == 201
        conn = await asyncpg.connect(database)
        try:
            await conn.execute(FULL_DISK_TRIGGER)
            r = await _issue(s)
            assert r.status_code == 503 and r.json()["error"]["code"] == "storage_unavailable", r.text
            health = (await s.http.get("/healthz")).json()
            assert health["status"] == "storage_failing", health
            assert health["storage"]["error"] == "DiskFullError" and health["storage"]["disk_full"] is True, health
            assert "/var/lib" not in json.dumps(health)
            assert value(await scrape(s), "mpp_storage_failing") == 1
            (alert,) = await _dashboard_alerts(s, supervisor)
            assert "the server's disk is full" in alert["message_en"], alert
            await conn.execute("DROP TRIGGER disk_full ON events")
        finally:
            await conn.close()
        assert (await _issue(s)).status_code == 201
        assert (await s.http.get("/healthz")).json()["status"] == "ok"


async def test_postgresql_stopped_is_said_on_healthz_and_metrics() -> None:
    """PostgreSQL stopped: every request was refused 503 before anything was written (a token cannot be looked up),
    and /healthz and /metrics, never having seen a write fail, said "ok". Both ask the database itself now."""
    with throwaway_cluster_handle() as cluster:
        async with running_server(await new_database(cluster.url)) as s:
            assert (await s.http.get("/healthz")).json()["status"] == "ok"
            cluster.stop()
            try:
                assert (await _issue(s)).status_code == 503
                health = (await s.http.get("/healthz")).json()
                assert health["status"] == "storage_failing" and health["storage"]["disk_full"] is False, health
                assert cluster.url not in json.dumps(health) and "5432" not in json.dumps(health)
                assert value(await scrape(s), "mpp_storage_failing") == 1  # asked too, not only after a failed write
            finally:
                cluster.start()
            await eventually(lambda: _issued(s), "commands taken again once PostgreSQL is back", seconds=60, every=0.5)
            assert (await s.http.get("/healthz")).json()["status"] == "ok"
            assert value(await scrape(s), "mpp_storage_failing") == 0


async def _issued(server: Server) -> bool:
    return (await _issue(server)).status_code == 201


async def test_postgresql_stopped_is_an_alert_on_an_open_dashboard_as_on_healthz() -> None:
    """PostgreSQL stopped with no command reaching the pipeline: no write failed, so the open dashboard said "Tidak ada
    peringatan" while /healthz said storage_failing (outside review). The dashboard asks the database as /healthz
    does, while it is open: the alert comes, sending the technician to the database, and goes when it answers."""
    with throwaway_cluster_handle() as cluster:
        async with running_server(await new_database(cluster.url), dashboard_seconds=0.3) as s:
            supervisor = token_of(await s.login("supervisor"))
            async with follow(s, role="supervisor", token=supervisor, dashboard=True) as live:
                first = await live.until(lambda f: f["type"] == "dashboard")
                assert first["data"]["alerts"] == []
                cluster.stop()
                try:
                    raised = await _notice(
                        live, lambda f: f["type"] == "alert" and f["data"]["kind"] == "storage_failing"
                    )
                    assert (await s.http.get("/healthz")).json()["status"] == "storage_failing"
                finally:
                    cluster.start()
                alert = raised["data"]
                assert alert["active"] is True and alert["id"] == "storage", alert
                assert "basis data tidak menjawab" in alert["message"], alert
                assert "periksa server basis data (PostgreSQL)" in alert["message"], alert
                assert "Server tidak dapat menyimpan data sejak pukul 09.00" in alert["message"], alert
                cleared = await _notice(live, lambda f: f["type"] == "alert" and f["data"]["kind"] == "storage_failing")
                assert cleared["data"]["active"] is False
            assert (await s.http.get("/healthz")).json()["status"] == "ok"


async def _notice(live: Live, wanted: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """The next frame `wanted`: the dashboard asks the database every few seconds, and a cluster starts in its time."""
    async with asyncio.timeout(90):
        while True:
            try:
                frame = await live.recv()
            except TimeoutError:
                continue  # a quiet moment (no push while nothing changes beyond the 5 s of Live.recv): wait on
            if wanted(frame):
                return frame
