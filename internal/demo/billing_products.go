package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"lumdesk/internal/accounts"
	"lumdesk/internal/billing"
	"lumdesk/internal/billing/products"
	"lumdesk/internal/platform/money"
)

// demoTLDs are the domain prices: a January list, and an October rise for some.
var demoTLDs = []products.TLDPrice{
	{TLD: "com", Register: 11_49, Renew: 13_99, Transfer: 11_49},
	{TLD: "net", Register: 12_99, Renew: 14_99, Transfer: 12_99},
	{TLD: "io", Register: 39_00, Renew: 45_00, Transfer: 39_00},
	{TLD: "gg", Register: 59_00, Renew: 59_00, Transfer: 55_00},
	{TLD: "host", Register: 4_99, Renew: 79_00, Transfer: 70_00},
	{TLD: "xyz", Register: 1_99, Renew: 12_99, Transfer: 11_99},
}

var demoPlans = []products.PlanPrice{
	{Product: "vps", Plan: "s1", Title: "S1", Description: "1 vCPU, 2 GB RAM, 40 GB NVMe", Monthly: 4_50},
	{Product: "vps", Plan: "m2", Title: "M2", Description: "2 vCPU, 4 GB RAM, 80 GB NVMe", Monthly: 8_90},
	{Product: "vps", Plan: "l4", Title: "L4", Description: "4 vCPU, 8 GB RAM, 160 GB NVMe", Monthly: 17_50},
	{Product: "proxy", Plan: "dc", Title: "Datacenter", Description: "Dedicated datacenter IP, unlimited traffic", Monthly: 2_00},
	{Product: "proxy", Plan: "resi", Title: "Residential", Description: "Rotating residential pool, 5 GB", Monthly: 6_00},
}

// demoPurchases are what the demo wallets own (bought now, through the service).
var demoPurchases = []struct {
	Email, Kind, Name, Plan, Country string
	Auto                             bool
}{
	{Email: "registrar@atlasdomains.io", Kind: "domain", Name: "atlas-market.com", Auto: true},
	{Email: "registrar@atlasdomains.io", Kind: "domain", Name: "atlasfinds.net"},
	{Email: "registrar@atlasdomains.io", Kind: "domain", Name: "shopatlas.io"},
	{Email: "billing@bluebird.host", Kind: "vps", Name: "bb-eu-1", Plan: "m2", Auto: true},
	{Email: "billing@bluebird.host", Kind: "vps", Name: "bb-us-1", Plan: "s1"},
	{Email: "billing@bluebird.host", Kind: "proxy", Plan: "resi", Country: "US"},
	{Email: "noc@gridlock.host", Kind: "vps", Name: "grid-fra-1", Plan: "l4"},
	{Email: "noc@gridlock.host", Kind: "domain", Name: "gridlock-status.com"},
	{Email: "ops@cobaltrelay.net", Kind: "proxy", Plan: "dc", Country: "DE"},
	{Email: "ops@cobaltrelay.net", Kind: "proxy", Plan: "dc", Country: "NL"},
	{Email: "ops@nightfall.gg", Kind: "domain", Name: "nightfallhub.com"},
	{Email: "ops@nightfall.gg", Kind: "domain", Name: "fail-nightfall.xyz"}, // the sandbox registrar refuses it: refunded
}

