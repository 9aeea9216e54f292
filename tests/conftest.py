"""Fixtures shared by every test module, and the `live` and `browser` markers (defined in pyproject.toml).

Tests are marked at collection by what they refer to: the test function, the fixtures it uses, and the test helpers
(functions and classes of this package) that those call, followed through module globals. Referring to
`running_server` or to a `python -m queue_server` command line makes a test `live`; to `chromium` or
`async_playwright`, `browser`. So a new test that starts a server or a browser the usual way is marked without
anyone remembering to. What that reading misses (a server started through a method, say) is caught when the test
runs: an audit hook fails a test that starts either without its marker, so no such test runs unnoticed in the fast
selection (`make test-fast`).
"""

from __future__ import annotations

import inspect
import sys
import types
from collections.abc import AsyncIterator, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, expect

from .display_support import chromium
from .helpers import Server, running_server
from .pg_support import new_database, throwaway_cluster

# Playwright's `expect` waits 5 s by default: on a busy machine (a full run beside other work) a dialog opened by a key
# press was seen later than that once, and the test failed on how fast, not on what happened. Waiting longer costs a
# passing test nothing.
expect.set_options(timeout=20_000)

LIVE_NAMES = frozenset({"running_server"})
BROWSER_NAMES = frozenset({"chromium", "async_playwright"})


# A module that sets BOTH_DATABASES = True runs each test that uses `database` (or `server`, which uses it) twice:
# on a SQLite file and on a new database of the session's throwaway PostgreSQL cluster.
ADAPTERS = ("sqlite", "postgresql")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    both = getattr(metafunc.module, "BOTH_DATABASES", False) and not metafunc.definition.get_closest_marker(
        "sqlite_only"
    )
    if "database" in metafunc.fixturenames and both:
        metafunc.parametrize("adapter", ADAPTERS, indirect=True)


@pytest.fixture
def adapter(request: pytest.FixtureRequest) -> str:
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[str]:
    """One throwaway PostgreSQL cluster for the whole run, started the first time a test asks for it."""
    with throwaway_cluster() as url:
        yield url


@pytest.fixture
async def database(adapter: str, tmp_path: Path, request: pytest.FixtureRequest) -> Path | str:
    """Where a test's server keeps its data: a SQLite file, or a new PostgreSQL database."""
    if adapter == "postgresql":
        return await new_database(request.getfixturevalue("pg_cluster"))
    return tmp_path / "queue.sqlite3"


@pytest.fixture
async def server(database: Path | str) -> AsyncIterator[Server]:
    async with running_server(database) as s:
        yield s


# --- marking at collection ---------------------------------------------------------------------------------------


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Debian's Chromium (Playwright), for one test."""
    async with chromium() as b:
        yield b


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if not isinstance(item, pytest.Function):
            continue
        starts = _what_it_starts(item)
        callspec = getattr(item, "callspec", None)
        on_postgresql = callspec is not None and callspec.params.get("adapter") == "postgresql"
        if (on_postgresql or "pg_cluster" in item.fixturenames) and item.get_closest_marker("postgresql") is None:
            item.add_marker("postgresql")
        for mark in ("live", "browser"):
            if mark in starts and item.get_closest_marker(mark) is None:
                item.add_marker(mark)


def _what_it_starts(item: pytest.Function) -> set[str]:
    roots: list[Any] = [item.function]
    for defs in item._fixtureinfo.name2fixturedefs.values():
        if _is_test_helper(defs[-1].func):  # the definition in effect here (a module's own overrides conftest's)
            roots.append(defs[-1].func)
    starts: set[str] = set()
    seen: set[types.CodeType] = set()
    while roots:
        func = inspect.unwrap(roots.pop())  # through @asynccontextmanager, @bounded and the like
        code = getattr(func, "__code__", None)
        if code is None or code in seen:
            continue
        seen.add(code)
        if func.__name__ in LIVE_NAMES | BROWSER_NAMES:  # reached under another name (an alias, a wrapper)
            starts.add("live" if func.__name__ in LIVE_NAMES else "browser")
        names, texts = _refers_to(code)
        module_globals = getattr(func, "__globals__", {})
        for name in names:
            value = module_globals.get(name)
            if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
                texts.extend(value)  # e.g. test_cli's QS, the server's command line
            elif _is_test_helper(value):
                roots.extend(vars(value).values() if isinstance(value, type) else [value])
        if names & LIVE_NAMES or _runs_the_server(texts):
            starts.add("live")
        if names & BROWSER_NAMES:
            starts.add("browser")
    return starts


def _refers_to(code: types.CodeType) -> tuple[set[str], list[str]]:
    """The global and attribute names, and the string constants, of a function's code and of the code nested in it
    (closures, comprehensions)."""
    names, texts = set(code.co_names), []
    for const in code.co_consts:
        if isinstance(const, str):
            texts.append(const)
        elif isinstance(const, types.CodeType):
            inner_names, inner_texts = _refers_to(const)
            names |= inner_names
            texts += inner_texts
    return names, texts


def _runs_the_server(args: list[str], *, in_order: bool = False) -> bool:
    """`-m queue_server` in a command line (`in_order`), or both words among a function's constants: the server's own
    command, not one of its modules (the database writer of every Storage is `-m queue_server.persistence...`)."""
    if in_order:
        return any(a == "-m" and b == "queue_server" for a, b in zip(args, args[1:], strict=False))
    return "-m" in args and "queue_server" in args


def _is_test_helper(value: Any) -> bool:
    return (inspect.isfunction(value) or inspect.isclass(value)) and value.__module__.startswith(f"{__package__}.")


# --- the check while tests run -----------------------------------------------------------------------------------

_running: pytest.Item | None = None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, object, object]:
    global _running
    _running = item
    try:
        return (yield)
    finally:
        _running = None


def _audit(event: str, args: tuple[Any, ...]) -> None:
    # Called for every audited event of the process (opening files, imports, ...), so it returns at once for those.
    if event not in _WATCHED or _running is None:
        return
    if event == "tests.live":
        needs, what = "live", "an in-process server (tests.helpers.running_server)"
    else:
        command = args[1] if isinstance(args[1], list | tuple) else [args[1]]
        command = [str(part) for part in command]
        if _runs_the_server(command, in_order=True):
            needs, what = "live", f"the server as a process ({' '.join(command[:4])} ...)"
        elif "run-driver" in command:
            needs, what = "browser", "Playwright (and so a browser)"
        else:
            return
    if _running.get_closest_marker(needs) is None:
        raise AssertionError(
            f"{_running.nodeid} starts {what} but is not marked `{needs}`: tests/conftest.py marks a test by what its "
            f"function, fixtures and helpers refer to; mark this one with @pytest.mark.{needs}"
        )


_WATCHED = frozenset({"tests.live", "subprocess.Popen"})
sys.addaudithook(_audit)
