package account

import (
	"errors"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/customers"
	"lumdesk/internal/platform/signin"
	"lumdesk/views/layouts"
	portal "lumdesk/views/pages/portal"
	view "lumdesk/views/pages/portal/account"
)

func (h *Security) sessionRows(c *fiber.Ctx) ([]view.SessionRow, error) {
	u := web.CurrentCustomer(c)
	list, err := h.app.Customers().Sessions(c.UserContext(), u.ID, web.CurrentSessionHash(c))
	if err != nil {
		return nil, err
	}
	rows := make([]view.SessionRow, len(list))
	for i, s := range list {
		rows[i] = view.SessionRow{Handle: s.Handle, Device: web.DeviceName(s.UserAgent), UserAgent: s.UserAgent, IP: s.IP,
			SignedIn: s.CreatedAt, LastSeen: s.LastSeenAt, Current: s.Current}
	}
	return rows, nil
}

func (h *Security) sessions(c *fiber.Ctx) error {
	rows, err := h.sessionRows(c)
	if err != nil {
		return err
	}
	p := h.app.PortalPage(c, "Your sessions", "security", layouts.Crumb{Label: "Security", Href: portal.SecurityPath}, layouts.Crumb{Label: "Sessions"})
	return web.Render(c, fiber.StatusOK, view.SessionsPage(p, rows))
}

var errNoSession = fiber.NewError(fiber.StatusNotFound, "That session does not exist or has already ended.")

func (h *Security) revokeOne(c *fiber.Ctx) error {
	handle := web.Truncate(c.Params("handle"), 100)
	if _, ok := signin.DecodeHandle(handle); !ok {
		return errNoSession
	}
	current := signin.EncodeHandle(web.CurrentSessionHash(c)) == handle
	err := h.app.Customers().RevokeSession(c.UserContext(), web.Actor(c), web.CurrentCustomer(c).ID, handle)
	if errors.Is(err, customers.ErrNotFound) {
		return errNoSession
	}
	if err != nil {
		return err
	}
	if current {
		// Signing out this very session is a sign-out.
		if err := h.app.EndPortalSession(c); err != nil {
			return err
		}
		return web.Redirect(c, portal.LoginPath)
	}
	h.app.Toast(c, "success", "Session signed out.")
	if web.IsHTMX(c) {
		return c.SendString("") // the row disappears
	}
	return web.Redirect(c, portal.SessionsPath)
}

func (h *Security) revokeOthers(c *fiber.Ctx) error {
	u := web.CurrentCustomer(c)
	n, err := h.app.Customers().RevokeOtherSessions(c.UserContext(), web.Actor(c), u.ID, web.CurrentSessionHash(c))
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
		rows, err := h.sessionRows(c)
		if err != nil {
			return err
		}
		return web.Render(c, fiber.StatusOK, view.SessionsCard(web.CSRFToken(c), rows))
	}
	return web.Redirect(c, portal.SessionsPath)
}
