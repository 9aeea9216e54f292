"""One mall's refused start does not take the other malls of its server down (settings/left_out.py): a mall whose site
file cannot be used, or whose day refuses what it would start with, is left out, said in the log, answered 503
`site_not_served` on its routes, named on /healthz, /metrics and the national view, and runs nothing, while the
others serve as usual; a server hosting one mall, or whose every mall is refused, still does not start (exit 3).
Real servers on a SQLite file and on PostgreSQL, a real websocket client, real `queue-server serve` processes."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from playwright.async_api import Browser
from prometheus_client.parser import text_string_to_metric_families
from websockets.asyncio.client import connect

from queue_server.application.demo import DEMO_PASSWORD
from queue_server.settings.sitefile import DEMO_SITE

from .display_support import until
from .helpers import Clock, Server, StartFailed, bearer, eventually, free_socket, running_server
from .pg_support import server_env
from .receiver import Receiver
from .test_outbox import add_webhook
from .test_processes import _stop

BOTH_DATABASES = True  # conftest.py: each test on SQLite and on PostgreSQL

UJI_KIOSK = bearer("d_kiosk_demo_uji")
QUICK_RETRIES = {"outbox_retry_seconds": 0.2, "outbox_retry_cap_seconds": 0.5, "outbox_max_attempts": 1000}
SUPERVISOR_UJI = {"username": "supervisor-uji", "password": DEMO_PASSWORD["supervisor"]}

UJI = """
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
  [[agencies.services]]
  id = "kk"
  name = "KK"
  prefix = "B"
  [[agencies.counters]]
  id = "1"
  services = ["ktp", "kk"]
