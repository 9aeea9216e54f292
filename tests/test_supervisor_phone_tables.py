"""The supervisor's tables on a phone (375x740) and a tablet (601, 768, 900 px), in Chromium against a real server: a
table of records (the audit log, the IKM per agency and per service, the reports per agency, service, counter and
operator, Settings, messages out) is a card per row on a phone with each figure beside its column's name (Settings
up to 760 px, messages out up to 900 px); a grid of figures (the reports' tables on a tablet, the dashboard's
services, the national IKM report) scrolls in its own box with each row's name kept in view, and that box is a Tab
stop only while it scrolls. The page never scrolls sideways, nothing is out of view, axe finds no serious violation
at 375 px, and at 1366x768 the tables are the tables they were."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page

from .display_support import until
from .helpers import KIOSK, Server, bearer, running_server
from .receiver import Receiver
from .test_accessibility import need_axe, violations
from .test_outbox import PHONE as NUMBER
from .test_outbox import notify_site, ticking
from .test_supervisor_a11y import opened

PHONE = {"width": 375, "height": 740}
TABLET = {"width": 768, "height": 1024}
DESKTOP = {"width": 1366, "height": 768}
SIDEWAYS = "() => document.documentElement.scrollWidth - innerWidth"


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Server]:
    async with running_server(tmp_path / "queue.sqlite3", ignore_hours=True) as s:
        yield s


async def served_and_answered(server: Server) -> None:
    """Two services' citizens served at their counters (each counter's opening an entry of the audit log), and
    every one of them answering the survey."""
    for operator, counter, service in (("op-disdukcapil", "1", "ktp"), ("op-polres", "5", "skck")):
        op = await server.login(operator)
        await server.command(op, counter, "open")
        tokens = []
        for _ in range(2):
            tokens.append((await server.issue(service))["ticket"]["token"])
            for command in ("call_next", "start", "finish"):
                r = await server.command(op, counter, command)
                assert r.status_code == 200, r.text
        for token, answers in zip(tokens, ([4, 3, 3, 4, 2, 3, 4, 4, 3], [3] * 9), strict=True):
            r = await server.http.post(f"/api/v1/tickets/{token}/survey", json={"answers": answers})
            assert r.status_code == 201, r.text


async def axe_clean(page: Page, where: str) -> None:
    found = await violations(page)
    assert not found, json.dumps({where: found}, indent=1, ensure_ascii=False)


# Every cell of a table's first rows: its label (data-label, and what its ::before shows), whether that is shown,
# and where the cell's own words are drawn (a Range over its text, not the cell, whose box holds the label too).
CELLS = """(selector) => [...document.querySelectorAll(selector)].map((cell) => {
  const words = document.createRange();
  words.selectNodeContents(cell);
  const box = cell.getBoundingClientRect();
  const text = [...words.getClientRects()].filter((r) => r.width > 0);
  const before = getComputedStyle(cell, '::before');
  return {label: cell.dataset.label, shown: before.content, display: getComputedStyle(cell).display,
          text: cell.textContent.trim(), cell: [box.left, box.top, box.right, box.bottom],
          words: text.length ? [Math.min(...text.map((r) => r.left)), Math.min(...text.map((r) => r.top)),
                                Math.max(...text.map((r) => r.right))] : null};
})"""


def labelled_beside(cells: list[dict], width: int) -> list[str]:
    """The cells whose label is not shown, or whose words are not beside it on the screen."""
    wrong = []
    for c in cells:
        label_shown = c["label"] and c["label"] in c["shown"]
        beside = c["words"] is not None and c["words"][0] >= c["cell"][0] + 40 and c["words"][2] <= width
        if not (label_shown and beside):
            wrong.append(f"{c['label']!r}: {c['text']!r} {c['shown']} {c['cell']} {c['words']}")
    return wrong


# A table as a table: its headings shown, the first row's cells table cells each under its heading, none sticky.
LAYOUT = """(table) => { const t = document.querySelector(table); const head = t.tHead.rows[0].cells;
  const row = t.tBodies[0].rows[0];
  return {table: getComputedStyle(t).display, head: getComputedStyle(t.tHead).display,
          cells: [...row.cells].map((c) => getComputedStyle(c).display),
          sticky: [...row.cells].filter((c) => getComputedStyle(c).position === 'sticky').length,
          under: [...row.cells].every((c, i) => Math.abs(c.getBoundingClientRect().left
                                                         - head[i].getBoundingClientRect().left) < 1)}; }"""


async def a_table_as_before(page: Page, table: str) -> None:
    seen = await page.evaluate(LAYOUT, table)
    assert seen["table"] == "table" and seen["head"] == "table-header-group", (table, seen)
    assert set(seen["cells"]) == {"table-cell"} and seen["sticky"] == 0 and seen["under"], (table, seen)


NEWS = "Layanan SIM keliling hari ini di halaman depan sampai pukul 14.00"
# The first entry's action ("Tindakan", the 4th column): its words line by line, those not wholly on the screen
# (outside the window, or outside the box that scrolls the table), whether something else is drawn over it, and
# whether it is above the entry's time.
ACTION_SEEN = """() => { const cell = document.querySelector('#entries tr > td:nth-child(4)');
  const words = document.createRange(); words.selectNodeContents(cell);
  const clip = (cell.closest('.table-scroll') || document.documentElement).getBoundingClientRect();
  const lines = [...words.getClientRects()].filter((r) => r.width > 0);
  const hidden = lines.filter((r) => r.left < Math.max(0, clip.left) - 1
                                     || r.right > Math.min(innerWidth, clip.right) + 1
                                     || r.top < 0 || r.bottom > innerHeight).map((r) => [r.left, r.top, r.right]);
  const box = cell.getBoundingClientRect();
  const seen = document.elementFromPoint(Math.min((box.left + box.right) / 2, innerWidth - 1),
                                         (box.top + box.bottom) / 2);
  return {text: cell.textContent, lines: lines.length, hidden, covered: !cell.contains(seen),
          first: cell.parentElement.firstElementChild.getBoundingClientRect().top > box.top}; }"""


async def test_the_audit_log_on_a_phone_is_a_card_per_entry_headed_by_what_was_done(
    browser: Browser, server: Server
) -> None:
    """At 375 px the log's table scrolled sideways and "Tindakan" was off screen: now each entry is a card headed by
    its action, the time, the user, the role and the number beside their columns' names; in English too."""
    need_axe()
    await served_and_answered(server)
    r = await server.http.post("/api/v1/sites/tegal/running-text", json={"text": NEWS},
                               headers=await server.login("supervisor"))  # fmt: skip
    assert r.status_code < 300, r.text
    async with opened(browser, server, "/supervisor/tegal/audit", viewport=PHONE, bypass_csp=True) as page:
        await until(page, "() => document.querySelectorAll('#entries tr').length >= 3")
        assert await page.evaluate(SIDEWAYS) <= 0
        await page.evaluate("() => document.querySelector('#entries tr').scrollIntoView({block: 'start'})")
        action = await page.evaluate(ACTION_SEEN)
        assert action["text"] == f"Teks berjalan diganti: “{NEWS}”", "the newest entry first"
        assert action["lines"] and action["hidden"] == [], action
        assert action["covered"] is False and action["first"], "on top, at the card's head, above the time"
        cells = await page.evaluate(CELLS, "#entries tr:first-child td:not(.lead)")
        assert [c["label"] for c in cells] == ["Waktu", "Pengguna", "Peran", "Urutan"]
        assert labelled_beside(cells, PHONE["width"]) == []
        await axe_clean(page, "the audit log at 375x740")
        await page.click("#lang")
        await until(page, "() => document.querySelector('#entries td').dataset.label === 'Time'")
        lead = await page.evaluate("() => document.querySelector('#entries td.lead').textContent")
        assert lead == f"Running text changed: “{NEWS}”"


