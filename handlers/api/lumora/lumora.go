// Package lumora is Lumora's transactional email API under /api/lumora, as
// specs/lumora-email-api.txt describes it (https://<lumora host>/v1/... is
// /api/lumora/v1/... here).
//
// Every /v1 request: the key in x-api-key or Authorization: Bearer (401
// missing_api_key / invalid_api_key), the key's own per-minute limit held in
// Postgres (429 rate_limited with Retry-After), the key's app (403 forbidden
// for a key bound to none), the route's scope (403 forbidden_scope). The
// account scope is the key's; the service checks it.
//
// Besides the spec's send, emails, logs and stats: suppressions, templates
// (templates:manage; the account's, by slug) and webhook endpoints (the
// key's app's; scopes below).
//
// writeErr is the one place errors are written: {"error": "<code>", "message": "..."}.
package lumora

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"lumdesk/handlers/api/apikit"
	"lumdesk/handlers/web"
	"lumdesk/internal/accounts"
	"lumdesk/internal/apikeys"
	"lumdesk/internal/mail"
	"lumdesk/internal/mail/templates"
	"lumdesk/internal/platform/apperr"
	"lumdesk/internal/staff"
)

// Prefix is where the API is mounted.
const Prefix = "/api/lumora"

// Error codes.
const (
	CodeMissingKey        = "missing_api_key"
	CodeInvalidKey        = "invalid_api_key"
	CodeRateLimited       = "rate_limited"
	CodeForbidden         = "forbidden"
	CodeForbiddenScope    = "forbidden_scope"
	CodeNotFound          = "not_found"
	CodeMethodNotAllowed  = "method_not_allowed"
	CodePayloadTooLarge   = "payload_too_large"
	CodeHeadersTooLarge   = "headers_too_large"
	CodeInvalidJSON       = "invalid_json"
	CodeUnsupportedMedia  = "unsupported_media_type"
	CodeValidation        = "validation_error"
	CodeSenderNotVerified = "sender_domain_not_verified"
	CodeAllSuppressed     = "all_recipients_suppressed"
	CodeIdempotencyReused = "idempotency_key_reused"
	CodeHardBounce        = "hard_bounce_suppression"
	CodeInternal          = "internal_error"

	CodeTemplateNotFound   = "template_not_found"
	CodeTemplateVarMissing = "template_variable_missing"
	CodeTemplateRender     = "template_render_failed"
	CodeTemplateSlugTaken  = "template_slug_taken"
)

// Scopes of Lumora keys.
//
// The spec names no webhook scope: reading endpoints takes email:read;
// creating and deleting one takes email:read and email:send, as an endpoint
// receives what email:read reads (every recipient's outcome) and changes the
// app's sending setup as email:send's suppression delete does.
const (
	scopeSend      = "email:send"
	scopeRead      = "email:read"
	scopeTemplates = "templates:manage"
)

// Mail is what the API needs of the mail service.
type Mail interface {
	Send(ctx context.Context, scope accounts.Scope, appID int64, in mail.SendInput) (mail.SendResult, error)
	GetAppMessage(ctx context.Context, scope accounts.Scope, appID int64, publicID string) (mail.MessageDetail, error)
	ListEvents(ctx context.Context, scope accounts.Scope, appID int64, f mail.LogFilter) (mail.Page[mail.Event], error)
	Stats(ctx context.Context, scope accounts.Scope, appID int64, since, until *time.Time) (mail.Stats, error)
	SuppressionPage(ctx context.Context, scope accounts.Scope, f mail.SuppressionFilter) (mail.Page[mail.Suppression], error)
	DeleteSuppression(ctx context.Context, scope accounts.Scope, accountID int64, email string) error
}

// API is the Lumora API route group.
type API struct {
	mail      Mail
	templates Templates // nil: the /v1/templates routes are not served
	webhooks  Webhooks  // nil: the /v1/webhooks routes are not served
	keys      apikit.Verifier
	auth      fiber.Handler
	log       *slog.Logger
}

// New makes the API over the mail service and the API keys service.
func New(m Mail, keys apikit.Verifier) *API {
	api := &API{mail: m, keys: keys, log: slog.Default()}
	api.auth = apikit.Auth(keys, apikeys.Lumora, apikit.APIKeyOrBearer, writeErr)
	return api
}

