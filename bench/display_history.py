"""Lobby board under a long day: is it smooth while calls arrive, and does its memory stay flat?

    .venv/bin/python bench/display_history.py [--history 200] [--day 2000] [--rate 10] [--window 5] [--no-docs]

A demo server (`queue-server demo`, real clock, fresh database in a temporary directory) and Debian Chromium
through Playwright, showing the lobby screen at 1920x1080 (a speaker screen: every call is also fetched and
played, in real time). Twelve counters of services without a daily quota call in parallel, each call being
"issue a ticket, finish the current citizen, call the next" over HTTP.

1. History: --history calls, as fast as the server takes them; the board then holds a full history.
2. Smoothness: for --window seconds, calls keep arriving at --rate per second while the page counts its
   requestAnimationFrame callbacks (frame rate, worst frame gap) and long tasks (> 50 ms, PerformanceObserver).
   The same window is measured on the idle board first, as the baseline of this machine.
3. A day: --day more calls as fast as possible (a busy MPP makes 1,000-3,000 calls a day). JS heap in use
   (CDP Performance.getMetrics JSHeapUsedSize, after HeapProfiler.collectGarbage), DOM nodes and event
   listeners are taken after the history and after every quarter of the day, once the board has caught up.

Prints the numbers, writes bench/results/display_history.json and (unless --no-docs) the section between the
bench markers in docs/display.md, with the machine described.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Page, async_playwright

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "display_history.json"
DOCS = REPO / "docs" / "display.md"
MARK_START, MARK_END = "<!-- bench:display_history -->", "<!-- /bench:display_history -->"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--autoplay-policy=no-user-gesture-required"]  # fmt: skip
KIOSK = {"Authorization": "Bearer d_kiosk_demo_tegal"}
LOBBY = "/display/tegal/lobby#token=d_display_demo_tegal_lobby"
# (operator, counter, service): services without a daily quota, so a whole day fits.
COUNTERS = [("op-samsat", "7", "pkb"), ("op-samsat", "8", "pkb"), ("op-pajak", "11", "npwp"),
            ("op-pajak", "12", "spt"), ("op-bpjs-kesehatan", "13", "jkn_daftar"),
            ("op-bpjs-kesehatan", "14", "jkn_ubah"), ("op-dpmptsp", "20", "nib"), ("op-bank-jateng", "21", "pbb"),
            ("op-bank-jateng", "22", "tabungan"), ("op-pos", "24", "pos_kirim"), ("op-pln", "25", "pln_sambung"),
            ("op-pdam", "26", "pdam_sambung")]  # fmt: skip

FRAME_PROBE = """() => {
  const probe = { frames: 0, gaps: [], longTasks: 0, longest: 0, start: performance.now() };
  let last = probe.start;
  const frame = (t) => { probe.frames++; probe.gaps.push(t - last); last = t; if (!probe.stop) requestAnimationFrame(frame); };
  requestAnimationFrame(frame);
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) { probe.longTasks++; probe.longest = Math.max(probe.longest, e.duration); }
  }).observe({ type: "longtask" });
  window.__probe = probe;
}"""

FRAME_RESULT = """() => {
  const p = window.__probe; p.stop = true;
  const seconds = (performance.now() - p.start) / 1000;
  const gaps = p.gaps.slice(1).sort((a, b) => a - b);
  const pct = (q) => gaps[Math.min(gaps.length - 1, Math.floor(q * gaps.length))];
  return { seconds, fps: p.frames / seconds, p50_ms: pct(0.5), p99_ms: pct(0.99), worst_ms: gaps[gaps.length - 1],
           frames_over_50ms: gaps.filter((g) => g > 50).length, long_tasks: p.longTasks, longest_task_ms: p.longest };
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Hall:
    """Drives calls over HTTP: each counter issues, finishes and calls next, in its own task."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.ops: dict[str, dict[str, str]] = {}
        self.calls = 0

    async def open(self) -> None:
        for account, counter, _ in COUNTERS:
            if account not in self.ops:
                r = await self.http.post("/api/v1/auth/login", json={"username": account, "password": "demo-operator"})
                self.ops[account] = {"Authorization": f"Bearer {r.json()['token']}"}
            await self.command(account, counter, "open")

    async def command(self, account: str, counter: str, command: str) -> httpx.Response:
        return await self.http.post(f"/api/v1/sites/tegal/counters/{counter}/commands",
                                    json={"command": command, "command_id": os.urandom(12).hex()},
                                    headers=self.ops[account])  # fmt: skip

    async def call(self, account: str, counter: str, service: str) -> None:
        await self.command(account, counter, "finish")  # no_current_ticket on the first call: fine
        while True:  # a neighbour serving the same service may have taken the ticket: issue another
            r = await self.http.post("/api/v1/sites/tegal/tickets", json={"service": service}, headers=KIOSK)
            assert r.status_code == 201, r.text
            r = await self.command(account, counter, "call_next")
            if r.status_code == 200:
                break
            assert r.json()["error"]["code"] == "queue_empty", r.text
        self.calls += 1

    async def run(self, calls: int, rate: float | None = None) -> float:
        """Makes `calls` calls, round robin over the counters, at `rate` per second (None: as fast as possible)."""
        started = time.perf_counter()
        per_counter = [calls // len(COUNTERS) + (i < calls % len(COUNTERS)) for i in range(len(COUNTERS))]

        async def counter_loop(i: int) -> None:
            account, counter, service = COUNTERS[i]
            for k in range(per_counter[i]):
                if rate:
                    due = started + (k * len(COUNTERS) + i) / rate
                    await asyncio.sleep(max(0.0, due - time.perf_counter()))
                await self.call(account, counter, service)

        await asyncio.gather(*(counter_loop(i) for i in range(len(COUNTERS))))
        return time.perf_counter() - started


async def caught_up(page: Page, http: httpx.AsyncClient, within_s: float = 120.0) -> None:
    last_seq = (await http.get("/healthz")).json()["last_seq"]
    deadline = time.monotonic() + within_s
    while await page.evaluate("window.__display.board.seq") < last_seq:
        assert time.monotonic() < deadline, "the board did not catch up"
        await asyncio.sleep(0.1)
    await page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")


async def memory(page: Page, cdp: Any) -> dict[str, float]:
    await cdp.send("HeapProfiler.collectGarbage")
    await cdp.send("HeapProfiler.collectGarbage")
    metrics = {m["name"]: m["value"] for m in (await cdp.send("Performance.getMetrics"))["metrics"]}
    board = await page.evaluate("""() => ({ calls: window.__display.board.calls.length,
        pending: window.__display.announcer.pending, log: window.__announcements.length })""")
    return {"js_heap_used_mb": round(metrics["JSHeapUsedSize"] / 2**20, 2), "dom_nodes": metrics["Nodes"],
            "event_listeners": metrics["JSEventListeners"], "board_calls_kept": board["calls"],
            "announcements_pending": board["pending"], "announcement_log": board["log"]}  # fmt: skip


async def cpu_seconds(browser_cdp: Any) -> dict[str, float]:
    """CPU time used so far by Chromium's processes, by type (renderer: the page; GPU, browser, utilities)."""
    totals: dict[str, float] = {}
    for process in (await browser_cdp.send("SystemInfo.getProcessInfo"))["processInfo"]:
        totals[process["type"]] = totals.get(process["type"], 0.0) + process["cpuTime"]
    return totals


async def frames(page: Page, browser_cdp: Any, seconds: float, work: Any = None) -> dict[str, Any]:
    """Frame statistics over a window, and the CPU the page's processes used in it (percent of one core). CPU
    time is what the board itself costs; the frame rate also depends on everything else the machine runs."""
    before, started = await cpu_seconds(browser_cdp), time.perf_counter()
    await page.evaluate(FRAME_PROBE)
    if work is None:
        await asyncio.sleep(seconds)
    else:
        await work
    result = await page.evaluate(FRAME_RESULT)
    after, wall = await cpu_seconds(browser_cdp), time.perf_counter() - started
    used = {kind: after[kind] - before.get(kind, 0.0) for kind in after}
    result["renderer_cpu_percent"] = round(100 * used.get("renderer", 0.0) / wall, 1)
    result["chromium_cpu_percent"] = round(100 * sum(used.values()) / wall, 1)
    result["load_average"] = os.getloadavg()[0]
    return result


async def idle_cpu(browser_cdp: Any, seconds: float) -> dict[str, float]:
    """What a quiet board costs (clock, running text; nothing to say, nobody counting frames)."""
    before, started = await cpu_seconds(browser_cdp), time.perf_counter()
    await asyncio.sleep(seconds)
    after, wall = await cpu_seconds(browser_cdp), time.perf_counter() - started
    used = {kind: after[kind] - before.get(kind, 0.0) for kind in after}
    return {"renderer_cpu_percent": round(100 * used.get("renderer", 0.0) / wall, 1),
            "chromium_cpu_percent": round(100 * sum(used.values()) / wall, 1)}  # fmt: skip


def machine() -> dict[str, Any]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())  # fmt: skip
    mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))  # type: ignore[union-attr]
    chromium = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True).stdout.strip()
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(mem_kb / 2**20, 1),
            "os": platform.platform(), "python": platform.python_version(), "chromium": chromium}  # fmt: skip


