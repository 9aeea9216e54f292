"""A mall on its own box sends its event log up to a server that mirrors it (a regency's, a province's, the
ministry's: `serve --mirror SITE` there), so that the national view, reports and dashboards there see the mall
while the mall itself depends on nothing beyond its LAN.

Store and forward: the log is the queue. Each site's cursor is the mirror's, asked for at start and after any
doubt (GET .../uplink), never kept here, so a lost answer or a restart on either side cannot skip or repeat an
event: the mirror refuses a batch that does not continue its copy (409 with where it stands) and the sender goes
on from there. Offline for a day, the mall sends the day in pages of up to BATCH events once the line is back.
Retention (application/retention.py) archives none of the events the mirror has not acknowledged. What the mirror
must not hold never leaves (domain/relay.withheld): a ticket's link (token), staff's notes and reasons, a booking's
code, hashes and contact. A mirror of an earlier release takes the log so too (protocol 2: fingerprints compared
where both sides can make them).

On shared storage (several processes of one mall) one process sends; it says where each site stands in the
database (`uplink_status`), and the others read that, so every process answers /healthz, raises the supervisor's
alert and keeps for retention what the mirror lacks.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from queue_server.common import background
from queue_server.domain.relay import PROTOCOL, fingerprint_for, withheld
from queue_server.persistence.port import StoragePort, utc_iso

log = logging.getLogger(__name__)

BATCH = 500  # events per request
BATCH_BYTES = 1024 * 1024  # and about this much JSON at most (the mirror takes up to 4 MiB)
IDLE_SECONDS = 5.0  # looked at this often without a commit to wake it (another process's events, on shared storage)
# Seconds after a failure: doubling up to the cap, each wait drawn between its half and its whole (retry_delay), so
# that the hundreds of boxes a national outage stopped together do not all try again in the same second.
RETRY_FIRST, RETRY_CAP = 1.0, 60.0
# A quiet mall still says it is there this often (the mirror's "heard from"), and checks where the mirror's copy
# ends: a mirror restored from an older backup gets the events it lost again.
HEARTBEAT_SECONDS = 60.0
SHARE_SECONDS = 15.0  # the sending process says where each site stands at least this often (and on every change)
TIMEOUT_SECONDS = 30.0  # one request to the mirror, its answer read
# A clean stop tells the mirror so (its national view shows the mall stopped at once): within this long, or not at
# all (the mirror then sees the box silent after 3 minutes, as after a power cut); a stop is never held up longer.
STOPPING_SECONDS = 3.0
ALERT_AFTER = timedelta(minutes=2)  # a blip is no news; a line down this long is the supervisor's (an alert)
# How far "now less the age" may move between two reads of the same word and still be taken for the same moment
# (the database measures the age a few milliseconds apart from this process's clock).
HEARD_JITTER = timedelta(seconds=1)
SURVEY_BATCH = 500  # survey answers per request (the mirror takes up to 500)
SURVEY_OVERLAP = timedelta(minutes=2)
SURVEY_FIELDS = ("ticket", "day", "service", "agency", "counter", "channel", "answered_at", "answers")


@dataclass
class UplinkStatus:
    """Where one site's uplink stands, for the supervisor's health page and the log."""

    acknowledged: int | None = None  # the newest seq of this mall's log the mirror holds (None: not yet known)
    newest: int = 0  # the newest seq of the site's log here, when last looked at
    last_ok_at: datetime | None = None
    failing_since: datetime | None = None
    last_error: str | None = None  # in words, for the log and the dashboard (it may name the mirror's address)
    error_kind: str | None = None  # the same as a word, for the public /healthz (UplinkRefused.kind and the ones below)
    # and its figures (the mirror's host, an HTTP status and code, seconds), which the supervisor's alert says it with
    # in words (common/delivery_problems.py, [uplink_problem] of messages.toml); never on /healthz
    error_figures: dict[str, Any] | None = None
    contacted: float = -math.inf  # time.monotonic() of the last answer from the mirror
    verified: bool = False  # `acknowledged` was read from the mirror since the last failure
    fingerprint: str | None = None  # of this log's event `acknowledged`, as the mirror makes it: sent with a batch
    surveys: tuple[str, str] | None = None  # the mirror's newest survey answer: (answered_at, ticket)
    protocol: int = 1  # what the mirror speaks (actions.UPLINK_PROTOCOL there; 1: an earlier release, no `protocol`)
    screens_said: frozenset[str] | None = None  # the screens with a display on, as the mirror was last told
    # When the sending process last said where it stands, on this process's clock, and the failure it named then
    # with its moment on this clock (heard): kept while it says the same, so that an alert's moment does not move.
    _heard_at: datetime = field(default=datetime.min.replace(tzinfo=UTC), repr=False)
    _heard_failing: tuple[Any, datetime | None] = field(default=(None, None), repr=False)

    def view(self) -> dict[str, Any]:
        behind = None if self.acknowledged is None else max(0, self.newest - self.acknowledged)
        return {**self.shared(), "behind": behind}

    def public(self) -> dict[str, Any]:
        """For /healthz, which anyone may read: the failure's kind, not its text (which names the mirror's address
        and the site's token trouble; the supervisor's dashboard and the log say it whole)."""
        view = self.view()
        view["last_error"] = view.pop("error_kind")
        view.pop("error_figures")
        return view

    def shared(self) -> dict[str, Any]:
        """What the sending process tells the others (share_uplink)."""
        return {
            "acknowledged": self.acknowledged,
            "last_ok_at": self.last_ok_at.isoformat() if self.last_ok_at else None,
            "failing_since": self.failing_since.isoformat() if self.failing_since else None,
            "last_error": self.last_error,
            "error_kind": self.error_kind,
            "error_figures": self.error_figures,
        }

    def heard(self, said: dict[str, Any], age: timedelta, now: datetime) -> None:
        """Take what the sending process said `age` ago, as the database's clock measures it (never the sender's
        clock against this one's: machines' clocks differ). Said too long ago, no process is sending: that is a
        failure too, since `now` less that age. The moments it names are of the sender's clock, which it says with
        them (`clock`): they are moved onto this process's (`now`), so that a sender whose clock is minutes off
        neither raises the alert at once nor holds it back (an earlier release's say no clock: taken as they are)."""
        if abs(now - age - self._heard_at) > HEARD_JITTER:  # when it was said, on this clock: kept while the same
            self._heard_at = now - age
        sender = _moment(said.get("clock"))
        shift = self._heard_at - sender if sender is not None else timedelta(0)
        self.acknowledged = said.get("acknowledged")
        last_ok_at = _moment(said.get("last_ok_at"))
        self.last_ok_at = last_ok_at + shift if last_ok_at is not None else None
        failing_since = said.get("failing_since")
        if failing_since != self._heard_failing[0]:  # the same failure keeps the moment it was first given
            moment = _moment(failing_since)
            self._heard_failing = (failing_since, moment + shift if moment is not None else None)
        self.failing_since = self._heard_failing[1]
        self.last_error = said.get("last_error")
        self.error_kind = said.get("error_kind") or ("failed" if self.last_error else None)  # an earlier release's
        figures = said.get("error_figures")
        self.error_figures = figures if isinstance(figures, dict) else None
        if self.failing_since is None and age > ALERT_AFTER:
            self.failing_since = self._heard_at
            self.last_error = "no process of this server has sent the log since then (is one stuck?)"
            self.error_kind, self.error_figures = "stuck", None


def retry_delay(failures: int) -> float:
    """How long to wait after the `failures`-th failure in a row (1, 2, ...): RETRY_FIRST doubled each time, at most
    RETRY_CAP, with "equal jitter" (a random point of its upper half)."""
    delay = min(RETRY_CAP, RETRY_FIRST * 2.0 ** min(max(failures - 1, 0), 32))
    return random.uniform(delay / 2, delay)  # noqa: S311 (spreading retries, not a secret)


def _moment(text: Any) -> datetime | None:
    return datetime.fromisoformat(text) if isinstance(text, str) else None


def _cursor(value: Any) -> tuple[str, str] | None:
    """The mirror's newest survey answer, as it answers it ({answered_at, ticket} or null)."""
    if isinstance(value, dict) and isinstance(value.get("answered_at"), str) and isinstance(value.get("ticket"), str):
        return (value["answered_at"], value["ticket"])
    return None


class UplinkRefused(Exception):
    """The mirror answered with an error (its code and message), or something that is not its API. `kind` names it
    in a word for the public /healthz: out_of_step, not_the_api, token_refused, not_mirrored or refused."""

    def __init__(self, message: str, kind: str = "refused", **figures: Any) -> None:
        super().__init__(message)
        self.kind = kind
        self.figures = figures  # an HTTP status, the mirror's error code (common/delivery_problems.py)


class Uplink:
    def __init__(
        self,
        storage: StoragePort,
        tokens: dict[str, str],
        url: str,
        clock: Callable[[], datetime],
        screens: Callable[[str], frozenset[str]] | None = None,
    ) -> None:
        """`tokens`: per site sent up, the uplink token the mirror issued for it. `screens`: a site's screens with a
        display connected now, said in the heartbeat (the national view counts the mall's screens not connected)."""
        self.storage, self.tokens, self.clock, self.screens = storage, tokens, clock, screens
        self.sites = list(tokens)
        self.url = url.rstrip("/")
        self.status: dict[str, UplinkStatus] = {site: UplinkStatus() for site in self.sites}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._said: dict[str, Any] = {}  # the failures this process last told the others of, and when (monotonic)
        self._said_at = -math.inf
        self._refused_answers: dict[str, frozenset[str]] = {}  # per site, the survey answers last said refused
        self._sending = False  # this process holds the sending role (on shared storage, one of them does)

    def start(self) -> None:
        self._task = background.start(self._run(), "uplink")

    async def stop(self) -> None:
        """Stopped; the process that sends also tells the mirror that the box is stopping (its last heartbeat), so
        that the mall shows stopped there at once. Another process of the mall stopping says nothing. On a box of
        several processes (PostgreSQL) whose sender alone stops, the mall shows stopped until the process that takes
        the sending over calls the mirror (within seconds)."""
        await background.stop(self._task)
        if self._sending:
            self._sending = False
            await self._say_stopping()

    async def _say_stopping(self) -> None:
        """`?stopping=1` for each site, with where its log ends (the mirror's copy complete as of the stop, or not),
        within STOPPING_SECONDS; a mirror away or of an earlier release (which takes it as a plain heartbeat) is
        left at that."""
        timeout = aiohttp.ClientTimeout(total=STOPPING_SECONDS)
        try:
            async with asyncio.timeout(STOPPING_SECONDS), aiohttp.ClientSession(timeout=timeout) as http:
                for site in self.sites:
                    status = self.status[site]
                    newest = await self.storage.newest_seq(site)
                    said = {"stopping": "1", "newest": str(newest), "protocol": str(PROTOCOL)}
                    ends = await self._fingerprint_of(site, newest, 2 if status.protocol == 2 else PROTOCOL)
                    if ends is not None:
                        said["fingerprint"] = ends
                    await self._call(http, "GET", site, params=said)
        except Exception as exc:  # a stop goes on whatever the mirror does
            log.info("the mirror %s was not told that this server is stopping: %s", self.url, exc or type(exc).__name__)
            return
        log.info("the mirror %s was told that this server is stopping", self.url)

    def wake(self, *_: object) -> None:
        """A commit happened (an engine observer): send it now rather than at the next look."""
        self._wake.set()

    def failing(self, site: str, now: datetime) -> dict[str, Any] | None:
        """The site's uplink has failed for ALERT_AFTER or more: since when, why, and how many events wait."""
        status = self.status.get(site)
        if status is None or status.failing_since is None or now - status.failing_since < ALERT_AFTER:
            return None
        return {**status.view(), "url": self.url}

    async def report(self) -> dict[str, dict[str, Any]]:
        """Per site, where its uplink stands, counted against the log as it is now (/healthz)."""
        for site, status in self.status.items():
            status.newest = await self.storage.newest_seq(site)
        return {site: status.public() for site, status in self.status.items()}

    def acknowledged(self, site: str) -> int:
        """The newest seq the mirror holds: retention keeps every later event (0 while unknown)."""
        status = self.status.get(site)
        return status.acknowledged or 0 if status is not None else 0

    async def _run(self) -> None:
        """On shared storage (several processes) one of them sends: the others wait for the role, and meanwhile
        take where each site stands from what the sending one says."""
        while True:
            async with self.storage.exclusive("uplink") as role:
                if role.held:
                    await self._send_forever(role)
                else:
                    await self._hear()
            await asyncio.sleep(IDLE_SECONDS)

    async def _hear(self) -> None:
        try:
            said = await self.storage.uplink_said()
        except Exception as exc:  # the database away: the status stays as last heard, looked at again soon
            log.debug("where the uplink stands could not be read: %s", exc)
            return
        now = self.clock()
        for site, (status, age) in said.items():
            if site in self.status:
                self.status[site].heard(status, age, now)

    async def _share(self) -> None:
        """Tell the other processes where each site stands: at once when a failure begins, changes or ends, and
        otherwise every SHARE_SECONDS (they take a silence as a stuck sender; `acknowledged` a little behind only
        keeps a few more events from retention)."""
        view = {site: status.shared() for site, status in self.status.items()}
        failures = {site: (shared["failing_since"], shared["last_error"]) for site, shared in view.items()}
        if failures == self._said and time.monotonic() - self._said_at < SHARE_SECONDS:
            return
        clock = self.clock().isoformat()  # this clock as it says them: the others move its moments onto theirs
        try:
            await self.storage.share_uplink({site: {**shared, "clock": clock} for site, shared in view.items()})
        except Exception as exc:  # the database away: said again after the next pass
            log.debug("where the uplink stands could not be shared: %s", exc)
            return
        self._said, self._said_at = failures, time.monotonic()

    async def _send_forever(self, role: Any) -> None:
        self._sending = True  # until the role is lost
        try:
            await self._send_rounds(role)
        except asyncio.CancelledError:
            raise  # a stop: this process was the sender, and stop() tells the mirror so
        except BaseException:
            self._sending = False  # ended by an error (the database away): another process may be the sender now
            raise
        self._sending = False

    async def _send_rounds(self, role: Any) -> None:
        failures = 0
        timeout = aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            await self._share()  # at once: what an earlier run said is not taken for now while the mirror is asked
            while await role.still_held():
                self._wake.clear()
                failed = sent = False
                for site in self.sites:
                    try:
                        sent |= await self._send(http, site)
                    except Exception as exc:  # the mirror away or refusing, a database error here: tried again
                        failed = True
                        self._failed(site, exc)
                await self._share()
                if failed:
                    failures += 1
                    await asyncio.sleep(retry_delay(failures))
                    continue
                failures = 0
                if not sent:
                    await background.woken(self._wake, IDLE_SECONDS)

    async def _send(self, http: aiohttp.ClientSession, site: str) -> bool:
        """One batch of the site's log, if the mirror lacks any; whether one was sent."""
        status = self.status[site]
        status.newest = newest = await self.storage.newest_seq(site)  # how far behind, even while the mirror is away
        shown = self.screens(site) if self.screens is not None else None
        beat = time.monotonic() - status.contacted >= HEARTBEAT_SECONDS or shown != status.screens_said
        if not status.verified or beat:
            # Where this log ends, and its event there: the mirror takes a copy ending at the same event for complete.
            # And which screens have a display on now: at once when that changed (a TV off is news for the ministry).
            said = {"newest": str(newest), "protocol": str(PROTOCOL)}
            if shown is not None:
                said["screens"] = ",".join(sorted(shown))
            ends = await self._fingerprint_of(site, newest, 2 if status.protocol == 2 else PROTOCOL)  # as it makes them
            if ends is not None:
                said["fingerprint"] = ends
            answer = await self._call(http, "GET", site, params=said)
            mirrored = int(answer["after"])
            status.protocol = answer["protocol"] if isinstance(answer.get("protocol"), int) else 1
            if mirrored > newest:
                raise UplinkRefused(f"the mirror holds this mall's log up to event {mirrored}, but this server's ends "
                                    f"at {newest}: was this database restored from an older backup? The mirror's "
                                    "copy must be started again there (queue-server mirror forget)",
                                    "out_of_step")  # fmt: skip
            status.fingerprint = await self._same_history(site, mirrored, answer.get("fingerprint"))
            status.acknowledged, status.verified = mirrored, True
            status.surveys = _cursor(answer.get("surveys"))
            status.contacted = time.monotonic()  # an answer, not yet a success: the mirror may refuse the batch
            status.screens_said = shown
        assert status.acknowledged is not None
        rows = await self.storage.event_rows_after(site, status.acknowledged, BATCH)
        if not rows:
            sent = await self._send_surveys(http, site)  # once the log is up: answers refer to its tickets
            self._succeeded(site)  # nothing of the log is left to send
            return sent
        events: list[dict[str, Any]] = []
        size = 0
        for seq, kind, at, data in rows:
            if events and size + len(data) > BATCH_BYTES:
                break
            events.append({"seq": seq, "type": kind, "site": site, "at": at, "data": withheld(json.loads(data))})
            size += len(data)
        body: dict[str, Any] = {"after": status.acknowledged, "events": events}
        if status.fingerprint is not None:
            body["fingerprint"] = status.fingerprint
        answer = await self._call(http, "POST", site, body)
        status.contacted = time.monotonic()  # a batch taken: the mirror's copy keeps up as of now
        status.acknowledged = int(answer["after"])
        last = events[-1]
        copy_ends_here = last["seq"] == status.acknowledged
        status.fingerprint = fingerprint_for(status.protocol, last["type"], last["data"]) if copy_ends_here else None
        self._succeeded(site)
        return True

    async def _same_history(self, site: str, mirrored: int, theirs: Any) -> str | None:
        """The fingerprint of this log's event `mirrored`, refusing a mirror whose copy ends with another event
        there: this database was restored from an older backup (or replaced) and written on since, so its events
        from there on are not the ones the mirror holds, and sending them would splice two histories. Made as the
        mirror makes them (domain/relay.fingerprint_for): a mirror of protocol 2 fingerprints no booking as this
        server does, and one of protocol 1 nothing, so those are neither compared nor sent."""
        ours = await self._fingerprint_of(site, mirrored, self.status[site].protocol)
        if ours is not None and isinstance(theirs, str) and theirs != ours:
            raise UplinkRefused(f"the mirror's copy of this mall's log differs from this server's at event {mirrored}: "
                                "was this database restored from an older backup, or replaced, and used since? "
                                "Nothing more is sent; the mirror's copy must be started again there (queue-server "
                                "mirror forget, docs/deployment.md)", "out_of_step")  # fmt: skip
        return ours

    async def _fingerprint_of(self, site: str, seq: int, protocol: int = PROTOCOL) -> str | None:
        """The fingerprint of this log's event `seq`, as a mirror of `protocol` makes it; None when there is none
        (yet, or archived here long after the mirror took it, or one that protocol does not make)."""
        rows = await self.storage.event_rows_after(site, seq - 1, 1) if seq > 0 else []
        if not rows or rows[0][0] != seq:
            return None
        return fingerprint_for(protocol, rows[0][1], json.loads(rows[0][3]))

    async def _send_surveys(self, http: aiohttp.ClientSession, site: str) -> bool:
        """The survey answers given since the mirror's newest, if any. They are kept beside the log, not in it: the
        rows of the last SURVEY_OVERLAP go again with new ones (the mirror keeps one per ticket), so an answer
        committed a moment after a later one is not left behind."""
        status = self.status[site]
        since = ""
        if status.surveys is not None:
            since = utc_iso(datetime.fromisoformat(status.surveys[0]) - SURVEY_OVERLAP)
        rows = await self.storage.survey_rows_since(site, since, SURVEY_BATCH)
        if not any(status.surveys is None or (row[6], row[0]) > status.surveys for row in rows):
            return False
        answers = [dict(zip(SURVEY_FIELDS, row, strict=True)) | {"answers": json.loads(row[7])} for row in rows]
        answer = await self._call(http, "POST", site, {"answers": answers}, "/surveys")
        # Past what was sent, kept or refused there (an answer it refuses is not sent again before the next GET).
        newest, sent = _cursor(answer.get("newest")), max((row[6], row[0]) for row in rows)
        status.surveys = max(newest, sent) if newest is not None else sent
        self._say_refused_answers(site, answer)
        return True

    def _say_refused_answers(self, site: str, answer: dict[str, Any]) -> None:
        """Log the answers the mirror refused (each alone: not counted there) and a clock it found fast, once."""
        refused = [r for r in answer.get("refused") or [] if isinstance(r, dict)]
        said = frozenset(str(r.get("ticket")) for r in refused)
        if refused and said != self._refused_answers.get(site):
            log.warning("site %s: %s refused %d survey answers, not counted there (first: ticket %s: %s)", site,
                        self.url, len(refused), refused[0].get("ticket"), refused[0].get("why"))  # fmt: skip
        self._refused_answers[site] = said
        if isinstance(answer.get("ahead"), int) and answer["ahead"] > 0:
            log.warning("site %s: %s finds %d survey answers dated ahead of its clock: is this server's clock right?",
                        site, self.url, answer["ahead"])  # fmt: skip

    async def _call(
        self,
        http: aiohttp.ClientSession,
        method: str,
        site: str,
        body: Any = None,
        path: str = "",
        params: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        url, auth = f"{self.url}/api/v1/sites/{site}/uplink{path}", {"Authorization": f"Bearer {self.tokens[site]}"}
        async with http.request(method, url, json=body, headers=auth, params=params) as response:
            try:
                answer = await response.json(content_type=None)
            except (ValueError, aiohttp.ContentTypeError):
                raise UplinkRefused(
                    f"HTTP {response.status} from {self.url}, not the queue server's API",
                    "not_the_api",
                    status=response.status,
                ) from None
            if response.status in (401, 403):
                raise UplinkRefused(f"{self.url} refused this server's uplink token for site {site} (revoked, or not "
                                    "the one it issued for this site): make one there with `queue-server device add "
                                    f"--kind uplink --site-id {site}` and set QUEUE_UPLINK_TOKEN",
                                    "token_refused")  # fmt: skip
            if response.status != 200 or not isinstance(answer, dict):
                error = answer.get("error", {}) if isinstance(answer, dict) else {}
                raise UplinkRefused(f"HTTP {response.status} {error.get('code', '')}: {error.get('message_en', '')}",
                                    status=response.status, code=str(error.get("code", ""))[:80])  # fmt: skip
            if method == "GET" and not answer.get("mirrored"):
                raise UplinkRefused(
                    f"{self.url} does not mirror site {site} (serve --mirror {site} there)", "not_mirrored"
                )
            return answer

    def _succeeded(self, site: str) -> None:
        status = self.status[site]
        if status.failing_since is not None:
            log.warning("uplink of site %s to %s works again", site, self.url)
        status.last_ok_at, status.failing_since, status.last_error, status.error_kind = self.clock(), None, None, None
        status.error_figures = None
        # Not `contacted`: "nothing left to send" is a success without a word to the mirror, every few seconds, and
        # counting it as contact kept a quiet box from ever saying it is there (the mirror's national view then
        # showed the mall "tidak terhubung" 3 minutes into any quiet spell). The GET and each batch's answer set it.

    def _failed(self, site: str, exc: Exception) -> None:
        status = self.status[site]
        status.verified = False  # out of step, refused or away: ask where the mirror's copy ends before sending
        kind = exc.kind if isinstance(exc, UplinkRefused) else "failed"
        figures: dict[str, Any] = {"host": urlsplit(self.url).hostname or self.url}
        figures.update(exc.figures if isinstance(exc, UplinkRefused) else {})
        reason = str(exc) or type(exc).__name__
        if isinstance(exc, aiohttp.ClientConnectionError):
            kind, reason = (
                "unreachable",
                f"{self.url} cannot be reached (no network, a wrong address, or its server is down)",
            )
        elif isinstance(exc, TimeoutError):
            kind, reason = "timeout", f"{self.url} did not answer within {TIMEOUT_SECONDS:.0f} seconds"
            figures["seconds"] = round(TIMEOUT_SECONDS)
        if status.failing_since is None or reason != status.last_error:
            log.warning("uplink of site %s to %s failed (%s); the log waits here and is sent once it works",
                        site, self.url, reason)  # fmt: skip
        status.failing_since = status.failing_since or self.clock()
        status.last_error, status.error_kind, status.error_figures = reason, kind, figures
