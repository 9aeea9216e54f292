"""decide(state, command, now) -> events: every rule of the queue, with no I/O and no clock of its own."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any, NoReturn

from queue_server.domain import commands as c
from queue_server.domain import events as ev
from queue_server.domain.booking import DAY_CLOSED_REASON, Booking, BookingState
from queue_server.domain.catalogue import CHANNELS, PRIORITY_GROUPS, RUNNING_TEXT_MAX, Counter, Service, Site
from queue_server.domain.events import Event
from queue_server.domain.issuing_pause import IssuingPause
from queue_server.domain.model import (
    EXPIRING_STATES,
    OPEN_STATES,
    CounterState,
    CounterStatus,
    IllegalTransition,
    Ticket,
    TicketState,
    format_label,
)
from queue_server.domain.refusal import Refusal
from queue_server.domain.relay import relay
from queue_server.domain.routing import pick_next
from queue_server.domain.state import SiteState

NOTE_MAX = 200


def decide(state: SiteState, command: c.Command, now: datetime) -> list[Event]:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if state.mirrored and not isinstance(command, c.Relay):
        # Decided at the mall, which sends its log up (domain/relay.py): here it is only shown.
        raise Refusal("site_mirrored", site=state.site.name)
    handler = _HANDLERS[type(command)]
    events = handler(state, command, now)
    if isinstance(command, c.Relay):
        return events  # a mall's own events, as they are
    return _stamped(events, getattr(command, "by", None))


def _stamped(events: list[Event], by: str | None) -> list[Event]:
    """Each ticket a command changed records who gave it (`Ticket.by`; None: a kiosk, the system)."""
    out = []
    for event in events:
        moved = [key for key in ("ticket", "new_ticket") if isinstance(event.objects.get(key), Ticket)]
        moved = [key for key in moved if event.objects[key].by != by]
        if not moved:
            out.append(event)
            continue
        data, objects = dict(event.data), dict(event.objects)
        for key in moved:
            objects[key] = replace(objects[key], by=by)
            data[key] = {**data[key], "by": by}
        out.append(replace(event, data=data, objects=objects))
    return out


# --- helpers -------------------------------------------------------------------------------------------


def _event(state: SiteState, type_: str, now: datetime, **data: Any) -> Event:
    """An event; tickets, counter states and bookings among `data` become their snapshots (dicts)."""
    if isinstance(data.get("counter"), CounterStatus):
        data["counter"] = _idle_stamped(data["counter"], now)
    objects = {key: value for key, value in data.items() if isinstance(value, (Ticket, CounterStatus, Booking))}
    for key, value in objects.items():
        data[key] = value.to_dict()
    return Event(type_, state.site.id, now, data, objects=objects)


def _idle_stamped(status: CounterStatus, now: datetime) -> CounterStatus:
    """The counter with when it became idle (open, nobody called): kept while it stays so, None once it calls,
    pauses or closes. Stamped here, on every counter snapshot an event carries, so that no rule can forget it."""
    idle = status.state is CounterState.OPEN and status.current is None
    since = (status.idle_since or now) if idle else None
    return status if since == status.idle_since else replace(status, idle_since=since)


def _counter(state: SiteState, counter_id: str) -> tuple[Counter, CounterStatus]:
    config = state.site.counters.get(counter_id)
    if config is None:
        raise Refusal("unknown_counter", counter_id=counter_id, site=state.site.name, details={"counter": counter_id})
    return config, state.counter(counter_id)


def _current(state: SiteState, status: CounterStatus, counter_name: str) -> Ticket:
    if status.current is None:
        raise Refusal("no_current_ticket", counter=counter_name, details={"counter": status.id})
    return state.tickets[status.current]


def _expected(
    state: SiteState, config: Counter, status: CounterStatus, ref: str | None, now: datetime, action: str
) -> None:
    """The ticket the operator saw at the counter (`ref`, optional) is still the counter's; otherwise refused,
    naming what changed (a colleague at the same counter finished it, a supervisor moved it ...). A ticket of this
    agency that was at this counter is said with what became of it and who did it; any other ticket (one the counter
    never held, another agency's) is said to be no ticket of this counter, with nothing of its state, its handler or
    its id: another agency's work is not this counter's to read. Nothing else is checked here: the command's own
    rules follow. `action`: the command refused, for what to do about it (messages.toml, [advice])."""
    if ref is None:
        return
    named = find_ticket(state, ref, state.site.service_day(now))
    if status.current == named.id:
        return
    current = state.tickets.get(status.current) if status.current else None
    if named.agency != config.agency or not _was_at(state, named, status.id):
        kept = {"counter": status.id, "current": current.id if current else None}
        if current is not None:
            raise Refusal("ticket_changed.not_here_other", ticket=named.label, counter=config.name,
                          current=current.label, details=kept)  # fmt: skip
        raise Refusal("ticket_changed.not_here", ticket=named.label, counter=config.name, details=kept)
    details = {"counter": status.id, "ticket": named.id, "found": named.state.value,
               "current": current.id if current else None, "by": named.by}  # fmt: skip
    action = f"{action}.{named.state.value}"  # a start of a citizen marked absent: call the number again, not "no need"
    if current is not None:
        raise Refusal("ticket_changed.other", happened=happened(state, named), action=action, counter=config.name,
                      current=current.label, details=details)  # fmt: skip
    raise Refusal("ticket_changed", happened=happened(state, named), action=action, details=details)


# When a ticket reached the state it is in: said with what happened to it.
_SINCE: dict[TicketState, str] = {
    TicketState.CALLED: "called_at", TicketState.SERVING: "started_at", TicketState.PARKED: "parked_at",
    TicketState.DONE: "finished_at", TicketState.NO_SHOW: "finished_at", TicketState.TRANSFERRED: "finished_at",
    TicketState.CANCELLED: "finished_at", TicketState.EXPIRED: "finished_at",
}  # fmt: skip


def happened(state: SiteState, ticket: Ticket) -> dict[str, Any]:
    """What became of a ticket, as the server holds it, for a refusal's `{happened:happened}` (common/messages.py):
    its state, the counter where (none once back in the queue), the account whose command made that change (staff
    data: an operator's refusal only, never a citizen's name), when (local time) and, for a transfer, the service it
    went to. "A-001 sudah mulai dilayani di Loket 3 oleh sari pukul 09.12." tells an operator what a colleague did."""
    parent = state.tickets.get(ticket.parent) if ticket.parent else None
    if ticket.state is TicketState.WAITING and parent is not None and parent.state is TicketState.TRANSFERRED:
        target = state.site.services.get(ticket.service)  # the new leg of a transfer, named by the old label
        return {**happened(state, parent), "service": target.name if target else None}
    where = state.site.counters.get(ticket.counter) if ticket.counter else None
    waiting = ticket.state is TicketState.WAITING  # never called, or put back: who did it last is not told
    if waiting or ticket.state is TicketState.EXPIRED:
        where = None
    since = getattr(ticket, _SINCE[ticket.state]) if ticket.state in _SINCE else None
    service: str | None = None  # where a transfer sent it: its new leg's service
    if ticket.state is TicketState.TRANSFERRED:
        leg = next((t for t in state.tickets.values() if t.parent == ticket.id), None)
        known = state.site.services.get(leg.service) if leg else None
        service = known.name if known else None
    return {
        "ticket": ticket.label, "state": ticket.state.value, "counter": where.name if where else None,
        "by": None if waiting else ticket.by, "at": state.site.local(since) if since else None, "service": service,
    }  # fmt: skip


def _moved(state: SiteState, ticket: Ticket, target: TicketState, action: str, **changes: Any) -> Ticket:
    """`ticket.moved_to` for an operator's command: a ticket that moved on where the command cannot follow (a
    colleague started it, another counter called it ...) is refused with the code of an illegal transition, in words
    of what happened and what to do rather than of the state machine."""
    try:
        return ticket.moved_to(target, **changes)
    except IllegalTransition as refused:
        raise Refusal(
            "illegal_transition.moved", happened=happened(state, ticket), action=action,
            details={**refused.details, "by": ticket.by, "counter": ticket.counter},
        ) from None  # fmt: skip


def _was_at(state: SiteState, ticket: Ticket, counter_id: str) -> bool:
    """Whether the counter held this ticket, as its state still says: it was called there (and kept that counter
    since: served, parked, no-show, cancelled), or it is the new leg of a ticket transferred from there."""
    if ticket.counter == counter_id:
        return True
    parent = state.tickets.get(ticket.parent) if ticket.parent else None
    return parent is not None and parent.counter == counter_id


def _require_open(state: SiteState, status: CounterStatus, counter_name: str) -> None:
    if status.state is CounterState.PAUSED:
        _refuse_as_left("counter_paused", state, status, counter_name, status.paused_by, status.paused_at)
    if status.state is CounterState.CLOSED:
        _refuse_as_left("counter_closed", state, status, counter_name, status.closed_by, status.closed_at)


# Each refusal on a paused or closed counter, and its words when the counter's state names who left it so.
_LEFT_BY = {
    "counter_paused": "counter_paused.by",
    "counter_closed": "counter_closed.by",
    "counter_paused.already": "counter_paused.already.by",
    "counter_already_closed": "counter_already_closed.by",
}


def _refuse_as_left(
    code: str, state: SiteState, status: CounterStatus, counter_name: str, by: str | None, at: datetime | None
) -> NoReturn:
    """A refusal on a paused or closed counter, naming who left it so and when where the counter's state knows (not
    in an event an earlier release wrote, nor after a close by the server): "Loket 1 dijeda oleh sari pukul 10.02."."""
    details = {"counter": status.id, "by": by, "at": at.isoformat() if at else None}
    if by and at:
        raise Refusal(_LEFT_BY[code], counter=counter_name, by=by, at=state.site.local(at), details=details)
    raise Refusal(code, counter=counter_name, details=details)


def _require_idle(state: SiteState, status: CounterStatus, counter_name: str) -> None:
    if status.current is not None:
        ticket = state.tickets[status.current]
        raise Refusal(
            "counter_busy",
            counter=counter_name,
            ticket=ticket.label,
            happened=happened(state, ticket),
            details={"counter": status.id, "ticket": ticket.id, "found": ticket.state.value, "by": ticket.by},
        )


_LABEL = re.compile(r"^\s*([A-Za-z]{1,3})\s*-?\s*0*(\d{1,4})\s*$")


def find_ticket(state: SiteState, ref: str, today: date) -> Ticket:
    """A ticket by id, or by its label today ('A-012', 'a12', 'A 12' all name the same ticket)."""
    ticket = state.tickets.get(ref)
    if ticket is None:
        match = _LABEL.match(ref)
        if match:
            label = format_label(match.group(1).upper(), int(match.group(2)))
            ticket_id = state.by_label.get((today, label))
            ticket = state.tickets.get(ticket_id) if ticket_id else None
    if ticket is None:
        raise Refusal("unknown_ticket.ref", ref=ref, details={"ticket": ref})
    return ticket


def _service(state: SiteState, service_id: str) -> Service:
    service = state.site.services.get(service_id)
    if service is None:
        raise Refusal("unknown_service", service=service_id, site=state.site.name, details={"service": service_id})
    return service


def _counter_holding(state: SiteState, ticket: Ticket) -> CounterStatus | None:
    if ticket.counter is None:
        return None
    status = state.counters.get(ticket.counter)
    return status if status and status.current == ticket.id else None


# --- ticket issuing ------------------------------------------------------------------------------------


def issuing_refusal(state: SiteState, now: datetime) -> Refusal | None:
    """Why no ticket can be issued now (the day closed, outside opening hours), or None: a kiosk says it first."""
    try:
        _require_site_open(state, now)
    except Refusal as refusal:
        return refusal
    return None


def _require_site_open(state: SiteState, now: datetime) -> date:
    """The local service day, if tickets may be issued now."""
    site = state.site
    local = site.local(now)
    day = local.date()
    if day in state.closed_days:
        # closed by a supervisor for the rest of the day: when it opens again (a later day's hours) is said too, and
        # why where the supervisor said it (a power cut, the central system down): citizens are owed the reason
        after = site.hours.next_opening(datetime.combine(day, time.max, tzinfo=local.tzinfo))
        reason = state.closed_reasons.get(day)
        key = (
            ("day_closed.reason.until" if after else "day_closed.reason")
            if reason
            else ("day_closed.until" if after else "day_closed")
        )
        details = {"next_opening": after.isoformat() if after else None, "closed_reason": reason}
        raise Refusal(key, site=site.name, opening=after, reason=reason, details=details)
    if site.enforce_hours and not site.hours.is_open(local):
        raise _closed_now(site, local)
    return day


def _closed_now(site: Site, local: datetime) -> Refusal:
    """Outside opening hours: when it opens again, and on a holiday why it is closed ("tutup: Hari Natal", the
    site's name for it, else "hari libur"), so the kiosk does not leave a citizen guessing."""
    day = local.date()
    opening = site.hours.next_opening(local)
    details: dict[str, Any] = {"next_opening": opening.isoformat() if opening else None}
    if opening is not None and day in site.hours.holidays:
        details["reason"] = "holiday"
        if name := site.hours.holiday_names.get(day):
            details["holiday"] = name
            return Refusal("site_closed.holiday", site=site.name, holiday=name, opening=opening, details=details)
        return Refusal("site_closed.closure", site=site.name, why="holiday", opening=opening, details=details)
    # before opening time (or over a midday break) it opens again today: "Buka hari ini pukul 07.30"
    later_today = opening is not None and opening.date() == day
    key = "site_closed.today" if later_today else "site_closed.until" if opening else "site_closed"
    return Refusal(key, site=site.name, opening=opening, details=details)


def _issue(state: SiteState, cmd: c.IssueTicket, now: datetime) -> list[Event]:
    service = _service(state, cmd.service)
    _require_priority_group(cmd.priority)
    if cmd.channel not in CHANNELS:
        raise Refusal("unknown_channel", channel=cmd.channel, choices=list(CHANNELS), details={"field": "channel"})
    _require_a_counter(state, service)
    day = _require_site_open(state, now)
    _require_not_paused(state, service, day, now)
    if state.walk_ins_left(service.id, day, now) == 0:
        online_left = state.online_places_left(service.id, day)
        if not service.online_quota:
            key = "quota_exhausted"
        elif online_left and not state.online_places_freed(service.id, day, now):
            key = "quota_exhausted.with_online"  # the truth: walk-ins are spent, but today's booking is not
        else:
            key = "quota_exhausted.book_ahead"
        raise Refusal(
            key,
            service=service.name,
            quota=service.walk_in_quota,
            online_left=online_left,
            details={"service": service.id, "quota": service.walk_in_quota, "online_left": online_left},
        )
    return [_event(state, ev.TICKET_ISSUED, now, ticket=_new_ticket(state, service, cmd, now, day))]


def _require_priority_group(priority: str | None) -> None:
    """A ticket's priority group is none or one of the UU 25/2009 groups: an issued ticket's and a booking's checked
    in alike."""
    if priority is not None and priority not in PRIORITY_GROUPS:
        raise Refusal(
            "unknown_priority_group", priority=priority, choices=list(PRIORITY_GROUPS), details={"field": "priority"}
        )


def _require_a_counter(state: SiteState, service: Service, key: str = "service_not_served", **params: Any) -> None:
    """A service no counter serves (unticked on its last counter) takes nobody into its line: nobody would ever call
    them. The configuration cannot leave open tickets or today's bookings so (`check_live_day`); this keeps new ones
    out (issued, transferred, checked in), decided with the configuration in force (an application-layer check
    could pass just as a change unticking it was queued)."""
    if not state.site.counters_serving(service.id):
        raise Refusal(key, service=service.name, **params, details={"service": service.id})


def _require_not_paused(state: SiteState, service: Service, day: date, now: datetime) -> None:
    """A service whose issuing a supervisor or its operator paused today (its central system down, blank forms run
    out) takes nobody new into its line: refused with why, and when it is expected to resume if said."""
    pause = state.issuing_pause(service.id, day)
    if pause is None:
        return
    until = state.site.local(pause.until) if pause.until and pause.until > now else None  # a hope past is not said
    raise Refusal(
        "issuing_paused.until" if until else "issuing_paused",
        service=service.name,
        reason=pause.reason,
        until=until,
        details={
            "service": service.id,
            "reason": pause.reason,
            "until": until.isoformat() if until else None,
        },
    )


def _new_ticket(
    state: SiteState,
    service: Service,
    cmd: c.IssueTicket,
    now: datetime,
    day: date,
    booked_slot: datetime | None = None,
) -> Ticket:
    if cmd.ticket_id in state.tickets:
        raise Refusal("duplicate_ticket_id")
    number = state.last_number.get((service.id, day), 0) + 1
    return Ticket(
        id=cmd.ticket_id,
        site=state.site.id,
        service=service.id,
        agency=service.agency,
        series=service.id,
        day=day,
        number=number,
        label=format_label(service.prefix, number),
        state=TicketState.WAITING,
        priority=cmd.priority,
        channel=cmd.channel,
        token=cmd.token,
        issued_at=now,
        queue_key=now,
        booked_slot=booked_slot,
        contact=cmd.contact,
    )


# --- counter work --------------------------------------------------------------------------------------


def _call(state: SiteState, counter_id: str, ticket: Ticket, now: datetime, out_of_order: bool, action: str) -> Event:
    config, status = _counter(state, counter_id)
    called = _moved(state, ticket, TicketState.CALLED, action, counter=counter_id, called_at=now, recalls=0)
    streak = status.priority_streak + 1 if ticket.priority else 0
    new_status = replace(status, current=ticket.id, priority_streak=streak)
    return _event(
        state,
        ev.TICKET_CALLED,
        now,
        ticket=called,
        counter=new_status,
        out_of_order=out_of_order,
    )


def _call_next(state: SiteState, cmd: c.CallNext, now: datetime) -> list[Event]:
    config, status = _counter(state, cmd.counter)
    _require_open(state, status, config.name)
    _require_idle(state, status, config.name)
    ticket = pick_next(state, config, state.site.service_day(now), now)
    if ticket is None:
        raise Refusal("queue_empty", counter=config.name, details={"counter": config.id})
    return [_call(state, cmd.counter, ticket, now, out_of_order=False, action="call_next")]


def _named_for_idle_counter(state: SiteState, counter_id: str, ref: str, now: datetime) -> tuple[Counter, Ticket]:
    """A counter that is open and free, and the ticket it names (by id or today's label): a call out of turn or
    the call back of a parked ticket."""
    config, status = _counter(state, counter_id)
    _require_open(state, status, config.name)
    _require_idle(state, status, config.name)
    return config, find_ticket(state, ref, state.site.service_day(now))


def _require_served(config: Counter, ticket: Ticket) -> None:
    if ticket.service not in config.services:
        raise Refusal(
            "not_served_here",
            ticket=ticket.label,
            counter=config.name,
            details={"ticket": ticket.id, "counter": config.id},
        )


def _call_ticket(state: SiteState, cmd: c.CallTicket, now: datetime) -> list[Event]:
    config, ticket = _named_for_idle_counter(state, cmd.counter, cmd.ticket, now)
    _require_served(config, ticket)
    if ticket.state is TicketState.CALLED:
        raise Refusal(
            "already_called", happened=happened(state, ticket), action="call",
            details={"ticket": ticket.id, "by_counter": ticket.counter, "by": ticket.by},
        )  # fmt: skip
    return [_call(state, cmd.counter, ticket, now, out_of_order=True, action="call")]


def _recall(state: SiteState, cmd: c.Recall, now: datetime) -> list[Event]:
    config, status = _counter(state, cmd.counter)
    _expected(state, config, status, cmd.expected, now, "recall")
    ticket = _current(state, status, config.name)
    recalled = _moved(state, ticket, TicketState.CALLED, "recall", recalls=ticket.recalls + 1)
    return [_event(state, ev.TICKET_RECALLED, now, ticket=recalled, counter=status)]


def _park(state: SiteState, cmd: c.ParkTicket, now: datetime) -> list[Event]:
    config, status = _counter(state, cmd.counter)
    _expected(state, config, status, cmd.expected, now, "park")
    ticket = _current(state, status, config.name)
    note = (cmd.note or "").strip() or None
    if note and len(note) > NOTE_MAX:
        raise Refusal("note_too_long", max_len=NOTE_MAX, details={"field": "note"})
    parked = _moved(state, ticket, TicketState.PARKED, "park", note=note or ticket.note, parked_at=now)
    idle = replace(status, current=None)
    return [_event(state, ev.TICKET_PARKED, now, ticket=parked, counter=idle)]


def _unpark(state: SiteState, cmd: c.UnparkTicket, now: datetime) -> list[Event]:
    config, ticket = _named_for_idle_counter(state, cmd.counter, cmd.ticket, now)
    _require_served(config, ticket)  # first: what became of another agency's ticket is not this counter's to read
    if ticket.state is not TicketState.PARKED:
        raise Refusal("not_parked", happened=happened(state, ticket), action="unpark",
                      details={"ticket": ticket.id, "found": ticket.state.value, "by": ticket.by})  # fmt: skip
    return [_call(state, cmd.counter, ticket, now, out_of_order=False, action="unpark")]


def _return_parked(state: SiteState, cmd: c.ReturnParked, now: datetime) -> list[Event]:
    ticket = find_ticket(state, cmd.ticket, state.site.service_day(now))
    if ticket.state is not TicketState.PARKED or ticket.day != state.site.service_day(now):  # a past day's is over
        raise Refusal("not_parked", happened=happened(state, ticket), action="return",
                      details={"ticket": ticket.id, "found": ticket.state.value, "by": ticket.by})  # fmt: skip
    # At its old place: the citizen was called on time and only fetched a document (a late arrival goes to the back).
    back = ticket.moved_to(
        TicketState.WAITING, counter=None, called_at=None, started_at=None, recalls=0, parked_at=None
    )
    return [_event(state, ev.TICKET_RETURNED, now, ticket=back)]


def _start(state: SiteState, cmd: c.StartService, now: datetime) -> list[Event]:
    config, status = _counter(state, cmd.counter)
    _expected(state, config, status, cmd.expected, now, "start")
    ticket = _current(state, status, config.name)
    if ticket.state is TicketState.SERVING:  # a second start: someone (maybe a colleague here) started it already
        raise Refusal(
            "already_serving", happened=happened(state, ticket), action="start",
            details={"ticket": ticket.id, "found": ticket.state.value, "by": ticket.by},
        )  # fmt: skip
    started = ticket.moved_to(TicketState.SERVING, started_at=now)
    return [_event(state, ev.TICKET_STARTED, now, ticket=started, counter=status)]


def _finish(state: SiteState, cmd: c.FinishService, now: datetime) -> list[Event]:
    config, status = _counter(state, cmd.counter)
    _expected(state, config, status, cmd.expected, now, "finish")
    ticket = _current(state, status, config.name)
    out: list[Event] = []
    if ticket.state is TicketState.CALLED:
        # Finishing straight from "called" means the service happened without pressing start.
        ticket = ticket.moved_to(TicketState.SERVING, started_at=now)
        out.append(_event(state, ev.TICKET_STARTED, now, ticket=ticket, counter=status))
    done = ticket.moved_to(TicketState.DONE, finished_at=now)
    idle = replace(status, current=None)
    out.append(_event(state, ev.TICKET_FINISHED, now, ticket=done, counter=idle))
    return out


def _no_show(state: SiteState, cmd: c.MarkNoShow, now: datetime) -> list[Event]:
    config, status = _counter(state, cmd.counter)
    _expected(state, config, status, cmd.expected, now, "no_show")
    ticket = _current(state, status, config.name)
    missed = _moved(state, ticket, TicketState.NO_SHOW, "no_show", finished_at=now)
    idle = replace(status, current=None)
    return [_event(state, ev.TICKET_NO_SHOW, now, ticket=missed, counter=idle)]


def _requeue(state: SiteState, cmd: c.RequeueTicket, now: datetime) -> list[Event]:
    ticket = find_ticket(state, cmd.ticket, state.site.service_day(now))
    if ticket.state is not TicketState.NO_SHOW or ticket.day != state.site.service_day(now):  # a past day's is over
        raise Refusal("not_no_show", happened=happened(state, ticket), action="requeue",
                      details={"ticket": ticket.id, "found": ticket.state.value, "by": ticket.by})  # fmt: skip
    if ticket.day in state.closed_days:  # back into a queue no counter can open for today (issuing is closed too)
        raise Refusal("day_closed.requeue", site=state.site.name, ticket=ticket.label, details={"ticket": ticket.id})
    # A late arrival goes to the back of the queue: keeping the old place would jump everyone who came on time.
    back = ticket.moved_to(TicketState.WAITING, queue_key=now, counter=None, finished_at=None, called_at=None)
    return [_event(state, ev.TICKET_REQUEUED, now, ticket=back)]


def _transfer(state: SiteState, cmd: c.TransferTicket, now: datetime) -> list[Event]:
    target = _service(state, cmd.target_service)
    _require_a_counter(state, target, "service_not_served.transfer")
    note = (cmd.note or "").strip() or None
    if note and len(note) > NOTE_MAX:
        raise Refusal("note_too_long", max_len=NOTE_MAX, details={"field": "note"})
    if cmd.counter is not None:
        config, status = _counter(state, cmd.counter)
        _expected(state, config, status, cmd.expected, now, "transfer")
        ticket = _current(state, status, config.name)
    elif cmd.ticket is not None:
        ticket = find_ticket(state, cmd.ticket, state.site.service_day(now))
    else:
        raise Refusal("missing_ticket", details={"field": "ticket"})
    if target.id == ticket.service:
        raise Refusal(
            "same_service", ticket=ticket.label, target_service=target.name, details={"field": "target_service"}
        )
    old = ticket.moved_to(TicketState.TRANSFERRED, finished_at=now)
    new = replace(
        ticket,
        id=cmd.new_ticket_id,
        service=target.id,
        agency=target.agency,
        state=TicketState.WAITING,
        counter=None,
        called_at=None,
        started_at=None,
        finished_at=None,
        recalls=0,
        parent=ticket.id,
        note=note,
    )
    data: dict[str, Any] = {"ticket": old, "new_ticket": new}
    holder = _counter_holding(state, ticket)
    if holder is not None:
        data["counter"] = replace(holder, current=None)
    return [_event(state, ev.TICKET_TRANSFERRED, now, **data)]


def _cancel(state: SiteState, cmd: c.CancelTicket, now: datetime) -> list[Event]:
    ticket = find_ticket(state, cmd.ticket, state.site.service_day(now))
    cancelled = ticket.moved_to(TicketState.CANCELLED, finished_at=now)
    data: dict[str, Any] = {"ticket": cancelled, "reason": (cmd.reason or "")[:NOTE_MAX] or None}
    holder = _counter_holding(state, ticket)
    if holder is not None:
        data["counter"] = replace(holder, current=None)
    return [_event(state, ev.TICKET_CANCELLED, now, **data)]


# --- counters and the day ------------------------------------------------------------------------------


def _open_counter(state: SiteState, cmd: c.OpenCounter, now: datetime) -> list[Event]:
    config, status = _counter(state, cmd.counter)
    if status.state is CounterState.OPEN:  # a colleague opened (or resumed) it a moment before
        raise Refusal("counter_already_open.by" if status.operator else "counter_already_open", counter=config.name,
                      by=status.operator or "", details={"counter": config.id, "by": status.operator})  # fmt: skip
    if state.site.service_day(now) in state.closed_days:  # nothing to call: issuing is closed until tomorrow
        raise Refusal("day_closed.counter", site=state.site.name, counter=config.name)
    opened = replace(
        status, state=CounterState.OPEN, operator=cmd.operator or status.operator,
        released=None, released_from=None, released_at=None, released_ticket=None, released_parked=False,
    )  # fmt: skip
    return [_event(state, ev.COUNTER_OPENED, now, counter=opened)]


def _pause_counter(state: SiteState, cmd: c.PauseCounter, now: datetime) -> list[Event]:
    config, status = _counter(state, cmd.counter)
    if status.state is CounterState.PAUSED:  # a colleague paused it a moment before
        _refuse_as_left("counter_paused.already", state, status, config.name, status.paused_by, status.paused_at)
    _require_open(state, status, config.name)
    _require_idle(state, status, config.name)
    paused = replace(status, state=CounterState.PAUSED, paused_by=cmd.by, paused_at=now)
    return [_event(state, ev.COUNTER_PAUSED, now, counter=paused)]


def _close_counter(state: SiteState, cmd: c.CloseCounter, now: datetime) -> list[Event]:
    config, status = _counter(state, cmd.counter)
    if status.state is CounterState.CLOSED:
        _refuse_as_left("counter_already_closed", state, status, config.name, status.closed_by, status.closed_at)
    out: list[Event] = []
    ticket = _held(state, status)
    if ticket is not None and ticket.state is TicketState.SERVING:
        _require_idle(state, status, config.name)
    if ticket is not None and ticket.state is TicketState.CALLED:
        # A called ticket nobody started goes back to the queue at its old place.
        back = ticket.moved_to(TicketState.WAITING, counter=None, called_at=None, recalls=0)
        out.append(_event(state, ev.TICKET_RETURNED, now, ticket=back))
    closed = replace(
        status, state=CounterState.CLOSED, current=None, priority_streak=0, operator=None, closed_by=cmd.by,
        closed_at=now,
    )  # fmt: skip
    out.append(_event(state, ev.COUNTER_CLOSED, now, counter=closed))
    return out


def _held(state: SiteState, status: CounterStatus) -> Ticket | None:
    """The ticket a counter holds, called or being served, that its close must see to. A counter can still point to
    one whose day was closed without it (a counter the close did not know of, added on the web): that ticket is over
    (expired), and closing the counter leaves it so; only reopening its day brings an expired ticket back."""
    ticket = state.tickets.get(status.current) if status.current else None
    return ticket if ticket is not None and ticket.state in (TicketState.CALLED, TicketState.SERVING) else None


def _release_counters(state: SiteState, cmd: c.ReleaseCounters, now: datetime) -> list[Event]:
    """Counters nobody may work any more (their account disabled, removed, moved to another agency) are closed, as a
    supervisor would close them, with their citizen safe: a called ticket goes back to the queue at its old place (as
    any close does), a ticket being served is parked, to be called back by a colleague's counter (a citizen halfway
    through is neither dropped nor called by the next free counter as if new). Decided on the state under the site's
    lock, so on PostgreSQL the process that decides sees what every other process did at these counters."""
    out: list[Event] = []
    for counter_id, status in sorted(state.counters.items()):
        config = state.site.counters.get(counter_id)
        if config is None or status.state is CounterState.CLOSED or status.operator != cmd.operator:
            continue
        if config.agency == cmd.agency or counter_id in cmd.spared:
            continue  # still theirs, or a colleague signed in at it has it in hand
        ticket = _held(state, status)
        if ticket is not None and ticket.state is TicketState.SERVING:
            parked = ticket.moved_to(TicketState.PARKED, parked_at=now)
            out.append(_event(state, ev.TICKET_PARKED, now, ticket=parked, counter=replace(status, current=None)))
        elif ticket is not None and ticket.state is TicketState.CALLED:
            back = ticket.moved_to(TicketState.WAITING, counter=None, called_at=None, recalls=0)
            out.append(_event(state, ev.TICKET_RETURNED, now, ticket=back))
        closed = replace(
            status, state=CounterState.CLOSED, current=None, priority_streak=0, operator=None,
            closed_by=None, closed_at=None, released=cmd.reason, released_from=cmd.operator, released_at=now,
            released_ticket=ticket.label if ticket else None,
            released_parked=ticket is not None and ticket.state is TicketState.SERVING,
        )  # fmt: skip
        out.append(_event(state, ev.COUNTER_CLOSED, now, counter=closed))
    return out


def _close_day(state: SiteState, cmd: c.CloseDay, now: datetime) -> list[Event]:
    day = cmd.day or state.site.service_day(now)
    if day > state.site.service_day(now):
        raise Refusal("day_in_future", day=day, details={"field": "day"})
    # A second close of the day (a counter still held, two processes at midnight) keeps the reason said before: the
    # state keeps it, and a restart reads the reason of the latest close. The reason comes checked (a command says).
    reason = cmd.reason or state.closed_reasons.get(day)
    out: list[Event] = []
    for ticket in sorted(expired_by_closing(state, day), key=lambda t: (t.day, t.label, t.id)):
        expired = ticket.moved_to(TicketState.EXPIRED, finished_at=now)
        out.append(_event(state, ev.TICKET_EXPIRED, now, ticket=expired))
    for status in state.counters.values():
        if status.state is not CounterState.CLOSED or status.current is not None:
            closed = CounterStatus(status.id)
            out.append(_event(state, ev.COUNTER_CLOSED, now, counter=closed))
    again = day in state.closed_days
    if not out and again:  # closed already (twice from one page, or two processes at midnight)
        raise Refusal("day_already_closed", day=day)
    count = sum(1 for e in out if e.type == ev.TICKET_EXPIRED)
    said: dict[str, Any] = {"reason": reason} if reason else {}  # without one (every earlier release's): not said
    if again:  # closed before and still closed: what the first close told citizens is not told again
        said["again"] = True
    out.append(_event(state, ev.DAY_CLOSED, now, day=day.isoformat(), expired=count, **said))
    return out


def _reopen_day(state: SiteState, cmd: c.ReopenDay, now: datetime) -> list[Event]:
    """Only today (a past day is over), only if closed. Its expired tickets wait again at their old places (its
    no-shows, not expired by the close, stay no-shows); the counters stay closed until their operators open them;
    bookings released meanwhile stay released."""
    today = state.site.service_day(now)
    if cmd.day != today:
        raise Refusal("reopen_only_today", day=cmd.day, details={"field": "day"})
    if cmd.day not in state.closed_days:
        raise Refusal("day_not_closed", day=cmd.day)
    out: list[Event] = []
    for ticket in sorted(state.tickets.values(), key=lambda t: (t.queue_key, t.id)):
        if ticket.day == cmd.day and ticket.state is TicketState.EXPIRED:
            back = ticket.moved_to(TicketState.WAITING, counter=None, called_at=None, started_at=None, finished_at=None)
            out.append(_event(state, ev.TICKET_RETURNED, now, ticket=back))
    out.append(_event(state, ev.DAY_REOPENED, now, day=cmd.day.isoformat(), restored=len(out)))
    return out


# --- online bookings -------------------------------------------------------------------------------------


def find_booking(state: SiteState, code: str) -> Booking:
    booking_id = state.booking_codes.get(code.strip().upper())
    if booking_id is None:
        raise Refusal("unknown_booking", code=code)
    return state.bookings[booking_id]


def expired_by_closing(state: SiteState, day: date) -> Iterator[Ticket]:
    """The tickets closing `day` expires (in no order): each of that day or earlier not served nor over. The close
    itself, the "Tutup hari" dialog's count and the messages it would send read them here alike."""
    return (t for t in state.tickets.values() if t.day <= day and t.state in EXPIRING_STATES)


def checkin_window(state: SiteState, booking: Booking) -> tuple[datetime, datetime]:
    """From the policy's minutes before the slot, but not before the opening range the slot is in begins: a 07.30
    slot of a mall opening at 07.30 was told "from 07.00" and refused as closed until 07.30 (and a 13.00 slot
    after the Friday break, during the break)."""
    site, policy = state.site, state.site.booking
    opens = booking.slot_start - timedelta(minutes=policy.checkin_before_minutes)
    if site.enforce_hours:
        local = site.local(booking.slot_start)
        for start, end in site.hours.ranges_on(local.date()):
            if start <= local.time() < end:
                opens = max(opens, datetime.combine(local.date(), start, tzinfo=site.tz))
                break
    return opens, booking.slot_start + timedelta(minutes=policy.checkin_after_minutes)


def why_no_slots(state: SiteState, service: Service, day: date, now: datetime) -> str | None:
    """Why `day` offers `service` no slot at all, as a word (the slots' answer says it, the booking page writes its
    sentence and a booking of it is refused with it): a day before today (`past`), after the last day the booking
    horizon reaches (`too_far`), a holiday of the site file, a day a supervisor closed (`closed_day`), a weekday the
    mall does not open (`closed`), a service that takes no bookings (`not_offered`) or that no counter serves
    (`not_served`), today's issuing of the service paused (`paused`). None: the day has slots (each may be full or
    begun already)."""
    site = state.site
    today = site.service_day(now)
    if day < today:
        return "past"
    if day > today + timedelta(days=site.booking.days_ahead):
        return "too_far"
    if day in site.hours.holidays:
        return "holiday"
    if day in state.closed_days:
        return "closed_day"
    if not site.slots(day):
        return "closed"
    if service.online_quota <= 0:
        return "not_offered"
    if not site.counters_serving(service.id):
        return "not_served"
    if day == today and state.issuing_pause(service.id, day) is not None:
        return "paused"
    return None


def _bookable_slot(state: SiteState, service: Service, day: date, slot: time, now: datetime) -> datetime:
    """The start of the slot a booking chose, or the refusal of the day or slot chosen (what the citizen picked,
    said before anything about who they are: `choice_refusal`)."""
    site = state.site
    if service.online_quota <= 0:
        raise Refusal("booking_not_offered", service=service.name, details={"service": service.id})
    # As issuing: a booking of a service no counter serves could never be checked in (service_not_served.checkin)
    _require_a_counter(state, service, "service_not_served.booking")
    today = site.service_day(now)
    last = today + timedelta(days=site.booking.days_ahead)
    why = why_no_slots(state, service, day, now)
    if why in ("past", "too_far", "closed_day", "holiday", "closed"):
        # the day itself: said as such, with the last day that can be booked (a date from a page left open overnight)
        details: dict[str, Any] = {"days_ahead": site.booking.days_ahead, "why": why, "last_day": last.isoformat()}
        reason = state.closed_reasons.get(day) if why == "closed_day" else None
        if reason:
            details["reason"] = reason
        if why == "past":
            raise Refusal("slot_unavailable.past_day", day=day, last=last, details=details)
        if why == "too_far":
            raise Refusal("slot_unavailable.too_far", day=day, last=last, days=site.booking.days_ahead, details=details)
        if why == "closed_day":
            key = "slot_unavailable.closed_day.reason" if reason else "slot_unavailable.closed_day"
            raise Refusal(key, day=day, reason=reason, details=details)
        raise Refusal("slot_unavailable", day=day, slot=slot, details=details)
    start = next((s for s, _ in site.slots(day) if s.time() == slot), None)
    if start is None or start <= now:
        raise Refusal(
            "slot_unavailable.past" if start is not None else "slot_unavailable",
            day=day,
            slot=slot,
            details={"days_ahead": site.booking.days_ahead},
        )
    if day == today:  # a booking for later today would be a ticket of the paused line at its check-in
        _require_not_paused(state, service, today, now)
    return start


def _require_room(state: SiteState, service: Service, day: date, slot: time) -> None:
    if state.online_booked.get((service.id, day), 0) >= service.online_quota:
        raise Refusal("online_quota_exhausted", service=service.name, day=day, details={"quota": service.online_quota})
    if state.slot_booked.get((service.id, day, slot), 0) >= service.slot_capacity:
        raise Refusal("slot_full", slot=slot, details={"capacity": service.slot_capacity})


def choice_refusal(state: SiteState, service_id: str, day: date, slot: time, now: datetime) -> Refusal | None:
    """The refusal a booking of this service, day and slot would get whoever booked it (a day past, closed or too far
    ahead, a slot begun or full, the day's online quota spent), or None. Asked before the number's code is checked:
    the citizen hears first about what they chose, and a code is neither tried nor used by a booking refused for
    it. (Public anyway: the slots' answer says as much.) `_book` decides again when the booking is made."""
    try:
        service = _service(state, service_id)
        _bookable_slot(state, service, day, slot, now)
        _require_room(state, service, day, slot)
    except Refusal as refusal:
        return refusal
    return None


def _book(state: SiteState, cmd: c.BookSlot, now: datetime) -> list[Event]:
    site = state.site
    service = _service(state, cmd.service)
    start = _bookable_slot(state, service, cmd.day, cmd.slot, now)
    if (cmd.nik_hash, service.id, cmd.day) in state.nik_booked:
        raise Refusal("duplicate_booking", service=service.name, day=cmd.day)
    limit = site.booking.per_phone
    if cmd.phone_hash is not None and state.phone_booked.get((cmd.phone_hash, service.id, cmd.day), 0) >= limit:
        raise Refusal("phone_booking_limit", limit=limit, service=service.name, day=cmd.day, details={"limit": limit})
    _require_room(state, service, cmd.day, cmd.slot)
    if cmd.code in state.booking_codes or cmd.booking_id in state.bookings:
        raise Refusal("duplicate_booking_code")
    booking = Booking(cmd.booking_id, cmd.code, site.id, service.id, cmd.day, cmd.slot, start, cmd.nik_hash,
                      cmd.phone_masked, BookingState.BOOKED, now, contact=cmd.contact,
                      phone_hash=cmd.phone_hash)  # fmt: skip
    return [_event(state, ev.BOOKING_CREATED, now, booking=booking)]


def _cancel_booking(state: SiteState, cmd: c.CancelBooking, now: datetime) -> list[Event]:
    booking = find_booking(state, cmd.code).moved_to(BookingState.CANCELLED)
    return [_event(state, ev.BOOKING_CANCELLED, now, booking=booking)]


def check_in_refusal(state: SiteState, code: str, now: datetime) -> Refusal | None:
    """Why checking the booking of `code` in would be refused now (not known, cancelled, released, too early, already
    checked in, the site closed, no counter serving its service), or None. The kiosk asks it before its priority
    question, so a citizen is not asked a question for a code that cannot be used; the check-in decides again when it
    is made (its slot's window may close in between), with these same rules (`_checkable`)."""
    try:
        if state.mirrored:
            raise Refusal("site_mirrored", site=state.site.name)
        _checkable(state, find_booking(state, code), now)
    except Refusal as refusal:
        return refusal
    return None


def _checkable(state: SiteState, booking: Booking, now: datetime) -> tuple[date, Service]:
    """The day and service of a booking that may be checked in now, or the refusal its check-in gets."""
    if booking.state is BookingState.CHECKED_IN:
        raise Refusal("already_checked_in", booking=booking.code, details={"ticket": booking.ticket})  # fmt: skip
    if booking.state is BookingState.CANCELLED:  # before the window: "opens at 08.30" sent a citizen to wait for it
        raise Refusal("booking_cancelled", booking=booking.code, details={"found": booking.state.value})
    opens, closes = checkin_window(state, booking)
    if booking.state is BookingState.RELEASED or (booking.state is BookingState.BOOKED and now > closes):
        raise Refusal(
            "booking_released",
            booking=booking.code,
            closes=state.site.local(closes),
            details={"checkin_until": closes.isoformat()},
        )
    if now < opens:
        raise Refusal(
            "checkin_too_early",
            booking=booking.code,
            opens=state.site.local(opens),
            details={"checkin_from": opens.isoformat()},
        )
    day = _require_site_open(state, now)
    service = _service(state, booking.service)
    # As issuing: a ticket nobody would call. The booking stays as it is, to check in once a counter serves it.
    _require_a_counter(
        state, service, "service_not_served.checkin", booking=booking.code, closes=state.site.local(closes)
    )
    return day, service


def _check_in(state: SiteState, cmd: c.CheckIn, now: datetime) -> list[Event]:
    _require_priority_group(cmd.priority)
    booking = find_booking(state, cmd.code)
    day, service = _checkable(state, booking, now)
    checked = booking.moved_to(BookingState.CHECKED_IN, ticket=cmd.ticket_id)
    # Its priority group, if staff or the kiosk said one, as an issued ticket's (docs/citizen.md, "A booked citizen
    # of a priority group"): the citizen does not lose by booking the priority they would have had walking in.
    issue = c.IssueTicket(service.id, cmd.ticket_id, cmd.token, cmd.priority, "online", booking.contact)
    ticket = _new_ticket(state, service, issue, now, day, booked_slot=booking.slot_start)
    return [_event(state, ev.BOOKING_CHECKED_IN, now, booking=checked, ticket=ticket)]


def _release(state: SiteState, cmd: c.ReleaseLateBookings, now: datetime) -> list[Event]:
    """Bookings whose check-in window ended are released (a no-show), except on a day a supervisor closed: there
    the citizen could not check in, and the booking is cancelled by the mall (DAY_CLOSED_REASON), counted as
    nobody's no-show and said so on its status page."""
    out = []
    for booking in sorted(state.bookings.values(), key=lambda b: (b.slot_start, b.code)):
        if booking.state is BookingState.BOOKED and now > checkin_window(state, booking)[1]:
            if booking.day in state.closed_days:
                closed = booking.moved_to(BookingState.CANCELLED, cancel_reason=DAY_CLOSED_REASON)
                out.append(_event(state, ev.BOOKING_CANCELLED, now, booking=closed))
                continue
            released = booking.moved_to(BookingState.RELEASED)
            out.append(_event(state, ev.BOOKING_RELEASED, now, booking=released))
    return out


def _leave_contact(state: SiteState, cmd: c.LeaveContact, now: datetime) -> list[Event]:
    ticket_id = state.by_token.get(cmd.token)
    ticket = state.tickets.get(ticket_id) if ticket_id is not None else None
    if ticket is None:
        raise Refusal("unknown_ticket")
    if ticket.state not in OPEN_STATES:
        raise Refusal(
            "ticket_closed", ticket=ticket.label, found=ticket.state.value, details={"found": ticket.state.value}
        )
    return [_event(state, ev.TICKET_CONTACT_LEFT, now, ticket=replace(ticket, contact=cmd.contact))]


def _remove_contact(state: SiteState, cmd: c.RemoveContact, now: datetime) -> list[Event]:
    ticket_id = state.by_token.get(cmd.token)
    ticket = state.tickets.get(ticket_id) if ticket_id is not None else None
    if ticket is None:
        raise Refusal("unknown_ticket")
    if ticket.contact is None:
        raise Refusal("notify_not_on", ticket=ticket.label)
    return [_event(state, ev.TICKET_CONTACT_REMOVED, now, ticket=replace(ticket, contact=None))]


def _set_running_text(state: SiteState, cmd: c.SetRunningText, now: datetime) -> list[Event]:
    text = " ".join(cmd.text.split())  # one line: a display scrolls it, so newlines and tabs mean nothing
    if len(text) > RUNNING_TEXT_MAX:
        raise Refusal("invalid_field.too_long", max_len=RUNNING_TEXT_MAX, details={"field": "text"})
    return [_event(state, ev.SITE_RUNNING_TEXT, now, text=text)]


def _paused_services(state: SiteState, service_id: str | None, agency_id: str | None) -> list[Service]:
    """The services a pause or a resumption names: one service, or every service of an agency."""
    if (service_id is None) == (agency_id is None):
        raise Refusal("invalid_field.service_or_agency", details={"field": "service"})
    if service_id is not None:
        return [_service(state, service_id)]
    if agency_id not in state.site.agencies:
        raise Refusal("unknown_agency", agency=agency_id, site=state.site.name, details={"field": "agency"})
    services = [s for s in state.site.services.values() if s.agency == agency_id]
    if not services:  # an agency added in Settings before its services: nothing to pause, and no pause to record
        raise Refusal("invalid_field.agency_without_services", agency=state.site.agencies[agency_id].name,
                      details={"field": "agency"})  # fmt: skip
    return services


def _pause_issuing(state: SiteState, cmd: c.PauseIssuing, now: datetime) -> list[Event]:
    services = _paused_services(state, cmd.service, cmd.agency)
    local = state.site.local(now)
    day = state.site.service_day(now)
    until: datetime | None = None
    if cmd.until is not None:
        until = datetime.combine(local.date(), cmd.until, tzinfo=local.tzinfo)
        if until <= local:
            raise Refusal("issuing_pause_until_past", until=cmd.until, details={"field": "until"})
    pauses = [IssuingPause(s.id, day, cmd.reason, now, until) for s in services]  # checked (a command says)
    return [_event(state, ev.SERVICE_PAUSED, now, pauses=[p.to_dict() for p in pauses], agency=cmd.agency)]


def _resume_issuing(state: SiteState, cmd: c.ResumeIssuing, now: datetime) -> list[Event]:
    services = _paused_services(state, cmd.service, cmd.agency)
    day = state.site.service_day(now)
    paused = [s.id for s in services if state.issuing_pause(s.id, day) is not None]
    if not paused:
        named = services[0].name if cmd.service is not None else state.site.agencies[str(cmd.agency)].name
        raise Refusal("issuing_not_paused", name=named, details={"service": cmd.service, "agency": cmd.agency})
    return [_event(state, ev.SERVICE_RESUMED, now, services=paused, day=day.isoformat(), agency=cmd.agency)]


def _configure(state: SiteState, cmd: c.Configure, now: datetime) -> list[Event]:
    """A new configuration, live. The site file's own checks were made on `cmd.site`; here, what the day adds:
    nobody changed it meanwhile, and the live day allows it (`check_live_day`). The same document again changes
    nothing."""
    current = state.configuration
    if cmd.expected_version is not None and cmd.expected_version != current.version:
        raise Refusal("configuration_stale", expected=cmd.expected_version, current=current.version)
    if cmd.site.id != state.site.id:
        problems = [f"site.id: must stay {state.site.id!r}"]
        raise Refusal("configuration_invalid", problems=problems, details={"problems": problems})
    if cmd.document == current.document and cmd.file_hash == current.file_hash:
        return []
    check_live_day(state, cmd.site, now, in_force=state.site)
    closed = bookings_closed(state, cmd.site, now)
    # Each one confirmed (some may have been cancelled by their citizens since): else refused, saying how many now
    if not {booking.id for booking, _ in closed} <= cmd.cancel_bookings:
        raise closing_refusal(closed, cmd.source)
    version = current.version + 1
    event = _event(state, ev.SITE_CONFIGURED, now, version=version, source=cmd.source, file_hash=cmd.file_hash,
                   document=cmd.document)  # fmt: skip
    event.objects["site"] = cmd.site
    # Confirmed: cancelled by the mall, with why (its citizen is told, and their booking page says so)
    cancelled = [_event(state, ev.BOOKING_CANCELLED, now, booking=booking.moved_to(BookingState.CANCELLED,
                                                                                      cancel_reason=reason))
                 for booking, reason in closed]  # fmt: skip
    return [event, *cancelled]


def bookings_closed(state: SiteState, site: Site, now: datetime) -> list[tuple[Booking, str]]:
    """The bookings `site` would leave at a time its mall is closed, each with why (domain/booking.CLOSURES): still
    booked, their check-in not over yet, and their slot's start outside the opening hours of `site` (a holiday
    added on their day, their day closed, shorter hours). Accepted silently, they stayed "Terjadwal" for a closed
    mall and were released later as if their citizens had not come. Slots follow the hours whether tickets outside
    them are refused or not (Site.slots), so this does too."""
    out = []
    for booking in sorted(state.bookings.values(), key=lambda b: (b.slot_start, b.id)):
        if booking.state is not BookingState.BOOKED or now > checkin_window(state, booking)[1]:
            continue
        local = site.local(booking.slot_start)
        if site.hours.is_open(local):
            continue
        day = local.date()
        reason = "holiday" if day in site.hours.holidays else "hours" if site.hours.ranges_on(day) else "closed_day"
        out.append((booking, reason))
    return out


def closing_refusal(closed: list[tuple[Booking, str]], source: str) -> Refusal:
    """A change that would leave bookings at a time the mall is closed, refused with how many on which days and what
    to do: saved again with a confirmation (`cancel_bookings`), it cancels them. A site file cannot confirm: the
    same change made in Settings can."""
    days: dict[date, int] = {}
    for booking, _ in closed:
        days[booking.day] = days.get(booking.day, 0) + 1
    on = [[day.isoformat(), count] for day, count in sorted(days.items())]
    return Refusal(
        "bookings_closed.site_file" if source == "file" else "bookings_closed",
        bookings=len(closed),
        on=on,
        details={"bookings": len(closed), "days": [{"day": day, "bookings": count} for day, count in on]},
    )


def check_live_day(state: SiteState, site: Site, now: datetime, *, in_force: Site | None = None) -> None:
    """Refuses (a Refusal) to put `site` into service on the live day of `state`, whichever way it comes (a change
    on the web, a changed site file, a site file served at start-up in place of a configuration that cannot be
    read): nothing still in use disappears (a service with open tickets or active bookings, a counter that is not
    closed), no open ticket and no booking of today still to check in is left with no counter to call it, and no
    service takes a letter on today's tickets of another (two citizens would hold the same number).

    `in_force`: the configuration the day runs under; a service that keeps its letter in it is not looked up in
    today's labels. None (at start-up, when what the day ran under is not known): every letter is."""
    today = state.site.service_day(now)
    tickets: dict[str, int] = {}
    for ticket in state.tickets.values():
        if ticket.state in OPEN_STATES:
            tickets[ticket.service] = tickets.get(ticket.service, 0) + 1
    booked = [b for b in state.bookings.values() if b.state is BookingState.BOOKED]
    for service_id in sorted(({*tickets} | {b.service for b in booked}) - site.services.keys()):
        known = state.site.services.get(service_id)
        raise Refusal("service_in_use", service=known.name if known else service_id, tickets=tickets.get(service_id, 0),
                      bookings=sum(1 for b in booked if b.service == service_id))  # fmt: skip
    for counter_id, status in sorted(state.counters.items()):
        if counter_id not in site.counters and status.state is not CounterState.CLOSED:
            known_counter = state.site.counters.get(counter_id)  # else a site file's default name for it
            raise Refusal("counter_in_use", counter=known_counter.name if known_counter else f"Loket {counter_id}")
    for service_id, service in site.services.items():
        if site.counters_serving(service_id):
            continue
        # Unticked on its last counter: its line would wait forever, and a citizen booked for today would check in
        # to it (refused: service_not_served). Bookings whose check-in is over are being released.
        bookings = sum(1 for b in booked if b.service == service_id and b.day == today
                       and now <= checkin_window(state, b)[1])  # fmt: skip
        if tickets.get(service_id) or bookings:
            raise Refusal(
                "service_unserved.bookings" if bookings else "service_unserved",
                service=service.name,
                tickets=tickets.get(service_id, 0),
                bookings=bookings,
                details={"service": service_id},
            )
    _require_prefixes_free(state, site, today, in_force)


def _require_prefixes_free(state: SiteState, site: Site, today: date, in_force: Site | None) -> None:
    """Numbers are counted per service and day, and a label is the service's letter and its number: a letter on
    today's tickets of one service given to another today would issue those labels again (D-002 called, two
    citizens at the counter). A service keeps or takes back its own letters; another may have them tomorrow.

    Without `in_force` (start-up, what the day ran under not known), a service keeps the letters its own numbers
    carry today: the day itself says which letter was whose."""
    lettered = [s for s in site.services.values()
                if in_force is None or getattr(in_force.services.get(s.id), "prefix", None) != s.prefix]  # fmt: skip
    if not lettered:  # no service takes a letter it did not have: today's labels need not be read
        return
    on_today: dict[tuple[str, str], Ticket] = {}  # (letter, service numbered) -> its first ticket of today
    for ticket in state.tickets.values():
        if ticket.day == today:
            key = (ticket.label.rpartition("-")[0], ticket.series)
            first = on_today.get(key)
            if first is None or (ticket.number, ticket.id) < (first.number, first.id):
                on_today[key] = ticket
    if in_force is None:
        lettered = [s for s in lettered if (s.prefix, s.id) not in on_today]
    for service in lettered:
        for (prefix, series), ticket in sorted(on_today.items()):
            if prefix == service.prefix and series != service.id:
                holder = site.services.get(series) or state.site.services.get(series)
                raise Refusal(
                    "prefix_in_use",
                    prefix=prefix,
                    service=service.name,
                    holder=holder.name if holder else series,
                    ticket=ticket.label,
                    details={"service": service.id, "prefix": prefix, "used_by": series},
                )


_HANDLERS: dict[type, Callable[[SiteState, Any, datetime], list[Event]]] = {
    c.IssueTicket: _issue,
    c.CallNext: _call_next,
    c.CallTicket: _call_ticket,
    c.Recall: _recall,
    c.StartService: _start,
    c.FinishService: _finish,
    c.MarkNoShow: _no_show,
    c.RequeueTicket: _requeue,
    c.TransferTicket: _transfer,
    c.CancelTicket: _cancel,
    c.OpenCounter: _open_counter,
    c.PauseCounter: _pause_counter,
    c.CloseCounter: _close_counter,
    c.CloseDay: _close_day,
    c.BookSlot: _book,
    c.CancelBooking: _cancel_booking,
    c.CheckIn: _check_in,
    c.ReleaseLateBookings: _release,
    c.LeaveContact: _leave_contact,
    c.RemoveContact: _remove_contact,
    c.SetRunningText: _set_running_text,
    c.PauseIssuing: _pause_issuing,
    c.ResumeIssuing: _resume_issuing,
    c.Configure: _configure,
    c.ParkTicket: _park,
    c.ReopenDay: _reopen_day,
    c.ReleaseCounters: _release_counters,
    c.UnparkTicket: _unpark,
    c.ReturnParked: _return_parked,
    c.Relay: relay,
}
