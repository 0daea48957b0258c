-- name: LockAuditChain :exec
-- Serialises audit writers so each row links to the one before it.
SELECT pg_advisory_xact_lock(7400113);

-- The newest event's hash (no row before the first event), kept by a
-- trigger (migration 00041).
-- name: LastAuditHash :one
SELECT hash FROM audit_chain_head;

-- name: InsertAuditEvent :one
INSERT INTO audit_events (occurred_at, actor_kind, actor_id, actor_label, ip, user_agent, request_id,
                          action, entity_type, entity_id, reason, before, after, prev_hash, hash)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
RETURNING id;

-- Bulk load (lumdesk seed --scale --audit): synthetic events whose hashes
-- audit.BulkRecord chained under LockAuditChain; ids follow the row order.
-- name: CopyAuditEvents :copyfrom
INSERT INTO audit_events (occurred_at, actor_kind, actor_id, actor_label, ip, user_agent, request_id,
                          action, entity_type, entity_id, reason, before, after, prev_hash, hash)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15);

-- After a bulk load (see VacuumAccounts).
-- name: VacuumAuditEvents :exec
VACUUM (ANALYZE) audit_events;

-- name: ListAuditEventsForVerify :many
SELECT * FROM audit_events WHERE id > $1 ORDER BY id LIMIT $2;

-- name: GetAuditEvent :one
SELECT * FROM audit_events WHERE id = $1;

