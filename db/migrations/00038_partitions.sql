-- +goose Up
-- Month partitions for the history tables that grow with use (issue 14,
-- docs/scaling.md "Growth by volume: history"): range on their time column,
-- one partition per UTC month named <table>_YYYY_MM, plus a DEFAULT
-- partition <table>_default as a safety net (normally empty: a row whose
-- month has no partition yet lands there instead of failing; creating that
-- month's partition moves it out). internal/platform/partition creates the
-- coming months and drops or detaches the months past each table's
-- retention, through the two functions below.
--
-- Not partitioned: lumira_actions (read and settled by id and public id,
-- referenced by lumira_findings) and marketplace_install_events (its primary
-- key is the dedupe key); see docs/scaling.md.

-- The partition key column of parent and a SQL expression of it as a UTC
-- timestamp (so months are UTC months whatever the session's TimeZone).
-- +goose StatementBegin
CREATE FUNCTION partition_key(parent text, OUT col text, OUT utc text) LANGUAGE plpgsql STABLE AS $$
DECLARE
    typ oid;
BEGIN
    SELECT a.attname, a.atttypid INTO col, typ
    FROM pg_partitioned_table p
    JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]
    WHERE p.partrelid = parent::regclass;
    IF col IS NULL THEN
        RAISE EXCEPTION 'partition_key: % is not a partitioned table', parent;
    END IF;
    IF typ = 'timestamptz'::regtype THEN
        utc := format('(%I AT TIME ZONE ''UTC'')', col);
    ELSE
        utc := format('(%I::timestamp)', col);
    END IF;
END;
$$;
-- +goose StatementEnd

-- partition_create_month makes parent's partition for the UTC month that
-- starts at month, unless it exists; rows of that month waiting in the
-- DEFAULT partition move into it (Postgres refuses a partition overlapping
-- rows of the default: the default is detached, emptied of them and
-- attached again, so even audit_events' no-delete trigger, which a detached
-- table no longer has, stays in force on the live table). True when it
-- created the partition. Callers serialise on a transaction-scoped advisory
-- lock per parent, taken here too.
-- +goose StatementBegin
CREATE FUNCTION partition_create_month(parent text, month date) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    part    text := parent || '_' || to_char(month, 'YYYY_MM');
    def     text := parent || '_default';
    k       record;
    lo      text := quote_literal(to_char(month, 'YYYY-MM-DD') || ' 00:00:00+00');
    hi      text := quote_literal(to_char(month + interval '1 month', 'YYYY-MM-DD') || ' 00:00:00+00');
    inrange text;
    waiting boolean := false;
BEGIN
    IF month IS NULL OR extract(day FROM month) <> 1 THEN
        RAISE EXCEPTION 'partition_create_month: % is not the first day of a month', month;
    END IF;
    PERFORM pg_advisory_xact_lock(7400114, hashtext(parent));
    IF to_regclass(part) IS NOT NULL THEN
        RETURN false; -- a partition already, or a detached month kept as a table: left alone
    END IF;
    SELECT * INTO k FROM partition_key(parent);
    inrange := format('%I >= %s AND %I < %s', k.col, lo, k.col, hi);
    IF EXISTS (SELECT 1 FROM pg_inherits WHERE inhparent = parent::regclass AND inhrelid = to_regclass(def)) THEN
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE %s)', def, inrange) INTO waiting;
    END IF;
    IF NOT waiting THEN
        EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%s) TO (%s)', part, parent, lo, hi);
        RETURN true;
    END IF;
    EXECUTE format('ALTER TABLE %I DETACH PARTITION %I', parent, def);
    EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%s) TO (%s)', part, parent, lo, hi);
    EXECUTE format('INSERT INTO %I OVERRIDING SYSTEM VALUE SELECT * FROM %I WHERE %s', part, def, inrange);
    EXECUTE format('DELETE FROM %I WHERE %s', def, inrange);
    EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I DEFAULT', parent, def);
    RETURN true;
END;
$$;
-- +goose StatementEnd