// seedLumiProducts sets the price list (with a history) and, once, buys the
// demo items with the wallets' balances through the sandbox adapters. One
// small account gets an auto-renew domain its balance cannot renew, and an
// auto-renew pass marks it "Renewal failed: insufficient funds".
func seedLumiProducts(ctx context.Context, d Deps) error {
	if d.Products == nil || d.Accounts == nil || d.Billing == nil {
		return nil
	}
	cat, err := d.Products.Prices(ctx)
	if err != nil {
		return err
	}
	if len(cat.TLDHistory) > 0 {
		return nil // seeded before
	}
	jan := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	oct := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	for _, p := range demoTLDs {
		p.EffectiveFrom = jan
		if _, err := d.Products.SetTLDPrice(ctx, actor, p); err != nil {
			return fmt.Errorf("demo prices: %w", err)
		}
		if p.TLD == "com" || p.TLD == "io" {
			p.EffectiveFrom = oct
			p.Register += 50
			p.Renew += 1_00
			if _, err := d.Products.SetTLDPrice(ctx, actor, p); err != nil {
				return fmt.Errorf("demo prices: %w", err)
			}
		}
	}
	for _, p := range demoPlans {
		p.EffectiveFrom = jan
		if _, err := d.Products.SetPlanPrice(ctx, actor, p); err != nil {
			return fmt.Errorf("demo prices: %w", err)
		}
	}
	// First, while it is the only Lumi item: the auto-renew pass runs at a
	// day a year on, and would expire the demo's VPS and proxies (a month
	// or three long) had they been bought before it.
	if err := seedRenewalFailure(ctx, d); err != nil {
		return err
	}
	funded := map[int64]bool{}
	for _, p := range demoPurchases {
		acc, err := d.Accounts.GetByEmail(ctx, p.Email)
		if errors.Is(err, accounts.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if !funded[acc.ID] {
			funded[acc.ID] = true
			if _, err := d.Billing.ManualTopUp(ctx, actor, billing.ManualInput{AccountID: acc.ID, Amount: "150.00",
				Reason: "Demo: prepayment for Lumi products"}); err != nil {
				return fmt.Errorf("demo products top-up: %w", err)
			}
		}
		switch p.Kind {
		case "domain":
			_, err = d.Products.BuyDomain(ctx, actor, products.BuyDomainInput{AccountID: acc.ID, Domain: p.Name, Years: 1, AutoRenew: p.Auto})
		case "vps":
			_, err = d.Products.BuyVPS(ctx, actor, products.BuyVPSInput{AccountID: acc.ID, Plan: p.Plan, Hostname: p.Name, Months: 3, AutoRenew: p.Auto})
		case "proxy":
			_, err = d.Products.BuyProxy(ctx, actor, products.BuyProxyInput{AccountID: acc.ID, Plan: p.Plan, Type: "socks5", Country: p.Country, Months: 1, AutoRenew: p.Auto})
		}
		var perr *products.ProvisionError
		if err != nil && !errors.As(err, &perr) && !errors.Is(err, products.ErrInsufficientFunds) {
			return fmt.Errorf("demo purchase %s %s: %w", p.Kind, p.Name, err)
		}
	}
	return nil
}

// seedRenewalFailure gives a small account an auto-renew domain its balance
// cannot renew, and runs an auto-renew pass a week before it expires.
func seedRenewalFailure(ctx context.Context, d Deps) error {
	acc, err := d.Accounts.GetByEmail(ctx, "team@kestrel.dev")
	if errors.Is(err, accounts.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := d.Billing.ManualTopUp(ctx, actor, billing.ManualInput{AccountID: acc.ID, Amount: money.Cents(12_00).String(),
		Reason: "Demo: first domain"}); err != nil {
		return fmt.Errorf("demo products top-up: %w", err)
	}
	dom, err := d.Products.BuyDomain(ctx, actor, products.BuyDomainInput{AccountID: acc.ID, Domain: "kestrel-labs.xyz", Years: 1, AutoRenew: true})
	if errors.Is(err, products.ErrInsufficientFunds) {
		return nil // the top-up waits for approval (a low BILLING_APPROVAL_LIMIT)
	}
	if err != nil {
		return fmt.Errorf("demo domain: %w", err)
	}
	// It is the only Lumi item yet: the pass renews it alone.
	if _, err := d.Products.RenewDue(ctx, actor, 7, dom.ExpiresAt.AddDate(0, 0, -3)); err != nil {
		return fmt.Errorf("demo auto-renew: %w", err)
	}
	return nil
}
