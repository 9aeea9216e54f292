"""The lobby board follows the hall live: calls, counters, waiting counts, its own health. Playwright drives Debian
Chromium against a real server; every wait is for a DOM condition, bounded in time."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from playwright.async_api import Page, WebSocket

from .display_support import WAIT_MS, board_page, bounded, call_next, chromium, hero_shows, until, until_answered
from .helpers import Server, running_server


async def text(page, selector: str) -> str:  # type: ignore[no-untyped-def]
    return (await page.text_content(selector) or "").strip()


@bounded(60)
async def test_a_call_appears_on_the_board_as_it_is_made(server: Server) -> None:
    await server.issue("ktp", priority="lansia")
    op = await server.login("op-disdukcapil")
    assert (await server.command(op, "1", "open")).status_code == 200
    async with chromium() as browser, board_page(browser, server) as page:
        await page.wait_for_selector("[data-counter='1']:not([hidden])", timeout=WAIT_MS)  # known from the snapshot
        assert await page.is_visible(".hero-none")
        asked: list[str] = []  # what the page requests from now on: the call must come pushed, not fetched
        page.on("request", lambda request: asked.append(request.url))
        label = (await call_next(server, op, "1"))["ticket"]["label"]
        await hero_shows(page, label)  # how fast is bench/call_to_screen.py's business (p99 ~30 ms), not a test's
        assert [url for url in asked if "/api/" in url and "/announcements/" not in url] == [], "only its sound fetched"
        assert await text(page, "#hero-counter") == "Loket 1 · Lantai 1"  # the lobby serves both floors
        assert await text(page, "#hero-service") == "KTP Elektronik"
        assert await text(page, "#hero-agency") == "Disdukcapil"
        assert await text(page, "[data-counter='1'] .tile-ticket") == label
        assert await page.evaluate("document.getElementById('hero').classList.contains('is-fresh')")  # highlighted...
        await until(page, "() => !document.getElementById('hero').classList.contains('is-fresh')", timeout_ms=12_000)
        # ...for a few seconds. Nothing personal reached the page: no priority group, no ticket token.
        board = await page.evaluate(
            "JSON.stringify([window.__display.board.calls, [...window.__display.board.counters]])"
        )
        for secret in ("lansia", '"priority_group"', '"token"', '"note"'):
            assert secret not in board
        assert "lansia" not in await page.content()


@bounded(60)
async def test_the_board_shows_counters_waiting_counts_and_earlier_calls(server: Server) -> None:
    op = await server.login("op-disdukcapil")
    for _ in range(5):
        await server.issue("ktp")
    await server.issue("kk")
    for counter in ("1", "2", "3"):
        assert (await server.command(op, counter, "open")).status_code == 200
    async with chromium() as browser, board_page(browser, server) as page:
        await page.wait_for_selector("[data-service='ktp']:not([hidden])", timeout=WAIT_MS)
        assert await text(page, "[data-service='ktp'] .chip-count") == "5"
        assert await text(page, "[data-service='kk'] .chip-count") == "1"
        assert await page.is_hidden("[data-service='pkb']")  # nobody waits: no chip
        assert await text(page, "[data-counter='3'] .tile-ticket") == "Siap melayani"

        labels = []
        for counter in ("1", "2", "1"):
            server.clock.advance(seconds=61)
            labels.append((await call_next(server, op, counter))["ticket"]["label"])
        await hero_shows(page, labels[-1], WAIT_MS)
        # One fewer waiting per call; the earlier calls listed newest first, with the counter and the time.
        assert await text(page, "[data-service='ktp'] .chip-count") == "2"
        rows = await page.eval_on_selector_all(
            ".recent-row:not(.is-blank)",
            "rows => rows.map(r => [...r.children].map(c => c.textContent))",
        )
        assert rows == [[labels[1], "→", "Loket 2", "09.02"], [labels[0], "→", "Loket 1", "09.01"]]
        assert await text(page, "[data-counter='2'] .tile-ticket") == labels[1]

        # A recall comes back on top, marked as a recall; a pause and a close show on the tiles.
        assert (await server.command(op, "2", "recall")).status_code == 200
        await hero_shows(page, labels[1], WAIT_MS)
        assert await page.is_visible("#hero-recall")
        assert await text(page, "#hero-recall") == "Panggilan ulang"
        assert (await server.command(op, "3", "pause")).status_code == 200
        await page.wait_for_selector("[data-counter='3'].is-paused", timeout=WAIT_MS)
        assert await text(page, "[data-counter='3'] .tile-ticket") == "Istirahat"
        assert (await server.command(op, "3", "close")).status_code == 200
        await page.wait_for_selector("[data-counter='3']", state="hidden", timeout=WAIT_MS)


@bounded(60)
async def test_running_text_and_clock_in_indonesian_in_the_site_time_zone(server: Server) -> None:
    async with chromium() as browser, board_page(browser, server) as page:
        # The server's clock (Monday 23 November 2026, 09.00 WIB) is the truth, not the TV's.
        assert await text(page, "#clock-date") == "Senin, 23 November 2026"
        assert (await text(page, "#clock-time")).startswith("09.0")
        assert await page.evaluate("window.__display.clock.text()") in (
            "Senin, 23 November 2026 09.00",
            "Senin, 23 November 2026 09.01",
        )
        assert (await text(page, "#ticker-text")).startswith("Selamat datang di Mal Pelayanan Publik")
        assert await page.get_attribute("html", "lang") == "id"


@bounded(60)
async def test_a_new_running_text_reaches_the_board_at_once(server: Server) -> None:
    supervisor = await server.login("supervisor")
    async with chromium() as browser, board_page(browser, server) as page:
        news = "Pelayanan KTP hari ini sampai pukul 14.00."
        r = await server.http.post("/api/v1/sites/tegal/running-text", json={"text": news}, headers=supervisor)
        assert r.status_code == 200, r.text
        await until(page, "text => document.getElementById('ticker-text').textContent === text", news)
        r = await server.http.post("/api/v1/sites/tegal/running-text", json={"text": ""}, headers=supervisor)
        assert r.status_code == 200, r.text
        await page.wait_for_selector(".ticker", state="hidden", timeout=WAIT_MS)  # no text, no empty yellow band


@bounded(60)
async def test_english_on_request(server: Server) -> None:
    async with chromium() as browser, board_page(browser, server, query="?lang=en") as page:
        assert await text(page, "#hero .section-title") == "Now calling"
        assert await text(page, "#clock-date") == "Monday, 23 November 2026"
        assert await page.get_attribute("html", "lang") == "en"


@bounded(60)
async def test_an_agency_screen_shows_only_its_counters(server: Server) -> None:
    disdukcapil = await server.login("op-disdukcapil")
    polres = await server.login("op-polres")
    await server.issue("ktp")
    await server.issue("skck")
    for op, counter in ((disdukcapil, "1"), (polres, "5")):
        assert (await server.command(op, counter, "open")).status_code == 200
    async with chromium() as browser, board_page(browser, server, "disdukcapil") as page:
        tiles = await page.eval_on_selector_all(".tile", "tiles => tiles.map(t => t.dataset.counter)")
        assert tiles == ["1", "2", "3", "4"]
        await call_next(server, polres, "5")  # not this screen's: it never hears of it
        label = (await call_next(server, disdukcapil, "1"))["ticket"]["label"]
        await hero_shows(page, label, WAIT_MS)
        assert await page.eval_on_selector_all(".recent-row:not(.is-blank)", "rows => rows.length") == 0
        assert await page.query_selector("[data-service='skck']") is None  # not its service: no chip at all


@bounded(90)
async def test_an_agency_screen_opened_after_other_agencies_called_shows_its_own_calls(server: Server) -> None:
    """An outside review: an agency's screen (re)loaded after fifteen calls of other agencies said "Belum ada
    panggilan hari ini", its history empty: its snapshot held the site's ten latest calls, filtered afterwards."""
    disdukcapil = await server.login("op-disdukcapil")
    samsat = await server.login("op-samsat")
    for service in ["ktp"] * 3 + ["pkb"] * 15:
        await server.issue(service)
    for op, counter in ((disdukcapil, "1"), (samsat, "7")):
        assert (await server.command(op, counter, "open")).status_code == 200
    ours = []
    for _ in range(3):
        server.clock.advance(seconds=61)
        ours.append((await call_next(server, disdukcapil, "1"))["ticket"]["label"])
    for _ in range(15):
        server.clock.advance(seconds=20)
        await call_next(server, samsat, "7")
    async with chromium() as browser, board_page(browser, server, "disdukcapil") as page:
        await hero_shows(page, ours[-1])
        assert await page.is_hidden(".hero-none")
        rows = await page.eval_on_selector_all(
            ".recent-row:not(.is-blank) .recent-label", "ls => ls.map(l => l.textContent)"
        )
        assert rows == ours[-2::-1]


