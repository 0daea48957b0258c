package console_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"lumdesk/internal/billing/products"
	"lumdesk/internal/console"
	"lumdesk/internal/licensing"
	"lumdesk/internal/mail"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/testdb"
	"lumdesk/internal/product"
	"lumdesk/internal/ranking"
)

const (
	fullKey = "AbCdEfGhIjKlMnOpQrStUvWxYz012345"
	hwid    = "HWID-7f3a9c21-beef"
	discord = "998877665544332211"
)

// seed puts one of each kind in a fresh database, plus look-alikes that
// contain the exact values, so ranking has something to order.
func seed(t *testing.T) *console.Service {
	t.Helper()
	d := db.New(testdb.New(t))
	ctx := context.Background()
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := d.Pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec(`INSERT INTO accounts (name, email, discord_id) VALUES ('Orbital Widgets', 'ops@orbital.test', '111222333444555666'), ('Acme', 'acme@x.test', '')`)
	exec(`INSERT INTO staff_users (email, name, role, password_hash) VALUES ('sam@staff.test', 'Samantha Support', 'support', 'x')`)
	exec(`INSERT INTO licensing_projects (public_id, account_id, name) SELECT 'a1b2c3d4e5f6a7b8c9d0e1', id, 'Orbital Hub' FROM accounts WHERE name = 'Orbital Widgets'`)
	exec(`INSERT INTO licensing_scripts (public_id, project_id, name) SELECT 'f00dfeedf00dfeedf00dfeedf00dfeed', id, 'Orbital Loader' FROM licensing_projects`)
	keys := []struct{ key, hwid, discord string }{
		{fullKey, hwid, discord},
		// contains the first key's tail and HWID, but is not it
		{"zzzz" + fullKey[4:], hwid + "-2", discord + "0"},
		{"0123456789abcdef0123456789abcdef", "", ""},
	}
	for _, k := range keys {
		exec(`INSERT INTO license_keys (project_id, user_key, identifier, discord_id) SELECT id, $1, $2, $3 FROM licensing_projects`, k.key, k.hwid, k.discord)
	}
	exec(`INSERT INTO lumi_domains (account_id, name, status) SELECT id, 'orbital-widgets.com', 'active' FROM accounts WHERE name = 'Orbital Widgets'`)
	exec(`INSERT INTO lumi_domains (account_id, name, status) SELECT id, 'my-orbital-widgets.com', 'active' FROM accounts WHERE name = 'Acme'`)
	exec(`INSERT INTO lumi_vps (account_id, plan, hostname, ip, status) SELECT id, 'vps-s', 'build-box-01.orbital.test', '203.0.113.47', 'active' FROM accounts WHERE name = 'Acme'`)
	exec(`INSERT INTO lumi_proxies (account_id, plan, type, country, host, port, status) SELECT id, 'px-1', 'http', 'DE', 'px-frankfurt-9.lumi.test', 8080, 'active' FROM accounts WHERE name = 'Acme'`)
	exec(`INSERT INTO mail_apps (account_id, name) SELECT id, 'Orbital Alerts' FROM accounts WHERE name = 'Orbital Widgets'`)
	exec(`INSERT INTO mail_apps (account_id, name) SELECT id, 'Hq' FROM accounts WHERE name = 'Acme'`)
	exec(`INSERT INTO mail_domains (account_id, name, dkim_selector, dkim_public_key) SELECT id, 'mail.orbital-widgets.com', 'lm1', 'x' FROM accounts WHERE name = 'Orbital Widgets'`)
	exec(`INSERT INTO mail_templates (account_id, public_id, slug, name, subject, html, text) SELECT id, 'tpl_Orb1tal0', 'weekly-issue', 'Weekly issue', 's', 'h', 't' FROM accounts WHERE name = 'Orbital Widgets'`)
	exec(`INSERT INTO mail_templates (account_id, public_id, slug, name, subject, html, text, status, deleted_at) SELECT id, 'tpl_Gone0000', 'gone-issue', 'Gone issue', 's', 'h', 't', 'deleted', now() FROM accounts WHERE name = 'Acme'`)
	exec(`INSERT INTO lumira_groups (public_id, account_id, roblox_group_id, name, ceiling_rank, status) SELECT 'grp_orbitalguard0001', id, 4815162, 'Orbital Night Guard', 200, 'sandbox' FROM accounts WHERE name = 'Orbital Widgets'`)
	exec(`INSERT INTO deposits (public_id, account_id, amount_cents, provider) SELECT 'dep_orbital0001', id, 2500, 'manual' FROM accounts WHERE name = 'Acme'`)
	// A generous budget: these tests are about what is found (the budget
	// has its own test below).
	return console.New(d).WithSearchBudget(10 * time.Second).Register(licensing.Searchers(d)).Register(products.Searchers(d)).Register(mail.Searchers(d)).
		Register(ranking.Searchers(d))
}

