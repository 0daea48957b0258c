package products_test

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/billing"
	"lumdesk/internal/billing/products"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/money"
	"lumdesk/internal/platform/secretbox"
	"lumdesk/internal/platform/testdb"
)

var (
	ctx = context.Background()
	cli = audit.CLI("products test")
)

type fixture struct {
	t    *testing.T
	db   *db.DB
	bill *billing.Service
	svc  *products.Service
	acc  *accounts.Service
	prov *flakyProvisioner
}

// flakyProvisioner is the sandbox, failing what fail says.
type flakyProvisioner struct {
	products.SandboxProvisioner
	fail bool
}

func (p *flakyProvisioner) CreateVPS(ctx context.Context, r products.VPSRequest) (products.VPSResult, error) {
	if p.fail {
		return products.VPSResult{}, errors.New("datacenter on fire")
	}
	return p.SandboxProvisioner.CreateVPS(ctx, r)
}

func (p *flakyProvisioner) CreateProxy(ctx context.Context, r products.ProxyRequest) (products.ProxyResult, error) {
	if p.fail {
		return products.ProxyResult{}, errors.New("no IPs left")
	}
	return p.SandboxProvisioner.CreateProxy(ctx, r)
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	d := db.New(testdb.New(t))
	box, err := secretbox.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	bill := billing.NewService(d, box, 500_00)
	prov := &flakyProvisioner{}
	svc := products.NewService(d, bill, products.NewSandboxRegistrar(), prov).WithBox(box)
	f := &fixture{t: t, db: d, bill: bill, svc: svc, acc: accounts.NewService(d), prov: prov}
	past := time.Now().Add(-48 * time.Hour)
	f.must(svc.SetTLDPrice(ctx, cli, products.TLDPrice{TLD: "com", Register: 12_00, Renew: 14_00, Transfer: 10_00, EffectiveFrom: past}))
	f.must(svc.SetPlanPrice(ctx, cli, products.PlanPrice{Product: "vps", Plan: "small", Title: "Small", Monthly: 5_00, EffectiveFrom: past}))
	f.must(svc.SetPlanPrice(ctx, cli, products.PlanPrice{Product: "proxy", Plan: "basic", Title: "Basic", Monthly: 3_00, EffectiveFrom: past}))
	return f
}

func (f *fixture) must(_ any, err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) account(name string, funds string) int64 {
	f.t.Helper()
	a, err := f.acc.Create(ctx, cli, accounts.CreateInput{Name: name, Email: strings.ToLower(name) + "@example.com"})
	if err != nil {
		f.t.Fatal(err)
	}
	if funds != "" {
		if _, err := f.bill.ManualTopUp(ctx, cli, billing.ManualInput{AccountID: a.ID, Amount: funds, Reason: "test funds"}); err != nil {
			f.t.Fatal(err)
		}
	}
	return a.ID
}

