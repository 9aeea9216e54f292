"""The counter client library against a real server: a day at one counter, a race, cut connections, bad input."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from counter_client.client import Backoff, CommandRefused, Connection, CounterClient, SessionRefused
from counter_client.desk import Desk
from counter_client.news import ECHOES
from counter_client.screen import render

from .helpers import Server, bearer, eventually, running_server

PASSWORD = "demo-operator"


def client_for(url: str, counter: str = "1", username: str = "op-disdukcapil", **kwargs: Any) -> CounterClient:
    kwargs.setdefault("backoff", Backoff(initial=0.05, maximum=0.2))
    kwargs.setdefault("password", PASSWORD)
    return CounterClient(url, "tegal", counter, username=username, **kwargs)


@contextlib.asynccontextmanager
async def counter(url: str, counter_id: str = "1", **kwargs: Any) -> AsyncIterator[CounterClient]:
    client = client_for(url, counter_id, **kwargs)
    await client.connect()
    try:
        yield client
    finally:
        await client.aclose()


def called_events(server: Server, ticket_id: str) -> Any:
    async def count() -> int:
        events = await server.ctx.storage.events_after("tegal", 0, 100_000)
        return sum(1 for e in events if e.type == "ticket.called" and e.data["ticket"]["id"] == ticket_id)

    return count()


# --- a TCP proxy that can lose a connection at the worst moment ------------------------------------------


class CuttableProxy:
    """Forwards loopback TCP to the server. `blackhole_down` silently drops what the server sends (the answer is
    lost on the way), `blackhole_up` drops what the client sends, `refuse` closes new connections at once, and
    `cut()` drops every open connection, like a pulled cable followed by a switch noticing. `pause()` stops
    forwarding either way without closing anything, holding what was sent, and `resume()` delivers it late: a
    network that drops packets without a reset (a "black hole"), then comes back. `hold_up()` holds only what the
    client sends (a command on its way for as long as a test needs, while the server's frames still come), until
    `release_up()`."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.blackhole_down = False
        self.blackhole_up = False
        self.refuse = False
        self.up_bytes = 0
        self.writers: set[asyncio.StreamWriter] = set()
        self.tasks: set[asyncio.Task[None]] = set()
        self.server: asyncio.Server | None = None
        self.accepted = 0
        self.flowing = asyncio.Event()
        self.flowing.set()
        self.up_flowing = asyncio.Event()
        self.up_flowing.set()
        self.held_up_bytes = 0  # what the client sent while its direction was held

    async def __aenter__(self) -> CuttableProxy:
        self.server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        await self.cut()
        await self.server.wait_closed()

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        if self.refuse:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
            return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        self.writers |= {writer, up_writer}
        pumps = [
            asyncio.create_task(self._pump(reader, up_writer, upstream=True)),
            asyncio.create_task(self._pump(up_reader, writer, upstream=False)),
        ]
        self.tasks.update(pumps)
        await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        for w in (writer, up_writer):
            w.close()
        for task in pumps:
            task.cancel()
        for w in (writer, up_writer):
            with contextlib.suppress(OSError):
                await w.wait_closed()
            self.writers.discard(w)
        self.tasks.difference_update(pumps)

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, upstream: bool) -> None:
        with contextlib.suppress(OSError):
            while data := await reader.read(65536):
                await self.flowing.wait()  # paused: held, neither delivered nor lost
                if upstream and not self.up_flowing.is_set():
                    self.held_up_bytes += len(data)
                    await self.up_flowing.wait()
                if upstream:
                    if self.blackhole_up:
                        continue
                    self.up_bytes += len(data)
                elif self.blackhole_down:
                    continue
                writer.write(data)
                await writer.drain()

    def pause(self) -> None:
        self.flowing.clear()

    def resume(self) -> None:
        self.flowing.set()

    def hold_up(self) -> None:
        self.held_up_bytes = 0
        self.up_flowing.clear()

    def release_up(self) -> None:
        self.up_flowing.set()

    async def cut(self) -> None:
        for writer in list(self.writers):
            writer.transport.abort()
        await eventually(lambda: not self.writers, "the proxy's connections closed")


# --- a day at one counter ------------------------------------------------------------------------------


async def test_a_whole_day_at_one_counter(server: Server) -> None:
    tickets = [(await server.issue("ktp"))["ticket"] for _ in range(4)]
    async with counter(server.url) as client:
        assert client.connection is Connection.CONNECTED
        assert client.view.services == ("ktp",)
        assert client.view.waiting == {"ktp": 4}
        assert client.view.state == "closed"

        await client.open_counter()
        assert client.view.state == "open" and client.view.operator

        # call, recall, then the citizen does not come
        result = await client.call_next()
        assert result.ticket is not None and result.ticket["label"] == tickets[0]["label"] == "A-001"
        assert client.view.current is not None and client.view.current["label"] == "A-001"
        assert client.view.waiting == {"ktp": 3}
        await client.recall()
        assert client.view.current is not None and client.view.current["recalls"] == 1
        await client.no_show()
        assert client.view.current is None
        assert [t["label"] for t in client.view.no_shows] == ["A-001"]
        assert client.view.totals == {"done": 0, "no_show": 1, "transferred": 0}

        # the next one is served and transferred on to Polres with a note for the next counter
        await client.call_next()
        await client.start()
        assert client.view.current is not None and client.view.current["state"] == "serving"
        result = await client.transfer("skck", "Perlu SKCK untuk melamar kerja")
        assert result.ticket is not None and result.ticket["state"] == "transferred"
        assert client.view.current is None
        assert client.view.totals["transferred"] == 1
        state = server.ctx.state("tegal")
        leg = next(t for t in state.tickets.values() if t.parent == tickets[1]["id"])
        assert leg.service == "skck" and leg.note == "Perlu SKCK untuk melamar kerja" and leg.label == "A-002"

        # the late arrival came back: to the back of the queue, and later called by number out of order
        server.clock.advance(minutes=20)
        await client.requeue("A-001")
        assert client.view.no_shows == [] and client.view.waiting == {"ktp": 3}
        assert client.view.totals["no_show"] == 0, "the no-show is not counted once the citizen came back"
        result = await client.call("a4")
        assert result.ticket is not None and result.ticket["label"] == "A-004"
        await client.finish()  # straight from "called": service happened without pressing start
        assert client.view.totals == {"done": 1, "no_show": 0, "transferred": 1}

        # a break, then the rest of the queue in order: A-003 (came on time) before A-001 (requeued)
        await client.pause()
        assert client.view.state == "paused"
        await client.resume()
        for label in ("A-003", "A-001"):
            result = await client.call_next()
            assert result.ticket is not None and result.ticket["label"] == label
            await client.start()
            await client.finish()
        assert client.view.waiting == {"ktp": 0} and client.view.current is None
        assert client.view.totals == {"done": 3, "no_show": 0, "transferred": 1}
        await client.close_counter()
        assert client.view.state == "closed"
        seq = client.view.seq

    # the totals a fresh client gets from the server's snapshot agree with those kept from events
    async with counter(server.url) as again:
        assert again.view.seq == seq
        assert again.view.totals == {"done": 3, "no_show": 0, "transferred": 1}
        assert again.view.state == "closed" and again.view.waiting == {"ktp": 0}


