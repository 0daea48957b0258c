-- Global search (command palette). Each kind has an exact lookup (btree or
-- unique index) and a "contains" lookup (trigram GIN; callers only run it for
-- 3+ characters, below which a trigram index cannot help). The caller ranks
-- and trims; the contains queries return a bounded set of candidates.

-- name: SearchAccounts :many
SELECT id, name, email::text AS email, discord_id, status FROM accounts
WHERE name ILIKE '%' || sqlc.arg(q)::text || '%'
   OR email::text ILIKE '%' || sqlc.arg(q)::text || '%'
   OR discord_id ILIKE '%' || sqlc.arg(q)::text || '%'
LIMIT $1;

-- name: SearchAccountsExact :many
SELECT id, name, email::text AS email, discord_id, status FROM accounts
WHERE email = sqlc.arg(q)::citext OR (discord_id = sqlc.arg(q)::text AND discord_id <> '')
LIMIT $1;

-- name: SearchAPIKeysByPrefix :many
SELECT k.id, k.prefix, k.product, k.name, k.revoked_at, a.name AS account_name
FROM api_keys k LEFT JOIN accounts a ON a.id = k.account_id
WHERE k.prefix LIKE sqlc.arg(q)::text || '%'
ORDER BY k.prefix, k.id DESC
LIMIT $1;

-- name: SearchStaff :many
SELECT id, name, email::text AS email, role FROM staff_users
WHERE name ILIKE '%' || sqlc.arg(q)::text || '%' OR email::text ILIKE '%' || sqlc.arg(q)::text || '%'
LIMIT $1;

-- name: SearchLicenseKeysExact :many
SELECT k.id, k.user_key, k.identifier, k.discord_id, k.banned, p.name AS project_name
FROM license_keys k JOIN licensing_projects p ON p.id = k.project_id
WHERE k.user_key = sqlc.arg(q)::text
   OR (k.identifier = sqlc.arg(q)::text AND k.identifier <> '')
   OR (k.discord_id = sqlc.arg(q)::text AND k.discord_id <> '')
LIMIT $1;

