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

-- +goose Down
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
