"""A webhook receiver for benchmarks: plain asyncio HTTP/1.1 with keep-alive, 200 to every POST, counting them;
GET /count answers {"count": N}. As cheap as a receiver can be, so the benchmark measures the sender.

    python bench/_receiver.py PORT
"""

from __future__ import annotations

import asyncio
import json
import sys

count = 0


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    global count
    try:
        while True:
            request = await reader.readline()
            if not request:
                break
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if length:
                await reader.readexactly(length)
            if request.startswith(b"GET /count"):
                body = json.dumps({"count": count}).encode()
            else:
                count += 1
                body = b"ok"
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


async def main(port: int) -> None:
    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
