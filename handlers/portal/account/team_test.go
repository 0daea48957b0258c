package account_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"lumdesk/handlers/server/servertest"
	"lumdesk/internal/customers"
)

const team = "/portal/account/team"

func id(n int64) string { return strconv.FormatInt(n, 10) }

// lastMailLink is the portal link in the newest platform mail to addr.
func lastMailLink(t *testing.T, env *servertest.Env, addr string) string {
	t.Helper()
	var body string
	err := env.DB.Pool.QueryRow(context.Background(), `
		SELECT m.text_body FROM mail_messages m JOIN mail_recipients r ON r.message_id = m.id
		WHERE r.email = $1 ORDER BY m.id DESC LIMIT 1`, addr).Scan(&body)
	if err != nil {
		t.Fatalf("no mail to %s: %v", addr, err)
	}
	m := regexp.MustCompile(`https?://[^\s]+(/portal/(invite|reset)/[A-Za-z0-9]+)`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no portal link in the mail to %s: %q", addr, body)
	}
	return m[1]
}

// roleOf is the role badge of the member with email on the team page.
func roleOf(t *testing.T, c *servertest.Client, email string) string {
	t.Helper()
	r := c.Get(team)
	if r.Status != http.StatusOK {
		t.Fatalf("team page: %d", r.Status)
	}
	return strings.TrimSpace(r.Doc.Find(`tr[data-email="` + email + `"] [data-testid="member-role"]`).Text())
}

