-- 0003: the sites a regional account may see (application/auth.py, role "regional"): site ids separated by commas,
-- or NULL for every site (a national account). Other roles keep NULL here; their one site stays in `site`.
ALTER TABLE users ADD COLUMN sites TEXT;
