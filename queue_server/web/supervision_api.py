"""The supervisor's HTTP routes (listed in api.py's ROUTES, documented in docs/api.md and the OpenAPI document):
live dashboard figures, the running text, reports with CSV and SVG charts, the satisfaction survey and its
index, the audit log, and the national view across malls. Each handler checks, authorises and hands over to the
module that owns the work."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from queue_server.application import validation as v
from queue_server.application.actions import set_running_text
from queue_server.application.auth import require, require_across
from queue_server.application.context import Context
from queue_server.application.issuing_pauses import pause_issuing, resume_issuing
from queue_server.common import messages
from queue_server.common.jsontext import JSONResponse
from queue_server.domain.catalogue import Site
from queue_server.domain.decide import find_ticket
from queue_server.domain.model import Ticket
from queue_server.domain.refusal import Refusal
from queue_server.supervision import audit, national, national_ikm, report_charts, reports, survey
from queue_server.supervision.excel import for_excel
from queue_server.supervision.monitor import Monitor
from queue_server.supervision.national import National
from queue_server.web.requests import config_of, ctx_of, outcome_response, principal_of, read_json, server_of


def _monitor(request: Request) -> Monitor:
    monitor = server_of(request.app).monitor
    assert monitor is not None, "requests are served only after start-up"
    return monitor


def _national(request: Request) -> National:
    national = server_of(request.app).national
    assert national is not None, "requests are served only after start-up"
    return national


def _site_and_today(request: Request) -> tuple[Context, str, Any]:
    ctx = ctx_of(request)
    site = ctx.site(request.path_params["site"])
    return ctx, site.id, site.service_day(ctx.now())


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"  # figures about staff and citizens stay out of shared caches
    return response


def _csv(text: str, filename: str, request: Request) -> Response:
    """The CSV as scripts read it, or with `?excel=1` as an Indonesian office opens it in Excel (supervision/excel.py),
    its column names in `lang` (`id` by default, or `en`: the page's language)."""
    query = request.query_params
    excel = query.get("excel", "0")
    if excel not in ("0", "1"):
        raise Refusal("invalid_field.choice", choices=["0", "1"], details={"field": "excel"})
    lang = query.get("lang") or "id"
    if lang not in messages.LANGUAGES:
        raise Refusal("invalid_field.choice", choices=list(messages.LANGUAGES), details={"field": "lang"})
    if excel == "1":
        text, filename = for_excel(text, lang), filename.replace(".csv", "-excel.csv")
    return _no_store(
        Response(
            text,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
    )


# --- the live dashboard ----------------------------------------------------------------------------------------


async def get_dashboard(request: Request) -> Response:
    """The figures a dashboard shows, as of now; the same as the `dashboard` notices pushed over the websocket."""
    ctx, site_id, _today = _site_and_today(request)
    principal = await principal_of(request)
    agency = reports.agency_filter(ctx.sites[site_id], request.query_params)
    if agency is None:
        require(principal, "site.follow", site_id)
    else:
        require(principal, "agency.follow", site_id, agency)
    return _no_store(JSONResponse(_monitor(request).figures(site_id, agency)))


async def post_running_text(request: Request) -> Response:
    ctx, site_id, _today = _site_and_today(request)
    outcome = await set_running_text(ctx, await principal_of(request), site_id, await read_json(request))
    return JSONResponse(outcome.body)


async def post_pause_issuing(request: Request) -> Response:
    ctx, site_id, _today = _site_and_today(request)
    return outcome_response(await pause_issuing(ctx, await principal_of(request), site_id, await read_json(request)))


async def post_resume_issuing(request: Request) -> Response:
    ctx, site_id, _today = _site_and_today(request)
    return outcome_response(await resume_issuing(ctx, await principal_of(request), site_id, await read_json(request)))


# --- the national view -----------------------------------------------------------------------------------------


async def get_national(request: Request) -> Response:
    """Every mall the caller sees (an admin or national account: all; a regional account: its list), one row each,
    with totals (supervision/national.py)."""
    principal = require_across(await principal_of(request), "national.read")
    return _no_store(JSONResponse(await _national(request).view(principal, request.query_params)))


async def get_national_csv(request: Request) -> Response:
    """The national view's table as CSV (the same query): one line per mall, then the totals."""
    principal = require_across(await principal_of(request), "national.read")
    view = await _national(request).view(principal, request.query_params)
    return _csv(national.to_csv(view), national.csv_name(view), request)


async def _national_ikm(request: Request) -> dict[str, Any]:
    principal = require_across(await principal_of(request), "national.read")
    found = _national(request)
    sites = found.sites_of(principal)
    params = request.query_params
    today, zone = found.today(sites, params)
    period = national.parse_period(params, today)
    ctx = ctx_of(request)
    data = await national_ikm.report(ctx, sites, period, national.parse_filter(params), params, ctx.now())
    return {**data, "period": national.period_view(period, params, zone)}


async def get_national_ikm(request: Request) -> Response:
    """The IKM of a period per mall, province or kind of agency, across the malls the caller sees."""
    return _no_store(JSONResponse(await _national_ikm(request)))


async def get_national_ikm_csv(request: Request) -> Response:
    data = await _national_ikm(request)
    period = data["period"]
    return _csv(national_ikm.to_csv(data), f"ikm-nasional-{data['by']}-{period['from']}_{period['to']}.csv", request)


# --- reports ---------------------------------------------------------------------------------------------------


async def _report_scope(request: Request) -> tuple[Context, Site, reports.Period, str | None]:
    """What a report or IKM request asks for, once its reader may read it: the site, the period, the agency."""
    ctx, site_id, today = _site_and_today(request)
    site = ctx.sites[site_id]
    require(await principal_of(request), "report.read", site_id)
    period = reports.parse_period(request.query_params, today)
    return ctx, site, period, reports.agency_filter(site, request.query_params)


async def _report(request: Request) -> dict[str, Any]:
    ctx, site, period, agency = await _report_scope(request)
    return await reports.report(ctx.storage, site, period, agency, ctx.now())


async def get_report(request: Request) -> Response:
    return _no_store(JSONResponse(await _report(request)))


async def get_report_csv(request: Request) -> Response:
    data = await _report(request)
    period = data["period"]
    return _csv(reports.to_csv(data), f"laporan-{data['site']}-{period['from']}_{period['to']}.csv", request)


async def _ikm(request: Request) -> dict[str, Any]:
    ctx, site, period, agency = await _report_scope(request)
    service = request.query_params.get("service") or None
    if service is not None and service not in site.services:
        raise Refusal("unknown_service", service=service[:40], site=site.name, details={"field": "service"})
    query = {"agency": agency, "service": service}
    return await survey.ikm_report(ctx.storage, site, period, query, ctx.now())


async def get_ikm(request: Request) -> Response:
    return _no_store(JSONResponse(await _ikm(request)))


async def get_ikm_csv(request: Request) -> Response:
    data = await _ikm(request)
    period = data["period"]
    return _csv(survey.ikm_csv(data), f"ikm-{data['site']}-{period['from']}_{period['to']}.csv", request)


async def get_chart(request: Request) -> Response:
    chart = request.path_params["chart"]
    if chart not in report_charts.CHARTS:
        raise Refusal("not_found.chart", chart=chart[:20], choices=list(report_charts.CHARTS))
    lang = "en" if request.query_params.get("lang") == "en" else "id"
    if chart == "ikm":
        svg = report_charts.ikm(await _ikm(request), lang)
    else:
        svg = getattr(report_charts, chart)(await _report(request), lang)
    return _no_store(Response(svg, media_type="image/svg+xml"))


async def get_audit(request: Request) -> Response:
    ctx, site_id, today = _site_and_today(request)
    require(await principal_of(request), "audit.read", site_id)
    period = reports.parse_period(request.query_params, today)
    limit = _whole(request.query_params.get("limit"), "limit", audit.DEFAULT_LIMIT, 1, audit.MAX_LIMIT)
    before = request.query_params.get("before")
    before_id = _whole(before, "before", 0, 1, 2**62) if before else None
    entries = await audit.read(ctx, site_id, period, limit, before_id)
    return _no_store(JSONResponse({"site": site_id, "period": period.to_dict(), "entries": entries}))


def _whole(text: str | None, field: str, default: int, low: int, high: int) -> int:
    if text is None or text == "":
        return default
    if not text.isdigit() or not low <= int(text) <= high:
        raise Refusal("invalid_field.number_range", low=low, high=high, details={"field": field})
    return int(text)


# --- the satisfaction survey -----------------------------------------------------------------------------------


async def get_survey(request: Request) -> Response:
    """What a phone needs to offer the survey: whether this ticket may answer, and the nine questions."""
    ctx = ctx_of(request)
    ticket = await ctx.ticket_by_token(request.path_params["token"])
    answered = await survey.is_answered(ctx.storage, ticket.id)
    view = survey.status(ticket, answered, ctx.now(), config_of(request).survey_days)
    return _no_store(JSONResponse({**view, "questions": survey.questionnaire()}))


async def post_survey(request: Request) -> Response:
    ctx = ctx_of(request)
    ticket = await ctx.ticket_by_token(request.path_params["token"])
    body = await read_json(request)
    v.only(body, {"answers"})
    answers = survey.read_answers(body)
    ctx.served_here(ticket.site)
    days = config_of(request).survey_days
    site = ctx.site(ticket.site)
    return JSONResponse(await survey.submit(ctx.storage, site, ticket, answers, "phone", ctx.now(), days), 201)


async def post_counter_survey(request: Request) -> Response:
    """The tablet at the counter, signed in by the counter's staff, sends the answers of the ticket just served."""
    ctx, site_id, today = _site_and_today(request)
    principal = await principal_of(request)
    principal = require(principal, "survey.collect", site_id, principal.agency if principal else None)
    ref = request.path_params["ticket"]
    try:
        ticket: Ticket | None = find_ticket(ctx.state(site_id), ref, today)
    except Refusal:
        ticket = await survey.ticket_by_id(ctx.storage, site_id, ref[:64])
    if ticket is None:
        raise Refusal("unknown_ticket.any_day", ref=ref[:40])
    require(principal, "survey.collect", site_id, ticket.agency)
    body = await read_json(request)
    v.only(body, {"answers"})
    answers = survey.read_answers(body)
    ctx.served_here(site_id)
    days = config_of(request).survey_days
    site = ctx.site(site_id)
    return JSONResponse(await survey.submit(ctx.storage, site, ticket, answers, "tablet", ctx.now(), days), 201)


ROUTES = [
    Route("/api/v1/national", get_national, methods=["GET"]),
    Route("/api/v1/national.csv", get_national_csv, methods=["GET"]),
    Route("/api/v1/national/ikm", get_national_ikm, methods=["GET"]),
    Route("/api/v1/national/ikm.csv", get_national_ikm_csv, methods=["GET"]),
    Route("/api/v1/sites/{site}/dashboard", get_dashboard, methods=["GET"]),
    Route("/api/v1/sites/{site}/running-text", post_running_text, methods=["POST"]),
    Route("/api/v1/sites/{site}/pause-issuing", post_pause_issuing, methods=["POST"]),
    Route("/api/v1/sites/{site}/resume-issuing", post_resume_issuing, methods=["POST"]),
    Route("/api/v1/sites/{site}/reports", get_report, methods=["GET"]),
    Route("/api/v1/sites/{site}/reports.csv", get_report_csv, methods=["GET"]),
    Route("/api/v1/sites/{site}/reports/charts/{chart}.svg", get_chart, methods=["GET"]),
    Route("/api/v1/sites/{site}/ikm", get_ikm, methods=["GET"]),
    Route("/api/v1/sites/{site}/ikm.csv", get_ikm_csv, methods=["GET"]),
    Route("/api/v1/sites/{site}/audit", get_audit, methods=["GET"]),
    Route("/api/v1/sites/{site}/tickets/{ticket}/survey", post_counter_survey, methods=["POST"]),
    Route("/api/v1/tickets/{token}/survey", get_survey, methods=["GET"]),
    Route("/api/v1/tickets/{token}/survey", post_survey, methods=["POST"]),
]
