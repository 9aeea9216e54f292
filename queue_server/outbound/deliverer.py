"""The delivery worker: sends what the outbox holds, off the issuing and calling path.

Each round records what the sends finished since the last one did (one transaction), reads the messages due now
(the first still to go of each endpoint and key, persistence/outbox.py) and starts those whose endpoint has room in
its lane (a few requests at a time per endpoint), without waiting for them: a slow or hanging endpoint holds up only
its own lane, never another endpoint's messages (a round that waited for everything it started made every message
wait for the slowest receiver). A message in flight is still pending in the database, so the next one of its key is
not due before its outcome is recorded (the order per ticket), and the round does not start it twice. Outcomes:
- sent (2xx);
- tried again when the receiver asked, after a 429 with Retry-After (1 s to 10 minutes): the whole endpoint waits
  until then, and the answer is no failure of it (its breaker does not count it); after a 503 with Retry-After the
  endpoint waits until then too, but the 503 is a failure (the receiver says it is down), and one that asks for at
  least the breaker's first pause opens the breaker at once;
- tried again later, after an exponential backoff with full jitter (RETRY_BASE * 2^attempts, at most RETRY_CAP);
- dead after MAX_ATTEMPTS tries, with the last error, until a supervisor resends it;
- skipped when it is no longer worth sending (the endpoint was removed, the number deleted, the citizen was
  called already and the message would mislead).
A circuit breaker per endpoint (each site's gateway its own) stops trying an endpoint that failed BREAKER_FAILURES
times in a row for a while (30 s, doubling up to 5 minutes), then probes it; its messages wait meanwhile without
spending their tries. A gateway is probed with a bare HEAD request, due messages or not (nothing is sent to a
citizen; an answer of its own server counts, a 5xx does not: `gateway_up`; the pages offer messages only while its
breaker is closed, `paused_gateways`), and once that is answered one message at a time goes on trial until one goes
through (`Breaker.reached`). A webhook is probed with one message: when none is due (they wait out backoffs of up to
10 minutes), the first waiting for a later try is brought forward (`OutboxStore.due_now`); it is sent once, as any
try, and its success brings every other waiting message forward. A probe or trial message is one whose last try's
outcome is known, when one is due: a try that went out with no answer read (`_Answer.unknown`, kept as the row's
`outcome_unknown`) may have been delivered, by a gateway that was only slow.

At least once: a message sent just before the process is killed, and not yet recorded, is sent again after the
restart with the same id (receivers drop it by `Antrean-Webhook-Id`; gateways get it as `Idempotency-Key`). On a
database shared by several processes only one delivers at a time (storage.exclusive), so order per key holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import logging
import random
import re
import secrets
import socket
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import partial
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from queue_server.common import addresses, background, messages
from queue_server.common import delivery_problems as problems
from queue_server.common.delivery_problems import Problem
from queue_server.domain.booking import DAY_CLOSED_REASON, BookingState
from queue_server.domain.catalogue import Site
from queue_server.domain.model import Ticket, TicketState
from queue_server.domain.state import SiteState
from queue_server.outbound import gateway, policy, signing
from queue_server.outbound.vault import Vault, VaultError
from queue_server.persistence.outbox import GATEWAY, Attempt, Endpoint, OutboxStore, Pending
from queue_server.persistence.port import Role

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliverySettings:
    retry_base: float = 5.0  # seconds before the second try; doubled for each one after
    retry_cap: float = 600.0  # never more than this between two tries
    max_attempts: int = 12  # then a dead letter (~40 minutes of tries at the defaults)
    retry_after_cap: float = 600.0  # the longest wait a 429's Retry-After is granted (a day's quota: tried again)
    timeout: float = 10.0  # one request, connecting and reading its answer included: the longest one message holds
    # its endpoint's lane (and its ticket's later messages) per try
    per_endpoint: int = 8  # requests in flight to one endpoint
    batch: int = 500  # messages read per round
    breaker_failures: int = 5
    breaker_seconds: float = 30.0  # the first pause of a tripped breaker; doubled per trip, up to 300 s
    idle_seconds: float = 1.0  # a look at the outbox at least this often (other processes write it too)
    keep_days: int = 7  # sent and skipped messages are kept this long for the supervisor's figures
    loopback_targets: bool = False  # webhook receivers on this machine: the lab setting allow_loopback_targets


def webhook_url_usable(url: str, *, loopback: bool) -> bool:
    """Whether a webhook's address, when it is an IP address, is one webhooks may use (common/addresses.py); a
    name is checked by WebhookResolver when it is connected to."""
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return False
    address = addresses.literal(host or "")
    return address is None or addresses.webhook_may_use(address, loopback=loopback)


class WebhookResolver(AbstractResolver):
    """The system's resolver, keeping only the addresses a webhook may use: a name that leads to this machine or to
    a link-local address (a cloud's metadata service) is not connected to, however it was registered."""

    def __init__(self, *, loopback: bool) -> None:
        self.loopback = loopback
        self._inner = DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        usable = [r for r in found if _usable(r["host"], self.loopback)]
        if not usable:
            # aiohttp keeps an OSError's strerror in the error the supervisors see, and only that
            raise OSError(errno.EACCES, "no address a webhook may use (this machine, link-local or multicast)")
        return usable

    async def close(self) -> None:
        await self._inner.close()


def _usable(host: str, loopback: bool) -> bool:
    address = addresses.literal(host)
    return address is not None and addresses.webhook_may_use(address, loopback=loopback)


class Breaker:
    """One endpoint's circuit breaker: closed (every message tried), open (none until `open_until`), then
    half-open (one probe; its success closes the breaker, its failure opens it for twice as long).

    A webhook is probed with one of its messages (`allows`). A gateway (`probe_by_head`) never is: its half-open
    probe is a bare HEAD request (`head_probe_due`), which sends nothing to a citizen and so can repeat no message
    whose outcome is unknown (a gateway that answered too late may have delivered it). A HEAD answered by the
    gateway's own server closes the breaker on trial (`reached`): the pages offer messages again, but one message
    at a time goes until one goes through, and its failure opens the breaker at once (a gateway whose HEAD says up
    while its POSTs fail spends one message's try per pause, not five or eight)."""

    def __init__(self, failures: int, pause: float, *, probe_by_head: bool = False) -> None:
        self.failures_to_trip = failures
        self.pause = pause
        self.probe_by_head = probe_by_head
        self.failures = 0  # in a row
        self.trips = 0  # in a row, without a success between them
        self.opened = False
        self.open_until = 0.0  # time.monotonic()
        self.probing = False  # a probe (a message, or a gateway's HEAD) is under way
        self.on_trial = False  # closed by a HEAD answered, no message through since: one message at a time
        self.held_until = 0.0  # time.monotonic(): the endpoint asked to be left alone until then (Retry-After)
        self.nudged = False  # a webhook's first waiting message was brought forward to probe it, this pause
        self.paused_for = 0.0  # seconds: the length of the last pause (doubled per trip, or as long as asked)

    @property
    def state(self) -> str:
        if not self.opened:
            return "closed"
        return "open" if time.monotonic() < max(self.open_until, self.held_until) else "half_open"

    def allows(self) -> bool:
        """Whether a message may go now; one that does as the probe (half-open) or the trial message takes it."""
        if time.monotonic() < self.held_until:
            return False
        if not self.opened and not self.on_trial:
            return True
        if self.probing or (self.opened and (self.probe_by_head or time.monotonic() < self.open_until)):
            return False
        self.probing = True
        return True

    def trial(self) -> bool:
        """Whether the next message to go is a trial or a probe: the one message that goes (`allows`), chosen with
        care (the deliverer prefers one whose outcome is known)."""
        return self.on_trial or self.opened

    def blocked(self) -> bool:
        """Whether no message may go now (without `allows`' taking the probe): its due messages are not read."""
        now = time.monotonic()
        if now < self.held_until or ((self.opened or self.on_trial) and self.probing):
            return True
        return self.opened and (self.probe_by_head or now < self.open_until)

    def head_probe_due(self) -> bool:
        """A gateway's breaker whose pause is over, no probe under way: True once, and the HEAD probe is under way
        (`reached` or `failed` ends it)."""
        if not self.opened or self.probing or time.monotonic() < max(self.open_until, self.held_until):
            return False
        self.probing = True
        return True

    def hold(self, seconds: float) -> None:
        """The endpoint asked to be left alone this long (Retry-After): no message goes to it meanwhile. After a 429
        that is all: no failure, it is up (the pages still offer messages), it only limits how fast it is sent to."""
        self.held_until = max(self.held_until, time.monotonic() + seconds)

    def idle_probe_due(self) -> bool:
        """Whether the pause is over with no probe under way nor asked for yet this pause (`nudged`): the caller
        brings a message forward to be the probe (a webhook's), and says so by this answer being True only once."""
        now = time.monotonic()
        if not self.opened or self.probing or self.nudged or now < max(self.open_until, self.held_until):
            return False
        self.nudged = True
        return True

    def at_rest(self, *, counting: bool = True) -> bool:
        """Closed, with nothing counted and nothing asked: the state a breaker starts in (not worth saying).
        `counting=False`: its failures counted aside."""
        resting = not self.opened and not self.on_trial and (self.failures == 0 or not counting) and self.trips == 0
        return resting and self.held_until <= time.monotonic()

    def memory(self) -> tuple[bool, bool, int, int, float, float, float]:
        """What changes when the breaker does (and nothing that moves with the clock): the deliverer says its
        breakers again when this does."""
        return (self.opened, self.on_trial, self.trips, self.failures, self.paused_for, self.open_until,
                self.held_until)  # fmt: skip

    def said(self, now: datetime) -> dict[str, Any]:
        """The whole state, for the process that delivers next (`adopt`): its clock's times as the machine's
        (`now`), since another process's monotonic clock is not this one's."""

        def wall(at: float) -> str | None:
            left = at - time.monotonic()
            return (now + timedelta(seconds=left)).isoformat() if left > 0 else None

        return {"opened": self.opened, "on_trial": self.on_trial, "trips": self.trips, "failures": self.failures,
                "pause": self.paused_for, "until": wall(self.open_until) if self.opened else None,
                "held_until": wall(self.held_until)}  # fmt: skip

    def adopt(self, said: Mapping[str, Any], now: datetime, longest: float) -> bool:
        """Go on where the process that delivered before left it (`said`, its word of a moment ago): its trips (so
        a failed probe pauses twice its last pause, not the first pause again), its failures counted, its pause
        until when it ends, its trial. A pause is never taken as longer than `longest` (the longest this process
        would pause for: another machine's clock may be ahead). False, and nothing changed, for a word that cannot
        be read (the caller falls back on `reopened`)."""
        try:
            opened, on_trial = bool(said["opened"]), bool(said["on_trial"])
            trips, failures = max(0, int(said["trips"])), max(0, int(said["failures"]))
            pause = min(max(0.0, float(said["pause"])), longest)
            until = _left(said.get("until"), now, pause or longest)
            held = _left(said.get("held_until"), now, longest)
        except (KeyError, TypeError, ValueError, OverflowError):
            return False
        clock = time.monotonic()
        self.opened, self.on_trial, self.trips, self.failures, self.paused_for = (opened, on_trial, trips, failures,
                                                                                  pause)  # fmt: skip
        self.open_until = clock + until if until else 0.0
        self.held_until = clock + held if held else 0.0
        self.probing = self.nudged = False
        return True

    def reopened(self) -> None:
        """Opened by the process that delivered before this one, as it last said: paused, its pause over (when it
        would have ended is not said), so the endpoint is probed at once (a gateway by its HEAD) rather than sent a
        message, and a failed probe pauses it twice as long."""
        self.opened = True
        self.trips = max(self.trips, 1)
        self.open_until = 0.0

    def no_probe(self) -> None:
        """The message let through as a probe was no probe after all (skipped, not built, or asked to wait): the
        next one may be, and a waiting one may be brought forward again."""
        self.probing = self.nudged = False

    def succeeded(self) -> bool:
        """A message went through: closed, and the next trip pauses for the first pause again. True when the
        breaker was open: the endpoint has mended (its messages waiting for later tries are due now)."""
        mended = self.opened
        self.failures = self.trips = 0
        self.opened = self.probing = self.nudged = self.on_trial = False
        return mended

    def reached(self) -> None:
        """A probe without a message reached the endpoint's server: closed, so its messages are tried (and the pages
        offer them) again, on trial (one at a time until one goes through, `allows`); nothing has gone through yet,
        so `trips` stays: a server that answers the probe and still fails every message is paused twice as long
        each time, not for the first pause over and over."""
        self.failures = 0
        self.opened = self.probing = self.nudged = False
        self.on_trial = True

    def failed(self, down_for: float | None = None) -> bool:
        """Count a failure; True when it opens the breaker. `down_for`: the endpoint said it is unavailable this long
        (a 503's Retry-After): nothing goes to it before then, and a time at least as long as the first pause opens
        the breaker at once, for that long (five failures would take five such waits to be counted, the pages
        offering messages all along). A failed probe or trial message opens it at once."""
        self.failures += 1
        if down_for is not None:
            self.hold(down_for)
        says_down = down_for is not None and down_for >= self.pause
        if self.probing or self.on_trial or (not self.opened and (self.failures >= self.failures_to_trip or says_down)):
            self.opened, self.probing, self.nudged, self.on_trial = True, False, False, False
            self.trips += 1
            self.paused_for = max(min(300.0, self.pause * 2 ** (self.trips - 1)), down_for or 0.0)
            self.open_until = time.monotonic() + self.paused_for
            return True
        return False


def _left(at: Any, now: datetime, longest: float) -> float:
    """The seconds from `now` to a time said as ISO text (None: none left), within 0 and `longest`."""
    if at is None:
        return 0.0
    return min(max(0.0, (datetime.fromisoformat(str(at)) - now).total_seconds()), longest)


@dataclass
class _Endpoints:
    """Webhook endpoints with their secrets decrypted, read again every few seconds."""

    by_id: dict[str, tuple[Endpoint, str]] = field(default_factory=dict)
    read_at: float = 0.0
    unreadable: frozenset[str] = frozenset()  # active endpoints whose secret another notification key sealed


ROLE_CHECK_SECONDS = 5.0  # how often the delivering process makes sure it still holds the outbox (shared storage)
# The delivering process's word on its breakers (`OutboxStore.say_breakers`, every few seconds while one is open),
# older than this, is void: that process stopped delivering without a word.
BREAKERS_FRESH = timedelta(seconds=15)


def gateway_breaker(site_id: str) -> str:
    """The breaker of a site's gateway: each site's own (one mall's gateway down pauses no other mall's messages)."""
    return f"{GATEWAY}:{site_id}"


def gateway_sites(breakers: Iterable[str]) -> frozenset[str]:
    """The sites whose gateway's breaker is among these breaker keys."""
    prefix = f"{GATEWAY}:"
    return frozenset(key[len(prefix) :] for key in breakers if key.startswith(prefix))


def gateway_up(status: int) -> bool:
    """Whether a gateway's answer to the bare HEAD probe shows its own server up. Any status below 500 does: a live
    gateway answers a HEAD without its headers and body with 405 (only POST), 404, 401 or 403, or 200. A 5xx does
    not: 500 is the gateway failing, and 502, 503 and 504 are what a proxy, load balancer or CDN in front of it says
    while the gateway is down (the offer would come back on every pause while nothing can be sent). Except 501 (Not
    Implemented): the server itself saying it does not do HEAD, which no proxy says for a gateway that is down; taken
    as down, a gateway that answers so would never be offered again (no message would come to probe it)."""
    return status < 500 or status == 501


_DIGITS = re.compile(r"\+?\d[\d\s-]{7,}\d")


def retry_after(value: str | None, now: datetime) -> float | None:
    """The seconds a Retry-After header asks for (a number of seconds, or an HTTP date), None when there is none or
    it cannot be read (then the usual backoff applies)."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # "²" or "٣" are digits to str.isdigit, and no number of seconds
        return float(value)
    try:
        at = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if at.tzinfo is None:  # an HTTP date is in GMT
        at = at.replace(tzinfo=UTC)
    return max(0.0, (at - now).total_seconds())


class _Answer(NamedTuple):
    """What became of one request: `error` None once delivered (else its kind, figures and technical text); the
    status when the receiver answered; the seconds its Retry-After asks for (read only with a 429 or a 503:
    RETRY_AFTER_STATUSES)."""

    error: Problem | None
    status: int | None = None
    retry_after: float | None = None
    unknown: bool = False  # the request went out and no answer was read: it may have been delivered


# Retry-After means "come back then" with these (RFC 9110 10.2.3): 429, the receiver limits how fast it is sent to;
# 503, it is down (maintenance, overload) and says for how long.
RETRY_AFTER_STATUSES = frozenset({429, 503})


def _retry_after_of(response: aiohttp.ClientResponse) -> float | None:
    if response.status not in RETRY_AFTER_STATUSES:
        return None
    return retry_after(response.headers.get("Retry-After"), datetime.now(UTC))


def _kind_of(exc: aiohttp.ClientError) -> str:
    """A client error's kind (common/delivery_problems.py): what a supervisor is told happened."""
    if isinstance(exc, aiohttp.ClientConnectorError):
        if exc.os_error is not None and exc.os_error.errno == errno.EACCES:  # WebhookResolver: no address it may use
            return problems.ADDRESS_FORBIDDEN
        if isinstance(exc, aiohttp.ClientConnectorDNSError):
            return problems.NAME_UNKNOWN
        if isinstance(exc, aiohttp.ClientConnectorCertificateError | aiohttp.ClientSSLError):
            return problems.TLS
        if isinstance(exc.os_error, ConnectionRefusedError):
            return problems.CONNECTION_REFUSED
        return problems.UNREACHABLE
    if isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError | aiohttp.ClientOSError):
        return problems.CONNECTION_DROPPED
    if isinstance(exc, aiohttp.InvalidURL):
        return problems.BAD_REQUEST
    return problems.UNREACHABLE


