-- Lumira members, actions and findings (see migration 00035).

-- name: GetLumiraMember :one
SELECT * FROM lumira_members WHERE group_id = $1 AND roblox_user_id = $2;

-- name: UpsertLumiraMember :one
-- What Roblox said of a member (role NULL: not in the group); points kept.
INSERT INTO lumira_members (group_id, roblox_user_id, username, role_id, rank, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, @now::timestamptz, @now::timestamptz)
ON CONFLICT (group_id, roblox_user_id) DO UPDATE SET
    username = CASE WHEN EXCLUDED.username = '' THEN lumira_members.username ELSE EXCLUDED.username END,
    role_id = EXCLUDED.role_id, rank = EXCLUDED.rank, updated_at = EXCLUDED.updated_at
RETURNING *;

-- name: SetLumiraMemberRole :one
UPDATE lumira_members SET role_id = $3, rank = $4, last_change_at = @now::timestamptz, updated_at = @now::timestamptz
WHERE group_id = $1 AND roblox_user_id = $2
RETURNING *;

-- name: AddLumiraMemberPoints :one
UPDATE lumira_members SET points = points + @delta::bigint, last_change_at = @now::timestamptz, updated_at = @now::timestamptz
WHERE group_id = $1 AND roblox_user_id = $2
RETURNING *;

-- name: ListLumiraMembers :many
-- A group's members by user ID; search matches a username's start or the
-- whole user ID.
SELECT * FROM lumira_members
WHERE group_id = $1
  AND (sqlc.narg(search)::text IS NULL OR lower(username) LIKE lower(sqlc.narg(search)) || '%'
       OR roblox_user_id::text = sqlc.narg(search))
  AND roblox_user_id > @after_user::bigint
ORDER BY roblox_user_id
LIMIT $2;

-- name: ListLumiraMembersBelieved :many
-- Members Lumira believes are in the group, for reconciliation.
SELECT * FROM lumira_members WHERE group_id = $1 AND role_id IS NOT NULL ORDER BY roblox_user_id;

-- name: FindLumiraMemberByUsername :one
-- A cached username in the scope's groups.
SELECT m.roblox_user_id, m.username FROM lumira_members m JOIN lumira_groups g ON g.id = m.group_id
WHERE lower(m.username) = lower(@username::text)
  AND (sqlc.narg(account_id)::bigint IS NULL OR g.account_id = sqlc.narg(account_id))
ORDER BY m.updated_at DESC
LIMIT 1;

-- name: InsertLumiraAction :one
INSERT INTO lumira_actions (public_id, group_id, roblox_user_id, kind, old_role_id, old_rank, new_role_id, new_rank,
    points_delta, reason, actor_kind, actor_id, actor_label, status, error, created_at, settled_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, @now::timestamptz, sqlc.narg(settled_at))
RETURNING *;

-- name: SettleLumiraAction :one
-- Only a pending action is settled, once.
UPDATE lumira_actions SET status = $2, error = $3, new_role_id = $4, new_rank = $5, settled_at = @now::timestamptz
WHERE id = $1 AND status = 'pending'
RETURNING *;

-- name: GetLumiraAction :one
SELECT * FROM lumira_actions WHERE public_id = $1;

-- name: ListLumiraPendingActions :many
-- Pending actions older than the cut-off: their outcome was lost.
SELECT * FROM lumira_actions WHERE status = 'pending' AND created_at < @before::timestamptz
  AND (sqlc.narg(group_id)::bigint IS NULL OR group_id = sqlc.narg(group_id))
ORDER BY id
LIMIT $1;

-- name: ListLumiraActions :many
-- A group's actions, newest first, optionally of one member, kind and
-- status; the cursor is the last row's id.
SELECT * FROM lumira_actions
WHERE group_id = $1
  AND (sqlc.narg(user_id)::bigint IS NULL OR roblox_user_id = sqlc.narg(user_id))
  AND (sqlc.narg(kind)::text IS NULL OR kind = sqlc.narg(kind))
  AND (sqlc.narg(status)::text IS NULL OR status = sqlc.narg(status))
  AND (sqlc.narg(before_id)::bigint IS NULL OR id < sqlc.narg(before_id))
ORDER BY id DESC
LIMIT $2;

-- name: InsertLumiraFinding :one
-- Nothing when the same change was recorded before (dedupe_key).
INSERT INTO lumira_findings (group_id, roblox_user_id, from_role_id, from_rank, to_role_id, to_rank, changed_by_id,
    changed_by_name, changed_at, source, dedupe_key, action_id, found_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, @now::timestamptz)
ON CONFLICT (group_id, dedupe_key) DO NOTHING
RETURNING *;

-- name: ListLumiraFindings :many
-- With the public id of the action each led to, if that action's month is
-- still kept (lumira_actions is partitioned, migration 00056).
SELECT sqlc.embed(f), a.public_id AS action_public_id
FROM lumira_findings f
LEFT JOIN lumira_actions a ON a.id = f.action_id AND a.group_id = f.group_id
WHERE f.group_id = $1
  AND (sqlc.narg(before_id)::bigint IS NULL OR f.id < sqlc.narg(before_id))
ORDER BY f.id DESC LIMIT $2;

-- name: LockLumiraMember :exec
-- Serialises changes to one member across processes, until the transaction ends.
SELECT pg_advisory_xact_lock(hashtextextended(format('lumira_member:%s:%s', sqlc.arg(group_id)::bigint, sqlc.arg(user_id)::bigint), 0));

-- name: GetLumiraActionByID :one
SELECT * FROM lumira_actions WHERE id = $1;

-- name: SetLumiraMemberUsernames :exec
-- Caches a looked-up username on the user's member rows in the scope's groups.
UPDATE lumira_members m SET username = @username::text
FROM lumira_groups g
WHERE g.id = m.group_id AND m.roblox_user_id = @user_id::bigint
  AND (sqlc.narg(account_id)::bigint IS NULL OR g.account_id = sqlc.narg(account_id));
