-- 0002 for PostgreSQL: what several server processes need to share one database (docs/architecture.md,
-- "Several processes, one truth").
-- A site's head: the seq of its newest event. Every write transaction locks the rows of the sites it writes
-- (SELECT ... FOR UPDATE) before it decides anything, so one site's commands are decided one transaction at a
-- time whichever process runs them, and one site's events commit in seq order.
CREATE TABLE IF NOT EXISTS site_heads (
    site TEXT PRIMARY KEY,
    seq BIGINT NOT NULL
);
INSERT INTO site_heads (site, seq) SELECT site, MAX(seq) FROM events GROUP BY site ON CONFLICT (site) DO NOTHING;
-- Event numbers for every process. A number is taken before commit, so numbers of DIFFERENT sites may commit out
-- of order; a reader therefore follows each site by its own cursor, never the log as a whole.
CREATE SEQUENCE IF NOT EXISTS events_seq AS BIGINT;
SELECT setval('events_seq', COALESCE((SELECT MAX(seq) FROM events), 0) + 1, false);
