"""The command line works on the configuration in force, as `serve` builds it: the one saved on the Settings page
(stored in the database) before the site file it came from. An installer's walk: a new mall, a first start, an
agency, a counter and a screen added in Settings, then the command line with the server stopped. Real SQLite files,
a real server, the command run as a process of its own."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .helpers import Clock, running_server

SITE = """
[site]
id = "uji"
name = "MPP Uji"
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
  [[agencies.counters]]
  id = "1"
  services = ["ktp"]

[[screens]]
id = "lobby"
name = "Layar lobi"
"""

PASSWORD = "kopi-hujan-sepeda-7"
POLRESTA = {
    "id": "polresta",
    "name": "Polresta",
    "services": [{"id": "skck", "name": "SKCK", "prefix": "S"}],
    "counters": [{"id": "5", "name": "Loket 5", "services": ["skck"]}],
}


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "queue_server", *args], input=stdin, capture_output=True, text=True,
                          timeout=120)  # fmt: skip


def today() -> Clock:
    """The server's clock at the machine's time: the command line closes the machine's today."""
    return Clock(datetime.now(UTC))


async def added_in_settings(db: Path, site: Path) -> dict[str, Any]:
    """A first start, then Polresta (its service SKCK and Loket 5) and a screen "lantai1" saved on the Settings page:
    configuration version 1, source "web". The configuration document saved."""
    async with running_server(db, site_files=[site], clock=today()) as s:
        admin = await s.login("admin")
        r = await s.http.get("/api/v1/sites/uji/configuration", headers=admin)
        assert r.status_code == 200, r.text
        document = r.json()["document"]
        document["agencies"].append(POLRESTA)
        document["screens"].append({"id": "lantai1", "name": "Lantai 1"})
        r = await s.http.put("/api/v1/sites/uji/configuration", json={"version": r.json()["version"],
                             "document": document}, headers=admin)  # fmt: skip
        assert r.status_code == 200, r.text
        return document


def new_mall(tmp_path: Path) -> tuple[Path, Path]:
    site = tmp_path / "uji.toml"
    site.write_text(SITE)
    return tmp_path / "queue.sqlite3", site


async def test_accounts_and_devices_take_what_settings_added(tmp_path: Path) -> None:
    db, site = new_mall(tmp_path)
    await added_in_settings(db, site)
    where = ["--site-id", "uji", "--site", str(site), "--db", str(db)]
    # It said: error: 'polresta' is not an agency of uji (--agency): one of dukcapil
    made = await asyncio.to_thread(cli, "user", "add", "op-polresta", "--role", "operator", "--agency", "polresta",
                                   *where, "--password-stdin", stdin=PASSWORD + "\n")  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert "created operator op-polresta" in made.stdout
    screen = await asyncio.to_thread(cli, "device", "add", "--kind", "display", "--screen", "lantai1", "--name",
                                     "TV lantai 1", *where)  # fmt: skip
    assert screen.returncode == 0, screen.stderr
    assert "/display/uji/lantai1#token=" in screen.stdout
    # What is in force only: an agency nobody added is still refused, naming those in force.
    wrong = await asyncio.to_thread(cli, "user", "add", "op-x", "--role", "operator", "--agency", "bpn", *where,
                                    "--password-stdin", stdin=PASSWORD + "\n")  # fmt: skip
    assert wrong.returncode == 1
    assert "'bpn' is not an agency of uji (--agency): one of dukcapil, polresta" in wrong.stderr, wrong.stderr
    async with running_server(db, site_files=[site], clock=today()) as s:  # the operator works Loket 5
        operator = await s.login("op-polresta", PASSWORD)
        r = await s.http.post("/api/v1/sites/uji/counters/5/commands", json={"command": "open"}, headers=operator)
        assert r.status_code == 200, r.text


def counter_events(db: Path, counter: str) -> list[str]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT type, data FROM events WHERE site = 'uji' ORDER BY seq").fetchall()
    return [kind for kind, data in rows if f'"id": "{counter}"' in data or f'"id":"{counter}"' in data]


async def test_close_day_closes_the_counters_added_in_settings_and_their_citizen_stays_expired(
    tmp_path: Path,
) -> None:
    db, site = new_mall(tmp_path)
    await added_in_settings(db, site)
    async with running_server(db, site_files=[site], clock=today()) as s:
        supervisor = await s.login("supervisor")
        kiosk = {"Authorization": "Bearer d_kiosk_demo_uji"}
        r = await s.http.post("/api/v1/sites/uji/tickets", json={"service": "skck"}, headers=kiosk)
        assert r.status_code == 201, r.text
        ticket = r.json()["ticket"]["id"]
        for command in ("open", "call_next"):
            r = await s.http.post("/api/v1/sites/uji/counters/5/commands", json={"command": command},
                                  headers=supervisor)  # fmt: skip
            assert r.status_code == 200, r.text
    closed = await asyncio.to_thread(cli, "close-day", "--site-id", "uji", "--site", str(site), "--db", str(db))
    assert closed.returncode == 0, closed.stderr
    assert "1 unserved tickets expired" in closed.stdout
    # As the server's own close-day does: Loket 5 closed too (it was left open, pointing at its expired citizen).
    assert counter_events(db, "5")[-1] == "counter.closed", counter_events(db, "5")
    async with running_server(db, site_files=[site], clock=today()) as s:
        state = s.ctx.state("uji")
        assert state.counters["5"].state.value == "closed" and state.counters["5"].current is None
        assert state.tickets[ticket].state.value == "expired"
        supervisor = await s.login("supervisor")
        r = await s.http.post("/api/v1/sites/uji/counters/5/commands", json={"command": "close"}, headers=supervisor)
        assert r.status_code == 409 and r.json()["error"]["code"] == "counter_already_closed", r.text
        assert state.tickets[ticket].state.value == "expired", "the day's citizen is not back in a closed day's line"


async def test_check_site_and_site_history_say_the_file_was_changed_in_settings_since(tmp_path: Path) -> None:
    db, site = new_mall(tmp_path)
    document = await added_in_settings(db, site)  # version 1
    async with running_server(db, site_files=[site], clock=today()) as s:
        admin = await s.login("admin")
        document["site"]["running_text"] = "Loket Polresta buka pukul 08.00."
        r = await s.http.put("/api/v1/sites/uji/configuration", json={"version": 1, "document": document},
                             headers=admin)  # fmt: skip
        assert r.status_code == 200, r.text
    # It said "this is the file in force (configuration version 2 ...)" of a file with one agency.
    said = await asyncio.to_thread(cli, "check-site", "--db", str(db), str(site))
    assert said.returncode == 0, said.stdout
    assert "database: this is the file applied last (applied " in said.stdout, said.stdout
    assert ("; changed on the Settings page since: versions 1-2. Version 2 is in force, and a server started with "
            "this file keeps it (the file is not applied again)") in said.stdout, said.stdout  # fmt: skip
    assert "this is the file in force" not in said.stdout
    history = await asyncio.to_thread(cli, "site-history", "--db", str(db))
    assert history.returncode == 0, history.stderr
    lines = history.stdout.splitlines()
    # It said "version 2 in force, from the site file ..."
    assert lines[0].startswith("uji: configuration version 2 in force, saved on the Settings page (versions 1-2, "
                               "since the site file "), lines  # fmt: skip
    assert lines[0].endswith(" applied last)") and lines[-1].endswith(f"from {site.resolve()}  <- applied last"), lines
