"""A problem of a configuration as a person reads it on the Settings page. settings/sitefile.py names each problem by
its place in the site file and says what is wrong in English, for check-site and the server's log:
`agencies[0 "disdukcapil"].services[5 "ktp_hilang"].prefix: 'A' is already used by service 'ktp'`. Here the place
becomes the page's words ("Layanan ktp_hilang, awalan nomor") and the problems an administrator can make with the
page's forms are said in Indonesian or English ([problem] of messages.toml). A problem of another kind keeps its
English words after the place's."""

from __future__ import annotations

import re
from collections.abc import Mapping

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
        (r"^'(?P<value>.*)' is not a zone of any counter", "unknown_zone"),
        (r"^'(?P<value>.*)' is not an agency of this site", "unknown_agency"),
        (r"^'(?P<value>.*)' cannot be spoken: (?P<marks>.+) has no sound", "unspeakable"),
        (r"^'(?P<value>.*)' cannot be spoken: .*has nothing to say", "nothing_to_say"),
        (r"^'(?P<value>.*)' cannot be spoken", "cannot_be_spoken"),
    )
)
# Problems of the whole configuration: said without the place ("agencies" is every agency, not one).
_WHOLE = frozenset({"no_counter"})

# The place: each step of the path as the page names it ("agencies[0 "x"]" -> the agency x).
_STEP = re.compile(r'(?P<key>[a-z_]+)(\[(?:\d+ )?"?(?P<name>[^"\]]*)"?\])?')


def problem_text(problem: str, lang: str, catalogue: Mapping[str, Mapping[str, Mapping[str, str]]]) -> str:
    """`problem` in `lang`'s words; `catalogue`: messages.toml's sections (common/messages.catalogue())."""
    where, sep, why = problem.partition(": ")
    if not sep:
        return problem
    place = ", ".join(_place(where, lang, catalogue.get("field", {})))
    for pattern, key in _WHY:
        found = pattern.match(why)
        sentence = catalogue.get("problem", {}).get(key) if found else None
        if found and sentence:
            params = {k: _time_words(v, lang) for k, v in found.groupdict().items() if v is not None}
            said = sentence[lang].format(**params)
            return f"{place}: {said}" if place and key not in _WHOLE else said
    return f"{place}: {why}" if place else why


def _place(where: str, lang: str, fields: Mapping[str, Mapping[str, str]]) -> list[str]:
    words: list[str] = []
    for step in _STEP.finditer(where):
        key, name = step.group("key"), step.group("name")
        if key == "site":  # the site's own step says nothing on its own page: "jam buka, Senin"
            continue
        label = fields[key][lang] if key in fields else key
        words.append(f"{label} {name}".strip() if name else label)
    return words


def _time_words(value: str, lang: str) -> str:
    """'07:30-16:00' in Indonesian is "07.30-16.00"."""
    return re.sub(r"(\d\d):(\d\d)", r"\1.\2", value) if lang == "id" else value