// Routes: the OpenAPI document, the authenticating gate (a middleware route
// calling c.Next()), the endpoints, and a catch-all 404.
func (api *API) Routes(a *web.App) []web.Route {
	api.log = a.Log()
	r := func(method, path string, h fiber.Handler) web.Route {
		return web.Route{Method: method, Path: path, Perm: staff.PermPublic, Handler: h}
	}
	methods := []string{"GET", "POST", "PATCH", "PUT", "DELETE"}
	v1 := Prefix + "/v1"
	routes := []web.Route{r("GET", Prefix+"/openapi.json", serveOpenAPI)}
	for _, m := range methods {
		routes = append(routes, r(m, v1+"/*", api.gate))
	}
	endpoints := []web.Route{
		r("POST", v1+"/email/send", api.scoped(scopeSend, api.send)),
		r("GET", v1+"/emails/logs", api.scoped(scopeRead, api.logs)),
		r("GET", v1+"/emails/stats", api.scoped(scopeRead, api.stats)),
		r("GET", v1+"/emails/:id", api.scoped(scopeRead, api.email)),
		r("GET", v1+"/suppressions", api.scoped(scopeRead, api.suppressions)),
		r("DELETE", v1+"/suppressions/:email", api.scoped(scopeSend, api.deleteSuppression)),
	}
	if api.templates != nil {
		endpoints = append(endpoints,
			r("POST", v1+"/templates", api.scoped(scopeTemplates, api.createTemplate)),
			r("GET", v1+"/templates", api.scoped(scopeTemplates, api.listTemplates)),
			r("GET", v1+"/templates/:slug", api.scoped(scopeTemplates, api.getTemplate)),
			r("PATCH", v1+"/templates/:slug", api.scoped(scopeTemplates, api.updateTemplate)),
			r("DELETE", v1+"/templates/:slug", api.scoped(scopeTemplates, api.deleteTemplate)),
		)
	}
	if api.webhooks != nil {
		endpoints = append(endpoints,
			r("POST", v1+"/webhooks", api.scopedAll(api.createWebhook, scopeRead, scopeSend)),
			r("GET", v1+"/webhooks", api.scoped(scopeRead, api.listWebhooks)),
			r("DELETE", v1+"/webhooks/:id", api.scopedAll(api.deleteWebhook, scopeRead, scopeSend)),
		)
	}
	routes = append(routes, endpoints...)
	unmatched := unmatchedHandler(endpoints)
	for _, m := range methods {
		routes = append(routes, r(m, Prefix+"/*", unmatched))
	}
	return routes
}

