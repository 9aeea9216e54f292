"""The counter client's pure parts: the local picture, the keypad decoder, what each key does, the screen."""

from __future__ import annotations

import curses
import re
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import counter_client
from counter_client import keys
from counter_client.client import Backoff, Connection, CounterClient, websocket_url
from counter_client.console import Console
from counter_client.desk import CONFIRM, NORMAL, PARK_NOTE, PICK_TARGET, WRITE_NOTE, ZERO_WAIT, Desk, Intent, Message
from counter_client.news import ACCOUNT_OF, ECHOES, LEFT_BY, MINE, About, Change, News
from counter_client.screen import render
from counter_client.state import BY_OTHERS, CounterView, elapsed_text
from counter_client.texts import t as words

JAKARTA = ZoneInfo("Asia/Jakarta")

CATALOGUE: dict[str, Any] = {
    "name": "MPP Uji",
    "timezone": "Asia/Jakarta",
    "priority_groups": {"lansia": {"id": "Lanjut usia", "en": "Elderly"}},
    "agencies": [{"id": "dukcapil", "name": "Disdukcapil", "short_name": "Dukcapil"},
                 {"id": "polres", "name": "Polres", "short_name": "Polres"}],
    "services": [{"id": "ktp", "agency": "dukcapil", "name": "KTP Elektronik", "prefix": "A"},
                 {"id": "kk", "agency": "dukcapil", "name": "Kartu Keluarga", "prefix": "B"},
                 {"id": "skck", "agency": "polres", "name": "SKCK", "prefix": "F"}],
    "counters": [{"id": "1", "name": "Loket 1", "agency": "dukcapil", "services": ["ktp", "kk"]}],
}  # fmt: skip


def ticket(label: str, state: str = "waiting", counter: str | None = None, **extra: Any) -> dict[str, Any]:
    service = {"A": "ktp", "B": "kk", "F": "skck"}[label[0]]
    return {"id": label.lower(), "label": label, "service": service, "agency": "dukcapil", "state": state,
            "counter": counter, "called_at": None, "started_at": None, "finished_at": None, "note": None,
            "priority": None, **extra}  # fmt: skip


def event(seq: int, type_: str, **data: Any) -> dict[str, Any]:
    return {"type": type_, "seq": seq, "data": data}


def status(state: str = "open", current: str | None = None) -> dict[str, Any]:
    return {"id": "1", "state": state, "current": current, "operator": "op"}


# --- the picture ----------------------------------------------------------------------------------------


def test_the_picture_follows_snapshot_and_events_and_ignores_what_it_saw() -> None:
    view = CounterView("uji", "1", ("ktp", "kk"))
    view.apply_snapshot(
        {
            "tickets": [ticket("A-001"), ticket("B-001"), ticket("F-001")],  # F is not a service of ours
            "counters": [{**status("open"), "ticket": None, "today": {"done": 4, "no_show": 1, "transferred": 0}},
                         {"id": "2", "state": "open", "current": None}],
        },
        seq=10,
    )  # fmt: skip
    assert view.waiting == {"ktp": 1, "kk": 1} and view.state == "open"
    assert view.totals == {"done": 4, "no_show": 1, "transferred": 0}
    assert not view.apply_event(event(10, "ticket.issued", ticket=ticket("A-009"))), "seq already covered"
    assert view.apply_event(event(11, "ticket.called", ticket=ticket("A-001", "called", "1"),
                                  counter=status(current="a-001")))  # fmt: skip
    assert view.current is not None and view.current["label"] == "A-001" and view.waiting["ktp"] == 0
    # another counter's call of our service changes waiting, never our current ticket
    view.apply_event(event(12, "ticket.called", ticket=ticket("B-001", "called", "2"),
                           counter={"id": "2", "state": "open", "current": "b-001"}))  # fmt: skip
    assert view.current is not None and view.current["label"] == "A-001" and view.waiting == {"ktp": 0, "kk": 0}
    view.apply_event(event(13, "ticket.no_show", ticket=ticket("A-001", "no_show", "1", finished_at="t"),
                           counter=status()))  # fmt: skip
    assert view.current is None and [t["label"] for t in view.no_shows] == ["A-001"]
    assert view.totals["no_show"] == 2
    view.apply_event(event(14, "ticket.requeued", ticket=ticket("A-001")))  # came back: no longer a no-show here
    assert view.totals["no_show"] == 1 and view.no_shows == [] and view.waiting["ktp"] == 1
    view.apply_event(event(15, "ticket.transferred", ticket=ticket("A-001", "transferred", "1"),
                           new_ticket={**ticket("A-001"), "id": "leg", "service": "skck"}))  # fmt: skip
    assert view.totals["transferred"] == 1 and "leg" not in view.tickets and view.waiting["ktp"] == 0
    view.apply_event(event(16, "day.closed", day="2026-11-23", expired=0))
    assert view.totals == {"done": 0, "no_show": 0, "transferred": 0} and view.seq == 16


def test_finding_a_typed_number() -> None:
    view = CounterView("uji", "1", ("ktp", "kk"))
    view.tickets = {t["id"]: t for t in (ticket("A-012"), ticket("B-012"), ticket("A-007"))}
    assert [t["label"] for t in view.find("12")] == ["A-012", "B-012"]
    assert [t["label"] for t in view.find("b12")] == ["B-012"]
    assert [t["label"] for t in view.find("A-007")] == ["A-007"]
    assert view.find("") == [] and view.find("X") == []


def test_elapsed_text_and_backoff() -> None:
    assert (elapsed_text(0), elapsed_text(75), elapsed_text(3725), elapsed_text(-3)) == (
        "0 dtk",
        "1 mnt 15 dtk",
        "1 j 2 mnt",
        "0 dtk",
    )
    assert elapsed_text(75, "en") == "1 min 15 s"
    backoff = Backoff(initial=1, maximum=8)
    delays = [backoff.next() for _ in range(6)]
    for delay, ceiling in zip(delays, (1, 2, 4, 8, 8, 8), strict=True):
        assert ceiling / 2 <= delay <= ceiling
    backoff.reset()
    assert backoff.next() <= 1
    assert websocket_url("http://10.0.0.5:8000/") == "ws://10.0.0.5:8000/ws"
    assert websocket_url("https://mpp.example.go.id") == "wss://mpp.example.go.id/ws"


# --- the keypad -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (["\n", "+", "-", ".", "*", "/", "0", "7"], ["enter", "+", "-", ".", "*", "/", "0", "7"]),
        # application keypad mode: ESC O <x>
        (["\x1b", "O", "M", "\x1b", "O", "k", "\x1b", "O", "m", "\x1b", "O", "n", "\x1b", "O", "j", "\x1b", "O", "o",
          "\x1b", "O", "p", "\x1b", "O", "y"], ["enter", "+", "-", ".", "*", "/", "0", "9"]),
        ([curses.KEY_ENTER, curses.KEY_B2, curses.KEY_F8, curses.KEY_F10, curses.KEY_BACKSPACE],
         ["enter", "5", "f8", "f10", "backspace"]),
        (["\x1b", "[", "1", "9", "~", "\x1b", "[", "2", "1", "~", "\x1b", "[", "A"], ["f8", "f10"]),
        ([curses.KEY_F9, "\x1b", "[", "2", "0", "~"], ["f9", "f9"]),
        (["\x1b"], ["escape"]),
        (["\x7f", "\x08", "é", "\x01"], ["backspace", "backspace", "é"]),
    ],
)  # fmt: skip
def test_the_keypad_decodes_the_same_in_both_of_its_modes(raw: list[str | int], expected: list[str]) -> None:
    assert keys.decode(raw) == expected


# --- what each key does -----------------------------------------------------------------------------------


def desk(current: dict[str, Any] | None = None, state: str = "open", tickets: tuple[dict[str, Any], ...] = ()) -> Desk:
    view = CounterView("uji", "1", ("ktp", "kk"), state=state)
    for t in (*tickets, *([current] if current else [])):
        view.tickets[t["id"]] = t
    view.current_id = current["id"] if current else None
    return Desk(view, CATALOGUE)


CLOCKS: dict[int, float] = {}  # each desk's own clock (seconds), moved by `press`


def press(d: Desk, *pressed: str, busy: bool = False, gap: float = 1.0) -> list[Intent]:
    """The keys pressed `gap` seconds apart, then none (a lone "0" acts once its wait is over: the console asks
    `due` then)."""
    intents: list[Intent | None] = []
    for key in pressed:
        CLOCKS[id(d)] = now = CLOCKS.get(id(d), 0.0) + gap
        intents += [d.due(now, busy), d.press(key, busy, now)]
    CLOCKS[id(d)] = now = CLOCKS.get(id(d), 0.0) + ZERO_WAIT + 0.01  # and then no key: a lone "0" acts
    intents.append(d.due(now, busy))
    return [i for i in intents if i is not None]


