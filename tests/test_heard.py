"""Whether a counter's called ticket has been said by a speaker screen yet (application/heard.py): pure, on the
demo mall's screens (the lobby and the second floor speak; the first floor's and Disdukcapil's do not); and across
a restart of the server, with a real TV and counter connection."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect

from queue_server.application.heard import covers, status
from queue_server.settings.sitefile import DEMO_SITE, load_site

from .helpers import LOBBY, Server, eventually, running_server
from .pg_support import new_database

BOTH_DATABASES = True  # the restart test: the log is read on either
SITE = load_site(DEMO_SITE)
CALLED = {"id": "t1", "label": "A-007", "counter": "1", "service": "ktp", "state": "called"}  # Loket 1, first floor


def screen(screen_id: str, **report: Any) -> dict[str, Any]:
    """A display on a screen as the device registry lists it (application/health.py)."""
    return {"kind": "display", "connected": True, "screen": screen_id, "audio": "ready", **report}


def test_the_screens_that_say_a_call_are_the_speaker_screens_that_show_it() -> None:
    speakers = [s.id for s in SITE.screens.values() if s.speaker and covers(SITE, s, "1", "ktp")]
    assert speakers == ["lobby"], "the second floor's screen does not show the first floor's counters"
    assert covers(SITE, SITE.screens["lantai2"], "9", "paspor_baru")
    assert covers(SITE, SITE.screens["disdukcapil"], "1", "ktp") and not SITE.screens["disdukcapil"].speaker


def test_announced_once_a_speaker_screen_showing_the_counter_has_said_the_call() -> None:
    lobby_behind = screen("lobby", said_seq=40, speech_queue=7)
    lobby_done = screen("lobby", said_seq=42, speech_queue=0)
    silent = screen("disdukcapil", said_seq=99, speech_queue=0)  # says nothing: never counts
    other_floor = screen("lantai2", said_seq=99, speech_queue=0)  # does not show Loket 1

    said = status(SITE, CALLED, 42, [lobby_behind, silent, other_floor])
    assert said == {"ticket": "t1", "label": "A-007", "call_seq": 42, "speech_queue": 7, "screens": 1,
                    "status": "waiting"}  # fmt: skip
    # two lobby TVs: one has said it (the citizen may sit under either): announced
    assert status(SITE, CALLED, 42, [lobby_behind, lobby_done])["status"] == "announced"
    # two still behind: the nearest to saying it is reported
    nearer = screen("lobby", said_seq=41, speech_queue=2)
    assert status(SITE, CALLED, 42, [lobby_behind, nearer])["speech_queue"] == 2


def test_no_speaker_and_unknown_are_said_as_they_are() -> None:
    # the lobby TV is gone, blocked by the browser, or muted: nobody will say the call
    for gone in ([], [screen("lobby", connected=False, said_seq=50)], [screen("lobby", audio="blocked", said_seq=1)],
                 [screen("lobby", audio="off")]):  # fmt: skip
        assert status(SITE, CALLED, 42, gone)["status"] == "no_speaker", gone
    # a TV that does not report what it said (an earlier display page), or a call made before this process
    # started: nothing is claimed
    assert status(SITE, CALLED, 42, [screen("lobby", last_call_seq=42)])["status"] == "unknown"
    assert status(SITE, CALLED, None, [screen("lobby", said_seq=10, speech_queue=0)])["status"] == "unknown"


def test_a_screen_that_started_after_the_call_never_said_it() -> None:
    """An outside review: a TV switched on (or reloaded) after the call reports its snapshot's seq as said_seq, and
    the call passed for announced while the TV had said nothing. Its page's start (`heard_from`) bounds what it said."""
    fresh = screen("lobby", said_seq=50, speech_queue=0, heard_from=45)
    assert status(SITE, CALLED, 42, [fresh])["status"] == "unknown"
    assert status(SITE, CALLED, 45, [fresh])["status"] == "unknown", "the snapshot's own seq: made before it"
    assert status(SITE, CALLED, 46, [fresh])["status"] == "announced", "a call after its start it did say"
    older = screen("lobby", said_seq=44, speech_queue=1, heard_from=None)  # another TV, on since before the call
    assert status(SITE, CALLED, 42, [fresh, older])["status"] == "announced"


