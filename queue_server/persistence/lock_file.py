"""One server per SQLite file: the lock file beside it (`queue.sqlite3.lock`, flock). A second server would hand out
the same event numbers. (PostgreSQL takes several processes: they serialise on each site's lock row,
postgresql_storage.py.)

The file also says where the server that holds it listens: `serve` writes its pid, address and port into it, which
`queue-server device add` reads to print the address a TV or a kiosk opens (the record stays after the server stops:
the same unit starts it on the same port).

A lock file is removed only by the process that holds it, and only when it was taken for a database that does not
exist when the command ends (a refused command, or a mistyped --db: the stray lock files an outside review found).
Removing a lock file is racy on its own: another process may have opened it just before and lock it after, holding a
lock nobody else sees. So whoever takes the lock checks, once it holds it, that the file it locked is still the one
at that path, and takes the new one otherwise."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import stat
from pathlib import Path
from typing import IO, Any

from queue_server.persistence.private_files import private_folder


def lock_path(database: Path) -> Path:
    return Path(f"{database}.lock")


def acquire(database: Path, serving: dict[str, Any] | None = None) -> IO[str] | None:
    """The lock of `database`, held until `release`; None while another process holds it. `serving`: where this
    server listens, written into the file for `device add`."""
    private_folder(database.parent)  # the database's folder: its key, its copies
    path = lock_path(database)
    while True:
        # Opened without truncating: the record of the server that holds it (or held it last) stays.
        # Owner only, as the database and its folder are: it names the server's pid, address and port, and a lock
        # file others may open is one they may hold (flock needs only read access) to keep the server from starting.
        handle = os.fdopen(os.open(path, os.O_RDWR | os.O_CREAT, 0o600), "r+")
        _owner_only(handle)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return None
        if _still_at(handle, path):
            break
        handle.close()  # removed by its holder meanwhile: the lock is the file at the path now
    if serving is not None:
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(json.dumps(serving))
            handle.flush()
        except OSError:  # a full disk: the lock of a database not made yet is not left behind, empty
            with contextlib.suppress(OSError):
                release(handle, database)
            raise
    return handle


def _owner_only(handle: IO[str]) -> None:
    """A lock file of an earlier release (mode 644) made owner-only; another account's is left as it is."""
    mode = stat.S_IMODE(os.fstat(handle.fileno()).st_mode)
    if mode & 0o077:
        with contextlib.suppress(PermissionError):
            os.fchmod(handle.fileno(), mode & 0o700)


def release(handle: IO[str], database: Path) -> None:
    """The lock given up; its file removed first if the database it guarded was never made."""
    try:
        if not database.exists():
            with contextlib.suppress(FileNotFoundError):
                lock_path(database).unlink()
    finally:
        handle.close()


def _still_at(handle: IO[str], path: Path) -> bool:
    try:
        there = path.stat()
    except FileNotFoundError:
        return False
    held = os.fstat(handle.fileno())
    return (there.st_dev, there.st_ino) == (held.st_dev, held.st_ino)


def server_record(database: Path) -> dict[str, Any] | None:
    """Where the server of `database` listens (or listened when it last ran): {"pid", "host", "port", "started",
    "running"}, or None when no server wrote it (none ran on this database yet, or one of an earlier release)."""
    try:
        record = json.loads(lock_path(database).read_text(encoding="utf-8") or "null")
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or not isinstance(record.get("port"), int) or not record.get("host"):
        return None
    return {**record, "running": process_alive(record.get("pid"))}


def process_alive(pid: object) -> bool:
    """Whether a process of this id runs on this machine (another account's too)."""
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another account's process
        return True
    return True
