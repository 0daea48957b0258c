-- API keys of every product, their per-key rate limits, and the account
-- lookups the key pages and the CLI need (kept here so this area does not
-- depend on the accounts package).

-- name: InsertAPIKey :one
INSERT INTO api_keys (product, account_id, operator, name, prefix, secret_hash, scopes,
                      rate_limit_per_minute, daily_spend_cap_cents, expires_at, rotated_from_id, mail_app_id, allowed_ips)
VALUES (sqlc.arg(product), sqlc.narg(account_id), sqlc.arg(operator), sqlc.arg(name), sqlc.arg(prefix),
        sqlc.arg(secret_hash), sqlc.arg(scopes)::text[], sqlc.arg(rate_limit_per_minute),
        sqlc.narg(daily_spend_cap_cents), sqlc.narg(expires_at), sqlc.narg(rotated_from_id), sqlc.narg(mail_app_id),
        coalesce(sqlc.narg(allowed_ips)::cidr[], '{}'))
RETURNING *;

-- The signing secret is sealed under a context naming the key id, so it is
-- set once the row (and its id) exists.
-- name: SetAPIKeySigningSecret :exec
UPDATE api_keys SET signing_secret_sealed = $2 WHERE id = $1;

-- name: GetAPIKeyWithAccount :one
SELECT sqlc.embed(k),
       coalesce(a.name, '')::text        AS account_name,
       coalesce(a.email::text, '')::text AS account_email,
       coalesce(a.status, '')::text      AS account_status,
       coalesce((SELECT r.id FROM api_keys r WHERE r.rotated_from_id = k.id ORDER BY r.id DESC LIMIT 1), 0)::bigint AS replaced_by_id
FROM api_keys k LEFT JOIN accounts a ON a.id = k.account_id
WHERE k.id = $1;

-- name: LockAPIKey :one
SELECT * FROM api_keys WHERE id = $1 FOR UPDATE;

-- The request path: one indexed lookup by the secret's hash.
-- name: GetAPIKeyBySecretHash :one
SELECT sqlc.embed(k),
       coalesce(a.name, '')::text        AS account_name,
       coalesce(a.email::text, '')::text AS account_email,
       coalesce(a.status, '')::text      AS account_status
FROM api_keys k LEFT JOIN accounts a ON a.id = k.account_id
WHERE k.secret_hash = $1;

-- The client addresses a key accepts requests from (empty: any).
-- name: SetAPIKeyAllowedIPs :one
UPDATE api_keys SET allowed_ips = sqlc.arg(allowed_ips)::cidr[]
WHERE id = sqlc.arg(id)
RETURNING *;

-- name: RevokeAPIKey :one
UPDATE api_keys SET revoked_at = now(), revoked_reason = sqlc.arg(reason)
WHERE id = sqlc.arg(id) AND revoked_at IS NULL
RETURNING *;

-- Records use at most once a minute per key, whichever process sees it first.
-- name: TouchAPIKey :execrows
UPDATE api_keys SET last_used_at = now(), last_used_ip = sqlc.arg(ip)
WHERE id = sqlc.arg(id) AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute');

-- Newest first, keyset on (created_at, id). Pass before_* for the next (older)
-- page. status: '' (any), active, revoked, expired.
-- name: ListAPIKeysOlder :many
SELECT sqlc.embed(k),
       coalesce(a.name, '')::text        AS account_name,
       coalesce(a.email::text, '')::text AS account_email,
       coalesce(a.status, '')::text      AS account_status
FROM api_keys k LEFT JOIN accounts a ON a.id = k.account_id
WHERE (sqlc.arg(product)::text = '' OR k.product = sqlc.arg(product)::text)
  AND (sqlc.narg(account_id)::bigint IS NULL OR k.account_id = sqlc.narg(account_id)::bigint)
  AND (CASE sqlc.arg(status)::text
         WHEN 'active'  THEN k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())
         WHEN 'revoked' THEN k.revoked_at IS NOT NULL
         WHEN 'expired' THEN k.revoked_at IS NULL AND k.expires_at <= now()
         ELSE true END)
  AND (sqlc.arg(prefix_like)::text = '' OR k.prefix LIKE sqlc.arg(prefix_like)::text)
  AND (sqlc.narg(cursor_created)::timestamptz IS NULL
       OR (k.created_at, k.id) < (sqlc.narg(cursor_created)::timestamptz, sqlc.arg(cursor_id)::bigint))
ORDER BY k.created_at DESC, k.id DESC
LIMIT sqlc.arg(lim);

-- The previous (newer) page: oldest first after the cursor; the caller reverses it.
-- name: ListAPIKeysNewer :many
SELECT sqlc.embed(k),
       coalesce(a.name, '')::text        AS account_name,
       coalesce(a.email::text, '')::text AS account_email,
       coalesce(a.status, '')::text      AS account_status