func everything(string) bool { return true }

func search(t *testing.T, s *console.Service, can func(string) bool, q string) []console.Hit {
	t.Helper()
	hits, err := s.Search(context.Background(), can, q)
	if err != nil {
		t.Fatalf("search %q: %v", q, err)
	}
	return hits
}

// ofKind lists the titles of kind's hits, in order.
func ofKind(hits []console.Hit, kind string) []string {
	var out []string
	for _, h := range hits {
		if h.Kind == kind {
			out = append(out, h.Title)
		}
	}
	return out
}

func TestSearchFindsEveryKindByAPartialValue(t *testing.T) {
	t.Parallel()
	s := seed(t)
	cases := []struct{ q, kind, want string }{
		{"orbital wid", "account", "Orbital Widgets"},
		{"ops@orb", "account", "Orbital Widgets"},
		{"22333444", "account", "Orbital Widgets"},
		{"Samantha", "staff", "Samantha Support"},
		{"mnopqrst", "license_key", fullKey}, // part of a key
		{"7f3a9c21", "license_key", fullKey}, // part of a HWID
		{"6655443", "license_key", fullKey},  // part of a Discord ID
		{"a1b2c3d4e5f6a7b8c9d0e1", "project", "Orbital Hub"},
		{"bital hu", "project", "Orbital Hub"},
		{"tal load", "script", "Orbital Loader"},
		{"widgets.co", "domain", "orbital-widgets.com"},
		{"build-box", "vps", "build-box-01.orbital.test"},
		{"113.47", "vps", "build-box-01.orbital.test"},
		{"frankfurt", "proxy", "px-frankfurt-9.lumi.test:8080"},
		{"bital ale", "mail_app", "Orbital Alerts"},
		{"Hq", "mail_app", "Hq"}, // a name too short for a partial search, found whole
		{"l.orbital-w", "sending_domain", "mail.orbital-widgets.com"},
		{"MAIL.ORBITAL-WIDGETS.COM", "sending_domain", "mail.orbital-widgets.com"},
		{"kly iss", "template", "Weekly issue"},
		{"weekly-issue", "template", "Weekly issue"},
		{"tpl_Orb1tal0", "template", "Weekly issue"},
		{"night gua", "group", "Orbital Night Guard"},
		{"4815162", "group", "Orbital Night Guard"},
		{"grp_orbitalguard0001", "group", "Orbital Night Guard"},
		{"dep_orbital0001", "deposit", "dep_orbital0001"},
		{"audit", "page", "Audit log"},
		{"lumi", "page", "Lumi"},
	}
	if got := ofKind(search(t, s, everything, "gone-issue"), "template"); len(got) != 0 {
		t.Errorf("a deleted template was found: %v", got)
	}
	for _, c := range cases {
		got := ofKind(search(t, s, everything, c.q), c.kind)
		found := false
		for _, g := range got {
			found = found || g == c.want
		}
		if !found {
			t.Errorf("search %q: %s hits %v lack %q", c.q, c.kind, got, c.want)
		}
	}
}

func TestSearchRanksExactMatchesFirst(t *testing.T) {
	t.Parallel()
	s := seed(t)
	for _, q := range []string{fullKey, hwid, discord, strings.ToLower(fullKey[4:])} {
		got := ofKind(search(t, s, everything, q), "license_key")
		if q == strings.ToLower(fullKey[4:]) {
			// contained in two keys, equal to neither: both found
			if len(got) != 2 {
				t.Errorf("search %q: %v, want both look-alikes", q, got)
			}
			continue
		}
		if len(got) == 0 || got[0] != fullKey {
			t.Errorf("search %q: %v, want %s first", q, got, fullKey)
		}
	}
	// The exact domain beats the one that merely contains it.
	got := ofKind(search(t, s, everything, "orbital-widgets.com"), "domain")
	if len(got) != 2 || got[0] != "orbital-widgets.com" {
		t.Errorf("domains: %v, want the exact name first", got)
	}
	// A prefix beats a contains: "Orbital" starts the account, only contains the look-alike domain.
	got = ofKind(search(t, s, everything, "orbital-"), "domain")
	if len(got) != 2 || got[0] != "orbital-widgets.com" {
		t.Errorf("domain prefix: %v, want the prefix match first", got)
	}
	// The exact IP finds the server.
	if got := ofKind(search(t, s, everything, "203.0.113.47"), "vps"); len(got) != 1 {
		t.Errorf("exact IP: %v", got)
	}
}

func TestSearchBoundsEachKind(t *testing.T) {
	t.Parallel()
	s := seed(t)
	// every kind's group is at most PerKind long
	counts := map[string]int{}
	for _, h := range search(t, s, everything, "e") {
		counts[h.Kind]++
	}
	for k, n := range counts {
		if n > console.PerKind {
			t.Errorf("%s: %d hits, bound is %d", k, n, console.PerKind)
		}
	}
}

