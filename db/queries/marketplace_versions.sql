-- Lumio extension versions and their review.

-- name: InsertMarketplaceVersion :one
INSERT INTO marketplace_versions (public_id, extension_id, version, changelog, bundle_sha256, bundle_size,
    bundle_unpacked_size, file_count, manifest, files, submitted_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, @now::timestamptz)
RETURNING *;

-- name: GetMarketplaceVersion :one
SELECT * FROM marketplace_versions WHERE public_id = $1;

-- name: LockMarketplaceVersion :one
SELECT * FROM marketplace_versions WHERE public_id = $1 FOR UPDATE;

-- name: ListMarketplaceVersionStrings :many
-- Every version string of an extension (the new one must exceed them all).
SELECT version FROM marketplace_versions WHERE extension_id = $1;

-- name: ListMarketplaceVersions :many
-- An extension's versions, newest submission first.
SELECT * FROM marketplace_versions WHERE extension_id = $1 ORDER BY submitted_at DESC, id DESC;

-- name: ReviewMarketplaceVersion :one
UPDATE marketplace_versions SET status = $2, approved_at = $3, reviewed_at = @now::timestamptz,
    reviewer_id = $4, rejection_reason = $5, rollout_percent = $6
WHERE id = $1
RETURNING *;

-- name: SetMarketplaceVersionRollout :one
UPDATE marketplace_versions SET rollout_percent = $2 WHERE id = $1 RETURNING *;

-- name: GetMarketplaceVersionByID :one
SELECT * FROM marketplace_versions WHERE id = $1;
