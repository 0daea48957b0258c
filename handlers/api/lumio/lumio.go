// Package lumio is Lumio's developer REST API under /api/lumio, as
// specs/lumio-extensions-api.txt describes it
// (https://api.lumio.vision/developer/v1/... is /api/lumio/developer/v1/...
// here), plus the store backend's install events at /api/lumio/v1/installs/events.
//
// Every request but the OpenAPI document: the key in Authorization: Bearer
// (401 unauthorized), the limit of the endpoint's group held per key in
// Postgres (429 rate_limited with Retry-After; Lumio keys spend no general
// per-minute limit), the route's scope (403 forbidden). The account scope
// is the key's (an operator key's is every account); the marketplace service
// checks it, and another account's extension is 404 extension_not_found
// exactly as an unknown or malformed id.
//
// Errors are {"error": {"code", "message", "status"}} everywhere under
// /api/lumio, written by writeErr (unknown paths, wrong methods, oversized
// bodies and panics reach it through WriteAPIError).
//
// Version uploads stream: StreamedBody claims POST .../versions, the body is
// read part by part (version and changelog, then bundle) and the bundle
// flows through the validator into the blob store as it arrives.
package lumio

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
	"lumdesk/internal/audit"
	"lumdesk/internal/marketplace"
	"lumdesk/internal/marketplace/bundle"
	"lumdesk/internal/platform/apperr"
	"lumdesk/internal/staff"
)

// Prefix is where the API is mounted; Dev is the spec's base URL under it.
const (
	Prefix = "/api/lumio"
	Dev    = Prefix + "/developer/v1"
)

// Error codes.
const (
	CodeUnauthorized       = "unauthorized"
	CodeForbidden          = "forbidden"
	CodeNotFound           = "not_found"
	CodeMethodNotAllowed   = "method_not_allowed"
	CodePayloadTooLarge    = "payload_too_large"
	CodeHeadersTooLarge    = "headers_too_large"
	CodeInvalidJSON        = "invalid_json"
	CodeUnsupportedMedia   = "unsupported_media_type"
	CodeValidation         = "validation_error"
	CodeRateLimited        = "rate_limited"
	CodeRequestTimeout     = "request_timeout"
	CodeInternal           = "internal_error"
	CodeExtensionNotFound  = "extension_not_found"
	CodeVersionNotFound    = "version_not_found"
	CodeSecretNotFound     = "secret_not_found"
	CodeVersionExists      = "version_exists"
	CodeExtensionWasPublic = "extension_was_public"
)

// Scopes of Lumio keys (internal/product/registry.go).
const (
	scopeRead     = "extensions:read"
	scopeWrite    = "extensions:write"
	scopeSecrets  = "secrets:write"
	scopeInstalls = "installs:write"
)

// Rate-limit groups, per key, in place of the key's per-minute limit. The
// spec's table gives GET, POST /extensions, POST .../versions and DELETE;
// PATCH and PUT (writes) take 60 a minute; install events the key's own
// per-minute limit (operator keys are issued with the limit the store needs).
// A key issued with a per-minute limit above a per-minute group's (staff
// raise it for tooling, as for Lumi) has that limit in the group instead;
// the hourly groups stay as the spec says.
var (
	limitRead   = apikit.Limit{Bucket: "lumio_read", Requests: 120, Window: time.Minute}
	limitCreate = apikit.Limit{Bucket: "lumio_create", Requests: 10, Window: time.Hour}
	limitSubmit = apikit.Limit{Bucket: "lumio_submit", Requests: 30, Window: time.Hour}
	limitDelete = apikit.Limit{Bucket: "lumio_delete", Requests: 30, Window: time.Minute}
	limitWrite  = apikit.Limit{Bucket: "lumio_write", Requests: 60, Window: time.Minute}
)

// Limits are the groups' limits, for tests and documentation.
func Limits() map[string]apikit.Limit {
	return map[string]apikit.Limit{"read": limitRead, "create": limitCreate, "submit": limitSubmit, "delete": limitDelete, "write": limitWrite}
}

