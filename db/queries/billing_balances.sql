-- Lumi balances: one row per account that ever had money moved. Writers lock
-- the row (EnsureBalance, then LockBalance) before they touch the ledger.

-- name: EnsureBalance :exec
INSERT INTO balances (account_id) VALUES ($1) ON CONFLICT (account_id) DO NOTHING;

-- name: LockBalance :one
SELECT * FROM balances WHERE account_id = $1 FOR UPDATE;

-- Bulk load: lock the balances of many accounts (creating the missing ones),
-- in account order so two loads cannot deadlock.
-- name: EnsureBalances :exec
INSERT INTO balances (account_id) SELECT unnest(sqlc.arg(account_ids)::bigint[]) ORDER BY 1
ON CONFLICT (account_id) DO NOTHING;

-- name: LockBalances :many
SELECT * FROM balances WHERE account_id = ANY(sqlc.arg(account_ids)::bigint[]) ORDER BY account_id FOR UPDATE;

-- name: SetBalances :exec
UPDATE balances b SET balance_cents = v.cents, updated_at = sqlc.arg('at')::timestamptz
FROM (SELECT unnest(sqlc.arg(account_ids)::bigint[]) AS account_id, unnest(sqlc.arg(cents)::bigint[]) AS cents) v
WHERE b.account_id = v.account_id;

-- name: AddToBalance :one
UPDATE balances
SET balance_cents = balance_cents + sqlc.arg('delta')::bigint, updated_at = sqlc.arg('at')::timestamptz
WHERE account_id = sqlc.arg('account_id')
RETURNING *;

-- name: GetBalance :one
SELECT * FROM balances WHERE account_id = $1;

-- The balances list, keyset on (balance_cents, account_id). pattern matches
-- the account's name or email (ILIKE), match_id its id; below keeps balances
-- under a threshold (the low-balance list).

-- name: ListBalancesDesc :many
SELECT b.account_id, b.balance_cents, b.updated_at, a.name AS account_name, a.email AS account_email, a.status AS account_status
FROM balances b JOIN accounts a ON a.id = b.account_id
WHERE (sqlc.narg('pattern')::text IS NULL
       OR a.name ILIKE sqlc.narg('pattern')::text
       OR a.email::text ILIKE sqlc.narg('pattern')::text
       OR a.id = sqlc.narg('match_id')::bigint)
  AND (sqlc.narg('below')::bigint IS NULL OR b.balance_cents < sqlc.narg('below')::bigint)
  AND (sqlc.narg('cursor_balance')::bigint IS NULL
       OR (b.balance_cents, b.account_id) < (sqlc.narg('cursor_balance')::bigint, sqlc.narg('cursor_id')::bigint))
ORDER BY b.balance_cents DESC, b.account_id DESC
LIMIT sqlc.arg('lim');

-- name: ListBalancesAsc :many
SELECT b.account_id, b.balance_cents, b.updated_at, a.name AS account_name, a.email AS account_email, a.status AS account_status
FROM balances b JOIN accounts a ON a.id = b.account_id
WHERE (sqlc.narg('pattern')::text IS NULL
       OR a.name ILIKE sqlc.narg('pattern')::text
       OR a.email::text ILIKE sqlc.narg('pattern')::text
       OR a.id = sqlc.narg('match_id')::bigint)
  AND (sqlc.narg('below')::bigint IS NULL OR b.balance_cents < sqlc.narg('below')::bigint)
  AND (sqlc.narg('cursor_balance')::bigint IS NULL
       OR (b.balance_cents, b.account_id) > (sqlc.narg('cursor_balance')::bigint, sqlc.narg('cursor_id')::bigint))
ORDER BY b.balance_cents, b.account_id
LIMIT sqlc.arg('lim');

-- name: GetProviderSecret :one
SELECT secret_sealed FROM billing_provider_secrets WHERE provider = $1;

-- name: InsertProviderSecret :exec
INSERT INTO billing_provider_secrets (provider, secret_sealed) VALUES ($1, $2)
ON CONFLICT (provider) DO NOTHING;

-- name: CountBalances :one
-- count of: ListBalancesDesc
-- The balances' filters counted up to lim rows (internal/platform/listcount),
-- with the list's params so billing.Service.CountBalances converts them.
-- LEFT JOIN (every balance has its account): with no search the planner
-- drops the join, and counting 10,001 balances reads their index alone
-- (3.5 ms at a million accounts, where probing each one's account took 41).
SELECT count(*) FROM (
SELECT 1
FROM balances b LEFT JOIN accounts a ON a.id = b.account_id
WHERE (sqlc.narg('pattern')::text IS NULL
       OR a.name ILIKE sqlc.narg('pattern')::text
       OR a.email::text ILIKE sqlc.narg('pattern')::text
       OR a.id = sqlc.narg('match_id')::bigint)
  AND (sqlc.narg('below')::bigint IS NULL OR b.balance_cents < sqlc.narg('below')::bigint)
  AND (sqlc.narg('cursor_balance')::bigint IS NULL
       OR (b.balance_cents, b.account_id) < (sqlc.narg('cursor_balance')::bigint, sqlc.narg('cursor_id')::bigint))
LIMIT sqlc.arg('lim')) counted;

-- name: CountBalancesMatching :one
-- count of: ListBalancesDesc
-- CountBalances with a search: each balance's account is read by its key,
-- behind a LATERAL fence. Joined plainly, the planner found a common name's
-- accounts through the trigram indexes first (33,000 of a million for
-- "silva", 0.5 - 2.2 s) to keep the few hundred with a balance; walking the
-- balances stops at the count's cap (18 ms) and costs at most one probe a
-- balance when nothing matches (40 ms at 20,000 balances).
SELECT count(*) FROM (
SELECT 1
FROM balances b CROSS JOIN LATERAL (SELECT id, name, email FROM accounts WHERE id = b.account_id OFFSET 0) a
WHERE (sqlc.narg('pattern')::text IS NULL
       OR a.name ILIKE sqlc.narg('pattern')::text
       OR a.email::text ILIKE sqlc.narg('pattern')::text
       OR a.id = sqlc.narg('match_id')::bigint)
  AND (sqlc.narg('below')::bigint IS NULL OR b.balance_cents < sqlc.narg('below')::bigint)
  AND (sqlc.narg('cursor_balance')::bigint IS NULL
       OR (b.balance_cents, b.account_id) < (sqlc.narg('cursor_balance')::bigint, sqlc.narg('cursor_id')::bigint))
LIMIT sqlc.arg('lim')) counted;
