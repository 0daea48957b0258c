-- License keys ("users" in the Luarmor API). Rules live in internal/licensing:
-- these queries read rows, save a row the service computed under a row lock,
-- or compare-and-set on version.

-- name: InsertLicenseKey :one
INSERT INTO license_keys (project_id, user_key, identifier, discord_id, note, key_days, auth_expire, created_at, updated_at)
VALUES (sqlc.arg(project_id), sqlc.arg(user_key), sqlc.arg(identifier), sqlc.arg(discord_id), sqlc.arg(note),
        sqlc.narg(key_days), sqlc.narg(auth_expire), sqlc.arg(now), sqlc.arg(now))
RETURNING *;

-- Bulk load (lumdesk seed --scale).
-- name: CopyLicenseKeys :copyfrom
INSERT INTO license_keys (project_id, user_key, identifier, discord_id, note, key_days, auth_expire, activated_at,
                          banned, ban_reason, ban_expire, unban_token, total_resets, last_reset_at,
                          used, created_at, updated_at)
VALUES (sqlc.arg(project_id), sqlc.arg(user_key), sqlc.arg(identifier), sqlc.arg(discord_id), sqlc.arg(note),
        sqlc.narg(key_days), sqlc.narg(auth_expire), sqlc.narg(activated_at), sqlc.arg(banned), sqlc.arg(ban_reason),
        sqlc.narg(ban_expire), sqlc.narg(unban_token), sqlc.arg(total_resets), sqlc.narg(last_reset_at),
        sqlc.arg(used), sqlc.arg(created_at), sqlc.arg(created_at));

-- A bulk load's executions (seed --scale), after its COPY: the insert
-- trigger made the keys' activity rows with none (migration 00053).
-- name: SetBulkLicenseKeyExecutions :exec
UPDATE license_key_activity a SET total_executions = u.n, last_execution_at = u.last
FROM (SELECT unnest(sqlc.arg(user_keys)::text[]) AS user_key, unnest(sqlc.arg(counts)::bigint[]) AS n,
             unnest(sqlc.arg(lasts)::timestamptz[]) AS last) AS u
JOIN license_keys k ON k.user_key = u.user_key
WHERE a.key_id = k.id AND k.project_id = sqlc.arg(project_id);

-- A list page's executions (migration 00053), by key.
-- name: LicenseKeyActivities :many
SELECT * FROM license_key_activity WHERE key_id = ANY (sqlc.arg(key_ids)::bigint[]);

-- A key's executions are on its license_key_activity row (migration
-- 00053), read beside the key. The locks take the key's row only (OF k):
-- the counter's flush writes activity rows, and waits for a locked key
-- only to mark its first run (MarkLicenseKeysUsed).
-- name: GetLicenseKey :one
SELECT sqlc.embed(k), sqlc.embed(a)
FROM license_keys k JOIN license_key_activity a ON a.key_id = k.id
WHERE k.project_id = $1 AND k.user_key = $2;

-- name: GetLicenseKeyByID :one
SELECT sqlc.embed(k), sqlc.embed(a), p.public_id AS project_public_id, p.name AS project_name
FROM license_keys k JOIN license_key_activity a ON a.key_id = k.id JOIN licensing_projects p ON p.id = k.project_id
WHERE k.id = $1;

-- name: LockLicenseKey :one
SELECT sqlc.embed(k), sqlc.embed(a)
FROM license_keys k JOIN license_key_activity a ON a.key_id = k.id
WHERE k.project_id = $1 AND k.user_key = $2 FOR UPDATE OF k;

-- name: LockLicenseKeyByUnbanToken :one
SELECT sqlc.embed(k), sqlc.embed(a)
FROM license_keys k JOIN license_key_activity a ON a.key_id = k.id
WHERE k.project_id = $1 AND k.unban_token = sqlc.arg(unban_token)::text FOR UPDATE OF k;

-- Writes every mutable field the service computed; bumps version.
-- name: SaveLicenseKey :one
UPDATE license_keys
SET identifier = sqlc.arg(identifier), discord_id = sqlc.arg(discord_id), note = sqlc.arg(note),
    key_days = sqlc.narg(key_days), auth_expire = sqlc.narg(auth_expire), activated_at = sqlc.narg(activated_at),
    banned = sqlc.arg(banned), ban_reason = sqlc.arg(ban_reason), ban_expire = sqlc.narg(ban_expire),
    unban_token = sqlc.narg(unban_token), total_resets = sqlc.arg(total_resets), last_reset_at = sqlc.narg(last_reset_at),
    version = version + 1, updated_at = sqlc.arg(now)
WHERE id = sqlc.arg(id)
RETURNING *;

