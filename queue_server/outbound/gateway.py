"""A site's WhatsApp/SMS gateway: the JSON body of one message, from the site file's template
(docs/notifications.md shows the shapes of two common gateways)."""

from __future__ import annotations

import re
from typing import Any

from queue_server.domain.catalogue import Gateway

_PLACEHOLDER = re.compile(r"\{(?:phone|phone_local|text|message_id)\}")


def render(gateway: Gateway, phone: str, text: str, message_id: str) -> Any:
    """The body template with {phone} (62812...), {phone_local} (0812...), {text} and {message_id} filled in its
    strings (each string on its own: a text with quotes or braces cannot break the JSON)."""
    values = {"{phone}": phone, "{phone_local}": "0" + phone[2:] if phone.startswith("62") else phone,
              "{text}": text, "{message_id}": message_id}  # fmt: skip

    def fill(value: Any) -> Any:
        if isinstance(value, str):  # one pass: a text that holds "{phone}" is not filled in again
            return _PLACEHOLDER.sub(lambda m: values[m.group(0)], value)
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fill(v) for v in value]
        return value

    return fill(gateway.body)
