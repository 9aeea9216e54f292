"""Messages out of the server (docs/notifications.md): citizens' numbers taken in, webhook endpoints managed, the
delivery worker started, and what supervisors see of it. The rules of which event causes which message are
outbound/policy.py's; sending is outbound/deliverer.py's."""

from __future__ import annotations

import asyncio
import logging
import secrets
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from queue_server.application import validation as v
from queue_server.application.auth import Principal, require
from queue_server.application.forecasts import wait_of
from queue_server.application.personal import mask_phone, normalise_phone
from queue_server.common import addresses, background, delivery_problems, jsontext
from queue_server.common.messages import word
from queue_server.domain.catalogue import Site
from queue_server.domain.model import Ticket
from queue_server.domain.refusal import Refusal
from queue_server.domain.state import SiteState
from queue_server.outbound import payloads
from queue_server.outbound.deliverer import (
    BREAKERS_FRESH,
    Deliverer,
    DeliverySettings,
    gateway_breaker,
    gateway_sites,
)
from queue_server.outbound.policy import Policy, Subscriptions
from queue_server.outbound.vault import Vault
from queue_server.persistence.outbox import GATEWAY, Endpoint, EndpointStatus, OutboxStore
from queue_server.persistence.port import ContactRow, StoragePort, utc_iso

log = logging.getLogger("queue_server.notifications")

LANGUAGES = ("id", "en")
MIN_SECRET = 24  # characters of a secret an admin brings
FAILING_AFTER = timedelta(minutes=5)  # an endpoint still being retried after this raises an alert
RESOLVE_SECONDS = 3.0  # a webhook's name, looked up when it is added
WATCH_SECONDS = 5.0  # how often endpoints (and the failing ones, for the alerts) are read again
PAUSED_FRESH = BREAKERS_FRESH  # the delivering process's word on its breakers, older than this, is void


