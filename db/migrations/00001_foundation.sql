-- +goose Up
-- The foundation: staff, sessions, sign-in throttling, the audit history,
-- the customer accounts shared by all products, and their API keys.

CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS citext;

CREATE TABLE staff_users (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email           citext      NOT NULL UNIQUE,
    name            text        NOT NULL DEFAULT '',
    role            text        NOT NULL CHECK (role IN ('admin', 'support', 'finance', 'viewer')),
    password_hash   text        NOT NULL,
    totp_secret_sealed bytea,
    totp_enabled    boolean     NOT NULL DEFAULT false,
    -- the last accepted TOTP time step, so a code is used once
    totp_last_step  bigint      NOT NULL DEFAULT 0,
    disabled_at     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE staff_recovery_codes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    staff_id    bigint      NOT NULL REFERENCES staff_users (id) ON DELETE CASCADE,
    code_hash   bytea       NOT NULL,
    used_at     timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX staff_recovery_codes_staff ON staff_recovery_codes (staff_id);

-- Server-side sessions. The cookie carries a random id; only its SHA-256 is kept.
CREATE TABLE staff_sessions (
    id_hash       bytea       PRIMARY KEY,
    staff_id      bigint      REFERENCES staff_users (id) ON DELETE CASCADE,
    data          bytea       NOT NULL,
    ip            text        NOT NULL DEFAULT '',
    user_agent    text        NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL
);
CREATE INDEX staff_sessions_staff ON staff_sessions (staff_id);
CREATE INDEX staff_sessions_expires ON staff_sessions (expires_at);

-- Failed sign-in counters per account ("acct:<email>") and per IP ("ip:<addr>").
CREATE TABLE login_throttle (
    key           text        PRIMARY KEY,
    failures      integer     NOT NULL DEFAULT 0,
    window_start  timestamptz NOT NULL DEFAULT now(),
    locked_until  timestamptz
);

-- The audit history: append-only, hash-chained.
CREATE TABLE audit_events (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at  timestamptz NOT NULL DEFAULT now(),
    actor_kind   text        NOT NULL CHECK (actor_kind IN ('staff', 'api_key', 'system', 'cli', 'anonymous')),
    actor_id     text        NOT NULL DEFAULT '',
    actor_label  text        NOT NULL DEFAULT '',
    ip           text        NOT NULL DEFAULT '',
    user_agent   text        NOT NULL DEFAULT '',
    request_id   text        NOT NULL DEFAULT '',
    action       text        NOT NULL,
    entity_type  text        NOT NULL DEFAULT '',
    entity_id    text        NOT NULL DEFAULT '',
    reason       text        NOT NULL DEFAULT '',
    before       jsonb,
    after        jsonb,
    prev_hash    bytea       NOT NULL,
    hash         bytea       NOT NULL UNIQUE
);
CREATE INDEX audit_events_entity ON audit_events (entity_type, entity_id, id DESC);
CREATE INDEX audit_events_action ON audit_events (action, id DESC);
CREATE INDEX audit_events_actor ON audit_events (actor_kind, actor_id, id DESC);
CREATE INDEX audit_events_time ON audit_events (occurred_at, id);

-- +goose StatementBegin
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

-- Customers of all five products.
CREATE TABLE accounts (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name              text        NOT NULL,
    email             citext      NOT NULL UNIQUE,
    discord_id        text        NOT NULL DEFAULT '',
    note              text        NOT NULL DEFAULT '',
    status            text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    suspended_reason  text        NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX accounts_name_trgm ON accounts USING gin (name gin_trgm_ops);
CREATE INDEX accounts_email_trgm ON accounts USING gin ((email::text) gin_trgm_ops);
CREATE INDEX accounts_discord_trgm ON accounts USING gin (discord_id gin_trgm_ops);
CREATE INDEX accounts_created ON accounts (created_at, id);
CREATE INDEX accounts_name_sort ON accounts (lower(name), id);

-- API keys for every product. Only the SHA-256 of the secret is kept.
CREATE TABLE api_keys (
    id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product                text        NOT NULL CHECK (product IN ('luarmor', 'lumio', 'lumi-domains', 'lumi-hosting', 'lumi-proxy', 'lumora', 'lumira')),
    account_id             bigint      REFERENCES accounts (id),
    operator               boolean     NOT NULL DEFAULT false,
    name                   text        NOT NULL DEFAULT '',
    prefix                 text        NOT NULL,
    secret_hash            bytea       NOT NULL UNIQUE,
    scopes                 text[]      NOT NULL DEFAULT '{}',
    rate_limit_per_minute  integer     NOT NULL DEFAULT 60 CHECK (rate_limit_per_minute > 0),
    daily_spend_cap_cents  bigint      CHECK (daily_spend_cap_cents >= 0),
    signing_secret_sealed  bytea,
    expires_at             timestamptz,
    revoked_at             timestamptz,
    revoked_reason         text        NOT NULL DEFAULT '',
    rotated_from_id        bigint      REFERENCES api_keys (id),
    last_used_at           timestamptz,
    last_used_ip           text        NOT NULL DEFAULT '',
    created_at             timestamptz NOT NULL DEFAULT now(),
    CHECK (operator OR account_id IS NOT NULL)
);
CREATE INDEX api_keys_account ON api_keys (account_id, id);
CREATE INDEX api_keys_created ON api_keys (created_at, id);
CREATE INDEX api_keys_prefix ON api_keys (prefix text_pattern_ops);

-- Per-key rate limits (GCRA): one row per key and bucket, shared by every server process.
CREATE TABLE api_rate_limits (
    key_id  bigint      NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    bucket  text        NOT NULL,
    tat     timestamptz NOT NULL,
    PRIMARY KEY (key_id, bucket)
);

-- +goose Down
DROP TABLE api_rate_limits;
DROP TABLE api_keys;
DROP TABLE accounts;
DROP TRIGGER audit_events_no_truncate ON audit_events;
DROP TRIGGER audit_events_no_update ON audit_events;
DROP TABLE audit_events;
DROP FUNCTION audit_events_append_only();
DROP TABLE login_throttle;
DROP TABLE staff_sessions;
DROP TABLE staff_recovery_codes;
DROP TABLE staff_users;
