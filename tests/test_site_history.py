"""Site files on several machines (settings/site_history.py): a machine that still holds an older site file no longer
undoes a newer one when it restarts. Real `queue-server serve` processes, each started from a site file in a
directory of its own (the "old" machine's and the "new" machine's), on a SQLite file and on PostgreSQL."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from queue_server.settings.sitefile import document_digest, normalised_document, read_document

from .helpers import running_server
from .migration_support import undo_after
from .pg_support import new_database
from .test_invariants import _start, write_site
from .test_processes import _stop

BOTH_DATABASES = True  # conftest.py: each test on SQLite and on PostgreSQL

PASSWORD = "Kantor-Uji-Tegal-2026!"
OLD_TEXT = "Selamat datang di MPP Uji."
NEW_TEXT = "Mulai Senin loket buka pukul 07.30."


def machines(tmp_path: Path) -> tuple[Path, Path]:
    """The same site in two directories: the old machine's file, and the new machine's with another running text."""
    old, new = tmp_path / "old" / "uji.toml", tmp_path / "new" / "uji.toml"
    for path, text in ((old, OLD_TEXT), (new, NEW_TEXT)):
        path.parent.mkdir()
        write_site(path, 2)
        path.write_text(
            path.read_text().replace("enforce_hours = false", f'enforce_hours = false\nrunning_text = "{text}"')
        )
    return old, new


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "queue_server", *args], input=stdin, capture_output=True, text=True,
                          timeout=60)  # fmt: skip


def serve(db: Path | str, site: Path) -> tuple[subprocess.Popen[bytes], str]:
    return _start(db, site, wait=60)


def look(url: str) -> tuple[str, dict[str, dict[str, Any]]]:
    """The running text a kiosk is given, and the site's dashboard alerts by kind, as the supervisor sees them."""
    with httpx.Client(base_url=url, timeout=30) as http:
        r = http.post("/api/v1/auth/login", json={"username": "kepala", "password": PASSWORD})
        assert r.status_code == 200, r.text
        headers = {"Authorization": f"Bearer {r.json()['token']}"}
        r = http.get("/api/v1/sites/uji/configuration", headers=headers)
        assert r.status_code == 200, r.text
        text = r.json()["document"]["site"]["running_text"]
        r = http.get("/api/v1/sites/uji/dashboard", headers=headers)
        assert r.status_code == 200, r.text
        # The file takes tickets at any hour (the invariants' site), which every dashboard says at every hour: not
        # what these tests look at.
        return text, {a["kind"]: a for a in r.json()["alerts"] if a["kind"] != "hours_not_enforced"}


def run_once(db: Path | str, site: Path) -> tuple[str, dict[str, dict[str, Any]]]:
    """A machine restarted with its file: what its server serves and shows, then stopped."""
    proc, url = serve(db, site)
    try:
        return look(url)
    finally:
        _stop(proc)


@pytest.mark.parametrize("order", ["new machine first", "old machine first"])
def test_the_newer_file_wins_whatever_the_order_of_restarts(database: Path | str, tmp_path: Path, order: str) -> None:
    """Both machines ran the old file; the new one is copied to one machine, and both restart, in either order. The
    old machine used to put its file back (a process could not tell older from newer)."""
    db = str(database)
    old, new = machines(tmp_path)
    added = cli("user", "add", "kepala", "--role", "admin", "--site-id", "uji", "--password-stdin", "--db", db,
                "--site", str(old), stdin=PASSWORD + "\n")  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert run_once(database, old) == (OLD_TEXT, {}), "the first file, applied"
    if order == "old machine first":
        assert run_once(database, old) == (OLD_TEXT, {}), "the same file: nothing to do"
    assert run_once(database, new) == (NEW_TEXT, {}), "a file never applied: newer, applied"
    text, alerts = run_once(database, old)
    assert text == NEW_TEXT, "the old machine serves the stored configuration, not its file"
    older = alerts["site_file_older"]
    assert older["message"].startswith("Berkas situs di server ini lebih lama daripada yang diterapkan pada "), older
    assert f"({new.resolve()})" in older["message"] and "Salin berkas situs yang baru ke server ini" in older["message"]
    assert older["message_en"].startswith("The site file on this server is older than the one applied on "), older
    assert "configuration version 1 stays in force" in older["message_en"]
    assert run_once(database, new) == (NEW_TEXT, {}), "the new machine: in force, nothing to do, no alert"

    said = cli("check-site", "--db", db, str(old), str(new))
    assert said.returncode == 1, said.stdout
    old_part, new_part = said.stdout.split(f"{new}: ok")
    assert "database: OLDER than the file applied last" in old_part
    assert "Salin berkas situs yang baru ke server ini" in old_part and "Copy the new site file" in old_part
    assert "database: this is the file in force (configuration version 1, applied " in new_part
    history = cli("site-history", "--db", db)
    assert history.returncode == 0, history.stderr
    digest = document_digest(normalised_document(read_document(new)))
    lines = history.stdout.splitlines()
    assert lines[0] == f"uji: configuration version 1 in force, from the site file {digest[:12]}"
    assert [line.split()[0] for line in lines[1:]] == [digest_of(old), digest[:12]]
    assert lines[-1].endswith(f"from {new.resolve()}  <- in force") and str(old.resolve()) in lines[1]


