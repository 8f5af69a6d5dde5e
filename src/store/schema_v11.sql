-- Version 11: mail taken in (`opsdesk ingest mail`), by Message-ID, so a message delivered
-- twice (a mailer's retry) is taken once.
CREATE TABLE mail_messages (
    message_id TEXT PRIMARY KEY,
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id),
    at         INTEGER NOT NULL
) STRICT;
