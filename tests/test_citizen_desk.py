"""The front-office desk page in Chromium: staff sign in, issue a ticket with a priority group (channel "desk"),
print it through the browser, and sign out."""

from __future__ import annotations

from pathlib import Path

from .helpers import KIOSK, Server, bearer
from .test_citizen_support import bounded, chromium, open_page, shot, text, until


@bounded(90)
async def test_staff_issue_a_priority_ticket_at_the_desk_and_print_it(server: Server, tmp_path: Path) -> None:
    async with chromium() as browser, open_page(browser, f"{server.url}/desk/tegal", size=(1366, 900)) as page:
        assert await page.is_hidden("#issue")
        await page.fill("#login [name=username]", "op-polres")
        await page.fill("#login [name=password]", "wrong-password")
        await page.click("#login [type=submit]")
        await until(page, "() => !document.getElementById('login-error').hidden")
        assert await text(page, "#login-error") == "Nama pengguna atau kata sandi salah."
        await page.fill("#login [name=password]", "demo-operator")
        await page.click("#login [type=submit]")
        await until(page, "() => !document.getElementById('issue').hidden")
        assert await text(page, "#who") == "Masuk sebagai op-polres"
        # The operator's own agency comes first.
        first = await page.eval_on_selector(".d-agency", "f => f.dataset.agency")
        assert first == "polres"

        await page.check("input[name=service][value=skck]")
        await page.check("input[name=priority][value=lansia]")
        await page.click("#issue-button")
        await until(page, "() => !document.getElementById('issued').hidden")
        assert await text(page, "#d-label") == "F-001"
        assert await text(page, "#d-service") == "Surat Keterangan Catatan Kepolisian (SKCK) · Kepolisian Resor Tegal"
        assert await text(page, "#d-priority") == "Prioritas: Lanjut usia", "staff see the group the ticket carries"
        await until(page, "() => window.__printed === 1")
        assert await page.is_checked("input[name=priority][value='']")  # the next citizen starts as not priority
        shot_path = tmp_path / "desk.png"
        await page.screenshot(path=shot_path)
        shot(shot_path)
        await page.click("#reprint")
        await until(page, "() => window.__printed === 2")

        admin = await server.login("admin")
        ticket = (await server.http.get("/api/v1/sites/tegal/tickets/F-001", headers=admin)).json()
        assert ticket["channel"] == "desk" and ticket["priority"] == "lansia"

        # A reload keeps the session in this tab; signing out ends it.
        await page.reload()
        await until(page, "() => !document.getElementById('issue').hidden")
        await page.click("#sign-out")
        await page.wait_for_selector("#login:not([hidden])")
        assert await page.is_hidden("#issue")
        assert await page.evaluate("() => Object.keys(sessionStorage).length") == 0


@bounded(90)
async def test_a_lost_ticket_is_printed_again_at_the_desk_by_its_number(server: Server) -> None:
    """An outside review: a citizen who lost the slip could get neither its QR nor its phone page back; the desk
    only reprinted its own last ticket. Staff of the ticket's agency print today's open ticket again by its
    number, and the audit log says who did."""
    police = (await server.issue("skck"))["ticket"]
    await server.issue("ktp")  # Disdukcapil's: not the police desk's to reprint
    async with chromium() as browser, open_page(browser, f"{server.url}/desk/tegal", size=(1366, 900)) as page:
        assert await page.is_hidden("#reprint-form")
        await page.fill("#login [name=username]", "op-polres")
        await page.fill("#login [name=password]", "demo-operator")
        await page.click("#login [type=submit]")
        await until(page, "() => !document.getElementById('reprint-form').hidden")
        await page.fill("#reprint-form [name=ticket]", "f1")
        await page.click("#reprint-form [type=submit]")
        await until(page, "() => !document.getElementById('reprint-done').hidden")
        assert await text(page, "#reprint-done") == "Tiket F-001 dicetak ulang."
        await until(page, "() => window.__printed === 1")
        frame = page.frame_locator("#print-frame")
        assert police["label"] in await frame.locator("body").inner_text()
        for number, said in (("A-001", "instansi"), ("Z-999", "tidak ditemukan")):
            await page.fill("#reprint-form [name=ticket]", number)
            await page.click("#reprint-form [type=submit]")
            await until(page, "() => !document.getElementById('reprint-error').hidden")
            assert said in (await text(page, "#reprint-error")).lower(), number
        assert await page.evaluate("() => window.__printed") == 1
    log = (await server.http.get("/api/v1/sites/tegal/audit", headers=await server.login("supervisor"))).json()
    reprints = [e for e in log["entries"] if e["action"] == "ticket.reprint"]
    assert [(e["actor"], e["summary"]["id"]) for e in reprints] == [("op-polres", "Tiket F-001 dicetak ulang")]


async def test_a_reprint_is_refused_for_a_ticket_already_served_and_for_a_kiosk(server: Server) -> None:
    issued = await server.issue("skck")
    url = f"/api/v1/sites/tegal/tickets/{issued['ticket']['label']}/reprint"
    assert (await server.http.post(url, headers=bearer(KIOSK))).status_code == 403
    supervisor = await server.login("supervisor")
    answer = await server.http.post(url, headers=supervisor)
    assert answer.status_code == 200 and answer.json()["token"] == issued["ticket"]["token"]
    assert answer.json()["print"] == f"/citizen/print/{issued['ticket']['token']}"
    cancel = {"action": "cancel", "command_id": "reprint-test-cancel"}
    r = await server.http.post(f"/api/v1/sites/tegal/tickets/{issued['ticket']['id']}/actions", json=cancel,
                               headers=supervisor)  # fmt: skip
    assert r.status_code == 200, r.text
    refused = await server.http.post(url, headers=supervisor)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "ticket_closed"


async def test_the_desk_page_of_an_unknown_site_is_a_plain_404(server: Server) -> None:
    for path in ("/desk/nowhere", "/kiosk/nowhere", "/booking/nowhere"):
        r = await server.http.get(path)
        assert r.status_code == 404 and "MPP tidak dikenal di server ini" in r.text, path
