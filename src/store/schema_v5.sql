-- Version 5: the moments KPIs are made of, kept on each ticket as its timeline is written
-- (see domain::kpi::Milestones), and the keys of imported tickets.

ALTER TABLE tickets ADD COLUMN first_assigned_at INTEGER;
ALTER TABLE tickets ADD COLUMN resolved_at INTEGER;
ALTER TABLE tickets ADD COLUMN resolves INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN reopens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN reassignments INTEGER NOT NULL DEFAULT 0;

-- A desk from before version 5: read the moments off its timeline once.
UPDATE tickets SET
    first_assigned_at = m.first_assigned_at,
    resolved_at = CASE WHEN tickets.kind = 'change' THEN NULL ELSE m.resolved_at END,
    resolves = CASE WHEN tickets.kind = 'change' THEN 0 ELSE m.resolves END,
    reopens = CASE WHEN tickets.kind = 'change' THEN 0 ELSE m.reopens END,
    reassignments = m.reassignments
FROM (
    SELECT ticket_id,
           min(CASE WHEN kind = 'field' AND field = 'assignee' AND old IS NULL AND new IS NOT NULL THEN at END)
               AS first_assigned_at,
           max(CASE WHEN kind = 'transition' AND field = 'resolve' THEN at END) AS resolved_at,
           sum(kind = 'transition' AND field = 'resolve') AS resolves,
           sum(kind = 'transition' AND field = 'reopen') AS reopens,
           sum(kind = 'field' AND field = 'assignee' AND old IS NOT NULL AND new IS NOT NULL AND old <> new)
               AS reassignments
    FROM events GROUP BY ticket_id
) AS m
WHERE tickets.id = m.ticket_id;

-- Which ticket each imported record became, and how far its history has been replayed:
-- a second import of the same file finds every key done and changes nothing.
CREATE TABLE import_keys (
    source     TEXT NOT NULL,      -- the mapping's source name
    key        TEXT NOT NULL,      -- the record's key in the source
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id),
    last_order INTEGER NOT NULL,   -- the order of the last row replayed
    PRIMARY KEY (source, key)
) STRICT, WITHOUT ROWID;
CREATE INDEX import_keys_by_ticket ON import_keys(ticket_id);
