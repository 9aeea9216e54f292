"""What a mirroring server knows of each mall mirrored there (docs/deployment.md, "Malls on their own boxes"): when
the mall's copy was last known complete or moving on (`synced_at`: a batch of its log taken here, or its box saying
that its log ends where the copy does), and the last refusal of that box's log (its code and when). The national
view shows a mirrored mall as connected only while its copy keeps up, and otherwise since when its data is held
back and why (supervision/national.py): a box that calls but whose batches are refused, or a second box claiming the
same mall, is not "connected".

Kept in the database (`mirror_status`, migration 0013), so it holds across a restart and every process of a
PostgreSQL server sees what the others took. A busy mall's box sends a batch a second: each process writes a site's
`synced_at` at most every SYNC_WRITE_SECONDS (and at once after a refusal), and remembers its own exact times, which
the national view of that process takes over the database's. A write that fails (the database away) is logged and
left: the next batch or GET writes it.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from queue_server.persistence.port import StoragePort

log = logging.getLogger(__name__)

SYNC_WRITE_SECONDS = 10.0
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

    def newer(self, other: MirrorSeen) -> MirrorSeen:
        """The newest of each: the later sync, and the later refusal."""
        synced = max((t for t in (self.synced_at, other.synced_at) if t is not None), default=None)
        refusal = max((self, other), key=lambda s: s.refused_at.timestamp() if s.refused_at else -math.inf)
        return MirrorSeen(synced, refusal.refused_code, refusal.refused_at)

    @property
    def refused_since_synced(self) -> bool:
        """Refused after the copy last kept up (or before it ever did)."""
        return self.refused_at is not None and (self.synced_at is None or self.refused_at >= self.synced_at)


class MirrorWatch:
    def __init__(self, storage: StoragePort, clock: Callable[[], float] = time.monotonic) -> None:
        self.storage = storage
        self.clock = clock
        self._local: dict[str, MirrorSeen] = {}  # what this process took, exact
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

    async def read(self) -> dict[str, MirrorSeen]:
        """Per mirrored mall, as the database holds it (what every process wrote)."""
        return {
            site: MirrorSeen(_moment(synced), code, _moment(refused))
            for site, (synced, code, refused) in (await self.storage.mirror_statuses()).items()
        }

    def with_local(self, stored: Mapping[str, MirrorSeen]) -> dict[str, MirrorSeen]:
        """`stored` (read) with this process's own newer times over it."""
        merged = dict(stored)
        for site, seen in self._local.items():
            merged[site] = seen.newer(merged[site]) if site in merged else seen
        return merged


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
