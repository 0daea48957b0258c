-- Lumora apps, sending domains and the DNS records each domain must publish.

-- name: InsertMailApp :one
INSERT INTO mail_apps (account_id, name, default_from_email, default_from_name, created_at, updated_at)
VALUES ($1, $2, $3, $4, @now::timestamptz, @now::timestamptz)
RETURNING *;

-- name: GetMailApp :one
SELECT * FROM mail_apps WHERE id = $1;

-- name: ListMailApps :many
-- Every app of one account (account_id given) or of every account, newest first.
SELECT * FROM mail_apps
WHERE (sqlc.narg(account_id)::bigint IS NULL OR account_id = sqlc.narg(account_id))
  AND (sqlc.narg(before_id)::bigint IS NULL OR id < sqlc.narg(before_id))
ORDER BY id DESC
LIMIT $1;

-- name: InsertMailDomain :one
INSERT INTO mail_domains (account_id, name, dkim_selector, dkim_public_key, created_at, updated_at)
VALUES ($1, $2, $3, $4, @now::timestamptz, @now::timestamptz)
RETURNING *;

-- name: SetMailDomainKey :exec
UPDATE mail_domains SET dkim_private_key_sealed = $2 WHERE id = $1;

-- name: GetMailDomain :one
SELECT * FROM mail_domains WHERE id = $1;

-- name: LockMailDomain :one
SELECT * FROM mail_domains WHERE id = $1 FOR UPDATE;

-- name: GetMailDomainByName :one
SELECT * FROM mail_domains WHERE account_id = $1 AND name = $2;

-- name: ListMailDomains :many
-- Every domain of one account (account_id given) or of every account, newest
-- first, with its account's name (one domain name may be two accounts').
SELECT sqlc.embed(d), a.name AS account_name FROM mail_domains d JOIN accounts a ON a.id = d.account_id
WHERE (sqlc.narg(account_id)::bigint IS NULL OR d.account_id = sqlc.narg(account_id))
  AND (sqlc.narg(status)::text IS NULL OR d.status = sqlc.narg(status))
  AND (sqlc.narg(q)::text IS NULL OR d.name LIKE sqlc.narg(q) || '%')
  AND (sqlc.narg(before_id)::bigint IS NULL OR d.id < sqlc.narg(before_id))
ORDER BY d.id DESC
LIMIT $1;

-- name: ListMailDomainsDue :many
-- Domains verified once whose last check is older than the re-check interval.
SELECT id FROM mail_domains
WHERE status IN ('verified', 'failing')
  AND (last_checked_at IS NULL OR last_checked_at < @checked_before::timestamptz)
ORDER BY last_checked_at NULLS FIRST, id
LIMIT $1;

-- name: UpdateMailDomainStatus :one
UPDATE mail_domains
SET status = $2, verified_at = $3, failing_since = $4, last_checked_at = @now::timestamptz, updated_at = @now::timestamptz
WHERE id = $1
RETURNING *;

-- name: DeleteMailDomain :exec
DELETE FROM mail_domains WHERE id = $1;

-- name: InsertMailDomainRecord :one
INSERT INTO mail_domain_records (domain_id, kind, type, name, value)
VALUES ($1, $2, $3, $4, $5)
RETURNING *;

-- name: ListMailDomainRecords :many
SELECT * FROM mail_domain_records WHERE domain_id = $1 ORDER BY id;

-- name: UpdateMailDomainRecord :exec
UPDATE mail_domain_records SET status = $2, found = $3, checked_at = $4 WHERE id = $1;
