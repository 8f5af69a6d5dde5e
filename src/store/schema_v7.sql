-- Version 7: a report reads every ticket of its period; this index holds every column it
-- reads (the ticket row itself is ~1 KB of text a report never needs), so a report over a
-- million tickets scans ~100 MB of index instead of the whole table.
CREATE INDEX tickets_report ON tickets(created_at, kind, priority, is_open, change_type, close_code,
    first_assigned_at, resolved_at, resolves, reopens, reassignments, tto_phase, tto_due_at, ttr_phase,
    ttr_due_at, team, assignee, category);
