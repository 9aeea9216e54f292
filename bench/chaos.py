"""Chaos run: "no ticket and no call lost" while processes, PostgreSQL and a disk fail under a mall's traffic.

    .venv/bin/python bench/chaos.py [--seconds-between 8] [--port 0] [--only postgresql|sqlite]

PostgreSQL part: a throwaway cluster (tests/pg_support.py, a Unix socket in a temporary folder, fsync on), one
`queue-server serve --workers 2` and a second `serve` on another port on the same database (two machines behind a
balancer). Kiosks issue over HTTP with idempotency keys, going to the other address after a failure and retrying the
same key until they get an answer; operators at four counters open, call, start and finish over websockets,
resending the same command_id after a dropped link or a 503; two lobby displays and a citizen's phone follow over
websockets and reconnect with their last_seq. Meanwhile, one after the other: SIGKILL of a worker, SIGKILL of the
whole second serve (restarted), PostgreSQL stopped (fast, then immediate) and started, PostgreSQL paused (SIGSTOP of
every process of the cluster) then continued, and the second serve killed and restarted while a backup runs.

SQLite part (as root: a 48 MB tmpfs holds the database): one `serve`, the same traffic, the disk filled up and freed,
then the serve killed (SIGKILL) while a backup runs and started again.

Afterwards, against the database: every ticket answered 201 exists once with its label and a number of its own;
every ticket in the database was answered (a retry found the first answer); every call answered ok is in the event
log; no ticket was called twice without a recall; every call reached every display (as an event, or inside a
snapshot taken after it); the phone ended knowing its ticket's final state; no answer was a 500; every process left
running answers /healthz "ok"; the logs hold no traceback that is not of a failure injected. Result:
bench/results/chaos.json, docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import HOST, QUEUE_SERVER, child_pids, child_setup, free_port, save_result  # noqa: E402

from tests.pg_support import Cluster, throwaway_cluster_handle  # noqa: E402

COUNTERS = 4
FOLLOWERS_DRAIN = 3.0  # seconds the screens keep following once the last command is answered (they take well under 1)
KIOSKS = 4
PASSWORD = "chaos-run-password-1"  # noqa: S105
SITE = (
    """
[site]
id = "uji"
name = "MPP Uji Chaos"
timezone = "Asia/Jakarta"
enforce_hours = false
[site.hours]
mon = ["00:00-24:00"]

[[agencies]]
id = "dukcapil"
name = "Disdukcapil"
  [[agencies.services]]
  id = "ktp"
  name = "KTP"
  prefix = "A"
  [[agencies.services]]
  id = "kk"
  name = "KK"
  prefix = "B"
