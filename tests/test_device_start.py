"""The start address of any new TV or kiosk (/perangkat, /device): its pairing code is no mall's until an admin or
supervisor of one types it, which makes the device that mall's and tells the page where to go; one pairing, one
`device.pair` audit entry, written in the pairing's own transaction (none for a pairing refused or failed). Through the
API, on SQLite and on PostgreSQL; the page itself is driven in tests/test_device_start_pages.py."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest

from queue_server.settings.sitefile import DEMO_SITE

from .helpers import Server, bearer, running_server
from .test_national import brebes_site

BOTH_DATABASES = True
START = "/api/v1/pairing"
PAIR = "/api/v1/sites/{site}/device-tokens/pair"
CODE = re.compile(r"^[ACDEFHJKMNPRTUVWXY3479]{3}-[ACDEFHJKMNPRTUVWXY3479]{3}$")


async def started(server: Server) -> dict[str, Any]:
    """What /perangkat's page is given: a code and the token it keeps."""
    r = await server.http.post(START, json={})
    assert r.status_code == 201, r.text
    assert r.headers["cache-control"] == "no-store"
    return r.json()  # type: ignore[no-any-return]


async def pair_entries(server: Server, headers: dict[str, str], site: str = "tegal") -> list[dict[str, Any]]:
    log = (await server.http.get(f"/api/v1/sites/{site}/audit", headers=headers)).json()["entries"]
    return [e for e in log if e["action"] == "device.pair"]


async def test_the_start_page_and_its_english_name(server: Server) -> None:
    r = await server.http.get("/perangkat")
    assert r.status_code == 200 and "device-start.js" in r.text and '<html lang="id"' in r.text
    assert "default-src 'self'" in r.headers["content-security-policy"]
    r = await server.http.get("/device?lang=en", follow_redirects=False)
    assert r.status_code == 307 and r.headers["location"] == "/perangkat?lang=en"
    r = await server.http.get("/perangkat?lang=en")
    assert '<html lang="en"' in r.text


async def test_a_code_of_no_mall_is_paired_at_tegal_as_a_lobby_tv(server: Server) -> None:
    offer = await started(server)
    assert CODE.match(offer["code"]) and offer["token"].startswith("d_")
    assert offer["says"]["how"]["id"].startswith("Admin atau supervisor: buka Pengaturan")
    token = offer["token"]
    r = await server.http.get(START, headers=bearer(token))
    assert r.status_code == 200 and r.json() == {"paired": False, "code": offer["code"],
                                                 "expires_at": offer["expires_at"]}  # fmt: skip
    # nothing a mall's own page may ask about: the token is the start page's until paired
    assert (await server.http.get("/api/v1/sites/tegal/pairing", headers=bearer(token))).status_code == 401
    assert (await server.http.get("/api/v1/sites/tegal/state", headers=bearer(token))).status_code == 401

    admin = await server.login("admin")
    assert await pair_entries(server, admin) == []
    r = await server.http.post(PAIR.format(site="tegal"), headers=admin,
                               json={"code": offer["code"], "kind": "display", "name": "TV lobi 3",
                                     "screen": "lobby"})  # fmt: skip
    assert r.status_code == 201, r.text
    assert r.json()["path"] == "/display/tegal/lobby" and token not in r.text
    device = r.json()["device"]
    r = await server.http.get(START, headers=bearer(token))
    assert r.json() == {"paired": True, "kind": "display", "name": "TV lobi 3", "screen": "lobby",
                        "path": "/display/tegal/lobby"}  # fmt: skip
    # its mall's own page knows it now too (a TV later started at its board's address)
    assert (await server.http.get("/api/v1/sites/tegal/pairing", headers=bearer(token))).json()["paired"] is True
    assert (await server.http.get("/api/v1/sites/tegal/state", headers=bearer(token))).status_code == 200

    [entry] = await pair_entries(server, admin)
    assert (entry["actor"], entry["target"]) == ("admin", f"device {device['id']}")
    assert entry["summary"]["id"] == "Perangkat TV lobi 3 dipasangkan dengan kode"

    # once only
    r = await server.http.post(PAIR.format(site="tegal"), headers=admin,
                               json={"code": offer["code"], "kind": "kiosk", "name": "Kios"})  # fmt: skip
    assert r.status_code == 409 and r.json()["error"]["code"] == "pairing_code_used"
    assert len(await pair_entries(server, admin)) == 1