// Marketplace is what the API needs of the marketplace service.
type Marketplace interface {
	CreateExtension(ctx context.Context, actor audit.Actor, scope accounts.Scope, in marketplace.ExtensionInput) (marketplace.Extension, error)
	GetExtension(ctx context.Context, scope accounts.Scope, id string) (marketplace.Extension, error)
	ListExtensions(ctx context.Context, f marketplace.ListFilter) (marketplace.ExtensionPage, error)
	UpdateExtension(ctx context.Context, actor audit.Actor, scope accounts.Scope, id string, in marketplace.ExtensionPatch) (marketplace.Extension, error)
	DeleteExtension(ctx context.Context, actor audit.Actor, scope accounts.Scope, id string) error
	SubmitVersion(ctx context.Context, actor audit.Actor, scope accounts.Scope, extID string, in marketplace.VersionInput) (marketplace.VersionInfo, error)
	ListVersions(ctx context.Context, scope accounts.Scope, extID string) ([]marketplace.VersionInfo, error)
	GetVersion(ctx context.Context, scope accounts.Scope, id string) (marketplace.VersionInfo, error)
	SetSecret(ctx context.Context, actor audit.Actor, scope accounts.Scope, extID, name, value string) error
	DeleteSecret(ctx context.Context, actor audit.Actor, scope accounts.Scope, extID, name string) error
	ListSecretNames(ctx context.Context, scope accounts.Scope, extID string) ([]marketplace.SecretName, error)
	RecordInstallEvents(ctx context.Context, actor audit.Actor, scope accounts.Scope, events []marketplace.InstallEvent) (marketplace.IngestResult, error)
	InstallStats(ctx context.Context, scope accounts.Scope, extID string) (marketplace.InstallStats, error)
}

// API is the Lumio API route group.
type API struct {
	svc        Marketplace
	keys       apikit.Verifier
	auth       fiber.Handler
	maxUpload  int64 // the bundle's compressed limit (LUMIO_MAX_BUNDLE)
	log        *slog.Logger
	uploadPath *regexp.Regexp
}

// New makes the API over the marketplace service and the API keys service.
func New(svc Marketplace, keys apikit.Verifier) *API {
	api := &API{svc: svc, keys: keys, log: slog.Default(), maxUpload: bundle.DefaultMaxCompressed,
		uploadPath: regexp.MustCompile(`(?i)^` + regexp.QuoteMeta(Dev) + `/extensions/[^/]+/versions/?$`)}
	api.auth = apikit.AuthOnly(keys, apikeys.Lumio, apikit.Bearer, writeErr)
	return api
}

// Routes: the OpenAPI document, the authenticating gates (middleware routes
// calling c.Next()), the endpoints, and the catch-all 404/405.
func (api *API) Routes(a *web.App) []web.Route {
	api.log = a.Log()
	if m := a.Config().LumioLimits.MaxCompressed; m > 0 {
		api.maxUpload = m
	}
	r := func(method, path string, h fiber.Handler) web.Route {
		return web.Route{Method: method, Path: path, Perm: staff.PermPublic, Handler: h}
	}
	methods := []string{"GET", "POST", "PATCH", "PUT", "DELETE"}
	routes := []web.Route{r("GET", Prefix+"/openapi.json", serveOpenAPI)}
	for _, m := range methods {
		routes = append(routes, r(m, Dev+"/*", api.auth), r(m, Prefix+"/v1/*", api.auth))
	}
	ext := Dev + "/extensions/:id"
	endpoints := []web.Route{
		r("GET", Dev+"/extensions", api.ep(limitRead, scopeRead, api.listExtensions)),
		r("POST", Dev+"/extensions", api.ep(limitCreate, scopeWrite, api.createExtension)),
		r("GET", ext, api.ep(limitRead, scopeRead, api.getExtension)),
		r("PATCH", ext, api.ep(limitWrite, scopeWrite, api.updateExtension)),
		r("DELETE", ext, api.ep(limitDelete, scopeWrite, api.deleteExtension)),
		r("GET", ext+"/versions", api.ep(limitRead, scopeRead, api.listVersions)),
		r("POST", ext+"/versions", api.ep(limitSubmit, scopeWrite, api.submitVersion)),
		r("GET", ext+"/versions/:version_id", api.ep(limitRead, scopeRead, api.getVersion)),
		r("GET", ext+"/installs", api.ep(limitRead, scopeRead, api.installs)),
		r("GET", ext+"/secrets", api.ep(limitRead, scopeRead, api.listSecrets)),
		r("PUT", ext+"/secrets/:key", api.ep(limitWrite, scopeSecrets, api.setSecret)),
		r("DELETE", ext+"/secrets/:key", api.ep(limitDelete, scopeSecrets, api.deleteSecret)),
		r("POST", Prefix+"/v1/installs/events", api.ingestEP()),
	}
	routes = append(routes, endpoints...)
	unmatched := unmatchedHandler(endpoints)
	for _, m := range methods {
		routes = append(routes, r(m, Prefix+"/*", unmatched))
	}
	return routes
}

