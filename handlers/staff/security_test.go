package staff_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"lumdesk/handlers/server/servertest"
	"lumdesk/handlers/web"
	"lumdesk/internal/audit"
	"lumdesk/internal/staff"
)

func code(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// An admin without TOTP (not demo mode) is locked to /account/security until
// they enrol through the page; then recovery codes are shown once and work.
func TestTOTPEnrolmentRequiredAndFlow(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	u, err := env.Staff.Create(context.Background(), audit.CLI("test"), staff.CreateInput{Email: "boss@test.local", Name: "Boss", Role: "admin", Password: servertest.Password})
	if err != nil {
		t.Fatal(err)
	}
	c := env.Anonymous()
	c.SignIn(u.Email, servertest.Password, "")

	for _, p := range []string{"/", "/staff", "/staff/new", "/account/sessions", "/staff/" + idStr(u.ID)} {
		if r := c.Get(p); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/account/security" {
			t.Errorf("GET %s before enrolment: %d %q", p, r.Status, r.Header.Get("Location"))
		}
	}
	r := c.Get("/account/security")
	if r.Status != 200 || !r.Has(`[data-testid="totp-required"]`) || !strings.Contains(r.Text(`[data-testid="totp-required"]`), "Your role requires two-factor sign-in") || !r.Has(`[data-testid="totp-off"]`) {
		t.Fatalf("security page: %d %q", r.Status, r.Text(`[data-testid="totp-required"]`))
	}
	if r := c.PostForm("/staff", url.Values{"email": {"x@test.local"}, "role": {"admin"}, "password": {"long-enough-password"}}); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/account/security" {
		t.Errorf("POST /staff before enrolment: %d", r.Status)
	}
	// Confirming before beginning is refused without a 500.
	if r := c.PostForm("/account/security/totp/confirm", url.Values{"code": {"123456"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("confirm before begin: %d", r.Status)
	}
	if r := c.PostForm("/account/security/totp", nil); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/account/security" {
		t.Fatalf("begin: %d %q", r.Status, r.Header.Get("Location"))
	}
	r = c.Get("/account/security")
	src, _ := r.Doc.Find(`img[data-testid="totp-qr"]`).Attr("src")
	if r.Status != 200 || !strings.HasPrefix(src, "data:image/png;base64,") {
		t.Fatalf("enrolment page: %d, img %.40q", r.Status, src)
	}
	shown := r.Text(`[data-testid="totp-secret"]`)
	for _, g := range strings.Fields(shown) {
		if len(g) > 4 {
			t.Fatalf("secret not in groups of 4: %q", shown)
		}
	}
	secret := strings.Join(strings.Fields(shown), "")
	if len(secret) < 16 {
		t.Fatalf("secret %q", secret)
	}
	// Wrong and malformed codes: 422 with a message, still pending.
	for _, bad := range []string{"000000", "12", "abcdef", strings.Repeat("9", 5000)} {
		if bad == code(t, secret, time.Now()) {
			continue
		}
		r := c.PostForm("/account/security/totp/confirm", url.Values{"code": {bad}})
		if r.Status != http.StatusUnprocessableEntity || r.Text("#f-code-msg") == "" || !r.Has(`img[data-testid="totp-qr"]`) {
			t.Errorf("code %.10q: %d %q", bad, r.Status, r.Text("#f-code-msg"))
		}
	}
	if r := c.Get("/staff"); r.Status != http.StatusSeeOther {
		t.Fatalf("still locked out expected, got %d", r.Status)
	}
	// Right code, typed with a space as the placeholder suggests.
	now := code(t, secret, time.Now())
	r = c.PostForm("/account/security/totp/confirm", url.Values{"code": {now[:3] + " " + now[3:]}})
	if r.Status != 200 {
		t.Fatalf("confirm: %d %s", r.Status, r.Text("#f-code-msg"))
	}
	var codes []string
	r.Doc.Find(`[data-testid="recovery-codes"] [data-testid="recovery-code"]`).Each(func(_ int, s *goquery.Selection) { codes = append(codes, s.Text()) })
	if len(codes) != 10 || r.Header.Get("Cache-Control") != "no-store" || !r.Has(`[data-copy="recovery-codes-text"]`) || !r.Has(`a[data-testid="recovery-continue"]`) {
		t.Fatalf("recovery codes page: %d codes %v, cache %q", len(codes), codes, r.Header.Get("Cache-Control"))
	}
	if got := strings.Split(r.Text("#recovery-codes-text"), "\n"); !cmp.Equal(got, codes) {
		t.Fatalf("copy text differs: %s", cmp.Diff(codes, got))
	}
	if env.AuditCount("staff.totp_enable", idStr(u.ID)) != 1 {
		t.Fatal("enrolment not audited")
	}
	// Unlocked; the page now says two-factor is on, and codes are never shown again.
	if r := c.Get("/staff"); r.Status != 200 {
		t.Fatalf("/staff after enrolment: %d", r.Status)
	}
	r = c.Get("/account/security")
	if !r.Has(`[data-testid="totp-on"]`) || r.Text(`[data-testid="recovery-codes-left"]`) != "10 of 10" || r.Has(`[data-testid="recovery-codes"]`) || r.Has(`[data-testid="totp-required"]`) {
		t.Fatalf("security page after enrolment: left %q", r.Text(`[data-testid="recovery-codes-left"]`))
	}
	if r := c.PostForm("/account/security/totp", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("begin again when on: %d", r.Status)
	}
	if u2, _ := env.Staff.Get(context.Background(), u.ID); !u2.TOTPEnabled {
		t.Fatal("begin when on turned TOTP off")
	}
	// A recovery code signs in once.
	c2 := env.Anonymous()
	c2.Get("/login")
	if r := c2.PostForm("/login", url.Values{"email": {u.Email}, "password": {servertest.Password}}); !strings.HasPrefix(r.Header.Get("Location"), "/login/totp") {
		t.Fatalf("sign-in asks no code: %q", r.Header.Get("Location"))
	}
	if r := c2.PostForm("/login/totp", url.Values{"code": {codes[3]}}); r.Status != http.StatusSeeOther {
		t.Fatalf("recovery code sign-in: %d", r.Status)
	}
	if r := c.Get("/account/security"); r.Text(`[data-testid="recovery-codes-left"]`) != "9 of 10" {
		t.Fatalf("codes left after use: %q", r.Text(`[data-testid="recovery-codes-left"]`))
	}
}

