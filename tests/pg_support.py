"""A throwaway PostgreSQL cluster for the tests: initdb in a temporary directory, a server listening on a Unix
socket in that directory only (no TCP port, so it can neither clash with nor be mistaken for a server that happens
to be running), stopped and deleted at the end. `make test` installs Debian's PostgreSQL when it is missing.

PostgreSQL refuses to run as root, so under root (CI) the cluster runs as the `postgres` user the Debian package
creates."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg


def bindir() -> Path:
    """The newest installed PostgreSQL's server programs (Debian keeps them out of PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name))
    if not found:
        raise RuntimeError("PostgreSQL is not installed: run `make test` (it installs Debian's postgresql)")
    return Path(found[-1]).parent


@contextmanager
def throwaway_cluster() -> Iterator[str]:
    """A running cluster; yields the URL of its `postgres` database (trust authentication, Unix socket)."""
    programs = bindir()
    root = Path(tempfile.mkdtemp(prefix="queue-server-pg-"))
    as_owner: list[str] = []
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(root, owner.pw_uid, owner.pw_gid)
        as_owner = ["runuser", "-u", "postgres", "--"]
    data, log = root / "data", root / "server.log"
    port = 5432  # names the socket file in our own directory; no TCP port is opened

    def run(*args: str) -> None:
        subprocess.run([*as_owner, *args], check=True, capture_output=True, timeout=120)

    try:
        run(str(programs / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
            "--locale=C", "--no-sync")  # fmt: skip
        options = f"-p {port} -k {root} -c listen_addresses='' -c fsync=off -c max_connections=200"
        run(str(programs / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60", "-o", options, "start")
    except subprocess.CalledProcessError as exc:
        detail = (exc.stderr or b"").decode(errors="replace") + (log.read_text() if log.exists() else "")
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"the throwaway PostgreSQL cluster did not start: {detail}") from None
    try:
        yield f"postgresql://postgres@/postgres?host={root}&port={port}"
    finally:
        subprocess.run([*as_owner, str(programs / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True, timeout=60, check=False)  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)


async def new_database(cluster: str) -> str:
    """A fresh, empty database in the cluster; its URL."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(cluster)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return cluster.replace("/postgres?", f"/{name}?", 1)
