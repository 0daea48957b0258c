// Package luarmor is the Luarmor v3 API under /api/luarmor, as
// specs/luarmor-licensing-api.txt describes it, plus the loader check. It
// parses input, calls one licensing.Service method and writes Luarmor's
// envelope: {"success": bool, "message": "...", ...data}. writeErr is the one
// place errors are written.
//
// Authentication: the API key travels raw in the Authorization header (for
// /v3/keys/:api_key/... it is the path's key). The key is checked by apikit in
// a wildcard middleware route registered before the keyed routes (Fiber runs
// matching routes in order; the middleware calls c.Next()). The unban link and
// the loader check take no key and are registered before that middleware.
package luarmor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"lumdesk/handlers/api/apikit"
	"lumdesk/handlers/web"
	"lumdesk/internal/accounts"
	"lumdesk/internal/apikeys"
	"lumdesk/internal/audit"
	"lumdesk/internal/licensing"
	"lumdesk/internal/staff"
)

// Prefix is where the API is mounted.
const Prefix = "/api/luarmor"

// Scopes of Luarmor API keys.
const (
	scopeRead    = "keys:read"
	scopeWrite   = "keys:write"
	scopeScripts = "scripts:write"
)

// Licensing is what the API needs of the licensing service: In gives the
// service limited to the key's accounts (foreign projects are not found
// there); the unban link and the loader check take no key.
type Licensing interface {
	In(scope accounts.Scope) licensing.Scoped
	UnbanByToken(ctx context.Context, actor audit.Actor, projectID, token string) (licensing.Key, error)
	Check(ctx context.Context, in licensing.CheckInput) (licensing.CheckResult, error)
}

// API is the Luarmor API route group.
type API struct {
	svc  Licensing
	keys apikit.Verifier
	log  *slog.Logger
	auth fiber.Handler
}

// New makes the API over the licensing service and the API keys service.
func New(svc Licensing, keys apikit.Verifier) *API {
	api := &API{svc: svc, keys: keys, log: slog.Default()}
	api.auth = apikit.Auth(keys, apikeys.Luarmor, apikit.Raw, writeErr, allowedIP)
	return api
}

// allowedIP refuses a key whose IP allow list does not hold the client's
// address: fiber's c.IP(), which is X-Forwarded-For only with TRUST_PROXY.
// Through a chain of proxies the header is a list; the last entry is the
// one our trusted proxy appended (earlier ones are whatever the client
// sent), so that one is checked.
func allowedIP(c *fiber.Ctx, k apikeys.Key) *apikit.Refusal {
	ip := utils.CopyString(c.IP())
	if i := strings.LastIndexByte(ip, ','); i >= 0 {
		ip = ip[i+1:]
	}
	ip = strings.TrimSpace(ip)
	if k.AllowsIP(ip) {
		return nil
	}
	shown := "an unknown address"
	if ip != "" {
		shown = truncateIP(ip)
	}
	return &apikit.Refusal{Status: fiber.StatusForbidden, Code: apikit.CodeForbiddenIP, Message: fmt.Sprintf(
		"This API key does not accept requests from %s: the address is not on the key's IP allow list. "+
			"Add it in the customer portal (API keys, then the key's IP allow list) or call from an allowed address.", shown)}
}

func truncateIP(s string) string {
	if len(s) > 64 {
		return s[:64]
	}
	return s
}

// Routes are the API's routes. Order matters: the key-less routes come
// before the authenticating middleware routes, the catch-all last.
func (api *API) Routes(a *web.App) []web.Route {
	api.log = a.Log()
	// Every route is public to the staff router: the API authenticates by key.
	r := func(method, path string, h fiber.Handler) web.Route {
		return web.Route{Method: method, Path: path, Perm: staff.PermPublic, Handler: h}
	}
	methods := []string{"GET", "POST", "PATCH", "PUT", "DELETE"}
	p := Prefix + "/v3/projects/:project_id"
	routes := []web.Route{
		r("GET", Prefix+"/status", api.status),
		r("GET", Prefix+"/openapi.json", serveOpenAPI),
		r("GET", p+"/users/unban", api.unban),
		r("POST", p+"/scripts/:script_id/check", api.check),
		// Authenticating middleware (calls c.Next() into the routes below).
		r("GET", Prefix+"/v3/keys/:api_key/*", api.pathKeyAuth),
	}
	for _, m := range methods {
		routes = append(routes, r(m, Prefix+"/v3/projects/*", api.headerKeyAuth))
	}
	routes = append(routes,
		r("GET", Prefix+"/v3/keys/:api_key/details", api.details),
		r("GET", Prefix+"/v3/keys/:api_key/stats", api.stats),
		r("POST", p+"/users", api.createUser),
		r("PATCH", p+"/users", api.updateUser),
		r("DELETE", p+"/users", api.deleteUser),
		r("GET", p+"/users", api.listUsers),
		r("POST", p+"/users/resethwid", api.resetHWID),
		r("POST", p+"/users/linkdiscord", api.linkDiscord),
		r("POST", p+"/users/blacklist", api.blacklist),
		r("PUT", p+"/scripts/:script_id", api.updateScript),
	)
	for _, m := range methods {
		routes = append(routes, r(m, Prefix+"/*", notFound))
	}
	return routes
}

// APIPrefix and WriteAPIError let the app's error handler answer errors
// raised outside our handlers (oversized body, unknown path) in our envelope.
func (api *API) APIPrefix() string { return "/api/luarmor/" }

