"""What the supervisor's dashboard watches besides the queues (an outside review found each missing): an idle
counter says since when (from the events: the same after a restart) and raises an alert while its citizens wait; a
service running far past that service's usual time is marked, then an alert naming the counter, never the citizen;
parked tickets are listed and a supervisor calls one back to a counter or sends it back to its line, authorised and
audited. Real servers on SQLite and PostgreSQL, followed over a real websocket."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx

from .helpers import Clock, Server, running_server
from .test_supervisor_api import dashboard_with, follow, ok, token_of

BOTH_DATABASES = True  # every test here that uses a server runs on SQLite and on PostgreSQL (conftest.py)


async def dashboard(server: Server, headers: dict[str, str]) -> dict[str, Any]:
    r = await server.http.get("/api/v1/sites/tegal/dashboard", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def counter(data: dict[str, Any], cid: str) -> dict[str, Any]:
    return next(c for c in data["counters"] if c["id"] == cid)


def kinds(data: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [a for a in data["alerts"] if a["kind"] == kind]


async def ticket_action(server: Server, headers: dict[str, str], ticket: str, **body: Any) -> httpx.Response:
    return await server.http.post(f"/api/v1/sites/tegal/tickets/{ticket}/actions",
                                  json={"command_id": uuid.uuid4().hex, **body}, headers=headers)  # fmt: skip


async def test_an_idle_counter_says_since_when_across_a_restart_and_raises_an_alert_while_its_citizens_wait(
    database: Path | str,
) -> None:
    clock = Clock()  # Monday 09.00 WIB
    async with running_server(database, clock=clock, dashboard_seconds=0.3) as s:
        sup, op = await s.login("supervisor"), await s.login("op-disdukcapil")
        await ok(await s.command(op, "1", "open"))
        closed = counter(await dashboard(s, sup), "2")
        assert (closed["activity"], closed["idle_since"], closed["idle_seconds"]) == ("closed", None, None)
        clock.advance(minutes=2)
        await s.issue("ktp")  # 09.02: waits while Loket 1 stands idle
        clock.advance(minutes=4)
        data = await dashboard(s, sup)
        idle = counter(data, "1")
        assert idle["idle_since"] == "2026-11-23T09:00:00.000+07:00" and idle["idle_seconds"] == 6 * 60
        assert (idle["waiting_for"], idle["waiting_label"], idle["idle_while_waiting"]) == (1, "A-001", 4 * 60)
        assert kinds(data, "counter_idle") == [], "4 minutes: not yet"
        async with follow(s, role="supervisor", token=token_of(sup), dashboard=True) as live:
            await live.until(lambda f: f["type"] == "dashboard")
            clock.advance(minutes=1)
            raised = await live.until(lambda f: f["type"] == "alert" and f["data"]["kind"] == "counter_idle")
            alert = raised["data"]
            assert (alert["id"], alert["active"], alert["agencies"]) == ("counter_idle:1", True, ["disdukcapil"])
            assert alert["message"].startswith("Loket 1 kosong sejak pukul 09.00 (7 menit), padahal 1 orang menunggu")
            assert "A-001 sudah 5 menit" in alert["message"] and "jeda atau tutup loket itu" in alert["message"]
            assert "Ask its operator to call the next" in alert["message_en"]
    # Another server on the same database (a restart, or another process): the same "since", from the events.
    async with running_server(database, clock=clock, dashboard_seconds=0.3) as s:
        sup, op = await s.login("supervisor"), await s.login("op-disdukcapil")
        data = await dashboard(s, sup)
        assert counter(data, "1")["idle_since"] == "2026-11-23T09:00:00.000+07:00"
        assert [a["id"] for a in kinds(data, "counter_idle")] == ["counter_idle:1"]
        async with follow(s, role="supervisor", token=token_of(sup), dashboard=True) as live:
            await live.until(lambda f: f["type"] == "dashboard")
            await ok(await s.command(op, "1", "call_next"))  # it calls: the alert clears
            cleared = await live.until(lambda f: f["type"] == "alert" and f["data"]["kind"] == "counter_idle")
            assert cleared["data"]["active"] is False
            clock.advance(minutes=3)
            await ok(await s.command(op, "1", "finish"))  # idle again from 09.10, and nobody waits
            frame = await live.until(dashboard_with(lambda d: counter(d, "1")["activity"] == "idle"))
            again = counter(frame["data"], "1")
            assert again["idle_since"] == "2026-11-23T09:10:00.000+07:00" and again["waiting_for"] == 0
            assert not kinds(frame["data"], "counter_idle")
            await ok(await s.command(op, "1", "pause"))  # on a break: not idle, no time
            frame = await live.until(dashboard_with(lambda d: counter(d, "1")["activity"] == "paused"))
            assert counter(frame["data"], "1")["idle_since"] is None


async def test_a_service_far_past_its_usual_time_is_marked_then_an_alert_naming_the_counter_not_the_citizen(
    database: Path | str,
) -> None:
    clock = Clock()
    async with running_server(database, clock=clock, dashboard_seconds=0.3) as s:
        sup, op = await s.login("supervisor"), await s.login("op-disdukcapil")
        await ok(await s.command(op, "1", "open"))
        issued = await s.issue("ktp")  # KTP: 6 minutes a citizen in the demo mall, nothing learnt yet today
        await ok(await s.command(op, "1", "call_next"))
        await ok(await s.command(op, "1", "start"))
        clock.advance(minutes=11)
        at = counter(await dashboard(s, sup), "1")
        assert (at["usual_seconds"], at["overrun"]) == (6 * 60, None), "11 minutes: under twice and 5 minutes over"
        clock.advance(minutes=1)
        data = await dashboard(s, sup)
        assert counter(data, "1")["overrun"] == "long" and not kinds(data, "service_long"), "marked, no alert yet"
        async with follow(s, role="supervisor", token=token_of(sup), dashboard=True) as live:
            await live.until(lambda f: f["type"] == "dashboard")
            clock.advance(minutes=9)  # 21 minutes: three times 6 and 15 over
            raised = await live.until(lambda f: f["type"] == "alert" and f["data"]["kind"] == "service_long")
            alert = raised["data"]
            assert (alert["id"], alert["counter"], alert["seconds"]) == ("service_long:1", "1", 21 * 60)
            assert alert["message"] == (
                "Loket 1 melayani satu warga KTP Elektronik sejak pukul 09.00 (21 menit; biasanya sekitar 6 menit). "
                "Tanyakan ke petugasnya apakah perlu bantuan, atau apakah tombol Selesai terlupa."
            )
            said = json.dumps(alert)
            assert issued["ticket"]["label"] not in said and issued["status_url"] not in said, "never the citizen"
            await ok(await s.command(op, "1", "finish"))
            cleared = await live.until(lambda f: f["type"] == "alert" and f["data"]["kind"] == "service_long")
            assert cleared["data"]["active"] is False


async def test_parked_tickets_are_listed_and_a_supervisor_calls_one_back_or_sends_it_to_its_line(
    database: Path | str,
) -> None:
    clock = Clock()
    async with running_server(database, clock=clock, dashboard_seconds=0.3) as s:
        sup, op, polres = await s.login("supervisor"), await s.login("op-disdukcapil"), await s.login("op-polres")
        for c in ("1", "2"):
            await ok(await s.command(op, c, "open"))
        for _ in range(3):
            await s.issue("ktp")
        await ok(await s.command(op, "1", "call_next"))
        await ok(await s.command(op, "1", "park", note="ambil fotokopi KK"))
        clock.advance(minutes=2)
        await ok(await s.command(op, "1", "call_next"))
        await ok(await s.command(op, "1", "park"))
        clock.advance(minutes=3)
        data = await dashboard(s, sup)
        assert [
            (t["label"], t["service_name"], t["counter_name"], t["since"], t["seconds"]) for t in data["parked"]
        ] == [
            ("A-001", "KTP Elektronik", "Loket 1", "2026-11-23T09:00:00.000+07:00", 300),
            ("A-002", "KTP Elektronik", "Loket 1", "2026-11-23T09:02:00.000+07:00", 180),
        ]
        assert "fotokopi" not in json.dumps(data["parked"]), "staff's note stays off the list"
        r = await s.http.get("/api/v1/sites/tegal/dashboard?agency=polres", headers=sup)
        assert r.status_code == 200 and r.json()["parked"] == [], "another agency's dashboard lists none"

        # Refused, each with what to do, and nothing changed.
        await ok(await s.command(polres, "5", "open"))
        before = s.ctx.storage.last_seq
        r = await ticket_action(s, polres, "A-001", action="unpark", counter="2")
        assert r.status_code == 403 and r.json()["error"]["code"] == "not_your_agency", r.text
        r = await ticket_action(s, sup, "A-001", action="cancel", counter="2")
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_field", r.text
        assert "unpark" in r.json()["error"]["message"] and r.json()["error"]["details"]["field"] == "counter"
        r = await ticket_action(s, sup, "A-003", action="unpark")
        assert r.status_code == 409 and r.json()["error"]["code"] == "not_parked", r.text
        assert r.json()["error"]["message"] == "A-003 sedang menunggu di antrean. Tidak perlu dikembalikan ke antrean."
        await ok(await s.command(op, "2", "call_next"))  # A-003 at Loket 2: busy
        r = await ticket_action(s, sup, "A-001", action="unpark", counter="2")
        assert r.status_code == 409 and r.json()["error"]["code"] == "counter_busy", r.text
        r = await ticket_action(s, sup, "A-001", action="unpark", counter="99")
        assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_counter", r.text
        r = await ticket_action(s, sup, "A-001", action="unpark", counter="5")  # Polres: not a KTP counter
        assert r.status_code == 409 and r.json()["error"]["code"] == "not_served_here", r.text
        assert s.ctx.storage.last_seq == before + 1, "only Loket 2's own call was written"

        await ok(await s.command(op, "2", "finish"))
        called = await ok(await ticket_action(s, sup, "A-001", action="unpark", counter="2"))
        assert called["events"] == ["ticket.called"] and called["tickets"][0]["counter"] == "2"
        back = await ok(await ticket_action(s, sup, "A-002", action="unpark"))
        assert back["events"] == ["ticket.returned"] and back["tickets"][0]["state"] == "waiting"
        data = await dashboard(s, sup)
        assert data["parked"] == [] and counter(data, "2")["ticket"] == "A-001"
        state = s.ctx.state("tegal")
        assert [state.tickets[t].label for t in state.waiting["ktp"]] == ["A-002"], "at its old place, first"
        await ok(await s.command(op, "1", "call_next"))
        assert counter(await dashboard(s, sup), "1")["ticket"] == "A-002"

        entries = (await s.http.get("/api/v1/sites/tegal/audit", headers=sup)).json()["entries"]
        assert [e["summary"]["id"] for e in entries if e["action"] == "ticket.unpark"] == [
            "Tiket A-002 yang diparkir dikembalikan ke antreannya",
            "Tiket A-001 yang diparkir dipanggil kembali ke Loket 2",
        ], "one entry each, newest first"


async def test_alert_thresholds_changed_on_the_settings_apply_at_the_next_push_and_are_audited(
    database: Path | str,
) -> None:
    """[alerts] set through the configuration (the Settings page's route): the dashboard that follows uses them from
    the next push, without a restart; GET .../configuration says each in force with its default and bounds; the audit
    log names which threshold changed; a value out of bounds is refused by name and changes nothing."""
    clock = Clock()  # Monday 09.00 WIB
    url = "/api/v1/sites/tegal/configuration"
    async with running_server(database, clock=clock, dashboard_seconds=0.3) as s:
        sup, op = await s.login("supervisor"), await s.login("op-disdukcapil")
        current = await ok(await s.http.get(url, headers=sup))
        assert current["alerts"]["counter_idle_minutes"] == {"value": 5, "default": 5, "low": 1, "high": 120}
        assert current["alerts"]["service_long_times"] == {"value": 3.0, "default": 3.0, "low": 1.5, "high": 10}
        await ok(await s.command(op, "1", "open"))
        await s.issue("ktp")
        clock.advance(minutes=6)
        assert [a["id"] for a in kinds(await dashboard(s, sup), "counter_idle")] == ["counter_idle:1"]
        wrong = {**current["document"], "alerts": {"counter_idle_minutes": 0}}
        r = await s.http.put(url, json={"version": 0, "document": wrong}, headers=sup)
        assert r.status_code == 422 and r.json()["error"]["details"]["problems_text"]["id"] == [
            "peringatan dasbor, menit menunggu selama loket kosong: harus bilangan bulat dari 1 sampai 120"
        ], r.text
        async with follow(s, role="supervisor", token=token_of(sup), dashboard=True) as live:
            await live.until(lambda f: f["type"] == "dashboard")
            document = {**current["document"], "alerts": {"counter_idle_minutes": 10}}
            saved = await ok(await s.http.put(url, json={"version": 0, "document": document}, headers=sup))
            assert saved["changes"] == ["~alerts.counter_idle_minutes"]
            assert saved["changes_text"]["id"] == ["batas peringatan Loket kosong diubah"]
            cleared = await live.until(lambda f: f["type"] == "alert" and f["data"]["kind"] == "counter_idle")
            assert cleared["data"]["active"] is False, "6 minutes idle is no alert under a 10-minute threshold"
            clock.advance(minutes=4)
            raised = await live.until(lambda f: f["type"] == "alert" and f["data"]["kind"] == "counter_idle")
            assert raised["data"]["active"] is True and "(A-001 sudah 10 menit" in raised["data"]["message"]
        now = await ok(await s.http.get(url, headers=sup))
        assert now["alerts"]["counter_idle_minutes"]["value"] == 10 and now["document"]["alerts"] == {
            "counter_idle_minutes": 10
        }
        audit = await ok(await s.http.get("/api/v1/sites/tegal/audit", headers=sup))
        entry = audit["entries"][0]
        assert (entry["action"], entry["actor"]) == ("site.configure", "supervisor"), entry
        assert "~alerts.counter_idle_minutes" in str(entry["details"]), entry


async def test_a_counter_idle_since_before_it_was_recorded_is_dated_from_the_log_or_said_unknown(
    database: Path | str,
) -> None:
    """A database an earlier release wrote holds idle counters without `idle_since`: the dashboard said "Kosong —"
    until their next event. At start the event that wrote each counter last dates it where it can (a finish, an
    opening); where that event is no longer in the log (archived), it stays unknown, said so, never guessed."""
    clock = Clock()  # Monday 09.00 WIB
    async with running_server(database, clock=clock) as s:
        op = await s.login("op-disdukcapil")
        for c in ("1", "2"):
            await ok(await s.command(op, c, "open"))  # 09.00
        await s.issue("ktp")
        clock.advance(minutes=2)
        await ok(await s.command(op, "1", "call_next"))
        clock.advance(minutes=3)
        await ok(await s.command(op, "1", "finish"))  # 09.05: Loket 1 idle from here
        storage = s.ctx.storage
        for cid, doc, seq in await storage.fetch_all("SELECT id, doc, seq FROM counters WHERE site = ?", ("tegal",)):
            older = {k: v for k, v in json.loads(doc).items() if k != "idle_since"}  # as an earlier release wrote it
            await storage.execute("UPDATE counters SET doc = ? WHERE site = ? AND id = ?",
                                  (json.dumps(older), "tegal", cid))  # fmt: skip
            if cid == "2":  # its opening archived since (queue-server archive)
                await storage.execute("DELETE FROM events WHERE seq = ?", (seq,))
    clock.advance(minutes=7)
    async with running_server(database, clock=clock) as s:
        data = await dashboard(s, await s.login("supervisor"))
        dated, unknown = counter(data, "1"), counter(data, "2")
        assert (dated["activity"], dated["idle_since"], dated["idle_seconds"]) == (
            "idle", "2026-11-23T09:05:00.000+07:00", 7 * 60
        )  # fmt: skip
        assert (unknown["activity"], unknown["idle_since"], unknown["idle_seconds"]) == ("idle", None, None)
