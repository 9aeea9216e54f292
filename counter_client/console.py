"""`counter-client`: the keyboard console for one counter, in a terminal (curses; fine in tmux and on a Linux
console), driven with a numeric keypad.

    counter-client http://10.0.0.5:8000 tegal 1 op-disdukcapil            # asks for the password
    COUNTER_PASSWORD=... counter-client http://10.0.0.5:8000 tegal 1 op-disdukcapil --lang en
    printf '%s\n' "$PASSWORD" | counter-client URL tegal 1 op-disdukcapil --password-stdin
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import curses
import getpass
import os
import sys
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from . import keys
from .client import ClientClosed, CommandRefused, Connection, CounterClient, SessionRefused
from .desk import ZERO_WAIT, Desk, Intent, Message
from .news import About, Change
from .screen import Line, render, site_time, site_today
from .texts import LANGS, server_message, t

PASSWORD_ENV = "COUNTER_PASSWORD"  # noqa: S105 - the name of a variable, not a password
TICK_SECONDS = 1.0  # the "served for" clock and the connection countdown move once a second


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="counter-client", description="Konsol operator loket / counter operator console")
    p.add_argument("server", help="server URL, e.g. http://127.0.0.1:8000")
    p.add_argument("site", help="site id, e.g. tegal")
    p.add_argument("counter", help="counter id, e.g. 1")
    p.add_argument("username", help="operator account")
    p.add_argument("--lang", choices=LANGS, default="id", help="id (Bahasa Indonesia, default) or en")
    p.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    return p.parse_args(argv)


def read_password(args: argparse.Namespace) -> str:
    """From stdin when asked, else $COUNTER_PASSWORD, else a prompt (never a command-line argument: it would
    show in the process list)."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if os.environ.get(PASSWORD_ENV):
        return os.environ[PASSWORD_ENV]
    return getpass.getpass(t("start.password", args.lang, user=args.username))


def _keys_from_terminal() -> None:
    """The password came through a pipe; the keys must come from the operator's terminal, not from that pipe
    (curses reads standard input: left on the pipe, every key press would be silently lost)."""
    if sys.stdin.isatty():
        return
    try:
        tty = os.open("/dev/tty", os.O_RDWR)
    except OSError:
        raise SystemExit("counter-client: --password-stdin needs a terminal for the keys (no /dev/tty)") from None
    os.dup2(tty, sys.stdin.fileno())
    os.close(tty)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    password = read_password(args)
    client = CounterClient(args.server, args.site, args.counter, username=args.username, password=password)
    try:
        asyncio.run(_run(client, args.lang))
    except SessionRefused as exc:
        text = exc.message_en if args.lang == "en" else exc.message
        print(t("start.failed", args.lang, message=text), file=sys.stderr)
        raise SystemExit(2) from None
    except KeyboardInterrupt:
        pass


async def _run(client: CounterClient, lang: str) -> None:
    await client.connect()  # refusals are printed plainly, before the screen takes over the terminal
    try:
        _keys_from_terminal()
        with _terminal() as window:
            await Console(window, client, lang).run()
    finally:
        await client.aclose()


@contextlib.contextmanager
def _terminal() -> Iterator[Any]:
    os.environ.setdefault("ESCDELAY", "25")  # a lone Esc should not feel slow
    window = curses.initscr()
    try:
        curses.noecho()
        curses.cbreak()
        window.keypad(True)
        window.nodelay(True)
        with contextlib.suppress(curses.error):
            curses.curs_set(0)
        _init_colours()
        yield window
    finally:
        window.keypad(False)
        curses.nocbreak()
        curses.echo()
        curses.endwin()


_STYLE_COLOURS = {"ok": curses.COLOR_GREEN, "warn": curses.COLOR_YELLOW, "error": curses.COLOR_RED}


def _init_colours() -> None:
    if not curses.has_colors():
        return
    with contextlib.suppress(curses.error):
        curses.start_color()
        curses.use_default_colors()
        for n, colour in enumerate(_STYLE_COLOURS.values(), 1):
            curses.init_pair(n, colour, -1)


