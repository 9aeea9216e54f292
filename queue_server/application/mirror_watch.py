"""What a mirroring server knows of each mall mirrored there (docs/deployment.md, "Malls on their own boxes"): when
the mall's copy was last known complete or moving on (`synced_at`: a batch of its log taken here, or its box saying
that its log ends where the copy does), the last refusal of that box's log (its code and when), and which of the
mall's screens have a display connected there, as its box last said in its heartbeat (and when). The national
view shows a mirrored mall as connected only while its copy keeps up, and otherwise since when its data is held
back and why (supervision/national.py): a box that calls but whose batches are refused, or a second box claiming the
same mall, is not "connected". A box that stops cleanly says so in a last heartbeat: the view shows its mall stopped,
since when, at once (not "connected" for 3 minutes, then "not heard from"), until the box is heard from again.

Kept in the database (`mirror_status`, migrations 0013, 0028 and 0029), so it holds across a restart and every
process of a PostgreSQL server sees what the others took. A busy mall's box sends a batch a second: each process
writes a site's `synced_at` at most every SYNC_WRITE_SECONDS (and at once after a refusal), and remembers its own
exact times, which the national view of that process takes over the database's. A write that fails (the database
away) is logged and left: the next batch or GET writes it.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from queue_server.persistence.port import StoragePort

log = logging.getLogger(__name__)

SYNC_WRITE_SECONDS = 10.0
# A box says which screens have a display on at least once a minute (outbound/uplink.py): a word older than this is
# a box gone silent, and its screens are not known any more.
SCREENS_FRESH = timedelta(minutes=3)
# The refusals of a box's log that are the box's doing (a storage failure here is not): their words are in
# common/messages.toml, [uplink_refused]. `uplink_behind` is no refusal raised: the box said its log ends before the
# copy (a box restored from an older backup), which it refuses itself.
RECORDED = (
    "uplink_event_invalid", "uplink_out_of_step", "uplink_forked", "uplink_behind", "site_not_mirrored",
    "invalid_field", "malformed_json", "body_too_large", "unsupported_media_type", "not_an_object",
)  # fmt: skip


@dataclass(frozen=True)
class MirrorSeen:
    """One mirrored mall's copy as this server knows it."""

    synced_at: datetime | None = None
    refused_code: str | None = None
    refused_at: datetime | None = None
    screens: frozenset[str] | None = None  # the screens with a display connected at the mall, as its box said
    screens_at: datetime | None = None  # when it said so
    stopped_at: datetime | None = None  # when its box last said it was stopping (its last heartbeat, a clean stop)

    def newer(self, other: MirrorSeen) -> MirrorSeen:
        """The newest of each: the later sync, the later refusal, the later word about the screens, the later stop."""
        synced = max((t for t in (self.synced_at, other.synced_at) if t is not None), default=None)
        refusal = max((self, other), key=lambda s: s.refused_at.timestamp() if s.refused_at else -math.inf)
        screens = max((self, other), key=lambda s: s.screens_at.timestamp() if s.screens_at else -math.inf)
        stopped = max((t for t in (self.stopped_at, other.stopped_at) if t is not None), default=None)
        said = (screens.screens, screens.screens_at)
        return MirrorSeen(synced, refusal.refused_code, refusal.refused_at, *said, stopped)

    @property
    def stopped(self) -> bool:
        """Its box said it was stopping, and has not been heard from since: every call of a box (re)started says
        where its log ends or which screens are on, or has a batch taken or refused, each kept later than the stop."""
        if self.stopped_at is None:
            return False
        since = [t for t in (self.synced_at, self.refused_at, self.screens_at) if t is not None]
        return all(t <= self.stopped_at for t in since)

    def screens_now(self, now: datetime) -> frozenset[str] | None:
        """The screens with a display on at the mall, as its box said within SCREENS_FRESH and not before it
        stopped; None: not known."""
        if self.screens is None or self.screens_at is None or now - self.screens_at > SCREENS_FRESH or self.stopped:
            return None
        return self.screens

    @property
    def refused_since_synced(self) -> bool:
        """Refused after the copy last kept up (or before it ever did)."""
        return self.refused_at is not None and (self.synced_at is None or self.refused_at >= self.synced_at)


