-- Version 6: each ticket's SLA clocks (domain::sla) as its policy and timeline give them,
-- kept on the row as the timeline is written, and the escalations already recorded.
-- Times are Unix milliseconds; `*_left` is the target less the working time spent, in ms.
-- The clocks are worked out when a desk is first opened with a policy (and again whenever
-- the policy changes; see store::sla).

ALTER TABLE tickets ADD COLUMN tto_phase TEXT CHECK (tto_phase IN ('running', 'paused', 'stopped'));
ALTER TABLE tickets ADD COLUMN tto_risk_at INTEGER;
ALTER TABLE tickets ADD COLUMN tto_due_at INTEGER;
ALTER TABLE tickets ADD COLUMN tto_left INTEGER;
ALTER TABLE tickets ADD COLUMN ttr_phase TEXT CHECK (ttr_phase IN ('running', 'paused', 'stopped'));
ALTER TABLE tickets ADD COLUMN ttr_risk_at INTEGER;
ALTER TABLE tickets ADD COLUMN ttr_due_at INTEGER;
ALTER TABLE tickets ADD COLUMN ttr_left INTEGER;
-- The earliest threshold of a running clock not yet recorded as an escalation, and which
-- have been (bits of domain::sla: 1 tto at risk, 2 tto breached, 4 ttr at risk, 8 ttr
-- breached).
ALTER TABLE tickets ADD COLUMN sla_next INTEGER;
ALTER TABLE tickets ADD COLUMN sla_flags INTEGER NOT NULL DEFAULT 0;
CREATE INDEX tickets_sla_next ON tickets(sla_next) WHERE sla_next IS NOT NULL;

-- The queue reads its rows, clocks included, from this index alone.
DROP INDEX tickets_open_queue;
CREATE INDEX tickets_open_queue ON tickets(priority, created_at, id, kind, number, state, assignee, updated_at, title,
    tto_phase, tto_risk_at, tto_due_at, tto_left, ttr_phase, ttr_risk_at, ttr_due_at, ttr_left)
    WHERE is_open = 1;