func TestOwnerChangesRolesButNotTheirOwn(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	acc := env.CreateAccount("Acme")
	owner := env.AsCustomer(acc.ID, customers.RoleOwner)
	dev := env.CreateCustomer(acc.ID, "dev@acme.test", customers.RoleDeveloper)

	r := owner.Get(team)
	if r.Status != http.StatusOK || r.Doc.Find(`[data-testid="member-row"]`).Length() != 2 {
		t.Fatalf("team page: %d, %d rows", r.Status, r.Doc.Find(`[data-testid="member-row"]`).Length())
	}
	if !r.Has(`tr[data-email="dev@acme.test"] [data-testid="member-change-role"]`) || r.Has(`tr[data-email="`+owner.Customer.Email+`"] [data-testid="member-change-role"]`) {
		t.Fatal("the change buttons are on others' rows only")
	}
	if got := r.Text(`tr[data-email="dev@acme.test"] [data-testid="member-last-sign-in"]`); got != "Never" {
		t.Fatalf("last sign-in of someone who never signed in: %q", got)
	}

	if r := owner.PostForm(team+"/"+id(dev.ID)+"/role", url.Values{"role": {"billing"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("change role: %d %q", r.Status, r.Text("[role=alert]"))
	}
	if got := roleOf(t, owner, "dev@acme.test"); got != "Billing" {
		t.Fatalf("role after change: %q", got)
	}
	if env.AuditCount("customer.role", id(dev.ID)) != 1 {
		t.Fatal("role change not audited")
	}

	// Oneself: refused with a message, the role stays.
	r = owner.PostForm(team+"/"+id(owner.Customer.ID)+"/role", url.Values{"role": {"read_only"}})
	if r.Status != http.StatusConflict || !strings.Contains(r.Text("[role=alert]"), "your own role") {
		t.Fatalf("own role: %d %q", r.Status, r.Text("[role=alert]"))
	}
	if r := owner.PostForm(team+"/"+id(owner.Customer.ID)+"/remove", nil); r.Status != http.StatusConflict {
		t.Fatalf("remove self: %d", r.Status)
	}
	if got := roleOf(t, owner, owner.Customer.Email); got != "Owner" {
		t.Fatalf("own role changed to %q", got)
	}

	// Bad input: a form message or 404, never a 500.
	for _, tc := range []struct {
		path   string
		form   url.Values
		status int
	}{
		{team + "/" + id(dev.ID) + "/role", url.Values{"role": {"admin"}}, http.StatusUnprocessableEntity},
		{team + "/" + id(dev.ID) + "/role", url.Values{}, http.StatusUnprocessableEntity},
		{team + "/" + id(dev.ID) + "/role", url.Values{"role": {strings.Repeat("x", 5000)}}, http.StatusUnprocessableEntity},
		{team + "/abc/role", url.Values{"role": {"owner"}}, http.StatusNotFound},
		{team + "/99999999/role", url.Values{"role": {"owner"}}, http.StatusNotFound},
		{team + "/-1/remove", nil, http.StatusNotFound},
		{team + "/99999999999999999999/remove", nil, http.StatusNotFound},
		{team + "/invitations/xyz/revoke", nil, http.StatusNotFound},
		{team + "/invitations/99999999/revoke", nil, http.StatusNotFound},
	} {
		r := owner.PostForm(tc.path, tc.form)
		if r.Status != tc.status {
			t.Errorf("%s %v: %d, want %d", tc.path, tc.form, r.Status, tc.status)
		}
		if tc.status == http.StatusUnprocessableEntity && !strings.Contains(r.Text("[role=alert]"), "Choose a role") {
			t.Errorf("%s %v: no form message: %q", tc.path, tc.form, r.Text("[role=alert]"))
		}
	}
}

// (The last-owner rule itself cannot be reached from the portal, where the
// acting owner is always one more owner: internal/customers tests it.)
func TestOwnerDemotesAnotherOwnerWhoThenLosesTeamChanges(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	acc := env.CreateAccount("Owners")
	first := env.AsCustomer(acc.ID, customers.RoleOwner)
	second := env.AsCustomer(acc.ID, customers.RoleOwner)
	// Two owners: the first demotes the second.
	if r := first.PostForm(team+"/"+id(second.Customer.ID)+"/role", url.Values{"role": {"developer"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("demote the other owner: %d", r.Status)
	}
	// The second, no longer an owner, is refused the team's changes.
	if r := second.PostForm(team+"/"+id(first.Customer.ID)+"/role", url.Values{"role": {"developer"}}); r.Status != http.StatusForbidden {
		t.Fatalf("demoted owner changed a role: %d", r.Status)
	}
	if got := roleOf(t, first, first.Customer.Email); got != "Owner" {
		t.Fatalf("the only owner is %q", got)
	}
}

func TestRemovedUserIsSignedOutAtTheirNextRequest(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	acc := env.CreateAccount("Removals")
	owner := env.AsCustomer(acc.ID, customers.RoleOwner)
	dev := env.AsCustomer(acc.ID, customers.RoleDeveloper)
	if r := dev.Get("/portal"); r.Status != http.StatusOK {
		t.Fatalf("dev home: %d", r.Status)
	}
	if r := owner.PostForm(team+"/"+id(dev.Customer.ID)+"/remove", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("remove: %d %q", r.Status, r.Text("[role=alert]"))
	}
	r := dev.Get("/portal")
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/portal/login") {
		t.Fatalf("removed user's session: %d %s", r.Status, r.Header.Get("Location"))
	}
	// They cannot sign in again, and the page marks them removed without actions.
	c := env.Anonymous()
	c.Get("/portal/login")
	if r := c.PostForm("/portal/login", url.Values{"email": {dev.Customer.Email}, "password": {servertest.Password}}); r.Status != http.StatusUnauthorized {
		t.Fatalf("removed user signed in: %d", r.Status)
	}
	page := owner.Get(team)
	row := `tr[data-email="` + dev.Customer.Email + `"]`
	if !strings.Contains(page.Text(row), "Removed") || page.Has(row+` [data-testid="member-remove"]`) {
		t.Fatalf("removed row: %q", page.Text(row))
	}
}

func TestInvitationIsMailedNotShownAndRevokedLinkIsGone(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	acc := env.CreateAccount("Inviters")
	owner := env.AsCustomer(acc.ID, customers.RoleOwner)
	invites := env.AuditCount("account.invite", id(acc.ID))

	r := owner.PostForm(team+"/invite", url.Values{"email": {"New.Person@Inviters.test"}, "role": {"billing"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("invite: %d %q", r.Status, r.Text("main"))
	}
	link := lastMailLink(t, env, "new.person@inviters.test")
	page := owner.Get(team)
	row := page.Doc.Find(`[data-testid="invitation-row"][data-email="new.person@inviters.test"]`)
	if row.Length() != 1 || !strings.Contains(row.Text(), "Billing") {
		t.Fatalf("invitation row: %q", page.Text(`[data-testid="team-invitations"]`))
	}
	if strings.Contains(page.Body, link) || strings.Contains(page.Body, "/portal/invite/") {
		t.Fatal("the invitation link is shown on the page")
	}
	if !strings.Contains(page.Body, "Invitation mailed to new.person@inviters.test") {
		t.Fatal("no notice that the link was mailed")
	}
	if env.AuditCount("account.invite", id(acc.ID)) != invites+1 {
		t.Fatal("invitation not audited")
	}

	// Bad input is a form message.
	for _, form := range []url.Values{
		{},
		{"email": {"not an email"}, "role": {"developer"}},
		{"email": {"a@b.test"}, "role": {"root"}},
		{"email": {"x\r\nBcc: y@z.test"}, "role": {"developer"}},
		{"email": {strings.Repeat("a", 400) + "@x.test"}, "role": {"developer"}},
		{"email": {owner.Customer.Email}, "role": {"developer"}}, // already signs in
	} {
		r := owner.PostForm(team+"/invite", form)
		if r.Status != http.StatusUnprocessableEntity || !r.Has(`[data-testid="invite-form"] [role=alert]`) || !r.Has(".field-error") {
			t.Errorf("invite %v: %d %q", form, r.Status, r.Text("[role=alert]"))
		}
	}

	invID, _ := row.Attr("data-id")
	if r := owner.PostForm(team+"/invitations/"+invID+"/revoke", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("revoke: %d", r.Status)
	}
	if owner.Get(team).Has(`[data-testid="invitation-row"]`) {
		t.Fatal("revoked invitation still listed")
	}
	if r := env.Anonymous().Get(link); r.Status != http.StatusGone || !r.Has(`[data-testid="link-invalid"]`) {
		t.Fatalf("revoked link: %d", r.Status)
	}
	if r := owner.PostForm(team+"/invitations/"+invID+"/revoke", nil); r.Status != http.StatusNotFound {
		t.Fatalf("revoke twice: %d", r.Status)
	}
}

func TestReadOnlyUsersSeeTheTeamWithoutChanges(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	acc := env.CreateAccount("Readers")
	owner := env.AsCustomer(acc.ID, customers.RoleOwner)
	for _, role := range []customers.Role{customers.RoleReadOnly, customers.RoleDeveloper, customers.RoleBilling} {
		c := env.AsCustomer(acc.ID, role)
		r := c.Get(team)
		if r.Status != http.StatusOK || !r.Has(`[data-testid="team-readonly"]`) {
			t.Fatalf("%s: team page %d", role, r.Status)
		}
		if r.Has(`[data-testid="member-change-role"]`) || r.Has(`[data-testid="member-remove"]`) || r.Has(`[data-testid="invite-form"]`) || r.Has(`form[action$="/role"]`) {
			t.Fatalf("%s sees change controls", role)
		}
		for _, p := range []string{team + "/" + id(owner.Customer.ID) + "/role", team + "/" + id(owner.Customer.ID) + "/remove", team + "/invite"} {
			if r := c.PostForm(p, url.Values{"role": {"read_only"}, "email": {"x@y.test"}}); r.Status != http.StatusForbidden {
				t.Fatalf("%s POST %s: %d", role, p, r.Status)
			}
		}
	}
	if got := roleOf(t, owner, owner.Customer.Email); got != "Owner" {
		t.Fatalf("owner's role is %q", got)
	}
}

// An owner of account B can neither see nor change account A's users and
// invitations: A's ids answer 404 and change nothing.
func TestTeamIsolationBetweenAccounts(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	a := env.CreateAccount("Alpha")
	b := env.CreateAccount("Bravo")
	aOwner := env.AsCustomer(a.ID, customers.RoleOwner)
	aDev := env.CreateCustomer(a.ID, "dev@alpha.test", customers.RoleDeveloper)
	env.InviteCustomer(a.ID, "pending@alpha.test", customers.RoleReadOnly)
	bOwner := env.AsCustomer(b.ID, customers.RoleOwner)

	page := aOwner.Get(team)
	row := page.Doc.Find(`[data-testid="invitation-row"][data-email="pending@alpha.test"]`)
	invID, ok := row.Attr("data-id")
	if !ok {
		t.Fatal("A's invitation not listed for A")
	}

	bPage := bOwner.Get(team)
	for _, s := range []string{"dev@alpha.test", "pending@alpha.test", aOwner.Customer.Email} {
		if strings.Contains(bPage.Body, s) {
			t.Fatalf("B's team page shows %s", s)
		}
	}
	for _, tc := range []struct {
		path string
		form url.Values
	}{
		{team + "/" + id(aDev.ID) + "/role", url.Values{"role": {"read_only"}}},
		{team + "/" + id(aOwner.Customer.ID) + "/role", url.Values{"role": {"read_only"}}},
		{team + "/" + id(aDev.ID) + "/remove", nil},
		{team + "/invitations/" + invID + "/revoke", nil},
	} {
		if r := bOwner.PostForm(tc.path, tc.form); r.Status != http.StatusNotFound {
			t.Errorf("B POST %s: %d, want 404", tc.path, r.Status)
		}
	}
	if got := roleOf(t, aOwner, "dev@alpha.test"); got != "Developer" {
		t.Fatalf("A's developer is now %q", got)
	}
	if !aOwner.Get(team).Has(`[data-testid="invitation-row"][data-email="pending@alpha.test"]`) {
		t.Fatal("A's invitation was revoked by B")
	}
	if r := aOwner.Get("/portal"); r.Status != http.StatusOK {
		t.Fatal("A's owner was signed out")
	}
}