class Notifications:
    def __init__(self, storage: StoragePort, vault: Vault, retention_hours: int, settings: DeliverySettings) -> None:
        self.store = OutboxStore(storage)
        self.vault = vault
        self.retention = timedelta(hours=retention_hours)
        self.settings = settings
        self.subscriptions = Subscriptions()
        self.policy = Policy(self.subscriptions, _people_ahead)
        self.deliverer: Deliverer | None = None
        self._task: asyncio.Task[None] | None = None
        self._watching: asyncio.Task[None] | None = None
        # Per site: the endpoints whose messages keep failing, for the supervisor's alerts (read every few
        # seconds by every process, so a dashboard on any of them shows it).
        self.failing: dict[str, list[dict[str, Any]]] = {}
        self.backlog: dict[tuple[str, str], tuple[int, int]] = {}  # (site, endpoint) -> (not sent yet, dead)
        # The breakers the delivering process has opened, by key, as it last said (shared storage; _share_breakers).
        self._opened_elsewhere: dict[str, str] = {}

    def wake(self) -> None:
        if self.deliverer is not None:
            self.deliverer.wake()

    async def start(self, ctx: Any) -> None:
        """Read the endpoints, then start sending (`ctx`: the server's Context, for the live states and clock)."""
        self.subscriptions.replace(await self.store.endpoints())
        self.deliverer = Deliverer(
            self.store, self.vault, ctx.sites, ctx.states, ctx.now, self.settings,
            on_endpoints=self.subscriptions.replace, held=frozenset(ctx.left_out), people_ahead=_people_ahead,
            catch_up=ctx.catch_up if ctx.storage.shared else None,
        )  # fmt: skip
        self._task = background.start(self.deliverer.run_forever(), "outbox-deliverer")
        said = background.Outage(log, "watching the endpoints and the outbox", ctx.storage.unavailable)
        self._watching = background.start(background.every(WATCH_SECONDS, partial(self._watch, ctx), said),
                                          "outbox-watch")  # fmt: skip

    async def stop(self) -> None:
        for task in (self._watching, self._task):
            await background.stop(task)

    async def _watch(self, ctx: Any) -> None:
        """In every process, every few seconds: the endpoints (added or removed by another process or the command
        line: this process's events must reach them too) and the failing ones (for the alerts). A round that fails
        (the database away: said once by the Outage, a bug in full) leaves what was read before as it was."""
        self.subscriptions.replace(await self.store.endpoints())
        self.failing = await self._failures(ctx.sites, ctx.now())
        self.backlog = await self.store.backlog()
        if ctx.storage.shared:
            await self._share_breakers()

    # --- whether messages can be offered now ------------------------------------------------------------------

    def messages_available(self, site: Site) -> bool:
        """Whether the pages may offer messages now: the site has a gateway, and the process that sends them has not
        paused it (its breaker open: the gateway out of reach, e.g. a mobile unit's box without internet). They are
        offered again as soon as a probe reaches it (outbound/deliverer.py)."""
        return site.notify.offered and site.id not in self.paused_gateways()

    def paused_gateways(self) -> frozenset[str]:
        """The sites whose gateway is paused. Only the process that delivers tries the gateways, so only its breakers
        know: its own in that process, what it last said (`_share_breakers`) in the others."""
        deliverer = self.deliverer
        if deliverer is not None and deliverer.delivering:
            return deliverer.paused_gateways()
        return gateway_sites(self._opened_elsewhere)

    async def _share_breakers(self) -> None:
        """On shared storage, every few seconds: the delivering process says its breakers again (`say_breakers`:
        those not closed, and each one's whole state while any is not at rest, once more when none is any more);
        the others read it."""
        if self.deliverer is not None and self.deliverer.delivering:
            await self.deliverer.say_breakers(again=True)
            return
        self._opened_elsewhere = await self._opened_as_said()

    async def _opened_as_said(self) -> dict[str, str]:
        """The breakers the delivering process said it has opened. A word older than PAUSED_FRESH comes from a
        process that stopped delivering without a word: none is open then (the next one starts with closed
        breakers). The machine's clock, not the sites' (a test may hold those still): freshness is about
        processes."""
        said = await self.store.breakers_said()
        return said.opened if said is not None and datetime.now(UTC) - said.at <= PAUSED_FRESH else {}

    async def breaker_states(self) -> dict[str, str]:
        """Each breaker that is not closed, by key, as the process that delivers knows it: its own breakers in that
        process (and on SQLite, where this process alone delivers), what it last said in the others, read now. A
        process that does not deliver never tried an endpoint: its own breakers would say "closed" of one that
        fails every message."""
        deliverer = self.deliverer
        if not self.store.storage.shared:
            return deliverer.opened() if deliverer is not None else {}
        if deliverer is not None and deliverer.delivering:
            return deliverer.opened()
        return await self._opened_as_said()

    async def _failures(self, sites: dict[str, Site], now: datetime) -> dict[str, list[dict[str, Any]]]:
        endpoints = {e.id: e for e in await self.store.endpoints()}
        out: dict[str, list[dict[str, Any]]] = {}
        for site_id, name, since, dead, error, problem in await self.store.troubles():
            if site_id not in sites or (since is not None and now - since <= FAILING_AFTER and not dead):
                continue
            endpoint = endpoints.get(name)
            out.setdefault(site_id, []).append({
                "endpoint": name,
                "name": (endpoint.description or endpoint.url) if endpoint else name,
                "agency": endpoint.agency if endpoint else None,
                "since": since.isoformat() if since else None,
                "dead": dead,
                "error": error or "?",
                "problem": problem,
            })  # fmt: skip
        return out

    # --- citizens' numbers ---------------------------------------------------------------------------------

    def contact(self, site: Site, ref: str, body: Any, day: date) -> ContactRow:
        """A number a citizen left, checked and encrypted, kept until `day` ends (plus the retention). The body
        is {"phone": "0812...", "lang": "id", "consent": true}: the citizen agreed to messages about this visit."""
        if not site.notify.offered:
            raise Refusal("notify_unavailable", site=site.name)
        if not isinstance(body, dict):
            raise Refusal("not_an_object", details={"field": "notify"})
        v.only(body, {"phone", "lang", "consent"})
        if body.get("consent") is not True:
            raise Refusal("notify_consent", details={"field": "notify.consent"})
        phone = v.required_text(body, "phone", max_len=24)
        lang = v.text(body, "lang", required=False, choices=LANGUAGES) or "id"
        return self.sealed(site, ref, phone, lang, day)

    def sealed(self, site: Site, ref: str, phone: str, lang: str, day: date) -> ContactRow:
        masked = mask_phone(phone)  # refuses a number that is not an Indonesian mobile one
        ends = datetime.combine(day + timedelta(days=1), time(0), site.tz) + self.retention
        return ContactRow(ref, site.id, lang, self.vault.seal(normalise_phone(phone)), masked, ends)

    # --- webhook endpoints (admins) ---------------------------------------------------------------------------

    async def add_endpoint(
        self, principal: Principal | None, site: Site, body: dict[str, Any], now: datetime, seq: int
    ) -> dict[str, Any]:
        principal = require(principal, "webhook.manage", site.id)
        v.only(body, {"url", "events", "agency", "description", "secret"})
        url = v.required_text(body, "url", max_len=500)
        if not url.startswith(("http://", "https://")) or len(url.split("://", 1)[1]) < 1:
            raise Refusal("invalid_webhook.url", details={"field": "url"})
        await self._check_address(url)
        events = body.get("events")
        if isinstance(events, str):
            events = [events]
        if not isinstance(events, list) or not events or not all(isinstance(e, str) for e in events):
            raise Refusal("invalid_webhook.events", choices=list(payloads.EVENT_TYPES), details={"field": "events"})
        if events == ["*"]:
            events = list(payloads.EVENT_TYPES)
        unknown = [e for e in events if e not in payloads.EVENT_TYPES]
        if unknown:
            raise Refusal("invalid_webhook.event_type", event=unknown[0], choices=list(payloads.EVENT_TYPES),
                          details={"field": "events"})  # fmt: skip
        agency = v.text(body, "agency", required=False, max_len=40)
        if agency is not None and agency not in site.agencies:
            raise Refusal("unknown_agency", agency=agency, site=site.name, details={"field": "agency"})
        description = v.text(body, "description", required=False, max_len=200) or ""
        secret = v.text(body, "secret", required=False, max_len=200) if "secret" in body else _new_secret()
        if secret is None or len(secret) < MIN_SECRET:  # a receiver's own secret is welcome, a guessable one not
            raise Refusal("invalid_webhook.secret", min_len=MIN_SECRET, details={"field": "secret"})
        endpoint = Endpoint("wh_" + secrets.token_hex(6), site.id, agency, url, self.vault.seal(secret),
                            tuple(dict.fromkeys(events)), description, True, now, principal.name)  # fmt: skip
        audit = _audit(site, now, principal, "webhook.add", f"webhook {endpoint.id}", seq, url=url,
                       events=list(endpoint.events), agency=agency)  # fmt: skip
        await self.store.add_endpoint(endpoint, audit)
        self.subscriptions.replace(await self.store.endpoints())
        return {"endpoint": endpoint.public(), "secret": secret}

    async def _check_address(self, url: str) -> None:
        """A webhook may not lead to this machine, a link-local address (a cloud's metadata service), multicast or
        a reserved one (common/addresses.py): by its IP address, or by every address its name resolves to now (a
        name that does not resolve yet is taken; each delivery checks again where it leads, deliverer.py)."""
        try:
            parts = urlsplit(url)
            host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise Refusal("invalid_webhook.url", details={"field": "url"}) from None
        if not host:
            raise Refusal("invalid_webhook.url", details={"field": "url"})
        # A password in the address would be listed on the Settings page and written to the audit log in clear: the
        # receiver checks the signature under the webhook's secret instead (docs/notifications.md, "Signatures").
        if parts.username is not None or parts.password is not None:
            raise Refusal("invalid_webhook.credentials", details={"field": "url"})
        loopback = self.settings.loopback_targets
        found = addresses.literal(host)
        if found is not None:
            leads_to = [found]
        else:
            try:
                leads_to = await asyncio.wait_for(asyncio.to_thread(addresses.resolve, host, port), RESOLVE_SECONDS)
            except (OSError, UnicodeError, TimeoutError):
                leads_to = []
        if any(not addresses.webhook_may_use(address, loopback=loopback) for address in leads_to):
            raise Refusal("invalid_webhook.address", host=host, details={"field": "url"})

    async def endpoints(self, principal: Principal | None, site: Site) -> list[dict[str, Any]]:
        require(principal, "webhook.manage", site.id)
        return [e.public() for e in await self.store.endpoints(site.id)]

    async def remove_endpoint(
        self, principal: Principal | None, site: Site, endpoint_id: str, now: datetime, seq: int
    ) -> dict[str, Any]:
        principal = require(principal, "webhook.manage", site.id)
        endpoint = await self._endpoint(site, endpoint_id)
        audit = _audit(site, now, principal, "webhook.remove", f"webhook {endpoint.id}", seq)
        await self.store.change_endpoint(endpoint.id, audit, active=0)
        self.subscriptions.replace(await self.store.endpoints())
        return {"endpoint": {**endpoint.public(), "active": False}}

    async def rotate_secret(
        self, principal: Principal | None, site: Site, endpoint_id: str, now: datetime, seq: int
    ) -> dict[str, Any]:
        principal = require(principal, "webhook.manage", site.id)
        endpoint = await self._endpoint(site, endpoint_id)
        secret = _new_secret()
        audit = _audit(site, now, principal, "webhook.rotate", f"webhook {endpoint.id}", seq)
        await self.store.change_endpoint(endpoint.id, audit, secret=self.vault.seal(secret))
        if self.deliverer is not None:
            await self.deliverer.refresh_endpoints(force=True)
        return {"endpoint": endpoint.public(), "secret": secret}

    async def _endpoint(self, site: Site, endpoint_id: str) -> Endpoint:
        endpoint = await self.store.endpoint(endpoint_id[:40])
        if endpoint is None or endpoint.site != site.id or not endpoint.active:
            raise Refusal("unknown_webhook", endpoint=endpoint_id[:40])
        return endpoint

    # --- what supervisors see -----------------------------------------------------------------------------

    async def status(self, principal: Principal | None, site: Site, now: datetime) -> dict[str, Any]:
        require(principal, "outbox.read", site.id)
        found = await self.store.status(site.id)
        endpoints = {e.id: e for e in await self.store.endpoints(site.id)}
        opened = await self.breaker_states()
        rows = []
        names = [GATEWAY] if site.notify.offered or GATEWAY in found else []
        names += [e for e in endpoints if endpoints[e].active or e in found]
        for name in names:
            status = found.get(name, EndpointStatus(name))
            endpoint = endpoints.get(name)
            key = gateway_breaker(site.id) if name == GATEWAY else name
            rows.append(
                {
                    "endpoint": name,
                    "kind": "gateway" if name == GATEWAY else "webhook",
                    "url": endpoint.url if endpoint else (site.notify.gateway.url if site.notify.gateway else None),
                    "description": endpoint.description if endpoint else None,
                    "active": endpoint.active if endpoint else True,
                    "pending": status.pending,
                    "retrying": status.retrying,
                    "sent": status.sent,
                    "dead": status.dead,
                    "skipped": status.skipped,
                    "breaker": opened.get(key, "closed"),
                    "failing": failing(status, now),
                    "last_sent_at": _iso(status.last_sent_at, site),
                    "last_error": status.last_error,
                    "last_error_at": _iso(status.last_error_at, site),
                    **error_words(status.last_problem, status.last_error),
                    "outcome_unknown": status.unknown,
                }
            )
        # `now`: the server's time, by which the page tells a time of today from one of an earlier day.
        return {"site": site.id, "now": _iso(now, site), "endpoints": rows}

    async def dead_letters(self, principal: Principal | None, site: Site, endpoint: str | None) -> dict[str, Any]:
        require(principal, "outbox.read", site.id)
        letters = await self.store.dead_letters(site.id, endpoint, 200)
        for letter in letters:  # named, not coded ("Pesan: giliran Anda", "Tiket dipanggil")
            letter["what"] = {lang: word("outbox_kind", letter["kind"], lang) for lang in LANGUAGES}
            letter.update(error_words(letter.pop("problem"), letter["last_error"]))
        return {"dead": letters}

    async def resend(
        self, principal: Principal | None, site: Site, body: dict[str, Any], now: datetime, seq: int
    ) -> dict[str, Any]:
        """{"message": id} resends one dead letter; {"endpoint": id} every dead letter of the endpoint."""
        principal = require(principal, "outbox.resend", site.id)
        v.only(body, {"message", "endpoint"})
        message = v.text(body, "message", required=False, max_len=64)
        endpoint = v.text(body, "endpoint", required=False, max_len=40)
        if (message is None) == (endpoint is None):
            raise Refusal("invalid_field.required", field="message", details={"field": "message"})
        if message is not None:
            if not await self.store.resend(site.id, message, now):
                raise Refusal("unknown_dead_letter", message=message)
            count = 1
        else:
            assert endpoint is not None
            count = await self.store.resend_all(site.id, endpoint, now)
        target = f"message {message}" if message else f"webhook {endpoint}"
        await self.store.audit(_audit(site, now, principal, "outbox.resend", target, seq, count=count))
        self.wake()
        return {"resent": count}

    async def failing_endpoints(self, site: Site, now: datetime) -> list[str]:
        """Endpoints (the gateway among them) that keep failing: the supervisor's alert."""
        return [name for name, status in (await self.store.status(site.id)).items() if failing(status, now)]


