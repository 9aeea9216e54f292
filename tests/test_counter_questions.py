"""The counter page's questions (no-show, closing the counter, signing out), asked in the page's own dialog
(queue_server/web/static/question.js, shared with the supervisor pages), in Debian's Chromium against a real server: asked and answered with the mouse and
with the keyboard alone, live events drawn behind the open question, and the question withdrawn, with nothing sent,
when a colleague at the same counter (a second page) changes what it asks about or when the link drops; the transfer
and park dialogs closed the same way once their ticket leaves the counter; and axe with a question open."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from .display_support import CHROMIUM, chromium, read_out
from .helpers import Server
from .test_accessibility import need_axe, violations
from .test_counter_client import CuttableProxy
from .test_counter_web import TWO_WAY_GUARD_MS, answer, connected, open_and_call_first, operator_page, sign_in

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")

WITHDRAWN = "Pertanyaan tadi dibatalkan: keadaan loket sudah berubah. Tidak ada yang dikirim."


def state_of(server: Server, label: str) -> str:
    state = server.ctx.state("tegal")
    ticket = state.tickets[state.by_label[(state.site.service_day(server.clock()), label)]]
    return str(ticket.state.value)


async def sent_by(server: Server, event_type: str, account: str) -> int:
    """How many events of `event_type` the server recorded as made by `account`."""
    events = await server.ctx.storage.events_after("tegal", 0, 100_000)
    return sum(1 for e in events if e.type == event_type and (e.data.get("ticket") or {}).get("by") == account)


async def focused(page: Page) -> str:
    return str(await page.evaluate("() => document.activeElement.id"))


async def with_sari(server: Server) -> None:
    await server.ctx.accounts.create_user(
        "sari", "kopi-hujan-sepeda-7", "operator", site="tegal", agency="disdukcapil", display_name="Sari Dewi"
    )


async def test_a_question_is_asked_in_the_page_answered_by_mouse_or_keyboard_and_sends_only_on_yes(
    server: Server,
) -> None:
    for _ in range(3):
        await server.issue("ktp")
    async with chromium() as browser, operator_page(browser, f"{server.url}/counter/tegal/1") as page:
        message = page.locator("#message")
        box = page.get_by_role("dialog", name="Tidak hadir")  # named by its title for a screen reader
        await open_and_call_first(page)
        await page.click("#btn-no-show")
        await expect(box).to_be_visible()
        await expect(box).to_contain_text("Tetap tandai A-001 tidak hadir?")  # no TV with sound: said so
        assert await focused(page) == "question-no", "the focus starts on the safe choice"
        # the page goes on behind it: a citizen who takes a ticket now is counted at once
        await server.issue("ktp")
        await expect(page.locator("#waiting li[data-service=ktp] strong")).to_have_text("3")
        await expect(box).to_be_visible()
        await page.click("#question-no")
        await expect(box).to_be_hidden()

        # the keyboard alone: Enter presses Batal (an Enter by habit does nothing), Esc cancels, Tab then Enter is yes
        await page.keyboard.press("-")
        await expect(box).to_be_visible()
        await page.keyboard.press("Enter")
        await expect(box).to_be_hidden()
        await page.keyboard.press("-")
        await expect(box).to_be_visible()
        await page.keyboard.press("Escape")
        await expect(box).to_be_hidden()
        assert state_of(server, "A-001") == "called", "nothing sent by Batal, Enter on it, or Esc"
        await expect(message).to_have_text("Memanggil A-001.")
        await page.keyboard.press("-")
        await expect(box).to_be_visible()
        await page.keyboard.press("Tab")
        assert await focused(page) == "question-yes"
        await page.keyboard.press("Enter")
        await expect(message).to_have_text("A-001 ditandai tidak hadir.")
        await expect(box).to_be_hidden()
        assert state_of(server, "A-001") == "no_show"

        # a keypad alone (no Tab, no Esc): the key that asked, pressed again, is yes; held down, it is not
        await page.keyboard.press("Enter")
        await expect(message).to_have_text("Memanggil A-002.")
        await page.keyboard.down("-")
        await expect(box).to_be_visible()
        await page.wait_for_timeout(TWO_WAY_GUARD_MS)  # sooner, a second press is taken for a double press
        await page.keyboard.down("-")  # the same key still held: a repeat
        await page.keyboard.up("-")
        await expect(box).to_be_visible()
        await page.keyboard.press("-")
        await expect(message).to_have_text("A-002 ditandai tidak hadir.")

        # English with the page's language; F8 again closes
        await page.click("button[data-lang=en]")
        await page.keyboard.press("F8")
        english = page.get_by_role("dialog", name="Close counter")
        await expect(english).to_contain_text("Close the counter? 2 citizens are still waiting (KTP Elektronik 2)")
        await expect(page.locator("#question-no")).to_have_text("Cancel")
        await page.wait_for_timeout(TWO_WAY_GUARD_MS)
        await page.keyboard.press("F8")
        await expect(message).to_have_text("Counter closed.")
        assert server.ctx.state("tegal").counters["1"].state.value == "closed"


async def sari_page(browser: Browser, server: Server) -> Page:
    context = await browser.new_context(viewport={"width": 1366, "height": 768})
    page = await context.new_page()
    await page.goto(f"{server.url}/counter/tegal/1")
    await sign_in(page, "sari", "kopi-hujan-sepeda-7")
    await connected(page)
    return page


async def test_a_colleague_s_change_withdraws_the_open_question_says_why_and_nothing_is_sent(server: Server) -> None:
    """Two operators at counter 1, each on a page of their own. A question whose situation a colleague changes is
    withdrawn, the line says what she did and that nothing was sent; one her change leaves true stays open."""
    await with_sari(server)
    for _ in range(4):
        await server.issue("ktp")
    async with chromium() as browser, operator_page(browser, f"{server.url}/counter/tegal/1") as page:
        sari = await sari_page(browser, server)
        message = page.locator("#message")
        question = page.locator("#question-dialog")
        await open_and_call_first(page)
        await expect(sari.locator("#current-label")).to_have_text("A-001")

        # a no-show asked; her recall leaves A-001 called: the question stays, her change drawn behind it
        await page.keyboard.press("-")
        await expect(question).to_be_visible()
        await sari.click("#btn-recall")
        await expect(message).to_have_text("A-001 dipanggil ulang oleh Sari Dewi.")
        await expect(question).to_be_visible()
        # her no-show of A-001: withdrawn
        await sari.click("#btn-no-show")
        await answer(sari)
        await expect(question).to_be_hidden()
        await expect(message).to_have_text(f"A-001 ditandai tidak hadir oleh Sari Dewi. {WITHDRAWN}")
        await page.wait_for_timeout(TWO_WAY_GUARD_MS)  # sooner, "*" is taken for a double press of the opening
        await page.keyboard.press("*")  # a break: answered after anything the withdrawn question could have sent
        await expect(message).to_have_text("Loket istirahat.")
        assert await sent_by(server, "ticket.no_show", "op-disdukcapil") == 0
        assert await sent_by(server, "ticket.no_show", "sari") == 1

        # closing asked with A-002 called; her start of A-002 makes "goes back to the queue" untrue: withdrawn
        await page.wait_for_timeout(TWO_WAY_GUARD_MS)
        await page.keyboard.press("*")
        await expect(message).to_have_text("Loket dilanjutkan.")
        await page.keyboard.press("Enter")
        await expect(message).to_have_text("Memanggil A-002.")
        await page.keyboard.press("F8")
        await expect(question).to_contain_text("Tutup loket? A-002 yang sedang dipanggil kembali ke antrean")
        await expect(sari.locator("#current-label")).to_have_text("A-002")
        await sari.click("#btn-start-finish")
        await expect(question).to_be_hidden()
        await expect(message).to_have_text(f"A-002 mulai dilayani oleh Sari Dewi. {WITHDRAWN}")

        # the transfer dialog, a note half typed; she parks A-002: it closes, nothing transferred
        await page.keyboard.press("/")
        await expect(page.locator("#transfer-dialog")).to_be_visible()
        await page.select_option("#transfer-target", "kia")
        await page.fill("#transfer-note", "Perlu akta")
        await sari.click("#btn-park")
        await sari.click("#park-send")
        await expect(page.locator("#transfer-dialog")).to_be_hidden()
        await expect(message).to_have_text(
            "A-002 diparkir oleh Sari Dewi. Alihkan A-002 dibatalkan: tiket itu sudah tidak di loket ini. "
            "Tidak ada yang dikirim."
        )
        assert state_of(server, "A-002") == "parked"

        # signing out asked on an open counter; her break makes "masih buka" untrue: withdrawn, still signed in
        await page.click("#signout")
        await expect(question).to_contain_text("Loket ini masih buka. Keluar tanpa menutup loket?")
        await sari.click("#btn-pause")
        await expect(question).to_be_hidden()
        await expect(message).to_contain_text("Loket dijeda oleh Sari Dewi pukul ")
        await expect(message).to_contain_text(WITHDRAWN)
        await expect(page.locator("#desk")).to_be_visible()
        await sari.context.close()


async def test_a_dropped_link_or_a_supervisor_s_close_withdraws_a_question_that_would_send_a_command(
    server: Server,
) -> None:
    """What changes while the link is down is not seen: a no-show asked is withdrawn when it drops. Signing out sends
    no command and is asked of what the page has seen: it stays asked through a short outage."""
    await server.issue("ktp")
    port = int(server.url.rsplit(":", 1)[1])
    async with CuttableProxy(port) as proxy, chromium() as browser:
        async with operator_page(browser, f"{proxy.url}/counter/tegal/1") as page:
            question = page.locator("#question-dialog")
            await open_and_call_first(page)
            await page.keyboard.press("-")
            await expect(question).to_be_visible()
            proxy.refuse = True
            await proxy.cut()
            await expect(question).to_be_hidden()
            await expect(page.locator("#message")).to_have_text(
                "Pertanyaan tadi dibatalkan: sambungan ke server terputus. Tidak ada yang dikirim."
            )
            await page.click("#signout")
            await expect(question).to_contain_text("Loket ini masih buka. Keluar tanpa menutup loket?")
            proxy.refuse = False
            await connected(page)
            await expect(question).to_be_visible()
            await page.click("#question-no")
            await page.keyboard.press(".")  # a recall: answered after anything the withdrawn no-show could have sent
            await expect(page.locator("#message")).to_have_text("Memanggil ulang A-001.")
            assert state_of(server, "A-001") == "called"

            # a supervisor closes the counter over the API: two events (A-001 returned, then the close); the line
            # says the first, by name, and the withdrawal after it
            await page.keyboard.press("-")
            await expect(question).to_be_visible()
            supervisor = await server.login("supervisor")
            assert (await server.command(supervisor, "1", "close")).status_code == 200
            await expect(question).to_be_hidden()
            await expect(page.locator("#message")).to_have_text(
                f"Loket ditutup oleh Supervisor MPP Kabupaten Tegal; A-001 kembali ke antrean. {WITHDRAWN}"
            )
            assert state_of(server, "A-001") == "waiting"


async def test_axe_finds_nothing_serious_with_a_question_open(server: Server) -> None:
    need_axe()
    await server.issue("ktp")
    async with chromium() as browser:
        # The page's Content-Security-Policy forbids inline scripts; axe is injected by the test, not the page.
        context = await browser.new_context(viewport={"width": 1366, "height": 768}, bypass_csp=True)
        page = await context.new_page()
        await page.goto(f"{server.url}/counter/tegal/1")
        await open_and_call_first(page)
        await page.keyboard.press("F8")
        await expect(page.get_by_role("dialog", name="Tutup loket")).to_be_visible()
        assert await violations(page) == []
        await page.keyboard.press("Escape")
        await page.click("#signout")
        await expect(page.get_by_role("dialog", name="Keluar")).to_be_visible()
        assert await violations(page) == []
        await context.close()


LINE_IN = "() => document.getElementById('message').parentElement.closest('dialog, #desk').id"
# The line's centre is covered by nothing but the dialog it is in: above the backdrop, not dimmed under it (the line
# lets the pointer through, so the point finds what holds it).
LINE_ON_TOP = """() => { const line = document.getElementById('message'); const r = line.getBoundingClientRect();
  const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
  return r.height > 0 && hit !== null && hit.closest('dialog') === line.closest('dialog'); }"""
# The line and the dialog's buttons inside the dialog's box: the line is laid out as part of it (the desk's grid
# area the line has in the page once pushed the transfer form's fields aside and its "Batal" out of the dialog).
LINE_FITS = """() => { const line = document.getElementById('message'); const box = line.closest('dialog').getBoundingClientRect();
  const inside = (r) => r.left >= box.left && r.right <= box.right && r.top >= box.top && r.bottom <= box.bottom;
  const shown = [...line.closest('dialog').querySelectorAll('button')].filter((e) => e.checkVisibility());
  return [line, ...shown].every((e) => inside(e.getBoundingClientRect())); }"""
# Every text the line is given, with where it was then and how many frames had been drawn since it last moved.
WATCH_LINE = """() => { window.lineLog = []; let frames = 0, movedAt = 0;
  const tick = () => { frames += 1; requestAnimationFrame(tick); }; requestAnimationFrame(tick);
  const line = document.getElementById('message');
  // the line moves in its box (with the button it may offer): a move is the box, or the line, added somewhere
  new MutationObserver((records) => { if (records.some((r) => [...r.addedNodes].some((n) => n.contains(line)))) movedAt = frames; })
    .observe(document.body, { subtree: true, childList: true });
  new MutationObserver(() => window.lineLog.push({ text: line.textContent, in: line.parentElement.closest('dialog, #desk').id,
    settled: frames - movedAt })).observe(line, { childList: true, characterData: true, subtree: true }); }"""


async def said_once(page: Page, text: str) -> None:
    """`text` is in the accessibility tree, once: read out by one live region, not by two."""
    tree = await read_out(page)
    assert tree.count(("StaticText", text)) == 1, [t for t in tree if t[0] == "StaticText"]


async def test_what_changes_behind_an_open_question_is_shown_and_read_out_in_it(server: Server) -> None:
    """The review: a modal dialog makes the page behind it inert, so the message line (role=status) sat under the
    backdrop, out of the accessibility tree, while a question was open: a colleague's recall, a new citizen waiting,
    a refusal were neither read out nor clearly seen. The line now goes into the open dialog (above the backdrop, one
    live region) and back to the page when it closes, where the withdrawal's words are written once it is there."""
    await with_sari(server)
    for _ in range(3):
        await server.issue("ktp")
    async with chromium() as browser, operator_page(browser, f"{server.url}/counter/tegal/1") as page:
        sari = await sari_page(browser, server)
        message = page.locator("#message")
        question = page.locator("#question-dialog")
        await open_and_call_first(page)
        await expect(sari.locator("#current-label")).to_have_text("A-001")
        await page.evaluate(WATCH_LINE)

        await page.keyboard.press("-")
        await expect(question).to_be_visible()
        # her recall leaves the question true: it stays, and what she did is said in it
        await sari.click("#btn-recall")
        await expect(message).to_have_text("A-001 dipanggil ulang oleh Sari Dewi.")
        await expect(question).to_be_visible()
        await said_once(page, "A-001 dipanggil ulang oleh Sari Dewi.")
        assert await page.evaluate(LINE_IN) == "question-dialog"
        assert await page.evaluate(LINE_ON_TOP), "shown above the backdrop"
        assert await page.evaluate(LINE_FITS)
        assert ("button", "Panggil berikutnya") not in await read_out(page), "the page behind stays inert"
        assert await focused(page) == "question-no", "the focus stays on the safe choice"

        # Esc, as ever, is "Batal": the line goes back to the page with what it said, nothing sent
        await page.keyboard.press("Escape")
        await expect(question).to_be_hidden()
        assert await page.evaluate(LINE_IN) == "desk"
        await expect(message).to_have_text("A-001 dipanggil ulang oleh Sari Dewi.")
        assert state_of(server, "A-001") == "called"

        # asked again; her start makes it untrue: withdrawn, and the words saying so are written in the page
        await page.keyboard.press("-")
        await expect(question).to_be_visible()
        await sari.click("#btn-start-finish")
        await expect(question).to_be_hidden()
        withdrawn = f"A-001 mulai dilayani oleh Sari Dewi. {WITHDRAWN}"
        await expect(message).to_have_text(withdrawn)
        assert await page.evaluate(LINE_IN) == "desk"
        await said_once(page, withdrawn)
        log = await page.evaluate("() => window.lineLog")
        written = [entry for entry in log if entry["text"] == withdrawn]
        assert written and written[0]["in"] == "desk", log
        # written once the line was back in the page (a frame later), so a screen reader hears a change in a live
        # region it already knows, not a region that appears with its words
        assert written[0]["settled"] >= 1, log
        assert await sent_by(server, "ticket.no_show", "op-disdukcapil") == 0
        await sari.context.close()


