-- 0019: one-time codes that verify a citizen's phone number before an online booking (application/phone_codes.py).
-- Only keyed hashes are kept, never the number or the code: the number's hash (as bookings count it) and the code's
-- (keyed, bound to the number), its expiry, the wrong tries so far, and until when the number counts as verified
-- once the right code was given. In the database so that every server process of a PostgreSQL database sees the
-- same codes and tries. Rows are deleted a few hours after they were made.
CREATE TABLE IF NOT EXISTS phone_codes (
    id TEXT PRIMARY KEY,
    site TEXT NOT NULL,
    phone_hash TEXT NOT NULL,    -- HMAC of the normalised number (application/personal.py phone_hash)
    code_hash TEXT NOT NULL,     -- HMAC of the number's hash and the code
    created_at TEXT NOT NULL,    -- UTC, ISO 8601 with microseconds (compared as text)
    expires_at TEXT NOT NULL,
    tries INTEGER NOT NULL DEFAULT 0,  -- every try counts (a right one too): at most 5, then the code is void
    verified_until TEXT          -- set by the right code: the number needs no other code until then
);
CREATE INDEX IF NOT EXISTS phone_codes_number ON phone_codes (site, phone_hash, created_at);
-- A number's codes of the last hour over every mall of the server (the limit per number is the server's).
CREATE INDEX IF NOT EXISTS phone_codes_phone ON phone_codes (phone_hash, created_at);
CREATE INDEX IF NOT EXISTS phone_codes_created ON phone_codes (created_at);