func TestSearchRespectsPermissions(t *testing.T) {
	t.Parallel()
	s := seed(t)
	viewerNoLicensing := func(p string) bool { return p == "accounts.view" || p == "billing.view" }
	hits := search(t, s, viewerNoLicensing, "7f3a9c21")
	if got := ofKind(hits, "license_key"); len(got) != 0 {
		t.Errorf("without licensing.view: license keys %v", got)
	}
	if got := ofKind(search(t, s, viewerNoLicensing, "orbital"), "project"); len(got) != 0 {
		t.Errorf("without licensing.view: projects %v", got)
	}
	if got := ofKind(search(t, s, viewerNoLicensing, "orbital"), "domain"); len(got) == 0 {
		t.Error("billing.view should still find domains")
	}
	onlyLicensing := func(p string) bool { return p == "licensing.view" }
	hits = search(t, s, onlyLicensing, "orbital")
	for _, k := range []string{"account", "domain", "vps", "staff"} {
		if got := ofKind(hits, k); len(got) != 0 {
			t.Errorf("only licensing.view: %s hits %v", k, got)
		}
	}
	// Pages follow their own permission: "Audit log" needs audit.view.
	if got := ofKind(search(t, s, onlyLicensing, "audit"), "page"); len(got) != 0 {
		t.Errorf("pages without audit.view: %v", got)
	}
	if got := ofKind(search(t, s, nil, "orbital"), "account"); len(got) != 0 {
		t.Errorf("no permission check means nothing: %v", got)
	}
}

func TestSearchHostileQueries(t *testing.T) {
	t.Parallel()
	s := seed(t)
	for name, q := range map[string]string{
		"empty":        "   ",
		"nul":          "orb\x00ital",
		"invalid utf8": "orb\xff\xfeital",
		"10 KB":        strings.Repeat("x", 10<<10),
		"wildcards":    `%_\`,
		"quote":        `'; DROP TABLE accounts; --`,
	} {
		if _, err := s.Search(context.Background(), everything, q); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if hits := search(t, s, everything, "%"); len(hits) != 0 {
		t.Errorf("%% must match literally: %v", hits)
	}
	// NUL and invalid bytes are dropped, not passed on: the rest still searches.
	if got := ofKind(search(t, s, everything, "Orbital\x00"), "account"); len(got) == 0 {
		t.Error("a trailing NUL should not stop the search")
	}
	if got := console.CleanQuery(strings.Repeat("é", 500)); len([]rune(got)) != console.MaxQuery {
		t.Errorf("long query cut to %d characters, want %d", len([]rune(got)), console.MaxQuery)
	}
}

// Every searcher an area wires answers a kind the registry declares: a typo
// would otherwise be a kind that silently finds nothing.
func TestAreaSearchersAreDeclaredKinds(t *testing.T) {
	t.Parallel()
	declared := map[string]bool{}
	for _, k := range product.SearchKindsOf() {
		declared[k.Name] = true
	}
	for area, m := range map[string]map[string]product.Searcher{"licensing": licensing.Searchers(nil), "billing": products.Searchers(nil), "mail": mail.Searchers(nil),
		"ranking": ranking.Searchers(nil)} {
		for name := range m {
			if !declared[name] {
				t.Errorf("%s wires a searcher for %q, which no product declares", area, name)
			}
		}
	}
}

// A kind whose partial matches outlast the palette's budget answers with
// what it found in time (its exact lookups) and a link to its list, and
// the other kinds are not held up. The slow part is a real query that
// Postgres cancels when the budget runs out.
func TestSearchAnswersWithinItsBudget(t *testing.T) {
	// Not parallel: the other kinds must answer within the 50ms budget,
	// which tests running beside it could push them past.
	slowDB := db.New(testdb.New(t))
	s := seed(t).WithSearchBudget(50 * time.Millisecond).Register(map[string]product.Searcher{
		"license_key": func(ctx context.Context, q product.Query, limit int) ([]product.SearchHit, error) {
			found := []product.SearchHit{{Title: fullKey, Href: "/luarmor/keys/1", Rank: product.RankExact}}
			_, err := slowDB.Pool.Exec(ctx, `SELECT pg_sleep(30)`)
			return found, err
		},
	})
	start := time.Now()
	hits := search(t, s, everything, "Orbital")
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("the search waited for the slow kind (%s)", took)
	}
	var keys []console.Hit
	accounts := 0
	for _, h := range hits {
		switch h.Kind {
		case "license_key":
			keys = append(keys, h)
		case "account":
			accounts++
		}
	}
	if accounts == 0 {
		t.Error("the other kinds lost their hits")
	}
	if len(keys) != 2 || keys[0].Title != fullKey || !keys[1].More || keys[1].Href != "/luarmor/keys?q=Orbital" {
		t.Fatalf("license keys: %+v; want the exact hit, then the link to the list", keys)
	}
}
