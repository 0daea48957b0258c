// Package web holds what every console area (handlers/<area>) shares: the
// Fiber app and its middleware (sessions, CSRF, the input guard, security
// headers, access log), the route table type, the one error handler, page
// context, form reading and CSV export. A handler parses input, calls one
// domain service method and renders a templ view: no SQL, no business rule.
package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/gofiber/fiber/v2/middleware/compress"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/gofiber/fiber/v2/middleware/requestid"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/gorilla/sessions"
	"github.com/prometheus/client_golang/prometheus"

	"lumdesk/internal/customers"
	"lumdesk/internal/platform/config"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/signin"
	"lumdesk/internal/staff"
)

// BodyLimit caps request bodies; larger ones get 413.
const BodyLimit = 4 << 20

// App holds what every dashboard handler shares.
type App struct {
	cfg      config.Config
	db       *db.DB
	staff    *staff.Service
	sessions *staff.SessionStore
	// The customer portal's users and its own session store (portal.go).
	customers      *customers.Service
	portalSessions *signin.SessionStore
	log            *slog.Logger
	metrics        *Metrics
	table          []Route
	// apiErrors are the product APIs' error writers, by path prefix.
	apiErrors []APIErrorWriter
	// streamers claim the requests whose bodies stream (bodystream.go).
	streamers []BodyStreamer
	// counts are the areas' live counts (counts.go), by key and in order.
	counts     map[string]Counter
	countOrder []Counter
	// portalShell builds portal pages' layout (the portal's route group).
	portalShell PortalShell
	// reads is the line reads wait in (admit.go); nil: none.
	reads *readLine
}

// Deps are the services the HTTP layer needs.
type Deps struct {
	Config   config.Config
	DB       *db.DB
	Staff    *staff.Service
	Sessions *staff.SessionStore
	// Customers and PortalSessions serve the customer portal under /portal.
	Customers      *customers.Service
	PortalSessions *signin.SessionStore
	Log            *slog.Logger
	// Extra are the route groups of other areas (accounts, API keys, product APIs ...).
	Extra []RouteGroup
	// Collectors are other areas' Prometheus metrics, served with the app's.
	Collectors []prometheus.Collector
}

// RouteGroup contributes routes to the table.
type RouteGroup interface {
	Routes(a *App) []Route
}