"""


def uji_file(tmp_path: Path, text: str = UJI) -> Path:
    path = tmp_path / "uji.toml"
    path.write_text(text)
    return path


def broken(path: Path) -> None:
    """Two services of one letter: check-site refuses the file (it would print one number twice)."""
    path.write_text(UJI.replace('prefix = "B"', 'prefix = "A"'))


def letters_swapped(path: Path) -> None:
    """A valid file giving KK's letter B, on today's tickets, to KTP: the day refuses it where what the day ran
    under is not known."""
    path.write_text(UJI.replace('prefix = "A"', 'prefix = "X"').replace('prefix = "B"', 'prefix = "A"')
                    .replace('prefix = "X"', 'prefix = "B"'))  # fmt: skip


async def forget_uji_file(server: Server) -> None:
    """The database as a release before the served site file was remembered left it, for uji alone."""
    await server.ctx.storage.execute("DELETE FROM site_settings WHERE key = 'site_file' AND site = 'uji'")


def refused(r: httpx.Response, reason: str = "site_file") -> dict[str, Any]:
    assert r.status_code == 503, r.text
    error: dict[str, Any] = r.json()["error"]
    assert error["code"] == "site_not_served" and error["details"] == {"site": "uji", "reason": reason}, error
    assert error["message"].startswith("MPP Uji tidak dilayani server ini saat ini: "), error
    assert error["message_en"].startswith("MPP Uji is not served by this server now: "), error
    return error


def gauge(text: str, site: str) -> float:
    for family in text_string_to_metric_families(text):
        if family.name == "mpp_site_left_out":
            return next(s.value for s in family.samples if s.labels["site"] == site)
    raise AssertionError("no mpp_site_left_out")


async def call_next_at_tegal(server: Server) -> str:
    """A ticket issued at the good mall, and called at its counter 1: its label."""
    label = (await server.issue("ktp"))["ticket"]["label"]
    operator = await server.login("op-disdukcapil")
    assert (await server.command(operator, "1", "open")).status_code == 200
    r = await server.command(operator, "1", "call_next")
    assert r.status_code == 200, r.text
    assert r.json()["ticket"]["label"] == label, r.text
    return str(label)


async def test_a_mall_whose_site_file_is_refused_is_left_out_and_the_other_serves(
    database: Path | str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Two malls; uji's file is broken by an edit: tegal issues and calls as usual, uji answers 503 on its kiosk,
    TV, API and websocket, its staff are told so at sign-in, /healthz, /metrics and the national view name it, and
    nothing of it runs. Its file corrected, a restart brings it back where it was."""
    site, clock, receiver = uji_file(tmp_path), Clock(), Receiver()  # not listening yet: messages wait to be retried
    files = [DEMO_SITE, site]
    async with running_server(database, site_files=files, clock=clock, **QUICK_RETRIES) as s:
        for mall in ("tegal", "uji"):
            await add_webhook(s, f"{receiver.url}/{mall}", site=mall)
        r = await s.http.post("/api/v1/sites/uji/tickets", json={"service": "ktp"}, headers=UJI_KIOSK)
        assert r.status_code == 201 and r.json()["ticket"]["label"] == "A-001", r.text
        token = r.json()["ticket"]["token"]
        head = await s.ctx.storage.newest_seq("uji")

    broken(site)
    caplog.set_level(logging.ERROR, "queue_server")
    receiver.start()
    clock.advance(seconds=30)  # uji's message, retried, is due again now (the deliverer goes by the server's clock)
    async with running_server(database, site_files=files, clock=clock, **QUICK_RETRIES) as s:
        said = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR and "site uji" in r.getMessage()]
        assert len(said) == 1 and said[0].startswith("site uji: its site file is refused: "), said
        assert "'A' is already used by service 'ktp'" in said[0] and f"check-site {site}" in said[0], said
        assert "The other malls of this server start without it" in said[0], said

        assert await call_next_at_tegal(s) == "A-001"
        refused(await s.http.post("/api/v1/sites/uji/tickets", json={"service": "ktp"}, headers=UJI_KIOSK))
        refused(await s.http.get("/api/v1/sites/uji", headers=UJI_KIOSK))
        refused(await s.http.get("/kiosk/uji/config"))
        refused(await s.http.get("/display/uji/lobby/config"))
        refused(await s.http.post("/api/v1/sites/uji/counters/1/commands", json={"command": "open"}))
        for page in ("/kiosk/uji", "/display/uji/lobby", "/counter/uji/1", "/supervisor/uji", "/booking/uji"):
            r = await s.http.get(page, headers={"Accept": "text/html"})
            assert r.status_code == 503 and "MPP Uji tidak dilayani server ini saat ini" in r.text, (page, r.text)
            assert "MPP Uji is not served by this server now" in r.text and "location.reload()" in r.text, page
        refused(await s.http.get(f"/api/v1/tickets/{token}"))  # the citizen's link: its mall, not "unknown ticket"
        r = await s.http.get(f"/t/{token}", headers={"Accept": "text/html"})
        assert r.status_code == 503 and "MPP Uji tidak dilayani server ini saat ini" in r.text, r.text
        r = await s.http.get("/api/v1/sites/nowhere")
        assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_site", "a typo is still a typo"
        refused(await s.http.post("/api/v1/auth/login", json=SUPERVISOR_UJI))
        assert await s.login("supervisor-tegal", DEMO_PASSWORD["supervisor"]), "tegal's staff sign in"
        wrong = await s.http.post("/api/v1/auth/login", json={**SUPERVISOR_UJI, "password": "salah-sekali-123"})
        assert wrong.status_code == 401, "a wrong password learns nothing of the mall"

        async with connect(s.ws_url) as ws:
            await ws.send(json.dumps({"type": "hello", "role": "display", "site": "uji", "token": "x"}))
            frame = json.loads(await ws.recv())
            assert frame["type"] == "error" and frame["code"] == "site_not_served", frame

        health = (await s.http.get("/healthz")).json()
        assert health["status"] == "sites_left_out" and health["sites"] == ["tegal"], health
        assert health["left_out"] == [{"site": "uji", "name": "MPP Uji", "reason": "site_file"}], health
        metrics = (await s.http.get("/metrics")).text
        assert gauge(metrics, "uji") == 1 and gauge(metrics, "tegal") == 0, metrics
        national = (await s.http.get("/api/v1/national", headers=await s.login("nasional"))).json()
        assert [row["site"] for row in national["sites"]] == ["tegal"], national
        (mall,) = national["left_out"]
        assert (mall["site"], mall["name"], mall["reason"]) == ("uji", "MPP Uji", "site_file"), mall
        assert mall["log"] == said[0] and national["totals"]["left_out"] == 1, mall
        tegal_only = await s.http.get("/api/v1/national", headers=await s.login("supervisor-tegal", "demo-supervisor"))
        assert tegal_only.status_code in (200, 403) and "uji" not in tegal_only.text, "not another mall's staff's"

        # Nothing of it runs: not in the engine (commands, housekeeping, following), its messages not taken, no
        # uplink or retention of it, its log untouched.
        assert "uji" not in s.ctx.states() and "uji" not in s.ctx.engine.heads and "uji" not in s.ctx.sites
        assert s.ctx.notifications.deliverer.held == frozenset({"uji"})
        await eventually(lambda: receiver.bodies("/tegal"), "tegal's messages, sent after uji's older one fell due")
        assert receiver.bodies("/uji") == [], "uji's message waits, neither sent nor given up"
        await s.ctx.engine.close_past_days()
        assert await s.ctx.storage.newest_seq("uji") == head

    site.write_text(UJI)  # corrected: back where it was, its message sent
    async with running_server(database, site_files=files, clock=clock, **QUICK_RETRIES) as s:
        await eventually(lambda: receiver.bodies("/uji"), "uji's message, once it is served again")
        assert receiver.bodies("/uji")[0]["type"] == "ticket.issued", receiver.bodies("/uji")
        r = await s.http.post("/api/v1/sites/uji/tickets", json={"service": "ktp"}, headers=UJI_KIOSK)
        assert r.status_code == 201 and r.json()["ticket"]["label"] == "A-002", r.text
        health = (await s.http.get("/healthz")).json()
        assert health["status"] == "ok" and health["left_out"] == [] and health["sites"] == ["tegal", "uji"]
        assert (await s.http.post("/api/v1/auth/login", json=SUPERVISOR_UJI)).status_code == 200
    receiver.stop()


