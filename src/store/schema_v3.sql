-- Version 3: the "recently closed" view of the terminal desk reads finished tickets by when
-- they last changed; a partial index keeps that independent of the desk's history.
CREATE INDEX tickets_closed_recent ON tickets(updated_at) WHERE is_open = 0;