@bounded(60)
async def test_the_board_reports_its_health_to_supervisors(server: Server) -> None:
    op = await server.login("op-disdukcapil")
    supervisor = await server.login("supervisor")
    await server.issue("ktp")
    assert (await server.command(op, "1", "open")).status_code == 200

    async def lobby_devices() -> list[dict]:  # type: ignore[type-arg]
        r = await server.http.get("/api/v1/sites/tegal/devices", headers=supervisor)
        assert r.status_code == 200, r.text
        return [d for d in r.json()["devices"] if d["screen"] == "lobby" and d["connected"]]

    async def device_when(check, what: str) -> dict:  # type: ignore[no-untyped-def, type-arg]
        async def matching() -> dict | None:  # type: ignore[type-arg]
            return next((d for d in await lobby_devices() if check(d)), None)

        return await until_answered(matching, f"the lobby reports {what}")  # type: ignore[no-any-return]

    async with chromium() as browser, board_page(browser, server) as page:
        device = await device_when(lambda d: d["audio"] == "ready", "its audio ready")
        assert device["client"] == "display/1"
        answer = await call_next(server, op, "1")
        label = answer["ticket"]["label"]
        device = await device_when(lambda d: d["last_call_label"] == label, f"its last call {label}")
        assert device["last_call_seq"] == await page.evaluate("window.__display.board.seq")