# A card's head (its row's name): its words, and whether it is across the screen whole.
HEAD_IN_VIEW = """(selector) => { const c = document.querySelector(selector); const r = c.getBoundingClientRect();
  return [c.textContent, r.left >= 0 && r.right <= innerWidth]; }"""


async def test_the_ikm_tables_on_a_phone_label_every_figure_with_its_element(browser: Browser, server: Server) -> None:
    """The IKM per agency and per service scrolled sideways with the service's name scrolled away from its figures,
    under headings "U1".."U9" whose names only a pointer's tooltip gave: now a card per service, each figure beside
    its name ("U3 Waktu penyelesaian"), the index and the grade too."""
    need_axe()
    await served_and_answered(server)
    async with opened(browser, server, "/supervisor/tegal/reports", viewport=PHONE, bypass_csp=True) as page:
        await until(page, "() => document.getElementById('report').getAttribute('aria-busy') === 'false'")
        assert await page.evaluate(SIDEWAYS) <= 0
        for table, rows in (("#ikm-agency-table", ["disdukcapil", "polres"]), ("#ikm-table", ["ktp", "skck"])):
            shown = await page.evaluate(
                f"() => [...document.querySelectorAll('{table} tbody tr')].map(r => r.dataset.row)"
            )
            assert sorted(shown) == rows, table
            for row in rows:
                await page.evaluate(f"() => document.querySelector('{table} tr[data-row={row}]').scrollIntoView()")
                cells = await page.evaluate(CELLS, f"{table} tr[data-row={row}] td:not(.lead)")
                labels = [c["label"] for c in cells]
                assert labels[0] == "Responden" and labels[-3:] == ["Nilai IKM", "Mutu", "Dilayani"], labels
                assert labels[1] == "U1 Persyaratan" and labels[3] == "U3 Waktu penyelesaian", labels
                assert len(labels) == 13 and all(c["display"] == "grid" for c in cells)
                assert labelled_beside(cells, PHONE["width"]) == [], (table, row)
                name = await page.evaluate(HEAD_IN_VIEW, f"{table} tr[data-row={row}] td.lead")
                assert name[1], name
        ktp = await page.evaluate(CELLS, "#ikm-table tr[data-row=ktp] td")
        assert ktp[0]["text"] == "KTP Elektronik" and ktp[2]["text"] == "3,50", "U1: (4 + 3) / 2"
        assert ktp[-3]["label"] == "Nilai IKM" and ktp[-2]["text"].startswith("B Baik"), ktp[-3:]
        await axe_clean(page, "the report at 375x740")