async def test_the_client_follows_what_others_do_to_its_queue(server: Server) -> None:
    async with counter(server.url, "2") as client:
        await server.issue("ktp")
        await server.issue("kia")
        await server.issue("kk")  # not a service of Loket 2
        await client.wait_for(lambda: client.view.waiting == {"ktp": 1, "kia": 1})
        sup = await server.login("supervisor")
        await server.command(sup, "1", "open")
        await server.command(sup, "1", "call_next")  # Loket 1 takes the KTP ticket
        await client.wait_for(lambda: client.view.waiting == {"ktp": 0, "kia": 1})
        assert client.view.current is None, "another counter's call is not ours"
        await server.command(sup, "2", "open")  # a supervisor opens our counter for us
        await client.wait_for(lambda: client.view.state == "open")


# --- two counters, one ticket -----------------------------------------------------------------------------


async def test_two_counters_race_for_the_last_ticket(server: Server) -> None:
    last = (await server.issue("ktp"))["ticket"]
    async with counter(server.url, "1") as one, counter(server.url, "2") as two:
        await asyncio.gather(one.open_counter(), two.open_counter())
        outcomes = await asyncio.gather(one.call_next(), two.call_next(), return_exceptions=True)
        won = [o for o in outcomes if not isinstance(o, BaseException)]
        lost = [o for o in outcomes if isinstance(o, BaseException)]
        assert len(won) == 1 and len(lost) == 1
        assert won[0].ticket is not None and won[0].ticket["label"] == last["label"]
        refusal = lost[0]
        assert isinstance(refusal, CommandRefused) and refusal.code == "queue_empty"
        assert refusal.message.startswith("Tidak ada antrean yang menunggu untuk Loket")
        assert await called_events(server, last["id"]) == 1
        winner, loser = (one, two) if outcomes[0] is won[0] else (two, one)
        await loser.wait_for(lambda: loser.view.waiting == {"ktp": 0, "kia": 0} or loser.view.waiting == {"ktp": 0})
        assert winner.view.current is not None and loser.view.current is None

        # calling a number another counter already called gets a clear answer too
        another = (await server.issue("ktp"))["ticket"]
        await winner.finish()
        await winner.call(another["label"])
        with pytest.raises(CommandRefused) as refused:
            await loser.call(another["label"])
        assert refused.value.code == "already_called"
        where = "Loket 1" if winner is one else "Loket 2"  # where, by whom, when, and what to do
        assert refused.value.message == (f"{another['label']} sudah dipanggil di {where} oleh Operator Disdukcapil "
                                         "pukul 09.00. Panggil nomor lain atau panggil berikutnya.")  # fmt: skip
        assert refused.value.message_en == (f"{another['label']} has already been called at {where} by Operator "
                                            "Disdukcapil at 09:00. Call another number, or call next.")  # fmt: skip


# --- connections that break ------------------------------------------------------------------------------


async def test_connection_cut_after_call_next_went_through_calls_the_ticket_once(server: Server) -> None:
    ticket = (await server.issue("ktp"))["ticket"]
    await server.issue("ktp")
    port = int(server.url.rsplit(":", 1)[1])
    async with CuttableProxy(port) as proxy, counter(proxy.url) as client:
        await client.open_counter()
        proxy.blackhole_down = True  # the server's answer (and its event) will be lost on the way back
        pressed = asyncio.create_task(client.call_next())
        status = server.ctx.state("tegal").counters
        await eventually(lambda: status["1"].current is not None, "the server called a ticket")
        assert status["1"].current == ticket["id"], "the server called the ticket"
        assert not pressed.done(), "but the client never heard of it"
        await proxy.cut()
        proxy.blackhole_down = False
        result = await asyncio.wait_for(pressed, 10)
        assert result.replayed, "the retry got the first answer again"
        assert result.ticket is not None and result.ticket["id"] == ticket["id"]
        assert client.connects == 2
        assert client.view.current is not None and client.view.current["id"] == ticket["id"]
        assert client.view.waiting == {"ktp": 1}
        assert await called_events(server, ticket["id"]) == 1
        assert server.ctx.state("tegal").counters["1"].current == ticket["id"]


async def test_connection_cut_before_the_command_arrived_sends_it_once_after_reconnecting(server: Server) -> None:
    ticket = (await server.issue("ktp"))["ticket"]
    port = int(server.url.rsplit(":", 1)[1])
    async with CuttableProxy(port) as proxy, counter(proxy.url) as client:
        await client.open_counter()
        proxy.blackhole_up = True  # the frame never reaches the server
        pressed = asyncio.create_task(client.call_next())
        await asyncio.sleep(0.2)
        assert server.ctx.state("tegal").counters["1"].current is None
        proxy.blackhole_up = False
        await proxy.cut()
        result = await asyncio.wait_for(pressed, 10)
        assert not result.replayed and result.ticket is not None and result.ticket["id"] == ticket["id"]
        assert client.view.current is not None and client.view.current["id"] == ticket["id"]
        assert await called_events(server, ticket["id"]) == 1


