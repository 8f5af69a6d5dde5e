-- Version 13: how far back a change that overlaps a range may have started. The calendar
-- and conflict detection look back by the longest planned window on the desk (no fixed
-- look-back); this one row keeps it, raised by triggers as changes are planned, so the
-- calendar reads it without scanning every change. It only grows: a shortened window leaves
-- it long, which costs a wider look-back, never a missed change.
CREATE TABLE change_span (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    longest REAL NOT NULL
);
INSERT INTO change_span (id, longest)
    SELECT 1, COALESCE(MAX(julianday(planned_end) - julianday(planned_start)), 0)
    FROM tickets WHERE kind = 'change' AND planned_start IS NOT NULL AND planned_end IS NOT NULL;
CREATE TRIGGER change_span_insert AFTER INSERT ON tickets
    WHEN NEW.kind = 'change' AND NEW.planned_start IS NOT NULL AND NEW.planned_end IS NOT NULL
BEGIN
    UPDATE change_span SET longest = MAX(longest, julianday(NEW.planned_end) - julianday(NEW.planned_start)) WHERE id = 1;
END;
CREATE TRIGGER change_span_update AFTER UPDATE OF planned_start, planned_end ON tickets
    WHEN NEW.kind = 'change' AND NEW.planned_start IS NOT NULL AND NEW.planned_end IS NOT NULL
BEGIN
    UPDATE change_span SET longest = MAX(longest, julianday(NEW.planned_end) - julianday(NEW.planned_start)) WHERE id = 1;
END;
