"""The lobby TV read from across the hall (issue 17), measured in Chromium with every counter of the demo mall open
and every service waiting: no visible text under 2.5 % of the screen's shorter side (19 px on a 1366x768 TV, 27 px
at 1080), the called number at least 15 % of it, no service or counter name cut; counters and waiting counts that do
not fit readably are shown a page at a time ("1/3"), in turn, and a new call brings its counter's page."""

from __future__ import annotations

import asyncio
import os
import re
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page

from queue_server.settings.sitefile import DEMO_SITE

from .display_support import BLOCK_AUDIO, board_page, call_next, until
from .helpers import Server, running_server

SIZES = [(1366, 768), (1920, 1080), (1280, 1024), (1280, 720), (1080, 1920)]  # 1280x720: an HD-ready TV
MEASURE = """() => {
  const floor = Math.min(innerWidth, innerHeight) * 0.025;
  const small = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.textContent.trim()) continue;
    const el = node.parentElement;
    const style = getComputedStyle(el);
    if (el.getBoundingClientRect().width === 0 || style.visibility === "hidden" || el.closest("[hidden]")) continue;
    if (parseFloat(style.fontSize) < floor - 0.05) small.push(`${el.className} ${parseFloat(style.fontSize).toFixed(1)}px`);
  }
  const cut = [...document.querySelectorAll(".tile *, .chip *, .hero *, .recent-row *")].filter((e) => {
    if (e.getBoundingClientRect().width === 0 || e.closest("[hidden]")) return false;
    const style = getComputedStyle(e);
    const clamped = style.webkitLineClamp !== "none" && e.scrollHeight > e.clientHeight + 1;
    return clamped || (style.textOverflow === "ellipsis" && e.scrollWidth > e.clientWidth + 1);
  }).map((e) => e.textContent.trim());
  const hero = parseFloat(getComputedStyle(document.getElementById("hero-label")).fontSize);
  return {small, cut, hero, heroNeed: Math.min(innerWidth, innerHeight) * 0.15};
}"""
SHOWN = "() => [...document.querySelectorAll('.tile:not([hidden])')].map((t) => t.dataset.counter)"
# The counters' page shown ("2/5") and its counters, read at once, when the page's number starts with `prefix`.
COUNTERS_PAGE = f"""(prefix) => {{
  const label = document.getElementById('counters-page').textContent;
  return label.startsWith(prefix) && {{label, shown: ({SHOWN})()}};
}}"""
# The page's clock (performance.now, by which the pages of counters and waiting counts turn every 10 s) stands still
# from the page's first script on, and moves only when the test moves it (window.__skip(ms)): a test sees the page
# it asks for, whatever the machine's load.
PAGE_CLOCK = """
const realNow = performance.now.bind(performance);
let skipped = 0;
let stoppedAt = realNow();
performance.now = () => (stoppedAt ?? realNow()) + skipped;
window.__skip = (ms) => { skipped += ms; };
"""


async def settled(page: Page) -> dict[str, Any]:
    """What MEASURE finds once the grids have been fitted to the screen (a ResizeObserver's turn after the first
    drawing: measured at once, a chip was seen cut for a frame): nothing small or cut, or the same for a whole
    second (a 120-character name is cut by design: waiting the 10 s out for it cost the suite a minute and a half),
    or what it last found after 10 s."""
    measured: dict[str, Any] = await page.evaluate(MEASURE)
    unchanged = 0
    for _ in range(100):
        if (not measured["small"] and not measured["cut"]) or unchanged >= 10:
            break
        await asyncio.sleep(0.1)
        again = await page.evaluate(MEASURE)
        unchanged = unchanged + 1 if again == measured else 0
        measured = again
    return measured


async def busy_hall(server: Server) -> None:
    site = server.ctx.sites["tegal"]
    for service in site.services:
        await server.issue(service)
    admin = await server.login("admin")
    for counter in site.counters:
        assert (await server.command(admin, counter, "open")).status_code == 200
    for counter in ("5", "13", "1"):  # earlier calls too: their rows (label, counter, time) are measured
        await server.command(admin, counter, "call_next")
    await server.command(admin, "1", "recall")  # the newest call is a recall: its mark is measured too


# The recall's mark on the newest call and the earlier calls' labels (an outside review: the mark was 16.5 px on a
# 1366x768 TV, under the floor, and the labels 27 px, small from five metres).
MARKS = """() => {
  const box = (el) => el.getBoundingClientRect();
  const [recall, label] = [document.getElementById('hero-recall'), document.getElementById('hero-label')];
  const [a, b] = [box(recall), box(label)];
  const rows = [...document.querySelectorAll('.recent-row:not(.is-blank):not([hidden]) .recent-label')];
  return {
    short: Math.min(innerWidth, innerHeight),
    recall: recall.hidden ? null : parseFloat(getComputedStyle(recall).fontSize),
    recallOverLabel: a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom,
    recallInCard: recall.closest('.hero-card') !== null
      && a.right <= box(recall.closest('.hero-card')).right + 1 && a.left >= box(recall.closest('.hero-card')).left - 1,
    rows: rows.map((l) => parseFloat(getComputedStyle(l).fontSize)),
    height: innerHeight,
    // the numbers of the counters serving someone (not "Siap melayani" or "Istirahat")
    tiles: [...document.querySelectorAll('.tile:not([hidden]):not(.is-idle):not(.is-paused) .tile-ticket')]
      .map((t) => parseFloat(getComputedStyle(t).fontSize)),
  };
}"""


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
@pytest.mark.parametrize("screen", ["lobby", "lantai2"])  # Lantai 2 shows "BPJS Ketenagakerjaan", the longest agency
async def test_every_text_is_readable_from_across_the_hall(
    browser: Browser, server: Server, size: tuple[int, int], screen: str
) -> None:
    await busy_hall(server)
    hero = "A-001"
    if screen == "lantai2":  # its newest call: one of Lantai 2's counters
        called = await server.command(await server.login("admin"), "15", "call_next")
        hero = called.json()["ticket"]["label"]
    async with board_page(browser, server, screen, size=size) as page:
        await until(page, "label => document.getElementById('hero-label').textContent === label", hero)
        await until(page, "() => document.querySelectorAll('.tile:not([hidden])').length > 0")
        measured = await settled(page)
        assert measured["small"] == [], measured["small"]
        assert measured["cut"] == [], measured["cut"]
        assert measured["hero"] >= measured["heroNeed"], measured
        marks = await page.evaluate(MARKS)
        if screen == "lobby":  # its newest call is the recall, and it has earlier calls
            assert marks["recall"] is not None and marks["recall"] >= 0.025 * marks["short"] - 0.05, marks
            assert not marks["recallOverLabel"] and marks["recallInCard"], marks
            assert marks["rows"], marks
        # the earlier calls' labels: at least 4 % of the shorter side (31 px on a 1366x768 TV, 43 px at 1080) and of
        # the height (77 px on a portrait TV, where they were 2.4 % of it); the counters' numbers 4.5 % of the height
        assert all(size >= 0.04 * max(marks["short"], marks["height"]) for size in marks["rows"]), marks
        assert all(size >= 0.045 * marks["height"] for size in marks["tiles"]), marks


