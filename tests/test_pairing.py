"""Pairing a TV or kiosk with the short code its page shows (application/device_pairing.py): the code alone grants
nothing, an authorised admin's action pairs it once, and everything else is refused with a sentence a person can act
on. Through the API, on SQLite and on PostgreSQL; the pages are driven in tests/test_pairing_pages.py."""

from __future__ import annotations

import contextlib
import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest
import websockets

from queue_server.application import device_pairing
from queue_server.settings.sitefile import DEMO_SITE

from .helpers import KIOSK, Server, bearer, running_server
from .test_national import brebes_site

BOTH_DATABASES = True
PAIRING = "/api/v1/sites/tegal/pairing"
PAIR = "/api/v1/sites/tegal/device-tokens/pair"
DEVICES = "/api/v1/sites/tegal/device-tokens"
CODE = re.compile(r"^[ACDEFHJKMNPRTUVWXY3479]{3}-[ACDEFHJKMNPRTUVWXY3479]{3}$")


async def offered(server: Server, site: str = "tegal") -> dict[str, Any]:
    r = await server.http.post(f"/api/v1/sites/{site}/pairing", json={})
    assert r.status_code == 201, r.text
    assert r.headers["cache-control"] == "no-store"
    return r.json()  # type: ignore[no-any-return]


async def hello(server: Server, token: str, screen: str = "lobby") -> dict[str, Any]:
    """The first frame the server answers a display's hello with this token."""
    async with websockets.connect(server.ws_url) as ws:
        await ws.send(json.dumps({"type": "hello", "role": "display", "site": "tegal", "screen": screen,
                                  "token": token}))  # fmt: skip
        return json.loads(await ws.recv())  # type: ignore[no-any-return]


async def test_a_device_is_paired_by_an_admin_typing_the_code_it_shows(server: Server) -> None:
    """A TV without a keyboard friendly enough for a long token address shows a code; the admin types it on the
    Settings page with what the device is to be; the TV's own token then works, and it learns where to go."""
    offer = await offered(server)
    assert CODE.match(offer["code"]), offer["code"]
    assert offer["token"].startswith("d_") and len(offer["token"]) > 40
    assert (offer["expires_in"], offer["poll_seconds"]) == (600, 2)
    assert offer["says"]["title"] == {"id": "Perangkat ini belum terdaftar", "en": "This device is not registered yet"}
    token = offer["token"]
    r = await server.http.get(PAIRING, headers=bearer(token))
    assert r.status_code == 200 and r.json() == {"paired": False, "code": offer["code"],
                                                 "expires_at": offer["expires_at"]}  # fmt: skip

    # the waiting token grants nothing: no state, no ticket, no screen
    assert (await server.http.get("/api/v1/sites/tegal/state", headers=bearer(token))).status_code == 401
    r = await server.http.post("/api/v1/sites/tegal/tickets", json={"service": "ktp"}, headers=bearer(token))
    assert r.status_code == 401 and r.json()["error"]["details"] == {"device_token": "refused"}
    refused = await hello(server, token)
    assert refused["type"] == "error" and refused["details"] == {"device_token": "refused"}

    admin = await server.login("admin")
    typed = offer["code"].lower().replace("-", " ")  # as a person may type it
    r = await server.http.post(PAIR, json={"code": typed, "kind": "display", "name": "TV lobi 2", "screen": "lobby"},
                               headers=admin)  # fmt: skip
    assert r.status_code == 201, r.text
    paired = r.json()
    assert paired["path"] == "/display/tegal/lobby" and paired["replaced"] is False
    assert (paired["device"]["name"], paired["device"]["kind"], paired["device"]["screen"]) == (
        "TV lobi 2",
        "display",
        "lobby",
    )
    assert token not in r.text
    r = await server.http.get(PAIRING, headers=bearer(token))
    assert r.json() == {"paired": True, "kind": "display", "name": "TV lobi 2", "screen": "lobby",
                        "path": "/display/tegal/lobby"}  # fmt: skip
    assert (await hello(server, token))["type"] == "welcome"
    listed = (await server.http.get(DEVICES, headers=admin)).json()["devices"]
    assert [d["name"] for d in listed if d["id"] == paired["device"]["id"]] == ["TV lobi 2"]

    # once only: typed again, by anyone, it is refused and pairs nothing more
    again = await server.http.post(PAIR, json={"code": offer["code"], "kind": "kiosk", "name": "Kios X"},
                                   headers=admin)  # fmt: skip
    assert again.status_code == 409 and again.json()["error"]["code"] == "pairing_code_used"
    assert again.json()["error"]["details"] == {"field": "code"}
    assert len((await server.http.get(DEVICES, headers=admin)).json()["devices"]) == len(listed)

    # the audit log names the device and who paired it, never the code or the token
    log = (await server.http.get("/api/v1/sites/tegal/audit", headers=admin)).json()["entries"]
    [entry] = [e for e in log if e["action"] == "device.pair"]
    assert (entry["actor"], entry["summary"]["id"]) == ("admin", "Perangkat TV lobi 2 dipasangkan dengan kode")
    assert offer["code"].replace("-", "") not in json.dumps(entry) and token not in json.dumps(entry)


