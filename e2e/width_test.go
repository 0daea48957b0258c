package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/smtp"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"lumdesk/db/store"
	"lumdesk/handlers/server/servertest"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/billing"
	"lumdesk/internal/billing/products"
	"lumdesk/internal/demo"
	"lumdesk/internal/jobs"
	"lumdesk/internal/licensing"
	"lumdesk/internal/mail"
	"lumdesk/internal/staff"
)

// The console as daily users meet it: no page scrolls sideways at 1024 px
// or 1280 px, and none is wider than a phone, 390 px or 640 px held
// sideways; at each width every list table fits its card (on a phone only
// code, a diff or a script's source, scrolls inside its card). The pages are every GET
// route without a path parameter, plus the detail pages the lists link to
// (the first row of each table, each account tab), over the demo data and a
// customer whose name, e-mail, project, key note and domain are long.
func TestNoPageScrollsSideways(t *testing.T) {
	b := startFor(t, crawlTimeout)
	seedWide(t, b)
	b.staff("admin")

	visited := crawlWidths(b, widthPages(t, b), nil)

	// A clipped value keeps its whole self: on hover (title) and through its
	// copy button, which copies without opening the row.
	b.open("/accounts?q=international", `[data-testid="account-row"]`)
	const email = "accounts.payable.department@averyveryverylongcustomerdomainname-international.example"
	clip := `[data-testid="account-row"] .cell-clip[title="` + email + `"]`
	if !eval[bool](b, `(function () { var e = document.querySelector('`+clip+`'); return !!e && e.scrollWidth > e.clientWidth; })()`) {
		t.Errorf("the long e-mail is not clipped with its full value in the title")
	}
	eval[bool](b, `(navigator.clipboard.writeText = function (t) { window.copied = t; return Promise.resolve(); }, true)`)
	b.click(`[data-testid="account-row"] button[data-copy-text]`)
	b.waitVisible(`[data-testid="account-row"] button.is-copied`)
	if got := eval[string](b, `window.copied || ''`); got != email {
		t.Errorf("the copy button copied %q, want %q", got, email)
	}
	if p := b.path(); p != "/accounts?q=international" {
		t.Errorf("the copy button opened the row: at %s", p)
	}

	// Any other cut-off text gets its whole value as a title on hover.
	hover := eval[string](b, `(function () {
		var s = document.createElement('span');
		s.className = 'truncate';
		s.style.display = 'block';
		s.style.width = '40px';
		s.textContent = 'a value far too long for forty pixels';
		document.getElementById('main').appendChild(s);
		s.dispatchEvent(new MouseEvent('mouseover', {bubbles: true}));
		return s.title;
	})()`)
	if hover != "a value far too long for forty pixels" {
		t.Errorf("a cut-off .truncate got the title %q on hover", hover)
	}

	uncovered := uncoveredRoutes(b, visited)
	if len(uncovered) > 0 {
		t.Logf("GET pages with a path parameter the crawl did not reach (actions and exports mostly): %s", strings.Join(uncovered, ", "))
	}
	t.Logf("checked %d pages", len(visited))
}

// TestPageScreenshots saves every page of the width test at 1280, 1024 and
// 390 px, light and dark, into e2e/screenshots, to look at. It is slow, so
// it runs only with LUMDESK_SHOTS=1; each theme and width is its own app
// (the harness bounds one app's run) and still checks the page width.
func TestPageScreenshots(t *testing.T) {
	if os.Getenv("LUMDESK_SHOTS") == "" {
		t.Skip("set LUMDESK_SHOTS=1 to save the screenshots")
	}
	for _, theme := range []string{"light", "dark"} {
		for _, w := range []int64{1280, 1024, 390} {
			t.Run(fmt.Sprintf("%s-%d", theme, w), func(t *testing.T) {
				b := startFor(t, crawlTimeout)
				seedWide(t, b)
				b.staff("admin")
				eval[bool](b, `(localStorage.setItem('theme', '`+theme+`'), true)`)
				b.viewport(w, 844, w < 600)
				widthCrawl(b, func(p string) {
					checkWidth(b, fmt.Sprintf("%s at %dpx", p, w), w == 1024)
					b.shot(shotName(p))
				})
			})
		}
	}
}

