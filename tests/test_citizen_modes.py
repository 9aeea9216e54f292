"""Reading aids (issue 17): high contrast and large type on the phone page, the booking page and the kiosk, measured
in Chromium: colours by their WCAG contrast ratio, type by its computed size; remembered by a phone, forgotten by
a kiosk once its citizen is done."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page

from .display_support import until
from .helpers import Server
from .test_citizen_support import kiosk_page, open_page, screen

# WCAG 2.1 contrast ratio of an element's text colour against its nearest opaque background.
CONTRAST = """(selector) => {
  const el = document.querySelector(selector);
  const rgb = (c) => c.match(/[\\d.]+/g).slice(0, 4).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  let node = el, bg = null;
  while (node && node.nodeType === 1) {
    const c = rgb(getComputedStyle(node).backgroundColor);
    if (c.length < 4 || c[3] > 0.9) { bg = c; break; }
    node = node.parentElement;
  }
  bg = bg || [255, 255, 255];
  const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(bg)].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}"""
SIZE = "(selector) => parseFloat(getComputedStyle(document.querySelector(selector)).fontSize)"


async def press(page: Page, mode: str) -> None:
    await page.click(f"[data-mode={mode}]")
    await until(page, f"() => document.querySelector('[data-mode={mode}]').getAttribute('aria-pressed') === 'true'")


async def test_the_phone_page_in_high_contrast_and_large_type_remembered(browser: Browser, server: Server) -> None:
    ticket = await server.issue("ktp")
    url = f"{server.url}/t/{ticket['ticket']['token']}"
    async with open_page(browser, url, size=(390, 844), mobile=True) as page:
        await until(page, "() => document.getElementById('label').textContent.trim() !== ''")
        plain = await page.evaluate(SIZE, ".m-service")
        await press(page, "contrast")
        assert await page.evaluate("() => document.documentElement.classList.contains('hc')")
        assert await page.evaluate("() => getComputedStyle(document.documentElement).backgroundColor") == "rgb(0, 0, 0)"
        for selector in (".m-number", ".m-service", ".m-site", "#lang"):
            assert await page.evaluate(CONTRAST, selector) >= 7, selector  # AAA, not only AA
        await press(page, "large")
        assert await page.evaluate(SIZE, ".m-service") >= plain * 1.2
        await page.reload()
        await until(page, "() => document.documentElement.classList.contains('hc')")
        assert await page.evaluate("() => document.documentElement.classList.contains('lt')")
        assert await page.get_attribute("[data-mode=large]", "aria-pressed") == "true"


async def test_the_booking_page_has_them_too(browser: Browser, server: Server) -> None:
    async with open_page(browser, f"{server.url}/booking/tegal", size=(390, 844), mobile=True) as page:
        body = await page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('main')).fontSize)")
        await press(page, "large")
        assert await page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('main')).fontSize)") > body
        await press(page, "contrast")
        assert await page.evaluate(CONTRAST, ".m-site") >= 7


@pytest.mark.parametrize("size", [(1024, 768), (1920, 1080), (1080, 1920)])
async def test_the_kiosk_switches_them_for_one_citizen(browser: Browser, server: Server, size: tuple[int, int]) -> None:
    async with kiosk_page(browser, server, size=size) as page:
        for mode in ("contrast", "large"):  # in the header, whole, big enough to touch
            box = await page.locator(f"[data-mode={mode}]").bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= size[0]
            assert box["height"] >= 44 and box["width"] >= 44
        tile = ".k-agency[data-agency='disdukcapil']"
        title = await page.evaluate(SIZE, ".k-title")
        await press(page, "contrast")
        await press(page, "large")
        assert await page.evaluate(CONTRAST, tile) >= 7
        assert await page.evaluate(SIZE, ".k-title") >= title * 1.15
        await page.click(tile)  # the citizen goes on, then is done: the next one starts plain
        await until(page, "() => window.__kiosk.screen === 'services'")
        await page.evaluate("() => window.__kiosk.show('start')")
        assert await screen(page) == "start"
        assert not await page.evaluate("() => document.documentElement.classList.contains('hc')")
        assert await page.get_attribute("[data-mode=contrast]", "aria-pressed") == "false"


async def test_the_phone_page_is_never_wider_than_the_phone(browser: Browser, server: Server) -> None:
    """An outside review: a wait told as a range ("sekitar 45–75 menit") made the page 475 px wide on a 360 px
    phone, 621 px in English large type, cutting the ticket number off at the right."""
    operator = await server.login("op-disdukcapil")
    assert (await server.command(operator, "1", "open")).status_code == 200
    for _ in range(12):
        await server.issue("ktp")
    ticket = await server.issue("ktp")
    async with open_page(browser, f"{server.url}/t/{ticket['ticket']['token']}", size=(360, 740), mobile=True) as page:
        await until(page, "() => /\\d+\\D+\\d+/.test(document.getElementById('wait').textContent)")  # a range
        widths = [await page.evaluate("() => document.documentElement.scrollWidth")]
        await press(page, "large")
        widths.append(await page.evaluate("() => document.documentElement.scrollWidth"))
        await page.click("#lang")
        await until(page, "() => document.documentElement.lang === 'en'")
        widths.append(await page.evaluate("() => document.documentElement.scrollWidth"))
        assert widths == [360, 360, 360], widths
