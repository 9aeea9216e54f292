"""The OpenAPI 3.1 document for /api/v1/. Kept beside the routes; tests check that every route is in it."""

from __future__ import annotations

import copy
from typing import Any

from queue_server import __version__
from queue_server.application.actions import COUNTER_COMMANDS, TICKET_ACTIONS
from queue_server.domain.booking import Booking
from queue_server.domain.catalogue import CHANNELS, PRIORITY_GROUPS
from queue_server.domain.model import CounterStatus, Ticket
from queue_server.domain.snapshot import json_schema
from queue_server.outbound.payloads import EVENT_TYPES
from queue_server.supervision.national import SORTS as NATIONAL_SORTS
from queue_server.supervision.national_ikm import GROUPS as NATIONAL_IKM_GROUPS
from queue_server.supervision.national_ikm import SORTS as NATIONAL_IKM_SORTS
from queue_server.web.errors import HTTP_STATUS

ERROR = {"$ref": "#/components/schemas/Error"}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _ok(description: str, status: str = "200", schema: dict[str, Any] | None = None) -> dict[str, Any]:
    body = schema or {"type": "object"}
    return {status: {"description": description, "content": {"application/json": {"schema": body}}}}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


# The refusals an operation may answer beyond those its shape implies (see `declare_errors`): the rules of the
# domain it runs, by (path, method). The statuses come from web/errors.py, the one mapping.
COMMAND = ("storage_unavailable", "idempotency_key_reused", "site_mirrored")
NUMBER = ("notify_unavailable", "notify_consent", "invalid_phone")  # a number left for messages
ISSUING = (
    "unknown_service",
    "unknown_priority_group",
    "unknown_channel",
    "quota_exhausted",
    "day_closed",
    "site_closed",
    "forbidden",
    "invalid_idempotency_key",
    "duplicate_ticket_id",
    "service_not_served",
    *COMMAND,
)
COUNTER_RULES = (
    "unknown_counter",
    "not_parked",
    "unknown_ticket",
    "counter_paused",
    "counter_closed",
    "counter_busy",
    "counter_already_open",
    "counter_already_closed",
    "no_current_ticket",
    "queue_empty",
    "not_served_here",
    "already_called",
    "not_no_show",
    "illegal_transition",
    "ticket_changed",
    "already_serving",
    "not_your_agency",
    "same_service",
    "service_not_served",
    "note_too_long",
    "reason_too_long",
    "missing_ticket",
    *COMMAND,
)
OPERATION_REFUSALS: dict[tuple[str, str], tuple[str, ...]] = {
    ("/api/v1/auth/login", "post"): ("bad_credentials",),
    ("/api/v1/sites/{site}/announcements/{seq}.wav", "get"): ("unknown_announcement",),
    ("/api/v1/sites/{site}/announcements/sample", "post"): (
        "configuration_invalid", "invalid_field", "sound_unavailable", "body_too_large", "not_an_object",
    ),
    ("/api/v1/sites/{site}/bookings/slots", "get"): ("unknown_service", "too_many_requests"),
    ("/api/v1/sites/{site}/bookings", "post"): (
        "unknown_service", "invalid_nik", "invalid_phone", "booking_not_offered", "slot_unavailable",
        "duplicate_booking", "phone_booking_limit", "online_quota_exhausted", "slot_full", "duplicate_booking_code",
        "service_not_served",
        "too_many_requests",
        "notify_unavailable", "phone_code_required", "phone_code_wrong", "phone_code_expired", *COMMAND,
    ),
    ("/api/v1/sites/{site}/bookings/phone-code", "post"): (
        "invalid_phone", "phone_code_off", "phone_code_unavailable", "too_many_requests", "phone_code_site_limit",
        "invalid_field",
        "not_an_object",
    ),
    ("/api/v1/sites/{site}/bookings/{code}/check-in", "post"): (
        "unknown_booking", "booking_other_site", "checkin_too_early", "booking_released", "already_checked_in",
        "booking_cancelled", "day_closed", "site_closed", *ISSUING,
    ),
    ("/api/v1/sites/{site}/bookings/{code}/check-in", "get"): (
        "unknown_booking", "booking_other_site", "checkin_too_early", "booking_released", "already_checked_in",
        "booking_cancelled", "day_closed", "site_closed", "service_not_served", "too_many_requests",
    ),
    ("/api/v1/bookings/{code}", "get"): ("unknown_booking",),
    ("/api/v1/bookings/{code}/cancel", "post"): (
        "unknown_booking", "booking_checked_in", "booking_released", "booking_cancelled", *COMMAND,
    ),
    ("/api/v1/sites/{site}/tickets", "post"): (*ISSUING, "issuing_paused", *NUMBER),
    ("/api/v1/tickets/{token}/notify", "post"): ("unknown_ticket", "ticket_closed", "too_many_requests", *NUMBER),
    ("/api/v1/tickets/{token}/notify", "delete"): ("unknown_ticket", "notify_not_on"),
    ("/api/v1/sites/{site}/webhooks", "post"): ("invalid_webhook", "unknown_agency", "site_mirrored"),
    ("/api/v1/sites/{site}/webhooks/{endpoint}", "delete"): ("unknown_webhook",),
    ("/api/v1/sites/{site}/webhooks/{endpoint}/rotate", "post"): ("unknown_webhook",),
    ("/api/v1/sites/{site}/deliveries/resend", "post"): ("unknown_dead_letter",),
    ("/api/v1/sites/{site}/gateway/test", "post"): ("invalid_phone", "gateway_missing", "too_many_requests"),
    ("/api/v1/sites/{site}/gateway/test/{message}", "get"): ("unknown_gateway_test",),
    ("/api/v1/sites/{site}/accounts", "post"): ("account_exists",),
    ("/api/v1/sites/{site}/accounts/{username}", "patch"): ("unknown_account", "not_yourself"),
    ("/api/v1/sites/{site}/accounts/{username}", "delete"): ("unknown_account", "not_yourself"),
    ("/api/v1/sites/{site}/device-tokens", "post"): ("unknown_screen", "site_mirrored"),
    ("/api/v1/sites/{site}/device-tokens/{device}", "patch"): ("unknown_device",),
    ("/api/v1/sites/{site}/device-tokens/{device}/revoke", "post"): ("unknown_device",),
    ("/api/v1/sites/{site}/pairing", "post"): ("unknown_screen", "site_mirrored", "too_many_requests", "pairing_busy"),
    ("/api/v1/sites/{site}/pairing", "get"): ("unauthenticated", "pairing_code_expired"),
    ("/api/v1/pairing", "post"): ("too_many_requests", "pairing_busy"),
    ("/api/v1/pairing", "get"): ("unauthenticated", "pairing_code_expired"),
    ("/api/v1/sites/{site}/device-tokens/pair", "post"): (
        "pairing_code_unknown", "pairing_code_expired", "pairing_code_used", "pairing_kind_mismatch", "unknown_screen",
        "unknown_device", "site_mirrored", "too_many_requests",
    ),
    ("/api/v1/sites/{site}/device-tokens/pair/lookup", "post"): (
        "pairing_code_unknown", "pairing_code_expired", "pairing_code_used", "site_mirrored", "too_many_requests",
    ),
    ("/api/v1/sites/{site}/configuration", "put"): (
        "configuration_invalid", "configuration_stale", "service_in_use", "counter_in_use", "agency_in_use",
        "prefix_in_use", "service_unserved", "bookings_closed", *COMMAND,
    ),
    ("/api/v1/sites/{site}/tickets/{ticket}", "get"): ("unknown_ticket",),
    ("/api/v1/sites/{site}/tickets/{ticket}/actions", "post"): COUNTER_RULES,
    ("/api/v1/sites/{site}/tickets/{ticket}/reprint", "post"): ("unknown_ticket", "ticket_closed"),
    ("/api/v1/sites/{site}/counters/{counter}/commands", "post"): COUNTER_RULES,
    ("/api/v1/sites/{site}/close-day", "post"): ("day_in_future", *COMMAND),
    ("/api/v1/sites/{site}/reopen-day", "post"): ("reopen_only_today", "day_not_closed", *COMMAND),
    ("/api/v1/sites/{site}/pause-issuing", "post"): (
        "unknown_service", "unknown_agency", "not_your_agency", "issuing_pause_until_past", "invalid_field", *COMMAND,
    ),
    ("/api/v1/sites/{site}/resume-issuing", "post"): (
        "unknown_service", "unknown_agency", "not_your_agency", "issuing_not_paused", "invalid_field", *COMMAND,
    ),
    ("/api/v1/sites/{site}/dashboard", "get"): ("unknown_agency",),
    ("/api/v1/national", "get"): ("period_reversed", "period_too_long"),
    ("/api/v1/national.csv", "get"): ("period_reversed", "period_too_long"),
    ("/api/v1/national/ikm", "get"): ("period_reversed", "period_too_long"),
    ("/api/v1/national/ikm.csv", "get"): ("period_reversed", "period_too_long"),
    ("/api/v1/sites/{site}/reports", "get"): ("period_reversed", "period_too_long", "unknown_agency"),
    ("/api/v1/sites/{site}/reports.csv", "get"): ("period_reversed", "period_too_long", "unknown_agency"),
    ("/api/v1/sites/{site}/reports/charts/{chart}.svg", "get"): (
        "not_found", "period_reversed", "period_too_long", "unknown_agency", "unknown_service",
    ),
    ("/api/v1/sites/{site}/ikm", "get"): ("period_reversed", "period_too_long", "unknown_agency", "unknown_service"),
    ("/api/v1/sites/{site}/ikm.csv", "get"): (
        "period_reversed", "period_too_long", "unknown_agency", "unknown_service",
    ),
    ("/api/v1/sites/{site}/audit", "get"): ("period_reversed", "period_too_long"),
    ("/api/v1/sites/{site}/tickets/{ticket}/survey", "post"): (
        "unknown_ticket", "survey_not_allowed", "survey_too_late", "survey_already_answered", "not_your_agency",
        "site_mirrored",
    ),
    ("/api/v1/tickets/{token}/survey", "get"): ("unknown_ticket",),
    ("/api/v1/tickets/{token}/survey", "post"): (
        "unknown_ticket", "survey_not_allowed", "survey_too_late", "survey_already_answered", "site_mirrored",
    ),
    ("/api/v1/tickets/{token}", "get"): ("unknown_ticket",),
    ("/api/v1/tickets/{token}/cancel", "post"): ("unknown_ticket", "illegal_transition", *COMMAND),
    ("/api/v1/sites/{site}/uplink", "post"): (
        "site_not_mirrored", "uplink_out_of_step", "uplink_forked", "uplink_event_invalid", "storage_unavailable",
    ),
    ("/api/v1/sites/{site}/uplink/surveys", "post"): ("site_not_mirrored",),
    # public, but a kiosk polling with a revoked (or unknown) device token is told so at its next poll
    ("/api/v1/sites/{site}/today", "get"): ("unauthenticated",),
}  # fmt: skip
BODY_REFUSALS = ("malformed_json", "body_too_large", "unsupported_media_type", "not_an_object", "invalid_field")


