package staff

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/audit"
	"lumdesk/internal/staff"
	"lumdesk/views/layouts"
	"lumdesk/views/pages/security"
)

// OwnAccount is what the "your sessions" and "security" pages need of the
// staff service: a signed-in user managing their own sign-in.
type OwnAccount interface {
	ListSessions(ctx context.Context, staffID int64, currentHash []byte) ([]staff.Session, error)
	RevokeOwnSession(ctx context.Context, actor audit.Actor, handle string) error
	SignOutOthers(ctx context.Context, actor audit.Actor, currentHash []byte) (int64, error)
	BeginTOTP(ctx context.Context, u staff.User) (staff.Enrolment, error)
	PendingTOTP(ctx context.Context, u staff.User) (staff.Enrolment, bool, error)
	ConfirmTOTP(ctx context.Context, actor audit.Actor, u staff.User, code string, keepSession []byte) ([]string, error)
	RecoveryCodesLeft(ctx context.Context, id int64) (int64, error)
	MustEnrolTOTP(u staff.User) bool
	Demo() bool
}

// Security serves /account/sessions and /account/security.
type Security struct {
	app *web.App
	svc OwnAccount
}

// NewSecurity makes the route group.
func NewSecurity(svc OwnAccount) *Security { return &Security{svc: svc} }

func (h *Security) sessionRows(c *fiber.Ctx, u *staff.User) ([]security.SessionRow, error) {
	list, err := h.svc.ListSessions(c.UserContext(), u.ID, web.CurrentSessionHash(c))
	if err != nil {
		return nil, err
	}
	return sessionRows(list), nil
}

func sessionRows(list []staff.Session) []security.SessionRow {
	rows := make([]security.SessionRow, len(list))
	for i, s := range list {
		rows[i] = security.SessionRow{Handle: s.Handle, Device: web.DeviceName(s.UserAgent), UserAgent: s.UserAgent, IP: s.IP,
			SignedIn: s.CreatedAt, LastSeen: s.LastSeenAt, Current: s.Current}
	}
	return rows
}

func (h *Security) sessions(c *fiber.Ctx) error {
	u := web.CurrentUser(c)
	rows, err := h.sessionRows(c, u)
	if err != nil {
		return err
	}
	p := h.app.Page(c, "Your sessions", "sessions", layouts.Crumb{Label: "Your sessions"})
	return web.Render(c, fiber.StatusOK, security.Sessions(p, rows))
}

func (h *Security) revokeOne(c *fiber.Ctx) error {
	handle := c.Params("handle")
	if _, ok := staff.DecodeHandle(handle); !ok {
		return fiber.NewError(fiber.StatusNotFound, "That session does not exist or has already ended.")
	}
	current := staff.EncodeHandle(web.CurrentSessionHash(c)) == handle
	err := h.svc.RevokeOwnSession(c.UserContext(), web.Actor(c), handle)
	if errors.Is(err, staff.ErrNotFound) {
		return fiber.NewError(fiber.StatusNotFound, "That session does not exist or has already ended.")
	}
	if err != nil {
		return err
	}
	if current {
		// Signing out this very session is a sign-out.
		if err := h.app.EndCurrentSession(c); err != nil {
			return err
		}
		return web.Redirect(c, "/login")
	}
	h.app.Toast(c, "success", "Session signed out.")
	if web.IsHTMX(c) {
		return c.SendString("") // the row disappears
	}
	return web.Redirect(c, "/account/sessions")
}

func (h *Security) revokeOthers(c *fiber.Ctx) error {
	n, err := h.svc.SignOutOthers(c.UserContext(), web.Actor(c), web.CurrentSessionHash(c))
	if err != nil {
		return err
	}
	msg := "Signed out " + strconv.FormatInt(n, 10) + " other session."
	switch {
	case n == 0:
		msg = "No other sessions were open."
	case n > 1:
		msg = "Signed out " + strconv.FormatInt(n, 10) + " other sessions."
	}
	h.app.Toast(c, "success", msg)
	if web.IsHTMX(c) {
		rows, err := h.sessionRows(c, web.CurrentUser(c))
		if err != nil {
			return err
		}
		return web.Render(c, fiber.StatusOK, security.SessionsCard(web.CSRFToken(c), rows))
	}
	return web.Redirect(c, "/account/sessions")
}

