"""A service's issuing paused, said where citizens and staff still met it unwarned: the kiosk's agency tile when all
its services are paused, the booking page's slots of today (not offered, with why), the transfer into a paused
service (accepted, but the answer and the counter's dialog say it) and the front-office desk's issue button (held
while the day is closed). A real server, the real HTTP client and Chromium."""

from __future__ import annotations

from typing import Any

from .helpers import Server, running_server
from .test_issuing_pause import pause, resume

MONDAY = "2026-11-23"  # the test clock's day (09.00 in Tegal)
TUESDAY = "2026-11-24"


async def slots(server: Server, service: str = "ktp", day: str = MONDAY) -> Any:
    return await server.http.get("/api/v1/sites/tegal/bookings/slots", params={"service": service, "day": day})


async def test_todays_slots_of_a_paused_service_are_not_offered_and_the_answer_says_why(server: Server) -> None:
    before = (await slots(server)).json()
    assert before["paused"] is None and any(s["available"] > 0 for s in before["slots"])
    sup = await server.login("supervisor")
    assert (await pause(server, sup, service="ktp", reason="Blangko habis", until="13:00")).status_code == 200
    today = (await slots(server)).json()
    assert today["slots"] == [], "no slot of today offered"
    assert today["paused"]["reason"] == "Blangko habis" and today["paused"]["until"] == "2026-11-23T13:00:00+07:00"
    tomorrow = (await slots(server, day=TUESDAY)).json()
    assert tomorrow["paused"] is None and any(s["available"] > 0 for s in tomorrow["slots"]), "other days stay"
    other = (await slots(server, service="kk")).json()
    assert other["paused"] is None and other["slots"], "another service of the agency is not paused"
    # an expected time past is not said, as the kiosk leaves it out
    server.clock.advance(hours=5)
    assert (await slots(server)).json()["paused"] == {"reason": "Blangko habis", "since": today["paused"]["since"],
                                                       "until": None}  # fmt: skip
    assert (await resume(server, sup, service="ktp")).status_code == 200
    again = (await slots(server)).json()
    assert again["paused"] is None and any(s["available"] > 0 for s in again["slots"])


async def test_the_slots_of_a_bad_day_or_service_are_refused_with_a_message(server: Server) -> None:
    sup = await server.login("supervisor")
    assert (await pause(server, sup, service="ktp", reason="Blangko habis")).status_code == 200
    for day in ("23-11-2026", "2026-13-01", ""):
        r = await slots(server, day=day)
        assert r.status_code == 422, (day, r.text)
        assert r.json()["error"]["details"]["field"] == "day" and r.json()["error"]["message"]
    r = await slots(server, service="nope")
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_service", r.text


async def test_a_transfer_into_a_paused_service_is_accepted_and_its_answer_says_so(server: Server) -> None:
    sup = await server.login("supervisor")
    op = await server.login("op-disdukcapil")
    assert (await server.command(op, "1", "open")).status_code == 200
    await server.issue("ktp")
    await server.issue("ktp")
    assert (await server.command(op, "1", "call_next")).status_code == 200
    assert (await pause(server, sup, service="kk", reason="Gangguan jaringan/sistem pusat")).status_code == 200
    moved = await server.command(op, "1", "transfer", target_service="kk")
    assert moved.status_code == 200, moved.text
    assert moved.json()["target_paused"]["reason"] == "Gangguan jaringan/sistem pusat"
    assert moved.json()["events"] == ["ticket.transferred"], "accepted: a citizen in the mall is still served"
    # the dashboard's transfer of a waiting ticket (POST .../tickets/{id}/actions) says it the same way
    waiting = (await server.issue("ktp"))["ticket"]
    r = await server.http.post(f"/api/v1/sites/tegal/tickets/{waiting['id']}/actions",
                               json={"action": "transfer", "target_service": "kk"}, headers=sup)  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["target_paused"]["reason"] == "Gangguan jaringan/sistem pusat"
    assert (await resume(server, sup, service="kk")).status_code == 200
    assert (await server.command(op, "1", "call_next")).status_code == 200
    plain = await server.command(op, "1", "transfer", target_service="kk")
    assert plain.status_code == 200 and plain.json()["target_paused"] is None, plain.text
    # a command that moves no ticket carries no such field
    assert "target_paused" not in (await server.command(op, "1", "call_next")).json()