@pytest.mark.sqlite_only
async def test_a_kiosk_and_a_tv_already_open_say_their_mall_is_not_served_and_come_back_by_themselves(
    database: Path | str, tmp_path: Path, browser: Browser
) -> None:
    """The kiosk and the TV of a mall stay on when its server restarts and leaves the mall out. The kiosk says so on
    its start screen at its next poll, instead of welcoming a citizen who would be refused after choosing. The TV says
    it without sending the technician to its token. A kiosk switched on meanwhile gets the page that asks again. Its
    file corrected and the server restarted on the same port, all three are back without anyone touching them."""
    site = uji_file(tmp_path)
    files = [DEMO_SITE, site]
    with free_socket() as sock:
        port = sock.getsockname()[1]
    async with running_server(database, site_files=files, port=port) as s:
        kiosk = await browser.new_page(viewport={"width": 1080, "height": 1920})
        await kiosk.goto(f"{s.url}/kiosk/uji#token=d_kiosk_demo_uji")
        await kiosk.locator("body[data-ready=true]").wait_for()
        tv = await browser.new_page(viewport={"width": 1920, "height": 1080})
        await tv.goto(f"{s.url}/display/uji/lobby#token=d_display_demo_uji_lobby")
        await tv.locator("body[data-link=live]").wait_for()

    broken(site)
    async with running_server(database, site_files=files, port=port) as s:
        await kiosk.locator("body[data-refusal=site_not_served]").wait_for(timeout=60_000)  # its next poll of the day
        assert await kiosk.evaluate("() => window.__kiosk.screen") == "notice"
        assert await kiosk.inner_text("#n-title") == "Kios ini belum dapat mengeluarkan nomor antrean"
        assert (await kiosk.inner_text("#n-message")).startswith("MPP Uji tidak dilayani server ini saat ini")
        assert not await kiosk.is_visible("#n-retry"), "nothing a citizen can do about it"
        await tv.locator("#refused:not([hidden])").wait_for(timeout=60_000)
        assert "MPP Uji tidak dilayani server ini saat ini" in await tv.inner_text("#refused-message")
        assert not await tv.is_visible("#refused-hint"), "its address and token are right"
        late = await browser.new_page(viewport={"width": 1080, "height": 1920})
        answer = await late.goto(f"{s.url}/kiosk/uji#token=d_kiosk_demo_uji")
        assert answer is not None and answer.status == 503
        assert "Mal tidak dilayani saat ini" in await late.inner_text("h1")

    site.write_text(UJI)
    async with running_server(database, site_files=files, port=port) as s:
        await until(kiosk, "() => window.__kiosk.screen === 'start'", timeout_ms=60_000)
        await late.locator("body[data-ready=true]").wait_for(timeout=90_000)  # asked again, and reloaded itself
        assert await late.evaluate("() => window.__kiosk.screen") == "start"
        await tv.locator("#refused[hidden]").wait_for(state="attached", timeout=90_000)
        await tv.locator("body[data-link=live]").wait_for()
        r = await s.http.post("/api/v1/sites/uji/tickets", json={"service": "ktp"}, headers=UJI_KIOSK)
        assert r.status_code == 201, r.text
    for page in (kiosk, tv, late):
        await page.close()