func (h *Security) status(c *fiber.Ctx, u *staff.User) (security.Status, error) {
	ctx := c.UserContext()
	s := security.Status{TOTPEnabled: u.TOTPEnabled, Required: h.svc.MustEnrolTOTP(*u), RoleRequires: u.Role.RequiresTOTP(), Demo: h.svc.Demo()}
	if u.TOTPEnabled {
		n, err := h.svc.RecoveryCodesLeft(ctx, u.ID)
		if err != nil {
			return s, err
		}
		s.CodesLeft = n
		return s, nil
	}
	e, ok, err := h.svc.PendingTOTP(ctx, *u)
	if err != nil {
		return s, err
	}
	if ok {
		s.Pending = enrolmentView(e)
	}
	return s, nil
}

func enrolmentView(e staff.Enrolment) *security.Enrolment {
	return &security.Enrolment{QR: e.QRPNG, Secret: e.Secret, SecretGroups: groupsOf(e.Secret, 4)}
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

func (h *Security) securityPage(c *fiber.Ctx, status int, s security.Status) error {
	p := h.app.Page(c, "Security", "", layouts.Crumb{Label: "Security"})
	return web.Render(c, status, security.Page(p, s))
}

func (h *Security) security(c *fiber.Ctx) error {
	s, err := h.status(c, web.CurrentUser(c))
	if err != nil {
		return err
	}
	return h.securityPage(c, fiber.StatusOK, s)
}

// beginTOTP makes a new pending secret (replacing any earlier one) and sends
// the user to the page that shows it, so a reload does not make another.
func (h *Security) beginTOTP(c *fiber.Ctx) error {
	u := web.CurrentUser(c)
	if u.TOTPEnabled {
		h.app.Toast(c, "info", "Two-factor sign-in is already on.")
		return web.Redirect(c, "/account/security")
	}
	if _, err := h.svc.BeginTOTP(c.UserContext(), *u); err != nil {
		return err
	}
	return web.Redirect(c, "/account/security")
}

var sixDigits = regexp.MustCompile(`^[0-9]{6}$`)

func (h *Security) confirmTOTP(c *fiber.Ctx) error {
	u := web.CurrentUser(c)
	if u.TOTPEnabled {
		h.app.Toast(c, "info", "Two-factor sign-in is already on.")
		return web.Redirect(c, "/account/security")
	}
	code := strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(c.FormValue("code")))
	s, err := h.status(c, u)
	if err != nil {
		return err
	}
	if s.Pending == nil {
		h.app.Toast(c, "error", web.Capitalize(staff.ErrTOTPNotPending.Error())+".")
		return web.Redirect(c, "/account/security")
	}
	if !sixDigits.MatchString(code) {
		s.CodeError = "Enter the 6-digit code your authenticator app shows."
		return h.securityPage(c, fiber.StatusUnprocessableEntity, s)
	}
	codes, err := h.svc.ConfirmTOTP(c.UserContext(), web.Actor(c), *u, code, web.CurrentSessionHash(c))
	switch {
	case errors.Is(err, staff.ErrBadCode):
		s.CodeError = "That code is not right. Enter the newest code the app shows."
		return h.securityPage(c, fiber.StatusUnprocessableEntity, s)
	case errors.Is(err, staff.ErrTOTPNotPending):
		h.app.Toast(c, "error", web.Capitalize(err.Error())+".")
		return web.Redirect(c, "/account/security")
	case err != nil:
		return fmt.Errorf("confirm totp: %w", err)
	}
	// Shown once, in the response to the POST: the codes are never stored in clear.
	c.Set(fiber.HeaderCacheControl, "no-store")
	p := h.app.Page(c, "Recovery codes", "", layouts.Crumb{Label: "Security", Href: "/account/security"}, layouts.Crumb{Label: "Recovery codes"})
	return web.Render(c, fiber.StatusOK, security.RecoveryCodes(p, codes))
}
