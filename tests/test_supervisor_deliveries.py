"""The supervisor's "messages out" page in Chromium: a failing WhatsApp gateway shows as failing with its last
error and its dead letters; once the gateway is mended, "send again" delivers them (same ids). The page reads the
API every 10 seconds without taking the focus from a button, and a time of an earlier day is said with its date."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from .display_support import chromium, until
from .helpers import KIOSK, bearer, eventually, running_server
from .receiver import Receiver
from .test_outbox import PHONE, PHONE_FORMS, notify_site, ticking
from .test_supervisor_pages import signed_in

# Counts the page's readings of the API (it reads every 10 seconds).
COUNT_READS = """() => { window.reads = 0; const fetch = window.fetch;
  window.fetch = (...args) => { if (String(args[0]).includes('/deliveries/dead')) window.reads += 1; return fetch(...args); }; }"""
FOCUSED = "() => document.activeElement.getAttribute('aria-label')"


async def test_a_failing_gateway_shows_on_the_page_and_its_messages_are_sent_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_GATEWAY_TOKEN", "x")
    with Receiver() as gateway:
        gateway.status = 503
        gateway.start()
        fast = {"outbox_retry_seconds": 0.2, "outbox_retry_cap_seconds": 1.0, "outbox_max_attempts": 2}
        async with running_server(tmp_path / "q.sqlite3", site_files=[notify_site(tmp_path, gateway)], **fast) as s:
            async with ticking(s.clock):
                for _ in range(2):
                    r = await s.http.post("/api/v1/sites/tegal/tickets", headers=bearer(KIOSK),
                                          json={"service": "ktp", "notify": {"phone": PHONE, "consent": True}})  # fmt: skip
                    assert r.status_code == 201, r.text
                async with chromium() as browser, signed_in(browser, s, "/supervisor/tegal/deliveries",
                                                            size=(1366, 768)) as page:  # fmt: skip
                    await until(
                        page, "() => document.querySelectorAll('#dead-rows tr').length === 2", timeout_ms=30_000
                    )
                    row = page.locator("#endpoint-rows tr[data-endpoint='gateway']")
                    assert "Gateway WhatsApp/SMS" in await row.inner_text()
                    assert "Gagal" in await row.inner_text() and "HTTP 503" in await row.inner_text()
                    # The words a person reads hold no part of the number; the markup (where random ids could hold
                    # any four digits by chance) holds none of its forms.
                    seen, markup = await page.inner_text("body"), await page.content()
                    assert "0812" not in seen and "7890" not in seen
                    assert not any(form in markup for form in PHONE_FORMS)
                    shots = Path(os.environ.get("SUPERVISOR_SCREENSHOT_DIR", tmp_path))
                    await page.screenshot(path=shots / "deliveries-failing.png")
                    # Each "Kirim ulang" names its message (an outside review heard a column of them alike), and
                    # the one focused keeps the focus through the next reading (its table was rebuilt each time).
                    names = await page.eval_on_selector_all(
                        "#dead-rows button", "(bs) => bs.map((b) => b.getAttribute('aria-label'))"
                    )
                    assert all(n.startswith("Kirim ulang ") and "Gateway WhatsApp/SMS" in n for n in names), names
                    await page.focus("#dead-rows tr:first-child button")
                    await page.evaluate(COUNT_READS)
                    await until(page, "() => window.reads >= 2", timeout_ms=30_000)
                    await asyncio.sleep(0.5)
                    assert await page.evaluate(FOCUSED) == names[0]
                    gateway.status = 200
                    await page.click("#endpoint-rows button[data-resend='gateway']")
                    await eventually(lambda: len(gateway.bodies("/send")) == 2, "both resent and delivered", 30)
                    await until(
                        page, "() => document.querySelectorAll('#dead-rows tr').length === 0", timeout_ms=30_000
                    )
                    # sent today: its time; the next day, the same moment with its date
                    last_sent = (
                        "() => document.querySelector('#endpoint-rows tr[data-endpoint=gateway] td:nth-child(7)')"
                    )
                    sent_at = await until(
                        page, last_sent + "?.textContent.match(/^\\d\\d\\.\\d\\d$/)?.[0]", timeout_ms=30_000
                    )
                    s.clock.advance(days=1)
                    await until(
                        page,
                        last_sent + f".textContent === 'Senin, 23 November 2026 pukul {sent_at}'",
                        timeout_ms=30_000,
                    )
            r = await s.http.get("/api/v1/sites/tegal/audit?from=2026-11-23", headers=await s.login("supervisor"))
            assert any(e["action"] == "outbox.resend" for e in r.json()["entries"])


async def test_a_message_the_gateway_answered_too_late_is_marked_unknown_and_resent_with_the_same_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The gateway takes the message and answers after the deadline: it may have been delivered. The dead letter says
    so (it would not if the gateway could not be reached), and "Kirim ulang" sends it with the key it had, so a
    gateway that drops a key it has seen does not deliver it twice."""
    monkeypatch.setenv("TEST_GATEWAY_TOKEN", "x")
    with Receiver() as gateway:
        gateway.delay = 3.0
        gateway.start()
        late = {"outbox_timeout_seconds": 1.0, "outbox_max_attempts": 1}
        async with running_server(tmp_path / "q.sqlite3", site_files=[notify_site(tmp_path, gateway)], **late) as s:
            r = await s.http.post("/api/v1/sites/tegal/tickets", headers=bearer(KIOSK),
                                  json={"service": "ktp", "notify": {"phone": PHONE, "consent": True}})  # fmt: skip
            assert r.status_code == 201, r.text
            async with chromium() as browser, signed_in(browser, s, "/supervisor/tegal/deliveries",
                                                        size=(1366, 768)) as page:  # fmt: skip
                await until(page, "() => document.querySelectorAll('#dead-rows tr').length === 1", timeout_ms=30_000)
                dead = await page.inner_text("#dead-rows tr")
                assert "no answer in time" in dead and "Hasilnya tidak diketahui" in dead, dead
                row = await page.inner_text("#endpoint-rows tr[data-endpoint='gateway']")
                assert "1 pesan hasilnya tidak diketahui" in row, row
                shots = Path(os.environ.get("SUPERVISOR_SCREENSHOT_DIR", tmp_path))
                await page.screenshot(path=shots / "deliveries-outcome-unknown.png")
                await eventually(lambda: gateway.requests, "the late answer's delivery recorded by the gateway", 30)
                gateway.delay = 0.0
                await page.click("#dead-rows button")
                await eventually(lambda: len(gateway.requests) == 2, "resent", 30)
                await until(page, "() => document.querySelectorAll('#dead-rows tr').length === 0", timeout_ms=30_000)
    first, again = gateway.requests
    assert first.headers["Idempotency-Key"] == again.headers["Idempotency-Key"] == again.json()["ref"]
