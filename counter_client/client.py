"""The counter client library: one operator at one counter, over the server's websocket.

    async with CounterClient("http://127.0.0.1:8000", "tegal", "1", username="op-disdukcapil",
                             password="...") as client:
        await client.open_counter()
        result = await client.call_next()          # CommandResult, or raises CommandRefused
        print(client.view.current["label"], client.view.waiting)

What it guarantees (see docs/counter-client.md):
- every command carries a fresh `command_id`; a command whose answer was lost with the connection is sent again
  with the SAME id after reconnecting, so the server applies it once, and the caller gets exactly one answer;
- reconnects by itself (exponential backoff with jitter) and resumes from its last `seq`: a replay of what it
  missed, or a fresh snapshot when it was away too long;
- answers the server's pings and sends its own, and drops a connection that has gone silent;
- doubts the link as soon as a command has had no answer for `answer_doubt` seconds: pings at once, says so
  (`doubtful`), and replaces a link that stays silent for `probe_timeout` more (a network that drops packets
  without a reset looks connected to TCP for a long time);
- tells every change of the counter it did not make (`news`, news.py): a colleague's, the same account's from
  another screen, the counter's state changed by another hand; never its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import json
import logging
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from . import http
from .news import News
from .state import CounterView
from .texts import t

log = logging.getLogger(__name__)


class Connection(enum.StrEnum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    REFUSED = "refused"  # the server refused this session: wrong account, counter or token; no more retries
    CLOSED = "closed"


class CounterError(Exception):
    """An answer from the server (or about it) with `code`, an Indonesian `message` and an English `message_en`."""

    def __init__(self, body: dict[str, Any]) -> None:
        super().__init__(body.get("message_en") or body.get("code"))
        self.body = body

    @property
    def code(self) -> str:
        return str(self.body.get("code"))

    @property
    def message(self) -> str:
        return str(self.body.get("message") or self.body.get("message_en") or self.code)

    @property
    def message_en(self) -> str:
        return str(self.body.get("message_en") or self.message)

    @property
    def details(self) -> dict[str, Any]:
        return dict(self.body.get("details") or {})


class CommandRefused(CounterError):
    """The rules or the rights refused a command; nothing changed (queue_empty, counter_paused, ...)."""


class SessionRefused(CounterError):
    """Signing in or following this counter was refused (bad_credentials, unknown_counter, not_your_agency)."""


class ClientClosed(CounterError):
    def __init__(self) -> None:
        super().__init__(
            {"code": "client_closed", "message": "Klien sudah ditutup.", "message_en": "The client was closed."}
        )


@dataclass(frozen=True)
class CommandResult:
    command: str
    command_id: str
    replayed: bool  # the server had already done it: this is its first answer again (a retry after a cut)
    body: dict[str, Any]
    received_at: float = 0.0  # time.perf_counter() when the answer arrived (before the picture caught up)

    @property
    def ticket(self) -> dict[str, Any] | None:
        """The ticket the command acted on (for a transfer: the old leg)."""
        return self.body.get("ticket")

    @property
    def current(self) -> dict[str, Any] | None:
        return self.body.get("current")


@dataclass
class Backoff:
    """Exponential backoff with jitter: a hall of counters that lost the server together does not come back in
    lockstep. The delay is uniform between half and all of initial * factor**attempt, capped at `maximum`."""

    initial: float = 0.5
    maximum: float = 15.0
    factor: float = 2.0
    attempt: int = 0

    def next(self) -> float:
        ceiling = min(self.maximum, self.initial * self.factor**self.attempt)
        self.attempt += 1
        return random.uniform(ceiling / 2, ceiling)

    def reset(self) -> None:
        self.attempt = 0


@dataclass
class _Pending:
    command_id: str
    text: str
    future: asyncio.Future[CommandResult]
    name: str


class _HelloRefused(Exception):
    def __init__(self, body: dict[str, Any]) -> None:
        super().__init__(body.get("code"))
        self.body = body


def websocket_url(server_url: str) -> str:
    parts = urlsplit(server_url.rstrip("/"))
    scheme = {"https": "wss", "wss": "wss"}.get(parts.scheme, "ws")
    return urlunsplit((scheme, parts.netloc, "/ws", "", ""))


@dataclass
class CounterClient:
    server_url: str
    site: str
    counter: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    ping_interval: float = 10.0
    ping_timeout: float = 30.0  # no frame at all for this long: the connection is dead even if TCP says not
    open_timeout: float = 10.0
    settle_timeout: float = 1.0
    answer_doubt: float = 3.0  # a command without an answer this long: ping at once, the link is in doubt
    probe_timeout: float = 5.0  # ... and nothing at all heard this long after that ping: the link is replaced
    backoff: Backoff = field(default_factory=Backoff)

    def __post_init__(self) -> None:
        self.server_url = self.server_url.rstrip("/")
        if (
            "://" not in self.server_url
        ):  # "192.168.1.10:8000" as typed from the supervisor's note: plain HTTP on the LAN
            self.server_url = f"http://{self.server_url}"
        self.ws_url = websocket_url(self.server_url)
        self.catalogue: dict[str, Any] = {}
        self.view = CounterView(self.site, self.counter, ())
        self.news = News(self.counter)  # what changed here that this client did not do (news.py)
        self.connection = Connection.CONNECTING
        self.retry_in = 0.0
        self.doubtful = False  # a command has had no answer for a while and the link has not been heard since
        self.refusal: dict[str, Any] | None = None  # why the server refused the session, if it did
        self.notice: dict[str, Any] | None = None  # the last error frame not tied to a command (too_slow ...)
        self.user: dict[str, Any] = {}
        self.connects = 0  # successful welcomes, for tests and the status line
        self.version = 0  # bumps on every change the screen should show
        self._pending: dict[str, _Pending] = {}
        self._listeners: list[Callable[[], None]] = []
        self._followers: list[Callable[[dict[str, Any], str | None], None]] = []
        self._tick = asyncio.Event()
        self._ws: ClientConnection | None = None
        self._live = False  # connected, welcomed, and every pending command re-sent
        self._task: asyncio.Task[None] | None = None
        self._closing = asyncio.Event()
        self._first_attempt = asyncio.Event()
        self._clock_offset = 0.0
        self._probes: set[asyncio.Task[None]] = set()  # link checks running, kept referenced until done
        # The site's configuration, followed as the page follows it: read again after a `site.configured` event or
        # a snapshot (which may stand for one); the newest read wins.
        self.removed = False  # the configuration no longer has this counter: said, and nothing more is sent
        self._config_reads = 0
        self._config_retry: asyncio.TimerHandle | None = None
        self._resyncing = False  # a snapshot asked for because this counter's services changed is on its way
        self._reconnect_now = False  # the link was dropped on purpose (a resync): no back-off before the next

    # --- life cycle -------------------------------------------------------------------------------------

    async def connect(self, wait: float | None = None) -> None:
        """Sign in (unless given a token), read the catalogue, and start following the counter.

        Waits for the first connection attempt: raises SessionRefused when the server refuses this counter or
        account; when the server is merely unreachable it returns and keeps retrying in the background.
        """
        if self.token is None:
            await self._login()
        try:
            self.catalogue = await http.catalogue(self.server_url, self.site)
        except http.HttpRefused as exc:
            raise SessionRefused(exc.body) from None
        counter = next((c for c in self.catalogue.get("counters", []) if c["id"] == self.counter), None)
        if counter is None:
            known = ", ".join(c["id"] for c in self.catalogue.get("counters", []))
            raise SessionRefused(
                {
                    "code": "unknown_counter",
                    "message": f"Loket '{self.counter}' tidak ada di {self.catalogue.get('name')}. Loket: {known}.",
                    "message_en": f"Counter '{self.counter}' does not exist at {self.catalogue.get('name')}. "
                    f"Counters: {known}.",
                }
            )
        self.view = CounterView(self.site, self.counter, tuple(counter["services"]))
        self.view.timezone = self.catalogue.get("timezone")
        self.view.me = str(self.user.get("name") or self.username) if (self.user or self.username) else None
        self._learn_my_name()
        self._task = asyncio.create_task(self._run(), name=f"counter-{self.site}-{self.counter}")
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(wait if wait is not None else self.open_timeout + 1):
                await self._first_attempt.wait()
        if self.refusal is not None:
            await self.aclose()
            raise SessionRefused(self.refusal)

    async def aclose(self) -> None:
        self._closing.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._config_retry is not None:
            self._config_retry.cancel()
        for task in list(self._probes):  # link checks and configuration reads: nothing left running after close
            task.cancel()
        self._fail_pending(ClientClosed())
        if self.connection is not Connection.REFUSED:
            self._set_connection(Connection.CLOSED)

    async def __aenter__(self) -> CounterClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # --- reading --------------------------------------------------------------------------------------

    def service_name(self, service_id: str) -> str:
        for service in self.catalogue.get("services", []):
            if service["id"] == service_id:
                return str(service["name"])
        return service_id

    @property
    def counter_name(self) -> str:
        for counter in self.catalogue.get("counters", []):
            if counter["id"] == self.counter:
                return str(counter["name"])
        return self.counter

    def transfer_targets(self) -> list[dict[str, Any]]:
        """Services a citizen can be sent on to: every service of the site except the current ticket's."""
        current = self.view.current
        return [s for s in self.catalogue.get("services", []) if not current or s["id"] != current["service"]]

    def server_now(self) -> float:
        """The server's clock (epoch seconds), so "served for 3 minutes" does not depend on this PC's clock."""
        return time.time() + self._clock_offset

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    @property
    def on_way(self) -> tuple[str, ...]:
        """The names of the commands waiting for their answer ("call_next", "pause")."""
        return tuple(p.name for p in self._pending.values())

    def follow(self, listener: Callable[[dict[str, Any], str | None], None]) -> Callable[[], None]:
        """Call `listener(frame, before)` with every new event once it is folded into `view` and weighed as `news`
        (`before`: the counter's ticket id before it), and with every snapshot (`before` None); returns an
        unsubscribe function. A message line that must stay true follows what each one changes (news.py)."""
        self._followers.append(listener)
        return lambda: self._followers.remove(listener)

    def _followed(self, frame: dict[str, Any], before: str | None) -> None:
        for listener in list(self._followers):
            listener(frame, before)

    def subscribe(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call `listener` after every change (state, connection, notice); returns an unsubscribe function."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    async def wait_for(self, predicate: Callable[[], bool], within: float = 5.0) -> None:
        """Wait until `predicate()` is true (re-checked after every change); TimeoutError otherwise."""
        async with asyncio.timeout(within):
            while not predicate():
                await self._tick.wait()

    # --- commands -------------------------------------------------------------------------------------

    async def command(self, name: str, **fields: Any) -> CommandResult:
        """Send one counter command and wait for its one answer, across reconnects if need be."""
        if self.connection is Connection.REFUSED and self.refusal is not None:
            raise SessionRefused(self.refusal)
        if self._closing.is_set():
            raise ClientClosed()
        command_id = uuid.uuid4().hex
        frame = {"type": "command", "command_id": command_id, "counter": self.counter, "command": name}
        frame.update({k: v for k, v in fields.items() if v is not None})
        future: asyncio.Future[CommandResult] = asyncio.get_running_loop().create_future()
        pending = _Pending(command_id, json.dumps(frame), future, name)
        self._pending[command_id] = pending
        self._changed()
        if self._live and self._ws is not None:
            with contextlib.suppress(ConnectionClosed):
                await self._ws.send(pending.text)  # if this fails, the reconnect sends it again
            self._watch_answer(command_id, self._ws)
        try:
            result = await future
        finally:
            # Given up by the caller (cancelled): forget it. Whatever the server did shows in the events.
            if self._pending.pop(command_id, None) is not None:
                self.news.answered(None, self.on_way)
                self._changed()
        await self._settle(result)
        return result

    async def open_counter(self) -> CommandResult:
        return await self.command("open")

    async def close_counter(self) -> CommandResult:
        return await self.command("close")

    async def pause(self) -> CommandResult:
        return await self.command("pause")

    async def resume(self) -> CommandResult:
        return await self.command("resume")

    async def call_next(self) -> CommandResult:
        return await self.command("call_next")

    async def call(self, ticket: str) -> CommandResult:
        """Call a waiting or no-show ticket out of order, by label ('A-012', 'a12') or id."""
        return await self.command("call", ticket=ticket)

    # `ticket` (optional) on a command for the counter's current ticket: that ticket as the caller saw it. When the
    # counter holds another one now (a colleague at the same counter acted first), the server refuses it
    # (`ticket_changed`, naming what changed) instead of acting on another citizen.

    async def recall(self, ticket: str | None = None) -> CommandResult:
        return await self.command("recall", ticket=ticket)

    async def start(self, ticket: str | None = None) -> CommandResult:
        """Service begins for the called ticket."""
        return await self.command("start", ticket=ticket)

    async def finish(self, ticket: str | None = None) -> CommandResult:
        return await self.command("finish", ticket=ticket)

    async def no_show(self, ticket: str | None = None) -> CommandResult:
        return await self.command("no_show", ticket=ticket)

    async def requeue(self, ticket: str) -> CommandResult:
        """A no-show who came back goes to the back of the queue."""
        return await self.command("requeue", ticket=ticket)

    async def transfer(self, target_service: str, note: str | None = None, ticket: str | None = None) -> CommandResult:
        """Send the current ticket on to another service (keeping its place in time), with a note (<= 200)."""
        note = (note or "").strip() or None
        return await self.command("transfer", target_service=target_service, note=note, ticket=ticket)

    async def park(self, note: str | None = None, ticket: str | None = None) -> CommandResult:
        """Set the current ticket aside (the citizen fetches a document), with a note (<= 200) of what to bring;
        the counter is free for the next citizen."""
        return await self.command("park", note=(note or "").strip() or None, ticket=ticket)

    async def unpark(self, ticket: str) -> CommandResult:
        """Call a parked ticket back to this counter, by label ('A-012', 'a12') or id."""
        return await self.command("unpark", ticket=ticket)

    async def _settle(self, result: CommandResult) -> None:
        """The answer and the event that shows it travel separately; wait (briefly) until the picture agrees with
        the answer, so a caller that reads `view` right after a command sees what it did."""
        counter = result.body.get("counter") or {}
        with contextlib.suppress(TimeoutError):
            await self.wait_for(
                lambda: self.view.state == counter.get("state") and self.view.current_id == counter.get("current"),
                self.settle_timeout,
            )

    # --- the connection -------------------------------------------------------------------------------

    async def _login(self) -> None:
        if not self.username or self.password is None:
            raise SessionRefused(
                {
                    "code": "unauthenticated",
                    "message": "Isi nama pengguna dan kata sandi.",
                    "message_en": "Give a username and a password.",
                }
            )
        try:
            session = await http.login(self.server_url, self.username, self.password)
        except http.HttpRefused as exc:
            raise SessionRefused(exc.body) from None
        self.token, self.user = session.token, session.user
        self.view.me = str(self.user.get("name") or self.username)
        self._learn_my_name()

    def _learn_my_name(self) -> None:
        """This account's person, as the login's answer names them (its `display_name`, as /api/v1/me does): the
        state line says it as the web page's header does, until the frames' `people` name the account anew."""
        if self.view.me and self.user.get("display_name"):
            self.view.learn({self.view.me: self.user["display_name"]})

    async def _relogin(self) -> bool:
        """True when signed in again; a wrong password now is final, an unreachable server is retried."""
        try:
            await self._login()
        except SessionRefused as exc:
            if exc.code == "bad_credentials":  # it signed in this morning: the account or its password changed since
                self._refused({"code": "session_ended", "message": t("session.ended", "id"),
                               "message_en": t("session.ended", "en")})  # fmt: skip
            elif exc.code != "unreachable":
                self._refused(exc.body)
            return False
        return True

    async def _run(self) -> None:
        relogged_at = -1  # the value of self.connects when we last signed in again
        while not self._closing.is_set():
            self._set_connection(Connection.CONNECTING)
            try:
                await self._session()
            except _HelloRefused as exc:
                if (
                    exc.body.get("code") == "unauthenticated"
                    and self.password is not None
                    and relogged_at != self.connects
                ):
                    relogged_at = self.connects  # the session expired: sign in again (once), then retry at once
                    if await self._relogin():
                        continue
                else:
                    self._refused(exc.body)
                    if exc.body.get("code") == "unknown_counter":  # removed while away? said as the page says it
                        self._read_configuration()
                    return
            except (OSError, TimeoutError, ConnectionClosed, InvalidHandshake, InvalidURI, ValueError) as exc:
                log.info("counter %s: connection lost (%s)", self.counter, exc)
            except Exception:  # a bug must not end the counter's connection for the rest of the day
                log.exception("counter %s: unexpected error; reconnecting", self.counter)
            finally:
                self._live = False
                self._ws = None
                self.doubtful = False
            if self._closing.is_set() or self.connection is Connection.REFUSED:
                return
            if self._reconnect_now:  # a resync: a fresh hello at once, with nothing to wait for
                self._reconnect_now = False
                continue
            self._first_attempt.set()  # connect() stops waiting: the server is away, we keep trying
            self.retry_in = self.backoff.next()
            self._set_connection(Connection.RECONNECTING)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.retry_in):
                    await self._closing.wait()

    async def _session(self) -> None:
        async with connect(
            self.ws_url,
            open_timeout=self.open_timeout,
            ping_interval=None,  # the protocol's own JSON pings, which the server also expects
            close_timeout=1,
            max_size=16 * 1024 * 1024,  # a snapshot of a busy day
            proxy=None,  # a counter talks to the server on its LAN, never through an HTTP proxy
            compression=None,
        ) as ws:
            hello: dict[str, Any] = {"type": "hello", "role": "counter", "site": self.site, "counter": self.counter}
            hello["token"] = self.token
            if self.view.seq:
                hello["last_seq"] = self.view.seq
            await ws.send(json.dumps(hello))
            async with asyncio.timeout(self.open_timeout):
                welcome = json.loads(await ws.recv())
            if welcome.get("type") == "error":
                raise _HelloRefused(welcome)
            if welcome.get("type") != "welcome":
                raise ValueError(f"expected welcome, got {welcome.get('type')!r}")
            server_time = datetime.fromisoformat(welcome["server_time"]).timestamp()
            self._clock_offset = server_time - time.time()
            self._ws = ws
            await self._resend_pending(ws)
            self._live = True
            self.connects += 1
            self.backoff.reset()
            self.notice = None
            self._set_connection(Connection.CONNECTED)
            if welcome.get("resume") == "replay":
                self._first_attempt.set()  # the picture we have stays valid; the replay brings it up to date
            heartbeat = asyncio.create_task(self._heartbeat(ws))
            try:
                async for text in ws:
                    self._last_heard = asyncio.get_running_loop().time()
                    if self.doubtful:  # heard again: the link works (the server was only slow to answer)
                        self.doubtful = False
                        self._changed()
                    await self._dispatch(ws, text)
            finally:
                heartbeat.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await heartbeat

    async def _resend_pending(self, ws: ClientConnection) -> None:
        """Commands whose answer never came go out again with their own command_id: done once, answered once.
        Replays and snapshots come first on the server's side, so the answers find the picture up to date."""
        sent: set[str] = set()
        while todo := [p for p in list(self._pending.values()) if p.command_id not in sent]:
            for pending in todo:
                sent.add(pending.command_id)
                await ws.send(pending.text)
                self._watch_answer(pending.command_id, ws)

    _last_heard = 0.0

    def _watch_answer(self, command_id: str, ws: ClientConnection) -> None:
        """A command sent on `ws` and still unanswered `answer_doubt` seconds later makes the link doubtful."""
        asyncio.get_running_loop().call_later(self.answer_doubt, self._doubt, command_id, ws)

    def _doubt(self, command_id: str, ws: ClientConnection) -> None:
        if command_id not in self._pending or self._ws is not ws or not self._live or self.doubtful:
            return
        log.info("counter %s: no answer for %.0f s; checking the connection", self.counter, self.answer_doubt)
        self.doubtful = True
        self._changed()
        heard = self._last_heard
        task = asyncio.create_task(self._probe(ws, heard))
        self._probes.add(task)
        task.add_done_callback(self._probes.discard)

    async def _probe(self, ws: ClientConnection, heard: float) -> None:
        """A ping at once (the server answers at once); nothing at all heard back within `probe_timeout`: the
        link is dropped, and the reconnect sends the unanswered commands again with their own command_id."""
        with contextlib.suppress(ConnectionClosed):
            await ws.send('{"type":"ping"}')
        await asyncio.sleep(self.probe_timeout)
        if self._ws is ws and self.doubtful and self._last_heard == heard:
            log.info("counter %s: nothing heard %.0f s after a ping; replacing the link", self.counter,
                     self.probe_timeout)  # fmt: skip
            ws.transport.abort()

    async def _heartbeat(self, ws: ClientConnection) -> None:
        loop = asyncio.get_running_loop()
        self._last_heard = loop.time()
        while True:
            await asyncio.sleep(self.ping_interval)
            if loop.time() - self._last_heard > self.ping_timeout:
                log.info("counter %s: no frame for %.0f s; dropping the connection", self.counter, self.ping_timeout)
                ws.transport.abort()  # a silent network would also hold up a polite close
                return
            with contextlib.suppress(ConnectionClosed):
                await ws.send('{"type":"ping"}')

    async def _dispatch(self, ws: ClientConnection, text: str | bytes) -> None:
        try:
            frame = json.loads(text)
        except ValueError:
            return
        if not isinstance(frame, dict):
            return
        kind = frame.get("type")
        if kind == "ping":
            with contextlib.suppress(ConnectionClosed):
                await ws.send(json.dumps({"type": "pong", "seq": self.view.seq}))
        elif kind == "snapshot":
            if not self._resyncing:  # it may stand for a `site.configured` this client never saw
                self._read_configuration()
            self._resyncing = False
            self.view.learn(frame.get("people"))  # who the snapshot names, by name: said again after a reconnect
            self.view.apply_snapshot(frame.get("data") or {}, int(frame.get("seq") or 0))
            self.news.snapshot(self.view)
            self._first_attempt.set()
            self._followed(frame, None)
            self._changed()
        elif kind == "command_result":
            pending = self._pending.pop(str(frame.get("command_id")), None)
            if pending is not None and not pending.future.done():
                result = CommandResult(
                    pending.name, pending.command_id, bool(frame.get("replayed")), frame["result"], time.perf_counter()
                )
                self.news.answered(result.body, self.on_way)  # before the caller hears it: it may say both
                pending.future.set_result(result)
        elif kind == "error":
            if frame.get("code") == "unknown_counter":  # removed meanwhile? the configuration says so
                self._read_configuration()
            pending = self._pending.pop(str(frame.get("command_id")), None) if frame.get("command_id") else None
            if pending is not None and not pending.future.done():
                self.news.answered(None, self.on_way)
                pending.future.set_exception(CommandRefused(frame))
            elif pending is None:
                self.notice = frame
                self._changed()
        elif kind in ("operators", "announcement") and frame.get("counter") == self.counter:
            if kind == "operators":
                self.view.at_counter([o for o in frame.get("operators") or [] if isinstance(o, dict)])
            else:
                self.view.heard = frame.get("data") if isinstance(frame.get("data"), dict) else None
            self._changed()
        elif isinstance(kind, str) and "." in kind:
            before = self.view.current_id
            self.view.learn(frame.get("people"))
            if self.view.apply_event(frame):
                if kind == "site.configured":
                    self._read_configuration()
                self.news.event(frame, before, self.view.me, self.on_way)
                self._followed(frame, before)
                self._changed()

    # --- the site's configuration ------------------------------------------------------------------------

    CONFIG_RETRY = 10.0  # seconds before reading the configuration again when the server could not be reached

    def _read_configuration(self) -> None:
        task = asyncio.create_task(self._reread_configuration())
        self._probes.add(task)
        task.add_done_callback(self._probes.discard)

    async def _reread_configuration(self) -> None:
        """Read the site's catalogue again (services renamed or added, this counter's services changed, the counter
        removed) and follow it, by the page's rule (static/counter.js, refreshConfig)."""
        self._config_reads += 1
        read = self._config_reads
        if self._config_retry is not None:
            self._config_retry.cancel()
            self._config_retry = None
        try:
            fresh = await http.catalogue(self.server_url, self.site)
        except http.HttpRefused as exc:
            if read == self._config_reads and not self._closing.is_set():
                log.info("counter %s: configuration not read (%s); trying again", self.counter, exc.code)
                self._config_retry = asyncio.get_running_loop().call_later(self.CONFIG_RETRY, self._read_configuration)
            return
        if read != self._config_reads or self._closing.is_set() or self.removed:
            return  # a newer read is on its way (or nothing to follow any more)
        self.apply_configuration(fresh)

    def apply_configuration(self, fresh: dict[str, Any]) -> None:
        """Follow the site's catalogue as read now. The server matched this connection's events to the services of
        its hello: a counter that serves other services now asks for a fresh snapshot of them (a new connection;
        commands on their way go again with their own id). A counter no longer there is said so, and nothing more
        is sent for it."""
        counter = next((c for c in fresh.get("counters", []) if c.get("id") == self.counter), None)
        if counter is None:
            self._counter_removed(fresh)
            return
        self.catalogue.clear()  # in place: the desk and the screen hold this dict
        self.catalogue.update(fresh)
        self.view.timezone = fresh.get("timezone") or self.view.timezone
        services = tuple(counter.get("services") or ())
        if services != self.view.services:
            self.view.services = services
            self._resync()
        self._changed()

    def _resync(self) -> None:
        """A fresh snapshot: a new connection whose hello has no last_seq."""
        self.view.seq = 0
        ws = self._ws
        if ws is None:
            return  # not connected: the next hello asks for a snapshot anyway
        self._resyncing = True
        self._reconnect_now = True
        ws.transport.abort()

    def _counter_removed(self, fresh: dict[str, Any]) -> None:
        """In the page's words: this counter no longer exists; the session stays refused, nothing more is sent."""
        self.removed = True
        site = fresh.get("name") or self.catalogue.get("name") or self.site
        values = {"counter": self.counter_name, "site": site}
        body = {"code": "unknown_counter"}
        for lang, key in (("id", "message"), ("en", "message_en")):
            body[key] = " ".join((t("removed.title", lang) + ".", t("removed.detail", lang, **values),
                                  t("removed.hint", lang)))  # fmt: skip
        self._refused(body)
        if self._ws is not None:
            self._ws.transport.abort()

    # --- bookkeeping ----------------------------------------------------------------------------------

    def _set_connection(self, state: Connection) -> None:
        self.connection = state
        self._changed()

    def _refused(self, body: dict[str, Any]) -> None:
        self.refusal = body
        self._set_connection(Connection.REFUSED)
        self._first_attempt.set()
        self._fail_pending(SessionRefused(body))

    def _fail_pending(self, error: CounterError) -> None:
        for pending in list(self._pending.values()):
            if not pending.future.done():
                pending.future.set_exception(error)
        if self._pending:
            self._pending.clear()
            self.news.answered(None)

    def _changed(self) -> None:
        self.version += 1
        tick, self._tick = self._tick, asyncio.Event()
        tick.set()
        for listener in list(self._listeners):
            listener()
