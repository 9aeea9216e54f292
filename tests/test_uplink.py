"""Malls on their own boxes (docs/deployment.md, "Malls on their own boxes"): a mall's server sends its event log and
its survey answers up to a server that mirrors it (`serve --mirror SITE`), whose national view, reports and
dashboards then show the mall. Two real servers: the mall on its own SQLite file, the mirror on SQLite and on
PostgreSQL. Checked against what the test did at the mall: the same tickets and events, in order, none twice; a
mirror that was down gets everything once it is back; a batch out of step or malformed changes nothing and says why;
the mirror takes no command for the mall; retention at the mall keeps what the mirror lacks."""

from __future__ import annotations

import json
import logging
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page

from queue_server.application.retention import archive_events
from queue_server.domain import commands as c
from queue_server.domain import events as ev
from queue_server.domain.decide import decide
from queue_server.domain.events import Event
from queue_server.domain.refusal import Refusal
from queue_server.domain.relay import fingerprint, fingerprint_for, withheld
from queue_server.domain.state import SiteState, apply
from queue_server.outbound import uplink as uplink_module
from queue_server.settings.config import Config
from queue_server.settings.sitefile import DEMO_SITE, load_site, parse_site
from queue_server.supervision import national as national_module

from .display_support import supervisor_sign_in, until
from .domain_fixtures import make_site
from .helpers import KIOSK, LOBBY, Clock, Server, bearer, eventually, running_server
from .migration_support import undo_after
from .test_booking import nik, phone
from .test_national import brebes_site, issue, national, row_of
from .test_ws import follow

BOTH_DATABASES = True  # the mirror runs on SQLite and on PostgreSQL (conftest.py); the mall on its own SQLite file


@asynccontextmanager
async def national_page(browser: Browser, url: str) -> AsyncIterator[Page]:
    """The national view of the server at `url` in Chromium (1366x768, Indonesian), signed in as the demo's regional
    account."""
    context = await browser.new_context(viewport={"width": 1366, "height": 768}, locale="id-ID")
    try:
        page = await context.new_page()
        await page.goto(url + "/national")
        await supervisor_sign_in(page, "nasional", "demo-regional")
        yield page
    finally:
        await context.close()


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """A mall whose mirror was away tries again within a second, not a minute: the test waits for the catch-up."""
    monkeypatch.setattr(uplink_module, "RETRY_CAP", 1.0)


async def uplink_token(mirror: Server) -> str:
    return await mirror.ctx.accounts.create_device("uplink", "tegal", "Server MPP Tegal")


@asynccontextmanager
async def mall_of(mirror_url: str, token: str, tmp_path: Path) -> AsyncIterator[Server]:
    async with running_server(tmp_path / "mall.sqlite3", uplink_url=mirror_url, uplink_token=token) as mall:
        yield mall


async def log_of(s: Server, *, relayed: bool = False) -> list[tuple[Any, ...]]:
    """The site's events as (seq at the mall, type, data): on the mirror, numbered by the mall's seqs."""
    out = []
    for seq, kind, _at, text in await s.ctx.storage.event_rows_after("tegal", 0, 100_000):
        data = json.loads(text)
        out.append((data.pop("source_seq") if relayed else seq, kind, data))
    return out


async def sent_of(mall: Server) -> list[tuple[Any, ...]]:
    """The mall's events as its mirror is to hold them: without the citizens' links and staff's notes."""
    return [(seq, kind, withheld(data)) for seq, kind, data in await log_of(mall)]


async def caught_up(mall: Server, mirror: Server) -> None:
    async def same() -> bool:
        return await log_of(mirror, relayed=True) == await sent_of(mall)

    await eventually(same, "the mirror holds the mall's log")


async def serve_one(mall: Server, headers: dict[str, str], answers: list[int] | None = None) -> dict[str, Any]:
    r = await mall.command(headers, "1", "call_next")
    assert r.status_code == 200, r.text
    for step in ("start", "finish"):
        assert (await mall.command(headers, "1", step)).status_code == 200
    ticket: dict[str, Any] = r.json()["ticket"]
    if answers is not None:
        url = f"/api/v1/sites/tegal/tickets/{ticket['id']}/survey"
        assert (await mall.http.post(url, json={"answers": answers}, headers=headers)).status_code == 201
    return ticket


async def test_the_mirror_shows_what_happened_at_the_mall(database: Path | str, tmp_path: Path) -> None:
    async with running_server(database, mirrored=["tegal"]) as mirror:
        token = await uplink_token(mirror)
        async with mall_of(mirror.url, token, tmp_path) as mall:
            operator = await mall.login("op-disdukcapil")
            assert (await mall.command(operator, "1", "open")).status_code == 200
            issued = [(await mall.issue("ktp"))["ticket"] for _ in range(3)]
            served = await serve_one(mall, operator, answers=[4, 4, 3, 4, 3, 4, 4, 4, 3])
            r = await mall.http.post("/api/v1/sites/tegal/running-text", headers=await mall.login("supervisor"),
                                     json={"text": "Layanan KTP sampai pukul 15.00"})  # fmt: skip
            assert r.status_code == 200, r.text
            await caught_up(mall, mirror)

            state = mirror.ctx.state("tegal")
            assert [state.tickets[t["id"]].label for t in issued] == ["A-001", "A-002", "A-003"]
            assert state.tickets[served["id"]].state.value == "done"
            assert state.counters["1"].state.value == "open"
            assert state.current_running_text == "Layanan KTP sampai pukul 15.00"
            assert state.relayed_head == (await log_of(mall))[-1][0]

            admin = await mirror.login("admin")

            async def national_row() -> dict[str, Any] | None:
                r = await mirror.http.get("/api/v1/national", headers=admin)
                row: dict[str, Any] = r.json()["sites"][0]
                return row if row["ikm_respondents"] == 1 else None

            await eventually(national_row, "the survey answer reached the mirror")
            row = await national_row()
            assert row is not None
            assert (row["waiting"], row["served_today"], row["counters_open"]) == (2, 1, 1)
            assert row["mirrored"] is True and row["heard_at"] is not None
            screens = len(mall.ctx.sites["tegal"].screens)
            # Its screens as its box said them in its heartbeat: no TV is on at the mall.
            assert (row["screens_down"], row["screens_total"], row["screens_shown"]) == (screens, screens, []), row
            # The mall's own view of its uplink: nothing behind, no error.
            health = (await mall.http.get("/healthz")).json()["uplink"]["tegal"]
            assert (health["behind"], health["last_error"]) == (0, None)
            # The mirror's survey answers are the mall's, and the report there counts them.
            ikm = await mirror.http.get("/api/v1/sites/tegal/ikm", headers=admin)
            assert ikm.status_code == 200 and ikm.json()["site_index"]["respondents"] == 1, ikm.text


async def test_the_national_view_counts_a_mirrored_mall_s_screens_as_its_box_says_them(
    database: Path | str, tmp_path: Path
) -> None:
    """A mirrored mall's row said nothing of its TVs ("di mal"): the ministry could not see a mall whose lobby TV was
    off. Its box now says which screens have a display on in its heartbeat, at once when one comes or goes; a word
    older than 3 minutes (a box gone silent) is "not known", not the last count."""
    async with running_server(database, mirrored=["tegal"]) as mirror:
        token = await uplink_token(mirror)
        async with mall_of(mirror.url, token, tmp_path) as mall:
            total = len(mall.ctx.sites["tegal"].screens)
            await mall.issue("ktp")
            await caught_up(mall, mirror)

            async def down(expected: int) -> bool:
                return (await national_row(mirror))["screens_down"] == expected

            await eventually(lambda: down(total), "no TV on at the mall, said")
            async with follow(mall, token=LOBBY):
                await eventually(lambda: down(total - 1), "the lobby TV on, said at once (not after a minute)")
                row = await national_row(mirror)
                assert (row["screens_shown"], row["screens_total"]) == (["lobby"], total), row
                assert row["screens_at"] is not None and row["totals"]["screens_down"] == total - 1
                assert row["totals"]["screens_known"] == 1, "the totals' screens are of one mall"
                # The mall's dashboard on the mirror says the same (it counted every screen down: none connects here).
                sup = await mirror.login("supervisor")
                figures = (await mirror.http.get("/api/v1/sites/tegal/dashboard", headers=sup)).json()["totals"]
                assert (figures["screens_down"], figures["screens_total"]) == (total - 1, total), figures
            await eventually(lambda: down(total), "the lobby TV off, said at once")
        mirror.clock.advance(minutes=4)  # the box stopped: its last word is stale
        row = await national_row(mirror)
        assert (row["screens_down"], row["screens_total"], row["screens_at"]) == (None, None, None), row
        assert row["totals"]["screens_known"] == 0, "the totals say they are of no mall, not that all is well"
        figures = (await mirror.http.get("/api/v1/sites/tegal/dashboard", headers=sup)).json()["totals"]
        assert (figures["screens_down"], figures["screens_total"]) == (None, None), "not known, not all down"


async def test_a_heartbeat_s_screens_are_checked(database: Path | str) -> None:
    async with running_server(database, mirrored=["tegal"]) as mirror:
        token = bearer(await uplink_token(mirror))
        for bad in ("Lobby", "lobby,../x", "a" * 41, ",".join(f"s{n}" for n in range(501))):
            r = await mirror.http.get("/api/v1/sites/tegal/uplink", params={"screens": bad}, headers=token)
            assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "screens", r.text
            assert "screens" in r.json()["error"]["message"]
        assert (await national_row(mirror))["screens_down"] is None, "nothing kept of a refused heartbeat"
        # A screen the mirror's copy of the site file lacks is left out; empty says none is on.
        r = await mirror.http.get("/api/v1/sites/tegal/uplink", params={"screens": "lobby,gone"}, headers=token)
        assert r.status_code == 200, r.text
        row = await national_row(mirror)
        assert row["screens_shown"] == ["lobby"] and row["screens_down"] == row["screens_total"] - 1, row
        r = await mirror.http.get("/api/v1/sites/tegal/uplink", params={"screens": ""}, headers=token)
        assert r.status_code == 200 and (await national_row(mirror))["screens_shown"] == []
        # Only the mall's uplink token says it.
        kiosk = await mirror.http.get("/api/v1/sites/tegal/uplink", params={"screens": "lobby"}, headers=bearer(KIOSK))
        assert kiosk.status_code == 403, kiosk.text


async def test_the_mirror_takes_no_command_for_the_mall(database: Path | str, tmp_path: Path) -> None:
    async with running_server(database, mirrored=["tegal"]) as mirror:
        r = await mirror.http.post("/api/v1/sites/tegal/tickets", json={"service": "ktp"}, headers=bearer(KIOSK))
        assert r.status_code == 409 and r.json()["error"]["code"] == "site_mirrored", r.text
        assert "server mal tersebut" in r.json()["error"]["message"]
        supervisor = await mirror.login("supervisor")
        r = await mirror.command(supervisor, "1", "open")
        assert r.status_code == 409 and r.json()["error"]["code"] == "site_mirrored"
        r = await mirror.http.post("/api/v1/sites/tegal/close-day", json={}, headers=supervisor)
        assert r.status_code == 409 and r.json()["error"]["code"] == "site_mirrored"
        assert await mirror.ctx.storage.newest_seq("tegal") == 0, "nothing was written"
        # An uplink token is the only key to the log, and only for its own site: a kiosk's is refused.
        r = await mirror.http.get("/api/v1/sites/tegal/uplink", headers=bearer(KIOSK))
        assert r.status_code == 403
        r = await mirror.http.get("/api/v1/sites/tegal/uplink")
        assert r.status_code == 401


async def test_a_label_the_mall_issued_twice_is_kept_by_its_mirror(database: Path | str, tmp_path: Path) -> None:
    """A box of a release before migration 0014 (no unique index of labels, and the bug that let a service take a
    letter of the day's tickets of another) issues B-001 twice. Its mirror, upgraded first as docs/deployment.md
    says, keeps both as the mall issued them, rather than refuse the mall's log over it for ever."""
    async with running_server(database, mirrored=["tegal"]) as mirror:
        token = await uplink_token(mirror)
        async with mall_of(mirror.url, token, tmp_path) as mall:
            await mall.ctx.storage.execute("DROP INDEX tickets_label")  # the box's older schema
            first = (await mall.issue("kk"))["ticket"]
            state = mall.ctx.state("tegal")
            services = state.site.services
            state.site = replace(state.site, services={**services, "kia": replace(services["kia"], prefix="B")})
            twin = (await mall.issue("kia"))["ticket"]
            assert (first["label"], twin["label"]) == ("B-001", "B-001"), "the old release's bug, for the test"
            await mall.issue("ktp")
            await caught_up(mall, mirror)
            rows = await mirror.ctx.storage.query("SELECT id, label, label_exempt FROM tickets")
            held = {row[0]: (row[1], row[2]) for row in rows}
            assert held[first["id"]] == held[twin["id"]] == ("B-001", "relayed"), held
            assert len(held) == 3 and {mark for _, mark in held.values()} == {"relayed"}, "the mall's labels, its own"


async def test_a_site_served_here_refuses_a_log_from_elsewhere(database: Path | str) -> None:
    async with running_server(database) as s:
        token = await s.ctx.accounts.create_device("uplink", "tegal", "Server lain")
        event = {"seq": 1, "type": "site.running_text", "site": "tegal", "at": "2026-11-23T02:00:00+00:00",
                 "data": {"text": "x"}}  # fmt: skip
        r = await s.http.post("/api/v1/sites/tegal/uplink", json={"after": 0, "events": [event]}, headers=bearer(token))
        assert r.status_code == 409 and r.json()["error"]["code"] == "site_not_mirrored", r.text
        r = await s.http.post("/api/v1/sites/tegal/uplink/surveys", json={"answers": []}, headers=bearer(token))
        assert r.status_code == 409 and r.json()["error"]["code"] == "site_not_mirrored", r.text


