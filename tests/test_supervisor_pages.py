"""The supervisor's pages in Debian's Chromium (Playwright) against a real server: the dashboard follows issuing and
calling live, raises an alert when a wait passes its target on the SERVER's clock (the test moves it; the browser's
clock never does), shows a display that disconnects as down, refuses an operator another agency; the survey tablet
collects a served ticket's answers; reports render the server's charts. Screenshots at 1366x768 and 1920x1080 go to
$SUPERVISOR_SCREENSHOT_DIR (or the test's temporary directory) for a person to look at."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page
from websockets.asyncio.client import connect

from .display_support import until
from .helpers import LOBBY, Server, running_server

SIZES = ((1366, 768), (1920, 1080))


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Server]:
    async with running_server(tmp_path / "queue.sqlite3", ignore_hours=True, dashboard_seconds=0.5) as s:
        yield s


def text_of(selector: str) -> str:
    return f"() => (document.querySelector({json.dumps(selector)})?.textContent ?? '')"


@asynccontextmanager
async def signed_in(
    browser: Browser, server: Server, path: str, user: str = "supervisor", size: tuple[int, int] = (1366, 768)
) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport={"width": size[0], "height": size[1]}, locale="id-ID")
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    browser_boxes = refuse_browser_dialogs(page)
    try:
        await page.goto(server.url + path)
        await page.fill("input[name=username]", user)
        password = {"supervisor": "demo-supervisor", "admin": "demo-admin"}.get(user, "demo-operator")
        await page.fill("input[name=password]", password)
        await page.click("#login-form button[type=submit]")
        yield page
        assert not errors, errors
        assert not browser_boxes, f"the browser's own dialogs: {browser_boxes}"
    finally:
        await context.close()


def refuse_browser_dialogs(page: Page) -> list[str]:
    """The pages ask in their own dialog (`answer`): a browser's confirm, alert or prompt box would stop their live
    figures. Any that opens is dismissed and listed, for the test to fail on."""
    boxes: list[str] = []
    page.on("dialog", lambda box: (boxes.append(box.message), asyncio.ensure_future(box.dismiss())))
    return boxes


QUESTION_OPEN = "() => document.getElementById('question-dialog').open"


async def question(page: Page) -> dict[str, str]:
    """The page's own open question (base.html's #question-dialog): its title, words and buttons, as shown."""
    await until(page, QUESTION_OPEN)
    said: dict[str, str] = await page.evaluate(
        """() => Object.fromEntries(['title', 'text', 'yes', 'no'].map(
             (part) => [part, document.getElementById(`question-${part}`).textContent]))"""
    )
    return said


async def answer(page: Page, yes: bool = True) -> str:
    """The page's own question: its words, then its "Ya, ..." or "Batal" pressed; the dialog closed."""
    words = (await question(page))["text"]
    await page.click("#question-yes" if yes else "#question-no")
    await until(page, "() => !document.getElementById('question-dialog').open")
    return words


def screenshot_dir(tmp_path: Path) -> Path:
    directory = Path(os.environ.get("SUPERVISOR_SCREENSHOT_DIR") or tmp_path)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


KTP_WAITING = "() => document.querySelector('#services tr[data-service=ktp] .waiting')?.textContent"


async def test_dashboard_follows_issuing_and_calling_live(browser: Browser, server: Server) -> None:
    op = await server.login("op-disdukcapil")
    async with signed_in(browser, server, "/supervisor/tegal") as page:
        assert await until(page, KTP_WAITING) == "0"
        assert await until(page, "() => document.getElementById('conn').dataset.state === 'connected'")
        await server.issue("ktp")
        await until(page, KTP_WAITING + " === '1'")
        await until(page, "() => document.getElementById('kpi-waiting').textContent === '1'")
        assert await page.evaluate(text_of("#services tr[data-service=ktp] .new-ticket")) == "–", "no counter open"
        await server.command(op, "1", "open")
        wait = (await server.http.get("/api/v1/sites/tegal/waits")).json()["services"]["ktp"]
        new_ticket = f"{wait['low']}–{wait['high']} mnt"  # what a ticket taken now would be told
        await until(page, text_of("#services tr[data-service=ktp] .new-ticket") + f" === '{new_ticket}'")
        await server.command(op, "1", "call_next")
        await until(page, text_of("#counters [data-counter='1'] .label") + " === 'A-001'")
        assert await page.evaluate(text_of("#counters [data-counter='1'] .badge")) == "Memanggil"
        await until(page, KTP_WAITING + " === '0'")
        await server.command(op, "1", "finish")
        await until(page, text_of("#services tr[data-service=ktp] .served") + " === '1'")
        # English on request, the same figures
        await page.click("#lang")
        assert await page.evaluate(text_of("#counters [data-counter='1'] .badge")) == "Idle"
        assert await page.evaluate(text_of("[data-t=kpi_waiting]")) == "Waiting"


async def test_alert_when_a_wait_passes_its_target_on_the_server_clock(browser: Browser, server: Server) -> None:
    async with signed_in(browser, server, "/supervisor/tegal") as page:
        await until(page, KTP_WAITING + " === '0'")
        assert await page.evaluate(text_of("#clock")) == "09.00.00"
        await server.issue("ktp")
        await until(page, KTP_WAITING + " === '1'")
        assert not await page.query_selector("#alerts [data-alert]")
        await server.command(await server.login("op-disdukcapil"), "1", "open")  # staffed: a wait alert, not no_counter
        server.clock.advance(minutes=46)  # KTP's target is 45 minutes; the browser's own clock did not move
        await until(page, "() => !!document.querySelector('#alerts [data-alert=\"wait:ktp\"]')")
        alert = await page.evaluate(text_of("#alerts [data-alert='wait:ktp']"))
        assert "A-001 menunggu 46 menit (target 45)" in alert
        assert (await page.evaluate(text_of("#kpi-longest"))).startswith("46 mnt")
        assert await page.evaluate(
            "() => document.querySelector('#services tr[data-service=ktp]').classList.contains('late')"
        )
        assert (await page.evaluate(text_of("#clock"))).startswith("09.46")
        toast = await until(page, text_of("#toasts .toast.danger"))
        assert toast.startswith("Peringatan baru")


async def test_citizens_waiting_with_no_counter_open_is_an_alert_that_names_the_counters(
    browser: Browser, server: Server
) -> None:
    """An outside review: 15 citizens waited for SIM while its only counter was on a break, 4 for a land certificate
    with no counter ever opened, and the dashboard raised nothing until each target had passed (40 and 60 minutes)."""
    alert = "#alerts [data-alert='no_counter:sertifikat']"
    async with signed_in(browser, server, "/supervisor/tegal") as page:
        await until(page, KTP_WAITING + " === '0'")
        await server.issue("sertifikat")
        server.clock.advance(minutes=4)  # a ticket taken while its operator opens the counter raises nothing
        await until(page, "() => document.querySelector('#clock').textContent.startsWith('09.04')")
        assert not await page.query_selector(alert)
        server.clock.advance(minutes=2)
        said = await until(page, text_of(alert))
        assert said == (
            "Loket tutup: Pendaftaran dan Balik Nama Sertifikat: 1 orang menunggu (T-001 sudah 6 menit, target 60), "
            "tetapi tidak ada loket yang buka untuk layanan ini. Buka atau lanjutkan Loket 17."
        ), said
        toast = await until(page, text_of("#toasts .toast.danger"))
        assert toast.startswith("Peringatan baru")
        bpn = await server.login("op-bpn")
        await server.command(bpn, "17", "open")
        await until(page, f"() => !document.querySelector({json.dumps(alert)})")  # cleared by the counter opening
        await server.command(bpn, "17", "pause")  # a break leaves the citizen with nobody again
        said = await until(page, text_of(alert))
        assert said.endswith("Buka atau lanjutkan Loket 17 (jeda)."), said
        await page.click("#lang")
        shown = f"(document.querySelector({json.dumps(alert)})?.textContent ?? '')"
        english = await until(page, f"() => {shown}.startsWith('No counter open:') && {shown}")
        assert english.endswith(
            ": 1 waiting (T-001 for 6 minutes, target 60) and no counter open for this service. Open or resume "
            "Loket 17 (on a break)."
        ), english
        await server.command(bpn, "17", "resume")
        await until(page, f"() => !document.querySelector({json.dumps(alert)})")
    sup = await server.login("supervisor")
    dashboard = (await server.http.get("/api/v1/sites/tegal/dashboard", headers=sup)).json()
    assert not [a for a in dashboard["alerts"] if a["kind"] == "no_counter"]


