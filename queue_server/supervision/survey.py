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
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from queue_server.common.errors import ApiError, bad_field
from queue_server.domain import skm
from queue_server.domain.catalogue import Site
from queue_server.domain.model import Ticket, TicketState
from queue_server.live import wire
from queue_server.persistence.storage import Storage, utc_iso
from queue_server.supervision.reports import Period

CHANNELS = ("tablet", "phone")


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
        raise bad_field(
            "answers",
            f"'answers' harus daftar {n} nilai (1-4), satu untuk setiap unsur, sesuai urutan.",
            f"'answers' must be a list of {n} values (1-4), one per element, in order.",
        )
    for i, answer in enumerate(answers):
        if type(answer) is not int or not skm.ANSWER_MIN <= answer <= skm.ANSWER_MAX:
            element = skm.ELEMENTS[i]
            raise ApiError(
                422,
                "invalid_field",
                f"Jawaban unsur {i + 1} ({element.name}) harus bilangan bulat 1 sampai 4, bukan {answer!r}.",
                f"The answer to element {i + 1} ({element.name_en}) must be a whole number from 1 to 4, "
                f"not {answer!r}.",
                field="answers",
                index=i,
            )
    return list(answers)


def status(ticket: Ticket, answered: bool) -> dict[str, Any]:
    return {
        "ticket": ticket.label,
        "served": ticket.state is TicketState.DONE,
        "answered": answered,
        "can_answer": ticket.state is TicketState.DONE and not answered,
    }


async def is_answered(storage: Storage, ticket_id: str) -> bool:
    return bool(await storage.query("SELECT 1 FROM survey_responses WHERE ticket = ?", (ticket_id,)))


async def ticket_by_id(storage: Storage, site_id: str, ticket_id: str) -> Ticket | None:
    """Any day's ticket (a survey may come after the day closed and the ticket left memory)."""
    rows = await storage.query("SELECT doc FROM tickets WHERE id = ? AND site = ?", (ticket_id, site_id))
    return Ticket.from_dict(json.loads(rows[0][0])) if rows else None


async def submit(storage: Storage, ticket: Ticket, answers: list[int], channel: str, now: datetime) -> dict[str, Any]:
    if ticket.state is not TicketState.DONE:
        raise ApiError(
            409,
            "survey_not_allowed",
            f"Survei hanya untuk tiket yang sudah selesai dilayani; {ticket.label} berstatus '{ticket.state.value}'.",
            f"Only a ticket that has been served can answer the survey; {ticket.label} is '{ticket.state.value}'.",
            found=ticket.state.value,
        )
    try:
        await storage.execute(
            "INSERT INTO survey_responses (ticket, site, day, service, agency, counter, channel, answered_at, answers, "
            "a1, a2, a3, a4, a5, a6, a7, a8, a9) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (ticket.id, ticket.site, ticket.day.isoformat(), ticket.service, ticket.agency, ticket.counter, channel,
             utc_iso(now), json.dumps(answers), *answers),
        )  # fmt: skip
    except sqlite3.IntegrityError:
        # The primary key refuses a second answer even when two arrive at once (tablet and phone).
        raise ApiError(
            409,
            "survey_already_answered",
            f"Survei untuk tiket {ticket.label} sudah diisi. Terima kasih.",
            f"The survey for ticket {ticket.label} has already been answered. Thank you.",
        ) from None
    return {"ok": True, **status(ticket, True)}


# --- the index over a period -----------------------------------------------------------------------------------


@dataclass
class _Sums:
    count: int = 0
    sums: tuple[int, ...] = (0,) * len(skm.ELEMENTS)

    def add(self, count: int, sums: tuple[int, ...]) -> None:
        self.count += count
        self.sums = tuple(a + b for a, b in zip(self.sums, sums, strict=True))


def result_view(result: skm.IkmResult | None) -> dict[str, Any]:
    """Exact values as fractions ("31/10") beside the decimals shown to people."""
    if result is None:
        return {"respondents": 0, "nrr": None, "ikm": None, "score": None, "grade": None}
    return {
        "respondents": result.respondents,
        "nrr": [round(float(v), 4) for v in result.nrr],
        "nrr_exact": [str(v) for v in result.nrr],
        "ikm": round(float(result.ikm), 4),
        "ikm_exact": str(result.ikm),
        "converted_exact": str(result.converted),
        "score": float(result.score),  # converted IKM rounded to two decimals, as published
        "grade": {"letter": result.grade.letter, "name": result.grade.name, "name_en": result.grade.name_en},
    }


async def ikm_report(
    storage: Storage, site: Site, period: Period, query: Mapping[str, str | None], now: datetime
) -> dict[str, Any]:
    agency, service = query.get("agency"), query.get("service")
    sql = (
        "SELECT service, agency, COUNT(*), SUM(a1), SUM(a2), SUM(a3), SUM(a4), SUM(a5), SUM(a6), SUM(a7), SUM(a8), "
        "SUM(a9) FROM survey_responses WHERE site = ? AND day >= ? AND day <= ?"
    )
    params: list[Any] = [site.id, period.start.isoformat(), period.end.isoformat()]
    if agency:
        sql += " AND agency = ?"
        params.append(agency)
    if service:
        sql += " AND service = ?"
        params.append(service)
    rows = await storage.query(sql + " GROUP BY service, agency ORDER BY agency, service", params)
    whole, agencies, services = _Sums(), dict[str, _Sums](), dict[str, _Sums]()
    for row in rows:
        count, sums = int(row[2]), tuple(int(s) for s in row[3:12])
        whole.add(count, sums)
        agencies.setdefault(row[1], _Sums()).add(count, sums)
        services.setdefault(row[0], _Sums()).add(count, sums)
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
        "site_index": result_view(skm.from_sums(whole.sums, whole.count)),
        "by_agency": [
            {"id": a, "name": site.agencies[a].short_name if a in site.agencies else a,
             **result_view(skm.from_sums(s.sums, s.count))}
            for a, s in agencies.items()
        ],
        "by_service": [
            {"id": sid, "name": site.services[sid].name if sid in site.services else sid,
             "agency": site.services[sid].agency if sid in site.services else None,
             **result_view(skm.from_sums(s.sums, s.count))}
            for sid, s in services.items()
        ],
    }  # fmt: skip


def ikm_csv(data: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    ids = [e["id"] for e in data["elements"]]
    writer.writerow(["level", "id", "name", "respondents", *[f"nrr_{i}" for i in ids], "ikm", "ikm_converted",
                     "grade", "grade_name"])  # fmt: skip
    rows = [("site", {"id": data["site"], "name": data["site_name"], **data["site_index"]})]
    rows += [("agency", r) for r in data["by_agency"]] + [("service", r) for r in data["by_service"]]
    for level, row in rows:
        if not row["respondents"]:
            writer.writerow([level, row["id"], row["name"], 0, *[""] * len(ids), "", "", "", ""])
            continue
        writer.writerow([
            level, row["id"], row["name"], row["respondents"], *[f"{v:.4f}" for v in row["nrr"]],
            f"{row['ikm']:.4f}", f"{row['score']:.2f}", row["grade"]["letter"], row["grade"]["name"],
        ])  # fmt: skip
    return out.getvalue()