def digest_of(path: Path) -> str:
    return document_digest(normalised_document(read_document(path)))[:12]


async def test_settings_changed_after_the_last_file_stay_and_a_newer_file_replaces_them(
    database: Path | str, tmp_path: Path
) -> None:
    """Settings' rule is kept: a change made on the web after the last file stays when a machine restarts with that
    file or an older one (the alert names the version in force), and a file never applied replaces it."""
    old, new = machines(tmp_path)
    async with running_server(database, site_files=[old]) as s:
        assert s.ctx.state("uji").site.running_text == OLD_TEXT
    async with running_server(database, site_files=[new]) as s:
        admin = await s.login("admin")
        r = await s.http.get("/api/v1/sites/uji/configuration", headers=admin)
        document = r.json()["document"]
        document["site"]["running_text"] = "Teks dari Pengaturan"
        r = await s.http.put("/api/v1/sites/uji/configuration", json={"version": 1, "document": document},
                             headers=admin)  # fmt: skip
        assert r.status_code == 200, r.text
    for site_file in (new, old):
        async with running_server(database, site_files=[site_file]) as s:
            state = s.ctx.state("uji")
            assert (state.configuration.version, state.site.running_text) == (2, "Teks dari Pengaturan")
            alerts = s.ctx.configuration_alerts("uji")
            assert ("site_file_older" in alerts) == (site_file == old), alerts
    newest = tmp_path / "newest.toml"
    newest.write_text(new.read_text().replace(NEW_TEXT, "Berkas terbaru."))
    # An installer's review: check-site said only "a new file ... replaces configuration version 2", not that the
    # change saved on the web since is undone by it, nor how to keep it.
    said = await asyncio.to_thread(cli, "check-site", "--db", str(database), str(newest))
    assert said.returncode == 0, said.stdout
    assert "replaces configuration version 2" in said.stdout
    warned = ("warning: configuration version 2, saved on the Settings page since the file applied last (version 1), "
              "is undone by it: to keep it, download the site file at Settings")  # fmt: skip
    assert warned in said.stdout, said.stdout
    async with running_server(database, site_files=[newest]) as s:
        state = s.ctx.state("uji")
        assert (state.configuration.version, state.configuration.source) == (3, "file")
        assert state.site.running_text == "Berkas terbaru."


async def test_an_older_file_that_is_what_the_site_runs_changes_nothing_and_raises_nothing(
    database: Path | str, tmp_path: Path
) -> None:
    """Settings went back to the old file's contents: the old machine's file is older, but applying it would change
    nothing, so no alert."""
    old, new = machines(tmp_path)
    async with running_server(database, site_files=[old]):
        pass
    async with running_server(database, site_files=[new]) as s:
        admin = await s.login("admin")
        document = (await s.http.get("/api/v1/sites/uji/configuration", headers=admin)).json()["document"]
        document["site"]["running_text"] = OLD_TEXT
        r = await s.http.put("/api/v1/sites/uji/configuration", json={"version": 1, "document": document},
                             headers=admin)  # fmt: skip
        assert r.status_code == 200, r.text
    async with running_server(database, site_files=[old]) as s:
        assert s.ctx.state("uji").configuration.version == 2
        assert "site_file_older" not in s.ctx.configuration_alerts("uji")


