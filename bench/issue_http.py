"""Benchmark 1: issuing tickets over HTTP with 32 concurrent clients.

    .venv/bin/python bench/issue_http.py [--duration 20] [--warmup 3] [--connections 32] [--profile]

For each variant a fresh demo server (own port, own database) is started; wrk (Debian package `wrk`, one
thread, so the generator takes little CPU) POSTs /api/v1/sites/tegal/tickets as the demo kiosk, spreading the
requests over the demo services that have no daily quota. After a warm-up, the measured run lasts --duration
seconds; wrk reports throughput and latency percentiles. Then the server is stopped and the database is
checked: every ticket wrk got a 201 for is in it exactly once, with the access log on the ticket count equals
the 201 answers it counted (wrk drops the answers still in flight when its time is up, so its own count can
be lower by at most the number of connections per run), numbers are unique and without gaps per series and
day, and there is one ticket.issued event per ticket. The "idempotency" variant sends a unique
Idempotency-Key with every request and also checks the stored idempotency records and a replay.

Variants: "default" (the server exactly as `queue-server demo` runs it: uvloop, httptools, no access log),
"idempotency", "access-log" (uvicorn access_log=True, as `--access-log`), "asyncio+h11" (the pure-Python event
loop and HTTP parser, what uvicorn uses without uvloop/httptools) and "gc-untuned" (Python's default garbage
collector settings instead of queue_server/runtime.py). --profile adds a 10 s py-spy run of "default", summarised by
bench/_profile.py. Targets (default variant): >= 2,000 tickets/s, p99 <= 50 ms. Result:
bench/results/<--result-name, default issue_http>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    BENCH,
    HOST,
    KIOSK_TOKEN,
    UNLIMITED_SERVICES,
    SystemCpu,
    child_setup,
    http_json,
    other_cpu,
    save_result,
    start_server,
    table,
    verdict,
    wait_for_quiet,
    wait_quiescent,
)

TARGET_RATE = 2000.0
TARGET_P99_MS = 50.0
LUA = BENCH / "wrk_issue.lua"


def run_wrk(port: int, seconds: float, connections: int, mode: str, run: str, out: Path) -> dict[str, Any]:
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{int(seconds)}s", "--timeout", "5s", "--latency"]
    cmd += ["-s", str(LUA), f"http://{HOST}:{port}", "--", mode, run]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(  # noqa: S603
        cmd,
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        env={**os.environ, "BENCH_WRK_OUT": str(out)},
        preexec_fn=lambda: child_setup(False),
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0 or not out.exists():
        raise RuntimeError(f"wrk failed ({proc.returncode}): {proc.stderr or proc.stdout}")
    result: dict[str, Any] = json.loads(out.read_text())
    result["wrk_cpu_seconds"] = round((after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime), 2)
    return result


def db_count(db: Path) -> int:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return int(con.execute("SELECT COUNT(*) FROM tickets").fetchone()[0])
    finally:
        con.close()


def exact_check(port: int, db: Path, connections: int, per_connection: int, idem: bool) -> dict[str, Any]:
    """A run with exact bookkeeping (every request awaited): new tickets in the database == 201 answers.

    wrk cannot give this (it drops the answers in flight when its time is up), so after the timed runs this
    sends connections x per_connection requests from as many threads, each on its own keep-alive connection.
    """
    import http.client
    from concurrent.futures import ThreadPoolExecutor

    def worker(n: int) -> list[tuple[int, str | None]]:
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        out = []
        for i in range(per_connection):
            headers = {"Content-Type": "application/json", "Authorization": f"Bearer {KIOSK_TOKEN}"}
            if idem:
                headers["Idempotency-Key"] = f"exact-{n}-{i}-{os.getpid()}"
            service = UNLIMITED_SERVICES[(n + i) % len(UNLIMITED_SERVICES)]
            conn.request("POST", "/api/v1/sites/tegal/tickets", body=json.dumps({"service": service}), headers=headers)
            r = conn.getresponse()
            body = json.loads(r.read())
            out.append((r.status, body.get("ticket", {}).get("id") if r.status == 201 else None))
        conn.close()
        return out

    wait_quiescent(port)
    before = db_count(db)
    with ThreadPoolExecutor(connections) as pool:
        answers = [a for chunk in pool.map(worker, range(connections)) for a in chunk]
    after = db_count(db)
    ids = [i for status, i in answers if status == 201]
    return {
        "requests": len(answers),
        "answered_201": len(ids),
        "db_new_tickets": after - before,
        "distinct_ids": len(set(ids)),
        "ok": after - before == len(ids) == len(set(ids)),
        "ids": ids,
    }


def verify(
    db: Path, runs: list[dict[str, Any]], connections: int, log_201: int | None, idem: bool, extra_ids: list[str]
) -> dict[str, Any]:
    """Check the database against what the load generators saw."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        ids = [r[0] for r in con.execute("SELECT id FROM tickets")]
        issued_events = con.execute("SELECT COUNT(*) FROM events WHERE type = 'ticket.issued'").fetchone()[0]
        duplicate_numbers = con.execute(
            "SELECT COUNT(*) FROM (SELECT 1 FROM tickets WHERE parent IS NULL "
            "GROUP BY site, day, series, number HAVING COUNT(*) > 1)"
        ).fetchone()[0]
        gaps = con.execute(
            "SELECT COUNT(*) FROM (SELECT series, day FROM tickets WHERE parent IS NULL "
            "GROUP BY site, day, series HAVING MAX(number) != COUNT(*) OR MIN(number) != 1)"
        ).fetchone()[0]
        idem_rows = con.execute("SELECT COUNT(*) FROM idempotency").fetchone()[0]
    finally:
        con.close()
    seen = [i for r in runs for i in r["ids"]] + extra_ids
    seen_labels = [x for r in runs for x in r["labels"]]
    answered = sum(int(r["status"].get("201", 0)) for r in runs) + len(extra_ids)
    db_ids = set(ids)
    in_flight_bound = connections * len(runs)
    checks = {
        "db_tickets": len(ids),
        "answered_201_all_generators": answered,
        "access_log_201_lines": log_201,
        "ticket_issued_events": issued_events,
        "duplicate_numbers": duplicate_numbers,
        "series_with_gaps": gaps,
        "duplicate_ids_in_answers": len(seen) - len(set(seen)),
        "duplicate_labels_in_wrk_answers": len(seen_labels) - len(set(seen_labels)),
        "answered_ids_missing_from_db": len(set(seen) - db_ids),
        "db_tickets_without_answer": len(db_ids - set(seen)),
        "unanswered_bound": in_flight_bound,
        "idempotency_rows": idem_rows,
    }
    problems = []
    if checks["duplicate_numbers"] or checks["series_with_gaps"]:
        problems.append("duplicate or missing ticket numbers")
    if checks["duplicate_ids_in_answers"] or checks["duplicate_labels_in_wrk_answers"]:
        problems.append("a ticket id or label was answered twice")
    if checks["answered_ids_missing_from_db"]:
        problems.append("an answered ticket is missing from the database")
    if issued_events != len(ids):
        problems.append("ticket.issued events != tickets")
    if not 0 <= len(ids) - answered <= in_flight_bound:
        problems.append(f"tickets without an answer outside [0, {in_flight_bound}] (wrk's cut-off in-flight requests)")
    if idem and idem_rows != len(ids):
        problems.append("idempotency records != tickets")
    checks["ok"] = not problems
    checks["problems"] = problems
    return checks


