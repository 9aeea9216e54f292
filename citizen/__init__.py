"""Citizen and front-office channels: the self-service kiosk, printed tickets (browser print and ESC/POS), the
mobile ticket page, online booking pages and the staff desk. Everything here talks to the queue server through
its public API; the rules stay in queue_server.domain."""
