"""Raw terminal input to the keys an operator pressed (pure).

A numeric keypad does not always send plain digits: once a curses program turns on "keypad" mode, most
terminals (xterm, tmux, the Linux console) switch the keypad to *application* mode, where KP 5 sends ESC O u
and KP Enter sends ESC O M. Curses knows some of these from terminfo and not others, so both forms are decoded
here, and the console works the same with the keypad, the main keyboard, NumLock on or off.
"""

from __future__ import annotations

import curses
from collections.abc import Iterable

ENTER = "enter"
BACKSPACE = "backspace"
ESCAPE = "escape"
F8 = "f8"
F9 = "f9"
F10 = "f10"
RESIZE = "resize"

# ESC O <x>: the VT100/xterm application keypad.
_APP_KEYPAD = {
    **{chr(ord("p") + n): str(n) for n in range(10)},
    "n": ".",
    "k": "+",
    "m": "-",
    "j": "*",
    "o": "/",
    "M": ENTER,
    "l": "+",  # the VT100 keypad "," sits where a PC keypad has "+"
}
# ESC [ <n> ~ : function keys, when terminfo did not name them.
_CSI_TILDE = {"19": F8, "20": F9, "21": F10}
# Keys curses already named.
_CURSES = {
    curses.KEY_ENTER: ENTER,
    curses.KEY_BACKSPACE: BACKSPACE,
    curses.KEY_DC: BACKSPACE,
    curses.KEY_F8: F8,
    curses.KEY_F9: F9,
    curses.KEY_F10: F10,
    curses.KEY_RESIZE: RESIZE,
    # the keypad corners and centre, as some terminfo entries describe them
    curses.KEY_A1: "7",
    curses.KEY_A3: "9",
    curses.KEY_B2: "5",
    curses.KEY_C1: "1",
    curses.KEY_C3: "3",
}
_CONTROL = {"\n": ENTER, "\r": ENTER, "\b": BACKSPACE, "\x7f": BACKSPACE}


def decode(inputs: Iterable[str | int]) -> list[str]:
    """One batch of get_wch() results (everything that was waiting) as key names or single characters.

    get_wch() gives a str for a character and an int for a key curses named. An escape sequence arrives in one
    batch, so an ESC at the end of a batch is the Esc key itself.
    """
    items = list(inputs)
    keys: list[str] = []
    i = 0
    while i < len(items):
        item = items[i]
        i += 1
        if isinstance(item, int):
            if item in _CURSES:
                keys.append(_CURSES[item])
            continue  # mouse, unknown function keys: ignored
        if item in _CONTROL:
            keys.append(_CONTROL[item])
        elif item == "\x1b":
            key, i = _escape(items, i)
            if key:
                keys.append(key)
        elif item.isprintable():
            keys.append(item)
    return keys


def _escape(items: list[str | int], i: int) -> tuple[str | None, int]:
    if i >= len(items) or not isinstance(items[i], str):
        return ESCAPE, i
    intro = items[i]
    if intro == "O" and i + 1 < len(items):
        following = items[i + 1]
        return (_APP_KEYPAD.get(following) if isinstance(following, str) else None), i + 2
    if intro == "[":
        j = i + 1
        while j < len(items) and not (isinstance(items[j], str) and "@" <= str(items[j]) <= "~"):
            j += 1
        params = "".join(str(c) for c in items[i + 1 : j])
        final = items[j] if j < len(items) else ""
        return (_CSI_TILDE.get(params) if final == "~" else None), j + 1
    return ESCAPE, i  # Esc followed by an ordinary key: both count
