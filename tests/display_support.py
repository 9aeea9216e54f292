"""Shared helpers for the page tests (no tests here): Debian Chromium through Playwright and waiting on a page (for
every page test), and for the lobby display's: a board page opened on a real server and a realistic hall."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from playwright.async_api import Browser, Page, async_playwright

from queue_server.application.demo import demo_display_token

from .helpers import Server

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]
SIZES = {"1920x1080": (1920, 1080), "1366x768": (1366, 768), "1080x1920": (1080, 1920)}
WAIT_MS = 10_000  # the longest any DOM condition is waited for, unless a test says otherwise

# Makes HTMLMediaElement.play() reject as a browser's autoplay policy does, until a test lifts it.
BLOCK_AUDIO = """
window.__blockAudio = true;
const realPlay = HTMLMediaElement.prototype.play;
HTMLMediaElement.prototype.play = function () {
  if (window.__blockAudio) return Promise.reject(new DOMException("play() needs a user gesture", "NotAllowedError"));
  return realPlay.call(this);
};
"""


def bounded(seconds: float) -> Callable[[F], F]:
    """Ends a test that runs longer than `seconds` (a hung browser or server must not hang the suite)."""

    def wrap(test: F) -> F:
        @functools.wraps(test)
        async def run(*args: Any, **kwargs: Any) -> Any:
            async with asyncio.timeout(seconds):
                return await test(*args, **kwargs)

        return run  # type: ignore[return-value]

    return wrap


async def until(page: Page, js: str, arg: Any = None, timeout_ms: float = WAIT_MS) -> Any:
    """Waits until the page function `js` returns something truthy, and returns it. (page.wait_for_function
    evaluates with eval(), which the board's Content-Security-Policy rightly forbids.)"""
    if isinstance(arg, int | float) and not isinstance(arg, bool) and js.lstrip().startswith("()"):
        # until(page, "() => ...", 30_000) waited the default 10 s, its 30 s taken as the function's argument
        raise TypeError(f"until: {arg!r} given as the argument of a function that takes none; timeout_ms={arg!r}?")
    deadline = asyncio.get_running_loop().time() + timeout_ms / 1000
    while True:
        value = await page.evaluate(js, arg)
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not true within {timeout_ms:g} ms: {js} (arg={arg!r}, last value {value!r})")
        await asyncio.sleep(0.02)


async def until_answered(ask: Callable[[], Awaitable[Any]], what: str, timeout_ms: float = WAIT_MS) -> Any:
    """Asks again (the server's API, for what no page shows) until the answer is truthy, and returns it; `what` says
    what was awaited when it never comes."""
    deadline = asyncio.get_running_loop().time() + timeout_ms / 1000
    while True:
        answer = await ask()
        if answer:
            return answer
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not within {timeout_ms:g} ms: {what} (last answer {answer!r})")
        await asyncio.sleep(0.02)


async def supervisor_sign_in(page: Page, username: str, password: str) -> None:
    """The supervisor pages' sign-in form (dashboard, national view, reports ...)."""
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", password)
    await page.click("#login-form button[type=submit]")


async def hero_shows(page: Page, label: str, timeout_ms: float = WAIT_MS) -> None:
    await until(page, "label => document.getElementById('hero-label').textContent === label", label, timeout_ms)


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


@asynccontextmanager
async def board_page(
    browser: Browser,
    server: Server,
    screen: str = "lobby",
    *,
    token: str | None = None,
    size: tuple[int, int] = (1920, 1080),
    init_script: str | None = None,
    query: str = "",
    wait_live: bool = True,
    before_load: Callable[[Page], None] | None = None,
) -> AsyncIterator[Page]:
    """A board in a fresh browser context, by default connected (its link is 'live')."""
    context = await browser.new_context(viewport={"width": size[0], "height": size[1]})
    try:
        if init_script:
            await context.add_init_script(init_script)
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        if before_load:
            before_load(page)  # e.g. listen to the websocket from its first frame
        token = demo_display_token("tegal", screen) if token is None else token
        await page.goto(f"{server.url}/display/tegal/{screen}{query}#token={token}")
        if wait_live:
            await until(page, "() => document.body.dataset.link === 'live'")
        yield page
        assert not errors, f"errors on the page: {errors}"
    finally:
        await context.close()


async def call_next(server: Server, op: dict[str, str], counter: str) -> dict[str, Any]:
    """The counter finishes its citizen (if it has one) and calls the next; returns the API's answer."""
    done = await server.command(op, counter, "finish")
    assert done.status_code == 200 or done.json()["error"]["code"] == "no_current_ticket", done.text
    r = await server.command(op, counter, "call_next")
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


# A morning in the hall: (operator, counter, service) for counters that open and call.
HALL = [
    ("op-disdukcapil", "1", "ktp"),
    ("op-disdukcapil", "2", "kia"),
    ("op-disdukcapil", "3", "kk"),
    ("op-polres", "5", "skck"),
    ("op-polres", "6", "sim"),
    ("op-samsat", "7", "pkb"),
    ("op-samsat", "8", "stnk"),
    ("op-imigrasi", "9", "paspor_baru"),
    ("op-pajak", "11", "npwp"),
    ("op-bpjs-kesehatan", "13", "jkn_daftar"),
    ("op-bpn", "17", "sertifikat"),
    ("op-dpmptsp", "19", "nib"),
    ("op-bank-jateng", "21", "pbb"),
    ("op-kemenag", "23", "haji"),
]


async def busy_hall(server: Server, waiting_per_service: int = 3) -> dict[str, dict[str, str]]:
    """Every counter of HALL open and serving someone, a few people waiting for each of their services, and some
    earlier calls finished. Returns the operators' headers by account."""
    ops: dict[str, dict[str, str]] = {}
    for account, counter, service in HALL:
        if account not in ops:
            ops[account] = await server.login(account)
        for _ in range(waiting_per_service + 2):
            await server.issue(service)
        assert (await server.command(ops[account], counter, "open")).status_code == 200
        server.clock.advance(seconds=47)  # calls at different minutes, as in a real morning
        await call_next(server, ops[account], counter)
    for account, counter, _service in HALL[:6]:  # a few were served already: their next citizen is called
        server.clock.advance(seconds=47)
        await call_next(server, ops[account], counter)
    return ops


async def read_out(page: Page) -> list[tuple[str, str]]:
    """What Chromium's accessibility tree offers a screen reader now, as (role, name): what it can read out. A modal
    dialog leaves the page behind it out (inert), a live region in it included."""
    cdp = await page.context.new_cdp_session(page)
    try:
        tree = await cdp.send("Accessibility.getFullAXTree")
    finally:
        await cdp.detach()
    return [
        (str(n.get("role", {}).get("value", "")), str(n.get("name", {}).get("value", "")))
        for n in tree["nodes"]
        if not n.get("ignored")
    ]
