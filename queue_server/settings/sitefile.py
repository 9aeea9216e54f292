"""Reading a site file (TOML) into the domain's `Site`, refusing a wrong one with every problem named."""

from __future__ import annotations

import copy
import difflib
import hashlib
import os
import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import orjson
import tomli_w

from queue_server.common import messages, plaintext
from queue_server.common.problems import personal_kinds
from queue_server.domain import agency_kinds, provinces
from queue_server.domain.catalogue import (
    RUNNING_TEXT_MAX,
    WEEKDAYS,
    Agency,
    AlertPolicy,
    Announcements,
    BookingPolicy,
    BreakRule,
    Counter,
    Gateway,
    GuestWifi,
    NotifyPolicy,
    OpeningHours,
    RoutingPolicy,
    Screen,
    Service,
    Site,
    SpecialPeriod,
)
from queue_server.domain.shown_texts import entry_step, shown_texts

ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
COUNTER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,19}$")
NAME_MAX = 120  # characters of a name (a site, an agency, a service, a counter, a screen)
PREFIX = re.compile(r"^[A-Z]{1,3}$")
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
# "07:30-16:00", or as Indonesian writes the time, "07.30-16.00" (what the Settings page's message shows)
RANGE = re.compile(r"^(\d{2})[:.](\d{2})\s*[-–]\s*(\d{2})[:.](\d{2})$")
DEMO_SITE = Path(__file__).parent.parent / "sites" / "demo_tegal.toml"
SITE_KEYS = ("id", "name", "timezone", "hours", "running_text", "enforce_hours", "breaks",  # of [site]
             "province", "regency", "wifi", "wifi_password")  # fmt: skip
# [alerts]: what a mall may tune of when its dashboard alerts (domain/catalogue.AlertPolicy), each from ... to. A
# minute is the least an alert can wait (a ticket taken while its operator opens the counter raises nothing); two
# hours and four hours are past where an alert still helps; a service's usual time "times" is in halves, from 1.5.
# The card's "lama" mark has bounds of its own, as the alert's: a mark set at or past the alert never shows (the
# card goes straight to the alert), which is a mall's way of having none. A TV may be missing from 1 minute after
# opening to 4 hours (a mall whose screens come on with the hall's lights an hour after the doors open).
ALERT_BOUNDS: dict[str, tuple[float, float]] = {
    "no_counter_minutes": (1, 120),
    "counter_idle_minutes": (1, 120),
    "service_long_times": (1.5, 10),
    "service_long_minutes": (1, 240),
    "service_mark_times": (1.5, 10),
    "service_mark_minutes": (1, 240),
    "screen_missing_minutes": (1, 240),
}
# Each table's settings, by its heading in the site file: a setting written under the wrong heading (a line added at
# the end of the file falls into the last table above it, say `[[screens]]`) is told where it belongs.
DOCUMENT_KEYS = ("site", "routing", "announcements", "booking", "agencies", "screens", "notify", "alerts")
HOURS_KEYS = (*WEEKDAYS, "holidays", "holiday_names", "periods")
BREAKS_KEYS = ("window", "minutes")
ROUTING_KEYS = ("order", "priority_max_streak")
ANNOUNCEMENTS_KEYS = ("languages", "reading", "template_id", "template_en", "repeat", "chime")
BOOKING_KEYS = ("slot_minutes", "days_ahead", "checkin_before_minutes", "checkin_after_minutes", "per_phone",
                "verify_phone", "codes_per_address", "codes_per_hour")  # fmt: skip
NOTIFY_KEYS = ("gateway", "public_url", "people_ahead", "survey")
AGENCY_KEYS = ("id", "name", "short_name", "colour", "kind", "services", "counters")
SERVICE_KEYS = ("id", "name", "prefix", "daily_quota", "target_wait_minutes", "service_minutes", "online_quota",
                "slot_capacity")  # fmt: skip
COUNTER_KEYS = ("id", "name", "services", "zone")
SCREEN_KEYS = ("id", "name", "agencies", "zones", "speaker")
HEADINGS: dict[str, tuple[str, ...]] = {
    "[site]": SITE_KEYS,
    "[site.hours]": HOURS_KEYS,
    "[site.breaks]": BREAKS_KEYS,
    "[routing]": ROUTING_KEYS,
    "[announcements]": ANNOUNCEMENTS_KEYS,
    "[booking]": BOOKING_KEYS,
    "[notify]": NOTIFY_KEYS,
    "[alerts]": tuple(ALERT_BOUNDS),
    "[[agencies]]": AGENCY_KEYS,
    "[[agencies.services]]": SERVICE_KEYS,
    "[[agencies.counters]]": COUNTER_KEYS,
    "[[screens]]": SCREEN_KEYS,
}


def belongs_under(key: str) -> str | None:
    """The one heading a setting belongs under ("[booking]" for slot_minutes), None when it is no table's or
    several's (id, name)."""
    homes = [heading for heading, keys in HEADINGS.items() if key in keys]
    return homes[0] if len(homes) == 1 else None


# The time zones a site may have (docs/site-file.md), each with its legal zone; the Settings page offers these only.
# Kept as written, Asia/Pontianak too (domain/provinces.py): the administrator's own name for the mall's clock, which
# the Settings page and an exported site file give back unchanged; it reads as Asia/Jakarta does, and what compares
# zones compares WIB, WITA and WIT.
TIME_ZONES = provinces.ZONES


class SiteFileError(ValueError):
    """A site file that cannot be used; `problems` names each field and why; `document`: the file as read, when it
    could be (so a problem can name an entry by the name a supervisor knows, common/problems.names_in)."""

    def __init__(self, source: str, problems: list[str], document: Any = None) -> None:
        self.source = source
        self.problems = problems
        self.document = document
        super().__init__(f"{source}: " + "; ".join(problems))


