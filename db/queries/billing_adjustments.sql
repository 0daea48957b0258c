-- Four-eyes requests for manual top-ups, adjustments and deposits marked paid
-- by hand above the approval limit.

-- name: InsertAdjustmentRequest :one
INSERT INTO adjustment_requests (account_id, kind, amount_cents, reason, requested_by, requested_kind, requested_label, deposit_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
RETURNING *;

-- name: LockAdjustmentRequest :one
SELECT * FROM adjustment_requests WHERE id = $1 FOR UPDATE;

-- name: DecideAdjustmentRequest :one
UPDATE adjustment_requests
SET status = sqlc.arg('status')::text, decided_by = sqlc.narg('decided_by'), decided_label = sqlc.arg('decided_label'),
    decided_at = now(), decision_reason = sqlc.arg('decision_reason'), ledger_entry_id = sqlc.narg('ledger_entry_id')
WHERE id = sqlc.arg('id') AND status = 'pending'
RETURNING *;

-- name: GetAdjustmentRequestView :one
SELECT sqlc.embed(r), a.name AS account_name, a.email AS account_email
FROM adjustment_requests r JOIN accounts a ON a.id = r.account_id
WHERE r.id = $1;

-- Oldest first: the queue is worked from the front.
-- name: ListPendingAdjustmentRequests :many
SELECT sqlc.embed(r), a.name AS account_name, a.email AS account_email
FROM adjustment_requests r JOIN accounts a ON a.id = r.account_id
WHERE r.status = 'pending' AND (sqlc.narg('after_id')::bigint IS NULL OR r.id > sqlc.narg('after_id')::bigint)
ORDER BY r.id
LIMIT sqlc.arg('lim');

-- name: ListDecidedAdjustmentRequests :many
SELECT sqlc.embed(r), a.name AS account_name, a.email AS account_email
FROM adjustment_requests r JOIN accounts a ON a.id = r.account_id
WHERE r.status <> 'pending'
ORDER BY r.decided_at DESC, r.id DESC
LIMIT sqlc.arg('lim');

-- name: ListAccountAdjustmentRequests :many
SELECT * FROM adjustment_requests
WHERE account_id = $1
ORDER BY id DESC
LIMIT sqlc.arg('lim');

-- name: CountPendingAdjustmentRequests :one
SELECT count(*) FROM adjustment_requests WHERE status = 'pending';
