// Package lumira is Lumira's ranking API under /api/lumira (issue 12;
// specs/lumira-ranking-api.txt gives the key, the advice to batch and the
// statuses, the endpoints are ours).
//
// Every /v1 request: the key in Authorization: Bearer lumira_... (401
// unauthorized), the key's own per-minute limit held in Postgres (60 a
// minute unless the key was issued with another; 429 rate_limited with
// Retry-After), the route's scope (403 forbidden): ranking:read for reads,
// ranking:write for changes, notify:send for notify. The account scope is
// the key's (an operator key's is every account); another account's group
// is 404 group_not_found exactly as an unknown one.
//
// :groupId is the group's Lumira id (grp_...) or its Roblox group ID (a
// number), which game scripts already know; the Roblox id is looked up
// among the key's groups.
//
// Request fields are camelCase as the issue names them (roleId, userId,
// delta, reason); answers are snake_case as the service's objects
// (user_id, next_cursor).
//
// writeErr is the one place errors are written: {"error": "<code>",
// "message": "..."}; unknown paths, wrong methods, oversized bodies and
// panics reach it through WriteAPIError.
package lumira

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"lumdesk/handlers/api/apikit"
	"lumdesk/handlers/web"
	"lumdesk/internal/accounts"
	"lumdesk/internal/apikeys"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/apperr"
	"lumdesk/internal/ranking"
	"lumdesk/internal/staff"
)

// Prefix is where the API is mounted; V1 is its versioned base.
const (
	Prefix = "/api/lumira"
	V1     = Prefix + "/v1"
)

// Error codes besides the service's (ranking.ErrorCode).
const (
	CodeUnauthorized     = "unauthorized"
	CodeForbidden        = "forbidden"
	CodeNotFound         = "not_found"
	CodeMethodNotAllowed = "method_not_allowed"
	CodePayloadTooLarge  = "payload_too_large"
	CodeHeadersTooLarge  = "headers_too_large"
	CodeValidation       = "validation_error"
	CodeRateLimited      = "rate_limited"
	CodeInternal         = "internal_error"
)

// Scopes of Lumira keys (internal/product/registry.go).
const (
	scopeRead   = "ranking:read"
	scopeWrite  = "ranking:write"
	scopeNotify = "notify:send"
)

// Ranking is what the API needs of the ranking service.
type Ranking interface {
	GetGroup(ctx context.Context, scope accounts.Scope, groupID string) (ranking.Group, error)
	ListGroups(ctx context.Context, f ranking.GroupFilter) ([]ranking.Group, error)
	GetMember(ctx context.Context, scope accounts.Scope, groupID string, userID int64) (ranking.Member, error)
	LookupUsername(ctx context.Context, scope accounts.Scope, username string) (ranking.RobloxUser, error)
	SetRank(ctx context.Context, actor audit.Actor, scope accounts.Scope, groupID string, userID int64, in ranking.RankInput) (ranking.Change, error)
	Promote(ctx context.Context, actor audit.Actor, scope accounts.Scope, groupID string, userID int64, reason string) (ranking.Change, error)
	Demote(ctx context.Context, actor audit.Actor, scope accounts.Scope, groupID string, userID int64, reason string) (ranking.Change, error)
	AddPoints(ctx context.Context, actor audit.Actor, scope accounts.Scope, groupID string, userID, delta int64, reason string) (ranking.Change, error)
	Batch(ctx context.Context, actor audit.Actor, scope accounts.Scope, groupID string, items []ranking.BatchItem) (ranking.BatchResult, error)
	Notify(ctx context.Context, actor audit.Actor, scope accounts.Scope, groupID string, in ranking.NotifyInput) error
	Logs(ctx context.Context, scope accounts.Scope, groupID string, f ranking.LogFilter) (ranking.LogPage, error)
}

// API is the Lumira API route group.
type API struct {
	svc  Ranking
	keys apikit.Verifier
	auth fiber.Handler
	log  *slog.Logger
}

// New makes the API over the ranking service and the API keys service.
func New(svc Ranking, keys apikit.Verifier) *API {
	api := &API{svc: svc, keys: keys, log: slog.Default()}
	api.auth = apikit.Auth(keys, apikeys.Lumira, apikit.Bearer, writeErr)
	return api
}

