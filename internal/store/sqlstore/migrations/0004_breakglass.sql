-- Break-glass: a terminate a SYNC_BREAKGLASS user ran without a second
-- person's approval. It stays open for review until an approver
-- acknowledges it (reviewed_by, reviewed_at); the audit log has the event.
ALTER TABLE ops ADD COLUMN break_glass BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE ops ADD COLUMN reviewed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE ops ADD COLUMN reviewed_at BIGINT;
CREATE INDEX ops_unreviewed ON ops (id) WHERE break_glass AND reviewed_by = '';

-- From now on a finished op whose channel message was never posted (every
-- post failed) is posted again; ops answered to the asker alone are marked
-- shown when they finish. Those finished before this migration without a
-- message were one or the other: count them as shown, as 0003 did.
UPDATE ops SET shown = state
WHERE message_ts = '' AND state IN ('succeeded', 'failed', 'denied', 'cancelled', 'expired');
