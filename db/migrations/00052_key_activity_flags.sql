-- +goose Up
-- The sort by last use, filtered to banned keys, keys with no HWID or
-- expired keys (docs/scaling.md, "The keys list at a million keys").
--
-- The keys that ran last are nearly all active ones: a banned or expired
-- key's check is refused, and a reset key binds a new HWID at its next
-- run. Newest first, a walk of license_key_activity_last read every
-- recently used key to test such a filter before the first match (at a
-- million keys, after a load of 12,000 keys: 100-230 ms, most of it in
-- reading the keys). The activity table now holds copies of what those
-- filters start from, kept by a trigger: the ban and the HWID's presence,
-- each with a partial index that walks only the keys that can match, and
-- the expiry (which "now" moves, so no index: the walk tests it on the
-- narrow row and reads only matching keys). The list queries repeat the
-- filters on a (licensing_key_lists.sql). The counter's flush writes none
-- of them, and its updates of active keys add no entry to either partial
-- index (their rows are outside both predicates).
ALTER TABLE license_key_activity
    -- license_keys.banned (the ban's end is tested on the key)
    ADD COLUMN banned boolean NOT NULL DEFAULT false,
    -- license_keys.identifier <> '' (an HWID is bound)
    ADD COLUMN bound  boolean NOT NULL DEFAULT false,
    -- license_keys.auth_expire
    ADD COLUMN auth_expire timestamptz;

UPDATE license_key_activity a SET banned = k.banned, bound = k.identifier <> '', auth_expire = k.auth_expire
FROM license_keys k
WHERE k.id = a.key_id AND (k.banned OR k.identifier <> '' OR k.auth_expire IS NOT NULL);

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

-- +goose StatementBegin
CREATE FUNCTION license_key_activity_flags() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE license_key_activity SET banned = NEW.banned, bound = NEW.identifier <> '', auth_expire = NEW.auth_expire
    WHERE key_id = NEW.id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- Only when a copy changes: a ban, an unban, an HWID bound or reset, an
-- expiry set (a first run starts a key's days) or moved.
CREATE TRIGGER license_keys_activity_flags AFTER UPDATE OF banned, identifier, auth_expire ON license_keys
    FOR EACH ROW
    WHEN (OLD.banned IS DISTINCT FROM NEW.banned OR (OLD.identifier = '') IS DISTINCT FROM (NEW.identifier = '')
          OR OLD.auth_expire IS DISTINCT FROM NEW.auth_expire)
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
ALTER TABLE license_key_activity DROP COLUMN banned, DROP COLUMN bound, DROP COLUMN auth_expire;