def test_one_key_per_action() -> None:
    called = ticket("A-001", "called", "1")
    serving = ticket("A-001", "serving", "1")
    assert press(desk(), "enter", "+") == [Intent("call_next")] * 2
    # commands on the counter's ticket name it as the operator saw it (the server refuses if it changed since)
    seen = {"ticket": "A-001"}
    assert press(desk(called), ".", "-", "enter", "0") == [Intent("recall", seen), Intent("no_show", seen),
                                                           Intent("start", seen)]  # fmt: skip
    assert press(desk(called), "-", "escape") == [], "a no-show is asked first; Esc keeps the ticket"
    assert press(desk(serving), "0") == [Intent("finish", seen)]
    assert [press(desk(state=s), "*") for s in ("open", "paused", "closed")] == [
        [Intent("pause")],
        [Intent("resume")],
        [Intent("open")],
    ]
    assert press(desk(), "f8", "enter") == [Intent("close")]
    d = desk(called)
    assert press(d, "f8") == [] and d.message is not None and "kembali ke antrean" in d.message.id
    assert press(d, "x") == [] and d.message is not None and d.message.id == "Dibatalkan."
    d = desk(serving)
    assert press(d, "f8") == [] and d.message is not None and d.message.error, "not while a citizen is served"
    d = desk()
    assert press(d, ".", "-", "0", "/") == [] and d.message is not None and d.message.error
    assert d.message.id == "Tidak ada tiket yang sedang dipanggil."
    assert d.message.en == "No ticket is called now."
    d = desk()
    assert press(d, "enter", busy=True) == [] and d.message is not None
    assert d.message.id.startswith("Tunggu")
    d = desk()
    assert press(d, ",") == [] and d.message is not None and d.message.id == "Tombol tidak dikenal: ,"
    d = desk(state="closed")
    d.press("f10")
    assert d.quit, "a closed counter quits at once"


def test_the_console_tells_what_the_page_tells_before_a_command_is_sent() -> None:
    """Compared side by side with the page: recall or no-show of a citizen being served was sent, and the server's
    refusal came in the words of its state machine; F8 on a closed counter asked "Tutup loket?"; the question to close
    did not name the citizens still waiting, which the page's does. Now in the page's words."""
    serving = ticket("A-001", "serving", "1")
    for key in (".", "-"):
        d = desk(serving)
        assert press(d, key) == [] and d.message is not None
        assert d.message.id == "Tiket ini sedang dilayani; panggil ulang dan tidak hadir hanya untuk tiket yang baru " \
                               "dipanggil."  # fmt: skip
        assert d.message.en == "This ticket is being served; recall and no-show are for a ticket just called."
    d = desk(state="closed")
    assert press(d, "f8") == [] and d.message is not None and d.message.id == "Loket sudah tutup."
    assert d.message.about == About("counter", "closed", 0), "true until the counter opens"
    d = desk(tickets=(ticket("A-002"), ticket("A-003"), ticket("B-001"), ticket("F-001")))
    assert press(d, "f8") == [] and d.message is not None
    assert d.message.id == (
        "Tutup loket? Masih ada 3 warga menunggu (KTP Elektronik 2, Kartu Keluarga 1): loket ini "
        "tidak memanggil mereka lagi. Pastikan loket lain melayani mereka. Enter: ya, Esc: batal."
    )
    assert d.message.en.startswith("Close the counter? 3 citizens are still waiting (KTP Elektronik 2, Kartu")
    assert press(d, "enter") == [Intent("close")]
    d = desk(ticket("A-001", "called", "1"))
    press(d, "f8")
    assert d.message is not None
    assert d.message.id == "Tutup loket? A-001 kembali ke antrean di urutan semula. Enter: ya, Esc: batal."


def test_f10_on_an_open_counter_asks_first() -> None:
    """An outside review: F10 quit at once while the counter was open with a citizen called (the web page's
    "Keluar" asks): the counter stayed open with nobody at it, its citizen called on every screen."""
    called = ticket("A-001", "called", "1")
    d = desk(called)
    assert press(d, "f10") == [] and not d.quit
    assert d.message is not None and d.message.id.startswith("A-001 sedang dipanggil dan loket ini masih buka.")
    assert "Enter: ya, Esc: batal" in d.message.id and "BUKA" not in d.message.id
    assert press(d, "escape") == [] and not d.quit and d.message is not None and d.message.id == "Dibatalkan."
    assert press(d, "f10", "f10") == [] and not d.quit, "a second F10 is not a yes"
    assert press(d, "f10", "enter") == [] and d.quit
    for state, said in (("open", "Loket ini masih buka."), ("paused", "Loket ini sedang istirahat, belum ditutup.")):
        d = desk(state=state)
        press(d, "f10")
        assert not d.quit and d.message is not None and d.message.id.startswith(said), d.message
        press(d, "enter")
        assert d.quit


def test_the_console_clock_is_written_as_indonesians_write_it() -> None:
    """An outside review: the console showed 01:21:36 where the web page shows 01.21.36."""
    client = CounterClient("http://127.0.0.1:9", "uji", "1")
    client.catalogue = CATALOGUE
    client.server_now = lambda: 1795396896.0  # type: ignore[method-assign]  # 2026-11-23 01:21:36 UTC, 08.21.36 WIB
    d = Desk(client.view, CATALOGUE)
    assert render(client, d, "id", 80)[1].text.endswith(" 08.21.36")
    assert render(client, d, "en", 80)[1].text.endswith(" 08:21:36")


def test_a_typed_number_shows_what_enter_will_do_with_it() -> None:
    """An outside review: a number left in the field took over "call next" later. The console says, beside the
    number, which ticket Enter would call."""
    client = CounterClient("http://127.0.0.1:9", "uji", "1")
    client.catalogue = CATALOGUE
    client.view = CounterView("uji", "1", ("ktp",), state="open")
    client.view.tickets["a-050"] = ticket("A-050")
    d = Desk(client.view, CATALOGUE)
    press(d, "5", "0")
    d.zero_at = None
    text = "\n".join(line.text for line in render(client, d, "id", 100))
    assert "Nomor           50_   Enter: panggil A-050 · -: antrekan ulang A-050" in text


def test_typed_numbers_call_or_requeue_one_ticket() -> None:
    tickets = (ticket("A-012"), ticket("B-012"), ticket("A-007"), ticket("B-003", "no_show", "1"))
    d = desk(tickets=tickets)
    assert press(d, "7", "enter") == [Intent("call", {"ticket": "A-007"})] and d.number == ""
    assert press(d, "3", "-") == [Intent("requeue", {"ticket": "B-003"})]
    assert press(d, "1", "2", "enter") == [] and d.message is not None
    assert d.message.id == "Nomor 12 ada di beberapa layanan (A-012, B-012); ketik hurufnya, misalnya A-012."
    assert press(d, "b", "1", "2", "+") == [Intent("call", {"ticket": "B12"})]
    assert press(d, "1", "0", "backspace", "backspace", "9", "9", "escape") == [] and d.number == ""
    assert press(d, "4", "2", "enter") == [Intent("call", {"ticket": "42"})], "unknown: the server says so"
    one_service = Desk(CounterView("uji", "1", ("ktp",)), CATALOGUE)
    assert press(one_service, "4", "2", "enter") == [Intent("call", {"ticket": "A-042"})]


def test_a_number_typed_as_printed_never_starts_or_finishes_the_current_ticket() -> None:
    """An outside review: "004" typed from a slip started and then finished the citizen at the counter, because a
    lone "0" is start/finish. A "0" followed soon by another character begins a number; the dash of "A-005" belongs
    to the label; a two-way key pressed twice in a row (a bounce, a double press) acts once."""
    tickets = (ticket("A-004"), ticket("A-005"))
    d = desk(ticket("A-003", "serving", "1"), tickets=tickets)
    assert press(d, "0", "0", "4", gap=0.15) == [] and d.number == "004"
    assert press(d, "enter") == [Intent("call", {"ticket": "A-004"})]
    assert press(d, "a", "-", "0", "0", "5", gap=0.15) == [] and d.number == "A005"
    assert press(d, "escape") == [] and d.number == ""
    assert press(d, "0", "backspace", gap=0.15) == [] and d.number == "", "a lone 0 taken back does nothing"
    called = desk(ticket("A-003", "called", "1"))
    seen = {"ticket": "A-003"}
    assert press(called, "0", gap=0.2) == [Intent("start", seen)], "a lone 0 acts once its short wait is over"
    called.view.current["state"] = "serving"
    assert press(called, "0", gap=0.3) == [], "pressed again at once: a double press, not a finish"
    assert press(called, "0", gap=1.0) == [Intent("finish", seen)]
    assert press(desk(ticket("A-003", "called", "1")), "0", "enter", gap=0.1) == [Intent("start", seen)], (
        "a key right after a lone 0: the 0 acts, the key is not taken"
    )
    assert press(desk(), "*", "*", gap=0.3) == [Intent("pause")], "a bounced * pauses, not pauses and resumes"
    assert press(desk(state="paused"), "*", "*", gap=1.0) == [Intent("resume"), Intent("resume")]


def test_a_recall_pressed_twice_at_once_is_said_once_by_the_lobby_tvs() -> None:
    """An outside review: "." pressed twice within 150 ms sent two recalls, and every lobby TV said A-003 twice more,
    each in turn with the other counters' calls (~8 s each). The same ticket recalled again within the guard is a
    double press; later, or of another ticket, it is a recall of its own."""
    d = desk(ticket("A-003", "called", "1"))
    seen = {"ticket": "A-003"}
    assert press(d, ".", ".", gap=0.15) == [Intent("recall", seen)], "a double press recalls once"
    assert press(d, ".", gap=1.0) == [Intent("recall", seen)], "pressed again later: a recall of its own"
    d.view.tickets["a-004"] = ticket("A-004", "called", "1")
    d.view.current_id = "a-004"
    assert press(d, ".", gap=0.15) == [Intent("recall", {"ticket": "A-004"})], "another ticket's recall is not a bounce"