def _attr(style: str) -> int:
    attr = {"title": curses.A_BOLD, "big": curses.A_BOLD | curses.A_REVERSE, "dim": curses.A_DIM}.get(style, 0)
    if style in _STYLE_COLOURS and curses.has_colors():
        attr |= curses.color_pair(list(_STYLE_COLOURS).index(style) + 1) | curses.A_BOLD
    return attr


class Console:
    def __init__(self, window: Any, client: CounterClient, lang: str) -> None:
        self.window = window
        self.client = client
        self.lang = lang
        self.desk = Desk(client.view, client.catalogue, today=lambda: site_today(client))
        self.done = asyncio.Event()
        self.tasks: set[asyncio.Task[None]] = set()
        self._redraw_soon = False
        self._told = client.news.count  # the changes made elsewhere already put on the message line (news.py)
        self._said_early: set[int] = set()  # those beyond it said while a command of this console was on its way

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        unsubscribe = self.client.subscribe(self.schedule_redraw)
        unfollow = self.client.follow(self.on_event)
        loop.add_reader(sys.stdin.fileno(), self.on_input)
        try:
            self.draw()
            while not self.done.is_set():
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(TICK_SECONDS):
                        await self.done.wait()
                self.draw()
        finally:
            loop.remove_reader(sys.stdin.fileno())
            unfollow()
            unsubscribe()
            for task in self.tasks:
                task.cancel()

    def on_input(self) -> None:
        batch: list[str | int] = []
        while True:
            try:
                batch.append(self.window.get_wch())
            except curses.error:
                break  # nothing more waiting
        self.desk.offline = self._offline()
        for key in keys.decode(batch):
            if key == keys.RESIZE:
                curses.update_lines_cols()
                self.window.clear()
                continue
            if key == keys.ESCAPE and self.tasks and self._offline():
                self._cancel_waiting()
                continue
            intent = self.desk.press(key, busy=self.client.busy)
            if intent is not None:
                self.send(intent)
        if self.desk.zero_at is not None:  # a lone "0": it acts unless another character follows soon
            asyncio.get_running_loop().call_later(ZERO_WAIT + 0.02, self.zero_due)
        if self.desk.quit:
            self.done.set()
        self.draw()

    def _offline(self) -> bool:
        return self.client.connection is not Connection.CONNECTED or self.client.doubtful

    def _cancel_waiting(self) -> None:
        """Esc while the command waits for the link: it is given up here (the client forgets it and does not send it
        again); if it reached the server before the link broke, its events still show what it did."""
        for task in list(self.tasks):
            task.cancel()
        self.desk.message = Message.of("local.cancelled_offline")

    def zero_due(self) -> None:
        self.desk.offline = self._offline()
        intent = self.desk.due(busy=self.client.busy)
        if intent is not None:
            self.send(intent)
        self.draw()

    def send(self, intent: Intent) -> None:
        self.desk.sending(intent)
        task = asyncio.create_task(self._send(intent))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _send(self, intent: Intent) -> None:
        try:
            result = await self.client.command(intent.command, **intent.fields)
        except (CommandRefused, SessionRefused) as exc:
            self.desk.refused(exc.body)
        except ClientClosed:
            return
        else:
            self.desk.done(intent, result.body)
            if self.desk.message is not None:  # true of what it did: another hand's change replaces it (news.py)
                about = self.client.news.answer_about(intent.command, result.body)
                self.desk.message = replace(self.desk.message, about=about)
        # What another hand did while the command was on its way, and could have been its echo, is said after its
        # answer, on the same line; what was said at once is not said again.
        news = self._news(everything=True)
        if news and self.desk.message is not None:
            self.desk.message = self.desk.message.then(*news)
        self.draw()

    def on_event(self, frame: dict[str, Any], before: str | None) -> None:
        """Every event (and snapshot) as it comes: the message line stays true (news.py, as on the page), and what
        changed by another hand is said at once; only a change that may be the echo of this console's own command on
        its way waits for that command's answer (_send)."""
        message, news = self.desk.message, self.client.news
        if frame.get("type") == "snapshot":
            if message is not None and news.untrue(message.about):
                self.desk.message = None  # changed while the console was away: what happened is not known
        elif message is not None and message.about is not None:
            turn = news.overtaken(frame, message.about, self.client.view.me)
            if turn is None:
                self.desk.message = None
            elif isinstance(turn, Change):
                self.desk.message = self._sentence(turn)
            else:
                self.desk.message = replace(message, about=turn)
        said = self._news(everything=not self.tasks)
        if said:
            line = said[0].then(*said[1:])
            message = self.desk.message
            # "Mengirim …" stays in view: the operator must still see that the command waits for its answer
            self.desk.message = message.then(line) if message is not None and message.sending else line
        view = self.client.view
        if frame.get("type") == "day.closed" and view.state == "closed" and view.day_closed(site_today(self.client)):
            # not "Loket sekarang tutup." (the counter's close, naming nobody, came just before): why, and that it
            # stays so today
            self.desk.message = Message.of("day_closed", reason=view.day_reason())
        self._waiting_news()
        self.desk.recheck()  # a question about what has just changed is withdrawn: its Enter sends nothing now

    def _news(self, everything: bool) -> list[Message]:
        """The changes of this counter made elsewhere that the message line has not said yet, as sentences. Not
        `everything` (a command of this console on its way): those that waited for its answer stay for it."""
        said = [c for c in self.client.news.since(self._told) if c.n not in self._said_early]
        if everything:
            self._told, self._said_early = self.client.news.count, set()
        else:
            said = [c for c in said if not c.held]
            self._said_early.update(c.n for c in said)
        return [self._sentence(c) for c in said]

    def _sentence(self, change: Change) -> Message:
        by = self.client.view.person(change.by) if change.by else ""
        at = change.at  # "pukul 10.02" in Indonesian, "at 10:02" in English, as the server writes a time
        values: dict[str, Any] = {"ticket": change.ticket or "", "by": by}
        if at:
            values.update(time=site_time(self.client, at, "id"), time_en=site_time(self.client, at, "en"))
        return replace(Message.of(change.words, **values), about=change.about)

    def _waiting_news(self) -> None:
        """ "Tidak ada antrean yang menunggu ..." holds only while nobody waits for this counter's services: once
        someone does, the line says so; if they are called elsewhere first, it clears."""
        message = self.desk.message
        if message is None or message.about is None or message.about.key != "waiting":
            return
        now = "some" if any(self.client.view.waiting.values()) else "none"
        if now != message.about.state:
            waiting = replace(Message.of("now.waiting"), about=About("waiting", "some", 0))
            self.desk.message = waiting if now == "some" else None

    def schedule_redraw(self) -> None:
        # Many events can arrive in one burst (a replay): draw once after them.
        if not self._redraw_soon:
            self._redraw_soon = True
            asyncio.get_running_loop().call_soon(self._redraw_now)

    def _redraw_now(self) -> None:
        self._redraw_soon = False
        self.draw()

    def draw(self) -> None:
        self._waiting_news()  # a ticket issued comes as an event, but so does the count that makes it true
        height, width = self.window.getmaxyx()
        lines = render(self.client, self.desk, self.lang, width, height)
        if self.client.refusal is not None and not self.client.removed:  # a removed counter's words are the screen
            lines.append(Line(server_message(self.client.refusal, self.lang), "error"))
        self.window.erase()
        for y, line in enumerate(lines[: height - 1]):
            with contextlib.suppress(curses.error):  # the bottom-right cell cannot be written; harmless
                self.window.addstr(y, 0, line.text[: width - 1], _attr(line.style))
        self.window.noutrefresh()
        curses.doupdate()


if __name__ == "__main__":
    main()