-- partition_remove_month drops parent's partition of the month (or, with
-- detach, detaches it: it stays as a plain table to archive and drop by
-- hand). True when there was one.
-- +goose StatementBegin
CREATE FUNCTION partition_remove_month(parent text, month date, detach boolean) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    part text := parent || '_' || to_char(month, 'YYYY_MM');
BEGIN
    PERFORM pg_advisory_xact_lock(7400114, hashtext(parent));
    IF NOT EXISTS (SELECT 1 FROM pg_inherits WHERE inhparent = parent::regclass AND inhrelid = to_regclass(part)) THEN
        RETURN false;
    END IF;
    IF detach THEN
        EXECUTE format('ALTER TABLE %I DETACH PARTITION %I', parent, part);
    ELSE
        EXECUTE format('DROP TABLE %I', part);
    END IF;
    RETURN true;
END;
$$;
-- +goose StatementEnd

-- The UTC months of the rows waiting in parent's DEFAULT partition.
-- +goose StatementBegin
CREATE FUNCTION partition_default_months(parent text) RETURNS SETOF date LANGUAGE plpgsql STABLE AS $$
DECLARE
    def text := parent || '_default';
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_inherits WHERE inhparent = parent::regclass AND inhrelid = to_regclass(def)) THEN
        RETURN;
    END IF;
    RETURN QUERY EXECUTE format('SELECT DISTINCT date_trunc(''month'', %s)::date FROM %I ORDER BY 1', (partition_key(parent)).utc, def);
END;
$$;
-- +goose StatementEnd