class MirrorWatch:
    def __init__(self, storage: StoragePort, clock: Callable[[], float] = time.monotonic) -> None:
        self.storage = storage
        self.clock = clock
        self._local: dict[str, MirrorSeen] = {}  # what this process took, exact
        self._stored: dict[str, MirrorSeen] = {}  # what the database held at the last `read`
        self._synced_written: dict[str, tuple[datetime, float]] = {}  # per site: synced_at written, when (clock)
        self._refusal_written: dict[str, tuple[str, float]] = {}  # per site: the code written, when (clock)

    def mark_synced(self, site_id: str, at: datetime) -> None:
        """The mall's copy is complete, or moved on, at `at`: known to this process at once (synced writes it)."""
        seen = self._local.get(site_id, MirrorSeen())
        if seen.synced_at is None or seen.synced_at < at:
            self._local[site_id] = replace(seen, synced_at=at)

    async def synced(self, site_id: str, at: datetime) -> None:
        """The mall's copy is complete, or moved on, at `at`: marked, and written (SYNC_WRITE_SECONDS)."""
        self.mark_synced(site_id, at)
        seen = self._local[site_id]
        written = self._synced_written.get(site_id)
        refused_since = seen.refused_at is not None and (written is None or seen.refused_at >= written[0])
        if written is not None and not refused_since and self.clock() - written[1] < SYNC_WRITE_SECONDS:
            return
        try:
            await self.storage.mirror_synced(site_id, at)
        except Exception as exc:  # the database away: the next batch or GET writes it
            log.warning("site %s: when its copy was last complete could not be written: %s", site_id, exc)
            return
        self._synced_written[site_id] = (at, self.clock())

    async def refused(self, site_id: str, code: str, at: datetime) -> None:
        """The box's log was refused at `at` with `code` (one of RECORDED; any other is not the box's doing)."""
        if code not in RECORDED:
            return
        self._local[site_id] = replace(self._local.get(site_id, MirrorSeen()), refused_code=code, refused_at=at)
        written = self._refusal_written.get(site_id)
        if written is not None and written[0] == code and self.clock() - written[1] < SYNC_WRITE_SECONDS:
            return
        try:
            await self.storage.mirror_refused(site_id, code, at)
        except Exception as exc:
            log.warning("site %s: a refusal of its box's log could not be written: %s", site_id, exc)
            return
        self._refusal_written[site_id] = (code, self.clock())

    async def screens_shown(self, site_id: str, screens: frozenset[str], at: datetime) -> None:
        """The mall's box said at `at` which of its screens have a display connected (its heartbeat, once a minute):
        known to this process at once, and written."""
        self._local[site_id] = replace(self._local.get(site_id, MirrorSeen()), screens=screens, screens_at=at)
        try:
            await self.storage.mirror_screens(site_id, sorted(screens), at)
        except Exception as exc:  # the database away: the next heartbeat writes it
            log.warning("site %s: the screens its box said are connected could not be written: %s", site_id, exc)

    async def stopped(self, site_id: str, at: datetime) -> None:
        """The mall's box said at `at` that it is stopping (a clean stop): known to this process at once, and
        written."""
        self._local[site_id] = replace(self._local.get(site_id, MirrorSeen()), stopped_at=at)
        try:
            await self.storage.mirror_stopped(site_id, at)
        except Exception as exc:  # the database away: this process knows it; the others see it silent in 3 minutes
            log.warning("site %s: that its box is stopping could not be written: %s", site_id, exc)

    async def read(self) -> dict[str, MirrorSeen]:
        """Per mirrored mall, as the database holds it (what every process wrote); kept for `known`."""
        self._stored = {
            site: MirrorSeen(
                _moment(row.synced_at),
                row.refused_code,
                _moment(row.refused_at),
                frozenset(row.screens_shown) if row.screens_shown is not None else None,
                _moment(row.screens_at),
                _moment(row.stopped_at),
            )
            for site, row in (await self.storage.mirror_statuses()).items()
        }
        return dict(self._stored)

    def known(self, site_id: str) -> MirrorSeen:
        """The mall's copy as known without asking the database: the last `read`, with this process's own newer."""
        return self.with_local(self._stored).get(site_id, MirrorSeen())

    def with_local(self, stored: Mapping[str, MirrorSeen]) -> dict[str, MirrorSeen]:
        """`stored` (read) with this process's own newer times over it."""
        merged = dict(stored)
        for site, seen in self._local.items():
            merged[site] = seen.newer(merged[site]) if site in merged else seen
        return merged


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
