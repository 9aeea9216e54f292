-- 0028: the screens of a mirrored mall with a display connected at its own server, as its box last said them in its
-- uplink heartbeat (a JSON list of the site file's screen ids), and when: the national view counts a mirrored mall's
-- screens not connected as it does a hosted mall's, while that word is fresh (application/mirror_watch.py).
ALTER TABLE mirror_status ADD COLUMN screens_shown TEXT;
ALTER TABLE mirror_status ADD COLUMN screens_at TEXT;
