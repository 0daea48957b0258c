-- +goose Up
-- The customer portal: customer users of an account, their sessions,
-- second factor, and the single-use links mailed to them (invitations,
-- password resets, email verification). Also the per-key IP allow list
-- customers keep on their Luarmor API keys.

CREATE TABLE customer_users (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id         bigint      NOT NULL REFERENCES accounts (id),
    -- one person, one account: sign-in needs no account picker and
    -- "forgot password" has one user to mail
    email              citext      NOT NULL UNIQUE,
    name               text        NOT NULL DEFAULT '',
    role               text        NOT NULL CHECK (role IN ('owner', 'developer', 'billing', 'read_only')),
    password_hash      text        NOT NULL,
    email_verified_at  timestamptz,
    totp_secret_sealed bytea,
    totp_enabled       boolean     NOT NULL DEFAULT false,
    totp_last_step     bigint      NOT NULL DEFAULT 0,
    disabled_at        timestamptz,
    last_login_at      timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX customer_users_account ON customer_users (account_id, id);

CREATE TABLE customer_recovery_codes (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id  bigint      NOT NULL REFERENCES customer_users (id) ON DELETE CASCADE,
    code_hash    bytea       NOT NULL,
    used_at      timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX customer_recovery_codes_user ON customer_recovery_codes (customer_id);

-- Portal sessions, as staff_sessions: the cookie holds a random id, the row its SHA-256.
-- viewed_by_staff marks a staff member's read-only "view as customer" session.
CREATE TABLE customer_sessions (
    id_hash          bytea       PRIMARY KEY,
    customer_id      bigint      REFERENCES customer_users (id) ON DELETE CASCADE,
    data             bytea       NOT NULL,
    ip               text        NOT NULL DEFAULT '',
    user_agent       text        NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    last_seen_at     timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz NOT NULL
);
CREATE INDEX customer_sessions_user ON customer_sessions (customer_id);
CREATE INDEX customer_sessions_expires ON customer_sessions (expires_at);

-- Single-use links. Only the SHA-256 of the token is kept.
CREATE TABLE customer_tokens (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    purpose       text        NOT NULL CHECK (purpose IN ('invite', 'reset', 'verify')),
    token_hash    bytea       NOT NULL UNIQUE,
    account_id    bigint      NOT NULL REFERENCES accounts (id),
    -- reset and verify: the user; invite: none until accepted
    customer_id   bigint      REFERENCES customer_users (id) ON DELETE CASCADE,
    email         citext      NOT NULL,
    role          text        NOT NULL DEFAULT '' CHECK (role IN ('', 'owner', 'developer', 'billing', 'read_only')),
    created_by    text        NOT NULL DEFAULT '',
    expires_at    timestamptz NOT NULL,
    used_at       timestamptz,
    revoked_at    timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX customer_tokens_account ON customer_tokens (account_id, purpose, id DESC);

-- Customers act in the audit history as themselves.
ALTER TABLE audit_events DROP CONSTRAINT audit_events_actor_kind_check;
ALTER TABLE audit_events ADD CONSTRAINT audit_events_actor_kind_check
    CHECK (actor_kind IN ('staff', 'api_key', 'system', 'cli', 'anonymous', 'customer'));

-- Luarmor API keys may be limited to client IPs and CIDRs (empty: any).
ALTER TABLE api_keys ADD COLUMN allowed_ips cidr[] NOT NULL DEFAULT '{}';

-- +goose Down
ALTER TABLE api_keys DROP COLUMN allowed_ips;
ALTER TABLE audit_events DROP CONSTRAINT audit_events_actor_kind_check;
ALTER TABLE audit_events ADD CONSTRAINT audit_events_actor_kind_check
    CHECK (actor_kind IN ('staff', 'api_key', 'system', 'cli', 'anonymous'));
DROP TABLE customer_tokens;
DROP TABLE customer_sessions;
DROP TABLE customer_recovery_codes;
DROP TABLE customer_users;
