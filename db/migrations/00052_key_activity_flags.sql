-- +goose Up
-- The sort by last use, filtered to banned keys or keys with no HWID
-- (docs/scaling.md, "The keys list at a million keys").
--
-- The keys that ran last are nearly all active ones: a banned key's check
-- is refused, and a reset key binds a new HWID at its next run. Newest
-- first, a walk of license_key_activity_last tested every recently used
-- key against such a filter before the first match (at a million keys,
-- after a load of 12,000 keys: 100-230 ms). The activity table now holds
-- the two flags those filters start from, kept by a trigger, and a partial
-- index of each walks only the keys that can match; the list queries
-- repeat the filter on a (licensing_key_lists.sql). The counter's flush
-- writes neither flag, and its updates of active keys add no entry to
-- either index (their rows are outside both predicates).
ALTER TABLE license_key_activity
    -- license_keys.banned (the ban's end is tested on the key)
    ADD COLUMN banned boolean NOT NULL DEFAULT false,
    -- license_keys.identifier <> '' (an HWID is bound)
    ADD COLUMN bound  boolean NOT NULL DEFAULT false;

UPDATE license_key_activity a SET banned = k.banned, bound = k.identifier <> ''
FROM license_keys k
WHERE k.id = a.key_id AND (k.banned OR k.identifier <> '');

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION license_key_activity_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO license_key_activity (key_id, project_id, last_execution_at, banned, bound)
    SELECT id, project_id, last_execution_at, banned, identifier <> '' FROM license_keys_added
    ON CONFLICT (key_id) DO NOTHING;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION license_key_activity_flags() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE license_key_activity SET banned = NEW.banned, bound = NEW.identifier <> ''
    WHERE key_id = NEW.id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- Only when a flag changes: a ban, an unban, an HWID bound or reset.
CREATE TRIGGER license_keys_activity_flags AFTER UPDATE OF banned, identifier ON license_keys
    FOR EACH ROW
    WHEN (OLD.banned IS DISTINCT FROM NEW.banned OR (OLD.identifier = '') IS DISTINCT FROM (NEW.identifier = ''))
    EXECUTE FUNCTION license_key_activity_flags();

CREATE INDEX license_key_activity_banned_last ON license_key_activity
    ((coalesce(last_execution_at, '1970-01-01 00:00:00+00'::timestamptz)), key_id) WHERE banned;
CREATE INDEX license_key_activity_unbound_last ON license_key_activity
    ((coalesce(last_execution_at, '1970-01-01 00:00:00+00'::timestamptz)), key_id) WHERE NOT bound;

-- +goose StatementBegin
DO $$ BEGIN
    IF EXISTS (SELECT 1 FROM license_key_activity) THEN
        ANALYZE license_key_activity;
    END IF;
END $$;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER license_keys_activity_flags ON license_keys;
DROP FUNCTION license_key_activity_flags();
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION license_key_activity_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO license_key_activity (key_id, project_id, last_execution_at)
    SELECT id, project_id, last_execution_at FROM license_keys_added
    ON CONFLICT (key_id) DO NOTHING;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
ALTER TABLE license_key_activity DROP COLUMN banned, DROP COLUMN bound;
