-- 0003 for PostgreSQL: the same column as on SQLite (0003_regional_sites.sqlite.sql): the sites a regional
-- account may see, site ids separated by commas, or NULL for every site (a national account).
ALTER TABLE users ADD COLUMN sites TEXT;
