-- +goose Up
-- The audit chain's newest link, kept in one row. Every audit write reads
-- the previous event's hash under the chain's lock; since audit_events is
-- partitioned by month (00038), "ORDER BY id DESC LIMIT 1" reads the top
-- of every month's index, a cost that grows by twelve partitions a year.
-- A trigger keeps the row, so every insert path (the service, hand-written
-- SQL, a restore) advances it; writers already queue on the chain's lock,
-- so the row adds no waiting.
CREATE TABLE audit_chain_head (
    one      boolean PRIMARY KEY DEFAULT true CHECK (one),
    event_id bigint  NOT NULL,
    hash     bytea   NOT NULL
);
INSERT INTO audit_chain_head (event_id, hash)
SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1;

-- +goose StatementBegin
CREATE FUNCTION audit_chain_advance() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit_chain_head (event_id, hash) VALUES (NEW.id, NEW.hash)
    ON CONFLICT (one) DO UPDATE SET event_id = EXCLUDED.event_id, hash = EXCLUDED.hash
    WHERE audit_chain_head.event_id < EXCLUDED.event_id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER audit_events_chain_head AFTER INSERT ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_chain_advance();

-- +goose Down
DROP TRIGGER audit_events_chain_head ON audit_events;
DROP FUNCTION audit_chain_advance();
DROP TABLE audit_chain_head;
