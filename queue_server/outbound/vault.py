"""The notification key: citizens' numbers and webhook secrets are encrypted with it before they reach the
database, and only the delivery worker decrypts them (to send). The key lives in a file of its own, outside the
database, so a copy of the database (a backup, a stolen disk image of the data folder alone) holds no number.

Fernet (the `cryptography` package): AES-128-CBC with an HMAC-SHA256 over it, a timestamp and a version byte; a
well-kept recipe, so there is no cryptography of our own here. Every server process of a deployment needs the same
key file (several machines on one PostgreSQL database: copy it). Losing it loses only what is encrypted: numbers
kept for a day, and the webhook secrets (rotate them: `queue-server webhook rotate`).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Protocol

from cryptography.fernet import Fernet, InvalidToken

from queue_server.persistence.private_files import owner_only, private_folder

log = logging.getLogger(__name__)


class VaultError(ValueError):
    """Text that this key did not encrypt (another key file, or damaged)."""


class Vault:
    def __init__(self, key: bytes, *, made: bool = False) -> None:
        self._fernet = Fernet(key)
        self.made = made  # made just now (no file, or an empty one): nothing sealed before can be opened with it

    @classmethod
    def from_file(cls, path: Path, *, sealed_in_database: bool = False) -> Vault:
        """The key in `path`, made there (readable by this user only) if the file does not exist yet, unless the
        database already holds what a key sealed (`sealed_in_database`): a new key would silently leave every
        waiting message unsent and every webhook unsigned, so the key is asked for. An empty file there is the
        admin's word that the old key is lost: a new one is made in it."""
        try:
            text = path.read_bytes().strip()
        except FileNotFoundError:
            text = None
        except OSError as exc:  # a folder, or another account's file: it said "SQLite database ...: IsADirectoryError"
            owner = _owner(path)
            raise VaultError(
                f"the notification key {path} cannot be read ({exc.strerror or exc}"
                + (f"; it belongs to the account {owner}" if owner else "")
                + "): QUEUE_KEY_FILE (or the default, notify.key beside the database) must name the key's file, "
                "readable by the account the server runs as"
            ) from None
        if text:
            owner_only(path)  # a key copied into place with `cp` (mode 644): the key to every number sealed
            try:
                return cls(text)
            except ValueError as exc:
                raise VaultError(
                    f"{path} does not hold a notification key ({exc}); make a new one by moving it away"
                ) from None
        if text is None and sealed_in_database:
            raise VaultError(
                f"the notification key {path} is missing, but the database holds citizens' numbers or webhook secrets "
                "encrypted with one: copy the key file from the server that made them (QUEUE_KEY_FILE names where "
                f"it is). If it is lost for good, make an empty file there (touch {path}): a new key is made in it, "
                "the messages waiting are not sent and the webhooks' secrets must be rotated"
            )
        private_folder(path.parent)  # as the database's folder
        key = Fernet.generate_key()
        try:
            flags = os.O_WRONLY | (os.O_TRUNC if text is not None else os.O_CREAT | os.O_EXCL)
            fd = os.open(path, flags, 0o600)
        except FileExistsError:  # another worker process made it a moment ago
            return cls(path.read_bytes().strip())
        # An empty file made by hand (`touch`, as said above: mode 644) keeps its mode through O_TRUNC: owner only
        # before the key is in it.
        try:
            os.fchmod(fd, 0o600)
        except PermissionError:  # another account's file, which this one may write: said, as private_files does
            log.warning("%s belongs to another account and cannot be made owner only", path)
        with os.fdopen(fd, "wb") as f:
            f.write(key + b"\n")
        log.warning(  # said so a technician knows what to keep: backups never hold it (docs/deployment.md, 5)
            "made a new notification key in %s: the database's backups do not hold it, so keep a copy of this file "
            "apart from them (another disk or machine); a restore needs it",
            path,
        )
        return cls(key, made=True)

    def opens(self, sealed: str) -> bool:
        try:
            self.open(sealed)
        except VaultError:
            return False
        return True

    def seal(self, text: str) -> str:
        return self._fernet.encrypt(text.encode()).decode("ascii")

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode()
        except (InvalidToken, ValueError):
            raise VaultError("encrypted with another notification key") from None


def _owner(path: Path) -> str | None:
    import pwd

    try:
        return pwd.getpwuid(path.stat().st_uid).pw_name if not path.is_dir() else None
    except (OSError, KeyError):
        return None


CHECK_TEXT = "notification key check"


class KeyedStorage(Protocol):
    async def holds_sealed(self) -> bool: ...
    async def sealed_samples(self) -> list[str]: ...
    async def key_check(self) -> str | None: ...
    async def set_key_check(self, sealed: str) -> None: ...


async def checked_vault(storage: KeyedStorage, path: Path) -> Vault:
    """The key in `path` (Vault.from_file), refused unless it is the key that sealed what the database holds. A
    backup restored on a machine where a server had already made a key of its own started with that key without a
    word, and every webhook and waiting message failed from then on (outside review). The database keeps a known
    text sealed with the key in use (`meta`); a database of an earlier release is told by the values it holds. A key
    made just now (an empty file: the admin's word that the old one is lost) becomes the key in use."""
    sealed = await storage.holds_sealed()
    vault = Vault.from_file(path, sealed_in_database=sealed)
    check = await storage.key_check()
    if sealed and not vault.made:
        if check is not None and vault.opens(check):
            return vault
        # No check, or another key's: one written by a command run with a stray key of its own (no QUEUE_KEY_FILE
        # on another machine), which must not lock out the key that sealed what the database holds.
        samples = await storage.sealed_samples()
        if samples and not any(vault.opens(s) for s in samples):
            raise VaultError(
                f"the notification key {path} is not the one that encrypted the citizens' numbers or webhook "
                "secrets this database holds (a key made by another server, or for another database): put there "
                "the notify.key kept apart from the backups of this database (QUEUE_KEY_FILE names where it is "
                f"read). If that key is lost for good, empty the file (truncate -s 0 {path}): a new key is made in "
                "it, the messages waiting are not sent and the webhooks' secrets must be rotated "
                "(queue-server webhook rotate)"
            )
    elif check is not None and not vault.made and vault.opens(check):
        return vault
    await storage.set_key_check(vault.seal(CHECK_TEXT))
    return vault
