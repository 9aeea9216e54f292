"""Benchmark 2: from an operator's call_next to the ticket on EVERY lobby display.

    .venv/bin/python bench/call_to_screen.py [--displays 1000,5000] [--calls 200] [--rate 8] [--workers N]

For each display count a fresh demo server is started. Tickets are issued first (pkb for the two Samsat
counters 7 and 8, pbb/tabungan for the two Bank Jateng counters 21 and 22) and the four counters opened by
their operators. Display worker processes (one per 2,500 displays, open-file limit raised to the hard limit)
connect with the lobby token, send hello, receive welcome and snapshot, answer the server's heartbeat pings,
and record the arrival time of every ticket.called frame. The operator (this process) then presses call_next
--calls times at --rate per second, round robin over the four counters, and finishes each counter's previous
ticket half a tick before calling on it again (so the lobby also gets ticket.started and ticket.finished, as in
real use). The operator is a closed loop (the next press waits for the previous answer) and stops after
--max-call-seconds, so a server that cannot keep the pace ends the run in bounded time with fewer calls.

The display client (--client) is by default a minimal one (asyncio.Protocol with hand-rolled RFC 6455 framing
on uvloop): the `websockets` asyncio client costs ~50 us per frame, and at
1,000 displays x 3 frames per call it saturates a core of this 2-core machine and becomes what is measured.
--client websockets runs the same displays on the websockets library.

One clock: time.perf_counter() is CLOCK_MONOTONIC on Linux, the same clock in every process of the machine, so
the send time taken here and the arrival times taken in the display processes can be subtracted. Latency of a
(call, display) pair = arrival at that display - moment the operator's HTTP request was sent. The arrival time
is taken when the client's event loop hands the frame to the display coroutine, so it includes the client's
own processing of the frames before it (see the notes in docs/benchmarks.md).

Target: p99 over all (call, display) pairs <= 50 ms at 1,000 displays. Result: bench/results/call_to_screen.json.

--postgresql: the same on several processes sharing one PostgreSQL database (a throwaway cluster started for the
run, fsync on): the displays are spread over two server processes, and the operator calls on a third, so every
call reaches the displays through the database (NOTIFY, then a read of the site's new events). Result:
bench/results/call_to_screen_postgresql.json (--result-name).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    BENCH,
    HOST,
    KIOSK_TOKEN,
    LOBBY_TOKEN,
    PYTHON,
    Server,
    SystemCpu,
    child_setup,
    have_uvloop,
    http_json,
    login,
    percentile,
    raise_nofile,
    save_result,
    start_server,
    table,
    verdict,
    wait_for_quiet,
)

TARGET_P99_MS = 50.0
# counter -> (operator, services to issue for it)
COUNTERS = {
    "7": ("op-samsat", ("pkb",)),
    "8": ("op-samsat", ("pkb",)),
    "21": ("op-bank-jateng", ("pbb", "tabungan")),
    "22": ("op-bank-jateng", ("tabungan", "pbb")),
}


# --- display worker (a separate process) -------------------------------------------------------------------


def _client_result(stats: Any, errors: Any, connect_seconds: float, arrivals: Any) -> dict[str, Any]:
    """What a display client process reports back, with its own CPU time and peak memory."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "stats": stats,
        "errors": errors,
        "connect_seconds": round(connect_seconds, 3),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        "max_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "arrivals": arrivals,
    }


