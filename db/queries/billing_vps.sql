-- name: LumiInsertVPS :one
INSERT INTO lumi_vps (account_id, plan, hostname, auto_renew, idempotency_key)
VALUES ($1, $2, $3, $4, sqlc.narg(idempotency_key))
RETURNING *;

-- name: LumiGetVPS :one
SELECT * FROM lumi_vps WHERE id = $1;

-- name: LumiLockVPS :one
SELECT * FROM lumi_vps WHERE id = $1 FOR UPDATE;

-- name: LumiVPSByIdempotencyKey :one
SELECT * FROM lumi_vps WHERE account_id = $1 AND idempotency_key = $2;

-- name: LumiListVPS :many
SELECT * FROM lumi_vps
WHERE (sqlc.narg(account_id)::bigint IS NULL OR account_id = sqlc.narg(account_id))
  AND (sqlc.arg(status)::text = '' OR status = sqlc.arg(status))
  AND (sqlc.arg(q)::text = '' OR hostname LIKE sqlc.arg(q) || '%' OR ip = sqlc.arg(q))
  AND (NOT sqlc.arg(renewal_failed)::boolean OR renewal_failed_at IS NOT NULL)
  AND (sqlc.arg(before)::bigint = 0 OR id < sqlc.arg(before))
ORDER BY id DESC
LIMIT sqlc.arg(lim);

-- name: LumiActivateVPS :one
UPDATE lumi_vps SET status = 'active', power = 'running', expires_at = $2, provider_ref = $3, ip = $4, updated_at = now()
WHERE id = $1 RETURNING *;

-- name: LumiFailVPS :one
UPDATE lumi_vps SET status = 'failed', failure = $2, updated_at = now()
WHERE id = $1 RETURNING *;

-- name: LumiSetVPSPower :one
UPDATE lumi_vps SET power = $2, updated_at = now() WHERE id = $1 RETURNING *;

-- name: LumiSetVPSAutoRenew :one
UPDATE lumi_vps SET auto_renew = $2, updated_at = now() WHERE id = $1 RETURNING *;

-- name: LumiSetVPSExpiry :one
UPDATE lumi_vps SET expires_at = $2, status = CASE WHEN status = 'expired' THEN 'active' ELSE status END,
    renewal_failed_at = NULL, renewal_failed_reason = '', updated_at = now()
WHERE id = $1 RETURNING *;

-- name: LumiRestoreVPSExpiry :one
UPDATE lumi_vps SET expires_at = $2, status = $3, updated_at = now()
WHERE id = $1 RETURNING *;

-- name: LumiMarkVPSRenewalFailed :one
UPDATE lumi_vps SET renewal_failed_at = $2, renewal_failed_reason = $3, updated_at = now()
WHERE id = $1 RETURNING *;

-- name: LumiDueVPS :many
SELECT id, account_id, expires_at FROM lumi_vps
WHERE auto_renew AND status IN ('active', 'expired') AND expires_at <= sqlc.arg(until)::timestamptz
  AND id > sqlc.arg(after)::bigint
ORDER BY id LIMIT sqlc.arg(lim);

-- name: LumiExpireVPS :many
UPDATE lumi_vps SET status = 'expired', updated_at = now()
WHERE id IN (SELECT id FROM lumi_vps WHERE status = 'active' AND expires_at < sqlc.arg(at)::timestamptz ORDER BY id LIMIT 500 FOR UPDATE SKIP LOCKED)
RETURNING id, account_id, expires_at;

-- name: LumiListVPSByExpiry :many
SELECT * FROM lumi_vps
WHERE expires_at IS NOT NULL
  AND (sqlc.narg(account_id)::bigint IS NULL OR account_id = sqlc.narg(account_id))
  AND (sqlc.arg(status)::text = '' OR status = sqlc.arg(status))
  AND (sqlc.arg(q)::text = '' OR hostname LIKE sqlc.arg(q) || '%' OR ip = sqlc.arg(q))
  AND (NOT sqlc.arg(renewal_failed)::boolean OR renewal_failed_at IS NOT NULL)
  AND (sqlc.narg(after_expires)::timestamptz IS NULL OR (expires_at, id) > (sqlc.narg(after_expires)::timestamptz, sqlc.arg(after_id)::bigint))
ORDER BY expires_at, id
LIMIT sqlc.arg(lim);

-- name: LumiCountVPS :one
-- count of: LumiListVPS
-- The list's filters counted up to lim rows (internal/platform/listcount),
-- with the list's params so products.Service.CountVPS converts them.
SELECT count(*) FROM (
SELECT 1
FROM lumi_vps
WHERE (sqlc.narg(account_id)::bigint IS NULL OR account_id = sqlc.narg(account_id))
  AND (sqlc.arg(status)::text = '' OR status = sqlc.arg(status))
  AND (sqlc.arg(q)::text = '' OR hostname LIKE sqlc.arg(q) || '%' OR ip = sqlc.arg(q))
  AND (NOT sqlc.arg(renewal_failed)::boolean OR renewal_failed_at IS NOT NULL)
  AND (sqlc.arg(before)::bigint = 0 OR id < sqlc.arg(before))
LIMIT sqlc.arg(lim)) counted;

-- name: LumiCountVPSByExpiry :one
-- count of: LumiListVPSByExpiry
-- The expiry order's filters (items with an expiry) counted up to lim rows,
-- with the list's params so products.Service.CountVPS converts them.
SELECT count(*) FROM (
SELECT 1
FROM lumi_vps
WHERE expires_at IS NOT NULL
  AND (sqlc.narg(account_id)::bigint IS NULL OR account_id = sqlc.narg(account_id))
  AND (sqlc.arg(status)::text = '' OR status = sqlc.arg(status))
  AND (sqlc.arg(q)::text = '' OR hostname LIKE sqlc.arg(q) || '%' OR ip = sqlc.arg(q))
  AND (NOT sqlc.arg(renewal_failed)::boolean OR renewal_failed_at IS NOT NULL)
  AND (sqlc.narg(after_expires)::timestamptz IS NULL OR (expires_at, id) > (sqlc.narg(after_expires)::timestamptz, sqlc.arg(after_id)::bigint))
LIMIT sqlc.arg(lim)) counted;