def refusals_of(path: str, method: str, operation: dict[str, Any]) -> list[str]:
    """Every code an operation may answer: what its shape implies (a site in the path, a token to check, a body
    or query to validate) plus the rules it runs (OPERATION_REFUSALS)."""
    codes: list[str] = []
    if "{site}" in path:
        codes.append("unknown_site")
    if operation.get("security"):
        codes += ["unauthenticated", "forbidden"]
    if "requestBody" in operation:
        codes += BODY_REFUSALS
    if any(p.get("in") == "query" for p in operation.get("parameters", [])):
        codes.append("invalid_field")
    codes += OPERATION_REFUSALS.get((path, method), ())
    return list(dict.fromkeys(codes))


def declare_errors(paths: dict[str, Any]) -> None:
    """Each operation's error responses, one per status, naming the codes that status may carry. A page package's
    operation lists its own codes as `x-refusals`."""
    for path, operations in paths.items():
        for method, operation in operations.items():
            by_status: dict[int, list[str]] = {}
            for code in refusals_of(path, method, operation) + list(operation.pop("x-refusals", [])):
                by_status.setdefault(HTTP_STATUS[code], []).append(code)
            for status, codes in sorted(by_status.items()):
                operation["responses"][str(status)] = {
                    "description": "Refused: " + ", ".join(f"`{code}`" for code in codes),
                    "content": {"application/json": {"schema": {"type": "object", "properties": {"error": ERROR}}}},
                }


