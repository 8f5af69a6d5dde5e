-- Version 10: alerts from monitoring (`opsdesk ingest alertmanager`). An alert, known by its
-- source and fingerprint, belongs to the incident it opened; while that incident is open, the
-- alert firing again counts an occurrence instead of opening another ticket.
CREATE TABLE alerts (
    source      TEXT NOT NULL,      -- alertmanager
    fingerprint TEXT NOT NULL,
    ticket_id   INTEGER NOT NULL REFERENCES tickets(id),
    occurrences INTEGER NOT NULL,
    first_seen  INTEGER NOT NULL,   -- ms since the epoch, when opsdesk first heard of it
    last_seen   INTEGER NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('firing', 'resolved')),
    PRIMARY KEY (source, fingerprint, ticket_id)
) STRICT;
CREATE INDEX alerts_by_ticket ON alerts(ticket_id);
