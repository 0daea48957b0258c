package products_test

import (
	"errors"
	"testing"

	"lumdesk/internal/accounts"
	"lumdesk/internal/billing/products"
)

// Holdings counts one account's items and finds its soonest expiry; another
// account's items are not counted, and the all-accounts scope names no account.
func TestHoldingsOfOneAccount(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a, b := f.account("Alice", "100.00"), f.account("Bob", "100.00")
	if h, err := f.svc.Holdings(ctx, accounts.Only(a)); err != nil || h.Total() != 0 || h.Next != nil {
		t.Fatalf("nothing held: %+v %v", h, err)
	}
	d, err := f.svc.BuyDomain(ctx, cli, products.BuyDomainInput{AccountID: a, Domain: "alice.com", Years: 1})
	if err != nil {
		t.Fatal(err)
	}
	v, err := f.svc.BuyVPS(ctx, cli, products.BuyVPSInput{AccountID: a, Plan: "small", Months: 1, Hostname: "web1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.BuyVPS(ctx, cli, products.BuyVPSInput{AccountID: b, Plan: "small", Months: 1}); err != nil {
		t.Fatal(err)
	}
	h, err := f.svc.Holdings(ctx, accounts.Only(a))
	if err != nil || h.Domains != 1 || h.VPS != 1 || h.Proxies != 0 {
		t.Fatalf("holdings of A: %+v %v", h, err)
	}
	// The VPS (one month) expires before the domain (one year).
	if h.Next == nil || h.Next.Product != "vps" || h.Next.Label != "web1" || v.ExpiresAt == nil || !h.Next.DueAt.Equal(*v.ExpiresAt) || d.ExpiresAt == nil {
		t.Errorf("next renewal %+v, want the VPS at %v", h.Next, v.ExpiresAt)
	}
	if _, err := f.svc.Holdings(ctx, accounts.AllAccounts); !errors.Is(err, products.ErrAccountNotFound) {
		t.Errorf("all accounts: %v", err)
	}
}
