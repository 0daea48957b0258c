-- +goose Up
-- Lumora (mail): the apps of an account and the sending domains it proves it
-- controls through DNS. A domain carries its own DKIM key pair (the private
-- half sealed under the master key, bound to the row's id) and the four
-- records the customer must publish, each checked on its own so the console
-- can say which one is wrong and what was found instead.
--
-- A domain is 'pending' until every record verifies once, then 'verified'.
-- A verified domain whose records stop verifying (the periodic re-check)
-- becomes 'failing' from failing_since; sending goes on for a grace period
-- after it, so a DNS mistake does not stop a customer's mail at once.

CREATE TABLE mail_apps (
    id                  bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id          bigint      NOT NULL REFERENCES accounts (id),
    name                text        NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    default_from_email  text        NOT NULL DEFAULT '',
    default_from_name   text        NOT NULL DEFAULT '',
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    -- Keys, logs and webhooks name the app; two of one name would be told apart by id only.
    CONSTRAINT mail_apps_account_name UNIQUE (account_id, name)
);

CREATE TABLE mail_domains (
    id                       bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id               bigint      NOT NULL REFERENCES accounts (id),
    -- Lower-case ASCII (IDNA A-labels); the service normalises before insert.
    name                     text        NOT NULL CHECK (name = lower(name) AND length(name) BETWEEN 3 AND 253),
    status                   text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'verified', 'failing')),
    dkim_selector            text        NOT NULL CHECK (dkim_selector ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    -- PKCS#8 DER sealed with secretbox under the context "mail_domain_dkim:<id>";
    -- empty only between the insert and the update in the same transaction.
    dkim_private_key_sealed  bytea       NOT NULL DEFAULT ''::bytea,
    dkim_public_key          text        NOT NULL, -- base64 of the PKIX DER, as published in p=
    verified_at              timestamptz,          -- when it last became verified
    failing_since            timestamptz,          -- set while status = 'failing'
    last_checked_at          timestamptz,
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT mail_domains_account_name UNIQUE (account_id, name),
    CHECK ((status = 'failing') = (failing_since IS NOT NULL))
);
-- The re-check job walks the domains that were verified once, oldest check first.
CREATE INDEX mail_domains_recheck ON mail_domains (last_checked_at NULLS FIRST, id) WHERE status IN ('verified', 'failing');
CREATE INDEX mail_domains_status ON mail_domains (status, id);

CREATE TABLE mail_domain_records (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    domain_id   bigint      NOT NULL REFERENCES mail_domains (id) ON DELETE CASCADE,
    kind        text        NOT NULL CHECK (kind IN ('spf', 'dkim', 'return_path', 'dmarc')),
    type        text        NOT NULL CHECK (type IN ('TXT', 'CNAME')),
    name        text        NOT NULL, -- fully qualified, without the trailing dot
    value       text        NOT NULL, -- what to publish
    status      text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'verified', 'failing')),
    found       text        NOT NULL DEFAULT '', -- what the last check saw, in words
    checked_at  timestamptz,
    CONSTRAINT mail_domain_records_kind UNIQUE (domain_id, kind)
);

-- +goose Down
DROP TABLE mail_domain_records;
DROP TABLE mail_domains;
DROP TABLE mail_apps;