def replay_check(port: int) -> dict[str, Any]:
    """The same Idempotency-Key twice: one ticket, the second answer marked as replayed."""
    import http.client

    key = f"replay-check-{os.getpid()}"
    answers = []
    for _ in range(2):
        conn = http.client.HTTPConnection(HOST, port, timeout=10)
        conn.request(
            "POST",
            "/api/v1/sites/tegal/tickets",
            body=json.dumps({"service": "pkb"}),
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {KIOSK_TOKEN}",
                "Idempotency-Key": key,
            },
        )
        r = conn.getresponse()
        body = json.loads(r.read())
        answers.append((r.status, r.getheader("Idempotent-Replayed"), body["ticket"]["id"]))
        conn.close()
    same = answers[0][2] == answers[1][2]
    return {"ok": same and answers[1][1] == "true", "answers": answers}


class SeqSampler:
    """Samples /healthz last_seq (one event per issued ticket) twice a second: throughput over time."""

    def __init__(self, port: int) -> None:
        import threading

        self.port = port
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import http.client

        conn = http.client.HTTPConnection(HOST, self.port, timeout=5)
        while not self._stop.is_set():
            try:
                status, body = http_json(self.port, "GET", "/healthz", conn=conn)
                if status == 200:
                    self.samples.append((time.monotonic(), int(body["last_seq"])))
            except (OSError, ValueError):
                conn.close()
                conn = http.client.HTTPConnection(HOST, self.port, timeout=5)
            self._stop.wait(0.5)
        conn.close()

    def __enter__(self) -> SeqSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)

    def rates(self, window: float = 5.0) -> dict[str, Any]:
        """Tickets/s in the first and last `window` seconds, and per second over the run."""
        if len(self.samples) < 4:
            return {}
        t0 = self.samples[0][0]
        points = [(round(t - t0, 2), seq) for t, seq in self.samples]

        def rate(lo: float, hi: float) -> float:
            inside = [(t, q) for t, q in points if lo <= t <= hi]
            if len(inside) < 2 or inside[-1][0] == inside[0][0]:
                return float("nan")
            return round((inside[-1][1] - inside[0][1]) / (inside[-1][0] - inside[0][0]), 1)

        end = points[-1][0]
        per_second = [rate(float(i), float(i + 1)) for i in range(int(end))]
        return {
            "first_window": rate(0, window),
            "last_window": rate(end - window, end),
            "window_seconds": window,
            "per_second": per_second,
        }


