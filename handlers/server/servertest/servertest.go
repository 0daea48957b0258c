// Package servertest runs the whole lumdesk app on a real loopback port over
// a fresh test database, and gives tests signed-in HTTP clients per role.
package servertest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"lumdesk/handlers/server"
	"lumdesk/handlers/web"
	"lumdesk/internal/audit"
	"lumdesk/internal/customers"
	"lumdesk/internal/platform/config"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/dnstest"
	"lumdesk/internal/platform/ids"
	"lumdesk/internal/platform/secretbox"
	"lumdesk/internal/platform/testdb"
	"lumdesk/internal/staff"
	"lumdesk/views/components"
)

// Password is the password of every user the harness creates.
const Password = "test-password-123"

// Env is a running app.
type Env struct {
	T      testing.TB
	URL    string // http://127.0.0.1:port
	DB     *db.DB
	Config config.Config
	*server.Services
	App      *fiber.App
	Handlers *web.App
	// DNS is the resolver the app asks (DNS_RESOLVER): Lumora's sending
	// domains verify against what a test publishes here.
	DNS *dnstest.Server
}

// Option changes the configuration before the app starts.
type Option func(*config.Config)

// Demo turns demo mode on.
func Demo(c *config.Config) { c.Demo = true }

// New starts the app on a fresh database; it stops when the test ends.
func New(t testing.TB, opts ...Option) *Env {
	t.Helper()
	return start(t, db.New(testdb.New(t)), nil, opts)
}

// NewLogged is New with the app's log written to w at every level (a test
// that a secret reaches no log line reads it; so does slog's default logger,
// which the services use, while the test runs).
func NewLogged(t testing.TB, w io.Writer, opts ...Option) *Env {
	t.Helper()
	log := slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
	prev := slog.Default()
	slog.SetDefault(log)
	t.Cleanup(func() { slog.SetDefault(prev) })
	return start(t, db.New(testdb.New(t)), log, opts)
}

// NewDBURL makes a fresh migrated database with room for concurrent
// requests, for tests that run several app processes over one database.
func NewDBURL(t testing.TB) string {
	u := testdb.NewURL(t)
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	return u + sep + "pool_max_conns=20"
}

// NewOn starts the app with its own connection pool over dbURL, as one more
// `lumdesk serve` process would; it stops when the test ends.
func NewOn(t testing.TB, dbURL string, opts ...Option) *Env {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close) // runs after the app's own cleanup below
	return start(t, db.New(pool), nil, opts)
}

