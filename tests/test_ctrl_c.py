"""Ctrl+C at any moment of `queue-server demo` and `serve`: while it loads, while it makes the database, while it
starts, once it serves; pressed once or twice. An installer's walk found a KeyboardInterrupt traceback in the first
half second, the writer process killed while it loaded (the start failing with a traceback), and a second Ctrl+C
(uvicorn's "force quit") leaving the process hung for good, holding the database's lock file.

Each press is a terminal's: SIGINT to the whole process group. The command stops quietly, with status 130 as every
command stopped by Ctrl+C (a second press may end it by the signal itself, which the shell shows as 130 too), its
writer process gone with it, the lock file not held, and the database not made or whole, which the next command
opens. Real processes, real files; the moments are found by what the process does, never by a delay alone."""

from __future__ import annotations

import fcntl
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

import httpx
import pytest

from queue_server.settings.sitefile import DEMO_SITE

from .helpers import free_socket
from .test_cli import run

SECONDS = 60  # for a start to reach a moment, and for the stop after it: generous, the machine is shared


class Started:
    """`queue-server COMMAND` started as from a terminal (SIGINT not ignored, whatever this test process inherited),
    in a process group of its own, what it prints collected as it comes. `-X importtime` says when the project's
    own modules load: the first moment a Ctrl+C may come from a person who just pressed Enter."""

    def __init__(self, command: list[str], db: Path) -> None:
        sock = free_socket()
        self.port = sock.getsockname()[1]
        sock.close()
        self.db = db
        self.proc = subprocess.Popen(
            [sys.executable, "-X", "importtime", "-m", "queue_server", *command, "--db", str(db), "--port",
             str(self.port)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # noqa: PLW1509 - before any thread
        )  # fmt: skip
        self.out: list[str] = []
        self.err: list[str] = []
        self.readers = [
            threading.Thread(target=self._read, args=(stream, lines), daemon=True)
            for stream, lines in ((self.proc.stdout, self.out), (self.proc.stderr, self.err))
        ]
        for reader in self.readers:
            reader.start()

    @staticmethod
    def _read(stream: IO[str], lines: list[str]) -> None:
        with stream:  # to its end: the process and what it started have closed it
            lines.extend(stream)

    def said(self) -> str:
        """What it printed, but the import times."""
        return "".join(self.out) + "".join(line for line in self.err if not line.startswith("import time:"))

    def wait_for(self, moment: Callable[[Started], bool], what: str) -> None:
        deadline = time.monotonic() + SECONDS
        while not moment(self):
            assert self.proc.poll() is None, f"it ended before {what}: {self.proc.returncode}\n{self.said()}"
            assert time.monotonic() < deadline, f"not {what} within {SECONDS} s\n{self.said()}"
            time.sleep(0.005)

    def children(self) -> list[int]:
        """Its child processes now (the database's writer process)."""
        found = []
        for entry in Path("/proc").iterdir():
            try:
                if entry.name.isdigit() and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == (
                    self.proc.pid
                ):
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue  # ended meanwhile
        return found

    def press_ctrl_c(self, times: int = 1) -> None:
        for n in range(times):
            if n:
                time.sleep(0.1)
            try:
                os.killpg(self.proc.pid, signal.SIGINT)
            except ProcessLookupError:
                return  # ended at the first

    def ended(self) -> int:
        try:
            code = self.proc.wait(timeout=SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            raise AssertionError(f"still running {SECONDS} s after Ctrl+C (hung)\n{self.said()}") from None
        for reader in self.readers:
            reader.join(timeout=SECONDS)
        return code


def loading(s: Started) -> bool:
    return any(line.startswith("import time:") and " queue_server." in line for line in s.err)


def folder_made(s: Started) -> bool:
    return s.db.parent.exists()


def database_made(s: Started) -> bool:
    return s.db.exists()


def announced(s: Started) -> bool:
    return any("Stop with Ctrl+C" in line or "database " in line for line in s.out)


def serving(s: Started) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{s.port}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _stopped_cleanly(s: Started, writers: list[int], twice: bool) -> None:
    code = s.ended()
    said = s.said()
    assert "Traceback" not in said and "KeyboardInterrupt" not in said and "ERROR" not in said, said
    # A second press may come while Python exits after the first: it ends the process by the signal itself, quietly,
    # which the shell shows as 130 too.
    assert code == 130 or (twice and code == -signal.SIGINT), (code, said)
    deadline = time.monotonic() + SECONDS
    while any(Path(f"/proc/{pid}").exists() for pid in writers):
        assert time.monotonic() < deadline, f"its writer process outlived it: {writers}"
        time.sleep(0.05)
    lock = Path(f"{s.db}.lock")
    if lock.exists():
        with lock.open() as f:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError: a process still holds it
    if s.db.exists():
        conn = sqlite3.connect(f"{s.db.resolve().as_uri()}?mode=ro", uri=True)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            conn.close()
        again = run("migrate", "--db", str(s.db), check=False)  # the next command opens it, and finds it whole
        assert again.returncode == 0 and "Traceback" not in again.stderr, again.stderr
    else:
        assert not s.db.parent.exists() or not any(s.db.parent.iterdir()), list(s.db.parent.iterdir())


SITE = ["--site", str(DEMO_SITE)]


@pytest.mark.parametrize(
    ("command", "moment", "times"),
    [
        (["demo"], loading, 1),
        (["serve", *SITE], loading, 1),
        (["demo"], folder_made, 1),
        (["demo"], database_made, 1),
        (["serve", *SITE], database_made, 2),
        (["demo"], announced, 1),
        (["demo"], announced, 2),
        (["demo"], serving, 1),
        (["serve", *SITE], serving, 2),
    ],
    ids=lambda value: value.__name__ if callable(value) else None,
)
def test_ctrl_c_at_any_moment_of_a_start_stops_quietly_and_leaves_the_database_whole(
    tmp_path: Path, command: list[str], moment: Callable[[Started], bool], times: int
) -> None:
    started = Started(command, tmp_path / "var" / "queue.sqlite3")
    try:
        started.wait_for(moment, moment.__name__.replace("_", " "))
        writers = started.children()
        started.press_ctrl_c(times)
    except BaseException:
        os.killpg(started.proc.pid, signal.SIGKILL)
        started.proc.wait()
        raise
    _stopped_cleanly(started, writers, times > 1)