async def test_a_spent_walk_in_quota_shows_on_its_service_and_as_an_alert(browser: Browser, server: Server) -> None:
    """An outside review: a spent quota was invisible on the dashboard. KK: 10 walk-in numbers a day."""
    async with signed_in(browser, server, "/supervisor/tegal") as page:
        kk = "#services tr[data-service=kk] .quota"
        assert await until(page, text_of(kk)) == "0 / 10 · sisa 10"
        assert await page.evaluate(text_of("#services tr[data-service=ktp] .quota")) == "0 / 200 · sisa 200"
        assert await page.evaluate(text_of("#services tr[data-service=npwp] .quota")) == "–", "no quota"
        for _ in range(9):
            await server.issue("kk")
        await until(page, text_of(kk) + " === '9 / 10 · sisa 1'")
        server.clock.advance(minutes=12)
        await server.issue("kk")
        await until(page, text_of(kk) + " === 'habis 09.12'")
        assert await page.evaluate(f"() => document.querySelector('{kk}').classList.contains('spent')")
        alert = await until(page, text_of("#alerts [data-alert='quota_spent:kk']"))
        assert alert.startswith("Kuota: Kuota Kartu Keluarga habis pukul 09.12 (10 nomor walk-in)"), "its kind first"
        toast = await until(page, text_of("#toasts .toast.danger"))
        assert toast.startswith("Peringatan baru")
        await page.click("#lang")
        await until(page, text_of(kk) + " === 'spent 09:12'")
        assert await page.evaluate(text_of("[data-t=col_quota_left]")) == "Quota"
        english = await page.evaluate(text_of("#alerts [data-alert='quota_spent:kk']"))
        assert english.startswith("Quota: The quota of Kartu Keluarga ran out at 09:12")


async def test_a_display_that_disconnects_shows_as_down(browser: Browser, server: Server) -> None:
    async with signed_in(browser, server, "/supervisor/tegal") as page:
        await until(page, KTP_WAITING)
        async with connect(server.ws_url) as display:
            await display.send(json.dumps({"type": "hello", "role": "display", "site": "tegal", "token": LOBBY}))
            await display.send(json.dumps({"type": "health", "audio": "ready", "last_call_label": "A-007"}))
            health = "() => document.querySelector('#devices [data-device=lobby] .health')?.dataset.health"
            assert await until(page, health) == "ok"
            assert "A-007" in await page.evaluate(text_of("#devices [data-device=lobby] .last"))
        assert await until(page, health + " === 'down'")
        assert await page.evaluate(text_of("#devices [data-device=lobby] .health")) == "Terputus"
        await until(page, "() => !!document.querySelector('#alerts .alert.device')")
        assert "terputus sejak pukul 09.00" in await page.evaluate(text_of("#alerts .alert.device"))
        # Every screen of the demo mall without a TV now (the lobby's dropped, the others never came on).
        assert await page.evaluate(text_of("#kpi-devices")) == "4 / 4"


async def test_a_counter_idle_since_an_unrecorded_time_says_so_instead_of_a_dash(
    browser: Browser, tmp_path: Path
) -> None:
    """An outside review: a counter idle since before `idle_since` was recorded showed "Kosong —" until its next
    event. Where the log cannot date it (the event that wrote it archived), its card says the time was not
    recorded, and why in its tooltip; a counter the log does date says its minutes as any other."""
    database = tmp_path / "queue.sqlite3"
    async with running_server(database, ignore_hours=True) as s:
        op = await s.login("op-disdukcapil")
        for c in ("1", "2"):
            await s.command(op, c, "open")
        storage = s.ctx.storage
        for cid, doc, seq in await storage.fetch_all("SELECT id, doc, seq FROM counters WHERE site = ?", ("tegal",)):
            older = {k: v for k, v in json.loads(doc).items() if k != "idle_since"}  # as an earlier release wrote it
            await storage.execute("UPDATE counters SET doc = ? WHERE id = ?", (json.dumps(older), cid))
            if cid == "2":
                await storage.execute("DELETE FROM events WHERE seq = ?", (seq,))  # archived since
    async with running_server(database, ignore_hours=True, dashboard_seconds=0.5) as server:
        async with signed_in(browser, server, "/supervisor/tegal") as page:
            unknown = "#counters [data-counter='2']"
            said = await until(page, text_of(f"{unknown} .for.untimed"))
            assert said == "lama belum tercatat" and await page.text_content(f"{unknown} .badge") == "Kosong"
            title = await page.get_attribute(f"{unknown} .for.untimed", "title") or ""
            assert title.startswith("Loket ini kosong sejak sebelum server mencatat waktunya"), title
            assert await page.text_content("#counters [data-counter='1'] .for") == "0 mnt", "dated from the log"
            await page.click("#lang")
            await until(page, text_of(f"{unknown} .for.untimed") + " === 'time not recorded'")


# Per panel of the dashboard: the items whole in its scrolling region, of all, and the region's height.
IN_VIEW = """() => {
  const whole = (region, items) => {
    const box = document.querySelector(region).getBoundingClientRect();
    const all = [...document.querySelectorAll(region + ' ' + items)];
    const shown = all.filter((i) => { const r = i.getBoundingClientRect();
      return r.height > 0 && r.top >= box.top - 1 && r.bottom <= box.bottom + 1; });
    return [shown.length, all.length, Math.round(box.height)];
  };
  return {services: whole('.services .scroll', 'tbody tr'), counters: whole('.counters .scroll', '.counter'),
          parked: whole('.parked .scroll', 'li'), devices: whole('.devices .scroll', 'li')};
}"""


async def test_parked_tickets_are_usable_at_1366x768_and_nothing_else_gives_way(
    browser: Browser, server: Server, tmp_path: Path
) -> None:
    """An outside review: at 1366x768 the parked tickets' panel held about one ticket before it scrolled. Six parked:
    three stand whole there now, one line each with their buttons (the where and since said short, whole in the
    row's tooltip), and all six at 1920x1080; the services and the counters keep as many whole rows and cards as
    they had before any ticket was parked, and the screens' panel stays in view."""
    op = await server.login("op-disdukcapil")
    for c in ("1", "2", "3", "4"):
        await server.command(op, c, "open")
    for _ in range(8):
        await server.issue("ktp")
    async with signed_in(browser, server, "/supervisor/tegal") as page:
        await until(page, text_of("#parked") + " === 'Tidak ada tiket yang diparkir.'")
        before = {}
        for size in SIZES:
            await page.set_viewport_size({"width": size[0], "height": size[1]})
            before[size] = await page.evaluate(IN_VIEW)
        for n in range(6):
            counter = ("1", "2")[n % 2]  # KTP's counters
            assert (await server.command(op, counter, "call_next")).status_code == 200
            assert (await server.command(op, counter, "park")).status_code == 200
        await until(page, "() => document.querySelectorAll('#parked li.parked-ticket').length === 6")
        for size in SIZES:
            await page.set_viewport_size({"width": size[0], "height": size[1]})
            await page.wait_for_function("() => true")  # a frame laid out at this size
            after = await page.evaluate(IN_VIEW)
            shown, parked, _ = after["parked"]
            assert parked == 6 and shown >= (3 if size == (1366, 768) else 6), (size, after)
            for panel in ("services", "counters"):
                assert after[panel][0] >= before[size][panel][0], (size, panel, before[size], after)
            assert after["devices"][2] >= 40, ("the screens' panel stays in view", size, after)
            await page.screenshot(path=str(screenshot_dir(tmp_path) / f"dashboard-parked-{size[0]}.png"))
        await page.set_viewport_size({"width": 1366, "height": 768})
        row = "#parked li[data-ticket='A-001']"
        assert await page.is_visible(f"{row} .where-short") and await page.is_hidden(f"{row} .where")
        assert await page.text_content(f"{row} .where-short") == "Loket 1 · 09.00"
        assert await page.get_attribute(f"{row} .what", "title") == "KTP Elektronik · diparkir Loket 1 sejak 09.00"
        assert await page.get_by_role("button", name="Ke loket A-001", exact=True).is_visible()
        await page.set_viewport_size({"width": 1920, "height": 1080})  # a narrower column: two lines, said whole
        await until(page, f"() => getComputedStyle(document.querySelector(\"{row} .where\")).display !== 'none'")
        assert await page.is_hidden(f"{row} .where-short")


HEADER_PARTS = """() => {
  const shown = [...document.querySelectorAll('.bar .brand > *, .bar .nav a, .bar .tools > *')]
    .filter(e => e.offsetParent !== null).map(e => [e.textContent.trim(), e.getBoundingClientRect()]);
  const overlaps = [];
  shown.forEach(([name, a], i) => shown.slice(i + 1).forEach(([other, b]) => {
    if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1)
      overlaps.push(name + ' / ' + other);
  }));
  const edge = document.querySelector('.bar .brand').getBoundingClientRect().right;
  const cut = shown.filter(([, r]) => r.right > document.documentElement.clientWidth + 1).map(([name]) => name);
  const hidden = [...document.querySelectorAll('.bar .brand > *')].filter(e => e.offsetParent !== null
    && e.getBoundingClientRect().right > edge + 1).map(e => e.textContent.trim());
  return {overlaps, cut: cut.concat(hidden)};
}"""


