"""The satisfaction survey (SKM) after service: who may answer, keeping the answers, and the index (IKM) of a period
per service, agency and site. The formula itself lives in domain/skm.py.

A ticket answers once, and only once it has been served ("done"): from the tablet at the counter (staff signed in
there) or from the citizen's phone (the ticket's public token is the authority, as for cancelling). Answers are
stored with the ticket's service, agency, counter and day, and nothing about the person.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from queue_server.application.validation import FIRST_DAY, LAST_DAY
from queue_server.common.plaintext import spreadsheet_row
from queue_server.domain import skm
from queue_server.domain.catalogue import Site
from queue_server.domain.model import Ticket, TicketState
from queue_server.domain.refusal import Refusal
from queue_server.domain.relay import AHEAD, FIRST_TIME, unkeepable
from queue_server.live import wire
from queue_server.persistence.port import StoragePort, utc_iso
from queue_server.supervision.reports import Period

CHANNELS = ("tablet", "phone")
log = logging.getLogger(__name__)


def questionnaire() -> list[dict[str, Any]]:
    """The nine elements as a client shows them: question and the meaning of each answer 1-4."""
    return [
        {
            "id": e.id,
            "number": i,
            "name": e.name,
            "name_en": e.name_en,
            "question": e.question,
            "question_en": e.question_en,
            "answers": [
                {"value": v, "label": label, "label_en": label_en}
                for v, (label, label_en) in enumerate(zip(e.answers, e.answers_en, strict=True), start=skm.ANSWER_MIN)
            ],
        }
        for i, e in enumerate(skm.ELEMENTS, start=1)
    ]


def read_answers(body: dict[str, Any]) -> list[int]:
    """`answers`: nine whole numbers 1-4 in the order of the elements; anything else is refused by position."""
    answers = body.get("answers")
    n = len(skm.ELEMENTS)
    if not isinstance(answers, list) or len(answers) != n:
        raise Refusal("invalid_field.survey_answer_count", n=n, details={"field": "answers"})
    for i, answer in enumerate(answers):
        if type(answer) is not int or not skm.ANSWER_MIN <= answer <= skm.ANSWER_MAX:
            element = skm.ELEMENTS[i]
            raise Refusal(
                "invalid_field.survey_answer_value",
                number=i + 1,
                element=element.name,
                answer=answer,
                element_en=element.name_en,
                details={"field": "answers", "index": i},
            )
    return list(answers)


def answer_until(ticket: Ticket, days: int) -> datetime | None:
    """The last moment a served ticket may answer: `days` (the `survey_days` setting) after its service ended.
    Without a window, one answer for a ticket of 29 November changed the November index on 1 December."""
    if ticket.finished_at is None:
        return None
    return ticket.finished_at + timedelta(days=days)


def status(ticket: Ticket, answered: bool, now: datetime, days: int) -> dict[str, Any]:
    served = ticket.state is TicketState.DONE
    until = answer_until(ticket, days) if served else None
    too_late = until is not None and now > until
    return {
        "ticket": ticket.label,
        "served": served,
        "answered": answered,
        "too_late": too_late and not answered,
        "can_answer": served and not answered and not too_late,
    }


async def is_answered(storage: StoragePort, ticket_id: str) -> bool:
    return await storage.survey_answered(ticket_id)


async def ticket_by_id(storage: StoragePort, site_id: str, ticket_id: str) -> Ticket | None:
    """Any day's ticket (a survey may come after the day closed and the ticket left memory)."""
    return await storage.ticket_of_any_day(site_id, ticket_id)


async def submit(
    storage: StoragePort, site: Site, ticket: Ticket, answers: list[int], channel: str, now: datetime, days: int
) -> dict[str, Any]:
    if ticket.state is not TicketState.DONE:
        raise Refusal(
            "survey_not_allowed", ticket=ticket.label, found=ticket.state.value, details={"found": ticket.state.value}
        )
    until = answer_until(ticket, days)
    if until is not None and now > until:
        raise Refusal(
            "survey_too_late",
            ticket=ticket.label,
            days=days,
            until=until.astimezone(site.tz).date(),
            details={"found": ticket.state.value, "answer_until": wire.local_iso(until, site), "days": days},
        )
    if not await storage.add_survey_answers(ticket, channel, now, answers):
        # The store refuses a second answer even when two arrive at once (tablet and phone).
        raise Refusal("survey_already_answered", ticket=ticket.label)
    return {"ok": True, **status(ticket, True, now, days)}


