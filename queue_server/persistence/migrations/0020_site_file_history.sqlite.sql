-- 0020: the site files put into service, per site, in order (settings/site_history.py): each one's digest, the
-- configuration version it became, when, and on which machine and process from which path. With several machines
-- sharing a PostgreSQL database a process must tell an older site file (a machine not yet updated) from a newer one:
-- a digest already here but not the last one applied is older, and is not applied again. Rows are only added.
-- Seeded from the event log: every configuration a site file made before this migration (machine unknown).
CREATE TABLE IF NOT EXISTS site_file_history (
    id INTEGER PRIMARY KEY,       -- rows are never deleted: each new one gets the highest id yet
    site TEXT NOT NULL,
    digest TEXT NOT NULL,         -- settings/sitefile.py document_digest of the file as served
    version INTEGER NOT NULL,     -- the configuration version it became (0: the first file, nothing stored yet)
    applied_at TEXT NOT NULL,     -- UTC ISO
    host TEXT NOT NULL,           -- the machine ('' when seeded from the log)
    pid INTEGER NOT NULL,         -- the server process (0 when seeded from the log)
    path TEXT NOT NULL            -- the site file's path on that machine ('' when seeded from the log)
);
CREATE INDEX IF NOT EXISTS site_file_history_site ON site_file_history (site, id);
INSERT INTO site_file_history (site, digest, version, applied_at, host, pid, path)
SELECT site, json_extract(data, '$.file_hash'), json_extract(data, '$.version'), at, '', 0, ''
FROM events
WHERE type = 'site.configured' AND json_extract(data, '$.source') = 'file'
ORDER BY seq;
