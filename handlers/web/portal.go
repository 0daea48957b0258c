package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"

	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/customers"
	"lumdesk/internal/staff"
	"lumdesk/views/layouts"
)

// The customer portal is a face of its own under /portal: its own session
// store and cookie (customers.NewSessionStore), its own principal (a
// customer user, or a staff member viewing as the customer, read-only) and
// its own permissions (customers.Permission, one per route). The console's
// middleware (input guard, CSRF, security headers, errors) serves both.

// PortalPrefix is where the portal lives.
const PortalPrefix = "/portal"

// IsPortal reports whether path is one of the portal's.
func IsPortal(path string) bool {
	return path == PortalPrefix || strings.HasPrefix(path, PortalPrefix+"/")
}

const localCustomer = "lumdesk.customer"

// Customer is the portal's signed-in principal.
type Customer struct {
	customers.User
	// ViewedBy is the staff member viewing the portal as the customer; the
	// session is then read-only and User is a stand-in with the account.
	ViewedBy *staff.User
}

// CurrentCustomer is the portal's signed-in principal, or nil.
func CurrentCustomer(c *fiber.Ctx) *Customer {
	u, _ := c.Locals(localCustomer).(*Customer)
	return u
}

// CustomerMay says whether the portal request may change what perm covers:
// a signed-in customer whose role has it, never staff viewing the portal
// (their session is read-only). Pages offer their forms by it.
func CustomerMay(c *fiber.Ctx, perm customers.Permission) bool {
	u := CurrentCustomer(c)
	return u != nil && u.ViewedBy == nil && u.Can(perm)
}

// PortalScope is the account scope of the portal request: every portal read
// and write passes it to the services, so another account's objects are
// "not found". Without a customer it is a scope that matches no account.
func PortalScope(c *fiber.Ctx) accounts.Scope {
	if u := CurrentCustomer(c); u != nil {
		return accounts.Only(u.AccountID)
	}
	return accounts.Only(-1)
}

// loadPortalSession reads the portal's session and its principal.
func (a *App) loadPortalSession(c *fiber.Ctx, r *http.Request) error {
	s, err := a.portalSessions.Get(r, a.portalSessions.CookieName)
	if err != nil {
		a.log.Warn("portal session load failed", "err", err, "request_id", requestID(c))
	}
	c.Locals(localSession, s)
	c.Locals(localRequest, r)
	end := func() error {
		a.portalSessions.Destroy(s)
		return a.saveSession(c, s, r)
	}
	if id, ok := s.Values[customers.KeyCustomerID].(int64); ok {
		u, err := a.customers.Get(c.UserContext(), id)
		switch {
		case errors.Is(err, customers.ErrNotFound), errors.Is(err, customers.ErrSuspended), err == nil && u.Disabled:
			if err := end(); err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			c.Locals(localCustomer, &Customer{User: u})
		}
	} else if acct, ok := s.Values[customers.KeyViewAccount].(int64); ok {
		staffID, _ := s.Values[customers.KeyViewStaff].(int64)
		su, err := a.staff.Get(c.UserContext(), staffID)
		if err != nil || su.Disabled || !su.Can(staff.PermPortalView) {
			if err := end(); err != nil {
				return err
			}
			return c.Next()
		}
		u, err := a.customers.ViewAs(c.UserContext(), acct, su.Email)
		if err != nil {
			if err := end(); err != nil {
				return err
			}
			return c.Next()
		}
		c.Locals(localCustomer, &Customer{User: u, ViewedBy: &su})
	}
	return c.Next()
}

// authorizePortal enforces a portal route's permission. Staff viewing as
// the customer may read (PermView) and end the view, nothing else.
func (a *App) authorizePortal(p customers.Permission) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if p == customers.PermPublic {
			return c.Next()
		}
		u := CurrentCustomer(c)
		if u == nil {
			if strings.HasPrefix(c.Path(), PortalPrefix+"/api/") {
				return fiber.ErrUnauthorized
			}
			return Redirect(c, PortalPrefix+"/login?next="+url.QueryEscape(safePortalNext(c.OriginalURL())))
		}
		if u.ViewedBy != nil {
			if c.Path() == PortalPrefix+"/logout" {
				return c.Next() // ends the view
			}
			if p != customers.PermView || !safeMethod(c.Method()) {
				return ErrReadOnlyView
			}
			return c.Next()
		}
		if !u.Can(p) {
			return ErrForbidden
		}
		return c.Next()
	}
}

