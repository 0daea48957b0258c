-- +goose Up
-- The planner's estimate of how many keys a search matches in all projects
-- (docs/scaling.md, "The keys list at a million keys"). The sorts by
-- expiry and last use walk an index and test each key they pass; the
-- planner prices that walk as if a search's matches were spread evenly
-- along it, and they are not: an HWID fragment matches only used keys, so
-- walking oldest use first passes the never-used keys first.
-- licensing.listQuery asks this estimate first and, for a search of a few
-- thousand keys, reads the matches and sorts them (16-32 ms at a million
-- keys) instead of risking the walk (up to 0.7 s).
-- EXPLAIN plans with the values given (a custom plan), so the estimate
-- reads the same index statistics as the list's own plan; it plans, and
-- reads no key. VOLATILE: PostgreSQL runs EXPLAIN only in a volatile function.
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

-- +goose Down
DROP FUNCTION key_search_estimate(text, text);
