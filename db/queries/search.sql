-- Global search (command palette): a few best matches per kind.

-- name: SearchAccounts :many
SELECT id, name, email::text AS email, status FROM accounts
WHERE name ILIKE '%' || sqlc.arg(q)::text || '%'
   OR email::text ILIKE '%' || sqlc.arg(q)::text || '%'
   OR discord_id = sqlc.arg(q)::text
ORDER BY (lower(email::text) = lower(sqlc.arg(q)::text)) DESC, similarity(name, sqlc.arg(q)::text) DESC, id DESC
LIMIT $1;

-- name: SearchAPIKeysByPrefix :many
SELECT k.id, k.prefix, k.product, k.name, k.revoked_at, a.name AS account_name
FROM api_keys k LEFT JOIN accounts a ON a.id = k.account_id
WHERE k.prefix LIKE sqlc.arg(q)::text || '%'
ORDER BY k.id DESC
LIMIT $1;

-- name: SearchStaff :many
SELECT id, name, email::text AS email, role FROM staff_users
WHERE name ILIKE '%' || sqlc.arg(q)::text || '%' OR email::text ILIKE '%' || sqlc.arg(q)::text || '%'
ORDER BY id LIMIT $1;
