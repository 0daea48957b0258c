package web

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"lumdesk/internal/platform/apperr"
)

// Form is the one way a console handler reads its input: the body of a POST
// (urlencoded or multipart) or the query of a GET, copied out of Fiber's
// reused buffers and trimmed. The typed getters collect field errors
// (apperr.FieldErrors, the shape the services return) so a handler renders
// every problem at once:
//
//	f := web.ReadForm(c)
//	days := f.Int("days", 1, 3650)
//	note := f.Text("note", 2000)
//	if err := f.Err(); err != nil { ... render the form with err's messages ... }
type Form struct {
	c      *fiber.Ctx
	Errors apperr.FieldErrors
}

// ReadForm starts reading c's form.
func ReadForm(c *fiber.Ctx) *Form { return &Form{c: c, Errors: apperr.FieldErrors{}} }

// IsGet says whether c reads a page: a GET, or a HEAD (the same answer
// without its body). Its fields are in the query.
func IsGet(c *fiber.Ctx) bool {
	m := c.Method()
	return m == fiber.MethodGet || m == fiber.MethodHead
}

// Field is one form (or, for GET, query) value, copied and trimmed.
func Field(c *fiber.Ctx, name string) string {
	if IsGet(c) {
		return strings.TrimSpace(utils.CopyString(c.Query(name)))
	}
	return strings.TrimSpace(utils.CopyString(c.FormValue(name)))
}

// FieldText is a multi-line value, copied, with CRLF line ends made LF and
// its spacing kept (a note or a list of lines means what was typed).
func FieldText(c *fiber.Ctx, name string) string {
	v := c.FormValue(name)
	if IsGet(c) {
		v = c.Query(name)
	}
	return strings.ReplaceAll(utils.CopyString(v), "\r\n", "\n")
}

// FieldValues is every value of a repeatable field, from a urlencoded or
// multipart body, or from the query of a GET.
func FieldValues(c *fiber.Ctx, name string) []string {
	var out []string
	if IsGet(c) {
		for _, v := range c.Context().QueryArgs().PeekMulti(name) {
			out = append(out, string(v))
		}
		return out
	}
	if strings.HasPrefix(string(c.Request().Header.ContentType()), fiber.MIMEMultipartForm) {
		if mf, err := c.MultipartForm(); err == nil {
			return slices.Clone(mf.Value[name])
		}
		return nil
	}
	for _, v := range c.Request().PostArgs().PeekMulti(name) {
		out = append(out, string(v))
	}
	return out
}

// Checked reports whether a checkbox was ticked.
func Checked(c *fiber.Ctx, name string) bool {
	v := Field(c, name)
	return v == "on" || v == "true" || v == "1"
}

// Fail records a problem with a field (the first one per field wins).
func (f *Form) Fail(name, msg string) {
	if _, ok := f.Errors[name]; !ok {
		f.Errors[name] = msg
	}
}

// Err is the collected field errors, or nil.
func (f *Form) Err() error {
	if len(f.Errors) == 0 {
		return nil
	}
	return f.Errors
}

// text checks a text field's length: at most max bytes (0: no limit). NUL
// and invalid UTF-8 never get here: the input guard (input.go) refuses them
// for every face before any handler runs.
func (f *Form) text(name, v string, max int) string {
	if max > 0 && len(v) > max {
		f.Fail(name, "Must be at most "+strconv.Itoa(max)+" characters.")
		return v[:0]
	}
	return v
}

// String is a one-line value, trimmed.
func (f *Form) String(name string, max int) string { return f.text(name, Field(f.c, name), max) }

// Text is a multi-line value (CRLF made LF, spacing kept).
func (f *Form) Text(name string, max int) string { return f.text(name, FieldText(f.c, name), max) }

// Required is a one-line value that must not be empty.
func (f *Form) Required(name string, max int) string {
	v := f.String(name, max)
	if v == "" {
		f.Fail(name, "Required.")
	}
	return v
}

