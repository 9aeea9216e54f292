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
from queue_server.persistence.device_pairings import DevicePairingStore
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


async def test_a_refused_token_is_told_the_codes_way_with_a_code_and_the_address_way_without(server: Server) -> None:
    """A page that shows a code after its token was refused says, above it, to type that code on Settings ->
    Perangkat (`says.refused`, both languages); the refusal itself (HTTP 401, a hello's error frame) is for an API
    client, which has no code, and still sends the technician to a new #token=... address."""
    for offer in (await offered(server), (await server.http.post("/api/v1/pairing", json={})).json()):
        said = offer["says"]["refused"]
        assert said["id"].startswith("Token perangkat ini tidak dikenal atau sudah dicabut")
        assert "Teknisi: ketik kode di bawah ini di Pengaturan, tab Perangkat" in said["id"]
        assert "Technician: type the code below on Settings, Devices tab" in said["en"]
        assert "#token=" not in said["id"] + said["en"]
    r = await server.http.get("/api/v1/sites/tegal/today", headers=bearer("d_kiosk_unknown"))
    error = r.json()["error"]
    frame = await hello(server, "d_display_unknown")
    for words in (error, frame):
        assert words["details"] == {"device_token": "refused"}
        assert "daftarkan perangkat ini lagi (Pengaturan, tab Perangkat) lalu buka alamat barunya" in words["message"]
        assert "#token=" in words["message"] and "#token=" in words["message_en"]
    assert r.status_code == 401 and (error["message"], error["message_en"]) == (frame["message"], frame["message_en"])


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


