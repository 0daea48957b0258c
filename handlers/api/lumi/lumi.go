// Package lumi is Lumi's reseller REST API under /api/lumi, as
// specs/lumi-reseller-api.txt describes it: /v1 for domains, /hosting/v1 for
// VPS, /proxy/v1 for proxies, each with its own product's Bearer keys.
//
// Every request: API_ENABLED (503 api_disabled), Bearer key of the product
// (401 missing_bearer / invalid_key), the regular per-key rate limit (429),
// the route's scope (403 forbidden_scope). Money POSTs (deposits, buy, renew,
// bulk buy) then go through money(): API_MONEY_ENABLED (403 money_disabled),
// Idempotency-Key (400), X-Signature when the key has a signing secret (401
// invalid_signature), the idempotency claim (replay / 409 in_progress / 422
// other body, none of which spends a token), the money rate limit (one token
// per item; a bulk of more items than the bucket holds is let in on a full
// bucket and leaves the key in debt), the daily spend cap (402), the
// operation, and the stored response.
//
// writeErr is the one place errors are written: {"error": {"code", "message"}}.
package lumi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"lumdesk/handlers/api/apikit"
	"lumdesk/handlers/web"
	"lumdesk/internal/apikeys"
	"lumdesk/internal/audit"
	"lumdesk/internal/billing"
	"lumdesk/internal/billing/products"
	"lumdesk/internal/platform/apperr"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/money"
	"lumdesk/internal/staff"
)

// Prefix is where the API is mounted.
const Prefix = "/api/lumi"

// Error codes (the spec's table, plus insufficient_funds, internal_error and
// unsupported_media_type).
const (
	CodeMissingBearer     = "missing_bearer"
	CodeInvalidKey        = "invalid_key"
	CodeInvalidSignature  = "invalid_signature"
	CodeDailyCapExceeded  = "daily_cap_exceeded"
	CodeInsufficientFunds = "insufficient_funds"
	CodeForbiddenScope    = "forbidden_scope"
	CodeMoneyDisabled     = "money_disabled"
	CodeNotFound          = "not_found"
	CodeInProgress        = "in_progress"
	CodeBatchTooLarge     = "batch_too_large"   // too many bulk items
	CodePayloadTooLarge   = "payload_too_large" // the whole body is over the size limit
	CodeMethodNotAllowed  = "method_not_allowed"
	CodeHeadersTooLarge   = "headers_too_large"
	CodeValidation        = "validation_error"
	CodeRateLimited       = "rate_limited"
	CodeAPIDisabled       = "api_disabled"
	CodeIdemRequired      = "idempotency_key_required"
	CodeInternal          = "internal_error"
	CodeProvider          = "provider_error"
)

// Rate limits per key.
const (
	RegularLimit = 120 // requests per Window
	MoneyLimit   = 20  // money tokens per Window (a bulk item is one token)
	Window       = 60 * time.Second
	MaxBulk      = 500
	// SyncBulk: bulk purchases up to this many items answer at once; more
	// answer 202 with a batch id and run in the background.
	SyncBulk = 20
)

// Keys is what the API needs of the API keys service.
type Keys interface {
	apikit.Verifier
	ClaimIdempotency(ctx context.Context, keyID int64, idemKey string, reqHash []byte) (apikeys.IdemResult, error)
	ReserveSpend(ctx context.Context, k apikeys.Key, amount money.Cents) (apikeys.SpendReservation, bool, error)
	ReleaseSpend(ctx context.Context, r apikeys.SpendReservation) error
	CheckSignature(k apikeys.Key, body []byte, header string) error
	Get(ctx context.Context, id int64) (apikeys.Key, error)
}

// Flags are the deployment switches (read at each request, so tests and
// operators can flip them).
type Flags struct {
	APIEnabled   func() bool
	MoneyEnabled func() bool
}

// API is the Lumi API route group.
type API struct {
	billing *billing.Service
	keys    Keys
	shop    Shop
	batches Batches
	flags   Flags
	log     *slog.Logger
}

