-- name: GetLoginThrottle :one
SELECT * FROM login_throttle WHERE key = $1;

-- Counts a failure; the window restarts when the last one is old.
-- name: RecordLoginFailure :one
INSERT INTO login_throttle (key, failures, window_start)
VALUES ($1, 1, now())
ON CONFLICT (key) DO UPDATE
SET failures = CASE WHEN login_throttle.window_start < now() - make_interval(secs => sqlc.arg(window_seconds)::float8)
                    THEN 1 ELSE login_throttle.failures + 1 END,
    window_start = CASE WHEN login_throttle.window_start < now() - make_interval(secs => sqlc.arg(window_seconds)::float8)
                    THEN now() ELSE login_throttle.window_start END
RETURNING *;

-- name: LockLoginThrottle :exec
UPDATE login_throttle SET locked_until = $2 WHERE key = $1;

-- name: ClearLoginThrottle :exec
DELETE FROM login_throttle WHERE key = $1;
