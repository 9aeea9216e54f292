"""Who is signed in at each counter now: the staff websockets following it, by account.

Two operators at one counter (a colleague still signed in on the page) see each other's names: the page says
"Juga di loket ini: Sari Dewi". It follows who is there, not who opened the counter: an operator who signed out
is gone from the line at once (an outside review found "Loket ini dibuka oleh sari" still shown long after sari
had left). Each change is told to the counter's followers as an `operators` notice (docs/protocol.md), and a
new connection is told at once. The supervisor's `counter_held` alert asks the same question (is anyone else
there?).

Each process holds its own connections. With several server processes (PostgreSQL), each shares its seats every few
seconds through the presence rows and reads the others' (application/presence.py, the same freshness rule as the
screens'), so a colleague connected through another process is listed too, a few seconds late; the seats of a
process that stopped without a word stop counting within 15 seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from queue_server.application.auth import person_name
from queue_server.live import wire
from queue_server.live.hub import Follow, Hub


@dataclass(frozen=True)
class Seat:
    name: str  # the account
    display_name: str | None  # the person, as staff read it


class Desks:
    def __init__(self) -> None:
        self._at: dict[tuple[str, str], dict[int, Seat]] = {}  # (site, counter) -> connection key -> who
        # (site, counter) -> account -> who, as the other processes said it (shared storage; seen_elsewhere)
        self._elsewhere: dict[tuple[str, str], dict[str, Seat]] = {}
        self.changed: Callable[[], None] = _nothing  # someone sat down or left (presence.py: share soon)
        # The accounts as staff read them now (Accounts.names): a name changed since its owner sat down is said as
        # it is now, not as it was at the hello (a colleague joining brought the old name back).
        self.names: Callable[[Iterable[str]], Mapping[str, str]] | None = None

    def join(self, site: str, counter: str, key: int, seat: Seat) -> None:
        self._at.setdefault((site, counter), {})[key] = seat
        self.changed()

    def leave(self, site: str, counter: str, key: int) -> None:
        seats = self._at.get((site, counter))
        if seats is not None:
            seats.pop(key, None)
            if not seats:
                del self._at[(site, counter)]
            self.changed()

    def at(self, site: str, counter: str) -> list[dict[str, Any]]:
        """The accounts signed in at a counter, on this process or another, each once (a second tab is the same
        person), by name."""
        seats = {**self._elsewhere.get((site, counter), {}), **self._here(site, counter)}
        now = self.names(seats) if self.names is not None else {}
        return [{"name": s.name, "display_name": _named(s, now.get(s.name))} for _, s in sorted(seats.items())]

    def _here(self, site: str, counter: str) -> dict[str, Seat]:
        return {seat.name: seat for seat in self._at.get((site, counter), {}).values()}

    def counters(self) -> list[tuple[str, str]]:
        """(site, counter) of every counter someone follows on this process."""
        return list(self._at)

    def shareable(self) -> list[tuple[str, str, str, str | None]]:
        """This process's seats as the other processes read them: (site, counter, account, display name), each
        account once per counter."""
        return [(site, counter, seat.name, seat.display_name)
                for site, counter in sorted(self._at) for seat in self._here(site, counter).values()]  # fmt: skip

    def seen_elsewhere(self, seats: list[tuple[str, str, str, str | None]]) -> list[tuple[str, str]]:
        """The other processes' seats, as `shareable` gives them, replacing those read before. Returns the counters
        followed here whose line of names changed, to be told again."""
        before = {key: self.at(*key) for key in self._at}
        elsewhere: dict[tuple[str, str], dict[str, Seat]] = {}
        for site, counter, account, display_name in seats:
            elsewhere.setdefault((site, counter), {})[account] = Seat(account, display_name)
        self._elsewhere = elsewhere
        return [key for key, names in before.items() if self.at(*key) != names]

    def tell(self, hub: Hub, site: str, counter: str) -> None:
        """Every follower of the counter's own page (a `counter` connection) hears who is there now."""
        text = wire.dumps({"type": "operators", "site": site, "counter": counter, "operators": self.at(site, counter)})
        hub.tell(site, for_counter(counter, text))


def _nothing() -> None:
    pass


def _named(seat: Seat, now: str | None) -> str:
    """The seat's person as named now; as at its hello where this process knows no name for the account (one made
    on another process, not read here yet, is named by itself until then)."""
    if now and now != seat.name:
        return now
    return person_name(seat.name, seat.display_name)


def for_counter(counter: str, text: str) -> Callable[[Follow], str | None]:
    """A notice for the connections that follow exactly this counter (its operators' pages and consoles)."""
    only = frozenset({counter})

    def render(follow: Follow) -> str | None:
        return text if follow.audience == wire.STAFF and follow.counters == only and follow.notices is False else None

    return render
