package products_test

import (
	"errors"
	"testing"

	"lumdesk/internal/accounts"
	"lumdesk/internal/billing/products"
)

// The scoped renewals renew the scope's own items and answer another
// account's as not found, charging nothing.
func TestScopedRenewalsKeepToTheScopesAccount(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a, b := f.account("Arenew", "100.00"), f.account("Brenew", "100.00")
	d, err := f.svc.BuyDomain(ctx, cli, products.BuyDomainInput{AccountID: a, Domain: "arenew.com", Years: 1})
	if err != nil {
		t.Fatal(err)
	}
	v, err := f.svc.BuyVPS(ctx, cli, products.BuyVPSInput{AccountID: a, Plan: "small", Months: 1, Hostname: "a1"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.svc.BuyProxy(ctx, cli, products.BuyProxyInput{AccountID: a, Plan: "basic", Type: "http", Country: "US", Months: 1})
	if err != nil {
		t.Fatal(err)
	}
	before := f.balance(a)
	sb := accounts.Only(b)
	if _, err := f.svc.RenewDomainIn(ctx, cli, sb, d.ID, 1, ""); !errors.Is(err, products.ErrDomainNotFound) {
		t.Errorf("B renewed A's domain: %v", err)
	}
	if _, err := f.svc.RenewVPSIn(ctx, cli, sb, v.ID, 1, ""); !errors.Is(err, products.ErrVPSNotFound) {
		t.Errorf("B renewed A's VPS: %v", err)
	}
	if _, err := f.svc.RenewProxyIn(ctx, cli, sb, p.ID, 1, ""); !errors.Is(err, products.ErrProxyNotFound) {
		t.Errorf("B renewed A's proxy: %v", err)
	}
	if f.balance(a) != before || f.balance(b) != 100_00 {
		t.Fatalf("money moved: A %s B %s", f.balance(a), f.balance(b))
	}
	sa := accounts.Only(a)
	got, err := f.svc.RenewDomainIn(ctx, cli, sa, d.ID, 2, "")
	if err != nil || !got.ExpiresAt.After(*d.ExpiresAt) {
		t.Fatalf("A renewed its domain: %+v %v", got, err)
	}
	if _, err := f.svc.RenewVPSIn(ctx, cli, sa, v.ID, 1, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.RenewProxyIn(ctx, cli, sa, p.ID, 1, ""); err != nil {
		t.Fatal(err)
	}
	if want := before - 2*14_00 - 5_00 - 3_00; f.balance(a) != want {
		t.Fatalf("A's balance %s, want %s", f.balance(a), want)
	}
}
