"""Kiosk, staff desk and booking page at every common size (issue 17): every tile and button of every kiosk screen
(start, each agency's services, priority, the ticket, leaving a number, check-in) in view without a hidden scroll and
at least 44x44 px, the desk's main button in view, and the booking page with no sideways scroll and buttons a finger
can press, measured in Chromium at 1024x768, 1280x1024, 1366x768, 1920x1080 and 1080x1920 (and a phone's 360x740
for the booking page)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from playwright.async_api import Browser, Page

from .display_support import until
from .helpers import KIOSK, Server, running_server
from .receiver import notify_site

SIZES = [(1024, 768), (1280, 1024), (1366, 768), (1920, 1080), (1080, 1920)]
# Buttons of a screen that are shown but not wholly in the viewport, or smaller than a fingertip.
OUT_OF_REACH = """(screen) => {
  const out = [];
  const section = `section[data-screen=${screen}]`;
  for (const el of document.querySelectorAll(`${section} :is(button, input, .k-number, .k-qr, .k-facts)`)) {
    const b = el.getBoundingClientRect();
    if (b.width === 0 || el.hidden) continue;
    const name = el.dataset.service || el.dataset.agency || el.dataset.priority || el.id || el.className;
    if (b.top < 0 || b.left < 0 || b.bottom > innerHeight + 0.5 || b.right > innerWidth + 0.5) out.push(`${name} out of view`);
    const pressed = el.matches("button, input");
    if (pressed && (b.width < 44 || b.height < 44)) out.push(`${name} ${Math.round(b.width)}x${Math.round(b.height)}`);
  }
  const main = document.querySelector(".k-main");
  if (main.scrollHeight > main.clientHeight + 1) out.push(`scrolls ${main.scrollHeight - main.clientHeight}px`);
  return out;
}"""


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
    assert not {k: v for k, v in problems.items() if v}, json.dumps(problems)


async def large_type(page: Page, large: bool) -> None:
    """The page's "Huruf besar" switch (the kiosk's, the phone's, the booking page's: one per page)."""
    if large:
        await page.click("[data-mode='large']")
        await until(page, "() => document.documentElement.classList.contains('lt')")


async def booking_at(browser: Browser, server: Server, size: tuple[int, int], large: bool) -> Page:
    page = await page_at(browser, size)
    await page.goto(f"{server.url}/booking/tegal")
    await large_type(page, large)
    return page


async def kiosk_at_service(
    browser: Browser, size: tuple[int, int], url: str, large: bool, agency: str, service: str
) -> Page:
    """A kiosk page of `size`, in large type or not, where a citizen has just chosen `agency` then `service`."""
    page = await page_at(browser, size)
    await page.goto(f"{url}/kiosk/tegal#token={KIOSK}")
    await until(page, "() => document.body.dataset.ready === 'true'")
    await large_type(page, large)
    await page.click(f".k-agency[data-agency='{agency}']")
    await page.click(f".k-service[data-service='{service}']")
    return page


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
@pytest.mark.parametrize("large", [False, True], ids=["plain", "large-type"])
async def test_every_later_kiosk_screen_is_in_view(
    browser: Browser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int], large: bool
) -> None:
    """Past the start, in plain and in large type: the priority question, the ticket (number, facts, QR, buttons),
    leaving a WhatsApp number (a site with a gateway: keypad, consent and buttons) and check-in (code, keypad,
    buttons)."""
    monkeypatch.setenv("TEST_GATEWAY_TOKEN", "x")
    site = notify_site(tmp_path, SimpleNamespace(url="http://127.0.0.1:9"))  # never contacted: nobody submits
    # a booking to check in, made without a code sent to its number (there is no gateway to send one)
    site.write_text(site.read_text().replace("[booking]\n", "[booking]\nverify_phone = false\n", 1))
    async with running_server(tmp_path / "q.sqlite3", site_files=[site]) as server:
        booked = await server.http.post("/api/v1/sites/tegal/bookings", json={
            "service": "ktp", "day": "2026-11-23", "slot": "09:30", "nik": "3328014101900001", "phone": "081234567890"})  # fmt: skip
        assert booked.status_code == 201, booked.text
        page = await kiosk_at_service(browser, size, server.url, large, "disdukcapil", "ktp")
        await until(page, "() => window.__kiosk.screen === 'priority'")
        problems = {"priority": await page.evaluate(OUT_OF_REACH, "priority")}
        await page.click("#priority-none")
        await until(page, "() => window.__kiosk.screen === 'ticket' && document.getElementById('t-qr').complete")
        problems["ticket"] = await page.evaluate(OUT_OF_REACH, "ticket")
        await page.click("#notify-open")
        await until(page, "() => window.__kiosk.screen === 'notify'")
        problems["notify"] = await page.evaluate(OUT_OF_REACH, "notify")
        await page.click("#notify-back")
        await page.click("#ticket-done")
        await large_type(page, large)  # the kiosk forgets a citizen's choice when they are done
        await page.click("#checkin-open")
        await until(page, "() => window.__kiosk.screen === 'checkin'")
        problems["checkin"] = await page.evaluate(OUT_OF_REACH, "checkin")
        await page.fill("#checkin-code", "BK-ZZZZZZ")  # refused at once, on the code's screen
        await page.click("#checkin-form [type='submit']")
        await until(page, "() => !document.getElementById('checkin-error').hidden", timeout_ms=30_000)
        problems["checkin, a code refused"] = await page.evaluate(OUT_OF_REACH, "checkin")
        await page.fill("#checkin-code", booked.json()["booking"]["code"])  # asked the question, its booking above
        await page.click("#checkin-form [type='submit']")
        await until(page, "() => window.__kiosk.screen === 'priority'", timeout_ms=30_000)
        problems["priority, checking in"] = await page.evaluate(OUT_OF_REACH, "priority")
        problems["priority, checking in"] += await page.evaluate(GROUP_SPILLS)
        if os.environ.get("CITIZEN_SHOTS"):
            for name in ["checkin", "priority", "ticket", "notify"]:
                await page.evaluate("(n) => window.__kiosk.show(n)", name)
                mode = "-large" if large else ""
                shot_to = Path(os.environ["CITIZEN_SHOTS"]) / f"kiosk-{name}{mode}-{size[0]}x{size[1]}.png"
                await page.screenshot(path=shot_to)
        await page.context.close()
    assert not {k: v for k, v in problems.items() if v}, json.dumps(problems)


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


# The booking page is a document that scrolls (a phone at home), so what counts is that nothing needs a sideways
# scroll and every control is a fingertip wide and tall (a radio's whole label is its target).
BOOKING_REACH = """() => {
  const out = [];
  if (document.documentElement.scrollWidth > innerWidth + 0.5) out.push(`sideways ${document.documentElement.scrollWidth - innerWidth}px`);
  const targets = "button, a.button, input:not([type=radio]):not([type=checkbox]), label.b-choice, label.b-pill, label.b-slot, label.check";
  for (const el of document.querySelectorAll(targets)) {
    const b = el.getBoundingClientRect();
    if (b.width === 0 || el.closest("[hidden]")) continue;
    const name = el.id || el.textContent.trim().slice(0, 30) || el.className;
    if (b.left < 0 || b.right > innerWidth + 0.5) out.push(`${name} sideways out of view`);
    if (b.width < 44 || b.height < 44) out.push(`${name} ${Math.round(b.width)}x${Math.round(b.height)}`);
  }
  return out;
}"""
PHONE = (360, 740)


@pytest.mark.parametrize("size", [*SIZES, PHONE], ids=[f"{w}x{h}" for w, h in [*SIZES, PHONE]])
@pytest.mark.parametrize("large", [False, True], ids=["plain", "large-type"])
async def test_the_booking_page_fits_every_size(
    browser: Browser, server: Server, size: tuple[int, int], large: bool
) -> None:
    """Every step shown (service, day, slot, identity): no sideways scroll, every target at least 44x44 px."""
    page = await booking_at(browser, server, size, large)
    await page.check("input[name=service][value=ktp]")
    await until(page, "() => !document.getElementById('step-day').hidden")
    await page.locator("input[name=day]:not([disabled])").first.check()
    await until(page, "() => document.querySelectorAll('#slots .b-slot').length > 0")
    await page.locator("label.b-slot:not(.is-full)").first.click()
    await until(page, "() => !document.getElementById('step-identity').hidden")
    problems = await page.evaluate(BOOKING_REACH)
    if os.environ.get("CITIZEN_SHOTS"):
        mode = "-large" if large else ""
        await page.screenshot(
            path=Path(os.environ["CITIZEN_SHOTS"]) / f"booking{mode}-{size[0]}x{size[1]}.png", full_page=True
        )
    await page.context.close()
    assert problems == [], problems


# Everything of the ticket screen, not only its buttons: no part of it past an edge of the screen or of its column.
TICKET_SPILLS = """() => {
  const out = [];
  const section = document.querySelector("section[data-screen=ticket]");
  const column = section.getBoundingClientRect();
  for (const el of section.querySelectorAll("*")) {
    const b = el.getBoundingClientRect();
    if (b.width === 0 || el.closest("[hidden]")) continue;
    const name = el.id || el.className || el.tagName;
    if (b.left < -0.5 || b.right > innerWidth + 0.5 || b.bottom > innerHeight + 0.5) out.push(`${name} off screen`);
    else if (b.left < column.left - 0.5 || b.right > column.right + 0.5) out.push(`${name} wider than its column`);
  }
  if (document.documentElement.scrollWidth > innerWidth + 0.5) out.push("sideways scroll");
  return out;
}"""


@pytest.mark.parametrize("size", [(1080, 1920), (1280, 800)], ids=["1080x1920", "1280x800"])
@pytest.mark.parametrize("large", [False, True], ids=["plain", "large-type"])
async def test_a_long_wait_keeps_the_ticket_on_screen(
    browser: Browser, server: Server, size: tuple[int, int], large: bool
) -> None:
    """A three-digit wait ("sekitar 130–200 menit") on the longest service name: the ticket card stays inside its
    column and the "Selesai" button on the screen (a fact that would not wrap once pushed it 31 px past the edge)."""
    op = await server.login("op-bpjs-tk")
    assert (await server.command(op, "15", "open")).status_code == 200
    for _ in range(20):
        await server.issue("bpjstk_daftar")
    page = await kiosk_at_service(browser, size, server.url, large, "bpjs_tk", "bpjstk_daftar")
    await page.click("#priority-none")
    await until(page, "() => window.__kiosk.screen === 'ticket' && document.getElementById('t-qr').complete")
    wait = await page.text_content("#t-wait") or ""
    problems = await page.evaluate(TICKET_SPILLS)
    if os.environ.get("CITIZEN_SHOTS"):
        mode = "-large" if large else ""
        await page.screenshot(path=Path(os.environ["CITIZEN_SHOTS"]) / f"kiosk-long-wait{mode}-{size[0]}x{size[1]}.png")
    await page.context.close()
    assert re.search(r"\d{3}", wait), wait
    assert problems == [], (wait, problems)


# Each priority group's label and the tile it is on: a label box past its tile's edge (text spilling out).
GROUP_SPILLS = """() => {
  const out = [];
  for (const tile of document.querySelectorAll(".k-group")) {
    const t = tile.getBoundingClientRect(), label = tile.querySelector(".k-tile-main").getBoundingClientRect();
    const past = Math.max(t.top - label.top, label.bottom - t.bottom, t.left - label.left, label.right - t.right);
    const sizes = `${Math.round(label.height)} px in a ${Math.round(t.height)} px tile`;
    if (past > 0.5) out.push(`${tile.dataset.priority}: label ${sizes}`);
  }
  return out;
}"""


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
@pytest.mark.parametrize("large", [False, True], ids=["plain", "large-type"])
async def test_every_priority_group_label_fits_its_tile(
    browser: Browser, server: Server, size: tuple[int, int], large: bool
) -> None:
    """An outside review: "Korban bencana alam" and "Korban bencana sosial" wrapped to three lines and spilled out of
    their tiles at every kiosk size (110 px of text in a 75 px tile at 1024x768 in large type), the tiles capped
    while half the screen stayed empty. The tiles now share the height left and each label lies inside its tile."""
    page = await kiosk_at_service(browser, size, server.url, large, "disdukcapil", "ktp")
    await until(page, "() => window.__kiosk.screen === 'priority'")
    spills = await page.evaluate(GROUP_SPILLS)
    reach = await page.evaluate(OUT_OF_REACH, "priority")
    await page.click("#lang")  # and the English labels, longer ("Victims of natural disasters")
    await until(page, "() => document.querySelector('.k-group').textContent.trim() === 'Persons with disabilities'")
    spills += await page.evaluate(GROUP_SPILLS)
    await page.context.close()
    assert spills == [] and reach == [], (spills, reach)


# 200 % zoom on a 360x740 phone: the page is laid out 180x370 CSS px wide.
ZOOMED = (180, 370)
SIDEWAYS = """() => {
  const root = document.documentElement, out = [];
  if (root.scrollWidth > root.clientWidth) out.push(`page ${root.scrollWidth} px wide in ${root.clientWidth}`);
  for (const el of document.querySelectorAll("body *")) {
    const b = el.getBoundingClientRect();
    const name = el.id || el.className || el.tagName;
    if (b.width && b.right > root.clientWidth + 0.5 && !el.closest("[hidden]")) out.push(name);
  }
  return out;
}"""


@pytest.mark.parametrize("large", [False, True], ids=["plain", "large-type"])
async def test_the_phone_pages_fit_at_200_percent_zoom(browser: Browser, server: Server, large: bool) -> None:
    """An outside review: at 200 % zoom on a 360 px phone the ticket page was 219 px wide in 180 (274 in large type)
    and the booking page 236 (293), the header's switches cut off ("Kontras tingg"). Now neither scrolls sideways:
    the ticket waiting and called, and every step of booking."""
    token = (await server.issue("skck"))["ticket"]["token"]
    page = await page_at(browser, ZOOMED)
    await page.goto(f"{server.url}/t/{token}")
    await large_type(page, large)  # remembered by the phone, for the booking page too
    await until(page, "() => document.body.dataset.link === 'live'")
    problems = {"waiting": await page.evaluate(SIDEWAYS)}
    op = await server.login("op-polres")
    assert (await server.command(op, "5", "open")).status_code == 200
    assert (await server.command(op, "5", "call_next")).status_code == 200
    await until(page, "() => !document.getElementById('turn').hidden")
    problems["called"] = await page.evaluate(SIDEWAYS)
    for label in ("W-001", "WWW-1234"):  # the widest a ticket number can be (1-3 capital letters)
        fits = """(label) => {
          const el = document.getElementById("label"), card = el.closest(".m-card").getBoundingClientRect();
          el.textContent = label;
          el.style.setProperty("--chars", label.length);
          const b = el.getBoundingClientRect();
          return b.left >= card.left && b.right <= card.right;
        }"""
        if not await page.evaluate(fits, label):
            problems[label] = ["wider than its card"]
    await page.goto(f"{server.url}/booking/tegal")
    assert await page.evaluate("() => document.documentElement.classList.contains('lt')") == large
    await page.check("input[name=service][value=ktp]")
    await page.locator("input[name=day]:not([disabled])").first.check()
    await until(page, "() => document.querySelectorAll('#slots .b-slot').length > 0")
    await page.locator("label.b-slot:not(.is-full)").first.click()
    await until(page, "() => !document.getElementById('step-identity').hidden")
    problems["booking"] = await page.evaluate(SIDEWAYS)
    if os.environ.get("CITIZEN_SHOTS"):
        mode = "-large" if large else ""
        await page.screenshot(path=Path(os.environ["CITIZEN_SHOTS"]) / f"booking-zoomed{mode}.png", full_page=True)
    await page.context.close()
    assert not {k: v for k, v in problems.items() if v}, json.dumps(problems)


# A text's lines (by their tops) and whether each stays inside the card around it; with `text`, of that text instead.
LINES = """([selector, text]) => {
  const el = document.querySelector(selector), range = document.createRange();
  if (text) el.textContent = text;
  range.selectNodeContents(el);
  const rects = [...range.getClientRects()], card = el.closest(".card").getBoundingClientRect();
  return {text: el.textContent.trim(), lines: new Set(rects.map((r) => Math.round(r.top))).size,
          inside: rects.every((r) => r.left >= card.left - 0.5 && r.right <= card.right + 0.5)};
}"""


@pytest.mark.parametrize("size", [PHONE, ZOOMED], ids=["360x740", "180x370"])
@pytest.mark.parametrize("large", [False, True], ids=["plain", "large-type"])
async def test_a_booking_code_is_on_one_line(
    browser: Browser, server: Server, size: tuple[int, int], large: bool
) -> None:
    """An outside review: on a 360 px phone the booking code broke over two lines, "BK-" above "Z2VN6U". It stays
    whole on the booking's answer and on its status page, at 200 % zoom too."""
    page = await booking_at(browser, server, size, large)
    await page.check("input[name=service][value=ktp]")
    await page.check("input[name=day][value='2026-11-24']")
    await page.locator("label.b-slot:not(.is-full)").first.click()
    await page.fill("#nik", "3328014101900007")
    await page.fill("#phone", "081234567890")
    await page.click("#submit")
    await until(page, "() => !document.getElementById('result').hidden")
    answer = await page.evaluate(LINES, ["#r-code", None])
    sideways = await page.evaluate(SIDEWAYS)
    await page.goto(f"{server.url}/b/{answer['text']}")
    status = await page.evaluate(LINES, ["#s-code", None])
    sideways += await page.evaluate(SIDEWAYS)
    widest = await page.evaluate(LINES, ["#s-code", "BK-WWWWWW"])  # the widest letter of the codes' alphabet
    await page.context.close()
    assert answer["text"].startswith("BK-") and status["text"] == answer["text"] and sideways == [], sideways
    assert (widest["lines"], widest["inside"]) == (1, True), widest
    assert (answer["lines"], answer["inside"], status["lines"], status["inside"]) == (1, True, 1, True), (
        answer,
        status,
    )


