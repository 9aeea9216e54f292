"""The staff pages for people who use a keyboard, a screen reader, a zoomed page or forced colours, in Debian's
Chromium against a real server (an outside accessibility review of the dashboard, Settings, messages out, reports
and the front page): the focus stays on a control while the page redraws around it, the alerts are said once and
shown whole with their kind in words, a zoomed dashboard scrolls, a refusal marks the field it is about, a printed
report keeps its lines apart."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page
from websockets.asyncio.client import connect

from .display_support import until
from .helpers import LOBBY, Server, running_server
from .test_supervisor_pages import busy_hall, refuse_browser_dialogs, screenshot_dir, signed_in, text_of


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Server]:
    async with running_server(tmp_path / "queue.sqlite3", ignore_hours=True, dashboard_seconds=0.3) as s:
        yield s


SIGNED_IN = "() => document.getElementById('login').hidden"
CONNECTED = "() => document.getElementById('conn').dataset.state === 'connected'"  # the dashboard's live link


@asynccontextmanager
async def opened(
    browser: Browser,
    server: Server,
    path: str,
    user: str = "supervisor",
    ready: str = SIGNED_IN,
    address: str | None = None,
    **options: Any,
) -> AsyncIterator[Page]:
    """A page signed in, in a browser context of its own (a size, a zoom, forced colours, `bypass_csp` for axe),
    once `ready` holds (signed in; the dashboard's `CONNECTED`); `address`: the server reached another way (a
    proxy that can cut the link)."""
    options = {"viewport": {"width": 1366, "height": 768}, "locale": "id-ID", **options}
    context = await browser.new_context(**options)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    browser_boxes = refuse_browser_dialogs(page)
    try:
        await page.goto((address or server.url) + path)
        await page.fill("input[name=username]", user)
        password = {"supervisor": "demo-supervisor", "admin": "demo-admin", "nasional": "demo-regional"}[user]
        await page.fill("input[name=password]", password)
        await page.click("#login-form button[type=submit]")
        await until(page, ready)
        yield page
        assert not errors, errors
        assert not browser_boxes, f"the browser's own dialogs: {browser_boxes}"
    finally:
        await context.close()


FOCUSED = """() => { const e = document.activeElement;
  return e.getAttribute('aria-label') || e.getAttribute('role') || e.tagName; }"""


def waiting_is(n: int) -> str:
    return f"() => document.getElementById('kpi-waiting').textContent === '{n}'"


# --- the live dashboard ----------------------------------------------------------------------------------------------


async def test_the_focus_stays_on_a_counter_s_button_while_the_dashboard_is_redrawn(
    browser: Browser, server: Server
) -> None:
    """The review: every push (about once a second) rebuilt every card, and the focus on "Jeda" of Loket 4 fell to
    <body> within 0.7 s: a keyboard-only supervisor could not pause, open or close a counter reliably. Now a card is
    redrawn only when it changed, and a button it replaces passes the focus on to its successor."""
    op = await server.login("op-disdukcapil")
    await server.command(op, "4", "open")
    async with signed_in(browser, server, "/supervisor/tegal") as page:
        pause = "#counters [data-counter='4'] button[data-command=pause]"
        await until(page, f'() => !!document.querySelector("{pause}")')
        # each button names its counter: thirteen "Tutup" said nothing to a screen reader
        assert await page.get_by_role("button", name="Jeda Loket 4", exact=True).count() == 1
        assert await page.get_by_role("button", name="Tutup Loket 4", exact=True).count() == 1
        await page.focus(pause)
        for n in range(1, 4):  # each ticket changes the figures: a push, the page redrawn
            await server.issue("kk")
            await until(page, waiting_is(n))
        await asyncio.sleep(1)  # and the pushes of time passing (every 0.3 s here)
        assert await page.evaluate(FOCUSED) == "Jeda Loket 4"
        await page.keyboard.press("Enter")  # paused: "Lanjutkan" takes the place of "Jeda", and the focus
        await until(page, text_of("#counters [data-counter='4'] .badge") + " === 'Jeda'")
        assert await page.evaluate(FOCUSED) == "Lanjutkan Loket 4"
        await page.keyboard.press("Enter")
        await until(page, text_of("#counters [data-counter='4'] .badge") + " === 'Kosong'")
        assert await page.evaluate(FOCUSED) == "Jeda Loket 4"
        # its operator calls and serves: the card keeps no button, the focus stays in the counters' list
        await page.focus("#counters [data-counter='4'] button[data-command=close]")
        await server.command(op, "4", "call_next")
        await until(page, text_of("#counters [data-counter='4'] .badge") + " === 'Memanggil'")
        assert await page.evaluate(FOCUSED) == "Tutup Loket 4"
        await server.command(op, "4", "start")
        await until(page, text_of("#counters [data-counter='4'] .badge") + " === 'Melayani'")
        assert await page.evaluate(FOCUSED) == "Loket"
        assert await page.evaluate("() => document.activeElement.getAttribute('role')") == "region"


ALERT_MUTATIONS = """() => {
  window.alertMutations = 0;
  new MutationObserver((records) => { window.alertMutations += records.length; })
    .observe(document.getElementById('alerts'), {childList: true, subtree: true, characterData: true});
}"""


async def test_an_alert_is_said_once_not_with_every_push(browser: Browser, server: Server) -> None:
    """The review: #alerts was an assertive live region emptied and filled again on every push (40 paragraphs
    removed and added in 10 s), and each new alert was also announced by its notice. The list is now redrawn in
    place and is no live region: an alert is said once, by its notice, when it appears."""
    await server.issue("ktp")
    await server.command(await server.login("op-disdukcapil"), "1", "open")  # staffed: wait, not no_counter
    await server.command(await server.login("op-polres"), "5", "open")  # SKCK's, below
    server.clock.advance(minutes=46)  # KTP's target is 45 minutes
    async with signed_in(browser, server, "/supervisor/tegal") as page:
        await until(page, "() => !!document.querySelector('#alerts [data-alert=\"wait:ktp\"]')")
        assert await page.get_attribute("#alerts", "aria-live") is None
        await page.evaluate(ALERT_MUTATIONS)
        for n in range(2, 5):  # pushes with other figures; the alerts stay as they were
            await server.issue("skck")
            await until(page, waiting_is(n))
        await asyncio.sleep(1)
        assert await page.evaluate("() => window.alertMutations") == 0, "nothing removed, added or rewritten"
        server.clock.advance(minutes=31)  # SKCK's first ticket past its 30 minutes: a new alert
        await until(page, "() => !!document.querySelector('#alerts [data-alert=\"wait:skck\"]')")
        await asyncio.sleep(1)  # more pushes with the alert
        notices = await page.eval_on_selector_all(
            "#toasts .toast", "(ts) => ts.map((t) => [t.getAttribute('role'), t.textContent])"
        )
        skck = [n for n in notices if "Surat Keterangan Catatan Kepolisian" in n[1]]
        assert skck == [["alert", skck[0][1]]] and skck[0][1].startswith("Peringatan baru"), notices


CLIPPED_ALERTS = """() => [...document.querySelectorAll('#alerts .alert')]
  .filter((a) => a.scrollWidth > a.clientWidth + 1 || a.scrollHeight > a.clientHeight + 1
                 || getComputedStyle(a).textOverflow === 'ellipsis' || getComputedStyle(a).whiteSpace === 'nowrap')
  .map((a) => a.textContent)"""


async def test_alerts_are_whole_sentences_with_their_kind_in_words_in_any_colours(
    browser: Browser, server: Server, tmp_path: Path
) -> None:
    """The review: at 1366x768 an alert was cut with "…" (the whole text only in a tooltip) in a box of 78 px that
    the keyboard could not scroll, and in forced colours every kind of alert looked the same. Each alert is now
    whole, begins with its kind in words, and the box is a named region the keyboard scrolls. Screenshots for a
    person to look at: 1366x768 with the alerts of a busy morning, and the same screen in forced colours."""
    await busy_hall(server)
    server.clock.advance(minutes=20)  # the longest waits of several services past their targets
    for _ in range(7):
        await server.issue("kk")  # Kartu Keluarga's walk-in quota (10) spent
    async with connect(server.ws_url) as lobby:  # the lobby's TV came on, then went off
        await lobby.send(json.dumps({"type": "hello", "role": "display", "site": "tegal", "token": LOBBY}))
        await asyncio.sleep(0.3)
    out = screenshot_dir(tmp_path)
    for forced in ("none", "active"):
        async with opened(browser, server, "/supervisor/tegal", forced_colors=forced) as page:
            await until(page, "() => document.querySelectorAll('#alerts .alert[data-alert]').length >= 6")
            await asyncio.sleep(0.5)
            assert await page.evaluate(CLIPPED_ALERTS) == [], forced
            kinds = await page.eval_on_selector_all(
                "#alerts .alert[data-alert]",
                "(as) => as.map((a) => [a.className, a.querySelector('.kind').textContent])",
            )
            said = {"alert wait": "Antrean:", "alert quota_spent": "Kuota:", "alert device_missing": "Layar:",
                    "alert device": "Layar:", "alert past_closing": "Jam tutup:",
                    "alert no_counter": "Loket tutup:", "alert counter_idle": "Loket kosong:",
                    "alert service_long": "Layanan lama:"}  # fmt: skip
            assert all(said[cls] == word for cls, word in kinds), kinds
            assert {"Antrean:", "Kuota:"} <= {word for _, word in kinds}
            box = await page.evaluate("""() => { const b = document.getElementById('alerts');
                return [b.tabIndex, b.getAttribute('aria-label'), b.scrollHeight > b.clientHeight]; }""")
            # a Tab stop only while it has more alerts than it shows (then the keyboard scrolls it), named either way
            assert box[:2] == [0 if box[2] else -1, "Peringatan"], box
            if box[2]:
                await page.focus("#alerts")
                await page.keyboard.press("End")
                await until(page, "() => document.getElementById('alerts').scrollTop > 0")
            # a late service and a figure past its target say so in words, not only in red
            ktp = "#services tr[data-service=ktp]"
            assert await page.evaluate(text_of(f"{ktp} .longest small")) == " lewat target 45\u00a0mnt"
            assert await page.is_visible("#kpi-longest-flag") and await page.text_content("#kpi-longest-flag") == (
                "lewat target"
            )
            if forced == "active":  # lines of their own where the tints are gone
                lines = await page.evaluate(f"""() => [
                    getComputedStyle(document.querySelector('{ktp} td')).borderLeftWidth,
                    getComputedStyle(document.querySelector('#alerts .alert.device')).borderLeftStyle,
                    getComputedStyle(document.querySelector('#alerts .alert.wait')).borderTopWidth]""")
                assert lines == ["4px", "double", "1px"], lines
            await page.screenshot(path=out / f"supervisor-dashboard-alerts-1366x768-forced-{forced}.png")


async def test_the_dashboard_zoomed_to_150_percent_scrolls_and_fits_1366_px(
    browser: Browser, server: Server, tmp_path: Path
) -> None:
    """The review: at 1366x768 the services table (860 px) was wider than its panel (797 px), hiding its "Loket"
    column; zoomed to 150 % (911x512 CSS px) the page kept its one-screen layout, with three services and one
    counter in view and nothing that scrolled. A low window now gets the one-column layout that scrolls."""
    await busy_hall(server)
    async with opened(browser, server, "/supervisor/tegal") as page:
        await until(page, "() => document.querySelectorAll('#services tr').length === 28")
        fits = await page.evaluate("""() => [document.querySelector('.grid-table').offsetWidth,
            document.querySelector('.services .scroll').clientWidth]""")
        assert fits[0] <= fits[1], fits
    zoomed = {"viewport": {"width": 911, "height": 512}, "device_scale_factor": 1.5}
    async with opened(browser, server, "/supervisor/tegal", **zoomed) as page:
        await until(page, "() => document.querySelectorAll('#counters article').length === 26")
        layout = await page.evaluate("""() => ({
            body: getComputedStyle(document.body).overflowY,
            page: document.documentElement.scrollHeight - innerHeight,
            sideways: document.documentElement.scrollWidth - innerWidth,
            services: document.querySelector('.services .scroll').clientHeight,
            row: document.querySelector('#services tr').offsetHeight,
        })""")
        assert layout["body"] != "hidden" and layout["page"] > 0 and layout["sideways"] <= 0, layout
        assert layout["services"] >= 5 * layout["row"], layout
        # every panel is reached by scrolling the page, its own list by scrolling itself
        await page.evaluate("() => document.querySelector('.devices').scrollIntoView()")
        assert await page.evaluate("() => document.querySelector('.devices').getBoundingClientRect().top") < 512
        await page.evaluate("() => scrollTo(0, 0)")
        await page.screenshot(path=screenshot_dir(tmp_path) / "supervisor-dashboard-zoom150-911x512.png")


async def test_the_dashboard_s_dialogs_are_named_and_a_refusal_is_linked_to_its_field(
    browser: Browser, server: Server
) -> None:
    """The review: the running text's field had no label (axe: critical) and its hint was not linked; the dialogs
    had no name; "Tiket 'Z-999' tidak ditemukan" was not linked to the ticket's field."""
    async with signed_in(browser, server, "/supervisor/tegal") as page:
        await until(page, "() => !document.getElementById('actions').hidden")
        await page.click("[data-dialog=dlg-text]")
        assert await page.get_by_role("dialog", name="Teks berjalan").is_visible()
        field = page.get_by_label("Teks yang bergulir di semua layar")
        assert await field.evaluate("(f) => f.tagName") == "TEXTAREA"
        assert "dlg-text-hint" in (await field.get_attribute("aria-describedby") or "")
        await page.keyboard.press("Escape")
        await page.click("[data-dialog=dlg-ticket]")
        assert await page.get_by_role("dialog", name="Tindakan tiket").is_visible()
        await page.fill("#dlg-ticket input[name=ticket]", "Z-999")
        await page.keyboard.press("Enter")
        await until(page, text_of("#dlg-ticket .error") + ".includes('Z-999')")
        ticket = page.locator("#dlg-ticket input[name=ticket]")
        assert await ticket.get_attribute("aria-invalid") == "true"
        described = await ticket.evaluate(
            "(f) => f.getAttribute('aria-describedby').split(' ').map((id) => document.getElementById(id).textContent)"
        )
        assert any("Tiket 'Z-999' tidak ditemukan" in d for d in described), described
        assert await page.evaluate("() => document.activeElement.name") == "ticket", "the focus on the field to mend"
        await page.keyboard.press("Escape")
        await page.click("[data-dialog=dlg-ticket]")
        assert await ticket.get_attribute("aria-invalid") is None, "a new dialog starts clean"
        # the language button is said in the language it switches to
        assert await page.get_attribute("#lang", "lang") == "en"
        await page.keyboard.press("Escape")
        await page.click("#lang")
        await until(page, "() => document.documentElement.lang === 'en'")
        assert await page.get_attribute("#lang", "lang") == "id"
        assert await page.get_attribute("#alerts", "aria-label") == "Alerts"