-- The first execution: binds the HWID and starts the key_days clock only if
-- the key is still unassigned and unchanged since the check read it. Of two
-- concurrent first executions exactly one updates a row.
-- name: ActivateLicenseKey :one
UPDATE license_keys
SET identifier = sqlc.arg(identifier), activated_at = sqlc.narg(activated_at), auth_expire = sqlc.narg(auth_expire),
    version = version + 1, updated_at = sqlc.arg(now)
WHERE id = sqlc.arg(id) AND version = sqlc.arg(version) AND identifier = ''
RETURNING *;

-- name: DeleteLicenseKey :exec
DELETE FROM license_keys WHERE id = $1;

-- name: DeleteLicenseKeyDailyExecutions :exec
DELETE FROM license_key_daily_executions WHERE key_id = $1;

-- name: InsertLicenseKeyReset :exec
INSERT INTO license_key_resets (key_id, project_id, old_identifier, forced, actor_kind, reset_at)
VALUES ($1, $2, $3, $4, $5, $6);

-- The loader check's one read: script and project by public id, the key (if
-- any) and whether the HWID is blacklisted through another key of the project.
-- name: CheckLicense :one
SELECT s.id AS script_id, s.project_id, p.name AS project_name, s.name AS script_name, s.ffa,
       k.id AS key_id, k.user_key, k.identifier, k.discord_id, k.note, k.key_days, k.auth_expire, k.activated_at,
       k.banned, k.ban_reason, k.ban_expire, k.unban_token, k.total_resets, k.last_reset_at, a.total_executions,
       a.last_execution_at, k.version, k.created_at, k.updated_at,
       coalesce(hb.ban_reason, '')::text AS hwid_ban_reason, hb.ban_expire AS hwid_ban_expire, (hb.id IS NOT NULL)::boolean AS hwid_banned
FROM licensing_scripts s
JOIN licensing_projects p ON p.id = s.project_id
LEFT JOIN license_keys k ON k.user_key = sqlc.arg(user_key)::text AND k.project_id = s.project_id
LEFT JOIN license_key_activity a ON a.key_id = k.id
LEFT JOIN LATERAL (
    SELECT b.id, b.ban_reason, b.ban_expire FROM license_keys b
    WHERE b.project_id = s.project_id AND b.identifier = sqlc.arg(hwid)::text AND b.identifier <> ''
      AND b.banned AND (b.ban_expire IS NULL OR b.ban_expire > sqlc.arg(now)::timestamptz)
    ORDER BY b.ban_expire DESC NULLS FIRST LIMIT 1
) hb ON true
WHERE p.public_id = sqlc.arg(project_public_id)::text AND s.public_id = sqlc.arg(script_public_id)::text;

-- The batched execution counter's flush: one statement per table. The
-- unnest() calls in one select list run in lockstep (the arrays are zipped).
-- A key's executions are on its narrow license_key_activity row (migration
-- 00053), so the flush writes no license_keys row but at a key's first
-- flushed execution, to set used: MarkLicenseKeysUsed, run first, in the
-- flush's transaction. Key row before activity row is the order every
-- change of a key takes them (its lock, then the activity trigger of
-- 00052); the other order could deadlock with a ban of a key on its
-- first run (TestFlushAndKeyChangeTakeRowsInOneOrder).
-- name: MarkLicenseKeysUsed :exec
UPDATE license_keys k SET used = true
FROM license_key_activity a
WHERE a.key_id = ANY (sqlc.arg(ids)::bigint[]) AND a.last_execution_at IS NULL AND k.id = a.key_id AND NOT k.used;

-- name: FlushLicenseKeyExecutions :exec
UPDATE license_key_activity AS a
SET total_executions = a.total_executions + u.n, last_execution_at = GREATEST(a.last_execution_at, u.last)
FROM (SELECT unnest(sqlc.arg(ids)::bigint[]) AS id, unnest(sqlc.arg(counts)::bigint[]) AS n,
             unnest(sqlc.arg(lasts)::timestamptz[]) AS last) AS u
WHERE a.key_id = u.id;

-- name: FlushLicensingScriptExecutions :execrows
UPDATE licensing_scripts AS s
SET total_executions = s.total_executions + u.n, last_execution_at = GREATEST(s.last_execution_at, u.last)
FROM (SELECT unnest(sqlc.arg(ids)::bigint[]) AS id, unnest(sqlc.arg(counts)::bigint[]) AS n,
             unnest(sqlc.arg(lasts)::timestamptz[]) AS last) AS u
WHERE s.id = u.id;

