-- 0020 for PostgreSQL: the site files put into service, per site, in order (0020_site_file_history.sqlite.sql says
-- why): several machines share the database, and one still holding an older site file must not undo a newer one.
-- Seeded from the event log: every configuration a site file made before this migration (machine unknown).
CREATE TABLE IF NOT EXISTS site_file_history (
    id BIGSERIAL PRIMARY KEY,
    site TEXT NOT NULL,
    digest TEXT NOT NULL,
    version INTEGER NOT NULL,
    applied_at TEXT NOT NULL,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    path TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS site_file_history_site ON site_file_history (site, id);
INSERT INTO site_file_history (site, digest, version, applied_at, host, pid, path)
SELECT site, data::jsonb ->> 'file_hash', (data::jsonb ->> 'version')::integer, at, '', 0, ''
FROM events
WHERE type = 'site.configured' AND data::jsonb ->> 'source' = 'file'
ORDER BY seq;
