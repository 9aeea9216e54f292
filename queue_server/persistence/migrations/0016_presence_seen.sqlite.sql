-- 0016 for SQLite: nothing changes. One process serves a SQLite database and shares no presence rows
-- (0016_presence_seen.postgresql.sql indexes those of a PostgreSQL database's processes).
SELECT 1;
