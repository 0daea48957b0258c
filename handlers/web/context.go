package web

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/gorilla/sessions"

	"lumdesk/internal/audit"
	"lumdesk/internal/platform/clip"
	"lumdesk/internal/product"
	"lumdesk/internal/staff"
	"lumdesk/views/components"
	"lumdesk/views/layouts"
)

// Keys of values the middleware leaves in c.Locals.
const (
	localUser    = "lumdesk.user"
	localSession = "lumdesk.session"
	localRequest = "lumdesk.request"
	localConfig  = "lumdesk.page"
)

// CurrentUser is the signed-in staff user, or nil.
func CurrentUser(c *fiber.Ctx) *staff.User {
	u, _ := c.Locals(localUser).(*staff.User)
	return u
}

// Actor is who performs this request's changes.
func Actor(c *fiber.Ctx) audit.Actor {
	a := audit.Actor{Kind: audit.KindAnonymous}
	if u := CurrentUser(c); u != nil {
		a = audit.Staff(u.ID, u.Email)
	} else if cu := CurrentCustomer(c); cu != nil {
		a = portalActor(cu)
	}
	a.IP = c.IP()
	a.UserAgent = utils.CopyString(truncate(c.Get(fiber.HeaderUserAgent), 300))
	a.RequestID = requestID(c)
	return a
}

func requestID(c *fiber.Ctx) string {
	id, _ := c.Locals("requestid").(string)
	return id
}

func session(c *fiber.Ctx) (*sessions.Session, *http.Request) {
	s, _ := c.Locals(localSession).(*sessions.Session)
	r, _ := c.Locals(localRequest).(*http.Request)
	return s, r
}

// IsHTMX reports whether the request came from htmx (and wants a fragment).
func IsHTMX(c *fiber.Ctx) bool { return c.Get("HX-Request") == "true" }

// Render writes a templ component as HTML with the given status.
func Render(c *fiber.Ctx, status int, comp templ.Component) error {
	c.Status(status)
	c.Type("html", "utf-8")
	return comp.Render(c.UserContext(), c.Response().BodyWriter())
}

// Redirect sends a browser to url after a POST: 303 for plain forms,
// HX-Redirect for htmx (which would otherwise swap the target page in).
func Redirect(c *fiber.Ctx, url string) error {
	if IsHTMX(c) {
		c.Set("HX-Redirect", url)
		return c.SendStatus(fiber.StatusNoContent)
	}
	return c.Redirect(url, fiber.StatusSeeOther)
}

// Toast shows a message: as an HX-Trigger event for htmx requests, or as a
// flash stored in the session for the next full page.
func (a *App) Toast(c *fiber.Ctx, kind, message string) {
	if IsHTMX(c) {
		c.Set("HX-Trigger", toastTrigger(kind, message))
		return
	}
	if s, r := session(c); s != nil {
		s.AddFlash(kind+"|"+message, staff.KeyFlash)
		_ = a.saveSession(c, s, r)
	}
}

func toastTrigger(kind, message string) string {
	// json by hand keeps the header compact; strconv-style quoting via components
	return `{"toast":{"kind":` + jsonString(kind) + `,"message":` + jsonString(message) + `}}`
}

// Page builds the layout view-model for this request.
func (a *App) Page(c *fiber.Ctx, title, nav string, crumbs ...layouts.Crumb) layouts.Page {
	p := layouts.Page{Title: title, Nav: nav, Crumbs: crumbs, Demo: a.cfg.Demo, Products: productNav}
	if s, r := session(c); s != nil {
		if tok, ok := s.Values[staff.KeyCSRF].(string); ok {
			p.CSRF = tok
		}
		if flashes := s.Flashes(staff.KeyFlash); len(flashes) > 0 {
			for _, f := range flashes {
				if str, ok := f.(string); ok {
					kind, msg, _ := strings.Cut(str, "|")
					p.Toasts = append(p.Toasts, components.Toast{Kind: kind, Message: msg})
				}
			}
			_ = a.saveSession(c, s, r)
		}
	}
	if u := CurrentUser(c); u != nil {
		p.User = &layouts.User{ID: u.ID, Name: u.DisplayName(), Email: u.Email, Role: string(u.Role), ReadOnly: u.Role == staff.RoleViewer}
		user := *u
		p.Can = func(perm string) bool { return user.Can(staff.Permission(perm)) }
		if pr, ok := product.ForNav(nav); ok && !p.User.ReadOnly && !slices.ContainsFunc(pr.ChangePermissions(), p.Can) {
			p.User.ReadOnlyIn = pr.Brand
		}
		// Only a whole page shows the sidebar; htmx fragments (dialogs) skip its counts.
		if !IsHTMX(c) || c.Get("HX-History-Restore-Request") == "true" {
			p.NavCounts = a.navCounts(c)
		}
	}
	return p
}

// Can reports whether the current user holds perm.
func Can(c *fiber.Ctx, perm staff.Permission) bool {
	u := CurrentUser(c)
	return u != nil && u.Can(perm)
}

// ErrForbidden is returned when the user lacks a permission.
var ErrForbidden = errors.New("you do not have permission to do that")

func truncate(s string, n int) string { return clip.Chars(s, n) }
