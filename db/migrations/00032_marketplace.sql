-- +goose Up
-- Lumio (marketplace): an account's extensions, the versions submitted for
-- review with the facts of their bundle, and write-only secrets.
--
-- Public ids are "ext_" / "ver_" + 16 lower-case base32 characters; the
-- bigint ids stay inside. Pricing is integer cents with its currency and,
-- for a subscription, its interval; the CHECK keeps each type's fields
-- together. ever_public is set the first time the extension is public and
-- never cleared: it freezes the slug and refuses deletion.
--
-- A secret's value is sealed with secretbox under the context
-- "marketplace_secret:<extension public id>:<name>", so a sealed value
-- cannot be moved to another row; no query returns it to a list.
--
-- Install events and their aggregates (totals, active per version, per
-- day) come in a later migration.

CREATE TABLE marketplace_extensions (
    id                 bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    public_id          text        NOT NULL UNIQUE CHECK (public_id ~ '^ext_[a-z2-7]{16}$'),
    account_id         bigint      NOT NULL REFERENCES accounts (id),
    slug               text        NOT NULL CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 64),
    name               text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 80),
    short_description  text        NOT NULL DEFAULT '' CHECK (char_length(short_description) <= 132),
    description        text        NOT NULL DEFAULT '' CHECK (char_length(description) <= 20000),
    pricing_type       text        NOT NULL DEFAULT 'free' CHECK (pricing_type IN ('free', 'one_time', 'subscription')),
    price_cents        bigint,
    currency           text,
    billing_interval   text,
    visibility         text        NOT NULL DEFAULT 'private' CHECK (visibility IN ('private', 'unlisted', 'public')),
    status             text        NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'pending', 'approved', 'rejected', 'suspended')),
    install_count      bigint      NOT NULL DEFAULT 0 CHECK (install_count >= 0),
    rating_count       bigint      NOT NULL DEFAULT 0 CHECK (rating_count >= 0),
    current_version_id bigint,     -- the approved version served (FK below)
    deprecated         boolean     NOT NULL DEFAULT false,
    replacement_id     bigint      REFERENCES marketplace_extensions (id),
    ever_public        boolean     NOT NULL DEFAULT false,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT marketplace_extensions_slug UNIQUE (slug),
    CONSTRAINT marketplace_extensions_pricing CHECK (
        (pricing_type = 'free' AND price_cents IS NULL AND currency IS NULL AND billing_interval IS NULL)
        OR (pricing_type = 'one_time' AND price_cents > 0 AND currency ~ '^[A-Z]{3}$' AND billing_interval IS NULL)
        OR (pricing_type = 'subscription' AND price_cents > 0 AND currency ~ '^[A-Z]{3}$'
            AND billing_interval IN ('month', 'year'))),
    CONSTRAINT marketplace_extensions_public_ever CHECK (visibility <> 'public' OR ever_public),
    CONSTRAINT marketplace_extensions_replacement CHECK (replacement_id IS NULL OR (deprecated AND replacement_id <> id))
);
-- Lists are keyset pages on (updated_at, id), per account or across all.
CREATE INDEX marketplace_extensions_account ON marketplace_extensions (account_id, updated_at DESC, id DESC);
CREATE INDEX marketplace_extensions_updated ON marketplace_extensions (updated_at DESC, id DESC);

CREATE TABLE marketplace_versions (
    id                  bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    public_id           text        NOT NULL UNIQUE CHECK (public_id ~ '^ver_[a-z2-7]{16}$'),
    extension_id        bigint      NOT NULL REFERENCES marketplace_extensions (id) ON DELETE CASCADE,
    version             text        NOT NULL CHECK (length(version) BETWEEN 5 AND 128),
    changelog           text        NOT NULL DEFAULT '' CHECK (char_length(changelog) <= 5000),
    status              text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected', 'withdrawn')),
    bundle_sha256       text        NOT NULL CHECK (bundle_sha256 ~ '^[0-9a-f]{64}$'),
    bundle_size         bigint      NOT NULL CHECK (bundle_size > 0),       -- compressed, as uploaded
    bundle_unpacked_size bigint     NOT NULL CHECK (bundle_unpacked_size >= 0),
    file_count          integer     NOT NULL CHECK (file_count >= 0),
    manifest            jsonb       NOT NULL,
    files               jsonb       NOT NULL,                               -- [{path, size, sha256}]
    submitted_at        timestamptz NOT NULL,
    approved_at         timestamptz,
    reviewed_at         timestamptz,
    reviewer_id         bigint      REFERENCES staff_users (id),
    rejection_reason    text        NOT NULL DEFAULT '' CHECK (char_length(rejection_reason) <= 2000),
    rollout_percent     integer     NOT NULL DEFAULT 100 CHECK (rollout_percent BETWEEN 1 AND 100),
    CONSTRAINT marketplace_versions_version UNIQUE (extension_id, version),
    CONSTRAINT marketplace_versions_rejected CHECK (status <> 'rejected' OR rejection_reason <> ''),
    CONSTRAINT marketplace_versions_approved CHECK (status <> 'approved' OR approved_at IS NOT NULL)
);
-- The review queue: pending versions, oldest first.
CREATE INDEX marketplace_versions_pending ON marketplace_versions (submitted_at, id) WHERE status = 'pending';

ALTER TABLE marketplace_extensions ADD CONSTRAINT marketplace_extensions_current_version
    FOREIGN KEY (current_version_id) REFERENCES marketplace_versions (id);

CREATE TABLE marketplace_secrets (
    extension_id bigint      NOT NULL REFERENCES marketplace_extensions (id) ON DELETE CASCADE,
    name         text        NOT NULL CHECK (name ~ '^[A-Z][A-Z0-9_]{0,63}$'),
    value_sealed bytea       NOT NULL,
    set_by       text        NOT NULL DEFAULT '',   -- who set it, as the audit actor's label
    updated_at   timestamptz NOT NULL,
    PRIMARY KEY (extension_id, name)
);

-- +goose Down
ALTER TABLE marketplace_extensions DROP CONSTRAINT marketplace_extensions_current_version;
DROP TABLE marketplace_secrets;
DROP TABLE marketplace_versions;
DROP TABLE marketplace_extensions;