async def test_a_client_away_for_a_while_catches_up_from_its_seq(server: Server) -> None:
    port = int(server.url.rsplit(":", 1)[1])
    async with CuttableProxy(port) as proxy, counter(proxy.url) as client:
        await server.issue("ktp")
        await client.wait_for(lambda: client.view.waiting == {"ktp": 1})
        proxy.refuse = True
        await proxy.cut()
        await client.wait_for(lambda: client.connection is Connection.RECONNECTING)
        missed = [(await server.issue("ktp"))["ticket"]["label"] for _ in range(3)]
        sup = await server.login("supervisor")
        await server.command(sup, "1", "open")
        await asyncio.sleep(0.3)  # a few refused attempts, backing off
        assert client.connection is not Connection.CONNECTED and proxy.accepted >= 3
        proxy.refuse = False
        await client.wait_for(lambda: client.connection is Connection.CONNECTED, 5)
        await client.wait_for(lambda: client.view.waiting == {"ktp": 4} and client.view.state == "open")
        assert client.view.seq == server.ctx.storage.last_seq
        assert missed == ["A-002", "A-003", "A-004"]


async def test_who_paused_the_counter_is_named_again_after_a_reconnect_and_a_colleague_s_opening_too(
    tmp_path: Path,
) -> None:
    """Left from the last session: the console named a colleague who paused the counter only from the `operators`
    notice of someone signed in here, and rebuilt its picture from a snapshot that named accounts only: after a
    reconnect it said "oleh sari", or nothing. The server's frames now name the person (`people`), the snapshot too,
    and the picture keeps who left the counter so and when. A colleague (over the API: never signed in here) pauses
    the counter; the client's link is cut while more happens than the server replays (a snapshot then), and the
    name and time are still said; her taking the counter back from the break is said by name (it was "Loket sekarang
    buka.")."""
    async with running_server(tmp_path / "queue.sqlite3", replay_limit=3) as server:
        await server.ctx.accounts.create_user(
            "sari", "kopi-hujan-sepeda-7", "operator", site="tegal", agency="disdukcapil", display_name="Sari Dewi"
        )
        sari = await server.login("sari", "kopi-hujan-sepeda-7")
        port = int(server.url.rsplit(":", 1)[1])
        snapshots: list[dict[str, Any]] = []
        async with CuttableProxy(port) as proxy, counter(proxy.url) as client:
            # the snapshots after the first (connect() waits for that one)
            client.follow(lambda frame, before: snapshots.append(frame) if frame["type"] == "snapshot" else None)
            assert (await server.command(sari, "1", "open")).status_code == 200
            await client.wait_for(lambda: bool(client.news.changes))
            assert client.news.changes[-1].words == "others.counter.open" and client.news.changes[-1].by == "sari"
            server.clock.advance(minutes=2)
            assert (await server.command(sari, "1", "pause")).status_code == 200
            await client.wait_for(lambda: client.view.left is not None)
            state, by, at = client.view.left  # type: ignore[misc]
            assert (state, by, client.view.person(by)) == ("paused", "sari", "Sari Dewi")
            assert "sari" not in {o["name"] for o in client.view.operators}, "named by the event, not a notice"
            assert _state_line(client).endswith("dijeda oleh Sari Dewi sejak 09.02")

            proxy.refuse = True
            await proxy.cut()
            await client.wait_for(lambda: client.connection is Connection.RECONNECTING)
            for _ in range(4):  # more than the server replays: the client starts over from a snapshot
                await server.issue("ktp")
            proxy.refuse = False
            await client.wait_for(lambda: client.connection is Connection.CONNECTED and bool(snapshots), 10)
            assert snapshots[-1]["people"] == {"sari": "Sari Dewi"}, "the snapshot names who it names"
            assert client.view.left == ("paused", "sari", at) and client.view.waiting["ktp"] == 4
            assert _state_line(client).endswith("dijeda oleh Sari Dewi sejak 09.02"), "said again after a reconnect"
            assert _state_line(client, "en").endswith("paused by Sari Dewi since 09:02")

            # a client started after the pause (nobody signed in to name her): named by the snapshot alone
            async with counter(server.url) as late:
                assert late.view.left == ("paused", "sari", at) and late.view.person("sari") == "Sari Dewi"

            # she takes the counter back from the break: by name and time, and it is hers now
            server.clock.advance(minutes=3)
            told = client.news.count
            assert (await server.command(sari, "1", "resume")).status_code == 200
            await client.wait_for(lambda: client.news.count > told and client.view.state == "open")
            resumed = client.news.changes[-1]
            assert (resumed.words, resumed.by, resumed.at) == ("others.counter.resumed", "sari", resumed.at)
            assert resumed.at is not None and resumed.at.startswith("2026-11-23T09:05")
            assert client.view.left is None and client.view.opener == "sari"
            assert _state_line(client).endswith("dibuka oleh Sari Dewi"), _state_line(client)


def _state_line(client: CounterClient, lang: str = "id") -> str:
    """The console's line of the counter's state, as its screen draws it (screen.render)."""
    lines = render(client, Desk(client.view, client.catalogue), lang, 120)
    return next(line.text for line in lines if line.text.startswith(("Loket:", "Counter:")))


async def test_pings_both_ways_keep_a_quiet_connection_and_drop_a_silent_one(tmp_path: Path) -> None:
    async with running_server(tmp_path / "db.sqlite3", ws_heartbeat_seconds=0.1, ws_timeout_seconds=1.0) as s:
        port = int(s.url.rsplit(":", 1)[1])
        async with CuttableProxy(port) as proxy:
            # answering the server's pings keeps it from closing a counter that has nothing to say
            async with counter(proxy.url, ping_interval=60) as quiet:
                await asyncio.sleep(1.5)
                assert quiet.connects == 1 and quiet.connection is Connection.CONNECTED
            # our own pings notice a connection where nothing comes back any more, and replace it
            async with counter(proxy.url, ping_interval=0.1, ping_timeout=0.5, open_timeout=1) as client:
                proxy.blackhole_down = True
                await client.wait_for(lambda: client.connection is not Connection.CONNECTED, 3)
                proxy.blackhole_down = False
                await client.wait_for(lambda: client.connects == 2, 5)
                assert client.connection is Connection.CONNECTED


