-- Lumora messages: the send (message, recipients, events in one
-- transaction), delivery bookkeeping, the log, stats and suppressions.

-- A key used more than 24 hours ago may be used again: its old message
-- lets go of it before the new insert.
-- name: ReleaseMailIdempotencyKey :exec
UPDATE mail_messages SET idempotency_key = NULL
WHERE app_id = $1 AND idempotency_key = $2 AND created_at < sqlc.arg(before)::timestamptz;

-- ON CONFLICT makes concurrent sends with one Idempotency-Key insert one
-- row; the others get no row and read the winner's.
-- name: InsertMailMessage :one
INSERT INTO mail_messages (public_id, account_id, app_id, domain_id, from_email, from_name, reply_to, subject,
                           text_body, html_body, headers, tags, idempotency_key, request_hash, created_at, updated_at)
VALUES (sqlc.arg(public_id), sqlc.arg(account_id), sqlc.arg(app_id), sqlc.narg(domain_id), sqlc.arg(from_email),
        sqlc.arg(from_name), sqlc.arg(reply_to)::text[], sqlc.arg(subject), sqlc.arg(text_body), sqlc.arg(html_body),
        sqlc.arg(headers), sqlc.arg(tags), sqlc.narg(idempotency_key), sqlc.narg(request_hash),
        sqlc.arg(now)::timestamptz, sqlc.arg(now)::timestamptz)
