"""The queue-server command as a new user runs it."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from queue_server.settings.sitefile import DEMO_SITE, load_site

from .helpers import eventually, free_socket
from .pg_support import new_database, server_env
from .test_national import brebes_site

QS = [sys.executable, "-m", "queue_server"]


def run(*args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*QS, *args], capture_output=True, text=True, input=stdin, timeout=60, check=check,
                          env=server_env(*args))  # fmt: skip


def wait_until_healthy(port: int, proc: subprocess.Popen[Any] | None = None, seconds: float = 300) -> None:
    """Until the server on `port` answers /healthz. A server process that ended says so at once; one still starting
    is waited for (a demo's start hashes its accounts' passwords: on a busy machine it took more than the 30 s this
    waited, and the next request met a refused connection). `seconds` only bounds a server that never comes up."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the server ended (exit {proc.returncode}) before it answered /healthz")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"no server answered /healthz on port {port} within {seconds:g} s")


def run_demo_and_issue(tmp_path: Path, *extra: str) -> tuple[str, int]:
    """Start `queue-server demo`, issue one ticket as the demo kiosk, stop it: what it printed, and its port."""
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    proc = subprocess.Popen([*QS, "demo", "--port", str(port), "--db", str(tmp_path / "demo.sqlite3"), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    try:
        wait_until_healthy(port, proc)
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
    # Log lines carry their time, each once (python-escpos's basicConfig doubled them, untimed: "INFO:queue_server")
    assert re.search(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ INFO queue_server\.", output, re.M), output
    assert "INFO:queue_server" not in output and "WARNING:queue_server" not in output, output
    # The demo's database served as a real mall's: refused while the demo's published credentials work there.
    db, brebes = tmp_path / "demo.sqlite3", brebes_site(tmp_path)
    done = run("serve", "--db", str(db), "--site", str(brebes), "--port", "0", check=False)
    assert done.returncode == 1 and "holds what `queue-server demo` made" in done.stderr, done.stderr
    assert "account admin" in done.stderr and "account nasional" in done.stderr and "(Demo kiosk)" in done.stderr


def test_access_log_on_request_and_a_wrong_setting_refused(tmp_path: Path) -> None:
    output, _ = run_demo_and_issue(tmp_path, "--access-log")
    assert '"POST /api/v1/sites/tegal/tickets HTTP/1.1" 201' in output
    result = subprocess.run([*QS, "serve", "--db", str(tmp_path / "x.sqlite3"), "--port", "0"], capture_output=True,
                            text=True, timeout=60, env={**os.environ, "QUEUE_ACCESS_LOG": "maybe"})  # fmt: skip
    assert result.returncode != 0
    assert "QUEUE_ACCESS_LOG must be 1 or 0" in result.stderr and "Traceback" not in result.stderr


def test_init_site_that_cannot_write_its_file_names_the_file_not_a_database(tmp_path: Path) -> None:
    """An outside review: init-site into a folder it may not write (/etc/antrean/sites without sudo) or under a file
    said "error: SQLite database var/queue.sqlite3: PermissionError: ...", naming a database it never touches."""
    (tmp_path / "etc").write_text("")
    refused = run("init-site", str(tmp_path / "etc" / "mpp.toml"), "--id", "uji", "--name", "MPP Uji", check=False)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr, refused.stderr
    assert "SQLite database" not in refused.stderr, refused.stderr
    assert f"error: {tmp_path / 'etc' / 'mpp.toml'} could not be written" in refused.stderr, refused.stderr
    assert "nothing was written" in refused.stderr, refused.stderr


def test_a_file_beside_the_database_that_cannot_be_written_is_named_not_the_database(tmp_path: Path) -> None:
    """An outside review: `archive --to` a folder that cannot be made, or `mirror hand-over --to` such a file, said
    "error: SQLite database ...: NotADirectoryError: ...", which sent the technician after a database that was fine."""
    db, site = str(tmp_path / "q.sqlite3"), str(tmp_path / "uji.toml")
    run("init-site", site, "--id", "uji", "--name", "MPP Uji")
    run("migrate", "--db", db)
    (tmp_path / "usb").write_text("")  # a file where a folder is meant
    for command in (["archive", "--before", "2026-01-01", "--to", str(tmp_path / "usb" / "arsip")],
                    ["mirror", "hand-over", "--site-id", "uji", "--to", str(tmp_path / "usb" / "kode.json")]):  # fmt: skip
        refused = run(*command, "--site", site, "--db", db, check=False)
        assert refused.returncode == 1 and "Traceback" not in refused.stderr, refused.stderr
        assert "SQLite database" not in refused.stderr, refused.stderr
        assert f"error: {tmp_path / 'usb'}" in refused.stderr and "Not a directory" in refused.stderr, refused.stderr


def test_init_site_says_how_to_try_the_mall_out_of_hours(tmp_path: Path) -> None:
    """An installer's walk: a first site file tried the evening before shows "Pelayanan sedang tutup" at the kiosk,
    and nothing in the file said why or how to try it anyway. It says so now, in a line that works uncommented."""
    site = tmp_path / "mpp.toml"
    run("init-site", str(site), "--id", "uji", "--name", "MPP Uji")
    text = site.read_text()
    assert "# enforce_hours = false" in text and load_site(site).enforce_hours is True
    site.write_text(text.replace("# enforce_hours = false", "enforce_hours = false"))
    assert load_site(site).enforce_hours is False
    assert "ok — MPP Uji" in run("check-site", str(site)).stdout


def test_init_site_and_check_site_keep_the_province_s_time_zone(tmp_path: Path) -> None:
    """An outside review: `init-site --province Bali` wrote WIB and check-site said "ok". A province's zone is the
    law's: init-site writes it, refuses another given, and check-site refuses a file that names another."""
    site = tmp_path / "denpasar.toml"
    run("init-site", str(site), "--id", "denpasar", "--name", "MPP Kota Denpasar", "--province", "Bali",
        "--regency", "Kota Denpasar")  # fmt: skip
    assert 'timezone = "Asia/Makassar"' in site.read_text()
    assert "ok — MPP Kota Denpasar" in run("check-site", str(site)).stdout
    jayapura = tmp_path / "jayapura.toml"
    run("init-site", str(jayapura), "--id", "jayapura", "--name", "MPP Kota Jayapura", "--province", "papua")
    assert load_site(jayapura).timezone == "Asia/Jayapura"
    wrong = run("init-site", str(tmp_path / "x.toml"), "--id", "x", "--name", "x", "--province", "Bali",
                "--timezone", "Asia/Jakarta", check=False)  # fmt: skip
    assert wrong.returncode != 0 and "Traceback" not in wrong.stderr
    assert "time zone 'Asia/Jakarta': Bali uses WITA: timezone must be 'Asia/Makassar'" in wrong.stderr, wrong.stderr
    assert not (tmp_path / "x.toml").exists()
    site.write_text(site.read_text().replace('timezone = "Asia/Makassar"', 'timezone = "Asia/Jakarta"'))
    checked = run("check-site", str(site), check=False)
    assert checked.returncode == 1, checked.stdout
    assert "- site.timezone: Bali uses WITA: timezone must be 'Asia/Makassar', not 'Asia/Jakarta'" in checked.stdout


def test_init_site_takes_asia_pontianak_for_west_kalimantan_as_written(tmp_path: Path) -> None:
    """Asia/Pontianak, tzdata's zone of West Kalimantan, was refused as "not a time zone of Indonesia". It is WIB:
    init-site writes it as given, check-site takes it, and a WITA province under it is refused by its legal zone."""
    site = tmp_path / "pontianak.toml"
    run("init-site", str(site), "--id", "pontianak", "--name", "MPP Kota Pontianak", "--province", "Kalimantan Barat",
        "--regency", "Kota Pontianak", "--timezone", "Asia/Pontianak")  # fmt: skip
    assert 'timezone = "Asia/Pontianak"  # WIB (the zones: Asia/Jakarta or Asia/Pontianak for WIB,' in site.read_text()
    assert "ok — MPP Kota Pontianak" in run("check-site", str(site)).stdout
    assert load_site(site).timezone == "Asia/Pontianak"
    wrong = run("init-site", str(tmp_path / "x.toml"), "--id", "x", "--name", "x", "--province", "Bali",
                "--timezone", "Asia/Pontianak", check=False)  # fmt: skip
    assert "time zone 'Asia/Pontianak': Bali uses WITA: timezone must be 'Asia/Makassar'" in wrong.stderr, wrong.stderr
    tokyo = run("init-site", str(tmp_path / "x.toml"), "--id", "x", "--name", "x", "--timezone", "Asia/Tokyo",
                check=False)  # fmt: skip
    assert tokyo.returncode != 0 and "Traceback" not in tokyo.stderr
    assert ("time zone 'Asia/Tokyo': not a time zone of Indonesia (use Asia/Jakarta or Asia/Pontianak for WIB, "
            "Asia/Makassar for WITA or Asia/Jayapura for WIT)") in tokyo.stderr, tokyo.stderr  # fmt: skip
    assert not (tmp_path / "x.toml").exists()


def test_a_new_mall_starts_from_init_site_to_a_running_server(tmp_path: Path) -> None:
    """An outside review: a new mall could not be started without copying the 14-agency demo file, as nothing
    smaller passes check-site. init-site writes the smallest file that does, and says what to do next."""
    site = tmp_path / "slawi.toml"
    made = run("init-site", str(site), "--id", "slawi", "--name", "MPP Kabupaten Slawi", "--timezone", "Asia/Makassar")
    assert f"queue-server user add admin-mpp --role admin --site-id slawi --site {site.resolve()}" in made.stdout
    # the commands name one database wherever they are run from: absolute, as given or by default in this folder
    assert f"--db {(Path.cwd() / 'var' / 'queue.sqlite3').resolve()}" in made.stdout, made.stdout
    named = run("init-site", str(tmp_path / "named.toml"), "--id", "slawi", "--name", "x", "--db", "pg/../q.sqlite3")
    assert f"serve --site {(tmp_path / 'named.toml').resolve()} --db {Path('q.sqlite3').resolve()} " in named.stdout
    checked = run("check-site", str(site)).stdout
    assert "ok — MPP Kabupaten Slawi: 1 agency, 1 service, 1 counter, 1 screen" in checked
    assert "warning" not in checked, "the starter's quota fits its one counter"
    assert '# province = "Jawa Tengah"' in site.read_text(), "where the mall is: an example to fill in"
    placed = tmp_path / "gowa.toml"
    run("init-site", str(placed), "--id", "gowa", "--name", "MPP Kabupaten Gowa", "--province", "sulawesi selatan",
        "--regency", "Kabupaten Gowa")  # fmt: skip
    assert "ok — MPP Kabupaten Gowa" in run("check-site", str(placed)).stdout
    assert (load_site(placed).province, load_site(placed).regency) == ("73", "Kabupaten Gowa")
    again = run("init-site", str(site), "--id", "slawi", "--name", "Lain", check=False)
    assert again.returncode != 0 and "exists already" in again.stderr and "Lain" not in site.read_text()
    for wrong, said in ((["--id", "Kota Slawi", "--name", "x"], "site id 'Kota Slawi'"),
                        (["--id", "x", "--name", "x", "--timezone", "WIB"], "time zone 'WIB'"),
                        (["--id", "x", "--name", "x", "--province", "Jateng Raya"], "province 'Jateng Raya'"),
                        (["--id", "x", "--name", "x", "--regency", "Slawi"], "regency 'Slawi'")):  # fmt: skip
        result = run("init-site", str(tmp_path / "other.toml"), *wrong, check=False)
        assert result.returncode != 0 and said in result.stderr and "Traceback" not in result.stderr
    db = str(tmp_path / "q.sqlite3")
    run("user", "add", "admin-mpp", "--role", "admin", "--site-id", "slawi", "--site", str(site), "--db", db,
        "--password-stdin", stdin="kopi-tubruk-pagi-hari\n")  # fmt: skip
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    proc = subprocess.Popen([*QS, "serve", "--port", str(port), "--db", db, "--site", str(site)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    try:
        wait_until_healthy(port, proc)
        base = f"http://127.0.0.1:{port}"
        login = httpx.post(f"{base}/api/v1/auth/login", json={"username": "admin-mpp",
                                                               "password": "kopi-tubruk-pagi-hari"})  # fmt: skip
        assert login.status_code == 200, login.text
        admin = {"Authorization": f"Bearer {login.json()['token']}"}
        document = httpx.get(f"{base}/api/v1/sites/slawi/configuration", headers=admin).json()["document"]
        assert document["site"]["timezone"] == "Asia/Makassar" and document["agencies"][0]["id"] == "disdukcapil"
        page = httpx.get(f"{base}/supervisor/slawi/admin", headers={"Accept": "text/html"})
        assert page.status_code == 200
    finally:
        proc.terminate()
        proc.communicate(timeout=20)


def test_check_site_lists_every_problem(tmp_path: Path) -> None:
    checked = run("check-site", str(DEMO_SITE)).stdout
    assert "ok — MPP Kabupaten Tegal: 14 agencies" in checked
    assert (
        "  warning: the daily quotas of KTP Elektronik, Kartu Identitas Anak (360 citizens) need 2100 counter-minutes "
        "a day; Loket 1, Loket 2 can give at most 870 (opening hours less the break; short on mon, tue, wed, thu, fri, "
        "sat): about 211 would not be served before closing." in checked
    ), "a site file that loads can still ask more of its counters than they have: said, not refused"
    bad = tmp_path / "bad.toml"
    bad.write_text(DEMO_SITE.read_text().replace('timezone = "Asia/Jakarta"', 'timezone = "WIB"')
                   .replace('prefix = "B"', 'prefix = "A"'))  # fmt: skip
    result = run("check-site", str(bad), check=False)
    assert result.returncode == 1
    assert "site.timezone: 'WIB' is not a time zone" in result.stdout
    assert 'agencies[0 "disdukcapil"].services[1 "kk"].prefix: \'A\' is already used' in result.stdout


def test_check_site_reads_the_wifi_of_a_mobile_unit_and_names_what_is_wrong_with_it(tmp_path: Path) -> None:
    site = DEMO_SITE.read_text()
    good = tmp_path / "keliling.toml"
    good.write_text(site.replace("timezone = ", 'wifi = "MPP-Keliling"\nwifi_password = "antrean123"\ntimezone = ', 1))
    assert "ok — MPP Kabupaten Tegal" in run("check-site", str(good)).stdout
    bad = tmp_path / "bad_wifi.toml"
    bad.write_text(site.replace("timezone = ", 'wifi = """MPP\nKeliling"""\nwifi_password = "123"\ntimezone = ', 1))
    result = run("check-site", str(bad), check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "site.wifi: is more than one line" in result.stdout
    assert "site.wifi_password: is 3 characters long: a Wi-Fi password has 8 to 63" in result.stdout


def test_serve_refuses_a_wrong_site_file_at_start(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[site]\nid = "x"\n')
    result = run("serve", "--site", str(bad), "--db", str(tmp_path / "db.sqlite3"), "--port", "0", check=False)
    assert result.returncode != 0
    assert "site.name: is required" in result.stderr and "agencies: at least one" in result.stderr


def test_check_site_and_serve_refuse_a_running_text_too_long_and_alerts_out_of_bounds_in_the_same_words(
    tmp_path: Path,
) -> None:
    """A site file's running text over the API's 500 characters, and the dashboard's thresholds out of their bounds:
    check-site and a server's start say the same sentence, by name, and nothing starts."""
    site = tmp_path / "tegal.toml"
    text = DEMO_SITE.read_text()
    long = "Pelayanan tidak dipungut biaya. " * 20
    assert "[alerts]" not in text
    site.write_text(re.sub(r'(?m)^running_text = .*$', f'running_text = "{long}"', text, count=1)
                    + "\n[alerts]\nservice_mark_times = 0.5\nscreen_missing_minutes = \"lama\"\n")  # fmt: skip
    said = [
        "site.running_text: is 639 characters long, at most 500",
        "alerts.screen_missing_minutes: must be a whole number from 1 to 240, got 'lama'",
        "alerts.service_mark_times: must be a number from 1.5 to 10, got 0.5",
    ]
    checked = run("check-site", str(site), check=False)
    assert checked.returncode == 1 and "Traceback" not in checked.stderr, checked.stderr
    assert all(f"- {line}" in checked.stdout for line in said), checked.stdout
    served = run("serve", "--site", str(site), "--db", str(tmp_path / "db.sqlite3"), "--port", "0", check=False)
    assert served.returncode != 0 and "Traceback" not in served.stderr, served.stderr
    assert all(line in served.stderr for line in said), served.stderr


def test_users_and_devices(tmp_path: Path) -> None:
    db = str(tmp_path / "db.sqlite3")
    run("user", "add", "kepala", "--role", "supervisor", "--site-id", "tegal", "--password-stdin", "--db", db,
        stdin="sandi-yang-panjang\n")  # fmt: skip
    listing = run("user", "list", "--db", db).stdout
    assert "kepala" in listing and "supervisor" in listing
    assert listing.splitlines()[0].split() == ["USERNAME", "ROLE", "SITE(S)", "AGENCY"], listing
    assert "admin" not in listing, "outside demo mode there are no default accounts"
    refused = run("user", "add", "x", "--role", "operator", "--site-id", "tegal", "--agency", "kua",
                  "--password-stdin", "--db", db, stdin="sandi-yang-panjang\n", check=False)  # fmt: skip
    assert (
        refused.returncode != 0 and "'kua' is not an agency of tegal (--agency): one of disdukcapil" in refused.stderr
    )
    wrong_site = run("user", "add", "y", "--role", "supervisor", "--site-id", "makassar", "--password-stdin", "--db", db,
                     stdin="sandi-yang-panjang\n", check=False)  # fmt: skip
    assert "'makassar' is not a site of this server (--site-id): one of tegal" in wrong_site.stderr, wrong_site.stderr
    # an admin too (outside review): the first account of a new mall, its --site-id mistyped, was made an admin of
    # no site this server has, and was refused every page of the mall it was made for
    wrong_admin = run("user", "add", "admin-mpp", "--role", "admin", "--site-id", "tegall", "--password-stdin", "--db",
                      db, stdin="sandi-yang-panjang\n", check=False)  # fmt: skip
    assert wrong_admin.returncode == 1 and "Traceback" not in wrong_admin.stderr, wrong_admin.stderr
    assert "'tegall' is not a site of this server (--site-id): one of tegal" in wrong_admin.stderr, wrong_admin.stderr
    assert "admin-mpp" not in run("user", "list", "--db", db).stdout
    token = run("device", "add", "--kind", "display", "--site-id", "tegal", "--name", "TV Lobi", "--screen", "lobby",
                "--db", db).stdout.strip().splitlines()[-1]  # fmt: skip
    assert token.startswith("d_display_")
    added = run("device", "add", "--kind", "kiosk", "--site-id", "tegal", "--name", "Kios 2", "--db", db).stdout
    assert f"open on the device: {_device_base(8000)}/kiosk/tegal#token=d_kiosk_" in added
    devices = run("device", "list", "--db", db).stdout
    assert "TV Lobi" in devices and devices.splitlines()[0].split() == ["ID", "KIND", "SITE", "SCREEN", "STATE", "NAME"]
    run("device", "revoke", "1", "--db", db)
    assert "revoked" in run("device", "list", "--db", db).stdout


def test_close_day_with_the_server_stopped(tmp_path: Path) -> None:
    db = str(tmp_path / "db.sqlite3")
    run("migrate", "--db", db)  # close-day makes no database of its own (a mistyped --db made an empty one)
    refused = run("close-day", "--site-id", "tegal", "--db", db, "--reason", "Ibu Siti Rahayu sakit", check=False)
    assert refused.returncode == 1 and "name" in refused.stderr, refused  # said to citizens: no citizen named
    # the API's and a pause's one rule: checked on the line a screen shows, said in the API's English sentence
    split = run("close-day", "--site-id", "tegal", "--db", db, "--reason", "Hubungi 0812  \n  3456-7890", check=False)
    assert split.returncode == 1 and "error: Reason holds a citizen's phone number" in split.stderr, split
    result = run("close-day", "--site-id", "tegal", "--db", db, "--reason", "Gangguan listrik")
    assert "closed tegal" in result.stdout and "(Gangguan listrik): 0 unserved tickets expired" in result.stdout
    assert run("close-day", "--site-id", "nowhere", "--db", db, check=False).returncode != 0
    # Refused (closed already): said and ended, not a spin at 100 % CPU (an outside review waited ten minutes)
    again = run("close-day", "--site-id", "tegal", "--db", db, check=False)
    assert again.returncode == 1 and "closed already" in again.stderr, again


def test_wrong_database_addresses_are_refused_by_name_never_a_traceback(tmp_path: Path) -> None:
    """What an installer mistypes: another scheme (it used to become a folder named after the URL, password and
    all), a file that is not a database, a folder, a missing file to list from, no terminal for a password."""
    cases = [
        (("user", "list", "--db", "postgres1://antrean:rahasia@127.0.0.1:1/antrean"), "is not a database this server"),
        (("serve", "--db", "mysql://a:rahasia@b/c"), "is not a database this server"),
        (("user", "list", "--db", str(DEMO_SITE)), "is not a SQLite database (another kind of file)"),
        (("user", "list", "--db", str(tmp_path)), "is a folder: --db names the database file in it"),
        (("user", "list", "--db", str(tmp_path / "queu.sqlite3")), "no database at"),
        (("device", "list", "--db", str(tmp_path / "queu.sqlite3")), "no database at"),
    ]
    for args, said in cases:
        done = run(*args, check=False)
        assert done.returncode != 0 and said in done.stderr, (args, done.stderr)
        assert "Traceback" not in done.stderr and "rahasia" not in done.stderr + done.stdout, done.stderr
    assert not list(tmp_path.iterdir()) and not Path("postgres1:").exists()
    db = str(tmp_path / "new.sqlite3")
    made = run("user", "add", "kepala", "--role", "supervisor", "--site-id", "tegal", "--password-stdin", "--db", db,
               stdin="sandi-yang-panjang\n")  # fmt: skip
    assert "a new database is made there" in made.stderr and "no --site given" in made.stderr
    typed = subprocess.run([*QS, "user", "passwd", "kepala", "--db", db], capture_output=True, text=True,
                           stdin=subprocess.DEVNULL, timeout=60, check=False)  # fmt: skip
    assert typed.returncode != 0 and "--password-stdin" in typed.stderr and "Traceback" not in typed.stderr


async def test_postgresql_errors_are_one_line_and_no_message_shows_the_password(pg_cluster: str) -> None:
    """A database that is not there (or a refused login) reads as one line naming it, password hidden; `migrate`
    used to print the password with the version."""
    database = await new_database(pg_cluster)
    with_password = re.sub(r"://([^:@/]+)@", r"://\1:rahasia-db@", database, count=1)
    assert "rahasia-db" in with_password  # the throwaway cluster trusts local logins: any password is taken
    missing = re.sub(r"/(t_[0-9a-f]+)\?", "/no_such_database?", with_password, count=1)
    for args in (("user", "list", "--db", missing), ("migrate", "--db", missing)):
        done = await asyncio.to_thread(run, *args, check=False)
        assert done.returncode == 5 and done.stderr.splitlines()[-1].startswith("error: PostgreSQL database"), (
            done.stderr
        )
        assert "Traceback" not in done.stderr and "rahasia-db" not in done.stderr, done.stderr
    migrated = await asyncio.to_thread(run, "migrate", "--db", with_password)
    assert "***" in migrated.stdout and "rahasia-db" not in migrated.stdout, migrated.stdout


def test_serve_says_what_it_serves_and_refuses_a_port_in_use_at_once(tmp_path: Path) -> None:
    sock = free_socket()
    sock.listen()  # the port is taken
    port = sock.getsockname()[1]
    try:
        taken = run("serve", "--port", str(port), "--db", str(tmp_path / "q.sqlite3"), "--site", str(DEMO_SITE),
                    check=False)  # fmt: skip
    finally:
        sock.close()
    assert taken.returncode != 0 and "another server runs there" in taken.stderr, taken.stderr
    assert not (tmp_path / "q.sqlite3").exists() and not (tmp_path / "notify.key").exists(), "refused before any work"
    proc = subprocess.Popen([*QS, "serve", "--port", str(port), "--db", str(tmp_path / "q.sqlite3"), "--site",
                             str(DEMO_SITE)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    try:
        wait_until_healthy(port, proc)
        # An outside review: a newcomer found no page: / and /counter/tegal answered a JSON 404.
        html = {"Accept": "text/html"}
        index = httpx.get(f"http://127.0.0.1:{port}/", headers=html)
        picker = httpx.get(f"http://127.0.0.1:{port}/counter/tegal", headers=html)
        english = httpx.get(f"http://127.0.0.1:{port}/?lang=en")
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=20)
    assert f"MPP Kabupaten Tegal (tegal): http://127.0.0.1:{port}/supervisor/tegal" in output, output
    assert "database " in output and "1 process(es)" in output
    for page in ("/kiosk/tegal", "/display/tegal/lobby", "/counter/tegal", "/booking/tegal", "/desk/tegal",
                 "/supervisor/tegal/admin", "/national"):  # fmt: skip
        assert f"http://127.0.0.1:{port}{page}" in output, output
        assert f'href="{page}"' in index.text, page
    assert index.status_code == 200 and "Halaman layanan antrean" in index.text and "MPP Kabupaten Tegal" in index.text
    assert "#token=" not in index.text and "d_kiosk_" not in index.text, "links only: no device token"
    assert english.status_code == 200 and "Ticket kiosk" in english.text
    assert picker.status_code == 200 and "Pilih loket" in picker.text and 'href="/counter/tegal/1"' in picker.text


def test_serve_says_what_to_do_with_a_port_it_may_not_open_or_an_address_not_here(tmp_path: Path) -> None:
    """An installer's walk: `--port 80` as the service's account said only "(Permission denied)", and a --host this
    machine does not have "(Cannot assign requested address)"."""
    db = tmp_path / "var" / "q.sqlite3"
    elsewhere = run("serve", "--port", "8000", "--host", "198.51.100.77", "--db", str(db), "--site", str(DEMO_SITE),
                    check=False)  # fmt: skip
    assert elsewhere.returncode == 1 and "this machine has no address 198.51.100.77; check --host" in elsewhere.stderr
    if os.geteuid() == 0 and shutil.which("setpriv"):  # root without the right to bind a low port, as a service account
        low = subprocess.run(["setpriv", "--bounding-set=-net_bind_service", "--inh-caps=-net_bind_service", *QS,
                              "serve", "--port", "80", "--db", str(db), "--site", str(DEMO_SITE)],
                             capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
        assert low.returncode == 1 and "a port below 1024 needs a right" in low.stderr, low.stderr
        assert "give a port from 1024 up" in low.stderr
    assert not db.parent.exists(), "refused before anything was made"


def test_serve_on_every_address_names_the_lan_address_not_localhost() -> None:
    from queue_server.cli import _serving
    from queue_server.common.lan import lan_addresses
    from queue_server.settings.config import Config
    from queue_server.settings.sitefile import load_site

    printed = _serving(Config(host="0.0.0.0", port=8000), {"tegal": load_site(DEMO_SITE)})  # noqa: S104
    assert "Bound to 0.0.0.0: TVs, kiosks and counters open this machine's LAN address" in printed
    found = lan_addresses()
    assert "localhost" not in printed or not found, printed
    lan = found[0] if found else None
    if lan:
        assert f"http://{lan}:8000/kiosk/tegal" in printed and f"(here {lan}" in printed
    # the pairing code, as the docs give it first; it named only tokens
    assert f"A new TV or kiosk: open http://{lan or 'localhost'}:8000/perangkat on it" in printed, printed
    assert '"Pasangkan dengan kode"' in printed and "Bound to 127.0.0.1 only" not in printed
    on_loopback = _serving(Config(host="127.0.0.1", port=8000), {"tegal": load_site(DEMO_SITE)})
    assert "Bound to 127.0.0.1 only: no TV, kiosk or counter PC can open these pages" in on_loopback, on_loopback


def test_on_a_lan_without_a_default_route_serve_and_init_site_name_the_box_s_address(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An installer's review: a mall's LAN without internet often has no default route. `serve --host 0.0.0.0`
    then named its pages http://localhost:8000/... (the TV itself, for a TV), and init-site said "SERVER ... once it
    has one", though the box had its LAN address; `device add` already read every interface's."""
    from queue_server import cli
    from queue_server.common import lan
    from queue_server.settings.config import Config

    monkeypatch.setattr(lan, "lan_address", lambda: None)  # no default route: only the interfaces say it
    found = lan.lan_addresses()
    if not found:
        pytest.skip("this machine has no IPv4 address but loopback")
    printed = cli._serving(Config(host="0.0.0.0", port=8000), {"tegal": load_site(DEMO_SITE)})  # noqa: S104
    assert f"http://{found[0]}:8000/kiosk/tegal" in printed and "localhost" not in printed, printed
    assert f"(here {found[0]}" in printed, printed
    cli.main(["init-site", str(tmp_path / "mpp.toml"), "--id", "uji", "--name", "MPP Uji"])
    said = capsys.readouterr().out
    assert f"then sign in at http://{found[0]}:8000/supervisor/uji/admin" in said, said


def test_device_add_on_postgresql_does_not_say_no_server_has_run() -> None:
    """A PostgreSQL database has no lock file to say where its servers listen; an installer's walk was told "no
    server has run on this database yet" of a database its servers had run on for days."""
    from queue_server.cli import server_address
    from queue_server.settings.config import Config

    _, said = server_address(Config(database="postgresql://antrean@db-host/antrean", port=8000))
    assert any("the servers of a PostgreSQL database do not record where they listen" in line for line in said), said
    assert not any("no server has run" in line for line in said), said


def test_the_demo_mall_never_lands_in_a_database_of_other_malls(tmp_path: Path) -> None:
    """An outside review: `serve --db` of a real mall without --site served the demo mall in its place (its kiosks
    all failing), and `demo --db` of it added the demo's accounts, whose passwords the README prints."""
    db = tmp_path / "mall.sqlite3"
    run("migrate", "--db", str(db))
    with sqlite3.connect(db) as conn:  # what a real mall's first start leaves (its site file remembered)
        conn.execute("INSERT INTO site_settings (site, key, value, seq) VALUES ('ambon', 'site_file', '{}', 0)")
    for command in (["serve", "--port", "0"], ["device", "add", "--kind", "kiosk", "--site-id", "tegal", "--name", "K"],
                    ["user", "list"]):  # fmt: skip
        done = run(*command, "--db", str(db), check=False)
        assert done.returncode == 1 and "no --site given" in done.stderr and "holds ambon" in done.stderr, done.stderr
        # an installer's review: it also said "note: ... using the demo mall's site file" just before refusing to
        assert "using the demo mall's site file" not in done.stderr, done.stderr
    done = run("demo", "--db", str(db), "--port", "0", check=False)
    assert done.returncode == 1 and "the demo would add its accounts" in done.stderr, done.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM users").fetchone()[0] == 0, "nothing was added"
        assert conn.execute("SELECT COUNT(*) FROM devices").fetchone()[0] == 0


def test_only_the_server_needs_the_gateway_s_secret(tmp_path: Path) -> None:
    """An outside review: every admin command failed unless the WhatsApp gateway's token was exported in the shell."""
    site = tmp_path / "tegal.toml"
    site.write_text(DEMO_SITE.read_text() + """
[notify]
public_url = "http://antrean.mpp.test"

[notify.gateway]
url = "https://wa.example.id/send"
headers = { Authorization = "Bearer ${UNSET_GATEWAY_TOKEN_FOR_TEST}" }
body = { target = "{phone}", message = "{text}" }
""")  # fmt: skip
    db = str(tmp_path / "q.sqlite3")
    done = run(
        "device", "add", "--kind", "kiosk", "--site-id", "tegal", "--name", "Kios", "--site", str(site), "--db", db
    )
    assert done.stdout.strip().splitlines()[-1].startswith("d_kiosk_")
    assert "Kios" in run("device", "list", "--site", str(site), "--db", db).stdout
    served = run("serve", "--site", str(site), "--db", db, "--port", "0", check=False)
    assert served.returncode == 1 and "UNSET_GATEWAY_TOKEN_FOR_TEST, which is not set" in served.stderr, served.stderr


def test_settings_from_the_environment_and_their_errors_by_name() -> None:
    """An outside review: fourteen documented settings had no variable, so no installer could change them; a wrong
    QUEUE_WORKERS answered "invalid literal for int()"; a wrong QUEUE_DATABASE blocked a command given --db."""
    from queue_server.settings.config import Config

    env = {"QUEUE_SESSION_HOURS": "8", "QUEUE_LOG_LEVEL": "WARNING", "QUEUE_IGNORE_HOURS": "yes",
           "QUEUE_ARCHIVE_DIR": "/srv/arsip", "QUEUE_LOGIN_WINDOW_SECONDS": "600"}  # fmt: skip
    config = Config.from_env(env)
    assert (config.session_hours, config.log_level, config.ignore_hours) == (8, "warning", True)
    assert str(config.archive_dir) == "/srv/arsip" and config.login_window_seconds == 600.0
    for variable, value, said in (("QUEUE_WORKERS", "abc", "QUEUE_WORKERS must be a number, got 'abc'"),
                                  ("QUEUE_LOG_LEVEL", "loud", "log_level must be"),
                                  ("QUEUE_IGNORE_HOURS", "maybe", "QUEUE_IGNORE_HOURS must be 1 or 0"),
                                  # out of range: a negative session signed everybody out (an outside review)
                                  ("QUEUE_SESSION_HOURS", "-1", "session_hours must be from 1 to 744, got -1"),
                                  ("QUEUE_WS_HEARTBEAT_SECONDS", "0", "ws_heartbeat_seconds must be above 0")):  # fmt: skip
        try:
            Config.from_env({variable: value})
        except ValueError as exc:
            assert said in str(exc), exc
        else:
            raise AssertionError(f"{variable}={value} was taken")
    assert Config.from_env({"QUEUE_DATABASE": "mysql://nope"}, database="var/q.sqlite3").database == Path(
        "var/q.sqlite3"
    )


def test_a_change_to_an_unknown_device_or_account_is_an_error_and_a_repeated_one_says_so(tmp_path: Path) -> None:
    """An outside review: `device revoke 99` (a typo while revoking a stolen kiosk's token) answered "device 99
    revoked" with exit 0; `user passwd` of an unknown name asked for the password before refusing."""
    db = str(tmp_path / "q.sqlite3")
    run("device", "add", "--kind", "kiosk", "--site-id", "tegal", "--name", "Kios 1", "--db", db)
    run("user", "add", "budi", "--role", "supervisor", "--site-id", "tegal", "--password-stdin", "--db", db,
        stdin="sandi-yang-panjang\n")  # fmt: skip
    missing = run("device", "revoke", "99", "--db", db, check=False)
    assert missing.returncode == 1 and "error: no device 99 (queue-server device list)" in missing.stderr
    assert "revoked" not in missing.stdout
    assert "device 1 (Kios 1) revoked" in run("device", "revoke", "1", "--db", db).stdout
    again = run("device", "revoke", "1", "--db", db)
    assert again.returncode == 0 and "device 1 (Kios 1) was already revoked at" in again.stdout, again.stdout
    for command in (["disable", "nobody"], ["enable", "nobody"], ["passwd", "nobody"], ["sites", "nobody", "--all"]):
        done = subprocess.run([*QS, "user", *command, "--db", db], capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, timeout=60, check=False)  # fmt: skip
        assert done.returncode == 1 and "error: no user 'nobody' (queue-server user list)" in done.stderr, done.stderr
        assert "Password" not in done.stdout + done.stderr, "refused before a password is asked for"
    assert "budi disabled" in run("user", "disable", "budi", "--db", db).stdout
    assert "budi was already disabled" in run("user", "disable", "budi", "--db", db).stdout
    assert "budi enabled" in run("user", "enable", "budi", "--db", db).stdout
    assert "budi was already enabled" in run("user", "enable", "budi", "--db", db).stdout


def test_account_and_device_changes_on_the_command_line_are_in_the_audit_log(tmp_path: Path) -> None:
    """An outside review: the docs promise every privileged action one audit entry, and the command line's account
    and device changes left none. The Settings page's entries, by "cli"; a regional account's in its malls' logs."""
    from queue_server.settings.sitefile import load_site
    from queue_server.supervision.audit import summary

    db, site = tmp_path / "q.sqlite3", ["--site", str(DEMO_SITE), "--site", str(brebes_site(tmp_path))]
    run("user", "add", "budi", "--role", "operator", "--site-id", "tegal", "--agency", "disdukcapil",
        "--password-stdin", "--db", str(db), *site, stdin="sandi-yang-panjang\n")  # fmt: skip
    run("user", "passwd", "budi", "--password-stdin", "--db", str(db), *site, stdin="sandi-yang-lain-lagi\n")
    run("user", "disable", "budi", "--db", str(db), *site)
    run("user", "disable", "budi", "--db", str(db), *site)  # nothing changes: no entry
    run("user", "enable", "budi", "--db", str(db), *site)
    run("user", "add", "jateng", "--role", "regional", "--sites", "brebes", "--password-stdin", "--db", str(db),
        *site, stdin="sandi-yang-panjang\n")  # fmt: skip
    run("user", "sites", "jateng", "--sites", "tegal", "--db", str(db), *site)
    run("device", "add", "--kind", "kiosk", "--site-id", "tegal", "--name", "Kios 1", "--db", str(db), *site)
    run("device", "revoke", "1", "--db", str(db), *site)
    run("device", "revoke", "1", "--db", str(db), *site)  # already revoked: no entry
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT site, actor, role, action, target, details FROM audit ORDER BY id").fetchall()
    assert {(actor, role) for _, actor, role, *_ in rows} == {("cli", "admin")}
    assert [(s, action, target) for s, _, _, action, target, _ in rows] == [
        ("tegal", "account.add", "account budi"),
        ("tegal", "account.password", "account budi"),
        ("tegal", "account.disable", "account budi"),
        ("tegal", "account.enable", "account budi"),
        ("brebes", "account.add", "account jateng"),
        ("brebes", "account.sites", "account jateng"),
        ("tegal", "account.sites", "account jateng"),
        ("tegal", "device.issue", "device 1"),
        ("tegal", "device.revoke", "device 1"),
    ]
    assert json.loads(rows[0][5]) == {"role": "operator", "agency": "disdukcapil"}
    said = summary(load_site(DEMO_SITE), "device.revoke", "device 1", json.loads(rows[-1][5]))
    assert said["id"] == "Perangkat Kios 1 dicabut"


def test_rough_edges_of_the_command_line(tmp_path: Path) -> None:
    """An outside review: Python's GetPassWarning before the good error, a wrong --screen not named, an unreachable
    PostgreSQL said as "[Errno 111] Connect call failed" alone, QUEUE_HOST not in serve --help."""
    db = str(tmp_path / "q.sqlite3")
    run("migrate", "--db", db)
    typed = subprocess.run([*QS, "user", "add", "budi", "--role", "supervisor", "--site-id", "tegal", "--db", db],
                           capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60, check=False)  # fmt: skip
    assert typed.returncode == 1 and "--password-stdin" in typed.stderr, typed.stderr
    assert "GetPassWarning" not in typed.stderr and "may be echoed" not in typed.stderr, typed.stderr
    screen = run("device", "add", "--kind", "display", "--site-id", "tegal", "--name", "TV", "--screen", "lantai9",
                 "--db", db, check=False)  # fmt: skip
    assert "error: 'lantai9' is not a screen of tegal (--screen): one of lobby" in screen.stderr, screen.stderr
    copied = run("db", "copy", db, "postgresql://antrean:rahasia@127.0.0.1:1/antrean", check=False)
    assert copied.returncode == 1, copied.stderr
    assert "cannot reach the PostgreSQL database postgresql://antrean:***@127.0.0.1:1/antrean" in copied.stderr
    assert "rahasia" not in copied.stderr + copied.stdout and "Traceback" not in copied.stderr
    assert "QUEUE_HOST" in " ".join(run("serve", "--help").stdout.split())


def test_serve_refuses_a_site_file_today_s_tickets_do_not_allow_in_one_line(tmp_path: Path) -> None:
    """A database holding today's tickets that remembers no site file it served (an earlier release's), given a site
    file that hands today's letter of Kartu Keluarga to Kartu Identitas Anak: the server does not start, and says
    why and what to do in one line of its log, not a traceback."""
    db, site = str(tmp_path / "q.sqlite3"), tmp_path / "tegal.toml"
    site.write_text(DEMO_SITE.read_text())
    kiosk = run("device", "add", "--kind", "kiosk", "--site-id", "tegal", "--name", "Kios", "--site", str(site),
                "--db", db).stdout.strip().splitlines()[-1].rpartition("#token=")[2]  # fmt: skip
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    env = {**os.environ, "QUEUE_IGNORE_HOURS": "1"}  # whatever the hour the test runs at
    serve = [*QS, "serve", "--port", str(port), "--db", db, "--site", str(site)]
    proc = subprocess.Popen(serve, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        wait_until_healthy(port, proc)
        r = httpx.post(f"http://127.0.0.1:{port}/api/v1/sites/tegal/tickets", json={"service": "kk"},
                       headers={"Authorization": f"Bearer {kiosk}"})  # fmt: skip
        assert r.status_code == 201 and r.json()["ticket"]["label"] == "B-001", r.text
    finally:
        proc.terminate()
        proc.communicate(timeout=20)
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM site_settings WHERE key = 'site_file'")
    site.write_text(
        DEMO_SITE.read_text().replace('prefix = "B"', 'prefix = "KK"').replace('prefix = "D"', 'prefix = "B"')
    )
    refused = subprocess.run(serve, capture_output=True, text=True, timeout=60, env=env)
    assert refused.returncode != 0, refused
    lines = [line for line in refused.stderr.splitlines() if "site tegal:" in line]
    assert len(lines) == 1 and "The letter B is on today's tickets of Kartu Keluarga (such as B-001)" in lines[0]
    assert "Start the server with a site file that keeps what today's tickets still need" in lines[0], lines
    assert "Traceback" not in refused.stderr, refused.stderr


def _device_base(port: int) -> str:
    """What `device add` names the server by: this machine's LAN address (SERVER on a machine without one)."""
    from queue_server.common.lan import lan_addresses

    addresses = lan_addresses()
    return f"http://{addresses[0] if addresses else 'SERVER'}:{port}"


def test_device_add_prints_the_address_the_device_opens(tmp_path: Path) -> None:
    """It printed http://SERVER:PORT/... for the technician to work out (outside review). Now the machine's LAN
    address and the port the server of this database listens on (from its lock file), or the configured port before
    any server ran, each said with what it rests on; the address printed reaches the server."""
    db = str(tmp_path / "q.sqlite3")
    add = ("device", "add", "--kind", "kiosk", "--site-id", "tegal", "--name", "Kios 1", "--db", db)
    first = run(*add).stdout
    assert f"open on the device: {_device_base(8000)}/kiosk/tegal#token=d_kiosk_" in first, first
    assert "8000 is the default port: no server has run on this database yet" in first and "open that address" in first
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    env = {**os.environ, "PORT": str(port)}
    before = subprocess.run([*QS, *add], capture_output=True, text=True, env=env, check=True).stdout
    assert f"{_device_base(port)}/kiosk/tegal#token=" in before and f"{port} is the port PORT says" in before

    server = subprocess.Popen([*QS, "serve", "--host", "0.0.0.0", "--port", str(port), "--db", db],  # noqa: S104
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        wait_until_healthy(port, server)
        added = run("device", "add", "--kind", "display", "--site-id", "tegal", "--screen", "lobby", "--name",
                    "TV Lobi", "--db", db).stdout  # fmt: skip
        assert f"the server of this database listens on 0.0.0.0:{port} (started " in added, added
        (line,) = [x for x in added.splitlines() if x.startswith("open on the device: ")]
        url = line.removeprefix("open on the device: ")
        assert url.startswith(f"{_device_base(port)}/display/tegal/lobby#token=d_display_"), url
        if "SERVER" not in url:  # the address printed is one the server answers on
            page = httpx.get(url.split("#")[0], timeout=10)
            assert page.status_code == 200 and "<html" in page.text.lower()
    finally:
        server.terminate()
        server.communicate(timeout=30)
    later = run(*add).stdout
    assert f"listened on 0.0.0.0:{port} when it last ran" in later and f"{_device_base(port)}/kiosk/" in later


def test_commands_on_a_database_that_is_not_there_make_nothing_there(tmp_path: Path) -> None:
    """A mistyped --db: every command that needs the database says 'no database at PATH' and leaves nothing behind,
    no lock file, no folder, no empty database (close-day made a new, empty one; restore and db copy left stray
    lock files)."""
    typo = tmp_path / "vra" / "queue.sqlite3"
    for command in (["close-day", "--site-id", "tegal"], ["archive", "--before", "2026-01-01"],
                    ["mirror", "forget", "--site-id", "tegal"], ["user", "list"], ["device", "list"],
                    ["webhook", "list", "--site-id", "tegal"], ["site-history"], ["backup", str(tmp_path / "b")]):  # fmt: skip
        done = run(*command, "--db", str(typo), check=False)
        assert done.returncode == 1 and "Traceback" not in done.stderr, (command, done.stderr)
        assert "no database at" in done.stderr or "no such database" in done.stderr, (command, done.stderr)
        assert not typo.parent.exists(), command
    copied = run("db", "copy", str(typo), "postgresql://queue@127.0.0.1:1/mpp", check=False)
    assert copied.returncode == 1 and f"no database at {typo}" in copied.stderr, copied.stderr
    assert not typo.parent.exists()
    missing = run("restore", str(tmp_path / "nope.sqlite3"), "--db", str(typo), check=False)
    assert missing.returncode == 1 and "no such backup file" in missing.stderr and not typo.parent.exists()

    for command, stdin in ((["user", "add", "kepala", "--role", "supervisor", "--site-id", "tegal",
                             "--password-stdin"], "password\n"),
                           (["device", "add", "--kind", "display", "--site-id", "tegal", "--screen", "lobi",
                             "--name", "TV"], None)):  # fmt: skip
        refused = run(*command, "--db", str(typo), stdin=stdin, check=False)
        assert refused.returncode == 1 and "Traceback" not in refused.stderr, refused.stderr
        assert "was made for this command, which was refused: removed again" in refused.stderr, refused.stderr
        assert not typo.parent.exists(), "a first account refused leaves no empty database behind"

    damaged = tmp_path / "damaged.sqlite3"
    damaged.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100 + b"not a database" * 50)
    refused = run("restore", str(damaged), "--db", str(typo), check=False)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr, refused.stderr
    assert not typo.exists() and not Path(f"{typo}.lock").exists(), "the lock of a database never made: removed"


def test_a_db_that_is_a_folder_or_another_file_is_refused_before_anything_touches_it(tmp_path: Path) -> None:
    """--db var (the folder) or a README: commands made it owner-only (the database's mode 0700/0600), left a lock
    file beside it, and said 'OperationalError: unable to open database file' / 'DatabaseError: file is not a
    database'."""
    folder, text = tmp_path / "var", tmp_path / "notes.txt"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    text.write_text("not a database\n")
    text.chmod(0o644)
    for command in (["user", "list"], ["migrate"], ["close-day", "--site-id", "tegal"], ["serve", "--port", "0"],
                    ["backup", str(tmp_path / "b.sqlite3")]):  # fmt: skip
        for db, said in ((folder, f"{folder} is a folder: --db names the database file in it, e.g. "
                          f"{folder / 'queue.sqlite3'}"), (text, f"{text} is not a SQLite database")):  # fmt: skip
            done = run(*command, "--db", str(db), check=False)
            assert done.returncode == 1 and "Traceback" not in done.stderr, (command, done.stderr)
            assert said in done.stderr and "Error:" not in done.stderr, (command, done.stderr)
    assert folder.stat().st_mode & 0o777 == 0o755 and text.stat().st_mode & 0o777 == 0o644, "modes as they were"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "var"] and not list(folder.iterdir())


def test_check_site_refuses_a_running_text_naming_a_citizen_with_the_api_s_sentence(tmp_path: Path) -> None:
    """A site file's running text is shown on every lobby screen: check-site refuses a NIK, a phone number or a
    name in it, in the words the API refuses it with, before a server would start on it."""
    from .test_sitefile import personal_sentence

    site = tmp_path / "tegal.toml"
    site.write_text(DEMO_SITE.read_text().replace(
        'running_text = "Selamat datang', 'running_text = "Panggilan untuk Ibu Siti Rahayu. Selamat datang'))  # fmt: skip
    checked = run("check-site", str(site), check=False)
    assert checked.returncode == 1 and "Traceback" not in checked.stderr, checked.stderr
    sentence = personal_sentence("name")
    assert f"- site.running_text: {sentence['en']}" in checked.stdout, checked.stdout
    assert f"      teks berjalan: {sentence['id']}" in checked.stdout, checked.stdout
    assert "memuat nama warga" in checked.stdout and "Siti" not in checked.stdout + checked.stderr


def test_check_site_refuses_a_counter_naming_a_citizen_in_the_settings_page_s_words_never_repeating_it(
    tmp_path: Path,
) -> None:
    """A counter's name is on the lobby TV and the kiosk: check-site refuses "Loket Ibu Siti 3328011201800001" with
    the running text's sentence, then says the field as the Settings page does, in Indonesian and in English, by the
    names a supervisor knows; the name itself appears nowhere in what it prints."""
    from .test_sitefile import personal_sentence

    sentence = personal_sentence("nik", "name")
    assert sentence["id"].startswith("memuat NIK dan nama warga: "), sentence
    site = tmp_path / "tegal.toml"
    site.write_text(DEMO_SITE.read_text().replace('name = "Loket 1"', 'name = "Loket Ibu Siti 3328011201800001"', 1))
    checked = run("check-site", str(site), check=False)
    assert checked.returncode == 1 and "Traceback" not in checked.stderr, checked.stderr
    lines = checked.stdout.splitlines()
    in_words = [
        f"      Instansi Disdukcapil, Loket 1, nama: {sentence['id']}",
        f"      Agency Disdukcapil, Loket 1, name: {sentence['en']}",
    ]
    assert lines[1:] == [f'  - agencies[0 "disdukcapil"].counters[0 "1"].name: {sentence["en"]}', *in_words], lines
    assert "Siti" not in checked.stdout + checked.stderr and "3328011201800001" not in checked.stdout

    # A server given the file does not start, and its log (the service's) says it in the same words.
    db = tmp_path / "q.sqlite3"
    refused = run("serve", "--port", "0", "--db", str(db), "--site", str(site), check=False)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr, refused.stderr
    said = refused.stderr.splitlines()
    assert said[0] == f'error: {site}: agencies[0 "disdukcapil"].counters[0 "1"].name: {sentence["en"]}', said
    assert said[1:] == in_words, said
    assert "Siti" not in refused.stdout + refused.stderr and "3328011201800001" not in refused.stderr

    # Another problem's start error stays the one line it was.
    site.write_text(DEMO_SITE.read_text().replace('prefix = "B"', 'prefix = "A"', 1))
    refused = run("serve", "--port", "0", "--db", str(db), "--site", str(site), check=False)
    assert refused.returncode == 1 and refused.stderr.count("\n") == 1, refused.stderr
    assert refused.stderr.startswith(f"error: {site}: agencies") and "is already used by service" in refused.stderr


def _stop_server(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=30)


async def test_user_disable_closes_the_counters_left_open_under_the_account_as_the_settings_page_does(
    tmp_path: Path,
) -> None:
    """An outside review: `queue-server user disable` left the account's counters open, its citizens called on every
    TV with nobody allowed at the counter, where the Settings page's disable closes them. The running server closes
    them now through the same code (a citizen being served parked, a called one back in the queue at their place),
    the command line says which, and the audit log names "cli". With the server stopped, it says they are closed at
    the next start, and they are."""
    from .test_invariants import _start

    db = tmp_path / "mall.sqlite3"
    proc, url = _start(db, None, command="demo")
    try:
        async with httpx.AsyncClient(base_url=url, timeout=10) as http:

            async def login(username: str, password: str) -> dict[str, str]:
                r = await http.post("/api/v1/auth/login", json={"username": username, "password": password})
                assert r.status_code == 200, r.text
                return {"Authorization": f"Bearer {r.json()['token']}"}

            async def command(who: dict[str, str], counter: str, name: str) -> dict[str, Any]:
                r = await http.post(
                    f"/api/v1/sites/tegal/counters/{counter}/commands",
                    headers=who,
                    json={"command": name, "command_id": f"{name}-{counter}-{time.monotonic_ns()}"},
                )
                assert r.status_code == 200, r.text  # fmt: skip
                return r.json()  # type: ignore[no-any-return]

            async def state() -> tuple[dict[str, Any], dict[str, Any]]:
                body = (await http.get("/api/v1/sites/tegal/state", headers=sup)).json()
                return {c["id"]: c for c in body["counters"]}, {t["label"]: t for t in body["tickets"]}

            for _ in range(3):
                r = await http.post("/api/v1/sites/tegal/tickets", json={"service": "ktp"},
                                    headers={"Authorization": "Bearer d_kiosk_demo_tegal"})  # fmt: skip
                assert r.status_code == 201
            op = await login("op-disdukcapil", "demo-operator")
            sup = await login("supervisor", "demo-supervisor")
            for counter in ("1", "2", "3"):
                await command(op, counter, "open")
            assert (await command(op, "1", "call_next"))["ticket"]["label"] == "A-001"
            await command(op, "1", "start")
            assert (await command(op, "2", "call_next"))["ticket"]["label"] == "A-002"

            disabled = run("user", "disable", "op-disdukcapil", "--db", str(db))
            assert disabled.stdout.splitlines() == [
                "op-disdukcapil disabled: signed out everywhere, signing in refused",
                "Loket 1 closed because the account op-disdukcapil was disabled; A-001, which was being served, is "
                "parked, to be called back from another counter",
                "Loket 2 closed because the account op-disdukcapil was disabled; A-002, which it had called, is back "
                "in the queue at its old place",
                "Loket 3 closed because the account op-disdukcapil was disabled",
            ], disabled.stdout
            counters, tickets = await state()
            assert [counters[c]["state"] for c in ("1", "2", "3")] == ["closed"] * 3
            assert (tickets["A-001"]["state"], tickets["A-002"]["state"]) == ("parked", "waiting")
            assert tickets["A-002"]["counter"] is None
            entries = (await http.get("/api/v1/sites/tegal/audit", headers=sup)).json()["entries"]
            released = [e for e in entries if e["action"] == "counter.release"]
            assert {(e["actor"], e["target"]) for e in released} == {("cli", f"counter {c}") for c in "123"}
            assert any(e["summary"]["id"].startswith("Loket 1 ditutup karena akun op-disdukcapil dinonaktifkan; "
                                                     "A-001 yang sedang dilayani diparkir") for e in released)  # fmt: skip
            # asked again: the account is disabled already, nothing more is asked of the server
            again = run("user", "disable", "op-disdukcapil", "--db", str(db))
            assert again.stdout.splitlines() == ["op-disdukcapil was already disabled"]

            # enabled again, the operator opens counter 1 again and calls A-002; then the server stops
            assert "op-disdukcapil enabled" in run("user", "enable", "op-disdukcapil", "--db", str(db)).stdout
            op = await login("op-disdukcapil", "demo-operator")
            await command(op, "1", "open")
            assert (await command(op, "1", "call_next"))["ticket"]["label"] == "A-002"
    finally:
        _stop_server(proc)

    # disabled with no server running: said so; the next start closes counter 1 and A-002 waits again
    stopped = run("user", "disable", "op-disdukcapil", "--db", str(db))
    assert stopped.stdout.splitlines()[1] == (
        f"no server runs on {db} now: when one starts, it closes the counters still open under op-disdukcapil, if "
        "any, each citizen kept safe (audit log: counter.release)"
    )
    proc, url = _start(db, None, command="demo")
    try:
        async with httpx.AsyncClient(base_url=url, timeout=10) as http:
            sup = await login("supervisor", "demo-supervisor")

            async def closed() -> bool:
                counters, tickets = await state()
                return bool(counters["1"]["state"] == "closed" and tickets["A-002"]["state"] == "waiting")

            await eventually(closed, "counter 1 closed at the start")
            entries = (await http.get("/api/v1/sites/tegal/audit", headers=sup)).json()["entries"]
            again_closed = [e for e in entries if e["action"] == "counter.release" and e["target"] == "counter 1"]
            assert [(e["actor"], e["details"].get("ticket")) for e in again_closed] == [
                ("cli", "A-002"),
                ("cli", "A-001"),
            ]
    finally:
        _stop_server(proc)


def migrate_meeting(monkeypatch: pytest.MonkeyPatch, error: BaseException, url: str) -> object:
    """The exit status of `queue-server migrate --db URL` whose command meets `error` where it would reach the
    database (the throwaway cluster trusts local logins, so asyncpg's refusals are raised here, as the command would
    meet them)."""
    from queue_server import cli as qs_cli

    def refused(args: object) -> None:
        raise error

    parsed = qs_cli.parser().parse_args(["migrate", "--db", url])
    monkeypatch.setattr(parsed, "func", refused)
    monkeypatch.setattr(qs_cli, "parser", lambda: type("P", (), {"parse_args": lambda self, argv: parsed})())
    with pytest.raises(SystemExit) as stopped:
        qs_cli.main([])
    return stopped.value.code


def test_a_postgresql_database_not_made_yet_says_to_create_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An installer's walk: `restore` into a PostgreSQL URL whose database was not created said only
    `InvalidCatalogNameError: database "x" does not exist`. It says what to do (the server makes tables only)."""
    import asyncpg

    missing = asyncpg.exceptions.InvalidCatalogNameError('database "antrean2" does not exist')
    # A database that cannot be used (docs/deployment.md): its own exit status.
    assert migrate_meeting(monkeypatch, missing, "postgresql://antrean:rahasia@db-host/antrean2") == 5
    said = capsys.readouterr().err
    assert said.startswith("error: PostgreSQL database postgresql://antrean:***@db-host/antrean2: "), said
    assert 'InvalidCatalogNameError: database "antrean2" does not exist' in said and "rahasia" not in said
    assert "create it first" in said and "createdb --owner ROLE NAME" in said