class _Reader:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, where: str, why: str) -> None:
        # A value pasted by mistake (a whole paragraph) is echoed in part: the problem stays one readable line.
        self.problems.append(f"{where}: {why if len(why) <= 240 else why[:237] + '...'}")

    def text(
        self,
        table: dict[str, Any],
        key: str,
        where: str,
        *,
        pattern: re.Pattern[str] | None = None,
        default: str | None = None,
        hint: str = "",
        max_len: int = NAME_MAX,
    ) -> str:
        value = table.get(key, default)
        if value is None:
            self.fail(f"{where}.{key}", "is required")
            return ""
        if not isinstance(value, str):
            self.fail(f"{where}.{key}", "must be a string")
            return ""
        if not value.strip():
            self.fail(f"{where}.{key}", "must be a non-empty string")
            return ""
        if len(value.strip()) > max_len:  # a pasted paragraph would stretch every page and screen that names it
            self.fail(f"{where}.{key}", f"is {len(value.strip())} characters long, at most {max_len}")
        if pattern and not pattern.match(value):
            self.fail(f"{where}.{key}", f"{value!r} is not valid{hint}")
        hidden = plaintext.hidden_character(value.strip(), lines=False)
        if hidden is not None:  # shown on screens and named in logs: a direction mark would turn "A-100" round
            self.fail(f"{where}.{key}", f"holds a hidden character ({hidden}): type it again rather than paste it")
        return value.strip()

    def integer(
        self, table: dict[str, Any], key: str, where: str, *, default: int | None, low: int, high: int
    ) -> int | None:
        value = table.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.fail(f"{where}.{key}", f"must be a whole number from {low} to {high}, got {value!r}")
            return default
        return value

    def number(self, table: dict[str, Any], key: str, where: str, *, default: float, low: float, high: float) -> float:
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
            self.fail(f"{where}.{key}", f"must be a number from {low} to {high}, got {value!r}")
            return default
        return float(value)

    def tables(self, table: dict[str, Any], key: str, where: str) -> list[dict[str, Any]]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.fail(f"{where}.{key}", "must be a list of tables ([[...]])")
            return []
        return value

    def strings(self, table: dict[str, Any], key: str, where: str) -> list[str]:
        value = table.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(f"{where}.{key}", "must be a list of strings")
            return []
        return value

    def unknown(self, table: dict[str, Any], allowed: Iterable[str], where: str) -> None:
        known = set(allowed)
        for key in table:
            if key in known:
                continue
            place, listed = f"{where}.{key}" if where else key, f"(allowed: {', '.join(sorted(known))})"
            # TOML puts a line in the table whose heading is above it: `sat = [...]` added at the end of the file
            # lands in the last [[screens]]. Said where it belongs, the installer moves the line.
            home = "[site.hours]" if key in WEEKDAYS else belongs_under(key)
            if home is None:
                self.fail(place, f"unknown setting {listed}")
            elif key in WEEKDAYS:
                self.fail(place, f"unknown setting here: a day's hours belong under {home} {listed}")
            else:
                self.fail(place, f"unknown setting here: {key} belongs under {home} {listed}")


def _got(value: Any) -> str:
    """What a problem adds for a text given (", got 'ftp://x'", in part); nothing for a value of another type, which
    the problem already names by the type it needs."""
    return f", got {value[:60]!r}" if isinstance(value, str) else ""


def _value(value: Any) -> str:
    """A text a problem begins with ("'random' must be ..."); nothing for a value of another type."""
    return f"{value[:40]!r} " if isinstance(value, str) else ""


URL = re.compile(r"^https?://[^\s/?#]+[^\s]*$")
PLACEHOLDERS = ("{phone}", "{phone_local}", "{text}", "{message_id}")
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")  # an HTTP token (RFC 9110, 5.6.2)
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # a tab may be in a header's value, no other control character


def variables_in(text: str) -> list[str]:
    """The ${VARIABLE}s a gateway's text names (a header, its address's query, a string of its body)."""
    return _VARIABLE.findall(text)


def environment_of(names: set[str]) -> dict[str, str]:
    """Only these variables of the process's environment: what a configuration made on the web may expand (the
    references it kept exactly as the stored one had them), so it can never read any other."""
    return {name: os.environ[name] for name in names if name in os.environ}


def without_gateway(document: dict[str, Any]) -> dict[str, Any] | None:
    """The document with its WhatsApp/SMS gateway left out (no message to citizens; everything else as it is), or
    None when it has none: a configuration in force whose gateway cannot be read in this process (a ${VARIABLE} of its
    headers not set here) is served so rather than not at all (pipeline/engine.py)."""
    notify = document.get("notify")
    if not isinstance(notify, dict) or "gateway" not in notify:
        return None
    return {**document, "notify": {key: value for key, value in notify.items() if key != "gateway"}}


def gateway_variables(document: dict[str, Any]) -> list[str]:
    """The ${VARIABLE}s a document's gateway names (their names, never their values), in order: in its headers, its
    address and its body."""
    notify = document.get("notify")
    gateway = notify.get("gateway") if isinstance(notify, dict) else None
    if not isinstance(gateway, dict):
        return []
    headers = gateway.get("headers")
    texts = [v for v in headers.values() if isinstance(v, str)] if isinstance(headers, dict) else []
    texts += [gateway["url"]] if isinstance(gateway.get("url"), str) else []
    texts += _strings(gateway.get("body"))
    return list(dict.fromkeys(name for text in texts for name in variables_in(text)))


def gateway_strings(value: Any, where: str = "notify.gateway.body") -> list[tuple[str, str]]:
    """Every string of a gateway's body with where it is (`notify.gateway.body.text.body`, `...[0]`)."""
    if isinstance(value, str):
        return [(where, value)]
    if isinstance(value, dict):
        return [found for k, v in value.items() for found in gateway_strings(v, f"{where}.{k}")]
    if isinstance(value, list):
        return [found for i, v in enumerate(value) for found in gateway_strings(v, f"{where}[{i}]")]
    return []


def _notify(reader: _Reader, table: Any, env: Mapping[str, str]) -> NotifyPolicy:
    """[notify]: messages to citizens who leave a number, through the mall's own WhatsApp/SMS gateway."""
    if table is None:
        return NotifyPolicy()
    if not isinstance(table, dict):
        reader.fail("notify", "must be a table (see docs/notifications.md)")
        return NotifyPolicy()
    reader.unknown(table, NOTIFY_KEYS, "notify")
    public_url = table.get("public_url")
    if public_url is not None and (not isinstance(public_url, str) or not URL.match(public_url)):
        reader.fail("notify.public_url", f"must be an http:// or https:// address{_got(public_url)}")
        public_url = None
    people = reader.integer(table, "people_ahead", "notify", default=3, low=1, high=50) or 3
    survey = table.get("survey", True)
    if not isinstance(survey, bool):
        reader.fail("notify.survey", "must be true or false")
        survey = True
    gateway = _gateway(reader, table.get("gateway"), env)
    if gateway is not None and public_url is None:
        reader.fail("notify.public_url", "is required with a gateway: messages carry links to the ticket's page")
    return NotifyPolicy(gateway, public_url.rstrip("/") if public_url else None, people, survey)


