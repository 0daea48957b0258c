package web

import (
	"github.com/gofiber/fiber/v2"

	"lumdesk/internal/staff"
)

// RequestID is this request's id (logged with every error).
func RequestID(c *fiber.Ctx) string { return requestID(c) }

// ToastTrigger is the HX-Trigger header value that shows a toast.
func ToastTrigger(kind, message string) string { return toastTrigger(kind, message) }

// CSRFToken is the session's CSRF token, for forms in fragments rendered without a Page.
func CSRFToken(c *fiber.Ctx) string {
	s, _ := session(c)
	if s == nil {
		return ""
	}
	tok, _ := s.Values[staff.KeyCSRF].(string)
	return tok
}

// CurrentSessionHash is the stored key of this request's session, used to
// mark "this session" and to keep it when signing out the others.
func CurrentSessionHash(c *fiber.Ctx) []byte {
	s, _ := session(c)
	if s == nil || s.ID == "" {
		return nil
	}
	return staff.SessionIDHash(s.ID)
}

// EndCurrentSession deletes this request's session (row and cookie): used
// when an action has already removed its row, so that nothing (a flash, a
// CSRF token) saves it back.
func (a *App) EndCurrentSession(c *fiber.Ctx) error {
	s, r := session(c)
	if s == nil {
		return nil
	}
	a.sessions.Destroy(s)
	return a.saveSession(c, s, r)
}

// Flash stores a message for the next full page, whatever kind of request this is.
func (a *App) Flash(c *fiber.Ctx, kind, msg string) {
	if s, r := session(c); s != nil {
		s.AddFlash(kind+"|"+msg, staff.KeyFlash)
		_ = a.saveSession(c, s, r)
	}
}

// Capitalize upper-cases the first letter (error texts become sentences).
func Capitalize(s string) string { return capitalize(s) }

// Truncate cuts s to at most n characters, between characters (clip.Chars):
// input cut so stays over its limit if it was.
func Truncate(s string, n int) string { return truncate(s, n) }

// Itoa formats n (headers such as Retry-After).
func Itoa(n int) string { return itoa(n) }

// EnsureCSRF gives this request's session (even an anonymous one) a CSRF
// token before a page with a form renders.
func EnsureCSRF(a *App, c *fiber.Ctx) (string, error) { return a.ensureCSRF(c) }
