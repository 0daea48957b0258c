package accounts_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"lumdesk/handlers/server/servertest"
	"lumdesk/internal/audit"
	"lumdesk/internal/customers"
)

func portalTab(id int64) string { return acctPath(id, "?tab=portal") }

// Support invites a portal user from the account's Portal tab: the link is
// shown once, the invitation is listed, the user can accept it, and
// revoking another invitation needs no more than its button.
func TestPortalTabInviteListRevoke(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	acc := env.CreateAccount("Nightfall Studios")
	owner := env.CreateCustomer(acc.ID, "ana@nightfall.test", customers.RoleOwner)
	support := env.As("support")

	r := support.Get(portalTab(acc.ID))
	if r.Status != http.StatusOK || !r.Has(`[data-testid="tab-portal"] [data-testid="portal-tab"]`) {
		t.Fatalf("portal tab: %d\n%s", r.Status, r.Text("main"))
	}
	if row := r.Text(`[data-testid="portal-user"][data-email="ana@nightfall.test"]`); !strings.Contains(row, "Owner") || !strings.Contains(row, "Off") {
		t.Fatalf("user row %q", row)
	}
	if !r.Has(`[data-testid="no-invitations"]`) || !r.Has(`[data-testid="invite-form"]`) || !r.Has(`[data-testid="portal-view"]`) {
		t.Fatalf("tab misses its parts:\n%s", r.Text("main"))
	}
	for _, role := range customers.Roles {
		if !strings.Contains(r.Text(`[data-testid="invite-form"]`), role.About()) {
			t.Errorf("role %s's About is not shown", role)
		}
	}

	r = support.PostForm(acctPath(acc.ID, "/portal/invitations"), url.Values{"email": {"Dev@Nightfall.test"}, "role": {"developer"}})
	if r.Status != http.StatusOK || !r.Has(`[data-testid="invite-sent"]`) {
		t.Fatalf("invite: %d\n%s", r.Status, r.Text("main"))
	}
	link, _ := r.Doc.Find(`#invite-url`).Attr("value")
	if !strings.Contains(link, customers.InvitePath) {
		t.Fatalf("link %q", link)
	}
	if row := r.Text(`[data-testid="portal-invitation"][data-email="dev@nightfall.test"]`); !strings.Contains(row, "Developer") || !strings.Contains(row, "support-") {
		t.Fatalf("invitation row %q", row)
	}
	if env.AuditCount("account.invite", strconv.FormatInt(acc.ID, 10)) != 2 {
		t.Errorf("invite not audited")
	}
	// The link is not shown again.
	if r = support.Get(portalTab(acc.ID)); r.Has(`#invite-url`) || strings.Contains(r.Body, link) {
		t.Fatalf("the link is shown again")
	}
	// It works: the invited user sets a password.
	u, _ := url.Parse(link)
	anon := env.Anonymous()
	anon.Get(u.Path)
	if r := anon.PostForm(u.Path, url.Values{"name": {"Dev"}, "password": {servertest.Password}, "password_confirm": {servertest.Password}}); r.Status != http.StatusSeeOther {
		t.Fatalf("accept: %d %s", r.Status, r.Text("main"))
	}

	// Revoke another one.
	if _, err := env.Customers.Invite(context.Background(), customers.Actor(owner), acc.ID, "bill@nightfall.test", customers.RoleBilling); err != nil {
		t.Fatal(err)
	}
	invs, err := env.Customers.Invitations(context.Background(), acc.ID)
	if err != nil || len(invs) != 1 {
		t.Fatalf("invitations %v %v", invs, err)
	}
	r = support.Get(portalTab(acc.ID))
	if !r.Has(`[data-testid="revoke-invitation"]`) || !r.Has(`form[action="`+acctPath(acc.ID, "/portal/invitations/"+strconv.FormatInt(invs[0].ID, 10)+"/revoke")+`"]`) {
		t.Fatalf("no revoke action:\n%s", r.Text(`[data-testid="portal-tab"]`))
	}
	r = support.PostForm(acctPath(acc.ID, "/portal/invitations/"+strconv.FormatInt(invs[0].ID, 10)+"/revoke"), nil)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != portalTab(acc.ID) {
		t.Fatalf("revoke: %d %s", r.Status, r.Header.Get("Location"))
	}
	if invs, _ := env.Customers.Invitations(context.Background(), acc.ID); len(invs) != 0 {
		t.Fatalf("still open: %v", invs)
	}
	// Again: not found.
	if r = support.PostForm(acctPath(acc.ID, "/portal/invitations/"+strconv.FormatInt(invs[0].ID, 10)+"/revoke"), nil); r.Status != http.StatusNotFound {
		t.Fatalf("revoke twice: %d", r.Status)
	}
}

