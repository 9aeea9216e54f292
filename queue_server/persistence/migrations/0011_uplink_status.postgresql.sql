-- 0011 for PostgreSQL: where each site's uplink stands (outbound/uplink.py), as the process that sends it says, so
-- that every process of a mall on several processes answers /healthz, raises the supervisor's alert and keeps for
-- retention what the mirror lacks, not only the one process that holds the sending role. That process rewrites a
-- site's row when its status changes and at least every 15 seconds.
CREATE TABLE IF NOT EXISTS uplink_status (
    site TEXT PRIMARY KEY,
    status TEXT NOT NULL,   -- JSON: acknowledged, last_ok_at, failing_since, last_error (UplinkStatus.shared)
    said_at TEXT NOT NULL   -- UTC, fixed width: when the sending process said it
);
