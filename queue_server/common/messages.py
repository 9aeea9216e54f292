"""The message catalogue: every sentence of a refusal (and the words for states, roles and audit actions) in
Indonesian and English, in one file (`messages.toml`) with named parameters.

A parameter may carry a format that turns a value into words of the language: `{found:ticket_state}` says
"dipanggil" or "called" for `called`, `{day:date}` says "Senin, 7 Desember 2026" or "Monday, 7 December 2026",
`{at:time}` "08.30" or "08:30", `{on:day_counts}` "3 pada Rabu, 9 Desember 2026". So no raw state code and no ISO
date reaches a sentence a person reads.
"""

from __future__ import annotations

import logging
import string
import tomllib
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, time
from functools import cache
from pathlib import Path
from typing import Any

from queue_server.common.dates import DAYS_ID as DAYS_ID  # re-exported: the pages and configuration use them
from queue_server.common.dates import MONTHS_ID as MONTHS_ID
from queue_server.common.dates import format_date as format_date
from queue_server.common.problems import personal_kinds, problem_text
from queue_server.domain.refusal import Refusal

log = logging.getLogger(__name__)

CATALOGUE_FILE = Path(__file__).with_name("messages.toml")
LANGUAGES = ("id", "en")


@cache
def catalogue() -> dict[str, dict[str, dict[str, str]]]:
    """The whole catalogue, read once: section -> key -> language -> text."""
    with CATALOGUE_FILE.open("rb") as f:
        return tomllib.load(f)


def word(section: str, value: object, lang: str) -> str:
    """A code (a ticket state, a role ...) as a word of the language; the code itself if the catalogue lacks it."""
    entry = catalogue().get(section, {}).get(str(value))
    return entry.get(lang, str(value)) if entry else str(value)


def _advice(action: str, lang: str) -> str:
    """What to do after a refused command: "start.no_show" (the command, then the state its ticket was found in)
    where that state needs words of its own, else the command's ("start")."""
    advice = catalogue().get("advice", {})
    return word("advice", action if action in advice else action.split(".")[0], lang)


def format_time(value: time | datetime | str, lang: str) -> str:
    clock = time.fromisoformat(value) if isinstance(value, str) else value
    text = f"{clock.hour:02d}:{clock.minute:02d}"
    return text.replace(":", ".") if lang == "id" else text


def format_datetime(value: datetime, lang: str) -> str:
    joiner = " pukul " if lang == "id" else " at "
    return format_date(value, lang) + joiner + format_time(value, lang)


def _checkin_window(window: Mapping[str, str], lang: str) -> str:
    """When a booked citizen checks in, to end a sentence ("Lapor hadir di kios dengan kode ini ..."): between the
    window's ends, or, not known ({}), when they arrive."""
    if not window:
        return "saat tiba" if lang == "id" else "when you arrive"
    ends = format_time(window["from"], lang), format_time(window["until"], lang)
    return "antara pukul {} dan {}".format(*ends) if lang == "id" else "between {} and {}".format(*ends)


def _list(value: Iterable[object], lang: str) -> str:
    return ", ".join(str(v) for v in value)


def _problems(said: Iterable[str]) -> str:
    """Problems said one after another, for a sentence that ends with its own ".": a problem said as a sentence loses
    its final "." to the "; " between them (never ".;" or ".."); a text cut short ("...") keeps its dots."""
    return "; ".join(p[:-1] if p.endswith(".") and not p.endswith("...") else p for p in said)


def _field(key: str, lang: str) -> str:
    """An API field as a person reads it in a refusal ("alasan", not 'reason'); one without a word: quoted."""
    entry = catalogue().get("field", {}).get(key)
    return entry[lang] if entry else f"'{key}'"


def _changes(said: str, lang: str) -> str:
    """ "+Paspor, ~site.hours (+3)" as "Paspor ditambahkan, jam buka diubah (dan 3 lagi)"."""
    if said in ("", "-"):
        return said
    words = catalogue().get("change", {})
    listed, more = said, None
    if said.endswith(")") and " (+" in said:
        listed, _, tail = said.rpartition(" (+")
        more = tail[:-1]
    text = ", ".join(change_words(item, lang) for item in listed.split(", "))
    return f"{text} ({words['more'][lang].format(n=more)})" if more and "more" in words else text


def change_words(change: str, lang: str) -> str:
    """One change of a configuration (domain/catalogue.describe_changes: "+Paspor", "~site.enforce_hours",
    "~screens") in the words of `lang`: "Paspor ditambahkan", "penolakan tiket di luar jam buka diubah"."""
    words = catalogue().get("change", {})
    kind = {"+": "added", "-": "removed", "~": "changed"}.get(change[:1])
    if kind is None or kind not in words:
        return change
    name = change[1:]
    part = catalogue().get("changed_part", {}).get(name)  # a part of the site file: its words ("jam buka")
    return words[kind][lang].format(name=part[lang] if part else name)


DAYS_NAMED = 4  # in one sentence; the others are counted


