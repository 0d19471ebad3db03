-- The steps of multi-step operations (a cluster pause pauses each app's
-- sync, then the cluster; a resume waits, then resumes those syncs), so a
-- restart or another replica continues from the last journaled step.
-- seq keeps the order steps were first recorded in.
CREATE TABLE op_steps (
    op_id  BIGINT  NOT NULL REFERENCES ops (id),
    name   TEXT    NOT NULL,
    seq    INTEGER NOT NULL,
    label  TEXT    NOT NULL DEFAULT '',
    state  TEXT    NOT NULL,
    detail TEXT    NOT NULL DEFAULT '',
    at     BIGINT  NOT NULL,
    PRIMARY KEY (op_id, name)
);