async def test_a_code_of_no_mall_is_paired_as_a_kiosk_that_issues_tickets(server: Server) -> None:
    offer = await started(server)
    sup = await server.login("supervisor")
    r = await server.http.post(PAIR.format(site="tegal"), headers=sup,
                               json={"code": offer["code"], "kind": "kiosk", "name": "Kios lantai 2"})  # fmt: skip
    assert r.status_code == 201 and r.json()["path"] == "/kiosk/tegal", r.text
    assert (await server.http.get(START, headers=bearer(offer["token"]))).json()["path"] == "/kiosk/tegal"
    r = await server.http.post("/api/v1/sites/tegal/tickets", json={"service": "ktp"}, headers=bearer(offer["token"]))
    assert r.status_code == 201


@pytest.mark.parametrize(
    ("code", "status", "error"),
    [
        ("ACD", 422, "invalid_field"),
        ("0O1-I2Z", 422, "invalid_field"),
        ("ACD-EFH", 404, "pairing_code_unknown"),
    ],
)
async def test_bad_codes_are_refused_and_pair_nothing(server: Server, code: str, status: int, error: str) -> None:
    offer = await started(server)
    admin = await server.login("admin")
    sent = code if code != offer["code"] else "ACD-EFJ"
    r = await server.http.post(PAIR.format(site="tegal"), headers=admin,
                               json={"code": sent, "kind": "kiosk", "name": "K"})  # fmt: skip
    assert r.status_code == status and r.json()["error"]["code"] == error, r.text
    assert r.json()["error"]["details"]["field"] == "code" and r.json()["error"]["message_en"]
    assert (await server.http.get(START, headers=bearer(offer["token"]))).json()["paired"] is False
    assert await pair_entries(server, admin) == []


async def test_an_expired_code_of_no_mall_is_refused_and_the_page_asks_for_another(server: Server) -> None:
    offer = await started(server)
    admin = await server.login("admin")
    server.clock.advance(minutes=10, seconds=1)
    r = await server.http.post(PAIR.format(site="tegal"), headers=admin,
                               json={"code": offer["code"], "kind": "kiosk", "name": "K"})  # fmt: skip
    assert r.status_code == 410 and r.json()["error"]["code"] == "pairing_code_expired"
    r = await server.http.get(START, headers=bearer(offer["token"]))
    assert r.status_code == 410 and r.json()["error"]["code"] == "pairing_code_expired"
    assert await pair_entries(server, admin) == []


async def test_the_start_page_is_limited_with_the_device_pages(server: Server) -> None:
    """One allowance per address for every page that asks for codes: a flood through /perangkat is not a second."""
    for _ in range(5):
        await started(server)
    for _ in range(5):
        assert (await server.http.post("/api/v1/sites/tegal/pairing", json={})).status_code == 201
    r = await server.http.post(START, json={})
    assert r.status_code == 429 and r.json()["error"]["code"] == "too_many_requests"


