"""Counter command round trip: from an operator's key press to the acknowledgement, with 50 counters at once.

    .venv/bin/python bench/counter_roundtrip.py [--counters 50] [--agencies 10] [--cycles 20] [--think-ms 0]
                                                [--max-seconds 120]

A site file with --counters counters (spread evenly over --agencies agencies, two services each) is written to
a temporary directory; one operator account per agency and a kiosk token are made with the `queue-server` CLI,
and the server is started as a subprocess (`queue-server serve`). Enough tickets are issued for every counter
to serve --cycles citizens. Then every counter, each a `counter_client.CounterClient` in this process (one
websocket per counter, as on the hall floor), opens and works through call_next -> recall -> start -> finish,
--cycles times, all counters at once, with --think-ms (+-50%) between presses (0: as fast as answers come).

Round trip = time from calling the client's command method to its return: the command frame is sent, the
server decides, commits to SQLite, answers with command_result, and the client's picture shows the change (the
event has been applied). The opening of each counter is not counted (it is the first frame on a new connection).
Bounded in count (--cycles) and time (--max-seconds). Result: bench/results/counter_roundtrip.json.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import (  # noqa: E402
    QUEUE_SERVER,
    REPO,
    http_json,
    percentile,
    save_result,
    start_server,
    table,
)

from counter_client.client import CommandRefused, CounterClient  # noqa: E402

PASSWORD = "bench-operator"
COMMANDS = ("call_next", "recall", "start", "finish")


def write_site(path: Path, counters: int, agencies: int) -> dict[str, list[str]]:
    """Agencies a01.. with services s<agency>a/b and counters 1..N dealt round robin; returns agency -> counters."""
    owned: dict[str, list[str]] = {f"a{n:02d}": [] for n in range(1, agencies + 1)}
    for i in range(1, counters + 1):
        owned[f"a{(i - 1) % agencies + 1:02d}"].append(str(i))
    lines = [
        '[site]\nid = "uji"\nname = "MPP Uji Loket"\ntimezone = "Asia/Jakarta"\nenforce_hours = false\n',
        '[site.hours]\nmon = ["00:00-24:00"]\n',
    ]
    for n, (agency, ids) in enumerate(owned.items()):
        lines.append(f'[[agencies]]\nid = "{agency}"\nname = "Instansi {agency}"\n')
        for suffix, letter in (("a", 2 * n), ("b", 2 * n + 1)):
            prefix = chr(ord("A") + letter // 26) + chr(ord("A") + letter % 26)
            lines.append(f'  [[agencies.services]]\n  id = "s{agency}{suffix}"\n  name = "Layanan {agency}{suffix}"\n'
                         f'  prefix = "{prefix}"\n')  # fmt: skip
        for counter in ids:
            lines.append(f'  [[agencies.counters]]\n  id = "{counter}"\n  services = ["s{agency}a", "s{agency}b"]\n')
    path.write_text("\n".join(lines))
    return owned


def cli(*args: str, db: Path, site: Path, stdin: str | None = None) -> str:
    out = subprocess.run(
        [QUEUE_SERVER, *args, "--db", str(db), "--site", str(site)],
        input=stdin, capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    return out.stdout


def issue_tickets(port: int, kiosk: str, owned: dict[str, list[str]], cycles: int) -> int:
    headers = {"Authorization": f"Bearer {kiosk}"}
    issued = 0
    for agency, counters in owned.items():
        for i in range(cycles * len(counters)):
            status, body = http_json(port, "POST", "/api/v1/sites/uji/tickets",
                                     {"service": f"s{agency}{'ab'[i % 2]}"}, headers)  # fmt: skip
            if status != 201:
                raise RuntimeError(f"issuing failed: {status} {body}")
            issued += 1
    return issued


async def work(
    url: str, tokens: dict[str, str], owned: dict[str, list[str]], args: argparse.Namespace
) -> dict[str, Any]:
    clients = [
        CounterClient(url, "uji", counter, token=tokens[agency]) for agency, ids in owned.items() for counter in ids
    ]
    started = time.perf_counter()
    await asyncio.gather(*(c.connect() for c in clients))
    connect_seconds = time.perf_counter() - started
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    acks: list[float] = []  # press -> command_result frame, before the client's picture shows the change
    refused: dict[str, int] = {}
    deadline = time.perf_counter() + args.max_seconds
    think = args.think_ms / 1000

    async def counter(client: CounterClient) -> None:
        await client.open_counter()
        for _ in range(args.cycles):
            for name in COMMANDS:
                if time.perf_counter() > deadline:
                    return
                if think:  # jittered, or fifty counters would press in lockstep
                    await asyncio.sleep(random.uniform(0.5, 1.5) * think)
                pressed = time.perf_counter()
                try:
                    result = await client.command(name)
                except CommandRefused as exc:
                    refused[exc.code] = refused.get(exc.code, 0) + 1
                    if name == "call_next":
                        return  # the queue ran dry
                    continue
                times[name].append(time.perf_counter() - pressed)
                acks.append(result.received_at - pressed)

    try:
        started = time.perf_counter()
        await asyncio.gather(*(counter(c) for c in clients))
        seconds = time.perf_counter() - started
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    return {"times": times, "acks": acks, "refused": refused, "seconds": seconds, "connect_seconds": connect_seconds,
            "reconnects": sum(c.connects - 1 for c in clients)}  # fmt: skip


def summarise(times: dict[str, list[float]], acks: list[float]) -> tuple[list[list[Any]], dict[str, Any]]:
    rows, stats = [], {}
    everything = sorted(t for values in times.values() for t in values)
    for name, values in [*times.items(), ("all", everything), ("all, answer only", acks)]:
        ms = sorted(v * 1000 for v in values)
        if not ms:
            continue
        entry = {"count": len(ms), "p50_ms": round(percentile(ms, 50), 2), "p90_ms": round(percentile(ms, 90), 2),
                 "p99_ms": round(percentile(ms, 99), 2), "max_ms": round(ms[-1], 2)}  # fmt: skip
        stats[name] = entry
        rows.append([name, entry["count"], entry["p50_ms"], entry["p90_ms"], entry["p99_ms"], entry["max_ms"]])
    return rows, stats


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--counters", type=int, default=50)
    p.add_argument("--agencies", type=int, default=10)
    p.add_argument("--cycles", type=int, default=20, help="citizens served per counter")
    p.add_argument("--think-ms", type=float, default=0.0, help="mean pause before each press (uniform +-50%%)")
    p.add_argument("--max-seconds", type=float, default=120.0)
    p.add_argument("--name", default="counter_roundtrip", help="result file name under bench/results/")
    args = p.parse_args()

    with tempfile.TemporaryDirectory(prefix="counter-bench-") as tmp:
        work_dir = Path(tmp)
        site, db = work_dir / "uji.toml", work_dir / "bench.sqlite3"
        owned = write_site(site, args.counters, args.agencies)
        for agency in owned:
            cli("user", "add", f"op-{agency}", "--role", "operator", "--site-id", "uji", "--agency", agency,
                "--password-stdin", db=db, site=site, stdin=PASSWORD + "\n")  # fmt: skip
        kiosk = cli("device", "add", "--kind", "kiosk", "--site-id", "uji", "--name", "Kios", db=db, site=site)
        kiosk = kiosk.strip().splitlines()[-1]
        # The working tree first: a package added since the last `pip install -e .` is still found.
        server = start_server(work_dir, mode="serve", site_file=site, db=db, extra_path=str(REPO))
        try:
            server.wait_ready()
            issued = issue_tickets(server.port, kiosk, owned, args.cycles)
            tokens = {}
            for agency in owned:
                status, body = http_json(server.port, "POST", "/api/v1/auth/login",
                                         {"username": f"op-{agency}", "password": PASSWORD})  # fmt: skip
                tokens[agency] = body["token"]
            cpu_before = server.cpu()
            own_before = resource.getrusage(resource.RUSAGE_SELF)
            result = asyncio.run(work(server.base, tokens, owned, args))
            cpu = server.cpu().percent_since(cpu_before)
            own = resource.getrusage(resource.RUSAGE_SELF)
            client_cpu = own.ru_utime + own.ru_stime - own_before.ru_utime - own_before.ru_stime
            rss_kb = server.rss_kb()
        finally:
            server.stop()

    rows, stats = summarise(result["times"], result["acks"])
    load = [round(x, 2) for x in os.getloadavg()]  # other work on the machine shows up in the tail
    total = stats.get("all", {}).get("count", 0)
    print(f"\n{args.counters} counters ({args.agencies} agencies), {args.cycles} citizens each, "
          f"think {args.think_ms:g} ms; {issued} tickets issued")  # fmt: skip
    print(table(rows, ["command", "count", "p50 ms", "p90 ms", "p99 ms", "max ms"]))
    print(f"\n{total} commands in {result['seconds']:.1f} s = {total / result['seconds']:.0f} commands/s; "
          f"server CPU {cpu['process_cpu_percent']}%, RSS {rss_kb / 1024:.0f} MiB; "
          f"clients' CPU {100 * client_cpu / result['seconds']:.0f}%; "
          f"refused {result['refused'] or 'none'}; reconnects {result['reconnects']}; load average {load}")  # fmt: skip
    path = save_result(args.name, {
        "settings": vars(args), "tickets_issued": issued, "seconds": round(result["seconds"], 2),
        "connect_seconds": round(result["connect_seconds"], 2), "commands_per_second": round(total / result["seconds"], 1),
        "round_trip": stats, "refused": result["refused"], "reconnects": result["reconnects"],
        "server": {**cpu, "rss_mb": round(rss_kb / 1024, 1)},
        "clients_cpu_percent": round(100 * client_cpu / result["seconds"], 1), "load_average_1_5_15": load,
    })  # fmt: skip
    print(f"saved {path}")


if __name__ == "__main__":
    main()
