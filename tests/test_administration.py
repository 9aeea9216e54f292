"""Staff accounts and device tokens managed on the web (issue 16): who may manage whom, refusals a person can act on,
every change audited, and a disabled account, a new password or a revoked device refused at the next request and
closed on its open websocket."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets

from .helpers import KIOSK, Server, bearer

BOTH_DATABASES = True

ACCOUNTS = "/api/v1/sites/tegal/accounts"
DEVICES = "/api/v1/sites/tegal/device-tokens"
NEW = {"username": "budi.s", "display_name": "Budi Santoso", "role": "operator", "agency": "disdukcapil",
       "password": "rahasia-budi-1"}  # fmt: skip


async def error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()["error"]
    assert body["code"] == code, body
    assert body["message"] and body["message_en"]
    return body


async def closed_with(ws: Any, code: str) -> None:
    frames = []
    with pytest.raises(websockets.ConnectionClosed):
        while True:
            frames.append(json.loads(await asyncio.wait_for(ws.recv(), 20)))
    assert any(f.get("type") == "error" and f.get("code") == code for f in frames), frames


async def test_an_account_added_on_the_web_works_and_its_changes_apply_at_once(server: Server) -> None:
    admin = await server.login("admin")
    r = await server.http.post(ACCOUNTS, json=NEW, headers=admin)
    assert r.status_code == 201, r.text
    assert r.json()["account"] == {"username": "budi.s", "display_name": "Budi Santoso", "role": "operator",
                                   "agency": "disdukcapil", "active": True}  # fmt: skip
    budi = await server.login("budi.s", "rahasia-budi-1")
    me = (await server.http.get("/api/v1/me", headers=budi)).json()
    assert (me["name"], me["display_name"]) == ("budi.s", "Budi Santoso")  # the counter page's header shows him
    assert (await server.command(budi, "1", "open")).status_code == 200
    # moved to another agency: counter 1 (Disdukcapil) is no longer his at the next command, and the counter's live
    # feed he had open (priority groups, notes) closes at once (an outside review saw it go on)
    token = budi["Authorization"].split()[1]
    async with websockets.connect(server.ws_url) as counter_ws:
        await counter_ws.send(json.dumps({"type": "hello", "role": "counter", "site": "tegal", "counter": "1",
                                          "token": token}))  # fmt: skip
        assert json.loads(await counter_ws.recv())["type"] == "welcome"
        r = await server.http.patch(ACCOUNTS + "/budi.s", json={"agency": "polres"}, headers=admin)
        assert r.status_code == 200 and r.json()["account"]["agency"] == "polres"
        await closed_with(counter_ws, "not_your_agency")
    assert (await server.command(budi, "1", "close")).status_code == 403
    # disabled while signed in, with a counter websocket open: refused and closed at once
    async with websockets.connect(server.ws_url) as ws:
        await ws.send(json.dumps({"type": "hello", "role": "supervisor", "site": "tegal", "agency": "polres",
                                  "token": token}))  # fmt: skip
        assert json.loads(await ws.recv())["type"] == "welcome"
        r = await server.http.patch(ACCOUNTS + "/budi.s", json={"active": False}, headers=admin)
        assert r.status_code == 200 and r.json()["account"]["active"] is False
        await closed_with(ws, "account_disabled")  # said as such to the session: not "your session ended"
    assert (await server.http.get("/api/v1/me", headers=budi)).status_code == 401
    r = await server.http.post("/api/v1/auth/login", json={"username": "budi.s", "password": "rahasia-budi-1"})
    assert r.status_code == 401
    # enabled again with a new password: the old one no longer works
    r = await server.http.patch(ACCOUNTS + "/budi.s", json={"active": True, "password": "baru-sekali-2"},
                                headers=admin)  # fmt: skip
    assert r.status_code == 200
    await server.login("budi.s", "baru-sekali-2")
    r = await server.http.post("/api/v1/auth/login", json={"username": "budi.s", "password": "rahasia-budi-1"})
    assert r.status_code == 401
    # removed: gone from the list, cannot sign in
    assert (await server.http.delete(ACCOUNTS + "/budi.s", headers=admin)).status_code == 200
    assert "budi.s" not in {a["username"] for a in (await server.http.get(ACCOUNTS, headers=admin)).json()["accounts"]}
    r = await server.http.post("/api/v1/auth/login", json={"username": "budi.s", "password": "baru-sekali-2"})
    assert r.status_code == 401
    # every step is in the audit log, as sentences
    log = (await server.http.get("/api/v1/sites/tegal/audit", headers=admin)).json()["entries"]
    said = [e["summary"]["id"] for e in log if e["action"].startswith("account.")]
    for sentence in ("Akun budi.s ditambahkan", "Akun budi.s diubah", "Akun budi.s dinonaktifkan",
                     "Akun budi.s diaktifkan kembali", "Kata sandi budi.s diganti", "Akun budi.s dihapus"):  # fmt: skip
        assert sentence in said, (sentence, said)


async def test_who_may_manage_which_accounts(server: Server) -> None:
    supervisor = await server.login("supervisor")
    listed = (await server.http.get(ACCOUNTS, headers=supervisor)).json()["accounts"]
    assert listed and {a["role"] for a in listed} == {"operator"}  # a supervisor manages operators only
    admin_list = (await server.http.get(ACCOUNTS, headers=await server.login("admin"))).json()["accounts"]
    assert {a["role"] for a in admin_list} == {"operator", "supervisor"}
    assert not any("hash" in key for a in admin_list for key in a)
    await error(await server.http.post(ACCOUNTS, json={**NEW, "role": "supervisor"}, headers=supervisor), 422,
                "invalid_field")  # fmt: skip
    await error(await server.http.patch(ACCOUNTS + "/supervisor", json={"active": False}, headers=supervisor), 404,
                "unknown_account")  # fmt: skip
    operator = await server.login("op-disdukcapil")
    await error(await server.http.get(ACCOUNTS, headers=operator), 403, "forbidden")
    await error(await server.http.post(ACCOUNTS, json=NEW, headers=operator), 403, "forbidden")
    await error(await server.http.get(ACCOUNTS), 401, "unauthenticated")
    await error(await server.http.get(DEVICES, headers=operator), 403, "forbidden")


async def test_wrong_accounts_are_refused_with_a_reason(server: Server) -> None:
    admin = await server.login("admin")
    body = await error(await server.http.post(ACCOUNTS, json={**NEW, "username": "op-disdukcapil"}, headers=admin),
                       409, "account_exists")  # fmt: skip
    assert "op-disdukcapil" in body["message"]
    body = await error(await server.http.post(ACCOUNTS, json={**NEW, "username": "Admin"}, headers=admin),
                       409, "account_exists")  # fmt: skip
    assert "Admin" in body["message"], "another case of a name taken is the same name to a reader"
    body = await error(await server.http.post(ACCOUNTS, json={**NEW, "username": "budi santoso"}, headers=admin),
                       422, "invalid_field")  # fmt: skip
    assert body["details"]["field"] == "username"
    body = await error(await server.http.post(ACCOUNTS, json={**NEW, "password": "tegal2026"}, headers=admin),
                       422, "invalid_field")  # fmt: skip
    assert body["details"]["field"] == "password" and "mudah ditebak" in body["message"], body
    body = await error(await server.http.post(ACCOUNTS, json={**NEW, "password": "pendek"}, headers=admin),
                       422, "invalid_field")  # fmt: skip
    assert body["details"]["field"] == "password" and "8" in body["message"]
    body = await error(await server.http.post(ACCOUNTS, json={**NEW, "agency": "nowhere"}, headers=admin),
                       422, "invalid_field")  # fmt: skip
    assert body["details"]["field"] == "agency"
    # an operator without an agency is refused at that field, never given the first agency (an outside review)
    for agency in (None, ""):
        body = await error(await server.http.post(ACCOUNTS, json={**NEW, "agency": agency}, headers=admin),
                           422, "invalid_field")  # fmt: skip
        assert (
            body["details"]["field"] == "agency" and body["message"] == "Pilih instansi tempat operator ini bertugas."
        )
    without = {k: v for k, v in NEW.items() if k != "agency"}
    body = await error(await server.http.post(ACCOUNTS, json=without, headers=admin), 422, "invalid_field")
    assert body["details"]["field"] == "agency" and body["message_en"] == "Choose the agency this operator works for."
    await error(await server.http.post(ACCOUNTS, json={**NEW, "role": "admin"}, headers=admin), 422, "invalid_field")
    await error(await server.http.post(ACCOUNTS, json={**NEW, "extra": 1}, headers=admin), 422, "invalid_field")
    await error(await server.http.patch(ACCOUNTS + "/nobody", json={"active": False}, headers=admin), 404,
                "unknown_account")  # fmt: skip
    supervisor = await server.login("supervisor")
    # an admin adds a supervisor (no agency), who manages the site's operators at once
    r = await server.http.post(ACCOUNTS, json={**NEW, "username": "kepala", "role": "supervisor", "agency": None},
                               headers=admin)  # fmt: skip
    assert r.status_code == 201, r.text
    kepala = await server.login("kepala", NEW["password"])
    assert (await server.http.get(ACCOUNTS, headers=kepala)).status_code == 200
    await error(await server.http.delete(ACCOUNTS + "/supervisor", headers=supervisor), 404, "unknown_account")


async def test_a_refused_change_of_an_account_changes_nothing(server: Server) -> None:
    """An outside review: the Settings form sent a new password with a name too long; it was refused, yet the new
    password was set and the operator signed out everywhere (the audit said so). Every field is checked first."""
    admin = await server.login("admin")
    assert (await server.http.post(ACCOUNTS, json=NEW, headers=admin)).status_code == 201
    budi = await server.login("budi.s", NEW["password"])
    audit_before = (await server.http.get("/api/v1/sites/tegal/audit", headers=admin)).json()["entries"]
    refused = [
        {"password": "teh-manis-gunung-42", "display_name": "N" * 81},
        {"password": "teh-manis-gunung-42", "display_name": "   "},
        {"active": False, "agency": "nowhere"},
        {"active": False, "role": "admin"},
        {"active": False, "password": "pendek"},
    ]
    for body in refused:
        r = await server.http.patch(ACCOUNTS + "/budi.s", json=body, headers=admin)
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_field", (body, r.text)
    assert (await server.http.get("/api/v1/me", headers=budi)).status_code == 200, "still signed in"
    r = await server.http.post("/api/v1/auth/login", json={"username": "budi.s", "password": "teh-manis-gunung-42"})
    assert r.status_code == 401, "the refused password was not set"
    listed = (await server.http.get(ACCOUNTS, headers=admin)).json()["accounts"]
    assert next(a for a in listed if a["username"] == "budi.s") == {**r_account(NEW), "active": True}
    audit_after = (await server.http.get("/api/v1/sites/tegal/audit", headers=admin)).json()["entries"]
    assert len(audit_after) == len(audit_before)
    # a blank name is refused as missing, on an account and on a device; a name keeps no spaces around it
    body = await error(await server.http.post(ACCOUNTS, json={**NEW, "username": "sri", "display_name": " "},
                                              headers=admin), 422, "invalid_field")  # fmt: skip
    assert body["details"]["field"] == "display_name" and "wajib diisi" in body["message"]
    r = await server.http.patch(ACCOUNTS + "/budi.s", json={"display_name": "  Budi S.  "}, headers=admin)
    assert r.status_code == 200 and r.json()["account"]["display_name"] == "Budi S."
    for name in ("", "   "):
        body = await error(await server.http.patch(f"{DEVICES}/1", json={"name": name}, headers=admin), 422,
                           "invalid_field")  # fmt: skip
        assert body["details"]["field"] == "name"
        body = await error(await server.http.post(DEVICES, json={"kind": "kiosk", "name": name}, headers=admin), 422,
                           "invalid_field")  # fmt: skip
    devices = (await server.http.get(DEVICES, headers=admin)).json()["devices"]
    assert all(d["name"].strip() for d in devices)


def r_account(body: dict[str, Any]) -> dict[str, Any]:
    return {key: body[key] for key in ("username", "display_name", "role", "agency")}


async def test_devices_issued_renamed_and_revoked_on_the_web(server: Server) -> None:
    supervisor = await server.login("supervisor")
    r = await server.http.post(DEVICES, json={"kind": "display", "name": "TV lantai 2", "screen": "lobby"},
                               headers=supervisor)  # fmt: skip
    assert r.status_code == 201, r.text
    issued = r.json()
    assert issued["path"] == "/display/tegal/lobby" and issued["token"].startswith("d_display_")
    device_id = issued["device"]["id"]
    listed = (await server.http.get(DEVICES, headers=supervisor)).json()["devices"]
    assert not any("token" in key for d in listed for key in d)
    assert next(d for d in listed if d["id"] == device_id)["connected"] is False
    async with websockets.connect(server.ws_url) as ws:
        await ws.send(json.dumps({"type": "hello", "role": "display", "site": "tegal", "screen": "lobby",
                                  "token": issued["token"]}))  # fmt: skip
        assert json.loads(await ws.recv())["type"] == "welcome"
        listed = (await server.http.get(DEVICES, headers=supervisor)).json()["devices"]
        mine = next(d for d in listed if d["id"] == device_id)
        assert mine["connected"] is True and mine["last_seen_at"]
        r = await server.http.patch(f"{DEVICES}/{device_id}", json={"name": "TV lantai 2 (timur)"}, headers=supervisor)
        assert r.status_code == 200 and r.json()["device"]["name"] == "TV lantai 2 (timur)"
        for name in ("TV\n2026-12-05 WARNING forged line", "TV\u200blantai"):  # a forged log line, a blank
            r = await server.http.patch(f"{DEVICES}/{device_id}", json={"name": name}, headers=supervisor)
            assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_field", r.text
        r = await server.http.post(f"{DEVICES}/{device_id}/revoke", json={}, headers=supervisor)
        assert r.status_code == 200 and r.json()["device"]["revoked_at"]
        await closed_with(ws, "unauthenticated")
    r = await server.http.get("/api/v1/me", headers=bearer(issued["token"]))
    assert r.status_code == 401
    await error(await server.http.post(f"{DEVICES}/99999/revoke", json={}, headers=supervisor), 404, "unknown_device")
    await error(await server.http.patch(f"{DEVICES}/abc", json={"name": "x"}, headers=supervisor), 404,
                "unknown_device")  # fmt: skip
    await error(await server.http.post(DEVICES, json={"kind": "display", "name": "TV", "screen": "atap"},
                                       headers=supervisor), 404, "unknown_screen")  # fmt: skip
    await error(await server.http.post(DEVICES, json={"kind": "printer", "name": "x"}, headers=supervisor), 422,
                "invalid_field")  # fmt: skip
    r = await server.http.post(DEVICES, json={"kind": "kiosk", "name": "Kios pintu timur"}, headers=supervisor)
    kiosk = r.json()
    assert r.status_code == 201 and kiosk["path"] == "/kiosk/tegal"
    r = await server.http.post("/api/v1/sites/tegal/tickets", json={"service": "ktp"}, headers=bearer(kiosk["token"]))
    assert r.status_code == 201
    # revoked, the kiosk's request is refused in words that send the technician to its token, not "please sign in"
    r = await server.http.post(f"{DEVICES}/{kiosk['device']['id']}/revoke", json={}, headers=supervisor)
    assert r.status_code == 200
    for token in (kiosk["token"], "d_kiosk_mistyped"):
        r = await server.http.post("/api/v1/sites/tegal/tickets", json={"service": "ktp"}, headers=bearer(token))
        body = await error(r, 401, "unauthenticated")
        assert body["message"].startswith("Token perangkat ini tidak dikenal atau sudah dicabut"), body
        assert "Pengaturan, tab Perangkat" in body["message"] and "#token=" in body["message_en"]
        assert "masuk" not in body["message"].lower() and "sign in" not in body["message_en"].lower()
    # a person's request without a session is still asked to sign in
    r = await server.http.get("/api/v1/me", headers=bearer("s_no_such_session"))
    assert (await error(r, 401, "unauthenticated"))["message"] == "Silakan masuk terlebih dahulu."
    log = (await server.http.get("/api/v1/sites/tegal/audit", headers=supervisor)).json()["entries"]
    said = [e["summary"]["id"] for e in log if e["action"].startswith("device.")]
    assert "Perangkat TV lantai 2 didaftarkan" in said
    assert "Perangkat TV lantai 2 diganti nama menjadi TV lantai 2 (timur)" in said
    assert "Perangkat TV lantai 2 (timur) dicabut" in said


async def test_a_kiosk_polling_is_seen_as_connected(server: Server) -> None:
    """An outside review: a kiosk in use always showed "Belum pernah tersambung" on the Settings page (it has no
    websocket). Its poll of the day, with its token, says it is there; silent for long, it is not."""
    admin = await server.login("admin")

    async def kiosk_row() -> dict[str, Any]:
        r = await server.http.get(DEVICES, headers=admin)
        return next(d for d in r.json()["devices"] if d["kind"] == "kiosk")

    assert (await kiosk_row())["last_seen_at"] is None
    r = await server.http.get("/api/v1/sites/tegal/today", headers=bearer(KIOSK))
    assert r.status_code == 200
    row = await kiosk_row()
    assert row["connected"] is True and row["last_seen_at"] is not None
    server.clock.advance(minutes=5)
    assert (await kiosk_row())["connected"] is False, "silent for five minutes: not connected, last seen then"


async def _add_operator(server: Server, admin: dict[str, str], username: str, agency: str = "disdukcapil") -> None:
    body = {**NEW, "username": username, "display_name": username.title(), "agency": agency}
    assert (await server.http.post(ACCOUNTS, json=body, headers=admin)).status_code == 201


async def test_a_counter_left_under_an_account_that_may_no_longer_work_it_is_closed(server: Server) -> None:
    """An outside review: a counter stayed open under an operator just disabled, removed or moved to another agency,
    with its citizen called on every TV and nobody allowed at it. It is closed at once: a ticket being served is
    parked (a colleague calls it back), a called one goes back to the queue at its place; never lost, never called
    by two counters. Said in the answer, on the dashboard and in the audit log."""
    admin, sup = await server.login("admin"), await server.login("supervisor")
    for username in ("sari", "budi", "tono"):
        await _add_operator(server, admin, username)
    first, second = (await server.issue("ktp"))["ticket"], (await server.issue("ktp"))["ticket"]
    sari, budi = await server.login("sari", NEW["password"]), await server.login("budi", NEW["password"])
    tono = await server.login("tono", NEW["password"])
    for who, counter in ((sari, "1"), (budi, "2"), (tono, "3")):
        assert (await server.command(who, counter, "open")).status_code == 200
    assert (await server.command(sari, "1", "call_next")).json()["ticket"]["label"] == first["label"]
    assert (await server.command(sari, "1", "start")).status_code == 200
    assert (await server.command(budi, "2", "call_next")).json()["ticket"]["label"] == second["label"]

    # a refused change (an agency that does not exist) changes nothing: the counter stays open
    r = await server.http.patch(ACCOUNTS + "/sari", json={"agency": "nowhere"}, headers=admin)
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "agency"
    assert (await _state(server, sup))[0]["1"]["state"] == "open"

    # disabled while serving: counter 1 closed, her citizen parked, to be called back by a colleague
    r = await server.http.patch(ACCOUNTS + "/sari", json={"active": False}, headers=admin)
    assert r.status_code == 200, r.text
    [released] = r.json()["released"]
    assert (released["counter"], released["ticket"], released["parked"]) == ("1", first["label"], True)
    assert released["message"] == (f"Loket 1 ditutup karena akun sari dinonaktifkan; {first['label']} yang sedang "
                                   "dilayani diparkir, untuk dipanggil kembali dari loket lain")  # fmt: skip
    assert released["message_en"].startswith("Loket 1 closed because the account sari was disabled;")
    # disabled again: nothing more to close
    r = await server.http.patch(ACCOUNTS + "/sari", json={"active": False}, headers=admin)
    assert r.status_code == 200 and r.json()["released"] == []

    # removed while calling: counter 2 closed, his citizen back in the queue at the front
    r = await server.http.delete(ACCOUNTS + "/budi", headers=admin)
    assert r.status_code == 200, r.text
    assert [(x["counter"], x["ticket"], x["parked"]) for x in r.json()["released"]] == [("2", second["label"], False)]
    # moved to another agency: counter 3 (Disdukcapil) is no longer his; an idle counter, nothing to hand on
    r = await server.http.patch(ACCOUNTS + "/tono", json={"agency": "polres"}, headers=admin)
    assert r.status_code == 200 and [x["counter"] for x in r.json()["released"]] == ["3"]

    counters, tickets = await _state(server, sup)
    assert [counters[c]["state"] for c in ("1", "2", "3")] == ["closed"] * 3
    assert tickets[first["label"]]["state"] == "parked"
    assert tickets[second["label"]]["state"] == "waiting" and tickets[second["label"]]["counter"] is None

    # a colleague calls the waiting citizen next; the parked one is not in the line (never called as if new), and
    # is called back when the colleague is ready
    colleague = await server.login("op-disdukcapil")
    assert (await server.command(colleague, "1", "open")).status_code == 200
    assert (await server.command(colleague, "1", "call_next")).json()["ticket"]["label"] == second["label"]
    for command in ("start", "finish"):
        assert (await server.command(colleague, "1", command)).status_code == 200
    assert (await server.command(colleague, "1", "call_next")).status_code != 200  # nobody else waiting
    r = await server.command(colleague, "1", "unpark", ticket=first["id"])
    assert r.status_code == 200 and r.json()["ticket"]["state"] == "called", r.text

    # the dashboard says why counter 3 is closed until it opens again; counter 1 reopened says nothing more
    counters = {c["id"]: c for c in (await server.http.get("/api/v1/sites/tegal/dashboard", headers=sup)).json()
                ["counters"]}  # fmt: skip
    assert counters["3"]["released"]["message"] == "Loket 3 ditutup karena akun tono dipindah ke instansi lain"
    assert counters["3"]["released"]["message_en"] == "Loket 3 closed because the account tono moved to another agency"
    assert counters["1"]["released"] is None and counters["4"]["released"] is None

    log = (await server.http.get("/api/v1/sites/tegal/audit", headers=admin)).json()["entries"]
    said = [e["summary"]["id"] for e in log if e["action"] == "counter.release"]
    assert sorted(said) == sorted([
        released["message"],
        f"Loket 2 ditutup karena akun budi dihapus; {second['label']} yang dipanggilnya kembali ke antrean di urutan "
        "semula",
        "Loket 3 ditutup karena akun tono dipindah ke instansi lain",
    ]), said  # fmt: skip


async def _state(server: Server, headers: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The live state's counters by id and tickets by label."""
    state = (await server.http.get("/api/v1/sites/tegal/state", headers=headers)).json()
    return {c["id"]: c for c in state["counters"]}, {t["label"]: t for t in state["tickets"]}


