"""One encoded frame, written to many websocket connections.

Every lobby display gets the same bytes for a call. Sent the ASGI way, each display costs a task wake-up, three
layers of ASGI wrappers and the framing of the same text again (~50-65 us of event-loop time per display and
frame; 1,000 displays then need ~60 ms per frame). So the server runs uvicorn's own sans-I/O websocket protocol
with one addition: an ASGI scope extension whose `write` puts an already framed message on the connection's
transport. The hub frames each message once (with the websockets library) and writes the same bytes to every
display that is caught up (docs/architecture.md, "Fan-out").

Everything else (handshake, reading, pings, close) stays uvicorn's. Without this protocol (another ASGI server,
or permessage-deflate switched on) the extension is absent and the hub sends through ASGI as before.
"""

from __future__ import annotations

from typing import Any

from websockets.frames import Frame, Opcode

# The scope extension: {"write": Callable[[bytes], int]}; see FrameWriterProtocol.write_frames.
EXTENSION = "queue_server.frames"


def encode_text(text: str) -> bytes:
    """A complete, unfragmented, unmasked text frame (what a server sends), as RFC 6455 lays it out."""
    return Frame(Opcode.TEXT, text.encode()).serialize(mask=False)


def frame_writer(scope: Any) -> Any:
    """The connection's direct frame writer, or None when the server does not offer one."""
    extension = (scope.get("extensions") or {}).get(EXTENSION)
    return extension.get("write") if isinstance(extension, dict) else None


try:
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
except ImportError:  # pragma: no cover - an uvicorn without the sans-I/O protocol: ASGI sends only
    FrameWriterProtocol: Any = None
else:

    class _FrameWriterProtocol(WebSocketsSansIOProtocol):
        async def run_asgi(self) -> None:
            # Frames are written uncompressed; with permessage-deflate negotiated that would still be legal
            # (RFC 7692 allows uncompressed messages) but it is never switched on here, so offer nothing then.
            if not self.config.ws_per_message_deflate:
                self.scope["extensions"][EXTENSION] = {"write": self.write_frames}
            await super().run_asgi()

        def write_frames(self, data: bytes) -> int:
            """Write whole frames now. Returns the bytes still waiting in the transport's buffer (the caller
            decides when a client is too slow), or -1 when the connection is closing and nothing was written."""
            if self.close_sent or self.disconnected or not self.handshake_complete or self.transport.is_closing():
                return -1
            self.transport.write(data)
            return int(self.transport.get_write_buffer_size())

    FrameWriterProtocol = _FrameWriterProtocol
