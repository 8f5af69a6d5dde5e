-- Version 14: when each ticket was closed, for the lead time (opened -> closed) beside MTTR
-- (opened -> resolved): the time others publish as the case duration. Kept as the timeline is
-- written (domain::kpi::Milestones::closed).
ALTER TABLE tickets ADD COLUMN closed_at INTEGER;

-- A desk from before version 14: its closed tickets were closed by their last move into the
-- final state they are in (the built-in lifecycles' final states; the names are a contract).
UPDATE tickets SET closed_at = m.at
FROM (
    SELECT e.ticket_id, max(e.at) AS at
    FROM events e JOIN tickets t ON t.id = e.ticket_id
    WHERE e.kind = 'transition' AND e.new = t.state
    GROUP BY e.ticket_id
) AS m
WHERE tickets.id = m.ticket_id AND tickets.is_open = 0
  AND tickets.state IN ('closed', 'cancelled', 'rejected');

-- The report's covering index holds the new column too.
DROP INDEX tickets_report;
CREATE INDEX tickets_report ON tickets(created_at, kind, priority, is_open, change_type, close_code,
    first_assigned_at, resolved_at, resolves, reopens, reassignments, tto_phase, tto_due_at, ttr_phase,
    ttr_due_at, team, assignee, category, closed_at);
