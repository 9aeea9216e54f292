"""Checking client input before it reaches the domain: types, sizes and allowed names, with messages that say
which field is wrong and how to fix it."""

from __future__ import annotations

import re
from datetime import date, time
from typing import Any

from queue_server.common import plaintext
from queue_server.domain.decide import NOTE_MAX
from queue_server.domain.refusal import Refusal

COMMAND_ID = re.compile(r"^[A-Za-z0-9._:-]{8,80}$")
# ASCII digits to the very end: "\d" takes "２０２６" and "$" a trailing newline, both then told "no such day".
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# A time of day as a person writes it: 13:30, or 13.30 as Indonesian spelling writes it (the pages say "pukul 13.30").
# ASCII digits to the very end, as a day's ("13:30\n" and "１３:３０" were taken).
_CLOCK = re.compile(r"([01][0-9]|2[0-3])[:.]([0-5][0-9])")
# The days this system can mean: a year like 0001 or 9999 is a typing slip, and would overflow a day's local hours.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2999, 12, 31)
REASON_MAX = 120  # a supervisor's reason said to citizens (`said_reason`): a kiosk tile says it whole, a sentence


def day(text: str, field: str) -> date:
    """A day written YYYY-MM-DD, within FIRST_DAY..LAST_DAY. Each refusal says what is wrong: a date field in the
    browser shows its own format (12/07/0202), so "must be written YYYY-MM-DD" told a person who mistyped the year,
    or a script asking for 30 February, nothing they could act on."""
    if not _DATE.fullmatch(text):
        raise Refusal("invalid_field.date", key=field, details={"field": field})
    try:
        parsed = date.fromisoformat(text)
    except ValueError:
        raise Refusal("invalid_field.no_such_day", text=text, details={"field": field}) from None
    if not FIRST_DAY <= parsed <= LAST_DAY:
        raise Refusal(
            "invalid_field.date_range", day=parsed, first=FIRST_DAY.year, last=LAST_DAY.year, details={"field": field}
        )
    return parsed


def clock(text: str, field: str) -> time:
    """A local time of day written HH:MM (or HH.MM). Not time.fromisoformat: it takes "13.30" as 13:00 and 0.3
    seconds, "13" and "1330" as times too, so a supervisor's "13.30" was told to citizens as "pukul 13.00"."""
    match = _CLOCK.fullmatch(text)
    if match is None:
        raise Refusal("invalid_field.time", details={"field": field})
    return time(int(match[1]), int(match[2]))


def require_object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Refusal("not_an_object")
    return value


def text(
    body: dict[str, Any],
    key: str,
    *,
    required: bool = True,
    max_len: int = 80,
    choices: tuple[str, ...] | None = None,
    shown: bool = False,
    note: bool = False,
    lines: bool = False,
) -> str | None:
    """A text field. `shown`: text that screens and pages show (a name, the running text), refused with a control
    or direction character in it; `note`: besides, what staff write about a citizen, refused with a NIK or a phone
    number in it (common/plaintext.py). A shown text is one line (a name) unless `lines` (the running text)."""
    value = body.get(key)
    if value is None:
        if required:
            raise Refusal("invalid_field.required", details={"field": key})
        return None
    if not isinstance(value, str):
        raise Refusal("invalid_field.text", details={"field": key})
    if len(value) > max_len:
        raise Refusal("invalid_field.too_long", max_len=max_len, details={"field": key})
    if choices is not None and value not in choices:
        raise Refusal("invalid_field.choice", choices=list(choices), details={"field": key})
    if shown or note:
        hidden = plaintext.hidden_character(value, lines=lines or note)
        if hidden is not None:
            raise Refusal("invalid_field.hidden_character", character=hidden, details={"field": key})
    if note and plaintext.personal_number(value):
        raise Refusal("invalid_field.personal_number", details={"field": key})
    if note and plaintext.personal_name(value):
        raise Refusal("invalid_field.personal_name", details={"field": key})
    return value


