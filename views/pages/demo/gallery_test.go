package demo

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"

	"lumdesk/static"
	"lumdesk/views/components"
	"lumdesk/views/layouts"
)

func render(t *testing.T, c templ.Component) *goquery.Document {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(context.Background(), &buf); err != nil {
		t.Fatalf("render: %v", err)
	}
	doc, err := goquery.NewDocumentFromReader(&buf)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return doc
}

func samplePage() layouts.Page {
	return layouts.Page{
		Title:  "Component gallery",
		Crumbs: []layouts.Crumb{{Label: "Developer", Href: "/dev"}, {Label: "Gallery"}},
		Nav:    "luarmor.keys",
		User:   &layouts.User{ID: 7, Name: "Ada Lovelace", Email: "ada@example.com", Role: "admin"},
		CSRF:   "tok-123",
		Demo:   true,
		Toasts: []layouts.Toast{{Kind: "success", Message: "Saved."}},
		Products: []layouts.NavItem{
			{Key: "luarmor", Label: "Luarmor", Href: "/luarmor", Icon: "code"},
			{Key: "lumi", Label: "Lumi", Href: "/lumi", Icon: "globe", Permission: "billing.view"},
		},
	}
}

func TestGalleryShell(t *testing.T) {
	t.Parallel()
	doc := render(t, Gallery(samplePage()))

	if got, _ := doc.Find(`meta[name="csrf-token"]`).Attr("content"); got != "tok-123" {
		t.Errorf("csrf meta = %q, want tok-123", got)
	}
	if got, _ := doc.Find(`meta[name="htmx-config"]`).Attr("content"); !strings.Contains(got, `"allowEval":false`) || !strings.Contains(got, `"includeIndicatorStyles":false`) {
		t.Errorf("htmx-config = %q", got)
	}
	if doc.Find("head > title").Text() != "Component gallery · lumdesk" {
		t.Errorf("title = %q", doc.Find("head > title").Text())
	}
	for _, name := range []string{"js/theme.js", "js/htmx.min.js", "js/app.js"} {
		src := static.URL(name)
		if !strings.Contains(src, "?v=") || doc.Find(`head script[src="`+src+`"]`).Length() != 1 {
			t.Errorf("missing script %s (content-hashed URL)", src)
		}
	}
	if _, deferred := doc.Find(`script[src="` + static.URL("js/theme.js") + `"]`).Attr("defer"); deferred {
		t.Error("theme.js must run before first paint (no defer)")
	}
	if v, _ := doc.Find("body").Attr("hx-boost"); v != "false" {
		t.Errorf("body hx-boost = %q", v)
	}

	// Command palette wiring.
	pal := doc.Find("dialog#palette")
	if pal.Length() != 1 {
		t.Fatal("dialog#palette missing")
	}
	in := pal.Find(`input[name="q"]`)
	if v, _ := in.Attr("hx-get"); v != "/search" {
		t.Errorf("palette hx-get = %q", v)
	}
	if v, _ := in.Attr("hx-target"); v != "#palette-results" {
		t.Errorf("palette hx-target = %q", v)
	}
	if v, _ := in.Attr("hx-trigger"); v != "input changed delay:150ms" {
		t.Errorf("palette hx-trigger = %q", v)
	}
	if pal.Find("#palette-results a").Length() == 0 {
		t.Error("palette should start with quick links")
	}
	if doc.Find("#dialog-host").Length() != 1 {
		t.Error("#dialog-host missing")
	}
	if v, _ := doc.Find("#toasts").Attr("aria-live"); v != "polite" {
		t.Errorf("#toasts aria-live = %q", v)
	}
	if got := doc.Find("#toasts [data-toast]").Length(); got != 1 {
		t.Errorf("server toasts = %d, want 1", got)
	}

	// Sign-out is a POST carrying the CSRF token.
	logout := doc.Find(`form[action="/logout"]`)
	if m, _ := logout.Attr("method"); m != "post" {
		t.Errorf("logout method = %q", m)
	}
	if v, _ := logout.Find(`input[name="csrf"]`).Attr("value"); v != "tok-123" {
		t.Errorf("logout csrf = %q", v)
	}

	// Demo banner and breadcrumbs.
	if doc.Find("[data-demo-banner]").Length() != 1 {
		t.Error("demo banner missing")
	}
	if doc.Find(`.breadcrumbs a[href="/dev"]`).Length() != 1 || doc.Find(`.breadcrumbs [aria-current="page"]`).Text() != "Gallery" {
		t.Error("breadcrumbs wrong")
	}

	// Nav: "luarmor.keys" activates Luarmor only; Staff hidden when Can is nil.
	if doc.Find(`a.nav-link[aria-current="page"]`).Length() != 1 || doc.Find(`a[data-nav="luarmor"][aria-current="page"]`).Length() != 1 {
		t.Error("expected exactly the Luarmor nav link to be active")
	}
	if doc.Find(`a.nav-link[href="/staff"]`).Length() != 0 {
		t.Error("Staff link shown although Can is nil")
	}
}

