-- +goose Up
-- The keys list filtered to keys that lie together at the far end of the
-- expiry sort (docs/scaling.md, "The keys list at a million keys").
--
-- Keys that never ran, keys with no HWID (reset, banned without one) and
-- banned keys mostly have no expiry: a key's days start at its first
-- execution, and a ban is often for good. Sorted
-- by expiry, soonest first, they come after every key that has one, and a
-- walk of license_keys_expire tested each of those first: 2 s at a million
-- keys, 470,000 keys passed for the first 51. These partial indexes hold
-- only such keys, in the same order, so the walk starts among them: the
-- lists' plans use one wherever the filter implies its predicate (status
-- reset: identifier = ''; banned: banned; never used: NOT used). A ban or
-- an HWID change updates them; the counter's flush changes neither.
--
-- used mirrors last_execution_at IS NOT NULL. last_execution_at itself
-- must stay out of every index and predicate (the execution counter's
-- flush sets it every second and those updates stay HOT only while no
-- index covers it, migration 00045); used changes once, at a key's first
-- flushed execution, and every later flush recomputes it to the same value,
-- which keeps the update HOT. Adding it rewrites the table (as 00048 did).
ALTER TABLE license_keys
    ADD COLUMN used boolean NOT NULL GENERATED ALWAYS AS (last_execution_at IS NOT NULL) STORED;

CREATE INDEX license_keys_unused_expire ON license_keys
    ((coalesce(auth_expire, '9999-12-31 00:00:00+00'::timestamptz)), id) WHERE NOT used;
CREATE INDEX license_keys_unbound_expire ON license_keys
    ((coalesce(auth_expire, '9999-12-31 00:00:00+00'::timestamptz)), id) WHERE identifier = '';
CREATE INDEX license_keys_banned_expire ON license_keys
    ((coalesce(auth_expire, '9999-12-31 00:00:00+00'::timestamptz)), id) WHERE banned;

-- +goose StatementBegin
DO $$ BEGIN
    IF EXISTS (SELECT 1 FROM license_keys) THEN
        ANALYZE license_keys;
    END IF;
END $$;
-- +goose StatementEnd

-- +goose Down
DROP INDEX license_keys_banned_expire;
DROP INDEX license_keys_unbound_expire;
DROP INDEX license_keys_unused_expire;
ALTER TABLE license_keys DROP COLUMN used;
