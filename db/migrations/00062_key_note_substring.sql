-- +goose Up
-- The Luarmor API's GET users?search= matches a substring anywhere in the
-- key, HWID, Discord ID or note (its spec); the note part (note_like,
-- k.note ILIKE '%term%') had no index. A search the planner could not read
-- from the indexes walked the project's keys by creation and filtered each:
-- 140 - 165 ms for a key fragment at 250,000 keys a project, and 2.5 s at
-- the median under 32 clients (the 1M-key bench). A trigram index on the
-- note lets the planner OR the note's matches with search_ids' bitmap
-- (6 ms). Notes are short and most keys have none: 4.7 s to build at a
-- million keys, and an empty note adds no entry.
CREATE INDEX license_keys_note_trgm ON license_keys
    USING gin (note gin_trgm_ops) WITH (fastupdate = off);
ALTER TABLE license_keys ALTER COLUMN note SET STATISTICS 1000;

-- key_search_estimate now prices the API's search as the list runs it: the
-- pattern on search_ids, or the words, or the same pattern on the note.
-- licensing.listQuery reads a note substring's matches and sorts them by
-- creation below a few thousand, rather than walk: the planner prices a
-- substring of short notes high ("order #12": 4,150 estimated, 621 real,
-- its walk passed 97,000 keys in 54 ms; its matches took 7.6 ms).
DROP FUNCTION key_search_estimate(text, text);
-- +goose StatementBegin
CREATE FUNCTION key_search_estimate(pattern text, words text, note_like text) RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
AS $$
DECLARE
    plan json;
BEGIN
    EXECUTE 'EXPLAIN (FORMAT JSON) SELECT 1 FROM license_keys k
             WHERE k.search_ids LIKE $1
                OR ($2::text IS NOT NULL AND k.note_words @@ key_note_query($2::text))
                OR ($3::text IS NOT NULL AND k.note ILIKE $3)'
        INTO plan USING lower(pattern), words, note_like;
    RETURN (plan -> 0 -> 'Plan' ->> 'Plan Rows')::numeric::bigint;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
DO $$ BEGIN
    IF EXISTS (SELECT 1 FROM license_keys) THEN
        ANALYZE license_keys;
    END IF;
END $$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION key_search_estimate(text, text, text);
-- +goose StatementBegin
CREATE FUNCTION key_search_estimate(pattern text, words text) RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
AS $$
DECLARE
    plan json;
BEGIN
    EXECUTE 'EXPLAIN (FORMAT JSON) SELECT 1 FROM license_keys k
             WHERE k.search_ids LIKE $1
                OR ($2::text IS NOT NULL AND k.note_words @@ key_note_query($2::text))'
        INTO plan USING lower(pattern), words;
    RETURN (plan -> 0 -> 'Plan' ->> 'Plan Rows')::numeric::bigint;
END
$$;
-- +goose StatementEnd
ALTER TABLE license_keys ALTER COLUMN note SET STATISTICS -1;
DROP INDEX license_keys_note_trgm;