GROUP_TABLES = ("by-agency", "by-service", "by-counter", "by-operator")
COUNTS = ["Tiket", "Dilayani", "Tidak hadir", "Dibatalkan", "Dialihkan", "Tidak terlayani (kedaluwarsa)",
          "Belum selesai"]  # fmt: skip
TIMES = ["Rerata tunggu (mnt)", "Median tunggu (mnt)", "P90 tunggu (mnt)", "Rerata layanan (mnt)",
         "P90 layanan (mnt)"]  # fmt: skip
# Where a card's cells stand: the card's middle, and each cell's left and right edges.
HALVES = """(row) => { const tr = document.querySelector(row); const card = tr.getBoundingClientRect();
  return {middle: (card.left + card.right) / 2, height: card.height, viewport: innerHeight,
          cells: [...tr.cells].map((c) => { const r = c.getBoundingClientRect(); return [r.left, r.right]; })}; }"""


async def table_roles(page: Page, selector: str) -> dict[str, list[str]]:
    """What Chromium's accessibility tree (a screen reader's view) makes of a table: its own role, and the names of
    its column headers and cells."""
    cdp = await page.context.new_cdp_session(page)
    try:
        root = (await cdp.send("DOM.getDocument", {"depth": 0}))["root"]["nodeId"]
        node = (await cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector}))["nodeId"]
        own = (await cdp.send("Accessibility.getPartialAXTree", {"nodeId": node, "fetchRelatives": False}))["nodes"]
        seen = {"table": [n["role"]["value"] for n in own if not n.get("ignored")]}
        for role in ("columnheader", "cell"):
            found = await cdp.send("Accessibility.queryAXTree", {"nodeId": node, "role": role})
            seen[role] = [n.get("name", {}).get("value", "") for n in found["nodes"]]
        return seen
    finally:
        await cdp.detach()


