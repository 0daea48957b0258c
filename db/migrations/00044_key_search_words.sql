-- +goose Up
-- Full-text search for note words, trigram for key fragments (issue: the
-- keys list at a million keys, docs/scaling.md).
--
-- The one trigram index over user_key, identifier, discord_id and note made
-- a note word cost 20-927 ms at 1M keys: the trigrams of common note words
-- ("ord", "rde", "der" of every "order ..." note) have posting lists of
-- hundreds of thousands of keys, all read and intersected before the
-- recheck. Notes are now matched by words: a word index (one posting list
-- per word, so "order" is one list, read only as far as the plan needs) on
-- to_tsvector('simple', note); the trigram index keeps the key, HWID and
-- Discord id only, short random strings whose trigrams are all rare.
-- The search is (fragment ILIKE over those three) OR (note @@ prefix query),
-- which the planner answers with a BitmapOr of the two indexes.
-- A note is no longer matched by a fragment inside a word ("rder"), only by
-- words and word prefixes ("ord", "order 12").
DROP INDEX license_keys_search;
CREATE INDEX license_keys_search_ids ON license_keys
    USING gin ((user_key || ' ' || identifier || ' ' || discord_id) gin_trgm_ops)
    WITH (fastupdate = off); -- no pending list, as migration 00042 explains
CREATE INDEX license_keys_search_note ON license_keys
    USING gin (to_tsvector('simple'::regconfig, note))
    WITH (fastupdate = off);
-- The planner's estimates of both halves come from samples of the index
-- expressions; 1,000 entries as migration 00040 set for the old index.
ALTER INDEX license_keys_search_ids ALTER COLUMN 1 SET STATISTICS 1000;
ALTER INDEX license_keys_search_note ALTER COLUMN 1 SET STATISTICS 1000;

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
CREATE INDEX license_keys_search ON license_keys
    USING gin ((user_key || ' ' || identifier || ' ' || discord_id || ' ' || note) gin_trgm_ops)
    WITH (fastupdate = off);
ALTER INDEX license_keys_search ALTER COLUMN 1 SET STATISTICS 1000;