def error_words(problem: dict[str, Any] | None, text: str | None) -> dict[str, Any]:
    """A delivery's last error as the API gives it beside `last_error` (its technical text): `error_kind` (None for a
    row of an earlier release, or none) and `error_words`, the problem in each language ({"id", "en"}; the text itself
    for such a row; None without an error)."""
    return {
        "error_kind": problem["kind"] if problem else None,
        "error_words": delivery_problems.said(delivery_problems.DELIVERY, problem, text),
    }


def _new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def failing(status: EndpointStatus, now: datetime) -> bool:
    """Still retrying a message after FAILING_AFTER, or holding dead letters: a person should look."""
    stuck = status.oldest_retrying is not None and now - status.oldest_retrying > FAILING_AFTER
    return stuck or status.dead > 0


async def command_line_policy(storage: StoragePort) -> Policy:
    """The messages a command run with the server stopped writes (`queue-server close-day`): the same as a server's,
    for the webhook endpoints stored now. A server sends them once it runs (the outbox is the database's)."""
    return Policy(Subscriptions(await OutboxStore(storage).endpoints()), _people_ahead)


def _people_ahead(state: SiteState, now: datetime, ticket: Ticket) -> int | None:
    estimate = wait_of(state, ticket, now)
    return estimate.people_ahead if estimate is not None and estimate.minutes is not None else None


def _iso(at: datetime | None, site: Site) -> str | None:
    return at.astimezone(site.tz).isoformat(timespec="seconds") if at else None


def _audit(site: Site, now: datetime, principal: Principal, action: str, target: str, seq: int,
           **details: Any) -> tuple[Any, ...]:  # fmt: skip
    details = {k: val for k, val in details.items() if val is not None}
    return (site.id, utc_iso(now), principal.name, principal.role, action, target, jsontext.dumps(details), seq)
