"""Checking client input before it reaches the domain: types, sizes and allowed names, with messages that say
which field is wrong and how to fix it."""

from __future__ import annotations

import re
from typing import Any

from queue_server.common.errors import ApiError, bad_field

COMMAND_ID = re.compile(r"^[A-Za-z0-9._:-]{8,80}$")


def require_object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ApiError(
            422, "not_an_object", "Isi permintaan harus objek JSON.", "The request body must be a JSON object."
        )
    return value


def text(
    body: dict[str, Any], key: str, *, required: bool = True, max_len: int = 80, choices: tuple[str, ...] | None = None
) -> str | None:
    value = body.get(key)
    if value is None:
        if required:
            raise bad_field(key, f"Kolom '{key}' wajib diisi.", f"The field '{key}' is required.")
        return None
    if not isinstance(value, str):
        raise bad_field(key, f"Kolom '{key}' harus berupa teks.", f"The field '{key}' must be a string.")
    if len(value) > max_len:
        raise bad_field(
            key,
            f"Kolom '{key}' paling panjang {max_len} karakter.",
            f"The field '{key}' may be at most {max_len} characters.",
        )
    if choices is not None and value not in choices:
        raise bad_field(
            key,
            f"Kolom '{key}' harus salah satu dari: {', '.join(choices)}.",
            f"The field '{key}' must be one of: {', '.join(choices)}.",
        )
    return value


def required_text(body: dict[str, Any], key: str, **kwargs: Any) -> str:
    value = text(body, key, required=True, **kwargs)
    assert value is not None
    return value


def only(body: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise bad_field(
            unknown[0],
            f"Kolom tidak dikenal: {', '.join(unknown)}. Yang boleh: {', '.join(sorted(allowed))}.",
            f"Unknown field(s): {', '.join(unknown)}. Allowed: {', '.join(sorted(allowed))}.",
        )


def command_id(body: dict[str, Any], key: str = "command_id", *, required: bool = False) -> str | None:
    value = text(body, key, required=required, max_len=80)
    if value is not None and not COMMAND_ID.match(value):
        raise bad_field(
            key,
            f"'{key}' harus 8-80 karakter huruf, angka, '.', '_', ':' atau '-' (misalnya UUID).",
            f"'{key}' must be 8-80 letters, digits, '.', '_', ':' or '-' (a UUID works).",
        )
    return value
