-- name: LumiInsertDomain :one
INSERT INTO lumi_domains (account_id, name, auto_renew, nameservers, idempotency_key)
VALUES ($1, $2, $3, $4, sqlc.narg(idempotency_key))
RETURNING *;

-- name: LumiGetDomain :one
SELECT * FROM lumi_domains WHERE id = $1;

-- name: LumiLockDomain :one
SELECT * FROM lumi_domains WHERE id = $1 FOR UPDATE;

-- name: LumiDomainByIdempotencyKey :one
SELECT * FROM lumi_domains WHERE account_id = $1 AND idempotency_key = $2;

-- name: LumiListDomains :many
SELECT * FROM lumi_domains
WHERE (sqlc.narg(account_id)::bigint IS NULL OR account_id = sqlc.narg(account_id))
  AND (sqlc.arg(status)::text = '' OR status = sqlc.arg(status))
  AND (sqlc.arg(q)::text = '' OR name LIKE sqlc.arg(q) || '%')
  AND (NOT sqlc.arg(renewal_failed)::boolean OR renewal_failed_at IS NOT NULL)
  AND (sqlc.arg(before)::bigint = 0 OR id < sqlc.arg(before))
ORDER BY id DESC
LIMIT sqlc.arg(lim);

-- name: LumiActivateDomain :one
UPDATE lumi_domains SET status = 'active', expires_at = $2, registrar_ref = $3, updated_at = now()
WHERE id = $1 RETURNING *;

-- name: LumiFailDomain :one
UPDATE lumi_domains SET status = 'failed', failure = $2, updated_at = now()
WHERE id = $1 RETURNING *;

-- name: LumiUpdateDomainSettings :one
UPDATE lumi_domains SET nameservers = $2, locked = $3, privacy = $4, auto_renew = $5, updated_at = now()
WHERE id = $1 RETURNING *;

-- name: LumiSetDomainExpiry :one
UPDATE lumi_domains SET expires_at = $2, status = CASE WHEN status = 'expired' THEN 'active' ELSE status END,
    renewal_failed_at = NULL, renewal_failed_reason = '', updated_at = now()
WHERE id = $1 RETURNING *;

-- name: LumiRestoreDomainExpiry :one
UPDATE lumi_domains SET expires_at = $2, status = $3, updated_at = now()
WHERE id = $1 RETURNING *;

-- name: LumiMarkDomainRenewalFailed :one
UPDATE lumi_domains SET renewal_failed_at = $2, renewal_failed_reason = $3, updated_at = now()
WHERE id = $1 RETURNING *;

-- name: LumiDueDomains :many
SELECT id, account_id, expires_at FROM lumi_domains
WHERE auto_renew AND status IN ('active', 'expired') AND expires_at <= sqlc.arg(until)::timestamptz
  AND id > sqlc.arg(after)::bigint
ORDER BY id LIMIT sqlc.arg(lim);

-- name: LumiExpireDomains :many
UPDATE lumi_domains SET status = 'expired', updated_at = now()
WHERE id IN (SELECT id FROM lumi_domains WHERE status = 'active' AND expires_at < sqlc.arg(at)::timestamptz ORDER BY id LIMIT 500 FOR UPDATE SKIP LOCKED)
RETURNING id, account_id, expires_at;

-- name: LumiListDomainsByExpiry :many
SELECT * FROM lumi_domains
WHERE expires_at IS NOT NULL
  AND (sqlc.narg(account_id)::bigint IS NULL OR account_id = sqlc.narg(account_id))
  AND (sqlc.arg(status)::text = '' OR status = sqlc.arg(status))
  AND (sqlc.arg(q)::text = '' OR name LIKE sqlc.arg(q) || '%')
  AND (NOT sqlc.arg(renewal_failed)::boolean OR renewal_failed_at IS NOT NULL)
  AND (sqlc.narg(after_expires)::timestamptz IS NULL OR (expires_at, id) > (sqlc.narg(after_expires)::timestamptz, sqlc.arg(after_id)::bigint))
ORDER BY expires_at, id
LIMIT sqlc.arg(lim);

-- name: LumiCountDomains :one
-- count of: LumiListDomains
-- The list's filters counted up to lim rows (internal/platform/listcount),
-- with the list's params so products.Service.CountDomains converts them.
SELECT count(*) FROM (
SELECT 1
FROM lumi_domains
WHERE (sqlc.narg(account_id)::bigint IS NULL OR account_id = sqlc.narg(account_id))
  AND (sqlc.arg(status)::text = '' OR status = sqlc.arg(status))
  AND (sqlc.arg(q)::text = '' OR name LIKE sqlc.arg(q) || '%')
  AND (NOT sqlc.arg(renewal_failed)::boolean OR renewal_failed_at IS NOT NULL)
  AND (sqlc.arg(before)::bigint = 0 OR id < sqlc.arg(before))
LIMIT sqlc.arg(lim)) counted;

-- name: LumiCountDomainsByExpiry :one
-- count of: LumiListDomainsByExpiry
-- The expiry order's filters (items with an expiry) counted up to lim rows,
-- with the list's params so products.Service.CountDomains converts them.
SELECT count(*) FROM (
SELECT 1
FROM lumi_domains
WHERE expires_at IS NOT NULL
  AND (sqlc.narg(account_id)::bigint IS NULL OR account_id = sqlc.narg(account_id))
  AND (sqlc.arg(status)::text = '' OR status = sqlc.arg(status))
  AND (sqlc.arg(q)::text = '' OR name LIKE sqlc.arg(q) || '%')
  AND (NOT sqlc.arg(renewal_failed)::boolean OR renewal_failed_at IS NOT NULL)
  AND (sqlc.narg(after_expires)::timestamptz IS NULL OR (expires_at, id) > (sqlc.narg(after_expires)::timestamptz, sqlc.arg(after_id)::bigint))
LIMIT sqlc.arg(lim)) counted;

-- name: LumiDomainNamesHeld :many
-- Which of the names a Lumi customer holds (any status but failed: the
-- names lumi_domains_name keeps unique), for the availability search.
SELECT name FROM lumi_domains WHERE name = ANY(sqlc.arg(names)::text[]) AND status <> 'failed';
