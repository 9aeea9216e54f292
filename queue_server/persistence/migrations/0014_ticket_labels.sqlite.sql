-- 0014: a label ("D-002") names one ticket of its site and day. Numbers were unique per service and day
-- (tickets_number), but a release before 0014 let a service take a letter on today's tickets of another, and the same
-- label was printed for two citizens (the TV called "D-002" for both). The domain refuses that now (prefix_in_use);
-- this index refuses it in the database too, should a bug get past the domain. Transfer legs keep their first leg's
-- label (parent set) and stay out of it, as out of tickets_number.
--
-- A database may hold such twins already. They are printed, in citizens' hands (and in reports, links and the log),
-- so their labels are not changed: the later of each pair (by issue time, then id) is marked label_exempt =
-- 'repeated' and left out of the index, which holds for every other ticket of every day, past and future. The mark is
-- the only change to those rows (WHERE label_exempt = 'repeated' finds them). Neither relabelling (a number in a
-- citizen's hand would change) nor an index from today only (a twin of a past day would still pass) was chosen.
--
-- A mirrored mall's tickets are written with label_exempt = 'relayed' (persistence/port.py): the mall's own server
-- numbers them, and a box of an earlier release may still send up a label it issued twice; the mirror keeps what the
-- mall issued rather than refuse the mall's log over it, for ever.
ALTER TABLE tickets ADD COLUMN label_exempt TEXT;
UPDATE tickets SET label_exempt = 'repeated' WHERE id IN (
    SELECT id FROM (
        SELECT id, row_number() OVER (PARTITION BY site, day, label ORDER BY issued_at, id) AS nth
        FROM tickets WHERE parent IS NULL
    ) WHERE nth > 1
);
CREATE UNIQUE INDEX IF NOT EXISTS tickets_label ON tickets (site, day, label)
    WHERE parent IS NULL AND label_exempt IS NULL;
