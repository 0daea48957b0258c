-- +goose Up
-- lumira_actions by month of created_at, like the other history tables
-- (issue 14, docs/scaling.md "Growth by volume: history"). A busy group
-- ranks members as fast as Roblox allows its key, tens of thousands of
-- actions a day, kept for the member pages' history.
--
-- What the conversion changes:
-- - The keys hold the month: (id, created_at) and (public_id, created_at).
--   ids still come from one sequence. public_id is 80 random bits
--   (ids.Public), so it stays unique in practice though the key no longer
--   promises it across months.
-- - A lookup by id or public_id, which has no time, probes each month's
--   index: one index descent a month kept, a few dozen at most.
-- - lumira_findings.action_id keeps no foreign key: a retention drops a
--   month whole, which a key from findings would refuse, and a finding
--   whose action has gone shows none (ListLumiraFindings joins it).
-- - Updates (a pending action settled) stay in their month: created_at
--   never changes.
ALTER TABLE lumira_findings DROP CONSTRAINT lumira_findings_action_id_fkey;

ALTER TABLE lumira_actions RENAME TO lumira_actions_old;
ALTER SEQUENCE lumira_actions_id_seq RENAME TO lumira_actions_old_id_seq;
CREATE TABLE lumira_actions (
    id             bigint      NOT NULL GENERATED ALWAYS AS IDENTITY,
    public_id      text        NOT NULL,                            -- act_...
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
) PARTITION BY RANGE (created_at);
-- The default partition through EXECUTE, as 00038 made its tables' (sqlc
-- would otherwise make a model of it).
-- +goose StatementBegin
DO $$ BEGIN EXECUTE 'CREATE TABLE lumira_actions_default PARTITION OF lumira_actions DEFAULT'; END $$;
-- +goose StatementEnd
SELECT partition_create_month('lumira_actions', m)
FROM (SELECT date_trunc('month', created_at AT TIME ZONE 'UTC')::date AS m FROM lumira_actions_old
      UNION SELECT (date_trunc('month', now() AT TIME ZONE 'UTC') + i * interval '1 month')::date FROM generate_series(0, 3) i) months
ORDER BY m;
INSERT INTO lumira_actions OVERRIDING SYSTEM VALUE SELECT * FROM lumira_actions_old;
SELECT setval('lumira_actions_id_seq', last_value, is_called) FROM lumira_actions_old_id_seq;
DROP TABLE lumira_actions_old;
ALTER TABLE lumira_actions ADD CONSTRAINT lumira_actions_pkey PRIMARY KEY (id, created_at);
ALTER TABLE lumira_actions ADD CONSTRAINT lumira_actions_public_id_key UNIQUE (public_id, created_at);
CREATE INDEX lumira_actions_group ON lumira_actions (group_id, id DESC);
CREATE INDEX lumira_actions_member ON lumira_actions (group_id, roblox_user_id, id DESC);
CREATE INDEX lumira_actions_pending ON lumira_actions (created_at) WHERE status = 'pending';

-- +goose Down
-- Back to one table (a month detached by hand stays a table of its own).
ALTER TABLE lumira_actions RENAME TO lumira_actions_part;
ALTER SEQUENCE lumira_actions_id_seq RENAME TO lumira_actions_part_id_seq;
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
INSERT INTO lumira_actions SELECT * FROM lumira_actions_part;
SELECT setval('lumira_actions_id_seq', last_value, is_called) FROM lumira_actions_part_id_seq;
DROP TABLE lumira_actions_part;
CREATE INDEX lumira_actions_group ON lumira_actions (group_id, id DESC);
CREATE INDEX lumira_actions_member ON lumira_actions (group_id, roblox_user_id, id DESC);
CREATE INDEX lumira_actions_pending ON lumira_actions (created_at) WHERE status = 'pending';
UPDATE lumira_findings f SET action_id = NULL WHERE action_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM lumira_actions a WHERE a.id = f.action_id);
ALTER TABLE lumira_findings ADD CONSTRAINT lumira_findings_action_id_fkey FOREIGN KEY (action_id) REFERENCES lumira_actions (id);
