"""`queue-server backup DEST` and `queue-server restore SOURCE`: a consistent copy of the database while the
server runs, and putting one back with the server stopped.

SQLite: the backup API copies the whole database in one read transaction (a WAL reader never holds the writer up),
so the copy is the database as of one moment, whatever was committed after; the copy is checked
(`PRAGMA integrity_check`) before it is reported. PostgreSQL: `pg_dump --format=custom` (one snapshot too) and
`pg_restore` into an empty database. Neither copies the notification key (outbound/vault.py), which is kept apart
on purpose: back it up separately.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import stat
import subprocess
import time
from pathlib import Path

from queue_server.persistence import schema
from queue_server.persistence.database_health import (
    DatabaseUnusable,
    Kind,
    account,
    nearest,
    read_only_mount,
    unusable,
)
from queue_server.persistence.lock_file import process_alive
from queue_server.persistence.port import HOLDS_SEALED, KEY_CHECK, SEALED_SAMPLES
from queue_server.persistence.private_files import new_private_file, private_folder
from queue_server.persistence.schema import SchemaError

COUNTED = ("events", "tickets", "bookings", "audit", "survey_responses")


class BackupRefused(SchemaError):
    """The backup or restore cannot be made as asked; nothing was changed. `kind`: "denied" (where it writes is
    mounted read-only, or not this account's to write) or "full" (that disk), which the command line says with the
    exit statuses database_health gives the database's own (5, 6); None for any other refusal (1)."""

    def __init__(self, message: str, kind: Kind | None = None) -> None:
        super().__init__(message)
        self.kind = kind


def backup_sqlite(source: Path, dest: Path, replace: bool = False) -> dict[str, int]:
    """Copy the database at `source` (its server may be running) to `dest`; rows per table. The copy is written
    beside `dest` and checked before it takes that name, so `dest` is never a partial or broken copy; an existing
    `dest` is refused, or replaced only by a whole, checked copy when `replace` (a nightly job run twice a day)."""
    if not source.is_file():
        raise BackupRefused(f"no database at {source}")
    _readable(source)
    _not_there(dest, replace)
    reading = _read_from(source, dest)
    try:
        return _copied(reading, source, dest, replace)
    finally:
        if reading != source:
            _discard(reading)


def _copied(reading: Path, source: Path, dest: Path, replace: bool) -> dict[str, int]:
    """backup_sqlite's copy of the database `source`, read from `reading` (itself, or its files copied)."""
    staged = _staged(dest)
    src = sqlite3.connect(f"{reading.resolve().as_uri()}?mode=ro", uri=True)
    try:
        _made(staged, dest, source)
        dst = sqlite3.connect(staged)
        try:
            try:
                src.backup(dst)  # all pages in one step: one read transaction, one moment of the database
                dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
            except sqlite3.DatabaseError as exc:
                if _in_writing(exc):  # the backup's disk, not the database: say which, or it reads as a broken one
                    dst.close()
                    _discard(staged)  # the room it took is counted free again
                    raise _not_written(dest, source, exc) from None
                raise unusable(exc, source) or BackupRefused(f"{source} could not be read ({exc})") from None
            counts = _checked(dst, dest, copy_of=source)
        finally:
            dst.close()
        _put_in_place(staged, dest, replace)
        return counts
    except BaseException:
        _discard(staged)
        raise
    finally:
        src.close()


def _read_from(source: Path, dest: Path) -> Path:
    """The file the copy is read from: the database, or, on a disk mounted read-only, a copy of its files beside the
    backup. SQLite cannot open a database in WAL mode where it cannot make the -shm beside it ("unable to open database
    file", which was said as the backup's disk being full), and a disk the kernel remounted read-only after an error
    is just when a technician takes a backup first. Nobody writes a database there, so its file and its log copied
    one after the other are one moment of it, and the log's last transactions come with them into the copy."""
    if not read_only_mount(source.resolve().parent):
        return source
    reading = dest.parent / f".{dest.name}.{os.getpid()}.source"
    try:
        for suffix in ("", "-wal", "-journal"):  # not the -shm: SQLite makes it again from the log
            if Path(f"{source}{suffix}").exists():
                new_private_file(Path(f"{reading}{suffix}"))
                shutil.copyfile(f"{source}{suffix}", f"{reading}{suffix}")
    except OSError as exc:
        _discard(reading)
        if exc.errno in (errno.EACCES, errno.EPERM):
            raise _no_access(dest.parent) from None
        raise _written_nowhere(dest, exc, source) or exc from None
    return reading


def _not_there(dest: Path, replace: bool) -> None:
    """`dest` may be written: not there (or `replace`), and its folder made and writable by this account. Copies
    half made by a backup killed meanwhile (their process gone) are removed."""
    if dest.exists() and not replace:
        raise BackupRefused(
            f"{dest} exists already: a backup never overwrites a file. Give another name, or add --replace to replace "
            "it once the new copy is whole and checked (a nightly job run twice a day)"
        )
    if (refused := _read_only(dest.parent)) is not None:  # before the account's rights: os.access says no to both
        raise refused
    try:
        private_folder(dest.parent)  # the account's only, as install -d -m 700 makes it
    except PermissionError:
        raise _no_access(dest.parent) from None
    except OSError as exc:  # mounted read-only meanwhile, or no room left for a folder
        raise _written_nowhere(dest, exc) or exc from None
    if not os.access(dest.parent, os.W_OK | os.X_OK):
        raise _no_access(dest.parent)
    for ending in (".partial", ".source"):  # the copy being made, and the database's files copied (_read_from)
        for stale in dest.parent.glob(f".{dest.name}.*{ending}"):
            pid = stale.name[len(dest.name) + 2 : -len(ending)]
            if pid.isdigit() and not process_alive(int(pid)):
                _discard(stale)


def _staged(dest: Path) -> Path:
    """Where the copy is written before it takes its name: hidden, and this process's own (two backups to one name
    at once never write the same file)."""
    return dest.parent / f".{dest.name}.{os.getpid()}.partial"


def _put_in_place(staged: Path, dest: Path, replace: bool) -> None:
    """The checked copy takes its name in one step (a rename), on disk before the command says done."""
    if replace:
        os.replace(staged, dest)
    else:
        try:
            os.link(staged, dest)  # fails if a file of that name appeared meanwhile: never overwritten
        except FileExistsError:
            raise BackupRefused(f"{dest} exists already: a backup never overwrites a file") from None
        except OSError:  # a disk without hard links (a FAT USB disk): checked just before
            if dest.exists():
                raise BackupRefused(f"{dest} exists already: a backup never overwrites a file") from None
            os.replace(staged, dest)
        staged.unlink(missing_ok=True)
    _synced_folder(dest.parent)


def _made(staged: Path, dest: Path, source: Path) -> None:
    """The copy's file made, owner-only; a refusal of its folder's disk said as such, not as the database's."""
    try:
        new_private_file(staged)
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EPERM):
            raise _no_access(dest.parent) from None
        raise _written_nowhere(dest, exc, source) or exc from None