def run_variant(name: str, spec: dict[str, Any], args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    quiet = wait_for_quiet(args.max_quiet_wait)
    idem = bool(spec.get("idem"))
    mode = "idem" if idem else "plain"
    saved = {key: os.environ.get(key) for key in spec.get("env", {})}
    os.environ.update(spec.get("env", {}))  # read by the server process at its start
    try:
        server = start_server(
            workdir, uvicorn_options=spec.get("uvicorn"), extra_path=spec.get("extra_path"), patches=spec.get("patches")
        )
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    runs: list[dict[str, Any]] = []
    profile: dict[str, Any] | None = None
    replay: dict[str, Any] | None = None
    try:
        server.wait_ready()
        runs.append(run_wrk(server.port, args.warmup, args.connections, mode, "warm", workdir / "warm.json"))
        wait_quiescent(server.port)
        waiting_before = db_count(server.db)
        cpu0, sys0 = server.cpu(), SystemCpu.sample()
        with SeqSampler(server.port) as sampler:
            main = run_wrk(server.port, args.duration, args.connections, mode, "main", workdir / "main.json")
        cpu1, sys1 = server.cpu(), SystemCpu.sample()
        runs.append(main)
        rss_kb = server.rss_kb()
        if args.profile and name == "default":
            profile = profile_run(name, server.port, args, workdir, server.pid, mode, runs)
        exact = exact_check(server.port, server.db, args.connections, args.exact_per_connection, idem)
        if idem:
            replay = replay_check(server.port)
        status, health = http_json(server.port, "GET", "/healthz")
    finally:
        server.stop()
    log_201 = None
    if server.variant.get("access_log"):
        log_201 = server.log.read_text(errors="replace").count('"POST /api/v1/sites/tegal/tickets HTTP/1.1" 201')
    extra_ids = list(exact.pop("ids"))
    if replay is not None:
        extra_ids.append(replay["answers"][0][2])  # the replay check made one ticket (answered twice)
    checks = verify(server.db, runs, args.connections, log_201, idem, extra_ids)
    checks["exact_count_check"] = exact
    checks["ok"] = checks["ok"] and exact["ok"]
    if replay is not None:
        checks["replay_check"] = replay
        checks["ok"] = checks["ok"] and replay["ok"]
    seconds = main["duration_us"] / 1e6
    lat = main["latency_us"]
    server_cpu = cpu1.percent_since(cpu0)
    wrk_cpu = round(100 * main["wrk_cpu_seconds"] / seconds, 1)
    machine = sys1.busy_percent_since(sys0)
    return {
        "variant": name,
        "machine_before_start": quiet,
        "uvicorn_options": server.variant,
        "connections": args.connections,
        "duration_seconds": round(seconds, 2),
        "requests": main["requests"],
        "status": main["status"],
        "errors": main["errors"],
        "tickets_per_second": round(int(main["status"].get("201", 0)) / seconds, 1),
        "latency_ms": {k: round(v / 1000, 2) for k, v in lat.items()},
        "tickets_waiting_at_start": waiting_before,
        "tickets_waiting_at_end": waiting_before + int(main["status"].get("201", 0)),
        "throughput_over_time": sampler.rates(),
        "server_cpu": server_cpu,
        "wrk_cpu_percent": wrk_cpu,
        "machine_cpu_percent_of_one_core": machine,
        "other_processes_cpu_percent": other_cpu(machine, server_cpu["process_cpu_percent"], wrk_cpu),
        "server_rss_mb_after": round(rss_kb / 1024, 1),
        "healthz_after": health if status == 200 else status,
        "verification": checks,
        "profile": profile,
    }


def profile_run(
    name: str, port: int, args: argparse.Namespace, workdir: Path, pid: int, mode: str, runs: list[dict[str, Any]]
) -> dict[str, Any] | None:
    import _profile

    if not _profile.available():
        print("py-spy not found; skipping the profile run", file=sys.stderr)
        return None
    seconds = 10
    raw = workdir / "issue_http.pyspy.txt"
    spy = _profile.record(pid, seconds, raw)
    time.sleep(0.5)
    runs.append(run_wrk(port, seconds + 1, args.connections, mode, "prof", workdir / "prof.json"))
    spy.wait(30)
    if not raw.exists():
        return None
    summary = _profile.summarize(raw)
    keep = BENCH / "results" / f"issue_http.{name}.pyspy.txt"
    keep.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(raw, keep)
    print(_profile.format_summary(summary))
    return summary


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--duration", type=float, default=20.0)
    p.add_argument("--warmup", type=float, default=3.0)
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--variants", default="default,idempotency,access-log,gc-untuned,asyncio+h11")
    p.add_argument("--max-quiet-wait", type=float, default=60.0, help="seconds to wait for a quiet machine")
    p.add_argument("--exact-per-connection", type=int, default=40, help="requests per thread in the exact check")
    p.add_argument("--result-name", default="issue_http")
    p.add_argument("--profile", action="store_true", help="py-spy the default variant in an extra 10 s run")
    args = p.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    specs: dict[str, dict[str, Any]] = {
        "default": {},
        "idempotency": {"idem": True},
        "access-log": {"uvicorn": {"access_log": True}},
        "asyncio+h11": {"uvicorn": {"loop": "asyncio", "http": "h11"}},
        "gc-untuned": {"patches": ["gc_untuned"]},
        "coalesce-writes": {"patches": ["coalesce_writes"]},
        "synchronous-full": {
            "env": {"QUEUE_SYNCHRONOUS": "FULL"}
        },  # what survives a power cut (the default since 5 Dec)
        "synchronous-normal": {"env": {"QUEUE_SYNCHRONOUS": "NORMAL"}},
    }
    chosen = [v for v in args.variants.split(",") if v]
    unknown = [v for v in chosen if v not in specs]
    if unknown:
        raise SystemExit(f"unknown variants {unknown}; choose from {sorted(specs)}")
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-issue-") as tmp:
        for name in chosen:
            workdir = Path(tmp) / name.replace("+", "_")
            workdir.mkdir()
            print(f"[issue_http] {name}: warm-up {args.warmup:.0f} s, then {args.duration:.0f} s ...", flush=True)
            results.append(run_variant(name, specs[name], args, workdir))
    rows = []
    for r in results:
        lat = r["latency_ms"]
        non_201 = r["requests"] - int(r["status"].get("201", 0))
        over = r["throughput_over_time"]
        rows.append(
            [
                r["variant"],
                r["tickets_per_second"],
                over.get("first_window", "-"),
                over.get("last_window", "-"),
                lat["p50"],
                lat["p95"],
                lat["p99"],
                lat["max"],
                non_201,
                r["server_cpu"]["main_thread_cpu_percent"],
                r["server_cpu"].get("child_processes_cpu_percent", "-"),
                r["server_cpu"]["process_cpu_percent"],
                r["wrk_cpu_percent"],
                r["other_processes_cpu_percent"],
                "ok" if r["verification"]["ok"] else "FAILED",
            ]
        )
    headers = ["variant", "tickets/s", "first 5 s", "last 5 s", "p50 ms", "p95 ms", "p99 ms", "max ms", "non-201"]
    headers += ["loop thr CPU%", "writer CPU%", "server CPU%", "wrk CPU%", "others CPU%", "DB check"]
    print()
    print(table(rows, headers))
    default = next((r for r in results if r["variant"] == "default"), results[0])
    label = "" if default["variant"] == "default" else f" (variant {default['variant']}, not the shipped configuration)"
    targets = {
        "tickets_per_second": {
            "target": f">= {TARGET_RATE:.0f}",
            "measured": default["tickets_per_second"],
            "verdict": verdict(default["tickets_per_second"], TARGET_RATE, lower_is_better=False) + label,
        },
        "p99_ms": {
            "target": f"<= {TARGET_P99_MS:.0f}",
            "measured": default["latency_ms"]["p99"],
            "verdict": verdict(default["latency_ms"]["p99"], TARGET_P99_MS) + label,
        },
    }
    print(
        f"\ntarget (variant {default['variant']}): {targets['tickets_per_second']['measured']} tickets/s "
        f"({targets['tickets_per_second']['verdict']}), p99 {targets['p99_ms']['measured']} ms "
        f"({targets['p99_ms']['verdict']})"
    )
    for r in results:
        if not r["verification"]["ok"]:
            print(f"verification FAILED for {r['variant']}: {r['verification']['problems']}")
    path = save_result(
        args.result_name,
        {
            "parameters": {
                "duration_seconds": args.duration,
                "warmup_seconds": args.warmup,
                "connections": args.connections,
                "load_generator": "wrk -t1 (same machine)",
            },
            "targets": targets,
            "variants": results,
        },
    )
    print(f"result: {path}")


if __name__ == "__main__":
    main()