async def test_a_tv_switched_on_after_the_call_does_not_make_it_announced(database: Path | str) -> None:
    """The same with the real server: the TV's page starts from a snapshot after the call and says it has said
    everything up to it; the counter is told `unknown`, not `announced`. A call the TV did say stays announced when
    the TV reloads afterwards."""
    async with running_server(database) as s:
        op = await s.login("op-polres")
        token = op["Authorization"].removeprefix("Bearer ")
        await s.issue("skck")
        await s.issue("skck")
        assert (await s.command(op, "5", "open")).status_code == 200

        async def tv_reports_all_said() -> Any:
            tv = await connect(s.ws_url)
            await tv.send(json.dumps({"type": "hello", "role": "display", "site": "tegal", "token": LOBBY,
                                      "screen": "lobby"}))  # fmt: skip
            welcome = json.loads(await tv.recv())
            await tv.send(json.dumps({"type": "health", "audio": "ready", "said_seq": welcome["seq"],
                                      "speech_queue": 0}))  # fmt: skip
            return tv

        async def told(counter: Any, wanted: str, label: str) -> dict[str, Any]:
            async with asyncio.timeout(30):
                while True:
                    frame = json.loads(await counter.recv())
                    data = frame.get("data") if frame.get("type") == "announcement" else None
                    if data and data["label"] == label and data["status"] == wanted:
                        return data  # type: ignore[no-any-return]

        async with connect(s.ws_url) as counter:
            await counter.send(json.dumps({"type": "hello", "role": "counter", "site": "tegal", "counter": "5",
                                           "token": token}))  # fmt: skip
            assert (await s.command(op, "5", "call_next")).json()["ticket"]["label"] == "F-001"
            await told(counter, "no_speaker", "F-001")
            tv = await tv_reports_all_said()  # switched on after the call
            assert (await told(counter, "unknown", "F-001"))["screens"] == 1
            await tv.close()

            for done in ("start", "finish"):
                assert (await s.command(op, "5", done)).status_code == 200
            tv = await tv_reports_all_said()  # on before the next call, and says it
            assert (await s.command(op, "5", "call_next")).json()["ticket"]["label"] == "F-002"
            events = await s.ctx.storage.events_after("tegal", 0, 100_000)
            call_seq = max(e.seq for e in events if e.type == "ticket.called")
            await tv.send(json.dumps({"type": "health", "said_seq": call_seq, "speech_queue": 0}))
            await told(counter, "announced", "F-002")
            await tv.close()
            tv = await tv_reports_all_said()  # reloaded after saying it: still announced
            await asyncio.sleep(1.5)  # three checks of the status
            device = next(d for d in s.ctx.devices.for_site("tegal") if d["screen"] == "lobby" and d["connected"])
            assert device["heard_from"] >= call_seq
            assert s.app.state.server.heard.of("tegal", "5")["status"] == "announced"
            await tv.close()


