package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"lumdesk/internal/platform/jsonin"
)

// guardInput is the one place every face refuses text it cannot store or
// show: a NUL byte or invalid UTF-8 in the path, the query string, form
// values, or a JSON/text body (JSON \u0000 escapes included, since they
// decode to NUL). Product APIs answer in their own envelope and the console
// with a 400 error page or toast, both through errorHandler, naming the field.
func (a *App) guardInput(c *fiber.Ctx) error {
	if field := badInput(c); field != "" {
		return fiber.NewError(fiber.StatusBadRequest, field+" contains a NUL character or invalid UTF-8; send UTF-8 text without NUL characters.")
	}
	return c.Next()
}

// badText reports bytes that are not UTF-8 text without NUL.
func badText(b []byte) bool { return bytes.IndexByte(b, 0) >= 0 || !utf8.Valid(b) }

// fieldName names a parameter in a message (its name itself may be bad).
func fieldName(kind string, name []byte) string {
	if badText(name) || len(name) > 64 {
		return "A " + kind + " name"
	}
	return "The " + kind + " " + strconv.Quote(string(name))
}

// badInput returns the description of the first bad input ("" when none).
func badInput(c *fiber.Ctx) string {
	req := c.Request()
	if badText(req.URI().Path()) {
		return "The path"
	}
	bad := ""
	visit := func(kind string) func(k, v []byte) {
		return func(k, v []byte) {
			if bad == "" && (badText(k) || badText(v)) {
				bad = fieldName(kind, k)
			}
		}
	}
	req.URI().QueryArgs().VisitAll(visit("query parameter"))
	if bad != "" {
		return bad
	}
	if BodyStreamed(c) {
		return "" // the route reads its body as it arrives and checks it itself
	}
	body := req.Body()
	if len(body) == 0 {
		return ""
	}
	ct := strings.ToLower(string(req.Header.ContentType()))
	switch {
	case strings.HasPrefix(ct, fiber.MIMEApplicationForm):
		req.PostArgs().VisitAll(visit("field"))
		return bad
	case strings.HasPrefix(ct, fiber.MIMEMultipartForm):
		// Only the text fields: uploaded files are the importers' business.
		if f, err := c.MultipartForm(); err == nil {
			for k, vs := range f.Value {
				for _, v := range vs {
					if badText([]byte(k)) || badText([]byte(v)) {
						return fieldName("field", []byte(k))
					}
				}
			}
		}
		return ""
	}
	// JSON and any other text body (the APIs read bodies whatever the
	// Content-Type says).
	if badText(body) {
		return "The request body"
	}
	if bytes.Contains(body, []byte(`\u0000`)) {
		var v any
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if dec.Decode(&v) != nil {
			return "" // not JSON: the handler refuses it as such
		}
		if path, found := jsonin.NULPath(v, ""); found {
			if path == "" {
				return "The request body"
			}
			return "The field " + strconv.Quote(path)
		}
	}
	return ""
}

// knownMethods are the methods Fiber routes; any other never reaches a
// handler (Fiber answers a plain-text 400 itself).
var knownMethods = map[string]bool{}

func init() {
	for _, m := range fiber.DefaultMethods {
		knownMethods[m] = true
	}
}

// smallBufferPath finds the request path in fasthttp's "headers too large"
// error, which quotes the start of the request ("GET /api/... HTTP/1.1").
var smallBufferPath = regexp.MustCompile(`contents: "[A-Z]{1,16} (/[^ "?\\]*)`)

// outsideRoutes makes the answers fasthttp and Fiber give before any route
// runs reach the product APIs' envelopes too: an unknown method (PROPFIND,
// GETT ...) on /api/... answers 405 through the error handler, and headers
// over the read buffer (431), which fasthttp reports after discarding the
// parsed request line, get the path back from the error's quote of the
// request so the error handler can choose the product.
func (a *App) outsideRoutes(app *fiber.App) {
	srv := app.Server()
	onError := srv.ErrorHandler
	srv.ErrorHandler = func(fctx *fasthttp.RequestCtx, err error) {
		var small *fasthttp.ErrSmallBuffer
		if errors.As(err, &small) && len(fctx.Request.Header.RequestURI()) <= 1 {
			if m := smallBufferPath.FindStringSubmatch(err.Error()); m != nil {
				fctx.Request.SetRequestURI(m[1])
			}
		}
		onError(fctx, err)
	}
	next := srv.Handler
	srv.Handler = func(fctx *fasthttp.RequestCtx) {
		if knownMethods[string(fctx.Method())] || !hasPrefixFold(string(fctx.Path()), "/api/") {
			next(fctx)
			return
		}
		c := app.AcquireCtx(fctx)
		defer app.ReleaseCtx(c)
		c.Set(fiber.HeaderAllow, "GET, POST, PUT, PATCH, DELETE")
		if err := a.errorHandler(c, fiber.NewError(fiber.StatusMethodNotAllowed, "Method not allowed: use GET, POST, PUT, PATCH or DELETE.")); err != nil {
			fctx.SetStatusCode(fiber.StatusMethodNotAllowed)
		}
	}
}
