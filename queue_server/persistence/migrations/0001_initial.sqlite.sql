-- 0001: the schema as the first releases created it (storage.SCHEMA up to commit 45c7957), statement for statement,
-- so a database made by them is at version 1 as it is. Never edit a migration a release has shipped: add the next.
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    site TEXT NOT NULL,
    type TEXT NOT NULL,
    at TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_site_seq ON events (site, seq);
CREATE TABLE IF NOT EXISTS tickets (
    id TEXT PRIMARY KEY,
    site TEXT NOT NULL,
    service TEXT NOT NULL,
    agency TEXT NOT NULL,
    series TEXT NOT NULL,
    day TEXT NOT NULL,
    number INTEGER NOT NULL,
    label TEXT NOT NULL,
    state TEXT NOT NULL,
    priority TEXT,
    channel TEXT NOT NULL,
    token TEXT NOT NULL,
    parent TEXT,
    issued_at TEXT NOT NULL,
    called_at TEXT,
    started_at TEXT,
    finished_at TEXT,
    counter TEXT,
    seq INTEGER NOT NULL,
    doc TEXT NOT NULL
);
-- A number is issued once per series per local day; transfer legs share their first leg's number.
CREATE UNIQUE INDEX IF NOT EXISTS tickets_number ON tickets (site, day, series, number) WHERE parent IS NULL;
CREATE INDEX IF NOT EXISTS tickets_token ON tickets (token);
CREATE INDEX IF NOT EXISTS tickets_open ON tickets (site, state);
CREATE INDEX IF NOT EXISTS tickets_day ON tickets (site, day);
CREATE TABLE IF NOT EXISTS counters (
    site TEXT NOT NULL,
    id TEXT NOT NULL,
    doc TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (site, id)
);
CREATE TABLE IF NOT EXISTS closed_days (
    site TEXT NOT NULL,
    day TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (site, day)
);
CREATE TABLE IF NOT EXISTS bookings (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    site TEXT NOT NULL,
    service TEXT NOT NULL,
    day TEXT NOT NULL,
    slot TEXT NOT NULL,
    nik_hash TEXT NOT NULL,
    state TEXT NOT NULL,
    seq INTEGER NOT NULL,
    doc TEXT NOT NULL
);
-- One active booking per NIK per service per day, whatever the code path.
CREATE UNIQUE INDEX IF NOT EXISTS bookings_one_per_nik ON bookings (site, service, day, nik_hash)
    WHERE state IN ('booked', 'checked_in');
CREATE INDEX IF NOT EXISTS bookings_day ON bookings (site, day);
CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);
-- The supervisor's side (docs/supervisor.md): the running text set live, who operated the counter that
-- handled each ticket, the audit log of privileged actions, and satisfaction survey answers.
CREATE TABLE IF NOT EXISTS site_settings (
    site TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (site, key)
);
CREATE TABLE IF NOT EXISTS ticket_facts (
    ticket TEXT PRIMARY KEY,
    site TEXT NOT NULL,
    operator TEXT,  -- who operated the counter that handled the ticket
    requeued_at TEXT  -- a late arrival put back in the queue waits from here (the doc's queue_key, unparsed)
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    site TEXT NOT NULL,
    at TEXT NOT NULL,  -- UTC, fixed width, so text order is time order
    actor TEXT NOT NULL,
    role TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    details TEXT NOT NULL,
    seq INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_site_at ON audit (site, at);
CREATE TABLE IF NOT EXISTS survey_responses (
    ticket TEXT PRIMARY KEY,  -- one answer per ticket, whatever the path (tablet or phone)
    site TEXT NOT NULL,
    day TEXT NOT NULL,
    service TEXT NOT NULL,
    agency TEXT NOT NULL,
    counter TEXT,
    channel TEXT NOT NULL,
    answered_at TEXT NOT NULL,
    answers TEXT NOT NULL,  -- JSON list of nine answers, kept for export
    a1 INTEGER NOT NULL CHECK (a1 BETWEEN 1 AND 4), a2 INTEGER NOT NULL CHECK (a2 BETWEEN 1 AND 4),
    a3 INTEGER NOT NULL CHECK (a3 BETWEEN 1 AND 4), a4 INTEGER NOT NULL CHECK (a4 BETWEEN 1 AND 4),
    a5 INTEGER NOT NULL CHECK (a5 BETWEEN 1 AND 4), a6 INTEGER NOT NULL CHECK (a6 BETWEEN 1 AND 4),
    a7 INTEGER NOT NULL CHECK (a7 BETWEEN 1 AND 4), a8 INTEGER NOT NULL CHECK (a8 BETWEEN 1 AND 4),
    a9 INTEGER NOT NULL CHECK (a9 BETWEEN 1 AND 4)
);
CREATE INDEX IF NOT EXISTS survey_site_day ON survey_responses (site, day);
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    site TEXT,
    agency TEXT,
    display_name TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS devices (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    site TEXT NOT NULL,
    name TEXT NOT NULL,
    screen TEXT,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
