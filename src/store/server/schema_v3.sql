-- opsdesk desk schema for PostgreSQL, version 3: every commit that adds to the timeline or
-- the desk's trail tells those listening on channel `opsdesk` (the TUI of every host), once
-- per statement: the ids of the tickets it touched, comma-separated, or `*` when they do not
-- fit a notification (8000 bytes) and everything is to be read again; `desk` for the trail.
-- A notification is delivered when its transaction commits, and never for one rolled back.

CREATE FUNCTION opsdesk_notify_tickets() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ids TEXT;
BEGIN
    SELECT string_agg(DISTINCT ticket_id::text, ',') INTO ids FROM touched;
    IF ids IS NOT NULL THEN
        PERFORM pg_notify('opsdesk', CASE WHEN length(ids) > 7900 THEN '*' ELSE ids END);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER events_notify AFTER INSERT ON events REFERENCING NEW TABLE AS touched
    FOR EACH STATEMENT EXECUTE FUNCTION opsdesk_notify_tickets();

CREATE FUNCTION opsdesk_notify_desk() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('opsdesk', 'desk');
    RETURN NULL;
END $$;
CREATE TRIGGER desk_events_notify AFTER INSERT ON desk_events
    FOR EACH STATEMENT EXECUTE FUNCTION opsdesk_notify_desk();
