-- name: TryIdempotencyLock :one
-- The claim of one (key, Idempotency-Key): a session advisory lock, run on a
-- connection the request holds; Postgres drops it when that connection dies.
SELECT pg_try_advisory_lock(@lock_id::bigint);

-- name: IdempotencyUnlock :one
SELECT pg_advisory_unlock(@lock_id::bigint);

-- name: GetIdempotency :one
SELECT * FROM api_idempotency WHERE key_id = @key_id AND idempotency_key = @idempotency_key;

-- name: MarkIdempotencyApplied :exec
-- Written in the transaction that moves the money: the operation committed.
INSERT INTO api_idempotency (key_id, idempotency_key, request_hash, status)
VALUES (@key_id, @idempotency_key, @request_hash, 'applied')
ON CONFLICT (key_id, idempotency_key) DO NOTHING;

-- name: CompleteIdempotency :exec
INSERT INTO api_idempotency (key_id, idempotency_key, request_hash, status, response_status, response_body)
VALUES (@key_id, @idempotency_key, @request_hash, 'done', @response_status, @response_body)
ON CONFLICT (key_id, idempotency_key) DO UPDATE
SET status = 'done', response_status = EXCLUDED.response_status, response_body = EXCLUDED.response_body, updated_at = now();

-- name: PurgeIdempotency :execrows
DELETE FROM api_idempotency WHERE created_at < @before;

-- name: EnsureSpend :exec
INSERT INTO api_key_spend (key_id, day, spent_cents) VALUES (@key_id, @day, 0)
ON CONFLICT (key_id, day) DO NOTHING;

-- name: ReserveSpend :execrows
-- Adds amount to the key's spend of the day only if the total stays within
-- the cap; one statement, so concurrent requests on every process agree.
UPDATE api_key_spend SET spent_cents = spent_cents + @amount
WHERE key_id = @key_id AND day = @day AND spent_cents + @amount <= @cap::bigint;

-- name: ReleaseSpend :exec
UPDATE api_key_spend SET spent_cents = GREATEST(spent_cents - @amount, 0)
WHERE key_id = @key_id AND day = @day;

-- name: GetSpend :one
SELECT spent_cents FROM api_key_spend WHERE key_id = @key_id AND day = @day;

-- name: InsertAPIBatch :exec
INSERT INTO api_batches (id, key_id, account_id, kind, total, idempotency_key, lease_until)
VALUES (@id, @key_id, @account_id, @kind, @total, @idempotency_key, @lease_until);

-- name: LeaseAPIBatch :execrows
-- Takes over a running batch whose lease ran out.
UPDATE api_batches SET lease_until = @lease_until
WHERE id = @id AND status = 'running' AND lease_until < now();

-- name: RenewAPIBatchLease :exec
UPDATE api_batches SET lease_until = @lease_until WHERE id = @id AND status = 'running';

-- name: InsertAPIBatchItem :exec
INSERT INTO api_batch_items (batch_id, idx, ref, input) VALUES (@batch_id, @idx, @ref, @input);

-- name: SetAPIBatchItemResult :exec
UPDATE api_batch_items SET status = @status, result = @result WHERE batch_id = @batch_id AND idx = @idx;

-- name: FinishAPIBatch :exec
UPDATE api_batches SET status = 'done', finished_at = now() WHERE id = @id;

-- name: GetAPIBatch :one
SELECT * FROM api_batches WHERE id = @id;

-- name: ListAPIBatchItems :many
SELECT * FROM api_batch_items WHERE batch_id = @batch_id ORDER BY idx;


-- name: ListStaleAPIBatches :many
-- Running batches whose runner went silent (its process stopped).
SELECT * FROM api_batches
WHERE status = 'running' AND lease_until < now()
ORDER BY created_at
LIMIT @lim;