def _gateway(reader: _Reader, table: Any, env: Mapping[str, str]) -> Gateway | None:
    where = "notify.gateway"
    if table is None:
        return None
    if not isinstance(table, dict):
        reader.fail(where, 'must be a table: url = "https://...", headers = {...}, body = {...}')
        return None
    reader.unknown(table, {"url", "headers", "body"}, where)
    url = table.get("url")
    secrets: dict[str, str] = {}
    if not isinstance(url, str) or not URL.match(url):
        reader.fail(f"{where}.url", f"must be an http:// or https:// address{_got(url)}")
    elif _VARIABLE.search(url.split("?", 1)[0]):
        # A key belongs in the query (Zenziva-style: ?userkey=...&passkey=...); the host and the path are where
        # messages go, which a supervisor must be able to read as they are.
        reader.fail(f"{where}.url", "may name an environment variable only in its query (after ?)")
    else:
        _secrets(reader, f"{where}.url", url, env, secrets)
    headers: list[tuple[str, str]] = []
    raw_headers = table.get("headers", {})
    if not isinstance(raw_headers, dict):
        reader.fail(f"{where}.headers", "must be a table of names and texts")
        raw_headers = {}
    for name, value in raw_headers.items():
        if not isinstance(value, str):
            reader.fail(f"{where}.headers.{name}", "must be a string")
            continue
        if not _HEADER_NAME.match(name):
            reader.fail(
                f"{where}.headers.{name}",
                "is not a valid header name (letters, digits and - ! # $ % & ' * + . ^ _ ` | ~)",
            )
            continue
        missing = [m for m in _VARIABLE.findall(value) if m not in env]
        if missing:
            reader.fail(f"{where}.headers.{name}", f"names the environment variable {missing[0]}, which is not set")
            continue
        filled = _VARIABLE.sub(lambda m: env[m.group(1)], value)
        if _CONTROL.search(filled):
            # A line break would let the value start another header (HTTP refuses it: every message would fail);
            # often a variable read from a file saved on Windows ("...\r"). Its value is never said.
            reader.fail(f"{where}.headers.{name}", "holds a line break or another control character"
                        + (" (from its environment variable)" if _VARIABLE.search(value) else ""))  # fmt: skip
            continue
        headers.append((name, filled))
    body = table.get("body")
    if not isinstance(body, dict):
        reader.fail(f"{where}.body", 'must be a table, e.g. { target = "{phone}", message = "{text}" }')
        return None
    leaves = " ".join(_strings(body))
    if "{text}" not in leaves or ("{phone}" not in leaves and "{phone_local}" not in leaves):
        reader.fail(f"{where}.body", "must contain {text} and {phone} (or {phone_local}) in its strings")
    for place, text in gateway_strings(body):
        _secrets(reader, place, text, env, secrets)
    return Gateway(url if isinstance(url, str) else "", tuple(headers), body, tuple(sorted(secrets.items())))


def _secrets(reader: _Reader, where: str, text: str, env: Mapping[str, str], found: dict[str, str]) -> None:
    """The values of the ${VARIABLE}s `text` names (a gateway's address or a string of its body), into `found`: kept
    apart and filled in only when a message is sent, so the address and body supervisors read never show them."""
    for name in _VARIABLE.findall(text):
        if name not in env:
            reader.fail(where, f"names the environment variable {name}, which is not set")
        elif _CONTROL.search(env[name]):
            reader.fail(where, "holds a line break or another control character (from its environment variable)")
        else:
            found[name] = env[name]


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


WIFI_NAME_MAX = 32  # an SSID has at most 32 bytes; printable ASCII (below) makes that 32 characters
WIFI_PASSWORD_LENGTH = (8, 63)  # a WPA2 passphrase
_SLIP_TEXT = re.compile(r"[\x20-\x7e]*")  # what an ESC/POS slip prints as it is (escpos_slip.plain)


def _wifi(reader: _Reader, table: dict[str, Any]) -> GuestWifi | None:
    """[site] wifi and wifi_password: the guest network a phone joins to reach a server that is not on the internet.
    Both are printed on the slip, which is ASCII only, and a citizen types them exactly: a name or password a slip
    would print otherwise (an accent dropped, a space no one sees) leads nowhere, so it is refused."""
    problems = len(reader.problems)
    name = _wifi_text(reader, table, "wifi", (1, WIFI_NAME_MAX))
    password = _wifi_text(reader, table, "wifi_password", WIFI_PASSWORD_LENGTH)
    if password is not None and name is None and len(reader.problems) == problems:
        reader.fail("site.wifi_password", "needs site.wifi, the name of the network it opens")
    return GuestWifi(name, password) if name else None


def _wifi_text(reader: _Reader, table: dict[str, Any], key: str, length: tuple[int, int]) -> str | None:
    value = table.get(key)
    where = f"site.{key}"
    if value is None or value == "":  # left out, or emptied on the Settings page: none
        return None
    if not isinstance(value, str):
        reader.fail(where, "must be a string")
        return None
    problems = len(reader.problems)
    hidden = plaintext.hidden_character(value, lines=False)
    if "\n" in value or "\r" in value:
        reader.fail(where, "is more than one line: it is one line, as phones list it")
    elif hidden is not None:
        reader.fail(where, f"holds a hidden character ({hidden}): type it again rather than paste it")
    elif not _SLIP_TEXT.fullmatch(value):
        other = next(c for c in value if not _SLIP_TEXT.fullmatch(c))
        reader.fail(where, f"{value[:40]!r} holds {other!r}, which a printed slip cannot print (plain letters, "
                    "digits and signs only): rename the network")  # fmt: skip
    elif value != value.strip():
        reader.fail(where, "begins or ends with a space, which no one can see on a slip: remove it (or rename the "
                    "network)")  # fmt: skip
    low, high = length
    if key == "wifi" and len(value) > high:
        reader.fail(where, f"is {len(value)} characters long, at most {high}")
    elif key == "wifi_password" and not low <= len(value) <= high:
        reader.fail(where, f"is {len(value)} characters long: a Wi-Fi password has {low} to {high}")
    return value if len(reader.problems) == problems else None