func TestTOTPStartOverReplacesSecret(t *testing.T) {
	t.Parallel()
	env := servertest.New(t, servertest.Demo)
	c := env.As("support")
	r := c.Get("/account/security")
	if !r.Has(`[data-testid="totp-off"]`) || r.Has(`[data-testid="totp-required"]`) {
		t.Fatal("support in demo: expected optional two-factor")
	}
	c.PostForm("/account/security/totp", nil)
	first := c.Get("/account/security").Text(`[data-testid="totp-secret"]`)
	c.PostForm("/account/security/totp", nil)
	second := c.Get("/account/security").Text(`[data-testid="totp-secret"]`)
	if first == "" || first == second {
		t.Fatalf("new key: %q then %q", first, second)
	}
	old := strings.Join(strings.Fields(first), "")
	if r := c.PostForm("/account/security/totp/confirm", url.Values{"code": {code(t, old, time.Now())}}); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("old secret's code accepted: %d", r.Status)
	}
}

func TestOwnSessions(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	a := env.As("support")
	b := env.Anonymous()
	b.SignIn(a.User.Email, servertest.Password, "")
	other := env.As("support") // someone else's session

	r := a.Get("/account/sessions")
	if r.Status != 200 || r.Doc.Find(`[data-testid="session-row"]`).Length() != 2 {
		t.Fatalf("sessions: %d, %d rows", r.Status, r.Doc.Find(`[data-testid="session-row"]`).Length())
	}
	cur := r.Doc.Find(`[data-testid="session-row"][data-current]`)
	if cur.Length() != 1 || cur.Find(`[data-testid="this-session"]`).Length() != 1 || cur.Find(`[data-testid="revoke-session"]`).Length() != 0 {
		t.Fatal("this session not marked, or offers revoke")
	}
	if got := cur.Find(`[data-testid="session-device"]`).Text(); got != "Go HTTP client" {
		t.Fatalf("device %q", got)
	}
	action, _ := r.Doc.Find(`[data-testid="session-row"]:not([data-current]) form`).Attr("action")
	if !strings.HasSuffix(action, "/revoke") {
		t.Fatalf("revoke form action %q", action)
	}
	// Someone else's session handle is not found (and not revoked).
	theirs := handleOf(t, env, other.User.ID)
	if r := a.PostForm("/account/sessions/"+theirs+"/revoke", nil); r.Status != http.StatusNotFound {
		t.Fatalf("revoke someone else's session: %d", r.Status)
	}
	if signedOut(other) {
		t.Fatal("other user's session revoked")
	}
	for _, h := range []string{"nonsense", strings.Repeat("A", 43)} {
		if r := a.PostForm("/account/sessions/"+h+"/revoke", nil); r.Status != http.StatusNotFound {
			t.Errorf("revoke %q: %d", h, r.Status)
		}
	}
	// NUL in the path: the app's input guard refuses it before any handler.
	if r := a.PostForm("/account/sessions/%00/revoke", nil); r.Status != http.StatusBadRequest {
		t.Errorf("revoke %%00: %d", r.Status)
	}
	// htmx: the row goes away, a toast says so.
	r = a.HTMX("POST", action, url.Values{})
	if r.Status != 200 || strings.TrimSpace(r.Body) != "" || !strings.Contains(r.Header.Get("HX-Trigger"), "Session signed out") {
		t.Fatalf("revoke: %d %q %q", r.Status, r.Body, r.Header.Get("HX-Trigger"))
	}
	if !signedOut(b) || signedOut(a) {
		t.Fatal("revoking b did not end b, or ended a")
	}
	if env.AuditCount("staff.session_revoke", idStr(a.User.ID)) != 1 {
		t.Fatal("revoke not audited")
	}

	// Sign out everywhere else.
	c := env.Anonymous()
	c.SignIn(a.User.Email, servertest.Password, "")
	d := env.Anonymous()
	d.SignIn(a.User.Email, servertest.Password, "")
	r = a.PostForm("/account/sessions/revoke-others", nil)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/account/sessions" {
		t.Fatalf("revoke others: %d", r.Status)
	}
	r = a.Get("/account/sessions")
	if r.Doc.Find(`[data-testid="session-row"]`).Length() != 1 || !strings.Contains(r.Text("#toasts"), "Signed out 2 other sessions") {
		t.Fatalf("after revoke-others: %d rows, toast %q", r.Doc.Find(`[data-testid="session-row"]`).Length(), r.Text("#toasts"))
	}
	if !signedOut(c) || !signedOut(d) || signedOut(a) || signedOut(other) {
		t.Fatal("revoke-others ended the wrong sessions")
	}
	if env.AuditCount("staff.sign_out_everywhere", idStr(a.User.ID)) != 1 {
		t.Fatal("revoke-others not audited")
	}
	r = a.HTMX("POST", "/account/sessions/revoke-others", url.Values{})
	if r.Status != 200 || !r.Has(`#sessions-card [data-testid="this-session"]`) {
		t.Fatalf("htmx revoke-others: %d", r.Status)
	}

	// Revoking this very session signs you out.
	own := a.Get("/account/sessions").Doc.Find(`[data-testid="session-row"][data-current]`)
	if own.Length() != 1 {
		t.Fatal("no current row")
	}
	mine := handleOf(t, env, a.User.ID)
	if r := a.PostForm("/account/sessions/"+mine+"/revoke", nil); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/login" {
		t.Fatalf("revoke own current: %d %q", r.Status, r.Header.Get("Location"))
	}
	if !signedOut(a) {
		t.Fatal("still signed in")
	}
}