# --- Settings --------------------------------------------------------------------------------------------------------


async def test_settings_keep_the_keyboard_s_place_and_mark_the_field_a_problem_is_about(
    browser: Browser, server: Server
) -> None:
    """The review: after a save the focus fell to <body> (the panel redrawn, the "Ubah" that opened the editor
    gone); the panel was a live region read whole at every tab and save; a server's problem was not tied to its
    field; the tabs had no aria-controls nor Home/End."""
    async with opened(browser, server, "/supervisor/tegal/admin", "admin") as page:
        await until(page, "() => document.body.dataset.loaded === 'true'")
        assert await page.get_attribute("#panel", "aria-live") is None
        assert await page.get_attribute("#panel", "aria-labelledby") == "tab-services"
        assert await page.get_attribute("#tab-services", "aria-controls") == "panel"
        assert await page.get_by_role("heading", level=1, name="Pengaturan MPP").count() == 1
        # an edit saved from the keyboard: the focus comes back to the row's "Ubah"
        await page.focus("tr[data-service=kk] button:not(.danger)")
        assert await page.evaluate(FOCUSED) == "Ubah Kartu Keluarga"
        await page.keyboard.press("Enter")
        await until(page, "() => document.getElementById('editor').open")
        await page.fill("#f-name", "Kartu Keluarga (KK)")
        await page.keyboard.press("Enter")
        await until(page, "() => document.body.dataset.version === '1'")
        await until(page, "() => !document.getElementById('editor').open")
        await until(page, "() => document.activeElement !== document.body")
        assert await page.evaluate(FOCUSED) == "Ubah Kartu Keluarga (KK)"
        # a problem the server finds is marked on its field, which takes the focus
        await page.focus("tr[data-service=ktp] button:not(.danger)")
        await page.keyboard.press("Enter")
        await page.fill("#f-prefix", "B")  # Kartu Keluarga's
        await page.click("#editor-save")
        await until(page, "() => document.getElementById('f-prefix').getAttribute('aria-invalid') === 'true'")
        problem = await page.evaluate("""() => document.getElementById('f-prefix').getAttribute('aria-describedby')
            .split(' ').map((id) => document.getElementById(id).textContent).join(' | ')""")
        assert "awalan B sudah dipakai" in problem, problem
        assert await page.evaluate("() => document.activeElement.id") == "f-prefix"
        await page.keyboard.press("Escape")
        await until(page, "() => !document.getElementById('editor').open")
        assert await page.evaluate(FOCUSED) == "Ubah KTP Elektronik", "cancelled: back where it was"
        # the tabs: arrows, Home and End; the panel named by its tab
        await page.focus("#tab-services")
        await page.keyboard.press("End")
        await until(page, "() => document.activeElement.id === 'tab-accounts'")
        await until(page, "() => !!document.getElementById('add-account')")
        assert await page.get_attribute("#panel", "aria-labelledby") == "tab-accounts"
        await page.keyboard.press("Home")
        await until(page, "() => document.activeElement.id === 'tab-site'")
        # a confirmed change without the editor: the row's button that took the place of the one pressed
        await page.click("#tab-accounts")
        await until(page, "() => !!document.querySelector('tr[data-account=op-pos]')")
        await page.get_by_role("button", name="Nonaktifkan op-pos").focus()
        await page.keyboard.press("Enter")
        # asked in the page's dialog, named for a screen reader; the focus on "Batal": Enter there does nothing
        await until(page, "() => document.getElementById('question-dialog').open")
        assert await page.get_by_role("dialog", name="Nonaktifkan akun op-pos").count() == 1
        assert await page.evaluate("() => document.activeElement.id") == "question-no"
        await page.keyboard.press("Enter")
        await until(page, "() => !document.getElementById('question-dialog').open")
        assert await page.evaluate(FOCUSED) == "Nonaktifkan op-pos", "said no: back on the button that asked"
        await page.keyboard.press("Enter")
        await until(page, "() => document.getElementById('question-dialog').open")
        await page.keyboard.press("Escape")
        await until(page, "() => !document.getElementById('question-dialog').open")
        assert not await page.evaluate(
            "() => document.querySelector('tr[data-account=op-pos]').classList.contains('revoked')"
        )
        await page.keyboard.press("Enter")
        await until(page, "() => document.getElementById('question-dialog').open")
        await page.keyboard.press("Tab")
        assert await page.evaluate("() => document.activeElement.id") == "question-yes"
        await page.keyboard.press("Enter")
        await until(page, "() => document.querySelector('tr[data-account=op-pos]').classList.contains('revoked')")
        await until(page, "() => document.activeElement !== document.body")
        assert await page.evaluate(FOCUSED) == "Aktifkan op-pos"
        # the actions' columns have a heading a screen reader says
        headings = await page.eval_on_selector_all("#panel th", "(ths) => ths.map((th) => th.textContent.trim())")
        assert "" not in headings and headings[-1] == "Tindakan", headings
        await page.click("#tab-devices")
        await until(page, "() => !!document.getElementById('issue-device')")
        assert await page.get_by_role("button", name="Ganti nama Demo Layar lobi utama").count() == 1