def _written_nowhere(dest: Path, exc: OSError, source: Path | None = None) -> BackupRefused | None:
    """A folder or file that could not be made where `dest` goes: its disk mounted read-only, or full."""
    if exc.errno == errno.EROFS:
        return _read_only(dest.parent, checked=True)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return _full(dest, source)
    return None


def _read_only(folder: Path, *, checked: bool = False) -> BackupRefused | None:
    """`folder` (or, to be made, the folder it would be made in) on a file system mounted read-only: which one, and
    what to do. It was said as the account's rights, or with the room there as if the disk were full. `checked`: the
    system said so already (EROFS)."""
    place = nearest(folder)
    if not checked and not read_only_mount(place):
        return None
    mount = place.resolve()
    while not os.path.ismount(mount) and mount != mount.parent:
        mount = mount.parent
    return BackupRefused(
        f"{folder} is on a file system mounted read-only ({mount}): nothing can be written there. Nothing was "
        f"changed. Remount it read-write (as root: mount -o remount,rw {mount}; a USB disk remounted read-only after "
        "an error needs checking first, fsck), or give the copy a place on a writable disk",
        "denied",
    )


def _no_access(folder: Path) -> BackupRefused:
    """A folder this account may not write (or make): which folder, whose it is, and what to do. It said
    'PermissionError' under the database's name, which sent the technician after the database (outside review)."""
    place = folder
    while not place.exists() and place != place.parent:
        place = place.parent
    me = account(os.geteuid())
    info = place.stat()
    whose = f"{place} belongs to the account {account(info.st_uid)}, mode {stat.S_IMODE(info.st_mode):o}"
    made = "" if place == folder else f" (it does not exist, and {place} cannot take it)"
    return BackupRefused(
        f"the account {me}, which runs this command, may not write into {folder}{made}: {whose}. Nothing was changed. "
        f"Give the backups a folder of {me} (as root: install -d -o {me} -g {me} -m 700 {folder}), or run the "
        "backup as the account that owns the folder (docs/deployment.md, section 5)",
        "denied",
    )


