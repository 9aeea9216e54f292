"""The pages follow a configuration changed on the web without a reload: a lobby TV (whole site), a TV narrowed to
one agency, the kiosk (in the middle of a citizen's choice), the staff desk and a counter page are open when an admin
adds a service with a new prefix, served by a new counter of Disdukcapil and by Loket 1, adds an agency, and renames
Disdukcapil. Each page then shows what changed (tiles, names, the new service offered) and works with it, the kiosk
only once back on its start screen, and none of them was reloaded (`window.__marker`). A counter page whose counter
is removed says so, in Indonesian or, with ?lang=en, in English."""

from __future__ import annotations

import copy
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page

from queue_server.application.demo import demo_display_token

from .display_support import CHROMIUM, board_page, bounded, chromium, until
from .helpers import Server
from .test_citizen_support import fast, kiosk_page, open_page
from .test_counter_web import operator_page, sign_in

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")

URL = "/api/v1/sites/tegal/configuration"
WAIT_MS = 60_000  # the kiosk reads the catalogue every 15 s; shared, slow machines get room on top of that
NEW_NAME = "Dinas Kependudukan dan Catatan Sipil Kabupaten Tegal"
NEW_SHORT = "Dukcapil Tegal"


def changed(document: dict[str, Any]) -> dict[str, Any]:
    """The demo mall with Disdukcapil renamed; its new service "Identitas Kependudukan Digital" (prefix Z) served
    by a new counter 27 and by Loket 1; and a new agency, Diskominfo, with one service and counter 28."""
    document = copy.deepcopy(document)
    agency = next(a for a in document["agencies"] if a["id"] == "disdukcapil")
    agency["name"], agency["short_name"] = NEW_NAME, NEW_SHORT
    agency["services"].append(
        {"id": "ikd", "name": "Identitas Kependudukan Digital", "prefix": "Z", "daily_quota": 50,
         "target_wait_minutes": 30, "service_minutes": 5}
    )  # fmt: skip
    agency["counters"].append({"id": "27", "name": "Loket 27", "services": ["ikd"], "zone": "Lantai 1"})
    next(c for c in agency["counters"] if c["id"] == "1")["services"].append("ikd")
    document["agencies"].append(
        {"id": "kominfo", "name": "Dinas Komunikasi dan Informatika", "short_name": "Diskominfo", "colour": "#00838f",
         "services": [{"id": "aduan", "name": "Pengaduan Layanan Publik", "prefix": "KM", "daily_quota": 40,
                       "target_wait_minutes": 30, "service_minutes": 5}],
         "counters": [{"id": "28", "name": "Loket 28", "services": ["aduan"], "zone": "Lantai 1"}]}
    )  # fmt: skip
    return document


EXISTS = "s => document.querySelector(s) !== null"
TEXT_IS = "([s, t]) => document.querySelector(s)?.textContent.trim() === t"
TEXT_HAS = "([s, t]) => (document.querySelector(s)?.textContent || '').includes(t)"
CONNECTED = "() => document.getElementById('connection').dataset.state === 'connected'"


async def mark(page: Page) -> None:
    await page.evaluate("() => { window.__marker = 1; }")


async def not_reloaded(page: Page) -> bool:
    return bool(await page.evaluate("() => window.__marker === 1"))


async def text_of(page: Page, selector: str) -> str:
    return " ".join((await page.text_content(selector) or "").split())