async def test_a_supervisor_pairs_a_kiosk_and_an_operator_may_not(server: Server) -> None:
    offer = await offered(server)
    op = await server.login("op-disdukcapil")
    body = {"code": offer["code"], "kind": "kiosk", "name": "Kios 2"}
    r = await server.http.post(PAIR, json=body)
    assert r.status_code == 401
    r = await server.http.post(PAIR, json=body, headers=op)
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    sup = await server.login("supervisor")
    r = await server.http.post(PAIR, json=body, headers=sup)
    assert r.status_code == 201 and r.json()["path"] == "/kiosk/tegal", r.text
    r = await server.http.post("/api/v1/sites/tegal/tickets", json={"service": "ktp"}, headers=bearer(offer["token"]))
    assert r.status_code == 201  # the kiosk issues with its own token now


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"kind": "display", "name": "TV", "screen": "lobby"}, 422, "invalid_field", "code"),
        ({"code": "", "kind": "kiosk", "name": "K"}, 422, "invalid_field", "code"),
        ({"code": "ACD", "kind": "kiosk", "name": "K"}, 422, "invalid_field", "code"),
        ({"code": "ACDEFHJ", "kind": "kiosk", "name": "K"}, 422, "invalid_field", "code"),
        ({"code": "0O1-I2Z", "kind": "kiosk", "name": "K"}, 422, "invalid_field", "code"),
        ({"code": 123456, "kind": "kiosk", "name": "K"}, 422, "invalid_field", "code"),
        ({"code": "ACD-EFH", "kind": "kiosk", "name": "K"}, 404, "pairing_code_unknown", "code"),
        ({"code": "{code}", "kind": "tv", "name": "K"}, 422, "invalid_field", "kind"),
        ({"code": "{code}", "kind": "kiosk", "name": "  "}, 422, "invalid_field", "name"),
        ({"code": "{code}", "kind": "display", "name": "TV"}, 422, "invalid_field", "screen"),
        ({"code": "{code}", "kind": "display", "name": "TV", "screen": "atap"}, 404, "unknown_screen", "screen"),
        ({"code": "{code}", "device": 1, "name": "TV"}, 422, "invalid_field", "device"),
        ({"code": "{code}", "device": 999}, 404, "unknown_device", "device"),
        ({"code": "{code}", "device": "1"}, 404, "unknown_device", "device"),
        ({"code": "{code}", "kind": "kiosk", "name": "K", "token": "x"}, 422, "invalid_field", "token"),
    ],
)
async def test_a_wrong_pairing_is_refused_at_its_field_and_pairs_nothing(
    server: Server, body: dict[str, Any], status: int, code: str, field: str
) -> None:
    offer = await offered(server)
    admin = await server.login("admin")
    before = (await server.http.get(DEVICES, headers=admin)).json()["devices"]
    sent = {k: (offer["code"] if v == "{code}" else v) for k, v in body.items()}
    r = await server.http.post(PAIR, json=sent, headers=admin)
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["code"] == code and error["details"].get("field") == field, error
    assert error["message"] and error["message_en"] and "Traceback" not in r.text
    if code == "pairing_code_unknown":
        assert error["message"].startswith("Kode ACD-EFH tidak dikenal di mal ini.")
    if sent.get("code") in ("ACD", "ACDEFHJ", "0O1-I2Z"):  # a text that is no code: what one looks like
        assert "seperti ACD-EFH" in error["message"]
    assert (await server.http.get(DEVICES, headers=admin)).json()["devices"] == before
    r = await server.http.get(PAIRING, headers=bearer(offer["token"]))
    assert r.json()["paired"] is False  # still waiting: a refused pairing used nothing up


