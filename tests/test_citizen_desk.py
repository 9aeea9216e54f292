"""The front-office desk page in Chromium: staff sign in, issue a ticket with a priority group (channel "desk"),
print it through the browser, and sign out."""

from __future__ import annotations

from pathlib import Path

from .helpers import Server
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


async def test_the_desk_page_of_an_unknown_site_is_a_plain_404(server: Server) -> None:
    for path in ("/desk/nowhere", "/kiosk/nowhere", "/booking/nowhere"):
        r = await server.http.get(path)
        assert r.status_code == 404 and "Lokasi tidak ditemukan" in r.text, path