@bounded(300)
async def test_the_pages_follow_a_configuration_changed_on_the_web(server: Server) -> None:
    fast(server, idle_seconds=600)  # the kiosk stays in the middle of a choice for as long as the test needs
    admin = await server.login("admin")
    operator = await server.login("op-disdukcapil")
    # Loket 1 serves A-001: the TVs show the call, the counter page has a ticket to transfer.
    first = (await server.issue("ktp"))["ticket"]["label"]
    assert (await server.command(operator, "1", "open")).status_code == 200
    assert (await server.command(operator, "1", "call_next")).status_code == 200

    async with chromium() as browser, AsyncExitStack() as pages:
        lobby = await pages.enter_async_context(board_page(browser, server, "lobby"))
        narrow = await pages.enter_async_context(
            board_page(browser, server, "disdukcapil", token=demo_display_token("tegal", "disdukcapil"))
        )
        kiosk = await pages.enter_async_context(kiosk_page(browser, server))
        desk = await pages.enter_async_context(open_page(browser, f"{server.url}/desk/tegal", size=(1366, 768)))
        counter = await pages.enter_async_context(operator_page(browser, f"{server.url}/counter/tegal/1"))
        await sign_in(counter)
        await until(counter, CONNECTED)
        await until(counter, TEXT_IS, ["#current-label", first])
        for board in (lobby, narrow):
            await until(board, TEXT_IS, ["#hero-label", first])
            assert await board.query_selector(".tile[data-counter='27']") is None
        assert await kiosk.query_selector(".k-service[data-service='ikd']") is None
        for page in (lobby, narrow, kiosk, desk, counter):
            await mark(page)
        await kiosk.click(".k-agency[data-agency='polres']")  # a citizen in the middle of a choice

        current = (await server.http.get(URL, headers=admin)).json()
        r = await server.http.put(URL, json={"version": current["version"], "document": changed(current["document"])},
                                  headers=admin)  # fmt: skip
        assert r.status_code == 200, r.text

        # The kiosk has the new catalogue but keeps the tiles under the citizen's finger until the start screen.
        await until(kiosk, "() => window.__kiosk.pendingConfig", None, WAIT_MS)
        assert await kiosk.evaluate("() => window.__kiosk.screen") == "services"
        assert await kiosk.is_visible(".k-service[data-service='skck']")
        assert await kiosk.query_selector(".k-service[data-service='ikd']") is None
        await kiosk.click("[data-screen='services'] .k-back")

        # The TVs: new tiles (hidden until their counter opens), the renamed agency on Loket 1's open tile.
        for board in (lobby, narrow):
            await until(board, EXISTS, ".tile[data-counter='27']", WAIT_MS)
            await until(board, TEXT_IS, [".tile[data-counter='1'] .tile-agency", NEW_SHORT], WAIT_MS)
            await until(board, EXISTS, ".chip[data-service='ikd']", WAIT_MS)
        await until(lobby, EXISTS, ".tile[data-counter='28']", WAIT_MS)
        assert await narrow.query_selector(".tile[data-counter='28']") is None  # another agency: not this screen's

        # The counter page: the header and its services, the new service in the waiting list and in the transfer
        # dialog, under the agency's new name, next to the new agency's service.
        await until(counter, TEXT_HAS, ["#counter-serves", "Identitas Kependudukan Digital"], WAIT_MS)
        assert (await text_of(counter, "#counter-serves")).startswith(NEW_SHORT)
        await until(counter, EXISTS, "#waiting li[data-service=ikd]", WAIT_MS)
        await until(counter, CONNECTED)
        await counter.click("#btn-transfer")
        await until(counter, "() => document.getElementById('transfer-dialog').open")
        targets = await counter.evaluate(
            """() => [...document.querySelectorAll('#transfer-target optgroup')].map(
                 (g) => [g.label, [...g.querySelectorAll('option')].map((o) => o.value)])"""
        )
        groups = dict(targets)
        assert "ikd" in groups[NEW_SHORT], targets
        assert groups["Diskominfo"] == ["aduan"], targets
        await counter.click("#transfer-cancel")

        # The desk (signed in or not): the new service under the renamed agency, the new agency.
        await until(desk, EXISTS, ".d-agency[data-agency='disdukcapil'] input[value=ikd]", WAIT_MS)
        assert await text_of(desk, ".d-agency[data-agency='disdukcapil'] legend") == NEW_SHORT
        assert await desk.query_selector(".d-agency[data-agency='kominfo'] input[value=aduan]") is not None

        # The kiosk, back on its start screen: the renamed agency, the new agency, and the new service, which works.
        await until(kiosk, TEXT_IS, [".k-agency[data-agency='disdukcapil'] .k-tile-sub", NEW_NAME], WAIT_MS)
        assert await text_of(kiosk, ".k-agency[data-agency='disdukcapil'] .k-tile-main") == NEW_SHORT
        assert await kiosk.is_visible(".k-agency[data-agency='kominfo']")
        await kiosk.click(".k-agency[data-agency='disdukcapil']")
        assert await kiosk.is_visible(".k-service[data-service='ikd']")
        await kiosk.click(".k-service[data-service='ikd']")
        await until(kiosk, "() => window.__kiosk.screen === 'priority'")
        await kiosk.click("#priority-none")
        await until(kiosk, TEXT_IS, ["#t-label", "Z-001"], WAIT_MS)
        await kiosk.click("#ticket-done")

        # The ticket of the new service is waiting on the counter page (Loket 1 follows its new services) and on
        # the TVs; called at the new counter, both TVs show it there and keep the earlier call.
        await until(counter, TEXT_IS, ["#waiting li[data-service=ikd] strong", "1"], WAIT_MS)
        for board in (lobby, narrow):
            await until(board, TEXT_IS, [".chip[data-service='ikd'] .chip-count", "1"], WAIT_MS)
        assert (await server.command(operator, "27", "open")).status_code == 200
        called = await server.command(operator, "27", "call_next")
        assert called.status_code == 200, called.text
        assert called.json()["ticket"]["label"] == "Z-001"
        for board in (lobby, narrow):
            await until(board, TEXT_IS, ["#hero-label", "Z-001"], WAIT_MS)
            # the lobby serves both floors and says which; the Disdukcapil screen is on one floor
            assert await text_of(board, "#hero-counter") == ("Loket 27 · Lantai 1" if board is lobby else "Loket 27")
            assert await text_of(board, "#hero-service") == "Identitas Kependudukan Digital"
            assert await text_of(board, "#hero-agency") == NEW_SHORT
            assert await board.is_visible(".tile[data-counter='27']")
            assert first in await text_of(board, "#recent-list")

        for page in (lobby, narrow, kiosk, desk, counter):
            assert await not_reloaded(page), page.url


@bounded(180)
async def test_a_counter_page_whose_counter_was_removed_says_so(server: Server) -> None:
    admin = await server.login("admin")
    rounds = [("4", "", "Loket ini sudah tidak ada"), ("3", "?lang=en", "This counter no longer exists")]
    async with chromium() as browser:
        for counter_id, query, title in rounds:
            async with operator_page(browser, f"{server.url}/counter/tegal/{counter_id}{query}") as page:
                await sign_in(page)
                await until(page, CONNECTED)
                await mark(page)
                current = (await server.http.get(URL, headers=admin)).json()
                document = copy.deepcopy(current["document"])
                agency = next(a for a in document["agencies"] if a["id"] == "disdukcapil")
                agency["counters"] = [c for c in agency["counters"] if c["id"] != counter_id]  # closed: it may go
                r = await server.http.put(URL, json={"version": current["version"], "document": document},
                                          headers=admin)  # fmt: skip
                assert r.status_code == 200, r.text
                await until(page, "() => !document.getElementById('removed').hidden", None, WAIT_MS)
                assert await text_of(page, "#removed h1") == title
                assert f"Loket {counter_id}" in await text_of(page, "#removed-detail")
                assert await page.is_hidden("#desk") and await page.is_hidden("#signin")
                assert await page.is_hidden("#counter-serves"), "it serves nothing now: its old services go"
                assert await not_reloaded(page)
