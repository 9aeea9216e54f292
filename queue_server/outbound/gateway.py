"""A site's WhatsApp/SMS gateway: the address and JSON body of one message, from the site file's template
(docs/notifications.md shows the shapes of common gateways). The ${VARIABLE}s of the address's query and of the
body's strings (a key, from the server's environment) are filled here, as a message is sent, and nowhere else: the
configuration supervisors read keeps them as written."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from queue_server.domain.catalogue import Gateway

_PLACEHOLDER = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}|\{(?:phone|phone_local|text|message_id)\}")
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def address(gateway: Gateway) -> str:
    """The gateway's URL with the ${VARIABLE}s of its query filled in, each percent-encoded (a key holding & or +
    stays one value)."""
    secrets = dict(gateway.secrets)
    return _VARIABLE.sub(lambda m: quote(secrets.get(m.group(1), ""), safe=""), gateway.url)


def hidden(gateway: Gateway, text: str) -> str:
    """`text` (an error of the HTTP client, which may quote the address) with every secret value put back as its
    ${VARIABLE}: what supervisors read and the log keep never holds one."""
    for name, value in gateway.secrets:
        if value:
            text = text.replace(quote(value, safe=""), f"${{{name}}}").replace(value, f"${{{name}}}")
    return text


def render(gateway: Gateway, phone: str, text: str, message_id: str) -> Any:
    """The body template with {phone} (62812...), {phone_local} (0812...), {text}, {message_id} and the
    ${VARIABLE}s filled in its strings (each string on its own, in one pass: a text with quotes or braces cannot
    break the JSON, and a text holding "{phone}" or "${...}" is not filled in again)."""
    values = {"{phone}": phone, "{phone_local}": "0" + phone[2:] if phone.startswith("62") else phone,
              "{text}": text, "{message_id}": message_id}  # fmt: skip
    values.update((f"${{{name}}}", value) for name, value in gateway.secrets)

    def fill(value: Any) -> Any:
        if isinstance(value, str):
            return _PLACEHOLDER.sub(lambda m: values.get(m.group(0), ""), value)
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fill(v) for v in value]
        return value

    return fill(gateway.body)
