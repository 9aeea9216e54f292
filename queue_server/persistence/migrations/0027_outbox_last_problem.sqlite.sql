-- 0027: the kind and figures of a message's last error, beside its text (`last_error`): JSON such as
-- {"kind": "receiver_error", "status": 503} or {"kind": "connection_refused", "host": "wa.example.id"}
-- (queue_server/common/delivery_problems.py), so that the supervisor's Pengiriman page and alerts say it in words of
-- the page's language. NULL on rows an earlier release wrote (their text is shown) and on rows with no error.
ALTER TABLE outbox ADD COLUMN last_problem TEXT;