async def worker_main(args: argparse.Namespace) -> dict[str, Any]:
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    limit = raise_nofile()
    url = f"ws://{HOST}:{args.port}/ws"
    hello = json.dumps({"type": "hello", "role": "display", "site": "tegal", "token": LOBBY_TOKEN})
    arrivals: dict[str, list[float]] = {}
    stats = {"connected": 0, "failed": 0, "closed_early": 0, "pings_answered": 0, "error_frames": 0, "frames": 0}
    errors: list[str] = []
    sem = asyncio.Semaphore(args.connect_concurrency)
    stop = asyncio.Event()
    settled = asyncio.Event()  # every connection attempt has succeeded or failed
    connections: list[Any] = []
    perf = time.perf_counter

    async def display() -> None:
        try:
            async with sem:
                ws = await connect(
                    url, compression=None, ping_interval=None, max_size=None, open_timeout=60, close_timeout=2
                )
                await ws.send(hello)
                welcome = json.loads(await ws.recv())
                if welcome.get("type") != "welcome":
                    raise RuntimeError(f"no welcome: {welcome}")
                await ws.recv()  # snapshot
        except Exception as exc:  # noqa: BLE001 - counted and reported
            stats["failed"] += 1
            if len(errors) < 5:
                errors.append(repr(exc))
            if stats["connected"] + stats["failed"] == args.count:
                settled.set()
            return
        stats["connected"] += 1
        connections.append(ws)
        if stats["connected"] + stats["failed"] == args.count:
            settled.set()
        try:
            async for message in ws:
                now = perf()
                stats["frames"] += 1
                if message.startswith('{"type":"ticket.called"'):
                    ticket_id = json.loads(message)["data"]["ticket"]["id"]
                    arrivals.setdefault(ticket_id, []).append(now)
                elif message.startswith('{"type":"ping"'):
                    await ws.send('{"type":"pong"}')
                    stats["pings_answered"] += 1
                elif message.startswith('{"type":"error"'):
                    stats["error_frames"] += 1
                    if len(errors) < 5:
                        errors.append(message[:200])
        except ConnectionClosed:
            pass
        if not stop.is_set():
            stats["closed_early"] += 1

    started = perf()
    tasks = [asyncio.create_task(display()) for _ in range(args.count)]
    try:
        await asyncio.wait_for(settled.wait(), timeout=args.connect_timeout or args.max_seconds / 2)
    except TimeoutError:
        errors.append("connecting took longer than its time limit")
    connect_seconds = perf() - started
    print(f"READY {stats['connected']} {stats['failed']} {connect_seconds:.3f} {limit}", flush=True)

    loop = asyncio.get_running_loop()
    line = loop.run_in_executor(None, sys.stdin.readline)
    try:
        await asyncio.wait_for(line, timeout=max(1.0, args.max_seconds - (perf() - started)))
    except TimeoutError:
        errors.append("stopped by its own time limit")
    stop.set()
    await asyncio.gather(*(ws.close() for ws in connections), return_exceptions=True)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return _client_result(stats, errors, connect_seconds, arrivals)


