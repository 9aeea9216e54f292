"""Speaker screens say every call: in order, one at a time, never cut off, repeated as the site says, again on a
recall; silent screens say nothing; a browser that blocks sound is detected, shown and unblocked by a tap.
The page keeps window.__announcements: {seq, label, start, end} from the audio element's playing/ended events."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from playwright.async_api import Page

from queue_server.settings.sitefile import DEMO_SITE

from .display_support import (
    BLOCK_AUDIO,
    HALL,
    WAIT_MS,
    board_page,
    bounded,
    busy_hall,
    call_next,
    chromium,
    hero_shows,
    until,
    until_answered,
)
from .helpers import Server, running_server

BLOCKED_TEXT = "Suara diblokir oleh peramban — ketuk layar untuk mengaktifkan"

# An AudioContext that the browser keeps suspended, as it does under an autoplay policy without a user gesture.
SUSPENDED_AUDIO_CONTEXT = """
window.AudioContext = class {
  constructor() { this.state = "suspended"; }
  resume() { return new Promise(() => {}); }
  close() { return Promise.resolve(); }
};
"""


# The caption while a call is said: the printed label, where to go, and the words.
CAPTION = """() => !document.getElementById('caption').hidden && {
  label: document.getElementById('caption-label').textContent,
  where: document.getElementById('caption-where').textContent,
  text: document.getElementById('caption-text').textContent,
}"""


async def played(page: Page, count: int, timeout_ms: float = 60_000) -> list[dict[str, Any]]:
    """The first `count` finished playbacks, once there are that many."""
    return await until(  # type: ignore[no-any-return]
        page,
        "n => { const done = window.__announcements.filter(e => e.end !== null); return done.length >= n && done; }",
        count,
        timeout_ms,
    )


def assert_one_at_a_time(entries: list[dict[str, Any]]) -> None:
    for entry in entries:
        assert entry["end"] > entry["start"], entry
    for before, after in zip(entries, entries[1:], strict=False):
        assert after["start"] >= before["end"], f"overlap: {before} and {after}"


def wav_requests(page: Page) -> list[str]:
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url) if "/announcements/" in request.url else None)
    return urls


async def device_audio(server: Server, headers: dict[str, str], screen: str, expected: str) -> None:
    async def states() -> bool:
        r = await server.http.get("/api/v1/sites/tegal/devices", headers=headers)
        return [d["audio"] for d in r.json()["devices"] if d["screen"] == screen and d["connected"]] == [expected]

    await until_answered(states, f"{screen} reports its audio {expected}")


@bounded(90)
async def test_three_quick_calls_are_announced_in_order_one_at_a_time(server: Server) -> None:
    op = await server.login("op-disdukcapil")
    for service in ("ktp", "ktp", "kk"):
        await server.issue(service)
    for counter in ("1", "2", "3"):
        assert (await server.command(op, counter, "open")).status_code == 200
    async with chromium() as browser, board_page(browser, server) as page:
        requests = wav_requests(page)
        await until(page, "() => document.body.dataset.audio === 'ready'")
        calls = [await call_next(server, op, counter) for counter in ("1", "2", "3")]  # no pause in between
        labels = [c["ticket"]["label"] for c in calls]
        caption = await until(page, CAPTION)
        assert caption["text"].startswith("Nomor antrean A satu, silakan menuju loket satu"), caption
        assert caption["label"] == labels[0] and caption["where"] == "Loket 1 · Lantai 1"  # as printed, as on the board
        entries = await played(page, 3)
        assert [e["label"] for e in entries] == labels
        assert [e["form"] for e in entries] == ["full"] * 3  # two behind at most: the hall is not that busy
        assert_one_at_a_time(entries)
        assert [e["seq"] for e in entries] == sorted(e["seq"] for e in entries)
        # The sound came from the server's endpoint, one WAV per call event.
        # The lobby serves both floors: each call's variant that says the counter's floor.
        assert [u.split("/api/v1/")[1] for u in requests] == [
            f"sites/tegal/announcements/{e['seq']}.wav?zone=1" for e in entries
        ]
        await until(page, "() => document.getElementById('caption').hidden")  # the caption goes with the sound


@bounded(120)
async def test_each_call_is_repeated_as_configured_and_a_recall_is_announced_again(tmp_path: Path) -> None:
    site_file = tmp_path / "tegal.toml"
    site_file.write_text(DEMO_SITE.read_text().replace("\nrepeat = 1\n", "\nrepeat = 2\n"))
    async with running_server(tmp_path / "queue.sqlite3", site_files=[site_file]) as server:
        op = await server.login("op-disdukcapil")
        await server.issue("ktp")
        assert (await server.command(op, "1", "open")).status_code == 200
        async with chromium() as browser, board_page(browser, server) as page:
            label = (await call_next(server, op, "1"))["ticket"]["label"]
            entries = await played(page, 2)
            assert (await server.command(op, "1", "recall")).status_code == 200
            entries = await played(page, 4)
            assert [e["label"] for e in entries] == [label] * 4
            assert_one_at_a_time(entries)
            first_call, recall = {e["seq"] for e in entries[:2]}, {e["seq"] for e in entries[2:]}
            assert len(first_call) == len(recall) == 1 and first_call != recall


@bounded(300)
async def test_while_many_calls_wait_they_are_said_briefly_once_each(tmp_path: Path) -> None:
    """Counters opening together: with three or more calls waiting behind it, a call is said once even where the site
    repeats calls, and the calls after it in their brief form (no chime, the number and the counter), until the line
    is empty; the last is said in full again, as often as the site says."""
    site_file = tmp_path / "tegal.toml"
    site_file.write_text(DEMO_SITE.read_text().replace("\nrepeat = 1\n", "\nrepeat = 2\n"))
    async with running_server(tmp_path / "queue.sqlite3", site_files=[site_file]) as server:
        disdukcapil, polres = await server.login("op-disdukcapil"), await server.login("op-polres")
        for service in ("ktp", "ktp", "kk", "kk", "skck"):
            await server.issue(service)
        counters = [(disdukcapil, "1"), (disdukcapil, "2"), (disdukcapil, "3"), (disdukcapil, "4"), (polres, "5")]
        for op, counter in counters:
            assert (await server.command(op, counter, "open")).status_code == 200
        async with chromium() as browser, board_page(browser, server, init_script=BLOCK_AUDIO) as page:
            requests = wav_requests(page)
            await page.wait_for_selector("#banner-audio", state="visible", timeout=WAIT_MS)
            labels = [(await call_next(server, op, counter))["ticket"]["label"] for op, counter in counters]
            await until(page, "() => window.__display.announcer.pending === 5")
            await page.evaluate("window.__blockAudio = false")
            await page.mouse.click(960, 540)
            # While the first is said, the hero shows the newest call: the first's row of earlier calls is marked.
            await until(page, """(first) => {
                const said = window.__announcements.find((e) => e.end === null);
                const row = document.querySelector('.recent-row.is-speaking .recent-label');
                return Boolean(said) && said.label === first && row !== null && row.textContent === said.label;
            }""", labels[0])  # fmt: skip
            entries = await played(page, 6, 180_000)
            assert_one_at_a_time(entries)
            # Four behind: in full (the chime), once. Three, two, one behind: briefly. None: in full, twice.
            said = [(e["label"], e["form"]) for e in entries]
            assert said == [
                (labels[0], "full"), *((x, "brief") for x in labels[1:4]), (labels[4], "full"), (labels[4], "full")
            ]  # fmt: skip
            sounds = [u.split("/announcements/")[1] for u in requests]
            for entry in entries:  # each played the sound of its form (a brief one may have been fetched ahead too)
                form = "?zone=1&brief=1" if entry["form"] == "brief" else "?zone=1"
                assert f"{entry['seq']}.wav{form}" in sounds, (entry, sounds)
            await until(page, "() => document.querySelector('.recent-row.is-speaking') === null")  # all said


@bounded(60)
async def test_a_silent_screen_shows_calls_and_says_nothing(server: Server) -> None:
    op = await server.login("op-disdukcapil")
    supervisor = await server.login("supervisor")
    await server.issue("ktp")
    assert (await server.command(op, "1", "open")).status_code == 200
    async with chromium() as browser, board_page(browser, server, "lantai1") as page:
        requests = wav_requests(page)
        assert await page.evaluate("document.body.dataset.audio") == "off"
        await device_audio(server, supervisor, "lantai1", "off")
        label = (await call_next(server, op, "1"))["ticket"]["label"]
        await hero_shows(page, label)
        # Calls are queued in the same step that draws them, so by now one would be there.
        assert await page.evaluate("[window.__announcements.length, window.__display.announcer.pending]") == [0, 0]
        assert requests == []
        assert await page.is_hidden("#banner-audio")


@bounded(60)
async def test_blocked_sound_is_shown_reported_and_a_tap_enables_it(server: Server) -> None:
    op = await server.login("op-disdukcapil")
    supervisor = await server.login("supervisor")
    await server.issue("ktp")
    assert (await server.command(op, "1", "open")).status_code == 200
    async with chromium() as browser, board_page(browser, server, init_script=BLOCK_AUDIO) as page:
        await page.wait_for_selector("#banner-audio", state="visible", timeout=WAIT_MS)
        assert (await page.text_content("#banner-audio") or "").strip() == BLOCKED_TEXT
        await device_audio(server, supervisor, "lobby", "blocked")
        label = (await call_next(server, op, "1"))["ticket"]["label"]
        await hero_shows(page, label)
        assert await page.evaluate("[window.__announcements.length, window.__display.announcer.pending]") == [0, 1]

        await page.evaluate("window.__blockAudio = false")  # what a tap does to a real browser's policy
        await page.mouse.click(960, 540)
        await page.wait_for_selector("#banner-audio", state="hidden", timeout=WAIT_MS)
        entries = await played(page, 1)
        assert entries[0]["label"] == label  # the call waited; it was not dropped
        await device_audio(server, supervisor, "lobby", "ready")


@bounded(60)
async def test_a_suspended_audio_context_counts_as_blocked(server: Server) -> None:
    async with chromium() as browser, board_page(browser, server, init_script=SUSPENDED_AUDIO_CONTEXT) as page:
        await page.wait_for_selector("#banner-audio", state="visible", timeout=WAIT_MS)
        assert await page.evaluate("document.body.dataset.audio") == "blocked"
        await page.keyboard.press("Enter")  # a TV remote's OK button is a gesture too
        await page.wait_for_selector("#banner-audio", state="hidden", timeout=WAIT_MS)


@bounded(90)
async def test_a_call_whose_citizen_reached_the_counter_is_not_said_late(server: Server) -> None:
    """An outside review: a TV back after an outage said tickets that had been finished meanwhile. A call waiting to
    be said is dropped once its ticket is no longer called (started, finished, skipped ...); a recall waiting takes
    the place of the call it repeats. Sound is blocked here, so that every call waits."""
    op = await server.login("op-disdukcapil")
    for _ in range(3):
        await server.issue("ktp")
    for counter in ("1", "2"):
        assert (await server.command(op, counter, "open")).status_code == 200
    async with chromium() as browser, board_page(browser, server, init_script=BLOCK_AUDIO) as page:
        await page.wait_for_selector("#banner-audio", state="visible", timeout=WAIT_MS)
        served = (await call_next(server, op, "1"))["ticket"]["label"]
        waiting = (await call_next(server, op, "2"))["ticket"]["label"]
        assert (await server.command(op, "2", "recall")).status_code == 200
        await until(page, "() => window.__display.announcer.pending === 2")  # the recall took its call's place
        for step in ("start", "finish"):
            assert (await server.command(op, "1", step)).status_code == 200
        await until(page, "() => window.__display.announcer.pending === 1")
        await page.evaluate("window.__blockAudio = false")
        await page.mouse.click(960, 540)
        await played(page, 1)
        await until(page, "() => window.__display.announcer.pending === 0")  # nothing else waits to be said
        assert [e["label"] for e in await page.evaluate("window.__announcements")] == [waiting], served


# Nine counters of the lobby, each with its own service: (operator, counter, service).
NINE = [
    ("op-disdukcapil", "1", "ktp"), ("op-disdukcapil", "2", "kia"), ("op-disdukcapil", "3", "kk"),
    ("op-polres", "5", "skck"), ("op-polres", "6", "sim"), ("op-samsat", "7", "pkb"), ("op-samsat", "8", "stnk"),
    ("op-imigrasi", "9", "paspor_baru"), ("op-pajak", "11", "npwp"),
]  # fmt: skip
WAITING = "() => window.__display.announcer.waiting"
IDLE = "id => window.__display.board.counters.get(id)?.ticket === null"


@bounded(300)
async def test_a_burst_of_nine_calls_is_all_heard_recalls_keep_their_place_and_a_no_show_is_still_said(
    server: Server,
) -> None:
    """An outside review: nine calls within four seconds were said one at a time, ~8 s each; the ninth was still
    unsaid when its operator marked a no-show at 45 s and the TV dropped it (the citizen lost their turn without
    hearing their number), and a recall of the fourth moved it to the end of the line. Now: the burst is said in
    the brief form; a recall of a call not said yet leaves it where it is, a recall of one already said is said next
    (as a recall); a call whose ticket was marked a no-show before the TV said it is still said."""
    ops = {account: await server.login(account) for account, _, _ in NINE}
    for account, counter, service in NINE:
        await server.issue(service)
        assert (await server.command(ops[account], counter, "open")).status_code == 200
    async with chromium() as browser, board_page(browser, server, init_script=BLOCK_AUDIO) as page:
        requests = wav_requests(page)
        await page.wait_for_selector("#banner-audio", state="visible", timeout=WAIT_MS)  # so that every call waits
        labels = [(await call_next(server, ops[a], counter))["ticket"]["label"] for a, counter, _ in NINE]
        first_op, fourth_op, ninth_op = ops[NINE[0][0]], ops[NINE[3][0]], ops[NINE[8][0]]
        assert (await server.command(fourth_op, "5", "recall")).status_code == 200
        assert (await server.command(ninth_op, "11", "no_show")).status_code == 200
        await hero_shows(page, labels[3])  # the recall: on top of the board, as a recall
        await until(page, IDLE, "11")  # the no-show: its counter is free again
        waiting = await page.evaluate(WAITING)
        assert [w["label"] for w in waiting] == labels, "the recall kept the fourth in its place, the no-show is kept"
        assert not any(w["recall"] for w in waiting)

        await page.evaluate("window.__blockAudio = false")
        await page.mouse.click(960, 540)
        await played(page, 1, 60_000)
        assert (await server.command(first_op, "1", "recall")).status_code == 200  # said, and its citizen not come
        # The recall is said next: right after the call being said now (or now, between two calls).
        queued = await until(
            page, "() => { const w = window.__display.announcer.waiting; return w.some((x) => x.recall) && w; }"
        )
        assert [w["label"] for w in queued].index(labels[0]) <= 1, queued

        entries = await played(page, 10, 180_000)
        assert_one_at_a_time(entries)
        said = [e["label"] for e in entries]
        assert sorted(said) == sorted([*labels, labels[0]]), "every call heard, the first twice"
        again = said.index(labels[0], 1)
        assert again in (1, 2), said  # the recall did not wait for the rest of the burst
        assert [x for i, x in enumerate(said) if i != again] == labels  # the others in the order of the calls
        forms = [e["form"] for e in entries]
        assert forms[0] == "full" and forms[-1] == "full" and set(forms[1:-1]) == {"brief"}, forms
        recall_seq = entries[again]["seq"]
        assert recall_seq > max(e["seq"] for e in entries if e is not entries[again]), "the recall's own sound"
        assert any(u.endswith(f"/announcements/{recall_seq}.wav?zone=1&brief=1") for u in requests), requests


# What the board shows of the call being said: its row, its counter's tile, the caption.
SHOWN_WHILE_SAID = """() => {
  const said = window.__announcements.find((e) => e.end === null);
  if (!said) return null;
  const visible = (el) => el !== null && !el.closest('[hidden]') && el.getClientRects().length > 0;
  const row = document.querySelector('.recent-row.is-speaking');
  const tile = document.querySelector('.tile.is-speaking');
  return {
    label: said.label,
    form: said.form,
    row: visible(row) ? row.querySelector('.recent-label').textContent : null,
    tile: visible(tile) ? [tile.dataset.counter, tile.querySelector('.tile-ticket').textContent] : null,
    page: document.getElementById('counters-page').textContent,
    caption: visible(document.getElementById('caption')) ? document.getElementById('caption-label').textContent : null,
    where: document.getElementById('caption-where').textContent,
  };
}"""

# Records SHOWN_WHILE_SAID in the page, every frame: window.__seen, the first moment each call said is shown whole (its
# row, its tile and the caption; the last call is the hero itself, with no row), in the order they came. Sampled from
# the test over the wire instead, a brief call (2 s) could pass between two samples on a busy machine.
RECORD_SHOWN_WHILE_SAID = f"""(last) => {{
  const look = {SHOWN_WHILE_SAID};
  window.__seen = [];
  const sample = () => {{
    const now = look();
    const whole = now && now.tile && now.caption && (now.row || now.label === last);
    if (whole && !window.__seen.some((s) => s.label === now.label)) window.__seen.push(now);
    requestAnimationFrame(sample);
  }};
  requestAnimationFrame(sample);
}}"""


@bounded(300)
async def test_the_call_being_said_is_on_the_board_in_a_burst(server: Server, tmp_path: Path) -> None:
    """An outside review: in a burst on a 1366x768 TV, the caption said "Nomor antrean F dua, silakan menuju loket
    enam" while F-002 was in none of the five rows of earlier calls and Loket 6 on another page of tiles: a citizen
    who cannot hear saw "F dua" and nothing else. While a call is said, its row is shown and marked (in the last row
    when it is older than the rows shown), the counters' page is its counter's, marked, and the caption shows the
    printed label and the counter."""
    ops = await busy_hall(server)  # fourteen counters open: more than one page of tiles at this size
    for _, _, service in HALL:
        await server.issue(service)
    burst = [HALL[0], *HALL[6:13], HALL[13]]  # the first call's counter on the first page, the last's on the last
    async with chromium() as browser, board_page(browser, server, size=(1366, 768), init_script=BLOCK_AUDIO) as page:
        await page.wait_for_selector("#banner-audio", state="visible", timeout=WAIT_MS)
        calls = []
        for account, counter, _ in burst:
            server.clock.advance(seconds=1)
            calls.append(((await call_next(server, ops[account], counter))["ticket"]["label"], counter))
        await hero_shows(page, calls[-1][0])
        await until(page, "n => window.__display.announcer.pending === n", len(burst))
        shown_rows = await page.evaluate("window.__display.view.recentShown")
        assert shown_rows < len(burst) - 1, "the first call of the burst is older than the rows shown"
        await page.evaluate("window.__blockAudio = false")
        await page.evaluate(RECORD_SHOWN_WHILE_SAID, calls[-1][0])  # from the first call said on, every frame
        await page.mouse.click(683, 384)
        shots = Path(os.environ.get("DISPLAY_SCREENSHOT_DIR") or tmp_path)
        await until(page, "() => window.__seen.length >= 2", timeout_ms=60_000)
        await page.screenshot(path=shots / "burst-1366x768.png")  # a brief call, mid-burst: for a person to look at
        all_said = """n => window.__seen.length >= n
          || (!window.__announcements.some((e) => e.end === null) && window.__display.announcer.pending === 0)"""
        await until(page, all_said, len(burst), timeout_ms=240_000)
        seen = {now["label"]: now for now in await page.evaluate("() => window.__seen")}
        assert [label for label, _ in calls] == list(seen), seen
        for label, counter in calls[:-1]:  # the last is the hero itself
            now = seen[label]
            assert now["row"] == label and now["caption"] == label, now
            assert now["tile"] == [counter, label], now
            assert now["where"].startswith(f"Loket {counter} · Lantai "), now
        assert seen[calls[0][0]]["page"].startswith("1/"), seen[calls[0][0]]  # not the fresh last call's page
        assert seen[calls[-2][0]]["page"] != seen[calls[0][0]]["page"], "the page followed the calls said"


# The tiles flashing now, by counter, and the label being said.
FLASHING = """() => ({
  said: window.__announcements.find((e) => e.end === null)?.label ?? null,
  tiles: [...document.querySelectorAll('.tile.is-fresh')].filter((t) => !t.hidden).map((t) => t.dataset.counter),
})"""

# Records FLASHING in the page, every frame: window.__flashing, by the label said, every tile that flashed meanwhile.
RECORD_FLASHING = f"""() => {{
  const look = {FLASHING};
  window.__flashing = {{}};
  const sample = () => {{
    const now = look();
    if (now.said !== null) {{
      window.__flashing[now.said] = [...new Set([...(window.__flashing[now.said] || []), ...now.tiles])].sort();
    }}
    requestAnimationFrame(sample);
  }};
  requestAnimationFrame(sample);
}}"""


@bounded(240)
async def test_in_a_burst_a_tile_flashes_when_its_call_is_said(server: Server) -> None:
    """An outside review: in a burst every new call's tile blinked at once for 8 s, while the TV said one call at a
    time. A tile flashes on its call's arrival only when nothing else is being said; else when its words begin."""
    ops = {account: await server.login(account) for account in ("op-disdukcapil", "op-polres")}
    burst = [("op-disdukcapil", "1", "ktp"), ("op-disdukcapil", "2", "kia"), ("op-polres", "5", "skck")]
    for account, counter, service in burst:
        await server.issue(service)
        assert (await server.command(ops[account], counter, "open")).status_code == 200
    async with chromium() as browser, board_page(browser, server, size=(1920, 1080)) as page:
        await until(page, "() => window.__display.announcer.state === 'ready'")
        await page.evaluate(RECORD_FLASHING)
        calls = []
        for account, counter, _ in burst:
            calls.append(((await call_next(server, ops[account], counter))["ticket"]["label"], counter))
        said = """labels => labels.every((l) => window.__announcements.some((e) => e.label === l && e.end !== null))"""
        await until(page, said, [label for label, _ in calls], timeout_ms=120_000)
        seen: dict[str, list[str]] = await page.evaluate("() => window.__flashing")
        first, second, third = calls
        assert third[1] not in seen[first[0]] and third[1] not in seen[second[0]], seen
        assert second[1] not in seen[first[0]], seen  # not before its words
        assert second[1] in seen[second[0]] and third[1] in seen[third[0]], seen  # as its words begin


