package e2e

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"lumdesk/handlers/server/servertest"
	"lumdesk/internal/customers"
	"lumdesk/internal/demo"
)

// signInPortal signs the browser in to the customer portal.
func (b *B) signInPortal(email, password string) {
	b.t.Helper()
	b.open("/portal/login", `[data-testid="login-form"]`)
	b.fill(`[data-testid="login-form"] `, "email", email)
	b.fill(`[data-testid="login-form"] `, "password", password)
	b.click(`[data-testid="login-submit"]`)
	b.waitVisible(`#sidebar`)
}

// portalUser makes a portal user of the account with role and signs the
// browser in as them; it returns the user's email.
func (b *B) portalUser(accountID int64, role customers.Role) string {
	b.t.Helper()
	email := string(role) + "-portal@e2e.test"
	b.Env.CreateCustomer(accountID, email, role)
	b.signInPortal(email, servertest.Password)
	return email
}

// demoPortalAccount is the demo account with data in every product (the
// one the demo portal sign-ins open), seeded now.
func demoPortalAccount(t *testing.T, b *B) int64 {
	t.Helper()
	ctx := context.Background()
	if _, err := demo.Seed(ctx, b.Env.DemoDeps()); err != nil {
		t.Fatalf("demo seed: %v", err)
	}
	acc, err := b.Env.Accounts.GetByEmail(ctx, demo.PortalAccountEmail)
	if err != nil {
		t.Fatal(err)
	}
	return acc.ID
}

// portalPages are the portal's GET pages without a path parameter.
func portalPages(b *B) []string {
	var out []string
	for _, r := range b.Env.Handlers.Table() {
		if r.Method != "GET" || r.Portal == "" || r.Portal == customers.PermPublic || strings.Contains(r.Path, ":") ||
			strings.HasSuffix(r.Path, ".csv") || strings.HasPrefix(r.Path, "/portal/api/") {
			continue
		}
		out = append(out, r.Path)
	}
	return out
}

// No portal page scrolls sideways at 1024 px, at 1280 px or on a phone
// (390 px, and 640 px held sideways), and every list fits its card, signed
// in as the owner of a demo account with data in every product; the crawl
// follows each list's first row to its detail page.
func TestNoPortalPageScrollsSideways(t *testing.T) {
	b := startFor(t, crawlTimeout)
	b.portalUser(demoPortalAccount(t, b), customers.RoleOwner)
	var shot func(string, int64)
	if os.Getenv("LUMDESK_SHOTS") != "" { // LUMDESK_SHOTS=1: save each page to look at
		shot = func(p string, w int64) { b.shot(fmt.Sprintf("%s-%d", shotName(p), w)) }
	}
	visited := crawlWidths(b, portalPages(b), shot)
	if len(visited) < 2 {
		t.Fatalf("only %d portal pages visited", len(visited))
	}
	t.Logf("checked %d portal pages", len(visited))
}
