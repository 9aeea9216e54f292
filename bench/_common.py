"""Shared helpers for the benchmarks: start/stop a server subprocess, read /proc, print and save results.

Every benchmark starts its own server on a free port on 127.0.0.1 with a database in a fresh temporary
directory, and stops it at the end. Servers and client processes get PR_SET_PDEATHSIG, so they die with the
benchmark even if it is killed.
"""

from __future__ import annotations

import ctypes
import http.client
import importlib.util
import json
import os
import platform
import resource
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
RESULTS = BENCH / "results"
VENV_BIN = REPO / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable
QUEUE_SERVER = str(VENV_BIN / "queue-server")
DEMO_SITE = REPO / "queue_server" / "sites" / "demo_tegal.toml"
HOST = "127.0.0.1"


def have_uvloop() -> bool:
    """uvloop (a dependency of the project) makes the load-generating clients cheap."""
    return importlib.util.find_spec("uvloop") is not None


KIOSK_TOKEN = "d_kiosk_demo_tegal"
LOBBY_TOKEN = "d_display_demo_tegal_lobby"
OPERATOR_PASSWORD = "demo-operator"
# Services of the demo site without a daily quota: bulk issuing never hits "quota_exhausted".
UNLIMITED_SERVICES = (
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
)

_PR_SET_PDEATHSIG = 1


def child_setup(nofile: bool = True) -> None:
    """preexec_fn: die with the parent, and raise the open-file limit to the hard limit."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass
    if nofile:
        raise_nofile()


def raise_nofile(want: int | None = None) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if want is None else min(want, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


# --- the server under test ---------------------------------------------------------------------------------


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    port: int
    db: Path | str
    log: Path
    started: float  # time.monotonic() at spawn
    ready_seconds: float | None = None
    variant: dict[str, Any] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def wait_ready(self, timeout: float = 30.0, interval: float = 0.005) -> float:
        """Poll GET /healthz until it answers 200; returns seconds since spawn."""
        deadline = self.started + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                tail = "\n".join(self.log.read_text(errors="replace").splitlines()[-8:])
                raise RuntimeError(f"server exited with {self.proc.returncode}; its log ends:\n{tail}")
            try:
                status, _ = http_json(self.port, "GET", "/healthz", timeout=1.0)
                if status == 200:
                    self.ready_seconds = time.monotonic() - self.started
                    return self.ready_seconds
            except OSError:
                pass
            time.sleep(interval)
        raise TimeoutError(f"server not ready after {timeout}s; see {self.log}")

    def stop(self, timeout: float = 20.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        return int(self.proc.returncode or 0)

    def rss_kb(self) -> int:
        """Resident memory of the server and its child processes (the SQLite writer), in KiB."""
        total = proc_status_kb(self.pid, "VmRSS")
        for child in child_pids(self.pid):
            try:
                total += proc_status_kb(child, "VmRSS")
            except (FileNotFoundError, KeyError):  # gone meanwhile, or a zombie
                pass
        return total

    def cpu(self) -> CpuSample:
        return cpu_sample(self.pid)


def start_server(
    workdir: Path,
    *,
    mode: str = "demo",
    site_file: Path | None = None,
    db: Path | str | None = None,
    extra_args: list[str] | None = None,
    uvicorn_options: dict[str, Any] | None = None,
    extra_path: str | None = None,
    log_name: str = "server.log",
    port: int | None = None,
    patches: list[str] | None = None,
) -> Server:
    """Start `queue-server demo|serve` as a subprocess.

    uvicorn_options (e.g. {"access_log": False, "http": "httptools", "loop": "uvloop", "ws": "websockets"})
    runs the server through bench/_server_variant.py, which only adds keyword arguments to uvicorn.Config;
    the application code is the same. extra_path is prepended to PYTHONPATH (a --target directory with
    optional packages such as uvloop/httptools, so the shared virtualenv is not changed). patches names
    what-if experiments of bench/_server_variant.py (BENCH_PATCHES), never used for a headline number.
    """
    port = port or free_port()
    db = db or workdir / "bench.sqlite3"
    args = [mode, "--port", str(port), "--db", str(db), *(extra_args or [])]
    if mode == "serve":
        args += ["--site", str(site_file or DEMO_SITE)]
    if uvicorn_options or patches:
        cmd = [PYTHON, str(BENCH / "_server_variant.py"), *args]
    else:
        cmd = [QUEUE_SERVER, *args]
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    env["BENCH_UVICORN_OPTIONS"] = json.dumps(uvicorn_options or {})
    env["BENCH_PATCHES"] = ",".join(patches or [])
    # The work tree first: top-level packages added since the editable install was made are found too.
    paths = [p for p in (extra_path, str(REPO), env.get("PYTHONPATH")) if p]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    log = workdir / log_name
    with open(log, "wb") as out:
        started = time.monotonic()
        proc = subprocess.Popen(  # noqa: S603
            cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, preexec_fn=child_setup
        )
    variant = dict(uvicorn_options or {})
    if patches:
        variant["what_if_patches"] = list(patches)
    if extra_path:
        variant["extra_path"] = extra_path
    return Server(proc, port, db, log, started, variant=variant)


def serve_sites(
    files: list[str], db: Path | str, port: int, log: Path, *, host: str | None = None, server: str = QUEUE_SERVER
) -> subprocess.Popen[bytes]:
    """`queue-server serve` of these site files on `db`, its output appended to `log`, once it answers /healthz (a
    start that hashes many accounts' passwords takes a while: up to 5 minutes)."""
    args = [server, "serve", "--port", str(port), "--db", str(db)]
    if host is not None:
        args += ["--host", host]
    for path in files:
        args += ["--site", path]
    with open(log, "ab") as out:
        process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            if http_json(port, "GET", "/healthz")[0] == 200:
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"the server did not start: {log.read_text()[-2000:]}")