// New builds the Fiber app with its middleware and the whole route table.
func New(d Deps) (*fiber.App, *App) {
	a := &App{cfg: d.Config, db: d.DB, staff: d.Staff, sessions: d.Sessions, customers: d.Customers, portalSessions: d.PortalSessions,
		log: d.Log, metrics: NewMetrics()}
	a.metrics.reg.MustRegister(d.Collectors...)
	a.reads = newReadLine(d.Config.ReadConcurrency, readWait, readHold, a.metrics.reg)
	proxyHeader := ""
	if d.Config.TrustProxy {
		proxyHeader = fiber.HeaderXForwardedFor
	}
	app := fiber.New(fiber.Config{
		AppName:               "lumdesk",
		DisableStartupMessage: true,
		// Paths are matched as written, as the middleware's prefix checks
		// (isAPI, IsPortal, each API's envelope) read them: with Fiber's
		// default, POST /API/LUMIO/... reached the API's handler but was
		// checked for a console CSRF token, and refused in HTML.
		CaseSensitive: true,
		BodyLimit:     BodyLimit,
		// Bodies stream, so an upload route can take more than BodyLimit
		// without holding it; limitBody keeps every other route buffered
		// and limited (bodystream.go).
		StreamRequestBody:            true,
		DisablePreParseMultipartForm: true,
		ReadBufferSize:               16 << 10, // long filter URLs; larger headers get 431
		ReadTimeout:                  30 * time.Second,
		WriteTimeout:                 60 * time.Second,
		IdleTimeout:                  120 * time.Second,
		ProxyHeader:                  proxyHeader,
		ErrorHandler:                 a.errorHandler,
	})
	app.Use(recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: func(c *fiber.Ctx, e any) {
		a.log.Error("panic", "err", e, "path", c.Path(), "request_id", requestID(c))
	}}))
	app.Use(requestid.New())
	app.Use(a.accessLog)
	// gzip or brotli, as the client accepts: a console page and its assets
	// weigh a quarter as much. Fastest level: the CPU is the loader check's.
	// Assets come compressed at the best levels from serveStatic.
	app.Use(compress.New(compress.Config{Level: compress.LevelBestSpeed,
		Next: func(c *fiber.Ctx) bool { return strings.HasPrefix(c.Path(), "/static/") }}))
	app.Use(securityHeaders(d.Config.CookieSecure))
	app.Use(a.limitBody)
	app.Use(a.reads.handler) // reads a few at a time, in turn (admit.go)
	app.Use(a.loadSession)
	app.Use(a.replicaReads) // GET pages may read lists from DATABASE_REPLICA_URL (replica.go)
	app.Use(a.guardInput)
	app.Use(a.checkCSRF)
	app.Use(a.liveCounts)

	table := a.baseRoutes()
	for _, g := range d.Extra {
		table = append(table, g.Routes(a)...)
		if w, ok := g.(APIErrorWriter); ok {
			a.apiErrors = append(a.apiErrors, w)
		}
		if s, ok := g.(BodyStreamer); ok {
			a.streamers = append(a.streamers, s)
		}
		if ps, ok := g.(PortalShell); ok {
			a.portalShell = ps
		}
		if cs, ok := g.(CountSource); ok {
			for _, n := range cs.Counts() {
				if a.counts == nil {
					a.counts = map[string]Counter{}
				}
				a.counts[n.Key] = n
				a.countOrder = append(a.countOrder, n)
			}
		}
	}
	a.register(app, table)
	app.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })
	a.outsideRoutes(app)
	app.Server().HeaderReceived = a.onHeaders
	app.Server().Handler = closeUnreadBodies(app.Server().Handler)
	return app, a
}

// DB returns the database (for route groups that need it).
func (a *App) DB() *db.DB { return a.db }

// MetricsHandler serves the Prometheus metrics (the METRICS_ADDR listener).
func (a *App) MetricsHandler() http.Handler { return a.metrics.HTTPHandler() }

// Log returns the logger.
func (a *App) Log() *slog.Logger { return a.log }

// Config returns the configuration.
func (a *App) Config() config.Config { return a.cfg }

func isAPI(path string) bool {
	return hasPrefixFold(path, "/api/") || isPlumbing(path)
}

// hasPrefixFold: a path under prefix in any letter case. Routes match only
// as written, but a client that writes /API/... is an API client, and its
// 404 is in the API's envelope, not a console page.
func hasPrefixFold(path, prefix string) bool {
	return len(path) >= len(prefix) && strings.EqualFold(path[:len(prefix)], prefix)
}

// isPlumbing is what no person reads: static files, the health checks and
// the metrics. They skip the session and, under load, the read line.
func isPlumbing(path string) bool {
	return strings.HasPrefix(path, "/static/") || path == "/healthz" || path == "/readyz" || path == "/metrics"
}

// loadSession reads the gorilla session through the Postgres store and puts
// the signed-in user (if any) into c.Locals. Product APIs and static files skip it.
func (a *App) loadSession(c *fiber.Ctx) error {
	if isAPI(c.Path()) {
		return c.Next()
	}
	// Console pages carry the session's data and CSRF token: never cached
	// (a handler that streams a file may set its own policy).
	c.Set(fiber.HeaderCacheControl, "no-store")
	r, err := adaptor.ConvertRequest(c, false)
	if err != nil {
		return fmt.Errorf("convert request: %w", err)
	}
	r = r.WithContext(c.UserContext())
	r.RemoteAddr = c.IP()
	if IsPortal(c.Path()) {
		return a.loadPortalSession(c, r)
	}
	s, err := a.sessions.Get(r, a.sessions.CookieName)
	if err != nil {
		a.log.Warn("session load failed", "err", err, "request_id", requestID(c))
	}
	c.Locals(localSession, s)
	c.Locals(localRequest, r)
	if id, ok := s.Values[staff.KeyStaffID].(int64); ok {
		u, err := a.staff.Get(c.UserContext(), id)
		switch {
		case errors.Is(err, staff.ErrNotFound) || (err == nil && u.Disabled):
			a.sessions.Destroy(s)
			_ = a.saveSession(c, s, r)
		case err != nil:
			return err
		default:
			c.Locals(localUser, &u)
		}
	}
	return c.Next()
}