async def test_an_expired_code_is_refused_and_the_page_is_told_to_ask_for_another(server: Server) -> None:
    offer = await offered(server)
    admin = await server.login("admin")
    server.clock.advance(minutes=10, seconds=1)
    r = await server.http.post(PAIR, json={"code": offer["code"], "kind": "kiosk", "name": "Kios"}, headers=admin)
    assert r.status_code == 410 and r.json()["error"]["code"] == "pairing_code_expired", r.text
    assert r.json()["error"]["message"].startswith(f"Kode {offer['code']} sudah kedaluwarsa (berlaku 10 menit).")
    r = await server.http.get(PAIRING, headers=bearer(offer["token"]))
    assert r.status_code == 410 and r.json()["error"]["code"] == "pairing_code_expired"
    fresh = await offered(server)  # what the page does: a new code, which pairs
    assert fresh["code"] != offer["code"]
    r = await server.http.post(PAIR, json={"code": fresh["code"], "kind": "kiosk", "name": "Kios"}, headers=admin)
    assert r.status_code == 201


async def test_the_waiting_token_is_asked_about_by_its_holder_only(server: Server) -> None:
    """The status answers the token's holder; a token of nothing, a session, another site or none is refused."""
    offer = await offered(server)
    for headers in ({}, bearer("d_nothing_of_the_kind"), bearer(KIOSK.replace("tegal", "brebes"))):
        r = await server.http.get(PAIRING, headers=headers)
        assert r.status_code == 401 and r.json()["error"]["details"]["device_token"] in ("missing", "refused")
    r = await server.http.get(PAIRING, headers=await server.login("admin"))
    assert r.status_code == 401
    r = await server.http.get("/api/v1/sites/nowhere/pairing", headers=bearer(offer["token"]))
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_site"
    r = await server.http.post("/api/v1/sites/nowhere/pairing", json={})
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_site"


async def test_pairing_again_gives_an_existing_entry_the_new_token_and_refuses_its_old_one(server: Server) -> None:
    """A kiosk whose token was revoked (or lost) is paired again onto its own entry: same id and name, its history
    kept, the old token refused at once, the entry live again."""
    admin = await server.login("admin")
    devices = (await server.http.get(DEVICES, headers=admin)).json()["devices"]
    [kiosk] = [d for d in devices if d["kind"] == "kiosk"]
    r = await server.http.post(f"{DEVICES}/{kiosk['id']}/revoke", json={}, headers=admin)
    assert r.status_code == 200
    offer = await offered(server)
    r = await server.http.post(PAIR, json={"code": offer["code"], "device": kiosk["id"]}, headers=admin)
    assert r.status_code == 201, r.text
    assert r.json()["replaced"] is True and r.json()["device"]["id"] == kiosk["id"]
    assert r.json()["device"]["revoked_at"] is None and r.json()["device"]["name"] == kiosk["name"]
    issue = "/api/v1/sites/tegal/tickets"
    assert (await server.http.post(issue, json={"service": "ktp"}, headers=bearer(offer["token"]))).status_code == 201
    old = await server.http.post(issue, json={"service": "ktp"}, headers=bearer(KIOSK))
    assert old.status_code == 401 and old.json()["error"]["details"] == {"device_token": "refused"}

    # a live TV paired again: its old token is refused at once, its open screen closed
    offer = await offered(server)
    lobby = next(d for d in devices if d["kind"] == "display" and d["screen"] == "lobby")
    async with websockets.connect(server.ws_url) as ws:
        await ws.send(json.dumps({"type": "hello", "role": "display", "site": "tegal", "screen": "lobby",
                                  "token": "d_display_demo_tegal_lobby"}))  # fmt: skip
        assert json.loads(await ws.recv())["type"] == "welcome"
        r = await server.http.post(PAIR, json={"code": offer["code"], "device": lobby["id"]}, headers=admin)
        assert r.status_code == 201 and r.json()["path"] == "/display/tegal/lobby"
        frames = []
        with contextlib.suppress(websockets.ConnectionClosed):  # closed by the server, with the refusal first
            while True:
                frames.append(json.loads(await ws.recv()))
        assert frames[-1]["type"] == "error" and frames[-1]["details"] == {"device_token": "refused"}
    log = (await server.http.get("/api/v1/sites/tegal/audit", headers=admin)).json()["entries"]
    assert [e["summary"]["id"] for e in log if e["action"] == "device.pair"][0].endswith(
        "dipasangkan lagi dengan kode; token lamanya tidak berlaku lagi"
    )