async def test_a_new_devices_address_is_where_a_tv_reaches_the_server_with_its_qr(server: Server) -> None:
    """An outside review: the new device's link was built from the browser's own address, so an admin on the server
    machine (http://127.0.0.1:8000) was shown a link no TV can open. The server answers the address itself, from
    where it listens (its LAN address when bound to every address), says plainly when only a loopback address is
    known, uses the mall's public address behind a proxy, and draws the link as a QR code."""
    from queue_server.common.lan import lan_addresses
    from queue_server.web.device_address import qr_svg

    admin = await server.login("admin")
    port = server.config.port

    async def issue(name: str) -> dict[str, Any]:
        r = await server.http.post(DEVICES, json={"kind": "kiosk", "name": name}, headers=admin)
        assert r.status_code == 201, r.text
        answer: dict[str, Any] = r.json()
        assert answer["address"].endswith(f"/kiosk/tegal#token={answer['token']}")
        assert answer["qr_svg"] == qr_svg(answer["address"]) and answer["qr_svg"].startswith("<svg")
        assert answer["reach"]["message"] and answer["reach"]["message_en"]
        return answer

    # bound to loopback only (as this test server is): said plainly, with what fixes it
    loopback = await issue("Kios 1")
    assert loopback["address"].startswith(f"http://127.0.0.1:{port}/kiosk/tegal#token=")
    assert (loopback["reach"]["kind"], loopback["reach"]["reachable"]) == ("loopback", False)
    assert "TV atau kios tidak dapat membuka alamat ini" in loopback["reach"]["message"]
    assert "--host 0.0.0.0" in loopback["reach"]["message_en"]

    # bound to every address: this machine's LAN address, whatever the browser used
    server.config.host = "0.0.0.0"  # noqa: S104 - what the process believes it is bound to
    try:
        lan = await issue("Kios 2")
        addresses = lan_addresses()
        if addresses:
            assert lan["address"].startswith(f"http://{addresses[0]}:{port}/kiosk/tegal#token=")
            assert lan["reach"]["kind"] in ("lan", "lan_others") and lan["reach"]["reachable"]
            assert lan["reach"]["message"].startswith(f"{addresses[0]} adalah alamat server ini")
        else:  # a machine with no network: said so
            assert lan["reach"]["kind"] == "no_network" and not lan["reach"]["reachable"]
    finally:
        server.config.host = "127.0.0.1"

    # behind a proxy on loopback, with the mall's public address configured (an admin's to set): that one
    current = (await server.http.get("/api/v1/sites/tegal/configuration", headers=admin)).json()
    current["document"].setdefault("notify", {})["public_url"] = "https://antrean.mpp.test"
    body = {"version": current["version"], "document": current["document"]}
    r = await server.http.put("/api/v1/sites/tegal/configuration", json=body, headers=admin)
    assert r.status_code == 200, r.text
    public = await issue("Kios 3")
    assert public["address"].startswith("https://antrean.mpp.test/kiosk/tegal#token=")
    assert public["reach"]["kind"] == "loopback_public" and public["reach"]["reachable"]
    assert "https://antrean.mpp.test" in public["reach"]["message"]
    # a public address on loopback itself is no way in either: said as loopback
    current = (await server.http.get("/api/v1/sites/tegal/configuration", headers=admin)).json()
    current["document"]["notify"]["public_url"] = f"http://127.0.0.1:{port}"
    body = {"version": current["version"], "document": current["document"]}
    assert (await server.http.put("/api/v1/sites/tegal/configuration", json=body, headers=admin)).status_code == 200
    assert (await issue("Kios 4"))["reach"]["kind"] == "loopback"