async def test_a_network_gone_quiet_is_doubted_within_seconds_of_an_unanswered_command(server: Server) -> None:
    """An outside review: with packets dropped without a reset, the console said "Tersambung" for 30 s while a
    start sat unsent, and the start reached the server 30 s late (a 0-second service for a citizen at the desk for
    30 s). A command unanswered for `answer_doubt` seconds makes the client ping at once and say the link is in
    doubt; a link still silent `probe_timeout` later is replaced, and the command goes again on the new one (the
    server does it once, however late the old copy arrives)."""
    ticket = (await server.issue("ktp"))["ticket"]
    port = int(server.url.rsplit(":", 1)[1])
    # heartbeats far apart: what notices the silence here is the unanswered command, not the heartbeat
    async with CuttableProxy(port) as proxy, counter(proxy.url, ping_interval=300, ping_timeout=600) as client:
        await client.open_counter()
        await client.call_next()
        assert not client.doubtful
        proxy.pause()
        pressed = asyncio.create_task(client.start())
        await client.wait_for(lambda: client.doubtful, 20)
        assert client.connection is Connection.CONNECTED and not pressed.done()
        assert server.ctx.state("tegal").tickets[ticket["id"]].state.value == "called", "the start never arrived"
        await client.wait_for(lambda: client.connection is not Connection.CONNECTED, 20)  # replaced
        assert not client.doubtful and not pressed.done()
        proxy.resume()  # the old connection's start arrives late, and the new connection sends it again
        result = await asyncio.wait_for(pressed, 30)
        assert result.ticket is not None and result.ticket["state"] == "serving"
        assert client.connects >= 2 and client.connection is Connection.CONNECTED and not client.doubtful
        events = await server.ctx.storage.events_after("tegal", 0, 100_000)
        assert sum(1 for e in events if e.type == "ticket.started") == 1, "started once"


# --- bad input ---------------------------------------------------------------------------------------------


async def test_wrong_password_unknown_counter_and_someone_elses_counter_are_refused_clearly(server: Server) -> None:
    with pytest.raises(SessionRefused) as refused:
        await client_for(server.url, password="salah").connect()
    assert refused.value.code == "bad_credentials" and refused.value.message

    with pytest.raises(SessionRefused) as refused:
        await client_for(server.url, "99").connect()
    assert refused.value.code == "unknown_counter"
    assert refused.value.message.startswith("Loket '99' tidak ada di MPP Kabupaten Tegal")

    with pytest.raises(SessionRefused) as refused:
        await client_for(server.url, "1", username="op-polres").connect()
    assert refused.value.code == "not_your_agency"
    assert refused.value.message == "Loket atau tiket ini milik instansi lain; Anda tidak berwenang."

    with pytest.raises(SessionRefused) as refused:
        await CounterClient("http://127.0.0.1:9", "tegal", "1", username="x", password="y").connect()
    assert refused.value.code == "unreachable" and "tidak dapat dihubungi" in refused.value.message

    # an expired or revoked session token signs in again with the password it has, by itself
    client = client_for(server.url, token="s_expired_or_revoked")
    await client.connect()
    try:
        assert client.connection is Connection.CONNECTED and client.token != "s_expired_or_revoked"
    finally:
        await client.aclose()

    # ... and when that password no longer signs in, it says why and what to do, not "wrong password"
    client = client_for(server.url, token="s_expired_or_revoked", password="no-longer-the-password")
    try:
        with pytest.raises(SessionRefused) as refused:
            await client.connect()
        assert refused.value.code == "session_ended" and "Hubungi supervisor" in refused.value.message
        assert client.connection is Connection.REFUSED
    finally:
        await client.aclose()


async def test_commands_the_rules_refuse_come_back_in_indonesian_and_change_nothing(server: Server) -> None:
    async with counter(server.url, "1") as client:
        cases = [
            (client.call_next, "counter_closed", "Loket 1 tutup. Buka loket terlebih dahulu."),
            (client.open_counter, None, None),
            (client.call_next, "queue_empty", "Tidak ada antrean yang menunggu untuk Loket 1."),
            (client.finish, "no_current_ticket", "Loket 1 sedang tidak memanggil atau melayani tiket."),
            (client.pause, None, None),
            (
                client.call_next,
                "counter_paused",
                "Loket 1 dijeda oleh Operator Disdukcapil pukul 09.00. Lanjutkan loket terlebih dahulu.",
            ),
            (client.resume, None, None),
        ]
        for action, code, message in cases:
            if code is None:
                await action()
                continue
            seq = server.ctx.storage.last_seq
            with pytest.raises(CommandRefused) as refused:
                await action()
            assert (refused.value.code, refused.value.message) == (code, message)
            assert refused.value.message_en and refused.value.message_en != message
            assert server.ctx.storage.last_seq == seq, "a refused command changes nothing"

        kk = (await server.issue("kk"))["ticket"]
        with pytest.raises(CommandRefused) as refused:
            await client.call(kk["label"])
        assert refused.value.code == "not_served_here"
        await server.issue("ktp")
        await client.call_next()
        with pytest.raises(CommandRefused) as refused:
            await client.call_next()
        assert refused.value.code == "counter_busy" and refused.value.message == (
            "A-001 sudah dipanggil di Loket 1 oleh Operator Disdukcapil pukul 09.00. "
            "Selesaikan, alihkan, atau parkir A-001 terlebih dahulu."
        )
        with pytest.raises(CommandRefused) as refused:
            await client.transfer("ktp")
        assert refused.value.code == "same_service"
        with pytest.raises(CommandRefused) as refused:
            await client.transfer("skck", "x" * 201)
        # the note's own code and sentence (the page shows it under the note field), as docs/api.md lists it
        assert (refused.value.code, refused.value.message) == ("note_too_long", "Catatan paling panjang 200 karakter.")
        assert refused.value.details == {"field": "note"}
        with pytest.raises(CommandRefused) as refused:
            await client.park("x" * 201)
        assert refused.value.code == "note_too_long"
        with pytest.raises(CommandRefused) as refused:
            await client.requeue("A-001")
        assert refused.value.code == "not_no_show"
        with pytest.raises(CommandRefused) as refused:
            await client.requeue("F-001")
        assert refused.value.code == "unknown_ticket"
        assert client.view.current is not None and client.view.current["label"] == "A-001"


# --- two operators at one counter ------------------------------------------------------------------------------


