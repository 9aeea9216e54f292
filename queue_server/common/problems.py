"""A problem of a configuration as a person reads it on the Settings page. settings/sitefile.py names each problem by
its place in the site file and says what is wrong in English, for check-site and the server's log:
`agencies[0 "disdukcapil"].services[5 "ktp_hilang"].prefix: 'A' is already used by service 'ktp'`. Here the place
becomes the page's words ("Layanan ktp_hilang, awalan nomor") and every problem a configuration can have (from the
page's forms, or from a document sent to the API) is said wholly in Indonesian or wholly in English ([problem] and
[site_field] of messages.toml); a text the problem quotes (a name or a code typed) is shown as typed, in either.
Given the configuration's names (`names_in`), an agency, a service, a counter or a screen is named as the page shows
it ("Layanan KTP Elektronik", "instansi Polres"), not by its code."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from queue_server.common import plaintext
from queue_server.common.dates import format_date

# Per kind of entry ("agencies", "services", "counters", "screens"): code -> the name a person knows it by.
Names = Mapping[str, Mapping[str, str]]

# What a part of a sentence names, when it is an entry's code: said by the entry's name.
_NAMED = {
    "prefix_taken": {"other": "services"},
    "other_agency_service": {"value": "services", "other": "agencies"},
}

# What is wrong: the catalogue's key and the parts the sentence names, for every problem settings/sitefile.py (and
# application/configuration.py, application/announcements.py) can name, so that a problem reads wholly in the page's
# language; `«value»` and `«other»` stand for a text the problem quotes (with ' or ", as Python's repr chose), said
# without its quotes. The first pattern that matches says it.
_QUOTED = {
    "«value»": r"""(?P<_qv>['"])(?P<value>.*)(?P=_qv)""",
    "«other»": r"""(?P<_qo>['"])(?P<other>.*?)(?P=_qo)""",
    "«char»": r"""(?P<_qc>['"])(?P<char>.*?)(?P=_qc)""",
}


def _pattern(text: str) -> re.Pattern[str]:
    for mark, group in _QUOTED.items():
        text = text.replace(mark, group)
    return re.compile(text)


# How a text naming a citizen is refused (settings/sitefile.py, messages.toml's problem.personal_shown) begins.
PERSONAL_SHOWN = "holds a citizen's "

_WHY: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (_pattern(pattern), key)
    for pattern, key in (
        (r"^«value» is already used by service «other»", "prefix_taken"),
        (r"^«value» is used twice$", "used_twice"),
        (r"^(?P<day>\d{4}-\d{2}-\d{2}) is listed twice$", "day_twice"),
        (r"^(?P<day>\d{4}-\d{2}-\d{2}) is not one of the holidays", "holiday_name_alone"),
        (r"^is required with a gateway", "public_url_needed"),
        (r"^is required", "required"),
        (r"^must be a non-empty string$", "required"),
        (r"^must be a string$", "text"),
        (r"^must be a list of strings$", "list_of_texts"),
        (r"^must be a list of tables", "list_of_entries"),
        (r"^must be a list of dates", "list_of_dates"),
        (r"^must be a date like (?P<example>\S+)$", "date_needed"),
        (r"^must be a table of names and texts", "table_of_texts"),
        (r"^must be a table(?::|, e\.g\.) (?P<example>.+)$", "table_like"),
        (r"^must be a table", "table"),
        (r"^must be true or false$", "true_or_false"),
        (r"^must be a text containing \{ticket\} and \{counter\}", "template_placeholders"),
        (r"^must contain \{text\} and \{phone\}", "gateway_placeholders"),
        (r"^bad announcement template ", "template_fields"),
        (r"^must be an http:// or https:// address", "not_an_address"),
        (r"^must be the site file as a JSON object", "not_a_document"),
        (r"^must stay «value»", "site_id_stays"),
        (r"^must be one kind of agency", "agency_kind_text"),
        (r"^(?:«value» )?must be '(?P<first>[^']*)' or '(?P<second>[^']*)'$", "one_of_two"),
        (r"^.* must be \['id'\] or \['id', 'en'\]", "languages"),
        (r"^must be a range like '(?P<example>[^']*)'", "range_needed"),
        (r"^unknown setting here: a day's hours belong under (?P<home>\S+)", "day_hours_elsewhere"),
        (r"^unknown setting here: (?P<key>\w+) belongs under (?P<home>\S+)", "setting_elsewhere"),
        (r"^unknown setting \(allowed: (?P<allowed>[^)]*)", "unknown_setting"),
        (r"^a \[site\] table is required", "site_table"),
        (r"^at least one \[\[agencies\]\] entry is required", "no_agency"),
        (r"^the minutes each counter pauses are needed \((?P<low>\d+)-(?P<high>\d+)\)", "break_minutes"),
        (r"^names the environment variable (?P<variable>\S+), which is not set", "variable_not_set"),
        (r"^is not a valid header name", "header_name"),
        (
            r"^holds a line break or another control character \(from its environment variable\)",
            "header_control_variable",
        ),
        (r"^holds a line break or another control character", "header_control"),
        (r"^«value» is not valid \(lower-case letters, digits, - and _\)", "not_a_code"),
        (r"^«value» is not valid \(letters, digits, - and _\)", "not_a_counter_code"),
        (r"^«value» is not valid \(use #rrggbb\)", "not_a_colour"),
        (r"^«value» is not valid \(1-3 capital letters\)", "not_a_prefix"),
        (r"^a counter must serve at least one service$", "counter_without_service"),
        (r"^lists a service twice$", "service_twice"),
        (r"^«value» is also the name of counter «other»", "counter_name_taken"),
        (r"^«value» is a service of agency «other»", "other_agency_service"),
        (r"^«value» is not a service of this site$", "unknown_service"),
        (r"^is (?P<length>\d+) characters long, at most (?P<most>\d+)$", "too_long"),
        (r"^must be a whole number from (?P<low>-?\d+) to (?P<high>\d+)", "whole_number"),
        (r"^must be a number from (?P<low>-?[\d.]+) to (?P<high>[\d.]+)", "number_range"),
        (r"^must be whole or a half", "whole_or_half"),
        (r"^(?P<value>\d+) is more than the daily_quota \((?P<quota>\d+)\)", "online_over_daily"),
        (r"^«value» is not a (valid time )?range", "not_a_range"),
        (r"^«value» ends before it starts$", "range_reversed"),
        (r"^ranges overlap at (?P<at>\d\d:\d\d)", "ranges_overlap"),
        (r"^«value» is not a date", "not_a_date"),
        (r"^(?P<end>\S+) is before (?P<start>\S+)$", "period_reversed"),
        (r"^overlaps the period «other»", "period_overlap"),
        (r"^holds a hidden character", "hidden_character"),
        (rf"^{PERSONAL_SHOWN}(?P<kinds>[a-zA-Z ,-]+): ", "personal_shown"),
        (r"^no opening hours on any day$", "no_hours"),
        (r"^no counter is defined", "no_counter"),
        (r"^«value» is not a time zone of Indonesia", "not_a_time_zone"),
        (  # WIB's two names: 'Asia/Jakarta' or 'Asia/Pontianak' (domain/provinces.py)
            r"^(?P<province>.+) uses (?P<zone>WIB|WITA|WIT): timezone must be '(?P<value>[^']*)' "
            r"or '(?P<second>[^']*)', not «other»$",
            "province_zone_two",
        ),
        (r"^(?P<province>.+) uses (?P<zone>WIB|WITA|WIT): timezone must be «value», not «other»$", "province_zone"),
        (r"^«value» is not a province of Indonesia", "not_a_province"),
        (r"^«value»: write it as 'Kabupaten Tegal' or 'Kota Tegal'$", "not_a_regency"),
        (r"^«value» is not a kind of agency", "not_an_agency_kind"),
        (r"^«value» is not a zone of any counter", "unknown_zone"),
        (r"^«value» is not an agency of this site", "unknown_agency"),
        (r"^«value» cannot be spoken: (?P<marks>.+) has no sound", "unspeakable"),
        (r"^«value» cannot be spoken: .*has nothing to say", "nothing_to_say"),
        (r"^«value» cannot be spoken", "cannot_be_spoken"),
        (r"^names an environment variable;", "environment_reference"),
        (r"^is more than one line", "one_line"),
        (r"^«value» holds «char», which a printed slip cannot print", "not_printable"),
        (r"^begins or ends with a space", "edge_space"),
        (r"^is (?P<length>\d+) characters long: a Wi-Fi password has (?P<low>\d+) to (?P<high>\d+)", "wifi_password"),
        (r"^needs site\.wifi", "wifi_password_alone"),
    )
)
# Problems of the whole configuration: said without the place ("agencies" is every agency, not one).
_WHOLE = frozenset({"no_counter", "no_agency", "site_table", "province_zone", "province_zone_two"})

