-- +goose Up
-- The audit page's filter choices (ListAuditActions, ListAuditEntityTypes)
-- were a loose index scan of audit_events on every page load: one probe per
-- distinct value in every month's partition (30 - 56 ms at a million
-- events over 18 partitions). The distinct values are few and rarely new,
-- so they are kept in a table instead, added to by the statement trigger
-- that advances the chain head (00043), from the same transition table:
-- one primary-key probe per distinct value a statement inserts, and a
-- write only for a value never seen. A partition moved or restored into
-- place is not inserted through the parent; its values were when its rows
-- first arrived. Detaching a month (internal/platform/partition) prunes
-- the values no remaining event has, in the detaching transaction.
CREATE TABLE audit_filter_choices (
    kind  text NOT NULL CHECK (kind IN ('action', 'entity_type')),
    value text NOT NULL,
    PRIMARY KEY (kind, value)
);

WITH RECURSIVE a(v) AS (
    SELECT min(action) FROM audit_events
    UNION ALL
    SELECT (SELECT min(action) FROM audit_events WHERE action > a.v) FROM a WHERE a.v IS NOT NULL
), e(v) AS (
    SELECT min(entity_type) FROM audit_events WHERE entity_type <> ''
    UNION ALL
    SELECT (SELECT min(entity_type) FROM audit_events WHERE entity_type > e.v) FROM e WHERE e.v IS NOT NULL
)
INSERT INTO audit_filter_choices (kind, value)
SELECT 'action', v FROM a WHERE v IS NOT NULL
UNION ALL
SELECT 'entity_type', v FROM e WHERE v IS NOT NULL;

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION audit_chain_advance_statement() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit_chain_head (event_id, hash)
    SELECT id, hash FROM audit_added ORDER BY id DESC LIMIT 1
    ON CONFLICT (one) DO UPDATE SET event_id = EXCLUDED.event_id, hash = EXCLUDED.hash
    WHERE audit_chain_head.event_id < EXCLUDED.event_id;
    INSERT INTO audit_filter_choices (kind, value)
    SELECT DISTINCT 'action', action FROM audit_added
    UNION
    SELECT DISTINCT 'entity_type', entity_type FROM audit_added WHERE entity_type <> ''
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- The accounts page's sign-up chart (CountAccountSignupsPerDay) counted
-- the last 30 days' accounts on every load (82,000 at a million accounts,
-- 157 ms). It reads a daily roll-up instead: one row per UTC day, kept by
-- statement triggers on accounts from their transition tables (a COPY of a
-- bulk load included: one upsert per day it covers), and by a row trigger
-- on the rare change of created_at (BackdateAccount, demo seeding); no
-- TRUNCATE reaches accounts (the ledger's trigger refuses the cascade). Each
-- sign-up's transaction holds its day's row until it commits; account
-- writes already queue on the audit chain's lock, which they all take.
CREATE TABLE account_signups_daily (
    day date   PRIMARY KEY,
    n   bigint NOT NULL CHECK (n >= 0)
);

INSERT INTO account_signups_daily (day, n)
SELECT (created_at AT TIME ZONE 'UTC')::date, count(*) FROM accounts GROUP BY 1;

-- +goose StatementBegin
CREATE FUNCTION account_signups_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO account_signups_daily (day, n)
    SELECT (created_at AT TIME ZONE 'UTC')::date, count(*) FROM accounts_added GROUP BY 1 ORDER BY 1
    ON CONFLICT (day) DO UPDATE SET n = account_signups_daily.n + EXCLUDED.n;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION account_signups_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE account_signups_daily d SET n = d.n - r.n
    FROM (SELECT (created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n FROM accounts_removed GROUP BY 1) r
    WHERE d.day = r.day;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION account_signups_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE account_signups_daily SET n = n - 1 WHERE day = (OLD.created_at AT TIME ZONE 'UTC')::date;
    INSERT INTO account_signups_daily (day, n) VALUES ((NEW.created_at AT TIME ZONE 'UTC')::date, 1)
    ON CONFLICT (day) DO UPDATE SET n = account_signups_daily.n + 1;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER accounts_signups_added AFTER INSERT ON accounts
    REFERENCING NEW TABLE AS accounts_added
    FOR EACH STATEMENT EXECUTE FUNCTION account_signups_added();
CREATE TRIGGER accounts_signups_removed AFTER DELETE ON accounts
    REFERENCING OLD TABLE AS accounts_removed
    FOR EACH STATEMENT EXECUTE FUNCTION account_signups_removed();
CREATE TRIGGER accounts_signups_moved AFTER UPDATE OF created_at ON accounts
    FOR EACH ROW WHEN (OLD.created_at IS DISTINCT FROM NEW.created_at)
    EXECUTE FUNCTION account_signups_moved();

-- The accounts list's search sorted by name (ListAccountsNameAsc/Desc) walks
-- the names in order and filters each row until a page of matches is found:
-- a common search passes tens of thousands of names (maria, a first name
-- halfway through the alphabet: 134,000), each a heap fetch and three
-- ILIKEs (`silva` 115 ms, `maria` 660 ms at a million accounts). The
-- searched text is stored once, lower-cased, in the "C" collation (a LIKE
-- over it costs a fifth of the three ILIKEs), and the name index carries it
-- with the name, so the walk reads the index alone. The fields are joined
-- by U+001F, which a search may not contain (accounts.ValidateListParams),
-- so no match spans two fields; lower() is what ILIKE applies to both
-- sides. Adding the column rewrites the table (about 1.5 minutes at a
-- million accounts on the measuring machine, under an exclusive lock).
ALTER TABLE accounts ADD COLUMN search_text text COLLATE "C"
    GENERATED ALWAYS AS (lower(name || chr(31) || email::text || chr(31) || discord_id)) STORED;
CREATE INDEX accounts_search_trgm ON accounts USING gin (search_text gin_trgm_ops);
CREATE INDEX accounts_name_search ON accounts (lower(name), id) INCLUDE (name, search_text);
DROP INDEX accounts_name_sort;

-- +goose Down
CREATE INDEX accounts_name_sort ON accounts (lower(name), id);
DROP INDEX accounts_name_search;
DROP INDEX accounts_search_trgm;
ALTER TABLE accounts DROP COLUMN search_text;
DROP TRIGGER accounts_signups_moved ON accounts;
DROP TRIGGER accounts_signups_removed ON accounts;
DROP TRIGGER accounts_signups_added ON accounts;
DROP FUNCTION account_signups_moved();
DROP FUNCTION account_signups_removed();
DROP FUNCTION account_signups_added();
DROP TABLE account_signups_daily;
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION audit_chain_advance_statement() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit_chain_head (event_id, hash)
    SELECT id, hash FROM audit_added ORDER BY id DESC LIMIT 1
    ON CONFLICT (one) DO UPDATE SET event_id = EXCLUDED.event_id, hash = EXCLUDED.hash
    WHERE audit_chain_head.event_id < EXCLUDED.event_id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
DROP TABLE audit_filter_choices;
