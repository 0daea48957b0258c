package server_test

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"

	"lumdesk/handlers/server/servertest"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/product"
)

// Every search kind a product declares has its searcher wired: a kind
// without one is a palette group that never finds anything (Lumira's
// groups, Lumi's deposits and Lumora's templates once were).
func TestEverySearchKindIsWired(t *testing.T) {
	env := servertest.New(t)
	if u := env.Console.Unwired(); len(u) > 0 {
		t.Errorf("declared search kinds without a searcher: %v", u)
	}
}

// The sidebar, the account page's tabs, the API key form, the landing pages
// and the palette all show every product of the registry.
func TestPagesShowEveryRegisteredProduct(t *testing.T) {
	env := servertest.New(t)
	acc, err := env.Accounts.Create(context.Background(), audit.CLI("test"), accounts.CreateInput{Name: "Registry Co", Email: "registry@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	acctPath := func(id int64, suffix string) string { return "/accounts/" + strconv.FormatInt(id, 10) + suffix }
	viewer, admin := env.As("viewer"), env.As("admin")

	// Sidebar: every nav entry, with its label, for a role that holds its permission.
	r := viewer.Get("/")
	if r.Status != 200 {
		t.Fatalf("overview: %d", r.Status)
	}
	for _, p := range product.All() {
		for _, n := range p.Nav {
			a := r.Doc.Find(`a.nav-link[data-nav="` + n.Key + `"][href="` + n.Href + `"]`)
			if a.Length() != 1 || strings.TrimSpace(a.Text()) != n.Label {
				t.Errorf("sidebar entry %s (%s): %d links, text %q", n.Key, n.Href, a.Length(), strings.TrimSpace(a.Text()))
			}
		}
	}

	// Account page: one tab per product between the overview and the API keys.
	r = viewer.Get(acctPath(acc.ID, ""))
	var tabs []string
	r.Doc.Find(".tabs a").Each(func(_ int, s *goquery.Selection) { tabs = append(tabs, strings.TrimSpace(s.Text())) })
	want := []string{"Overview"}
	for _, p := range product.All() {
		want = append(want, p.AccountTab.Label)
	}
	want = append(want, "API keys", "Portal", "History")
	if diff := cmp.Diff(want, tabs); diff != "" {
		t.Errorf("account tabs (-want +got):\n%s", diff)
	}
	for _, p := range product.All() {
		tab := p.AccountTab.Tab
		r := viewer.Get(acctPath(acc.ID, "?tab="+tab))
		body := r.Text(`[data-testid="tab-` + tab + `"]`)
		if r.Status != 200 || r.Text(`.tabs a[aria-current="page"]`) != p.AccountTab.Label {
			t.Errorf("tab %s: status %d, active %q", tab, r.Status, r.Text(`.tabs a[aria-current="page"]`))
		}
		switch p.Key {
		case product.Licensing: // rendered at once by the licensing tab
			if !strings.Contains(body, "No Luarmor projects yet") || r.Has(`[data-testid="luarmor-tab"][hx-get]`) {
				t.Errorf("licensing tab not rendered by its product: %q", body)
			}
		case product.Billing: // loaded by htmx
			if !r.Has(`[data-testid="tab-lumi"] [data-testid="lumi-tab"][hx-get]`) {
				t.Errorf("billing tab has no loader: %q", body)
			}
		default:
			if !strings.Contains(body, p.AccountTab.EmptyTitle) {
				t.Errorf("tab %s lacks its empty state %q: %q", tab, p.AccountTab.EmptyTitle, body)
			}
		}
	}

	// API key form: every key product with its label, scopes and money fields.
	r = admin.Get("/apikeys/new")
	for _, ap := range product.APIProducts() {
		opt := r.Doc.Find(`select[name="product"] option[value="` + ap.ID + `"]`)
		if strings.TrimSpace(opt.Text()) != ap.Label {
			t.Errorf("product option %s: %q", ap.ID, strings.TrimSpace(opt.Text()))
		}
		if opt.HasClass("no-money") == ap.Money {
			t.Errorf("product option %s: no-money class %v with Money %v", ap.ID, opt.HasClass("no-money"), ap.Money)
		}
		group := r.Doc.Find(`fieldset[data-scope-group="` + ap.ID + `"]`)
		if group.Find(`[data-product="`+ap.ID+`"]`).Text() != ap.Label {
			t.Errorf("scope group %s: chip %q", ap.ID, group.Find(`[data-product]`).Text())
		}
		for _, s := range ap.Scopes {
			if group.Find(`input[name="scope"][value="`+ap.ID+`|`+s.Name+`"]`).Length() != 1 {
				t.Errorf("scope group %s lacks %s", ap.ID, s.Name)
			}
		}
		if n := group.Find(`input[name="scope"]`).Length(); n != len(ap.Scopes) {
			t.Errorf("scope group %s: %d scopes, want %d", ap.ID, n, len(ap.Scopes))
		}
	}

	// A coming product has its landing page; the palette finds every area.
	for _, p := range product.All() {
		if p.Status == product.Coming {
			r := viewer.Get(p.Path)
			if r.Status != 200 || !r.Has(`[data-testid="product-empty"]`) || !strings.Contains(r.Text("main"), p.Tagline) {
				t.Errorf("landing page %s: %d", p.Path, r.Status)
			}
		}
		r := viewer.HTMX("GET", "/search?q="+url.QueryEscape(p.Brand), nil)
		if r.Status != 200 || !r.Has(`a[href="`+p.Path+`"]`) {
			t.Errorf("palette search %q does not find %s", p.Brand, p.Path)
		}
	}
}
