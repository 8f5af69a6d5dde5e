-- Version 16: talking to requesters by mail (issue 19).
-- Who hears of a ticket besides its requester: a mail address, or an operator's name (mailed
-- at the address the desk knows for them when the mail is written).
CREATE TABLE watchers (
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    address   TEXT NOT NULL COLLATE NOCASE,
    added_at  INTEGER NOT NULL,
    PRIMARY KEY (ticket_id, address)
) STRICT;

-- Mail waiting to be sent, one message to one recipient, written in the transaction of the
-- event that caused it and delivered after the commit. It holds only what waits, and has no
-- index but its key, so a message adds one page to the commit that writes it. `state`: queued
-- (waits until `next_at`), sending (claimed by the sender `claimed_by`, host:pid, at
-- `claimed_at`).
CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,
    message_id  TEXT NOT NULL,
    ticket_id   INTEGER NOT NULL REFERENCES tickets(id),
    event_id    INTEGER,
    kind        TEXT NOT NULL,
    recipient   TEXT NOT NULL,
    subject     TEXT NOT NULL,
    body        TEXT NOT NULL,
    in_reply_to TEXT,
    refs        TEXT,
    automatic   INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    state       TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sending')),
    tries       INTEGER NOT NULL DEFAULT 0,
    next_at     INTEGER NOT NULL,
    claimed_at  INTEGER,
    claimed_by  TEXT,
    last_error  TEXT
) STRICT;

-- Mail sent, or given up for good (a work note on the ticket says why): moved here from the
-- outbox by its sender. `digest_id`: the digest it went in, when it went with others.
CREATE TABLE mail_log (
    id          INTEGER PRIMARY KEY,
    message_id  TEXT NOT NULL,
    ticket_id   INTEGER NOT NULL REFERENCES tickets(id),
    event_id    INTEGER,
    kind        TEXT NOT NULL,
    recipient   TEXT NOT NULL,
    subject     TEXT NOT NULL,
    body        TEXT NOT NULL,
    in_reply_to TEXT,
    refs        TEXT,
    automatic   INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('sent', 'failed')),
    tries       INTEGER NOT NULL,
    next_at     INTEGER NOT NULL,
    sent_at     INTEGER,
    last_error  TEXT,
    digest_id   TEXT
) STRICT;
CREATE INDEX mail_log_by_ticket ON mail_log(ticket_id);
CREATE INDEX mail_log_by_message ON mail_log(message_id);
CREATE INDEX mail_log_by_recipient ON mail_log(recipient, sent_at);
CREATE INDEX mail_messages_by_ticket ON mail_messages(ticket_id);
