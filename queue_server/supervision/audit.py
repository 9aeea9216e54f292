"""The audit log of privileged actions: who did what, to what, when.

An entry is handed to the engine with its command and written in the command's own transaction, so an action is
logged if and only if it happened (a refused or failed command leaves no entry; a retried one, no second entry).
Routine counter work (call next, recall, start, finish, no-show) is already in the event log and is not repeated
here; what is logged is what goes beyond it: opening, pausing and closing counters, calling out of order,
requeueing and moving tickets, cancelling, closing the day and changing the running text.
"""

from __future__ import annotations

import json
from datetime import datetime, time
from typing import TYPE_CHECKING, Any

from queue_server.live import wire
from queue_server.persistence.storage import utc_iso

if TYPE_CHECKING:
    from queue_server.application.context import Context
    from queue_server.supervision.reports import Period

DEFAULT_LIMIT = 200
MAX_LIMIT = 1000


async def read(ctx: Context, site_id: str, period: Period, limit: int, before: int | None) -> list[dict[str, Any]]:
    """Entries of a site over a period of local days, newest first; `before` pages back by entry id."""
    site = ctx.site(site_id)
    start = utc_iso(datetime.combine(period.start, time(0), tzinfo=site.tz))
    end = utc_iso(datetime.combine(period.end_exclusive, time(0), tzinfo=site.tz))
    rows = await ctx.storage.query(
        "SELECT id, at, actor, role, action, target, details, seq FROM audit "
        "WHERE site = ? AND at >= ? AND at < ? AND id < ? ORDER BY id DESC LIMIT ?",
        (site_id, start, end, before if before is not None else 2**62, limit),
    )
    return [
        {
            "id": row[0],
            "at": wire.local_iso(datetime.fromisoformat(row[1]), site),
            "actor": row[2],
            "role": row[3],
            "action": row[4],
            "target": row[5],
            "details": json.loads(row[6]),
            "seq": row[7],
        }
        for row in rows
    ]