async def test_counters_that_do_not_fit_are_shown_a_page_at_a_time(browser: Browser, server: Server) -> None:
    await busy_hall(server)
    # The page's clock stands still: a page turns when the test moves the clock on, not when the machine gets to it
    # (on a loaded machine the page turned between reading its number and its tiles).
    async with board_page(browser, server, size=(1366, 768), init_script=PAGE_CLOCK) as page:
        first = await until(page, COUNTERS_PAGE, "1/")
        pages = int(first["label"].split("/")[1])
        assert pages >= 2 and "1" in first["shown"], first
        # in turn, every PAGE_MS (10 s): the next page shows other counters
        await page.evaluate("window.__skip(10000)")
        second = await until(page, COUNTERS_PAGE, "2/")
        assert second["shown"] and not set(second["shown"]) & set(first["shown"]), (first, second)
        # a new call at a counter of another page brings that page at once (the clock still stands on page 2)
        admin = await server.login("admin")
        await server.issue("ktp")
        await server.command(admin, "1", "finish")
        await server.command(admin, "1", "call_next")
        await until(page, "() => document.getElementById('hero-label').textContent === 'A-002'")
        await until(page, """() => !document.querySelector(".tile[data-counter='1']").hidden""")


# The tiles or chips of a grid on screen now: [id, width, height] each.
ON_PAGE = """(grid) => [...document.querySelectorAll(`#${grid} > :not([hidden])`)].map((e) => {
  const r = e.getBoundingClientRect();
  return [e.dataset.counter || e.dataset.service, Math.round(r.width), Math.round(r.height)];
})"""


async def every_page(page: Page, grid: str, label: str) -> list[list[list[Any]]]:
    """Each page of a grid in turn (the page's clock moved on by the test), from the first: its tiles or chips."""
    await until(page, "id => document.getElementById(id).textContent.startsWith('1/')", label)
    count = int((await page.text_content(f"#{label}") or "").split("/")[1])
    seen = []
    for number in range(1, count + 1):
        await until(page, "([id, p]) => document.getElementById(id).textContent.startsWith(p)", [label, f"{number}/"])
        seen.append(await page.evaluate(ON_PAGE, grid))
        await page.evaluate("window.__skip(10000)")
    return seen


async def test_pages_are_even_and_a_list_that_fits_is_one_page(browser: Browser, server: Server) -> None:
    """7 open counters where a page holds 6 were shown 6 and 1, 5 waiting services where it holds 4 were 4 and 1: a
    page of one looked like a hall with one counter open. The pages are as even as they go (4 and 3, 3 and 2), laid
    out alike (the tiles of both pages the same size), nothing cut or under the floor; 6 counters are still one page."""
    site = server.ctx.sites["tegal"]
    admin = await server.login("admin")
    for service in list(site.services)[:5]:
        await server.issue(service)
    counters = list(site.counters)[:7]
    for counter in counters:
        assert (await server.command(admin, counter, "open")).status_code == 200
    async with board_page(browser, server, size=(1920, 1080), init_script=PAGE_CLOCK) as page:
        capacity = await until(
            page,
            "() => window.__display.view.counterFit.capacity(7) < 7 && ["
            "window.__display.view.counterFit.capacity(7), window.__display.view.waitingFit.capacity(5)]",
        )
        assert capacity == [6, 4], capacity  # what a page holds at 1920x1080 (docs/display.md)
        tiles = await every_page(page, "counter-grid", "counters-page")
        chips = await every_page(page, "waiting-grid", "waiting-page")
        measured = await settled(page)
        assert measured["small"] == [] and measured["cut"] == [], measured
        assert await until(page, "() => document.querySelectorAll('.tile:not([hidden])').length")
        assert (await server.command(admin, counters[-1], "close")).status_code == 200
        await until(page, "() => document.getElementById('counters-page').textContent === ''")
        one_page = await until(page, "() => document.querySelectorAll('.tile:not([hidden])').length === 6 && 6")
    assert [len(p) for p in tiles] == [4, 3] and [len(p) for p in chips] == [3, 2], (tiles, chips)
    assert sorted(t[0] for p in tiles for t in p) == sorted(counters), tiles
    assert tiles[0][0][1:] == tiles[1][0][1:], "the tiles of both pages the same size"
    assert chips[0][0][1:] == chips[1][0][1:], "the chips of both pages the same size"
    assert one_page == 6


SPACE = """() => {
  const area = (el) => { const r = el.getBoundingClientRect(); return r.width * r.height; };
  const grid = document.getElementById('counter-grid');
  const tiles = [...grid.querySelectorAll('.tile:not([hidden])')];
  const chips = [...document.querySelectorAll('#waiting-grid .chip:not([hidden])')];
  const font = (sel) => Math.max(0, ...[...document.querySelectorAll(sel)].filter((e) => e.offsetParent)
    .map((e) => parseFloat(getComputedStyle(e).fontSize)));
  return {
    tiles: tiles.length,
    tileShare: tiles.reduce((s, t) => s + area(t), 0) / area(grid),
    chips: chips.length,
    chipShare: chips.reduce((s, c) => s + area(c), 0) / area(document.getElementById('waiting-grid')),
    hero: parseFloat(getComputedStyle(document.getElementById('hero-label')).fontSize),
    tileTicket: font('.tile-ticket'),
    chipCount: font('.chip-count'),
  };
}"""


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
@pytest.mark.parametrize("open_counters", [1, 3])
async def test_few_open_counters_use_the_space(
    browser: Browser, server: Server, size: tuple[int, int], open_counters: int, tmp_path: Path
) -> None:
    """A small morning (one to three counters open, two services waiting) fills the counters' and the waiting
    counts' areas instead of leaving most of the screen empty; no tile's number outgrows the newest call's."""
    admin = await server.login("admin")
    for counter in ["1", "2", "3"][:open_counters]:
        assert (await server.command(admin, counter, "open")).status_code == 200
    for service in ["ktp", "ktp", "kia"]:
        await server.issue(service)
    await server.command(admin, "1", "call_next")
    async with board_page(browser, server, size=size) as page:
        await until(page, "() => document.getElementById('hero-label').textContent === 'A-001'")
        await until(page, "n => document.querySelectorAll('.tile:not([hidden])').length === n", open_counters)
        await until(page, "() => document.querySelectorAll('#waiting-grid .chip:not([hidden])').length === 2")
        readable = await settled(page)  # measured at once, a chip was seen cut for a frame
        measured = await page.evaluate(SPACE)
        shots = Path(os.environ.get("DISPLAY_SCREENSHOT_DIR") or tmp_path)  # Playwright makes the folder
        await page.screenshot(path=shots / f"board-{open_counters}-open-{size[0]}x{size[1]}.png")
    assert readable["small"] == [] and readable["cut"] == [], readable
    # one tile takes at least a third of its area, three fill it (less the gaps between them)
    assert measured["tileShare"] >= (0.85 if open_counters == 3 else 0.3), measured
    assert measured["chipShare"] >= 0.5, measured
    assert measured["tileTicket"] < measured["hero"] and measured["chipCount"] < measured["hero"], measured


SPANNED_CHIPS = """() => [...document.querySelectorAll('#waiting-grid .chip:not([hidden])')].map((chip) => {
  const part = (sel) => chip.querySelector(sel);
  const size = (el) => parseFloat(getComputedStyle(el).fontSize);
  return {service: chip.dataset.service, span: chip.style.getPropertyValue('--span') || '1',
          width: Math.round(chip.getBoundingClientRect().width),
          prefix: Math.round(part('.chip-prefix').getBoundingClientRect().width),
          prefixFont: size(part('.chip-prefix')), countFont: size(part('.chip-count')),
          nameFont: size(part('.chip-name'))};
})"""


