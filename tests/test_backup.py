"""`queue-server backup` while the server issues tickets, and `queue-server restore` (server stopped): the copy holds
everything acknowledged before the backup began, passes SQLite's integrity check, and serves again."""

from __future__ import annotations

import asyncio
import os
import pwd
import resource
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from .helpers import KIOSK, bearer, free_socket, running_server, tmpfs
from .pg_support import new_database, server_env
from .test_cli import wait_until_healthy


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "queue_server", *args], capture_output=True, text=True, check=False,
                          env=server_env(*args))  # fmt: skip


def _tickets(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {row[0] for row in conn.execute("SELECT id FROM tickets")}


async def test_a_backup_under_load_restores_and_serves(tmp_path: Path) -> None:
    db, copy, restored = tmp_path / "q.sqlite3", tmp_path / "backups" / "q-1.sqlite3", tmp_path / "r.sqlite3"
    async with running_server(db) as s:
        acknowledged: list[str] = []
        stop = asyncio.Event()

        async def kiosk(n: int) -> None:
            async with httpx.AsyncClient(base_url=s.url, timeout=10) as http:
                while not stop.is_set():
                    r = await http.post("/api/v1/sites/tegal/tickets", json={"service": ["pkb", "npwp", "spt"][n]},
                                        headers=bearer(KIOSK))  # fmt: skip
                    assert r.status_code == 201, r.text
                    acknowledged.append(r.json()["ticket"]["id"])

        kiosks = [asyncio.create_task(kiosk(n)) for n in range(3)]
        while len(acknowledged) < 100:  # noqa: ASYNC110 - waiting for the load to run
            await asyncio.sleep(0.02)
        before = list(acknowledged)
        made = await asyncio.to_thread(_cli, "backup", str(copy), "--db", str(db))
        stop.set()
        await asyncio.gather(*kiosks)
    assert made.returncode == 0, made.stderr
    assert "integrity checked" in made.stdout and "not in the backup" in made.stdout
    assert copy.stat().st_mode & 0o777 == 0o600, "password hashes and ticket links: for the owner only"
    in_copy = await asyncio.to_thread(_tickets, copy)
    assert set(before) <= in_copy, "a ticket acknowledged before the backup began is missing from it"
    again = await asyncio.to_thread(_cli, "backup", str(copy), "--db", str(db))
    assert again.returncode != 0 and "never overwrites" in again.stderr
    done = await asyncio.to_thread(_cli, "restore", str(copy), "--db", str(restored))
    assert done.returncode == 0, done.stderr
    assert restored.stat().st_mode & 0o777 == 0o600, "the restored database too"
    refused = await asyncio.to_thread(_cli, "restore", str(copy), "--db", str(restored))
    assert refused.returncode != 0 and "--replace" in refused.stderr
    replaced = await asyncio.to_thread(_cli, "restore", str(copy), "--db", str(restored), "--replace")
    assert replaced.returncode == 0, replaced.stderr
    assert await asyncio.to_thread(lambda: list(tmp_path.glob("r.sqlite3.replaced-*")))
    async with running_server(restored) as s:
        assert set(before) <= set(s.ctx.state("tegal").tickets)
        assert (await s.http.get("/healthz")).status_code == 200


async def test_a_postgresql_backup_restores_into_a_new_database(pg_cluster: str, tmp_path: Path) -> None:
    source, target = await new_database(pg_cluster), await new_database(pg_cluster)
    async with running_server(source) as s:
        issued = {(await s.issue("pkb"))["ticket"]["id"] for _ in range(20)}
        made = await asyncio.to_thread(_cli, "backup", str(tmp_path / "pg.dump"), "--db", source)
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "pg.dump").stat().st_mode & 0o777 == 0o600
    wrong = await asyncio.to_thread(_cli, "restore", str(tmp_path / "pg.dump"), "--db", str(tmp_path / "x.sqlite3"))
    assert wrong.returncode != 0 and "is a PostgreSQL backup (pg_dump)" in wrong.stderr, wrong.stderr
    done = await asyncio.to_thread(_cli, "restore", str(tmp_path / "pg.dump"), "--db", target)
    assert done.returncode == 0, done.stderr
    again = await asyncio.to_thread(_cli, "restore", str(tmp_path / "pg.dump"), "--db", target)
    assert again.returncode != 0 and "not empty" in again.stderr
    async with running_server(target) as s:
        assert issued <= set(s.ctx.state("tegal").tickets)


