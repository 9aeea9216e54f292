"""The queue-server command as a new user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from queue_server.settings.sitefile import DEMO_SITE

from .helpers import free_socket

QS = [sys.executable, "-m", "queue_server"]


def run(*args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*QS, *args], capture_output=True, text=True, input=stdin, timeout=60, check=check)


def run_demo_and_issue(tmp_path: Path, *extra: str) -> tuple[str, int]:
    """Start `queue-server demo`, issue one ticket as the demo kiosk, stop it: what it printed, and its port."""
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    proc = subprocess.Popen([*QS, "demo", "--port", str(port), "--db", str(tmp_path / "demo.sqlite3"), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        r = httpx.post(f"http://127.0.0.1:{port}/api/v1/sites/tegal/tickets", json={"service": "ktp"},
                       headers={"Authorization": "Bearer d_kiosk_demo_tegal"})  # fmt: skip
        assert r.status_code == 201 and r.json()["ticket"]["label"] == "A-001"
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=20)
    # uvicorn shuts down gracefully, then re-raises the signal so the exit status tells how it ended.
    assert proc.returncode in (0, -15), output
    assert "Application shutdown complete" in output
    return output, port


def test_demo_brings_up_the_mall_and_prints_where_everything_is(tmp_path: Path) -> None:
    output, port = run_demo_and_issue(tmp_path)
    for expected in ("MPP Kabupaten Tegal", f"http://127.0.0.1:{port}/api/v1/sites/tegal", "d_kiosk_demo_tegal",
                     "d_display_demo_tegal_lobby", "admin / demo-admin", "op-disdukcapil"):  # fmt: skip
        assert expected in output
    assert "POST /api/v1/sites/tegal/tickets" not in output  # no access log unless asked for


def test_access_log_on_request_and_a_wrong_setting_refused(tmp_path: Path) -> None:
    output, _ = run_demo_and_issue(tmp_path, "--access-log")
    assert '"POST /api/v1/sites/tegal/tickets HTTP/1.1" 201' in output
    result = subprocess.run([*QS, "serve", "--db", str(tmp_path / "x.sqlite3"), "--port", "0"], capture_output=True,
                            text=True, timeout=60, env={**os.environ, "QUEUE_ACCESS_LOG": "maybe"})  # fmt: skip
    assert result.returncode != 0
    assert "QUEUE_ACCESS_LOG must be 1 or 0" in result.stderr and "Traceback" not in result.stderr


def test_check_site_lists_every_problem(tmp_path: Path) -> None:
    checked = run("check-site", str(DEMO_SITE)).stdout
    assert "ok — MPP Kabupaten Tegal: 14 agencies" in checked
    assert (
        "  warning: the daily quotas of KTP Elektronik, Kartu Identitas Anak (360 citizens) need 2100 counter-minutes "
        "a day; Loket 1, Loket 2 give at most 870 (opening hours less the break; short on mon, tue, wed, thu, fri, "
        "sat): about 211 would not be served before closing." in checked
    ), "a site file that loads can still ask more of its counters than they have: said, not refused"
    bad = tmp_path / "bad.toml"
    bad.write_text(DEMO_SITE.read_text().replace('timezone = "Asia/Jakarta"', 'timezone = "WIB"')
                   .replace('prefix = "B"', 'prefix = "A"'))  # fmt: skip
    result = run("check-site", str(bad), check=False)
    assert result.returncode == 1
    assert "site.timezone: 'WIB' is not a time zone" in result.stdout
    assert "agencies[0].services[1].prefix: 'A' is already used" in result.stdout


def test_serve_refuses_a_wrong_site_file_at_start(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[site]\nid = "x"\n')
    result = run("serve", "--site", str(bad), "--db", str(tmp_path / "db.sqlite3"), "--port", "0", check=False)
    assert result.returncode != 0
    assert "site.name: is required" in result.stderr and "agencies: at least one" in result.stderr


def test_users_and_devices(tmp_path: Path) -> None:
    db = str(tmp_path / "db.sqlite3")
    run("user", "add", "kepala", "--role", "supervisor", "--site-id", "tegal", "--password-stdin", "--db", db,
        stdin="sandi-yang-panjang\n")  # fmt: skip
    listing = run("user", "list", "--db", db).stdout
    assert "kepala" in listing and "supervisor" in listing
    assert "admin" not in listing, "outside demo mode there are no default accounts"
    refused = run("user", "add", "x", "--role", "operator", "--site-id", "tegal", "--agency", "kua",
                  "--password-stdin", "--db", db, stdin="sandi-yang-panjang\n", check=False)  # fmt: skip
    assert refused.returncode != 0 and "agency" in refused.stderr
    token = run("device", "add", "--kind", "display", "--site-id", "tegal", "--name", "TV Lobi", "--screen", "lobby",
                "--db", db).stdout.strip().splitlines()[-1]  # fmt: skip
    assert token.startswith("d_display_")
    assert "TV Lobi" in run("device", "list", "--db", db).stdout
    run("device", "revoke", "1", "--db", db)
    assert "revoked" in run("device", "list", "--db", db).stdout


def test_close_day_with_the_server_stopped(tmp_path: Path) -> None:
    db = str(tmp_path / "db.sqlite3")
    result = run("close-day", "--site-id", "tegal", "--db", db)
    assert "closed tegal" in result.stdout and "0 unserved tickets expired" in result.stdout
    assert run("close-day", "--site-id", "nowhere", "--db", db, check=False).returncode != 0
