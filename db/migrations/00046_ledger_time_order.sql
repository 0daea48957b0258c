-- +goose Up
-- The Lumi ledger's list (ListLedgerPage) is ordered newest first by
-- (created_at, id) so a time range is read from its end in the order's own
-- index (ledger_entries_time). Ordered by id, a month six months back
-- walked the id index from the newest entry to the range (190 ms - 2 s at a
-- million entries). The account and kind filters get the same order after
-- their column; these replace the (account_id, id) and (kind, id) indexes,
-- which nothing else reads in id order (the account's index also serves
-- the foreign key, the kind's the capped count by kind, index-only).
CREATE INDEX ledger_entries_account_time ON ledger_entries (account_id, created_at, id);
CREATE INDEX ledger_entries_kind_time ON ledger_entries (kind, created_at, id);
DROP INDEX ledger_entries_account;
DROP INDEX ledger_entries_kind;

-- +goose Down
CREATE INDEX ledger_entries_account ON ledger_entries (account_id, id);
CREATE INDEX ledger_entries_kind ON ledger_entries (kind, id);
DROP INDEX ledger_entries_kind_time;
DROP INDEX ledger_entries_account_time;