SITE = {"name": "site", "in": "path", "required": True, "schema": {"type": "string"}}
COUNTER = {"name": "counter", "in": "path", "required": True, "schema": {"type": "string"}}
TICKET = {
    "name": "ticket",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "A ticket id, or today's label such as A-012",
}
TOKEN = {
    "name": "token",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "The ticket's public token (from its QR code)",
}
NOTIFY = {
    "type": "object",
    "description": "WhatsApp/SMS messages about this ticket (docs/notifications.md); the number is kept encrypted "
    "until the day ends and never answered back",
    "required": ["phone", "consent"],
    "properties": {
        "phone": {"type": "string", "description": "an Indonesian mobile number: 0812..., +62 812..."},
        "lang": {"type": "string", "enum": ["id", "en"]},
        "consent": {"type": "boolean", "const": True},
    },
}
USERNAME = {"name": "username", "in": "path", "required": True, "schema": {"type": "string"}}
DEVICE = {"name": "device", "in": "path", "required": True, "schema": {"type": "integer"}}
ACCOUNT: dict[str, Any] = {
    "type": "object",
    "required": ["username", "display_name", "role", "password"],
    "properties": {
        "username": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$"},
        "display_name": {"type": "string", "maxLength": 80},
        "role": {"type": "string", "enum": ["operator", "supervisor"]},
        "agency": {"type": "string", "description": "operators only: an agency of the site"},
        "password": {"type": "string", "minLength": 8},
    },
}
ACCOUNT_CHANGE: dict[str, Any] = {
    "type": "object",
    "properties": {
        **{k: v for k, v in ACCOUNT["properties"].items() if k != "username"},
        "active": {"type": "boolean"},
    },
}
WEBHOOK = {"name": "endpoint", "in": "path", "required": True, "schema": {"type": "string"}}
COMMAND_ID = {
    "type": "string",
    "pattern": "^[A-Za-z0-9._:-]{8,80}$",
    "description": "Makes a retry harmless: the same id returns the first answer and changes nothing",
}
BOOKING_CODE = {
    "name": "code",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "A booking code such as BK-7Q3M2X",
}
SECURED: list[dict[str, list[str]]] = [{"bearer": []}]
PERIOD_Q = [
    {"name": "from", "in": "query", "required": False, "schema": {"type": "string", "format": "date"},
     "description": "First local day (default today)"},
    {"name": "to", "in": "query", "required": False, "schema": {"type": "string", "format": "date"},
     "description": "Last local day, inclusive (default: from); at most 366 days in all"},
]  # fmt: skip
REGION_Q = [
    {"name": "province", "in": "query", "required": False, "schema": {"type": "string"},
     "description": "Only the malls of this province (its two-digit Kemendagri code), or `-`: those naming none"},
    {"name": "q", "in": "query", "required": False, "schema": {"type": "string", "maxLength": 80},
     "description": "Only the malls whose name, regency or site id holds this, any case"},
]  # fmt: skip
NATIONAL_Q = [
    {"name": "from", "in": "query", "required": False, "schema": {"type": "string", "format": "date"},
     "description": "First local day of the IKM's period (default: the first of the month of `to`)"},
    {"name": "to", "in": "query", "required": False, "schema": {"type": "string", "format": "date"},
     "description": "Last local day, inclusive (default: today in `tz`); at most 366 days in all"},
    {"name": "tz", "in": "query", "required": False, "schema": {"type": "string", "maxLength": 64},
     "description": "The reader's time zone (IANA), where a default period ends; default: the malls' zone when they "
                    "share one, else Asia/Jakarta"},
    {"name": "sort", "in": "query", "required": False,
     "schema": {"type": "string", "enum": list(NATIONAL_SORTS), "default": "waiting"}},
    {"name": "order", "in": "query", "required": False, "schema": {"type": "string", "enum": ["asc", "desc"]},
     "description": "Default: desc (asc when sorting by name or province); a mall without a value comes last"},
    *REGION_Q,
]  # fmt: skip
NATIONAL_IKM_Q = [
    *NATIONAL_Q[:3],
    {"name": "by", "in": "query", "required": False,
     "schema": {"type": "string", "enum": list(NATIONAL_IKM_GROUPS), "default": "site"}},
    {"name": "sort", "in": "query", "required": False,
     "schema": {"type": "string", "enum": list(NATIONAL_IKM_SORTS), "default": "ikm"}},
    {"name": "order", "in": "query", "required": False, "schema": {"type": "string", "enum": ["asc", "desc"]},
     "description": "Default: desc (asc when sorting by name); a group without respondents comes last"},
    *REGION_Q,
]  # fmt: skip
AGENCY_Q = {"name": "agency", "in": "query", "required": False, "schema": {"type": "string"}}
SERVICE_Q = {"name": "service", "in": "query", "required": False, "schema": {"type": "string"}}
CSV_Q = [
    {"name": "excel", "in": "query", "required": False,
     "schema": {"type": "string", "enum": ["0", "1"], "default": "0"},
     "description": "1: as an Indonesian office opens it in Excel (semicolons, decimal commas, a BOM, hours as 08.00, "
                    "column names in `lang`); 0: the stable CSV for scripts"},
    {"name": "lang", "in": "query", "required": False,
     "schema": {"type": "string", "enum": ["id", "en"], "default": "id"},
     "description": "The language of the Excel variant's column names"},
]  # fmt: skip
SURVEY_BODY = _body(
    {
        "type": "object",
        "required": ["answers"],
        "properties": {
            "answers": {
                "type": "array",
                "items": {"type": "integer", "minimum": 1, "maximum": 4},
                "minItems": 9,
                "maxItems": 9,
                "description": "One answer per element (unsur), in the order of PermenPANRB 14/2017",
            }
        },
    }
)


