-- Version 15: the longest planned window (version 13's change_span) is raised by the store
-- as it writes a change's plan (store::tickets::raise_change_span), not by triggers. The
-- triggers made every ticket written a write of more than one row, which SQLite guards with
-- a statement journal: a copy of each page the insert touched, for incidents too. That was
-- 8 % of an import.
DROP TRIGGER change_span_insert;
DROP TRIGGER change_span_update;