@pytest.mark.parametrize("what", ["missing", "damaged"])
def test_a_bad_backup_is_refused_and_nothing_changes(tmp_path: Path, what: str) -> None:
    source = tmp_path / "b.sqlite3"
    if what == "damaged":
        source.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100 + b"not a database" * 50)
    done = _cli("restore", str(source), "--db", str(tmp_path / "t.sqlite3"))
    assert done.returncode != 0 and "error:" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "t.sqlite3").exists()


def test_the_database_is_for_the_server_s_account_only(tmp_path: Path) -> None:
    """It holds password hashes, ticket links, the NIK key and NIK hashes: a new one is made owner only, and one made
    readable by others (before this release, or by hand) is tightened at the next start."""
    new, old = tmp_path / "new.sqlite3", tmp_path / "old.sqlite3"
    assert _cli("migrate", "--db", str(new)).returncode == 0
    assert new.stat().st_mode & 0o777 == 0o600
    sqlite3.connect(old).close()
    old.chmod(0o644)
    done = _cli("migrate", "--db", str(old))
    assert done.returncode == 0, done.stderr
    assert old.stat().st_mode & 0o777 == 0o600 and "now owner only" in done.stderr, done.stderr


def _cli_on_a_full_disk(room: int, *args: str) -> subprocess.CompletedProcess[str]:
    """The command with no file of it growing past `room` bytes: its writes fail there as on a full disk (the
    kernel's file size limit, EFBIG; Python ignores the SIGXFSZ that comes with it)."""

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (room, room))

    return subprocess.run([sys.executable, "-m", "queue_server", *args], capture_output=True, text=True, check=False,
                          preexec_fn=limited)  # fmt: skip  # noqa: PLW1509 - no threads in the child before exec


