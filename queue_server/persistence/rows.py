"""Typed rows that Storage's supervision reads return (the report scan, the audit log, the survey sums), so the
layers above never index a database row."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from queue_server.domain.model import TicketState


@dataclass(frozen=True)
class Leg:
    """One ticket leg as a report reads it (the fields `measures.Timed` needs, plus how to group it)."""

    id: str
    service: str
    agency: str
    state: TicketState
    counter: str | None
    operator: str | None
    parent: str | None
    issued_at: datetime
    queue_key: datetime
    called_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    transferred_at: datetime | None  # when the parent leg was transferred (transfer legs only)
    parent_agency: str | None = None  # the agency of the leg it was transferred from (transfer legs only)


class AuditEntry(NamedTuple):
    id: int
    at: datetime  # UTC
    actor: str
    role: str
    action: str
    target: str
    details: dict[str, Any]
    seq: int


class SurveySums(NamedTuple):
    """The answers of one service (of one agency) over a period: how many, and the sum of each element's."""

    service: str
    agency: str
    respondents: int
    sums: tuple[int, ...]  # one per element, in order


def legs_from_rows(rows: Iterable[Sequence[Any]]) -> list[Leg]:
    """The legs of the report scan's rows (columns in the order of storage._LEGS)."""
    return [
        Leg(r[0], r[1], r[2], TicketState(r[3]), r[4], r[5], r[6], datetime.fromisoformat(r[7]),
            datetime.fromisoformat(r[8]), _dt(r[9]), _dt(r[10]), _dt(r[11]), _dt(r[12]), r[13])
        for r in rows
    ]  # fmt: skip


def _dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
