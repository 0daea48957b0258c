-- Counts a failure (or an attempt not yet known to succeed); the window
-- restarts when the last one is old. The upsert holds the row until commit.
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

-- Takes one attempt's count back and lifts the lock: Attempt went through
-- only while the key was unlocked, so a lock now is this attempt's own (or
-- one set by a guess racing it).
-- name: ForgiveLoginAttempt :exec
UPDATE login_throttle SET failures = greatest(failures - 1, 0), locked_until = NULL WHERE key = $1;