-- name: FlushLicenseKeyDailyExecutions :exec
INSERT INTO license_key_daily_executions (key_id, day, executions)
SELECT unnest(sqlc.arg(ids)::bigint[]), unnest(sqlc.arg(days)::date[]), unnest(sqlc.arg(counts)::bigint[])
ON CONFLICT (key_id, day) DO UPDATE SET executions = license_key_daily_executions.executions + excluded.executions;

-- name: FlushLicensingProjectDailyExecutions :exec
INSERT INTO licensing_project_daily_executions (project_id, day, executions)
SELECT unnest(sqlc.arg(ids)::bigint[]), unnest(sqlc.arg(days)::date[]), unnest(sqlc.arg(counts)::bigint[])
ON CONFLICT (project_id, day) DO UPDATE SET executions = licensing_project_daily_executions.executions + excluded.executions;

-- name: LicenseKeyDailyExecutions :many
SELECT day, executions FROM license_key_daily_executions
WHERE key_id = $1 AND day >= sqlc.arg(since)::date ORDER BY day;

-- Keys with the most HWID resets since a time (support signal).
-- name: TopLicenseKeyResets :many
SELECT r.key_id, count(*)::bigint AS resets, max(r.reset_at)::timestamptz AS last_reset_at
FROM license_key_resets r
WHERE r.reset_at >= sqlc.arg(since)
  AND (sqlc.narg(project_id)::bigint IS NULL OR r.project_id = sqlc.narg(project_id))
GROUP BY r.key_id
ORDER BY count(*) DESC, r.key_id
LIMIT sqlc.arg(lim);

-- HWIDs bound to more than one key of a project (support signal).
-- name: SharedLicenseHWIDs :many
SELECT k.project_id, k.identifier, count(*)::bigint AS keys, array_agg(k.id ORDER BY k.id)::bigint[] AS key_ids
FROM license_keys k
WHERE k.identifier <> '' AND (sqlc.narg(project_id)::bigint IS NULL OR k.project_id = sqlc.narg(project_id))
GROUP BY k.project_id, k.identifier
HAVING count(*) > 1
ORDER BY count(*) DESC, k.project_id, k.identifier
LIMIT sqlc.arg(lim);

-- Bulk loads of a million keys (seed --scale) are faster without the
-- search indexes, rebuilt afterwards: the definitions are the migrations'
-- (00044, 00048). (DO blocks: sqlc does not generate a bare DROP INDEX or ALTER INDEX)
-- name: DropLicenseKeySearchIndexes :exec
DO $$ BEGIN
    DROP INDEX IF EXISTS license_keys_search_ids;
    DROP INDEX IF EXISTS license_keys_search_note;
END $$;

-- The keys list's transaction plans without parallel workers. When a walk
-- of a sort's index computed to_tsvector per key (before migration 00048),
-- its cost (procost 100) made the planner start two workers, each of which
-- then walked its share until the merge had a page: "giveaway 7" read
-- 71,000 keys in 246 ms where one walk read 7,900 in 15-22 ms. A page is
-- bounded work; on the list's 2 cores under many clients a worker only adds
-- its start-up.
-- name: NoParallelWorkers :exec
SELECT set_config('max_parallel_workers_per_gather', '0', true);

-- name: SetMaintenanceWorkMem :exec
SELECT set_config('maintenance_work_mem', '512MB', true);

-- name: CreateLicenseKeySearchIndex :exec
CREATE INDEX IF NOT EXISTS license_keys_search_ids ON license_keys
    USING gin (search_ids gin_trgm_ops)
    WITH (fastupdate = off);

-- name: CreateLicenseKeyNoteIndex :exec
CREATE INDEX IF NOT EXISTS license_keys_search_note ON license_keys
    USING gin (note_words)
    WITH (fastupdate = off);

-- After a large bulk load (seed --scale): its executions were written
-- over the activity rows the insert trigger had just made (migration
-- 00053), which left a dead row for each key that ran; rewritten compact,
-- the table and its indexes are as a server's would be, not twice the
-- size until a vacuum. Outside a transaction.
-- name: CompactLicenseKeyActivity :exec
VACUUM (FULL, ANALYZE) license_key_activity;

-- Fresh statistics after a bulk load, so the planner knows the new rows
-- (license_key_activity's rows came with them, from its insert trigger).
-- name: AnalyzeLicenseKeys :exec
DO $$ BEGIN ANALYZE license_keys; ANALYZE license_key_activity; END $$;

-- Demo seeding only: spread a project's keys' creation over the past hours
-- (by id, so a reseed of the same keys lands on the same dates).
-- name: BackdateDemoLicenseKeys :exec
UPDATE license_keys SET created_at = created_at - ((id * 7919) % sqlc.arg(hours)::bigint) * interval '1 hour'
WHERE project_id = sqlc.arg(project_id);
