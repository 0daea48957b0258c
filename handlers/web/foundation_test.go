package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"lumdesk/handlers/server/servertest"
	"lumdesk/handlers/web"
	"lumdesk/internal/platform/config"
	"lumdesk/internal/platform/syncbuf"
	"lumdesk/internal/staff"
)

func TestSignInFlowRotatesSessionAndLogoutDeletesIt(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	env.CreateStaff("sup@test.local", "support")
	c := env.Anonymous()

	r := c.Get("/search?q=x")
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login?next=") {
		t.Fatalf("anonymous /search: %d %s", r.Status, r.Header.Get("Location"))
	}
	r = c.Get("/login")
	if r.Status != 200 || !r.Has(`[data-testid="login-form"] input[name="csrf"]`) {
		t.Fatalf("login page: %d", r.Status)
	}
	before := cookie(c, env)
	r = c.PostForm("/login", url.Values{"email": {"sup@test.local"}, "password": {servertest.Password}, "next": {"/audit"}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/audit" {
		t.Fatalf("sign in: %d %q", r.Status, r.Header.Get("Location"))
	}
	after := cookie(c, env)
	if after == "" || after == before {
		t.Fatalf("session id not rotated at sign-in: before %q after %q", before, after)
	}
	if env.AuditCount("staff.login", "") != 1 {
		t.Fatal("sign-in not audited")
	}
	if r := c.Get("/"); r.Status != 200 || !r.Has(`[data-testid="overview-stats"]`) {
		t.Fatalf("overview after sign-in: %d", r.Status)
	}
	var rows int
	_ = env.DB.Pool.QueryRow(context.Background(), "SELECT count(*) FROM staff_sessions WHERE staff_id IS NOT NULL").Scan(&rows)
	if rows != 1 {
		t.Fatalf("%d signed-in session rows", rows)
	}
	r = c.PostForm("/logout", nil)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("logout: %d", r.Status)
	}
	_ = env.DB.Pool.QueryRow(context.Background(), "SELECT count(*) FROM staff_sessions WHERE staff_id IS NOT NULL").Scan(&rows)
	if rows != 0 || env.AuditCount("staff.logout", "") != 1 {
		t.Fatalf("after logout: %d session rows, %d logout events", rows, env.AuditCount("staff.logout", ""))
	}
	if r := c.Get("/"); r.Status != http.StatusSeeOther {
		t.Fatalf("after logout / answered %d", r.Status)
	}
}

func cookie(c *servertest.Client, env *servertest.Env) string {
	u, _ := url.Parse(env.URL)
	for _, ck := range c.HTTP.Jar.Cookies(u) {
		if ck.Name == "lumdesk" {
			return ck.Value
		}
	}
	return ""
}

func TestSignInErrorsAreUniformAndThrottled(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	env.CreateStaff("v@test.local", "viewer")
	c := env.Anonymous()
	c.Get("/login")
	wrong := c.PostForm("/login", url.Values{"email": {"v@test.local"}, "password": {"nope-nope-nope"}})
	unknown := c.PostForm("/login", url.Values{"email": {"ghost@test.local"}, "password": {"nope-nope-nope"}})
	if wrong.Status != 401 || unknown.Status != 401 || wrong.Text("[role=alert]") != unknown.Text("[role=alert]") || wrong.Text("[role=alert]") == "" {
		t.Fatalf("wrong password %d %q vs unknown email %d %q", wrong.Status, wrong.Text("[role=alert]"), unknown.Status, unknown.Text("[role=alert]"))
	}
	for _, form := range []url.Values{
		{},
		{"email": {"v@test.local"}},
		{"email": {strings.Repeat("a", 300) + "@x.io"}, "password": {"x"}},
	} {
		if r := c.PostForm("/login", form); r.Status != 422 || r.Text("[role=alert]") == "" {
			t.Fatalf("bad form %v: %d %q", form, r.Status, r.Text("[role=alert]"))
		}
	}
	var r *servertest.Response
	for i := 0; i < 3; i++ {
		r = c.PostForm("/login", url.Values{"email": {"v@test.local"}, "password": {"still-wrong-pw"}})
	}
	if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" || !strings.Contains(r.Text("[role=alert]"), "try again") {
		t.Fatalf("after repeated failures: %d retry-after=%q %q", r.Status, r.Header.Get("Retry-After"), r.Text("[role=alert]"))
	}
}