-- name: SearchLicenseKeys :many
-- search_ids and note_words are the columns of license_keys_search_ids and
-- license_keys_search_note, so the trigram and word indexes answer (the keys
-- list's search).
SELECT k.id, k.user_key, k.identifier, k.discord_id, k.banned, p.name AS project_name
FROM license_keys k JOIN licensing_projects p ON p.id = k.project_id
WHERE k.search_ids LIKE '%' || lower(sqlc.arg(q)::text) || '%'
   OR (sqlc.narg(words)::text IS NOT NULL AND k.note_words @@ key_note_query(sqlc.narg(words)::text))
LIMIT $1;

-- name: SearchLicensingProjects :many
SELECT p.id, p.public_id, p.name, a.name AS account_name
FROM licensing_projects p JOIN accounts a ON a.id = p.account_id
WHERE p.public_id = sqlc.arg(exact)::text OR (sqlc.arg(contains)::boolean AND p.name ILIKE '%' || sqlc.arg(q)::text || '%')
LIMIT $1;

-- name: SearchLicensingScripts :many
SELECT s.id, s.public_id, s.name, p.public_id AS project_public_id, p.name AS project_name
FROM licensing_scripts s JOIN licensing_projects p ON p.id = s.project_id
WHERE s.public_id = sqlc.arg(exact)::text OR (sqlc.arg(contains)::boolean AND s.name ILIKE '%' || sqlc.arg(q)::text || '%')
LIMIT $1;

-- name: SearchLumiDomains :many
SELECT d.id, d.name, d.status, a.name AS account_name
FROM lumi_domains d JOIN accounts a ON a.id = d.account_id
WHERE d.name = lower(sqlc.arg(exact)::text) OR (sqlc.arg(contains)::boolean AND d.name ILIKE '%' || sqlc.arg(q)::text || '%')
LIMIT $1;

-- name: SearchLumiVPS :many
SELECT v.id, v.hostname, v.ip, v.plan, v.status, a.name AS account_name
FROM lumi_vps v JOIN accounts a ON a.id = v.account_id
WHERE (v.hostname = sqlc.arg(exact)::text AND v.hostname <> '')
   OR (v.ip = sqlc.arg(exact)::text AND v.ip <> '')
   OR (sqlc.arg(contains)::boolean AND (v.hostname || ' ' || v.ip) ILIKE '%' || sqlc.arg(q)::text || '%')
LIMIT $1;

-- name: SearchLumiProxies :many
SELECT x.id, x.host, x.port, x.type, x.country, x.status, a.name AS account_name
FROM lumi_proxies x JOIN accounts a ON a.id = x.account_id
WHERE (x.host = sqlc.arg(exact)::text AND x.host <> '')
   OR (sqlc.arg(contains)::boolean AND x.host ILIKE '%' || sqlc.arg(q)::text || '%')
LIMIT $1;

-- name: SearchMailMessages :many
-- A Lumora message by its whole id (msg_…) or by a recipient's whole
-- address: the public_id and mail_recipients_email indexes.
SELECT m.id, m.public_id, m.subject, m.status, m.created_at, a.name AS account_name
FROM (
  SELECT mm.id FROM mail_messages mm WHERE mm.public_id = sqlc.arg(exact)::text
  UNION
  (SELECT r.message_id FROM mail_recipients r WHERE lower(r.email) = lower(sqlc.arg(exact)::text) ORDER BY r.message_id DESC LIMIT $1)
) hit
JOIN mail_messages m ON m.id = hit.id JOIN accounts a ON a.id = m.account_id
ORDER BY m.id DESC
LIMIT $1;

-- name: SearchMailApps :many
-- A Lumora app by its whole name or part of it: mail_apps_name_trgm.
SELECT m.id, m.name, m.account_id, a.name AS account_name
FROM mail_apps m JOIN accounts a ON a.id = m.account_id
WHERE m.name = sqlc.arg(exact)::text OR (sqlc.arg(contains)::boolean AND m.name ILIKE '%' || sqlc.arg(q)::text || '%')
LIMIT $1;

-- name: SearchMailDomains :many
-- A Lumora sending domain by its whole name or part of it: mail_domains_name_trgm.
SELECT d.id, d.name, d.status, d.account_id, a.name AS account_name
FROM mail_domains d JOIN accounts a ON a.id = d.account_id
WHERE d.name = lower(sqlc.arg(exact)::text) OR (sqlc.arg(contains)::boolean AND d.name ILIKE '%' || sqlc.arg(q)::text || '%')
LIMIT $1;

-- name: SearchLumiraGroups :many
-- A Lumira group by its whole public id (grp_…) or Roblox group id, or its
-- name, whole or in part: one index a branch (the unique public id,
-- lumira_groups_roblox, lumira_groups_name_trgm), then named.
SELECT g.public_id, g.name, g.roblox_group_id, g.status, g.account_id, a.name AS account_name
FROM (
    SELECT x.id FROM lumira_groups x WHERE x.public_id = sqlc.arg(exact)::text
    UNION SELECT x.id FROM lumira_groups x WHERE x.roblox_group_id = sqlc.narg(roblox_group_id)::bigint
    UNION SELECT x.id FROM lumira_groups x
          WHERE x.name = sqlc.arg(exact)::text OR (sqlc.arg(contains)::boolean AND x.name ILIKE '%' || sqlc.arg(q)::text || '%')
    LIMIT $1
) hit JOIN lumira_groups g ON g.id = hit.id JOIN accounts a ON a.id = g.account_id;

-- name: SearchMailTemplates :many
-- A Lumora template (not deleted: deleted_at, which the planner cannot
-- answer from the partial index on status) by its whole public id (tpl_…),
-- or its name or slug, whole or in part: the unique public id, then
-- mail_templates_name_trgm and mail_templates_slug_trgm.
SELECT t.public_id, t.name, t.slug, t.account_id, a.name AS account_name
FROM (
    SELECT x.id FROM mail_templates x WHERE x.public_id = sqlc.arg(exact)::text AND x.deleted_at IS NULL
    UNION SELECT x.id FROM mail_templates x
          WHERE x.deleted_at IS NULL
            AND (x.name = sqlc.arg(exact)::text OR x.slug = lower(sqlc.arg(exact)::text)
                 OR (sqlc.arg(contains)::boolean AND (x.name ILIKE '%' || sqlc.arg(q)::text || '%' OR x.slug ILIKE '%' || sqlc.arg(q)::text || '%')))
    LIMIT $1
) hit JOIN mail_templates t ON t.id = hit.id JOIN accounts a ON a.id = t.account_id;

-- name: SearchDeposits :many
-- A deposit by its whole public id (dep_…).
SELECT d.public_id, d.amount_cents, d.status, d.provider, d.account_id, a.name AS account_name
FROM deposits d JOIN accounts a ON a.id = d.account_id
WHERE d.public_id = sqlc.arg(exact)::text
LIMIT 1;
