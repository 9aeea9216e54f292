-- 0008: the wait forecast learns when each counter usually takes its long break from the pauses and openings of
-- the same weekday in the last weeks (persistence/port.py counter_moves). Only those events are indexed: a few
-- per counter a day, so the index costs nothing on the hot write path and the morning's read skips the log.
CREATE INDEX IF NOT EXISTS events_counter_moves ON events (site, at)
    WHERE type IN ('counter.paused', 'counter.opened', 'counter.closed');
