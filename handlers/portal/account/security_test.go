package account_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"lumdesk/handlers/server/servertest"
	"lumdesk/internal/customers"
	"lumdesk/internal/platform/signin"
)

const (
	security = "/portal/account/security"
	sessions = "/portal/account/sessions"
)

func codeAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// signIn signs a fresh client in with the password and, when asked, a
// second factor; it returns the client and the last response.
func signIn(t *testing.T, env *servertest.Env, email, password, second string) (*servertest.Client, *servertest.Response) {
	t.Helper()
	c := env.Anonymous()
	c.Get("/portal/login")
	r := c.PostForm("/portal/login", url.Values{"email": {email}, "password": {password}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("sign in %s: %d %q", email, r.Status, r.Text("[role=alert]"))
	}
	if second == "" {
		return c, r
	}
	if !strings.HasPrefix(r.Header.Get("Location"), "/portal/login/totp") {
		t.Fatalf("no second step: %s", r.Header.Get("Location"))
	}
	c.Get(r.Header.Get("Location"))
	return c, c.PostForm("/portal/login/totp", url.Values{"code": {second}})
}

func TestTwoFactorEnrolSignInAndRecoveryCodeOnce(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	acc := env.CreateAccount("Secure")
	c := env.AsCustomer(acc.ID, customers.RoleReadOnly)
	email := c.Customer.Email

	if r := c.Get(security); r.Status != http.StatusOK || !r.Has(`[data-testid="totp-off"]`) {
		t.Fatalf("security page: %d", r.Status)
	}
	// Confirming before beginning is refused with a message.
	if r := c.PostForm(security+"/totp/confirm", url.Values{"code": {"123456"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("confirm without enrolment: %d", r.Status)
	}
	if r := c.PostForm(security+"/totp", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("begin: %d", r.Status)
	}
	r := c.Get(security)
	secret, _ := r.Doc.Find(`[data-testid="totp-secret"]`).Attr("data-secret")
	qr, _ := r.Doc.Find(`[data-testid="totp-qr"]`).Attr("src")
	if secret == "" || !strings.HasPrefix(qr, "data:image/png;base64,") {
		t.Fatalf("enrolment: secret %q, qr %.30q", secret, qr)
	}
	for _, code := range []string{"", "abc", "12345", strings.Repeat("9", 100), codeAt(t, secret, time.Now().Add(10*time.Minute))} {
		r := c.PostForm(security+"/totp/confirm", url.Values{"code": {code}})
		if r.Status != http.StatusUnprocessableEntity || !r.Has(`[data-testid="totp-confirm-form"] .field-error`) {
			t.Fatalf("confirm %q: %d", code, r.Status)
		}
	}
	// The previous step's code, so the current one is left for the sign-in.
	r = c.PostForm(security+"/totp/confirm", url.Values{"code": {codeAt(t, secret, time.Now().Add(-30*time.Second))}})
	codes := r.Doc.Find(`[data-testid="recovery-code"]`)
	if r.Status != http.StatusOK || codes.Length() != 10 || r.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("confirm: %d, %d codes", r.Status, codes.Length())
	}
	recovery := strings.TrimSpace(codes.First().Text())
	if r := c.Get(security); !r.Has(`[data-testid="totp-on"]`) || r.Text(`[data-testid="recovery-codes-left"]`) != "10 of 10" {
		t.Fatalf("after enrolment: %q", r.Text(`[data-testid="recovery-codes-left"]`))
	}

	// Signing in now asks for the code.
	_, r = signIn(t, env, email, servertest.Password, codeAt(t, secret, time.Now()))
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/portal" {
		t.Fatalf("sign in with code: %d %s %q", r.Status, r.Header.Get("Location"), r.Text("[role=alert]"))
	}
	// A recovery code works once.
	rc, r := signIn(t, env, email, servertest.Password, recovery)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("recovery code: %d %q", r.Status, r.Text("[role=alert]"))
	}
	if r := rc.Get(security); r.Text(`[data-testid="recovery-codes-left"]`) != "9 of 10" {
		t.Fatalf("codes left: %q", r.Text(`[data-testid="recovery-codes-left"]`))
	}
	if _, r := signIn(t, env, email, servertest.Password, recovery); r.Status != http.StatusUnauthorized {
		t.Fatalf("recovery code reused: %d", r.Status)
	}

	// Turning it off needs the password.
	for _, pw := range []string{"", "wrong password", strings.Repeat("p", 1000)} {
		r := c.PostForm(security+"/totp/disable", url.Values{"password": {pw}})
		if r.Status != http.StatusUnprocessableEntity || !r.Has(`[data-testid="totp-disable-form"] .field-error`) {
			t.Fatalf("disable with %q: %d", pw, r.Status)
		}
	}
	if r := c.PostForm(security+"/totp/disable", url.Values{"password": {servertest.Password}}); r.Status != http.StatusSeeOther {
		t.Fatalf("disable: %d", r.Status)
	}
	if r := c.Get(security); !r.Has(`[data-testid="totp-off"]`) {
		t.Fatal("two-factor still on")
	}
	signIn(t, env, email, servertest.Password, "")
}

