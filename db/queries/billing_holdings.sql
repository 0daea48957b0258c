-- What one account holds in Lumi, for the account page's overview card:
-- the domains, VPS and proxies it has (failed orders left out) and the
-- soonest expiry of an active item.

-- name: LumiAccountHoldings :one
SELECT (SELECT count(*) FROM lumi_domains d WHERE d.account_id = sqlc.arg(account_id) AND d.status <> 'failed')::bigint AS domains,
       (SELECT count(*) FROM lumi_vps v WHERE v.account_id = sqlc.arg(account_id) AND v.status <> 'failed')::bigint AS vps,
       (SELECT count(*) FROM lumi_proxies x WHERE x.account_id = sqlc.arg(account_id) AND x.status <> 'failed')::bigint AS proxies;

-- name: LumiAccountNextRenewal :many
(SELECT 'domain'::text AS product, d.name AS label, d.expires_at::timestamptz AS expires_at
 FROM lumi_domains d WHERE d.account_id = sqlc.arg(account_id) AND d.status = 'active' AND d.expires_at IS NOT NULL
 ORDER BY d.expires_at LIMIT 1)
UNION ALL
(SELECT 'vps'::text, CASE WHEN v.hostname = '' THEN v.plan ELSE v.hostname END, v.expires_at::timestamptz
 FROM lumi_vps v WHERE v.account_id = sqlc.arg(account_id) AND v.status = 'active' AND v.expires_at IS NOT NULL
 ORDER BY v.expires_at LIMIT 1)
UNION ALL
(SELECT 'proxy'::text, x.plan || ' · ' || x.country, x.expires_at::timestamptz
 FROM lumi_proxies x WHERE x.account_id = sqlc.arg(account_id) AND x.status = 'active' AND x.expires_at IS NOT NULL
 ORDER BY x.expires_at LIMIT 1)
ORDER BY expires_at LIMIT 1;
