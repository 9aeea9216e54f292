"""Files of the mall's data readable and writable by the server's account only. A database or a backup holds
password hashes, ticket links (enough to cancel a citizen's ticket), the key that hashes NIKs and the NIK hashes
themselves: another account of the machine reading it could recover NIKs by trying candidates."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)


def private_folder(folder: Path) -> None:
    """`folder` made with the folders it lacks, each owner-only (0700, as `install -d -m 700` makes one): a nested
    `--db /srv/antrean/new/var/queue.sqlite3` made `new` with the umask's mode (755) before, Path.mkdir giving its
    mode to the last folder only. Folders that exist are left as they are."""
    missing: list[Path] = []
    place = folder
    while not place.exists() and place != place.parent:
        missing.append(place)
        place = place.parent
    for made in reversed(missing):
        try:
            made.mkdir(mode=0o700)
        except FileExistsError:  # made meanwhile (another worker process): left as it is
            if not made.is_dir():
                raise
            continue
        made.chmod(0o700)  # whatever the umask took away (it may take the owner's bits too)


def new_private_file(path: Path) -> None:
    """Make `path`, empty and owner-only, before anything is written to it (refused if it exists)."""
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def private_database(path: Path) -> None:
    """A SQLite database owner-only before SQLite opens it: a new one made so (an empty file is an empty database,
    and SQLite gives its -wal and -shm files the database's mode), one made readable by others tightened."""
    if not path.exists():
        new_private_file(path)
        return
    for part in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        owner_only(part)


def owner_only(path: Path) -> None:
    """An existing file of the mall's data made owner-only if others may read or write it (an older release's, or a
    copy put in place by hand with `cp`), and said in the log; nothing if it is not there."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            path.chmod(mode & 0o700)
            log.warning("%s was readable by other accounts of this machine (mode %o): now owner only", path, mode)
    except FileNotFoundError:
        return
    except PermissionError:  # another account's file: said, not fatal (the server may still read it)
        log.warning("%s is readable by other accounts of this machine and cannot be made owner only", path)
