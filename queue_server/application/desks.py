"""Who is signed in at each counter now: the staff websockets following it on this process, by account.

Two operators at one counter (a colleague still signed in on the page) see each other's names: the page says
"Juga di loket ini: Sari Dewi". It follows who is there, not who opened the counter: an operator who signed out
is gone from the line at once (an outside review found "Loket ini dibuka oleh sari" still shown long after sari
had left). Each change is told to the counter's followers as an `operators` notice (docs/protocol.md), and a
new connection is told at once.

Kept in memory, per process: with several server processes (PostgreSQL), a colleague whose page is connected to
another process is not listed here; the page then falls back on who opened the counter (`operator`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from queue_server.live import wire
from queue_server.live.hub import Follow, Hub


@dataclass(frozen=True)
class Seat:
    name: str  # the account
    display_name: str | None  # the person, as staff read it


class Desks:
    def __init__(self) -> None:
        self._at: dict[tuple[str, str], dict[int, Seat]] = {}  # (site, counter) -> connection key -> who

    def join(self, site: str, counter: str, key: int, seat: Seat) -> None:
        self._at.setdefault((site, counter), {})[key] = seat

    def leave(self, site: str, counter: str, key: int) -> None:
        seats = self._at.get((site, counter))
        if seats is not None:
            seats.pop(key, None)
            if not seats:
                del self._at[(site, counter)]

    def at(self, site: str, counter: str) -> list[dict[str, Any]]:
        """The accounts signed in at a counter, each once (a second tab is the same person), by name."""
        seats = {seat.name: seat for seat in self._at.get((site, counter), {}).values()}
        return [{"name": s.name, "display_name": s.display_name or s.name} for _, s in sorted(seats.items())]

    def counters(self) -> list[tuple[str, str]]:
        """(site, counter) of every counter someone follows on this process."""
        return list(self._at)

    def tell(self, hub: Hub, site: str, counter: str) -> None:
        """Every follower of the counter's own page (a `counter` connection) hears who is there now."""
        text = wire.dumps({"type": "operators", "site": site, "counter": counter, "operators": self.at(site, counter)})
        hub.tell(site, for_counter(counter, text))


def for_counter(counter: str, text: str) -> Callable[[Follow], str | None]:
    """A notice for the connections that follow exactly this counter (its operators' pages and consoles)."""
    only = frozenset({counter})

    def render(follow: Follow) -> str | None:
        return text if follow.audience == wire.STAFF and follow.counters == only and follow.notices is False else None

    return render
