"""The HTTP API against a real server: issuing, idempotency, counter commands, and every kind of bad input."""

import asyncio
import json
import logging
import uuid
from datetime import UTC, datetime

import httpx
import pytest
from websockets.asyncio.client import connect

from queue_server.application.views import site_state_view
from queue_server.web.requests import server_of

from .helpers import KIOSK, LOBBY, Server, bearer

BOTH_DATABASES = True  # every test here that uses a server runs on SQLite and on PostgreSQL (conftest.py)


async def event_count(server: Server) -> int:
    return server.ctx.storage.last_seq


async def snapshot(server: Server) -> tuple[int, str]:
    state = site_state_view(server.ctx, "tegal", "staff")
    state.pop("seq")
    return await event_count(server), json.dumps(state, sort_keys=True)


async def test_site_catalogue_is_public(server: Server) -> None:
    r = await server.http.get("/api/v1/sites/tegal")
    assert r.status_code == 200
    body = r.json()
    assert body["name"] == "MPP Kabupaten Tegal" and len(body["counters"]) >= 25
    assert (await server.http.get("/api/v1/sites")).json()["sites"][0]["id"] == "tegal"


async def test_a_kiosk_s_poll_gets_only_what_changes(server: Server) -> None:
    catalogue = (await server.http.get("/api/v1/sites/tegal")).json()
    r = await server.http.get("/api/v1/sites/tegal/today")
    assert r.status_code == 200 and len(r.content) < 1000, len(r.content)
    today = r.json()
    assert (
        set(today) == {"today", "issuing", "changes_at", "now", "configuration_version", "notify", "check_in"}
        and today["issuing"] is None
        and today["check_in"] is True  # the demo mall's KTP, KK, SKCK ... take online bookings
    )
    assert today["today"] == catalogue["today"] and today["configuration_version"] == catalogue["configuration_version"]
    assert today["notify"] == {key: catalogue["notify"][key] for key in ("offered", "available")}
    nowhere = await server.http.get("/api/v1/sites/nowhere/today")
    assert nowhere.status_code == 404 and nowhere.json()["error"]["code"] == "unknown_site"


async def test_the_waits_now_say_what_a_ticket_taken_now_would_be_told(server: Server) -> None:
    """GET /waits (public, no token): per service the wait of a ticket taken now and the walk-in quota left, before
    anyone takes a number; the next ticket is told the same."""
    r = await server.http.get("/api/v1/sites/tegal/waits")
    assert r.status_code == 200 and r.json()["issuing"] is None
    catalogue = (await server.http.get("/api/v1/sites/tegal")).json()
    services = r.json()["services"]
    assert set(services) == {s["id"] for s in catalogue["services"]}
    assert services["ktp"]["status"] == "no_counter_open" and services["ktp"]["minutes"] is None
    assert services["ktp"]["quota_left"] == 200 and services["pkb"]["quota_left"] is None, "walk-in share; no quota"
    for _ in range(3):
        await server.issue("ktp")
    ktp = (await server.http.get("/api/v1/sites/tegal/waits")).json()["services"]["ktp"]
    assert ktp["people_ahead"] == 3 and ktp["status"] == "no_counter_open" and ktp["quota_left"] == 197
    op = await server.login("op-disdukcapil")
    assert (await server.command(op, "1", "open")).status_code == 200
    ktp = (await server.http.get("/api/v1/sites/tegal/waits")).json()["services"]["ktp"]
    assert ktp["status"] == "estimated" and ktp["people_ahead"] == 3 and ktp["low"] <= ktp["minutes"] <= ktp["high"]
    ticket = await server.issue("ktp")
    assert ticket["people_ahead"] == 3 and ticket["estimated_wait"] == {
        k: v for k, v in ktp.items() if k not in ("quota_left", "paused")
    }
    nowhere = await server.http.get("/api/v1/sites/nowhere/waits")
    assert nowhere.status_code == 404 and nowhere.json()["error"]["code"] == "unknown_site"
    sup = await server.login("supervisor")
    assert (await server.http.post("/api/v1/sites/tegal/close-day", json={}, headers=sup)).status_code == 200
    closed = (await server.http.get("/api/v1/sites/tegal/waits")).json()
    assert closed["issuing"]["code"] == "day_closed" and "message_en" in closed["issuing"], closed["issuing"]


async def test_issue_answers_with_place_and_wait(server: Server) -> None:
    first = await server.issue("ktp")
    second = await server.issue("ktp", priority="lansia")
    assert first["ticket"]["label"] == "A-001" and second["ticket"]["label"] == "A-002"
    assert first["people_ahead"] == 0 and second["people_ahead"] == 0, "a priority ticket goes before regular ones"
    third = await server.issue("ktp")
    assert third["people_ahead"] == 2, "two before it in its line"
    assert third["estimated_wait_minutes"] is None and third["estimated_wait"]["status"] == "no_counter_open", (
        "no counter serving KTP is open: no time is promised (not 'soon')"
    )
    op = await server.login("op-disdukcapil")
    assert (await server.command(op, "1", "open")).status_code == 200  # Loket 1 serves KTP only
    fourth = await server.issue("ktp")
    wait = fourth["estimated_wait"]
    # Three ahead at 6 minutes each on one counter (18), and the priority citizens who will come meanwhile and go
    # first (one came in the last hour: a tenth of the counter's time), 18 / 0.9 = 20.
    assert fourth["people_ahead"] == 3 and fourth["estimated_wait_minutes"] == 20, fourth
    assert wait["status"] == "estimated" and wait["low"] <= 20 <= wait["high"] and wait["high"] - wait["low"] >= 2
    assert second["ticket"]["priority"] is True and second["ticket"]["priority_group"] == "lansia"
    status = await server.http.get(second["status_url"])
    assert status.status_code == 200
    public = status.json()
    assert public["ticket"]["label"] == "A-002" and public["service_name"] == "KTP Elektronik"
    assert "token" not in public["ticket"] and "priority_group" not in public["ticket"]
    assert public["people_ahead"] == 0, "a priority ticket is ahead of regular ones"


