-- 0022: phone codes counted per client address and per site, and the verification bound to the client that gave
-- the right code (application/phone_codes.py). `sender`: a keyed hash of the client address that asked for the code
-- (never the address itself), for `[booking] codes_per_address`; the site's count of the last hour, for
-- `[booking] codes_per_hour`, reads the index by site and time. `proof_hash`: a keyed hash of the `phone_proof` the
-- booking that used the code was answered with; later bookings of the number within the verified window send the
-- proof (a code's window served anyone who knew the number). Rows of an earlier release have neither: they count
-- for their number and site, and verify no later booking.
ALTER TABLE phone_codes ADD COLUMN IF NOT EXISTS sender TEXT;
ALTER TABLE phone_codes ADD COLUMN IF NOT EXISTS proof_hash TEXT;
CREATE INDEX IF NOT EXISTS phone_codes_site_time ON phone_codes (site, created_at);
CREATE INDEX IF NOT EXISTS phone_codes_sender ON phone_codes (site, sender, created_at);
