-- name: CreateStaffUser :one
INSERT INTO staff_users (email, name, role, password_hash)
VALUES ($1, $2, $3, $4)
RETURNING *;

-- name: GetStaffUser :one
SELECT * FROM staff_users WHERE id = $1;

-- name: GetStaffUserByEmail :one
SELECT * FROM staff_users WHERE email = $1;

-- name: ListStaffUsers :many
SELECT * FROM staff_users ORDER BY disabled_at IS NOT NULL, lower(email::text), id;

-- name: CountStaffUsers :one
SELECT count(*) FROM staff_users;

-- name: UpdateStaffRole :one
UPDATE staff_users SET role = $2, updated_at = now() WHERE id = $1 RETURNING *;

-- name: UpdateStaffName :one
UPDATE staff_users SET name = $2, updated_at = now() WHERE id = $1 RETURNING *;

-- name: SetStaffPassword :exec
UPDATE staff_users SET password_hash = $2, updated_at = now() WHERE id = $1;

-- name: SetStaffDisabled :one
UPDATE staff_users SET disabled_at = sqlc.narg('disabled_at'), updated_at = now() WHERE id = $1 RETURNING *;

-- name: SetStaffTOTP :exec
UPDATE staff_users
SET totp_secret_sealed = $2, totp_enabled = $3, totp_last_step = 0, updated_at = now()
WHERE id = $1;

-- Accepts a TOTP step only if it is newer than the last one used (single-use codes).
-- name: AdvanceStaffTOTPStep :execrows
UPDATE staff_users SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2;

-- name: DeleteRecoveryCodes :exec
DELETE FROM staff_recovery_codes WHERE staff_id = $1;

-- name: InsertRecoveryCode :exec
INSERT INTO staff_recovery_codes (staff_id, code_hash) VALUES ($1, $2);

-- name: UseRecoveryCode :execrows
UPDATE staff_recovery_codes SET used_at = now()
WHERE staff_id = $1 AND code_hash = $2 AND used_at IS NULL;

-- name: CountUnusedRecoveryCodes :one
SELECT count(*) FROM staff_recovery_codes WHERE staff_id = $1 AND used_at IS NULL;

-- name: EnableStaffTOTP :exec
UPDATE staff_users SET totp_enabled = true, updated_at = now() WHERE id = $1 AND totp_secret_sealed IS NOT NULL;
