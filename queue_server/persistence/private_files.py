"""Files of the mall's data readable and writable by the server's account only. A database or a backup holds
password hashes, ticket links (enough to cancel a citizen's ticket), the key that hashes NIKs and the NIK hashes
themselves: another account of the machine reading it could recover NIKs by trying candidates."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)


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
        try:
            mode = stat.S_IMODE(part.stat().st_mode)
            if mode & 0o077:
                part.chmod(mode & 0o700)
                log.warning("%s was readable by other accounts of this machine (mode %o): now owner only", part, mode)
        except FileNotFoundError:
            continue
        except PermissionError:  # another account's file: said, not fatal (the server may still read it)
            log.warning("%s is readable by other accounts of this machine and cannot be made owner only", part)
