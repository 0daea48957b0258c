package portal

import (
	"errors"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/customers"
	"lumdesk/internal/platform/apperr"
	"lumdesk/internal/platform/signin"
	"lumdesk/views/pages/auth"
	view "lumdesk/views/pages/portal"
)

// The sign-in pages reuse the console's templates (auth.Login, auth.TOTP):
// PortalPage's Prefix makes them post to /portal/login.

func (h *Portal) loginPage(c *fiber.Ctx) error {
	if web.CurrentCustomer(c) != nil {
		return c.Redirect(web.SafePortalNext(c.Query("next")), fiber.StatusSeeOther)
	}
	if _, err := web.EnsureCSRF(h.app, c); err != nil {
		return err
	}
	return web.Render(c, fiber.StatusOK, auth.Login(h.PortalPage(c, "Sign in to your portal", ""), auth.LoginForm{Next: web.SafePortalNext(c.Query("next"))}))
}

func (h *Portal) login(c *fiber.Ctx) error {
	form := auth.LoginForm{Email: web.Field(c, "email"), Next: web.SafePortalNext(web.Field(c, "next"))}
	password := c.FormValue("password")
	render := func(status int, msg string) error {
		form.Error = msg
		return web.Render(c, status, auth.Login(h.PortalPage(c, "Sign in to your portal", ""), form))
	}
	if form.Email == "" || password == "" {
		return render(fiber.StatusUnprocessableEntity, "Enter your email and password.")
	}
	if len(form.Email) > 254 || len(password) > signin.MaxPasswordLength {
		return render(fiber.StatusUnauthorized, "Email or password is incorrect.")
	}
	res, err := h.app.Customers().Login(c.UserContext(), web.Actor(c), form.Email, password)
	if done, err := h.signInError(c, err, render); done {
		return err
	}
	if res.NeedsTOTP {
		if err := h.app.SetPortalPending(c, res.User.ID); err != nil {
			return err
		}
		return web.Redirect(c, "/portal/login/totp?next="+url.QueryEscape(form.Next))
	}
	if err := h.app.SignInCustomer(c, res.User.ID); err != nil {
		return err
	}
	return web.Redirect(c, form.Next)
}

// signInError renders the answer to a failed sign-in step; done is false
// when err is nil.
func (h *Portal) signInError(c *fiber.Ctx, err error, render func(int, string) error) (bool, error) {
	var throttled *customers.ThrottledError
	switch {
	case err == nil:
		return false, nil
	case errors.As(err, &throttled):
		c.Set(fiber.HeaderRetryAfter, web.Itoa(int(throttled.RetryAfter.Seconds())+1))
		return true, render(fiber.StatusTooManyRequests, web.Capitalize(err.Error())+".")
	case errors.Is(err, customers.ErrBadCredentials):
		return true, render(fiber.StatusUnauthorized, "Email or password is incorrect.")
	case errors.Is(err, customers.ErrBadCode):
		return true, render(fiber.StatusUnauthorized, web.Capitalize(customers.ErrBadCode.Error())+".")
	case errors.Is(err, customers.ErrSuspended):
		return true, render(fiber.StatusForbidden, web.Capitalize(err.Error())+".")
	}
	return true, err
}

func (h *Portal) totpPage(c *fiber.Ctx) error {
	if _, ok := h.app.PortalPending(c); !ok {
		return c.Redirect(view.LoginPath, fiber.StatusSeeOther)
	}
	return web.Render(c, fiber.StatusOK, auth.TOTP(h.PortalPage(c, "Two-factor sign-in", ""), auth.TOTPForm{Next: web.SafePortalNext(c.Query("next"))}))
}

func (h *Portal) totp(c *fiber.Ctx) error {
	id, ok := h.app.PortalPending(c)
	if !ok {
		h.app.Toast(c, "error", "Your sign-in took too long. Start again.")
		return web.Redirect(c, view.LoginPath)
	}
	form := auth.TOTPForm{Next: web.SafePortalNext(web.Field(c, "next"))}
	render := func(status int, msg string) error {
		form.Error = msg
		return web.Render(c, status, auth.TOTP(h.PortalPage(c, "Two-factor sign-in", ""), form))
	}
	code := web.Field(c, "code")
	if code == "" || len(code) > 32 {
		return render(fiber.StatusUnprocessableEntity, "Enter the 6-digit code from your authenticator app, or a recovery code.")
	}
	_, err := h.app.Customers().VerifySecondFactor(c.UserContext(), web.Actor(c), id, code)
	if done, err := h.signInError(c, err, render); done {
		return err
	}
	if err := h.app.SignInCustomer(c, id); err != nil {
		return err
	}
	return web.Redirect(c, form.Next)
}

func (h *Portal) logout(c *fiber.Ctx) error {
	if u := web.CurrentCustomer(c); u != nil && u.ViewedBy == nil {
		if err := h.app.Customers().RecordLogout(c.UserContext(), web.Actor(c), u.User); err != nil {
			return err
		}
	}
	viewing := false
	if u := web.CurrentCustomer(c); u != nil && u.ViewedBy != nil {
		viewing = true
	}
	if err := h.app.EndPortalSession(c); err != nil {
		return err
	}
	if viewing {
		return web.Redirect(c, "/")
	}
	return web.Redirect(c, view.LoginPath)
}