@pytest.mark.parametrize("size", [(1920, 1080), (1080, 1920)], ids=["1920x1080", "1080x1920"])
async def test_the_last_waiting_count_of_a_short_row_keeps_a_chip_s_proportions(
    browser: Browser, server: Server, size: tuple[int, int]
) -> None:
    """Three services waiting in two columns: the third chip spans the row, and its prefix, count and name are as
    large as the other chips' (the prefix's column and the count were twice as wide, cqi of a chip twice as wide;
    an outside look saw one chip unlike the others)."""
    for service in ["ktp", "kia", "kk"]:
        await server.issue(service)
    async with board_page(browser, server, size=size) as page:
        await until(page, "() => document.querySelectorAll('#waiting-grid .chip:not([hidden])').length === 3")
        await settled(page)
        chips = await page.evaluate(SPANNED_CHIPS)
    spanned = [c for c in chips if c["span"] != "1"]
    single = [c for c in chips if c["span"] == "1"]
    if not spanned:  # a grid of one column (no row left short): nothing spans, nothing to compare
        assert len({c["width"] for c in chips}) == 1, chips
        return
    assert len(spanned) == 1 and spanned[0] is chips[-1] and single, chips
    wide, usual = spanned[0], single[0]
    assert wide["width"] > usual["width"] * 1.5, chips
    assert abs(wide["prefix"] - usual["prefix"]) <= 2, chips
    for font in ("prefixFont", "countFont", "nameFont"):
        assert abs(wide[font] - usual[font]) <= 1, (font, chips)


# The waiting counts drawn as the board model holds them: `counts` waiting tickets per service (and no others), so a
# busy afternoon's 4-digit counts (more than a service's quota lets a test issue) are on the screen at once.
SEED_WAITING = """(counts) => {
  const { board, view } = window.__display;
  board.waiting.clear();
  for (const [service, n] of Object.entries(counts)) {
    for (let i = 0; i < n; i++) board.waiting.set(`seeded-${service}-${i}`, service);
  }
  board.version++;
  view.schedule(board);
}"""
SHOWN_CHIPS = """(services) => document.getElementById('waiting-page').textContent === ''
  && [...document.querySelectorAll('#waiting-grid .chip:not([hidden])')].map((c) => c.dataset.service).join() === services.join()"""
CHIPS = """() => {
  const grid = document.getElementById('waiting-grid').getBoundingClientRect();
  const panel = document.querySelector('.waiting').getBoundingClientRect();
  return [...document.querySelectorAll('#waiting-grid .chip:not([hidden])')].map((chip) => {
    const r = chip.getBoundingClientRect();
    const name = chip.querySelector('.chip-name');
    const out = r.left < grid.left - 1 || r.right > grid.right + 1 || r.top < grid.top - 1 || r.bottom > grid.bottom + 1
      || grid.bottom > panel.bottom + 1;
    return {service: chip.dataset.service, name: name.textContent, count: chip.querySelector('.chip-count').textContent,
            clipped: name.scrollHeight > name.clientHeight + 1 || name.scrollWidth > name.clientWidth + 1, out};
  });
}"""


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
async def test_every_service_name_is_whole_on_its_chip_with_a_four_digit_count(
    browser: Browser, server: Server, size: tuple[int, int], tmp_path: Path
) -> None:
    """Every service of the demo mall, a page of chips at a time, with 1008 people waiting for each (4 digits, the
    widest count a day sees; the count's column is as wide for 1 digit): its whole name on the chip (no line cut
    off), no text under the floor, no chip outside its panel. The name was cut at 1366x768 and 1080x1920 when the
    count's column took most of the chip."""
    await busy_hall(server)
    shots = Path(os.environ.get("DISPLAY_SCREENSHOT_DIR") or tmp_path)
    async with board_page(browser, server, size=size) as page:
        await until(page, "() => document.querySelectorAll('#waiting-grid .chip:not([hidden])').length > 0")
        services: list[str] = await page.evaluate("() => [...window.__display.view.chips.keys()]")
        per: int = await page.evaluate("n => window.__display.view.waitingFit.capacity(n)", len(services))
        assert per >= 2
        found: list[Any] = []
        for first in range(0, len(services), per):
            shown = services[first : first + per] if first + per <= len(services) else services[-per:]
            await page.evaluate(SEED_WAITING, dict.fromkeys(shown, 1008))
            await until(page, SHOWN_CHIPS, shown)
            measured = await settled(page)
            chips = await page.evaluate(CHIPS)
            await page.screenshot(path=shots / f"chips-{size[0]}x{size[1]}-{first // per + 1}.png")
            assert all(c["count"] == "1008" for c in chips), chips
            found += [c["name"] for c in chips if c["clipped"]] + [f"{c['name']} outside" for c in chips if c["out"]]
            found += measured["small"] + measured["cut"]
    assert found == []


# Every text of the newest call that reaches past its card's edges (the card clips it: half a word gone).
PAST_THE_CARD = """() => {
  const card = document.querySelector('.hero-card').getBoundingClientRect();
  return [...document.querySelectorAll('.hero-card *')].filter((e) => {
    const b = e.getBoundingClientRect();
    return b.width > 0 && (b.left < card.left - 0.5 || b.right > card.right + 0.5);
  }).map((e) => `${e.id || e.className} ${e.textContent.trim().slice(0, 30)}`);
}"""


