-- 0018 for SQLite: nothing changes. One process serves a SQLite database and shows its own configuration alerts
-- (0018_process_alerts.postgresql.sql shares them between a PostgreSQL database's processes).
SELECT 1;
