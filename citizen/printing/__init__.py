"""Printed tickets: what a ticket says (slip), how it goes on paper through ESC/POS (escpos_slip, devices), how each
kiosk's printer is configured (config), and how a fault reaches the kiosk screen and the supervisors (health)."""
