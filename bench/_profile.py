"""py-spy sampling of the server during a benchmark, and a plain-text summary of where the time goes.

`record()` starts `py-spy record --format raw --threads --nolineno` on the server's pid (non-blocking, so the
server is not paused), and `summarize()` reads the collapsed stacks: samples per thread, "self" time by
component (the leaf frame's package), and inclusive time of the heaviest functions.
"""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

from _common import VENV_BIN, child_setup

# (substring of a frame's file, component) - first match on the leaf frame wins.
COMPONENTS = [
    ("h11_impl", "uvicorn HTTP protocol (h11)"),
    ("httptools_impl", "uvicorn HTTP protocol (httptools)"),
    ("h11/", "h11 parser"),
    ("websockets_sansio_impl", "uvicorn websocket protocol"),
    ("websockets_impl", "uvicorn websocket protocol"),
    ("websockets/", "websockets library"),
    ("uvicorn/logging", "logging (access log)"),
    ("logging/", "logging (access log)"),
    ("uvicorn/", "uvicorn other"),
    ("starlette/", "starlette"),
    ("json/", "json"),
    ("queue_server/engine", "queue_server engine"),
    ("queue_server/hub", "queue_server hub (fan-out)"),
    ("queue_server/ws", "queue_server ws"),
    ("queue_server/storage", "queue_server storage"),
    ("queue_server/domain", "queue_server domain"),
    ("queue_server/", "queue_server other"),
    ("aiosqlite/", "aiosqlite"),
    ("asyncio/", "asyncio event loop"),
    ("selectors", "asyncio event loop"),
    ("threading", "threading"),
    ("queue.py", "threading"),
    ("uuid", "uuid/secrets"),
    ("secrets", "uuid/secrets"),
    ("datetime", "datetime"),
    ("zoneinfo", "datetime"),
]


# (substring of any frame, activity) - first match over the whole stack wins; for the event-loop thread.
ACTIVITIES = [
    ("people_ahead", "engine: people_ahead (wait estimate scan)"),
    ("Hub.publish", "engine: hub.publish (fan-out to websocket queues)"),
    ("Engine._process", "engine: decide/apply/answer/write batch"),
    ("Engine.", "engine: other"),
    ("Connection._pump (queue_server/ws", "websocket: per-client pump (send frames)"),
    ("(queue_server/ws", "websocket: connection handling"),
    ("websockets_sansio_impl", "websocket: uvicorn protocol"),
    ("websockets_impl", "websocket: uvicorn protocol"),
    ("access_log", "HTTP: access log"),
    ("logging/", "HTTP: access log"),
    ("starlette/", "HTTP: ASGI app (starlette routing, middleware, handler, response)"),
    ("queue_server/api", "HTTP: ASGI app (starlette routing, middleware, handler, response)"),
    ("data_received", "HTTP: protocol (parse request, h11/httptools)"),
    ("h11", "HTTP: protocol (parse request, h11/httptools)"),
    ("httptools", "HTTP: protocol (parse request, h11/httptools)"),
    ("aiosqlite", "aiosqlite: results back on the loop"),
    ("_run_once", "event loop: select, scheduling, other"),
]


def available() -> bool:
    return (VENV_BIN / "py-spy").exists() or shutil.which("py-spy") is not None


def record(pid: int, seconds: float, out: Path, rate: int = 200) -> subprocess.Popen[bytes]:
    exe = str(VENV_BIN / "py-spy") if (VENV_BIN / "py-spy").exists() else "py-spy"
    cmd = [exe, "record", "-p", str(pid), "-d", str(max(1, int(seconds))), "-r", str(rate)]
    cmd += ["-f", "raw", "--threads", "--nolineno", "--nonblocking", "-o", str(out)]
    return subprocess.Popen(  # noqa: S603
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=lambda: child_setup(False)
    )


def _component(frame: str) -> str:
    for needle, name in COMPONENTS:
        if needle in frame:
            return name
    return "other"


def summarize(path: Path, top: int = 15) -> dict[str, Any]:
    """Summary of a raw (collapsed) py-spy file recorded with --threads."""
    threads: Counter[str] = Counter()
    components: dict[str, Counter[str]] = {}
    inclusive: dict[str, Counter[str]] = {}
    leaf: dict[str, Counter[str]] = {}
    activities: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        thread = frames[0] if frames[0].startswith("thread") else "?"
        frames = [f for f in frames if not f.startswith(("thread", "process"))]
        if not frames:
            continue
        main_thread = "MainThread" in thread or any("run_forever" in f for f in frames)
        kind = "main thread (event loop)" if main_thread else thread.split(":", 1)[-1].strip()
        if main_thread:
            joined = ";".join(frames)
            activities[next((a for needle, a in ACTIVITIES if needle in joined), "unknown (truncated stack)")] += count
        threads[kind] += count
        total += count
        components.setdefault(kind, Counter())[_component(frames[-1])] += count
        leaf.setdefault(kind, Counter())[frames[-1]] += count
        seen = set()
        for f in frames:
            if f not in seen:
                seen.add(f)
                inclusive.setdefault(kind, Counter())[f] += count
    out: dict[str, Any] = {"samples": total, "threads": {}}
    main_total = max(sum(activities.values()), 1)
    out["main_thread_activities"] = {k: round(v / main_total, 3) for k, v in activities.most_common()}
    for kind, n in threads.most_common():
        out["threads"][kind] = {
            "samples": n,
            "share_of_all_samples": round(n / max(total, 1), 3),
            "self_by_component": {k: round(v / n, 3) for k, v in components[kind].most_common(top)},
            "top_self": {k: round(v / n, 3) for k, v in leaf[kind].most_common(top)},
            "top_inclusive": {k: round(v / n, 3) for k, v in inclusive[kind].most_common(top + 12)},
        }
    return out


def format_summary(summary: dict[str, Any], top: int = 12) -> str:
    lines = [f"py-spy samples: {summary['samples']}", "  event-loop thread by activity:"]
    for name, share in summary.get("main_thread_activities", {}).items():
        lines.append(f"      {100 * share:5.1f}%  {name}")
    for kind, t in summary["threads"].items():
        if t["share_of_all_samples"] < 0.02:
            continue
        lines.append(f"\n  [{kind}] {t['samples']} samples ({100 * t['share_of_all_samples']:.0f}% of all)")
        lines.append("    self time by component:")
        for name, share in list(t["self_by_component"].items())[:top]:
            lines.append(f"      {100 * share:5.1f}%  {name}")
        lines.append("    inclusive (function and what it calls):")
        for name, share in list(t["top_inclusive"].items())[: top + 12]:
            lines.append(f"      {100 * share:5.1f}%  {name}")
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    print(format_summary(summarize(Path(sys.argv[1]))))
