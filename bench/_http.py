"""A small keep-alive HTTP/1.1 client for the load generators: they share the machine with the server, so each
request must cost the client little (no httpx per request)."""

from __future__ import annotations

import asyncio
import json
from typing import Any


class Http:
    """A small keep-alive HTTP/1.1 client (the load generator shares the machine: it must cost little)."""

    def __init__(self, port: int, size: int) -> None:
        self.port = port
        self.size = size
        self.pool: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()

    async def open(self) -> None:
        for _ in range(self.size):
            self.pool.put_nowait(await asyncio.open_connection("127.0.0.1", self.port))

    async def close(self) -> None:
        while not self.pool.empty():
            _, writer = self.pool.get_nowait()
            writer.close()

    async def request(
        self, method: str, path: str, body: Any, token: str, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, Any]]:
        data = json.dumps(body).encode() if body is not None else b""
        extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
        head = (f"{method} {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n{extra}"
                f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n").encode()  # fmt: skip
        reader, writer = await self.pool.get()
        try:
            writer.write(head + data)
            status_line = await reader.readline()
            if not status_line:  # the server closed the idle connection (keep-alive timeout): never processed
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.write(head + data)
                status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            payload = await reader.readexactly(length) if length else b""
        except Exception:
            writer.close()
            self.pool.put_nowait(await asyncio.open_connection("127.0.0.1", self.port))
            raise
        self.pool.put_nowait((reader, writer))
        return int(status_line.split()[1]), json.loads(payload) if payload else {}
