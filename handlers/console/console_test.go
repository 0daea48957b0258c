package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"lumdesk/handlers/server/servertest"
	"lumdesk/internal/accounts"
	"lumdesk/internal/apikeys"
	"lumdesk/internal/audit"
	"lumdesk/internal/billing"
	"lumdesk/internal/licensing"
)

func TestOverviewCountsAndCharts(t *testing.T) {
	env := servertest.New(t)
	ctx := context.Background()
	var last int64
	for _, name := range []string{"Acme Ltd", "Globex"} {
		a, err := env.Accounts.Create(ctx, audit.CLI("t"), accounts.CreateInput{Name: name, Email: strings.ToLower(strings.Fields(name)[0]) + "@x.test"})
		if err != nil {
			t.Fatal(err)
		}
		last = a.ID
	}
	if _, err := env.Billing.ManualTopUp(ctx, audit.CLI("t"), billing.ManualInput{AccountID: last, Amount: "12.50", Reason: "test"}); err != nil {
		t.Fatal(err)
	}
	c := env.As("viewer")
	r := c.Get("/")
	if r.Status != 200 {
		t.Fatalf("overview: %d", r.Status)
	}
	stats := r.Doc.Find(`[data-testid="overview-stats"] .stat-value`)
	if stats.Length() != 5 || strings.TrimSpace(stats.First().Text()) != "2" {
		t.Fatalf("stats: %d tiles, first %q", stats.Length(), stats.First().Text())
	}
	// Two accounts are counted, not estimated from the planner's statistics.
	if hint := strings.TrimSpace(r.Doc.Find(`[data-testid="overview-stats"] .stat-hint`).First().Text()); hint != "0 suspended" {
		t.Errorf("accounts tile's hint %q, want %q", hint, "0 suspended")
	}
	var values []string
	stats.Each(func(_ int, s *goquery.Selection) { values = append(values, strings.TrimSpace(s.Text())) })
	if values[2] != "0" || values[3] != "$12.50" {
		t.Fatalf("license keys / Lumi balance tiles: %v", values)
	}
	// 30 daily bars by default for both charts; today's account bar holds both accounts.
	if n := r.Doc.Find(`[data-testid="chart-accounts"] svg rect.chart-bar`).Length(); n != 30 {
		t.Fatalf("accounts chart has %d bars", n)
	}
	if n := r.Doc.Find(`[data-testid="chart-audit"] svg rect.chart-bar`).Length(); n != 30 {
		t.Fatalf("audit chart has %d bars", n)
	}
	if !strings.Contains(r.Doc.Find(`[data-testid="chart-accounts"]`).Text(), ": 2") {
		t.Fatalf("today's bar should say 2: %q", r.Doc.Find(`[data-testid="chart-accounts"] title`).Last().Text())
	}
	if !r.Has(`[data-testid="recent-activity"]`) || !strings.Contains(r.Text(`[data-testid="recent-activity"]`), "Account created") {
		t.Fatal("recent activity lacks account.create")
	}
	// Entities show by name, linked to their page, never as "account #id".
	ent := r.Doc.Find(`[data-testid="recent-entity"][href="/accounts/` + strconv.FormatInt(last, 10) + `"]`).First()
	if strings.TrimSpace(ent.Text()) != "Globex" {
		t.Errorf("recent entity for account %d: %q", last, ent.Text())
	}
	if strings.Contains(r.Text(`[data-testid="recent-activity"]`), "#"+strconv.FormatInt(last, 10)) {
		t.Error("recent activity shows an account by its number")
	}
}

