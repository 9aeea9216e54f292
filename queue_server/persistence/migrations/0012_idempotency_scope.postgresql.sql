-- 0012: the records of one idempotency key found by its scope (the caller and its key, before '#'), whatever was
-- asked: several processes share this table, and a key one process recorded for one request and another process
-- is asked to use for a different one must be refused there too (a 422, never a second ticket).
CREATE INDEX IF NOT EXISTS idempotency_scope ON idempotency (split_part(key, '#', 1));
