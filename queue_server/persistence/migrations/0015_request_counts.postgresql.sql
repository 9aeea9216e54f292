-- 0015 for PostgreSQL: the requests let through per limit, client and minute on the endpoints limited per client
-- (web/ratelimit.py: online bookings and messages asked from a phone, booking-code lookups and cancels, check-ins by
-- code), in the database so that every server process counts the same ones: with `serve --workers N`
-- or several machines, a guesser of booking codes spreading requests over the processes no longer gets 30 a minute
-- from each. A process deletes the rows of minutes before the previous one, once a minute.
CREATE TABLE IF NOT EXISTS request_counts (
    minute BIGINT NOT NULL,  -- whole minutes since 1970-01-01 UTC, on the server's clock
    name TEXT NOT NULL,      -- the limit: 'bookings', 'booking_codes', 'check_ins'
    key TEXT NOT NULL,       -- the client: its address, or 'device:<id>' / 'user:<id>' checking bookings in
    hits INTEGER NOT NULL,   -- requests let through in that minute (a refused one is not counted)
    PRIMARY KEY (minute, name, key)
);
