-- 0025 for PostgreSQL, as the SQLite one.
-- 0025: a message whose last try's outcome is unknown (docs/notifications.md, "When a gateway answers too late"):
-- the request reached the gateway and no answer came back in time, or the connection dropped before one was read. It
-- may have been delivered; its next try carries the same Idempotency-Key, the supervisor's deliveries page marks it,
-- and a paused gateway is not probed with it while another message can be the probe. 1 or 0; a sent message is 0.
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS outcome_unknown INTEGER NOT NULL DEFAULT 0;
