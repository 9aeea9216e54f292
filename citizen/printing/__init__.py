"""Printed tickets: what a ticket says (slip), how it goes on paper through ESC/POS (escpos_slip, devices), how each
kiosk's printer is configured (config), and how a fault reaches the kiosk screen and the supervisors (health)."""

import logging as _logging

# python-escpos calls logging.basicConfig() when imported (escpos/capabilities.py), which puts a handler of its own
# on the root logger: every server log line then came out twice, once untimed ("INFO:queue_server..."). Imported
# here first, and that handler taken off again, so the server's own log format (settings/logformat.py) holds.
_before = list(_logging.getLogger().handlers)
import escpos.capabilities  # noqa: E402, F401 - for the side effect undone below

for _handler in [h for h in _logging.getLogger().handlers if h not in _before]:
    _logging.getLogger().removeHandler(_handler)
