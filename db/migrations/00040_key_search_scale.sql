-- +goose Up
-- The keys list at a million keys (issue 14).
--
-- The planner chooses between walking a sort's index and filtering (cheap
-- when a search matches many keys) and the trigram index (cheap when it
-- matches few) from its estimate of how many keys match. That estimate
-- comes from matching the pattern against a sample of the index's
-- expression: at the default 100 entries a note word on 0.5 % of the keys
-- reads as 0 % or 1 %, a factor of two either way. 1,000 entries tell 0.1 % apart, and
-- matching them costs well under a millisecond of planning per search
-- (10,000 cost several).
ALTER INDEX license_keys_search ALTER COLUMN 1 SET STATISTICS 1000;

-- The sort by expiry across every project (the console's keys page without
-- a project); per project, license_keys_project_expire serves it.
CREATE INDEX license_keys_expire ON license_keys
    ((coalesce(auth_expire, '9999-12-31 00:00:00+00'::timestamptz)), id);

-- A table with keys gets its new sample now rather than at autovacuum's
-- next analyze. (An empty one is left unanalyzed: its statistics would
-- then say "empty" for sure, and the planner would stop using the indexes
-- a test database's few rows are meant to show.)
-- +goose StatementBegin
DO $$ BEGIN
    IF EXISTS (SELECT 1 FROM license_keys) THEN
        ANALYZE license_keys;
    END IF;
END $$;
-- +goose StatementEnd

-- +goose Down
DROP INDEX license_keys_expire;
ALTER INDEX license_keys_search ALTER COLUMN 1 SET STATISTICS -1;