async def test_staff_desk_issues_with_priority_group(server: Server) -> None:
    op = await server.login("op-polres")
    r = await server.http.post("/api/v1/sites/tegal/tickets", json={"service": "skck", "priority": "disabilitas"},
                               headers=op)  # fmt: skip
    assert r.status_code == 201 and r.json()["ticket"]["channel"] == "desk"
    r = await server.http.post("/api/v1/sites/tegal/tickets", json={"service": "skck", "channel": "desk"},
                               headers=bearer(KIOSK))  # fmt: skip
    assert r.status_code == 403


async def test_idempotency_key_makes_a_retry_harmless(server: Server) -> None:
    key = str(uuid.uuid4())
    headers = {**bearer(KIOSK), "Idempotency-Key": key}
    first = await server.http.post("/api/v1/sites/tegal/tickets", json={"service": "pkb"}, headers=headers)
    again = await server.http.post("/api/v1/sites/tegal/tickets", json={"service": "pkb"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and again.headers["idempotent-replayed"] == "true"
    many = await asyncio.gather(*[
        server.http.post("/api/v1/sites/tegal/tickets", json={"service": "pkb"},
                         headers={**bearer(KIOSK), "Idempotency-Key": "concurrent-key-1"})
        for _ in range(20)
    ])  # fmt: skip
    assert {r.json()["ticket"]["id"] for r in many} and len({r.json()["ticket"]["id"] for r in many}) == 1
    assert server.ctx.state("tegal").issued[("pkb", server.clock().date())] == 2


async def test_a_key_used_again_for_another_request_is_refused_and_changes_nothing(server: Server) -> None:
    """A key answers its own request only: used again for another service, command, counter or ticket it is refused
    (422) and nothing changes; it used to be answered with the first request's result, a "finish" or a "cancel"
    passing for done."""
    url = "/api/v1/sites/tegal/tickets"
    kiosk = {**bearer(KIOSK), "Idempotency-Key": f"kiosk-{uuid.uuid4().hex}"}
    first = await server.http.post(url, json={"service": "ktp"}, headers=kiosk)
    assert first.status_code == 201
    other = await server.http.post(url, json={"service": "skck", "priority": "lansia"}, headers=kiosk)
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused", other.text
    assert "kunci baru" in other.json()["error"]["message"]
    again = await server.http.post(url, json={"service": "ktp"}, headers=kiosk)
    assert again.status_code == 201 and again.json() == first.json()  # the retry is still answered
    state = server.ctx.state("tegal")
    assert not any(t.service == "skck" for t in state.tickets.values())

    op = await server.login("op-disdukcapil")
    key = f"cmd-{uuid.uuid4().hex}"
    commands = "/api/v1/sites/tegal/counters/{}/commands"
    assert (await server.command(op, "1", "open")).status_code == 200
    assert (await server.command(op, "2", "open")).status_code == 200
    called = await server.http.post(commands.format(1), json={"command": "call_next", "command_id": key}, headers=op)
    assert called.status_code == 200, called.text
    for counter, body in (("1", {"command": "finish"}), ("2", {"command": "call_next"})):
        r = await server.http.post(commands.format(counter), json={**body, "command_id": key}, headers=op)
        assert r.status_code == 422 and r.json()["error"]["code"] == "idempotency_key_reused", r.text
    ticket = (await server.issue("ktp"))["ticket"]["id"]
    r = await server.http.post(f"/api/v1/sites/tegal/tickets/{ticket}/actions", json={"action": "cancel",
                               "command_id": key}, headers=await server.login("supervisor"))  # fmt: skip
    assert r.status_code == 200, "another account's key is its own"
    r = await server.http.post(f"/api/v1/sites/tegal/tickets/{ticket}/actions", json={"action": "cancel",
                               "command_id": key}, headers=op)  # fmt: skip
    assert r.status_code == 422 and r.json()["error"]["code"] == "idempotency_key_reused", r.text
    assert state.counters["1"].current is not None and state.counters["2"].current is None
    retry = await server.http.post(commands.format(1), json={"command": "call_next", "command_id": key}, headers=op)
    assert retry.status_code == 200 and retry.json() == called.json()


async def test_notes_never_hold_a_nik_or_a_phone_and_shown_text_no_hidden_character(server: Server) -> None:
    """Notes and reasons stay in the event log, which holds no NIK and no phone number; names and the running text
    reach every lobby screen, where a direction mark would turn "A-100" round. Both refused, naming the field."""
    op = await server.login("op-disdukcapil")
    sup = await server.login("supervisor")
    await server.issue("ktp")
    assert (await server.command(op, "1", "open")).status_code == 200
    assert (await server.command(op, "1", "call_next")).status_code == 200
    before = server.ctx.storage.last_seq
    r = await server.command(op, "1", "park", note="Budi NIK 3328015505900001")
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_field", r.text
    assert r.json()["error"]["details"] == {"field": "note"} and "NIK" in r.json()["error"]["message"]
    ticket = (await server.issue("ktp"))["ticket"]["id"]
    r = await server.http.post(f"/api/v1/sites/tegal/tickets/{ticket}/actions",
                               json={"action": "cancel", "reason": "hp 0812-3456-7890"}, headers=sup)  # fmt: skip
    assert r.status_code == 422 and r.json()["error"]["details"] == {"field": "reason"}, r.text
    r = await server.command(op, "1", "park", note="NIK 3328/0145/0690/0007")  # grouped another way
    assert r.status_code == 422 and r.json()["error"]["details"] == {"field": "note"}, r.text
    r = await server.command(op, "1", "transfer", target_service="kk", note="Ibu Siti Rahayu kurang fotokopi")
    assert r.status_code == 422 and r.json()["error"]["details"] == {"field": "note"}, r.text
    assert r.json()["error"]["message"].startswith("Catatan tidak boleh memuat nama warga")
    r = await server.http.post("/api/v1/sites/tegal/running-text", json={"text": "\u202eBuka"}, headers=sup)
    assert r.status_code == 422 and "U+202E" in r.json()["error"]["message"], r.text
    assert server.ctx.storage.last_seq == before + 1  # only the second ticket
    assert (await server.command(op, "1", "park", note="KK lama dibawa")).status_code == 200


async def test_a_note_over_200_characters_is_refused_as_note_too_long_wherever_it_is_written(server: Server) -> None:
    """An outside review: a transfer note over 200 characters was refused `invalid_field` ("the field note may be at
    most ..."), while docs/api.md listed `note_too_long`, whose sentence the counter page shows under its note field.
    Transfer and park at a counter and a supervisor's transfer now all say `note_too_long`; 200 is still a note."""
    op = await server.login("op-disdukcapil")
    sup = await server.login("supervisor")
    waiting = (await server.issue("ktp"))["ticket"]["id"]
    await server.issue("ktp")
    assert (await server.command(op, "1", "open")).status_code == 200
    assert (await server.command(op, "1", "call_next")).status_code == 200
    before = server.ctx.storage.last_seq
    long = "Bawa fotokopi KK. " * 12  # 216 characters
    refusals = [
        await server.command(op, "1", "transfer", target_service="kk", note=long),
        await server.command(op, "1", "park", note=long),
        await server.http.post(f"/api/v1/sites/tegal/tickets/{waiting}/actions", headers=sup,
                               json={"action": "transfer", "target_service": "kk", "note": long}),
    ]  # fmt: skip
    for r in refusals:
        assert r.status_code == 422, r.text
        assert r.json()["error"] == {
            "code": "note_too_long",
            "message": "Catatan paling panjang 200 karakter.",
            "message_en": "The note may be at most 200 characters.",
            "details": {"field": "note"},
        }
    assert server.ctx.storage.last_seq == before, "nothing changed"
    r = await server.command(op, "1", "park", note=long[:200])
    assert r.status_code == 200 and r.json()["ticket"]["note"] == long[:200].strip(), r.text
    # a cancellation's reason likewise, with its own code and sentence (it was `invalid_field`)
    cancel = f"/api/v1/sites/tegal/tickets/{waiting}/actions"
    r = await server.http.post(cancel, headers=sup, json={"action": "cancel", "reason": long})
    assert r.status_code == 422 and r.json()["error"] == {
        "code": "reason_too_long",
        "message": "Alasan pembatalan paling panjang 200 karakter.",
        "message_en": "The reason for cancelling may be at most 200 characters.",
        "details": {"field": "reason"},
    }, r.text
    r = await server.http.post(cancel, headers=sup, json={"action": "cancel", "reason": long[:200]})
    assert r.status_code == 200 and r.json()["events"] == ["ticket.cancelled"], r.text


async def test_an_operator_sees_another_agency_s_tickets_as_the_lobby_does(server: Server) -> None:
    """An outside review: any operator's GET .../state listed every agency's tickets with their priority group
    ("disabilitas": health information) and notes. Their own agency's tickets keep both; others' read as public."""
    own = (await server.issue("skck", priority="lansia"))["ticket"]["id"]
    other = (await server.issue("ktp", priority="disabilitas"))["ticket"]["id"]
    police = await server.login("op-polres")
    tickets = {
        t["id"]: t for t in (await server.http.get("/api/v1/sites/tegal/state", headers=police)).json()["tickets"]
    }
    assert tickets[own]["priority"] == "lansia"
    assert tickets[other]["priority"] is True and "note" not in tickets[other], tickets[other]
    civil = await server.login("op-disdukcapil")
    tickets = {
        t["id"]: t for t in (await server.http.get("/api/v1/sites/tegal/state", headers=civil)).json()["tickets"]
    }
    assert tickets[other]["priority"] == "disabilitas"
    supervisor = await server.login("supervisor")
    tickets = {
        t["id"]: t for t in (await server.http.get("/api/v1/sites/tegal/state", headers=supervisor)).json()["tickets"]
    }
    assert tickets[own]["priority"] == "lansia" and tickets[other]["priority"] == "disabilitas"


async def test_a_mistyped_address_is_a_page_for_a_browser_and_json_for_a_program(server: Server) -> None:
    page = await server.http.get("/supervisor/tegal/nope<b>", headers={"Accept": "text/html,*/*"})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "Halaman tidak ditemukan" in page.text and "Page not found" in page.text and "<b>" not in page.text
    for path, accept in (("/nope", "application/json"), ("/api/v1/nope", "text/html")):
        r = await server.http.get(path, headers={"Accept": accept})
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", (path, r.text)


async def test_known_and_new_keys_in_one_batch_each_get_their_own_answer(server: Server) -> None:
    """The engine looks up a whole batch's keys in one query: the known ones are replayed, the new ones issued."""
    url = "/api/v1/sites/tegal/tickets"
    known = [f"known-{i}-{uuid.uuid4().hex[:8]}" for i in range(4)]
    first = {}
    for key in known:
        r = await server.http.post(url, json={"service": "pkb"}, headers={**bearer(KIOSK), "Idempotency-Key": key})
        first[key] = r.json()
    fresh = [f"fresh-{i}-{uuid.uuid4().hex[:8]}" for i in range(4)]
    keys = [k for pair in zip(known, fresh, strict=True) for k in pair] * 2  # each key twice, interleaved
    answers = await asyncio.gather(*[
        server.http.post(url, json={"service": "pkb"}, headers={**bearer(KIOSK), "Idempotency-Key": key})
        for key in keys
    ])  # fmt: skip
    by_key: dict[str, set[str]] = {}
    for key, r in zip(keys, answers, strict=True):
        assert r.status_code == 201, r.text
        by_key.setdefault(key, set()).add(r.json()["ticket"]["id"])
        if key in first:
            assert r.json() == first[key] and r.headers["idempotent-replayed"] == "true"
    assert all(len(ids) == 1 for ids in by_key.values()), by_key
    assert len({i for ids in by_key.values() for i in ids}) == 8
    assert server.ctx.state("tegal").issued[("pkb", server.clock().date())] == 8


async def test_idempotent_answer_survives_a_restart(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from .helpers import running_server

    headers = {**bearer(KIOSK), "Idempotency-Key": "restart-key-1"}
    async with running_server(tmp_path / "db.sqlite3") as s:
        first = (await s.http.post("/api/v1/sites/tegal/tickets", json={"service": "pkb"}, headers=headers)).json()
    async with running_server(tmp_path / "db.sqlite3") as s:
        again = await s.http.post("/api/v1/sites/tegal/tickets", json={"service": "pkb"}, headers=headers)
        assert again.json() == first
        assert (await s.issue("pkb"))["ticket"]["label"] == "H-002"


async def test_counter_day_over_http(server: Server) -> None:
    op = await server.login("op-disdukcapil")
    a1 = await server.issue("ktp")
    a2 = await server.issue("ktp")
    assert (await server.command(op, "1", "open")).json()["counter"]["state"] == "open"
    r = await server.command(op, "1", "call_next")
    assert r.json()["ticket"]["label"] == "A-001" and "token" not in r.json()["ticket"]
    assert (await server.command(op, "1", "recall")).json()["ticket"]["recalls"] == 1
    assert (await server.command(op, "1", "start")).json()["ticket"]["state"] == "serving"
    r = await server.command(op, "1", "transfer", target_service="skck", note="Perlu SKCK")
    assert r.json()["events"] == ["ticket.transferred"]
    r = await server.command(op, "1", "call_next")
    assert r.json()["ticket"]["label"] == "A-002"
    assert (await server.command(op, "1", "no_show")).json()["ticket"]["state"] == "no_show"
    r = await server.command(op, "1", "requeue", ticket="A-002")
    assert r.json()["ticket"]["state"] == "waiting"
    r = await server.command(op, "1", "call", ticket="a2")
    assert r.json()["ticket"]["id"] == a2["ticket"]["id"]
    assert (await server.command(op, "1", "finish")).json()["ticket"]["state"] == "done"
    assert (await server.command(op, "1", "pause")).json()["counter"]["state"] == "paused"
    assert (await server.command(op, "1", "resume")).json()["counter"]["state"] == "open"
    assert (await server.command(op, "1", "close")).json()["counter"]["state"] == "closed"
    status = (await server.http.get(a1["status_url"])).json()
    assert status["ticket"]["service"] == "skck" and status["ticket"]["label"] == "A-001"


async def test_supervisor_ticket_actions_and_close_day(server: Server) -> None:
    sup = await server.login("supervisor")
    t = await server.issue("ktp")
    r = await server.http.post(f"/api/v1/sites/tegal/tickets/{t['ticket']['label']}/actions",
                               json={"action": "transfer", "target_service": "kk"}, headers=sup)  # fmt: skip
    assert r.status_code == 200 and [x["state"] for x in r.json()["tickets"]] == ["transferred", "waiting"]
    r = await server.http.get(f"/api/v1/sites/tegal/tickets/{t['ticket']['label']}", headers=sup)
    assert r.json()["service"] == "kk"
    r = await server.http.post("/api/v1/sites/tegal/tickets/A-001/actions", json={"action": "cancel"}, headers=sup)
    assert r.json()["tickets"][0]["state"] == "cancelled"
    await server.issue("ktp")
    r = await server.http.post("/api/v1/sites/tegal/close-day", json={}, headers=sup)
    assert r.status_code == 200 and r.json()["expired"] == 1
    r = await server.http.post("/api/v1/sites/tegal/tickets", json={"service": "ktp"}, headers=bearer(KIOSK))
    assert r.status_code == 409 and r.json()["error"]["code"] == "day_closed"
    # closed again (a second click, another process at midnight): refused, nothing written twice
    events = len(await server.ctx.storage.events_after("tegal", 0, 10_000))
    r = await server.http.post("/api/v1/sites/tegal/close-day", json={}, headers=sup)
    assert r.status_code == 409 and r.json()["error"]["code"] == "day_already_closed", r.text
    assert "sudah ditutup" in r.json()["error"]["message"]
    assert len(await server.ctx.storage.events_after("tegal", 0, 10_000)) == events
    audit = (await server.http.get("/api/v1/sites/tegal/audit", headers=sup)).json()["entries"]
    assert [e["action"] for e in audit].count("day.close") == 1


async def test_a_second_close_of_the_day_is_audited_with_the_reason_in_force(server: Server) -> None:
    """A second close of a day keeps the first close's reason (domain/decide.py), but the audit log had the second
    without one."""
    sup = await server.login("supervisor")
    r = await server.http.post("/api/v1/sites/tegal/close-day", json={"reason": "Gangguan listrik"}, headers=sup)
    assert r.status_code == 200, r.text
    server.clock.now = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # Tuesday 08:00: a counter opens
    op = await server.login("op-disdukcapil")
    assert (await server.command(op, "1", "open")).status_code == 200
    # Monday closed again (another process that still thought it Monday): it closes that counter
    r = await server.http.post("/api/v1/sites/tegal/close-day", json={"day": "2026-11-23"}, headers=sup)
    assert r.status_code == 200 and r.json()["reason"] == "Gangguan listrik", r.text
    period = {"from": "2026-11-23", "to": "2026-11-24"}
    audit = (await server.http.get("/api/v1/sites/tegal/audit", params=period, headers=sup)).json()["entries"]
    closes = [e["details"] for e in audit if e["action"] == "day.close"]
    assert closes == [{"reason": "Gangguan listrik"}] * 2, closes


async def test_citizen_cancels_own_ticket(server: Server) -> None:
    t = await server.issue("ktp")
    token = t["ticket"]["token"]
    r = await server.http.post(f"/api/v1/tickets/{token}/cancel")
    assert r.status_code == 200 and r.json()["ticket"]["state"] == "cancelled"
    r = await server.http.post(f"/api/v1/tickets/{token}/cancel")
    assert r.status_code == 409 and r.json()["error"]["code"] == "illegal_transition"


async def test_opening_hours_refusal_says_when_to_come_back(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from .helpers import Clock, running_server

    clock = Clock(datetime(2026, 11, 22, 3, 0, tzinfo=UTC))  # Sunday 10:00 WIB: closed
    async with running_server(tmp_path / "db.sqlite3", clock=clock) as s:
        r = await s.http.post("/api/v1/sites/tegal/tickets", json={"service": "ktp"}, headers=bearer(KIOSK))
        assert r.status_code == 409
        err = r.json()["error"]
        assert err["code"] == "site_closed" and err["details"]["next_opening"].startswith("2026-11-23T07:30:00+07:00")
        assert "tutup" in err["message"]


BAD_REQUESTS = [
    # (method, path, headers-kind, body or raw, expected status, expected code)
    ("POST", "/api/v1/sites/tegal/tickets", "kiosk", b"{not json", 400, "malformed_json"),
    ("POST", "/api/v1/sites/tegal/tickets", "kiosk", b"[1, 2]", 422, "not_an_object"),
    ("POST", "/api/v1/sites/tegal/tickets", "kiosk", b"\xff\xfe", 400, "malformed_json"),
    ("POST", "/api/v1/sites/tegal/tickets", "kiosk", {"service": 5}, 422, "invalid_field"),
    ("POST", "/api/v1/sites/tegal/tickets", "kiosk", {}, 422, "invalid_field"),
    ("POST", "/api/v1/sites/tegal/tickets", "kiosk", {"service": "ktp", "nik": "3328"}, 422, "invalid_field"),
    ("POST", "/api/v1/sites/tegal/tickets", "kiosk", {"service": "ktp", "priority": "vip"}, 422, "invalid_field"),
    ("POST", "/api/v1/sites/tegal/tickets", "kiosk", {"service": "x" * 500}, 422, "invalid_field"),
    ("POST", "/api/v1/sites/tegal/tickets", "kiosk", {"service": "paspor"}, 404, "unknown_service"),
    ("POST", "/api/v1/sites/jakarta/tickets", "kiosk", {"service": "ktp"}, 404, "unknown_site"),
    ("POST", "/api/v1/sites/tegal/tickets", "none", {"service": "ktp"}, 401, "unauthenticated"),
    ("POST", "/api/v1/sites/tegal/tickets", "garbage", {"service": "ktp"}, 401, "unauthenticated"),
    ("POST", "/api/v1/sites/tegal/tickets", "display", {"service": "ktp"}, 403, "forbidden"),
    ("POST", "/api/v1/sites/tegal/counters/99/commands", "op", {"command": "open"}, 404, "unknown_counter"),
    ("POST", "/api/v1/sites/tegal/counters/1/commands", "op", {"command": "explode"}, 422, "invalid_field"),
    ("POST", "/api/v1/sites/tegal/counters/1/commands", "op", {"command": ["open"]}, 422, "invalid_field"),
    ("POST", "/api/v1/sites/tegal/counters/1/commands", "op", {"command": "open", "command_id": "x"}, 422, "invalid_field"),
    ("POST", "/api/v1/sites/tegal/counters/1/commands", "op", {"command": "call"}, 422, "invalid_field"),
    # a field the command does not use is refused, not ignored (call_next with a ticket would call someone else)
    ("POST", "/api/v1/sites/tegal/counters/1/commands", "op", {"command": "call_next", "ticket": "A-005"}, 422, "invalid_field"),
    ("POST", "/api/v1/sites/tegal/counters/1/commands", "op", {"command": "finish", "note": "x"}, 422, "invalid_field"),
    ("POST", "/api/v1/sites/tegal/counters/1/commands", "op", {"command": "start"}, 409, "no_current_ticket"),
    ("POST", "/api/v1/sites/tegal/counters/1/commands", "op", {"command": "call_next"}, 409, "counter_closed"),
    ("POST", "/api/v1/sites/tegal/counters/1/commands", "op", {"command": "transfer", "target_service": 3}, 422, "invalid_field"),
    ("POST", "/api/v1/sites/tegal/counters/5/commands", "op", {"command": "open"}, 403, "not_your_agency"),
    ("POST", "/api/v1/sites/tegal/tickets/Z-999/actions", "sup", {"action": "cancel"}, 404, "unknown_ticket"),
    ("POST", "/api/v1/sites/tegal/tickets/A-001/actions", "sup", {"action": "delete"}, 422, "invalid_field"),
    ("POST", "/api/v1/sites/tegal/close-day", "sup", {"day": "tomorrow"}, 422, "invalid_field"),
    ("POST", "/api/v1/sites/tegal/close-day", "sup", {"day": "2099-01-01"}, 422, "day_in_future"),
    ("POST", "/api/v1/sites/tegal/close-day", "op", {}, 403, "forbidden"),
    ("GET", "/api/v1/tickets/not-a-real-token-at-all", "none", None, 404, "unknown_ticket"),
    ("GET", "/api/v1/tickets/x", "none", None, 404, "unknown_ticket"),
    ("GET", "/api/v1/sites/tegal/state", "none", None, 401, "unauthenticated"),
    ("GET", "/api/v1/sites/nowhere", "none", None, 404, "unknown_site"),
    ("DELETE", "/api/v1/sites/tegal/tickets", "kiosk", None, 405, "method_not_allowed"),
    ("GET", "/api/v1/sites/tegal/tickets", "kiosk", None, 405, "method_not_allowed"),
    ("POST", "/api/v1/sites//tickets", "kiosk", {"service": "ktp"}, 404, "not_found"),
    ("POST", "/api/v1/sites/tegal/ktp/tickets", "kiosk", {"service": "ktp"}, 404, "not_found"),
    ("POST", "/api/v1/sites/tegal/tickets/A-001", "kiosk", {"service": "ktp"}, 405, "method_not_allowed"),
    ("GET", "/api/v2/anything", "none", None, 404, "not_found"),
    ("POST", "/api/v1/auth/login", "none", {"username": "admin", "password": "wrong-password"}, 401, "bad_credentials"),
    ("POST", "/api/v1/auth/login", "none", {"username": "nobody", "password": "whatever1"}, 401, "bad_credentials"),
    ("POST", "/api/v1/auth/login", "none", {"username": ["admin"], "password": "x"}, 422, "invalid_field"),
    # A lone UTF-16 surrogate escape is not text: it was read, then an answer quoting it failed (500).
    ("POST", "/api/v1/auth/login", "none", rb'{"username": "\ud800", "password": "x"}', 400, "malformed_json"),
    ("POST", "/api/v1/sites/tegal/bookings", "none", rb'{"service": "ktp", "day": "2026-11-24", "slot": "10:00", "nik": "3328015507900001", "\udfff": 1}', 400, "malformed_json"),
    ("POST", "/api/v1/sites/tegal/bookings", "none", rb'{"service": "\ud83d", "day": "2026-11-24"}', 400, "malformed_json"),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "who", "body", "status", "code"), BAD_REQUESTS)
async def test_bad_input_gets_a_clear_error_and_changes_nothing(  # type: ignore[no-untyped-def]
    server: Server, method, path, who, body, status, code
) -> None:
    await server.issue("ktp")
    if who in ("op", "sup"):
        headers = await server.login("op-disdukcapil" if who == "op" else "supervisor")
    else:
        headers = {"kiosk": bearer(KIOSK), "display": bearer(LOBBY), "none": {}, "garbage": bearer("s_forged")}[who]
    before = await snapshot(server)
    if isinstance(body, bytes):
        r = await server.http.request(
            method, path, content=body, headers={**headers, "content-type": "application/json"}
        )
    else:
        r = await server.http.request(method, path, json=body, headers=headers)
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["code"] == code
    assert error["message"] and error["message_en"], "a person can read what went wrong, in both languages"
    assert await snapshot(server) == before, "a refused request changes nothing"


async def test_wrong_content_type_and_oversize_bodies(server: Server) -> None:
    before = await snapshot(server)
    r = await server.http.post("/api/v1/sites/tegal/tickets", content=b"service=ktp", headers={
        **bearer(KIOSK), "content-type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert r.status_code == 415 and r.json()["error"]["code"] == "unsupported_media_type"
    big = json.dumps({"service": "ktp", "pad": "x" * 70_000})
    r = await server.http.post("/api/v1/sites/tegal/tickets", content=big, headers={
        **bearer(KIOSK), "content-type": "application/json"})  # fmt: skip
    assert r.status_code == 413 and r.json()["error"]["code"] == "body_too_large"

    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(100):
            yield b" " * 1024  # no Content-Length: the limit applies while streaming

    r = await server.http.post("/api/v1/sites/tegal/tickets", content=chunks(), headers={
        **bearer(KIOSK), "content-type": "application/json"})  # fmt: skip
    assert r.status_code == 413
    r = await server.http.post("/api/v1/sites/tegal/tickets", content=b'{"service": NaN}', headers={
        **bearer(KIOSK), "content-type": "application/json"})  # fmt: skip
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "service"  # read as JSON, refused
    r = await server.http.post("/api/v1/sites/tegal/tickets", json={"service": "ktp"},
                               headers={**bearer(KIOSK), "Idempotency-Key": "bad key with spaces"})  # fmt: skip
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_idempotency_key"
    assert await snapshot(server) == before


async def test_a_body_in_pieces_is_read_whole(server: Server) -> None:
    async def pieces():  # type: ignore[no-untyped-def]
        for piece in (b'{"serv', b'ice": ', b'"ktp"', b"}"):
            yield piece  # chunked transfer encoding: four ASGI messages with more_body

    r = await server.http.post("/api/v1/sites/tegal/tickets", content=pieces(), headers={
        **bearer(KIOSK), "content-type": "application/json"})  # fmt: skip
    assert r.status_code == 201, r.text
    assert r.json()["ticket"]["service"] == "ktp"


async def test_quota_spent_over_http(server: Server) -> None:
    for _ in range(10):  # kk: 20 a day, of which 10 are kept for online bookings
        await server.issue("kk")
    r = await server.http.post("/api/v1/sites/tegal/tickets", json={"service": "kk"}, headers=bearer(KIOSK))
    assert r.status_code == 409
    err = r.json()["error"]
    assert err["code"] == "quota_exhausted" and "(10 tiket" in err["message"]
    assert (await server.issue("ktp"))["ticket"]["label"] == "A-001"


async def test_logout_ends_the_session(server: Server) -> None:
    op = await server.login("op-disdukcapil")
    assert (await server.http.get("/api/v1/me", headers=op)).json()["agency"] == "disdukcapil"
    assert (await server.http.post("/api/v1/auth/logout", headers=op)).status_code == 200
    assert (await server.http.get("/api/v1/me", headers=op)).status_code == 401


async def test_openapi_document(server: Server) -> None:
    doc = (await server.http.get("/api/v1/openapi.json")).json()
    assert doc["openapi"].startswith("3.1") and "/api/v1/sites/{site}/tickets" in doc["paths"]
    csvs = [path for path in doc["paths"] if path.endswith(".csv")]
    assert len(csvs) == 4, csvs
    for path in csvs:  # every CSV has its variant for Excel, and says so
        names = {p["name"] for p in doc["paths"][path]["get"]["parameters"]}
        assert {"excel", "lang"} <= names, path


async def test_unexpected_methods_never_500(server: Server) -> None:
    for method in ("PUT", "PATCH"):
        r = await server.http.request(method, "/api/v1/sites/tegal/tickets", headers=bearer(KIOSK))
        assert r.status_code == 405
    r = await server.http.get("/api/v1/sites/tegal/tickets/%00", headers=await server.login("admin"))
    assert r.status_code == 404
    with pytest.raises(httpx.HTTPError):
        raise httpx.HTTPError("sanity: the client library is real")


async def test_a_link_code_or_id_with_a_nul_is_not_found_never_a_500(server: Server) -> None:
    """An outside review: a ticket's token of a token's length, a booking code or an id in an address with a NUL in
    it (%00, typed by anyone) was looked up as it came; PostgreSQL refuses a NUL in text, so the citizen's pages, the
    survey, cancelling, the reminders, a kiosk's check-in, and the webhook, gateway test and counter survey routes
    of staff answered 500 there (SQLite: not found). No stored key holds one: not found, on both databases."""
    token, code, nul = "A" * 11 + "%00" + "B" * 12, "BK-ABC%00EF", "x%00y"
    kiosk, admin = bearer(KIOSK), await server.login("admin")
    for method, path, headers in [
        ("GET", f"/api/v1/tickets/{token}", {}),
        ("GET", f"/api/v1/tickets/{token}/survey", {}),
        ("POST", f"/api/v1/tickets/{token}/survey", {}),
        ("POST", f"/api/v1/tickets/{token}/cancel", {}),
        ("POST", f"/api/v1/tickets/{token}/notify", {}),
        ("DELETE", f"/api/v1/tickets/{token}/notify", {}),
        ("GET", f"/api/v1/bookings/{code}", {}),
        ("POST", f"/api/v1/bookings/{code}/cancel", {}),
        ("POST", f"/api/v1/sites/tegal/bookings/{code}/check-in", kiosk),
        ("DELETE", f"/api/v1/sites/tegal/webhooks/{nul}", admin),
        ("POST", f"/api/v1/sites/tegal/webhooks/{nul}/rotate", admin),
        ("GET", f"/api/v1/sites/tegal/gateway/test/{nul}", admin),
        ("POST", f"/api/v1/sites/tegal/tickets/{token}/survey", admin),
    ]:
        r = await server.http.request(method, path, headers=headers, json={} if method == "POST" else None)
        assert r.status_code in (404, 422), (method, path, r.status_code, r.text)
        assert r.json()["error"]["code"] in ("unknown_ticket", "unknown_booking", "unknown_webhook",
                                             "unknown_gateway_test", "invalid_field"), (path, r.text)  # fmt: skip
    async with connect(server.ws_url) as ws:  # a citizen's phone following its ticket
        await ws.send(json.dumps({"type": "hello", "role": "ticket", "ticket": "A" * 11 + "\x00" + "B" * 12}))
        refused = json.loads(await ws.recv())
        assert refused["type"] == "error" and refused["code"] == "unknown_ticket", refused


async def test_same_idempotency_key_racing_makes_one_ticket(server: Server) -> None:
    """Twin requests that arrive while the first one is still checking the store must not both reach the writer."""
    for round_ in range(5):
        key = f"race-key-{round_}-{uuid.uuid4().hex[:8]}"
        answers = await asyncio.gather(*[
            server.http.post("/api/v1/sites/tegal/tickets", json={"service": "pkb"},
                             headers={**bearer(KIOSK), "Idempotency-Key": key})
            for _ in range(30)
        ])  # fmt: skip
        assert {r.status_code for r in answers} == {201}
        assert len({r.json()["ticket"]["id"] for r in answers}) == 1
    assert server.ctx.state("tegal").issued[("pkb", server.clock().date())] == 5


async def test_an_unexpected_error_in_issuing_is_a_500_in_json_and_the_server_carries_on(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    """Issuing goes around Starlette's middleware (app.QueueServerApp); its errors still get the app's handlers."""
    engine = server.ctx.engine

    async def broken_submit(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug in the engine")

    engine.submit = broken_submit
    try:
        r = await server.http.post("/api/v1/sites/tegal/tickets", json={"service": "ktp"}, headers=bearer(KIOSK))
    finally:
        del engine.submit
    assert r.status_code == 500 and r.json()["error"]["code"] == "internal_error"
    assert "a bug in the engine" in caplog.text, "the cause is in the server's log"
    assert (await server.issue("ktp"))["ticket"]["label"] == "A-001"


async def test_an_unexpected_error_of_any_other_route_is_a_500_in_json_said_once_in_full(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    """The other routes go through Starlette: a bug is answered 500 in JSON and its traceback is in the log once,
    with the request; uvicorn does not say it again as "Exception in ASGI application" (app._AnsweredHere)."""
    national = server_of(server.app).national

    async def broken_view(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug in the national view")

    national.view = broken_view
    uvicorn_said = logging.getLogger("uvicorn.error")  # uvicorn's own loggers do not reach the root's handlers
    uvicorn_said.addHandler(caplog.handler)
    try:
        r = await server.http.get("/api/v1/national", headers=await server.login("admin"))
    finally:
        uvicorn_said.removeHandler(caplog.handler)
        del national.view
    assert r.status_code == 500 and r.json()["error"]["code"] == "internal_error", r.text
    in_full = [record.getMessage() for record in caplog.records if record.exc_info is not None]
    assert in_full == ["unexpected error on GET /api/v1/national"], in_full
    assert (await server.http.get("/api/v1/national", headers=await server.login("admin"))).status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/sites/tegal/tickets", "/api/v1/sites/tegal/counters/1/commands"])
async def test_a_client_gone_before_its_body_is_whole_changes_nothing_and_is_no_error(
    server: Server, caplog: pytest.LogCaptureFixture, path: str
) -> None:
    headers = {"Authorization": f"Bearer {KIOSK}"} if path.endswith("tickets") else await server.login("op-disdukcapil")
    host, port = server.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    head = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 40\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    writer.write(head.encode() + b"\r\n" + b'{"service": ')
    await writer.drain()
    await asyncio.sleep(0.1)  # the server has read the head and waits for the rest of the body
    writer.close()
    await writer.wait_closed()
    await asyncio.sleep(0.1)
    assert await event_count(server) == 0, "nothing was done"
    assert "Traceback" not in caplog.text and "unexpected error" not in caplog.text, "a client going away is no error"
    assert (await server.issue("ktp"))["ticket"]["label"] == "A-001"


async def test_ticket_ids_sort_in_issue_order(server: Server) -> None:
    """New ids go at the end of the tickets table's primary-key index, not on a random page of it (actions._new_id)."""
    ids = []
    for _ in range(3):
        ids.append((await server.issue("ktp"))["ticket"]["id"])
        await asyncio.sleep(0.002)  # ids of the same millisecond share their first 12 digits, in any order after
    assert ids == sorted(ids) and len(set(ids)) == 3
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)
    stored = await server.ctx.storage.query("SELECT id FROM tickets ORDER BY id")
    assert [row[0] for row in stored] == ids