# The place: each step of the path as the page names it ("agencies[0 "x"]" and "counters["1"]" -> the agency x, the
# counter 1; "agencies[2]", an entry without a usable code, -> the third agency). A key is anything between dots (a
# gateway header's name too).
_STEP = re.compile(r'(?P<key>[^.\[\]]+)(\[(?P<index>\d+)? ?(?:"(?P<name>[^"]*)")?\])?')


def problem_text(
    problem: str, lang: str, catalogue: Mapping[str, Mapping[str, Mapping[str, str]]], names: Names | None = None
) -> str:
    """`problem` in `lang`'s words; `catalogue`: messages.toml's sections (common/messages.catalogue()); `names`: the
    configuration's names (`names_in`), without which entries are named by their codes."""
    names = names or {}
    where, sep, why = problem.partition(": ")
    if not sep:
        return problem
    fields = {**catalogue.get("field", {}), **catalogue.get("site_field", {})}
    place = ", ".join(_place(where, lang, fields, names))
    for pattern, key in _WHY:
        found = pattern.match(why)
        sentence = catalogue.get("problem", {}).get(key) if found else None
        if found and sentence:
            params = {k: _number_words(v, lang) for k, v in found.groupdict().items() if v is not None and k[0] != "_"}
            if "day" in params:  # a date as the page's language writes it
                params["day"] = format_date(params["day"], lang)
            if "kinds" in params:  # "NIK and name" -> "NIK dan nama warga"
                params["kinds"] = personal_kinds(_kinds_of(params["kinds"], catalogue), lang, catalogue)
            for part, kind in _NAMED.get(key, {}).items():
                params[part] = names.get(kind, {}).get(params[part], params[part])
            said = sentence[lang].format(**params)
            return f"{place}: {said}" if place and key not in _WHOLE else said
    return f"{place}: {why}" if place else why