def http_json(
    port: int,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
    conn: http.client.HTTPConnection | None = None,
) -> tuple[int, Any]:
    own = conn is None
    c = conn or http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        h = {"Content-Type": "application/json", **(headers or {})}
        c.request(method, path, body=json.dumps(body) if body is not None else None, headers=h)
        r = c.getresponse()
        raw = r.read()
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            data = raw.decode(errors="replace")
        return r.status, data
    finally:
        if own:
            c.close()


def wait_quiescent(port: int, settle: float = 0.3, timeout: float = 30.0) -> int:
    """Wait until /healthz last_seq stops moving (requests a load generator left in flight are done)."""
    deadline = time.monotonic() + timeout
    last, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        _, body = http_json(port, "GET", "/healthz")
        seq = int(body["last_seq"])
        if seq != last:
            last, since = seq, time.monotonic()
        elif time.monotonic() - since >= settle:
            return seq
        time.sleep(0.05)
    raise TimeoutError("the server kept writing events")


def login(port: int, username: str, password: str = OPERATOR_PASSWORD) -> str:
    status, body = http_json(port, "POST", "/api/v1/auth/login", {"username": username, "password": password})
    if status != 200:
        raise RuntimeError(f"login {username}: {status} {body}")
    return str(body["token"])


# --- /proc -------------------------------------------------------------------------------------------------


