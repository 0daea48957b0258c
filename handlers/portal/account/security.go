package account

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/customers"
	"lumdesk/internal/platform/signin"
	"lumdesk/views/layouts"
	portal "lumdesk/views/pages/portal"
	view "lumdesk/views/pages/portal/account"
)

// Security serves the signed-in user's own sign-in: /portal/account/security
// (password, two-factor) and /portal/account/sessions. Staff viewing as the
// customer have no sign-in of their own here (PermSelf refuses them).
type Security struct {
	app *web.App
}

// NewSecurity makes the route group.
func NewSecurity() *Security { return &Security{} }

// Routes implements web.RouteGroup.
func (h *Security) Routes(a *web.App) []web.Route {
	h.app = a
	self := customers.PermSelf
	return []web.Route{
		web.PortalGet(portal.SecurityPath, self, h.page),
		web.PortalPost(portal.SecurityPath+"/password", self, h.changePassword),
		web.PortalPost(portal.SecurityPath+"/totp", self, h.beginTOTP),
		web.PortalPost(portal.SecurityPath+"/totp/confirm", self, h.confirmTOTP),
		web.PortalPost(portal.SecurityPath+"/totp/disable", self, h.disableTOTP),
		web.PortalGet(portal.SessionsPath, self, h.sessions),
		web.PortalPost(portal.SessionsPath+"/revoke-others", self, h.revokeOthers),
		web.PortalPost(portal.SessionsPath+"/:handle/revoke", self, h.revokeOne),
	}
}

// status is what the security page shows for the signed-in user.
func (h *Security) status(c *fiber.Ctx) (view.Security, error) {
	ctx := c.UserContext()
	u := web.CurrentCustomer(c).User
	svc := h.app.Customers()
	s := view.Security{Email: u.Email, TOTPEnabled: u.TOTPEnabled, Password: map[string]string{}}
	list, err := svc.Sessions(ctx, u.ID, web.CurrentSessionHash(c))
	if err != nil {
		return s, err
	}
	s.Sessions = len(list)
	if u.TOTPEnabled {
		if s.CodesLeft, err = svc.RecoveryCodesLeft(ctx, u.ID); err != nil {
			return s, err
		}
		return s, nil
	}
	e, ok, err := svc.PendingTOTP(ctx, u)
	if err != nil {
		return s, err
	}
	if ok {
		s.Pending = &view.Enrolment{QR: e.QRPNG, Secret: e.Secret, SecretGroups: groupsOf(e.Secret, 4)}
	}
	return s, nil
}

func groupsOf(s string, n int) []string {
	var out []string
	for len(s) > n {
		out = append(out, s[:n])
		s = s[n:]
	}
	if s != "" {
		out = append(out, s)
	}
	return out
}

func (h *Security) render(c *fiber.Ctx, status int, s view.Security) error {
	p := h.app.PortalPage(c, "Security", "security", layouts.Crumb{Label: "Security"})
	return web.Render(c, status, view.SecurityPage(p, s))
}

func (h *Security) page(c *fiber.Ctx) error {
	s, err := h.status(c)
	if err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, s)
}

func (h *Security) changePassword(c *fiber.Ctx) error {
	u := web.CurrentCustomer(c).User
	current, next := c.FormValue("current"), c.FormValue("password")
	msgs := map[string]string{}
	switch {
	case current == "":
		msgs["current"] = "Enter your current password."
	case len(current) > signin.MaxPasswordLength:
		msgs["current"] = "The current password is not right."
	}
	if next == "" {
		msgs["password"] = "Choose a new password."
	}
	if len(msgs) == 0 {
		err := h.app.Customers().ChangePassword(c.UserContext(), web.Actor(c), u, current, next, web.CurrentSessionHash(c))
		if err == nil {
			h.app.Toast(c, "success", "Password changed. Your other sessions were signed out.")
			return web.Redirect(c, portal.SecurityPath)
		}
		if msgs = web.FieldErrors(err, nil); msgs == nil {
			return err
		}
	}
	s, err := h.status(c)
	if err != nil {
		return err
	}
	s.Password = msgs
	s.Password["form"] = "Your password was not changed."
	return h.render(c, fiber.StatusUnprocessableEntity, s)
}

