-- 0013: what a mirroring server knows of each mall mirrored there (application/mirror_watch.py): when its copy was
-- last known complete or moving on (a batch of the mall's log taken, or the mall's box saying it has nothing more to
-- send), and the last refusal of that box's log. The national view shows a mirrored mall as connected only while its
-- copy keeps up; kept in the database, it holds across a restart and for every process of the server.
CREATE TABLE IF NOT EXISTS mirror_status (
    site TEXT PRIMARY KEY,
    synced_at TEXT,      -- UTC, fixed width: the copy last known complete or moving on
    refused_code TEXT,   -- the code of the last refusal of the box's log (uplink_event_invalid, uplink_forked, ...)
    refused_at TEXT      -- UTC, fixed width
);
