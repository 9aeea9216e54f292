-- 0010 for PostgreSQL: what each server process knows of the screens with a device token (connected or when last
-- seen, sound, last call shown), so that a site's dashboard and Settings page show every TV whichever process it is
-- connected to, and a TV that moved to another process after a drop is not "down" on the first. Each process
-- rewrites its own rows every few seconds (application/presence.py); rows not refreshed for a while are those of a
-- process that stopped, and are ignored.
CREATE TABLE IF NOT EXISTS device_presence (
    process TEXT NOT NULL,
    device INTEGER NOT NULL,  -- the device token's id (queue-server device list)
    site TEXT NOT NULL,
    health TEXT NOT NULL,     -- JSON: what this process's registry holds of it (application/health.py)
    seen_at TEXT NOT NULL,    -- UTC, fixed width: when the process said it
    PRIMARY KEY (process, device)
);
