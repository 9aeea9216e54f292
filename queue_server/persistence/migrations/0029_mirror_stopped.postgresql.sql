-- 0029 for PostgreSQL, as the SQLite one.
-- 0029: when a mirrored mall's box said it was stopping (a clean stop: its last heartbeat, `?stopping=1`): the
-- national view shows the mall stopped, with the time, at once, until the box is heard from again, rather than
-- "connected" for 3 minutes and then "not heard from" (application/mirror_watch.py).
ALTER TABLE mirror_status ADD COLUMN IF NOT EXISTS stopped_at TEXT;