async def bench(args: argparse.Namespace, port: int, server: subprocess.Popen[bytes]) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
        for _ in range(600):
            assert server.poll() is None, "the server stopped; see its log"
            try:
                if (await http.get("/healthz")).status_code == 200:
                    break
            except httpx.TransportError:
                await asyncio.sleep(0.1)
        hall = Hall(http)
        await hall.open()
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = await browser.new_page(viewport={"width": 1920, "height": 1080})
            await page.goto(f"http://127.0.0.1:{port}{LOBBY}")
            await page.wait_for_selector("body[data-link='live']")
            cdp = await page.context.new_cdp_session(page)
            await cdp.send("Performance.enable")
            out: dict[str, Any] = {"machine": machine(), "settings": vars(args)}
            browser_cdp = await browser.new_browser_cdp_session()
            await asyncio.sleep(3)  # past the first drawing and the sound check
            out["idle_cpu"] = await idle_cpu(browser_cdp, args.window)

            out["history_seconds"] = round(await hall.run(args.history), 1)
            await caught_up(page, http)
            out["memory"] = [{"calls": hall.calls, **await memory(page, cdp)}]

            out["frames_idle"] = await frames(page, browser_cdp, args.window)
            calling = hall.run(int(args.rate * args.window), rate=args.rate)
            out["frames_while_calling"] = await frames(page, browser_cdp, args.window, calling)

            quarter = args.day // 4
            day_started = time.perf_counter()
            for _ in range(4):
                await hall.run(quarter)
                await caught_up(page, http)
                out["memory"].append({"calls": hall.calls, **await memory(page, cdp)})
            out["day_seconds"] = round(time.perf_counter() - day_started, 1)
            await browser.close()
    return out