// StreamedBody claims version uploads (web.BodyStreamer): their body is read
// as it arrives, up to the bundle limit plus room for the other fields.
func (api *API) StreamedBody(method, path string) (int64, bool) {
	if method != fiber.MethodPost || !api.uploadPath.MatchString(path) {
		return 0, false
	}
	return api.maxUpload + uploadOverhead, true
}

// uploadOverhead is what a multipart upload may hold besides the bundle's
// bytes: the version and changelog fields, part headers and boundaries.
const uploadOverhead = 1 << 20

// ep runs h for a key within the group's rate limit that holds scope.
func (api *API) ep(l apikit.Limit, scope string, h func(*fiber.Ctx, apikeys.Key) error) fiber.Handler {
	return func(c *fiber.Ctx) error {
		k, _ := apikit.KeyOf(c)
		if ok, err := apikit.Spend(c, api.keys, groupLimit(l, k), writeErr); !ok {
			return err
		}
		if !k.HasScope(scope) {
			return writeErr(c, fiber.StatusForbidden, CodeForbidden, fmt.Sprintf("This API key lacks the scope '%s'.", scope))
		}
		return h(c, k)
	}
}

// groupLimit is the group's limit for the key: a per-minute group takes a
// custom per-minute limit of the key above its own.
func groupLimit(l apikit.Limit, k apikeys.Key) apikit.Limit {
	if l.Window == time.Minute && k.RateLimitPerMinute != apikeys.DefaultRateLimit && k.RateLimitPerMinute > l.Requests {
		l.Requests = k.RateLimitPerMinute
	}
	return l
}