func TestGlobalSearchRespectsPermissions(t *testing.T) {
	env := servertest.New(t)
	ctx := context.Background()
	acc, err := env.Accounts.Create(ctx, audit.CLI("t"), accounts.CreateInput{Name: "Zephyr_50% Co", Email: "zephyr@x.test", DiscordID: "123456789012345678"})
	if err != nil {
		t.Fatal(err)
	}
	key, err := env.APIKeys.Create(ctx, audit.CLI("t"), apikeys.CreateInput{Product: "lumora", AccountID: &acc.ID, Name: "ci", Scopes: []string{"email:send"}})
	if err != nil {
		t.Fatal(err)
	}
	admin := env.As("admin")
	viewer := env.As("viewer")
	titles := func(c *servertest.Client, q string) []string {
		r := c.HTMX("GET", "/search?q="+url.QueryEscape(q), nil)
		if r.Status != 200 {
			t.Fatalf("search %q: %d", q, r.Status)
		}
		var out []string
		r.Doc.Find("a[role=option] .font-medium").Each(func(_ int, s *goquery.Selection) { out = append(out, strings.TrimSpace(s.Text())) })
		return out
	}
	has := func(list []string, want string) bool {
		for _, s := range list {
			if s == want {
				return true
			}
		}
		return false
	}
	for _, q := range []string{"zeph", "ZEPHYR@X.TEST", "123456789012345678", "50%"} {
		if got := titles(viewer, q); !has(got, "Zephyr_50% Co") {
			t.Errorf("search %q: %v lacks the account", q, got)
		}
	}
	// Partial matches start at three characters (a trigram index answers them).
	if got := titles(viewer, "r_5"); !has(got, "Zephyr_50% Co") {
		t.Errorf("underscore must match literally: %v", got)
	}
	if got := titles(viewer, "ph_r"); has(got, "Zephyr_50% Co") {
		t.Errorf("underscore must not act as a wildcard: %v", got)
	}
	if got := titles(viewer, "x%y"); len(got) != 0 {
		t.Errorf("%% must not act as a wildcard: %v", got)
	}
	if got := titles(viewer, key.Key.Prefix); !has(got, key.Key.Prefix+"…") {
		t.Errorf("key prefix search: %v", got)
	}
	adminStaff := titles(admin, "viewer")
	viewerStaff := titles(viewer, "viewer")
	if !has(adminStaff, strings.Split(viewer.User.Email, "@")[0]) || has(viewerStaff, strings.Split(viewer.User.Email, "@")[0]) {
		t.Errorf("staff results: admin %v, viewer %v (only staff managers see staff)", adminStaff, viewerStaff)
	}
	if r := viewer.HTMX("GET", "/search?q="+strings.Repeat("a", 5000), nil); r.Status != 200 {
		t.Fatalf("huge query: %d", r.Status)
	}
	if r := viewer.Oversized("GET", "/search?q="+strings.Repeat("a", 40000), http.Header{"Hx-Request": {"true"}}); r.Status != 431 {
		t.Fatalf("oversized URL: %d, want 431", r.Status)
	}
	// The input guard refuses NUL and invalid UTF-8 with a message naming the field.
	for _, q := range []string{"zeph%00yr", "zeph%FF%FE", "%00%00%00"} {
		if r := viewer.HTMX("GET", "/search?q="+q, nil); r.Status != 400 || !strings.Contains(r.Body, "NUL") {
			t.Errorf("hostile query %s: %d %q", q, r.Status, r.Body)
		}
	}
	if r := viewer.HTMX("GET", "/search?q=", nil); r.Status != 200 || !r.Has("a[role=option]") {
		t.Fatalf("empty query should list quick links: %d", r.Status)
	}
}

func TestGlobalSearchFindsLicenseKeysGroupedByKind(t *testing.T) {
	env := servertest.New(t)
	ctx := context.Background()
	acc, err := env.Accounts.Create(ctx, audit.CLI("t"), accounts.CreateInput{Name: "Keyholder", Email: "kh@x.test"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := env.Licensing.CreateProject(ctx, audit.CLI("t"), licensing.ProjectInput{AccountID: acc.ID, Name: "Keyholder Hub", Reason: "test"})
	if err != nil {
		t.Fatal(err)
	}
	k, err := env.Licensing.CreateKey(ctx, audit.CLI("t"), p.ID, licensing.KeyInput{Reason: "test"})
	if err != nil {
		t.Fatal(err)
	}
	r := env.As("viewer").HTMX("GET", "/search?q="+url.QueryEscape(k.UserKey[5:15]), nil)
	if r.Status != 200 {
		t.Fatalf("search: %d", r.Status)
	}
	if !strings.Contains(r.Text(".palette-group"), "License keys") {
		t.Fatalf("groups %q lack License keys", r.Text(".palette-group"))
	}
	link := r.Doc.Find("a[role=option]").First()
	if href, _ := link.Attr("href"); !strings.HasPrefix(href, "/luarmor/keys/") || !strings.Contains(link.Text(), k.UserKey) {
		t.Fatalf("first result %q -> %q, want the key", strings.TrimSpace(link.Text()), href)
	}
}
