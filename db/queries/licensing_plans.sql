-- Licensing plans (limits of an account) and their monthly usage.

-- name: GetLicensingPlan :one
SELECT * FROM licensing_plans WHERE account_id = $1;

-- name: UpsertLicensingPlan :one
INSERT INTO licensing_plans (account_id, max_users_per_project, obfuscations_per_month, updated_at)
VALUES (sqlc.arg(account_id), sqlc.narg(max_users_per_project), sqlc.narg(obfuscations_per_month), sqlc.arg(now))
ON CONFLICT (account_id) DO UPDATE
SET max_users_per_project = EXCLUDED.max_users_per_project,
    obfuscations_per_month = EXCLUDED.obfuscations_per_month,
    updated_at = EXCLUDED.updated_at
RETURNING *;

-- Locks the account's plan row (if any) so a change and its audit row see
-- one before-state.
-- name: LockLicensingPlan :one
SELECT * FROM licensing_plans WHERE account_id = $1 FOR UPDATE;

-- Counts one obfuscation in the month and returns the month's total. The
-- caller refuses (and rolls back) past the plan's quota.
-- name: UseLicensingObfuscation :one
INSERT INTO licensing_obfuscations (account_id, month, used)
VALUES (sqlc.arg(account_id), sqlc.arg(month), 1)
ON CONFLICT (account_id, month) DO UPDATE SET used = licensing_obfuscations.used + 1
RETURNING used;

-- name: GetLicensingObfuscationsUsed :one
SELECT coalesce((SELECT used FROM licensing_obfuscations WHERE account_id = sqlc.arg(account_id) AND month = sqlc.arg(month)), 0)::integer AS used;

-- Keys of a project, counted up to lim (a limit check needs no more, and a
-- project of millions of keys must not be counted in full).
-- name: CountLicenseKeysOfProjectUpTo :one
SELECT count(*)::bigint FROM (SELECT 1 FROM license_keys WHERE project_id = sqlc.arg(project_id) LIMIT sqlc.arg(lim)) k;
