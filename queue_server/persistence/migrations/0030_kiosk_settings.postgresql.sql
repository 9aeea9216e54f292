-- 0030 for PostgreSQL, as the SQLite one.
-- 0030: what staff set from a kiosk's hidden panel (citizen/printing/routes.py), which lived in a JSON file beside
-- the database (citizen.json): each kiosk's printer and each site's public address for QR codes. In the database so
-- that a backup holds them, `db copy` carries them, and every server process on one PostgreSQL database sees one
-- setting (application/kiosk_settings.py). A citizen.json found beside a SQLite database is imported once at start.
CREATE TABLE IF NOT EXISTS kiosk_printers (
    device BIGINT PRIMARY KEY,   -- the kiosk's entry in devices
    site TEXT NOT NULL,          -- the kiosk's site, as its entry says when saved
    printer TEXT NOT NULL,       -- JSON: mode and its fields, as the panel checked them (citizen/printing/config.py)
    updated_at TEXT NOT NULL,    -- UTC ISO, fixed width
    updated_by TEXT              -- the account that saved it; NULL when imported from citizen.json
);

-- 0030 also: where a phone reaches a site's server, for the QR codes on tickets (a kiosk on the server itself asks
-- on 127.0.0.1, which no phone can reach). No row: the address each request came to.
CREATE TABLE IF NOT EXISTS site_public_urls (
    site TEXT PRIMARY KEY,
    url TEXT NOT NULL,           -- http(s)://host[:port][/path], without a trailing slash
    updated_at TEXT NOT NULL,
    updated_by TEXT
);