# The caption's box against every part of the board it lies over, and what it shows.
CAPTION_PLACE = """() => {
  const caption = document.getElementById('caption');
  if (caption.hidden) return null;
  const top = caption.getBoundingClientRect().top;
  const covered = [...document.querySelectorAll('.layout .chip, .layout .recent-row, .layout .tile, .hero-card')]
    .filter((e) => e.getBoundingClientRect().height > 0 && e.getBoundingClientRect().bottom > top + 0.5)
    .map((e) => e.textContent.trim().slice(0, 40));
  const shown = (id) => !document.getElementById(id).hidden;
  return {covered, recall: shown('caption-recall'), words: shown('caption-text'), text: caption.innerText};
}"""


@bounded(120)
async def test_the_caption_covers_none_of_the_board_at_any_size(server: Server) -> None:
    """An outside review: a recall's caption ("K-001 → Loket 9 · Lantai 2  Panggilan ulang, nomor antrean K satu,
    silakan menuju loket sembilan, lantai dua") took two lines at 1920x1080 and three on a portrait TV, growing
    upwards over the waiting counts and the last earlier call for as long as it was said. The caption keeps to the
    running text's band: the label, the counter and the recall's mark always, the words said when they fit."""
    await busy_hall(server)
    op = await server.login("op-imigrasi")
    found: dict[str, Any] = {}
    async with chromium() as browser:
        for size in ((1080, 1920), (1920, 1080), (1280, 720)):
            async with board_page(browser, server, size=size) as page:
                await until(page, "() => document.body.dataset.audio === 'ready'")
                assert (await server.command(op, "9", "recall")).status_code == 200
                recall = await until(page, CAPTION_PLACE)
                assert (await call_next(server, op, "9"))["ticket"]["label"]
                call = await until(page, f"() => {{ const c = ({CAPTION_PLACE})(); return c && !c.recall && c; }}")
                found[f"{size[0]}x{size[1]}"] = (recall, call)
    for where, (recall, call) in found.items():
        assert not recall["covered"] and not call["covered"], (where, recall, call)
        assert recall["recall"] and "→ Loket 9 · Lantai 2" in recall["text"], (where, recall)
    # A first call's words fit on the line of a wide screen, and are shown there.
    assert found["1920x1080"][1]["words"], found["1920x1080"]