"""
    + "".join(f'  [[agencies.counters]]\n  id = "{i}"\n  services = ["ktp", "kk"]\n' for i in range(1, COUNTERS + 1))
    + ('\n[[screens]]\nid = "lobi"\nname = "Lobi"\nspeaker = false\n')
)


# --- the processes ---------------------------------------------------------------------------------------------


@dataclass
class Serve:
    """One `queue-server serve` (its own process group, so a whole serve with its workers can be killed)."""

    db: str
    site: Path
    port: int
    log: Path
    extra: list[str]
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, wait: float = 90) -> None:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(  # noqa: S603
                [QUEUE_SERVER, "serve", "--db", self.db, "--site", str(self.site), "--port", str(self.port),
                 *self.extra],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                preexec_fn=child_setup, cwd=self.log.parent,  # its notification key beside its log
            )  # fmt: skip
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            if self.proc.poll() is not None:
                raise RuntimeError(f"serve exited {self.proc.returncode}; see {self.log}")
            time.sleep(0.2)
        raise RuntimeError(f"serve not ready; see {self.log}")

    def kill(self) -> None:
        assert self.proc is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()


def cli(*args: str, db: str, site: Path, stdin: str | None = None) -> str:
    done = subprocess.run([QUEUE_SERVER, *args, "--db", db, "--site", str(site)], input=stdin, capture_output=True,
                          text=True, timeout=120, check=True, cwd=site.parent)  # fmt: skip
    return done.stdout.strip().splitlines()[-1]


def fill(path: Path) -> None:
    """Write zeros into `path` until its disk is full."""
    with contextlib.suppress(OSError), open(path, "wb") as out:
        while True:
            out.write(b"\0" * (1 << 20))
            out.flush()


def cluster_pids(cluster: Cluster) -> list[int]:
    postmaster = int((cluster.data / "postmaster.pid").read_text().split()[0])
    return [postmaster, *child_pids(postmaster)]


# --- what the clients saw ----------------------------------------------------------------------------------------


@dataclass
class Seen:
    statuses: Counter[str] = field(default_factory=Counter)  # "201", "503", "transport" ... over every request
    server_errors: list[str] = field(default_factory=list)  # any 5xx but 503 storage_unavailable, any other 503
    unclear: list[str] = field(default_factory=list)  # a refusal without words a person can act on
    issued: dict[str, tuple[str, str]] = field(default_factory=dict)  # key -> (ticket id, label)
    keys_unanswered: list[str] = field(default_factory=list)
    token_of: dict[str, str] = field(default_factory=dict)  # ticket id -> token
    calls: list[tuple[str, str, bool]] = field(default_factory=list)  # (counter, ticket id, replayed)
    command_errors: Counter[str] = field(default_factory=Counter)
    displays: dict[str, dict[str, Any]] = field(default_factory=dict)
    phone: dict[str, Any] = field(default_factory=dict)
    longest: dict[str, float] = field(default_factory=dict)  # per kind of request, the longest wait for an answer

    def took(self, what: str, started: float) -> None:
        self.longest[what] = max(self.longest.get(what, 0.0), round(time.monotonic() - started, 2))

    def answer(self, where: str, status: int, body: dict[str, Any]) -> None:
        self.statuses[str(status)] += 1
        error = body.get("error") or {}
        if status >= 500 and not (status == 503 and error.get("code") == "storage_unavailable"):
            self.server_errors.append(f"{where}: {status} {str(body)[:200]}")
        if status >= 400 and not (error.get("message") and error.get("message_en")):
            self.unclear.append(f"{where}: {status} {str(body)[:200]}")


class Traffic:
    """A mall's clients on a list of addresses (a balancer's choices): a failure sends a client to the next one."""

    def __init__(self, urls: list[str], kiosk: str, display: str, staff: str, seen: Seen) -> None:
        self.urls, self.kiosk, self.display, self.staff, self.seen = urls, kiosk, display, staff, seen
        self.stopping = asyncio.Event()  # kiosks and operators
        self.followers_stopping = asyncio.Event()  # displays and the phone, a moment later
        self.tasks: list[asyncio.Task[None]] = []
        self.followers: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self.tasks += [asyncio.create_task(self.kiosk_loop(n)) for n in range(KIOSKS)]
        self.tasks += [asyncio.create_task(self.operator(str(c))) for c in range(1, COUNTERS + 1)]
        self.followers += [asyncio.create_task(self.lobby(f"tv{n}", n)) for n in range(2)]
        self.followers.append(asyncio.create_task(self.phone()))

    async def stop(self) -> None:
        """Kiosks and operators first; the screens follow FOLLOWERS_DRAIN seconds more. Stopped together, a call
        answered as the displays left (one per counter at most) was counted as one they never got (a run found 3
        so)."""
        self.stopping.set()
        await asyncio.gather(*self.tasks)
        await asyncio.sleep(FOLLOWERS_DRAIN)
        self.followers_stopping.set()
        await asyncio.gather(*self.followers)

    async def kiosk_loop(self, n: int) -> None:
        headers = {"Authorization": f"Bearer {self.kiosk}"}
        async with httpx.AsyncClient(timeout=40) as http:
            i = 0
            while not self.stopping.is_set():
                i += 1
                key = f"kiosk{n}-{i}-{uuid.uuid4().hex[:6]}"
                answered = None
                for attempt in range(400):  # a kiosk retries the same key until it gets an answer
                    url = self.urls[(n + attempt) % len(self.urls)]
                    started = time.monotonic()
                    try:
                        r = await http.post(f"{url}/api/v1/sites/uji/tickets", json={"service": "ktp" if i % 3 else "kk"},
                                            headers={**headers, "Idempotency-Key": key})  # fmt: skip
                    except httpx.HTTPError as exc:
                        self.seen.statuses[f"transport:{type(exc).__name__}"] += 1
                        await asyncio.sleep(0.5)
                        continue
                    self.seen.took("issue", started)
                    body = r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
                    self.seen.answer(f"issue {key}", r.status_code, body)
                    if r.status_code == 201:
                        answered = (body["ticket"]["id"], body["ticket"]["label"])
                        if body["ticket"].get("token"):
                            self.seen.token_of[answered[0]] = body["ticket"]["token"]
                        break
                    if r.status_code not in (503, 429):
                        break
                    await asyncio.sleep(0.5)
                if answered is None:
                    self.seen.keys_unanswered.append(key)
                else:
                    self.seen.issued[key] = answered
                    if i % 7 == 0:  # the answer lost on the way: the same key again, elsewhere, finds the first
                        with contextlib.suppress(httpx.HTTPError):
                            again = await http.post(f"{self.urls[(n + 1) % len(self.urls)]}/api/v1/sites/uji/tickets",
                                                    json={"service": "ktp" if i % 3 else "kk"},
                                                    headers={**headers, "Idempotency-Key": key})  # fmt: skip
                            if again.status_code == 201 and again.json()["ticket"]["id"] != answered[0]:
                                self.seen.server_errors.append(f"key {key} answered two tickets")
                await asyncio.sleep(0.15)

    async def _session(self, attempt: int) -> str:
        """A staff session, signed in wherever a balancer sends the request (retried through an outage)."""
        async with httpx.AsyncClient(timeout=40) as http:
            while True:
                url = self.urls[attempt % len(self.urls)]
                attempt += 1
                try:
                    r = await http.post(f"{url}/api/v1/auth/login", json={"username": self.staff, "password": PASSWORD})
                except httpx.HTTPError:
                    await asyncio.sleep(0.5)
                    continue
                body = r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
                self.seen.answer("login", r.status_code, body)
                if r.status_code == 200:
                    return str(body["token"])
                await asyncio.sleep(0.5)

    async def operator(self, counter: str) -> None:
        token = await self._session(int(counter))
        step = "open"
        command_id = uuid.uuid4().hex
        attempt = int(counter)
        while not self.stopping.is_set():
            url = self.urls[attempt % len(self.urls)].replace("http", "ws") + "/ws"
            attempt += 1
            try:
                async with connect(url, open_timeout=20) as ws:
                    await ws.send(json.dumps({"type": "hello", "role": "counter", "site": "uji", "token": token,
                                              "counter": counter}))  # fmt: skip
                    while not self.stopping.is_set():
                        await ws.send(json.dumps({"type": "command", "command_id": command_id, "counter": counter,
                                                  "command": step}))  # fmt: skip
                        started = time.monotonic()
                        answer = await self._answer_to(ws, command_id)
                        self.seen.took("command", started)
                        if answer.get("type") == "command_result":
                            if step == "call_next":
                                ticket = answer["result"]["ticket"]
                                self.seen.calls.append((counter, ticket["id"], bool(answer.get("replayed"))))
                            step = {"open": "call_next", "call_next": "start", "start": "finish"}.get(step, "call_next")
                            command_id = uuid.uuid4().hex
                            await asyncio.sleep(0.2)
                            continue
                        code = answer.get("code", "?")
                        self.seen.command_errors[code] += 1
                        if code == "error" and answer.get("close"):
                            break
                        if code == "unauthenticated":
                            token = await self._session(attempt)
                            break
                        if code == "counter_already_open":
                            step, command_id = "call_next", uuid.uuid4().hex
                        elif code == "queue_empty":
                            command_id = uuid.uuid4().hex  # a refusal is not remembered: a new id is as good
                        elif code != "storage_unavailable":
                            self.seen.server_errors.append(f"counter {counter} {step}: {answer}")
                            step, command_id = "call_next", uuid.uuid4().hex
                        await asyncio.sleep(0.5)
            except (OSError, WebSocketException, TimeoutError):
                self.seen.command_errors["link_lost"] += 1
                await asyncio.sleep(0.5)

    async def _answer_to(self, ws: Any, command_id: str) -> dict[str, Any]:
        async with asyncio.timeout(60):
            async for text in ws:
                frame = json.loads(text)
                if frame["type"] == "ping":
                    await ws.send('{"type":"pong"}')
                elif frame["type"] == "error" and frame.get("command_id") in (command_id, None):
                    if frame.get("command_id") is None and frame["code"] != "storage_unavailable":
                        return {"code": frame["code"], "close": True, **frame}
                    return dict(frame)
                elif frame["type"] == "command_result" and frame["command_id"] == command_id:
                    return dict(frame)
        raise ConnectionError("closed")

    async def follow(self, first: int, hello: Callable[[], dict[str, Any]], take: Callable[[dict[str, Any]], None],
                     record: dict[str, Any]) -> None:  # fmt: skip
        """A screen following over a websocket, as a lobby TV or a citizen's phone does: from the address `first`
        on, a new hello (`hello()`, which says where it is up to) at the next address after a dropped link, a pong
        to each ping, every other frame to `take`; `record["reconnects"]` counts the drops."""
        attempt = first
        while not self.followers_stopping.is_set():
            url = self.urls[attempt % len(self.urls)].replace("http", "ws") + "/ws"
            attempt += 1
            try:
                async with connect(url, open_timeout=20) as ws:
                    await ws.send(json.dumps(hello()))
                    while not self.followers_stopping.is_set():
                        try:
                            async with asyncio.timeout(1):
                                frame = json.loads(await ws.recv())
                        except TimeoutError:
                            continue
                        if frame["type"] == "ping":
                            await ws.send('{"type":"pong"}')
                        else:
                            take(frame)
            except (OSError, WebSocketException, TimeoutError):
                pass
            record["reconnects"] += 1
            await asyncio.sleep(0.5)

    async def lobby(self, name: str, n: int) -> None:
        record: dict[str, Any] = {"called_seqs": [], "snapshots": [], "duplicates": 0, "reconnects": 0}
        self.seen.displays[name] = record
        last_seq = 0

        def hello() -> dict[str, Any]:
            said = {"type": "hello", "role": "display", "site": "uji", "token": self.display}
            return {**said, "last_seq": last_seq} if last_seq else said

        def take(frame: dict[str, Any]) -> None:
            nonlocal last_seq
            if frame["type"] == "snapshot":
                last_seq = frame["seq"]
                record["snapshots"].append(frame["seq"])
            elif frame["type"] == "error":
                record.setdefault("errors", []).append(frame["code"])
            elif isinstance(frame.get("seq"), int) and "." in frame["type"]:
                if frame["seq"] <= last_seq:
                    record["duplicates"] += 1
                    return
                last_seq = frame["seq"]
                record["newest"] = last_seq
                if frame["type"] == "ticket.called":
                    record["called_seqs"].append(frame["seq"])

        await self.follow(n, hello, take, record)

    async def phone(self) -> None:
        while not self.seen.token_of and not self.followers_stopping.is_set():  # noqa: ASYNC110 - the kiosks' first ticket
            await asyncio.sleep(0.2)
        if not self.seen.token_of:
            return
        ticket_id, token = next(iter(self.seen.token_of.items()))
        self.seen.phone.update({"ticket": ticket_id, "state": None, "reconnects": 0})

        def take(frame: dict[str, Any]) -> None:
            ticket = (frame.get("data") or {}).get("ticket") or frame.get("ticket")
            if isinstance(ticket, dict) and ticket.get("id") == ticket_id:
                self.seen.phone["state"] = ticket["state"]

        await self.follow(0, lambda: {"type": "hello", "role": "ticket", "ticket": token}, take, self.seen.phone)


# --- the checks ---------------------------------------------------------------------------------------------------


def check(
    seen: Seen, tickets: list[tuple[str, str, int, str]], events: list[tuple[int, str, dict[str, Any]]]
) -> dict[str, Any]:
    """tickets: (id, label, number, state); events: (seq, type, data) of the site, in seq order."""
    problems: list[str] = []
    stored = {tid: label for tid, label, _, _ in tickets}
    acknowledged = {tid: label for tid, label in seen.issued.values()}
    for tid, label in acknowledged.items():
        if stored.get(tid) != label:
            problems.append(f"ticket {label} answered 201 is not in the database as such")
    unanswered_in_db = set(stored) - set(acknowledged)
    if unanswered_in_db and not seen.keys_unanswered:
        problems.append(f"{len(unanswered_in_db)} tickets in the database were never answered to a kiosk")
    labels = Counter(label for _, label, _, _ in tickets)
    problems += [f"label {label} issued {n} times" for label, n in labels.items() if n > 1]
    called_events: dict[str, list[int]] = defaultdict(list)
    called_seqs = []
    last_state: dict[str, str] = {}
    for seq, kind, data in events:
        ticket = data.get("ticket") or {}
        if kind == "ticket.called":
            if last_state.get(ticket["id"]) in ("called", "serving"):
                problems.append(f"ticket {ticket['label']} called at seq {seq} while {last_state[ticket['id']]}")
            called_events[ticket["id"]].append(seq)
            called_seqs.append(seq)
        if ticket:
            last_state[ticket["id"]] = ticket["state"]
    for counter, tid, _ in seen.calls:
        if tid not in called_events:
            problems.append(f"call of {tid} at counter {counter}, answered ok, is not in the event log")
    twice = {tid: seqs for tid, seqs in called_events.items() if len(seqs) > 1}
    problems += [f"ticket {stored.get(tid)} called {len(seqs)} times (seqs {seqs})" for tid, seqs in twice.items()]
    for name, record in seen.displays.items():
        shown = set(record["called_seqs"])
        snapshots = sorted(record["snapshots"])
        missed = [s for s in called_seqs if s not in shown and not any(snap >= s for snap in snapshots)]
        if missed:
            problems.append(
                f"display {name} never got the calls at seqs {missed[:10]} ({len(missed)}; the newest "
                f"event it got: {record.get('newest')}, the log's: {events[-1][0] if events else None})"
            )
        if record["duplicates"]:
            problems.append(f"display {name} got {record['duplicates']} events twice")
    if seen.phone.get("ticket"):
        final = next((state for tid, _, _, state in tickets if tid == seen.phone["ticket"]), None)
        if seen.phone.get("state") != final:
            problems.append(f"the phone shows {seen.phone.get('state')}, the ticket is {final}")
    problems += seen.server_errors[:20]
    problems += [f"refusal without words: {u}" for u in seen.unclear[:5]]
    return {
        "tickets_acknowledged": len(acknowledged),
        "tickets_in_database": len(stored),
        "keys_never_answered": len(seen.keys_unanswered),
        "calls_acknowledged": len(seen.calls),
        "calls_replayed": sum(1 for *_, replayed in seen.calls if replayed),
        "calls_in_log": len(called_seqs),
        "answers": dict(seen.statuses),
        "command_refusals": dict(seen.command_errors),
        "displays": {
            name: {"calls": len(r["called_seqs"]), "snapshots": len(r["snapshots"]), "reconnects": r["reconnects"]}
            for name, r in seen.displays.items()
        },  # fmt: skip
        "phone": seen.phone,
        "longest_answer_seconds": seen.longest,
        "problems": problems,
    }


async def healthy(urls: list[str], seconds: float = 60) -> dict[str, str]:
    """Each address's /healthz status once every process there answers ok, or as it stands when time is up."""
    found: dict[str, str] = {}
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(timeout=5) as http:
        while time.monotonic() < deadline:
            for url in urls:
                try:
                    found[url] = (await http.get(f"{url}/healthz")).json()["status"]
                except (httpx.HTTPError, ValueError, KeyError) as exc:
                    found[url] = type(exc).__name__
            if all(v == "ok" for v in found.values()):
                break
            await asyncio.sleep(1)
    return found


