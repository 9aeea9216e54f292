"""The counter's local picture of its queue, folded from the server's snapshot and events (pure, no I/O).

Events carry ticket snapshots, so keeping the picture is mechanical: the newest copy of every open ticket of
this counter's services, this counter's status, and today's totals. `seq` is where a reconnect resumes.

A parked ticket (set aside while the citizen fetches a document) carries no time of parking: the picture keeps the
`at` of the `ticket.parked` event it saw. After a snapshot a ticket parked before this client was following has
no known time (None).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

# Ticket states that leave the picture (nothing more can happen to them here).
FINAL = frozenset({"done", "transferred", "cancelled", "expired"})
# Changes of the counter's ticket that are told when another account made them (texts.py: "others.*").
BY_OTHERS = frozenset({"ticket.called", "ticket.recalled", "ticket.started", "ticket.finished", "ticket.no_show",
                       "ticket.parked", "ticket.transferred", "ticket.returned", "ticket.cancelled"})  # fmt: skip
TOTALS = ("done", "no_show", "transferred")


@dataclass
class CounterView:
    site: str
    counter: str
    services: tuple[str, ...]  # the services this counter serves, in catalogue order
    state: str = "closed"  # open, paused, closed
    operator: str | None = None
    current_id: str | None = None
    tickets: dict[str, dict[str, Any]] = field(default_factory=dict)  # open tickets of our services, by id
    totals: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TOTALS, 0))
    seq: int = 0
    day: str | None = None
    # parked ticket id -> when, from the `ticket.parked` event seen (the ticket's own `parked_at` comes first)
    parked_at: dict[str, str] = field(default_factory=dict)
    # the server's notices for this counter: its called ticket said on a speaker TV yet? who is signed in here?
    heard: dict[str, Any] | None = None
    operators: list[dict[str, Any]] = field(default_factory=list)
    me: str | None = None  # this client's account: a change made by another one is told (`by_others`)
    # the latest change of this counter's ticket made by another account: (seq, event type, label, account)
    by_others: tuple[int, str, str, str] | None = None
    seen_leaving: set[str] = field(default_factory=set)  # accounts seen signed in here, then gone
    # account -> the person's name, from every `operators` notice seen (kept after they leave, as the page keeps it:
    # a colleague who closed the counter and signed out is still named by name)
    names: dict[str, str] = field(default_factory=dict)
    # who left the counter paused or closed, and when (its state's `paused_by`/`paused_at`, `closed_by`/`closed_at`;
    # None in a state that names nobody: the day's close, an event an earlier release wrote)
    left_by: str | None = None
    left_at: str | None = None
    timezone: str | None = None  # the site's (its catalogue's), for "today"
    # the site's services whose issuing is paused, with why: service -> {reason, since, until, day}, from the
    # snapshot's `issuing_paused` and the `service.paused` / `service.resumed` events (a pause ends with its day)
    paused: dict[str, dict[str, Any]] = field(default_factory=dict)
    # the service day a supervisor closed (the snapshot's day when `day_closed`, a `day.closed` event's), and why
    # (None: no reason given); forgotten when it is reopened. `day_closed(today)` says whether it is today.
    closed_day: str | None = None
    closed_reason: str | None = None

    # --- reading ---------------------------------------------------------------------------------------

    @property
    def current(self) -> dict[str, Any] | None:
        return self.tickets.get(self.current_id) if self.current_id else None

    @property
    def waiting(self) -> dict[str, int]:
        counts = dict.fromkeys(self.services, 0)
        for ticket in self.tickets.values():
            if ticket["state"] == "waiting" and ticket["service"] in counts:
                counts[ticket["service"]] += 1
        return counts

    @property
    def no_shows(self) -> list[dict[str, Any]]:
        """No-shows of this counter's services today, the most recent first (the one likeliest to come back)."""
        found = [t for t in self.tickets.values() if t["state"] == "no_show"]
        return sorted(found, key=lambda t: t.get("finished_at") or "", reverse=True)

    @property
    def parked(self) -> list[dict[str, Any]]:
        """Parked tickets of this counter's services (set aside here or at another counter serving them), the
        longest parked first; those parked at a time this client did not see come first."""
        found = [t for t in self.tickets.values() if t["state"] == "parked"]
        return sorted(found, key=lambda t: (t.get("parked_at") or self.parked_at.get(t["id"]) or "", t["label"]))

    @property
    def announcement(self) -> dict[str, Any] | None:
        """The current ticket's announcement status while it is called and there is one to show (`waiting`,
        `announced`, `no_speaker`); None otherwise (docs/counter-client.md)."""
        current, heard = self.current, self.heard
        if current is None or current["state"] != "called" or not heard or heard.get("ticket") != current["id"]:
            return None
        return heard if heard.get("status") in ("waiting", "announced", "no_speaker") else None

    @property
    def opener(self) -> str | None:
        """The account that opened this counter, when it is another one and nobody else is seen signed in here (it
        works over the API, or through another server process), until seen leaving: the page's "Loket ini dibuka oleh
        sari." None otherwise."""
        present = {o.get("name") for o in self.operators}
        if self.state == "closed" or not self.operator or self.me is None or self.operator == self.me:
            return None
        if present - {self.me} or self.operator in present or self.operator in self.seen_leaving:
            return None
        return self.operator

    def at_counter(self, operators: list[dict[str, Any]]) -> None:
        """The server's `operators` notice: who is signed in at this counter now."""
        names = {o.get("name") for o in operators}
        self.seen_leaving |= {str(o.get("name")) for o in self.operators if o.get("name") not in names}
        self.seen_leaving -= {str(n) for n in names}
        self.operators = operators
        self.names |= {str(o["name"]): str(o.get("display_name") or o["name"]) for o in operators if o.get("name")}

    def person(self, account: str) -> str:
        """An account's name as staff read it: as the server named it last (a frame's `people`, an `operators`
        notice), else the account (the server's one rule, application/auth.person_name)."""
        return self.names.get(account, account)

    def learn(self, people: Any) -> None:
        """A frame's `people` (account -> name, as the server names them): kept, so a colleague is still named after
        they leave and after a reconnect."""
        if isinstance(people, dict):
            self.names |= {str(k): str(v) for k, v in people.items() if k and isinstance(v, str) and v}

    @property
    def left(self) -> tuple[str, str, str] | None:
        """(state, account, at) while the counter is paused or closed by a hand its state names, today: "Dijeda
        oleh Sari Dewi sejak 10.15". None when open, when nobody is named, or for a close of an earlier day."""
        if self.state not in ("paused", "closed") or not self.left_by or not self.left_at:
            return None
        if self.day and self.state == "closed" and not _same_day(self.left_at, self.day, self.timezone):
            return None
        return self.state, self.left_by, self.left_at

    def day_closed(self, today: str | None) -> bool:
        """Today's service day is closed (by a supervisor, or `queue-server close-day`): nothing opens today."""
        return today is not None and self.closed_day == today

    def day_reason(self) -> str:
        """ " (Gangguan listrik)": the close's reason as the sentences put it, or nothing."""
        return f" ({self.closed_reason})" if self.closed_reason else ""

    def issuing_paused(self, today: str) -> list[tuple[str, dict[str, Any]]]:
        """This counter's services whose issuing is paused today, with the pause, in the counter's order."""
        return [(s, p) for s in self.services if (p := self.paused.get(s)) is not None and p.get("day") == today]

    def find(self, ref: str) -> list[dict[str, Any]]:
        """Open tickets matching what an operator typed: a label ('B-012', 'b12') or a bare number ('12')."""
        text = ref.strip().upper().replace("-", "").replace(" ", "")
        prefix = text.rstrip("0123456789")
        digits = text[len(prefix) :]
        if not digits:
            return []
        number = int(digits)
        out = []
        for ticket in self.tickets.values():
            label_prefix, _, label_number = ticket["label"].partition("-")
            if int(label_number or -1) == number and (not prefix or prefix == label_prefix):
                out.append(ticket)
        return sorted(out, key=lambda t: t["label"])

    # --- folding -----------------------------------------------------------------------------------------

    def apply_snapshot(self, data: dict[str, Any], seq: int) -> None:
        """Start over from the server's picture (a first connection, a gap too long to replay, or at any time the
        server corrects what it had given: after a write that failed)."""
        self.seq = seq
        self.day = data.get("day")
        closed = bool(data.get("day_closed")) and self.day is not None
        self.closed_day = self.day if closed else None
        self.closed_reason = (data.get("day_closed_reason") or None) if closed else None
        self.paused = {s: {**p, "day": self.day} for s, p in (data.get("issuing_paused") or {}).items()}
        self.tickets = {t["id"]: t for t in data.get("tickets", []) if t["service"] in self.services}
        self.current_id = None
        for counter in data.get("counters", []):
            if counter["id"] == self.counter:
                self._set_counter(counter)
                if counter.get("ticket"):
                    self.tickets[counter["ticket"]["id"]] = counter["ticket"]
                today = counter.get("today") or {}
                self.totals = {k: int(today.get(k, 0)) for k in TOTALS}
        self._forget_unparked()

    def apply_event(self, message: dict[str, Any]) -> bool:
        """Fold one event; False if it was already seen (a replay overlapping what we had)."""
        seq = message.get("seq", 0)
        if seq <= self.seq:
            return False
        self.seq = seq
        data = message.get("data", {})
        before = self.current_id
        for key in ("ticket", "new_ticket"):
            if isinstance(data.get(key), dict):
                self._put_ticket(data[key])
        ticket = data.get("ticket")
        if message.get("type") == "ticket.parked" and isinstance(ticket, dict) and message.get("at"):
            self.parked_at[ticket["id"]] = str(message["at"])
        counter = data.get("counter")
        if isinstance(counter, dict) and counter.get("id") == self.counter:
            self._set_counter(counter)
        if message.get("type") == "service.paused":
            self.paused.update((p["service"], p) for p in data.get("pauses", ()) if isinstance(p, dict))
        if message.get("type") == "service.resumed":
            for service in data.get("services", ()):
                self.paused.pop(service, None)
        if message.get("type") == "day.closed":
            self.totals = dict.fromkeys(TOTALS, 0)
            self.day = None
            day, reason = data.get("day"), data.get("reason")
            if isinstance(day, str):
                if day != self.closed_day:
                    self.closed_reason = None
                self.closed_day = day
                if isinstance(reason, str) and reason:  # a second close keeps the first's reason
                    self.closed_reason = reason
        if message.get("type") == "day.reopened" and data.get("day") in (None, self.closed_day):
            self.closed_day = self.closed_reason = None
        self._forget_unparked()
        self._by_others(message, before)
        return True

    def _by_others(self, message: dict[str, Any], before: str | None) -> None:
        """Another account (a colleague at this counter, a supervisor) changed this counter's ticket."""
        ticket, kind = message.get("data", {}).get("ticket"), str(message.get("type"))
        if not isinstance(ticket, dict) or kind not in BY_OTHERS or self.me is None:
            return
        by = ticket.get("by")
        if not by or by == self.me:
            return
        if ticket["id"] == before or (kind == "ticket.called" and ticket.get("counter") == self.counter):
            self.by_others = (int(message.get("seq", 0)), kind, str(ticket["label"]), str(by))

    def _forget_unparked(self) -> None:
        """Times of parking are kept only while their ticket is still parked here."""
        for ticket_id in list(self.parked_at):
            ticket = self.tickets.get(ticket_id)
            if ticket is None or ticket["state"] != "parked":
                del self.parked_at[ticket_id]

    def _set_counter(self, counter: dict[str, Any]) -> None:
        self.state = counter.get("state", self.state)
        self.operator = counter.get("operator", self.operator)
        self.current_id = counter.get("current")
        by, at = {"paused": ("paused_by", "paused_at"), "closed": ("closed_by", "closed_at")}.get(self.state, ("", ""))
        self.left_by, self.left_at = counter.get(by) or None, counter.get(at) or None

    def _put_ticket(self, ticket: dict[str, Any]) -> None:
        old = self.tickets.get(ticket["id"])
        self._count(old, ticket)
        if ticket["state"] in FINAL or ticket["service"] not in self.services:
            self.tickets.pop(ticket["id"], None)
        else:
            self.tickets[ticket["id"]] = ticket

    def _count(self, old: dict[str, Any] | None, new: dict[str, Any]) -> None:
        """Totals count each ticket by its latest state at this counter, like the server's snapshot does."""
        old_state = old["state"] if old else None
        if old_state == new["state"]:
            return
        if old_state == "no_show" and old is not None and old.get("counter") == self.counter:
            self.totals["no_show"] -= 1  # a late arrival was requeued or called again
        if new["state"] in TOTALS and new.get("counter") == self.counter:
            self.totals[new["state"]] += 1


def _same_day(at: str, day: str, timezone: str | None) -> bool:
    """Whether a time (ISO) falls on the site's service day `day` (its local date); True when that cannot be told."""
    try:
        return datetime.fromisoformat(at).astimezone(ZoneInfo(timezone or "")).date().isoformat() == day
    except (ValueError, KeyError):
        return True


def parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def elapsed_text(seconds: float, lang: str = "id") -> str:
    """A duration in words, as the web page writes it ("1 mnt 6 dtk", "1 j 5 mnt"): "01:06" would read as a time of
    day."""
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    h, m, s = ("h", "min", "s") if lang == "en" else ("j", "mnt", "dtk")
    if hours:
        return f"{hours} {h} {minutes} {m}"
    return f"{minutes} {m} {secs} {s}" if minutes else f"{secs} {s}"
