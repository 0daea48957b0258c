-- +goose Up
-- The accounts list, the audit log and the Lumi ledger at a million rows
-- each (`lumdesk seed --scale 1 --accounts 1000000 --audit 1000000
-- --ledger 1000000`; measured in the README's Performance section).

-- The audit log's actor search (ListAuditEventsPage: actor_label ILIKE a
-- substring) read every event when the actor matched few or none: 1.2 s at
-- a million events. The trigram index finds them; a partitioned index, so
-- every month's partition gets its own.
CREATE INDEX audit_events_actor_label_trgm ON audit_events USING gin (actor_label gin_trgm_ops);
-- The same filter also matches the actor's exact id (OR actor_id = ...):
-- without an index led by actor_id (audit_events_actor leads with the
-- kind) the planner cannot combine the two and read every event again.
CREATE INDEX audit_events_actor_id ON audit_events (actor_id);

-- The action filter is a prefix ("account." = every account action):
-- starts_with() reads a btree range only from an index in the "C"
-- collation. Without it, counting a rare action's events read the whole
-- table (1.1 s); audit_events_action stays for the loose index scan of the
-- filter's choices (ListAuditActions), which compares in the database's
-- collation.
CREATE INDEX audit_events_action_prefix ON audit_events (action COLLATE "C");

-- Suspended accounts are a few percent: counting them (up to
-- listcount.Cap) read the table until 10,001 were found (0.2-0.3 s). The
-- partial index also serves the newest-first list of them.
CREATE INDEX accounts_suspended ON accounts (created_at, id) WHERE status = 'suspended';

-- The chain head (00041) advanced once per inserted row. Within one
-- transaction each update of the one row walks every version the
-- transaction made before it, so a statement inserting many events (a
-- bulk load, a restore's COPY) cost the square of its size (20,000 events:
-- 4.5 s) and left the table with one dead version per event: after a
-- million, every audit write's read of the head scanned 10,000 empty pages
-- (50 ms, under the chain's lock) until a VACUUM FULL. Once per statement,
-- from the statement's new rows, it costs one update whatever the size.
-- A statement trigger on the parent fires for rows inserted through it,
-- which is every writer; rows moved between partitions by
-- partition_create_month (inserted into the partition itself) are old
-- ones and never advanced the head anyway.
DROP TRIGGER audit_events_chain_head ON audit_events;

-- +goose StatementBegin
CREATE FUNCTION audit_chain_advance_statement() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit_chain_head (event_id, hash)
    SELECT id, hash FROM audit_added ORDER BY id DESC LIMIT 1
    ON CONFLICT (one) DO UPDATE SET event_id = EXCLUDED.event_id, hash = EXCLUDED.hash
    WHERE audit_chain_head.event_id < EXCLUDED.event_id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER audit_events_chain_head AFTER INSERT ON audit_events
    REFERENCING NEW TABLE AS audit_added
    FOR EACH STATEMENT EXECUTE FUNCTION audit_chain_advance_statement();

-- +goose Down
DROP TRIGGER audit_events_chain_head ON audit_events;
DROP FUNCTION audit_chain_advance_statement();
CREATE TRIGGER audit_events_chain_head AFTER INSERT ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_chain_advance();
DROP INDEX accounts_suspended;
DROP INDEX audit_events_action_prefix;
DROP INDEX audit_events_actor_id;
DROP INDEX audit_events_actor_label_trgm;