async def test_the_reports_per_agency_service_counter_and_operator_are_a_card_per_row_on_a_phone(
    browser: Browser, server: Server
) -> None:
    """At 375 px the thirteen-column tables showed two figures beside the sticky name: a supervisor looking up their
    agency, a counter or an operator scrolled each row sideways. Now each row is a card headed by its name, its
    counts in the left half and its times (with their unit) in the right, each figure beside its column's name;
    Chromium still reads a table with its headings, and English relabels the cards."""
    need_axe()
    await served_and_answered(server)
    async with opened(browser, server, "/supervisor/tegal/reports", viewport=PHONE, bypass_csp=True) as page:
        await until(page, "() => document.getElementById('report').getAttribute('aria-busy') === 'false'")
        assert await page.evaluate(SIDEWAYS) <= 0
        for table, rows in (("by-agency", ["disdukcapil", "polres"]), ("by-service", ["ktp", "skck"]),
                            ("by-counter", ["1", "5"]), ("by-operator", ["op-disdukcapil", "op-polres"])):  # fmt: skip
            shown = await page.evaluate(
                f"() => [...document.querySelectorAll('#{table} tbody tr')].map(r => r.dataset.row)"
            )
            assert sorted(shown) == rows, table
            for row in rows:
                selector = f"#{table} tr[data-row='{row}']"
                await page.evaluate(f'() => document.querySelector("{selector}").scrollIntoView()')
                cells = await page.evaluate(CELLS, f"{selector} td:not(.lead)")
                labels = [c["label"] for c in cells]
                assert labels == (["Warga datang"] if table == "by-agency" else []) + COUNTS + TIMES, labels
                assert labelled_beside(cells, PHONE["width"]) == [], (table, row)
                name = await page.evaluate(HEAD_IN_VIEW, f"{selector} td.lead")
                assert name[1], name
                card = await page.evaluate(HALVES, selector)
                lead, *figures = card["cells"]
                times = figures[-len(TIMES) :]
                counts = figures[: -len(TIMES)]
                assert lead[0] < card["middle"] < lead[1], "the name heads the card, across it"
                assert all(right < card["middle"] for _, right in counts), (table, card)
                assert all(left > card["middle"] for left, _ in times), (table, card)
                assert card["height"] < card["viewport"] / 2, "two cards on the screen at once"
        ktp = await page.evaluate(CELLS, "#by-service tr[data-row=ktp] td")
        assert ktp[0]["text"] == "KTP Elektronik" and [c["text"] for c in ktp[1:3]] == ["2", "2"], "tickets, served"
        seen = await table_roles(page, "#by-agency")
        assert seen["table"] == ["table"], seen
        assert seen["columnheader"][:3] == ["Nama", "Warga datang", "Tiket"] and len(seen["columnheader"]) == 14
        assert seen["cell"][:3] == ["Disdukcapil", "2", "2"] and len(seen["cell"]) == 2 * 14, seen
        await axe_clean(page, "the reports' tables at 375x740")
        await page.click("#lang")
        await until(page, "() => document.querySelector('#by-counter td.duration').dataset.label === 'Mean wait (min)'")
        assert await page.evaluate(SIDEWAYS) <= 0


# Each table's scrolling box: whether it scrolls, whether it is a Tab stop, and what it holds.
BOXES = """() => [...document.querySelectorAll('.table-scroll')].filter((b) => !b.closest('[hidden]')).map((b) => ({
  table: b.querySelector('table').id, scrolls: b.scrollWidth > b.clientWidth || b.scrollHeight > b.clientHeight,
  tabIndex: b.tabIndex}))"""


async def tab_stops(page: Page, presses: int) -> list[str]:
    """The elements Tab reaches from the top of the page, each by its id, the table it scrolls, or its tag."""
    await page.evaluate("() => { document.activeElement?.blur(); window.scrollTo(0, 0); }")
    stops = []
    for _ in range(presses):
        await page.keyboard.press("Tab")
        stops.append(
            await page.evaluate("""() => { const e = document.activeElement;
            return e.classList.contains('table-scroll') ? 'box:' + e.querySelector('table').id
                                                        : e.id || e.tagName; }""")
        )
    return stops


