package lumora

import (
	_ "embed"
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"lumdesk/internal/apikeys"
	"lumdesk/internal/mail"
)

// openAPI documents this API (OpenAPI 3.1). The contract test checks that
// it names exactly the routes this package serves.
//
//go:embed openapi.json
var openAPI []byte

func serveOpenAPI(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "public, max-age=300")
	return c.Send(openAPI)
}

// Page sizes of the lists.
const (
	defaultLimit = 50
	maxLimit     = 200
)

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func timePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return rfc3339(*t)
}

// email is GET /v1/emails/:id: the message, its recipients and its events.
// Only the key's app's: another app's message is not found, as in its logs.
func (api *API) email(c *fiber.Ctx, k apikeys.Key, appID int64) error {
	d, err := api.mail.GetAppMessage(c.UserContext(), k.Scope(), appID, utils.CopyString(c.Params("id")))
	if err != nil {
		return api.serviceErr(c, err)
	}
	m := d.Message
	recipients := make([]fiber.Map, len(d.Recipients))
	for i, r := range d.Recipients {
		var code any
		if r.LastSMTPCode != 0 {
			code = r.LastSMTPCode
		}
		recipients[i] = fiber.Map{"email": r.Email, "type": r.Kind, "status": r.Status, "attempts": r.Attempts,
			"nextAttemptAt": timePtr(r.NextAttemptAt), "lastSmtpCode": code, "lastSmtpResponse": r.LastSMTPText,
			"updatedAt": rfc3339(r.UpdatedAt)}
	}
	events := make([]fiber.Map, len(d.Events))
	for i, e := range d.Events {
		events[i] = eventJSON(e, false)
	}
	return c.JSON(fiber.Map{
		"message": fiber.Map{"id": m.PublicID, "status": m.Status, "subject": m.Subject,
			"from": fiber.Map{"email": m.FromEmail, "name": m.FromName}, "smtpMessageId": m.SMTPMessageID,
			"createdAt": rfc3339(m.CreatedAt), "updatedAt": rfc3339(m.UpdatedAt)},
		"recipients": recipients,
		"events":     events,
	})
}

func eventJSON(e mail.Event, withMessage bool) fiber.Map {
	out := fiber.Map{"type": e.Type, "recipient": e.Recipient, "at": rfc3339(e.At), "detail": e.Detail}
	if withMessage {
		out["id"] = "evt_" + strconv.FormatInt(e.ID, 10)
		out["messageId"] = e.MessageID
		out["subject"] = e.Subject
	}
	return out
}

// logs is GET /v1/emails/logs: the app's delivery events, newest first.
func (api *API) logs(c *fiber.Ctx, k apikeys.Key, appID int64) error {
	q, problem := readQuery(c, "limit", "cursor", "status", "recipient", "since", "until")
	if problem != "" {
		return writeErr(c, fiber.StatusUnprocessableEntity, CodeValidation, problem)
	}
	f := mail.LogFilter{Status: q.Get("status"), Recipient: q.Get("recipient")}
	var ok bool
	if f.Limit, ok = limitParam(q.Get("limit")); !ok {
		return writeErr(c, fiber.StatusUnprocessableEntity, CodeValidation, "limit must be a whole number from 1 to 200.")
	}
	if f.BeforeID, ok = cursorParam(q.Get("cursor")); !ok {
		return writeErr(c, fiber.StatusUnprocessableEntity, CodeValidation, "cursor must be a next_cursor value from an earlier page.")
	}
	if f.Since, f.Until, problem = timeRange(q); problem != "" {
		return writeErr(c, fiber.StatusUnprocessableEntity, CodeValidation, problem)
	}
	page, err := api.mail.ListEvents(c.UserContext(), k.Scope(), appID, f)
	if err != nil {
		return api.serviceErr(c, err)
	}
	data := make([]fiber.Map, len(page.Items))
	for i, e := range page.Items {
		data[i] = eventJSON(e, true)
	}
	return c.JSON(fiber.Map{"data": data, "next_cursor": nextCursor(page.Next)})
}