async def test_a_mirror_that_was_down_gets_everything_once_back(database: Path | str, tmp_path: Path) -> None:
    async with running_server(database, mirrored=["tegal"]) as mirror:
        token = await uplink_token(mirror)
        port = mirror.config.port
    async with mall_of(f"http://127.0.0.1:{port}", token, tmp_path) as mall:
        # The mirror is away: the mall works on, its log waits, its supervisor hears of it after a while.
        operator = await mall.login("op-disdukcapil")
        assert (await mall.command(operator, "1", "open")).status_code == 200
        for _ in range(20):
            await mall.issue("ktp")
        await serve_one(mall, operator, answers=[3] * 9)
        uplink = mall.ctx.uplink

        await eventually(lambda: uplink.status["tegal"].failing_since is not None, "the uplink noticed")
        assert mall.ctx.uplink.failing("tegal", mall.clock()) is None, "a blip raises no alert"
        mall.clock.advance(minutes=3)
        alerts = mall.app.state.server.monitor.figures("tegal")["alerts"]
        said = [a["message"] for a in alerts if a["kind"] == "uplink_failing"]
        assert said and "belum terkirim ke server pusat sejak pukul" in said[0], alerts
        # Why, in words (common/delivery_problems.py); the technical text is the alert's `detail`
        assert "Server pusat (127.0.0.1) tidak dapat dihubungi: jaringan putus" in said[0], said
        (alert,) = [a for a in alerts if a["kind"] == "uplink_failing"]
        assert "The central server (127.0.0.1) cannot be reached" in alert["message_en"], alert
        assert alert["error_kind"] == "unreachable" and "cannot be reached" in alert["detail"], alert

        async with running_server(database, mirrored=["tegal"], port=port) as mirror:
            await caught_up(mall, mirror)
            assert len(mirror.ctx.state("tegal").tickets) == 20
            await eventually(lambda: uplink.status["tegal"].failing_since is None, "the uplink says it works again")

            async def answers() -> list[Any]:  # sent once the log is up, so a moment after it
                return [json.loads(r[7]) for r in await mirror.ctx.storage.survey_rows_since("tegal", "", 10)]

            await eventually(answers, "the survey answer reached the mirror")
            assert await answers() == [[3] * 9]
            # Restarted with what it holds, the mirror goes on from there: nothing is sent or applied twice.
            await mall.issue("kk")
            await caught_up(mall, mirror)
        alerts = mall.app.state.server.monitor.figures("tegal")["alerts"]
        assert not [a for a in alerts if a["kind"] == "uplink_failing"], "cleared once the log went up"


def real_ticket() -> dict[str, Any]:
    """A ticket as the demo mall's log holds it, issued at the tests' Monday 09:00."""
    now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    ticket: dict[str, Any] = decide(SiteState(load_site(DEMO_SITE)), c.IssueTicket("ktp", "t1", "tok1"), now)[0].data[
        "ticket"
    ]
    return ticket


def booking(seq: int, booking_id: str, nik_hash: str, code: str = "KODE1") -> dict[str, Any]:
    """A booking.created event as the demo mall would write it (Monday 23 November, 09.00)."""
    snapshot = {"id": booking_id, "code": code, "site": "tegal", "service": "ktp", "day": "2026-11-23", "slot": "09:00",
                "slot_start": "2026-11-23T02:00:00+00:00", "nik_hash": nik_hash, "phone_masked": "0812****89",
                "state": "booked", "created_at": "2026-11-23T01:00:00+00:00", "ticket": None, "contact": None}  # fmt: skip
    return {**running_text(seq), "type": "booking.created", "data": {"booking": snapshot}}


def running_text(seq: int, text: str = "Selamat datang") -> dict[str, Any]:
    return {"seq": seq, "type": "site.running_text", "site": "tegal", "at": "2026-11-23T02:00:00+00:00",
            "data": {"text": text}}  # fmt: skip


async def test_a_batch_out_of_step_or_malformed_changes_nothing(database: Path | str) -> None:
    async with running_server(database, mirrored=["tegal"]) as mirror:
        token = bearer(await uplink_token(mirror))

        async def send(after: Any, events: Any) -> httpx.Response:
            return await mirror.http.post("/api/v1/sites/tegal/uplink", json={"after": after, "events": events},
                                          headers=token)  # fmt: skip

        r = await send(0, [running_text(3), running_text(7, "Kedua")])
        assert r.status_code == 200 and r.json() == {"ok": True, "site": "tegal", "accepted": 2, "after": 7}, r.text
        head = await mirror.ctx.storage.newest_seq("tegal")

        r = await send(3, [running_text(9)])  # a batch sent again after a lost answer, say
        assert r.status_code == 409, r.text
        assert r.json()["error"]["code"] == "uplink_out_of_step"
        assert r.json()["error"]["details"] == {"expected_after": 7}
        real = real_ticket()

        def issued(**changes: Any) -> dict[str, Any]:
            return {**running_text(9), "type": "ticket.issued", "data": {"ticket": {**real, **changes}}}

        def paused(**changes: Any) -> dict[str, Any]:
            pause = {"service": "ktp", "day": "2026-11-23", "reason": "Blangko habis", "since": real["issued_at"],
                     "until": None, **changes}  # fmt: skip
            return {**running_text(9), "type": "service.paused", "data": {"pauses": [pause], "agency": None}}

        document = await mirror.http.get("/api/v1/sites/tegal/configuration", headers=await mirror.login("admin"))
        other_site = json.loads(json.dumps(document.json()["document"]))
        other_site["site"]["id"] = "brebes"
        counter = {"id": "1", "state": "open", "current": "ghost", "priority_streak": 0, "operator": "x"}
        bad_batches = {
            "another site": [{**running_text(9), "site": "brebes"}],
            "an unknown type": [{**running_text(9), "type": "ticket.teleported"}],
            "a ticket that cannot be read": [issued(id=None, number="x")],
            "a seq that goes back": [running_text(9), running_text(8)],
            "a seq beyond 2**53": [{**running_text(9), "seq": 2**63}],
            "a time without its offset": [{**running_text(9), "at": "2026-11-23T09:00:00"}],
            "a time that is no time": [{**running_text(9), "at": "kemarin"}],
            "a type that is not text": [{**running_text(9), "type": 7}],
            "a day that is not a date": [{**running_text(9), "type": "day.closed", "data": {"day": "kemarin"}}],
            "a configuration that cannot be read": [
                {**running_text(9), "type": "site.configured", "data": {"document": {"site": {}}, "version": 2}}
            ],
            "a configuration of another site": [
                {**running_text(9), "type": "site.configured", "data": {"document": other_site, "version": 1}}
            ],
            "a ticket of another site": [issued(site="brebes")],
            "a number too large": [issued(number=2**40)],
            "a NUL in a label": [issued(label="A-\x00")],
            "a label of 3 MB": [issued(label="A" * 3_000_000)],
            "an unknown channel": [issued(channel="bogus")],
            "two tickets with one number": [issued(), {**issued(id="other"), "seq": 10}],
            "a counter holding a ticket never sent": [
                {**running_text(9), "type": "counter.opened", "data": {"counter": counter}}
            ],
            "a counter holding a ticket served already": [
                issued(state="done"),
                {**running_text(10), "type": "counter.opened", "data": {"counter": {**counter, "current": real["id"]}}},
            ],
            "a time near year 9999": [{**running_text(9), "at": "9999-12-31T23:59:59-14:00"}],
            "a ticket issued in 9999": [issued(issued_at="9999-12-31T23:59:59-14:00")],
            "a label that is no ticket number": [issued(label="A#1")],
            "a ticket renumbered": [issued(), {**issued(number=77), "seq": 10}],
            "a pause whose time has no offset": [paused(since="2026-11-23T09:00:00")],
            "a pause whose expected time has no offset": [paused(until="2026-11-23T13:00:00")],
            "a pause whose reason is not text": [paused(reason={"id": "Blangko habis"})],
            "a pause of a day in 9999": [paused(day="9999-12-31")],
            "a configuration without its version": [
                {**running_text(9), "type": "site.configured", "data": {"document": document.json()["document"]}}
            ],
        }
        for what, events in bad_batches.items():
            # As JSON text: a lone surrogate is valid JSON ("\\ud800"), which httpx would not encode from a str.
            text = json.dumps(
                {"after": 7, "events": [running_text(8), *events] if what != "a seq that goes back" else events}
            )
            r = await mirror.http.post("/api/v1/sites/tegal/uplink", content=text.encode(),
                                       headers={**token, "Content-Type": "application/json"})  # fmt: skip
            assert r.status_code == 422, (what, r.text)
            error = r.json()["error"]
            assert error["code"] == "uplink_event_invalid", (what, error)
            assert "Tidak ada peristiwa dari kiriman ini yang disimpan" in error["message"], (what, error)
            assert error["details"]["seq"] in (8, 9, 10, 2**63), (what, error)  # the event refused, its seq at the mall
        # A lone surrogate ("\\ud800" in the JSON text) is no text at all: the body is malformed, before any event.
        text = json.dumps({"after": 7, "events": [running_text(8), issued(label="A-\ud800")]})
        r = await mirror.http.post("/api/v1/sites/tegal/uplink", content=text.encode(),
                                   headers={**token, "Content-Type": "application/json"})  # fmt: skip
        assert r.status_code == 400 and r.json()["error"]["code"] == "malformed_json", r.text
        for body in ({"after": -1, "events": [running_text(8)]}, {"after": 7, "events": []},
                     {"after": 7, "events": [{"seq": 8}]}, {"after": 7, "events": [running_text(8)], "extra": 1}):  # fmt: skip
            r = await mirror.http.post("/api/v1/sites/tegal/uplink", json=body, headers=token)
            assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_field", (body, r.text)
        assert await mirror.ctx.storage.newest_seq("tegal") == head, "nothing of a refused batch was written"
        assert mirror.ctx.state("tegal").current_running_text == "Kedua"

        r = await send(7, [running_text(8, "Ketiga")])
        assert r.status_code == 200 and r.json()["after"] == 8
        assert mirror.ctx.state("tegal").current_running_text == "Ketiga"
        r = await send(8, [booking(9, "b1", "h" * 64), {**issued(), "seq": 10}])  # what was refused above, alone
        assert r.status_code == 200 and r.json()["after"] == 10, r.text
        # A booking's code and NIK hash are not kept here (protocol 3): two bookings an earlier box sends with one
        # code, or of one citizen, are each kept as its own, where they were refused before (nothing to hold twice).
        r = await send(10, [booking(11, "b2", "g" * 64), booking(12, "b3", "g" * 64, "KODE1")])
        assert r.status_code == 200 and r.json()["after"] == 12, r.text
        codes = await mirror.ctx.storage.fetch_all("SELECT id, code, nik_hash FROM bookings WHERE site = ?", ("tegal",))
        assert sorted(codes) == [(b, f"withheld:{b}", f"withheld:{b}") for b in ("b1", "b2", "b3")], codes

        bad_answers = [{"ticket": "t1", "day": "2026-11-23", "service": "ktp", "agency": "disdukcapil",
                        "counter": "1", "channel": "tablet", "answered_at": "2026-11-23T02:00:00+00:00",
                        "answers": [5] * 9}]  # fmt: skip
        r = await mirror.http.post("/api/v1/sites/tegal/uplink/surveys", json={"answers": bad_answers}, headers=token)
        assert r.status_code == 200 and r.json()["received"] == 0, r.text
        assert r.json()["refused"] == [{"index": 1, "ticket": "t1", "why": "answers are 9 whole numbers from 1 to 4"}]
        r = await mirror.http.post("/api/v1/sites/tegal/uplink/surveys", json={"answers": []}, headers=token)
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_field", r.text

        # A revoked token is refused at once.
        device = next(d for d in await mirror.ctx.accounts.list_devices() if d["kind"] == "uplink")
        await mirror.ctx.accounts.revoke_device(int(str(device["id"])))
        assert (await send(8, [running_text(9)])).status_code == 401


# The mall's site as an older copy on the mirror has it: Kartu Keluarga (kk) not yet there, so the mirror refuses
# (422) every batch holding a kk ticket, while it still answers where its copy ends.
TEGAL_WITHOUT_KK = """
[site]
id = "tegal"
name = "MPP Kabupaten Tegal"
timezone = "Asia/Jakarta"
[site.hours]
mon = ["07:30-15:30"]

[[agencies]]
id = "disdukcapil"
name = "Dinas Kependudukan dan Pencatatan Sipil"
  [[agencies.services]]
  id = "ktp"
  name = "KTP Elektronik"
  prefix = "A"
  [[agencies.counters]]
  id = "1"
  services = ["ktp"]

[[screens]]
id = "lobby"
name = "Layar lobi"
"""


def tegal_without_kk(tmp_path: Path) -> Path:
    path = tmp_path / "tegal-without-kk.toml"
    path.write_text(TEGAL_WITHOUT_KK)
    return path


async def test_a_mirror_refusing_every_batch_raises_the_alert_at_the_mall(database: Path | str, tmp_path: Path) -> None:
    """An outside review: a mirror that answers where its copy ends (GET) but refuses every batch (422) was taken
    for one that works at each GET, so the failure started again at every try and the supervisor's alert never
    came, while the log said "works again" and "failed" in turn."""
    async with running_server(database, site_files=[tegal_without_kk(tmp_path)], mirrored=["tegal"]) as mirror:
        token = await uplink_token(mirror)
        async with mall_of(mirror.url, token, tmp_path) as mall:
            await mall.issue("ktp")
            await caught_up(mall, mirror)
            await mall.issue("kk")
            uplink = mall.ctx.uplink
            status = uplink.status["tegal"]
            await eventually(lambda: "uplink_event_invalid" in (status.last_error or ""), "the mirror refused")
            asked = status.contacted
            mall.clock.advance(minutes=3)
            await eventually(lambda: status.contacted > asked, "the box asked where the copy ends again")
            await eventually(lambda: uplink.failing("tegal", mall.clock()) is not None, "a failure all along")
            alerts = mall.app.state.server.monitor.figures("tegal")["alerts"]
            said = [a["message"] for a in alerts if a["kind"] == "uplink_failing"]
            assert said and "belum terkirim ke server pusat sejak pukul 09.00" in said[0], alerts
            assert "Server pusat menolak kiriman (HTTP 422: ada peristiwa yang tidak dapat diterima" in said[0], said
            (alert,) = [a for a in alerts if a["kind"] == "uplink_failing"]
            assert "The central server refused the data (HTTP 422: an event it cannot take" in alert["message_en"]
            assert alert["error_kind"] == "refused" and "uplink_event_invalid" in alert["detail"], alert
            # /healthz is public: the failure's kind, not its text, which names the mirror's address.
            health = (await mall.http.get("/healthz")).json()["uplink"]["tegal"]
            assert health["last_error"] == "refused" and health["failing_since"], health
            assert mirror.url.split("//")[1] not in json.dumps(health), health


async def national_row(mirror: Server) -> dict[str, Any]:
    r = await mirror.http.get("/api/v1/national", headers=await mirror.login("admin"))
    assert r.status_code == 200, r.text
    row: dict[str, Any] = r.json()["sites"][0]
    return {**row, "totals": r.json()["totals"]}


