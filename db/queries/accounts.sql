-- Customer accounts shared by all five products.

-- name: CreateAccount :one
INSERT INTO accounts (name, email, discord_id, note)
VALUES ($1, $2, $3, $4)
RETURNING *;

-- Bulk load (lumdesk seed --scale --accounts): synthetic accounts only.
-- name: CopyAccounts :copyfrom
INSERT INTO accounts (name, email, discord_id, note, status, suspended_reason, created_at, updated_at)
VALUES (sqlc.arg(name), sqlc.arg(email), sqlc.arg(discord_id), sqlc.arg(note), sqlc.arg(status),
        sqlc.arg(suspended_reason), sqlc.arg(created_at), sqlc.arg(created_at));

-- After a bulk load: the visibility map (counts read the indexes alone)
-- and the planner's statistics, before autovacuum would get to them.
-- name: VacuumAccounts :exec
VACUUM (ANALYZE) accounts;

-- The newest accounts' ids (a bulk ledger load spreads its entries over them).
-- name: NewestAccountIDs :many
SELECT id FROM accounts ORDER BY id DESC LIMIT $1;

-- name: GetAccount :one
SELECT * FROM accounts WHERE id = $1;

-- The names of the accounts a page lists by id, in one query.
-- name: AccountNames :many
SELECT id, name FROM accounts WHERE id = ANY(sqlc.arg(ids)::bigint[]);

-- name: GetAccountForUpdate :one
SELECT * FROM accounts WHERE id = $1 FOR UPDATE;

-- name: GetAccountByEmail :one
SELECT * FROM accounts WHERE email = $1;

-- name: UpdateAccount :one
UPDATE accounts
SET name = $2, email = $3, discord_id = $4, note = $5, updated_at = now()
WHERE id = $1
RETURNING *;

-- name: SetAccountStatus :one
UPDATE accounts
SET status = $2, suspended_reason = $3, updated_at = now()
WHERE id = $1
RETURNING *;

-- Demo seeding only: spread the sample accounts over past dates.
-- name: BackdateAccount :exec
UPDATE accounts SET created_at = $2, updated_at = $2 WHERE id = $1;

-- The four list queries below share one filter block and differ only in the
-- keyset (sort column, id) and its direction; a page in the opposite direction
-- ("Previous") runs the mirrored query and reverses the rows. They are run
-- with plan_cache_mode = force_custom_plan (see UseCustomPlans) so that the
-- "parameter IS NULL OR ..." filters fold away and the trigram and keyset
-- indexes are used for the values at hand. name_key is the name's sort key
-- as the database computes it, for the cursor. The search is a LIKE over
-- search_text (migration 00047), which accounts_search_trgm finds; the
-- name sorts pick their page's ids in a subquery, so that when the search
-- is common and the planner walks the names, accounts_name_search (which
-- carries name and search_text) answers it alone, without a heap fetch per
-- name passed.

-- name: ListAccountsCreatedDesc :many
SELECT sqlc.embed(accounts), lower(accounts.name)::text AS name_key
FROM accounts
WHERE (sqlc.narg('status')::text IS NULL OR status = sqlc.narg('status')::text)
  AND (sqlc.narg('created_from')::timestamptz IS NULL OR created_at >= sqlc.narg('created_from')::timestamptz)
  AND (sqlc.narg('created_to')::timestamptz IS NULL OR created_at < sqlc.narg('created_to')::timestamptz)
  AND (sqlc.narg('pattern')::text IS NULL
       OR search_text LIKE lower(sqlc.narg('pattern')::text)
       OR id = sqlc.narg('match_id')::bigint)
  AND (sqlc.narg('discord_id')::text IS NULL OR discord_id = sqlc.narg('discord_id')::text)
  AND (sqlc.narg('cursor_time')::timestamptz IS NULL
       OR (created_at, id) < (sqlc.narg('cursor_time')::timestamptz, sqlc.narg('cursor_id')::bigint))
ORDER BY created_at DESC, id DESC
LIMIT sqlc.arg('lim');

-- name: ListAccountsCreatedAsc :many
SELECT sqlc.embed(accounts), lower(accounts.name)::text AS name_key
FROM accounts
WHERE (sqlc.narg('status')::text IS NULL OR status = sqlc.narg('status')::text)
  AND (sqlc.narg('created_from')::timestamptz IS NULL OR created_at >= sqlc.narg('created_from')::timestamptz)
  AND (sqlc.narg('created_to')::timestamptz IS NULL OR created_at < sqlc.narg('created_to')::timestamptz)
  AND (sqlc.narg('pattern')::text IS NULL
       OR search_text LIKE lower(sqlc.narg('pattern')::text)
       OR id = sqlc.narg('match_id')::bigint)
  AND (sqlc.narg('discord_id')::text IS NULL OR discord_id = sqlc.narg('discord_id')::text)
  AND (sqlc.narg('cursor_time')::timestamptz IS NULL
       OR (created_at, id) > (sqlc.narg('cursor_time')::timestamptz, sqlc.narg('cursor_id')::bigint))