async def test_the_operators_at_a_counter_are_named_as_their_accounts_are_now(server: Server) -> None:
    """A colleague's name is said as it is now: an operator renamed in Settings while signed in at a counter was
    named again by the old name (the one of their hello) as soon as someone else sat down there."""
    await server.ctx.accounts.create_user(
        "sari", "kopi-hujan-sepeda-7", "operator", site="tegal", agency="disdukcapil", display_name="Sari Dewi"
    )
    async with counter(server.url) as budi:
        await budi.wait_for(lambda: [o["name"] for o in budi.view.operators] == ["op-disdukcapil"])
        await server.ctx.accounts.change_user("op-disdukcapil", "operator", "disdukcapil", "Budi Santoso")
        async with counter(server.url, username="sari", password="kopi-hujan-sepeda-7") as sari:
            await sari.wait_for(lambda: {o["name"] for o in sari.view.operators} == {"op-disdukcapil", "sari"})
            said = {o["name"]: o["display_name"] for o in sari.view.operators}
            assert said == {"op-disdukcapil": "Budi Santoso", "sari": "Sari Dewi"}
            await budi.wait_for(lambda: {o["name"] for o in budi.view.operators} == {"op-disdukcapil", "sari"})
            assert {o["name"]: o["display_name"] for o in budi.view.operators} == said


async def test_two_operators_at_one_counter_see_each_other_and_never_undo_each_others_work(server: Server) -> None:
    """An outside review: budi pressed 0 (start B-001) and sari, 200 ms later, pressed 0 too: her press, decided
    from the new state, finished the citizen budi had just started; budi's screen still said "Mulai melayani
    B-001" with the ticket gone, and nobody said who finished it. Commands now name the ticket the operator saw; the
    server refuses one whose ticket changed, naming what changed and who; each side is told of the other's changes
    and who is signed in at the counter."""
    await server.ctx.accounts.create_user(
        "sari", "kopi-hujan-sepeda-7", "operator", site="tegal", agency="disdukcapil", display_name="Sari Dewi"
    )
    first = (await server.issue("ktp"))["ticket"]
    async with (
        counter(server.url) as budi,
        counter(server.url, username="sari", password="kopi-hujan-sepeda-7") as sari,
    ):
        await budi.wait_for(lambda: {o["name"] for o in budi.view.operators} == {"op-disdukcapil", "sari"})
        assert budi.view.person("sari") == "Sari Dewi"
        await budi.open_counter()
        await budi.call_next()
        await sari.wait_for(lambda: sari.view.current is not None)
        assert sari.view.by_others is not None and sari.view.by_others[1:] == (
            "ticket.called",
            "A-001",
            "op-disdukcapil",
        )

        await budi.start(ticket="A-001")
        with pytest.raises(CommandRefused) as refused:  # sari saw it called: her 0 is a start, not a finish
            await sari.start(ticket="A-001")
        assert refused.value.code == "already_serving" and refused.value.details["by"] == "op-disdukcapil"
        assert refused.value.message == (
            "A-001 sudah mulai dilayani di Loket 1 oleh Operator Disdukcapil pukul 09.00. Tidak perlu dimulai lagi."
        )
        assert server.ctx.state("tegal").tickets[first["id"]].state.value == "serving"

        await sari.finish(ticket="A-001")  # she means it: done, and budi is told by whom
        await budi.wait_for(lambda: budi.view.by_others is not None and budi.view.by_others[1] == "ticket.finished")
        assert budi.view.by_others[2:] == ("A-001", "sari") and budi.view.current is None
        with pytest.raises(CommandRefused) as refused:  # budi's "no-show" of the A-001 he still had in view
            await budi.no_show(ticket="A-001")
        assert refused.value.code == "ticket_changed"
        assert refused.value.message == (
            "A-001 sudah selesai dilayani di Loket 1 oleh Sari Dewi pukul 09.00. "
            "Tiket ini tidak lagi dapat ditandai tidak hadir."
        )
        assert refused.value.details == {"counter": "1", "ticket": first["id"], "found": "done", "by": "sari"}

        # an older client names no ticket: it acts on whatever the counter holds, as before
        await server.issue("ktp")
        await budi.call_next()
        await sari.wait_for(lambda: sari.view.current is not None)
        await sari.finish()
        # and over HTTP: the same field, the same 409; a ticket on a command that has no use for it is refused
        sup = await server.login("supervisor")
        answer = await server.command(sup, "1", "recall", ticket="A-002")
        assert answer.status_code == 409 and answer.json()["error"]["code"] == "ticket_changed"
        answer = await server.command(sup, "1", "call_next", ticket="A-002")
        assert answer.status_code == 422 and answer.json()["error"]["details"]["field"] == "ticket"

        await sari.aclose()  # sari leaves: who is at the counter follows
        await budi.wait_for(lambda: [o["name"] for o in budi.view.operators] == ["op-disdukcapil"])


async def test_this_account_s_changes_made_elsewhere_are_news_even_while_a_command_is_on_its_way(
    server: Server,
) -> None:
    """An outside review: the console said only other accounts' changes, so an operator with the page (or a phone)
    beside it heard nothing of a call or a break made there; and a change that came while the console's own command
    was on its way was not said at all. The library now tells every change of the counter this client did not make
    (`news`), its own never: a real server, the real websockets client, the same account over the API beside it,
    and a proxy holding this client's command on its way while the other device calls the next citizen."""
    for _ in range(3):
        await server.issue("ktp")
    port = int(server.url.rsplit(":", 1)[1])
    async with CuttableProxy(port) as proxy, counter(proxy.url, answer_doubt=120) as client:
        phone = await server.login("op-disdukcapil")  # the same account on another device
        assert (await server.command(phone, "1", "open")).status_code == 200
        await client.wait_for(lambda: client.news.count == 1, 20)
        assert [c.words for c in client.news.changes] == ["now.counter_open"]
        await client.call_next()  # A-001, then a no-show: this client's own, no news
        await client.no_show(ticket="A-001")
        assert client.news.count == 1

        proxy.hold_up()
        pressed = asyncio.create_task(client.call("A-001"))  # A-001 came back late: called back, on its way, held
        await eventually(lambda: proxy.held_up_bytes > 0, "the call held on its way")
        assert (await server.command(phone, "1", "call_next")).status_code == 200  # A-002, from the phone
        await client.wait_for(lambda: (client.view.current or {}).get("label") == "A-002", 20)
        assert client.busy and client.news.count == 1, "held: it might have been this client's call"
        proxy.release_up()
        with pytest.raises(CommandRefused):  # the counter has A-002 now
            await asyncio.wait_for(pressed, 30)
        assert [(c.words, c.ticket, c.by) for c in client.news.since(1)] == [("mine.ticket.called", "A-002", None)]

        # a change this client's command on its way cannot have made is told at once: a requeue starts nobody
        proxy.hold_up()
        pressed = asyncio.create_task(client.requeue("A-001"))
        await eventually(lambda: proxy.held_up_bytes > 0, "the requeue held on its way")
        assert (await server.command(phone, "1", "start")).status_code == 200
        await client.wait_for(lambda: client.news.count == 3, 20)
        assert client.busy, "told while the requeue still waits for its answer"
        proxy.release_up()
        result = await asyncio.wait_for(pressed, 30)
        assert result.ticket is not None and result.ticket["label"] == "A-001"
        for command in ("finish", "pause"):
            assert (await server.command(phone, "1", command)).status_code == 200
        await client.wait_for(lambda: client.news.count == 5, 20)
        assert [(c.words, c.ticket) for c in client.news.since(2)] == [
            ("mine.ticket.started", "A-002"),
            ("mine.ticket.finished", "A-002"),
            ("mine.counter.paused", None),  # this account's break from the phone, said with its time
        ]
        await client.resume()  # its own: no news
        assert client.view.state == "open" and client.news.count == 5


