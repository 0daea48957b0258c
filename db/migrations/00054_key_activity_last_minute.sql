-- +goose Up
-- The sort by last use reads the minute of a key's last execution, not the
-- instant (docs/scaling.md, "Writes that grow with checks").
--
-- The counter's flush writes the activity row of every key that ran, every
-- second. While the sort's four indexes covered last_execution_at, no such
-- update was HOT: each wrote a new row version plus an entry in the primary
-- key and in each sort index that holds the key (4.5 WAL records a row,
-- 126-195 ms for a 9,000-key flush on 100,000 keys). The indexes now cover
-- last_execution_minute, which moves only when a run is in a later minute,
-- so a key's second and later runs of a minute are HOT updates of the
-- same page (1.4 WAL records a row, 67-75 ms for the same flush).
--
-- Keys last run in the same minute sort among themselves by id. The list
-- labels a last run in whole minutes from now ("2 min ago"), so the order
-- mostly reads the same; two keys of one minute can show "3 min" above
-- "2 min" for part of a minute. The instant stays in last_execution_at for
-- the key's page, the exports and the APIs.
--
-- date_bin is immutable (date_trunc on a timestamptz depends on the time
-- zone), and agrees with Go's time.Truncate(time.Minute), which the list's
-- cursor uses (licensing.lastUsedSort).
ALTER TABLE license_key_activity
    ADD COLUMN last_execution_minute timestamptz
        GENERATED ALWAYS AS (date_bin('1 minute', last_execution_at, '1970-01-01 00:00:00+00'::timestamptz)) STORED;

DROP INDEX license_key_activity_project_last, license_key_activity_last,
    license_key_activity_banned_last, license_key_activity_unbound_last;
CREATE INDEX license_key_activity_project_last ON license_key_activity
    (project_id, (coalesce(last_execution_minute, '1970-01-01 00:00:00+00'::timestamptz)), key_id);
CREATE INDEX license_key_activity_last ON license_key_activity
    ((coalesce(last_execution_minute, '1970-01-01 00:00:00+00'::timestamptz)), key_id);
CREATE INDEX license_key_activity_banned_last ON license_key_activity
    ((coalesce(last_execution_minute, '1970-01-01 00:00:00+00'::timestamptz)), key_id) WHERE banned;
CREATE INDEX license_key_activity_unbound_last ON license_key_activity
    ((coalesce(last_execution_minute, '1970-01-01 00:00:00+00'::timestamptz)), key_id) WHERE NOT bound;

-- +goose StatementBegin
DO $$ BEGIN
    IF EXISTS (SELECT 1 FROM license_key_activity) THEN
        ANALYZE license_key_activity;
    END IF;
END $$;
-- +goose StatementEnd

-- +goose Down
DROP INDEX license_key_activity_project_last, license_key_activity_last,
    license_key_activity_banned_last, license_key_activity_unbound_last;
ALTER TABLE license_key_activity DROP COLUMN last_execution_minute;
CREATE INDEX license_key_activity_project_last ON license_key_activity
    (project_id, (coalesce(last_execution_at, '1970-01-01 00:00:00+00'::timestamptz)), key_id);
CREATE INDEX license_key_activity_last ON license_key_activity
    ((coalesce(last_execution_at, '1970-01-01 00:00:00+00'::timestamptz)), key_id);
CREATE INDEX license_key_activity_banned_last ON license_key_activity
    ((coalesce(last_execution_at, '1970-01-01 00:00:00+00'::timestamptz)), key_id) WHERE banned;
CREATE INDEX license_key_activity_unbound_last ON license_key_activity
    ((coalesce(last_execution_at, '1970-01-01 00:00:00+00'::timestamptz)), key_id) WHERE NOT bound;