func (h *Portal) forgotPage(c *fiber.Ctx) error {
	if _, err := web.EnsureCSRF(h.app, c); err != nil {
		return err
	}
	return web.Render(c, fiber.StatusOK, view.Forgot(h.PortalPage(c, "Forgot your password?", ""), view.ForgotForm{}))
}

func (h *Portal) forgot(c *fiber.Ctx) error {
	f := view.ForgotForm{Email: web.Truncate(web.Field(c, "email"), 254)}
	err := h.app.Customers().RequestReset(c.UserContext(), web.Actor(c), f.Email)
	var fe apperr.FieldErrors
	if errors.As(err, &fe) {
		f.Error = "Enter the email address you sign in with."
		return web.Render(c, fiber.StatusUnprocessableEntity, view.Forgot(h.PortalPage(c, "Forgot your password?", ""), f))
	}
	if err != nil {
		return err
	}
	f.Sent = true
	return web.Render(c, fiber.StatusOK, view.Forgot(h.PortalPage(c, "Check your email", ""), f))
}

func linkToken(c *fiber.Ctx) string { return strings.Clone(web.Truncate(c.Params("token"), 100)) }

func (h *Portal) linkInvalid(c *fiber.Ctx, invite bool) error {
	return web.Render(c, fiber.StatusGone, view.LinkInvalid(h.PortalPage(c, "This link does not work", ""),
		view.LinkProblem{Message: web.Capitalize(customers.ErrLinkInvalid.Error()) + ".", Invite: invite}))
}

func (h *Portal) invitePage(c *fiber.Ctx) error {
	inv, accountName, err := h.app.Customers().InvitationFor(c.UserContext(), linkToken(c))
	if customers.IsLinkError(err) {
		return h.linkInvalid(c, true)
	}
	if err != nil {
		return err
	}
	if _, err := web.EnsureCSRF(h.app, c); err != nil {
		return err
	}
	return web.Render(c, fiber.StatusOK, view.SetPassword(h.PortalPage(c, "Join "+accountName, ""), view.PasswordForm{
		Action: c.Path(), Email: inv.Email, AccountName: accountName, Role: inv.Role.Label(), Invite: true}))
}

func (h *Portal) acceptInvite(c *fiber.Ctx) error {
	token := linkToken(c)
	inv, accountName, err := h.app.Customers().InvitationFor(c.UserContext(), token)
	if customers.IsLinkError(err) {
		return h.linkInvalid(c, true)
	}
	if err != nil {
		return err
	}
	f := view.PasswordForm{Action: c.Path(), Email: inv.Email, AccountName: accountName, Role: inv.Role.Label(), Invite: true, Name: web.Field(c, "name")}
	u, err := h.app.Customers().AcceptInvite(c.UserContext(), web.Actor(c), token, f.Name, c.FormValue("password"))
	var fe apperr.FieldErrors
	switch {
	case errors.As(err, &fe):
		f.Errors = fe
		return web.Render(c, fiber.StatusUnprocessableEntity, view.SetPassword(h.PortalPage(c, "Join "+accountName, ""), f))
	case customers.IsLinkError(err):
		return h.linkInvalid(c, true)
	case errors.Is(err, customers.ErrEmailTaken), errors.Is(err, customers.ErrSuspended):
		f.Error = web.Capitalize(err.Error()) + "."
		return web.Render(c, fiber.StatusConflict, view.SetPassword(h.PortalPage(c, "Join "+accountName, ""), f))
	case err != nil:
		return err
	}
	if err := h.app.SignInCustomer(c, u.ID); err != nil {
		return err
	}
	h.app.Toast(c, "success", "Welcome to "+accountName+".")
	return web.Redirect(c, view.HomePath)
}

func (h *Portal) resetPage(c *fiber.Ctx) error {
	if err := h.app.Customers().CheckReset(c.UserContext(), linkToken(c)); customers.IsLinkError(err) {
		return h.linkInvalid(c, false)
	} else if err != nil {
		return err
	}
	if _, err := web.EnsureCSRF(h.app, c); err != nil {
		return err
	}
	return web.Render(c, fiber.StatusOK, view.SetPassword(h.PortalPage(c, "Choose a new password", ""), view.PasswordForm{Action: c.Path()}))
}

func (h *Portal) reset(c *fiber.Ctx) error {
	f := view.PasswordForm{Action: c.Path()}
	u, err := h.app.Customers().ResetPassword(c.UserContext(), web.Actor(c), linkToken(c), c.FormValue("password"))
	var fe apperr.FieldErrors
	switch {
	case errors.As(err, &fe):
		f.Errors = fe
		return web.Render(c, fiber.StatusUnprocessableEntity, view.SetPassword(h.PortalPage(c, "Choose a new password", ""), f))
	case customers.IsLinkError(err):
		return h.linkInvalid(c, false)
	case err != nil:
		return err
	}
	if u.TOTPEnabled {
		// The link proves the mailbox, not the second factor.
		h.app.Toast(c, "success", "Password changed. Sign in with it and your authenticator code.")
		return web.Redirect(c, view.LoginPath)
	}
	if err := h.app.SignInCustomer(c, u.ID); err != nil {
		return err
	}
	h.app.Toast(c, "success", "Password changed. Your other sessions were signed out.")
	return web.Redirect(c, view.HomePath)
}
