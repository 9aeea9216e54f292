-- 0026: what a pairing code was asked for (application/device_pairing.py). A mall's TV page (/display/{site}/{screen})
-- asks for its code as a TV of that screen, a kiosk page (/kiosk/{site}) as a kiosk: the Settings page shows it
-- ("Kode dari layar TV “lobby”") and fixes the device's kind and screen, and pairing the code as another kind, or onto
-- an entry of another kind or screen, is refused. NULL: a code of the start address /perangkat (or of a page of an
-- earlier release, which said nothing), whose admin chooses freely as before.
ALTER TABLE device_pairings ADD COLUMN kind TEXT;    -- display, kiosk, or NULL
ALTER TABLE device_pairings ADD COLUMN screen TEXT;  -- a display's screen id, else NULL
