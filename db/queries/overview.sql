-- Counts for the overview page. Small tables are counted exactly; license_keys
-- (millions of rows) uses the planner's estimate once it is large, as the
-- accounts do (accounts.Service.Stats, which the overview reads).

-- name: OverviewCounts :one
SELECT
  (SELECT count(*) FROM api_keys WHERE revoked_at IS NULL
      AND (expires_at IS NULL OR expires_at > now()))::bigint                     AS active_api_keys,
  (SELECT count(*) FROM staff_users WHERE disabled_at IS NULL)::bigint            AS active_staff,
  (SELECT count(*) FROM audit_events WHERE occurred_at > now() - interval '24 hours')::bigint AS audit_last_day,
  -- license_keys can hold millions: the planner's estimate once it is large
  (SELECT CASE WHEN c.reltuples < 10000 THEN (SELECT count(*) FROM license_keys)
               ELSE c.reltuples::bigint END
     FROM pg_catalog.pg_class c WHERE c.oid = 'license_keys'::regclass)::bigint                AS license_keys,
  (SELECT c.reltuples >= 10000 FROM pg_catalog.pg_class c WHERE c.oid = 'license_keys'::regclass)::boolean AS license_keys_estimated,
  (SELECT coalesce(sum(balance_cents), 0) FROM balances)::bigint                   AS lumi_balance_cents,
  (SELECT count(*) FROM adjustment_requests WHERE status = 'pending')::bigint      AS pending_approvals;

-- name: APIKeysPerProduct :many
SELECT product, count(*) AS n FROM api_keys
WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
GROUP BY product ORDER BY product;
