-- Version 4: freeze windows (change blackouts), optionally limited to some CIs or services.
CREATE TABLE freeze_windows (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE COLLATE NOCASE,
    start      TEXT NOT NULL,          -- RFC 3339 UTC
    end        TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    CHECK (end > start)
) STRICT;

CREATE TABLE freeze_window_cis (
    freeze_id INTEGER NOT NULL REFERENCES freeze_windows(id),
    ci_id     INTEGER NOT NULL REFERENCES cis(id),
    PRIMARY KEY (freeze_id, ci_id)
) STRICT, WITHOUT ROWID;

-- Maintenance windows per CI: weekly specs such as "Sun 02:00-06:00 Europe/Berlin".
CREATE TABLE ci_maintenance (
    ci_id INTEGER NOT NULL REFERENCES cis(id),
    spec  TEXT NOT NULL,
    PRIMARY KEY (ci_id, spec)
) STRICT, WITHOUT ROWID;
