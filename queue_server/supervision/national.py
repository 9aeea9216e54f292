"""The national view, or a region's: one row per hosted mall the reader may see (an admin or a national account:
all of them; a regional account: its list), with the figures a ministry or a province watches, their totals, and
the rows sorted as asked; kept to a province or to the malls whose name holds a text (Filter, shared with the
ministry's IKM report, national_ikm.py), and as CSV. docs/supervisor.md, "The national view".

Per mall: people waiting now and the longest current wait, the services whose new tickets would be called after
closing (its dashboard's "Tiket baru" in red: a mall that needs another counter now), served today, counters open of
all, screens with no display connected of all, the services whose walk-in quota is spent today (the dashboard's
"quota spent" alerts: citizens arriving later get no number), the day's quota used (tickets issued today over the
daily quotas of the services that have one) and the IKM of a period. The live figures are the mall's own dashboard's
(`dashboard.headline`: the same definitions and the same running totals, without the per-counter detail), so the two
never disagree. The IKM is a database read per mall; it is kept `IKM_SECONDS` so that a page polling every five
seconds across 300 malls reads the survey table once a minute per mall, not per poll, and a read already under way is
shared by every request that wants it.

A mall mirrored here (its own server sends its log up) is "connected" only while its copy keeps up
(application/mirror_watch.py: a batch taken, or its box saying it has nothing more, within SYNC_STALE); otherwise its
row says since when its data is held back and why (refused, silent, its token revoked), and its figures are as of
its last sync. Where the mirror withholds a text of the mall's for naming a citizen (its dashboard's alert), the row
says so (`withheld`), with what the mall's admin does, never the text.

Totals: sums; the longest wait is the longest of all; quota used is issued over quota across the malls (not a
mean of percentages); the IKM is computed from the summed answers, so each mall weighs by its respondents; how many
mirrored malls are held back or cut off.
"""

from __future__ import annotations

import asyncio
import csv
import io
import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from queue_server.application.auth import Principal, sees_site, visible_sites
from queue_server.application.context import Context
from queue_server.application.mirror_watch import MirrorSeen
from queue_server.application.presence import Presence
from queue_server.common import messages
from queue_server.common.plaintext import spreadsheet_row
from queue_server.domain import provinces, skm
from queue_server.domain.catalogue import Site
from queue_server.domain.refusal import Refusal
from queue_server.domain.state import SiteState
from queue_server.live import wire
from queue_server.supervision import alerts
from queue_server.supervision.monitor import Monitor
from queue_server.supervision.reports import Period, checked_period, day_param

IKM_SECONDS = 60.0  # how long a mall's survey sums for a period are reused
IKM_CACHE_MAX = 4096  # (mall, period) entries kept at most; the oldest go first
LIVE_SECONDS = 1.0  # a mall's live figures are reused this long when nothing was committed there meanwhile
# A view over hundreds of busy malls: every mall changes every second, and its figures cost about a millisecond.
# A view recomputes changed malls, those with the oldest figures first, for at most REFRESH_BUDGET seconds; past
# it, a changed mall's figures up to STALE_SECONDS old are reused (older ones are recomputed anyway), and the
# event loop is given back every SLICE_SECONDS meanwhile. Three national pages open through a national peak hour
# at 5x took the commands' p99 from 32 ms to 3.1 s before this; 84-122 ms with it, 71-77 ms with rows made from
# dashboard.headline (bench/national_day.py --national-pages; a budget of 0.01 gave 192 ms: more rows outgrew
# STALE_SECONDS together).
REFRESH_BUDGET = 0.05
STALE_SECONDS = 5.0  # the page polls every 5 s
HEARD_SECONDS = 15.0  # how long the mirrored malls' uplink tokens and copies are read again (written every 10-30 s)
# A mirrored mall whose copy has not kept up for this long (no batch taken, and its box has not said that it has
# nothing more: a quiet box says so every minute) is behind: its row is red and its figures as of its last sync.
SYNC_STALE = timedelta(minutes=3)
SLICE_SECONDS = 0.005
SORTS = ("name", "province", "waiting", "longest_wait", "past_closing", "served_today", "counters_open", "screens_down",
         "quota_spent", "quota_used", "ikm")  # fmt: skip
