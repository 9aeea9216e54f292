"""The one refusal type: whatever refuses a request (a rule of the domain, a check of the application, the web
edge) raises `Refusal` with a stable key and the parameters of its message.

The key names an entry of the message catalogue (`common/messages.toml`), which holds the Indonesian and English
words; the part before the first dot is the code clients see (`invalid_field.date` answers `invalid_field`). How a
code travels (an HTTP status, a websocket error frame) is the web layer's business (`web/errors.py`): nothing
here knows about HTTP. `details` are machine-readable facts sent with the error (the field at fault, the state
found); `params` are what the message needs, and the message may use details too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class Refusal(Exception):
    def __init__(self, key: str, /, *, details: Mapping[str, Any] | None = None, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.details: dict[str, Any] = {k: v for k, v in (details or {}).items() if v is not None}
        self.params = params

    @property
    def code(self) -> str:
        """The stable code a client sees and may act on."""
        return self.key.split(".", 1)[0]

    def __str__(self) -> str:
        facts = {**self.params, **self.details}
        return f"{self.key} {facts}" if facts else self.key
