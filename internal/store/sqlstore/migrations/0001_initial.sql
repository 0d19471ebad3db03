-- Times are int64 microseconds since the Unix epoch (UTC); NULL is the zero
-- time. {{identity}} is the dialect's auto-assigned int64 primary key.

CREATE TABLE ops (
    id             {{identity}},
    key            TEXT   NOT NULL UNIQUE,
    kind           TEXT   NOT NULL,
    app            TEXT   NOT NULL,
    requester      TEXT   NOT NULL,
    requester_name TEXT   NOT NULL,
    channel        TEXT   NOT NULL,
    response_url   TEXT   NOT NULL,
    message_ts     TEXT   NOT NULL,
    reason         TEXT   NOT NULL,
    state          TEXT   NOT NULL,
    sync_kind      TEXT   NOT NULL,
    sync_before    TEXT   NOT NULL,
    sync_after     TEXT   NOT NULL,
    decided_by     TEXT   NOT NULL,
    outcome        TEXT   NOT NULL,
    holder         TEXT   NOT NULL,
    lease_until    BIGINT,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    expires_at     BIGINT
);

-- The per-app exclusion: at most one executing op per app, decided by the
-- database, not by any process's memory.
CREATE UNIQUE INDEX ops_one_executing_per_app ON ops (app) WHERE state = 'executing';
CREATE INDEX ops_by_app ON ops (app, id);
CREATE INDEX ops_by_state ON ops (state, id);

-- The audit log: append-only, never updated.
CREATE TABLE events (
    id         {{identity}},
    op_id      BIGINT NOT NULL REFERENCES ops (id),
    at         BIGINT NOT NULL,
    actor      TEXT   NOT NULL,
    action     TEXT   NOT NULL,
    from_state TEXT   NOT NULL,
    to_state   TEXT   NOT NULL,
    detail     TEXT   NOT NULL
);
CREATE INDEX events_by_op ON events (op_id, id);

-- The last sync object seen per app, raw JSON.
CREATE TABLE snapshots (
    app       TEXT   PRIMARY KEY,
    sync_kind TEXT   NOT NULL,
    sync      TEXT   NOT NULL,
    op_id     BIGINT NOT NULL,
    saved_at  BIGINT NOT NULL
);
