-- +goose Up
-- A key's execution count and last execution move off its license_keys row
-- into license_key_activity (docs/scaling.md, "Writes that grow with
-- checks: the execution counts").
--
-- The counter's flush wrote, every second, the license_keys row of every
-- key that ran: a whole copy of a wide row (note, search vector) in a table
-- that does not fit in memory at a million keys, for two numbers. It was
-- most of the flush's time (0.54-1.35 s of each 12,000-key flush at a
-- million keys) and it held a database core busy under the check's load.
-- The flush now writes only the narrow activity row, which the sort by
-- last use already made it write. license_keys.used stays, for the
-- "never used" filter and its index, as a plain column the flush sets once,
-- at a key's first flushed execution (so that update is rare).
ALTER TABLE license_key_activity ADD COLUMN total_executions bigint NOT NULL DEFAULT 0;

UPDATE license_key_activity a SET total_executions = k.total_executions, last_execution_at = k.last_execution_at
FROM license_keys k
WHERE k.id = a.key_id
  AND (k.total_executions <> 0 OR a.last_execution_at IS DISTINCT FROM k.last_execution_at);

ALTER TABLE license_keys ALTER COLUMN used DROP EXPRESSION, ALTER COLUMN used SET DEFAULT false;
ALTER TABLE license_keys DROP COLUMN total_executions, DROP COLUMN last_execution_at;

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION license_key_activity_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO license_key_activity (key_id, project_id, banned, bound, auth_expire)
    SELECT id, project_id, banned, identifier <> '', auth_expire FROM license_keys_added
    ON CONFLICT (key_id) DO NOTHING;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose Down
ALTER TABLE license_keys
    ADD COLUMN total_executions bigint NOT NULL DEFAULT 0,
    ADD COLUMN last_execution_at timestamptz;

UPDATE license_keys k SET total_executions = a.total_executions, last_execution_at = a.last_execution_at
FROM license_key_activity a
WHERE a.key_id = k.id AND (a.total_executions <> 0 OR a.last_execution_at IS NOT NULL);

-- used was generated from last_execution_at (00051): it and its index are
-- made again as they were.
DROP INDEX license_keys_unused_expire;
ALTER TABLE license_keys DROP COLUMN used;
ALTER TABLE license_keys
    ADD COLUMN used boolean NOT NULL GENERATED ALWAYS AS (last_execution_at IS NOT NULL) STORED;
CREATE INDEX license_keys_unused_expire ON license_keys
    ((coalesce(auth_expire, '9999-12-31 00:00:00+00'::timestamptz)), id) WHERE NOT used;

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION license_key_activity_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO license_key_activity (key_id, project_id, last_execution_at, banned, bound, auth_expire)
    SELECT id, project_id, last_execution_at, banned, identifier <> '', auth_expire FROM license_keys_added
    ON CONFLICT (key_id) DO NOTHING;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

ALTER TABLE license_key_activity DROP COLUMN total_executions;
