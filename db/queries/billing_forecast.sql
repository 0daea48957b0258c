-- Funds forecast: the auto-renew items of some accounts that fall due by
-- until (active or expired, auto-renew on), with the current renew price of
-- one period (a domain's TLD renew price for a year, a plan's monthly price
-- for a VPS or proxy); renew_cents 0: the TLD or plan is no longer sold.

-- name: LumiForecastItems :many
SELECT 'domain'::text AS product, d.id, d.account_id, d.name AS label, d.expires_at::timestamptz AS expires_at,
       COALESCE((SELECT p.renew_cents FROM lumi_tld_prices p
                 WHERE p.tld = substring(d.name FROM position('.' IN d.name) + 1)
                   AND p.effective_from <= sqlc.arg(at)::timestamptz
                 ORDER BY p.effective_from DESC LIMIT 1), 0)::bigint AS renew_cents
FROM lumi_domains d
WHERE d.account_id = ANY(sqlc.arg(account_ids)::bigint[]) AND d.auto_renew AND d.status IN ('active', 'expired')
  AND d.expires_at <= sqlc.arg(until)::timestamptz
UNION ALL
SELECT 'vps'::text, v.id, v.account_id, CASE WHEN v.hostname = '' THEN v.plan ELSE v.hostname END, v.expires_at::timestamptz,
       COALESCE((SELECT p.monthly_cents FROM lumi_plan_prices p
                 WHERE p.product = 'vps' AND p.plan = v.plan AND p.effective_from <= sqlc.arg(at)::timestamptz
                 ORDER BY p.effective_from DESC LIMIT 1), 0)::bigint
FROM lumi_vps v
WHERE v.account_id = ANY(sqlc.arg(account_ids)::bigint[]) AND v.auto_renew AND v.status IN ('active', 'expired')
  AND v.expires_at <= sqlc.arg(until)::timestamptz
UNION ALL
SELECT 'proxy'::text, x.id, x.account_id, x.plan || ' · ' || x.country, x.expires_at::timestamptz,
       COALESCE((SELECT p.monthly_cents FROM lumi_plan_prices p
                 WHERE p.product = 'proxy' AND p.plan = x.plan AND p.effective_from <= sqlc.arg(at)::timestamptz
                 ORDER BY p.effective_from DESC LIMIT 1), 0)::bigint
FROM lumi_proxies x
WHERE x.account_id = ANY(sqlc.arg(account_ids)::bigint[]) AND x.auto_renew AND x.status IN ('active', 'expired')
  AND x.expires_at <= sqlc.arg(until)::timestamptz
ORDER BY expires_at, id
LIMIT 5000;

-- name: LumiForecastBalances :many
SELECT account_id, balance_cents FROM balances WHERE account_id = ANY(sqlc.arg(account_ids)::bigint[]);
