package billing_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"lumdesk/handlers/server/servertest"
	"lumdesk/internal/accounts"
	"lumdesk/internal/billing"
	"lumdesk/internal/billing/products"
)

type lumiFixture struct {
	env    *servertest.Env
	acc    int64
	domain products.Domain
	vps    products.VPS
	proxy  products.Proxy
}

func newLumiFixture(t *testing.T) *lumiFixture {
	t.Helper()
	env := servertest.New(t)
	ctx := context.Background()
	svc := env.Products
	past := time.Now().Add(-24 * time.Hour)
	if _, err := svc.SetTLDPrice(ctx, billCLI, products.TLDPrice{TLD: "com", Register: 10_00, Renew: 12_00, Transfer: 10_00, EffectiveFrom: past}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SetPlanPrice(ctx, billCLI, products.PlanPrice{Product: "vps", Plan: "s1", Title: "S1", Monthly: 5_00, EffectiveFrom: past}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SetPlanPrice(ctx, billCLI, products.PlanPrice{Product: "proxy", Plan: "dc", Title: "DC", Monthly: 2_00, EffectiveFrom: past}); err != nil {
		t.Fatal(err)
	}
	acc := billAccount(t, env, "Lumi Buyer", "buyer@example.com")
	if _, err := env.Billing.ManualTopUp(ctx, billCLI, billing.ManualInput{AccountID: acc.ID, Amount: "100.00", Reason: "test"}); err != nil {
		t.Fatal(err)
	}
	f := &lumiFixture{env: env, acc: acc.ID}
	var err error
	if f.domain, err = svc.BuyDomain(ctx, billCLI, products.BuyDomainInput{AccountID: acc.ID, Domain: "shop.com", Years: 1}); err != nil {
		t.Fatal(err)
	}
	if f.vps, err = svc.BuyVPS(ctx, billCLI, products.BuyVPSInput{AccountID: acc.ID, Plan: "s1", Months: 1, Hostname: "web1"}); err != nil {
		t.Fatal(err)
	}
	if f.proxy, err = svc.BuyProxy(ctx, billCLI, products.BuyProxyInput{AccountID: acc.ID, Plan: "dc", Type: "http", Country: "US", Months: 1}); err != nil {
		t.Fatal(err)
	}
	return f
}

func lid(id int64) string { return strconv.FormatInt(id, 10) }

func TestLumiProductPagesRender(t *testing.T) {
	t.Parallel()
	f := newLumiFixture(t)
	c := f.env.As("finance")
	pages := map[string]string{
		"/lumi/domains":                     `[data-testid="domain-row"]`,
		"/lumi/vps":                         `[data-testid="vps-row"]`,
		"/lumi/proxies":                     `[data-testid="proxy-row"]`,
		"/lumi/prices":                      `[data-testid="tld-price"][data-tld="com"]`,
		"/lumi/domains/" + lid(f.domain.ID): `[data-testid="domain-panel"]`,
		"/lumi/vps/" + lid(f.vps.ID):        `[data-testid="vps-panel"]`,
		"/lumi/proxies/" + lid(f.proxy.ID):  `[data-testid="proxy-panel"]`,
		"/lumi/domains/" + lid(f.domain.ID) + "?tab=history": `[data-testid="history-tab"]`,
	}
	for path, sel := range pages {
		r := c.Get(path)
		if r.Status != http.StatusOK || !r.Has(sel) {
			t.Errorf("%s: status %d, %s missing", path, r.Status, sel)
		}
		badge := `[data-testid="sandbox-badge"]`
		if strings.HasPrefix(path, "/lumi/vps") || strings.HasPrefix(path, "/lumi/proxies") {
			badge = `[data-testid="sandbox-provisioner-badge"]`
		}
		if !r.Has(badge) {
			t.Errorf("%s: no sandbox badge", path)
		}
	}
	// Filters and paging: a status filter that matches nothing shows the empty state; a bad cursor says so.
	if r := c.Get("/lumi/domains?status=failed"); !r.Has(`[data-testid="lumi-empty"]`) {
		t.Error("status filter")
	}
	if r := c.Get("/lumi/domains?cursor=nonsense&status=bogus"); r.Status != 200 || !strings.Contains(r.Body, "not valid") || !r.Has(`[data-testid="domain-row"]`) {
		t.Errorf("bad filters: %d", r.Status)
	}
	if r := c.Get("/lumi/domains?q=sho&account=" + lid(f.acc)); !r.Has(`[data-testid="domain-row"]`) || !r.Has(`[data-testid="account-filter"]`) {
		t.Error("search filter")
	}
	// The header counts the filtered list and each chip drops only its filter.
	r := c.Get("/lumi/domains?q=sho&account=" + lid(f.acc))
	if got, rows := r.Text(`[data-testid="result-count"]`), r.Doc.Find(`[data-testid="domain-row"]`).Length(); got != strconv.Itoa(rows)+" domain"+map[bool]string{true: "", false: "s"}[rows == 1] {
		t.Errorf("count = %q with %d rows", got, rows)
	}
	if href, _ := r.Doc.Find(`[data-testid="filter-chip"][data-param="q"]`).Attr("href"); href != "/lumi/domains?account="+lid(f.acc) {
		t.Errorf("search chip -> %q", href)
	}
	if r := c.Get("/lumi/domains?status=failed"); r.Text(`[data-testid="result-count"]`) != "0 domains" {
		t.Errorf("empty count = %q", r.Text(`[data-testid="result-count"]`))
	}
	// Items name their account, linked, never "#26".
	for _, path := range []string{"/lumi/domains", "/lumi/vps", "/lumi/proxies"} {
		r := c.Get(path)
		link := r.Doc.Find(`a[href="/lumi/accounts/` + lid(f.acc) + `"]`).First()
		if strings.TrimSpace(link.Text()) != "Lumi Buyer" {
			t.Errorf("%s: the account shows as %q", path, link.Text())
		}
	}
	if r := c.Get("/lumi/domains?account=" + lid(f.acc)); !strings.Contains(r.Text(`[data-testid="account-filter"]`), "Lumi Buyer") {
		t.Errorf("account filter chip %q", r.Text(`[data-testid="account-filter"]`))
	}
	for _, path := range []string{"/lumi/domains/" + lid(f.domain.ID), "/lumi/vps/" + lid(f.vps.ID), "/lumi/proxies/" + lid(f.proxy.ID)} {
		if r := c.Get(path); !strings.Contains(r.Text("main header, main h1 + p, main"), "Lumi Buyer") || strings.Contains(r.Text("main"), "account #"+lid(f.acc)) {
			t.Errorf("%s does not name its account", path)
		}
	}
	if r := c.Get("/lumi/domains/999999"); r.Status != http.StatusNotFound {
		t.Errorf("missing domain: %d", r.Status)
	}
	// finance can manage (billing.balance.credit): action buttons are there.
	if r := c.Get("/lumi/domains/" + lid(f.domain.ID)); !r.Has(`[data-testid="reveal-epp"]`) {
		t.Error("finance sees no actions")
	}
}

func TestLumiProductActions(t *testing.T) {
	t.Parallel()
	f := newLumiFixture(t)
	c := f.env.As("support")
	base := "/lumi/domains/" + lid(f.domain.ID)

	// Plain POST: 303 back to the page, audited with the reason.
	r := c.PostForm(base+"/lock", url.Values{"value": {"off"}, "reason": {"customer is transferring away"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("unlock: %d", r.Status)
	}
	d, _ := f.env.Products.GetDomain(context.Background(), accounts.AllAccounts, f.domain.ID)
	if d.Locked || f.env.AuditCount("domain.set_lock", lid(d.ID)) != 1 {
		t.Fatalf("unlock not applied/audited: %+v", d)
	}
	var reason string
	_ = f.env.DB.Pool.QueryRow(context.Background(), `SELECT reason FROM audit_events WHERE action = 'domain.set_lock'`).Scan(&reason)
	if reason != "customer is transferring away" {
		t.Fatalf("audit reason = %q", reason)
	}

	// htmx: the panel comes back with a toast.
	r = c.HTMX("POST", base+"/nameservers", url.Values{"nameservers": {"ns1.example.net\nns2.example.net"}})
	if r.Status != 200 || !strings.Contains(r.Body, "ns1.example.net") || !r.Has(`[data-testid="domain-panel"]`) {
		t.Fatalf("nameservers htmx: %d", r.Status)
	}

	// Bad input: 422 with the field's message under it (once: no banner
	// repeating it), nothing written.
	r = c.PostForm(base+"/nameservers", url.Values{"nameservers": {"only-one.example.net"}})
	if r.Status != http.StatusUnprocessableEntity || r.Has(`[data-testid="form-error"]`) {
		t.Fatalf("bad nameservers: %d, banner %q", r.Status, r.Text(`[data-testid="form-error"]`))
	}
	// The field's own message, not the service's "invalid input: nameservers: ...".
	if got := r.Text(`#f-nameservers-msg`); got != "Give 2 to 13 nameservers." || strings.Count(r.Text("main"), "Give 2 to 13") != 1 {
		t.Errorf("bad nameservers' message: %q", got)
	}
	r = c.PostForm(base+"/nameservers", url.Values{"nameservers": {"1.2.3.4\n5.6.7.8"}})
	if got := r.Text(`#f-nameservers-msg`); r.Status != http.StatusUnprocessableEntity || !strings.Contains(got, "is an IP address") {
		t.Errorf("IP addresses as nameservers: %d %q", r.Status, got)
	}
	r = c.PostForm(base+"/renew", url.Values{"period": {"99"}})
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad renew: %d", r.Status)
	}
	r = c.PostForm(base+"/privacy", url.Values{"value": {"maybe"}})
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad toggle: %d", r.Status)
	}
	r = c.PostForm("/lumi/proxies/"+lid(f.proxy.ID)+"/allow-list", url.Values{"allow_ips": {"1.2.3.4\nnot-an-ip"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "not-an-ip") {
		t.Fatalf("bad allow list: %d", r.Status)
	}
	r = c.PostForm("/lumi/vps/"+lid(f.vps.ID)+"/power", url.Values{"action": {"explode"}})
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad power: %d", r.Status)
	}

	// Renew charges the account and extends the expiry.
	before := billBalance(t, f.env, f.acc)
	r = c.PostForm(base+"/renew", url.Values{"period": {"2"}, "reason": {"customer asked"}})
	if r.Status != http.StatusSeeOther || billBalance(t, f.env, f.acc) != before-24_00 {
		t.Fatalf("renew: %d, balance %s", r.Status, billBalance(t, f.env, f.acc))
	}
	d, _ = f.env.Products.GetDomain(context.Background(), accounts.AllAccounts, f.domain.ID)
	if !d.ExpiresAt.Equal(f.domain.ExpiresAt.AddDate(2, 0, 0)) {
		t.Fatalf("expiry %s", d.ExpiresAt)
	}

	// EPP reveal shows the code once and is audited.
	r = c.PostForm(base+"/epp", url.Values{"reason": {"transfer"}})
	if r.Status != 200 || !r.Has(`[data-testid="epp-code"]`) || f.env.AuditCount("domain.epp_reveal", lid(d.ID)) != 1 {
		t.Fatalf("epp: %d", r.Status)
	}
	if r := c.Get(base); r.Has(`[data-testid="epp-code"]`) {
		t.Fatal("EPP code shown again")
	}

	// VPS power and proxy password.
	r = c.HTMX("POST", "/lumi/vps/"+lid(f.vps.ID)+"/power", url.Values{"action": {"stop"}, "reason": {"abuse report"}})
	if r.Status != 200 || f.env.AuditCount("vps.power_stop", lid(f.vps.ID)) != 1 {
		t.Fatalf("stop: %d", r.Status)
	}
	r = c.PostForm("/lumi/proxies/"+lid(f.proxy.ID)+"/password", url.Values{"reason": {"customer lost it"}})
	if r.Status != 200 || !r.Has(`[data-testid="proxy-password"]`) {
		t.Fatalf("password: %d", r.Status)
	}

	// The auto-renew button asks first (it charges balances), then queues the job.
	r = c.Get("/lumi/vps")
	if r.Has(`form:has([data-testid="run-auto-renew"])`) || !r.Has(`button[data-testid="run-auto-renew"][data-dialog-open="auto-renew-dialog"]`) ||
		!r.Has(`dialog#auto-renew-dialog form[action="/lumi/renew-due"] input[name="back"][value="/lumi/vps"]`) {
		t.Errorf("auto-renew is not confirmed first: %s", r.Text(`[data-testid="page-header"]`))
	}
	r = c.PostForm("/lumi/renew-due", url.Values{"back": {"/lumi/vps"}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/lumi/vps" {
		t.Fatalf("renew-due: %d %s", r.Status, r.Header.Get("Location"))
	}
	var jobs int
	_ = f.env.DB.Pool.QueryRow(context.Background(), `SELECT count(*) FROM river_job WHERE kind = 'lumi.auto_renew'`).Scan(&jobs)
	if jobs < 1 {
		t.Fatal("no auto-renew job queued")
	}
}

func TestLumiProductPermissions(t *testing.T) {
	t.Parallel()
	f := newLumiFixture(t)
	viewer := f.env.As("viewer")
	base := "/lumi/domains/" + lid(f.domain.ID)
	if r := viewer.Get(base); r.Status != 200 || r.Has(`[data-testid="reveal-epp"]`) {
		t.Fatalf("viewer page: %d", r.Status)
	}
	for _, p := range []string{base + "/lock", base + "/epp", base + "/renew", "/lumi/vps/" + lid(f.vps.ID) + "/power",
		"/lumi/proxies/" + lid(f.proxy.ID) + "/password", "/lumi/renew-due"} {
		if r := viewer.PostForm(p, url.Values{"value": {"off"}, "action": {"stop"}, "period": {"1"}}); r.Status != http.StatusForbidden {
			t.Errorf("viewer POST %s: %d", p, r.Status)
		}
	}
	if n := f.env.AuditCount("domain.epp_reveal", ""); n != 0 {
		t.Fatal("viewer revealed")
	}
	if r := f.env.Anonymous().Get("/lumi/domains"); r.Status == 200 && r.Has(`[data-testid="domain-row"]`) {
		t.Fatal("anonymous sees domains")
	}
}

func TestLumiRenewalFailureShown(t *testing.T) {
	t.Parallel()
	f := newLumiFixture(t)
	ctx := context.Background()
	acc := billAccount(t, f.env, "Short", "short@example.com")
	if _, err := f.env.Billing.ManualTopUp(ctx, billCLI, billing.ManualInput{AccountID: acc.ID, Amount: "10.00", Reason: "test"}); err != nil {
		t.Fatal(err)
	}
	d, err := f.env.Products.BuyDomain(ctx, billCLI, products.BuyDomainInput{AccountID: acc.ID, Domain: "short.com", Years: 1, AutoRenew: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.env.Products.RenewDue(ctx, billCLI, 7, d.ExpiresAt.AddDate(0, 0, -2)); err != nil {
		t.Fatal(err)
	}
	c := f.env.As("support")
	r := c.Get("/lumi/domains?renewal_failed=1")
	if !r.Has(`[data-testid="domain-row"][data-id="`+lid(d.ID)+`"]`) || r.Doc.Find(`[data-testid="domain-row"]`).Length() != 1 ||
		!strings.Contains(r.Text(`[data-testid="renewal-failed"]`), "Renewal failed: insufficient funds") {
		t.Fatalf("list: %s", r.Text(`[data-testid="renewal-failed"]`))
	}
	if r := c.Get("/lumi/domains/" + lid(d.ID)); !strings.Contains(r.Text(`[data-testid="renewal-failed"]`), "Renewal failed: insufficient funds") {
		t.Fatal("detail page does not say so")
	}
	// The account pages' fragment says so too.
	r = c.HTMX("GET", "/lumi/accounts/"+lid(acc.ID)+"/products", nil)
	if r.Status != 200 || r.Doc.Find(`[data-testid="account-product"]`).Length() != 1 ||
		!strings.Contains(r.Text(`[data-testid="renewal-failed"]`), "Renewal failed: insufficient funds") {
		t.Fatalf("account fragment: %d %s", r.Status, r.Body)
	}
}

// A renew form submitted twice charges once.
func TestLumiRenewDoubleSubmit(t *testing.T) {
	t.Parallel()
	f := newLumiFixture(t)
	c := f.env.As("admin")
	page := c.Get("/lumi/domains/" + lid(f.domain.ID))
	stamp, ok := page.Doc.Find(`#renew-dialog input[name="stamp"]`).Attr("value")
	if !ok || stamp == "" {
		t.Fatal("no stamp in the renew form")
	}
	before := billBalance(t, f.env, f.acc)
	for range 2 {
		if r := c.PostForm("/lumi/domains/"+lid(f.domain.ID)+"/renew", url.Values{"period": {"1"}, "stamp": {stamp}, "reason": {"x"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("renew: %d", r.Status)
		}
	}
	if got := billBalance(t, f.env, f.acc); got != before-12_00 {
		t.Fatalf("charged %s, want 12.00 once", before-got)
	}
	d, _ := f.env.Products.GetDomain(context.Background(), accounts.AllAccounts, f.domain.ID)
	if !d.ExpiresAt.Equal(f.domain.ExpiresAt.AddDate(1, 0, 0)) {
		t.Fatalf("expiry %s", d.ExpiresAt)
	}
	// The stale form for another period is refused, not charged.
	if r := c.PostForm("/lumi/domains/"+lid(f.domain.ID)+"/renew", url.Values{"period": {"2"}, "stamp": {stamp}}); r.Status != http.StatusConflict {
		t.Fatalf("stale form: %d", r.Status)
	}
}

func TestLumiListSortByExpiry(t *testing.T) {
	t.Parallel()
	f := newLumiFixture(t)
	ctx := context.Background()
	if _, err := f.env.Products.BuyDomain(ctx, billCLI, products.BuyDomainInput{AccountID: f.acc, Domain: "long.com", Years: 5}); err != nil {
		t.Fatal(err)
	}
	c := f.env.As("support")
	r := c.Get("/lumi/domains?sort=expires")
	rows := r.Doc.Find(`[data-testid="domain-row"]`)
	if rows.Length() != 2 || !strings.Contains(rows.First().Text(), "shop.com") {
		t.Fatalf("sorted: %d rows, first %q", rows.Length(), rows.First().Text())
	}
	if v, _ := r.Doc.Find(`[data-testid="sort-expires"]`).Attr("data-sort"); v != "asc" {
		t.Fatal("sort header not active")
	}
	if r := c.Get("/lumi/domains?sort=price"); r.Status != 200 || !strings.Contains(r.Body, "sort by newest or by expiry") {
		t.Fatalf("bad sort: %d", r.Status)
	}
}

// The domain, server and proxy lists export what they show as CSV: every
// page of the filtered list (here over two export pages), each row naming
// its account; a filter the list would ignore is refused.
func TestLumiListsExportCSV(t *testing.T) {
	t.Parallel()
	f := newLumiFixture(t)
	ctx := context.Background()
	other := billAccount(t, f.env, "Other Co", "other@example.com")
	if _, err := f.env.DB.Pool.Exec(ctx, `INSERT INTO lumi_domains (account_id, name, status, expires_at)
		SELECT $1, 'bulk-' || g || '.com', 'active', now() + g * interval '1 hour' FROM generate_series(1, 1100) g`, other.ID); err != nil {
		t.Fatal(err)
	}
	c := f.env.As("viewer")
	read := func(path string) [][]string {
		t.Helper()
		r := c.Get(path)
		r.Want(t, http.StatusOK, path)
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("%s: content type %q", path, r.Header.Get("Content-Type"))
		}
		recs, err := csv.NewReader(strings.NewReader(r.Body)).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return recs
	}
	all := read("/lumi/domains/export.csv")
	if len(all) != 1+1101 || all[0][0] != "id" || all[0][3] != "name" {
		t.Fatalf("every domain: %d records, header %v", len(all), all[0])
	}
	seen := map[string]bool{}
	for _, rec := range all[1:] {
		if seen[rec[0]] {
			t.Fatalf("domain %s exported twice", rec[0])
		}
		seen[rec[0]] = true
	}
	mine := read("/lumi/domains/export.csv?account=" + lid(f.acc))
	if len(mine) != 2 || mine[1][0] != lid(f.domain.ID) || mine[1][2] != "Lumi Buyer" || mine[1][3] != "shop.com" ||
		mine[1][9] != strings.Join(products.DefaultNameservers, " ") {
		t.Errorf("one account's domains: %v", mine)
	}
	byExpiry := read("/lumi/domains/export.csv?sort=expires&q=bulk-")
	if len(byExpiry) != 1101 || byExpiry[1][3] != "bulk-1.com" || byExpiry[1100][3] != "bulk-1100.com" || byExpiry[1][2] != "Other Co" {
		t.Errorf("by expiry: %d records, first %v", len(byExpiry), byExpiry[1])
	}
	if got := read("/lumi/vps/export.csv"); len(got) != 2 || got[1][3] != "web1" || got[1][2] != "Lumi Buyer" {
		t.Errorf("servers: %v", got)
	}
	if got := read("/lumi/proxies/export.csv?status=active"); len(got) != 2 || got[1][0] != lid(f.proxy.ID) || got[1][6] != "US" {
		t.Errorf("proxies: %v", got)
	}
	for _, bad := range []string{"?status=bogus", "?account=x", "?sort=name"} {
		c.Get("/lumi/domains/export.csv"+bad).Want(t, http.StatusUnprocessableEntity, bad)
	}
	// The list's link carries its filters.
	if href := c.Get("/lumi/domains?status=active&q=bulk").Doc.Find(`[data-testid="export-csv"]`).AttrOr("href", ""); href != "/lumi/domains/export.csv?q=bulk&status=active" {
		t.Errorf("export link %q", href)
	}
	if r := f.env.Anonymous().Get("/lumi/domains/export.csv"); r.Status == http.StatusOK {
		t.Error("anonymous export")
	}
}
