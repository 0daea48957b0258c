-- +goose Up
-- Long dashboard work (bulk key actions, key generation, CSV imports) runs as
-- background jobs. River (its own tables, migrated by rivermigrate after
-- goose) schedules and retries them; these tables are ours: what a job was
-- asked to do, its progress for the polling job page, and one result row per
-- item. An item's row is written right after (generate, import, extend: in
-- the same transaction as) the change it reports, so a job resumed after a
-- crash continues after the last recorded item.

CREATE TABLE bulk_jobs (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind              text        NOT NULL CHECK (kind IN ('keys.blacklist', 'keys.extend', 'keys.delete', 'keys.generate', 'keys.import')),
    status            text        NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
    -- the staff user who started it (audit rows of the items name them too)
    created_by        bigint      REFERENCES staff_users (id) ON DELETE SET NULL,
    created_by_label  text        NOT NULL DEFAULT '',
    -- public id of the project of a generate or import ('' for key actions)
    project_id        text        NOT NULL DEFAULT '',
    title             text        NOT NULL,
    -- what to do: the kind's parameters and items (ids, CSV rows), the actor
    params            jsonb       NOT NULL,
    total             integer     NOT NULL CHECK (total >= 0),
    done_count        integer     NOT NULL DEFAULT 0,
    ok_count          integer     NOT NULL DEFAULT 0,
    failed_count      integer     NOT NULL DEFAULT 0,
    error             text        NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL DEFAULT now(),
    started_at        timestamptz,
    finished_at       timestamptz,
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX bulk_jobs_created ON bulk_jobs (created_at, id);

-- One result per item, in item order (seq is the item's index in params).
CREATE TABLE bulk_job_items (
    job_id   bigint  NOT NULL REFERENCES bulk_jobs (id) ON DELETE CASCADE,
    seq      integer NOT NULL CHECK (seq >= 0),
    -- what the item is, as the result table shows it: a key id, a CSV row number
    ref      text    NOT NULL,
    key_id   bigint,
    user_key text    NOT NULL DEFAULT '',
    ok       boolean NOT NULL,
    message  text    NOT NULL DEFAULT '',
    -- generated and imported keys: note, key_days, auth_expire for the CSV
    detail   jsonb,
    PRIMARY KEY (job_id, seq)
);

-- +goose Down
DROP TABLE bulk_job_items;
DROP TABLE bulk_jobs;