func TestCSRFRefused(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	c := env.As("admin")
	for name, h := range map[string]http.Header{
		"missing": {"X-Csrf-Token": {""}, "Content-Type": {"application/x-www-form-urlencoded"}},
		"wrong":   {"X-Csrf-Token": {"forged"}, "Content-Type": {"application/x-www-form-urlencoded"}},
	} {
		r := c.Do("POST", "/logout", strings.NewReader("csrf="+h.Get("X-Csrf-Token")), h)
		if r.Status != http.StatusForbidden {
			t.Errorf("%s token: status %d, want 403", name, r.Status)
		}
	}
	// Still signed in: the refused logout did nothing.
	if r := c.Get("/"); r.Status != 200 {
		t.Fatalf("after refused logout: %d", r.Status)
	}
	// A login form without the token is refused too.
	anon := env.Anonymous()
	if r := anon.Do("POST", "/login", strings.NewReader("email=a@b.c&password=x"), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}); r.Status != http.StatusForbidden {
		t.Fatalf("login without csrf: %d", r.Status)
	}
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	r := env.Anonymous().Get("/login")
	csp := r.Header.Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "frame-ancestors 'none'", "style-src 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if r.Header.Get("X-Content-Type-Options") != "nosniff" || r.Header.Get("Referrer-Policy") == "" {
		t.Errorf("headers: %v", r.Header)
	}
	if strings.Contains(r.Body, "<script>") || strings.Contains(r.Body, " style=\"") || strings.Contains(r.Body, "hx-on") {
		t.Error("page has inline script or style")
	}
}

func TestOpenRedirectRefused(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	env.CreateStaff("s@test.local", "support")
	c := env.Anonymous()
	c.Get("/login")
	for _, next := range []string{"//evil.example", "https://evil.example", "/\\evil.example"} {
		c2 := env.Anonymous()
		c2.Get("/login")
		r := c2.PostForm("/login", url.Values{"email": {"s@test.local"}, "password": {servertest.Password}, "next": {next}})
		if r.Header.Get("Location") != "/" {
			t.Errorf("next=%q redirected to %q", next, r.Header.Get("Location"))
		}
	}
}

func TestHealthReadyMetrics(t *testing.T) {
	t.Parallel()
	env := servertest.New(t, func(c *config.Config) { c.MetricsToken = "metrics-token-0123456789" })
	c := env.Anonymous()
	if r := c.Get("/healthz"); r.Status != 200 || !strings.Contains(r.Body, `"ok"`) {
		t.Fatalf("healthz %d %s", r.Status, r.Body)
	}
	if r := c.Get("/readyz"); r.Status != 200 || !strings.Contains(r.Body, `"database":"ok"`) {
		t.Fatalf("readyz %d %s", r.Status, r.Body)
	}
	c.Get("/login")
	r := c.Do("GET", "/metrics", nil, http.Header{"Authorization": {"Bearer metrics-token-0123456789"}})
	if r.Status != 200 || !strings.Contains(r.Body, `lumdesk_http_request_duration_seconds_count{method="GET",route="/login",status="200"}`) {
		t.Fatalf("metrics %d lacks the /login series", r.Status)
	}
}

// Every route Fiber knows must come from the route table with a permission.
func TestEveryRouteDeclaresAPermission(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	declared := map[string]string{}
	for _, r := range env.Handlers.Table() {
		declared[r.Method+" "+r.Path] = string(r.Perm) + string(r.Portal)
	}
	n := 0
	for _, r := range env.App.GetRoutes(true) {
		if r.Method == "USE" || r.Method == "HEAD" && declared["GET "+r.Path] != "" {
			continue
		}
		n++
		if declared[r.Method+" "+r.Path] == "" {
			t.Errorf("route %s %s declares no permission", r.Method, r.Path)
		}
	}
	if n < 10 {
		t.Fatalf("only %d routes seen", n)
	}
}

// The role matrix: for every route that needs a role permission, each role is
// either let through (anything but 403) or refused with 403, as its permissions say.
func TestRoleMatrix(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	clients := map[staff.Role]*servertest.Client{}
	for _, role := range staff.Roles {
		clients[role] = env.As(string(role))
	}
	checked := 0
	for _, r := range env.Handlers.Table() {
		if r.Portal != "" || r.Perm == staff.PermPublic || r.Perm == staff.PermSignedIn || r.Path == "/logout" {
			continue // the portal's matrix is handlers/portal's TestPortalRoleMatrix
		}
		path := fillParams(r.Path)
		for _, role := range staff.Roles {
			var resp *servertest.Response
			if r.Method == "GET" {
				resp = clients[role].Get(path)
			} else {
				resp = clients[role].PostForm(path, url.Values{})
			}
			allowed := role.Can(r.Perm)
			if allowed && resp.Status == http.StatusForbidden {
				t.Errorf("%s %s: %s has %s but got 403", r.Method, r.Path, role, r.Perm)
			}
			if !allowed && resp.Status != http.StatusForbidden {
				t.Errorf("%s %s: %s lacks %s but got %d", r.Method, r.Path, role, r.Perm, resp.Status)
			}
			if resp.Status >= 500 {
				t.Errorf("%s %s as %s: %d", r.Method, r.Path, role, resp.Status)
			}
			checked++
		}
	}
	if checked == 0 {
		t.Fatal("no routes checked")
	}
}