async def region_name(page: Page, selector: str) -> tuple[str, str]:
    """A box's role and name in Chromium's accessibility tree."""
    cdp = await page.context.new_cdp_session(page)
    try:
        root = (await cdp.send("DOM.getDocument", {"depth": 0}))["root"]["nodeId"]
        node = (await cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector}))["nodeId"]
        own = (await cdp.send("Accessibility.getPartialAXTree", {"nodeId": node, "fetchRelatives": False}))["nodes"]
        return own[0]["role"]["value"], own[0].get("name", {}).get("value", "")
    finally:
        await cdp.detach()


async def test_a_table_s_box_is_a_tab_stop_only_while_it_scrolls(browser: Browser, server: Server) -> None:
    """Card tables kept their scrolling box's tabindex with nothing to scroll: a keyboard user tabbed onto an empty
    stop (four on the reports, one on the audit log). Now a box is a stop only while its table is wider than it,
    following the window's width (a tablet turned), and keeps its role and name either way."""
    await served_and_answered(server)
    async with opened(browser, server, "/supervisor/tegal/reports", viewport=TABLET) as page:
        await until(page, "() => document.getElementById('report').getAttribute('aria-busy') === 'false'")
        boxes = await page.evaluate(BOXES)
        by_table = {b["table"]: b for b in boxes}
        assert all(by_table[t]["scrolls"] and by_table[t]["tabIndex"] == 0 for t in GROUP_TABLES), boxes
        assert "box:by-agency" in await tab_stops(page, 60), "a grid wider than a tablet: the keyboard scrolls it"
        await page.set_viewport_size(PHONE)  # cards: nothing scrolls any more
        await until(page, "() => [...document.querySelectorAll('.table-scroll')].every((b) => b.tabIndex === -1)")
        boxes = await page.evaluate(BOXES)
        assert len(boxes) == 6 and not any(b["scrolls"] for b in boxes), boxes
        assert [s for s in await tab_stops(page, 60) if s.startswith("box:")] == []
        assert await region_name(page, ".table-scroll:has(#by-agency)") == ("region", "Per instansi")
        assert await region_name(page, ".table-scroll:has(#ikm-table)") == ("region", "IKM per layanan")
        await page.set_viewport_size(TABLET)  # turned back
        await until(page, "() => document.querySelector('.table-scroll:has(#by-agency)').tabIndex === 0")
    async with opened(browser, server, "/supervisor/tegal/audit", viewport=PHONE) as page:
        await until(page, "() => document.querySelectorAll('#entries tr').length === 2")  # the two counters opened
        await until(page, "() => document.querySelector('.table-scroll').tabIndex === -1")
        assert [s for s in await tab_stops(page, 30) if s.startswith("box:")] == []
        role, name = await region_name(page, ".table-scroll")
        assert role == "region" and name, (role, name)


# The dashboard's scrolling panels: each one's label, whether it scrolls, and its tabIndex.
PANELS = """() => [...document.querySelectorAll('main .scroll, #alerts')].map((b) => ({
  name: b.getAttribute('aria-label'), tabIndex: b.tabIndex,
  scrolls: b.scrollWidth > b.clientWidth || b.scrollHeight > b.clientHeight}))"""


async def test_the_dashboard_s_panels_are_tab_stops_only_while_they_scroll(browser: Browser, server: Server) -> None:
    """The dashboard's panels (alerts, services, counters, parked tickets, screens) were Tab stops even when empty
    or short: now as the tables' boxes, a stop while it scrolls, named either way; one that fills up becomes one."""
    async with opened(browser, server, "/supervisor/tegal", viewport={"width": 1366, "height": 768}) as page:
        await until(page, "() => document.querySelectorAll('#counters .counter').length > 0")
        panels = await page.evaluate(PANELS)
        assert len(panels) == 5 and all(p["name"] for p in panels), panels
        assert all(p["tabIndex"] == (0 if p["scrolls"] else -1) for p in panels), panels
        parked = next(p for p in panels if p["name"] == "Tiket diparkir")
        assert not parked["scrolls"] and parked["tabIndex"] == -1, "no ticket parked: nothing to scroll"
        # Many alerts drawn into the fixed box: it scrolls now, and is a stop (no resize says so: what is drawn does).
        await page.evaluate("""() => { const box = document.getElementById('alerts');
            for (let n = 0; n < 40; n++) box.append(Object.assign(document.createElement('p'), {textContent: 'x'})); }""")
        await until(page, "() => document.getElementById('alerts').tabIndex === 0")


