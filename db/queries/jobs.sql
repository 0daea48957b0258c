-- Background jobs of the dashboard (internal/jobs): the job, its progress and
-- one result row per item. River keeps its own tables for scheduling.

-- name: InsertBulkJob :one
INSERT INTO bulk_jobs (kind, created_by, created_by_label, project_id, title, params, total)
VALUES (sqlc.arg(kind), sqlc.narg(created_by), sqlc.arg(created_by_label), sqlc.arg(project_id), sqlc.arg(title),
        sqlc.arg(params), sqlc.arg(total))
RETURNING *;

-- name: GetBulkJob :one
SELECT * FROM bulk_jobs WHERE id = $1;

-- A job a worker picks up (again, after a crash) is running.
-- name: StartBulkJob :one
UPDATE bulk_jobs
SET status = 'running', started_at = coalesce(started_at, now()), updated_at = now()
WHERE id = $1 AND status IN ('queued', 'running')
RETURNING *;

-- Records one item's result and counts it; recording an item twice (a
-- retried item) changes nothing.
-- name: RecordBulkJobItem :exec
WITH ins AS (
    INSERT INTO bulk_job_items (job_id, seq, ref, key_id, user_key, ok, message, detail)
    VALUES (sqlc.arg(job_id), sqlc.arg(seq), sqlc.arg(ref), sqlc.narg(key_id), sqlc.arg(user_key), sqlc.arg(ok),
            sqlc.arg(message), sqlc.narg(detail))
    ON CONFLICT (job_id, seq) DO NOTHING
    RETURNING ok
)
UPDATE bulk_jobs
SET done_count   = done_count + (SELECT count(*) FROM ins),
    ok_count     = ok_count + (SELECT count(*) FROM ins WHERE ins.ok),
    failed_count = failed_count + (SELECT count(*) FROM ins WHERE NOT ins.ok),
    updated_at   = now()
WHERE id = sqlc.arg(job_id);

-- Where a resumed job continues.
-- name: NextBulkJobSeq :one
SELECT coalesce(max(seq) + 1, 0)::integer FROM bulk_job_items WHERE job_id = $1;

-- name: FinishBulkJob :one
UPDATE bulk_jobs
SET status = sqlc.arg(status), error = sqlc.arg(error), finished_at = now(), updated_at = now()
WHERE id = sqlc.arg(id)
RETURNING *;

-- Results in item order, keyset on seq; failed_only shows the failures.
-- name: ListBulkJobItems :many
SELECT * FROM bulk_job_items
WHERE job_id = sqlc.arg(job_id) AND seq > sqlc.arg(after_seq)
  AND (NOT sqlc.arg(failed_only)::boolean OR NOT ok)
ORDER BY seq
LIMIT sqlc.arg(lim);

-- Recent jobs, newest first (keyset on id, which follows creation order).
-- name: ListBulkJobs :many
SELECT * FROM bulk_jobs
WHERE (sqlc.narg(before_id)::bigint IS NULL OR id < sqlc.narg(before_id))
ORDER BY id DESC
LIMIT sqlc.arg(lim);
