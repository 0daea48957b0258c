package billing_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"

	"lumdesk/handlers/server/servertest"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/billing"
	"lumdesk/internal/billing/products"
	"lumdesk/internal/customers"
	"lumdesk/internal/platform/money"
)

var (
	ctx = context.Background()
	cli = audit.CLI("portal lumi test")
)

// holder is an account with money, a domain, a VPS and a proxy.
type holder struct {
	id     int64
	domain products.Domain
	vps    products.VPS
	proxy  products.Proxy
}

func prices(t *testing.T, env *servertest.Env) {
	t.Helper()
	past := time.Now().Add(-24 * time.Hour)
	svc := env.Products
	if _, err := svc.SetTLDPrice(ctx, cli, products.TLDPrice{TLD: "com", Register: 10_00, Renew: 12_00, Transfer: 10_00, EffectiveFrom: past}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SetPlanPrice(ctx, cli, products.PlanPrice{Product: "vps", Plan: "s1", Title: "S1", Monthly: 5_00, EffectiveFrom: past}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SetPlanPrice(ctx, cli, products.PlanPrice{Product: "proxy", Plan: "dc", Title: "DC", Monthly: 2_00, EffectiveFrom: past}); err != nil {
		t.Fatal(err)
	}
}

func newHolder(t *testing.T, env *servertest.Env, name, domain, host string) holder {
	t.Helper()
	acc := env.CreateAccount(name)
	if _, err := env.Billing.ManualTopUp(ctx, cli, billing.ManualInput{AccountID: acc.ID, Amount: "50.00", Reason: "opening funds " + name}); err != nil {
		t.Fatal(err)
	}
	h := holder{id: acc.ID}
	var err error
	if h.domain, err = env.Products.BuyDomain(ctx, cli, products.BuyDomainInput{AccountID: acc.ID, Domain: domain, Years: 1, AutoRenew: true}); err != nil {
		t.Fatal(err)
	}
	if h.vps, err = env.Products.BuyVPS(ctx, cli, products.BuyVPSInput{AccountID: acc.ID, Plan: "s1", Months: 1, Hostname: host}); err != nil {
		t.Fatal(err)
	}
	if h.proxy, err = env.Products.BuyProxy(ctx, cli, products.BuyProxyInput{AccountID: acc.ID, Plan: "dc", Type: "http", Country: "US", Months: 1}); err != nil {
		t.Fatal(err)
	}
	return h
}

func balance(t *testing.T, env *servertest.Env, id int64) money.Cents {
	t.Helper()
	b, err := env.Billing.Balance(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return b.Amount
}

func sid(id int64) string { return strconv.FormatInt(id, 10) }

func TestLumiPagesRender(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	prices(t, env)
	h := newHolder(t, env, "Render Co", "render.com", "web1")
	c := env.AsCustomer(h.id, customers.RoleReadOnly)
	r := c.Get("/portal/lumi")
	// 50 - 10 (domain) - 5 (VPS) - 2 (proxy)
	if r.Status != http.StatusOK || r.Text(`[data-testid="balance"]`) != "$33.00" || len(r.Doc.Find(`[data-testid="ledger-row"]`).Nodes) != 4 {
		t.Fatalf("overview: %d balance %q rows %d", r.Status, r.Text(`[data-testid="balance"]`), len(r.Doc.Find(`[data-testid="ledger-row"]`).Nodes))
	}
	if got := r.Doc.Find(`[data-testid="entry-balance"]`).First().Text(); got != "$33.00" {
		t.Errorf("running balance of the newest entry: %q", got)
	}
	if r.Has(`[data-testid="topup"]`) {
		t.Error("a read-only user sees Top up")
	}
	if !strings.Contains(r.Text(`[data-testid="lumi-figures"]`), "Next renewal") {
		t.Error("no next renewal figure")
	}
	for path, sel := range map[string]string{
		"/portal/lumi/domains":  `[data-testid="item-row"][data-id="` + sid(h.domain.ID) + `"]`,
		"/portal/lumi/vps":      `[data-testid="item-row"][data-id="` + sid(h.vps.ID) + `"]`,
		"/portal/lumi/proxies":  `[data-testid="item-row"][data-id="` + sid(h.proxy.ID) + `"]`,
		"/portal/lumi/deposits": `[data-testid="deposit-row"]`, // the opening funds' manual deposit
	} {
		r := c.Get(path)
		if r.Status != http.StatusOK || !r.Has(sel) {
			t.Errorf("%s: %d, %s missing", path, r.Status, sel)
		}
		if r.Has(`[data-testid="renew"]`) || r.Has(`[data-testid^="auto-renew-"]`) {
			t.Errorf("%s: a read-only user sees the money actions", path)
		}
	}
	// The home card has Lumi's figures.
	home := c.Get("/portal")
	if !strings.Contains(home.Text(`[data-testid="home-products"]`), "$33.00") {
		t.Errorf("home card: %q", home.Text(`[data-testid="home-products"]`))
	}
	// A fresh account sees what to do.
	empty := env.AsCustomer(env.CreateAccount("Empty Co").ID, customers.RoleOwner)
	if r := empty.Get("/portal/lumi"); r.Status != http.StatusOK || !r.Has(`[data-testid="ledger-empty"] a[href="/portal/lumi/top-up"]`) {
		t.Errorf("empty overview: %d", r.Status)
	}
	if r := empty.Get("/portal/lumi/domains"); r.Status != http.StatusOK || !r.Has(`[data-testid="items-empty"]`) {
		t.Errorf("empty domains: %d", r.Status)
	}
	if r := empty.Get("/portal/lumi/deposits"); r.Status != http.StatusOK || !r.Has(`[data-testid="deposits-empty"]`) {
		t.Errorf("empty deposits: %d", r.Status)
	}
	// Renew confirmation shows the price of the chosen period.
	owner := env.AsCustomer(h.id, customers.RoleOwner)
	r = owner.Get("/portal/lumi/domains/" + sid(h.domain.ID) + "/renew?period=2")
	if r.Status != http.StatusOK || !strings.Contains(r.Text(`[data-testid="renew-price"]`), "$24.00") {
		t.Errorf("renew page: %d %q", r.Status, r.Text(`[data-testid="renew-price"]`))
	}
	r = owner.Get("/portal/lumi/vps/" + sid(h.vps.ID) + "/renew?period=abc")
	if r.Status != http.StatusOK || !strings.Contains(r.Text(`[data-testid="renew-price"]`), "$5.00") || !r.Has(`.alert`) {
		t.Errorf("renew page with a bad period: %d %q", r.Status, r.Text("main"))
	}
}

func TestLedgerPagesByKeyset(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	acc := env.CreateAccount("Many Moves")
	for i := range 30 {
		if _, err := env.Billing.ManualTopUp(ctx, cli, billing.ManualInput{AccountID: acc.ID, Amount: "1.00", Reason: "move " + strconv.Itoa(i)}); err != nil {
			t.Fatal(err)
		}
	}
	c := env.AsCustomer(acc.ID, customers.RoleReadOnly)
	r := c.Get("/portal/lumi")
	next, ok := r.Doc.Find(`[data-testid="next-page"]`).Attr("href")
	if len(r.Doc.Find(`[data-testid="ledger-row"]`).Nodes) != 25 || !ok {
		t.Fatalf("first page: %d rows, next %q", len(r.Doc.Find(`[data-testid="ledger-row"]`).Nodes), next)
	}
	r = c.Get(next)
	if n := len(r.Doc.Find(`[data-testid="ledger-row"]`).Nodes); n != 5 || r.Has(`[data-testid="next-page"]`) || r.Doc.Find(`[data-testid="entry-balance"]`).Last().Text() != "$1.00" {
		t.Fatalf("second page: %d rows", n)
	}
	if r := c.Get("/portal/lumi?cursor=garbage"); r.Status != http.StatusOK || len(r.Doc.Find(`[data-testid="ledger-row"]`).Nodes) != 25 {
		t.Fatalf("bad cursor: %d", r.Status)
	}
}

func TestCustomerTopsUpInTheSandbox(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	acc := env.CreateAccount("Top Up Co")
	c := env.AsCustomer(acc.ID, customers.RoleBilling)
	if r := c.Get("/portal/lumi/top-up"); r.Status != http.StatusOK || !r.Has(`[data-testid="topup-form"]`) {
		t.Fatalf("form: %d", r.Status)
	}
	r := c.PostForm("/portal/lumi/top-up", url.Values{"amount": {"25.50"}})
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/portal/lumi/deposits/") {
		t.Fatalf("top up: %d %s %q", r.Status, r.Header.Get("Location"), r.Text("main"))
	}
	dep := r.Header.Get("Location")
	page := c.Get(dep)
	if page.Status != http.StatusOK || !page.Has(`[data-testid="sandbox-pay"]`) || !strings.Contains(page.Text(`[data-testid="deposit"]`), "Sandbox") ||
		!strings.Contains(page.Text(`[data-testid="deposit"]`), "$25.50") {
		t.Fatalf("invoice: %d %q", page.Status, page.Text("main"))
	}
	if balance(t, env, acc.ID) != 0 {
		t.Fatal("money moved before payment")
	}
	r = c.PostForm(dep+"/sandbox-pay", nil)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/portal/lumi" {
		t.Fatalf("sandbox pay: %d %q", r.Status, r.Text("main"))
	}
	if got := c.Get("/portal/lumi").Text(`[data-testid="balance"]`); got != "$25.50" || balance(t, env, acc.ID) != 25_50 {
		t.Fatalf("balance after paying: %q", got)
	}
	list := c.Get("/portal/lumi/deposits")
	if !strings.Contains(list.Text(`[data-testid="deposit-row"]`), "Paid") {
		t.Fatalf("deposits: %q", list.Text("main"))
	}
	// Paying twice is a message, and nothing moves.
	r = c.PostForm(dep+"/sandbox-pay", nil)
	if r.Status != http.StatusConflict || !strings.Contains(r.Text(".alert"), "no longer pending") || balance(t, env, acc.ID) != 25_50 {
		t.Fatalf("pay twice: %d %q", r.Status, r.Text(".alert"))
	}
	if env.AuditCount("deposit.sandbox_payment", sid(acc.ID)) != 1 {
		t.Error("the sandbox payment is not audited")
	}
}

func TestTopUpRefusesBadAmountsWithAMessage(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	acc := env.CreateAccount("Bad Amounts")
	c := env.AsCustomer(acc.ID, customers.RoleOwner)
	for _, amount := range []string{"", "-5", "0", "0.00", "99999999999", "1e9", "ten", "1.234", "$", strings.Repeat("9", 500)} {
		r := c.PostForm("/portal/lumi/top-up", url.Values{"amount": {amount}})
		if r.Status != http.StatusUnprocessableEntity || r.Text(`.field-error`) == "" {
			t.Errorf("amount %q: %d %q", amount, r.Status, r.Text(".field-error"))
		}
	}
	// The limit reads as money.
	if r := c.PostForm("/portal/lumi/top-up", url.Values{"amount": {"2000000"}}); r.Text(`.field-error`) != "The amount must be at most $1,000,000.00." {
		t.Errorf("amount over the limit: %q", r.Text(".field-error"))
	}
	if ds, _ := env.Billing.Deposits(ctx, acc.ID, 0, 10); len(ds) != 0 {
		t.Fatalf("deposits were opened: %+v", ds)
	}
}

func TestMoneyNeedsOwnerOrBilling(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	prices(t, env)
	h := newHolder(t, env, "Roles Co", "roles.com", "r1")
	for _, role := range []customers.Role{customers.RoleDeveloper, customers.RoleReadOnly} {
		c := env.AsCustomer(h.id, role)
		if r := c.Get("/portal/lumi"); r.Status != http.StatusOK {
			t.Errorf("%s overview: %d", role, r.Status)
		}
		for _, p := range []string{"/portal/lumi/top-up", "/portal/lumi/domains/" + sid(h.domain.ID) + "/renew",
			"/portal/lumi/domains/" + sid(h.domain.ID) + "/auto-renew", "/portal/lumi/vps/" + sid(h.vps.ID) + "/renew"} {
			if r := c.PostForm(p, url.Values{"amount": {"5"}, "period": {"1"}, "value": {"off"}}); r.Status != http.StatusForbidden {
				t.Errorf("%s POST %s: %d", role, p, r.Status)
			}
		}
	}
	if balance(t, env, h.id) != 33_00 {
		t.Fatal("money moved")
	}
	for _, role := range []customers.Role{customers.RoleOwner, customers.RoleBilling} {
		c := env.AsCustomer(h.id, role)
		if r := c.PostForm("/portal/lumi/top-up", url.Values{"amount": {"5"}}); r.Status != http.StatusSeeOther {
			t.Errorf("%s top up: %d", role, r.Status)
		}
	}
}

func TestRenewSpendsTheBalanceAndAutoRenewSwitches(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	prices(t, env)
	h := newHolder(t, env, "Renew Co", "renewco.com", "n1")
	c := env.AsCustomer(h.id, customers.RoleBilling)
	path := "/portal/lumi/domains/" + sid(h.domain.ID) + "/renew"
	form := c.Get(path + "?period=1")
	stamp, _ := form.Doc.Find(`[data-testid="renew-form"] input[name="stamp"]`).Attr("value")
	r := c.PostForm(path, url.Values{"period": {"1"}, "stamp": {stamp}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/portal/lumi/domains/"+sid(h.domain.ID) {
		t.Fatalf("renew: %d to %q %q", r.Status, r.Header.Get("Location"), r.Text("main"))
	}
	// A double submit of the same form charges once.
	if r := c.PostForm(path, url.Values{"period": {"1"}, "stamp": {stamp}}); r.Status != http.StatusSeeOther {
		t.Fatalf("renew again: %d", r.Status)
	}
	if got := balance(t, env, h.id); got != 33_00-12_00 {
		t.Fatalf("balance %s, want 21.00", got)
	}
	d, _ := env.Products.GetDomain(ctx, accounts.Only(h.id), h.domain.ID)
	if !d.ExpiresAt.After(h.domain.ExpiresAt.AddDate(0, 11, 0)) {
		t.Fatalf("expiry %v, was %v", d.ExpiresAt, h.domain.ExpiresAt)
	}
	// Without the form's stamp a second click would charge again: refused.
	if r := c.PostForm(path, url.Values{"period": {"1"}}); r.Status != http.StatusConflict || balance(t, env, h.id) != 33_00-12_00 {
		t.Fatalf("renew without the form's stamp: %d %q, balance %s", r.Status, r.Text(".alert"), balance(t, env, h.id))
	}
	// Not enough money: a message, nothing charged.
	form = c.Get(path + "?period=10")
	stamp, _ = form.Doc.Find(`[data-testid="renew-form"] input[name="stamp"]`).Attr("value")
	r = c.PostForm(path, url.Values{"period": {"10"}, "stamp": {stamp}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text(".alert"), "balance does not cover") {
		t.Fatalf("insufficient: %d %q", r.Status, r.Text(".alert"))
	}
	for _, p := range []string{"", "0", "-1", "11", "x", "99999999999999999999"} {
		// The field's own message, not the service's "invalid input: period: …".
		if r := c.PostForm(path, url.Values{"period": {p}}); r.Status != http.StatusUnprocessableEntity || r.Text(".alert") != "Choose a period of 1 to 10 years." {
			t.Errorf("period %q: %d %q", p, r.Status, r.Text(".alert"))
		}
	}
	if got := balance(t, env, h.id); got != 21_00 {
		t.Fatalf("balance %s after refusals", got)
	}
	// VPS and proxy renewals, each through its form.
	renew := func(path, period string) *servertest.Response {
		stamp, _ := c.Get(path + "?period=" + period).Doc.Find(`[data-testid="renew-form"] input[name="stamp"]`).Attr("value")
		return c.PostForm(path, url.Values{"period": {period}, "stamp": {stamp}})
	}
	if r := renew("/portal/lumi/vps/"+sid(h.vps.ID)+"/renew", "2"); r.Status != http.StatusSeeOther {
		t.Fatalf("renew VPS: %d %q", r.Status, r.Text(".alert"))
	}
	if r := renew("/portal/lumi/proxies/"+sid(h.proxy.ID)+"/renew", "1"); r.Status != http.StatusSeeOther {
		t.Fatalf("renew proxy: %d %q", r.Status, r.Text(".alert"))
	}
	if got := balance(t, env, h.id); got != 21_00-10_00-2_00 {
		t.Fatalf("balance %s after VPS and proxy", got)
	}
	// Auto-renew off and on again.
	for _, k := range []struct {
		kind string
		id   int64
	}{{"domains", h.domain.ID}, {"vps", h.vps.ID}, {"proxies", h.proxy.ID}} {
		p := "/portal/lumi/" + k.kind + "/" + sid(k.id) + "/auto-renew"
		if r := c.PostForm(p, url.Values{"value": {"off"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("%s off: %d", k.kind, r.Status)
		}
		list := c.Get("/portal/lumi/" + k.kind)
		if !list.Has(`[data-testid="item-row"][data-id="` + sid(k.id) + `"] [data-testid="auto-renew-on"]`) {
			t.Errorf("%s: auto-renew is not off", k.kind)
		}
		if r := c.PostForm(p, url.Values{"value": {"maybe"}}); r.Status != http.StatusUnprocessableEntity {
			t.Errorf("%s bad value: %d", k.kind, r.Status)
		}
		if r := c.PostForm(p, url.Values{"value": {"on"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("%s on: %d", k.kind, r.Status)
		}
	}
	if d, _ := env.Products.GetDomain(ctx, accounts.Only(h.id), h.domain.ID); !d.AutoRenew {
		t.Error("domain auto-renew is not back on")
	}
}

// Account B's customer gets 404 for every one of A's objects, and A's rows
// never show in B's lists or export.
func TestAnotherAccountsObjectsAreNotFound(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	prices(t, env)
	a := newHolder(t, env, "Alpha Co", "alpha-secret.com", "alpha-host")
	b := newHolder(t, env, "Beta Co", "beta.com", "beta-host")
	dep, err := env.Billing.CreateDeposit(ctx, cli, billing.DepositInput{AccountID: a.id, Amount: "7.77", Provider: billing.ProviderCryptoBot})
	if err != nil {
		t.Fatal(err)
	}
	cb := env.AsCustomer(b.id, customers.RoleOwner)
	gets := []string{
		"/portal/lumi/deposits/" + sid(dep.ID),
		"/portal/lumi/domains/" + sid(a.domain.ID) + "/renew",
		"/portal/lumi/vps/" + sid(a.vps.ID) + "/renew",
		"/portal/lumi/proxies/" + sid(a.proxy.ID) + "/renew",
		"/portal/lumi/deposits/999999",
	}
	for _, p := range gets {
		if r := cb.Get(p); r.Status != http.StatusNotFound {
			t.Errorf("GET %s: %d", p, r.Status)
		}
	}
	posts := []string{
		"/portal/lumi/deposits/" + sid(dep.ID) + "/sandbox-pay",
		"/portal/lumi/domains/" + sid(a.domain.ID) + "/renew",
		"/portal/lumi/vps/" + sid(a.vps.ID) + "/renew",
		"/portal/lumi/proxies/" + sid(a.proxy.ID) + "/renew",
		"/portal/lumi/domains/" + sid(a.domain.ID) + "/auto-renew",
		"/portal/lumi/vps/" + sid(a.vps.ID) + "/auto-renew",
		"/portal/lumi/proxies/" + sid(a.proxy.ID) + "/auto-renew",
	}
	for _, p := range posts {
		if r := cb.PostForm(p, url.Values{"period": {"1"}, "value": {"off"}}); r.Status != http.StatusNotFound {
			t.Errorf("POST %s: %d", p, r.Status)
		}
	}
	if balance(t, env, a.id) != 33_00 || balance(t, env, b.id) != 33_00 {
		t.Fatal("money moved")
	}
	if d, _ := env.Billing.GetDeposit(ctx, dep.ID); d.Status != billing.DepositPending {
		t.Fatalf("A's deposit is %s", d.Status)
	}
	if d, _ := env.Products.GetDomain(ctx, accounts.Only(a.id), a.domain.ID); !d.AutoRenew {
		t.Fatal("B turned A's auto-renew off")
	}
	for _, p := range []string{"/portal/lumi", "/portal/lumi/domains", "/portal/lumi/vps", "/portal/lumi/proxies", "/portal/lumi/deposits"} {
		r := cb.Get(p)
		if strings.Contains(r.Body, "alpha-secret") || strings.Contains(r.Body, "alpha-host") || strings.Contains(r.Body, dep.PublicID) ||
			strings.Contains(r.Body, "opening funds Alpha") {
			t.Errorf("%s shows account A's data", p)
		}
	}
	// The CSV has B's rows only; A's export has A's only.
	export := func(c *servertest.Client) [][]string {
		r := c.Get("/portal/lumi/ledger.csv")
		if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("export: %d %s", r.Status, r.Header.Get("Content-Type"))
		}
		rows, err := csv.NewReader(strings.NewReader(r.Body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	ids := func(acc int64) map[string]bool {
		out := map[string]bool{}
		page, err := env.Billing.Ledger(ctx, billing.LedgerFilter{AccountID: acc, Limit: 200})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Items {
			out[sid(e.ID)] = true
		}
		return out
	}
	for _, tc := range []struct {
		c          *servertest.Client
		mine, them map[string]bool
	}{{cb, ids(b.id), ids(a.id)}, {env.AsCustomer(a.id, customers.RoleReadOnly), ids(a.id), ids(b.id)}} {
		rows := export(tc.c)
		if len(rows) != 1+len(tc.mine) || rows[0][0] != "id" {
			t.Fatalf("export rows: %d, want %d", len(rows), 1+len(tc.mine))
		}
		for _, row := range rows[1:] {
			if !tc.mine[row[0]] || tc.them[row[0]] {
				t.Errorf("export row %v is not this account's", row)
			}
		}
	}
}

// Each item's page in the portal is the console's in the portal's face:
// the account's own items only, no audit tab and no reason fields; a
// developer changes nameservers, power and the allow list and reveals the
// EPP code and the password; billing renews and sets auto-renew (back on
// the item); a read-only member only reads.
func TestItemPages(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	prices(t, env)
	h := newHolder(t, env, "Items Co", "items-co.com", "app1")
	dom, vps, px := "/portal/lumi/domains/"+sid(h.domain.ID), "/portal/lumi/vps/"+sid(h.vps.ID), "/portal/lumi/proxies/"+sid(h.proxy.ID)

	dev := env.AsCustomer(h.id, customers.RoleDeveloper)
	if r := dev.Get("/portal/lumi/domains"); r.Doc.Find(`[data-testid=item-link][href="`+dom+`"]`).Length() != 1 {
		t.Error("the list does not link the domain's page")
	}
	for _, p := range []string{dom, vps, px} {
		r := dev.Get(p)
		if r.Status != http.StatusOK {
			t.Fatalf("GET %s: %d", p, r.Status)
		}
		if r.Has("[role=tablist]") || r.Has("textarea[name=reason]") || r.Has(`a[href^="/lumi"], a[href^="/accounts"]`) || r.Has("[data-testid=renew]") {
			t.Errorf("%s: a console tab, reason field, console link or renew for a developer", p)
		}
		if !r.Has(`a[href="/portal/lumi"]`) {
			t.Errorf("%s: no link to the balance", p)
		}
	}
	r := dev.PostForm(dom+"/nameservers", url.Values{"nameservers": {"ns1.items-co.net\nns2.items-co.net"}})
	r.Want(t, http.StatusSeeOther, "nameservers")
	if d, _ := env.Products.GetDomain(ctx, accounts.Only(h.id), h.domain.ID); strings.Join(d.Nameservers, ",") != "ns1.items-co.net,ns2.items-co.net" {
		t.Errorf("nameservers %v", d.Nameservers)
	}
	r = dev.PostForm(dom+"/nameservers", url.Values{"nameservers": {"not a host"}})
	if r.Status != http.StatusUnprocessableEntity || r.Text(".field-error") == "" || r.Has(`[data-testid="form-error"]`) {
		t.Errorf("bad nameservers: %d %q, banner %q (the message shows once, under the field)", r.Status, r.Text(".field-error"), r.Text(`[data-testid="form-error"]`))
	}
	if r := dev.PostForm(dom+"/epp", nil); r.Status != http.StatusOK || !r.Has("[data-testid=epp-code]") {
		t.Errorf("EPP reveal: %d", r.Status)
	}
	r = dev.PostForm(vps+"/power", url.Values{"action": {"stop"}})
	r.Want(t, http.StatusSeeOther, "stop")
	if v, _ := env.Products.GetVPS(ctx, accounts.Only(h.id), h.vps.ID); v.Power != products.PowerStopped {
		t.Errorf("power %q after stop", v.Power)
	}
	r = dev.PostForm(px+"/allow-list", url.Values{"allow_ips": {"203.0.113.7\n198.51.100.0/24"}})
	r.Want(t, http.StatusSeeOther, "allow list")
	if p, _ := env.Products.GetProxy(ctx, accounts.Only(h.id), h.proxy.ID); len(p.AllowIPs) != 2 {
		t.Errorf("allow list %v", p.AllowIPs)
	}
	if r := dev.PostForm(dom+"/auto-renew", url.Values{"value": {"off"}, "from": {"item"}}); r.Status != http.StatusForbidden {
		t.Errorf("a developer sets auto-renew: %d, want 403", r.Status)
	}

	money := env.AsCustomer(h.id, customers.RoleBilling)
	r = money.Get(dom)
	if !r.Has(`a[data-testid=renew][href="`+dom+`/renew"]`) || !r.Has("[data-testid=toggle-auto-renew]") || r.Has("[data-testid=nameservers-form]") {
		t.Error("billing's domain page: renew link, auto-renew toggle, and no nameservers form expected")
	}
	r = money.PostForm(dom+"/auto-renew", url.Values{"value": {"off"}, "from": {"item"}})
	r.Want(t, http.StatusSeeOther, "auto-renew off")
	if loc := r.Header.Get("Location"); loc != dom {
		t.Errorf("auto-renew from the item went to %s", loc)
	}
	if r := money.PostForm(vps+"/power", url.Values{"action": {"start"}}); r.Status != http.StatusForbidden {
		t.Errorf("billing powers a server: %d, want 403", r.Status)
	}

	ro := env.AsCustomer(h.id, customers.RoleReadOnly)
	if r := ro.Get(px); r.Has("[data-testid=allow-list-form]") || r.Has("[data-testid=reveal-password]") {
		t.Error("read-only sees the proxy's actions")
	}
	if r := ro.PostForm(px+"/password", nil); r.Status != http.StatusForbidden {
		t.Errorf("read-only reveals the password: %d, want 403", r.Status)
	}
}

// Buying from the portal: the API's checks and prices, paid from the
// balance; the form's key makes a second submit return the first purchase.
func TestBuy(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	prices(t, env)
	h := newHolder(t, env, "Buyer Co", "buyer-co.com", "app1")
	if _, err := env.Billing.ManualTopUp(ctx, cli, billing.ManualInput{AccountID: h.id, Amount: "40.00", Reason: "more funds"}); err != nil {
		t.Fatal(err)
	}
	start := balance(t, env, h.id) // 90.00 less the holder's three items
	c := env.AsCustomer(h.id, customers.RoleBilling)

	r := c.Get("/portal/lumi/domains/new")
	r.Want(t, http.StatusOK, "buy form")
	key := r.Doc.Find("[data-testid=buy-form] input[name=key]").AttrOr("value", "")
	if len(key) < 16 || !strings.Contains(r.Text("[data-testid=tld-prices]"), ".com") {
		t.Fatalf("form: key %q, prices %q", key, r.Text("[data-testid=tld-prices]"))
	}
	if !c.Get("/portal/lumi/domains").Has(`a[data-testid=buy][href="/portal/lumi/domains/new"]`) {
		t.Error("the domains list has no buy link")
	}
	buy := func(kind string, form url.Values) *servertest.Response { return c.PostForm("/portal/lumi/"+kind, form) }
	for _, bad := range []struct {
		form  url.Values
		field string
	}{
		{url.Values{"domain": {"not a domain"}, "period": {"1"}, "key": {"k-bad-1-aaaaaaaa"}}, "domain"},
		{url.Values{"domain": {"newsite.xyz"}, "period": {"1"}, "key": {"k-bad-2-aaaaaaaa"}}, "domain"},
		{url.Values{"domain": {"buyer-co.com"}, "period": {"1"}, "key": {"k-bad-3-aaaaaaaa"}}, "domain"},
		{url.Values{"domain": {"newsite.com"}, "period": {"0"}, "key": {"k-bad-4-aaaaaaaa"}}, "period"},
	} {
		r := buy("domains", bad.form)
		if r.Status != http.StatusUnprocessableEntity || r.Text("#f-"+bad.field+" ~ .field-error, #f-"+bad.field+"-msg.field-error") == "" {
			t.Errorf("%v: %d, %q", bad.form, r.Status, r.Text(".field-error"))
		}
	}
	// Without the form's one-time key a second click would charge again:
	// refused, and the form shown again carries a new key.
	r = buy("proxies", url.Values{"plan": {"dc"}, "type": {"http"}, "country": {"US"}, "period": {"1"}})
	if newKey, _ := r.Doc.Find(`input[name="key"]`).Attr("value"); r.Status != http.StatusUnprocessableEntity || newKey == "" ||
		!strings.Contains(r.Text("[role=alert]"), "without its one-time key") {
		t.Errorf("a buy without its key: %d key %q, %q", r.Status, newKey, r.Text("[role=alert]"))
	}
	if got := balance(t, env, h.id); got != start {
		t.Fatalf("refused purchases charged: %v → %v", start, got)
	}

	form := url.Values{"domain": {"newsite.com"}, "period": {"2"}, "auto_renew": {"on"}, "key": {key}}
	r = buy("domains", form)
	r.Want(t, http.StatusSeeOther, "buy a domain")
	first := r.Header.Get("Location")
	if !strings.HasPrefix(first, "/portal/lumi/domains/") {
		t.Fatalf("after buying: %s", first)
	}
	if got := balance(t, env, h.id); got != start-20_00 {
		t.Errorf("balance after two years of .com: %v, want %v", got, start-20_00)
	}
	r = buy("domains", form) // the same form again
	r.Want(t, http.StatusSeeOther, "the same form again")
	if loc := r.Header.Get("Location"); loc != first || balance(t, env, h.id) != start-20_00 {
		t.Errorf("second submit: %s, balance %v", loc, balance(t, env, h.id))
	}

	r = buy("vps", url.Values{"plan": {"s1"}, "period": {"3"}, "hostname": {"web2"}, "key": {"k-vps-1-aaaaaaaa"}})
	r.Want(t, http.StatusSeeOther, "buy a server")
	r = buy("proxies", url.Values{"plan": {"dc"}, "type": {"socks5"}, "country": {"de"}, "period": {"2"}, "key": {"k-px-1-aaaaaaaa"}})
	r.Want(t, http.StatusSeeOther, "buy a proxy")
	want := start - 20_00 - 15_00 - 4_00
	if got := balance(t, env, h.id); got != want {
		t.Errorf("balance after the server and the proxy: %v, want %v", got, want)
	}
	if r := buy("vps", url.Values{"plan": {"nope"}, "period": {"1"}, "key": {"k-vps-2-aaaaaaaa"}}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("unknown plan: %d", r.Status)
	}
	r = buy("vps", url.Values{"plan": {"s1"}, "period": {"24"}, "key": {"k-vps-3-aaaaaaaa"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text("[role=alert]"), "does not cover") {
		t.Errorf("over the balance: %d %q", r.Status, r.Text("[role=alert]"))
	}
	if got := balance(t, env, h.id); got != want {
		t.Errorf("a refused purchase charged: %v", got)
	}

	dev := env.AsCustomer(h.id, customers.RoleDeveloper)
	if r := dev.Get("/portal/lumi/vps/new"); r.Status != http.StatusForbidden {
		t.Errorf("a developer's buy form: %d, want 403", r.Status)
	}
	if r := dev.PostForm("/portal/lumi/vps", url.Values{"plan": {"s1"}, "period": {"1"}}); r.Status != http.StatusForbidden {
		t.Errorf("a developer buys: %d, want 403", r.Status)
	}
}

// The buy form's domain search: each TLD on sale with the name's state and
// price; a free one is chosen into the form; a bad name is the search
// field's message; only who may buy reaches it.
func TestDomainSearch(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	prices(t, env)
	if _, err := env.Products.SetTLDPrice(ctx, cli, products.TLDPrice{TLD: "net", Register: 8_00, Renew: 9_00, Transfer: 8_00, EffectiveFrom: time.Now().Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	h := newHolder(t, env, "Searcher Co", "searcher.com", "app1")
	c := env.AsCustomer(h.id, customers.RoleBilling)

	r := c.Get("/portal/lumi/domains/new?q=searcher")
	r.Want(t, http.StatusOK, "search")
	type option struct{ Name, Status string }
	var got []option
	r.Doc.Find("[data-testid=domain-option]").Each(func(_ int, s *goquery.Selection) {
		got = append(got, option{s.AttrOr("data-name", ""), s.AttrOr("data-status", "")})
	})
	// searcher.com is the holder's own: taken, with no Choose.
	if diff := cmp.Diff([]option{{"searcher.com", "taken"}, {"searcher.net", "available"}}, got); diff != "" {
		t.Errorf("options (-want +got):\n%s", diff)
	}
	if !strings.Contains(r.Text("[data-name='searcher.net']"), "$8.00 a year") || r.Has("[data-name='searcher.com'] a") {
		t.Errorf("options' text: %q", r.Text("[data-testid=domain-options]"))
	}
	choose := r.Doc.Find("[data-name='searcher.net'] a").AttrOr("href", "")
	r = c.Get(choose)
	r.Want(t, http.StatusOK, "chosen")
	if v := r.Doc.Find("[data-testid=buy-form] input[name=domain]").AttrOr("value", ""); v != "searcher.net" || !r.Has("[data-name='searcher.net'] .badge") {
		t.Errorf("after Choose (%s): domain field %q", choose, v)
	}
	if r.Doc.Find("input[name=q]").AttrOr("value", "") != "searcher" {
		t.Error("the search is not kept after Choose")
	}
	for _, q := range []string{"two words", "<b>x</b>", "searcher.org", strings.Repeat("x", 400)} {
		r := c.Get("/portal/lumi/domains/new?q=" + url.QueryEscape(q))
		r.Want(t, http.StatusOK, q)
		if r.Text("#f-domain-q-msg.field-error") == "" || r.Has("[data-testid=domain-options]") {
			t.Errorf("%q: no message on the search field", q)
		}
	}
	if r := c.Get("/portal/lumi/domains/new?q=searcher.org"); !strings.Contains(r.Text("#f-domain-q-msg"), "does not sell .org") {
		t.Errorf("TLD not sold: %q", r.Text("#f-domain-q-msg"))
	}
	env.AsCustomer(h.id, customers.RoleDeveloper).Get("/portal/lumi/domains/new?q=searcher").Want(t, http.StatusForbidden, "a developer's search")
}

// The portal's item lists search, filter and sort as the console's do,
// within the session's account (an account= in the URL changes nothing),
// page with their filters kept, and export what they show as CSV without
// the account's columns.
func TestItemListFiltersAndExport(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	prices(t, env)
	a := newHolder(t, env, "Alpha Co", "alpha-one.com", "alpha1")
	b := newHolder(t, env, "Beta Co", "beta-one.com", "beta1")
	for i := range 30 {
		if _, err := env.DB.Pool.Exec(ctx, `INSERT INTO lumi_domains (account_id, name, status, expires_at) VALUES ($1, $2, $3, now() + $4 * interval '1 day')`,
			a.id, fmt.Sprintf("alpha-%02d.com", i), map[bool]string{true: "expired", false: "active"}[i%10 == 0], 30-i); err != nil {
			t.Fatal(err)
		}
	}
	c := env.AsCustomer(a.id, customers.RoleReadOnly)
	names := func(r *servertest.Response) []string {
		var out []string
		r.Doc.Find(`[data-testid="item-link"]`).Each(func(_ int, s *goquery.Selection) { out = append(out, s.Text()) })
		return out
	}
	r := c.Get("/portal/lumi/domains?status=expired")
	r.Want(t, http.StatusOK, "status filter")
	if diff := cmp.Diff([]string{"alpha-20.com", "alpha-10.com", "alpha-00.com"}, names(r)); diff != "" {
		t.Errorf("expired (-want +got):\n%s", diff)
	}
	// Sorted by expiry, the first page (25) then the next, the filters kept.
	r = c.Get("/portal/lumi/domains?q=alpha-&sort=expires&account=" + sid(b.id))
	if got := names(r); len(got) != 25 || got[0] != "alpha-29.com" || slices.Contains(got, "beta-one.com") {
		t.Fatalf("by expiry: %v", got)
	}
	next := r.Doc.Find(`[data-testid="next-page"]`).AttrOr("href", "")
	if !strings.Contains(next, "q=alpha-") || !strings.Contains(next, "sort=expires") || !strings.Contains(next, "cursor=") {
		t.Fatalf("next page link %q", next)
	}
	if got := names(c.Get(next)); len(got) != 6 || got[5] != "alpha-one.com" {
		t.Errorf("second page: %v", got)
	}
	r = c.Get("/portal/lumi/domains?q=nothing-like-this")
	if !r.Has(`[data-testid="items-empty"] a[href="/portal/lumi/domains"]`) {
		t.Error("a search matching nothing has no Clear filters")
	}
	r = c.Get("/portal/lumi/domains?status=bogus&cursor=nonsense")
	r.Want(t, http.StatusOK, "bad filters")
	if r.Text(`[data-testid="filter-errors"]`) == "" || len(names(r)) != 25 {
		t.Errorf("bad filters: %q, %d rows", r.Text(`[data-testid="filter-errors"]`), len(names(r)))
	}

	// The export: this account's items, as filtered, without account columns.
	if href := c.Get("/portal/lumi/domains?status=expired").Doc.Find(`[data-testid="export-csv"]`).AttrOr("href", ""); href != "/portal/lumi/domains/export.csv?status=expired" {
		t.Errorf("export link %q", href)
	}
	read := func(path string) [][]string {
		t.Helper()
		r := c.Get(path)
		r.Want(t, http.StatusOK, path)
		recs, err := csv.NewReader(strings.NewReader(r.Body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return recs
	}
	all := read("/portal/lumi/domains/export.csv?account=" + sid(b.id))
	if len(all) != 1+31 || slices.Contains(all[0], "account_id") || all[0][1] != "name" {
		t.Fatalf("export: %d records, header %v", len(all), all[0])
	}
	for _, rec := range all[1:] {
		if !strings.HasPrefix(rec[1], "alpha-") {
			t.Errorf("another account's domain in the export: %v", rec)
		}
	}
	if got := read("/portal/lumi/domains/export.csv?status=expired&sort=expires"); len(got) != 4 || got[1][1] != "alpha-20.com" {
		t.Errorf("expired by expiry: %v", got)
	}
	if got := read("/portal/lumi/vps/export.csv"); len(got) != 2 || got[1][1] != "alpha1" {
		t.Errorf("servers: %v", got)
	}
	if got := read("/portal/lumi/proxies/export.csv"); len(got) != 2 || got[1][0] != sid(a.proxy.ID) {
		t.Errorf("proxies: %v", got)
	}
	c.Get("/portal/lumi/domains/export.csv?status=bogus").Want(t, http.StatusUnprocessableEntity, "a bad filter")
}

// Turning WHOIS privacy off publishes the owner's details, so it asks
// first in a dialog (as unlocking does); turning it on posts at once.
func TestPrivacyOffAsksFirst(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	prices(t, env)
	h := newHolder(t, env, "Private Co", "private-co.com", "app1")
	dom := "/portal/lumi/domains/" + sid(h.domain.ID)
	dev := env.AsCustomer(h.id, customers.RoleDeveloper)
	for _, on := range []bool{false, true} {
		if _, err := env.Products.SetPrivacy(ctx, audit.CLI("test"), accounts.Only(h.id), h.domain.ID, on); err != nil {
			t.Fatal(err)
		}
		r := dev.Get(dom)
		button := r.Doc.Find(`[data-testid="toggle-privacy"]`)
		_, opensDialog := button.Attr("data-dialog-open")
		dialog := r.Doc.Find(`dialog#privacy-dialog`)
		switch {
		case on && (!opensDialog || dialog.Find(`form[action="`+dom+`/privacy"] input[name=value][value=off]`).Length() != 1 ||
			!strings.Contains(dialog.Text(), "become public in WHOIS")):
			t.Errorf("privacy on: Turn off does not ask first (dialog %q)", dialog.Text())
		case !on && (opensDialog || dialog.Length() != 0 || r.Doc.Find(`form[action="`+dom+`/privacy"] input[name=value][value=on]`).Length() != 1):
			t.Error("privacy off: Turn on is not a plain post")
		}
	}
	// The dialog's post turns it off.
	r := dev.PostForm(dom+"/privacy", url.Values{"value": {"off"}})
	r.Want(t, http.StatusSeeOther, "privacy off")
}
