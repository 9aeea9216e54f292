"""An installer's box on a database that cannot be used as it is: damaged (random bytes, cut off, damaged deep inside),
not the account's to read or write, on a read-only disk; PostgreSQL out of reach. Every command that opens the
database stops in a sentence naming the file and what to do, with an exit status of its own (4 damaged, 5 the
account's rights or an unreachable server, 6 a full disk: test_storage_failing.py), and touches nothing: no mode
tightened, no -wal, -shm or lock file made beside it, not a byte of it changed (`check-site --db`, which only reads
it, too). Real processes, real files."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from queue_server.settings.sitefile import DEMO_SITE

from .helpers import tmpfs
from .test_cli import QS, migrate_meeting, run

SITE = ["--site", str(DEMO_SITE)]
# Every command that opens the database, as an installer runs them (backup only reads it).
COMMANDS = [
    ["serve", "--port", "0", *SITE],
    ["demo", "--port", "0"],
    ["migrate"],
    ["user", "list", *SITE],
    ["user", "add", "kepala", "--role", "supervisor", "--site-id", "tegal", "--password-stdin", *SITE],
    ["device", "list", *SITE],
    ["close-day", "--site-id", "tegal", *SITE],
    ["archive", "--before", "2026-01-01", *SITE],
    ["site-history"],
    ["check-site", str(DEMO_SITE)],  # only reads it, to compare the files with those applied: it said "ok", status 0
]


def _state(folder: Path) -> dict[str, tuple[int, str]]:
    """Every file in `folder`: its mode and its content's digest."""
    return {p.name: (p.stat().st_mode, hashlib.sha256(p.read_bytes()).hexdigest()) for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def good_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real database of this release, with a few thousand rows so that damage can lie deep inside it."""
    folder = tmp_path_factory.mktemp("good")
    db = folder / "queue.sqlite3"
    run("migrate", "--db", str(db))
    conn = sqlite3.connect(db)
    conn.executemany(
        "INSERT INTO audit (site, at, actor, role, action, target, details, seq) "
        "VALUES ('tegal', '2026-12-01T01:00:00Z', 'admin', 'admin', 'user.add', 'x', ?, ?)",
        [(f'{{"n": {i}, "pad": "{"x" * 200}"}}', i) for i in range(8000)],
    )
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return db


def _damaged(good: Path, folder: Path, how: str) -> Path:
    folder.mkdir()
    db = folder / "queue.sqlite3"
    data = good.read_bytes()
    if how == "random bytes":
        db.write_bytes(os.urandom(len(data)))
    elif how == "cut off":
        db.write_bytes(data[: len(data) // 3])  # a copy that ran out of room
    elif how == "header and garbage":
        db.write_bytes(data[:16] + os.urandom(len(data) - 16))
    db.chmod(0o644)  # as a copy by hand leaves it: not even its mode may change
    return db


@pytest.mark.parametrize("how", ["random bytes", "cut off", "header and garbage"])
def test_a_damaged_database_stops_every_command_in_one_sentence_and_is_never_touched(
    good_database: Path, tmp_path: Path, how: str
) -> None:
    db = _damaged(good_database, tmp_path / "var", how)
    before = _state(db.parent)
    # every command once; for each kind the three starts and check-site, which only reads it
    commands = COMMANDS if how == "cut off" else [*COMMANDS[:3], COMMANDS[-1]]
    for command in [*commands, ["backup", str(tmp_path / "b.sqlite3")]]:
        done = run(*command, "--db", str(db), stdin="sandi-yang-panjang\n", check=False)
        assert done.returncode == 4, (command, done.returncode, done.stderr)
        said = done.stderr.strip().splitlines()[-1]
        assert "Traceback" not in done.stderr and said.startswith(f"error: the SQLite database {db} is damaged"), (
            command,
            done.stderr,
        )
        assert f"queue-server restore BACKUP --db {db} --replace" in said and "Nothing was changed" in said, said
        assert _state(db.parent) == before, (command, "the damaged file and its folder as they were")
    assert not (tmp_path / "b.sqlite3").exists()

    # What the sentence says to do works on it: the backup put back, the damaged file kept aside as it was.
    backup = tmp_path / "backup.sqlite3"
    run("backup", str(backup), "--db", str(good_database))
    restored = run("restore", str(backup), "--db", str(db), "--replace")
    assert "moved aside" in restored.stdout, restored.stdout
    aside = [p for p in db.parent.iterdir() if ".replaced-" in p.name]
    assert len(aside) == 1 and _state(db.parent)[aside[0].name][1] == before[db.name][1]
    assert "nothing to do" in run("migrate", "--db", str(db)).stdout


def test_damage_deep_inside_is_found_by_the_backup_which_names_the_database_not_its_copy(
    good_database: Path, tmp_path: Path
) -> None:
    """A page in the middle of a table the server does not read at start: the nightly backup's integrity check finds
    it, and says the database is damaged (it said the copy was "not a usable SQLite database")."""
    folder = tmp_path / "var"
    folder.mkdir()
    db = folder / "queue.sqlite3"
    shutil.copyfile(good_database, db)
    size = db.stat().st_size
    with db.open("r+b") as f:
        f.seek(size // 4096 // 2 * 4096)
        f.write(os.urandom(3 * 4096))
    before = _state(folder)
    done = run("backup", str(tmp_path / "b.sqlite3"), "--db", str(db), check=False)
    assert done.returncode == 4 and "Traceback" not in done.stderr, done.stderr
    assert f"the SQLite database {db} is damaged (SQLite's integrity check of its copy fails" in done.stderr
    # (a read-only connection leaves SQLite's -wal and -shm beside a database no server has open, as it always did)
    assert not (tmp_path / "b.sqlite3").exists() and _state(folder)[db.name] == before[db.name]


def _without_root_s_override() -> list[str]:
    """The command prefix that runs a command as root without the right to ignore files' modes (CAP_DAC_OVERRIDE,
    CAP_DAC_READ_SEARCH): root as a service account meets them. Skipped where the tests do not run as root."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv (util-linux) to drop the right to override files' modes")
    drop = "-dac_override,-dac_read_search"
    return ["setpriv", f"--bounding-set={drop}", f"--inh-caps={drop}"]