def test_the_transfer_dialog() -> None:
    d = desk(ticket("A-001", "serving", "1"))
    assert press(d, "/") == [] and d.mode == PICK_TARGET
    assert [s["id"] for s in d.targets()] == ["kk", "skck"], "own agency first, never the ticket's own service"
    assert press(d, "9", "enter") == [] and d.mode == PICK_TARGET and d.message is not None and d.message.error
    assert press(d, "2", "enter") == [] and d.mode == WRITE_NOTE and d.target is not None
    assert press(d, *"Perlu SKCK!", "backspace") == [] and d.note == "Perlu SKCK"
    assert press(d, "enter") == [
        Intent("transfer", {"target_service": "skck", "note": "Perlu SKCK", "ticket": "A-001"})
    ]
    assert d.mode == NORMAL
    assert press(d, "/", "1", "enter", "enter") == [Intent("transfer", {"target_service": "kk", "note": None,
                                                                         "ticket": "A-001"})]  # fmt: skip
    assert press(d, "/", "escape") == [] and d.mode == NORMAL and d.message is not None
    assert d.message.id == "Dibatalkan."


def test_outcomes_become_messages_in_both_languages() -> None:
    d = desk()
    d.sending(Intent("call_next"))
    assert d.message is not None and (d.message.id, d.message.en) == ("Mengirim panggil berikutnya…",
                                                                      "Sending call next…")  # fmt: skip
    d.done(Intent("transfer", {"target_service": "skck"}), {"ticket": {"label": "A-001"}})
    assert d.message.text("id") == "A-001 dialihkan ke SKCK." and d.message.text("en") == "A-001 transferred to SKCK."
    d.refused({"code": "queue_empty", "message": "Tidak ada antrean.", "message_en": "No ticket."})
    assert d.message.error and d.message.text("id") == "Tidak ada antrean." and d.message.text("en") == "No ticket."


# --- the screen ----------------------------------------------------------------------------------------


def test_the_screen_always_shows_what_the_operator_needs_in_80_columns() -> None:
    client = CounterClient("http://127.0.0.1:9", "uji", "1")
    client.catalogue = CATALOGUE
    client.view = CounterView("uji", "1", ("ktp", "kk"), state="open")
    current = ticket("A-001", "called", "1", called_at="2026-11-23T09:00:00+07:00", note="Bawa KK asli",
                     priority="lansia")  # fmt: skip
    for t in (current, ticket("A-002"), ticket("B-001"), ticket("B-002", "no_show", "1", finished_at="x")):
        client.view.tickets[t["id"]] = t
    client.view.current_id = current["id"]
    d = Desk(client.view, CATALOGUE)
    lines = render(client, d, "id", 80)
    text = "\n".join(line.text for line in lines)
    assert all(len(line.text) < 80 for line in lines)
    for expected in ("Tiket saat ini  A-001  dipanggil · selama", "                KTP Elektronik", "Prioritas: Lanjut usia",
                     "Catatan: Bawa KK asli", "Menunggu        KTP Elektronik 1 · Kartu Keluarga 1",
                     "Tidak hadir     B-002", "Hari ini        selesai 0 · tidak hadir 0 · dialihkan 0",
                     "○ Menyambung…", "Loket: BUKA", "Enter/+ panggil berikutnya", "F10 keluar"):  # fmt: skip
        assert expected in text, expected
    english = "\n".join(line.text for line in render(client, d, "en", 80))
    for expected in ("Current ticket", "Priority: Elderly", "Waiting", "No-shows", "Today", "Enter/+ call next"):
        assert expected in english
    # a note of 200 characters is wrapped, never cut at the screen's edge (an outside review lost its end)
    current["note"] = ("Sudah dicek: KTP lama rusak, KK terbaru sudah dilegalisir, surat pengantar RT/RW ada; "
                       "tinggal foto dan tanda tangan, mohon didahulukan karena warga lanjut usia dan datang sejak pagi")  # fmt: skip
    lines = render(client, d, "id", 80)
    assert all(len(line.text) < 80 for line in lines)
    said = " ".join(" ".join(line.text.split()) for line in lines)
    assert current["note"] in said


def test_a_question_stays_in_view_when_a_change_is_said_meanwhile() -> None:
    """Left from the last session: F8's "Tutup loket?" (or a no-show's, or F10's) was replaced on the message line by
    a colleague's change said at once, and the operator no longer saw what Enter would confirm. The change is said on
    the message line, the question stays below it until answered; in both languages."""
    client = CounterClient("http://127.0.0.1:9", "uji", "1")
    client.catalogue = CATALOGUE
    client.view = CounterView("uji", "1", ("ktp", "kk"), state="open", me="budi")
    client.view.tickets["a-001"], client.view.current_id = ticket("A-001", "called", "1"), "a-001"
    client.view.at_counter([{"name": "sari", "display_name": "Sari Dewi"}])
    console = Console(None, client, "id")
    assert press(console.desk, "-") == []
    question = "Tandai A-001 tidak hadir? Enter: ya, Esc: batal."

    def screen(lang: str = "id") -> str:
        return " ".join(" ".join(line.text.split()) for line in render(client, console.desk, lang, 80))

    assert question in screen()
    frame = event(1, "counter.paused", counter={**status("paused", current="a-001"), "paused_by": "sari",
                                                "paused_at": "2026-12-07T03:02:00+00:00"})  # fmt: skip
    before = client.view.current_id
    client.view.apply_event(frame)
    client.news.event(frame, before, client.view.me)
    console.on_event(frame, before)
    said = screen()
    assert "Pesan Loket dijeda oleh Sari Dewi pukul 10.02." in said, said
    assert said.index("Loket dijeda oleh Sari Dewi") < said.index(question), "the change above, the question below"
    english = screen("en")
    assert "The counter was paused by Sari Dewi at 10:02." in english and "Mark A-001 as no-show?" in english
    assert press(console.desk, "enter") == [Intent("no_show", {"ticket": "A-001"})], "Enter confirms what it showed"
    assert question not in screen(), "answered: the question goes"


def _console_at(state: str, current: dict[str, Any] | None = None) -> tuple[CounterClient, Console]:
    client = CounterClient("http://127.0.0.1:9", "uji", "1")
    client.catalogue = CATALOGUE
    client.view = CounterView("uji", "1", ("ktp", "kk"), state=state, me="budi")
    if current is not None:
        client.view.tickets[current["id"]], client.view.current_id = current, current["id"]
    client.view.learn({"sari": "Sari Dewi"})
    client.news.snapshot(client.view)  # as after the snapshot this picture came from
    return client, Console(None, client, "id")


def _comes(client: CounterClient, console: Console, frame: dict[str, Any]) -> str:
    """An event as the console takes it (picture, news, message line, question); the screen after it."""
    before = client.view.current_id
    client.view.apply_event(frame)
    client.news.event(frame, before, client.view.me)
    console.on_event(frame, before)
    return " ".join(" ".join(line.text.split()) for line in render(client, console.desk, "id", 80))


def test_a_question_whose_situation_changed_is_withdrawn_and_its_enter_sends_nothing() -> None:
    """Left from the last session: a question stayed in view after what it asked about had changed: F10's "Loket ini
    sedang istirahat ... Keluar tanpa menutup loket?" after a colleague had ended the break, a no-show of a citizen
    a colleague had started serving. Enter confirmed a question no longer true; now it is withdrawn, said so, and the
    Enter meant for it sends nothing (in the normal mode it would have called the next citizen)."""
    client, console = _console_at("paused")
    assert press(console.desk, "f10") == [] and "sedang istirahat" in (console.desk.question or Message("", "")).id
    resumed = {**status("open"), "operator": "sari"}
    screen = _comes(client, console, {**event(1, "counter.opened", counter=resumed), "at": "2026-12-07T03:20:00Z"})
    assert "Pesan Loket dilanjutkan oleh Sari Dewi pukul 10.20." in screen, screen
    assert "Pertanyaan tadi dibatalkan: keadaan loket sudah berubah." in screen and "sedang istirahat" not in screen
    assert press(console.desk, "enter") == [] and not console.desk.quit, "Enter: nothing sent, the console stays"
    assert console.desk.mode == NORMAL and press(console.desk, "enter") == [Intent("call_next")], "then as usual"

    # a no-show asked of A-001 called; a colleague starts serving A-001: withdrawn, in English too
    client, console = _console_at("open", ticket("A-001", "called", "1"))
    assert press(console.desk, "-") == []
    started = ticket("A-001", "serving", "1", by="sari")
    screen = _comes(client, console, event(2, "ticket.started", ticket=started, counter=status(current="a-001")))
    assert "A-001 mulai dilayani oleh Sari Dewi." in screen and "Tandai A-001 tidak hadir?" not in screen, screen
    english = " ".join(" ".join(line.text.split()) for line in render(client, console.desk, "en", 80))
    assert "The question was withdrawn: the counter has changed. Nothing was sent." in english
    assert press(console.desk, "escape") == [] and console.desk.mode == NORMAL

    # closing asked; a colleague's pause leaves "Tutup loket?" true (it stays, Enter closes); a close by another hand
    # answers it (withdrawn: nothing left to close)
    client, console = _console_at("open")
    assert press(console.desk, "f8") == []
    paused = {**status("paused"), "paused_by": "sari", "paused_at": "2026-12-07T03:02:00Z"}
    screen = _comes(client, console, event(3, "counter.paused", counter=paused))
    assert "Tutup loket?" in screen and "dibatalkan" not in screen, screen
    assert press(console.desk, "enter") == [Intent("close")]
    assert press(console.desk, "f8") == []
    closed = {**status("closed"), "closed_by": "sari", "closed_at": "2026-12-07T03:05:00Z"}
    screen = _comes(client, console, event(4, "counter.closed", counter=closed))
    assert "Pesan Loket ditutup oleh Sari Dewi pukul 10.05." in screen and "Tutup loket?" not in screen, screen
    assert "Pertanyaan tadi dibatalkan" in screen and press(console.desk, "enter") == []


