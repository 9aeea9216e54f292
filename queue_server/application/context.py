"""The server's context: the hosted sites, the engine, accounts, screens and the announcer, as the entry points
(HTTP, websocket, CLI) and the application services see them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from queue_server.application.announcements import Announcer
from queue_server.application.auth import Accounts
from queue_server.application.desks import Desks
from queue_server.application.health import DeviceRegistry
from queue_server.application.kiosk_settings import KioskSettings
from queue_server.application.mirror_watch import MirrorWatch
from queue_server.application.notifications import Notifications
from queue_server.application.process_alerts import ProcessAlerts
from queue_server.domain.catalogue import Counter, Site
from queue_server.domain.model import Ticket
from queue_server.domain.refusal import Refusal
from queue_server.domain.state import SiteState
from queue_server.live.hub import Hub
from queue_server.outbound.uplink import Uplink
from queue_server.persistence import deadlines
from queue_server.persistence.port import StoragePort
from queue_server.pipeline.engine import Engine
from queue_server.settings.left_out import LeftOut
from queue_server.settings.sitefile import gateway_variables, without_gateway

PROBE_SECONDS = 2.0  # a database that cannot answer `SELECT 1` within this is failing, as far as /healthz goes


@dataclass
class Context:
    """Everything a request handler needs, and the narrow questions it may ask. Commands go to the engine only
    through `actions.py` (the one front door); reads go to `storage`'s read side or to the live state."""

    sites: dict[str, Site]
    engine: Engine
    storage: StoragePort
    hub: Hub
    accounts: Accounts
    devices: DeviceRegistry = field(default_factory=DeviceRegistry)
    desks: Desks = field(default_factory=Desks)  # who is signed in at each counter (its staff websockets)
    process_alerts: ProcessAlerts = field(default_factory=ProcessAlerts)  # the other processes' configuration alerts
    announcer: Announcer | None = None
    nik_key: bytes = b""  # keyed NIK hashes; loaded from the database at start-up
    notifications: Notifications | None = None  # messages out (None: a command-line tool's context)
    uplink: Uplink | None = None  # this server's logs going up to the server that mirrors its malls
    mirror: MirrorWatch = field(init=False)  # the malls mirrored here: whether each one's copy keeps up
    kiosk_settings: KioskSettings = field(init=False)  # each kiosk's printer, each site's public address for QR codes
    # The malls this server was started with but left out (settings/left_out.py), by id: answered 503, never served.
    left_out: Mapping[str, LeftOut] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.mirror = MirrorWatch(self.storage)
        self.kiosk_settings = KioskSettings(self.storage)
        self.desks.names = self.accounts.names  # who sits at a counter, named as their account is now

    @property
    def outbox(self) -> Notifications:
        if self.notifications is None:
            raise Refusal("notify_unavailable", site="")
        return self.notifications

    def site(self, site_id: str) -> Site:
        site = self.sites.get(site_id)
        if site is None:
            raise self.not_hosted(site_id)
        return site

    def not_hosted(self, site_id: str) -> Refusal:
        """Why a site is not served here: left out at start-up (503, said in words a person can act on), else
        unknown (404, a typo)."""
        leaving = self.left_out.get(site_id)
        if leaving is not None:
            return leaving.refusal()
        return Refusal("unknown_site", site_id=site_id, details={"sites": sorted(self.sites)})

    async def site_having(self, site_id: str, has: Callable[[Site], bool]) -> Site:
        """The site; on shared storage, when it lacks what a request names, as the newest configuration any process
        committed has it: a service or counter added on another process a moment ago is known here at once, not
        only when this process's follower has read it."""
        site = self.site(site_id)
        if not has(site) and self.storage.shared:
            await self.catch_up(site_id)
            site = self.site(site_id)
        return site

    def counter(self, site: Site, counter_id: str) -> Counter:
        counter = site.counters.get(counter_id)
        if counter is None:
            raise Refusal("unknown_counter", counter_id=counter_id, site=site.name)
        return counter

    def served_here(self, site_id: str) -> None:
        """Refuses what a mirrored mall takes at its own server only (its commands are refused by the domain): a
        survey answer (the mall sends its own), a kiosk or display token, a webhook (never used here)."""
        if self.state(site_id).mirrored:
            raise Refusal("site_mirrored", site=self.site(site_id).name)

    def state(self, site_id: str) -> SiteState:
        self.site(site_id)
        return self.engine.state(site_id)

    def states(self) -> Mapping[str, SiteState]:
        """Every hosted site's live state, by site id (the engine's own mapping: read it, never change it)."""
        return self.engine.states

    def seq(self, site_id: str) -> int:
        """The seq a client of the site is up to when given its state now (Engine.seq)."""
        return self.engine.seq(site_id)

    async def catch_up(self, site_id: str) -> None:
        await self.engine.catch_up(site_id)

    def now(self) -> datetime:
        """The server's clock (UTC); tests and the soak benchmark inject their own."""
        return self.engine.now()

    def clock_doubt(self, site_id: str) -> dict[str, Any] | None:
        """Why the server's clock looks wrong for this site's day (an alert), or None (Engine.clock_doubts)."""
        return self.engine.clock_doubts.get(site_id)

    def write_failure(self) -> dict[str, Any] | None:
        """Since when this process's writes fail and why, until one goes through (Engine.write_failure), or None."""
        return self.engine.write_failure

    async def storage_failure(self) -> dict[str, Any] | None:
        """What /healthz and /metrics say of the database: this process's writes failing (write_failure), else the
        database asked directly. PostgreSQL stopped or out of reach refuses every request (a token cannot even be
        looked up) before any write could fail and be said, and both said "ok" meanwhile."""
        failure = self.write_failure()
        if failure is not None:
            return failure
        try:
            await asyncio.wait_for(self.storage.answers(), PROBE_SECONDS)
        except Exception as exc:
            if not isinstance(exc, TimeoutError) and not self.storage.unavailable(exc):
                raise
            # Its own probe's deadline is a deadline too. `error` and `unreachable` are the dashboard's alert's: the
            # database away, said to the technician as such (never on the public /healthz, which names the kind).
            said = str(exc) or deadlines.kind(exc)
            return {"since": self.now(), "kind": deadlines.kind(exc), "full": False, "error": said,
                    "unreachable": self.storage.shared}  # fmt: skip
        return None

    def storage_written(self) -> None:
        """A write outside the pipeline went through (a sign-in's session): a failure said before is over."""
        self.engine.written()

    def storage_refusal(self, exc: Exception, key: str, full_key: str) -> Refusal | None:
        """A write outside the pipeline (a sign-in's session) that failed as the database could not be used (a full
        disk): kept as the pipeline's are (/healthz, the alert) and answered as refusal `key` (`full_key` for a full
        disk), whose sentence says what to do. None: another error, a bug."""
        if not self.storage.unavailable(exc):
            return None
        self.engine.write_failed(exc)
        failure = self.engine.write_failure or {"error": str(exc), "full": False}
        if failure["full"]:
            return Refusal(full_key)
        return Refusal(key, error=failure["error"])

    def messages_available(self, site: Site) -> bool:
        """Whether the pages may offer WhatsApp/SMS messages now: a gateway, and not paused by its breaker."""
        return self.notifications.messages_available(site) if self.notifications else site.notify.offered

    def configuration_alerts(self, site_id: str) -> dict[str, dict[str, Any]]:
        """What is amiss with the site's configuration, by kind, as its dashboard shows it: here, and on the other
        processes of shared storage (naming the `process`: application/process_alerts.py)."""
        return self.process_alerts.merged(site_id, self.configuration_alerts_here(site_id))

    def configuration_alerts_here(self, site_id: str) -> dict[str, dict[str, Any]]:
        """What is amiss with the site's configuration in this process, by kind (the supervisor's alerts): what
        start-up found (Engine.configuration_alerts), and `messages_off` while the configuration in force has a
        WhatsApp/SMS gateway this process serves it without (a ${VARIABLE} of its headers not set here:
        Engine._in_force), with the variables it names."""
        found = dict(self.engine.configuration_alerts.get(site_id, {}))
        state = self.engine.states.get(site_id)
        if state is not None and not state.mirrored and state.site.notify.gateway is None:
            document = state.configuration.document
            if without_gateway(document) is not None:
                found["messages_off"] = {"version": state.configuration.version,
                                         "variables": gateway_variables(document)}  # fmt: skip
        return found

    def today(self, site: Site) -> date:
        """The site's service day now, in its own time zone."""
        return site.service_day(self.now())

    async def ticket_by_token(self, token: str) -> Ticket:
        """The live leg of the ticket a citizen's link or QR code names, on a site this server hosts."""
        ticket = await self.storage.ticket_by_token(token)
        if ticket is not None and ticket.site in self.left_out:
            raise self.not_hosted(ticket.site)
        if ticket is None or ticket.site not in self.sites:
            raise Refusal("unknown_ticket")
        return ticket