async def test_a_call_made_before_a_restart_is_still_known_to_have_been_said(database: Path | str) -> None:
    """The status of a call made before the server started was `unknown` for the rest of that call: the event that
    made it is now looked up in the log, and the TV's report counts."""
    async with running_server(database) as s:
        await s.issue("skck")  # Polres: Loket 5, whose call the lobby screen says
        op = await s.login("op-polres")
        assert (await s.command(op, "5", "open")).status_code == 200
        assert (await s.command(op, "5", "call_next")).json()["ticket"]["label"] == "F-001"
        events = await s.ctx.storage.events_after("tegal", 0, 100_000)
        call_seq = next(e.seq for e in events if e.type == "ticket.called")
        for _ in range(3):  # later events: the call is not the log's newest
            await s.issue("skck")
        head = s.ctx.seq("tegal")

    async with running_server(database) as s:
        op = await s.login("op-polres")
        token = op["Authorization"].removeprefix("Bearer ")
        async with connect(s.ws_url) as tv, connect(s.ws_url) as counter:
            # the TV's page was on through the restart: it resumes where it was (a replay, not a snapshot)
            await tv.send(json.dumps({"type": "hello", "role": "display", "site": "tegal", "token": LOBBY,
                                      "screen": "lobby", "last_seq": head}))  # fmt: skip
            assert json.loads(await tv.recv())["resume"] == "replay"
            await tv.send(json.dumps({"type": "health", "audio": "ready", "said_seq": call_seq, "speech_queue": 0}))
            await counter.send(json.dumps({"type": "hello", "role": "counter", "site": "tegal", "counter": "5",
                                           "token": token}))  # fmt: skip
            said: list[dict[str, Any]] = []
            async with asyncio.timeout(30):
                while not said or said[-1]["status"] != "announced":
                    frame = json.loads(await counter.recv())
                    if frame.get("type") == "announcement" and frame.get("data"):
                        said.append(frame["data"])
            assert said[-1]["label"] == "F-001" and said[-1]["call_seq"] == call_seq, said


def test_no_speaker_is_said_only_when_what_other_processes_hold_is_known() -> None:
    """On shared storage a TV may be on another process, known here only from its word (read every 5 seconds):
    until that word is known, "nobody will say it" is not claimed; a TV playing here is known all the same."""
    assert status(SITE, CALLED, 42, [], known=False)["status"] == "unknown"
    assert status(SITE, CALLED, 42, [screen("lobby", connected=False)], known=False)["status"] == "unknown"
    lobby_done = screen("lobby", said_seq=42, speech_queue=0)
    assert status(SITE, CALLED, 42, [lobby_done], known=False)["status"] == "announced"


# --- with several server processes (PostgreSQL), and on SQLite as before ----------------------------------------


async def _hello(url: str, **hello: Any) -> ClientConnection:
    ws = await connect(url)
    await ws.send(json.dumps({"type": "hello", "site": "tegal", **hello}))
    assert json.loads(await ws.recv())["type"] == "welcome"
    return ws


async def _tv(url: str, said_seq: int) -> ClientConnection:
    """The lobby TV (it says Loket 5's calls), with sound, having said the calls up to `said_seq`: a page on since
    before the call, (re)connecting where it was (a replay; one started afresh after the call never said it)."""
    tv = await _hello(url, role="display", token=LOBBY, screen="lobby", last_seq=said_seq)
    await tv.send(json.dumps({"type": "health", "audio": "ready", "said_seq": said_seq, "speech_queue": 0}))
    return tv


async def _statuses(
    page: ClientConnection, until: str | None = None, seconds: float = 30, label: str | None = None
) -> list[str]:
    """The announcement statuses a counter page is told (of the ticket `label` only, when given: a notice about the
    ticket called before may still be on its way): the next one, or every one up to `until`."""
    said: list[str] = []
    async with asyncio.timeout(seconds):
        while not said or (until is not None and said[-1] != until):
            frame = json.loads(await page.recv())
            if frame.get("type") == "announcement" and frame.get("data"):
                if label is None or frame["data"]["label"] == label:
                    said.append(frame["data"]["status"])
    return said


async def _called_at_counter_5(s: Server) -> tuple[dict[str, str], int]:
    """F-001 called at Loket 5 (Polres) through `s`: the operator's headers, and the seq of the call."""
    await s.issue("skck")
    op = await s.login("op-polres")
    assert (await s.command(op, "5", "open")).status_code == 200
    assert (await s.command(op, "5", "call_next")).json()["ticket"]["label"] == "F-001"
    events = await s.ctx.storage.events_after("tegal", 0, 100_000)
    return op, next(e.seq for e in events if e.type == "ticket.called")


