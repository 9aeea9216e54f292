"""Time from a call to its announcement file being ready (issue 3: <= 20 ms cached, <= 100 ms uncached).

Two measurements, both bounded and on this machine only:
1. In process, the server's own Announcer (sounds' AnnouncementBuilder over the shipped clips): build time of a
   call never built before (uncached: a new label, so a new file is joined and written) and of the same call again
   (cached: a file lookup).
2. End to end on a real demo server: from sending call_next over HTTP to the WAV having arrived at a client that
   fetched the URL given in the event (uncached, first fetch) and a second fetch (cached).
Writes bench/results/announcement_ready.json.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import machine_info  # noqa: E402
from queue_server.application.announcements import Announcer  # noqa: E402
from queue_server.common.calls import Call  # noqa: E402
from queue_server.settings.sitefile import DEMO_SITE, load_site  # noqa: E402
from tests.helpers import KIOSK, bearer, running_server  # noqa: E402


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))], 2)


async def in_process(n: int) -> dict[str, object]:
    site = load_site(DEMO_SITE)
    with tempfile.TemporaryDirectory() as tmp:
        announcer = Announcer({site.id: site}, Path(tmp))
        try:
            await announcer.prepare()
            uncached, cached = [], []
            for i in range(1, n + 1):
                call = Call(site.id, i, f"A-{i:03d}", site.counters[str(1 + i % 26)].name)
                t = time.perf_counter()
                await announcer.build(site, call)
                uncached.append((time.perf_counter() - t) * 1000)
                t = time.perf_counter()
                await announcer.build(site, call)
                cached.append((time.perf_counter() - t) * 1000)
        finally:
            announcer.close()
    return {
        "calls": n,
        "uncached_ms": {"p50": pct(uncached, 0.5), "p99": pct(uncached, 0.99), "max": round(max(uncached), 2)},
        "cached_ms": {"p50": pct(cached, 0.5), "p99": pct(cached, 0.99), "max": round(max(cached), 2)},
    }


async def end_to_end(n: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        async with running_server(Path(tmp) / "db.sqlite3") as s:
            op = await s.login("op-disdukcapil")
            for _ in range(n):
                await s.http.post("/api/v1/sites/tegal/tickets", json={"service": "ktp"}, headers=bearer(KIOSK))
            await s.command(op, "1", "open")
            first, again = [], []
            for _ in range(n):
                t = time.perf_counter()
                await s.command(op, "1", "call_next")
                url = f"/api/v1/sites/tegal/announcements/{s.ctx.storage.last_seq}.wav"
                r = await s.http.get(url)
                first.append((time.perf_counter() - t) * 1000)
                assert r.status_code == 200 and r.content[:4] == b"RIFF"
                t = time.perf_counter()
                await s.http.get(url)
                again.append((time.perf_counter() - t) * 1000)
                await s.command(op, "1", "finish")
    return {
        "calls": n,
        "call_to_wav_received_ms": {"p50": pct(first, 0.5), "p99": pct(first, 0.99)},
        "cached_fetch_ms": {"p50": pct(again, 0.5), "p99": pct(again, 0.99)},
        "note": "call_to_wav_received includes the call_next HTTP round trip itself",
    }


async def main() -> None:
    result = {
        "benchmark": "announcement_ready",
        "machine": machine_info(),
        "targets": {"cached_ms": "<= 20", "uncached_ms": "<= 100"},
        "in_process": await in_process(200),
        "end_to_end": await end_to_end(60),
    }
    out = ROOT / "bench" / "results" / "announcement_ready.json"
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps({k: v for k, v in result.items() if k != "machine"}, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
