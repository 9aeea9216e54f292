"""A server on a test's PostgreSQL database keeps its files (notification key, archives, sound cache) in a folder of
the throwaway cluster's, never in var/ of its working directory: for a test that is the checkout, and a failing run
was seen to leave var/notify.key there."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import running_server
from .pg_support import files_of, new_database, server_env


def _contents(folder: Path) -> list[Path]:
    return list(folder.iterdir())


async def test_an_in_process_server_on_postgresql_writes_nothing_into_its_working_directory(
    pg_cluster: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # where var/ would be made
    database = await new_database(pg_cluster)
    async with running_server(database) as server:
        assert (await server.http.get("/healthz")).status_code == 200
    assert _contents(tmp_path) == [], _contents(tmp_path)
    assert files_of(database)["key_file"].is_file(), "made in the database's own folder"


async def test_a_command_on_postgresql_writes_nothing_into_its_working_directory(
    pg_cluster: str, tmp_path: Path
) -> None:
    database = await new_database(pg_cluster)
    async with running_server(database):
        pass  # the database made, and its key
    key = files_of(database)["key_file"].read_bytes()
    command = [sys.executable, "-m", "queue_server", "close-day", "--site-id", "tegal", "--db", database]
    done = await asyncio.to_thread(
        subprocess.run, command, capture_output=True, text=True, timeout=120, cwd=tmp_path, env=server_env(*command)
    )
    assert done.returncode == 0, done.stderr
    assert _contents(tmp_path) == [], _contents(tmp_path)
    assert files_of(database)["key_file"].read_bytes() == key, "the server's key, not another"