@pytest.mark.parametrize("size", [(1024, 768), (1366, 768)])
async def test_the_header_s_parts_never_run_over_each_other(
    browser: Browser, server: Server, size: tuple[int, int]
) -> None:
    """The site's name, the page, the menu and the tools side by side, or the menu and tools on a second row: never
    one over the other (at 1366 px the menu once covered "Dasbor langsung" and "Seluruh MPP"), in both languages."""
    async with signed_in(browser, server, "/supervisor/tegal", "admin", size) as page:
        await until(page, "() => document.getElementById('who')?.textContent.includes('admin')")  # signed in
        for path in ("", "/reports", "/audit", "/deliveries", "/admin"):
            await page.goto(f"{server.url}/supervisor/tegal{path}")
            await until(page, "() => document.getElementById('who')?.textContent.includes('admin')")
            for lang in ("id", "en"):
                if lang == "en":
                    await page.click("#lang")
                    await until(page, "() => document.documentElement.lang === 'en'")
                assert await page.evaluate(HEADER_PARTS) == {"overlaps": [], "cut": []}, (path, lang)
            await page.click("#lang")  # back to Indonesian for the next page
            await until(page, "() => document.documentElement.lang === 'id'")


CUT_CELLS = """() => [...document.querySelectorAll('.services th, .services td:not(.name)')]
  .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent.trim())"""


# Service names on more than the two lines they may take, and alerts cut short.
CUT_NAMES = """() => [...document.querySelectorAll('#services td.name .text')]
  .filter(e => e.scrollHeight > e.clientHeight + 1).map(e => e.textContent)"""
CUT_ALERTS = """() => [...document.querySelectorAll('#alerts .alert')]
  .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent)"""


@pytest.mark.parametrize("size", [(1024, 768), (1366, 768), (1920, 1080)])
async def test_no_figure_of_the_services_table_is_cut(browser: Browser, server: Server, size: tuple[int, int]) -> None:
    """Ten columns, in both languages: every heading and figure whole (a narrow panel scrolls sideways instead),
    a wait of hours included (its target goes under it: "6 j 42 mnt / 45" once ran into the next column); from
    1366 px the service names up to 26 characters whole on at most two lines (the longer ones keep two lines and
    the whole name in their tooltip), and a single alert across the width rather than cut at 400 px."""
    for _ in range(12):
        await server.issue("ktp")
    op = await server.login("op-disdukcapil")
    await server.command(op, "1", "open")
    server.clock.advance(hours=5, minutes=30)  # 14.30: the first KTP ticket has waited five and a half hours
    async with signed_in(browser, server, "/supervisor/tegal", "supervisor", size) as page:
        await until(page, text_of("#services tr[data-service=ktp] .longest") + ".startsWith('5 j 30 mnt')")
        await until(page, "() => document.querySelectorAll('#alerts .alert.wait').length === 1")
        names = await page.evaluate("() => [...document.querySelectorAll('#services td.name')].map(e => e.title)")
        assert len(names) == 28
        for lang in ("id", "en"):
            if lang == "en":
                await page.click("#lang")
                await until(page, "() => document.documentElement.lang === 'en'")
            assert await page.evaluate(CUT_CELLS) == [], lang
            assert await page.evaluate(CUT_ALERTS) == [], lang
            if size[0] >= 1366:
                assert [n for n in await page.evaluate(CUT_NAMES) if len(n) <= 26] == [], lang


ALERTS_SEEN = """() => { const box = document.getElementById('alerts').getBoundingClientRect();
  return [...document.querySelectorAll('#alerts .alert')].map(e => e.getBoundingClientRect())
    .filter(r => r.top >= box.top - 1 && r.bottom <= box.bottom + 1).length; }"""


async def test_alerts_out_of_view_are_counted_and_shown_on_asking(
    browser: Browser, server: Server, tmp_path: Path
) -> None:
    """Two rows of alerts fit at 1366x768 and the rest scrolled inside the box, with nothing to say they were there
    (an outside review): the ones out of view are counted under the box, and a button shows them all."""
    services = ("ktp", "kk", "akta", "skck", "sim", "pkb", "paspor_baru", "npwp")
    for service in services:
        await server.issue(service)
    server.clock.advance(hours=2)  # every one of them past its target: one alert each
    async with signed_in(browser, server, "/supervisor/tegal") as page:
        # No counter open: each says so and which counters to open (no_counter, in place of wait)
        await until(page, f"() => document.querySelectorAll('#alerts .alert.no_counter').length === {len(services)}")
        total = await page.evaluate("() => document.querySelectorAll('#alerts .alert').length")
        seen = await page.evaluate(ALERTS_SEEN)
        assert 0 < seen < total
        more = page.locator("#alerts-more")
        await until(
            page, text_of("#alerts-more") + f".startsWith('{total - seen} dari {total} peringatan tidak tampak utuh')"
        )
        assert (await more.text_content() or "").endswith("· Tampilkan semua")
        assert await more.get_attribute("aria-expanded") == "false"
        await page.screenshot(path=str(screenshot_dir(tmp_path) / "dashboard-alerts-counted.png"))

        await more.click()
        await until(page, text_of("#alerts-more") + " === 'Tampilkan lebih sedikit'")
        assert await more.get_attribute("aria-expanded") == "true"
        assert await page.evaluate(ALERTS_SEEN) == total, "all of them, once asked for"
        await page.screenshot(path=str(screenshot_dir(tmp_path) / "dashboard-alerts-all.png"))
        await more.click()
        await until(page, text_of("#alerts-more") + ".includes('peringatan tidak tampak utuh')")

        await page.click("#lang")
        await until(
            page, text_of("#alerts-more") + ".endsWith('alerts not fully in view · Show all')"
        )  # as many as fit there


async def test_an_operator_sees_only_their_own_agency(browser: Browser, server: Server) -> None:
    await server.issue("ktp")
    await server.issue("skck")
    async with signed_in(browser, server, "/supervisor/tegal?agency=polres", "op-disdukcapil") as page:
        message = await until(
            page, "() => !document.getElementById('fatal').hidden && document.getElementById('fatal').textContent"
        )
        assert "instansi lain" in message
        assert await page.evaluate("() => document.getElementById('app').hidden")
    async with signed_in(browser, server, "/supervisor/tegal", "op-disdukcapil") as page:
        await until(page, KTP_WAITING + " === '1'")
        services = await page.evaluate(
            "() => [...document.querySelectorAll('#services tr')].map(r => r.dataset.service)"
        )
        assert "skck" not in services and "ktp" in services
        assert await page.evaluate("() => document.getElementById('actions').hidden"), "no supervisor actions"
        assert await page.evaluate(text_of("#scope")) == "Disdukcapil"
        shown = await page.evaluate("() => [...document.querySelectorAll('.nav a')].filter(a => !a.hidden)"
                                    ".map(a => a.dataset.nav)")  # fmt: skip
        assert shown == ["dashboard"], "an operator is offered only the pages it may use"


async def test_supervisor_actions_from_the_dashboard(browser: Browser, server: Server) -> None:
    op = await server.login("op-disdukcapil")
    await server.command(op, "2", "open")
    await server.issue("ktp")
    async with signed_in(browser, server, "/supervisor/tegal") as page:
        await until(page, "() => !!document.querySelector('#counters [data-counter=\"2\"] button[data-command=pause]')")
        await page.click("#counters [data-counter='2'] button[data-command=pause]")
        await until(page, text_of("#counters [data-counter='2'] .badge") + " === 'Jeda'")
        await page.click("[data-dialog=dlg-text]")
        # A citizen's name for every lobby screen is refused in the dialog, on its field, and the dialog stays open.
        await page.fill("#dlg-text textarea", "Panggilan untuk Ibu Siti Rahayu, silakan ke loket 3")
        await page.click("#dlg-text button[type=submit]")
        error = await until(page, text_of("#dlg-text .error"))
        assert "memuat nama warga" in error and "nomor antreannya" in error and "Siti" not in error, error
        assert await page.get_attribute("#dlg-text textarea", "aria-invalid") == "true"
        assert await page.evaluate("() => document.getElementById('dlg-text').open")
        await page.fill("#dlg-text textarea", "Pelayanan KTP sampai pukul 14.00")
        await page.click("#dlg-text button[type=submit]")
        await until(page, "() => document.getElementById('dlg-text').open === false")
        await page.click("[data-dialog=dlg-ticket]")
        await page.fill("#dlg-ticket input[name=ticket]", "A-009")
        await page.click("#dlg-ticket button[type=submit]")
        error = await until(page, text_of("#dlg-ticket .error"))
        assert "A-009" in error and "tidak ditemukan" in error
        await page.fill("#dlg-ticket input[name=ticket]", "A-001")
        await page.select_option("#dlg-ticket select[name=action]", "transfer")
        await page.select_option("#dlg-ticket select[name=target_service]", "kk")
        await page.click("#dlg-ticket button[type=submit]")
        await until(page, "() => document.getElementById('dlg-ticket').open === false")
        await until(page, "() => document.querySelector('#services tr[data-service=kk] .waiting')?.textContent === '1'")
    sup = await server.login("supervisor")
    entries = (await server.http.get("/api/v1/sites/tegal/audit", headers=sup)).json()["entries"]
    assert [e["action"] for e in reversed(entries)] == ["counter.open", "counter.pause", "site.running_text",
                                                        "ticket.transfer"]  # fmt: skip
    assert server.ctx.state("tegal").running_text == "Pelayanan KTP sampai pukul 14.00"
    # The audit page says each action in words, with names and an Indonesian date, never as codes.
    async with signed_in(browser, server, "/supervisor/tegal/audit") as page:
        await until(page, "() => document.querySelectorAll('#entries tr').length === 4")
        rows = await page.eval_on_selector_all("#entries tr", "(rows) => rows.map((r) => r.innerText)")
        assert any("Tiket A-001 dipindahkan ke Kartu Keluarga" in r for r in rows), rows
        assert any("Loket 2 dibuka" in r and "petugas loket" in r for r in rows), rows
        assert not any(code in " ".join(rows) for code in ("counter.", "ticket.", "site.", "kk", "operator"))


