package web

import (
	"fmt"
	"net/url"
	"slices"

	"github.com/gofiber/fiber/v2"

	"lumdesk/internal/customers"
	"lumdesk/internal/staff"
)

// Route is one row of the route table: every route declares the permission
// it needs (staff.PermPublic and staff.PermSignedIn are explicit markers).
type Route struct {
	Method string
	Path   string
	Perm   staff.Permission
	// Portal is the customer permission of a portal route (under /portal);
	// a route has exactly one of Perm and Portal.
	Portal  customers.Permission
	Handler fiber.Handler
}

// Table returns the app's route table (for the route-permission tests).
func (a *App) Table() []Route { return slices.Clone(a.table) }

func (a *App) register(app *fiber.App, routes []Route) {
	seen := map[string]bool{}
	for _, r := range routes {
		if (r.Perm == "") == (r.Portal == "") {
			panic(fmt.Sprintf("route %s %s must declare one permission: a staff one, or a portal one", r.Method, r.Path))
		}
		if (r.Portal != "") != IsPortal(r.Path) {
			panic(fmt.Sprintf("route %s %s: portal permissions are for /portal routes, and only those", r.Method, r.Path))
		}
		key := r.Method + " " + r.Path
		if seen[key] {
			panic("duplicate route " + key)
		}
		seen[key] = true
		auth := a.authorize(r.Perm)
		if r.Portal != "" {
			auth = a.authorizePortal(r.Portal)
		}
		app.Add(r.Method, r.Path, auth, r.Handler)
		if r.Method == fiber.MethodGet {
			// HEAD is a GET whose body is not sent (fasthttp drops it), as
			// Fiber's own app.Get registers it: uptime checks, link
			// checkers and curl -I ask HEAD, and were answered 404.
			app.Add(fiber.MethodHead, r.Path, auth, r.Handler)
		}
	}
	a.table = routes
}

// TOTP enrolment is the only thing a user who must enrol may reach.
var enrolmentPaths = map[string]bool{
	"/account/security": true, "/account/security/totp": true, "/account/security/totp/confirm": true, "/logout": true,
}

// authorize enforces the route's permission.
func (a *App) authorize(p staff.Permission) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if p == staff.PermPublic {
			return c.Next()
		}
		u := CurrentUser(c)
		if u == nil {
			if isAPI(c.Path()) {
				return fiber.ErrUnauthorized
			}
			return Redirect(c, "/login?next="+url.QueryEscape(safeNext(c.OriginalURL())))
		}
		if a.staff.MustEnrolTOTP(*u) && !enrolmentPaths[c.Path()] {
			return Redirect(c, "/account/security")
		}
		if p != staff.PermSignedIn && !u.Can(p) {
			return ErrForbidden
		}
		return c.Next()
	}
}

// Get and Post are route table rows: path, the permission the
// route needs, and the one handler method that serves it.
func Get(path string, perm staff.Permission, h fiber.Handler) Route {
	return Route{Method: fiber.MethodGet, Path: path, Perm: perm, Handler: h}
}

// Post is a POST row of a route table.
func Post(path string, perm staff.Permission, h fiber.Handler) Route {
	return Route{Method: fiber.MethodPost, Path: path, Perm: perm, Handler: h}
}
