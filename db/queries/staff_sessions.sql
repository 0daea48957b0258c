-- name: GetStaffSession :one
SELECT * FROM staff_sessions WHERE id_hash = $1;

-- name: UpsertStaffSession :exec
INSERT INTO staff_sessions (id_hash, staff_id, data, ip, user_agent, created_at, last_seen_at, expires_at)
VALUES ($1, $2, $3, $4, $5, sqlc.arg(now), sqlc.arg(now), $6)
ON CONFLICT (id_hash) DO UPDATE
SET staff_id = EXCLUDED.staff_id, data = EXCLUDED.data, last_seen_at = EXCLUDED.last_seen_at;

-- name: TouchStaffSession :exec
UPDATE staff_sessions SET last_seen_at = $4, ip = $2, user_agent = $3 WHERE id_hash = $1;

-- name: DeleteStaffSession :exec
DELETE FROM staff_sessions WHERE id_hash = $1;

-- name: DeleteStaffSessionsOf :execrows
DELETE FROM staff_sessions WHERE staff_id = $1;

-- name: DeleteOtherStaffSessions :execrows
DELETE FROM staff_sessions WHERE staff_id = $1 AND id_hash <> $2;

-- Revokes one of a user's own sessions (never someone else's).
-- name: DeleteStaffSessionByID :execrows
DELETE FROM staff_sessions WHERE staff_id = $1 AND id_hash = $2;

-- name: ListStaffSessions :many
SELECT id_hash, staff_id, ip, user_agent, created_at, last_seen_at, expires_at
FROM staff_sessions WHERE staff_id = $1 ORDER BY last_seen_at DESC;

-- name: DeleteExpiredStaffSessions :execrows
DELETE FROM staff_sessions WHERE expires_at < now() OR last_seen_at < now() - make_interval(secs => sqlc.arg(idle_seconds)::float8);
