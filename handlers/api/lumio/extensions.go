package lumio

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"lumdesk/internal/apikeys"
	"lumdesk/internal/marketplace"
	"lumdesk/internal/platform/jsonin"
)

// extensionSummary is an extension in a list (the spec's list object).
func extensionSummary(e marketplace.Extension) fiber.Map {
	return fiber.Map{"id": e.ID, "slug": e.Slug, "name": e.Name, "visibility": e.Visibility, "status": e.Status,
		"installCount": e.InstallCount, "currentVersionId": nullable(e.CurrentVersionID),
		"createdAt": stamp(e.CreatedAt), "updatedAt": stamp(e.UpdatedAt)}
}

// extensionFull is the full extension object.
func extensionFull(e marketplace.Extension) fiber.Map {
	m := extensionSummary(e)
	p := fiber.Map{"type": e.Pricing.Type}
	if e.Pricing.Type != marketplace.PricingFree {
		p["amount"] = e.Pricing.Amount.String()
		p["currency"] = e.Pricing.Currency
	}
	if e.Pricing.Interval != "" {
		p["interval"] = e.Pricing.Interval
	}
	m["shortDescription"] = e.ShortDescription
	m["description"] = e.Description
	m["pricing"] = p
	m["ratingCount"] = e.RatingCount
	m["deprecated"] = e.Deprecated
	m["replacementId"] = nullable(e.ReplacementID)
	return m
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func stampPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return stamp(*t)
}

// pathID is the :id parameter, copied out of Fiber's buffers.
func pathID(c *fiber.Ctx, name string) string { return utils.CopyString(c.Params(name)) }

// listExtensions: GET /extensions, most recently updated first, in pages of
// ?limit= (default 50, at most 200) continued by ?cursor=<nextCursor>.
func (api *API) listExtensions(c *fiber.Ctx, k apikeys.Key) error {
	f := marketplace.ListFilter{Scope: k.Scope()}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > marketplace.MaxListLimit {
			return writeErr(c, fiber.StatusUnprocessableEntity, CodeValidation, fmt.Sprintf("limit: must be a whole number from 1 to %d.", marketplace.MaxListLimit))
		}
		f.Limit = n
	}
	if v := c.Query("cursor"); v != "" {
		cur, ok := decodeCursor(v)
		if !ok {
			return writeErr(c, fiber.StatusUnprocessableEntity, CodeValidation, "cursor: not a cursor this API returned; pass nextCursor as it came.")
		}
		f.After = &cur
	}
	page, err := api.svc.ListExtensions(c.UserContext(), f)
	if err != nil {
		return api.serviceErr(c, err, "", "")
	}
	list := make([]fiber.Map, len(page.Extensions))
	for i, e := range page.Extensions {
		list[i] = extensionSummary(e)
	}
	out := fiber.Map{"extensions": list}
	if page.Next != nil {
		out["nextCursor"] = encodeCursor(*page.Next)
	}
	return c.JSON(out)
}

// A cursor is the last row's update time and id, opaque to clients.
func encodeCursor(c marketplace.Cursor) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.UpdatedAt.UnixMicro(), 10) + "." + strconv.FormatInt(c.ID, 10)))
}

func decodeCursor(s string) (marketplace.Cursor, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return marketplace.Cursor{}, false
	}
	ts, id, ok := strings.Cut(string(b), ".")
	us, err1 := strconv.ParseInt(ts, 10, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if !ok || err1 != nil || err2 != nil || n <= 0 {
		return marketplace.Cursor{}, false
	}
	return marketplace.Cursor{UpdatedAt: time.UnixMicro(us).UTC(), ID: n}, true
}

func (api *API) getExtension(c *fiber.Ctx, k apikeys.Key) error {
	id := pathID(c, "id")
	e, err := api.svc.GetExtension(c.UserContext(), k.Scope(), id)
	if err != nil {
		return api.serviceErr(c, err, id, "")
	}
	return c.JSON(fiber.Map{"extension": extensionFull(e)})
}

func (api *API) createExtension(c *fiber.Ctx, k apikeys.Key) error {
	b, ok, err := readJSON(c)
	if !ok {
		return err
	}
	in := marketplace.ExtensionInput{}
	f := b.fields(k, false)
	if f.problem != "" {
		return writeErr(c, fiber.StatusUnprocessableEntity, CodeValidation, f.problem)
	}
	in.AccountID = f.accountID
	in.Name = deref(f.name)
	in.Slug = f.slug
	in.ShortDescription = deref(f.shortDescription)
	in.Description = deref(f.description)
	in.Pricing = f.pricing
	in.Visibility = f.visibility
	e, err := api.svc.CreateExtension(c.UserContext(), actorOf(c), k.Scope(), in)
	if err != nil {
		return api.serviceErr(c, err, "", "")
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"extension": extensionFull(e)})
}

func (api *API) updateExtension(c *fiber.Ctx, k apikeys.Key) error {
	id := pathID(c, "id")
	// Another account's extension is not found before its input is judged.
	if _, err := api.svc.GetExtension(c.UserContext(), k.Scope(), id); err != nil {
		return api.serviceErr(c, err, id, "")
	}
	b, ok, err := readJSON(c)
	if !ok {
		return err
	}
	f := b.fields(k, true)
	if f.problem != "" {
		return writeErr(c, fiber.StatusUnprocessableEntity, CodeValidation, f.problem)
	}
	patch := marketplace.ExtensionPatch{Name: f.name, Slug: f.slug, ShortDescription: f.shortDescription, Description: f.description,
		Pricing: f.pricing, Visibility: f.visibility}
	e, err := api.svc.UpdateExtension(c.UserContext(), actorOf(c), k.Scope(), id, patch)
	if err != nil {
		return api.serviceErr(c, err, id, "")
	}
	return c.JSON(fiber.Map{"extension": extensionFull(e)})
}

