-- Licensing projects, and the account lookups licensing needs (kept here so
-- this area does not depend on the accounts package).

-- name: InsertLicensingProject :one
INSERT INTO licensing_projects (public_id, account_id, name, reset_cooldown_seconds, users_can_reset, ffa_default, created_at, updated_at)
VALUES (sqlc.arg(public_id), sqlc.arg(account_id), sqlc.arg(name), sqlc.arg(reset_cooldown_seconds),
        sqlc.arg(users_can_reset), sqlc.arg(ffa_default), sqlc.arg(now), sqlc.arg(now))
RETURNING *;

-- name: GetLicensingProject :one
SELECT sqlc.embed(p), a.name::text AS account_name, a.email::text AS account_email
FROM licensing_projects p JOIN accounts a ON a.id = p.account_id
WHERE p.public_id = $1;

-- name: GetLicensingProjectByID :one
SELECT sqlc.embed(p), a.name::text AS account_name, a.email::text AS account_email
FROM licensing_projects p JOIN accounts a ON a.id = p.account_id
WHERE p.id = $1;

-- name: LockLicensingProject :one
SELECT * FROM licensing_projects WHERE public_id = $1 FOR UPDATE;

-- name: UpdateLicensingProject :one
UPDATE licensing_projects
SET name = sqlc.arg(name), reset_cooldown_seconds = sqlc.arg(reset_cooldown_seconds),
    users_can_reset = sqlc.arg(users_can_reset), ffa_default = sqlc.arg(ffa_default), updated_at = sqlc.arg(now)
WHERE id = sqlc.arg(id)
RETURNING *;

-- Newest first, keyset on (created_at, id); optional account and name search.
-- name: ListLicensingProjects :many
SELECT sqlc.embed(p), a.name::text AS account_name, a.email::text AS account_email
FROM licensing_projects p JOIN accounts a ON a.id = p.account_id
WHERE (sqlc.narg(account_id)::bigint IS NULL OR p.account_id = sqlc.narg(account_id))
  AND (sqlc.narg(search)::text IS NULL OR p.name ILIKE sqlc.narg(search) OR p.public_id = lower(sqlc.narg(plain)::text))
  AND (sqlc.narg(before_at)::timestamptz IS NULL OR (p.created_at, p.id) < (sqlc.narg(before_at), sqlc.narg(before_id)::bigint))
ORDER BY p.created_at DESC, p.id DESC
LIMIT sqlc.arg(lim);

-- name: ListLicensingProjectsOfAccount :many
SELECT * FROM licensing_projects WHERE account_id = $1 ORDER BY id;

-- name: ListAllLicensingProjects :many
SELECT * FROM licensing_projects ORDER BY id LIMIT $1;

-- name: LicensingProjectNamed :one
SELECT * FROM licensing_projects WHERE account_id = $1 AND name = $2 ORDER BY id LIMIT 1;

-- name: GetLicensingAccount :one
SELECT id, name, email::text AS email, status FROM accounts WHERE id = $1;

-- name: GetLicensingAccountByEmail :one
SELECT id, name, email::text AS email, status FROM accounts WHERE email = sqlc.arg(email)::text;

-- Key counts of projects by status, for the API's stats (no filter on time:
-- expired keys are still users).
-- name: CountLicenseKeysOfProjects :one
SELECT count(*)::bigint AS total,
       count(*) FILTER (WHERE k.identifier <> '')::bigint AS active,
       count(*) FILTER (WHERE k.banned AND (k.ban_expire IS NULL OR k.ban_expire > sqlc.arg(now)::timestamptz))::bigint AS banned,
       count(*) FILTER (WHERE k.auth_expire IS NOT NULL AND k.auth_expire <= sqlc.arg(now))::bigint AS expired
FROM license_keys k
WHERE k.project_id = ANY (sqlc.arg(project_ids)::bigint[]);

-- name: ProjectDailyExecutions :many
SELECT day, sum(executions)::bigint AS executions
FROM licensing_project_daily_executions
WHERE project_id = ANY (sqlc.arg(project_ids)::bigint[]) AND day >= sqlc.arg(since)::date
GROUP BY day ORDER BY day;

-- The account page's overview card: the newest key activity (an execution,
-- a HWID reset, or else the key's creation) over some projects.
-- name: LastLicenseKeyActivityOfProjects :one
SELECT max(greatest(a.last_execution_at, k.last_reset_at, k.created_at))::timestamptz AS last_activity
FROM license_keys k JOIN license_key_activity a ON a.key_id = k.id
WHERE k.project_id = ANY (sqlc.arg(project_ids)::bigint[]);