// fillParams puts a plausible value into each :param of a route path.
func fillParams(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		switch {
		case strings.HasPrefix(s, ":entity_type"):
			parts[i] = "account"
		case strings.HasPrefix(s, ":"):
			parts[i] = "1"
		case s == "*":
			parts[i] = "x"
		}
	}
	return strings.Join(parts, "/")
}

var _ = web.BodyLimit

// A viewer is told once, in the top bar, that the role is read-only; roles
// that can change things see no marker.
func TestReadOnlyMarker(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	if r := env.As("viewer").Get("/"); !r.Has(`[data-testid="read-only"]`) {
		t.Error("viewer: no read-only marker")
	}
	for _, role := range []string{"admin", "support", "finance"} {
		if r := env.As(role).Get("/"); r.Status != 200 || r.Has(`[data-testid="read-only"]`) {
			t.Errorf("%s: status %d, read-only marker shown=%v", role, r.Status, r.Has(`[data-testid="read-only"]`))
		}
	}
	// A role that sees a product area but can change nothing in it is told
	// so there; where it can act, nothing is shown.
	for _, tc := range []struct{ role, path, want string }{
		{"finance", "/luarmor", "Read-only in Luarmor"},
		{"finance", "/lumi", ""},
		{"support", "/luarmor", ""},
		{"admin", "/lumi", ""},
		{"viewer", "/lumi", "Read-only"},
	} {
		r := env.As(tc.role).Get(tc.path)
		if r.Status != 200 || r.Text(`[data-testid="read-only"]`) != tc.want {
			t.Errorf("%s on %s: status %d, marker %q, want %q", tc.role, tc.path, r.Status, r.Text(`[data-testid="read-only"]`), tc.want)
		}
	}
}

// HEAD answers every GET route as GET does, without the body: uptime
// checks, link checkers and curl -I ask HEAD (it was 404 on every route).
func TestHeadAnswersAsGet(t *testing.T) {
	t.Parallel()
	env := servertest.New(t, servertest.Demo)
	admin, anon := env.As("admin"), env.Anonymous()
	checked := 0
	for _, r := range env.Handlers.Table() {
		if r.Method != http.MethodGet || r.Path == "/logout" {
			continue
		}
		path := fillParams(r.Path)
		for _, c := range []*servertest.Client{admin, anon} {
			get := c.Get(path)
			head := c.Do(http.MethodHead, path, nil, nil)
			if head.Status != get.Status {
				t.Errorf("HEAD %s: %d, GET %d", path, head.Status, get.Status)
			}
			if head.Body != "" {
				t.Errorf("HEAD %s sent a body of %d bytes", path, len(head.Body))
			}
			if h, g := head.Header.Get("Content-Type"), get.Header.Get("Content-Type"); h != g {
				t.Errorf("HEAD %s: Content-Type %q, GET %q", path, h, g)
			}
			checked++
		}
	}
	if checked < 100 {
		t.Fatalf("only %d GET routes checked", checked)
	}
	for _, p := range []string{"/healthz", "/readyz", "/login", "/portal/login"} {
		if r := anon.Do(http.MethodHead, p, nil, nil); r.Status != http.StatusOK {
			t.Errorf("HEAD %s: %d, want 200", p, r.Status)
		}
	}
}

// The access log keeps a request's path, but not a credential in it: the
// Luarmor key the spec puts in its paths, or a portal link's token.
func TestAccessLogLeavesCredentialsOut(t *testing.T) {
	t.Parallel()
	var log syncbuf.Buffer
	env := servertest.NewLogged(t, &log)
	c := env.Anonymous()
	const key, token = "a3f9c2e18b7d4c6e9f0a1b2c3d4e5f60", "SGzC7CZfTokenThatMustNotBeLogged"
	c.Get("/api/luarmor/v3/keys/" + key + "/details")
	c.Get("/portal/reset/" + token)
	c.Get("/portal/invite/" + token)
	got := log.String()
	if strings.Contains(got, key) || strings.Contains(got, token) {
		t.Fatalf("a credential reached the log:\n%s", got)
	}
	for _, want := range []string{"path=/api/luarmor/v3/keys/:api_key/details", "path=/portal/reset/:token", "path=/portal/invite/:token"} {
		if !strings.Contains(got, want) {
			t.Errorf("the log has no %q:\n%s", want, got)
		}
	}
}