async def test_the_figures_tables_keep_each_row_s_name_in_view_when_scrolled(browser: Browser, server: Server) -> None:
    """Tables of figures compared down a column stay grids and scroll in their own box: the reports per agency,
    service, counter and operator on a tablet, the dashboard's services and the national IKM report on a phone too,
    keep each row's name at the left while the last column is scrolled to; the national report's notes stay in view
    under its table."""
    await served_and_answered(server)
    scrolled = """(selector) => { const box = document.querySelector(selector);
      box.scrollIntoView(); box.scrollLeft = box.scrollWidth; return box.scrollLeft; }"""
    names_in_view = """([box, names, last]) => { const b = document.querySelector(box).getBoundingClientRect();
      const inside = (e) => { const r = e.getBoundingClientRect();
                              return r.left >= b.left - 1 && r.right <= b.right + 1; };
      return [[...document.querySelectorAll(names)].map((e) => [e.textContent.trim(), inside(e)]),
              [...document.querySelectorAll(last)].every(inside)]; }"""
    async with opened(browser, server, "/supervisor/tegal/reports", viewport=TABLET) as page:
        await until(page, "() => document.getElementById('report').getAttribute('aria-busy') === 'false'")
        for table in GROUP_TABLES:  # a card per row on a phone (the test above), a grid on a tablet
            box = f".table-scroll:has(#{table})"
            assert await page.evaluate(scrolled, box) > 0, f"{table} is wider than the phone: it scrolls"
            names, last = await page.evaluate(
                names_in_view, [box, f"#{table} tbody tr > :first-child", f"#{table} tbody tr > :last-child"]
            )
            assert len(names) == 2 and all(inside for _, inside in names), (table, names)
            assert last, f"{table}: its last column scrolled into view"
        assert await page.evaluate(SIDEWAYS) <= 0
        await page.goto(server.url + "/supervisor/tegal")
        await until(page, "() => document.querySelectorAll('#services tr').length > 2")
        assert await page.evaluate(scrolled, ".services .scroll") > 0
        names, last = await page.evaluate(
            names_in_view, [".services .scroll", "#services tr > :first-child", "#services tr > :last-child"]
        )
        assert all(inside for _, inside in names) and last, names
    async with opened(browser, server, "/national/ikm", "nasional", viewport=PHONE) as page:
        await until(page, "() => document.getElementById('report').getAttribute('aria-busy') === 'false'")
        assert await page.evaluate(scrolled, "#report .table-scroll") > 0
        names, last = await page.evaluate(
            names_in_view, ["#report .table-scroll", "#table th.mall", "#rows tr > :last-child"]
        )
        assert [n for n, _ in names][1] == "Semua mal (1)" and all(inside for _, inside in names) and last, names
        notes = await page.evaluate("""() => [...document.querySelectorAll('#report > p:not([hidden])')]
            .map((p) => { const r = p.getBoundingClientRect(); return r.left >= 0 && r.right <= innerWidth; })""")
        assert len(notes) >= 3 and all(notes), "the notes under the table did not scroll away with it"
        assert await page.evaluate(SIDEWAYS) <= 0


TABS = ("site", "services", "counters", "agencies", "hours", "calls", "alerts", "accounts", "devices")  # devices last


async def test_every_settings_tab_fits_a_phone_with_every_button_in_view(browser: Browser, server: Server) -> None:
    """At 375 px the Devices tab scrolled the page 140 px sideways with "Cabut" off screen, the Alerts tab 126 px.
    Each tab fits; each row is a card headed by its name, its buttons in it."""
    need_axe()
    async with opened(browser, server, "/supervisor/tegal/admin", "admin", viewport=PHONE, bypass_csp=True) as page:
        await until(page, "() => document.body.dataset.loaded === 'true'")
        for tab in TABS:
            await page.click(f"[data-tab={tab}]")
            await until(page, f"() => document.getElementById('tab-{tab}').getAttribute('aria-selected') === 'true'")
            assert await page.evaluate(SIDEWAYS) <= 0, tab
            out = await page.evaluate("""() => [...document.querySelectorAll('#panel button')]
                .filter((b) => b.offsetParent && b.getBoundingClientRect().right > innerWidth)
                .map((b) => b.textContent)""")
            assert out == [], (tab, out)
        revoke = await page.evaluate("""() => [...document.querySelectorAll('#panel tbody tr')].map((tr) => [
            tr.querySelector('td.lead strong').textContent, tr.querySelector('td:nth-child(3)').dataset.label,
            !!tr.querySelector('button.danger')])""")
        assert revoke and all(label == "Jenis" and button for _, label, button in revoke), revoke
        await axe_clean(page, "Settings, Devices, at 375x740")


