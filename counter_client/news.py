"""What changed at this counter that this client did not do, to be said once (pure, no I/O).

The rule of the counter's message line (docs/counter-client.md, "Every change this screen did not make is said,
once"), kept here for the console and the library; the web page keeps the same rule in static/counter.js (`byOthers`,
`notMadeHere`: it cannot import Python, and `tests/test_counter_units.py` holds the two to the same events and words):

- a change of the counter's ticket by **another account** (a colleague at this counter, a supervisor) is news at once,
  by name: "A-001 diselesaikan oleh Sari Dewi.";
- a change of the counter's ticket by **this account** is news when this client did not make it (another tab, the
  console beside the page, a phone over the API): "A-002 dipanggil ke loket ini dari layar lain dengan akun Anda.";
- a change of the **counter's state** by any other hand is news as the state it left, a pause or a close by whom and
  when where the counter's state names them (`LEFT_BY`): "Loket dijeda oleh Sari Dewi pukul 10.02.", "Loket ditutup
  dari layar lain dengan akun Anda pukul 10.05.", a counter opened or taken back from a break by another account by
  whom (its `operator`) and when (the event's time): "Loket dilanjutkan oleh Sari Dewi pukul 10.20.", else "Loket
  sekarang istirahat." (not after "Loket ditutup oleh ...; A-001 kembali ke antrean.", which says it);
- what this client did is not news: its command's answer says it.

Events name the account, not the client (they carry no `command_id`: the server sends one frame per event to every
screen). An event is this client's when one of its commands' answers lists it (the answer's `events`, and its
ticket). Answers and events travel separately, so an event arriving while a command of this client is on its way
might be that command's echo. It can be only when (a) it names no other account (`by` on a ticket; on a counter
opened, paused or closed, `operator`, `paused_by` or `closed_by`: `ACCOUNT_OF`) and (b) that command can make an
event of its type (`ECHOES`: a `pause` on its way never makes a `ticket.called`). Such an event is held until the
commands on its way that could have made it are answered (then it is news unless an answer claims it); any other one
is news at once. An answer that comes before its events leaves a claim on them.

The message line's own rule ("A message stays only while it is true", docs/counter-client.md) is here too, for the
console; the page keeps its copy (`seen`, `said`, `overtaken`, `untrue`). A message is true of a state (`About`): a
ticket's ("t:<id>"), the counter's ("counter"), the counter's ticket ("current"), or whether anyone waits
("waiting"). `News` keeps the state each of them was last seen in; `overtaken` says what becomes of the message when
an event changes that state by another hand (the same account's change said as such, the counter's state as it is
now, anything else, a change naming nobody such as `ticket.expired` at the day's close among them, clears it), and
`untrue` whether a snapshot after an outage left it untrue.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from .state import BY_OTHERS, FINAL, CounterView

# Changes of the counter's ticket said when this account made them elsewhere (texts.py: "mine.*").
MINE = BY_OTHERS | {"ticket.requeued"}
# The events each counter command can make (queue_server/domain/decide.py; tests/test_counter_units.py holds the two
# together): an event of another type is never the echo of that command.
ECHOES: dict[str, frozenset[str]] = {
    "open": frozenset({"counter.opened"}),
    "resume": frozenset({"counter.opened"}),
    "pause": frozenset({"counter.paused"}),
    "close": frozenset({"ticket.returned", "counter.closed"}),
    "call_next": frozenset({"ticket.called"}),
    "call": frozenset({"ticket.called"}),
    "unpark": frozenset({"ticket.called"}),
    "recall": frozenset({"ticket.recalled"}),
    "start": frozenset({"ticket.started"}),
    "finish": frozenset({"ticket.started", "ticket.finished"}),
    "no_show": frozenset({"ticket.no_show"}),
    "requeue": frozenset({"ticket.requeued"}),
    "transfer": frozenset({"ticket.transferred"}),
    "park": frozenset({"ticket.parked"}),
}
# The field of a counter's snapshot naming the account that made each change of its state (an event written before
# `paused_by` and `closed_by` existed names none, and may still be an echo).
ACCOUNT_OF = {"counter.opened": "operator", "counter.paused": "paused_by", "counter.closed": "closed_by"}
# The fields of a counter's snapshot naming who left it paused or closed, and when (none in an event written before
# they existed, nor for a close by the server: the day's close, a release): its change is said by name and time.
LEFT_BY = {"paused": ("paused_by", "paused_at"), "closed": ("closed_by", "closed_at")}
COUNTER_COMMANDS = frozenset({"open", "resume", "pause", "close"})  # their answer speaks of the counter's state
CLAIMS_KEPT = 20  # claims whose events never came (folded into a snapshot after an outage) do not pile up
CHANGES_KEPT = 50


@dataclass(frozen=True)
class About:
    """What a message is true of: `key` ("t:<ticket id>", "counter", "current", "waiting") in `state` (a ticket's or
    the counter's state, the counter's ticket id or "" for none, "some" or "none" waiting). `seq`: the event that
    showed that state; None while the answer that said it has come before its event."""

    key: str
    state: str
    seq: int | None = None


@dataclass(frozen=True)
class Change:
    """One change of this counter that this client did not make."""

    n: int  # the how-manieth change told (in the order told, which is not always the order of `seq`)
    seq: int  # the event's
    event: str  # its type ("ticket.finished", "counter.paused")
    ticket: str | None = None  # the ticket's label, for a change of the counter's ticket
    by: str | None = None  # the other account that made it; None when this account did, from another screen
    state: str | None = None  # the counter's state now, for a change of the counter's state
    at: str | None = None  # when the counter was left paused or closed (ISO), where its state says who did it
    mine: bool = False  # that pause or close was this account's, from another screen
    was: str | None = None  # the counter's state before, for a counter opened by another account (open or resume)
    about: About | None = None  # what its sentence is true of, for a message line that says it
    held: bool = False  # it waited for the answer of a command of this client that might have made it

    @property
    def words(self) -> str:
        """The name of its sentence in texts.py."""
        if self.event.startswith("counter."):
            if self.state == "open" and self.at and self.by:  # opened, or taken back from a break, by a colleague
                return "others.counter.resumed" if self.was == "paused" else "others.counter.open"
            if self.at and (self.by or self.mine):
                return f"{'others' if self.by else 'mine'}.counter.{self.state}"
            return f"now.counter_{self.state}"
        return f"{'others' if self.by else 'mine'}.{self.event}"


@dataclass
class News:
    counter: str
    changes: list[Change] = field(default_factory=list)  # the latest CHANGES_KEPT, oldest first
    count: int = 0  # how many were ever told: `since(count)` gives those told after a reader last looked
    _claims: list[tuple[str, str | None]] = field(default_factory=list)  # (type, ticket id) of answers' events
    _held: list[tuple[dict[str, Any], str | None]] = field(default_factory=list)  # (event, counter's ticket before)
    # what a message line may speak of, as last seen: key ("t:<id>", "counter", "current") -> (state, seq)
    seen: dict[str, tuple[str, int]] = field(default_factory=dict)
    me: str | None = None  # this client's account, as the latest event was weighed with
    counter_was: str | None = None  # the counter's state before the latest event that changed it

    def since(self, count: int) -> list[Change]:
        """The changes told after the `count`-th (all those still kept)."""
        return [c for c in self.changes if c.n > count]

    def event(self, frame: dict[str, Any], before: str | None, me: str | None, on_way: Collection[str] = ()) -> None:
        """An event just folded into the picture. `before`: the counter's ticket (id) before it; `me`: this client's
        account; `on_way`: the names of this client's commands on their way ("call_next", "pause")."""
        self._saw(frame)
        self.me = me
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
        if self._may_echo(frame, me, on_way):
            self._held.append((frame, before))
        else:
            self._elsewhere(frame, before)

    def answered(self, body: dict[str, Any] | None, on_way: Collection[str] = ()) -> None:
        """A command's answer (None: refused, or given up: it made nothing) names this client's events; the events
        held meanwhile that no answer names were made elsewhere, told once no command that could have made them is on
        its way any more (`on_way`: those still on their way)."""
        if body is not None:
            ticket = body.get("ticket") if isinstance(body.get("ticket"), dict) else None
            for kind in body.get("events") or []:
                ticket_id = ticket.get("id") if ticket and str(kind).startswith("ticket.") else None
                self._claims.append((str(kind), ticket_id))
            del self._claims[:-CLAIMS_KEPT]
        held, self._held = self._held, []
        for frame, before in held:
            if self._claimed(frame):
                continue
            if self._may_echo(frame, None, on_way):
                self._held.append((frame, before))
            else:
                self._elsewhere(frame, before, held=True)

    def snapshot(self, view: CounterView | None = None) -> None:
        """A snapshot stands for every event before it: the events claims were waiting for will not come. `view`:
        the picture just made from it, where the message line's states are seen anew."""
        self._claims.clear()
        if view is not None:
            self.seen = {f"t:{t['id']}": (str(t["state"]), view.seq) for t in view.tickets.values()}
            self.seen["counter"] = (view.state, view.seq)
            self.seen["current"] = (view.current_id or "", view.seq)

    # --- the message line: a message stays only while it is true ----------------------------------------

    def said(self, key: str, state: str) -> About:
        """What a message just said is true of (an answer, a change told): its seq if the event that shows that
        state has come, else None (the answer came first)."""
        now = self.seen.get(key)
        return About(key, state, now[1] if now is not None and now[0] == state else None)

    def said_now(self, key: str, state: str) -> About:
        """What a message about the picture as it stands is true of ("Tidak ada tiket yang sedang dipanggil.")."""
        now = self.seen.get(key)
        return About(key, state, now[1] if now is not None else 0)

    def answer_about(self, command: str, body: dict[str, Any]) -> About | None:
        """What a command's answer speaks of: the counter's state for a command on the counter (or one that acted on
        no ticket), else the state of the ticket it acted on."""
        counter, ticket = body.get("counter"), body.get("ticket")
        if command in COUNTER_COMMANDS or not isinstance(ticket, dict):
            return self.said("counter", str(counter.get("state"))) if isinstance(counter, dict) else None
        return self.said(f"t:{ticket.get('id')}", str(ticket.get("state")))

    def overtaken(self, frame: dict[str, Any], about: About, me: str | None) -> About | Change | None:
        """What the event `frame` (just folded, after `event`) does to a message true of `about`: the message stays
        (the About returned, its seq brought up to date), gives way to what is true now (a Change to say: this
        account's change made elsewhere, the counter's state), or clears (None: a change by another account, said by
        name if it concerns the counter's ticket, or naming nobody, as a ticket expired at the day's close)."""
        now = self.seen.get(about.key)
        seq = _seq(frame)
        if now is None or now[1] != seq:
            return about  # this event did not touch what the message speaks of
        if now[0] == about.state:
            return About(about.key, about.state, seq)  # the command's own event, or the same again
        if about.seq is None:
            return about  # older than the answer on the line
        kind = str(frame.get("type"))
        if about.key == "counter":
            return Change(0, seq, kind, state=now[0], about=About("counter", now[0], seq), **self._left_by(frame))
        ticket = (frame.get("data") or {}).get("ticket") if about.key.startswith("t:") else None
        if isinstance(ticket, dict) and me is not None and ticket.get("by") == me and kind in MINE:
            return Change(0, seq, kind, ticket=str(ticket.get("label")), about=About(about.key, now[0], seq))
        return None

    def untrue(self, about: About | None) -> bool:
        """After a snapshot: the state the message spoke of is another one now, or gone without a word (a ticket that
        reached no final state here)."""
        if about is None or about.seq is None or about.key == "waiting":
            return False  # "nobody waits" is kept true by the reader (console.py), from the waiting counts
        now = self.seen.get(about.key)
        if now is not None:
            return now[0] != about.state
        return not (about.key.startswith("t:") and about.state in FINAL)

    # --- the rule -----------------------------------------------------------------------------------------

    def _ours(self, kind: str, ticket: dict[str, Any], before: str | None) -> bool:
        """A change of the counter's ticket: the ticket it held, or one called to it."""
        return ticket.get("id") == before or (kind == "ticket.called" and ticket.get("counter") == self.counter)

    def _may_echo(self, frame: dict[str, Any], me: str | None, on_way: Collection[str]) -> bool:
        """Could this event be the echo of a command of this client on its way? Only an event of a type one of them
        can make, and (for a counter opened, paused or closed) not by another account."""
        kind = str(frame.get("type"))
        if not any(kind in ECHOES.get(name, ()) for name in on_way):
            return False
        counter = (frame.get("data") or {}).get("counter")
        field = ACCOUNT_OF.get(kind)
        account = counter.get(field) if field and isinstance(counter, dict) else None
        return me is None or account in (None, "", me)

    def _saw(self, frame: dict[str, Any]) -> None:
        seq, data = _seq(frame), frame.get("data") or {}
        for key in ("ticket", "new_ticket"):
            ticket = data.get(key)
            if isinstance(ticket, dict) and ticket.get("id"):
                self.seen[f"t:{ticket['id']}"] = (str(ticket.get("state")), seq)
        counter = data.get("counter")
        if isinstance(counter, dict) and counter.get("id") == self.counter:
            was = self.seen.get("counter", ("closed", 0))[0]
            if counter.get("state") and counter.get("state") != was:
                self.counter_was = was
            self.seen["counter"] = (str(counter.get("state") or was), seq)
            self.seen["current"] = (str(counter.get("current") or ""), seq)

    def _claimed(self, frame: dict[str, Any]) -> bool:
        ticket = (frame.get("data") or {}).get("ticket")
        ticket_id = ticket.get("id") if isinstance(ticket, dict) else None
        for i, (kind, claimed_id) in enumerate(self._claims):
            if kind == frame.get("type") and (claimed_id is None or ticket_id is None or claimed_id == ticket_id):
                del self._claims[i]
                return True
        return False

    def _elsewhere(self, frame: dict[str, Any], before: str | None, held: bool = False) -> None:
        kind, data = str(frame.get("type")), frame.get("data") or {}
        if kind.startswith("counter."):
            state = (data.get("counter") or {}).get("state")
            latest = self.changes[-1] if self.changes else None
            said = latest is not None and latest.event == "ticket.returned" and latest.seq == _seq(frame) - 1
            if state and not (state == "closed" and said):  # "Loket ditutup ...; A-001 kembali ke antrean." said it
                self._tell(frame, kind, held, state=str(state), **self._left_by(frame))
            return
        ticket = data["ticket"]
        if self._ours(kind, ticket, before):
            self._tell(frame, kind, held, ticket=str(ticket["label"]))

    def _left_by(self, frame: dict[str, Any]) -> dict[str, Any]:
        """Who left the counter paused or closed, and when, as its state in `frame` names them (LEFT_BY): another
        account by name, this one as "from another screen"; nothing when the state names nobody, or when this client
        does not know who it is (it cannot tell a colleague from itself). A counter opened (or resumed) by another
        account: by its `operator`, at the event's time ("Loket dilanjutkan oleh Sari Dewi pukul 10.20.")."""
        counter = (frame.get("data") or {}).get("counter")
        if not isinstance(counter, dict) or self.me is None:
            return {}
        if counter.get("state") == "open":
            opener, at = counter.get("operator"), frame.get("at")
            if frame.get("type") != "counter.opened" or not opener or opener == self.me or not at:
                return {}
            return {"at": str(at), "by": str(opener), "was": self.counter_was}
        fields = LEFT_BY.get(str(counter.get("state")))
        if fields is None:
            return {}
        account, at = counter.get(fields[0]), counter.get(fields[1])
        if not account or not at:
            return {}
        return {"at": str(at), "mine": True} if account == self.me else {"at": str(at), "by": str(account)}

    def _tell(self, frame: dict[str, Any], kind: str, held: bool = False, **what: Any) -> None:
        ticket = (frame.get("data") or {}).get("ticket")
        if "state" in what or not isinstance(ticket, dict):
            about = self.said("counter", what.get("state") or "")
        else:
            about = self.said(f"t:{ticket['id']}", str(ticket.get("state")))
        self.count += 1
        self.changes.append(Change(self.count, _seq(frame), kind, about=about, held=held, **what))
        del self.changes[:-CHANGES_KEPT]


def _seq(frame: dict[str, Any]) -> int:
    return int(frame.get("seq") or 0)