func TestGalleryStaffLinkNeedsPermission(t *testing.T) {
	t.Parallel()
	p := samplePage()
	p.Demo = false
	p.Can = func(perm string) bool { return perm == "staff.manage" }
	doc := render(t, Gallery(p))
	if doc.Find(`a.nav-link[href="/staff"]`).Length() != 1 {
		t.Error("Staff link missing for staff.manage")
	}
	if doc.Find("[data-demo-banner]").Length() != 0 {
		t.Error("demo banner shown with Demo=false")
	}
	p.Can = func(string) bool { return false }
	if render(t, Gallery(p)).Find(`a.nav-link[href="/staff"]`).Length() != 0 {
		t.Error("Staff link shown without staff.manage")
	}
}

func TestGallerySortHeaders(t *testing.T) {
	t.Parallel()
	doc := render(t, Gallery(samplePage()))
	sorted := doc.Find(`a.sort-link[data-sort="asc"], a.sort-link[data-sort="desc"]`)
	if sorted.Length() != 1 {
		t.Fatalf("sorted headers = %d, want 1", sorted.Length())
	}
	if d, _ := sorted.Attr("data-sort"); d != "desc" {
		t.Errorf("GallerySort %q should render desc, got %q", GallerySort, d)
	}
	if !strings.Contains(sorted.Text(), "Created") || sorted.Find("svg use").Length() == 0 {
		t.Error("sorted header should be Created with an arrow icon")
	}
	// The arrow of a descending column points down.
	if href, _ := sorted.Find("svg use").Attr("href"); !strings.HasSuffix(href, "#arrow-down") {
		t.Errorf("desc arrow = %q, want the sprite's arrow-down", href)
	}
	if href, _ := sorted.Attr("href"); href != "/dev/gallery?sort=created" {
		t.Errorf("clicking a desc header should switch to asc, href = %q", href)
	}
	if a, _ := sorted.Parent().Attr("aria-sort"); a != "descending" {
		t.Errorf("aria-sort = %q", a)
	}
	nameLink := doc.Find(`a.sort-link[href="/dev/gallery?sort=name"]`)
	if nameLink.Length() != 1 {
		t.Error("unsorted header should link to ascending sort")
	} else if d, _ := nameLink.Attr("data-sort"); d != "none" {
		t.Errorf("unsorted data-sort = %q", d)
	}
	if !doc.Find(`a.sort-link[href="/dev/gallery?sort=balance"]`).Parent().HasClass("cell-num") {
		t.Error("SortHeaderNum should right-align its th")
	}
	// Rows are links and selectable.
	if got := doc.Find(`tbody tr[data-href]`).Length(); got != len(SampleAccounts) {
		t.Errorf("rows = %d, want %d", got, len(SampleAccounts))
	}
	if doc.Find(`input[data-select-all]`).Length() != 1 || doc.Find(`input[data-select-row]`).Length() != len(SampleAccounts) {
		t.Error("bulk select checkboxes missing")
	}
}

