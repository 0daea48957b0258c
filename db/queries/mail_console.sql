-- The Lumora console: list counts and the area's overview counters.

-- name: CountMailDomains :one
-- count of: ListMailDomains
-- The list's filters counted up to lim rows (internal/platform/listcount).
SELECT count(*) FROM (
SELECT 1 FROM mail_domains
WHERE (sqlc.narg(account_id)::bigint IS NULL OR account_id = sqlc.narg(account_id))
  AND (sqlc.narg(status)::text IS NULL OR status = sqlc.narg(status))
  AND (sqlc.narg(q)::text IS NULL OR name LIKE sqlc.narg(q) || '%')
  AND (sqlc.narg(before_id)::bigint IS NULL OR id < sqlc.narg(before_id))
LIMIT sqlc.arg(lim)) c;

-- name: ListMailMessagesPage :many
-- The console's message log across accounts, newest first, keyset on id.
SELECT m.* FROM mail_messages m
WHERE (sqlc.narg(account_id)::bigint IS NULL OR m.account_id = sqlc.narg(account_id))
  AND (sqlc.narg(app_id)::bigint IS NULL OR m.app_id = sqlc.narg(app_id))
  AND (sqlc.narg(status)::text IS NULL OR m.status = sqlc.narg(status))
  AND (sqlc.narg(domain)::text IS NULL OR lower(m.from_email) LIKE '%@' || sqlc.narg(domain))
  AND (sqlc.narg(recipient)::text IS NULL OR EXISTS (SELECT 1 FROM mail_recipients r WHERE r.message_id = m.id AND lower(r.email) = sqlc.narg(recipient)))
  AND (sqlc.narg(since)::timestamptz IS NULL OR m.created_at >= sqlc.narg(since))
  AND (sqlc.narg(until)::timestamptz IS NULL OR m.created_at < sqlc.narg(until))
  AND (sqlc.narg(before_id)::bigint IS NULL OR m.id < sqlc.narg(before_id))
ORDER BY m.id DESC
LIMIT sqlc.arg(lim);

-- name: CountMailMessages :one
-- count of: ListMailMessagesPage
SELECT count(*) FROM (
SELECT 1 FROM mail_messages m
WHERE (sqlc.narg(account_id)::bigint IS NULL OR m.account_id = sqlc.narg(account_id))
  AND (sqlc.narg(app_id)::bigint IS NULL OR m.app_id = sqlc.narg(app_id))
  AND (sqlc.narg(status)::text IS NULL OR m.status = sqlc.narg(status))
  AND (sqlc.narg(domain)::text IS NULL OR lower(m.from_email) LIKE '%@' || sqlc.narg(domain))
  AND (sqlc.narg(recipient)::text IS NULL OR EXISTS (SELECT 1 FROM mail_recipients r WHERE r.message_id = m.id AND lower(r.email) = sqlc.narg(recipient)))
  AND (sqlc.narg(since)::timestamptz IS NULL OR m.created_at >= sqlc.narg(since))
  AND (sqlc.narg(until)::timestamptz IS NULL OR m.created_at < sqlc.narg(until))
  AND (sqlc.narg(before_id)::bigint IS NULL OR m.id < sqlc.narg(before_id))
LIMIT sqlc.arg(lim)) c;

-- name: MailOverviewCounts :one
-- The area's counters: messages since a time (capped like a list count),
-- deliveries and bounces since another (the bounce rate), failing domains.
SELECT
  (SELECT count(*) FROM (SELECT 1 FROM mail_messages mm WHERE mm.created_at >= sqlc.arg(messages_since)::timestamptz LIMIT 10001) m)::bigint AS messages,
  (SELECT count(*) FROM mail_events ed WHERE ed.type = 'delivered' AND ed.at >= sqlc.arg(rate_since)::timestamptz)::bigint AS delivered,
  (SELECT count(*) FROM mail_events eb WHERE eb.type = 'bounced' AND eb.at >= sqlc.arg(rate_since)::timestamptz)::bigint AS bounced,
  (SELECT count(*) FROM mail_domains fd WHERE fd.status = 'failing')::bigint AS failing_domains;

-- name: CountMailApps :one
-- count of: ListMailApps
SELECT count(*) FROM (
SELECT 1 FROM mail_apps
WHERE (sqlc.narg(account_id)::bigint IS NULL OR account_id = sqlc.narg(account_id))
  AND (sqlc.narg(before_id)::bigint IS NULL OR id < sqlc.narg(before_id))
LIMIT sqlc.arg(lim)) c;

-- name: CountMailSuppressions :one
-- count of: ListMailSuppressions
SELECT count(*) FROM (
SELECT 1 FROM mail_suppressions
WHERE account_id = $1 AND (sqlc.narg(before_id)::bigint IS NULL OR id < sqlc.narg(before_id))
LIMIT sqlc.arg(lim)) c;
