-- +goose Up
-- Whole walks of the audit hash chain, shared by every node. At a million
-- events a walk takes seconds, so the audit page no longer walks the whole
-- chain itself once it is large: it shows the newest walk recorded here
-- (the hourly audit.verify_chain job, `lumdesk audit verify`) and verifies
-- only the events after through_id, from through_hash.
CREATE TABLE audit_chain_checks (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz NOT NULL DEFAULT now(),
    events       bigint NOT NULL CHECK (events >= 0),
    first_id     bigint NOT NULL,
    anchored     boolean NOT NULL,
    through_id   bigint NOT NULL,
    through_hash bytea NOT NULL,
    ok           boolean NOT NULL,
    bad_id       bigint NOT NULL DEFAULT 0,
    problem      text NOT NULL DEFAULT ''
);

-- +goose Down
DROP TABLE audit_chain_checks;