// saveSession persists the session and copies every Set-Cookie header onto
// the Fiber response (Add, never Set: several cookies would collapse).
func (a *App) saveSession(c *fiber.Ctx, s *sessions.Session, r *http.Request) error {
	w := headerWriter{h: http.Header{}}
	if err := s.Save(r, w); err != nil {
		return err
	}
	for _, v := range w.h.Values("Set-Cookie") {
		c.Response().Header.Add(fiber.HeaderSetCookie, v)
	}
	return nil
}

// ensureCSRF makes sure the session (even an anonymous one) has a CSRF token,
// saving it if it is new. Pages with forms call it before rendering.
func (a *App) ensureCSRF(c *fiber.Ctx) (string, error) {
	s, r := session(c)
	if s == nil {
		return "", errors.New("no session")
	}
	if tok, ok := s.Values[staff.KeyCSRF].(string); ok && tok != "" {
		return tok, nil
	}
	tok := newCSRFToken()
	s.Values[staff.KeyCSRF] = tok
	return tok, a.saveSession(c, s, r)
}

type headerWriter struct{ h http.Header }

func (w headerWriter) Header() http.Header         { return w.h }
func (w headerWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w headerWriter) WriteHeader(int)             {}

func (a *App) accessLog(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	if err != nil {
		if herr := c.App().ErrorHandler(c, err); herr != nil {
			_ = c.SendStatus(fiber.StatusInternalServerError)
		}
	}
	status := c.Response().StatusCode()
	// Copies: these strings outlive the request (labels, log records).
	method, route := utils.CopyString(c.Method()), utils.CopyString(c.Route().Path)
	a.metrics.Observe(method, route, status, time.Since(start))
	level := slog.LevelInfo
	switch {
	case status >= 500:
		level = slog.LevelError
	case a.cfg.Demo:
		// make run keeps its terminal for the sign-in table and what goes wrong.
		level = slog.LevelDebug
	}
	if !a.log.Enabled(c.UserContext(), level) {
		return nil // the record's arguments cost allocations on every request
	}
	a.log.Log(c.UserContext(), level, "request",
		"method", method, "path", loggedPath(c), "route", route, "status", status,
		"duration_ms", time.Since(start).Milliseconds(), "ip", c.IP(), "request_id", requestID(c))
	return nil
}

// secretParams are the route parameters that carry a credential: the
// Luarmor key the spec puts in its paths, a portal link's token. A logged
// path names them (":token") in place of their values, since logs are kept
// and read more widely than the database's hashes of them.
var secretParams = []string{"api_key", "token"}

// loggedPath is the request's path for the access log, its credentials left out.
func loggedPath(c *fiber.Ctx) string {
	path := c.Path()
	for _, p := range c.Route().Params {
		if v := c.Params(p); v != "" && slices.Contains(secretParams, p) {
			path = strings.Replace(path, v, ":"+p, 1)
		}
	}
	return utils.CopyString(path)
}

func securityHeaders(tls bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		h := &c.Response().Header
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if tls {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		return c.Next()
	}
}

// jsonString quotes s as JSON using only ASCII (\uXXXX escapes), because it
// travels in HTTP headers (HX-Trigger), which browsers read as Latin-1.
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	var out strings.Builder
	for _, r := range string(b) {
		switch {
		case r < 0x80:
			out.WriteRune(r)
		case r > 0xFFFF:
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&out, "\\u%04x\\u%04x", r1, r2)
		default:
			fmt.Fprintf(&out, "\\u%04x", r)
		}
	}
	return out.String()
}
