"""Kiosk and staff desk at every common size (issue 17): every tile and button of the kiosk's start and services
screens in view without a hidden scroll and at least 44x44 px, and the desk's main button in view, measured in
Chromium at 1024x768, 1280x1024, 1366x768, 1920x1080 and 1080x1920."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, Page

from .display_support import chromium, until
from .helpers import KIOSK, Server

SIZES = [(1024, 768), (1280, 1024), (1366, 768), (1920, 1080), (1080, 1920)]
# Buttons of a screen that are shown but not wholly in the viewport, or smaller than a fingertip.
OUT_OF_REACH = """(screen) => {
  const out = [];
  for (const el of document.querySelectorAll(`section[data-screen=${screen}] button`)) {
    const b = el.getBoundingClientRect();
    if (b.width === 0 || el.hidden) continue;
    const name = el.dataset.service || el.dataset.agency || el.id || el.className;
    if (b.top < 0 || b.left < 0 || b.bottom > innerHeight + 0.5 || b.right > innerWidth + 0.5) out.push(`${name} out of view`);
    if (b.width < 44 || b.height < 44) out.push(`${name} ${Math.round(b.width)}x${Math.round(b.height)}`);
  }
  const main = document.querySelector(".k-main");
  if (main.scrollHeight > main.clientHeight + 1) out.push(`scrolls ${main.scrollHeight - main.clientHeight}px`);
  return out;
}"""


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as b:
        yield b


async def page_at(browser: Browser, size: tuple[int, int]) -> Page:
    context = await browser.new_context(viewport={"width": size[0], "height": size[1]})
    return await context.new_page()


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
async def test_every_kiosk_tile_and_button_is_in_view(browser: Browser, server: Server, size: tuple[int, int]) -> None:
    page = await page_at(browser, size)
    await page.goto(f"{server.url}/kiosk/tegal#token={KIOSK}")
    await until(page, "() => document.body.dataset.ready === 'true'")
    problems = {"start": await page.evaluate(OUT_OF_REACH, "start")}
    for agency in await page.evaluate("() => [...document.querySelectorAll('.k-agency')].map(a => a.dataset.agency)"):
        await page.evaluate("() => window.__kiosk.show('start')")
        await page.click(f".k-agency[data-agency='{agency}']")
        await until(page, "() => window.__kiosk.screen === 'services'")
        problems[agency] = await page.evaluate(OUT_OF_REACH, "services")
    await page.context.close()
    assert not {k: v for k, v in problems.items() if v}, problems


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
async def test_the_desks_main_button_is_in_view(browser: Browser, server: Server, size: tuple[int, int]) -> None:
    page = await page_at(browser, size)
    await page.goto(f"{server.url}/desk/tegal")
    await page.fill("input[name=username]", "op-disdukcapil")
    await page.fill("input[name=password]", "demo-operator")
    await page.click("button[type=submit]")
    await until(page, "() => !document.getElementById('issue').hidden")
    box = await page.locator("#issue-button").bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= size[1], box
    await page.context.close()
