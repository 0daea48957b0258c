-- Lumio extensions and their secrets.

-- name: InsertMarketplaceExtension :one
INSERT INTO marketplace_extensions (public_id, account_id, slug, name, short_description, description,
    pricing_type, price_cents, currency, billing_interval, visibility, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, @now::timestamptz, @now::timestamptz)
RETURNING *;

-- name: MarketplaceSlugsLike :many
-- The slugs taken by base or base-N, to pick the first free one.
SELECT slug FROM marketplace_extensions WHERE slug = @base::text OR slug LIKE @base::text || '-%';

-- name: GetMarketplaceExtension :one
SELECT * FROM marketplace_extensions WHERE public_id = $1;

-- name: GetMarketplaceExtensionByID :one
SELECT * FROM marketplace_extensions WHERE id = $1;

-- name: LockMarketplaceExtension :one
SELECT * FROM marketplace_extensions WHERE public_id = $1 FOR UPDATE;

-- name: LockMarketplaceExtensionByID :one
SELECT * FROM marketplace_extensions WHERE id = $1 FOR UPDATE;

-- name: ListMarketplaceExtensions :many
-- One account's extensions (account_id given) or every account's, most
-- recently updated first; the cursor is the last row's (updated_at, id).
SELECT * FROM marketplace_extensions
WHERE (sqlc.narg(account_id)::bigint IS NULL OR account_id = sqlc.narg(account_id))
  AND (sqlc.narg(after_updated)::timestamptz IS NULL
       OR (updated_at, id) < (sqlc.narg(after_updated)::timestamptz, sqlc.narg(after_id)::bigint))
ORDER BY updated_at DESC, id DESC
LIMIT $1;

-- name: UpdateMarketplaceExtension :one
UPDATE marketplace_extensions SET slug = $2, name = $3, short_description = $4, description = $5,
    pricing_type = $6, price_cents = $7, currency = $8, billing_interval = $9, visibility = $10,
    ever_public = $11, deprecated = $12, replacement_id = $13, updated_at = @now::timestamptz
WHERE id = $1
RETURNING *;

-- name: SetMarketplaceExtensionReview :one
-- The status and current version after a submission or a review decision.
UPDATE marketplace_extensions SET status = $2, current_version_id = $3, updated_at = @now::timestamptz
WHERE id = $1
RETURNING *;

-- name: DeleteMarketplaceExtension :exec
DELETE FROM marketplace_extensions WHERE id = $1;

-- name: UpsertMarketplaceSecret :one
-- true when the secret was new.
INSERT INTO marketplace_secrets (extension_id, name, value_sealed, set_by, updated_at)
VALUES ($1, $2, $3, $4, @now::timestamptz)
ON CONFLICT (extension_id, name) DO UPDATE SET value_sealed = EXCLUDED.value_sealed,
    set_by = EXCLUDED.set_by, updated_at = EXCLUDED.updated_at
RETURNING (xmax = 0)::boolean AS created;

-- name: DeleteMarketplaceSecret :execrows
DELETE FROM marketplace_secrets WHERE extension_id = $1 AND name = $2;

-- name: ListMarketplaceSecretNames :many
-- Names and who set them; never the values.
SELECT name, set_by, updated_at FROM marketplace_secrets WHERE extension_id = $1 ORDER BY name;

-- name: GetMarketplaceSecretSealed :one
SELECT value_sealed FROM marketplace_secrets WHERE extension_id = $1 AND name = $2;
