-- 0011 for SQLite: nothing changes. One process serves a SQLite database and sends its uplink itself
-- (0011_uplink_status.postgresql.sql shares where the uplink stands between the processes of a PostgreSQL database).
SELECT 1;
