"""Pausing and resuming a service's issuing (domain/issuing_pause.py), for HTTP: checked, authorised, audited.

Who: a supervisor or admin of the site, and an operator for their own agency's services. The operators are the
first to know that their central system is down (SIAK, Samsat, BPJS) or that the blank forms ran out, and they may
already pause their own counters; waiting for a supervisor to walk over meant the kiosk kept issuing meanwhile."""

from __future__ import annotations

from datetime import time
from typing import Any

from queue_server.application import audit_trail
from queue_server.application import validation as v
from queue_server.application.actions import _scope
from queue_server.application.auth import Principal, require
from queue_server.application.context import Context
from queue_server.domain import commands as c
from queue_server.domain.events import Event
from queue_server.domain.issuing_pause import pause_view
from queue_server.domain.refusal import Refusal
from queue_server.domain.state import SiteState
from queue_server.pipeline.engine import Outcome

ACTION = "service.pause"  # the policy's action (application/auth.py), for a pause and a resumption alike


def _target(ctx: Context, principal: Principal | None, site_id: str, body: dict[str, Any]) -> tuple[
    str | None, str | None, str, str
]:  # fmt: skip
    """The service or agency a body names, the agency it is of (an operator's own only), and its audit target and
    name. Refused 404 when unknown, after sign-in is checked (an anonymous caller learns nothing of the catalogue)."""
    site = ctx.site(site_id)
    if principal is None:
        raise Refusal("unauthenticated")
    service_id = v.text(body, "service", required=False, max_len=80)
    agency_id = v.text(body, "agency", required=False, max_len=80)
    if (service_id is None) == (agency_id is None):
        raise Refusal("invalid_field.service_or_agency", details={"field": "service"})
    if service_id is not None:
        service = site.services.get(service_id)
        if service is None:
            raise Refusal("unknown_service", service=service_id, site=site.name, details={"service": service_id})
        require(principal, ACTION, site_id, service.agency)
        return service_id, None, f"service {service_id}", service.name
    agency = site.agencies.get(str(agency_id))
    if agency is None:
        raise Refusal("unknown_agency", agency=agency_id, site=site.name, details={"field": "agency"})
    require(principal, ACTION, site_id, agency.id)
    return None, agency.id, f"agency {agency.id}", agency.name


def _until(body: dict[str, Any]) -> time | None:
    text = v.text(body, "until", required=False, max_len=16)  # longer: refused with the format, not a length
    return v.clock(text, "until") if text else None


def _answer(events: list[Event], state: SiteState) -> dict[str, Any]:
    """The services paused today after the command, each with its reason (the dashboard redraws from it)."""
    day = state.site.service_day(events[0].at)
    site = state.site
    paused = {s: pause_view(p, site.tz) for s in site.services if (p := state.issuing_pause(s, day)) is not None}
    return {"ok": True, "paused": paused}


async def pause_issuing(ctx: Context, principal: Principal | None, site_id: str, body: dict[str, Any]) -> Outcome:
    """Stop issuing tickets of a service (or of every service of an agency) for the rest of today, with why."""
    v.only(body, {"service", "agency", "reason", "until", "command_id"})
    service_id, agency_id, target, name = _target(ctx, principal, site_id, body)
    assert principal is not None
    # Shown on the kiosk and on citizens' phones, and kept in the log: the one rule of a reason said to citizens,
    # as a closed day's; kept as it returns, in the event and the audit entry alike.
    reason = v.said_reason(body, required=True)
    assert reason is not None
    until = _until(body)
    # the expected time kept neutral, "13:00": the audit page says it in each language (supervision/audit.py)
    record = audit_trail.entry(principal, "service.pause", target, target_name=name, reason=reason,
                               until=until.strftime("%H:%M") if until else None)  # fmt: skip
    return await ctx.engine.submit(
        site_id,
        c.PauseIssuing(reason, service_id, agency_id, until, by=principal.name),
        _answer,
        idem_key=_scope(principal, v.command_id(body), "pause_issuing", site_id, body=body),
        audit=record,
    )


async def resume_issuing(ctx: Context, principal: Principal | None, site_id: str, body: dict[str, Any]) -> Outcome:
    """Issue tickets of a service (or of every paused service of an agency) again."""
    v.only(body, {"service", "agency", "command_id"})
    service_id, agency_id, target, name = _target(ctx, principal, site_id, body)
    assert principal is not None
    record = audit_trail.entry(principal, "service.resume", target, target_name=name)
    return await ctx.engine.submit(
        site_id,
        c.ResumeIssuing(service_id, agency_id, by=principal.name),
        _answer,
        idem_key=_scope(principal, v.command_id(body), "resume_issuing", site_id, body=body),
        audit=record,
    )