async def test_a_page_asking_while_its_code_is_paired_is_told_not_yet_or_paired_never_refused(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page asks whether it is paired just as an admin pairs its code (the admin's request lands between the
    status's reads of the code and of the device): the answer is "not yet" or "paired", never a refusal, which made
    the page draw a new code and wait for ever (seen once on a TV in the browser tests)."""
    offer = await offered(server)
    admin = await server.login("admin")
    store = server.app.state.server.ctx.accounts.store
    paired: list[Any] = []

    async def pair_once() -> None:
        if not paired:
            paired.append(None)
            paired[0] = await server.http.post(PAIR, headers=admin, json={
                "code": offer["code"], "kind": "display", "name": "TV lobi", "screen": "lobby"})  # fmt: skip

    def then_pair(read: Any) -> Any:
        async def read_then_pair(*args: Any) -> Any:
            found = await read(*args)
            await pair_once()
            return found

        return read_then_pair

    monkeypatch.setattr(store, "live_device", then_pair(store.live_device))
    monkeypatch.setattr(DevicePairingStore, "by_token", then_pair(DevicePairingStore.by_token))
    r = await server.http.get(PAIRING, headers=bearer(offer["token"]))
    assert paired and paired[0].status_code == 201, "the admin paired it during the page's question"
    assert r.status_code == 200 and r.json()["paired"] is False, r.text  # asked before it was paired: not yet
    r = await server.http.get(PAIRING, headers=bearer(offer["token"]))
    assert r.status_code == 200 and r.json()["paired"] is True and r.json()["path"] == "/display/tegal/lobby", r.text


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


# --- a code knows which page asked for it ----------------------------------------------------------------------------

TV_LOBBY = {"kind": "display", "screen": "lobby"}
KIOSK_PAGE = {"kind": "kiosk"}
LOOKUP = "/api/v1/sites/tegal/device-tokens/pair/lookup"


async def asked_by(server: Server, page: dict[str, Any], site: str = "tegal") -> dict[str, Any]:
    """A code as a mall's TV or kiosk page asks for it: saying what it is."""
    r = await server.http.post(f"/api/v1/sites/{site}/pairing", json=page)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("page", "status", "code", "field"),
    [
        ({"kind": "tv"}, 422, "invalid_field", "kind"),
        ({"screen": "lobby"}, 422, "invalid_field", "kind"),
        ({"kind": "display"}, 422, "invalid_field", "screen"),
        ({"kind": "display", "screen": "atap"}, 404, "unknown_screen", "screen"),
        ({"kind": "kiosk", "screen": "lobby"}, 422, "invalid_field", "screen"),
        ({"kind": "kiosk", "token": "d_x"}, 422, "invalid_field", "token"),
        ({"kind": "uplink"}, 422, "invalid_field", "kind"),
    ],
)
async def test_a_page_that_says_what_it_is_wrongly_gets_no_code(
    server: Server, page: dict[str, Any], status: int, code: str, field: str
) -> None:
    r = await server.http.post(PAIRING, json=page)
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert (error["code"], error["details"]["field"]) == (code, field) and error["message"] and error["message_en"]


async def test_a_typed_code_says_which_page_asked_for_it(server: Server) -> None:
    """The Settings form asks what a code is once it is typed in full: a TV of its screen, a kiosk, or a code of the
    start address (any kind); the look-up pairs nothing."""
    admin = await server.login("admin")
    tv, kiosk = await asked_by(server, {"kind": "display", "screen": "lantai2"}), await asked_by(server, KIOSK_PAGE)
    start = (await server.http.post("/api/v1/pairing", json={})).json()
    old_page = await offered(server)  # a page of an earlier release says nothing: any kind, as before
    for offer, kind, screen in ((tv, "display", "lantai2"), (kiosk, "kiosk", None), (start, None, None),
                                (old_page, None, None)):  # fmt: skip
        r = await server.http.post(LOOKUP, json={"code": offer["code"].lower().replace("-", " ")}, headers=admin)
        assert r.status_code == 200, r.text
        assert r.json() == {"code": offer["code"], "kind": kind, "screen": screen, "expires_at": offer["expires_at"]}
        assert r.headers["cache-control"] == "no-store" and offer["token"] not in r.text
    assert (await server.http.get(PAIRING, headers=bearer(tv["token"]))).json()["paired"] is False


async def test_a_pages_code_pairs_only_as_what_the_page_is(server: Server) -> None:
    """A kiosk page's code paired as a TV would send the kiosk to a board; a TV page's as another screen, to that
    screen's board: refused, at the field at fault, with what to do, and nothing paired or used up."""
    admin = await server.login("admin")
    kiosk, tv = await asked_by(server, KIOSK_PAGE), await asked_by(server, TV_LOBBY)
    devices = (await server.http.get(DEVICES, headers=admin)).json()["devices"]
    lobby = next(d for d in devices if d["kind"] == "display" and d["screen"] == "lobby")
    lantai1 = next(d for d in devices if d["kind"] == "display" and d["screen"] == "lantai1")
    kiosk_entry = next(d for d in devices if d["kind"] == "kiosk")
    wrong = [
        (kiosk, {"kind": "display", "name": "TV", "screen": "lobby"}, "kind"),
        (kiosk, {"device": lobby["id"]}, "device"),
        (tv, {"kind": "kiosk", "name": "Kios"}, "kind"),
        (tv, {"kind": "display", "name": "TV", "screen": "lantai1"}, "screen"),
        (tv, {"device": lantai1["id"]}, "device"),
        (tv, {"device": kiosk_entry["id"]}, "device"),
    ]
    for offer, body, field in wrong:
        r = await server.http.post(PAIR, json={"code": offer["code"], **body}, headers=admin)
        assert r.status_code == 409, (body, r.text)
        error = r.json()["error"]
        assert error["code"] == "pairing_kind_mismatch" and error["details"]["field"] == field, error
        if offer is kiosk:
            assert error["details"] == {"field": field, "kind": "kiosk"}
            assert error["message"].startswith(f"Kode {offer['code']} berasal dari halaman kios (/kiosk/tegal)")
            assert "buka /perangkat" in error["message"] and "open /perangkat" in error["message_en"]
        else:
            assert error["details"] == {"field": field, "kind": "display", "screen": "lobby"}
            assert error["message"].startswith(f"Kode {offer['code']} berasal dari layar TV “lobby”")
            assert "/kiosk/tegal untuk kios" in error["message"] and "/kiosk/tegal for a kiosk" in error["message_en"]
    assert (await server.http.get(DEVICES, headers=admin)).json()["devices"] == devices
    log = (await server.http.get("/api/v1/sites/tegal/audit", headers=admin)).json()["entries"]
    assert not [e for e in log if e["action"] == "device.pair"]

    # as what the page is: paired (a new kiosk; the lobby TV's own entry)
    r = await server.http.post(PAIR, json={"code": kiosk["code"], "kind": "kiosk", "name": "Kios 3"}, headers=admin)
    assert r.status_code == 201 and r.json()["path"] == "/kiosk/tegal", r.text
    r = await server.http.post(PAIR, json={"code": tv["code"], "device": lobby["id"]}, headers=admin)
    assert r.status_code == 201 and r.json()["path"] == "/display/tegal/lobby", r.text
    assert (await hello(server, tv["token"]))["type"] == "welcome"


async def test_a_start_address_code_still_pairs_as_any_kind(server: Server) -> None:
    admin = await server.login("admin")
    for body in ({"kind": "kiosk", "name": "Kios"}, {"kind": "display", "name": "TV", "screen": "lantai1"}):
        start = (await server.http.post("/api/v1/pairing", json={})).json()
        r = await server.http.post(PAIR, json={"code": start["code"], **body}, headers=admin)
        assert r.status_code == 201, r.text


async def test_a_code_not_waiting_is_refused_by_the_look_up_as_by_pairing(server: Server) -> None:
    admin = await server.login("admin")
    r = await server.http.post(LOOKUP, json={"code": "ACD-EFH"}, headers=admin)
    assert r.status_code == 404 and r.json()["error"]["code"] == "pairing_code_unknown"
    assert r.json()["error"]["details"] == {"field": "code"}
    for bad in ({"code": "ACD"}, {"code": "0O1-I2Z"}, {}, {"code": 123456}, {"code": "ACD-EFH", "kind": "kiosk"}):
        r = await server.http.post(LOOKUP, json=bad, headers=admin)
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_field", (bad, r.text)
    used = await asked_by(server, KIOSK_PAGE)
    r = await server.http.post(PAIR, json={"code": used["code"], "kind": "kiosk", "name": "K"}, headers=admin)
    assert r.status_code == 201
    r = await server.http.post(LOOKUP, json={"code": used["code"]}, headers=admin)
    assert r.status_code == 409 and r.json()["error"]["code"] == "pairing_code_used"
    expired = await asked_by(server, TV_LOBBY)
    server.clock.advance(minutes=10, seconds=1)
    r = await server.http.post(LOOKUP, json={"code": expired["code"]}, headers=admin)
    assert r.status_code == 410 and r.json()["error"]["code"] == "pairing_code_expired"


async def test_the_look_up_is_an_admins_or_supervisors_and_counted_with_the_codes_typed(server: Server) -> None:
    """Authorised as pairing is; and since it tells as much about a code as typing it, an account's look-ups and
    pairings share the 10 tries a minute."""
    offer = await asked_by(server, KIOSK_PAGE)
    body = {"code": offer["code"]}
    assert (await server.http.post(LOOKUP, json=body)).status_code == 401
    assert (await server.http.post(LOOKUP, json=body, headers=bearer(KIOSK))).status_code in (401, 403)
    r = await server.http.post(LOOKUP, json=body, headers=await server.login("op-disdukcapil"))
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    sup = await server.login("supervisor")
    r = await server.http.post(LOOKUP, json=body, headers=sup)
    assert r.status_code == 200 and r.json()["kind"] == "kiosk"
    for _ in range(9):
        assert (await server.http.post(LOOKUP, json=body, headers=sup)).status_code == 200
    r = await server.http.post(PAIR, json={**body, "kind": "kiosk", "name": "K"}, headers=sup)
    assert r.status_code == 429 and r.json()["error"]["code"] == "too_many_requests"
    r = await server.http.post(LOOKUP, json=body, headers=sup)
    assert r.status_code == 429


async def test_another_malls_supervisor_neither_looks_up_nor_pairs_a_code(database: Path | str, tmp_path: Path) -> None:
    """A Tegal supervisor at Brebes's routes is refused; Tegal's own page does not know a Brebes page's code."""
    async with running_server(database, site_files=[DEMO_SITE, brebes_site(tmp_path)]) as server:
        offer = await asked_by(server, KIOSK_PAGE, "brebes")
        admin = await server.login("admin")
        account = {"username": "sari.w", "display_name": "Sari W", "role": "supervisor", "password": "rahasia-sari-1"}
        r = await server.http.post("/api/v1/sites/tegal/accounts", json=account, headers=admin)
        assert r.status_code == 201, r.text
        sup = await server.login("sari.w", "rahasia-sari-1")
        body = {"code": offer["code"]}
        r = await server.http.post("/api/v1/sites/brebes/device-tokens/pair/lookup", json=body, headers=sup)
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
        r = await server.http.post("/api/v1/sites/brebes/device-tokens/pair", json={**body, "kind": "kiosk",
                                                                                    "name": "K"}, headers=sup)  # fmt: skip
        assert r.status_code == 403
        r = await server.http.post(LOOKUP, json=body, headers=sup)
        assert r.status_code == 404 and r.json()["error"]["code"] == "pairing_code_unknown"
        r = await server.http.post("/api/v1/sites/brebes/device-tokens/pair/lookup", json=body, headers=admin)
        assert r.status_code == 200 and r.json()["kind"] == "kiosk"