async def test_the_park_dialog_says_what_happens_meanwhile_and_esc_gives_up_a_command_stuck_offline(
    server: Server,
) -> None:
    """The park (and transfer) dialog is modal too: a supervisor's recall of its ticket, and "Menunggu sambungan ...
    (Esc: batalkan)" for its own command while the link is down, are said in it. Esc there does what the line says:
    the command is given up (never sent later) and the dialog stays with its note; the next Esc closes it."""
    await server.issue("ktp")
    port = int(server.url.rsplit(":", 1)[1])
    async with CuttableProxy(port) as proxy, chromium() as browser:
        async with operator_page(browser, f"{proxy.url}/counter/tegal/1") as page:
            message = page.locator("#message")
            park = page.locator("#park-dialog")
            await open_and_call_first(page)
            await page.keyboard.press("/")  # the transfer dialog, a form laid out as a grid: the line fits in it
            await expect(page.locator("#transfer-dialog #message")).to_have_text("Memanggil A-001.")
            assert await page.evaluate(LINE_FITS)
            await page.keyboard.press("Escape")
            await expect(page.locator("#transfer-dialog")).to_be_hidden()
            await page.keyboard.press("F9")
            await expect(park).to_be_visible()
            await page.keyboard.type("Bawa fotokopi KK")
            supervisor = await server.login("supervisor")
            assert (await server.command(supervisor, "1", "recall", ticket="A-001")).status_code == 200
            recalled = "A-001 dipanggil ulang oleh Supervisor MPP Kabupaten Tegal."
            await expect(park.locator("#message")).to_have_text(recalled)
            await said_once(page, recalled)
            assert await page.evaluate(LINE_ON_TOP)
            assert await page.evaluate(LINE_FITS)

            proxy.hold_up()  # the park goes out and is held on its way; then the link drops
            await page.keyboard.press("Enter")  # parks: sent again once the link is back, unless given up
            await expect(park.locator("#message")).to_have_text("Mengirim…")
            proxy.refuse = True
            await proxy.cut()
            proxy.release_up()
            await expect(page.locator("#connection")).not_to_have_attribute("data-state", "connected")
            stuck = "Menunggu sambungan untuk mengirim… (Esc: batalkan)"
            await expect(park.locator("#message")).to_have_text(stuck)
            await said_once(page, stuck)
            await page.keyboard.press("Escape")
            gave_up = (
                "Dibatalkan di halaman ini, tidak dikirim. Jika sudah sampai sebelum sambungan putus, "
                "hasilnya tetap tampil di sini."
            )
            await expect(park.locator("#message")).to_have_text(gave_up)
            await expect(park).to_be_visible()
            assert await page.input_value("#park-note") == "Bawa fotokopi KK", "the note stays"
            await page.keyboard.press("Escape")
            await expect(park).to_be_hidden()
            assert await page.evaluate(LINE_IN) == "desk"
            await expect(message).to_have_text(gave_up)

            proxy.refuse = False
            await connected(page)
            await page.keyboard.press(".")  # answered after anything the park given up could have sent
            await expect(message).to_have_text("Memanggil ulang A-001.")
            assert state_of(server, "A-001") == "called", "the park given up was never sent"


