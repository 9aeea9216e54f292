-- 0021: a mall mirrored here (its log sent up by its own server, `serve --mirror`) keeps none of its bookings'
-- secrets. Since uplink protocol 3 its box withholds a booking's code (it alone shows and cancels the booking), its
-- NIK and phone hashes, its contact and its masked number (domain/relay.withheld), and the mirror drops them from
-- what an earlier box still sends; the copy of an earlier release's mirror holds them, in the bookings and in the
-- events that carry them. They are rewritten here as the mirror keeps them now: code and nik_hash "withheld:<the
-- booking's id>" (each booking's own: the code is held unique, and one active booking per NIK hash, service and day),
-- phone_masked "", contact and phone_hash null; a field a document does not have is not added. No figure changes (the
-- mirror counts bookings by service, day, slot and state), and the copy's fingerprints are of the withheld form.
-- Mirrored: a relayed_head other than 0 (a mall taken over has 0, and its bookings are its own from then on).
UPDATE bookings SET
    code = 'withheld:' || id,
    nik_hash = 'withheld:' || id,
    doc = json_replace(doc, '$.code', 'withheld:' || id, '$.nik_hash', 'withheld:' || id, '$.phone_masked', '',
                       '$.contact', NULL, '$.phone_hash', NULL)
WHERE site IN (SELECT site FROM site_settings WHERE key = 'relayed_head' AND value <> '0');
UPDATE events SET
    data = json_replace(data,
                        '$.booking.code', 'withheld:' || json_extract(data, '$.booking.id'),
                        '$.booking.nik_hash', 'withheld:' || json_extract(data, '$.booking.id'),
                        '$.booking.phone_masked', '',
                        '$.booking.contact', NULL,
                        '$.booking.phone_hash', NULL)
WHERE site IN (SELECT site FROM site_settings WHERE key = 'relayed_head' AND value <> '0')
    AND json_type(data, '$.booking.id') = 'text';