ORDERS = ("asc", "desc")
DEFAULT_SORT = "waiting"

ELEMENTS = len(skm.ELEMENTS)


@dataclass(frozen=True)
class Box:
    """What the national view knows of a mirrored mall's own server (its box)."""

    heard_at: str | None = None  # its last call (its uplink tokens' last-seen time, revoked ones too), UTC ISO
    revoked_at: str | None = None  # every uplink token of the mall revoked: the last revocation, UTC ISO
    seen: MirrorSeen = MirrorSeen()  # when its copy last kept up, and the last refusal of its log


NO_PROVINCE = "-"  # the province filter's value for the malls whose site file names none
SEARCH_MAX = 80


@dataclass(frozen=True)
class Filter:
    """Which of the malls a reader sees a view or a report keeps."""

    province: str | None = None  # a province's code (domain/provinces.py), NO_PROVINCE, or None: every mall
    search: str = ""  # a part of the mall's name, its regency or its site id, any case

    def keeps(self, site: Site) -> bool:
        if self.province is not None and (site.province or NO_PROVINCE) != self.province:
            return False
        if not self.search:
            return True
        wanted = self.search.casefold()
        return any(wanted in (text or "").casefold() for text in (site.name, site.regency, site.id))


def parse_filter(query: Mapping[str, str]) -> Filter:
    """`province` (a code, or "-" for the malls naming none) and `q` (a part of a mall's name, regency or id)."""
    province = query.get("province") or None
    if province is not None and province != NO_PROVINCE and province not in provinces.BY_CODE:
        raise Refusal("invalid_field.province", value=province[:20], details={"field": "province"})
    search = " ".join((query.get("q") or "").split())
    if len(search) > SEARCH_MAX:
        raise Refusal("invalid_field.too_long", max_len=SEARCH_MAX, details={"field": "q"})
    return Filter(province, search)


WIB = "Asia/Jakarta"
ZONE_MAX = 64


def reader_zone(query: Mapping[str, str], sites: Iterable[Site]) -> str:
    """`tz`: the reader's time zone (an IANA name); default the malls' zone when they share one, else WIB. Shared
    by its legal zone, not its name: malls in Pontianak (Asia/Pontianak) and Jakarta share WIB, said by its usual
    name; a mall alone keeps its own."""
    zone = query.get("tz") or ""
    if not zone:
        names = {site.timezone for site in sites}
        legal = {provinces.legal_zone(name) for name in names}
        if len(names) == 1:
            return names.pop()
        return provinces.USUAL[str(legal.pop())] if len(legal) == 1 and None not in legal else WIB
    try:
        if len(zone) > ZONE_MAX:
            raise ValueError(zone)
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # not a zone's name at all ("../x", "Asia", a NUL)
        raise Refusal("invalid_field.time_zone", value=zone[:40], details={"field": "tz"}) from None
    return zone


def period_view(period: Period, query: Mapping[str, str], zone: str) -> dict[str, Any]:
    """The period as the page says it: its days, and whether it is the default one (this month so far, `to`
    being today in `timezone`). A `from` alone (an address written by hand) is no default: its days are not this
    month's, and a page must not say "bulan ini sampai hari ini" of them, nor drop them as the default."""
    return {**period.to_dict(), "default": not query.get("to") and not query.get("from"), "timezone": zone}


@dataclass(frozen=True)
class Query:
    period: Period
    sort: str
    order: str
    filter: Filter = Filter()


def parse_period(query: Mapping[str, str], today: date) -> Period:
    """`from`/`to`: local days, inclusive; default: the first of this month to `today`."""
    end = day_param(query, "to", today)
    return checked_period(day_param(query, "from", end.replace(day=1)), end)


def parse_query(query: Mapping[str, str], today: date) -> Query:
    """`from`/`to` (parse_period), `sort` (one of SORTS, default `waiting`) and `order` (`asc`/`desc`; default
    descending, ascending for `name` and `province`); `province` and `q` (parse_filter) keep some malls only."""
    period = parse_period(query, today)
    sort = query.get("sort") or DEFAULT_SORT
    if sort not in SORTS:
        raise Refusal("invalid_field.choice", choices=list(SORTS), details={"field": "sort"})
    order = query.get("order") or ("asc" if sort in ("name", "province") else "desc")
    if order not in ORDERS:
        raise Refusal("invalid_field.choice", choices=list(ORDERS), details={"field": "order"})
    return Query(period, sort, order, parse_filter(query))


