"""Run `queue-server ...` with extra uvicorn.Config keyword arguments, for comparing server variants.

    BENCH_UVICORN_OPTIONS='{"access_log": false, "http": "httptools", "loop": "uvloop"}' \
        python bench/_server_variant.py demo --port 8123 --db /tmp/x/bench.sqlite3

Only the keyword arguments given are added or replaced; the application and the rest of the server
configuration are exactly what queue_server/cli.py builds.

BENCH_PATCHES (comma-separated) applies what-if experiments, to measure a suggested fix before anyone writes
it; results with a patch are labelled as such and are never the headline number:
  publish_deferred run Hub.publish one event-loop turn later (loop.call_soon), so the answers to the batch's
                   callers are written before the fan-out to every websocket client, not after it.
                   (Adopted since: engine.py does this.)
  gc_untuned       leave Python's garbage collector at its defaults (queue_server/runtime.py not applied).
  object_counts    not a what-if: on SIGUSR1 append to $BENCH_OBJECTS_FILE which kinds of objects the garbage
                   collector tracks grew since the last signal (bench/soak_days.py --trace, to find a leak).
  coalesce_writes  uvicorn (httptools) writes a response's head and its body with two transport.write calls,
                   two system calls and two TCP segments; this holds the head back and writes it with the first
                   piece of the body, in one.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import uvicorn

from queue_server import cli

OPTIONS: dict[str, Any] = json.loads(os.environ.get("BENCH_UVICORN_OPTIONS") or "{}")
_Config = uvicorn.Config


class VariantConfig(_Config):  # type: ignore[misc]
    def __init__(self, app: Any, **kwargs: Any) -> None:
        kwargs.update(OPTIONS)
        super().__init__(app, **kwargs)


uvicorn.Config = VariantConfig  # type: ignore[misc]
PATCHES = [p for p in os.environ.get("BENCH_PATCHES", "").split(",") if p]


def _patch_publish_deferred() -> None:
    import asyncio

    from queue_server.live.hub import Hub

    original = Hub.publish

    def publish(self: Hub, events: Any) -> None:
        asyncio.get_running_loop().call_soon(original, self, list(events))

    Hub.publish = publish  # type: ignore[method-assign]


def _patch_coalesce_writes() -> None:
    from uvicorn.protocols.http import httptools_impl

    cycle = httptools_impl.RequestResponseCycle
    original = cycle.send

    class _Collect:
        def __init__(self, real: Any, held: bytes) -> None:
            self.real, self.parts = real, [held]

        def write(self, data: bytes) -> None:
            self.parts.append(data)

        def flush(self) -> None:
            data = b"".join(self.parts)
            self.parts = []
            if data:
                self.real.write(data)

        def close(self) -> None:  # a response without keep-alive: what was held goes out first
            self.flush()
            self.real.close()

        def __getattr__(self, name: str) -> Any:
            return getattr(self.real, name)

    async def send(self: Any, message: Any) -> None:
        real = self.transport
        collect = _Collect(real, self.__dict__.pop("_held_head", b""))
        self.transport = collect
        try:
            await original(self, message)
        finally:
            self.transport = real
        if message["type"] == "http.response.start":
            self._held_head = b"".join(collect.parts)  # written with the body
        else:
            collect.flush()

    cycle.send = send


def _mallinfo() -> str:
    """glibc's view of the C heap: in use, and free but kept (fragmentation), in MiB."""
    import ctypes

    class MallInfo2(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                                          "fsmblks", "uordblks", "fordblks", "keepcost")]  # fmt: skip

    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = MallInfo2
    info = libc.mallinfo2()
    mib = 2**20
    return f"arena {info.arena / mib:.1f}, in use {info.uordblks / mib:.1f}, free {info.fordblks / mib:.1f}, mmap {info.hblkhd / mib:.1f}"


def _patch_object_counts() -> None:
    import collections
    import gc
    import signal

    last: list[collections.Counter[str]] = []

    def dump(signum: int, frame: Any) -> None:
        gc.collect()
        counts = collections.Counter(type(o).__qualname__ for o in gc.get_objects())
        with open(os.environ["BENCH_OBJECTS_FILE"], "a") as out:
            heap = _mallinfo()
            out.write(f"=== {sum(counts.values())} objects tracked by the collector; "
                      f"{sys.getallocatedblocks()} Python blocks allocated; C heap: {heap}\n")  # fmt: skip
            if last:
                grown = counts.copy()
                grown.subtract(last[0])
                for name, n in grown.most_common(15):
                    out.write(f"{n:+8d} {name} (now {counts[name]})\n")
        last[:] = [counts]

    signal.signal(signal.SIGUSR1, dump)


for _patch in PATCHES:
    if _patch == "object_counts":
        _patch_object_counts()
    elif _patch == "publish_deferred":
        _patch_publish_deferred()
    elif _patch == "coalesce_writes":
        _patch_coalesce_writes()
    elif _patch == "gc_untuned":
        from queue_server.settings import runtime

        runtime.tune_gc = lambda: None  # Python's default collector thresholds, nothing frozen
    else:
        raise SystemExit(f"unknown BENCH_PATCHES entry {_patch!r}")

if __name__ == "__main__":
    print(f"bench variant: uvicorn options {OPTIONS}, patches {PATCHES}", flush=True)
    cli.main(sys.argv[1:])