@pytest.mark.parametrize("size", [(1280, 720), (1080, 1920)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_a_long_service_and_agency_name_stay_inside_the_newest_call(
    browser: Browser, tmp_path: Path, size: tuple[int, int]
) -> None:
    """An outside review with a site of long names: "Perekaman dan Pencetakan Kartu Tanda Penduduk Elektronik
    (KTP-el) bagi Warga Pindahan" of "Dinas Kependudukan dan Pencatatan Sipil Kabupaten Tegal" ran past both edges of
    the newest call's card at 1280x720, cut mid-word (the card's one column was as wide as its longest text). They
    wrap inside it, on two lines at most, and end with an ellipsis."""
    site_file = tmp_path / "tegal.toml"
    site_file.write_text(
        DEMO_SITE.read_text()
        .replace('name = "KTP Elektronik"', f'name = "{LONG_SERVICE}"')
        .replace('short_name = "Disdukcapil"', f'short_name = "{LONG_AGENCY}"')
    )
    async with running_server(tmp_path / "queue.sqlite3", site_files=[site_file]) as server:
        await server.issue("ktp")
        admin = await server.login("admin")
        await server.command(admin, "1", "open")
        await server.command(admin, "1", "call_next")
        async with board_page(browser, server, size=size) as page:
            await until(page, "() => document.getElementById('hero-label').textContent === 'A-001'")
            assert await page.text_content("#hero-service") == LONG_SERVICE
            assert await page.evaluate(PAST_THE_CARD) == []


LONG_SERVICE = "Perekaman dan Pencetakan Kartu Tanda Penduduk Elektronik (KTP-el) bagi Warga Pindahan"
LONG_AGENCY = "Dinas Kependudukan dan Pencatatan Sipil Kabupaten Tegal"


# Counters named as many malls name them, the counter and its agency ("Loket 10 Imigrasi", "Loket 19 Perizinan").
COUNTER_WORD = {"disdukcapil": "Dukcapil", "polres": "Polres", "samsat": "Samsat", "imigrasi": "Imigrasi",
                "pajak": "Pajak", "bpjs_kesehatan": "BPJS", "bpjs_tk": "BPJSTK", "bpn": "BPN", "dpmptsp": "Perizinan",
                "bank_jateng": "Bank", "kemenag": "Kemenag", "pos": "Pos", "pln": "PLN", "pdam": "PDAM"}  # fmt: skip
# Every text of a tile, the newest call or a row of earlier calls that reaches past its box (clipped: part of a word
# gone, with no ellipsis to show it).
PAST_THE_BOX = """() => [...document.querySelectorAll('.tile-name > span, .tile-ticket, .tile-agency, .hero-label, '
    + '.hero-counter, .recent-label, .recent-counter, .recent-time')]
  .filter((e) => e.getClientRects().length && !e.closest('[hidden]') && getComputedStyle(e).visibility !== 'hidden')
  .filter((e) => {
    const range = document.createRange();
    range.selectNodeContents(e);
    const text = range.getBoundingClientRect();
    const box = e.closest('.tile, .hero-card, .recent-row').getBoundingClientRect();
    return text.width > 0 && (text.left < box.left - 1 || text.right > box.right + 1 || text.bottom > box.bottom + 1);
  }).map((e) => `${e.className} ${e.textContent}`)"""


# Counter names of 25, 40, 60 and 120 characters (a site file allows 120), the newest call's counter.
LONG_COUNTERS = [
    "Loket 1A Perekaman KTP-el",
    "Loket 1A Perekaman dan Pencetakan KTP-el",
    "Loket 1A Perekaman dan Pencetakan KTP-el bagi Warga Pindahan",
    "Loket 1A Pelayanan Terpadu Perekaman dan Pencetakan Kartu Tanda Penduduk Elektronik bagi Warga Pindahan dari Kota "
    "Brebes",
]
# The newest call's counter: its lines, size, whether it is whole (no "…", nothing past the card), and the number's size.
HERO_COUNTER = """() => {
  // the counter's tile inside its area, and its number inside the tile (its name may end with "…")
  const tileWhole = () => {
    const tile = document.querySelector(".tile[data-counter='1']").getBoundingClientRect();
    const grid = document.getElementById('counter-grid').getBoundingClientRect();
    const range = document.createRange();
    range.selectNodeContents(document.querySelector(".tile[data-counter='1'] .tile-ticket"));
    const number = range.getBoundingClientRect();
    return tile.right <= grid.right + 1 && number.left >= tile.left - 1 && number.right <= tile.right + 1;
  };
  const counter = document.getElementById('hero-counter');
  const style = getComputedStyle(counter);
  const range = document.createRange();
  range.selectNodeContents(counter);
  const text = range.getBoundingClientRect();
  const card = document.querySelector('.hero-card').getBoundingClientRect();
  const box = counter.getBoundingClientRect();
  const size = parseFloat(style.fontSize);
  const short = Math.min(innerWidth, innerHeight);
  return {
    lines: Math.round(box.height / parseFloat(style.lineHeight)),
    size: Math.round(size * 10) / 10,
    ofShort: Math.round(size / short * 1000) / 10,
    whole: counter.scrollHeight <= counter.clientHeight + 1 && counter.scrollWidth <= counter.clientWidth + 1,
    inCard: box.left >= card.left - 0.5 && box.right <= card.right + 0.5 && box.bottom <= card.bottom + 0.5,
    label: parseFloat(getComputedStyle(document.getElementById('hero-label')).fontSize) / short,
    text: counter.textContent,
    tile: tileWhole(),
  };
}"""


async def test_a_long_counter_name_wraps_to_two_lines_in_the_newest_call(browser: Browser, tmp_path: Path) -> None:
    """Site files allow 120 characters for a counter's name, and over about 25 the newest call's counter ended with
    "…": the counter is where the citizen must walk. A name too long for one line wraps to two, then shrinks to the
    board's floor; only beyond that it ends with "…". Names of 25, 40 and 60 characters (and the floor, " · Lantai 1")
    are whole at 1920x1080, 1366x768 and 1080x1920, none under the floor, the number still 15 % of the screen; the
    120-character one stays inside the card at the floor, on two lines ending with "…"."""
    shots = Path(os.environ.get("DISPLAY_SCREENSHOT_DIR") or tmp_path)
    found: dict[str, dict[str, Any]] = {}
    for n, name in enumerate(LONG_COUNTERS):
        site_file = tmp_path / f"tegal-{n}.toml"
        site_file.write_text(DEMO_SITE.read_text().replace('name = "Loket 1"\n', f'name = "{name}"\n', 1))
        async with running_server(tmp_path / f"queue-{n}.sqlite3", site_files=[site_file]) as server:
            assert server.ctx.sites["tegal"].counters["1"].name == name
            await server.issue("ktp")
            admin = await server.login("admin")
            await server.command(admin, "1", "open")
            await server.command(admin, "1", "call_next")
            for size in [(1920, 1080), (1366, 768), (1080, 1920)]:
                async with board_page(browser, server, size=size) as page:
                    await until(page, "() => document.getElementById('hero-label').textContent === 'A-001'")
                    await settled(page)
                    found[f"{len(name)} {size[0]}x{size[1]}"] = await page.evaluate(HERO_COUNTER)
                    await page.screenshot(path=shots / f"counter-{len(name)}-{size[0]}x{size[1]}.png")
    for where, hero in found.items():
        assert (
            hero["text"] == LONG_COUNTERS[[len(n) for n in LONG_COUNTERS].index(int(where.split()[0]))] + " · Lantai 1"
        )
        assert hero["inCard"] and hero["lines"] <= 2 and hero["ofShort"] >= 2.5, (where, hero)
        assert hero["label"] >= 0.15, (where, hero)
        assert hero["tile"], (where, hero)  # the tile's number was cut off by a 120-character name
        if not where.startswith("120 "):
            assert hero["whole"], (where, hero)
    for size in ["1920x1080", "1366x768", "1080x1920"]:
        assert found[f"60 {size}"]["lines"] == 2, found[f"60 {size}"]
    print({where: {k: hero[k] for k in ("lines", "size", "ofShort", "whole")} for where, hero in found.items()})


# A counter named as malls name them, 60 characters ("Loket Pelayanan Paspor Kantor Imigrasi Kelas I TPI Pemalang" is
# another), on its tile: its box, its name's lines, size (in floors) and whether it is whole, its number and agency.
LONG_TILE = "Loket 12 BPJS Ketenagakerjaan Kantor Cabang Perintis Tegal 2"
TILES = """() => {
  const floor = 0.025 * Math.min(innerWidth, innerHeight);
  const text = (el) => { const range = document.createRange(); range.selectNodeContents(el); return range; };
  const over = (a, b) => a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
  const inside = (a, b) => a.left >= b.left - 1 && a.right <= b.right + 1 && a.top >= b.top - 1 && a.bottom <= b.bottom + 1;
  const grid = document.getElementById('counter-grid').getBoundingClientRect();
  const tiles = [...document.querySelectorAll('.tile:not([hidden])')];
  const boxes = tiles.map((tile) => tile.getBoundingClientRect());
  return Object.fromEntries(tiles.map((tile, i) => {
    const box = boxes[i];
    const name = tile.querySelector('.tile-name > span');
    const shown = name.getBoundingClientRect(); // its lines shown (two at most)
    // the number's and the agency's rows (a text's range is its font's whole ascent and descent, past a line of 1)
    const ticket = tile.querySelector('.tile-ticket');
    const number = ticket.getBoundingClientRect();
    const agency = tile.querySelector('.tile-agency').getBoundingClientRect();
    const digits = text(ticket).getBoundingClientRect();
    return [tile.dataset.counter, {
      width: Math.round(box.width),
      lines: new Set([...text(name).getClientRects()].map((r) => Math.round(r.top))).size,
      whole: name.scrollHeight <= name.clientHeight + 1 && name.scrollWidth <= name.clientWidth + 1,
      floors: parseFloat(getComputedStyle(name).fontSize) / floor,
      inside: inside(box, grid) && [shown, number, agency].every((r) => inside(r, box))
        && digits.left >= box.left - 1 && digits.right <= box.right + 1
        && parseFloat(getComputedStyle(ticket).fontSize) <= ticket.clientHeight + 1, // its line of 1 in its row
      apart: !over(shown, number) && !over(number, agency) && !over(shown, agency)
        && boxes.every((other, j) => j === i || !over(box, other)),
      number: ticket.textContent,
      numberOfHeight: parseFloat(getComputedStyle(ticket).fontSize) / innerHeight,
    }];
  }));
}"""
# The earlier call's row at a counter: its name's lines and size, inside the row, clear of the label and the time.
ROW_OF = """(name) => {
  const row = [...document.querySelectorAll('.recent-row:not(.is-blank):not([hidden])')]
    .find((r) => r.querySelector('.recent-counter').textContent === name);
  if (!row) return null;
  const box = (sel) => row.querySelector(sel).getBoundingClientRect();
  const [r, counter, label, time] = [row.getBoundingClientRect(), box('.recent-counter'), box('.recent-label'), box('.recent-time')];
  const over = (a, b) => a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
  const style = getComputedStyle(row.querySelector('.recent-counter'));
  return {
    lines: Math.round(counter.height / parseFloat(style.lineHeight)),
    floors: parseFloat(style.fontSize) / (0.025 * Math.min(innerWidth, innerHeight)),
    inside: counter.left >= r.left - 1 && counter.right <= r.right + 1 && counter.top >= r.top - 1 && counter.bottom <= r.bottom + 1,
    apart: !over(counter, label) && !over(counter, time),
  };
}"""


async def test_a_long_counter_name_wraps_on_its_tile_of_the_usual_width(browser: Browser, tmp_path: Path) -> None:
    """Counters' names on the tiles shrank to the floor and then ended with "…", and the tiles were made as wide as
    the longest name needed: one long name made every tile as wide as the area, one counter a page. A long name wraps
    to two lines (the newest call's rule) in a tile of the usual width: a 60-character name is whole on two lines at
    1920x1080, 1366x768 and 1080x1920, never under the floor, its tile's number whole and at least 4.5 % of the
    screen's height, nothing overlapping inside the tile or between tiles; a 120-character one (a site file allows 120)
    ends with "…" on its second line; the other tiles keep the width and the count of a page of short names. The
    earlier call's row of that counter has its name on two lines, inside the row, clear of the label and the time."""
    shots = Path(os.environ.get("DISPLAY_SCREENSHOT_DIR") or tmp_path)
    sites = {"usual": DEMO_SITE.read_text()}
    sites["long"] = (
        sites["usual"]
        .replace('id = "2"\n  name = "Loket 2"\n', f'id = "2"\n  name = "{LONG_TILE}"\n', 1)
        .replace('id = "3"\n  name = "Loket 3"\n', f'id = "3"\n  name = "{LONG_COUNTERS[3]}"\n', 1)
    )
    found: dict[str, dict[str, Any]] = {}
    for variant, text in sites.items():
        site_file = tmp_path / f"tegal-{variant}.toml"
        site_file.write_text(text)
        async with running_server(tmp_path / f"queue-{variant}.sqlite3", site_files=[site_file]) as server:
            site = server.ctx.sites["tegal"]
            if variant == "long":
                assert [site.counters[c].name for c in ("2", "3")] == [LONG_TILE, LONG_COUNTERS[3]]
            for service in ("ktp", "kk", "akta", "kia", "pindah"):
                for _ in range(3):
                    await server.issue(service)
            admin = await server.login("admin")
            for counter in site.counters:
                assert (await server.command(admin, counter, "open")).status_code == 200
            for counter in ("2", "3", "1"):  # the long names serve someone; counter 2 is among the earlier calls
                server.clock.advance(seconds=30)  # the calls in this order on the board
                called = await server.command(admin, counter, "call_next")
                assert called.status_code == 200, called.text
            newest = called.json()["ticket"]["label"]
            for size in [(1920, 1080), (1366, 768), (1080, 1920)]:
                async with board_page(browser, server, size=size, init_script=PAGE_CLOCK) as page:
                    await until(page, "label => document.getElementById('hero-label').textContent === label", newest)
                    await until(page, "() => document.querySelectorAll('.tile:not([hidden])').length > 3")
                    await settled(page)
                    where = f"{size[0]}x{size[1]}"
                    found[f"{variant} {where}"] = {
                        "tiles": await page.evaluate(TILES),
                        "row": await page.evaluate(ROW_OF, site.counters["2"].name),
                    }
                    await page.screenshot(path=shots / f"tile-names-{variant}-{where}.png")
    for where in ["1920x1080", "1366x768", "1080x1920"]:
        usual, long = found[f"usual {where}"]["tiles"], found[f"long {where}"]["tiles"]
        assert list(long) == list(usual), (where, list(long), list(usual))  # as many tiles a page, the same ones
        for counter, tile in long.items():
            assert abs(tile["width"] - usual[counter]["width"]) <= 1, (where, counter, tile, usual[counter])
            assert tile["inside"] and tile["apart"] and tile["floors"] >= 0.998, (where, counter, tile)
            assert tile["numberOfHeight"] >= 0.045 or tile["number"] in ("Siap melayani", "Istirahat"), (where, tile)
        sixty, longest = long["2"], long["3"]
        assert sixty["lines"] == 2 and sixty["whole"] and re.fullmatch(r"[A-Z]-00\d", sixty["number"]), (where, sixty)
        assert longest["lines"] > 2 and not longest["whole"], (where, longest)  # two lines shown, ending with "…"
        assert re.fullmatch(r"[A-Z]-00\d", longest["number"]), (where, longest)
        row = found[f"long {where}"]["row"]
        assert row is not None and row["lines"] == 2 and row["floors"] >= 0.998, (where, row)
        assert row["inside"] and row["apart"], (where, row)
    print({where: {c: (t["lines"], round(t["floors"], 2), t["width"]) for c, t in seen["tiles"].items()}
           for where, seen in found.items()})  # fmt: skip


ROWS_SHOWN = """() => [...document.querySelectorAll('.recent-row:not(.is-blank):not([hidden])')]
  .map((row) => [row.querySelector('.recent-label').textContent, row.querySelector('.recent-counter').textContent])"""


async def test_four_digit_labels_and_long_counter_names_stay_whole_and_readable(
    browser: Browser, tmp_path: Path
) -> None:
    """An outside review: on a portrait TV a 4-digit label ("HA-1234") took most of an earlier call's row, and the
    counter's name beside it was cut ("Lok…"); a name such as "Loket 23 Kemenag · Lantai 2" ran past both edges of
    the newest call's card at 1366x768. The rows of earlier calls are laid out for the widest label of the day and
    the longest counter's name of the screen (on a portrait TV, the counter and the time under the label: six calls
    instead of eight, and not four in one column), the newest call's counter and the tiles' names are made smaller to
    fit: nothing cut or past its box, no text under the floor, the labels at least 4 % of the height."""
    text = DEMO_SITE.read_text().replace('prefix = "HA"\n  daily_quota = 30', 'prefix = "HA"\n  daily_quota = 1100')
    agency = ""
    lines = []
    for line in text.splitlines():
        if found := re.match(r'^id = "([a-z_]+)"$', line):
            agency = found.group(1)
        if found := re.match(r'^  name = "Loket (\d+)"$', line):
            line = f'  name = "Loket {found.group(1)} {COUNTER_WORD[agency]}"'
        lines.append(line)
    site_file = tmp_path / "tegal.toml"
    site_file.write_text("\n".join(lines) + "\n")
    async with running_server(tmp_path / "queue.sqlite3", site_files=[site_file]) as server:
        site = server.ctx.sites["tegal"]
        admin = await server.login("admin")
        for _ in range(1003):  # the day's 1,000th pilgrimage registration and after
            await server.issue("haji")
        for service in site.services:
            await server.issue(service)
        for counter in site.counters:
            assert (await server.command(admin, counter, "open")).status_code == 200
        labels = []
        for counter, ticket in [("1", None), ("23", "HA-1000"), ("10", None), ("23", "HA-1001"), ("5", None),
                                ("23", "HA-1002"), ("15", None), ("19", None)]:  # fmt: skip
            server.clock.advance(seconds=30)
            await server.command(admin, counter, "finish")
            called = await server.command(
                admin, counter, "call" if ticket else "call_next", **({"ticket": ticket} if ticket else {})
            )
            assert called.status_code == 200, called.text
            labels.append(called.json()["ticket"]["label"])
        assert labels[1::2][:3] == ["HA-1000", "HA-1001", "HA-1002"], labels
        shots = Path(os.environ.get("DISPLAY_SCREENSHOT_DIR") or tmp_path)
        found: dict[str, Any] = {}
        for size in [(1080, 1920), (1920, 1080), (1366, 768), (1280, 720)]:
            async with board_page(browser, server, size=size) as page:
                await until(page, "label => document.getElementById('hero-label').textContent === label", labels[-1])
                await until(page, "() => document.querySelectorAll('.tile:not([hidden])').length > 0")
                measured = await settled(page)
                marks = await page.evaluate(MARKS)
                shown = await page.evaluate(ROWS_SHOWN)
                await page.screenshot(path=shots / f"long-names-{size[0]}x{size[1]}.png")
                found[f"{size[0]}x{size[1]}"] = {
                    "small": measured["small"], "cut": measured["cut"], "past": await page.evaluate(PAST_THE_BOX),
                    "hero": await page.text_content("#hero-counter"), "rows": marks["rows"], "shown": shown,
                    "form": await page.evaluate("() => document.getElementById('recent-list').dataset.form"),
                }  # fmt: skip
    for where, seen in found.items():
        assert seen["small"] == [] and seen["cut"] == [] and seen["past"] == [], (where, seen)
        assert seen["hero"] == "Loket 19 Perizinan · Lantai 2", (where, seen)
        assert all(size >= 0.04 * int(where.split("x")[1]) for size in seen["rows"]), (where, seen)
        assert ["HA-1002", "Loket 23 Kemenag"] in seen["shown"], (where, seen)  # a 4-digit label, its counter whole
    portrait = found["1080x1920"]
    assert portrait["form"] == "under" and len(portrait["shown"]) == 6, portrait  # two columns of three


# The sound banner's box against every other part of the top bar and the board, and the room the board has: its
# area, and how many counters, waiting counts and earlier calls a page holds.
BANNER_PLACE = """(id) => {
  const banner = document.getElementById(id || 'banner-audio');
  const b = banner.getBoundingClientRect();
  const over = (r) => r.height > 0 && r.left < b.right && b.left < r.right && r.top < b.bottom && b.top < r.bottom;
  const parts = '.topbar > :not(.banner-top), .topbar-names > *, .topbar-time > *, .section-title, .hero-card, '
    + '.tile, .recent-row, .chip';
  const covered = [...document.querySelectorAll(parts)]
    .filter((e) => !e.closest('[hidden]') && getComputedStyle(e).visibility !== 'hidden' && over(e.getBoundingClientRect()))
    .map((e) => `${e.className} ${e.textContent.trim().slice(0, 30)}`);
  const topbar = document.querySelector('.topbar').getBoundingClientRect();
  const layout = document.querySelector('.layout').getBoundingClientRect();
  const { view } = window.__display;
  const range = document.createRange();
  range.selectNodeContents(banner);
  const words = range.getBoundingClientRect();
  return {
    shown: !banner.hidden && b.height > 0,
    covered,
    inTopbar: b.top >= topbar.top - 0.5 && b.bottom <= topbar.bottom + 0.5 && b.left >= -0.5 && b.right <= innerWidth + 0.5,
    whole: banner.scrollHeight <= banner.clientHeight + 1 && banner.scrollWidth <= banner.clientWidth + 1
      && words.top >= b.top - 0.5 && words.bottom <= b.bottom + 0.5 && words.left >= b.left - 0.5 && words.right <= b.right + 0.5,
    lines: Math.round(words.height / parseFloat(getComputedStyle(banner).lineHeight)),
    time: document.getElementById('clock-time').getBoundingClientRect().width > 0,
    font: parseFloat(getComputedStyle(banner).fontSize) / Math.min(innerWidth, innerHeight),
    text: banner.textContent.trim(),
    others: [...document.querySelectorAll('.banner-top')].filter((e) => e !== banner && !e.hidden).map((e) => e.id),
    room: {
      top: layout.top, height: layout.height,
      counters: view.counterFit.capacity(view.tiles.size), waiting: view.waitingFit.capacity(view.chips.size),
      recent: view.recentShown,
    },
  };
}"""
BLOCKED = {"id": "Suara diblokir oleh peramban — ketuk layar untuk mengaktifkan",
           "en": "Sound is blocked by the browser — tap the screen to enable it"}  # fmt: skip


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_the_sound_blocked_banner_hides_nothing_and_costs_the_board_nothing(
    browser: Browser, server: Server, lang: str, tmp_path: Path
) -> None:
    """An outside review: the yellow "sound blocked" banner, shown until someone taps the screen, lay over the board:
    on a portrait TV it took two lines over the top of the newest number, in landscape over the counters' heading
    and the top tiles' names. Then it had a row of its own under the top bar, and while it showed the board held
    two waiting counts a page instead of four and four earlier calls instead of five (1920x1080, 1366x768), six
    instead of eight on a portrait TV. Now it lies in the top bar, in the place of the names (and of a portrait TV's
    date), in two lines at most: it covers nothing, and the board has the same area and holds as much with it."""
    await busy_hall(server)
    shots = Path(os.environ.get("DISPLAY_SCREENSHOT_DIR") or tmp_path)
    found = {}
    for size in [(1920, 1080), (1366, 768), (1280, 720), (1280, 1024), (1080, 1920)]:
        query = "?lang=en" if lang == "en" else ""
        async with board_page(browser, server, size=size, init_script=BLOCK_AUDIO, query=query) as page:
            await until(page, "() => document.body.dataset.audio === 'blocked'")
            await until(page, "() => document.querySelectorAll('.tile:not([hidden])').length > 0")
            await settled(page)
            place = await page.evaluate(BANNER_PLACE)
            await page.screenshot(path=shots / f"sound-blocked-{lang}-{size[0]}x{size[1]}.png")
            assert place["shown"] and place["text"] == BLOCKED[lang], place
            await page.evaluate("window.__blockAudio = false")  # what a tap does to a real browser's policy
            await page.mouse.click(size[0] // 2, size[1] // 2)
            await until(page, "() => document.body.dataset.audio === 'ready'")
            after = await page.evaluate(BANNER_PLACE)
            assert not after["shown"], after
            found[f"{size[0]}x{size[1]}"] = (place, after["room"])
    for where, (place, room) in found.items():
        assert place["covered"] == [] and place["inTopbar"] and place["whole"], (where, place)
        assert place["lines"] <= 2 and place["time"], (where, place)  # and the time still shows beside it
        assert place["font"] >= 0.033, (where, place)  # as large as the site's name: seen from the door
        assert place["room"] == room, (where, place["room"], room)


# What each frame painted. Sampled after the frame (a message posted from requestAnimationFrame), and only when nothing
# changed in the page since that frame began: a task that runs between a frame and the sample (the sound refused, the
# banner shown) changes what a measurement lays out, and on a loaded machine a sample measured a banner and squeezed
# chips that no frame had painted (the board redraws in the frame of the new size, before painting it).
PAINTED = """() => {
  window.__painted = [];
  let changes = 0;
  let seen = 0;
  new MutationObserver(() => { changes++; })
    .observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
  const floor = 0.026 * Math.min(innerWidth, innerHeight);
  const shown = (sel) => [...document.querySelectorAll(sel)].filter((e) => !e.hidden);
  const outside = (items, grid) => {
    const box = document.getElementById(grid).getBoundingClientRect();
    return items.filter((e) => e.getBoundingClientRect().bottom > box.bottom + 1).length;
  };
  const sample = () => {
    const chips = shown('.chip'), tiles = shown('.tile');
    window.__painted.push({
      audio: document.body.dataset.audio,
      link: document.body.dataset.link,
      banners: [...document.querySelectorAll('.banner-top')].filter((e) => !e.hidden).map((e) => e.id),
      height: document.querySelector('.layout').getBoundingClientRect().height,
      chips: chips.map((e) => e.dataset.service),
      tiles: tiles.map((e) => e.dataset.counter),
      small: chips.filter((e) => e.getBoundingClientRect().height < floor / 0.24 - 1).length,
      cut: outside(chips, 'waiting-grid') + outside(tiles, 'counter-grid'),
    });
  };
  const channel = new MessageChannel();
  channel.port1.onmessage = () => {
    if (changes === seen) sample();
    requestAnimationFrame(() => { seen = changes; channel.port2.postMessage(0); });
  };
  requestAnimationFrame(() => { seen = changes; channel.port2.postMessage(0); });
}"""
# At least `n` frames painted with `key` (audio, link) at `value` since the last one painted with another value.
PAINTED_SINCE = """([key, value, n]) => {
  const last = window.__painted.findLastIndex((f) => f[key] !== value);
  return window.__painted.length - 1 - last >= n;
}"""


@pytest.mark.parametrize("size", [(1920, 1080), (1366, 768), (1080, 1920)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_board_keeps_its_pages_as_the_sound_banner_comes_and_goes(
    browser: Browser, server: Server, size: tuple[int, int]
) -> None:
    """The sound banner comes with a call whose sound is refused and goes at a tap: every frame painted meanwhile has
    the board's area and the waiting counts of the page shown before, none squeezed or cut (in a row of its own, the
    banner made the board shorter, and the page held half the waiting counts until someone tapped the screen)."""
    await busy_hall(server)
    for _ in range(3):
        await server.issue("ktp")  # Loket 1 calls one below: KTP still waits, the chips stay in place
    unblocked = BLOCK_AUDIO + PAGE_CLOCK + "window.__blockAudio = false;"
    async with board_page(browser, server, size=size, init_script=unblocked) as page:
        await until(page, "() => document.body.dataset.audio === 'ready'")
        await settled(page)
        before = await painting_on_a_later_page(page)

        await page.evaluate("window.__blockAudio = true")  # the next sound is refused, as a browser's policy does
        await call_next(server, await server.login("op-disdukcapil"), "1")
        await until(page, PAINTED_SINCE, ["audio", "blocked", 5])  # frames painted with the banner
        await page.evaluate("window.__blockAudio = false")
        await page.mouse.click(size[0] // 2, size[1] // 2)  # a tap allows sound: the banner goes
        await until(page, PAINTED_SINCE, ["audio", "ready", 5])  # and frames painted after it went
        painted = await page.evaluate("() => window.__painted")
    assert [f for f in painted if f["audio"] == "blocked"], painted
    assert [f for f in painted if f["small"] or f["cut"]] == [], "no frame with a chip or tile squeezed or cut"
    assert [f for f in painted if f["chips"] != before["chips"]] == [], f"{before['chips']} in every frame"
    assert [f for f in painted if abs(f["height"] - before["height"]) > 0.5] == [], "the board's height throughout"


async def painting_on_a_later_page(page: Page) -> dict[str, Any]:
    """The waiting counts moved on to a later page than the first (the page's clock, PAGE_CLOCK, then stands still
    there), every frame painted from here on recorded (PAINTED); answers the last frame painted before the test acts."""
    await page.evaluate("window.__skip(35000)")
    await until(page, "() => /^[2-9][/]/.test(document.getElementById('waiting-page').textContent)")
    await page.evaluate(PAINTED)
    await until(page, "() => window.__painted.length > 5")
    return await page.evaluate("() => window.__painted.at(-1)")  # type: ignore[no-any-return]


OFFLINE_SINCE = re.compile(
    r"^Koneksi terputus sejak [0-9]{2}[.][0-9]{2} [(](baru\u00a0saja|[0-9]+\u00a0menit\u00a0lalu)[)] — menyambung ulang…$"
)


@pytest.mark.parametrize("size", [(1920, 1080), (1366, 768), (1080, 1920)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_offline_banner_costs_the_board_nothing_and_takes_the_sound_banner_s_place(
    browser: Browser, tmp_path: Path, size: tuple[int, int]
) -> None:
    """The banner of a lost connection had a row of its own above the dimmed board: while it showed, the board was
    shorter, and a page held two waiting counts instead of four, four earlier calls instead of five (six instead of
    eight on a portrait TV). Now it lies in the top bar like the sound banner, in the place of the names, and says
    since when the server is away: every frame painted while the server goes away and comes back has the board's
    height and the waiting counts of the page shown before, none squeezed or cut. Sound blocked and the server away
    at once: the lost connection shows (the board may be stale; no call comes to be said), the sound banner again
    once the server is back."""
    database = tmp_path / "queue.sqlite3"
    shots = Path(os.environ.get("DISPLAY_SCREENSHOT_DIR") or tmp_path)
    async with AsyncExitStack() as stack:
        async with running_server(database) as first:
            port = first.config.port
            await busy_hall(first)
            page = await stack.enter_async_context(
                board_page(browser, first, size=size, init_script=BLOCK_AUDIO + PAGE_CLOCK)
            )
            await until(page, "() => document.body.dataset.audio === 'blocked'")
            await settled(page)
            sound = await page.evaluate(BANNER_PLACE, "banner-audio")
            before = await painting_on_a_later_page(page)
        # The server is gone: the banner comes; then the server is back where the board expects it.
        await until(page, PAINTED_SINCE, ["link", "offline", 5])
        offline = await page.evaluate(BANNER_PLACE, "banner-offline")
        await page.screenshot(path=shots / f"offline-{size[0]}x{size[1]}.png")
        async with running_server(database, port=port):
            await until(page, PAINTED_SINCE, ["link", "live", 5], 45_000)  # the board's backoff: up to 10 s
            painted = await page.evaluate("() => window.__painted")
            back = await page.evaluate(BANNER_PLACE, "banner-audio")
    assert OFFLINE_SINCE.match(offline["text"]), offline
    assert offline["covered"] == [] and offline["inTopbar"] and offline["whole"], offline
    assert offline["lines"] <= 2 and offline["time"] and offline["font"] >= 0.033, offline
    assert offline["others"] == [] and offline["room"] == sound["room"], (offline, sound)
    assert back["shown"] and back["room"] == sound["room"], back  # the sound banner is back with the server
    frames = [frame for frame in painted if frame["link"] == "offline"]
    assert frames and painted[-1]["link"] == "live", painted
    assert all(frame["banners"] == ["banner-offline"] for frame in frames), "one banner at a time"
    assert [f for f in painted if f["chips"] != before["chips"]] == [], f"{before['chips']} in every frame"
    assert [f for f in painted if abs(f["height"] - before["height"]) > 0.5] == [], "the board's height throughout"
    assert [f for f in painted if f["small"] or f["cut"]] == [], "no frame with a chip or tile squeezed or cut"


# The offline banner after the server was last heard from `ms` ago, for each of `ages`: its words, lines, and whether
# they are whole in the top bar. A second StatusView on the same elements (the page's own is live: it leaves them).
OFFLINE_AGES = """async (ages) => {
  const { StatusView } = await import('/static/display/js/status_view.js');
  const { view, clock } = window.__display;
  const status = new StatusView(view.config, clock);
  const banner = document.getElementById('banner-offline');
  const found = ages.map((ms) => {
    status.setLink('offline', Date.now() - ms);
    const range = document.createRange();
    range.selectNodeContents(banner);
    const words = range.getBoundingClientRect();
    const b = banner.getBoundingClientRect();
    const topbar = document.querySelector('.topbar').getBoundingClientRect();
    return {
      text: banner.textContent.replaceAll('\u00a0', ' '), // the age's spaces do not break
      lines: Math.round(words.height / parseFloat(getComputedStyle(banner).lineHeight)),
      whole: words.top >= b.top - 0.5 && words.bottom <= b.bottom + 0.5 && b.bottom <= topbar.bottom + 0.5
        && words.left >= b.left - 0.5 && words.right <= b.right + 0.5,
    };
  });
  status.setLink('live');
  return found;
}"""
AGES = {
    "id": [
        "(baru saja) — menyambung ulang…",
        "(12 menit lalu)",
        "(1 jam 5 menit lalu)",
        "(25 jam lalu)",
        "(23 jam 59 menit lalu)",
    ],
    "en": ["(just now) — reconnecting…", "(12 min ago)", "(1 h 5 min ago)", "(25 h ago)", "(23 h 59 min ago)"],
}


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_the_offline_banner_says_since_when_in_two_lines_at_most(
    browser: Browser, server: Server, lang: str
) -> None:
    """The lost connection's banner says since when the server is away and how long ago ("sejak 08.30 (12 menit
    lalu)"): in the top bar's two lines at every size, the long form where it fits, else without "menyambung
    ulang…" (a portrait TV)."""
    found = {}
    for size in [(1920, 1080), (1366, 768), (1080, 1920)]:
        async with board_page(browser, server, size=size, query="?lang=en" if lang == "en" else "") as page:
            ages = [20_000, 12 * 60_000 + 5_000, 65 * 60_000, 25 * 3_600_000, (23 * 60 + 59) * 60_000]
            found[f"{size[0]}x{size[1]}"] = await page.evaluate(OFFLINE_AGES, ages)
    for where, banners in found.items():
        assert all(b["lines"] <= 2 and b["whole"] for b in banners), (where, banners)
        assert [b["text"] for b in banners if not any(a in b["text"] for a in AGES[lang])] == [], (where, banners)
    assert found["1920x1080"][1]["text"].endswith("…"), found  # the long form where it fits
    print(found)


@pytest.mark.parametrize("size", [(1080, 1920), (1920, 1080), (1280, 720)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_a_portrait_tv_reads_from_the_back_with_many_calls_and_short_names(
    browser: Browser, tmp_path: Path, size: tuple[int, int]
) -> None:
    """An outside review: on a portrait TV the earlier calls' labels were 2.4 % of the screen's height and the
    counters' numbers sized from its shorter side too (the newest call is ~9 %): with short agency names ("BPN"),
    three columns of tiles had numbers 3.8 % of the height. A mall of 26 counters with short names, every counter
    calling at once: the earlier calls' labels at least 4 % of the height, the numbers of the tiles 4.5 %, one page
    of tiles after another, and nothing under the floor or cut, in landscape too."""
    site_file = tmp_path / "tegal.toml"
    text = DEMO_SITE.read_text()
    for name in re.findall(r'short_name = "([^"]+)"', text):
        text = text.replace(f'short_name = "{name}"', f'short_name = "{name[:3].upper()}"')
    # a silent lobby: the pages of tiles turn every 10 s (a speaker screen keeps the page of the call it says)
    site_file.write_text(
        text.replace('name = "Layar lobi utama"\nspeaker = true', 'name = "Layar lobi utama"\nspeaker = false')
    )
    async with running_server(tmp_path / "queue.sqlite3", site_files=[site_file]) as server:
        site = server.ctx.sites["tegal"]
        assert not site.screens["lobby"].speaker
        admin = await server.login("admin")
        for service in site.services:
            for _ in range(3):
                await server.issue(service)
        for counter in site.counters:
            assert (await server.command(admin, counter, "open")).status_code == 200
        async with board_page(browser, server, size=size, init_script=PAGE_CLOCK) as page:
            await until(page, "() => document.querySelectorAll('.tile:not([hidden])').length > 0")
            for counter in site.counters:  # a burst: every counter calls within a second or two
                assert (await server.command(admin, counter, "call_next")).status_code == 200
            # Every call of the burst has reached the board (on a loaded machine it was still taking them in: a page
            # was measured with one number of the two asked for, and fewer earlier calls than rows).
            await until(page, "seq => window.__display.board.seq >= seq", server.ctx.storage.last_seq, 30_000)
            seen: dict[str, Any] = {}
            for turn in range(2):  # this page of tiles and the next one (the page's clock moves only when told)
                await until(
                    page, "() => /^[0-9]+[/][0-9]+$/.test(document.getElementById('counters-page').textContent)"
                )
                measured = await settled(page)
                marks = await page.evaluate(MARKS)
                shots = Path(os.environ.get("DISPLAY_SCREENSHOT_DIR") or tmp_path)
                await page.screenshot(path=shots / f"short-names-{size[0]}x{size[1]}-{turn}.png")
                seen[f"page {turn}"] = (measured["small"], measured["cut"], marks)
                assert measured["small"] == [] and measured["cut"] == [], seen
                assert measured["hero"] >= measured["heroNeed"], measured
                assert len(marks["rows"]) >= 3 and len(marks["tiles"]) >= 2, seen
                if size == (1080, 1920):  # two columns of four (a later review: one column showed four)
                    assert len(marks["rows"]) == 8, seen
                assert all(s >= 0.04 * max(marks["short"], marks["height"]) for s in marks["rows"]), seen
                assert all(s >= 0.045 * marks["height"] for s in marks["tiles"]), seen
                shown = await page.text_content("#counters-page")
                await page.evaluate("window.__skip(10000)")
                await until(page, "p => document.getElementById('counters-page').textContent !== p", shown)


async def test_an_empty_board_says_so_under_each_title(browser: Browser, server: Server) -> None:
    """Before the first counter opens, "Belum ada loket yang buka" and "Tidak ada antrean menunggu" stood at the foot
    of their empty areas, far from their titles, as if they were about the next section. Each stands under its own."""
    async with board_page(browser, server) as page:
        gaps = await page.evaluate("""() => ['counters', 'waiting'].map((id) => {
          const title = document.querySelector(`.${id} .section-title`).getBoundingClientRect();
          const note = document.getElementById(`${id}-none`);
          const unit = Math.min(innerWidth, innerHeight) / 100; // --u
          return { shown: !note.hidden, gap: note.getBoundingClientRect().top - title.bottom, unit };
        })""")
    assert all(g["shown"] and g["gap"] < 3 * g["unit"] for g in gaps), gaps