// unmatchedHandler answers what no endpoint took: 405 with Allow when the
// path is an endpoint's under another method, else 404.
func unmatchedHandler(endpoints []web.Route) fiber.Handler {
	type pattern struct {
		re     *regexp.Regexp
		method string
	}
	var pats []pattern
	param := regexp.MustCompile(`:[a-z_]+`)
	for _, e := range endpoints {
		re := "^" + param.ReplaceAllString(regexp.QuoteMeta(e.Path), `[^/]+`) + "/?$"
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

// APIPrefix and WriteAPIError make errors raised outside our handlers (body
// too large, unknown method, panics) use our envelope.
func (api *API) APIPrefix() string { return Prefix + "/" }

// WriteAPIError writes msg in Lumora's envelope with a code from the status.
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
		code = CodeValidation
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

// WriteErr writes Lumora's error envelope {"error": code, "message": msg}:
// the portal's Lumora JSON endpoints (handlers/portal/mail) answer in it too.
func WriteErr(c *fiber.Ctx, status int, code, msg string) error {
	return writeErr(c, status, code, msg)
}

// writeErr is the API's one error writer. apikit's codes are mapped to ours.
func writeErr(c *fiber.Ctx, status int, code, msg string) error {
	switch code {
	case apikit.CodeMissingKey:
		code = CodeMissingKey
	case apikit.CodeInvalidKey:
		code = CodeInvalidKey
	}
	return c.Status(status).JSON(fiber.Map{"error": code, "message": msg})
}

func notFound(c *fiber.Ctx) error {
	return writeErr(c, fiber.StatusNotFound, CodeNotFound, "Not found: "+c.Method()+" "+utils.CopyString(c.Path()))
}

// gate authenticates the key (apikit: header, verification, the key's
// per-minute limit); scoped then checks its app and scope.
func (api *API) gate(c *fiber.Ctx) error {
	return api.auth(c)
}

// scoped runs h for keys with scope that belong to an app.
func (api *API) scoped(scope string, h func(*fiber.Ctx, apikeys.Key, int64) error) fiber.Handler {
	return func(c *fiber.Ctx) error {
		k, ok := apikit.KeyOf(c)
		if !ok {
			return writeErr(c, fiber.StatusUnauthorized, CodeMissingKey, "No API key: send it in the x-api-key header.")
		}
		if k.MailAppID == nil {
			return writeErr(c, fiber.StatusForbidden, CodeForbidden, "This key belongs to no app; create a key for an app in the dashboard.")
		}
		if !k.HasScope(scope) {
			return writeErr(c, fiber.StatusForbidden, CodeForbiddenScope, fmt.Sprintf("Key lacks the required scope '%s'.", scope))
		}
		return h(c, k, *k.MailAppID)
	}
}

// serviceErr maps a mail error to the envelope; anything unknown is logged
// and answered 500 without detail.
func (api *API) serviceErr(c *fiber.Ctx, err error) error {
	var fe apperr.FieldErrors
	var se *mail.SenderDomainError
	var nf interface{ NotFound() bool }
	var mv *templates.MissingVariableError
	var tnf *mail.TemplateNotFoundError
	var re *templates.RenderError
	switch {
	case errors.As(err, &fe):
		return writeErr(c, fiber.StatusUnprocessableEntity, CodeValidation, fieldsMessage(fe))
	case errors.As(err, &se):
		return writeErr(c, fiber.StatusUnprocessableEntity, CodeSenderNotVerified,
			"Sender domain is not verified or does not belong to this tenant: "+se.Error()+".")
	case errors.Is(err, mail.ErrSenderDomainNotVerified):
		return writeErr(c, fiber.StatusUnprocessableEntity, CodeSenderNotVerified, "Sender domain is not verified or does not belong to this tenant.")
	case errors.Is(err, mail.ErrAllSuppressed):
		return writeErr(c, fiber.StatusUnprocessableEntity, CodeAllSuppressed, "Every recipient is on this account's suppression list; nothing was sent.")
	case errors.Is(err, mail.ErrIdempotencyKeyReused):
		return writeErr(c, fiber.StatusConflict, CodeIdempotencyReused, "This Idempotency-Key was already used with another request body in the last 24 hours.")
	case errors.As(err, &mv):
		return writeErr(c, fiber.StatusUnprocessableEntity, CodeTemplateVarMissing,
			fmt.Sprintf("The template uses the variable %q (in its %s); add it to variables.", mv.Name, mv.Part))
	case errors.As(err, &tnf):
		return writeErr(c, fiber.StatusUnprocessableEntity, CodeTemplateNotFound,
			fmt.Sprintf("This account has no template %q; create it with POST /v1/templates.", tnf.Ref))
	case errors.As(err, &re):
		return writeErr(c, fiber.StatusUnprocessableEntity, CodeTemplateRender, "The template cannot be rendered with these variables: "+re.Error()+".")
	case errors.Is(err, mail.ErrHardBounceSuppression):
		return writeErr(c, fiber.StatusConflict, CodeHardBounce, "This address hard-bounced; support lifts such a suppression from the dashboard, with a reason.")
	case errors.As(err, &nf) && nf.NotFound():
		return writeErr(c, fiber.StatusNotFound, CodeNotFound, innermost(err)+".")
	case errors.Is(err, context.Canceled):
		return writeErr(c, fiber.StatusServiceUnavailable, CodeInternal, "Request cancelled.")
	}
	return apikit.Failed(c, writeErr, "lumora api request", err)
}

// fieldsMessage reads "field: problem" for each field, in name order.
func fieldsMessage(fe apperr.FieldErrors) string {
	keys := make([]string, 0, len(fe))
	for k := range fe {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		msg := fe[k]
		if !strings.HasPrefix(msg, k) {
			msg = k + ": " + msg
		}
		parts[i] = msg
	}
	return strings.Join(parts, " ")
}

// innermost is the not-found error's own text (without the context that
// wrapped it), first letter upper-cased: "Message not found".
func innermost(err error) string {
	s := err.Error()
	for e := errors.Unwrap(err); e != nil; e = errors.Unwrap(e) {
		s = e.Error()
	}
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
