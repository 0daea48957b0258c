package mail

// The portal's Lumora JSON endpoints (specs/lumora-email-api.txt, "(portal)"):
// session-authenticated like the pages, CSRF through the X-CSRF-Token
// header, errors in Lumora's envelope {"error": code, "message": ...}
// written by handlers/api/lumora.

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	lumoraapi "lumdesk/handlers/api/lumora"
	"lumdesk/handlers/web"
	"lumdesk/internal/apikeys"
	mailsvc "lumdesk/internal/mail"
	"lumdesk/internal/platform/apperr"
	"lumdesk/internal/platform/jsonin"
	mv "lumdesk/views/pages/portal/mail"
)

// codeUnauthorized answers a portal API request without a signed-in session.
const codeUnauthorized = "unauthorized"

// APIPrefix makes errors raised before the handlers (unauthenticated,
// CSRF refused, unknown path, body too large) under /portal/api/ use
// Lumora's envelope (web.APIErrorWriter).
func (h *Mail) APIPrefix() string { return "/portal/api/" }

// WriteAPIError writes msg in Lumora's envelope with a code from the status.
func (h *Mail) WriteAPIError(c *fiber.Ctx, status int, msg string) error {
	code := lumoraapi.CodeInternal
	switch status {
	case fiber.StatusUnauthorized:
		code, msg = codeUnauthorized, "Sign in to the portal first; these endpoints use the portal's session."
	case fiber.StatusForbidden:
		code = lumoraapi.CodeForbidden
	case fiber.StatusNotFound:
		code = lumoraapi.CodeNotFound
		if strings.HasPrefix(msg, "There is nothing at this address") {
			msg = "Not found: " + c.Method() + " " + c.Path()
		}
	case fiber.StatusRequestEntityTooLarge:
		code, msg = lumoraapi.CodePayloadTooLarge, fmt.Sprintf("The request body is larger than %d bytes.", web.BodyLimit)
	case fiber.StatusRequestHeaderFieldsTooLarge:
		code = lumoraapi.CodeHeadersTooLarge
	case fiber.StatusMethodNotAllowed:
		code = lumoraapi.CodeMethodNotAllowed
	case fiber.StatusUnsupportedMediaType:
		code = lumoraapi.CodeUnsupportedMedia
	case fiber.StatusBadRequest, fiber.StatusUnprocessableEntity:
		code = lumoraapi.CodeValidation
	case fiber.StatusTooManyRequests:
		code = lumoraapi.CodeRateLimited
	}
	if status >= 500 {
		msg = "Internal error; try again."
	}
	return lumoraapi.WriteErr(c, status, code, msg)
}

// readJSON decodes the request's JSON object into v, or writes the error
// (415, 400 for what is not a JSON object, 422 for a field of the wrong
// type) and reports false.
func readJSON(c *fiber.Ctx, v any) (bool, error) {
	ct := strings.ToLower(strings.TrimSpace(c.Get(fiber.HeaderContentType)))
	if ct != "application/json" && !strings.HasPrefix(ct, "application/json;") {
		return false, lumoraapi.WriteErr(c, fiber.StatusUnsupportedMediaType, lumoraapi.CodeUnsupportedMedia, "Content-Type must be application/json.")
	}
	raw := c.Body()
	if t := strings.TrimSpace(string(raw)); !strings.HasPrefix(t, "{") {
		return false, lumoraapi.WriteErr(c, fiber.StatusBadRequest, lumoraapi.CodeInvalidJSON, "The request body must be a JSON object.")
	}
	if err := jsonin.Decode(raw, v); err != nil {
		// A field of the wrong type is the body's content, not its syntax:
		// 422, as the public API answers it.
		if je := (*jsonin.Error)(nil); errors.As(err, &je) && je.Field != "" && !je.NUL {
			return false, lumoraapi.WriteErr(c, fiber.StatusUnprocessableEntity, lumoraapi.CodeValidation, err.Error())
		}
		return false, lumoraapi.WriteErr(c, fiber.StatusBadRequest, lumoraapi.CodeInvalidJSON, err.Error())
	}
	return true, nil
}

// apiErr maps a service error to the envelope: validation 422, not found
// 404; anything else goes to the error handler (logged, 500 in the envelope).
func apiErr(c *fiber.Ctx, err error) error {
	var fe apperr.FieldErrors
	switch {
	case errors.As(err, &fe):
		return lumoraapi.WriteErr(c, fiber.StatusUnprocessableEntity, lumoraapi.CodeValidation, fieldsMessage(fe))
	case isNotFound(err):
		msg := err.Error()
		for e := errors.Unwrap(err); e != nil; e = errors.Unwrap(e) {
			msg = e.Error()
		}
		return lumoraapi.WriteErr(c, fiber.StatusNotFound, lumoraapi.CodeNotFound, strings.ToUpper(msg[:1])+msg[1:]+".")
	}
	return err
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
		msg := strings.TrimSuffix(fe[k], ".")
		if !strings.HasPrefix(msg, k) {
			msg = k + ": " + msg
		}
		parts[i] = msg + "."
	}
	return strings.Join(parts, " ")
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func optRFC3339(t *time.Time) any {
	if t == nil {
		return nil
	}
	return rfc3339(*t)
}