# --- reports ---------------------------------------------------------------------------------------------------------


async def test_a_refused_period_leaves_the_report_readable_and_marks_its_fields(
    browser: Browser, server: Server
) -> None:
    """The review: a refused period left the report dimmed (aria-busy, contrast 2.48:1) below the refused dates, as
    if the figures were theirs. The figures stay readable, the fields go back to the period shown, and the dates
    are marked invalid with the reason as their description."""
    await server.issue("ktp")
    async with signed_in(browser, server, "/supervisor/tegal/reports") as page:
        await until(page, "() => document.getElementById('report').getAttribute('aria-busy') === 'false'")
        await page.fill("input[name=from]", "2026-11-30")
        await page.fill("input[name=to]", "2026-11-01")
        await page.keyboard.press("Enter")
        said = await until(page, text_of("#filter-error"))
        assert said.startswith("Rentang tanggal terbalik")
        assert said.endswith("Laporan di bawah tetap untuk Senin, 23 November 2026."), said
        assert await page.get_attribute("#report", "aria-busy") == "false"
        assert await page.evaluate("() => getComputedStyle(document.getElementById('report')).opacity") == "1"
        assert [await page.input_value(f"input[name={f}]") for f in ("from", "to")] == ["2026-11-23", "2026-11-23"]
        for name in ("from", "to"):
            assert await page.get_attribute(f"input[name={name}]", "aria-invalid") == "true"
            assert await page.get_attribute(f"input[name={name}]", "aria-describedby") == "filter-error"
        assert await page.get_attribute("select[name=agency]", "aria-invalid") is None
        await page.keyboard.press("Enter")  # the period shown, asked again: accepted, nothing marked
        await until(page, text_of("#filter-error") + " === ''")
        assert await page.get_attribute("input[name=from]", "aria-invalid") is None
        # "untuk Excel" beside its box, not above it
        box, words = await page.evaluate("""() => [document.getElementById('excel').getBoundingClientRect().top,
            document.querySelector('#excel + span').getBoundingClientRect().top]""")
        assert abs(box - words) < 8
        # each chart's figures in a table; no two regions of the page share a name
        await page.click("#chart-arrivals summary")
        rows = await page.eval_on_selector_all(
            "#data-arrivals tbody tr", "(rs) => rs.map((r) => [...r.cells].map((c) => c.textContent))"
        )
        assert rows[0] == ["07.00–07.59", "0"] and ["09.00–09.59", "1"] in rows, rows
        names = await page.evaluate("""() => [...document.querySelectorAll(
            '[role=region], section[aria-labelledby], section[aria-label]')].filter((e) => !e.closest('[hidden]'))
            .map((e) => e.getAttribute('aria-label') || e.getAttribute('aria-labelledby').split(' ')
              .map((id) => document.getElementById(id).textContent).join(' '))""")
        assert len(names) == len(set(names)), names