async def test_a_refusal_about_a_ticket_says_what_is_true_and_names_people_as_the_counter_page_does(
    server: Server,
) -> None:
    """An outside review: an operator of Disdukcapil sending start with F-001 (a Polres ticket the supervisor called
    at Loket 5) on Loket 1 was told "F-001 tidak lagi ditangani Loket 1 (kini dipanggil, oleh sup-tegal)", with that
    ticket's id: it never was at Loket 1, and another agency's work is not this counter's to read. And the sentences
    named the account ("oleh op-dukcapil") where the counter page shows the person. Over HTTP and the counter
    websocket alike."""
    await server.ctx.accounts.create_user(
        "budi", "kopi-hujan-sepeda-7", "operator", site="tegal", agency="disdukcapil", display_name="Budi Santoso"
    )
    police = (await server.issue("skck"))["ticket"]
    sup, op = await server.login("supervisor"), await server.login("op-disdukcapil")
    for command in ("open", "call_next"):
        r = await server.command(sup, "5", command)
        assert r.status_code == 200, r.text
    assert r.json()["ticket"]["label"] == "F-001"
    r = await server.command(op, "1", "open")
    assert r.status_code == 200, r.text
    never = "F-001 bukan nomor antrean yang ditangani Loket 1. Perintah tidak dijalankan."
    for named in ("F-001", "f1", police["id"]):
        r = await server.command(op, "1", "start", ticket=named)
        assert r.status_code == 409, r.text
        error = r.json()["error"]
        assert (error["code"], error["message"]) == ("ticket_changed", never), error
        assert error["message_en"] == "F-001 is not a ticket at Loket 1. Nothing was done."
        assert error["details"] == {"counter": "1"}, "nothing of the other agency's ticket: state, handler, id"
        assert (
            "Supervisor" not in r.text
            and "supervisor" not in r.text
            and (police["id"] not in r.text or named == police["id"])
        )
    async with (
        counter(server.url, "1") as operator,
        counter(server.url, "1", username="budi", password="kopi-hujan-sepeda-7") as budi,
    ):
        with pytest.raises(CommandRefused) as refused:
            await operator.start(ticket="F-001")
        assert (refused.value.code, refused.value.message, refused.value.details) == (
            "ticket_changed", never, {"counter": "1"})  # fmt: skip

        await server.issue("ktp")
        await budi.call_next()
        await budi.start(ticket="A-001")
        r = await server.command(op, "1", "start", ticket="A-001")  # a second start: the person who started it
        assert r.status_code == 409 and r.json()["error"]["code"] == "already_serving", r.text
        error = r.json()["error"]
        assert error["message"].startswith("A-001 sudah mulai dilayani di Loket 1 oleh Budi Santoso pukul "), error
        assert error["message_en"].startswith("A-001 is already being served at Loket 1 by Budi Santoso since "), error
        assert error["details"]["by"] == "budi", "the account stays in the details, for programs"
        with pytest.raises(CommandRefused) as refused:
            await operator.start(ticket="A-001")
        assert refused.value.code == "already_serving" and "oleh Budi Santoso pukul" in refused.value.message

        await budi.finish(ticket="A-001")
        r = await server.command(op, "1", "no_show", ticket="A-001")
        assert r.status_code == 409, r.text
        assert r.json()["error"]["message"] == (
            "A-001 sudah selesai dilayani di Loket 1 oleh Budi Santoso pukul 09.00. "
            "Tiket ini tidak lagi dapat ditandai tidak hadir."
        )
        with pytest.raises(CommandRefused) as refused:
            await operator.no_show(ticket="A-001")
        assert refused.value.message == r.json()["error"]["message"]
        assert refused.value.details == {"counter": "1", "ticket": r.json()["error"]["details"]["ticket"],
                                         "found": "done", "by": "budi"}  # fmt: skip