@dataclass(frozen=True)
class Answers:
    """The survey answers of a period, summed: how many responses, and each element's sum."""

    count: int = 0
    sums: tuple[int, ...] = (0,) * ELEMENTS

    def __add__(self, other: Answers) -> Answers:
        return Answers(self.count + other.count, tuple(a + b for a, b in zip(self.sums, other.sums, strict=True)))

    def view(self) -> dict[str, Any]:
        result = skm.from_sums(self.sums, self.count)
        if result is None:
            return {"ikm": None, "ikm_grade": None, "ikm_respondents": 0}
        grade = result.grade
        return {
            "ikm": float(result.score),  # the converted index (25-100), two decimals, as published
            "ikm_grade": {"letter": grade.letter, "name": grade.name, "name_en": grade.name_en},
            "ikm_respondents": result.respondents,
        }


class National:
    """The national view of one server's malls. One per server (web/app.py): it keeps the caches."""

    def __init__(
        self,
        ctx: Context,
        monitor: Monitor,
        clock: Callable[[], float] = time.monotonic,
        presence: Presence | None = None,
    ) -> None:
        self.ctx = ctx
        self.monitor = monitor
        self.presence = presence or Presence(ctx)  # displays connected to the other processes
        self.clock = clock
        self._answers: dict[tuple[str, date, date], tuple[float, asyncio.Task[Answers]]] = {}
        # per mall: the seq and clock it was made at, its row, and the server's time of its figures
        self._live: dict[str, tuple[int, float, dict[str, Any], datetime]] = {}
        self._boxes: tuple[float, dict[str, Box]] = (-math.inf, {})  # when read; per mirrored mall, as stored

    def sites_of(self, principal: Principal) -> list[Site]:
        return [self.ctx.sites[s] for s in visible_sites(principal, self.ctx.sites)]

    def today(self, sites: Iterable[Site], query: Mapping[str, str]) -> tuple[date, str]:
        """Today in the reader's time zone (`tz`, the page sends its browser's; default: the malls' when they share
        one, else WIB), and that zone: where a default period ends. Not the latest day among the malls: from 22.00
        to 24.00 WIB on a month's last day, already the next month in WIT, that jumped a reader in Jakarta to the
        new month, and the WIB and WITA malls showed no IKM. One period for every row, so the totals are of the same
        days as the rows."""
        zone = reader_zone(query, sites)
        return self.ctx.now().astimezone(ZoneInfo(zone)).date(), zone

    async def view(self, principal: Principal, params: Mapping[str, str]) -> dict[str, Any]:
        """What GET /api/v1/national answers; `params` are its query (parse_query). The principal has been
        authorised for `national.read`; the malls are those it sees."""
        visible = self.sites_of(principal)
        today, zone = self.today(visible, params)
        query = parse_query(params, today)
        sites = [site for site in visible if query.filter.keeps(site)]
        answers = await asyncio.gather(*(self.answers(site.id, query.period) for site in sites))
        elsewhere = await self.presence.elsewhere()
        live = await self.live_rows(sites)
        boxes = await self.boxes(sites)
        rows = [
            {**with_screens(site, row, elsewhere, boxes, self.ctx.now(), made), **found.view()}
            for site, (row, made), found in zip(sites, live, answers, strict=True)
        ]
        totals = _totals(rows, sum(answers, Answers()))
        left_out = left_out_rows(self.ctx, principal)
        totals["left_out"] = len(left_out)
        return {
            "generated_at": wire.local_iso(self.ctx.now(), None),
            "period": period_view(query.period, params, zone),
            "sort": query.sort,
            "order": query.order,
            "province": query.filter.province,
            "q": query.filter.search,
            "provinces": provinces_of(visible),
            "sites": sort_rows(rows, query.sort, query.order),
            "totals": totals,
            "left_out": left_out,
        }

    # --- live figures ------------------------------------------------------------------------------------------

    async def live_rows(self, sites: list[Site]) -> list[tuple[dict[str, Any], datetime]]:
        """Each mall's live row, and the server's time of its figures: kept while nothing changed there
        (LIVE_SECONDS), else made again within the view's REFRESH_BUDGET, the oldest first, a changed mall's row up
        to STALE_SECONDS old reused past it. A view over a few malls is always fresh; one over 300 busy malls costs
        about the budget per poll plus the rows that outgrew STALE_SECONDS, in slices between which the malls'
        commands run."""
        now, moment = self.clock(), self.ctx.now()
        rows: dict[str, tuple[dict[str, Any], datetime]] = {}
        due: list[tuple[float, Site]] = []
        for site in sites:
            kept = self._live.get(site.id)
            if (
                kept is not None
                and kept[0] == self.ctx.seq(site.id)
                and now - kept[1] < LIVE_SECONDS
                and same_day(site, kept[3], moment)
            ):
                rows[site.id] = (kept[2], kept[3])
            else:
                due.append((kept[1] if kept is not None else -math.inf, site))
        due.sort(key=lambda item: item[0])
        spent = 0.0
        sliced = time.perf_counter()
        for made, site in due:
            kept = self._live.get(site.id)
            if (
                kept is not None
                and same_day(site, kept[3], moment)  # a row of yesterday is never today's, however recent
                and (kept[1] > made or (spent >= REFRESH_BUDGET and now - kept[1] < STALE_SECONDS))
            ):
                # made by a view that ran meanwhile, or recent enough once the budget is spent
                rows[site.id] = (kept[2], kept[3])
                continue
            started = time.perf_counter()
            rows[site.id] = self._make_row(site)
            finished = time.perf_counter()
            spent += finished - started
            if finished - sliced >= SLICE_SECONDS:
                await asyncio.sleep(0)
                sliced = time.perf_counter()
        return [rows[site.id] for site in sites]

    def _make_row(self, site: Site) -> tuple[dict[str, Any], datetime]:
        made = self.ctx.now()
        state = self.ctx.state(site.id)
        row = {**site_row(site, self.monitor.headline(site.id), state.issued), "withheld": withheld_view(site, state),
               "hours_not_enforced": hours_view(site, state)}  # fmt: skip
        self._live[site.id] = (self.ctx.seq(site.id), self.clock(), row, made)
        return row, made

    async def boxes(self, sites: list[Site]) -> dict[str, Box]:
        """Per mirrored mall: when its own server was last heard from, whether its uplink tokens are all revoked,
        and when its copy last kept up (the database's, read at most every HEARD_SECONDS, with this process's own
        newer times over it)."""
        mirrored = [site.id for site in sites if self.ctx.state(site.id).mirrored]
        if not mirrored:
            return {}
        if self.clock() - self._boxes[0] >= HEARD_SECONDS:  # every device row, so not on each page's every poll
            heard: dict[str, str] = {}
            revoked: dict[str, str | None] = {}  # per site: its last revocation while every token is revoked
            for device in await self.ctx.accounts.list_devices():
                if device["kind"] != "uplink":
                    continue
                site, seen, gone = str(device["site"]), device["last_seen_at"], device["revoked_at"]
                if seen:  # a revoked token's last call too: the mall was heard from then
                    heard[site] = max(str(seen), heard.get(site, ""))
                if not gone:
                    revoked[site] = None
                elif site not in revoked or revoked[site] is not None:
                    revoked[site] = max(str(gone), revoked.get(site) or "")
            stored = await self.ctx.mirror.read()
            boxes = {site: Box(heard.get(site), revoked.get(site), stored.get(site, MirrorSeen()))
                     for site in set(heard) | set(revoked) | set(stored)}  # fmt: skip
            self._boxes = (self.clock(), boxes)
        kept = self._boxes[1]
        seen = self.ctx.mirror.with_local({site: box.seen for site, box in kept.items()})
        return {site: replace(kept.get(site, Box()), seen=seen.get(site, MirrorSeen())) for site in mirrored}

    # --- the IKM -----------------------------------------------------------------------------------------------

    async def answers(self, site_id: str, period: Period) -> Answers:
        """The mall's summed answers of the period, read at most once per IKM_SECONDS; concurrent requests share
        one read, and a failed read is not kept."""
        key = (site_id, period.start, period.end)
        now = self.clock()
        kept = self._answers.get(key)
        if kept is None or kept[0] <= now:
            task = asyncio.ensure_future(self._read(site_id, period))
            self._remember(key, (now + IKM_SECONDS, task))
        else:
            task = kept[1]
        try:
            return await asyncio.shield(task)
        except Exception:
            if self._answers.get(key, (0.0, None))[1] is task:
                del self._answers[key]
            raise

    def _remember(self, key: tuple[str, date, date], entry: tuple[float, asyncio.Task[Answers]]) -> None:
        self._answers.pop(key, None)  # re-inserted last: the dict's order is the order of reading
        self._answers[key] = entry
        if len(self._answers) > IKM_CACHE_MAX:
            now = self.clock()
            for old in [k for k, (expires, _) in self._answers.items() if expires <= now]:
                del self._answers[old]
            while len(self._answers) > IKM_CACHE_MAX:
                del self._answers[next(iter(self._answers))]

    async def _read(self, site_id: str, period: Period) -> Answers:
        total = Answers()
        with self.ctx.storage.unhurried():  # a period's answers across a big mall's year
            rows = await self.ctx.storage.survey_sums(site_id, period.start, period.end, None, None)
        for row in rows:
            total += Answers(row.respondents, tuple(row.sums))
        return total


