"""A kiosk's printer and its site's public address for QR codes, as staff save them from the kiosk's panel, live in
the database (migration 0030): they survive a restart, a backup restored onto a new folder or database holds them,
two server processes on one PostgreSQL database see a save made through the other, and the JSON file an earlier
release kept them in (`citizen.json`) is imported once at start and renamed; a broken one stops nothing.
On both databases where the question is the same on both."""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from queue_server.application.kiosk_settings import import_citizen_json
from queue_server.persistence.factory import storage_for

from .helpers import KIOSK, Server, bearer, eventually, running_server
from .pg_support import new_database, server_env

BOTH_DATABASES = True
SETTINGS = "/citizen/api/tegal/kiosk"
PRINTER = {"mode": "network", "host": "192.168.1.50", "port": 9100, "profile": "default", "qr_native": False}
PUBLIC_URL = "https://antrean.tegalkab.go.id"


async def save(server: Server, printer: dict[str, Any], public_url: str | None = PUBLIC_URL) -> dict[str, Any]:
    admin = {**await server.login("admin"), "X-Kiosk-Token": KIOSK}  # the public address is an admin's
    r = await server.http.put(SETTINGS, json={"printer": printer, "public_url": public_url}, headers=admin)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def kiosk_settings(server: Server) -> dict[str, Any]:
    r = await server.http.get(SETTINGS, headers=bearer(KIOSK))
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def slip_link(server: Server) -> str:
    """The follow link the browser's print page of a new ticket draws its QR from."""
    token = (await server.issue("ktp"))["ticket"]["token"]
    r = await server.http.get(f"/citizen/print/{token}")
    assert r.status_code == 200, r.text
    return token


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "queue_server", *args], capture_output=True, text=True, check=False,
                          env=server_env(*args))  # fmt: skip


async def test_a_printer_saved_from_the_panel_survives_a_restart(database: Path | str) -> None:
    async with running_server(database) as s:
        saved = await save(s, PRINTER)
        assert saved["printer"] == PRINTER and saved["public_url"] == PUBLIC_URL
    async with running_server(database) as s:
        again = await kiosk_settings(s)
        assert (again["printer"], again["public_url"], again["qr_base"]) == (PRINTER, PUBLIC_URL, PUBLIC_URL)
        # An address taken away again is gone after a restart too; the printer stays.
        await save(s, {**PRINTER, "qr_native": True}, public_url=None)
    async with running_server(database) as s:
        again = await kiosk_settings(s)
        assert again["printer"] == {**PRINTER, "qr_native": True} and again["public_url"] is None
        assert again["qr_base"] == s.url


async def test_bad_input_to_the_panel_stays_a_4xx_and_changes_nothing(database: Path | str) -> None:
    async with running_server(database) as s:
        await save(s, PRINTER)
        admin = {**await s.login("admin"), "X-Kiosk-Token": KIOSK}
        for body, field in (
            ({"printer": {"mode": "file", "device": "/etc/shadow"}}, "device"),
            ({"printer": {"mode": "network"}}, "host"),
            ({"printer": {"mode": "laser"}}, "mode"),
            ({"printer": {"mode": "none"}, "public_url": "javascript:alert(1)"}, "public_url"),
            ({"printer": {"mode": "none"}, "colour": "red"}, "colour"),
        ):
            r = await s.http.put(SETTINGS, json=body, headers=admin)
            assert r.status_code == 422 and r.json()["error"]["details"]["field"] == field, r.text
        r = await s.http.put(SETTINGS, content=b"mode=none", headers={**admin, "Content-Type": "text/plain"})
        assert r.status_code == 415, r.text
        assert (await kiosk_settings(s))["printer"] == PRINTER


