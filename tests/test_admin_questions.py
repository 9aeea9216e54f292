"""The Settings page's questions taken back when what they ask about changed meanwhile, in Debian's Chromium against a
real server: a removal and a save with effects today, when another administrator saves the configuration; a
revocation, when another revokes that device; disabling and removing an account, when another disables or removes
it. Each is withdrawn with a line saying why, nothing is sent, and the page shows what is there now; a question
whose subject still holds is answered as before. Any browser dialog fails the test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page

from .display_support import until
from .helpers import Server, running_server
from .test_supervisor_a11y import opened
from .test_supervisor_pages import QUESTION_OPEN, answer, question

URL = "/api/v1/sites/tegal/configuration"
CLOSED = "() => !document.getElementById('question-dialog').open"
LOADED = "() => document.body.dataset.loaded === 'true'"


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Server]:
    async with running_server(tmp_path / "queue.sqlite3", ignore_hours=True) as s:
        yield s


async def configuration(server: Server) -> dict[str, Any]:
    r = await server.http.get(URL, headers=await server.login("admin"))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def saved_elsewhere(server: Server, running_text: str) -> int:
    """Another administrator saves a change (the running text): the new version."""
    current = await configuration(server)
    current["document"]["site"]["running_text"] = running_text
    r = await server.http.put(
        URL, json={"version": current["version"], "document": current["document"]}, headers=await server.login("admin")
    )
    assert r.status_code == 200, r.text
    return int(r.json()["version"])


async def toast_with(page: Page, words: str) -> str:
    said: str = await until(page, f"() => document.getElementById('toasts').textContent.includes({words!r})")
    assert said
    return await page.text_content("#toasts") or ""


async def test_a_removal_is_withdrawn_when_another_admin_saves_meanwhile(browser: Browser, server: Server) -> None:
    async with opened(browser, server, "/supervisor/tegal/admin#counters", "admin") as page:
        await until(page, LOADED)
        await page.click("tr[data-counter='26'] button.danger")
        asked = await question(page)
        assert asked["title"].startswith("Hapus ") and asked["yes"] == "Ya, hapus"
        assert await saved_elsewhere(server, "Diubah di tempat lain") == 1
        await until(page, CLOSED)
        said = await toast_with(page, "Pertanyaan tadi dibatalkan")
        assert (
            "Pertanyaan tadi dibatalkan: konfigurasi sudah diubah orang lain (kini versi 1). Tidak ada yang dihapus; "
            "halaman kini menampilkan versi itu." in said
        ), said
        await until(page, "() => document.body.dataset.version === '1'")  # the page shows what is there now
        assert "26" in server.ctx.sites["tegal"].counters and (await configuration(server))["version"] == 1
        assert await page.evaluate("() => document.activeElement !== document.body"), "the keyboard keeps a place"
        # asked again of version 1, nothing changes meanwhile: answered yes, removed
        await page.click("tr[data-counter='26'] button.danger")
        await answer(page)
        await until(page, "() => document.body.dataset.version === '2'")
        assert "26" not in server.ctx.sites["tegal"].counters


async def test_a_save_with_effects_today_is_withdrawn_when_another_admin_saves_meanwhile(
    browser: Browser, server: Server
) -> None:
    for _ in range(3):
        await server.issue("akta")
    async with opened(browser, server, "/supervisor/tegal/admin", "admin") as page:
        await until(page, LOADED)
        await page.click("tr[data-service=akta] button:not(.danger)")
        await page.fill("#f-daily_quota", "2")
        await page.click("#editor-save")
        asked = await question(page)
        assert asked["title"] == "Berlaku hari ini"
        assert await saved_elsewhere(server, "Diubah di tempat lain") == 1
        await until(page, CLOSED)
        # said in the editor, which keeps what was typed, with the way to read the new version
        await until(page, "() => document.getElementById('editor-error').textContent.includes('dibatalkan')")
        assert (await page.text_content("#editor-error p")) == (
            "Pertanyaan tadi dibatalkan: konfigurasi sudah diubah orang lain (kini versi 1). Tidak ada yang disimpan. "
            "Muat ulang, lalu ulangi perubahan Anda."
        )
        assert await page.evaluate("() => document.getElementById('editor').open")
        assert await page.input_value("#f-daily_quota") == "2"
        assert server.ctx.sites["tegal"].services["akta"].daily_quota == 20
        await page.click("#editor-error button")
        await until(page, "() => document.body.dataset.version === '1'")


async def devices(server: Server) -> list[dict[str, Any]]:
    r = await server.http.get("/api/v1/sites/tegal/device-tokens", headers=await server.login("admin"))
    found: list[dict[str, Any]] = r.json()["devices"]
    return found


async def test_a_revocation_is_withdrawn_in_english_when_another_admin_revokes_that_device(
    browser: Browser, server: Server
) -> None:
    lobby = next(d for d in await devices(server) if d["kind"] == "display" and d["screen"] == "lobby")
    async with opened(browser, server, "/supervisor/tegal/admin?lang=en#devices", "admin") as page:
        await until(page, LOADED)
        row = f"tr[data-device='{lobby['id']}']"
        await page.click(f"{row} button.danger")
        asked = await question(page)
        assert asked["title"] == f"Revoke device {lobby['name']}" and asked["no"] == "Cancel"
        # another device revoked meanwhile: not this question's, still asked
        other = next(d for d in await devices(server) if d["id"] != lobby["id"] and not d["revoked_at"])
        admin = await server.login("admin")
        r = await server.http.post(f"/api/v1/sites/tegal/device-tokens/{other['id']}/revoke", json={}, headers=admin)
        assert r.status_code == 200, r.text
        for _ in range(2):  # read twice since: the first reading's outcome is drawn before the second is asked
            async with page.expect_response(lambda r: r.url.endswith("/device-tokens") and r.request.method == "GET"):
                pass
        assert await page.evaluate(QUESTION_OPEN), "still asked: that device is still there"
        r = await server.http.post(f"/api/v1/sites/tegal/device-tokens/{lobby['id']}/revoke", json={}, headers=admin)
        assert r.status_code == 200, r.text
        await until(page, CLOSED)
        said = await toast_with(page, "The question was withdrawn")
        assert (
            f"The question was withdrawn: someone else has already revoked {lobby['name']}. Nothing was sent." in said
        ), said
        await until(page, f"() => document.querySelector(\"{row}\")?.classList.contains('revoked')")
        assert not await page.evaluate(QUESTION_OPEN)


async def test_disabling_and_removing_an_account_are_withdrawn_when_another_admin_did_it(
    browser: Browser, server: Server
) -> None:
    admin = await server.login("admin")
    for username in ("sari", "budi"):
        body = {"username": username, "display_name": username.title(), "role": "operator", "agency": "polres"}
        r = await server.http.post(
            "/api/v1/sites/tegal/accounts", json={**body, "password": f"sandi-{username}-01"}, headers=admin
        )
        assert r.status_code == 201, r.text
    async with opened(browser, server, "/supervisor/tegal/admin#accounts", "admin") as page:
        await until(page, "() => !!document.querySelector('tr[data-account=budi]')")
        # disabling sari: someone else disables her meanwhile
        await page.locator("tr[data-account=sari] button", has_text="Nonaktifkan").click()
        await until(page, QUESTION_OPEN)
        r = await server.http.patch("/api/v1/sites/tegal/accounts/sari", json={"active": False}, headers=admin)
        assert r.status_code == 200, r.text
        await until(page, CLOSED)
        said = await toast_with(page, "akun sari sudah dinonaktifkan")
        assert "Pertanyaan tadi dibatalkan: akun sari sudah dinonaktifkan orang lain. Tidak ada yang dikirim." in said
        await until(page, "() => document.querySelector('tr[data-account=sari]')?.classList.contains('revoked')")
        # removing budi: someone else removes him meanwhile
        await page.locator("tr[data-account=budi] button.danger").click()
        await until(page, QUESTION_OPEN)
        r = await server.http.delete("/api/v1/sites/tegal/accounts/budi", headers=admin)
        assert r.status_code == 200, r.text
        await until(page, CLOSED)
        said = await toast_with(page, "akun budi sudah dihapus")
        assert "Pertanyaan tadi dibatalkan: akun budi sudah dihapus orang lain. Tidak ada yang dikirim." in said
        await until(page, "() => !document.querySelector('tr[data-account=budi]')")
        # enabling sari again, nothing changed meanwhile: answered yes, done
        await page.locator("tr[data-account=sari] button", has_text="Aktifkan").click()
        await answer(page)
        await until(page, "() => !document.querySelector('tr[data-account=sari]').classList.contains('revoked')")
