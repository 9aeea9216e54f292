"""The free texts of a configuration document (the site file's structure, docs/site-file.md) that a lobby screen, the
kiosk, a page, a slip or the logs show: the one list of them. The mall's server refuses a configuration where one
names a citizen (settings/sitefile.py, the same check as the running text's); a mirror withholds them from a
configuration an earlier release accepted (domain/relay.configuration_withheld). Both read this list, so that what
one refuses the other withholds."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ShownText:
    """One free text: its place as the site file's problems name it (`agencies[0 "disdukcapil"].counters[2 "3"]
    .name`, common/problems.py says it in words), what it is (`kind`), the table holding it and its key there."""

    place: str
    kind: str
    text: str
    table: dict[str, Any]
    key: str
    position: int = 0  # the entry's in its list (a period's, a counter's in its agency's), 0 for the site's texts


# Every kind, in the order `shown_texts` gives them.
KINDS = (
    "site.name", "site.running_text", "site.regency", "site.wifi", "site.wifi_password", "period.name",
    "holiday.name", "announcements.template_id", "announcements.template_en", "agency.name", "agency.short_name",
    "service.name", "counter.name", "counter.zone", "screen.name",
)  # fmt: skip


def entry_step(index: int, table: dict[str, Any]) -> str:
    """An entry of a list in a place: its position and, when it has one, its id (`services[1 "kk"]`), so a person
    finds it in a file of 28 services without counting."""
    entry_id = table.get("id")
    return f'{index} "{entry_id}"' if isinstance(entry_id, str) and entry_id and len(entry_id) <= 40 else str(index)


def shown_texts(document: Any) -> Iterator[ShownText]:
    """Each free text of `document` that is a string, in the document's order (a mistyped one, not a string, is the
    site file's checks' to refuse); the tables are the document's own, so a caller may change them."""
    if not isinstance(document, dict):
        return
    site = document.get("site")
    if isinstance(site, dict):
        for key in ("name", "running_text", "regency", "wifi", "wifi_password"):
            yield from _text(site, key, f"site.{key}", f"site.{key}")
        hours = site.get("hours")
        for i, period in _entries(hours.get("periods") if isinstance(hours, dict) else None):
            yield from _text(period, "name", f"site.hours.periods[{i}].name", "period.name", i)
        names = hours.get("holiday_names") if isinstance(hours, dict) else None
        if isinstance(names, dict):  # the kiosk says them ("tutup: Hari Natal")
            for day in list(names):
                yield from _text(names, day, f"site.hours.holiday_names.{day}", "holiday.name")
    announcements = document.get("announcements")
    if isinstance(announcements, dict):
        for key in ("template_id", "template_en"):
            yield from _text(announcements, key, f"announcements.{key}", f"announcements.{key}")
    agencies = list(_entries(document.get("agencies")))
    for i, agency in agencies:
        where = f"agencies[{entry_step(i, agency)}]"
        yield from _text(agency, "name", f"{where}.name", "agency.name")
        yield from _text(agency, "short_name", f"{where}.short_name", "agency.short_name")
        for j, service in _entries(agency.get("services")):
            yield from _text(service, "name", f"{where}.services[{entry_step(j, service)}].name", "service.name")
    for i, agency in agencies:  # counters after every agency's services, as the site file reads them
        where = f"agencies[{entry_step(i, agency)}]"
        for j, counter in _entries(agency.get("counters")):
            cwhere = f"{where}.counters[{entry_step(j, counter)}]"
            yield from _text(counter, "name", f"{cwhere}.name", "counter.name")
            yield from _text(counter, "zone", f"{cwhere}.zone", "counter.zone")
    for i, screen in _entries(document.get("screens")):
        yield from _text(screen, "name", f"screens[{entry_step(i, screen)}].name", "screen.name")


def _text(table: dict[str, Any], key: str, place: str, kind: str, position: int = 0) -> Iterator[ShownText]:
    value = table.get(key)
    if isinstance(value, str):
        yield ShownText(place, kind, value, table, key, position)


def _entries(value: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    """The tables of a list with their positions in it (what is not a table keeps its position, unnamed)."""
    for i, entry in enumerate(value if isinstance(value, list) else []):
        if isinstance(entry, dict):
            yield i, entry
