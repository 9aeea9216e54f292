"""One write per HTTP response (queue_server/httpwrites.py), on a real uvicorn server and real sockets.

The server's protocol is subclassed here only to count what reaches the connection's transport; every answer is
read back byte for byte by a raw socket client, so a head held back and never written would show up as a hang.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from queue_server.httpwrites import OneWriteHttpProtocol
from tests.helpers import free_socket

WRITES: list[bytes] = []


class _CountingTransport:
    def __init__(self, transport: Any) -> None:
        self._transport = transport

    def write(self, data: bytes) -> None:
        WRITES.append(bytes(data))
        self._transport.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class CountingProtocol(OneWriteHttpProtocol):  # type: ignore[misc, valid-type]
    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self.transport = _CountingTransport(self.transport)


async def ticket(request: Request) -> Response:
    body = await request.json()
    return Response(json.dumps({"ticket": body["service"] + "-001"}), status_code=201, media_type="application/json")


async def stream(request: Request) -> Response:
    async def pieces() -> AsyncIterator[bytes]:
        for piece in (b"satu ", b"dua ", b"tiga"):
            yield piece

    return StreamingResponse(pieces(), media_type="text/plain")


async def broken(request: Request) -> Response:
    raise RuntimeError("boom")


async def empty(request: Request) -> Response:
    return Response(status_code=204)


APP = Starlette(
    routes=[
        Route("/tickets", ticket, methods=["POST"]),
        Route("/stream", stream),
        Route("/broken", broken),
        Route("/empty", empty),
        Route("/text", lambda request: PlainTextResponse("halo"), methods=["GET", "HEAD"]),
    ]
)


async def _serve() -> tuple[uvicorn.Server, asyncio.Task[None], int, Any]:
    sock = free_socket()
    config = uvicorn.Config(APP, http=CountingProtocol, lifespan="off", log_level="critical")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event for this
        await asyncio.sleep(0.01)
    return server, task, sock.getsockname()[1], sock


async def _read_response(reader: asyncio.StreamReader, head_only: bool = False) -> tuple[bytes, bytes]:
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    if head_only:
        return head, b""
    headers = head.decode().lower()
    if "content-length:" in headers:
        length = int(headers.split("content-length:")[1].split("\r\n")[0])
        return head, await asyncio.wait_for(reader.readexactly(length), 5)
    body = b""
    while True:  # chunked
        size = int((await asyncio.wait_for(reader.readuntil(b"\r\n"), 5)).strip(), 16)
        chunk = await asyncio.wait_for(reader.readexactly(size + 2), 5)
        if size == 0:
            return head, body
        body += chunk[:-2]


async def test_each_answer_is_one_write_and_arrives_whole() -> None:
    server, task, port, sock = await _serve()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        body = b'{"service":"ktp"}'
        WRITES.clear()
        writer.write(b"POST /tickets HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
                     b"content-length: %d\r\n\r\n%s" % (len(body), body))  # fmt: skip
        head, answer = await _read_response(reader)
        assert head.startswith(b"HTTP/1.1 201 ") and json.loads(answer) == {"ticket": "ktp-001"}
        assert len(WRITES) == 1 and WRITES[0] == head + answer  # head and body in one write

        WRITES.clear()  # HEAD: a head and no body; it must still be written
        writer.write(b"HEAD /text HTTP/1.1\r\nhost: x\r\n\r\n")
        head, _ = await _read_response(reader, head_only=True)
        assert head.startswith(b"HTTP/1.1 200 ") and b"content-length: 4" in head
        assert len(WRITES) == 1

        WRITES.clear()  # 204: no body at all
        writer.write(b"GET /empty HTTP/1.1\r\nhost: x\r\n\r\n")
        head, _ = await _read_response(reader, head_only=True)
        assert head.startswith(b"HTTP/1.1 204 ")
        assert len(WRITES) == 1

        WRITES.clear()  # streamed: the head goes with the first piece, the rest as they come
        writer.write(b"GET /stream HTTP/1.1\r\nhost: x\r\n\r\n")
        head, answer = await _read_response(reader)
        assert answer == b"satu dua tiga"
        assert WRITES[0].startswith(b"HTTP/1.1 200 ") and WRITES[0].endswith(b"satu \r\n")
        assert len(WRITES) == 4  # head + "satu", "dua", "tiga", the last chunk

        WRITES.clear()  # an app error: Starlette answers 500, then uvicorn closes the connection
        writer.write(b"GET /broken HTTP/1.1\r\nhost: x\r\n\r\n")
        head, answer = await _read_response(reader)
        assert head.startswith(b"HTTP/1.1 500 ") and answer == b"Internal Server Error"
        assert await asyncio.wait_for(reader.read(), 5) == b""
        writer.close()

        # two pipelined requests in one packet: both answered, in order
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /text HTTP/1.1\r\nhost: x\r\n\r\nGET /text HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        for _ in range(2):
            head, answer = await _read_response(reader)
            assert head.startswith(b"HTTP/1.1 200 ") and answer == b"halo"
        assert await asyncio.wait_for(reader.read(), 5) == b""  # closed after the second, as asked
        writer.close()
    finally:
        server.should_exit = True
        await task
        sock.close()
