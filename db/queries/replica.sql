-- Read-your-writes with a streaming replica (internal/platform/db/replica.go).

-- The primary's WAL position now: past every commit that has returned.
-- name: WALFlushLSN :one
SELECT pg_current_wal_flush_lsn()::text AS lsn;

-- How far a replica has replayed ('' on a server not in recovery).
-- name: WALReplayLSN :one
SELECT coalesce(pg_last_wal_replay_lsn()::text, '')::text AS lsn;