func TestPortalTabBadInput(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	acc := env.CreateAccount("Bluebird")
	other := env.CreateAccount("Other")
	support := env.As("support")
	support.Get(portalTab(acc.ID))
	for name, form := range map[string]url.Values{
		"no email":  {"role": {"owner"}},
		"bad email": {"email": {"not an email"}, "role": {"owner"}},
		"no role":   {"email": {"a@bluebird.test"}},
		"bad role":  {"email": {"a@bluebird.test"}, "role": {"god"}},
	} {
		r := support.PostForm(acctPath(acc.ID, "/portal/invitations"), form)
		if r.Status != http.StatusUnprocessableEntity || !r.Has(`[data-testid="invite-form"] .field-error`) || r.Has(`[data-testid="invite-sent"]`) {
			t.Errorf("%s: %d %q", name, r.Status, r.Text(`[data-testid="invite-form"]`))
		}
	}
	env.CreateCustomer(acc.ID, "taken@bluebird.test", customers.RoleOwner)
	if r := support.PostForm(acctPath(acc.ID, "/portal/invitations"), url.Values{"email": {"taken@bluebird.test"}, "role": {"owner"}}); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Text(`[data-testid="invite-form"]`), "already has a portal sign-in") {
		t.Errorf("taken email: %d", r.Status)
	}
	if _, err := env.Accounts.Suspend(context.Background(), servertestCLI, other.ID, "unpaid"); err != nil {
		t.Fatal(err)
	}
	if r := support.PostForm(acctPath(other.ID, "/portal/invitations"), url.Values{"email": {"x@other.test"}, "role": {"owner"}}); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Text(`[data-testid="form-error"]`), "suspended") {
		t.Errorf("suspended account: %d %s", r.Status, r.Text("main"))
	}
	for _, p := range []string{"/accounts/999999/portal/invitations", "/accounts/x/portal/invitations", "/accounts/999999/portal/view"} {
		if r := support.PostForm(p, url.Values{"email": {"a@b.test"}, "role": {"owner"}, "reason": {"r"}}); r.Status != http.StatusNotFound {
			t.Errorf("%s: %d", p, r.Status)
		}
	}
	// Another account's invitation is not found through this account.
	if _, err := env.Customers.Invite(context.Background(), servertestCLI, acc.ID, "z@bluebird.test", customers.RoleReadOnly); err != nil {
		t.Fatal(err)
	}
	invs, _ := env.Customers.Invitations(context.Background(), acc.ID)
	for _, p := range []string{acctPath(other.ID, "/portal/invitations/"+strconv.FormatInt(invs[0].ID, 10)+"/revoke"), acctPath(acc.ID, "/portal/invitations/x/revoke")} {
		if r := support.PostForm(p, nil); r.Status != http.StatusNotFound {
			t.Errorf("%s: %d", p, r.Status)
		}
	}
	if invs, _ := env.Customers.Invitations(context.Background(), acc.ID); len(invs) != 1 {
		t.Errorf("invitation revoked through another account")
	}
}