def test_a_transfer_or_park_dialog_whose_ticket_left_the_counter_is_withdrawn_and_sends_nothing() -> None:
    """Left from the last session: the transfer and park dialogs were not withdrawn as the questions were: a colleague
    finished A-001 while the console's transfer note was being typed, and Enter sent a transfer of a citizen already
    gone (refused by the server, after the fact). Now the dialog is withdrawn when its ticket leaves the counter, says
    so below the change, and neither the rest of the note nor Enter sends anything; Enter or Esc puts it away."""
    client, console = _console_at("open", ticket("A-001", "called", "1"))
    assert press(console.desk, "/", "1", "enter", *"Perlu") == [] and console.desk.mode == WRITE_NOTE
    started = ticket("A-001", "serving", "1", by="sari")  # the same ticket started by a colleague: still true
    screen = _comes(client, console, event(1, "ticket.started", ticket=started, counter=status(current="a-001")))
    assert console.desk.mode == WRITE_NOTE and "A-001 mulai dilayani oleh Sari Dewi." in screen, screen
    finished = ticket("A-001", "done", "1", by="sari")
    screen = _comes(client, console, event(2, "ticket.finished", ticket=finished, counter=status()))
    assert "A-001 diselesaikan oleh Sari Dewi." in screen, screen
    withdrawn = (
        "Alihkan A-001 dibatalkan: tiket itu sudah tidak di loket ini. Tidak ada yang dikirim. Enter/Esc: tutup."
    )
    assert withdrawn in screen and screen.index("diselesaikan oleh") < screen.index(withdrawn), screen
    english = " ".join(" ".join(line.text for line in render(client, console.desk, "en", 80)).split())
    assert "Transferring A-001 was withdrawn: that ticket is no longer at this counter. Nothing was sent." in english
    assert press(console.desk, *" KK") == [] and console.desk.mode == CONFIRM, "the note's next letters: nothing"
    assert console.desk.number == "", "nor are they a number for the next Enter"
    assert press(console.desk, "enter") == [] and console.desk.mode == NORMAL, "Enter only puts it away"
    assert press(console.desk, "enter") == [Intent("call_next")], "then as usual"

    # the park dialog, its prompt alone on the line: the withdrawal takes the line; a snapshot withdraws it too
    client, console = _console_at("open", ticket("B-001", "serving", "1"))
    assert press(console.desk, "f9", *"Bawa") == [] and console.desk.mode == PARK_NOTE
    client.view.apply_snapshot({"tickets": [], "counters": [status()]}, seq=3)  # after an outage: gone, nobody said
    console.on_event({"type": "snapshot", "seq": 3}, "b-001")
    assert console.desk.mode == CONFIRM and console.desk.message is not None
    assert console.desk.message.id.startswith("Parkir B-001 dibatalkan: tiket itu sudah tidak di loket ini.")
    assert press(console.desk, "escape") == [] and console.desk.mode == NORMAL
    # a dialog whose ticket stays (recalled, a colleague's start) is left alone: Enter parks it
    client, console = _console_at("open", ticket("B-002", "called", "1"))
    assert press(console.desk, "f9") == []
    _comes(client, console, event(4, "ticket.recalled", ticket=ticket("B-002", "called", "1", by="sari"),
                                  counter=status(current="b-002")))  # fmt: skip
    assert press(console.desk, "enter") == [Intent("park", {"note": None, "ticket": "B-002"})]


def test_the_state_line_says_who_paused_or_closed_the_counter_and_since_when_also_after_a_snapshot() -> None:
    """Left from the last session: who paused the counter was said once, as a change, and forgotten on a reconnect
    (a snapshot names accounts only; the console knew only the names of those signed in). The snapshot's `people`
    names them, the picture keeps who left the counter so, and the state line says it by the one rule."""
    client, _ = _console_at("open")
    client.view = CounterView("uji", "1", ("ktp", "kk"), me="budi", timezone="Asia/Jakarta")
    paused = {**status("paused"), "paused_by": "sari", "paused_at": "2026-12-07T03:15:00+00:00", "ticket": None}
    client.view.learn({"sari": "Sari Dewi"})
    client.view.apply_snapshot({"day": "2026-12-07", "tickets": [], "counters": [paused]}, seq=5)
    desk = Desk(client.view, CATALOGUE)
    screen = " ".join(line.text for line in render(client, desk, "id", 100))
    assert "Loket: ISTIRAHAT · " in screen and "dijeda oleh Sari Dewi sejak 10.15" in screen, screen
    assert "paused by Sari Dewi since 10:15" in " ".join(line.text for line in render(client, desk, "en", 100))
    client.view.learn({"sari": "Supervisor MPP Kabupaten Tegal Kota"})  # a long name at 80 columns: its own line
    lines = [line.text for line in render(client, desk, "id", 80)]
    assert "       dijeda oleh Supervisor MPP Kabupaten Tegal Kota sejak 10.15" in lines, lines
    assert all(len(line) < 80 for line in lines)
    fresh = CounterView("uji", "1", ("ktp",), me="budi")  # a name the server did not give: the account
    fresh.apply_snapshot({"tickets": [], "counters": [paused]}, seq=5)
    assert fresh.left == ("paused", "sari", paused["paused_at"]) and fresh.person("sari") == "sari"
    # this account's own break: since when; a close by the server (nobody named) or of an earlier day: nothing
    client.view.apply_event(event(6, "counter.paused", counter={**paused, "paused_by": "budi"}))
    assert "dijeda sejak 10.15" in " ".join(line.text for line in render(client, desk, "id", 100))
    client.view.apply_event(event(7, "counter.closed", counter={**status("closed")}))
    assert client.view.left is None
    yesterday = {**status("closed"), "closed_by": "sari", "closed_at": "2026-12-06T09:00:00+00:00"}
    client.view.apply_event(event(8, "counter.closed", counter=yesterday))
    assert client.view.left is None, "closed yesterday: not 'sejak 16.00' today"
    client.view.apply_event(event(9, "counter.opened", counter=status("open")))
    assert client.view.left is None and (client.view.left_by, client.view.left_at) == (None, None)


def test_the_state_line_names_its_own_operator_as_the_page_does_and_a_long_name_gives_way_at_80_columns() -> None:
    """Left from the last session: the console's state line said its login ("budi") where the web page's header says
    the person's name. It now says the name by the one rule (the frames' `people`, the login's display_name), the
    account only where there is none; a long name is shortened with "…" so a colleague's stays on the line."""
    client, console = _console_at("open")

    def state_line(width: int = 80, lang: str = "id") -> str:
        lines = [line.text for line in render(client, console.desk, lang, width)]
        assert all(len(line) < width for line in lines), lines
        return next(line for line in lines if line.startswith(("Loket:", "Counter:")))

    assert state_line() == "Loket: BUKA · budi"  # an account without a name of its own: the account
    client.user = {"name": "budi", "display_name": "Budi Santoso"}
    client._learn_my_name()  # as after signing in: the login's answer names the person
    assert state_line() == "Loket: BUKA · Budi Santoso"
    assert state_line(lang="en") == "Counter: OPEN · Budi Santoso"
    client.view.learn({"budi": "Budi S."})  # renamed in Settings: the next frame's `people` says so
    assert state_line() == "Loket: BUKA · Budi S."

    long = "Budi Santoso Wibowo Kusumo Hadiningrat Prawiro"
    client.view.learn({"budi": long})
    assert state_line() == f"Loket: BUKA · {long}"  # fits: whole
    client.view.at_counter([{"name": "budi", "display_name": long},
                            {"name": "sari", "display_name": "Sari Dewi Lestari Ningsih"}])  # fmt: skip
    line = state_line()
    assert line.startswith("Loket: BUKA · Budi Santoso") and "…" in line, line
    assert line.endswith(" · juga di sini: Sari Dewi Lestari Ningsih"), "the colleague's name stays whole"
    assert len(line) == 79
    assert long in state_line(width=120)  # a wider terminal: whole again


def test_a_counter_opened_or_resumed_by_a_colleague_is_said_by_name_and_time() -> None:
    """Left from the last session: a colleague who opened the counter this operator is signed in to, or took it back
    from a break (then its operator), was said as "Loket sekarang buka.", naming nobody. The event names the account
    (`operator`) and its time; the same account from another screen is still said as the state now."""
    view = CounterView("uji", "1", ("ktp",), state="closed", me="budi")
    news = News("1")
    at = "2026-12-07T03:20:00+00:00"
    _folded(news, view, {**event(1, "counter.opened", counter={**status("open"), "operator": "sari"}), "at": at})
    _folded(news, view, event(2, "counter.paused", counter={**status("paused"), "paused_by": "budi",
                                                            "paused_at": at}))  # fmt: skip
    _folded(news, view, {**event(3, "counter.opened", counter={**status("open"), "operator": "sari"}), "at": at})
    _folded(news, view, event(4, "counter.closed", counter={**status("closed"), "closed_by": "sari",
                                                            "closed_at": at}))  # fmt: skip
    _folded(news, view, {**event(5, "counter.opened", counter={**status("open"), "operator": "budi"}), "at": at})
    assert _said(news) == ["Loket dibuka oleh sari pukul 10.20.",
                           "Loket dijeda dari layar lain dengan akun Anda pukul 10.20.",
                           "Loket dilanjutkan oleh sari pukul 10.20.", "Loket ditutup oleh sari pukul 10.20.",
                           "Loket sekarang buka."]  # fmt: skip
    assert [c.by for c in news.changes] == ["sari", None, "sari", "sari", None]
    assert words("others.counter.resumed", "en", by="Sari Dewi", time="10:20") == \
        "The counter was resumed by Sari Dewi at 10:20."  # fmt: skip


