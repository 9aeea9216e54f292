"""Who is asking, and may they? Accounts (argon2 password hashes), session tokens, device tokens, and the one
authorisation policy every mutating action goes through."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import math
import secrets
import time
from collections.abc import Callable, Coroutine, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from queue_server.application.known_devices import KnownDevices
from queue_server.application.passwords import LENGTH_MAX, LENGTH_MIN, weakness
from queue_server.application.throttle import LoginThrottle
from queue_server.common import background
from queue_server.domain.catalogue import Site
from queue_server.domain.refusal import Refusal
from queue_server.persistence.accounts import AccountStore
from queue_server.persistence.port import StoragePort
from queue_server.settings.clock import utc_now
from queue_server.settings.left_out import LeftOut

# regional: reads the figures of a list of sites (or of every site: a national account), changes nothing.
ROLES = ("admin", "supervisor", "operator", "regional")
# uplink: the server of a mall that runs on its own box, sending its event log to a server that mirrors it.
DEVICE_KINDS = ("display", "kiosk", "uplink")
USERNAME_MAX = 64
log = logging.getLogger(__name__)
WATCH_SECONDS = 0.5  # how soon a change made by another process (the command line) takes effect here
PRINCIPAL_CACHE_SECONDS = 30.0
# An account named in a frame but not known here yet (made by another process): the accounts are read again, at most
# this often.
NAMES_READ_SECONDS = 5.0
# On shared storage the cache is trusted only while the version was read this recently: a process that was stalled
# (paused, starved of CPU) reads it before it uses a principal cached before a revocation made elsewhere meanwhile.
VERSION_FRESH_SECONDS = 3 * WATCH_SECONDS
SEEN_SECONDS = 30.0

_hasher = PasswordHasher()
# One argon2 hash takes ~64 MiB and ~50 ms on all cores (its defaults: 4 lanes). Hashes run off the event loop, one
# at a time: 26 operators signing in at once wait ~1 s in turn instead of taking 26 x 64 MiB together, and calls
# keep flowing meanwhile.
_HASHING = ThreadPoolExecutor(max_workers=1, thread_name_prefix="argon2")


@dataclass(frozen=True)
class Principal:
    kind: str  # "user" or "device"
    role: str  # admin, supervisor, operator, regional, display, kiosk, uplink
    name: str
    id: int
    site: str | None = None  # None: every site (admins, regional accounts)
    agency: str | None = None  # operators only
    screen: str | None = None  # displays only
    sites: frozenset[str] | None = None  # a regional account's sites; None: every site (see sees_site)
    expires_at: datetime | None = None  # a session's end (UTC); devices: None
    display_name: str | None = None  # a person's name as staff read it ("Budi Santoso"); devices: None


def person_name(account: str, display_name: str | None) -> str:
    """The one naming rule for staff: a person is named by their name as staff read it ("Sari Dewi"), the account
    ("sari") when it has none. Every sentence, frame and page that names who did something goes through it."""
    return display_name or account


def _strong_enough(password: str, *own_words: str) -> None:
    """The command line's check (passwords.py); ValueError says what to do."""
    why = weakness(password, own_words)
    if why == "length":
        raise ValueError(f"password must be {LENGTH_MIN} to {LENGTH_MAX} characters")
    if why is not None:
        raise ValueError("password is too easy to guess (a common word, a run of keys, a date or the account's or "
                         "mall's name): use a few unrelated words, e.g. kopi-hujan-sepeda-7")  # fmt: skip


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def hashed(password: str) -> str:
    """hash_password in the bounded hashing pool."""
    return await asyncio.get_running_loop().run_in_executor(_HASHING, hash_password, password)


async def verified(stored_hash: str, password: str) -> bool:
    """verify_password in the bounded hashing pool."""
    return await asyncio.get_running_loop().run_in_executor(_HASHING, verify_password, stored_hash, password)


# --- the policy ------------------------------------------------------------------------------------------

