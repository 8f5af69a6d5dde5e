-- Version 17: each operator's inbox (issue 19). What the desk tells an operator about: a
-- ticket assigned to them by someone else, a comment naming them as `@name`, an SLA breach
-- on a ticket they hold. Written in the transaction of the event; `read_at` is set when they
-- read it (and cleared when they mark it unread again). The timeline stays the record: this
-- is where each operator keeps their place in it.
CREATE TABLE inbox (
    id        INTEGER PRIMARY KEY,
    operator  TEXT NOT NULL COLLATE NOCASE,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    reason    TEXT NOT NULL CHECK (reason IN ('assigned', 'mention', 'breach')),
    actor     TEXT NOT NULL,
    at        INTEGER NOT NULL,
    note      TEXT,
    read_at   INTEGER
) STRICT;
CREATE INDEX inbox_by_operator ON inbox(operator, id);
CREATE INDEX inbox_unread ON inbox(operator, id) WHERE read_at IS NULL;