async def test_a_code_of_no_mall_typed_at_two_malls_at_once_is_paired_by_exactly_one(
    database: Path | str, tmp_path: Path
) -> None:
    """Tegal's and Brebes's admins type the same code at the same moment: one mall gets the device, the other is told
    the code was used (whether its request came a moment before the winner's commit or after); one device entry, one
    audit entry, and the page goes to the winner's kiosk."""
    async with running_server(database, site_files=[DEMO_SITE, brebes_site(tmp_path)]) as server:
        admin = await server.login("admin")
        for _ in range(3):  # a few rounds: either mall may win any of them
            offer = await started(server)
            before = {s: await _devices(server, admin, s) for s in ("tegal", "brebes")}
            bodies = {s: {"code": offer["code"], "kind": "kiosk", "name": f"Kios {s}"} for s in ("tegal", "brebes")}
            answers = await asyncio.gather(
                *(server.http.post(PAIR.format(site=s), json=bodies[s], headers=admin) for s in bodies)
            )
            statuses = sorted(a.status_code for a in answers)
            assert statuses == [201, 409], [a.text for a in answers]
            [won] = [s for s, a in zip(bodies, answers, strict=True) if a.status_code == 201]
            [lost] = [a for a in answers if a.status_code == 409]
            assert lost.json()["error"]["code"] == "pairing_code_used"
            after = {s: await _devices(server, admin, s) for s in ("tegal", "brebes")}
            for site in ("tegal", "brebes"):
                assert len(after[site]) == len(before[site]) + (site == won)
            r = await server.http.get(START, headers=bearer(offer["token"]))
            assert r.json()["path"] == f"/kiosk/{won}"
            # typed again later at the mall that lost: used, as it was at the same moment
            other = "brebes" if won == "tegal" else "tegal"
            r = await server.http.post(PAIR.format(site=other), json=bodies[other], headers=admin)
            assert r.status_code == 409 and r.json()["error"]["code"] == "pairing_code_used"
        tegal, brebes = await pair_entries(server, admin, "tegal"), await pair_entries(server, admin, "brebes")
        assert len(tegal) + len(brebes) == 3


async def _devices(server: Server, headers: dict[str, str], site: str) -> list[dict[str, Any]]:
    r = await server.http.get(f"/api/v1/sites/{site}/device-tokens", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["devices"]  # type: ignore[no-any-return]


async def test_a_pairing_whose_audit_entry_cannot_be_written_pairs_nothing(server: Server, adapter: str) -> None:
    """The entry is in the pairing's transaction: when the database refuses the entry (a trigger here, a real
    refusal of the real database), the device entry and the code's use are rolled back with it, and the code still
    waits; once the entry can be written, the same code pairs, with exactly one entry."""
    storage = server.ctx.storage
    if adapter == "sqlite":
        await storage.execute(
            "CREATE TRIGGER refuse_pair_audit BEFORE INSERT ON audit WHEN NEW.action = 'device.pair' "
            "BEGIN SELECT RAISE(ABORT, 'audit refused by the test'); END"
        )
    else:
        await storage.execute(
            "CREATE FUNCTION refuse_pair_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "IF NEW.action = 'device.pair' THEN RAISE EXCEPTION 'audit refused by the test'; END IF; "
            "RETURN NEW; END $$"
        )
        await storage.execute(
            "CREATE TRIGGER refuse_pair_audit BEFORE INSERT ON audit FOR EACH ROW EXECUTE FUNCTION refuse_pair_audit()"
        )
    offer = await started(server)
    admin = await server.login("admin")
    before = await _devices(server, admin, "tegal")
    body = {"code": offer["code"], "kind": "kiosk", "name": "Kios gagal"}
    r = await server.http.post(PAIR.format(site="tegal"), json=body, headers=admin)
    assert r.status_code >= 500, r.text
    assert await _devices(server, admin, "tegal") == before
    assert (await server.http.get(START, headers=bearer(offer["token"]))).json()["paired"] is False
    assert await pair_entries(server, admin) == []

    await storage.execute("DROP TRIGGER refuse_pair_audit" + ("" if adapter == "sqlite" else " ON audit"))
    r = await server.http.post(PAIR.format(site="tegal"), json=body, headers=admin)
    assert r.status_code == 201, r.text
    assert len(await _devices(server, admin, "tegal")) == len(before) + 1
    assert len(await pair_entries(server, admin)) == 1
