-- Lumi checks and reports.

-- Every balance against its ledger, in one snapshot: the ledger's sum, the
-- number of entries whose balance_after does not continue the running sum
-- (in id order, which is the order the balance row lock let them in), and
-- the first such entry. Accounts with entries but no balance row (or the
-- reverse) show up too.
-- name: VerifyBalances :many
WITH chain AS (
    SELECT account_id, id, amount_cents, balance_after_cents,
           sum(amount_cents) OVER (PARTITION BY account_id ORDER BY id) AS running
    FROM ledger_entries
), sums AS (
    SELECT account_id, sum(amount_cents)::bigint AS total, count(*)::bigint AS entries,
           count(*) FILTER (WHERE running <> balance_after_cents)::bigint AS broken,
           min(id) FILTER (WHERE running <> balance_after_cents) AS first_broken_id
    FROM chain GROUP BY account_id
)
SELECT coalesce(b.account_id, s.account_id)::bigint AS account_id,
       (b.account_id IS NOT NULL)::boolean AS has_balance,
       coalesce(b.balance_cents, 0)::bigint AS balance_cents,
       coalesce(s.total, 0)::bigint AS ledger_cents,
       coalesce(s.entries, 0)::bigint AS entries,
       coalesce(s.broken, 0)::bigint AS broken,
       coalesce(s.first_broken_id, 0)::bigint AS first_broken_id
FROM balances b FULL JOIN sums s ON s.account_id = b.account_id
ORDER BY 1;

-- Purchases and renewals refunded for more than they cost.
-- name: RefundOverruns :many
SELECT o.id, o.account_id, o.amount_cents, sum(r.amount_cents)::bigint AS refunded
FROM ledger_entries o JOIN ledger_entries r ON r.refund_of_id = o.id
GROUP BY o.id, o.account_id, o.amount_cents
HAVING sum(r.amount_cents) > -o.amount_cents OR o.amount_cents > 0;

-- Deposits and spend (purchases and renewals, as positive cents) per UTC
-- day, from the daily roll-up the ledger's trigger keeps (migration 00061).
-- name: DailyMoneyTotals :many
SELECT (day::timestamp AT TIME ZONE 'UTC')::timestamptz AS day, deposits_cents, spend_cents, refunds_cents
FROM ledger_daily_totals
WHERE day >= (sqlc.arg('since')::timestamptz AT TIME ZONE 'UTC')::date
ORDER BY day;

-- The days whose roll-up row (ledger_daily_totals) differs from their
-- ledger entries, or is missing or extra: none while the trigger keeps it
-- (the tests check every way entries are written against this).
-- name: LedgerDaysOffTheirTotals :many
SELECT coalesce(l.day, d.day)::date AS day
FROM (SELECT (created_at AT TIME ZONE 'UTC')::date AS day,
             coalesce(sum(amount_cents) FILTER (WHERE kind = 'deposit'), 0)::bigint AS deposits_cents,
             coalesce(-sum(amount_cents) FILTER (WHERE kind IN ('purchase', 'renewal')), 0)::bigint AS spend_cents,
             coalesce(sum(amount_cents) FILTER (WHERE kind = 'refund'), 0)::bigint AS refunds_cents
      FROM ledger_entries GROUP BY 1) l
FULL JOIN ledger_daily_totals d ON d.day = l.day
WHERE l.day IS NULL OR d.day IS NULL
   OR (l.deposits_cents, l.spend_cents, l.refunds_cents) IS DISTINCT FROM (d.deposits_cents, d.spend_cents, d.refunds_cents)
ORDER BY 1;
