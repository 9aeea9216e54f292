"""Which ticket a counter calls next.

The rule, in one place:
1. Candidates are today's waiting tickets of the services the counter serves.
2. With order "service_order", only the first of the counter's services (in site-file order) that has anyone
   waiting is considered; with "fifo" (the default) all of them are.
3. Tickets checked in from an online booking whose slot has begun go ahead of walk-ins (after priority groups),
   oldest slot first: booking is a promise of a time.
4. Tickets of a UU 25/2009 priority group go first, oldest first, unless the counter has already called
   `priority_max_streak` priority tickets in a row while regular tickets waited: then the oldest regular ticket
   goes, so a stream of priority tickets cannot starve everyone else. A booking checked in with a priority group
   is a priority ticket like any other: among them by when it was issued (its check-in), its slot not waited for.
5. Otherwise the oldest ticket by its place in time (`queue_key`), then by number.
"""

from __future__ import annotations

from datetime import date, datetime

from queue_server.domain.catalogue import Counter, RoutingPolicy
from queue_server.domain.model import Ticket
from queue_server.domain.state import SiteState


def _oldest(tickets: list[Ticket]) -> Ticket:
    return min(tickets, key=lambda t: (t.queue_key, t.number, t.id))


def candidates(state: SiteState, counter: Counter, today: date) -> list[Ticket]:
    policy = state.site.routing
    per_service = [[t for t in state.waiting_tickets(service_id) if t.day == today] for service_id in counter.services]
    if policy.order == "service_order":
        for tickets in per_service:
            if tickets:
                return tickets
        return []
    return [t for tickets in per_service for t in tickets]


def _first_regular(tickets: list[Ticket], now: datetime | None) -> Ticket:
    """Bookings whose slot has begun first (oldest slot first), then the oldest ticket."""
    due = [t for t in tickets if t.booked_slot is not None and now is not None and t.booked_slot <= now]
    if due:
        return min(due, key=lambda t: (t.booked_slot or t.queue_key, t.queue_key, t.number, t.id))
    return _oldest(tickets)


def pick_next(state: SiteState, counter: Counter, today: date, now: datetime | None = None) -> Ticket | None:
    tickets = candidates(state, counter, today)
    if not tickets:
        return None
    policy: RoutingPolicy = state.site.routing
    priority = [t for t in tickets if t.priority]
    regular = [t for t in tickets if not t.priority]
    if policy.priority_max_streak <= 0 or not priority:
        return _first_regular(tickets, now)
    if not regular:
        return _oldest(priority)
    streak = state.counter(counter.id).priority_streak
    if streak >= policy.priority_max_streak:
        return _first_regular(regular, now)
    return _oldest(priority)
