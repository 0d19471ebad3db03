-- What an operation's message says about its target beyond the alias,
-- fixed as the operation goes (the configuration a resume re-sends).
ALTER TABLE ops ADD COLUMN detail TEXT NOT NULL DEFAULT '';
