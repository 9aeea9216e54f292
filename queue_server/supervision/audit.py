"""The audit log of privileged actions: who did what, to what, when.

An entry is handed to the engine with its command and written in the command's own transaction, so an action is
logged if and only if it happened (a refused or failed command leaves no entry; a retried one, no second entry).
Routine counter work (call next, recall, start, finish, no-show) is already in the event log and is not repeated
here; what is logged is what goes beyond it: opening, pausing and closing counters, calling out of order,
requeueing and moving tickets, calling back parked ones, cancelling, closing the day and changing the running text.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import TYPE_CHECKING, Any

from queue_server.application import audit_trail
from queue_server.common.messages import LANGUAGES, catalogue, format_datetime, text, word
from queue_server.domain.catalogue import Site
from queue_server.live import wire

if TYPE_CHECKING:
    from queue_server.application.context import Context
    from queue_server.supervision.reports import Period

DEFAULT_LIMIT = 200
MAX_LIMIT = 1000


async def read(ctx: Context, site_id: str, period: Period, limit: int, before: int | None) -> list[dict[str, Any]]:
    """Entries of a site over a period of local days, newest first; `before` pages back by entry id."""
    site = ctx.site(site_id)
    start = datetime.combine(period.start, time(0), tzinfo=site.tz)
    end = datetime.combine(period.end_exclusive, time(0), tzinfo=site.tz)
    with ctx.storage.unhurried():  # a page of a long period's log: a scan by time, slow on a big one
        entries = await ctx.storage.audit_entries(site_id, start, end, limit, before)
    return [
        {
            "id": entry.id,
            "at": wire.local_iso(entry.at, site),
            "actor": entry.actor,
            "role": entry.role,
            "action": entry.action,
            "target": entry.target,
            "details": entry.details,
            "seq": entry.seq,
            "summary": summary(site, entry.action, entry.target, entry.details),
            "role_name": {lang: word("role", entry.role, lang) for lang in LANGUAGES},
            "when": {lang: format_datetime(site.local(entry.at), lang) for lang in LANGUAGES},
        }
        for entry in entries
    ]


def summary(site: Site, action: str, target: str, details: dict[str, Any]) -> dict[str, str]:
    """What happened, in a sentence of each language ("Loket 4 memindahkan A-003 ke SIM"), from the catalogue's
    [audit] section: names instead of ids, words instead of codes."""
    kind, _, ref = target.partition(" ")
    params: dict[str, Any] = {"target": target, **details}
    if kind == "counter":
        counter = site.counters.get(ref)  # its name today; one removed since: the name it had then
        params["counter"] = counter.name if counter else details.get("counter_name") or ref
    elif kind == "ticket":
        params["ticket"] = ref
        if details.get("counter"):  # a parked ticket called back to a counter
            counter = site.counters.get(str(details["counter"]))
            params["counter"] = counter.name if counter else details.get("counter_name") or details["counter"]
    elif kind == "day":
        params["day"] = ref
    elif kind == "account":
        params["account"] = ref
    service = site.services.get(str(details.get("target_service") or ""))
    params["service"] = service.name if service else details.get("service_name") or details.get("target_service")
    if action == "counter.transfer" and not details.get("ticket"):
        action = "counter.transfer.unnamed"
    if action == "ticket.unpark" and not details.get("counter"):
        action = "ticket.unpark.queue"  # sent back to its line
    if action == "device.pair" and details.get("replaced"):
        action = "device.pair.replaced"  # an existing entry's token replaced
    if action == "counter.release":
        action = audit_trail.release_action(details.get("ticket"), bool(details.get("parked")))
    if action == "service.pause" and details.get("until"):
        action = "service.pause.until"  # with the time it is expected to resume
        # ISO "13:00", said per language; entries of earlier releases kept it as Indonesian writes it, "13.00"
        params["until"] = str(details["until"]).replace(".", ":")
    if action == "site.configure" and details.get("bookings_cancelled"):
        action = "site.configure.bookings_cancelled"  # confirmed with the bookings it cancelled
    if action not in catalogue().get("audit", {}):
        return {lang: f"{action} {target}" for lang in LANGUAGES}
    return {lang: text("audit", action, lang, params) for lang in LANGUAGES}
