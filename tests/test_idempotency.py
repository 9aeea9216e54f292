"""Idempotency records are honoured for 48 hours, across restarts, and then deleted; new keys cost no read."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from queue_server.pipeline.idempotency import StoredKeys

from .helpers import KIOSK, Server, bearer, running_server

BOTH_DATABASES = True  # every test here that uses a database runs on SQLite and on PostgreSQL (conftest.py)

URL = "/api/v1/sites/tegal/tickets"


def test_stored_keys_are_forgotten_oldest_first() -> None:
    keys = StoredKeys([("a", 100.0), ("b", 200.0)])
    keys.add("c", 300.0)
    keys.add("a", 400.0)  # already listed: keeps its first time
    assert all(k in keys for k in "abc") and len(keys) == 3
    keys.forget_before(250.0)
    assert "a" not in keys and "b" not in keys and "c" in keys and len(keys) == 1
    keys.forget_before(1e12)
    assert len(keys) == 0


async def _age(s: Server, key: str, hours: float) -> None:
    """Make a stored record `hours` old on the server's clock (stored per device and request: `device:<id>:<key>#...`)."""
    at = (s.clock.now - timedelta(hours=hours)).astimezone().isoformat()
    await s.ctx.storage.execute("UPDATE idempotency SET created_at = ? WHERE key LIKE ?", (at, f"%:{key}#%"))


async def test_a_key_is_honoured_for_48_hours_across_a_restart_then_forgotten(database: Path | str) -> None:
    db = database
    answers = {}
    async with running_server(db) as s:
        for key in ("key-47-hours-old", "key-49-hours-old"):
            r = await s.http.post(URL, json={"service": "pkb"}, headers={**bearer(KIOSK), "Idempotency-Key": key})
            answers[key] = r.json()
        await _age(s, "key-47-hours-old", 47)
        await _age(s, "key-49-hours-old", 49)
    async with running_server(db) as s:  # started: records past 48 hours deleted, the others listed again
        rows = await s.ctx.storage.query("SELECT key FROM idempotency")
        assert [row[0].rsplit(":", 1)[1].partition("#")[0] for row in rows] == ["key-47-hours-old"]
        headers = {**bearer(KIOSK), "Idempotency-Key": "key-47-hours-old"}
        recent = await s.http.post(URL, json={"service": "pkb"}, headers=headers)
        assert recent.headers.get("idempotent-replayed") == "true" and recent.json() == answers["key-47-hours-old"]
        headers = {**bearer(KIOSK), "Idempotency-Key": "key-49-hours-old"}
        old = await s.http.post(URL, json={"service": "pkb"}, headers=headers)
        assert old.status_code == 201 and "idempotent-replayed" not in old.headers
        assert old.json()["ticket"]["id"] != answers["key-49-hours-old"]["ticket"]["id"], (
            "a forgotten key is a new request"
        )


async def test_a_retry_across_an_upgrade_is_answered_from_the_record_the_old_release_wrote(
    database: Path | str,
) -> None:
    """An outside review upgraded a mall between a kiosk's request and its retry: the release before fingerprints
    stored the key under its scope alone, the new one did not find it, and the kiosk printed a second ticket."""
    headers = {**bearer(KIOSK), "Idempotency-Key": "kiosk-retry-0001"}
    async with running_server(database) as s:
        first = await s.http.post(URL, json={"service": "pkb"}, headers=headers)
        assert first.status_code == 201, first.text
        # as the old release stored it: `device:<id>:<key>`, no `#fingerprint`
        await s.ctx.storage.execute("UPDATE idempotency SET key = substr(key, 1, length(key) - 17)", ())
    async with running_server(database) as s:
        retry = await s.http.post(URL, json={"service": "pkb"}, headers=headers)
        assert retry.headers.get("idempotent-replayed") == "true" and retry.json() == first.json(), retry.text
        rows = await s.ctx.storage.query("SELECT COUNT(*) FROM tickets")
        assert rows == [(1,)]


async def test_records_deleted_while_running_are_no_longer_replayed(database: Path | str) -> None:
    headers = {**bearer(KIOSK), "Idempotency-Key": "aging-key"}
    async with running_server(database) as s:
        first = await s.http.post(URL, json={"service": "pkb"}, headers=headers)
        await _age(s, "aging-key", 49)
        await s.ctx.engine.forget_old_idempotency_keys()
        again = await s.http.post(URL, json={"service": "pkb"}, headers=headers)
        assert again.status_code == 201 and again.json()["ticket"]["id"] != first.json()["ticket"]["id"]
        replay = await s.http.post(URL, json={"service": "pkb"}, headers=headers)
        assert replay.headers["idempotent-replayed"] == "true" and replay.json() == again.json()


async def test_a_record_past_48_hours_not_yet_deleted_is_still_replayed(database: Path | str) -> None:
    """Records are deleted hourly, so some outlive 48 hours a little. Until deleted they are answered like any
    other: were the engine to decide such a retry again, its record's INSERT would fail the whole transaction."""
    headers = {**bearer(KIOSK), "Idempotency-Key": "key-in-the-last-hour"}
    async with running_server(database) as s:
        first = await s.http.post(URL, json={"service": "pkb"}, headers=headers)
        await _age(s, "key-in-the-last-hour", 48.5)
        again = await s.http.post(URL, json={"service": "pkb"}, headers=headers)
        assert again.headers["idempotent-replayed"] == "true" and again.json() == first.json()
        assert (await s.issue("pkb"))["ticket"]["label"] == "H-002", "nothing failed, no number used up"
