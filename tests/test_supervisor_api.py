"""The supervisor's side over HTTP and the websocket: who may follow which dashboard, live figures and alerts pushed
as notices (server clock, not the browser's), the running text through the event log, and an audit entry for
every privileged action (and none for a refused or repeated one)."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect

from queue_server.application.demo import demo_display_token
from queue_server.domain.events import EVENT_TYPES

from .helpers import KIOSK, LOBBY, Server, bearer, running_server

BOTH_DATABASES = True  # every test here that uses a server runs on SQLite and on PostgreSQL (conftest.py)

WAIT = 5.0
Frame = dict[str, Any]


def token_of(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


class Live:
    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.frames: list[Frame] = []

    async def recv(self) -> Frame:
        async with asyncio.timeout(WAIT):
            frame: Frame = json.loads(await self.ws.recv())
        self.frames.append(frame)
        return frame

    async def until(self, predicate: Callable[[Frame], bool]) -> Frame:
        async with asyncio.timeout(WAIT):
            while True:
                frame = await self.recv()
                if predicate(frame):
                    return frame


@asynccontextmanager
async def follow(server: Server, **hello: Any) -> AsyncIterator[Live]:
    async with connect(server.ws_url, ping_interval=None, open_timeout=WAIT, close_timeout=2) as ws:
        await ws.send(json.dumps({"type": "hello", "site": "tegal", **hello}))
        live = Live(ws)
        welcome = await live.recv()
        assert welcome["type"] in ("welcome", "error"), welcome
        yield live


async def refused(server: Server, code: str, **hello: Any) -> None:
    async with follow(server, **hello) as live:
        assert live.frames[0]["type"] == "error" and live.frames[0]["code"] == code, live.frames[0]


def dashboard_with(predicate: Callable[[Frame], bool]) -> Callable[[Frame], bool]:
    return lambda f: f["type"] == "dashboard" and predicate(f["data"])


def service(data: Frame, sid: str) -> Frame:
    return next(s for s in data["services"] if s["id"] == sid)


async def ok(response: Any) -> Any:
    assert response.status_code in (200, 201), response.text
    return response.json()


@pytest.fixture
async def server(database: Path | str) -> AsyncIterator[Server]:
    async with running_server(database, dashboard_seconds=0.3) as s:
        yield s


# --- who may follow which dashboard ------------------------------------------------------------------------------


async def test_operator_follows_only_their_own_agency(server: Server) -> None:
    op = token_of(await server.login("op-disdukcapil"))
    await refused(server, "not_your_agency", role="supervisor", token=op, agency="polres", dashboard=True)
    await refused(server, "forbidden", role="supervisor", token=op, dashboard=True)
    await refused(server, "unauthenticated", role="supervisor", dashboard=True)
    await refused(server, "forbidden", role="supervisor", token=KIOSK, dashboard=True)
    await server.issue("ktp")
    await server.issue("skck")
    async with follow(server, role="supervisor", token=op, agency="disdukcapil", dashboard=True) as live:
        frame = await live.until(lambda f: f["type"] == "dashboard")
        data = frame["data"]
        assert data["agency"] == "disdukcapil"
        assert {s["agency"] for s in data["services"]} == {"disdukcapil"}
        assert {c["id"] for c in data["counters"]} == {"1", "2", "3", "4"}
        assert data["totals"]["waiting"] == 1
    op_headers = bearer(op)
    r = await server.http.get("/api/v1/sites/tegal/dashboard?agency=polres", headers=op_headers)
    assert r.status_code == 403 and r.json()["error"]["code"] == "not_your_agency"
    r = await server.http.get("/api/v1/sites/tegal/dashboard", headers=op_headers)
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    r = await server.http.get("/api/v1/sites/tegal/dashboard?agency=disdukcapil", headers=op_headers)
    assert r.status_code == 200 and r.json()["totals"]["waiting"] == 1


async def test_operator_cannot_act_as_supervisor(server: Server) -> None:
    op = await server.login("op-disdukcapil")
    before = server.ctx.storage.last_seq
    r = await server.http.post("/api/v1/sites/tegal/running-text", json={"text": "Tutup"}, headers=op)
    assert r.status_code == 403 and r.json()["error"]["message"] and r.json()["error"]["message_en"]
    r = await server.http.post("/api/v1/sites/tegal/close-day", json={}, headers=op)
    assert r.status_code == 403
    r = await server.http.post("/api/v1/sites/tegal/counters/5/commands", json={"command": "pause"}, headers=op)
    assert r.status_code == 403 and r.json()["error"]["code"] == "not_your_agency"
    assert server.ctx.storage.last_seq == before
    assert (await server.http.get("/api/v1/sites/tegal/audit", headers=op)).status_code == 403


async def test_a_supervisor_without_the_dashboard_flag_gets_events_only(server: Server) -> None:
    sup = token_of(await server.login("supervisor"))
    async with follow(server, role="supervisor", token=sup) as live:
        await live.recv()  # snapshot
        await server.issue("ktp")
        await asyncio.sleep(0.8)  # longer than dashboard_seconds: a dashboard would have had a notice by now
        await server.issue("ktp")
        await live.until(lambda f: f["type"] == "ticket.issued" and f["data"]["ticket"]["label"] == "A-002")
        assert all(f["type"] in (*EVENT_TYPES, "snapshot", "welcome", "ping") for f in live.frames)


# --- live figures and alerts --------------------------------------------------------------------------------------


async def test_dashboard_follows_issue_and_call_and_alerts_on_the_server_clock(server: Server) -> None:
    sup = await server.login("supervisor")
    op = await server.login("op-disdukcapil")
    async with follow(server, role="supervisor", token=token_of(sup), dashboard=True) as live:
        first = await live.until(lambda f: f["type"] == "dashboard")
        assert first["data"]["server_time"] == "2026-11-23T09:00:00.000+07:00"
        assert first["at"] == "2026-11-23T09:00:00.000+07:00"
        assert service(first["data"], "ktp")["waiting"] == 0 and first["data"]["alerts"] == []

        await server.issue("ktp")
        frame = await live.until(dashboard_with(lambda d: service(d, "ktp")["waiting"] == 1))
        assert service(frame["data"], "ktp")["longest_label"] == "A-001"
        await ok(await server.command(op, "1", "open"))  # staffed: the wait alert (with none open, no_counter)

        server.clock.advance(minutes=46)  # KTP's target is 45 minutes (Loket 1 idle meanwhile: counter_idle too)
        alert = await live.until(lambda f: f["type"] == "alert" and f["data"]["kind"] == "wait")
        assert alert["data"]["id"] == "wait:ktp" and alert["data"]["active"] is True
        assert alert["data"]["ticket"] == "A-001" and alert["data"]["target_minutes"] == 45
        assert "46 menit" in alert["data"]["message"] and "46 minutes" in alert["data"]["message_en"]
        assert alert["at"] == "2026-11-23T09:46:00.000+07:00"
        frame = await live.until(dashboard_with(lambda d: bool(d["alerts"])))
        assert service(frame["data"], "ktp")["longest_wait"] == 46 * 60

        await ok(await server.command(op, "1", "call_next"))
        cleared = await live.until(lambda f: f["type"] == "alert" and f["data"]["kind"] == "wait")
        assert cleared["data"]["id"] == "wait:ktp" and cleared["data"]["active"] is False
        frame = await live.until(dashboard_with(lambda d: d["counters"][0]["activity"] == "called"))
        counter = frame["data"]["counters"][0]
        assert counter["ticket"] == "A-001" and counter["operator"] == "op-disdukcapil" and counter["seconds"] == 0
        assert service(frame["data"], "ktp")["mean_wait"] == 46 * 60 and frame["data"]["alerts"] == []

        server.clock.advance(minutes=3)
        await ok(await server.command(op, "1", "start"))
        server.clock.advance(minutes=4)
        frame = await live.until(dashboard_with(lambda d: d["counters"][0]["activity"] == "serving"
                                                and d["counters"][0]["seconds"] == 240))  # fmt: skip
        await ok(await server.command(op, "1", "finish"))
        frame = await live.until(dashboard_with(lambda d: service(d, "ktp")["served"] == 1))
        ktp = service(frame["data"], "ktp")
        assert ktp["mean_service"] == 240 and ktp["served_last_hour"] == 1 and ktp["waiting"] == 0


async def test_a_display_that_disconnects_shows_as_down(server: Server) -> None:
    sup = token_of(await server.login("supervisor"))
    async with follow(server, role="supervisor", token=sup, dashboard=True) as live:
        async with follow(server, role="display", token=LOBBY) as display:
            await display.ws.send(json.dumps({"type": "health", "audio": "blocked", "last_call_label": "A-009"}))
            frame = await live.until(dashboard_with(lambda d: any(x["audio"] == "blocked" for x in d["devices"])))
            device = frame["data"]["devices"][0]
            assert (
                device["screen"] == "lobby" and device["health"] == "warning" and device["last_call_label"] == "A-009"
            )
        alert = await live.until(lambda f: f["type"] == "alert" and f["data"]["kind"] == "device")
        assert alert["data"]["active"] is True and alert["data"]["screen"] == "lobby"
        assert "terputus" in alert["data"]["message"] and "disconnected" in alert["data"]["message_en"]
        frame = await live.until(dashboard_with(lambda d: d["totals"]["devices_down"] == 1))
        assert frame["data"]["devices"][0]["health"] == "down"
        async with follow(server, role="display", token=LOBBY):
            back = await live.until(lambda f: f["type"] == "alert" and f["data"]["kind"] == "device")
            assert back["data"]["active"] is False


async def test_agency_dashboard_sees_its_own_screens_and_alerts_only(server: Server) -> None:
    op = token_of(await server.login("op-polres"))
    async with follow(server, role="supervisor", token=op, agency="polres", dashboard=True) as live:
        async with follow(server, role="display", token=demo_display_token("tegal", "disdukcapil")):
            pass
        await server.issue("ktp")
        server.clock.advance(minutes=60)
        frame = await live.until(dashboard_with(lambda d: d["server_time"].startswith("2026-11-23T10:00")))
        assert frame["data"]["alerts"] == [] and frame["data"]["devices"] == []
        assert not [f for f in live.frames if f["type"] == "alert"]


# --- the running text -------------------------------------------------------------------------------------------


async def test_running_text_is_an_event_every_display_gets_and_it_survives_a_restart(tmp_path: Path) -> None:
    text = "Pelayanan   KTP hari ini\nsampai pukul 14.00."
    async with running_server(tmp_path / "q.sqlite3") as server:
        sup = await server.login("supervisor")
        # a screen filtered to one agency still gets it: the running text is site-wide
        async with follow(server, role="display", token=demo_display_token("tegal", "disdukcapil")) as screen:
            await screen.recv()  # snapshot
            body = await ok(
                await server.http.post("/api/v1/sites/tegal/running-text", json={"text": text}, headers=sup)
            )
            assert body == {"ok": True, "running_text": "Pelayanan KTP hari ini sampai pukul 14.00."}
            event = await screen.until(lambda f: f["type"] == "site.running_text")
            assert event["data"] == {"text": "Pelayanan KTP hari ini sampai pukul 14.00."} and event["seq"] > 0
        state = await ok(await server.http.get("/api/v1/sites/tegal/state", headers=sup))
        assert state["running_text"] == body["running_text"]
        for bad in ({"text": "x" * 501}, {}, {"text": 5}, {"text": "ok", "colour": "red"}):
            r = await server.http.post("/api/v1/sites/tegal/running-text", json=bad, headers=sup)
            assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_field", bad
        assert (await ok(await server.http.get("/api/v1/sites/tegal")))["running_text"] == body["running_text"]
    async with running_server(tmp_path / "q.sqlite3") as server:
        catalogue = await ok(await server.http.get("/api/v1/sites/tegal"))
        assert catalogue["running_text"] == "Pelayanan KTP hari ini sampai pukul 14.00."
        async with follow(server, role="display", token=LOBBY) as display:
            snapshot = await display.recv()
            assert snapshot["data"]["running_text"] == catalogue["running_text"]


async def test_a_running_text_naming_a_citizen_is_refused_before_any_screen_or_log_gets_it(server: Server) -> None:
    """An outside review: a supervisor's running text "Panggilan untuk Ibu Siti Rahayu NIK 3328..." went to every
    lobby screen, the event log and the audit log. A citizen is called by number; the mall's own words still pass."""
    sup = await server.login("supervisor")
    before = await ok(await server.http.get("/api/v1/sites/tegal/audit", headers=sup))
    async with follow(server, role="display", token=LOBBY) as screen:
        await screen.recv()  # snapshot
        for text, kinds, said in (
            ("Panggilan untuk pemilik NIK 3328 0123 4567 8901, silakan ke loket 3", ["nik"], "NIK warga"),
            ("Bapak yang HP-nya 0812-3456-7890 ditunggu di loket 5", ["phone"], "nomor telepon warga"),
            ("Panggilan untuk Ibu Siti Rahayu, silakan ke meja informasi", ["name"], "nama warga"),
            ("Dokumen a.n. budi tertinggal di loket 2", ["name"], "nama warga"),
            ("Pemohon lahir 12-01-1980 harap ke loket 4", ["birth_date"], "tanggal lahir warga"),
            ("Ibu Siti, 0812 3456 7890", ["phone", "name"], "nomor telepon dan nama warga"),
        ):
            r = await server.http.post("/api/v1/sites/tegal/running-text", json={"text": text}, headers=sup)
            assert r.status_code == 422, (text, r.text)
            error = r.json()["error"]
            assert error["code"] == "invalid_field" and error["details"] == {"field": "text", "kinds": kinds}
            assert error["message"].startswith(f"Teks memuat {said}: teks ini tampil di semua layar lobi"), error
            assert "nomor antreannya" in error["message"] and "queue number" in error["message_en"]
            for part in ("3328", "3456", "Siti", "budi", "1980"):
                assert part not in r.text, (part, r.text)
        fine = "Kepada Bapak/Ibu Warga Kabupaten Tegal: pemilik nomor A-012 silakan ke meja informasi pukul 10.00."
        body = await ok(await server.http.post("/api/v1/sites/tegal/running-text", json={"text": fine}, headers=sup))
        assert body["running_text"] == fine
        event = await screen.until(lambda f: f["type"] == "site.running_text")
        assert event["data"] == {"text": fine}, "the screen got the accepted text, and only that one"
        assert not [f for f in screen.frames if f["type"] == "site.running_text" and f is not event]
    after = await ok(await server.http.get("/api/v1/sites/tegal/audit", headers=sup))
    assert len(after["entries"]) == len(before["entries"]) + 1, "refused texts leave no audit entry"
    assert after["entries"][0]["action"] == "site.running_text"