def _breaks(reader: _Reader, table: Any) -> BreakRule | None:
    """[site.breaks]: window = "11:45-13:45", minutes = 45 (each counter pauses once, in turns)."""
    if table is None:
        return None
    where = "site.breaks"
    if not isinstance(table, dict):
        reader.fail(where, 'must be a table: window = "11:45-13:45", minutes = 45')
        return None
    reader.unknown(table, BREAKS_KEYS, where)
    text = table.get("window")
    if text is None:
        reader.fail(f"{where}.window", "is required (a range like '11:45-13:45')")
        return None
    match = RANGE.match(text) if isinstance(text, str) else None
    if not match:
        said = f"{text!r} is not a range" if isinstance(text, str) else "must be a range"
        reader.fail(f"{where}.window", f"{said} like '11:45-13:45'")
        return None
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59 or (h2, m2) <= (h1, m1):
        reader.fail(f"{where}.window", f"{text!r} is not a valid time range within one day")
        return None
    length = (h2 * 60 + m2) - (h1 * 60 + m1)
    minutes = reader.integer(table, "minutes", where, default=None, low=1, high=length)
    if minutes is None:
        if "minutes" not in table:
            reader.fail(f"{where}.minutes", f"the minutes each counter pauses are needed (1-{length})")
        return None
    return BreakRule(time(h1, m1), time(h2, m2), minutes)


def _hours(reader: _Reader, table: dict[str, Any], where: str) -> OpeningHours:
    reader.unknown(table, HOURS_KEYS, where)
    weekly = _weekly(reader, table, where)
    periods: list[SpecialPeriod] = []
    for i, period in enumerate(reader.tables(table, "periods", where)):
        pwhere = f"{where}.periods[{i}]"
        reader.unknown(period, {*WEEKDAYS, "name", "from", "to"}, pwhere)
        name = reader.text(period, "name", pwhere)
        start, end = _date(reader, period, "from", pwhere), _date(reader, period, "to", pwhere)
        if start and end and end < start:
            reader.fail(f"{pwhere}.to", f"{end} is before {start}")
        for other in periods:
            if start and end and start <= other.end and other.start <= end:
                reader.fail(pwhere, f"overlaps the period {other.name!r} ({other.start} to {other.end})")
        if start and end:
            periods.append(SpecialPeriod(name, start, end, _weekly(reader, period, pwhere)))
    holidays = _holidays_of(reader, table, where)
    return OpeningHours(weekly, holidays, tuple(periods), _holiday_names_of(reader, table, where, holidays))


_named = entry_step  # an entry of a list in a problem's place (`services[1 "kk"]`), as domain/shown_texts says it


def _weekly(reader: _Reader, table: dict[str, Any], where: str) -> dict[str, tuple[tuple[time, time], ...]]:
    """Each weekday's opening ranges ("07:30-16:00"), in local time."""
    weekly: dict[str, tuple[tuple[time, time], ...]] = {}
    for day in WEEKDAYS:
        ranges: list[tuple[time, time]] = []
        for text in reader.strings(table, day, where):
            match = RANGE.match(text)
            if not match:
                reader.fail(f"{where}.{day}", f"{text!r} is not a range like '07:30-16:00'")
                continue
            h1, m1, h2, m2 = (int(g) for g in match.groups())
            if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2):
                reader.fail(f"{where}.{day}", f"{text!r} is not a valid time range")
                continue
            end = time(23, 59, 59, 999999) if h2 == 24 else time(h2, m2)
            start = time(h1, m1)
            if end <= start:
                reader.fail(f"{where}.{day}", f"{text!r} ends before it starts")
                continue
            ranges.append((start, end))
        ranges.sort()
        for (_, first_end), (second_start, _) in zip(ranges, ranges[1:], strict=False):
            if second_start < first_end:  # counted twice in every capacity and closing-time figure
                reader.fail(f"{where}.{day}", f"ranges overlap at {second_start:%H:%M}: make them one range, or make "
                            "the second start where the first ends")  # fmt: skip
        weekly[day] = tuple(ranges)
    return weekly


def _date(reader: _Reader, table: dict[str, Any], key: str, where: str) -> date | None:
    value = table.get(key)
    if value is None:
        reader.fail(f"{where}.{key}", "is required (a date like 2027-02-18)")
        return None
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        reader.fail(f"{where}.{key}", "must be a date like 2027-02-18")
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        reader.fail(f"{where}.{key}", f"{value!r} is not a date like 2027-02-18")
        return None


def _holidays_of(reader: _Reader, table: dict[str, Any], where: str) -> frozenset[date]:
    holidays: set[date] = set()
    raw_holidays = table.get("holidays", [])
    if not isinstance(raw_holidays, list):
        reader.fail(f"{where}.holidays", "must be a list of dates")
        raw_holidays = []
    for value in raw_holidays:
        day = None
        if isinstance(value, date):
            day = value
        elif not isinstance(value, str):
            reader.fail(f"{where}.holidays", "must be a list of dates")
        else:
            try:
                day = date.fromisoformat(value)
            except ValueError:
                reader.fail(f"{where}.holidays", f"{value!r} is not a date like 2026-12-25")
        if day in holidays:  # a list that says a day twice was kept as given, and shown twice (an outside review)
            reader.fail(f"{where}.holidays", f"{day.isoformat()} is listed twice")
        elif day is not None:
            holidays.add(day)
    return frozenset(holidays)