async def test_a_backup_restored_onto_a_new_folder_or_database_keeps_them(
    database: Path | str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The database (plus notify.key) is the whole state: a box restored onto a new machine prints where it did."""
    async with running_server(database) as s:
        await save(s, PRINTER)
        if isinstance(database, Path):
            copy = tmp_path / "backups" / "q.sqlite3"
            restored: Path | str = tmp_path / "new-machine" / "var" / "q.sqlite3"
        else:
            copy, restored = tmp_path / "q.dump", await new_database(request.getfixturevalue("pg_cluster"))
        made = await asyncio.to_thread(_cli, "backup", str(copy), "--db", str(database))
        assert made.returncode == 0, made.stderr
    done = await asyncio.to_thread(_cli, "restore", str(copy), "--db", str(restored))
    assert done.returncode == 0, done.stderr
    if isinstance(database, Path) and isinstance(restored, Path):
        shutil.copy(database.parent / "notify.key", restored.parent / "notify.key")  # kept apart, as the docs say
    async with running_server(restored) as s:
        settings = await kiosk_settings(s)
        assert (settings["printer"], settings["public_url"], settings["qr_base"]) == (PRINTER, PUBLIC_URL, PUBLIC_URL)


@pytest.mark.postgresql
async def test_two_processes_on_one_postgresql_database_see_a_save_made_through_the_other(pg_cluster: str) -> None:
    database = await new_database(pg_cluster)
    async with running_server(database) as a, running_server(database) as b:
        assert (await kiosk_settings(b))["printer"]["mode"] == "browser"  # read (and held) before the save
        await save(a, PRINTER)

        async def seen_by_b() -> bool:
            settings = await kiosk_settings(b)
            return bool(settings["printer"] == PRINTER and settings["public_url"] == PUBLIC_URL)

        await eventually(seen_by_b, "the printer saved through one process, in the other")
        await save(b, {"mode": "none"}, public_url=None)

        async def seen_by_a() -> bool:
            settings = await kiosk_settings(a)
            return bool(settings["printer"]["mode"] == "none" and settings["qr_base"] == a.url)

        await eventually(seen_by_a, "the change made through the other process, back in the first")


def _old_file(folder: Path, text: str) -> Path:
    path = folder / "citizen.json"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.sqlite_only
async def test_an_old_citizen_json_is_imported_once_and_renamed(
    database: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_server(database) as s:  # the database as an earlier release left it, its kiosks paired
        kiosk = (await kiosk_settings(s))["kiosk"]["id"]
    old = _old_file(database.parent, json.dumps({
        "printers": {
            str(kiosk): PRINTER,
            "999": {"mode": "none"},  # no such kiosk (deleted since)
            "lobby": {"mode": "none"},
        },
        "public_url": {"tegal": PUBLIC_URL + "/", "bekasi": "ftp://nowhere"},
    }))  # fmt: skip
    caplog.set_level(logging.INFO, logger="queue_server.application.kiosk_settings")
    async with running_server(database) as s:
        settings = await kiosk_settings(s)
        assert (settings["printer"], settings["public_url"]) == (PRINTER, PUBLIC_URL)
    said = "\n".join(r.getMessage() for r in caplog.records)
    assert "imported into the database (printers: 1, public addresses: 1) and renamed citizen.json.imported" in said
    assert "printer of kiosk '999' skipped: no such kiosk" in said and "'lobby' skipped" in said
    assert "public address of site bekasi skipped" in said
    assert not old.exists() and old.with_name("citizen.json.imported").is_file()

    # Never read again: a setting changed on the panel stays as saved across restarts.
    caplog.clear()
    async with running_server(database) as s:
        await save(s, {"mode": "none"}, public_url=None)
    async with running_server(database) as s:
        settings = await kiosk_settings(s)
        assert settings["printer"]["mode"] == "none" and settings["public_url"] is None
    assert "citizen.json" not in "\n".join(r.getMessage() for r in caplog.records)


@pytest.mark.sqlite_only
async def test_a_broken_citizen_json_stops_nothing_and_is_left_to_mend(
    database: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broken = _old_file(database.parent, '{"printers": {"1": {"mode": "network", "host"')
    caplog.set_level(logging.INFO, logger="queue_server.application.kiosk_settings")
    async with running_server(database) as s:
        assert (await kiosk_settings(s))["printer"]["mode"] == "browser"
        await slip_link(s)  # tickets are issued and printed (by the browser)
    said = "\n".join(r.getMessage() for r in caplog.records)
    assert "citizen.json cannot be read" in said and "not imported; mend or delete it, then restart" in said
    assert broken.is_file(), "left as it was, for someone to mend"

    # Mended, it is imported at the next start; entries of the wrong shape are skipped, the rest taken.
    async with running_server(database) as s:
        kiosk = (await kiosk_settings(s))["kiosk"]["id"]
    _old_file(database.parent, json.dumps({"printers": {str(kiosk): PRINTER}, "public_url": ["not", "an", "object"]}))
    async with running_server(database) as s:
        assert (await kiosk_settings(s))["printer"] == PRINTER
    assert not broken.exists()


@pytest.mark.sqlite_only
async def test_a_citizen_json_mended_by_hand_with_odd_keys_or_depth_stops_nothing(
    database: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A kiosk key "²" passed str.isdigit() and int() refused it; a file nested past the parser's depth raised
    RecursionError: either stopped the server at start, where a broken file is promised to stop nothing."""
    async with running_server(database) as s:
        kiosk = (await kiosk_settings(s))["kiosk"]["id"]
    caplog.set_level(logging.INFO, logger="queue_server.application.kiosk_settings")
    deep = _old_file(database.parent, '{"printers": ' + "[" * 100_000 + "]" * 100_000 + "}")
    async with running_server(database) as s:
        assert (await kiosk_settings(s))["printer"]["mode"] == "browser"
    said = "\n".join(r.getMessage() for r in caplog.records)
    assert "citizen.json cannot be read" in said, said
    assert deep.is_file(), "left as it was, for someone to mend"
    _old_file(database.parent, json.dumps({"printers": {"²": {"mode": "none"}, str(kiosk): PRINTER}}))
    async with running_server(database) as s:
        assert (await kiosk_settings(s))["printer"] == PRINTER
    said = "\n".join(r.getMessage() for r in caplog.records)
    assert "printer of kiosk '²' skipped: no such kiosk" in said, said


@pytest.mark.sqlite_only
async def test_the_settings_are_rows_of_the_database_not_a_file(database: Path) -> None:
    async with running_server(database) as s:
        kiosk = (await save(s, PRINTER))["kiosk"]["id"]
    assert not (database.parent / "citizen.json").exists()
    with sqlite3.connect(database) as conn:
        printers = conn.execute("SELECT device, site, printer, updated_by FROM kiosk_printers").fetchall()
        urls = conn.execute("SELECT site, url, updated_by FROM site_public_urls").fetchall()
    assert [(d, site, json.loads(p), by) for d, site, p, by in printers] == [(kiosk, "tegal", PRINTER, "admin")]
    assert urls == [("tegal", PUBLIC_URL, "admin")]


@pytest.mark.sqlite_only
async def test_an_old_file_of_a_postgresql_server_is_never_logged_with_the_password_in_its_folder(
    database: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An earlier release wrote citizen.json in a folder named after the database's address, password and all. The
    log names the file without it, but said the OSError too, whose text holds both paths ("Is a directory:
    'postgresql:/queue:<password>@.../citizen.json' -> ..."), when the file could not be renamed."""
    async with running_server(database) as s:
        kiosk = (await kiosk_settings(s))["kiosk"]["id"]
    url = "postgresql://queue:Rahasia-Sekali-123@db.mpp.local:5432/queue"
    monkeypatch.chdir(tmp_path)
    folder = Path(url).parent  # relative: under the server's working folder
    folder.mkdir(parents=True)
    _old_file(folder, json.dumps({"printers": {str(kiosk): PRINTER}}))
    (folder / "citizen.json.imported").mkdir()  # in the way of the rename: an OSError naming both paths
    (folder / "citizen.json.imported" / "kept").write_text("", encoding="utf-8")
    caplog.set_level(logging.INFO, logger="queue_server.application.kiosk_settings")
    storage = storage_for(database)
    await storage.open()
    try:
        await import_citizen_json(storage, url, datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    finally:
        await storage.close()
    said = "\n".join(r.getMessage() for r in caplog.records)
    assert "imported, but not renamed" in said, said
    assert "Rahasia-Sekali-123" not in said, said
    async with running_server(database) as s:
        assert (await kiosk_settings(s))["printer"] == PRINTER, "imported all the same"