async def test_a_cancel_reason_stops_at_200_characters_and_a_longer_one_is_refused_as_such(
    browser: Browser, server: Server, tmp_path: Path
) -> None:
    """An outside review: a cancellation's reason over 200 characters was refused `invalid_field` ("the field reason
    may be at most ..."), where a transfer's note has its own code and sentence. It is `reason_too_long` now, said
    under the form and marked on the field, whose text stays to be shortened; the field stops at 200 and says what
    is left as it is typed."""
    await server.issue("ktp")
    long = "Warga pulang, berkas belum lengkap. " * 7  # 252 characters
    async with signed_in(browser, server, "/supervisor/tegal") as page:
        await until(page, KTP_WAITING + " === '1'")
        await page.click("[data-dialog=dlg-ticket]")
        note = "#dlg-ticket input[name=note]"
        await until(page, text_of("#dlg-ticket-count") + " === 'Sisa 200 dari 200 karakter'")
        await page.fill("#dlg-ticket input[name=ticket]", "A-001")
        await page.focus(note)
        await page.keyboard.insert_text(long)  # pasted
        assert len(await page.input_value(note)) == 200
        await until(page, text_of("#dlg-ticket-count") + " === 'Sisa 0 dari 200 karakter'")
        assert await page.evaluate("() => document.getElementById('dlg-ticket-count').classList.contains('low')")
        await page.screenshot(path=screenshot_dir(tmp_path) / "dashboard-cancel-reason.png")

        # a page whose limit is gone (an older one): the server's own refusal, under the form and on the field
        await page.evaluate(f"() => document.querySelector({json.dumps(note)}).removeAttribute('maxlength')")
        await page.fill(note, long)
        await page.click("#dlg-ticket button[type=submit]")
        error = await until(page, text_of("#dlg-ticket .error"))
        assert error == "Alasan pembatalan paling panjang 200 karakter."
        assert await page.get_attribute(note, "aria-invalid") == "true"
        assert await page.evaluate("() => document.getElementById('dlg-ticket').open")
        assert await page.input_value(note) == long, "the reason stays to be shortened"
        assert ticket_state(server, "A-001") == "waiting"

        await page.fill(note, long[:200])
        await page.click("#dlg-ticket button[type=submit]")
        await until(page, "() => document.getElementById('dlg-ticket').open === false")
        assert ticket_state(server, "A-001") == "cancelled"
        await page.click("#lang")
        await page.click("[data-dialog=dlg-ticket]")
        await until(page, text_of("#dlg-ticket-count") + " === '200 of 200 characters left'")


def ticket_state(server: Server, label: str) -> str:
    state = server.ctx.state("tegal")
    return str(state.tickets[state.by_label[(state.site.service_day(server.clock()), label)]].state.value)


async def test_an_idle_counter_a_long_service_and_a_parked_ticket_called_back_from_the_dashboard(
    browser: Browser, server: Server, tmp_path: Path
) -> None:
    """An outside review: an idle counter showed "Kosong —" with citizens waiting, a long service only its running
    time, and parked tickets nowhere. Now: "Kosong 13 mnt", "1 menunggu" and an alert; "lama · biasanya 6 mnt"; the
    parked ticket listed and called back to a free counter from its own button."""
    op = await server.login("op-disdukcapil")
    for c in ("1", "2"):
        await server.command(op, c, "open")
    for _ in range(3):
        await server.issue("ktp")
    await server.command(op, "1", "call_next")  # A-001, parked
    await server.command(op, "1", "park")
    await server.command(op, "1", "call_next")  # A-002, served for 13 minutes (KTP: 6 a citizen)
    await server.command(op, "1", "start")
    server.clock.advance(minutes=13)  # Loket 2 idle since 09.00 while A-003 waits
    async with signed_in(browser, server, "/supervisor/tegal") as page:
        idle = "#counters [data-counter='2']"
        await until(page, text_of(f"{idle} .for") + " === '13 mnt'")
        assert await page.text_content(f"{idle} .badge") == "Kosong"
        assert await page.text_content(f"{idle} .note.waiting") == "1 menunggu"
        assert "alerted" in (await page.get_attribute(idle, "class") or "")
        alert = await until(page, text_of("#alerts .alert.counter_idle"))
        assert alert.startswith("Loket kosong: Loket 2 kosong sejak pukul 09.00 (13 menit)"), alert
        assert await page.text_content("#counters [data-counter='1'] .note.long") == "lama · biasanya 6 mnt"
        parked = "#parked li[data-ticket='A-001']"
        said = await until(page, text_of(parked))
        assert "KTP Elektronik" in said and "diparkir Loket 1 sejak 09.00" in said and "13 mnt" in said, said
        for size in SIZES:
            await page.set_viewport_size({"width": size[0], "height": size[1]})
            await page.screenshot(path=str(screenshot_dir(tmp_path) / f"dashboard-watch-{size[0]}.png"))
        await page.click(f"{parked} button[data-unpark=unpark-counter]")
        await until(page, "() => document.getElementById('dlg-ticket').open")
        assert await page.input_value("#dlg-ticket input[name=ticket]") == "A-001"
        options = await page.eval_on_selector_all(
            "#dlg-ticket select[name=counter] option", "(o) => o.map((x) => x.text)"
        )
        assert options == ["Loket 2"], "open, free and serving KTP: not Loket 1, busy"
        assert await page.is_hidden("#dlg-ticket input[name=note]"), "no note for a call back"
        await page.click("#dlg-ticket button[type=submit]")
        await until(page, "() => document.getElementById('dlg-ticket').open === false")
        await until(page, text_of(f"{idle} .label") + " === 'A-001'")
        await until(page, text_of("#parked") + " === 'Tidak ada tiket yang diparkir.'")
        await until(page, "() => !document.querySelector('#alerts .alert.counter_idle')")
    sup = await server.login("supervisor")
    entries = (await server.http.get("/api/v1/sites/tegal/audit", headers=sup)).json()["entries"]
    assert entries[0]["summary"]["id"] == "Tiket A-001 yang diparkir dipanggil kembali ke Loket 2"


CHOICE_CONTRAST = """() => {
  const lum = (c) => c.match(/[\\d.]+/g).slice(0, 3).map(Number).map((v) => v / 255)
    .map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4))
    .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  const out = {};
  for (const b of document.querySelectorAll("#q-choices button")) {
    const s = getComputedStyle(b);
    const [hi, lo] = [lum(s.color), lum(s.backgroundColor)].sort((x, y) => y - x);
    out[b.textContent.trim()] = Math.round(((hi + 0.05) / (lo + 0.05)) * 100) / 100;
  }
  return out;
}"""


async def test_survey_tablet_collects_the_answers_of_the_ticket_just_served(
    browser: Browser, server: Server, tmp_path: Path
) -> None:
    op = await server.login("op-disdukcapil")
    ticket = await server.issue("ktp")
    async with signed_in(browser, server, "/survey/tegal/1", "op-disdukcapil", (1280, 800)) as page:
        await until(page, "() => !document.getElementById('idle').hidden && !document.getElementById('app').hidden")
        await asyncio.sleep(0.3)  # the tablet's websocket is up before the counter finishes
        for command in ("open", "call_next", "finish"):
            await server.command(op, "1", command)
        await until(page, "() => !document.getElementById('question').hidden")
        assert "A-001" in await page.evaluate(text_of("#q-ticket"))
        assert await page.evaluate(text_of("#q-element")) == "Persyaratan"
        await page.screenshot(path=screenshot_dir(tmp_path) / "supervisor-survey-tablet-1280x800.png")
        # Every answer's words on its colour at WCAG AA for normal text (21 px, weight 600): "2 Kurang sesuai" was
        # white on #ef6c00, 3.08:1.
        ratios = await page.evaluate(CHOICE_CONTRAST)
        assert len(ratios) == 4 and all(r >= 4.5 for r in ratios.values()), ratios
        for answer in (4, 3, 4, 4, 3, 4, 4, 3):
            await page.click(f"#q-choices button[data-value='{answer}']")
        await page.click("#q-back")
        await page.click("#q-choices button[data-value='3']")
        assert await page.evaluate(text_of("#q-element")) == "Sarana dan prasarana"
        await page.click("#q-choices button[data-value='2']")
        await until(page, text_of("#thanks-title") + " === 'Terima kasih atas penilaian Anda!'")
    rows = await server.ctx.storage.query("SELECT ticket, answers, channel FROM survey_responses")
    assert rows == [(ticket["ticket"]["id"], "[4, 3, 4, 4, 3, 4, 4, 3, 2]", "tablet")]


