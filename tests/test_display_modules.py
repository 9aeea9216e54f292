"""The board's pure modules, run in Chromium as the TV runs them: grid fitting, and the board
state (duplicates skipped, one entry per ticket, bounded history, waiting counts, a new day)."""

from __future__ import annotations

from typing import Any

from playwright.async_api import Page

from .display_support import board_page, bounded, chromium
from .helpers import Server

IMPORT = "(name) => import(`/static/display/js/${name}.js`)"


def ticket(n: int, state: str = "waiting", counter: str | None = None, day: str = "2026-11-23") -> dict[str, Any]:
    return {"id": f"t{n}", "label": f"A-{n:03d}", "service": "ktp", "agency": "disdukcapil", "state": state,
            "counter": counter, "day": day, "issued_at": "2026-11-23T09:00:00+07:00",
            "called_at": "2026-11-23T09:01:00+07:00" if counter else None, "recalls": 0, "priority": False}  # fmt: skip


def event(seq: int, type_: str, **data: Any) -> dict[str, Any]:
    return {"type": type_, "seq": seq, "at": "2026-11-23T09:01:00.000+07:00", "site": "tegal", "data": data}


async def board_after(page: Page, snapshot: dict[str, Any], events: list[dict[str, Any]]) -> dict[str, Any]:
    """Feeds a fresh Board a snapshot and events (skipping what isNew refuses) and describes the result."""
    return await page.evaluate(  # type: ignore[no-any-return]
        """async ([snapshot, events]) => {
          const { Board } = await import("/static/display/js/board.js");
          const board = new Board();
          board.loadSnapshot(snapshot);
          const applied = [];
          for (const e of events) if (board.isNew(e)) { board.apply(e); applied.push(e.seq); }
          return { applied, seq: board.seq, calls: board.calls.map((c) => c.ticket.label), text: board.runningText,
                   fields: board.calls.length ? Object.keys(board.calls[0].ticket).sort() : [],
                   waiting: Object.fromEntries(board.waitingByService()),
                   counters: Object.fromEntries([...board.counters].map(([id, c]) => [id, [c.state, c.ticket?.label ?? null]])) };
        }""",
        [snapshot, events],
    )


def snapshot(seq: int, tickets: list[dict[str, Any]], counters: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"type": "snapshot", "seq": seq, "data": {"day": "2026-11-23", "running_text": "x", "tickets": tickets,
            "counters": counters or [], "recent_calls": [], "waiting": {}}}  # fmt: skip


@bounded(60)
async def test_grids_fit(server: Server) -> None:
    # (The reconnect backoff is the shared client's, tested in tests/test_live_client.py.)
    async with chromium() as browser, board_page(browser, server) as page:
        fits = await page.evaluate(
            """async () => {
              const { fitGrid } = await import("/static/display/js/layout.js");
              return [fitGrid(26, 1200, 600, 2.1, 10), fitGrid(26, 600, 1200, 2.1, 10), fitGrid(3, 1200, 600, 2.1),
                      fitGrid(0, 1200, 600, 2.1)].map(({ cols, rows }) => [cols, rows]);
            }"""
        )
        assert fits == [[5, 6], [3, 9], [2, 2], [1, 1]]  # wide box, tall box, a few tiles, none


@bounded(60)
async def test_board_state_skips_duplicates_keeps_one_entry_per_ticket_and_a_bounded_history(server: Server) -> None:
    async with chromium() as browser, board_page(browser, server) as page:
        waiting = [ticket(1), ticket(2), ticket(3)]
        start = snapshot(10, waiting, [{"id": "1", "state": "open", "current": None, "ticket": None}])
        called = {**ticket(1, "called", "1"), "token": "secret", "priority_group": "lansia", "note": "x"}
        events = [
            event(11, "ticket.called", ticket=called, counter={"id": "1", "state": "open", "current": "t1"}),
            event(11, "ticket.called", ticket=called, counter={"id": "1", "state": "open", "current": "t1"}),
            event(9, "ticket.issued", ticket=ticket(9)),  # older than the snapshot: already in it
            event(12, "ticket.issued", ticket=ticket(4)),
            event(
                13,
                "ticket.finished",
                ticket=ticket(1, "done", "1"),
                counter={"id": "1", "state": "open", "current": None},
            ),
            event(
                14,
                "ticket.called",
                ticket=ticket(2, "called", "1"),
                counter={"id": "1", "state": "open", "current": "t2"},
            ),
            event(15, "ticket.recalled", ticket=ticket(1, "called", "1")),
        ]
        state = await board_after(page, start, events)
        assert state["applied"] == [11, 12, 13, 14, 15]
        assert state["seq"] == 15
        assert state["calls"] == ["A-001", "A-002"]  # the recall moved A-001 back to the top, once
        assert state["fields"] == ["agency", "called_at", "counter", "day", "id", "label", "service", "state"]
        assert state["waiting"] == {"ktp": 2}
        assert state["counters"] == {"1": ["open", "A-002"]}

        many = [event(100 + n, "ticket.called", ticket=ticket(n, "called", "1")) for n in range(1, 251)]
        state = await board_after(page, snapshot(99, []), many)
        assert len(state["calls"]) == 200 and state["calls"][0] == "A-250"

        tomorrow = event(400, "ticket.issued", ticket=ticket(1, day="2026-11-24"))
        state = await board_after(page, snapshot(99, []), [*many[:3], tomorrow])
        assert state["calls"] == []  # a new service day starts with a clean list
        closed = await board_after(page, snapshot(99, []), [*many[:3], event(300, "day.closed", day="2026-11-23")])
        assert closed["calls"] == []
        news = await board_after(page, snapshot(99, []), [event(100, "site.running_text", text="Tutup 14.00")])
        assert news["text"] == "Tutup 14.00"