async def test_report_charts_stack_on_a_phone(browser: Browser, server: Server) -> None:
    """The review: at 412 px (and 200 % zoom) the charts stayed two columns side by side, each too small to read."""
    await busy_hall(server)
    async with signed_in(browser, server, "/supervisor/tegal/reports", size=(412, 915)) as page:
        await until(page, "() => document.getElementById('report').getAttribute('aria-busy') === 'false'")
        lefts = await page.evaluate("""() => [...document.querySelectorAll('.charts .chart-box, .ikm-body > *')]
            .filter((e) => e.offsetParent).map((e) => Math.round(e.getBoundingClientRect().left))""")
        assert len(lefts) >= 3 and len(set(lefts)) == 1, lefts


PDF_WORDS = re.compile(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<')


def words_drawn_over_each_other(pdf: Path) -> tuple[list[str], list[tuple[int, str, str]]]:
    """Each page's text, and any two words whose boxes overlap (pdftotext -bbox)."""
    xml = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    texts, overlaps = [], []
    for n, page in enumerate(xml.split("<page ")[1:], 1):
        words = [(float(a), float(b), float(c), float(d), w) for a, b, c, d, w in PDF_WORDS.findall(page)]
        texts.append(" ".join(w[4] for w in words))
        for i, a in enumerate(words):
            for b in words[i + 1 :]:
                if a[0] < b[2] - 1 and b[0] < a[2] - 1 and a[1] < b[3] - 1 and b[1] < a[3] - 1:
                    overlaps.append((n, a[4], b[4]))
    return texts, overlaps


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="pdftotext (poppler-utils) is not installed")
async def test_a_printed_report_keeps_its_lines_apart_and_names_the_mall_on_every_page(
    browser: Browser, server: Server, tmp_path: Path
) -> None:
    """The review: printed, the "Dibuat" line was drawn over the rows of a table at a page's foot (the report was a
    grid, which Chromium split across pages so), and a continuation page said neither the mall nor the page."""
    await busy_hall(server)  # the tables run onto a second page
    async with signed_in(browser, server, "/supervisor/tegal/reports") as page:
        await until(page, "() => document.getElementById('report').getAttribute('aria-busy') === 'false'")
        pdf = tmp_path / "report.pdf"
        await page.pdf(path=str(pdf), prefer_css_page_size=True)
    texts, overlaps = await asyncio.to_thread(words_drawn_over_each_other, pdf)
    assert len(texts) >= 2 and overlaps == [], overlaps
    for n, text in enumerate(texts, 1):
        assert "MPP Kabupaten Tegal · Laporan dan Indeks Kepuasan" in text, n
        assert f"Halaman {n} / {len(texts)}" in text, n
    assert "Dibuat:" in texts[-1]