// stats is GET /v1/emails/stats: counts per event type, in total and per day.
func (api *API) stats(c *fiber.Ctx, k apikeys.Key, appID int64) error {
	q, problem := readQuery(c, "since", "until")
	if problem != "" {
		return writeErr(c, fiber.StatusUnprocessableEntity, CodeValidation, problem)
	}
	since, until, problem := timeRange(q)
	if problem != "" {
		return writeErr(c, fiber.StatusUnprocessableEntity, CodeValidation, problem)
	}
	st, err := api.mail.Stats(c.UserContext(), k.Scope(), appID, since, until)
	if err != nil {
		return api.serviceErr(c, err)
	}
	days := make([]fiber.Map, len(st.Days))
	for i, d := range st.Days {
		days[i] = fiber.Map{"date": d.Day.Format(time.DateOnly), "counts": d.Counts}
	}
	return c.JSON(fiber.Map{"since": rfc3339(st.Since), "until": rfc3339(st.Until), "totals": st.Totals, "days": days})
}

// suppressions is GET /v1/suppressions: the account's, newest first.
func (api *API) suppressions(c *fiber.Ctx, k apikeys.Key, _ int64) error {
	q, problem := readQuery(c, "limit", "cursor")
	if problem != "" {
		return writeErr(c, fiber.StatusUnprocessableEntity, CodeValidation, problem)
	}
	limit, ok := limitParam(q.Get("limit"))
	if !ok {
		return writeErr(c, fiber.StatusUnprocessableEntity, CodeValidation, "limit must be a whole number from 1 to 200.")
	}
	before, ok := cursorParam(q.Get("cursor"))
	if !ok {
		return writeErr(c, fiber.StatusUnprocessableEntity, CodeValidation, "cursor must be a next_cursor value from an earlier page.")
	}
	page, err := api.mail.SuppressionPage(c.UserContext(), k.Scope(), mail.SuppressionFilter{AccountID: accountOf(k), BeforeID: before, Limit: limit})
	if err != nil {
		return api.serviceErr(c, err)
	}
	data := make([]fiber.Map, len(page.Items))
	for i, s := range page.Items {
		data[i] = fiber.Map{"email": s.Email, "reason": s.Reason, "origin": s.Origin, "createdAt": rfc3339(s.CreatedAt)}
	}
	return c.JSON(fiber.Map{"data": data, "next_cursor": nextCursor(page.Next)})
}

// nextCursor is a page's next_cursor: null after the last page (the
// service read one row past the page to know).
func nextCursor(next int64) any {
	if next == 0 {
		return nil
	}
	return strconv.FormatInt(next, 10)
}

// deleteSuppression is DELETE /v1/suppressions/:email: the address may be
// sent to again (not after a hard bounce: support lifts those).
func (api *API) deleteSuppression(c *fiber.Ctx, k apikeys.Key, _ int64) error {
	email, err := url.PathUnescape(c.Params("email"))
	if err != nil || email == "" {
		return writeErr(c, fiber.StatusUnprocessableEntity, CodeValidation, "The path must end with the suppressed email address.")
	}
	email = utils.CopyString(email)
	if err := api.mail.DeleteSuppression(c.UserContext(), k.Scope(), accountOf(k), email); err != nil {
		return api.serviceErr(c, err)
	}
	return c.JSON(fiber.Map{"email": email, "deleted": true})
}

// accountOf is the key's account (keys bound to an app always have one).
func accountOf(k apikeys.Key) int64 {
	if k.AccountID == nil {
		return 0
	}
	return *k.AccountID
}

// readQuery parses the query string and refuses parameters the route does
// not take, and repeated ones.
func readQuery(c *fiber.Ctx, allowed ...string) (url.Values, string) {
	q, err := url.ParseQuery(string(c.Request().URI().QueryString()))
	if err != nil {
		return nil, "The query string is malformed."
	}
	for name, vals := range q {
		known := false
		for _, a := range allowed {
			known = known || a == name
		}
		if !known {
			return nil, name + " is not a parameter of this endpoint."
		}
		if len(vals) > 1 {
			return nil, name + " is given more than once."
		}
	}
	return q, ""
}

func limitParam(s string) (int, bool) {
	if s == "" {
		return defaultLimit, true
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 1 && n <= maxLimit
}

func cursorParam(s string) (int64, bool) {
	if s == "" {
		return 0, true
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n > 0
}

// timeRange reads since and until (RFC 3339).
func timeRange(q url.Values) (*time.Time, *time.Time, string) {
	var out [2]*time.Time
	for i, name := range []string{"since", "until"} {
		if v := q.Get(name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return nil, nil, name + " must be a time like 2026-04-21T14:32:08Z."
			}
			out[i] = &t
		}
	}
	if out[0] != nil && out[1] != nil && !out[0].Before(*out[1]) {
		return nil, nil, "since must be before until."
	}
	return out[0], out[1], ""
}