async def busy_hall(server: Server) -> None:
    """A morning: five counters open, queues in several services, one screen down, one with its sound blocked."""
    op = await server.login("op-disdukcapil")
    pol = await server.login("op-polres")
    for counter, who in (("1", op), ("2", op), ("3", op), ("5", pol), ("6", pol)):
        await server.command(who, counter, "open")
    for service in ["ktp"] * 9 + ["kk"] * 3 + ["skck"] * 5 + ["sim"] * 2 + ["pkb"] * 4 + ["npwp"] * 2:
        await server.issue(service)
        server.clock.advance(minutes=1)
    for counter, who in (("1", op), ("2", op), ("5", pol)):
        await server.command(who, counter, "call_next")
        await server.command(who, counter, "start")
    server.clock.advance(minutes=6)
    await server.command(op, "1", "finish")
    await server.command(op, "1", "call_next")
    await server.command(pol, "6", "call_next")
    await server.command(op, "3", "pause")
    server.clock.advance(minutes=25)


async def test_screenshots(browser: Browser, server: Server, tmp_path: Path) -> None:
    await busy_hall(server)
    out = screenshot_dir(tmp_path)
    async with connect(server.ws_url) as lobby, connect(server.ws_url) as floor:
        await lobby.send(json.dumps({"type": "hello", "role": "display", "site": "tegal", "token": LOBBY}))
        await lobby.send(json.dumps({"type": "health", "audio": "blocked", "last_call_label": "A-010"}))
        await floor.send(json.dumps({"type": "hello", "role": "display", "site": "tegal",
                                     "token": "d_display_demo_tegal_lantai1"}))  # fmt: skip
        await asyncio.sleep(0.2)
        await floor.close()
        for width, height in SIZES:
            async with signed_in(browser, server, "/supervisor/tegal", size=(width, height)) as page:
                await until(page, "() => document.querySelectorAll('#alerts .alert.device').length === 1")
                await asyncio.sleep(0.3)
                overflow = await page.evaluate("() => [document.documentElement.scrollWidth > innerWidth, "
                                               "document.documentElement.scrollHeight > innerHeight]")  # fmt: skip
                assert overflow == [False, False], "the dashboard fits the screen; its panels scroll"
                clipped = await page.evaluate("""() => [...document.querySelectorAll('#counters article')]
                    .filter(c => c.scrollWidth > c.clientWidth + 1).map(c => c.dataset.counter)""")
                assert clipped == [], f"counter cards clip their content: {clipped}"
                await page.screenshot(path=out / f"supervisor-dashboard-{width}x{height}.png")
            async with signed_in(browser, server, "/supervisor/tegal/reports", size=(width, height)) as page:
                await until(page, "() => document.getElementById('report').getAttribute('aria-busy') === 'false'")
                assert await page.evaluate("() => document.querySelectorAll('#chart-arrivals svg rect').length") > 0
                await page.screenshot(path=out / f"supervisor-reports-{width}x{height}.png", full_page=True)
    assert len(list(out.glob("supervisor-*.png"))) >= 4


@pytest.mark.parametrize("size", [(1024, 768), (1366, 768)])
async def test_reports_and_the_audit_log_never_scroll_sideways(
    browser: Browser, server: Server, size: tuple[int, int]
) -> None:
    """The reports' tables have eleven columns: their headings wrap instead of widening the page (at 1024 px the
    Indonesian page once scrolled sideways and hid "Cetak"); a figure nothing measured yet reads "–", not "– mnt"."""
    for _ in range(3):
        await server.issue("ktp")
    op = await server.login("op-disdukcapil")
    await server.command(op, "1", "open")  # an entry of the audit log
    async with signed_in(browser, server, "/supervisor/tegal/reports", size=size) as page:
        await until(page, "() => document.getElementById('report').getAttribute('aria-busy') === 'false'")
        await until(page, "() => document.querySelectorAll('table.data tbody tr').length > 0")
        for lang in ("id", "en"):
            if lang == "en":
                await page.click("#lang")
                await until(page, "() => document.documentElement.lang === 'en'")
            assert await page.evaluate("() => document.documentElement.scrollWidth - innerWidth") <= 0, lang
            print_right = await page.evaluate("() => document.querySelector('#print').getBoundingClientRect().right")
            assert print_right <= size[0], "the print button in view"
            mean_wait = await page.evaluate(text_of("[data-figure=mean_wait] strong"))
            assert mean_wait == "–", "nobody called yet: no wait measured"
        await page.goto(f"{server.url}/supervisor/tegal/audit")
        await until(page, "() => document.querySelectorAll('#entries tr').length > 0")
        assert await page.evaluate("() => document.documentElement.scrollWidth - innerWidth") <= 0


async def test_a_closed_day_s_expired_tickets_are_not_served_not_still_open(browser: Browser, server: Server) -> None:
    """Two citizens took a number and the day closed before their call: the report says they were not served
    (expired), in the summary and in every table, never "Belum selesai", and that waits count called citizens only."""
    op = await server.login("op-disdukcapil")
    sup = await server.login("supervisor")
    for _ in range(3):
        await server.issue("ktp")
    await server.command(op, "1", "open")
    await server.command(op, "1", "call_next")
    await server.command(op, "1", "finish")
    r = await server.http.post("/api/v1/sites/tegal/close-day", json={}, headers=sup)
    assert r.status_code == 200, r.text
    day = server.ctx.today(server.ctx.sites["tegal"]).isoformat()
    async with signed_in(browser, server, f"/supervisor/tegal/reports?from={day}") as page:
        await until(page, "() => document.getElementById('report').getAttribute('aria-busy') === 'false'")
        for lang, label in (("id", "Tidak terlayani (kedaluwarsa)"), ("en", "Not served (expired)")):
            if lang == "en":
                await page.click("#lang")
                await until(page, "() => document.documentElement.lang === 'en'")
            assert await page.evaluate(text_of("[data-figure=expired] .k")) == label
            assert await page.evaluate(text_of("[data-figure=expired] strong")) == "2"
            assert await page.evaluate(text_of("[data-figure=still_open] strong")) == "0"
            heads = await page.evaluate(
                "() => [...document.querySelectorAll('#by-service th')].map(e => e.textContent)"
            )
            cells = await page.evaluate(
                "() => [...document.querySelectorAll('#by-service tr[data-row=ktp] td')].map(e => e.textContent)"
            )
            assert cells[heads.index(label)] == "2", (heads, cells)
            basis = await page.evaluate(text_of("#wait-basis"))
            assert ("dipanggil" if lang == "id" else "called") in basis


async def test_every_row_of_the_report_s_tables_adds_up_to_its_tickets(browser: Browser, server: Server) -> None:
    """An outside review, checking a day not closed yet by hand: Disdukcapil's row read 5 tickets, 2 served, 1 no-show
    and nothing else, because the tables had no "Belum selesai" column (the summary and the CSV have it). Every row
    of every table now adds up: tickets = served + no-show + cancelled + transferred + expired + still open, and
    each row says what the CSV's line says."""
    op, polres = await server.login("op-disdukcapil"), await server.login("op-polres")
    sup = await server.login("supervisor")
    labels = [(await server.issue(service))["ticket"]["label"] for service in ("ktp",) * 4 + ("kk", "skck", "skck")]
    for command in ("open", "call_next", "finish", "call_next", "no_show"):
        assert (await server.command(op, "1", command)).status_code == 200
    for command in ("open", "call_next", "transfer"):
        body = {"target_service": "kk"} if command == "transfer" else {}
        assert (await server.command(polres, "5", command, **body)).status_code == 200
    cancel = {"action": "cancel", "reason": "pulang", "command_id": "h13-cancel"}
    r = await server.http.post(f"/api/v1/sites/tegal/tickets/{labels[-1]}/actions", json=cancel, headers=sup)
    assert r.status_code == 200, r.text
    csv_text = (await server.http.get("/api/v1/sites/tegal/reports.csv", headers=sup)).text.splitlines()
    csv_rows = {(c[0], c[1]): c for c in (line.split(",") for line in csv_text[1:]) if len(c) > 10}
    async with signed_in(browser, server, "/supervisor/tegal/reports") as page:
        await until(page, "() => document.getElementById('report').getAttribute('aria-busy') === 'false'")
        for table, group in (("by-agency", "agency"), ("by-service", "service"), ("by-counter", "counter"),
                             ("by-operator", "operator")):  # fmt: skip
            heads = await page.evaluate(f"() => [...document.querySelectorAll('#{table} th')].map(e => e.textContent)")
            rows = await page.evaluate(f"() => [...document.querySelectorAll('#{table} tbody tr[data-row]')]"
                                       ".map(r => [r.dataset.row, ...[...r.cells].map(c => c.textContent)])")  # fmt: skip
            assert rows, table
            at = {name: heads.index(name) + 1 for name in ("Tiket", "Dilayani", "Tidak hadir", "Dibatalkan",
                                                           "Dialihkan", "Tidak terlayani (kedaluwarsa)",
                                                           "Belum selesai")}  # fmt: skip
            for row in rows:
                figures = {name: int(row[i]) for name, i in at.items()}
                outcomes = sum(v for k, v in figures.items() if k != "Tiket")
                assert outcomes == figures["Tiket"], (table, row, figures)
                line = csv_rows[(group, row[0])]
                assert [int(x) for x in line[3:10]] == list(figures.values()), (table, row, line)
        waiting = await page.evaluate("() => [...document.querySelectorAll('#by-service tr[data-row=ktp] td')]"
                                      ".map(e => e.textContent)")  # fmt: skip
        assert waiting[1:3] == ["4", "1"] and waiting[7] == "2", waiting  # two KTP citizens still wait
        await page.click("#lang")
        await until(page, "() => document.documentElement.lang === 'en'")
        assert "Still open" in await page.evaluate(text_of("#by-agency thead"))