def personal_kinds(kinds: Iterable[object], lang: str, catalogue: Mapping[str, Mapping[str, Mapping[str, str]]]) -> str:
    """The kinds of personal data found in a shown text ("nik", "name": common/plaintext.PERSONAL_KINDS) as a refusal
    says them: "NIK dan nama warga", "a citizen's NIK and name"; never the text itself."""
    words = catalogue.get("personal_kind", {})
    said = [words.get(str(kind), {}).get(lang, str(kind)) for kind in kinds] or ["?"]
    joined = said[0] if len(said) == 1 else f"{', '.join(said[:-1])} {'dan' if lang == 'id' else 'and'} {said[-1]}"
    return f"{joined} warga" if lang == "id" else f"a citizen's {joined}"


def _kinds_of(said: str, catalogue: Mapping[str, Mapping[str, Mapping[str, str]]]) -> list[str]:
    """The kinds of personal data an English problem names ("NIK, phone number and name") as their codes."""
    codes = {words["en"]: code for code, words in catalogue.get("personal_kind", {}).items()}
    return [codes.get(part.strip(), part.strip()) for part in re.split(r", | and ", said)]


def place_text(where: str, lang: str, catalogue: Mapping[str, Mapping[str, Mapping[str, str]]], names: Names) -> str:
    """A place of a configuration (`agencies[0 "disdukcapil"].counters[0 "1"].name`) in `lang`'s words, as a
    problem names it ("Loket 1, nama")."""
    fields = {**catalogue.get("field", {}), **catalogue.get("site_field", {})}
    return ", ".join(_place(where, lang, fields, names))


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
        for key in keys:  # a name that names a citizen is refused, never repeated: the entry goes by its code
            if isinstance(entry.get(key), str) and entry[key].strip() and not plaintext.personal_shown(entry[key]):
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
        key, name, index = step.group("key"), step.group("name"), step.group("index")
        if key == "site" and index is None:  # the site's own step says nothing on its own page: "jam buka, Senin"
            continue
        label = fields[key][lang] if key in fields else key
        if index is not None and not name:  # an entry without a usable code: by its place in the list
            words.append(f"{label} ke-{int(index) + 1}" if lang == "id" else f"{label} no. {int(index) + 1}")
            continue
        if name and name in names.get(key, {}):
            name = names[key][name]
            # "Loket 1", "Layar lobi utama": the name says already what it is
            if any(name.casefold().startswith(f"{word.casefold()} ") for word in fields.get(key, {}).values()):
                words.append(name)
                continue
        words.append(f"{label} {name}".strip() if name else label)
    return words


def _number_words(value: str, lang: str) -> str:
    """Times and decimals as Indonesian writes them: '07:30-16:00' is "07.30-16.00", 0.5 is "0,5"."""
    if lang != "id":
        return value
    if re.fullmatch(r"-?\d+\.\d+", value):
        return value.replace(".", ",")
    return re.sub(r"(\d\d):(\d\d)", r"\1.\2", value)