def staff_note(body: dict[str, Any], key: str = "note", too_long: str = "note_too_long") -> str | None:
    """A note staff write for the next counter (transfer, park), or a cancellation's reason (`too_long`
    "reason_too_long"): a long one is refused with the field's own sentence, which the pages show under the field
    (not the field-generic `invalid_field`)."""
    value = body.get(key)
    if isinstance(value, str) and len(value) > NOTE_MAX:
        raise Refusal(too_long, max_len=NOTE_MAX, details={"field": key})
    return text(body, key, required=False, max_len=NOTE_MAX, note=True)


def lobby_text(body: dict[str, Any], key: str, *, max_len: int) -> str:
    """Text every lobby screen shows to the hall (the running text), which the event log and the audit log keep too:
    refused with a NIK, a phone number, an e-mail address, a birth date or a name as staff write one
    (common/plaintext.py). A supervisor who needs a citizen calls them by their queue number."""
    value = required_text(body, key, max_len=max_len, shown=True, lines=True)
    if kinds := plaintext.personal_shown(value):  # the Settings page, site files: settings/sitefile.py, the same check
        raise Refusal("invalid_field.personal_shown", details={"field": key, "kinds": list(kinds)})
    return value


def said_reason(body: dict[str, Any], key: str = "reason", *, required: bool) -> str | None:
    """Why, as a supervisor tells citizens on the kiosk, the lobby screens and their phones: a service's issuing
    paused (`service.paused`) or the day closed (`day.closed`). One rule for both, for the API, the dashboard and the
    command line; the reason is kept as it returns, in the event and the audit entry alike.

    One line: spaces, tabs and line ends fold to one space (the dashboard's field is one line; a script's newline
    means nothing to a screen, and refusing it would only make its author strip it). No closing full stop: the pages
    add their own ("Blangko habis. Perkiraan ..."). Then at most REASON_MAX characters, and refused as the running
    text is (`lobby_text`): a control or direction character, or a NIK, a phone number, an e-mail address, a birth
    date or a name, checked on the folded line (a number split over two lines is one number on the screen), though
    said with a sentence of its own (no citizen is being called, and a pause is not on the lobby screens). Blank:
    refused when `required` (a pause must say why), else None (a day may close without one)."""
    raw = body.get(key)
    if isinstance(raw, str) and len(raw) > REASON_MAX * 4:  # a pasted notice: said with the limit one can act on
        raise Refusal("invalid_field.too_long", max_len=REASON_MAX, details={"field": key})
    value = text(body, key, required=required, max_len=REASON_MAX * 4, shown=True, lines=True)
    line = " ".join(value.split()).rstrip(". ") if value else ""
    if not line:
        if required:
            raise Refusal("invalid_field.required", details={"field": key})
        return None
    if len(line) > REASON_MAX:
        raise Refusal("invalid_field.too_long", max_len=REASON_MAX, details={"field": key})
    if kinds := plaintext.personal_shown(line):  # the running text's check, with a sentence of a reason's own
        raise Refusal("invalid_field.personal_reason", details={"field": key, "kinds": list(kinds)})
    return line


def required_text(body: dict[str, Any], key: str, **kwargs: Any) -> str:
    value = text(body, key, required=True, **kwargs)
    assert value is not None
    return value


def boolean(body: dict[str, Any], key: str, *, default: bool = False) -> bool:
    """true or false, and nothing that merely looks like it ("yes", 1)."""
    value = body.get(key, default)
    if not isinstance(value, bool):
        raise Refusal("invalid_field.boolean", details={"field": key})
    return value


def whole_number(body: dict[str, Any], key: str, *, minimum: int = 0) -> int | None:
    """An optional whole number >= minimum (a JSON true is not 1)."""
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise Refusal("invalid_field.whole_number", low=minimum, details={"field": key})
    return value


def only(body: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise Refusal(
            "invalid_field.unknown_fields", unknown=unknown, allowed=sorted(allowed), details={"field": unknown[0]}
        )


def command_id(body: dict[str, Any], key: str = "command_id", *, required: bool = False) -> str | None:
    value = text(body, key, required=required, max_len=80)
    if value is not None and not COMMAND_ID.match(value):
        raise Refusal("invalid_field.key", details={"field": key})
    return value