async def raw_worker_main(args: argparse.Namespace) -> dict[str, Any]:
    """The same display behaviour on a minimal websocket client (asyncio.Protocol, hand-rolled RFC 6455 framing).

    It takes the arrival time once per data_received call and does only a few bytes operations per frame, so
    the client's own processing hardly delays the frames behind it (the websockets client spends ~50 us per
    frame, which at 1,000 displays x 3 events per call saturates a core and becomes the thing measured).
    """
    limit = raise_nofile()
    loop = asyncio.get_running_loop()
    hello = json.dumps({"type": "hello", "role": "display", "site": "tegal", "token": LOBBY_TOKEN}).encode()
    arrivals: dict[str, list[float]] = {}
    stats = {"connected": 0, "failed": 0, "closed_early": 0, "pings_answered": 0, "error_frames": 0, "frames": 0}
    errors: list[str] = []
    sem = asyncio.Semaphore(args.connect_concurrency)
    stopping = False
    perf = time.perf_counter
    protocols: list[RawDisplay] = []

    class RawDisplay(asyncio.Protocol):
        def __init__(self) -> None:
            self.buf = bytearray()
            self.upgraded = False
            self.before_live = 2  # welcome and snapshot
            self.ready: asyncio.Future[None] = loop.create_future()
            self.transport: asyncio.Transport | None = None

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.transport = transport  # type: ignore[assignment]  # uvloop's is no asyncio.Transport subclass
            key = base64.b64encode(os.urandom(16)).decode()
            transport.write(
                f"GET /ws HTTP/1.1\r\nHost: {HOST}:{args.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
            )

        def send_text(self, payload: bytes) -> None:
            assert self.transport is not None and len(payload) < 126
            mask = os.urandom(4)
            n = len(payload)
            masked = (int.from_bytes(payload, "big") ^ int.from_bytes((mask * (n // 4 + 1))[:n], "big")).to_bytes(
                n, "big"
            )
            self.transport.write(bytes((0x81, 0x80 | n)) + mask + masked)

        def data_received(self, data: bytes) -> None:
            now = perf()
            buf = self.buf
            buf += data
            if not self.upgraded:
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    return
                if b" 101 " not in buf[: buf.find(b"\r\n")]:
                    self._fail(bytes(buf[:80]).decode(errors="replace"))
                    return
                del buf[: end + 4]
                self.upgraded = True
                self.send_text(hello)
            while len(buf) >= 2:
                n = buf[1] & 0x7F
                offset = 2
                if n == 126:
                    if len(buf) < 4:
                        return
                    n, offset = int.from_bytes(buf[2:4], "big"), 4
                elif n == 127:
                    if len(buf) < 10:
                        return
                    n, offset = int.from_bytes(buf[2:10], "big"), 10
                if len(buf) < offset + n:
                    return
                opcode = buf[0] & 0x0F
                head = bytes(buf[offset : offset + min(n, 200)])
                del buf[: offset + n]
                self._frame(opcode, head, now)

        def _frame(self, opcode: int, head: bytes, now: float) -> None:
            if opcode == 8:  # close
                if self.transport is not None:
                    self.transport.close()
                return
            if opcode != 1:
                return
            if self.before_live:
                self.before_live -= 1
                if self.before_live == 0 and not self.ready.done():
                    self.ready.set_result(None)
                return
            stats["frames"] += 1
            if head.startswith(b'{"type":"ticket.called"'):
                at = head.find(b'"ticket":{"id":"')
                ticket_id = head[at + 16 : at + 48].decode()
                arrivals.setdefault(ticket_id, []).append(now)
            elif head.startswith(b'{"type":"ping"'):
                self.send_text(b'{"type":"pong"}')
                stats["pings_answered"] += 1
            elif head.startswith(b'{"type":"error"'):
                stats["error_frames"] += 1
                if len(errors) < 5:
                    errors.append(head.decode(errors="replace"))

        def _fail(self, why: str) -> None:
            if not self.ready.done():
                self.ready.set_exception(RuntimeError(why))
            if self.transport is not None:
                self.transport.close()

        def connection_lost(self, exc: Exception | None) -> None:
            if not self.ready.done():
                self.ready.set_exception(RuntimeError(f"connection lost before the snapshot: {exc!r}"))
            elif not stopping:
                stats["closed_early"] += 1

    async def open_one() -> None:
        try:
            async with sem:
                _, proto = await loop.create_connection(RawDisplay, HOST, args.port)
                await asyncio.wait_for(proto.ready, 60)
        except Exception as exc:  # noqa: BLE001 - counted and reported
            stats["failed"] += 1
            if len(errors) < 5:
                errors.append(repr(exc))
            return
        protocols.append(proto)
        stats["connected"] += 1

    started = perf()
    try:
        await asyncio.wait_for(
            asyncio.gather(*(open_one() for _ in range(args.count))),
            timeout=args.connect_timeout or args.max_seconds / 2,
        )
    except TimeoutError:
        errors.append("connecting took longer than its time limit")
    connect_seconds = perf() - started
    print(f"READY {stats['connected']} {stats['failed']} {connect_seconds:.3f} {limit}", flush=True)
    try:
        await asyncio.wait_for(
            loop.run_in_executor(None, sys.stdin.readline), timeout=max(1.0, args.max_seconds - (perf() - started))
        )
    except TimeoutError:
        errors.append("stopped by its own time limit")
    stopping = True
    for proto in protocols:
        if proto.transport is not None:
            proto.transport.close()
    await asyncio.sleep(0.2)
    return _client_result(stats, errors, connect_seconds, arrivals)


# --- orchestration ------------------------------------------------------------------------------------------


class Worker:
    def __init__(
        self,
        port: int,
        count: int,
        out: Path,
        max_seconds: float,
        concurrency: int,
        client: str,
        client_loop: str,
        connect_timeout: float = 0.0,
    ) -> None:
        cmd = [PYTHON, __file__, "--worker", "--port", str(port), "--count", str(count), "--out", str(out)]
        cmd += ["--max-seconds", str(max_seconds), "--connect-concurrency", str(concurrency)]
        cmd += ["--client", client, "--client-loop", client_loop, "--connect-timeout", str(connect_timeout)]
        self.out = out
        self.proc = subprocess.Popen(  # noqa: S603
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, preexec_fn=child_setup
        )

    def wait_ready(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("READY"):
                _, connected, failed, seconds, limit = line.split()
                return {"connected": int(connected), "failed": int(failed), "seconds": float(seconds), "nofile": limit}
        raise RuntimeError(f"display worker exited with {self.proc.wait()}")

    def stop(self) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        try:
            self.proc.stdin.write("stop\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            pass
        for line in self.proc.stdout:
            if line.startswith("DONE"):
                break
        self.proc.wait(60)
        return dict(json.loads(self.out.read_text()))


def prepare_site(server: Server, calls: int) -> dict[str, str]:
    """Issue enough tickets for the counters, log the operators in and open the counters. Returns tokens."""
    per_counter = math.ceil(calls / len(COUNTERS)) + 5
    for _counter, (_op, services) in COUNTERS.items():
        for i in range(per_counter):
            status, body = http_json(
                server.port,
                "POST",
                "/api/v1/sites/tegal/tickets",
                {"service": services[i % len(services)]},
                {"Authorization": f"Bearer {KIOSK_TOKEN}"},
            )
            if status != 201:
                raise RuntimeError(f"issuing failed: {status} {body}")
    tokens = {op: login(server.port, op) for op, _ in COUNTERS.values()}
    for counter, (op, _) in COUNTERS.items():
        status, body = command(server.port, tokens[op], counter, "open")
        if status != 200:
            raise RuntimeError(f"open counter {counter}: {status} {body}")
    return tokens


class Operator:
    """One operator's keep-alive HTTP connection. Every command carries a command_id, so after a dropped
    connection it is sent again on a new one and the server answers it once (counted in `reconnects`)."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.token = token
        self.conn: Any = None
        self.reconnects = 0
        self.n = 0

    def command(self, counter: str, name: str) -> tuple[int, Any]:
        import http.client

        self.n += 1
        body = {"command": name, "command_id": f"bench-{uuid.uuid4().hex}"}
        for attempt in range(3):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
            try:
                return http_json(
                    self.port,
                    "POST",
                    f"/api/v1/sites/tegal/counters/{counter}/commands",
                    body,
                    {"Authorization": f"Bearer {self.token}"},
                    conn=self.conn,
                )
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                self.reconnects += 1
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


def command(port: int, token: str, counter: str, name: str) -> tuple[int, Any]:
    return Operator(port, token).command(counter, name)


def operate(
    port: int, tokens: dict[str, str], calls: int, rate: float, max_seconds: float
) -> tuple[list[dict[str, Any]], int]:
    """call_next `calls` times at `rate` per second; finish each counter's ticket half a tick before its turn.
    Closed loop: when an answer takes longer than the pace, the next press waits for it (as a person would)."""
    ops = {op: Operator(port, token) for op, token in tokens.items()}
    order = list(COUNTERS)
    busy: dict[str, bool] = dict.fromkeys(order, False)
    pace = 1.0 / rate
    out: list[dict[str, Any]] = []
    start = time.perf_counter() + 0.2
    for i in range(calls):
        if time.perf_counter() - start > max_seconds:
            break  # the server cannot keep the pace: stop, bounded in time, and report the calls made
        counter = order[i % len(order)]
        op = ops[COUNTERS[counter][0]]
        if busy[counter]:
            _sleep_until(start + (i - 0.5) * pace)
            status, body = op.command(counter, "finish")
            if status != 200:
                raise RuntimeError(f"finish on {counter}: {status} {body}")
            busy[counter] = False
        _sleep_until(start + i * pace)
        sent = time.perf_counter()
        status, body = op.command(counter, "call_next")
        answered = time.perf_counter()
        if status != 200:
            raise RuntimeError(f"call_next on {counter}: {status} {body}")
        busy[counter] = True
        out.append({"counter": counter, "ticket": body["ticket"]["id"], "sent": sent, "answered": answered})
    for o in ops.values():
        o.close()
    return out, sum(o.reconnects for o in ops.values())


def _sleep_until(t: float) -> None:
    delay = t - time.perf_counter()
    if delay > 0:
        time.sleep(delay)


def run_one(displays: int, args: argparse.Namespace, workdir: Path, database: str | None = None) -> dict[str, Any]:
    quiet = wait_for_quiet(args.max_quiet_wait)
    options = {"ws": args.uvicorn_ws} if args.uvicorn_ws else None
    patches = [x for x in args.patches.split(",") if x]
    server = start_server(workdir, db=database, uvicorn_options=options, patches=patches)
    others: list[Server] = []  # --postgresql: [the second display process, the operator's process]
    workers: list[Worker] = []
    try:
        server.wait_ready()
        if database is not None:  # started after the first: it seeded the demo accounts
            for k in (2, 3):
                others.append(start_server(workdir, db=database, log_name=f"server{k}.log"))
                others[-1].wait_ready()
        display_ports = [server.port, others[0].port] if others else [server.port]
        operator_port = others[-1].port if others else server.port
        tokens = prepare_site(server if not others else others[-1], args.calls)
        n_workers = args.workers or max(1, math.ceil(displays / 2500))
        shares = [displays // n_workers + (1 if k < displays % n_workers else 0) for k in range(n_workers)]
        budget = 90.0 + displays / 50 + args.max_call_seconds + args.settle
        rss_before = server.rss_kb()
        t_connect = time.perf_counter()
        for k, share in enumerate(shares):
            workers.append(
                Worker(
                    display_ports[k % len(display_ports)],
                    share,
                    workdir / f"worker{k}.json",
                    budget,
                    args.connect_concurrency,
                    args.client,
                    args.client_loop,
                )
            )
        ready = [w.wait_ready() for w in workers]
        connect_seconds = time.perf_counter() - t_connect
        connected = sum(r["connected"] for r in ready)
        healths = [http_json(port, "GET", "/healthz")[1] for port in display_ports]
        health = {"websocket_clients": sum(h.get("websocket_clients", 0) for h in healths)}
        time.sleep(1.0)
        rss_connected = server.rss_kb()
        spy = None
        if args.profile:
            import _profile

            raw = workdir / "call_to_screen.pyspy.txt"
            spy = _profile.record(server.pid, min(args.max_call_seconds, args.calls / args.rate), raw)
        cpu0, sys0 = server.cpu(), SystemCpu.sample()
        calls, reconnects = operate(operator_port, tokens, args.calls, args.rate, args.max_call_seconds)
        cpu1, sys1 = server.cpu(), SystemCpu.sample()
        time.sleep(args.settle)
        results = [w.stop() for w in workers]
        profile = None
        if spy is not None:
            spy.wait(60)
            if raw.exists():
                profile = _profile.summarize(raw)
                print(_profile.format_summary(profile))
                keep = BENCH / "results" / f"{args.result_name}.{displays}.pyspy.txt"
                keep.write_text(raw.read_text())
    finally:
        for w in workers:
            if w.proc.poll() is None:
                w.proc.kill()
        for other in others:
            other.stop()
        server.stop()

    arrivals: dict[str, list[float]] = {}
    for r in results:
        for ticket_id, times in r["arrivals"].items():
            arrivals.setdefault(ticket_id, []).extend(times)
    pair_ms: list[float] = []
    per_call_all_ms: list[float] = []  # until the LAST display had it
    per_call_first_ms: list[float] = []
    missing = 0
    for call in calls:
        times = arrivals.get(call["ticket"], [])
        missing += connected - len(times)
        lat = sorted((t - call["sent"]) * 1000 for t in times)
        pair_ms.extend(lat)
        if lat:
            per_call_first_ms.append(lat[0])
            per_call_all_ms.append(lat[-1])
    pair_ms.sort()
    per_call_all_ms.sort()
    http_ms = sorted((c["answered"] - c["sent"]) * 1000 for c in calls)
    stats = {k: sum(r["stats"][k] for r in results) for k in results[0]["stats"]}
    server_cpu = cpu1.percent_since(cpu0)
    machine = sys1.busy_percent_since(sys0)
    return {
        "displays": displays,
        "server_processes": 1 + len(others),
        "database": "postgresql (displays on 2 processes, calls on a 3rd)" if others else "sqlite",
        "machine_before_start": quiet,
        "displays_connected": connected,
        "worker_processes": len(workers),
        "connect_seconds_all": round(connect_seconds, 2),
        "healthz_websocket_clients": health.get("websocket_clients"),
        "calls": len(calls),
        "calls_planned": args.calls,
        "call_rate_per_second": args.rate,
        "call_rate_achieved": round((len(calls) - 1) / max(calls[-1]["sent"] - calls[0]["sent"], 1e-9), 2),
        "operator_reconnects": reconnects,
        "pairs_measured": len(pair_ms),
        "pairs_missing": missing,
        "latency_ms_all_pairs": _dist(pair_ms),
        "latency_ms_until_every_display": _dist(per_call_all_ms),
        "latency_ms_until_first_display": _dist(sorted(per_call_first_ms)),
        "operator_http_roundtrip_ms": _dist(http_ms),
        "server_cpu_during_calls": server_cpu,
        "machine_cpu_percent_of_one_core_during_calls": machine,
        "server_and_others_note": "machine CPU includes the display processes and other tenants of the machine",
        "server_rss_mb": {
            "before_displays": round(rss_before / 1024, 1),
            "displays_connected": round(rss_connected / 1024, 1),
        },
        "client_stats": stats,
        "client_cpu_seconds": [r["cpu_seconds"] for r in results],
        "client_errors": [e for r in results for e in r["errors"]][:10],
        "uvicorn_ws": args.uvicorn_ws or "default (auto)",
        "what_if_patches": patches,
        "client": args.client,
        "client_loop": args.client_loop,
        "profile": profile,
    }


def _dist(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    return {
        "p50": round(percentile(values, 50), 2),
        "p90": round(percentile(values, 90), 2),
        "p99": round(percentile(values, 99), 2),
        "p99.9": round(percentile(values, 99.9), 2),
        "max": round(values[-1], 2),
        "mean": round(sum(values) / len(values), 2),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--displays", default="1000,5000", help="comma-separated display counts, one server each")
    p.add_argument("--calls", type=int, default=200)
    p.add_argument("--rate", type=float, default=8.0, help="call_next presses per second")
    p.add_argument("--max-call-seconds", type=float, default=60.0, help="stop calling after this long")
    p.add_argument("--workers", type=int, default=0, help="display processes (default: one per 2,500 displays)")
    p.add_argument("--connect-concurrency", type=int, default=100, help="handshakes in flight per worker")
    p.add_argument("--max-quiet-wait", type=float, default=60.0, help="seconds to wait for a quiet machine")
    p.add_argument("--profile", action="store_true", help="py-spy the server during the calls (skews the numbers)")
    p.add_argument("--settle", type=float, default=3.0, help="seconds to wait for the last frames")
    p.add_argument("--patches", default="", help="what-if patches of bench/_server_variant.py (not for targets)")
    p.add_argument("--uvicorn-ws", default="", help="uvicorn ws implementation, e.g. websockets (legacy)")
    p.add_argument("--result-name", default="")
    p.add_argument("--postgresql", action="store_true", help="3 server processes on one PostgreSQL database")
    p.add_argument(
        "--client-loop",
        choices=["auto", "uvloop", "asyncio"],
        default="auto",
        help="event loop of the display processes (auto: uvloop when installed)",
    )
    p.add_argument(
        "--client",
        choices=["raw", "websockets"],
        default="raw",
        help="display client: raw (minimal asyncio.Protocol, default) or websockets (its asyncio client)",
    )
    # worker mode (internal)
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, help=argparse.SUPPRESS)
    p.add_argument("--count", type=int, help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    p.add_argument("--max-seconds", type=float, default=170.0, help=argparse.SUPPRESS)
    p.add_argument("--connect-timeout", type=float, default=0.0, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.client_loop == "auto":
        args.client_loop = "uvloop" if have_uvloop() else "asyncio"
    if args.worker:
        coro = raw_worker_main(args) if args.client == "raw" else worker_main(args)
        if args.client_loop == "uvloop":
            import uvloop

            result = uvloop.run(coro)
        else:
            result = asyncio.run(coro)
        Path(args.out).write_text(json.dumps(result))
        print("DONE", flush=True)
        os._exit(0)  # the stdin reader thread may still block; everything is written
    print(f"open-file limit here: {raise_nofile()} (ulimit -n was {resource.getrlimit(resource.RLIMIT_NOFILE)[1]})")
    args.result_name = args.result_name or ("call_to_screen_postgresql" if args.postgresql else "call_to_screen")
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-call-") as tmp, contextlib.ExitStack() as stack:
        cluster = None
        if args.postgresql:
            sys.path.insert(0, str(BENCH.parent))
            from tests.pg_support import new_database, throwaway_cluster_handle

            cluster = stack.enter_context(throwaway_cluster_handle(fsync=True))
        for n in (int(x) for x in args.displays.split(",") if x):
            workdir = Path(tmp) / f"d{n}"
            workdir.mkdir()
            print(f"[call_to_screen] {n} displays, {args.calls} calls at {args.rate}/s ...", flush=True)
            try:
                database = asyncio.run(new_database(cluster.url)) if cluster is not None else None
                runs.append(run_one(n, args, workdir, database))
            except Exception as exc:  # noqa: BLE001 - one failed size must not lose the others' results
                print(f"[call_to_screen] {n} displays FAILED: {exc!r}", file=sys.stderr)
                runs.append({"displays": n, "failed": repr(exc)})
    rows = []
    for r in runs:
        if "failed" in r:
            rows.append([r["displays"], "FAILED", *["-"] * 9])
            continue
        a, e = r["latency_ms_all_pairs"], r["latency_ms_until_every_display"]
        rows.append(
            [
                r["displays_connected"],
                r["calls"],
                a.get("p50"),
                a.get("p99"),
                a.get("max"),
                e.get("p50"),
                e.get("p99"),
                r["pairs_missing"],
                r["operator_http_roundtrip_ms"].get("p50"),
                r["server_cpu_during_calls"]["main_thread_cpu_percent"],
                r["connect_seconds_all"],
            ]
        )
    headers = ["displays", "calls", "p50 ms", "p99 ms", "max ms", "every-p50", "every-p99", "missing"]
    headers += ["op HTTP p50", "loop thr CPU%", "connect s"]
    print()
    print(table(rows, headers))
    first = next((r for r in runs if r["displays"] == 1000), runs[0])
    p99 = first.get("latency_ms_all_pairs", {}).get("p99", float("inf"))
    targets = {
        "p99_ms_at_1000": {
            "target": f"<= {TARGET_P99_MS:.0f}",
            "displays": first["displays"],
            "measured": p99,
            "verdict": (
                verdict(p99, TARGET_P99_MS) if first.get("pairs_missing") == 0 else "MISSED (failed or frames missing)"
            )
            + (" (what-if patched server, not the shipped code)" if args.patches else ""),
        }
    }
    print(f"\ntarget: p99 at {first['displays']} displays {p99} ms ({targets['p99_ms_at_1000']['verdict']})")
    path = save_result(
        args.result_name,
        {
            "parameters": {
                "calls": args.calls,
                "rate": args.rate,
                "counters": list(COUNTERS),
                "clock": "time.perf_counter (CLOCK_MONOTONIC, shared by all processes)",
                "client": args.client,
            },
            "targets": targets,
            "runs": runs,
        },
    )
    print(f"result: {path}")


if __name__ == "__main__":
    main()
