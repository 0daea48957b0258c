-- +goose Up
-- The keys search reads stored columns, not expressions (docs/scaling.md,
-- "The keys list at a million keys").
--
-- The search was (user_key || ' ' || identifier || ' ' || discord_id)
-- ILIKE '%term%' OR to_tsvector('simple', note) @@ words. Where the planner
-- walks a sort's index and filters (a common note word, or a fragment it
-- thinks common), every key it passed built the string, case-folded it for
-- ILIKE and parsed its note into words: 1.5-2.5 µs a key, where reading the
-- key is 0.4 ("HWID-ab" passed 18,500 keys in 27 ms; 7 ms from these
-- columns, by EXPLAIN ANALYZE on the 1M-key bench). And to_tsvector's cost
-- (procost 100) made the planner count a common word from its index,
-- building a bitmap of every key holding it ("reseller", 57,000 keys: 37
-- ms), where reading keys until 201 match takes 5-8 ms.
--
-- search_ids holds the three fields lower-cased, so the fragment is a plain
-- LIKE of the lower-cased term (the matches ILIKE gives); note_words holds
-- the note's words. Updates that leave those fields alone (the execution
-- counter's flush, bans) recompute them to the same values and stay HOT.
-- Adding the columns rewrites the table and rebuilds both indexes under an
-- exclusive lock: 3 min 12 s at 1M keys on the 2-core machine during a test
-- run (seed --scale, which builds the indexes after loading, takes 98 s).
ALTER TABLE license_keys
    ADD COLUMN search_ids text NOT NULL
        GENERATED ALWAYS AS (lower(user_key || ' ' || identifier || ' ' || discord_id)) STORED,
    ADD COLUMN note_words tsvector NOT NULL
        GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, note)) STORED;
DROP INDEX license_keys_search_ids;
DROP INDEX license_keys_search_note;
-- No pending lists, as migration 00042 explains.
CREATE INDEX license_keys_search_ids ON license_keys
    USING gin (search_ids gin_trgm_ops) WITH (fastupdate = off);
CREATE INDEX license_keys_search_note ON license_keys
    USING gin (note_words) WITH (fastupdate = off);
-- The planner's estimates come from samples of the columns; 1,000 entries
-- as migrations 00040 and 00044 set for the indexes' expressions.
ALTER TABLE license_keys
    ALTER COLUMN search_ids SET STATISTICS 1000,
    ALTER COLUMN note_words SET STATISTICS 1000;

-- +goose StatementBegin
DO $$ BEGIN
    IF EXISTS (SELECT 1 FROM license_keys) THEN
        ANALYZE license_keys;
    END IF;
END $$;
-- +goose StatementEnd

-- +goose Down
DROP INDEX license_keys_search_note;
DROP INDEX license_keys_search_ids;
ALTER TABLE license_keys DROP COLUMN note_words, DROP COLUMN search_ids;
CREATE INDEX license_keys_search_ids ON license_keys
    USING gin ((user_key || ' ' || identifier || ' ' || discord_id) gin_trgm_ops)
    WITH (fastupdate = off);
CREATE INDEX license_keys_search_note ON license_keys
    USING gin (to_tsvector('simple'::regconfig, note))
    WITH (fastupdate = off);
ALTER INDEX license_keys_search_ids ALTER COLUMN 1 SET STATISTICS 1000;
ALTER INDEX license_keys_search_note ALTER COLUMN 1 SET STATISTICS 1000;
