"""The console's screen as lines of text with a style each (pure; console.py draws them with curses).

Always on screen: the ticket being served and for how long, waiting counts for this counter's services (and why
one's issuing is paused today), the no-show list, the parked tickets (with since when and what the citizen fetches),
today's totals, the connection state, and the last message. Then the keys, exactly as they work.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from .client import Connection, CounterClient
from .desk import CONFIRM, NORMAL, PARK_NOTE, PICK_TARGET, WRITE_NOTE, Desk
from .state import elapsed_text, parse_time
from .texts import priority_name, t

LABEL_WIDTH = 16
KEYS = (
    "call_next",
    "recall",
    "start_finish",
    "no_show",
    "transfer",
    "pause",
    "number",
    "requeue",
    "park",
    "close",
    "quit",
)
PARKED_LINES_MIN = 2  # parked tickets get the lines the screen has left, at least these (the rest: by label)
MY_NAME_MIN = 12  # the console's own name is never shortened below this: the colleagues' names give way then


@dataclass(frozen=True)
class Line:
    text: str
    style: str = "normal"  # normal, title, big, dim, ok, warn, error


def render(client: CounterClient, desk: Desk, lang: str, width: int = 80, height: int = 24) -> list[Line]:
    """The screen's lines; the parked list shrinks to what `height` leaves (the last row stays empty)."""
    lines = _render(client, desk, lang, width, None)
    parked = len(client.view.parked)
    if desk.mode == NORMAL and parked > PARKED_LINES_MIN and len(lines) > height - 1:
        room = max(PARKED_LINES_MIN, parked - (len(lines) - (height - 1)))
        lines = _render(client, desk, lang, width, room)
    return lines


def _render(client: CounterClient, desk: Desk, lang: str, width: int, parked_room: int | None) -> list[Line]:
    width = max(40, width)
    rule = Line("─" * (width - 1), "dim")
    lines = [*_header(client, lang, width), rule]
    if client.removed:  # said plainly instead of a desk whose every command would be refused (as on the page)
        site = client.catalogue.get("name", client.site)
        return [*lines, Line(t("removed.title", lang), "big"),
                Line(t("removed.detail", lang, counter=client.counter_name, site=site), "error"),
                *(Line(part, "normal") for part in textwrap.wrap(t("removed.hint", lang), width - 1))]  # fmt: skip
    if desk.mode in (NORMAL, CONFIRM):
        lines += _counter(client, lang, width, parked_room)
    elif desk.mode == PARK_NOTE:
        lines += _park(client, lang, width)
    else:
        lines += _transfer(client, desk, lang, width)
    lines.append(rule)
    lines += _entry(client, desk, lang, width)
    lines.append(rule)
    lines += _keys(desk, lang, width)
    return lines


