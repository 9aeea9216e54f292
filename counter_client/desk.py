"""What each key does at the counter, given what the counter is doing (pure: no terminal, no network).

One key per action, so a plain numeric keypad is enough. Typed digits make a ticket number; with a number
typed, Enter calls that ticket (a parked one is called back: `unpark`) and "-" puts that no-show back in the
queue. "/" opens a small dialog: pick the target service by its number, then an optional note. F9 parks the
current ticket, after an optional note (what the citizen must bring). F8 (close) and "-" (no-show) ask first:
Enter confirms, Esc keeps things as they are. The console turns `Intent`s into client commands and hands the outcome
back to `done` or `refused` for the message line.

"0" both starts/finishes and begins a number as printed ("004"): a lone "0" waits ZERO_WAIT for another character
before it acts (the console asks `due` when that time is over), so typing a label never finishes the citizen
being served. A two-way key ("0": start then finish, "*": pause then resume) pressed again within TWO_WAY_GUARD
is a bounce or a double press and is ignored: it never undoes what the first press did. So is "." (recall) of the
same ticket: every lobby TV would say the number twice more, in turn with the other counters' calls.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from . import keys as k
from .news import About
from .state import CounterView
from .texts import t

NOTE_MAX = 200
ZERO_WAIT = 0.45  # seconds a lone "0" waits for the rest of a number before it starts or finishes
TWO_WAY_GUARD = 0.8  # seconds within which a two-way key pressed again is ignored
NORMAL, PICK_TARGET, WRITE_NOTE, PARK_NOTE, CONFIRM = "normal", "pick_target", "write_note", "park_note", "confirm"


@dataclass(frozen=True)
class Intent:
    command: str
    fields: dict[str, Any] = field(default_factory=dict)


QUIT = Intent("quit")  # not a command: F10, confirmed, ends the console


@dataclass(frozen=True)
class Message:
    """Both languages of one line, so switching language re-renders the same message. `about`: what it stays true
    only as long as (news.py: "Mulai melayani A-002." of A-002 being served; "nobody waits" until someone does);
    None for a message that stays (a refusal, a question). `sending`: the command whose "Mengirim …" this line
    begins with, until its answer ("" for none)."""

    id: str
    en: str
    error: bool = False
    about: About | None = None
    sending: str = ""

    def text(self, lang: str) -> str:
        return self.en if lang == "en" else self.id

    def then(self, *more: Message) -> Message:
        """This line with more sentences after it (an answer, then what changed meanwhile by another hand)."""
        ids, ens = [self.id, *(m.id for m in more)], [self.en, *(m.en for m in more)]
        return replace(self, id=" ".join(ids), en=" ".join(ens))

    @classmethod
    def of(cls, name: str, /, error: bool = False, **values: Any) -> Message:
        """`why_en=` gives `why` its English words (a value that is itself a sentence part)."""
        id_values = {k: v for k, v in values.items() if not k.endswith("_en")}
        en_values = {**id_values, **{k.removesuffix("_en"): v for k, v in values.items() if k.endswith("_en")}}
        return cls(t(name, "id", **id_values), t(name, "en", **en_values), error)


@dataclass
class Desk:
    view: CounterView
    catalogue: dict[str, Any]
    mode: str = NORMAL
    number: str = ""  # digits (and maybe a prefix letter) typed so far
    target: dict[str, Any] | None = None
    note: str = ""
    message: Message | None = None
    quit: bool = False
    pending: Intent | None = None  # a destructive command waiting for Enter (CONFIRM)
    # its question: it stays in view below whatever the message line says meanwhile (a colleague's change said at
    # once), so the operator still sees what Enter would confirm
    question: Message | None = None
    # the counter as it was when the question was asked (its state, its ticket and that ticket's state): a question
    # whose situation changed before it was answered is withdrawn (`recheck`)
    asked_of: tuple[str, str | None, str | None] | None = None
    zero_at: float | None = None  # when a lone "0" was pressed (number is "0" meanwhile)
    zero_saw: dict[str, Any] | None = None  # the counter's ticket when that "0" was pressed: what it acts on
    for_ticket: str | None = None  # the ticket a transfer or park dialog was opened for
    two_way: tuple[str, float] = ("", float("-inf"))  # the last two-way key that acted, and when it was pressed
    offline: bool = False  # the link is down or in doubt (the console says so): a command waits for it, Esc cancels
    today: Callable[[], str | None] = lambda: None  # the site's service day now (the console: the server's clock)

    # --- the transfer dialog's list -----------------------------------------------------------------------

    def targets(self) -> list[dict[str, Any]]:
        """Every other service of the site, this counter's agency first: most transfers stay in the agency."""
        current = self.view.current
        agency = current["agency"] if current else None
        services = [s for s in self.catalogue.get("services", []) if not current or s["id"] != current["service"]]
        return sorted(services, key=lambda s: s["agency"] != agency)

    # --- keys ----------------------------------------------------------------------------------------------

    def press(self, key: str, busy: bool = False, now: float | None = None) -> Intent | None:
        now = time.monotonic() if now is None else now
        if key == k.F10 and self.mode != CONFIRM:
            self._quit()
            return None
        if self.zero_at is not None and self.mode == NORMAL and not _typed_char(key):
            if key in (k.ESCAPE, k.BACKSPACE):  # the "0" is taken back
                self.zero_at, self.number, self.message = None, "", None
                return None
            return self._zero(busy)  # another key right after a lone "0": the "0" acts; that key is not taken
        if self.mode == PICK_TARGET:
            return self._pick(key)
        if self.mode in (WRITE_NOTE, PARK_NOTE):
            return self._write(key)
        if self.mode == CONFIRM:
            return self._confirmed(key)
        return self._normal(key, busy, now)

    def due(self, now: float | None = None, busy: bool = False) -> Intent | None:
        """A lone "0" whose wait is over: it starts or finishes now. None while it waits, or with no "0"."""
        now = time.monotonic() if now is None else now
        if self.zero_at is None or now - self.zero_at < ZERO_WAIT:
            return None
        return self._zero(busy)

    def _zero(self, busy: bool) -> Intent | None:
        """The "0" acts on the ticket as it was when the key was pressed, not as it is once the wait is over: a
        colleague's start in between must not turn this press into a finish (an outside review saw exactly that).
        The command names that ticket; if the counter holds another one by then, the server says what changed."""
        assert self.zero_at is not None
        pressed, self.zero_at, self.number = self.zero_at, None, ""
        saw, self.zero_saw = self.zero_saw, None
        if self._bounced(f"0 {saw['id'] if saw else ''}", pressed):
            return None
        if saw is None:
            return self._no_ticket()
        if busy:
            self.message = Message.of("local.busy_offline" if self.offline else "local.busy", error=True)
            return None
        return Intent("start" if saw["state"] == "called" else "finish", {"ticket": saw["label"]})

    def _bounced(self, key: str, now: float) -> bool:
        """The same two-way key (on the same ticket) again within TWO_WAY_GUARD of the press that acted: ignored."""
        last_key, last_at = self.two_way
        self.two_way = (key, now)
        return last_key == key and now - last_at < TWO_WAY_GUARD

    def _ask(self, intent: Intent, name: str, **values: Any) -> None:
        self.mode, self.pending, self.asked_of = CONFIRM, intent, self._situation(intent)
        self.message = self.question = Message.of(name, **values)

    def _situation(self, intent: Intent | None = None) -> tuple[str, str | None, str | None]:
        """What a question asked of, as its words say it: a no-show, of its ticket alone (called); closing, of a
        counter not closed yet and the ticket it sends back (a colleague's pause leaves "Tutup loket?" true);
        quitting, of the counter's state and ticket, which its words name ("... sedang istirahat ...")."""
        intent = intent or self.pending
        current = self.view.current
        state = self.view.state
        if intent is not None and intent.command == "no_show":
            state = ""
        elif intent is not None and intent.command == "close":
            state = "closed" if state == "closed" else "not closed"
        return state, current["id"] if current else None, current["state"] if current else None

    def recheck(self) -> bool:
        """After every event and snapshot: a question asked of a situation that has changed since (`_situation`: a
        break a colleague ended, the counter closed by another hand, its ticket started or finished there) is
        withdrawn, and says so; so is the transfer or park dialog once the ticket it was opened for has left the
        counter (finished, parked or transferred by a colleague, sent back by a close).
        Its Enter would confirm what is no longer so ("Keluar tanpa menutup loket?" about a break a colleague has
        ended; a no-show of a citizen being served now; a note for a citizen already gone). The console stays asking,
        with nothing to confirm: the Enter meant for the question sends nothing (in the normal mode it would call the
        next citizen), nor do the characters of a note still being typed. True when withdrawn now."""
        if self.mode in (PICK_TARGET, WRITE_NOTE, PARK_NOTE):
            return self._recheck_dialog()
        if self.mode != CONFIRM or self.pending is None or self._situation() == self.asked_of:
            return False
        asked, self.pending, self.asked_of = self.question, None, None
        self.question = Message.of("confirm.withdrawn")
        if self.message == asked:  # nothing said meanwhile: the line says it instead of the question
            self.message = self.question
        return True

    def _recheck_dialog(self) -> bool:
        """The transfer or park dialog is asked of its ticket alone: a colleague's start or recall of it leaves it
        true. Withdrawn, it becomes a withdrawn question (Enter or Esc puts it away); the prompt on the message line
        gives way to it, a change said meanwhile stays above it."""
        current = self.view.current
        if current is not None and current["label"] == self.for_ticket:
            return False
        name = "park.withdrawn" if self.mode == PARK_NOTE else "transfer.withdrawn"
        own_line = self.message is None or self.message in _DIALOG_LINES  # not a change said meanwhile
        self.mode, self.number, self.note, self.target, self.pending = CONFIRM, "", "", None, None
        self.question = Message.of(name, ticket=self.for_ticket or "")
        self.for_ticket = None
        if own_line:
            self.message = self.question
        return True

    def _confirmed(self, key: str) -> Intent | None:
        if self.pending is None and key not in (k.ENTER, k.ESCAPE):
            return None  # a withdrawn question stays until Enter or Esc puts it away (a note's next letter does not)
        intent, self.mode, self.pending, self.question = self.pending, NORMAL, None, None
        if intent is None:  # a withdrawn question: put away, nothing is sent
            return None
        if key == k.ENTER and intent == QUIT:
            self.quit = True
            return None
        if key == k.ENTER:
            return intent
        self.message = Message.of("confirm.cancelled")
        return None

    def _quit(self) -> None:
        """F10. A counter left open with nobody at it keeps counting in every citizen's wait estimate, and its called
        citizen stays on every screen: asked first, as the web page's "Keluar" asks."""
        current = self.view.current
        if self.view.state == "closed":
            self.quit = True
        elif current is not None:
            name = "confirm.quit_called" if current["state"] == "called" else "confirm.quit_serving"
            self._ask(QUIT, name, ticket=current["label"])
        else:
            self._ask(QUIT, "confirm.quit_paused" if self.view.state == "paused" else "confirm.quit_open")

    def _normal(self, key: str, busy: bool, now: float) -> Intent | None:
        if key == k.ESCAPE:
            self.number, self.message = "", None
            return None
        if key == k.BACKSPACE:
            self.number = self.number[:-1]
            return None
        if key == "0" and not self.number:  # start/finish, or the first digit of "004": the next key says which
            current = self.view.current
            self.number, self.zero_at = "0", now
            self.zero_saw = {k: current[k] for k in ("id", "label", "state")} if current else None
            return None
        if _typed_char(key):
            self.zero_at = None  # a "0" before it was the start of a number
            if len(self.number) < 8:
                self.number += key.upper()
            return None
        if key == "-" and self.number.isalpha():  # "A-012" typed as printed: the dash belongs to the label
            return None
        if key == "*" and self._bounced("*", now):
            return None
        current = self.view.current  # a recall of the same ticket at once: every lobby TV would say it twice more
        if key == "." and current is not None and self._bounced(f". {current['id']}", now):
            return None
        intent = self._action(key)
        if intent is not None and busy:
            self.message = Message.of("local.busy_offline" if self.offline else "local.busy", error=True)
            return None
        return intent

    def _action(self, key: str) -> Intent | None:
        current = self.view.current
        if key in (k.ENTER, "+"):
            if not self.number:
                return Intent("call_next")
            return self._with_number("call")
        if key == "-":
            if self.number:
                return self._with_number("requeue")
            if current is None:
                return self._no_ticket()
            if current["state"] != "called":
                return self._not_called(current)
            no_show = Intent("no_show", {"ticket": current["label"]})
            unheard = self.view.announcement
            if unheard is not None and unheard["status"] != "announced":  # the citizen may not have heard it yet
                why = _why_unheard(unheard)
                self._ask(no_show, "confirm.no_show_unheard", ticket=current["label"], why=why[0], why_en=why[1])
            else:
                self._ask(no_show, "confirm.no_show", ticket=current["label"])
            return None
        if key == ".":
            if current is None:
                return self._no_ticket()
            return (
                Intent("recall", {"ticket": current["label"]})
                if current["state"] == "called"
                else self._not_called(current)
            )
        if key == "*":
            if self.view.state == "closed" and self.view.day_closed(self.today()):  # the server would refuse it
                hint = Message.of("local.day_closed", reason=self.view.day_reason())
                self.message = replace(hint, about=About("counter", "closed", 0))
                return None
            return Intent({"open": "pause", "paused": "resume"}.get(self.view.state, "open"))
        if key == k.F8:
            if self.view.state == "closed":
                self.message = replace(Message.of("local.already_closed"), about=About("counter", "closed", 0))
                return None
            if current is not None and current["state"] == "serving":
                self.message = Message.of("confirm.close_serving", error=True, ticket=current["label"])
                return None
            waiting = self._still_waiting()
            if current is not None:
                self._ask(Intent("close"), "confirm.close_called", ticket=current["label"], **waiting)
            else:
                self._ask(Intent("close"), "confirm.close", **waiting)
            return None
        if key == k.F9:
            if current is None:
                return self._no_ticket()
            self.mode, self.number, self.note, self.target = PARK_NOTE, "", "", None
            self.for_ticket = current["label"]
            self.message = Message.of("park.note")
            return None
        if key == "/":
            if current is None:
                return self._no_ticket()
            self.mode, self.number, self.note, self.target = PICK_TARGET, "", "", None
            self.for_ticket = current["label"]
            self.message = Message.of("transfer.pick")
            return None
        if key not in (k.RESIZE,):
            self.message = Message.of("local.keys", error=True, key=key)
        return None

    def typed_hint(self) -> Message | None:
        """While a number is typed, what Enter and "-" will do with it ("Enter: panggil A-050 · -: antrekan
        ulang"), so that a leftover number never calls someone by surprise."""
        if self.mode != NORMAL or not self.number or self.zero_at is not None:
            return None
        matches = self.view.find(self.number)
        if self.number[:1].isalpha() or len(matches) != 1:
            label = self.number
        else:
            label = matches[0]["label"]
        return Message.of("typed.hint", ticket=label)

    def _still_waiting(self) -> dict[str, str]:
        """The citizens still waiting for this counter's services, said in the question to close it (as the page
        does): at the end of the day the last counter of a service closed leaves them waiting for nobody."""
        waiting = [(s, n) for s, n in self.view.waiting.items() if n]
        if not waiting:
            return {"waiting": "", "waiting_en": ""}
        names = {s["id"]: s["name"] for s in self.catalogue.get("services", [])}
        values = {
            "count": sum(n for _, n in waiting),
            "services": ", ".join(f"{names.get(s, s)} {n}" for s, n in waiting),
        }
        return {"waiting": " " + t("confirm.close_waiting", "id", **values),
                "waiting_en": " " + t("confirm.close_waiting", "en", **values)}  # fmt: skip

    def _not_called(self, current: dict[str, Any]) -> Intent | None:
        """Recall and no-show are for a ticket just called; said here, as on the page, rather than the server's
        refusal in the words of its state machine."""
        self.message = replace(Message.of("local.not_called", error=True), about=About("current", current["id"], 0))
        return None

    def _no_ticket(self) -> Intent | None:
        # true of the counter holding no ticket: a call made here by another hand replaces it (news.py)
        self.message = replace(Message.of("local.no_ticket", error=True), about=About("current", "", 0))
        return None

    def _with_number(self, command: str) -> Intent | None:
        """A typed number names one ticket: a full label as typed, or a bare number that only one open ticket
        of this counter's services has (several services can each have a number 12). Calling a parked ticket
        calls it back (`unpark`)."""
        typed, self.number = self.number, ""
        matches = self.view.find(typed)
        if command == "call" and len(matches) == 1 and matches[0]["state"] == "parked":
            return Intent("unpark", {"ticket": matches[0]["label"]})
        if typed[:1].isalpha():
            return Intent(command, {"ticket": typed})
        if len(matches) > 1:
            labels = ", ".join(m["label"] for m in matches)
            self.message = Message.of(
                "local.ambiguous", error=True, number=typed, labels=labels, example=matches[0]["label"]
            )
            return None
        if matches:
            return Intent(command, {"ticket": matches[0]["label"]})
        prefixes = {s["prefix"] for s in self.catalogue.get("services", []) if s["id"] in self.view.services}
        if len(prefixes) == 1:
            return Intent(command, {"ticket": f"{prefixes.pop()}-{int(typed):03d}"})
        return Intent(command, {"ticket": typed})  # the server says it does not know it, in its words

    # --- the transfer dialog -------------------------------------------------------------------------------

    def _pick(self, key: str) -> Intent | None:
        if key == k.ESCAPE:
            return self._cancel()
        if key == k.BACKSPACE:
            self.number = self.number[:-1]
        elif len(key) == 1 and key.isdigit():
            self.number = (self.number + key)[-3:]
        elif key in (k.ENTER, "+"):
            choices = self.targets()
            index = int(self.number) - 1 if self.number else -1
            if not 0 <= index < len(choices):
                self.message = Message.of("local.no_target", error=True)
                self.number = ""
                return None
            self.target, self.number, self.mode = choices[index], "", WRITE_NOTE
            self.message = Message.of("transfer.note")
        return None

    def _write(self, key: str) -> Intent | None:
        if key == k.ESCAPE:
            return self._cancel()
        if key == k.BACKSPACE:
            self.note = self.note[:-1]
        elif key == k.ENTER:
            note = self.note.strip() or None
            if self.mode == PARK_NOTE:
                intent = Intent("park", {"note": note, "ticket": self.for_ticket})
            else:
                assert self.target is not None
                intent = Intent(
                    "transfer", {"target_service": self.target["id"], "note": note, "ticket": self.for_ticket}
                )
            self.mode, self.note, self.target, self.message = NORMAL, "", None, None
            return intent
        elif len(key) == 1 and len(self.note) < NOTE_MAX:
            self.note += key
        return None

    def _cancel(self) -> Intent | None:
        self.mode, self.number, self.note, self.target = NORMAL, "", "", None
        self.message = Message.of("local.cancelled")
        return None

    # --- outcomes ---------------------------------------------------------------------------------------

    def sending(self, intent: Intent) -> None:
        name = f"cmd.{intent.command}"
        self.message = Message(
            t("screen.sending", "id", command=t(name, "id")),
            t("screen.sending", "en", command=t(name, "en")),
            sending=intent.command,
        )

    def done(self, intent: Intent, body: dict[str, Any]) -> None:
        ticket = (body.get("ticket") or {}).get("label", "")
        service = ""
        if intent.command == "transfer":
            target = intent.fields.get("target_service", "")
            service = next((s["name"] for s in self.catalogue.get("services", []) if s["id"] == target), target)
        done = "done.close_returned" if intent.command == "close" and ticket else f"done.{intent.command}"
        self.message = Message.of(done, ticket=ticket, service=service)  # a closed counter says where its ticket went

    def refused(self, body: dict[str, Any]) -> None:
        code = body.get("code", "")
        message_id = body.get("message") or code
        about = About("waiting", "none", 0) if code == "queue_empty" else None  # true only until someone waits
        self.message = Message(str(message_id), str(body.get("message_en") or message_id), error=True, about=about)


# what the transfer and park dialogs themselves put on the message line (their prompts, a number out of the list)
_DIALOG_LINES = (
    Message.of("transfer.pick"),
    Message.of("transfer.note"),
    Message.of("park.note"),
    Message.of("local.no_target", error=True),
)


def _why_unheard(heard: dict[str, Any]) -> tuple[str, str]:
    """Why a called ticket may not have been heard yet, in both languages ("antrean suara: 7")."""
    if heard["status"] == "no_speaker":
        return t("why.no_speaker", "id"), t("why.no_speaker", "en")
    if heard.get("speech_queue") is None:
        return t("why.waiting_unknown", "id"), t("why.waiting_unknown", "en")
    queue = heard["speech_queue"]
    return t("why.waiting", "id", queue=queue), t("why.waiting", "en", queue=queue)


def _typed_char(key: str) -> bool:
    """A character of a ticket number (digits, a prefix letter)."""
    return len(key) == 1 and (key.isdigit() or key.isalpha())