TABLETS = (601, 768, 900)  # a small tablet or a phone turned, a tablet upright, a tablet turned
# What does not fit: how far the page scrolls sideways, and every control, heading or cell drawn (the page's own, or
# a dialog's) that is not whole across the window or, in a box that scrolls, across that box (a button scrolled out
# of sight there is as cut off as one off the screen).
NOT_IN_VIEW = """(within) => { const out = [];
  for (const e of document.querySelectorAll(within.map((w) => `${w} :is(button, input, select, textarea, a, th, td,
                                                                         h1, h2, h3, label, .badge)`).join(','))) {
    if (!e.getClientRects().length || e.closest('.visually-hidden, thead[class], [hidden]')) continue;
    const r = e.getBoundingClientRect();
    if (!r.width || getComputedStyle(e).visibility === 'hidden') continue;
    let left = 0; let right = innerWidth;
    for (let box = e.parentElement; box; box = box.parentElement) {
      if (!['auto', 'scroll', 'hidden'].includes(getComputedStyle(box).overflowX)) continue;
      const b = box.getBoundingClientRect(); left = Math.max(left, b.left); right = Math.min(right, b.right);
    }
    if (r.left < left - 1 || r.right > right + 1) {
      out.push(`${e.tagName} ${(e.textContent || e.name || e.id).trim().slice(0, 30)} ${Math.round(r.left)}-${Math.round(r.right)} in ${Math.round(left)}-${Math.round(right)}`);
    }
  }
  return {sideways: document.documentElement.scrollWidth - innerWidth, out}; }"""


async def test_every_settings_tab_fits_a_tablet(browser: Browser, server: Server) -> None:
    """At 601-720 px the services', agencies' and accounts' tables were wider than the panel: "Ubah" and "Hapus" (and
    "Lama layanan") scrolled out of sight in their box. Up to 760 px Settings' tables are cards, as on a phone; at
    768 and 900 px tables, whole. Every tab, and an editor dialog, at 601, 768 and 900 px: nothing sideways, every
    button, field and cell in view."""
    async with opened(
        browser, server, "/supervisor/tegal/admin", "admin", viewport={"width": 601, "height": 900}
    ) as page:
        await until(page, "() => document.body.dataset.loaded === 'true'")
        for width in TABLETS:
            await page.set_viewport_size({"width": width, "height": 900})
            for tab in TABS:
                await page.click(f"[data-tab={tab}]")
                await until(
                    page, f"() => document.getElementById('tab-{tab}').getAttribute('aria-selected') === 'true'"
                )
                assert await page.evaluate(NOT_IN_VIEW, ["#app"]) == {"sideways": 0, "out": []}, (width, tab)
                layout = await page.evaluate(
                    "() => [...document.querySelectorAll('#panel table.stack tbody tr')].map((tr) => getComputedStyle(tr).display)"
                )
                assert set(layout) <= {"grid" if width < 768 else "table-row"}, (width, tab, layout)
            await page.click("[data-tab=counters]")
            await page.click("#add-counter")
            await until(page, "() => document.getElementById('editor').open")
            assert await page.evaluate(NOT_IN_VIEW, ["#editor"]) == {"sideways": 0, "out": []}, width
            await page.keyboard.press("Escape")
            await until(page, "() => !document.getElementById('editor').open")


