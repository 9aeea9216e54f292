-- 0015 for SQLite: nothing changes. One process serves a SQLite database and counts the requests of its limited
-- endpoints in its own memory (web/ratelimit.py); 0015_request_counts.postgresql.sql shares that count between the
-- processes of a PostgreSQL database.
SELECT 1;
