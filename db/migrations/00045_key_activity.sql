-- +goose Up
-- The keys list sorted by last use, from an index (docs/scaling.md, "The
-- keys list at a million keys").
--
-- license_keys.last_execution_at has no index on purpose: the execution
-- counter's flush sets it on every executed key every second, and those
-- updates stay HOT (no index entry to change) only while no index of
-- license_keys covers it. An index there would make each flush update all
-- of the table's indexes, the two search indexes included. The sort reads
-- this narrow table instead: one row a key, written by the same flush in
-- the same transaction (so the sort and the key's last_execution_at always
-- agree); its updates are not HOT, but they touch three small btrees.
CREATE TABLE license_key_activity (
    key_id            bigint      PRIMARY KEY REFERENCES license_keys (id) ON DELETE CASCADE,
    -- a key never moves between projects
    project_id        bigint      NOT NULL,
    -- license_keys.last_execution_at; NULL: never executed
    last_execution_at timestamptz
) WITH (fillfactor = 90);
-- ORDER BY coalesce(last_execution_at, epoch) DESC, key_id DESC (and its
-- reverse), per project and across every project; never-used keys sort as
-- the epoch, as the list queries' cursor does.
CREATE INDEX license_key_activity_project_last ON license_key_activity
    (project_id, (coalesce(last_execution_at, '1970-01-01 00:00:00+00'::timestamptz)), key_id);
CREATE INDEX license_key_activity_last ON license_key_activity
    ((coalesce(last_execution_at, '1970-01-01 00:00:00+00'::timestamptz)), key_id);

-- Every key has its row from its insert on, whoever inserts it (the API,
-- the console, imports, seed --scale's COPY): a statement trigger, so a
-- COPY of a million keys adds one INSERT ... SELECT, not a million calls.
-- +goose StatementBegin
CREATE FUNCTION license_key_activity_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO license_key_activity (key_id, project_id, last_execution_at)
    SELECT id, project_id, last_execution_at FROM license_keys_added
    ON CONFLICT (key_id) DO NOTHING;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER license_keys_activity AFTER INSERT ON license_keys
    REFERENCING NEW TABLE AS license_keys_added
    FOR EACH STATEMENT EXECUTE FUNCTION license_key_activity_insert();

INSERT INTO license_key_activity (key_id, project_id, last_execution_at)
SELECT id, project_id, last_execution_at FROM license_keys;

-- +goose StatementBegin
DO $$ BEGIN
    IF EXISTS (SELECT 1 FROM license_key_activity) THEN
        ANALYZE license_key_activity;
    END IF;
END $$;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER license_keys_activity ON license_keys;
DROP FUNCTION license_key_activity_insert();
DROP TABLE license_key_activity;
