"""Errors that reach a client: each has a stable code, an Indonesian message and an English one."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    def __init__(self, status: int, code: str, message_id: str, message_en: str, **details: Any) -> None:
        super().__init__(message_en)
        self.status = status
        self.code = code
        self.message_id = message_id
        self.message_en = message_en
        self.details = details


def bad_field(field: str, message_id: str, message_en: str) -> ApiError:
    return ApiError(422, "invalid_field", message_id, message_en, field=field)
