-- Lumora webhook endpoints, their deliveries and every delivery attempt.

-- name: InsertMailWebhookEndpoint :one
INSERT INTO mail_webhook_endpoints (app_id, public_id, url, events, secret_sealed, created_at)
VALUES ($1, $2, $3, $4, $5, @now::timestamptz)
RETURNING *;

-- name: CountMailWebhookEndpoints :one
-- The live endpoints of an app (the per-app limit).
SELECT count(*) FROM mail_webhook_endpoints WHERE app_id = $1 AND disabled_at IS NULL;

-- name: GetMailWebhookEndpointByPublicID :one
SELECT e.*, a.account_id
FROM mail_webhook_endpoints e JOIN mail_apps a ON a.id = e.app_id
WHERE e.public_id = $1;

-- name: ListMailWebhookEndpoints :many
-- The live endpoints of an app, oldest first.
SELECT * FROM mail_webhook_endpoints WHERE app_id = $1 AND disabled_at IS NULL ORDER BY id;

-- name: DisableMailWebhookEndpoint :one
UPDATE mail_webhook_endpoints SET disabled_at = @now::timestamptz
WHERE id = $1 AND disabled_at IS NULL
RETURNING *;

-- name: ListMailWebhookSubscribers :many
-- The live endpoints of an app that asked for an event type.
SELECT id FROM mail_webhook_endpoints
WHERE app_id = $1 AND disabled_at IS NULL AND @event_type::text = ANY (events)
ORDER BY id;

-- name: InsertMailWebhookDelivery :one
INSERT INTO mail_webhook_deliveries (endpoint_id, event_id, event_type, payload, next_attempt_at, created_at)
VALUES ($1, $2, $3, $4, @now::timestamptz, @now::timestamptz)
RETURNING *;

-- name: GetMailWebhookDelivery :one
SELECT d.*, e.public_id AS endpoint_public_id, a.account_id
FROM mail_webhook_deliveries d
JOIN mail_webhook_endpoints e ON e.id = d.endpoint_id
JOIN mail_apps a ON a.id = e.app_id
WHERE d.id = $1;

-- name: GetMailWebhookDeliveryForSend :one
-- What one attempt needs. No row lock: an attempt waits on the network for
-- up to its timeout, and only one job of a delivery exists at a time (a
-- replay is refused while the delivery is pending).
SELECT d.*, e.url, e.secret_sealed, e.public_id AS endpoint_public_id, e.disabled_at AS endpoint_disabled_at
FROM mail_webhook_deliveries d JOIN mail_webhook_endpoints e ON e.id = d.endpoint_id
WHERE d.id = $1;

-- name: ListMailWebhookDeliveries :many
-- The delivery log of an endpoint, newest first; before_id continues a page,
-- status (when given) keeps one status.
SELECT * FROM mail_webhook_deliveries
WHERE endpoint_id = $1 AND (sqlc.narg(before_id)::bigint IS NULL OR id < sqlc.narg(before_id))
  AND (sqlc.narg(status)::text IS NULL OR status = sqlc.narg(status))
ORDER BY id DESC
LIMIT $2;

-- name: RecordMailWebhookAttempt :one
-- One attempt's outcome: the attempt row and the delivery's summary.
WITH d AS (
    UPDATE mail_webhook_deliveries SET
        attempts        = attempts + 1,
        response_code   = sqlc.narg(response_code),
        latency_ms      = @latency_ms::integer,
        last_error      = @error::text,
        status          = @status::text,
        next_attempt_at = sqlc.narg(next_attempt_at),
        delivered_at    = CASE WHEN @status::text = 'delivered' THEN @now::timestamptz END
    WHERE mail_webhook_deliveries.id = @id
    RETURNING *
), a AS (
    INSERT INTO mail_webhook_attempts (delivery_id, attempt, response_code, latency_ms, error, created_at)
    SELECT d.id, d.attempts, sqlc.narg(response_code), @latency_ms::integer, @error::text, @now::timestamptz FROM d
)
SELECT * FROM d;

-- name: FailMailWebhookDelivery :exec
-- A delivery that will not be attempted again without an attempt (its endpoint was deleted).
UPDATE mail_webhook_deliveries SET status = 'failed', last_error = $2, next_attempt_at = NULL
WHERE id = $1 AND status = 'pending';

-- name: ResetMailWebhookDelivery :one
-- A replay: the delivery is pending again, due now.
UPDATE mail_webhook_deliveries SET status = 'pending', next_attempt_at = @now::timestamptz, delivered_at = NULL
WHERE id = $1 AND status <> 'pending'
RETURNING *;

-- name: ListMailWebhookAttempts :many
SELECT * FROM mail_webhook_attempts WHERE delivery_id = $1 ORDER BY attempt;

-- name: LockMailAppForWebhooks :one
-- Orders concurrent endpoint creations of one app (the per-app limit).
SELECT id FROM mail_apps WHERE id = $1 FOR NO KEY UPDATE;
