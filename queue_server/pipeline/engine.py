"""The command pipeline: decide, write, then publish.

Commands from HTTP and websockets go through one queue to one writer task. It takes whatever is waiting (up
to MAX_BATCH), decides each command against the live state, writes all resulting events and projections in ONE
transaction (group commit: many commands per fsync), and only after COMMIT answers the callers and publishes
the events. If the write fails, the in-memory state is reloaded from the database, every caller in the batch
gets an error, and nothing is published.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import gc
import json
import logging
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from queue_server.common import background, messages
from queue_server.common.messages import english, refusal_messages
from queue_server.domain import commands as c
from queue_server.domain import events as ev
from queue_server.domain.booking import BookingState
from queue_server.domain.break_habits import usual_breaks
from queue_server.domain.catalogue import MAX_CHANGES_LISTED, Site, changes_sentence, describe_changes
from queue_server.domain.decide import check_live_day, checkin_window, decide
from queue_server.domain.events import Event
from queue_server.domain.issuing_pause import IssuingPause
from queue_server.domain.model import EXPIRING_STATES
from queue_server.domain.refusal import Refusal
from queue_server.domain.state import Configuration, SiteState, apply, configuration_withheld
from queue_server.live import wire
from queue_server.live.hub import Hub
from queue_server.persistence import deadlines
from queue_server.persistence.port import AuditRecord, Batch, ContactRow, OutboxRow, SitesBusy, StoragePort
from queue_server.pipeline.idempotency import RETENTION, StoredKeys
from queue_server.pipeline.idempotency import split as split_key
from queue_server.settings import left_out, site_history
from queue_server.settings.clock import utc_now
from queue_server.settings.left_out import LeftOut
from queue_server.settings.sitefile import SiteFileError, document_digest, normalised_document, without_gateway

log = logging.getLogger(__name__)

MAX_BATCH = 256  # commands taken from the queue and decided in one go
MAX_WRITE = 1024  # decided commands written in one transaction
HISTORY_WEEKS = 4  # the wait forecast's prior: the same weekday of this many weeks before
KEY_PRUNING_EVERY = timedelta(hours=1)  # on the server's clock
FOLLOW_SECONDS = 1.0  # shared storage: how often the heads are compared when no notification came
RELOAD_RETRY_SECONDS = 1.0  # after a failed reload: how often it is tried again (the commands between are refused)
FULL_DISK_HINT = (
    ": the database's disk is full. Commands are refused (503, nothing lost) until there is room: free space on that "
    "disk (old backups, the archive folder), docs/deployment.md 'A full disk'"
)
CLOCK_SLACK = timedelta(minutes=10)  # the wall clock may drift this much from the monotonic one between two rounds

# Builds the caller's answer from the events a command produced and the state right after them.
Responder = Callable[[list[Event], SiteState], dict[str, Any]]
# The messages a command's events cause (outbound/policy.py), written in the command's own transaction.
Effects = Callable[[list[Event], SiteState], list[OutboxRow]]


BUSY_SECONDS = 10.0  # how long a site whose lock was held elsewhere is refused at once before it is tried again


def _busy_refusal(sites: set[str]) -> StorageUnavailable:
    return StorageUnavailable(f"the lock of {', '.join(sorted(sites))} is held by another process")


def changes_in_words(changes: list[str]) -> str:
    """A configuration's changes for the server's log, in English words ("refusing tickets outside opening hours
    changed, Paspor added"), as many named as the audit sentence names, the rest counted."""
    said = ", ".join(messages.change_words(change, "en") for change in changes[:MAX_CHANGES_LISTED])
    more = len(changes) - MAX_CHANGES_LISTED
    return f"{said} and {more} more" if more > 0 else said or "nothing"


class StorageUnavailable(Refusal):
    """The write failed; nothing changed. The caller may retry with the same idempotency key. `reason` is for the
    server's log only; the caller is told `storage_unavailable`."""

    def __init__(self, reason: str) -> None:
        super().__init__("storage_unavailable")
        self.reason = reason

    def __str__(self) -> str:
        return f"storage_unavailable: {self.reason}"


class StartRefused(Exception):
    """A site cannot be served at start-up: the configuration it would be served with is not the one its day ran under
    (that one cannot be read, or was never remembered), and the live day refuses it as it would refuse the same change
    made on the web (check_live_day). Serving it anyway could give two citizens one number or strand a line; there is
    nothing known to be safe to fall back to. The server does not start, and says why and what to do (web/app.py says
    it in one line, not a traceback)."""

    def __init__(self, site_id: str, why: str, refusal: Refusal) -> None:
        super().__init__(site_id, why, refusal.key)
        self.site_id = site_id
        self.why = why
        self.refusal = refusal

    def __str__(self) -> str:
        return (
            f"site {self.site_id}: {self.why}, so the site file given was checked against today's tickets, and "
            f"refused: {english(self.refusal)} Start the server with a site file that keeps what today's tickets still "
            "need (the one they were issued under, or this one changed); this one can take over once they are done "
            "(a letter: the next day)."
        )


@dataclass
class Outcome:
    status: int
    body: dict[str, Any]
    events: list[Event] = field(default_factory=list)
    replayed: bool = False


@dataclass
class _Job:
    site: str
    command: c.Command
    respond: Responder
    idem_key: str | None
    status: int
    future: asyncio.Future[Outcome]
    audit: AuditRecord | None = None
    contact: ContactRow | None = None  # a number the citizen left with this command (encrypted)


@dataclass
class _Decided:
    job: _Job
    events: list[Event]
    body: dict[str, Any]
    generation: int  # the engine's generation when it was decided (see Engine._reload)
    outbox: list[OutboxRow] = field(default_factory=list)


class Engine:
    def __init__(
        self,
        sites: dict[str, Site],
        storage: StoragePort,
        hub: Hub,
        clock: Callable[[], datetime] = utc_now,
        *,
        housekeeping_seconds: float = 60.0,
        effects: Effects | None = None,
        sent_to_outbox: Callable[[], None] | None = None,
        files: dict[str, dict[str, Any]] | None = None,
        parse: Callable[[dict[str, Any]], Site] | None = None,
        mirrored: Collection[str] = (),
        paths: dict[str, str] | None = None,
    ) -> None:
        self.sites = sites  # shared with the rest of the server: a new configuration replaces its site here
        # Configuration: each site file's document as started (a changed file takes over from the web's version)
        # and how a stored document becomes a Site (settings/sitefile.py's checks). Without `parse` (tools, tests
        # of the pipeline) the site files are the configuration and nothing is stored.
        self._file_sites = dict(sites)
        # Each file's document as it is stored and served (lists where a file may write one text: the Settings page
        # reads lists), and the digest of the file as written, which releases before that stored as its file_hash:
        # the same file, unchanged, must not take over from the web's version after an upgrade.
        self.files = {site_id: normalised_document(document) for site_id, document in (files or {}).items()}
        self._written_digests = {site_id: document_digest(document) for site_id, document in (files or {}).items()}
        self.paths = paths or {}  # each site file's path on this machine, for the history of files applied
        self.parse = parse
        # Malls served by their own box and shown here from the log they send up (domain/relay.py): no command,
        # no housekeeping and no messages of this server's for them; their configuration is the mall's.
        self.mirrored = frozenset(mirrored)
        self._remembered: dict[str, dict[str, Any]] = {}  # per site: LoadedSite.site_file, as last written or read
        # Per site, what start-up found amiss with its configuration, by kind, for the supervisor's alerts (until the
        # next start): "configuration_unreadable" (the stored configuration cannot be read here; the site file is
        # served in its place), "site_file_waiting" (a changed site file the live day refused; tried again at the
        # next start), "site_file_older" (an older site file than the one last applied, on a machine not yet
        # updated: not applied). A gateway off for want of a ${VARIABLE} is told from the state itself (Context).
        self.configuration_alerts: dict[str, dict[str, dict[str, Any]]] = {}
        # Per site being started: why the configuration it starts with is not the one its day ran under, so it must
        # pass the live day's checks before anything is served (start()).
        self._unconfirmed: dict[str, str] = {}
        # The sites left out at start-up as their day refused what they would start with, while others are served
        # (settings/left_out.py): said by the server, served by none of this process's parts.
        self.left_out: list[LeftOut] = []
        self.reconfigured: list[Callable[[str], None]] = []  # told a site's id after its new configuration applied
        # False for a command line run with the server stopped (close-day): it decides on the configuration in force
        # and leaves a changed site file to the server's next start, which says what it changes.
        self.applies_files = True
        self.storage = storage
        self.hub = hub
        self.clock = clock
        self.housekeeping_seconds = housekeeping_seconds  # real seconds between closing and forgetting past days
        self._housekeeping_said = background.Outage(
            log, "housekeeping (closing past days, late bookings, old idempotency keys)", self._unavailable
        )
        self.effects = effects
        self.sent_to_outbox = sent_to_outbox  # told after a commit that wrote messages (the deliverer wakes)
        # Told after each commit: its events (numbered) and how long the write took (web/metrics.py).
        self.observers: list[Callable[[list[Event], float], None]] = []
        self.states: dict[str, SiteState] = {}
        self._queue: asyncio.Queue[_Job] = asyncio.Queue()
        self._inflight: dict[str, tuple[str | None, asyncio.Future[Outcome]]] = {}  # key's scope -> (print, future)
        self._task: asyncio.Task[None] | None = None
        self._day_task: asyncio.Task[None] | None = None
        self._generation = 0  # bumped when a write fails and the state is reloaded: commands decided before are void
        # A reload after a failed write failed too: the state may hold what never reached the database (a ticket, a
        # call). Nothing is decided on it, and it is not followed, until a reload works (_recovered).
        self._unsure = False
        # From the first failed write until a reload works: what this process's screens had been given, per site
        # (_publish_since sends them what was committed beyond it).
        self._shown: dict[str, int] | None = None
        # Sites whose state held decisions that were never written (a failed write, a batch decided on top of it):
        # their screens may have been given them (a snapshot, a notice), and are sent a fresh snapshot once the state
        # is the database's again (_resync).
        self._lost: set[str] = set()
        self._retry_reload_at = 0.0
        self._recovering: asyncio.Future[None] | None = None  # the one reading back of the state under way
        self._unwritten: list[_Decided] = []  # decided and applied, waiting for the next transaction
        self._writing: asyncio.Task[None] | None = None  # the transaction being written
        self._stored_keys = StoredKeys()  # idempotency keys with a stored answer (loaded with the state)
        self._next_key_pruning: datetime | None = None  # on the engine's clock: the next forget_old_idempotency_keys
        # Shared storage (several processes): per site, the seq of the newest event in its state, and one lock
        # under which this process catches up, decides and writes (the writer and the follower take turns).
        self.heads: dict[str, int] = {}
        self._sync = asyncio.Lock()
        # A site whose lock another process held past the lock wait: its commands are refused at once until then
        # (time.monotonic()), so one stuck mall costs this process's other malls one lock wait, not one per command.
        self._busy_until: dict[str, float] = {}
        self._follower: asyncio.Task[None] | None = None
        self._history_day: dict[str, date] = {}  # per site: the day its service-time history was read for
        # A server clock that runs ahead must not close the real day (docs/deployment.md, "The server's clock"):
        # a past day is closed by itself only when the clock looks right. Doubtful: the newest trusted event of the
        # site is more than `max_event_gap` before now (e.g. started with a wrong date), or the wall clock jumped
        # ahead of the monotonic one while running. Then the day stays open and `clock_doubts` says why (an alert),
        # until a supervisor closes that day by hand or the clock comes back.
        self.max_event_gap: timedelta | None = timedelta(hours=24)
        self.last_event_at: dict[str, datetime] = {}
        # Per site, the newest event stamped while the clock was not in doubt: at start-up the log's newest, before
        # this process stamps any. Events stamped while in doubt do not move it: a ticket taken on a clock two days
        # ahead must not vouch for that clock (an outside review saw it do so, and the real day closed a minute
        # later). Judged once before the first command, then each housekeeping round.
        self.trusted_event_at: dict[str, datetime] = {}
        self.clock_doubts: dict[str, dict[str, Any]] = {}
        # Writes failing since (`since`, `error`, `full`: the disk full, `kind`: the exception's class, all the public
        # /healthz names of it: the text may name a path or the database's host), until one goes through: /healthz,
        # the metric mpp_storage_failing and the supervisor's alert. A full disk refused every command 503 while
        # /healthz said "ok" and the dashboard nothing (outside review); so did PostgreSQL stopped.
        self.write_failure: dict[str, Any] | None = None
        self.watch_clock = False  # compare the clock with the monotonic one (only the machine's real clock)
        # Per site: the largest jump ahead of the wall clock seen while running, kept until a doubt it raised ends.
        self._jumped: dict[str, timedelta] = {}
        self._last_round: tuple[datetime, float] | None = None  # (wall, monotonic) of the last housekeeping

    def now(self) -> datetime:
        """The engine's clock: every decision is made at this time."""
        return self.clock()

    def state(self, site_id: str) -> SiteState:
        """A hosted site's live state (read-only for callers: only `apply`, inside the engine, changes it)."""
        return self.states[site_id]

    def seq(self, site_id: str) -> int:
        """The seq a client of the site is up to when given the state now: on shared storage the site's own head
        (events of other sites may commit out of seq order, postgresql_storage.py), else the log's newest."""
        return self.heads.get(site_id, 0) if self.storage.shared else self.storage.last_seq

    async def start(self) -> None:
        await self.forget_old_idempotency_keys()  # before loading what is left of them
        self._next_key_pruning = self.clock() + KEY_PRUNING_EVERY
        await self._load(starting=True)
        now = self.clock()
        for site_id, state in self.states.items():  # before anything is stamped with this clock (a site file's change)
            self._judge_clock(site_id, state, now, self._stale(state, state.site.service_day(now)))
        self._task = asyncio.create_task(self._run(), name="engine-writer")
        if self.storage.shared:
            self._follower = asyncio.create_task(self._follow_forever(), name="engine-follower")
        # Once before the first request: a server started the morning after never shows yesterday's line as
        # waiting, not even for the moment a background task would take to close it. And before a configuration is
        # judged against the day: yesterday's tickets left open are expired, not in use.
        await self._housekeep()
        async with self._sync:  # the follower (shared storage) never reads a site while it is left out
            self._confirm_start()
        if self.applies_files:
            await self._files_take_over()
        self._day_task = asyncio.create_task(self._housekeep_forever(), name="engine-day-closer")

    def _confirm_start(self) -> None:
        """A site starting with a configuration its day did not run under (_configured says why) is checked against
        the day as the same change made on the web would be (check_live_day, every letter looked up, since what the
        day ran under is not known). Refused: the site is left out (`left_out`) while others are served; when every
        site is refused (one mall, say), StartRefused, and nothing is served."""
        now = self.clock()
        refused: list[StartRefused] = []
        for site_id, why in sorted(self._unconfirmed.items()):
            state = self.states[site_id]
            try:
                check_live_day(state, state.site, now)
            except Refusal as refusal:
                refused.append(StartRefused(site_id, why, refusal))
                continue
            state.reconfigure(state.site, state.configuration)  # the counters it no longer has go (they are closed)
        self._unconfirmed.clear()
        if refused and len(refused) == len(self.states):
            raise refused[0]
        for exc in refused:
            self.left_out.append(left_out.from_day(exc.site_id, self.states[exc.site_id].site.name, str(exc)))
            self._forget_site(exc.site_id)

    def _forget_site(self, site_id: str) -> None:
        """A site left out at start-up: nothing of it stays, so nothing of it runs (commands, housekeeping, following
        the other processes' events, the sites every other part of the server shares)."""
        for held in (self.sites, self.states, self.heads, self._file_sites, self.files, self._written_digests,
                     self._remembered, self.configuration_alerts, self.clock_doubts, self.last_event_at,
                     self.trusted_event_at, self._history_day, self._jumped):  # fmt: skip
            held.pop(site_id, None)

    async def _files_take_over(self) -> None:
        """A site file never applied before, different from the one the stored configuration was made from: the
        file wins, as a new version (those who keep their configuration in git edit the file and restart), and it
        joins the site's history of files applied. Refused when the file removes what is still in use today; the
        stored configuration then stays and the log says why. A file applied before but replaced since is older (a
        machine not yet updated, settings/site_history.py): not applied, said in the log and by an alert."""
        if self.parse is None:  # tools and pipeline tests: the site files are the configuration, nothing is stored
            return
        for site_id, document in self.files.items():
            state = self.states.get(site_id)
            if state is None or state.mirrored:
                continue
            digest = document_digest(document)
            history = await self.storage.site_file_history(site_id)
            first = self._remembered.get(site_id)
            if first is not None and document_digest(first) not in {row.digest for row in history}:
                # The first file served, before the history was kept (migration 0020 finds only the log's): known
                # from the database's memory of it, not when or where.
                history.append(site_history.AppliedFile(site_id, document_digest(first), 0, "", "", 0, ""))
                await self.storage.record_site_file(history[-1])
            standing = site_history.standing((digest, self._written_digests[site_id]), state.configuration.file_hash,
                                             history)  # fmt: skip
            if standing == "current":
                continue
            if standing == "older":
                if document != state.configuration.document:  # what the site runs: Settings went back to it
                    self._older_file(site_id, state, history)
                continue
            command = c.Configure(self._file_sites[site_id], document, "file", digest, None)
            # What the file changes, by name, as a web save says it: a file replacing changes made on the web
            # (hours, quotas) must say which, in the audit log and the server's log.
            changes = describe_changes(state.site, self._file_sites[site_id], state.configuration.document, document)
            audit = AuditRecord("site file", "system", "site.configure", f"site {site_id}",
                                {"version": state.configuration.version + 1, "source": "file",
                                 "changes": changes_sentence(changes)})  # fmt: skip
            try:
                before = "made on the web" if state.configuration.source == "web" else "of the site file served before"
                outcome = await self.submit(site_id, command, lambda events, state: {}, audit=audit)
                # In words, as the Settings page says them: the audit's "~site.enforce_hours" read as noise.
                log.warning("site %s: the changed site file replaces the configuration %s: %s", site_id, before,
                            changes_in_words(changes))  # fmt: skip
                if outcome.events:  # not when another process applied the same file a moment before
                    await self._record_file(site_id, digest, self.states[site_id].configuration.version)
            except StorageUnavailable as exc:
                log.warning("site %s: the changed site file is not applied (%s); the configuration %s stays until it "
                            "can be", site_id, exc, before)  # fmt: skip
            except Refusal as exc:  # a refusal of the day, to be done something about: said as the dashboard says it
                reason, reason_en = refusal_messages(exc)
                waiting = {"version": state.configuration.version, "code": exc.code, "reason": reason,
                           "reason_en": reason_en}  # fmt: skip
                self.configuration_alerts.setdefault(site_id, {})["site_file_waiting"] = waiting
                log.warning("site %s: %s / %s", site_id, messages.text("alert", "site_file_waiting", "id", waiting),
                            messages.text("alert", "site_file_waiting", "en", waiting))  # fmt: skip
        for site_id, state in self.states.items():
            # Nothing stored yet: remember which file is served, so that a later file is checked against it too.
            document = state.configuration.document
            if state.configuration.version == 0 and document and document != self._remembered.get(site_id):
                await self.storage.remember_site_file(site_id, document, self.heads.get(site_id, 0))
                self._remembered[site_id] = document
                await self._record_file(site_id, state.configuration.file_hash, 0)

    async def _record_file(self, site_id: str, digest: str, version: int) -> None:
        """A site file of this process put into service: added to the site's history (settings/site_history.py)."""
        at = self.clock().astimezone(UTC).isoformat()
        path = self.paths.get(site_id, "")
        await self.storage.record_site_file(site_history.this_process(site_id, digest, version, at, path))

    def _older_file(self, site_id: str, state: SiteState, history: list[site_history.AppliedFile]) -> None:
        """This machine's site file was applied once and replaced since: applying it again would undo the newer
        one. The stored configuration stays; the log and the dashboards say where the newer file was applied."""
        newer = site_history.last_applied(state.configuration.file_hash, history)
        facts = site_history.older_facts(newer, state.configuration.version)
        said = site_history.said(facts, state.site.local)
        log.warning("site %s: %s / %s", site_id, messages.text("alert", "site_file_older", "id", said),
                    messages.text("alert", "site_file_older", "en", said))  # fmt: skip
        self.configuration_alerts.setdefault(site_id, {})["site_file_older"] = facts

    async def stop(self) -> None:
        for task in (self._follower, self._day_task, self._task, self._recovering):
            if task is not None:
                task.cancel()
                try:
                    await task
                except asyncio.CancelledError:
                    pass
        await self._written()  # what was decided is written and answered, not dropped

    async def configured_sites(self) -> dict[str, Site]:
        """Each site as a server started now would serve it before any change (_configured), read without starting:
        what the command line checks an account's agency or a device's screen against, the Settings page's
        agencies and screens included."""
        now = self.clock()
        sites = {}
        for site_id, from_file in self._file_sites.items():
            loaded = await self.storage.load_site(site_id, from_file.service_day(now))
            sites[site_id] = self._configured(site_id, loaded.configuration, loaded.site_file)[0]
        return sites

    def _configured(
        self, site_id: str, stored: dict[str, Any] | None, remembered: dict[str, Any] | None = None
    ) -> tuple[Site, Configuration, str | None]:
        """The site a site starts as, where its configuration stands, and why that configuration must still pass the
        live day's checks before anything is served (None: it is the one the day ran under).

        The day ran under the stored configuration (the last one put into service, on the web or from a site file),
        else under the site file served before (remembered): that one is served, and a site file changed since is
        submitted afterwards as a change (_files_take_over). One whose WhatsApp/SMS gateway alone cannot be read here
        (a ${VARIABLE} of its headers not set in this process) is served without the gateway (_in_force). One that
        cannot be read at all, and a database that never served a site file, leave this site file: start() checks it
        against the day first (_confirm_start)."""
        document = self.files.get(site_id, {})
        from_file = Configuration(0, "file", document_digest(document) if document else "", document)
        if self.parse is None:  # tools and pipeline tests: the site files are the configuration, nothing is stored
            return self._file_sites[site_id], from_file, None
        if stored is not None:
            configuration = Configuration.from_data(stored)
            # Stored by an older release as its site file wrote it (`mon = "08:00-15:00"`): served with lists.
            configuration = replace(configuration, document=normalised_document(configuration.document))
            try:
                return self._in_force(site_id, configuration), configuration, None
            except SiteFileError as exc:  # e.g. a check of this release the stored configuration does not pass
                problems = "; ".join(exc.problems)
                log.error("site %s: the stored configuration (version %d) cannot be read here (%s); the site file is "
                          "served in its place if today's tickets allow it", site_id, configuration.version,
                          problems)  # fmt: skip
                alerts = self.configuration_alerts.setdefault(site_id, {})
                alerts["configuration_unreadable"] = {"version": configuration.version}
                fallback = Configuration(configuration.version, "file", from_file.file_hash, document)
                why = f"the stored configuration (version {configuration.version}) cannot be read here ({problems})"
                return self._file_sites[site_id], fallback, why
        remembered = normalised_document(remembered) if remembered else None
        if remembered is None:
            return self._file_sites[site_id], from_file, "no site file was served from this database before"
        if document and remembered != document:  # a site file changed since: it starts as the one served before
            served = Configuration(0, "file", document_digest(remembered), remembered)
            try:
                return self._in_force(site_id, served), served, None
            except SiteFileError as exc:  # written by an older release, say: the file as it is now, checked
                why = f"the site file served before cannot be read here ({'; '.join(exc.problems)})"
                log.error("site %s: %s; the site file given is served in its place if today's tickets allow it",
                          site_id, why)  # fmt: skip
                return self._file_sites[site_id], from_file, why
        return self._file_sites[site_id], from_file, None

    def _in_force(self, site_id: str, configuration: Configuration) -> Site:
        """The Site of the configuration the day runs under. One whose WhatsApp/SMS gateway alone cannot be read here
        (a ${VARIABLE} of its headers not set in this process: an environment file not loaded, a variable renamed) is
        served without it: the day goes on exactly as configured, and only citizens' messages wait (the supervisor's
        alert says why; a site file would not do, as it may differ from what today's tickets were issued under).
        Anything else unreadable: SiteFileError."""
        try:
            return self._parse(site_id, configuration.document)
        except SiteFileError as exc:
            unreadable = exc
        bare = without_gateway(configuration.document)
        try:
            site = self._parse(site_id, bare) if bare is not None else None
        except SiteFileError:
            site = None
        if site is None:
            raise unreadable
        log.error("site %s: the WhatsApp/SMS gateway of configuration version %d cannot be used here (%s): served as "
                  "configured, without messages to citizens, until the server starts with it readable", site_id,
                  configuration.version, "; ".join(unreadable.problems))  # fmt: skip
        return site

    async def _load(self, *, starting: bool = False) -> None:
        """Every site's state from the database. `starting`: the first load of this process, before anything is
        served (a reload after a failed write keeps what start-up decided).

        The states are put in place together, once all are read, and the generation moves on in the same step: the
        writer task may decide while this awaits the database, and what it decides must land on the old state (then
        void, see _commit), never on a new one while counting as decided before it: refused, its ticket or call
        stayed in the state read back (a number skipped, a phantom on every screen's next snapshot)."""
        now = self.clock()
        states: dict[str, SiteState] = {}
        heads: dict[str, int] = {}
        for site_id in list(self.sites):
            loaded = await self.storage.load_site(site_id, self._file_sites[site_id].service_day(now))
            if loaded.relayed_head and site_id not in self.mirrored:
                # Its log came from its own server: a command here (a day closed by the command line, a server
                # started without --mirror) would fork the copy from the mall. It stays read only.
                log.warning("site %s holds a log sent up from its own server (up to its event %d): it is shown, "
                            "not served, here; start with --mirror %s to say so",
                            site_id, loaded.relayed_head, site_id)  # fmt: skip
                self.mirrored |= {site_id}
            elif site_id in self.mirrored and loaded.head and not loaded.relayed_head:
                # Served here until now (or taken over from its box: queue-server mirror take-over): a box's log
                # would be mixed into this one. It stays served here, and an uplink for it is refused.
                log.error("site %s has a log of its own here (up to event %d), not one sent up from its own server: "
                          "--mirror %s is ignored and it is served here", site_id, loaded.head, site_id)  # fmt: skip
                self.mirrored -= {site_id}
            site, configuration, unconfirmed = self._configured(site_id, loaded.configuration, loaded.site_file)
            if loaded.site_file is not None:
                self._remembered[site_id] = normalised_document(loaded.site_file)
            self.sites[site_id] = site
            state = SiteState(site, configuration=configuration, mirrored=site_id in self.mirrored)
            state.relayed_head = loaded.relayed_head
            # A site to be checked at start keeps every counter for now: one open that its file no longer has is
            # in use (check_live_day), and goes once the check passes.
            if starting and unconfirmed is not None and site_id not in self.mirrored:
                self._unconfirmed[site_id] = unconfirmed
            for counter in loaded.counters:
                if counter.id in site.counters or site_id in self._unconfirmed:
                    state.counters[counter.id] = counter
            state.closed_days = loaded.closed_days
            state.closed_reasons = loaded.closed_reasons
            state.running_text = loaded.running_text
            state.running_text_withheld = loaded.running_text_withheld
            state.issuing_paused = {s: IssuingPause.from_dict(p) for s, p in loaded.issuing_paused.items()}
            state.configuration_withheld = configuration_withheld(loaded.configuration)
            for ticket in sorted(loaded.tickets, key=lambda t: (t.issued_at, t.id)):
                state.put_ticket(ticket)
                if ticket.parent is None:
                    state.count_issued(ticket)
            for booking in loaded.bookings:
                state.put_booking(booking)
            states[site_id] = state
            heads[site_id] = loaded.head
            # On SQLite a write whose COMMIT went through as its writer process died was answered as failed: the
            # next one must number its events after it, not on top of it.
            self.storage.last_seq = max(self.storage.last_seq, loaded.head)
            newest = await self.storage.event(site_id, loaded.head) if loaded.head else None
            if newest is not None:
                self.last_event_at[site_id] = newest.at
                self.trusted_event_at.setdefault(site_id, newest.at)  # a reload keeps what this process trusts
            await self._learn_history(state, site.service_day(now))
        # Every key with a record, whatever its age: one missing here would be decided again and its record's
        # INSERT would then fail a whole batch. start() deletes the old ones first.
        keys = StoredKeys(await self.storage.idempotency_keys())
        self.states.update(states)
        self.heads.update(heads)
        self._stored_keys = keys
        self._generation += 1

    # --- submitting --------------------------------------------------------------------------------

    async def submit(
        self,
        site_id: str,
        command: c.Command,
        respond: Responder,
        *,
        idem_key: str | None = None,
        status: int = 200,
        audit: AuditRecord | None = None,
        contact: ContactRow | None = None,
    ) -> Outcome:
        """Run one command. With `idem_key`, a repeat returns the first answer and changes nothing.

        With `audit`, the audit entry is written in the command's own transaction: logged if and only if done;
        with `contact`, likewise the citizen's (encrypted) number, if the command produced events."""
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        scope, fingerprint = split_key(idem_key) if idem_key is not None else ("", None)
        if idem_key is not None:
            running = self._inflight.get(scope)
            if running is not None and running[0] == fingerprint:
                outcome = await asyncio.shield(running[1])
                return Outcome(outcome.status, outcome.body, [], replayed=True)
            if running is not None or self._stored_keys.reused(idem_key):
                raise Refusal("idempotency_key_reused")
            # Registered before the first await, so a twin request arriving meanwhile waits for this one instead
            # of also reaching the writer (which would make two tickets for one key).
            self._inflight[scope] = (fingerprint, future)
        try:
            # A key seen before is answered from its stored record by the writer task, which looks up a whole
            # batch's keys in one query (one reader round trip per request cost ~30 % of issuing throughput).
            self._queue.put_nowait(_Job(site_id, command, respond, idem_key, status, future, audit, contact))
            # From here the writer owns the future; a caller that goes away changes nothing.
            return await asyncio.shield(future)
        finally:
            if idem_key is not None and self._inflight.get(scope, (None, None))[1] is future:
                del self._inflight[scope]

    # --- the writer --------------------------------------------------------------------------------

    async def _run(self) -> None:
        """Decide every command as soon as it arrives; write whatever has been decided whenever the writer is free.

        Group commit without a pipeline limit: while one transaction is being written, the commands arriving
        meanwhile are decided at once and wait together for the next transaction, which starts the moment the
        current one ends. The event loop never waits for a COMMIT to decide, and no command waits for a write it
        is not in. Transactions are still written, answered and published strictly in order, one at a time.
        """
        while True:
            jobs = [await self._queue.get()]
            while len(jobs) < MAX_BATCH and not self._queue.empty():
                jobs.append(self._queue.get_nowait())
            if not await self._recovered():
                self._fail(jobs, StorageUnavailable("the state could not be read back from the database"))
                continue
            if self.storage.shared:
                await self._run_locked(jobs)
                continue
            jobs = await self._answer_repeats(jobs)
            try:
                decided = self._decide(jobs)
            except Exception:  # the writer must survive anything a single batch does
                log.exception("engine batch failed; reloading state from the database")
                self._lost.update(job.site for job in jobs)
                await self._written()  # what was decided before is in the database before the reload reads it
                await self._reload()
                self._fail(jobs, StorageUnavailable("internal error"))
                continue
            self._unwritten.extend(decided)
            if self._writing is None:
                self._write_next()

    async def _run_locked(self, jobs: list[_Job]) -> None:
        """One batch on shared storage (several processes): lock the batch's sites, catch up with what the other
        processes committed, decide, write, commit; only then answer and publish. No pipelining: the next batch
        must be decided on this one's committed state, under the same locks (postgresql_storage.py)."""
        now = time.monotonic()
        busy = {job.site for job in jobs if self._busy_until.get(job.site, 0.0) > now}
        if busy:
            self._fail([job for job in jobs if job.site in busy], _busy_refusal(busy))
            jobs = [job for job in jobs if job.site not in busy]
            if not jobs:
                return
        sites = sorted({job.site for job in jobs if job.site in self.states})
        try:
            async with self._sync, self.storage.locked(sites) as tx:
                for site_id in sites:
                    self._apply_committed(site_id, await tx.events_after(site_id, self.heads[site_id]))
                keys = [job.idem_key for job in jobs if job.idem_key is not None]
                stored = await tx.idempotent_results(keys) if keys else {}
                jobs = self._answer_from(jobs, stored)
                decided = self._decide(jobs)
                started = time.perf_counter()
                numbered = await tx.write(self._batch(decided)) if decided else []
                took = time.perf_counter() - started
        except SitesBusy as exc:  # nothing read, decided or written: no reload
            if len(sites) > 1:  # which one is held is not known: each site alone, so only its commands wait
                for site_id in sorted({job.site for job in jobs}):
                    await self._run_locked([job for job in jobs if job.site == site_id])
                return
            log.warning("%s; its commands are refused for %g s", exc, BUSY_SECONDS)
            self._busy_until.update(dict.fromkeys(exc.sites, time.monotonic() + BUSY_SECONDS))
            self._fail(jobs, _busy_refusal(set(exc.sites)))
            return
        except Exception as exc:  # unreachable database, a lost connection, a failed statement: nothing committed
            self.write_failed(exc)  # said on /healthz and the dashboard as on SQLite: the database away, its disk full
            self._lost.update(job.site for job in jobs)  # decided on the state, some perhaps, and not written
            if isinstance(exc, TimeoutError):
                self._reload_soon()
            else:
                await self._reload()
            self._fail(jobs, StorageUnavailable(f"{type(exc).__name__}: {exc}"))
            return
        self.written()
        for event in numbered:
            self.heads[event.site] = event.seq
        self._answer(decided, numbered, took)

    def _apply_committed(self, site_id: str, events: list[Event]) -> None:
        """Events another process committed: into the state, and out to this process's screens."""
        if not events:
            return
        state = self.states[site_id]
        for event in events:
            if event.type == ev.SITE_CONFIGURED and "site" not in event.objects:
                event.objects["site"] = self._parse_logged(state, event)
            self._apply(state, event)
        self.heads[site_id] = events[-1].seq
        self.storage.last_seq = max(self.storage.last_seq, events[-1].seq)
        asyncio.get_running_loop().call_soon(self.hub.publish, events)

    async def _follow_forever(self) -> None:
        """Keep every site's state and screens up with the other processes: woken by their notifications, and
        every FOLLOW_SECONDS by comparing the heads (a notification can be lost); after a lost connection, a new
        one and a full comparison. Commands never wait for this: they catch up under their own lock."""
        failing = False  # said once per outage, not once a second
        while True:
            try:
                async with self.storage.notifications() as notifications:
                    await self._catch_up(await self.storage.heads())
                    if failing:
                        log.warning("following the other processes' events again")
                        failing = False
                    while True:
                        notified = await notifications.get(FOLLOW_SECONDS)
                        await self._catch_up(notified or await self.storage.heads())
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                reason = f"{type(exc).__name__}: {exc}"
                log.log(logging.DEBUG if failing else logging.WARNING, "following the other processes' events "
                        "failed (%s); trying again every second", reason)  # fmt: skip
                failing = True
                await asyncio.sleep(1)
                await self._compare_heads()

    async def _compare_heads(self) -> None:
        """The heads compared through the pool while no LISTEN connection can be opened (PostgreSQL refusing one
        more connection: max_connections, the role's limit), so the others' events still reach this process's
        screens within a second. Before, they reached them only once a LISTEN connection opened again, however
        long that took, while /healthz said "ok"; one outage line was all. Nothing is said if this fails too: the
        database is away, and the follower's line said so."""
        with contextlib.suppress(Exception):
            await self._catch_up(await self.storage.heads())

    async def catch_up(self, site_id: str) -> None:
        """Shared storage: bring the site's state up to what is committed now (a client arrived from another
        process, ahead of this one)."""
        if self.storage.shared and site_id in self.states:
            await self._catch_up({site_id: 2**62})

    async def _catch_up(self, heads: dict[str, int]) -> None:
        if not await self._recovered():  # the others' events on top of a state ahead of the database: no
            return
        behind = [site for site, seq in heads.items() if site in self.states and seq > self.heads.get(site, 0)]
        if not behind:
            return
        async with self._sync:
            for site_id in behind:
                while site_id in self.states:  # in pages: a process far behind does not read a whole day at once
                    events = await self.storage.events_after(site_id, self.heads[site_id], 1000)
                    self._apply_committed(site_id, events)
                    if len(events) < 1000:
                        break

    def _write_next(self) -> None:
        """Start writing everything decided so far (at most MAX_WRITE commands) as one transaction."""
        batch = self._unwritten[:MAX_WRITE]
        del self._unwritten[:MAX_WRITE]
        self._writing = asyncio.create_task(self._commit(batch))
        self._writing.add_done_callback(self._after_write)

    def _after_write(self, task: asyncio.Task[None]) -> None:
        self._writing = None
        if self._unwritten:
            self._write_next()

    async def _written(self) -> None:
        """Wait until everything decided so far is written (or refused)."""
        while self._writing is not None:
            task = self._writing
            await _finished(task)
            if self._writing is task:  # done, but its callback (_after_write) has not run yet: let it, not spin
                await asyncio.sleep(0)

    async def _answer_repeats(self, jobs: list[_Job]) -> list[_Job]:
        """Answer the jobs whose idempotency key already has a stored answer from it; return the others.

        Only keys known to have a record are looked up: a new key (nearly all of them) costs no read."""
        keys = [
            known
            for job in jobs
            if job.idem_key is not None
            # a record written before keys carried a fingerprint is stored under its scope alone (an upgrade)
            for known in (job.idem_key, split_key(job.idem_key)[0])
            if known in self._stored_keys
        ]
        if not keys:
            return jobs
        try:
            stored = await self.storage.idempotent_results(keys)
        except Exception as exc:
            log.exception("reading idempotency records failed")
            self._fail([job for job in jobs if job.idem_key is not None], StorageUnavailable(str(exc)))
            return [job for job in jobs if job.idem_key is None]
        return self._answer_from(jobs, stored)

    @staticmethod
    def _answer_from(jobs: list[_Job], stored: dict[str, tuple[int, str]]) -> list[_Job]:
        """Answer the jobs whose key has a stored answer from it, refuse those whose key's scope was recorded for
        another request (shared storage reads by scope); return the others."""
        recorded = {scope for scope, fingerprint in map(split_key, stored) if fingerprint is not None}
        others: list[_Job] = []
        for job in jobs:
            if job.idem_key is None:
                others.append(job)
                continue
            scope = split_key(job.idem_key)[0]
            # A record of a release before fingerprints is stored under the scope alone: a retry across the upgrade
            # is answered from it (it cannot tell another request apart; those records are gone in 48 hours).
            answer = stored.get(job.idem_key) or stored.get(scope)
            if answer is None and scope in recorded:
                if not job.future.done():
                    job.future.set_exception(Refusal("idempotency_key_reused"))
            elif answer is None:
                others.append(job)
            elif not job.future.done():
                job.future.set_result(Outcome(answer[0], wire_loads(answer[1]), [], replayed=True))
        return others

    def _decide(self, jobs: list[_Job]) -> list[_Decided]:
        """Decide each command against the live state and apply its events (before they are written: the
        next command must see them). Commands refused by the rules fail here and are not written."""
        decided: list[_Decided] = []
        for job in jobs:
            state = self.states.get(job.site)
            if state is None:
                job.future.set_exception(KeyError(job.site))
                continue
            try:
                events = decide(state, job.command, self.clock())
            except Refusal as exc:
                job.future.set_exception(exc)
                continue
            for event in events:
                self._apply(state, event)
            # A mirrored mall's messages are sent by its own box; a relay makes none here.
            relayed = isinstance(job.command, c.Relay)
            outbox = self.effects(events, state) if self.effects is not None and events and not relayed else []
            decided.append(_Decided(job, events, job.respond(events, state), self._generation, outbox))
        return decided

    def _apply(self, state: SiteState, event: Event) -> None:
        apply(state, event)
        self.last_event_at[event.site] = event.at
        trusted = self.trusted_event_at.get(event.site)
        if event.site not in self.clock_doubts and (trusted is None or event.at > trusted):
            self.trusted_event_at[event.site] = event.at
        if event.type == ev.SITE_CONFIGURED:
            self.sites[state.site.id] = state.site
            # A new configuration in force: the stored one that could not be read is no longer what is served.
            self.configuration_alerts.get(state.site.id, {}).pop("configuration_unreadable", None)
            for listener in self.reconfigured:
                listener(state.site.id)

    def _parse_logged(self, state: SiteState, event: Event) -> Site:
        """The Site of a configuration another process committed (and checked against the day). One whose gateway
        alone this process cannot read (a ${VARIABLE} unset here) is served without it, as at start-up (_in_force):
        the same services and letters as the other processes, which decide on the same tickets. One it cannot read at
        all leaves it on the site it has, said in the log, rather than stop following."""
        if self.parse is not None:
            logged = Configuration.from_data(event.data)
            try:
                return self._in_force(event.site, logged)
            except SiteFileError as exc:
                log.error("site %s: configuration version %s cannot be read here (%s); keeping the previous one",
                          event.site, logged.version, "; ".join(exc.problems))  # fmt: skip
        return state.site

    def parse_configuration(self, site_id: str, document: dict[str, Any]) -> Site:
        """A configuration document of the site as a Site, or SiteFileError (a relayed site.configured event)."""
        if self.parse is None:
            raise SiteFileError(site_id, ["this server reads no stored configuration"])
        return self._parse(site_id, document)

    def _parse(self, site_id: str, document: dict[str, Any]) -> Site:
        """A stored configuration as a Site. A mirrored mall's messages are its own box's business: its gateway
        (whose ${VARIABLE}s are set there, not here) is left out."""
        assert self.parse is not None
        if site_id in self.mirrored:
            document = {key: value for key, value in document.items() if key != "notify"}
        return self.parse(document)

    async def _commit(self, decided: list[_Decided]) -> None:
        """Write one transaction, then answer its callers and publish."""
        void = [d for d in decided if d.generation != self._generation]
        if void:
            # An earlier write failed and the state was reloaded from the database; these were decided on top of
            # the lost transaction (its numbers, its calls), so they are refused too.
            self._fail([d.job for d in void], StorageUnavailable("an earlier write failed"))
            # Applied to the state the reload replaced, which a screen may have been given meanwhile.
            self._lost.update(d.job.site for d in void if d.events)
            if not self._unsure:
                self._resync()
            decided = [d for d in decided if d.generation == self._generation]
            if not decided:
                return
        try:
            started = time.perf_counter()
            numbered = await self.storage.write(self._batch(decided))
            took = time.perf_counter() - started
        except Exception as exc:  # the batch's rows could not be built or written
            self.write_failed(exc)
            self._lost.update(d.job.site for d in decided if d.events)
            await self._reload()  # before answering: whoever sees the error sees the state without the batch
            self._fail([d.job for d in decided], StorageUnavailable(str(exc)))
            return
        self.written()
        self._answer(decided, numbered, took)

    def written(self) -> None:
        """A write went through (the pipeline's, or a sign-in's session): what failed before is over."""
        if self.write_failure is not None:
            log.warning("the database is written again (writes failed from %s)", self.write_failure["since"])
            self.write_failure = None

    def write_failed(self, exc: Exception) -> None:
        """Said once with its traceback, then one line a failure (a kiosk retrying every few seconds on a full disk
        would bury the log in tracebacks), and kept for /healthz and the alert until a write goes through. Also
        called for a write outside the pipeline that failed so (a sign-in's session)."""
        full = _disk_full(exc)
        # PostgreSQL failing other than by a full disk: stopped, paused or out of reach (the alert then sends the
        # technician to the database server, not to a disk).
        unreachable = self.storage.shared and not full
        said = {"error": str(exc) or type(exc).__name__, "full": full, "kind": deadlines.kind(exc),
                "unreachable": unreachable}  # fmt: skip
        if self.write_failure is None:
            log.exception("write failed; reloading state from the database%s", FULL_DISK_HINT if full else "")
            self.write_failure = {"since": self.clock(), **said}
        else:
            log.error("write failed again: %s: %s%s", type(exc).__name__, exc, FULL_DISK_HINT if full else "")
            self.write_failure.update(said)

    def _answer(self, decided: list[_Decided], numbered: list[Event], took: float) -> None:
        """After COMMIT: answer each caller with its events, then publish them."""
        now = self.clock().timestamp()  # at or after the records' created_at: kept listed a little longer, never less
        for d in decided:  # known before anyone is answered: a retry after the answer finds its record
            if d.job.idem_key is not None:
                self._stored_keys.add(d.job.idem_key, now)
        position = 0
        for d in decided:
            mine = numbered[position : position + len(d.events)]
            position += len(d.events)
            if not d.job.future.done():
                d.job.future.set_result(Outcome(d.job.status, d.body, mine))
        # Fan-out to every screen runs on the next loop turn, after the callers of this batch are woken: an
        # operator's answer no longer waits for a thousand displays (p50 43 -> 11 ms measured at 500 displays).
        # call_soon is FIFO, so batches still reach clients in seq order.
        asyncio.get_running_loop().call_soon(self.hub.publish, numbered)
        if self.sent_to_outbox is not None and any(d.outbox for d in decided):
            self.sent_to_outbox()
        for observer in self.observers:
            observer(numbered, took)

    async def _reload(self) -> None:
        """Back to what the database holds, after a failure left the in-memory state ahead of it.

        The generation moves on as the new state is put in place (_load): the writer task may decide the next batch
        while this awaits the database, still on the old state, and that batch must not pass for a new one.
        Failed (the database out of reach, locked by a migration): the state stays unsure until a reload works, and
        what was decided meanwhile is void. Done: the screens that may show a lost decision are corrected (_resync)."""
        try:
            async with self._sync:
                if self._shown is None:
                    self._shown = self._published_heads()
                await self._load()
                await self._publish_since(self._shown)
                self._shown = None
        except Exception:
            if not self._unsure:
                log.exception("reloading the state failed too; commands are refused until it can be read again")
            self._unsure = True
            self._retry_reload_at = time.monotonic() + RELOAD_RETRY_SECONDS
            self._generation += 1
        else:
            if self._unsure:
                log.warning("the state was read back from the database; commands are decided again")
            self._unsure = False
            self._resync()

    def _resync(self) -> None:
        """The screens of the sites whose decisions were lost get a fresh snapshot of the state as read back (after
        the events _publish_since sent, call_soon being FIFO). Cheaper than keeping a committed copy of every state
        for snapshots, and it also corrects a notice (a phone's place, a kiosk's view) rendered from a state ahead of
        the log; a failed write is rare."""
        sites, self._lost = self._lost, set()
        if sites:
            # the heads as the marker is queued: what a commit publishes after it comes after it in every queue
            asyncio.get_running_loop().call_soon(lambda: self.hub.resync({site: self.seq(site) for site in sites}))

    def _published_heads(self) -> dict[str, int]:
        """Per site, the newest event this process has given its screens: on shared storage its head (its own writes
        and what it followed), on SQLite the log's newest (every write is published as it commits)."""
        if self.storage.shared:
            return dict(self.heads)
        return dict.fromkeys(self.states, self.storage.last_seq)

    async def _publish_since(self, shown: dict[str, int]) -> None:
        """After a reload: the events committed that this process's screens were never given, out to them. The
        reload moves the heads to the database's, so neither the follower nor a command would send them: the events
        other processes committed while this one could not read its state (PostgreSQL coming back: another process
        issued and called first), or a write that committed though its answer was lost. Before, an outside review saw
        a lobby TV on that process never show a call made meanwhile (its last_seq stayed behind, so it never asked)."""
        for site_id, head in self.heads.items():
            after = shown.get(site_id)
            while after is not None and after < head:
                events = [e for e in await self.storage.events_after(site_id, after, 1000) if e.seq <= head]
                if not events:
                    break
                asyncio.get_running_loop().call_soon(self.hub.publish, events)
                after = events[-1].seq

    def _reload_soon(self) -> None:
        """After a write the database did not answer within its deadline (paused, out of reach): reading the state
        back at once would most likely wait as long again before its callers hear anything (a kiosk gives up after
        10 s). The state is unsure instead, so nothing is decided on it, and is read back by the follower or a
        command (_recovered) from RELOAD_RETRY_SECONDS on, as after a failed reload; the batch's callers, and those
        queued behind it meanwhile, are answered now."""
        if self._shown is None:
            self._shown = self._published_heads()
        self._unsure = True
        self._retry_reload_at = time.monotonic() + RELOAD_RETRY_SECONDS
        self._generation += 1

    async def _recovered(self) -> bool:
        """Whether the state may be decided on: after a failed reload it is read again first (at most every
        RELOAD_RETRY_SECONDS, by the writer or the follower); until that works, False. Before this, a process kept
        what its failed writes had decided (a call nobody made, tickets that exist nowhere) until it restarted."""
        if not self._unsure:
            return True
        if time.monotonic() < self._retry_reload_at:
            return False
        # One reading back at a time: the writer and the follower both ask, and on a database that does not answer
        # a second read would make its caller wait for the first's deadline and then its own.
        if self._recovering is None:
            self._recovering = asyncio.ensure_future(self._recover())
        await asyncio.shield(self._recovering)
        return not self._unsure

    async def _recover(self) -> None:
        try:
            await self._written()  # what is being written lands (or fails) before the reload reads
            await self._reload()
        finally:
            self._recovering = None

    def _batch(self, decided: list[_Decided]) -> Batch:
        all_events: list[Event] = []
        idempotency: list[tuple[str, int, str]] = []
        audit: list[tuple[int, AuditRecord]] = []
        outbox: list[OutboxRow] = []
        contacts: list[ContactRow] = []
        for d in decided:
            outbox.extend(d.outbox)
            if d.job.contact is not None and d.events:
                contacts.append(d.job.contact)
            if d.job.audit is not None and d.events:
                audit.append((len(all_events), d.job.audit))
            all_events.extend(d.events)
            if d.job.idem_key is not None:
                idempotency.append((d.job.idem_key, d.job.status, wire.dumps(d.body)))
        return Batch(all_events, idempotency, audit, made_at=self.clock(), outbox=outbox, contacts=contacts)

    @staticmethod
    def _fail(jobs: list[_Job], exc: Exception) -> None:
        for job in jobs:
            if not job.future.done():
                job.future.set_exception(exc)

    # --- day close ---------------------------------------------------------------------------------

    async def close_past_days(self) -> None:
        """Once a local day is over: expire its tickets left open (a server that ran through midnight), then
        forget every ticket and booking of it from memory, whether or not it had open tickets (they stay in the
        database: reports, survey answers and old links read them there)."""
        if self.watch_clock:
            self._watch_clock()
        now = self.clock()
        forgot = False
        for site_id, state in self.states.items():
            today = state.site.service_day(now)
            stale = self._stale(state, today)
            if self._judge_clock(site_id, state, now, stale):
                stale = False  # the past day stays open while the clock looks wrong
            if stale:
                yesterday = today - timedelta(days=1)
                try:
                    await self.submit(site_id, c.CloseDay(yesterday), lambda events, state: {})
                except StorageUnavailable:
                    raise  # the loop below logs it once and tries again in a minute
                except Refusal as exc:
                    if exc.key != "day_already_closed":  # another process closed it first
                        log.exception("automatic close of %s failed", site_id)
            # Synchronous, between two batches: a batch being decided never sees half a day forgotten. A ticket
            # still open (its close failed, or its command is still in flight) stays until the next round. A
            # mirrored mall's past days go when its own log closes them (apply).
            today = state.site.service_day(self.clock())
            if not state.mirrored:
                forgot |= state.forget_days_before(today)
            if self._history_day.get(site_id) != today:
                state.times.new_day()
                await self._learn_history(state, today)
        if forgot:
            # Free what the day held now, once a night, rather than at the next full collection: the server's
            # tuned collector (settings/runtime.py) runs one rarely, and a week's soak grew ~3 MiB a day without.
            gc.collect()

    @staticmethod
    def _stale(state: SiteState, today: date) -> bool:
        """Does a past day still hold open tickets? A scan of the tickets only when something of a past day is held
        (a look at a few days first): once a minute over hundreds of malls, a scan each would stall the loop."""
        return (
            not state.mirrored  # the mall closes its own days, and its log says so
            and state.holds_days_before(today)
            and any(t.state in EXPIRING_STATES and t.day < today for t in state.tickets.values())
        )

    def _judge_clock(self, site_id: str, state: SiteState, now: datetime, stale: bool) -> bool:
        """Does the clock look wrong for the site now? Kept in `clock_doubts` (the supervisor's alert) while it does.
        When a doubt ends (the day closed by hand, or the clock set right), the events stamped meanwhile that are not
        ahead of the clock are trusted: those a supervisor took the clock for."""
        doubt = self._clock_doubt(site_id, now, stale) if not state.mirrored else None
        if doubt is not None:
            if site_id not in self.clock_doubts:
                log.warning("site %s: the server's clock looks wrong: %s", site_id, doubt["reason"])
            self.clock_doubts[site_id] = doubt
            return True
        if self.clock_doubts.pop(site_id, None) is not None:
            self._jumped.pop(site_id, None)
            latest, trusted = self.last_event_at.get(site_id), self.trusted_event_at.get(site_id)
            if latest is not None and latest <= now and (trusted is None or latest > trusted):
                self.trusted_event_at[site_id] = latest
        return False

    def _clock_doubt(self, site_id: str, now: datetime, stale: bool) -> dict[str, Any] | None:
        """Why the clock may be wrong, or None: behind the site's newest trusted event (a flat CMOS battery on a LAN
        with no time server: tickets would be numbered on a wrong day), or, when a past day holds open tickets
        (`stale`), ahead of it (so that day must not be closed by itself)."""
        newest = self.trusted_event_at.get(site_id)
        if newest is not None and newest - now > CLOCK_SLACK:
            hours = (newest - now).total_seconds() / 3600
            return {"reason": f"the clock is {hours:.1f} h behind the newest event", "behind_hours": round(hours, 1),
                    "last_event_at": newest}  # fmt: skip
        if not stale:
            return None
        jumped = self._jumped.get(site_id)
        if jumped is not None:
            hours = jumped.total_seconds() / 3600
            return {"reason": f"the clock jumped {hours:.1f} h ahead while running", "jump_hours": round(hours, 1),
                    "last_event_at": newest}  # fmt: skip
        if self.max_event_gap is not None and newest is not None and now - newest > self.max_event_gap:
            hours = (now - newest).total_seconds() / 3600
            return {"reason": f"the newest event is {hours:.1f} h before the clock", "gap_hours": round(hours, 1),
                    "last_event_at": newest}  # fmt: skip
        return None

    def _watch_clock(self) -> None:
        """Once a housekeeping round: did the wall clock move more than the time that passed?"""
        wall, mono = self.clock(), _elapsed()
        if self._last_round is not None:
            ahead = (wall - self._last_round[0]) - timedelta(seconds=mono - self._last_round[1])
            if ahead > CLOCK_SLACK:
                log.warning("the server's clock jumped %s ahead; past days are not closed by themselves", ahead)
                for site_id, state in self.states.items():
                    if not state.mirrored:
                        self._jumped[site_id] = max(ahead, self._jumped.get(site_id, ahead))
        self._last_round = (wall, mono)

    async def _learn_history(self, state: SiteState, today: date) -> None:
        """The wait forecast's prior: how long each service took, and when each counter took its long break, on
        the same weekday of the last four weeks."""
        site = state.site
        days = [today - timedelta(weeks=k) for k in range(1, HISTORY_WEEKS + 1)]
        state.times.set_history(await self.storage.service_history(site.id, days))
        state.usual_breaks = {}
        if site.breaks is not None:
            midnight = [datetime(day.year, day.month, day.day, tzinfo=site.tz) for day in days]
            spans = [(start, start + timedelta(days=1)) for start in midnight]
            state.usual_breaks = usual_breaks(await self.storage.counter_moves(site.id, spans), site.breaks, site.tz)
        self._history_day[state.site.id] = today

    async def release_late_bookings(self) -> None:
        """Bookings whose check-in window has ended free their slot and online quota."""
        now = self.clock()
        for site_id, state in self.states.items():
            if not state.mirrored and any(
                b.state is BookingState.BOOKED and now > checkin_window(state, b)[1] for b in state.bookings.values()
            ):
                await self.submit(site_id, c.ReleaseLateBookings(), lambda events, state: {})

    async def forget_old_idempotency_keys(self) -> None:
        """Delete the idempotency records older than RETENTION, then stop listing their keys (in that order:
        a listed key without a record only costs a read; a record whose key is not listed would be missed).
        The server's clock, as the records' created_at (a simulated week must not keep a real week of keys)."""
        cutoff = self.clock() - RETENTION
        await self.storage.forget_idempotency_before(cutoff)
        self._stored_keys.forget_before(cutoff.timestamp() - 60)  # a minute's margin for julianday's rounding

    async def _housekeep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.housekeeping_seconds)
            await self._housekeep()

    async def _housekeep(self) -> None:
        """Close past days, release late bookings, forget old idempotency keys; never raises. The database away
        is said once until a round goes through again (a line a minute through an outage before), a bug in full;
        either way the next round, a minute later, tries again."""
        try:
            if not await self._recovered():  # also read back here: a quiet SQLite server has no other reader
                return
            await self.close_past_days()
            await self.release_late_bookings()
            if self._next_key_pruning is None or self.clock() >= self._next_key_pruning:
                await self.forget_old_idempotency_keys()  # a scan of two days of records: hourly is enough
                self._next_key_pruning = self.clock() + KEY_PRUNING_EVERY
        except Exception as exc:  # housekeeping must outlive any one failure
            self._housekeeping_said.failed(exc)
        else:
            self._housekeeping_said.went_through()

    def _unavailable(self, exc: BaseException) -> bool:
        """A failure of the database's (a write refused as StorageUnavailable, or the storage's own error), not a
        bug."""
        return isinstance(exc, StorageUnavailable) or self.storage.unavailable(exc)


def _elapsed() -> float:
    """Seconds on a clock nobody sets: the boot clock where there is one (it counts a suspended machine's sleep, so a
    laptop or VM woken in the morning is not a clock jump), else the monotonic one."""
    boot = getattr(time, "CLOCK_BOOTTIME", None)
    return time.clock_gettime(boot) if boot is not None else time.monotonic()


async def _finished(task: asyncio.Task[None] | None) -> None:
    """Wait for a commit task to end, however it ends (it answers its own callers)."""
    if task is not None and not task.done():
        await asyncio.wait([task])


def wire_loads(text: str) -> dict[str, Any]:
    value = json.loads(text)
    return value if isinstance(value, dict) else {}


def _disk_full(exc: BaseException) -> bool:
    """SQLite's SQLITE_FULL ("database or disk is full"), PostgreSQL's disk_full (53100: "No space left on device")
    or the system's ENOSPC."""
    said = str(exc).lower()
    return (
        getattr(exc, "sqlite_errorname", None) == "SQLITE_FULL"
        or getattr(exc, "sqlstate", None) == "53100"
        or getattr(exc, "errno", None) == errno.ENOSPC
        or "disk is full" in said
        or "no space left" in said
    )
