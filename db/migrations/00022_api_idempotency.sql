-- +goose Up
-- Lumi API money requests: one row per (key, Idempotency-Key). The row is
-- claimed (in_progress) and committed before the operation runs, then
-- completed with the response. A claim left in_progress by a crash expires
-- after the timeout in internal/apikeys (IdempotencyStaleAfter) and may be
-- re-claimed. Rows are kept at least 24 hours (IdempotencyKeep).
CREATE TABLE api_idempotency (
    key_id           bigint      NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    idempotency_key  text        NOT NULL CHECK (length(idempotency_key) BETWEEN 8 AND 200),
    request_hash     bytea       NOT NULL,
    status           text        NOT NULL DEFAULT 'in_progress' CHECK (status IN ('in_progress', 'done')),
    response_status  integer,
    response_body    bytea,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (key_id, idempotency_key)
);
CREATE INDEX api_idempotency_created ON api_idempotency (created_at);

-- Daily USD spend per key (UTC day), for the per-key daily cap.
CREATE TABLE api_key_spend (
    key_id       bigint NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    day          date   NOT NULL,
    spent_cents  bigint NOT NULL DEFAULT 0 CHECK (spent_cents >= 0),
    PRIMARY KEY (key_id, day)
);

-- Asynchronous bulk purchases: the batch and one row per item with its result.
-- The process running a batch holds a lease (lease_until) it renews after
-- each item; a batch whose lease ran out (its process stopped) is taken over
-- by the next poll of GET /v1/batches/{id}. Items debit with the key
-- "<idempotency_key>#<index>", so a taken-over batch never pays twice.
CREATE TABLE api_batches (
    id              text        PRIMARY KEY,
    key_id          bigint      NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    account_id      bigint      NOT NULL REFERENCES accounts (id),
    kind            text        NOT NULL,
    total           integer     NOT NULL CHECK (total >= 0),
    idempotency_key text        NOT NULL,
    lease_until     timestamptz NOT NULL,
    status          text        NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'done')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);
CREATE INDEX api_batches_key ON api_batches (key_id, created_at);

CREATE TABLE api_batch_items (
    batch_id  text    NOT NULL REFERENCES api_batches (id) ON DELETE CASCADE,
    idx       integer NOT NULL,
    ref       text    NOT NULL,
    input     jsonb   NOT NULL,
    status    text    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'ok', 'failed')),
    result    jsonb,
    PRIMARY KEY (batch_id, idx)
);

-- +goose Down
DROP TABLE api_batch_items;
DROP TABLE api_batches;
DROP TABLE api_key_spend;
DROP TABLE api_idempotency;