def openapi_document(page_paths: dict[str, Any] | None = None) -> dict[str, Any]:
    """The document: the server's own paths and those of the installed page packages (`page_paths`)."""
    paths: dict[str, Any] = {
        "/healthz": {"get": {"summary": "Liveness and basic counters", "responses": _ok("Server is up")}},
        "/api/v1/openapi.json": {"get": {"summary": "This document", "responses": _ok("OpenAPI 3.1")}},
        "/api/v1/auth/login": {
            "post": {
                "summary": "Sign in with username and password; returns a bearer token",
                "requestBody": _body(
                    {
                        "type": "object",
                        "required": ["username", "password"],
                        "properties": {"username": {"type": "string"}, "password": {"type": "string"}},
                    }
                ),
                "responses": _ok("A session token and the signed-in user"),
            }
        },
        "/api/v1/auth/logout": {
            "post": {"summary": "End this session", "security": SECURED, "responses": _ok("Signed out")}
        },
        "/api/v1/me": {
            "get": {"summary": "Who this token belongs to", "security": SECURED, "responses": _ok("The principal")}
        },
        "/api/v1/sites": {"get": {"summary": "Sites hosted by this server", "responses": _ok("Site list")}},
        "/api/v1/sites/{site}": {
            "get": {
                "summary": "A site's catalogue: agencies, services, counters, screens, hours",
                "parameters": [SITE],
                "responses": _ok("Site configuration"),
            }
        },
        "/api/v1/sites/{site}/today": {
            "get": {
                "summary": "Today's state (closed?), why no ticket can be taken now, when opening hours next open or "
                "close the site, the server's time, the configuration's version and whether "
                "WhatsApp/SMS messages can be offered now (the gateway not paused): a kiosk's poll. Public; sent with "
                "a device token that is revoked or unknown, refused 401 (`details.device_token`: `refused`)",
                "parameters": [SITE],
                "responses": _ok("Today"),
            }
        },
        "/api/v1/sites/{site}/waits": {
            "get": {
                "summary": "Each service's wait for a ticket taken now (people ahead, a range, or no counter open), "
                "its walk-in quota left today, and why no ticket can be issued now (null: it can)",
                "parameters": [SITE],
                "responses": _ok("Waits now"),
            }
        },
        "/api/v1/sites/{site}/state": {
            "get": {
                "summary": "Live state: counters, open tickets today, waiting counts, recent calls",
                "parameters": [SITE],
                "security": SECURED,
                "responses": _ok("Live state"),
            }
        },
        "/api/v1/sites/{site}/announcements/{seq}.wav": {
            "get": {
                "summary": "The spoken call of a ticket.called or ticket.recalled event: one WAV, chime + words",
                "parameters": [
                    SITE,
                    {"name": "seq", "in": "path", "required": True, "schema": {"type": "integer"}},
                    {"name": "zone", "in": "query", "schema": {"type": "string", "enum": ["1"]}},
                    {"name": "brief", "in": "query", "schema": {"type": "string", "enum": ["1"]}},
                ],
                "responses": {"200": {"description": "audio/wav"}},
            }
        },
        "/api/v1/sites/{site}/announcements/sample": {
            "post": {
                "summary": "A sample call (A-123 at the site's first counter) said with the announcement settings "
                "given, not saved: the WAV the lobby TVs would play, repeats included (admins; the site's "
                "supervisors). Settings a save would refuse are refused with the same problems",
                "parameters": [SITE],
                "security": SECURED,
                "requestBody": _body(
                    {
                        "type": "object",
                        "required": ["announcements"],
                        "properties": {
                            "announcements": {"type": "object", "description": "[announcements] of the site file"},
                            "ticket": {"type": "string", "pattern": "^[A-Z]{1,3}-[0-9]{1,4}$", "default": "A-123"},
                        },
                    }
                ),
                "responses": {"200": {"description": "audio/wav"}},
            }
        },
        "/api/v1/sites/{site}/bookings/slots": {
            "get": {
                "summary": "Booking slots of a service on a day, with capacity and places left (public)",
                "parameters": [
                    SITE,
                    {"name": "service", "in": "query", "required": True, "schema": {"type": "string"}},
                    {"name": "day", "in": "query", "required": True, "schema": {"type": "string", "format": "date"}},
                ],
                "responses": _ok("Slots"),
            }
        },
        "/api/v1/sites/{site}/bookings": {
            "post": {
                "summary": "Book a slot online (public): one booking per NIK per service per day",
                "parameters": [SITE],
                "requestBody": _body(
                    {
                        "type": "object",
                        "required": ["service", "day", "slot", "nik", "phone"],
                        "properties": {
                            "service": {"type": "string"},
                            "day": {"type": "string", "format": "date"},
                            "slot": {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"},
                            "nik": {"type": "string", "description": "16 digits; stored only as a keyed hash"},
                            "phone": {"type": "string"},
                            "phone_code": {
                                "type": "string",
                                "description": "the 6-digit code sent to the number (POST .../bookings/phone-code), "
                                "where the site verifies numbers; not needed for 30 minutes with the phone_proof the "
                                "booking that used it was answered with",
                            },
                            "phone_proof": {
                                "type": "string",
                                "description": "the phone_proof a booking of the same number that gave the right code "
                                "was answered with (or refused with, details.phone_proof): books without a code for "
                                "30 minutes",
                            },
                            "notify": {
                                "type": "boolean",
                                "description": "the citizen agrees to a confirmation and reminders at this number",
                            },
                            "lang": {"type": "string", "enum": ["id", "en"]},
                        },
                    }
                ),
                "responses": _ok("The booking with its code and check-in window", "201"),
            }
        },
        "/api/v1/sites/{site}/bookings/phone-code": {
            "post": {
                "summary": "Send a one-time code to the number a citizen books with (public; sites with a gateway)",
                "parameters": [SITE],
                "requestBody": _body(
                    {
                        "type": "object",
                        "required": ["phone"],
                        "properties": {"phone": {"type": "string"}, "lang": {"type": "string", "enum": ["id", "en"]}},
                    }
                ),
                "responses": _ok("The masked number the code went to, its expiry and when it may be sent again", "201"),
            }
        },
        "/api/v1/sites/{site}/bookings/{code}/check-in": {
            "post": {
                "summary": "Check a booking in at the kiosk or desk: issues its ticket",
                "parameters": [SITE, BOOKING_CODE],
                "security": SECURED,
                "requestBody": {
                    **_body(
                        {
                            "type": "object",
                            "properties": {"priority": {"type": "string", "enum": list(PRIORITY_GROUPS)}},
                        }
                    ),
                    "required": False,  # a check-in without a priority group sends none
                },
                "responses": _ok("The ticket (as when issuing) and the booking", "201"),
            },
            "get": {
                "summary": "Whether a booking can be checked in now (the kiosk, before its priority question); "
                "changes nothing",
                "parameters": [SITE, BOOKING_CODE],
                "security": SECURED,
                "responses": _ok(
                    "The booking's code, service, day, slot and state (never its phone), and `again` when the "
                    "check-in would answer the ticket it made already; else the check-in's own refusal"
                ),
            },
        },
        "/api/v1/bookings/{code}": {
            "get": {
                "summary": "A booking's status (public; never the NIK)",
                "parameters": [BOOKING_CODE],
                "responses": _ok("The booking"),
            }
        },
        "/api/v1/bookings/{code}/cancel": {
            "post": {
                "summary": "Cancel a booking (public, by its code)",
                "parameters": [BOOKING_CODE],
                "responses": _ok("The cancelled booking"),
            }
        },
        "/api/v1/sites/{site}/devices": {
            "get": {
                "summary": "Connected screens and their health (connected, audio ready/blocked, last call)",
                "parameters": [SITE],
                "security": SECURED,
                "responses": _ok("Devices"),
            }
        },
        "/api/v1/sites/{site}/tickets": {
            "post": {
                "summary": "Issue a ticket (kiosk device token or staff)",
                "parameters": [
                    SITE,
                    {"name": "Idempotency-Key", "in": "header", "required": False, "schema": COMMAND_ID},
                ],
                "security": SECURED,
                "requestBody": _body(
                    {
                        "type": "object",
                        "required": ["service"],
                        "properties": {
                            "service": {"type": "string"},
                            "priority": {
                                "type": "string",
                                "enum": list(PRIORITY_GROUPS),
                            },
                            "channel": {"type": "string", "enum": list(CHANNELS)},
                            "notify": NOTIFY,
                        },
                    }
                ),
                "responses": _ok("The ticket, people ahead and estimated wait", "201"),
            }
        },
        "/api/v1/sites/{site}/tickets/{ticket}": {
            "get": {
                "summary": "A ticket as staff see it",
                "parameters": [SITE, TICKET],
                "security": SECURED,
                "responses": _ok("The ticket", schema=_ref("Ticket")),
            }
        },
        "/api/v1/sites/{site}/tickets/{ticket}/reprint": {
            "post": {
                "summary": "Print a lost slip again: today's open ticket by its number, with its link (audited)",
                "parameters": [SITE, TICKET],
                "security": SECURED,
                "responses": _ok("The ticket, its token and the print page's path"),
            }
        },
        "/api/v1/sites/{site}/tickets/{ticket}/actions": {
            "post": {
                "summary": "Cancel, requeue (late arrival) or transfer a ticket",
                "parameters": [SITE, TICKET],
                "security": SECURED,
                "requestBody": _body(
                    {
                        "type": "object",
                        "required": ["action"],
                        "properties": {
                            "action": {"type": "string", "enum": list(TICKET_ACTIONS)},
                            "target_service": {"type": "string"},
                            "note": {"type": "string", "maxLength": 200},
                            "reason": {"type": "string", "maxLength": 200},
                            "command_id": COMMAND_ID,
                        },
                    }
                ),
                "responses": _ok("The changed tickets"),
            }
        },
        "/api/v1/sites/{site}/counters/{counter}/commands": {
            "post": {
                "summary": "A counter command: open, resume, pause, close, call_next, call, recall, start, finish, "
                "no_show, requeue, transfer, park, unpark",
                "parameters": [SITE, COUNTER],
                "security": SECURED,
                "requestBody": _body(
                    {
                        "type": "object",
                        "required": ["command"],
                        "properties": {
                            "command": {
                                "type": "string",
                                "enum": list(COUNTER_COMMANDS),
                            },
                            "command_id": COMMAND_ID,
                            "ticket": {
                                "type": "string",
                                "maxLength": 40,
                                "description": "call, requeue, unpark: the ticket to act on (id or today's label). "
                                "recall, start, finish, no_show, park, transfer (optional): the counter's ticket as "
                                "the operator saw it; 409 ticket_changed when the counter holds another one or none",
                            },
                            "target_service": {"type": "string"},
                            "note": {"type": "string", "maxLength": 200},
                        },
                    }
                ),
                "responses": _ok("The counter and its ticket after the command"),
            }
        },
        "/api/v1/sites/{site}/close-day": {
            "post": {
                "summary": "Close the service day: unserved tickets expire, counters close",
                "parameters": [SITE],
                "security": SECURED,
                "requestBody": _body(
                    {
                        "type": "object",
                        "properties": {
                            "day": {"type": "string", "format": "date"},
                            "reason": {
                                "type": "string",
                                "maxLength": 120,
                                "description": "shown to citizens, as a pause's reason; refused when it names a "
                                "citizen",
                            },
                            "command_id": COMMAND_ID,
                        },
                    }
                ),
                "responses": _ok("How many tickets expired"),
            }
        },
        "/api/v1/sites/{site}/reopen-day": {
            "post": {
                "summary": "Open today again, closed by mistake (supervisor; audited): its expired tickets wait again "
                "at their old places, issuing resumes; counters stay closed until opened",
                "parameters": [SITE],
                "security": SECURED,
                "requestBody": _body(
                    {
                        "type": "object",
                        "properties": {"day": {"type": "string", "format": "date"}, "command_id": COMMAND_ID},
                    }
                ),
                "responses": _ok("How many tickets came back (`restored`)"),
            }
        },
        "/api/v1/sites/{site}/dashboard": {
            "get": {
                "summary": "Live dashboard figures now: per service, counter and display, and active alerts",
                "parameters": [SITE, AGENCY_Q],
                "security": SECURED,
                "responses": _ok("Dashboard figures (also pushed as `dashboard` notices over the websocket)"),
            }
        },
        "/api/v1/sites/{site}/uplink": {
            "get": {
                "summary": "A mirrored mall's own server (an uplink token): where this server's copy of its log ends",
                "parameters": [
                    SITE,
                    {
                        "name": "newest",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "integer", "minimum": 0},
                        "description": "Where the box's own log ends",
                    },
                    {
                        "name": "fingerprint",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string"},
                        "description": "Of the box's event `newest`: equal to the copy's end, the copy is complete",
                    },
                    {
                        "name": "protocol",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "integer", "minimum": 0},
                        "description": "What the box speaks (3 from this release): the fingerprint answered is of it",
                    },
                    {
                        "name": "screens",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string"},
                        "description": "The mall's screens with a display connected at the box, comma-separated "
                        "site-file ids (empty: none); the national view and the mall's dashboard here count them",
                    },
                ],
                "security": SECURED,
                "responses": _ok(
                    "`after`: the seq of the mall's log its next batch continues from; `fingerprint` of that event; "
                    "`mirrored`; `surveys`; `protocol`"
                ),
            },
            "post": {
                "summary": "A mirrored mall's own server (an uplink token) sends the next events of its log, "
                "applied as they are; a batch that does not continue from `after` changes nothing (409)",
                "parameters": [SITE],
                "security": SECURED,
                "requestBody": _body(
                    {
                        "type": "object",
                        "required": ["after", "events"],
                        "properties": {
                            "after": {"type": "integer", "minimum": 0},
                            "events": {
                                "type": "array",
                                "minItems": 1,
                                "maxItems": 1000,
                                "items": {
                                    "type": "object",
                                    "required": ["seq", "type", "site", "at", "data"],
                                    "properties": {
                                        "seq": {"type": "integer", "minimum": 1},
                                        "type": {"type": "string"},
                                        "site": {"type": "string"},
                                        "at": {"type": "string", "format": "date-time"},
                                        "data": {"type": "object"},
                                    },
                                },
                            },
                        },
                    }
                ),
                "responses": _ok("`accepted` events; `after`: the new end of the copy"),
            },
        },
        "/api/v1/sites/{site}/uplink/surveys": {
            "post": {
                "summary": "A mirrored mall's own server (an uplink token) sends survey answers given there; one "
                "already kept here is left as it is",
                "parameters": [SITE],
                "security": SECURED,
                "requestBody": _body(
                    {
                        "type": "object",
                        "required": ["answers"],
                        "properties": {
                            "answers": {"type": "array", "minItems": 1, "maxItems": 500, "items": {"type": "object"}}
                        },
                    }
                ),
                "responses": _ok(
                    "`received`; `refused` (index, ticket, why: each answer refused alone); `ahead`; `newest`: the "
                    "newest answer kept here (answered_at, ticket)"
                ),
            }
        },
        "/api/v1/sites/{site}/running-text": {
            "post": {
                "summary": "Set the running text of every display of the site (supervisor; audited)",
                "parameters": [SITE],
                "security": SECURED,
                "requestBody": _body(
                    {
                        "type": "object",
                        "required": ["text"],
                        "properties": {"text": {"type": "string", "maxLength": 500}, "command_id": COMMAND_ID},
                    }
                ),
                "responses": _ok("The running text as stored"),
            }
        },
        "/api/v1/sites/{site}/pause-issuing": {
            "post": {
                "summary": "Stop issuing tickets of a service, or of every service of an agency, for the rest of "
                "today, with why (supervisor, or an operator for their own agency; audited). Waiting tickets stay "
                "and can be called; the kiosk and the waiting citizens' phones show the reason",
                "parameters": [SITE],
                "security": SECURED,
                "requestBody": _body(
                    {
                        "type": "object",
                        "required": ["reason"],
                        "properties": {
                            "service": {"type": "string"},
                            "agency": {"type": "string", "description": "instead of `service`: all its services"},
                            "reason": {
                                "type": "string",
                                "maxLength": 120,
                                "description": "shown to citizens; refused when it names a citizen",
                            },
                            "until": {
                                "type": "string",
                                "pattern": "^[0-2][0-9]:[0-5][0-9]$",
                                "description": "expected to resume at (local time today), optional",
                            },
                            "command_id": COMMAND_ID,
                        },
                    }
                ),
                "responses": _ok(
                    "The services paused today after the change (`paused`: service -> reason, since, until)"
                ),
            }
        },
        "/api/v1/sites/{site}/resume-issuing": {
            "post": {
                "summary": "Issue tickets of a paused service (or of every paused service of an agency) again "
                "(supervisor, or an operator for their own agency; audited)",
                "parameters": [SITE],
                "security": SECURED,
                "requestBody": _body(
                    {
                        "type": "object",
                        "properties": {
                            "service": {"type": "string"},
                            "agency": {"type": "string"},
                            "command_id": COMMAND_ID,
                        },
                    }
                ),
                "responses": _ok("The services still paused today (`paused`)"),
            }
        },
        "/api/v1/sites/{site}/configuration": {
            "get": {
                "summary": "The site's configuration as administrators edit it: the site file's structure as JSON, "
                "its version, and whether the web or the site file made it (admins; the site's supervisors)",
                "parameters": [SITE],
                "security": SECURED,
                "responses": _ok(
                    "`version`, `source` (`file` or `web`), `document`, `warnings`, and `alerts`: each alert "
                    "threshold in force with its default and bounds (`value`, `default`, `low`, `high`); "
                    "`running_text_max`: the running text's longest, spaces folded"
                ),
            },
            "put": {
                "summary": "Replace the configuration (admins; the site's supervisors): checked as a site file is, "
                "refused if someone changed it since `version` or if it removes what is in use, applied live to "
                "every screen and counter (`site.configured`), audited",
                "parameters": [SITE],
                "security": SECURED,
                "requestBody": _body(
                    {
                        "type": "object",
                        "required": ["version", "document"],
                        "properties": {
                            "version": {"type": "integer", "minimum": 0},
                            "document": {"type": "object", "description": "the site file (docs/site-file.md) as JSON"},
                            "cancel_bookings": {
                                "type": "integer",
                                "minimum": 0,
                                "description": "the number of bookings a `bookings_closed` refusal named: confirms "
                                "that the bookings the change leaves at a time the mall is closed are cancelled by the "
                                "mall (their citizens told)",
                            },
                        },
                    }
                ),
                "responses": _ok(
                    "The new `version`, the `changes` by name (`+` added, `-` removed, `~` changed), "
                    "`changes_text`, the same in words per language (`id`, `en`), and `bookings_cancelled`"
                ),
            },
        },
        "/api/v1/sites/{site}/accounts": {
            "get": {
                "summary": "Staff accounts of the site an admin (operators, supervisors) or a supervisor (operators) "
                "may manage; never a password",
                "parameters": [SITE],
                "security": SECURED,
                "responses": _ok("`accounts`: username, display_name, role, agency, active"),
            },
            "post": {
                "summary": "Add an account (audited)",
                "parameters": [SITE],
                "security": SECURED,
                "requestBody": _body(ACCOUNT),
                "responses": _ok("The account", "201"),
            },
        },
        "/api/v1/sites/{site}/accounts/{username}": {
            "patch": {
                "summary": "Change name, role or agency, set a new password (signs it out everywhere), or disable / "
                "enable it (`active`); in effect at its next request and on its open websockets (audited)",
                "parameters": [SITE, USERNAME],
                "security": SECURED,
                "requestBody": _body(ACCOUNT_CHANGE),
                "responses": _ok("The account"),
            },
            "delete": {
                "summary": "Remove an account (its sessions end; the audit log keeps its name)",
                "parameters": [SITE, USERNAME],
                "security": SECURED,
                "responses": _ok("Removed"),
            },
        },
        "/api/v1/sites/{site}/device-tokens": {
            "get": {
                "summary": "The site's device tokens (TV screens, kiosks), revoked ones too, with whether each is "
                "connected now and when it was last seen; never a token",
                "parameters": [SITE],
                "security": SECURED,
                "responses": _ok("`devices`: id, kind, name, screen, created_at, revoked_at, connected, last_seen_at"),
            },
            "post": {
                "summary": "Register a device: its token is answered once, with the page `path` to open on it",
                "parameters": [SITE],
                "security": SECURED,
                "requestBody": _body(
                    {
                        "type": "object",
                        "required": ["kind", "name"],
                        "properties": {
                            "kind": {"type": "string", "enum": ["display", "kiosk"]},
                            "name": {"type": "string", "maxLength": 80},
                            "screen": {"type": "string", "description": "a screen of the site (displays only)"},
                        },
                    }
                ),
                "responses": _ok("`device`, `token` (shown once) and `path`", "201"),
            },
        },
        "/api/v1/sites/{site}/device-tokens/pair": {
            "post": {
                "summary": "Pair the TV or kiosk showing a code (admin or supervisor; audited): a new device entry "
                "(`kind`, `name`, `screen`) or an existing one (`device`, which takes the device's token in place of "
                "its own); the device starts by itself. At most 10 codes a minute per account",
                "parameters": [SITE],
                "security": SECURED,
                "requestBody": _body(
                    {
                        "type": "object",
                        "required": ["code"],
                        "properties": {
                            "code": {
                                "type": "string",
                                "description": "the 6 letters and digits the device shows, "
                                "e.g. ACD-EFH (case, spaces and the hyphen do not matter)",
                            },
                            "device": {"type": "integer", "description": "an existing TV or kiosk entry of the site"},
                            "kind": {"type": "string", "enum": ["display", "kiosk"]},
                            "name": {"type": "string", "maxLength": 80},
                            "screen": {"type": "string", "description": "a screen of the site (displays only)"},
                        },
                    }
                ),
                "responses": _ok("`device`, the page `path` the device opens, and `replaced`; never the token", "201"),
            }
        },
        "/api/v1/sites/{site}/device-tokens/pair/lookup": {
            "post": {
                "summary": "What a typed pairing code is, before pairing it (admin or supervisor): the page that "
                "asked for it, a TV of `screen` or a kiosk (`kind` null: a code of /perangkat, any kind). Counted "
                "with the codes typed (10 a minute per account)",
                "parameters": [SITE],
                "security": SECURED,
                "requestBody": _body(
                    {"type": "object", "required": ["code"], "properties": {"code": {"type": "string"}}}
                ),
                "responses": _ok("`code`, `kind`, `screen`, `expires_at`"),
            }
        },
        "/api/v1/sites/{site}/pairing": {
            "post": {
                "summary": "A TV's or kiosk's page without a token asks for a pairing code (public; at most 10 a "
                "minute per address), saying what it is (`kind`, and a TV its `screen`): the `code` to show, the "
                "`token` it keeps to itself (it signs nothing in until an admin pairs the code), `expires_at`, "
                "`poll_seconds` and the words to show (`says`)",
                "parameters": [SITE],
                "requestBody": _body(
                    {
                        "type": "object",
                        "properties": {
                            "kind": {"type": "string", "enum": ["display", "kiosk"]},
                            "screen": {"type": "string", "description": "the TV page's screen (displays only)"},
                        },
                    }
                ),
                "responses": _ok("The code and the waiting token", "201"),
            },
            "get": {
                "summary": "The waiting page asks, with its token as the bearer, whether it is paired: `paired`, and "
                "once it is, the `path` of the page to open (with the token in its fragment)",
                "parameters": [SITE],
                "responses": _ok(
                    "`paired`, and `path`, `kind`, `name`, `screen` once paired; else `code`, `expires_at`"
                ),
            },
        },
        "/api/v1/pairing": {
            "post": {
                "summary": "The start address of any new TV or kiosk (/perangkat) asks for a pairing code of no mall "
                "yet (public; counted with the device pages' codes, at most 10 a minute per address): as "
                "`POST /api/v1/sites/{site}/pairing` answers; any mall's admin or supervisor may pair it",
                "requestBody": _body({"type": "object"}),
                "responses": _ok("The code and the waiting token", "201"),
            },
            "get": {
                "summary": "The start page asks, with its token as the bearer, whether it is paired: `paired`, and "
                "once it is, the `path` of the page the pairing mall made it (with the token in its fragment)",
                "responses": _ok(
                    "`paired`, and `path`, `kind`, `name`, `screen` once paired; else `code`, `expires_at`"
                ),
            },
        },
        "/api/v1/sites/{site}/device-tokens/{device}": {
            "patch": {
                "summary": "Rename a device (audited)",
                "parameters": [SITE, DEVICE],
                "security": SECURED,
                "requestBody": _body(
                    {
                        "type": "object",
                        "required": ["name"],
                        "properties": {"name": {"type": "string", "maxLength": 80}},
                    }
                ),
                "responses": _ok("The device"),
            }
        },
        "/api/v1/sites/{site}/device-tokens/{device}/revoke": {
            "post": {
                "summary": "Revoke a device: refused at its next request, its websockets closed, on every process",
                "parameters": [SITE, DEVICE],
                "security": SECURED,
                "responses": _ok("The device, revoked"),
            }
        },
        "/api/v1/sites/{site}/configuration/site-file": {
            "get": {
                "summary": "The current configuration as a site file (TOML) to keep in git (admins; supervisors)",
                "parameters": [SITE],
                "security": SECURED,
                "responses": _ok("application/toml"),
            }
        },
        "/api/v1/sites/{site}/reports": {
            "get": {
                "summary": "Report over local days: per agency, service, counter, operator; waits; arrivals by hour",
                "parameters": [SITE, *PERIOD_Q, AGENCY_Q],
                "security": SECURED,
                "responses": _ok("The report (durations in seconds)"),
            }
        },
        "/api/v1/sites/{site}/reports.csv": {
            "get": {
                "summary": "The report as CSV (durations in minutes)",
                "parameters": [SITE, *PERIOD_Q, AGENCY_Q, *CSV_Q],
                "security": SECURED,
                "responses": {"200": {"description": "text/csv"}},
            }
        },
        "/api/v1/sites/{site}/reports/charts/{chart}.svg": {
            "get": {
                "summary": "A report chart drawn by the server: arrivals, days, waits or ikm",
                "parameters": [
                    SITE,
                    {
                        "name": "chart",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "enum": ["arrivals", "days", "waits", "ikm"]},
                    },
                    *PERIOD_Q,
                    AGENCY_Q,
                    {"name": "lang", "in": "query", "required": False, "schema": {"enum": ["id", "en"]}},
                ],
                "security": SECURED,
                "responses": {"200": {"description": "image/svg+xml"}},
            }
        },
        "/api/v1/national": {
            "get": {
                "summary": "Every mall the caller sees, one row each, with totals (admins; regional accounts)",
                "description": "Per mall: waiting now, longest current wait (seconds), served today, counters open "
                "of all, screens with no display connected of all, today's quota used (tickets issued over the "
                "daily quotas of the services that have one; null without quotas) and the IKM of the period; a mall "
                "mirrored here, how its copy keeps up (`uplink`). Totals: sums, the longest wait of all, quota and "
                "IKM over the summed figures, the mirrored malls held back. See docs/api.md.",
                "parameters": NATIONAL_Q,
                "security": SECURED,
                "responses": _ok("generated_at, period, sort, order, province, q, provinces, sites, totals"),
            }
        },
        "/api/v1/national.csv": {
            "get": {
                "summary": "The national view as CSV: one line per mall, then the totals",
                "parameters": [*NATIONAL_Q, *CSV_Q],
                "security": SECURED,
                "responses": {"200": {"description": "text/csv"}},
            }
        },
        "/api/v1/national/ikm": {
            "get": {
                "summary": "The ministry's IKM report: the index of a period per mall, province or kind of agency",
                "description": "Each group's respondents, NRR per element, index, grade, citizens served and the "
                "regulation's sample; the total over every answer; the agencies with no kind. See docs/api.md.",
                "parameters": NATIONAL_IKM_Q,
                "security": SECURED,
                "responses": _ok(
                    "generated_at, period, by, sort, order, provinces, elements, rows, total, unclassified"
                ),
            }
        },
        "/api/v1/national/ikm.csv": {
            "get": {
                "summary": "The ministry's IKM report as CSV",
                "parameters": [*NATIONAL_IKM_Q, *CSV_Q],
                "security": SECURED,
                "responses": {"200": {"description": "text/csv"}},
            }
        },
        "/api/v1/sites/{site}/ikm": {
            "get": {
                "summary": "Satisfaction index (IKM, PermenPANRB 14/2017) per site, agency and service over a period",
                "parameters": [
                    SITE,
                    *PERIOD_Q,
                    AGENCY_Q,
                    SERVICE_Q,
                ],
                "security": SECURED,
                "responses": _ok("NRR per element, IKM, converted score, grade, respondents"),
            }
        },
        "/api/v1/sites/{site}/ikm.csv": {
            "get": {
                "summary": "The satisfaction index as CSV",
                "parameters": [SITE, *PERIOD_Q, AGENCY_Q, SERVICE_Q, *CSV_Q],
                "security": SECURED,
                "responses": {"200": {"description": "text/csv"}},
            }
        },
        "/api/v1/tickets/{token}/notify": {
            "post": {
                "summary": "A citizen asks for WhatsApp/SMS messages about their ticket (public, by token; kiosks "
                "and desks with their own token)",
                "parameters": [TOKEN],
                "requestBody": _body(NOTIFY),
                "responses": _ok("Messages on; the number shown masked"),
            },
            "delete": {
                "summary": "A citizen stops the messages about their ticket: consent withdrawn, the number deleted "
                "at once (public, by token)",
                "parameters": [TOKEN],
                "responses": _ok("Messages off"),
            },
        },
        "/api/v1/sites/{site}/webhooks": {
            "get": {
                "summary": "The site's webhook endpoints, never their secrets (admins)",
                "parameters": [SITE],
                "security": SECURED,
                "responses": _ok("Endpoints: id, url, events, agency, active"),
            },
            "post": {
                "summary": "Add a signed webhook endpoint (admins); its secret is answered once",
                "parameters": [SITE],
                "security": SECURED,
                "requestBody": _body(
                    {
                        "type": "object",
                        "required": ["url", "events"],
                        "properties": {
                            "url": {"type": "string", "format": "uri"},
                            "events": {
                                "oneOf": [
                                    {"type": "array", "items": {"type": "string", "enum": list(EVENT_TYPES)}},
                                    {"type": "string", "enum": ["*"]},
                                ]
                            },
                            "agency": {"type": "string"},
                            "description": {"type": "string"},
                            "secret": {"type": "string", "minLength": 24},
                        },
                    }
                ),
                "responses": _ok("The endpoint and its secret (shown once)", "201"),
            },
        },
        "/api/v1/sites/{site}/webhooks/{endpoint}": {
            "delete": {
                "summary": "Remove an endpoint (admins); its waiting messages are not sent",
                "parameters": [SITE, WEBHOOK],
                "security": SECURED,
                "responses": _ok("The endpoint, inactive"),
            }
        },
        "/api/v1/sites/{site}/webhooks/{endpoint}/rotate": {
            "post": {
                "summary": "Give an endpoint a new secret (admins), answered once; the old one stops at once",
                "parameters": [SITE, WEBHOOK],
                "security": SECURED,
                "responses": _ok("The endpoint and its new secret"),
            }
        },
        "/api/v1/sites/{site}/deliveries": {
            "get": {
                "summary": "Messages out per endpoint and the gateway: sent, waiting, retrying, failed, last error",
                "parameters": [SITE],
                "security": SECURED,
                "responses": _ok("One row per endpoint"),
            }
        },
        "/api/v1/sites/{site}/deliveries/dead": {
            "get": {
                "summary": "Messages given up after their last try (dead letters), newest first",
                "parameters": [
                    SITE,
                    {"name": "endpoint", "in": "query", "required": False, "schema": {"type": "string"}},
                ],
                "security": SECURED,
                "responses": _ok("Dead letters: id, endpoint, kind, tries, last error"),
            }
        },
        "/api/v1/sites/{site}/deliveries/resend": {
            "post": {
                "summary": "Send dead letters again, one ({message}) or every one of an endpoint ({endpoint})",
                "parameters": [SITE],
                "security": SECURED,
                "requestBody": _body(
                    {
                        "type": "object",
                        "properties": {"message": {"type": "string"}, "endpoint": {"type": "string"}},
                    }
                ),
                "responses": _ok("How many were put back in line"),
            }
        },
        "/api/v1/sites/{site}/gateway/test": {
            "post": {
                "summary": "Check the WhatsApp/SMS gateway (admins): one test message to the number given, queued",
                "parameters": [SITE],
                "security": SECURED,
                "requestBody": _body(
                    {
                        "type": "object",
                        "required": ["phone"],
                        "properties": {"phone": {"type": "string"}, "lang": {"type": "string", "enum": ["id", "en"]}},
                    }
                ),
                "responses": _ok("Its id, the number masked, and its state (as the GET)", "202"),
            }
        },
        "/api/v1/sites/{site}/gateway/test/{message}": {
            "get": {
                "summary": "A test message's state: queued, retrying, sent, dead or skipped, with the problem's words",
                "parameters": [SITE, {"name": "message", "in": "path", "required": True, "schema": {"type": "string"}}],
                "security": SECURED,
                "responses": _ok("Its state, tries, last error in words and as text, whether the gateway is paused"),
            }
        },
        "/api/v1/sites/{site}/audit": {
            "get": {
                "summary": "The audit log of privileged actions, newest first (admins; supervisors of the site)",
                "parameters": [
                    SITE,
                    *PERIOD_Q,
                    {
                        "name": "limit",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "integer", "minimum": 1, "maximum": 1000},
                    },
                    {"name": "before", "in": "query", "required": False, "schema": {"type": "integer"}},
                ],
                "security": SECURED,
                "responses": _ok("Audit entries: who, role, action, target, details, when, event seq"),
            }
        },
        "/api/v1/sites/{site}/tickets/{ticket}/survey": {
            "post": {
                "summary": "Survey answers from the tablet at the counter, for a served ticket (staff of its agency)",
                "parameters": [SITE, TICKET],
                "security": SECURED,
                "requestBody": SURVEY_BODY,
                "responses": _ok("Stored", "201"),
            }
        },
        "/api/v1/tickets/{token}/survey": {
            "get": {
                "summary": "Whether this ticket may answer the survey, and the nine questions (public, by token)",
                "parameters": [TOKEN],
                "responses": _ok("Survey status and questions"),
            },
            "post": {
                "summary": "The citizen answers the survey once the ticket is served (public, by token)",
                "parameters": [TOKEN],
                "requestBody": SURVEY_BODY,
                "responses": _ok("Stored", "201"),
            },
        },
        "/api/v1/tickets/{token}": {
            "get": {
                "summary": "A ticket's public status (what the citizen's phone shows)",
                "parameters": [TOKEN],
                "responses": _ok("Public status: state, counter, people ahead, estimated wait"),
            }
        },
        "/api/v1/tickets/{token}/cancel": {
            "post": {
                "summary": "The citizen cancels their own ticket",
                "parameters": [TOKEN],
                "responses": _ok("The cancelled ticket"),
            }
        },
    }
    paths.update(copy.deepcopy(page_paths or {}))
    declare_errors(paths)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "MPP queue server",
            "version": __version__,
            "description": "Tickets, counters and live state of a Mal Pelayanan Publik. See docs/api.md.",
        },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A session token (s_...) or a device token (d_...)",
                }
            },
            "schemas": {
                # The snapshots as each audience sees them, derived from their field declarations.
                "Ticket": json_schema(Ticket, "staff"),
                "PublicTicket": json_schema(Ticket, "public"),
                "Counter": json_schema(CounterStatus, "staff"),
                "PublicCounter": json_schema(CounterStatus, "public"),
                "Booking": json_schema(Booking, "staff"),
                "Error": {
                    "type": "object",
                    "required": ["code", "message", "message_en"],
                    "properties": {
                        "code": {"type": "string"},
                        "message": {"type": "string", "description": "Indonesian"},
                        "message_en": {"type": "string"},
                        "details": {"type": "object"},
                    },
                },
            },
        },
    }
