-- The Lumora console: list counts and the area's overview counters.

-- name: CountMailDomains :one
-- count of: ListMailDomains
-- The list's filters counted up to lim rows (internal/platform/listcount).
SELECT count(*) FROM (
SELECT 1 FROM mail_domains d
WHERE (sqlc.narg(account_id)::bigint IS NULL OR d.account_id = sqlc.narg(account_id))
  AND (sqlc.narg(status)::text IS NULL OR d.status = sqlc.narg(status))
  AND (sqlc.narg(q)::text IS NULL OR d.name LIKE sqlc.narg(q) || '%')
  AND (sqlc.narg(before_id)::bigint IS NULL OR d.id < sqlc.narg(before_id))
LIMIT sqlc.arg(lim)) c;

-- name: ListMailMessagesPage :many
-- The console's message log across accounts, newest first, keyset on id,
-- with the names of each message's account and app (shown, never "#26").
SELECT sqlc.embed(m), a.name AS account_name, app.name AS app_name
FROM mail_messages m JOIN accounts a ON a.id = m.account_id JOIN mail_apps app ON app.id = m.app_id
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
-- The area's counters: messages accepted since a time (every recipient
-- of a send gets a queued or, when suppressed, a suppressed event), deliveries and bounces since another (the bounce rate), failing
-- domains. Events are read app by app (LATERAL on mail_events_app_at), so
-- only the window is read, never the whole table; OFFSET 0 keeps the planner
-- from flattening the LATERAL into a join that walks the whole index.
SELECT
  (SELECT count(DISTINCT e.message_id) FROM mail_apps a CROSS JOIN LATERAL (
     SELECT x.message_id FROM mail_events x WHERE x.app_id = a.id AND x.at >= sqlc.arg(messages_since)::timestamptz AND x.type IN ('queued', 'suppressed') OFFSET 0) e)::bigint AS messages,
  (SELECT count(*) FILTER (WHERE e.type = 'delivered') FROM mail_apps a CROSS JOIN LATERAL (
     SELECT x.type FROM mail_events x WHERE x.app_id = a.id AND x.at >= sqlc.arg(rate_since)::timestamptz OFFSET 0) e)::bigint AS delivered,
  (SELECT count(*) FILTER (WHERE e.type = 'bounced') FROM mail_apps a CROSS JOIN LATERAL (
     SELECT x.type FROM mail_events x WHERE x.app_id = a.id AND x.at >= sqlc.arg(rate_since)::timestamptz OFFSET 0) e)::bigint AS bounced,
  (SELECT count(*) FROM mail_domains fd WHERE fd.status = 'failing')::bigint AS failing_domains;

-- name: MailDailyTotals :many
-- Event counts per UTC day and type across every app in [since, until),
-- read app by app like MailOverviewCounts (the overview's chart).
SELECT (date_trunc('day', e.at AT TIME ZONE 'UTC'))::date AS day, e.type, count(*)::bigint AS n
FROM mail_apps a CROSS JOIN LATERAL (
  SELECT x.at, x.type FROM mail_events x WHERE x.app_id = a.id AND x.at >= sqlc.arg(since)::timestamptz AND x.at < sqlc.arg(until)::timestamptz OFFSET 0) e
GROUP BY 1, 2
ORDER BY 1, 2;

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
WHERE account_id = sqlc.arg(account_id) AND (sqlc.narg(before_id)::bigint IS NULL OR id < sqlc.narg(before_id))
  AND (sqlc.narg(pattern)::text IS NULL OR lower(email) LIKE sqlc.narg(pattern))
  AND (sqlc.narg(reason)::text IS NULL OR reason = sqlc.narg(reason))
LIMIT sqlc.arg(lim)) c;