def _day_counts(value: Iterable[Any], lang: str) -> str:
    """[["2026-12-09", 3], ["2026-12-10", 1]] as "3 pada Rabu, 9 Desember 2026; 1 pada Kamis, 10 Desember 2026": how
    many of something fall on each day, the first four days named, the others counted."""
    pairs = [(str(day), count) for day, count in value]
    joiner = " pada " if lang == "id" else " on "
    said = "; ".join(f"{count}{joiner}{format_date(day, lang)}" for day, count in pairs[:DAYS_NAMED])
    more = len(pairs) - DAYS_NAMED
    if more > 0:
        said += f"; dan {more} hari lain" if lang == "id" else f"; and {more} more {'day' if more == 1 else 'days'}"
    return said


def _minutes(value: int, lang: str) -> str:
    if lang == "id":
        return f"{value} menit"
    return f"{value} minute" if value == 1 else f"{value} minutes"


def _happened(value: Mapping[str, Any], lang: str) -> str:
    """What became of a ticket (domain/decide.py, `happened`: its label, state, the counter where, the account that
    changed it, when, and for a transfer the service it went to) as one sentence, each part only when known:
    "A-001 sudah mulai dilayani di Loket 3 oleh sari pukul 09.12."."""
    entry = catalogue()["happened"].get(str(value.get("state")))
    if entry is None:  # a state without a sentence (a bug of ours): the state in words still tells
        return f"{value.get('ticket')}: {word('ticket_state', value.get('state'), lang)}."
    parts = catalogue()["happened_part"]
    said = entry[lang].format(ticket=value.get("ticket"), service=value.get("service") or "?")
    if value.get("counter"):
        said += parts["counter"][lang].format(counter=value["counter"])
    if value.get("by"):
        said += parts["by"][lang].format(by=value["by"])
    at = value.get("at")
    if isinstance(at, (datetime, time, str)) and at:
        said += parts["since" if value.get("state") == "serving" else "at"][lang].format(at=format_time(at, lang))
    return said + "."


def _seconds(value: object, lang: str) -> str:
    """A number of seconds as words: "1 detik", "0,5 detik"; "1 second", "30 seconds"."""
    try:
        number = float(str(value))
    except ValueError:
        return str(value)
    said = f"{number:g}"
    if lang == "id":
        return f"{said.replace('.', ',')} detik"
    return f"{said} second" if number == 1 else f"{said} seconds"


FORMATS: dict[str, Callable[[Any, str], str]] = {
    "date": format_date,
    "time": format_time,
    "datetime": format_datetime,
    "list": _list,
    "field": lambda v, lang: _field(str(v), lang),
    "changes": lambda v, lang: _changes(str(v), lang),
    "Field": lambda v, lang: (lambda w: w[:1].upper() + w[1:])(_field(str(v), lang)),  # at a sentence's start
    # the problems of a site file, or ({"id": [...], "en": [...]}) those already said with the configuration's names
    "problems": lambda v, lang: _problems(
        v[lang] if isinstance(v, Mapping) else [problem_text(str(p), lang, catalogue()) for p in v]
    ),
    "personal_kinds": lambda v, lang: personal_kinds(v, lang, catalogue()),
    "minutes": _minutes,
    "seconds": _seconds,
    "ticket_state": lambda v, lang: word("ticket_state", v, lang),
    "ticket_states": lambda v, lang: ", ".join(word("ticket_state", s, lang) for s in v),
    "booking_state": lambda v, lang: word("booking_state", v, lang),
    "counter_state": lambda v, lang: word("counter_state", v, lang),
    "role": lambda v, lang: word("role", v, lang),
    "printer_mode": lambda v, lang: word("printer_mode", v, lang),
    "closure": lambda v, lang: word("closure", v, lang),
    "closed_reason": lambda v, lang: f": {v}" if v else "",  # why a supervisor closed the day, where they said it
    "checkin_window": _checkin_window,
    "release": lambda v, lang: word("release", v, lang),
    "day_counts": _day_counts,
    "happened": lambda v, lang: _happened(v, lang) if isinstance(v, Mapping) else str(v),
    "advice": lambda v, lang: _advice(str(v), lang),
}


class _Formatter(string.Formatter):
    def __init__(self, lang: str) -> None:
        self.lang = lang

    def format_field(self, value: Any, format_spec: str) -> str:
        words = FORMATS.get(format_spec)
        if words and value is None:
            return "?"  # not known (a screen never seen, say): the sentence still reads
        return words(value, self.lang) if words else super().format_field(value, format_spec)

    def get_value(self, key: int | str, args: Any, kwargs: Mapping[str, Any]) -> Any:
        if isinstance(key, str) and key not in kwargs:
            log.warning("message parameter %r missing", key)  # a bug of ours; the person still gets the sentence
            return "…"
        return super().get_value(key, args, kwargs)


_FORMATTERS = {lang: _Formatter(lang) for lang in LANGUAGES}


def text(section: str, key: str, lang: str, params: Mapping[str, Any]) -> str:
    """One catalogue sentence in one language, with its parameters filled in."""
    entry = catalogue().get(section, {}).get(key)
    if entry is None:
        log.warning("no message %s.%s", section, key)
        return key
    return _FORMATTERS[lang].vformat(entry[lang], (), params)


def refusal_messages(refusal: Refusal) -> tuple[str, str]:
    """A refusal's sentence in Indonesian and in English."""
    params = {**refusal.details, **refusal.params}
    return text("refusal", refusal.key, "id", params), text("refusal", refusal.key, "en", params)


def english(refusal: Refusal) -> str:
    """The English sentence (the CLI and logs speak English)."""
    return text("refusal", refusal.key, "en", {**refusal.details, **refusal.params})