# --- parking a ticket and calling it back --------------------------------------------------------------------


def test_the_picture_keeps_parked_tickets_and_when_they_were_parked() -> None:
    view = CounterView("uji", "1", ("ktp", "kk"))
    view.apply_snapshot(
        {
            "tickets": [ticket("A-001", "called", "1"), ticket("A-002"), ticket("B-001", "parked", "2", note="KK")],
            "counters": [{**status(current="a-001"), "ticket": ticket("A-001", "called", "1"), "today": {}}],
        },
        seq=10,
    )
    # parked before this client followed: listed, time unknown, not waiting
    assert [t["label"] for t in view.parked] == ["B-001"] and view.parked_at == {}
    assert view.waiting == {"ktp": 1, "kk": 0}
    view.apply_event({**event(11, "ticket.parked", ticket=ticket("A-001", "parked", "1", note="Bawa KK"),
                                counter=status()), "at": "2026-11-23T09:05:00+07:00"})  # fmt: skip
    assert view.current is None and view.parked_at == {"a-001": "2026-11-23T09:05:00+07:00"}
    assert [t["label"] for t in view.parked] == ["B-001", "A-001"], "unknown times first, then the longest parked"
    assert view.totals == {"done": 0, "no_show": 0, "transferred": 0}
    # a snapshot (after an outage) keeps what the client knew of tickets still parked
    view.apply_snapshot(
        {"tickets": [ticket("A-001", "parked", "1"), ticket("B-001", "parked", "2")],
         "counters": [{**status(), "ticket": None, "today": {}}]},
        seq=12,
    )  # fmt: skip
    assert view.parked_at == {"a-001": "2026-11-23T09:05:00+07:00"}
    view.apply_event({**event(13, "ticket.called", ticket=ticket("A-001", "called", "1"), counter=status(current="a-001")),
                      "at": "2026-11-23T09:20:00+07:00"})  # fmt: skip
    assert view.current is not None and view.current["label"] == "A-001"
    assert view.parked_at == {} and [t["label"] for t in view.parked] == ["B-001"]
    view.apply_event(event(14, "ticket.expired", ticket=ticket("B-001", "expired", "2")))
    assert view.parked == []


def test_f9_parks_after_an_optional_note_and_a_typed_number_calls_a_parked_ticket_back() -> None:
    d = desk()
    assert press(d, "f9") == [] and d.mode == NORMAL and d.message is not None
    assert d.message.id == "Tidak ada tiket yang sedang dipanggil."
    d = desk(ticket("A-001", "serving", "1"))
    assert press(d, "f9") == [] and d.mode == PARK_NOTE and d.message is not None
    assert d.message.id.startswith("Apa yang harus dibawa warga")
    parked = Intent("park", {"note": "Bawa KK", "ticket": "A-001"})
    assert press(d, *"Bawa KK!", "backspace", "enter") == [parked] and d.mode == NORMAL
    assert press(d, "f9", " ", "enter") == [Intent("park", {"note": None, "ticket": "A-001"})], "no note: kept"
    assert press(d, "f9", "x", "escape") == [] and d.mode == NORMAL and d.note == ""
    assert d.message is not None and d.message.id == "Dibatalkan."

    parked = (ticket("A-003", "parked", "2"), ticket("A-004"), ticket("B-004", "parked", "1"))
    d = desk(tickets=parked)
    assert press(d, "3", "enter") == [Intent("unpark", {"ticket": "A-003"})]
    assert press(d, "b", "4", "enter") == [Intent("unpark", {"ticket": "B-004"})]
    assert press(d, "a", "4", "enter") == [Intent("call", {"ticket": "A4"})], "a waiting ticket is called as before"
    assert press(d, "4", "enter") == [] and d.message is not None and d.message.error, "A-004 or B-004: ambiguous"
    assert press(d, "b", "4", "-") == [Intent("requeue", {"ticket": "B4"})], "only a call calls a parked ticket back"


PARK_CATALOGUE = {**CATALOGUE, "counters": [*CATALOGUE["counters"], {"id": "2", "name": "Loket 2", "agency": "dukcapil",
                                                                    "services": ["ktp"]}]}  # fmt: skip


def parked_client(*tickets: dict[str, Any]) -> CounterClient:
    client = CounterClient("http://127.0.0.1:9", "uji", "1")
    client.catalogue = PARK_CATALOGUE
    client.view = CounterView("uji", "1", ("ktp", "kk"), state="open")
    for t in tickets:
        client.view.tickets[t["id"]] = t
    return client


def test_the_screen_lists_parked_tickets_with_since_when_and_the_note() -> None:
    client = parked_client(
        ticket("A-001", "parked", "1", note="Bawa fotokopi KK"),
        ticket("A-002", "parked", "2"),
        ticket("B-001", "parked", "1", note="x" * 200),
    )
    client.view.parked_at = {"a-001": "2026-11-23T02:05:00+00:00", "a-002": "2026-11-23T09:30:00+07:00"}
    lines = render(client, Desk(client.view, PARK_CATALOGUE), "id", 80)
    text = "\n".join(line.text for line in lines)
    assert all(len(line.text) < 80 for line in lines)
    assert "Diparkir        B-001  " in text, "a time this client never saw comes first, without a time"
    assert "                A-001  sejak 09.05  Bawa fotokopi KK" in text, "site time, Indonesian style"
    assert "                A-002  sejak 09.30  (Loket 2)" in text, "parked at another counter: says where"
    assert "F9 parkir" in " ".join(text.split())
    assert len(lines) <= 23, "an 80x24 terminal shows every line"
    english = "\n".join(line.text for line in render(client, Desk(client.view, PARK_CATALOGUE), "en", 80))
    assert "Parked          B-001" in english and "A-001  since 09:05  Bawa fotokopi KK" in english
    assert "F9 park" in " ".join(english.split())

    # more than fit on 80x24 with a full current ticket: the rest by label on the last line; a taller screen shows all
    current = ticket("A-009", "called", "1", note="Dari loket 3", priority="lansia")
    many = parked_client(current, *(ticket(f"A-00{n}", "parked", "1") for n in range(1, 6)))
    many.view.current_id = current["id"]
    lines = render(many, Desk(many.view, PARK_CATALOGUE), "id", 80, 24)
    text = "\n".join(line.text for line in lines)
    assert len(lines) == 23 and lines[-1].text == "F10 keluar"
    assert "Diparkir        A-001" in text and "                … dan 4 lagi: A-002, A-003, A-004, A-005" in text
    tall = "\n".join(line.text for line in render(many, Desk(many.view, PARK_CATALOGUE), "id", 80, 40))
    assert "                A-005" in tall and "lagi" not in tall
    empty = parked_client()
    assert "Diparkir        — tidak ada —" in "\n".join(
        line.text for line in render(empty, Desk(empty.view, PARK_CATALOGUE), "id", 80)
    )


def test_the_park_prompt_on_screen() -> None:
    current = ticket("A-001", "serving", "1", started_at="2026-11-23T09:00:00+07:00")
    client = parked_client(current)
    client.view.current_id = current["id"]
    d = Desk(client.view, PARK_CATALOGUE)
    press(d, "f9", *"Bawa KK")
    text = "\n".join(line.text for line in render(client, d, "id", 80))
    for expected in ("Parkir A-001: warga mengambil berkas dulu", "Catatan         Bawa KK_",
                     "Apa yang harus dibawa warga (boleh kosong), Enter parkir:", "Enter kirim", "Esc batal"):  # fmt: skip
        assert expected in text, expected


def test_a_server_address_typed_without_http_is_taken_as_http() -> None:
    """An outside review typed `counter-client 127.0.0.1:8000 ...` and got "unknown url type"."""
    client = CounterClient("127.0.0.1:8000/", "uji", "1")
    assert (client.server_url, client.ws_url) == ("http://127.0.0.1:8000", "ws://127.0.0.1:8000/ws")
    assert CounterClient("https://mpp.example.id", "uji", "1").ws_url == "wss://mpp.example.id/ws"


def test_the_console_says_when_the_link_is_in_doubt() -> None:
    """A command without an answer for a few seconds: "Koneksi bermasalah…", not "Tersambung" (an outside review
    saw "Tersambung" for 30 s on a network that dropped packets without a reset)."""
    client = CounterClient("http://127.0.0.1:9", "uji", "1")
    client.catalogue = CATALOGUE
    client.connection = Connection.CONNECTED
    d = Desk(client.view, CATALOGUE)
    assert render(client, d, "id", 80)[1].text.startswith("● Tersambung")
    client.doubtful = True
    line = render(client, d, "id", 80)[1]
    assert line.text.startswith("◐ Koneksi bermasalah… (perintah belum dijawab, sedang diperiksa)")
    assert line.style == "warn"


def test_the_zero_key_acts_on_the_ticket_as_it_was_when_pressed() -> None:
    """An outside review: two operators at one counter; budi pressed 0 (start B-001), sari pressed 0 a moment later.
    Her "0" waited its 0.45 s and then read the counter as it was by then (serving): it finished the citizen budi
    had just started. The "0" now acts on what was in view when it was pressed (a start of B-001, which the server
    refuses as already started) and names that ticket."""
    d = desk(ticket("B-001", "called", "1"))
    CLOCKS[id(d)] = now = CLOCKS.get(id(d), 0.0) + 1.0
    assert d.press("0", now=now) is None
    d.view.current["state"] = "serving"  # budi's start arrives during the wait
    assert d.due(now + ZERO_WAIT + 0.01) == Intent("start", {"ticket": "B-001"})
    # and with the ticket gone meanwhile (finished by a colleague), still that ticket: the server says what changed
    d = desk(ticket("B-002", "serving", "1"))
    assert d.press("0", now=10.0) is None
    d.view.current_id = None
    assert d.due(10.0 + ZERO_WAIT + 0.01) == Intent("finish", {"ticket": "B-002"})


