"""Instructions per issued ticket, counted by valgrind: a measure that the noise of a shared machine cannot move.

    .venv/bin/python bench/issue_instructions.py [--small 1000] [--large 3000] [--tree PATH] [--result-name NAME]

Timed runs of issuing on this machine moved by +-15 % between runs minutes apart (docs/benchmarks.md), so a
change of a few per cent cannot be seen in them. This counts instructions instead: the application (Starlette
app, engine, domain, storage; not uvicorn, not the SQLite writer process) is driven in-process by 32 concurrent
callers, each request a real ASGI call through the whole app, under `valgrind --tool=callgrind`, once with
`--small` tickets and once with `--large` (after the same 300 warm-up tickets). The difference divided by the
difference in tickets is the cost of one ticket, without start-up. Both runs go in parallel; ~3-4 minutes.

`--tree PATH` measures another checkout (e.g. `git worktree add /tmp/before <commit>`), to compare two commits
on the same machine. Needs Debian's valgrind (apt-get install -y valgrind). Result:
bench/results/<--result-name, default issue_instructions>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

SERVICES = [
    "pkb",
    "npwp",
    "spt",
    "jkn_daftar",
    "tabungan",
    "pbb",
    "pos_kirim",
    "pln_sambung",
    "pdam_sambung",
    "nib",
    "info_tanah",
    "bpjstk_daftar",
]  # fmt: skip  (the demo services without a daily quota)
WARM_UP = 300
CALLERS = 32


async def drive(tickets: int, database: Path) -> None:
    """Issue WARM_UP + `tickets` tickets through the app as the demo kiosk, 32 callers at a time."""
    from queue_server.settings.config import Config
    from queue_server.settings.sitefile import DEMO_SITE
    from queue_server.web.app import create_app

    config = Config(database=database, demo=True, ignore_hours=True, site_files=[DEMO_SITE])
    app = create_app(config)

    async def issue(i: int) -> None:
        body = json.dumps({"service": SERVICES[i % len(SERVICES)]}).encode()
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
            "path": "/api/v1/sites/tegal/tickets", "raw_path": b"/api/v1/sites/tegal/tickets", "root_path": "",
            "query_string": b"", "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000), "state": {},
            "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"),
                        (b"authorization", b"Bearer d_kiosk_demo_tegal"), (b"content-length", str(len(body)).encode())],
        }  # fmt: skip
        messages = [{"type": "http.request", "body": body, "more_body": False}]
        statuses: list[int] = []

        async def receive() -> dict[str, Any]:
            if messages:
                return messages.pop()
            await asyncio.Event().wait()  # the app never asks twice; a disconnect would come here
            return {}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])

        await app(scope, receive, send)
        if statuses != [201]:
            raise RuntimeError(f"ticket {i} was answered {statuses}")

    async def caller(first: int, count: int) -> None:
        for i in range(first, count, CALLERS):
            await issue(i)

    async with app.router.lifespan_context(app):
        await asyncio.gather(*(caller(c, WARM_UP) for c in range(CALLERS)))
        await asyncio.gather(*(caller(c, tickets) for c in range(CALLERS)))


def count(tickets: int, tree: Path, workdir: Path) -> subprocess.Popen[str]:
    out = workdir / f"callgrind.{tickets}.out"
    cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, __file__,
           "--drive", str(tickets), "--tree", str(tree), "--db", str(workdir / f"db-{tickets}" / "q.sqlite3")]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONHASHSEED": "0"}  # the same dict layouts every run
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)  # noqa: S603


def collected(output: str) -> int:
    found = re.search(r"Collected : (\d+)", output)
    if not found:
        raise RuntimeError(f"no instruction count in valgrind's output:\n{output[-2000:]}")
    return int(found.group(1))


def _tree_name(tree: Path) -> str:
    """ "." for this checkout, else the other checkout's folder name: results never record a machine's paths."""
    return "." if tree.resolve() == Path(__file__).resolve().parent.parent else tree.resolve().name


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--small", type=int, default=1000)
    p.add_argument("--large", type=int, default=3000)
    p.add_argument("--tree", type=Path, default=Path(__file__).resolve().parent.parent)
    p.add_argument("--result-name", default="issue_instructions")
    p.add_argument("--drive", type=int, help=argparse.SUPPRESS)  # inside valgrind
    p.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.drive is not None:
        sys.path.insert(0, str(args.tree))
        asyncio.run(drive(args.drive, args.db))
        return

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _common import save_result

    if subprocess.run(["which", "valgrind"], capture_output=True).returncode != 0:  # noqa: S607
        raise SystemExit("valgrind is missing: apt-get install -y valgrind")
    with tempfile.TemporaryDirectory(prefix="issue-instructions-") as tmp:
        workdir = Path(tmp)
        runs = {n: count(n, args.tree.resolve(), workdir) for n in (args.small, args.large)}
        totals = {}
        for n, proc in runs.items():
            output, _ = proc.communicate(timeout=1800)
            if proc.returncode != 0:
                raise SystemExit(f"the run with {n} tickets failed ({proc.returncode}):\n{output[-2000:]}")
            totals[n] = collected(output)
    per_ticket = (totals[args.large] - totals[args.small]) / (args.large - args.small)
    tree_head = subprocess.run(["git", "-C", str(args.tree), "rev-parse", "--short", "HEAD"],  # noqa: S607
                               capture_output=True, text=True).stdout.strip()  # fmt: skip
    print(f"tree {args.tree} ({tree_head or 'not a git checkout'})")
    print(f"instructions: {totals[args.small]:,} for {args.small} tickets, {totals[args.large]:,} for {args.large}")
    print(f"per ticket (the app in-process, without uvicorn and the writer process): {per_ticket:,.0f}")
    path = save_result(args.result_name, {
        "parameters": {"small": args.small, "large": args.large, "warm_up": WARM_UP, "callers": CALLERS,
                       "tree": _tree_name(args.tree), "tree_head": tree_head},
        "instructions_total": {str(n): t for n, t in totals.items()},
        "instructions_per_ticket": round(per_ticket),
    })  # fmt: skip
    print(f"result: {path}")


if __name__ == "__main__":
    main()
