-- 0024: a pairing code that belongs to no mall until it is paired. A device started at the one start address,
-- /perangkat, does not know its mall: its code's `site` is NULL, and the admin or supervisor who types it on a mall's
-- Settings page makes it that mall's (its device entry is; the row keeps NULL, so the code is said to be used at
-- every mall from then on, and `paired_device` names the entry). A code asked for at a mall's own
-- device page (/display/{site}/{screen}, /kiosk/{site}) keeps that mall as before.
ALTER TABLE device_pairings ALTER COLUMN site DROP NOT NULL;
