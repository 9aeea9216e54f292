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

-- 0023 also: short codes that pair a TV or kiosk with a device entry (application/device_pairing.py). A device page
-- opened with no token asks for one: the server makes a token the page keeps to itself and a 6-symbol code it shows;
-- only the token's hash is stored, and it signs nothing in until an admin or supervisor types the code on Settings
-- -> Perangkat, which makes the device entry with that hash (or gives an existing entry that hash). The code is
-- shown on a public screen, so it is kept as it is; it expires after 10 minutes and serves once. In the database so
-- that the code typed on one server process pairs the device waiting on another. Rows go a day after they were made.
CREATE TABLE IF NOT EXISTS device_pairings (
    code TEXT PRIMARY KEY,          -- upper case, without the hyphen shown in its middle
    token_hash TEXT NOT NULL UNIQUE,-- sha256 of the token the waiting page holds (auth.token_hash)
    site TEXT NOT NULL,             -- the site whose page asked: only that site's admins and supervisors pair it
    created_at TEXT NOT NULL,       -- UTC ISO, fixed width (the server's clock)
    expires_at TEXT NOT NULL,
    paired_at TEXT,                 -- set once, by the one request that paired it
    paired_claim TEXT,              -- which request that was (two admins typing the code at once: one wins)
    paired_by TEXT,                 -- the account
    paired_device INTEGER           -- the device entry it made, or gave a new token
);
CREATE INDEX IF NOT EXISTS device_pairings_created ON device_pairings (created_at);
