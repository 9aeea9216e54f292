-- 0004 for PostgreSQL: which screens have a display connected, per server process, so that "screens down" (the
-- national view) counts the displays connected to every process, not only to the one answering. Each process
-- rewrites its own rows every few seconds (application/presence.py); rows not refreshed for a while are those of
-- a process that stopped, and are ignored.
CREATE TABLE IF NOT EXISTS screen_presence (
    process TEXT NOT NULL,
    site TEXT NOT NULL,
    screen TEXT NOT NULL,
    seen_at TEXT NOT NULL,  -- UTC, fixed width
    PRIMARY KEY (process, site, screen)
);
