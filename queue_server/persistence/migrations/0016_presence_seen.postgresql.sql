-- 0016 for PostgreSQL: the presence tables (0004 screen_presence, 0010 device_presence) indexed by when each row was
-- said. Every process reads the rows the others said in the last 15 seconds, every 5 seconds, and deletes every row
-- older than an hour whichever process wrote it (one killed without a word never deletes its own; application/
-- presence.py): both find their rows through these indexes, not by reading every row of a table that a national
-- deployment's thousands of screens fill.
CREATE INDEX IF NOT EXISTS screen_presence_seen ON screen_presence (seen_at);
CREATE INDEX IF NOT EXISTS device_presence_seen ON device_presence (seen_at);