def proc_status_kb(pid: int, key: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise KeyError(key)


@dataclass
class CpuSample:
    at: float
    process: float  # seconds of CPU, all threads of the server process and its child processes
    main_thread: float  # seconds of CPU of the event-loop thread
    children: float = 0.0  # seconds of CPU of the child processes (the SQLite writer), included in `process`

    def percent_since(self, before: CpuSample) -> dict[str, float]:
        wall = max(self.at - before.at, 1e-9)
        return {
            "process_cpu_percent": round(100 * (self.process - before.process) / wall, 1),
            "main_thread_cpu_percent": round(100 * (self.main_thread - before.main_thread) / wall, 1),
            "child_processes_cpu_percent": round(100 * (self.children - before.children) / wall, 1),
        }


_TICK = os.sysconf("SC_CLK_TCK")


@dataclass
class SystemCpu:
    """Machine-wide CPU from /proc/stat, to see how much the other tenants of a shared machine used."""

    busy: float  # seconds, all cores
    total: float

    @classmethod
    def sample(cls) -> SystemCpu:
        with open("/proc/stat") as f:
            values = [int(v) for v in f.readline().split()[1:]]
        idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
        total = sum(values[:8])  # guest time is already counted in user
        return cls((total - idle) / _TICK, total / _TICK)

    def busy_percent_since(self, before: SystemCpu) -> float:
        """Busy CPU as percent of ONE core (200 = both cores of a 2-core machine fully busy)."""
        cores = os.cpu_count() or 1
        return round(100 * cores * (self.busy - before.busy) / max(self.total - before.total, 1e-9), 1)


def wait_for_quiet(max_wait: float = 60.0, threshold: float = 40.0, window: float = 2.0) -> dict[str, Any]:
    """On a shared machine: wait (at most max_wait seconds) until the whole machine uses less than `threshold`
    percent of one core over `window` seconds, so a run does not start in the middle of someone's test suite.
    Returns what was seen; a benchmark still runs when the machine never got quiet, and says so."""
    started = time.monotonic()
    seen = []
    while True:
        before = SystemCpu.sample()
        time.sleep(window)
        busy = SystemCpu.sample().busy_percent_since(before)
        seen.append(busy)
        waited = time.monotonic() - started
        if busy < threshold or waited >= max_wait:
            with open("/proc/loadavg") as f:
                load = f.read().split()[:3]
            return {
                "quiet": busy < threshold,
                "machine_busy_percent_of_one_core": busy,
                "waited_seconds": round(waited, 1),
                "loadavg": load,
            }


def other_cpu(machine: float, *ours: float) -> float:
    """Percent of one core used by processes other than the server and the load generator."""
    return round(max(0.0, machine - sum(ours)), 1)


def _stat_cpu(path: str) -> float:
    with open(path) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime (fields 14 and 15 of stat)


def child_pids(pid: int) -> list[int]:
    """The live child processes of pid (the server's SQLite writer), from /proc."""
    found: list[int] = []
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found += [int(p) for p in f.read().split()]
        except FileNotFoundError:
            pass
    return found


def cpu_sample(pid: int) -> CpuSample:
    children = 0.0
    for child in child_pids(pid):
        try:
            children += _stat_cpu(f"/proc/{child}/stat")
        except FileNotFoundError:
            pass
    own = _stat_cpu(f"/proc/{pid}/stat")
    return CpuSample(time.monotonic(), own + children, _stat_cpu(f"/proc/{pid}/task/{pid}/stat"), children)


# --- statistics and output ---------------------------------------------------------------------------------


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, int(round(p / 100 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


def table(rows: list[list[Any]], headers: list[str]) -> str:
    cells = [[str(h) for h in headers]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        lines.append(
            "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))
        )
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 100 else f"{value:.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def machine_info() -> dict[str, Any]:
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    versions = {}
    for pkg in ("uvicorn", "starlette", "websockets", "aiosqlite", "uvloop", "httptools"):
        versions[pkg] = _version(pkg)
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "os": _os_name(),
        "python": platform.python_version(),
        "packages": versions,
        "git": _git(),
    }


def _version(pkg: str) -> str | None:
    try:
        out = subprocess.run(  # noqa: S603
            [PYTHON, "-c", f"import importlib.metadata as m; print(m.version({pkg!r}))"],
            capture_output=True,
            text=True,
            timeout=20,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None


def _os_name() -> str:
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return platform.platform()


def _git() -> dict[str, Any]:
    def run(*args: str) -> str:
        try:
            # --no-optional-locks: reading only, never refresh the index while others work in the tree.
            out = subprocess.run(  # noqa: S603
                ["git", "--no-optional-locks", *args], cwd=REPO, capture_output=True, text=True, timeout=20
            )
        except (OSError, subprocess.TimeoutExpired):
            return ""
        return out.stdout.rstrip()

    dirty = [line[3:] for line in run("status", "--porcelain", "--", "queue_server").splitlines() if line]
    return {"head": run("rev-parse", "--short", "HEAD").strip(), "uncommitted_server_files": dirty}


def save_result(name: str, result: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    result = {
        "benchmark": name,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_info(),
        **result,
    }
    path.write_text(json.dumps(result, indent=2, sort_keys=False) + "\n")
    return path


def verdict(value: float, target: float, lower_is_better: bool = True) -> str:
    ok = value <= target if lower_is_better else value >= target
    return "met" if ok else "MISSED"
