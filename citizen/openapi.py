"""The citizen package's JSON endpoints in the server's OpenAPI document (served at /api/v1/openapi.json; found
through the `queue_server.openapi` entry point). `x-refusals` names the codes each may answer beyond what its
shape implies; the server turns them into statuses with its one mapping."""

from __future__ import annotations

from typing import Any

_SITE = {"name": "site", "in": "path", "required": True, "schema": {"type": "string"}}
_KIOSK: list[dict[str, list[str]]] = [{"bearer": []}]
_KIOSK_REFUSALS = ["unauthenticated", "not_a_kiosk", "wrong_site"]
_JSON_OK = {"content": {"application/json": {"schema": {"type": "object"}}}}


def _body(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    schema = {"type": "object", "properties": properties, "required": required}
    return {"required": True, "content": {"application/json": {"schema": schema}}}


PRINTER = {
    "type": "object",
    "description": "mode (browser, network, usb, file), host, port, device, ... (docs/citizen.md)",
}

PATHS: dict[str, Any] = {
    "/citizen/api/{site}/kiosk": {
        "get": {
            "summary": "This kiosk's settings: its printer, the public address and the QR base (kiosk token)",
            "parameters": [_SITE],
            "security": _KIOSK,
            "responses": {"200": {"description": "The settings", **_JSON_OK}},
            "x-refusals": _KIOSK_REFUSALS,
        },
        "put": {
            "summary": "Change a kiosk's printer and public address (a supervisor or admin of the site, with the "
            "kiosk named by X-Kiosk-Token)",
            "parameters": [_SITE],
            "security": _KIOSK,
            "requestBody": _body({"printer": PRINTER, "public_url": {"type": "string"}}, []),
            "responses": {"200": {"description": "The settings as stored", **_JSON_OK}},
            "x-refusals": [*_KIOSK_REFUSALS, "forbidden"],
        },
    },
    "/citizen/api/{site}/print": {
        "post": {
            "summary": "Print (or reprint) a ticket on this kiosk's ESC/POS printer, by the ticket's token",
            "parameters": [_SITE],
            "security": _KIOSK,
            "requestBody": _body({"token": {"type": "string"}}, ["token"]),
            "responses": {"200": {"description": "Printed: the label and the printer", **_JSON_OK}},
            "x-refusals": [*_KIOSK_REFUSALS, "unknown_ticket", "not_an_escpos_printer", "printer_fault"],
        },
    },
    "/citizen/api/{site}/print-test": {
        "post": {
            "summary": "Print a test slip with the saved printer or the one given (a supervisor or admin)",
            "parameters": [_SITE],
            "security": _KIOSK,
            "requestBody": _body({"printer": PRINTER}, []),
            "responses": {"200": {"description": "Printed", **_JSON_OK}},
            "x-refusals": [*_KIOSK_REFUSALS, "forbidden", "not_an_escpos_printer", "printer_fault"],
        },
    },
}
