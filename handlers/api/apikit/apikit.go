// Package apikit is the request side every product API shares: read the API
// key the way the product's spec says, verify it, apply the key's per-minute
// rate limit, and check scopes. Each product passes its own writeErr so the
// errors come out in that product's envelope.
//
// Error codes passed to writeErr are the Lumi spec's (missing_bearer,
// invalid_key, rate_limited, forbidden_scope, internal_error); a product whose
// spec names them differently maps them in its writeErr.
package apikit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"lumdesk/internal/apikeys"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/db"
)

// Style is where a product's API key travels.
type Style int

const (
	// Raw: "Authorization: <key>" (Luarmor). A "Bearer " prefix is tolerated.
	Raw Style = iota
	// Bearer: "Authorization: Bearer <key>" (Lumio, Lumi, Lumira).
	Bearer
	// APIKeyOrBearer: "x-api-key: <key>", or "Authorization: Bearer <key>" (Lumora).
	APIKeyOrBearer
)

// Error codes given to writeErr.
const (
	CodeMissingKey     = "missing_bearer"
	CodeInvalidKey     = "invalid_key"
	CodeRateLimited    = "rate_limited"
	CodeForbiddenScope = "forbidden_scope"
	CodeInternal       = "internal_error"
	// CodeUnavailable: the database cannot be reached; retry after Retry-After.
	CodeUnavailable = "unavailable"
)

// UnavailableMessage is what a client reads while the database is away.
const UnavailableMessage = "The service is briefly unavailable; retry after the Retry-After seconds."

// unavailableRetry is the Retry-After of a 503 while the database is away:
// the pool reconnects within seconds of its return.
const unavailableRetry = "5"

// Failed answers an error no rule explains: 503 with Retry-After when the
// database cannot be reached (nothing was written; the client retries),
// else 500 without detail, logged with what failed. Every product API's
// last resort comes through here, so an outage reads the same in each
// product's own envelope.
func Failed(c *fiber.Ctx, writeErr WriteErr, what string, err error) error {
	if db.Unavailable(err) {
		slog.WarnContext(c.UserContext(), what+": database unavailable", "err", err, "path", c.Path())
		c.Set(fiber.HeaderRetryAfter, unavailableRetry)
		return writeErr(c, fiber.StatusServiceUnavailable, CodeUnavailable, UnavailableMessage)
	}
	slog.ErrorContext(c.UserContext(), what, "err", err, "path", c.Path(), "request_id", c.Locals("requestid"))
	return writeErr(c, fiber.StatusInternalServerError, CodeInternal, "Internal error; try again.")
}

// BucketMinute is the rate-limit bucket of the key's own per-minute limit.
const BucketMinute = "minute"

// WriteErr writes an error in the product's envelope.
type WriteErr func(c *fiber.Ctx, status int, code, msg string) error

// Verifier is what Auth needs of the API keys service.
type Verifier interface {
	Verify(ctx context.Context, product, secret, ip string) (apikeys.Key, error)
	Allow(ctx context.Context, keyID int64, bucket string, limit int, window time.Duration, cost int) (bool, time.Duration, error)
}

const localKey = "apikit.key"

// KeyFromRequest returns the presented key ("" when none), copied out of
// Fiber's buffers.
func KeyFromRequest(c *fiber.Ctx, style Style) string {
	if style == APIKeyOrBearer {
		if k := strings.TrimSpace(c.Get("X-Api-Key")); k != "" {
			return utils.CopyString(k)
		}
	}
	h := strings.TrimSpace(c.Get(fiber.HeaderAuthorization))
	scheme, rest, found := strings.Cut(h, " ")
	hasBearer := found && strings.EqualFold(scheme, "Bearer")
	switch {
	case hasBearer:
		return utils.CopyString(strings.TrimSpace(rest))
	case style == Raw:
		return utils.CopyString(h)
	default:
		return ""
	}
}

// Check is a product's own refusal of a verified key (e.g. Luarmor's IP
// allow list); it runs before the rate limit so a refused request spends
// none of the key's tokens. It returns the refusal, nil to let the request
// through; Auth writes it with writeErr.
type Check func(c *fiber.Ctx, k apikeys.Key) *Refusal

// Refusal is a Check's answer.
type Refusal struct {
	Status  int
	Code    string // e.g. CodeForbiddenIP
	Message string
}

// CodeForbiddenIP: the key does not accept requests from the client's address.
const CodeForbiddenIP = "forbidden_ip"

// Auth verifies the request's key for product, runs the product's checks,
// and spends one token of the key's per-minute limit. On success the key
// is in KeyOf(c).
func Auth(svc Verifier, product string, style Style, writeErr WriteErr, checks ...Check) fiber.Handler {
	return auth(svc, product, style, writeErr, true, checks)
}

// AuthOnly is Auth without the key's per-minute limit: for a product whose
// spec gives each endpoint group its own limit (Lumio), applied with
// Spend in its handlers.
func AuthOnly(svc Verifier, product string, style Style, writeErr WriteErr, checks ...Check) fiber.Handler {
	return auth(svc, product, style, writeErr, false, checks)
}