@bounded(60)
async def test_the_earlier_calls_rows_take_the_form_that_keeps_labels_and_names_whole(server: Server) -> None:
    """js/layout.js recentLayout, for the list's box on a portrait and a landscape TV: the demo mall's labels and
    names fit beside each other (eight calls in two columns), a longer counter name too, on two lines ("Loket 10" over
    "Imigrasi", the time under them); a 4-digit label does not, and the counter and time go under the label (six
    calls, every text readable) rather than being cut beside it."""
    forms = {}
    async with chromium() as browser:
        for size in [(1080, 1920), (1920, 1080)]:
            async with board_page(browser, server, size=size) as page:
                forms[size] = await page.evaluate(
                    """async () => {
                      const { recentLayout } = await import("/static/display/js/layout.js");
                      const { emWidth } = await import("/static/display/js/measure.js");
                      const { twoLines } = await import("/static/display/js/wrap.js");
                      const list = document.getElementById("recent-list");
                      const { width, height } = list.getBoundingClientRect();
                      const box = { width, height, gap: parseFloat(getComputedStyle(list).rowGap) };
                      const short = Math.min(innerWidth, innerHeight);
                      const lay = (label, counter) => recentLayout({
                        box, screen: { width: innerWidth, height: innerHeight },
                        ems: { label: emWidth(label, "bold"), time: emWidth("00.00"),
                               counter: { one: emWidth(counter), two: twoLines(counter, "normal") },
                               arrow: emWidth("→") },
                        floor: 0.026 * short, labelMin: 0.04 * innerHeight, max: 8,
                      });
                      return [["HA-000", "Loket 23"], ["HA-0000", "Loket 23"], ["A-000", "Loket 10 Imigrasi"],
                              ["HA-0000", "Loket 19 Perizinan"]].map(([label, counter]) => {
                        const { form, cols, shown, fits, sizes } = lay(label, counter);
                        const readable = sizes.label >= 0.04 * innerHeight - 0.5
                          && Math.min(sizes.counter, sizes.time) >= 0.025 * short;
                        return [form, cols, shown, fits && readable];
                      });
                    }"""
                )
    assert forms[(1080, 1920)] == [
        ["beside", 2, 8, True],
        ["under", 2, 6, True],
        ["beside", 2, 8, True],  # "Loket 10 Imigrasi" on two lines beside "A-000"
        ["under", 2, 6, True],
    ]
    assert [form for form, *_ in forms[(1920, 1080)]] == ["line"] * 4  # a landscape row has room for all on a line
    assert all(fits for *_, fits in forms[(1920, 1080)]), forms


@bounded(60)
async def test_pages_are_as_even_as_they_go(server: Server) -> None:
    """11 counters at 9 a page were shown 9 and 2 (a page of two looked like a hall with two counters open): the
    pages of a list are as even as they go, the first ones the larger, and a list that fits is one page."""
    async with chromium() as browser, board_page(browser, server) as page:
        found = await page.evaluate(
            """async () => {
              const { pages, pageBounds, pageOf } = await import("/static/display/js/layout.js");
              const cases = [[11, 9], [26, 6], [28, 4], [9, 9], [5, 9], [7, 6], [1, 1]];
              return cases.map(([count, per]) => {
                const { n, size } = pages(count, per);
                const bounds = [...Array(n).keys()].map((p) => pageBounds(count, per, p));
                const owner = [...Array(count).keys()].map((i) => pageOf(count, per, i));
                const inside = owner.every((p, i) => bounds[p].first <= i && i < bounds[p].end);
                return { sizes: bounds.map((b) => b.end - b.first), size, inside, from: bounds[0].first };
              });
            }"""
        )
    sizes = [case["sizes"] for case in found]
    assert sizes == [[6, 5], [6, 5, 5, 5, 5], [4] * 7, [9], [5], [4, 3], [1]], found
    assert all(case["inside"] and case["from"] == 0 and case["size"] == case["sizes"][0] for case in found), found


@bounded(60)
async def test_the_clock_reads_the_house_s_way_in_both_languages(server: Server) -> None:
    """js/clock.js: Indonesian "Minggu, 6 Desember 2026" and "13.59" (the house's style), English "Sunday, 6 December
    2026" and "13:59": the same 24-hour clock, the comma after the weekday whatever the browser's locale data, in the
    site's zone (WIB, WITA, WIT); just after midnight is "00.05", never "24.05". Every time on the board (the clock,
    the earlier calls, the offline banner's "since") is this clock's timeText."""
    async with chromium() as browser, board_page(browser, server) as page:
        said = await page.evaluate(
            """async () => {
              const { SiteClock } = await import("/static/display/js/clock.js");
              const at = (iso) => Date.parse(iso);
              const out = {};
              for (const lang of ["id", "en", "xx"]) {
                const clock = new SiteClock("Asia/Jakarta", lang);
                out[lang] = [clock.text(at("2026-12-06T06:59:00Z")), clock.timeText(at("2026-12-06T17:05:00Z")),
                             clock.timeOf("2026-12-07T01:30:00+07:00"), clock.timeOf("not a time")];
              }
              out.zones = ["Asia/Makassar", "Asia/Jayapura"].map((zone) =>
                new SiteClock(zone, "en").text(at("2026-12-06T16:30:00Z")));
              return out;
            }"""
        )
    assert said["id"] == ["Minggu, 6 Desember 2026 13.59", "00.05", "01.30", ""]
    assert said["en"] == ["Sunday, 6 December 2026 13:59", "00:05", "01:30", ""]
    assert said["xx"] == said["id"]  # a language the board does not have: Indonesian
    assert said["zones"] == ["Monday, 7 December 2026 00:30", "Monday, 7 December 2026 01:30"]