func (api *API) deleteExtension(c *fiber.Ctx, k apikeys.Key) error {
	id := pathID(c, "id")
	if err := api.svc.DeleteExtension(c.UserContext(), actorOf(c), k.Scope(), id); err != nil {
		return api.serviceErr(c, err, id, "")
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// jsonObject is a request's JSON object, field by field.
type jsonObject map[string]json.RawMessage

// readJSON checks the Content-Type (415) and parses the body as one JSON
// object (400 invalid_json). On failure it has written the error.
func readJSON(c *fiber.Ctx) (jsonObject, bool, error) {
	ct := strings.ToLower(strings.TrimSpace(c.Get(fiber.HeaderContentType)))
	if ct != fiber.MIMEApplicationJSON && !strings.HasPrefix(ct, fiber.MIMEApplicationJSON+";") {
		return nil, false, writeErr(c, fiber.StatusUnsupportedMediaType, CodeUnsupportedMedia, "Send the body as JSON with Content-Type: application/json.")
	}
	raw := bytes.TrimSpace(c.Body())
	if len(raw) == 0 || raw[0] != '{' {
		return nil, false, writeErr(c, fiber.StatusBadRequest, CodeInvalidJSON, "The request body must be a JSON object.")
	}
	var obj jsonObject
	if err := jsonin.Decode(raw, &obj); err != nil {
		return nil, false, writeErr(c, fiber.StatusBadRequest, CodeInvalidJSON, err.Error())
	}
	return obj, true, nil
}

// extensionFields are the fields of POST and PATCH /extensions that were
// given (nil: absent or null).
type extensionFields struct {
	accountID                    *int64
	name, slug, shortDescription *string
	description, visibility      *string
	pricing                      *marketplace.PricingInput
	problem                      string // the first problem, as the API says it
}

// fields reads the extension fields. Names are camelCase or snake_case
// (short_description and shortDescription); POST takes the fields of PATCH
// (the spec: PATCH "accepts the same fields as POST"), and accountId for
// operator keys. Unknown fields are refused.
func (o jsonObject) fields(k apikeys.Key, patch bool) extensionFields {
	var f extensionFields
	fail := func(format string, a ...any) {
		if f.problem == "" {
			f.problem = fmt.Sprintf(format, a...)
		}
	}
	str := func(names ...string) *string {
		var got *string
		for _, n := range names {
			raw, ok := o[n]
			if !ok || string(raw) == "null" {
				continue
			}
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				fail("%s: must be a string.", n)
				return nil
			}
			if got != nil && *got != s {
				fail("%s and %s disagree; send one of them.", names[0], names[1])
				return nil
			}
			got = &s
		}
		return got
	}
	known := []string{"name", "slug", "shortDescription", "short_description", "description", "pricing", "visibility"}
	if !patch && k.Operator {
		known = append(known, "accountId", "account_id")
	}
	var unknown []string
	for n := range o {
		if !slices.Contains(known, n) {
			unknown = append(unknown, n)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		fail("Unknown field %s; the fields are %s.", strconv.Quote(unknown[0]), strings.Join(known, ", "))
	}
	f.name = str("name")
	f.shortDescription = str("shortDescription", "short_description")
	f.description = str("description")
	f.slug = str("slug")
	f.visibility = str("visibility")
	for _, n := range []string{"accountId", "account_id"} {
		if raw, ok := o[n]; ok && slices.Contains(known, n) && string(raw) != "null" {
			var id int64
			if err := json.Unmarshal(raw, &id); err != nil || id <= 0 {
				fail("%s: must be an account id (a positive whole number).", n)
			} else {
				f.accountID = &id
			}
		}
	}
	if raw, ok := o["pricing"]; ok && string(raw) != "null" {
		f.pricing = readPricing(raw, fail)
	}
	return f
}

// readPricing reads {"type", "amount", "currency", "interval"}; the amount
// may be a JSON number or a decimal string ("4.99").
func readPricing(raw json.RawMessage, fail func(string, ...any)) *marketplace.PricingInput {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		fail("pricing: must be an object such as {\"type\": \"free\"}.")
		return nil
	}
	p := &marketplace.PricingInput{}
	for n, v := range obj {
		if string(v) == "null" {
			continue
		}
		var dst *string
		switch n {
		case "type":
			dst = &p.Type
		case "currency":
			dst = &p.Currency
		case "interval":
			dst = &p.Interval
		case "amount":
			var num json.Number
			dec := json.NewDecoder(bytes.NewReader(v))
			dec.UseNumber()
			if err := dec.Decode(&num); err == nil {
				p.Amount = num.String()
				continue
			}
			dst = &p.Amount
		default:
			fail("pricing: unknown field %s; the fields are type, amount, currency, interval.", strconv.Quote(n))
			continue
		}
		if err := json.Unmarshal(v, dst); err != nil {
			fail("pricing.%s: must be a string.", n)
		}
	}
	if p.Type == "" {
		fail("pricing.type: required (free, one_time or subscription).")
	}
	return p
}
