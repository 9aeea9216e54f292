"""The SQL of accounts, sessions and device tokens. application/auth.py owns the rules (who may sign in, what a
password must be, how long a session lasts); this module only stores and finds what auth decided.

Every statement goes to the writer connection (Storage.fetch_one, fetch_all, execute): a read sees every write
queued before it, so a session just made or a device just revoked is seen by the next request at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from queue_server.persistence.port import AUDIT_INSERT, StoragePort


class User(NamedTuple):
    """An account as listed to an admin (no password hash)."""

    username: str
    role: str
    site: str | None
    agency: str | None
    display_name: str
    active: int  # 1 or 0, as stored
    sites: str | None  # a regional account's sites, comma-separated as stored; None: every site


class Credentials(NamedTuple):
    """What signing in checks."""

    id: int
    password_hash: str
    role: str
    site: str | None
    agency: str | None
    display_name: str
    active: int
    sites: str | None


class SessionUser(NamedTuple):
    """The account behind a session token, with when the session ends (ISO 8601 text, as stored)."""

    id: int
    role: str
    username: str
    site: str | None
    agency: str | None
    expires_at: str
    active: int
    sites: str | None
    display_name: str


class Device(NamedTuple):
    """A device token's record as listed to an admin (never the token)."""

    id: int
    kind: str
    site: str
    name: str
    screen: str | None
    created_at: str
    revoked_at: str | None
    last_seen_at: str | None  # UTC ISO; written about once a minute while connected (application/screen_watch.py)


class DeviceKey(NamedTuple):
    """A device whose token is not revoked."""

    id: int
    kind: str
    name: str
    site: str
    screen: str | None