// WriteAPIError writes msg in Luarmor's envelope.
func (api *API) WriteAPIError(c *fiber.Ctx, status int, msg string) error {
	return fail(c, status, msg)
}

// writeErr is the API's one error writer: Luarmor's envelope.
func writeErr(c *fiber.Ctx, status int, _ string, msg string) error {
	return c.Status(status).JSON(fiber.Map{"success": false, "message": msg})
}

func fail(c *fiber.Ctx, status int, msg string) error { return writeErr(c, status, "", msg) }

func success(c *fiber.Ctx, msg string, data fiber.Map) error {
	out := fiber.Map{"success": true, "message": msg}
	for k, v := range data {
		out[k] = v
	}
	return c.JSON(out)
}

func notFound(c *fiber.Ctx) error {
	return fail(c, fiber.StatusNotFound, "Not found: "+c.Method()+" "+withoutKey(utils.CopyString(c.Path())))
}

// withoutKey hides the API key that the spec's /v3/keys/:api_key/... paths
// carry: a 404's message lands in the client's logs, and the key is a secret.
func withoutKey(path string) string {
	const keys = "/api/luarmor/v3/keys/"
	rest, ok := strings.CutPrefix(path, keys)
	if !ok || rest == "" {
		return path
	}
	key, tail, _ := strings.Cut(rest, "/")
	if len(key) > 4 {
		key = key[:4] + "…"
	}
	if tail != "" {
		tail = "/" + tail
	}
	return keys + key + tail
}

// serviceErr maps a domain error to the envelope. Anything unknown is logged
// and answered 500 without detail.
func (api *API) serviceErr(c *fiber.Ctx, err error) error {
	var verr licensing.ValidationError
	var cd *licensing.ResetCooldownError
	var nf interface{ NotFound() bool }
	switch {
	case errors.As(err, &verr):
		return fail(c, fiber.StatusBadRequest, validationMessage(verr))
	case errors.As(err, &cd):
		secs := apikit.RetryAfterSeconds(time.Until(cd.Ends))
		return c.Status(fiber.StatusConflict).JSON(fiber.Map{"success": false, "cooldown_ends": cd.Ends.Unix(),
			"message": fmt.Sprintf("HWID reset is on cooldown for %s more (until %s); use force to ignore it.",
				(time.Duration(secs) * time.Second).String(), cd.Ends.Format(time.RFC3339))})
	case errors.Is(err, licensing.ErrUserLimit), errors.Is(err, licensing.ErrObfuscationQuota):
		// A plan limit: the request is understood but the plan forbids it
		// until keys are deleted, the month turns or the plan is raised.
		return fail(c, fiber.StatusForbidden, capitalize(err.Error())+".")
	case errors.As(err, &nf) && nf.NotFound():
		return fail(c, fiber.StatusNotFound, capitalize(err.Error())+".")
	case licensing.StateRefusal(err):
		return fail(c, fiber.StatusConflict, capitalize(err.Error())+".")
	case errors.Is(err, context.Canceled):
		return fail(c, fiber.StatusServiceUnavailable, "Request cancelled.")
	}
	return apikit.Failed(c, func(c *fiber.Ctx, status int, _, msg string) error { return fail(c, status, msg) }, "luarmor api request", err)
}

// validationMessage reads "field problem; field problem." (the service's
// messages are predicates: "must be ...", "is required").
func validationMessage(v licensing.ValidationError) string {
	fields := make([]string, 0, len(v))
	for f := range v {
		fields = append(fields, f)
	}
	slices.Sort(fields)
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = f + " " + v[f]
	}
	return strings.Join(parts, "; ") + "."
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// pathKeyAuth authenticates /v3/keys/:api_key/...: the path names the key.
func (api *API) pathKeyAuth(c *fiber.Ctx) error {
	c.Request().Header.Set(fiber.HeaderAuthorization, utils.CopyString(c.Params("api_key")))
	return api.auth(c)
}

// headerKeyAuth authenticates /v3/projects/... by the Authorization header.
func (api *API) headerKeyAuth(c *fiber.Ctx) error {
	return api.auth(c)
}

// jsonBody refuses bodies that are not declared as JSON.
func jsonBody(c *fiber.Ctx) bool {
	ct := strings.ToLower(strings.TrimSpace(c.Get(fiber.HeaderContentType)))
	return ct == "application/json" || strings.HasPrefix(ct, "application/json;")
}

const msgContentType = "Content-Type header must be set to application/json."

// access is the request's key, with scope checked, the licensing service
// within the key's accounts, and the project the path names (found within
// them: a foreign project is "not found", as an unknown one).
func (api *API) access(c *fiber.Ctx, scope string) (licensing.Scoped, licensing.Project, bool, error) {
	k, found := apikit.KeyOf(c)
	if !found {
		return licensing.Scoped{}, licensing.Project{}, false, fail(c, fiber.StatusUnauthorized, "No API key: send it in the Authorization header.")
	}
	if !k.HasScope(scope) {
		return licensing.Scoped{}, licensing.Project{}, false, fail(c, fiber.StatusForbidden, fmt.Sprintf("This API key lacks the scope %q.", scope))
	}
	svc := api.svc.In(k.Scope())
	if c.Params("project_id") == "" {
		return svc, licensing.Project{}, true, nil
	}
	svc, p, err := svc.Project(c.UserContext(), utils.CopyString(c.Params("project_id")))
	if err != nil {
		return svc, p, false, api.serviceErr(c, err)
	}
	return svc, p, true, nil
}

func (api *API) status(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"success": true, "message": "API is up and running.", "version": "v3", "active": true})
}