def _accounts(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {row[0] for row in conn.execute("SELECT username FROM users")}


def _files(folder: Path) -> list[str]:
    """The folder's files but the lock file, which every command on the database takes."""
    return sorted(p.name for p in folder.iterdir() if not p.name.endswith(".lock"))


def _add_account(db: Path, name: str) -> None:
    done = subprocess.run([sys.executable, "-m", "queue_server", "user", "add", name, "--role", "supervisor",
                           "--site-id", "tegal", "--password-stdin", "--db", str(db)],
                          input="kopi-hujan-sepeda-7\n", capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_a_restore_that_cannot_be_written_leaves_the_database_as_it_was(tmp_path: Path) -> None:
    """A restore failing half way (its disk full) changes nothing: it wrote in place before, leaving an empty file
    where the database was (the old one moved aside), which the next start took for a new, empty mall."""
    db, copy = tmp_path / "q.sqlite3", tmp_path / "b.sqlite3"
    _add_account(db, "kepala")
    assert _cli("backup", str(copy), "--db", str(db)).returncode == 0
    _add_account(db, "wakil")  # after the backup: what a restore takes back
    before = _files(tmp_path)

    failed = _cli_on_a_full_disk(64_000, "restore", str(copy), "--db", str(db), "--replace")
    assert failed.returncode == 1, failed.stderr
    assert "Traceback" not in failed.stderr
    assert f"{db} could not be written" in failed.stderr and "Nothing was changed" in failed.stderr, failed.stderr
    assert "free in" in failed.stderr and "needs about" in failed.stderr, "the room there and the room it needs"
    assert _files(tmp_path) == before, "nothing moved aside, nothing half written left"
    assert _accounts(db) == {"kepala", "wakil"}, "the database as it was"

    done = _cli("restore", str(copy), "--db", str(db), "--replace")
    assert done.returncode == 0, done.stderr
    assert _accounts(db) == {"kepala"}
    (aside,) = [p for p in tmp_path.glob("q.sqlite3.replaced-*") if not p.name.endswith(("-wal", "-shm"))]
    assert _accounts(aside) == {"kepala", "wakil"}
    assert db.stat().st_mode & 0o777 == 0o600 and not list(tmp_path.glob("*.restoring*"))


def test_a_restore_where_a_database_was_removed_is_not_mixed_with_its_leftover_wal(tmp_path: Path) -> None:
    """An installer's review: a box that lost power (its -wal and -shm left beside the database), the database file
    removed to start again from the backup, then `restore`. The restore said "3 tickets", but SQLite replayed the
    removed database's WAL into the restored file at its first opening: 23 tickets and a failed integrity check.
    What an earlier database left beside the target is moved aside as a replaced database's files are."""
    db, copy = tmp_path / "q.sqlite3", tmp_path / "b.sqlite3"
    _add_account(db, "kepala")
    assert _cli("backup", str(copy), "--db", str(db)).returncode == 0
    crash = (  # a process that writes and dies without closing: its change stays in the -wal only
        "import os, sqlite3, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None); "
        "c.execute('PRAGMA journal_mode=WAL'); c.execute('PRAGMA wal_autocheckpoint=0'); "
        "c.execute(\"UPDATE users SET username = 'hilang'\"); os._exit(0)"
    )
    subprocess.run([sys.executable, "-c", crash, str(db)], check=True)
    assert Path(f"{db}-wal").stat().st_size > 0
    db.unlink()  # the technician's "start again from the backup"

    done = _cli("restore", str(copy), "--db", str(db))
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert _accounts(db) == {"kepala"}, "the backup as it was, nothing of the removed database's log"
    assert [p.name for p in tmp_path.glob("q.sqlite3.replaced-*-wal")], "the leftover log kept aside, not deleted"
    assert f"{db}-wal" in done.stdout and "moved aside" in done.stdout, done.stdout


def test_a_restore_into_a_folder_without_the_notification_key_says_to_copy_it(tmp_path: Path) -> None:
    """An installer's review: a backup says the key is not in it, but a restore into a new folder (a new machine)
    said nothing, and the technician learnt of the key only when the server made a new one, or refused to start."""
    db, copy, moved = tmp_path / "q.sqlite3", tmp_path / "b.sqlite3", tmp_path / "new" / "q.sqlite3"
    _add_account(db, "kepala")
    assert _cli("backup", str(copy), "--db", str(db)).returncode == 0
    done = _cli("restore", str(copy), "--db", str(moved))
    assert done.returncode == 0, done.stderr
    key = moved.parent / "notify.key"
    assert f"no notification key at {key}: copy there the notify.key kept apart" in done.stdout, done.stdout
    assert _accounts(moved) == {"kepala"} and not key.exists(), "the restore itself makes no key"

    key.write_bytes(Fernet.generate_key())  # the key copied from the old machine
    again = _cli("restore", str(copy), "--db", str(moved), "--replace")
    assert again.returncode == 0 and "notification key" not in again.stdout, again.stdout


def test_a_restore_beside_another_notification_key_says_so(tmp_path: Path) -> None:
    """An installer's review: on the new machine the server had been started once (it made a key of its own), then the
    backup restored into its folder: the restore said nothing of the key there, and the server started with it, every
    webhook and message failing. The restore says the key there does not fit; the right key, nothing."""
    db, copy, moved = tmp_path / "q.sqlite3", tmp_path / "b.sqlite3", tmp_path / "new" / "q.sqlite3"
    added = _cli("webhook", "add", "--site-id", "tegal", "--url", "https://siak.example.go.id/hook", "--events",
                 "ticket.called", "--db", str(db))  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert _cli("backup", str(copy), "--db", str(db)).returncode == 0
    moved.parent.mkdir()
    key = moved.parent / "notify.key"
    key.write_bytes(Fernet.generate_key())  # made by a first start on the new machine
    done = _cli("restore", str(copy), "--db", str(moved))
    assert done.returncode == 0, done.stderr
    assert f"the notification key at {key} is not the one that encrypted" in done.stdout, done.stdout
    shutil.copy(tmp_path / "notify.key", key)  # the key kept apart
    again = _cli("restore", str(copy), "--db", str(moved), "--replace")
    assert again.returncode == 0 and "notification key" not in again.stdout, again.stdout


def test_a_damaged_backup_restored_into_a_new_folder_leaves_no_folder(tmp_path: Path) -> None:
    """A restore refused (the backup damaged) into a path whose folders did not exist left those folders behind, with
    nothing in them: the next command took the empty folder for where the database had been."""
    damaged, db = tmp_path / "b.sqlite3", tmp_path / "srv" / "var" / "q.sqlite3"
    damaged.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    refused = _cli("restore", str(damaged), "--db", str(db))
    assert refused.returncode == 1 and "Traceback" not in refused.stderr, refused.stderr
    assert not (tmp_path / "srv").exists(), list((tmp_path / "srv").rglob("*"))


def test_a_backup_on_a_full_disk_names_that_disk_not_the_database(tmp_path: Path) -> None:
    """The backup's own disk full: said so, with the room there. It said the database 'could not be read', which
    sends a technician after a database that is fine."""
    db, copy = tmp_path / "q.sqlite3", tmp_path / "backups" / "b.sqlite3"
    _add_account(db, "kepala")
    failed = _cli_on_a_full_disk(64_000, "backup", str(copy), "--db", str(db))
    assert failed.returncode == 1 and "Traceback" not in failed.stderr, failed.stderr
    assert f"{copy} could not be written" in failed.stderr and "could not be read" not in failed.stderr, failed.stderr
    assert not copy.exists() and not list(copy.parent.iterdir()), "no partial backup left to be mistaken for one"
    assert _cli("backup", str(copy), "--db", str(db)).returncode == 0, "with room, the same command works"


def test_folders_a_backup_or_restore_makes_are_the_account_s_only(tmp_path: Path) -> None:
    """An installer's review: `backup backups/queue-$(date +%F).sqlite3` (the README's) made `backups/` readable by
    every account of the box (mode 755, the umask's), where docs/deployment.md asks for 700; a restore into a new
    folder the same. The copies in them were 600, but their names and sizes were anyone's to list."""
    db, copy, moved = tmp_path / "q.sqlite3", tmp_path / "backups" / "b.sqlite3", tmp_path / "new" / "var" / "q.sqlite3"
    _add_account(db, "kepala")
    assert _cli("backup", str(copy), "--db", str(db)).returncode == 0
    assert copy.parent.stat().st_mode & 0o777 == 0o700, oct(copy.parent.stat().st_mode)
    assert _cli("restore", str(copy), "--db", str(moved)).returncode == 0
    assert moved.parent.stat().st_mode & 0o777 == 0o700, oct(moved.parent.stat().st_mode)


def _modes(top: Path) -> dict[str, str]:
    """The mode of `top` and of every folder under it, by its path from `top`'s parent."""
    return {str(p.relative_to(top.parent)): oct(p.stat().st_mode & 0o777) for p in [top, *top.rglob("*")] if p.is_dir()}


def test_every_folder_a_nested_db_or_backup_makes_is_the_account_s_only(tmp_path: Path) -> None:
    """An installer's walk: `--db /srv/antrean/new/a/b/mall.sqlite3` made `b` 700 and `new` and `a` with the umask's
    755 (Path.mkdir gives its mode to the last folder only), so every account of the box could list the folders the
    database, its key and its archive sit in; a backup, a restore and an archive into new nested folders the same.
    Every folder a command makes is 700 now, whatever the umask; one that was there keeps its mode."""
    srv = tmp_path / "srv"
    srv.mkdir()
    srv.chmod(0o755)  # there before: left as it is
    db = srv / "new" / "a" / "b" / "mall.sqlite3"

    def cli(*args: str) -> subprocess.CompletedProcess[str]:  # under a umask that leaves folders open to the group
        return subprocess.run([sys.executable, "-m", "queue_server", *args], capture_output=True, text=True,
                              check=False, preexec_fn=lambda: os.umask(0o002))  # fmt: skip  # noqa: PLW1509

    assert cli("migrate", "--db", str(db)).returncode == 0
    assert _modes(srv) == {"srv": "0o755", "srv/new": "0o700", "srv/new/a": "0o700", "srv/new/a/b": "0o700"}
    copy = srv / "backups" / "2026" / "12" / "b.sqlite3"
    done = cli("backup", str(copy), "--db", str(db))
    assert done.returncode == 0, done.stderr
    moved = srv / "restored" / "x" / "var" / "q.sqlite3"
    done = cli("restore", str(copy), "--db", str(moved))
    assert done.returncode == 0, done.stderr
    done = cli("archive", "--before", "2026-01-01", "--to", str(srv / "archives" / "2025" / "all"), "--db", str(db))
    assert done.returncode == 0, done.stderr
    assert (srv / "archives" / "2025" / "all").is_dir(), "an archive's folder is made even when nothing is due"
    modes = _modes(srv)
    assert modes.pop("srv") == "0o755"
    assert set(modes.values()) == {"0o700"}, modes
    assert {"srv/backups/2026/12", "srv/restored/x/var", "srv/archives/2025/all"} <= modes.keys(), modes


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can make a folder of another account, and run as root")
def test_root_is_refused_on_the_server_s_folder_but_may_back_it_up(tmp_path: Path) -> None:
    """A command run as root in the folder of the server's account would make root's files there (the lock file, a
    new or restored database, notify.key), and the server, running as that account, could not start ("Permission
    denied: 'var/queue.sqlite3.lock'"). Refused, naming the account to run it as; a backup may run as root (SQLite
    gives what it makes beside the database the database's owner)."""
    nobody = pwd.getpwnam("nobody")
    made, var = tmp_path / "made.sqlite3", tmp_path / "var"
    _add_account(made, "kepala")
    var.mkdir()
    db = var / "queue.sqlite3"
    shutil.copyfile(made, db)
    for path in (var, db):
        os.chown(path, nobody.pw_uid, nobody.pw_gid)

    for command in (["user", "add", "wakil", "--role", "supervisor", "--site-id", "tegal", "--password-stdin"],
                    ["migrate"], ["restore", str(made), "--replace"], ["serve", "--port", "0"]):  # fmt: skip
        refused = subprocess.run([sys.executable, "-m", "queue_server", *command, "--db", str(db)], text=True,
                                 input="kopi-hujan-sepeda-7\n", capture_output=True, check=False)  # fmt: skip
        assert refused.returncode == 1 and "Traceback" not in refused.stderr, refused.stderr
        assert "belongs to the account nobody, and this command runs as root" in refused.stderr, refused.stderr
        assert "sudo -u nobody queue-server" in refused.stderr
    assert sorted(p.name for p in var.iterdir()) == ["queue.sqlite3"], "nothing made there"
    assert _accounts(db) == {"kepala"}

    copy = tmp_path / "b.sqlite3"
    done = _cli("backup", str(copy), "--db", str(db))
    assert done.returncode == 0, done.stderr
    assert {p.stat().st_uid for p in var.iterdir()} == {nobody.pw_uid}, "what SQLite made beside it is the owner's"


def test_commands_that_need_the_server_stopped_say_how_while_it_runs(tmp_path: Path) -> None:
    """restore, migrate, archive and close-day beside a running server: refused by its lock file, saying to stop it
    first and how, while a backup goes on."""
    db = tmp_path / "q.sqlite3"
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    server = subprocess.Popen([sys.executable, "-m", "queue_server", "serve", "--port", str(port), "--db", str(db)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        wait_until_healthy(port, server)
        copy = tmp_path / "b.sqlite3"
        made = _cli("backup", str(copy), "--db", str(db))
        assert made.returncode == 0, made.stderr
        for command in (["restore", str(copy), "--replace"], ["migrate"], ["archive", "--before", "2026-01-01"],
                        ["close-day", "--site-id", "tegal"]):  # fmt: skip
            refused = _cli(*command, "--db", str(db))
            assert refused.returncode == 1 and "Traceback" not in refused.stderr, refused.stderr
            assert f"another queue server is using {db}" in refused.stderr, refused.stderr
            assert "stop it first (systemctl stop queue-server), then run this again" in refused.stderr
    finally:
        server.terminate()
        server.communicate(timeout=30)
    assert server.returncode in (0, -15)
    assert _cli("restore", str(copy), "--db", str(db), "--replace").returncode == 0, "stopped, it goes"


def _partials(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".partial"))


def test_a_nightly_backup_run_twice_a_day_replaces_today_s_with_a_whole_checked_one(tmp_path: Path) -> None:
    """The documented timer names the file by the day: run twice that day it failed ('exists already') and the unit
    showed failed. With --replace the second run takes the first one's place, only once whole and checked: one that
    fails leaves the first as it was, and a copy killed half way leaves no file under a backup's name."""
    db, folder = tmp_path / "q.sqlite3", tmp_path / "backups"
    today = folder / "antrean-2026-12-07.sqlite3"
    _add_account(db, "kepala")
    assert _cli("backup", str(today), "--db", str(db), "--replace").returncode == 0, "a first run: nothing to replace"
    _add_account(db, "wakil")
    again = _cli("backup", str(today), "--db", str(db))
    assert again.returncode == 1 and "exists already" in again.stderr and "--replace" in again.stderr, again.stderr
    assert _accounts(today) == {"kepala"}

    failed = _cli_on_a_full_disk(64_000, "backup", str(today), "--db", str(db), "--replace")
    assert failed.returncode == 1 and "Traceback" not in failed.stderr, failed.stderr
    assert f"{today} could not be written" in failed.stderr and "Nothing was changed" in failed.stderr
    assert _accounts(today) == {"kepala"}, "the good backup of the morning stays, not a broken one"
    assert _partials(folder) == [], "nothing half made left"

    dead = subprocess.Popen(["true"])  # noqa: S607 - a process that has ended: its id names no process
    dead.wait()
    killed = folder / f".{today.name}.{dead.pid}.partial"
    killed.write_bytes(b"SQLite format 3\x00 half a copy")  # what a backup killed half way (kill -9) leaves
    done = _cli("backup", str(today), "--db", str(db), "--replace")
    assert done.returncode == 0, done.stderr
    assert "in place of the one there" in done.stdout and "integrity checked" in done.stdout, done.stdout
    assert _accounts(today) == {"kepala", "wakil"}
    assert today.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in folder.iterdir()) == [today.name], "the killed run's copy went too"


def _without_overriding_permissions() -> None:
    """Root without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH for the command it runs: folder modes hold for it, as
    for any other account (prctl PR_CAPBSET_DROP; root's capabilities after exec are its bounding set)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        assert libc.prctl(24, capability, 0, 0, 0) == 0, ctypes.get_errno()  # PR_CAPBSET_DROP


def test_a_backup_into_a_folder_the_account_cannot_write_names_that_folder_and_what_to_do(tmp_path: Path) -> None:
    """It said 'SQLite database var/q.sqlite3: PermissionError: ...', under the database's name: now the folder, the
    account and the command that makes the folder right."""
    db, folder = tmp_path / "q.sqlite3", tmp_path / "backups"
    _add_account(db, "kepala")
    folder.mkdir(mode=0o755)
    me = pwd.getpwuid(os.geteuid()).pw_name
    if os.geteuid() == 0:
        os.chown(folder, pwd.getpwnam("nobody").pw_uid, -1)
        owner, mode, fence = "nobody", "755", _without_overriding_permissions
    else:
        folder.chmod(0o555)
        owner, mode, fence = me, "555", None
    for dest in (folder / "b.sqlite3", folder / "nightly" / "b.sqlite3"):
        failed = subprocess.run([sys.executable, "-m", "queue_server", "backup", str(dest), "--db", str(db)],
                                capture_output=True, text=True, check=False, preexec_fn=fence)  # fmt: skip  # noqa: PLW1509
        assert failed.returncode == 5 and "Traceback" not in failed.stderr, failed.stderr  # the account's rights
        assert "PermissionError" not in failed.stderr and "SQLite database" not in failed.stderr, failed.stderr
        assert f"the account {me}, which runs this command, may not write into {dest.parent}" in failed.stderr
        assert f"{folder} belongs to the account {owner}, mode {mode}" in failed.stderr, failed.stderr
        assert f"install -d -o {me} -g {me} -m 700 {dest.parent}" in failed.stderr, failed.stderr
    assert list(folder.iterdir()) == [], "nothing made there"


def test_a_backup_onto_a_read_only_disk_says_it_is_read_only_not_full_and_a_full_one_says_full(tmp_path: Path) -> None:
    """An installer's walk: the backup disk mounted read-only (a USB disk the kernel remounted so after an error) was
    said as the account's rights or as too little room, which sent the technician to free space on a disk with room.
    Now: that disk is mounted read-only, which one, how to remount it, status 5 (as database_health says a read-only
    database); a disk really full says so with status 6. Real file systems (tmpfs), real processes."""
    db = tmp_path / "var" / "q.sqlite3"
    _add_account(db, "kepala")
    with tmpfs(tmp_path / "usb", "4m") as usb:
        kept = usb / "backups" / "b-kemarin.sqlite3"
        assert _cli("backup", str(kept), "--db", str(db)).returncode == 0
        before = {p: p.stat().st_mtime_ns for p in usb.rglob("*")}
        subprocess.run(["mount", "-o", "remount,ro", str(usb)], check=True)  # noqa: S607
        cases = [  # a new file in the disk's top folder, in a folder there, in folders to be made; one to replace
            ["backup", str(usb / "b.sqlite3")],
            ["backup", str(usb / "backups" / "b.sqlite3")],
            ["backup", str(usb / "2026" / "12" / "b.sqlite3")],
            ["backup", str(kept), "--replace"],
        ]
        for command in cases:
            failed = _cli(*command, "--db", str(db))
            assert failed.returncode == 5 and "Traceback" not in failed.stderr, (command, failed.stderr)
            said = failed.stderr
            assert f"is on a file system mounted read-only ({usb.resolve()})" in said, said
            assert f"mount -o remount,rw {usb.resolve()}" in said and "Nothing was changed" in said, said
            assert "full" not in said and "free" not in said and "may not write" not in said, said
        restored = _cli("restore", str(kept), "--db", str(usb / "var" / "q.sqlite3"))
        assert restored.returncode == 5 and "Traceback" not in restored.stderr, restored.stderr
        assert f"the file system of {usb.resolve()} is mounted read-only" in restored.stderr, restored.stderr
        assert {p: p.stat().st_mtime_ns for p in usb.rglob("*")} == before, "nothing made or changed there"

        # Writable again, but with less room than the copy needs: full, status 6, nothing left behind.
        subprocess.run(["mount", "-o", "remount,rw", str(usb)], check=True)  # noqa: S607
        filler = usb / "filler"
        room = shutil.disk_usage(usb).free - db.stat().st_size // 2
        filler.write_bytes(b"\0" * room)
        full = _cli("backup", str(usb / "backups" / "b.sqlite3"), "--db", str(db))
        assert full.returncode == 6 and "Traceback" not in full.stderr, full.stderr
        assert "could not be written (the disk is full)" in full.stderr and "read-only" not in full.stderr
        assert sorted(p.name for p in (usb / "backups").iterdir()) == [kept.name], "no partial copy left"
        filler.unlink()
        assert _cli("backup", str(usb / "backups" / "b.sqlite3"), "--db", str(db)).returncode == 0


def test_a_database_on_a_disk_mounted_read_only_is_backed_up_with_its_log(tmp_path: Path) -> None:
    """An installer's walk: the database's own disk remounted read-only by the kernel after an error, the moment a
    technician takes a backup first. SQLite cannot open a database in WAL mode where it cannot make its -shm, and the
    backup said the backup's disk had too little room (83 GB free). Now the database's files are copied beside the
    backup and read from there: the backup is taken, with the transactions still in the log, and nothing is written
    on the read-only disk or left beside the backup."""
    db = tmp_path / "var" / "q.sqlite3"
    _add_account(db, "kepala")
    with tmpfs(tmp_path / "disk", "8m") as disk:
        moved = disk / "q.sqlite3"
        shutil.copyfile(db, moved)
        writer = sqlite3.connect(moved)
        writer.execute("PRAGMA wal_autocheckpoint = 0")  # the last transactions stay in the log, as after a crash
        writer.execute("CREATE TABLE only_in_the_log (said TEXT)")
        writer.execute("INSERT INTO only_in_the_log VALUES ('sesudah pemeriksaan terakhir')")
        writer.commit()
        assert Path(f"{moved}-wal").stat().st_size > 0
        copied = tmp_path / "crash"  # the files as the crash left them (the writer still holds them open)
        copied.mkdir()
        for suffix in ("", "-wal"):
            shutil.copyfile(f"{moved}{suffix}", copied / f"q.sqlite3{suffix}")
        writer.close()
        for name in ("q.sqlite3", "q.sqlite3-wal"):
            shutil.copyfile(copied / name, disk / name)
        Path(f"{moved}-shm").unlink(missing_ok=True)
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)  # noqa: S607
        before = {p: p.stat().st_mtime_ns for p in disk.rglob("*")}
        backups = tmp_path / "backups"
        taken = _cli("backup", str(backups / "b.sqlite3"), "--db", str(moved))
        assert taken.returncode == 0 and "Traceback" not in taken.stderr, taken.stderr + taken.stdout
        with sqlite3.connect(backups / "b.sqlite3") as conn:
            assert conn.execute("SELECT said FROM only_in_the_log").fetchall() == [("sesudah pemeriksaan terakhir",)]
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert sorted(p.name for p in backups.iterdir()) == ["b.sqlite3"], "nothing left beside the backup"
        assert {p: p.stat().st_mtime_ns for p in disk.rglob("*")} == before, "nothing written on the read-only disk"