// New makes the API. flags nil funcs read the app's config at Routes time.
func New(b *billing.Service, keys Keys, shop Shop, batches Batches, flags Flags) *API {
	return &API{billing: b, keys: keys, shop: shop, batches: batches, flags: flags, log: slog.Default()}
}

// product is one of the three APIs.
type product struct {
	base    string // path prefix
	keyProd string // api key product
	kind    string // what it sells
	read    string // scopes
	write   string
	buy     string
	plural  string // path segment of the items
}

var apis = []product{
	{Prefix + "/v1", apikeys.LumiDomains, KindDomain, "domains:read", "domains:write", "domains:buy", "domains"},
	{Prefix + "/hosting/v1", apikeys.LumiHosting, KindVPS, "vps:read", "vps:write", "vps:buy", "vps"},
	{Prefix + "/proxy/v1", apikeys.LumiProxy, KindProxy, "proxy:read", "proxy:write", "proxy:buy", "proxies"},
}

// Routes are the API's routes: healthz and the OpenAPI files first, then per
// product the gate (a middleware route calling c.Next()), the endpoints and a
// catch-all 404.
func (api *API) Routes(a *web.App) []web.Route {
	api.log = a.Log()
	cfg := a.Config()
	if api.flags.APIEnabled == nil {
		api.flags.APIEnabled = func() bool { return cfg.APIEnabled }
	}
	if api.flags.MoneyEnabled == nil {
		api.flags.MoneyEnabled = func() bool { return cfg.APIMoneyEnabled }
	}
	r := func(method, path string, h fiber.Handler) web.Route {
		return web.Route{Method: method, Path: path, Perm: staff.PermPublic, Handler: h}
	}
	methods := []string{"GET", "POST", "PATCH", "PUT", "DELETE"}
	routes := []web.Route{
		// Each of the spec's three base URLs has its own probe; the hosting
		// and proxy hosts map to /api/lumi/hosting and /api/lumi/proxy.
		r("GET", Prefix+"/healthz", healthz),
		r("GET", Prefix+"/hosting/healthz", healthz),
		r("GET", Prefix+"/proxy/healthz", healthz),
		r("GET", Prefix+"/v1/openapi.json", serveOpenAPI(openAPIDomains)),
		r("GET", Prefix+"/hosting/v1/openapi.json", serveOpenAPI(openAPIHosting)),
		r("GET", Prefix+"/proxy/v1/openapi.json", serveOpenAPI(openAPIProxy)),
	}
	// Gates, most specific prefix first (/v1/* must not catch /hosting/v1).
	for _, p := range []product{apis[1], apis[2], apis[0]} {
		gate := api.gate(p)
		for _, m := range methods {
			routes = append(routes, r(m, p.base+"/*", gate))
		}
	}
	for _, p := range apis {
		items := p.base + "/" + p.plural
		routes = append(routes,
			r("GET", p.base+"/balance", api.scoped(p.read, api.balance)),
			r("POST", p.base+"/deposits", api.scoped("deposits:write", api.createDeposit)),
			r("GET", p.base+"/deposits", api.scoped(p.read, api.listDeposits)),
			r("GET", p.base+"/prices", api.scoped(p.read, api.prices(p))),
			r("GET", items, api.scoped(p.read, api.list(p))),
			r("POST", items, api.scoped(p.buy, api.buy(p))),
			r("GET", items+"/:id", api.scoped(p.read, api.get(p))),
			r("POST", items+"/:id/renew", api.scoped(p.buy, api.renew(p))),
		)
		switch p.kind {
		case KindDomain:
			routes = append(routes,
				r("POST", items+"/bulk", api.scoped(p.buy, api.bulkBuy(p))),
				r("GET", p.base+"/batches/:batch_id", api.scoped(p.read, api.batch)),
				r("PATCH", items+"/:id", api.scoped(p.write, api.update(p, "patch"))),
			)
		case KindVPS:
			routes = append(routes, r("POST", items+"/:id/power", api.scoped(p.write, api.update(p, "power"))))
		case KindProxy:
			routes = append(routes, r("PUT", items+"/:id/allow-ips", api.scoped(p.write, api.update(p, "allow_ips"))))
		}
	}
	for _, m := range methods {
		routes = append(routes, r(m, Prefix+"/*", notFound))
	}
	return routes
}