// crawlWidths checks the pages, and the detail pages the crawl finds from
// them, at the widths people use: 1024 px, then widened to 1280 px in place,
// as a person widens the window (where the secondary columns come back, xl,
// and every table must still fit its card), then each loaded again on a
// 390 px phone (mobile viewport and touch) and on one held sideways (640
// px, where the columns a phone hides come back), where every list still
// fits its card (checkWidth). (Loading each page again for 1280 px made the console's test
// 74 s alone on the 2-core machine; 54 s without.) shot, if not nil, is
// called on each page at each width. It returns the pages in order.
func crawlWidths(b *B, pages []string, shot func(path string, width int64)) []string {
	b.t.Helper()
	check := func(p string, w int64, mobile bool, label string) {
		checkWidth(b, p+" "+label, true)
		if shot != nil {
			shot(p, w)
		}
	}
	b.viewport(1024, 800, false)
	visited := crawl(b, pages, func(p string) {
		checkLabels(b, p)
		check(p, 1024, false, "at 1024px")
		b.viewport(1280, 900, false)
		check(p, 1280, false, "at 1280px")
		b.viewport(1024, 800, false)
	})
	for _, vp := range []struct {
		w, h  int64
		label string
	}{{390, 844, "on a 390px phone"}, {640, 390, "on a phone held sideways (640px)"}} {
		b.viewport(vp.w, vp.h, true)
		for _, p := range visited {
			b.open(p, "#main")
			check(p, vp.w, true, vp.label)
		}
	}
	return visited
}

// widthCrawl opens the pages at the current viewport, calls visit on each,
// and follows the links crawlJS finds (the same at any width) to one page
// per route shape; it returns the pages in the order visited.
func widthCrawl(b *B, visit func(path string)) []string {
	b.t.Helper()
	return crawl(b, widthPages(b.t, b), visit)
}

// crawl opens pages and the detail pages their lists lead to (one per
// route shape), calling visit on each; it returns them in order.
func crawl(b *B, pages []string, visit func(path string)) []string {
	b.t.Helper()
	seen := map[string]bool{}
	var visited []string
	for i := 0; i < len(pages); i++ {
		p := pages[i]
		if seen[p] {
			continue
		}
		seen[p] = true
		visited = append(visited, p)
		b.open(p, "#main")
		visit(p)
		if strings.Count(p, "/") <= 3 {
			for _, next := range eval[[]string](b, crawlJS) {
				if !seen[next] && !slices.Contains(pages, next) && crawlOK(next, pages) {
					pages = append(pages, next)
				}
			}
		}
	}
	return visited
}

// crawlJS lists the links worth following from a page: the first row of
// each table (a detail page), every tab, and the detail pages no table
// leads to (history, scripts, jobs, an account's products and projects).
const crawlJS = `(function () {
	var out = [];
	document.querySelectorAll('#main table').forEach(function (t) {
		var r = t.querySelector('tbody tr[data-href]');
		if (r) out.push(r.getAttribute('data-href'));
		var a = t.querySelector('tbody tr a[href^="/"]');
		if (a) out.push(a.getAttribute('href'));
	});
	document.querySelectorAll('#main [role=tablist] a[href^="/"], #main nav a[href*="tab="], #main a[href*="/history/"], ' +
		'#main a[href*="/scripts/"], #main a[href*="/jobs/"], #main a[href$="/products"], #main a[href$="/projects"]').forEach(function (a) {
		out.push(a.getAttribute('href'));
	});
	return out;
})()`