def _presence(s: Server) -> Any:
    return s.app.state.server.national.presence  # the process's sharing (application/presence.py)


async def _share_tv_report(s: Server, said_seq: int) -> None:
    """`s` shares its word once its registry holds the lobby TV's report of what it said: with its rounds stopped,
    a word shared before the TV's health frame was read here would lack it for good (a CI failure under load)."""

    def reported() -> bool:
        return any(d["screen"] == "lobby" and d["connected"] and d.get("said_seq") == said_seq
                   for d in s.ctx.devices.for_site("tegal"))  # fmt: skip

    await eventually(reported, "the TV's report read by the process it is connected to")
    await _presence(s).share()


@pytest.mark.postgresql
async def test_a_process_just_started_says_unknown_not_no_tv_while_the_tv_is_on_another(pg_cluster: str) -> None:
    """An outside review: a counter page on a process that had just started said "Tidak ada TV bersuara yang
    tersambung" for a few seconds while the lobby TV was connected to the other process, whose word it had not read
    yet. Until it has read the others' word twice since it started, it says nothing of the kind."""
    database = await new_database(pg_cluster)
    async with running_server(database) as b:
        op, call_seq = await _called_at_counter_5(b)
        await _presence(b).stop()  # b says nothing of its TV until the test lets it
        tv = await _tv(b.ws_url, call_seq)
        async with running_server(database) as a:
            page = await _hello(a.ws_url, role="counter", counter="5", token=op["Authorization"][7:])
            assert await _statuses(page) == ["unknown"], "not known yet: not 'no TV'"
            await _share_tv_report(b, call_seq)  # b's word, read by a at its next round
            said = await _statuses(page, until="announced")
            assert set(said) <= {"unknown", "announced"}, said
            await page.close()
        await tv.close()


@pytest.mark.postgresql
async def test_a_tv_that_leaves_a_process_for_another_is_not_said_gone_meanwhile(pg_cluster: str) -> None:
    """The lobby TV drops from process a and reconnects to process b: a does not know of it until b's word is read
    (b shares within a second, a reads every 5 s), and says "unknown" rather than "no TV" meanwhile, of a call made
    then (one the TV had said stays announced)."""
    database = await new_database(pg_cluster)
    async with running_server(database) as a, running_server(database) as b:
        await a.issue("skck")
        op, call_seq = await _called_at_counter_5(a)
        tv = await _tv(a.ws_url, call_seq)
        page = await _hello(a.ws_url, role="counter", counter="5", token=op["Authorization"][7:])
        await eventually(lambda: a.ctx.devices.knows_elsewhere("tegal", {"lobby"}), "a has read b's word twice")
        assert "announced" in await _statuses(page, until="announced")
        await _presence(b).stop()  # b's word about the TV comes when the test lets it
        await tv.close()
        for done in ("start", "finish"):
            assert (await a.command(op, "5", done)).status_code == 200
        assert (await a.command(op, "5", "call_next")).json()["ticket"]["label"] == "F-002"
        call_seq = a.ctx.seq("tegal")
        # F-001's notice may change meanwhile (its TV gone, it stays announced): only F-002's are read
        assert await _statuses(page, label="F-002") == ["unknown"], "it may be on another process: not 'no TV'"
        tv = await _tv(b.ws_url, call_seq)
        await _share_tv_report(b, call_seq)
        said = await _statuses(page, until="announced", label="F-002")
        assert set(said) <= {"unknown", "announced"}, said
        await page.close()
        await tv.close()


async def test_on_sqlite_a_counter_page_is_told_no_tv_at_once(tmp_path: Path) -> None:
    """One process knows every screen: "no TV" is said as soon as it is so, as before."""
    async with running_server(tmp_path / "q.sqlite3") as s:
        op, _ = await _called_at_counter_5(s)
        page = await _hello(s.ws_url, role="counter", counter="5", token=op["Authorization"][7:])
        assert await _statuses(page) == ["no_speaker"]
        await page.close()