# --- the front page; every page: its bar, its focus ring -------------------------------------------------------------


async def test_the_front_page_links_every_page_and_says_its_language_switch_in_its_language(server: Server) -> None:
    """The review: the front page lacked the national view, the IKM report and the staff desk, which the README
    says are there; its "English" link was not marked as English."""
    index = (await server.http.get("/", headers={"Accept": "text/html"})).text
    for path in ("/desk/tegal", "/national", "/national/ikm", "/supervisor/tegal", "/kiosk/tegal", "/perangkat"):
        assert f'href="{path}"' in index, path
    assert 'hreflang="en" lang="en">English<' in index
    # An installer's review: the page sent new TVs and kiosks to `device add` only, not to the pairing code the
    # deployment guide starts them with.
    assert "Pasangkan dengan kode" in index and "buka /perangkat" in index
    english = (await server.http.get("/?lang=en")).text
    assert 'lang="id">Bahasa Indonesia<' in english


async def test_the_bar_wraps_at_200_percent_zoom(browser: Browser, server: Server) -> None:
    """The review: the bar's tools did not wrap above 600 px, so at 200 % zoom of a 1366 px screen (683 px, less a
    scrollbar) the English dashboard scrolled sideways and "Sign out" was cut off."""
    async with signed_in(browser, server, "/supervisor/tegal", "supervisor", (683, 384)) as page:
        await until(page, "() => !document.getElementById('logout').hidden")
        for lang in ("id", "en"):
            if lang == "en":
                await page.click("#lang")
                await until(page, "() => document.documentElement.lang === 'en'")
            for width in (620, 660, 668, 683):
                await page.set_viewport_size({"width": width, "height": 384})
                edge, sideways = await page.evaluate("""() => [document.getElementById('logout')
                    .getBoundingClientRect().right, document.documentElement.scrollWidth - innerWidth]""")
                assert edge <= width and sideways <= 0, (lang, width, edge, sideways)


async def test_the_focus_ring_is_two_toned(browser: Browser, server: Server) -> None:
    """The review: the yellow ring alone was 1.8:1 on white. A dark ring next to the control, the yellow around it."""
    async with signed_in(browser, server, "/supervisor/tegal/reports") as page:
        await until(page, "() => document.getElementById('report').getAttribute('aria-busy') === 'false'")
        await page.focus("#print")
        await page.keyboard.press("Shift+Tab")
        await page.keyboard.press("Tab")
        ring = await page.evaluate("""() => { const s = getComputedStyle(document.activeElement);
            return [document.activeElement.id, s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow]; }""")
        assert ring[:4] == ["print", "solid", "2px", "rgb(31, 41, 51)"] and "rgb(255, 179, 0)" in ring[4], ring