// crawlOK keeps the crawl to one page per route shape (the first account,
// not all forty) and off exports and actions.
func crawlOK(p string, have []string) bool {
	if strings.Contains(p, ".csv") || strings.Contains(p, "/history/") && len(have) > 80 {
		return false
	}
	shape := routeShape(p)
	for _, h := range have {
		if routeShape(h) == shape {
			return false
		}
	}
	return true
}

var digits = regexp.MustCompile(`/[0-9]+(/|$|\?)|/[0-9a-f]{32}(/|$|\?)`)

// routeShape is a path with its ids replaced and its query kept only for
// tab= (each tab is its own page; a filter is not).
func routeShape(p string) string {
	path, query, _ := strings.Cut(p, "?")
	shape := digits.ReplaceAllString(path, "/:id$1")
	shape = digits.ReplaceAllString(shape, "/:id$1")
	for _, kv := range strings.Split(query, "&") {
		if strings.HasPrefix(kv, "tab=") {
			shape += "?" + kv
		}
	}
	return shape
}

// widthPages are the console's GET pages without a path parameter, from
// the route table, plus a filtered list.
func widthPages(t *testing.T, b *B) []string {
	t.Helper()
	skip := map[string]bool{"/login": true, "/login/totp": true, "/healthz": true, "/readyz": true, "/metrics": true,
		"/static/*": true, "/favicon.ico": true,
		"/search": true} // the palette's results, a fragment
	var out []string
	for _, r := range b.Env.Handlers.Table() {
		if r.Method != "GET" || skip[r.Path] || r.Portal != "" || strings.Contains(r.Path, ":") || strings.HasSuffix(r.Path, ".csv") ||
			strings.HasPrefix(r.Path, "/api/") || strings.HasPrefix(r.Path, "/luarmor/keys/bulk") { // bulk forms need a selection
			continue
		}
		out = append(out, r.Path)
	}
	out = append(out, "/accounts?q=international")
	return out
}

// uncoveredRoutes are the GET routes with a parameter no visited page matched.
func uncoveredRoutes(b *B, visited []string) []string {
	var out []string
	for _, r := range b.Env.Handlers.Table() {
		if r.Method != "GET" || !strings.Contains(r.Path, ":") || strings.HasPrefix(r.Path, "/api/") {
			continue
		}
		rx := regexp.MustCompile("^" + regexp.MustCompile(`:[a-z_]+(<int>)?`).ReplaceAllString(regexp.QuoteMeta(r.Path), `[^/?]+`) + `(\?.*)?$`)
		hit := false
		for _, v := range visited {
			if rx.MatchString(v) {
				hit = true
				break
			}
		}
		if !hit {
			out = append(out, r.Path)
		}
	}
	return out
}

// widthJS measures the document and every visible table: the table's own
// width against its container's, and whether the container scrolls.
const widthJS = `(function () {
	var out = {doc: document.documentElement.scrollWidth, inner: window.innerWidth, tables: [], culprits: []};
	// The outermost elements that stick out past the viewport's right edge.
	var edge = document.documentElement.clientWidth + 1;
	document.querySelectorAll('body *').forEach(function (el) {
		if (out.culprits.length >= 3 || el.getBoundingClientRect().right <= edge) return;
		var p = el.parentElement;
		if (p && p !== document.body && p.getBoundingClientRect().right > edge) return;
		out.culprits.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
			(typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\s+/).slice(0, 4).join('.') : ''));
	});
	document.querySelectorAll('table').forEach(function (t, i) {
		if (!t.offsetParent) return;
		var wrap = t.closest('.table-wrap') || t.parentElement;
		var name = t.closest('[data-testid]') ? t.closest('[data-testid]').getAttribute('data-testid') : 'table ' + (i + 1);
		var head = Array.from(t.querySelectorAll('thead th')).map(function (h) { return h.textContent.trim(); }).join('|');
		out.tables.push({name: name + ' [' + head + ']', table: Math.ceil(t.getBoundingClientRect().width),
			scroll: wrap.scrollWidth, client: wrap.clientWidth, list: t.classList.contains('table')});
	});
	return out;
})()`

