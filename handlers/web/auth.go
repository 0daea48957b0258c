package web

import (
	"errors"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"lumdesk/internal/staff"
	"lumdesk/views/pages/auth"
)

// safeNext keeps post-login redirects on this site: only a same-site path
// (one leading "/", no "//", no backslash, no control or non-ASCII space
// character, which browsers strip or fold into "//host") is kept; anything
// else goes to "/". It also keeps CR/LF out of the Location header.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/login") || strings.HasPrefix(next, "/logout") {
		return "/"
	}
	if !utf8.ValidString(next) || strings.ContainsRune(next, '\\') {
		return "/"
	}
	for _, r := range next {
		if r < 0x20 || r == 0x7f || unicode.IsControl(r) || unicode.IsSpace(r) {
			return "/"
		}
	}
	return next
}

// pendingTTL bounds the time between the password and the TOTP step.
const pendingTTL = 5 * time.Minute

func (a *App) loginPage(c *fiber.Ctx) error {
	if CurrentUser(c) != nil {
		return c.Redirect(safeNext(c.Query("next")), fiber.StatusSeeOther)
	}
	if _, err := a.ensureCSRF(c); err != nil {
		return err
	}
	return Render(c, fiber.StatusOK, auth.Login(a.Page(c, "Sign in", ""), auth.LoginForm{Next: safeNext(c.Query("next"))}))
}

func (a *App) login(c *fiber.Ctx) error {
	form := auth.LoginForm{
		Email: strings.TrimSpace(utils.CopyString(c.FormValue("email"))),
		Next:  safeNext(c.FormValue("next")),
	}
	password := c.FormValue("password")
	if form.Email == "" || password == "" {
		form.Error = "Enter your email and password."
		return Render(c, fiber.StatusUnprocessableEntity, auth.Login(a.Page(c, "Sign in", ""), form))
	}
	if len(form.Email) > 254 || len(password) > 256 {
		form.Error = staff.ErrBadCredentials.Error()
		return Render(c, fiber.StatusUnprocessableEntity, auth.Login(a.Page(c, "Sign in", ""), form))
	}
	res, err := a.staff.Login(c.UserContext(), Actor(c), form.Email, password)
	var throttled *staff.ThrottledError
	switch {
	case errors.As(err, &throttled):
		c.Set(fiber.HeaderRetryAfter, itoa(int(throttled.RetryAfter.Seconds())+1))
		form.Error = capitalize(err.Error()) + "."
		return Render(c, fiber.StatusTooManyRequests, auth.Login(a.Page(c, "Sign in", ""), form))
	case errors.Is(err, staff.ErrBadCredentials):
		form.Error = "Email or password is incorrect."
		return Render(c, fiber.StatusUnauthorized, auth.Login(a.Page(c, "Sign in", ""), form))
	case err != nil:
		return err
	}
	s, r := session(c)
	if res.NeedsTOTP {
		s.Values[staff.KeyPendingID] = res.User.ID
		s.Values[staff.KeyPendingAt] = time.Now().Unix()
		if err := a.saveSession(c, s, r); err != nil {
			return err
		}
		return Redirect(c, "/login/totp?next="+url.QueryEscape(form.Next))
	}
	if err := a.signIn(c, res.User.ID); err != nil {
		return err
	}
	return Redirect(c, form.Next)
}

// signIn rotates the session id and binds the session to the user.
func (a *App) signIn(c *fiber.Ctx, id int64) error {
	s, r := session(c)
	if err := a.sessions.Rotate(c.UserContext(), s); err != nil {
		return err
	}
	for k := range s.Values {
		delete(s.Values, k)
	}
	s.Values[staff.KeyStaffID] = id
	s.Values[staff.KeyCSRF] = newCSRFToken()
	return a.saveSession(c, s, r)
}

func (a *App) pendingUser(c *fiber.Ctx) (int64, bool) {
	s, _ := session(c)
	id, ok := s.Values[staff.KeyPendingID].(int64)
	at, _ := s.Values[staff.KeyPendingAt].(int64)
	return id, ok && time.Since(time.Unix(at, 0)) < pendingTTL
}

func (a *App) totpPage(c *fiber.Ctx) error {
	if _, ok := a.pendingUser(c); !ok {
		return c.Redirect("/login", fiber.StatusSeeOther)
	}
	return Render(c, fiber.StatusOK, auth.TOTP(a.Page(c, "Two-factor sign-in", ""), auth.TOTPForm{Next: safeNext(c.Query("next"))}))
}

func (a *App) totp(c *fiber.Ctx) error {
	id, ok := a.pendingUser(c)
	if !ok {
		a.Toast(c, "error", "Your sign-in took too long. Start again.")
		return Redirect(c, "/login")
	}
	form := auth.TOTPForm{Next: safeNext(c.FormValue("next"))}
	code := strings.TrimSpace(c.FormValue("code"))
	if code == "" || len(code) > 32 {
		form.Error = "Enter the 6-digit code from your authenticator app, or a recovery code."
		return Render(c, fiber.StatusUnprocessableEntity, auth.TOTP(a.Page(c, "Two-factor sign-in", ""), form))
	}
	_, err := a.staff.VerifySecondFactor(c.UserContext(), Actor(c), id, code)
	var throttled *staff.ThrottledError
	switch {
	case errors.As(err, &throttled):
		c.Set(fiber.HeaderRetryAfter, itoa(int(throttled.RetryAfter.Seconds())+1))
		form.Error = capitalize(err.Error()) + "."
		return Render(c, fiber.StatusTooManyRequests, auth.TOTP(a.Page(c, "Two-factor sign-in", ""), form))
	case errors.Is(err, staff.ErrBadCode), errors.Is(err, staff.ErrBadCredentials):
		form.Error = capitalize(staff.ErrBadCode.Error()) + "."
		return Render(c, fiber.StatusUnauthorized, auth.TOTP(a.Page(c, "Two-factor sign-in", ""), form))
	case err != nil:
		return err
	}
	if err := a.signIn(c, id); err != nil {
		return err
	}
	return Redirect(c, form.Next)
}

func (a *App) logout(c *fiber.Ctx) error {
	if u := CurrentUser(c); u != nil {
		if err := a.staff.RecordLogout(c.UserContext(), Actor(c)); err != nil {
			return err
		}
	}
	s, r := session(c)
	a.sessions.Destroy(s)
	if err := a.saveSession(c, s, r); err != nil {
		return err
	}
	return Redirect(c, "/login")
}
