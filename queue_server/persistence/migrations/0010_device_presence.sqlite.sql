-- 0010 for SQLite: nothing changes. One process serves a SQLite database and knows every screen connected to it
-- (0010_device_presence.postgresql.sql shares that knowledge between the processes of a PostgreSQL database).
SELECT 1;
