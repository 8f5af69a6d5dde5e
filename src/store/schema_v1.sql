-- opsdesk desk schema, version 1: tickets, the append-only timeline, comments, links, CMDB,
-- operators. Times are Unix milliseconds (UTC); planned/actual change times are RFC 3339 UTC.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE operators (
    name       TEXT PRIMARY KEY COLLATE NOCASE,
    roles      TEXT NOT NULL,            -- comma-separated: agent, cab, admin
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE tickets (
    id                  INTEGER PRIMARY KEY,
    kind                TEXT NOT NULL CHECK (kind IN ('incident', 'request', 'problem', 'change')),
    number              INTEGER NOT NULL CHECK (number > 0),
    state               TEXT NOT NULL,
    is_open             INTEGER NOT NULL CHECK (is_open IN (0, 1)),
    title               TEXT NOT NULL,
    description         TEXT NOT NULL DEFAULT '',
    impact              INTEGER NOT NULL CHECK (impact BETWEEN 1 AND 3),
    urgency             INTEGER NOT NULL CHECK (urgency BETWEEN 1 AND 3),
    priority            INTEGER NOT NULL CHECK (priority BETWEEN 1 AND 5),
    requester           TEXT NOT NULL,
    assignee            TEXT,
    team                TEXT,
    category            TEXT,
    pending_reason      TEXT,
    resolution_code     TEXT,
    resolution_note     TEXT,
    root_cause          TEXT,
    workaround          TEXT,
    change_type         TEXT CHECK (change_type IN ('standard', 'normal', 'emergency')),
    risk                TEXT,
    implementation_plan TEXT,
    backout_plan        TEXT,
    planned_start       TEXT,
    planned_end         TEXT,
    actual_start        TEXT,
    actual_end          TEXT,
    close_code          TEXT,
    review_note         TEXT,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    version             INTEGER NOT NULL CHECK (version > 0),
    UNIQUE (kind, number)
) STRICT;

CREATE TABLE comments (
    id        INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    at        INTEGER NOT NULL,
    author    TEXT NOT NULL,
    body      TEXT NOT NULL,
    internal  INTEGER NOT NULL DEFAULT 0 CHECK (internal IN (0, 1))  -- 1: a work note
) STRICT;
CREATE INDEX comments_by_ticket ON comments(ticket_id, id);

-- The timeline. One action writes one or more rows in one transaction; rows are never
-- changed or removed (see the triggers below).
CREATE TABLE events (
    id         INTEGER PRIMARY KEY,
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id),
    at         INTEGER NOT NULL,
    actor      TEXT NOT NULL,
    kind       TEXT NOT NULL,   -- created, transition, field, comment, work_note, link, ci_link
    field      TEXT,            -- the field changed; for a transition, its name
    old        TEXT,
    new        TEXT,
    note       TEXT,
    comment_id INTEGER REFERENCES comments(id)
) STRICT;
CREATE INDEX events_by_ticket ON events(ticket_id, id);

CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'the timeline is append-only: an event cannot be changed'); END;
CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'the timeline is append-only: an event cannot be removed'); END;
CREATE TRIGGER comments_append_only_update BEFORE UPDATE ON comments
BEGIN SELECT RAISE(ABORT, 'comments are part of the timeline and cannot be changed'); END;
CREATE TRIGGER comments_append_only_delete BEFORE DELETE ON comments
BEGIN SELECT RAISE(ABORT, 'comments are part of the timeline and cannot be removed'); END;

-- incident -> problem: caused_by; problem -> change: fixed_by; otherwise related.
CREATE TABLE ticket_links (
    from_id  INTEGER NOT NULL REFERENCES tickets(id),
    to_id    INTEGER NOT NULL REFERENCES tickets(id),
    relation TEXT NOT NULL,
    at       INTEGER NOT NULL,
    PRIMARY KEY (from_id, to_id),
    CHECK (from_id <> to_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX ticket_links_to ON ticket_links(to_id);

CREATE TABLE cis (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
    class       TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'live',
    owner_team  TEXT,
    environment TEXT,
    attrs       TEXT NOT NULL DEFAULT '{}',   -- a JSON object of free attributes
    created_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE ci_relations (
    from_ci  INTEGER NOT NULL REFERENCES cis(id),
    relation TEXT NOT NULL CHECK (relation IN ('depends_on', 'runs_on', 'connected_to', 'part_of')),
    to_ci    INTEGER NOT NULL REFERENCES cis(id),
    PRIMARY KEY (from_ci, relation, to_ci),
    CHECK (from_ci <> to_ci)
) STRICT, WITHOUT ROWID;
CREATE INDEX ci_relations_to ON ci_relations(to_ci);

CREATE TABLE ticket_cis (
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    ci_id     INTEGER NOT NULL REFERENCES cis(id),
    PRIMARY KEY (ticket_id, ci_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX ticket_cis_by_ci ON ticket_cis(ci_id, ticket_id);