// ingestEP is install events: the key's own per-minute limit, installs:write.
func (api *API) ingestEP() fiber.Handler {
	return func(c *fiber.Ctx) error {
		k, ok := apikit.KeyOf(c)
		if !ok {
			return writeErr(c, fiber.StatusUnauthorized, CodeUnauthorized, "No Authorization: Bearer header.")
		}
		l := apikit.Limit{Bucket: apikit.BucketMinute, Requests: max(k.RateLimitPerMinute, 1), Window: time.Minute}
		return api.ep(l, scopeInstalls, api.ingestInstalls)(c)
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
	param := regexp.MustCompile(`:[a-z_]+`)
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
	return writeErr(c, fiber.StatusNotFound, CodeNotFound, "Not found: "+c.Method()+" "+utils.CopyString(c.Path()))
}

// APIPrefix and WriteAPIError make errors raised outside our handlers (body
// too large, unknown method, panics) use our envelope (web.APIErrorWriter).
func (api *API) APIPrefix() string { return Prefix + "/" }

// WriteAPIError writes msg in Lumio's envelope with a code from the status.
func (api *API) WriteAPIError(c *fiber.Ctx, status int, msg string) error {
	code := CodeInternal
	switch status {
	case fiber.StatusNotFound:
		code = CodeNotFound
	case fiber.StatusRequestEntityTooLarge:
		code = CodePayloadTooLarge
		if api.uploadPath.MatchString(c.Path()) {
			msg = fmt.Sprintf("The upload is larger than this server takes: a bundle may be at most %s compressed.", sizeText(api.maxUpload))
		} else if !strings.HasPrefix(msg, "The request body") {
			msg = fmt.Sprintf("The request body is larger than %s.", sizeText(web.BodyLimit))
		}
	case fiber.StatusRequestHeaderFieldsTooLarge:
		code = CodeHeadersTooLarge
	case fiber.StatusMethodNotAllowed:
		code = CodeMethodNotAllowed
	case fiber.StatusBadRequest, fiber.StatusUnprocessableEntity:
		// The spec's table pairs validation_error with 422 and names no 400
		// code. What reaches here as 400 is the input guard's refusal of a
		// NUL or invalid UTF-8 in the body, path or query: input that failed
		// validation, so 422. (Malformed JSON is the handlers' own 400
		// invalid_json, which does not pass here.)
		status, code = fiber.StatusUnprocessableEntity, CodeValidation
	case fiber.StatusUnauthorized:
		code = CodeUnauthorized
	case fiber.StatusForbidden:
		code = CodeForbidden
	case fiber.StatusTooManyRequests:
		code = CodeRateLimited
	case fiber.StatusRequestTimeout:
		code = CodeRequestTimeout
	}
	if status >= 500 {
		msg = "Internal error; try again."
	}
	return writeErr(c, status, code, msg)
}

// writeErr is the API's one error writer:
// {"error": {"code", "message", "status"}}. apikit's codes are mapped to ours.
func writeErr(c *fiber.Ctx, status int, code, msg string) error {
	switch code {
	case apikit.CodeMissingKey, apikit.CodeInvalidKey:
		code = CodeUnauthorized
	case apikit.CodeForbiddenScope, apikit.CodeForbiddenIP:
		code = CodeForbidden
	case apikit.CodeRateLimited:
		code = CodeRateLimited
	}
	return c.Status(status).JSON(fiber.Map{"error": fiber.Map{"code": code, "message": msg, "status": status}})
}

// serviceErr maps a marketplace error to the envelope; anything unknown is
// logged and answered 500 without detail. extID and verID name the objects
// of the request for the not-found messages.
func (api *API) serviceErr(c *fiber.Ctx, err error, extID, verID string) error {
	var fe apperr.FieldErrors
	switch {
	case errors.As(err, &fe):
		return writeErr(c, fiber.StatusUnprocessableEntity, CodeValidation, fieldsMessage(fe))
	case errors.Is(err, marketplace.ErrExtensionNotFound):
		return extNotFound(c, extID)
	case errors.Is(err, marketplace.ErrVersionNotFound):
		return writeErr(c, fiber.StatusNotFound, CodeVersionNotFound, fmt.Sprintf("Version %s does not exist or you do not have access to it.", shown(verID)))
	case errors.Is(err, marketplace.ErrSecretNotFound):
		return writeErr(c, fiber.StatusNotFound, CodeSecretNotFound, fmt.Sprintf("Extension %s has no secret %s.", shown(extID), shown(c.Params("key"))))
	case errors.Is(err, marketplace.ErrAccountNotFound):
		return writeErr(c, fiber.StatusUnprocessableEntity, CodeValidation, "accountId: no such account.")
	case errors.Is(err, marketplace.ErrVersionExists):
		return writeErr(c, fiber.StatusConflict, CodeVersionExists, "This version already exists for the extension; submit a higher version.")
	case errors.Is(err, marketplace.ErrExtensionWasPublic):
		return writeErr(c, fiber.StatusConflict, CodeExtensionWasPublic, "An extension that was ever publicly listed cannot be deleted; set its visibility to private or unlisted instead.")
	case errors.Is(err, context.Canceled):
		return writeErr(c, fiber.StatusServiceUnavailable, CodeInternal, "Request cancelled.")
	}
	return apikit.Failed(c, writeErr, "lumio api request", err)
}

func extNotFound(c *fiber.Ctx, id string) error {
	return writeErr(c, fiber.StatusNotFound, CodeExtensionNotFound, fmt.Sprintf("Extension %s does not exist or you do not have access to it.", shown(id)))
}

// shown is an id from the path as a message may quote it.
func shown(s string) string {
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return s
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
			msg = apiField(k) + ": " + msg
		}
		parts[i] = msg
	}
	return strings.Join(parts, " ")
}

// apiField is a service field as the API names it (camelCase).
func apiField(k string) string {
	if k == "short_description" {
		return "shortDescription"
	}
	return k
}

// sizeText is n bytes as people read it (25 MiB).
func sizeText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