def left_out_rows(ctx: Context, principal: Principal) -> list[dict[str, Any]]:
    """The malls of this server the reader may see that were left out at start-up (settings/left_out.py): an alert
    above the table, whatever the filter, with why in words and the server's log line (for the technician)."""
    rows = []
    for site_id, leaving in sorted(ctx.left_out.items()):
        if not sees_site(principal, site_id):
            continue
        said_id, said_en = messages.refusal_messages(leaving.refusal())
        rows.append({"site": site_id, "name": leaving.name, "reason": leaving.reason, "message": said_id,
                     "message_en": said_en, "log": leaving.said})  # fmt: skip
    return rows


def same_day(site: Site, made: datetime, now: datetime) -> bool:
    """Were a row's figures made on the mall's service day of `now`? Just after its midnight (WIB, WITA or WIT: the
    mall's own), a row made a second before is of yesterday: its day, its served count and its queue."""
    return site.service_day(made) == site.service_day(now)


def site_row(site: Site, headline: dict[str, Any], issued: Mapping[tuple[str, date], int]) -> dict[str, Any]:
    """A mall's live figures (its dashboard's, `dashboard.headline`) as one row. `issued`: tickets issued per
    (service, day), the engine's own quota bookkeeping."""
    day = date.fromisoformat(headline["day"])
    shown = headline["screens_shown"]  # a screen with a display on it
    limited = [s for s in site.services.values() if s.daily_quota is not None]
    quota = sum(s.daily_quota or 0 for s in limited)
    used = sum(issued.get((s.id, day), 0) for s in limited)
    province = provinces.BY_CODE.get(site.province or "")
    return {
        "site": site.id,
        "name": site.name,
        "province": site.province,
        "province_name": province.name if province else None,
        "province_name_en": province.name_en if province else None,  # "Central Java" on the English page
        "regency": site.regency,
        "timezone": site.timezone,
        "day": headline["day"],
        "day_closed": headline["day_closed"],
        "waiting": headline["waiting"],
        "longest_wait": headline["longest_wait"],
        "past_closing": headline["past_closing"],
        "served_today": headline["served"],
        "counters_open": headline["counters_open"],
        "counters_total": len(site.counters),
        "screens_down": sum(1 for screen in site.screens if screen not in shown),
        "screens_total": len(site.screens),
        "screens_shown": sorted(shown & set(site.screens)),
        "quota_spent": headline["quota_spent"] if limited else None,
        "quota_issued": used if limited else None,
        "quota_total": quota if limited else None,
        "quota_used": _percent(used, quota) if limited else None,
    }