func TestGalleryBadges(t *testing.T) {
	t.Parallel()
	doc := render(t, Gallery(samplePage()))
	want := map[string]string{
		"active": "badge-green", "verified": "badge-green", "paid": "badge-green",
		"pending": "badge-amber", "in_review": "badge-amber",
		"banned": "badge-red", "suspended": "badge-red", "rejected": "badge-red",
		"expired": "badge-grey", "revoked": "badge-grey", "cancelled": "badge-grey",
	}
	for status, class := range want {
		b := doc.Find(`.card [data-status="` + status + `"]`).First()
		if b.Length() == 0 {
			t.Errorf("no StatusBadge for %s", status)
			continue
		}
		if !b.HasClass("badge") || !b.HasClass(class) {
			c, _ := b.Attr("class")
			t.Errorf("StatusBadge(%s) class = %q, want %s", status, c, class)
		}
	}
	if got := doc.Find(`[data-status="in_review"]`).First().Text(); got != "In review" {
		t.Errorf("humanized status = %q", got)
	}
	for _, tone := range GalleryTones {
		if doc.Find(".badge.badge-"+tone).Length() == 0 {
			t.Errorf("no badge with tone %s", tone)
		}
	}
}

func TestGalleryChart(t *testing.T) {
	t.Parallel()
	doc := render(t, Gallery(samplePage()))
	bars := doc.Find("svg.chart rect[data-bar]")
	if bars.Length() != len(SampleSends) {
		t.Fatalf("bars = %d, want %d", bars.Length(), len(SampleSends))
	}
	if got := doc.Find("svg.chart g.chart-col > title").Length(); got != len(SampleSends) {
		t.Errorf("tooltips = %d", got)
	}
	// Heights follow the values: the largest value has the tallest bar, a
	// zero value has height 0.
	maxI, maxH := -1, -1.0
	bars.Each(func(i int, s *goquery.Selection) {
		h, _ := strconv.ParseFloat(s.AttrOr("height", "x"), 64)
		if h > maxH {
			maxI, maxH = i, h
		}
	})
	wantI := 0
	for i, p := range SampleSends {
		if p.Value > SampleSends[wantI].Value {
			wantI = i
		}
	}
	if maxI != wantI {
		t.Errorf("tallest bar %d, want %d", maxI, wantI)
	}
	last := bars.Last().AttrOr("height", "")
	if SampleSends[len(SampleSends)-1].Value == 0 && last != "0.00" {
		t.Errorf("zero bar height = %q", last)
	}
	if title := doc.Find("svg.chart g.chart-col > title").First().Text(); title != "Oct 1: 18,200" {
		t.Errorf("first tooltip = %q", title)
	}
	// Sparklines inside the stat tiles.
	if got := doc.Find(".stat svg.sparkline polyline").Length(); got != 4 {
		t.Errorf("sparklines = %d, want 4", got)
	}
}

func TestGalleryDialogs(t *testing.T) {
	t.Parallel()
	doc := render(t, Gallery(samplePage()))
	d := doc.Find("dialog#demo-confirm")
	if d.Length() != 1 {
		t.Fatal("confirm dialog missing")
	}
	if _, auto := d.Attr("data-autoopen"); auto {
		t.Error("Manual dialog must not auto-open")
	}
	form := d.Find("form")
	if form.AttrOr("method", "") != "post" || form.AttrOr("action", "") != "/accounts/acc_7Hq2/suspend" {
		t.Error("confirm form should be a plain POST to Action")
	}
	if _, ok := form.Attr("hx-post"); ok {
		t.Error("no hx-post without HxTarget")
	}
	if _, disabled := d.Find(`button[type="submit"]`).Attr("disabled"); !disabled {
		t.Error("type-to-confirm submit must start disabled")
	}
	if !d.Find(`button[type="submit"]`).HasClass("btn-danger") {
		t.Error("danger dialog submit should be btn-danger")
	}
	if d.Find(`input[data-confirm-text="nightfall"]`).Length() != 1 {
		t.Error("confirm-text input missing")
	}
	if _, req := d.Find(`textarea[name="reason"]`).Attr("required"); !req {
		t.Error("reason textarea should be required")
	}
	if d.Find(`input[name="csrf"]`).AttrOr("value", "") != "tok-123" {
		t.Error("confirm form csrf missing")
	}
	plain := doc.Find("dialog#demo-plain form")
	if plain.AttrOr("hx-post", "") != "/accounts/acc_7Hq2/resend" || plain.AttrOr("hx-target", "") != "#dialog-host" || plain.AttrOr("hx-swap", "") != "innerHTML" {
		t.Error("HxTarget dialog should carry hx-post/hx-target/hx-swap")
	}
	// The default (non-manual) Dialog opens itself and removes itself on close.
	auto := render(t, components.Dialog("x", "Title"))
	dl := auto.Find("dialog#x")
	_, a := dl.Attr("data-autoopen")
	_, r := dl.Attr("data-remove-on-close")
	if !a || !r {
		t.Error("Dialog should have data-autoopen and data-remove-on-close")
	}
}