ORDER BY created_at, id
LIMIT sqlc.arg('lim');

-- name: ListAccountsNameAsc :many
SELECT sqlc.embed(accounts), m.name_key
FROM (
    SELECT id, lower(name)::text AS name_key
    FROM accounts
    WHERE (sqlc.narg('status')::text IS NULL OR status = sqlc.narg('status')::text)
      AND (sqlc.narg('created_from')::timestamptz IS NULL OR created_at >= sqlc.narg('created_from')::timestamptz)
      AND (sqlc.narg('created_to')::timestamptz IS NULL OR created_at < sqlc.narg('created_to')::timestamptz)
      AND (sqlc.narg('pattern')::text IS NULL
           OR search_text LIKE lower(sqlc.narg('pattern')::text)
           OR id = sqlc.narg('match_id')::bigint)
      AND (sqlc.narg('discord_id')::text IS NULL OR discord_id = sqlc.narg('discord_id')::text)
      AND (sqlc.narg('cursor_name')::text IS NULL
           OR (lower(name), id) > (sqlc.narg('cursor_name')::text, sqlc.narg('cursor_id')::bigint))
    ORDER BY lower(name), id
    LIMIT sqlc.arg('lim')
) m JOIN accounts ON accounts.id = m.id
ORDER BY m.name_key, m.id;

-- name: ListAccountsNameDesc :many
SELECT sqlc.embed(accounts), m.name_key
FROM (
    SELECT id, lower(name)::text AS name_key
    FROM accounts
    WHERE (sqlc.narg('status')::text IS NULL OR status = sqlc.narg('status')::text)
      AND (sqlc.narg('created_from')::timestamptz IS NULL OR created_at >= sqlc.narg('created_from')::timestamptz)
      AND (sqlc.narg('created_to')::timestamptz IS NULL OR created_at < sqlc.narg('created_to')::timestamptz)
      AND (sqlc.narg('pattern')::text IS NULL
           OR search_text LIKE lower(sqlc.narg('pattern')::text)
           OR id = sqlc.narg('match_id')::bigint)
      AND (sqlc.narg('discord_id')::text IS NULL OR discord_id = sqlc.narg('discord_id')::text)
      AND (sqlc.narg('cursor_name')::text IS NULL
           OR (lower(name), id) < (sqlc.narg('cursor_name')::text, sqlc.narg('cursor_id')::bigint))
    ORDER BY lower(name) DESC, id DESC
    LIMIT sqlc.arg('lim')
) m JOIN accounts ON accounts.id = m.id
ORDER BY m.name_key DESC, m.id DESC;

-- Plan each list query for its actual parameters (only inside a transaction).
-- name: UseCustomPlans :exec
SELECT set_config('plan_cache_mode', 'force_custom_plan', true);

-- Exact counts, used while the table is small.
-- name: CountAccountsByStatus :one
SELECT count(*)::bigint AS total,
       count(*) FILTER (WHERE status = 'active')::bigint AS active,
       count(*) FILTER (WHERE status = 'suspended')::bigint AS suspended
FROM accounts;

-- The share of suspended accounts from the column statistics (0 when unknown).
-- name: EstimateSuspendedShare :one
SELECT COALESCE((
    SELECT (s.most_common_freqs)[array_position(s.most_common_vals::text::text[], 'suspended')]
    FROM pg_catalog.pg_stats s
    WHERE s.schemaname = current_schema() AND s.tablename = 'accounts' AND s.attname = 'status'
    LIMIT 1), 0)::float8 AS share;

-- Sign-ups per UTC day from the day since, from the daily roll-up the
-- accounts' triggers keep (migration 00047): a row a day, where counting
-- the accounts read every one of the period's.
-- name: CountAccountSignupsPerDay :many
SELECT day, n FROM account_signups_daily
WHERE day >= sqlc.arg('since')::date
ORDER BY day;

-- name: CountAccounts :one
-- count of: ListAccountsCreatedDesc
-- The list's filters counted up to lim rows (internal/platform/listcount), with
-- the list's params so accounts.Service.Count converts them.
SELECT count(*) FROM (
SELECT 1
FROM accounts
WHERE (sqlc.narg('status')::text IS NULL OR status = sqlc.narg('status')::text)
  AND (sqlc.narg('created_from')::timestamptz IS NULL OR created_at >= sqlc.narg('created_from')::timestamptz)
  AND (sqlc.narg('created_to')::timestamptz IS NULL OR created_at < sqlc.narg('created_to')::timestamptz)
  AND (sqlc.narg('pattern')::text IS NULL
       OR search_text LIKE lower(sqlc.narg('pattern')::text)
       OR id = sqlc.narg('match_id')::bigint)
  AND (sqlc.narg('discord_id')::text IS NULL OR discord_id = sqlc.narg('discord_id')::text)
  AND (sqlc.narg('cursor_time')::timestamptz IS NULL
       OR (created_at, id) < (sqlc.narg('cursor_time')::timestamptz, sqlc.narg('cursor_id')::bigint))
LIMIT sqlc.arg('lim')) counted;