def _readable(source: Path) -> None:
    if not os.access(source, os.R_OK):
        owner = account(source.stat().st_uid)
        raise BackupRefused(
            f"the account {account(os.geteuid())}, which runs this command, may not read {source} (it belongs to "
            f"the account {owner}): run the backup as that account, sudo -u {owner} queue-server backup ..."
        )


def restore_sqlite(backup: Path, target: Path, replace: bool, moved_aside: list[Path] | None = None) -> dict[str, int]:
    """Put the backup at `target` (its server stopped: the caller holds the lock). An existing target is kept
    beside it as `<target>.replaced-<time>` when `replace`, else refused. Its -wal, -shm and -journal go with it, and
    so do those of a database removed by hand (a power cut leaves them): SQLite would replay them into the restored
    file. What was moved is added to `moved_aside`."""
    if not backup.is_file():
        raise BackupRefused(f"{backup}: no such backup file")
    if _kind(backup) == "postgresql":
        raise BackupRefused(f"{backup} is a PostgreSQL backup (pg_dump): restore it with --db postgresql://...")
    src = sqlite3.connect(f"{backup.resolve().as_uri()}?mode=ro", uri=True)
    try:
        counts = _checked(src, backup)
        version, latest = schema.schema_version(src), schema.latest_version("sqlite")
        if version > latest:
            raise BackupRefused(f"{backup} is at schema version {version}, newer than this release's {latest}")
        if target.exists() and not replace:
            raise BackupRefused(f"{target} exists: add --replace to keep it aside and restore over it")
        private_folder(target.parent)
        # Written beside the target first and moved in whole: a restore that fails half way (a full disk) leaves the
        # target as it was. Written in place, it left an empty file there, the old database moved aside, and the
        # next start made a new, empty mall of it (outside review).
        staged = Path(f"{target}.restoring")
        _discard(staged)  # what an interrupted restore left
        try:
            _copy_into(src, staged, backup, target)
            stamp = time.strftime("%Y%m%d-%H%M%S")
            for suffix in ("", "-wal", "-shm", "-journal"):
                old = Path(f"{target}{suffix}")
                if old.exists():
                    shutil.move(old, Path(f"{target}.replaced-{stamp}{suffix}"))
                    if moved_aside is not None:
                        moved_aside.append(old)
            os.replace(staged, target)
            _synced_folder(target.parent)
        except BaseException:
            _discard(staged)
            raise
        return counts
    finally:
        src.close()


def sealed_in_sqlite(database: Path) -> tuple[bool, list[str]]:
    """Whether the database holds anything sealed with the notification key (a citizen's number, an active webhook's
    secret), and a few of those sealed texts with its key check, for `restore` to tell whether the key beside it
    opens them; read only. A database of an earlier release without these tables holds nothing sealed."""
    conn = sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT value FROM meta WHERE key = ?", (KEY_CHECK,)).fetchall()
        rows += [row for sql in SEALED_SAMPLES for row in conn.execute(sql)]
        sealed = [str(row[0]) for row in rows]
        held = any(conn.execute(sql).fetchone() for sql in HOLDS_SEALED)
    except sqlite3.Error:
        return False, []
    finally:
        conn.close()
    return held, sealed


def _copy_into(src: sqlite3.Connection, staged: Path, backup: Path, target: Path) -> None:
    """The backup's pages into the new file `staged`, owner-only (not the umask's 0644: the restored database is the
    mall's whole data) and on disk (SQLite syncs the backup's last step) before it takes the target's place."""
    new_private_file(staged)
    dst = sqlite3.connect(staged)
    try:
        src.backup(dst)
    except sqlite3.DatabaseError as exc:
        dst.close()
        _discard(staged)
        if _in_writing(exc):
            raise _not_written(target, backup, exc) from None
        raise BackupRefused(f"{backup} could not be read ({exc})") from None
    dst.close()


def _discard(path: Path) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _synced_folder(folder: Path) -> None:
    """The rename on disk too: a power cut right after the restore finds the restored file under its name."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _in_writing(exc: sqlite3.DatabaseError) -> bool:
    """Whether SQLite failed writing the copy (a full disk, a file size limit, a read-only folder) rather than
    reading the database it copies: the backup API raises both alike."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    return name in {"SQLITE_FULL", "SQLITE_READONLY", "SQLITE_CANTOPEN"} or name.startswith(
        ("SQLITE_IOERR_WRITE", "SQLITE_IOERR_FSYNC", "SQLITE_IOERR_TRUNCATE")
    )