// APIPrefix and WriteAPIError make errors raised outside our handlers (body
// too large, panics) use our envelope.
func (api *API) APIPrefix() string { return Prefix + "/" }

// WriteAPIError writes msg in the Lumi envelope with a code from the status.
func (api *API) WriteAPIError(c *fiber.Ctx, status int, msg string) error {
	code := CodeInternal
	switch status {
	case fiber.StatusNotFound:
		code = CodeNotFound
	case fiber.StatusRequestEntityTooLarge:
		code = CodePayloadTooLarge
	case fiber.StatusRequestHeaderFieldsTooLarge:
		code = CodeHeadersTooLarge
	case fiber.StatusMethodNotAllowed:
		code = CodeMethodNotAllowed
	case fiber.StatusBadRequest, fiber.StatusUnprocessableEntity:
		// The spec answers invalid bodies and params with 422.
		status, code = fiber.StatusUnprocessableEntity, CodeValidation
	case fiber.StatusUnauthorized:
		code = CodeInvalidKey
	case fiber.StatusTooManyRequests:
		code = CodeRateLimited
	}
	if status >= 500 {
		msg = "Internal error; try again."
	}
	return writeErr(c, status, code, msg)
}

// errBody is the envelope's bytes.
func errBody(code, msg string) []byte {
	b, _ := json.Marshal(map[string]any{"error": map[string]string{"code": code, "message": msg}})
	return b
}

// writeErr is the API's one error writer.
func writeErr(c *fiber.Ctx, status int, code, msg string) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Status(status).Send(errBody(code, msg))
}

func healthz(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok", "service": "api"})
}

func notFound(c *fiber.Ctx) error {
	return writeErr(c, fiber.StatusNotFound, CodeNotFound, "Not found: "+c.Method()+" "+utils.CopyString(c.Path()))
}

// gate: API switch, then the product's Bearer key and regular rate limit.
func (api *API) gate(p product) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if strings.HasSuffix(c.Path(), "/openapi.json") {
			return c.Next()
		}
		if !api.flags.APIEnabled() {
			return writeErr(c, fiber.StatusServiceUnavailable, CodeAPIDisabled, "The API is disabled on this deployment.")
		}
		secret := apikit.KeyFromRequest(c, apikit.Bearer)
		if secret == "" {
			return writeErr(c, fiber.StatusUnauthorized, CodeMissingBearer, "No Authorization: Bearer header.")
		}
		ctx := c.UserContext()
		k, err := api.keys.Verify(ctx, p.keyProd, secret, utils.CopyString(c.IP()))
		if errors.Is(err, apikeys.ErrInvalidKey) {
			return writeErr(c, fiber.StatusUnauthorized, CodeInvalidKey, "API key is unknown, revoked or expired.")
		}
		if err != nil {
			return api.internal(c, err)
		}
		ok, retry, err := api.keys.Allow(ctx, k.ID, apikit.BucketMinute, regularLimit(k), Window, 1)
		if err != nil {
			return api.internal(c, err)
		}
		if !ok {
			return apikit.RateLimited(c, retry, writeErr)
		}
		c.Locals(localKey, k)
		return c.Next()
	}
}

const localKey = "lumi.key"

// regularLimit is 120/min, or the key's own limit when it was issued with a
// non-default one.
func regularLimit(k apikeys.Key) int {
	if k.RateLimitPerMinute > 0 && k.RateLimitPerMinute != apikeys.DefaultRateLimit {
		return k.RateLimitPerMinute
	}
	return RegularLimit
}

// moneyLimit is 20/min, or a sixth of a higher custom regular limit.
func moneyLimit(k apikeys.Key) int {
	return max(MoneyLimit, regularLimit(k)/6)
}

// actorOf is the audit actor of a request: the API key (by id and display
// prefix) with the client's IP, user agent and request id.
func actorOf(c *fiber.Ctx) audit.Actor {
	a := apikit.Actor(c)
	if k, ok := c.Locals(localKey).(apikeys.Key); ok {
		a.Kind, a.ID, a.Label = audit.KindAPIKey, strconv.FormatInt(k.ID, 10), k.Prefix
	}
	return a
}