async def test_the_tables_per_counter_and_per_operator_say_why_they_do_not_add_up_to_the_report_s_tickets(
    browser: Browser, server: Server
) -> None:
    """A day worked out by hand: 15 ticket legs (13 citizens, 2 transfers). Loket 1 serves A-001..A-003, A-004 does
    not come and is put back in the queue (no counter's any more), A-005 is transferred to SKCK from Loket 1;
    A-009 is transferred to SKCK from the queue (never called at Disdukcapil), A-010 is cancelled; Loket 5 serves
    A-005 and A-009 in SKCK, and F-001. Loket 1 has 4 legs, Loket 5 has 3: the 8 others (A-004, A-006..A-008,
    A-009's first leg, A-010, D-001, F-002) are at no counter and under no operator, and A-005 counts at both
    counters, as it counts twice in the tickets."""
    op, polres = await server.login("op-disdukcapil"), await server.login("op-polres")
    sup = await server.login("supervisor")
    await server.issue("kia")
    ktp = [(await server.issue("ktp"))["ticket"]["label"] for _ in range(10)]
    for _ in range(2):
        await server.issue("skck")
    commands = ["open", *["call_next", "finish"] * 3, "call_next", "no_show", "call_next", "transfer"]
    for command in commands:
        body = {"target_service": "skck"} if command == "transfer" else {}
        assert (await server.command(op, "1", command, **body)).status_code == 200, command
    for ticket, action, headers in ((ktp[3], {"action": "requeue"}, op),
                                    (ktp[9], {"action": "cancel", "reason": "salah ambil"}, sup),
                                    (ktp[8], {"action": "transfer", "target_service": "skck"}, sup)):  # fmt: skip
        r = await server.http.post(f"/api/v1/sites/tegal/tickets/{ticket}/actions", json=action, headers=headers)
        assert r.status_code == 200, r.text
    for command in ["open", *["call_next", "finish"] * 3]:
        assert (await server.command(polres, "5", command)).status_code == 200, command
    report = (await server.http.get("/api/v1/sites/tegal/reports", headers=sup)).json()
    assert (report["totals"]["tickets"], report["totals"]["citizens"]) == (15, 13)
    assert [(r["id"], r["tickets"], r["transferred"]) for r in report["by_counter"]] == [("1", 4, 1), ("5", 3, 0)]
    async with signed_in(browser, server, "/supervisor/tegal/reports") as page:
        await until(page, "() => document.getElementById('report').getAttribute('aria-busy') === 'false'")
        assert await page.inner_text("#by-counter-rest") == (
            "Tidak termasuk loket mana pun: 8 dari 15 tiket, yang tidak dipanggil ke loket, atau kembali ke antrean "
            "dan tidak dipanggil lagi. Tiket yang dialihkan dari loket (1) dihitung lagi di loket yang memanggilnya "
            "sesudah itu, seperti pada jumlah tiket."
        )
        assert (await page.inner_text("#by-operator-rest")).startswith(
            "Tidak termasuk petugas mana pun: 8 dari 15 tiket, yang tidak dipanggil ke loket"
        )
        await page.click("#lang")
        await until(page, "() => document.getElementById('by-counter-rest').textContent.startsWith('At no counter')")
        assert await page.inner_text("#by-counter-rest") == (
            "At no counter: 8 of 15 tickets, never called to one, or put back in the queue and not called again. "
            "A ticket transferred from a counter (1 here) counts again at the counter that calls it next, as in the "
            "ticket total."
        )
        assert (await page.inner_text("#by-operator-rest")).startswith("Under no operator: 8 of 15 tickets")
        # Filtered to Polres: its 4 legs are all at Loket 5 but F-002, and nothing was transferred from there.
        await page.select_option("select[name=agency]", "polres")
        await page.click("#filters button[type=submit]")
        await until(
            page, "() => document.getElementById('by-counter-rest').textContent.startsWith('At no counter: 1 of 4')"
        )
        assert await page.inner_text("#by-counter-rest") == (
            "At no counter: 1 of 4 tickets, never called to one, or put back in the queue and not called again."
        )


async def test_a_date_left_empty_or_mistyped_is_said_in_the_page_s_words_on_the_report_and_audit_pages(
    browser: Browser, server: Server
) -> None:
    """An outside review: an emptied "Sampai" on the report page brought the browser's own bubble, in the browser's
    language ("Please fill out this field."), beside the page's last refusal, which stayed and marked "Dari"; a year
    typed short (0202) was "Mulai harus tanggal berformat YYYY-MM-DD"; the audit page marked no field and left the
    refused dates above a log of other days. Now each page says it in its own words, marks the field, and puts the
    fields back to the period still shown, naming it."""
    day = server.ctx.today(server.ctx.sites["tegal"])
    shown = f"{day.isoformat()}"
    for path, still in (("/supervisor/tegal/reports", "Laporan di bawah tetap untuk"),
                        ("/supervisor/tegal/audit", "Log di bawah tetap untuk")):  # fmt: skip
        async with signed_in(browser, server, path) as page:
            await until(page, "() => document.querySelector('#filters input[name=from]').value !== ''")
            for field, label in (("to", "Sampai"), ("from", "Dari")):
                await page.fill(f"#filters input[name={field}]", "")
                await page.click("#filters button[type=submit]")
                error = await until(page, text_of("#filter-error"))
                assert error.startswith(f"Isi tanggal {label} dengan lengkap: hari, bulan dan tahun. {still}"), error
                invalid = "() => [...document.querySelectorAll('#filters [aria-invalid=true]')].map(e => e.name)"
                assert await page.evaluate(invalid) == [field]
                assert await page.input_value(f"#filters input[name={field}]") == shown, "back to the period shown"
            await page.fill("#filters input[name=from]", "0202-12-07")
            await page.click("#filters button[type=submit]")
            await until(page, text_of("#filter-error") + ".includes('di luar tanggal yang dapat dipakai')")
            await page.fill("#filters input[name=to]", "2000-01-01")
            await page.fill("#filters input[name=from]", "2000-01-02")
            await page.click("#filters button[type=submit]")
            await until(page, text_of("#filter-error") + ".startsWith('Rentang tanggal terbalik')")
            assert await page.evaluate(invalid) == ["from", "to"]
            await page.click("#lang")
            await until(page, "() => document.documentElement.lang === 'en'")
            await page.fill("#filters input[name=to]", "")
            await page.click("#filters button[type=submit]")
            await until(page, text_of("#filter-error") + ".startsWith('Fill in the whole To date')")
            await page.click("#filters button[type=submit]")  # the fields say the period shown: it shows again
            await until(page, text_of("#filter-error") + " === ''")
            assert await page.evaluate(invalid) == []


async def test_an_ikm_from_too_few_respondents_is_marked_on_the_report_page(browser: Browser, server: Server) -> None:
    """Two citizens served, one answered: the grade is shown against the two, marked "Sampel belum memadai"."""
    op = await server.login("op-disdukcapil")
    tokens = []
    for _ in range(2):
        tokens.append((await server.issue("ktp"))["ticket"]["token"])
        for command in ("open", "call_next", "finish"):
            await server.command(op, "1", command)
    r = await server.http.post(f"/api/v1/tickets/{tokens[0]}/survey", json={"answers": [4] * 9})
    assert r.status_code == 201, r.text
    async with signed_in(browser, server, "/supervisor/tegal/reports") as page:
        await until(page, "() => document.getElementById('report').getAttribute('aria-busy') === 'false'")
        assert await page.evaluate(text_of("#ikm-sample-small")) == "Sampel belum memadai"
        assert (await page.evaluate(text_of("#ikm-sample"))).startswith("1 dari 2 warga dilayani, minimal 2")
        row = await page.evaluate(text_of("#ikm-table tr[data-row=ktp]"))
        assert "Sampel belum memadai" in row
        await page.click("#lang")
        await until(page, "() => document.documentElement.lang === 'en'")
        assert await page.evaluate(text_of("#ikm-sample-small")) == "Sample too small"


# The bar's links and buttons lower than a fingertip.
SMALL_IN_BAR = """() => [...document.querySelectorAll('.bar a, .bar button')]
  .filter(e => e.offsetParent !== null && e.getBoundingClientRect().height < 44).map(e => e.textContent.trim())"""