func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	acc := env.CreateAccount("Passwords")
	c := env.AsCustomer(acc.ID, customers.RoleBilling)
	other, _ := signIn(t, env, c.Customer.Email, servertest.Password, "")
	if r := other.Get("/portal"); r.Status != http.StatusOK {
		t.Fatalf("other session: %d", r.Status)
	}
	for _, tc := range []struct {
		form  url.Values
		field string
	}{
		{url.Values{}, "current"},
		{url.Values{"current": {"not my password"}, "password": {"a long new passphrase"}}, "current"},
		{url.Values{"current": {strings.Repeat("x", 2000)}, "password": {"a long new passphrase"}}, "current"},
		{url.Values{"current": {servertest.Password}, "password": {"short"}}, "password"},
		{url.Values{"current": {servertest.Password}, "password": {strings.Repeat("y", 300)}}, "password"},
		{url.Values{"current": {servertest.Password}}, "password"},
	} {
		r := c.PostForm(security+"/password", tc.form)
		if r.Status != http.StatusUnprocessableEntity || !r.Has(`#f-`+tc.field+`-msg.field-error`) {
			t.Fatalf("%v: %d, no message on %s: %q", tc.form, r.Status, tc.field, r.Text(`[data-testid="password-form"]`))
		}
	}
	if r := other.Get("/portal"); r.Status != http.StatusOK {
		t.Fatal("a refused change ended the other session")
	}
	r := c.PostForm(security+"/password", url.Values{"current": {servertest.Password}, "password": {"a long new passphrase"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("change: %d %q", r.Status, r.Text("[role=alert]"))
	}
	if r := c.Get(security); r.Status != http.StatusOK {
		t.Fatalf("this session ended: %d", r.Status)
	}
	if r := other.Get("/portal"); r.Status != http.StatusSeeOther {
		t.Fatalf("the other session is still open: %d", r.Status)
	}
	signIn(t, env, c.Customer.Email, "a long new passphrase", "")
	if env.AuditCount("customer.password_change", id(c.Customer.ID)) != 1 {
		t.Fatal("password change not audited")
	}
}

func TestSessionsListRevokeOneAndOthers(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	acc := env.CreateAccount("Sessions")
	c := env.AsCustomer(acc.ID, customers.RoleDeveloper)
	second, _ := signIn(t, env, c.Customer.Email, servertest.Password, "")
	third, _ := signIn(t, env, c.Customer.Email, servertest.Password, "")
	stranger := env.AsCustomer(env.CreateAccount("Elsewhere").ID, customers.RoleOwner)

	r := c.Get(sessions)
	if r.Status != http.StatusOK || r.Doc.Find(`[data-testid="session-row"]`).Length() != 3 || r.Doc.Find(`[data-testid="this-session"]`).Length() != 1 {
		t.Fatalf("sessions: %d, %d rows", r.Status, r.Doc.Find(`[data-testid="session-row"]`).Length())
	}
	if !strings.Contains(r.Text(`[data-testid="session-row"]`), "Go HTTP client") || r.Text(`[data-testid="session-ip"]`) == "" {
		t.Fatalf("browser and IP not shown: %q", r.Text(`[data-testid="session-row"]`))
	}
	// The handle of one other session, from its form.
	action, _ := r.Doc.Find(`[data-testid="session-row"]:not([data-current]) form`).First().Attr("action")
	if !strings.HasSuffix(action, "/revoke") {
		t.Fatalf("revoke form: %q", action)
	}
	// Another user cannot end it: 404.
	if r := stranger.PostForm(action, nil); r.Status != http.StatusNotFound {
		t.Fatalf("stranger revoked a session: %d", r.Status)
	}
	for _, bad := range []string{sessions + "/!!!/revoke", sessions + "/" + strings.Repeat("A", 300) + "/revoke", sessions + "/AAAA/revoke"} {
		if r := c.PostForm(bad, nil); r.Status != http.StatusNotFound {
			t.Fatalf("%s: %d", bad, r.Status)
		}
	}
	if r := c.PostForm(action, nil); r.Status != http.StatusSeeOther {
		t.Fatalf("revoke: %d", r.Status)
	}
	ended := 0
	for _, o := range []*servertest.Client{second, third} {
		if o.Get("/portal").Status == http.StatusSeeOther {
			ended++
		}
	}
	if ended != 1 {
		t.Fatalf("revoking one session ended %d", ended)
	}
	if r := c.Get(sessions); r.Doc.Find(`[data-testid="session-row"]`).Length() != 2 {
		t.Fatal("the revoked session is still listed")
	}
	// From the page's dialog (htmx): the card comes back with this session only.
	r = c.HTMX(http.MethodPost, sessions+"/revoke-others", url.Values{})
	if r.Status != http.StatusOK || !r.Has("#sessions-card") || r.Doc.Find(`[data-testid="session-row"]`).Length() != 1 ||
		!strings.Contains(r.Header.Get("HX-Trigger"), "Signed out 1 other session") {
		t.Fatalf("revoke others: %d %q", r.Status, r.Header.Get("HX-Trigger"))
	}
	if second.Get("/portal").Status != http.StatusSeeOther || third.Get("/portal").Status != http.StatusSeeOther {
		t.Fatal("other sessions survived")
	}
	r = c.Get(sessions)
	if r.Status != http.StatusOK || r.Doc.Find(`[data-testid="session-row"]`).Length() != 1 {
		t.Fatalf("after revoking others: %d rows", r.Doc.Find(`[data-testid="session-row"]`).Length())
	}
	if stranger.Get("/portal").Status != http.StatusOK {
		t.Fatal("another user's session ended")
	}
	// Signing out this very session is a sign-out.
	action, _ = r.Doc.Find(`[data-testid="session-row"][data-current] form`).Attr("action")
	if action != "" {
		t.Fatal("the current session has a sign-out button")
	}
	// c's own session, as another session of the user lists it.
	o, _ := signIn(t, env, c.Customer.Email, servertest.Password, "")
	own, _ := o.Get(sessions).Doc.Find(`[data-testid="session-row"]:not([data-current]) form`).Attr("action")
	if r := c.PostForm(own, nil); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/portal/login" {
		t.Fatalf("revoke current: %d %s", r.Status, r.Header.Get("Location"))
	}
	if c.Get("/portal").Status != http.StatusSeeOther {
		t.Fatal("still signed in")
	}
	if o.Get("/portal").Status != http.StatusOK {
		t.Fatal("the other session ended")
	}
}

