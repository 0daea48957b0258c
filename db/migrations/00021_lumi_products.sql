-- +goose Up
-- Lumi products sold against the balance: a price catalogue with history
-- (the current price of a thing is the row with the latest effective_from
-- that is not in the future), and the domains, VPS and proxies bought.
--
-- A purchase inserts its item as 'pending' in the transaction of its debit;
-- the registrar or provisioner is called after commit; the item becomes
-- 'active', or 'failed' in the transaction that refunds the debit.

CREATE TABLE lumi_tld_prices (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tld             text        NOT NULL CHECK (tld ~ '^[a-z][a-z0-9-]{0,23}$'),
    register_cents  bigint      NOT NULL CHECK (register_cents > 0),
    renew_cents     bigint      NOT NULL CHECK (renew_cents > 0),
    transfer_cents  bigint      NOT NULL CHECK (transfer_cents > 0),
    effective_from  timestamptz NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tld, effective_from)
);

CREATE TABLE lumi_plan_prices (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product         text        NOT NULL CHECK (product IN ('vps', 'proxy')),
    plan            text        NOT NULL CHECK (plan ~ '^[a-z0-9][a-z0-9-]{0,39}$'),
    title           text        NOT NULL DEFAULT '',
    description     text        NOT NULL DEFAULT '',
    monthly_cents   bigint      NOT NULL CHECK (monthly_cents > 0),
    effective_from  timestamptz NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (product, plan, effective_from)
);

CREATE TABLE lumi_domains (
    id                     bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id             bigint      NOT NULL REFERENCES accounts (id),
    name                   text        NOT NULL CHECK (name = lower(name) AND length(name) BETWEEN 3 AND 253),
    status                 text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'active', 'expired', 'failed')),
    expires_at             timestamptz,
    auto_renew             boolean     NOT NULL DEFAULT false,
    locked                 boolean     NOT NULL DEFAULT true,
    privacy                boolean     NOT NULL DEFAULT true,
    nameservers            text[]      NOT NULL DEFAULT '{}',
    registrar_ref          text        NOT NULL DEFAULT '',
    idempotency_key        text,
    renewal_failed_at      timestamptz,
    renewal_failed_reason  text        NOT NULL DEFAULT '',
    failure                text        NOT NULL DEFAULT '',
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now()
);
-- A name is held by one live registration; failed purchases free it.
CREATE UNIQUE INDEX lumi_domains_name ON lumi_domains (name) WHERE status <> 'failed';
CREATE UNIQUE INDEX lumi_domains_idem ON lumi_domains (account_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX lumi_domains_account ON lumi_domains (account_id, id);
CREATE INDEX lumi_domains_status ON lumi_domains (status, id);
CREATE INDEX lumi_domains_expiry ON lumi_domains (expires_at, id) WHERE expires_at IS NOT NULL;
CREATE INDEX lumi_domains_due ON lumi_domains (expires_at, id) WHERE auto_renew AND status IN ('active', 'expired');
CREATE INDEX lumi_domains_renew_failed ON lumi_domains (id) WHERE renewal_failed_at IS NOT NULL;

CREATE TABLE lumi_vps (
    id                     bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id             bigint      NOT NULL REFERENCES accounts (id),
    plan                   text        NOT NULL,
    hostname               text        NOT NULL DEFAULT '',
    status                 text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'active', 'expired', 'failed')),
    power                  text        NOT NULL DEFAULT 'stopped' CHECK (power IN ('running', 'stopped')),
    ip                     text        NOT NULL DEFAULT '',
    provider_ref           text        NOT NULL DEFAULT '',
    expires_at             timestamptz,
    auto_renew             boolean     NOT NULL DEFAULT false,
    idempotency_key        text,
    renewal_failed_at      timestamptz,
    renewal_failed_reason  text        NOT NULL DEFAULT '',
    failure                text        NOT NULL DEFAULT '',
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX lumi_vps_idem ON lumi_vps (account_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX lumi_vps_account ON lumi_vps (account_id, id);
CREATE INDEX lumi_vps_status ON lumi_vps (status, id);
CREATE INDEX lumi_vps_expiry ON lumi_vps (expires_at, id) WHERE expires_at IS NOT NULL;
CREATE INDEX lumi_vps_due ON lumi_vps (expires_at, id) WHERE auto_renew AND status IN ('active', 'expired');

CREATE TABLE lumi_proxies (
    id                     bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id             bigint      NOT NULL REFERENCES accounts (id),
    plan                   text        NOT NULL,
    type                   text        NOT NULL CHECK (type IN ('http', 'socks5')),
    country                text        NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
    status                 text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'active', 'expired', 'failed')),
    host                   text        NOT NULL DEFAULT '',
    port                   integer     NOT NULL DEFAULT 0,
    username               text        NOT NULL DEFAULT '',
    password_sealed        bytea,
    allow_ips              text[]      NOT NULL DEFAULT '{}',
    provider_ref           text        NOT NULL DEFAULT '',
    expires_at             timestamptz,
    auto_renew             boolean     NOT NULL DEFAULT false,
    idempotency_key        text,
    renewal_failed_at      timestamptz,
    renewal_failed_reason  text        NOT NULL DEFAULT '',
    failure                text        NOT NULL DEFAULT '',
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX lumi_proxies_idem ON lumi_proxies (account_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX lumi_proxies_account ON lumi_proxies (account_id, id);
CREATE INDEX lumi_proxies_status ON lumi_proxies (status, id);
CREATE INDEX lumi_proxies_expiry ON lumi_proxies (expires_at, id) WHERE expires_at IS NOT NULL;
CREATE INDEX lumi_proxies_due ON lumi_proxies (expires_at, id) WHERE auto_renew AND status IN ('active', 'expired');

-- +goose Down
DROP TABLE lumi_proxies;
DROP TABLE lumi_vps;
DROP TABLE lumi_domains;
DROP TABLE lumi_plan_prices;
DROP TABLE lumi_tld_prices;