async def test_a_mall_whose_log_is_refused_is_held_back_not_connected_in_the_national_view(
    browser: Browser, database: Path | str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An outside review: a mall whose data no longer reached the mirror still showed "server mal · terhubung" with
    its figures frozen: a box whose batches were refused (422), or a second box claiming the same mall, called, and
    any call counted as heard from. A row now says "connected" only while the mall's copy keeps up (a batch taken,
    or the box saying its log ends where the copy does), and otherwise since when its data is held back and why; the
    mirror keeps that in its database."""
    monkeypatch.setattr(national_module, "HEARD_SECONDS", 0.0)
    site_files = [tegal_without_kk(tmp_path)]
    async with running_server(database, site_files=site_files, mirrored=["tegal"]) as mirror:
        token = await uplink_token(mirror)
        async with mall_of(mirror.url, token, tmp_path) as mall:
            await mall.issue("ktp")
            await caught_up(mall, mirror)
            row = await national_row(mirror)
            assert row["uplink"]["state"] == "synced" and row["uplink"]["refused"] is None, row
            assert row["uplink"]["synced_at"] == "2026-11-23T02:00:00+00:00" and row["totals"]["mirrored_behind"] == 0
            mirror.clock.advance(minutes=1)
            await mall.issue("kk")  # a service the mirror's copy of the site lacks: every batch from here is refused

            async def refused() -> bool:
                return (await national_row(mirror))["uplink"]["refused"] is not None

            await eventually(refused, "the mirror kept the refusal")
            mirror.clock.advance(minutes=3)  # the box calls on, and is refused on
            row = await national_row(mirror)
            assert row["uplink"]["state"] == "refused", row
            assert row["uplink"]["refused"]["code"] == "uplink_event_invalid"
            assert row["uplink"]["synced_at"] == "2026-11-23T02:00:00+00:00"
            assert row["totals"]["mirrored_behind"] == 1 and row["totals"]["mirrored"] == 1

            async with national_page(browser, mirror.url) as page:
                tag = await until(page, "() => document.querySelector('#rows tr .tag.mirror.stale')?.textContent")
                assert tag == ("data tertahan sejak 09.00 WIB · ditolak: ada peristiwa yang tidak dapat diterima "
                               "(periksa versi dan pengaturan server mal)"), tag  # fmt: skip
                behind = "() => document.querySelector('#totals .tag.behind')?.textContent"
                assert await until(page, behind) == "1 tertahan/terputus"
    # The mirror started again knows it: kept in its database.
    later = Clock(datetime(2026, 11, 23, 2, 5, tzinfo=UTC))
    async with running_server(database, site_files=site_files, mirrored=["tegal"], clock=later) as mirror:
        row = await national_row(mirror)
        assert (row["uplink"]["state"], row["uplink"]["refused"]["code"]) == ("refused", "uplink_event_invalid"), row
        # A second box claiming the mall, with a log of its own ending where the copy does: not "connected" either.
        head = mirror.ctx.state("tegal").relayed_head
        other = {"newest": head, "protocol": 3, "fingerprint": "3:" + "0" * 32}
        r = await mirror.http.get("/api/v1/sites/tegal/uplink", params=other, headers=bearer(token))
        assert r.status_code == 200, r.text
        row = await national_row(mirror)
        assert (row["uplink"]["state"], row["uplink"]["refused"]["code"]) == ("refused", "uplink_forked"), row
        # The mall's own box, its log ending with the copy's event: complete, connected.
        same = {"newest": head, "protocol": 3, "fingerprint": r.json()["fingerprint"]}
        assert (await mirror.http.get("/api/v1/sites/tegal/uplink", params=same, headers=bearer(token))).is_success
        row = await national_row(mirror)
        assert row["uplink"]["state"] == "synced" and row["uplink"]["synced_at"] == later.now.isoformat(), row


async def test_a_mirrored_mall_s_wait_is_live_while_it_keeps_up_and_as_of_then_once_its_token_is_revoked(
    database: Path | str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two findings of an outside review. While a mall's box kept up, its longest wait was cut by the time since its
    uplink token's last-seen time (written at most every 30 s, a quiet box calling once a minute): up to ~100 s
    short. And once its token was revoked, its row said "server mal belum pernah terhubung" and its wait grew on
    the mirror's clock: a revoked token's last call was left out."""
    monkeypatch.setattr(national_module, "HEARD_SECONDS", 0.0)
    async with running_server(database, mirrored=["tegal"]) as mirror:
        token = await uplink_token(mirror)
        async with mall_of(mirror.url, token, tmp_path) as mall:
            await mall.issue("ktp")  # 09.00
            await caught_up(mall, mirror)
            mirror.clock.advance(seconds=100)
            mall.clock.advance(seconds=100)
            await mall.issue("kk")  # 09.01.40
            await caught_up(mall, mirror)

            async def taken() -> bool:
                return (await national_row(mirror))["uplink"]["synced_at"] == "2026-11-23T02:01:40+00:00"

            await eventually(taken, "the mirror took the batch")
            row = await national_row(mirror)
            assert row["uplink"]["state"] == "synced" and row["longest_wait"] == pytest.approx(100, abs=1), row
        device = next(d for d in await mirror.ctx.accounts.list_devices() if d["kind"] == "uplink")
        await mirror.ctx.accounts.revoke_device(int(str(device["id"])))
        mirror.clock.advance(minutes=10)
        row = await national_row(mirror)
        assert row["uplink"]["state"] == "revoked" and row["uplink"]["revoked_at"] is not None, row
        assert row["heard_at"] == row["uplink"]["heard_at"] == "2026-11-23T02:00:00+00:00", "its last call is kept"
        assert row["longest_wait"] == pytest.approx(100, abs=1), "as of its last sync, 09.01.40"
        assert row["totals"]["mirrored_behind"] == 1