func route(method, path string, h fiber.Handler) web.Route {
	return web.Route{Method: method, Path: path, Perm: staff.PermPublic, Handler: h}
}

// endpoint is one served /v1 route and the scope it takes.
type endpoint struct {
	method, path, scope string
	h                   func(*fiber.Ctx, apikeys.Key) error
}

// table is every /v1 endpoint (the OpenAPI test compares it with
// openapi.json, scopes included).
func (api *API) table() []endpoint {
	g := V1 + "/groups/:groupId"
	u := g + "/users/:userId"
	return []endpoint{
		{"GET", V1 + "/groups", scopeRead, api.listGroups},
		{"GET", g, scopeRead, api.getGroup},
		{"GET", g + "/roles", scopeRead, api.listRoles},
		{"GET", u, scopeRead, api.getMember},
		{"GET", V1 + "/users/by-username/:username", scopeRead, api.byUsername},
		{"POST", u + "/rank", scopeWrite, api.setRank},
		{"POST", u + "/promote", scopeWrite, api.promote},
		{"POST", u + "/demote", scopeWrite, api.demote},
		{"POST", u + "/points", scopeWrite, api.points},
		{"POST", g + "/ranks/batch", scopeWrite, api.batch},
		{"POST", g + "/notify", scopeNotify, api.notify},
		{"GET", g + "/logs", scopeRead, api.logs},
	}
}

// endpoints are the served /v1 routes.
func (api *API) endpoints() []web.Route {
	var out []web.Route
	for _, e := range api.table() {
		out = append(out, route(e.method, e.path, api.scoped(e.scope, e.h)))
	}
	return out
}

// Routes: the OpenAPI document, the authenticating gate (a middleware route
// calling c.Next()), the endpoints, and the catch-all 404/405.
func (api *API) Routes(a *web.App) []web.Route {
	api.log = a.Log()
	methods := []string{"GET", "POST", "PATCH", "PUT", "DELETE"}
	routes := []web.Route{route("GET", Prefix+"/openapi.json", serveOpenAPI)}
	for _, m := range methods {
		routes = append(routes, route(m, V1+"/*", api.auth))
	}
	endpoints := api.endpoints()
	routes = append(routes, endpoints...)
	unmatched := unmatchedHandler(endpoints)
	for _, m := range methods {
		routes = append(routes, route(m, Prefix+"/*", unmatched))
	}
	return routes
}

// scoped runs h for a verified key holding scope.
func (api *API) scoped(scope string, h func(*fiber.Ctx, apikeys.Key) error) fiber.Handler {
	return func(c *fiber.Ctx) error {
		k, ok := apikit.KeyOf(c)
		if !ok {
			return writeErr(c, fiber.StatusUnauthorized, CodeUnauthorized, "No Authorization: Bearer header.")
		}
		if !k.HasScope(scope) {
			return writeErr(c, fiber.StatusForbidden, CodeForbidden, fmt.Sprintf("This API key lacks the scope '%s'.", scope))
		}
		return h(c, k)
	}
}

// unmatchedHandler answers what no endpoint took: 405 with Allow when the
// path is an endpoint's under another method, else 404.
func unmatchedHandler(endpoints []web.Route) fiber.Handler {
	type pattern struct {
		re     *regexp.Regexp
		method string
	}
	var pats []pattern
	param := regexp.MustCompile(`:[A-Za-z_]+`)
	for _, e := range endpoints {
		re := "(?i)^" + param.ReplaceAllString(regexp.QuoteMeta(e.Path), `[^/]+`) + "/?$"
		pats = append(pats, pattern{regexp.MustCompile(re), e.Method})
	}
	return func(c *fiber.Ctx) error {
		var allow []string
		for _, p := range pats {
			if p.re.MatchString(c.Path()) && !slices.Contains(allow, p.method) {
				allow = append(allow, p.method)
			}
		}
		if len(allow) == 0 {
			return notFound(c)
		}
		c.Set(fiber.HeaderAllow, strings.Join(allow, ", "))
		return writeErr(c, fiber.StatusMethodNotAllowed, CodeMethodNotAllowed, c.Method()+" is not allowed here; use "+strings.Join(allow, " or ")+".")
	}
}

func notFound(c *fiber.Ctx) error {
	return writeErr(c, fiber.StatusNotFound, CodeNotFound, "Not found: "+c.Method()+" "+shown(utils.CopyString(c.Path())))
}