# --- the audit log ----------------------------------------------------------------------------------------------


async def test_every_privileged_action_leaves_one_audit_entry(server: Server) -> None:
    sup = await server.login("supervisor")
    op = await server.login("op-disdukcapil")
    for _ in range(4):
        await server.issue("ktp")
    await ok(await server.command(op, "1", "open"))
    await ok(await server.command(op, "1", "call_next"))  # routine: not audited
    await ok(await server.command(op, "1", "finish"))  # routine
    await ok(await server.command(op, "1", "call", ticket="A-003"))  # out of order
    # a body naming another ticket than the counter's is refused (the counter moves its own ticket; the field names
    # the one the operator saw there), so no log can name the wrong one
    refused = await server.command(op, "1", "transfer", target_service="kk", ticket="A-004")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "ticket_changed", refused.text
    await ok(await server.command(op, "1", "transfer", target_service="kk"))
    await ok(await server.command(sup, "2", "open"))
    await ok(await server.command(sup, "2", "pause"))
    await ok(await server.command(sup, "2", "resume"))
    await ok(await server.command(sup, "2", "close"))
    refused_pause = await server.command(sup, "2", "pause")  # closed: refused, so not logged
    assert refused_pause.status_code == 409
    key = str(uuid.uuid4())
    for _ in range(2):  # a retry with the same command_id is one action
        r = await server.http.post("/api/v1/sites/tegal/tickets/A-002/actions",
                                   json={"action": "cancel", "reason": "double", "command_id": key}, headers=sup)  # fmt: skip
        await ok(r)
    await ok(await server.http.post("/api/v1/sites/tegal/tickets/A-004/actions",
                                    json={"action": "transfer", "target_service": "skck"}, headers=sup))  # fmt: skip
    await ok(await server.http.post("/api/v1/sites/tegal/running-text", json={"text": "Selamat datang"}, headers=sup))
    await ok(await server.http.post("/api/v1/sites/tegal/close-day", json={}, headers=sup))

    audit = await ok(await server.http.get("/api/v1/sites/tegal/audit", headers=sup))
    entries = list(reversed(audit["entries"]))
    assert [(e["actor"], e["action"], e["target"]) for e in entries] == [
        ("op-disdukcapil", "counter.open", "counter 1"),
        ("op-disdukcapil", "counter.call", "counter 1"),
        ("op-disdukcapil", "counter.transfer", "counter 1"),
        ("supervisor", "counter.open", "counter 2"),
        ("supervisor", "counter.pause", "counter 2"),
        ("supervisor", "counter.resume", "counter 2"),
        ("supervisor", "counter.close", "counter 2"),
        ("supervisor", "ticket.cancel", "ticket A-002"),
        ("supervisor", "ticket.transfer", "ticket A-004"),
        ("supervisor", "site.running_text", "site tegal"),
        ("supervisor", "day.close", "day 2026-11-23"),
    ]
    # names as they are now, so the log still reads in words once a counter or service is removed
    assert entries[1]["details"] == {"ticket": "A-003", "counter_name": "Loket 1"}
    skck = "Surat Keterangan Catatan Kepolisian (SKCK)"
    assert entries[8]["details"] == {"target_service": "skck", "service_name": skck}
    # a transfer from the counter names the ticket the counter had, and every entry reads as a sentence
    assert entries[2]["details"] == {"ticket": "A-003", "target_service": "kk", "service_name": "Kartu Keluarga",
                                     "counter_name": "Loket 1"}  # fmt: skip
    assert entries[2]["summary"]["id"] == "Loket 1 memindahkan A-003 ke Kartu Keluarga"
    assert entries[10]["summary"]["id"] == "Hari Senin, 23 November 2026 ditutup"
    assert all("…" not in e["summary"]["id"] + e["summary"]["en"] for e in entries)
    assert {e["role"] for e in entries} == {"operator", "supervisor"}
    assert all(e["at"] == "2026-11-23T09:00:00.000+07:00" for e in entries)
    logged = {e.seq: e for e in await server.ctx.storage.events_after("tegal", 0, 1000)}
    assert logged[entries[4]["seq"]].type == "counter.paused"
    assert logged[entries[7]["seq"]].type == "ticket.cancelled"
    assert logged[entries[10]["seq"]].type in ("ticket.expired", "counter.closed", "day.closed")

    admin = await server.login("admin")
    assert len((await ok(await server.http.get("/api/v1/sites/tegal/audit", headers=admin)))["entries"]) == 11
    page = await ok(await server.http.get(f"/api/v1/sites/tegal/audit?limit=2&before={audit['entries'][0]['id']}",
                                          headers=sup))  # fmt: skip
    assert [e["action"] for e in page["entries"]] == ["site.running_text", "ticket.transfer"]
    old = await ok(await server.http.get("/api/v1/sites/tegal/audit?from=2026-11-22&to=2026-11-22", headers=sup))
    assert old["entries"] == []
    for bad in ("limit=0", "limit=5000", "limit=x", "before=-1", "from=2026-11-24&to=2026-11-23"):
        r = await server.http.get(f"/api/v1/sites/tegal/audit?{bad}", headers=sup)
        assert r.status_code == 422 and r.json()["error"]["message_en"], bad