async def test_every_counter_command_a_colleague_overtook_is_refused_saying_what_happened_and_what_to_do(
    server: Server,
) -> None:
    """An outside review: a colleague had just started serving A-001 and the operator's recall answered "Tiket A-001
    berstatus sedang dilayani; untuk menjadi dipanggil statusnya harus salah satu dari: ...", the state machine's
    words. Every counter command a colleague's change overtook is now refused saying what happened (where, by whom,
    when, from the ticket as the server holds it) and what to do, under the same stable code. Two accounts over the
    real API, by turns: sari acts first, then the operator presses what his screen still showed."""
    await server.ctx.accounts.create_user(
        "sari", "kopi-hujan-sepeda-7", "operator", site="tegal", agency="disdukcapil", display_name="Sari Dewi"
    )
    sari, op = await server.login("sari", "kopi-hujan-sepeda-7"), await server.login("op-disdukcapil")

    async def refused(counter_id: str, command: str, code: str, message: str, **body: Any) -> dict[str, Any]:
        seq = server.ctx.storage.last_seq
        r = await server.command(op, counter_id, command, **body)
        assert r.status_code == 409, r.text
        error: dict[str, Any] = r.json()["error"]
        assert (error["code"], error["message"]) == (code, message), (command, error)
        assert error["message_en"] and "{" not in error["message_en"], error
        assert "berstatus" not in error["message"] and "harus salah satu" not in error["message"]
        assert server.ctx.storage.last_seq == seq, "a refused command changes nothing"
        return error

    async def colleague(counter_id: str, command: str, **body: Any) -> None:
        r = await server.command(sari, counter_id, command, **body)
        assert r.status_code == 200, r.text

    by_sari = "oleh Sari Dewi pukul 09.00."
    await colleague("1", "open")
    await refused(
        "1", "open", "counter_already_open", "Loket 1 sudah buka, dibuka oleh Sari Dewi. Tidak perlu dibuka lagi."
    )
    await colleague("1", "pause")
    await refused("1", "pause", "counter_paused",
                  f"Loket 1 sudah dijeda {by_sari} Tidak perlu dijeda lagi; lanjutkan loket bila ingin memanggil.")  # fmt: skip
    error = await refused(
        "1", "call_next", "counter_paused", f"Loket 1 dijeda {by_sari} Lanjutkan loket terlebih dahulu."
    )
    assert error["message_en"] == "Loket 1 was paused by Sari Dewi at 09:00. Resume the counter first."
    assert error["details"]["by"] == "sari" and error["details"]["at"].startswith(server.clock.now.isoformat()[:16])
    await colleague("1", "resume")
    error = await refused("1", "resume", "counter_already_open",
                          "Loket 1 sudah buka, dibuka oleh Sari Dewi. Tidak perlu dibuka lagi.")  # fmt: skip
    assert error["message_en"] == "Loket 1 is already open, opened by Sari Dewi. No need to open it again."
    assert error["details"] == {"counter": "1", "by": "sari"}

    first = (await server.issue("ktp"))["ticket"]
    await colleague("1", "call_next")
    busy = f"A-001 sudah dipanggil di Loket 1 {by_sari} Selesaikan, alihkan, atau parkir A-001 terlebih dahulu."
    for command in ("call_next", "pause"):
        await refused("1", command, "counter_busy", busy)
    await colleague("1", "start", ticket="A-001")
    await refused("1", "start", "already_serving",
                  f"A-001 sudah mulai dilayani di Loket 1 {by_sari} Tidak perlu dimulai lagi.", ticket="A-001")  # fmt: skip
    error = await refused("1", "recall", "illegal_transition",
                          f"A-001 sudah mulai dilayani di Loket 1 {by_sari} Tidak perlu dipanggil ulang.", ticket="A-001")  # fmt: skip
    assert error["message_en"] == (
        "A-001 is already being served at Loket 1 by Sari Dewi since 09:00. No need to call it again."
    )
    assert error["details"] == {"ticket": first["id"], "found": "serving", "by": "sari", "counter": "1",
                                "expected": ["called", "no_show", "parked", "waiting"]}  # fmt: skip
    await refused("1", "no_show", "illegal_transition",
                  f"A-001 sudah mulai dilayani di Loket 1 {by_sari} Tiket ini tidak lagi dapat ditandai tidak hadir.",
                  ticket="A-001")  # fmt: skip
    await refused("1", "close", "counter_busy",
                  f"A-001 sudah mulai dilayani di Loket 1 {by_sari} Selesaikan, alihkan, atau parkir A-001 terlebih dahulu.")  # fmt: skip
    await colleague("1", "finish", ticket="A-001")
    done = f"A-001 sudah selesai dilayani di Loket 1 {by_sari}"
    for command, advice, body in (
        ("finish", "Tidak ada yang perlu diselesaikan.", {}),
        ("recall", "Tidak perlu dipanggil ulang.", {}),
        ("park", "Tiket ini tidak lagi dapat diparkir dari loket ini.", {}),
        ("transfer", "Tiket ini tidak lagi dapat dialihkan dari loket ini.", {"target_service": "kk"}),
    ):
        await refused("1", command, "ticket_changed", f"{done} {advice}", ticket="A-001", **body)

    # a number called out of turn, called back, put back in the queue: by sari at Loket 2 a moment before
    await server.issue("ktp")
    await colleague("2", "open")
    await colleague("2", "call", ticket="A-002")
    await refused("1", "call", "already_called",
                  f"A-002 sudah dipanggil di Loket 2 {by_sari} Panggil nomor lain atau panggil berikutnya.", ticket="A-002")  # fmt: skip
    await colleague("2", "start")
    await refused("1", "call", "illegal_transition",
                  f"A-002 sudah mulai dilayani di Loket 2 {by_sari} Panggil nomor lain atau panggil berikutnya.", ticket="a2")  # fmt: skip
    await colleague("2", "park", ticket="A-002")
    await colleague("2", "unpark", ticket="A-002")
    await refused("1", "unpark", "not_parked",
                  f"A-002 sudah dipanggil di Loket 2 {by_sari} Tidak perlu dipanggil kembali.", ticket="A-002")  # fmt: skip
    await colleague("2", "no_show", ticket="A-002")
    await colleague("2", "requeue", ticket="A-002")
    await refused("1", "requeue", "not_no_show",
                  "A-002 sedang menunggu di antrean. Tidak perlu diantrekan ulang.", ticket="A-002")  # fmt: skip
    await colleague("2", "close")
    await refused("2", "close", "counter_already_closed", f"Loket 2 sudah ditutup {by_sari} Tidak perlu ditutup lagi.")
    await refused("2", "call_next", "counter_closed", f"Loket 2 ditutup {by_sari} Buka loket terlebih dahulu.")

    # A start pressed for a citizen at the desk whom a colleague has just marked absent (or parked) said "Tidak perlu
    # dimulai lagi." (an outside review): it was never started, and the citizen is there. It says how to serve them.
    await server.issue("ktp")
    await colleague("1", "call", ticket="A-003")
    await colleague("1", "no_show", ticket="A-003")
    error = await refused("1", "start", "ticket_changed",
                          f"A-003 sudah ditandai tidak hadir di Loket 1 {by_sari} Bila warganya ada di depan Anda, "
                          "panggil nomornya lagi (ketik nomornya lalu Enter), lalu mulai melayani.", ticket="A-003")  # fmt: skip
    assert error["message_en"].endswith(
        "If the citizen is in front of you, call their number again (type it, then Enter), then start."
    ), error
    await refused("1", "recall", "ticket_changed",
                  f"A-003 sudah ditandai tidak hadir di Loket 1 {by_sari} Bila warganya datang, panggil nomornya lagi "
                  "(ketik nomornya lalu Enter).", ticket="A-003")  # fmt: skip
    await refused("1", "finish", "ticket_changed",
                  f"A-003 sudah ditandai tidak hadir di Loket 1 {by_sari} Tidak ada yang perlu diselesaikan.",
                  ticket="A-003")  # fmt: skip
    await colleague("1", "call", ticket="A-003")
    await colleague("1", "park", ticket="A-003")
    await refused("1", "start", "ticket_changed",
                  f"A-003 sudah diparkir di Loket 1 {by_sari} Bila warganya sudah kembali, panggil kembali nomornya "
                  "(ketik nomornya lalu Enter), lalu mulai melayani.", ticket="A-003")  # fmt: skip


