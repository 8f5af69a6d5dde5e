-- Version 16: talking to requesters by mail (issue 19).
-- Who hears of a ticket besides its requester: a mail address, or an operator's name (mailed
-- at the address the desk knows for them when the mail is written).
CREATE TABLE watchers (
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    address   TEXT NOT NULL COLLATE NOCASE,
    added_at  INTEGER NOT NULL,
    PRIMARY KEY (ticket_id, address)
) STRICT;

-- Mail the desk sends, one message to one recipient, written in the transaction of the event
-- that caused it and delivered after the commit. `state`: queued (waits until `next_at`),
-- sending (claimed by the sender `claimed_by`, host:pid, at `claimed_at`), sent, failed (for good; a work note says so).
CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,
    message_id  TEXT NOT NULL UNIQUE,
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
    state       TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sending', 'sent', 'failed')),
    tries       INTEGER NOT NULL DEFAULT 0,
    next_at     INTEGER NOT NULL,
    claimed_at  INTEGER,
    claimed_by  TEXT,
    sent_at     INTEGER,
    last_error  TEXT,
    -- The digest it went in (its Message-ID), when it went with others to its recipient.
    digest_id   TEXT
) STRICT;
CREATE INDEX outbox_waiting ON outbox(next_at) WHERE state IN ('queued', 'sending');
CREATE INDEX outbox_by_ticket ON outbox(ticket_id);
CREATE INDEX outbox_by_recipient ON outbox(recipient, sent_at);
CREATE INDEX mail_messages_by_ticket ON mail_messages(ticket_id);
