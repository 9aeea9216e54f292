"""The one module the page packages (`display/`, `citizen/`, `counter_client/`, `supervisor/`) import from the
server: what a page route needs, and nothing else. The server never imports a page package; it finds their routes
through the `queue_server.pages` entry points (pyproject.toml), so the arrows point from the pages to this kit.

Keep it small: a page that needs more of the server should get it here, by name, so this list stays the whole
contract between the server and its pages (import-linter enforces it, see pyproject.toml)."""

from __future__ import annotations

from queue_server.application import validation
from queue_server.application.actions import booking_status, public_status
from queue_server.application.auth import Principal, device_token_refusal
from queue_server.application.context import Context
from queue_server.application.health import DeviceHealth, DeviceRegistry
from queue_server.application.phone_codes import required as verifies_phone
from queue_server.common import addresses
from queue_server.common.colours import readable_pair
from queue_server.common.jsontext import JSONResponse
from queue_server.common.messages import DAYS_ID, MONTHS_ID, format_date, format_datetime
from queue_server.domain.agency_kinds import AGENCY_KINDS
from queue_server.domain.booking import written_code
from queue_server.domain.catalogue import PRIORITY_GROUPS, Screen, Site
from queue_server.domain.model import Ticket
from queue_server.domain.provinces import PROVINCES
from queue_server.domain.refusal import Refusal
from queue_server.supervision.survey import questionnaire
from queue_server.web.error_page import error_page
from queue_server.web.pages import Assets, Pages
from queue_server.web.requests import bearer, config_of, ctx_of, limit_code_lookups, read_json, sites_of
from queue_server.web.websocket import screen_scope

__all__ = [
    "verifies_phone",
    "AGENCY_KINDS",
    "DAYS_ID",
    "MONTHS_ID",
    "PRIORITY_GROUPS",
    "PROVINCES",
    "Refusal",
    "addresses",
    "Assets",
    "Context",
    "DeviceHealth",
    "DeviceRegistry",
    "JSONResponse",
    "Pages",
    "Principal",
    "Screen",
    "Site",
    "Ticket",
    "bearer",
    "booking_status",
    "format_date",
    "format_datetime",
    "limit_code_lookups",
    "config_of",
    "device_token_refusal",
    "error_page",
    "ctx_of",
    "public_status",
    "questionnaire",
    "read_json",
    "readable_pair",
    "screen_scope",
    "sites_of",
    "validation",
    "written_code",
]
