package web

import (
	"crypto/subtle"

	"github.com/gofiber/fiber/v2"

	"lumdesk/internal/platform/ids"
	"lumdesk/internal/staff"
)

// ErrCSRF is the answer to an unsafe request without the session's token.
var ErrCSRF = fiber.NewError(fiber.StatusForbidden, "Your session expired or the form is stale. Reload the page and try again.")

func newCSRFToken() string { return ids.Token(43) }

func safeMethod(m string) bool {
	return m == fiber.MethodGet || m == fiber.MethodHead || m == fiber.MethodOptions
}

// checkCSRF refuses unsafe dashboard requests whose token (form field "csrf"
// or header X-CSRF-Token) does not match the session's, compared in constant time.
func (a *App) checkCSRF(c *fiber.Ctx) error {
	if safeMethod(c.Method()) || isAPI(c.Path()) {
		return c.Next()
	}
	s, _ := session(c)
	want, _ := s.Values[staff.KeyCSRF].(string)
	got := c.Get("X-CSRF-Token")
	if got == "" {
		got = c.FormValue("csrf")
	}
	if want == "" && a.apiErrorWriter(c.Path()) != nil {
		// No session at all: a JSON client (the portal's API) that is not
		// signed in is told so (401, in its envelope), not of a stale form.
		return fiber.ErrUnauthorized
	}
	if want == "" || subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 {
		return ErrCSRF
	}
	return c.Next()
}