def markdown(r: dict[str, Any]) -> str:
    m, idle, busy, mem = r["machine"], r["frames_idle"], r["frames_while_calling"], r["memory"]
    first, last = mem[0], mem[-1]
    rows = "\n".join(f"| {x['calls']:,} | {x['js_heap_used_mb']:.2f} | {x['dom_nodes']:.0f} | "
                     f"{x['event_listeners']:.0f} | {x['board_calls_kept']} | {x['announcements_pending']} |"
                     for x in mem)  # fmt: skip
    frame_rows = "\n".join(f"| {name} | {f['fps']:.1f} | {f['p50_ms']:.1f} | {f['p99_ms']:.1f} | {f['worst_ms']:.1f} | "
                       f"{f['frames_over_50ms']} | {f['long_tasks']} ({f['longest_task_ms']:.0f} ms) | "
                       f"{f['renderer_cpu_percent']:.0f} % / {f['chromium_cpu_percent']:.0f} % | {f['load_average']:.1f} |"
                       for name, f in (("no new calls (still speaking its queue)", idle),
                                       (f"{r['settings']['rate']:g} calls/s arriving", busy)))  # fmt: skip
    queue_note = (
        " In this compressed day the calls come far faster than they can be spoken, so the announcer's queue sits"
        " at its cap (120 calls, about ten minutes of speech; in a real hall a call older than five minutes is"
        " shown but not spoken)."
        if last["announcements_pending"] >= 120
        else ""
    )
    return f"""{MARK_START}
Measured {r["date"]} with `bench/display_history.py` (written by it; the raw numbers are in
`bench/results/display_history.json`). Machine: {m["cpu"]}, {m["cores"]} cores (shared with other jobs),
{m["memory_gb"]} GB RAM, {m["os"]}, {m["chromium"]} headless with `--disable-gpu` (software
rendering), Python {m["python"]}. The lobby screen (speaker, 1920x1080) with the demo mall; server and browser on
the same machine.

Frame rate over {r["settings"]["window"]:g} s with {r["settings"]["history"]} calls of history on the board:

| while | frames/s | frame gap p50 (ms) | p99 (ms) | worst (ms) | frames over 50 ms | long tasks (longest) | CPU of one core: page / all Chromium | machine load average |
|---|---|---|---|---|---|---|---|---|
{frame_rows}

The frame rate depends on what else the machine runs (the load average is the machine's, other jobs included);
the CPU column is what the board itself cost: Chromium's renderer process (the page), then all of Chromium
(with its GPU process compositing in software, the network service fetching the sounds, and audio). Counting
frames makes the page draw every frame, which costs CPU by itself. A quiet board (before any call: clock and
running text only, nothing counting frames) used {r["idle_cpu"]["renderer_cpu_percent"]:.0f} % / \
{r["idle_cpu"]["chromium_cpu_percent"]:.0f} % of one core.

Memory as the day goes on ({r["settings"]["day"]:,} more calls in {r["day_seconds"]:g} s; each row after a
forced garbage collection, once the board has caught up with the server):

| calls so far | JS heap used (MB) | DOM nodes | event listeners | calls kept | announcements waiting |
|---|---|---|---|---|---|
{rows}

The heap went from {first["js_heap_used_mb"]:.2f} MB to {last["js_heap_used_mb"]:.2f} MB and the DOM from
{first["dom_nodes"]:.0f} to {last["dom_nodes"]:.0f} nodes: the board keeps at most
{max(x["board_calls_kept"] for x in mem)} calls and draws a fixed set of elements.{queue_note}
{MARK_END}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--history", type=int, default=200)
    parser.add_argument("--day", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--window", type=float, default=5.0)
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp, open(Path(tmp) / "server.log", "wb") as log:
        # python -m from the repository, so every package of the checkout is importable
        server = subprocess.Popen([sys.executable, "-m", "queue_server", "demo", "--db", f"{tmp}/bench.sqlite3",
                                   "--port", str(port)], stdout=log, stderr=subprocess.STDOUT, cwd=REPO)  # fmt: skip
        try:
            result = asyncio.run(bench(args, port, server))
        except BaseException:
            print((Path(tmp) / "server.log").read_text()[-3000:], file=sys.stderr)
            raise
        finally:
            server.terminate()
            server.wait(20)
    result["date"] = datetime.now(UTC).strftime("%Y-%m-%d")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    text = markdown(result)
    print(text)
    if not args.no_docs and DOCS.exists() and MARK_START in DOCS.read_text():
        doc = DOCS.read_text()
        start, end = doc.index(MARK_START), doc.index(MARK_END) + len(MARK_END)
        DOCS.write_text(doc[:start] + text + doc[end:])
        print(f"written into {DOCS.relative_to(REPO)}", file=sys.stderr)


if __name__ == "__main__":
    main()
