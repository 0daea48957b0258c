-- name: LumiCurrentTLDPrices :many
SELECT DISTINCT ON (tld) * FROM lumi_tld_prices
WHERE effective_from <= sqlc.arg(at)::timestamptz
ORDER BY tld, effective_from DESC;

-- name: LumiTLDPriceHistory :many
SELECT * FROM lumi_tld_prices ORDER BY tld, effective_from DESC LIMIT 2000;

-- name: LumiCurrentTLDPrice :one
SELECT * FROM lumi_tld_prices
WHERE tld = sqlc.arg(tld) AND effective_from <= sqlc.arg(at)::timestamptz
ORDER BY effective_from DESC LIMIT 1;

-- name: LumiInsertTLDPrice :one
INSERT INTO lumi_tld_prices (tld, register_cents, renew_cents, transfer_cents, effective_from)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (tld, effective_from) DO UPDATE SET register_cents = EXCLUDED.register_cents,
    renew_cents = EXCLUDED.renew_cents, transfer_cents = EXCLUDED.transfer_cents
RETURNING *;

-- name: LumiCurrentPlanPrices :many
SELECT DISTINCT ON (product, plan) * FROM lumi_plan_prices
WHERE effective_from <= sqlc.arg(at)::timestamptz
ORDER BY product, plan, effective_from DESC;

-- name: LumiPlanPriceHistory :many
SELECT * FROM lumi_plan_prices ORDER BY product, plan, effective_from DESC LIMIT 2000;

-- name: LumiCurrentPlanPrice :one
SELECT * FROM lumi_plan_prices
WHERE product = sqlc.arg(product) AND plan = sqlc.arg(plan) AND effective_from <= sqlc.arg(at)::timestamptz
ORDER BY effective_from DESC LIMIT 1;

-- name: LumiInsertPlanPrice :one
INSERT INTO lumi_plan_prices (product, plan, title, description, monthly_cents, effective_from)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (product, plan, effective_from) DO UPDATE SET title = EXCLUDED.title,
    description = EXCLUDED.description, monthly_cents = EXCLUDED.monthly_cents
RETURNING *;