// ErrReadOnlyView answers a change attempted while staff view the portal.
var ErrReadOnlyView = fiber.NewError(fiber.StatusForbidden, "You are viewing this portal as the customer, read-only: changes are not possible here.")

// safePortalNext keeps post-sign-in redirects inside the portal.
func safePortalNext(next string) string {
	n := safeNext(next)
	if !IsPortal(strings.SplitN(n, "?", 2)[0]) || strings.HasPrefix(n, PortalPrefix+"/login") || strings.HasPrefix(n, PortalPrefix+"/logout") {
		return PortalPrefix
	}
	return n
}

// SafePortalNext is safePortalNext for the portal's sign-in handlers.
func SafePortalNext(next string) string { return safePortalNext(next) }

// SignInCustomer rotates the portal session's id and binds it to the user.
func (a *App) SignInCustomer(c *fiber.Ctx, id int64) error {
	s, r := session(c)
	if err := a.portalSessions.Rotate(c.UserContext(), s); err != nil {
		return err
	}
	for k := range s.Values {
		delete(s.Values, k)
	}
	s.Values[customers.KeyCustomerID] = id
	s.Values[staff.KeyCSRF] = newCSRFToken()
	return a.saveSession(c, s, r)
}

// SetPortalPending remembers a user whose password was right and who must
// still give a TOTP code (for pendingTTL).
func (a *App) SetPortalPending(c *fiber.Ctx, id int64) error {
	s, r := session(c)
	s.Values[customers.KeyPendingID] = id
	s.Values[customers.KeyPendingAt] = time.Now().Unix()
	return a.saveSession(c, s, r)
}

// PortalPending is the user waiting for their TOTP step, if still in time.
func (a *App) PortalPending(c *fiber.Ctx) (int64, bool) {
	s, _ := session(c)
	id, ok := s.Values[customers.KeyPendingID].(int64)
	at, _ := s.Values[customers.KeyPendingAt].(int64)
	return id, ok && time.Since(time.Unix(at, 0)) < pendingTTL
}

// EndPortalSession signs the portal session out (row and cookie).
func (a *App) EndPortalSession(c *fiber.Ctx) error {
	s, r := session(c)
	a.portalSessions.Destroy(s)
	return a.saveSession(c, s, r)
}

// StartPortalView opens, from a console request, a read-only portal session
// for the signed-in staff member as the account's customer (audited by the
// caller). It writes the portal's cookie; the console session is untouched.
func (a *App) StartPortalView(c *fiber.Ctx, accountID int64) error {
	u := CurrentUser(c)
	if u == nil || !u.Can(staff.PermPortalView) {
		return ErrForbidden
	}
	r, err := adaptor.ConvertRequest(c, false)
	if err != nil {
		return err
	}
	r = r.WithContext(c.UserContext())
	r.RemoteAddr = c.IP()
	s, err := a.portalSessions.New(r, a.portalSessions.CookieName)
	if err != nil {
		return err
	}
	if err := a.portalSessions.Rotate(c.UserContext(), s); err != nil {
		return err
	}
	for k := range s.Values {
		delete(s.Values, k)
	}
	s.Values[customers.KeyViewAccount] = accountID
	s.Values[customers.KeyViewStaff] = u.ID
	s.Values[staff.KeyCSRF] = newCSRFToken()
	return a.saveSession(c, s, r)
}

// Customers is the portal users' service (for the portal's handlers).
func (a *App) Customers() *customers.Service { return a.customers }

// portalActor is who acts in a portal request.
func portalActor(u *Customer) audit.Actor {
	if u.ViewedBy != nil {
		return audit.Staff(u.ViewedBy.ID, u.ViewedBy.Email)
	}
	return customers.Actor(u.User)
}

// PortalGet and PortalPost are portal route table rows: path
// (under /portal), the customer permission the route needs, the handler.
func PortalGet(path string, perm customers.Permission, h fiber.Handler) Route {
	return Route{Method: fiber.MethodGet, Path: path, Portal: perm, Handler: h}
}

// PortalPost is a POST row of the portal's route table.
func PortalPost(path string, perm customers.Permission, h fiber.Handler) Route {
	return Route{Method: fiber.MethodPost, Path: path, Portal: perm, Handler: h}
}

// PortalPage is the layout view-model of a portal page, built by the
// portal's frame (handlers/portal): every portal route group renders with it.
func (a *App) PortalPage(c *fiber.Ctx, title, nav string, crumbs ...layouts.Crumb) layouts.Page {
	if a.portalShell == nil {
		return a.Page(c, title, nav, crumbs...)
	}
	return a.portalShell.PortalPage(c, title, nav, crumbs...)
}