FROM api_keys k LEFT JOIN accounts a ON a.id = k.account_id
WHERE (sqlc.arg(product)::text = '' OR k.product = sqlc.arg(product)::text)
  AND (sqlc.narg(account_id)::bigint IS NULL OR k.account_id = sqlc.narg(account_id)::bigint)
  AND (CASE sqlc.arg(status)::text
         WHEN 'active'  THEN k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())
         WHEN 'revoked' THEN k.revoked_at IS NOT NULL
         WHEN 'expired' THEN k.revoked_at IS NULL AND k.expires_at <= now()
         ELSE true END)
  AND (sqlc.arg(prefix_like)::text = '' OR k.prefix LIKE sqlc.arg(prefix_like)::text)
  AND (k.created_at, k.id) > (sqlc.arg(cursor_created)::timestamptz, sqlc.arg(cursor_id)::bigint)
ORDER BY k.created_at ASC, k.id ASC
LIMIT sqlc.arg(lim);

-- name: CountActiveAPIKeysByProduct :many
SELECT product, count(*)::bigint AS n FROM api_keys
WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
GROUP BY product ORDER BY product;

-- name: AnyAPIKeyNamed :one
SELECT EXISTS (SELECT 1 FROM api_keys WHERE name = ANY(sqlc.arg(names)::text[]))::boolean;

-- GCRA in one statement, so the limit holds across server processes. A
-- request spends `increment` (cost × emission interval) of theoretical
-- arrival time (tat); it is allowed while the new tat stays within `window`
-- of now. ON CONFLICT DO UPDATE re-checks the WHERE on the latest row version
-- under its lock, so concurrent requests cannot both take the last token.
-- An increment above the window (a bulk request of more items than the
-- bucket holds) could never fit that way: it is checked as if it cost the
-- whole window, so it is allowed only when the bucket is full (tat <= now),
-- and it still moves tat by its full increment, so the key's next requests
-- wait out the debt and the cost per item holds on average.
-- retry_after_us is how long until the request would fit (0 when allowed).
-- name: TakeAPIRateLimit :one
WITH prev AS (
    SELECT r.tat FROM api_rate_limits r
    WHERE r.key_id = sqlc.arg(key_id) AND r.bucket = sqlc.arg(bucket)
), up AS (
    INSERT INTO api_rate_limits AS r (key_id, bucket, tat)
    VALUES (sqlc.arg(key_id), sqlc.arg(bucket), now() + sqlc.arg(increment_us)::bigint * interval '1 microsecond')
    ON CONFLICT (key_id, bucket) DO UPDATE
        SET tat = greatest(r.tat, now()) + sqlc.arg(increment_us)::bigint * interval '1 microsecond'
        WHERE greatest(r.tat, now()) + least(sqlc.arg(increment_us)::bigint, sqlc.arg(window_us)::bigint) * interval '1 microsecond'
              <= now() + sqlc.arg(window_us)::bigint * interval '1 microsecond'
    RETURNING r.tat
)
SELECT EXISTS (SELECT 1 FROM up)::boolean AS allowed,
       CASE WHEN EXISTS (SELECT 1 FROM up) THEN 0::bigint
            ELSE greatest(1, (extract(epoch FROM
                   greatest(coalesce((SELECT tat FROM prev), now()), now())
                   + least(sqlc.arg(increment_us)::bigint, sqlc.arg(window_us)::bigint) * interval '1 microsecond'
                   - sqlc.arg(window_us)::bigint * interval '1 microsecond'
                   - now()) * 1000000)::bigint)
       END::bigint AS retry_after_us;

-- name: APIKeyAccountByID :one
SELECT id, name, email, status FROM accounts WHERE id = $1;

-- name: APIKeyAccountByEmail :one
SELECT id, name, email, status FROM accounts WHERE email = $1;

-- Active accounts, oldest first (demo seeding spreads keys over them).
-- name: ListAPIKeyAccountChoices :many
SELECT id, name, email, status FROM accounts WHERE status = 'active' ORDER BY id LIMIT $1;

-- name: CountAPIKeys :one
-- count of: ListAPIKeysOlder
-- The list's filters counted up to lim rows (internal/platform/listcount), with
-- the list's params so apikeys.Service.Count converts them.
SELECT count(*) FROM (
SELECT 1
FROM api_keys k LEFT JOIN accounts a ON a.id = k.account_id
WHERE (sqlc.arg(product)::text = '' OR k.product = sqlc.arg(product)::text)
  AND (sqlc.narg(account_id)::bigint IS NULL OR k.account_id = sqlc.narg(account_id)::bigint)
  AND (CASE sqlc.arg(status)::text
         WHEN 'active'  THEN k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())
         WHEN 'revoked' THEN k.revoked_at IS NOT NULL
         WHEN 'expired' THEN k.revoked_at IS NULL AND k.expires_at <= now()
         ELSE true END)
  AND (sqlc.arg(prefix_like)::text = '' OR k.prefix LIKE sqlc.arg(prefix_like)::text)
  AND (sqlc.narg(cursor_created)::timestamptz IS NULL
       OR (k.created_at, k.id) < (sqlc.narg(cursor_created)::timestamptz, sqlc.arg(cursor_id)::bigint))
LIMIT sqlc.arg(lim)) counted;

-- The Lumora app a key would belong to, with its account (checked at create).
-- name: APIKeyMailApp :one
SELECT id, account_id FROM mail_apps WHERE id = $1;