def tracebacks(*logs: Path) -> list[str]:
    """The last line of each traceback in the logs (what was raised), counted."""
    found: Counter[str] = Counter()
    for log in logs:
        lines = log.read_text(errors="replace").splitlines() if log.exists() else []
        for i, line in enumerate(lines):
            if line.startswith("Traceback"):
                end = next((j for j in range(i + 1, len(lines)) if not lines[j].startswith((" ", "Traceback"))), i)
                found[re.sub(r"\d+", "N", lines[end])[:160]] += 1
    return [f"{n} x {text}" for text, n in found.most_common()]


# --- PostgreSQL ---------------------------------------------------------------------------------------------------


async def postgresql_run(work: Path, between: float, port: int) -> dict[str, Any]:
    import asyncpg

    from tests.pg_support import new_database

    faults: list[str] = []
    with throwaway_cluster_handle(fsync=True) as cluster:
        db = await new_database(cluster.url)
        site = work / "uji.toml"
        site.write_text(SITE)
        kiosk = cli("device", "add", "--kind", "kiosk", "--site-id", "uji", "--name", "Kios", db=db, site=site)
        display = cli("device", "add", "--kind", "display", "--site-id", "uji", "--name", "TV", "--screen", "lobi",
                      db=db, site=site)  # fmt: skip
        cli("user", "add", "kepala", "--role", "supervisor", "--site-id", "uji", "--password-stdin", db=db,
            site=site, stdin=PASSWORD + "\n")  # fmt: skip
        a = Serve(db, site, port or free_port(), work / "serve-a.log", ["--workers", "2"])
        b = Serve(db, site, port + 1 if port else free_port(), work / "serve-b.log", [])
        a.start()
        b.start()
        seen = Seen()
        traffic = Traffic([a.url, b.url], kiosk, display, "kepala", seen)
        traffic.start()
        try:
            await asyncio.sleep(between)
            assert a.proc is not None
            worker = child_pids(a.proc.pid)[-1]
            os.kill(worker, signal.SIGKILL)
            faults.append(f"SIGKILL worker {worker} of serve A")
            await asyncio.sleep(between)
            b.kill()
            faults.append("SIGKILL of serve B, whole group")
            await asyncio.sleep(between / 2)
            await asyncio.to_thread(b.start)
            faults.append("serve B started again")
            await asyncio.sleep(between)
            for mode in ("fast", "immediate"):
                await asyncio.to_thread(cluster.stop, mode)
                faults.append(f"PostgreSQL stopped ({mode})")
                await asyncio.sleep(5)
                await asyncio.to_thread(cluster.start)
                faults.append("PostgreSQL started")
                await asyncio.sleep(between)
            pids = cluster_pids(cluster)
            for pid in pids:
                os.kill(pid, signal.SIGSTOP)
            faults.append(f"PostgreSQL paused (SIGSTOP of its {len(pids)} processes) for 15 s")
            await asyncio.sleep(15)
            for pid in pids:
                os.kill(pid, signal.SIGCONT)
            faults.append("PostgreSQL continued (SIGCONT)")
            await asyncio.sleep(between)
            backup = await asyncio.create_subprocess_exec(QUEUE_SERVER, "backup", str(work / "during.dump"), "--db", db,
                                                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=work)  # fmt: skip
            b.kill()
            faults.append("SIGKILL of serve B while a backup runs")
            await asyncio.to_thread(b.start)
            backup_said = (await backup.communicate())[0].decode(errors="replace")
            said = backup_said.strip().splitlines()[-1:]
            faults.append(f"backup exited {backup.returncode}: {[line.replace(str(work), 'WORK') for line in said]}")
            await asyncio.sleep(between)
        finally:
            await traffic.stop()
        health = await healthy([a.url, b.url])
        conn = await asyncpg.connect(db)
        try:
            tickets = [tuple(r) for r in await conn.fetch("SELECT id, label, number, state FROM tickets")]
            events = [(r[0], r[1], json.loads(r[2])) for r in await conn.fetch(
                "SELECT seq, type, data FROM events WHERE site = 'uji' ORDER BY seq")]  # fmt: skip
        finally:
            await conn.close()
        a.stop()
        b.stop()
        result = check(seen, tickets, events)  # type: ignore[arg-type]
        result.update(faults=faults, health_after=health, tracebacks=tracebacks(a.log, b.log))
        shutil.copy(cluster.log, work / "postgresql.log")
        return result