def test_a_no_show_before_the_tv_said_the_number_is_asked_in_so_many_words() -> None:
    """An outside review: in a burst the TVs took a minute to say a call, and an operator marked a no-show before
    the citizen could have heard the number. The console shows whether the call has been announced, and a no-show
    before it is asked with the reason."""
    called = ticket("A-007", "called", "1")
    client = CounterClient("http://127.0.0.1:9", "uji", "1")
    client.catalogue = CATALOGUE
    client.view = CounterView("uji", "1", ("ktp", "kk"), state="open")
    client.view.tickets[called["id"]] = called
    client.view.current_id = called["id"]
    d = Desk(client.view, CATALOGUE)
    client.view.heard = {"ticket": called["id"], "status": "waiting", "speech_queue": 7}
    text = "\n".join(line.text for line in render(client, d, "id", 80))
    assert "                belum diumumkan di TV (antrean suara: 7)" in text
    assert press(d, "-") == [] and d.message is not None
    assert d.message.id.startswith("A-007 BELUM diumumkan di TV (antrean suara: 7): warga mungkin belum mendengar")
    assert d.message.en.startswith("A-007 has NOT been announced on the TV yet (speech queue: 7)")
    assert press(d, "enter") == [Intent("no_show", {"ticket": "A-007"})]
    client.view.heard = {"ticket": called["id"], "status": "no_speaker", "speech_queue": None}
    assert press(d, "-") == [] and d.message is not None and "tidak ada TV bersuara yang tersambung" in d.message.id
    press(d, "escape")
    client.view.heard = {"ticket": called["id"], "status": "announced", "speech_queue": None}
    assert "sudah diumumkan di TV" in "\n".join(line.text for line in render(client, d, "id", 80))
    assert press(d, "-") == [] and d.message is not None and d.message.id.startswith("Tandai A-007 tidak hadir?")
    client.view.heard = {"ticket": "another", "status": "waiting", "speech_queue": 3}  # of a ticket gone since
    assert "diumumkan" not in "\n".join(line.text for line in render(client, d, "id", 80))


def test_a_colleague_at_the_same_counter_is_named_and_their_changes_told() -> None:
    view = CounterView("uji", "1", ("ktp",), state="open", me="budi")
    view.at_counter([{"name": "budi", "display_name": "Budi"}, {"name": "sari", "display_name": "Sari Dewi"}])
    b1 = ticket("A-001", "serving", "1", by="budi")
    view.apply_event(event(5, "ticket.started", ticket=b1, counter={**status(current="a-001")}))
    assert view.by_others is None, "one's own change is not news"
    view.apply_event(event(6, "ticket.finished", ticket={**b1, "state": "done", "by": "sari"}, counter=status()))
    assert view.by_others == (6, "ticket.finished", "A-001", "sari") and view.person("sari") == "Sari Dewi"
    client = CounterClient("http://127.0.0.1:9", "uji", "1")
    client.catalogue, client.view = CATALOGUE, view
    assert "Loket: BUKA · Budi · juga di sini: Sari Dewi" in render(client, Desk(view, CATALOGUE), "id", 80)[2].text


def test_a_counter_opened_by_another_account_not_seen_here_names_it_as_the_page_does() -> None:
    """Compared side by side with the page: a counter opened by another account that works over the API (or through
    another server process) is named on the page ("Loket ini dibuka oleh sari."), not on the console."""
    view = CounterView("uji", "1", ("ktp",), state="open", operator="sari", me="budi")
    client = CounterClient("http://127.0.0.1:9", "uji", "1", username="budi")
    client.catalogue, client.view = CATALOGUE, view
    header = lambda lang="id": render(client, Desk(view, CATALOGUE), lang, 80)[2].text  # noqa: E731
    assert header() == "Loket: BUKA · budi · dibuka oleh sari" and header("en").endswith("· opened by sari")
    view.at_counter([{"name": "budi"}, {"name": "sari", "display_name": "Sari Dewi"}])
    assert header() == "Loket: BUKA · budi · juga di sini: Sari Dewi"
    view.at_counter([{"name": "budi"}])
    assert header() == "Loket: BUKA · budi", "seen leaving: no longer named"
    assert view.person("sari") == "Sari Dewi", "but what she does later is said by her name, as the page says it"
    view.operator, view.state = "budi", "paused"
    assert view.opener is None


# --- what changed here that this client did not do (news.py) ---------------------------------------------------


def _folded(news: News, view: CounterView, frame: dict[str, Any], on_way: tuple[str, ...] = ()) -> None:
    """An event as the client takes it: folded into the picture, then weighed as news."""
    before = view.current_id
    assert view.apply_event(frame)
    news.event(frame, before, view.me, on_way)


def _said(news: News) -> list[str]:
    """The changes' sentences, a time as the site's (Asia/Jakarta) clock reads it."""
    return [words(c.words, "id", ticket=c.ticket or "", by=c.by or "", time=_clock(c.at)) for c in news.changes]


def _clock(at: str | None) -> str:
    return datetime.fromisoformat(at).astimezone(JAKARTA).strftime("%H.%M") if at else ""


def test_every_change_this_client_did_not_make_is_news_once_and_its_own_none() -> None:
    """An outside review: the console said only other accounts' changes; the same operator's call, finish or break
    made on the web page (or a phone, over the API) went unsaid. The page's rule, here for the console and library."""
    view = CounterView("uji", "1", ("ktp",), state="closed", me="budi")
    news = News("1")
    _folded(news, view, event(1, "counter.opened", counter=status("open")))
    assert _said(news) == ["Loket sekarang buka."], "opened elsewhere"
    # this client's own call: its answer comes first and claims the event
    a1 = ticket("A-001", "called", "1", by="budi")
    news.answered({"events": ["ticket.called"], "ticket": a1})
    _folded(news, view, event(2, "ticket.called", ticket=a1, counter=status(current="a-001")))
    assert news.count == 1, "its own call is no news"
    # the same account starts it from another screen; a colleague finishes it
    _folded(news, view, event(3, "ticket.started", ticket={**a1, "state": "serving"}, counter=status(current="a-001")))
    _folded(news, view, event(4, "ticket.finished", ticket={**a1, "state": "done", "by": "sari"}, counter=status()))
    assert _said(news)[1:] == [
        "A-001 mulai dilayani dari layar lain dengan akun Anda.",
        "A-001 diselesaikan oleh sari.",
    ]
    assert [c.n for c in news.since(1)] == [2, 3]
    # another counter's business and a ticket not at this counter are nobody's news here
    _folded(news, view, event(5, "ticket.called", ticket=ticket("A-002", "called", "2", by="budi")))
    _folded(news, view, event(6, "counter.paused", counter={"id": "2", "state": "paused"}))
    assert news.count == 3
    # a break by another hand is said as the state it left
    _folded(news, view, event(7, "counter.paused", counter=status("paused")))
    assert _said(news)[-1] == "Loket sekarang istirahat."


def test_a_change_that_may_be_the_echo_of_a_command_on_its_way_waits_for_its_answer_and_is_said_once() -> None:
    """Answers and events travel separately: an event of this account arriving while this client's command is on its
    way might be that command's, if the command can make it. Held, it is news only if no answer names it."""
    view = CounterView("uji", "1", ("ktp",), state="open", me="budi")
    view.tickets["a-001"] = ticket("A-001", "no_show", "1")
    news = News("1")
    # this client calls A-001 back (on its way); the phone, signed in as budi, calls A-002 meanwhile: it could be
    # the call's own event, so it waits; the call is refused (the counter has A-002 now): it was made elsewhere
    a2 = ticket("A-002", "called", "1", by="budi")
    _folded(news, view, event(1, "ticket.called", ticket=a2, counter=status(current="a-002")), on_way=("call",))
    assert news.count == 0, "held: it might be this client's"
    news.answered(None)
    assert _said(news) == ["A-002 dipanggil ke loket ini dari layar lain dengan akun Anda."]
    assert news.changes[-1].held
    # this client's own start, whose event comes before its answer: held, then claimed
    _folded(news, view, event(3, "ticket.started", ticket={**a2, "state": "serving"}, counter=status(current="a-002")),
            on_way=("start",))  # fmt: skip
    news.answered({"events": ["ticket.started"], "ticket": {**a2, "state": "serving"}})
    assert news.count == 1
    # two commands on their way (the library allows it): the first answer does not decide for the second
    a3 = ticket("A-003", "called", "1", by="budi")
    both = ("finish", "call_next")
    _folded(news, view, event(4, "ticket.finished", ticket={**a2, "state": "done"}, counter=status()), on_way=both)
    _folded(news, view, event(5, "ticket.called", ticket=a3, counter=status(current="a-003")), on_way=both)
    news.answered({"events": ["ticket.finished"], "ticket": {**a2, "state": "done"}}, ("call_next",))
    assert news.count == 1, "the call waits for the second answer"
    news.answered({"events": ["ticket.called"], "ticket": a3})
    assert news.count == 1, "both were this client's"
    # refused: it made nothing, so what came meanwhile was made elsewhere
    _folded(news, view, event(6, "ticket.recalled", ticket={**a3, "recalls": 1}, counter=status(current="a-003")),
            on_way=("recall",))  # fmt: skip
    news.answered(None)
    assert _said(news)[-1] == "A-003 dipanggil ulang dari layar lain dengan akun Anda."