def _header(client: CounterClient, lang: str, width: int) -> list[Line]:
    site = client.catalogue.get("name", client.site)
    services = ", ".join(client.service_name(s) for s in client.view.services)
    # a removed counter serves nothing any more: its old services are not named (the page's header drops them too)
    title = f"{site} · {client.counter_name}" + ("" if client.removed else f" ({services})")
    if client.connection is Connection.CONNECTED and client.doubtful:
        conn, style = "◐ " + t("conn.doubtful", lang), "warn"
    elif client.connection is Connection.CONNECTED:
        conn, style = "● " + t("conn.connected", lang), "ok"
    elif client.connection is Connection.RECONNECTING:
        conn, style = "○ " + t("conn.reconnecting", lang, seconds=max(client.retry_in, 1)), "error"
    elif client.connection is Connection.REFUSED:
        conn, style = "✕ " + t("conn.refused", lang), "error"
    else:
        conn, style = "○ " + t(f"conn.{client.connection.value}", lang), "warn"
    state = t(f"counter.{client.view.state}", lang)
    # who is signed in here, named as the web page's header names them (the one rule: the person's name, else the
    # account); a console given only a token knows no account
    me = client.view.person(client.view.me) if client.view.me else (client.username or "-")
    clock = _clock(client, lang)
    head = f"{t('screen.counter_state', lang)}: {state} · "
    others = [client.view.person(o["name"]) for o in client.view.operators if o.get("name") != client.view.me]
    left = client.view.left
    rest = ""
    if others:  # a colleague signed in at this counter too
        rest = " · " + t("screen.also_here", lang, names=", ".join(others))
    elif client.view.opener and left is None:  # opened by another account not seen here (over the API, another
        # server process); on a break, who paused it is what the line says (80 columns)
        rest = " · " + t("screen.opened_by", lang, operator=client.view.person(client.view.opener))
    # a long name of one's own is shortened ("…"), not left to push the colleagues off the line
    second = _cut(head + _cut(me, max(MY_NAME_MIN, width - 1 - len(head) - len(rest))) + rest, width - 1)
    said = ""
    if left is not None:  # who paused or closed it, and since when: from its state, so said again after a reconnect
        state_now, by, at = left
        mine = "screen.left_mine" if by == client.view.me else "screen.left"
        said = t(f"{mine}.{state_now}", lang, by=client.view.person(by), time=site_time(client, at, lang))
    style_now = "warn" if client.view.state != "open" else "normal"
    lines = [Line(_two_sides(title, "", width), "title"), Line(_two_sides(conn, clock, width), style)]
    if said and len(f"{second} · {said}") >= width:  # a long name: a line of its own, never cut before its time
        indent = " " * (len(t("screen.counter_state", lang)) + 2)
        return [*lines, Line(second, style_now), Line(_cut(indent + said, width - 1), style_now)]
    return [*lines, Line(f"{second} · {said}" if said else second, style_now)]


def site_today(client: CounterClient) -> str:
    """Today's service day at the site (`YYYY-MM-DD`), by the server's clock."""
    return datetime.fromtimestamp(client.server_now(), UTC).astimezone(_zone(client)).date().isoformat()


