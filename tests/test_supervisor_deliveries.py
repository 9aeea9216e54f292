"""The supervisor's "messages out" page in Chromium: a failing WhatsApp gateway shows as failing with its last
error and its dead letters; once the gateway is mended, "send again" delivers them (same ids). The page reads the
API every 10 seconds without taking the focus from a button, and a time of an earlier day is said with its date."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from .display_support import chromium, until
from .helpers import KIOSK, Server, bearer, eventually
from .receiver import Receiver, notify_server
from .test_outbox import PHONE, PHONE_FORMS, add_webhook
from .test_supervisor_pages import signed_in

# Counts the page's readings of the API (it reads every 10 seconds).
COUNT_READS = """() => { window.reads = 0; const fetch = window.fetch;
  window.fetch = (...args) => { if (String(args[0]).includes('/deliveries/dead')) window.reads += 1; return fetch(...args); }; }"""
FOCUSED = "() => document.activeElement.getAttribute('aria-label')"


async def issue_to_notify(s: Server, tickets: int) -> None:
    """`tickets` KTP tickets at the kiosk, each with a number to tell (a message to the gateway, and to a webhook)."""
    for _ in range(tickets):
        r = await s.http.post("/api/v1/sites/tegal/tickets", headers=bearer(KIOSK),
                              json={"service": "ktp", "notify": {"phone": PHONE, "consent": True}})  # fmt: skip
        assert r.status_code == 201, r.text


async def dead_letters(s: Server, headers: dict[str, str], count: int) -> None:
    """Until the site has `count` dead letters."""

    async def dead() -> bool:
        r = await s.http.get("/api/v1/sites/tegal/deliveries/dead", headers=headers)
        return len(r.json()["dead"]) == count

    await eventually(dead, f"{count} dead letters", 30)


async def test_a_failing_gateway_shows_on_the_page_and_its_messages_are_sent_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_GATEWAY_TOKEN", "x")
    with Receiver() as gateway:
        gateway.status = 503
        gateway.start()
        fast = {"outbox_retry_seconds": 0.2, "outbox_retry_cap_seconds": 1.0, "outbox_max_attempts": 2}
        async with notify_server(tmp_path / "q.sqlite3", tmp_path, gateway, **fast) as s:
            await issue_to_notify(s, 2)
            async with chromium() as browser, signed_in(browser, s, "/supervisor/tegal/deliveries",
                                                        size=(1366, 768)) as page:  # fmt: skip
                await until(page, "() => document.querySelectorAll('#dead-rows tr').length === 2", timeout_ms=30_000)
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
                await until(page, "() => document.querySelectorAll('#dead-rows tr').length === 0", timeout_ms=30_000)
                # sent today: its time; the next day, the same moment with its date
                last_sent = "() => document.querySelector('#endpoint-rows tr[data-endpoint=gateway] td:nth-child(7)')"
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
        async with notify_server(tmp_path / "q.sqlite3", tmp_path, gateway, tick=False, **late) as s:
            r = await s.http.post("/api/v1/sites/tegal/tickets", headers=bearer(KIOSK),
                                  json={"service": "ktp", "notify": {"phone": PHONE, "consent": True}})  # fmt: skip
            assert r.status_code == 201, r.text
            async with chromium() as browser, signed_in(browser, s, "/supervisor/tegal/deliveries",
                                                        size=(1366, 768)) as page:  # fmt: skip
                await until(page, "() => document.querySelectorAll('#dead-rows tr').length === 1", timeout_ms=30_000)
                dead = await page.inner_text("#dead-rows tr")
                assert "no answer in time" in dead and "Hasilnya tidak diketahui" in dead, dead
                assert "Penerima tidak menjawab dalam 1 detik: servernya lambat atau macet." in dead, dead
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


async def test_a_gateway_out_of_reach_is_said_in_words_of_each_language_and_an_older_row_by_its_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page says why in the page's language (the kind the deliverer kept), the technical text smaller under it;
    a row an earlier release wrote (its text alone) shows that text. The dashboard's alert says it the same way. A
    webhook is named by its description, as the alert names it."""
    monkeypatch.setenv("TEST_GATEWAY_TOKEN", "x")
    gateway = Receiver()  # never listening: every try is refused
    fast = {"outbox_retry_seconds": 0.2, "outbox_retry_cap_seconds": 1.0, "outbox_max_attempts": 1}
    with Receiver() as siak:
        async with notify_server(tmp_path / "q.sqlite3", tmp_path, gateway, tick=False, **fast) as s:
            siak.status = 401
            siak.start()
            await add_webhook(s, f"{siak.url}/hook", ["ticket.issued"], description="SIAK Dukcapil")
            await issue_to_notify(s, 2)
            sup = await s.login("supervisor")
            await dead_letters(s, sup, 4)
            # The gateway's older one as an earlier release kept it: its text, no kind
            await s.ctx.storage.execute(
                "UPDATE outbox SET last_problem = NULL WHERE n = (SELECT MIN(n) FROM outbox WHERE endpoint = 'gateway')"
            )
            in_words, as_text = (
                "127.0.0.1 menolak sambungan: server penerima mati",
                "Galat teknis: ClientConnectorError",
            )
            async with chromium() as browser:
                async with signed_in(browser, s, "/supervisor/tegal/deliveries", size=(1366, 768)) as page:
                    await until(
                        page, "() => document.querySelectorAll('#dead-rows tr').length === 4", timeout_ms=30_000
                    )
                    row = await page.inner_text("#endpoint-rows tr[data-endpoint='gateway']")
                    assert in_words in row and "Cannot connect to host 127.0.0.1" in row, row
                    assert await page.locator("#endpoint-rows tr[data-endpoint=gateway] .detail").count() == 1
                    hook = await page.inner_text("#endpoint-rows tr:nth-child(2)")
                    assert hook.startswith("Webhook SIAK Dukcapil") and "Penerima menolak kunci atau token" in hook, (
                        hook
                    )
                    gateway_rows = page.locator("#dead-rows tr", has_text="Gateway WhatsApp/SMS")
                    letters = [await r.inner_text() for r in await gateway_rows.all()]
                    assert in_words in letters[0] and "Cannot connect to host" in letters[0], letters  # newest first
                    assert as_text in letters[1] and "Technical" not in letters[1], letters
                    assert await gateway_rows.nth(1).locator(".detail").count() == 0  # no text said twice
                    assert await page.locator("#dead-rows tr", has_text="Webhook SIAK Dukcapil").count() == 2
                    seen = await page.inner_text("body")
                    assert "0812" not in seen and "7890" not in seen
                    shots = Path(os.environ.get("SUPERVISOR_SCREENSHOT_DIR", tmp_path))
                    await page.screenshot(path=shots / "deliveries-words-id.png", full_page=True)
                    await page.click("#lang")
                    await until(page, "() => document.documentElement.lang === 'en'")
                    row = await page.inner_text("#endpoint-rows tr[data-endpoint='gateway']")
                    assert "127.0.0.1 refused the connection: the receiver's server is down" in row, row
                    gateway_rows = page.locator("#dead-rows tr", has_text="WhatsApp/SMS gateway")
                    letters = [await r.inner_text() for r in await gateway_rows.all()]
                    assert "Technical error: ClientConnectorError" in letters[1], letters
                    hook = await page.inner_text("#endpoint-rows tr:nth-child(2)")
                    assert "The receiver refused the key or token sent (HTTP 401)" in hook, hook
                    await page.screenshot(path=shots / "deliveries-words-en.png", full_page=True)
                    await page.click("#lang")  # the choice is kept: the dashboard opens in Indonesian
                    await until(page, "() => document.documentElement.lang === 'id'")
                async with signed_in(browser, s, "/supervisor/tegal", size=(1366, 768)) as page:
                    alert = page.locator("#alerts p.alert.delivery_failing[data-alert='delivery:gateway']")
                    await until(page, "() => !!document.querySelector('#alerts p.alert.delivery_failing')",
                                timeout_ms=30_000)  # fmt: skip
                    text = await alert.inner_text()
                    assert "Gateway WhatsApp/SMS: pengiriman gagal" in text and in_words in text, text
                    assert "Cannot connect to host 127.0.0.1" in (await alert.get_attribute("title") or "")
                    await page.click("#lang")
                    await until(page, "() => document.documentElement.lang === 'en'")
                    text = await alert.inner_text()
                    assert "127.0.0.1 refused the connection" in text, text


