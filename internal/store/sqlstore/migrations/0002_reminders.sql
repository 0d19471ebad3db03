-- A reminder is sent by whoever inserts its key first: one per due time,
-- however many replicas run the reminder loop.
CREATE TABLE reminders (
    key        TEXT PRIMARY KEY,
    claimed_at BIGINT NOT NULL
);
