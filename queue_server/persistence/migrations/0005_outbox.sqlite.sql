-- 0005: the outbox (docs/notifications.md). Messages to send (signed webhooks to agency systems, WhatsApp/SMS
-- through a mall's gateway) are written in the transaction of the event that causes them and sent afterwards by
-- the delivery worker (outbound/deliverer.py); a citizen's number is kept encrypted, apart, and only until their
-- ticket's day or booking ends.
CREATE TABLE IF NOT EXISTS webhook_endpoints (
    id TEXT PRIMARY KEY,
    site TEXT NOT NULL,
    agency TEXT,  -- NULL: every agency of the site
    url TEXT NOT NULL,
    secret TEXT NOT NULL,  -- encrypted with the notification key (outbound/vault.py)
    events TEXT NOT NULL,  -- JSON list of event types
    description TEXT NOT NULL,
    active INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS contacts (
    ref TEXT PRIMARY KEY,  -- t:<ticket id> or b:<booking id>, named by the ticket's or booking's `contact`
    site TEXT NOT NULL,
    lang TEXT NOT NULL,
    cipher TEXT NOT NULL,  -- the number, encrypted with the notification key; never in clear in the database
    masked TEXT NOT NULL,  -- 0812****789, for supervisors
    purge_after TEXT NOT NULL  -- UTC, fixed width: deleted after this (the day's or booking's end + retention)
);
CREATE INDEX IF NOT EXISTS contacts_purge ON contacts (purge_after);
CREATE TABLE IF NOT EXISTS outbox (
    n INTEGER PRIMARY KEY,  -- order of writing (the rowid: no AUTOINCREMENT, whose sqlite_sequence table PostgreSQL lacks)
    id TEXT NOT NULL UNIQUE,  -- the message id a receiver sees, the same on every attempt
    dedupe TEXT UNIQUE,  -- a message that must exist once (e.g. "3 people before you" per ticket)
    site TEXT NOT NULL,
    endpoint TEXT NOT NULL,  -- a webhook endpoint's id, or 'gateway' (citizen messages)
    kind TEXT NOT NULL,  -- the event type (webhooks) or the message template (citizens)
    key TEXT NOT NULL,  -- messages of one key are sent in order (a ticket, a booking)
    contact TEXT,  -- the contacts.ref of a citizen message
    payload TEXT NOT NULL,  -- JSON: the webhook body, or the citizen message's parameters (no number)
    state TEXT NOT NULL,  -- pending, sent, dead, skipped
    attempts INTEGER NOT NULL,
    due_at TEXT NOT NULL,  -- UTC, fixed width: not before this
    created_at TEXT NOT NULL,
    sent_at TEXT,
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (state, due_at);
CREATE INDEX IF NOT EXISTS outbox_key ON outbox (endpoint, key, n);
CREATE INDEX IF NOT EXISTS outbox_site ON outbox (site, endpoint, state);