# action -> roles that may do it (always within their own site or sites; operators also within their own agency).
# A regional account only reads: the supervisor's views of its sites, and the national view across them.
POLICY: dict[str, frozenset[str]] = {
    "site.read_state": frozenset({"admin", "supervisor", "operator", "regional", "display", "kiosk"}),
    "ticket.issue": frozenset({"admin", "supervisor", "operator", "kiosk"}),
    "counter.command": frozenset({"admin", "supervisor", "operator"}),
    "ticket.manage": frozenset({"admin", "supervisor", "operator"}),
    "site.close_day": frozenset({"admin", "supervisor"}),
    "site.follow": frozenset({"admin", "supervisor", "regional"}),
    "agency.follow": frozenset({"admin", "supervisor", "operator", "regional"}),
    "display.follow": frozenset({"admin", "supervisor", "display"}),
    "accounts.manage": frozenset({"admin"}),
    # A site's staff accounts and device tokens on the web: supervisors too, for operators of their own site
    # (application/administration.py keeps supervisor accounts to admins).
    "site.accounts": frozenset({"admin", "supervisor"}),
    "site.devices": frozenset({"admin", "supervisor"}),
    "site.running_text": frozenset({"admin", "supervisor"}),
    # A service's issuing paused with why (its central system down): also its agency's operators, who see it first.
    "service.pause": frozenset({"admin", "supervisor", "operator"}),
    "site.configure": frozenset({"admin", "supervisor"}),  # agencies, services, counters, hours: applied live
    # Where citizens' numbers and messages go (the WhatsApp/SMS gateway) and the address their links name.
    "site.notify": frozenset({"admin"}),
    "gateway.test": frozenset({"admin"}),  # a test message through the gateway: to a number the admin types
    "report.read": frozenset({"admin", "supervisor", "regional"}),
    "audit.read": frozenset({"admin", "supervisor", "regional"}),
    "survey.collect": frozenset({"admin", "supervisor", "operator"}),  # the survey tablet at a counter
    "national.read": frozenset({"admin", "regional"}),  # every site the principal sees at once (require_across)
    "webhook.manage": frozenset({"admin"}),  # endpoints receive every ticket's times: an admin's decision
    "outbox.read": frozenset({"admin", "supervisor"}),  # deliveries: sent, retrying, failed, last error
    "outbox.resend": frozenset({"admin", "supervisor"}),
    "site.relay": frozenset({"uplink"}),  # a mirrored mall's own server sends its log (domain/relay.py)
}

# Actions an operator may take only for their own agency.
AGENCY_SCOPED = frozenset({"counter.command", "ticket.manage", "agency.follow", "survey.collect", "service.pause"})


def sees_site(principal: Principal, site: str) -> bool:
    """Whether a site is within the principal's reach: its own site, a regional account's list, or every site."""
    if principal.sites is not None:
        return site in principal.sites
    return principal.site is None or principal.site == site


def visible_sites(principal: Principal, sites: Iterable[str]) -> list[str]:
    """Those of `sites` the principal sees, in their order."""
    return [site for site in sites if sees_site(principal, site)]


def allowed(principal: Principal, action: str, site: str, agency: str | None = None) -> bool:
    if principal.role not in POLICY[action]:
        return False
    if not sees_site(principal, site):
        return False
    if principal.role == "operator" and action in AGENCY_SCOPED:
        return agency is not None and principal.agency == agency
    return True


def device_token_refusal(token: str | None) -> Refusal:
    """Why a TV's or kiosk's token signs nothing in, said to the technician with what to do: none given, or one that
    is unknown or revoked. `details.device_token` ("missing", "refused") lets a page tell it from other refusals."""
    if not token:
        return Refusal("unauthenticated.device_token_missing", details={"device_token": "missing"})
    return Refusal("unauthenticated.device_token", details={"device_token": "refused"})