def withheld_view(site: Site, state: SiteState) -> dict[str, Any] | None:
    """A mirrored mall's texts withheld here for naming a citizen (its dashboard's running_text_withheld and
    configuration_withheld alerts), as its row says it: the alerts' kinds, since when, and their sentences (where,
    and what the mall's admin does; never the text); None: nothing withheld."""
    said = [alert for alert in alerts.detect(site, [], [], running_text_withheld=state.running_text_withheld,
                                             configuration_withheld=state.configuration_withheld)
            if alert["kind"] in WITHHELD_KINDS]  # fmt: skip
    if not said:
        return None
    return {
        "kinds": [alert["kind"] for alert in said],
        "since": min(alert["since"] for alert in said),
        "message": " ".join(alert["message"] for alert in said),
        "message_en": " ".join(alert["message_en"] for alert in said),
    }


WITHHELD_KINDS = ("running_text_withheld", "configuration_withheld")


def hours_view(site: Site, state: SiteState) -> dict[str, str] | None:
    """A mall whose configuration lets tickets be taken outside opening hours (its dashboard's hours_not_enforced
    alert): its row says so, the alert's sentence as the tooltip. A mall left so after a try-out issues numbers at
    night and on holidays, which the ministry hears of from citizens; None: the mall keeps its hours."""
    if not alerts.hours_switched_off(state.configuration.document):
        return None
    said = alerts.detect(site, [], [], hours_not_enforced=True)[0]
    return {"message": said["message"], "message_en": said["message_en"]}


