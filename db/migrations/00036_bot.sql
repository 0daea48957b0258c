-- +goose Up
-- lumdesk's own Discord application (the bot): which guild serves which
-- Luarmor project or Lumira group, the one-time codes that link them, a
-- log of the interactions it answered (the console's bot status), and the
-- messages the sandbox Discord received in demo mode.

-- Discord users act in the audit history as themselves.
ALTER TABLE audit_events DROP CONSTRAINT audit_events_actor_kind_check;
ALTER TABLE audit_events ADD CONSTRAINT audit_events_actor_kind_check
    CHECK (actor_kind IN ('staff', 'api_key', 'system', 'cli', 'anonymous', 'customer', 'discord'));

CREATE TABLE bot_links (
    id                 bigserial   PRIMARY KEY,
    public_id          text        NOT NULL UNIQUE,                 -- gln_...
    guild_id           text        NOT NULL CHECK (guild_id ~ '^[0-9]{1,20}$'),
    account_id         bigint      NOT NULL REFERENCES accounts (id),
    area               text        NOT NULL CHECK (area IN ('licensing', 'ranking')),
    project_id         bigint      REFERENCES licensing_projects (id) ON DELETE CASCADE,
    group_id           bigint      REFERENCES lumira_groups (id) ON DELETE CASCADE,
    rank_role_id       text        NOT NULL DEFAULT '' CHECK (rank_role_id ~ '^[0-9]{0,20}$'), -- Lumira: who may /rank
    linked_by          text        NOT NULL,                        -- the Discord user who ran setup
    linked_by_name     text        NOT NULL DEFAULT '',
    panel_last_used_at timestamptz,
    created_at         timestamptz NOT NULL,
    -- A guild serves one project and one group; setup again replaces it.
    CONSTRAINT bot_links_guild_area UNIQUE (guild_id, area),
    CHECK ((area = 'licensing') = (project_id IS NOT NULL)),
    CHECK ((area = 'ranking') = (group_id IS NOT NULL))
);
CREATE INDEX bot_links_account ON bot_links (account_id, id DESC);
CREATE INDEX bot_links_project ON bot_links (project_id) WHERE project_id IS NOT NULL;
CREATE INDEX bot_links_group ON bot_links (group_id) WHERE group_id IS NOT NULL;

-- One-time link codes: only the sha256 is kept.
CREATE TABLE bot_link_codes (
    id            bigserial   PRIMARY KEY,
    code_hash     bytea       NOT NULL UNIQUE,
    account_id    bigint      NOT NULL REFERENCES accounts (id),
    area          text        NOT NULL CHECK (area IN ('licensing', 'ranking')),
    project_id    bigint      REFERENCES licensing_projects (id) ON DELETE CASCADE,
    group_id      bigint      REFERENCES lumira_groups (id) ON DELETE CASCADE,
    created_by    text        NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    used_at       timestamptz,
    used_guild_id text,
    CHECK ((area = 'licensing') = (project_id IS NOT NULL)),
    CHECK ((area = 'ranking') = (group_id IS NOT NULL))
);
CREATE INDEX bot_link_codes_account ON bot_link_codes (account_id, id DESC);

-- Every interaction the bot answered: the console's status and history.
CREATE TABLE bot_interactions (
    id               bigserial   PRIMARY KEY,
    at               timestamptz NOT NULL,
    guild_id         text        NOT NULL DEFAULT '',
    account_id       bigint      REFERENCES accounts (id) ON DELETE SET NULL, -- through the guild's link
    discord_user_id  text        NOT NULL DEFAULT '',
    discord_username text        NOT NULL DEFAULT '',
    name             text        NOT NULL,                          -- "/luarmor setup", "luarmor:redeem"
    outcome          text        NOT NULL CHECK (outcome IN ('ok', 'refused', 'error')),
    message          text        NOT NULL DEFAULT '',
    duration_ms      integer     NOT NULL DEFAULT 0,
    deferred         boolean     NOT NULL DEFAULT false
);
CREATE INDEX bot_interactions_at ON bot_interactions (at); -- the status card counts the last day
CREATE INDEX bot_interactions_account ON bot_interactions (account_id, id DESC);
CREATE INDEX bot_interactions_guild ON bot_interactions (guild_id, id DESC);

-- Demo mode: what the sandbox Discord received (follow-ups of deferred
-- answers), so the sandbox console can show them on any node.
CREATE TABLE bot_sandbox_messages (
    id                bigserial   PRIMARY KEY,
    interaction_token text        NOT NULL,
    body              jsonb       NOT NULL,
    created_at        timestamptz NOT NULL
);
CREATE INDEX bot_sandbox_messages_token ON bot_sandbox_messages (interaction_token, id);

-- +goose Down
DROP TABLE bot_sandbox_messages;
DROP TABLE bot_interactions;
DROP TABLE bot_link_codes;
DROP TABLE bot_links;
ALTER TABLE audit_events DROP CONSTRAINT audit_events_actor_kind_check;
ALTER TABLE audit_events ADD CONSTRAINT audit_events_actor_kind_check
    CHECK (actor_kind IN ('staff', 'api_key', 'system', 'cli', 'anonymous', 'customer'));