// Bool is a checkbox.
func (f *Form) Bool(name string) bool { return Checked(f.c, name) }

// Values is every value of a repeatable field.
func (f *Form) Values(name string) []string {
	vs := FieldValues(f.c, name)
	for i, v := range vs {
		vs[i] = f.text(name, strings.TrimSpace(v), 0)
	}
	return vs
}

// Int is a whole number from lo to hi; empty or out of range records an error.
func (f *Form) Int(name string, lo, hi int) int {
	v := f.String(name, 20)
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		f.Fail(name, "Give a whole number from "+strconv.Itoa(lo)+" to "+strconv.Itoa(hi)+".")
		return 0
	}
	return n
}

// FieldErrors turns a service's validation error (apperr.FieldErrors, which
// every domain ValidationError is) into the form's messages, as sentences;
// rename maps a service field name to the form's. nil for any other error.
func FieldErrors(err error, rename map[string]string) map[string]string {
	var verr apperr.FieldErrors
	if !errors.As(err, &verr) {
		return nil
	}
	out := make(map[string]string, len(verr))
	for k, msg := range verr {
		if r, ok := rename[k]; ok {
			k = r
		}
		out[k] = Capitalize(strings.TrimSuffix(msg, ".")) + "." // services' messages mostly end with one already
	}
	return out
}

// NextPage ends a keyset page read with one row more than size: the extra
// row says a next page exists, and the cursor is the last shown row's key.
// A page read with size rows could not tell, and a list of exactly size
// rows linked to an empty page.
func NextPage[T any](items []T, size int, key func(T) int64) ([]T, string) {
	if len(items) <= size {
		return items, ""
	}
	return items[:size], strconv.FormatInt(key(items[size-1]), 10)
}

// ExportRefused is a CSV export's answer to filters it cannot read. A list
// page shows what it can, with each problem's message ("...; showing
// all."); an export of something other than was asked is a wrong file, so
// it exports nothing and says so, without the list's "showing ...".
func ExportRefused(problems []string) error {
	msgs := make([]string, len(problems))
	for i, p := range problems {
		if before, _, ok := strings.Cut(p, "; showing"); ok {
			p = before + "."
		}
		msgs[i] = p
	}
	return fiber.NewError(fiber.StatusUnprocessableEntity, "Nothing was exported: "+strings.Join(msgs, " ")+" Fix the filter and export again.")
}

// FilterDay reads a list filter's date (YYYY-MM-DD, as date inputs send it):
// nil when empty, and nil with a message in errs when it is not a date, so
// the list shows what it can and says which filter it left out.
func FilterDay(errs map[string]string, name, value string) *time.Time {
	if value == "" {
		return nil
	}
	t, err := time.Parse(time.DateOnly, value)
	if err != nil || t.Year() < 1970 || t.Year() > 9998 {
		errs[name] = "Dates look like 2026-01-31."
		return nil
	}
	return &t
}

// FilterDays reads a list's since and until filters (FilterDay; until is
// inclusive): the dates as the form shows them back, and the range
// [from, to) to list. A date that is not one, or an end before the start,
// is left out with a problem in words; noun names what the list shows
// ("messages").
func FilterDays(c *fiber.Ctx, problems *[]string, noun string) (since, until string, from, to *time.Time) {
	errs := map[string]string{}
	if from = FilterDay(errs, "since", Field(c, "since")); from != nil {
		since = from.Format(time.DateOnly)
	}
	if day := FilterDay(errs, "until", Field(c, "until")); day != nil {
		end := day.AddDate(0, 0, 1) // the whole day
		if from != nil && !end.After(*from) {
			*problems = append(*problems, "The end date comes before the start; showing "+noun+" from the start on.")
		} else {
			until, to = day.Format(time.DateOnly), &end
		}
	}
	if len(errs) > 0 {
		*problems = append(*problems, "Dates look like 2026-01-31; the date filter that is not one was left out.")
	}
	return since, until, from, to
}