type widthReport struct {
	Doc      int      `json:"doc"`
	Inner    int      `json:"inner"`
	Culprits []string `json:"culprits"`
	Tables   []struct {
		Name   string `json:"name"`
		Table  int    `json:"table"`
		Scroll int    `json:"scroll"`
		Client int    `json:"client"`
		List   bool   `json:"list"` // a list (.table), not code (a diff, a script's source)
	} `json:"tables"`
}

// checkWidth fails when the page is wider than the viewport and, when
// tablesFit, when a table is wider than its card. On a phone that is every
// list (a StackedTable's rows read as list items there, and a table of few
// columns fits); code (a diff, a script's source) scrolls inside its card.
func checkWidth(b *B, where string, tablesFit bool) {
	b.t.Helper()
	r := eval[widthReport](b, widthJS)
	wide := false
	defer func() {
		if wide { // the page as it failed, to look at
			b.shot("too-wide-" + shotName(where))
		}
	}()
	if r.Doc > r.Inner {
		wide = true
		b.t.Errorf("%s: the page scrolls sideways (%dpx wide in a %dpx viewport; sticking out: %s)", where, r.Doc, r.Inner,
			strings.Join(r.Culprits, ", "))
	}
	if !tablesFit {
		return
	}
	phone := r.Inner < 768 // where StackedTable stacks
	for _, tb := range r.Tables {
		if phone && !tb.List {
			continue
		}
		if tb.Scroll > tb.Client+1 || tb.Table > tb.Client+1 {
			wide = true
			b.t.Errorf("%s: %s is %dpx wide in a %dpx card (the card scrolls to %dpx)", where, tb.Name, tb.Table, tb.Client, tb.Scroll)
		}
	}
}

// labelsJS lists the ids that more than one element of the page carries, the
// labels whose for= names no form control (either way a label focuses, and
// a screen reader announces, the wrong input or none), the controls,
// buttons and links without an accessible name (also in closed dialogs),
// and the icons drawn as the sprite's neutral square: a name
// static/img/icons.svg has no symbol for (components.Icon).
const labelsJS = `(function () {
  var seen = {}, dup = [], orphan = [];
  document.querySelectorAll('[id]').forEach(function (e) {
    if (seen[e.id] === 1) dup.push(e.id);
    seen[e.id] = (seen[e.id] || 0) + 1;
  });
  document.querySelectorAll('label[for]').forEach(function (l) {
    var t = document.getElementById(l.htmlFor);
    if (!t || !/^(INPUT|SELECT|TEXTAREA|BUTTON|METER|OUTPUT|PROGRESS)$/.test(t.tagName)) orphan.push(l.htmlFor);
  });
  var unnamed = [];
  function named(e) {
    if (e.getAttribute('aria-label') || e.getAttribute('aria-labelledby') || e.getAttribute('title')) return true;
    if (e.labels && e.labels.length) return true;
    return false;
  }
  function describe(e) {
    return e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.name ? '[name=' + e.name + ']' : '') + (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ')[0] : '');
  }
  document.querySelectorAll('input, select, textarea').forEach(function (e) {
    if (e.type === 'hidden' || e.type === 'submit' || e.type === 'button' || e.type === 'reset') return;
    if (getComputedStyle(e).display === 'none') return; // hidden on purpose (a password manager's username hint)
    if (!named(e)) unnamed.push(describe(e));
  });
  document.querySelectorAll('button, a[href]').forEach(function (e) {
    if (e.textContent.trim() === '' && !named(e) && !e.querySelector('img[alt]:not([alt=""])')) unnamed.push(describe(e));
  });
  var unknown = [];
  document.querySelectorAll('use').forEach(function (u) {
    if (!/#unknown$/.test(u.getAttribute('href') || '')) return;
    var near = u.closest('button, a, label, th, td, li, p, div');
    unknown.push(near ? describe(near) + ' "' + near.textContent.trim().slice(0, 40) + '"' : 'svg');
  });
  return {Dup: dup, Orphan: orphan, Unnamed: unnamed, Unknown: unknown};
})()`

