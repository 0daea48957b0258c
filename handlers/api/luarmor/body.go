package luarmor

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"lumdesk/internal/platform/jsonin"
)

// body is a request's JSON object, read field by field with the types the
// spec gives, so a wrong type names the field. A null field counts as absent.
type body struct {
	fields map[string]json.RawMessage
	err    string // first problem found
}

// readBody checks the Content-Type and parses the body as a JSON object. On
// failure it has written the error and ok is false.
func readBody(c *fiber.Ctx) (b *body, ok bool, err error) {
	if !jsonBody(c) {
		return nil, false, fail(c, fiber.StatusUnsupportedMediaType, msgContentType)
	}
	raw := bytes.TrimSpace(c.Body())
	if len(raw) == 0 || raw[0] != '{' {
		return nil, false, fail(c, fiber.StatusBadRequest, "Request body must be a JSON object.")
	}
	b = &body{}
	if err := jsonin.Decode(raw, &b.fields); err != nil {
		return nil, false, fail(c, fiber.StatusBadRequest, err.Error())
	}
	return b, true, nil
}

func (b *body) problem(format string, a ...any) {
	if b.err == "" {
		b.err = fmt.Sprintf(format, a...)
	}
}

func (b *body) get(name string) (json.RawMessage, bool) {
	v, ok := b.fields[name]
	if !ok || string(v) == "null" {
		return nil, false
	}
	return v, true
}

// decode reads one field's value into dst through the API's JSON helper.
func (b *body) decode(name string, v json.RawMessage, dst any, want string) bool {
	if err := jsonin.Decode(v, dst); err != nil {
		if jsonin.IsNUL(err) {
			b.problem("%s must not contain NUL characters.", name)
		} else {
			b.problem("%s must be %s.", name, want)
		}
		return false
	}
	return true
}

// str reads a string field; required fields must be present and non-empty.
func (b *body) str(name string, required bool) *string {
	v, ok := b.get(name)
	if !ok {
		if required {
			b.problem("%s is required.", name)
		}
		return nil
	}
	var s string
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' && bytes.IndexByte(v, '\\') < 0 {
		// A string without escapes is its bytes between the quotes: readBody
		// has checked the whole body (valid JSON, UTF-8, no NUL). The loader
		// check reads its fields this way, without a decoder per field.
		s = string(v[1 : len(v)-1])
	} else if !b.decode(name, v, &s, "a string") {
		return nil
	}
	if required && strings.TrimSpace(s) == "" {
		b.problem("%s is required.", name)
		return nil
	}
	return &s
}

// integer reads a whole number (the spec's Int32 and Number fields).
func (b *body) integer(name string) *int64 {
	v, ok := b.get(name)
	if !ok {
		return nil
	}
	var n json.Number
	if !b.decode(name, v, &n, "a number") {
		return nil
	}
	i, err := strconv.ParseInt(n.String(), 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(n.String(), 64)
		if ferr != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			b.problem("%s must be a whole number.", name)
			return nil
		}
		i = int64(f)
	}
	return &i
}

// boolean reads a Boolean field.
func (b *body) boolean(name string) *bool {
	v, ok := b.get(name)
	if !ok {
		return nil
	}
	var x bool
	if !b.decode(name, v, &x, "true or false") {
		return nil
	}
	return &x
}

// done writes the first problem as a 400; ok is false when there was one.
func (b *body) done(c *fiber.Ctx) (ok bool, err error) {
	if b.err == "" {
		return true, nil
	}
	return false, fail(c, fiber.StatusBadRequest, b.err)
}
