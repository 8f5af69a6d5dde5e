-- Version 8: the dashboard counts resolutions per day over a period; tickets resolved in it
-- may have been created long before, so they are found by when they were resolved.
CREATE INDEX tickets_resolved ON tickets(resolved_at) WHERE resolved_at IS NOT NULL;