def require(principal: Principal | None, action: str, site: str, agency: str | None = None) -> Principal:
    if principal is None:
        raise Refusal("unauthenticated")
    if not allowed(principal, action, site, agency):
        if principal.role in POLICY[action] and not sees_site(principal, site):
            # the role may, but not at this mall: "the role may not do this" misled a province's reader opening
            # another province's mall into thinking the role could open no dashboard at all; and an operator at
            # another mall's counter was told it was another agency's
            raise Refusal("forbidden.other_site", site=site)
        if principal.role == "operator" and agency is not None and principal.agency != agency:
            raise Refusal("not_your_agency")
        raise Refusal("forbidden", role=principal.role)
    return principal


def require_across(principal: Principal | None, action: str) -> Principal:
    """An action over every site the principal sees at once (`national.read`): the role decides, and the caller
    keeps to `visible_sites`."""
    if principal is None:
        raise Refusal("unauthenticated")
    if principal.role not in POLICY[action]:
        raise Refusal("forbidden", role=principal.role)
    return principal


def sites_text(sites: Iterable[str] | None) -> str | None:
    """A regional account's sites as stored (comma-separated); None or nothing: every site."""
    listed = sorted(set(sites or ()))
    return ",".join(listed) if listed else None


def sites_of(role: str, text: str | None) -> frozenset[str] | None:
    """A stored list of sites as a principal carries it: only a regional account has one; NULL is every site.
    Fails closed: a stored text that names no site sees none."""
    if role != "regional" or text is None:
        return None
    return frozenset(s.strip() for s in text.split(",") if s.strip())


# --- accounts and tokens ---------------------------------------------------------------------------------


class Revocable(Protocol):
    """An open connection that authenticated with a token (a websocket): asked to check it again."""

    async def recheck(self) -> None: ...


