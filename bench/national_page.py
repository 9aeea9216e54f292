"""Benchmark: what the national page's 5-second refresh costs the browser's main thread, over many malls.

    .venv/bin/python bench/national_page.py [--malls 300] [--refreshes 8] [--port PORT] [--name national_page]

1. bench/generate_malls.py's malls on one SQLite database, an admin account (it sees every mall and may issue).
2. Debian's Chromium (Playwright, headless, 1366x768) signs in and opens /national, with a performance trace
   (the "devtools.timeline" category) running.
3. Three phases of `--refreshes` refreshes each: nothing issued between refreshes (only the time of the figures
   moves), tickets issued at a tenth of the malls before each refresh, and at every mall before each refresh.
   Then a click on "Mal" (sort by name: every row moves) and another (the order reversed).
4. From the trace: the renderer's main-thread tasks, split at each GET /api/v1/national the page sent; per refresh,
   the longest task and the sum of all tasks. The first refresh (the table drawn from nothing) is reported apart.

Result: bench/results/<name>.json. The machine is shared: these are costs of a refresh, not a target.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import HOST, free_port, http_json, percentile, save_result, serve_sites, table  # noqa: E402
from generate_malls import mall  # noqa: E402
from playwright.async_api import Page, async_playwright  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
QUEUE_SERVER = str(Path(sys.executable).parent / "queue-server")  # the one beside this Python
PASSWORD = "bench-nasional-2026"
REFRESH_SECONDS = 5.0  # the page's own (supervisor/static/js/national.js)


def _issue(port: int, token: str, services: dict[str, list[str]], sites: list[str]) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    for site in sites:
        status, body = http_json(port, "POST", f"/api/v1/sites/{site}/tickets",
                                 {"service": random.choice(services[site])}, headers=auth)  # fmt: skip
        assert status == 201, body


async def _phase(page: Page, port: int, token: str, services: dict[str, list[str]], share: float, count: int) -> None:
    """`count` refreshes, tickets issued at `share` of the malls before each one."""
    sites = list(services)
    for _ in range(count):
        chosen = random.sample(sites, round(share * len(sites)))
        await asyncio.to_thread(_issue, port, token, services, chosen)
        await page.wait_for_timeout(REFRESH_SECONDS * 1000)


def _tasks_per_request(trace: dict[str, Any]) -> list[dict[str, Any]]:
    """The renderer's main-thread tasks between one GET /api/v1/national and the next (or a marked click)."""
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    mains = {(e["pid"], e["tid"]) for e in events
             if e.get("ph") == "M" and e.get("name") == "thread_name" and e["args"].get("name") == "CrRendererMain"}  # fmt: skip
    marks = []
    for e in events:
        data = (e.get("args") or {}).get("data") or {}
        if e.get("name") == "ResourceSendRequest" and "/api/v1/national?" in str(data.get("url", "")):
            marks.append((e["ts"], "refresh", (e["pid"], e["tid"])))
        if e.get("name") == "TimeStamp" and str(data.get("message", "")).startswith("bench:"):
            marks.append((e["ts"], data["message"][6:], (e["pid"], e["tid"])))
    marks.sort()
    page_main = {m[2] for m in marks} & mains or mains
    on_main = [e for e in events if e.get("ph") == "X" and (e["pid"], e["tid"]) in page_main]
    tasks = sorted(
        (e["ts"], e["dur"]) for e in on_main if e.get("name") in ("RunTask", "ThreadControllerImpl::RunTask")
    )
    # Of which style and layout (events that do not nest in one another; a script's calls do, so it is the rest).
    kinds = {"UpdateLayoutTree": "style", "Layout": "layout"}
    parts = sorted((e["ts"], kinds[e["name"]], e["dur"]) for e in on_main if e.get("name") in kinds)
    windows = []
    for i, (start, what, _) in enumerate(marks):
        end = marks[i + 1][0] if i + 1 < len(marks) else float("inf")
        inside = [dur for ts, dur in tasks if start <= ts < end]
        spent: dict[str, float] = {}
        for ts, kind, dur in parts:
            if start <= ts < end:
                spent[kind] = spent.get(kind, 0.0) + dur / 1000
        windows.append({"what": what, "longest_ms": round(max(inside, default=0) / 1000, 1),
                        "busy_ms": round(sum(inside) / 1000, 1),
                        **{f"{kind}_ms": round(ms, 1) for kind, ms in sorted(spent.items())}})  # fmt: skip
    return windows


