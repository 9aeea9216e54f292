-- 0006: a day closed by mistake can be opened again (POST /api/v1/sites/{site}/reopen-day). The row of a closed day
-- stays, marked reopened, so that every write of the day's close and reopen is an upsert of the same row (the
-- writers batch inserts only) and the log's last word on a day is its row's.
ALTER TABLE closed_days ADD COLUMN IF NOT EXISTS reopened INTEGER NOT NULL DEFAULT 0;