def test_a_database_the_account_may_not_use_names_the_file_its_owner_and_mode(
    good_database: Path, tmp_path: Path
) -> None:
    prefix = _without_root_s_override()
    cases = [  # (mode of the database, mode of its folder, what is said)
        (0o000, 0o700, "may not read it: {db} belongs to the account root, mode 000"),
        (0o400, 0o700, "may not write {db}: {db} belongs to the account root, mode 400"),
        (
            0o600,
            0o500,
            "may not write in its folder (SQLite and the server make the -wal, -shm and .lock files "
            "there): {folder} belongs to the account root, mode 500",
        ),  # fmt: skip
        (0o600, 0o000, "may not open its folder: {folder} belongs to the account root, mode 000"),
    ]
    for i, (file_mode, folder_mode, expected) in enumerate(cases):
        folder = tmp_path / f"var{i}"
        folder.mkdir()
        db = folder / "queue.sqlite3"
        shutil.copyfile(good_database, db)
        db.chmod(file_mode)
        folder.chmod(folder_mode)
        try:
            for command in (COMMANDS[0], COMMANDS[3]):
                done = subprocess.run([*prefix, *QS, *command, "--db", str(db)], capture_output=True, text=True,
                                      timeout=60, check=False)  # fmt: skip
                assert done.returncode == 5 and "Traceback" not in done.stderr, (command, done.stderr)
                said = done.stderr.strip().splitlines()[-1]
                assert said.startswith(f"error: the SQLite database {db} cannot be used: the account root "), said
                assert expected.format(db=db, folder=folder.resolve()) in said, said
                assert "Nothing was changed" in said and "chmod -R u+rwX" in said, said
        finally:
            folder.chmod(0o700)
        assert sorted(p.name for p in folder.iterdir()) == ["queue.sqlite3"], "no lock, -wal or -shm file made"
        assert db.stat().st_mode & 0o777 == file_mode

    # A data folder to be made where the account may not make it: said as the database's (it was "nw/var: Permission
    # denied (the database is not at fault)"), with the folder to make for it, never a chown -R of the one above.
    above = tmp_path / "srv"
    above.mkdir(mode=0o555)
    above.chmod(0o555)
    db = above / "var" / "queue.sqlite3"
    try:
        done = subprocess.run([*prefix, *QS, "migrate", "--db", str(db)], capture_output=True, text=True, timeout=60,
                              check=False)  # fmt: skip
    finally:
        above.chmod(0o755)
    assert done.returncode == 5 and "Traceback" not in done.stderr, done.stderr
    assert f"may not make its folder {db.parent}: {above} belongs to the account root, mode 555" in done.stderr
    assert f"install -d -o root -g root -m 700 {db.parent}" in done.stderr and not list(above.iterdir())