// checkLabels fails the test for ids used twice, labels without their
// control, controls without a name and icons the sprite lacks on the page
// open in the browser.
func checkLabels(b *B, where string) {
	b.t.Helper()
	r := eval[struct{ Dup, Orphan, Unnamed, Unknown []string }](b, labelsJS)
	if len(r.Dup) > 0 {
		b.t.Errorf("%s: ids on more than one element: %s", where, strings.Join(r.Dup, ", "))
	}
	if len(r.Orphan) > 0 {
		b.t.Errorf("%s: labels for no form control: %s", where, strings.Join(r.Orphan, ", "))
	}
	if len(r.Unnamed) > 0 {
		b.t.Errorf("%s: controls without an accessible name: %s", where, strings.Join(r.Unnamed, ", "))
	}
	if len(r.Unknown) > 0 {
		b.t.Errorf("%s: icons static/img/icons.svg has no symbol for, in: %s", where, strings.Join(r.Unknown, "; "))
	}
}

func shotName(p string) string {
	s := strings.Trim(regexp.MustCompile(`[^a-zA-Z0-9]+`).ReplaceAllString(p, "_"), "_")
	if s == "" {
		return "overview"
	}
	return s
}

// seedWide loads the demo data and one customer whose every value is long.
func seedWide(t *testing.T, b *B) {
	t.Helper()
	ctx := context.Background()
	start := time.Now()
	if _, err := demo.Seed(ctx, b.Env.DemoDeps()); err != nil {
		t.Fatalf("demo seed: %v", err)
	}
	actor := audit.CLI("e2e")
	acc, err := b.Env.Accounts.Create(ctx, actor, accounts.CreateInput{
		Name:      "Verylongcompanyname International Holdings and Subsidiaries Worldwide Limited",
		Email:     "accounts.payable.department@averyveryverylongcustomerdomainname-international.example",
		DiscordID: "1234567890123456789",
		Note:      "A customer with long values everywhere, to see that every list still fits.",
	})
	if err != nil {
		t.Fatalf("long account: %v", err)
	}
	p, err := b.Env.Licensing.CreateProject(ctx, actor, licensing.ProjectInput{AccountID: acc.ID,
		Name: "Extraordinarily Long Project Name For The Premium Script Hub Edition"})
	if err != nil {
		t.Fatalf("long project: %v", err)
	}
	if _, err := b.Env.Licensing.CreateScript(ctx, actor, p.ID, licensing.ScriptInput{
		Name: "Universal loader with the automatic updater and the premium feature set"}); err != nil {
		t.Fatalf("long script: %v", err)
	}
	if _, err := b.Env.Licensing.CreateKey(ctx, actor, p.ID, licensing.KeyInput{DiscordID: "1234567890123456789",
		Note: "Bought through the reseller panel of a partner whose name is very long indeed, renewed twice"}); err != nil {
		t.Fatalf("long key: %v", err)
	}
	if _, err := b.Env.Jobs.EnqueueGenerate(ctx, actor, jobs.Generate{ProjectID: p.ID, Count: 5,
		KeyInput: licensing.KeyInput{Note: "A bulk job, so that the jobs pages have a row"}}); err != nil {
		t.Fatalf("bulk job: %v", err)
	}
	if _, err := b.Env.Billing.ManualTopUp(ctx, actor, billing.ManualInput{AccountID: acc.ID, Amount: "120.00",
		Reason: "Prepayment for a domain with a very long name, agreed with the customer on the phone"}); err != nil {
		t.Fatalf("long top-up: %v", err)
	}
	if _, err := b.Env.Products.BuyDomain(ctx, actor, products.BuyDomainInput{AccountID: acc.ID,
		Domain: "the-longest-possible-brand-name-for-a-domain-registration-test.com", Years: 1}); err != nil {
		t.Fatalf("long domain: %v", err)
	}
	if _, err := b.Env.Products.BuyVPS(ctx, actor, products.BuyVPSInput{AccountID: acc.ID, Plan: "s1", Months: 1,
		Hostname: "build-runner-for-the-verylongcompanyname-international-holdings"}); err != nil {
		t.Fatalf("long VPS: %v", err)
	}
	if _, err := b.Env.Staff.Create(ctx, actor, staff.CreateInput{Role: "support", Password: servertest.Password,
		Name:  "Maximiliana Alexandrina Konstantinopoulou-Vanderbilt",
		Email: "maximiliana.konstantinopoulou-vanderbilt@support-team.lumdesk.example"}); err != nil {
		t.Fatalf("long staff user: %v", err)
	}
	seedWideMail(t, b, acc.ID)
	t.Logf("seeded in %s", time.Since(start).Round(time.Millisecond))
}

