-- Lumio in the staff console: the review queue, moderation, the extension
-- list's filters and sorts, the account tab and the palette.

-- name: ListMarketplaceReviewQueue :many
-- Pending versions, oldest submission first (marketplace_versions_pending);
-- the cursor is the last row's (submitted_at, id).
SELECT v.id, v.public_id, v.version, v.submitted_at, v.file_count, v.bundle_size,
    e.public_id AS extension_public_id, e.name AS extension_name, e.slug AS extension_slug,
    e.status AS extension_status, e.account_id, a.name AS account_name
FROM marketplace_versions v
JOIN marketplace_extensions e ON e.id = v.extension_id
JOIN accounts a ON a.id = e.account_id
WHERE v.status = 'pending'
  AND (sqlc.narg(after_submitted)::timestamptz IS NULL
       OR (v.submitted_at, v.id) > (sqlc.narg(after_submitted)::timestamptz, sqlc.narg(after_id)::bigint))
ORDER BY v.submitted_at, v.id
LIMIT $1;

-- name: CountMarketplacePendingVersions :one
SELECT count(*) FROM marketplace_versions WHERE status = 'pending';

-- name: CountMarketplaceExtensionsByStatus :many
SELECT status, count(*) AS n FROM marketplace_extensions GROUP BY status;

-- name: CountMarketplaceVersionsByStatus :one
-- An extension's pending and rejected versions: what its status is once a
-- suspension is lifted.
SELECT count(*) FILTER (WHERE status = 'pending') AS pending,
       count(*) FILTER (WHERE status = 'rejected') AS rejected
FROM marketplace_versions WHERE extension_id = $1;

-- name: SetMarketplaceExtensionStatus :one
UPDATE marketplace_extensions SET status = $2, updated_at = @now::timestamptz
WHERE id = $1
RETURNING *;

-- name: SetMarketplaceExtensionDeprecation :one
UPDATE marketplace_extensions SET deprecated = $2, replacement_id = $3, updated_at = @now::timestamptz
WHERE id = $1
RETURNING *;

-- name: LastApprovedMarketplaceVersion :one
-- The extension's most recently approved version other than the one given.
SELECT * FROM marketplace_versions
WHERE extension_id = $1 AND id <> sqlc.arg(except_id)::bigint AND status = 'approved'
ORDER BY approved_at DESC, id DESC
LIMIT 1;

-- name: ListMarketplaceExtensionsByUpdated :many
-- The console's list, most recently updated first, with its filters (each
-- NULL when unset); search matches the whole public id or part of the name
-- or slug (trigram indexes).
SELECT e.*, a.name AS account_name
FROM marketplace_extensions e JOIN accounts a ON a.id = e.account_id
WHERE (sqlc.narg(account_id)::bigint IS NULL OR e.account_id = sqlc.narg(account_id))
  AND (sqlc.narg(status)::text IS NULL OR e.status = sqlc.narg(status))
  AND (sqlc.narg(visibility)::text IS NULL OR e.visibility = sqlc.narg(visibility))
  AND (sqlc.narg(pricing_type)::text IS NULL OR e.pricing_type = sqlc.narg(pricing_type))
  AND (sqlc.narg(q)::text IS NULL OR e.public_id = sqlc.narg(q)
       OR e.name ILIKE '%' || sqlc.narg(q_like)::text || '%' OR e.slug ILIKE '%' || sqlc.narg(q_like)::text || '%')
  AND (sqlc.narg(after_updated)::timestamptz IS NULL
       OR (e.updated_at, e.id) < (sqlc.narg(after_updated)::timestamptz, sqlc.narg(after_id)::bigint))
ORDER BY e.updated_at DESC, e.id DESC
LIMIT $1;

-- name: ListMarketplaceExtensionsByInstalls :many
-- The console's list, most installed first, with the same filters.
SELECT e.*, a.name AS account_name
FROM marketplace_extensions e JOIN accounts a ON a.id = e.account_id
WHERE (sqlc.narg(account_id)::bigint IS NULL OR e.account_id = sqlc.narg(account_id))
  AND (sqlc.narg(status)::text IS NULL OR e.status = sqlc.narg(status))
  AND (sqlc.narg(visibility)::text IS NULL OR e.visibility = sqlc.narg(visibility))
  AND (sqlc.narg(pricing_type)::text IS NULL OR e.pricing_type = sqlc.narg(pricing_type))
  AND (sqlc.narg(q)::text IS NULL OR e.public_id = sqlc.narg(q)
       OR e.name ILIKE '%' || sqlc.narg(q_like)::text || '%' OR e.slug ILIKE '%' || sqlc.narg(q_like)::text || '%')
  AND (sqlc.narg(after_installs)::bigint IS NULL
       OR (e.install_count, e.id) < (sqlc.narg(after_installs)::bigint, sqlc.narg(after_id)::bigint))
ORDER BY e.install_count DESC, e.id DESC
LIMIT $1;

-- name: CountMarketplacePendingByAccount :many
-- Pending versions per extension of one account (its account tab).
SELECT v.extension_id, count(*) AS n
FROM marketplace_versions v JOIN marketplace_extensions e ON e.id = v.extension_id
WHERE e.account_id = $1 AND v.status = 'pending'
GROUP BY v.extension_id;

-- name: SearchMarketplaceExtensions :many
-- An extension by its whole public id, or its name or slug, whole or in
-- part: marketplace_extensions_name_trgm, marketplace_extensions_slug_trgm.
-- The matches are found first (a subquery the planner keeps whole, so it
-- ORs the indexes), then named.
SELECT e.public_id, e.name, e.slug, e.status, e.account_id, a.name AS account_name
FROM (
    SELECT x.public_id, x.name, x.slug, x.status, x.account_id FROM marketplace_extensions x
    WHERE x.public_id = sqlc.arg(exact)::text OR x.name = sqlc.arg(exact)::text OR x.slug = lower(sqlc.arg(exact)::text)
       OR (sqlc.arg(contains)::boolean AND (x.name ILIKE '%' || sqlc.arg(q)::text || '%' OR x.slug ILIKE '%' || sqlc.arg(q)::text || '%'))
    LIMIT $1
) e JOIN accounts a ON a.id = e.account_id;

-- name: SearchMarketplaceVersions :many
-- A version by its whole public id.
SELECT v.public_id, v.version, v.status, e.name AS extension_name, a.name AS account_name
FROM marketplace_versions v
JOIN marketplace_extensions e ON e.id = v.extension_id
JOIN accounts a ON a.id = e.account_id
WHERE v.public_id = sqlc.arg(exact)::text
LIMIT $1;