async def test_messages_out_on_a_phone_is_a_card_per_endpoint_and_per_failed_message(
    browser: Browser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A gateway that refuses every message: its row and each failed message's were nine and six columns scrolled in
    their box, the counts and "Kirim ulang" off screen; now cards, each figure beside its name, each button in view."""
    need_axe()
    monkeypatch.setenv("TEST_GATEWAY_TOKEN", "x")
    with Receiver() as gateway:
        gateway.status = 503
        gateway.start()
        fast = {"outbox_retry_seconds": 0.2, "outbox_retry_cap_seconds": 1.0, "outbox_max_attempts": 2}
        async with running_server(tmp_path / "q.sqlite3", site_files=[notify_site(tmp_path, gateway)], **fast) as s:
            async with ticking(s.clock):
                ticket = {"service": "ktp", "notify": {"phone": NUMBER, "consent": True}}
                r = await s.http.post("/api/v1/sites/tegal/tickets", headers=bearer(KIOSK), json=ticket)
                assert r.status_code == 201, r.text
                async with opened(browser, s, "/supervisor/tegal/deliveries", viewport=PHONE, bypass_csp=True) as page:
                    await until(
                        page, "() => document.querySelectorAll('#dead-rows tr').length === 1", timeout_ms=30_000
                    )
                    assert await page.evaluate(SIDEWAYS) <= 0
                    cells = await page.evaluate(CELLS, "#endpoint-rows tr:first-child td.num")
                    assert [c["label"] for c in cells] == ["Terkirim", "Menunggu", "Dicoba ulang", "Gagal"]
                    assert labelled_beside(cells, PHONE["width"]) == []
                    cells = await page.evaluate(CELLS, "#dead-rows tr:first-child td:not(.lead):not(:last-child)")
                    assert [c["label"] for c in cells] == ["Waktu", "Tujuan", "Percobaan", "Galat terakhir"]
                    assert labelled_beside(cells, PHONE["width"]) == []
                    buttons = await page.evaluate("""() => [...document.querySelectorAll('#app tbody button')]
                        .map((b) => { const r = b.getBoundingClientRect();
                                      return r.left >= 0 && r.right <= innerWidth; })""")
                    assert buttons == [True, True], "Kirim ulang semua, and Kirim ulang for the message"
                    await axe_clean(page, "messages out at 375x740")
                    for width in TABLETS:  # cards up to 900 px: at 601 and 768 "Kirim ulang semua" was out of sight
                        await page.set_viewport_size({"width": width, "height": 900})
                        assert await page.evaluate(NOT_IN_VIEW, ["#app"]) == {"sideways": 0, "out": []}, width
                        cards = await page.evaluate(
                            "() => [...document.querySelectorAll('#app tbody tr')].map((tr) => getComputedStyle(tr).display)"
                        )
                        assert cards == ["grid", "grid"], (width, cards)
                    await page.set_viewport_size(DESKTOP)  # and at 1366 px, the tables they were
                    assert await page.evaluate(SIDEWAYS) <= 0
                    for table in ("#endpoints", "#dead"):
                        await a_table_as_before(page, table)


async def test_at_1366_px_the_tables_are_tables_as_before(browser: Browser, server: Server) -> None:
    """The phone's cards and sticky names are for narrow screens only: at 1366x768 each table shows its headings,
    each cell is a table cell under its heading, nothing is sticky sideways, and no page scrolls sideways (messages
    out: in its own test above, which has a gateway)."""
    await served_and_answered(server)
    pages = (("/supervisor/tegal/audit", "supervisor", "#entries tr", ["#audit"]),
             ("/supervisor/tegal/reports", "supervisor", "#ikm-table tbody tr",
              ["#ikm-agency-table", "#ikm-table", "#by-agency", "#by-service", "#by-counter", "#by-operator"]),
             ("/supervisor/tegal/admin", "admin", "#panel tbody tr", ["#panel table"]),
             ("/supervisor/tegal", "supervisor", "#services tr", [".grid-table"]))  # fmt: skip
    for path, user, ready, tables in pages:
        async with opened(browser, server, path, user, viewport=DESKTOP) as page:
            await until(page, f"() => document.querySelectorAll('{ready}').length > 0")
            assert await page.evaluate(SIDEWAYS) <= 0, path
            for table in tables:
                await a_table_as_before(page, table)