// beginTOTP makes a new pending secret (replacing any earlier one) and sends
// the user to the page that shows it, so a reload does not make another.
func (h *Security) beginTOTP(c *fiber.Ctx) error {
	u := web.CurrentCustomer(c).User
	if u.TOTPEnabled {
		h.app.Toast(c, "info", "Two-factor sign-in is already on.")
		return web.Redirect(c, portal.SecurityPath)
	}
	if _, err := h.app.Customers().BeginTOTP(c.UserContext(), u); err != nil && !errors.Is(err, customers.ErrTOTPOn) {
		return err
	}
	return web.Redirect(c, portal.SecurityPath)
}

var sixDigits = regexp.MustCompile(`^[0-9]{6}$`)

func (h *Security) confirmTOTP(c *fiber.Ctx) error {
	u := web.CurrentCustomer(c).User
	if u.TOTPEnabled {
		h.app.Toast(c, "info", "Two-factor sign-in is already on.")
		return web.Redirect(c, portal.SecurityPath)
	}
	code := strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(web.Truncate(c.FormValue("code"), 32)))
	s, err := h.status(c)
	if err != nil {
		return err
	}
	if s.Pending == nil {
		h.app.Toast(c, "error", web.Capitalize(customers.ErrTOTPNotPending.Error())+".")
		return web.Redirect(c, portal.SecurityPath)
	}
	if !sixDigits.MatchString(code) {
		s.CodeError = "Enter the 6-digit code your authenticator app shows."
		return h.render(c, fiber.StatusUnprocessableEntity, s)
	}
	codes, err := h.app.Customers().ConfirmTOTP(c.UserContext(), web.Actor(c), u, code, web.CurrentSessionHash(c))
	switch {
	case errors.Is(err, customers.ErrBadCode):
		s.CodeError = "That code is not right. Enter the newest code the app shows."
		return h.render(c, fiber.StatusUnprocessableEntity, s)
	case errors.Is(err, customers.ErrTOTPNotPending):
		h.app.Toast(c, "error", web.Capitalize(err.Error())+".")
		return web.Redirect(c, portal.SecurityPath)
	case err != nil:
		return fmt.Errorf("confirm totp: %w", err)
	}
	// Shown once, in the response to the POST: the codes are never stored in clear.
	c.Set(fiber.HeaderCacheControl, "no-store")
	p := h.app.PortalPage(c, "Recovery codes", "security", layouts.Crumb{Label: "Security", Href: portal.SecurityPath}, layouts.Crumb{Label: "Recovery codes"})
	return web.Render(c, fiber.StatusOK, view.RecoveryCodes(p, codes))
}

func (h *Security) disableTOTP(c *fiber.Ctx) error {
	u := web.CurrentCustomer(c).User
	if !u.TOTPEnabled {
		h.app.Toast(c, "info", "Two-factor sign-in is already off.")
		return web.Redirect(c, portal.SecurityPath)
	}
	password := c.FormValue("password")
	msg := ""
	switch {
	case password == "":
		msg = "Enter your password to turn two-factor off."
	case len(password) > signin.MaxPasswordLength:
		msg = "The password is not right."
	default:
		err := h.app.Customers().DisableTOTP(c.UserContext(), web.Actor(c), u, password)
		if err == nil {
			h.app.Toast(c, "success", "Two-factor sign-in is off. Signing in now needs only your password.")
			return web.Redirect(c, portal.SecurityPath)
		}
		fe := web.FieldErrors(err, nil)
		if fe == nil {
			return err
		}
		msg = strings.Join(mapValues(fe), " ")
	}
	s, err := h.status(c)
	if err != nil {
		return err
	}
	s.DisableError = msg
	return h.render(c, fiber.StatusUnprocessableEntity, s)
}
