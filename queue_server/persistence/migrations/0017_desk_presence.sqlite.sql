-- 0017 for SQLite: nothing changes. One process serves a SQLite database and knows every counter connection
-- (0017_desk_presence.postgresql.sql shares who is signed in at each counter between a PostgreSQL database's
-- processes).
SELECT 1;