func start(t testing.TB, d *db.DB, log *slog.Logger, opts []Option) *Env {
	t.Helper()
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.CookieSecure = false
	// Tests assert what the palette finds, on a machine loaded by parallel
	// packages; the budget's own behaviour is tested in internal/console.
	cfg.SearchBudget = 10 * time.Second
	cfg.MasterKey = bytes.Repeat([]byte{9}, 32)
	zone := dnstest.Start(t)
	cfg.DNSResolver = zone.Addr
	for _, o := range opts {
		o(&cfg)
	}
	box, _ := secretbox.New(cfg.MasterKey)
	svc := server.NewServices(cfg, d, box)
	switch {
	case log != nil:
	case testing.Verbose():
		log = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	default:
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.ReplicaURL != "" { // as lumdesk serve does (cmd/web/cmd_serve.go)
		if err := d.OpenReplica(cfg.ReplicaURL, log); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(d.Close) // after the app's own cleanup below; closing a pool twice is harmless
	}
	app, h := server.NewApp(cfg, svc, log)
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := web.NewListener(tcp) // as lumdesk serve does: a stop does not wait on unused connections
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() {
		_ = ln.Shutdown(app, 5*time.Second)
		svc.Licensing.Close() // flush batched execution counts while the database is still there
	})
	return &Env{T: t, URL: "http://" + ln.Addr().String(), DB: d, Config: cfg, Services: svc, App: app, Handlers: h, DNS: zone}
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// Client is a browser-like HTTP client with its own cookie jar.
type Client struct {
	env  *Env
	HTTP *http.Client
	User staff.User
	// Customer is the portal user of a client made by AsCustomer.
	Customer customers.User
	CSRF     string
}

// Anonymous returns a client that is not signed in.
func (e *Env) Anonymous() *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{env: e, HTTP: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// CreateStaff makes a staff user; roles that need TOTP get it enrolled.
// It returns the user and, for TOTP users, the base32 secret.
func (e *Env) CreateStaff(email, role string) (staff.User, string) {
	e.T.Helper()
	ctx := context.Background()
	u, err := e.Staff.Create(ctx, audit.CLI("servertest"), staff.CreateInput{Email: email, Name: strings.Split(email, "@")[0], Role: role, Password: Password})
	if err != nil {
		e.T.Fatal(err)
	}
	if !staff.Role(role).RequiresTOTP() || e.Config.Demo {
		return u, ""
	}
	enr, err := e.Staff.BeginTOTP(ctx, u)
	if err != nil {
		e.T.Fatal(err)
	}
	// Confirm with the previous step's code so the current one is left for sign-in.
	code, _ := totp.GenerateCodeCustom(enr.Secret, time.Now().Add(-30*time.Second), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if _, err := e.Staff.ConfirmTOTP(ctx, audit.Staff(u.ID, u.Email), u, code, nil); err != nil {
		e.T.Fatal(err)
	}
	u.TOTPEnabled = true
	return u, enr.Secret
}

// As returns a client signed in as a new staff user with that role
// (email <role>@test.local, or <role>N@... for more than one).
func (e *Env) As(role string) *Client {
	e.T.Helper()
	email := role + "-" + strings.ToLower(ids.Token(6)) + "@test.local"
	u, secret := e.CreateStaff(email, role)
	c := e.Anonymous()
	c.User = u
	c.SignIn(email, Password, secret)
	return c
}

// SignIn goes through /login (and /login/totp when secret is set).
func (c *Client) SignIn(email, password, totpSecret string) {
	t := c.env.T
	t.Helper()
	c.Get("/login")
	r := c.PostForm("/login", url.Values{"email": {email}, "password": {password}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("sign in %s: status %d: %s", email, r.Status, r.Text(".alert, [role=alert]"))
	}
	if strings.HasPrefix(r.Header.Get("Location"), "/login/totp") {
		code, _ := totp.GenerateCode(totpSecret, time.Now())
		r = c.PostForm("/login/totp", url.Values{"code": {code}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("totp %s: status %d: %s", email, r.Status, r.Text("[role=alert]"))
		}
	}
	c.Get("/") // refresh the CSRF token of the new session
}

// Response is a response with its body parsed.
type Response struct {
	Status int
	Header http.Header
	Body   string
	Doc    *goquery.Document
}

// Text returns the trimmed text of the elements matching sel.
func (r *Response) Text(sel string) string { return strings.TrimSpace(r.Doc.Find(sel).Text()) }

// Has reports whether sel matches anything.
func (r *Response) Has(sel string) bool { return r.Doc.Find(sel).Length() > 0 }

// Want stops the test unless the response has status want; what names the
// request, and the page's alert or main text says why it answered otherwise.
func (r *Response) Want(t testing.TB, want int, what string) {
	t.Helper()
	if r.Status != want {
		t.Fatalf("%s: status %d, want %d: %s", what, r.Status, want, r.Text("[role=alert], main"))
	}
}

// Do sends a request; for unsafe methods it adds the CSRF header (unless
// the header map already has X-CSRF-Token, possibly empty, to test refusal).
func (c *Client) Do(method, path string, body io.Reader, header http.Header) *Response {
	c.env.T.Helper()
	r, err := c.try(method, path, body, header)
	if err != nil {
		c.env.T.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

// Oversized sends a request whose URL and headers are larger than the
// server reads. The server answers 431 after reading its buffer's worth and
// closes with the rest unread, so the kernel may reset the connection
// before the client has read the answer (a race of the transport, not of
// the server): a reset is retried, a few times at most.
func (c *Client) Oversized(method, path string, header http.Header) *Response {
	c.env.T.Helper()
	for attempt := 1; ; attempt++ {
		r, err := c.try(method, path, nil, header)
		if err != nil && attempt < 5 && (errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)) {
			continue
		}
		if err != nil {
			c.env.T.Fatalf("%s %s: %v", method, web.Truncate(path, 80), err)
		}
		return r
	}
}

func (c *Client) try(method, path string, body io.Reader, header http.Header) (*Response, error) {
	req, err := http.NewRequest(method, c.env.URL+path, body)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if method != http.MethodGet && method != http.MethodHead {
		if _, set := header["X-Csrf-Token"]; !set && c.CSRF != "" {
			req.Header.Set("X-CSRF-Token", c.CSRF)
		}
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	doc, _ := goquery.NewDocumentFromReader(bytes.NewReader(b))
	if tok, ok := doc.Find(`meta[name="csrf-token"]`).Attr("content"); ok && tok != "" {
		c.CSRF = tok
	}
	if tok, ok := doc.Find(`input[name="csrf"]`).First().Attr("value"); ok && tok != "" {
		c.CSRF = tok
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: string(b), Doc: doc}, nil
}

// Get fetches a page.
func (c *Client) Get(path string) *Response { return c.Do(http.MethodGet, path, nil, nil) }

// HTMX fetches with HX-Request: true.
func (c *Client) HTMX(method, path string, form url.Values) *Response {
	var body io.Reader
	h := http.Header{"Hx-Request": {"true"}}
	if form != nil {
		body = strings.NewReader(form.Encode())
		h.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return c.Do(method, path, body, h)
}

// Count asks for the count a list's page deferred (web.PageCount), as the
// page's hx-get does from path, the page's own URL.
func (c *Client) Count(path string) *Response {
	return c.Do(http.MethodGet, path, nil, http.Header{"HX-Request": {"true"}, "HX-Target": {components.ResultCountID}})
}

// PendingCount is where a page's deferred count comes from: its hx-get,
// "" when the page gave its count itself.
func (r *Response) PendingCount() string {
	return r.Doc.Find(`[data-testid="result-count"][data-pending]`).AttrOr("hx-get", "")
}

// PostForm posts a form with the csrf field filled in.
func (c *Client) PostForm(path string, form url.Values) *Response {
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", c.CSRF)
	}
	return c.Do(http.MethodPost, path, strings.NewReader(form.Encode()),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "X-Csrf-Token": {form.Get("csrf")}})
}

// AuditCount counts audit rows with the action (and entity id when given).
func (e *Env) AuditCount(action, entityID string) int {
	e.T.Helper()
	var n int
	err := e.DB.Pool.QueryRow(context.Background(),
		"SELECT count(*) FROM audit_events WHERE action = $1 AND ($2 = '' OR entity_id = $2)", action, entityID).Scan(&n)
	if err != nil {
		e.T.Fatal(err)
	}
	return n
}
