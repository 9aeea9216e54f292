"""A problem of a configuration as a person reads it on the Settings page. settings/sitefile.py names each problem by
its place in the site file and says what is wrong in English, for check-site and the server's log:
`agencies[0 "disdukcapil"].services[5 "ktp_hilang"].prefix: 'A' is already used by service 'ktp'`. Here the place
becomes the page's words ("Layanan ktp_hilang, awalan nomor") and the problems an administrator can make with the
page's forms are said in Indonesian or English ([problem] of messages.toml). A problem of another kind keeps its
English words after the place's. Given the configuration's names (`names_in`), an agency, a service, a counter or a
screen is named as the page shows it ("Layanan KTP Elektronik", "instansi Polres"), not by its code."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# Per kind of entry ("agencies", "services", "counters", "screens"): code -> the name a person knows it by.
Names = Mapping[str, Mapping[str, str]]

# What a part of a sentence names, when it is an entry's code: said by the entry's name.
_NAMED = {
    "prefix_taken": {"other": "services"},
    "other_agency_service": {"value": "services", "other": "agencies"},
}

# What is wrong, for the forms of the Settings page: the catalogue's key and the parts the sentence names.
_WHY: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), key)
    for pattern, key in (
        (r"^'(?P<value>.*)' is already used by service '(?P<other>.*?)'", "prefix_taken"),
        (r"^'(?P<value>.*)' is used twice$", "used_twice"),
        (r"^is required", "required"),
        (r"^must be a non-empty string$", "required"),
        (r"^a counter must serve at least one service$", "counter_without_service"),
        (r"^lists a service twice$", "service_twice"),
        (r"^'(?P<value>.*)' is also the name of counter '(?P<other>.*?)'", "counter_name_taken"),
        (r"^'(?P<value>.*)' is a service of agency '(?P<other>.*?)'", "other_agency_service"),
        (r"^'(?P<value>.*)' is not a service of this site$", "unknown_service"),
        (r"^is (?P<length>\d+) characters long, at most (?P<most>\d+)$", "too_long"),
        (r"^must be a whole number from (?P<low>-?\d+) to (?P<high>\d+)", "whole_number"),
        (r"^(?P<value>\d+) is more than the daily_quota \((?P<quota>\d+)\)", "online_over_daily"),
        (r"^'(?P<value>.*)' is not a (valid time )?range", "not_a_range"),
        (r"^'(?P<value>.*)' ends before it starts$", "range_reversed"),
        (r"^ranges overlap at (?P<at>\d\d:\d\d)", "ranges_overlap"),
        (r"^'(?P<value>.*)' is not a date", "not_a_date"),
        (r"^(?P<end>\S+) is before (?P<start>\S+)$", "period_reversed"),
        (r"^overlaps the period '(?P<other>.*?)'", "period_overlap"),
        (r"^holds a hidden character", "hidden_character"),
        (r"^no opening hours on any day$", "no_hours"),
        (r"^no counter is defined", "no_counter"),
        (r"^'(?P<value>.*)' is not a time zone of Indonesia", "not_a_time_zone"),
        (r"^'(?P<value>.*)' is not a province of Indonesia", "not_a_province"),
        (r"^'.*': write it as 'Kabupaten Tegal' or 'Kota Tegal'$", "not_a_regency"),
        (r"^'(?P<value>.*)' is not a kind of agency", "not_an_agency_kind"),
        (r"^'(?P<value>.*)' is not a zone of any counter", "unknown_zone"),
        (r"^'(?P<value>.*)' is not an agency of this site", "unknown_agency"),
        (r"^'(?P<value>.*)' cannot be spoken: (?P<marks>.+) has no sound", "unspeakable"),
        (r"^'(?P<value>.*)' cannot be spoken: .*has nothing to say", "nothing_to_say"),
        (r"^'(?P<value>.*)' cannot be spoken", "cannot_be_spoken"),
        (r"^names an environment variable;", "environment_reference"),
        (r"^is more than one line", "one_line"),
        (r"^'(?P<value>.*)' holds '(?P<char>.*?)', which a printed slip cannot print", "not_printable"),
        (r"^begins or ends with a space", "edge_space"),
        (r"^is (?P<length>\d+) characters long: a Wi-Fi password has (?P<low>\d+) to (?P<high>\d+)", "wifi_password"),
        (r"^needs site\.wifi", "wifi_password_alone"),
    )
)
# Problems of the whole configuration: said without the place ("agencies" is every agency, not one).
_WHOLE = frozenset({"no_counter"})

# The place: each step of the path as the page names it ("agencies[0 "x"]" -> the agency x).
_STEP = re.compile(r'(?P<key>[a-z_]+)(\[(?:\d+ )?"?(?P<name>[^"\]]*)"?\])?')


def problem_text(
    problem: str, lang: str, catalogue: Mapping[str, Mapping[str, Mapping[str, str]]], names: Names | None = None
) -> str:
    """`problem` in `lang`'s words; `catalogue`: messages.toml's sections (common/messages.catalogue()); `names`: the
    configuration's names (`names_in`), without which entries are named by their codes."""
    names = names or {}
    where, sep, why = problem.partition(": ")
    if not sep:
        return problem
    place = ", ".join(_place(where, lang, catalogue.get("field", {}), names))
    for pattern, key in _WHY:
        found = pattern.match(why)
        sentence = catalogue.get("problem", {}).get(key) if found else None
        if found and sentence:
            params = {k: _time_words(v, lang) for k, v in found.groupdict().items() if v is not None}
            for part, kind in _NAMED.get(key, {}).items():
                params[part] = names.get(kind, {}).get(params[part], params[part])
            said = sentence[lang].format(**params)
            return f"{place}: {said}" if place and key not in _WHOLE else said
    return f"{place}: {why}" if place else why


