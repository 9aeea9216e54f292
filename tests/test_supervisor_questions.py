"""The dashboard's questions (closing a counter that is calling, reopening the day), asked in the page's own dialog
(queue_server/web/static/question.js, as the counter page's) in Debian's Chromium against a real server: asked with
their words and a safe focus, answered by mouse and by keyboard alone, cancel sending nothing and yes acting; the live
figures drawn behind an open question; the question withdrawn, nothing sent and a toast saying why, when the operator
finishes the ticket meanwhile, when another supervisor reopens the day, or when the link drops; axe with a question
open. Any browser dialog (window.confirm, alert, prompt) fails the test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page

from .display_support import read_out, until
from .helpers import Server, running_server
from .test_accessibility import need_axe, violations
from .test_counter_client import CuttableProxy
from .test_supervisor_a11y import CONNECTED, opened
from .test_supervisor_pages import QUESTION_OPEN, answer, question

CLOSE_1 = ".counter[data-counter='1'] button[data-command=close]"
CARD_1 = "document.querySelector('.counter[data-counter=\"1\"]')"
TOASTS = "() => document.getElementById('toasts').textContent"
WITHDRAWN_A001 = (
    "Pertanyaan tadi dibatalkan: keadaan Loket 1 sudah berubah (A-001 tidak lagi dipanggil di sana). "
    "Tidak ada yang dikirim."
)
FOCUSED = "() => document.activeElement.id || document.activeElement.getAttribute('aria-label')"


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Server]:
    async with running_server(tmp_path / "queue.sqlite3", ignore_hours=True, dashboard_seconds=0.5) as s:
        yield s


def dashboard(
    browser: Browser, server: Server, user: str = "supervisor", address: str | None = None
) -> AbstractAsyncContextManager[Page]:
    """The dashboard signed in and connected, in a context where axe may be injected; no script error, no browser
    dialog."""
    return opened(browser, server, "/supervisor/tegal", user, ready=CONNECTED, address=address, bypass_csp=True)


def state_of(server: Server, label: str) -> str:
    state = server.ctx.state("tegal")
    ticket = state.tickets[state.by_label[(state.site.service_day(server.clock()), label)]]
    return str(ticket.state.value)


def day_closed(server: Server) -> bool:
    state = server.ctx.state("tegal")
    return state.site.service_day(server.clock()) in state.closed_days


def counter_state(server: Server, counter: str = "1") -> str:
    return str(server.ctx.state("tegal").counters[counter].state.value)


async def events_of(server: Server, event_type: str) -> int:
    return sum(1 for e in await server.ctx.storage.events_after("tegal", 0, 100_000) if e.type == event_type)


async def calling(server: Server, label: str) -> dict[str, str]:
    """Counter 1 open and calling the next citizen, `label`; the operator's headers."""
    op = await server.login("op-disdukcapil")
    if counter_state(server) == "closed":
        assert (await server.command(op, "1", "open")).status_code == 200
    r = await server.command(op, "1", "call_next")
    assert r.status_code == 200, r.text
    assert r.json()["ticket"]["label"] == label
    return op


async def test_closing_a_calling_counter_is_asked_in_the_page_and_withdrawn_when_the_operator_finishes(
    browser: Browser, server: Server
) -> None:
    need_axe()
    for _ in range(3):
        await server.issue("ktp")
    op = await calling(server, "A-001")
    async with dashboard(browser, server) as page:
        await until(page, f"() => {CARD_1}?.querySelector('.label')?.textContent === 'A-001'")
        # asked in the page: named by its title, its words whole, the focus on the safe choice, "yes" in red
        await page.click(CLOSE_1)
        asked = await question(page)
        assert asked == {
            "title": "Tutup loket",
            "text": "Loket 1 sedang memanggil A-001. Jika ditutup, A-001 kembali ke antrean di tempatnya semula. "
            "Tutup Loket 1?",
            "yes": "Ya, tutup Loket 1",
            "no": "Batal",
        }
        assert await page.get_by_role("dialog", name="Tutup loket").count() == 1
        assert await page.evaluate(FOCUSED) == "question-no"
        assert await page.evaluate("() => document.getElementById('question-dialog').classList.contains('danger')")
        assert await violations(page) == [], "axe with the question open"
        # cancelled: nothing sent
        await answer(page, yes=False)
        assert counter_state(server) == "open" and state_of(server, "A-001") == "called"
        assert await page.evaluate(FOCUSED) == "Tutup Loket 1", "back on the button that asked"

        # asked again; the figures behind it go on: a citizen taking a ticket is counted while it is open
        await page.click(CLOSE_1)
        await until(page, QUESTION_OPEN)
        assert await page.text_content("#kpi-waiting") == "2"
        await server.issue("ktp")
        await until(page, "() => document.getElementById('kpi-waiting').textContent === '3'")
        assert await page.evaluate(QUESTION_OPEN), "still asked: the counter still calls A-001"
        # the operator finishes A-001 meanwhile: the question is withdrawn, nothing is sent, and the page says why
        assert (await server.command(op, "1", "finish")).status_code == 200
        await until(page, "() => !document.getElementById('question-dialog').open")
        said = await until(page, TOASTS)
        assert WITHDRAWN_A001 in said, said
        assert counter_state(server) == "open" and state_of(server, "A-001") == "done"
        assert await events_of(server, "counter.closed") == 0
        assert await page.evaluate("() => document.activeElement !== document.body"), "the keyboard keeps a place"

        # asked once more of A-002, answered yes: closed, A-002 back in the queue
        await calling(server, "A-002")
        await until(page, f"() => {CARD_1}.querySelector('.label')?.textContent === 'A-002'")
        await page.click(CLOSE_1)
        await answer(page)
        await until(page, f"() => {CARD_1}.classList.contains('closed')")
        assert counter_state(server) == "closed" and state_of(server, "A-002") == "waiting"


