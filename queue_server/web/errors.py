"""The one mapping from a refusal to the wire: its HTTP status and body, and its websocket error frame.

Every code of the catalogue (`common/messages.toml`) has a status here, and `tests/test_messages.py` fails when
one has not; the OpenAPI document lists, for every route, the statuses of the codes it may answer.
"""

from __future__ import annotations

from typing import Any

from queue_server.common.jsontext import JSONResponse
from queue_server.common.messages import refusal_messages
from queue_server.domain.refusal import Refusal
from queue_server.live import wire

_BY_STATUS: dict[int, tuple[str, ...]] = {
    400: ("bad_frame", "hello_expected", "http_error", "malformed_json", "unknown_type"),
    401: ("bad_credentials", "unauthenticated", "account_disabled"),
    403: ("forbidden", "not_a_kiosk", "not_your_agency", "not_your_counter", "wrong_screen", "wrong_site"),
    404: (
        "not_found", "unknown_agency", "unknown_announcement", "unknown_booking", "unknown_counter",
        "unknown_screen", "unknown_service", "unknown_site", "unknown_ticket", "unknown_webhook",
        "unknown_dead_letter", "unknown_gateway_test", "unknown_account", "unknown_device", "pairing_code_unknown",
    ),
    405: ("method_not_allowed",),
    408: ("hello_timeout",),  # websocket only
    410: ("pairing_code_expired",),
    # The rules refuse: the request was understood, but the state of the queue does not allow it now.
    409: (
        "account_exists", "not_yourself", "already_called", "already_checked_in", "booking_cancelled",
        "booking_checked_in", "booking_other_site",
        "booking_not_offered", "booking_released", "checkin_too_early", "counter_already_closed",
        "configuration_stale", "counter_already_open", "counter_busy", "counter_in_use", "service_in_use",
        "prefix_in_use", "service_unserved", "service_not_served", "bookings_closed",
        "counter_closed", "counter_paused", "day_closed", "day_already_closed", "day_not_closed",
        "reopen_only_today",
        "duplicate_booking", "phone_booking_limit", "illegal_transition", "no_current_ticket", "not_an_escpos_printer",
        "not_no_show",
        "not_parked",
        "not_served_here", "online_quota_exhausted", "queue_empty", "quota_exhausted", "site_closed", "slot_full",
        "slot_unavailable", "survey_already_answered", "survey_not_allowed", "survey_too_late", "ticket_closed",
        "notify_not_on",
        "notify_unavailable", "phone_code_off", "gateway_missing",
        "site_mirrored", "site_not_mirrored", "uplink_out_of_step", "uplink_forked", "agency_in_use",
        "ticket_changed", "already_serving", "pairing_code_used", "pairing_kind_mismatch",
        "issuing_paused", "issuing_not_paused",
    ),
    413: ("body_too_large",),
    415: ("unsupported_media_type",),
    422: (
        "configuration_invalid", "day_in_future", "duplicate_booking_code", "duplicate_ticket_id", "invalid_field",
        "invalid_idempotency_key", "idempotency_key_reused",
        "invalid_nik", "invalid_phone", "missing_ticket", "not_an_object", "note_too_long", "reason_too_long",
        "period_reversed",
        "period_too_long", "same_service", "unknown_channel", "unknown_priority_group", "invalid_webhook",
        "notify_consent", "uplink_event_invalid", "phone_code_required", "phone_code_wrong", "phone_code_expired",
        "issuing_pause_until_past",
    ),
    # too_slow: websocket only, a client that fell behind; phone_code_site_limit: the site's codes of the hour
    429: ("too_many_requests", "too_slow", "phone_code_site_limit", "pairing_busy"),
    500: ("internal_error",),
    503: ("printer_fault", "storage_unavailable", "sound_unavailable", "phone_code_unavailable", "site_not_served"),
}  # fmt: skip

HTTP_STATUS: dict[str, int] = {code: status for status, codes in _BY_STATUS.items() for code in codes}


def status_of(refusal: Refusal) -> int:
    return HTTP_STATUS.get(refusal.code, 409)


def error_body(refusal: Refusal) -> dict[str, Any]:
    """The error shape shared by HTTP answers and websocket error frames (docs/api.md)."""
    message_id, message_en = refusal_messages(refusal)
    return wire.error_body(refusal.code, message_id, message_en, **refusal.details)


def http_response(refusal: Refusal) -> JSONResponse:
    status = status_of(refusal)
    response = JSONResponse({"error": error_body(refusal)}, status_code=status)
    if status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    if status == 429 and isinstance(refusal.details.get("retry_after"), int):
        response.headers["Retry-After"] = str(refusal.details["retry_after"])
    return response


def error_frame(refusal: Refusal, **extra: Any) -> dict[str, Any]:
    """A websocket error frame: the same body as over HTTP, `details` included, plus the frame's own fields."""
    body = error_body(refusal)
    details = body.pop("details", None)
    frame: dict[str, Any] = {"type": "error", **body, **extra}
    if details:
        frame["details"] = details
    return frame
