"""JSON text for everything the server writes: websocket frames, API answers and the rows of the event log.

One encoder, orjson: compact UTF-8 (no ASCII escapes, as the standard library's ensure_ascii=False), about ten
times faster than `json.dumps`. A ticket is encoded three times on its way out (event row, ticket row, the
answer), which was ~8 % of the server's time per issued ticket with the standard library.

Reading (`loads`) tries orjson first and falls back to the standard `json` module when orjson refuses the text:
json's error messages name the line and column, which the API passes on to the client, and json reads the few
things orjson refuses (NaN, UTF-16 text), so what is accepted does not change. One difference: orjson reads an
integer beyond 64 bits as a float, and json as an int; no field of the API takes such a number, either is refused.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from starlette.responses import JSONResponse as _StarletteJSONResponse

# Integer keys are written as strings, as `json.dumps` does (a dict keyed by hour, say).
_OPTIONS = orjson.OPT_NON_STR_KEYS


def loads(text: bytes | str) -> Any:
    """Parse JSON text; raises json.JSONDecodeError (or UnicodeDecodeError) with json's message."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        try:
            return json.loads(text)  # for json's message, which says where
        except RecursionError:  # orjson stops at 1,024 levels; json would exhaust the stack on 100,000
            raise json.JSONDecodeError("nested more than 1024 levels deep", "", 0) from None


def dumps(value: Any) -> str:
    return orjson.dumps(value, option=_OPTIONS).decode()


class JSONResponse(_StarletteJSONResponse):
    """Starlette's JSON answer with the same encoder as everything else."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=_OPTIONS)