async def test_asking_for_codes_and_typing_them_is_limited(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    """A page asks for a code every 10 minutes: an address asking more than 10 a minute is refused for a minute;
    an account typing more than 10 codes a minute (a guesser with an account) too; and at most WAITING_MAX codes
    wait on the server at once (a flood fills no table)."""
    for _ in range(10):
        await offered(server)
    r = await server.http.post(PAIRING, json={})
    assert (
        r.status_code == 429 and r.headers["retry-after"] == "60" and r.json()["error"]["code"] == "too_many_requests"
    )

    admin = await server.login("admin")
    for i in range(10):
        r = await server.http.post(PAIR, json={"code": "ACD-EF" + "HJKMNPRTUV"[i], "kind": "kiosk", "name": "K"},
                                   headers=admin)  # fmt: skip
        assert r.status_code == 404
    r = await server.http.post(PAIR, json={"code": "ACD-EFW", "kind": "kiosk", "name": "K"}, headers=admin)
    assert r.status_code == 429 and r.json()["error"]["code"] == "too_many_requests"
    sup = await server.login("supervisor")  # another account has its own allowance
    assert (await server.http.post(PAIR, json={"code": "ACD-EFW", "kind": "kiosk", "name": "K"},
                                   headers=sup)).status_code == 404  # fmt: skip

    # another address (behind the mall's proxy) may ask; 10 codes wait, and the cap is lowered to 10
    monkeypatch.setattr(device_pairing, "WAITING_MAX", 10)
    elsewhere = {"X-Forwarded-For": "10.0.0.7"}
    r = await server.http.post(PAIRING, json={}, headers=elsewhere)
    assert r.status_code == 429 and r.json()["error"]["code"] == "pairing_busy" and r.headers["retry-after"] == "60"
    assert "Terlalu banyak perangkat sedang menunggu dipasangkan" in r.json()["error"]["message"]
    server.clock.advance(minutes=10)  # those 10 expired: room again
    assert (await server.http.post(PAIRING, json={}, headers=elsewhere)).status_code == 201


async def test_no_token_or_code_reaches_a_log(server: Server, caplog: pytest.LogCaptureFixture) -> None:
    """Tokens travel in bodies and the Authorization header only: the access log (on here) and the server's log
    hold neither the waiting token nor the code."""
    logging.getLogger("uvicorn.access").setLevel(logging.INFO)
    server.app.state.server.config.access_log = True
    caplog.set_level(logging.DEBUG)
    offer = await offered(server)
    admin = await server.login("admin")
    await server.http.get(PAIRING, headers=bearer(offer["token"]))
    await server.http.post(PAIR, json={"code": offer["code"], "kind": "kiosk", "name": "Kios"}, headers=admin)
    await server.http.get(PAIRING, headers=bearer(offer["token"]))
    await server.http.post("/api/v1/sites/tegal/tickets", json={"service": "ktp"}, headers=bearer(offer["token"]))
    said = "\n".join(record.getMessage() for record in caplog.records)
    assert "/pairing" in said, "the access log was on"
    assert offer["token"] not in said and offer["token"][2:12] not in said
    assert offer["code"] not in said and offer["code"].replace("-", "") not in said


async def test_a_code_pairs_only_a_device_of_the_mall_whose_page_asked(database: Path | str, tmp_path: Path) -> None:
    """On a server of several malls, a code shown on a Brebes screen is unknown to Tegal's Settings page, even for an
    admin of every mall: the same words as a code never shown, so nobody learns it exists."""
    async with running_server(database, site_files=[DEMO_SITE, brebes_site(tmp_path)]) as server:
        offer = await offered(server, "brebes")
        admin = await server.login("admin")
        r = await server.http.post(PAIR, json={"code": offer["code"], "kind": "kiosk", "name": "K"}, headers=admin)
        assert r.status_code == 404 and r.json()["error"]["code"] == "pairing_code_unknown"
        r = await server.http.get(PAIRING, headers=bearer(offer["token"]))  # Tegal's: not this token's mall
        assert r.status_code == 401
        r = await server.http.post("/api/v1/sites/brebes/device-tokens/pair", headers=admin,
                                   json={"code": offer["code"], "kind": "kiosk", "name": "K"})  # fmt: skip
        assert r.status_code == 201 and r.json()["path"] == "/kiosk/brebes", r.text
