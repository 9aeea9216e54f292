"""Benchmark 3: server memory with 10,000 idle display connections.

    .venv/bin/python bench/idle_connections.py [--connections 10000] [--workers 4] [--hold 20]

A fresh demo server is started with its open-file limit raised to the hard limit (preexec_fn), and 100 tickets
are issued so the snapshot is not empty. Display worker processes (the minimal client of call_to_screen.py,
--workers processes with their own raised limit) open --connections websockets to 127.0.0.1 with the lobby
token: hello, welcome, snapshot, then idle, answering the server's heartbeat pings. The server's RSS (VmRSS
from /proc/<pid>/status) is read before the first connection, when all are connected, and after holding them
--hold seconds (long enough for every connection's 15 s heartbeat to have run once), together with the server's
CPU use while idle.

Target: RSS <= 600 MB with 10,000 connections. Result: bench/results/idle_connections.json.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    KIOSK_TOKEN,
    UNLIMITED_SERVICES,
    have_uvloop,
    http_json,
    proc_status_kb,
    raise_nofile,
    save_result,
    start_server,
    table,
    verdict,
    wait_for_quiet,
)
from call_to_screen import Worker  # noqa: E402

TARGET_MB = 600.0


def fd_limit(pid: int) -> int:
    with open(f"/proc/{pid}/limits") as f:
        for line in f:
            if line.startswith("Max open files"):
                return int(line.split()[3])
    return -1


def open_fds(pid: int) -> int:
    return len(list(Path(f"/proc/{pid}/fd").iterdir()))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--connections", type=int, default=10_000)
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--hold", type=float, default=16.0, help="seconds to hold the connections idle")
    p.add_argument("--connect-timeout", type=float, default=140.0, help="seconds allowed for connecting all")
    p.add_argument("--connect-concurrency", type=int, default=100, help="handshakes in flight per worker")
    p.add_argument("--max-quiet-wait", type=float, default=60.0)
    args = p.parse_args()
    limit = raise_nofile()
    print(f"open-file limit: {limit} here (hard {resource.getrlimit(resource.RLIMIT_NOFILE)[1]})")
    quiet = wait_for_quiet(args.max_quiet_wait)
    client_loop = "uvloop" if have_uvloop() else "asyncio"
    with tempfile.TemporaryDirectory(prefix="bench-idle-") as tmp:
        workdir = Path(tmp)
        server = start_server(workdir)
        workers: list[Worker] = []
        try:
            server.wait_ready()
            for i in range(100):
                service = UNLIMITED_SERVICES[i % len(UNLIMITED_SERVICES)]
                http_json(
                    server.port,
                    "POST",
                    "/api/v1/sites/tegal/tickets",
                    {"service": service},
                    {"Authorization": f"Bearer {KIOSK_TOKEN}"},
                )
            server_limit = fd_limit(server.pid)
            if server_limit < args.connections + 100:
                raise SystemExit(f"the server's open-file limit {server_limit} is too low for {args.connections}")
            time.sleep(1.0)
            rss_before = server.rss_kb()
            fds_before = open_fds(server.pid)
            print(
                f"[idle_connections] server RSS before: {rss_before / 1024:.1f} MB; connecting {args.connections} ..."
            )
            n = max(1, args.workers)
            shares = [args.connections // n + (1 if k < args.connections % n else 0) for k in range(n)]
            budget = args.connect_timeout + args.hold + 60.0
            t0 = time.monotonic()
            for k, share in enumerate(shares):
                out = workdir / f"worker{k}.json"
                workers.append(
                    Worker(
                        server.port,
                        share,
                        out,
                        budget,
                        args.connect_concurrency,
                        "raw",
                        client_loop,
                        connect_timeout=args.connect_timeout,
                    )
                )
            curve: list[tuple[float, int, float]] = []  # (seconds, clients, RSS MB) while connecting
            stop_sampling = threading.Event()

            def sample() -> None:
                while not stop_sampling.wait(2.0):
                    try:
                        _, h = http_json(server.port, "GET", "/healthz", timeout=5)
                        curve.append((round(time.monotonic() - t0, 1), h["websocket_clients"], server.rss_kb() / 1024))
                    except (OSError, ValueError, KeyError):
                        pass

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            ready = [w.wait_ready() for w in workers]
            connect_seconds = time.monotonic() - t0
            stop_sampling.set()
            sampler.join(10)
            connected = sum(r["connected"] for r in ready)
            failed = sum(r["failed"] for r in ready)
            time.sleep(2.0)
            _, health = http_json(server.port, "GET", "/healthz")
            rss_connected = server.rss_kb()
            fds_connected = open_fds(server.pid)
            print(f"[idle_connections] {connected} connected in {connect_seconds:.1f} s; holding {args.hold:.0f} s ...")
            cpu0 = server.cpu()
            peak = rss_connected
            end = time.monotonic() + args.hold
            while time.monotonic() < end:
                time.sleep(1.0)
                peak = max(peak, server.rss_kb())
            cpu1 = server.cpu()
            rss_held = server.rss_kb()
            hwm = proc_status_kb(server.pid, "VmHWM")
            _, health_after = http_json(server.port, "GET", "/healthz")
            results = [w.stop() for w in workers]
        finally:
            for w in workers:
                if w.proc.poll() is None:
                    w.proc.kill()
            server.stop(timeout=30)
    stats = {k: sum(r["stats"][k] for r in results) for k in results[0]["stats"]}
    per_conn_kb = (rss_held - rss_before) / max(connected, 1)
    rows = [
        ["before connections", round(rss_before / 1024, 1), "-"],
        [
            f"{connected:,} connected",
            round(rss_connected / 1024, 1),
            round((rss_connected - rss_before) / connected, 1),
        ],
        [f"after {args.hold:.0f} s idle", round(rss_held / 1024, 1), round(per_conn_kb, 1)],
        ["peak while idle (VmHWM)", round(hwm / 1024, 1), "-"],
    ]
    print()
    print(table(rows, ["server RSS", "MB", "KB per connection"]))
    worst = max(rss_held, peak, hwm) / 1024
    idle_cpu = cpu1.percent_since(cpu0)
    print(
        f"\nconnected {connected}, failed {failed}, dropped while idle {stats['closed_early']}, "
        f"pings answered {stats['pings_answered']}; server CPU while idle {idle_cpu['process_cpu_percent']}%"
    )
    extrapolated = (rss_before + per_conn_kb * args.connections) / 1024
    if connected == args.connections:
        target_ok = verdict(worst, TARGET_MB)
        print(f"target: RSS <= {TARGET_MB:.0f} MB: peak {worst:.1f} MB ({target_ok})")
    else:
        target_ok = (
            f"NOT REACHED: only {connected} of {args.connections} connected in {connect_seconds:.0f} s; "
            f"extrapolated {extrapolated:.0f} MB ({verdict(extrapolated, TARGET_MB)} if linear)"
        )
        print(f"target: RSS <= {TARGET_MB:.0f} MB: {target_ok}")
    rates = [round((b[1] - a[1]) / (b[0] - a[0]), 1) for a, b in zip(curve, curve[1:], strict=False) if b[0] > a[0]]
    path = save_result(
        "idle_connections",
        {
            "parameters": {
                "connections": args.connections,
                "worker_processes": len(workers),
                "hold_seconds": args.hold,
                "client": f"raw websocket client (call_to_screen.py) on {client_loop}",
                "server_open_file_limit": server_limit,
            },
            "machine_before_start": quiet,
            "targets": {"rss_mb": {"target": f"<= {TARGET_MB:.0f}", "measured": round(worst, 1), "verdict": target_ok}},
            "connected": connected,
            "failed": failed,
            "connect_seconds": round(connect_seconds, 2),
            "connect_curve": [{"seconds": t, "clients": c, "rss_mb": round(m, 1)} for t, c, m in curve],
            "connects_per_second_by_interval": rates,
            "extrapolated_rss_mb_at_target_connections": round(extrapolated, 1),
            "healthz_websocket_clients": health.get("websocket_clients"),
            "healthz_websocket_clients_after_hold": health_after.get("websocket_clients"),
            "server_rss_mb": {
                "before": round(rss_before / 1024, 1),
                "connected": round(rss_connected / 1024, 1),
                "after_hold": round(rss_held / 1024, 1),
                "peak_sampled": round(peak / 1024, 1),
                "vm_hwm": round(hwm / 1024, 1),
            },
            "server_kb_per_connection": round(per_conn_kb, 1),
            "server_open_fds": {"before": fds_before, "connected": fds_connected},
            "server_cpu_while_idle": idle_cpu,
            "client_stats": stats,
            "client_errors": [e for r in results for e in r["errors"]][:10],
            "client_max_rss_mb": [r["max_rss_mb"] for r in results],
        },
    )
    print(f"result: {path}")


if __name__ == "__main__":
    main()
