-- 0002 for SQLite: nothing changes. One process writes a SQLite database, through one writer connection, so the
-- next event's seq is the largest plus one and no site needs a lock row. The step exists so that both dialects
-- share their version numbers (0002_site_heads.postgresql.sql is the one that does something).
SELECT 1;