async def test_the_close_question_answered_from_the_keyboard_alone_in_english(browser: Browser, server: Server) -> None:
    await server.issue("ktp")
    await calling(server, "A-001")
    async with dashboard(browser, server) as page:
        await page.click("#lang")
        await until(page, "() => document.documentElement.lang === 'en'")
        await until(page, f"() => !!document.querySelector({CLOSE_1!r})")
        await page.focus(CLOSE_1)
        # Enter asks; Enter again presses "Cancel", where the focus starts: nothing
        await page.keyboard.press("Enter")
        asked = await question(page)
        assert (asked["title"], asked["yes"], asked["no"]) == ("Close counter", "Yes, close Loket 1", "Cancel")
        assert asked["text"].startswith("Loket 1 is calling A-001. Closed now, A-001 goes back to the queue")
        await page.keyboard.press("Enter")
        await until(page, "() => !document.getElementById('question-dialog').open")
        assert await page.evaluate(FOCUSED) == "Close Loket 1"
        # Esc cancels
        await page.keyboard.press("Enter")
        await until(page, QUESTION_OPEN)
        await page.keyboard.press("Escape")
        await until(page, "() => !document.getElementById('question-dialog').open")
        assert counter_state(server) == "open" and state_of(server, "A-001") == "called"
        # Tab to "yes", Enter: closed
        await page.keyboard.press("Enter")
        await until(page, QUESTION_OPEN)
        await page.keyboard.press("Tab")
        assert await page.evaluate(FOCUSED) == "question-yes"
        await page.keyboard.press("Enter")
        await until(page, f"() => {CARD_1}.classList.contains('closed')")
        assert counter_state(server) == "closed" and state_of(server, "A-001") == "waiting"


async def test_reopening_the_day_is_asked_and_withdrawn_when_another_supervisor_reopens_it(
    browser: Browser, server: Server
) -> None:
    supervisor = await server.login("supervisor")

    async def close_day() -> None:
        r = await server.http.post("/api/v1/sites/tegal/close-day", json={}, headers=supervisor)
        assert r.status_code == 200, r.text

    await close_day()
    async with dashboard(browser, server) as page:
        await until(page, "() => !document.getElementById('reopen-day').hidden")
        await page.click("#reopen-day")
        asked = await question(page)
        assert (asked["title"], asked["yes"], asked["no"]) == ("Buka kembali hari ini", "Ya, buka kembali", "Batal")
        assert asked["text"].startswith("Buka kembali hari ini? Tiket yang kedaluwarsa saat penutupan kembali")
        await answer(page, yes=False)
        assert day_closed(server), "said no: still closed"
        # asked again; another supervisor reopens the day meanwhile: withdrawn, said, nothing sent
        await page.click("#reopen-day")
        await until(page, QUESTION_OPEN)
        admin = await server.login("admin")
        assert (await server.http.post("/api/v1/sites/tegal/reopen-day", json={}, headers=admin)).status_code == 200
        await until(page, "() => !document.getElementById('question-dialog').open")
        said = await until(page, TOASTS)
        assert "Pertanyaan tadi dibatalkan: hari ini sudah dibuka kembali. Tidak ada yang dikirim." in said
        assert await events_of(server, "day.reopened") == 1
        # closed again, and reopened from here: yes acts
        await close_day()
        await until(page, "() => !document.getElementById('reopen-day').hidden")
        await page.click("#reopen-day")
        await answer(page)
        await until(page, "() => document.getElementById('reopen-day').hidden")
        assert not day_closed(server)
        assert await events_of(server, "day.reopened") == 2