def _host(url: str) -> str:
    """The host an error names (never a query, where a gateway's key may be), scrubbed as the error's text."""
    try:
        return scrub(urlsplit(url).hostname or "?")
    except ValueError:
        return "?"


def scrub(text: str) -> str:
    """An error as it may be kept and shown: short, and without anything that looks like a phone number (a
    gateway's error may echo the number it was given)."""
    return _DIGITS.sub("…", " ".join(text.split()))[:300]


class Deliverer:
    def __init__(
        self,
        store: OutboxStore,
        vault: Vault,
        sites: Mapping[str, Site],
        states: Callable[[], Mapping[str, SiteState]],
        clock: Callable[[], datetime],
        settings: DeliverySettings = DeliverySettings(),
        on_endpoints: Callable[[list[Endpoint]], None] | None = None,
        held: frozenset[str] = frozenset(),
        people_ahead: policy.PeopleAhead | None = None,
        catch_up: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        self.store = store
        # Brings a site's live state up to what every process has committed (shared storage: Engine.catch_up), so a
        # message another process wrote a moment ago is judged against its own event (`_as_true_now`).
        self.catch_up = catch_up
        self.people_ahead = people_ahead  # the wait forecast's count, to say "N people before you" as it is now
        # The malls left out at start-up (settings/left_out.py): their messages wait, neither sent nor given up,
        # until a server serves them again.
        self.held = held
        self.vault = vault
        self.sites = sites
        self.states = states
        self.clock = clock
        self.settings = settings
        self.on_endpoints = on_endpoints  # the policy's subscriptions follow every re-read
        self.breakers: dict[str, Breaker] = {}
        self._endpoints = _Endpoints()
        self._wake = asyncio.Event()
        self._next_purge = 0.0
        self._next_role_check = 0.0
        self._client: aiohttp.ClientSession | None = None
        self._hooks: aiohttp.ClientSession | None = None
        self.delivering = False  # this process holds the outbox (one process at a time on shared storage)
        self.taken = 0  # how many times it took the outbox (again after losing it)
        self.me = secrets.token_hex(8)  # this process, in what it says of its breakers (`_take_breakers`)
        self._said: dict[str, tuple[Any, ...]] = {}  # the breakers as last said (`say_breakers`: `Breaker.memory`)
        self._saying = asyncio.Lock()
        self._probes: set[asyncio.Task[None]] = set()  # gateways probed without a message (_probe_idle_gateways)
        self._mended: set[str] = set()  # breakers closed again since the last round: their retries are due now
        self._in_flight: dict[int, str] = {}  # message n -> its lane (breaker key), until its outcome is recorded
        self._sending: set[asyncio.Task[None]] = set()
        self._finished: list[Attempt] = []  # outcomes not recorded yet (the next round records them)
        self._reads = 0  # the rounds' reads of the messages due so far; each message started carries its read's
        # Per site: the last catch-up begun (`_caught_up`), with the count of reads done when it began: it serves every
        # message read by then.
        self._catch_ups: dict[str, tuple[int, asyncio.Future[None]]] = {}

    def wake(self) -> None:
        """New messages were committed: look now rather than at the next idle tick."""
        self._wake.set()

    @property
    def in_flight(self) -> int:
        """How many messages are being tried now: judged and started, their outcome not recorded yet."""
        return len(self._in_flight)

    def breaker(self, endpoint: str) -> Breaker:
        found = self.breakers.get(endpoint)
        if found is None:
            found = self.breakers[endpoint] = Breaker(self.settings.breaker_failures, self.settings.breaker_seconds,
                                                      probe_by_head=endpoint.startswith(f"{GATEWAY}:"))  # fmt: skip
        return found

    def _breaker_of(self, message: Pending) -> Breaker:
        return self.breaker(gateway_breaker(message.site) if message.endpoint == GATEWAY else message.endpoint)

    def paused_gateways(self) -> frozenset[str]:
        """The sites whose gateway this process has stopped trying (its breaker open, or half-open until a probe
        succeeds): a number left now would wait for it, so the pages do not offer messages meanwhile."""
        return gateway_sites(self.opened())

    def opened(self) -> dict[str, str]:
        """Every breaker that is not closed, by key, with its state (open, half_open): what the other processes of
        shared storage are told, since only this one tries the endpoints."""
        return {key: b.state for key, b in self.breakers.items() if b.opened}

    # --- the loop ----------------------------------------------------------------------------------------------

    async def run_forever(self) -> None:
        # aiohttp: ~8x less CPU per request than httpx measured side by side (docs/benchmarks.md), and delivery
        # shares the event loop with issuing and calling. trust_env: a mall's LAN may reach the internet only
        # through the proxy its environment names.
        timeout = aiohttp.ClientTimeout(total=self.settings.timeout)
        connector = aiohttp.TCPConnector(limit=256, limit_per_host=2 * self.settings.per_endpoint)
        # Webhooks (an admin's addresses) through a connector whose resolver keeps only the addresses they may use;
        # the gateway is the site file's, the server administrator's (a gateway on this machine is fine).
        hooks_connector = aiohttp.TCPConnector(
            limit=256,
            limit_per_host=2 * self.settings.per_endpoint,
            resolver=WebhookResolver(loopback=self.settings.loopback_targets),
        )
        async with (
            aiohttp.ClientSession(
                timeout=timeout, connector=connector, trust_env=True, trace_configs=[_sent()]
            ) as client,
            aiohttp.ClientSession(
                timeout=timeout, connector=hooks_connector, trust_env=True, trace_configs=[_sent()]
            ) as hooks,
        ):
            self._client, self._hooks = client, hooks
            # The database away is said once (the lock lost with its connection, or a round failing) and its return
            # once a round goes through: a line or a traceback per try filled an outage's log. A bug is said whole.
            said = background.Outage(log, "delivering messages", self.store.storage.unavailable)
            while True:
                try:
                    async with self.store.storage.exclusive("outbox") as role:
                        if not role.held:  # another process delivers, or the database is away: try again in a while
                            if role.answered:  # the database answers (another process took the outbox meanwhile)
                                said.went_through()
                            await asyncio.sleep(5)
                            continue
                        await self._take_breakers()  # before it says it delivers: its breakers are the pages' word
                        self.delivering = True
                        self.taken += 1
                        try:
                            await self.refresh_endpoints(force=True)
                            while await self._still_mine(role):
                                await self.housekeeping()
                                if not await self.round():
                                    await self._idle()
                                await self.say_breakers()
                                said.went_through()
                        finally:
                            await self._let_go()
                        self.delivering = False
                        said.failed(ConnectionError("the outbox's lock was lost with its database connection"))
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    said.failed(exc)
                    self.delivering = False
                    await asyncio.sleep(1)

    async def _take_breakers(self) -> None:
        """Taking the outbox on shared storage (at start, or again after losing it): the breakers are the last
        word said of them (`say_breakers`, fresh within BREAKERS_FRESH), not what this process remembers. A breaker
        it opened before it lost the outbox (an hour ago, say) says nothing of the endpoint now, and its count of
        failures in a row missed every try made meanwhile by the process that delivered: kept, a gateway mended
        since stayed paused for the rest of an old pause of up to 5 minutes, the pages not offering messages, or one
        failing now was offered until five more failures. So: the last word this process's own (the outbox lost a
        moment ago, a slow lock connection): its breakers are kept, the newest knowledge there is. Another's: each
        breaker goes on where that process left it (`Breaker.adopt`: its trips, failures, pause and when that ends,
        its trial), and any other starts closed; a breaker said open without its state (a word of an earlier
        release) is opened, its pause over, so its endpoint is probed at once. None fresh: every breaker starts
        closed. On one process's storage (SQLite) no other process tries the endpoints: the breakers are kept, their
        own pauses say when to probe."""
        if not self.store.storage.shared:
            return
        said = await self.store.breakers_said()
        now = datetime.now(UTC)  # the machine's clock, as said
        fresh = said is not None and now - said.at <= BREAKERS_FRESH
        if said is not None and fresh and said.by == self.me:
            return
        self.breakers.clear()
        self._mended.clear()
        self._said = {}  # said again at once: the word is this process's from now on
        if said is None or not fresh:
            return
        longest = max(300.0, self.settings.retry_after_cap)  # no pause of this process's is longer
        for key in said.opened.keys() | said.kept.keys():
            kept = said.kept.get(key)
            if (kept is None or not self.breaker(key).adopt(kept, now, longest)) and key in said.opened:
                self.breaker(key).reopened()

    async def say_breakers(self, *, again: bool = False) -> None:
        """On shared storage, the delivering process tells the others its breakers (`OutboxStore.say_breakers`):
        those not closed, for the pages, and the whole state of each not at rest, for the process that takes the
        outbox next. Said as soon as one changes (a trip, a probe answered: each round looks), so a hand-over goes
        on from the newest state; `again` (every few seconds): said again while any is not at rest, so the word
        stays fresh (BREAKERS_FRESH), and once more when none is any more."""
        if not self.store.storage.shared:
            return
        async with self._saying:  # the delivery loop and the pages' refresh both say it: never an older word last
            restless = {key: b for key, b in self.breakers.items() if not b.at_rest()}
            memory = {key: b.memory() for key, b in restless.items()}
            # Said again only while one is paused, on trial or held: a breaker closed with a failure or two counted
            # (a webhook that failed once, then had nothing to send) is said when that changes, not every few
            # seconds for ever; a word older than BREAKERS_FRESH is then not taken over (counted from none again).
            pressing = any(not b.at_rest(counting=False) for b in restless.values())
            if memory == self._said and not (again and pressing):
                return
            now = datetime.now(UTC)
            kept = {key: b.said(now) for key, b in restless.items()}
            await self.store.say_breakers(self.opened(), now, self.me, kept)
            self._said = memory

    async def _still_mine(self, role: Role) -> bool:
        """Whether this process still holds the outbox: asked of the database every few seconds."""
        if time.monotonic() < self._next_role_check:
            return True
        self._next_role_check = time.monotonic() + ROLE_CHECK_SECONDS
        return await role.still_held()

    async def _idle(self) -> None:
        self._wake.clear()
        await background.woken(self._wake, self.settings.idle_seconds)

    async def refresh_endpoints(self, force: bool = False) -> None:
        if not force and time.monotonic() - self._endpoints.read_at < 5.0:
            return
        endpoints = await self.store.endpoints()
        by_id, unreadable = {}, set()
        for endpoint in endpoints:
            try:
                by_id[endpoint.id] = (endpoint, self.vault.open(endpoint.secret))
            except VaultError:
                unreadable.add(endpoint.id)
                log.error("webhook endpoint %s: its secret was encrypted with another key; rotate it", endpoint.id)
        self._endpoints = _Endpoints(by_id, time.monotonic(), frozenset(unreadable))
        if self.on_endpoints is not None:
            self.on_endpoints(endpoints)

    async def housekeeping(self) -> None:
        """Once a minute: numbers whose time is up are deleted, and so is the record of old messages."""
        now = self.clock()
        if time.monotonic() >= self._next_purge:
            await self.store.purge_contacts(now)
            await self.store.forget_before(now - timedelta(days=self.settings.keep_days))
            await self.refresh_endpoints()
            self._next_purge = time.monotonic() + 60.0

    async def round(self) -> int:
        """One round: record what finished since the last, start what is due where its endpoint's lane has room
        (without waiting for it). Returns how many it recorded and started: 0 when there was nothing to do."""
        recorded = await self._record_finished()
        await self.refresh_endpoints()
        await self._bring_forward()
        load = Counter(self._in_flight.values())
        # Lanes that take nothing now (full, paused, asked to wait) are not read: their messages, however many,
        # must not fill the batch and keep every other endpoint's out of it.
        blocked = {key for key, b in self.breakers.items() if b.blocked()}
        blocked |= {lane for lane, n in load.items() if n >= self.settings.per_endpoint}
        due = await self.store.due(self.clock(), self.settings.batch, self.held,
                                   busy_endpoints=sorted(k for k in blocked if not gateway_sites([k])),
                                   busy_gateways=sorted(gateway_sites(blocked)))  # fmt: skip
        self._reads += 1  # after the read: a catch-up begun from now on serves its messages (`_caught_up`)
        read = self._reads
        if any(m.endpoint != GATEWAY and m.endpoint not in self._endpoints.by_id for m in due):
            await self.refresh_endpoints(force=True)  # added a moment ago (here, by the command line, elsewhere)
        started = 0
        # A breaker's probe or trial is one message: one whose last try's outcome is known goes first, so a message
        # that may have been delivered already (its gateway answered too late) is repeated only when nothing else
        # can show whether the endpoint takes messages again (the sort is stable: the order is otherwise kept).
        due.sort(key=lambda m: m.unknown and self._breaker_of(m).trial())
        for message in due:
            lane = self._lane(message)
            if message.n in self._in_flight or load[lane] >= self.settings.per_endpoint:
                continue
            if not self._breaker_of(message).allows():
                continue
            load[lane] += 1
            self._start(message, lane, read)
            started += 1
        self._probe_idle_gateways()
        brought = await self._probe_idle_webhooks(load)
        return recorded + started + brought

    def _lane(self, message: Pending) -> str:
        return gateway_breaker(message.site) if message.endpoint == GATEWAY else message.endpoint

    def _start(self, message: Pending, lane: str, read: int | None = None) -> None:
        self._in_flight[message.n] = lane
        task = asyncio.create_task(self._send(message, read))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _send(self, message: Pending, read: int | None = None) -> None:
        try:
            attempt = await self._deliver(message, read)
        except Exception as exc:  # a bug: the message is tried again later rather than its lane blocked for good
            log.exception("delivering message %s failed", message.id)
            self._breaker_of(message).no_probe()  # nor its breaker waiting for a probe that will never end
            attempt = self._again_later(message, Problem(problems.INTERNAL, f"failed: {type(exc).__name__}"))
        self._finished.append(attempt)
        self._wake.set()  # recorded at once: the next message of its ticket is due after it

    async def _record_finished(self) -> int:
        """The outcomes finished since the last round, in one transaction; kept for the next round if it fails (the
        messages stay in flight meanwhile, so none is started again)."""
        if not self._finished:
            return 0
        finished = list(self._finished)
        await self.store.record(finished)
        del self._finished[: len(finished)]
        for attempt in finished:
            self._in_flight.pop(attempt.n, None)
        return len(finished)

    async def _let_go(self) -> None:
        """The outbox is no longer this process's (the lock lost, the server stopping): the sends still in flight
        stop, and what is not recorded is sent again by the next holder, with the same ids (at least once)."""
        for task in list(self._sending):
            task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.gather(*self._sending, return_exceptions=True)
        for lane in set(self._in_flight.values()):  # a probe or trial message stopped: the next holder's may go
            self.breaker(lane).no_probe()
        self._in_flight.clear()
        self._finished.clear()
        self._catch_ups.clear()

    async def _bring_forward(self) -> None:
        """Endpoints that answer again after their breaker opened: the messages they failed are tried now, not after
        their backoff (up to 10 minutes), which would also hold back every later message of the same ticket: a
        citizen called just after the gateway mended would get "your turn" minutes late."""
        for key in list(self._mended):
            self._mended.discard(key)
            site = gateway_sites([key])
            if site:
                await self.store.retry_now(GATEWAY, next(iter(site)), self.clock())
            else:
                await self.store.retry_now(key, None, self.clock())

    def _probe_idle_gateways(self) -> None:
        """A gateway's breaker due a probe: a HEAD request to its address (no body, none of its headers: nothing is
        sent to anyone) probes it, in a task of its own (an address out of reach may take the whole timeout, which
        must not hold up the round). Never a message: the oldest waiting one is often the one whose try timed out,
        which a gateway that was only slow has delivered already (its citizen would get it at every probe); and
        with none due (they wait for later tries, or are dead) the gateway would stay paused for good, the pages
        never offering messages again. A HEAD answered by the gateway's own server puts it on trial
        (`Breaker.reached`): one message at a time until one goes through."""
        for key, breaker in list(self.breakers.items()):
            site = self.sites.get(key.removeprefix(f"{GATEWAY}:")) if key.startswith(f"{GATEWAY}:") else None
            if site is None or site.notify.gateway is None or not breaker.head_probe_due():
                continue
            task = asyncio.create_task(self._probe(site.id, gateway.address(site.notify.gateway), breaker))
            self._probes.add(task)
            task.add_done_callback(self._probes.discard)

    async def _probe_idle_webhooks(self, load: Counter[str]) -> int:
        """A webhook's breaker whose pause is over, with none of its messages due nor in flight: before, it stayed
        half-open until one of its messages fell due by itself, after a backoff of up to 10 minutes (or a new
        event came), however soon the receiver was back. Its first waiting message is brought forward instead, once
        a pause, and the next round sends it as the probe: a real delivery, signed and with its id as every try, so
        a receiver that got it before drops the repeat, and one that takes it closes the breaker (every other
        waiting message falls due then, `_bring_forward`). Nothing is made up to probe with: a receiver's answer to
        something else (a HEAD) would not say whether it takes deliveries."""
        brought = 0
        for key, breaker in list(self.breakers.items()):
            if key.startswith(f"{GATEWAY}:") or load[key] or not breaker.idle_probe_due():
                continue
            if await self.store.due_now(key, self.clock()):
                log.info("webhook %s: its pause is over; its first waiting message probes it", key)
                brought += 1  # the next round, at once, sends it
        return brought

    async def _probe(self, site_id: str, url: str, breaker: Breaker) -> None:
        """An answer of the gateway's own server means it is reached again (a mobile unit back on the internet):
        `gateway_up`. One that answers the probe but fails its messages is paused again by its next five failures,
        for twice as long (`Breaker.reached`)."""
        client = self._client
        assert client is not None
        try:
            async with client.head(url, allow_redirects=False) as response:
                status, reason, asked = response.status, response.reason or "", _retry_after_of(response)
        except Exception as exc:  # noqa: BLE001 - out of reach in any way (or the session closed as the server stops)
            breaker.failed()
            log.info("the WhatsApp/SMS gateway of %s is still out of reach (%s)", site_id, type(exc).__name__)
            return
        if gateway_up(status):
            breaker.reached()
            self._mended.add(gateway_breaker(site_id))
            self._wake.set()  # its waiting messages are due now
            log.info("the WhatsApp/SMS gateway of %s answers again (HTTP %d): messages are offered again", site_id,
                     status)  # fmt: skip
        else:  # a 503 that says for how long: the next probe no sooner
            breaker.failed(self._asked(_Answer(None, status, asked)) if status == 503 else None)
            log.info("the WhatsApp/SMS gateway of %s is still failing (HTTP %d %s)", site_id, status, reason)

    # --- one message -------------------------------------------------------------------------------------------

    async def _deliver(self, message: Pending, read: int | None = None) -> Attempt:
        """One try of a message; `read`: the round's read it came in (`_caught_up`), None for one read just now."""
        try:
            request = await self._request(message, read)
        except _Skip as skip:
            self._breaker_of(message).no_probe()  # it was no probe: the next message may be one
            return Attempt(message.n, "skipped", self.clock(), str(skip))
        except _NotJudged as why:
            self._breaker_of(message).no_probe()
            log.warning("message %s: the newest state could not be read (%s); tried again later", message.id, why)
            return self._again_later(
                message, Problem(problems.INTERNAL, f"the newest state could not be read ({why}): tried again later")
            )
        except Exception as exc:  # a message that cannot even be built must not stop every other one behind it
            log.exception("message %s could not be built; kept as failed", message.id)
            self._breaker_of(message).no_probe()
            built = Problem(problems.UNBUILDABLE, f"could not be built: {type(exc).__name__}")
            return Attempt(message.n, "dead", self.clock(), built.text, problem=built.stored())
        url, body, headers = request
        site = self.sites.get(message.site)
        hide = partial(gateway.hidden, site.notify.gateway) if site and site.notify.gateway else None
        answer = await self._post(url, body, headers, hook=message.endpoint != GATEWAY, hide=hide)
        now = self.clock()
        breaker = self._breaker_of(message)
        if answer.error is None:
            if breaker.succeeded():
                self._mended.add(self._lane(message))
            return Attempt(message.n, "sent", now)
        asked, unknown = self._asked(answer), answer.unknown
        last_try = message.attempts + 1 >= self.settings.max_attempts
        if answer.status == 429 and asked is not None:  # the endpoint is up and said when: no failure of it
            breaker.no_probe()
            breaker.hold(asked)
            error = problems.of_status(429, f"{answer.error.text} (asked to wait {asked:.0f} s)", asked)
            if last_try:
                return Attempt(message.n, "dead", now, error.text, problem=error.stored())
            return Attempt(message.n, "retry", now, error.text, now + timedelta(seconds=asked), problem=error.stored())
        # A 503 with Retry-After: down, and said for how long. A failure all the same (the pages should not offer
        # messages while the gateway says it cannot send them); nothing goes to the endpoint before then.
        down_for = asked if answer.status == 503 else None
        error = answer.error
        if breaker.failed(down_for):
            log.warning("deliveries to %s keep failing (%s); pausing them", message.endpoint, error.text)
        if down_for is not None:
            error = problems.of_status(503, f"{error.text} (asked to wait {down_for:.0f} s)", down_for)
        if last_try:
            return Attempt(message.n, "dead", now, error.text, unknown=unknown, problem=error.stored())
        wait = max(self._backoff(message.attempts), down_for or 0.0)
        return Attempt(message.n, "retry", now, error.text, now + timedelta(seconds=wait), unknown=unknown,
                       problem=error.stored())  # fmt: skip

    def _backoff(self, attempts: int) -> float:
        """Seconds before the next try of a message tried `attempts` times: exponential, with full jitter."""
        delay = min(self.settings.retry_cap, self.settings.retry_base * 2**attempts)
        return random.uniform(delay / 2, delay)  # noqa: S311 - jitter, not a secret

    def _again_later(self, message: Pending, problem: Problem) -> Attempt:
        """A try that failed on this side, before or while sending (the newest state could not be read; a bug): it
        counts as a try, as one the endpoint failed does, so a message whose catch-up or sending keeps failing is
        dead after `max_attempts` (the supervisors see it and may resend it) rather than tried every few seconds for
        ever; else it is tried again after the same backoff. The endpoint's breaker does not count it."""
        now = self.clock()
        if message.attempts + 1 >= self.settings.max_attempts:
            return Attempt(message.n, "dead", now, problem.text, problem=problem.stored())
        retry_at = now + timedelta(seconds=self._backoff(message.attempts))
        return Attempt(message.n, "retry", now, problem.text, retry_at, problem=problem.stored())

    def _asked(self, answer: _Answer) -> float | None:
        """The seconds an answer's Retry-After asks for, within 1 s and `retry_after_cap` (10 minutes: a day's quota
        spent is tried again then, not tomorrow); None without one that can be read."""
        if answer.retry_after is None:
            return None
        return min(max(answer.retry_after, 1.0), self.settings.retry_after_cap)

    async def _post(
        self,
        url: str,
        body: bytes,
        headers: dict[str, str],
        *,
        hook: bool = False,
        hide: Callable[[str], str] | None = None,
    ) -> _Answer:
        """No error once delivered, else what went wrong: an answer's status and reason phrase only, never its body
        (supervisors read it, and a receiver's page is not theirs to read through the server); with the status, and
        the seconds a 429's or a 503's Retry-After asks for (RETRY_AFTER_STATUSES). The whole request, its answer
        read, has `timeout` (a receiver that sends its answer slowly holds its lane no longer than one that does not
        answer). `hide`: a gateway's secrets taken out of an error that quotes its address (before anything else is
        done to the text). A request that went out (its headers were sent: `_RequestSent`) with no answer read is
        `unknown`: the receiver may have taken it; one that could not connect was surely not delivered."""
        client = self._hooks if hook else self._client
        assert client is not None
        sent = _RequestSent()
        try:
            async with (
                asyncio.timeout(self.settings.timeout),
                client.post(url, data=body, headers=headers, allow_redirects=False, trace_request_ctx=sent) as response,
            ):
                await response.content.read(2048)  # read, so the connection is kept for the next one
                if 200 <= response.status < 300:
                    return _Answer(None, response.status)
                text = scrub(f"HTTP {response.status} {response.reason or ''}".strip())
                return _Answer(problems.of_status(response.status, text), response.status, _retry_after_of(response))
        except TimeoutError:
            timeout = Problem(problems.TIMEOUT, "no answer in time", {"seconds": max(1, round(self.settings.timeout))})
            return _Answer(timeout, unknown=sent.out)
        except aiohttp.ClientError as exc:
            said = f"{type(exc).__name__}: {exc}"
            text = scrub(hide(said) if hide else said) or type(exc).__name__
            return _Answer(Problem(_kind_of(exc), text, {"host": _host(url)}), unknown=sent.out)
        except Exception as exc:  # noqa: BLE001 - one request that cannot be made must not stop every delivery
            # (a header aiohttp refuses raised out of the round, every second, for every endpoint of every site).
            # Its text is not kept: it might quote what was refused.
            log.warning("a request to %s could not be made (%s)", urlsplit(url).hostname, type(exc).__name__)
            text = f"the request could not be made ({type(exc).__name__}): check the receiver's settings"
            return _Answer(Problem(problems.BAD_REQUEST, text))

    async def _request(self, message: Pending, read: int | None = None) -> tuple[str, bytes, dict[str, str]]:
        if message.endpoint != GATEWAY:
            found = self._endpoints.by_id.get(message.endpoint)
            if message.endpoint in self._endpoints.unreadable:
                raise _Skip("its secret was encrypted with another notification key (queue-server webhook rotate)")
            if found is None or not found[0].active:
                raise _Skip("the endpoint was removed")
            endpoint, secret = found
            if not webhook_url_usable(endpoint.url, loopback=self.settings.loopback_targets):
                raise _Skip("its address is not one webhooks may reach (this machine, link-local or multicast)")
            body = message.payload.encode()
            return endpoint.url, body, signing.headers(message.id, secret, int(time.time()), body)
        site = self.sites.get(message.site)
        if site is None or site.notify.gateway is None:
            raise _Skip("no gateway is configured for the site")
        kind, params = await self._as_true_now(message, json.loads(message.payload), read)
        contact = await self.store.contact(message.contact or "")
        if contact is None:
            raise _Skip("the number was deleted (its day is over)")
        lang, sealed = contact
        try:
            phone = self.vault.open(sealed)
        except VaultError as exc:
            raise _Skip(str(exc)) from None
        if kind == policy.PHONE_CODE:
            params = self._with_code(params)
        text = messages.text("message", kind, lang, params)
        body = json.dumps(gateway.render(site.notify.gateway, phone, text, message.id)).encode()
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": message.id,
            **dict(site.notify.gateway.headers),
        }
        return gateway.address(site.notify.gateway), body, headers

    def _with_code(self, params: dict[str, Any]) -> dict[str, Any]:
        """A phone code's parameters with the code opened (it is kept encrypted), while it is still valid: one
        arriving after it expired would only confuse."""
        if datetime.fromisoformat(params["expires_at"]) <= self.clock():
            raise _Skip("no longer true: the code has expired")
        try:
            return {**params, "code": self.vault.open(params["sealed_code"])}
        except VaultError as exc:
            raise _Skip(str(exc)) from None

    async def _as_true_now(
        self, message: Pending, params: dict[str, Any], read: int | None = None
    ) -> tuple[str, dict[str, Any]]:
        """`_still_worth_sending`, against a state that has the message's own event. On shared storage another
        process may have written the message a moment ago, and this one's follower not have read its event yet: the
        ticket unknown here ("the ticket is over") or still waiting ("your turn" skipped as "moved on"), the citizen
        never told. So before a message is skipped, the state is brought up to what is committed (the message was
        read after its event was committed: `_caught_up`, once per site for a round's messages) and it is judged
        again. A catch-up that fails (the database away) is no reason to give the message up: it is tried again
        later (`_NotJudged`). "N people before you" is caught up before it is judged at all: it counts the people
        before the citizen, and a state behind the others (their calls not read yet) counts too many."""
        if self.catch_up is None or message.kind not in (policy.PEOPLE_AHEAD, policy.NEXT_UP):
            try:
                return self._still_worth_sending(message, params)
            except _Skip:
                if self.catch_up is None:
                    raise
        try:
            await self._caught_up(message.site, read)
        except Exception as exc:  # noqa: BLE001 - whatever kept it from reading, the message waits, not lost
            raise _NotJudged(type(exc).__name__) from exc
        return self._still_worth_sending(message, params)

    async def _caught_up(self, site_id: str, read: int | None) -> None:
        """The site's state brought up to what every process has committed (`catch_up`), at most once per site for
        the messages of a round: a catch-up begun after a message was read (the round's `read`) has every event
        committed before it, the message's own among them, so the round's other messages about to be skipped wait
        for that one (or take it, done) rather than each read the others' events again. A catch-up that failed
        fails the messages it serves; the next round's begin a new one. `read` None: a message read just now."""
        assert self.catch_up is not None
        found = self._catch_ups.get(site_id)
        if found is None or read is None or found[0] < read:
            task = asyncio.ensure_future(self.catch_up(site_id))
            task.add_done_callback(_retrieved)
            found = self._catch_ups[site_id] = (self._reads, task)
        await asyncio.shield(found[1])  # one message stopped (the outbox let go) stops no other's catch-up

    def _still_worth_sending(self, message: Pending, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The message as it is true now (its kind and parameters), or _Skip when it would only mislead: one whose
        citizen already had a later message (a dead letter resent after the gateway mended: "your number is H-001"
        after "your turn"), "ticket issued" once the ticket is over (cancelled, served, expired), "your turn" once
        the citizen was served or called to another counter, "N people before you" once called, a reminder of a
        booking that was cancelled or checked in, or that comes too late to be true (below). "N people before you"
        sent late (a gateway that was down) says how many are before the citizen now, not when it was written."""
        if message.overtaken:
            raise _Skip("out of date: a later message to this citizen went first")
        state = self.states().get(message.site)
        if state is None:
            return message.kind, {**params, "window": {}} if message.kind in policy.TELLS_CHECKIN else params
        wanted = {policy.YOUR_TURN: TicketState.CALLED, policy.NO_SHOW: TicketState.NO_SHOW,
                  policy.CANCELLED: TicketState.CANCELLED, policy.DAY_CLOSED: TicketState.EXPIRED,
                  **dict.fromkeys(policy.WHILE_WAITING, TicketState.WAITING)}.get(message.kind)  # fmt: skip
        if message.kind == policy.TICKET_ISSUED and "ticket_id" in params:  # older rows name no ticket: sent as were
            # Late but in order (a slow gateway) it still gives the number and the link; for a ticket that is
            # over (cancelled, served, expired) it would only mislead.
            ticket = state.tickets.get(params["ticket_id"])
            if ticket is None or ticket.state in (TicketState.CANCELLED, TicketState.DONE, TicketState.EXPIRED):
                raise _Skip("no longer true: the ticket is over")
        if wanted is not None:
            ticket = state.tickets.get(params.get("ticket_id", ""))
            if ticket is None or ticket.state is not wanted:
                raise _Skip("no longer true: the ticket has moved on")
            if message.kind == policy.YOUR_TURN and params.get("counter_id", ticket.counter) != ticket.counter:
                raise _Skip("no longer true: the ticket was called to another counter since")
            if message.kind in (policy.PEOPLE_AHEAD, policy.NEXT_UP) and self.people_ahead is not None:
                return self._recounted(state, ticket, params)
        if message.kind in (policy.BOOKING_REMINDER_DAY, policy.BOOKING_REMINDER_HOUR):
            booking = state.bookings.get(params.get("booking", ""))
            if booking is None or booking.state is not BookingState.BOOKED:
                raise _Skip("no longer true: the booking was cancelled, released or checked in")
            if booking.day in state.closed_days:
                raise _Skip("no longer true: a supervisor closed the booking's day")
            now = self.clock()
            if message.kind == policy.BOOKING_REMINDER_DAY and state.site.local(now).date() >= booking.day:
                raise _Skip("too late: it says 'tomorrow' and the booking's day has begun")
            if message.kind == policy.BOOKING_REMINDER_HOUR and now > booking.slot_start - policy.REMINDER_BEFORE / 2:
                raise _Skip("too late: it says 'in one hour' and less than half an hour is left")
        if message.kind in (policy.BOOKING_DAY_CLOSED, policy.BOOKING_DAY_REOPENED):
            self._day_still_as_said(state, message.kind, params)
        if message.kind in policy.TELLS_CHECKIN:
            params = {**params, "window": policy.checkin_window_said(state, params.get("booking", ""))}
        return message.kind, params

    @staticmethod
    def _day_still_as_said(state: SiteState, kind: str, params: dict[str, Any]) -> None:
        """A booking told its day closed, or opened again: skipped once that is no longer so (the day reopened, or
        closed again, before a gateway that was down took it), or once the booking is no longer to check in (its
        citizen cancelled it; a booking told of the close may have been released, or cancelled for the closed day,
        meanwhile: still true)."""
        booking = state.bookings.get(params.get("booking", ""))
        closing = kind == policy.BOOKING_DAY_CLOSED
        if booking is None or not (booking.state is BookingState.BOOKED
                                   or (closing and (booking.state is BookingState.RELEASED
                                                    or booking.cancel_reason == DAY_CLOSED_REASON))):  # fmt: skip
            raise _Skip("no longer true: the booking was cancelled, released or checked in")
        if (booking.day in state.closed_days) != closing:
            raise _Skip("no longer true: the day was opened again" if closing else "no longer true: closed again")

    def _recounted(self, state: SiteState, ticket: Ticket, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """ "N people before you" with N counted now: written when the citizen came near, it may go out minutes
        later (a gateway down meanwhile), when fewer are before them ("1 orang lagi" to the citizen who is next)."""
        assert self.people_ahead is not None
        ahead = self.people_ahead(state, self.clock(), ticket)
        if ahead is None:  # no counter open for it now: what was true when it was written is the best there is
            return policy.PEOPLE_AHEAD if params.get("people", 0) > 0 else policy.NEXT_UP, params
        return (policy.PEOPLE_AHEAD if ahead > 0 else policy.NEXT_UP), {**params, "people": ahead}


def _retrieved(task: asyncio.Future[None]) -> None:
    """A shared catch-up's failure is each waiting message's to handle; said here as read, so that one whose
    messages were all stopped meanwhile is not reported as never retrieved."""
    if not task.cancelled():
        task.exception()


class _RequestSent:
    """Whether a request went out: its headers were sent (`_sent`). Passed as the request's trace context."""

    out = False


async def _on_headers_sent(_session: aiohttp.ClientSession, context: Any, _params: Any) -> None:
    if isinstance(context.trace_request_ctx, _RequestSent):
        context.trace_request_ctx.out = True


def _sent() -> aiohttp.TraceConfig:
    """The trace that tells a request that went out (its outcome unknown without an answer) from one that never
    connected (surely not delivered)."""
    trace = aiohttp.TraceConfig()
    trace.on_request_headers_sent.append(_on_headers_sent)
    return trace


class _Skip(Exception):
    """Not worth sending any more; the reason is kept with the message."""


class _NotJudged(Exception):
    """Whether it is still worth sending could not be told (the state could not be brought up to date)."""
