"""decide(state, command, now) -> events: every rule of the queue, with no I/O and no clock of its own."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from . import commands as c
from . import events as ev
from .catalogue import CHANNELS, PRIORITY_GROUPS, Counter, Service
from .events import Event
from .model import (
    OPEN_STATES,
    CounterState,
    CounterStatus,
    DomainError,
    InvalidCommand,
    NotFound,
    Ticket,
    TicketState,
    format_label,
)
from .routing import pick_next
from .state import SiteState

NOTE_MAX = 200


def decide(state: SiteState, command: c.Command, now: datetime) -> list[Event]:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    handler = _HANDLERS[type(command)]
    return handler(state, command, now)


# --- helpers -------------------------------------------------------------------------------------------


def _event(state: SiteState, type_: str, now: datetime, **data: Any) -> Event:
    return Event(type_, state.site.id, now, data)


def _counter(state: SiteState, counter_id: str) -> tuple[Counter, CounterStatus]:
    config = state.site.counters.get(counter_id)
    if config is None:
        raise NotFound(
            "unknown_counter",
            f"Loket '{counter_id}' tidak ada di {state.site.name}.",
            f"Counter '{counter_id}' does not exist at {state.site.name}.",
            counter=counter_id,
        )
    return config, state.counter(counter_id)


def _current(state: SiteState, status: CounterStatus, counter_name: str) -> Ticket:
    if status.current is None:
        raise DomainError(
            "no_current_ticket",
            f"{counter_name} sedang tidak memanggil atau melayani tiket.",
            f"{counter_name} has no ticket called or being served.",
            counter=status.id,
        )
    return state.tickets[status.current]


def _require_open(status: CounterStatus, counter_name: str) -> None:
    if status.state is CounterState.PAUSED:
        raise DomainError(
            "counter_paused",
            f"{counter_name} sedang dijeda. Lanjutkan loket terlebih dahulu.",
            f"{counter_name} is paused. Resume the counter first.",
            counter=status.id,
        )
    if status.state is CounterState.CLOSED:
        raise DomainError(
            "counter_closed",
            f"{counter_name} tutup. Buka loket terlebih dahulu.",
            f"{counter_name} is closed. Open the counter first.",
            counter=status.id,
        )


def _require_idle(state: SiteState, status: CounterStatus, counter_name: str) -> None:
    if status.current is not None:
        ticket = state.tickets[status.current]
        raise DomainError(
            "counter_busy",
            f"{counter_name} masih menangani {ticket.label} ({ticket.state.value}). "
            "Selesaikan, alihkan, atau tandai tidak hadir terlebih dahulu.",
            f"{counter_name} still has {ticket.label} ({ticket.state.value}). "
            "Finish, transfer or mark it no-show first.",
            counter=status.id,
            ticket=ticket.id,
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
        raise NotFound(
            "unknown_ticket",
            f"Tiket '{ref}' tidak ditemukan hari ini.",
            f"Ticket '{ref}' was not found today.",
            ticket=ref,
        )
    return ticket


def _service(state: SiteState, service_id: str) -> Service:
    service = state.site.services.get(service_id)
    if service is None:
        raise NotFound(
            "unknown_service",
            f"Layanan '{service_id}' tidak ada di {state.site.name}.",
            f"Service '{service_id}' does not exist at {state.site.name}.",
            service=service_id,
        )
    return service


def _counter_holding(state: SiteState, ticket: Ticket) -> CounterStatus | None:
    if ticket.counter is None:
        return None
    status = state.counters.get(ticket.counter)
    return status if status and status.current == ticket.id else None


# --- ticket issuing ------------------------------------------------------------------------------------


def _issue(state: SiteState, cmd: c.IssueTicket, now: datetime) -> list[Event]:
    site = state.site
    service = _service(state, cmd.service)
    if cmd.priority is not None and cmd.priority not in PRIORITY_GROUPS:
        raise InvalidCommand(
            "unknown_priority_group",
            f"Kelompok prioritas '{cmd.priority}' tidak dikenal. Pilihan: {', '.join(PRIORITY_GROUPS)}.",
            f"Unknown priority group '{cmd.priority}'. Choose one of: {', '.join(PRIORITY_GROUPS)}.",
            field="priority",
        )
    if cmd.channel not in CHANNELS:
        raise InvalidCommand(
            "unknown_channel",
            f"Kanal '{cmd.channel}' tidak dikenal. Pilihan: {', '.join(CHANNELS)}.",
            f"Unknown channel '{cmd.channel}'. Choose one of: {', '.join(CHANNELS)}.",
            field="channel",
        )
    local = site.local(now)
    day = local.date()
    if day in state.closed_days:
        raise DomainError(
            "day_closed",
            f"Pelayanan {site.name} hari ini sudah ditutup. Silakan kembali pada hari kerja berikutnya.",
            f"Service at {site.name} has closed for today. Please come back on the next working day.",
        )
    if site.enforce_hours and not site.hours.is_open(local):
        opening = site.hours.next_opening(local)
        when = opening.strftime("%Y-%m-%d %H:%M") if opening else None
        raise DomainError(
            "site_closed",
            f"{site.name} sedang tutup." + (f" Buka kembali {when}." if when else ""),
            f"{site.name} is closed now." + (f" It opens again at {when}." if when else ""),
            next_opening=opening.isoformat() if opening else None,
        )
    key = (service.id, day)
    issued = state.issued.get(key, 0)
    if service.daily_quota is not None and issued >= service.daily_quota:
        raise DomainError(
            "quota_exhausted",
            f"Kuota harian {service.name} ({service.daily_quota} tiket) sudah habis. "
            "Silakan kembali pada hari kerja berikutnya.",
            f"Today's quota for {service.name} ({service.daily_quota} tickets) is used up. "
            "Please come back on the next working day.",
            service=service.id,
            quota=service.daily_quota,
        )
    if cmd.ticket_id in state.tickets:
        raise InvalidCommand("duplicate_ticket_id", "ID tiket sudah dipakai.", "Ticket id already used.")
    number = state.last_number.get(key, 0) + 1
    ticket = Ticket(
        id=cmd.ticket_id,
        site=site.id,
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
    )
    return [_event(state, ev.TICKET_ISSUED, now, ticket=ticket.to_dict())]


# --- counter work --------------------------------------------------------------------------------------


def _call(state: SiteState, counter_id: str, ticket: Ticket, now: datetime, out_of_order: bool) -> Event:
    config, status = _counter(state, counter_id)
    called = ticket.moved_to(TicketState.CALLED, counter=counter_id, called_at=now, recalls=0)
    streak = status.priority_streak + 1 if ticket.priority else 0
    new_status = replace(status, current=ticket.id, priority_streak=streak)
    return _event(
        state,
        ev.TICKET_CALLED,
        now,
        ticket=called.to_dict(),
        counter=new_status.to_dict(),
        out_of_order=out_of_order,
    )


def _call_next(state: SiteState, cmd: c.CallNext, now: datetime) -> list[Event]:
    config, status = _counter(state, cmd.counter)
    _require_open(status, config.name)
    _require_idle(state, status, config.name)
    ticket = pick_next(state, config, state.site.service_day(now))
    if ticket is None:
        raise DomainError(
            "queue_empty",
            f"Tidak ada antrean yang menunggu untuk {config.name}.",
            f"No ticket is waiting for {config.name}.",
            counter=config.id,
        )
    return [_call(state, cmd.counter, ticket, now, out_of_order=False)]


def _call_ticket(state: SiteState, cmd: c.CallTicket, now: datetime) -> list[Event]:
    config, status = _counter(state, cmd.counter)
    _require_open(status, config.name)
    _require_idle(state, status, config.name)
    ticket = find_ticket(state, cmd.ticket, state.site.service_day(now))
    if ticket.service not in config.services:
        raise DomainError(
            "not_served_here",
            f"{ticket.label} untuk layanan yang tidak dilayani {config.name}.",
            f"{ticket.label} is for a service that {config.name} does not serve.",
            ticket=ticket.id,
            counter=config.id,
        )
    if ticket.state is TicketState.CALLED:
        raise DomainError(
            "already_called",
            f"{ticket.label} sudah dipanggil oleh loket lain.",
            f"{ticket.label} has already been called by another counter.",
            ticket=ticket.id,
            by_counter=ticket.counter,
        )
    return [_call(state, cmd.counter, ticket, now, out_of_order=True)]


def _recall(state: SiteState, cmd: c.Recall, now: datetime) -> list[Event]:
    config, status = _counter(state, cmd.counter)
    ticket = _current(state, status, config.name)
    recalled = ticket.moved_to(TicketState.CALLED, recalls=ticket.recalls + 1)
    return [_event(state, ev.TICKET_RECALLED, now, ticket=recalled.to_dict(), counter=status.to_dict())]


def _start(state: SiteState, cmd: c.StartService, now: datetime) -> list[Event]:
    config, status = _counter(state, cmd.counter)
    ticket = _current(state, status, config.name)
    started = ticket.moved_to(TicketState.SERVING, started_at=now)
    return [_event(state, ev.TICKET_STARTED, now, ticket=started.to_dict(), counter=status.to_dict())]


def _finish(state: SiteState, cmd: c.FinishService, now: datetime) -> list[Event]:
    config, status = _counter(state, cmd.counter)
    ticket = _current(state, status, config.name)
    out: list[Event] = []
    if ticket.state is TicketState.CALLED:
        # Finishing straight from "called" means the service happened without pressing start.
        ticket = ticket.moved_to(TicketState.SERVING, started_at=now)
        out.append(_event(state, ev.TICKET_STARTED, now, ticket=ticket.to_dict(), counter=status.to_dict()))
    done = ticket.moved_to(TicketState.DONE, finished_at=now)
    idle = replace(status, current=None)
    out.append(_event(state, ev.TICKET_FINISHED, now, ticket=done.to_dict(), counter=idle.to_dict()))
    return out


def _no_show(state: SiteState, cmd: c.MarkNoShow, now: datetime) -> list[Event]:
    config, status = _counter(state, cmd.counter)
    ticket = _current(state, status, config.name)
    missed = ticket.moved_to(TicketState.NO_SHOW, finished_at=now)
    idle = replace(status, current=None)
    return [_event(state, ev.TICKET_NO_SHOW, now, ticket=missed.to_dict(), counter=idle.to_dict())]


def _requeue(state: SiteState, cmd: c.RequeueTicket, now: datetime) -> list[Event]:
    ticket = find_ticket(state, cmd.ticket, state.site.service_day(now))
    if ticket.state is not TicketState.NO_SHOW:
        raise DomainError(
            "not_no_show",
            f"{ticket.label} tidak berstatus tidak hadir; hanya tiket tidak hadir yang bisa diantrekan ulang.",
            f"{ticket.label} is not a no-show; only no-shows can be put back in the queue.",
            ticket=ticket.id,
            found=ticket.state.value,
        )
    # A late arrival goes to the back of the queue: keeping the old place would jump everyone who came on time.
    back = ticket.moved_to(TicketState.WAITING, queue_key=now, counter=None, finished_at=None, called_at=None)
    return [_event(state, ev.TICKET_REQUEUED, now, ticket=back.to_dict())]


def _transfer(state: SiteState, cmd: c.TransferTicket, now: datetime) -> list[Event]:
    target = _service(state, cmd.target_service)
    note = (cmd.note or "").strip() or None
    if note and len(note) > NOTE_MAX:
        raise InvalidCommand(
            "note_too_long",
            f"Catatan paling panjang {NOTE_MAX} karakter.",
            f"The note may be at most {NOTE_MAX} characters.",
            field="note",
        )
    if cmd.counter is not None:
        config, status = _counter(state, cmd.counter)
        ticket = _current(state, status, config.name)
    elif cmd.ticket is not None:
        ticket = find_ticket(state, cmd.ticket, state.site.service_day(now))
    else:
        raise InvalidCommand(
            "missing_ticket", "Sebutkan loket atau tiket.", "Name a counter or a ticket.", field="ticket"
        )
    if target.id == ticket.service:
        raise InvalidCommand(
            "same_service",
            f"{ticket.label} sudah berada di layanan {target.name}.",
            f"{ticket.label} is already in {target.name}.",
            field="target_service",
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
    data: dict[str, Any] = {"ticket": old.to_dict(), "new_ticket": new.to_dict()}
    holder = _counter_holding(state, ticket)
    if holder is not None:
        data["counter"] = replace(holder, current=None).to_dict()
    return [Event(ev.TICKET_TRANSFERRED, state.site.id, now, data)]


def _cancel(state: SiteState, cmd: c.CancelTicket, now: datetime) -> list[Event]:
    ticket = find_ticket(state, cmd.ticket, state.site.service_day(now))
    cancelled = ticket.moved_to(TicketState.CANCELLED, finished_at=now)
    data: dict[str, Any] = {"ticket": cancelled.to_dict(), "reason": (cmd.reason or "")[:NOTE_MAX] or None}
    holder = _counter_holding(state, ticket)
    if holder is not None:
        data["counter"] = replace(holder, current=None).to_dict()
    return [Event(ev.TICKET_CANCELLED, state.site.id, now, data)]


# --- counters and the day ------------------------------------------------------------------------------


def _open_counter(state: SiteState, cmd: c.OpenCounter, now: datetime) -> list[Event]:
    config, status = _counter(state, cmd.counter)
    if status.state is CounterState.OPEN:
        raise DomainError("counter_already_open", f"{config.name} sudah buka.", f"{config.name} is already open.")
    opened = replace(status, state=CounterState.OPEN, operator=cmd.operator or status.operator)
    return [_event(state, ev.COUNTER_OPENED, now, counter=opened.to_dict())]


def _pause_counter(state: SiteState, cmd: c.PauseCounter, now: datetime) -> list[Event]:
    config, status = _counter(state, cmd.counter)
    _require_open(status, config.name)
    _require_idle(state, status, config.name)
    return [_event(state, ev.COUNTER_PAUSED, now, counter=replace(status, state=CounterState.PAUSED).to_dict())]


def _close_counter(state: SiteState, cmd: c.CloseCounter, now: datetime) -> list[Event]:
    config, status = _counter(state, cmd.counter)
    if status.state is CounterState.CLOSED:
        raise DomainError("counter_already_closed", f"{config.name} sudah tutup.", f"{config.name} is closed.")
    out: list[Event] = []
    if status.current is not None:
        ticket = state.tickets[status.current]
        if ticket.state is TicketState.SERVING:
            _require_idle(state, status, config.name)
        # A called ticket nobody started goes back to the queue at its old place.
        back = ticket.moved_to(TicketState.WAITING, counter=None, called_at=None, recalls=0)
        out.append(_event(state, ev.TICKET_RETURNED, now, ticket=back.to_dict()))
    closed = replace(status, state=CounterState.CLOSED, current=None, priority_streak=0, operator=None)
    out.append(_event(state, ev.COUNTER_CLOSED, now, counter=closed.to_dict()))
    return out


def _close_day(state: SiteState, cmd: c.CloseDay, now: datetime) -> list[Event]:
    day = cmd.day or state.site.service_day(now)
    if day > state.site.service_day(now):
        raise InvalidCommand(
            "day_in_future",
            f"Tanggal {day.isoformat()} belum tiba.",
            f"{day.isoformat()} has not come yet.",
            field="day",
        )
    out: list[Event] = []
    for ticket in sorted(state.tickets.values(), key=lambda t: (t.day, t.label, t.id)):
        if ticket.day <= day and ticket.state in OPEN_STATES:
            expired = ticket.moved_to(TicketState.EXPIRED, finished_at=now)
            out.append(_event(state, ev.TICKET_EXPIRED, now, ticket=expired.to_dict()))
    for status in state.counters.values():
        if status.state is not CounterState.CLOSED or status.current is not None:
            closed = CounterStatus(status.id)
            out.append(_event(state, ev.COUNTER_CLOSED, now, counter=closed.to_dict()))
    out.append(
        _event(
            state, ev.DAY_CLOSED, now, day=day.isoformat(), expired=sum(1 for e in out if e.type == ev.TICKET_EXPIRED)
        )
    )
    return out


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
}