def test_a_change_that_cannot_be_the_echo_of_a_command_on_its_way_is_said_at_once() -> None:
    """An outside review: the console said what others did to its counter only after its own command's answer. Only
    an event the command on its way could have made waits for it: one of another account, or of a type that command
    never makes (ECHOES), is news at once."""
    view = CounterView("uji", "1", ("ktp",), state="open", me="budi")
    news = News("1")
    a1 = ticket("A-001", "called", "1", by="sari")
    _folded(news, view, event(1, "ticket.called", ticket=a1, counter=status(current="a-001")), on_way=("call_next",))
    assert _said(news) == ["A-001 dipanggil ke loket ini oleh sari."], "another account's: never this client's"
    # the same account's start from the phone while this client's pause is on its way: a pause never starts anyone
    started = {**a1, "state": "serving", "by": "budi"}
    _folded(news, view, event(2, "ticket.started", ticket=started, counter=status(current="a-001")), on_way=("pause",))
    assert _said(news)[-1] == "A-001 mulai dilayani dari layar lain dengan akun Anda."
    # a break taken while this client's start is on its way; a counter opened under another account during a resume
    _folded(news, view, event(3, "ticket.finished", ticket={**started, "state": "done"}, counter=status()))
    _folded(news, view, event(4, "counter.paused", counter=status("paused")), on_way=("start",))
    assert _said(news)[-1] == "Loket sekarang istirahat."
    _folded(news, view, event(5, "counter.opened", counter={**status("open"), "operator": "sari"}), on_way=("resume",))
    assert _said(news)[-1] == "Loket sekarang buka."
    assert not any(c.held for c in news.changes)
    # but a pause while this client's pause is on its way may be its own
    _folded(news, view, event(6, "counter.paused", counter=status("paused")), on_way=("pause",))
    assert news.count == 5
    news.answered({"events": ["counter.paused"], "ticket": None})
    assert news.count == 5


def test_a_colleague_s_pause_or_close_is_said_at_once_even_with_this_client_s_own_on_its_way() -> None:
    """The counter's state names who paused or closed it (`paused_by`, `closed_by`): a colleague's pause arriving
    while this client's own pause is on its way is not its echo and is said at once; this account's own, or one an
    earlier release wrote (naming nobody), waits for the answer as before."""
    view = CounterView("uji", "1", ("ktp",), state="open", me="budi")
    news = News("1")
    paused = {**status("paused"), "paused_by": "sari", "paused_at": "2026-12-07T03:02:00+00:00"}
    _folded(news, view, event(1, "counter.paused", counter=paused), on_way=("pause",))
    assert _said(news) == ["Loket dijeda oleh sari pukul 10.02."] and not news.changes[-1].held
    _folded(news, view, event(2, "counter.opened", counter={**status("open"), "operator": "budi"}))
    closed = {**status("closed"), "closed_by": "sari", "closed_at": "2026-12-07T03:05:00+00:00"}
    _folded(news, view, event(3, "counter.closed", counter=closed), on_way=("close",))
    assert _said(news)[-1] == "Loket ditutup oleh sari pukul 10.05." and not news.changes[-1].held
    count = news.count
    _folded(news, view, event(4, "counter.opened", counter={**status("open"), "operator": "budi"}))
    mine = {**status("paused"), "paused_by": "budi"}
    _folded(news, view, event(5, "counter.paused", counter=mine), on_way=("pause",))
    assert news.count == count + 1 and news._held, "this account's pause may be this client's: it waits"
    news.answered({"events": ["counter.paused"], "ticket": None})
    _folded(news, view, event(6, "counter.opened", counter={**status("open"), "operator": "budi"}))
    _folded(news, view, event(7, "counter.paused", counter=status("paused")), on_way=("pause",))  # an old release's
    assert news.count == count + 2 and news._held, "a pause naming nobody waits too"
    news.answered({"events": ["counter.paused"], "ticket": None})
    assert news.count == count + 2, "each pause was that answer's echo"


def test_a_pause_or_close_by_another_hand_says_who_and_when_where_the_counter_s_state_names_them() -> None:
    """Left from the last session: a colleague's pause was said at once, but as "Loket sekarang istirahat.", without
    the name and time its event carries. Another account by name, this one as "from another screen", and a state
    naming nobody (an earlier release's event, the server's close) as before; the message line's turn alike."""
    view = CounterView("uji", "1", ("ktp",), state="open", me="budi")
    news = News("1")
    _folded(news, view, event(1, "counter.paused", counter={**status("paused"), "paused_by": "sari",
                                                            "paused_at": "2026-12-07T03:02:00.000+00:00"}))  # fmt: skip
    _folded(news, view, event(2, "counter.opened", counter=status("open")))
    _folded(news, view, event(3, "counter.closed", counter={**status("closed"), "closed_by": "budi",
                                                            "closed_at": "2026-12-07T10:05:00+07:00"}))  # fmt: skip
    _folded(news, view, event(4, "counter.opened", counter=status("open")))
    _folded(news, view, event(5, "counter.closed", counter=status("closed")))  # the day's close: nobody named
    assert _said(news) == ["Loket dijeda oleh sari pukul 10.02.", "Loket sekarang buka.",
                           "Loket ditutup dari layar lain dengan akun Anda pukul 10.05.", "Loket sekarang buka.",
                           "Loket sekarang tutup."]  # fmt: skip
    first = news.changes[0]
    assert (first.words, first.by, first.at) == ("others.counter.paused", "sari", "2026-12-07T03:02:00.000+00:00")
    assert words("others.counter.paused", "en", by="Sari Dewi", time="10:02") == \
        "The counter was paused by Sari Dewi at 10:02."  # fmt: skip
    # the message line true of the counter's state: a colleague's pause turns it into who and when
    about = news.said("counter", "closed")
    paused = {**status("paused"), "paused_by": "sari", "paused_at": "2026-12-07T03:07:00+00:00"}
    turn = _line(news, view, event(6, "counter.opened", counter=status("open")), about)
    assert isinstance(turn, Change) and turn.words == "now.counter_open", "opened: the state now, as before"
    turn = _line(news, view, event(7, "counter.paused", counter=paused), turn.about)
    assert isinstance(turn, Change) and turn.words == "others.counter.paused"
    assert (turn.by, turn.at) == ("sari", paused["paused_at"])
    # a client that does not know who it is cannot tell a colleague from itself: the state only
    blind = News("1")
    blind.event(event(8, "counter.paused", counter=paused), None, None)
    assert [c.words for c in blind.changes] == ["now.counter_paused"]


def _line(news: News, view: CounterView, frame: dict[str, Any], about: About) -> About | Change | None:
    _folded(news, view, frame)
    return news.overtaken(frame, about, view.me)


def test_a_message_stays_only_while_what_it_says_is_true_by_the_page_s_rule() -> None:
    """The console kept "Mulai melayani A-001." after A-001 expired at the day's close (a change naming nobody), as
    after any change the page's `overtaken` handles: the same rule, here (news.py), for the console's line."""
    view = CounterView("uji", "1", ("ktp",), state="open", me="budi")
    news = News("1")
    a1 = ticket("A-001", "serving", "1", by="budi")
    # the answer came before its event: an older event meanwhile changes nothing; its own event dates it
    about = news.said("t:a-001", "serving")
    assert about == About("t:a-001", "serving", None)
    assert _line(news, view, event(1, "ticket.called", ticket={**a1, "state": "called"}, counter=status(current="a-001")),
                 about) == about  # fmt: skip
    about = _line(news, view, event(2, "ticket.started", ticket=a1, counter=status(current="a-001")), about)
    assert about == About("t:a-001", "serving", 2)
    # another ticket's change does not touch it
    assert _line(news, view, event(3, "ticket.issued", ticket=ticket("A-009")), about) == about
    # the day closed by a supervisor: expired, naming nobody: the line clears (and "Loket sekarang tutup." follows)
    expired = {**a1, "state": "expired", "by": None}
    assert _line(news, view, event(4, "ticket.expired", ticket=expired), about) is None

    # the same account's change from another screen: said as such, and true of the new state
    a2 = ticket("A-002", "no_show", "1", by="budi")
    view.tickets["a-002"] = a2
    about = news.said_now("t:a-002", "no_show")
    turn = _line(news, view, event(5, "ticket.requeued", ticket={**a2, "state": "waiting", "counter": None}), about)
    assert isinstance(turn, Change) and turn.words == "mine.ticket.requeued" and turn.ticket == "A-002"
    assert turn.about == About("t:a-002", "waiting", 5)
    # another account's call of it elsewhere clears it (by name only when it concerns this counter's ticket)
    called = {**a2, "state": "called", "counter": "2", "by": "sari"}
    assert _line(news, view, event(6, "ticket.called", ticket=called), turn.about) is None
    # the counter's state: said as it is now
    about = news.said("counter", "open")
    turn = _line(news, view, event(7, "counter.paused", counter=status("paused")), about)
    assert isinstance(turn, Change) and turn.words == "now.counter_paused"
    # "no ticket is called now": true until this counter holds one
    about = news.said_now("current", "")
    assert _line(news, view, event(8, "counter.opened", counter=status("open")), about) == About("current", "", 8)
    a3 = ticket("A-003", "called", "1", by="sari")
    assert _line(news, view, event(9, "ticket.called", ticket=a3, counter=status(current="a-003")), about) is None