@pytest.mark.parametrize("size", [(768, 1024), (412, 915)])
async def test_every_supervisor_page_fits_a_tablet_and_a_phone(
    browser: Browser, server: Server, size: tuple[int, int]
) -> None:
    """A supervisor walking the floor with a tablet or a phone: one column, the page never scrolls sideways (a wide
    table scrolls by itself, in a region the keyboard reaches), the menu and tools wrap in the bar, every alert
    whole. At 412 px the dashboard scrolled 174 px sideways and the reports 394."""
    await busy_hall(server)  # its counters' openings are entries of the audit log
    server.clock.advance(minutes=50)  # KTP past its target: an alert
    async with signed_in(browser, server, "/supervisor/tegal", "admin", size) as page:
        await until(page, "() => document.querySelectorAll('#alerts .alert.wait').length > 0")
        for path in ("/supervisor/tegal", "/supervisor/tegal/reports", "/supervisor/tegal/audit",
                     "/supervisor/tegal/deliveries", "/supervisor/tegal/admin", "/national", "/national/ikm"):  # fmt: skip
            await page.goto(server.url + path)
            await until(page, "() => document.getElementById('who')?.textContent.includes('admin')")
            if path.endswith("/reports") or path.endswith("/ikm"):
                await until(page, "() => document.getElementById('report').getAttribute('aria-busy') === 'false'")
            if path.endswith("/audit"):
                await until(page, "() => document.querySelectorAll('#entries tr').length > 0")
            if path == "/supervisor/tegal":
                await until(page, "() => document.querySelectorAll('#alerts .alert.wait').length > 0")
                assert await page.evaluate(CUT_ALERTS) == []
            await asyncio.sleep(0.2)
            sideways = await page.evaluate("() => document.documentElement.scrollWidth - innerWidth")
            assert sideways <= 0, (path, sideways)
            if size[0] <= 600:  # a phone: the menu and the bar's buttons are pressed with a finger
                small = await page.evaluate(SMALL_IN_BAR)
                assert small == [], (path, small)


async def test_date_pickers_say_the_date_in_words_and_the_survey_tablet_speaks_to_counter_staff(
    browser: Browser, server: Server
) -> None:
    """Issue 17: a date picker's format is the browser's (mm/dd/yyyy in an English one): the date is also written
    out in the page's language beside it."""
    async with signed_in(browser, server, "/supervisor/tegal/reports") as page:
        await until(page, "() => (document.querySelector('.date-words')?.textContent || '').includes('2026')")
        words = await page.evaluate("() => [...document.querySelectorAll('.date-words')].map(e => e.textContent)")
        assert words == ["Senin, 23 November 2026", "Senin, 23 November 2026"], words
        await page.click("#lang")
        await until(page, "() => document.querySelector('.date-words').textContent === 'Monday, 23 November 2026'")
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    await page.goto(f"{server.url}/survey/tegal/1")
    hint = await until(page, "() => document.querySelector('#login .hint')?.textContent")
    assert "Petugas loket" in hint and "supervisor" not in hint
    await context.close()


async def test_closing_a_counter_that_is_calling_asks_first_and_one_serving_is_not_offered(
    browser: Browser, server: Server
) -> None:
    """An outside review: "Tutup" closed a calling counter at once, sending its citizen back to the queue without a
    word, and was offered on a serving counter only to be refused."""
    op = await server.login("op-disdukcapil")
    for _ in range(2):
        await server.issue("ktp")
    for counter in ("1", "2"):
        assert (await server.command(op, counter, "open")).status_code == 200
        assert (await server.command(op, counter, "call_next")).status_code == 200
    assert (await server.command(op, "2", "start")).status_code == 200
    async with signed_in(browser, server, "/supervisor/tegal") as page:
        await until(
            page, "() => document.querySelector('.counter[data-counter=\"1\"] .label')?.textContent === 'A-001'"
        )
        assert await page.locator(".counter[data-counter='2'] button[data-command=close]").count() == 0
        close = ".counter[data-counter='1'] button[data-command=close]"
        await page.click(close)
        words = await answer(page, yes=False)
        assert words == (
            "Loket 1 sedang memanggil A-001. Jika ditutup, A-001 kembali ke antrean di tempatnya semula. Tutup Loket 1?"
        )
        assert server.ctx.state("tegal").counters["1"].state.value == "open", "said no: nothing happened"
        await page.click(close)
        await answer(page)
        await until(page, "() => document.querySelector('.counter[data-counter=\"1\"]').classList.contains('closed')")


async def test_a_counter_card_says_who_paused_or_closed_it_and_since_when(browser: Browser, server: Server) -> None:
    """Left from the last session: the counter's state keeps who paused or closed it and when; the dashboard's card
    says so ("Dijeda oleh sari sejak 10.02"), in English too, and nothing once the counter is open again. A later
    review: it named the account where every counter page and the server's sentences name the person; now the person
    (the account only for one without a name), the card's operator too."""
    op = await server.login("op-disdukcapil")
    assert (await server.command(op, "2", "open")).status_code == 200
    server.clock.advance(minutes=2)
    assert (await server.command(op, "2", "pause")).status_code == 200
    left = "() => document.querySelector('.counter[data-counter=\"2\"] .note.left')?.textContent ?? null"
    async with signed_in(browser, server, "/supervisor/tegal") as page:
        assert await until(page, f"() => ({left})() === 'Dijeda oleh Operator Disdukcapil sejak 09.02'")
        who = "() => document.querySelector('.counter[data-counter=\"2\"] .who').textContent"
        assert await page.evaluate(who) == "Disdukcapil · Operator Disdukcapil"
        await page.click(".counter[data-counter='2'] button[data-command=resume]")
        await until(page, f"() => ({left})() === null")
        server.clock.advance(minutes=3)
        await page.click(".counter[data-counter='2'] button[data-command=close]")
        assert await until(page, f"() => ({left})() === 'Ditutup oleh Supervisor MPP Kabupaten Tegal sejak 09.05'")
        await page.click("#lang")
        assert await until(page, f"() => ({left})() === 'Closed by Supervisor MPP Kabupaten Tegal since 09:05'")
        # a counter nobody paused or closed today (closed since the start, or by the server) says nothing of whom
        assert await page.locator(".counter[data-counter='1'] .note.left").count() == 0


async def test_a_language_chosen_in_the_address_is_kept_and_the_title_follows(browser: Browser, server: Server) -> None:
    """An outside review: ?lang=en was dropped from the address and a reload came back in Indonesian; switching back
    on such an address and reloading brought English back; the window's title kept the first load's language."""
    async with signed_in(browser, server, "/supervisor/tegal/reports?lang=en") as page:
        await until(
            page, "() => document.getElementById('page-title').textContent === 'Reports and satisfaction index'"
        )
        await page.reload()
        await until(page, "() => document.documentElement.lang === 'en'")
        assert await page.title() == "Reports and satisfaction index · MPP Kabupaten Tegal"
        await page.click("#lang")
        await until(page, "() => document.title.startsWith('Laporan dan Indeks Kepuasan')")
        await page.reload()
        await until(page, "() => document.documentElement.lang === 'id'")
        assert (await page.text_content("#page-title")) == "Laporan dan Indeks Kepuasan"


async def test_the_dashboard_follows_a_new_agency_without_a_reload(browser: Browser, server: Server) -> None:
    """An outside review: an agency, service and counter added on the Settings page showed on an open dashboard
    without a colour or a name, and the new service was missing from "Pindahkan ke layanan lain" until a reload."""
    from .test_configuration import URL, read

    admin = await server.login("admin")
    async with signed_in(browser, server, "/supervisor/tegal") as page:
        await until(page, "() => !!document.querySelector('.counter[data-counter=\"1\"]')")
        current = await read(server, admin)
        document = json.loads(json.dumps(current["document"]))
        document["agencies"].append({
            "id": "kua", "name": "Kantor Urusan Agama", "short_name": "KUA", "colour": "#00695c",
            "services": [{"id": "rujuk", "name": "Pencatatan Rujuk", "prefix": "RJ", "service_minutes": 15}],
            "counters": [{"id": "29", "name": "Loket 29", "services": ["rujuk"]}],
        })  # fmt: skip
        r = await server.http.put(URL, json={"version": current["version"], "document": document}, headers=admin)
        assert r.status_code == 200, r.text
        card = ".counter[data-counter='29']"
        await until(page, f"() => document.querySelector(\"{card} .who\")?.textContent === 'KUA'")
        assert (
            await page.evaluate(
                f"() => getComputedStyle(document.querySelector(\"{card}\")).getPropertyValue('--agency')"
            )
            == "#00695c"
        )
        options = await page.eval_on_selector_all("select[name=target_service] option", "os => os.map(o => o.value)")
        assert "rujuk" in options


