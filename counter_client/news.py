"""What changed at this counter that this client did not do, to be said once (pure, no I/O).

The rule of the counter's message line (docs/counter-client.md, "Every change this screen did not make is said,
once"), kept here for the console and the library; the web page keeps the same rule in static/counter.js (`byOthers`,
`notMadeHere`: it cannot import Python, and `tests/test_counter_units.py` holds the two to the same events and words):

- a change of the counter's ticket by **another account** (a colleague at this counter, a supervisor) is news at once,
  by name: "A-001 diselesaikan oleh Sari Dewi.";
- a change of the counter's ticket by **this account** is news when this client did not make it (another tab, the
  console beside the page, a phone over the API): "A-002 dipanggil ke loket ini dari layar lain dengan akun Anda.";
- a change of the **counter's state** by any other hand is news as the state it left: "Loket sekarang istirahat."
  (not after "Loket ditutup oleh ...; A-001 kembali ke antrean.", which says it);
- what this client did is not news: its command's answer says it.

Events name the account, not the client: an event is this client's when one of its commands' answers lists it (the
answer's `events`, and its ticket). Answers and events travel separately, so an event that could be this client's
and arrives while a command of this client is on its way is held until every command on its way is answered (then it
is news unless an answer claims it), and an answer that comes before its events leaves a claim on them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .state import BY_OTHERS

# Changes of the counter's ticket said when this account made them elsewhere (texts.py: "mine.*").
MINE = BY_OTHERS | {"ticket.requeued"}
CLAIMS_KEPT = 20  # claims whose events never came (folded into a snapshot after an outage) do not pile up
CHANGES_KEPT = 50


@dataclass(frozen=True)
class Change:
    """One change of this counter that this client did not make."""

    n: int  # the how-manieth change told (in the order told, which is not always the order of `seq`)
    seq: int  # the event's
    event: str  # its type ("ticket.finished", "counter.paused")
    ticket: str | None = None  # the ticket's label, for a change of the counter's ticket
    by: str | None = None  # the other account that made it; None when this account did, from another screen
    state: str | None = None  # the counter's state now, for a change of the counter's state

    @property
    def words(self) -> str:
        """The name of its sentence in texts.py."""
        if self.event.startswith("counter."):
            return f"now.counter_{self.state}"
        return f"{'others' if self.by else 'mine'}.{self.event}"


@dataclass
class News:
    counter: str
    changes: list[Change] = field(default_factory=list)  # the latest CHANGES_KEPT, oldest first
    count: int = 0  # how many were ever told: `since(count)` gives those told after a reader last looked
    _claims: list[tuple[str, str | None]] = field(default_factory=list)  # (type, ticket id) of answers' events
    _held: list[tuple[dict[str, Any], str | None]] = field(default_factory=list)  # (event, counter's ticket before)

    def since(self, count: int) -> list[Change]:
        """The changes told after the `count`-th (all those still kept)."""
        return [c for c in self.changes if c.n > count]

    def event(self, frame: dict[str, Any], before: str | None, me: str | None, busy: bool) -> None:
        """An event just folded into the picture. `before`: the counter's ticket (id) before it; `me`: this client's
        account; `busy`: a command of this client is on its way."""
        kind, data = str(frame.get("type")), frame.get("data") or {}
        ticket, counter = data.get("ticket"), data.get("counter")
        if not isinstance(ticket, dict):
            ticket = None
        if kind in BY_OTHERS and ticket is not None and me is not None and ticket.get("by") not in (None, "", me):
            if self._ours(kind, ticket, before):
                self._tell(frame, kind, ticket=str(ticket["label"]), by=str(ticket["by"]))
            return
        if kind.startswith("counter."):
            candidate = isinstance(counter, dict) and counter.get("id") == self.counter
        else:
            candidate = kind in MINE and ticket is not None and me is not None and ticket.get("by") == me
        if not candidate or self._claimed(frame):
            return
        if busy:
            self._held.append((frame, before))
        else:
            self._elsewhere(frame, before)

    def answered(self, body: dict[str, Any] | None, busy: bool) -> None:
        """A command's answer (None: refused, or given up: it made nothing) names this client's events; the events
        held meanwhile that no answer names were made elsewhere, told once no command is on its way any more."""
        if body is not None:
            ticket = body.get("ticket") if isinstance(body.get("ticket"), dict) else None
            for kind in body.get("events") or []:
                ticket_id = ticket.get("id") if ticket and str(kind).startswith("ticket.") else None
                self._claims.append((str(kind), ticket_id))
            del self._claims[:-CLAIMS_KEPT]
        if busy:
            return
        held, self._held = self._held, []
        for frame, before in held:
            if not self._claimed(frame):
                self._elsewhere(frame, before)

    def snapshot(self) -> None:
        """A snapshot stands for every event before it: the events claims were waiting for will not come."""
        self._claims.clear()

    # --- the rule -----------------------------------------------------------------------------------------

    def _ours(self, kind: str, ticket: dict[str, Any], before: str | None) -> bool:
        """A change of the counter's ticket: the ticket it held, or one called to it."""
        return ticket.get("id") == before or (kind == "ticket.called" and ticket.get("counter") == self.counter)

    def _claimed(self, frame: dict[str, Any]) -> bool:
        ticket = (frame.get("data") or {}).get("ticket")
        ticket_id = ticket.get("id") if isinstance(ticket, dict) else None
        for i, (kind, claimed_id) in enumerate(self._claims):
            if kind == frame.get("type") and (claimed_id is None or ticket_id is None or claimed_id == ticket_id):
                del self._claims[i]
                return True
        return False

    def _elsewhere(self, frame: dict[str, Any], before: str | None) -> None:
        kind, data = str(frame.get("type")), frame.get("data") or {}
        if kind.startswith("counter."):
            state = (data.get("counter") or {}).get("state")
            latest = self.changes[-1] if self.changes else None
            said = latest is not None and latest.event == "ticket.returned" and latest.seq == _seq(frame) - 1
            if state and not (state == "closed" and said):  # "Loket ditutup ...; A-001 kembali ke antrean." said it
                self._tell(frame, kind, state=str(state))
            return
        ticket = data["ticket"]
        if self._ours(kind, ticket, before):
            self._tell(frame, kind, ticket=str(ticket["label"]))

    def _tell(self, frame: dict[str, Any], kind: str, **what: str) -> None:
        self.count += 1
        self.changes.append(Change(self.count, _seq(frame), kind, **what))
        del self.changes[:-CHANGES_KEPT]


def _seq(frame: dict[str, Any]) -> int:
    return int(frame.get("seq") or 0)
