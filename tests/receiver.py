"""A real HTTP receiver on 127.0.0.1 for webhook and gateway tests: a threaded http.server that records every
request, and can be down (not listening), slow or hanging (`delay`), or answer an error (a 429 with `retry_after`).
And the demo mall with its WhatsApp gateway at such a receiver (`notify_site`), served (`notify_server`)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, nullcontext
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from queue_server.settings.sitefile import DEMO_SITE

from .helpers import Server, free_socket, running_server, ticking


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() when it was answered

    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    """`start()` listens (again, on the same port); `stop()` stops listening, so deliveries fail to connect."""

    def __init__(self) -> None:
        sock = free_socket()
        self.port = sock.getsockname()[1]
        sock.close()
        self.url = f"http://127.0.0.1:{self.port}"
        self.requests: list[Received] = []
        self.delay = 0.0  # seconds before each answer
        # While set to an Event not yet set, each POST waits for it before answering (a receiver that answers nothing
        # until the test lets it: what happens meanwhile is asserted on, not on how fast); set when it stops.
        self.hold: threading.Event | None = None
        self.status = 200
        # sent as Retry-After with an error answer (a function: made when answering, e.g. an HTTP date from now)
        self.retry_after: str | Callable[[], str] | None = None
        self.started_requests = 0
        self.refused: list[float] = []  # time.monotonic() of each error answer
        self.heads: list[Received] = []  # HEAD requests (a paused gateway probed without a message)
        self.head_status = 405  # as a gateway's sending address answers anything but a POST
        # Every request as it arrives, in order: ("HEAD", None) or ("POST", its Idempotency-Key)
        self.arrivals: list[tuple[str, str | None]] = []
        # (delay, status) for one POST's body, instead of `delay` and `status` (a gateway slow for some numbers only)
        self.answer: Callable[[bytes], tuple[float, int]] | None = None
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver._lock:
                    receiver.started_requests += 1
                    receiver.arrivals.append(("POST", self.headers.get("Idempotency-Key")))
                delay, status = receiver.answer(body) if receiver.answer else (receiver.delay, receiver.status)
                if delay:
                    time.sleep(delay)
                if receiver.hold is not None:
                    receiver.hold.wait()
                with receiver._lock:
                    if status < 300:  # an error answer is not a delivery
                        receiver.requests.append(Received(self.path, dict(self.headers), body, time.monotonic()))
                    else:
                        receiver.refused.append(time.monotonic())
                self.send_response(status)
                if status >= 300 and receiver.retry_after is not None:
                    wait = receiver.retry_after
                    self.send_header("Retry-After", wait() if callable(wait) else wait)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def do_HEAD(self) -> None:  # noqa: N802 - http.server's name
                with receiver._lock:
                    receiver.heads.append(Received(self.path, dict(self.headers), b"", time.monotonic()))
                    receiver.arrivals.append(("HEAD", None))
                self.send_response(receiver.head_status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self.hold is not None:
            self.hold.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def bodies(self, path: str | None = None) -> list[Any]:
        with self._lock:
            return [r.json() for r in self.requests if path is None or r.path == path]

    def __enter__(self) -> Receiver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def notify_site(tmp_path: Path, receiver: Receiver, people_ahead: int = 2) -> Path:
    """The demo mall with a WhatsApp gateway at the receiver (its token from the environment, as documented: the
    test sets TEST_GATEWAY_TOKEN)."""
    path = tmp_path / "tegal_notify.toml"
    path.write_text(
        DEMO_SITE.read_text()
        + f"""
[notify]
public_url = "http://antrean.mpp.test"
people_ahead = {people_ahead}

[notify.gateway]
url = "{receiver.url}/send"
headers = {{ Authorization = "Bearer ${{TEST_GATEWAY_TOKEN}}" }}
body = {{ target = "{{phone}}", message = "{{text}}", ref = "{{message_id}}" }}
"""
    )
    return path


@asynccontextmanager
async def notify_server(
    database: Path | str,
    tmp_path: Path,
    gateway: Receiver,
    *,
    people_ahead: int = 2,
    tick: bool = True,
    **settings: Any,
) -> AsyncIterator[Server]:
    """A running server (helpers.running_server, `settings` passed on) for the demo mall with messages on, its
    gateway at `gateway` (listening or not, as the test set it up: `notify_site`), and the server's clock running
    with the machine's (`ticking`: retries and breakers' pauses fall due), unless `tick` is False (a test that
    moves the clock itself, or reads a time the server said)."""
    site = notify_site(tmp_path, gateway, people_ahead)
    async with (
        running_server(database, site_files=[site], **settings) as server,
        ticking(server.clock) if tick else nullcontext(),
    ):
        yield server
