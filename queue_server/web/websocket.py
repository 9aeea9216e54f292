"""The one websocket endpoint (/ws) for every live client. The protocol is documented in docs/protocol.md.

Order of a connection: hello -> welcome -> (replay of missed events | snapshot) -> live events, never a seq twice.
The client is subscribed BEFORE the replay is read, so nothing committed in between is lost; duplicates between
the replay and the live queue are dropped by seq. A fresh snapshot may follow at any time (Hub.resync): after a
failed write, what a connection was given may hold what was never written.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from typing import Any

from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from queue_server.application import validation as v
from queue_server.application.actions import counter_command, public_status
from queue_server.application.auth import Principal, device_token_refusal, require
from queue_server.application.context import Context
from queue_server.application.desks import Seat
from queue_server.application.health import AUDIO_STATES, DeviceHealth
from queue_server.application.kiosk_view import kiosk_view
from queue_server.application.views import site_state_view
from queue_server.common import jsontext
from queue_server.domain.refusal import Refusal
from queue_server.live import wire, wsframes
from queue_server.live.hub import NOTICE, RESYNC, Follow, Subscription
from queue_server.pipeline.engine import StorageUnavailable
from queue_server.web.errors import error_frame
from queue_server.web.requests import server_of

log = logging.getLogger(__name__)

ROLES = ("display", "counter", "supervisor", "ticket", "kiosk", "desk")
HELLO_TIMEOUT = 10.0
CLOSE_TIMEOUT = 5.0  # at most this long (and at most ws_timeout_seconds) for a close frame to a stalled client
CLOSE_TOO_SLOW = 4008
CLOSE_HEARTBEAT = 4000
CLOSE_REFUSED = 4003
CLOSE_PROTOCOL = 4002


class Refused(Exception):
    """A hello refused: the error frame to send before closing."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.key)
        self.body = error_frame(refusal)