// APIPrefix and WriteAPIError make errors raised outside our handlers (body
// too large, unknown method, panics) use our envelope (web.APIErrorWriter).
func (api *API) APIPrefix() string { return Prefix + "/" }

// WriteAPIError writes msg in Lumira's envelope with a code from the status.
func (api *API) WriteAPIError(c *fiber.Ctx, status int, msg string) error {
	code := CodeInternal
	switch status {
	case fiber.StatusNotFound:
		code = CodeNotFound
	case fiber.StatusRequestEntityTooLarge:
		code, msg = CodePayloadTooLarge, fmt.Sprintf("The request body is larger than %d bytes.", web.BodyLimit)
	case fiber.StatusRequestHeaderFieldsTooLarge:
		code = CodeHeadersTooLarge
	case fiber.StatusMethodNotAllowed:
		code = CodeMethodNotAllowed
	case fiber.StatusBadRequest, fiber.StatusUnprocessableEntity:
		status, code = fiber.StatusBadRequest, CodeValidation
	case fiber.StatusUnauthorized:
		code = CodeUnauthorized
	case fiber.StatusForbidden:
		code = CodeForbidden
	case fiber.StatusTooManyRequests:
		code = CodeRateLimited
	}
	if status >= 500 {
		msg = "Internal error; try again."
	}
	return writeErr(c, status, code, msg)
}

// writeErr is the API's one error writer: {"error": code, "message": msg}.
// apikit's codes are mapped to ours.
func writeErr(c *fiber.Ctx, status int, code, msg string) error {
	switch code {
	case apikit.CodeMissingKey, apikit.CodeInvalidKey:
		code = CodeUnauthorized
	case apikit.CodeForbiddenScope, apikit.CodeForbiddenIP:
		code = CodeForbidden
	}
	return c.Status(status).JSON(fiber.Map{"error": code, "message": msg})
}

// statusOf is the HTTP status of a service error code (batch items carry
// it too).
func statusOf(code string) int {
	switch code {
	case CodeValidation:
		return fiber.StatusBadRequest
	case "group_not_found", "user_not_in_group", "user_not_found", "action_not_found":
		return fiber.StatusNotFound
	case "rank_not_assignable", "member_above_ceiling", "group_not_set_up":
		return fiber.StatusForbidden
	case "top_of_ladder", "bottom_of_ladder", "group_exists":
		return fiber.StatusConflict
	case "roblox_unavailable":
		return fiber.StatusBadGateway
	}
	return fiber.StatusInternalServerError
}

// serviceErr maps a ranking error to the envelope; anything unknown is
// logged and answered 500 without detail.
func (api *API) serviceErr(c *fiber.Ctx, err error) error {
	code := ranking.ErrorCode(err)
	var fe apperr.FieldErrors
	switch {
	case errors.As(err, &fe):
		return writeErr(c, fiber.StatusBadRequest, CodeValidation, fieldsMessage(fe))
	case code != CodeInternal:
		if re := (*ranking.Error)(nil); code == "roblox_unavailable" && errors.As(err, &re) && re.Unwrap() != nil {
			api.log.Warn("lumira api: roblox unreachable", "err", re.Unwrap(), "path", c.Path())
		}
		return writeErr(c, statusOf(code), code, message(err))
	case errors.Is(err, context.Canceled):
		return writeErr(c, fiber.StatusServiceUnavailable, CodeInternal, "Request cancelled.")
	}
	return apikit.Failed(c, writeErr, "lumira api request", err)
}

// message is a service error's own text, without the context wrapped
// around it, ending with a full stop.
func message(err error) string {
	var e *ranking.Error
	s := err.Error()
	if errors.As(err, &e) {
		s = e.Error()
	}
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// apiFields are the service's field names as requests spell them.
var apiFields = map[string]string{"user_id": "userId", "role_id": "roleId"}

// fieldsMessage reads "field: problem" for each field, in name order.
func fieldsMessage(fe apperr.FieldErrors) string {
	keys := make([]string, 0, len(fe))
	for k := range fe {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		name := k
		if n, ok := apiFields[k]; ok {
			name = n
		}
		parts[i] = name + ": " + fe[k]
	}
	return strings.Join(parts, " ")
}

// shown is a value from the path as a message may quote it.
func shown(s string) string {
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return s
}
