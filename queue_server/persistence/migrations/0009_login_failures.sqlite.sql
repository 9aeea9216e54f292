-- 0009: the wrong passwords of the last minutes, per account and per client address, in the database so that every
-- server process counts the same ones (application/throttle.py): with `serve --workers N` a guesser no longer gets
-- one allowance per process. Rows older than the throttle's window are deleted as they age.
CREATE TABLE IF NOT EXISTS login_failures (
    key TEXT NOT NULL,  -- 'account:<username, lower case>' or 'address:<client address>'
    at TEXT NOT NULL    -- UTC, ISO 8601 with microseconds (compared as text)
);
CREATE INDEX IF NOT EXISTS login_failures_key_at ON login_failures (key, at);
