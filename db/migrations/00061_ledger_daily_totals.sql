-- +goose Up
-- The Lumi desk's money chart (DailyMoneyTotals) summed the period's ledger
-- entries on every load, twice: 82,000 entries for 30 days at a million,
-- 55 - 75 ms each, 190 ms for 90 days. It reads a daily roll-up instead,
-- one row per UTC day, kept by a statement trigger from the inserted rows
-- (a COPY of a bulk load included). Ledger entries are append-only: no
-- update, delete or truncate reaches them (00020). Every money transaction
-- takes the audit chain's lock before it writes the ledger
-- (billing.Service.tx), so the day's row adds no wait of its own.
CREATE TABLE ledger_daily_totals (
    day            date   PRIMARY KEY,
    deposits_cents bigint NOT NULL,
    spend_cents    bigint NOT NULL,
    refunds_cents  bigint NOT NULL
);

INSERT INTO ledger_daily_totals (day, deposits_cents, spend_cents, refunds_cents)
SELECT (created_at AT TIME ZONE 'UTC')::date,
       coalesce(sum(amount_cents) FILTER (WHERE kind = 'deposit'), 0),
       coalesce(-sum(amount_cents) FILTER (WHERE kind IN ('purchase', 'renewal')), 0),
       coalesce(sum(amount_cents) FILTER (WHERE kind = 'refund'), 0)
FROM ledger_entries GROUP BY 1;

-- +goose StatementBegin
CREATE FUNCTION ledger_daily_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ledger_daily_totals (day, deposits_cents, spend_cents, refunds_cents)
    SELECT (created_at AT TIME ZONE 'UTC')::date,
           coalesce(sum(amount_cents) FILTER (WHERE kind = 'deposit'), 0),
           coalesce(-sum(amount_cents) FILTER (WHERE kind IN ('purchase', 'renewal')), 0),
           coalesce(sum(amount_cents) FILTER (WHERE kind = 'refund'), 0)
    FROM ledger_added GROUP BY 1 ORDER BY 1
    ON CONFLICT (day) DO UPDATE SET
        deposits_cents = ledger_daily_totals.deposits_cents + EXCLUDED.deposits_cents,
        spend_cents    = ledger_daily_totals.spend_cents + EXCLUDED.spend_cents,
        refunds_cents  = ledger_daily_totals.refunds_cents + EXCLUDED.refunds_cents;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER ledger_entries_daily AFTER INSERT ON ledger_entries
    REFERENCING NEW TABLE AS ledger_added
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_daily_added();

-- +goose Down
DROP TRIGGER ledger_entries_daily ON ledger_entries;
DROP FUNCTION ledger_daily_added();
DROP TABLE ledger_daily_totals;
