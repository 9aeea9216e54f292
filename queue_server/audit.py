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

from . import wire
from .auth import Principal
from .domain.decide import find_ticket
from .domain.model import DomainError
from .storage import AuditRecord, utc_iso

if TYPE_CHECKING:
    from .actions import Context
    from .reports import Period

# Counter commands that are more than working through the queue in order.
PRIVILEGED_COUNTER_COMMANDS = frozenset({"open", "resume", "pause", "close", "call", "requeue", "transfer"})
DEFAULT_LIMIT = 200
MAX_LIMIT = 1000


def entry(principal: Principal, action: str, target: str, **details: Any) -> AuditRecord:
    return AuditRecord(
        actor=principal.name,
        role=principal.role,
        action=action,
        target=target,
        details={k: v for k, v in details.items() if v is not None},
    )


def ticket_target(ctx: Context, site_id: str, ref: str) -> str:
    """A ticket's label when it can be found (what a supervisor recognises), else the reference as given."""
    state = ctx.state(site_id)
    try:
        ticket = find_ticket(state, ref, state.site.service_day(ctx.engine.clock()))
    except DomainError:
        return f"ticket {ref[:40]}"
    return f"ticket {ticket.label}"


def counter_entry(principal: Principal, command: str, counter_id: str, body: dict[str, Any]) -> AuditRecord | None:
    if command not in PRIVILEGED_COUNTER_COMMANDS:
        return None
    return entry(
        principal,
        f"counter.{command}",
        f"counter {counter_id}",
        ticket=body.get("ticket"),
        target_service=body.get("target_service"),
    )


async def read(ctx: Context, site_id: str, period: Period, limit: int, before: int | None) -> list[dict[str, Any]]:
    """Entries of a site over a period of local days, newest first; `before` pages back by entry id."""
    site = ctx.site(site_id)
    start = utc_iso(datetime.combine(period.start, time(0), tzinfo=site.tz))
    end = utc_iso(datetime.combine(period.end_exclusive, time(0), tzinfo=site.tz))
    rows = await ctx.engine.storage.query(
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
