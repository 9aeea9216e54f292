"""What clients may ask for, in one place for HTTP and websocket alike: input checked, authorised, turned into
a domain command, run through the engine, answered in the wire format."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from queue_server.application import audit_trail, configuration, phone_codes
from queue_server.application import validation as v
from queue_server.application.auth import Principal, require
from queue_server.application.context import Context
from queue_server.application.forecasts import wait_of
from queue_server.application.personal import mask_phone, nik_hash, phone_hash
from queue_server.application.views import paused_of
from queue_server.common import plaintext
from queue_server.common.ids import time_ordered_id
from queue_server.domain import commands as c
from queue_server.domain import events as ev
from queue_server.domain.booking import Booking, written_code
from queue_server.domain.catalogue import CHANNELS, PRIORITY_GROUPS, changes_sentence
from queue_server.domain.decide import check_in_refusal, checkin_window, choice_refusal, find_ticket, why_no_slots
from queue_server.domain.events import Event
from queue_server.domain.issuing_pause import pause_view
from queue_server.domain.model import OPEN_STATES, Ticket, TicketState
from queue_server.domain.refusal import Refusal
from queue_server.domain.relay import (
    MAX_EVENTS,
    PROTOCOL,
    configuration_withheld,
    fingerprint_for,
    invalid_event,
    part_withheld,
    text_withheld,
    withheld,
)
from queue_server.domain.state import SOURCE_SEQ, TEXT_WITHHELD, SiteState
from queue_server.domain.wait import WaitEstimate
from queue_server.live import wire
from queue_server.pipeline.engine import Outcome
from queue_server.pipeline.idempotency import keyed
from queue_server.settings.sitefile import SiteFileError

log = logging.getLogger(__name__)
# What a mirror says of a relayed pause whose reason named a citizen (never the text): a service disruption.
PAUSE_REASON_WITHHELD = "Gangguan layanan"

COUNTER_COMMANDS = (
    "open",
    "resume",
    "pause",
    "close",
    "call_next",
    "call",
    "recall",
    "start",
    "finish",
    "no_show",
    "requeue",
    "transfer",
    "park",
    "unpark",
)
TICKET_ACTIONS = ("cancel", "transfer", "requeue", "unpark")
USES = {  # the fields each counter command reads besides command and command_id
    "call": ("ticket",), "requeue": ("ticket",), "unpark": ("ticket",), "park": ("note", "ticket"),
    "transfer": ("target_service", "note", "ticket"),
    # the counter's current ticket as the operator saw it (optional): refused, naming what changed, when the
    # counter holds another one now (a colleague at the same counter acted on it first)
    "recall": ("ticket",), "start": ("ticket",), "finish": ("ticket",), "no_show": ("ticket",),
}  # fmt: skip
# Commands on the counter's current ticket: (counter, expected=..., by=...).
ON_CURRENT: dict[str, Callable[..., c.Command]] = {
    "recall": c.Recall,
    "start": c.StartService,
    "finish": c.FinishService,
    "no_show": c.MarkNoShow,
}


ADDRESSING = frozenset({"command_id", "type", "site", "counter"})  # how a body names its target, not what it asks


def _scope(principal: Principal, key: str | None, *target: str, body: dict[str, Any]) -> str | None:
    """Idempotency keys are per principal, so two kiosks can never collide by accident, and stored with what they
    asked (`target`: the operation and what it acts on), so that a key used again for something else is refused
    (pipeline/idempotency.py). The same command over HTTP or the websocket asks the same."""
    if not key:
        return None
    asked = {name: value for name, value in body.items() if name not in ADDRESSING}
    return keyed(f"{principal.kind}:{principal.id}:{key}", [*target, asked])


# --- issuing ---------------------------------------------------------------------------------------------


def issue_answer(events: list[Event], state: SiteState) -> dict[str, Any]:
    ticket = events[0].data["ticket"]
    estimate = wait_of(state, state.tickets[ticket["id"]], events[0].at)
    site = state.site
    return {
        "ticket": {
            **wire.public_ticket(ticket),
            "token": ticket["token"],
            "priority_group": ticket["priority"],
            "channel": ticket["channel"],
        },
        "service_name": site.services[ticket["service"]].name,
        "agency_name": site.agencies[ticket["agency"]].name,
        **_wait_fields(estimate),
        "wait_basis": estimate.basis if estimate else None,
        "counters_open": estimate.counters_open if estimate else 0,
        "status_url": f"/api/v1/tickets/{ticket['token']}",
    }


def _priority_group(body: dict[str, Any]) -> str | None:
    """The ticket's UU 25/2009 priority group, if one is said: issuing's and a booking's check-in's alike (the domain
    decides it again: domain/decide._require_priority_group)."""
    return v.text(body, "priority", required=False, max_len=40, choices=tuple(PRIORITY_GROUPS))


async def issue_ticket(
    ctx: Context, principal: Principal | None, site_id: str, body: dict[str, Any], idem_key: str | None
) -> Outcome:
    ctx.site(site_id)
    principal = require(principal, "ticket.issue", site_id)
    v.only(body, {"service", "priority", "channel", "notify"})
    service = v.required_text(body, "service", max_len=40)
    site = await ctx.site_having(site_id, lambda s: bool(s.counters_serving(service)))
    priority = _priority_group(body)
    default_channel = "kiosk" if principal.role == "kiosk" else "desk"
    channel = v.text(body, "channel", required=False, choices=CHANNELS) or default_channel
    if principal.role == "kiosk" and channel != "kiosk":
        raise Refusal("forbidden.kiosk_channel")
    if idem_key is not None and not v.COMMAND_ID.match(idem_key):
        raise Refusal("invalid_idempotency_key")
    if service not in site.services:
        raise Refusal("unknown_service", service=service, site=site.name, details={"field": "service"})
    ticket_id = _new_id()
    contact = None
    if body.get("notify") is not None:  # the citizen left a number for messages about this ticket
        contact = ctx.outbox.contact(site, f"t:{ticket_id}", body["notify"], ctx.today(site))
    command = c.IssueTicket(
        service=service, ticket_id=ticket_id, token=secrets.token_urlsafe(18), priority=priority, channel=channel,
        contact=contact.ref if contact else None,
    )  # fmt: skip
    return await ctx.engine.submit(
        site_id,
        command,
        issue_answer,
        idem_key=_scope(principal, idem_key, "issue", site_id, body=body),
        status=201,
        contact=contact,
    )


# --- counter commands --------------------------------------------------------------------------------------


def _target_paused(events: list[Event], state: SiteState) -> dict[str, Any]:
    """A transfer's answer says when its target service's issuing is paused today, with why: accepted all the same
    (a citizen already in the mall is still served by a paused line), but the client tells its operator."""
    moved = next((e.data["new_ticket"] for e in events if "new_ticket" in e.data), None)
    if moved is None:
        return {}
    at = events[-1].at
    return {"target_paused": paused_of(state, moved["service"], state.site.service_day(at), at)}


def _counter_answer(name: str, counter_id: str) -> Any:
    def answer(events: list[Event], state: SiteState) -> dict[str, Any]:
        status = state.counters[counter_id]
        affected = next((e.data["ticket"] for e in reversed(events) if "ticket" in e.data), None)
        current = state.tickets.get(status.current) if status.current else None
        return {
            "ok": True,
            "command": name,
            "counter": status.to_dict(),
            "ticket": wire.staff_ticket(affected) if affected else None,
            "current": wire.ticket_view(current, wire.STAFF) if current else None,
            "events": [e.type for e in events],
        } | _target_paused(events, state)

    return answer


async def counter_command(
    ctx: Context, principal: Principal | None, site_id: str, counter_id: str, body: dict[str, Any]
) -> Outcome:
    site = await ctx.site_having(site_id, lambda s: counter_id in s.counters)
    counter = ctx.counter(site, counter_id)
    principal = require(principal, "counter.command", site_id, counter.agency)
    v.only(body, {"command", "command_id", "ticket", "target_service", "note", "type", "site", "counter"})
    name = v.required_text(body, "command", choices=COUNTER_COMMANDS)
    # A field the command does not use is refused, never ignored: "call_next" with a "ticket" would call someone
    # else than the client meant.
    unused = [key for key in ("ticket", "target_service", "note") if key in body and key not in USES.get(name, ())]
    if unused:
        raise Refusal("invalid_field.not_for_command", command=name, details={"field": unused[0]})
    command_id = v.command_id(body)
    by = principal.name  # recorded on each ticket the command changes (Ticket.by)
    command: c.Command
    if name in ON_CURRENT:
        command = ON_CURRENT[name](counter_id, expected=v.text(body, "ticket", required=False, max_len=40), by=by)
    elif name == "pause":
        command = c.PauseCounter(counter_id, by=by)
    elif name == "close":
        command = c.CloseCounter(counter_id, by=by)
    elif name == "call_next":
        command = c.CallNext(counter_id, by=by)
    elif name in ("open", "resume"):
        command = c.OpenCounter(counter_id, operator=principal.name)
    elif name == "call":
        command = c.CallTicket(counter_id, v.required_text(body, "ticket", max_len=40), by=by)
    elif name == "requeue":
        command = c.RequeueTicket(v.required_text(body, "ticket", max_len=40), by=by)
        _check_ticket_agency(ctx, principal, site_id, command.ticket)
    elif name == "park":
        note = v.staff_note(body)
        command = c.ParkTicket(counter_id, note, expected=v.text(body, "ticket", required=False, max_len=40), by=by)
    elif name == "unpark":
        command = c.UnparkTicket(counter_id, v.required_text(body, "ticket", max_len=40), by=by)
    else:  # transfer
        target = v.required_text(body, "target_service", max_len=40)
        command = c.TransferTicket(
            target, _new_id(), counter=counter_id, note=v.staff_note(body),
            expected=v.text(body, "ticket", required=False, max_len=40), by=by,
        )  # fmt: skip
    try:
        return await ctx.engine.submit(
            site_id,
            command,
            _counter_answer(name, counter_id),
            idem_key=_scope(principal, command_id, "counter", site_id, counter_id, body=body),
            audit=audit_trail.counter_entry(
                principal, ctx.site(site_id), name, counter_id, body, current=_current_label(ctx, site_id, counter_id)
            ),
        )
    except Refusal as refusal:
        raise await _by_name(ctx, refusal) from None


async def release_counters(
    ctx: Context, principal: Principal, site_id: str, account: str, reason: str, agency: str | None = None
) -> list[dict[str, Any]]:
    """After an account may no longer work its counters (disabled, removed, an operator moved to `agency`): close
    those still open under it, unless a colleague is signed in at one (through any process), and say so in the
    audit log, one entry per counter. Answers what was closed, for the page that made the change."""
    state = ctx.state(site_id)
    if state.mirrored:
        return []  # a mirrored mall's counters are its own server's
    disabled = ctx.accounts.disabled | {account}
    spared = frozenset(
        counter_id for counter_id in state.counters
        if {seat["name"] for seat in ctx.desks.at(site_id, counter_id)} - disabled
    )  # fmt: skip
    command = c.ReleaseCounters(account, reason, agency=agency, spared=spared)
    outcome = await ctx.engine.submit(site_id, command, lambda events, state: {})
    released = []
    for event in outcome.events:
        if event.type != ev.COUNTER_CLOSED:
            continue
        counter = event.data["counter"]
        name = ctx.site(site_id).counters[counter["id"]].name
        ticket, parked = counter.get("released_ticket"), bool(counter.get("released_parked"))
        await audit_trail.write(
            ctx, principal, site_id, "counter.release", f"counter {counter['id']}", counter_name=name,
            account=account, reason=reason, ticket=ticket, parked=parked,
        )  # fmt: skip
        said = audit_trail.release_said(name, account, reason, ticket, parked)
        released.append({"counter": counter["id"], "name": name, "ticket": ticket, "parked": parked, **said})
    return released


async def _by_name(ctx: Context, refusal: Refusal) -> Refusal:
    """A refusal naming who changed a ticket (`by`: the account, as tickets record it) names the person, as the
    counter page does ("oleh Budi Santoso", not "oleh op-dukcapil"); `details.by` keeps the account."""
    params = dict(refusal.params)
    if isinstance(params.get("by"), str) and params["by"]:
        params["by"] = await ctx.accounts.person(params["by"])
    said = params.get("happened")  # what became of a ticket (domain/decide.py, happened): its `by` too
    if isinstance(said, dict) and isinstance(said.get("by"), str) and said["by"]:
        params["happened"] = {**said, "by": await ctx.accounts.person(said["by"])}
    if params == refusal.params:
        return refusal
    return Refusal(refusal.key, details=refusal.details, **params)


def _current_label(ctx: Context, site_id: str, counter_id: str) -> str | None:
    """The label of the ticket a counter has now (what a transfer from the counter moves), for its audit entry."""
    state = ctx.state(site_id)
    current = state.counters[counter_id].current if counter_id in state.counters else None
    ticket = state.tickets.get(current) if current else None
    return ticket.label if ticket else None


def _check_ticket_agency(ctx: Context, principal: Principal, site_id: str, ref: str) -> None:
    """An operator may only manage tickets of their own agency."""
    state = ctx.state(site_id)
    try:
        ticket = find_ticket(state, ref, state.site.service_day(ctx.now()))
    except Refusal:
        return  # the engine will answer "unknown ticket" in the usual way
    require(principal, "ticket.manage", site_id, ticket.agency)


async def reprint_ticket(ctx: Context, principal: Principal | None, site_id: str, ticket_ref: str) -> dict[str, Any]:
    """A lost slip printed again at the desk: today's open ticket by its number ("A-012") or id, for staff of its
    agency. The answer holds the ticket's link (its QR, the citizen's phone page), which the staff API otherwise
    never gives: so each reprint is in the audit log, by whom."""
    state = ctx.state(site_id)
    principal = require(principal, "ticket.manage", site_id, principal.agency if principal else None)
    ticket = find_ticket(state, ticket_ref.strip().upper(), state.site.service_day(ctx.now()))
    require(principal, "ticket.manage", site_id, ticket.agency)
    if ticket.state not in OPEN_STATES:
        raise Refusal(
            "ticket_closed", ticket=ticket.label, found=ticket.state.value, details={"found": ticket.state.value}
        )
    await audit_trail.write(ctx, principal, site_id, "ticket.reprint", f"ticket {ticket.label}")
    return {
        "ticket": wire.public_ticket(ticket.to_dict()),
        "token": ticket.token,
        "print": f"/citizen/print/{ticket.token}",
    }


# --- supervisor actions on a ticket ----------------------------------------------------------------------


async def ticket_action(
    ctx: Context, principal: Principal | None, site_id: str, ticket_ref: str, body: dict[str, Any]
) -> Outcome:
    ctx.site(site_id)
    v.only(body, {"action", "command_id", "target_service", "note", "reason", "counter"})
    action = v.required_text(body, "action", choices=TICKET_ACTIONS)
    if "counter" in body and action != "unpark":  # refused, never ignored: it would not go where it was sent
        raise Refusal("invalid_field.not_for_action", action=action, details={"field": "counter"})
    command_id = v.command_id(body)
    principal = require(principal, "ticket.manage", site_id, principal.agency if principal else None)
    _check_ticket_agency(ctx, principal, site_id, ticket_ref)
    command: c.Command
    if action == "cancel":
        reason = v.staff_note(body, "reason", too_long="reason_too_long")
        command = c.CancelTicket(ticket_ref, reason, by=principal.name)
    elif action == "requeue":
        command = c.RequeueTicket(ticket_ref, by=principal.name)
    elif action == "unpark":
        # A parked ticket called back to a counter (open, free, serving its service: announced like any call), or
        # with no counter sent back to its line at its old place.
        counter = v.text(body, "counter", required=False, max_len=40)
        command = (c.UnparkTicket(counter, ticket_ref, by=principal.name) if counter
                   else c.ReturnParked(ticket_ref, by=principal.name))  # fmt: skip
    else:
        target = v.required_text(body, "target_service", max_len=40)
        note = v.staff_note(body)
        command = c.TransferTicket(target, _new_id(), ticket=ticket_ref, note=note, by=principal.name)

    def answer(events: list[Event], state: SiteState) -> dict[str, Any]:
        return {
            "ok": True,
            "action": action,
            "events": [e.type for e in events],
            "tickets": [wire.staff_ticket(e.data[k]) for e in events for k in ("ticket", "new_ticket") if k in e.data],
        } | _target_paused(events, state)

    record = audit_trail.entry(
        principal,
        f"ticket.{action}",
        audit_trail.ticket_target(ctx, site_id, ticket_ref),
        **audit_trail.service_named(ctx.site(site_id), body.get("target_service")),
        **audit_trail.counter_named(ctx.site(site_id), body.get("counter")),
    )
    return await ctx.engine.submit(
        site_id,
        command,
        answer,
        idem_key=_scope(principal, command_id, "ticket", site_id, ticket_ref, body=body),
        audit=record,
    )


async def close_day(ctx: Context, principal: Principal | None, site_id: str, body: dict[str, Any]) -> Outcome:
    ctx.site(site_id)
    principal = require(principal, "site.close_day", site_id)
    v.only(body, {"day", "reason", "command_id"})
    day_text = v.text(body, "day", required=False, max_len=10)
    day = v.day(day_text, "day") if day_text else None
    # Why, said to citizens where the closed day is said (a power cut, the central system down): the one rule of a
    # reason said to citizens, as a pause's, refused before anything closes. Blank: the day closes without one.
    reason = v.said_reason(body, required=False)

    def answer(events: list[Event], state: SiteState) -> dict[str, Any]:
        closed = next(e for e in events if e.type == "day.closed")
        return {
            "ok": True,
            "day": closed.data["day"],
            "expired": closed.data["expired"],
            "reason": closed.data.get("reason"),
        }

    closing = day or ctx.site(site_id).service_day(ctx.now())
    # A second close keeps the reason of the first (domain/decide.py): audited with the reason in force.
    in_force = reason or ctx.state(site_id).closed_reasons.get(closing)
    record = audit_trail.entry(principal, "day.close", f"day {closing.isoformat()}", reason=in_force)
    return await ctx.engine.submit(
        site_id,
        c.CloseDay(day, reason),
        answer,
        idem_key=_scope(principal, v.command_id(body), "close_day", site_id, body=body),
        audit=record,
    )


async def reopen_day(ctx: Context, principal: Principal | None, site_id: str, body: dict[str, Any]) -> Outcome:
    """Today, closed by mistake (or by a server clock that ran ahead), open again: audited."""
    site = ctx.site(site_id)
    principal = require(principal, "site.close_day", site_id)
    v.only(body, {"day", "command_id"})
    day_text = v.text(body, "day", required=False, max_len=10)
    day = v.day(day_text, "day") if day_text else site.service_day(ctx.now())

    def answer(events: list[Event], state: SiteState) -> dict[str, Any]:
        reopened = next(e for e in events if e.type == "day.reopened")
        return {"ok": True, "day": reopened.data["day"], "restored": reopened.data["restored"]}

    record = audit_trail.entry(principal, "day.reopen", f"day {day.isoformat()}")
    return await ctx.engine.submit(
        site_id,
        c.ReopenDay(day),
        answer,
        idem_key=_scope(principal, v.command_id(body), "reopen_day", site_id, body=body),
        audit=record,
    )


async def set_running_text(ctx: Context, principal: Principal | None, site_id: str, body: dict[str, Any]) -> Outcome:
    """The running text under every lobby screen of a site."""
    ctx.site(site_id)
    principal = require(principal, "site.running_text", site_id)
    v.only(body, {"text", "command_id"})
    # The domain refuses more than 500 characters once spaces are folded.
    text = v.lobby_text(body, "text", max_len=2000)

    def answer(events: list[Event], state: SiteState) -> dict[str, Any]:
        return {"ok": True, "running_text": events[0].data["text"]}

    record = audit_trail.entry(principal, "site.running_text", f"site {site_id}", text=" ".join(text.split())[:500])
    return await ctx.engine.submit(
        site_id,
        c.SetRunningText(text),
        answer,
        idem_key=_scope(principal, v.command_id(body), "text", site_id, body=body),
        audit=record,
    )


async def configure_site(
    ctx: Context,
    principal: Principal | None,
    site_id: str,
    body: dict[str, Any],
    parse: configuration.Parse,
) -> Outcome:
    """A new configuration of the site (agencies, services, counters, screens, hours), applied live and audited."""
    ctx.site(site_id)
    principal = require(principal, "site.configure", site_id)
    command, changes = await configuration.checked_change(ctx, principal, site_id, body, parse)

    def answer(events: list[Event], state: SiteState) -> dict[str, Any]:
        return {"ok": True, "site": site_id, "version": state.configuration.version, "changes": changes,
                "changes_text": configuration.changes_text(changes),
                "bookings_cancelled": sum(1 for e in events if e.type == ev.BOOKING_CANCELLED),
                "warnings": configuration.warnings(state.site)}  # fmt: skip

    state = ctx.state(site_id)
    # Bookings it cancels (confirmed: decide.bookings_closed) are said in the same entry, counted per day
    record = audit_trail.entry(principal, "site.configure", f"site {site_id}", version=state.configuration.version + 1,
                               changes=changes_sentence(changes),
                               **configuration.closure_details(state, command))  # fmt: skip
    return await ctx.engine.submit(site_id, command, answer, audit=record)


# --- citizens ------------------------------------------------------------------------------------------


async def cancel_by_citizen(ctx: Context, token: str) -> Outcome:
    """A citizen cancels their own ticket; holding the unguessable token is the authority."""
    ticket = await ctx.ticket_by_token(token)

    def answer(events: list[Event], state: SiteState) -> dict[str, Any]:
        return {"ok": True, "ticket": wire.public_ticket(events[0].data["ticket"])}

    return await ctx.engine.submit(ticket.site, c.CancelTicket(ticket.id, "cancelled by citizen"), answer)


def public_status(ctx: Context, known: Ticket) -> dict[str, Any]:
    """What a citizen's link shows of a ticket: as it stands in memory, or as `known` (read from the database)
    once its day is over and forgotten from memory."""
    state = ctx.state(known.site)
    ticket = state.tickets.get(known.id, known)
    site = state.site
    estimate = wait_of(state, ticket, ctx.now()) if ticket.id in state.tickets else None
    counter = site.counters.get(ticket.counter) if ticket.counter else None
    return {
        "ticket": wire.public_ticket(ticket.to_dict()),
        "site": site.id,
        "site_name": site.name,
        "service_name": _name(site.services, ticket.service),
        "agency_name": _name(site.agencies, ticket.agency),
        "counter_name": counter.name if counter else None,
        # its floor, where the mall's counters are on more than one ("Loket 9, Lantai 2"); else null
        "counter_zone": site.counter_zone(ticket.counter),
        **_wait_fields(estimate),
        # its service's issuing paused today (its central system down ...): a waiting citizen is told why, and that
        # those already waiting are still served; None otherwise
        "issuing_paused": _paused_notice(state, ticket, ctx.now()),
        # why its day was closed, where a supervisor said it: an expired ticket's page says so ("Gangguan listrik")
        "day_closed_reason": state.closed_reasons.get(ticket.day) if ticket.state is TicketState.EXPIRED else None,
        # whether the citizen may ask for WhatsApp/SMS messages (`available`: now, the gateway not paused by its
        # breaker), and whether they did (never the number)
        "messages": {
            "offered": site.notify.offered,
            "available": ctx.messages_available(site),
            "on": ticket.contact is not None,
        },
    }


def _paused_notice(state: SiteState, ticket: Ticket, now: datetime) -> dict[str, str | None] | None:
    if ticket.state is not TicketState.WAITING:
        return None
    pause = state.issuing_pause(ticket.service, state.site.service_day(now))
    if pause is None:
        return None
    view = pause_view(pause, state.site.tz)
    # the expected time is a hope: once past (and nobody resumed yet), a citizen is not told it
    return view | {"until": None} if pause.until is not None and pause.until <= now else view


def _name(named: Mapping[str, Any], key: str) -> str:
    """A service's or agency's name; its id once the configuration no longer has it (an old ticket's link)."""
    found = named.get(key)
    return str(found.name) if found is not None else key


def _wait_fields(estimate: WaitEstimate | None) -> dict[str, Any]:
    """`people_ahead`, the range `estimated_wait` ({status, minutes, low, high, ...}) and, for clients written
    before the range, `estimated_wait_minutes` (null when no counter serving the ticket is open)."""
    return {
        "people_ahead": estimate.people_ahead if estimate else None,
        "estimated_wait_minutes": estimate.minutes if estimate else None,
        "estimated_wait": estimate.to_dict() if estimate else None,
    }


def status_message(ctx: Context, token: str) -> str | None:
    """The `status` frame pushed to a citizen's phone when their place in line changes."""
    for site_id, state in ctx.states().items():
        ticket_id = state.by_token.get(token)
        if ticket_id is not None and ticket_id in state.tickets:
            return wire.dumps({"type": "status", "site": site_id, "data": public_status(ctx, state.tickets[ticket_id])})
    return None


_new_id = time_ordered_id


# --- online booking ---------------------------------------------------------------------------------------

BOOKING_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread on a phone screen


def _booking_code() -> str:
    return "BK-" + "".join(secrets.choice(BOOKING_CODE_ALPHABET) for _ in range(6))


def booking_answer(state: SiteState, booking: dict[str, Any]) -> dict[str, Any]:
    """A booking as it is answered to whoever holds its code already: the citizen who booked it, a look-up or cancel
    by the code, the kiosk or desk that checks it in. The code is no field of any view (a bearer secret: it cancels
    the booking), so it is added here, and only here."""
    site = state.site
    view = wire.booking_view(booking)
    record = state.bookings.get(booking["id"])
    service = site.services.get(booking["service"])
    answer = {
        "code": booking["code"],
        "site": site.id,
        "site_name": site.name,
        "service": booking["service"],
        "service_name": service.name if service else booking["service"],
        "agency_name": _name(site.agencies, service.agency) if service else "",
        "day": view["day"],
        "slot": view["slot"],
        "state": view["state"],
        "phone": view["phone_masked"],
    }
    if view["state"] == "cancelled":  # by its citizen (null), or by the mall and why (domain/booking.CLOSURES)
        answer["cancel_reason"] = booking.get("cancel_reason")
    if record is not None:
        opens, closes = checkin_window(state, record)
        slot_end = record.slot_start + timedelta(minutes=site.booking.slot_minutes)
        answer |= {
            "slot_end": site.local(slot_end).strftime("%H:%M"),
            "checkin_from": wire.local_iso(opens, site),
            "checkin_until": wire.local_iso(closes, site),
        }
    return answer


def _parse_day(text: str) -> date:
    return v.day(text, "day")


def _parse_slot(text: str) -> time:
    return v.clock(text, "slot")  # not fromisoformat: "09.30" was 09:00 and 0.3 s, "0930" a time too


def booking_slots(ctx: Context, site_id: str, service_id: str, day_text: str) -> dict[str, Any]:
    state = ctx.state(site_id)
    site = state.site
    service = site.services.get(service_id)
    if service is None:
        raise Refusal("unknown_service", service=service_id, site=site.name, details={"field": "service"})
    day = _parse_day(day_text)
    now = ctx.now()
    today = site.service_day(now)
    last_day = today + timedelta(days=site.booking.days_ahead)
    # Why the day has no slot, as a word the booking page writes its sentence from (a day past or beyond the horizon
    # answered an empty list and nothing else, so a page left open overnight showed nothing a citizen could act on).
    why = why_no_slots(state, service, day, now)
    # Today's slots of a service whose issuing is paused are not offered (the booking would be refused, as a walk-in
    # ticket is): the page says why, and that other days can be booked; the pause is of today only.
    paused = paused_of(state, service.id, today, now) if why == "paused" else None
    slots = []
    # A slot offers no place once the day's online quota is spent, whatever room the slot itself has left.
    quota_left = service.online_quota - state.online_booked.get((service.id, day), 0)
    for start, end in site.slots(day) if why is None else []:
        booked = state.slot_booked.get((service.id, day, start.time()), 0)
        available = 0 if start <= now or quota_left <= 0 else max(0, min(service.slot_capacity - booked, quota_left))
        slots.append(
            {
                "start": start.strftime("%H:%M"),
                "end": end.strftime("%H:%M"),
                "capacity": service.slot_capacity,
                "booked": booked,
                "available": available,
                "past": start <= now,  # begun already: not "full", over (today, after its time)
            }
        )
    return {
        "service": service.id,
        "service_name": service.name,
        "day": day.isoformat(),
        "slots": slots,
        "online_quota": service.online_quota,
        "online_booked": state.online_booked.get((service.id, day), 0),
        "days_ahead": site.booking.days_ahead,
        "last_day": last_day.isoformat(),  # the last day that can be booked now
        "why": why,  # null, or why no slot is offered (domain/decide.why_no_slots; docs/api.md)
        "holiday": site.hours.holiday_names.get(day) if why == "holiday" else None,  # "Hari Natal", said as is
        "reason": state.closed_reasons.get(day) if why == "closed_day" else None,  # a supervisor's, where said
        "paused": paused,  # {reason, since, until} when today's issuing is paused (no slot offered), else null
    }


async def create_booking(ctx: Context, site_id: str, body: dict[str, Any]) -> Outcome:
    ctx.site(site_id)
    v.only(body, {"service", "day", "slot", "nik", "phone", "phone_code", "phone_proof", "notify", "lang"})
    service = v.required_text(body, "service", max_len=40)
    day = _parse_day(v.required_text(body, "day", max_len=10))
    slot = _parse_slot(v.required_text(body, "slot", max_len=16))  # longer: refused with the format
    nik = v.required_text(body, "nik", max_len=32)
    number = v.required_text(body, "phone", max_len=24)
    site = await ctx.site_having(site_id, lambda s: service in s.services)
    if service not in site.services:
        raise Refusal("unknown_service", service=service, site=site.name, details={"field": "service"})
    # What the citizen chose is said first, as the form asks it first: a day closed or past, a slot begun or full is
    # refused before the NIK and number are read and the number's code is looked at, so a right code is not used
    # (nor a wrong one tried) by a booking refused for its slot. The engine decides again below: a slot taken in
    # between is refused there, with the proof of the code it used.
    unbookable = choice_refusal(ctx.state(site_id), service, day, slot, ctx.now())
    if unbookable is not None:
        raise unbookable
    digest = nik_hash(nik, ctx.nik_key)
    phone = mask_phone(number)
    number_hash = phone_hash(number, ctx.nik_key)
    proof = None
    if phone_codes.required(site):  # the number is the citizen's: checked by a code sent to it
        proof = await phone_codes.check_code(ctx, site, number_hash, body)
    booking_id = _new_id()
    contact = None
    # The booking asks for the number anyway; "notify": true is the citizen's yes to messages about it.
    if v.boolean(body, "notify", default=False):
        lang = v.text(body, "lang", required=False, choices=("id", "en")) or "id"
        contact = ctx.outbox.contact(site, f"b:{booking_id}", {"phone": number, "lang": lang, "consent": True}, day)
    command = c.BookSlot(
        service, day, slot, digest, phone, booking_id, _booking_code(), contact.ref if contact else None, number_hash,
    )  # fmt: skip

    def answer(events: list[Event], state: SiteState) -> dict[str, Any]:
        made = {"booking": booking_answer(state, events[0].data["booking"])}
        return {**made, "phone_proof": proof} if proof else made

    try:
        return await ctx.engine.submit(site_id, command, answer, status=201, contact=contact)
    except Refusal as refused:
        if proof:  # the code is used: its proof books the family's next try (another slot) without a new code
            refused.details["phone_proof"] = proof
        raise


async def leave_contact(ctx: Context, token: str, body: dict[str, Any]) -> Outcome:
    """From the citizen's phone page: tell me by message as my turn nears. Holding the ticket's link is the
    authority (as for cancelling); {"phone": "0812...", "lang": "id", "consent": true}."""
    ticket = await ctx.ticket_by_token(token)
    site = ctx.site(ticket.site)
    contact = ctx.outbox.contact(site, f"t:{ticket.id}", body, ticket.day)

    def answer(events: list[Event], state: SiteState) -> dict[str, Any]:
        return {
            "notify": True,
            "phone": mask_phone(body["phone"]),
            "ticket": wire.public_ticket(events[0].data["ticket"]),
        }

    return await ctx.engine.submit(site.id, c.LeaveContact(token, contact.ref), answer, contact=contact)


async def remove_contact(ctx: Context, token: str) -> Outcome:
    """From the citizen's phone page: stop the messages (consent withdrawn, UU 27/2022). The ticket forgets its
    contact in the log, and the encrypted number is deleted at once; holding the ticket's link is the authority."""
    ticket = await ctx.ticket_by_token(token)
    site = ctx.site(ticket.site)

    def answer(events: list[Event], state: SiteState) -> dict[str, Any]:
        return {"notify": False, "ticket": wire.public_ticket(events[0].data["ticket"])}

    outcome = await ctx.engine.submit(site.id, c.RemoveContact(token), answer)
    if ticket.contact is not None:
        await ctx.outbox.store.forget_contact(ticket.contact)
    return outcome


async def booking_status(ctx: Context, code: str) -> dict[str, Any]:
    booking = await ctx.storage.booking_by_code(written_code(code))
    if booking is not None and booking.site in ctx.left_out:
        raise ctx.not_hosted(booking.site)
    if booking is None or booking.site not in ctx.sites:
        raise Refusal("unknown_booking", code=code[:12])
    state = ctx.state(booking.site)
    current = state.bookings.get(booking.id, booking)
    return {"booking": booking_answer(state, current.to_dict())}


async def cancel_booking(ctx: Context, code: str) -> Outcome:
    found = await booking_status(ctx, code)

    def answer(events: list[Event], state: SiteState) -> dict[str, Any]:
        return {"booking": booking_answer(state, events[0].data["booking"])}

    site_id = found["booking"]["site"]
    return await ctx.engine.submit(site_id, c.CancelBooking(found["booking"]["code"]), answer)


async def check_in(
    ctx: Context, principal: Principal | None, site_id: str, code: str, body: dict[str, Any] | None = None
) -> Outcome:
    """A booking's citizen arrives: its ticket, of the priority group staff or the kiosk say ({"priority": "lansia"},
    optional, as issuing's). A second check-in answers the ticket it made, its priority as it was."""
    ctx.site(site_id)
    require(principal, "ticket.issue", site_id)
    body = body or {}
    v.only(body, {"priority"})
    command = c.CheckIn(written_code(code), _new_id(), secrets.token_urlsafe(18), _priority_group(body))

    def answer(events: list[Event], state: SiteState) -> dict[str, Any]:
        event = events[0]
        return {
            **issue_answer([Event(event.type, event.site, event.at, {"ticket": event.data["ticket"]})], state),
            "booking": booking_answer(state, event.data["booking"]),
        }

    try:
        return await ctx.engine.submit(site_id, command, answer, status=201)
    except Refusal as refusal:
        if refusal.code == "unknown_booking":
            await _booked_at_another_mall(ctx, site_id, command.code)
        again = _checked_in_already(ctx, site_id, command.code) if refusal.code == "already_checked_in" else None
        if again is None:
            raise
        return again


async def _booked_at_another_mall(ctx: Context, site_id: str, code: str) -> None:
    """A code this mall does not know may be one of another mall of this server (Kabupaten and Kota Tegal, say): the
    citizen at the wrong kiosk is told where their booking is, not "tidak ditemukan" as if it did not exist."""
    booking = await ctx.storage.booking_by_code(code)
    if booking is not None and booking.site != site_id and booking.site in ctx.sites:
        mall = ctx.sites[booking.site].name
        raise Refusal("booking_other_site", booking=code, site=mall, details={"site": booking.site})


def _checked_in_already(ctx: Context, site_id: str, code: str) -> Outcome | None:
    """A booking checked in a second time (a scanner's code read twice, a slip that did not print) while its
    ticket still waits: that ticket again, to show and print (200, `"again": true`), not a refusal that hides the
    number from the citizen."""
    state = ctx.state(site_id)
    found = _still_waiting(state, code)
    if found is None:
        return None
    booking, ticket = found
    shown = issue_answer([Event(ev.TICKET_ISSUED, site_id, ctx.now(), {"ticket": ticket.to_dict()})], state)
    return Outcome(200, {**shown, "booking": booking_answer(state, booking.to_dict()), "again": True})


def _still_waiting(state: SiteState, code: str) -> tuple[Booking, Ticket] | None:
    """The booking of `code` and its ticket, when it was checked in and that ticket still waits: a second check-in
    answers it again."""
    booking = state.bookings.get(state.booking_codes.get(code, ""))
    ticket = state.tickets.get(booking.ticket or "") if booking is not None else None
    if booking is None or ticket is None or ticket.state is not TicketState.WAITING:
        return None
    return booking, ticket


# What a look before a check-in says of the booking: what it is for, never whose it is (no phone, masked or not).
LOOKED_AT = ("code", "site", "service", "service_name", "agency_name", "day", "slot", "slot_end", "state")


async def look_before_check_in(ctx: Context, principal: Principal | None, site_id: str, code: str) -> dict[str, Any]:
    """Whether the booking of `code` can be checked in now, changing nothing (the kiosk asks before its priority
    question, docs/citizen.md): its service, slot and state, and `again` when the check-in would answer the ticket it
    made already (a slip lost; its priority group stays as it was, so nothing is asked); or the very refusal the
    check-in would get (domain/decide.check_in_refusal, the check-in's own rules). The check-in decides again."""
    ctx.site(site_id)
    require(principal, "ticket.issue", site_id)
    written = written_code(code)
    # Never said on a state behind the database: a code booked, checked in or called a moment ago on another process
    # (a kiosk looks a few times a minute at most).
    await ctx.catch_up(site_id)
    refusal = check_in_refusal(ctx.state(site_id), written, ctx.now())
    if refusal is not None and refusal.code == "unknown_booking":
        await _booked_at_another_mall(ctx, site_id, written)
    state = ctx.state(site_id)
    again = _still_waiting(state, written) if refusal is not None and refusal.code == "already_checked_in" else None
    if refusal is not None and again is None:
        raise refusal
    booking = state.bookings[state.booking_codes[written]]
    answer = booking_answer(state, booking.to_dict())
    return {"booking": {key: answer[key] for key in LOOKED_AT if key in answer}, "again": again is not None}


# --- a mall on its own box, mirrored here --------------------------------------------------------------------


# What this server's uplink routes speak (domain/relay.PROTOCOL): 3 withholds a booking's code, hashes and contact
# besides a ticket's link and staff's notes (2), and fingerprints events without them. A box says what it speaks
# (`?protocol=`; an earlier release's: none, 2 when it says `newest`, 1 otherwise) and gets fingerprints it can check.
UPLINK_PROTOCOL = PROTOCOL


def box_protocol(newest: int | None, said: int | None) -> int:
    """What the box calling speaks: what it says (this release on), or what its release's GET shows."""
    if said is not None:
        return min(said, UPLINK_PROTOCOL)
    return 2 if newest is not None else 1


def _prefix_protocol(fingerprint: str) -> int | None:
    """The protocol a box's fingerprint is of ("3:...", "2:..."), or None for one of no release this knows."""
    head, colon, _ = fingerprint.partition(":")
    return int(head) if colon and head in ("2", "3") else None


async def uplink_head(
    ctx: Context,
    principal: Principal | None,
    site_id: str,
    newest: int | None,
    theirs: str | None = None,
    said: int | None = None,
    screens: frozenset[str] | None = None,
    stopping: bool = False,
) -> dict[str, Any]:
    """Where this server's copy of a mirrored mall's log ends: the mall's next batch continues from `after`. Also
    the uplink's heartbeat while the mall is quiet (its last-seen time: the national view's "heard from").
    `newest`: where the box's own log ends, and `theirs` the fingerprint of its event there, as a box of protocol 2
    on says: a log that ends where the copy does, with the same event, is a copy complete now (MirrorWatch.synced).
    `said`: the protocol the box says it speaks; the fingerprint answered is of that protocol. `screens`: the mall's
    screens with a display connected at its own server, as its box says (the national view's "screens not
    connected"; None: not said, by a box of an earlier release). `stopping`: the box's last heartbeat, on a clean stop
    (the national view shows the mall stopped at once; a box of an earlier release never says it)."""
    ctx.site(site_id)
    principal = require(principal, "site.relay", site_id)
    await ctx.accounts.device_seen(principal)
    state = ctx.state(site_id)
    after = state.relayed_head
    ours = await _copy_ends(ctx, site_id, after, box_protocol(newest, said))
    if newest is not None and state.mirrored:
        made = _prefix_protocol(theirs) if theirs is not None else None  # compared as the box made it
        mine = await _copy_ends(ctx, site_id, after, made) if made is not None else None
        if newest == after and (mine is None or theirs == mine):
            await ctx.mirror.synced(site_id, ctx.now())
        elif newest == after:  # another history under the same numbers: the box refuses to send, and says why
            await ctx.mirror.refused(site_id, "uplink_forked", ctx.now())
        elif newest < after:  # the box's log ends before the copy: restored from an older backup
            await ctx.mirror.refused(site_id, "uplink_behind", ctx.now())
    if screens is not None and state.mirrored:
        await ctx.mirror.screens_shown(site_id, screens, ctx.now())
    if stopping and state.mirrored:  # after the rest: what it said of its log holds as of its stop
        await ctx.mirror.stopped(site_id, ctx.now())
    return {"site": site_id, "mirrored": state.mirrored, "after": after, "fingerprint": ours,
            "protocol": UPLINK_PROTOCOL}  # fmt: skip


async def _copy_ends(ctx: Context, site_id: str, after: int, protocol: int) -> str | None:
    """The fingerprint of the mall's event `after` as the copy here holds it (the newest), as a box of `protocol`
    makes it; None: none, not it, or one that protocol cannot be checked by (domain/relay.fingerprint_for)."""
    if after <= 0:
        return None
    event = await ctx.storage.event(site_id, await ctx.storage.newest_seq(site_id))
    if event is None or event.data.get(SOURCE_SEQ) != after:
        return None
    return fingerprint_for(protocol, event.type, event.data)


async def relay_events(
    ctx: Context, principal: Principal | None, site_id: str, read_body: Callable[[], Awaitable[dict[str, Any]]]
) -> Outcome:
    """A batch of a mirrored mall's log, sent by its own server (outbound/uplink.py), applied as it is. Its body is
    read (`read_body`) once its sender is known; whether it was taken is kept for the national view (MirrorWatch)."""
    ctx.site(site_id)
    principal = require(principal, "site.relay", site_id)
    await ctx.accounts.device_seen(principal)
    try:
        outcome = await _relay(ctx, site_id, await read_body())
    except Refusal as refusal:
        await ctx.mirror.refused(site_id, refusal.code, ctx.now())
        raise
    await ctx.mirror.synced(site_id, ctx.now())
    return outcome


async def _relay(ctx: Context, site_id: str, body: dict[str, Any]) -> Outcome:
    v.only(body, {"after", "events", "fingerprint"})
    after = v.whole_number(body, "after")
    raw = body.get("events")
    if after is None:
        raise Refusal("invalid_field.required", details={"field": "after"})
    theirs = v.text(body, "fingerprint", required=False, max_len=64)  # of the mall's event `after`, as its log has it
    protocol = _prefix_protocol(theirs) if theirs is not None else None  # none: an earlier release's, not checked
    if theirs is not None and protocol is not None and after == ctx.state(site_id).relayed_head:
        ours = await _copy_ends(ctx, site_id, after, protocol)
        if ours is not None and ours != theirs:
            raise Refusal("uplink_forked", after=after, details={"after": after})
    if not isinstance(raw, list) or not raw or len(raw) > MAX_EVENTS:
        raise Refusal("invalid_field.list_size", low=1, high=MAX_EVENTS, details={"field": "events"})
    events = tuple(_relayed_event(ctx, site_id, item) for item in raw)
    await _none_of_another_site(ctx, site_id, events)

    def answer(events: list[Event], state: SiteState) -> dict[str, Any]:
        ctx.mirror.mark_synced(site_id, ctx.now())  # taken: known here even if its sender hangs up before its answer
        return {"ok": True, "site": site_id, "accepted": len(events), "after": state.relayed_head}

    return await ctx.engine.submit(site_id, c.Relay(events, after), answer)


async def _none_of_another_site(ctx: Context, site_id: str, events: tuple[Event, ...]) -> None:
    """A relayed ticket or booking is the mall's own: refused when its id (or a booking's code) is another site's
    here, or a booking's code another booking's (the database keeps each once; its write would fail)."""
    tickets = {t["id"]: e for e in events for k in ("ticket", "new_ticket") if isinstance(t := e.data.get(k), dict)
               and isinstance(t.get("id"), str)}  # fmt: skip
    bookings = {b["id"]: (e, b.get("code")) for e in events if isinstance(b := e.data.get("booking"), dict)
                and isinstance(b.get("id"), str)}  # fmt: skip
    codes = {code: booking for booking, (_, code) in bookings.items() if isinstance(code, str)}
    if not tickets and not bookings:
        return
    named = await ctx.storage.rows_named(list(tickets), list(bookings), list(codes))
    for table, row_id, site, code in named:
        if table == "tickets" and site != site_id:
            event = tickets[row_id]
        elif table == "bookings" and (site != site_id or (code in codes and codes[code] != row_id)):
            event = bookings[row_id][0] if row_id in bookings else bookings[codes[str(code)]][0]
        else:
            continue
        raise Refusal("uplink_event_invalid", seq=event.seq, why=f"it names {table[:-1]} {row_id}, another's here",
                      details={"seq": event.seq})  # fmt: skip


def _relayed_event(ctx: Context, site_id: str, item: Any) -> Event:
    """One event of a mall's log as its server sent it ({seq, type, site, at, data}), without what an earlier
    release's box still sends that is withheld here (so no check meets a booking's code); the domain checks the
    rest."""
    if not isinstance(item, dict) or set(item) != {"seq", "type", "site", "at", "data"}:
        raise Refusal("invalid_field.relayed_event", details={"field": "events"})
    seq, type_, site, at, data = (item[k] for k in ("seq", "type", "site", "at", "data"))
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
        raise Refusal("invalid_field.relayed_event", details={"field": "events"})
    if not isinstance(type_, str) or not isinstance(site, str) or not isinstance(at, str) or not isinstance(data, dict):
        raise invalid_event(seq, "type, site and at are text, data an object")
    data = {key: value for key, value in withheld(data).items() if key != TEXT_WITHHELD}  # the mirror's to make
    text = data.get("text")
    if type_ == ev.SITE_RUNNING_TEXT and isinstance(text, str) and plaintext.personal_shown(text):
        # A box of an earlier release never checked its running text: what this server serves and keeps of a mall
        # names no citizen, so the copy holds none of it (domain/relay.text_withheld) and the mall's dashboard
        # here says so (supervision/alerts.py, running_text_withheld). The log line says where, never the text.
        log.warning("site %s: the running text of the mall's event %s names a citizen; withheld here", site_id, seq)
        data = text_withheld(type_, data)
    reason = data.get("reason")
    if type_ == ev.DAY_CLOSED and isinstance(reason, str) and plaintext.personal_shown(reason):
        # The same for why the mall closed its day, which the mall's pages here would say: left out, not refused.
        log.warning("site %s: the reason of the mall's day.closed event %s names a citizen; left out", site_id, seq)
        data = part_withheld(type_, data, {key: value for key, value in data.items() if key != "reason"})
    pauses = data.get("pauses")
    if type_ == ev.SERVICE_PAUSED and isinstance(pauses, list):
        # And why a service's issuing paused, which the mall's kiosk view and phones here say: a generic word instead
        # (a pause has a reason). A box checks its own; this one's pages depend on no box doing so.
        named = [p for p in pauses if isinstance(p, dict) and plaintext.personal_shown(str(p.get("reason", "")))]
        if named:
            log.warning(
                "site %s: a reason of the mall's service.paused event %s names a citizen; withheld", site_id, seq
            )
            replaced = [p | {"reason": PAUSE_REASON_WITHHELD} if p in named else p for p in pauses]
            data = part_withheld(type_, data, data | {"pauses": replaced})
    try:
        when = datetime.fromisoformat(at)
    except ValueError:
        raise invalid_event(seq, f"{at[:40]!r} is not an ISO 8601 time") from None
    if type_ == ev.SITE_CONFIGURED:
        # The same for the free texts of a configuration that screens and pages show (names, the running text, the
        # templates ...): each that names a citizen is replaced by its default, or its id (domain/relay.py), and the
        # dashboard says where (configuration_withheld). The log line names the places, which are ids, never a text.
        data, places = configuration_withheld(data, plaintext.names_citizen, when)
        if places:
            log.warning("site %s: the configuration of the mall's event %s names a citizen in %s; withheld here",
                        site_id, seq, ", ".join(places))  # fmt: skip
    objects: dict[str, Any] = {}
    if type_ == ev.SITE_CONFIGURED and site == site_id:
        document = data.get("document")
        if not isinstance(document, dict):
            raise invalid_event(seq, "a site.configured event carries its 'document'")
        try:
            objects["site"] = ctx.engine.parse_configuration(site_id, document)
        except SiteFileError as exc:
            raise invalid_event(
                seq, "its configuration cannot be read here: " + "; ".join(exc.problems)[:300]
            ) from None
    return Event(type_, site, when, data, seq, objects=objects)
