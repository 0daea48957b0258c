-- +goose Up
-- Licensing (Luarmor): projects of an account, their scripts (every upload
-- kept as a version), and license keys ("users" in the Luarmor API).
--
-- The loader check reads one key by user_key and, on a key's first
-- execution, binds its HWID with one conditional UPDATE (compare-and-set on
-- version). Execution counters are batched in memory and flushed with one
-- UPDATE ... FROM unnest(), which touches no indexed column, so those updates
-- stay HOT (hence the fillfactor).

CREATE TABLE licensing_projects (
    id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    public_id               text        NOT NULL UNIQUE CHECK (public_id ~ '^[0-9a-f]{22}$'),
    account_id              bigint      NOT NULL REFERENCES accounts (id),
    name                    text        NOT NULL,
    -- how long after a HWID reset the next one is refused (unless forced)
    reset_cooldown_seconds  integer     NOT NULL DEFAULT 86400 CHECK (reset_cooldown_seconds >= 0),
    -- end users may reset their own HWID (through the Discord bot)
    users_can_reset         boolean     NOT NULL DEFAULT true,
    -- FFA flag given to new scripts
    ffa_default             boolean     NOT NULL DEFAULT false,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX licensing_projects_account ON licensing_projects (account_id, id);
CREATE INDEX licensing_projects_created ON licensing_projects (created_at, id);
CREATE INDEX licensing_projects_name_trgm ON licensing_projects USING gin (name gin_trgm_ops);

CREATE TABLE licensing_scripts (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    public_id          text        NOT NULL UNIQUE CHECK (public_id ~ '^[0-9a-f]{32}$'),
    project_id         bigint      NOT NULL REFERENCES licensing_projects (id) ON DELETE CASCADE,
    name               text        NOT NULL,
    silent             boolean     NOT NULL DEFAULT false,
    ffa                boolean     NOT NULL DEFAULT false,
    heartbeat          boolean     NOT NULL DEFAULT false,
    lightning          boolean     NOT NULL DEFAULT false,
    -- current version number; 0 until the first upload
    version            integer     NOT NULL DEFAULT 0,
    total_executions   bigint      NOT NULL DEFAULT 0,
    last_execution_at  timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX licensing_scripts_project ON licensing_scripts (project_id, id);

-- Every upload of a script's source, with the flags it was uploaded with.
CREATE TABLE licensing_script_versions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    script_id   bigint      NOT NULL REFERENCES licensing_scripts (id) ON DELETE CASCADE,
    version     integer     NOT NULL CHECK (version > 0),
    source      text        NOT NULL,
    sha256      text        NOT NULL,
    silent      boolean     NOT NULL,
    ffa         boolean     NOT NULL,
    heartbeat   boolean     NOT NULL,
    lightning   boolean     NOT NULL,
    created_by  text        NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (script_id, version)
);

CREATE TABLE license_keys (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id         bigint      NOT NULL REFERENCES licensing_projects (id) ON DELETE CASCADE,
    user_key           text        NOT NULL,
    -- the HWID; '' while unassigned (new, or after a reset)
    identifier         text        NOT NULL DEFAULT '',
    discord_id         text        NOT NULL DEFAULT '',
    note               text        NOT NULL DEFAULT '',
    -- days the key gets once activated; NULL: no day budget
    key_days           integer     CHECK (key_days > 0),
    -- NULL: never expires (or, with key_days, not activated yet)
    auth_expire        timestamptz,
    -- first execution or Discord link: when the key_days clock started
    activated_at       timestamptz,
    banned             boolean     NOT NULL DEFAULT false,
    ban_reason         text        NOT NULL DEFAULT '',
    -- NULL: a ban without end; a ban ends by itself at ban_expire
    ban_expire         timestamptz,
    -- 32 characters, new at each blacklist, cleared when used
    unban_token        text,
    total_resets       integer     NOT NULL DEFAULT 0,
    last_reset_at      timestamptz,
    total_executions   bigint      NOT NULL DEFAULT 0,
    last_execution_at  timestamptz,
    -- bumped by every change except execution counting (compare-and-set)
    version            integer     NOT NULL DEFAULT 1,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
) WITH (fillfactor = 90);
CREATE UNIQUE INDEX license_keys_user_key ON license_keys (user_key);
CREATE UNIQUE INDEX license_keys_unban_token ON license_keys (unban_token) WHERE unban_token IS NOT NULL;
CREATE INDEX license_keys_project_created ON license_keys (project_id, created_at, id);
CREATE INDEX license_keys_created ON license_keys (created_at, id);
CREATE INDEX license_keys_project_identifier ON license_keys (project_id, identifier) WHERE identifier <> '';
CREATE INDEX license_keys_project_discord ON license_keys (project_id, discord_id) WHERE discord_id <> '';
CREATE INDEX license_keys_project_expire ON license_keys (project_id, (coalesce(auth_expire, '9999-12-31 00:00:00+00'::timestamptz)), id);
-- "search" matches anywhere in user_key, identifier, discord_id or note.
CREATE INDEX license_keys_search ON license_keys
    USING gin ((user_key || ' ' || identifier || ' ' || discord_id || ' ' || note) gin_trgm_ops);

-- HWID resets, for "most resets in the last 30 days".
CREATE TABLE license_key_resets (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key_id          bigint      NOT NULL REFERENCES license_keys (id) ON DELETE CASCADE,
    project_id      bigint      NOT NULL REFERENCES licensing_projects (id) ON DELETE CASCADE,
    old_identifier  text        NOT NULL,
    forced          boolean     NOT NULL,
    actor_kind      text        NOT NULL,
    reset_at        timestamptz NOT NULL
);
CREATE INDEX license_key_resets_project ON license_key_resets (project_id, reset_at);
CREATE INDEX license_key_resets_key ON license_key_resets (key_id, reset_at);
CREATE INDEX license_key_resets_time ON license_key_resets (reset_at);

-- Executions per key and per project per UTC day, written by the batched
-- counter. No foreign keys: a flush racing a key's deletion must not fail;
-- deleting a key deletes its rows.
CREATE TABLE license_key_daily_executions (
    key_id      bigint NOT NULL,
    day         date   NOT NULL,
    executions  bigint NOT NULL,
    PRIMARY KEY (key_id, day)
);
CREATE TABLE licensing_project_daily_executions (
    project_id  bigint NOT NULL,
    day         date   NOT NULL,
    executions  bigint NOT NULL,
    PRIMARY KEY (project_id, day)
);

-- +goose Down
DROP TABLE licensing_project_daily_executions;
DROP TABLE license_key_daily_executions;
DROP TABLE license_key_resets;
DROP TABLE license_keys;
DROP TABLE licensing_script_versions;
DROP TABLE licensing_scripts;
DROP TABLE licensing_projects;