def _holiday_names_of(reader: _Reader, table: dict[str, Any], where: str, holidays: frozenset[date]) -> dict[date, str]:
    """`holiday_names = { "2026-12-25" = "Hari Natal" }`: a name for some of the holidays, which the kiosk says
    ("Tutup: Hari Natal"). A name for a day that is not a holiday is refused: it would be said nowhere."""
    raw = table.get("holiday_names", {})
    if not isinstance(raw, dict):
        reader.fail(f"{where}.holiday_names", 'must be a table of names, like { "2026-12-25" = "Hari Natal" }')
        return {}
    names: dict[date, str] = {}
    for key in raw:
        place = f'{where}.holiday_names."{key}"'
        try:
            day = date.fromisoformat(str(key))
        except ValueError:
            reader.fail(place, f"{str(key)!r} is not a date like 2026-12-25")
            continue
        if day not in holidays:
            reader.fail(place, f"{day.isoformat()} is not one of the holidays: add it to holidays, or remove its name")
            continue
        name = reader.text(raw, key, f"{where}.holiday_names", hint=', e.g. "Hari Natal"')
        if name:
            names[day] = name.strip()
    return names


# "Kabupaten Tegal", "Kota Tegal", "Kota Administrasi Jakarta Pusat": one way of writing, so reports group them.
REGENCY = re.compile(r"^(Kabupaten|Kota) \S")