async def test_a_dropped_link_withdraws_the_close_question(browser: Browser, server: Server) -> None:
    """Once the link drops, the figures the question was asked of can no longer be seen: withdrawn, nothing sent."""
    await server.issue("ktp")
    await calling(server, "A-001")
    port = int(server.url.rsplit(":", 1)[1])
    async with CuttableProxy(port) as proxy, dashboard(browser, server, address=proxy.url) as page:
        await until(page, f"() => !!document.querySelector({CLOSE_1!r})")
        await page.click(CLOSE_1)
        await until(page, QUESTION_OPEN)
        proxy.refuse = True
        await proxy.cut()
        await until(page, "() => !document.getElementById('question-dialog').open")
        said = await until(page, TOASTS)
        assert "Pertanyaan tadi dibatalkan: sambungan ke server terputus. Tidak ada yang dikirim." in said
        assert counter_state(server) == "open" and state_of(server, "A-001") == "called"


TOASTS_IN = "() => document.getElementById('toasts').parentElement.id || document.getElementById('toasts').parentElement.tagName"
ON_TOP = """() => { const t = document.querySelector('#toasts .toast:last-child'); const r = t.getBoundingClientRect();
  return t.contains(document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2)); }"""


async def test_what_happens_behind_an_open_question_is_shown_and_read_out_above_it(
    browser: Browser, server: Server
) -> None:
    """The review: a modal dialog makes the page behind it inert, so a toast shown while a question was open (a new
    alert, a question withdrawn) sat under the backdrop, left out of the accessibility tree: never read out. The
    toasts' area now goes into the open question (above the backdrop, read out) and back to the page after it. The
    language button behind stays out of reach meanwhile, on purpose: a question only opens on the person's own
    press, in the language they chose, and "Batal" loses nothing."""
    await server.issue("ktp")
    op = await calling(server, "A-001")
    await server.issue("ktp")  # A-002 waits: past KTP's 45 minutes, an alert
    async with dashboard(browser, server) as page:
        await until(page, f"() => {CARD_1}?.querySelector('.label')?.textContent === 'A-001'")
        await page.click(CLOSE_1)
        await until(page, QUESTION_OPEN)
        behind = await read_out(page)
        assert ("dialog", "Tutup loket") in behind and ("button", "Batal") in behind
        assert ("button", "English") not in behind, "the page behind is inert"
        server.clock.advance(minutes=46)  # A-002's wait, and Loket 1's call of A-001, are long: two new alerts
        await until(page, "() => document.querySelectorAll('#toasts .toast.danger').length === 2")
        shown = await page.eval_on_selector_all("#toasts .toast", "(ts) => ts.map((t) => t.textContent)")
        assert any(t.startswith("Peringatan baru: KTP Elektronik: A-002 menunggu 46 menit") for t in shown), shown
        assert await page.evaluate(QUESTION_OPEN), "still asked: Loket 1 still calls A-001"
        assert await page.evaluate(TOASTS_IN) == "question-dialog"
        assert await page.evaluate(ON_TOP), "shown above the backdrop"
        assert await page.eval_on_selector_all("#toasts .toast", "(ts) => ts.map((t) => t.role)") == ["alert"] * 2
        tree = await read_out(page)
        assert all(("StaticText", t) in tree for t in shown), "in the tree, in a live region: read out"
        assert ("button", "English") not in tree

        # the operator finishes A-001: the question goes, and the toast saying why is in the page, read out
        assert (await server.command(op, "1", "finish")).status_code == 200
        await until(page, "() => !document.getElementById('question-dialog').open")
        await until(page, f"() => document.getElementById('toasts').textContent.includes({WITHDRAWN_A001!r})")
        assert await page.evaluate(TOASTS_IN) == "BODY"
        tree = await read_out(page)
        assert ("StaticText", WITHDRAWN_A001) in tree and ("button", "English") in tree
        await page.click("#lang")
        await until(page, "() => document.documentElement.lang === 'en'")
        assert counter_state(server) == "open" and await events_of(server, "counter.closed") == 0