-- For the conversion only: the default partition and a partition for every
-- month of src's rows and for this month and the next two.
-- +goose StatementBegin
CREATE FUNCTION partition_convert_months(parent text, src text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    m date;
BEGIN
    EXECUTE format('CREATE TABLE %I PARTITION OF %I DEFAULT', parent || '_default', parent);
    FOR m IN EXECUTE format(
        'SELECT date_trunc(''month'', %s)::date FROM %I UNION SELECT date_trunc(''month'', now() AT TIME ZONE ''UTC'')::date + i * interval ''1 month'' FROM generate_series(0, 2) i',
        (partition_key(parent)).utc, src)
    LOOP
        PERFORM partition_create_month(parent, m);
    END LOOP;
END;
$$;
-- +goose StatementEnd

-- Each table: the old one is renamed away, the partitioned one created
-- with the same columns, the rows copied (identity values kept, the
-- sequence continuing where the old one was), the old table dropped, then
-- the keys, indexes and triggers added under their old names. Unique keys
-- of a partitioned table must hold the partition key: the primary keys of
-- mail_events and audit_events become (id, time) (ids stay unique: one
-- sequence), audit_events' hash key (hash, occurred_at).

-- audit_events
ALTER TABLE audit_events RENAME TO audit_events_old;
ALTER SEQUENCE audit_events_id_seq RENAME TO audit_events_old_id_seq;
CREATE TABLE audit_events (
    id           bigint      NOT NULL GENERATED ALWAYS AS IDENTITY,
    occurred_at  timestamptz NOT NULL DEFAULT now(),
    actor_kind   text        NOT NULL CONSTRAINT audit_events_actor_kind_check
                             CHECK (actor_kind IN ('staff', 'api_key', 'system', 'cli', 'anonymous', 'customer', 'discord')),
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
    hash         bytea       NOT NULL
) PARTITION BY RANGE (occurred_at);
SELECT partition_convert_months('audit_events', 'audit_events_old');
INSERT INTO audit_events OVERRIDING SYSTEM VALUE SELECT * FROM audit_events_old;
SELECT setval('audit_events_id_seq', last_value, is_called) FROM audit_events_old_id_seq;
DROP TABLE audit_events_old;
ALTER TABLE audit_events ADD CONSTRAINT audit_events_pkey PRIMARY KEY (id, occurred_at);
ALTER TABLE audit_events ADD CONSTRAINT audit_events_hash_key UNIQUE (hash, occurred_at);
CREATE INDEX audit_events_entity ON audit_events (entity_type, entity_id, id DESC);
CREATE INDEX audit_events_action ON audit_events (action, id DESC);
CREATE INDEX audit_events_actor ON audit_events (actor_kind, actor_id, id DESC);
CREATE INDEX audit_events_time ON audit_events (occurred_at, id);
CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

-- mail_events
ALTER TABLE mail_events RENAME TO mail_events_old;
ALTER SEQUENCE mail_events_id_seq RENAME TO mail_events_old_id_seq;
CREATE TABLE mail_events (
    id            bigint      NOT NULL GENERATED ALWAYS AS IDENTITY,
    message_id    bigint      NOT NULL REFERENCES mail_messages (id) ON DELETE CASCADE,
    app_id        bigint      NOT NULL REFERENCES mail_apps (id),
    account_id    bigint      NOT NULL REFERENCES accounts (id),
    recipient     text        NOT NULL DEFAULT '',
    type          text        NOT NULL CHECK (type IN ('queued', 'delivered', 'deferred', 'bounced', 'failed', 'suppressed', 'complained')),
    at            timestamptz NOT NULL DEFAULT now(),
    detail        text        NOT NULL DEFAULT ''
) PARTITION BY RANGE (at);
SELECT partition_convert_months('mail_events', 'mail_events_old');
INSERT INTO mail_events OVERRIDING SYSTEM VALUE SELECT * FROM mail_events_old;
SELECT setval('mail_events_id_seq', last_value, is_called) FROM mail_events_old_id_seq;
DROP TABLE mail_events_old;
ALTER TABLE mail_events ADD CONSTRAINT mail_events_pkey PRIMARY KEY (id, at);
CREATE INDEX mail_events_app ON mail_events (app_id, id DESC);
CREATE INDEX mail_events_app_type ON mail_events (app_id, type, id DESC);
CREATE INDEX mail_events_app_recipient ON mail_events (app_id, lower(recipient), id DESC);
CREATE INDEX mail_events_app_at ON mail_events (app_id, at);
CREATE INDEX mail_events_account ON mail_events (account_id, id DESC);
CREATE INDEX mail_events_message ON mail_events (message_id, id);

-- the daily execution counts (their keys already hold the day)
ALTER TABLE license_key_daily_executions RENAME TO license_key_daily_executions_old;
CREATE TABLE license_key_daily_executions (
    key_id      bigint NOT NULL,
    day         date   NOT NULL,
    executions  bigint NOT NULL
) PARTITION BY RANGE (day);
SELECT partition_convert_months('license_key_daily_executions', 'license_key_daily_executions_old');
INSERT INTO license_key_daily_executions SELECT * FROM license_key_daily_executions_old;
DROP TABLE license_key_daily_executions_old;
ALTER TABLE license_key_daily_executions ADD CONSTRAINT license_key_daily_executions_pkey PRIMARY KEY (key_id, day);

ALTER TABLE licensing_project_daily_executions RENAME TO licensing_project_daily_executions_old;
CREATE TABLE licensing_project_daily_executions (
    project_id  bigint NOT NULL,
    day         date   NOT NULL,
    executions  bigint NOT NULL
) PARTITION BY RANGE (day);
SELECT partition_convert_months('licensing_project_daily_executions', 'licensing_project_daily_executions_old');
INSERT INTO licensing_project_daily_executions SELECT * FROM licensing_project_daily_executions_old;
DROP TABLE licensing_project_daily_executions_old;
ALTER TABLE licensing_project_daily_executions ADD CONSTRAINT licensing_project_daily_executions_pkey PRIMARY KEY (project_id, day);

DROP FUNCTION partition_convert_months(text, text);

-- +goose Down
-- Back to plain tables (a detached month, a plain table already, stays).
ALTER TABLE licensing_project_daily_executions RENAME TO licensing_project_daily_executions_part;
CREATE TABLE licensing_project_daily_executions (
    project_id  bigint NOT NULL,
    day         date   NOT NULL,
    executions  bigint NOT NULL
);
INSERT INTO licensing_project_daily_executions SELECT * FROM licensing_project_daily_executions_part;
DROP TABLE licensing_project_daily_executions_part;
ALTER TABLE licensing_project_daily_executions ADD CONSTRAINT licensing_project_daily_executions_pkey PRIMARY KEY (project_id, day);

ALTER TABLE license_key_daily_executions RENAME TO license_key_daily_executions_part;
CREATE TABLE license_key_daily_executions (
    key_id      bigint NOT NULL,
    day         date   NOT NULL,
    executions  bigint NOT NULL
);
INSERT INTO license_key_daily_executions SELECT * FROM license_key_daily_executions_part;
DROP TABLE license_key_daily_executions_part;
ALTER TABLE license_key_daily_executions ADD CONSTRAINT license_key_daily_executions_pkey PRIMARY KEY (key_id, day);

ALTER TABLE mail_events RENAME TO mail_events_part;
ALTER SEQUENCE mail_events_id_seq RENAME TO mail_events_part_id_seq;
CREATE TABLE mail_events (
    id            bigint      NOT NULL GENERATED ALWAYS AS IDENTITY,
    message_id    bigint      NOT NULL REFERENCES mail_messages (id) ON DELETE CASCADE,
    app_id        bigint      NOT NULL REFERENCES mail_apps (id),
    account_id    bigint      NOT NULL REFERENCES accounts (id),
    recipient     text        NOT NULL DEFAULT '',
    type          text        NOT NULL CHECK (type IN ('queued', 'delivered', 'deferred', 'bounced', 'failed', 'suppressed', 'complained')),
    at            timestamptz NOT NULL DEFAULT now(),
    detail        text        NOT NULL DEFAULT ''
);
INSERT INTO mail_events OVERRIDING SYSTEM VALUE SELECT * FROM mail_events_part;
SELECT setval('mail_events_id_seq', last_value, is_called) FROM mail_events_part_id_seq;
DROP TABLE mail_events_part;
ALTER TABLE mail_events ADD CONSTRAINT mail_events_pkey PRIMARY KEY (id);
CREATE INDEX mail_events_app ON mail_events (app_id, id DESC);
CREATE INDEX mail_events_app_type ON mail_events (app_id, type, id DESC);
CREATE INDEX mail_events_app_recipient ON mail_events (app_id, lower(recipient), id DESC);
CREATE INDEX mail_events_app_at ON mail_events (app_id, at);
CREATE INDEX mail_events_account ON mail_events (account_id, id DESC);
CREATE INDEX mail_events_message ON mail_events (message_id, id);

ALTER TABLE audit_events RENAME TO audit_events_part;
ALTER SEQUENCE audit_events_id_seq RENAME TO audit_events_part_id_seq;
CREATE TABLE audit_events (
    id           bigint      NOT NULL GENERATED ALWAYS AS IDENTITY,
    occurred_at  timestamptz NOT NULL DEFAULT now(),
    actor_kind   text        NOT NULL CONSTRAINT audit_events_actor_kind_check
                             CHECK (actor_kind IN ('staff', 'api_key', 'system', 'cli', 'anonymous', 'customer', 'discord')),
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
    hash         bytea       NOT NULL
);
INSERT INTO audit_events OVERRIDING SYSTEM VALUE SELECT * FROM audit_events_part ORDER BY id;
SELECT setval('audit_events_id_seq', last_value, is_called) FROM audit_events_part_id_seq;
DROP TABLE audit_events_part;
ALTER TABLE audit_events ADD CONSTRAINT audit_events_pkey PRIMARY KEY (id);
ALTER TABLE audit_events ADD CONSTRAINT audit_events_hash_key UNIQUE (hash);
CREATE INDEX audit_events_entity ON audit_events (entity_type, entity_id, id DESC);
CREATE INDEX audit_events_action ON audit_events (action, id DESC);
CREATE INDEX audit_events_actor ON audit_events (actor_kind, actor_id, id DESC);
CREATE INDEX audit_events_time ON audit_events (occurred_at, id);
CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

DROP FUNCTION partition_default_months(text);
DROP FUNCTION partition_remove_month(text, date, boolean);
DROP FUNCTION partition_create_month(text, date);
DROP FUNCTION partition_key(text);