// domainJSON is a domain with its records, as the wizard reads it.
func domainJSON(d mailsvc.Domain) fiber.Map {
	recs := make([]fiber.Map, len(d.Records))
	for i, r := range d.Records {
		recs[i] = fiber.Map{"kind": r.Kind, "type": r.Type, "name": r.Name, "value": r.Value, "status": r.Status,
			"found": r.Found, "checkedAt": optRFC3339(r.CheckedAt), "fix": mv.Record{Kind: r.Kind, Type: r.Type, Name: r.Name,
				Value: r.Value, Status: r.Status, CheckedAt: r.CheckedAt}.Fix()}
	}
	return fiber.Map{"id": d.ID, "domain": d.Name, "status": d.Status, "dkimSelector": d.DKIMSelector,
		"verifiedAt": optRFC3339(d.VerifiedAt), "lastCheckedAt": optRFC3339(d.LastCheckedAt), "createdAt": rfc3339(d.CreatedAt),
		"records": recs}
}

// apiAddDomain: POST {"domain": "mail.acme.com"} → 201 the domain with its records.
func (h *Mail) apiAddDomain(c *fiber.Ctx) error {
	var in struct {
		Domain *string `json:"domain"`
	}
	if ok, err := readJSON(c, &in); !ok {
		return err
	}
	if in.Domain == nil || strings.TrimSpace(*in.Domain) == "" {
		return lumoraapi.WriteErr(c, fiber.StatusUnprocessableEntity, lumoraapi.CodeValidation, "domain: enter the domain to send from, such as mail.acme.com.")
	}
	d, err := h.svc.AddDomain(c.UserContext(), web.Actor(c), web.PortalScope(c), mailsvc.DomainInput{Name: *in.Domain})
	if err != nil {
		return apiErr(c, err)
	}
	return c.Status(fiber.StatusCreated).JSON(domainJSON(d))
}

// apiVerify: POST → each record's status (and the domain's).
func (h *Mail) apiVerify(c *fiber.Ctx) error {
	id, ok := web.ParseID(c.Params("id"))
	if !ok {
		return apiErr(c, mailsvc.ErrDomainNotFound)
	}
	d, err := h.svc.Verify(c.UserContext(), web.Actor(c), web.PortalScope(c), id)
	if err != nil {
		return apiErr(c, err)
	}
	return c.JSON(domainJSON(d))
}

func keyJSON(k apikeys.Key) fiber.Map {
	scopes := k.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	return fiber.Map{"id": k.ID, "name": k.Name, "prefix": k.Prefix, "status": keyStatus(k), "scopes": scopes,
		"rateLimitPerMinute": k.RateLimitPerMinute, "appId": k.MailAppID, "lastUsedAt": optRFC3339(k.LastUsedAt),
		"createdAt": rfc3339(k.CreatedAt)}
}

// apiCreateKey: POST {"name", "rateLimitPerMinute", "scopes": {"email:send": true}}
// → 201 the key with its secret, shown this once.
func (h *Mail) apiCreateKey(c *fiber.Ctx) error {
	a, err := h.appByParam(c, "appId")
	if err != nil {
		return apiErr(c, err)
	}
	var in struct {
		Name               string          `json:"name"`
		RateLimitPerMinute *int            `json:"rateLimitPerMinute"`
		Scopes             map[string]bool `json:"scopes"`
	}
	if ok, err := readJSON(c, &in); !ok {
		return err
	}
	created, err := h.createKey(c, a, in.Name, in.RateLimitPerMinute, in.Scopes)
	if err != nil {
		return apiErr(c, err)
	}
	out := keyJSON(created.Key)
	out["secret"] = created.Secret
	return c.Status(fiber.StatusCreated).JSON(out)
}

// createKey makes a Lumora key of the app (its account's, bound to it)
// with some of Lumora's scopes; problems are apperr.FieldErrors named
// name, scopes and rateLimitPerMinute.
func (h *Mail) createKey(c *fiber.Ctx, a mailsvc.App, name string, rate *int, want map[string]bool) (apikeys.Created, error) {
	fe := apperr.FieldErrors{}
	if name = strings.TrimSpace(name); name == "" {
		fe["name"] = "name the key, such as Server key"
	}
	p, _ := apikeys.LookupProduct(apikeys.Lumora)
	var scopes []string
	for s, on := range want {
		if !p.HasScope(s) {
			fe["scopes"] = fmt.Sprintf("%q is not a Lumora scope; use %s", s, strings.Join(p.StandardScopes(), ", "))
		} else if on {
			scopes = append(scopes, s)
		}
	}
	if len(scopes) == 0 && fe["scopes"] == "" {
		fe["scopes"] = `give the key at least one scope, such as {"email:send": true}`
	}
	slices.Sort(scopes)
	n := 0
	if rate != nil {
		if *rate <= 0 {
			fe["rateLimitPerMinute"] = "must be a positive number of requests"
		}
		n = *rate
	}
	if len(fe) > 0 {
		return apikeys.Created{}, fe
	}
	acct, appID := a.AccountID, a.ID
	return h.keys.Create(c.UserContext(), web.Actor(c), apikeys.CreateInput{Product: apikeys.Lumora, AccountID: &acct,
		Name: name, Scopes: scopes, RateLimitPerMinute: n, MailAppID: &appID})
}

// apiListKeys: GET → the app's keys: prefixes and status, never secrets.
func (h *Mail) apiListKeys(c *fiber.Ctx) error {
	a, err := h.appByParam(c, "appId")
	if err != nil {
		return apiErr(c, err)
	}
	keys, err := h.appKeys(c, a)
	if err != nil {
		return err
	}
	data := make([]fiber.Map, len(keys))
	for i, k := range keys {
		data[i] = keyJSON(k)
	}
	return c.JSON(fiber.Map{"data": data})
}
