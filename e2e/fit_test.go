package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"lumdesk/internal/accounts"
	"lumdesk/internal/apikeys"
	"lumdesk/internal/audit"
	"lumdesk/internal/customers"
	"lumdesk/internal/mail"
)

// A name of one unbroken word (80 "W"s) is cut or wrapped, never pushed
// past the screen's edge: an API key's on the portal's home, where the
// recent activity names it, and a Lumora app's on its page, where the
// breadcrumb does.
func TestPortalLongNamesFit(t *testing.T) {
	b := start(t)
	ctx := context.Background()
	acc, err := b.Env.Accounts.Create(ctx, audit.CLI("e2e"), accounts.CreateInput{Name: "Wide Names", Email: "ops@widenames.e2e"})
	if err != nil {
		t.Fatal(err)
	}
	name := strings.Repeat("W", 80)
	if _, err := b.Env.APIKeys.Create(ctx, audit.CLI("e2e"), apikeys.CreateInput{Product: apikeys.Luarmor, AccountID: &acc.ID, Name: name}); err != nil {
		t.Fatal(err)
	}
	app, err := b.Env.Mail.CreateApp(ctx, audit.CLI("e2e"), accounts.AllAccounts, mail.AppInput{AccountID: &acc.ID, Name: name})
	if err != nil {
		t.Fatal(err)
	}
	b.portalUser(acc.ID, customers.RoleOwner)
	for _, w := range []int64{1280, 390} {
		b.viewport(w, 844, w < 600)
		b.open("/portal", `[data-testid="activity"]`)
		if !strings.Contains(b.text(`[data-testid="activity"]`), name) {
			t.Fatalf("the activity does not name the app: %q", b.text(`[data-testid="activity"]`))
		}
		checkWidth(b, fmt.Sprintf("/portal at %dpx", w), true)
		b.open(fmt.Sprintf("/portal/lumora/apps/%d", app.ID), `nav.breadcrumbs`)
		checkWidth(b, fmt.Sprintf("the app's page at %dpx", w), true)
	}
}

// A table that is a card's body (components.CardProps.Flush) is drawn as
// the card's own rows, not as a second bordered, shadowed box inside it.
func TestTablesInCardsHaveNoBoxOfTheirOwn(t *testing.T) {
	b := start(t)
	demoPortalAccount(t, b) // the demo's prices
	b.staff("admin")
	b.open("/lumi/prices", `.card .table-wrap`)
	boxed := eval[[]string](b, `Array.from(document.querySelectorAll('.card .table-wrap')).map(function (w) {
		var s = getComputedStyle(w);
		return s.borderTopWidth + ' ' + s.borderTopLeftRadius;
	}).filter(function (s) { return s !== '0px 0px'; })`)
	if n := eval[int](b, `document.querySelectorAll('.card .table-wrap').length`); n < 2 || len(boxed) > 0 {
		t.Errorf("%d tables in cards; boxed ones (border, corner): %q", n, boxed)
	}
}

// A row of tabs too wide for a phone shows the current tab, and fades the
// edge past which more tabs lie.
func TestTabsScrollToTheCurrentTab(t *testing.T) {
	b := start(t)
	acc, err := b.Env.Accounts.Create(context.Background(), audit.CLI("e2e"), accounts.CreateInput{Name: "Tabs", Email: "ops@tabs.e2e"})
	if err != nil {
		t.Fatal(err)
	}
	b.portalUser(acc.ID, customers.RoleOwner)
	b.viewport(390, 844, true)
	type edges struct {
		Wide, Shown, Before, After bool
	}
	at := func(path string) edges {
		b.open(path, `nav.tabs[data-tabs-armed]`)
		return eval[edges](b, `(function () {
			var nav = document.querySelector('nav.tabs'), cur = nav.querySelector('[aria-current="page"]');
			var n = nav.getBoundingClientRect(), c = cur.getBoundingClientRect();
			return {Wide: nav.scrollWidth > nav.clientWidth, Shown: c.left >= n.left - 1 && c.right <= n.right + 1,
				Before: nav.hasAttribute('data-more-before'), After: nav.hasAttribute('data-more-after')};
		})()`)
	}
	if e := at("/portal/lumora/suppressions"); !e.Wide || !e.Shown || !e.Before || e.After {
		t.Errorf("the last tab's page: %+v, want wide, shown, more before only", e)
	}
	if e := at("/portal/lumora"); !e.Wide || !e.Shown || e.Before || !e.After {
		t.Errorf("the first tab's page: %+v, want wide, shown, more after only", e)
	}
}
