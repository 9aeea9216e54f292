"""A service's issuing paused with a reason ("Blangko habis", the agency's central system down) and resumed: with a
real server, the real websockets client and Chromium. Refused at the kiosk, the desk and the API with the reason;
the waiting citizens stay and can be called; kept across a restart (on SQLite and PostgreSQL); a reason naming a
citizen refused; an operator of another agency refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from queue_server.supervision import audit

from .helpers import KIOSK, Server, bearer, running_server
from .test_accessibility import need_axe, violations
from .test_citizen_kiosk_live import kiosk_hello, next_frame
from .test_citizen_support import bounded, chromium, fast, open_page, shot, text, until

BOTH_DATABASES = True

KTP = ".k-service[data-service='ktp']"


async def pause(server: Server, headers: dict[str, str], **body: Any) -> Any:
    return await server.http.post("/api/v1/sites/tegal/pause-issuing", json=body, headers=headers)


async def resume(server: Server, headers: dict[str, str], **body: Any) -> Any:
    return await server.http.post("/api/v1/sites/tegal/resume-issuing", json=body, headers=headers)


async def take(server: Server, service: str = "ktp") -> Any:
    return await server.http.post("/api/v1/sites/tegal/tickets", json={"service": service}, headers=bearer(KIOSK))


async def test_paused_then_resumed_the_kiosk_is_told_and_issuing_is_refused_with_the_reason(server: Server) -> None:
    waiting = await server.issue("ktp")
    sup = await server.login("supervisor")
    ws, snapshot = await kiosk_hello(server.ws_url, KIOSK)
    async with ws:
        assert snapshot["data"]["services"]["ktp"]["paused"] is None
        r = await pause(server, sup, service="ktp", reason="Blangko habis", until="13:00")
        assert r.status_code == 200, r.text
        assert r.json()["paused"]["ktp"]["reason"] == "Blangko habis"
        frame = await next_frame(ws, lambda f: f["type"] == "kiosk" and f["data"]["services"]["ktp"]["paused"])
        told = frame["data"]["services"]["ktp"]["paused"]
        assert told["reason"] == "Blangko habis" and told["until"].startswith("2026-11-23T13:00")
        assert frame["data"]["services"]["kk"]["paused"] is None, "one service only"

        refused = await take(server)
        assert refused.status_code == 409, refused.text
        error = refused.json()["error"]
        assert error["code"] == "issuing_paused"
        assert error["message"] == (
            "Pengambilan nomor antrean KTP Elektronik sementara berhenti: Blangko habis. Perkiraan dibuka kembali "
            "pukul 13.00. Antrean yang sudah ada tetap dilayani."
        ), error["message"]
        assert "Blangko habis" in error["message_en"] and "13:00" in error["message_en"]
        assert error["details"]["reason"] == "Blangko habis"
        assert (await take(server, "kk")).status_code == 201, "another service of the agency still issues"
        waits = (await server.http.get("/api/v1/sites/tegal/waits")).json()["services"]
        assert waits["ktp"]["paused"]["reason"] == "Blangko habis" and waits["kk"]["paused"] is None

        # The citizen already waiting is told on their phone, and is still called (the operator decides).
        status = (await server.http.get(waiting["status_url"])).json()
        assert status["issuing_paused"]["reason"] == "Blangko habis"
        op = await server.login("op-disdukcapil")
        assert (await server.command(op, "1", "open")).status_code == 200
        called = await server.command(op, "1", "call_next")
        assert called.status_code == 200, called.text
        assert called.json()["ticket"]["label"] == waiting["ticket"]["label"]

        r = await resume(server, sup, service="ktp")
        assert r.status_code == 200, r.text
        assert r.json()["paused"] == {}
        frame = await next_frame(ws, lambda f: f["type"] == "kiosk" and f["data"]["services"]["ktp"]["paused"] is None)
        assert (await take(server)).status_code == 201
        again = await resume(server, sup, service="ktp")
        assert again.status_code == 409 and again.json()["error"]["code"] == "issuing_not_paused"

    audit = (await server.http.get("/api/v1/sites/tegal/audit", headers=await server.login("admin"))).json()
    said = [
        (e["actor"], e["action"], e["summary"]["id"]) for e in audit["entries"] if e["action"].startswith("service.")
    ]
    assert ("supervisor", "service.resume", "Pengambilan nomor KTP Elektronik dilanjutkan") in said, said
    assert ("supervisor", "service.pause",
            "Pengambilan nomor KTP Elektronik dihentikan sementara: “Blangko habis”, perkiraan dibuka kembali "
            "pukul 13.00") in said, said  # fmt: skip
    # Kept neutral and said per language: the English line said "13.00", as Indonesian writes a time.
    paused = next(e for e in audit["entries"] if e["action"] == "service.pause")
    assert paused["details"]["until"] == "13:00", paused
    assert paused["summary"]["en"] == "Tickets for KTP Elektronik paused: “Blangko habis”, expected to resume at 13:00"


async def test_an_entry_of_an_earlier_release_says_its_expected_time_as_written(server: Server) -> None:
    """Entries written before the time was kept neutral hold "13.30": said as 13.30 and 13:30, not 13:00 and 0.3 s."""
    details = {"target_name": "KTP Elektronik", "reason": "Blangko habis", "until": "13.30"}
    said = audit.summary(server.ctx.site("tegal"), "service.pause", "service ktp", details)
    assert said["id"].endswith("pukul 13.30") and said["en"].endswith("expected to resume at 13:30"), said


async def test_a_whole_agency_paused_by_its_own_operator_and_not_by_another_agencys(server: Server) -> None:
    other = await server.login("op-polres")
    r = await pause(server, other, agency="disdukcapil", reason="Gangguan jaringan/sistem pusat")
    assert r.status_code == 403 and r.json()["error"]["code"] == "not_your_agency", r.text
    r = await pause(server, other, service="ktp", reason="Gangguan jaringan/sistem pusat")
    assert r.status_code == 403 and r.json()["error"]["code"] == "not_your_agency", r.text
    assert (await take(server)).status_code == 201, "nothing paused"

    own = await server.login("op-disdukcapil")
    r = await pause(server, own, agency="disdukcapil", reason="Gangguan jaringan/sistem pusat")
    assert r.status_code == 200, r.text
    agency_services = {s.id for s in server.ctx.sites["tegal"].services.values() if s.agency == "disdukcapil"}
    assert set(r.json()["paused"]) == agency_services
    for service in agency_services:
        refused = await take(server, service)
        assert refused.status_code == 409 and refused.json()["error"]["code"] == "issuing_paused", refused.text
    assert (await take(server, "skck")).status_code == 201, "another agency's service still issues"
    r = await resume(server, other, agency="disdukcapil")
    assert r.status_code == 403, r.text
    assert (await resume(server, own, agency="disdukcapil")).status_code == 200
    assert (await take(server)).status_code == 201


async def test_a_reason_naming_a_citizen_is_refused_and_nothing_is_paused(server: Server) -> None:
    sup = await server.login("supervisor")
    r = await pause(server, sup, service="ktp", reason="Ibu Siti Rahayu 081234567890 harap ke meja informasi")
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "invalid_field" and error["details"]["field"] == "reason"
    assert error["message"] == (
        "Alasan memuat nomor telepon dan nama warga: alasan ini ditunjukkan kepada warga dan tersimpan di log. Tulis "
        'penyebabnya saja, misalnya "Gangguan listrik" atau "Blangko habis".'
    ), "a reason's own sentence: a pause is not on the lobby screens, and no citizen is being called"
    assert "citizens are shown this reason" in error["message_en"], error["message_en"]
    r = await pause(server, sup, service="ktp", reason="Tunggu Bapak Ahmad Fauzi dari kantor pusat")
    assert r.status_code == 422 and "nama warga" in r.json()["error"]["message"], r.text
    assert (await take(server)).status_code == 201, "nothing paused"
    for body, code in (
        ({"service": "ktp", "reason": "  "}, "invalid_field"),
        ({"reason": "Blangko habis"}, "invalid_field"),
        ({"service": "ktp", "agency": "disdukcapil", "reason": "Blangko habis"}, "invalid_field"),
        ({"service": "nope", "reason": "Blangko habis"}, "unknown_service"),
        ({"service": "ktp", "reason": "Blangko habis", "until": "08:00"}, "issuing_pause_until_past"),
        ({"service": "ktp", "reason": "Blangko habis", "until": "jam satu"}, "invalid_field"),
        ({"service": "ktp", "reason": "x" * 121}, "invalid_field"),
    ):
        r = await pause(server, sup, **body)
        assert 400 <= r.status_code < 500 and r.json()["error"]["code"] == code, (body, r.text)
    assert (await take(server)).status_code == 201, "nothing paused"
    assert (await pause(server, {}, service="ktp", reason="Blangko habis")).status_code == 401


async def test_a_pause_and_a_closed_day_take_their_reason_by_one_rule(server: Server) -> None:
    """Both reasons are said to citizens: the same text is refused the same way by pause-issuing and close-day (the
    status, the code, the field, the sentence), and a line break folds at both. Before, a pause read its reason
    unfolded (a phone number split over two lines reached the kiosk) and a closed day refused a line break."""
    sup = await server.login("supervisor")
    before = server.ctx.storage.last_seq
    for reason in (
        "Hubungi 0812  \n  3456-7890",
        "Ibu\nSiti menunggu di lobi",
        "Gangguan\u202elistrik",
        "Gangguan listrik " + "x" * 120,
        "x" * 481,
    ):
        paused = await pause(server, sup, service="ktp", reason=reason)
        closed = await server.http.post("/api/v1/sites/tegal/close-day", json={"reason": reason}, headers=sup)
        assert paused.status_code == closed.status_code == 422, (reason, paused.text, closed.text)
        assert paused.json()["error"] == closed.json()["error"], reason
        assert paused.json()["error"]["details"]["field"] == "reason"
    assert server.ctx.storage.last_seq == before, "nothing paused, nothing closed"
    paused = await pause(server, sup, service="ktp", reason="Gangguan\r\nsistem pusat.")
    assert paused.status_code == 200, paused.text
    assert paused.json()["paused"]["ktp"]["reason"] == "Gangguan sistem pusat"
    closed = await server.http.post("/api/v1/sites/tegal/close-day", json={"reason": "Gangguan\nlistrik."}, headers=sup)
    assert closed.status_code == 200 and closed.json()["reason"] == "Gangguan listrik", closed.text


async def test_the_expected_time_is_taken_as_written_or_refused(server: Server) -> None:
    """A time written "13.30", as Indonesian writes one (the pages say "pukul 13.30"), was read as 13:00 and 0.3
    seconds, and citizens were told "pukul 13.00"; one half written ("13", "1330") was taken too. Now refused."""
    sup = await server.login("supervisor")
    r = await pause(server, sup, service="ktp", reason="Blangko habis", until="13.30")
    assert r.status_code == 200, r.text
    assert r.json()["paused"]["ktp"]["until"] == "2026-11-23T13:30:00+07:00"
    refused = await take(server)
    assert "pukul 13.30" in refused.json()["error"]["message"], refused.text
    for written in ("13", "1330", "T13", "13,5", "13:3", "24:00", "9:30", "13:30Z"):
        r = await pause(server, sup, service="kk", reason="Blangko habis", until=written)
        assert r.status_code == 422, (written, r.text)
        error = r.json()["error"]
        assert error["code"] == "invalid_field" and error["details"]["field"] == "until", (written, r.text)
        assert "HH:MM" in error["message"], error["message"]
    assert (await take(server, "kk")).status_code == 201, "nothing paused by a time refused"


async def test_an_expected_time_past_is_not_said_where_the_desk_reads_the_pauses(server: Server) -> None:
    """The desk says a pause "in the kiosk tile's words" (docs/citizen.md), read from GET .../waits; the kiosk, the
    refusal and a waiting citizen's phone leave out an expected time already past, the waits said it still: the desk
    told staff "Perkiraan dibuka kembali pukul 13.00" at 14.00."""
    sup = await server.login("supervisor")
    assert (await pause(server, sup, service="ktp", reason="Blangko habis", until="13:00")).status_code == 200
    waits = (await server.http.get("/api/v1/sites/tegal/waits")).json()["services"]
    assert waits["ktp"]["paused"]["until"] == "2026-11-23T13:00:00+07:00"
    server.clock.advance(hours=5)  # 14.00 local, and nobody resumed
    waits = (await server.http.get("/api/v1/sites/tegal/waits")).json()["services"]
    told = waits["ktp"]["paused"]
    assert (told["reason"], told["until"]) == ("Blangko habis", None), told
    refused = (await take(server)).json()["error"]
    assert refused["details"].get("until") is None and "13.00" not in refused["message"], refused


async def test_the_pause_is_kept_across_a_restart_and_ends_with_the_day(database: Path | str) -> None:
    async with running_server(database) as server:
        sup = await server.login("supervisor")
        r = await pause(server, sup, service="ktp", reason="Gangguan jaringan/sistem pusat")
        assert r.status_code == 200, r.text
        assert (await pause(server, sup, service="kk", reason="Petugas sedang rapat")).status_code == 200
        assert (await resume(server, sup, service="kk")).status_code == 200
        clock = server.clock
    async with running_server(database, clock=clock) as server:
        refused = await take(server)
        assert refused.status_code == 409, refused.text
        assert refused.json()["error"]["details"]["reason"] == "Gangguan jaringan/sistem pusat"
        assert (await take(server, "kk")).status_code == 201, "the resumed service stays resumed"
        state = (await server.http.get("/api/v1/sites/tegal/state", headers=await server.login("supervisor"))).json()
        assert set(state["issuing_paused"]) == {"ktp"}
        server.clock.advance(days=1)  # the next day starts normal, with no event
        assert (await take(server)).status_code == 201


@pytest.mark.sqlite_only
@bounded(90)
async def test_the_kiosk_tile_says_why_and_cannot_be_pressed(server: Server, tmp_path: Path) -> None:
    need_axe()
    sup = await server.login("supervisor")
    assert (await pause(server, sup, service="ktp", reason="Blangko habis", until="13:00")).status_code == 200
    async with chromium() as browser:
        # The page's Content-Security-Policy forbids inline scripts; axe is injected by the test, not the page.
        context = await browser.new_context(viewport={"width": 1920, "height": 1080}, bypass_csp=True, locale="id-ID")
        page = await context.new_page()
        await page.goto(f"{server.url}/kiosk/tegal#token={KIOSK}")
        await until(page, "() => document.body.dataset.ready === 'true'")
        await page.click(".k-agency[data-agency='disdukcapil']")
        await until(page, f"() => document.querySelector(\"{KTP} .k-wait\").textContent !== ''")
        assert (
            await text(page, f"{KTP} .k-wait")
            == "Sementara berhenti: Blangko habis. Perkiraan dibuka kembali pukul 13.00"
        )
        assert await page.is_disabled(KTP)
        await page.screenshot(path=tmp_path / "kiosk-paused.png")
        shot(tmp_path / "kiosk-paused.png")  # for a person to look at (CITIZEN_SHOTS)
        assert await violations(page) == []
        await page.click("#lang")
        assert await text(page, f"{KTP} .k-wait") == "Paused for now: Blangko habis. Expected to resume at 13:00"
        # Resumed: the kiosk hears it over its socket and the tile works again.
        assert (await resume(server, sup, service="ktp")).status_code == 200
        await until(page, f'() => !document.querySelector("{KTP}").disabled')
        await page.click(KTP)
        await page.click("#priority-none")
        await until(page, "() => window.__kiosk.screen === 'ticket'")
        await context.close()


@pytest.mark.sqlite_only
@bounded(90)
async def test_a_waiting_citizens_phone_says_why_and_that_their_ticket_stands(server: Server, tmp_path: Path) -> None:
    fast(server, status_refresh_seconds=600)  # the notice comes pushed, not from the page's own re-read
    token = (await server.issue("ktp"))["ticket"]["token"]
    sup = await server.login("supervisor")
    async with (
        chromium() as browser,
        open_page(browser, f"{server.url}/t/{token}", size=(390, 844), mobile=True) as page,
    ):
        await until(page, "() => document.getElementById('paused').hidden")
        assert (await pause(server, sup, service="ktp", reason="Gangguan jaringan/sistem pusat")).status_code == 200
        # pushed over the ticket's socket (a `status` frame: its service's line changed)
        await until(page, "() => !document.getElementById('paused').hidden")
        assert await text(page, "#paused") == (
            "Pengambilan nomor baru untuk layanan ini sementara berhenti: Gangguan jaringan/sistem pusat. Nomor Anda "
            "tetap berlaku dan tetap dipanggil."
        )
        await page.screenshot(path=tmp_path / "phone-paused.png")
        shot(tmp_path / "phone-paused.png")
        assert (await resume(server, sup, service="ktp")).status_code == 200
        await until(page, "() => document.getElementById('paused').hidden")


@pytest.mark.sqlite_only
@bounded(120)
async def test_the_dashboard_pauses_shows_why_and_resumes(database: Path | str, tmp_path: Path) -> None:
    need_axe()
    async with running_server(database, dashboard_seconds=0.3) as server, chromium() as browser:
        context = await browser.new_context(viewport={"width": 1366, "height": 768}, bypass_csp=True, locale="id-ID")
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        await page.goto(f"{server.url}/supervisor/tegal")
        await page.fill("input[name=username]", "supervisor")
        await page.fill("input[name=password]", "demo-supervisor")
        await page.click("#login-form button[type=submit]")
        await until(page, "() => !document.getElementById('pause-issuing').hidden")
        await page.click("#pause-issuing")
        dialog = page.get_by_role("dialog", name="Hentikan pengambilan nomor")
        assert await dialog.is_visible()
        help_text = await text(page, "#dlg-pause-help")  # it read "tetap dan tetap dapat dipanggil"
        assert "Antrean yang sudah ada tetap menunggu dan dapat dipanggil." in help_text, help_text
        await page.select_option("#dlg-pause select[name=target]", "service:ktp")
        # a reason naming a citizen: refused, said under the form and marked on the reason's field
        await page.fill("#dlg-pause input[name=reason]", "Ibu Siti Rahayu 081234567890")
        await page.click("#dlg-pause button[type=submit]")
        await until(page, "() => document.querySelector('#dlg-pause .error').textContent.includes('nomor telepon')")
        assert await page.get_attribute("#dlg-pause input[name=reason]", "aria-invalid") == "true"
        await page.screenshot(path=tmp_path / "dashboard-pause-dialog.png")
        shot(tmp_path / "dashboard-pause-dialog.png")
        assert await violations(page) == [], "the dialog open, with its refusal"
        assert (await take(server)).status_code == 201, "nothing paused"
        await page.fill("#dlg-pause input[name=reason]", "Blangko habis")
        await page.fill("#dlg-pause input[name=until]", "13:00")
        await page.click("#dlg-pause button[type=submit]")
        row = "#services tr[data-service='ktp']"
        await until(page, f'() => document.querySelector("{row} .paused-text") !== null')
        assert await text(page, f"{row} .paused-text") == "Berhenti: Blangko habis · perkiraan dibuka pukul 13.00"
        assert (await take(server)).status_code == 409
        await page.screenshot(path=tmp_path / "dashboard-paused.png")
        shot(tmp_path / "dashboard-paused.png")
        assert await violations(page) == []
        # 13.00 gone by and nobody resumed: still said, as past (it used to read as if still expected)
        server.clock.advance(hours=4, minutes=30)  # 13.30
        past = "Berhenti: Blangko habis · perkiraan dibuka pukul 13.00, sudah lewat"
        await until(page, f'() => document.querySelector("{row} .paused-text").textContent === "{past}"',
                    timeout_ms=30_000)  # fmt: skip
        await page.click("#lang")
        await until(page, f"""() => document.querySelector("{row} .paused-text").textContent
                    === 'Paused: Blangko habis · expected back 13:00, now past'""", timeout_ms=30_000)  # fmt: skip
        await page.click("#lang")
        await page.get_by_role("button", name="Lanjutkan pengambilan nomor KTP Elektronik").click()
        await until(page, f'() => document.querySelector("{row} .paused-text") === null')
        assert (await take(server)).status_code == 201
        assert not errors, errors
        await context.close()


def test_the_event_names_are_in_the_protocol_document() -> None:
    protocol = (Path(__file__).parent.parent / "docs" / "protocol.md").read_text(encoding="utf-8")
    for name in ("service.paused", "service.resumed", "issuing_paused"):
        assert name in protocol, name
    assert json.dumps("pause-issuing")[1:-1] in (Path(__file__).parent.parent / "docs" / "api.md").read_text()