func (f *fixture) balance(id int64) money.Cents {
	f.t.Helper()
	b, err := f.bill.Balance(ctx, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return b.Amount
}

func (f *fixture) count(sql string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.db.Pool.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

func TestBuyDomainDebitsExactlyThePrice(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	acc := f.account("Alice", "100.00")
	d, err := f.svc.BuyDomain(ctx, cli, products.BuyDomainInput{AccountID: acc, Domain: "Example.COM", Years: 2, AutoRenew: true, IdempotencyKey: "buy-1-abcdef"})
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "example.com" || d.Status != products.StatusActive || d.ExpiresAt == nil || !d.AutoRenew {
		t.Fatalf("domain = %+v", d)
	}
	if diff := cmp.Diff(products.DefaultNameservers, d.Nameservers); diff != "" {
		t.Fatal(diff)
	}
	if got := f.balance(acc); got != 76_00 {
		t.Fatalf("balance = %s, want 76.00 (100 - 2 x 12)", got)
	}
	if n := f.count(`SELECT count(*) FROM ledger_entries WHERE account_id = $1 AND kind = 'purchase' AND amount_cents = -2400 AND cause_type = 'domain'`, acc); n != 1 {
		t.Fatalf("purchase entries = %d", n)
	}
	if n := f.count(`SELECT count(*) FROM audit_events WHERE action = 'domain.buy' AND entity_id = $1`, strconv.FormatInt(d.ID, 10)); n != 1 {
		t.Fatalf("audit rows = %d", n)
	}
	// The same key again charges nothing and returns the same domain.
	again, err := f.svc.BuyDomain(ctx, cli, products.BuyDomainInput{AccountID: acc, Domain: "example.com", Years: 2, IdempotencyKey: "buy-1-abcdef"})
	if err != nil || again.ID != d.ID || !again.Replayed || f.balance(acc) != 76_00 {
		t.Fatalf("replay = %+v, %v, balance %s", again, err, f.balance(acc))
	}
	// The name is taken now, for everyone.
	other := f.account("Bob", "100.00")
	if _, err := f.svc.BuyDomain(ctx, cli, products.BuyDomainInput{AccountID: other, Domain: "example.com", Years: 1}); !errors.Is(err, products.ErrDomainTaken) {
		t.Fatalf("second registration: %v", err)
	}
	if _, err := f.svc.BuyDomain(ctx, cli, products.BuyDomainInput{AccountID: other, Domain: "taken-x.com", Years: 1}); !errors.Is(err, products.ErrDomainTaken) {
		t.Fatalf("registry-taken: %v", err)
	}
	if f.balance(other) != 100_00 {
		t.Fatal("a refused purchase moved money")
	}
}

func TestInsufficientFundsLeavesNoItemAndNoEntry(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	acc := f.account("Poor", "10.00")
	if _, err := f.svc.BuyDomain(ctx, cli, products.BuyDomainInput{AccountID: acc, Domain: "poor.com", Years: 1}); !errors.Is(err, products.ErrInsufficientFunds) {
		t.Fatalf("err = %v", err)
	}
	if _, err := f.svc.BuyVPS(ctx, cli, products.BuyVPSInput{AccountID: acc, Plan: "small", Months: 3}); !errors.Is(err, products.ErrInsufficientFunds) {
		t.Fatalf("vps err = %v", err)
	}
	if n := f.count(`SELECT (SELECT count(*) FROM lumi_domains) + (SELECT count(*) FROM lumi_vps)`); n != 0 {
		t.Fatalf("items = %d", n)
	}
	if n := f.count(`SELECT count(*) FROM ledger_entries WHERE account_id = $1 AND kind <> 'deposit' AND kind <> 'adjustment'`, acc); n != 0 {
		t.Fatalf("entries = %d", n)
	}
	if f.balance(acc) != 10_00 {
		t.Fatal("balance changed")
	}
	// The name stays free.
	rich := f.account("Rich", "50.00")
	if _, err := f.svc.BuyDomain(ctx, cli, products.BuyDomainInput{AccountID: rich, Domain: "poor.com", Years: 1}); err != nil {
		t.Fatal(err)
	}
}

func TestAdapterFailureRefunds(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	acc := f.account("Unlucky", "100.00")
	d, err := f.svc.BuyDomain(ctx, cli, products.BuyDomainInput{AccountID: acc, Domain: "fail-me.com", Years: 1})
	var perr *products.ProvisionError
	if !errors.As(err, &perr) || !perr.Refunded || d.Status != products.StatusFailed {
		t.Fatalf("err = %v, domain = %+v", err, d)
	}
	f.prov.fail = true
	v, err := f.svc.BuyVPS(ctx, cli, products.BuyVPSInput{AccountID: acc, Plan: "small", Months: 2})
	if !errors.As(err, &perr) || !perr.Refunded || v.Status != products.StatusFailed {
		t.Fatalf("vps err = %v, %+v", err, v)
	}
	p, err := f.svc.BuyProxy(ctx, cli, products.BuyProxyInput{AccountID: acc, Plan: "basic", Type: "http", Country: "us", Months: 1})
	if !errors.As(err, &perr) || p.Status != products.StatusFailed {
		t.Fatalf("proxy err = %v, %+v", err, p)
	}
	if got := f.balance(acc); got != 100_00 {
		t.Fatalf("balance = %s, want 100.00", got)
	}
	if n := f.count(`SELECT coalesce(sum(amount_cents), 0)::int FROM ledger_entries WHERE account_id = $1 AND kind IN ('purchase', 'refund')`, acc); n != 0 {
		t.Fatalf("purchases and refunds net to %d", n)
	}
	if n := f.count(`SELECT count(*) FROM ledger_entries WHERE account_id = $1 AND kind = 'refund'`, acc); n != 3 {
		t.Fatalf("refunds = %d", n)
	}
	// A failed registration frees the name.
	f.prov.fail = false
	if n := f.count(`SELECT count(*) FROM audit_events WHERE action IN ('domain.fail', 'vps.fail', 'proxy.fail')`); n != 3 {
		t.Fatalf("fail audits = %d", n)
	}
}

func TestRenewExtendsExpiry(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	acc := f.account("Renewer", "100.00")
	d, err := f.svc.BuyDomain(ctx, cli, products.BuyDomainInput{AccountID: acc, Domain: "renew.com", Years: 1})
	if err != nil {
		t.Fatal(err)
	}
	r, err := f.svc.RenewDomain(ctx, cli, acc, d.ID, 2, "renew-key-1")
	if err != nil {
		t.Fatal(err)
	}
	if want := d.ExpiresAt.AddDate(2, 0, 0); !r.ExpiresAt.Equal(want) {
		t.Fatalf("expires %s, want %s", r.ExpiresAt, want)
	}
	if got := f.balance(acc); got != 100_00-12_00-28_00 {
		t.Fatalf("balance = %s", got)
	}
	again, err := f.svc.RenewDomain(ctx, cli, acc, d.ID, 2, "renew-key-1")
	if err != nil || !again.Replayed || !again.ExpiresAt.Equal(*r.ExpiresAt) || f.balance(acc) != 60_00 {
		t.Fatalf("replay: %+v %v", again, err)
	}
	v, err := f.svc.BuyVPS(ctx, cli, products.BuyVPSInput{AccountID: acc, Plan: "small", Months: 1})
	if err != nil || v.IP == "" || v.Power != products.PowerRunning {
		t.Fatalf("vps: %+v %v", v, err)
	}
	v2, err := f.svc.RenewVPS(ctx, cli, acc, v.ID, 3, "")
	if err != nil || !v2.ExpiresAt.Equal(v.ExpiresAt.AddDate(0, 3, 0)) {
		t.Fatalf("vps renew: %+v %v", v2, err)
	}
	if got := f.balance(acc); got != 60_00-5_00-15_00 {
		t.Fatalf("balance = %s", got)
	}
	v3, err := f.svc.PowerVPS(ctx, cli, accounts.Only(acc), v.ID, "stop")
	if err != nil || v3.Power != products.PowerStopped {
		t.Fatalf("power: %+v %v", v3, err)
	}
}

func TestRenewDueMarksWhatItCannotPay(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rich := f.account("Rich", "100.00")
	poor := f.account("Poor", "12.00")
	dr, err := f.svc.BuyDomain(ctx, cli, products.BuyDomainInput{AccountID: rich, Domain: "rich.com", Years: 1, AutoRenew: true})
	if err != nil {
		t.Fatal(err)
	}
	dp, err := f.svc.BuyDomain(ctx, cli, products.BuyDomainInput{AccountID: poor, Domain: "poor.com", Years: 1, AutoRenew: true})
	if err != nil {
		t.Fatal(err)
	}
	// Not due yet.
	rep, err := f.svc.RenewDue(ctx, audit.System("auto-renew"), 7, time.Now())
	if err != nil || rep.Renewed+rep.Failed != 0 {
		t.Fatalf("early run: %+v %v", rep, err)
	}
	later := dr.ExpiresAt.AddDate(0, 0, -3)
	rep, err = f.svc.RenewDue(ctx, audit.System("auto-renew"), 7, later)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Renewed != 1 || rep.Failed != 1 {
		t.Fatalf("report = %+v", rep)
	}
	got, _ := f.svc.GetDomain(ctx, accounts.AllAccounts, dr.ID)
	if !got.ExpiresAt.Equal(dr.ExpiresAt.AddDate(1, 0, 0)) || got.RenewalFailedAt != nil {
		t.Fatalf("rich domain = %+v", got)
	}
	got, _ = f.svc.GetDomain(ctx, accounts.AllAccounts, dp.ID)
	if got.RenewalFailedAt == nil || got.RenewalFailedReason != products.ReasonInsufficientFunds || !got.ExpiresAt.Equal(*dp.ExpiresAt) {
		t.Fatalf("poor domain = %+v", got)
	}
	if f.balance(poor) != 0 || f.balance(rich) != 100_00-12_00-14_00 {
		t.Fatalf("balances %s %s", f.balance(poor), f.balance(rich))
	}
	page, err := f.svc.ListDomains(ctx, products.ListFilter{RenewalFailed: true})
	if err != nil || len(page.Items) != 1 || page.Items[0].ID != dp.ID {
		t.Fatalf("failed list = %+v %v", page, err)
	}
	// A second run the same day renews nothing twice.
	rep, err = f.svc.RenewDue(ctx, audit.System("auto-renew"), 7, later)
	if err != nil || rep.Renewed != 0 {
		t.Fatalf("second run: %+v %v", rep, err)
	}
	// Paying up and running again clears the mark.
	if _, err := f.bill.ManualTopUp(ctx, cli, billing.ManualInput{AccountID: poor, Amount: "20", Reason: "top up"}); err != nil {
		t.Fatal(err)
	}
	if rep, err = f.svc.RenewDue(ctx, audit.System("auto-renew"), 7, later); err != nil || rep.Renewed != 1 {
		t.Fatalf("third run: %+v %v", rep, err)
	}
	got, _ = f.svc.GetDomain(ctx, accounts.AllAccounts, dp.ID)
	if got.RenewalFailedAt != nil {
		t.Fatal("mark not cleared")
	}
}

func TestForeignAccountIsNotFound(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a := f.account("Owner", "100.00")
	b := f.account("Other", "100.00")
	d, err := f.svc.BuyDomain(ctx, cli, products.BuyDomainInput{AccountID: a, Domain: "mine.com", Years: 1})
	if err != nil {
		t.Fatal(err)
	}
	v, err := f.svc.BuyVPS(ctx, cli, products.BuyVPSInput{AccountID: a, Plan: "small", Months: 1})
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.svc.BuyProxy(ctx, cli, products.BuyProxyInput{AccountID: a, Plan: "basic", Type: "socks5", Country: "DE", Months: 1})
	if err != nil {
		t.Fatal(err)
	}
	checks := map[string]error{}
	_, checks["get domain"] = f.svc.GetDomain(ctx, accounts.Only(b), d.ID)
	_, checks["renew domain"] = f.svc.RenewDomain(ctx, cli, b, d.ID, 1, "")
	_, checks["lock"] = f.svc.SetLock(ctx, cli, accounts.Only(b), d.ID, false)
	_, checks["epp"] = f.svc.RevealEPP(ctx, cli, accounts.Only(b), d.ID)
	_, checks["get vps"] = f.svc.GetVPS(ctx, accounts.Only(b), v.ID)
	_, checks["power"] = f.svc.PowerVPS(ctx, cli, accounts.Only(b), v.ID, "reboot")
	_, checks["get proxy"] = f.svc.GetProxy(ctx, accounts.Only(b), p.ID)
	_, checks["allow list"] = f.svc.SetProxyAllowList(ctx, cli, accounts.Only(b), p.ID, []string{"1.2.3.4"})
	_, checks["password"] = f.svc.RevealProxyPassword(ctx, cli, accounts.Only(b), p.ID)
	_, checks["missing"] = f.svc.GetDomain(ctx, accounts.AllAccounts, 999999)
	for name, err := range checks {
		if !products.IsNotFound(err) {
			t.Errorf("%s: %v, want not found", name, err)
		}
	}
	page, err := f.svc.ListDomains(ctx, products.ListFilter{Scope: accounts.Only(b)})
	if err != nil || len(page.Items) != 0 {
		t.Fatalf("foreign list = %+v %v", page, err)
	}
	// The owner can.
	code, err := f.svc.RevealEPP(ctx, cli, accounts.Only(a), d.ID)
	if err != nil || len(code) < 8 {
		t.Fatalf("epp = %q %v", code, err)
	}
	pw, err := f.svc.RevealProxyPassword(ctx, cli, accounts.Only(a), p.ID)
	if err != nil || len(pw) < 8 {
		t.Fatalf("password = %q %v", pw, err)
	}
	px, err := f.svc.SetProxyAllowList(ctx, cli, accounts.Only(a), p.ID, []string{"10.0.0.1", "192.168.1.7/24"})
	if err != nil || !cmp.Equal(px.AllowIPs, []string{"10.0.0.1", "192.168.1.0/24"}) {
		t.Fatalf("allow list %+v %v", px.AllowIPs, err)
	}
	if n := f.count(`SELECT count(*) FROM audit_events WHERE action IN ('domain.epp_reveal', 'proxy.password_reveal')`); n != 2 {
		t.Fatalf("reveal audits = %d", n)
	}
}

func TestPricesFollowEffectiveDates(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	now := time.Now()
	f.must(f.svc.SetTLDPrice(ctx, cli, products.TLDPrice{TLD: ".net", Register: 10_00, Renew: 10_00, Transfer: 10_00, EffectiveFrom: now.Add(-30 * 24 * time.Hour)}))
	f.must(f.svc.SetTLDPrice(ctx, cli, products.TLDPrice{TLD: "net", Register: 11_00, Renew: 11_00, Transfer: 11_00, EffectiveFrom: now.Add(-time.Hour)}))
	f.must(f.svc.SetTLDPrice(ctx, cli, products.TLDPrice{TLD: "net", Register: 99_00, Renew: 99_00, Transfer: 99_00, EffectiveFrom: now.Add(24 * time.Hour)}))
	c, err := f.svc.Prices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var net *products.TLDPrice
	for i := range c.TLDs {
		if c.TLDs[i].TLD == "net" {
			net = &c.TLDs[i]
		}
	}
	if net == nil || net.Register != 11_00 {
		t.Fatalf("current net = %+v", net)
	}
	hist := 0
	for _, p := range c.TLDHistory {
		if p.TLD == "net" {
			hist++
		}
	}
	if hist != 3 || len(c.VPSPlans) != 1 || len(c.ProxyPlans) != 1 {
		t.Fatalf("history %d, plans %d/%d", hist, len(c.VPSPlans), len(c.ProxyPlans))
	}
	acc := f.account("Buyer", "50.00")
	if _, err := f.svc.BuyDomain(ctx, cli, products.BuyDomainInput{AccountID: acc, Domain: "x.net", Years: 1}); err != nil {
		t.Fatal(err)
	}
	if f.balance(acc) != 39_00 {
		t.Fatalf("charged the wrong price: balance %s", f.balance(acc))
	}
	// Tomorrow's price applies tomorrow.
	tomorrow := f.svc.WithClock(func() time.Time { return now.Add(25 * time.Hour) })
	c, _ = tomorrow.Prices(ctx)
	for _, p := range c.TLDs {
		if p.TLD == "net" && p.Register != 99_00 {
			t.Fatalf("tomorrow net = %+v", p)
		}
	}
}

func TestValidation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	acc := f.account("Val", "50.00")
	_, err := f.svc.BuyDomain(ctx, cli, products.BuyDomainInput{AccountID: acc, Domain: "bad name", Years: 0, Nameservers: []string{"ns1.x.com"}})
	var verr products.ValidationError
	if !errors.As(err, &verr) || verr["domain"] == "" || verr["years"] == "" || verr["nameservers"] == "" {
		t.Fatalf("err = %v", err)
	}
	if _, err := f.svc.BuyDomain(ctx, cli, products.BuyDomainInput{AccountID: acc, Domain: "x.zzz", Years: 1}); !errors.As(err, &verr) || !strings.Contains(verr["domain"], ".zzz") {
		t.Fatalf("unsold tld: %v", err)
	}
	if _, err := f.svc.BuyProxy(ctx, cli, products.BuyProxyInput{AccountID: acc, Plan: "nope", Type: "ftp", Country: "USA", Months: 99}); !errors.As(err, &verr) || len(verr) != 4 {
		t.Fatalf("proxy: %v", err)
	}
	if _, err := f.svc.ListDomains(ctx, products.ListFilter{Cursor: "garbage", Limit: 500}); !errors.As(err, &verr) || len(verr) != 2 {
		t.Fatalf("list: %v", err)
	}
	other := int64(999999)
	if _, err := f.svc.BuyDomain(ctx, cli, products.BuyDomainInput{AccountID: other, Domain: "ghost.com", Years: 1}); !products.IsNotFound(err) {
		t.Fatalf("unknown account: %v", err)
	}
}

func TestListPagination(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	acc := f.account("Many", "500.00")
	for _, n := range []string{"a1.com", "a2.com", "a3.com", "b1.com", "b2.com"} {
		if _, err := f.svc.BuyDomain(ctx, cli, products.BuyDomainInput{AccountID: acc, Domain: n, Years: 1}); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	cursor := ""
	for range 5 {
		p, err := f.svc.ListDomains(ctx, products.ListFilter{Scope: accounts.Only(acc), Cursor: cursor, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range p.Items {
			names = append(names, d.Name)
		}
		if !p.HasMore {
			break
		}
		cursor = p.NextCursor
	}
	if diff := cmp.Diff([]string{"b2.com", "b1.com", "a3.com", "a2.com", "a1.com"}, names); diff != "" {
		t.Fatal(diff)
	}
	p, _ := f.svc.ListDomains(ctx, products.ListFilter{Query: "a"})
	if len(p.Items) != 3 {
		t.Fatalf("prefix search: %d", len(p.Items))
	}
}

// renewFailingRegistrar is the sandbox registrar whose renewals fail.
type renewFailingRegistrar struct{ products.SandboxRegistrar }

func (*renewFailingRegistrar) Renew(context.Context, string, int) error {
	return errors.New("registry timeout")
}

func TestRenewalAdapterFailureRefundsAndRestoresExpiry(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	svc := products.NewService(f.db, f.bill, &renewFailingRegistrar{}, nil)
	acc := f.account("RenewFail", "100.00")
	d, err := svc.BuyDomain(ctx, cli, products.BuyDomainInput{AccountID: acc, Domain: "stuck.com", Years: 1})
	if err != nil {
		t.Fatal(err)
	}
	got, err := svc.RenewDomain(ctx, cli, acc, d.ID, 1, "")
	var perr *products.ProvisionError
	if !errors.As(err, &perr) || !perr.Refunded || !got.ExpiresAt.Equal(*d.ExpiresAt) {
		t.Fatalf("renew: %v, %+v", err, got)
	}
	if f.balance(acc) != 88_00 {
		t.Fatalf("balance %s, want 88.00", f.balance(acc))
	}
}

func TestRenewDueVPSAndProxyAndExpiry(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	acc := f.account("Hoster", "100.00")
	v, err := f.svc.BuyVPS(ctx, cli, products.BuyVPSInput{AccountID: acc, Plan: "small", Months: 1, AutoRenew: true})
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.svc.BuyProxy(ctx, cli, products.BuyProxyInput{AccountID: acc, Plan: "basic", Type: "http", Country: "FR", Months: 1})
	if err != nil {
		t.Fatal(err)
	}
	// Two days after both expired: the auto-renew VPS is renewed, the proxy expires.
	later := v.ExpiresAt.AddDate(0, 0, 2)
	rep, err := f.svc.RenewDue(ctx, audit.System("auto-renew"), 7, later)
	if err != nil || rep.Renewed != 1 || rep.Expired != 1 {
		t.Fatalf("report %+v %v", rep, err)
	}
	gv, _ := f.svc.GetVPS(ctx, accounts.AllAccounts, v.ID)
	if gv.Status != products.StatusActive || !gv.ExpiresAt.Equal(later.AddDate(0, 1, 0).UTC().Truncate(time.Microsecond)) {
		t.Fatalf("vps %+v", gv)
	}
	gp, _ := f.svc.GetProxy(ctx, accounts.AllAccounts, p.ID)
	if gp.Status != products.StatusExpired || f.count(`SELECT count(*) FROM audit_events WHERE action = 'proxy.expire'`) != 1 {
		t.Fatalf("proxy %+v", gp)
	}
	if f.balance(acc) != 100_00-5_00-3_00-5_00 {
		t.Fatalf("balance %s", f.balance(acc))
	}
	// Renewing an expired proxy by hand brings it back.
	gp, err = f.svc.RenewProxy(ctx, cli, acc, p.ID, 1, "")
	if err != nil || gp.Status != products.StatusActive {
		t.Fatalf("renew expired: %+v %v", gp, err)
	}
}

func TestListByExpiry(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	acc := f.account("Sorter", "500.00")
	for i, n := range []string{"y3.com", "y1.com", "y5.com", "y2.com", "y4.com"} {
		years := []int{3, 1, 5, 2, 4}[i]
		if _, err := f.svc.BuyDomain(ctx, cli, products.BuyDomainInput{AccountID: acc, Domain: n, Years: years}); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	cursor := ""
	for range 5 {
		p, err := f.svc.ListDomains(ctx, products.ListFilter{Sort: products.SortExpires, Cursor: cursor, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range p.Items {
			names = append(names, d.Name)
		}
		if !p.HasMore {
			break
		}
		cursor = p.NextCursor
	}
	if diff := cmp.Diff([]string{"y1.com", "y2.com", "y3.com", "y4.com", "y5.com"}, names); diff != "" {
		t.Fatal(diff)
	}
	var verr products.ValidationError
	if _, err := f.svc.ListDomains(ctx, products.ListFilter{Sort: products.SortExpires, Cursor: products.EncodeCursor(3)}); !errors.As(err, &verr) {
		t.Fatalf("id cursor on an expiry list: %v", err)
	}
	if _, err := f.svc.ListVPS(ctx, products.ListFilter{Sort: "price"}); !errors.As(err, &verr) || verr["sort"] == "" {
		t.Fatalf("bad sort: %v", err)
	}
}
