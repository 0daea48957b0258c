-- Month partitions of the history tables (internal/platform/partition; the
-- functions are migration 00038's).

-- name: IsPartitioned :one
-- False for a table that is plain (the migration rolled back) or missing.
SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class WHERE oid = to_regclass(sqlc.arg(parent)::text) AND relkind = 'p')::boolean;

-- name: ListPartitions :many
-- The partitions of parent (its months and its default).
SELECT c.relname::text AS name
FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = to_regclass(sqlc.arg(parent)::text)
ORDER BY 1;

-- name: PartitionDefaultMonths :many
-- The months of rows waiting in parent's default partition.
SELECT m::date AS month FROM partition_default_months(sqlc.arg(parent)::text) m;

-- name: CreateMonthPartition :one
SELECT partition_create_month(sqlc.arg(parent)::text, sqlc.arg(month)::date)::boolean AS created;

-- name: RemoveMonthPartition :one
SELECT partition_remove_month(sqlc.arg(parent)::text, sqlc.arg(month)::date, sqlc.arg(detach)::boolean)::boolean AS removed;

-- name: LockPartitions :exec
-- One maintainer per table at a time, across nodes, until the transaction ends.
SELECT pg_advisory_xact_lock(7400114, hashtext(sqlc.arg(parent)::text));

-- name: SetPartitionLockTimeout :exec
-- How long a pass waits for a table lock, for the rest of its transaction.
SELECT set_config('lock_timeout', sqlc.arg(timeout)::text, true);