def test_a_database_on_a_read_only_disk_says_so(good_database: Path, tmp_path: Path) -> None:
    with tmpfs(tmp_path / "disk", "4m") as disk:
        db = disk / "queue.sqlite3"
        shutil.copyfile(good_database, db)
        db.chmod(0o600)
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)  # noqa: S607
        for command in (COMMANDS[0], COMMANDS[2]):
            done = run(*command, "--db", str(db), check=False)
            assert done.returncode == 5 and "Traceback" not in done.stderr, done.stderr
            assert f"the file system of {disk.resolve()} is mounted read-only" in done.stderr, done.stderr
            assert "Remount it read-write" in done.stderr
        # A database to be made there, in its folder or in folders to be made: the same (it was "may not make its
        # folder ... install -d", or "Read-only file system (the database is not at fault)")
        for db in (disk / "new.sqlite3", disk / "srv" / "var" / "queue.sqlite3"):
            for command in (COMMANDS[0], COMMANDS[2]):
                done = run(*command, "--db", str(db), check=False)
                assert done.returncode == 5 and "Traceback" not in done.stderr, done.stderr
                assert f"the file system of {disk.resolve()} is mounted read-only" in done.stderr, done.stderr
                assert "Remount it read-write" in done.stderr
        assert sorted(p.name for p in disk.iterdir()) == ["queue.sqlite3"]


def test_postgresql_out_of_reach_or_refusing_is_a_sentence_and_status_5() -> None:
    for url, said in (
        ("postgresql://antrean:rahasia@127.0.0.1:1/antrean", "PostgreSQL could not be reached there"),
        ("postgresql://antrean:rahasia@no-such-host.invalid/antrean", "That host name is not known here"),
    ):
        for command in (["serve", "--port", "0", *SITE], ["migrate"], ["user", "list", *SITE]):
            done = run(*command, "--db", url, check=False)
            assert done.returncode == 5 and "Traceback" not in done.stderr, (command, done.stderr)
            assert said in done.stderr and "rahasia" not in done.stderr, done.stderr


def test_a_wrong_postgresql_password_says_what_to_check(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The throwaway cluster trusts local logins, so the refusal is asyncpg's own exception, raised where the
    command would meet it."""
    import asyncpg

    refused = asyncpg.exceptions.InvalidPasswordError('password authentication failed for user "antrean"')
    assert migrate_meeting(monkeypatch, refused, "postgresql://antrean:rahasia@db-host/antrean") == 5
    said = capsys.readouterr().err  # what the installer is told, not only the exit status
    assert "PostgreSQL refused the role or its password" in said and "pg_hba.conf" in said, said
    assert "rahasia" not in said and "Traceback" not in said, said


def test_the_lock_file_and_a_key_made_in_a_touched_file_are_the_owner_s_only(tmp_path: Path) -> None:
    """The lock file was made 0644 (it names the server's pid and port, and any account could flock it to keep the
    server from starting); an earlier one is tightened. A key file made empty by hand (`touch`, as the server's own
    message says when the key is lost) kept its 0644 with the key written in it."""
    db = tmp_path / "var" / "queue.sqlite3"
    run("migrate", "--db", str(db))
    lock = Path(f"{db}.lock")
    assert lock.stat().st_mode & 0o777 == 0o600
    lock.chmod(0o644)
    run("migrate", "--db", str(db))
    assert lock.stat().st_mode & 0o777 == 0o600

    from queue_server.outbound.vault import Vault

    key = tmp_path / "var" / "notify.key"
    key.touch(mode=0o644)
    key.chmod(0o644)
    Vault.from_file(key)
    assert key.stat().st_mode & 0o777 == 0o600 and key.read_bytes().strip()
    key.chmod(0o644)  # copied into place with cp
    Vault.from_file(key)
    assert key.stat().st_mode & 0o777 == 0o600