// The page must work under script-src 'self'; style-src 'self'.
func TestGalleryIsCSPClean(t *testing.T) {
	t.Parallel()
	doc := render(t, Gallery(samplePage()))
	doc.Find("*").Each(func(_ int, s *goquery.Selection) {
		for _, a := range s.Nodes[0].Attr {
			if a.Key == "style" || strings.HasPrefix(a.Key, "on") || strings.HasPrefix(a.Key, "hx-on") {
				t.Errorf("<%s %s=%q> violates the CSP", goquery.NodeName(s), a.Key, a.Val)
			}
			if strings.HasPrefix(strings.TrimSpace(strings.ToLower(a.Val)), "javascript:") {
				t.Errorf("<%s %s=%q> uses javascript:", goquery.NodeName(s), a.Key, a.Val)
			}
		}
	})
	doc.Find("script").Each(func(_ int, s *goquery.Selection) {
		if _, ok := s.Attr("src"); !ok || strings.TrimSpace(s.Text()) != "" {
			t.Error("inline <script> found")
		}
	})
	if doc.Find("style").Length() != 0 {
		t.Error("<style> element found")
	}
}

func TestBareLayout(t *testing.T) {
	t.Parallel()
	p := layouts.Page{Title: "Sign in", CSRF: "c"}
	doc := render(t, layouts.Bare(p))
	if doc.Find("details[data-menu]").Length() != 0 || doc.Find("#sidebar").Length() != 0 {
		t.Error("Bare must not show the console chrome")
	}
	if doc.Find("main h1").Text() != "Sign in" {
		t.Errorf("Bare heading = %q", doc.Find("main h1").Text())
	}
	if doc.Find("[data-theme-toggle]").Length() != 1 {
		t.Error("Bare should keep the theme toggle")
	}
}

func TestFieldNeverEchoesPassword(t *testing.T) {
	t.Parallel()
	doc := render(t, components.Field("Password", "password", "hunter2", "password", "Wrong password", "", true))
	in := doc.Find(`input[name="password"]`)
	if _, ok := in.Attr("value"); ok {
		t.Error("password value echoed")
	}
	if in.AttrOr("aria-invalid", "") != "true" || !in.HasClass("input-error") {
		t.Error("error state not marked")
	}
	if doc.Find(".field-error").Text() == "" {
		t.Error("error message missing")
	}
}

func TestBarChartEdgeCases(t *testing.T) {
	t.Parallel()
	doc := render(t, components.BarChart(nil, "Empty"))
	if doc.Find("rect[data-bar]").Length() != 0 || doc.Find("svg.chart line").Length() != 5 {
		t.Error("empty chart should draw only the grid")
	}
	doc = render(t, components.BarChart([]components.ChartPoint{{Label: "a", Value: 3}}, ""))
	if h := doc.Find("rect[data-bar]").AttrOr("height", ""); h == "" || h == "0.00" {
		t.Errorf("single bar height = %q", h)
	}
}

func TestGalleryProductLinkNeedsItsPermission(t *testing.T) {
	t.Parallel()
	p := samplePage()
	if render(t, Gallery(p)).Find(`a.nav-link[href="/lumi"]`).Length() != 0 {
		t.Error("Lumi link shown although Can is nil")
	}
	p.Can = func(perm string) bool { return perm == "billing.view" }
	if render(t, Gallery(p)).Find(`a.nav-link[href="/lumi"]`).Length() != 1 {
		t.Error("Lumi link missing for billing.view")
	}
}