def demo_with_agencies(directory: Path, count: int) -> Path:
    """The demo mall with its first `count` agencies (of fourteen) and its lobby screen alone."""
    from queue_server.settings.sitefile import DEMO_SITE

    head, *agencies = DEMO_SITE.read_text().split("\n[[agencies]]\n")
    agencies[-1] = agencies[-1].split("\n[[screens]]\n")[0]
    lobby = '\n[[screens]]\nid = "lobby"\nname = "Layar lobi"\nspeaker = true\n'
    path = directory / f"tegal_{count}.toml"
    path.write_text(head + "".join(f"\n[[agencies]]\n{a}" for a in agencies[:count]) + lobby)
    return path


# Each agency tile's box, the screen's size and the check-in button's top.
TILES = """() => ({
  tiles: [...document.querySelectorAll('.k-agency')].map((t) => t.getBoundingClientRect().toJSON()),
  width: innerWidth, height: innerHeight,
  checkin: document.getElementById('checkin-open').getBoundingClientRect().top,
})"""


@pytest.mark.parametrize("count", [1, 2, 3, 6, 12])
async def test_agency_tiles_are_a_sensible_size_for_few_and_many(browser: Browser, tmp_path: Path, count: int) -> None:
    """An outside review: three agencies on a portrait kiosk were columns ~1050 px tall (the tiles stretched to the
    whole height). Whatever the number of agencies, in portrait, landscape and at 1366x768, every tile is in view
    above the check-in button, a fingertip's size at least, no taller than a third of the screen, and not a narrow
    column (at least as wide as three quarters of its height)."""
    sizes = [(1080, 1920), (1920, 1080), (1366, 768)]
    site = demo_with_agencies(tmp_path, count)
    problems: dict[str, list[str]] = {}
    async with running_server(tmp_path / "q.sqlite3", site_files=[site]) as server:
        for size in sizes:
            page = await page_at(browser, size)
            await page.goto(f"{server.url}/kiosk/tegal#token={KIOSK}")
            await until(page, "() => document.body.dataset.ready === 'true'")
            seen = await page.evaluate(TILES)
            assert len(seen["tiles"]) == count
            said = problems.setdefault(f"{size[0]}x{size[1]}", [])
            for i, b in enumerate(seen["tiles"]):
                box = f"tile {i + 1} {round(b['width'])}x{round(b['height'])}"
                if b["top"] < 0 or b["left"] < 0 or b["right"] > seen["width"] or b["bottom"] > seen["checkin"]:
                    said.append(f"{box} out of view")
                if b["height"] < 44 or b["width"] < 44:
                    said.append(f"{box} too small")
                if b["height"] > seen["height"] / 3:
                    said.append(f"{box} taller than a third of the screen")
                if b["width"] < 0.75 * b["height"]:
                    said.append(f"{box} a narrow column")
            await page.context.close()
    assert not {k: v for k, v in problems.items() if v}, json.dumps(problems)