class Connection:
    def __init__(self, ws: WebSocket, ctx: Context, config: Any) -> None:
        self.ws = ws
        self.ctx = ctx
        self.config = config
        self.principal: Principal | None = None
        self.token: str | None = None  # the token the principal came from: checked again on every change
        self.hello: dict[str, Any] | None = None  # what it asked to follow: authorised again on every change
        self.follow: Follow | None = None
        self.sub: Subscription | None = None
        self.send_lock = asyncio.Lock()
        self.commands: set[asyncio.Task[None]] = set()  # running commands, kept referenced until done
        self.device: DeviceHealth | None = None

    @property
    def last_sent(self) -> int:
        """The last event seq this client was given; the subscription owns it (the hub may write directly)."""
        return self.sub.last_sent if self.sub is not None else 0

    @last_sent.setter
    def last_sent(self, seq: int) -> None:
        assert self.sub is not None
        self.sub.last_sent = seq

    async def send(self, message: dict[str, Any]) -> None:
        await self.send_text(wire.dumps(message))

    async def send_text(self, text: str) -> None:
        # A client that takes no frame for ws_timeout_seconds (its socket is full) is gone: the TimeoutError
        # (an OSError) ends the connection instead of blocking it, its heartbeat and its too_slow close forever.
        async with asyncio.timeout(self.config.ws_timeout_seconds), self.send_lock:
            await self.ws.send_text(text)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Send a close frame, waiting a bounded time for a client that has stopped reading."""
        with contextlib.suppress(Exception):
            async with asyncio.timeout(min(self.config.ws_timeout_seconds, CLOSE_TIMEOUT)):
                await self.ws.close(code, reason)

    async def run(self) -> None:
        await self.ws.accept()
        try:
            hello = await self._read_hello()
            self.follow, self.principal = await self._authorise(hello)
            if self.principal is not None:
                self.token = str(hello.get("token"))
                self.hello = hello
                self.ctx.accounts.connections.add(self)
        except Refused as exc:
            with contextlib.suppress(Exception):
                await self.send(exc.body)
            await self.close(CLOSE_REFUSED, exc.body["code"])
            return
        except TimeoutError:
            with contextlib.suppress(Exception):
                await self.send(error_frame(Refusal("hello_timeout", seconds=f"{HELLO_TIMEOUT:g}")))
            await self.close(CLOSE_PROTOCOL, "hello_timeout")
            return
        except WebSocketDisconnect:
            return
        hub = self.ctx.hub
        self.sub = hub.subscribe(self.follow)
        if hello.get("role") == "display" and self.principal is not None:
            client = hello.get("client") if isinstance(hello.get("client"), str) else None
            self.device = self.ctx.devices.connected(
                self.follow.site,
                "display",
                self.principal.name,
                self.principal.screen or hello.get("screen"),
                self.ctx.now(),
                client and client[:80],
                self.principal.id if self.principal.kind == "device" else None,
            )
        tasks: list[asyncio.Task[Any]] = []
        seat: tuple[str, str] | None = None  # (site, counter) this operator is signed in at
        try:
            await self._catch_up(hello)
            # Caught up: from now on the hub may write frames straight to this connection while nothing is queued.
            self.sub.direct = wsframes.frame_writer(self.ws.scope)
            if hello.get("role") == "counter" and self.principal is not None:
                seat = (self.follow.site, str(hello["counter"]))
                self._sit(seat)
            tasks = [
                asyncio.create_task(self._pump()),
                asyncio.create_task(self._receive()),
                asyncio.create_task(self._heartbeat()),
                asyncio.create_task(self._watch_overflow()),
            ]
            if self.principal is not None and self.principal.expires_at is not None:
                tasks.append(asyncio.create_task(self._session_end(self.principal.expires_at)))
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if (
                    not task.cancelled()
                    and task.exception()
                    and not isinstance(task.exception(), WebSocketDisconnect | RuntimeError | OSError)
                ):
                    log.error("websocket task failed", exc_info=task.exception())
        except (WebSocketDisconnect, RuntimeError, OSError):
            pass
        finally:
            self.ctx.accounts.connections.discard(self)
            hub.unsubscribe(self.sub)
            if seat is not None:
                self.ctx.desks.leave(*seat, id(self))
                self.ctx.desks.tell(hub, *seat)
            if self.device is not None:
                self.ctx.devices.disconnected(self.device, self.ctx.now())
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(BaseException):
                    await task
            if self.ws.application_state is WebSocketState.CONNECTED:
                await self.close()

    def _sit(self, seat: tuple[str, str]) -> None:
        """An operator's page or console follows the counter: its colleagues there hear who is signed in, and it hears
        at once who else is and whether its called ticket has been announced yet."""
        assert self.principal is not None
        self.ctx.desks.join(*seat, id(self), Seat(self.principal.name, self.principal.display_name))
        self.ctx.desks.tell(self.ctx.hub, *seat)
        heard = server_of(self.ws.app).heard
        if heard is not None:
            heard.joined(*seat)

    async def recheck(self) -> None:
        """A session, device, password or account changed somewhere: the hello is authorised again with what the
        token is now, and a connection it no longer allows ends, with the reason (a revoked TV, a signed-out or
        re-passworded operator, an operator moved to another agency, a regional account's sites narrowed)."""
        if self.token is None or self.hello is None:
            return
        try:
            await self._authorise(self.hello)
            return
        except Refused as exc:
            refusal = exc.body
        self.ctx.accounts.connections.discard(self)
        with contextlib.suppress(Exception):
            await self.send(refusal)
        await self.close(CLOSE_REFUSED, refusal["code"])

    async def _session_end(self, expires_at: datetime) -> None:
        """A signed-in connection ends with its session, not at the next change of credentials."""
        while True:
            await asyncio.sleep(max(1.0, (expires_at - datetime.now(UTC)).total_seconds()))
            await self.recheck()
            if self.ws.application_state is not WebSocketState.CONNECTED:
                return
            await asyncio.sleep(60)  # still signed in (a clock step): look again later

    # --- hello and authorisation ---------------------------------------------------------------------

    async def _read_hello(self) -> dict[str, Any]:
        message = await asyncio.wait_for(self.ws.receive(), HELLO_TIMEOUT)
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000))
        text = message.get("text")
        if text is None:  # a binary frame
            raise Refused(Refusal("bad_frame.binary"))
        try:
            hello = jsontext.loads(text)
        except (ValueError, RecursionError):  # not JSON, a lone surrogate, nested past 1,024 levels
            raise Refused(Refusal("bad_frame")) from None
        if not isinstance(hello, dict) or hello.get("type") != "hello":
            raise Refused(Refusal("hello_expected"))
        return hello

    async def _authorise(self, hello: dict[str, Any]) -> tuple[Follow, Principal | None]:
        try:
            v.only(
                hello,
                {"type", "role", "token", "site", "screen", "counter", "agency", "ticket", "last_seq", "client"}
                | {"dashboard"},
            )
            role = v.required_text(hello, "role", choices=ROLES)
            v.whole_number(hello, "last_seq")
            notices = v.boolean(hello, "dashboard")  # checked whatever the role; only a supervisor's counts
            if role == "ticket":
                token = v.required_text(hello, "ticket", max_len=64)
                ticket = await self.ctx.ticket_by_token(token)
                return Follow(ticket.site, wire.PUBLIC, services=frozenset({ticket.service}), token=token), None
            site_id = v.required_text(hello, "site", max_len=40)
            site = self.ctx.site(site_id)
            signed = v.text(hello, "token", required=False, max_len=200)
            principal = await self.ctx.accounts.authenticate(signed)
            if principal is None and signed is not None and signed.startswith("s_"):
                refusal = await self.ctx.accounts.why_refused(signed)  # "account disabled", said as such
                if refusal.code != "unauthenticated":
                    raise refusal
            if role == "kiosk":
                # A kiosk's own token only, the same refusals as its page's other calls (citizen/printing/routes.py):
                # unknown or revoked (said to the technician, with how to pair it again), another device's, another
                # mall's. Checked again at every change of credentials: a revoked kiosk's socket is closed at once.
                if principal is None:
                    raise device_token_refusal(signed)
                if principal.role != "kiosk":
                    raise Refusal("not_a_kiosk")
                if principal.site != site_id:
                    raise Refusal("wrong_site")
                return Follow(site_id, wire.KIOSK), principal
            if role == "desk":
                # The front-office desk (citizen/static/js/desk.js): whoever may issue tickets at this mall hears what
                # a kiosk hears, its view and nothing of any ticket, so a service paused or resumed, the day closed
                # or a new configuration reaches the desk at once, not at its next poll. Checked again at every
                # change of credentials: a signed-out desk's socket is closed at once.
                require(principal, "ticket.issue", site_id)
                return Follow(site_id, wire.KIOSK), principal
            if role == "display":
                screen_id = v.text(hello, "screen", required=False, max_len=40) or (principal and principal.screen)
                if principal is None and not (signed or "").startswith("s_"):
                    raise device_token_refusal(signed)  # said on a TV: what the technician does, not "sign in"
                require(principal, "display.follow", site_id)
                assert principal is not None
                if principal.role == "display" and screen_id != principal.screen:
                    raise Refusal("wrong_screen")
                screen = site.screens.get(screen_id or "")
                if screen is None:
                    raise Refusal(
                        "unknown_screen", screen=screen_id, site=site.name, details={"screens": sorted(site.screens)}
                    )
                services, counters = screen_scope(site, screen)
                return Follow(site_id, wire.PUBLIC, services, counters), principal
            if role == "counter":
                counter_id = v.required_text(hello, "counter", max_len=20)
                counter = self.ctx.counter(site, counter_id)
                require(principal, "counter.command", site_id, counter.agency)
                return Follow(site_id, wire.STAFF, frozenset(counter.services), frozenset({counter_id})), principal
            # supervisor; a dashboard ("dashboard": true) also gets notices: live figures and alerts
            agency_id = v.text(hello, "agency", required=False, max_len=40)
            if agency_id is None:
                require(principal, "site.follow", site_id)
                return Follow(site_id, wire.STAFF, notices=notices), principal
            if agency_id not in site.agencies:
                raise Refusal("unknown_agency", agency=agency_id, site=site.name)
            require(principal, "agency.follow", site_id, agency_id)
            services = frozenset(s.id for s in site.services.values() if s.agency == agency_id)
            counters = frozenset(c.id for c in site.counters.values() if c.agency == agency_id)
            return Follow(site_id, wire.STAFF, services, counters, notices=notices), principal
        except Refusal as exc:
            raise Refused(exc) from None

    # --- catching up --------------------------------------------------------------------------------

    async def _catch_up(self, hello: dict[str, Any]) -> None:
        assert self.follow is not None
        storage = self.ctx.storage
        last_seq = hello.get("last_seq")
        site_id = self.follow.site
        mode = "snapshot"
        head = self.ctx.seq(site_id)
        ahead = isinstance(last_seq, int) and last_seq > head  # it was served by a process ahead of this one
        # A citizen's phone opening a ticket another process issued a moment ago (found in the database by the
        # hello, not yet followed here): caught up first, so the snapshot has the ticket rather than nothing.
        unseen = self.follow.token is not None and self.follow.token not in self.ctx.state(site_id).by_token
        if ahead or (unseen and self.ctx.storage.shared):
            await self.ctx.catch_up(site_id)
            head = self.ctx.seq(site_id)
        # A kiosk always starts from its view (the snapshot): no event of the log is for it.
        if isinstance(last_seq, int) and 0 < last_seq <= head and self.follow.audience != wire.KIOSK:
            missed = await storage.count_events_after(site_id, last_seq, self.config.replay_limit + 1)
            if missed <= self.config.replay_limit:
                mode = "replay"
        await self.send(
            {
                "type": "welcome",
                "seq": head,
                "site": site_id,
                "resume": mode,
                "heartbeat_seconds": self.config.ws_heartbeat_seconds,
                "server_time": wire.local_iso(self.ctx.now(), self.ctx.sites.get(site_id)),
            }
        )
        if mode == "replay":
            assert isinstance(last_seq, int)
            self.last_sent = last_seq
            site = self.ctx.sites.get(site_id)
            while True:
                events = await storage.events_after(site_id, self.last_sent, 500)
                if not events:
                    break
                for event in events:
                    if self.follow.matches(event):
                        await self.send(wire.event_message(event, self.follow.audience, site, self.ctx.hub.people))
                    self.last_sent = event.seq
        else:
            self.last_sent = head
            if self.device is not None:  # a TV starting afresh: the calls in its snapshot are not said there
                self.device.heard_from = head
            await self.send(self._snapshot())

    def _snapshot(self) -> dict[str, Any]:
        assert self.follow is not None
        site_id = self.follow.site
        if self.follow.audience == wire.KIOSK:
            data = kiosk_view(self.ctx, site_id)
        elif self.follow.token is not None:
            state = self.ctx.state(site_id)
            ticket_id = state.by_token.get(self.follow.token)
            ticket = state.tickets.get(ticket_id) if ticket_id else None
            data = public_status(self.ctx, ticket) if ticket else {}
        else:
            services, counters = self.follow.services, self.follow.counters or frozenset()
            # The same rule as live events (Follow.matches), so a snapshot and a replay agree.
            calls_of = None if services is None else (lambda t: t.counter in counters or t.service in services)
            data = site_state_view(self.ctx, site_id, self.follow.audience, calls_of=calls_of)
            if services is not None:
                data["tickets"] = [t for t in data["tickets"] if t["service"] in services]
                data["counters"] = [c for c in data["counters"] if c["id"] in counters]
                data["waiting"] = {k: n for k, n in data["waiting"].items() if k in services}
        site = self.ctx.sites.get(site_id)
        snapshot = {
            "type": "snapshot",
            "seq": self.last_sent,
            "site": site_id,
            "at": wire.local_iso(self.ctx.now(), site),
            "data": data,
        }
        if self.follow.audience == wire.STAFF:  # who paused the counter, by name, also after a reconnect
            shown = data.get("counters") or []
            tickets = [*(data.get("tickets") or []), *(c.get("ticket") for c in shown if isinstance(c, dict))]
            named = wire.accounts_named(tickets, shown)
            if named:
                snapshot["people"] = self.ctx.accounts.names(named)
        return snapshot

    # --- the running connection ---------------------------------------------------------------------

    async def _pump(self) -> None:
        sub = self.sub
        assert sub is not None
        while True:
            sub.pumping = False
            batch = await sub.queue.get()
            sub.pumping = True  # in the same step as the get: no direct write can overtake this batch
            for seq, text in batch:
                if seq == NOTICE:  # not in the log: sent as it comes, and no seq is consumed
                    await self.send_text(text)
                    continue
                if seq == RESYNC:
                    await self._snapshot_again(int(text))
                    continue
                if seq <= self.last_sent:
                    continue  # already sent in the replay
                self.last_sent = seq
                await self.send_text(text)

    async def _snapshot_again(self, head: int) -> None:
        """A fresh snapshot in place of what this connection shows: the state it was given (its snapshot, a notice)
        may have held a command whose write then failed, and the engine has read the state back from the database
        since. Its seq is the site's as the marker was queued (`head`), not as it is sent: an event committed in
        between is queued behind the marker and is still sent after the snapshot (events are absolute, so one the
        snapshot already shows changes nothing; a call is still said by the TVs, which say no call of a snapshot)."""
        assert self.follow is not None
        self.last_sent = max(self.last_sent, head)
        await self.send(self._snapshot())

    async def _watch_overflow(self) -> None:
        assert self.sub is not None
        await self.sub.overflowed.wait()
        with contextlib.suppress(Exception):
            await self.send(error_frame(Refusal("too_slow"), last_seq=self.last_sent))
        await self.close(CLOSE_TOO_SLOW, "too slow; reconnect with last_seq")

    async def _heartbeat(self) -> None:
        interval = self.config.ws_heartbeat_seconds
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(interval)
            if loop.time() - self.last_heard > self.config.ws_timeout_seconds:
                await self.close(CLOSE_HEARTBEAT, "no heartbeat")
                return
            await self.ping()

    async def ping(self) -> None:
        """The heartbeat's ping, with the seq sent so far. On a full socket it waits (uvicorn's send waits while the
        buffer is over its high-water mark) and events the hub writes directly meanwhile go ahead of it: it then
        arrives after them with an older seq, still a valid resume point (a client keeps the highest it has)."""
        await self.send({"type": "ping", "seq": self.last_sent})

    last_heard = 0.0

    async def _receive(self) -> None:
        loop = asyncio.get_running_loop()
        self.last_heard = loop.time()
        while True:
            message = await self.ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            self.last_heard = loop.time()
            text = message.get("text")
            if text is None:
                await self.send(error_frame(Refusal("bad_frame.binary")))
                continue
            try:
                frame = jsontext.loads(text)
            except (ValueError, RecursionError):  # as in the hello
                await self.send(error_frame(Refusal("bad_frame")))
                continue
            if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
                await self.send(error_frame(Refusal("bad_frame.no_type")))
                continue
            kind = frame["type"]
            if kind == "ping":
                await self.send({"type": "pong", "seq": self.last_sent})
            elif kind == "health":
                try:  # as strict as the hello: a screen that reports nonsense is told so
                    v.only(frame, {"type", "audio", "last_call_seq", "last_call_label", "said_seq", "speech_queue"})
                    audio = v.text(frame, "audio", required=False, choices=AUDIO_STATES)
                    last_call_seq = v.whole_number(frame, "last_call_seq")
                    last_call_label = v.text(frame, "last_call_label", required=False, max_len=16)
                    said_seq = v.whole_number(frame, "said_seq")
                    speech_queue = v.whole_number(frame, "speech_queue")
                except Refusal as refusal:
                    await self.send(error_frame(refusal))
                    continue
                if self.device is not None:
                    self.ctx.devices.report(
                        self.device, self.ctx.now(), audio, last_call_seq, last_call_label, said_seq, speech_queue
                    )
            elif kind == "pong":
                continue
            elif kind == "command":
                task = asyncio.create_task(self._command(frame))
                self.commands.add(task)
                task.add_done_callback(self.commands.discard)
            else:
                await self.send(error_frame(Refusal("unknown_type", kind=kind[:40])))

    async def _command(self, frame: dict[str, Any]) -> None:
        command_id = frame.get("command_id") if isinstance(frame.get("command_id"), str) else None
        try:
            reply = await self._carry_out(frame, command_id)
        except (WebSocketDisconnect, RuntimeError):
            return  # the client is gone; a retry with the same command_id will get the stored answer
        except Refusal as exc:  # StorageUnavailable included
            server_of(self.ws.app).metrics.refused(exc.code)
            reply = error_frame(exc, command_id=command_id)
        except Exception as exc:
            if self.ctx.storage.unavailable(exc):  # the token looked up while PostgreSQL restarts, as on HTTP
                # Before, this was internal_error (a refused connection) or no answer at all (the socket of a
                # stopped PostgreSQL missing, an OSError taken for the client gone): the operator's retry waited.
                log.warning("database unavailable for a counter command (%s: %s)", type(exc).__name__, exc)
                refusal: Refusal = StorageUnavailable(f"{type(exc).__name__}: {exc}")
                server_of(self.ws.app).metrics.refused(refusal.code)
            elif isinstance(exc, OSError):
                return  # the client is gone
            else:
                log.exception("command failed")
                refusal = Refusal("internal_error")
            reply = error_frame(refusal, command_id=command_id)
        with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
            await self.send(reply)

    async def _carry_out(self, frame: dict[str, Any], command_id: str | None) -> dict[str, Any]:
        """A counter command, authorised afresh: its command_result."""
        assert self.follow is not None
        counter_id = frame.get("counter")
        followed = self.follow.counters or frozenset()
        if not isinstance(counter_id, str) or counter_id not in followed:
            raise Refusal("not_your_counter")
        v.command_id(frame, required=True)
        # Authorised afresh (from the principal cache): a session ended since the hello commands nothing.
        principal = await self.ctx.accounts.authenticate(self.token) if self.token is not None else None
        if principal is None:
            await self.recheck()
            raise await self.ctx.accounts.why_refused(self.token)
        outcome = await counter_command(self.ctx, principal, self.follow.site, counter_id, frame)
        return {
            "type": "command_result",
            "command_id": command_id,
            "ok": True,
            "replayed": outcome.replayed,
            "result": outcome.body,
        }


def screen_scope(site: Any, screen: Any) -> tuple[frozenset[str] | None, frozenset[str] | None]:
    """A screen shows its agencies and zones; an unfiltered screen shows the whole site."""
    if not screen.agencies and not screen.zones:
        return None, None
    counters = {c.id for c in site.counters.values() if c.agency in screen.agencies or c.zone in screen.zones}
    services = {s.id for s in site.services.values() if s.agency in screen.agencies}
    services |= {s for c in site.counters.values() if c.id in counters for s in c.services}
    return frozenset(services), frozenset(counters)


async def websocket_endpoint(ws: WebSocket) -> None:
    server = server_of(ws.app)
    assert server.ctx is not None, "connections are served only after start-up"
    await Connection(ws, server.ctx, server.config).run()


WS_ROUTES = [WebSocketRoute("/ws", websocket_endpoint)]
