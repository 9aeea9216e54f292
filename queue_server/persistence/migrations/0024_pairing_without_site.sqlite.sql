-- 0024: a pairing code that belongs to no mall until it is paired. A device started at the one start address,
-- /perangkat, does not know its mall: its code's `site` is NULL, and the admin or supervisor who types it on a mall's
-- Settings page makes it that mall's (its device entry is; the row keeps NULL, so the code is said to be used at
-- every mall from then on, and `paired_device` names the entry). A code asked for at a mall's own
-- device page (/display/{site}/{screen}, /kiosk/{site}) keeps that mall as before. SQLite cannot drop a NOT NULL: the
-- table is made again with its rows.
CREATE TABLE device_pairings_0024 (
    code TEXT PRIMARY KEY,          -- upper case, without the hyphen shown in its middle
    token_hash TEXT NOT NULL UNIQUE,-- sha256 of the token the waiting page holds (auth.token_hash)
    site TEXT,                      -- the mall whose page asked (only its admins and supervisors pair it); NULL: a
                                    -- code of /perangkat, any mall's admin or supervisor pairs it
    created_at TEXT NOT NULL,       -- UTC ISO, fixed width (the server's clock)
    expires_at TEXT NOT NULL,
    paired_at TEXT,                 -- set once, by the one request that paired it
    paired_claim TEXT,              -- which request that was (two admins typing the code at once: one wins)
    paired_by TEXT,                 -- the account
    paired_device INTEGER           -- the device entry it made, or gave a new token
);
INSERT INTO device_pairings_0024 (code, token_hash, site, created_at, expires_at, paired_at, paired_claim, paired_by,
                                  paired_device)
    SELECT code, token_hash, site, created_at, expires_at, paired_at, paired_claim, paired_by, paired_device
    FROM device_pairings;
DROP TABLE device_pairings;
ALTER TABLE device_pairings_0024 RENAME TO device_pairings;
CREATE INDEX IF NOT EXISTS device_pairings_created ON device_pairings (created_at);
