"""Whether a SQLite database file can be used at all, judged before anything opens it for writing, and what a failure
to open one means. Every command that opens the database goes through this (cli.py): a damaged file, one the
account may not write, a read-only file system or a full disk each stop the command in a sentence naming the file
and what to do, with an exit status of its own, and the file is never touched (no mode tightened, no -wal or -shm
made beside it, no "repair").

The look is cheap whatever the database's size: its 100-byte header (a SQLite file at all; its length against the
pages the header counts, which finds a truncated copy at once), the account's access to the file, its -wal, -shm
and lock files and its folder, and a read of its schema pages opened immutable (no file made, no lock taken).
Damage deeper in the file is found by SQLite when the server reads it, and said the same way (`unusable`)."""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import stat
from pathlib import Path
from typing import Literal

Kind = Literal["damaged", "denied", "full"]

SQLITE_HEADER = b"SQLite format 3\x00"
HEADER_BYTES = 100
# SQLite's primary result codes (an extended code's low byte): https://www.sqlite.org/rescode.html
SQLITE_PERM, SQLITE_READONLY, SQLITE_IOERR, SQLITE_CORRUPT, SQLITE_CANTOPEN, SQLITE_FULL, SQLITE_NOTADB = (
    3, 8, 10, 11, 14, 13, 26,
)  # fmt: skip
DAMAGED_WORDS = ("malformed", "file is not a database", "database corrupt")
DENIED_WORDS = ("readonly database", "unable to open database file", "access permission denied")
FULL_WORDS = ("database or disk is full",)


class DatabaseUnusable(Exception):  # noqa: N818 - read as "the database is unusable", as BackupRefused reads
    """The database cannot be used as it is; nothing was changed. `kind`: damaged (restore a backup), denied (the
    account's rights, a read-only file system) or full (its disk)."""

    def __init__(self, kind: Kind, path: Path, why: str) -> None:
        super().__init__(why)
        self.kind, self.path, self.why = kind, path, why


class NotADatabase(ValueError):
    """--db names a text file, not a database."""


def _text(head: bytes) -> bool:
    """The first bytes of a file read as text (UTF-8, no control characters but tabs and line ends)."""
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:  # not just a character cut at the end of what was read
            return False
    return all(b >= 0x20 or b in b"\t\n\r" for b in head)


def account(uid: int) -> str:
    import pwd

    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _owned(path: Path) -> str:
    st = path.stat()
    return f"{path} belongs to the account {account(st.st_uid)}, mode {stat.S_IMODE(st.st_mode):03o}"


def look(path: Path, *, writes: bool = True) -> None:
    """DatabaseUnusable if the SQLite file at `path` cannot be used; nothing if it is not there (to be made) or looks
    right. `writes`: the command writes the database (every one but `backup`, which only reads it)."""
    folder = path.resolve().parent
    if folder.is_dir() and not os.access(folder, os.X_OK, effective_ids=True):  # its files cannot even be looked at
        raise DatabaseUnusable(
            "denied", path, f"the account {account(os.geteuid())} may not open its folder: {_owned(folder)}"
        )
    if writes and not path.is_file() and read_only_mount(there := nearest(folder)):  # to be made where none can be
        raise DatabaseUnusable("denied", path, f"the file system of {there} is mounted read-only")
    if not folder.exists() and writes:  # to be made, with the folders it lacks: where they would be made
        place = nearest(folder.parent)
        if place.is_dir() and not os.access(place, os.W_OK | os.X_OK, effective_ids=True):
            raise DatabaseUnusable(
                "denied", path, f"the account {account(os.geteuid())} may not make its folder {folder}: {_owned(place)}"
            )
    if not path.is_file():
        return
    _access(path, writes)
    try:
        with path.open("rb") as f:
            header = f.read(HEADER_BYTES)
    except OSError as exc:
        raise DatabaseUnusable("denied", path, f"it cannot be read ({exc.strerror})") from None
    if not header:
        return  # an empty file is an empty database (private_files.new_private_file makes one so)
    if not header.startswith(SQLITE_HEADER):
        if _text(header):  # a README or a site file given as --db: a mistake, not a damaged database
            raise NotADatabase(f"{path} is not a SQLite database (another kind of file): check --db; nothing was "
                               "changed")  # fmt: skip
        raise DatabaseUnusable("damaged", path, "it is not a SQLite database: overwritten, or another kind of file")
    wal = Path(f"{path}-wal")
    if wal.exists() and wal.stat().st_size > 0:
        return  # its last writes are in the WAL, which SQLite replays at the next opening: judged by that opening
    _length(path, header)
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?immutable=1", uri=True)
    except sqlite3.Error as exc:
        raise unusable(exc, path) or DatabaseUnusable("damaged", path, f"{type(exc).__name__}: {exc}") from None
    try:
        conn.execute("SELECT count(*) FROM sqlite_master WHERE sql IS NOT NULL").fetchone()
    except sqlite3.Error as exc:
        raise unusable(exc, path) or DatabaseUnusable("damaged", path, f"{type(exc).__name__}: {exc}") from None
    finally:
        conn.close()


