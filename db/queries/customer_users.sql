-- Customer users of the portal (one account each) and their recovery codes.

-- name: CreateCustomerUser :one
INSERT INTO customer_users (account_id, email, name, role, password_hash, email_verified_at)
VALUES ($1, $2, $3, $4, $5, sqlc.narg('email_verified_at'))
RETURNING *;

-- name: GetCustomerUser :one
SELECT * FROM customer_users WHERE id = $1;

-- name: GetCustomerUserByEmail :one
SELECT * FROM customer_users WHERE email = $1;

-- A user of one account: another account's id is not found.
-- name: GetAccountCustomerUser :one
SELECT * FROM customer_users WHERE id = $1 AND account_id = $2;

-- name: ListAccountCustomerUsers :many
SELECT * FROM customer_users WHERE account_id = $1
ORDER BY disabled_at IS NOT NULL, role = 'owner' DESC, lower(email::text), id;

-- name: CountActiveOwners :one
SELECT count(*) FROM customer_users WHERE account_id = $1 AND role = 'owner' AND disabled_at IS NULL;

-- name: UpdateCustomerRole :one
UPDATE customer_users SET role = $3, updated_at = now() WHERE id = $1 AND account_id = $2 RETURNING *;

-- name: UpdateCustomerName :one
UPDATE customer_users SET name = $2, updated_at = now() WHERE id = $1 RETURNING *;

-- name: SetCustomerDisabled :one
UPDATE customer_users SET disabled_at = sqlc.narg('disabled_at'), updated_at = now()
WHERE id = $1 AND account_id = $2 RETURNING *;

-- name: SetCustomerPassword :exec
UPDATE customer_users SET password_hash = $2, updated_at = now() WHERE id = $1;

-- name: SetCustomerEmailVerified :exec
UPDATE customer_users SET email_verified_at = COALESCE(email_verified_at, sqlc.arg(now)::timestamptz) WHERE id = $1;

-- name: SetCustomerLastLogin :exec
UPDATE customer_users SET last_login_at = sqlc.arg(now)::timestamptz WHERE id = $1;

-- name: SetCustomerTOTP :exec
UPDATE customer_users
SET totp_secret_sealed = $2, totp_enabled = $3, totp_last_step = 0, updated_at = now()
WHERE id = $1;

-- name: EnableCustomerTOTP :exec
UPDATE customer_users SET totp_enabled = true, updated_at = now() WHERE id = $1;

-- Accepts a TOTP step only if it is newer than the last one used (single-use codes).
-- name: AdvanceCustomerTOTPStep :execrows
UPDATE customer_users SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2;

-- name: DeleteCustomerRecoveryCodes :exec
DELETE FROM customer_recovery_codes WHERE customer_id = $1;

-- name: InsertCustomerRecoveryCode :exec
INSERT INTO customer_recovery_codes (customer_id, code_hash) VALUES ($1, $2);

-- name: UseCustomerRecoveryCode :execrows
UPDATE customer_recovery_codes SET used_at = now()
WHERE customer_id = $1 AND code_hash = $2 AND used_at IS NULL;

-- name: CountUnusedCustomerRecoveryCodes :one
SELECT count(*) FROM customer_recovery_codes WHERE customer_id = $1 AND used_at IS NULL;

-- name: GetCustomerSession :one
SELECT * FROM customer_sessions WHERE id_hash = $1;

-- name: UpsertCustomerSession :exec
INSERT INTO customer_sessions (id_hash, customer_id, data, ip, user_agent, created_at, last_seen_at, expires_at)
VALUES ($1, $2, $3, $4, $5, sqlc.arg(now), sqlc.arg(now), $6)
ON CONFLICT (id_hash) DO UPDATE
SET customer_id = EXCLUDED.customer_id, data = EXCLUDED.data, last_seen_at = EXCLUDED.last_seen_at;

-- name: TouchCustomerSession :exec
UPDATE customer_sessions SET last_seen_at = $4, ip = $2, user_agent = $3 WHERE id_hash = $1;

-- name: DeleteCustomerSession :exec
DELETE FROM customer_sessions WHERE id_hash = $1;

-- name: DeleteCustomerSessionsOf :execrows
DELETE FROM customer_sessions WHERE customer_id = $1;

-- Ends every session of an account's users (the account was suspended).
-- name: DeleteAccountCustomerSessions :execrows
DELETE FROM customer_sessions s USING customer_users u
WHERE s.customer_id = u.id AND u.account_id = $1;

-- name: DeleteOtherCustomerSessions :execrows
DELETE FROM customer_sessions WHERE customer_id = $1 AND id_hash <> $2;

-- Revokes one of a user's own sessions (never someone else's).
-- name: DeleteCustomerSessionByID :execrows
DELETE FROM customer_sessions WHERE customer_id = $1 AND id_hash = $2;

-- name: ListCustomerSessions :many
SELECT id_hash, customer_id, ip, user_agent, created_at, last_seen_at, expires_at
FROM customer_sessions WHERE customer_id = $1 ORDER BY last_seen_at DESC;

-- name: DeleteExpiredCustomerSessions :execrows
DELETE FROM customer_sessions WHERE expires_at < now() OR last_seen_at < now() - make_interval(secs => sqlc.arg(idle_seconds)::float8);

-- name: CreateCustomerToken :one
INSERT INTO customer_tokens (purpose, token_hash, account_id, customer_id, email, role, created_by, expires_at, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, sqlc.arg(now)::timestamptz)
RETURNING *;

-- Locks a token while it is being used, so it works once.
-- name: GetCustomerTokenForUpdate :one
SELECT * FROM customer_tokens WHERE token_hash = $1 AND purpose = $2 FOR UPDATE;

-- name: GetCustomerToken :one
SELECT * FROM customer_tokens WHERE token_hash = $1 AND purpose = $2;

-- name: UseCustomerToken :exec
UPDATE customer_tokens SET used_at = sqlc.arg(now)::timestamptz WHERE id = $1;

-- Earlier unused links of the same kind stop working when a new one is sent.
-- name: RevokeCustomerTokens :exec
UPDATE customer_tokens SET revoked_at = sqlc.arg(now)::timestamptz
WHERE account_id = $1 AND purpose = $2 AND email = $3 AND used_at IS NULL AND revoked_at IS NULL;

-- name: RevokeCustomerToken :execrows
UPDATE customer_tokens SET revoked_at = sqlc.arg(now)::timestamptz
WHERE id = $1 AND account_id = $2 AND used_at IS NULL AND revoked_at IS NULL;

-- Open invitations of an account.
-- name: ListPendingInvitations :many
SELECT * FROM customer_tokens
WHERE account_id = $1 AND purpose = 'invite' AND used_at IS NULL AND revoked_at IS NULL AND expires_at > sqlc.arg(now)::timestamptz
ORDER BY id DESC;

-- name: CountRecentCustomerTokens :one
SELECT count(*) FROM customer_tokens WHERE email = $1 AND purpose = $2 AND created_at > sqlc.arg(since)::timestamptz;
