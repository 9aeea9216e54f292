"""Audit entries for privileged actions, built by the action that is audited and handed to the engine with its
command (so an entry is written in the command's own transaction). Reading the log is supervision's
(`supervision/audit.py`)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from queue_server.application.auth import Principal
from queue_server.common import messages
from queue_server.domain.catalogue import Site
from queue_server.domain.decide import find_ticket
from queue_server.domain.refusal import Refusal
from queue_server.persistence.port import utc_iso
from queue_server.persistence.storage import AuditRecord

if TYPE_CHECKING:
    from queue_server.application.context import Context

# Counter commands that are more than working through the queue in order.
PRIVILEGED_COUNTER_COMMANDS = frozenset({"open", "resume", "pause", "close", "call", "requeue", "transfer"})


async def write(ctx: Context, principal: Principal, site_id: str, action: str, target: str, **details: Any) -> None:
    """An entry of its own, for an action that changes no queue state (an account, a device, a reprint)."""
    at = utc_iso(ctx.now())
    row = (site_id, at, principal.name, principal.role, action, target, json.dumps(details), ctx.storage.last_seq)
    await ctx.accounts.store.audit(row)


def entry(principal: Principal, action: str, target: str, **details: Any) -> AuditRecord:
    return AuditRecord(
        actor=principal.name,
        role=principal.role,
        action=action,
        target=target,
        details={k: v for k, v in details.items() if v is not None},
    )


def release_action(ticket: str | None, parked: bool) -> str:
    """The [audit] sentence of a counter the server closed (actions.release_counters): what became of its ticket."""
    if not ticket:
        return "counter.release"
    return "counter.release.parked" if parked else "counter.release.requeued"


def release_said(counter: str, account: str | None, reason: str | None, ticket: str | None, parked: bool
                 ) -> dict[str, str]:  # fmt: skip
    """That sentence in both languages, as the dashboard and the Settings page say it."""
    params = {"counter": counter, "account": account, "reason": reason, "ticket": ticket}
    action = release_action(ticket, parked)
    return {"message": messages.text("audit", action, "id", params),
            "message_en": messages.text("audit", action, "en", params)}  # fmt: skip


def ticket_target(ctx: Context, site_id: str, ref: str) -> str:
    """A ticket's label when it can be found (what a supervisor recognises), else the reference as given."""
    state = ctx.state(site_id)
    try:
        ticket = find_ticket(state, ref, state.site.service_day(ctx.now()))
    except Refusal:
        return f"ticket {ref[:40]}"
    return f"ticket {ticket.label}"


def counter_entry(
    principal: Principal,
    site: Site,
    command: str,
    counter_id: str,
    body: dict[str, Any],
    current: str | None = None,
) -> AuditRecord | None:
    """`current`: the label of the counter's ticket now, named by a transfer from the counter (its body has none)."""
    if command not in PRIVILEGED_COUNTER_COMMANDS:
        return None
    counter = site.counters.get(counter_id)
    return entry(
        principal,
        f"counter.{command}",
        f"counter {counter_id}",
        # a transfer from the counter moves the counter's own ticket, whatever the body says
        ticket=current if command == "transfer" else body.get("ticket"),
        counter_name=counter.name if counter else None,
        **service_named(site, body.get("target_service")),
    )


def service_named(site: Site, service_id: object) -> dict[str, Any]:
    """A target service with its name as it is today: the log still reads in words once the service is removed."""
    service = site.services.get(str(service_id)) if service_id else None
    return {"target_service": service_id, "service_name": service.name if service else None}


def counter_named(site: Site, counter_id: object) -> dict[str, Any]:
    """A counter a ticket was sent to, with its name as it is today (kept once the counter is removed)."""
    counter = site.counters.get(str(counter_id)) if counter_id else None
    return {"counter": counter_id, "counter_name": counter.name if counter else None}
