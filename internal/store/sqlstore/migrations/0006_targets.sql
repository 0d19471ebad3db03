-- An op is bound to its target's identity, fixed when it is requested; the
-- alias (app) is only a label, since SYNC_APPS may re-point it at another
-- app while a request waits. target_key is Target.Key(): what exclusion
-- and snapshots go by.
ALTER TABLE ops ADD COLUMN target_kind TEXT NOT NULL DEFAULT '';
ALTER TABLE ops ADD COLUMN group_id    TEXT NOT NULL DEFAULT '';
ALTER TABLE ops ADD COLUMN app_id      TEXT NOT NULL DEFAULT '';
ALTER TABLE ops ADD COLUMN service_id  TEXT NOT NULL DEFAULT '';
ALTER TABLE ops ADD COLUMN target_name TEXT NOT NULL DEFAULT '';
ALTER TABLE ops ADD COLUMN target_key  TEXT NOT NULL DEFAULT '';

-- This migration cannot know SYNC_APPS, so older ops keep their alias as
-- their key (store.LegacyKey) until AdoptLegacy binds them: the exclusion
-- the old per-app index gave them holds meanwhile.
UPDATE ops SET target_key = 'alias/' || app;

-- The exclusion moves from the alias to the target: at most one executing
-- op per target, decided by the database.
DROP INDEX ops_one_executing_per_app;
CREATE UNIQUE INDEX ops_one_executing_per_target ON ops (target_key) WHERE state = 'executing';
CREATE INDEX ops_by_target ON ops (target_key, id);

-- The last sync object seen per target, raw JSON. The old snapshots table,
-- keyed by alias, holds only legacy rows from now on: AdoptLegacy moves
-- those whose alias it can resolve here, and the rest are never restored.
CREATE TABLE target_snapshots (
    target_key  TEXT   PRIMARY KEY,
    target_kind TEXT   NOT NULL,
    group_id    TEXT   NOT NULL,
    app_id      TEXT   NOT NULL,
    service_id  TEXT   NOT NULL,
    target_name TEXT   NOT NULL,
    app         TEXT   NOT NULL,
    sync_kind   TEXT   NOT NULL,
    sync        TEXT   NOT NULL,
    op_id       BIGINT NOT NULL,
    saved_at    BIGINT NOT NULL
);