// Limit is a rate limit held per key in the bucket Bucket: Requests per Window.
type Limit struct {
	Bucket   string
	Requests int
	Window   time.Duration
}

// Spend spends one token of the verified key's (KeyOf) bucket l. When
// the bucket is empty it has answered 429 with Retry-After (500 when the
// limiter fails, 401 without a key) and ok is false; err is the writing's.
func Spend(c *fiber.Ctx, svc Verifier, l Limit, writeErr WriteErr) (ok bool, err error) {
	k, found := KeyOf(c)
	if !found {
		return false, writeErr(c, fiber.StatusUnauthorized, CodeMissingKey, "No API key.")
	}
	ctx := c.UserContext()
	allowed, retry, err := svc.Allow(ctx, k.ID, l.Bucket, l.Requests, l.Window, 1)
	if err != nil {
		return false, Failed(c, writeErr, fmt.Sprintf("api rate limit (key %d, bucket %s)", k.ID, l.Bucket), err)
	}
	if !allowed {
		return false, RateLimited(c, retry, writeErr)
	}
	return true, nil
}

func auth(svc Verifier, product string, style Style, writeErr WriteErr, spendMinute bool, checks []Check) fiber.Handler {
	return func(c *fiber.Ctx) error {
		secret := KeyFromRequest(c, style)
		if secret == "" {
			return writeErr(c, fiber.StatusUnauthorized, CodeMissingKey, missingMessage(style))
		}
		ctx := c.UserContext()
		k, err := svc.Verify(ctx, product, secret, utils.CopyString(c.IP()))
		if errors.Is(err, apikeys.ErrInvalidKey) {
			return writeErr(c, fiber.StatusUnauthorized, CodeInvalidKey, "API key is unknown, revoked or expired.")
		}
		if err != nil {
			return Failed(c, writeErr, product+" api key verification", err)
		}
		for _, check := range checks {
			if r := check(c, k); r != nil {
				return writeErr(c, r.Status, r.Code, r.Message)
			}
		}
		if spendMinute {
			ok, retry, err := svc.Allow(ctx, k.ID, BucketMinute, k.RateLimitPerMinute, time.Minute, 1)
			if err != nil {
				return Failed(c, writeErr, fmt.Sprintf("%s api rate limit (key %d)", product, k.ID), err)
			}
			if !ok {
				return RateLimited(c, retry, writeErr)
			}
		}
		c.Locals(localKey, k)
		return c.Next()
	}
}

// RateLimited answers 429 with Retry-After in whole seconds (at least 1).
// Product handlers with extra buckets (money, bulk) use it too.
func RateLimited(c *fiber.Ctx, retry time.Duration, writeErr WriteErr) error {
	secs := RetryAfterSeconds(retry)
	c.Set(fiber.HeaderRetryAfter, strconv.Itoa(secs))
	return writeErr(c, fiber.StatusTooManyRequests, CodeRateLimited, fmt.Sprintf("Rate limit exceeded; retry in %d seconds.", secs))
}

// RetryAfterSeconds rounds up to whole seconds, at least 1.
func RetryAfterSeconds(d time.Duration) int {
	secs := int((d + time.Second - 1) / time.Second)
	return max(secs, 1)
}

func missingMessage(style Style) string {
	switch style {
	case Raw:
		return "No API key: send it in the Authorization header."
	case APIKeyOrBearer:
		return "No API key: send it in the x-api-key header."
	default:
		return "No Authorization: Bearer header."
	}
}

// RequireScope refuses keys without scope (operator keys hold every scope).
// It must run after Auth.
func RequireScope(scope string, writeErr WriteErr) fiber.Handler {
	return func(c *fiber.Ctx) error {
		k, ok := KeyOf(c)
		if !ok {
			return writeErr(c, fiber.StatusUnauthorized, CodeMissingKey, "No API key.")
		}
		if !k.HasScope(scope) {
			return writeErr(c, fiber.StatusForbidden, CodeForbiddenScope, fmt.Sprintf("Key lacks the required scope '%s'.", scope))
		}
		return c.Next()
	}
}

// KeyOf is the key Auth verified for this request.
func KeyOf(c *fiber.Ctx) (apikeys.Key, bool) {
	k, ok := c.Locals(localKey).(apikeys.Key)
	return k, ok
}

// Actor is the audit actor for changes made through the API with this
// request's key.
func Actor(c *fiber.Ctx) audit.Actor {
	a := audit.Actor{Kind: audit.KindAnonymous}
	if k, ok := KeyOf(c); ok {
		a = audit.Actor{Kind: audit.KindAPIKey, ID: strconv.FormatInt(k.ID, 10), Label: k.Prefix}
	}
	a.IP = utils.CopyString(c.IP())
	ua := c.Get(fiber.HeaderUserAgent)
	if len(ua) > 300 {
		ua = ua[:300]
	}
	a.UserAgent = utils.CopyString(ua)
	if id, ok := c.Locals("requestid").(string); ok {
		a.RequestID = id
	}
	return a
}