ON CONFLICT (app_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
RETURNING *;

-- name: GetMailMessageByIdempotencyKey :one
SELECT * FROM mail_messages WHERE app_id = $1 AND idempotency_key = $2;

-- name: GetMailMessage :one
SELECT * FROM mail_messages WHERE id = $1;

-- name: GetMailMessageByPublicID :one
SELECT * FROM mail_messages WHERE public_id = $1;

-- name: SetMailMessageStatus :exec
UPDATE mail_messages SET status = $2, smtp_message_id = $3, updated_at = sqlc.arg(now)::timestamptz WHERE id = $1;

-- Drops a platform message's bodies once nothing is left to send: they held
-- a one-time link (invitation, password reset) the database otherwise keeps
-- only as a hash.
-- name: ForgetMailBodies :exec
UPDATE mail_messages SET text_body = sqlc.arg(note), html_body = '' WHERE id = $1;

-- name: InsertMailRecipient :one
INSERT INTO mail_recipients (message_id, email, kind, status, next_attempt_at, updated_at)
VALUES ($1, $2, $3, $4, sqlc.narg(next_attempt_at), sqlc.arg(now)::timestamptz)
RETURNING *;

-- name: ListMailRecipients :many
SELECT * FROM mail_recipients WHERE message_id = $1 ORDER BY id;

-- A send: the message, its recipients and their first events in one
-- statement (the arrays run in parallel, in the send's order; a queued
-- recipient is due now, a suppressed one is never attempted). A message
-- whose Idempotency-Key is taken writes nothing and returns no row.
-- name: InsertMailMessageWithRecipients :one
WITH m AS (
    INSERT INTO mail_messages (public_id, account_id, app_id, domain_id, from_email, from_name, reply_to, subject,
                               text_body, html_body, headers, tags, idempotency_key, request_hash, created_at, updated_at)
    VALUES (sqlc.arg(public_id), sqlc.arg(account_id), sqlc.arg(app_id), sqlc.narg(domain_id), sqlc.arg(from_email),
            sqlc.arg(from_name), sqlc.arg(reply_to)::text[], sqlc.arg(subject), sqlc.arg(text_body), sqlc.arg(html_body),
            sqlc.arg(headers), sqlc.arg(tags), sqlc.narg(idempotency_key), sqlc.narg(request_hash),
            sqlc.arg(now)::timestamptz, sqlc.arg(now)::timestamptz)
    ON CONFLICT (app_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
    RETURNING id, public_id
), r AS (
    INSERT INTO mail_recipients (message_id, email, kind, status, next_attempt_at, updated_at)
    SELECT m.id, x.email, x.kind, x.status,
           CASE WHEN x.status = 'queued' THEN sqlc.arg(now)::timestamptz END, sqlc.arg(now)::timestamptz
    FROM m, (SELECT unnest(sqlc.arg(emails)::text[]) AS email, unnest(sqlc.arg(kinds)::text[]) AS kind,
                    unnest(sqlc.arg(statuses)::text[]) AS status) x
), e AS (
    INSERT INTO mail_events (message_id, app_id, account_id, recipient, type, at, detail)
    SELECT m.id, sqlc.arg(app_id), sqlc.arg(account_id), x.email, x.status, sqlc.arg(now)::timestamptz, x.detail
    FROM m, (SELECT unnest(sqlc.arg(emails)::text[]) AS email, unnest(sqlc.arg(statuses)::text[]) AS status,
                    unnest(sqlc.arg(details)::text[]) AS detail) x
)
SELECT id, public_id FROM m;

-- The outcomes of one delivery attempt: each recipient's new state and its
-- event, in one statement (parallel arrays; has_next false: no next
-- attempt; code 0: no SMTP reply).
-- name: RecordMailAttempts :exec
WITH u AS (
    UPDATE mail_recipients r
    SET status = x.status, attempts = x.attempts, next_attempt_at = CASE WHEN x.has_next THEN x.next_at END,
        last_smtp_code = NULLIF(x.code, 0), last_smtp_text = x.smtp_text, updated_at = sqlc.arg(now)::timestamptz
    FROM (SELECT unnest(sqlc.arg(ids)::bigint[]) AS id, unnest(sqlc.arg(statuses)::text[]) AS status,
                 unnest(sqlc.arg(attempts)::int[]) AS attempts, unnest(sqlc.arg(has_next)::boolean[]) AS has_next,
                 unnest(sqlc.arg(next_at)::timestamptz[]) AS next_at, unnest(sqlc.arg(codes)::int[]) AS code,
                 unnest(sqlc.arg(smtp_texts)::text[]) AS smtp_text) x
    WHERE r.id = x.id
)
INSERT INTO mail_events (message_id, app_id, account_id, recipient, type, at, detail)
SELECT sqlc.arg(message_id), sqlc.arg(app_id), sqlc.arg(account_id), x.email, x.type, sqlc.arg(now)::timestamptz, x.detail
FROM (SELECT unnest(sqlc.arg(emails)::text[]) AS email, unnest(sqlc.arg(event_types)::text[]) AS type,
             unnest(sqlc.arg(details)::text[]) AS detail) x;

-- name: InsertMailEvent :exec
INSERT INTO mail_events (message_id, app_id, account_id, recipient, type, at, detail)
VALUES ($1, $2, $3, $4, $5, sqlc.arg(at)::timestamptz, $6);

-- name: ListMailMessageEvents :many
SELECT * FROM mail_events WHERE message_id = $1 ORDER BY id;

-- The app's delivery log, newest first, keyset on id. Filters: event type,
-- recipient (exact, any case), time range.
-- name: ListMailEvents :many
SELECT e.*, m.public_id AS message_public_id, m.subject AS message_subject
FROM mail_events e JOIN mail_messages m ON m.id = e.message_id
WHERE e.app_id = sqlc.arg(app_id)
  AND (sqlc.narg(before_id)::bigint IS NULL OR e.id < sqlc.narg(before_id))
  AND (sqlc.narg(type)::text IS NULL OR e.type = sqlc.narg(type))
  AND (sqlc.narg(recipient)::text IS NULL OR lower(e.recipient) = lower(sqlc.narg(recipient)))
  AND (sqlc.narg(since)::timestamptz IS NULL OR e.at >= sqlc.narg(since))
  AND (sqlc.narg(until)::timestamptz IS NULL OR e.at < sqlc.narg(until))
ORDER BY e.id DESC
LIMIT sqlc.arg(lim);

-- Event counts per UTC day and type for the app in [since, until).
-- name: MailEventStats :many
SELECT (date_trunc('day', at AT TIME ZONE 'UTC'))::date AS day, type, count(*)::bigint AS n
FROM mail_events
WHERE app_id = sqlc.arg(app_id) AND at >= sqlc.arg(since)::timestamptz AND at < sqlc.arg(until)::timestamptz
GROUP BY 1, 2
ORDER BY 1, 2;

-- name: SuppressedAmong :many
SELECT lower(email)::text AS email FROM mail_suppressions
WHERE account_id = $1 AND lower(email) = ANY(sqlc.arg(emails)::text[]);

-- A second bounce of a suppressed address keeps the first reason.
-- name: InsertMailSuppression :execrows
INSERT INTO mail_suppressions (account_id, email, reason, origin, created_at)
VALUES ($1, $2, $3, $4, sqlc.arg(now)::timestamptz)
ON CONFLICT (account_id, lower(email)) DO NOTHING;

-- name: ListMailSuppressions :many
-- pattern: a LIKE pattern over the lower-cased address (any part of it).
SELECT * FROM mail_suppressions
WHERE account_id = sqlc.arg(account_id) AND (sqlc.narg(before_id)::bigint IS NULL OR id < sqlc.narg(before_id))
  AND (sqlc.narg(pattern)::text IS NULL OR lower(email) LIKE sqlc.narg(pattern))
  AND (sqlc.narg(reason)::text IS NULL OR reason = sqlc.narg(reason))
ORDER BY id DESC
LIMIT sqlc.arg(lim);

-- name: DeleteMailSuppression :one
DELETE FROM mail_suppressions WHERE account_id = sqlc.arg(account_id) AND lower(email) = lower(sqlc.arg(email))
RETURNING *;
