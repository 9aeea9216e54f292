"""A board that lost its server shows it plainly, comes back by itself, and then shows what it missed: the server
replays every event after the board's last seq, from the database, also after a restart."""

from __future__ import annotations

import json
from contextlib import AsyncExitStack
from pathlib import Path

from .display_support import WAIT_MS, board_page, bounded, call_next, chromium, hero_shows, until
from .helpers import Clock, running_server

# since when the server is away, in the site's time (the server's clock, "09.00"), and how long ago
OFFLINE_TEXT = "Koneksi terputus sejak {time} (baru\u00a0saja) — menyambung ulang…"  # the age is one unit


@bounded(120)
async def test_after_a_server_restart_the_board_shows_the_calls_it_missed(tmp_path: Path) -> None:
    database = tmp_path / "queue.sqlite3"
    clock = Clock()
    async with chromium() as browser, AsyncExitStack() as page_stack:
        async with running_server(database, clock=clock) as first:
            port = first.config.port
            op = await first.login("op-disdukcapil")
            for _ in range(4):
                await first.issue("ktp")
            assert (await first.command(op, "1", "open")).status_code == 200
            seen = (await call_next(first, op, "1"))["ticket"]["label"]
            page = await page_stack.enter_async_context(board_page(browser, first))
            welcomes: list[dict] = []  # type: ignore[type-arg]
            page.on("websocket", lambda ws: ws.on("framereceived", lambda frame: keep_welcome(welcomes, frame)))
            await hero_shows(page, seen)
            assert await page.is_hidden("#banner-offline")
            last_heard = await page.evaluate("() => window.__display.clock.timeText()")
        # The server is gone: the board says so at once, in Indonesian, over its last known state.
        await page.wait_for_selector("#banner-offline", state="visible", timeout=WAIT_MS)
        banner = (await page.text_content("#banner-offline") or "").strip()
        assert banner == OFFLINE_TEXT.format(time=last_heard), banner
        assert await page.evaluate("document.body.classList.contains('is-offline')")

        # Meanwhile the hall goes on, on the same database (here through a server the board cannot reach).
        async with running_server(database, clock=clock) as meanwhile:
            op = await meanwhile.login("op-disdukcapil")
            missed = [(await call_next(meanwhile, op, "1"))["ticket"]["label"] for _ in range(2)]
            assert (await meanwhile.command(op, "2", "open")).status_code == 200
            missed.append((await call_next(meanwhile, op, "2"))["ticket"]["label"])
            last_seq = meanwhile.ctx.storage.last_seq

        # The server is back where the board expects it: the board reconnects by itself and catches up.
        async with running_server(database, port=port, clock=clock):
            await hero_shows(page, missed[-1], timeout_ms=45_000)  # backoff can have grown to a few seconds
            await page.wait_for_selector("#banner-offline", state="hidden", timeout=WAIT_MS)
            recent = await page.eval_on_selector_all(
                ".recent-row:not(.is-blank) .recent-label", "labels => labels.map(l => l.textContent)"
            )
            assert recent[:3] == [missed[1], missed[0], seen]
            assert await page.text_content("[data-counter='2'] .tile-ticket") == missed[-1]
            assert await page.evaluate("window.__display.board.seq") == last_seq
            await until(page, "() => !document.body.classList.contains('is-offline')")
            assert welcomes and welcomes[-1]["resume"] == "replay"  # the events themselves, not a summary


def keep_welcome(welcomes: list[dict], frame: str | bytes) -> None:  # type: ignore[type-arg]
    if isinstance(frame, str) and '"type":"welcome"' in frame:
        welcomes.append(json.loads(frame))


@bounded(120)
async def test_after_an_outage_the_board_retries_at_least_every_ten_seconds(tmp_path: Path) -> None:
    """The shared client's ceiling of 30 s would bring a TV back up to half a minute after the server: the board's
    pauses grow to 10 s and no further."""
    async with chromium() as browser, AsyncExitStack() as page_stack:
        async with running_server(tmp_path / "queue.sqlite3") as server:
            page = await page_stack.enter_async_context(board_page(browser, server))
            await until(page, "() => document.getElementById('link-dot').dataset.status === 'live'")
        await until(page, "() => window.__display.waits.some((w) => w.ceilingMs >= 10000)", timeout_ms=60_000)
        waits = await page.evaluate("() => window.__display.waits")
        assert max(w["ceilingMs"] for w in waits) == 10_000, waits
        assert all(w["delayMs"] <= 10_000 for w in waits), waits
