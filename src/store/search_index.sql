-- Fills the search index from tickets and comments and keeps it current with triggers.
-- Part of migration 2, and run again after a bulk load (see search::resume_index).
-- Changing this file changes migration 2: add a migration instead.

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