# --- the pages themselves -----------------------------------------------------------------------------------------


async def test_pages_are_served_with_their_local_assets_only(server: Server) -> None:
    for path, text in (("/supervisor/tegal", "Dasbor Langsung"), ("/supervisor/tegal/reports", "Laporan"),
                       ("/supervisor/tegal/audit", "Log audit"), ("/survey/tegal/1", "Survei Kepuasan Masyarakat"),
                       ("/supervisor/tegal?lang=en", "Live dashboard")):  # fmt: skip
        r = await server.http.get(path)
        assert r.status_code == 200 and text in r.text, path
        assert "default-src 'self'" in r.headers["content-security-policy"]
        assert "http://" not in r.text and "https://" not in r.text, "no CDN, no outside asset"
        for asset in re.findall(r'(?:src|href)="(/static/supervisor/[^"]+)"', r.text):
            assert (await server.http.get(asset)).status_code == 200, asset
    survey = await server.http.get("/survey/tegal/99")  # a counter the mall has not; a tablet citizens touch: no link
    assert survey.status_code == 404 and "Halaman tidak ditemukan" in survey.text and "<a " not in survey.text
    for path in ("/supervisor/nowhere", "/survey/nowhere/1"):  # a mall the server has not: no mall named
        r = await server.http.get(path)
        assert r.status_code == 404 and "MPP tidak dikenal di server ini" in r.text and "tegal" not in r.text, path