async def _measure(url: str, port: int, token: str, services: dict[str, list[str]], refreshes: int) -> dict[str, Any]:
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = await browser.new_page(viewport={"width": 1366, "height": 768}, locale="id-ID")
        await page.goto(url + "/national")
        await page.fill("#login-form input[name=username]", "ministry")
        await page.fill("#login-form input[name=password]", PASSWORD)
        await browser.start_tracing(page=page, categories=["devtools.timeline", "toplevel"])
        await page.click("#login-form button[type=submit]")
        await page.wait_for_function(f"() => document.querySelectorAll('#rows tr').length === {len(services)}",
                                     timeout=120_000)  # fmt: skip
        phases = [("quiet", 0.0), ("a tenth changed", 0.1), ("all changed", 1.0)]
        for name, share in phases:  # each phase marked in the trace (console.timeStamp)
            await page.evaluate(f"() => console.timeStamp('bench:{name}')")
            await _phase(page, port, token, services, share, refreshes)
        for name in ("sort by name", "sort by name, reversed"):
            await page.evaluate(f"() => console.timeStamp('bench:{name}')")
            await page.click("button[data-sort=name]")
            await page.wait_for_timeout(2000)
        await page.evaluate("() => console.timeStamp('bench:end')")
        trace = json.loads(await browser.stop_tracing())
        await browser.close()
    windows = _tasks_per_request(trace)
    # Each phase's refreshes follow its mark; the click's answer (a GET) follows the sort's mark.
    result: dict[str, Any] = {"first": None, "phases": {}}
    label = "start"
    for window in windows:
        if window["what"] != "refresh":
            label = window["what"]
            continue
        if result["first"] is None:
            result["first"] = window
            continue
        result["phases"].setdefault(label, []).append(window)
    return result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--malls", type=int, default=300)
    p.add_argument("--refreshes", type=int, default=8, help="refreshes per phase")
    p.add_argument("--port", type=int, default=0, help="the server's (default: a free one)")
    p.add_argument("--name", default="national_page", help="the result's file name")
    args = p.parse_args()
    random.seed(1)
    with tempfile.TemporaryDirectory(prefix="bench-national-page-") as tmp:
        work = Path(tmp)
        db = work / "national.sqlite3"
        rng = random.Random(1)
        files, services = [], {}
        for number in range(1, args.malls + 1):
            text, plan = mall(number, 3_000, rng)
            path = work / f"{plan['site']}.toml"
            path.write_text(text, encoding="utf-8")
            files.append(str(path))
            services[str(plan["site"])] = [str(s) for s in plan["services"]]  # type: ignore[attr-defined]
        subprocess.run([QUEUE_SERVER, "user", "add", "ministry", "--role", "admin", "--db", str(db),  # noqa: S603
                        "--password-stdin", *[x for f in files for x in ("--site", f)]],
                       input=PASSWORD, text=True, check=True, capture_output=True)  # fmt: skip
        port = args.port or free_port()
        server = serve_sites(files, db, port, work / "server.log", host=HOST, server=QUEUE_SERVER)
        try:
            status, body = http_json(port, "POST", "/api/v1/auth/login", {"username": "ministry", "password": PASSWORD})
            assert status == 200, body
            measured = asyncio.run(_measure(f"http://{HOST}:{port}", port, body["token"], services, args.refreshes))
        finally:
            server.terminate()
            server.wait(60)
    first = measured["first"]
    rows = [["first (table drawn)", first["longest_ms"], first["longest_ms"], first["longest_ms"], first["busy_ms"],
             *[first.get(f"{kind}_ms", 0.0) for kind in ("style", "layout")]]]  # fmt: skip
    summary: dict[str, Any] = {}
    for label, windows in measured["phases"].items():
        longest = sorted(w["longest_ms"] for w in windows)
        # The machine is shared: another's work only ever adds to a task, so the least is the closest to its own cost.
        summary[label] = {"refreshes": len(windows), "longest_ms_min": longest[0],
                          "longest_ms_median": percentile(longest, 50), "longest_ms_max": longest[-1]}  # fmt: skip
        for kind in ("busy", "style", "layout"):
            summary[label][f"{kind}_ms_median"] = percentile(sorted(w.get(f"{kind}_ms", 0.0) for w in windows), 50)
        rows.append(
            [
                label,
                summary[label]["longest_ms_min"],
                summary[label]["longest_ms_median"],
                summary[label]["longest_ms_max"],
                *[summary[label][f"{kind}_ms_median"] for kind in ("busy", "style", "layout")],
            ]
        )
    print(table(rows, ["refreshes", "longest task, least (ms)", "median", "longest task, max (ms)", "all tasks, median (ms)",
                       "of which style", "layout"]))  # fmt: skip
    save_result(args.name, {"malls": args.malls, "refreshes_per_phase": args.refreshes, "first": measured["first"],
                            "summary": summary, "windows": measured["phases"]})  # fmt: skip


if __name__ == "__main__":
    main()