// The viewer sees the tab without any button and is refused the actions.
func TestPortalTabViewerHasNoButtons(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	acc := env.CreateAccount("Quietmail")
	if _, err := env.Customers.Invite(context.Background(), servertestCLI, acc.ID, "z@quiet.test", customers.RoleReadOnly); err != nil {
		t.Fatal(err)
	}
	viewer := env.As("viewer")
	r := viewer.Get(portalTab(acc.ID))
	if r.Status != http.StatusOK || !r.Has(`[data-testid="portal-invitation"]`) {
		t.Fatalf("viewer tab: %d", r.Status)
	}
	for _, sel := range []string{`[data-testid="invite-form"]`, `[data-testid="portal-view"]`, `[data-testid="revoke-invitation"]`, `#portal-view-dialog`} {
		if r.Has(sel) {
			t.Errorf("viewer sees %s", sel)
		}
	}
	for _, p := range []string{"/portal/invitations", "/portal/view"} {
		if r := viewer.PostForm(acctPath(acc.ID, p), url.Values{"email": {"a@q.test"}, "role": {"owner"}, "reason": {"x"}}); r.Status != http.StatusForbidden {
			t.Errorf("viewer %s: %d", p, r.Status)
		}
	}
}

// "View portal as customer" needs a reason, is audited and opens the
// account's portal read-only.
func TestViewPortalAsCustomer(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	acc := env.CreateAccount("Nightfall Studios")
	support := env.As("support")
	support.Get(portalTab(acc.ID))
	for _, reason := range []string{"", "   ", strings.Repeat("x", 501)} {
		r := support.PostForm(acctPath(acc.ID, "/portal/view"), url.Values{"reason": {reason}})
		if r.Status != http.StatusUnprocessableEntity || !r.Has(`#portal-view-dialog[data-autoopen] .field-error`) {
			t.Errorf("reason %q: %d %s", reason, r.Status, r.Text(`#portal-view-dialog`))
		}
	}
	if env.AuditCount("account.portal_view", "") != 0 {
		t.Fatal("refused view audited")
	}
	r := support.PostForm(acctPath(acc.ID, "/portal/view"), url.Values{"reason": {"ticket #42"}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/portal" {
		t.Fatalf("view: %d %s %s", r.Status, r.Header.Get("Location"), r.Text("main"))
	}
	if env.AuditCount("account.portal_view", strconv.FormatInt(acc.ID, 10)) != 1 {
		t.Errorf("view not audited")
	}
	r = support.Get("/portal")
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "Nightfall Studios") {
		t.Fatalf("portal as customer: %d %s", r.Status, r.Text("main"))
	}
	if !strings.Contains(r.Text(`[data-testid="viewing-as"]`), "read-only") {
		t.Errorf("no read-only banner: %q", r.Text(`[data-testid="viewing-as"]`))
	}
	// Read-only: a change the owner could make is refused, and so are the
	// user's own security pages (the view has no user of its own).
	if r := support.PostForm("/portal/account/api-keys", url.Values{"name": {"x"}, "product": {"luarmor"}}); r.Status != http.StatusForbidden {
		t.Errorf("a change while viewing: %d", r.Status)
	}
	if r := support.Get("/portal/account/security"); r.Status != http.StatusForbidden {
		t.Errorf("security page while viewing: %d", r.Status)
	}
	// Ending the view returns to the console, still signed in there.
	if r := support.PostForm("/portal/logout", nil); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/" {
		t.Fatalf("end view: %d %s", r.Status, r.Header.Get("Location"))
	}
	if r := support.Get("/portal"); r.Status != http.StatusSeeOther {
		t.Errorf("the view outlived its end: %d", r.Status)
	}
	if r := support.Get("/accounts"); r.Status != http.StatusOK {
		t.Errorf("the console session ended with the view: %d", r.Status)
	}
}

var servertestCLI = audit.CLI("test")
