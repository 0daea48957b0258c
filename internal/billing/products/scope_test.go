package products_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"lumdesk/internal/accounts"
	"lumdesk/internal/apikeys"
	"lumdesk/internal/billing"
	"lumdesk/internal/billing/products"
	"lumdesk/internal/platform/secretbox"
)

// A caller scoped to account A gets not-found for B's batch, and B's items
// cannot be quoted for renewal; quotes price from the catalogue.
func TestScopeHidesOtherAccountsBatchesAndItems(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a, b := f.account("Alice", "100.00"), f.account("Bob", "100.00")
	box, _ := secretbox.New(bytes.Repeat([]byte{7}, 32))
	k, err := apikeys.NewService(f.db, box).Create(ctx, cli, apikeys.CreateInput{Product: apikeys.LumiDomains, AccountID: &b, Name: "bob", Scopes: []string{"domains:read"}})
	if err != nil {
		t.Fatal(err)
	}
	id, err := f.svc.CreateBatch(ctx, k.Key.ID, b, products.ProductDomain,
		[]products.BatchItemInput{{Ref: "x.com", Input: json.RawMessage(`{"domain":"x.com"}`)}}, "idem-batch-0001", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.GetBatch(ctx, accounts.Only(a), id); !errors.Is(err, billing.ErrNotFound) {
		t.Errorf("A read B's batch: %v", err)
	}
	got, items, err := f.svc.GetBatch(ctx, accounts.Only(b), id)
	if err != nil || got.AccountID != b || len(items) != 1 || items[0].Status != "pending" {
		t.Errorf("B's own batch: %+v %+v %v", got, items, err)
	}
	if _, _, err := f.svc.GetBatch(ctx, accounts.AllAccounts, id); err != nil {
		t.Errorf("staff scope: %v", err)
	}

	d, err := f.svc.BuyDomain(ctx, cli, products.BuyDomainInput{AccountID: b, Domain: "bobs.com", Years: 1, IdempotencyKey: "buy-bob-0001"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Quote(ctx, accounts.Only(a), products.ProductDomain, d.ID, products.QuoteInput{Years: 1}); !isNotFound(err) {
		t.Errorf("A quoted B's domain renewal: %v", err)
	}
	if c, err := f.svc.Quote(ctx, accounts.Only(b), products.ProductDomain, d.ID, products.QuoteInput{Years: 2}); err != nil || c != 28_00 {
		t.Errorf("renewal quote: %s %v, want 28.00", c, err)
	}
	if c, err := f.svc.Quote(ctx, accounts.Only(a), products.ProductDomain, 0, products.QuoteInput{Domain: "new.com", Years: 3}); err != nil || c != 36_00 {
		t.Errorf("purchase quote: %s %v, want 36.00", c, err)
	}
	if c, err := f.svc.Quote(ctx, accounts.Only(a), products.ProductVPS, 0, products.QuoteInput{Plan: "small", Months: 99}); err != nil || c != 0 {
		t.Errorf("invalid months quote: %s %v, want 0", c, err)
	}
}

func isNotFound(err error) bool {
	var nf interface{ NotFound() bool }
	return errors.As(err, &nf) && nf.NotFound()
}

// Every scoped method of the service answers a scope of account A with its
// own not-found error for B's domain, VPS and proxy, exactly as for an
// unknown id, and changes nothing; B's scope and the staff scope reach them.
func TestScopeOfOneAccountCannotReachAnothersItems(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a, b := f.account("Alice", "100.00"), f.account("Bob", "100.00")
	d, err := f.svc.BuyDomain(ctx, cli, products.BuyDomainInput{AccountID: b, Domain: "bobs-own.com", Years: 1})
	if err != nil {
		t.Fatal(err)
	}
	v, err := f.svc.BuyVPS(ctx, cli, products.BuyVPSInput{AccountID: b, Plan: "small", Months: 1})
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.svc.BuyProxy(ctx, cli, products.BuyProxyInput{AccountID: b, Plan: "basic", Type: "socks5", Country: "DE", Months: 1})
	if err != nil {
		t.Fatal(err)
	}
	before := f.balance(b)

	// A key without an account (Only(0)) must see no more than account A.
	for _, sc := range []accounts.Scope{accounts.Only(a), accounts.Only(0)} {
		checks := map[string]struct {
			err, want error
		}{}
		check := func(name string, err, want error) { checks[name] = struct{ err, want error }{err, want} }
		var e error
		_, e = f.svc.GetDomain(ctx, sc, d.ID)
		check("get domain", e, products.ErrDomainNotFound)
		_, e = f.svc.SetNameservers(ctx, cli, sc, d.ID, []string{"ns1.evil.net", "ns2.evil.net"})
		check("nameservers", e, products.ErrDomainNotFound)
		_, e = f.svc.SetLock(ctx, cli, sc, d.ID, !d.Locked)
		check("lock", e, products.ErrDomainNotFound)
		_, e = f.svc.SetPrivacy(ctx, cli, sc, d.ID, !d.Privacy)
		check("privacy", e, products.ErrDomainNotFound)
		_, e = f.svc.SetAutoRenew(ctx, cli, sc, d.ID, !d.AutoRenew)
		check("domain auto-renew", e, products.ErrDomainNotFound)
		_, e = f.svc.RevealEPP(ctx, cli, sc, d.ID)
		check("epp", e, products.ErrDomainNotFound)
		_, e = f.svc.GetVPS(ctx, sc, v.ID)
		check("get vps", e, products.ErrVPSNotFound)
		_, e = f.svc.PowerVPS(ctx, cli, sc, v.ID, "stop")
		check("power", e, products.ErrVPSNotFound)
		_, e = f.svc.SetVPSAutoRenew(ctx, cli, sc, v.ID, !v.AutoRenew)
		check("vps auto-renew", e, products.ErrVPSNotFound)
		_, e = f.svc.GetProxy(ctx, sc, p.ID)
		check("get proxy", e, products.ErrProxyNotFound)
		_, e = f.svc.SetProxyAllowList(ctx, cli, sc, p.ID, []string{"6.6.6.6"})
		check("allow list", e, products.ErrProxyNotFound)
		_, e = f.svc.SetProxyAutoRenew(ctx, cli, sc, p.ID, !p.AutoRenew)
		check("proxy auto-renew", e, products.ErrProxyNotFound)
		_, e = f.svc.RevealProxyPassword(ctx, cli, sc, p.ID)
		check("password", e, products.ErrProxyNotFound)
		// The same errors as for ids that do not exist at all.
		_, e = f.svc.GetDomain(ctx, sc, 999999)
		check("unknown domain", e, products.ErrDomainNotFound)
		_, e = f.svc.GetVPS(ctx, sc, 999999)
		check("unknown vps", e, products.ErrVPSNotFound)
		_, e = f.svc.GetProxy(ctx, sc, 999999)
		check("unknown proxy", e, products.ErrProxyNotFound)
		for name, c := range checks {
			if !errors.Is(c.err, c.want) {
				t.Errorf("scope %d, %s: %v, want %v", sc.AccountID(), name, c.err, c.want)
			}
		}
		lf := products.ListFilter{Scope: sc}
		if pg, err := f.svc.ListDomains(ctx, lf); err != nil || len(pg.Items) != 0 {
			t.Errorf("scope %d lists domains %+v %v", sc.AccountID(), pg.Items, err)
		}
		if pg, err := f.svc.ListVPS(ctx, lf); err != nil || len(pg.Items) != 0 {
			t.Errorf("scope %d lists VPS %+v %v", sc.AccountID(), pg.Items, err)
		}
		if pg, err := f.svc.ListProxies(ctx, lf); err != nil || len(pg.Items) != 0 {
			t.Errorf("scope %d lists proxies %+v %v", sc.AccountID(), pg.Items, err)
		}
	}

	// Nothing changed, nothing was revealed or charged.
	gd, err := f.svc.GetDomain(ctx, accounts.Only(b), d.ID)
	if err != nil || gd.Locked != d.Locked || gd.Privacy != d.Privacy || gd.AutoRenew != d.AutoRenew || !cmp.Equal(gd.Nameservers, d.Nameservers) {
		t.Errorf("domain changed: %+v %v, was %+v", gd, err, d)
	}
	gv, err := f.svc.GetVPS(ctx, accounts.Only(b), v.ID)
	if err != nil || gv.Power != v.Power || gv.AutoRenew != v.AutoRenew {
		t.Errorf("VPS changed: %+v %v, was %+v", gv, err, v)
	}
	gp, err := f.svc.GetProxy(ctx, accounts.AllAccounts, p.ID)
	if err != nil || gp.AutoRenew != p.AutoRenew || !cmp.Equal(gp.AllowIPs, p.AllowIPs) {
		t.Errorf("proxy changed: %+v %v, was %+v", gp, err, p)
	}
	if n := f.count(`SELECT count(*) FROM audit_events WHERE action IN ('domain.epp_reveal', 'proxy.password_reveal')`); n != 0 {
		t.Errorf("reveal audits = %d, want 0", n)
	}
	if got := f.balance(b); got != before {
		t.Errorf("B's balance %s, was %s", got, before)
	}

	// B's own scope and the staff scope reach and change them.
	if _, err := f.svc.SetLock(ctx, cli, accounts.Only(b), d.ID, !d.Locked); err != nil {
		t.Errorf("B locks its domain: %v", err)
	}
	if _, err := f.svc.SetVPSAutoRenew(ctx, cli, accounts.AllAccounts, v.ID, !v.AutoRenew); err != nil {
		t.Errorf("staff turns auto-renew: %v", err)
	}
	if pg, err := f.svc.ListProxies(ctx, products.ListFilter{Scope: accounts.Only(b)}); err != nil || len(pg.Items) != 1 || pg.Items[0].ID != p.ID {
		t.Errorf("B lists its proxies: %+v %v", pg.Items, err)
	}
}
