"""The board on the three screens it must serve (1920x1080 and 1366x768 landscape, 1080x1920 portrait), in a busy
hall: nothing that matters is clipped or overflows, the key texts are large for their screen, and text contrasts
with its background. Screenshots go to $DISPLAY_SCREENSHOT_DIR (or the test's temporary directory) for a person
to look at."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from playwright.async_api import Page

from .display_support import SIZES, WAIT_MS, board_page, bounded, busy_hall, call_next, chromium, until
from .helpers import Server

# Texts that must be whole: (text, the box it must stay inside). Long names may end in "…"; these may not.
WHOLE = [
    (".hero-label", ".hero-card"),
    (".hero-counter", ".hero-card"),
    (".tile-name", ".tile"),
    (".tile-ticket", ".tile"),
    (".recent-label", ".recent-row"),
    (".chip-prefix", ".chip"),
    (".chip-count", ".chip"),
    (".clock-time", ".topbar"),
    (".clock-date", ".topbar"),
    (".section-title", "section"),
    ("#caption", "body"),
]

# Texts that may end in "…" elsewhere but not here: a counter's name is where the citizen must go.
NOT_CUT = [".recent-counter", ".hero-counter", ".hero-service"]

# Smallest font size of each key text, in --u (1% of the screen's shorter side: 10.8 px on a 1080p screen).
MIN_SIZE_U = {".hero-label": 9, ".hero-counter": 4, ".tile-ticket": 2.8, ".recent-label": 2, ".clock-time": 4,
              ".chip-count": 1.8, "#caption": 3}  # fmt: skip

# (text, minimum contrast ratio against the background it is drawn on: 4.5 normal, 3 for large bold text; the
# words on an agency's colour are held to 4.5 as well, since a counter's name there can be small).
CONTRAST = [
    (".hero-label", 4.5),
    (".hero-service", 4.5),
    (".hero-agency", 4.5),
    (".tile-name", 4.5),
    (".tile-ticket", 4.5),
    (".tile-agency", 4.5),
    (".recent-label", 4.5),
    (".recent-time", 4.5),
    (".chip-name", 4.5),
    (".chip-prefix", 4.5),
    (".chip-count", 4.5),
    (".clock-date", 4.5),
    (".ticker-text", 4.5),
    ("#caption", 4.5),
    (".banner", 4.5),
]

CHECK = r"""([whole, notCut, minSize, contrast]) => {
  const problems = [];
  const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
  const unit = Math.min(innerWidth, innerHeight) / 100;
  for (const [sel, boxSel] of whole) for (const el of document.querySelectorAll(sel)) {
    if (!visible(el)) continue;
    const range = document.createRange();
    range.selectNodeContents(el);
    const t = range.getBoundingClientRect();
    const b = el.closest(boxSel).getBoundingClientRect();
    if (t.width && (t.left < b.left - 1 || t.right > b.right + 1 || t.top < b.top - 1 || t.bottom > b.bottom + 1))
      problems.push(`${sel} "${el.textContent}" sticks out of ${boxSel}`);
  }
  for (const sel of notCut) for (const el of document.querySelectorAll(sel)) {
    if (visible(el) && (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1))
      problems.push(`${sel} "${el.textContent}" is cut off`);
  }
  if (document.documentElement.scrollWidth > innerWidth || document.documentElement.scrollHeight > innerHeight)
    problems.push("the page is larger than the screen");
  for (const [sel, min] of Object.entries(minSize)) for (const el of document.querySelectorAll(sel)) {
    if (!visible(el)) continue;
    const size = parseFloat(getComputedStyle(el).fontSize) / unit;
    if (size < min) problems.push(`${sel} is ${size.toFixed(1)}u, under ${min}u`);
  }
  const rgb = (c) => c.match(/[\d.]+/g).slice(0, 3).map(Number);
  const lum = (c) => {
    const [r, g, b] = rgb(c).map((v) => v / 255).map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const background = (el) => {  // the nearest painted background, the element's own or an ancestor's
    for (; el; el = el.parentElement) {
      const c = getComputedStyle(el).backgroundColor;
      if (!/^rgba\(.*, 0\)$/.test(c) && c !== "transparent") return c;
    }
    return "rgb(255, 255, 255)";
  };
  for (const [sel, min] of contrast) for (const el of document.querySelectorAll(sel)) {
    if (!visible(el)) continue;
    const bg = background(el);
    const [a, b] = [lum(getComputedStyle(el).color), lum(bg)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    if (ratio < min) problems.push(`${sel} "${el.textContent}" contrast ${ratio.toFixed(2)} under ${min}`);
  }
  return problems;
}"""


def shots_dir(tmp_path: Path) -> Path:
    where = Path(os.environ.get("DISPLAY_SCREENSHOT_DIR") or tmp_path / "screenshots")
    where.mkdir(parents=True, exist_ok=True)
    return where


async def problems(page: Page) -> list[str]:
    return await page.evaluate(CHECK, [WHOLE, NOT_CUT, MIN_SIZE_U, CONTRAST])  # type: ignore[no-any-return]


@bounded(150)
async def test_the_board_reads_well_on_every_screen_size(server: Server, tmp_path: Path) -> None:
    ops = await busy_hall(server)
    out = shots_dir(tmp_path)
    found: dict[str, Any] = {}
    async with chromium() as browser:
        for name, size in SIZES.items():
            async with board_page(browser, server, size=size) as page:
                await page.wait_for_selector("#hero:not(.is-empty)", timeout=WAIT_MS)
                await server.issue("skck")  # the longest service name of the demo mall
                server.clock.advance(seconds=40)
                label = (await call_next(server, ops["op-polres"], "5"))["ticket"]["label"]
                # The new call highlighted as it comes (for 8 s: on a busy machine the speech can end after that).
                fresh = (
                    "(l) => document.getElementById('hero-label').textContent === l && "
                    "document.getElementById('hero').classList.contains('is-fresh')"
                )
                await until(page, fresh, label)
                # While the call is spoken: its caption over the running text.
                await until(page, "() => !document.getElementById('caption').hidden")
                await page.screenshot(path=out / f"speaking-{name}.png")
                speaking = await problems(page)
                # Just after: the running text back, the call still the newest.
                await until(page, "() => document.getElementById('caption').hidden", timeout_ms=30_000)
                assert await page.text_content("#hero-label") == label
                await page.screenshot(path=out / f"board-{name}.png")
                found[name] = speaking + await problems(page)
    print(f"screenshots in {out}")
    assert found == {name: [] for name in SIZES}