def with_screens(
    site: Site,
    row: dict[str, Any],
    elsewhere: set[tuple[str, str]],
    boxes: Mapping[str, Box],
    now: datetime,
    made: datetime | None = None,
) -> dict[str, Any]:
    """The row with "screens down" counting the displays connected to the other server processes too. A mirrored
    mall's screens are connected to its own server: counted as its box last said them in its heartbeat (once a
    minute, and at once when one comes or goes; `screens_at` says when), unknown (null) when that word is older
    than SCREENS_FRESH or never came (a box of an earlier release). Its row says how its copy keeps up (`uplink`,
    box_view). While it does, its figures are live; once it is behind, they are as of when it last kept up, its
    longest wait too (it must not grow here by the hours the copy is behind: the mall may have served them all
    meanwhile). `made`: the server's time the row's figures were made at (a row is reused up to STALE_SECONDS)."""
    if site.id in boxes:
        uplink, as_of = box_view(boxes[site.id], now)
        longest = row["longest_wait"]
        if as_of is not None and longest is not None:
            longest = max(0.0, longest - max(0.0, ((made or now) - as_of).total_seconds()))
        seen = boxes[site.id].seen
        screens: dict[str, Any] = {"screens_shown": [], "screens_down": None, "screens_total": None, "screens_at": None}
        said = seen.screens_now(now)
        if said is not None and seen.screens_at is not None:
            screens = {"screens_shown": sorted(said & set(site.screens)),
                       "screens_down": sum(1 for x in site.screens if x not in said),
                       "screens_total": len(site.screens), "screens_at": seen.screens_at.isoformat()}  # fmt: skip
        return {**row, "longest_wait": longest, **screens, "mirrored": True, "heard_at": boxes[site.id].heard_at,
                "uplink": uplink}  # fmt: skip
    shown = set(row["screens_shown"]) | {screen for s, screen in elsewhere if s == site.id}
    return {**row, "screens_shown": sorted(shown), "screens_down": sum(1 for x in site.screens if x not in shown),
            "screens_at": None, "mirrored": False, "heard_at": None, "uplink": None}  # fmt: skip


