"""Every route of the citizen package, mounted by queue_server.app next to the display and counter pages."""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from .booking import booking_page, booking_status_page
from .common import HERE
from .desk import desk_config_route, desk_page
from .kiosk import kiosk_config_route, kiosk_page
from .mobile import ticket_page
from .print_page import print_page
from .printing.routes import kiosk_settings, print_ticket, save_kiosk_settings, test_print
from .qr import booking_qr, ticket_qr

ROUTES: list[BaseRoute] = [
    Route("/kiosk/{site}", kiosk_page, methods=["GET"]),
    Route("/kiosk/{site}/config", kiosk_config_route, methods=["GET"]),
    Route("/t/{token}", ticket_page, methods=["GET"]),
    Route("/booking/{site}", booking_page, methods=["GET"]),
    Route("/b/{code}", booking_status_page, methods=["GET"]),
    Route("/desk/{site}", desk_page, methods=["GET"]),
    Route("/desk/{site}/config", desk_config_route, methods=["GET"]),
    Route("/citizen/print/{token}", print_page, methods=["GET"]),
    Route("/citizen/qr/t/{token}.svg", ticket_qr, methods=["GET"]),
    Route("/citizen/qr/b/{code}.svg", booking_qr, methods=["GET"]),
    Route("/citizen/api/{site}/kiosk", kiosk_settings, methods=["GET"]),
    Route("/citizen/api/{site}/kiosk", save_kiosk_settings, methods=["PUT"]),
    Route("/citizen/api/{site}/print", print_ticket, methods=["POST"]),
    Route("/citizen/api/{site}/print-test", test_print, methods=["POST"]),
    Mount("/static/citizen", StaticFiles(directory=HERE / "static"), name="citizen-static"),
]
