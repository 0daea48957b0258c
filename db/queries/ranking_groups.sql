-- Lumira groups, roles and the ladder (see migration 00035).

-- name: InsertLumiraGroup :one
INSERT INTO lumira_groups (public_id, account_id, roblox_group_id, name, key_sealed, key_fingerprint, ceiling_rank,
    webhook_sealed, webhook_status, status, status_message, key_scopes, last_sync_at, auto_promote, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, @key_scopes::text[], $12, $13, @now::timestamptz, @now::timestamptz)
RETURNING *;

-- name: GetLumiraGroup :one
SELECT * FROM lumira_groups WHERE public_id = $1;

-- name: GetLumiraGroupByID :one
SELECT * FROM lumira_groups WHERE id = $1;

-- name: LockLumiraGroup :one
SELECT * FROM lumira_groups WHERE id = $1 FOR UPDATE;

-- name: ListLumiraGroups :many
-- One account's groups (account_id given) or every account's, newest first;
-- the cursor is the last row's id.
SELECT * FROM lumira_groups
WHERE (sqlc.narg(account_id)::bigint IS NULL OR account_id = sqlc.narg(account_id))
  AND (sqlc.narg(before_id)::bigint IS NULL OR id < sqlc.narg(before_id))
ORDER BY id DESC
LIMIT $1;

-- name: ListLumiraGroupIDs :many
-- Every group that reconciliation visits: connected or sandbox.
SELECT id FROM lumira_groups WHERE status IN ('connected', 'sandbox') ORDER BY id;

-- name: UpdateLumiraGroupSync :one
UPDATE lumira_groups SET name = $2, status = $3, status_message = $4, key_scopes = @key_scopes::text[],
    last_sync_at = $5, updated_at = @now::timestamptz
WHERE id = $1
RETURNING *;

-- name: SetLumiraGroupStatus :one
UPDATE lumira_groups SET status = $2, status_message = $3, updated_at = @now::timestamptz
WHERE id = $1
RETURNING *;

-- name: SetLumiraGroupCeiling :one
UPDATE lumira_groups SET ceiling_rank = $2, updated_at = @now::timestamptz WHERE id = $1 RETURNING *;

-- name: SetLumiraGroupAutoPromote :one
UPDATE lumira_groups SET auto_promote = $2, updated_at = @now::timestamptz WHERE id = $1 RETURNING *;

-- name: SetLumiraGroupWebhook :one
UPDATE lumira_groups SET webhook_sealed = $2, webhook_status = $3, webhook_disabled_reason = '',
    webhook_disabled_at = NULL, updated_at = @now::timestamptz
WHERE id = $1
RETURNING *;

-- name: DisableLumiraGroupWebhook :one
UPDATE lumira_groups SET webhook_status = 'disabled', webhook_disabled_reason = $2,
    webhook_disabled_at = @now::timestamptz, updated_at = @now::timestamptz
WHERE id = $1 AND webhook_status = 'ok'
RETURNING *;

-- name: SetLumiraGroupReconciled :exec
UPDATE lumira_groups SET last_reconciled_at = @now::timestamptz WHERE id = $1;

-- name: ListLumiraRoles :many
-- A group's roles, lowest rank first.
SELECT * FROM lumira_roles WHERE group_id = $1 ORDER BY rank, role_id;

-- name: UpsertLumiraRole :exec
INSERT INTO lumira_roles (group_id, role_id, name, rank, member_count)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (group_id, role_id) DO UPDATE SET name = EXCLUDED.name, rank = EXCLUDED.rank,
    member_count = EXCLUDED.member_count;

-- name: DeleteLumiraRolesExcept :exec
-- Roles Roblox no longer lists.
DELETE FROM lumira_roles WHERE group_id = $1 AND NOT (role_id = ANY(@keep::text[]));

-- name: SetLumiraRoleLadder :exec
UPDATE lumira_roles SET in_ladder = $3, ladder_position = $4, points_required = $5
WHERE group_id = $1 AND role_id = $2;

-- name: SetLumiraGroupKey :one
UPDATE lumira_groups SET key_sealed = $2, key_fingerprint = $3, updated_at = @now::timestamptz WHERE id = $1 RETURNING *;

-- name: LumiraHasLiveGroup :one
-- Whether the scope holds a group that talks to Roblox (not a sandbox one):
-- a username lookup asks Roblox only then.
SELECT EXISTS (
    SELECT 1 FROM lumira_groups
    WHERE status <> 'sandbox' AND (sqlc.narg(account_id)::bigint IS NULL OR account_id = sqlc.narg(account_id))
);