async def test_a_quiet_box_says_it_is_there_so_its_mall_stays_connected_in_the_national_view(
    database: Path | str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An outside review as the ministry: a box with nothing to send counted each idle pass ("nothing left to send")
    as contact with the mirror, so its once-a-minute word never went: 3 minutes into any quiet spell (lunch, the
    hour before opening) the national view said its mall "tidak terhubung", though the box was up and its log
    complete. The beat is shortened here so that the test need not wait a minute, and the idle passes with it (a
    beat shorter than a pass would come at every pass anyway)."""
    monkeypatch.setattr(uplink_module, "HEARTBEAT_SECONDS", 1.0)
    monkeypatch.setattr(uplink_module, "IDLE_SECONDS", 0.05)
    monkeypatch.setattr(national_module, "HEARD_SECONDS", 0.0)
    async with running_server(database, mirrored=["tegal"]) as mirror:
        token = await uplink_token(mirror)
        async with mall_of(mirror.url, token, tmp_path) as mall:
            await mall.issue("ktp")  # 09.00
            await caught_up(mall, mirror)
            mirror.clock.advance(minutes=10)  # nothing happens at the mall meanwhile

            async def said_it_is_there() -> bool:
                return (await national_row(mirror))["uplink"]["synced_at"] == "2026-11-23T02:10:00+00:00"

            await eventually(said_it_is_there, "the quiet box said its log ends where the copy does")
            assert (await national_row(mirror))["uplink"]["state"] == "synced"


async def test_a_box_that_stops_cleanly_says_so_and_its_mall_shows_stopped_at_once(
    browser: Browser, database: Path | str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A review: a box stopped cleanly said nothing, so its row kept its last screens count and "terhubung" for 3
    minutes, then read "tidak terhubung" like a power cut. Its last heartbeat now says it is stopping: the row says
    at once that the mall's server was stopped, and when (the mall's local time), its screens not known, until the
    box is heard from again."""
    monkeypatch.setattr(national_module, "HEARD_SECONDS", 0.0)
    async with running_server(database, mirrored=["tegal"]) as mirror:
        token = await uplink_token(mirror)
        async with mall_of(mirror.url, token, tmp_path) as mall:
            await mall.issue("ktp")
            await caught_up(mall, mirror)

            async def screens_said() -> bool:
                return (await national_row(mirror))["screens_down"] is not None

            await eventually(screens_said, "the box said its screens")
            row = await national_row(mirror)
            assert row["uplink"]["state"] == "synced" and row["uplink"]["stopped_at"] is None, row
            mirror.clock.advance(minutes=1)  # stopped at 09.01 WIB
        row = await national_row(mirror)  # at once: no waiting for 3 minutes of silence
        assert row["uplink"]["state"] == "stopped", row
        assert row["uplink"]["stopped_at"] == "2026-11-23T02:01:00+00:00", row
        assert (row["screens_down"], row["screens_total"]) == (None, None), "not known, not the last count"
        assert row["totals"]["mirrored_behind"] == 1 and row["totals"]["screens_known"] == 0
        assert row["waiting"] == 1, "its figures as of its stop"
        mirror.clock.advance(minutes=10)
        assert (await national_row(mirror))["uplink"]["state"] == "stopped", "stopped, not 'not heard from'"
        async with national_page(browser, mirror.url) as page:
            tag = await until(page, "() => document.querySelector('#rows tr .tag.mirror')?.textContent")
            assert tag == "server mal dihentikan pukul 09.01 WIB", tag
            screens = await page.evaluate("() => document.querySelector('#totals td.screens').textContent")
            assert screens == "0 / 0 dari 0 mal yang diketahui", screens
            await page.click("#lang")
            tag = await until(
                page,
                "() => document.querySelector('#rows tr .tag.mirror')?.textContent.startsWith('mall') && document.querySelector('#rows tr .tag.mirror').textContent",
            )
            assert tag == "mall server stopped at 09:01 WIB", tag
            screens = await page.evaluate("() => document.querySelector('#totals td.screens').textContent")
            assert screens == "0 / 0 of the 0 malls known", screens
        # Started again: heard from, no longer stopped.
        async with mall_of(mirror.url, token, tmp_path):

            async def back() -> bool:
                return (await national_row(mirror))["uplink"]["state"] == "synced"

            await eventually(back, "the box started again is connected")
            assert (await national_row(mirror))["uplink"]["stopped_at"] is None
        # A box of an earlier release says no `stopping`; a bad value is refused, naming the field.
        for bad in ("0", "yes", "", "11"):
            r = await mirror.http.get("/api/v1/sites/tegal/uplink", params={"stopping": bad}, headers=bearer(token))
            assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "stopping", (bad, r.text)


def test_boxes_retry_apart_on_a_doubling_schedule(monkeypatch: pytest.MonkeyPatch) -> None:
    """An outside review: every box waited exactly 1, 2, 4 ... 60 s after a failure, so 300 malls' boxes cut off by
    one national outage would all try again in the same second, again and again. Each wait is now drawn from the
    upper half of the doubling schedule."""
    monkeypatch.setattr(uplink_module, "RETRY_FIRST", 1.0)
    monkeypatch.setattr(uplink_module, "RETRY_CAP", 60.0)
    for failures, whole in ((1, 1.0), (2, 2.0), (3, 4.0), (6, 32.0), (7, 60.0), (500, 60.0), (10**9, 60.0)):
        waits = [uplink_module.retry_delay(failures) for _ in range(300)]
        assert all(whole / 2 <= wait <= whole for wait in waits), (failures, min(waits), max(waits))
        assert len(set(waits)) > 250, "300 boxes do not wait the same"
        assert max(waits) - min(waits) > whole / 4, "spread over the range, not bunched"


async def test_the_mirror_holds_no_citizen_s_link_and_no_note(database: Path | str, tmp_path: Path) -> None:
    """An outside review: every ticket the mall relayed carried its citizen's link (`token`: whoever holds it can
    cancel the ticket, answer its survey, leave a phone number for it) and staff's free text (a transfer's or a
    parked ticket's note, a cancellation's reason) to the mirror, which needs neither for any figure."""
    async with running_server(database, mirrored=["tegal"]) as mirror:
        token = await uplink_token(mirror)
        async with mall_of(mirror.url, token, tmp_path) as mall:
            operator = await mall.login("op-disdukcapil")
            assert (await mall.command(operator, "1", "open")).status_code == 200
            tickets = [(await mall.issue(service))["ticket"] for service in ("ktp", "ktp", "kk")]
            assert (await mall.command(operator, "1", "call_next")).status_code == 200
            r = await mall.command(operator, "1", "park", note="menunggu fotokopi berkas")
            assert r.status_code == 200, r.text
            assert (await mall.command(operator, "1", "call_next")).status_code == 200
            r = await mall.command(operator, "1", "transfer", target_service="akta", note="lanjut ke akta kelahiran")
            assert r.status_code == 200, r.text
            r = await mall.http.post(f"/api/v1/sites/tegal/tickets/{tickets[2]['id']}/actions", headers=operator,
                                     json={"action": "cancel", "reason": "berkas belum lengkap"})  # fmt: skip
            assert r.status_code == 200, r.text
            await caught_up(mall, mirror)

            secrets = [t["token"] for t in tickets] + ["fotokopi", "akta kelahiran", "belum lengkap"]
            mall_log = json.dumps(await log_of(mall))
            assert all(secret in mall_log for secret in secrets), "the mall's own log keeps them"
            held = json.dumps(await log_of(mirror, relayed=True))
            held += json.dumps(await mirror.ctx.storage.fetch_all("SELECT token, doc FROM tickets WHERE site = ?",
                                                                  ("tegal",)))  # fmt: skip
            assert not [secret for secret in secrets if secret in held], held
            # The figures are the mall's all the same.
            states = sorted(t.state.value for t in mirror.ctx.state("tegal").tickets.values())
            assert states == ["cancelled", "parked", "transferred", "waiting"], states
            # No ticket page on the mirror for the mall's citizens; the mall's own serves them.
            for url in (f"/api/v1/tickets/{tickets[0]['token']}", f"/t/{tickets[0]['token']}"):
                assert (await mirror.http.get(url)).status_code == 404, url
                assert (await mall.http.get(url)).status_code == 200, url


async def book_at(mall: Server, n: int, slot: str, **extra: Any) -> dict[str, Any]:
    """A citizen's booking at the mall's own server, for the tests' Monday."""
    body = {"service": "ktp", "day": "2026-11-23", "slot": slot, "nik": nik(n), "phone": phone(n), **extra}
    r = await mall.http.post("/api/v1/sites/tegal/bookings", json=body)
    assert r.status_code == 201, r.text
    booking: dict[str, Any] = r.json()["booking"]
    return booking


async def test_a_booking_s_code_hashes_and_contact_stay_at_the_mall(database: Path | str, tmp_path: Path) -> None:
    """Uplink protocol 3: a booking went up whole, with its code (whoever holds it can see and cancel the booking),
    its NIK and phone hashes, the contact of the citizen's number and the number masked. None of the mirror's figures
    needs them: a booking made, checked in and cancelled at the mall reaches the mirror without them, its figures
    are the mall's, and the box's and the mirror's fingerprints agree."""
    async with running_server(database, mirrored=["tegal"]) as mirror:
        token = await uplink_token(mirror)
        async with mall_of(mirror.url, token, tmp_path) as mall:
            operator = await mall.login("op-disdukcapil")
            assert (await mall.command(operator, "1", "open")).status_code == 200
            made = [await book_at(mall, n, slot) for n, slot in ((1, "09:30"), (2, "10:00"), (3, "11:00"))]
            mall.clock.now += timedelta(minutes=10)  # 09:10: the 09:30 booking's check-in is open
            r = await mall.http.post(f"/api/v1/sites/tegal/bookings/{made[0]['code']}/check-in", headers=bearer(KIOSK))
            assert r.status_code == 201, r.text
            r = await mall.http.post(f"/api/v1/bookings/{made[1]['code']}/cancel")
            assert r.status_code == 200, r.text
            await caught_up(mall, mirror)

            docs = [json.loads(row[0]) for row in await mall.ctx.storage.fetch_all("SELECT doc FROM bookings")]
            fields = ("code", "nik_hash", "phone_hash", "phone_masked")  # a contact: an earlier box's test below
            secrets = {d[k] for d in docs for k in fields}
            assert len(secrets) == 3 * 3 + 1, secrets  # each booking's code and hashes; one number, masked alike
            mall_log = json.dumps(await log_of(mall))
            assert all(secret in mall_log for secret in secrets), "the mall's own log keeps them"
            held = json.dumps(await log_of(mirror, relayed=True))
            held += json.dumps(await mirror.ctx.storage.fetch_all("SELECT * FROM bookings WHERE site = ?", ("tegal",)))
            assert not [secret for secret in secrets if secret in held], held
            kept = mirror.ctx.state("tegal").bookings
            mine = mall.ctx.state("tegal").bookings
            assert {i: (b.state, b.ticket, b.slot_start) for i, b in kept.items()} == {
                i: (b.state, b.ticket, b.slot_start) for i, b in mine.items()
            }, "each booking's state, slot and ticket as at the mall"
            assert {(b.code, b.nik_hash, b.phone_masked, b.contact, b.phone_hash) for b in kept.values()} == {
                (f"withheld:{i}", f"withheld:{i}", "", None, None) for i in mine
            }

            # The figures read from bookings are the mall's: the places booked per slot, the queue, the report.
            admin, supervisor = await mirror.login("admin"), await mirror.login("supervisor")
            mall_admin, mall_supervisor = await mall.login("admin"), await mall.login("supervisor")
            mirror.clock.now = mall.clock.now
            slots = {"service": "ktp", "day": "2026-11-23"}
            at_mirror = await mirror.http.get("/api/v1/sites/tegal/bookings/slots", params=slots)
            at_mall = await mall.http.get("/api/v1/sites/tegal/bookings/slots", params=slots)
            assert at_mirror.json()["online_booked"] == at_mall.json()["online_booked"] == 2
            booked = [(s["start"], s["booked"]) for s in at_mall.json()["slots"] if s["booked"]]
            assert booked == [("09:30", 1), ("11:00", 1)]
            assert [(s["start"], s["booked"]) for s in at_mirror.json()["slots"] if s["booked"]] == booked
            row = row_of(await national(mirror, admin), "tegal")
            own = row_of(await national(mall, mall_admin), "tegal")
            figures = ("waiting", "served_today", "counters_open", "longest_wait_minutes")
            assert {k: row.get(k) for k in figures} == {k: own.get(k) for k in figures}, (row, own)
            period = {"from": "2026-11-23", "to": "2026-11-23"}
            report = await mirror.http.get("/api/v1/sites/tegal/reports", params=period, headers=supervisor)
            own_report = await mall.http.get("/api/v1/sites/tegal/reports", params=period, headers=mall_supervisor)
            assert report.status_code == own_report.status_code == 200, report.text
            assert report.json()["totals"] == own_report.json()["totals"], (report.text, own_report.text)

            # No look-up by code on the mirror (the mall's own server answers its citizens).
            for code in (m["code"] for m in made):
                assert (await mirror.http.get(f"/api/v1/bookings/{code}")).status_code == 404
                assert (await mirror.http.get(f"/b/{code}")).status_code == 404
                assert (await mall.http.get(f"/api/v1/bookings/{code}")).status_code == 200
            # The box and the mirror agree where the copy ends (its last event a booking's), and nothing is behind.
            last = (await log_of(mall))[-1]
            assert last[1] == "booking.cancelled", last
            said = {"newest": last[0], "protocol": 3}
            r = await mirror.http.get("/api/v1/sites/tegal/uplink", params=said, headers=bearer(token))
            assert r.json()["fingerprint"] == fingerprint(last[1], last[2]), r.text
            health = (await mall.http.get("/healthz")).json()["uplink"]["tegal"]
            assert (health["behind"], health["last_error"]) == (0, None), health


async def test_an_earlier_box_s_links_and_notes_are_not_kept(database: Path | str) -> None:
    """A box of an earlier release still sends them: the mirror keeps neither, and a link its copy holds from
    before opens no ticket page there."""
    async with running_server(database, mirrored=["tegal"]) as mirror:
        token = bearer(await uplink_token(mirror))
        link = "L" * 24
        ticket = {**real_ticket(), "token": link, "note": "Ibu pemohon titip berkas di loket"}
        cancelled = {**ticket, "state": "cancelled", "finished_at": "2026-11-23T02:05:00+00:00"}
        events = [{**running_text(1), "type": "ticket.issued", "data": {"ticket": ticket}},
                  {**running_text(2), "type": "ticket.cancelled", "data": {"ticket": cancelled,
                                                                          "reason": "Ibu pemohon pulang"}}]  # fmt: skip
        r = await mirror.http.post("/api/v1/sites/tegal/uplink", json={"after": 0, "events": events}, headers=token)
        assert r.status_code == 200, r.text
        held = json.dumps(await log_of(mirror, relayed=True))
        rows = await mirror.ctx.storage.fetch_all("SELECT token, doc FROM tickets WHERE site = ?", ("tegal",))
        assert [row[0] for row in rows] == [""] and link not in held + json.dumps(rows)
        assert "pemohon" not in held + json.dumps(rows)
        # A copy made before links were withheld still holds one: no page opens with it.
        await mirror.ctx.storage.execute("UPDATE tickets SET token = ? WHERE site = ?", (link, "tegal"))
        assert (await mirror.http.get(f"/api/v1/tickets/{link}")).status_code == 404
        assert (await mirror.http.get(f"/t/{link}")).status_code == 404


async def test_a_box_of_the_release_before_keeps_working_without_its_bookings_secrets(database: Path | str) -> None:
    """A box of protocol 2 still sends a booking whole and fingerprints it so ("2:", of the booking with its code):
    the mirror keeps none of its secrets, answers that box fingerprints of its own kind where the copy can make them
    (an event with no booking) and checks those, and leaves the others unchecked."""
    async with running_server(database, mirrored=["tegal"]) as mirror:
        token = bearer(await uplink_token(mirror))
        whole = booking(2, "b1", "h" * 64, code="BK-ABCDEF")
        whole["data"]["booking"] |= {"contact": "b:b1", "phone_hash": "p" * 64}
        sent = [running_text(1), whole]
        r = await mirror.http.post("/api/v1/sites/tegal/uplink", json={"after": 0, "events": sent}, headers=token)
        assert r.status_code == 200, r.text
        held = json.dumps(await log_of(mirror, relayed=True))
        held += json.dumps(await mirror.ctx.storage.fetch_all("SELECT * FROM bookings WHERE site = ?", ("tegal",)))
        assert not [s for s in ("BK-ABCDEF", "h" * 64, "p" * 64, "b:b1", "0812****89") if s in held], held
        assert (await mirror.http.get("/api/v1/bookings/BK-ABCDEF")).status_code == 404

        async def head(newest: int, **said: Any) -> dict[str, Any]:
            r = await mirror.http.get("/api/v1/sites/tegal/uplink", params={"newest": newest, **said}, headers=token)
            assert r.status_code == 200, r.text
            answer: dict[str, Any] = r.json()
            return answer

        # The copy ends with the booking: that box makes its fingerprint of what the mirror no longer holds.
        assert (await head(2))["fingerprint"] is None
        assert (await head(2, protocol=3))["fingerprint"] == fingerprint(whole["type"], whole["data"])
        wrong = "2:" + "0" * 32
        r = await mirror.http.post("/api/v1/sites/tegal/uplink", headers=token,
                                   json={"after": 2, "events": [running_text(3, "b")], "fingerprint": wrong})  # fmt: skip
        assert r.status_code == 200, "not checked: " + r.text
        # Ending with an event without a booking, the copy answers and checks that box's own kind of fingerprint.
        theirs = fingerprint_for(2, "site.running_text", {"text": "b"})
        assert (await head(3))["fingerprint"] == theirs and theirs is not None and theirs.startswith("2:")
        r = await mirror.http.post("/api/v1/sites/tegal/uplink", headers=token,
                                   json={"after": 3, "events": [running_text(4, "c")], "fingerprint": wrong})  # fmt: skip
        assert r.status_code == 409 and r.json()["error"]["code"] == "uplink_forked", r.text
        r = await mirror.http.post("/api/v1/sites/tegal/uplink", headers=token,
                                   json={"after": 3, "events": [running_text(4, "c")], "fingerprint": theirs})  # fmt: skip
        assert r.status_code == 200 and r.json()["after"] == 4, r.text


NAMING = "Ibu Siti Rahayu (NIK 3328011201800001, HP 0812-3456-7890) ditunggu di loket 3"


async def held_by(mirror: Server) -> str:
    """Everything the mirror keeps of the mall that a page or an export could serve: its log, its settings."""
    held = json.dumps(await log_of(mirror, relayed=True))
    return held + json.dumps(await mirror.ctx.storage.fetch_all("SELECT * FROM site_settings WHERE site = ?",
                                                                ("tegal",)))  # fmt: skip


def withheld_alerts(mirror: Server) -> list[dict[str, Any]]:
    alerts = mirror.app.state.server.monitor.figures("tegal")["alerts"]
    return [a for a in alerts if a["kind"] == "running_text_withheld"]


async def test_a_running_text_naming_a_citizen_is_withheld_by_the_mirror_and_its_dashboard_says_so(
    database: Path | str, tmp_path: Path
) -> None:
    """A box set a running text naming a citizen before this release refused one (its log holds the event; the box
    itself is upgraded since): relayed for real, the mirror keeps and serves none of it (the text is "" in its log, its
    state, its settings and on the mall's dashboard there), the mall's dashboard on the mirror says why and what the
    mall's admin does, and the box's log goes on up, its fingerprints still agreeing. A text without a name clears
    the alert."""
    async with running_server(database, mirrored=["tegal"]) as mirror:
        token = await uplink_token(mirror)
        async with mall_of(mirror.url, token, tmp_path) as mall:
            # What the earlier release's API wrote: the domain takes any text (the check is the API's and the file's).
            await mall.ctx.engine.submit("tegal", c.SetRunningText(NAMING), lambda events, state: {})
            await mall.issue("ktp")
            newest = await mall.ctx.storage.newest_seq("tegal")

            async def up() -> bool:
                return mirror.ctx.state("tegal").relayed_head == newest

            await eventually(up, "the box's log reached the mirror")
            held = await held_by(mirror)
            for part in ("Siti", "3328011201800001", "3456"):
                assert part not in held, held
            assert mirror.ctx.state("tegal").current_running_text == ""
            figures = mirror.app.state.server.monitor.figures("tegal")
            assert figures["running_text"] == ""
            said = withheld_alerts(mirror)
            assert len(said) == 1, figures["alerts"]
            assert said[0]["message"].startswith("Teks berjalan mal ini yang diganti ")
            assert "memuat data pribadi warga" in said[0]["message"] and "Siti" not in said[0]["message"]
            assert "admin mal, ganti teks berjalan itu di server mal" in said[0]["message"]
            assert said[0]["message_en"].startswith("This mall's running text, set on ")
            # The box's log goes on: its fingerprint of the event as it holds it is the mirror's too.
            supervisor = await mall.login("supervisor")
            r = await mall.http.post("/api/v1/sites/tegal/running-text", headers=supervisor,
                                     json={"text": "Layanan KTP sampai pukul 15.00"})  # fmt: skip
            assert r.status_code == 200, r.text
            newest = await mall.ctx.storage.newest_seq("tegal")
            await eventually(up, "the new text reached the mirror")
            assert mirror.ctx.state("tegal").current_running_text == "Layanan KTP sampai pukul 15.00"
            assert withheld_alerts(mirror) == [], "a text naming no one clears it"
            assert mall.ctx.uplink.status["tegal"].last_error is None


async def test_an_earlier_box_s_running_text_naming_a_citizen_is_withheld_and_its_fingerprints_still_agree(
    database: Path | str,
) -> None:
    """A box of protocol 2 sends the text as it set it and fingerprints the event so: the mirror keeps the text as ""
    with the fingerprints of the event as the box holds it (made on receipt), answers them and checks them, and says
    so on the mall's dashboard there across a restart, until a text naming no one comes."""
    async with running_server(database, mirrored=["tegal"]) as mirror:
        token = bearer(await uplink_token(mirror))
        port = mirror.config.port
        sent = [running_text(1), running_text(2, NAMING)]
        r = await mirror.http.post("/api/v1/sites/tegal/uplink", json={"after": 0, "events": sent}, headers=token)
        assert r.status_code == 200, r.text
        assert "Siti" not in await held_by(mirror) and "3328011201800001" not in await held_by(mirror)
        theirs = fingerprint_for(2, "site.running_text", {"text": NAMING})
        assert theirs is not None
        r = await mirror.http.get("/api/v1/sites/tegal/uplink", params={"newest": 2}, headers=token)
        assert r.json()["fingerprint"] == theirs, r.text
        r = await mirror.http.get("/api/v1/sites/tegal/uplink", params={"newest": 2, "protocol": 3}, headers=token)
        assert r.json()["fingerprint"] == fingerprint("site.running_text", {"text": NAMING}), r.text
        wrong = "2:" + "0" * 32
        r = await mirror.http.post("/api/v1/sites/tegal/uplink", headers=token,
                                   json={"after": 2, "events": [running_text(3, "b")], "fingerprint": wrong})  # fmt: skip
        assert r.status_code == 409 and r.json()["error"]["code"] == "uplink_forked", r.text
        assert len(withheld_alerts(mirror)) == 1
    async with running_server(database, mirrored=["tegal"], port=port) as mirror:
        assert len(withheld_alerts(mirror)) == 1, "kept across a restart"
        assert mirror.ctx.state("tegal").current_running_text == ""
        r = await mirror.http.post("/api/v1/sites/tegal/uplink", headers=token,
                                   json={"after": 2, "events": [running_text(3, "b")], "fingerprint": theirs})  # fmt: skip
        assert r.status_code == 200 and r.json()["after"] == 3, r.text
        assert withheld_alerts(mirror) == [] and mirror.ctx.state("tegal").current_running_text == "b"
        # A box cannot write the mirror's fingerprints for it: what it sends under that key is dropped.
        forged = {**running_text(4, NAMING), "data": {"text": NAMING, "text_withheld": {"2": wrong, "3": wrong}}}
        r = await mirror.http.post("/api/v1/sites/tegal/uplink", json={"after": 3, "events": [forged]}, headers=token)
        assert r.status_code == 200, r.text
        r = await mirror.http.get("/api/v1/sites/tegal/uplink", params={"newest": 4}, headers=token)
        assert r.json()["fingerprint"] == fingerprint_for(2, "site.running_text", {"text": NAMING})


async def test_a_pause_or_a_closed_day_s_reason_naming_a_citizen_is_withheld_and_the_fingerprints_agree(
    database: Path | str,
) -> None:
    """A box checks these reasons as it checks its running text; a mirror serves the mall's kiosk view and phones
    all the same, so it keeps none that names a citizen (a pause's becomes "Gangguan layanan", a closed day's is left
    out), with the fingerprints of the events as the box holds them: the box's log goes on up (an outside review)."""
    at = "2026-11-23T02:00:00+00:00"
    pause = {"service": "ktp", "day": "2026-11-23", "reason": NAMING, "since": at, "until": None}
    paused = {"seq": 2, "type": "service.paused", "site": "tegal", "at": at,
              "data": {"pauses": [pause], "agency": None}}  # fmt: skip
    closed = {"seq": 3, "type": "day.closed", "site": "tegal", "at": at,
              "data": {"day": "2026-11-23", "expired": 0, "reason": NAMING}}  # fmt: skip
    async with running_server(database, mirrored=["tegal"]) as mirror:
        token = bearer(await uplink_token(mirror))
        r = await mirror.http.post("/api/v1/sites/tegal/uplink", headers=token,
                                   json={"after": 0, "events": [running_text(1), paused]})  # fmt: skip
        assert r.status_code == 200, r.text
        after = fingerprint("service.paused", paused["data"])
        r = await mirror.http.get("/api/v1/sites/tegal/uplink", params={"newest": 2, "protocol": 3}, headers=token)
        assert r.json()["fingerprint"] == after, r.text
        r = await mirror.http.post("/api/v1/sites/tegal/uplink", headers=token,
                                   json={"after": 2, "events": [closed], "fingerprint": after})  # fmt: skip
        assert r.status_code == 200, r.text
        held = await held_by(mirror)
        assert "Siti" not in held and "3328011201800001" not in held, held
        assert "Gangguan layanan" in held
        after = fingerprint("day.closed", closed["data"])
        r = await mirror.http.get("/api/v1/sites/tegal/uplink", params={"newest": 3, "protocol": 3}, headers=token)
        assert r.json()["fingerprint"] == after, r.text
        r = await mirror.http.post("/api/v1/sites/tegal/uplink", headers=token,
                                   json={"after": 3, "events": [running_text(4)], "fingerprint": after})  # fmt: skip
        assert r.status_code == 200 and r.json()["after"] == 4, r.text


async def test_a_box_s_configuration_from_before_the_newer_thresholds_is_taken_with_their_defaults(
    database: Path | str,
) -> None:
    """Upgrade order: the mirror goes first. A box of the release before sends [alerts] with only the four thresholds
    it knew (or none, one earlier still): the mirror takes each, the thresholds it sends in force and the card's mark
    and the screens' grace at their defaults; a box of this release sends them too, and they are taken."""
    from queue_server.domain.catalogue import AlertPolicy

    async with running_server(database, mirrored=["tegal"]) as mirror:
        token = bearer(await uplink_token(mirror))
        document = (await mirror.http.get("/api/v1/sites/tegal/configuration",
                                          headers=await mirror.login("admin"))).json()["document"]  # fmt: skip
        earlier = {**document, "alerts": {"counter_idle_minutes": 10, "service_long_times": 2.5}}
        this = {**document, "alerts": {"service_mark_minutes": 8, "screen_missing_minutes": 45}}
        configured = [{**running_text(n), "type": "site.configured",
                       "data": {"version": n, "source": "web", "file_hash": "", "document": d}}
                      for n, d in ((1, document), (2, earlier))]  # fmt: skip
        r = await mirror.http.post("/api/v1/sites/tegal/uplink", json={"after": 0, "events": configured}, headers=token)
        assert r.status_code == 200, r.text
        assert mirror.ctx.sites["tegal"].alerts == AlertPolicy(counter_idle_minutes=10, service_long_times=2.5)
        newer = {**running_text(3), "type": "site.configured",
                 "data": {"version": 3, "source": "web", "file_hash": "", "document": this}}  # fmt: skip
        r = await mirror.http.post("/api/v1/sites/tegal/uplink", json={"after": 2, "events": [newer]}, headers=token)
        assert r.status_code == 200, r.text
        assert mirror.ctx.sites["tegal"].alerts == AlertPolicy(service_mark_minutes=8, screen_missing_minutes=45)


PERSONAL = ("Siti", "SITI", "Budi", "3328011201800001", "3456", "7890")


def naming_configuration(document: dict[str, Any]) -> dict[str, Any]:
    """The mall's configuration with a citizen named in the free texts screens and pages show, as a box of an earlier
    release took them (this release's box refuses them all: settings/sitefile.py)."""
    named = json.loads(json.dumps(document))
    named["site"]["running_text"] = NAMING
    named["site"]["regency"] = "Kota Pak Budi 0812-3456-7890"
    agency = next(a for a in named["agencies"] if a["id"] == "disdukcapil")
    agency["short_name"] = "Dukcapil Ibu Siti"
    next(s for s in agency["services"] if s["id"] == "ktp")["name"] = "KTP a.n. SITI RAHAYU"
    next(c for c in agency["counters"] if c["id"] == "1")["name"] = "Loket Ibu Siti 3328011201800001"
    named["announcements"] = {**named.get("announcements", {}),
                              "template_id": "Bu Siti, nomor {ticket} ke {counter}"}  # fmt: skip
    return named


WITHHELD_PLACES = [
    "site.running_text",
    "site.regency",
    "announcements.template_id",
    'agencies[0 "disdukcapil"].short_name',
    'agencies[0 "disdukcapil"].services[0 "ktp"].name',
    'agencies[0 "disdukcapil"].counters[0 "1"].name',
]


def test_a_configuration_naming_a_citizen_is_kept_with_defaults_that_still_read() -> None:
    """Every free text of a configuration a screen or a page shows that names a citizen is replaced (a name by its
    default or its id, an optional text left out, zones the same zone under one new name, screens too), the
    document still reads as a site, and the fingerprints are of the event as the box holds it."""
    from queue_server.common import plaintext
    from queue_server.domain.relay import configuration_withheld
    from queue_server.domain.state import configuration_withheld as withheld_of
    from queue_server.settings.sitefile import read_document

    document = read_document(DEMO_SITE)
    clean = {"version": 1, "source": "web", "file_hash": "", "document": document}
    at = datetime(2026, 12, 7, 1, 30, tzinfo=UTC)
    assert configuration_withheld(clean, plaintext.names_citizen, at) == (clean, []), "the demo names no one"
    named = naming_configuration(document)
    named["site"]["name"] = "MPP Bapak Budi"
    named["site"]["wifi"], named["site"]["wifi_password"] = "Pak Budi", "rahasia123"
    named["site"]["hours"]["periods"] = [{"name": "Ramadan Ibu Siti", "from": "2027-02-08", "to": "2027-03-09",
                                          "mon": ["08:00-14:00"]}]  # fmt: skip
    agency = next(a for a in named["agencies"] if a["id"] == "disdukcapil")
    agency["name"] = "Dinas Ibu Siti"
    for counter in agency["counters"][:2]:
        counter["zone"] = "Ruang Pak Budi"
    lobby = next(s for s in named["screens"] if s["id"] == "lobby")
    lobby["name"], lobby["zones"] = "Layar Ibu Siti", ["Ruang Pak Budi"]
    data = {"version": 2, "source": "web", "file_hash": "", "document": named}
    kept, places = configuration_withheld(data, plaintext.names_citizen, at)
    assert set(WITHHELD_PLACES) <= set(places), places
    assert {"site.name", "site.wifi", "site.hours.periods[0].name", 'agencies[0 "disdukcapil"].name',
            'agencies[0 "disdukcapil"].counters[1 "2"].zone', 'screens[0 "lobby"].name'} <= set(places), places  # fmt: skip
    text = json.dumps(kept["document"])
    for part in PERSONAL:
        assert part not in text, (part, text)
    assert withheld_of(kept) == (at, tuple(places)) and withheld_of(data) is None
    site = parse_site(kept["document"], in_force=True)
    disdukcapil = site.agencies["disdukcapil"]
    assert (site.name, site.regency, site.running_text, site.wifi) == ("tegal", None, "", None)
    assert (disdukcapil.name, disdukcapil.short_name, site.services["ktp"].name) == (
        "disdukcapil",
        "disdukcapil",
        "ktp",
    )
    assert site.counters["1"].name == "Loket 1" and site.counters["1"].zone == site.counters["2"].zone == "Zona 1"
    assert site.screens["lobby"].name == "lobby" and site.screens["lobby"].zones == ("Zona 1",)
    assert site.hours.periods[0].name == "Periode 1"
    assert site.announcements.template_id == "Nomor antrean {ticket}, silakan menuju {counter}"
    for protocol in (2, 3):  # the box's event as it holds it, whichever the box speaks
        assert fingerprint_for(protocol, ev.SITE_CONFIGURED, kept) == fingerprint_for(
            protocol, ev.SITE_CONFIGURED, data
        )


def configuration_alerts(mirror: Server) -> list[dict[str, Any]]:
    alerts = mirror.app.state.server.monitor.figures("tegal")["alerts"]
    return [a for a in alerts if a["kind"] == "configuration_withheld"]


async def served_by(mirror: Server) -> str:
    """What the mirror keeps and serves of the mall: its log and settings, its configuration, the site's public
    description, its dashboard's figures and its national row."""
    admin = await mirror.login("admin")
    served = [await held_by(mirror)]
    for url in ("/api/v1/sites/tegal/configuration", "/api/v1/sites/tegal", "/api/v1/national"):
        r = await mirror.http.get(url, headers=admin)
        assert r.status_code == 200, (url, r.text)
        served.append(r.text)
    served.append(json.dumps(mirror.app.state.server.monitor.figures("tegal"), default=str))
    return "\n".join(served)


async def test_a_configuration_naming_a_citizen_is_withheld_by_the_mirror_across_a_restart_until_a_clean_one(
    database: Path | str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A box set a configuration naming a citizen in its running text, a regency, a template and the names of an
    agency, a service and a counter (an earlier release took them all): relayed for real, the mirror keeps and serves
    none of it (log, settings, configuration, the site's description, dashboard, national row), shows the defaults in
    their place, says on the mall's dashboard and in its national row where and what the mall's admin does, keeps
    saying so after a restart, and the box's log goes on up; a configuration naming no one clears it. Neither the
    mirror's log lines nor its event log hold the text."""
    caplog.set_level(logging.INFO)
    async with running_server(database, mirrored=["tegal"]) as mirror:
        port = mirror.config.port
        token = await uplink_token(mirror)
        async with mall_of(mirror.url, token, tmp_path) as mall:
            admin = await mall.login("admin")
            url = "/api/v1/sites/tegal/configuration"
            document = (await mall.http.get(url, headers=admin)).json()["document"]
            named = naming_configuration(document)
            site = parse_site(named, in_force=True)  # what the earlier release's Settings took
            state = mall.ctx.state("tegal")
            command = c.Configure(site, named, "web", state.configuration.file_hash, state.configuration.version)
            await mall.ctx.engine.submit("tegal", command, lambda events, state: {})
            await mall.issue("ktp")
            await caught_up_as_withheld(mall, mirror)
            served = await served_by(mirror)
            for part in PERSONAL:
                assert part not in served, part
            here = mirror.ctx.sites["tegal"]
            assert (here.running_text, here.regency, here.services["ktp"].name, here.counters["1"].name) == (
                "", None, "ktp", "Loket 1")  # fmt: skip
            assert mirror.ctx.state("tegal").current_running_text == ""
            said = configuration_alerts(mirror)
            assert len(said) == 1 and said[0]["fields"] == WITHHELD_PLACES, said
            assert said[0]["message"].startswith("Konfigurasi mal ini yang diganti pada ")
            message, message_en = said[0]["message"], said[0]["message_en"]
            assert "teks berjalan; kabupaten/kota; " in message, "each place in the Settings page's words"
            assert "Instansi Dinas Kependudukan dan Pencatatan Sipil, Loket 1, nama, jadi " in message, message
            assert "Agency Dinas Kependudukan dan Pencatatan Sipil, Loket 1, name, so " in message_en, message_en
            assert "agencies[" not in message + message_en
            assert "admin mal, ganti teks itu di Pengaturan server mal" in said[0]["message"]
            assert said[0]["message_en"].startswith("This mall's configuration, set on ")
            row = await national_row(mirror)
            assert row["withheld"]["kinds"] == ["configuration_withheld"], row
            assert row["withheld"]["message"] == said[0]["message"] and row["totals"]["withheld"] == 1
            assert mall.ctx.uplink.status["tegal"].last_error is None, "the box's log goes on up"
    async with running_server(database, mirrored=["tegal"], port=port) as mirror:
        assert [a["fields"] for a in configuration_alerts(mirror)] == [WITHHELD_PLACES], "kept across a restart"
        assert mirror.ctx.sites["tegal"].counters["1"].name == "Loket 1"
        for part in PERSONAL:
            assert part not in await served_by(mirror), part
        async with mall_of(mirror.url, token, tmp_path) as mall:
            admin = await mall.login("admin")
            r = await mall.http.put(url, headers=admin, json={"version": mall.ctx.state("tegal").configuration.version,
                                                              "document": document})  # fmt: skip
            assert r.status_code == 200, r.text
            await caught_up_as_withheld(mall, mirror)
            assert configuration_alerts(mirror) == [], "a configuration naming no one clears it"
            assert mirror.ctx.sites["tegal"].counters["1"].name == document["agencies"][0]["counters"][0]["name"]
            row = await national_row(mirror)
            assert row["withheld"] is None and row["totals"]["withheld"] == 0
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "names a citizen in site.running_text, site.regency" in logged, logged
    for part in PERSONAL:
        assert part not in logged, part


async def caught_up_as_withheld(mall: Server, mirror: Server) -> None:
    newest = await mall.ctx.storage.newest_seq("tegal")

    async def up() -> bool:
        return mirror.ctx.state("tegal").relayed_head == newest

    await eventually(up, "the box's log reached the mirror")


async def test_an_earlier_box_s_idle_counters_are_dated_on_the_mirror_and_its_log_kept_as_the_box_wrote_it(
    database: Path | str,
) -> None:
    """A box of a release before `idle_since` sends counters without it: its mall's dashboard on the mirror said
    "Kosong —" for every idle counter, all day. The mirror dates each as the box's own release would now (idle from
    the event that left it so), in its state and after a restart, and keeps the events exactly as the box wrote them
    (their fingerprints still agree)."""
    clock = Clock()  # Monday 09.00 WIB, as the events below
    async with running_server(database, mirrored=["tegal"], clock=clock) as mirror:
        token = bearer(await uplink_token(mirror))
        opened = {"id": "1", "state": "open", "current": None, "priority_streak": 0, "operator": "op-disdukcapil"}
        events = [{**running_text(1), "type": "counter.opened", "at": "2026-11-23T02:00:00+00:00",
                   "data": {"counter": opened}},
                  {**running_text(2), "type": "counter.opened", "at": "2026-11-23T02:04:00+00:00",
                   "data": {"counter": {**opened, "id": "2"}}}]  # fmt: skip
        r = await mirror.http.post("/api/v1/sites/tegal/uplink", json={"after": 0, "events": events}, headers=token)
        assert r.status_code == 200, r.text
        clock.advance(minutes=10)
        sup = await mirror.login("supervisor")
        data = (await mirror.http.get("/api/v1/sites/tegal/dashboard", headers=sup)).json()
        idle = {c["id"]: (c["idle_since"], c["idle_seconds"]) for c in data["counters"] if c["activity"] == "idle"}
        assert idle == {"1": ("2026-11-23T09:00:00.000+07:00", 600), "2": ("2026-11-23T09:04:00.000+07:00", 360)}
        assert [kind for _, kind, data in await log_of(mirror, relayed=True) if "idle_since" in data["counter"]] == []
        head = await mirror.http.get("/api/v1/sites/tegal/uplink", params={"newest": 2, "protocol": 3}, headers=token)
        assert head.json()["fingerprint"] == fingerprint(events[1]["type"], events[1]["data"])
    async with running_server(database, mirrored=["tegal"], clock=clock) as mirror:
        data = (await mirror.http.get("/api/v1/sites/tegal/dashboard", headers=await mirror.login("supervisor"))).json()
        idle = {c["id"]: c["idle_since"] for c in data["counters"] if c["activity"] == "idle"}
        assert idle == {"1": "2026-11-23T09:00:00.000+07:00", "2": "2026-11-23T09:04:00.000+07:00"}, "after a restart"


async def test_migration_0021_takes_the_secrets_an_earlier_mirror_s_copy_holds(database: Path | str) -> None:
    """A mirror of an earlier release kept each relayed booking whole, in its row and in the events carrying it.
    Migrated (0021), the copy holds them as this release keeps them; a hosted mall's bookings are untouched, and the
    copy's fingerprints are what they were."""
    whole = booking(2, "b1", "h" * 64, code="BK-ABCDEF")
    whole["data"]["booking"] |= {"contact": "b:b1", "phone_hash": "p" * 64}
    snapshot = whole["data"]["booking"]
    async with running_server(database, mirrored=["tegal"]) as mirror:
        token = bearer(await uplink_token(mirror))
        sent = [running_text(1), whole, {**whole, "seq": 3, "type": "booking.cancelled"}]
        r = await mirror.http.post("/api/v1/sites/tegal/uplink", json={"after": 0, "events": sent}, headers=token)
        assert r.status_code == 200, r.text
        storage = mirror.ctx.storage
        # As an earlier release kept them, and a booking of a mall hosted here.
        for seq, data in await storage.fetch_all("SELECT seq, data FROM events WHERE site = 'tegal' AND type LIKE ?",
                                                  ("booking.%",)):  # fmt: skip
            kept = {**json.loads(data), "booking": snapshot}
            await storage.execute("UPDATE events SET data = ? WHERE seq = ?", (json.dumps(kept), seq))
        await storage.execute("UPDATE bookings SET code = ?, nik_hash = ?, doc = ? WHERE id = 'b1'",
                              ("BK-ABCDEF", "h" * 64, json.dumps(snapshot)))  # fmt: skip
        hosted = {**snapshot, "id": "b2", "code": "BK-HOSTED", "site": "brebes"}
        await storage.execute("INSERT INTO bookings (id, code, site, service, day, slot, nik_hash, state, seq, doc) "
                              "VALUES ('b2', 'BK-HOSTED', 'brebes', 'ktp', '2026-11-23', '09:00', ?, 'booked', 1, ?)",
                              ("h" * 64, json.dumps(hosted)))  # fmt: skip
        for undone in undo_after(20):  # a database of the release before 0021
            await storage.execute(undone)
    async with running_server(database, mirrored=["tegal"]) as mirror:
        storage = mirror.ctx.storage
        assert "0021_mirrored_booking_secrets" in (storage.migrated.applied if storage.migrated else ())
        held = json.dumps(await log_of(mirror, relayed=True))
        held += json.dumps(await storage.fetch_all("SELECT * FROM bookings WHERE site = 'tegal'"))
        assert not [s for s in ("BK-ABCDEF", "h" * 64, "p" * 64, "b:b1", "0812****89") if s in held], held
        rows = await storage.fetch_all("SELECT code, nik_hash, doc FROM bookings WHERE site = 'tegal'")
        assert [(code, nik_hash) for code, nik_hash, _ in rows] == [("withheld:b1", "withheld:b1")]
        assert json.loads(rows[0][2]) == withheld({"booking": snapshot})["booking"], "the same fields, withheld"
        for _, kind, data in await log_of(mirror, relayed=True):
            assert kind == "site.running_text" or data["booking"] == withheld({"booking": snapshot})["booking"]
        rows = await storage.fetch_all("SELECT code, nik_hash, doc FROM bookings WHERE site = 'brebes'")
        assert rows == [("BK-HOSTED", "h" * 64, json.dumps(hosted))], "a hosted mall's booking is its own"
        # Where the copy ends, its fingerprint is the box's, as before the migration.
        r = await mirror.http.get("/api/v1/sites/tegal/uplink", params={"newest": 3, "protocol": 3}, headers=token)
        assert r.json()["fingerprint"] == fingerprint("booking.cancelled", whole["data"]), r.text
        assert mirror.ctx.state("tegal").bookings["b1"].code == "withheld:b1"


async def test_an_answer_for_a_ticket_not_served_is_not_counted_and_the_others_are(
    database: Path | str, tmp_path: Path
) -> None:
    """An outside review: relayed survey answers were checked only for their ticket being there (a ticket still
    waiting could be rated), and one answer the mirror could not take refused the whole batch: a box whose clock ran
    more than 10 minutes fast sent no answer at all."""
    async with running_server(database, mirrored=["tegal"]) as mirror:
        token = await uplink_token(mirror)
        async with mall_of(mirror.url, token, tmp_path) as mall:
            mall.clock.advance(minutes=30)  # the mall's clock runs half an hour fast
            operator = await mall.login("op-disdukcapil")
            assert (await mall.command(operator, "1", "open")).status_code == 200
            await mall.issue("ktp")
            await serve_one(mall, operator, answers=[4] * 9)
            waiting = (await mall.issue("ktp"))["ticket"]
            await caught_up(mall, mirror)

            async def answers() -> list[Any]:
                return await mirror.ctx.storage.survey_rows_since("tegal", "", 10)  # type: ignore[no-any-return]

            await eventually(answers, "the answer given on the fast clock reached the mirror")
        # An answer for the ticket still waiting (a forged box, or a bug), beside one already kept: only it is refused.
        served = (await answers())[0]
        kept = dict(zip(uplink_module.SURVEY_FIELDS, served, strict=True)) | {"answers": [4] * 9}
        forged = {**kept, "ticket": waiting["id"], "answers": [1] * 9}
        r = await mirror.http.post("/api/v1/sites/tegal/uplink/surveys", json={"answers": [forged, kept]},
                                   headers=bearer(token))  # fmt: skip
        assert r.status_code == 200, r.text
        assert [(x["index"], x["why"]) for x in r.json()["refused"]] == [
            (1, f"ticket {waiting['id']} was not served (it is waiting here)")
        ]
        ikm = await mirror.http.get("/api/v1/sites/tegal/ikm", headers=await mirror.login("admin"))
        assert ikm.json()["site_index"]["respondents"] == 1 and ikm.json()["site_index"]["score"] == 100.0, ikm.text


async def test_retention_at_the_mall_keeps_what_the_mirror_lacks(tmp_path: Path) -> None:
    # A mirror that never answers (nothing listens on the port).
    async with mall_of("http://127.0.0.1:9", "d_uplink_nowhere", tmp_path) as mall:
        for _ in range(5):
            await mall.issue("ktp")
        uplink = mall.ctx.uplink
        await eventually(lambda: uplink.status["tegal"].failing_since is not None, "the uplink noticed")
        after_all = mall.clock() + timedelta(days=30)
        kept = uplink.acknowledged("tegal")
        archived = await archive_events(mall.ctx.storage, "tegal", after_all, tmp_path / "archive", kept)
        assert archived.count == 0, "none of what the mirror lacks is archived"
        archived = await archive_events(mall.ctx.storage, "tegal", after_all, tmp_path / "archive", 2)
        assert archived.count == 2, "up to what the mirror acknowledged"


def test_the_settings_of_an_uplink_and_a_mirror_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="QUEUE_UPLINK_TOKEN"):
        Config.from_env({"QUEUE_UPLINK_URL": "https://antrean.jatengprov.go.id"})
    with pytest.raises(ValueError, match="the mirroring server's address"):
        Config.from_env({"QUEUE_UPLINK_URL": "ftp://antrean", "QUEUE_UPLINK_TOKEN": "d_uplink_x"})
    config = Config.from_env({"QUEUE_UPLINK_URL": "https://pusat.example.go.id", "QUEUE_UPLINK_TOKEN": "d_uplink_x",
                              "QUEUE_MIRRORED_SITES": "brebes, tegal"})  # fmt: skip
    assert (config.mirrored, config.uplink_url) == (["brebes", "tegal"], "https://pusat.example.go.id")
    assert "d_uplink_x" not in repr(config), "the token stays out of messages"
    assert config.uplink_tokens(["tegal", "brebes"]) == {"tegal": "d_uplink_x", "brebes": "d_uplink_x"}
    config.uplink_token = "tegal=d_uplink_a, tegal-keliling=d_uplink_b"  # a box hosting a mall and its mobile unit
    assert config.uplink_tokens(["tegal", "tegal-keliling", "brebes"]) == {"tegal": "d_uplink_a",
                                                                        "tegal-keliling": "d_uplink_b"}  # fmt: skip
    with pytest.raises(ValueError, match="names 'tegal-keliling', not a site of this server"):
        config.uplink_tokens(["tegal"])
    config.uplink_token = "d_uplink_x"
    assert Config.from_json(config.to_json()).uplink_token == "d_uplink_x", "the workers get it"

    db = str(tmp_path / "central.sqlite3")
    cli = [sys.executable, "-m", "queue_server", "device", "add", "--kind", "uplink", "--site-id", "tegal",
           "--name", "Server MPP Tegal", "--db", db, "--site", str(DEMO_SITE)]  # fmt: skip
    out = subprocess.run(cli, capture_output=True, text=True, timeout=60, check=True).stdout
    assert "QUEUE_UPLINK_TOKEN" in out and "--mirror tegal" in out and out.splitlines()[-1].startswith("d_uplink_")
    serve = [sys.executable, "-m", "queue_server", "serve", "--db", db, "--site", str(DEMO_SITE), "--mirror", "brebes",
             "--port", "0"]  # fmt: skip
    done = subprocess.run(serve, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "--mirror brebes: no site file given has that id" in done.stderr, done.stderr


# How the mirror's tag beside a mall's name lies: how many boxes (an inline tag broken over two lines has two), how
# many lines of text, and whether it stays inside the name's cell.
TAG_SHAPE = """() => { const tag = document.querySelector('#rows tr .tag.mirror'); const cell = tag.closest('th');
  const boxes = tag.getClientRects(); const box = tag.getBoundingClientRect(), around = cell.getBoundingClientRect();
  const line = parseFloat(getComputedStyle(tag).lineHeight);
  return {boxes: boxes.length, lines: Math.round((boxes[0].height - 2) / line),
          inside: box.left >= around.left && box.right <= around.right + 0.5}; }"""


async def test_the_pages_of_a_mirrored_mall_read_and_act_on_nothing(
    browser: Browser, database: Path | str, tmp_path: Path
) -> None:
    async with running_server(database, mirrored=["tegal"]) as mirror:
        token = await uplink_token(mirror)
        async with mall_of(mirror.url, token, tmp_path) as mall:
            for _ in range(2):
                await mall.issue("ktp")
            await caught_up(mall, mirror)
            async with national_page(browser, mirror.url) as page:
                tag = await until(page, "() => document.querySelector('#rows tr .tag.mirror')?.textContent")
                assert tag == "server mal · terhubung 09.00 WIB", tag
                # An outside review: at 1366x768 the tag broke after "server", half of it beside the name and half
                # under it. It goes under the name whole, on one line; on a phone it stays one box in its cell.
                assert await page.evaluate(TAG_SHAPE) == {"boxes": 1, "lines": 1, "inside": True}
                await page.set_viewport_size({"width": 390, "height": 844})
                shape = await page.evaluate(TAG_SHAPE)
                assert shape["boxes"] == 1 and shape["inside"], shape
                await page.set_viewport_size({"width": 1366, "height": 768})
                # Its screens as its own server reports them (none on at the mall), said so in the cell's tooltip.
                total = len(mall.ctx.sites["tegal"].screens)
                screens = "() => document.querySelector('#rows tr td.screens').textContent"
                assert await page.evaluate(screens) == f"{total} / {total}"
                said = "() => document.querySelector('#rows tr td.screens').title"
                assert (await page.evaluate(said)).startswith("Menurut server mal sendiri")
                waiting = "() => document.querySelector('#rows tr td.waiting').textContent"
                assert await page.evaluate(waiting) == "2"

                page = await page.context.new_page()
                await page.goto(mirror.url + "/supervisor/tegal")
                await supervisor_sign_in(page, "supervisor", "demo-supervisor")
                await until(page, "() => document.getElementById('kpi-waiting').textContent === '2'")
                assert await page.is_visible("#mirrored")
                assert await page.text_content("#mirrored") == "Server mal sendiri · hanya tampilan"
                # Not "all its screens down" from here, where none of them connects: as its server reports them.
                assert await page.text_content("#kpi-devices") == f"{total} / {total}"
                assert (await page.get_attribute("#kpi-devices", "title") or "").startswith("Menurut server mal")
                assert not await page.is_visible("#actions"), "no running text, ticket action or day close here"
                assert await page.locator("#counters button").count() == 0, "no counter is opened or closed here"


async def test_the_national_page_and_the_dashboard_say_a_mall_s_text_is_withheld_never_the_text(
    browser: Browser, database: Path | str
) -> None:
    """The ministry's person sees in the mall's national row that it has a text to fix (a red tag, the alert's
    sentence as its tooltip, the totals' count), and the mall's dashboard there the alert; neither shows the text."""
    async with running_server(database, mirrored=["tegal"]) as mirror:
        token = bearer(await uplink_token(mirror))
        r = await mirror.http.post("/api/v1/sites/tegal/uplink", json={"after": 0, "events": [running_text(1, NAMING)]},
                                   headers=token)  # fmt: skip
        assert r.status_code == 200, r.text
        async with national_page(browser, mirror.url) as page:
            tag = await until(page, "() => document.querySelector('#rows tr .tag.withheld')?.textContent")
            assert tag == "data pribadi ditahan", tag
            title = await page.evaluate("() => document.querySelector('#rows tr .tag.withheld').title")
            assert title.startswith("Teks berjalan mal ini yang diganti pada ") and "admin mal" in title, title
            totals = await page.evaluate("() => document.querySelector('tr.totals .tag.withheld').textContent")
            assert totals == "1 data pribadi ditahan"
            assert "Siti" not in await page.content()

            page = await page.context.new_page()
            await page.goto(mirror.url + "/supervisor/tegal")
            await supervisor_sign_in(page, "supervisor", "demo-supervisor")
            said = await until(page, "() => document.querySelector('.alert.running_text_withheld')?.textContent")
            assert "memuat data pribadi warga" in said and "Siti" not in said, said
            assert "Siti" not in await page.content()


async def test_an_event_already_relayed_is_named_by_its_seq_at_the_mall(database: Path | str) -> None:
    """The mirror's log keeps each event's seq at the mall (`source_seq`): what the mall's staff and the ministry
    compare when they look for one event in both."""
    async with running_server(database, mirrored=["tegal"]) as mirror:
        token = bearer(await uplink_token(mirror))
        events = [running_text(5, "a"), running_text(11, "b")]
        r = await mirror.http.post("/api/v1/sites/tegal/uplink", json={"after": 0, "events": events}, headers=token)
        assert r.status_code == 200, r.text
        assert [e[0] for e in await log_of(mirror, relayed=True)] == [5, 11]
        r = await mirror.http.get("/api/v1/sites/tegal/uplink", params={"newest": 11, "protocol": 3}, headers=token)
        made = fingerprint("site.running_text", {"text": "b"})  # as the mall's log holds it
        assert r.json() == {"site": "tegal", "mirrored": True, "after": 11, "surveys": None, "fingerprint": made,
                            "protocol": 3}  # fmt: skip
        assert made.startswith("3:")
        # A box of the release before says where its log ends but not what it speaks: it gets a fingerprint of its
        # own kind (2).
        r = await mirror.http.get("/api/v1/sites/tegal/uplink", params={"newest": 11}, headers=token)
        assert r.json()["fingerprint"] == fingerprint_for(2, "site.running_text", {"text": "b"}) != made
        assert r.json()["fingerprint"].startswith("2:")
        # A box of an earlier release says not where its log ends: it fingerprints events whole, and gets none.
        r = await mirror.http.get("/api/v1/sites/tegal/uplink", headers=token)
        assert r.json()["fingerprint"] is None
        r = await mirror.http.get("/api/v1/sites/tegal/uplink", params={"newest": "-1"}, headers=token)
        assert r.status_code == 422 and r.json()["error"]["details"] == {"field": "newest"}, r.text
        r = await mirror.http.get("/api/v1/sites/tegal/uplink", params={"newest": 11, "protocol": "3a"}, headers=token)
        assert r.status_code == 422 and r.json()["error"]["details"] == {"field": "protocol"}, r.text


async def test_a_change_of_configuration_at_the_mall_reaches_the_mirror(database: Path | str, tmp_path: Path) -> None:
    async with running_server(database, mirrored=["tegal"]) as mirror:
        token = await uplink_token(mirror)
        async with mall_of(mirror.url, token, tmp_path) as mall:
            admin = await mall.login("admin")
            url = "/api/v1/sites/tegal/configuration"
            document = (await mall.http.get(url, headers=admin)).json()["document"]
            agency = next(a for a in document["agencies"] if a["id"] == "disdukcapil")
            agency["counters"].append({"id": "27", "name": "Loket 27", "services": ["ktp"]})
            r = await mall.http.put(url, json={"version": 0, "document": document}, headers=admin)
            assert r.status_code == 200, r.text
            await caught_up(mall, mirror)
            assert mirror.ctx.sites["tegal"].counters["27"].name == "Loket 27"
            assert mirror.ctx.state("tegal").configuration.version == 1
    # Started again, the mirror serves the mall's configuration, not its own copy of the site file.
    async with running_server(database, mirrored=["tegal"]) as again:
        assert "27" in again.ctx.sites["tegal"].counters
        assert again.ctx.state("tegal").relayed_head == (await log_of(again, relayed=True))[-1][0]


# --- the rules alone (domain/relay.py), on a small site built in code ---------------------------------------------


def numbered(events: list[Event], first: int) -> list[Event]:
    """Events as the mall's log numbers them, read back (no parsed objects: as they arrive from the wire)."""
    return [Event(e.type, e.site, e.at, e.data, first + i) for i, e in enumerate(events)]


def test_a_relayed_pause_and_close_keep_who_and_when_and_a_field_the_mirror_does_not_know_is_kept_as_sent() -> None:
    """`paused_by`/`closed_by` (and their times) travel to the mirror and its copy fingerprints as the mall's event.
    A mirror of an earlier release meets them as fields it does not know: a snapshot is read by the fields the reader
    knows and the event is kept as sent, so its fingerprint still agrees (shown here with a field this release does
    not know either)."""
    now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    mall = SiteState(make_site())
    log: list[Event] = []
    for command in (c.OpenCounter("1", "sari"), c.PauseCounter("1", by="sari"), c.CloseCounter("1", by="budi")):
        for event in decide(mall, command, now):
            apply(mall, event)
            log.append(event)
    future = Event(ev.COUNTER_CLOSED, mall.site.id, now, {"counter": {**log[-1].data["counter"], "later_field": "x"}})
    mirror = SiteState(make_site(), mirrored=True)
    relayed = decide(mirror, c.Relay(tuple(numbered([*log, future], 1)), 0), now)
    assert [e.data["counter"].get("paused_by") for e in relayed] == [None, "sari", "sari", "sari"]
    assert relayed[2].data["counter"]["closed_by"] == "budi" and relayed[3].data["counter"]["later_field"] == "x"
    for sent, kept in zip([*log, future], relayed, strict=True):
        assert fingerprint_for(3, kept.type, kept.data) == fingerprint(sent.type, sent.data)
    for event in relayed:
        apply(mirror, event)
    assert (mirror.counters["1"].closed_by, mirror.counters["1"].closed_at) == ("budi", now)


def test_a_relayed_event_names_only_services_and_counters_the_mall_has() -> None:
    now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    mall = SiteState(make_site())
    site_id = mall.site.id
    log = decide(mall, c.IssueTicket("ktp", "t1", "tok1"), now) + decide(mall, c.OpenCounter("1"), now)
    mirror = SiteState(make_site(), mirrored=True)
    relayed = decide(mirror, c.Relay(tuple(numbered(log, 1)), 0), now)
    assert [e.data["source_seq"] for e in relayed] == [1, 2]  # decided, not applied: the copy still ends at 0

    ticket = dict(log[0].data["ticket"], service="paspor")
    unknown_service = Event(ev.TICKET_ISSUED, site_id, now, {"ticket": ticket}, 3)
    counter = dict(log[1].data["counter"], id="99")
    unknown_counter = Event(ev.COUNTER_OPENED, site_id, now, {"counter": counter}, 3)
    for event, said in ((unknown_service, "service 'paspor'"), (unknown_counter, "counter '99'")):
        with pytest.raises(Refusal) as refused:
            decide(mirror, c.Relay((event,), 0), now)
        assert refused.value.code == "uplink_event_invalid" and said in refused.value.params["why"]

    # A service added by a configuration in the same batch is known from that event on.
    site = make_site()
    added = replace(site, services={**site.services, "paspor": replace(site.services["ktp"], id="paspor")})
    configured = Event(ev.SITE_CONFIGURED, site_id, now, {"version": 1, "source": "web", "file_hash": "",
                                                          "document": {}}, 3, objects={"site": added})  # fmt: skip
    batch = (configured, Event(ev.TICKET_ISSUED, site_id, now, {"ticket": ticket}, 4))
    assert len(decide(mirror, c.Relay(batch, 0), now)) == 2
    # And a mirrored site takes no other command.
    with pytest.raises(Refusal) as refused:
        decide(mirror, c.IssueTicket("ktp", "t2", "tok2"), now)
    assert refused.value.code == "site_mirrored"


async def test_a_mall_touches_nothing_of_another_mall_and_stays_mirrored(database: Path | str, tmp_path: Path) -> None:
    files = [DEMO_SITE, brebes_site(tmp_path)]
    async with running_server(database, site_files=files, mirrored=["tegal"]) as mirror:
        token = bearer(await uplink_token(mirror))
        brebes_ticket = await issue(mirror, "brebes", "ktp")  # a mall hosted on the mirroring server
        # The mall's ticket with the link of the hosted mall's ticket: the link is not kept (a mirror keeps none), so
        # it still opens the hosted mall's ticket, and only that.
        link = {
            **running_text(1),
            "type": "ticket.issued",
            "data": {"ticket": {**real_ticket(), "token": brebes_ticket["token"]}},
        }
        r = await mirror.http.post("/api/v1/sites/tegal/uplink", json={"after": 0, "events": [link]}, headers=token)
        assert r.status_code == 200, r.text
        r = await mirror.http.get(f"/api/v1/tickets/{brebes_ticket['token']}")
        assert r.status_code == 200 and r.json()["ticket"]["id"] == brebes_ticket["id"], r.text
        stolen = {
            **running_text(2),
            "type": "ticket.issued",
            "data": {"ticket": {**real_ticket(), "id": brebes_ticket["id"]}},
        }
        r = await mirror.http.post("/api/v1/sites/tegal/uplink", json={"after": 1, "events": [stolen]}, headers=token)
        assert r.status_code == 422 and "another's here" in r.json()["error"]["message_en"], r.text
        answer = {"ticket": brebes_ticket["id"], "day": "2026-11-23", "service": "ktp", "agency": "disdukcapil",
                  "counter": "1", "channel": "tablet", "answered_at": "2026-11-23T02:10:00+00:00", "answers": [1] * 9}  # fmt: skip
        r = await mirror.http.post("/api/v1/sites/tegal/uplink/surveys", json={"answers": [answer]}, headers=token)
        assert r.status_code == 200 and r.json()["received"] == 0, r.text
        assert [(x["index"], x["why"]) for x in r.json()["refused"]] == [(1, f"ticket {brebes_ticket['id']} was not "
                                                                           "sent here")]  # fmt: skip
        assert (await issue(mirror, "brebes", "ktp"))["label"] == "A-002", "the hosted mall goes on untouched"

        # The mall's own ticket, served at 09.05: answers for it from a clock more than a day ahead, or dated before
        # it was served, are refused; a ticket answers once.
        own = real_ticket()
        done = {**own, "state": "done", "counter": "1", "called_at": "2026-11-23T02:02:00+00:00",
                "started_at": "2026-11-23T02:03:00+00:00", "finished_at": "2026-11-23T02:05:00+00:00"}  # fmt: skip
        r = await mirror.http.post("/api/v1/sites/tegal/uplink", headers=token, json={"after": 1, "events": [
            {**running_text(2), "type": "ticket.finished", "data": {"ticket": done}}]})  # fmt: skip
        assert r.status_code == 200, r.text
        ahead = {**answer, "ticket": own["id"], "answered_at": "2026-11-24T03:00:00+00:00"}
        early = {**ahead, "answered_at": "2026-11-23T02:04:00+00:00"}
        r = await mirror.http.post("/api/v1/sites/tegal/uplink/surveys", json={"answers": [ahead, early]},
                                   headers=token)  # fmt: skip
        assert r.status_code == 200 and r.json()["received"] == 0, r.text
        refused = {x["index"]: x["why"] for x in r.json()["refused"]}
        assert "its clock ahead?" in refused[1] and "before ticket" in refused[2], refused
        # An answer naming a service, an agency or a counter the ticket does not have is kept as the ticket's; one
        # dated hours ahead of the mirror's clock (a day at most: the mall's clock fast) is kept as it was dated.
        mislabelled = {**ahead, "answered_at": "2026-11-23T05:00:00+00:00", "service": "no-such-service",
                       "agency": "nobody", "counter": "99", "day": "2031-01-01"}  # fmt: skip
        r = await mirror.http.post("/api/v1/sites/tegal/uplink/surveys", json={"answers": [mislabelled] * 2},
                                   headers=token)  # fmt: skip
        assert r.status_code == 200 and (r.json()["received"], r.json()["ahead"]) == (1, 1), r.text
        assert [(x["index"], x["why"]) for x in r.json()["refused"]] == [(2, "a ticket answers once (twice in this "
                                                                           "batch)")]  # fmt: skip
        assert r.json()["newest"] == {"answered_at": "2026-11-23T05:00:00.000000+00:00", "ticket": own["id"]}
        kept = await mirror.ctx.storage.survey_rows_since("tegal", "", 10)
        assert [row[:5] for row in kept] == [(own["id"], "2026-11-23", "ktp", "disdukcapil", "1")]

        # What only the mall's own server takes: kiosk and display tokens, webhooks.
        admin = await mirror.login("admin")
        r = await mirror.http.post("/api/v1/sites/tegal/device-tokens", json={"kind": "kiosk", "name": "Kios"},
                                   headers=admin)  # fmt: skip
        assert r.status_code == 409 and r.json()["error"]["code"] == "site_mirrored", r.text
        r = await mirror.http.post("/api/v1/sites/tegal/webhooks", json={"url": "https://example.go.id/hook",
                                   "events": "*"}, headers=admin)  # fmt: skip
        assert r.status_code == 409 and r.json()["error"]["code"] == "site_mirrored", r.text
    # Started again without --mirror, by mistake: the mall's copy stays read only, and goes on where it ended.
    async with running_server(database, site_files=files) as again:
        r = await again.http.post("/api/v1/sites/tegal/tickets", json={"service": "ktp"}, headers=bearer(KIOSK))
        assert r.status_code == 409 and r.json()["error"]["code"] == "site_mirrored", r.text
        r = await again.http.get("/api/v1/sites/tegal/uplink", headers=token)
        assert r.json()["after"] == 2 and r.json()["mirrored"] is True


def test_every_kind_of_event_a_mall_makes_is_taken_and_makes_the_same_state() -> None:
    """What a real mall writes must never be refused (its uplink would stop for good): a day of every command,
    decided on the demo mall's state, relayed to a mirror in batches, ends in the same tickets, counters, bookings
    and days."""
    site = load_site(DEMO_SITE)
    mall, mirror = SiteState(site), SiteState(site, mirrored=True)
    clock = [datetime(2026, 11, 23, 1, 0, tzinfo=UTC)]  # Monday 08:00 WIB
    log: list[Event] = []

    def do(command: c.Command, minutes: float = 1) -> list[Event]:
        clock[0] += timedelta(minutes=minutes)
        events = decide(mall, command, clock[0])
        for event in events:
            apply(mall, event)
        base = len(log)  # the mall's log numbers them; read back as JSON, as they arrive from the wire
        log.extend(
            [Event(e.type, e.site, e.at, json.loads(json.dumps(e.data)), base + i + 1) for i, e in enumerate(events)]
        )
        return events

    day = clock[0].astimezone(site.tz).date()
    do(c.BookSlot("ktp", day, time(9, 0), "h" * 64, "0812****89", "b1", "KODE1", None), 0)
    do(c.BookSlot("ktp", day, time(9, 30), "g" * 64, "0813****12", "b2", "KODE2", None), 0)
    for n in range(1, 9):
        priority = "lansia" if n == 3 else None
        do(c.IssueTicket("ktp" if n % 2 else "kia", f"t{n}", f"tok{n}", priority=priority, channel="kiosk"))
    do(c.LeaveContact("tok4", "t:t4"))
    do(c.LeaveContact("tok6", "t:t6"))
    do(c.RemoveContact("tok6"))
    for counter in ("1", "2", "3"):
        do(c.OpenCounter(counter, operator=f"op{counter}"))
    do(c.CallNext("1"))
    do(c.Recall("1"))
    do(c.StartService("1"))
    do(c.FinishService("1"))
    do(c.CallNext("2"))
    do(c.MarkNoShow("2"))
    do(
        c.RequeueTicket(
            mall.counters["2"].current or next(t.id for t in mall.tickets.values() if t.state.value == "no_show")
        )
    )
    do(c.CallNext("2"))
    do(c.ParkTicket("2", note="menunggu fotokopi"))
    do(c.CallNext("1"))
    do(c.TransferTicket("kk", "t1-kk", counter="1", note="pindah ke KK"))
    do(c.CheckIn("KODE1", "tb1", "tokb1"), 45)
    do(c.CancelBooking("KODE2"))
    do(c.CallNext("3"))
    do(c.StartService("3"))
    do(c.FinishService("3"))
    parked = next(t.id for t in mall.tickets.values() if t.state.value == "parked")
    do(c.UnparkTicket("2", parked))
    do(c.CancelTicket("t8", "pergi"))
    do(c.PauseCounter("1"))
    do(c.OpenCounter("1"))
    do(c.SetRunningText("Loket 3 istirahat pukul 12.00"))
    do(c.BookSlot("ktp", day, time(14, 0), "f" * 64, "0814****34", "b3", "KODE3", None), 0)  # not while KTP is paused
    do(c.PauseIssuing("Gangguan jaringan/sistem pusat", agency="disdukcapil", until=time(13, 0)))
    do(c.ResumeIssuing(service="kk"))
    do(c.CloseCounter("3"))
    do(c.ReleaseLateBookings(), 400)
    do(c.CloseDay(day), 60)
    do(c.ReopenDay(day), 0)
    kinds = {e.type for e in log}
    assert kinds >= set(ev.EVENT_TYPES) - {ev.SITE_CONFIGURED, ev.TICKET_EXPIRED, ev.TICKET_RETURNED}, (
        set(ev.EVENT_TYPES) - kinds
    )

    after = 0
    for start in range(0, len(log), 7):  # in batches, as the uplink sends them
        batch = tuple(log[start : start + 7])
        for event in decide(mirror, c.Relay(batch, after), clock[0]):
            apply(mirror, event)
        after = batch[-1].seq
    assert mirror.relayed_head == log[-1].seq
    # Each ticket as the mall has it, but for its citizen's link and staff's note (domain/relay.withheld).
    assert mirror.tickets == {key: replace(t, token="", note=None) for key, t in mall.tickets.items()}
    # Each booking too, but for its code, hashes, contact and masked number.
    assert mirror.bookings == {key: replace(b, code=f"withheld:{b.id}", nik_hash=f"withheld:{b.id}", phone_masked="",
                                            contact=None, phone_hash=None) for key, b in mall.bookings.items()}  # fmt: skip
    assert not mirror.by_token and not set(mall.booking_codes) & set(mirror.booking_codes)
    assert mirror.counters == mall.counters and mirror.closed_days == mall.closed_days
    assert mirror.current_running_text == mall.current_running_text
    assert (
        mirror.issuing_paused == mall.issuing_paused
        and "ktp" in mall.issuing_paused
        and "kk" not in mall.issuing_paused
    )


def take_over(database: Path | str) -> subprocess.CompletedProcess[str]:
    cli = [sys.executable, "-m", "queue_server", "mirror", "take-over", "--site-id", "tegal", "--db", str(database),
           "--site", str(DEMO_SITE)]  # fmt: skip
    return subprocess.run(cli, capture_output=True, text=True, timeout=60)


async def test_a_mall_taken_over_is_served_here_and_its_box_sends_no_more(database: Path | str, tmp_path: Path) -> None:
    """A mall moves from its own box to the server that mirrored it (docs/deployment.md, "Taking a mall over"):
    the mirror's copy becomes its own log, the numbers go on, and the box's uplink token no longer works."""
    async with running_server(database, mirrored=["tegal"]) as mirror:
        token = await uplink_token(mirror)
        port = mirror.config.port
        async with mall_of(mirror.url, token, tmp_path) as mall:
            for _ in range(3):
                await mall.issue("ktp")
            await caught_up(mall, mirror)
            relayed = mirror.ctx.state("tegal").relayed_head
    done = take_over(database)
    assert done.returncode == 0, done.stderr
    assert f"up to that server's event {relayed}" in done.stdout and "revoked: 1" in done.stdout, done.stdout
    again = take_over(database)
    assert again.returncode == 1 and "holds no log sent up from its own server" in again.stderr, again.stderr

    # Started again, even by mistake still with --mirror tegal, it serves the mall: a box's log is not mixed in.
    async with running_server(database, mirrored=["tegal"], port=port) as central:
        assert not central.ctx.state("tegal").mirrored
        assert (await central.issue("ktp"))["ticket"]["label"] == "A-004", "the mall's numbers go on"
        r = await central.http.get("/api/v1/sites/tegal/uplink", headers=bearer(token))
        assert r.status_code == 401, "the box's uplink token was revoked"
        today = datetime.now(UTC).date()  # the command line's clock, not the test's
        days = {"from": str(today - timedelta(days=1)), "to": str(today + timedelta(days=1))}
        audit = await central.http.get("/api/v1/sites/tegal/audit", params=days, headers=await central.login("admin"))
        entries = [e for e in audit.json()["entries"] if e["action"] == "site.take_over"]
        assert len(entries) == 1 and "kini dilayani server ini" in entries[0]["summary"]["id"], audit.text


def mirror_cli(database: Path | str, *args: str) -> subprocess.CompletedProcess[str]:
    cli = [sys.executable, "-m", "queue_server", "mirror", *args, "--site-id", "tegal", "--db", str(database),
           "--site", str(DEMO_SITE)]  # fmt: skip
    return subprocess.run(cli, capture_output=True, text=True, timeout=60)


async def test_a_mall_taken_over_keeps_its_bookings_codes_from_the_hand_over_file(
    database: Path | str, tmp_path: Path
) -> None:
    """Bookings taken at the mall's own server went up without their codes (protocol 3), so after a take-over the
    citizens who had booked there were "unknown_booking" at check-in. Its server hands the codes over in a file
    (`mirror hand-over`), and `take-over --bookings` gives them back; without it a take-over with bookings still
    to be checked in is refused, changing nothing, unless the mall's server is said to be lost."""
    async with running_server(database, mirrored=["tegal"]) as mirror:
        token = await uplink_token(mirror)
        port = mirror.config.port
        async with mall_of(mirror.url, token, tmp_path) as mall:
            made = [await book_at(mall, n, slot) for n, slot in ((1, "09:30"), (2, "10:00"), (3, "11:00"))]
            r = await mall.http.post(f"/api/v1/bookings/{made[2]['code']}/cancel")
            assert r.status_code == 200, r.text
            await caught_up(mall, mirror)
            relayed = mirror.ctx.state("tegal").relayed_head
            at_booking = mall.clock.now
    box, handed = tmp_path / "mall.sqlite3", tmp_path / "codes.json"

    refused = take_over(database)
    assert refused.returncode == 1 and "2 bookings of tegal still to be checked in" in refused.stderr, refused.stderr
    assert "mirror hand-over" in refused.stderr and "Nothing was changed" in refused.stderr
    wrong = tmp_path / "wrong.json"
    for text, said in (("{not json", "cannot be read as a hand-over file"),
                       ('{"format": "something else"}', "is not a file made by `queue-server mirror hand-over`")):  # fmt: skip
        wrong.write_text(text)
        done = mirror_cli(database, "take-over", "--bookings", str(wrong))
        assert done.returncode == 1 and said in done.stderr and "Traceback" not in done.stderr, done.stderr

    made_file = mirror_cli(box, "hand-over", "--to", str(handed))
    assert made_file.returncode == 0 and "codes of 2 bookings" in made_file.stdout, made_file.stderr
    assert handed.stat().st_mode & 0o777 == 0o600
    content = json.loads(handed.read_text())
    assert set(content["codes"].values()) == {made[0]["code"], made[1]["code"]}, "only those still to check in"
    assert content["newest_seq"] == relayed
    assert not {"nik", "phone", "nik_hash", "phone_hash"} & {k for b in made for k in b if k in handed.read_text()}
    again = mirror_cli(box, "hand-over", "--to", str(handed))
    assert again.returncode == 1 and "exists already" in again.stderr, "never overwritten"

    done = mirror_cli(database, "take-over", "--bookings", str(handed))
    assert done.returncode == 0, done.stderr
    assert "Codes given back to bookings taken at the mall's own server: 2." in done.stdout, done.stdout
    async with running_server(database, port=port) as central:
        central.clock.now = at_booking + timedelta(minutes=10)  # 09:10: the 09:30 booking's check-in is open
        shown = await central.http.get(f"/api/v1/bookings/{made[1]['code']}")
        assert shown.status_code == 200 and shown.json()["booking"]["slot"] == "10:00", shown.text
        r = await central.http.post(f"/api/v1/sites/tegal/bookings/{made[0]['code']}/check-in", headers=bearer(KIOSK))
        assert r.status_code == 201, r.text
        assert (await central.http.get(f"/api/v1/bookings/{made[2]['code']}")).status_code == 404, "cancelled there"
        entries = await central.ctx.storage.fetch_all("SELECT details FROM audit WHERE action = 'site.take_over'")
        assert [json.loads(e[0])["codes_given"] for e in entries] == [2], entries


def test_a_hand_over_file_must_end_where_the_copy_ends() -> None:
    """A file made before the copy ended misses bookings taken since; one made after, bookings the copy lacks."""
    from queue_server.application.hand_over import FORMAT, codes_of

    document = {"format": FORMAT, "site": "tegal", "newest_seq": 40, "codes": {"b1": "BK-7Q3M2X"}}
    assert codes_of(document, "tegal", 40, "f.json") == {"b1": "BK-7Q3M2X"}
    for relayed, said in ((41, "before the copy here ended"), (39, "went on after the copy here ended")):
        with pytest.raises(ValueError, match=said):
            codes_of(document, "tegal", relayed, "f.json")
    with pytest.raises(ValueError, match="not 'brebes'"):
        codes_of(document, "brebes", 40, "f.json")
    with pytest.raises(ValueError, match="codes are damaged"):
        codes_of({**document, "codes": {"b1": "'; DROP TABLE bookings"}}, "tegal", 40, "f.json")


def put_back(backup: Path, database: Path) -> None:
    """As `queue-server restore --replace` leaves it: the backup alone, no write-ahead log of the newer file."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    backup.rename(database)


def forget_copy(database: Path | str) -> subprocess.CompletedProcess[str]:
    cli = [sys.executable, "-m", "queue_server", "mirror", "forget", "--site-id", "tegal", "--db", str(database),
           "--site", str(DEMO_SITE)]  # fmt: skip
    return subprocess.run(cli, capture_output=True, text=True, timeout=60)


async def test_a_box_restored_from_an_older_backup_is_not_spliced_into_the_copy(
    database: Path | str, tmp_path: Path
) -> None:
    """A box restored from a backup older than the mirror's copy, and used since, has other events under the numbers
    the mirror already holds: once its log passes the copy's end, it must not continue it (an outside review saw the
    two histories spliced). The copy is forgotten on the mirror and sent again whole."""
    backup = tmp_path / "backup.sqlite3"
    async with running_server(database, mirrored=["tegal"]) as mirror:
        token = await uplink_token(mirror)
        port = mirror.config.port
        async with mall_of(mirror.url, token, tmp_path) as mall:
            for _ in range(2):
                await mall.issue("ktp")
            await caught_up(mall, mirror)
            with sqlite3.connect(tmp_path / "mall.sqlite3") as live, sqlite3.connect(backup) as copy:
                live.backup(copy)  # what `queue-server backup` makes, taken here
            for _ in range(3):
                await mall.issue("ktp")
            await caught_up(mall, mirror)
        copied = await log_of(mirror, relayed=True)
        put_back(backup, tmp_path / "mall.sqlite3")
        async with mall_of(mirror.url, token, tmp_path) as mall:  # restored, and used again
            for _ in range(6):
                await mall.issue("kk")
            uplink = mall.ctx.uplink
            assert await mall.ctx.storage.newest_seq("tegal") > copied[-1][0]

            def refused() -> bool:
                return "differs from this server's" in (uplink.status["tegal"].last_error or "")

            await eventually(refused, "the box says its log and the copy differ")
            assert await log_of(mirror, relayed=True) == copied, "nothing of the other history reached the copy"
            # Sent by hand, with the box's fingerprint of that event: refused the same.
            rows = await mall.ctx.storage.event_rows_after("tegal", copied[-1][0] - 1, 2)
            made = fingerprint(rows[0][1], json.loads(rows[0][3]))
            event = {"seq": rows[1][0], "type": rows[1][1], "site": "tegal", "at": rows[1][2],
                     "data": json.loads(rows[1][3])}  # fmt: skip
            body = {"after": copied[-1][0], "events": [event], "fingerprint": made}
            r = await mirror.http.post("/api/v1/sites/tegal/uplink", json=body, headers=bearer(token))
            assert r.status_code == 409 and r.json()["error"]["code"] == "uplink_forked", r.text
            assert "mirror forget" in r.json()["error"]["message"]
    done = forget_copy(database)
    assert done.returncode == 0 and "is forgotten" in done.stdout, done.stderr
    async with running_server(database, mirrored=["tegal"], port=port) as mirror:
        assert mirror.ctx.state("tegal").tickets == {}
        async with mall_of(mirror.url, token, tmp_path) as mall:
            await caught_up(mall, mirror)  # the box's history, whole, and nothing else
            assert len(mirror.ctx.state("tegal").tickets) == 8


async def test_the_national_csv_says_a_mall_s_data_is_withheld_by_kind_and_since_never_the_text(
    database: Path | str,
) -> None:
    """The national view's CSV has the page's "data pribadi ditahan" tag as two columns: the kinds of what is withheld
    (as GET /api/v1/national's `withheld.kinds`) and since when; the totals count the malls; never the text."""
    import csv
    import io

    async with running_server(database, mirrored=["tegal"]) as mirror:
        admin = await mirror.login("admin")
        r = await mirror.http.get("/api/v1/national.csv", headers=admin)
        rows = {row["site"]: row for row in csv.DictReader(io.StringIO(r.text))}
        assert (rows["tegal"]["withheld"], rows["tegal"]["withheld_since"], rows["total"]["withheld"]) == ("", "", "0")
        token = bearer(await uplink_token(mirror))
        r = await mirror.http.post("/api/v1/sites/tegal/uplink", json={"after": 0, "events": [running_text(1, NAMING)]},
                                   headers=token)  # fmt: skip
        assert r.status_code == 200, r.text
        withheld = (await mirror.http.get("/api/v1/national", headers=admin)).json()["sites"][0]["withheld"]
        r = await mirror.http.get("/api/v1/national.csv", headers=admin)
        assert r.status_code == 200, r.text
        rows = {row["site"]: row for row in csv.DictReader(io.StringIO(r.text))}
        assert rows["tegal"]["withheld"] == "running_text_withheld" == " ".join(withheld["kinds"])
        since = datetime.fromisoformat(rows["tegal"]["withheld_since"])  # in the mall's time: the same moment
        assert since == datetime.fromisoformat(withheld["since"]) and since.utcoffset() == timedelta(hours=7), since
        assert rows["total"]["withheld"] == "1" and rows["total"]["withheld_since"] == ""
        excel = await mirror.http.get("/api/v1/national.csv", params={"excel": "1"}, headers=admin)
        assert "Data pribadi ditahan;Ditahan sejak" in excel.text, excel.text.splitlines()[0]
        for part in ("Siti", "3328011201800001", "3456"):
            assert part not in r.text + excel.text, part
