"""Reports over a day or a range of local days: per agency, service, counter and operator, the tickets and what
became of them, wait and service times (mean and percentiles, as domain/measures.py defines them), and arrivals
by local hour. Read from the ticket projection on the reader connection; nothing here writes."""

from __future__ import annotations

import csv
import io
import weakref
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from queue_server.application import validation as v
from queue_server.common.plaintext import spreadsheet_row
from queue_server.domain.catalogue import Site
from queue_server.domain.measures import Tally, local_day_hour, service_seconds, wait_seconds
from queue_server.domain.model import TicketState
from queue_server.domain.refusal import Refusal
from queue_server.live import wire
from queue_server.persistence.port import StoragePort
from queue_server.persistence.rows import Leg

MAX_DAYS = 366  # a year, leap day included: longer ranges are refused rather than left to run for minutes
GROUPS = ("agency", "service", "counter", "operator")


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @property
    def end_exclusive(self) -> date:
        return self.end + timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def to_dict(self) -> dict[str, Any]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat(), "days": self.days}


def day_param(query: Mapping[str, str], key: str, default: date) -> date:
    text = query.get(key)
    if text is None or text == "":
        return default
    return v.day(text, key)


def parse_period(query: Mapping[str, str], today: date) -> Period:
    """`from` and `to` (inclusive, local days; both default to today), refusing a reversed or too long range."""
    start = day_param(query, "from", today)
    end = day_param(query, "to", start if query.get("from") else today)
    return checked_period(start, end)


def checked_period(start: date, end: date) -> Period:
    """The period start..end, refusing a reversed or too long range."""
    if end < start:
        raise Refusal("period_reversed", start=start, end=end, details={"field": "to"})
    period = Period(start, end)
    if period.days > MAX_DAYS:
        raise Refusal(
            "period_too_long", max_days=MAX_DAYS, days=period.days, details={"field": "to", "max_days": MAX_DAYS}
        )
    return period


def agency_filter(site: Site, query: Mapping[str, str]) -> str | None:
    agency = query.get("agency") or None
    if agency is not None and agency not in site.agencies:
        raise Refusal("unknown_agency", agency=agency[:40], site=site.name, details={"field": "agency"})
    return agency


async def load_legs(storage: StoragePort, site_id: str, period: Period, agency: str | None) -> list[Leg]:
    with storage.unhurried():  # a year of a busy mall is slow by nature: not cut at a request's deadline
        return await storage.report_legs(site_id, period.start, period.end, agency)


def build(site: Site, period: Period, legs: list[Leg], agency: str | None, now: datetime) -> dict[str, Any]:
    """The report as JSON-ready data: every duration in seconds."""
    total = Tally()
    groups: dict[str, dict[str, Tally]] = {g: {} for g in GROUPS}
    by_hour = [0] * 24
    by_day: dict[date, dict[str, int]] = {}
    by_day_hour: dict[tuple[date, int], int] = {}
    at_agency: dict[str, Arrivals] = {}
    came = Arrivals()
    day = period.start
    while day <= period.end:
        by_day[day] = {"arrivals": 0, "served": 0}
        day += timedelta(days=1)
    tz = site.tz
    for leg in legs:
        # Each leg's times are worked out once, then counted in every group it belongs to.
        wait, service = wait_seconds(leg, leg.transferred_at), service_seconds(leg)
        total.add(leg.state, wait, service)
        for group, key in (("agency", leg.agency), ("service", leg.service), ("counter", leg.counter),
                           ("operator", leg.operator)):  # fmt: skip
            if key is not None:
                tally = groups[group].get(key)
                if tally is None:
                    tally = groups[group][key] = Tally()
                tally.add(leg.state, wait, service)
        if arrival(leg, leg.agency) is not None:  # at its agency (the agency's row)
            at_agency[leg.agency] = at_agency.get(leg.agency, Arrivals()).add(leg.parent is not None)
        arrived = arrival(leg, agency)  # at what the report is of (its totals and charts)
        if arrived is not None:
            came = came.add(leg.parent is not None)
            local_day, hour = local_day_hour(arrived, tz)
            by_hour[hour] += 1
            by_day_hour[(local_day, hour)] = by_day_hour.get((local_day, hour), 0) + 1
            if local_day in by_day:
                by_day[local_day]["arrivals"] += 1
        if leg.state is TicketState.DONE and leg.finished_at is not None:
            finished_day = leg.finished_at.astimezone(tz).date()
            if finished_day in by_day:
                by_day[finished_day]["served"] += 1
    return {
        "site": site.id,
        "site_name": site.name,
        "timezone": site.timezone,
        "period": period.to_dict(),
        "agency": agency,
        "generated_at": wire.local_iso(now, site),
        "totals": {**total.summary(), **came.view()},
        "by_agency": _rows(
            groups["agency"], lambda k: {**_agency_fields(site, k), **at_agency.get(k, Arrivals()).view()}
        ),
        "by_service": _rows(groups["service"], lambda k: _service_fields(site, k)),
        "by_counter": _rows(groups["counter"], lambda k: _counter_fields(site, k)),
        "by_operator": _rows(groups["operator"], lambda k: {"name": k}),
        "arrivals": {
            "by_hour": by_hour,
            "by_day": [{"day": d.isoformat(), **v} for d, v in by_day.items()],
            "by_day_hour": [{"day": d.isoformat(), "hour": h, "count": n} for (d, h), n in sorted(by_day_hour.items())],
        },
    }