// handleOf is the handle of the user's only (or newest) session.
func handleOf(t *testing.T, env *servertest.Env, staffID int64) string {
	t.Helper()
	list, err := env.Staff.ListSessions(context.Background(), staffID, nil)
	if err != nil || len(list) == 0 {
		t.Fatalf("sessions of %d: %v", staffID, err)
	}
	return list[0].Handle
}

func TestDeviceName(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36":                                   "Chrome on Linux",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0":           "Edge on Windows",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15":                      "Safari on macOS",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1": "Safari on iPhone",
		"Mozilla/5.0 (Android 14; Mobile; rv:128.0) Gecko/128.0 Firefox/128.0":                                                                    "Firefox on Android",
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36":                           "Headless Chrome on Linux",
		"curl/8.5.0":         "curl",
		"Go-http-client/1.1": "Go HTTP client",
		"":                   "Unknown device",
		"SomeBot/1.0 (+https://example.com/bot/with/a/very/long/url)": "SomeBot/1.0 (+https://example.com/bot/wi…",
	}
	for ua, want := range cases {
		if got := web.DeviceName(ua); got != want {
			t.Errorf("DeviceName(%q) = %q, want %q", ua, got, want)
		}
	}
}

// The current session is the first row, even when another one was used
// more recently (last_seen_at is refreshed only now and then).
func TestOwnSessionsCurrentFirst(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	a := env.As("support")
	for range 2 {
		env.Anonymous().SignIn(a.User.Email, servertest.Password, "")
	}
	r := a.Get("/account/sessions")
	r.Doc.Find(`[data-testid="session-row"]:not([data-current]) form`).Each(func(_ int, s *goquery.Selection) {
		action, _ := s.Attr("action")
		h, ok := staff.DecodeHandle(strings.TrimSuffix(strings.TrimPrefix(action, "/account/sessions/"), "/revoke"))
		if !ok {
			t.Fatalf("revoke action %q", action)
		}
		if _, err := env.DB.Pool.Exec(context.Background(), `UPDATE staff_sessions SET last_seen_at = now() + interval '1 hour' WHERE id_hash = $1`, h); err != nil {
			t.Fatal(err)
		}
	})
	rows := a.Get("/account/sessions").Doc.Find(`[data-testid="session-row"]`)
	if rows.Length() != 3 {
		t.Fatalf("%d rows, want 3", rows.Length())
	}
	if _, cur := rows.First().Attr("data-current"); !cur {
		t.Error("the first row is not this session")
	}
}
