-- Version 2: full-text search and the indexes that serve the queue's views.

-- One row per ticket (rowid = ticket id) over its title, description and comments. Contentless
-- with delete support: the text lives in tickets and comments, the index only points at it.
CREATE VIRTUAL TABLE ticket_search USING fts5(
    title, description, comments,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);

INSERT INTO ticket_search (rowid, title, description, comments)
SELECT t.id, t.title, t.description,
       coalesce((SELECT group_concat(c.body, char(10)) FROM comments c WHERE c.ticket_id = t.id), '')
FROM tickets t;

CREATE TRIGGER ticket_search_on_insert AFTER INSERT ON tickets
BEGIN
    INSERT INTO ticket_search (rowid, title, description, comments)
    VALUES (new.id, new.title, new.description, '');
END;

CREATE TRIGGER ticket_search_on_update AFTER UPDATE OF title, description ON tickets
WHEN old.title IS NOT new.title OR old.description IS NOT new.description
BEGIN
    DELETE FROM ticket_search WHERE rowid = new.id;
    INSERT INTO ticket_search (rowid, title, description, comments)
    VALUES (new.id, new.title, new.description,
            coalesce((SELECT group_concat(c.body, char(10)) FROM comments c WHERE c.ticket_id = new.id), ''));
END;

CREATE TRIGGER ticket_search_on_comment AFTER INSERT ON comments
BEGIN
    DELETE FROM ticket_search WHERE rowid = new.ticket_id;
    INSERT INTO ticket_search (rowid, title, description, comments)
    SELECT t.id, t.title, t.description,
           coalesce((SELECT group_concat(c.body, char(10)) FROM comments c WHERE c.ticket_id = t.id), '')
    FROM tickets t WHERE t.id = new.ticket_id;
END;

-- The queue: open tickets by priority, then oldest first. Partial, so closed history
-- (most of a mature desk) costs nothing here.
CREATE INDEX tickets_open_queue ON tickets(priority, created_at, id) WHERE is_open = 1;
CREATE INDEX tickets_open_by_assignee ON tickets(assignee, priority, created_at, id) WHERE is_open = 1;
CREATE INDEX tickets_by_kind_state ON tickets(kind, state);
