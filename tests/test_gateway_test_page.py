"""The Settings page's "Gateway WhatsApp/SMS" part in Debian's Chromium against a real server and a real gateway
(tests/receiver.py): an admin types a number, presses "Kirim pesan uji" and sees "Terkirim"; a failing gateway is
said in the problem's words; a refusal of the API is said at the field; a mall without a gateway is told where it
is configured; a supervisor does not get the part. axe-core finds no serious violation in it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page

from .display_support import chromium, until
from .helpers import running_server
from .receiver import Receiver, notify_server
from .test_accessibility import AXE, RUN, need_axe
from .test_outbox import FAST, PHONE, PHONE_FORMS
from .test_supervisor_pages import screenshot_dir, signed_in

STATE = "() => document.querySelector('#gateway-test-state [data-state]')?.dataset.state"
SAID = "() => document.getElementById('gateway-test-state').innerText"


@asynccontextmanager
async def checked(browser: Browser, url: str) -> AsyncIterator[Page]:
    """The Settings page signed in as the admin, in a context where axe may be injected (the page's CSP forbids
    inline scripts: the test brings axe, not the page)."""
    context = await browser.new_context(viewport={"width": 1366, "height": 768}, locale="id-ID", bypass_csp=True)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        await page.goto(url)
        await page.fill("input[name=username]", "admin")
        await page.fill("input[name=password]", "demo-admin")
        await page.click("#login-form button[type=submit]")
        yield page
        assert not errors, errors
    finally:
        await context.close()


async def site_tab(page: Page) -> None:
    await until(page, "() => document.body.dataset.loaded === 'true'")
    await page.click("[data-tab=site]")
    await until(page, "() => !!document.getElementById('gateway-test')")


async def serious(page: Page) -> list[dict[str, Any]]:
    if not await page.evaluate("() => typeof axe !== 'undefined'"):
        await page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = await page.evaluate(RUN)
    return found


async def test_an_admin_sends_a_test_message_and_sees_it_sent_then_a_failure_in_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    need_axe()
    monkeypatch.setenv("TEST_GATEWAY_TOKEN", "x")
    with Receiver() as gateway:
        gateway.start()
        async with notify_server(tmp_path / "q.sqlite3", tmp_path, gateway, **FAST) as s:
            async with chromium() as browser, checked(browser, s.url + "/supervisor/tegal/admin#site") as page:
                await site_tab(page)
                field = page.get_by_label("Nomor WhatsApp/ponsel")
                # A mistyped number: the API's sentence under the field, the field marked and focused.
                await field.fill("0812")
                await page.get_by_role("button", name="Kirim pesan uji").click()
                await until(page, STATE + " === 'refused'", timeout_ms=30_000)
                assert "Nomor ponsel harus diawali 08" in await page.evaluate(SAID)
                assert await field.get_attribute("aria-invalid") == "true"
                assert await page.evaluate("() => document.activeElement.id") == "gateway-phone"
                # The right number: sent, and the gateway had it.
                await field.fill(PHONE)
                await page.get_by_role("button", name="Kirim pesan uji").click()
                await until(page, STATE + " === 'sent'", timeout_ms=30_000)
                said = await page.evaluate(SAID)
                assert "Terkirim pukul" in said and "0812*****890" in said, said
                assert await field.get_attribute("aria-invalid") == "false"
                [request] = gateway.requests
                assert request.json()["target"] == "6281234567890"
                assert request.json()["message"].startswith("Pesan uji dari MPP Kabupaten Tegal")
                await page.screenshot(path=screenshot_dir(tmp_path) / "settings-gateway-sent.png", full_page=True)
                found = await serious(page)
                assert not found, json.dumps(found, indent=1, ensure_ascii=False)
                # The gateway fails: the problem's words, in the page's language, the technical text under them.
                gateway.status = 500
                await page.get_by_role("button", name="Kirim pesan uji").click()
                await until(page, STATE + " === 'retrying'", timeout_ms=30_000)
                said = await page.evaluate(SAID)
                assert "Server penerima sedang bermasalah (HTTP 500)" in said and "HTTP 500 Internal" in said, said
                await page.screenshot(path=screenshot_dir(tmp_path) / "settings-gateway-failing.png", full_page=True)
                found = await serious(page)
                assert not found, json.dumps(found, indent=1, ensure_ascii=False)
                await page.click("#lang")
                await until(page, "() => document.documentElement.lang === 'en'")
                said = await page.evaluate(SAID)
                assert "The receiver's server is failing (HTTP 500)" in said, said
                # Mended, the retry goes through and the page follows it to "Sent".
                gateway.status = 200
                await until(page, STATE + " === 'sent'", timeout_ms=60_000)
                assert "Sent at" in await page.evaluate(SAID)
                markup = await page.content()
                assert not any(form in markup for form in (*PHONE_FORMS, "6281234567890")), "the number in clear"


async def test_a_mall_without_a_gateway_is_told_where_to_set_one_and_a_supervisor_gets_no_part(
    tmp_path: Path,
) -> None:
    async with running_server(tmp_path / "q.sqlite3") as s, chromium() as browser:
        async with signed_in(browser, s, "/supervisor/tegal/admin#site", "admin") as page:
            await site_tab(page)
            said = await page.inner_text("#gateway-none")
            assert "belum punya gateway WhatsApp/SMS" in said and "[notify.gateway]" in said
            assert "docs/notifications.md" in said
            assert await page.locator("#gateway-phone").count() == 0
        async with signed_in(browser, s, "/supervisor/tegal/admin#site", "supervisor") as page:
            await until(page, "() => document.body.dataset.loaded === 'true'")
            await page.click("[data-tab=site]")
            await until(page, "() => !!document.getElementById('edit-site')")
            assert await page.locator("#gateway-test").count() == 0
