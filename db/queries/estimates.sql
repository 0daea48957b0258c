-- The planner's row estimate of a table (-1 when never analysed): how large
-- a scan of it would be, read without scanning. The lists' rule "a page
-- never reads a whole large table on a load" (docs/architecture.md) asks it
-- first: accounts.Service.Stats, the support signals' shared HWIDs.
-- name: EstimateRows :one
SELECT reltuples::bigint AS estimate FROM pg_catalog.pg_class WHERE oid = sqlc.arg(table_name)::text::regclass;