# --- answers given at a mall on its own server, sent up to its mirror (outbound/uplink.py) ------------------

RELAY_MAX = 500
# An answer is kept as the mall dated it up to a day ahead of this server's clock, as its events are (relay.AHEAD):
# the IKM counts it under its ticket's day, and the box asks for answers after the newest kept here in its own time,
# so a clock a little fast holds nothing back. Past CLOCK_SLACK ahead, it is kept but counted in `ahead` (the box
# logs that its clock looks fast); past AHEAD, that answer alone is refused.
CLOCK_SLACK = timedelta(minutes=10)
_RELAYED = ("ticket", "day", "service", "agency", "counter", "channel", "answered_at", "answers")


class _Refused(Exception):
    """One relayed answer that is not kept, and why."""


async def relay_answers(storage: StoragePort, site: Site, body: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Keep a batch of a mirrored mall's answers (each as survey_rows_since reads them there); an answer already
    here is left as it was. Each answer is checked on its own, and one that cannot be kept is refused alone (named in
    `refused` by its place in the batch, counted from 1), the others kept: it must be of a ticket the mall's log
    brought here and served there (done), given at or after its service ended, once in the batch, and well formed.
    Its day, service, agency and counter are the ticket's here, as the log made it, whatever the answer says."""
    items = body.get("answers")
    if set(body) != {"answers"} or not isinstance(items, list) or not 1 <= len(items) <= RELAY_MAX:
        raise Refusal("invalid_field.list_size", low=1, high=RELAY_MAX, details={"field": "answers"})
    refused: list[dict[str, Any]] = []
    rows: dict[str, tuple[int, tuple[Any, ...]]] = {}
    for index, item in enumerate(items, 1):
        try:
            row = _relayed_row(site, item, now)
            if row[0] in rows:
                raise _Refused("a ticket answers once (twice in this batch)")
            rows[row[0]] = (index, row)
        except _Refused as exc:
            ticket = item.get("ticket") if isinstance(item, dict) else None
            refused.append({"index": index, "ticket": ticket if isinstance(ticket, str) else None, "why": str(exc)})
    known = await storage.tickets_answered_for(site.id, list(rows))
    kept: list[tuple[Any, ...]] = []
    for ticket_id, (index, row) in rows.items():
        why = _not_answerable(ticket_id, known.get(ticket_id), row[7])
        if why is not None:
            refused.append({"index": index, "ticket": ticket_id, "why": why})
            continue
        day, service, agency, counter = known[ticket_id][:4]
        kept.append((row[0], row[1], day, service, agency, counter, *row[6:]))
    if kept:
        await storage.add_relayed_surveys(kept)
    ahead = sum(1 for row in kept if datetime.fromisoformat(row[7]) > now + CLOCK_SLACK)
    if ahead:
        log.warning("site %s: %d survey answers are dated more than %s after this server's clock: is the mall's "
                    "clock right?", site.id, ahead, CLOCK_SLACK)  # fmt: skip
    newest = await storage.newest_survey(site.id)
    refused.sort(key=lambda r: r["index"])
    return {"ok": True, "received": len(kept), "refused": refused, "ahead": ahead, "newest": _cursor(newest)}


def _not_answerable(ticket_id: str, ticket: tuple[Any, ...] | None, answered_at: str) -> str | None:
    """Why an answer given at `answered_at` cannot be the ticket's (as tickets_answered_for reads it), or None."""
    if ticket is None:
        return f"ticket {ticket_id[:40]} was not sent here"
    state, finished_at = ticket[4], ticket[5]
    if state != TicketState.DONE.value or not finished_at:
        return f"ticket {ticket_id[:40]} was not served (it is {state} here)"
    if datetime.fromisoformat(answered_at) < datetime.fromisoformat(finished_at):
        return f"it was given before ticket {ticket_id[:40]} was served ({finished_at})"
    return None


def _cursor(newest: tuple[str, str] | None) -> dict[str, str] | None:
    return {"answered_at": newest[0], "ticket": newest[1]} if newest else None


async def relay_cursor(storage: StoragePort, site_id: str) -> dict[str, str] | None:
    """Where the mirror's copy of a mall's answers ends: the newest (answered_at, ticket)."""
    return _cursor(await storage.newest_survey(site_id))


def _relayed_row(site: Site, item: Any, now: datetime) -> tuple[Any, ...]:
    if not isinstance(item, dict) or set(item) != set(_RELAYED):
        raise _Refused(f"an object with exactly {', '.join(_RELAYED)}")
    texts = [item[k] for k in ("ticket", "day", "service", "agency", "channel", "answered_at")]
    if not all(isinstance(t, str) and 0 < len(t) <= 64 for t in texts):
        raise _Refused("ticket, day, service, agency, channel and answered_at are text")
    if item["counter"] is not None and not (isinstance(item["counter"], str) and len(item["counter"]) <= 64):
        raise _Refused("counter is text or null")
    if item["channel"] not in CHANNELS:
        raise _Refused(f"channel is one of {', '.join(CHANNELS)}")
    if unkeepable(item) is not None:
        raise _Refused(str(unkeepable(item)))
    try:
        day = date.fromisoformat(item["day"])
        answered_at = datetime.fromisoformat(item["answered_at"])
        utc = answered_at.astimezone(UTC) if answered_at.tzinfo is not None else None
    except (ValueError, OverflowError):
        raise _Refused("day is YYYY-MM-DD and answered_at an ISO 8601 time") from None
    if utc is None:
        raise _Refused("answered_at has a UTC offset")
    if not FIRST_DAY <= day <= LAST_DAY or not FIRST_TIME <= utc <= now + AHEAD:
        raise _Refused(f"day or answered_at is not a time of this mall's service (answered_at more than {AHEAD} "
                       "after this server's clock: its clock ahead?)")  # fmt: skip
    answers = item["answers"]
    if (
        not isinstance(answers, list)
        or len(answers) != len(skm.ELEMENTS)
        or not all(type(a) is int and skm.ANSWER_MIN <= a <= skm.ANSWER_MAX for a in answers)
    ):
        raise _Refused(f"answers are {len(skm.ELEMENTS)} whole numbers from {skm.ANSWER_MIN} to {skm.ANSWER_MAX}")
    return (item["ticket"], site.id, day.isoformat(), item["service"], item["agency"], item["counter"],
            item["channel"], utc_iso(answered_at), json.dumps(answers), *answers)  # fmt: skip


# --- the index over a period -----------------------------------------------------------------------------------


@dataclass
class _Sums:
    count: int = 0
    sums: tuple[int, ...] = (0,) * len(skm.ELEMENTS)

    def add(self, count: int, sums: tuple[int, ...]) -> None:
        self.count += count
        self.sums = tuple(a + b for a, b in zip(self.sums, sums, strict=True))


def result_view(result: skm.IkmResult | None, population: int | None = None) -> dict[str, Any]:
    """Exact values as fractions ("31/10") beside the decimals shown to people. With `population` (citizens served
    in the period), the sample the regulation asks for and whether the respondents reach it: an index from fewer
    is marked "sampel belum memadai" rather than shown as a grade like any other."""
    sample: dict[str, Any] = {}
    if population is not None:
        needed = skm.sample_needed(population)
        respondents = result.respondents if result is not None else 0
        sample = {"population": population, "sample_needed": needed,
                  "sample_sufficient": respondents > 0 and respondents >= needed}  # fmt: skip
    if result is None:
        return {"respondents": 0, "nrr": None, "ikm": None, "score": None, "grade": None, **sample}
    return {
        "respondents": result.respondents,
        "nrr": [round(float(v), 4) for v in result.nrr],
        "nrr_exact": [str(v) for v in result.nrr],
        "ikm": round(float(result.ikm), 4),
        "ikm_exact": str(result.ikm),
        "converted_exact": str(result.converted),
        "score": float(result.score),  # converted IKM rounded to two decimals, as published
        "grade": {"letter": result.grade.letter, "name": result.grade.name, "name_en": result.grade.name_en},
        **sample,
    }


async def ikm_report(
    storage: StoragePort, site: Site, period: Period, query: Mapping[str, str | None], now: datetime
) -> dict[str, Any]:
    agency, service = query.get("agency"), query.get("service")
    whole, agencies, services = _Sums(), dict[str, _Sums](), dict[str, _Sums]()
    with storage.unhurried():  # a year's answers and tickets served: slow by nature on a big mall
        sums = await storage.survey_sums(site.id, period.start, period.end, agency, service)
        served = await storage.served_counts(site.id, period.start, period.end, agency, service)
    for row in sums:
        whole.add(row.respondents, row.sums)
        agencies.setdefault(row.agency, _Sums()).add(row.respondents, row.sums)
        services.setdefault(row.service, _Sums()).add(row.respondents, row.sums)
    served_site, served_agency, served_service = 0, dict[str, int](), dict[str, int]()
    for service_id, agency_id, count in served:
        served_site += count
        served_agency[agency_id] = served_agency.get(agency_id, 0) + count
        served_service[service_id] = served_service.get(service_id, 0) + count
        services.setdefault(service_id, _Sums())  # a service served with no respondents has its row too
        agencies.setdefault(agency_id, _Sums())
    return {
        "site": site.id,
        "site_name": site.name,
        "period": period.to_dict(),
        "agency": agency,
        "service": service,
        "generated_at": wire.local_iso(now, site),
        "elements": [{"id": e.id, "name": e.name, "name_en": e.name_en} for e in skm.ELEMENTS],
        "grades": [
            {"letter": g.letter, "name": g.name, "name_en": g.name_en, "from": str(g.low), "to": str(g.high)}
            for g in skm.GRADES
        ],
        "site_index": result_view(skm.from_sums(whole.sums, whole.count), served_site),
        "by_agency": [
            {"id": a, "name": site.agencies[a].short_name if a in site.agencies else a,
             **result_view(skm.from_sums(s.sums, s.count), served_agency.get(a, 0))}
            for a, s in sorted(agencies.items())
        ],
        "by_service": [
            {"id": sid, "name": site.services[sid].name if sid in site.services else sid,
             "agency": site.services[sid].agency if sid in site.services else None,
             **result_view(skm.from_sums(s.sums, s.count), served_service.get(sid, 0))}
            for sid, s in sorted(services.items(), key=lambda item: (_agency_of(site, item[0]), item[0]))
        ],
    }  # fmt: skip


def _agency_of(site: Site, service_id: str) -> str:
    service = site.services.get(service_id)
    return service.agency if service is not None else ""


def sample(row: dict[str, Any]) -> list[Any]:
    """Citizens served, the sample they call for, and 1 when the respondents reach it (0 when not)."""
    return [row["population"], row["sample_needed"], int(row["sample_sufficient"])]


def ikm_csv(data: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    ids = [e["id"] for e in data["elements"]]
    writer.writerow(["level", "id", "name", "respondents", *[f"nrr_{i}" for i in ids], "ikm", "ikm_converted",
                     "grade", "grade_name", "population", "sample_needed", "sample_sufficient"])  # fmt: skip
    rows = [("site", {"id": data["site"], "name": data["site_name"], **data["site_index"]})]
    rows += [("agency", r) for r in data["by_agency"]] + [("service", r) for r in data["by_service"]]
    for level, row in rows:
        if not row["respondents"]:
            writer.writerow(spreadsheet_row([level, row["id"], row["name"], 0, *[""] * len(ids), "", "", "", "",
                                             *sample(row)]))  # fmt: skip
            continue
        writer.writerow(spreadsheet_row([
            level, row["id"], row["name"], row["respondents"], *[f"{v:.4f}" for v in row["nrr"]],
            f"{row['ikm']:.4f}", f"{row['score']:.2f}", row["grade"]["letter"], row["grade"]["name"], *sample(row),
        ]))  # fmt: skip
    return out.getvalue()
