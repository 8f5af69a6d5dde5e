-- Version 12: one desk, one set of rules, and an audit that proves the current state.
--
-- Every event now says which account acted when it acted as someone else (`via`), the
-- ticket's version once the action that wrote it was done (`version`) and, on the events
-- that start a ticket's replay (`created`, `baseline`), the ticket's state, assignee,
-- requester and priority then (`snapshot`, JSON). The hash chain covers all three.
ALTER TABLE events ADD COLUMN via TEXT;
ALTER TABLE events ADD COLUMN version INTEGER;
ALTER TABLE events ADD COLUMN snapshot TEXT;

-- The desk's own trail, chained like the timeline: the desk's creation and upgrades, its
-- policy (lifecycles, priority matrix, SLA policy, intake rules: each version whole in
-- `new`, the change as a diff in `note`), and every operator added or given or refused a role.
CREATE TABLE desk_events (
    id      INTEGER PRIMARY KEY,
    at      INTEGER NOT NULL,
    actor   TEXT NOT NULL,
    via     TEXT,
    kind    TEXT NOT NULL,   -- desk_created, upgraded, policy, operator_added, roles, email, baseline
    subject TEXT,            -- the operator, or the policy's version
    old     TEXT,
    new     TEXT,
    note    TEXT,
    hash    BLOB NOT NULL
) STRICT;
CREATE INDEX desk_events_by_kind ON desk_events(kind, id);
CREATE TRIGGER desk_events_append_only_update BEFORE UPDATE ON desk_events
BEGIN SELECT RAISE(ABORT, 'the desk trail is append-only: an event cannot be changed'); END;
CREATE TRIGGER desk_events_append_only_delete BEFORE DELETE ON desk_events
BEGIN SELECT RAISE(ABORT, 'the desk trail is append-only: an event cannot be removed'); END;

-- An operator's mail address: a reply from it is theirs.
ALTER TABLE operators ADD COLUMN email TEXT COLLATE NOCASE;