func keyOf(c *fiber.Ctx) apikeys.Key {
	k, _ := c.Locals(localKey).(apikeys.Key)
	return k
}

// scoped refuses keys without scope.
func (api *API) scoped(scope string, h fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if !keyOf(c).HasScope(scope) {
			return writeErr(c, fiber.StatusForbidden, CodeForbiddenScope, fmt.Sprintf("Key lacks the required scope '%s'.", scope))
		}
		return h(c)
	}
}

func (api *API) internal(c *fiber.Ctx, err error) error {
	return apikit.Failed(c, writeErr, "lumi api request", err)
}

// apiError is a response decided by a service error.
type apiError struct {
	status     int
	code, msg  string
	unexpected error
}

// classify maps a domain error to status, code and message.
func classify(err error) apiError {
	var fe apperr.FieldErrors
	var nf interface{ NotFound() bool }
	var pe *products.ProvisionError
	switch {
	case errors.As(err, &fe):
		return apiError{fiber.StatusUnprocessableEntity, CodeValidation, fieldsMessage(fe), nil}
	case errors.As(err, &nf) && nf.NotFound():
		return apiError{fiber.StatusNotFound, CodeNotFound, "Object not found.", nil}
	case errors.Is(err, billing.ErrInsufficientFunds):
		return apiError{fiber.StatusPaymentRequired, CodeInsufficientFunds, "The balance does not cover this amount.", nil}
	case errors.Is(err, billing.ErrIdempotencyMismatch):
		return apiError{fiber.StatusUnprocessableEntity, CodeValidation, "This Idempotency-Key was already used with another request body.", nil}
	case errors.Is(err, errValidation):
		return apiError{fiber.StatusUnprocessableEntity, CodeValidation, err.Error(), nil}
	case errors.Is(err, products.ErrDomainTaken), errors.Is(err, products.ErrNotActive):
		return apiError{fiber.StatusUnprocessableEntity, CodeValidation, capitalize(err.Error()) + ".", nil}
	case errors.As(err, &pe):
		return apiError{fiber.StatusBadGateway, CodeProvider, capitalize(pe.Error()) + ".", nil}
	case errors.Is(err, billing.ErrProviderUnavailable):
		return apiError{fiber.StatusBadGateway, CodeProvider, "The payment provider could not open the invoice; retry with the same Idempotency-Key.", nil}
	case errors.Is(err, ErrUnavailable):
		return apiError{fiber.StatusServiceUnavailable, CodeAPIDisabled, "This product is not available on this deployment.", nil}
	}
	var conflict interface{ Conflict() bool }
	if errors.As(err, &conflict) && conflict.Conflict() {
		return apiError{fiber.StatusUnprocessableEntity, CodeValidation, capitalize(err.Error()) + ".", nil}
	}
	if db.Unavailable(err) {
		return apiError{fiber.StatusServiceUnavailable, apikit.CodeUnavailable, apikit.UnavailableMessage, nil}
	}
	return apiError{fiber.StatusInternalServerError, CodeInternal, "Internal error; try again.", err}
}

func (api *API) serviceErr(c *fiber.Ctx, err error) error {
	e := classify(err)
	if e.unexpected != nil || e.code == apikit.CodeUnavailable {
		return api.internal(c, err)
	}
	return writeErr(c, e.status, e.code, e.msg)
}

func fieldsMessage(fe apperr.FieldErrors) string {
	parts := make([]string, 0, len(fe))
	for _, f := range sortedKeys(fe) {
		parts = append(parts, f+": "+fe[f])
	}
	return strings.Join(parts, " ")
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// errValidation wraps a message the client must see as 422 validation_error.
var errValidation = errors.New("validation")

type validationErr struct{ msg string }

func (v validationErr) Error() string { return v.msg }
func (v validationErr) Is(t error) bool {
	return t == errValidation
}

func invalid(format string, a ...any) error { return validationErr{fmt.Sprintf(format, a...)} }

// pathID reads :id (a positive integer; anything else is not found).
func pathID(c *fiber.Ctx) (int64, bool) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	return id, err == nil && id > 0
}