def box_view(box: Box, now: datetime) -> tuple[dict[str, Any], datetime | None]:
    """A mirrored mall's `uplink` in its row, and the moment its figures are as of (None: now). `state`:
    `stopped` (its box said it was stopping, at `stopped_at`, and has not been heard from since: a clean stop, told
    at once; a box whose log was refused stays `refused`), `synced` (its copy kept up within SYNC_STALE), `refused`
    (its box's log refused since: `refused` says with what), `stuck` (its box calls, but the copy does not keep up),
    `silent` (not heard from within SYNC_STALE), `revoked` (every uplink token of the mall revoked), `never` (never
    heard from)."""
    seen = box.seen
    heard = datetime.fromisoformat(box.heard_at) if box.heard_at else None
    if box.revoked_at is not None:
        state = "revoked"
    elif seen.stopped and not seen.refused_since_synced:  # a refused log stays the news until fixed
        state = "stopped"
    elif seen.synced_at is not None and now - seen.synced_at <= SYNC_STALE:
        state = "synced"
    elif seen.refused_since_synced:
        state = "refused"
    elif heard is None and seen.synced_at is None:
        state = "never"
    elif heard is not None and now - heard <= SYNC_STALE:
        state = "stuck"
    else:
        state = "silent"
    refused = None
    if seen.refused_code is not None and seen.refused_at is not None:
        words = {lang: messages.text("uplink_refused", seen.refused_code, lang, {}) for lang in messages.LANGUAGES}
        refused = {"code": seen.refused_code, "at": seen.refused_at.isoformat(), "reason": words["id"],
                   "reason_en": words["en"]}  # fmt: skip
    view = {
        "state": state,
        "synced_at": seen.synced_at.isoformat() if seen.synced_at else None,
        "heard_at": box.heard_at,
        "refused": refused,
        "revoked_at": box.revoked_at,
        "stopped_at": seen.stopped_at.isoformat() if state == "stopped" and seen.stopped_at else None,
    }
    return view, None if state == "synced" else seen.synced_at or heard


def provinces_of(sites: Iterable[Site]) -> list[dict[str, Any]]:
    """The provinces of the malls a reader sees, with how many malls each (what the page's filter offers), in the
    ministry's order (by code); malls naming no province last, as "-"."""
    counts: dict[str, int] = {}
    for site in sites:
        counts[site.province or NO_PROVINCE] = counts.get(site.province or NO_PROVINCE, 0) + 1
    listed = [{"code": p.code, "name": p.name, "name_en": p.name_en, "sites": counts[p.code]}
              for p in provinces.PROVINCES if p.code in counts]  # fmt: skip
    if NO_PROVINCE in counts:
        listed.append({"code": NO_PROVINCE, "name": None, "name_en": None, "sites": counts[NO_PROVINCE]})
    return listed


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole > 0 else None


def _totals(rows: list[dict[str, Any]], answers: Answers) -> dict[str, Any]:
    def total(key: str) -> int:
        return sum(row[key] or 0 for row in rows)  # a mirrored mall's screens may not be known here (None)

    waits = [row["longest_wait"] for row in rows if row["longest_wait"] is not None]
    limited = [row for row in rows if row["quota_total"] is not None]
    issued, quota = sum(row["quota_issued"] for row in limited), sum(row["quota_total"] for row in limited)
    mirrored = [row for row in rows if row["uplink"] is not None]
    return {
        "sites": len(rows),
        "mirrored": len(mirrored),
        "mirrored_behind": sum(1 for row in mirrored if row["uplink"]["state"] != "synced"),
        "withheld": sum(1 for row in rows if row.get("withheld")),
        "hours_not_enforced": sum(1 for row in rows if row.get("hours_not_enforced")),
        "waiting": total("waiting"),
        "longest_wait": max(waits) if waits else None,
        "past_closing": total("past_closing"),
        "served_today": total("served_today"),
        "counters_open": total("counters_open"),
        "counters_total": total("counters_total"),
        "screens_down": total("screens_down"),
        "screens_total": total("screens_total"),
        "screens_known": sum(1 for row in rows if row["screens_total"] is not None),  # the malls the two count
        "quota_spent": sum(row["quota_spent"] for row in limited) if limited else None,
        "quota_issued": issued if limited else None,
        "quota_total": quota if limited else None,
        "quota_used": _percent(issued, quota) if limited else None,
        **answers.view(),
    }


def sort_rows(rows: list[dict[str, Any]], sort: str, order: str) -> list[dict[str, Any]]:
    """By `sort`, then by name; a mall without a value (no wait, no quota, no respondents) comes last either way."""
    by_name = sorted(rows, key=lambda row: (str(row["name"]).casefold(), row["site"]))
    if sort == "name":
        return by_name[::-1] if order == "desc" else by_name
    present = [row for row in by_name if row[sort] is not None]
    absent = [row for row in by_name if row[sort] is None]
    return sorted(present, key=lambda row: row[sort], reverse=order == "desc") + absent


# --- CSV ---------------------------------------------------------------------------------------------------------