def test_after_an_outage_a_message_that_is_no_longer_true_is_untrue() -> None:
    view = CounterView("uji", "1", ("ktp",), state="open", me="budi")
    news = News("1")
    serving = news.said("t:a-001", "serving")
    view.apply_snapshot({"tickets": [ticket("A-001", "serving", "1")],
                         "counters": [{**status(current="a-001"), "ticket": None}]}, seq=10)  # fmt: skip
    news.snapshot(view)
    assert not news.untrue(serving), "its event never came: no seq, nothing known against it"
    serving = news.said("t:a-001", "serving")
    assert serving.seq == 10 and not news.untrue(serving) and not news.untrue(news.said("counter", "open"))
    view.apply_snapshot({"tickets": [], "counters": [{**status("paused"), "ticket": None}]}, seq=20)
    news.snapshot(view)
    assert news.untrue(serving), "gone without a word (expired, or done elsewhere)"
    assert news.untrue(news.said_now("counter", "open"))
    assert not news.untrue(About("t:a-001", "done", 9)), "a final state stays true of a ticket gone from the picture"
    assert not news.untrue(About("waiting", "none", 0)), "kept true from the waiting counts"


def test_a_counter_closed_elsewhere_with_its_ticket_is_said_once_not_twice() -> None:
    """Closing with a called ticket makes two events: "Loket ditutup ...; A-001 kembali ke antrean." says both."""
    for by, said in (("sari", "Loket ditutup oleh sari; A-001 kembali ke antrean."),
                     ("budi", "Loket ditutup dari layar lain dengan akun Anda; A-001 kembali ke antrean.")):  # fmt: skip
        view = CounterView("uji", "1", ("ktp",), state="open", me="budi")
        view.tickets["a-001"], view.current_id = ticket("A-001", "called", "1"), "a-001"
        news = News("1")
        _folded(news, view, event(8, "ticket.returned", ticket=ticket("A-001", "waiting", None, by=by)))
        _folded(news, view, event(9, "counter.closed", counter=status("closed")))
        assert _said(news) == [said]
        _folded(news, view, event(10, "counter.opened", counter=status("open")))
        _folded(news, view, event(11, "counter.closed", counter=status("closed")))
        assert _said(news)[-2:] == ["Loket sekarang buka.", "Loket sekarang tutup."]


def test_bad_frames_are_nobody_s_news() -> None:
    view = CounterView("uji", "1", ("ktp",), state="open", me="budi")
    news = News("1")
    for frame in ({"type": "ticket.called", "seq": 1}, {"type": "ticket.called", "seq": 2, "data": {"ticket": "x"}},
                  {"type": "counter.paused", "seq": 3, "data": {"counter": None}},
                  {"type": "counter.paused", "seq": 4, "data": {"counter": {"id": "1"}}}):  # fmt: skip
        news.event(frame, None, view.me)
    news.answered({"events": None, "ticket": "x"})
    assert news.count == 0
    nobody = News("1")
    nobody.event(event(5, "ticket.called", ticket=ticket("A-001", "called", "1", by="sari")), None, None)
    assert nobody.count == 0, "without knowing who this client is, nothing is said of whom"


def _page_words(lang: str) -> dict[str, str]:
    js = (Path(counter_client.__file__).parent / "static" / "counter.js").read_text()
    block = js[js.index("    id: {") : js.index("    en: {")] if lang == "id" else js[js.index("    en: {") :]
    return dict(re.findall(r'"((?:others|mine|now)\.[a-z_.]+)": "([^"]*)"', block))


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_console_and_the_page_say_the_same_changes_in_the_same_words(lang: str) -> None:
    """The page cannot import Python: its copy of the rule's tables and words is held to the console's here."""
    js = (Path(counter_client.__file__).parent / "static" / "counter.js").read_text()

    def table(name: str) -> set[str]:
        body = js[js.index(f"const {name} = {{") :]
        return set(re.findall(r'"(ticket\.[a-z_]+)":', body[: body.index("};")]))

    assert table("BY_OTHERS") == set(BY_OTHERS) and table("MINE") == set(MINE)
    body = js[js.index("const ECHOES = {") :]
    echoes = re.findall(r"(\w+): \[([^\]]*)\]", body[: body.index("};")])
    assert {name: frozenset(re.findall(r'"([a-z_.]+)"', events)) for name, events in echoes} == ECHOES
    body = js[js.index("const ACCOUNT_OF = {") :]
    assert dict(re.findall(r'"([a-z_.]+)": "([a-z_]+)"', body[: body.index("};")])) == ACCOUNT_OF
    page = _page_words(lang)
    for kind in MINE:
        name = kind.removeprefix("ticket.")
        assert page[f"mine.{name}"] == words(f"mine.{kind}", lang), kind
        if kind in BY_OTHERS:
            assert page[f"others.{name}"] == words(f"others.{kind}", lang), kind
    for state in ("open", "paused", "closed"):
        assert page[f"now.counter_{state}"] == words(f"now.counter_{state}", lang)
    body = js[js.index("const LEFT_BY = {") :]
    left = re.findall(r'(\w+): \["(\w+)", "(\w+)"\]', body[: body.index("};")])
    assert {state: (by, at) for state, by, at in left} == LEFT_BY
    for state in LEFT_BY:
        for who in ("others", "mine"):
            assert page[f"{who}.counter.{state}"] == words(f"{who}.counter.{state}", lang)
    for opened in ("open", "resumed"):  # a colleague's opening or taking back from a break, by name and time
        assert page[f"others.counter.{opened}"] == words(f"others.counter.{opened}", lang)
    assert page["now.waiting"] == words("now.waiting", lang)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_page_withdraws_its_questions_in_the_console_s_words(lang: str) -> None:
    """The page says a withdrawn question, transfer or park as the console does, without the console's keys (its
    dialog closes by itself; there is nothing to put away)."""
    js = (Path(counter_client.__file__).parent / "static" / "counter.js").read_text()
    block = js[js.index("    id: {") : js.index("    en: {")] if lang == "id" else js[js.index("    en: {") :]
    page = dict(re.findall(r'"((?:ask|transfer|park)\.withdrawn)": "([^"]*)"', block))
    keys = " Enter/Esc: tutup." if lang == "id" else " Enter/Esc: dismiss."
    assert page["ask.withdrawn"] + keys == words("confirm.withdrawn", lang)
    for dialog in ("transfer", "park"):
        assert page[f"{dialog}.withdrawn"] + keys == words(f"{dialog}.withdrawn", lang)


def test_the_screen_says_a_paused_service_of_the_counter_and_why_until_it_is_resumed() -> None:
    """As the page: a service of this counter whose issuing is paused today is said under the waiting counts, from
    the snapshot and from the events; another service's pause, or one of another day, is not."""
    client = CounterClient("http://127.0.0.1:9", "uji", "1")
    client.catalogue = CATALOGUE
    client.view = CounterView("uji", "1", ("ktp", "kk"), state="open", timezone="Asia/Jakarta")

    def server_time(hour: int, minute: int = 0) -> None:  # the server's clock, as its welcome sets it
        client._clock_offset = datetime(2026, 11, 23, hour, minute, tzinfo=JAKARTA).timestamp() - time.time()

    server_time(9)
    today = datetime.fromtimestamp(client.server_now(), JAKARTA).date().isoformat()
    desk = Desk(client.view, CATALOGUE)

    def screen(lang: str = "id") -> str:
        lines = render(client, desk, lang, 80)
        assert all(len(line.text) < 80 for line in lines)
        return " ".join(" ".join(line.text.split()) for line in lines)

    ktp = {"reason": "Blangko habis", "since": f"{today}T01:00:00+00:00", "until": f"{today}T13:00:00+07:00"}
    client.view.apply_snapshot({"day": today, "tickets": [ticket("A-002")], "counters": [status()],
                                "issuing_paused": {"ktp": ktp, "skck": {**ktp, "until": None}}}, seq=3)  # fmt: skip
    said = (
        "Pengambilan nomor KTP Elektronik dihentikan: Blangko habis. Perkiraan dibuka kembali pukul 13.00. Yang sudah "
        "menunggu tetap dipanggil."
    )
    assert said in screen() and "SKCK" not in screen(), screen()
    assert "Issuing of KTP Elektronik tickets is paused: Blangko habis. Expected to resume at 13:00." in screen("en")
    server_time(13, 30)  # gone by and nobody resumed: still said, as past
    assert said.replace("13.00.", "13.00, sudah lewat.") in screen(), screen()
    assert "Blangko habis. Expected to resume at 13:00, now past. Those already" in screen("en"), screen("en")
    pause = {
        "service": "kk",
        "day": today,
        "reason": "Gangguan jaringan/sistem pusat",
        "since": ktp["since"],
        "until": None,
    }
    client.view.apply_event(event(4, "service.paused", pauses=[pause], agency=None))
    assert "Pengambilan nomor Kartu Keluarga dihentikan: Gangguan jaringan/sistem pusat. Yang sudah" in screen()
    client.view.apply_event(event(5, "service.resumed", services=["ktp", "kk"], day=today, agency="dukcapil"))
    assert "dihentikan" not in screen()
    client.view.apply_event(event(6, "service.paused", pauses=[{**pause, "day": "2020-01-01"}], agency=None))
    assert "dihentikan" not in screen(), "a pause of another day has ended"


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_console_and_the_page_say_a_closed_day_in_the_same_words(lang: str) -> None:
    """A day the supervisor closed: the close, a key that would open the counter, and the notice that stays (why,
    nothing to call today, ask the supervisor), the page's copy held to the console's."""
    js = (Path(counter_client.__file__).parent / "static" / "counter.js").read_text()
    block = js[js.index("    id: {") : js.index("    en: {")] if lang == "id" else js[js.index("    en: {") :]
    page = dict(re.findall(r'"((?:local\.)?day_closed(?:\.notice)?)": "([^"]*)"', block))
    for key in ("day_closed", "local.day_closed", "day_closed.notice"):
        assert page[key] == words(key, lang), key
