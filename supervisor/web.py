"""Routes of the supervisor's pages: the live dashboard (a site, or one agency), reports with the satisfaction
index, the audit log, messages out (WhatsApp/SMS and webhooks), the survey tablet at a counter, and the national
view across malls. Mounted by queue_server.app beside the display pages.

The pages hold no data: they sign in, then read the API and follow the websocket with the session token (kept in
the tab's sessionStorage). What a page gets here is the public catalogue it needs to name things, and its text in
Indonesian and English.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route

from queue_server.web.kit import (
    AGENCY_KINDS,
    PROVINCES,
    Assets,
    Pages,
    Site,
    ctx_of,
    error_page,
    questionnaire,
    sites_of,
)

HERE = Path(__file__).parent
pages = Pages(HERE / "templates")
LANGUAGES = ("id", "en")


def catalogue(site: Site) -> dict[str, Any]:
    return {
        "id": site.id,
        "name": site.name,
        "timezone": site.timezone,
        "province": site.province,
        "agencies": [
            {"id": a.id, "name": a.name, "short_name": a.short_name, "colour": a.colour} for a in site.agencies.values()
        ],
        "services": [
            {"id": s.id, "name": s.name, "agency": s.agency, "prefix": s.prefix} for s in site.services.values()
        ],
        "counters": [{"id": c.id, "name": c.name, "agency": c.agency} for c in site.counters.values()],
    }


def _lang(request: Request) -> str:
    lang = request.query_params.get("lang", "id")
    return lang if lang in LANGUAGES else "id"


def _render(request: Request, template: str, site: Site | None, **extra: Any) -> Response:
    lang = _lang(request)
    if site is None:  # the server's error page, which names no other mall
        return error_page(request, 404, unknown_mall=request.path_params["site"])
    # A mall on its own server, shown here from the log it sends up: its pages read, and act on nothing.
    mirrored = ctx_of(request).state(site.id).mirrored
    config = {"lang": lang, "text": pages.texts(), "site": {**catalogue(site), "mirrored": mirrored}, **extra}
    return pages.render(request, template, lang=lang, t=pages.texts()[lang], site=site, config=config)


def _site(request: Request) -> Site | None:
    site: Site | None = sites_of(request).get(request.path_params["site"])
    return site


async def dashboard_page(request: Request) -> Response:
    agency = request.query_params.get("agency") or None
    return _render(request, "dashboard.html", _site(request), page="dashboard", agency=agency)


async def reports_page(request: Request) -> Response:
    return _render(request, "reports.html", _site(request), page="reports")


async def audit_page(request: Request) -> Response:
    return _render(request, "audit.html", _site(request), page="audit")


async def deliveries_page(request: Request) -> Response:
    return _render(request, "deliveries.html", _site(request), page="deliveries")


async def admin_page(request: Request) -> Response:
    """Services, counters, agencies, hours, devices and accounts, changed live (docs/administration.md). The lists
    its forms offer for where the mall is and what kind each agency is (the ministry's reports group by them)."""
    provinces = [{"code": p.code, "name": p.name, "timezone": p.timezone} for p in PROVINCES]
    kinds = [{"id": k.id, "name": k.name, "name_en": k.name_en} for k in AGENCY_KINDS]
    return _render(request, "admin.html", _site(request), page="admin", provinces=provinces, agency_kinds=kinds)


async def national_page(request: Request) -> Response:
    """Every mall the signed-in account may watch, one row each (GET /api/v1/national). The page names no mall
    before sign-in: which malls, and whether it is a national or a regional view, depends on the account."""
    lang = _lang(request)
    config = {"lang": lang, "text": pages.texts(), "page": "national", "provinces": _province_names()}
    return pages.render(request, "national.html", lang=lang, t=pages.texts()[lang], config=config)


def _province_names() -> list[dict[str, str]]:
    """Every province's name, for a national page to name one its address asks for that none of the reader's
    malls is in (the API lists only the provinces of those malls)."""
    return [{"code": p.code, "name": p.name, "name_en": p.name_en} for p in PROVINCES]


async def national_ikm_page(request: Request) -> Response:
    """The IKM of a period per mall, province or kind of agency (GET /api/v1/national/ikm), with its CSV."""
    lang = _lang(request)
    config = {"lang": lang, "text": pages.texts(), "page": "national_ikm", "provinces": _province_names()}
    return pages.render(request, "national_ikm.html", lang=lang, t=pages.texts()[lang], config=config)


def site_pages(site: Site, t: dict[str, str]) -> list[tuple[str, str]]:
    """Each page of a mall, named, by its address (no tokens: a kiosk or a TV asks for its own)."""
    return [
        (t["index_kiosk"], f"/kiosk/{site.id}"),
        *(
            (f"{t['index_screen']}: {screen.name}", f"/display/{site.id}/{screen.id}")
            for screen in site.screens.values()
        ),
        (t["index_counters"], f"/counter/{site.id}"),
        (t["index_booking"], f"/booking/{site.id}"),
        (t["index_desk"], f"/desk/{site.id}"),
        (t["index_supervisor"], f"/supervisor/{site.id}"),
        (t["index_settings"], f"/supervisor/{site.id}/admin"),
    ]


async def index_page(request: Request) -> Response:
    """GET /: where a newcomer finds every page of every mall this server hosts. Links only: nothing secret."""
    lang = _lang(request)
    t = pages.texts()[lang]
    listed = []
    for site in sites_of(request).values():
        # A mall on its own server, shown here from its log: its kiosks and TVs are that server's.
        mirrored = ctx_of(request).state(site.id).mirrored
        links = [(t["index_supervisor"], f"/supervisor/{site.id}")] if mirrored else site_pages(site, t)
        listed.append({"id": site.id, "name": site.name, "mirrored": mirrored, "links": links})
    for leaving in ctx_of(request).left_out.values():  # started with, left out: said, with no links that fail
        listed.append({"id": leaving.site, "name": leaving.name, "mirrored": False, "left_out": True, "links": []})
    other = "en" if lang == "id" else "id"
    # Across the malls of this server: where a new TV or kiosk gets its pairing code (it belongs to no mall until
    # paired), the national view (or a region's, by the account) and its IKM report.
    across = [
        (t["index_pairing"], "/perangkat"),
        (t["index_national"], "/national"),
        (t["index_national_ikm"], "/national/ikm"),
    ]
    return pages.render(request, "index.html", lang=lang, other_lang=other, t=t, sites=listed, across=across)


async def survey_page(request: Request) -> Response:
    site = _site(request)
    counter = site.counters.get(request.path_params["counter"]) if site else None
    # The tablet is set up by staff and then touched by citizens: a wrong address of it links nowhere, as a kiosk's.
    if site is None:
        return error_page(request, 404, unknown_mall=request.path_params["site"], links=False)
    if counter is None:
        return error_page(request, 404, links=False)
    extra = {"page": "survey", "counter": {"id": counter.id, "name": counter.name}, "questions": questionnaire()}
    return _render(request, "survey.html", site, **extra)


ROUTES: list[BaseRoute] = [
    Route("/supervisor/{site}", dashboard_page, methods=["GET"]),
    Route("/supervisor/{site}/reports", reports_page, methods=["GET"]),
    Route("/supervisor/{site}/audit", audit_page, methods=["GET"]),
    Route("/supervisor/{site}/deliveries", deliveries_page, methods=["GET"]),
    Route("/supervisor/{site}/admin", admin_page, methods=["GET"]),
    Route("/survey/{site}/{counter}", survey_page, methods=["GET"]),
    Route("/national", national_page, methods=["GET"]),
    Route("/national/ikm", national_ikm_page, methods=["GET"]),
    Route("/", index_page, methods=["GET"]),
    Mount("/static/supervisor", Assets(directory=HERE / "static"), name="supervisor-static"),
]
