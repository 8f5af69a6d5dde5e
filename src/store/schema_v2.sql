-- Version 2: full-text search and the indexes that serve the queue's views. The search
-- index's contents and triggers are in search_index.sql, appended to this migration.

-- One row per ticket (rowid = ticket id) over its title, description and comments. Contentless
-- with delete support: the text lives in tickets and comments, the index only points at it.
-- detail=column keeps which column a word is in but not its positions: search is by words,
-- never by phrase, and the smaller doclists rank about twice as fast on a large desk.
CREATE VIRTUAL TABLE ticket_search USING fts5(
    title, description, comments,
    content = '', contentless_delete = 1, detail = column,
    tokenize = 'unicode61 remove_diacritics 2'
);

-- The queue: open tickets by priority, then oldest first. Partial, so closed history
-- (most of a mature desk) costs nothing here.
CREATE INDEX tickets_open_queue ON tickets(priority, created_at, id) WHERE is_open = 1;
CREATE INDEX tickets_open_by_assignee ON tickets(assignee, priority, created_at, id) WHERE is_open = 1;
CREATE INDEX tickets_by_kind_state ON tickets(kind, state);
