-- +goose Up
-- Lumora templates: an account's reusable messages, named by a slug in the
-- send API. Every save keeps the text it replaced as a version, so the
-- console can show the history and a diff between any two versions, and a
-- message sent last week can be traced to the words it went out with.
--
-- A delete is soft (status 'deleted', deleted_at set): versions stay for the
-- history and the audit trail, and the slug is free for a new template, as
-- the slug is unique only among the live templates of an account.

CREATE TABLE mail_templates (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id  bigint      NOT NULL REFERENCES accounts (id),
    public_id   text        NOT NULL UNIQUE CHECK (public_id ~ '^tpl_[A-Za-z0-9]{8,32}$'),
    slug        text        NOT NULL CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name        text        NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    subject     text        NOT NULL,
    html        text        NOT NULL,
    text        text        NOT NULL,
    -- The number of the current content; every edit adds one and keeps the previous in mail_template_versions.
    version     integer     NOT NULL DEFAULT 1 CHECK (version >= 1),
    status      text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'deleted')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz,
    CHECK ((status = 'deleted') = (deleted_at IS NOT NULL))
);
-- One live template per slug and account (the send API looks them up by slug).
CREATE UNIQUE INDEX mail_templates_account_slug ON mail_templates (account_id, slug) WHERE status = 'active';
CREATE INDEX mail_templates_account ON mail_templates (account_id, id) WHERE status = 'active';

-- Every version of a template's content, the current one included (version
-- = mail_templates.version), written in the transaction of the save.
CREATE TABLE mail_template_versions (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    template_id  bigint      NOT NULL REFERENCES mail_templates (id),
    version      integer     NOT NULL CHECK (version >= 1),
    name         text        NOT NULL,
    subject      text        NOT NULL,
    html         text        NOT NULL,
    text         text        NOT NULL,
    -- Who saved it, as the audit trail names actors ("staff", "api_key", ...; the label for people).
    created_by_kind   text   NOT NULL,
    created_by_id     text   NOT NULL DEFAULT '',
    created_by_label  text   NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT mail_template_versions_number UNIQUE (template_id, version)
);

-- +goose Down
DROP TABLE mail_template_versions;
DROP TABLE mail_templates;
