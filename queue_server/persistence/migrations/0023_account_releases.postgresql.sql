-- 0023: the command line's requests to close the counters left open under an account it disabled
-- (application/account_releases.py). `queue-server user disable` runs beside the server, which alone may write the
-- mall's event log (SQLite) or which the command line cannot see (PostgreSQL): it writes a request here and a server
-- process takes it, closes the counters as the Settings page's change would (actions.release_counters) and writes
-- its answer, which the command line prints. In the database so that a request made while no server runs is taken at
-- the next start, and any one process of several takes each. Answered rows are deleted after a week.
CREATE TABLE IF NOT EXISTS account_releases (
    id TEXT PRIMARY KEY,
    account TEXT NOT NULL,       -- the username
    reason TEXT NOT NULL,        -- disabled (the only one the command line asks for)
    sites TEXT NOT NULL,         -- JSON list of the sites whose counters are closed
    asked_at TEXT NOT NULL,      -- UTC ISO, fixed width
    taken_by TEXT,               -- the server process working on it (host:pid); taken again if it stalls
    taken_at TEXT,
    done_at TEXT,
    released TEXT                -- JSON: the counters closed, as the Settings page's change answers them
);
CREATE INDEX IF NOT EXISTS account_releases_waiting ON account_releases (done_at, asked_at);
