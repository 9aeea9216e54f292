-- 0007: when each device (a TV screen, a kiosk) was last connected, kept across restarts: the Settings page shows
-- it, and a screen not seen since the site opened today raises an alert (application/screen_watch.py).
ALTER TABLE devices ADD COLUMN last_seen_at TEXT;
