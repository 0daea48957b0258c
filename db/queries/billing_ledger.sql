-- The Lumi ledger: append-only (the database refuses UPDATE and DELETE).

-- name: InsertLedgerEntry :one
INSERT INTO ledger_entries (account_id, amount_cents, kind, cause_type, cause_id, refund_of_id, idempotency_key,
                            actor_kind, actor_id, actor_label, reason, balance_after_cents, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
RETURNING *;

-- Bulk load (lumdesk seed --scale --ledger): synthetic entries whose
-- balance_after_cents billing.BulkLoadLedger computed under the balances' locks.
-- name: CopyLedgerEntries :copyfrom
INSERT INTO ledger_entries (account_id, amount_cents, kind, cause_type, cause_id, actor_kind, actor_id, actor_label,
                            reason, balance_after_cents, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11);

-- After a bulk load (see VacuumAccounts).
-- name: VacuumLedger :exec
VACUUM (ANALYZE) ledger_entries, balances;

-- name: GetLedgerEntry :one
SELECT * FROM ledger_entries WHERE id = $1;

-- name: GetLedgerEntryByIdempotencyKey :one
SELECT * FROM ledger_entries
WHERE account_id = $1 AND kind = $2 AND idempotency_key = sqlc.arg('idempotency_key')::text;

-- name: GetLedgerEntryByCause :one
SELECT * FROM ledger_entries
WHERE cause_type = $1 AND cause_id = $2 AND kind = $3
ORDER BY id LIMIT 1;

-- name: SumRefundsOf :one
SELECT coalesce(sum(amount_cents), 0)::bigint AS refunded FROM ledger_entries WHERE refund_of_id = $1;

-- Newest first, keyset on (created_at, id); every filter optional. The
-- order is the time range's column, so ledger_entries_time (or the account's
-- or kind's index, both ending in created_at, id) reads a range from its
-- end: ordered by id, a range months back walked the id index from the
-- newest entry to it. id breaks ties between entries of one instant.
-- name: ListLedgerPage :many
SELECT sqlc.embed(l), a.name AS account_name, a.email AS account_email
FROM ledger_entries l JOIN accounts a ON a.id = l.account_id
WHERE (sqlc.narg('account_id')::bigint IS NULL OR l.account_id = sqlc.narg('account_id')::bigint)
  AND (sqlc.narg('kind')::text IS NULL OR l.kind = sqlc.narg('kind')::text)
  AND (sqlc.narg('since')::timestamptz IS NULL OR l.created_at >= sqlc.narg('since')::timestamptz)
  AND (sqlc.narg('until')::timestamptz IS NULL OR l.created_at < sqlc.narg('until')::timestamptz)
  AND (sqlc.narg('cursor_at')::timestamptz IS NULL
       OR (l.created_at, l.id) < (sqlc.narg('cursor_at')::timestamptz, sqlc.narg('cursor_id')::bigint))
ORDER BY l.created_at DESC, l.id DESC
LIMIT sqlc.arg('lim');

-- name: CountLedger :one
-- count of: ListLedgerPage
-- The ledger's filters counted up to lim rows (internal/platform/listcount),
-- with the list's params so billing.Service.CountLedger converts them.
-- Without the list's join: every entry has its account (a NOT NULL foreign
-- key), and the join cost one accounts probe per row counted, which kept a
-- count by kind from reading ledger_entries_kind_time alone.
SELECT count(*) FROM (
SELECT 1
FROM ledger_entries l
WHERE (sqlc.narg('account_id')::bigint IS NULL OR l.account_id = sqlc.narg('account_id')::bigint)
  AND (sqlc.narg('kind')::text IS NULL OR l.kind = sqlc.narg('kind')::text)
  AND (sqlc.narg('since')::timestamptz IS NULL OR l.created_at >= sqlc.narg('since')::timestamptz)
  AND (sqlc.narg('until')::timestamptz IS NULL OR l.created_at < sqlc.narg('until')::timestamptz)
  AND (sqlc.narg('cursor_at')::timestamptz IS NULL
       OR (l.created_at, l.id) < (sqlc.narg('cursor_at')::timestamptz, sqlc.narg('cursor_id')::bigint))
LIMIT sqlc.arg('lim')) counted;
