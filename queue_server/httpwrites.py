"""One write per HTTP response instead of two.

uvicorn's httptools protocol writes a response's status line and headers when the app sends
`http.response.start`, and the body when it sends `http.response.body`: two `write` system calls and two TCP
segments for every answer, the second of which wakes the client again. Issuing a ticket spends ~17 % of the
event loop's time in those writes; holding the head back and writing it with the first piece of the body was
+4 to +7 % tickets/s in back-to-back runs (docs/benchmarks.md).

Everything else stays uvicorn's: parsing, keep-alive, pipelining, flow control, errors. The head is held only
when the start message is sent while writing is not paused, because only then does uvicorn write it without
waiting (nothing else can write in between). Whatever ends the response writes what is held first: the body,
the end of a HEAD response, or uvicorn closing the connection after an error.
"""

from __future__ import annotations

from typing import Any

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - httptools missing: uvicorn's h11 protocol, two writes
    OneWriteHttpProtocol: Any = None
else:

    class _HeadHolder:
        """The transport as one response cycle sees it: holds the head until the next write or close."""

        __slots__ = ("_transport", "held", "hold_next")

        def __init__(self, transport: Any) -> None:
            self._transport = transport
            self.held = b""
            self.hold_next = False

        def write(self, data: bytes) -> None:
            if self.hold_next:
                self.hold_next = False
                self.held = data
                return
            if self.held:
                data, self.held = self.held + data, b""
            self._transport.write(data)

        def flush(self) -> None:
            if self.held:
                data, self.held = self.held, b""
                self._transport.write(data)

        def close(self) -> None:
            self.flush()
            self._transport.close()

        def __getattr__(self, name: str) -> Any:  # is_closing, get_extra_info ...: the real transport's
            return getattr(self._transport, name)

    class OneWriteHttpProtocol(HttpToolsProtocol):  # type: ignore[no-redef]
        """uvicorn's httptools protocol, writing each response's head together with its body."""

        def _start_asgi_task(self, cycle: Any, app: Any) -> None:
            holder = _HeadHolder(cycle.transport)
            cycle.transport = holder
            send = cycle.send  # uvicorn's, bound to the cycle

            async def send_holding_the_head(message: Any) -> None:
                if message["type"] == "http.response.start" and not cycle.response_started:
                    holder.hold_next = not cycle.flow.write_paused  # paused: uvicorn waits first, so no holding
                    try:
                        await send(message)
                    finally:
                        holder.hold_next = False
                    return
                await send(message)
                if cycle.response_complete:
                    holder.flush()  # a HEAD response, or an empty chunked body, wrote nothing after the head

            cycle.send = send_holding_the_head
            super()._start_asgi_task(cycle, app)
