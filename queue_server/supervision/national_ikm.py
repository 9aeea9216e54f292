"""The ministry's IKM report across malls: the satisfaction index (PermenPANRB 14/2017) of a period per mall, per
province or per kind of agency (domain/agency_kinds.py), each with its nine elements (NRR U1-U9), its grade, its
respondents and whether they reach the sample the citizens served call for. docs/supervisor.md, "The ministry's
IKM report".

Every figure is computed from summed answers (skm.from_sums), so a group weighs its malls by their respondents, as
the national view's totals do. Per kind of agency, each mall's agencies count under the kind its site file gives
them; an agency with none is under "Belum digolongkan", and the report lists those agencies so that the ministry
can ask the malls to classify them (never guessed from a name: "pajak" is the national or the regional tax office).
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from queue_server.application.context import Context
from queue_server.common.plaintext import spreadsheet_row
from queue_server.domain import agency_kinds, provinces, skm
from queue_server.domain.catalogue import Site
from queue_server.domain.refusal import Refusal
from queue_server.live import wire
from queue_server.supervision.national import NO_PROVINCE, Filter, provinces_of
from queue_server.supervision.reports import Period
from queue_server.supervision.survey import result_view

GROUPS = ("site", "province", "kind")
SORTS = ("name", "ikm", "respondents")
READS_AT_ONCE = 16  # malls read together: a report over 305 malls does not queue 610 reads on the database at once


@dataclass
class _Group:
    id: str
    name: str
    name_en: str
    sites: set[str] = field(default_factory=set)
    count: int = 0
    sums: tuple[int, ...] = (0,) * len(skm.ELEMENTS)
    population: int = 0
    where: dict[str, Any] = field(default_factory=dict)  # a mall's province and regency (per mall only)
    per_site: dict[str, list[int]] = field(default_factory=dict)  # each mall's [respondents, citizens served]

    def add(self, site: str, count: int, sums: tuple[int, ...]) -> None:
        self.count += count
        self.sums = tuple(a + b for a, b in zip(self.sums, sums, strict=True))
        self.per_site.setdefault(site, [0, 0])[0] += count

    def served(self, site: str, count: int) -> None:
        self.population += count
        self.per_site.setdefault(site, [0, 0])[1] += count

    def view(self) -> dict[str, Any]:
        result = skm.from_sums(self.sums, self.count)
        return {"id": self.id, "name": self.name, "name_en": self.name_en, "sites": len(self.sites), **self.where,
                **result_view(result, self.population), **self.sample()}  # fmt: skip

    def sample(self) -> dict[str, Any]:
        """The regulation's sample is each mall's own (the survey is of a service unit, docs/supervisor.md): a group
        needs the sum of its malls' minimums, and is sufficient only when every mall that served citizens reaches
        its own. Worked out from the summed population instead, a province of three malls each below its minimum
        could read as enough. `sample_sites`: malls that served citizens; `sample_sites_sufficient`: of them, those
        reaching their own minimum."""
        served = [(answered, population) for answered, population in self.per_site.values() if population]
        if not served:
            return {"sample_sites": 0, "sample_sites_sufficient": 0}
        reached = sum(1 for answered, population in served if answered and answered >= skm.sample_needed(population))
        return {"sample_needed": sum(skm.sample_needed(population) for _, population in served),
                "sample_sufficient": reached == len(served), "sample_sites": len(served),
                "sample_sites_sufficient": reached}  # fmt: skip


def parse_group(query: Mapping[str, str]) -> tuple[str, str, str]:
    """`by` (site, province or kind; default site), `sort` (name, ikm or respondents; default ikm) and `order`."""
    by = query.get("by") or "site"
    if by not in GROUPS:
        raise Refusal("invalid_field.choice", choices=list(GROUPS), details={"field": "by"})
    sort = query.get("sort") or "ikm"
    if sort not in SORTS:
        raise Refusal("invalid_field.choice", choices=list(SORTS), details={"field": "sort"})
    order = query.get("order") or ("asc" if sort == "name" else "desc")
    if order not in ("asc", "desc"):
        raise Refusal("invalid_field.choice", choices=["asc", "desc"], details={"field": "order"})
    return by, sort, order


def _site_group(site: Site) -> tuple[str, str, str]:
    return site.id, site.name, site.name


def _province_group(site: Site) -> tuple[str, str, str]:
    province = provinces.BY_CODE.get(site.province or "")
    if province is None:
        return NO_PROVINCE, "Provinsi belum diisi", "No province given"
    return province.code, province.name, province.name_en


def _kind_group(site: Site, agency_id: str) -> tuple[str, str, str]:
    agency = site.agencies.get(agency_id)
    kind = agency_kinds.kind_of(agency.kind if agency else None)
    return kind.id or NO_PROVINCE, kind.name, kind.name_en


async def report(
    ctx: Context, sites: list[Site], period: Period, chosen: Filter, query: Mapping[str, str], now: datetime
) -> dict[str, Any]:
    """The report over `sites` (those the reader sees, the filter applied here)."""
    by, sort, order = parse_group(query)
    kept = [site for site in sites if chosen.keeps(site)]
    gate = asyncio.Semaphore(READS_AT_ONCE)

    async def read(site: Site) -> tuple[Site, list[Any], list[tuple[str, str, int]]]:
        # Reads wait their turn at the gate (300 malls, READS_AT_ONCE at a time): the deadline is each read's.
        async with gate:
            with ctx.storage.unhurried():
                sums = await ctx.storage.survey_sums(site.id, period.start, period.end, None, None)
                served = await ctx.storage.served_counts(site.id, period.start, period.end, None, None)
        return site, sums, served

    groups: dict[str, _Group] = {}
    whole = _Group("total", "Semua mal", "All malls")
    unclassified: dict[tuple[str, str], dict[str, Any]] = {}

    def group(site: Site, agency_id: str) -> _Group:
        key = (
            _site_group(site)
            if by == "site"
            else _province_group(site)
            if by == "province"
            else (_kind_group(site, agency_id))
        )
        found = groups.get(key[0])
        if found is None:
            found = groups[key[0]] = _Group(*key)
        found.sites.add(site.id)
        return found

    for site, sums, served in await asyncio.gather(*(read(site) for site in kept)):
        # Every group counts every mall in it, and has its row, with answers or not: a province's row counted only
        # its malls with some, so Riau's 7 malls read "3 mal" beside a total of every mall kept, and a province
        # with no answer at all (what the ministry must ask about) had no row.
        if by == "site":
            province = provinces.BY_CODE.get(site.province or "")
            group(site, "").where = {
                "province": province.name if province else None,
                "province_en": province.name_en if province else None,
                "regency": site.regency,
            }
        elif by == "province":
            group(site, "")
        else:
            for agency_id in site.agencies:
                group(site, agency_id)
        for row in sums:
            group(site, row.agency).add(site.id, row.respondents, row.sums)
            whole.add(site.id, row.respondents, row.sums)
            _note_unclassified(unclassified, site, row.agency, row.respondents)
        for _service, agency_id, count in served:
            group(site, agency_id).served(site.id, count)
            whole.served(site.id, count)
            _note_unclassified(unclassified, site, agency_id, 0)
    rows = [g.view() for g in groups.values()]
    return {
        "generated_at": wire.local_iso(now, None),
        "period": period.to_dict(),
        "by": by,
        "sort": sort,
        "order": order,
        "province": chosen.province,
        "q": chosen.search,
        "provinces": provinces_of(sites),  # what the page's filter offers: every province of the reader's malls
        "elements": [{"id": e.id, "name": e.name, "name_en": e.name_en} for e in skm.ELEMENTS],
        "rows": _sorted(rows, sort, order),
        "total": {**whole.view(), "sites": len(kept)},  # every mall kept, with answers or not
        "unclassified": sorted(unclassified.values(), key=lambda u: (u["site_name"].casefold(), u["agency"])),
    }


def _note_unclassified(found: dict[tuple[str, str], dict[str, Any]], site: Site, agency_id: str, count: int) -> None:
    """An agency answered for or served under no kind: listed so that its mall can be asked to give it one."""
    agency = site.agencies.get(agency_id)
    if agency is not None and agency.kind:
        return
    entry = found.setdefault((site.id, agency_id), {
        "site": site.id, "site_name": site.name, "agency": agency_id,
        "agency_name": agency.name if agency else agency_id, "respondents": 0})  # fmt: skip
    entry["respondents"] += count


def _sorted(rows: list[dict[str, Any]], sort: str, order: str) -> list[dict[str, Any]]:
    """By `sort`, then by name; a group without respondents comes last either way (it has no index to rank)."""
    by_name = sorted(rows, key=lambda row: (str(row["name"]).casefold(), row["id"]))
    if sort == "name":
        return by_name[::-1] if order == "desc" else by_name
    key = "score" if sort == "ikm" else "respondents"
    present = [row for row in by_name if row["respondents"]]
    absent = [row for row in by_name if not row["respondents"]]
    return sorted(present, key=lambda row: row[key], reverse=order == "desc") + absent


def to_csv(data: dict[str, Any]) -> str:
    """One line per group, then the total: respondents, NRR per element, the index (1-4) converted (25-100) with
    its grade, the citizens served, the sample they call for and whether it is reached, how many malls served
    citizens and how many of them reach their own sample; then the agencies no kind was given (by kind only)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    ids = [e["id"] for e in data["elements"]]
    writer.writerow([data["by"], "name", "sites", "respondents", *[f"nrr_{i}" for i in ids], "ikm", "ikm_converted",
                     "grade", "grade_name", "population", "sample_needed", "sample_sufficient", "sample_sites",
                     "sample_sites_sufficient"])  # fmt: skip
    for row in [*data["rows"], data["total"]]:
        figures = [""] * (len(ids) + 4)
        if row["respondents"]:
            figures = [*[f"{v:.4f}" for v in row["nrr"]], f"{row['ikm']:.4f}", f"{row['score']:.2f}",
                       row["grade"]["letter"], row["grade"]["name"]]  # fmt: skip
        writer.writerow(
            spreadsheet_row(
                [
                    row["id"],
                    row["name"],
                    row["sites"],
                    row["respondents"],
                    *figures,
                    row["population"],
                    row["sample_needed"],
                    int(row["sample_sufficient"]),
                    row["sample_sites"],
                    row["sample_sites_sufficient"],
                ]
            )
        )
    if data["by"] == "kind" and data["unclassified"]:
        writer.writerow([])
        writer.writerow(["unclassified_site", "site_name", "agency", "agency_name", "respondents"])
        for u in data["unclassified"]:
            writer.writerow(
                spreadsheet_row([u["site"], u["site_name"], u["agency"], u["agency_name"], u["respondents"]])
            )
    return out.getvalue()
