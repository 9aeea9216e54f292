"""Estimated wait for a new ticket, from recent counter occupancy times and the counters open now."""

from __future__ import annotations

from dataclasses import dataclass
from statistics import mean

from queue_server.domain.model import Ticket
from queue_server.domain.state import SiteState, open_counters_for


@dataclass(frozen=True)
class WaitEstimate:
    people_ahead: int
    minutes: int
    counters_open: int
    basis: str  # "recent" (measured today) or "default" (the service's configured time)


def estimate_wait(
    state: SiteState, service_id: str, *, ahead: int | None = None, exclude: str | None = None
) -> WaitEstimate:
    """people ahead x average time a counter spends per ticket / counters open for the service.

    `ahead` overrides the count of people waiting; `exclude` leaves one ticket (the one just issued) out.
    With no counter open, one counter is assumed, so the estimate stays a useful number rather than infinity.
    """
    service = state.site.services[service_id]
    if ahead is None:
        waiting = state.waiting.get(service_id, {})
        ahead = len(waiting) - (1 if exclude is not None and exclude in waiting else 0)
    recent = state.service_seconds.get(service_id)
    if recent:
        per_ticket = mean(recent)
        basis = "recent"
    else:
        per_ticket = service.default_service_minutes * 60
        basis = "default"
    counters_open = open_counters_for(state, service_id)
    seconds = ahead * per_ticket / max(1, counters_open)
    return WaitEstimate(ahead, round(seconds / 60), counters_open, basis)


def people_ahead(state: SiteState, ticket: Ticket) -> int:
    """Waiting tickets of the same service that will be called before this one.

    Priority tickets go before regular ones (routing.py), so a priority ticket only waits behind earlier
    priority tickets, and a regular one also behind every priority ticket. The anti-starvation streak is
    ignored: the estimate errs towards a longer wait, never a shorter one.
    """
    mine = (ticket.queue_key, ticket.number)
    ahead = 0
    for other in state.waiting_tickets(ticket.service):
        if other.id == ticket.id:
            continue
        if ticket.priority:
            ahead += bool(other.priority) and (other.queue_key, other.number) < mine
        else:
            ahead += bool(other.priority) or (other.queue_key, other.number) < mine
    return ahead


def people_ahead_of_newest(state: SiteState, ticket: Ticket) -> int:
    """people_ahead for a ticket just issued, in O(1): it is the latest in time, so a regular ticket waits behind
    everyone, and a priority ticket behind every other priority ticket. Issuing stays fast when thousands wait."""
    waiting = len(state.waiting.get(ticket.service, {})) - 1
    return state.waiting_priority.get(ticket.service, 0) - 1 if ticket.priority else waiting