@dataclass(frozen=True)
class Arrivals:
    """Citizens who came to an agency (or the mall): those who took its ticket, and those transferred in from
    another agency (counted at the agency they went to, not at the mall: the mall's total is the direct ones)."""

    direct: int = 0
    transferred_in: int = 0

    def add(self, transferred: bool) -> Arrivals:
        return Arrivals(self.direct + (not transferred), self.transferred_in + transferred)

    def view(self) -> dict[str, int]:
        return {"citizens": self.direct + self.transferred_in, "transferred_in": self.transferred_in}


def arrival(leg: Leg, agency: str | None) -> datetime | None:
    """When the leg's citizen arrived at what the report is of (None: no arrival). A citizen arrives at the mall by
    taking a ticket; at an agency also by a transfer from another agency, at the moment of the transfer. A transfer
    within the agency, or between agencies in a report of the whole mall, is the same citizen already counted."""
    if leg.parent is None:
        return leg.issued_at
    if agency is not None and leg.parent_agency not in (None, leg.agency):
        return leg.transferred_at or leg.issued_at
    return None


def _rows(tallies: dict[str, Tally], fields: Any) -> list[dict[str, Any]]:
    return [{"id": key, **fields(key), **tallies[key].summary()} for key in sorted(tallies, key=_natural)]


def _natural(key: str) -> tuple[int, str]:
    """Counters "2" before "10"; names alphabetically."""
    return (int(key), "") if key.isdigit() else (1 << 30, key)


def _agency_fields(site: Site, key: str) -> dict[str, Any]:
    agency = site.agencies.get(key)
    return {"name": agency.short_name if agency else key}


def _service_fields(site: Site, key: str) -> dict[str, Any]:
    service = site.services.get(key)
    if service is None:  # a service removed from the site file since: still reported, by id
        return {"name": key, "agency": None, "target_wait_minutes": None}
    return {"name": service.name, "agency": service.agency, "target_wait_minutes": service.target_wait_minutes}


def _counter_fields(site: Site, key: str) -> dict[str, Any]:
    counter = site.counters.get(key)
    return {"name": counter.name if counter else key, "agency": counter.agency if counter else None}


# The report page asks for a report and its charts at once: they share one computation while nothing was written
# since (the log's last seq is the version). A few entries per database; dropped with its Storage.
_cache: weakref.WeakKeyDictionary[StoragePort, OrderedDict[tuple[Any, ...], tuple[int, dict[str, Any]]]]
_cache = weakref.WeakKeyDictionary()
CACHE_ENTRIES = 8


async def report(storage: StoragePort, site: Site, period: Period, agency: str | None, now: datetime) -> dict[str, Any]:
    entries = _cache.setdefault(storage, OrderedDict())
    key, version = (site.id, period, agency), storage.last_seq
    cached = entries.get(key)
    if cached is not None and cached[0] == version:
        entries.move_to_end(key)
        return cached[1]
    data = build(site, period, await load_legs(storage, site.id, period, agency), agency, now)
    if storage.last_seq == version:  # nothing was written while the legs were read
        entries[key] = (version, data)
        while len(entries) > CACHE_ENTRIES:
            entries.popitem(last=False)
    return data


# --- CSV -----------------------------------------------------------------------------------------------------

CSV_COLUMNS = (
    "group", "id", "name", "tickets", "served", "no_show", "cancelled", "transferred", "expired", "open",
    "wait_mean_min", "wait_p50_min", "wait_p90_min", "service_mean_min", "service_p50_min", "service_p90_min",
    "citizens", "citizens_transferred_in",
)  # fmt: skip


def _minutes(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds / 60:.2f}"


def to_csv(data: dict[str, Any]) -> str:
    """Every group's rows, then the totals, then arrivals per local day and hour; durations in minutes."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    rows = [(g, r) for g in GROUPS for r in data[f"by_{g}"]] + [("total", {"id": "", "name": "", **data["totals"]})]
    for group, row in rows:
        writer.writerow(spreadsheet_row([
            group, row["id"], row["name"], row["tickets"], row["served"], row["no_show"], row["cancelled"],
            row["transferred"], row["expired"], row["open"], _minutes(row["wait"]["mean"]),
            _minutes(row["wait"]["p50"]), _minutes(row["wait"]["p90"]), _minutes(row["service"]["mean"]),
            _minutes(row["service"]["p50"]), _minutes(row["service"]["p90"]),
            row.get("citizens", ""), row.get("transferred_in", ""),  # arrivals: per agency and in total only
        ]))  # fmt: skip
    writer.writerow([])
    writer.writerow(("arrivals_day", "hour", "arrivals"))
    for cell in data["arrivals"]["by_day_hour"]:
        writer.writerow((cell["day"], f"{cell['hour']:02d}:00", cell["count"]))
    return out.getvalue()