async def test_an_account_disabled_mid_shift_is_told_so_and_its_open_counter_is_a_supervisors_alert(
    server: Server,
) -> None:
    """An outside review disabled an operator mid-shift: the page said "Sesi Anda berakhir", the right password then
    said "Nama pengguna atau kata sandi salah" (so the operator kept retrying), the counter stayed open with its
    ticket called on every TV, and the dashboard raised nothing. Alone at the counter, it is closed at once (its
    called citizen back in the queue); with a colleague signed in at it, it stays in the colleague's hands, and once
    the colleague has gone it is the supervisor's alert."""
    for name in ("sari", "dewi"):
        await server.ctx.accounts.create_user(
            name, "kopi-hujan-sepeda-7", "operator", site="tegal", agency="disdukcapil", display_name=name.title()
        )
    await server.issue("ktp")
    admin, sup = await server.login("admin"), await server.login("supervisor")
    dashboard = "/api/v1/sites/tegal/dashboard"

    async def held() -> list[dict[str, Any]]:
        alerts = (await server.http.get(dashboard, headers=sup)).json()["alerts"]
        return [a for a in alerts if a["kind"] == "counter_held"]

    async with counter(server.url, username="sari", password="kopi-hujan-sepeda-7") as sari:
        await sari.open_counter()
        await sari.call_next()
        assert await held() == []
        old_session = str(sari.token)
        r = await server.http.patch("/api/v1/sites/tegal/accounts/sari", json={"active": False}, headers=admin)
        assert r.status_code == 200
        assert [(x["counter"], x["ticket"], x["parked"]) for x in r.json()["released"]] == [("1", "A-001", False)]
        # the session is told why, once, and the client does not try the password again in a loop
        await sari.wait_for(lambda: sari.connection is Connection.REFUSED, 20)
        assert sari.refusal is not None and sari.refusal["code"] == "account_disabled"
        assert sari.refusal["message"].startswith("Akun Anda dinonaktifkan — hubungi supervisor.")
        with pytest.raises(SessionRefused):
            await sari.recall()
    # signing in with the password still says only "wrong username or password": nobody learns which accounts exist
    r = await server.http.post("/api/v1/auth/login", json={"username": "sari", "password": "kopi-hujan-sepeda-7"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "bad_credentials"
    assert await held() == []  # closed, not held

    # dewi opens the counter and calls A-001 again; a colleague is signed in beside her when she is disabled
    async with counter(server.url, username="dewi", password="kopi-hujan-sepeda-7") as dewi:
        await dewi.open_counter()
        await dewi.call_next()
        async with counter(server.url) as colleague:
            await eventually(lambda: len(colleague.view.operators) == 2, "both are seen at the counter")
            r = await server.http.patch("/api/v1/sites/tegal/accounts/dewi", json={"active": False}, headers=admin)
            assert r.status_code == 200 and r.json()["released"] == []  # in the colleague's hands
            await eventually(lambda: _no(held), "no alert while a colleague is at the counter")
    await eventually(held, "the alert once the colleague has gone")
    [alert] = await held()
    assert alert["id"] == "counter_held:1" and alert["account"] == "dewi" and alert["ticket"] == "A-001"
    assert alert["message"].startswith("Loket 1 masih buka atas nama akun dewi yang sudah dinonaktifkan: A-001")
    assert (await server.command(sup, "1", "close")).status_code == 200  # the supervisor closes it
    await eventually(lambda: _no(held), "the alert cleared")
    # enabled again: the old session stays over, the password signs in
    await server.http.patch("/api/v1/sites/tegal/accounts/sari", json={"active": True}, headers=admin)
    assert (await server.http.get("/api/v1/me", headers=bearer(old_session))).status_code == 401
    await server.login("sari", "kopi-hujan-sepeda-7")


async def _no(found: Any) -> bool:
    return not await found()


async def test_every_command_makes_only_the_events_news_py_expects_of_it(server: Server) -> None:
    """news.py tells at once an event the command on its way cannot have made (ECHOES); an event a command made
    that the table did not expect would be said as made elsewhere. Every counter command, through the real server."""
    for _ in range(4):
        await server.issue("ktp")
    made: dict[str, set[str]] = {}
    async with counter(server.url) as client:

        async def run(name: str, **fields: Any) -> None:
            result = await client.command(name, **fields)
            made.setdefault(name, set()).update(result.body["events"])

        await run("open")
        await run("call_next")
        await run("recall")
        await run("finish")  # from called: started, then finished
        await run("call_next")
        await run("start")
        await run("park", note="Bawa KK")
        await run("unpark", ticket="A-002")
        await run("transfer", target_service="skck")
        await run("call_next")
        await run("no_show")
        await run("requeue", ticket="A-003")
        await run("call", ticket="A-004")
        await run("close")  # A-004 goes back to the queue
        await run("resume")  # a closed counter opens through "resume" as through "open"
        await run("pause")
    assert set(made) == set(ECHOES)
    for name, events in made.items():
        assert events <= ECHOES[name], name
    assert made["finish"] == {"ticket.started", "ticket.finished"} and made["close"] == ECHOES["close"]