-- Newest first, keyset on id; every filter optional. The actor matches a
-- substring of the label (case-insensitive, its LIKE wildcards escaped: run
-- with custom plans, the pattern is a constant and the trigram index
-- audit_events_actor_label_trgm finds it) or the exact id; the action
-- matches as a prefix ("account." = every account action; the "C"
-- collation index audit_events_action_prefix reads it as a range).
-- name: ListAuditEventsPage :many
SELECT * FROM audit_events
WHERE (sqlc.narg('before_id')::bigint IS NULL OR id < sqlc.narg('before_id'))
  AND (sqlc.narg('actor')::text IS NULL
       OR actor_label ILIKE '%' || replace(replace(replace(sqlc.narg('actor'), '\', '\\'), '%', '\%'), '_', '\_') || '%'
       OR actor_id = sqlc.narg('actor'))
  AND (sqlc.narg('action')::text IS NULL OR starts_with(action, sqlc.narg('action')))
  AND (sqlc.narg('entity_type')::text IS NULL OR entity_type = sqlc.narg('entity_type'))
  AND (sqlc.narg('entity_id')::text IS NULL OR entity_id = sqlc.narg('entity_id'))
  AND (sqlc.narg('since')::timestamptz IS NULL OR occurred_at >= sqlc.narg('since'))
  AND (sqlc.narg('until')::timestamptz IS NULL OR occurred_at < sqlc.narg('until'))
ORDER BY id DESC
LIMIT sqlc.arg('lim');

-- name: ListAuditEventsForEntity :many
SELECT * FROM audit_events
WHERE entity_type = $1 AND entity_id = $2
  AND (sqlc.narg('before_id')::bigint IS NULL OR id < sqlc.narg('before_id'))
ORDER BY id DESC LIMIT sqlc.arg('lim');

-- The filter's choices: the distinct values recorded, kept by the chain
-- head's statement trigger (migration 00047).
-- name: ListAuditActions :many
SELECT value AS action FROM audit_filter_choices WHERE kind = 'action' ORDER BY value;

-- name: ListAuditEntityTypes :many
SELECT value AS entity_type FROM audit_filter_choices WHERE kind = 'entity_type' ORDER BY value;

-- After a month of events is detached: the choices no remaining event has
-- go (each an index probe per month's partition). In the detaching
-- transaction, whose lock on audit_events keeps out the writes that could
-- add one back meanwhile.
-- name: PruneAuditFilterChoices :execrows
DELETE FROM audit_filter_choices c
WHERE CASE c.kind
    WHEN 'action' THEN NOT EXISTS (SELECT 1 FROM audit_events e WHERE e.action = c.value)
    ELSE NOT EXISTS (SELECT 1 FROM audit_events e WHERE e.entity_type = c.value)
END;

-- name: CountAuditEventsPerDay :many
SELECT date_trunc('day', occurred_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n
FROM audit_events WHERE occurred_at >= sqlc.arg(since)::timestamptz
GROUP BY 1 ORDER BY 1;

-- What the audit pages call the entities they show: one row per entity
-- found, with its display name and, for a script, its project's public id
-- (a script's page sits under its project).
-- name: AuditEntityNames :many
SELECT 'account'::text AS entity_type, a.id::text AS entity_id, a.name::text AS label, ''::text AS parent
FROM accounts a WHERE a.id = ANY(sqlc.arg(account_ids)::bigint[])
UNION ALL
SELECT 'staff_user', s.id::text, (CASE WHEN s.name <> '' THEN s.name ELSE s.email END)::text, ''
FROM staff_users s WHERE s.id = ANY(sqlc.arg(staff_ids)::bigint[])
UNION ALL
SELECT 'api_key', k.id::text, (CASE WHEN k.name <> '' THEN k.name ELSE k.prefix END)::text, ''
FROM api_keys k WHERE k.id = ANY(sqlc.arg(api_key_ids)::bigint[])
UNION ALL
SELECT 'license_key', l.id::text, (left(l.user_key, 8) || '…')::text, ''
FROM license_keys l WHERE l.id = ANY(sqlc.arg(license_key_ids)::bigint[])
UNION ALL
SELECT 'bulk_job', j.id::text, j.title, ''
FROM bulk_jobs j WHERE j.id = ANY(sqlc.arg(bulk_job_ids)::bigint[])
UNION ALL
SELECT 'licensing_project', p.public_id, p.name, ''
FROM licensing_projects p WHERE p.public_id = ANY(sqlc.arg(project_ids)::text[])
UNION ALL
SELECT 'licensing_script', sc.public_id, sc.name, p.public_id
FROM licensing_scripts sc JOIN licensing_projects p ON p.id = sc.project_id
WHERE sc.public_id = ANY(sqlc.arg(script_ids)::text[])
UNION ALL
SELECT 'domain', d.id::text, d.name, ''
FROM lumi_domains d WHERE d.id = ANY(sqlc.arg(domain_ids)::bigint[])
UNION ALL
SELECT 'vps', v.id::text, (CASE WHEN v.hostname <> '' THEN v.hostname ELSE v.plan END)::text, ''
FROM lumi_vps v WHERE v.id = ANY(sqlc.arg(vps_ids)::bigint[])
UNION ALL
SELECT 'proxy', x.id::text, (x.plan || ' · ' || x.country)::text, ''
FROM lumi_proxies x WHERE x.id = ANY(sqlc.arg(proxy_ids)::bigint[])
UNION ALL
SELECT 'customer_user', cu.id::text, (CASE WHEN cu.name <> '' THEN cu.name ELSE cu.email END)::text, cu.account_id::text
FROM customer_users cu WHERE cu.id = ANY(sqlc.arg(customer_user_ids)::bigint[]);

-- name: CountAuditEvents :one
-- count of: ListAuditEventsPage
-- The log's filters counted up to lim rows (internal/platform/listcount), with
-- the list's params so audit.Service.Count converts them.
SELECT count(*) FROM (
SELECT 1
FROM audit_events
WHERE (sqlc.narg('before_id')::bigint IS NULL OR id < sqlc.narg('before_id'))
  AND (sqlc.narg('actor')::text IS NULL
       OR actor_label ILIKE '%' || replace(replace(replace(sqlc.narg('actor'), '\', '\\'), '%', '\%'), '_', '\_') || '%'
       OR actor_id = sqlc.narg('actor'))
  AND (sqlc.narg('action')::text IS NULL OR starts_with(action, sqlc.narg('action')))
  AND (sqlc.narg('entity_type')::text IS NULL OR entity_type = sqlc.narg('entity_type'))
  AND (sqlc.narg('entity_id')::text IS NULL OR entity_id = sqlc.narg('entity_id'))
  AND (sqlc.narg('since')::timestamptz IS NULL OR occurred_at >= sqlc.narg('since'))
  AND (sqlc.narg('until')::timestamptz IS NULL OR occurred_at < sqlc.narg('until'))
LIMIT sqlc.arg('lim')) counted;

-- An account's recent events, newest first: those on the account itself and
-- on the objects it owns (API keys, portal users, Luarmor projects, scripts
-- and keys, Lumi domains, VPS and proxies, Lumora apps, sending domains,
-- templates and webhook endpoints), leaving out the hidden actions. The
-- portal's home page reads it (audit.Service.AccountActivity).
-- name: ListAccountActivity :many
SELECT a.* FROM audit_events a
WHERE (a.entity_type, a.entity_id) IN (
    SELECT 'account'::text, sqlc.arg(account_id)::bigint::text
    UNION ALL SELECT 'api_key', k.id::text FROM api_keys k WHERE k.account_id = sqlc.arg(account_id)::bigint
    UNION ALL SELECT 'customer_user', cu.id::text FROM customer_users cu WHERE cu.account_id = sqlc.arg(account_id)::bigint
    UNION ALL SELECT 'licensing_project', p.public_id FROM licensing_projects p WHERE p.account_id = sqlc.arg(account_id)::bigint
    UNION ALL SELECT 'licensing_script', sc.public_id FROM licensing_scripts sc
        JOIN licensing_projects p ON p.id = sc.project_id WHERE p.account_id = sqlc.arg(account_id)::bigint
    UNION ALL SELECT 'license_key', l.id::text FROM license_keys l
        JOIN licensing_projects p ON p.id = l.project_id WHERE p.account_id = sqlc.arg(account_id)::bigint
    UNION ALL SELECT 'domain', d.id::text FROM lumi_domains d WHERE d.account_id = sqlc.arg(account_id)::bigint
    UNION ALL SELECT 'vps', v.id::text FROM lumi_vps v WHERE v.account_id = sqlc.arg(account_id)::bigint
    UNION ALL SELECT 'proxy', x.id::text FROM lumi_proxies x WHERE x.account_id = sqlc.arg(account_id)::bigint
    UNION ALL SELECT 'mail_app', ma.id::text FROM mail_apps ma WHERE ma.account_id = sqlc.arg(account_id)::bigint
    UNION ALL SELECT 'mail_domain', md.id::text FROM mail_domains md WHERE md.account_id = sqlc.arg(account_id)::bigint
    UNION ALL SELECT 'mail_template', mt.public_id FROM mail_templates mt WHERE mt.account_id = sqlc.arg(account_id)::bigint
    UNION ALL SELECT 'mail_webhook', we.public_id FROM mail_webhook_endpoints we
        JOIN mail_apps ma ON ma.id = we.app_id WHERE ma.account_id = sqlc.arg(account_id)::bigint
)
  AND NOT (a.action = ANY(sqlc.arg(hidden_actions)::text[]))
ORDER BY a.id DESC
LIMIT sqlc.arg('lim');

-- name: RecordAuditChainCheck :exec
-- A whole walk of the chain (audit.Service.VerifyAll); a year of hourly
-- walks is kept.
WITH gone AS (
    DELETE FROM audit_chain_checks WHERE finished_at < now() - interval '1 year'
)
INSERT INTO audit_chain_checks (started_at, events, first_id, anchored, through_id, through_hash, ok, bad_id, problem)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9);

-- name: LatestAuditChainCheck :one
SELECT * FROM audit_chain_checks ORDER BY id DESC LIMIT 1;