// seedWideMail gives the Lumora pages long values: a sending domain, a
// message with a long subject and recipient, and sandbox mail.
func seedWideMail(t *testing.T, b *B, accountID int64) {
	t.Helper()
	ctx := context.Background()
	actor := audit.CLI("e2e")
	app, err := b.Env.Mail.CreateApp(ctx, actor, accounts.AllAccounts, mail.AppInput{AccountID: &accountID,
		Name: "Transactional receipts for the premium storefront and partner portals"})
	if err != nil {
		t.Fatalf("long mail app: %v", err)
	}
	if _, err := b.Env.Mail.AddDomain(ctx, actor, accounts.AllAccounts, mail.DomainInput{AccountID: &accountID,
		Name: "notifications.the-longest-possible-brand-name-for-a-domain-registration-test.com"}); err != nil {
		t.Fatalf("long sending domain: %v", err)
	}
	const rcpt = "accounts.payable.department@averyveryverylongcustomerdomainname-international.example"
	now := time.Now()
	m, err := b.Env.DB.InsertMailMessage(ctx, store.InsertMailMessageParams{PublicID: "msg_widewidewide1", AccountID: accountID,
		AppID: app.ID, FromEmail: "receipts@notifications.the-longest-possible-brand-name-for-a-domain-registration-test.com",
		Subject: "Your receipt for the annual premium subscription with every add-on included, renewed automatically",
		Headers: json.RawMessage(`{}`), Tags: json.RawMessage(`[]`), ReplyTo: []string{}, Now: now})
	if err != nil {
		t.Fatalf("long message: %v", err)
	}
	if _, err := b.Env.DB.InsertMailRecipient(ctx, store.InsertMailRecipientParams{MessageID: m.ID, Email: rcpt, Kind: "to", Status: "queued", Now: now}); err != nil {
		t.Fatalf("long recipient: %v", err)
	}
	if err := b.Env.DB.InsertMailEvent(ctx, store.InsertMailEventParams{MessageID: m.ID, AppID: app.ID, AccountID: accountID,
		Recipient: rcpt, Type: "deferred", Detail: "451 4.7.1 Greylisted, please try again in a few minutes from the same address", At: now}); err != nil {
		t.Fatalf("long event: %v", err)
	}
	sctx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	if err := b.Env.StartMailSandbox(sctx, b.Env.Config); err != nil {
		t.Fatalf("sandbox inbox: %v", err)
	}
	raw := strings.ReplaceAll("DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=lum20261204; bh="+strings.Repeat("x", 60)+"; b="+strings.Repeat("y", 300)+
		"\nFrom: receipts@example.com\nTo: "+rcpt+"\nSubject: Your receipt for the annual premium subscription with every add-on included\n"+
		"Content-Type: text/plain\n\nThanks.\n", "\n", "\r\n")
	if err := smtp.SendMail(b.Env.MailSandbox.Addr(), nil, "receipts@example.com", []string{rcpt}, []byte(raw)); err != nil {
		t.Fatalf("sandbox mail: %v", err)
	}
}
