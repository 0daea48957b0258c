-- Lumira's Roblox side: the sandbox groups' simulated state and the per-key
-- request budget (see migration 00035).

-- name: InsertLumiraSandboxRole :exec
INSERT INTO lumira_sandbox_roles (group_id, role_id, name, rank) VALUES ($1, $2, $3, $4);

-- Each role with its member count, as Roblox's role listing gives memberCount.
-- name: ListLumiraSandboxRoles :many
SELECT r.group_id, r.role_id, r.name, r.rank,
       (SELECT count(*) FROM lumira_sandbox_members m WHERE m.group_id = r.group_id AND m.role_id = r.role_id)::bigint AS member_count
FROM lumira_sandbox_roles r WHERE r.group_id = $1 ORDER BY r.rank, r.role_id;

-- name: GetLumiraSandboxMember :one
SELECT * FROM lumira_sandbox_members WHERE group_id = $1 AND user_id = $2;

-- name: UpsertLumiraSandboxMember :exec
INSERT INTO lumira_sandbox_members (group_id, user_id, username, role_id, updated_at)
VALUES ($1, $2, $3, $4, now())
ON CONFLICT (group_id, user_id) DO UPDATE SET role_id = EXCLUDED.role_id, username = EXCLUDED.username, updated_at = now();

-- name: SetLumiraSandboxMemberRole :execrows
UPDATE lumira_sandbox_members SET role_id = $3, updated_at = now() WHERE group_id = $1 AND user_id = $2;

-- name: FindLumiraSandboxUsers :many
SELECT DISTINCT ON (lower(username)) user_id, username FROM lumira_sandbox_members
WHERE lower(username) = ANY(@names::text[])
ORDER BY lower(username), user_id;

-- name: LockLumiraRobloxBudget :exec
SELECT pg_advisory_xact_lock(hashtextextended('lumira_roblox_budget:' || sqlc.arg(key_fingerprint)::text, 0));

-- name: DeleteLumiraRobloxCallsBefore :exec
-- Under LockLumiraRobloxBudget: requests that left the window.
DELETE FROM lumira_roblox_calls
WHERE key_fingerprint = sqlc.arg(key_fingerprint)::text AND at <= clock_timestamp() - sqlc.arg(window_us)::bigint * interval '1 microsecond';

-- name: CountLumiraRobloxCalls :one
-- Under LockLumiraRobloxBudget: the requests in the window, and how long
-- until the oldest leaves it.
SELECT count(*)::bigint AS n,
       coalesce((extract(epoch FROM min(at) + sqlc.arg(window_us)::bigint * interval '1 microsecond' - clock_timestamp()) * 1000000)::bigint, 0)::bigint AS oldest_leaves_us
FROM lumira_roblox_calls
WHERE key_fingerprint = sqlc.arg(key_fingerprint)::text AND at > clock_timestamp() - sqlc.arg(window_us)::bigint * interval '1 microsecond';

-- name: InsertLumiraRobloxCall :exec
INSERT INTO lumira_roblox_calls (key_fingerprint, at) VALUES (sqlc.arg(key_fingerprint)::text, clock_timestamp());