# Each element of the current-ticket box with the live region that announces its changes ("" for none).
LIVE_OF = """(ids) => ids.map((id) => { const el = document.getElementById(id);
  const live = el.closest('[aria-live], [role=status], [role=alert], [role=log], [role=timer]');
  return [el.textContent, live ? live.getAttribute('aria-live') || live.getAttribute('role') : ''];})"""


async def test_the_current_ticket_is_announced_when_it_changes_not_each_second_its_duration_ticks(
    server: Server,
) -> None:
    """The current-ticket box was one polite live region, and its "selama 1 mnt 5 dtk" changed every second: a screen
    reader read the box out every second. The ticket, its service and state, the counter's state are announced when
    they change; the duration is shown, readable, in no live region."""
    await server.issue("ktp")
    async with chromium() as browser, operator_page(browser, f"{server.url}/counter/tegal/1") as page:
        await open_and_call_first(page)
        await expect(page.locator("#current-info")).to_contain_text("KTP Elektronik · dipanggil · selama")
        label, what, ticking, state = await page.evaluate(
            LIVE_OF, ["current-label", "current-what", "current-for", "counter-state"]
        )
        assert label == ["A-001", "polite"] and what == ["KTP Elektronik · dipanggil", "polite"], (label, what)
        assert state == ["BUKA", "polite"], state
        assert ticking[0].startswith(" · selama") and ticking[1] == "", "the ticking duration is not announced"
        assert await page.get_by_text("selama", exact=False).count() == 1, "still shown, and readable"


async def test_a_key_pressed_as_a_dialog_closes_is_the_desk_s(server: Server) -> None:
    """Esc then F9 at once (quick on a keypad): the closed transfer dialog's field still had the focus for that key
    (the browser moves it at the next frame), the key was taken for typing in it, and F9 did nothing (a full run on
    a busy machine caught it). Here the key comes before any frame can pass: it parks all the same."""
    await server.issue("ktp")
    async with chromium() as browser, operator_page(browser, f"{server.url}/counter/tegal/1") as page:
        await open_and_call_first(page)
        await page.keyboard.press("/")
        await expect(page.locator("#transfer-target")).to_be_focused()
        await page.evaluate("""() => {
            const field = document.getElementById("transfer-target");
            document.getElementById("transfer-dialog").close();
            field.dispatchEvent(new KeyboardEvent("keydown", { key: "F9", code: "F9", bubbles: true, cancelable: true }));
        }""")  # fmt: skip
        await expect(page.locator("#park-dialog")).to_be_visible()
        await expect(page.locator("#park-ticket")).to_have_text("A-001")
