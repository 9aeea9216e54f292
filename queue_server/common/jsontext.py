"""JSON text for everything the server writes: websocket frames, API answers and the rows of the event log.

One encoder, orjson: compact UTF-8 (no ASCII escapes, as the standard library's ensure_ascii=False), about ten
times faster than `json.dumps`. A ticket is encoded three times on its way out (event row, ticket row, the
answer), which was ~8 % of the server's time per issued ticket with the standard library.

Reading (`loads`) tries orjson first and falls back to the standard `json` module when orjson refuses the text:
json's error messages name the line and column, which the API passes on to the client, and json reads the few
things orjson refuses (NaN, UTF-16 text), so what is accepted does not change. One difference: orjson reads an
integer beyond 64 bits as a float, and json as an int; no field of the API takes such a number, either is refused.
A lone UTF-16 surrogate escape (`"\ud800"`), which json reads and orjson does not, is refused too: such a string is
not text, and could not be written out again (it made an answer that quoted it fail).
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson
from starlette.responses import JSONResponse as _StarletteJSONResponse

# Integer keys are written as strings, as `json.dumps` does (a dict keyed by hour, say).
_OPTIONS = orjson.OPT_NON_STR_KEYS


_SURROGATE = re.compile("[\ud800-\udfff]")


def loads(text: bytes | str) -> Any:
    """Parse JSON text; raises json.JSONDecodeError (or UnicodeDecodeError), both ValueErrors, with json's message."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        try:
            value = json.loads(text)  # for json's message, which says where
        except RecursionError:  # orjson stops at 1,024 levels; json would exhaust the stack on 100,000
            raise json.JSONDecodeError("nested more than 1024 levels deep", "", 0) from None
        if _lone_surrogate(value):
            raise json.JSONDecodeError("a string holds a lone UTF-16 surrogate (\\ud800-\\udfff)", "", 0) from None
        return value


def _lone_surrogate(value: Any) -> bool:
    """Whether any string (a key or a value) holds one; iterative, as deep as json read."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def dumps(value: Any) -> str:
    return orjson.dumps(value, option=_OPTIONS).decode()


class JSONResponse(_StarletteJSONResponse):
    """Starlette's JSON answer with the same encoder as everything else."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=_OPTIONS)