class AccountStore:
    def __init__(self, storage: StoragePort) -> None:
        self.storage = storage

    # --- users -------------------------------------------------------------------------------------------

    async def user_exists(self, username: str) -> bool:
        """Whether the name is taken, whatever its case: "Admin" beside "admin" would read as one in the audit log."""
        row = await self.storage.fetch_one("SELECT 1 FROM users WHERE lower(username) = lower(?)", (username,))
        return row is not None

    async def add_user(
        self,
        username: str,
        password_hash: str,
        role: str,
        site: str | None,
        agency: str | None,
        display_name: str,
        created_at: str,
        sites: str | None = None,
    ) -> int:
        """Returns the new user's id."""
        rows = await self.storage.fetch_all(
            "INSERT INTO users (username, password_hash, role, site, agency, display_name, created_at, sites) "
            "VALUES (?,?,?,?,?,?,?,?) RETURNING id",
            (username, password_hash, role, site, agency, display_name, created_at, sites),
        )
        return int(rows[0][0])

    async def user_id(self, username: str) -> int | None:
        row = await self.storage.fetch_one("SELECT id FROM users WHERE username = ?", (username,))
        return int(row[0]) if row is not None else None

    async def set_active(self, user_id: int, active: bool) -> None:
        await self.storage.execute("UPDATE users SET active = ? WHERE id = ?", (1 if active else 0, user_id))

    async def set_password_hash(self, user_id: int, password_hash: str) -> None:
        await self.storage.execute("UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id))

    async def set_sites(self, user_id: int, sites: str | None) -> None:
        """A regional account's sites as stored (comma-separated; NULL: every site)."""
        await self.storage.execute("UPDATE users SET sites = ? WHERE id = ?", (sites, user_id))

    async def update_user(self, user_id: int, role: str, agency: str | None, display_name: str) -> None:
        await self.storage.execute(
            "UPDATE users SET role = ?, agency = ?, display_name = ? WHERE id = ?",
            (role, agency, display_name, user_id),
        )

    async def display_name(self, username: str) -> str | None:
        """The person's name as staff read it ("Budi Santoso"), or None: no such account (any more)."""
        row = await self.storage.fetch_one("SELECT display_name FROM users WHERE username = ?", (username,))
        return str(row[0]) if row is not None and row[0] else None

    async def delete_user(self, user_id: int) -> None:
        """The account goes (its sessions first); the audit log keeps its name as text."""
        await self.storage.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))
        await self.storage.execute("DELETE FROM users WHERE id = ?", (user_id,))

    async def users(self) -> list[User]:
        """Every account, by username."""
        rows = await self.storage.fetch_all(
            "SELECT username, role, site, agency, display_name, active, sites FROM users ORDER BY username"
        )
        return [User(*row) for row in rows]

    async def credentials(self, username: str) -> Credentials | None:
        row = await self.storage.fetch_one(
            "SELECT id, password_hash, role, site, agency, display_name, active, sites FROM users WHERE username = ?",
            (username,),
        )
        return Credentials(*row) if row is not None else None

    # --- wrong passwords (application/throttle.py) ---------------------------------------------------------

    async def login_failures(self, keys: Sequence[str], since: str) -> list[tuple[str, str]]:
        """The failures of `keys` after `since` (UTC ISO), oldest first, as (key, at)."""
        marks = ",".join("?" * len(keys))
        rows = await self.storage.fetch_all(
            f"SELECT key, at FROM login_failures WHERE key IN ({marks}) AND at > ? ORDER BY at",  # noqa: S608
            (*keys, since),
        )
        return [(str(key), str(at)) for key, at in rows]

    async def add_login_failures(self, keys: Sequence[str], at: str) -> None:
        await self.storage.execute(
            "INSERT INTO login_failures (key, at) VALUES " + ",".join("(?, ?)" for _ in keys),  # noqa: S608
            tuple(value for key in keys for value in (key, at)),
        )

    async def forget_login_failures(self, until: str) -> None:
        """Failures at or before `until` count no more: they go."""
        await self.storage.execute("DELETE FROM login_failures WHERE at <= ?", (until,))

    # --- sessions ----------------------------------------------------------------------------------------

    async def add_session(self, token_hash: str, user_id: int, created_at: str, expires_at: str) -> None:
        await self.storage.execute(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?,?,?,?)",
            (token_hash, user_id, created_at, expires_at),
        )

    async def audit(self, entry: tuple[object, ...]) -> None:
        """An audit entry about accounts (site, at, actor, role, action, target, details, seq)."""
        await self.storage.execute(AUDIT_INSERT, entry)

    async def credentials_changed(self) -> None:
        """Tell every process that a session, a device or a password changed (their principal caches go)."""
        await self.storage.execute(
            "INSERT INTO meta (key, value) VALUES ('credentials_version', '1') ON CONFLICT (key) "
            "DO UPDATE SET value = CAST(CAST(meta.value AS INTEGER) + 1 AS TEXT)"
        )

    async def credentials_version(self) -> str:
        rows = await self.storage.query("SELECT value FROM meta WHERE key = 'credentials_version'")
        return str(rows[0][0]) if rows else "0"

    async def end_session(self, token_hash: str) -> None:
        await self.storage.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))

    async def end_sessions_of(self, user_id: int) -> None:
        await self.storage.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))

    async def session_user(self, token_hash: str) -> SessionUser | None:
        """The session's account, whether or not the session has expired or the account is active."""
        row = await self.storage.fetch_one(
            "SELECT u.id, u.role, u.username, u.site, u.agency, s.expires_at, u.active, u.sites, u.display_name "
            "FROM sessions s "
            "JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?",
            (token_hash,),
        )
        return SessionUser(*row) if row is not None else None

    # --- devices -----------------------------------------------------------------------------------------

    async def add_device(
        self, token_hash: str, kind: str, site: str, name: str, screen: str | None, created_at: str
    ) -> None:
        await self.storage.execute(
            "INSERT INTO devices (token_hash, kind, site, name, screen, created_at) VALUES (?,?,?,?,?,?)",
            (token_hash, kind, site, name, screen, created_at),
        )

    async def devices(self) -> list[Device]:
        """Every device token ever made, revoked ones included, by id."""
        rows = await self.storage.fetch_all(
            "SELECT id, kind, site, name, screen, created_at, revoked_at, last_seen_at FROM devices ORDER BY id"
        )
        return [Device(*row) for row in rows]

    async def mark_seen(self, seen: dict[int, str]) -> None:
        """Devices connected now: when (UTC ISO), by id. Never moves a time back (another process may be newer)."""
        for device_id, at in seen.items():
            await self.storage.execute(
                "UPDATE devices SET last_seen_at = ? WHERE id = ? AND (last_seen_at IS NULL OR last_seen_at < ?)",
                (at, device_id, at),
            )

    async def rename_device(self, device_id: int, name: str) -> None:
        await self.storage.execute("UPDATE devices SET name = ? WHERE id = ?", (name, device_id))

    async def revoke_device(self, device_id: int, revoked_at: str) -> None:
        await self.storage.execute("UPDATE devices SET revoked_at = ? WHERE id = ?", (revoked_at, device_id))

    async def live_device(self, token_hash: str) -> DeviceKey | None:
        """The device with this token, unless it was revoked."""
        row = await self.storage.fetch_one(
            "SELECT id, kind, name, site, screen FROM devices WHERE token_hash = ? AND revoked_at IS NULL",
            (token_hash,),
        )
        return DeviceKey(*row) if row is not None else None
