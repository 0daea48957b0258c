-- +goose Up
-- Money requests that survive a killed process (issue 7, section 3).
--
-- Crypto Pay (@CryptoBot) is a deposit provider.
ALTER TABLE deposits DROP CONSTRAINT deposits_provider_check;
ALTER TABLE deposits ADD CONSTRAINT deposits_provider_check
    CHECK (provider IN ('sandbox_crypto', 'manual', 'cryptobot'));

-- A deposit is created under the client's idempotency key before its
-- provider is called, so a retry after a crash finds the row (and its
-- invoice) instead of opening a second invoice.
ALTER TABLE deposits ADD COLUMN idempotency_key text;
CREATE UNIQUE INDEX deposits_idem ON deposits (account_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

-- Idempotency claims are no longer rows: a request holds a session advisory
-- lock (internal/apikeys) that Postgres releases when its connection dies.
-- A row is written 'applied' in the transaction that moves the money and
-- 'done' with the response once it is known.
DELETE FROM api_idempotency WHERE status = 'in_progress';
ALTER TABLE api_idempotency DROP CONSTRAINT api_idempotency_status_check;
ALTER TABLE api_idempotency ADD CONSTRAINT api_idempotency_status_check
    CHECK (status IN ('in_progress', 'applied', 'done'));

-- Start-up and periodic sweeps look for running batches whose lease ran out.
CREATE INDEX api_batches_running ON api_batches (lease_until) WHERE status = 'running';

-- +goose Down
DROP INDEX api_batches_running;
DELETE FROM api_idempotency WHERE status = 'applied';
ALTER TABLE api_idempotency DROP CONSTRAINT api_idempotency_status_check;
ALTER TABLE api_idempotency ADD CONSTRAINT api_idempotency_status_check CHECK (status IN ('in_progress', 'done'));
DROP INDEX deposits_idem;
ALTER TABLE deposits DROP COLUMN idempotency_key;
DELETE FROM deposits WHERE provider = 'cryptobot' AND status <> 'paid';
ALTER TABLE deposits DROP CONSTRAINT deposits_provider_check;
ALTER TABLE deposits ADD CONSTRAINT deposits_provider_check CHECK (provider IN ('sandbox_crypto', 'manual'));