class Accounts:
    def __init__(
        self,
        storage: StoragePort,
        sites: dict[str, Site],
        session_hours: int = 12,
        login_window: float = 300.0,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.storage = storage
        self.store = AccountStore(storage)
        self.sites = sites
        self.session_hours = session_hours
        self.throttle = LoginThrottle(self.store, window=login_window, clock=clock)
        self.clock = clock  # the server's: when an audit entry happened
        self._cache: dict[str, tuple[float, Principal]] = {}
        self._next_pruning = 0.0  # time.monotonic() of the next scan for expired cache entries
        self.connections: set[Revocable] = set()  # open websockets that authenticated with a token
        self._version: str | None = None  # the database's credentials version this process has seen
        self._version_read_at = float("-inf")  # time.monotonic() of the last read of it
        self._version_lock = asyncio.Lock()  # one read at a time, however many requests find it stale
        self._watching: asyncio.Task[None] | None = None
        self._rechecks: set[asyncio.Task[None]] = set()  # kept referenced until done
        self._generation = 0  # moved on by every change of credentials (seen here or read from the database)
        self._lookups: dict[tuple[str, int], asyncio.Future[Principal | None]] = {}  # reads in flight
        # Other processes may be serving (several server processes on PostgreSQL; the command line beside a server):
        # a change is answered only once they have read it (_changed).
        self.others_may_serve = storage.shared
        self._seen: dict[int, float] = {}  # device id -> time.monotonic() its last-seen time was written
        # Accounts disabled now (read again whenever credentials change): a counter such an account left open is a
        # supervisor's alert (supervision/alerts.py, counter_held).
        self.disabled: frozenset[str] = frozenset()
        # account -> the person's name (read with `disabled`, kept fresh as sessions come): what `names` gives the
        # staff frames (live/wire.py) and the dashboard, which are built without a database read.
        self._names: dict[str, str | None] = {}
        self._names_asked_at = float("-inf")  # time.monotonic() of the last read asked for by an unknown account
        # Told whenever credentials changed, here or in another process (the command line's requests to close the
        # counters of an account it disabled wait on this: application/account_releases.py).
        self.on_change: list[Callable[[], None]] = []
        self._known_devices: KnownDevices | None = None
        # The malls left out at start-up (settings/left_out.py): their staff are told so at sign-in, not let in.
        self.left_out: Mapping[str, LeftOut] = {}

    # --- revocation at once, whichever process made the change -----------------------------------------

    def start(self) -> None:
        # Every WATCH_SECONDS, the credentials version another process (the command line, another server process)
        # may have moved on: then every cached principal goes and every open websocket checks its token.
        said = background.Outage(log, "reading the credentials version", self.store.storage.unavailable)
        watch = background.every(WATCH_SECONDS, self._read_version, said)
        self._watching = background.start(watch, "credentials-watch")
        self._later(self._read_disabled())

    async def stop(self) -> None:
        await background.stop(self._watching)
        # A read of the disabled accounts (or a recheck) still running: done before the storage closes under it.
        for task in list(self._rechecks):
            task.cancel()
            with contextlib.suppress(BaseException):
                await task

    async def _read_version(self) -> None:
        version = await self.store.credentials_version()
        self._version_read_at = time.monotonic()
        if self._version is not None and version != self._version:
            self._forget_principals()
        self._version = version

    async def _version_fresh(self) -> None:
        """The credentials version read lately (see VERSION_FRESH_SECONDS); with one process nothing to do."""
        if not self.others_may_serve or time.monotonic() - self._version_read_at < VERSION_FRESH_SECONDS:
            return
        async with self._version_lock:
            if time.monotonic() - self._version_read_at >= VERSION_FRESH_SECONDS:
                try:
                    await self._read_version()
                except Exception:  # the database is unreachable: nobody can revoke anything meanwhile either
                    log.debug("reading the credentials version failed", exc_info=True)

    async def _changed(self) -> None:
        """This process changed a session, a device or a password: at once here, and for the others."""
        await self.store.credentials_changed()
        self._version = await self.store.credentials_version()
        self._version_read_at = time.monotonic()
        self._forget_principals()
        if self.others_may_serve:
            # They read the version every WATCH_SECONDS: answering after two of their rounds, whoever hears "done"
            # (the admin's page, the command line) knows the old token is refused in every process. Without the
            # wait, another process accepted it for up to WATCH_SECONDS more (1-2 requests were seen).
            await asyncio.sleep(2 * WATCH_SECONDS)

    def _forget_principals(self) -> None:
        self._generation += 1
        self._cache.clear()
        for connection in list(self.connections):
            self._later(connection.recheck())
        self._later(self._read_disabled())
        for told in self.on_change:
            told()

    def _later(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._rechecks.add(task)
        task.add_done_callback(self._rechecks.discard)

    async def _read_disabled(self) -> None:
        try:
            users = await self.store.users()
        except Exception:  # the database away: the next change of credentials reads it again
            log.debug("reading the disabled accounts failed", exc_info=True)
            return
        self.disabled = frozenset(u.username for u in users if not u.active)
        self._names = {u.username: u.display_name or None for u in users}

    async def why_refused(self, token: str | None) -> Refusal:
        """Why a token that signs nothing in (any more) is refused. A session of an account disabled since is told
        so: its holder signed in with the account's password, so this tells nobody anything new about which
        accounts exist (signing in with a password keeps saying only "wrong username or password"); an operator
        told "your session ended" would otherwise retry the password and read "wrong password". Anything else:
        unauthenticated."""
        if token and token.startswith("s_") and len(token) <= 200:
            user = await self.store.session_user(token_hash(token))
            if user is not None and not user.active:
                return Refusal("account_disabled")
        return Refusal("unauthenticated")

    async def create_user(
        self,
        username: str,
        password: str,
        role: str,
        *,
        site: str | None = None,
        agency: str | None = None,
        display_name: str | None = None,
        password_hash: str | None = None,
        sites: Iterable[str] | None = None,
    ) -> int:
        if (
            not username
            or len(username) > USERNAME_MAX
            or not username.replace("-", "").replace("_", "").replace(".", "").isalnum()
        ):
            raise ValueError("username must be 1-64 letters, digits, '.', '-' or '_'")
        if password_hash is None:  # a hash given is the demo's seeding (its passwords are printed anyway)
            _strong_enough(password, username, display_name or "", *self.sites)
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        listed = sorted(set(sites or ()))
        if role == "regional":
            if site is not None:
                raise ValueError("a regional account has a list of sites, not one site (no list: every site)")
            self._known_sites(listed)
        elif listed:
            raise ValueError("only a regional account has a list of sites")
        elif (role != "admin" or site is not None) and site not in self.sites:  # an admin of no site: of every site
            given = f"{site!r} is not a site of this server" if site else f"a {role} account needs a site"
            raise ValueError(f"{given} (--site-id): one of {', '.join(self.sites)}; give the site file with --site")
        if role == "operator":
            if agency is None or site is None or agency not in self.sites[site].agencies:
                agencies = ", ".join(self.sites[site].agencies) if site in self.sites else ""
                given = f"{agency!r} is not an agency of {site}" if agency else "an operator needs an agency"
                raise ValueError(f"{given} (--agency): one of {agencies}")
        elif agency is not None:
            raise ValueError("only operators are bound to an agency")
        if await self.store.user_exists(username):
            raise ValueError(f"user {username!r} exists already")
        user_id = await self.store.add_user(
            username,
            password_hash or await hashed(password),
            role,
            site,
            agency,
            display_name or username,
            _now_iso(),
            sites_text(listed),
        )
        self._names[username] = display_name or None
        return user_id

    async def set_password(self, username: str, password: str) -> None:
        _strong_enough(password, username, *self.sites)
        user_id = await self.store.user_id(username)
        if user_id is None:
            raise ValueError(f"no user {username!r}")
        await self.store.set_password_hash(user_id, await hashed(password))
        await self.store.end_sessions_of(user_id)  # a new password signs out everyone who had the old one
        await self._changed()

    async def set_active(self, username: str, active: bool) -> None:
        """Disable the account of someone who left (signed out everywhere at once; signing in refused), or enable
        it again. The account and what it did stay: the audit log names it."""
        user_id = await self.store.user_id(username)
        if user_id is None:
            raise ValueError(f"no user {username!r}")
        if active:  # its sessions of before are over for good: enabling again never brings one back
            await self.store.end_sessions_of(user_id)
        await self.store.set_active(user_id, active)
        # Disabled: its sessions sign nothing in (authenticate checks the account) but are kept until it is enabled
        # again, so that a page still holding one is told why ("account disabled"; why_refused).
        await self._changed()

    async def set_sites(self, username: str, sites: Iterable[str] | None) -> list[str] | None:
        """A regional account's malls, replaced (None: every mall), in effect at its next request and on its open
        websockets. Returns the list as stored, sorted (None: every mall)."""
        user = await self.store.credentials(username)
        if user is None:
            raise ValueError(f"no user {username!r}")
        if user.role != "regional":
            role = f"an {user.role}" if user.role[0] in "aeiou" else f"a {user.role}"  # "an admin", "a supervisor"
            raise ValueError(f"{username} is {role} account: only a regional account has a list of sites")
        listed = sorted(set(sites)) if sites is not None else None
        self._known_sites(listed or [])
        await self.store.set_sites(user.id, sites_text(listed))
        await self._changed()
        return listed

    def _known_sites(self, listed: list[str]) -> None:
        unknown = [s for s in listed if s not in self.sites]
        if unknown:
            raise ValueError(
                f"no such site: {', '.join(unknown)}; a regional account's sites are among {', '.join(self.sites)}"
            )

    async def change_user(self, username: str, role: str, agency: str | None, display_name: str) -> None:
        """A new role, agency or name, in effect at the account's next request and on its open websockets."""
        user_id = await self.store.user_id(username)
        if user_id is None:
            raise ValueError(f"no user {username!r}")
        await self.store.update_user(user_id, role, agency, display_name)
        self._names[username] = display_name or None  # the frames sent from now on name the person so
        await self._changed()

    async def remove_user(self, username: str) -> None:
        user_id = await self.store.user_id(username)
        if user_id is None:
            raise ValueError(f"no user {username!r}")
        await self.store.delete_user(user_id)
        await self._changed()

    async def person(self, username: str) -> str:
        """How a sentence staff read names an account: its person's name ("Budi Santoso", as the counter page shows
        who is at a counter), else the account's name (one without a name, or removed since)."""
        display_name = await self.store.display_name(username)
        self._names[username] = display_name or None
        return person_name(username, display_name)

    def names(self, accounts: Iterable[str]) -> dict[str, str]:
        """The accounts as staff read them, by `person_name`, without a database read (for frames and the
        dashboard): from the accounts as last read. An account not known yet (made since, by another process) is
        named by itself now and read soon, at most one read per NAMES_READ_SECONDS."""
        out = {}
        for account in accounts:
            if account not in self._names:
                self._unknown_named()
            out[account] = person_name(account, self._names.get(account))
        return out

    def _unknown_named(self) -> None:
        now = time.monotonic()
        if now - self._names_asked_at < NAMES_READ_SECONDS:
            return
        self._names_asked_at = now
        with contextlib.suppress(RuntimeError):  # no running loop (a command-line tool): nothing to refresh
            self._later(self._read_disabled())

    async def list_users(self) -> list[dict[str, object]]:
        return [user._asdict() for user in await self.store.users()]

    async def login(
        self, username: str, password: str, address: str = "local", known: str | None = None
    ) -> tuple[str, datetime, Principal, str]:
        """A session for a right password, and the browser's known-devices cookie to set (known_devices.py: bound to
        the password the account has now). `known`: the cookie it sent, which spares a browser that signed in as this
        account before the holds a guesser elsewhere put on it."""
        user = await self.store.credentials(username)  # a read, no hash: a throttled guess stays free
        devices = await self.known_devices()
        device = devices.device_of(known, username, user.password_hash if user else None)
        async with self.throttle.attempt(username, address, device):  # refused before any hash
            # Verify against a dummy hash when the user is unknown, so timing does not reveal which usernames exist.
            stored = user.password_hash if user else _DUMMY_HASH
            if not await verified(stored, password) or user is None or not user.active:
                if await self.throttle.failed(username, address, device):
                    await self._audit_throttled(username, user.site if user else None)
                raise Refusal("bad_credentials")
        leaving = self.left_out.get(user.site or "")
        if leaving is not None:  # the right password, for a mall this server does not serve now: said, no session
            raise leaving.refusal()
        token = "s_" + secrets.token_urlsafe(32)
        expires = datetime.now(UTC) + timedelta(hours=self.session_hours)
        await self.store.add_session(token_hash(token), user.id, _now_iso(), expires.isoformat())
        principal = Principal(
            "user", user.role, username, user.id, user.site, user.agency, sites=sites_of(user.role, user.sites),
            display_name=user.display_name or None,
        )  # fmt: skip
        return token, expires, principal, devices.remembered(known, username, user.password_hash)

    async def known_devices(self) -> KnownDevices:
        if self._known_devices is None:  # its key is made on first use and kept in the database (every process's)
            self._known_devices = KnownDevices(await self.storage.secret("known_devices"))
        return self._known_devices

    async def logout(self, token: str) -> None:
        await self.store.end_session(token_hash(token))
        await self._changed()

    async def _audit_throttled(self, username: str, site: str | None) -> None:
        """Once per limit reached (not once per refused guess), in the account's site's audit log; never the
        passwords tried. An unknown name or an account of every site: in each hosted site's log."""
        at = self.clock().astimezone(UTC).isoformat(timespec="microseconds")
        details = json.dumps({"window_seconds": int(self.throttle.window)})
        for site_id in [site] if site in self.sites else list(self.sites):
            entry = (
                site_id,
                at,
                "-",
                "-",
                "auth.throttled",
                f"account {username[:64]}",
                details,
                self.storage.last_seq,
            )
            await self.store.audit(entry)

    async def create_device(
        self, kind: str, site: str, name: str, screen: str | None = None, token: str | None = None
    ) -> str:
        """A device token for a display, a kiosk or a mall's uplink; shown once, stored only as a hash."""
        if kind not in DEVICE_KINDS:
            raise ValueError(f"kind must be one of {', '.join(DEVICE_KINDS)}")
        if site not in self.sites:
            raise ValueError(f"unknown site {site!r}; sites: {', '.join(self.sites)}")
        if kind == "display":
            if screen is None or screen not in self.sites[site].screens:
                given = f"{screen!r} is not a screen of {site}" if screen else f"a display needs a screen of {site}"
                raise ValueError(f"{given} (--screen): one of {', '.join(self.sites[site].screens)}")
        elif screen is not None:  # it would be stored and shown beside a device that shows no screen
            raise ValueError(f"only a display has a screen; a {kind} token has none (leave out --screen)")
        token = token or f"d_{kind}_" + secrets.token_urlsafe(24)
        await self.store.add_device(token_hash(token), kind, site, name, screen, _now_iso())
        return token

    async def device_seen(self, principal: Principal) -> None:
        """A device that calls over plain HTTP (a mall's uplink) was heard from now: its last-seen time, written
        at most every SEEN_SECONDS (the devices page and the national view read it, on every process)."""
        now = time.monotonic()
        if principal.kind != "device" or now - self._seen.get(principal.id, -math.inf) < SEEN_SECONDS:
            return
        self._seen[principal.id] = now
        await self.store.mark_seen({principal.id: self.clock().astimezone(UTC).isoformat(timespec="seconds")})

    async def list_devices(self) -> list[dict[str, object]]:
        return [device._asdict() for device in await self.store.devices()]

    async def rename_device(self, device_id: int, name: str) -> None:
        await self.store.rename_device(device_id, name)

    async def revoke_device(self, device_id: int) -> None:
        await self.store.revoke_device(device_id, _now_iso())
        await self._changed()

    async def token_replaced(self) -> None:
        """A device entry took a new token (paired again, application/device_pairing.py): its old one is refused at
        once, and the screens that signed in with it are closed, on every process."""
        await self._changed()

    async def authenticate(self, token: str | None) -> Principal | None:
        if not token or len(token) > 200:
            return None
        key = token_hash(token)
        await self._version_fresh()
        cached = self._cache.get(key)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        # One read per token however many ask at once (a thousand screens of one lobby recheck together after a
        # change), and none of a generation older than the last change: a read that began before a revocation
        # must not put the revoked principal back in the cache.
        flight = (key, self._generation)
        running = self._lookups.get(flight)
        if running is None:
            running = self._lookups[flight] = asyncio.ensure_future(self._look_up(token, key, self._generation))
            running.add_done_callback(lambda _: self._lookups.pop(flight, None))
        return await asyncio.shield(running)

    async def _look_up(self, token: str, key: str, generation: int) -> Principal | None:
        principal: Principal | None = None
        if token.startswith("s_"):
            user = await self.store.session_user(key)
            expires_at = datetime.fromisoformat(user.expires_at) if user else None
            if user and user.active and expires_at and expires_at > datetime.now(UTC):
                sites = sites_of(user.role, user.sites)
                principal = Principal("user", user.role, user.username, user.id, user.site, user.agency, sites=sites,
                                      expires_at=expires_at, display_name=user.display_name or None)  # fmt: skip
        elif token.startswith("d_"):
            device = await self.store.live_device(key)
            if device:
                principal = Principal("device", device.kind, device.name, device.id, device.site, None, device.screen)
        if principal is not None and principal.kind == "user":
            self._names[principal.name] = principal.display_name
        if principal is not None and generation == self._generation:
            now = time.monotonic()
            if now >= self._next_pruning:  # expired entries go (past sessions' tokens), at most one scan per period
                self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
                self._next_pruning = now + PRINCIPAL_CACHE_SECONDS
            # Kept no longer than the session lasts: an expired session is refused at once, not 30 s later.
            keep = PRINCIPAL_CACHE_SECONDS
            if principal.expires_at is not None:
                keep = min(keep, (principal.expires_at - datetime.now(UTC)).total_seconds())
            self._cache[key] = (now + keep, principal)
        return principal


_DUMMY_HASH = hash_password("not-a-real-password-" + secrets.token_hex(8))


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()