# --- SQLite on a small disk ------------------------------------------------------------------------------------------


async def sqlite_run(work: Path, between: float, port: int) -> dict[str, Any]:
    disk = work / "disk"
    disk.mkdir()
    await asyncio.to_thread(subprocess.run, ["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(disk)], check=True)
    faults: list[str] = []
    try:
        db = str(disk / "queue.sqlite3")
        site = work / "uji.toml"
        site.write_text(SITE)
        kiosk = cli("device", "add", "--kind", "kiosk", "--site-id", "uji", "--name", "Kios", db=db, site=site)
        display = cli("device", "add", "--kind", "display", "--site-id", "uji", "--name", "TV", "--screen", "lobi",
                      db=db, site=site)  # fmt: skip
        cli("user", "add", "kepala", "--role", "supervisor", "--site-id", "uji", "--password-stdin", db=db,
            site=site, stdin=PASSWORD + "\n")  # fmt: skip
        s = Serve(db, site, port + 2 if port else free_port(), work / "serve-sqlite.log", [])
        s.start()
        seen = Seen()
        traffic = Traffic([s.url], kiosk, display, "kepala", seen)
        traffic.start()
        try:
            await asyncio.sleep(between)
            filler = disk / "filler"
            await asyncio.to_thread(fill, filler)
            faults.append(f"disk full ({shutil.disk_usage(disk).free // 1024} KB free)")
            await asyncio.sleep(between)
            full_health = await healthy([s.url], seconds=1)
            filler.unlink()
            faults.append(f"disk freed; /healthz said {full_health[s.url]} while full")
            await asyncio.sleep(between)
            backup = await asyncio.create_subprocess_exec(QUEUE_SERVER, "backup", str(work / "during.sqlite3"), "--db",
                                                          db, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=work)  # fmt: skip
            await asyncio.sleep(0.2)
            s.kill()
            faults.append("SIGKILL of serve while a backup runs")
            backup_said = (await backup.communicate())[0].decode(errors="replace")
            said = backup_said.strip().splitlines()[-1:]
            faults.append(f"backup exited {backup.returncode}: {[line.replace(str(work), 'WORK') for line in said]}")
            await asyncio.to_thread(s.start)
            faults.append("serve started again")
            await asyncio.sleep(between)
        finally:
            await traffic.stop()
        health = await healthy([s.url])
        s.stop()
        con = sqlite3.connect(db)
        try:
            tickets = con.execute("SELECT id, label, number, state FROM tickets").fetchall()
            events = [(seq, kind, json.loads(data)) for seq, kind, data in con.execute(
                "SELECT seq, type, data FROM events WHERE site = 'uji' ORDER BY seq")]  # fmt: skip
        finally:
            con.close()
        result = check(seen, tickets, events)
        result.update(faults=faults, health_after=health, tracebacks=tracebacks(s.log))
        return result
    finally:
        await asyncio.to_thread(subprocess.run, ["umount", "-l", str(disk)], check=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds-between", type=float, default=8.0, help="traffic between two faults")
    parser.add_argument("--port", type=int, default=0, help="first of three ports (default: free ones)")
    parser.add_argument("--only", choices=("postgresql", "sqlite"))
    parser.add_argument("--keep", action="store_true", help="keep the logs' folder")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="chaos-"))
    results: dict[str, Any] = {}
    try:
        if args.only in (None, "postgresql"):
            results["postgresql"] = asyncio.run(postgresql_run(work / "pg" if (work / "pg").mkdir() is None else work,
                                                               args.seconds_between, args.port))  # fmt: skip
        if args.only in (None, "sqlite") and os.geteuid() == 0:
            (work / "lite").mkdir()
            results["sqlite"] = asyncio.run(sqlite_run(work / "lite", args.seconds_between, args.port))
    finally:
        print(json.dumps(results, indent=2))
        print(f"logs: {work}")
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    save_result("chaos", {"seconds_between": args.seconds_between, **results})
    if any(r["problems"] for r in results.values()):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