async def a_busy_month_in_the_tables(server: Server) -> None:
    """1,234 citizens served for KTP on 2 November 2026 and two for SKCK on the 3rd, written straight into the
    tables a report reads (playing them through the counters would take minutes); 1,100 KTP answers all 4, the two
    SKCK ones all 3."""
    tickets, answers = [], []
    for n in range(1236):
        ktp = n < 1234
        service, agency, day = ("ktp", "disdukcapil", "02") if ktp else ("skck", "polres", "03")
        ticket = f"busy-{n}"
        at = f"2026-11-{day}T02:{n % 60:02d}:00+00:00"  # 09.xx WIB
        tickets.append((ticket, "tegal", service, agency, service, f"2026-11-{day}", n + 1, f"X-{n + 1:04d}", "done",
                        "kiosk", ticket, at, at, at, at, "1" if ktp else "5", 0, "{}"))  # fmt: skip
        if n < 1100 or not ktp:
            value = 4 if ktp else 3
            answers.append((ticket, "tegal", f"2026-11-{day}", service, agency, "tablet", at, json.dumps([value] * 9),
                            *[value] * 9))  # fmt: skip
    await server.ctx.storage.run([
        ("INSERT INTO tickets (id, site, service, agency, series, day, number, label, state, channel, token, issued_at, "
         "called_at, started_at, finished_at, counter, seq, doc) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", tickets),
        ("INSERT INTO survey_responses (ticket, site, day, service, agency, channel, answered_at, answers, a1, a2, a3, "
         "a4, a5, a6, a7, a8, a9) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", answers),
    ])  # fmt: skip


async def test_a_month_s_report_writes_its_counts_the_indonesian_way_and_the_ikm_per_agency(
    browser: Browser, server: Server
) -> None:
    """An outside review: a month's figures read "13524" (Indonesian writes 13.524, in the tables, the summary, the
    sample and the charts); the arrivals per hour over many days were titled as if of one day; a month's day bars
    ran their figures together ("520520520"); the IKM of each agency, what the head of the mall reports for each,
    was only in the CSV; a table with no rows ended at its headings."""
    await a_busy_month_in_the_tables(server)
    async with signed_in(browser, server, "/supervisor/tegal/reports?from=2026-11-02&to=2026-11-03") as page:
        await until(page, "() => document.querySelector('#chart-arrivals.drawn svg') !== null")
        figure = "(key) => document.querySelector(`#summary [data-figure=${key}] strong`).textContent"
        assert await page.evaluate(figure, "tickets") == "1.236"
        ktp = await page.evaluate("() => [...document.querySelectorAll('#by-service tr[data-row=ktp] td')]"
                                  ".map(e => e.textContent)")  # fmt: skip
        assert ktp[1:3] == ["1.234", "1.234"], ktp
        assert (await page.evaluate(text_of("#ikm-sample"))).startswith("1.102 dari 1.236 warga dilayani")
        agencies = await page.evaluate("() => [...document.querySelectorAll('#ikm-agency-table tbody tr')]"
                                       ".map(r => [...r.cells].map(c => c.textContent))")  # fmt: skip
        assert [(r[0], r[1], r[11], r[12], r[13]) for r in agencies] == [
            ("Disdukcapil", "1.100", "100,00", "A Sangat Baik", "1.234"),
            ("Polres", "2", "75,00", "C Kurang Baik", "2"),
        ], agencies
        arrivals = await page.evaluate(text_of("#chart-arrivals svg"))
        assert "Kedatangan per jam, jumlah 2 hari" in arrivals and "1.236" in arrivals and "2.000" in arrivals
        head = await page.evaluate("() => document.querySelector('#data-arrivals thead').textContent")
        assert "Tiket, jumlah 2 hari" in head
        await page.click("#lang")
        await until(page, "() => document.documentElement.lang === 'en'")
        await until(
            page, "() => document.querySelector('#summary [data-figure=tickets] strong').textContent === '1,236'"
        )
        await until(page, "() => (document.querySelector('#chart-arrivals svg')?.textContent || '').includes('1,236')")
        await page.goto(server.url + "/supervisor/tegal/reports?from=2026-11-04&lang=id")
        await until(page, "() => document.getElementById('report').getAttribute('aria-busy') === 'false'")
        assert await page.evaluate(text_of("#by-service tbody")) == "Tidak ada tiket pada periode ini."


async def test_an_agency_s_report_counts_the_citizens_transferred_in_and_says_so(
    browser: Browser, server: Server
) -> None:
    """An outside review: Polres served a citizen sent over from Disdukcapil and its report said 0 "Warga datang".
    With Polres chosen, the figure counts them, split into direct and transferred in; the report of the whole mall
    counts the citizen once, and its table per agency shows each agency's citizens with those transferred in."""
    op, polres = await server.login("op-disdukcapil"), await server.login("op-polres")
    await server.issue("ktp")
    for command, body in (("open", {}), ("call_next", {}), ("transfer", {"target_service": "skck"})):
        assert (await server.command(op, "1", command, **body)).status_code == 200
    for command in ("open", "call_next", "finish"):
        assert (await server.command(polres, "5", command)).status_code == 200
    async with signed_in(browser, server, "/supervisor/tegal/reports?agency=polres") as page:
        await until(page, "() => document.getElementById('report').getAttribute('aria-busy') === 'false'")
        assert await page.evaluate(text_of("[data-figure=citizens] strong")) == "1"
        assert (
            await page.evaluate(text_of("[data-figure=citizens] .split"))
            == "0 langsung · 1 pindahan dari instansi lain"
        )
        assert await page.evaluate(text_of("[data-figure=served] strong")) == "1"
        await page.select_option("select[name=agency]", "")
        await page.click("#filters button[type=submit]")
        await until(page, "() => !document.querySelector('[data-figure=citizens] .split')")
        assert await page.evaluate(text_of("[data-figure=citizens] strong")) == "1", "one citizen came to the mall"
        row = "() => [...document.querySelectorAll('#by-agency tr[data-row=polres] td')].map(e => e.textContent)"
        assert (await page.evaluate(row))[:2] == ["Polres", "1 (1 pindahan)"]
        await page.click("#lang")
        await until(page, "() => document.documentElement.lang === 'en'")
        assert (await page.evaluate(row))[:2] == ["Polres", "1 (1 transferred in)"]
        assert "direct citizens of all agencies add up" in await page.evaluate(text_of("#arrivals-basis"))


async def test_the_excel_csv_names_its_columns_in_the_page_s_language(browser: Browser, server: Server) -> None:
    """An outside review: the CSV "untuk Excel" had the script's English column names (no_show, wait_mean_min) and
    hours "08:00" for an Indonesian office. Downloaded from the page, in Indonesian, then in English."""
    await server.issue("ktp")
    async with signed_in(browser, server, "/supervisor/tegal/reports") as page:
        await until(page, "() => document.getElementById('report').getAttribute('aria-busy') === 'false'")
        await page.check("#excel")
        for lang, heads in (
            ("id", ["Kelompok", "Kode", "Nama", "Tiket"]),
            ("en", ["Group", "Code", "Name", "Tickets"]),
        ):
            if lang == "en":
                await page.click("#lang")
                await until(page, "() => document.documentElement.lang === 'en'")
            async with page.expect_download() as info:
                await page.click("#csv")
            saved = Path(await (await info.value).path())
            text = await asyncio.to_thread(saved.read_text, encoding="utf-8-sig")
            lines = text.splitlines()
            assert lines[0].split(";")[:4] == heads, lines[0]
            hour = int(server.clock.now.astimezone(server.ctx.sites["tegal"].tz).hour)
            assert any(line.split(";")[1:] == [f"{hour:02d}.00", "1"] for line in lines), lines[-3:]


ONE_LINE = """(selector) => [...document.querySelectorAll(selector)].map((cell) => {
  const range = document.createRange();
  range.selectNodeContents(cell);
  return [cell.textContent, new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size];
})"""


async def test_the_waits_chart_says_nobody_was_called_and_a_counter_s_name_keeps_to_one_line(
    browser: Browser, server: Server
) -> None:
    """An outside review: with nobody called the waits chart drew an empty axis, and "Loket 1" broke over two lines
    in the table per counter at 1366 px."""
    for _ in range(3):
        await server.issue("ktp")
    async with signed_in(browser, server, "/supervisor/tegal/reports") as page:
        await until(page, "() => document.querySelector('#chart-waits.drawn svg') !== null")
        assert "Belum ada yang dipanggil pada periode ini" in await page.evaluate(text_of("#chart-waits svg"))
        assert await page.evaluate("() => document.querySelectorAll('#chart-waits svg rect').length") == 0
        assert await page.evaluate(text_of("#data-waits tbody")) == "Belum ada yang dipanggil pada periode ini."
        await page.click("#lang")
        await until(page, "() => (document.querySelector('#chart-waits svg')?.textContent || '').includes('No one')")
        op, polres = await server.login("op-disdukcapil"), await server.login("op-polres")
        for counter, staff in (("1", op), ("2", op)):
            for command in ("open", "call_next", "finish"):
                assert (await server.command(staff, counter, command)).status_code == 200
        await server.issue("skck")
        for command in ("open", "call_next", "finish"):
            assert (await server.command(polres, "5", command)).status_code == 200
        await page.goto(server.url + "/supervisor/tegal/reports?lang=id")
        await until(page, "() => document.querySelectorAll('#by-counter tbody tr[data-row]').length === 3")
        await until(page, "() => document.querySelector('#chart-waits.drawn svg rect') !== null")
        lines = await page.evaluate(ONE_LINE, "#by-counter td:first-child, #by-operator td:first-child")
        assert lines and all(count == 1 for _, count in lines), lines
