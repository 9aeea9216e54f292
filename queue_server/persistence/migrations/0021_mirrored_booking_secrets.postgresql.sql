-- 0021 for PostgreSQL: as 0021_mirrored_booking_secrets.sqlite.sql. A mall mirrored here keeps none of its bookings'
-- secrets (uplink protocol 3, domain/relay.withheld): in its bookings and in the events that carry one, code and
-- nik_hash become "withheld:<the booking's id>", phone_masked "", contact and phone_hash null; a field a document
-- does not have is not added (jsonb_set without create_missing). The documents are text: rewritten through jsonb.
UPDATE bookings SET
    code = 'withheld:' || id,
    nik_hash = 'withheld:' || id,
    doc = jsonb_set(jsonb_set(jsonb_set(jsonb_set(jsonb_set(doc::jsonb,
        '{code}', to_jsonb('withheld:' || id), false),
        '{nik_hash}', to_jsonb('withheld:' || id), false),
        '{phone_masked}', to_jsonb(''::text), false),
        '{contact}', 'null'::jsonb, false),
        '{phone_hash}', 'null'::jsonb, false)::text
WHERE site IN (SELECT site FROM site_settings WHERE key = 'relayed_head' AND value <> '0');
UPDATE events SET
    data = jsonb_set(jsonb_set(jsonb_set(jsonb_set(jsonb_set(data::jsonb,
        '{booking,code}', to_jsonb('withheld:' || (data::jsonb #>> '{booking,id}')), false),
        '{booking,nik_hash}', to_jsonb('withheld:' || (data::jsonb #>> '{booking,id}')), false),
        '{booking,phone_masked}', to_jsonb(''::text), false),
        '{booking,contact}', 'null'::jsonb, false),
        '{booking,phone_hash}', 'null'::jsonb, false)::text
WHERE site IN (SELECT site FROM site_settings WHERE key = 'relayed_head' AND value <> '0')
    AND jsonb_typeof(data::jsonb #> '{booking,id}') = 'string';