def _not_written(dest: Path, source: Path, exc: sqlite3.DatabaseError) -> BackupRefused:
    """What to do about a copy that could not be written: its disk mounted read-only (a USB disk the kernel remounted
    so after an error), or out of room, with the room there and the room it needs."""
    read_only = getattr(exc, "sqlite_errorname", "") == "SQLITE_READONLY"
    if (refused := _read_only(dest.parent, checked=read_only)) is not None:
        return refused
    full = getattr(exc, "sqlite_errorname", "") == "SQLITE_FULL" or shutil.disk_usage(dest.parent).free < (
        source.stat().st_size
    )
    return _full(dest, source, None if full else str(exc))


def _full(dest: Path, source: Path | None, reason: str | None = None) -> BackupRefused:
    """The copy out of room (or, with `reason`, not written for another reason): the room there and what it needs."""
    free = shutil.disk_usage(nearest(dest.parent)).free
    needs = f", {source} needs about {_size(source.stat().st_size)}" if source is not None else ""
    return BackupRefused(
        f"{dest} could not be written ({reason or 'the disk is full'}): {_size(free)} free in {dest.parent}{needs}. "
        "Nothing was changed; free some space there (old backups, the archive folder) or choose another disk, and "
        "run it again",
        None if reason else "full",
    )


def _size(size: int) -> str:
    return f"{size // 1000} KB" if size < 1_000_000 else f"{size / 1_000_000:.1f} MB"


def _checked(conn: sqlite3.Connection, where: Path, copy_of: Path | None = None) -> dict[str, int]:
    """Rows per counted table of the database `conn` opens (at `where`), once SQLite's integrity check passes.
    `copy_of`: `where` is a backup's copy of that database, page for page, so a failure is that database's damage."""
    try:
        verdict = conn.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        verdict = str(exc)
    if verdict != "ok" and copy_of is not None:
        raise DatabaseUnusable("damaged", copy_of, f"SQLite's integrity check of its copy fails: {verdict}")
    if verdict != "ok":
        raise BackupRefused(f"{where} is not a usable SQLite database: SQLite's integrity check fails: {verdict}")
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return {t: int(conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]) for t in COUNTED if t in tables}  # noqa: S608


def backup_postgresql(dsn: str, dest: Path, replace: bool = False) -> None:
    """pg_dump in its custom format: one snapshot, compressed, restorable with pg_restore; written beside `dest` and
    moved in once pg_dump succeeded, as a SQLite backup is."""
    _not_there(dest, replace)
    staged = _staged(dest)
    new_private_file(staged)
    try:
        _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(staged), dsn], staged)
        _put_in_place(staged, dest, replace)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise


async def postgresql_is_empty(dsn: str) -> bool:
    """No table at all in the database's public schema: where a restore may go."""
    from queue_server.persistence import postgresql

    conn = await postgresql.connect(dsn)
    try:
        tables = await conn.fetchval("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
        return int(tables) == 0
    finally:
        await conn.close()


def restore_postgresql(backup: Path, dsn: str) -> None:
    """pg_restore into an empty database (made with createdb; the caller checked that it is empty)."""
    if not backup.is_file():
        raise BackupRefused(f"{backup}: no such backup file")
    if _kind(backup) == "sqlite":
        raise BackupRefused(
            f"{backup} is a SQLite backup: restore it to a file (--db FILE.sqlite3), then move it to PostgreSQL "
            "with `queue-server db copy FILE.sqlite3 postgresql://...`"
        )
    _run(["pg_restore", "--no-owner", "--exit-on-error", "--dbname", dsn, str(backup)], None)


def _kind(path: Path) -> str | None:
    """Which backup: "sqlite" or "postgresql" (pg_dump's custom format) from the file's first bytes; None: neither."""
    with path.open("rb") as f:
        head = f.read(16)
    return "sqlite" if head.startswith(b"SQLite format 3") else "postgresql" if head.startswith(b"PGDMP") else None


def _run(command: list[str], made: Path | None) -> None:
    if shutil.which(command[0]) is None:
        raise BackupRefused(f"{command[0]} is not installed (Debian: apt-get install postgresql-client)")
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - our own arguments
    if done.returncode != 0:
        if made is not None:
            made.unlink(missing_ok=True)
        reason = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"
        raise BackupRefused(f"{command[0]} failed: {reason}")
