-- Lumi deposits (top-up invoices).

-- name: InsertDeposit :one
INSERT INTO deposits (public_id, account_id, amount_cents, provider, provider_ref, pay_url, note, expires_at, created_at, idempotency_key)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
RETURNING *;

-- name: GetDeposit :one
SELECT * FROM deposits WHERE id = $1;

-- name: GetDepositByPublicID :one
SELECT * FROM deposits WHERE public_id = $1;

-- name: GetDepositByProviderRef :one
SELECT * FROM deposits WHERE provider = $1 AND provider_ref = $2;

-- Claims a pending deposit for its one credit: of any number of concurrent
-- callers, exactly one gets the row back.
-- name: ClaimDepositPaid :one
UPDATE deposits SET status = 'paid', paid_at = sqlc.arg('at')::timestamptz
WHERE id = sqlc.arg('id') AND status = 'pending'
RETURNING *;

-- name: CloseDeposit :one
UPDATE deposits SET status = sqlc.arg('status')::text, closed_at = sqlc.arg('at')::timestamptz
WHERE id = sqlc.arg('id') AND status = 'pending'
RETURNING *;

-- name: ListDueDeposits :many
SELECT * FROM deposits
WHERE status = 'pending' AND expires_at <= sqlc.arg('now')::timestamptz
ORDER BY expires_at
LIMIT sqlc.arg('lim')
FOR UPDATE SKIP LOCKED;

-- name: ListAccountDeposits :many
SELECT * FROM deposits
WHERE account_id = $1 AND (sqlc.narg('before_id')::bigint IS NULL OR id < sqlc.narg('before_id')::bigint)
ORDER BY id DESC
LIMIT sqlc.arg('lim');

-- name: GetDepositByIdempotencyKey :one
SELECT * FROM deposits WHERE account_id = $1 AND idempotency_key = $2;

-- Stores the provider's invoice of a deposit created before the provider
-- was called; only once (a concurrent retry gets no row).
-- name: SetDepositInvoice :one
UPDATE deposits SET provider_ref = sqlc.arg('provider_ref')::text, pay_url = sqlc.arg('pay_url')::text,
    expires_at = sqlc.arg('expires_at')::timestamptz
WHERE id = sqlc.arg('id') AND provider_ref IS NULL
RETURNING *;

-- name: ListPendingProviderDeposits :many
SELECT * FROM deposits
WHERE provider = $1 AND status = 'pending' AND provider_ref IS NOT NULL
ORDER BY id
LIMIT sqlc.arg('lim');
