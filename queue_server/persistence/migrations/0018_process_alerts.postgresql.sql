-- 0018 for PostgreSQL: what each server process found amiss with the configuration of the sites it serves (the
-- supervisor's alerts site_file_waiting, configuration_unreadable and messages_off: Context.configuration_alerts), so
-- that every process's dashboard shows them, not only the one that raised them. One row per process while it has
-- any, rewritten every few seconds (application/presence.py); a row not refreshed for 15 seconds is that of a process
-- that stopped, and its alerts go; rows older than an hour are deleted by any process (indexed).
CREATE TABLE IF NOT EXISTS process_alerts (
    process TEXT PRIMARY KEY,
    alerts TEXT NOT NULL,     -- JSON: {site: {kind: facts}}
    seen_at TEXT NOT NULL     -- UTC, fixed width: when the process said it
);
CREATE INDEX IF NOT EXISTS process_alerts_seen ON process_alerts (seen_at);