async def test_a_mall_the_day_refuses_is_left_out_and_a_server_of_one_mall_still_does_not_start(
    database: Path | str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """uji's day ran under a site file the database does not remember (an earlier release), and the file given now
    gives KK's letter B, on today's tickets, to KTP: today the server refused to start, tegal with it. Now tegal
    serves and uji is left out, with the same line in the log; alone, or beside a mall whose file is refused, it
    still stops the server as before; and nothing of the refused starts was written."""
    site, clock = uji_file(tmp_path), Clock()
    async with running_server(database, site_files=[DEMO_SITE, site], clock=clock) as s:
        r = await s.http.post("/api/v1/sites/uji/tickets", json={"service": "kk"}, headers=UJI_KIOSK)
        assert r.status_code == 201 and r.json()["ticket"]["label"] == "B-001", r.text
        await forget_uji_file(s)
        head = await s.ctx.storage.newest_seq("uji")

    letters_swapped(site)
    caplog.set_level(logging.ERROR, "queue_server")
    async with running_server(database, site_files=[DEMO_SITE, site], clock=clock) as s:
        said = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR and "site uji" in r.getMessage()]
        assert len(said) == 1, said
        assert said[0].startswith(
            "site uji: no site file was served from this database before, so the site file given was checked against "
            "today's tickets, and refused: The letter B is on today's tickets of KK (such as B-001)."
        ), said
        assert "Start the server with a site file that keeps what today's tickets still need" in said[0], said
        assert said[0].endswith("The other malls of this server start without it; it answers 503 until then."), said
        assert await call_next_at_tegal(s) == "A-001"
        refused(await s.http.post("/api/v1/sites/uji/tickets", json={"service": "kk"}, headers=UJI_KIOSK), "day")
        health = (await s.http.get("/healthz")).json()
        assert health["left_out"] == [{"site": "uji", "name": "MPP Uji", "reason": "day"}], health
        assert "uji" not in s.ctx.states() and "uji" not in s.ctx.sites

    for files in ([site], [DEMO_SITE, site]):
        if len(files) == 2:  # tegal's file refused too: no mall left to serve
            demo = tmp_path / "tegal.toml"
            demo.write_text(DEMO_SITE.read_text().replace('prefix = "B"', 'prefix = "A"', 1))
            files = [demo, site]
        with pytest.raises(StartFailed) as failed:
            async with running_server(database, site_files=files, clock=clock):
                raise AssertionError("the server started")
        assert str(failed.value).startswith("site uji: no site file was served from this database before"), failed

    site.write_text(UJI)  # the file today's tickets were issued under
    async with running_server(database, site_files=[DEMO_SITE, site], clock=clock) as s:
        assert await s.ctx.storage.newest_seq("uji") == head, "the refused starts wrote nothing of uji"
        r = await s.http.post("/api/v1/sites/uji/tickets", json={"service": "kk"}, headers=UJI_KIOSK)
        assert r.status_code == 201 and r.json()["ticket"]["label"] == "B-002", r.text


async def test_a_site_file_refused_for_one_mall_is_still_an_error_and_a_stored_configuration_does_not_rescue_it(
    database: Path | str, tmp_path: Path
) -> None:
    """What was refused stays refused: a server of one mall with a broken file does not start (the file's problems,
    as check-site names them), and a mall with a stored configuration is left out, not served from it."""
    site, clock = uji_file(tmp_path), Clock()
    async with running_server(database, site_files=[DEMO_SITE, site], clock=clock):
        pass
    broken(site)
    with pytest.raises(ValueError, match="'A' is already used by service 'ktp'"):
        async with running_server(database, site_files=[site], clock=clock):
            raise AssertionError("the server started")
    async with running_server(database, site_files=[DEMO_SITE, site], clock=clock) as s:
        assert list(s.ctx.left_out) == ["uji"] and "uji" not in s.ctx.sites


def serve(db: Path | str, files: list[Path], *extra: str) -> tuple[subprocess.Popen[bytes], str, Path]:
    """`queue-server serve` with several site files, as a process of its own; its URL once /healthz answers (or
    its exit), and the file its output goes to."""
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    log = Path(str(files[-1]) + f".{uuid.uuid4().hex[:6]}.log")
    sites = [arg for path in files for arg in ("--site", str(path))]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "queue_server", "serve", "--db", str(db), *sites, "--port", str(port), *extra],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True, env=server_env(db),
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.05)
    return proc, url, log


def cli(db: Path | str, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "queue_server", *args, "--db", str(db)], capture_output=True,
                          text=True, timeout=90, env=server_env(db))  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