// The current session is the first row, even when others were used more
// recently (last_seen_at is refreshed only now and then).
func TestSessionsListCurrentFirst(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	c := env.AsCustomer(env.CreateAccount("Sessions").ID, customers.RoleDeveloper)
	signIn(t, env, c.Customer.Email, servertest.Password, "")
	signIn(t, env, c.Customer.Email, servertest.Password, "")
	r := c.Get(sessions)
	r.Doc.Find(`[data-testid="session-row"]:not([data-current]) form`).Each(func(_ int, s *goquery.Selection) {
		action, _ := s.Attr("action")
		h, ok := signin.DecodeHandle(strings.TrimSuffix(strings.TrimPrefix(action, sessions+"/"), "/revoke"))
		if !ok {
			t.Fatalf("revoke action %q", action)
		}
		if _, err := env.DB.Pool.Exec(context.Background(), `UPDATE customer_sessions SET last_seen_at = now() + interval '1 hour' WHERE id_hash = $1`, h); err != nil {
			t.Fatal(err)
		}
	})
	rows := c.Get(sessions).Doc.Find(`[data-testid="session-row"]`)
	if rows.Length() != 3 {
		t.Fatalf("%d rows, want 3", rows.Length())
	}
	if _, cur := rows.First().Attr("data-current"); !cur {
		t.Error("the first row is not this session")
	}
}
