"""The SQL of the command line's requests to close the counters left open under an account (migration 0023;
application/account_releases.py keeps the rules)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from queue_server.persistence.port import StoragePort, utc_iso


@dataclass(frozen=True)
class ReleaseRequest:
    id: str
    account: str
    reason: str
    sites: list[str]
    asked_at: str
    done_at: str | None
    released: list[dict[str, Any]] | None  # the answer, once done


_COLUMNS = "id, account, reason, sites, asked_at, done_at, released"


def _request(row: tuple[Any, ...]) -> ReleaseRequest:
    released = json.loads(row[6]) if row[6] is not None else None
    return ReleaseRequest(str(row[0]), str(row[1]), str(row[2]), list(json.loads(row[3])), str(row[4]),
                          row[5], released)  # fmt: skip


class AccountReleaseStore:
    def __init__(self, storage: StoragePort) -> None:
        self.storage = storage

    async def ask(self, request_id: str, account: str, reason: str, sites: list[str], at: datetime) -> None:
        await self.storage.execute(
            "INSERT INTO account_releases (id, account, reason, sites, asked_at) VALUES (?,?,?,?,?)",
            (request_id, account, reason, json.dumps(sites), utc_iso(at)),
        )

    async def waiting(self, taken_before: datetime) -> list[ReleaseRequest]:
        """Requests not answered yet and not being worked on (nobody took them, or whoever did took them before
        `taken_before` and never answered: a process that stopped halfway), oldest first."""
        rows = await self.storage.fetch_all(
            f"SELECT {_COLUMNS} FROM account_releases WHERE done_at IS NULL "  # noqa: S608 - constant columns
            "AND (taken_at IS NULL OR taken_at < ?) ORDER BY asked_at",
            (utc_iso(taken_before),),
        )
        return [_request(row) for row in rows]

    async def take(self, request_id: str, process: str, at: datetime, taken_before: datetime) -> bool:
        """This process works on the request, unless another took it meanwhile: one statement, so of two processes
        that both saw it waiting only one takes it."""
        row = await self.storage.write_one(
            "UPDATE account_releases SET taken_by = ?, taken_at = ? WHERE id = ? AND done_at IS NULL "
            "AND (taken_at IS NULL OR taken_at < ?) RETURNING id",
            (process, utc_iso(at), request_id, utc_iso(taken_before)),
        )
        return row is not None

    async def answer(self, request_id: str, released: list[dict[str, Any]], at: datetime) -> None:
        await self.storage.execute(
            "UPDATE account_releases SET done_at = ?, released = ? WHERE id = ?",
            (utc_iso(at), json.dumps(released), request_id),
        )

    async def find(self, request_id: str) -> ReleaseRequest | None:
        row = await self.storage.fetch_one(
            f"SELECT {_COLUMNS} FROM account_releases WHERE id = ?",  # noqa: S608 - constant columns
            (request_id,),
        )
        return _request(row) if row is not None else None

    async def forget_answered(self, before: datetime) -> None:
        await self.storage.execute(
            "DELETE FROM account_releases WHERE done_at IS NOT NULL AND done_at < ?", (utc_iso(before),)
        )
