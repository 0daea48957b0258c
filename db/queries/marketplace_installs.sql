-- Lumio installs (see migration 00033). Arrays passed together are zipped
-- by unnest() in one select list.

-- The versions a batch names, with their extension, to check each event.
-- name: MarketplaceInstallTargets :many
SELECT v.id AS version_id, v.public_id AS version_public_id, e.id AS extension_id,
       e.public_id AS extension_public_id, e.account_id
FROM marketplace_versions v JOIN marketplace_extensions e ON e.id = v.extension_id
WHERE v.public_id = ANY(sqlc.arg(version_public_ids)::text[]);

-- Keeps the batch's new events in the history (migration 00055: the
-- dedupe is marketplace_installs.seen).
-- name: InsertMarketplaceInstallEvents :exec
INSERT INTO marketplace_install_events (extension_id, install_id, event, version_id, at, received_at)
SELECT u.extension_id, u.install_id, u.event, u.version_id, u.at, sqlc.arg(now)::timestamptz
FROM (SELECT unnest(sqlc.arg(extension_ids)::bigint[]) AS extension_id, unnest(sqlc.arg(install_ids)::text[]) AS install_id,
             unnest(sqlc.arg(events)::text[]) AS event, unnest(sqlc.arg(version_ids)::bigint[]) AS version_id,
             unnest(sqlc.arg(ats)::timestamptz[]) AS at) AS u;

-- Makes sure every installation has a row to lock (sorted, so concurrent
-- batches take the rows in one order).
-- name: EnsureMarketplaceInstalls :exec
INSERT INTO marketplace_installs (extension_id, install_id)
SELECT u.extension_id, u.install_id
FROM (SELECT unnest(sqlc.arg(extension_ids)::bigint[]) AS extension_id, unnest(sqlc.arg(install_ids)::text[]) AS install_id) AS u
ORDER BY u.extension_id, u.install_id
ON CONFLICT DO NOTHING;

-- name: LockMarketplaceInstalls :many
SELECT i.* FROM marketplace_installs i
JOIN (SELECT unnest(sqlc.arg(extension_ids)::bigint[]) AS extension_id, unnest(sqlc.arg(install_ids)::text[]) AS install_id) AS u
  ON i.extension_id = u.extension_id AND i.install_id = u.install_id
ORDER BY i.extension_id, i.install_id
FOR UPDATE OF i;

-- seen: each installation's list as one comma-separated text (unnest
-- would flatten an array of arrays).
-- name: SaveMarketplaceInstalls :exec
UPDATE marketplace_installs AS i
SET version_id = u.version_id, counted = u.counted, active = u.active, uninstalled = u.uninstalled, last_at = u.last_at,
    seen = string_to_array(u.seen, ',')
FROM (SELECT unnest(sqlc.arg(extension_ids)::bigint[]) AS extension_id, unnest(sqlc.arg(install_ids)::text[]) AS install_id,
             unnest(sqlc.arg(version_ids)::bigint[]) AS version_id, unnest(sqlc.arg(counted)::boolean[]) AS counted,
             unnest(sqlc.arg(active)::boolean[]) AS active, unnest(sqlc.arg(uninstalled)::boolean[]) AS uninstalled,
             unnest(sqlc.arg(last_ats)::timestamptz[]) AS last_at, unnest(sqlc.arg(seen)::text[]) AS seen) AS u
WHERE i.extension_id = u.extension_id AND i.install_id = u.install_id;

-- name: AddMarketplaceExtensionInstalls :exec
UPDATE marketplace_extensions AS e
SET install_count = e.install_count + u.total, active_installs = e.active_installs + u.active
FROM (SELECT unnest(sqlc.arg(ids)::bigint[]) AS id, unnest(sqlc.arg(totals)::bigint[]) AS total,
             unnest(sqlc.arg(actives)::bigint[]) AS active) AS u
WHERE e.id = u.id;

-- name: AddMarketplaceVersionInstalls :exec
INSERT INTO marketplace_install_versions AS v (version_id, extension_id, active)
SELECT u.version_id, u.extension_id, u.delta
FROM (SELECT unnest(sqlc.arg(version_ids)::bigint[]) AS version_id, unnest(sqlc.arg(extension_ids)::bigint[]) AS extension_id,
             unnest(sqlc.arg(deltas)::bigint[]) AS delta) AS u
ORDER BY u.version_id
ON CONFLICT (version_id) DO UPDATE SET active = v.active + EXCLUDED.active;

-- name: AddMarketplaceInstallDaily :exec
INSERT INTO marketplace_install_daily AS d (extension_id, version_id, day, delta)
SELECT u.extension_id, u.version_id, u.day, u.delta
FROM (SELECT unnest(sqlc.arg(extension_ids)::bigint[]) AS extension_id, unnest(sqlc.arg(version_ids)::bigint[]) AS version_id,
             unnest(sqlc.arg(days)::date[]) AS day, unnest(sqlc.arg(deltas)::bigint[]) AS delta) AS u
ORDER BY u.extension_id, u.day, u.version_id
ON CONFLICT (extension_id, day, version_id) DO UPDATE SET delta = d.delta + EXCLUDED.delta;

-- Active installs per version (byVersion); versions with none are left out.
-- name: MarketplaceVersionInstalls :many
SELECT v.public_id, v.version, iv.active
FROM marketplace_install_versions iv JOIN marketplace_versions v ON v.id = iv.version_id
WHERE iv.extension_id = $1 AND iv.active > 0
ORDER BY iv.active DESC, v.id DESC;

-- Each version's active installs before the chart's first day.
-- name: MarketplaceInstallsBefore :many
SELECT d.version_id, sum(d.delta)::bigint AS active
FROM marketplace_install_daily d
WHERE d.extension_id = $1 AND d.day < sqlc.arg(first_day)::date
GROUP BY d.version_id;

-- name: MarketplaceInstallDays :many
SELECT d.version_id, d.day, d.delta
FROM marketplace_install_daily d
WHERE d.extension_id = $1 AND d.day >= sqlc.arg(first_day)::date
ORDER BY d.day, d.version_id;

-- name: MarketplaceVersionLabels :many
SELECT id, public_id, version FROM marketplace_versions WHERE extension_id = $1;
