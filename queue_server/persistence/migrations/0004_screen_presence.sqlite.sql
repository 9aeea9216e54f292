-- 0004 for SQLite: nothing changes. One process serves a SQLite database and knows every display connected to it
-- (0004_screen_presence.postgresql.sql shares that knowledge between the processes of a PostgreSQL database).
SELECT 1;