# A webhook's technical error as a resolver says it of an agency's long host name (one "word" of 50 characters)
LONG_ERROR = ("ClientConnectorDNSError: Cannot connect to host layanan-siak-dukcapil.kabupaten-tegal.jatengprov.go.id:443 "
              "ssl:default [Name or service not known] while sending ticket.called after 3 tries")  # fmt: skip
# Each error cell: its width, and how many lines its words take
ERROR_CELLS = """() => [...document.querySelectorAll('td.error-text')].map((td) => {
  const said = td.querySelector('.said'), line = parseFloat(getComputedStyle(said).lineHeight);
  return { table: td.closest('table').id, width: td.getBoundingClientRect().width,
           lines: Math.round(said.getBoundingClientRect().height / line) };
})"""


async def test_a_long_error_keeps_a_readable_column_above_900_px(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above 900 px (a table, not cards) the error column could shrink to a few characters (`overflow-wrap:
    anywhere` lets it): at 901 px 70 px wide, its words 16 lines long and broken mid-word. It keeps 16rem now (at
    901 px 24vw, where the row then fits; a table too wide scrolls in its box, never the page), and an endpoint's
    long address breaks instead. Both
    endpoints paused (five failures in a row), their state says the longest words it has, "Dijeda (gagal terus)"."""
    monkeypatch.setenv("TEST_GATEWAY_TOKEN", "x")
    gateway = Receiver()  # never listening: every try is refused
    fast = {"outbox_retry_seconds": 0.2, "outbox_retry_cap_seconds": 1.0, "outbox_max_attempts": 1}
    with Receiver() as siak:
        async with notify_server(tmp_path / "q.sqlite3", tmp_path, gateway, tick=False, **fast) as s:
            siak.status = 401
            siak.start()
            await add_webhook(s, f"{siak.url}/hook/antrean/mpp-kabupaten-tegal/layanan-kependudukan",
                              ["ticket.issued"], description="SIAK Dukcapil Kabupaten Tegal")  # fmt: skip
            await issue_to_notify(s, 5)  # five failures in a row: each endpoint's breaker opens
            sup = await s.login("supervisor")
            await dead_letters(s, sup, 10)
            await s.ctx.storage.execute("UPDATE outbox SET last_error = ? WHERE endpoint <> 'gateway'", (LONG_ERROR,))
            shots = Path(os.environ.get("SUPERVISOR_SCREENSHOT_DIR", tmp_path))
            async with chromium() as browser, signed_in(browser, s, "/supervisor/tegal/deliveries",
                                                        size=(901, 900)) as page:  # fmt: skip
                await until(page, "() => document.querySelectorAll('#dead-rows tr').length === 10", timeout_ms=30_000)
                assert (await page.inner_text("#endpoint-rows")).count("Dijeda (gagal terus)") == 2
                rem = await page.evaluate("() => parseFloat(getComputedStyle(document.documentElement).fontSize)")
                for width in (901, 1024, 1280, 1920):
                    await page.set_viewport_size({"width": width, "height": 900})
                    await page.evaluate("() => new Promise((done) => requestAnimationFrame(() => done()))")
                    cells = await page.evaluate(ERROR_CELLS)
                    assert len(cells) == 12, cells  # two endpoints, ten dead letters
                    least = min(16 * rem, 0.24 * width) - 1  # 16rem, or at 901 px what leaves the row in sight
                    assert all(c["width"] >= least and c["lines"] <= 4 for c in cells), (width, cells)
                    assert await page.evaluate("() => document.documentElement.scrollWidth <= innerWidth"), width
                    await page.screenshot(path=shots / f"deliveries-long-error-{width}.png", full_page=True)
