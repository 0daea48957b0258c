-- name: LumiInsertProxy :one
INSERT INTO lumi_proxies (account_id, plan, type, country, auto_renew, idempotency_key)
VALUES ($1, $2, $3, $4, $5, sqlc.narg(idempotency_key))
RETURNING *;

-- name: LumiGetProxy :one
SELECT * FROM lumi_proxies WHERE id = $1;

-- name: LumiLockProxy :one
SELECT * FROM lumi_proxies WHERE id = $1 FOR UPDATE;

-- name: LumiProxyByIdempotencyKey :one
SELECT * FROM lumi_proxies WHERE account_id = $1 AND idempotency_key = $2;

-- name: LumiListProxies :many
SELECT * FROM lumi_proxies
WHERE (sqlc.narg(account_id)::bigint IS NULL OR account_id = sqlc.narg(account_id))
  AND (sqlc.arg(status)::text = '' OR status = sqlc.arg(status))
  AND (sqlc.arg(q)::text = '' OR country = upper(sqlc.arg(q)) OR username = sqlc.arg(q) OR host = sqlc.arg(q))
  AND (NOT sqlc.arg(renewal_failed)::boolean OR renewal_failed_at IS NOT NULL)
  AND (sqlc.arg(before)::bigint = 0 OR id < sqlc.arg(before))
ORDER BY id DESC
LIMIT sqlc.arg(lim);

-- name: LumiActivateProxy :one
UPDATE lumi_proxies SET status = 'active', expires_at = $2, provider_ref = $3, host = $4, port = $5,
    username = $6, password_sealed = $7, updated_at = now()
WHERE id = $1 RETURNING *;

-- name: LumiFailProxy :one
UPDATE lumi_proxies SET status = 'failed', failure = $2, updated_at = now()
WHERE id = $1 RETURNING *;

-- name: LumiSetProxyAllowList :one
UPDATE lumi_proxies SET allow_ips = $2, updated_at = now() WHERE id = $1 RETURNING *;

-- name: LumiSetProxyAutoRenew :one
UPDATE lumi_proxies SET auto_renew = $2, updated_at = now() WHERE id = $1 RETURNING *;

-- name: LumiSetProxyExpiry :one
UPDATE lumi_proxies SET expires_at = $2, status = CASE WHEN status = 'expired' THEN 'active' ELSE status END,
    renewal_failed_at = NULL, renewal_failed_reason = '', updated_at = now()
WHERE id = $1 RETURNING *;

-- name: LumiRestoreProxyExpiry :one
UPDATE lumi_proxies SET expires_at = $2, status = $3, updated_at = now()
WHERE id = $1 RETURNING *;

-- name: LumiMarkProxyRenewalFailed :one
UPDATE lumi_proxies SET renewal_failed_at = $2, renewal_failed_reason = $3, updated_at = now()
WHERE id = $1 RETURNING *;

-- name: LumiDueProxies :many
SELECT id, account_id, expires_at FROM lumi_proxies
WHERE auto_renew AND status IN ('active', 'expired') AND expires_at <= sqlc.arg(until)::timestamptz
  AND id > sqlc.arg(after)::bigint
ORDER BY id LIMIT sqlc.arg(lim);

-- name: LumiExpireProxies :many
UPDATE lumi_proxies SET status = 'expired', updated_at = now()
WHERE id IN (SELECT id FROM lumi_proxies WHERE status = 'active' AND expires_at < sqlc.arg(at)::timestamptz ORDER BY id LIMIT 500 FOR UPDATE SKIP LOCKED)
RETURNING id, account_id, expires_at;

-- name: LumiListProxiesByExpiry :many
SELECT * FROM lumi_proxies
WHERE expires_at IS NOT NULL
  AND (sqlc.narg(account_id)::bigint IS NULL OR account_id = sqlc.narg(account_id))
  AND (sqlc.arg(status)::text = '' OR status = sqlc.arg(status))
  AND (sqlc.arg(q)::text = '' OR country = upper(sqlc.arg(q)) OR username = sqlc.arg(q) OR host = sqlc.arg(q))
  AND (NOT sqlc.arg(renewal_failed)::boolean OR renewal_failed_at IS NOT NULL)
  AND (sqlc.narg(after_expires)::timestamptz IS NULL OR (expires_at, id) > (sqlc.narg(after_expires)::timestamptz, sqlc.arg(after_id)::bigint))
ORDER BY expires_at, id
LIMIT sqlc.arg(lim);

-- name: LumiCountProxies :one
-- count of: LumiListProxies
-- The list's filters counted up to lim rows (internal/platform/listcount),
-- with the list's params so products.Service.CountProxies converts them.
SELECT count(*) FROM (
SELECT 1
FROM lumi_proxies
WHERE (sqlc.narg(account_id)::bigint IS NULL OR account_id = sqlc.narg(account_id))
  AND (sqlc.arg(status)::text = '' OR status = sqlc.arg(status))
  AND (sqlc.arg(q)::text = '' OR country = upper(sqlc.arg(q)) OR username = sqlc.arg(q) OR host = sqlc.arg(q))
  AND (NOT sqlc.arg(renewal_failed)::boolean OR renewal_failed_at IS NOT NULL)
  AND (sqlc.arg(before)::bigint = 0 OR id < sqlc.arg(before))
LIMIT sqlc.arg(lim)) counted;

-- name: LumiCountProxiesByExpiry :one
-- count of: LumiListProxiesByExpiry
-- The expiry order's filters (items with an expiry) counted up to lim rows,
-- with the list's params so products.Service.CountProxies converts them.
SELECT count(*) FROM (
SELECT 1
FROM lumi_proxies
WHERE expires_at IS NOT NULL
  AND (sqlc.narg(account_id)::bigint IS NULL OR account_id = sqlc.narg(account_id))
  AND (sqlc.arg(status)::text = '' OR status = sqlc.arg(status))
  AND (sqlc.arg(q)::text = '' OR country = upper(sqlc.arg(q)) OR username = sqlc.arg(q) OR host = sqlc.arg(q))
  AND (NOT sqlc.arg(renewal_failed)::boolean OR renewal_failed_at IS NOT NULL)
  AND (sqlc.narg(after_expires)::timestamptz IS NULL OR (expires_at, id) > (sqlc.narg(after_expires)::timestamptz, sqlc.arg(after_id)::bigint))
LIMIT sqlc.arg(lim)) counted;
