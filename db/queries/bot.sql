-- The Discord bot: guild links, link codes, interactions (migration 00036).

-- name: InsertBotLinkCode :one
INSERT INTO bot_link_codes (code_hash, account_id, area, project_id, group_id, created_by, created_at, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
RETURNING *;

-- name: GetBotLinkCode :one
SELECT * FROM bot_link_codes WHERE code_hash = $1;

-- name: UseBotLinkCode :one
-- Marks a code used, once: a second use (or a race) matches no row.
UPDATE bot_link_codes SET used_at = @now::timestamptz, used_guild_id = @guild_id::text
WHERE id = $1 AND used_at IS NULL AND expires_at > @now::timestamptz
RETURNING *;

-- name: UpsertBotLink :one
-- A guild's link for an area; setup again replaces what it serves. Setup
-- again for the same group without a rank role keeps the one it had.
INSERT INTO bot_links (public_id, guild_id, account_id, area, project_id, group_id, rank_role_id, linked_by, linked_by_name, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (guild_id, area) DO UPDATE SET
    account_id = EXCLUDED.account_id, project_id = EXCLUDED.project_id, group_id = EXCLUDED.group_id,
    rank_role_id = CASE WHEN EXCLUDED.rank_role_id = '' AND bot_links.group_id IS NOT DISTINCT FROM EXCLUDED.group_id
                        THEN bot_links.rank_role_id ELSE EXCLUDED.rank_role_id END,
    linked_by = EXCLUDED.linked_by, linked_by_name = EXCLUDED.linked_by_name,
    created_at = EXCLUDED.created_at, panel_last_used_at = NULL
RETURNING *;

-- name: GetBotLinkForGuild :one
SELECT * FROM bot_links WHERE guild_id = $1 AND area = $2;

-- name: GetBotLink :one
SELECT * FROM bot_links WHERE public_id = $1;

-- name: DeleteBotLink :exec
DELETE FROM bot_links WHERE id = $1;

-- name: SetBotLinkRankRole :one
UPDATE bot_links SET rank_role_id = $2 WHERE id = $1 RETURNING *;

-- name: TouchBotLinkPanel :exec
UPDATE bot_links SET panel_last_used_at = $2 WHERE id = $1;

-- name: ListBotLinks :many
-- Links with what they serve, newest first; account_id, project_id and
-- group_id narrow it (NULL: any).
SELECT l.*, a.name AS account_name,
    coalesce(p.public_id, g.public_id)::text AS target_public_id,
    coalesce(p.name, g.name)::text AS target_name,
    coalesce(g.roblox_group_id, 0)::bigint AS roblox_group_id
FROM bot_links l
JOIN accounts a ON a.id = l.account_id
LEFT JOIN licensing_projects p ON p.id = l.project_id
LEFT JOIN lumira_groups g ON g.id = l.group_id
WHERE (sqlc.narg(account_id)::bigint IS NULL OR l.account_id = sqlc.narg(account_id))
  AND (sqlc.narg(project_id)::bigint IS NULL OR l.project_id = sqlc.narg(project_id))
  AND (sqlc.narg(group_id)::bigint IS NULL OR l.group_id = sqlc.narg(group_id))
ORDER BY l.id DESC
LIMIT $1;

-- name: InsertBotInteraction :exec
INSERT INTO bot_interactions (at, guild_id, account_id, discord_user_id, discord_username, name, outcome, message, duration_ms, deferred)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10);

-- name: ListBotInteractions :many
-- Newest first, keyset on id; account_id and outcome narrow it.
SELECT * FROM bot_interactions
WHERE (sqlc.narg(account_id)::bigint IS NULL OR account_id = sqlc.narg(account_id))
  AND (sqlc.narg(outcome)::text IS NULL OR outcome = sqlc.narg(outcome))
  AND (sqlc.narg(before_id)::bigint IS NULL OR id < sqlc.narg(before_id))
ORDER BY id DESC
LIMIT $1;

-- name: InsertBotSandboxMessage :exec
INSERT INTO bot_sandbox_messages (interaction_token, body, created_at) VALUES ($1, $2, $3);

-- name: ListBotSandboxMessages :many
SELECT * FROM bot_sandbox_messages WHERE interaction_token = $1 ORDER BY id;

-- name: GetBotProjectRef :one
-- What a link code or link needs of a Luarmor project.
SELECT id, account_id, public_id, name FROM licensing_projects WHERE public_id = $1;

-- name: GetBotGroupRef :one
-- What a link code or link needs of a Lumira group.
SELECT id, account_id, public_id, name, roblox_group_id FROM lumira_groups WHERE public_id = $1;

-- name: FindBotGroupRefs :many
-- Lumira groups by Roblox group ID (one per account), within an account when given.
SELECT id, account_id, public_id, name, roblox_group_id FROM lumira_groups
WHERE roblox_group_id = $1 AND (sqlc.narg(account_id)::bigint IS NULL OR account_id = sqlc.narg(account_id))
ORDER BY id
LIMIT 10;

-- ---------------------------------------------------------------------------
-- Lumira commands (/rank): the linked group by its database id.

-- name: GetBotGroupRefByID :one
-- What /rank needs of a link's Lumira group (bot_links.group_id).
SELECT id, account_id, public_id, name, roblox_group_id FROM lumira_groups WHERE id = $1;

-- ---------------------------------------------------------------------------
-- The console's status card and the sandbox console (handlers/bot).

-- name: BotInteractionCounts :one
-- Interactions and errors since a time (the last interaction is the first
-- row of ListBotInteractions: max(at) of no rows would be NULL).
SELECT count(*)::bigint AS total,
    count(*) FILTER (WHERE outcome = 'error')::bigint AS errors,
    count(*) FILTER (WHERE outcome = 'refused')::bigint AS refused
FROM bot_interactions
WHERE at > @since::timestamptz
  AND (sqlc.narg(account_id)::bigint IS NULL OR account_id = sqlc.narg(account_id));

-- The daily clean-up (bot.Service.Prune): interactions past their
-- retention, sandbox follow-ups past the interaction token's life, link
-- codes long expired or used; in batches.

-- name: PruneBotInteractions :execrows
DELETE FROM bot_interactions WHERE id IN (
    SELECT id FROM bot_interactions WHERE at < @before::timestamptz ORDER BY id LIMIT @batch::int);

-- name: PruneBotSandboxMessages :execrows
DELETE FROM bot_sandbox_messages WHERE created_at < @before::timestamptz;

-- name: PruneBotLinkCodes :execrows
DELETE FROM bot_link_codes WHERE expires_at < @before::timestamptz;

-- name: MarkBotInteractionSeen :execrows
-- 1: the interaction is new; 0: its id was taken before (a replay).
INSERT INTO bot_interactions_seen (interaction_id, seen_at) VALUES ($1, $2)
ON CONFLICT (interaction_id) DO NOTHING;

-- name: PruneBotInteractionsSeen :execrows
DELETE FROM bot_interactions_seen WHERE seen_at < @before::timestamptz;