def _length(path: Path, header: bytes) -> None:
    """A file shorter than the pages its header counts: cut off (a copy that ran out of room, a disk that failed)."""
    if len(header) < HEADER_BYTES:
        raise DatabaseUnusable("damaged", path, f"it is cut off: {len(header)} bytes, less than a SQLite header")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    # The header's count holds only when its change counter matches "version valid for" (SQLite's file format, 1.3.7).
    if pages and header[24:28] == header[92:96]:
        size = path.stat().st_size
        if size < pages * page_size:
            raise DatabaseUnusable(
                "damaged", path, f"it is cut off: {size} bytes, where its header counts {pages} pages of {page_size}"
            )


def _access(path: Path, writes: bool) -> None:
    """The account's rights on the database, the files SQLite and the lock make beside it, and its folder."""
    folder = path.resolve().parent
    who = account(os.geteuid())
    if not os.access(path, os.R_OK, effective_ids=True):
        raise DatabaseUnusable("denied", path, f"the account {who} may not read it: {_owned(path)}")
    if not writes:
        return
    if read_only_mount(folder):
        raise DatabaseUnusable("denied", path, f"the file system of {folder} is mounted read-only")
    if not os.access(folder, os.W_OK | os.X_OK, effective_ids=True):
        raise DatabaseUnusable(
            "denied",
            path,
            f"the account {who} may not write in its folder (SQLite and the server make the -wal, -shm and .lock "
            f"files there): {_owned(folder)}",
        )
    for part in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}.lock")):
        if part.exists() and not os.access(part, os.R_OK | os.W_OK, effective_ids=True):
            raise DatabaseUnusable("denied", path, f"the account {who} may not write {part}: {_owned(part)}")


def read_only_mount(folder: Path) -> bool:
    """Whether the file system of `folder` (one that exists) is mounted read-only."""
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def nearest(folder: Path) -> Path:
    """`folder`, or the nearest folder above it that exists (where one to be made would be made)."""
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


FULL_BELOW = 1_000_000  # bytes free on the database's disk under which a failure is put down to a full disk


def nearly_full(path: Path) -> bool:
    try:
        return shutil.disk_usage(nearest(path.resolve().parent)).free < FULL_BELOW
    except OSError:
        return False


def unusable(exc: BaseException, path: Path) -> DatabaseUnusable | None:
    """What an error met opening or using the SQLite database at `path` says of it; None for any other error. Read by
    its SQLite result code, or by its words when it crossed from the writer process (a pickled error loses the code)."""
    if isinstance(exc, DatabaseUnusable):
        return exc
    text = str(exc)
    if isinstance(exc, sqlite3.Error):
        code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
        said = f"{type(exc).__name__}: {exc}"
        if code in (SQLITE_CORRUPT, SQLITE_NOTADB) or any(w in text for w in DAMAGED_WORDS):
            return DatabaseUnusable("damaged", path, said)
        if code == SQLITE_FULL or any(w in text for w in FULL_WORDS):
            return DatabaseUnusable("full", path, said)
        if code in (SQLITE_PERM, SQLITE_READONLY, SQLITE_CANTOPEN) or any(w in text for w in DENIED_WORDS):
            return DatabaseUnusable("denied", path, said)
        if (code == SQLITE_IOERR or "disk I/O error" in text) and nearly_full(path):  # no room for its -shm file
            return DatabaseUnusable("full", path, said)
        return None
    if isinstance(exc, OSError):
        if exc.errno == errno.ENOSPC:
            return DatabaseUnusable("full", path, f"{type(exc).__name__}: {exc.strerror}")
        name = os.fsdecode(exc.filename) if exc.filename else str(path)
        if exc.errno == errno.EROFS:  # said as `look` says it, for the remedy that fits (a remount, not a chown)
            there = nearest(Path(name).resolve().parent)
            return DatabaseUnusable("denied", path, f"the file system of {there} is mounted read-only ({name})")
        if exc.errno in (errno.EACCES, errno.EPERM):
            return DatabaseUnusable("denied", path, f"{name}: {exc.strerror}")
    return None
