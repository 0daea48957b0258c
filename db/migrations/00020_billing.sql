-- +goose Up
-- Lumi money: a balance per account and the append-only ledger that explains
-- it, deposits (top-up invoices), four-eyes adjustment requests, and the
-- sealed webhook secrets of the payment providers.
--
-- Every balance change runs in one transaction: lock the balance row, insert
-- the ledger entry with the balance after it, update the balance, write the
-- audit row. The database refuses a negative balance, a zero entry, an entry
-- whose sign does not fit its kind, a second credit for one deposit or one
-- approved request, and any UPDATE, DELETE or TRUNCATE of the ledger.

CREATE TABLE balances (
    account_id     bigint      PRIMARY KEY REFERENCES accounts (id),
    balance_cents  bigint      NOT NULL DEFAULT 0 CHECK (balance_cents >= 0),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX balances_amount ON balances (balance_cents, account_id);

CREATE TABLE ledger_entries (
    id                   bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id           bigint      NOT NULL REFERENCES accounts (id),
    amount_cents         bigint      NOT NULL CHECK (amount_cents <> 0),
    kind                 text        NOT NULL CHECK (kind IN ('deposit', 'purchase', 'renewal', 'refund', 'adjustment')),
    -- what caused the entry: ('deposit', '12'), ('domain', '77'), ('adjustment_request', '3') ...
    cause_type           text        NOT NULL DEFAULT '',
    cause_id             text        NOT NULL DEFAULT '',
    -- a refund names the purchase or renewal it gives back (at most its amount, in total)
    refund_of_id         bigint      REFERENCES ledger_entries (id),
    idempotency_key      text,
    actor_kind           text        NOT NULL,
    actor_id             text        NOT NULL DEFAULT '',
    actor_label          text        NOT NULL DEFAULT '',
    reason               text        NOT NULL DEFAULT '',
    balance_after_cents  bigint      NOT NULL CHECK (balance_after_cents >= 0),
    created_at           timestamptz NOT NULL DEFAULT now(),
    CHECK (CASE kind
               WHEN 'deposit' THEN amount_cents > 0
               WHEN 'refund' THEN amount_cents > 0
               WHEN 'purchase' THEN amount_cents < 0
               WHEN 'renewal' THEN amount_cents < 0
               ELSE true
           END),
    CHECK ((kind = 'refund') = (refund_of_id IS NOT NULL)),
    CHECK (idempotency_key IS NULL OR length(idempotency_key) BETWEEN 1 AND 200)
);
-- A retried request with the same key finds the first entry instead of moving money again.
CREATE UNIQUE INDEX ledger_entries_idempotency ON ledger_entries (account_id, kind, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
-- A deposit credits once; an approved request is applied once.
CREATE UNIQUE INDEX ledger_entries_one_per_deposit ON ledger_entries (cause_id)
    WHERE kind = 'deposit' AND cause_type = 'deposit';
CREATE UNIQUE INDEX ledger_entries_one_per_request ON ledger_entries (cause_id)
    WHERE cause_type = 'adjustment_request';
CREATE INDEX ledger_entries_account ON ledger_entries (account_id, id);
CREATE INDEX ledger_entries_kind ON ledger_entries (kind, id);
CREATE INDEX ledger_entries_time ON ledger_entries (created_at, id);
CREATE INDEX ledger_entries_cause ON ledger_entries (cause_type, cause_id) WHERE cause_type <> '';
CREATE INDEX ledger_entries_refund_of ON ledger_entries (refund_of_id) WHERE refund_of_id IS NOT NULL;

-- +goose StatementBegin
CREATE FUNCTION ledger_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger_entries is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only();
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_append_only();

-- Top-up invoices. A paid deposit has exactly one ledger entry (cause 'deposit', id).
CREATE TABLE deposits (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    public_id     text        NOT NULL UNIQUE,
    account_id    bigint      NOT NULL REFERENCES accounts (id),
    amount_cents  bigint      NOT NULL CHECK (amount_cents > 0),
    provider      text        NOT NULL CHECK (provider IN ('sandbox_crypto', 'manual')),
    status        text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'paid', 'expired', 'cancelled')),
    provider_ref  text        UNIQUE,
    pay_url       text        NOT NULL DEFAULT '',
    note          text        NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    paid_at       timestamptz,
    expires_at    timestamptz,
    closed_at     timestamptz,
    CHECK ((status = 'paid') = (paid_at IS NOT NULL))
);
CREATE INDEX deposits_account ON deposits (account_id, id);
CREATE INDEX deposits_pending ON deposits (expires_at) WHERE status = 'pending';

-- Four-eyes: a manual top-up or adjustment above BILLING_APPROVAL_LIMIT waits
-- here until a different finance user approves it. Approval applies it in the
-- same transaction, so 'approved' is never seen on its own: a request goes
-- pending -> applied (with its ledger entry) or pending -> rejected.
CREATE TABLE adjustment_requests (
    id               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id       bigint      NOT NULL REFERENCES accounts (id),
    kind             text        NOT NULL CHECK (kind IN ('topup', 'adjustment')),
    amount_cents     bigint      NOT NULL CHECK (amount_cents <> 0),
    reason           text        NOT NULL CHECK (reason <> ''),
    status           text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected', 'applied')),
    requested_by     bigint      REFERENCES staff_users (id),
    requested_kind   text        NOT NULL,
    requested_label  text        NOT NULL DEFAULT '',
    decided_by       bigint      REFERENCES staff_users (id),
    decided_label    text        NOT NULL DEFAULT '',
    decided_at       timestamptz,
    decision_reason  text        NOT NULL DEFAULT '',
    ledger_entry_id  bigint      REFERENCES ledger_entries (id),
    created_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (kind <> 'topup' OR amount_cents > 0),
    -- the second pair of eyes, in the database too
    CHECK (decided_by IS NULL OR requested_by IS NULL OR decided_by <> requested_by),
    CHECK ((status = 'applied') = (ledger_entry_id IS NOT NULL)),
    CHECK ((status = 'pending') = (decided_at IS NULL))
);
CREATE INDEX adjustment_requests_pending ON adjustment_requests (id) WHERE status = 'pending';
CREATE INDEX adjustment_requests_account ON adjustment_requests (account_id, id);

-- Webhook secrets of payment providers, sealed under the master key;
-- generated on first use, shared by every server process.
CREATE TABLE billing_provider_secrets (
    provider       text        PRIMARY KEY,
    secret_sealed  bytea       NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE billing_provider_secrets;
DROP TABLE adjustment_requests;
DROP TABLE deposits;
DROP TRIGGER ledger_entries_no_truncate ON ledger_entries;
DROP TRIGGER ledger_entries_no_update ON ledger_entries;
DROP TABLE ledger_entries;
DROP FUNCTION ledger_entries_append_only();
DROP TABLE balances;
