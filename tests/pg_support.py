"""A throwaway PostgreSQL cluster for the tests: initdb in a temporary directory, a server listening on a Unix
socket in that directory only (no TCP port, so it can neither clash with nor be mistaken for a server that happens
to be running), stopped and deleted at the end. `make test` installs Debian's PostgreSQL when it is missing.

PostgreSQL refuses to run as root, so under root (CI) the cluster runs as the `postgres` user the Debian package
creates."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import asyncpg


def bindir() -> Path:
    """The newest installed PostgreSQL's server programs (Debian keeps them out of PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name))
    if not found:
        raise RuntimeError("PostgreSQL is not installed: run `make test` (it installs Debian's postgresql)")
    return Path(found[-1]).parent


@dataclass
class Cluster:
    """A running throwaway cluster: its URL, and what a test may do to it (stop it, start it again)."""

    url: str
    data: Path
    log: Path
    options: str
    as_owner: list[str]

    def _pg_ctl(self, *args: str) -> None:
        subprocess.run([*self.as_owner, str(bindir() / "pg_ctl"), "-D", str(self.data), *args],
                       check=True, capture_output=True, timeout=120)  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._pg_ctl("-m", mode, "-w", "stop")

    def start(self) -> None:
        self._pg_ctl("-l", str(self.log), "-w", "-t", "60", "-o", self.options, "start")


@contextmanager
def throwaway_cluster() -> Iterator[str]:
    """A running cluster; yields the URL of its `postgres` database (trust authentication, Unix socket)."""
    with throwaway_cluster_handle() as cluster:
        yield cluster.url


@contextmanager
def throwaway_cluster_handle(*, fsync: bool = False) -> Iterator[Cluster]:
    """`fsync`: the tests leave it off (speed); a benchmark turns it on, as production has it."""
    programs = bindir()
    root = Path(tempfile.mkdtemp(prefix="queue-server-pg-"))
    as_owner: list[str] = []
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(root, owner.pw_uid, owner.pw_gid)
        as_owner = ["runuser", "-u", "postgres", "--"]
    data, log = root / "data", root / "server.log"
    port = 5432  # names the socket file in our own directory; no TCP port is opened
    options = f"-p {port} -k {root} -c listen_addresses='' -c fsync={'on' if fsync else 'off'} -c max_connections=300"
    cluster = Cluster(f"postgresql://postgres@/postgres?host={root}&port={port}", data, log, options, as_owner)
    try:
        subprocess.run([*as_owner, str(programs / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                        "-E", "UTF8", "--locale=C", "--no-sync"], check=True, capture_output=True, timeout=120)  # fmt: skip
        cluster.start()
    except subprocess.CalledProcessError as exc:
        detail = (exc.stderr or b"").decode(errors="replace") + (log.read_text() if log.exists() else "")
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"the throwaway PostgreSQL cluster did not start: {detail}") from None
    try:
        yield cluster
    finally:
        with contextlib.suppress(subprocess.SubprocessError):
            cluster.stop("immediate")
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


async def dump_text(url: str) -> str:
    """Every row of every table of a database, as text (a test looks for what must not be stored in clear)."""
    conn = await asyncpg.connect(url)
    try:
        tables = [r[0] for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        rows = [r[0] for table in tables for r in await conn.fetch(f'SELECT t::text FROM "{table}" t')]  # noqa: S608
        return "\n".join(rows)
    finally:
        await conn.close()


def files_of(database: Path | str) -> dict[str, Path]:
    """Where a server on a test's PostgreSQL database keeps its files (notification key, archives, sound cache), as
    Config settings: a folder of its own in the throwaway cluster's directory, removed with it. A server on PostgreSQL
    otherwise keeps them in var/ of its working directory, which for a test is the checkout. A SQLite file: none (they
    go beside it, in the test's own directory)."""
    if not isinstance(database, str):
        return {}
    url = urlsplit(database)
    hosts = parse_qs(url.query).get("host", [])
    base = Path(hosts[0]) if hosts and hosts[0].startswith("/") else Path(tempfile.gettempdir()) / "queue-server-tests"
    folder = base / "files" / (url.path.strip("/") or "postgres")
    return {"key_file": folder / "notify.key", "archive_dir": folder / "archive", "sound_cache": folder / "sound-cache"}


def server_env(*args: object) -> dict[str, str] | None:
    """The environment for a `queue_server` process given `args`: with the files of a PostgreSQL database among them
    in its own folder (`files_of`), never var/ of the checkout; None (inherit) when it names none."""
    url = next((a for a in args if isinstance(a, str) and a.startswith("postgresql://")), None)
    if url is None:
        return None
    names = {"key_file": "QUEUE_KEY_FILE", "archive_dir": "QUEUE_ARCHIVE_DIR", "sound_cache": "QUEUE_SOUND_CACHE"}
    return {**os.environ, **{names[key]: str(path) for key, path in files_of(url).items()}}
