package portal_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"lumdesk/handlers/server/servertest"
	"lumdesk/internal/audit"
	"lumdesk/internal/customers"
)

// lastMailLink is the portal link in the newest platform mail to addr (the
// invitation and reset mails go through Lumora's pipeline).
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

func TestInvitationIsMailedAcceptedOnceAndSignsIn(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	acc := env.CreateAccount("Acme Games")
	if _, err := env.Customers.Invite(context.Background(), audit.CLI("test"), acc.ID, "Owner@Acme.test", customers.RoleOwner); err != nil {
		t.Fatal(err)
	}
	link := lastMailLink(t, env, "owner@acme.test")
	c := env.Anonymous()
	r := c.Get(link)
	if r.Status != http.StatusOK || !strings.Contains(r.Text(`[data-testid="invite-for"]`), "Acme Games") {
		t.Fatalf("invite page: %d %q", r.Status, r.Text("main"))
	}
	// A weak password is a form message, and the link still works.
	r = c.PostForm(link, url.Values{"name": {"Olive"}, "password": {"short"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text("main"), "10 to 256 characters") {
		t.Fatalf("weak password: %d %q", r.Status, r.Text("main"))
	}
	r = c.PostForm(link, url.Values{"name": {"Olive"}, "password": {"correct horse battery"}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/portal" {
		t.Fatalf("accept: %d %s", r.Status, r.Header.Get("Location"))
	}
	r = c.Get("/portal")
	if r.Status != http.StatusOK || r.Text(`[data-testid="portal-account"]`) != "Acme Games" {
		t.Fatalf("home: %d %q", r.Status, r.Text("main"))
	}
	// The keyboard's list (e2e/keyboard_test.go drives it in the console)
	// is the portal's too, without the palette it does not have.
	if keys := r.Text(`dialog#shortcuts`); !strings.Contains(keys, "Next row of a list") || strings.Contains(keys, "Search everything") || r.Has(`dialog#palette`) {
		t.Errorf("the portal's shortcuts: %q", keys)
	}
	// The link works once.
	other := env.Anonymous()
	if r := other.Get(link); r.Status != http.StatusGone || !r.Has(`[data-testid="link-invalid"]`) {
		t.Fatalf("reused link: %d", r.Status)
	}
	other.Get("/portal/login") // a CSRF token for the post
	if r := other.PostForm(link, url.Values{"password": {"another long password"}}); r.Status != http.StatusGone {
		t.Fatalf("reused link accepted: %d", r.Status)
	}
	if r := other.Get("/portal/invite/not-a-token"); r.Status != http.StatusGone {
		t.Fatalf("bad token: %d", r.Status)
	}
	if env.AuditCount("customer.create", "") != 1 || env.AuditCount("account.invite", "") != 1 {
		t.Fatal("invitation and acceptance are audited")
	}
}

func TestPortalSignInAnswersAlikeAndThrottles(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	acc := env.CreateAccount("Beta")
	env.CreateCustomer(acc.ID, "dev@beta.test", customers.RoleDeveloper)
	c := env.Anonymous()
	c.Get("/portal/login")
	wrong := c.PostForm("/portal/login", url.Values{"email": {"dev@beta.test"}, "password": {"not the password"}})
	unknown := c.PostForm("/portal/login", url.Values{"email": {"nobody@beta.test"}, "password": {"not the password"}})
	if wrong.Status != http.StatusUnauthorized || unknown.Status != http.StatusUnauthorized ||
		wrong.Text("[role=alert]") != unknown.Text("[role=alert]") {
		t.Fatalf("wrong password %d %q vs unknown email %d %q", wrong.Status, wrong.Text("[role=alert]"), unknown.Status, unknown.Text("[role=alert]"))
	}
	// Garbage is a form message, never a 500.
	for _, form := range []url.Values{{}, {"email": {strings.Repeat("a", 300)}, "password": {"x"}}, {"email": {"x\r\ny@z"}, "password": {"p"}}} {
		if r := c.PostForm("/portal/login", form); r.Status >= 500 || !r.Has("[role=alert]") {
			t.Fatalf("bad input %v: %d", form, r.Status)
		}
	}
	var last *servertest.Response
	for range 4 {
		last = c.PostForm("/portal/login", url.Values{"email": {"dev@beta.test"}, "password": {"still wrong"}})
	}
	if last.Status != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" {
		t.Fatalf("throttle: %d", last.Status)
	}
}

func TestPortalAndConsoleSessionsAreApart(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	acc := env.CreateAccount("Gamma")
	cust := env.AsCustomer(acc.ID, customers.RoleOwner)
	if r := cust.Get("/accounts"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
		t.Fatalf("customer session opened a console page: %d %s", r.Status, r.Header.Get("Location"))
	}
	staffClient := env.As("admin")
	if r := staffClient.Get("/portal"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/portal/login") {
		t.Fatalf("staff session opened the portal: %d %s", r.Status, r.Header.Get("Location"))
	}
	// The portal's JSON answers 401 in Lumora's envelope, not a redirect.
	r := env.Anonymous().Get("/portal/api/lumora/apps/1/keys")
	if r.Status != http.StatusUnauthorized && r.Status != http.StatusNotFound {
		t.Fatalf("anonymous portal API: %d", r.Status)
	}
	// Sign-out ends the session.
	if r := cust.PostForm("/portal/logout", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("logout: %d", r.Status)
	}
	if r := cust.Get("/portal"); r.Status != http.StatusSeeOther {
		t.Fatalf("after logout: %d", r.Status)
	}
}

func TestSuspendingTheAccountEndsItsSessions(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	acc := env.CreateAccount("Delta")
	cust := env.AsCustomer(acc.ID, customers.RoleOwner)
	if _, err := env.Accounts.Suspend(context.Background(), audit.CLI("test"), acc.ID, "chargeback"); err != nil {
		t.Fatal(err)
	}
	if r := cust.Get("/portal"); r.Status != http.StatusSeeOther {
		t.Fatalf("suspended account's session still open: %d", r.Status)
	}
	c := env.Anonymous()
	c.Get("/portal/login")
	r := c.PostForm("/portal/login", url.Values{"email": {cust.Customer.Email}, "password": {servertest.Password}})
	if r.Status != http.StatusForbidden || !strings.Contains(r.Text("[role=alert]"), "suspended") {
		t.Fatalf("suspended sign-in: %d %q", r.Status, r.Text("[role=alert]"))
	}
}

func TestPasswordResetIsNeutralSingleUseAndEndsSessions(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	acc := env.CreateAccount("Epsilon")
	cust := env.AsCustomer(acc.ID, customers.RoleBilling)
	c := env.Anonymous()
	c.Get("/portal/forgot")
	known := c.PostForm("/portal/forgot", url.Values{"email": {cust.Customer.Email}})
	unknown := c.PostForm("/portal/forgot", url.Values{"email": {"ghost@epsilon.test"}})
	if known.Status != http.StatusOK || unknown.Status != http.StatusOK || !known.Has(`[data-testid="forgot-sent"]`) || !unknown.Has(`[data-testid="forgot-sent"]`) {
		t.Fatalf("forgot answers differ: %d / %d", known.Status, unknown.Status)
	}
	if r := c.PostForm("/portal/forgot", url.Values{"email": {"not an email"}}); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad email: %d", r.Status)
	}
	link := lastMailLink(t, env, cust.Customer.Email)
	if r := c.Get(link); r.Status != http.StatusOK || !r.Has(`[data-testid="password-form"]`) {
		t.Fatalf("reset page: %d", r.Status)
	}
	if r := c.PostForm(link, url.Values{"password": {"a brand new passphrase"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("reset: %d %q", r.Status, r.Text("main"))
	}
	if r := cust.Get("/portal"); r.Status != http.StatusSeeOther {
		t.Fatal("the reset did not end the other session")
	}
	if r := env.Anonymous().Get(link); r.Status != http.StatusGone {
		t.Fatalf("reset link reused: %d", r.Status)
	}
	fresh := env.Anonymous()
	fresh.SignInPortal(cust.Customer.Email, "a brand new passphrase")
}

// The portal's role matrix: every portal route that needs a permission lets
// each customer role through (anything but 403) or refuses it with 403, as
// the role's grants say; staff viewing as the customer may only read.
func TestPortalRoleMatrix(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	acc := env.CreateAccount("Matrix")
	clients := map[customers.Role]*servertest.Client{}
	for _, role := range customers.Roles {
		clients[role] = env.AsCustomer(acc.ID, role)
	}
	checked := 0
	for _, r := range env.Handlers.Table() {
		if r.Portal == "" || r.Portal == customers.PermPublic || r.Path == "/portal/logout" {
			continue
		}
		path := fillParams(r.Path)
		for _, role := range customers.Roles {
			var resp *servertest.Response
			if r.Method == http.MethodGet {
				resp = clients[role].Get(path)
			} else {
				resp = clients[role].PostForm(path, url.Values{})
			}
			allowed := role.Can(r.Portal)
			if allowed && resp.Status == http.StatusForbidden {
				t.Errorf("%s %s: %s has %s but got 403", r.Method, r.Path, role, r.Portal)
			}
			if !allowed && resp.Status != http.StatusForbidden {
				t.Errorf("%s %s: %s lacks %s but got %d", r.Method, r.Path, role, r.Portal, resp.Status)
			}
			if resp.Status >= 500 {
				t.Errorf("%s %s as %s: %d", r.Method, r.Path, role, resp.Status)
			}
			checked++
		}
	}
	if checked == 0 {
		t.Fatal("no portal routes checked")
	}
}

// fillParams puts a plausible value into each :param of a route path.
func fillParams(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		if strings.HasPrefix(s, ":") {
			parts[i] = "1"
		}
	}
	return strings.Join(parts, "/")
}
