"""Invariants under load and faults: no ticket called twice, no acknowledged ticket lost, no number issued twice."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from .helpers import free_socket, running_server
from .pg_support import server_env

BOTH_DATABASES = True  # every test here runs on SQLite and on PostgreSQL (conftest.py)

SITE = """
[site]
id = "uji"
name = "MPP Uji Beban"
timezone = "Asia/Makassar"
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


def write_site(path: Path, counters: int) -> Path:
    text = SITE + "".join(
        f'  [[agencies.counters]]\n  id = "{i}"\n  services = ["ktp", "kk"]\n' for i in range(1, counters + 1)
    )
    path.write_text(text)
    return path


async def test_fifty_counters_pressing_next_at_once_call_every_ticket_exactly_once(
    tmp_path: Path, database: Path | str
) -> None:
    site = write_site(tmp_path / "uji.toml", 50)
    async with running_server(database, site_files=[site]) as s:
        sup = await s.login("supervisor")
        kiosk = {"Authorization": "Bearer d_kiosk_demo_uji"}
        limits = httpx.Limits(max_connections=120)
        async with httpx.AsyncClient(base_url=s.url, limits=limits, timeout=30) as http:

            async def issue(n: int) -> list[str]:
                ids = []
                for i in range(n):
                    r = await http.post("/api/v1/sites/uji/tickets", json={"service": "ktp" if i % 3 else "kk"},
                                        headers=kiosk)  # fmt: skip
                    assert r.status_code == 201, r.text
                    ids.append(r.json()["ticket"]["id"])
                return ids

            async def issue_concurrently(n: int) -> list[str]:
                batches = await asyncio.gather(*[issue(n // 10) for _ in range(10)])
                return [tid for batch in batches for tid in batch]

            issued = await issue_concurrently(150)
            opened = await asyncio.gather(*[
                http.post(f"/api/v1/sites/uji/counters/{i}/commands", json={"command": "open"}, headers=sup)
                for i in range(1, 51)
            ])  # fmt: skip
            assert all(r.status_code == 200 for r in opened)
            called: list[str] = []
            late_issuing = asyncio.create_task(issue_concurrently(100))

            async def counter(i: int) -> None:
                empty_in_a_row = 0
                while empty_in_a_row < 3:
                    r = await http.post(f"/api/v1/sites/uji/counters/{i}/commands", json={"command": "call_next"},
                                        headers=sup)  # fmt: skip
                    if r.status_code == 409:
                        assert r.json()["error"]["code"] == "queue_empty", r.text
                        empty_in_a_row += 1 if late_issuing.done() else 0
                        await asyncio.sleep(0.05)
                        continue
                    assert r.status_code == 200, r.text
                    empty_in_a_row = 0
                    called.append(r.json()["ticket"]["id"])
                    r = await http.post(f"/api/v1/sites/uji/counters/{i}/commands", json={"command": "finish"},
                                        headers=sup)  # fmt: skip
                    assert r.status_code == 200, r.text

            await asyncio.gather(*[counter(i) for i in range(1, 51)])
            issued += await late_issuing
        assert len(called) == len(set(called)), "no ticket was called twice"
        assert sorted(called) == sorted(issued), "every ticket was called"
        events = await s.ctx.storage.events_after("uji", 0, 1_000_000)
        assert sum(e.type == "ticket.called" for e in events) == 250
        seqs = [e.seq for e in events]
        assert seqs == sorted(seqs) and len(seqs) == len(set(seqs))


async def test_letters_changing_hands_while_tickets_are_issued_never_issue_a_label_twice(
    tmp_path: Path, database: Path | str
) -> None:
    """Numbers are counted per service and day; a label is the service's letter and its number. While kiosks issue
    for both services, an admin keeps handing letters around: a letter on today's tickets of one service never goes
    to the other (an outside review found KIA issuing KK's D-001.. again), so no label of a day is on two tickets."""
    site = write_site(tmp_path / "uji.toml", 2)
    async with running_server(database, site_files=[site]) as s:
        admin = await s.login("admin")
        kiosk = {"Authorization": "Bearer d_kiosk_demo_uji"}
        url = "/api/v1/sites/uji/configuration"
        answers: dict[str, int] = {}

        async def issue(service: str, n: int) -> None:
            for _ in range(n):
                r = await s.http.post("/api/v1/sites/uji/tickets", json={"service": service}, headers=kiosk)
                assert r.status_code == 201, r.text

        async def ask(index: int, letter: str) -> None:
            current = (await s.http.get(url, headers=admin)).json()
            document = current["document"]
            asking, other = document["agencies"][0]["services"][index], document["agencies"][0]["services"][1 - index]
            if letter == other["prefix"]:
                return  # the site file's own check (one letter per service at a time), not today's rule
            asking["prefix"] = letter
            r = await s.http.put(url, json={"version": current["version"], "document": document}, headers=admin)
            code = "ok" if r.status_code == 200 else r.json()["error"]["code"]
            assert code in ("ok", "prefix_in_use"), r.text
            answers[code] = answers.get(code, 0) + 1

        # KTP issues three times as many as KK: a letter of KTP's taken by KK would number again below KTP's
        for turn, letter in enumerate("CADBEACBDEABCD"):
            await asyncio.gather(issue("ktp", 6), issue("kk", 2), issue("ktp", 6), ask(turn % 2, letter))
        assert answers.get("ok") and answers.get("prefix_in_use"), answers
    twice = await select(database, "SELECT day, label, COUNT(*) FROM tickets WHERE parent IS NULL "
                                   "GROUP BY site, day, label HAVING COUNT(*) > 1")  # fmt: skip
    assert not twice, f"labels issued twice in a day: {twice[:5]}"
    assert (await select(database, "SELECT COUNT(*) FROM tickets"))[0][0] == 14 * 14


async def select(database: Path | str, sql: str) -> list[tuple[Any, ...]]:
    """Rows read straight from the database, SQLite file or PostgreSQL, behind the server's back."""
    if isinstance(database, Path):
        with sqlite3.connect(database) as conn:
            return conn.execute(sql).fetchall()
    conn = await asyncpg.connect(database)
    try:
        return [tuple(row) for row in await conn.fetch(sql)]
    finally:
        await conn.close()


def _cli(*args: str, db: Path | str, site: Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "queue_server", *args, "--db", str(db), "--site", str(site)],
        env=server_env(db),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        **kwargs,
    )  # type: ignore[call-overload]


def _start(
    db: Path | str, site: Path | None, *extra: str, wait: float = 30, command: str = "serve", log: Path | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """`queue-server serve` (or `command`, e.g. "demo" with no `site`) as a process of its own (its own session: a
    worker supervisor's whole group can be signalled), ready within `wait` seconds; its URL. Its output goes to
    `log` when given."""
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    sites = ["--site", str(site)] if site is not None else []
    with open(log, "wb") if log is not None else contextlib.nullcontext(subprocess.DEVNULL) as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "queue_server", command, "--db", str(db), *sites, "--port", str(port), *extra],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True, env=server_env(db),
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    raise AssertionError("server did not start")


async def test_sigkill_during_issuing_loses_no_acknowledged_ticket(tmp_path: Path, database: Path | str) -> None:
    site = write_site(tmp_path / "uji.toml", 2)
    db = database
    token = _cli("device", "add", "--kind", "kiosk", "--site-id", "uji", "--name", "Kios", db=db, site=site
                 ).stdout.strip().splitlines()[-1]  # fmt: skip
    acknowledged: dict[str, str] = {}
    proc, url = _start(db, site)
    try:
        async with httpx.AsyncClient(base_url=url, timeout=5, limits=httpx.Limits(max_connections=40)) as http:
            stop = asyncio.Event()

            async def client(n: int) -> None:
                i = 0
                while not stop.is_set():
                    i += 1
                    try:
                        r = await http.post("/api/v1/sites/uji/tickets", json={"service": "ktp"},
                                            headers={"Authorization": f"Bearer {token}",
                                                     "Idempotency-Key": f"client-{n}-request-{i}"})  # fmt: skip
                    except httpx.HTTPError:
                        return  # the server died mid-request: this ticket was never acknowledged
                    if r.status_code == 201:
                        body = r.json()["ticket"]
                        acknowledged[body["id"]] = body["label"]

            clients = [asyncio.create_task(client(n)) for n in range(16)]
            while len(acknowledged) < 300:  # noqa: ASYNC110 - polling a count the clients grow
                await asyncio.sleep(0.01)
            os.kill(proc.pid, signal.SIGKILL)  # in the middle of the stream of requests
            proc.wait(timeout=10)
            stop.set()
            await asyncio.gather(*clients)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    proc, url = _start(db, site)
    try:
        async with httpx.AsyncClient(base_url=url, timeout=5) as http:
            after = []
            for _ in range(20):
                r = await http.post("/api/v1/sites/uji/tickets", json={"service": "ktp"},
                                    headers={"Authorization": f"Bearer {token}"})  # fmt: skip
                assert r.status_code == 201, r.text
                after.append(int(r.json()["ticket"]["label"].split("-")[1]))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    rows = dict(await select(db, "SELECT id, label FROM tickets"))
    dupes = await select(db, "SELECT series, day, number, COUNT(*) FROM tickets GROUP BY 1, 2, 3 HAVING COUNT(*) > 1")
    numbers = [n for (n,) in await select(db, "SELECT number FROM tickets ORDER BY number")]
    issued_events = (await select(db, "SELECT COUNT(*) FROM events WHERE type = 'ticket.issued'"))[0][0]
    missing = {tid: label for tid, label in acknowledged.items() if rows.get(tid) != label}
    assert not missing, f"acknowledged tickets lost after SIGKILL: {list(missing.values())[:5]}"
    assert not dupes, f"numbers issued twice: {dupes[:5]}"
    assert numbers == list(range(1, len(numbers) + 1)), "numbers are a gapless series 1..n"
    assert min(after) > max(int(label.split("-")[1]) for label in acknowledged.values())
    assert issued_events == len(rows), "the event log and the tickets table agree"