def _region(reader: _Reader, table: dict[str, Any]) -> tuple[str | None, str | None]:
    """`province` (a name of domain/provinces.py, or its code) and `regency`: where the ministry's reports put the
    mall. Both optional: a site file from before them still loads, and the national view lists it under no
    province."""
    code = None
    if "province" in table:
        text = reader.text(table, "province", "site", max_len=60)
        found = provinces.find(text) if text else None
        if text and found is None:
            close = difflib.get_close_matches(text, [p.name for p in provinces.PROVINCES], n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else " (e.g. 'Jawa Tengah', or its code, '33')"
            reader.fail("site.province", f"{text[:60]!r} is not a province of Indonesia{hint}")
        code = found.code if found else None
    regency = None
    if "regency" in table:
        regency = reader.text(table, "regency", "site", max_len=80) or None
        if regency and not REGENCY.match(regency):
            reader.fail("site.regency", f"{regency[:80]!r}: write it as 'Kabupaten Tegal' or 'Kota Tegal'")
    return code, regency


def _zone_of_province(reader: _Reader, code: str, timezone: str) -> None:
    """A mall keeps its province's time by law (domain/provinces.py): Bali with WIB would number and close its days,
    and keep its hours, an hour off."""
    problem = zone_problem(code, timezone)
    if problem is not None:
        reader.fail("site.timezone", problem)


def zone_problem(code: str, timezone: str) -> str | None:
    """Why `timezone` is not the time of the province `code`, or None when it is (init-site asks it too)."""
    province = provinces.BY_CODE[code]
    zone = provinces.legal_zone(province.timezone)
    if zone is not None and provinces.legal_zone(timezone) == zone:
        return None
    names = " or ".join(repr(name) for name in provinces.names_of(str(zone)))  # WIB: 'Asia/Jakarta' or 'Asia/Pontianak'
    return f"{province.name} uses {zone}: timezone must be {names}, not {timezone!r}"


def read_region(table: dict[str, Any]) -> tuple[str | None, str | None, list[str]]:
    """A [site] table's province code and regency as a site file reads them, and the problems found
    (settings/starter.py checks `init-site`'s arguments with it)."""
    reader = _Reader()
    code, regency = _region(reader, table)
    return code, regency, reader.problems


def _agency_kind(reader: _Reader, table: dict[str, Any], where: str) -> str | None:
    if "kind" not in table:
        return None
    kind = table["kind"]
    if not isinstance(kind, str):
        reader.fail(f"{where}.kind", "must be one kind of agency, as a string (the kinds: docs/site-file.md)")
        return None
    if kind not in agency_kinds.BY_ID:
        close = difflib.get_close_matches(kind, list(agency_kinds.BY_ID), n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}? " if close else ""
        reader.fail(f"{where}.kind", f"{kind[:40]!r} is not a kind of agency ({hint}the kinds: docs/site-file.md)")
        return None
    return kind


def _booking(reader: _Reader, table: Any) -> BookingPolicy:
    where = "booking"
    if not isinstance(table, dict):
        reader.fail(where, "must be a table")
        return BookingPolicy()
    reader.unknown(table, BOOKING_KEYS, where)
    d = BookingPolicy()
    verify_phone = table.get("verify_phone", d.verify_phone)
    if not isinstance(verify_phone, bool):
        reader.fail(f"{where}.verify_phone", "must be true or false")
        verify_phone = d.verify_phone
    numbers = {}
    for key, (low, high) in SETTING_BOUNDS["booking"].items():
        value = reader.integer(table, key, where, default=getattr(d, key), low=low, high=high)
        numbers[key] = getattr(d, key) if value is None else value
    return BookingPolicy(**numbers, verify_phone=verify_phone)


# The numbers of [booking], [routing] and [announcements] a mall may set, each from ... to: what the parser takes and
# what the Settings page offers (GET .../configuration `queue_settings.bounds`), so the two cannot drift apart.
SETTING_BOUNDS: dict[str, dict[str, tuple[int, int]]] = {
    "booking": {
        "slot_minutes": (5, 240),
        "days_ahead": (0, 90),
        "checkin_before_minutes": (0, 240),
        "checkin_after_minutes": (0, 240),
        "per_phone": (1, 20),
        "codes_per_address": (1, 1000),
        "codes_per_hour": (10, 100_000),
    },
    "routing": {"priority_max_streak": (0, 100)},
    "announcements": {"repeat": (1, 3)},
}
# A call sentence is said in a hall, and its new words are rendered by the speech engine: a pasted paragraph is
# neither a call nor something to render on every save (or every "Dengar contoh").
TEMPLATE_MAX = 200


def _alerts(reader: _Reader, table: Any) -> AlertPolicy:
    where = "alerts"
    if not isinstance(table, dict):
        reader.fail(where, "must be a table: no_counter_minutes = 5, counter_idle_minutes = 5, ...")
        return AlertPolicy()
    reader.unknown(table, ALERT_BOUNDS, where)
    d = AlertPolicy()
    minutes = {
        key: reader.integer(table, key, where, default=getattr(d, key), low=int(low), high=int(high)) or getattr(d, key)
        for key, (low, high) in ALERT_BOUNDS.items()
        if key.endswith("_minutes")
    }
    times: dict[str, float] = {}
    for key, (low, high) in ALERT_BOUNDS.items():
        if not key.endswith("_times"):
            continue
        value = reader.number(table, key, where, default=getattr(d, key), low=low, high=high)
        if value * 2 != int(value * 2):  # the Settings page's steps; "2.7 times the usual" is no one's rule of thumb
            reader.fail(f"{where}.{key}", f"must be whole or a half (e.g. 3 or 2.5), got {value!r}")
            value = getattr(d, key)
        times[key] = value
    return AlertPolicy(service_long_times=times["service_long_times"], service_mark_times=times["service_mark_times"],
                       **minutes)  # fmt: skip


def _announcements(reader: _Reader, table: Any, *, in_force: bool = False) -> Announcements:
    where = "announcements"
    if not isinstance(table, dict):
        reader.fail(where, "must be a table")
        return Announcements()
    reader.unknown(table, ANNOUNCEMENTS_KEYS, where)
    default = Announcements()
    languages = tuple(reader.strings(table, "languages", where)) or default.languages
    if languages[0] != "id" or not set(languages) <= {"id", "en"} or len(set(languages)) != len(languages):
        reader.fail(f"{where}.languages", f"{list(languages)!r} must be ['id'] or ['id', 'en'] (Indonesian first)")
        languages = default.languages
    reading = table.get("reading", default.reading)
    if reading not in ("number", "digits"):
        reader.fail(f"{where}.reading", f"{_value(reading)}must be 'number' or 'digits'")
        reading = default.reading
    templates = {}
    for key in ("template_id", "template_en"):
        text = table.get(key, getattr(default, key))
        if not isinstance(text, str) or "{ticket}" not in text or "{counter}" not in text:
            reader.fail(f"{where}.{key}", "must be a text containing {ticket} and {counter}")
            text = getattr(default, key)
        elif not in_force and len(text) > TEMPLATE_MAX:  # a limit newer than the sentence (as the running text's)
            reader.fail(f"{where}.{key}", f"is {len(text)} characters long, at most {TEMPLATE_MAX}")
            text = getattr(default, key)
        templates[key] = text
    low, high = SETTING_BOUNDS["announcements"]["repeat"]
    repeat = reader.integer(table, "repeat", where, default=default.repeat, low=low, high=high) or default.repeat
    chime = table.get("chime", True)
    if not isinstance(chime, bool):
        reader.fail(f"{where}.chime", "must be true or false")
        chime = True
    return Announcements(languages, reading, templates["template_id"], templates["template_en"], repeat, chime)


def announcements_of(table: Any) -> Announcements:
    """[announcements] alone, checked as in a site file (SiteFileError naming each problem by its place, as a save
    would): the settings a sample call is said with before they are saved."""
    reader = _Reader()
    settings = _announcements(reader, table)
    if reader.problems:
        raise SiteFileError("<announcements>", reader.problems)
    return settings


class AnyVariable(Mapping[str, str]):
    """The environment for a command that sends no message: a gateway's ${VARIABLE}s need not be set there (an
    admin adding an account should not need the WhatsApp gateway's secret in their shell), and are never used."""

    def __getitem__(self, key: str) -> str:
        return os.environ.get(key, "")

    def __contains__(self, key: object) -> bool:
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(os.environ)

    def __len__(self) -> int:
        return len(os.environ)


def parse_site(
    data: dict[str, Any], source: str = "<site>", env: Mapping[str, str] | None = None, *, in_force: bool = False
) -> Site:
    """`env`: where ${VARIABLE}s in the gateway's headers are looked up (the process's environment); `in_force`: a
    configuration accepted already (the log's, another process's, a mirrored mall's), whose running text is not
    checked for personal data again: what is set now (the web, a site file, check-site) is."""
    env = os.environ if env is None else env
    reader = _Reader()
    reader.unknown(data, DOCUMENT_KEYS, "")
    site_table = data.get("site")
    if not isinstance(site_table, dict):
        raise SiteFileError(source, ["site: a [site] table is required"])
    reader.unknown(site_table, SITE_KEYS, "site")
    site_id = reader.text(site_table, "id", "site", pattern=ID, hint=" (lower-case letters, digits, - and _)")
    name = reader.text(site_table, "name", "site")
    timezone = reader.text(site_table, "timezone", "site", default="Asia/Jakarta")
    zone_given = timezone in TIME_ZONES
    if timezone and not zone_given:  # a mall's service day, numbering and quotas follow WIB, WITA or WIT
        said = provinces.zones_said()  # every zone it may name: "Asia/Jakarta or Asia/Pontianak for WIB, ..."
        reader.fail("site.timezone", f"{timezone[:40]!r} is not a time zone of Indonesia (use {said})")
    timezone = timezone if zone_given else "Asia/Jakarta"
    hours_table = site_table.get("hours", {})
    if not isinstance(hours_table, dict):
        reader.fail("site.hours", "must be a table")
        hours_table = {}
    hours = _hours(reader, hours_table, "site.hours")
    if not any(hours.weekly.values()):
        reader.fail("site.hours", "no opening hours on any day")
    enforce_hours = site_table.get("enforce_hours", True)
    if not isinstance(enforce_hours, bool):
        reader.fail("site.enforce_hours", "must be true or false")
        enforce_hours = True
    breaks = _breaks(reader, site_table.get("breaks"))
    wifi = _wifi(reader, site_table)
    running_text = site_table.get("running_text", "")
    if not isinstance(running_text, str):
        reader.fail("site.running_text", "must be a string")
        running_text = ""
    elif (hidden := plaintext.hidden_character(running_text)) is not None:
        reader.fail("site.running_text", f"holds a hidden character ({hidden}): type it again rather than paste it")
    elif not in_force and (length := len(" ".join(running_text.split()))) > RUNNING_TEXT_MAX:
        # The API's limit (domain/decide), counted as it counts (spaces folded: a display scrolls one line), with the
        # sentence every too-long field of a site file has; like the check below, not judged again once in force.
        reader.fail("site.running_text", f"is {length} characters long, at most {RUNNING_TEXT_MAX}")

    province, regency = _region(reader, site_table)
    if zone_given and province is not None:
        _zone_of_province(reader, province, timezone)

    routing_table = data.get("routing", {})
    if not isinstance(routing_table, dict):
        reader.fail("routing", 'must be a table: order = "fifo", priority_max_streak = 3')
        routing_table = {}
    reader.unknown(routing_table, ROUTING_KEYS, "routing")
    order = routing_table.get("order", "fifo")
    if order not in ("fifo", "service_order"):
        reader.fail("routing.order", f"{_value(order)}must be 'fifo' or 'service_order'")
        order = "fifo"
    low, high = SETTING_BOUNDS["routing"]["priority_max_streak"]
    streak = reader.integer(routing_table, "priority_max_streak", "routing", default=3, low=low, high=high)
    routing = RoutingPolicy(order=order, priority_max_streak=streak if streak is not None else 3)

    announcements = _announcements(reader, data.get("announcements", {}), in_force=in_force)
    booking = _booking(reader, data.get("booking", {}))
    alerts = _alerts(reader, data.get("alerts", {}))

    agencies: dict[str, Agency] = {}
    services: dict[str, Service] = {}
    counters: dict[str, Counter] = {}
    prefixes: dict[str, str] = {}
    twice: set[str] = set()  # service codes given to two services: said on the second, and nowhere else
    pending_counters: list[tuple[str, dict[str, Any], str]] = []
    agency_tables = reader.tables(data, "agencies", "")
    if not agency_tables:
        reader.fail("agencies", "at least one [[agencies]] entry is required")
    for i, table in enumerate(agency_tables):
        where = f"agencies[{_named(i, table)}]"
        reader.unknown(table, AGENCY_KEYS, where)
        agency_id = reader.text(table, "id", where, pattern=ID, hint=" (lower-case letters, digits, - and _)")
        if agency_id in agencies:
            reader.fail(f"{where}.id", f"{agency_id!r} is used twice")
        agency_name = reader.text(table, "name", where)
        agencies[agency_id] = Agency(
            id=agency_id,
            name=agency_name,
            short_name=reader.text(table, "short_name", where, default=agency_name),
            colour=reader.text(table, "colour", where, pattern=COLOUR, default="#1f4e79", hint=" (use #rrggbb)"),
            kind=_agency_kind(reader, table, where),
        )
        for j, service_table in enumerate(reader.tables(table, "services", where)):
            swhere = f"{where}.services[{_named(j, service_table)}]"
            reader.unknown(service_table, SERVICE_KEYS, swhere)
            service_id = reader.text(
                service_table, "id", swhere, pattern=ID, hint=" (lower-case letters, digits, - and _)"
            )
            if service_id in services:
                # Said once, and only this: the first service of that code stays the one counters and letters are
                # checked against, so a code typed twice is not also said as other agencies' counters serving the
                # new service, or as its letter taken by itself (an outside review).
                reader.fail(f"{swhere}.id", f"{service_id!r} is used twice")
                twice.add(service_id)
                continue
            prefix = reader.text(service_table, "prefix", swhere, pattern=PREFIX, hint=" (1-3 capital letters)")
            if prefix in prefixes:
                reader.fail(
                    f"{swhere}.prefix",
                    f"{prefix!r} is already used by service {prefixes[prefix]!r}; "
                    "two services sharing a prefix would print the same ticket number twice",
                )
            prefixes[prefix] = service_id
            services[service_id] = Service(
                id=service_id,
                agency=agency_id,
                name=reader.text(service_table, "name", swhere),
                prefix=prefix,
                daily_quota=reader.integer(service_table, "daily_quota", swhere, default=None, low=1, high=9999),
                target_wait_minutes=reader.integer(
                    service_table, "target_wait_minutes", swhere, default=30, low=1, high=600
                )
                or 30,
                default_service_minutes=reader.number(
                    service_table, "service_minutes", swhere, default=10, low=0.5, high=480
                ),
                online_quota=reader.integer(service_table, "online_quota", swhere, default=0, low=0, high=9999) or 0,
                slot_capacity=reader.integer(service_table, "slot_capacity", swhere, default=4, low=1, high=999) or 4,
            )
            service = services[service_id]
            if service.daily_quota is not None and service.online_quota > service.daily_quota:
                reader.fail(
                    f"{swhere}.online_quota",
                    f"{service.online_quota} is more than the daily_quota "
                    f"({service.daily_quota}); the online share is part of the daily quota",
                )
        for j, counter_table in enumerate(reader.tables(table, "counters", where)):
            pending_counters.append((f"{where}.counters[{_named(j, counter_table)}]", counter_table, agency_id))
    counter_places: dict[str, str] = {}
    for where, table, agency_id in pending_counters:
        reader.unknown(table, COUNTER_KEYS, where)
        counter_id = reader.text(table, "id", where, pattern=COUNTER_ID, hint=" (letters, digits, - and _)")
        if counter_id in counters:
            reader.fail(f"{where}.id", f"{counter_id!r} is used twice")
        counter_places[counter_id] = where
        served = reader.strings(table, "services", where)
        if not served:
            reader.fail(f"{where}.services", "a counter must serve at least one service")
        for service_id in served:
            if service_id not in services:
                reader.fail(f"{where}.services", f"{service_id!r} is not a service of this site")
            elif services[service_id].agency != agency_id and service_id not in twice:  # its operators could call
                # those tickets, not act on them
                reader.fail(f"{where}.services", f"{service_id!r} is a service of agency "
                            f"{services[service_id].agency!r}: a counter serves its own agency's services")  # fmt: skip
        if len(set(served)) != len(served):
            reader.fail(f"{where}.services", "lists a service twice")
        zone = table.get("zone")
        if zone is not None and not isinstance(zone, str):
            reader.fail(f"{where}.zone", "must be a string")
            zone = None
        counters[counter_id] = Counter(
            id=counter_id,
            name=reader.text(table, "name", where, default=f"Loket {counter_id}"),
            agency=agency_id,
            services=tuple(served),
            zone=zone,
        )
    if agency_tables and not counters:
        reader.fail("agencies", "no counter is defined: nobody could call a ticket")
    named: dict[str, str] = {}
    for counter in counters.values():  # the name is what citizens hear: "silakan menuju Loket 1"
        other = named.setdefault(" ".join(counter.name.casefold().split()), counter.id)
        if other != counter.id:
            reader.fail(f"{counter_places[counter.id]}.name", f"{counter.name!r} is also the name of counter "
                        f"{other!r}: citizens hear the name, so each counter's must be its own")  # fmt: skip

    screens: dict[str, Screen] = {}
    zones = {c.zone for c in counters.values() if c.zone}
    for i, table in enumerate(reader.tables(data, "screens", "")):
        where = f"screens[{_named(i, table)}]"
        reader.unknown(table, SCREEN_KEYS, where)
        screen_id = reader.text(table, "id", where, pattern=ID, hint=" (lower-case letters, digits, - and _)")
        if screen_id in screens:
            reader.fail(f"{where}.id", f"{screen_id!r} is used twice")
        screen_agencies = reader.strings(table, "agencies", where)
        for agency_id in screen_agencies:
            if agency_id not in agencies:
                reader.fail(f"{where}.agencies", f"{agency_id!r} is not an agency of this site")
        screen_zones = reader.strings(table, "zones", where)
        for zone in screen_zones:
            if zone not in zones:
                reader.fail(f"{where}.zones", f"{zone!r} is not a zone of any counter")
        speaker = table.get("speaker", True)
        if not isinstance(speaker, bool):
            reader.fail(f"{where}.speaker", "must be true or false")
            speaker = True
        screens[screen_id] = Screen(
            screen_id,
            reader.text(table, "name", where, default=screen_id),
            tuple(screen_agencies),
            tuple(screen_zones),
            speaker,
        )
    if not screens:
        screens["lobby"] = Screen("lobby", "Layar lobi", (), (), True)

    notify = _notify(reader, data.get("notify"), env)
    if not in_force:
        _no_citizen_named(reader, data)
    if reader.problems:
        raise SiteFileError(source, reader.problems, data)
    return Site(
        id=site_id,
        name=name,
        timezone=timezone,
        hours=hours,
        agencies=agencies,
        services=services,
        counters=counters,
        screens=screens,
        routing=routing,
        announcements=announcements,
        booking=booking,
        enforce_hours=enforce_hours,
        breaks=breaks,
        running_text=running_text,
        notify=notify,
        province=province,
        regency=regency,
        wifi=wifi,
        alerts=alerts,
    )


def _no_citizen_named(reader: _Reader, data: dict[str, Any]) -> None:
    """Every free text a screen, a page or a log shows (domain/shown_texts, the list a mirror withholds by) is
    refused where it names a citizen, with the running text's check and sentence (application/validation.lobby_text),
    for the Settings page, a site file and check-site alike. A configuration already in force is not judged again
    (stopping a mall, or its copy on a mirror, over a text its screens already show would help no one); the next
    save must fix it. Another problem quoting a refused text is left out: no problem repeats it (the server's log
    and the audit log keep problems)."""
    refused = [(shown, kinds) for shown in shown_texts(data) if (kinds := plaintext.personal_shown(shown.text))]
    if not refused:
        return
    quoted = {shown.text for shown, _ in refused}
    reader.problems[:] = [p for p in reader.problems if not any(text in p for text in quoted)]
    sentence = messages.catalogue()["problem"]["personal_shown"]["en"]
    for shown, kinds in refused:  # says which kinds ("a citizen's NIK and name"), which problems.py reads back
        reader.fail(shown.place, sentence.format(kinds=personal_kinds(kinds, "en", messages.catalogue())))


def json_document(value: Any) -> Any:
    """A site file's structure as JSON can hold it: TOML's dates and times become ISO text (which the checks above
    read as well), so a configuration stored as JSON reads back as the same site."""
    if isinstance(value, dict):
        return {str(k): json_document(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_document(v) for v in value]
    if isinstance(value, (date, datetime, time)):
        return value.isoformat()
    return value


def normalised_document(document: dict[str, Any]) -> dict[str, Any]:
    """A copy of `document` with a list in every place a site file may write a list of texts as one text
    (`mon = "08:00-15:00"`, a counter's `services = "ktp"`: _Reader.strings reads both). A configuration is stored and
    served in this form, so what reads it (the Settings page) meets a list there, never a string."""
    out: dict[str, Any] = copy.deepcopy(document)
    site = out.get("site")
    hours = site.get("hours") if isinstance(site, dict) else None
    _as_lists(hours, WEEKDAYS)
    for period in _entries(hours.get("periods") if isinstance(hours, dict) else None):
        _as_lists(period, WEEKDAYS)
    for agency in _entries(out.get("agencies")):
        for counter in _entries(agency.get("counters")):
            _as_lists(counter, ("services",))
    for screen in _entries(out.get("screens")):
        _as_lists(screen, ("agencies", "zones"))
    _as_lists(out.get("announcements"), ("languages",))
    return out


def _entries(value: Any) -> list[dict[str, Any]]:
    """The tables of a [[...]] list (anything else is parse_site's to refuse)."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _as_lists(table: Any, keys: tuple[str, ...]) -> None:
    if isinstance(table, dict):
        for key in keys:
            if isinstance(table.get(key), str):
                table[key] = [table[key]]


def document_digest(document: dict[str, Any]) -> str:
    """Identifies a configuration's content (keys sorted): whether a site file changed since it was applied."""
    return hashlib.sha256(orjson.dumps(json_document(document), option=orjson.OPT_SORT_KEYS)).hexdigest()[:32]


def site_file_text(document: dict[str, Any], heading: str = "") -> str:
    """A configuration as a site file (TOML) again: what an administrator exports to keep in git."""
    comment = "".join(f"# {line}\n" if line else "#\n" for line in heading.splitlines())
    return comment + ("\n" if comment else "") + tomli_w.dumps(json_document(document))


def read_document(path: Path | str) -> dict[str, Any]:
    """A site file's structure, as JSON can hold it (not yet checked: `parse_site` does that)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SiteFileError(str(path), [f"cannot read the file: {exc.strerror}"]) from exc
    try:
        document: dict[str, Any] = json_document(tomllib.loads(raw.decode("utf-8")))
        return document
    except UnicodeDecodeError as exc:
        raise SiteFileError(str(path), ["the file is not UTF-8 text"]) from exc
    except tomllib.TOMLDecodeError as exc:
        raise SiteFileError(str(path), [f"not valid TOML: {exc}"]) from exc


def load_site(path: Path | str) -> Site:
    return parse_site(read_document(path), str(Path(path)))
