package lumora

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"lumdesk/internal/apikeys"
	"lumdesk/internal/mail"
	"lumdesk/internal/mail/address"
	"lumdesk/internal/mail/outbound"
	"lumdesk/internal/platform/jsonin"
)

// sendFields are the fields POST /v1/email/send takes; any other is refused,
// so a misspelt field ("htlm") is not silently dropped.
var sendFields = []string{"from", "to", "cc", "bcc", "reply_to", "subject", "html", "text", "headers", "tags", "template", "variables"}

// sender is "from": {"email", "name"}, or a string "Name <email>".
type sender struct {
	Email string `json:"email"`
	Name  string `json:"name"`
}

// send accepts a message: 200 {"messageId", "status": "queued", "idempotentReplay"}.
func (api *API) send(c *fiber.Ctx, k apikeys.Key, appID int64) error {
	if !jsonBody(c) {
		return writeErr(c, fiber.StatusUnsupportedMediaType, CodeUnsupportedMedia, "Content-Type must be application/json.")
	}
	raw := bytes.Clone(c.Body())
	fields, err := readObject(raw)
	if err != nil {
		return writeErr(c, fiber.StatusBadRequest, CodeInvalidJSON, err.Error())
	}
	in, problem := sendInput(fields)
	if problem != "" {
		return writeErr(c, fiber.StatusUnprocessableEntity, CodeValidation, problem)
	}
	if key := c.Get("Idempotency-Key"); key != "" {
		in.IdempotencyKey = utils.CopyString(key)
		in.RequestHash = apikeys.RequestHash(c.Method(), utils.CopyString(c.OriginalURL()), raw)
	}
	res, err := api.mail.Send(c.UserContext(), k.Scope(), appID, in)
	if err != nil {
		return api.serviceErr(c, err)
	}
	return c.JSON(fiber.Map{"messageId": res.MessageID, "status": res.Status, "idempotentReplay": res.Replay})
}

// readObject parses the body as one JSON object through jsonin.
func readObject(raw []byte) (map[string]json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return nil, fmt.Errorf("The request body must be a JSON object.")
	}
	var fields map[string]json.RawMessage
	if err := jsonin.Decode(raw, &fields); err != nil {
		return nil, err
	}
	return fields, nil
}

// sendInput reads the fields with the types the API documents; the first
// problem is returned, naming its field.
func sendInput(fields map[string]json.RawMessage) (mail.SendInput, string) {
	var in mail.SendInput
	for name := range fields {
		if !slices.Contains(sendFields, name) {
			return in, fmt.Sprintf("%s is not a field of a send (fields: %s).", name, strings.Join(sendFields, ", "))
		}
	}
	get := func(name string) (json.RawMessage, bool) {
		v, ok := fields[name]
		return v, ok && string(v) != "null"
	}
	if v, ok := get("from"); ok {
		var s sender
		var str string
		switch {
		case json.Unmarshal(v, &str) == nil:
			// "Name <email>": split here, checked with every other address by the service.
			a, err := address.Parse(str)
			if err != nil {
				return in, "from: " + err.Error() + "."
			}
			s = sender{Email: a.Email, Name: a.Name}
		case decodeStrict(v, &s) == nil:
		default:
			return in, "from must be an object {\"email\", \"name\"}."
		}
		if strings.TrimSpace(s.Email) == "" {
			return in, "from.email is required when from is given."
		}
		in.FromEmail, in.FromName = s.Email, s.Name
	}
	lists := []struct {
		name string
		dst  *[]string
	}{{"to", &in.To}, {"cc", &in.Cc}, {"bcc", &in.Bcc}, {"reply_to", &in.ReplyTo}}
	for _, l := range lists {
		v, ok := get(l.name)
		if !ok {
			continue
		}
		var one string
		if json.Unmarshal(v, &one) == nil {
			*l.dst = []string{one}
			continue
		}
		if err := json.Unmarshal(v, l.dst); err != nil {
			return in, l.name + " must be an array of email addresses."
		}
	}
	for _, s := range []struct {
		name string
		dst  *string
	}{{"subject", &in.Subject}, {"html", &in.HTML}, {"text", &in.Text}, {"template", &in.Template}} {
		if v, ok := get(s.name); ok {
			if err := json.Unmarshal(v, s.dst); err != nil {
				return in, s.name + " must be a string."
			}
		}
	}
	if v, ok := get("headers"); ok {
		if err := json.Unmarshal(v, &in.Headers); err != nil {
			return in, "headers must be an object of header names to string values."
		}
	}
	if v, ok := get("tags"); ok {
		var tags []struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		}
		if err := decodeStrict(v, &tags); err != nil {
			return in, "tags must be an array of {\"name\", \"value\"} objects."
		}
		for _, t := range tags {
			in.Tags = append(in.Tags, outbound.Tag{Name: t.Name, Value: t.Value})
		}
	}
	if v, ok := get("variables"); ok {
		if err := json.Unmarshal(v, &in.Variables); err != nil {
			return in, "variables must be an object."
		}
	}
	return in, ""
}

func decodeStrict(v json.RawMessage, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.DisallowUnknownFields()
	return dec.Decode(dst)
}

// jsonBody reports whether the body is declared as JSON.
func jsonBody(c *fiber.Ctx) bool {
	ct := strings.ToLower(strings.TrimSpace(c.Get(fiber.HeaderContentType)))
	return ct == "application/json" || strings.HasPrefix(ct, "application/json;")
}
