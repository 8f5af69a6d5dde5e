-- Version 9: the timeline's hash chain (see chain.rs). Each event carries SHA-256 over the
-- hash of the event before it and its own content. Existing events are chained by the
-- migration's hook, with the append-only trigger lifted for that one transaction.
ALTER TABLE events ADD COLUMN hash BLOB;
DROP TRIGGER events_append_only_update;
