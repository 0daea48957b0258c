-- +goose Up
-- Lumira (Roblox group ranking): an account's Roblox groups, their synced
-- roles and ladder, the members Lumira has seen, every rank action, the
-- rank changes reconciliation found made outside Lumira, the simulated
-- state of sandbox groups, and the per-key Roblox request budget.

CREATE TABLE lumira_groups (
    id                      bigserial   PRIMARY KEY,
    public_id               text        NOT NULL UNIQUE,           -- grp_...
    account_id              bigint      NOT NULL REFERENCES accounts (id),
    roblox_group_id         bigint      NOT NULL CHECK (roblox_group_id > 0),
    name                    text        NOT NULL DEFAULT '',
    key_sealed              bytea,                                 -- NULL: a sandbox group
    key_fingerprint         text,                                  -- sha256 of the key: its request budget
    ceiling_rank            integer     NOT NULL CHECK (ceiling_rank BETWEEN 1 AND 255),
    webhook_sealed          bytea,                                 -- the Discord webhook URL; NULL: none
    webhook_status          text        NOT NULL DEFAULT 'none' CHECK (webhook_status IN ('none', 'ok', 'disabled')),
    webhook_disabled_reason text        NOT NULL DEFAULT '',
    webhook_disabled_at     timestamptz,
    status                  text        NOT NULL CHECK (status IN ('connected', 'key_invalid', 'sandbox')),
    status_message          text        NOT NULL DEFAULT '',
    key_scopes              text[]      NOT NULL DEFAULT '{}',
    last_sync_at            timestamptz,
    auto_promote            boolean     NOT NULL DEFAULT false,
    last_reconciled_at      timestamptz,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT lumira_groups_account_group UNIQUE (account_id, roblox_group_id),
    CHECK ((key_sealed IS NULL) = (status = 'sandbox'))
);
CREATE INDEX lumira_groups_account ON lumira_groups (account_id, id);

-- Roles as Roblox last listed them; the ladder is the in_ladder ones by position.
CREATE TABLE lumira_roles (
    group_id        bigint  NOT NULL REFERENCES lumira_groups (id) ON DELETE CASCADE,
    role_id         text    NOT NULL,                               -- Roblox's role id ("200")
    name            text    NOT NULL,
    rank            integer NOT NULL CHECK (rank BETWEEN 0 AND 255),
    member_count    bigint,
    in_ladder       boolean NOT NULL DEFAULT false,
    ladder_position integer,
    points_required bigint  NOT NULL DEFAULT 0 CHECK (points_required >= 0),
    PRIMARY KEY (group_id, role_id)
);

-- Members Lumira has seen: what it believes their role is, and their points.
CREATE TABLE lumira_members (
    group_id       bigint      NOT NULL REFERENCES lumira_groups (id) ON DELETE CASCADE,
    roblox_user_id bigint      NOT NULL CHECK (roblox_user_id > 0),
    username       text        NOT NULL DEFAULT '',
    role_id        text,                                            -- NULL: not in the group when last read
    rank           integer,
    points         bigint      NOT NULL DEFAULT 0,
    last_change_at timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (group_id, roblox_user_id)
);
CREATE INDEX lumira_members_username ON lumira_members (group_id, lower(username));

-- Every action: written pending before Roblox is called, settled after.
CREATE TABLE lumira_actions (
    id             bigserial   PRIMARY KEY,
    public_id      text        NOT NULL UNIQUE,                     -- act_...
    group_id       bigint      NOT NULL REFERENCES lumira_groups (id) ON DELETE CASCADE,
    roblox_user_id bigint      NOT NULL,
    kind           text        NOT NULL CHECK (kind IN ('set', 'promote', 'demote', 'points', 'outside_change')),
    old_role_id    text,
    old_rank       integer,
    new_role_id    text,
    new_rank       integer,
    points_delta   bigint      NOT NULL DEFAULT 0,
    reason         text        NOT NULL DEFAULT '',
    actor_kind     text        NOT NULL,
    actor_id       text        NOT NULL DEFAULT '',
    actor_label    text        NOT NULL DEFAULT '',
    status         text        NOT NULL CHECK (status IN ('pending', 'done', 'failed')),
    error          text        NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL,
    settled_at     timestamptz
);
CREATE INDEX lumira_actions_group ON lumira_actions (group_id, id DESC);
CREATE INDEX lumira_actions_member ON lumira_actions (group_id, roblox_user_id, id DESC);
CREATE INDEX lumira_actions_pending ON lumira_actions (created_at) WHERE status = 'pending';

-- Rank changes made outside Lumira, found by reconciliation.
CREATE TABLE lumira_findings (
    id              bigserial   PRIMARY KEY,
    group_id        bigint      NOT NULL REFERENCES lumira_groups (id) ON DELETE CASCADE,
    roblox_user_id  bigint      NOT NULL,
    from_role_id    text,
    from_rank       integer,
    to_role_id      text,
    to_rank         integer,
    changed_by_id   bigint,                                         -- the Roblox user who changed it, when the audit log says
    changed_by_name text        NOT NULL DEFAULT '',
    changed_at      timestamptz,                                    -- when Roblox says; else when it was found
    source          text        NOT NULL CHECK (source IN ('memberships', 'audit_log')),
    dedupe_key      text        NOT NULL,
    action_id       bigint      REFERENCES lumira_actions (id),
    found_at        timestamptz NOT NULL,
    CONSTRAINT lumira_findings_dedupe UNIQUE (group_id, dedupe_key)
);
CREATE INDEX lumira_findings_group ON lumira_findings (group_id, id DESC);

-- The simulated Roblox of sandbox groups (no API key): its roles and members,
-- in the database so it survives restarts and is shared by every process.
CREATE TABLE lumira_sandbox_roles (
    group_id bigint  NOT NULL REFERENCES lumira_groups (id) ON DELETE CASCADE,
    role_id  text    NOT NULL,
    name     text    NOT NULL,
    rank     integer NOT NULL CHECK (rank BETWEEN 0 AND 255),
    PRIMARY KEY (group_id, role_id)
);

CREATE TABLE lumira_sandbox_members (
    group_id   bigint      NOT NULL REFERENCES lumira_groups (id) ON DELETE CASCADE,
    user_id    bigint      NOT NULL,
    username   text        NOT NULL,
    role_id    text        NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX lumira_sandbox_members_name ON lumira_sandbox_members (lower(username));

-- Roblox allows 300 requests a minute per key. api_rate_limits (GCRA) is
-- keyed on our own API keys and lets a full burst follow a full window, so
-- the budget is a sliding log of the last minute's requests per Roblox key
-- (by fingerprint), taken under an advisory lock: exact across processes.
CREATE TABLE lumira_roblox_calls (
    key_fingerprint text        NOT NULL,
    at              timestamptz NOT NULL
);
CREATE INDEX lumira_roblox_calls_key ON lumira_roblox_calls (key_fingerprint, at);

-- +goose Down
DROP TABLE lumira_roblox_calls;
DROP TABLE lumira_sandbox_members;
DROP TABLE lumira_sandbox_roles;
DROP TABLE lumira_findings;
DROP TABLE lumira_actions;
DROP TABLE lumira_members;
DROP TABLE lumira_roles;
DROP TABLE lumira_groups;