CSV_COLUMNS = (
    "site", "name", "province_code", "province", "regency", "day", "waiting", "longest_wait_min", "past_closing",
    "served_today", "counters_open", "counters_total", "screens_down", "screens_total", "quota_spent",
    "quota_issued", "quota_total", "quota_used_pct", "ikm_converted", "ikm_grade", "ikm_respondents", "own_server",
    "as_of", "withheld", "withheld_since", "ikm_from", "ikm_to", "screens_known", "hours_not_enforced",
)  # fmt: skip


def to_csv(view: dict[str, Any]) -> str:
    """The view's rows as the page sorts them, then the totals: one line per mall, for the ministry's own sheets.
    A mirrored mall's `as_of` is when its copy last kept up (empty while it does: its figures are live); `withheld`
    the kinds of its texts withheld here for naming a citizen (the page's "data pribadi ditahan"), space-separated,
    and since when (never a text), both in the mall's local time; the totals' `withheld` is how many malls have
    some. The index is the converted one (25-100), named as the IKM CSVs name it: as `ikm` its Excel heading said
    "IKM (1-4)" over 80,49. Every line says the days of its IKM (`ikm_from`, `ikm_to`): a saved file said none, and
    its name has the day it was saved. The totals' `own_server` is how many malls run their own server (it said 1
    for any number of them); their `screens_known` of how many malls the screens totals are (a mall's: 1 when its
    screens are known, 0 for a mirrored mall whose box has not said them lately); `hours_not_enforced` 1 for a mall
    whose tickets can be taken outside its opening hours (the totals: how many)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    period = view["period"]
    for row in [*view["sites"], {"site": "total", "name": "", **view["totals"]}]:
        total = row["site"] == "total"
        uplink = row.get("uplink")
        behind = uplink is not None and uplink["state"] != "synced"
        withheld = row.get("withheld")
        if isinstance(withheld, dict):
            withheld_cells = [" ".join(withheld["kinds"]), _local_time(withheld["since"], row["timezone"])]
        else:  # the totals count the malls; a mall with nothing withheld has empty cells
            withheld_cells = [_blank(withheld), ""] if total else ["", ""]
        writer.writerow(spreadsheet_row([
            row["site"], row["name"], row.get("province") or "", row.get("province_name") or "",
            row.get("regency") or "", row.get("day", ""), row["waiting"], _minutes(row["longest_wait"]),
            row["past_closing"], row["served_today"], row["counters_open"], row["counters_total"],
            _blank(row["screens_down"]), _blank(row["screens_total"]), _blank(row["quota_spent"]),
            _blank(row["quota_issued"]), _blank(row["quota_total"]), _blank(row["quota_used"]),
            "" if row["ikm"] is None else f"{row['ikm']:.2f}", row["ikm_grade"]["letter"] if row["ikm_grade"] else "",
            row["ikm_respondents"], row["mirrored"] if total else int(bool(row.get("mirrored"))),
            _local_time(uplink["synced_at"], row["timezone"]) if behind else "", *withheld_cells, period["from"],
            period["to"], row["screens_known"] if total else int(row["screens_total"] is not None),
            row["hours_not_enforced"] if total else int(bool(row.get("hours_not_enforced"))),
        ]))  # fmt: skip
    return out.getvalue()


def csv_name(view: dict[str, Any]) -> str:
    """The CSV's file name, with the day it was saved on where the reader is: the zone the view's "today" and its
    default period are taken in (National.today). The server's time is UTC: from 17.00 WIB its date named tomorrow."""
    saved = datetime.fromisoformat(view["generated_at"]).astimezone(ZoneInfo(view["period"]["timezone"]))
    return f"pantauan-nasional-{saved.date().isoformat()}.csv"


def _local_time(iso: str | None, zone: str) -> str:
    """A moment as the mall's clock read it, with its offset, to the second: "2026-12-07T12:57:14+07:00". In UTC
    with microseconds ("2026-12-07T05:57:14.014946+00:00") a sheet's "Data per" contradicted the page's "tidak
    terhubung sejak 12.57 WIB" for whoever does not convert."""
    if not iso:
        return ""
    return datetime.fromisoformat(iso).astimezone(ZoneInfo(zone)).isoformat(timespec="seconds")


def _minutes(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds / 60:.1f}"


def _blank(value: Any) -> Any:
    return "" if value is None else value
