-- 0017 for PostgreSQL: who is signed in at each counter through each server process (its staff websockets following
-- the counter: application/desks.py), so that a counter page lists a colleague connected through another process
-- ("Juga di loket ini") and the supervisor's counter_held alert ("nobody else there") counts every process. Each
-- process rewrites its own rows every few seconds (application/presence.py); rows not refreshed for 15 seconds are
-- those of a process that stopped, and are ignored; rows older than an hour are deleted by any process (indexed).
CREATE TABLE IF NOT EXISTS desk_presence (
    process TEXT NOT NULL,
    site TEXT NOT NULL,
    counter TEXT NOT NULL,
    account TEXT NOT NULL,
    display_name TEXT,        -- the person as staff read it (the account's own name when it has none)
    seen_at TEXT NOT NULL,    -- UTC, fixed width: when the process said it
    PRIMARY KEY (process, site, counter, account)
);
CREATE INDEX IF NOT EXISTS desk_presence_seen ON desk_presence (seen_at);