def _zone(client: CounterClient) -> ZoneInfo:
    try:
        return ZoneInfo(client.catalogue.get("timezone") or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def _clock(client: CounterClient, lang: str = "id") -> str:
    """The site's wall clock as the web page writes it: "09.14.03" in Indonesian, "09:14:03" in English."""
    moment = datetime.fromtimestamp(client.server_now(), UTC).astimezone(_zone(client))
    return moment.strftime("%H:%M:%S" if lang == "en" else "%H.%M.%S")


def site_time(client: CounterClient, at: str, lang: str) -> str:
    """An event's time as the site's wall clock: "08.30" in Indonesian, "08:30" in English."""
    moment = datetime.fromisoformat(at).astimezone(_zone(client))
    return moment.strftime("%H:%M" if lang == "en" else "%H.%M")


def _counter(client: CounterClient, lang: str, width: int, parked_room: int | None) -> list[Line]:
    view = client.view
    lines: list[Line] = []
    current = view.current
    if current is None:
        lines.append(Line(_field(t("screen.current", lang), t("screen.none", lang)), "normal"))
    else:
        since = parse_time(current.get("started_at") if current["state"] == "serving" else current.get("called_at"))
        seconds = client.server_now() - since.timestamp() if since else 0
        # label, state and time first: a long service name must never push the time off the screen
        text = (
            f"{current['label']}  {t('ticket.' + current['state'], lang)} · "
            f"{t('screen.for', lang, duration=elapsed_text(seconds, lang))}"
        )
        lines.append(Line(_field(t("screen.current", lang), text), "big"))
        lines.append(Line(_field("", client.service_name(current["service"]))))
        heard = view.announcement  # said on a lobby TV yet? a citizen cannot come before they hear their number
        if heard is not None:
            lines.append(Line(_field("", heard_text(heard, lang)), "ok" if heard["status"] == "announced" else "warn"))
        if current.get("priority"):
            lines.append(
                Line(
                    _field(
                        "",
                        t(
                            "screen.priority",
                            lang,
                            group=priority_name(current["priority"], client.catalogue.get("priority_groups", {}), lang),
                        ),
                    ),
                    "warn",
                )
            )
        if current.get("note"):  # up to 200 characters: wrapped, never cut at the screen's edge
            note = _wrapped("", f"{t('screen.note', lang)}: {current['note']}", width)
            lines += [Line(line.text, "warn") for line in note]
    if view.day_closed(site_today(client)):  # why, and what to do: nothing to call today, ask the supervisor
        notice = t("day_closed.notice", lang, reason=view.day_reason())
        lines += [Line(line.text, "warn") for line in _wrapped("", notice, width)]
    waiting = " · ".join(f"{client.service_name(s)} {n}" for s, n in view.waiting.items())
    lines += _wrapped(t("screen.waiting", lang), waiting, width)
    lines += _issuing_paused(client, lang, width)
    no_shows = ", ".join(ticket["label"] for ticket in view.no_shows) or t("screen.none", lang)
    lines += _wrapped(t("screen.no_shows", lang), no_shows, width)
    lines += _parked(client, lang, width, parked_room)
    lines.append(Line(_field(t("screen.totals", lang), t("screen.totals_line", lang, **view.totals))))
    return lines


def _issuing_paused(client: CounterClient, lang: str, width: int) -> list[Line]:
    """Why a service of this counter issues no new number today (Blangko habis, the central system down), as the
    page says it under the waiting counts: citizens ask the operator why the kiosk gives none."""
    today = site_today(client)
    lines: list[Line] = []
    for service, pause in client.view.issuing_paused(today):
        words = t("issuing.paused", lang, service=client.service_name(service), reason=pause.get("reason", ""))
        if pause.get("until"):
            past = datetime.fromisoformat(pause["until"]).timestamp() <= client.server_now()
            key = "issuing.until_past" if past else "issuing.until"
            words += " " + t(key, lang, time=site_time(client, pause["until"], lang))
        words += " " + t("issuing.still_called", lang)
        lines += [Line(line.text, "warn") for line in _wrapped("", words, width)]
    return lines


def _parked(client: CounterClient, lang: str, width: int, room: int | None) -> list[Line]:
    """One line per parked ticket: label, since when (site time), who parked it if not us, and the note; at most
    `room` lines, the last of them naming the tickets that did not fit."""
    parked = client.view.parked
    label = t("screen.parked", lang)
    if not parked:
        return [Line(_field(label, t("screen.none", lang)))]
    shown = parked if room is None or len(parked) <= room else parked[: max(1, room - 1)]
    lines = []
    for n, ticket in enumerate(shown):
        parts = [ticket["label"]]
        at = ticket.get("parked_at") or client.view.parked_at.get(ticket["id"])
        if at:
            parts.append(t("screen.parked_since", lang, time=site_time(client, at, lang)))
        if ticket.get("counter") and ticket["counter"] != client.counter:
            parts.append(t("screen.parked_by", lang, counter=_counter_name(client, ticket["counter"])))
        if ticket.get("note"):
            parts.append(ticket["note"])
        text = _field(label if n == 0 else "", "  ".join(parts))
        lines.append(Line(_cut(text, width - 1), "warn"))
    rest = parked[len(shown) :]
    if rest:
        labels = ", ".join(ticket["label"] for ticket in rest)
        more = t("screen.parked_more", lang, count=len(rest), labels=labels)
        lines.append(Line(_cut(_field("", more), width - 1), "warn"))
    return lines


def heard_text(heard: dict[str, Any], lang: str) -> str:
    if heard["status"] == "waiting" and heard.get("speech_queue") is None:
        return t("heard.waiting_unknown", lang)
    if heard["status"] == "waiting":
        return t("heard.waiting", lang, queue=heard["speech_queue"])
    return t(f"heard.{heard['status']}", lang)


def _counter_name(client: CounterClient, counter_id: str) -> str:
    for counter in client.catalogue.get("counters", []):
        if counter["id"] == counter_id:
            return str(counter["name"])
    return counter_id


def _park(client: CounterClient, lang: str, width: int) -> list[Line]:
    current = client.view.current
    label = current["label"] if current else "-"
    return [
        Line(_cut(t("park.title", lang, ticket=label), width - 1), "title"),
        *(Line(line, "normal") for line in textwrap.wrap(t("park.hint", lang), width - 1)),
    ]


def _transfer(client: CounterClient, desk: Desk, lang: str, width: int) -> list[Line]:
    current = client.view.current
    label = current["label"] if current else "-"
    lines = [Line(t("transfer.title", lang, ticket=label), "title")]
    if desk.mode == PICK_TARGET:
        agencies = {a["id"]: a.get("short_name") or a["name"] for a in client.catalogue.get("agencies", [])}
        cells = [
            f"{n:>2} {agencies.get(s['agency'], s['agency'])} · {s['name']}" for n, s in enumerate(desk.targets(), 1)
        ]
        # two columns at least once the list is long: a whole mall's services must fit on an 80x24 terminal
        widest = (width - 1) // 2 if len(cells) > 8 else width
        lines += [Line(row) for row in _grid(cells, width, min_cell=30, max_cell=widest)]
    elif desk.mode == WRITE_NOTE and desk.target is not None:
        lines.append(Line(f"→ {desk.target['name']}", "big"))
    return lines


def _entry(client: CounterClient, desk: Desk, lang: str, width: int) -> list[Line]:
    if desk.mode in (WRITE_NOTE, PARK_NOTE):
        entry = Line(_field(t("screen.note", lang), desk.note + "_"), "big")
    else:
        entry = Line(_field(t("screen.number", lang), desk.number + "_"), "big" if desk.number else "normal")
        hint = desk.typed_hint()  # what Enter and "-" will do with the typed number
        if hint is not None:
            entry = Line(_cut(f"{entry.text}   {hint.text(lang)}", width - 1), entry.style)
    message = _message(client, desk, lang)
    style = "error" if desk.message and desk.message.error else "normal"
    lines = [entry, *(Line(line.text, style) for line in _wrapped(t("screen.message", lang), message, width))]
    question = desk.question if desk.mode == CONFIRM else None
    if question is not None and question != desk.message:  # something was said meanwhile: the question stays below
        lines += [Line(line.text, "warn") for line in _wrapped("", question.text(lang), width)]
    return lines


def _message(client: CounterClient, desk: Desk, lang: str) -> str:
    """The message line; a command still on its way while the link is down or in doubt is said so, with the way out
    (Esc), as on the page: an operator may have walked away, and a call made minutes later finds nobody."""
    message = desk.message
    if message is None:
        return ""
    text = message.text(lang)
    offline = client.connection is not Connection.CONNECTED or client.doubtful
    if message.sending and offline:
        command = t(f"cmd.{message.sending}", lang)
        sending = t("screen.sending", lang, command=command)
        stuck = "screen.sending_doubtful" if client.connection is Connection.CONNECTED else "screen.sending_offline"
        text = t(stuck, lang, command=command) + text.removeprefix(sending)
    return text


def _keys(desk: Desk, lang: str, width: int) -> list[Line]:
    if desk.mode == PICK_TARGET:
        words = [t("transfer.pick", lang), t("key.escape", lang)]
    elif desk.mode in (WRITE_NOTE, PARK_NOTE):
        words = [t("key.send", lang), t("key.escape", lang)]
    else:
        words = [t(f"key.{name}", lang) for name in KEYS]
    return [Line(row, "dim") for row in _grid(words, width, min_cell=1)]


def _grid(cells: list[str], width: int, min_cell: int, max_cell: int | None = None) -> list[str]:
    """Cells in as many equal columns as fit, never splitting a cell; long cells are cut with an ellipsis."""
    if not cells:
        return []
    room = width - 1
    cell = min(room, max_cell or room, max(min_cell, max(len(c) for c in cells) + 2))
    per_row = max(1, room // cell)
    cell = room // per_row
    out = []
    for start in range(0, len(cells), per_row):
        row = cells[start : start + per_row]
        out.append("".join(_cut(c, cell - 1).ljust(cell) for c in row).rstrip())
    return out


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _field(label: str, value: str) -> str:
    return f"{label:<{LABEL_WIDTH}}{value}"


def _wrapped(label: str, value: str, width: int) -> list[Line]:
    body = textwrap.wrap(value, max(10, width - 1 - LABEL_WIDTH)) or [""]
    return [Line(_field(label if i == 0 else "", part)) for i, part in enumerate(body)]


def _two_sides(left: str, right: str, width: int) -> str:
    room = width - 1 - len(right) - 1
    return f"{left[:room]:<{room}} {right}" if right else left[: width - 1]
