-- 0012 for SQLite: nothing changes. One process serves a SQLite database and knows every key it recorded
-- (pipeline/idempotency.py); 0012_idempotency_scope.postgresql.sql finds a key by its scope across processes.
SELECT 1;