def test_check_site_without_a_database_it_can_read_checks_the_files_alone(tmp_path: Path) -> None:
    old, _ = machines(tmp_path)
    missing = cli("check-site", "--db", str(tmp_path / "none.sqlite3"), str(old))
    assert (
        missing.returncode == 0
        and f"no database at {tmp_path / 'none.sqlite3'};" in missing.stdout
        and "the files are checked on their own" in missing.stdout
    )
    # as every command says it, not "no database at SQLite database ..." as it was
    absent = cli("site-history", "--db", str(tmp_path / "none.sqlite3"))
    assert absent.returncode == 1 and absent.stderr.strip() == f"error: no database at {tmp_path / 'none.sqlite3'}"
    # A site file given as --db is a mistake, said as every command says it (it was "cannot be read", status 0).
    mistaken = cli("check-site", "--db", str(old), str(old))
    assert mistaken.returncode == 1 and "Traceback" not in mistaken.stderr, mistaken.stderr
    assert f"error: {old} is not a SQLite database (another kind of file): check --db" in mistaken.stderr
    unreachable = cli("check-site", "--db", "postgresql://uji@127.0.0.1:23399/uji", str(old))
    assert unreachable.returncode == 0, unreachable.stdout + unreachable.stderr
    assert "cannot be read (" in unreachable.stdout and "ok — MPP Uji Beban" in unreachable.stdout
    fresh = tmp_path / "fresh.sqlite3"
    assert cli("migrate", "--db", str(fresh)).returncode == 0
    said = cli("check-site", "--db", str(fresh), str(old))
    assert said.returncode == 0 and "this site was never served there" in said.stdout, said.stdout
    unknown = cli("site-history", "--db", str(fresh), "--site-id", "nowhere")
    assert unknown.returncode == 1 and "holds no site 'nowhere'" in unknown.stderr, unknown.stderr


def test_the_old_machine_s_alert_is_on_the_dashboard_of_every_process(pg_cluster: str, tmp_path: Path) -> None:
    """Two machines on one PostgreSQL database: the old machine's process, restarted beside the new one's, says on
    the new one's dashboard too which process holds the older file."""
    db = asyncio.run(new_database(pg_cluster))
    old, new = machines(tmp_path)
    added = cli("user", "add", "kepala", "--role", "admin", "--site-id", "uji", "--password-stdin", "--db", db,
                "--site", str(old), stdin=PASSWORD + "\n")  # fmt: skip
    assert added.returncode == 0, added.stderr
    run_once(db, old)
    on_new, new_url = serve(db, new)
    try:
        on_old, old_url = serve(db, old)
        try:
            assert look(old_url)[0] == NEW_TEXT
            deadline = time.monotonic() + 60
            while "site_file_older" not in (alerts := look(new_url)[1]) and time.monotonic() < deadline:
                time.sleep(0.5)
            older = alerts["site_file_older"]
            assert older["message"].startswith(f"Proses server {socket.gethostname()} (PID "), older
            assert "melaporkan: Berkas situs di server ini lebih lama" in older["message"]
            assert "reports: The site file on this server is older" in older["message_en"]
        finally:
            _stop(on_old)
        deadline = time.monotonic() + 60
        while "site_file_older" in look(new_url)[1] and time.monotonic() < deadline:
            time.sleep(0.5)
        assert "site_file_older" not in look(new_url)[1], "gone with the process that said it"
    finally:
        _stop(on_new)


async def _as_before_0020(database: Path | str) -> None:
    """The database as the release before 0020 left it: no history, at version 19."""
    statements = ("DROP TABLE site_file_history", *undo_after(19))
    if isinstance(database, Path):
        with sqlite3.connect(database) as conn:
            for sql in statements:
                conn.execute(sql)
        return
    conn = await asyncpg.connect(database)
    try:
        for sql in statements:
            await conn.execute(sql)
    finally:
        await conn.close()


async def test_0020_seeds_the_history_from_the_log_so_an_older_file_is_told_after_the_upgrade(
    database: Path | str, tmp_path: Path
) -> None:
    """A database upgraded to 0020 knows the files applied before from the configurations they made in the log
    (when, not on which machine): the old machine's file is older from the first start of the new release."""
    old, new = machines(tmp_path)
    for site_file in (old, new):
        async with running_server(database, site_files=[site_file]):
            pass
    await _as_before_0020(database)
    migrated = cli("migrate", "--db", str(database))
    assert migrated.returncode == 0 and "0020_site_file_history" in migrated.stdout, migrated.stdout + migrated.stderr
    history = cli("site-history", "--db", str(database)).stdout.splitlines()[1:]
    assert [line.split()[0] for line in history] == [digest_of(new)], "the log's: the file that made version 1"
    assert history[0].endswith("UTC (machine not recorded)  <- in force"), history
    # The old machine's file, the first served (version 0, no event), is known from the database's memory of it.
    async with running_server(database, site_files=[old]) as s:
        state = s.ctx.state("uji")
        assert (state.configuration.version, state.site.running_text) == (1, NEW_TEXT)
        older = s.ctx.configuration_alerts("uji")["site_file_older"]
        assert (older["host"], older["version"]) == ("", 1) and older["applied_at"], older
    history = cli("site-history", "--db", str(database)).stdout.splitlines()[1:]
    assert [line.split()[0] for line in history] == [digest_of(old), digest_of(new)], history
    assert "before the history was kept" in history[0]
