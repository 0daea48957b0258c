-- +goose Up
-- Lumora (mail): the messages an app sends, their recipients, what happened
-- to each (events), and the account's suppression list.
--
-- A send writes the message, its recipients and the River delivery job in
-- one transaction. Idempotency lives on the message itself: (app_id,
-- idempotency_key) is unique while the key is set, so twenty identical
-- concurrent sends make one row (INSERT ... ON CONFLICT DO NOTHING) and the
-- others read it back; request_hash tells a replay from another body. After
-- 24 hours a key may be used again: the send clears the old row's key first.

CREATE TABLE mail_messages (
    id               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    public_id        text        NOT NULL UNIQUE CHECK (public_id ~ '^msg_[A-Za-z0-9]{8,64}$'),
    account_id       bigint      NOT NULL REFERENCES accounts (id),
    app_id           bigint      NOT NULL REFERENCES mail_apps (id),
    domain_id        bigint      REFERENCES mail_domains (id) ON DELETE SET NULL, -- the sending domain (DKIM key)
    from_email       text        NOT NULL,
    from_name        text        NOT NULL DEFAULT '',
    reply_to         text[]      NOT NULL DEFAULT '{}',
    subject          text        NOT NULL,
    text_body        text        NOT NULL DEFAULT '',
    html_body        text        NOT NULL DEFAULT '',
    headers          jsonb       NOT NULL DEFAULT '{}',
    tags             jsonb       NOT NULL DEFAULT '[]',
    -- queued while a recipient waits for an attempt; then delivered (every
    -- recipient delivered), partial (some), or bounced / failed / suppressed
    -- (none delivered: the outcome of the first recipient).
    status           text        NOT NULL DEFAULT 'queued'
                                 CHECK (status IN ('queued', 'delivered', 'partial', 'bounced', 'failed', 'suppressed')),
    smtp_message_id  text        NOT NULL DEFAULT '', -- the Message-ID header of the latest attempt
    idempotency_key  text        CHECK (length(idempotency_key) BETWEEN 8 AND 200),
    request_hash     bytea,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX mail_messages_idempotency ON mail_messages (app_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX mail_messages_app ON mail_messages (app_id, id DESC);
CREATE INDEX mail_messages_account ON mail_messages (account_id, id DESC);

CREATE TABLE mail_recipients (
    id               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id       bigint      NOT NULL REFERENCES mail_messages (id) ON DELETE CASCADE,
    email            text        NOT NULL,
    kind             text        NOT NULL CHECK (kind IN ('to', 'cc', 'bcc')),
    status           text        NOT NULL DEFAULT 'queued'
                                 CHECK (status IN ('queued', 'delivered', 'deferred', 'bounced', 'failed', 'suppressed')),
    attempts         integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz,          -- set while queued or deferred
    last_smtp_code   integer,
    last_smtp_text   text        NOT NULL DEFAULT '',
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT mail_recipients_message_email UNIQUE (message_id, email)
);
CREATE INDEX mail_recipients_email ON mail_recipients (lower(email), message_id DESC);

CREATE TABLE mail_events (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id    bigint      NOT NULL REFERENCES mail_messages (id) ON DELETE CASCADE,
    app_id        bigint      NOT NULL REFERENCES mail_apps (id),
    account_id    bigint      NOT NULL REFERENCES accounts (id),
    recipient     text        NOT NULL DEFAULT '',
    type          text        NOT NULL CHECK (type IN ('queued', 'delivered', 'deferred', 'bounced', 'failed', 'suppressed', 'complained')),
    at            timestamptz NOT NULL DEFAULT now(),
    detail        text        NOT NULL DEFAULT ''
);
-- The log (keyset by id desc per app), its type and recipient filters, the
-- stats per day, a message's timeline, and the console's log across accounts.
CREATE INDEX mail_events_app ON mail_events (app_id, id DESC);
CREATE INDEX mail_events_app_type ON mail_events (app_id, type, id DESC);
CREATE INDEX mail_events_app_recipient ON mail_events (app_id, lower(recipient), id DESC);
CREATE INDEX mail_events_app_at ON mail_events (app_id, at);
CREATE INDEX mail_events_account ON mail_events (account_id, id DESC);
CREATE INDEX mail_events_message ON mail_events (message_id, id);

CREATE TABLE mail_suppressions (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id  bigint      NOT NULL REFERENCES accounts (id),
    email       text        NOT NULL,
    reason      text        NOT NULL CHECK (reason IN ('hard_bounce', 'complaint', 'manual', 'unsubscribe')),
    origin      text        NOT NULL DEFAULT '', -- what caused it: the message and SMTP reply, or who added it
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX mail_suppressions_account_email ON mail_suppressions (account_id, lower(email));
CREATE INDEX mail_suppressions_account ON mail_suppressions (account_id, id DESC);

-- Lumora keys belong to an app (the app's account is the key's account).
ALTER TABLE api_keys ADD COLUMN mail_app_id bigint REFERENCES mail_apps (id);
CREATE INDEX api_keys_mail_app ON api_keys (mail_app_id) WHERE mail_app_id IS NOT NULL;

-- +goose Down
DROP INDEX api_keys_mail_app;
ALTER TABLE api_keys DROP COLUMN mail_app_id;
DROP TABLE mail_suppressions;
DROP TABLE mail_events;
DROP TABLE mail_recipients;
DROP TABLE mail_messages;