@bounded(60)
async def test_the_board_answers_the_servers_pings(tmp_path: Path) -> None:
    # A server that pings every 0.2 s and drops a client silent for 0.8 s: only a board that answers stays on.
    async with running_server(tmp_path / "q.sqlite3", ws_heartbeat_seconds=0.2, ws_timeout_seconds=0.8) as server:
        sockets: list[WebSocket] = []
        sent: list[dict] = []  # type: ignore[type-arg]
        eight_pongs = asyncio.Event()

        def frame_sent(text: str | bytes) -> None:
            sent.append(json.loads(text))
            if sum(f["type"] == "pong" for f in sent) >= 8:
                eight_pongs.set()

        def watch(page: Page) -> None:
            page.on("websocket", lambda ws: sockets.append(ws))
            page.on("websocket", lambda ws: ws.on("framesent", frame_sent))

        async with chromium() as browser, board_page(browser, server, before_load=watch):
            async with asyncio.timeout(10):
                await eight_pongs.wait()
            assert len(sockets) == 1 and not sockets[0].is_closed()  # never dropped, never reconnected
            assert [f["type"] for f in sent[:2]] == ["hello", "health"]
            assert sent[0]["client"] == "display/1" and "last_seq" not in sent[0]


@bounded(60)
async def test_with_reduced_motion_nothing_pulses_blinks_or_runs(server: Server) -> None:
    """A viewer who asked the system for less motion: a new call is marked (frame, tile border) but nothing on the
    board moves, the running text included."""
    await server.issue("ktp")
    op = await server.login("op-disdukcapil")
    assert (await server.command(op, "1", "open")).status_code == 200
    async with chromium() as browser, board_page(browser, server) as page:
        await page.emulate_media(reduced_motion="reduce")
        label = (await call_next(server, op, "1"))["ticket"]["label"]
        await hero_shows(page, label)
        assert await page.evaluate("document.getElementById('hero').classList.contains('is-fresh')")
        running = "() => document.getAnimations().map((a) => a.animationName || a.constructor.name)"
        assert await page.evaluate(running) == []
        frame = "() => getComputedStyle(document.querySelector('.hero-card'), '::after').opacity"
        assert await page.evaluate(frame) == "1"  # the fresh call's frame, shown still
        await page.emulate_media(reduced_motion="no-preference")
        assert len(await page.evaluate(running)) > 0  # the same board moves for everyone else
