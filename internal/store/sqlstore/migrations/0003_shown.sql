-- The state an op's channel message last showed. A finished op whose
-- message never showed its outcome (the process died between recording and
-- showing it) is found by shown <> state and shown again. Every op finished
-- before this column existed counts as shown.
ALTER TABLE ops ADD COLUMN shown TEXT NOT NULL DEFAULT '';
UPDATE ops SET shown = state;