async def forget_uji_file_in(database: Path | str) -> None:
    sql = "DELETE FROM site_settings WHERE key = 'site_file' AND site = 'uji'"
    if isinstance(database, Path):
        with sqlite3.connect(database) as conn:
            conn.execute(sql)
        return
    conn = await asyncpg.connect(database)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def test_real_processes_each_come_to_the_same_decision_and_one_mall_alone_exits_3(
    database: Path | str, tmp_path: Path
) -> None:
    """`queue-server serve` as it runs under systemd, on the machine's clock: with the day refusing uji, a server of
    tegal and uji serves tegal (on PostgreSQL, each of two worker processes leaves uji out by itself); a server of
    uji alone exits with status 3 and the same one line, as before."""
    site = uji_file(tmp_path)
    files = [DEMO_SITE, site]
    token = cli(database, "device", "add", "--kind", "kiosk", "--site-id", "uji", "--name", "Kios",
                *(a for f in files for a in ("--site", str(f)))).strip().splitlines()[-1]  # fmt: skip
    proc, url, log = serve(database, files)
    try:
        r = httpx.post(f"{url}/api/v1/sites/uji/tickets", json={"service": "kk"}, headers=bearer(token))
        assert r.status_code == 201 and r.json()["ticket"]["label"] == "B-001", r.text
    finally:
        _stop(proc)
    asyncio.run(forget_uji_file_in(database))
    letters_swapped(site)

    proc, _, log = serve(database, [site])
    try:
        assert proc.wait(timeout=90) == 3, log.read_text()
    finally:
        _stop(proc)
    output = log.read_text()
    lines = [line for line in output.splitlines() if "site uji: no site file was served" in line]
    assert len(lines) == 1 and "ERROR" in lines[0] and "Traceback" not in output, output

    workers = () if isinstance(database, Path) else ("--workers", "2")
    proc, url, log = serve(database, files, *workers)
    try:
        assert proc.poll() is None, log.read_text()
        seen: dict[int, dict[str, Any]] = {}
        deadline = time.monotonic() + 60
        while len(seen) < (2 if workers else 1) and time.monotonic() < deadline:
            with httpx.Client() as fresh:  # a new connection each time: the kernel hands it to either worker
                health = fresh.get(f"{url}/healthz").json()
                seen[health["process"]] = health
        assert len(seen) == (2 if workers else 1), seen
        for health in seen.values():
            assert health["status"] == "sites_left_out" and health["sites"] == ["tegal"], health
            assert health["left_out"] == [{"site": "uji", "name": "MPP Uji", "reason": "day"}], health
        for _ in range(4):  # whichever process answers
            with httpx.Client(base_url=url) as fresh:
                refused(fresh.post("/api/v1/sites/uji/tickets", json={"service": "kk"}, headers=bearer(token)), "day")
                assert fresh.get("/kiosk/tegal").status_code == 200
    finally:
        _stop(proc)
    output = log.read_text()
    said = [line for line in output.splitlines() if "site uji: no site file was served" in line]
    assert len(said) == (2 if workers else 1) and all("ERROR" in line for line in said), output
    assert "Traceback" not in output, output


def test_a_file_too_broken_to_read_still_names_its_mall(tmp_path: Path) -> None:
    """A site file that is not even TOML (an edit cut short) is left out under its `[site]` id, so its routes still
    answer site_not_served; one naming no id at all, under its file's name."""
    from queue_server.settings import left_out

    cut = tmp_path / "mpp-uji.toml"
    cut.write_text(UJI.replace('name = "KK"', 'name = "KK'))
    assert left_out.readable(cut) is None
    leaving = left_out.from_file(cut, None, "not valid TOML")
    assert (leaving.site, leaving.name, leaving.reason) == ("uji", "uji", "site_file")
    assert leaving.said.startswith("site uji: its site file is refused: not valid TOML. "), leaving.said
    nameless = tmp_path / "mpp-baru.toml"
    nameless.write_text("[site\n")
    assert left_out.from_file(nameless, None, "not valid TOML").site == "mpp-baru"
    readable = left_out.from_file(cut, {"site": {"id": "uji", "name": "MPP Uji"}}, "a problem")
    assert (readable.site, readable.name) == ("uji", "MPP Uji")
    assert readable.refusal().code == "site_not_served" and readable.public() == {
        "site": "uji",
        "name": "MPP Uji",
        "reason": "site_file",
    }