def names_in(document: Any) -> dict[str, dict[str, str]]:
    """The names of a configuration document's agencies (the short name, as the kiosk and the page show them),
    services, counters and screens, by code; an entry without a usable name (the one at fault, say) is left out."""
    names: dict[str, dict[str, str]] = {"agencies": {}, "services": {}, "counters": {}, "screens": {}}
    if not isinstance(document, dict):
        return names

    def entries(value: Any) -> list[dict[str, Any]]:
        return (
            [v for v in value if isinstance(v, dict) and isinstance(v.get("id"), str)]
            if isinstance(value, list)
            else []
        )

    def name(entry: dict[str, Any], *keys: str, default: str | None = None) -> str | None:
        for key in keys:
            if isinstance(entry.get(key), str) and entry[key].strip():
                return " ".join(entry[key].split())
        return default

    for agency in entries(document.get("agencies")):
        if said := name(agency, "short_name", "name"):
            names["agencies"][agency["id"]] = said
        for kind in ("services", "counters"):
            for entry in entries(agency.get(kind)):
                default = f"Loket {entry['id']}" if kind == "counters" else None  # as the site file's default
                if said := name(entry, "name", default=default):
                    names[kind][entry["id"]] = said
    for screen in entries(document.get("screens")):
        names["screens"][screen["id"]] = name(screen, "name", default=screen["id"]) or screen["id"]
    return names


def _place(where: str, lang: str, fields: Mapping[str, Mapping[str, str]], names: Names) -> list[str]:
    words: list[str] = []
    for step in _STEP.finditer(where):
        key, name = step.group("key"), step.group("name")
        if key == "site":  # the site's own step says nothing on its own page: "jam buka, Senin"
            continue
        label = fields[key][lang] if key in fields else key
        if name and name in names.get(key, {}):
            name = names[key][name]
            # "Loket 1", "Layar lobi utama": the name says already what it is
            if any(name.casefold().startswith(f"{word.casefold()} ") for word in fields.get(key, {}).values()):
                words.append(name)
                continue
        words.append(f"{label} {name}".strip() if name else label)
    return words


def _time_words(value: str, lang: str) -> str:
    """'07:30-16:00' in Indonesian is "07.30-16.00"."""
    return re.sub(r"(\d\d):(\d\d)", r"\1.\2", value) if lang == "id" else value
